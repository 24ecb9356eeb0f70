# Shared helpers for the IMAP/POP3 end-to-end scripts (sourced).  On top of
# tests/e2e/lib.sh: the private Dovecot's coordinates from the env file
# start.sh wrote (CTest passes its path in MAILSAVE_IMAP_ENV), a fresh
# account per script, and the Python tool that seeds and checks.
. "$SRCDIR/tests/e2e/lib.sh"

[ -n "${MAILSAVE_IMAP_ENV:-}" ] && [ -r "$MAILSAVE_IMAP_ENV" ] ||
    skip "no test Dovecot (tests/imap/start.sh skipped or did not run)"
. "$MAILSAVE_IMAP_ENV"
export MAILSAVE_IMAPS_PORT MAILSAVE_IMAP_PORT MAILSAVE_POP3_PORT \
    MAILSAVE_POP3S_PORT MAILSAVE_TEST_CA
command -v python3 >/dev/null || skip "python3 is not installed"

IMAPTOOL="python3 $SRCDIR/tests/imap/imaptool.py"
HOST=$MAILSAVE_IMAP_HOST
# Back off quickly between reconnections in tests.
export MAILSAVE_BACKOFF_MS=50
# No password or TLS settings from the caller's environment.
unset MAILSAVE_PASSWORD MAILSAVE_PASSWORD_FILE MAILSAVE_PASSWORD_COMMAND \
    MAILSAVE_CA_FILE MAILSAVE_INSECURE MAILSAVE_PIN MAILSAVE_TLS MAILSAVE_AUTH

# new_user NAME: add an account NAME (made unique for this run) with its
# own password; sets $USER_NAME and $USER_PASS.
new_user() {
    USER_NAME=$1_$$_$(date +%s%N | tail -c 7)
    USER_PASS=pw-$USER_NAME-$RANDOM
    printf '%s:{PLAIN}%s::::::\n' "$USER_NAME" "$USER_PASS" \
        >>"$MAILSAVE_TEST_PASSWD"
    tool wait-login "$USER_NAME" "$USER_PASS"
}

imaps_url() { echo "imaps://$USER_NAME@$HOST:$MAILSAVE_IMAPS_PORT${1:+/$1}"; }
imap_url() { echo "imap://$USER_NAME@$HOST:$MAILSAVE_IMAP_PORT${1:+/$1}"; }
pop3s_url() { echo "pop3s://$USER_NAME@$HOST:$MAILSAVE_POP3S_PORT"; }
pop3_url() { echo "pop3://$USER_NAME@$HOST:$MAILSAVE_POP3_PORT"; }

# ms_imap ARGS...: run mailsave trusting the test CA, with the password
# in the environment (rc, out, err as run_ms).
ms_imap() {
    MAILSAVE_PASSWORD=$USER_PASS MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA \
        run_ms "$@"
}

tool() { $IMAPTOOL "$@"; }

# start_proxy PORT CUTS: a loopback proxy to PORT that cuts its Nth
# connection after CUTS[N] bytes from the server (cutproxy.py); sets
# PROXY_PORT.  stop_proxy ends it (and the EXIT trap does too).
proxy_pid=
start_proxy() {
    rm -f "$TRASH/port"
    python3 "$SRCDIR/tests/imap/cutproxy.py" "$1" "$TRASH/port" "$2" \
        >"$TRASH/proxy.log" 2>&1 &
    proxy_pid=$!
    for _ in $(seq 1 50); do
        [ -s "$TRASH/port" ] && break
        sleep 0.1
    done
    PROXY_PORT=$(cat "$TRASH/port")
}
stop_proxy() {
    [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
    [ -n "$proxy_pid" ] && wait "$proxy_pid" 2>/dev/null
    proxy_pid=
}
trap 'stop_proxy; rm -rf "$TRASH"' EXIT
