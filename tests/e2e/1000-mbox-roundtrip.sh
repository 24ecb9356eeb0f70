#!/bin/bash
# mbox -> mbox through the binary, checked by an independent parser
# (Python's mailbox module): a generated mboxrd file whose messages hold
# "From " and ">From " body lines, a CRLF message, folded headers, flag
# headers (Status, X-Status, X-Keywords) and a last message without a final
# newline.  What comes back must be each source message with exactly the
# documented changes (write_mbox.c): CRLF -> LF, a final LF added, the
# message's own Status/X-Status/X-Keywords fields replaced by ours at the
# top of the header, and mboxrd quoting (which Python leaves in, so the
# check unquotes once).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"

# gen.py writes src.mbox (mboxrd) and orig/N (the messages, unquoted) and
# flags.want ("N <Python flag letters>").
cat >gen.py <<\PY
import os, re
msgs = [
    (b"From alice@example.org Mon Jan  1 10:00:00 2024",
     b"Return-Path: <alice@example.org>\n"
     b"From: Alice <alice@example.org>\n"
     b"Subject: a folded\n  subject line\n"
     b"Status: RO\n"
     b"X-Status: AF\n"
     b"Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
     b"\n"
     b"From the desk of Alice\n"
     b">From a quoted line\n"
     b">>From a doubly quoted line\n"
     b"\n"
     b"From bob@example.org Tue Jan  2 10:00:00 2024\n"
     b"a date-like From line after a blank line\n"
     b"Fromage is not From\n"
     b" From indented\n", "RAF"),
    (b"From bob@example.org Tue Jan  2 11:00:00 2024",
     b"From: Bob <bob@example.org>\r\n"
     b"Subject: CRLF message\r\n"
     b"X-Keywords: $Forwarded project-x\r\n"
     b"\r\n"
     b"line one\r\n"
     b"From a Windows machine\r\n"
     b"\r\n", ""),
    (b"From - Wed Jan  3 12:00:00 2024",
     b"From: Carol <carol@example.org>\n"
     b"Subject: empty lines at the end\n"
     b"X-Status: T\n"
     b"\n"
     b"body\n\n\n", ""),
    (b"From dana@example.org Thu Jan 04 13:00:00 2024",
     b"From: Dana <dana@example.org>\n"
     b"Subject: no final newline\n"
     b"Status: O\n"
     b"X-Keywords: $Junk\n"
     b"\n"
     b"Cheers,\n>From\nDana", ""),
]
os.makedirs("orig", exist_ok=True)
with open("src.mbox", "wb") as f:
    for i, (fl, body, _) in enumerate(msgs):
        with open("orig/%d" % i, "wb") as o:
            o.write(body)
        quoted = re.sub(rb"(?m)^(>*From )", rb">\1", body)
        f.write(fl + b"\n" + quoted)
        if i + 1 < len(msgs):
            f.write(b"\n" if quoted.endswith(b"\n") else b"\n\n")
PY

# check.py MBOX: every message of MBOX, read by Python, equals orig/N
# modulo the documented changes; prints "N <flags>" per message.
cat >check.py <<\PY
import mailbox, re, sys
FLAGS = re.compile(rb"(?im)^(status|x-status|x-keywords):.*\n([ \t].*\n)*")

def normal(b):
    b = b.replace(b"\r\n", b"\n")
    if b and not b.endswith(b"\n"):
        b += b"\n"
    head, sep, body = b.partition(b"\n\n")
    return FLAGS.sub(b"", head + b"\n") + sep[1:] + body

box = mailbox.mbox(sys.argv[1], create=False)
keys = box.keys()
assert len(keys) == 4, "Python sees %d messages" % len(keys)
for i, k in enumerate(keys):
    m = box.get_bytes(k)
    # Python does not unquote: undo mboxrd quoting once.
    m = re.sub(rb"(?m)^>(>*From )", rb"\1", m)
    want = normal(open("orig/%d" % i, "rb").read())
    ours = re.match(rb"(Status: [RO]+\n)(X-Status: [AFTD]+\n)?"
                    rb"(X-Keywords:.*\n)?", m)
    assert ours, m[:80]
    got = normal(m[ours.end():])
    assert got == want, (i, got, want)
    assert b"\r" not in box.get_bytes(k)
    msg = box.get_message(k)
    print(i, "".join(sorted(msg.get_flags())) or "-",
          (msg.get("X-Keywords") or "-").strip())
PY

test_expect_success 'generate an mboxrd source' '
	python3 gen.py &&
	test $(grep -c "^From " src.mbox) -eq 4 &&
	grep -q "^>>>From a doubly" src.mbox
'

test_expect_success 'export it to mbox' '
	run_ms export -q --from src.mbox --to mbox -o exp &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	test -f exp/src.mbox &&
	[ "$(stat -c %a exp)" = 700 ] &&
	[ "$(stat -c %a exp/src.mbox)" = 600 ]
'

test_expect_success 'Python reads every message back, bytes and flags' '
	python3 check.py exp/src.mbox >got &&
	cat >want <<-\EOF &&
	0 AFOR -
	1 O $Forwarded project-x
	2 OT -
	3 O $Junk
	EOF
	test_cmp want got
'

test_expect_success 'the output quotes every ^>*From line and is LF only' '
	grep -q "^>From the desk of Alice" exp/src.mbox &&
	grep -q "^>>From a quoted line" exp/src.mbox &&
	grep -q "^>>>From a doubly quoted line" exp/src.mbox &&
	grep -q "^>From bob@example.org Tue Jan  2 10:00:00 2024" exp/src.mbox &&
	grep -q "^>From a Windows machine" exp/src.mbox &&
	grep -q "^>From$" exp/src.mbox &&
	grep -q "^Fromage is not From" exp/src.mbox &&
	! grep -q "$(printf "\r")" exp/src.mbox
'

test_expect_success 'From_ lines: sender from Return-Path/From:, asctime UTC' '
	grep "^From " exp/src.mbox >froms &&
	cat >want <<-\EOF &&
	From alice@example.org Mon Jan  1 10:00:00 2024
	From bob@example.org Tue Jan  2 11:00:00 2024
	From carol@example.org Wed Jan  3 12:00:00 2024
	From dana@example.org Thu Jan  4 13:00:00 2024
	EOF
	test_cmp want froms
'

test_expect_success 'one blank line after each message, a final newline' '
	python3 -c "import sys; d = open(\"exp/src.mbox\", \"rb\").read(); \
	    assert d.endswith(b\"\\nDana\\n\\n\"), d[-20:]; \
	    assert b\"body\\n\\n\\n\\nFrom dana\" in d"
'

test_expect_success 'exporting our own output again gives the same file' '
	run_ms export -q --from exp/src.mbox --to mbox -o exp2 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	cmp exp/src.mbox exp2/src.mbox
'

test_expect_success 'list counts the messages of the source' '
	run_ms list --from src.mbox &&
	[ $rc -eq 0 ] && grep -q "^4	.*	src$" out
'

test_done
