#!/usr/bin/env bash
# A damaged index (truncated, garbage, someone else's database) is never
# silently recreated (that would export everything again): a clear error
# with the --restart advice, exit 3.  --restart then starts over; it
# refuses to empty a folder mailsave did not make.
. "$(dirname "$0")/lib.sh"

printf 'From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x\nSubject: s\n\nb\n\n' >in.mbox

for kind in truncated garbage foreign; do
test_expect_success "$kind index: named, --restart advised, exit 3, DEST untouched" '
	rm -rf d && "$MAILSAVE" -q export --from in.mbox --to mbox -o d &&
	db=d/.mailsave/index.db && rm -f $db-wal $db-shm &&
	case '$kind' in
	truncated) head -c 3000 $db >t && mv t $db ;;
	garbage) head -c 8192 /dev/urandom >$db ;;
	foreign) rm $db && python3 -c "import sqlite3; c=sqlite3.connect(\"$db\"); c.execute(\"create table t(x)\"); c.commit()" ;;
	esac &&
	sum=$(sha256sum d/in.mbox) &&
	run_ms export --from in.mbox --to mbox -o d && [ $rc -eq 3 ] &&
	grep -q -- "--restart" err && grep -q "index" err &&
	[ "$(sha256sum d/in.mbox)" = "$sum" ] &&
	run_ms status d && [ $rc -eq 3 ] &&
	run_ms export --restart --from in.mbox --to mbox -o d && [ $rc -eq 0 ] &&
	"$MAILSAVE" -q verify d
'
done

test_expect_success '--restart refuses a folder mailsave did not make' '
	mkdir mine && echo precious >mine/notes.txt &&
	run_ms export --restart --from in.mbox --to mbox -o mine && [ $rc -eq 2 ] &&
	[ "$(cat mine/notes.txt)" = precious ]
'

test_expect_success 'another source into the same DEST is refused, not mixed in' '
	rm -rf d && "$MAILSAVE" -q export --from in.mbox --to mbox -o d &&
	cp in.mbox other.mbox &&
	run_ms export --from other.mbox --to mbox -o d && [ $rc -eq 2 ] &&
	grep -q "already holds a backup of" err &&
	run_ms export --from in.mbox --to eml -o d && [ $rc -eq 2 ] && grep -q "holds a mbox export" err
'

test_done
