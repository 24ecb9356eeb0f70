#!/usr/bin/env bash
# Apple Mail V10 store (samples/make-applemail.py --scenario v10): every
# message exactly once, in its folder, with flags, received dates, Gmail
# labels and rebuilt partial messages, to mbox, eml, maildir and an
# archive; the live V folder chosen over a stale one; a V folder, one
# account and one mailbox as sources; an unreadable Envelope Index.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
python3 "$GEN" --scenario v10 s >/dev/null || exit 1
MAIL=s/Library/Mail
WORK=$(ls "$MAIL/V10" | while read -r d; do
	[ -d "$MAIL/V10/$d/Drafts.mbox" ] && echo "$d"; done)

check() {
	python3 "$GEN" --check "$1" "$2" s/expected.tsv s/oracle
}

test_expect_success 'list shows accounts, folders and counts' '
	run_ms list --from $MAIL && [ $rc -eq 0 ] &&
	grep -q "^12	[0-9]*	Work/INBOX$" out &&
	grep -q "^2	[0-9]*	Google/\[Gmail\]/All Mail$" out &&
	grep -q "^1	[0-9]*	Work/Archive/2024$" out &&
	grep -q "^1	[0-9]*	Work/Kvätton$" out &&
	grep -q "^2	[0-9]*	On My Mac/Projects$" out &&
	[ $(wc -l <out) -eq 8 ]
'

for fmt in mbox eml maildir; do
	test_expect_success "export to $fmt: every message once, folders, flags, dates, parts" "
		run_ms export -q --from $MAIL --to $fmt -o out-$fmt &&
		check out-$fmt $fmt
	"
done

test_expect_success 'the stale V9 copy is never exported' '
	! grep -rq "Stale V9 copy" out-eml
'

test_expect_success 'plist bytes never end up in a message' '
	! grep -rq "<plist" out-eml && ! grep -q "</plist>" out-mbox/Work/INBOX.mbox
'

test_expect_success 'N.emlx beside N.partial.emlx: exported once, whole' '
	[ $(grep -c "^Subject: Both files" out-mbox/Work/INBOX.mbox) -eq 1 ]
'

test_expect_success 'a missing attachment keeps its stub and is marked' '
	grep -q "^X-Mailsave-Incomplete: 2$" out-mbox/Work/INBOX.mbox &&
	grep -q "^X-Apple-Content-Length" out-mbox/Work/INBOX.mbox &&
	[ $(grep -c "^X-Apple-Content-Length" out-mbox/Work/INBOX.mbox) -eq 1 ]
'

# Needs the pipeline to report a source's warning (see read_applemail.c).
test_expect_success 'the incomplete message is named on stderr, exit 1' '
	run_ms export --from $MAIL --to mbox -o out-warn &&
	[ $rc -eq 1 ] && grep -q "incomplete.*part 2" err &&
	grep -q "22.partial.emlx" err
'

test_expect_success 'applemail: prefix and a trailing slash' '
	run_ms export -q --from "applemail:$MAIL/" --to mbox -o out-prefix &&
	check out-prefix mbox
'

test_expect_success 'archive: the same tree in a .tar.gz' '
	run_ms export -q --from $MAIL --to mbox -o out.tar.gz &&
	mkdir untar && tar xzf out.tar.gz -C untar 2>/dev/null &&
	check untar mbox
'

test_expect_success 'a V folder as the source' '
	run_ms export -q --from $MAIL/V10 --to mbox -o out-v10 &&
	check out-v10 mbox
'

test_expect_success 'one account folder as the source' '
	run_ms export -q --from "$MAIL/V10/$WORK" --to eml -o out-acct &&
	[ $(find out-acct -name "*.eml" | wc -l) -eq 17 ] &&
	[ -d out-acct/Work/INBOX ] && [ -d out-acct/Work/Archive/2024 ] &&
	[ ! -d out-acct/Google ]
'

test_expect_success 'one mailbox (with a nested child) as the source' '
	run_ms export -q --from "$MAIL/V10/$WORK/Archive.mbox" --to eml \
		-o out-box &&
	[ $(find out-box/Archive -maxdepth 1 -name "*.eml" | wc -l) -eq 1 ] &&
	[ $(find out-box/Archive/2024 -name "*.eml" | wc -l) -eq 1 ]
'

test_expect_success 'PersistenceInfo.plist picks the V folder' '
	cp $MAIL/PersistenceInfo.plist pi.save &&
	sed "s/V10/V9/" pi.save >$MAIL/PersistenceInfo.plist &&
	run_ms export -q --from $MAIL --to eml -o out-v9 &&
	cp pi.save $MAIL/PersistenceInfo.plist &&
	[ $(find out-v9 -name "*.eml" | wc -l) -eq 1 ] &&
	grep -rq "Stale V9 copy" out-v9
'

test_expect_success 'without PersistenceInfo.plist the newest V folder' '
	mv $MAIL/PersistenceInfo.plist pi.away &&
	run_ms export -q --from $MAIL --to mbox -o out-newest &&
	mv pi.away $MAIL/PersistenceInfo.plist &&
	check out-newest mbox
'

test_expect_success 'an unreadable Envelope Index is reported, not fatal' '
	idx="$MAIL/V10/MailData/Envelope Index" &&
	mkdir idx.save && mv "$idx" "$idx-wal" "$idx-shm" idx.save/ &&
	echo "not a database" >"$idx" &&
	run_ms export --from $MAIL --to eml -o out-noidx &&
	rm -f "$idx" && mv idx.save/* "$MAIL/V10/MailData/" &&
	[ $rc -eq 1 ] && grep -q "Envelope Index" err &&
	[ $(find out-noidx -name "*.eml" | wc -l) -eq 21 ]
'

test_expect_success 'a second export of the same store writes the same' '
	run_ms export -q --from $MAIL --to mbox -o out-again &&
	diff -r -x .mailsave -x manifest.jsonl out-mbox out-again
'

test_done
