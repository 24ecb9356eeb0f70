#!/bin/bash
# mbox in, mbox out, run again: the keys of an mbox source (the offsets of
# the From_ lines) stay the same when the source grows at its end, so a
# second run writes nothing and a third, after new mail arrived, appends
# only the new messages.  verify finds DEST whole each time, and a file cut
# behind mailsave's back is refused on resume.
. "$(dirname "$0")/lib.sh"

msg() {	# msg N: one message
	printf 'From u%d@example.org Mon Jan  1 00:00:%02d 2024\n' "$1" "$1"
	printf 'From: u%d@example.org\nSubject: number %d\n' "$1" "$1"
	printf 'Message-ID: <n%d@example.org>\n\n' "$1"
	printf 'Body %d\n>From quoted\n\n' "$1"
}

test_expect_success 'first run' '
	{ msg 1; msg 2; msg 3; } >in.mbox &&
	run_ms export -q --from in.mbox --to mbox -o d &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	[ $(grep -c "^From " d/in.mbox) -eq 3 ] &&
	cp d/in.mbox first.mbox
'

test_expect_success 'second run over the same source writes nothing' '
	run_ms export -q --from in.mbox --to mbox -o d &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	cmp first.mbox d/in.mbox
'

test_expect_success 'new mail at the end: only it is appended' '
	{ msg 4; msg 5; } >>in.mbox &&
	run_ms export -q --from in.mbox --to mbox -o d &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	[ $(grep -c "^From " d/in.mbox) -eq 5 ] &&
	cmp -n $(stat -c %s first.mbox) first.mbox d/in.mbox &&
	[ $(grep -c "^Subject: number 4$" d/in.mbox) -eq 1 ]
'

test_expect_success 'verify: DEST is whole' '
	run_ms verify d && { [ $rc -eq 0 ] || { cat out err; false; }; }
'

test_expect_success 'a file cut behind our back: resume refuses, names it' '
	head -c 100 d/in.mbox >cut && cat cut >d/in.mbox &&
	msg 6 >>in.mbox &&
	run_ms export -q --from in.mbox --to mbox -o d &&
	[ $rc -ne 0 ] && grep -q "in.mbox" err
'

test_done
