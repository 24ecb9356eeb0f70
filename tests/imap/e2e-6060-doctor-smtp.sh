#!/bin/bash
# mailsave doctor HOST (a bare host: IMAP, POP3 and SMTP submission on
# their usual ports, moved here to the test Dovecot's with
# MAILSAVE_DOCTOR_PORTS): SMTP submission with implicit TLS (465) and
# with STARTTLS (587), its EHLO extensions and AUTH mechanisms, and the
# two TLS mismatches with the outgoing-server setting to change.  Needs
# dovecot-submissiond (skipped without it).
. "$SRCDIR/tests/imap/lib.sh"

[ -n "${MAILSAVE_SUBMISSION_PORT:-}" ] && [ -n "${MAILSAVE_SUBMISSIONS_PORT:-}" ] ||
    skip "dovecot-submissiond is not installed (no SMTP submission)"
export MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA
SUB=$MAILSAVE_SUBMISSION_PORT
SUBS=$MAILSAVE_SUBMISSIONS_PORT
ports="993=$MAILSAVE_IMAPS_PORT 143=$MAILSAVE_IMAP_PORT"
ports="$ports 995=$MAILSAVE_POP3S_PORT 110=$MAILSAVE_POP3_PORT"

# section PORT: the checklist lines of HOST:PORT.
section() {
    sed -n "/^$HOST:$1:\$/,/^[^ ]/p" out | sed '1d;/^[^ ]/d'
}

test_expect_success 'a bare host: every service checked, a clean bill' '
    MAILSAVE_DOCTOR_PORTS="$ports 465=$SUBS 587=$SUB" run_ms doctor "$HOST" &&
    test "$rc" = 0 && ! grep -q "✘" out &&
    for p in $MAILSAVE_IMAPS_PORT $MAILSAVE_IMAP_PORT $MAILSAVE_POP3S_PORT \
        $MAILSAVE_POP3_PORT $SUBS $SUB; do
        grep -q "^$HOST:$p:\$" out || exit 1
    done &&
    grep -q "Verdict: the server is reachable and its TLS is sound" out
'

test_expect_success 'submission, implicit TLS (465): TLS, certificate, EHLO' '
    MAILSAVE_DOCTOR_PORTS="$ports 465=$SUBS 587=$SUB" run_ms doctor "$HOST" &&
    section "$SUBS" >s465 &&
    grep -q "✔ tcp .*port $SUBS (smtps) accepts connections" s465 &&
    grep -q "✔ tls .*TLSv1\.[23]" s465 &&
    grep -q "✔ certificate .*trusted" s465 &&
    grep -q "· pin .*--pin sha256:" s465 &&
    grep -q "✔ greeting .*220 .*Dovecot" s465 &&
    grep -q "✔ capabilities .*PIPELINING.*8BITMIME.*AUTH: PLAIN LOGIN CRAM-MD5" s465
'

test_expect_success 'submission, STARTTLS (587): greeting, then TLS, EHLO' '
    MAILSAVE_DOCTOR_PORTS="$ports 465=$SUBS 587=$SUB" run_ms doctor "$HOST" &&
    section "$SUB" >s587 &&
    grep -q "✔ tcp .*port $SUB (submission) accepts connections" s587 &&
    grep -n "" s587 | grep "✔ greeting .*220 " | cut -d: -f1 >g &&
    grep -n "" s587 | grep "✔ tls .*TLSv1\.[23]" | cut -d: -f1 >t &&
    test "$(cat g)" -lt "$(cat t)" &&
    grep -q "✔ certificate .*trusted" s587 &&
    grep -q "✔ capabilities .*PIPELINING.*AUTH: PLAIN LOGIN CRAM-MD5" s587
'

test_expect_success '465 speaking plain text: set STARTTLS for the port' '
    MAILSAVE_DOCTOR_PORTS="$ports 465=$SUB 587=$SUB" run_ms doctor "$HOST" &&
    test "$rc" = 1 &&
    grep -q "✘ tls .*port $SUB speaks plain text, not TLS: the server greeted with \"220 " out &&
    grep -q "→ set the outgoing server.s security to STARTTLS for port $SUB" out
'

test_expect_success '587 expecting TLS at once: set SSL/TLS for the port' '
    MAILSAVE_DOCTOR_PORTS="$ports 465=$SUBS 587=$SUBS" run_ms doctor \
        --timeout 3 "$HOST" && test "$rc" = 1 &&
    grep -q "✘ tls .*port $SUBS expects TLS from the first byte" out &&
    grep -q "→ set the outgoing server.s security to SSL/TLS for port $SUBS" out
'

test_expect_success 'an untrusted certificate on submission is named too' '
    MAILSAVE_CA_FILE= MAILSAVE_DOCTOR_PORTS="$ports 465=$SUBS 587=$SUB" \
        run_ms doctor "$HOST" && test "$rc" = 1 &&
    section "$SUBS" | grep -q "✘ certificate .*not trusted"
'

test_done
