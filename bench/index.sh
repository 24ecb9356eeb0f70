#!/usr/bin/env bash
# Index overhead on a 100,000-message mbox exported to mbox:
#  - checkpoint cost: the default export (index, checkpoints every 50,000
#    messages, 256 MB or 5 s) against the same export with checkpoints
#    disabled (the index is written and made durable once, at the end).
#    This is what the durability protocol costs; the goal is under 10 %.
#    The export's --json summary also says how long its checkpoints took
#    (fsync of the output, the index commit), which is printed as a share
#    of the run.  With checkpoints off the whole run is one SQLite
#    transaction whose pages spill into a growing WAL, so that run can be
#    the slower one.
#  - whole index cost: the default export against --no-index (no hashing,
#    no index, no manifest, no duplicate check), for the record.
#  - a rerun that finds nothing new, as a share of the full run (goal 5 %).
# Each configuration runs RUNS times (default 5), interleaved so that drift
# of the machine hits all alike, after one warm-up; the median wall time is
# taken, and peak RSS from /usr/bin/time -v.
#
# Environment: MAILSAVE (default ./build/mailsave), MESSAGES (100000),
# RUNS (5), BENCH_DIR (/tmp/mailsave-bench-index).
set -eu
MAILSAVE=${MAILSAVE:-./build/mailsave}
MESSAGES=${MESSAGES:-100000}
RUNS=${RUNS:-5}
BENCH_DIR=${BENCH_DIR:-/tmp/mailsave-bench-index}
case $MAILSAVE in /*) ;; *) MAILSAVE=$(cd "$(dirname "$MAILSAVE")" && pwd)/$(basename "$MAILSAVE") ;; esac
[ -x /usr/bin/time ] || { echo "index.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
mkdir -p "$BENCH_DIR"
cd "$BENCH_DIR"

if [ ! -s corpus.mbox ] || [ "$(cat corpus.count 2>/dev/null)" != "$MESSAGES" ]; then
	python3 - "$MESSAGES" <<'PY'
import random, sys
n = int(sys.argv[1])
r = random.Random(7)
words = ["mail", "backup", "report", "meeting", "invoice", "hello", "the", "and", "of", "project"]
with open("corpus.mbox", "w") as f:
    for i in range(n):
        size = int(r.lognormvariate(8.0, 1.0))          # median ~3 kB
        body = "\n".join(" ".join(r.choice(words) for _ in range(12)) for _ in range(max(1, size // 70)))
        f.write("From u%d@example.org Mon Jan  1 00:%02d:%02d 2024\nFrom: u%d@example.org\n"
                "To: me@example.org\nSubject: %s %d\nMessage-ID: <%d@bench>\n"
                "Date: Mon, 1 Jan 2024 00:00:00 +0000\n\n%s\n\n" % (i, i // 60 % 60, i % 60, i,
                r.choice(words), i, i, body))
PY
	echo "$MESSAGES" >corpus.count
fi
mb=$(du -m corpus.mbox | cut -f1)

once() {	# once NAME COMMAND...: one clean run, appends "secs rss" to NAME.t
	local name=$1; shift
	rm -rf out
	/usr/bin/time -v -o time.txt "$@" >out.json 2>err.txt || { cat err.txt >&2; exit 1; }
	# The run's own account of the time spent in checkpoints (--json).
	sed -n 's/.*"checkpoint_seconds":\([0-9.]*\),"seconds":\([0-9.]*\).*/\1 \2/p' out.json >>"$name.c"
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%s ", s }
	    /Maximum resident set size/ { print int($2 / 1024) }' time.txt >>"$name.t"
}

report() {	# report NAME: median seconds and largest RSS; sets t_NAME
	local secs rss
	secs=$(sort -n "$1.t" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	rss=$(sort -k2 -n "$1.t" | tail -1 | cut -d' ' -f2)
	printf "%-16s %8.2f s %8.1f MB/s %6d MB RSS\n" "$1" "$secs" "$(awk -v a="$mb" -v b="$secs" 'BEGIN { print a / b }')" "$rss"
	eval "t_$1=$secs"
}

echo "corpus: $MESSAGES messages, $mb MB; median of $RUNS runs"
rm -f ./*.t ./*.c
for run in $(seq 0 "$RUNS"); do
	once no_index "$MAILSAVE" -q --json export --from corpus.mbox --to mbox -o out --no-index
	once no_ckpt "$MAILSAVE" -q --json export --from corpus.mbox --to mbox -o out \
	    --checkpoint 0 --checkpoint-mb 0 --checkpoint-secs 0
	once default "$MAILSAVE" -q --json export --from corpus.mbox --to mbox -o out
	/usr/bin/time -v -o time.txt "$MAILSAVE" -q export --from corpus.mbox --to mbox -o out >/dev/null 2>err.txt ||
	    { cat err.txt >&2; exit 1; }
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%s ", s }
	    /Maximum resident set size/ { print int($2 / 1024) }' time.txt >>rerun.t
	if [ "$run" = 0 ]; then	# the warm-up does not count
		rm -f ./*.t ./*.c
	fi
done
rm -rf out
report no_index
report no_ckpt
report default
report rerun
echo
ckpt_share=$(awk '{ print 100 * $1 / $2 }' default.c | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
awk -v d="$t_default" -v c="$t_no_ckpt" -v n="$t_no_index" -v r="$t_rerun" -v share="$ckpt_share" 'BEGIN {
	printf "time in checkpoints (default, from --json):  %.1f %%  (goal < 10 %%)\n", share
	printf "default / checkpoints off:                   %.3f x\n", d / c
	printf "whole index cost (default / --no-index):     %.2f x\n", d / n
	printf "no-change rerun / full run:                   %.1f %%  (goal <= 5 %%)\n", 100 * r / d
}'
