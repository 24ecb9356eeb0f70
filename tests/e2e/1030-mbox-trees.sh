#!/bin/bash
# Directory trees of mbox files.  A Thunderbird profile folder: Inbox and
# Inbox.sbd/Work, Inbox.sbd/Work.sbd/Deep, Sent (CRLF, new-style From_ lines),
# an empty Trash, and files that are not mail (.msf indexes, popstate.dat,
# filterlog.html, a stray text file) which are skipped quietly.  Then
# mailsave's own output tree (INBOX.mbox, Inbox/Work.mbox ...) read back: a
# second export of it gives the same files.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"

# tb_msg N SUBJECT: one message in the old Thunderbird style.
tb_msg() {
	printf 'From - Sat Jan 03 01:05:%02d 2015\n' "$1"
	printf 'X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\n'
	printf 'From: tb%d@example.org\nSubject: %s\n' "$1" "$2"
	printf 'Message-ID: <tb-%d@example.org>\n\n' "$1"
	printf 'Body %d.\n>From a quoted line\n\n' "$1"
}

counts() {
	python3 - "$1" <<-\PY | LC_ALL=C sort
	import mailbox, os, sys
	root = sys.argv[1]
	for dp, dn, fn in os.walk(root):
	    dn[:] = [d for d in dn if not d.startswith(".")]
	    for n in fn:
	        if n.endswith(".mbox"):
	            p = os.path.join(dp, n)
	            print(os.path.relpath(p, root),
	                  len(mailbox.mbox(p, create=False).keys()))
	PY
}

test_expect_success 'make a Thunderbird-style folder' '
	mkdir -p tb/Inbox.sbd/Work.sbd &&
	{ tb_msg 1 "inbox one"; tb_msg 2 "inbox two"; } >tb/Inbox &&
	printf "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n" >tb/Inbox.msf &&
	{ tb_msg 3 "work one"; tb_msg 4 "work two"; tb_msg 5 "work three"; } \
	    >tb/Inbox.sbd/Work &&
	printf "// mork\n" >tb/Inbox.sbd/Work.msf &&
	tb_msg 6 "deep one" >tb/Inbox.sbd/Work.sbd/Deep &&
	printf "From bob@example.com Sat Jan 03 01:05:34 2015\r\nFrom: b@example.com\r\nSubject: sent crlf\r\n\r\nsent body\r\n\r\n" \
	    >tb/Sent &&
	: >tb/Trash &&
	printf "popstate\n" >tb/popstate.dat &&
	printf "<html></html>\n" >tb/filterlog.html &&
	printf "just a note\n" >tb/notes
'

test_expect_success 'export the tree: one mbox per folder, junk skipped' '
	run_ms export -q --from tb --to mbox -o d1 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	[ ! -s err ] &&
	counts d1 >got &&
	printf "%s\n" "Inbox.mbox 2" "Inbox/Work.mbox 3" \
	    "Inbox/Work/Deep.mbox 1" "Sent.mbox 1" | LC_ALL=C sort >want &&
	test_cmp want got
'

test_expect_success 'list walks the tree in a stable order' '
	run_ms list --from tb && [ $rc -eq 0 ] &&
	cut -f1,3 out >got.list &&
	printf "2\tInbox\n3\tInbox/Work\n1\tInbox/Work/Deep\n1\tSent\n" \
	    >want.list &&
	test_cmp want.list got.list
'

test_expect_success 'CRLF source becomes LF, quoted lines stay quoted' '
	! grep -q "$(printf "\r")" d1/Sent.mbox &&
	grep -q "^sent body$" d1/Sent.mbox &&
	[ $(grep -c "^>From a quoted line" d1/Inbox/Work.mbox) -eq 3 ]
'

test_expect_success 'mailsave output read back as a tree: the same files' '
	run_ms export -q --from d1 --to mbox -o d2 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	counts d2 >got2 && test_cmp want got2 &&
	for f in Inbox.mbox Inbox/Work.mbox Inbox/Work/Deep.mbox Sent.mbox; do
		cmp d1/$f d2/$f || exit 1
	done
'

test_expect_success 'export the tree to eml: same messages' '
	run_ms export -q --from tb --to eml -o e1 &&
	[ $rc -eq 0 ] &&
	[ $(find e1 -name "*.eml" | wc -l) -eq 7 ] &&
	[ $(find e1/Inbox/Work -maxdepth 1 -name "*.eml" | wc -l) -eq 3 ]
'

test_done
