#!/usr/bin/env bash
# Unreadable parts of an Apple Mail store (macOS without Full Disk Access
# answers EPERM): each is named with the fix and the rest is exported.
# Files and folders that are not messages are skipped silently, and an
# Apple "Export Mailbox" bundle is left to the mbox reader.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
python3 "$GEN" --scenario v10 s >/dev/null || exit 1
MAIL=s/Library/Mail
WORK=$(ls "$MAIL/V10" | while read -r d; do
	[ -d "$MAIL/V10/$d/Drafts.mbox" ] && echo "$d"; done)

# Root reads everything: run mailsave as nobody where we can.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
can_drop=1
if [ "$(id -u)" -eq 0 ] && ! command -v setpriv >/dev/null 2>&1; then
	can_drop=0
fi
chmod 755 "$TRASH" && chmod -R a+rX s && mkdir -m 777 w

test_expect_success 'foreign files and non-directories are skipped silently' '
	echo "not a mailbox" >"$MAIL/V10/$WORK/Broken.mbox" &&
	mkdir -p "$MAIL/V10/$WORK/Odd.mbox" &&
	echo "not a folder" >"$MAIL/V10/$WORK/Odd.mbox/Messages" &&
	echo x >"$MAIL/V10/$WORK/Odd.mbox/.DS_Store" &&
	run_ms export -q --from $MAIL --to eml -o foreign &&
	[ $(find foreign -name "*.eml" | wc -l) -eq 21 ] &&
	# (the one warning: the demo partial message without its payload)
	! grep -v "X-Mailsave-Incomplete" err | grep -q .
'

if [ $can_drop -eq 1 ]; then
	test_expect_success 'an unreadable mailbox is named with the fix' '
		drafts="$MAIL/V10/$WORK/Drafts.mbox" &&
		store=$(ls "$drafts" | grep -v plist | head -1) &&
		chmod 000 "$drafts/$store" &&
		as_user "$MAILSAVE" export --from $MAIL --to eml -o w/eperm \
			>out 2>err; rc=$?; chmod 755 "$drafts/$store" &&
		[ $rc -eq 1 ] && grep -q "Full Disk Access" err &&
		grep -q "Drafts" err &&
		[ $(find w/eperm -name "*.eml" | wc -l) -eq 20 ]
	'

	test_expect_success 'an unreadable account folder is named, others go on' '
		chmod 000 "$MAIL/V10/$WORK" &&
		as_user "$MAILSAVE" export --from $MAIL --to eml -o w/eacct \
			>out 2>err; rc=$?; chmod 755 "$MAIL/V10/$WORK" &&
		[ $rc -eq 1 ] && grep -q "Full Disk Access" err &&
		[ $(find w/eacct -name "*.eml" | wc -l) -eq 4 ]
	'

	test_expect_success 'an unreadable Envelope Index is named, not fatal' '
		idx="$MAIL/V10/MailData/Envelope Index" &&
		chmod 000 "$idx" &&
		as_user "$MAILSAVE" export --from $MAIL --to eml -o w/eidx \
			>out 2>err; rc=$?; chmod 644 "$idx" &&
		[ $rc -eq 1 ] && grep -q "Envelope Index.*Full Disk Access" err &&
		[ $(find w/eidx -name "*.eml" | wc -l) -eq 21 ]
	'

	# (source_open() checks access first; the Full Disk Access hint for
	# the top folder itself is the lead's to add there.)
	test_expect_success 'an unreadable Mail folder is fatal' '
		chmod 000 "$MAIL" &&
		as_user "$MAILSAVE" export --from "applemail:$MAIL" --to eml \
			-o w/eroot >out 2>err; rc=$?; chmod 755 "$MAIL" &&
		[ $rc -eq 3 ] && grep -q "Library/Mail" err
	'
fi

test_expect_success 'an Export Mailbox bundle goes to the mbox reader' '
	mkdir -p bundle/Exported.mbox &&
	printf "From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: exported\n\nbody\n\n" \
		>bundle/Exported.mbox/mbox &&
	run_ms export --from bundle/Exported.mbox --to eml -o bund &&
	[ $rc -eq 0 ] && [ $(find bund -name "*.eml" | wc -l) -eq 1 ] &&
	run_ms export --from applemail:bundle/Exported.mbox --to eml \
		-o bund2 && [ $(find bund2 -name "*.eml" 2>/dev/null | wc -l) -eq 0 ]
'

test_done
