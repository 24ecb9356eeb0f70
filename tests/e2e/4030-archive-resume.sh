#!/usr/bin/env bash
# Archives and interrupted or repeated runs: an archive is written as
# DEST.partial and becomes DEST only when whole.  A run stopped by SIGTERM
# finishes the current message and leaves a complete DEST of what it
# saved (exit 130); the next run writes only the rest, into volume 2.  A
# run killed with -9 leaves no DEST, and the next run starts over.  A run
# with nothing new makes no empty volume.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to build the source"
command -v xz >/dev/null || skip "xz is needed to list .tar.xz volumes"

# mk_source FILE COUNT KB: COUNT messages of about KB kilobytes each that
# compress badly (xz then takes a while on each: time to stop the run).
mk_source() {
	python3 -c '
import base64, random, sys
path, count, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(4030)
with open(path, "w") as f:
    for i in range(count):
        f.write("From a@example.org Mon Jan  1 00:%02d:%02d 2024\n" % (i // 60, i % 60))
        f.write("From: a@example.org\nSubject: message %d\n" % i)
        f.write("Date: Mon, 1 Jan 2024 00:%02d:%02d +0000\n\n" % (i // 60, i % 60))
        for j in range(kb * 1024 // 77):
            f.write(base64.b64encode(r.randbytes(57)).decode() + "\n")
        f.write("\n")
' "$@"
}

# entries ARCHIVE: the message entries of a .tar.xz, one per line.
entries() {
	xz -dc "$1" | tar -tf - | grep -e "\.eml$" -e "\.mbox$" -e ":2,"
}

mk_source small.mbox 3 1

test_expect_success 'a second run with nothing new makes no volume 2' '
	run_ms export --from small.mbox --to eml -o same.tar.xz &&
	[ $rc -eq 0 ] && [ -f same.tar.xz ] &&
	run_ms export --from small.mbox --to eml -o same.tar.xz &&
	[ $rc -eq 0 ] && [ ! -e same.2.tar.xz ] &&
	[ ! -e same.2.tar.xz.partial ] &&
	[ $(entries same.tar.xz | wc -l) -eq 3 ]
'

test_expect_success 'a new message goes into volume 2, alone' '
	cp small.mbox grow.mbox &&
	run_ms export --from grow.mbox --to mbox -o grow.tar.xz &&
	[ $rc -eq 0 ] &&
	printf "From b@example.org Tue Jan  2 00:00:00 2024\nFrom: b@example.org\nSubject: late\n\nlate\n" >>grow.mbox &&
	run_ms export --from grow.mbox --to mbox -o grow.tar.xz &&
	[ $rc -eq 0 ] && [ -f grow.2.tar.xz ] &&
	xz -dc grow.2.tar.xz | tar -xOf - grow.mbox >v2.mbox &&
	[ $(grep -c "^From " v2.mbox) -eq 1 ] && grep -q "^Subject: late" v2.mbox &&
	run_ms verify grow.tar.xz && [ $rc -eq 0 ]
'

mk_source slow.mbox 24 256

test_expect_success 'SIGTERM: DEST holds what was saved, the rerun the rest' '
	"$MAILSAVE" export -q --from slow.mbox --to eml -o stop.tar.xz \
		>out 2>err &
	pid=$! &&
	n=0 && while [ ! -e stop.tar.xz.partial ] && [ $n -lt 100 ]; do
		sleep 0.1; n=$((n + 1)); done &&
	sleep 1 && kill -TERM $pid; wait $pid; rc=$?
	if [ $rc -eq 0 ]; then
		echo "# the export finished before SIGTERM: nothing to resume"
		exit 0
	fi
	[ $rc -eq 130 ] && [ -f stop.tar.xz ] && [ ! -e stop.tar.xz.partial ] &&
	[ "$(stat -c %a stop.tar.xz)" = 600 ] &&
	first=$(entries stop.tar.xz | wc -l) &&
	[ $first -ge 1 ] && [ $first -lt 24 ] &&
	run_ms verify stop.tar.xz && [ $rc -eq 0 ] &&
	run_ms export -q --from slow.mbox --to eml -o stop.tar.xz &&
	[ $rc -eq 0 ] && [ -f stop.2.tar.xz ] &&
	second=$(entries stop.2.tar.xz | wc -l) &&
	[ $((first + second)) -eq 24 ] &&
	run_ms verify stop.tar.xz && [ $rc -eq 0 ]
'

test_expect_success 'kill -9: no DEST, only DEST.partial; the rerun starts over' '
	"$MAILSAVE" export -q --from slow.mbox --to maildir -o kill.tar.xz \
		>out 2>err &
	pid=$! &&
	n=0 && while [ ! -e kill.tar.xz.partial ] && [ $n -lt 100 ]; do
		sleep 0.1; n=$((n + 1)); done &&
	sleep 0.5 && kill -KILL $pid; wait $pid; rc=$?
	if [ $rc -eq 0 ]; then
		echo "# the export finished before kill -9"
		exit 0
	fi
	[ ! -e kill.tar.xz ] && [ -e kill.tar.xz.partial ] &&
	run_ms export -q --from slow.mbox --to maildir -o kill.tar.xz &&
	[ $rc -eq 0 ] && [ -f kill.tar.xz ] && [ ! -e kill.tar.xz.partial ] &&
	[ $(entries kill.tar.xz | wc -l) -eq 24 ] &&
	run_ms verify kill.tar.xz && [ $rc -eq 0 ]
'

# The index records a volume before the volume appears: a run killed
# between the two (here at the rename, through strace) leaves a complete
# DEST.partial that the index already holds, and the next run publishes
# it instead of refusing an existing DEST or writing it again.
if command -v strace >/dev/null &&
	strace -o /dev/null -e inject=write:retval=1:when=100 true 2>/dev/null; then
	test_expect_success 'kill -9 after the index commit: the rerun publishes DEST.partial' '
		mk_source five.mbox 5 2 &&
		(strace -o /dev/null -e trace=link,rename \
			-e inject=link,rename:signal=SIGKILL:when=1 \
			"$MAILSAVE" export -q --from five.mbox --to eml -o late.tar.xz \
			>out 2>err) 2>/dev/null; rc=$?
		[ $rc -ne 0 ] && [ ! -e late.tar.xz ] && [ -e late.tar.xz.partial ] &&
		run_ms verify late.tar.xz &&
		[ $rc -eq 2 ] && grep -q "run the same export command again" err &&
		run_ms export --from five.mbox --to eml -o late.tar.xz &&
		[ $rc -eq 0 ] && grep -q "exported 0 messages" err &&
		[ -f late.tar.xz ] && [ ! -e late.tar.xz.partial ] &&
		[ ! -e late.2.tar.xz ] &&
		[ $(entries late.tar.xz | wc -l) -eq 5 ] &&
		run_ms verify late.tar.xz && [ $rc -eq 0 ]
	'
	test_expect_success 'the same after volume 2: volume 1 stays, volume 2 is published' '
		python3 -c "
import sys
src = open(\"five.mbox\").read()
open(\"six.mbox\", \"w\").write(src + src.split(\"\\n\\n\", 1)[0].replace(\"message 0\", \"message 5\") + \"\\n\\nnew\\n\\n\")
" &&
		cp six.mbox five.mbox &&
		(strace -o /dev/null -e trace=link,rename \
			-e inject=link,rename:signal=SIGKILL:when=1 \
			"$MAILSAVE" export -q --from five.mbox --to eml -o late.tar.xz \
			>out 2>err) 2>/dev/null
		[ -e late.2.tar.xz.partial ] && [ ! -e late.2.tar.xz ] &&
		run_ms export --from five.mbox --to eml -o late.tar.xz &&
		[ $rc -eq 0 ] && [ -f late.2.tar.xz ] && [ ! -e late.3.tar.xz ] &&
		[ $(entries late.2.tar.xz | wc -l) -eq 1 ] &&
		run_ms verify late.tar.xz && [ $rc -eq 0 ]
	'
fi

test_done
