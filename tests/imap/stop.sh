#!/bin/bash
# Stop the Dovecot that start.sh started: only the PID recorded in
# ENVFILE, and only while it still runs our config.  Then remove its ROOT
# (kept when MAILSAVE_KEEP_DOVECOT is set, for a look at the log).
#
# usage: stop.sh ENVFILE
set -u
ENVFILE=${1:?usage: stop.sh ENVFILE}
[ -r "$ENVFILE" ] || { echo "no $ENVFILE: nothing to stop"; exit 0; }
pid=$(sed -n 's/^MAILSAVE_DOVECOT_PID=//p' "$ENVFILE")
root=$(sed -n 's/^MAILSAVE_DOVECOT_ROOT=//p' "$ENVFILE")

ours() {
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
        grep -qF "$root/dovecot.conf"
}

if [ -n "$pid" ] && [ -n "$root" ] && ours; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
        ours || break
        sleep 0.1
    done
    if ours; then
        echo "dovecot $pid did not stop on SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid"
    fi
fi
if [ -z "${MAILSAVE_KEEP_DOVECOT:-}" ]; then
    case $root in /*/mailsave-dovecot.*) rm -rf "$root" ;; esac
else
    echo "kept $root"
fi
rm -f "$ENVFILE"
echo "dovecot stopped"
