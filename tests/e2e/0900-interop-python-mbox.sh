#!/bin/bash
# Interop: Python's mailbox module (a reader we did not write) reads the
# mbox files mailsave writes and sees every message, its flags (Status /
# X-Status) and its bytes (modulo the mboxrd '>' quoting Python leaves in,
# CRLF -> LF and the flag headers).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"
CHECK="python3 $SRCDIR/tests/e2e/interop/mboxcheck.py"

# export_to_mbox NAME SOURCE: export SOURCE into NAME/ and expect exit 0.
export_to_mbox() {
	run_ms export -q --from "$2" --to mbox -o "$1" &&
	{ [ "$rc" -eq 0 ] || { cat err; echo "exit $rc"; false; }; }
}

# mbox_counts DIR: "relative/path.mbox count" for every non-empty mbox.
mbox_counts() {
	python3 - "$1" <<'PY'
import mailbox, os, sys
root = sys.argv[1]
out = []
for dp, dn, fn in os.walk(root):
    for n in fn:
        if n.endswith(".mbox"):
            p = os.path.join(dp, n)
            c = len(mailbox.mbox(p, create=False).keys())
            if c:
                out.append("%s %d" % (os.path.relpath(p, root), c))
print("\n".join(sorted(out)))
PY
}

test_expect_success 'export samples/mbox/inbox.mbox to mbox' '
	export_to_mbox out1 "$SAMPLES/mbox/inbox.mbox" &&
	test -f out1/inbox.mbox
'

test_expect_success 'Python sees all 8 messages with their flags' '
	$CHECK expect "$SAMPLES/mbox/inbox.mbox" >want &&
	test $(wc -l <want) -eq 8 &&
	$CHECK read-mbox out1 >got &&
	test_cmp want got
'

test_expect_success 'message bytes equal the source (mboxrd, CRLF, no final newline)' '
	$CHECK compare-mbox "$SAMPLES/mbox/inbox.mbox" out1
'

test_expect_success 'mbox output is LF only and quotes every ^>*From body line' '
	! grep -q "$(printf "\r")" out1/inbox.mbox &&
	grep -q "^>From the desk of Alice" out1/inbox.mbox &&
	grep -q "^>>From the desk of Alice" out1/inbox.mbox &&
	grep -q "^>>>From an older thread" out1/inbox.mbox &&
	grep -q "^>From a Windows machine" out1/inbox.mbox &&
	grep -q "^Fromage" out1/inbox.mbox
'

test_expect_success 'From_ lines are 24-character asctime; every message is old (O)' '
	python3 - out1/inbox.mbox <<-\PY
	import mailbox, re, sys
	box = mailbox.mbox(sys.argv[1], create=False)
	assert all("O" in m.get_flags() for m in box)
	pat = re.compile(r"^\S+ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
	                 r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
	                 r"[ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}$")
	bad = [m.get_from() for m in box if not pat.match(m.get_from())]
	assert len(box) == 8 and not bad, bad
	PY
'

test_expect_success 'the last message gains its newline, then one blank line' '
	python3 -c "import sys; d = open(sys.argv[1], \"rb\").read(); \
	    assert d.endswith(b\"Cheers, Dana\\n\\n\") and \
	    not d.endswith(b\"\\n\\n\\n\"), d[-20:]" out1/inbox.mbox
'

test_expect_success 'export samples/maildir to mbox' '
	export_to_mbox out2 "$SAMPLES/maildir"
'

test_expect_success 'Python sees the 15 Maildir messages with mapped flags' '
	$CHECK expect "$SAMPLES/maildir" >want &&
	test $(wc -l <want) -eq 15 &&
	$CHECK read-mbox out2 >got &&
	test_cmp want got &&
	$CHECK compare-mbox "$SAMPLES/maildir" out2
'

test_expect_success 'Maildir++ folders become one mbox per folder' '
	mbox_counts out2 >got &&
	printf "%s\n" "Archive/2023.mbox 3" "Entwürfe.mbox 2" "INBOX.mbox 7" \
	    "Sent.mbox 3" >want &&
	test_cmp want got
'

test_expect_success 'export the samples/mbox-tree folder to mbox' '
	export_to_mbox out3 "$SAMPLES/mbox-tree" &&
	$CHECK expect "$SAMPLES/mbox-tree" >want &&
	test $(wc -l <want) -eq 9 &&
	$CHECK read-mbox out3 >got &&
	test_cmp want got &&
	$CHECK compare-mbox "$SAMPLES/mbox-tree" out3
'

test_expect_success 'mbox tree keeps nesting and unicode names' '
	mbox_counts out3 >got &&
	printf "%s\n" "Archive/2024.mbox 2" "INBOX.mbox 3" \
	    "Projekte/Kunden/Acme.mbox 1" "Projekte/Übersicht.mbox 2" \
	    "日本語.mbox 1" >want &&
	test_cmp want got
'

test_expect_success 'export the Apple export bundle (with its child) to mbox' '
	export_to_mbox out4 "$SAMPLES/apple-export/Work.mbox" &&
	$CHECK expect "$SAMPLES/apple-export" >want &&
	test $(wc -l <want) -eq 5 &&
	$CHECK read-mbox out4 >got &&
	test_cmp want got &&
	$CHECK compare-mbox "$SAMPLES/apple-export" out4 &&
	mbox_counts out4 >got &&
	printf "%s\n" "Work.mbox 3" "Work/Clients.mbox 2" >want &&
	test_cmp want got
'

test_expect_success 'export the eml tree to mbox' '
	export_to_mbox out5 "$SAMPLES/eml" &&
	$CHECK expect "$SAMPLES/eml" >want &&
	$CHECK read-mbox out5 >got &&
	test_cmp want got &&
	$CHECK compare-mbox "$SAMPLES/eml" out5 &&
	mbox_counts out5 >got &&
	printf "%s\n" "Inbox.mbox 3" "Projects.mbox 2" >want &&
	test_cmp want got
'

test_done
