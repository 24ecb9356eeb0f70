#!/usr/bin/env bash
# Index overhead: a 100,000-message mbox exported to mbox with the index
# (the default: checkpoints, fsync, SQLite batches, manifest) against the
# same export with --no-index (no checkpoints, one fsync at the end), and
# the time of a rerun that finds nothing new, as a share of the full run.
# Peak RSS from /usr/bin/time -v.  Figures are from the second (warm) run.
#
# Environment: MAILSAVE (default ./build/mailsave), MESSAGES (100000),
# BENCH_DIR (/tmp/mailsave-bench-index).
set -eu
MAILSAVE=${MAILSAVE:-./build/mailsave}
MESSAGES=${MESSAGES:-100000}
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

measure() {	# measure NAME CLEAN COMMAND...
	local name=$1 clean=$2; shift 2
	for run in 1 2; do
		[ "$clean" = clean ] && rm -rf out
		/usr/bin/time -v -o time.txt "$@" >/dev/null 2>err.txt || { cat err.txt >&2; exit 1; }
	done
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s }' time.txt)
	rss=$(awk -F': ' '/Maximum resident set size/ { print int($2 / 1024) }' time.txt)
	printf "%-24s %8.2f s %8.1f MB/s %6d MB RSS\n" "$name" "$secs" "$(awk -v a="$mb" -v b="$secs" 'BEGIN { print a / b }')" "$rss"
	eval "t_$name=$secs"
}

echo "corpus: $MESSAGES messages, $mb MB"
measure no_index clean "$MAILSAVE" -q export --from corpus.mbox --to mbox -o out --no-index
measure with_index clean "$MAILSAVE" -q export --from corpus.mbox --to mbox -o out
measure rerun keep "$MAILSAVE" -q export --from corpus.mbox --to mbox -o out
rm -rf out
echo
awk -v w="$t_with_index" -v n="$t_no_index" -v r="$t_rerun" 'BEGIN {
	printf "index overhead (with / without): %.2f x\n", w / n
	printf "no-change rerun / full run:     %.1f %%  (goal <= 5 %%)\n", 100 * r / w
}'
