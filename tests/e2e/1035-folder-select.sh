#!/usr/bin/env bash
# --folder and --exclude on a local tree: only the chosen folders are
# exported and listed; a run with a selection never marks the files it
# left out as saved, so a later full run still exports them.
. "$(dirname "$0")/lib.sh"

mkdir -p src/Archive/2023 src/Work
for f in INBOX Archive/2023/Q1 Archive/2024 Work/Projects; do
	for i in 1 2; do
		printf 'From x@y Mon Jan  1 00:00:00 2024\nFrom: x@y\nSubject: %s %s\nMessage-ID: <%s.%s@t>\n\nbody\n\n' \
		    "$f" "$i" "$(echo "$f" | tr / .)" "$i"
	done >"src/$f.mbox"
done

test_expect_success 'list shows only the selected folders' '
	run_ms list --from src --folder "Archive/*" --exclude "*/Q1" &&
	test "$rc" = 0 && cut -f3 out >got &&
	printf "Archive/2024\n" >expect && test_cmp expect got
'

test_expect_success 'export writes only the selected folders' '
	run_ms --json export --from src --to mbox -o out1 --folder "Archive/*" \
	    --folder INBOX --exclude "*/Q1" &&
	test "$rc" = 0 &&
	(cd out1 && find . -name "*.mbox" | sort) >got &&
	printf "./Archive/2024.mbox\n./INBOX.mbox\n" >expect && test_cmp expect got &&
	grep -q "\"messages\":4," out && grep -q "\"excluded\":4," out
'

# The summary says how long the run spent making DEST durable.
test_expect_success '--json reports the time spent in checkpoints' '
	python3 -c "import json, sys; d = json.load(open(\"out\")); \
assert d[\"checkpoints\"] >= 1 and 0 <= d[\"checkpoint_seconds\"] <= d[\"seconds\"], d"
'

test_expect_success 'a later run without a selection exports the rest' '
	run_ms --json export --from src --to mbox -o out1 &&
	test "$rc" = 0 && grep -q "\"messages\":4," out &&
	(cd out1 && find . -name "*.mbox" | sort) >got &&
	printf "./Archive/2023/Q1.mbox\n./Archive/2024.mbox\n./INBOX.mbox\n./Work/Projects.mbox\n" >expect &&
	test_cmp expect got && "$MAILSAVE" -q verify out1
'

test_expect_success 'an empty pattern is a usage error' '
	run_ms export --from src --to mbox -o out2 --exclude "" &&
	test "$rc" = 2 && grep -q "non-empty pattern" err
'

test_done
