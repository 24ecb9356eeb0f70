#!/bin/bash
# Start a private Dovecot for the IMAP and POP3 tests (the chasquid
# pattern, research/style.md 8.8): a fresh temporary ROOT holding its
# config (rendered from dovecot-2.3.conf.in), a new CA and certificates,
# a passwd-file, the Maildir storage, the log and the runtime directory;
# IMAP (STARTTLS), IMAPS, POP3 (STLS) and POP3S listeners on free
# loopback ports, and SMTP submission (STARTTLS and implicit TLS) when
# dovecot-submissiond is installed.  Dovecot runs in the foreground (-F) in the background
# of this script, detached, and is stopped by stop.sh with its PID.
#
# usage: start.sh ENVFILE   (MAILSAVE_DOVECOT: the dovecot binary to run)
# ENVFILE receives shell assignments the tests source (see the end).
# Exit 77 (skip) when Dovecot 2.3 or a tool is missing; 1 on failure.
set -u
ENVFILE=${1:?usage: start.sh ENVFILE}
HERE=$(cd "$(dirname "$0")" && pwd)

skip() { echo "SKIP: $*"; rm -f "$ENVFILE"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# A previous run killed before its stop.sh: stop that Dovecot first (only
# the PID recorded in our env file, and only if it is still our Dovecot).
if [ -r "$ENVFILE" ]; then
    old_pid=$(sed -n 's/^MAILSAVE_DOVECOT_PID=//p' "$ENVFILE")
    old_root=$(sed -n 's/^MAILSAVE_DOVECOT_ROOT=//p' "$ENVFILE")
    if [ -n "$old_pid" ] && [ -n "$old_root" ] &&
        tr '\0' ' ' <"/proc/$old_pid/cmdline" 2>/dev/null |
        grep -qF "$old_root/dovecot.conf"; then
        kill "$old_pid" 2>/dev/null
        sleep 1
    fi
    case $old_root in /*/mailsave-dovecot.*) rm -rf "$old_root" ;; esac
    rm -f "$ENVFILE"
fi

# MAILSAVE_DOVECOT names another binary (or a missing one, to try the skip).
DOVECOT=${MAILSAVE_DOVECOT:-$(command -v dovecot || ls /usr/sbin/dovecot \
    2>/dev/null)}
[ -n "$DOVECOT" ] && [ -x "$DOVECOT" ] ||
    skip "dovecot is not installed (Debian: dovecot-imapd dovecot-pop3d)"
version=$("$DOVECOT" --version 2>/dev/null) || skip "dovecot --version failed"
case $version in
2.3.*) template=$HERE/dovecot-2.3.conf.in ;;
*) skip "no config template for dovecot $version (only 2.3)" ;;
esac
[ -x /usr/lib/dovecot/imap ] || skip "dovecot-imapd is not installed"
[ -x /usr/lib/dovecot/pop3 ] || skip "dovecot-pop3d is not installed"
for tool in openssl envsubst python3 setsid; do
    command -v $tool >/dev/null || skip "$tool is not installed"
done

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/mailsave-dovecot.XXXXXX") ||
    fail "mktemp"
chmod 755 "$ROOT"
mkdir -p "$ROOT/tls" "$ROOT/mail" "$ROOT/home" || fail "mkdir"

# Who the processes run as.  As a normal user, Dovecot runs everything as
# that user.  As root (CI), login and internal processes need
# unprivileged users and the mail belongs to nobody.
if [ "$(id -u)" = 0 ]; then
    if getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null
    then
        INTERNAL_USER=dovecot
        LOGIN_USER=dovenull
    else
        INTERNAL_USER=nobody
        LOGIN_USER=nobody
    fi
    INTERNAL_GROUP=$(id -gn "$INTERNAL_USER")
    MAIL_UID=$(id -u nobody)
    MAIL_GID=$(id -g nobody)
    chown "$MAIL_UID:$MAIL_GID" "$ROOT/mail" "$ROOT/home" || fail "chown"
else
    INTERNAL_USER=$(id -un)
    LOGIN_USER=$INTERNAL_USER
    INTERNAL_GROUP=$(id -gn)
    MAIL_UID=$(id -u)
    MAIL_GID=$(id -g)
fi
FIRST_UID=$MAIL_UID
FIRST_GID=$MAIL_GID
export ROOT INTERNAL_USER INTERNAL_GROUP LOGIN_USER MAIL_UID MAIL_GID
export FIRST_UID FIRST_GID

# --- Certificates: a CA, the server's, an expired one, one for another
# host, a second CA that signed nothing we serve, and a self-signed one
# (a server certificate signed by its own key, as `make-ssl-cert` and
# appliances make them). ---
make_certs() {
    local d=$ROOT/tls
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
            -keyout ca.key -out ca.crt -subj "/CN=mailsave test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
            -keyout other-ca.key -out other-ca.crt \
            -subj "/CN=mailsave other CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" || exit 1
        for name in server wronghost expired; do
            case $name in
            server) san="DNS:localhost,IP:127.0.0.1,IP:127.0.0.5" ;;
            wronghost) san="DNS:wrong.example.org" ;;
            expired) san="DNS:localhost,IP:127.0.0.1,IP:127.0.0.3" ;;
            esac
            cat >"$name.ext" <<EOF
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF
            openssl req -newkey rsa:2048 -nodes -keyout "$name.key" \
                -out "$name.csr" -subj "/CN=$name mailsave test" || exit 1
        done
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
            -set_serial 1001 -days 825 -extfile server.ext \
            -out server.crt || exit 1
        openssl x509 -req -in wronghost.csr -CA ca.crt -CAkey ca.key \
            -set_serial 1002 -days 825 -extfile wronghost.ext \
            -out wronghost.crt || exit 1
        # An honestly expired certificate (valid for one day in 2020)
        # needs `openssl ca`, the only tool that takes explicit dates.
        mkdir -p ca.db && : >ca.db/index.txt && echo 1003 >ca.db/serial
        cat >ca.cnf <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $d/ca.db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
certificate = $d/ca.crt
private_key = $d/ca.key
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[ any ]
commonName = supplied
EOF
        openssl ca -batch -notext -config ca.cnf -in expired.csr \
            -startdate 20200101000000Z -enddate 20200102000000Z \
            -extfile expired.ext -out expired.crt || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
            -keyout selfsigned.key -out selfsigned.crt \
            -subj "/CN=selfsigned mailsave test" \
            -addext "basicConstraints=critical,CA:FALSE" \
            -addext "keyUsage=digitalSignature,keyEncipherment" \
            -addext "extendedKeyUsage=serverAuth" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.4" || exit 1
        rm -f ./*.csr
        chmod 600 ./*.key
    ) >"$ROOT/openssl.log" 2>&1
}
make_certs || { cat "$ROOT/openssl.log" >&2; fail "could not make certificates"; }

# --- Users: name:{PLAIN}password, more are added by the tests. ---
cat >"$ROOT/passwd" <<EOF
test:{PLAIN}test-pass-1::::::
other:{PLAIN}other-pass-2::::::
EOF
chmod 644 "$ROOT/passwd"

free_ports() {
    python3 - <<'EOF'
import socket
socks = []
for _ in range(8):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

port_open() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()
except OSError:
    sys.exit(1)
EOF
}

# SMTP submission only when dovecot-submissiond is there (the tests that
# need it skip otherwise).
HAVE_SUBMISSION=
[ -x /usr/lib/dovecot/submission ] &&
    [ -x /usr/lib/dovecot/submission-login ] && HAVE_SUBMISSION=1

started=
for attempt in 1 2 3; do
    read -r PORT_IMAP PORT_IMAPS PORT_POP3 PORT_POP3S PORT_SUBMISSION \
        PORT_SUBMISSIONS PORT_OAUTH2 PORT_RELAY <<<"$(free_ports)"
    export PORT_IMAP PORT_IMAPS PORT_POP3 PORT_POP3S
    envsubst '${ROOT} ${INTERNAL_USER} ${INTERNAL_GROUP} ${LOGIN_USER}
        ${MAIL_UID} ${MAIL_GID} ${FIRST_UID} ${FIRST_GID} ${PORT_IMAP}
        ${PORT_IMAPS} ${PORT_POP3} ${PORT_POP3S}' \
        <"$template" >"$ROOT/dovecot.conf" || fail "envsubst"
    # OAuth2 tokens: POSTed to the introspection endpoint the OAuth2 test
    # runs (nothing listens there otherwise: those logins fail).
    cat >"$ROOT/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = http://127.0.0.1:$PORT_OAUTH2/introspect
username_attribute = username
active_attribute = active
active_value = true
EOF
    rm -f "$ROOT/submission.conf"
    if [ -n "$HAVE_SUBMISSION" ]; then
        # The relay is a port nothing listens on: only EHLO, STARTTLS
        # and AUTH are tested, nothing is sent.
        cat >"$ROOT/submission.conf" <<EOF
protocols = \$protocols submission
hostname = mailsave-test.localhost
submission_relay_host = 127.0.0.1
submission_relay_port = $PORT_RELAY
service submission-login {
  chroot =
  inet_listener submission {
    address = 127.0.0.1
    port = $PORT_SUBMISSION
  }
  inet_listener submissions {
    address = 127.0.0.1
    port = $PORT_SUBMISSIONS
    ssl = yes
  }
}
EOF
    fi
    # Detached from the test's pipes, or CTest would wait for Dovecot.
    setsid "$DOVECOT" -F -c "$ROOT/dovecot.conf" </dev/null \
        >>"$ROOT/dovecot.out" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        if port_open 127.0.0.1 "$PORT_IMAP" &&
            port_open 127.0.0.1 "$PORT_IMAPS" &&
            port_open 127.0.0.1 "$PORT_POP3" &&
            port_open 127.0.0.1 "$PORT_POP3S" &&
            { [ -z "$HAVE_SUBMISSION" ] ||
                { port_open 127.0.0.1 "$PORT_SUBMISSION" &&
                    port_open 127.0.0.1 "$PORT_SUBMISSIONS"; }; }; then
            started=1
            break
        fi
        sleep 0.1
    done
    [ -n "$started" ] && break
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "dovecot did not start (attempt $attempt):" >&2
    cat "$ROOT/dovecot.out" "$ROOT/dovecot.log" 2>/dev/null | tail -20 >&2
done
[ -n "$started" ] || fail "could not start dovecot"

tmp=$ENVFILE.tmp
cat >"$tmp" <<EOF
MAILSAVE_DOVECOT_ROOT=$ROOT
MAILSAVE_DOVECOT_PID=$pid
MAILSAVE_DOVECOT_LOG=$ROOT/dovecot.log
MAILSAVE_DOVECOT_VERSION='$version'
MAILSAVE_IMAP_HOST=127.0.0.1
MAILSAVE_IMAP_PORT=$PORT_IMAP
MAILSAVE_IMAPS_PORT=$PORT_IMAPS
MAILSAVE_POP3_PORT=$PORT_POP3
MAILSAVE_POP3S_PORT=$PORT_POP3S
MAILSAVE_TEST_CA=$ROOT/tls/ca.crt
MAILSAVE_TEST_OTHER_CA=$ROOT/tls/other-ca.crt
MAILSAVE_TEST_PASSWD=$ROOT/passwd
MAILSAVE_TEST_WRONGHOST_ADDR=127.0.0.2
MAILSAVE_TEST_EXPIRED_ADDR=127.0.0.3
MAILSAVE_TEST_SELFSIGNED_ADDR=127.0.0.4
MAILSAVE_TEST_NOPLAIN_ADDR=127.0.0.5
MAILSAVE_OAUTH2_PORT=$PORT_OAUTH2
MAILSAVE_SUBMISSION_PORT=${HAVE_SUBMISSION:+$PORT_SUBMISSION}
MAILSAVE_SUBMISSIONS_PORT=${HAVE_SUBMISSION:+$PORT_SUBMISSIONS}
EOF
mv "$tmp" "$ENVFILE" || fail "could not write $ENVFILE"
echo "dovecot $version pid $pid: imap $PORT_IMAP imaps $PORT_IMAPS" \
    "pop3 $PORT_POP3 pop3s $PORT_POP3S" \
    "${HAVE_SUBMISSION:+submission $PORT_SUBMISSION submissions $PORT_SUBMISSIONS}" \
    "root $ROOT"
