#!/usr/bin/env bash
# mailsave against mbsync on a live account (issue 5, item 10): a private
# Dovecot on loopback (tests/imap/start.sh, the test suite's own), one
# account seeded with MESSAGES messages of a realistic size mix (mostly
# 2-50 kB of text, about 1.75 % with 1-5 MB attachments: about 300 MB for
# 5,000), then, interleaved, RUNS times each under /usr/bin/time -v:
#   mailsave  export --from imaps://bench@127.0.0.1:PORT --to mbox -o DIR
#             (password in MAILSAVE_PASSWORD, the test CA in
#             MAILSAVE_CA_FILE);
#   mbsync    the same account into a Maildir with a generated mbsyncrc
#             (IMAPS, the test CA as CertificateFile, default FSync yes).
# Prints the median wall time, MB/s, the largest peak RSS and CPU of each,
# and the ratio mailsave / mbsync (goal <= 0.4).
#
# The messages are written straight into the account's Maildir (cur/,
# with S= and W= sizes and the internal date as mtime), before Dovecot
# has seen the account, and one metadata FETCH per folder then lets
# Dovecot build its index; that takes seconds where APPEND would take
# minutes.
#
# Environment: MAILSAVE (default ./build/mailsave), MESSAGES (5000),
# RUNS (3), SEED (5), BENCH_DIR (/tmp/mailsave-bench-imap; needs about
# 3 x the corpus free), KEEP=1 keeps Dovecot's ROOT for a look,
# MAILSAVE_B=another/mailsave times a second build in the same rounds
# (an A/B comparison, row mailsave_b).
set -eu
MAILSAVE=${MAILSAVE:-./build/mailsave}
MESSAGES=${MESSAGES:-5000}
RUNS=${RUNS:-3}
SEED=${SEED:-5}
BENCH_DIR=${BENCH_DIR:-/tmp/mailsave-bench-imap}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
case $MAILSAVE in /*) ;; *) MAILSAVE=$(cd "$(dirname "$MAILSAVE")" && pwd)/$(basename "$MAILSAVE") ;; esac
[ -x "$MAILSAVE" ] || { echo "imap.sh: no mailsave at $MAILSAVE" >&2; exit 1; }
MAILSAVE_B=${MAILSAVE_B:-}
[ -z "$MAILSAVE_B" ] || [ -x "$MAILSAVE_B" ] || { echo "imap.sh: no mailsave at $MAILSAVE_B" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "imap.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
MBSYNC=$(command -v mbsync) || { echo "imap.sh: mbsync is missing (apt-get install isync)" >&2; exit 1; }
mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"
ENVFILE=$BENCH_DIR/dovecot.env

# --- Dovecot: started and stopped like the test suite's fixture. ---
stop() {
	[ -n "${KEEP:-}" ] && [ "$KEEP" != 0 ] && export MAILSAVE_KEEP_DOVECOT=1
	bash "$SRCDIR/tests/imap/stop.sh" "$ENVFILE" >/dev/null || true
	rm -rf "$BENCH_DIR/out-mailsave" "$BENCH_DIR/out-mbsync"
}
trap stop EXIT
trap 'exit 130' INT TERM
rc=0
bash "$SRCDIR/tests/imap/start.sh" "$ENVFILE" >start.log 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
	cat start.log >&2
	[ "$rc" = 77 ] && echo "imap.sh: Dovecot is not available (see above)" >&2
	exit 1
fi
. "$ENVFILE"
ROOT=$MAILSAVE_DOVECOT_ROOT
USER_NAME=bench
USER_PASS=bench-pass-$RANDOM$RANDOM
printf '%s:{PLAIN}%s::::::\n' "$USER_NAME" "$USER_PASS" >>"$MAILSAVE_TEST_PASSWD"
export MAILSAVE_IMAPS_PORT MAILSAVE_TEST_CA

# --- The corpus, written into the Maildir before Dovecot looks at it. ---
MAILDIR=$ROOT/mail/$USER_NAME
echo "seeding $MESSAGES messages into $MAILDIR ..."
python3 - "$MAILDIR" "$MESSAGES" "$SEED" >seed.txt <<'PY'
import base64, os, random, sys, time

root, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
# INBOX, and Maildir++ folders ("." is Dovecot's default separator).
folders = [("", 50), (".Archive", 20), (".Sent", 12), (".Lists.dev", 8),
           (".Lists.announce", 5), (".Work.Projects.2024", 5)]
for f, _ in folders:
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, f, d), exist_ok=True)
weights = [w for _, w in folders]
words = ("the of and to in is that for it as was with be by on not he this "
         "are or his from at which but have an they you were her all she "
         "there would their we him been has when who will more no if out so "
         "said what up its about into than them can only other new some "
         "could time these two may then do first any my now such like our "
         "over man me even most made after also did many before must through "
         "backup meeting invoice report project server release deadline").split()
lines = [" ".join(r.choice(words) for _ in range(r.randint(6, 14))) for _ in range(4000)]
names = ["Alice Martin", "Bob Chen", "Carla Diaz", "Dmitri Ivanov", "Eve Okafor",
         "Farid Haddad", "Grace Lee", "Hiro Tanaka", "Ines Costa", "Jon Berg"]
flagsets = ["S", "S", "S", "S", "S", "S", "RS", "FS", "", ""]
base = 1704067200  # 2024-01-01
total = 0
host = "bench.example"
for i in range(count):
    attach = r.random() < 0.0175
    if attach:
        target = int(1_000_000 * 5 ** r.random())        # 1-5 MB
    else:
        target = int(2_000 * 25 ** r.random())           # 2-50 kB
    frm = r.choice(names)
    date = base + i * 3000 + r.randint(0, 2999)
    hdr = (
        "Return-Path: <%s@example.org>\n"
        "Received: from mx%d.example.org (mx%d.example.org [192.0.2.%d])\n"
        "\tby mail.example.net (Postfix) with ESMTPS id %08X\n"
        "\tfor <me@example.net>; %s\n"
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\n"
        "\ts=sel1; h=from:to:subject:date:message-id;\n"
        "\tbh=%s;\n"
        "\tb=%s\n"
        "From: %s <%s@example.org>\n"
        "To: Me <me@example.net>\n"
        "Subject: %s %d\n"
        "Date: %s\n"
        "Message-ID: <bench.%d.%d@example.org>\n"
        "MIME-Version: 1.0\n" % (
            frm.split()[0].lower(), i % 7, i % 7, i % 250, r.getrandbits(32),
            time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date)),
            base64.b64encode(r.randbytes(32)).decode(),
            base64.b64encode(r.randbytes(192)).decode(),
            frm, frm.split()[0].lower(), r.choice(lines)[:40], i,
            time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date)),
            seed, i))
    text = []
    n = len(hdr)
    while n < (target if not attach else 3000):
        ln = r.choice(lines)
        if r.random() < 0.01:
            ln = "From " + ln            # quoted in mbox
        text.append(ln)
        n += len(ln) + 1
    if attach:
        blob = base64.encodebytes(os.urandom(max(1, (target - n) * 3 // 4))).decode()
        body = ("Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
                "--b%d\nContent-Type: text/plain; charset=utf-8\n\n%s\n"
                "--b%d\nContent-Type: application/octet-stream; name=\"f%d.bin\"\n"
                "Content-Transfer-Encoding: base64\n\n%s--b%d--\n" % (
                    i, i, "\n".join(text), i, i, blob, i))
    else:
        body = "Content-Type: text/plain; charset=utf-8\n\n" + "\n".join(text) + "\n"
    data = (hdr + body).encode()
    size = len(data)
    vsize = size + data.count(b"\n")       # as sent over IMAP, CRLF
    total += vsize
    folder = r.choices(folders, weights)[0][0]
    flags = r.choice(flagsets)
    name = "%d.M%dP%d.%s,S=%d,W=%d:2,%s" % (date, i, 4242, host, size, vsize, flags)
    path = os.path.join(root, folder, "cur", name)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (date, date))
print(count, total)
PY
chown -R --reference="$ROOT/mail" "$MAILDIR"
read -r n_msgs n_bytes <seed.txt
mb=$(awk -v b="$n_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

# Dovecot indexes the account: log in, and fetch the metadata of every
# folder once (untimed; both tools then find the same indexes).
python3 - "$USER_NAME" "$USER_PASS" <<'PY'
import imaplib, os, re, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ["MAILSAVE_TEST_CA"])
for _ in range(50):
    try:
        m = imaplib.IMAP4_SSL("127.0.0.1", int(os.environ["MAILSAVE_IMAPS_PORT"]), ssl_context=ctx)
        m.login(sys.argv[1], sys.argv[2])
        break
    except imaplib.IMAP4.error:
        import time; time.sleep(0.1)
else:
    sys.exit("cannot log in as " + sys.argv[1])
typ, data = m.list()
n = 0
for line in data:
    name = re.match(r'\((.*?)\) (NIL|"[^"]*") (.*)$', line.decode()).group(3)
    if not name.startswith('"'):
        name = '"%s"' % name
    if "\\Noselect" in line.decode():
        continue
    typ, d = m.select(name, readonly=True)
    if int(d[0]) > 0:
        typ, d = m.fetch("1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
        n += len([x for x in d if x is not None])
m.logout()
print("indexed: %d messages" % n)
PY
echo "corpus: $n_msgs messages, $mb MB (as sent over IMAP); Dovecot $MAILSAVE_DOVECOT_VERSION on 127.0.0.1:$MAILSAVE_IMAPS_PORT"

# --- The two clients. ---
cat >mbsyncrc <<EOF
IMAPAccount bench
Host localhost
Port $MAILSAVE_IMAPS_PORT
User $USER_NAME
Pass $USER_PASS
SSLType IMAPS
CertificateFile $MAILSAVE_TEST_CA

IMAPStore remote
Account bench

MaildirStore local
Path $BENCH_DIR/out-mbsync/
Inbox $BENCH_DIR/out-mbsync/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
EOF
chmod 600 mbsyncrc

# CPU seconds of Dovecot's finished processes (imap, imap-login: children
# of the master), for the server's share of the work.
dovecot_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($14 + $15) / hz }' \
	    "/proc/$MAILSAVE_DOVECOT_PID/stat"
}

once() {	# once NAME COMMAND...: one clean run; appends "secs rss cpu dovecot_cpu" to NAME.t
	local name=$1 d0 d1; shift
	rm -rf out-mailsave out-mbsync
	mkdir -p out-mbsync
	sync
	d0=$(dovecot_cpu)
	if ! /usr/bin/time -v -o time.txt "$@" >"$name.out" 2>"$name.err"; then
		echo "imap.sh: $name failed:" >&2
		tail -20 "$name.err" >&2
		exit 1
	fi
	sleep 0.5	# the session's processes end
	d1=$(dovecot_cpu)
	awk -F': ' -v d="$(awk -v a="$d0" -v b="$d1" 'BEGIN { print b - a }')" '
	    /Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; w = s }
	    /User time/ { u = $2 } /System time/ { y = $2 }
	    /Maximum resident set size/ { m = int($2 / 1024) }
	    END { printf "%s %d %.2f %.2f\n", w, m, u + y, d }' time.txt >>"$name.t"
}

count_mbsync() {	# messages mbsync wrote
	find out-mbsync -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l
}

run_mailsave() {	# run_mailsave NAME BINARY
	MAILSAVE_PASSWORD=$USER_PASS MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA \
	    once "$1" "$2" -q --json export \
	    --from "imaps://$USER_NAME@127.0.0.1:$MAILSAVE_IMAPS_PORT" --to mbox -o out-mailsave
	got=$(sed -n 's/.*"messages":\([0-9]*\).*/\1/p' "$1.out")
	[ "$got" = "$n_msgs" ] || echo "warning: $1 exported ${got:-no} messages of $n_msgs" >&2
}

rm -f ./*.t
for run in $(seq 1 "$RUNS"); do
	run_mailsave mailsave "$MAILSAVE"
	[ -z "$MAILSAVE_B" ] || run_mailsave mailsave_b "$MAILSAVE_B"
	once mbsync "$MBSYNC" -q -c mbsyncrc -a
	got=$(count_mbsync)
	[ "$got" = "$n_msgs" ] || echo "warning: mbsync wrote $got of $n_msgs messages" >&2
	echo "run $run: mailsave $(tail -1 mailsave.t | cut -d' ' -f1) s," \
	    "${MAILSAVE_B:+mailsave_b $(tail -1 mailsave_b.t | cut -d' ' -f1) s, }mbsync $(tail -1 mbsync.t | cut -d' ' -f1) s"
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
report() {	# report NAME: sets t_NAME
	local secs rss cpu dcpu
	secs=$(median "$1.t")
	rss=$(sort -k2 -n "$1.t" | tail -1 | cut -d' ' -f2)
	awk '{ print $3 }' "$1.t" >col.t
	cpu=$(median col.t)
	awk '{ print $4 }' "$1.t" >col.t
	dcpu=$(median col.t)
	printf "%-10s %7.2f s  %6.1f MB/s  %4d MB peak RSS  CPU %5.2f s, Dovecot's %5.2f s\n" "$1" "$secs" \
	    "$(awk -v a="$mb" -v b="$secs" 'BEGIN { print a / b }')" "$rss" "$cpu" "$dcpu"
	eval "t_$1=$secs"
}
echo
echo "median of $RUNS runs, interleaved ($n_msgs messages, $mb MB):"
report mailsave
[ -z "$MAILSAVE_B" ] || report mailsave_b
report mbsync
awk -v a="$t_mailsave" -v b="$t_mbsync" 'BEGIN {
	printf "mailsave / mbsync: %.2f x  (goal <= 0.40: %s)\n", a / b, a / b <= 0.4 ? "met" : "NOT met" }'
[ -z "$MAILSAVE_B" ] || awk -v a="$t_mailsave_b" -v b="$t_mbsync" -v c="$t_mailsave" 'BEGIN {
	printf "mailsave_b / mbsync: %.2f x; mailsave / mailsave_b: %.2f x\n", a / b, c / a }'
rss=$(sort -k2 -n mailsave.t | tail -1 | cut -d' ' -f2)
[ "$rss" -le 64 ] && echo "mailsave peak RSS: $rss MB (goal <= 64 MB: met)" ||
    echo "mailsave peak RSS: $rss MB (goal <= 64 MB: NOT met)"
