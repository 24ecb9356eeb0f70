#!/usr/bin/env bash
# mailsave benchmark: throughput and peak memory of `mailsave export` on a
# generated mbox of SIZE_MB MiB, against the same bytes copied by cat and
# packed by tar --zstd (the disk and compressor limits).  See
# bench/README.md.
#
# Environment:
#   MAILSAVE   the binary (default ./build/mailsave)
#   SIZE_MB    corpus size in MiB (default 1100; >= 600 includes the 200 MiB
#              message)
#   BENCH_DIR  scratch directory (default /tmp/mailsave-bench); the corpus
#              is kept there and reused while SIZE_MB and SEED are the same
#   SEED       generator seed (default 20240601)
#   RUNS       runs per command; the last (warm) one is reported (default 2)
#   KEEP       1 keeps the outputs of the last command (default: removed)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
MAILSAVE=${MAILSAVE:-./build/mailsave}
SIZE_MB=${SIZE_MB:-1100}
BENCH_DIR=${BENCH_DIR:-/tmp/mailsave-bench}
SEED=${SEED:-20240601}
RUNS=${RUNS:-2}
KEEP=${KEEP:-0}

die() { echo "bench: $*" >&2; exit 1; }

[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian: apt-get install time)"
command -v python3 >/dev/null || die "python3 is missing"
command -v zstd >/dev/null || die "zstd is missing (Debian: apt-get install zstd)"
case $MAILSAVE in
/*) ;;
*/*) MAILSAVE=$(cd "$(dirname "$MAILSAVE")" && pwd)/$(basename "$MAILSAVE") ;;
*) MAILSAVE=$(command -v "$MAILSAVE") || die "mailsave not found" ;;
esac
[ -x "$MAILSAVE" ] || die "$MAILSAVE is not an executable (set MAILSAVE=)"

mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"
corpus=$BENCH_DIR/corpus.mbox
stamp="size=$SIZE_MB seed=$SEED gen=$(cksum <"$here/gen-corpus.py" | cut -d' ' -f1)"

# 1. The corpus: generated once, reused while the parameters match.
if [ -f "$corpus" ] && [ -f "$corpus.stamp" ] &&
    [ "$(cat "$corpus.stamp")" = "$stamp" ]; then
	echo "bench: reusing $corpus ($stamp)"
else
	rm -f "$corpus" "$corpus.stamp"
	echo "bench: generating $corpus ($SIZE_MB MiB, seed $SEED)"
	gen_start=$(date +%s.%N)
	python3 "$here/gen-corpus.py" "$corpus" "$SIZE_MB" "$SEED"
	gen_end=$(date +%s.%N)
	echo "$stamp" >"$corpus.stamp"
	awk -v a="$gen_start" -v b="$gen_end" \
	    'BEGIN { printf "bench: generated in %.1f s\n", b - a }'
fi
bytes=$(stat -c %s "$corpus")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
nmsg=$(grep -c '^From ' "$corpus" || true)
echo "bench: corpus $mb MiB, $nmsg messages; $("$MAILSAVE" --version 2>&1 | head -n 1)"
echo "bench: each command runs $RUNS times; the table shows the last (warm"
echo "bench: page cache) run.  Outputs are removed and sync'd between runs."

results=$BENCH_DIR/results.tsv
: >"$results"

clean() {
	rm -rf out.mbox out-mbox out-eml out-maildir out.tar.zst \
	    ref-eml.tar.zst ref-mbox.tar.zst
}

# measure NAME REDIRECT-TARGET CMD...: run CMD under /usr/bin/time -v RUNS
# times (stdout to REDIRECT-TARGET, "-" for none), record the last run.
measure() {
	local name=$1 outfile=$2 tf=$BENCH_DIR/time.txt i rc
	shift 2
	for i in $(seq 1 "$RUNS"); do
		"$name"_prepare 2>/dev/null || true
		sync
		set +e
		t0=$(date +%s%N)
		if [ "$outfile" = - ]; then
			/usr/bin/time -v -o "$tf" "$@" >/dev/null 2>"$BENCH_DIR/stderr.txt"
		else
			/usr/bin/time -v -o "$tf" "$@" >"$outfile" 2>"$BENCH_DIR/stderr.txt"
		fi
		rc=$?
		t1=$(date +%s%N)
		set -e
		if [ "$rc" -ne 0 ]; then
			echo "bench: $name run $i exited $rc:" >&2
			tail -n 5 "$BENCH_DIR/stderr.txt" >&2
		fi
	done
	# Wall time from date(1) (nanoseconds; time -v rounds to 10 ms), peak
	# RSS from time -v.
	awk -v name="$name" -v rc="$rc" -v t0="$t0" -v t1="$t1" -F': ' '
	    /Maximum resident set size/ { rss = $NF }
	    END { printf "%s\t%.3f\t%d\t%d\n", name, (t1 - t0) / 1e9, rss,
		rc }' "$tf" >>"$results"
	tail -n 1 "$results" | awk -F'\t' -v mb="$mb" '{
	    printf "bench: %-16s %8.2f s %9.1f MiB/s %8.1f MiB RSS  exit %d\n",
		$1, $2, ($2 > 0 ? mb / $2 : 0), $3 / 1024, $4 }'
}

# Each command's _prepare removes what the previous run left behind.
cat_prepare() { rm -f out.mbox; }
catsync_prepare() { rm -f out.mbox; }
export_mbox_prepare() { rm -rf out-mbox; }
export_eml_prepare() { rm -rf out-eml; }
export_maildir_prepare() { rm -rf out-maildir; }
export_tar_zst_prepare() { rm -f out.tar.zst out.tar.zst.*; }
tar_zst_eml_prepare() { rm -f ref-eml.tar.zst; }
tar_zst_mbox_prepare() { rm -f ref-mbox.tar.zst; }

clean
measure cat out.mbox cat "$corpus"
measure catsync - sh -c 'cat "$1" >out.mbox && sync out.mbox' sh "$corpus"
rm -f out.mbox
measure export_mbox - "$MAILSAVE" export -q --from "$corpus" --to mbox -o out-mbox
rm -rf out-mbox
measure export_maildir - "$MAILSAVE" export -q --from "$corpus" --to maildir -o out-maildir
rm -rf out-maildir
measure export_eml - "$MAILSAVE" export -q --from "$corpus" --to eml -o out-eml
# The eml tree of the last run stays as the input of tar (the same bytes).
measure export_tar_zst - "$MAILSAVE" export -q --from "$corpus" --to eml -o out.tar.zst
rm -f out.tar.zst out.tar.zst.*
if [ -d out-eml ]; then
	measure tar_zst_eml - tar --zstd -cf ref-eml.tar.zst out-eml
	rm -f ref-eml.tar.zst
fi
measure tar_zst_mbox - tar --zstd -cf ref-mbox.tar.zst corpus.mbox
rm -f ref-mbox.tar.zst
[ "$KEEP" = 1 ] || rm -rf out-eml

# The table.
echo
echo "mailsave benchmark: $mb MiB mbox, $nmsg messages, warm run of $RUNS"
awk -F'\t' -v mb="$mb" '
    { name[NR] = $1; s[NR] = $2; rss[NR] = $3; rc[NR] = $4; at[$1] = NR }
    function ratio(i, ref) {
	if (!(ref in at) || s[at[ref]] <= 0) return "-"
	return sprintf("%.2fx", s[i] / s[at[ref]])
    }
    END {
	printf "%-16s %8s %9s %9s %8s %9s %10s %5s\n", "command", "seconds",
	    "MiB/s", "RSS MiB", "vs cat", "vs catsync", "vs tar.zst", "exit"
	for (i = 1; i <= NR; i++) {
	    tz = "-"
	    if (name[i] == "export_tar_zst" || name[i] == "tar_zst_eml")
		tz = ratio(i, "tar_zst_eml")
	    printf "%-16s %8.2f %9.1f %9.1f %8s %9s %10s %5d\n", name[i], s[i],
		(s[i] > 0 ? mb / s[i] : 0), rss[i] / 1024, ratio(i, "cat"),
		ratio(i, "catsync"), tz, rc[i]
	}
    }' "$results"
cat <<'EOF'

cat            cat corpus.mbox > out.mbox (page cache only, no fsync)
catsync        the same followed by fsync of out.mbox (mailsave fsyncs too)
export_*       mailsave export --from corpus.mbox --to FORMAT -o DEST
export_tar_zst mailsave export --to eml -o out.tar.zst
tar_zst_eml    tar --zstd -cf of the eml tree mailsave wrote (same bytes)
tar_zst_mbox   tar --zstd -cf of corpus.mbox
Goals: export_mbox <= 1.5x cat; peak RSS < 64 MiB whatever the message size.
EOF
awk -F'\t' '
    $1 == "cat" { c = $2 }
    $1 == "catsync" { cs = $2 }
    $1 == "export_mbox" { m = $2; mrc = $4 }
    $1 ~ /^export/ { if ($3 > mx) mx = $3; if ($4 != 0) bad = bad " " $1 }
    END {
	if (mrc != 0)
	    printf "goal mbox <= 1.5x cat: not measured (export_mbox exit %d)\n", mrc
	else if (c > 0)
	    printf "goal mbox <= 1.5x cat: %s (%.2fx cat, %.2fx cat+fsync)\n",
		(m <= 1.5 * c ? "met" : "NOT met"), m / c, m / cs
	printf "goal RSS < 64 MiB: %s (max %.1f MiB)\n",
	    (mx < 65536 ? "met" : "NOT met"), mx / 1024
	if (bad != "")
	    printf "failed runs (figures not meaningful):%s\n", bad
    }' "$results"
echo "(raw figures: $results)"
