#!/bin/bash
# IMAP export of a seeded account (unicode and nested folders, flags,
# keywords, internal dates, odd bodies) to eml, maildir and mbox, checked
# against what Python's imaplib reads from the same server; nothing on the
# server changes (\Seen stays as it was); a second run fetches nothing;
# a new message is the only one fetched next time, and only its folder is
# looked at.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3000
tool seed "$USER_NAME" "$USER_PASS" || exit 1
tool dump "$USER_NAME" "$USER_PASS" before.tsv || exit 1

test_expect_success 'the corpus has 14 messages in 6 folders' '
    test "$(wc -l <before.tsv)" -eq 14 &&
    test "$(cut -f1 before.tsv | sort -u | wc -l)" -eq 6
'

test_expect_success 'list shows every selectable folder with counts' '
    ms_imap list --from "$(imaps_url)" &&
    test "$rc" = 0 &&
    printf "8\tINBOX\n1\tArchive/2023/Q1\n2\tArchive/2024\n1\tDonnées/Été\n0\tEmpty\n1\tWork & Play\n1\t日本語\n" >expect &&
    cut -f1,3 out >got && test_cmp expect got
'

for fmt in eml maildir mbox; do
    test_expect_success "export to $fmt holds exactly what the server has" '
        ms_imap export --from "$(imaps_url)" --to '$fmt' -o '$fmt' &&
        cat err && test "$rc" = 0 &&
        tool check-'$fmt' before.tsv '$fmt'
    '
done

test_expect_success 'nothing on the server changed (no \Seen set)' '
    tool dump "$USER_NAME" "$USER_PASS" after.tsv &&
    test_cmp before.tsv after.tsv
'

# Every folder keeps the UIDVALIDITY and UIDNEXT it had when a complete
# run read it; unchanged, it is passed over without a FETCH, so not even
# the 14 saved messages are looked at ("unchanged" counts those).
test_expect_success 'a second run fetches nothing, not even the UID list' '
    ms_imap export --from "$(imaps_url)" --to eml -o eml --json &&
    test "$rc" = 0 &&
    grep -q "\"messages\":0," out &&
    grep -q "\"unchanged\":0," out || { cat out err; false; }
'

test_expect_success 'the same account spelt another way is the same source' '
    url=$(imaps_url | sed "s/^imaps:/IMAPS:/") &&
    ms_imap export --from "$url" --to eml -o eml --json &&
    test "$rc" = 0 && grep -q "\"messages\":0," out &&
    "$MAILSAVE" status eml >st && grep -q "^source: *imap:imaps://" st
'

test_expect_success 'the index and manifest hold no password' '
    ! grep -rqF "$USER_PASS" eml maildir mbox
'

printf 'From: new@example.org\r\nSubject: new one\r\n\r\nNew.\r\n' >new.eml
test_expect_success 'a new message is the only one fetched' '
    tool append "$USER_NAME" "$USER_PASS" "Archive/2024" "\\Flagged" \
        1700000000 new.eml >uid &&
    tool dump "$USER_NAME" "$USER_PASS" before2.tsv &&
    for f in eml maildir mbox; do
        ms_imap export --from "$(imaps_url)" --to $f -o $f --json &&
        test "$rc" = 0 && grep -q "\"messages\":1," out &&
        grep -q "\"unchanged\":2," out &&
        tool check-$f before2.tsv $f || { cat out err; return 1; }
    done
'

test_expect_success 'a single folder by its display name' '
    ms_imap export --from "$(imaps_url "Données/Été")" --to eml -o one &&
    test "$rc" = 0 &&
    find one -name "*.eml" >files && test "$(wc -l <files)" = 1 &&
    grep -q "^one/Données/Été/" files
'

test_expect_success 'an unknown folder is named in the error' '
    ms_imap export --from "$(imaps_url NoSuchFolder)" --to eml -o none &&
    test "$rc" = 2 && grep -q "no folder .NoSuchFolder." err
'

test_expect_success 'STARTTLS on imap:// gives the same messages' '
    ms_imap export --from "$(imap_url)" --to eml -o starttls &&
    test "$rc" = 0 && tool check-eml before2.tsv starttls
'

test_done
