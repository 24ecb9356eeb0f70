#!/bin/bash
# mailsave doctor, the certificate: not trusted without --ca-file (a
# private CA), signed by another CA, expired, for another host name, and
# a pin that does not match; each with its diagnosis and advice, the
# fingerprint to pin, and no password sent.
. "$SRCDIR/tests/imap/lib.sh"

new_user t6020
export MAILSAVE_PASSWORD=$USER_PASS
fp=$(openssl x509 -in "$MAILSAVE_DOVECOT_ROOT/tls/server.crt" -noout \
    -fingerprint -sha256 | sed 's/.*=//')

# no_login ADDR: the password never reached the server for this user.
no_login() {
    ! grep -q "user=<$USER_NAME>, method=.*rip=.*lip=$1" \
        "$MAILSAVE_DOVECOT_LOG"
}

test_expect_success 'without --ca-file: not trusted, give --ca-file or --pin' '
    run_ms doctor "$(imaps_url)" && test "$rc" = 1 &&
    grep -q "✘ certificate .*not trusted: unable to get local issuer certificate (issued by .*mailsave test CA)" out &&
    grep -q "→ for a private CA give --ca-file" out &&
    grep -q "pin .*--pin sha256:$fp" out &&
    grep -q "✔ hostname" out && grep -q "✔ expiry" out &&
    grep -q "! login .*not tried: the password is not sent" out
'

test_expect_success 'another CA: is --ca-file the CA that signed it?' '
    run_ms doctor --ca-file "$MAILSAVE_TEST_OTHER_CA" "$(imaps_url)" &&
    test "$rc" = 1 && grep -q "✘ certificate .*not trusted" out &&
    grep -q "→ is --ca-file the CA that signed it" out
'

test_expect_success 'an expired certificate: the administrator must renew it' '
    run_ms doctor --ca-file "$MAILSAVE_TEST_CA" \
        "imaps://$USER_NAME@$MAILSAVE_TEST_EXPIRED_ADDR:$MAILSAVE_IMAPS_PORT" &&
    test "$rc" = 1 && grep -q "✘ expiry .*expired on 2020-01-02" out &&
    grep -q "→ the server.s administrator must renew it" out &&
    grep -q "✔ certificate" out && grep -q "✔ hostname" out &&
    no_login "$MAILSAVE_TEST_EXPIRED_ADDR"
'

test_expect_success 'a certificate for another host: the names it is for' '
    run_ms doctor --ca-file "$MAILSAVE_TEST_CA" \
        "imaps://$USER_NAME@$MAILSAVE_TEST_WRONGHOST_ADDR:$MAILSAVE_IMAPS_PORT" &&
    test "$rc" = 1 &&
    grep -q "✘ hostname .*name mismatch: the certificate is for wrong.example.org, not $MAILSAVE_TEST_WRONGHOST_ADDR" out &&
    grep -q "→ connect with a name the certificate is for (wrong.example.org)" out &&
    no_login "$MAILSAVE_TEST_WRONGHOST_ADDR"
'

test_expect_success 'STARTTLS is checked the same way' '
    run_ms doctor "$(imap_url)" && test "$rc" = 1 &&
    grep -q "✔ greeting" out && grep -q "✘ certificate .*not trusted" out
'

test_expect_success 'a pin that does not match: the real fingerprint shown' '
    run_ms doctor --pin "sha256:$(echo "$fp" | tr 0-9A-F A-F0-9)" \
        "$(imaps_url)" && test "$rc" = 1 &&
    grep -q "✘ certificate .*does not match --pin: it is sha256:$fp" out
'

test_expect_success '--insecure: the problem is a warning, the login goes on' '
    run_ms doctor --insecure \
        "imaps://$USER_NAME@$MAILSAVE_TEST_EXPIRED_ADDR:$MAILSAVE_IMAPS_PORT" &&
    test "$rc" = 0 && grep -q "! expiry .*expired" out &&
    grep -q "accepted anyway because of --insecure" out &&
    grep -q "\(✔\|!\) login .*logged in" out
'

test_done
