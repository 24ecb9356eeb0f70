#!/usr/bin/env bash
# The command line: help, version, usage errors and their exit codes, and
# one-line errors for bad input (never a crash, never a partial result
# presented as complete).
. "$(dirname "$0")/lib.sh"

mk_mbox() {
	printf 'From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: one\n\nbody\n\n' >"$1"
}

test_expect_success 'help lists the commands, exit 0' '
	run_ms help && [ $rc -eq 0 ] &&
	grep -q "^  export" out && grep -q "^  list" out
'

test_expect_success 'export --help shows the options' '
	run_ms export --help && [ $rc -eq 0 ] && grep -q -- "--mbox-flavour" out &&
	run_ms help export && [ $rc -eq 0 ] && grep -q -- "--from SOURCE" out
'

test_expect_success '--version names every linked library' '
	run_ms --version && [ $rc -eq 0 ] &&
	grep -q "^mailsave " out && grep -q "^libetpan " out &&
	grep -q "^SQLite " out && grep -q "^libarchive " out &&
	grep -q "^OpenSSL " out && grep -q "^utf8proc " out
'

test_expect_success 'no command and unknown command are usage errors (2)' '
	run_ms && [ $rc -eq 2 ] &&
	run_ms frobnicate && [ $rc -eq 2 ] && grep -q "no such command" err
'

test_expect_success 'missing --from / -o / --to are usage errors (2)' '
	mk_mbox in.mbox &&
	run_ms export --to mbox -o d1 && [ $rc -eq 2 ] && grep -q -- "--from" err &&
	run_ms export --from in.mbox --to mbox && [ $rc -eq 2 ] && grep -q -- "-o DEST" err &&
	run_ms export --from in.mbox -o d1 && [ $rc -eq 2 ] && grep -q -- "--to" err &&
	run_ms export --from in.mbox --to pdf -o d1 && [ $rc -eq 2 ] && grep -q "unknown format" err &&
	run_ms export --from in.mbox --to mbox -o d1 --mbox-flavour weird && [ $rc -eq 2 ] &&
	[ ! -e d1 ]
'

test_expect_success 'a missing source path: one line naming it, exit 2' '
	run_ms export --from nowhere.mbox --to mbox -o d2 &&
	[ $rc -eq 2 ] && [ $(wc -l <err) -eq 1 ] &&
	grep -q "nowhere.mbox: No such file or directory" err && [ ! -e d2 ]
'

test_expect_success 'binary garbage: not a mailbox, exit 2, nothing written' '
	head -c 100000 /dev/urandom >garbage.bin &&
	run_ms export --from garbage.bin --to mbox -o d3 &&
	[ $rc -eq 2 ] && [ $(wc -l <err) -eq 1 ] && grep -q "garbage.bin" err &&
	[ ! -e d3 ]
'

test_expect_success 'an unreadable file is named (exit non-zero, no crash)' '
	mk_mbox locked.mbox && chmod 000 locked.mbox &&
	if [ "$(id -u)" = 0 ]; then
		# root reads anything: expect success instead
		run_ms export --from locked.mbox --to mbox -o d4 && [ $rc -eq 0 ]
	else
		run_ms export --from locked.mbox --to mbox -o d4 &&
		[ $rc -ne 0 ] && [ $rc -ne 139 ] && grep -q "locked.mbox" err
	fi
'

test_expect_success 'a non-empty DEST is refused (exit 2), its files untouched' '
	mk_mbox in.mbox && mkdir full && echo keep >full/file &&
	run_ms export --from in.mbox --to mbox -o full &&
	[ $rc -eq 2 ] && grep -q "not empty" err && [ "$(ls full)" = file ]
'

test_expect_success 'an existing archive is never overwritten (exit 2)' '
	mk_mbox in.mbox && echo precious >old.tar.zst &&
	run_ms export --from in.mbox --to eml -o old.tar.zst &&
	[ $rc -eq 2 ] && [ "$(cat old.tar.zst)" = precious ]
'

test_expect_success 'an unwritable DEST: one error naming it, exit 3' '
	mk_mbox in.mbox && mkdir ro && chmod 500 ro &&
	if [ "$(id -u)" = 0 ]; then
		# root writes anywhere; use a path below a regular file
		run_ms export --from in.mbox --to eml -o in.mbox/sub
	else
		run_ms export --from in.mbox --to eml -o ro/sub
	fi &&
	[ $rc -eq 3 ] && grep -q "mailsave: export: " err
'

test_expect_success 'quiet on success with -q; a summary line otherwise' '
	mk_mbox in.mbox &&
	run_ms -q export --from in.mbox --to mbox -o q1 && [ $rc -eq 0 ] &&
	[ ! -s err ] && [ ! -s out ] &&
	run_ms export --from in.mbox --to mbox -o q2 && [ $rc -eq 0 ] &&
	grep -q "exported 1 messages" err && [ ! -s out ]
'

test_expect_success '--json prints one summary object on stdout' '
	mk_mbox in.mbox &&
	run_ms export --json --from in.mbox --to eml -o j1 && [ $rc -eq 0 ] &&
	python3 -c "import json,sys; d=json.load(open(\"out\")); assert d[\"messages\"]==1 and d[\"outcome\"]==\"done\", d"
'

test_expect_success 'list prints counts per folder' '
	mk_mbox in.mbox &&
	run_ms list --from in.mbox && [ $rc -eq 0 ] &&
	printf "1\t%s\tin\n" "$(($(wc -c <in.mbox) - 44 - 1))" >expect &&
	test_cmp expect out
'

test_expect_success 'Ctrl-C stops after a whole message: exit 130, output complete' '
	python3 -c "
import sys
with open(\"big.mbox\", \"w\") as f:
    for i in range(60000):
        f.write(\"From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x\nSubject: %d\n\n%s\n\n\" % (i, \"x\" * 200))
" &&
	("$MAILSAVE" export --from big.mbox --to eml -o int1 >out 2>err & echo $! >pid; wait $(cat pid); echo $? >rcfile) &
	sleep 0.5 && kill -INT $(cat pid) ; wait;
	rc=$(cat rcfile) && [ "$rc" -eq 130 ] &&
	n=$(find int1 -name "*.eml" | wc -l) && [ "$n" -gt 0 ] && [ "$n" -lt 60000 ] &&
	[ -z "$(find int1 -name ".tmp*")" ] &&
	for f in $(find int1 -name "*.eml" | head -50); do tail -c 201 "$f" | head -c 200 | grep -qx "x*" || exit 1; done &&
	grep -q "stopping after the current message" err
'

# verify only reads: one Ctrl-C stops it at once (it used to print
# "stopping after the current message" and go on to the end).  strace
# slows its reads down so that it is still running when the signal comes.
if command -v strace >/dev/null &&
	strace -o /dev/null -e inject=read:delay_enter=1000:when=1 true 2>/dev/null; then
cat >intverify.py <<'PY'
import os, signal, subprocess, sys, time
ms = sys.argv[1]
env = dict(os.environ)
# LeakSanitizer cannot run under ptrace (the sanitizer build).
env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
p = subprocess.Popen(["strace", "-o", "/dev/null", "-e", "trace=pread64,read",
                      "-e", "inject=pread64,read:delay_enter=20000", ms, "verify", "v1"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
child = None
for _ in range(100):
    time.sleep(0.05)
    try:
        kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
    except OSError:
        kids = []
    if kids:
        child = int(kids[0])
        break
if child is None:
    print("no verify process under strace")
    sys.exit(1)
# Wait until verify has opened its index: main() is done with the signals.
for _ in range(200):
    try:
        fds = [os.readlink("/proc/%d/fd/%s" % (child, f)) for f in os.listdir("/proc/%d/fd" % child)]
    except OSError:
        fds = []
    if any(f.endswith("index.db") for f in fds):
        break
    time.sleep(0.05)
else:
    print("verify never opened its index")
    sys.exit(1)
t = time.time()
os.kill(child, signal.SIGINT)
try:
    err = p.communicate(timeout=10)[1].decode()
except subprocess.TimeoutExpired:
    p.kill()
    print("verify still running 10 s after Ctrl-C")
    sys.exit(1)
print("stopped after %.2f s, strace exit %d" % (time.time() - t, p.returncode))
sys.exit(0 if "stopping after" not in err else 1)
PY
test_expect_success 'Ctrl-C stops verify at once' '
	"$MAILSAVE" -q export --from big.mbox --to mbox -o v1 &&
	python3 intverify.py "$MAILSAVE"
'
fi

test_done
