#!/bin/bash
# mailsave doctor, a truly self-signed certificate (signed by its own key,
# no CA; served on 127.0.0.4): doctor says "self-signed", prints the pin,
# sends no password; the pin it printed then works, for doctor and for an
# export, which refuses the certificate without it.
. "$SRCDIR/tests/imap/lib.sh"

new_user t6025
export MAILSAVE_PASSWORD=$USER_PASS
ADDR=$MAILSAVE_TEST_SELFSIGNED_ADDR
url="imaps://$USER_NAME@$ADDR:$MAILSAVE_IMAPS_PORT"
fp=$(openssl x509 -in "$MAILSAVE_DOVECOT_ROOT/tls/selfsigned.crt" -noout \
    -fingerprint -sha256 | sed 's/.*=//')

# no_login: the password never reached the server on this address.
no_login() {
    ! grep -q "user=<$USER_NAME>, method=.*rip=.*lip=$ADDR" \
        "$MAILSAVE_DOVECOT_LOG"
}

test_expect_success 'self-signed: said so, check the fingerprint, --pin' '
    run_ms doctor "$url" && test "$rc" = 1 &&
    grep -q "✘ certificate .*self-signed (/CN=selfsigned mailsave test), not trusted" out &&
    grep -q "→ check the fingerprint below with the server.s administrator, then use --pin" out &&
    grep -q "· pin .*to accept exactly this certificate: --pin sha256:$fp\$" out &&
    grep -q "✔ hostname .*for $ADDR" out && grep -q "✔ expiry" out &&
    grep -q "! login .*not tried: the password is not sent" out &&
    grep -q "Verdict: 1 problem found; first: certificate: self-signed" out &&
    no_login
'

test_expect_success 'with --ca-file (another CA): it does not hold this one' '
    run_ms doctor --ca-file "$MAILSAVE_TEST_CA" "$url" && test "$rc" = 1 &&
    grep -q "✘ certificate .*self-signed" out &&
    grep -q "→ --ca-file does not hold this certificate" out && no_login
'

test_expect_success 'an export refuses it, naming the fingerprint' '
    run_ms list --from "$url" && test "$rc" = 3 &&
    grep -q "not trusted: self-signed certificate (sha256:$fp)" err &&
    no_login
'

test_expect_success 'the pin doctor printed: trusted, logged in, exit 0' '
    run_ms doctor --pin "sha256:$fp" "$url" && test "$rc" = 0 &&
    grep -q "✔ certificate .*matches --pin" out &&
    grep -q "\(✔\|!\) login .*logged in as $USER_NAME with AUTHENTICATE PLAIN" out &&
    run_ms list --pin "sha256:$fp" --from "$url" && test "$rc" = 0
'

test_expect_success 'STARTTLS on the same address: the same diagnosis' '
    run_ms doctor "imap://$USER_NAME@$ADDR:$MAILSAVE_IMAP_PORT" &&
    test "$rc" = 1 && grep -q "✔ greeting" out &&
    grep -q "✘ certificate .*self-signed" out &&
    grep -q "· pin .*--pin sha256:$fp\$" out
'

test_done
