#!/usr/bin/env bash
# mailsave doctor on an Apple Mail store (issue 6, point 7), through the
# binary, on stores samples/make-applemail.py generates: a healthy store
# gets a clean bill (live V folder, stale ones, counts per account, the
# Envelope Index and its rows); a partial message whose attachment is
# missing is named; a damaged Envelope Index and unreadable folders are
# failures with their advice.  Plain text and --json.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
python3 "$GEN" --scenario v10 s >/dev/null || exit 1
MAIL=s/Library/Mail
WORK=$(ls "$MAIL/V10" | while read -r d; do
	[ -d "$MAIL/V10/$d/Drafts.mbox" ] && echo "$d"; done)
P22=$(find "$MAIL/V10" -name 22.partial.emlx)
mv "$P22" p22.save

# json FILE STEP: the checks of STEP, one JSON object per line.
json() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["checks"]:
    if c["step"] == sys.argv[2]:
        print(json.dumps(c))' "$1" "$2"
}

test_expect_success 'a healthy store gets a clean bill (exit 0)' '
	run_ms doctor $MAIL && [ $rc -eq 0 ] &&
	grep -q "✔ mailbox *readable: applemail (Mail folder)" out &&
	grep -q "✔ readable *every folder" out &&
	grep -q "✔ V folder *V10 is live (named in PersistenceInfo.plist)" out &&
	grep -q "· stale *V9: left behind by an earlier macOS, never exported" out &&
	grep -q "✔ account *Work: 16 messages in 6 mailboxes (4 partial)" out &&
	grep -q "✔ account *Google: 2 messages in 1 mailbox (0 partial)" out &&
	grep -q "✔ account *On My Mac: 2 messages in 1 mailbox" out &&
	grep -q "✔ messages *20 in 3 accounts" out &&
	grep -q "✔ envelope *the Envelope Index opens (a copy, with its -wal and -shm): 20 rows; 1 message file without a row" out &&
	grep -q "✔ attachments *the 4 partial messages can be rebuilt whole" out &&
	! grep -q "✘" out &&
	grep -q "^✔ Verdict: mailsave can read this mailbox$" out
'

test_expect_success 'the same in --json' '
	run_ms doctor --json $MAIL && [ $rc -eq 0 ] &&
	python3 -c "
import json; d = json.load(open(\"out\"))
assert d[\"ok\"] is True, d
steps = [c[\"step\"] for c in d[\"checks\"]]
for s in (\"readable\", \"V folder\", \"stale\", \"account\", \"messages\", \"envelope\", \"attachments\"):
    assert s in steps, (s, steps)
assert all(c[\"status\"] != \"fail\" for c in d[\"checks\"]), d"
'

test_expect_success 'the counts agree with what export writes' '
	run_ms export -q --from $MAIL --to eml -o out-eml && [ $rc -eq 0 ] &&
	[ $(find out-eml -name "*.eml" | wc -l) -eq 20 ]
'

test_expect_success 'without PersistenceInfo.plist: the newest V folder' '
	mv $MAIL/PersistenceInfo.plist pi.save &&
	run_ms doctor $MAIL; mv pi.save $MAIL/PersistenceInfo.plist &&
	[ $rc -eq 0 ] && grep -q "✔ V folder *V10 is live (the newest)" out
'

test_expect_success 'PersistenceInfo.plist naming a missing folder: a warning' '
	cp $MAIL/PersistenceInfo.plist pi.save &&
	sed "s/V10/V11/" pi.save >$MAIL/PersistenceInfo.plist &&
	run_ms doctor $MAIL; cp pi.save $MAIL/PersistenceInfo.plist &&
	[ $rc -eq 0 ] && grep -q "✔ V folder *V10 is live (the newest)" out &&
	grep -q "! V folder *PersistenceInfo.plist names V11, which is not there" out &&
	grep -q "with 1 warning" out
'

test_expect_success 'a V folder and an account folder as the target' '
	run_ms doctor $MAIL/V10 && [ $rc -eq 0 ] &&
	grep -q "readable: applemail (V folder)" out &&
	grep -q "20 in 3 accounts" out && ! grep -q "V folder *V" out &&
	run_ms doctor "$MAIL/V10/$WORK" && [ $rc -eq 0 ] &&
	grep -q "readable: applemail (account folder)" out &&
	grep -q "✔ account *Work: 16 messages" out &&
	grep -q "✔ envelope *the Envelope Index opens" out
'

mv p22.save "$P22"

test_expect_success 'a partial message without its attachment is named (exit 1)' '
	run_ms doctor $MAIL && [ $rc -eq 1 ] &&
	grep -q "✘ attachments *1 of 5 partial messages lacks attachment payloads (1 part)" out &&
	grep -q "→ in Mail, set Settings → Accounts → Download Attachments to All" out &&
	grep -q "· missing *.*/Data/Messages/22.partial.emlx (part 2)" out &&
	grep -q "^✘ Verdict: 1 problem found; first: attachments" out &&
	run_ms doctor --json $MAIL && [ $rc -eq 1 ] &&
	json out attachments | grep -q "\"status\": \"fail\"" &&
	json out missing | grep -q "22.partial.emlx (part 2)"
'

test_expect_success 'a damaged Envelope Index: a failure with the repair' '
	idx="$MAIL/V10/MailData/Envelope Index" &&
	mkdir idx.save && mv "$idx" "$idx-wal" "$idx-shm" idx.save/ &&
	head -c 8192 /dev/urandom >"$idx" &&
	run_ms doctor --json $MAIL; rm -f "$idx" &&
	mv idx.save/* "$MAIL/V10/MailData/" && [ $rc -eq 1 ] &&
	json out envelope >e.json && grep -q "\"status\": \"fail\"" e.json &&
	grep -q "the Envelope Index cannot be used" e.json &&
	grep -q "Mail: it rebuilds them" e.json &&
	grep -q "export still works" e.json
'

# Root reads everything: run mailsave as nobody where we can (as the
# Apple Mail permission tests do), else skip the permission cases.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
if [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$TRASH" && chmod -R a+rX s && mkdir -m 777 w

	test_expect_success 'an unreadable mailbox: named, with Full Disk Access' '
		drafts="$MAIL/V10/$WORK/Drafts.mbox" &&
		store=$(ls "$drafts" | grep -v plist | head -1) &&
		chmod 000 "$drafts/$store" &&
		as_user "$MAILSAVE" doctor $MAIL >out 2>err; rc=$?
		chmod 755 "$drafts/$store" && [ $rc -eq 1 ] &&
		grep -q "✘ readable *.*Drafts.mbox/$store/Data: Permission denied" out &&
		grep -q "→ grant Full Disk Access to your terminal in System Settings → Privacy & Security" out &&
		grep -q "✔ account *Work: 16 messages" out
	'

	test_expect_success 'an unreadable Envelope Index: Full Disk Access' '
		idx="$MAIL/V10/MailData/Envelope Index" && chmod 000 "$idx" &&
		as_user "$MAILSAVE" doctor $MAIL >out 2>err; rc=$?
		chmod 644 "$idx" && [ $rc -eq 1 ] &&
		grep -q "✘ envelope *the Envelope Index cannot be used: .*Permission denied" out &&
		grep -A1 "✘ envelope" out | grep -q "Full Disk Access"
	'

	test_expect_success 'an unreadable Mail folder: Full Disk Access' '
		chmod 000 "$MAIL" &&
		as_user "$MAILSAVE" doctor $MAIL >out 2>err; rc=$?
		chmod 755 "$MAIL" && [ $rc -eq 1 ] &&
		grep -q "✘ mailbox" out &&
		grep -A1 "✘ mailbox" out | grep -q "→ grant Full Disk Access"
	'
fi

test_done
