#!/usr/bin/env bash
# Incremental runs: rerunning writes nothing and touches no output file;
# new messages alone are written; the same bytes twice in a folder are
# written once (across folders with --dedupe, the manifest naming the
# other place); a file changed under the same key is reported, not mixed
# in; status tells what the index knows.
. "$(dirname "$0")/lib.sh"

mkmsg() { printf 'From: %s@x\nSubject: %s\nMessage-ID: <%s@x>\n\nbody of %s\n' "$1" "$1" "$1" "$1"; }
mkdir -p src/cur src/new src/tmp src/.Other/cur src/.Other/new src/.Other/tmp
for i in 1 2 3; do mkmsg m$i >src/cur/100$i.a:2,S; done
mkmsg m1 >src/cur/1009.dup:2,      # the same bytes as m1, same folder
mkmsg m2 >src/.Other/cur/2002.b:2,F # the same bytes as m2, another folder

for fmt in eml maildir mbox; do
test_expect_success "$fmt: a rerun writes nothing and touches no file" '
	rm -rf d && "$MAILSAVE" -q export --from src --to '$fmt' -o d &&
	find d -type f ! -path "*/.mailsave/*" ! -path "*/mailsave-index/*" -printf "%p %T@ %s\n" | sort >before &&
	sleep 1.1 && run_ms export --json --from src --to '$fmt' -o d && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"messages\"]==0 and d[\"unchanged\"]==5, d" &&
	find d -type f ! -path "*/.mailsave/*" ! -path "*/mailsave-index/*" -printf "%p %T@ %s\n" | sort >after &&
	test_cmp before after
'
done

test_expect_success 'same bytes twice in a folder: written once, both in the manifest' '
	rm -rf d && run_ms export --json --from src --to eml -o d && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"messages\"]==4 and d[\"duplicates\"]==1, d" &&
	[ $(find d -name "*.eml" | wc -l) -eq 4 ] && [ $(grep -c "" d/manifest.jsonl) -eq 5 ] &&
	[ $(grep -c "\"dup_of\":0," d/manifest.jsonl) -eq 4 ] && "$MAILSAVE" -q verify d
'

# The mbox writer takes its digests later (pipeline.h): a message that
# may be a duplicate waits for its digest, and is still written once.
test_expect_success 'same bytes twice in a folder, to mbox: written once, verify whole' '
	rm -rf d && run_ms export --json --from src --to mbox -o d && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"messages\"]==4 and d[\"duplicates\"]==1, d" &&
	[ $(cat d/*.mbox | grep -c "^From ") -eq 4 ] && [ $(grep -c "" d/manifest.jsonl) -eq 5 ] &&
	"$MAILSAVE" -q verify d
'

test_expect_success '--dedupe: the same bytes across folders written once' '
	rm -rf d && run_ms export --json --dedupe --from src --to eml -o d && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"messages\"]==3 and d[\"duplicates\"]==2, d" &&
	[ $(find d -name "*.eml" | wc -l) -eq 3 ] && [ $(grep -c "" d/manifest.jsonl) -eq 5 ] &&
	grep "\"folder\":\"Other\"" d/manifest.jsonl | grep -qv "\"dup_of\":0," && "$MAILSAVE" -q verify d
'

test_expect_success 'new mail: only it is written' '
	rm -rf d && "$MAILSAVE" -q export --from src --to mbox -o d &&
	mkmsg m4 >src/new/1004.c && run_ms export --json --from src --to mbox -o d && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"messages\"]==1 and d[\"unchanged\"]==5, d" &&
	[ $(grep -c "^From " d/INBOX.mbox) -eq 4 ] && "$MAILSAVE" -q verify d
'

test_expect_success 'a source file changed under the same key: reported, exit 1, saved copy kept' '
	echo "an edit" >>src/cur/1002.a:2,S && run_ms export --from src --to mbox -o d &&
	[ $rc -eq 1 ] && grep -q "changed in the source since it was saved" err &&
	! grep -q "an edit" d/INBOX.mbox && "$MAILSAVE" -q verify d
'

test_expect_success 'checkpoints are tunable: every N messages, M MB, T seconds' '
	rm -rf c1 c2 &&
	run_ms export --json --checkpoint 2 --checkpoint-mb 0 --checkpoint-secs 0 \
		--from src --to mbox -o c1 && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"checkpoints\"]==3, d" &&
	run_ms export --json --checkpoint 0 --checkpoint-mb 0 --checkpoint-secs 0 \
		--from src --to mbox -o c2 && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert d[\"checkpoints\"]==1, d" &&
	run_ms export --checkpoint-mb lots --from src --to mbox -o c3 && [ $rc -eq 2 ]
'

test_expect_success '--no-index: the same files, no index, no manifest, no resume' '
	rm -rf n1 n2 && "$MAILSAVE" -q export --from src --to mbox -o n1 &&
	"$MAILSAVE" -q export --no-index --from src --to mbox -o n2 &&
	cmp n1/Other.mbox n2/Other.mbox &&
	# without an index nothing knows the duplicate was written already
	[ $(grep -c "^From " n1/INBOX.mbox) -eq 4 ] &&
	[ $(grep -c "^From " n2/INBOX.mbox) -eq 5 ] &&
	[ ! -e n2/.mailsave ] && [ ! -e n2/manifest.jsonl ] &&
	run_ms export --no-index --from src --to mbox -o n2 && [ $rc -eq 2 ] &&
	grep -q "not empty" err &&
	run_ms export --no-index --restart --from src --to mbox -o n3 && [ $rc -eq 2 ]
'

test_expect_success 'an unchanged mbox file is skipped unread; an appended one is read again' '
	printf "From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x\n\none\n\nFrom b@x Mon Jan  1 00:00:01 2024\nFrom: b@x\n\ntwo\n\n" >box.mbox &&
	rm -rf mb && "$MAILSAVE" -q export --from box.mbox --to mbox -o mb &&
	run_ms export --json --from box.mbox --to mbox -o mb && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert (d[\"messages\"], d[\"unchanged\"]) == (0, 0), d" &&
	printf "From c@x Mon Jan  1 00:00:02 2024\nFrom: c@x\n\nthree\n\n" >>box.mbox &&
	run_ms export --json --from box.mbox --to mbox -o mb && [ $rc -eq 0 ] &&
	python3 -c "import json; d=json.load(open(\"out\")); assert (d[\"messages\"], d[\"unchanged\"]) == (1, 2), d" &&
	[ $(grep -c "^From " mb/box.mbox) -eq 3 ] && "$MAILSAVE" -q verify mb
'

test_expect_success 'status: source, counts (a duplicate apart), last outcome' '
	run_ms status d && [ $rc -eq 0 ] && grep -q "^source: *maildir:" out &&
	grep -q "^messages: *5 " out && grep -q "^also found: *1 more cop" out &&
	grep -q "^last run: *partial" out &&
	run_ms status --json d && python3 -c "import json; d=json.load(open(\"out\")); assert (d[\"runs\"], d[\"messages\"], d[\"more_places\"]) == (3, 5, 1), d"
'

test_done
