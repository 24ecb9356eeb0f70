#!/bin/bash
# mailsave doctor logs in with the same code as export (net.c chooses the
# mechanism and speaks SASL) and says which mechanism worked: IMAP
# AUTHENTICATE PLAIN by default, LOGIN and CRAM-MD5 when asked; POP3 AUTH
# PLAIN, USER/PASS, APOP, CRAM-MD5; PLAIN after STARTTLS where plaintext
# logins are disabled; a refusal names the mechanism.
. "$SRCDIR/tests/imap/lib.sh"

new_user t6050
export MAILSAVE_PASSWORD=$USER_PASS MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA

# ok_with HOW: doctor logged in with HOW, exit 0.
ok_with() {
    test "$rc" = 0 &&
        grep -q "\(✔\|!\) login .*logged in as $USER_NAME with $1 (" out
}

test_expect_success 'IMAP: AUTHENTICATE PLAIN by default, LOGIN, CRAM-MD5' '
    run_ms doctor "$(imaps_url)" && ok_with "AUTHENTICATE PLAIN" &&
    run_ms doctor --auth login "$(imaps_url)" && ok_with LOGIN &&
    run_ms doctor --auth cram-md5 "$(imap_url)" &&
    ok_with "AUTHENTICATE CRAM-MD5"
'

test_expect_success 'POP3: AUTH PLAIN, USER/PASS, APOP, AUTH CRAM-MD5' '
    run_ms doctor "$(pop3s_url)" && ok_with "AUTH PLAIN" &&
    run_ms doctor --auth login "$(pop3s_url)" && ok_with USER/PASS &&
    run_ms doctor --auth apop "$(pop3_url)" && ok_with APOP &&
    run_ms doctor --auth cram-md5 "$(pop3s_url)" && ok_with "AUTH CRAM-MD5"
'

test_expect_success 'plaintext logins disabled: STARTTLS, then PLAIN' '
    run_ms doctor \
        "imap://$USER_NAME@$MAILSAVE_TEST_NOPLAIN_ADDR:$MAILSAVE_IMAP_PORT" &&
    grep -q "✔ greeting .*LOGINDISABLED AUTH=CRAM-MD5\]" out &&
    grep -q "✔ tls" out && ok_with "AUTHENTICATE PLAIN"
'

test_expect_success 'a mechanism the server lacks: named, with what it has' '
    run_ms doctor --auth apop "$(imaps_url)" && test "$rc" = 1 &&
    grep -q "✘ login .*does not offer APOP; it offers LOGIN PLAIN CRAM-MD5" out
'

test_expect_success 'a wrong password: the refusal names the mechanism' '
    MAILSAVE_PASSWORD=wrong-$USER_PASS run_ms doctor --auth cram-md5 \
        "$(imaps_url)" && test "$rc" = 1 &&
    grep -q "✘ login .*AUTHENTICATE CRAM-MD5 refused; the server said: NO \[AUTHENTICATIONFAILED\]" out &&
    ! grep -q "wrong-" out
'

test_done
