#!/usr/bin/env bash
# mailsave benchmark for the Apple Mail reader (issue 3, point 10): a
# generated V10 store of BENCH_COUNT messages (50,000 by default, about
# 2 GB, 20 % partial with their attachments on disk) exported to mbox and
# to a .tar.zst, against the same files read by cat and packed by
# tar --zstd, with peak RSS.  In the style of bench/run.sh; see
# bench/README.md.
#
# Environment:
#   MAILSAVE     the binary (default ./build/mailsave)
#   BENCH_COUNT  messages in the store (default 50000; e.g. 2000 for a
#                smoke run)
#   BENCH_DIR    scratch directory (default /tmp/mailsave-bench-applemail);
#                the store is kept there and reused while BENCH_COUNT and
#                the generator are the same
#   RUNS         rounds, each running every command once (interleaved);
#                the table shows medians (default 3)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
MAILSAVE=${MAILSAVE:-./build/mailsave}
BENCH_COUNT=${BENCH_COUNT:-50000}
BENCH_DIR=${BENCH_DIR:-/tmp/mailsave-bench-applemail}
RUNS=${RUNS:-3}
GEN=$here/../samples/make-applemail.py

die() { echo "bench: $*" >&2; exit 1; }

[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian: apt-get install time)"
command -v python3 >/dev/null || die "python3 is missing"
command -v zstd >/dev/null || die "zstd is missing (Debian: apt-get install zstd)"
command -v openssl >/dev/null || die "openssl is missing (Debian: apt-get install openssl)"
case $MAILSAVE in
/*) ;;
*/*) MAILSAVE=$(cd "$(dirname "$MAILSAVE")" && pwd)/$(basename "$MAILSAVE") ;;
*) MAILSAVE=$(command -v "$MAILSAVE") || die "mailsave not found" ;;
esac
[ -x "$MAILSAVE" ] || die "$MAILSAVE is not an executable (set MAILSAVE=)"

mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"
store=$BENCH_DIR/store
mail=$store/Library/Mail
stamp="count=$BENCH_COUNT gen=$(cksum <"$GEN" | cut -d' ' -f1)"

# 1. The store: generated once, reused while the parameters match.
if [ -d "$mail" ] && [ -f store.stamp ] && [ "$(cat store.stamp)" = "$stamp" ]
then
	echo "bench: reusing $store ($stamp)"
else
	rm -rf "$store" store.stamp files.lst
	echo "bench: generating $store ($BENCH_COUNT messages)"
	gen_start=$(date +%s.%N)
	BENCH_COUNT=$BENCH_COUNT python3 "$GEN" --scenario bench "$store" >/dev/null
	gen_end=$(date +%s.%N)
	echo "$stamp" >store.stamp
	awk -v a="$gen_start" -v b="$gen_end" \
	    'BEGIN { printf "bench: generated in %.1f s\n", b - a }'
fi
# Every file of the store (messages and attachment payloads), listed once
# outside the timed commands.
(cd "$store" && find Library -type f -print0) >files.lst
bytes=$(cd "$store" && xargs -0 -a "$BENCH_DIR/files.lst" stat -c %s |
    awk '{ s += $1 } END { print s + 0 }')
nfiles=$(tr -cd '\0' <files.lst | wc -c)
nmsg=$(cd "$store" && tr '\0' '\n' <"$BENCH_DIR/files.lst" | grep -c '\.emlx$' || true)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "bench: store $mb MiB, $nmsg messages, $nfiles files; $("$MAILSAVE" --version 2>&1 | head -n 1)"
echo "bench: $RUNS rounds of every command, interleaved; the table shows medians."
echo "bench: The store stays in the page cache; outputs are removed and sync'd"
echo "bench: between runs."

results=$BENCH_DIR/results.tsv
: >"$results"

# run_one NAME CMD...: run CMD once under /usr/bin/time -v and append
# "NAME seconds rss exit" to raw.tsv (wall time from date(1), peak RSS
# from time -v).
raw=$BENCH_DIR/raw.tsv
: >"$raw"
run_one() {
	local name=$1 tf=$BENCH_DIR/time.txt rc t0 t1
	shift
	rm -rf out.cat out-mbox out-mbox-noindex out.tar.zst out.tar.zst.* \
	    ref.tar.zst out.zst
	sync
	# Warm the inputs right before: this machine's memory manager takes
	# back page cache idle for some seconds (the first cat of a round
	# read from the disk at a quarter of the speed), and every command
	# should find the store in memory, as cat's own last run does.
	(cd "$store" && xargs -0 -a "$BENCH_DIR/files.lst" cat >/dev/null)
	cat out.tar >/dev/null
	set +e
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$tf" "$@" >/dev/null 2>"$BENCH_DIR/stderr.txt"
	rc=$?
	t1=$(date +%s%N)
	set -e
	# mailsave exits 1 when a message is exported with a warning.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		echo "bench: $name exited $rc:" >&2
		tail -n 5 "$BENCH_DIR/stderr.txt" >&2
	fi
	awk -v name="$name" -v rc="$rc" -v t0="$t0" -v t1="$t1" -F': ' '
	    /Maximum resident set size/ { rss = $NF }
	    END { printf "%s\t%.3f\t%d\t%d\n", name, (t1 - t0) / 1e9, rss,
		rc }' "$tf" >>"$raw"
	tail -n 1 "$raw" | awk -F'\t' -v mb="$mb" '{
	    printf "bench: %-18s %8.2f s %9.1f MiB/s %8.1f MiB RSS  exit %d\n",
		$1, $2, ($2 > 0 ? mb / $2 : 0), $3 / 1024, $4 }'
}

# The floors need the .tar mailsave writes (made once, outside the timing).
rm -rf out.tar out.tar.*
"$MAILSAVE" export -q --no-index --from "$mail" -o out.tar >/dev/null 2>&1 ||
    [ $? -eq 1 ] || die "export to out.tar failed"

# RUNS rounds; each runs every command once, so a slow spell of a shared
# machine falls on all of them, and the medians are compared.
for round in $(seq 1 "$RUNS"); do
	echo "bench: round $round of $RUNS"
	run_one cat sh -c 'cd "$1" && xargs -0 -a "$2/files.lst" cat >"$2/out.cat"' \
	    sh "$store" "$BENCH_DIR"
	run_one catsync sh -c 'cd "$1" && xargs -0 -a "$2/files.lst" cat \
	    >"$2/out.cat" && sync "$2/out.cat"' sh "$store" "$BENCH_DIR"
	run_one export_mbox "$MAILSAVE" export -q --from "$mail" --to mbox \
	    -o out-mbox
	run_one export_mbox_noidx "$MAILSAVE" export -q --no-index \
	    --from "$mail" --to mbox -o out-mbox-noindex
	run_one tar_zst tar --zstd -cf ref.tar.zst -C "$store" Library/Mail
	run_one export_tar_zst "$MAILSAVE" export -q --from "$mail" \
	    -o out.tar.zst
	# Floors, for reading the ratios: one SHA-256 pass over the store
	# (the index needs two, over the messages as rebuilt), and zstd -3
	# on one core of the tar mailsave writes (rebuilt messages carry
	# their attachments in base64: more to compress than the store's
	# raw files).
	run_one sha256 sh -c 'cd "$1" && xargs -0 -a "$2/files.lst" \
	    openssl dgst -sha256 >/dev/null' sh "$store" "$BENCH_DIR"
	run_one zstd_export sh -c 'zstd -q -3 -T1 -c "$1" >"$2"' sh out.tar \
	    out.zst
done
rm -rf out.cat out-mbox out-mbox-noindex out.tar.zst out.tar.zst.* ref.tar.zst \
    out.tar out.tar.* out.zst

# Per command: the median time, the largest peak RSS, the worst exit.
results=$BENCH_DIR/results.tsv
awk -F'\t' '
    !($1 in seen) { seen[$1] = 1; order[++n] = $1 }
    { k = ++cnt[$1]; t[$1, k] = $2; if ($3 > rss[$1]) rss[$1] = $3
      if ($4 > rc[$1]) rc[$1] = $4 }
    END {
	for (i = 1; i <= n; i++) {
	    c = order[i]; m = cnt[c]
	    for (a = 1; a <= m; a++) v[a] = t[c, a]
	    for (a = 2; a <= m; a++)
		for (b = a; b > 1 && v[b - 1] > v[b]; b--) {
		    x = v[b]; v[b] = v[b - 1]; v[b - 1] = x }
	    med = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	    printf "%s\t%.3f\t%d\t%d\n", c, med, rss[c], rc[c]
	}
    }' "$raw" >"$results"

# The table.
echo
echo "mailsave Apple Mail benchmark: $mb MiB in $nfiles files, $nmsg messages, median of $RUNS rounds"
awk -F'\t' -v mb="$mb" '
    { name[NR] = $1; s[NR] = $2; rss[NR] = $3; rc[NR] = $4; at[$1] = NR }
    function ratio(i, ref) {
	if (!(ref in at) || s[at[ref]] <= 0) return "-"
	return sprintf("%.2fx", s[i] / s[at[ref]])
    }
    END {
	printf "%-18s %8s %9s %9s %8s %10s %9s %5s\n", "command", "seconds",
	    "MiB/s", "RSS MiB", "vs cat", "vs catsync", "vs tar", "exit"
	for (i = 1; i <= NR; i++) {
	    tz = "-"
	    if (name[i] == "export_tar_zst" || name[i] == "zstd_export")
		tz = ratio(i, "tar_zst")
	    printf "%-18s %8.2f %9.1f %9.1f %8s %10s %9s %5d\n", name[i],
		s[i], (s[i] > 0 ? mb / s[i] : 0), rss[i] / 1024,
		ratio(i, "cat"), ratio(i, "catsync"), tz, rc[i]
	}
    }' "$results"
cat <<'EOF'

cat                cat of every file of the store (messages and attachment
                   payloads) into one file, page cache only
catsync            the same followed by fsync (mailsave makes its output
                   durable too)
export_mbox        mailsave export --from Library/Mail --to mbox (with the index)
export_mbox_noidx  the same with --no-index (for information)
tar_zst            tar --zstd -cf of Library/Mail (the same files)
export_tar_zst     mailsave export --from Library/Mail -o out.tar.zst
sha256             openssl dgst -sha256 of every file of the store (one
                   pass, with the CPU's SHA instructions as mailsave; the
                   index hashes the rebuilt messages twice: source bytes
                   and stored bytes)
zstd_export        zstd -3 on one core of the .tar mailsave writes (the
                   compression alone of what export_tar_zst compresses)
Goals (issue 3): export_mbox <= 1.5x cat; export_tar_zst <= 1.1x tar_zst;
peak RSS < 64 MiB.  Exit 1 (a message exported with a warning) still
gives meaningful figures; the generated store should give 0.
EOF
awk -F'\t' '
    { s[$1] = $2; rc[$1] = $4; if ($1 ~ /^export/ && $3 > mx) mx = $3 }
    END {
	if (s["cat"] > 0)
	    printf "goal mbox <= 1.5x cat: %s (%.2fx cat, %.2fx cat+fsync)\n",
		(s["export_mbox"] <= 1.5 * s["cat"] ? "met" : "NOT met"),
		s["export_mbox"] / s["cat"], s["export_mbox"] / s["catsync"]
	if (s["tar_zst"] > 0)
	    printf "goal tar.zst <= 1.1x tar --zstd: %s (%.2fx)\n",
		(s["export_tar_zst"] <= 1.1 * s["tar_zst"] ? "met" : "NOT met"),
		s["export_tar_zst"] / s["tar_zst"]
	if (s["zstd_export"] > 0)
	    printf "export_tar_zst / zstd alone on its tar: %.2fx\n",
		s["export_tar_zst"] / s["zstd_export"]
	printf "goal RSS < 64 MiB: %s (max %.1f MiB)\n",
	    (mx < 65536 ? "met" : "NOT met"), mx / 1024
	for (n in rc)
	    if (rc[n] > 1)
		printf "failed run (figures not meaningful): %s\n", n
    }' "$results"
echo "(raw figures: $results; delete $BENCH_DIR when done)"
