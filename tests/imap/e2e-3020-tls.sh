#!/bin/bash
# TLS: the certificate is checked before the password is sent.  A server
# whose certificate the system store does not trust, one signed by another
# CA, one for another host name and an expired one are refused (exit 3)
# unless the user says otherwise (a CA file, a pin, or the loudly warned
# insecure mode); imap:// insists on STARTTLS unless TLS is turned off.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3020
printf 'From: a@example.org\r\nSubject: tls\r\n\r\nsecret\r\n' >m.eml
tool append "$USER_NAME" "$USER_PASS" INBOX "" 1500000000 m.eml >/dev/null ||
    exit 1
export MAILSAVE_PASSWORD=$USER_PASS
url=$(imaps_url)
fp=$(openssl x509 -in "$MAILSAVE_DOVECOT_ROOT/tls/server.crt" -noout \
    -fingerprint -sha256 | sed 's/.*=//')

# no_login: the password never reached the server for this user.
no_login() {
    ! grep -q "user=<$USER_NAME>, method=.*rip=.*lip=$1" \
        "$MAILSAVE_DOVECOT_LOG"
}

test_expect_success 'a certificate the system does not trust is refused' '
    run_ms export --from "$url" --to eml -o o1 &&
    test "$rc" = 3 &&
    grep -q "not trusted" err && grep -q "sha256:$fp" err &&
    test ! -e o1/INBOX
'

test_expect_success 'the CA file makes it trusted' '
    MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA run_ms export --from "$url" --to eml \
        -o o2 && test "$rc" = 0 && test "$(find o2 -name "*.eml" | wc -l)" = 1
'

test_expect_success 'the command-line options do the same, and win over the environment' '
    MAILSAVE_CA_FILE=$MAILSAVE_TEST_OTHER_CA run_ms export --from "$url" \
        --ca-file "$MAILSAVE_TEST_CA" --to eml -o o2b && test "$rc" = 0 &&
    run_ms export --from "$url" --pin "sha256:$fp" --to eml -o o2c &&
    test "$rc" = 0 &&
    run_ms export --from "$url" --pin "md5:00" --to eml -o o2d &&
    test "$rc" = 2 && grep -q -- "--pin takes sha256:HEX" err
'

test_expect_success 'another CA does not' '
    MAILSAVE_CA_FILE=$MAILSAVE_TEST_OTHER_CA run_ms export --from "$url" \
        --to eml -o o3 && test "$rc" = 3 && grep -q "not trusted" err
'

test_expect_success 'a certificate for another host name is refused' '
    MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA run_ms export --from \
        "imaps://$USER_NAME@$MAILSAVE_TEST_WRONGHOST_ADDR:$MAILSAVE_IMAPS_PORT" \
        --to eml -o o4 && test "$rc" = 3 && grep -q "mismatch" err &&
    no_login "$MAILSAVE_TEST_WRONGHOST_ADDR"
'

test_expect_success 'an expired certificate is refused' '
    MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA run_ms export --from \
        "imaps://$USER_NAME@$MAILSAVE_TEST_EXPIRED_ADDR:$MAILSAVE_IMAPS_PORT" \
        --to eml -o o5 && test "$rc" = 3 && grep -q "expired" err &&
    no_login "$MAILSAVE_TEST_EXPIRED_ADDR"
'

test_expect_success 'the right pin is enough on its own' '
    MAILSAVE_PIN="sha256:$fp" run_ms export --from "$url" --to eml -o o6 &&
    test "$rc" = 0
'

test_expect_success 'a wrong pin is refused and the real one is shown' '
    MAILSAVE_PIN="sha256:$(echo "$fp" | tr 0-9A-F A-F0-9)" run_ms export \
        --from "$url" --to eml -o o7 && test "$rc" = 3 &&
    grep -q "does not match the pin" err && grep -q "$fp" err
'

test_expect_success 'insecure mode (--insecure) works and warns loudly' '
    run_ms export --insecure --from \
        "imaps://$USER_NAME@$MAILSAVE_TEST_EXPIRED_ADDR:$MAILSAVE_IMAPS_PORT" \
        --to eml -o o8 && test "$rc" = 0 && grep -q "WARNING" err
'

test_expect_success 'imap:// with STARTTLS checks the certificate too' '
    run_ms export --from "$(imap_url)" --to eml -o o9 &&
    test "$rc" = 3 && grep -q "not trusted" err &&
    MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA run_ms export --from "$(imap_url)" \
        --to eml -o o10 && test "$rc" = 0
'

test_expect_success 'plain text only when asked for' '
    MAILSAVE_TLS=none run_ms export --from "$(imap_url)" --to eml -o o11 &&
    test "$rc" = 0 && test "$(find o11 -name "*.eml" | wc -l)" = 1
'

test_expect_success 'no TLS on imaps:// is a contradiction' '
    MAILSAVE_TLS=none run_ms export --from "$url" --to eml -o o12 &&
    test "$rc" = 2 && grep -q "contradicts" err
'

test_done
