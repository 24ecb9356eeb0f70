#!/bin/bash
# POP3: pop3s:// and pop3:// (STLS) export INBOX exactly as poplib reads
# it; nothing on the server changes (no DELE, no QUIT, so Dovecot does not
# even mark the messages \Seen); a second run fetches nothing; a new
# message is the only one fetched next time.  Cut and drip-fed
# connections skip one message, which the next run fetches.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3060
tool seed "$USER_NAME" "$USER_PASS" || exit 1
tool big "$USER_NAME" "$USER_PASS" INBOX 3 >/dev/null || exit 1
tool pop3-dump "$USER_NAME" "$USER_PASS" pop3.tsv || exit 1
tool dump "$USER_NAME" "$USER_PASS" imap-before.tsv || exit 1

test_expect_success 'list counts INBOX' '
    ms_imap list --from "$(pop3s_url)" && test "$rc" = 0 &&
    grep -q "^9	.*	INBOX$" out
'

test_expect_success 'pop3s:// to eml: exactly what poplib reads' '
    ms_imap export --from "$(pop3s_url)" --to eml -o eml &&
    cat err && test "$rc" = 0 && tool check-eml pop3.tsv eml
'

test_expect_success 'pop3:// with STLS to mbox' '
    ms_imap export --from "$(pop3_url)" --to mbox -o mbox &&
    test "$rc" = 0 && test "$(grep -c "^From " mbox/INBOX.mbox)" = 9
'

test_expect_success 'nothing changed on the server (not even \Seen)' '
    tool dump "$USER_NAME" "$USER_PASS" imap-after.tsv &&
    test_cmp imap-before.tsv imap-after.tsv
'

test_expect_success 'a second run fetches nothing' '
    ms_imap export --from "$(pop3s_url)" --to eml -o eml --json &&
    test "$rc" = 0 && grep -q "\"messages\":0," out &&
    grep -q "\"unchanged\":9," out
'

printf 'From: new@example.org\r\nSubject: pop new\r\n\r\n.dot line\r\n..two\r\n' >new.eml
test_expect_success 'a new message is the only one fetched' '
    tool append "$USER_NAME" "$USER_PASS" INBOX "" 1700000000 new.eml \
        >/dev/null &&
    tool pop3-dump "$USER_NAME" "$USER_PASS" pop3b.tsv &&
    ms_imap export --from "$(pop3s_url)" --to eml -o eml --json &&
    test "$rc" = 0 && grep -q "\"messages\":1," out &&
    tool check-eml pop3b.tsv eml
'

# The first connection cut during the login, the second in the middle of
# the 3 MB message, the others left alone.
start_proxy "$MAILSAVE_POP3S_PORT" 2000,400000
purl="pop3s://$USER_NAME@$HOST:$PROXY_PORT"
test_expect_success 'a cut connection skips one message, goes on (exit 1)' '
    ms_imap export --from "$purl" --to eml -o cut &&
    cat err && test "$rc" = 1 && grep -q "connection lost" err
'
test_expect_success 'the next run fetches the skipped one' '
    ms_imap export --from "$purl" --to eml -o cut --json &&
    test "$rc" = 0 && grep -q "\"messages\":1," out &&
    tool check-eml pop3b.tsv cut
'
stop_proxy

# A server that drip-feeds the 3 MB message (a byte every 0.2 s, never
# silent for the 1 s time-out) is cut after four time-outs of too little
# data: that message is skipped and named, the others are saved, and the
# next run fetches it.
start_proxy "$MAILSAVE_POP3S_PORT" d300000
purl="pop3s://$USER_NAME@$HOST:$PROXY_PORT"
test_expect_success 'a drip-feeding server is cut; one message skipped (exit 1)' '
    ms_imap export --timeout 1 --from "$purl" --to eml -o drip &&
    cat err && test "$rc" = 1 && grep -q "too slow" err
'
test_expect_success 'the next run fetches the one that was cut' '
    ms_imap export --from "$purl" --to eml -o drip --json &&
    test "$rc" = 0 && grep -q "\"messages\":1," out &&
    tool check-eml pop3b.tsv drip
'
stop_proxy

test_expect_success 'a wrong password: the server says why, exit 3' '
    MAILSAVE_PASSWORD=nope MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA run_ms list \
        --from "$(pop3s_url)" && test "$rc" = 3 && grep -q "refused" err
'

test_expect_success 'an untrusted certificate is refused before login' '
    MAILSAVE_PASSWORD=$USER_PASS run_ms list --from "$(pop3s_url)" &&
    test "$rc" = 3 && grep -q "not trusted" err
'

test_done
