#!/bin/bash
# Real third-party mbox files (../shared/fixtures, skipped when absent):
# Apple Mail's "Export Mailbox" bundle (213 messages, mboxrd-like quoting)
# and the mbox variants from cpython's and git's test suites.  The counts
# come from strict From_ detection (a separator needs a date):
#   cpython-mailbox_01.mbox  1  ("From time to time" after a blank line is
#                               body text; 2 with --mbox-lenient)
#   cpython-mailbox_02.mbox  1  (year 20220 still makes a separator)
#   git-t5100-sample.mboxrd  2  (the unescaped "From not mangled" line is
#                               not after a blank line)
. "$(dirname "$0")/lib.sh"

need_fixtures
command -v python3 >/dev/null 2>&1 || skip "python3 missing"
BUNDLE=$FIXTURES/apple-mail-export-bundle/test.mbox
VARIANTS=$FIXTURES/mbox-variants

# count MBOX: the number of messages Python sees.
count() {
	python3 -c "import mailbox, sys; \
	    print(len(mailbox.mbox(sys.argv[1], create=False).keys()))" "$1"
}

if [ -f "$BUNDLE/mbox" ]; then
	test_expect_success 'Apple export bundle: 213 messages' '
		run_ms export -q --from "$BUNDLE" --to mbox -o apple &&
		{ [ $rc -eq 0 ] || { cat err; false; }; } &&
		[ "$(count apple/test.mbox)" = 213 ] &&
		run_ms list --from "$BUNDLE" && [ $rc -eq 0 ] &&
		grep -q "^213	" out
	'

	test_expect_success 'Apple export bundle: every message byte for byte' '
		python3 - "$BUNDLE/mbox" apple/test.mbox <<-\PY
		import mailbox, sys
		a = mailbox.mbox(sys.argv[1], create=False)
		b = mailbox.mbox(sys.argv[2], create=False)
		ka, kb = a.keys(), b.keys()
		assert len(ka) == len(kb) == 213, (len(ka), len(kb))
		for x, y in zip(ka, kb):
		    sa, sb = a.get_bytes(x), b.get_bytes(y)
		    # Only our Status line is new; >>From stays >>From (read
		    # as mboxrd, written as mboxrd).
		    assert sb.startswith(b"Status: O\n"), sb[:40]
		    assert sa == sb[10:], x
		    # Same date (Apple pads the day with 0, we with a space).
		    da = a.get_message(x).get_from().split()[-4:]
		    db = b.get_message(y).get_from().split()[-4:]
		    assert [w.lstrip("0") for w in da] == \
		        [w.lstrip("0") for w in db], (da, db)
		PY
	'

	test_expect_success 'Apple export bundle: sender from Return-Path' '
		head -1 apple/test.mbox >first &&
		echo "From java-user-return-53989-apmail-lucene-java-user-archive=lucene.apache.org@lucene.apache.org Wed Oct 31 17:21:13 2012" >want &&
		test_cmp want first
	'

	test_expect_success 'Apple export bundle: the mbox file given directly' '
		run_ms export -q --from "$BUNDLE/mbox" --to mbox -o apple2 &&
		[ $rc -eq 0 ] && cmp apple/test.mbox apple2/test.mbox
	'
fi

if [ -f "$VARIANTS/cpython-mailbox_01.mbox" ]; then
	test_expect_success 'cpython 01: one message, body From line kept' '
		run_ms export -q --from "$VARIANTS/cpython-mailbox_01.mbox" \
		    --to mbox -o cp1 &&
		[ $rc -eq 0 ] &&
		[ "$(count cp1/cpython-mailbox_01.mbox)" = 1 ] &&
		grep -q "^>From time to time$" cp1/cpython-mailbox_01.mbox &&
		grep -q "^Hello$" cp1/cpython-mailbox_01.mbox &&
		head -1 cp1/cpython-mailbox_01.mbox >first &&
		echo "From foo Sun Aug  7 11:40:37 2022" >want &&
		test_cmp want first
	'

	test_expect_success 'cpython 01 with --mbox-lenient: two messages' '
		run_ms export -q --mbox-lenient \
		    --from "$VARIANTS/cpython-mailbox_01.mbox" --to mbox -o cp1l &&
		[ $rc -eq 0 ] &&
		[ "$(count cp1l/cpython-mailbox_01.mbox)" = 2 ]
	'
fi

if [ -f "$VARIANTS/cpython-mailbox_02.mbox" ]; then
	test_expect_success 'cpython 02: year 20220 still separates, date 0' '
		run_ms export -q --from "$VARIANTS/cpython-mailbox_02.mbox" \
		    --to mbox -o cp2 &&
		[ $rc -eq 0 ] &&
		[ "$(count cp2/cpython-mailbox_02.mbox)" = 1 ] &&
		grep -q "^>From time to time$" cp2/cpython-mailbox_02.mbox &&
		head -1 cp2/cpython-mailbox_02.mbox >first &&
		echo "From foo Thu Jan  1 00:00:00 1970" >want &&
		test_cmp want first
	'
fi

if [ -f "$VARIANTS/git-t5100-sample.mboxrd" ]; then
	test_expect_success 'git t5100: two messages, unquoted once' '
		run_ms export -q --from "$VARIANTS/git-t5100-sample.mboxrd" \
		    --to eml -o git &&
		[ $rc -eq 0 ] &&
		[ $(find git -name "*.eml" | wc -l) -eq 2 ] &&
		f1=$(grep -l "escaped From lines" git/*/*.eml) &&
		f2=$(grep -l "another with fake" git/*/*.eml) &&
		printf "%s\n" "" "From the beginning, mbox should have been mboxrd" \
		    ">From escaped" \
		    "From not mangled but this line should have been escaped" \
		    >want1 &&
		sed -n "/^$/,\$p" "$f1" >got1 && test_cmp want1 got1 &&
		printf "%s\n" "" " >From unchanged" " From also unchanged" \
		    "no trailing space, no escaping necessary and '"'"'>'"'"' was intended:" \
		    ">From" >want2 &&
		sed -n "/^$/,\$p" "$f2" >got2 && test_cmp want2 got2
	'

	test_expect_success 'git t5100 to mbox: Python counts 2, quoting redone' '
		run_ms export -q --from "$VARIANTS/git-t5100-sample.mboxrd" \
		    --to mbox -o gitm &&
		[ $rc -eq 0 ] &&
		m=gitm/git-t5100-sample.mboxrd.mbox &&
		[ "$(count $m)" = 2 ] &&
		grep -q "^>From the beginning" $m &&
		grep -q "^>>From escaped" $m &&
		grep -q "^>From not mangled" $m &&
		grep -q "^ >From unchanged" $m &&
		grep -q "^>From$" $m
	'

	test_expect_success 'git t5100 with --mbox-flavour mboxo: no unquoting' '
		run_ms export -q --mbox-flavour mboxo \
		    --from "$VARIANTS/git-t5100-sample.mboxrd" --to eml -o gito &&
		[ $rc -eq 0 ] &&
		grep -q "^>From the beginning" gito/*/*.eml &&
		grep -q "^>>From escaped" gito/*/*.eml
	'
fi

# Every byte of a source file is in the output: with From_ lines masked,
# our Status line dropped and both sides unquoted once (which also makes
# an unescaped body "From " line in the source equal to our quoted one),
# the mbox we write is the source file.
test_expect_success 'no message lost: the output is the source, modulo quoting' '
	for f in "$VARIANTS"/*; do
		[ -f "$f" ] || continue
		rm -rf all &&
		run_ms export -q --from "$f" --to mbox -o all &&
		[ $rc -eq 0 ] &&
		python3 - "$f" all/*.mbox <<-\PY || exit 1
		import re, sys
		src = open(sys.argv[1], "rb").read()
		out = open(sys.argv[2], "rb").read()
		sep = re.compile(rb"(?m)(?:\A|(?<=\n\n))From \S+ \w{3} \w{3} "
		                 rb"[ 0-9][0-9] \d\d:\d\d:\d\d \d{4,5}.*\n")
		s = sep.sub(b"From_\n", src)
		o = re.sub(rb"(?m)^From .*\n", b"From_\n", out)
		o = o.replace(b"From_\nStatus: O\n", b"From_\n")
		unq = lambda x: re.sub(rb"(?m)^>(>*From )", rb"\1", x)
		assert unq(s).rstrip(b"\n") == unq(o).rstrip(b"\n"), sys.argv[1]
		PY
	done
'

test_done
