#!/usr/bin/env bash
# mailsave doctor on local paths: a backup (index sound? last run
# finished? temporary files left over? manifest there?) and a mailbox
# (readable, and what kind).  Each case asserts its diagnosis and advice.
. "$(dirname "$0")/lib.sh"

"$MAILSAVE" -q export --from "$SAMPLES/mbox/inbox.mbox" --to eml -o b

test_expect_success 'a sound backup gets a clean bill (exit 0)' '
	run_ms doctor b && [ $rc -eq 0 ] &&
	grep -q "✔ index" out && grep -q "✔ last run *done; 8 messages" out &&
	grep -q "✔ leftovers" out && grep -q "mailsave verify b" out &&
	grep -q "Verdict: the backup.s index is sound$" out
'

test_expect_success 'an interrupted last run and leftovers: warnings with advice' '
	cp -r b w && python3 -c "
import sqlite3; c=sqlite3.connect(\"w/.mailsave/index.db\")
c.execute(\"update run set outcome=\x27interrupted\x27 where id=(select max(id) from run)\"); c.commit()" &&
	touch w/inbox/.mailsave-999999-1.tmp &&
	run_ms doctor w && [ $rc -eq 0 ] &&
	grep -q "! last run *interrupted" out && grep -q "run the same export command again" out &&
	grep -q "! leftovers *1 temporary file" out && grep -q "with 2 warnings" out
'

test_expect_success 'a damaged index: named, --restart advised, exit 1' '
	cp -r b d && head -c 4096 /dev/urandom >d/.mailsave/index.db && rm -f d/.mailsave/index.db-* &&
	run_ms doctor --json d && [ $rc -eq 1 ] &&
	python3 -c "
import json; d=json.load(open(\"out\")); c=[x for x in d[\"checks\"] if x[\"step\"]==\"index\"][0]
assert d[\"ok\"] is False and c[\"status\"]==\"fail\" and \"--restart\" in c[\"advice\"], d"
'

test_expect_success 'a mailbox: readable, and its kind' '
	run_ms doctor "$SAMPLES/maildir" && [ $rc -eq 0 ] && grep -q "readable: maildir" out &&
	run_ms doctor "$SAMPLES/apple-export/Work.mbox" && [ $rc -eq 0 ] && grep -q "readable: mbox" out
'

test_expect_success 'something that is neither: a failure naming it' '
	head -c 5000 /dev/urandom >junk.bin &&
	run_ms doctor junk.bin && [ $rc -eq 1 ] && grep -q "✘ mailbox" out && grep -q "not a mailbox" out &&
	run_ms doctor ./no-such-path && [ $rc -eq 1 ] && grep -q "No such file" out
'

test_done
