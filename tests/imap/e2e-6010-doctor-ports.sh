#!/bin/bash
# mailsave doctor, the connection: a name that does not exist, a closed
# port (refused), TLS expected on a plain port and plain text expected on
# a TLS port, each with its own diagnosis naming the setting to change.
. "$SRCDIR/tests/imap/lib.sh"

new_user t6010
export MAILSAVE_PASSWORD=$USER_PASS MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA
closed=$(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

test_expect_success 'a name that does not exist: said so, exit 1' '
    run_ms doctor "imaps://$USER_NAME@no-such-host.invalid" &&
    test "$rc" = 1 &&
    grep -q "✘ dns .*no-such-host.invalid does not exist in DNS" out &&
    grep -q "→ check the spelling of the server name" out &&
    ! grep -q "tcp" out
'

test_expect_success 'a closed port: connection refused, check the port' '
    run_ms doctor "imaps://$USER_NAME@127.0.0.1:$closed" && test "$rc" = 1 &&
    grep -q "✘ tcp .*port $closed (imaps): connection refused" out &&
    grep -q "→ nothing listens on this port: check the port number" out &&
    grep -q "Verdict: 1 problem found" out
'

test_expect_success 'imaps:// to the STARTTLS port: it speaks plain text' '
    run_ms doctor "imaps://$USER_NAME@$HOST:$MAILSAVE_IMAP_PORT" &&
    test "$rc" = 1 &&
    grep -q "✘ tls .*port $MAILSAVE_IMAP_PORT speaks plain text, not TLS" out &&
    grep -q "→ use imap://$HOST:$MAILSAVE_IMAP_PORT (STARTTLS on this port)" out &&
    ! grep -q "login" out
'

test_expect_success 'imap:// to the TLS port: it expects TLS at once' '
    run_ms doctor "imap://$USER_NAME@$HOST:$MAILSAVE_IMAPS_PORT" &&
    test "$rc" = 1 &&
    grep -q "✘ tls .*port $MAILSAVE_IMAPS_PORT expects TLS from the first byte" out &&
    grep -q "→ use imaps://$HOST:$MAILSAVE_IMAPS_PORT" out &&
    ! grep -q "✔ tls" out
'

test_expect_success 'the same for POP3, with the POP3 settings named' '
    run_ms doctor "pop3s://$USER_NAME@$HOST:$MAILSAVE_POP3_PORT" &&
    test "$rc" = 1 && grep -q "speaks plain text" out &&
    grep -q "→ use pop3://$HOST:$MAILSAVE_POP3_PORT" out &&
    run_ms doctor "pop3://$USER_NAME@$HOST:$MAILSAVE_POP3S_PORT" &&
    test "$rc" = 1 && grep -q "expects TLS from the first byte" out &&
    grep -q "→ use pop3s://$HOST:$MAILSAVE_POP3S_PORT" out
'

test_expect_success 'a bare host: DNS shown, closed services are no failure' '
    run_ms doctor localhost &&
    grep -q "✔ dns .*localhost resolves to" out &&
    case $rc in 0|1) true ;; *) false ;; esac &&
    run_ms doctor no-such-host.invalid && test "$rc" = 1 &&
    grep -q "does not exist in DNS" out
'

test_done
