#!/bin/bash
# Bad mbox input gives one clear line and a non-zero exit, never a crash:
# binary garbage, a text file, a missing file (with and without the mbox:
# prefix).  An empty file is an empty mailbox, not an error.  A huge line
# and a message bigger than every buffer pass through intact.
. "$(dirname "$0")/lib.sh"

test_expect_success 'binary garbage with mbox: prefix: not an mbox file' '
	head -c 200000 /dev/urandom >garbage.bin &&
	run_ms export --from mbox:garbage.bin --to mbox -o d1 &&
	[ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -lt 128 ] &&
	[ $(wc -l <err) -eq 1 ] &&
	grep -q "garbage.bin: not an mbox file" err &&
	[ -z "$(find d1 -name "*.mbox" 2>/dev/null)" ]
'

test_expect_success 'binary garbage detected: one line, non-zero' '
	run_ms export --from garbage.bin --to mbox -o d2 &&
	[ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -lt 128 ] &&
	[ $(wc -l <err) -eq 1 ] && grep -q "garbage.bin" err
'

test_expect_success 'a text file that is not an mbox' '
	printf "hello\n\nFrom a@b Mon Jan  1 00:00:00 2001\nX: y\n" >text.mbox &&
	run_ms export --from mbox:text.mbox --to mbox -o d3 &&
	[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ $(wc -l <err) -eq 1 ] &&
	grep -q "text.mbox: not an mbox file" err
'

test_expect_success 'a missing file: one line naming it' '
	run_ms export --from mbox:nowhere.mbox --to mbox -o d4 &&
	[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ $(wc -l <err) -eq 1 ] &&
	grep -q "nowhere.mbox" err &&
	run_ms export --from nowhere.mbox --to mbox -o d5 &&
	[ $rc -ne 0 ] && [ $rc -lt 128 ] && [ $(wc -l <err) -eq 1 ] &&
	grep -q "nowhere.mbox" err
'

test_expect_success 'an empty file is an empty mailbox' '
	: >empty.mbox &&
	run_ms export -q --from mbox:empty.mbox --to mbox -o d6 &&
	{ [ $rc -eq 0 ] || { cat err; false; }; } &&
	[ -z "$(find d6 -name "*.mbox")" ]
'

test_expect_success 'a 20 MB message with a 3 MB line passes intact' '
	command -v python3 >/dev/null 2>&1 || exit 0
	python3 - <<-\PY &&
	import hashlib
	body = bytearray()
	body += b"From: big@example.org\nSubject: big\n\n"
	body += b"y" * (3 << 20) + b"\n"
	line = b"0123456789" * 7 + b"\n"
	while len(body) < (20 << 20):
	    body += line
	    if len(body) % 997 < 72:
	        body += b">From a line to unquote\n"
	with open("big.mbox", "wb") as f:
	    f.write(b"From big@example.org Mon Jan  1 00:00:00 2024\n")
	    f.write(body.replace(b"\n>From ", b"\n>>From "))
	    f.write(b"\nFrom small@example.org Mon Jan  1 00:00:01 2024\n")
	    f.write(b"Subject: small\n\nsmall\n")
	open("big.sha", "w").write(hashlib.sha256(body).hexdigest())
	PY
	run_ms export -q --from big.mbox --to eml -o d7 &&
	[ $rc -eq 0 ] &&
	[ $(find d7 -name "*.eml" | wc -l) -eq 2 ] &&
	f=$(grep -l "^Subject: big" d7/*/*.eml) &&
	[ "$(sha256sum <"$f" | cut -d" " -f1)" = "$(cat big.sha)" ]
'

test_done
