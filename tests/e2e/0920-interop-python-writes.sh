#!/bin/bash
# Interop: mailsave reads what Python's mailbox module writes.  Python's
# mbox writer is mboxo (body "From " becomes ">From ", nothing else is
# quoted) and keeps flags in Status/X-Status; its Maildir writer keeps them
# in ":2,<info>".  mailsave exports both and the flags must survive.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"
CHECK="python3 $SRCDIR/tests/e2e/interop/mboxcheck.py"

# Python writes py.mbox and pymd/ with the same six messages; want.list is
# "<Message-ID> <mbox flag letters>" as mboxcheck.py prints it.
test_expect_success 'Python writes an mbox and a Maildir' '
	python3 - <<-\PY
	import email.message, mailbox, time
	FLAGS = ["RO", "ROF", "ROA", "O", "", "RODT"]
	box = mailbox.mbox("py.mbox")
	md = mailbox.Maildir("pymd")
	sub = md.add_folder("Work")
	want = []
	for i, fl in enumerate(FLAGS):
	    m = email.message.EmailMessage()
	    m["From"] = "Py Writer <py%d@example.org>" % i
	    m["To"] = "alice@example.org"
	    m["Subject"] = "Python message %d" % i
	    m["Date"] = "Mon, 0%d Apr 2024 10:00:00 +0000" % (i + 1)
	    m["Message-ID"] = "<py-%d@example.org>" % i
	    m.set_content("Line one of %d.\n\nFrom the Python side, line three.\n"
	                  ">From a quoted line.\nThe end.\n" % i)
	    mm = mailbox.mboxMessage(m)
	    mm.set_from("py%d@example.org" % i,
	                time.gmtime(1711965600 + i * 86400))
	    mm.set_flags(fl)
	    box.add(mm)
	    (sub if i % 2 else md).add(mailbox.MaildirMessage(mm))
	    want.append("<py-%d@example.org> %s" % (
	        i, "".join(sorted(set(fl) - {"O"})) or "-"))
	box.close()
	with open("want.list", "w") as f:
	    f.write("\n".join(sorted(want)) + "\n")
	PY
	grep -q "^>From the Python side" py.mbox &&
	test $(grep -c "^From " py.mbox) -eq 6
'

test_expect_success 'mailsave reads the Python mbox into a Maildir' '
	run_ms export -q --from py.mbox --to maildir -o md &&
	test "$rc" -eq 0 &&
	$CHECK maildir-names md >got &&
	test_cmp want.list got
'

test_expect_success 'Python mailbox.Maildir reads that Maildir back' '
	$CHECK read-maildir md >got &&
	test_cmp want.list got
'

# mboxo cannot be undone exactly: Python wrote the body line ">From a
# quoted line." unchanged, so it looks like a quoted "From " line.  The
# default flavour reads mboxrd; only the unambiguous line is checked here.
test_expect_success 'the body of a Python mbox message is unquoted once' '
	f=$(grep -rl "^Message-ID: <py-1@example.org>" md) &&
	grep -q "^From the Python side, line three\.$" "$f" &&
	! grep -q "^>From the Python side" "$f"
'

test_expect_success 'with --mbox-flavour mboxo the ">From " lines stay quoted' '
	run_ms export -q --mbox-flavour mboxo --from py.mbox --to eml -o eml &&
	test "$rc" -eq 0 &&
	test $(find eml -name "*.eml" | wc -l) -eq 6 &&
	f=$(grep -rl "^Message-ID: <py-1@example.org>" eml) &&
	grep -q "^>From the Python side, line three\.$" "$f" &&
	grep -q "^>From a quoted line\.$" "$f"
'

# Python's Maildir conversion drops the mbox draft flag (T), so what the
# Maildir holds is taken from Python's own reading of it.
test_expect_success 'mailsave reads the Python Maildir (with a subfolder) into mbox' '
	$CHECK read-maildir pymd >want.md &&
	test $(wc -l <want.md) -eq 6 &&
	run_ms export -q --from pymd --to mbox -o mb &&
	test "$rc" -eq 0 &&
	$CHECK read-mbox mb >got &&
	test_cmp want.md got &&
	test -f mb/Work.mbox &&
	test $(python3 -c "import mailbox,sys; print(len(mailbox.mbox(sys.argv[1])))" mb/Work.mbox) -eq 3
'

test_expect_success 'Python Maildir messages keep their exact bytes in eml' '
	run_ms export -q --from pymd --to eml -o eml2 &&
	test "$rc" -eq 0 &&
	$CHECK compare-files pymd eml2
'

test_done
