#!/bin/bash
# A folder deleted and made again on the server gets a new UIDVALIDITY: its
# old keys mean nothing, so its messages are read again, but the same bytes
# already in DEST are not written twice (the index matches them by hash).
# A message added at the same time is written.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3050
tool seed "$USER_NAME" "$USER_PASS" || exit 1

test_expect_success 'first export' '
    ms_imap export --from "$(imaps_url)" --to eml -o eml &&
    test "$rc" = 0 && find eml -name "*.eml" | sort >files1
'

printf 'From: a@example.org\r\nSubject: after recreate\r\n\r\nnew\r\n' >new.eml
test_expect_success 'the folder is made again with a new UIDVALIDITY' '
    tool uidvalidity "$USER_NAME" "$USER_PASS" "Archive/2024" >v1 &&
    sleep 1 &&
    tool recreate "$USER_NAME" "$USER_PASS" "Archive/2024" &&
    tool uidvalidity "$USER_NAME" "$USER_PASS" "Archive/2024" >v2 &&
    ! cmp -s v1 v2 &&
    tool append "$USER_NAME" "$USER_PASS" "Archive/2024" "" 1600000000 \
        new.eml >/dev/null &&
    tool dump "$USER_NAME" "$USER_PASS" oracle.tsv
'

test_expect_success 'the next run writes only the new message' '
    ms_imap export --from "$(imaps_url)" --to eml -o eml --json &&
    cat out && test "$rc" = 0 &&
    grep -q "\"messages\":1," out && grep -q "\"duplicates\":2," out &&
    tool check-eml oracle.tsv eml
'

test_done
