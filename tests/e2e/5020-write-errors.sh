#!/usr/bin/env bash
# A full disk or any write error stops the run cleanly: exit 3, one
# message naming the file, the index consistent with DEST, and a rerun
# once space is back completes with every message exactly once.
. "$(dirname "$0")/lib.sh"

# 40 messages of 20 kB and, in the middle, one of 400 kB: a 300 kB file
# size limit stops every writer there (mbox earlier, on its one file).
python3 - <<'PY'
with open("in.mbox", "w") as f:
    for i in range(40):
        size = 400000 if i == 20 else 20000
        f.write("From a@x Mon Jan  1 00:00:%02d 2024\nFrom: a@x\nSubject: m%d\n\n%s\n\n" % (i, i, "z" * size))
PY
"$MAILSAVE" -q export --from in.mbox --to mbox -o ref

for fmt in mbox eml maildir; do
test_expect_success "$fmt: file size limit (RLIMIT_FSIZE) mid-run, exit 3, rerun completes" '
	rm -rf d && (ulimit -f 300; trap "" XFSZ; "$MAILSAVE" -q export --from in.mbox --to '$fmt' -o d \
		--checkpoint 3 >out 2>err; echo $? >rc) &&
	[ "$(cat rc)" -eq 3 ] && grep -q "File too large" err && grep -q "d/" err &&
	"$MAILSAVE" -q verify d &&
	"$MAILSAVE" -q export --from in.mbox --to '$fmt' -o d && "$MAILSAVE" -q verify d &&
	[ $(grep -c "" d/manifest.jsonl) -eq 40 ] &&
	if [ '$fmt' = mbox ]; then cmp d/in.mbox ref/in.mbox; fi
'
done

if command -v strace >/dev/null && strace -o /dev/null -e inject=write:retval=1:when=100 true 2>/dev/null; then
	# LeakSanitizer cannot run under ptrace: in the sanitizer build the
	# leak check is off for the runs under strace (and only for them).
	under_strace() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"; }
	# write(2) is the mbox writer's and stderr's (-f: whatever thread
	# writes); pwrite64 is SQLite's.
	for n in 1 4 9; do
	test_expect_success "ENOSPC on the mbox file at write $n: exit 3, named, resumable" '
		rm -rf d && under_strace -f -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when='$n' \
			"$MAILSAVE" -q export --from in.mbox --to mbox -o d --checkpoint 3 >out 2>err; rc=$?;
		[ $rc -eq 3 ] && grep -q "write d/in.mbox: No space left on device" err &&
		"$MAILSAVE" -q export --from in.mbox --to mbox -o d && cmp d/in.mbox ref/in.mbox &&
		"$MAILSAVE" -q verify d
	'
	done
	for n in 5 30 60; do
	test_expect_success "ENOSPC on the index at pwrite $n: exit 3, named, resumable" '
		rm -rf d && under_strace -o /dev/null -e trace=pwrite64,fsync -e inject=pwrite64,fsync:error=ENOSPC:when='$n' \
			"$MAILSAVE" -q export --from in.mbox --to mbox -o d --checkpoint 3 >out 2>err; rc=$?;
		[ $rc -eq 3 ] && grep -q "index d/.mailsave/index.db: .*\(full\|error\)" err &&
		"$MAILSAVE" -q export --from in.mbox --to mbox -o d && cmp d/in.mbox ref/in.mbox &&
		"$MAILSAVE" -q verify d
	'
	done
fi

test_done
