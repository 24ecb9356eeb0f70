# Sourced by tests/e2e/500N-crash-*.sh, which set FORMATS.
# The durability promise: kill mailsave with SIGKILL at any instant, run
# the same command again, and DEST ends up exactly as an uninterrupted run
# makes it, every message once.  strace's fault injection delivers the
# SIGKILL right at a chosen write/fsync/rename/truncate system call, so the
# kill points cover every step of the commit protocol; each run picks
# CRASH_POINTS random points per writer (tests/CMakeLists.txt sets 250, 40
# under the sanitizers; default 30), half of them followed by a second
# crash during the resume.  CRASH_SEED repeats a run.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
strace -o /dev/null -e inject=write:retval=1:when=100 true 2>/dev/null ||
	skip "strace cannot inject faults here"

POINTS=${CRASH_POINTS:-30}
SEED=${CRASH_SEED:-$RANDOM}
echo "# seed $SEED, $POINTS kill points per writer"
CALLS=write,pwrite64,fsync,fdatasync,rename,renameat2,link,linkat,unlink,unlinkat,ftruncate,mkdir

# A source of three folders, sizes from 200 B to 300 kB, some messages
# repeated inside a folder (written once) and across folders.
python3 - "$SEED" <<'PY'
import os, random, sys
r = random.Random(int(sys.argv[1]))
os.makedirs("src/Work", exist_ok=True)
def msg(i, size):
    body = "".join(r.choice("abcdefghij \n") for _ in range(size))
    return ("From a%d@example.org Mon Jan  1 00:%02d:00 2024\nFrom: a%d@example.org\n"
            "Subject: message %d\nMessage-ID: <%d@x>\n\n%s\n\n" % (i, i % 60, i, i, i, body))
msgs = [msg(i, r.choice([200, 2000, 9000, 40000, 300000])) for i in range(45)]
with open("src/INBOX.mbox", "w") as f:
    for m in msgs[:20] + [msgs[3]]:
        f.write(m)
with open("src/Work/Projects.mbox", "w") as f:
    for m in msgs[20:40]:
        f.write(m)
with open("src/Archive.mbox", "w") as f:
    for m in msgs[40:] + [msgs[5]]:
        f.write(m)
PY

export_to() {	# export_to DEST FORMAT [strace injection]
	local dest=$1 fmt=$2 when=${3:-}
	if [ -n "$when" ]; then
		( ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 60 strace -f -o /dev/null -e trace=$CALLS \
			-e inject=$CALLS:signal=SIGKILL:when=$when \
			"$MAILSAVE" -q export --from src --to "$fmt" -o "$dest" \
			--checkpoint 4 >/dev/null 2>&1 ) 2>/dev/null
	else
		timeout 60 "$MAILSAVE" -q export --from src --to "$fmt" -o "$dest" --checkpoint 4
	fi
}

# What a DEST holds, as a comparable listing: message files byte for byte.
snapshot() {	# snapshot DEST FORMAT > listing
	local dest=$1 fmt=$2
	case $fmt in
	tar.zst)
		rm -rf x && mkdir x &&
		for v in "$dest" $(ls "${dest%.tar.zst}".[0-9]*.tar.zst 2>/dev/null | sort -V); do
			tar --zstd -tf "$v" | grep -v '^manifest.jsonl$' | grep -v '/$' >>x.list || return 1
			tar --zstd -xf "$v" -C x || return 1
		done
		# every message exactly once across the volumes
		sort x.list | uniq -d | sed 's/^/DUPLICATE ENTRY /'
		(cd x && find . -type f ! -name manifest.jsonl -exec sha256sum {} + | sort -k2)
		rm -f x.list ;;
	*)
		(cd "$dest" && find . -path ./.mailsave -prune -o -path ./mailsave-index -prune \
			-o -type f ! -name manifest.jsonl ! -name '.manifest*' -print0 |
			xargs -0 -r sha256sum | sort -k2)
		find "$dest" -name '*.tmp' -o -name '.mailsave-*' | grep -v '/.mailsave$' | sed 's/^/LEFTOVER /' ;;
	esac
}

for fmt in $FORMATS; do
	case $fmt in tar.zst) ref=ref.tar.zst ;; *) ref=ref-$fmt ;; esac
	[ "$fmt" = tar.zst ] && fmtname=eml || fmtname=$fmt
	export_to "$ref" "$fmtname" || { echo "reference export failed"; exit 1; }
	snapshot "$ref" "$fmt" >ref.snap
	# How many injectable calls an uninterrupted run makes, on the thread
	# that makes the most (the main one, or tar.zst's compressor, which
	# writes the archive).  strace counts the calls of each
	# thread, and of each kind, on their own, so "when=N" kills the
	# process at the Nth call of one kind on whichever thread gets there
	# first: both the commit protocol and the writes are hit.
	rm -rf cnt cnt.tar.zst cnt.tar.zst.mailsave.db*
	case $fmt in tar.zst) cdest=cnt.tar.zst ;; *) cdest=cnt ;; esac
	total=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=$CALLS -o calls.log "$MAILSAVE" -q export \
		--from src --to "$fmtname" -o "$cdest" --checkpoint 4 &&
		awk '$2 !~ /^[<+]/ { n[$1]++ } END { for (t in n) if (n[t] > m) m = n[t]; print m + 0 }' calls.log)
	if ! [ "${total:-0}" -gt 0 ] 2>/dev/null; then
		echo "# $fmt: could not count the calls of an uninterrupted run"
		exit 1
	fi
	points=$(python3 -c "
import random
r = random.Random($SEED + len('$fmt'))
print(' '.join(str(r.randint(1, $total)) for _ in range($POINTS)))")
	bad=0
	for p in $points; do
		case $fmt in tar.zst) d=run.tar.zst; rm -f run*.tar.zst* ;; *) d=run; rm -rf run ;; esac
		export_to "$d" "$fmtname" "$p"
		# Half the time, crash the resume too.
		if [ $((p % 2)) -eq 0 ]; then export_to "$d" "$fmtname" $(( (p * 7) % total + 1 )); fi
		if ! export_to "$d" "$fmtname"; then
			echo "# $fmt: resume after a kill at call $p failed (exit $?)"; bad=1; continue
		fi
		snapshot "$d" "$fmt" >run.snap
		if ! cmp -s ref.snap run.snap; then
			echo "# $fmt: after a kill at call $p DEST differs from an uninterrupted run:"
			diff ref.snap run.snap | head -10 | sed 's/^/#   /'
			bad=1
			continue
		fi
		if ! "$MAILSAVE" -q verify "$d" >verify.out 2>&1; then
			echo "# $fmt: verify after a kill at call $p:"; sed 's/^/#   /' verify.out | head
			bad=1
		fi
	done
	test_expect_success "$fmt: $POINTS kill -9 points (of $total calls), each resumed to the same DEST" "[ $bad -eq 0 ]"
done

test_done
