#!/bin/bash
# An Apple Mail "Export Mailbox" of a mailbox with children: Work.mbox/ holds
# the file mbox (plus table_of_contents, Info.plist and .lock, ignored), its
# children live in the sibling Work/ (Work/Clients.mbox/, and
# Work/Clients/Acme.mbox/ below that).  Exporting Work.mbox must bring the
# whole family as folders Work, Work/Clients, Work/Clients/Acme; exporting
# the folder holding the bundles gives the same, and an empty export (a
# 0-byte mbox) is not an error.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"

# apple_mbox FILE N TAG: N messages the way Apple writes them (From: address
# and a zero-padded local date on the From_ line, a blank line after each).
apple_mbox() {
	i=1
	while [ $i -le "$2" ]; do
		printf 'From user%d@example.org Mon Oct 0%d 07:14:42 2012\n' $i $i
		printf 'From: User %d <user%d@example.org>\n' $i $i
		printf 'Subject: %s message %d\n' "$3" $i
		printf 'Message-ID: <%s-%d@example.org>\n\n' "$3" $i
		printf 'Hello from %s %d.\n>>From an archive line\n\n' "$3" $i
		i=$((i + 1))
	done >"$1"
}

# counts DIR: "path count" for every .mbox file below DIR, sorted.
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

test_expect_success 'make a nested Apple export' '
	mkdir -p Export/Work.mbox Export/Work/Clients.mbox \
	    Export/Work/Clients/Acme.mbox Export/Empty.mbox &&
	apple_mbox Export/Work.mbox/mbox 3 work &&
	printf "\000\015\273\240\000\000\000\003" \
	    >Export/Work.mbox/table_of_contents &&
	printf "<plist><dict/></plist>\n" >Export/Work.mbox/Info.plist &&
	printf "host,Name,Mail,1,UUID\n" >Export/Work.mbox/.lock &&
	apple_mbox Export/Work/Clients.mbox/mbox 2 clients &&
	apple_mbox Export/Work/Clients/Acme.mbox/mbox 1 acme &&
	: >Export/Empty.mbox/mbox
'

test_expect_success 'export the bundle: the children come along' '
	run_ms export -q --from Export/Work.mbox --to mbox -o d1 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	counts d1 >got &&
	printf "%s\n" "Work.mbox 3" "Work/Clients.mbox 2" \
	    "Work/Clients/Acme.mbox 1" | LC_ALL=C sort >want &&
	test_cmp want got
'

test_expect_success 'list shows the three folders' '
	run_ms list --from Export/Work.mbox && [ $rc -eq 0 ] &&
	cut -f1,3 out >got.list &&
	printf "3\tWork\n2\tWork/Clients\n1\tWork/Clients/Acme\n" >want.list &&
	test_cmp want.list got.list
'

test_expect_success 'bodies unquoted once and quoted again, Apple style' '
	grep -c "^>>From an archive line" d1/Work.mbox >n &&
	[ "$(cat n)" = 3 ] &&
	! grep -q "^>>>From" d1/Work.mbox &&
	grep -q "^Subject: acme message 1$" d1/Work/Clients/Acme.mbox
'

test_expect_success 'export the folder holding the bundles: same result' '
	run_ms export -q --from Export --to mbox -o d2 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	counts d2 >got2 && test_cmp want got2 &&
	cmp d1/Work.mbox d2/Work.mbox &&
	cmp d1/Work/Clients.mbox d2/Work/Clients.mbox &&
	cmp d1/Work/Clients/Acme.mbox d2/Work/Clients/Acme.mbox &&
	[ ! -e d2/Empty.mbox ]
'

test_expect_success 'an empty export bundle: no messages, exit 0' '
	run_ms export -q --from Export/Empty.mbox --to mbox -o d3 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	[ -z "$(find d3 -name "*.mbox")" ]
'

test_expect_success 'the same messages as an mbox written by Python' '
	python3 - <<-\PY
	import mailbox
	a = mailbox.mbox("Export/Work.mbox/mbox", create=False)
	b = mailbox.mbox("d1/Work.mbox", create=False)
	assert len(a) == len(b) == 3
	for x, y in zip(a.keys(), b.keys()):
	    assert b.get_bytes(y) == b"Status: O\n" + a.get_bytes(x)
	PY
'

test_done
