#!/bin/bash
# mailsave doctor, the server's state and odd servers, played by a tiny
# loopback server: a BYE [UNAVAILABLE] greeting (maintenance), LOGIN
# forbidden without STARTTLS, a server that accepts connections but never
# greets, and a port that never answers (a full listen queue).  Needs only python3 (the Dovecot fixture is not used, but
# these run with the others).
. "$SRCDIR/tests/imap/lib.sh"

# fake SCRIPT: serve one connection on a free loopback port with the
# greeting and CAPABILITY answer in SCRIPT ("silent" greets nothing);
# sets FAKE_PORT.
fake_pid=
fake() {
    rm -f port
    python3 - "$1" >fake.log 2>&1 <<'PY' &
import socket, sys
kind = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open("port.tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename("port.tmp", "port")
c, _ = s.accept()
c.settimeout(20)
if kind == "bye":
    c.sendall(b"* BYE [UNAVAILABLE] Down for maintenance until 3am\r\n")
elif kind == "logindisabled":
    c.sendall(b"* OK fake ready\r\n")
    f = c.makefile("rb")
    for line in f:
        tag = line.split(b" ")[0]
        if b"CAPABILITY" in line.upper():
            c.sendall(b"* CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN\r\n"
                      + tag + b" OK done\r\n")
        else:
            c.sendall(tag + b" BAD no\r\n")
elif kind == "silent":
    try:
        c.recv(1)
    except OSError:
        pass
c.close()
PY
    fake_pid=$!
    for _ in $(seq 1 50); do
        [ -s port ] && break
        sleep 0.1
    done
    FAKE_PORT=$(cat port)
}
stop_fake() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
    [ -n "$fake_pid" ] && wait "$fake_pid" 2>/dev/null
    fake_pid=
}
trap 'stop_fake; rm -rf "$TRASH"' EXIT

test_expect_success 'BYE [UNAVAILABLE]: the server says it is unavailable' '
    fake bye &&
    run_ms doctor "imap://u@127.0.0.1:$FAKE_PORT" && stop_fake &&
    test "$rc" = 1 &&
    grep -q "✘ greeting .*the server turned us away: \* BYE \[UNAVAILABLE\] Down for maintenance" out &&
    grep -q "→ the server says it is unavailable — maintenance?" out
'

test_expect_success 'LOGINDISABLED without STARTTLS: no login is possible' '
    fake logindisabled &&
    run_ms doctor "imap://u@127.0.0.1:$FAKE_PORT" && stop_fake &&
    test "$rc" = 1 &&
    grep -q "✘ tls .*offers no STARTTLS on port $FAKE_PORT and forbids LOGIN without it (LOGINDISABLED)" out &&
    grep -q "→ use imaps:// on port 993" out
'

test_expect_success 'LOGINDISABLED with --tls none: AUTHENTICATE PLAIN, refused' '
    fake logindisabled &&
    MAILSAVE_PASSWORD=x run_ms doctor --tls none \
        "imap://u@127.0.0.1:$FAKE_PORT" && stop_fake &&
    test "$rc" = 1 &&
    grep -q "✘ login .*AUTHENTICATE PLAIN refused; the server said: BAD no" out
'

test_expect_success 'LOGINDISABLED and --auth login: LOGIN is not tried' '
    fake logindisabled &&
    MAILSAVE_PASSWORD=x run_ms doctor --tls none --auth login \
        "imap://u@127.0.0.1:$FAKE_PORT" && stop_fake &&
    test "$rc" = 1 &&
    grep -q "✘ login .*does not allow LOGIN here without TLS; it offers PLAIN.*(LOGINDISABLED)" out &&
    grep -q "→ use imaps:// on port 993, or make sure STARTTLS works" out
'

test_expect_success 'a server that never greets: said so, in time' '
    fake silent &&
    run_ms doctor --timeout 2 "imap://u@127.0.0.1:$FAKE_PORT" && stop_fake &&
    test "$rc" = 1 &&
    grep -q "✘ greeting .*no greeting in time" out &&
    grep -q "→ the server accepts connections but says nothing" out
'

# Ctrl-C while doctor waits for the greeting: it says it stops after the
# current check (not "message", the export wording) and ends at once.
test_expect_success 'Ctrl-C during a check: doctor stops, exit 130' '
    fake silent &&
    ("$MAILSAVE" doctor --timeout 30 "imap://u@127.0.0.1:$FAKE_PORT" \
        >out 2>err & echo $! >pid; wait $(cat pid); echo $? >rcfile) &
    sleep 1 && t0=$(date +%s) && kill -INT $(cat pid) && wait
    t1=$(date +%s) && stop_fake &&
    test "$(cat rcfile)" = 130 && [ $((t1 - t0)) -lt 10 ] &&
    grep -q "stopping after the current check" err &&
    ! grep -q "current message" err
'

# A port whose listen queue is full: Linux drops the SYNs, as a firewall
# does, so the connection times out.
full_backlog() {
    rm -f port
    python3 - >full.log 2>&1 <<'PY' &
import os, socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.5)
open("port.tmp", "w").write(str(port))
os.rename("port.tmp", "port")
time.sleep(30)
PY
    fake_pid=$!
    for _ in $(seq 1 50); do
        [ -s port ] && break
        sleep 0.1
    done
    FAKE_PORT=$(cat port)
}

test_expect_success 'no answer at all: timed out, a firewall' '
    full_backlog &&
    run_ms doctor --timeout 2 "imaps://u@127.0.0.1:$FAKE_PORT" && stop_fake &&
    test "$rc" = 1 &&
    if grep -q "accepts connections" out; then
        echo "# this kernel accepted past the backlog: not tested"
    else
        grep -q "✘ tcp .*port $FAKE_PORT (imaps): timed out after 2 s" out &&
        grep -q "→ a firewall drops the connection" out
    fi
'

test_done
