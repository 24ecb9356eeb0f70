#!/bin/bash
# The files of EML and Maildir output: modes 0600 and 0700 whatever the
# umask, mtime = the message's date, names that agree with it, `list` on
# Maildir and EML sources, and an unreadable .eml file named and skipped.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -d "$SAMPLES/maildir" ] && [ -d "$SAMPLES/eml" ] || skip "no samples"

export_ok() {
	run_ms export -q --from "$1" --to "$2" -o "$3" &&
	{ [ "$rc" -eq 0 ] || { cat err; echo "exit $rc"; false; }; }
}

umask 022

test_expect_success 'exports into a new nested DEST' '
	export_ok "$SAMPLES/maildir" eml deep/a/eml &&
	export_ok "$SAMPLES/maildir" maildir deep/b/md
'

test_expect_success 'files are 0600, directories 0700' '
	test -z "$(find deep/a/eml deep/b/md -type f ! -perm 0600)" &&
	test -z "$(find deep deep/a/eml deep/b/md -type d ! -perm 0700)" &&
	test $(find deep/a/eml -type f -name "*.eml" | wc -l) -eq 15
'

test_expect_success 'maildir keeps each message date as mtime and in its name' '
	python3 - "$SAMPLES/maildir" deep/b/md <<-\PY
	import hashlib, os, sys
	def scan(root):
	    res = {}
	    for dp, dn, fn in os.walk(root):
	        if os.path.basename(dp) not in ("cur", "new"):
	            continue
	        for n in fn:
	            p = os.path.join(dp, n)
	            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
	            res[h] = (int(os.stat(p).st_mtime), n)
	    return res
	src, out = scan(sys.argv[1]), scan(sys.argv[2])
	assert len(src) == 15 and src.keys() == out.keys()
	for h, (mtime, name) in out.items():
	    assert mtime == src[h][0], (name, mtime, src[h][0])
	    assert name.startswith("%d.%s.mailsave" % (mtime, h[:16])), name
	PY
'

test_expect_success 'eml mtime matches the date in its name (UTC)' '
	python3 - deep/a/eml <<-\PY
	import os, sys, time
	n = 0
	for dp, dn, fn in os.walk(sys.argv[1]):
	    for f in fn:
	        if not f.endswith(".eml"):
	            continue
	        st = os.stat(os.path.join(dp, f))
	        want = time.strftime("%Y%m%d-%H%M%S", time.gmtime(st.st_mtime))
	        if f.startswith("00000000-000000"):
	            assert st.st_mtime == 0, f
	        else:
	            assert f.startswith(want), (f, want)
	        n += 1
	assert n == 15, n
	PY
'

test_expect_success 'eml from an mbox: the date comes from the message' '
	[ -f "$SAMPLES/mbox/inbox.mbox" ] || return 0
	export_ok "$SAMPLES/mbox/inbox.mbox" eml e2 &&
	test $(ls e2/inbox | wc -l) -eq 8 &&
	test -z "$(ls e2/inbox | grep "^00000000")"
'

test_expect_success 'list a Maildir++ source' '
	run_ms list --from "$SAMPLES/maildir" &&
	test "$rc" -eq 0 &&
	cut -f1,3 out >got &&
	printf "7\tINBOX\n3\tArchive/2023\n2\tEntw\303\274rfe\n3\tSent\n" >want &&
	test_cmp want got
'

test_expect_success 'list an EML tree' '
	run_ms list --from "$SAMPLES/eml" &&
	test "$rc" -eq 0 &&
	cut -f1,3 out >got &&
	printf "3\tInbox\n2\tProjects\n" >want &&
	test_cmp want got
'

test_expect_success 'explicit eml: and maildir: prefixes' '
	run_ms list --from "maildir:$SAMPLES/maildir" &&
	test "$rc" -eq 0 && test $(wc -l <out) -eq 4 &&
	run_ms list --from "eml:$SAMPLES/eml" &&
	test "$rc" -eq 0 && test $(wc -l <out) -eq 2
'

if [ "$(id -u)" != 0 ]; then
test_expect_success 'an unreadable .eml file is named and skipped (exit 1)' '
	mkdir -p bad/Box &&
	cp "$SAMPLES/eml/Inbox/"*.eml bad/Box/ &&
	printf "Subject: locked\n\nx\n" >bad/Box/locked.eml &&
	chmod 000 bad/Box/locked.eml &&
	run_ms export -q --from bad --to maildir -o bad-out &&
	chmod 600 bad/Box/locked.eml &&
	test "$rc" -eq 1 &&
	grep -q "locked.eml" err &&
	test $(find bad-out -type f -path "*/cur/*" | wc -l) -eq 3
'
fi

test_done
