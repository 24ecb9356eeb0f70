#!/bin/bash
# --folder and --exclude on a live account: globs over the display paths
# ('*' spans '/'); folders left out are dropped from the LIST answer, never
# examined; list honours the same selection.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3070
tool seed "$USER_NAME" "$USER_PASS" || exit 1
tool dump "$USER_NAME" "$USER_PASS" all.tsv || exit 1

test_expect_success 'list --folder/--exclude shows only the chosen folders' '
    ms_imap list --from "$(imaps_url)" --folder "Archive/*" --folder INBOX \
        --exclude "*/Q1" &&
    test "$rc" = 0 &&
    printf "INBOX\nArchive/2024\n" >expect &&
    cut -f3 out >got && test_cmp expect got
'

test_expect_success 'export --folder writes those folders only, whole' '
    ms_imap export --from "$(imaps_url)" --to mbox -o sel --json \
        --folder "Archive/*" --exclude "*/Q1" &&
    test "$rc" = 0 && grep -q "\"messages\":2," out &&
    (cd sel && find . -name "*.mbox" | sort) >files &&
    printf "./Archive/2024.mbox\n" >expect && test_cmp expect files &&
    awk -F"\t" "\$1 == \"Archive/2024\"" all.tsv >want.tsv &&
    tool check-mbox want.tsv sel
'

# Had the reader examined the other folders and handed their messages
# on, the pipeline would have counted them as excluded.
test_expect_success 'the folders left out were never read' '
    grep -q "\"excluded\":0," out
'

test_expect_success 'a pattern that matches nothing exports nothing' '
    ms_imap export --from "$(imaps_url)" --to eml -o none --json \
        --folder "NoSuch*" &&
    test "$rc" = 0 && grep -q "\"messages\":0," out
'

test_expect_success 'an empty pattern is a usage error' '
    ms_imap export --from "$(imaps_url)" --to eml -o bad --folder "" &&
    test "$rc" = 2 && grep -q "non-empty pattern" err
'

test_expect_success 'list names special-use folders (RFC 6154)' '
    tool create "$USER_NAME" "$USER_PASS" Sent &&
    tool create "$USER_NAME" "$USER_PASS" Trash &&
    ms_imap list --from "$(imaps_url)" --folder Sent --folder Trash \
        --folder INBOX &&
    test "$rc" = 0 &&
    printf "INBOX\nSent\t\\\\Sent\nTrash\t\\\\Trash\n" >expect &&
    cut -f3,4 out >got && test_cmp expect got &&
    ms_imap --json list --from "$(imaps_url)" --folder Sent &&
    grep -q "\"special_use\":\"\\\\\\\\Sent\"" out || { cat out; false; }
'

test_done
