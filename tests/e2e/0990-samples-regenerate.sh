#!/bin/bash
# The committed samples/ are exactly what samples/make-samples.py makes: the
# generator is deterministic and nobody edited its output by hand.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"

test_expect_success 'make-samples.py reproduces the committed samples byte for byte' '
	python3 "$SAMPLES/make-samples.py" gen &&
	diff -r "$SAMPLES/mbox" gen/mbox &&
	diff -r "$SAMPLES/mbox-tree" gen/mbox-tree &&
	diff -r "$SAMPLES/apple-export" gen/apple-export &&
	diff -r "$SAMPLES/maildir" gen/maildir &&
	diff -r "$SAMPLES/eml" gen/eml
'

test_expect_success 'the generated samples stay small (under 200 KB of file content)' '
	test $(cd "$SAMPLES" &&
	    find mbox mbox-tree apple-export maildir eml make-samples.py README.md \
		-type f -printf "%s\n" | awk "{ s += \$1 } END { print s }") -lt 204800
'

test_done
