#!/bin/bash
# mailsave doctor, the login: a password source is used, one that fails is
# named, and a wrong password gets the server's own words and advice, over
# IMAP and POP3 (last: Dovecot slows down this address after them).
. "$SRCDIR/tests/imap/lib.sh"

new_user t6030
export MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA

test_expect_success 'the password from --password-file is used' '
    printf "%s\n" "$USER_PASS" >pw && chmod 600 pw &&
    run_ms doctor --password-file pw "$(imaps_url)" && test "$rc" = 0 &&
    grep -q "\(✔\|!\) login .*logged in" out
'

test_expect_success 'a password file that cannot be read is named' '
    run_ms doctor --password-file nonexistent "$(imaps_url)" &&
    test "$rc" = 1 && grep -q "✘ password" out &&
    grep -q "→ check --password-file" out
'

test_expect_success 'a wrong password: the server says so, advice follows' '
    MAILSAVE_PASSWORD=wrong-$USER_PASS run_ms doctor "$(imaps_url)" &&
    test "$rc" = 1 &&
    grep -q "✘ login .*AUTHENTICATE PLAIN refused; the server said: NO \[AUTHENTICATIONFAILED\] Authentication failed" out &&
    grep -q "→ check the user name and the password.*app-specific password" out &&
    grep -q "Verdict: 1 problem found; first: login" out
'

test_expect_success 'the same over POP3' '
    MAILSAVE_PASSWORD=wrong-$USER_PASS run_ms doctor "$(pop3s_url)" &&
    test "$rc" = 1 &&
    grep -q "✘ login .*the server said: -ERR \[AUTH\] Authentication failed" out &&
    grep -q "→ check the user name and the password" out
'

test_done
