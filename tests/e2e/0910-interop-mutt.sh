#!/bin/bash
# Interop: mutt (a reader we did not write) opens the mbox and Maildir that
# mailsave writes and sees every message with the right read, replied,
# flagged and deleted state.  mutt is driven without a terminal: it runs
# under script(1) with a pushed macro that tags a pattern and copies the
# tagged messages to a Maildir, whose file names carry mutt's view of the
# flags.  (Not to an mbox: mutt writes mboxcl2, unquoted body "From " lines
# plus Content-Length, which Python's mailbox cannot split.)
. "$(dirname "$0")/lib.sh"

command -v mutt >/dev/null 2>&1 || skip "mutt missing"
command -v script >/dev/null 2>&1 || skip "script (util-linux) missing"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"
CHECK="python3 $SRCDIR/tests/e2e/interop/mboxcheck.py"
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 60"
mkdir -p home mutt

# mutt_copy BOX PATTERN NAME: copy the messages of BOX matching PATTERN to
# mutt/NAME (a Maildir written by mutt, flags in the names).  With
# nothing tagged mutt copies the current message, so callers compare the
# exact set of Message-IDs, never a bare count.
mutt_copy() {
	rm -rf "mutt/$3"
	cat >muttrc <<-MUTTRC
	set folder="$TRASH/mutt"
	set confirmcreate=no
	set confirmappend=no
	set mbox_type=Maildir
	set sort=mailbox-order
	set quit=yes
	set wait_key=no
	set move=no
	set mark_old=no
	set beep=no
	set sleep_time=0
	set header_cache=""
	push "<tag-pattern>$2<enter><tag-prefix><copy-message>=$3<enter><exit>"
	MUTTRC
	HOME=$TRASH/home TERM=vt100 MAIL='' LC_ALL=C.UTF-8 $TIMEOUT \
	    script -qec "mutt -n -F '$TRASH/muttrc' -R -f '$1'" /dev/null \
	    </dev/null >mutt.log 2>&1 &&
	test -d "mutt/$3/cur"
}

# ids_with LISTING LETTER: Message-IDs whose flags hold LETTER ("" = all,
# "!R" = not R).
ids_with() {
	awk -v l="$2" '
	    l == "" { print $1; next }
	    substr(l, 1, 1) == "!" { if (index($2, substr(l, 2)) == 0) print $1; next }
	    index($2, l) > 0 { print $1 }' "$1"
}

# check_patterns BOX LISTING: mutt's view of each flag matches LISTING.
check_patterns() {
	local box=$1 listing=$2 pat letter
	if [ ! -s "$listing" ] || [ ! -e "$box" ]; then
		echo "nothing to check"
		return 1
	fi
	for pat in "~A:" "~R:R" "~U:!R" "~Q:A" "~F:F" "~D:D"; do
		letter=${pat#*:}
		pat=${pat%%:*}
		ids_with "$listing" "$letter" >want.ids
		[ -s want.ids ] || continue
		mutt_copy "$box" "$pat" p || { echo "mutt failed on $pat"; cat mutt.log; return 1; }
		$CHECK maildir-names mutt/p | cut -d" " -f1 >got.ids
		test_cmp want.ids got.ids || { echo "pattern $pat"; return 1; }
	done
}

$CHECK expect "$SAMPLES/mbox/inbox.mbox" >want.list

test_expect_success 'export samples/mbox/inbox.mbox to mbox' '
	test $(wc -l <want.list) -eq 8 &&
	run_ms export -q --from "$SAMPLES/mbox/inbox.mbox" --to mbox -o out1 &&
	test "$rc" -eq 0 && test -f out1/inbox.mbox
'

test_expect_success 'mutt reads every message of our mbox with its flags' '
	mutt_copy "$TRASH/out1/inbox.mbox" "~A" all &&
	$CHECK compare-maildir "$SAMPLES/mbox/inbox.mbox" mutt/all RAF --unquote
'

test_expect_success 'mutt patterns ~R ~U ~Q ~F ~D select the right messages (mbox)' '
	check_patterns "$TRASH/out1/inbox.mbox" want.list
'

# The Maildir folder that holds the messages (the root for INBOX, else
# ".<folder>").
md_box() {
	local cur
	cur=$(find "$TRASH/$1" -type d -name cur | sort | head -n 1)
	[ -n "$cur" ] && dirname "$cur"
}

test_expect_success 'export samples/mbox/inbox.mbox to maildir' '
	run_ms export -q --from "$SAMPLES/mbox/inbox.mbox" --to maildir -o md1 &&
	test "$rc" -eq 0
'

test_expect_success 'mutt reads every message of our Maildir with its flags' '
	box=$(md_box md1) &&
	mutt_copy "$box" "~A" all &&
	$CHECK compare-maildir "$SAMPLES/mbox/inbox.mbox" mutt/all RAF
'

test_expect_success 'mutt patterns ~R ~U ~Q ~F ~D select the right messages (Maildir)' '
	check_patterns "$(md_box md1)" want.list
'

test_expect_success 'export samples/maildir to mbox; mutt agrees on the INBOX' '
	run_ms export -q --from "$SAMPLES/maildir" --to mbox -o out2 &&
	test "$rc" -eq 0 &&
	mutt_copy "$TRASH/out2/INBOX.mbox" "~A" all &&
	$CHECK read-mbox out2/INBOX.mbox | awk "{ print \$1 }" >want.ids &&
	$CHECK maildir-names mutt/all | awk "{ print \$1 }" >got.ids &&
	test_cmp want.ids got.ids &&
	$CHECK read-mbox out2/INBOX.mbox >want.list2 &&
	check_patterns "$TRASH/out2/INBOX.mbox" want.list2
'

test_done
