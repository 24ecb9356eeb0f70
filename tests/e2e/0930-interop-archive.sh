#!/bin/bash
# Interop: archives mailsave writes (through libarchive) open with tools
# that do not use libarchive: GNU tar (+ zstd, gzip, xz), Info-ZIP unzip and
# Python's tarfile/zipfile.  Each archive must hold exactly the tree that
# the directory writer makes for the same --to layout.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"
tar --version 2>/dev/null | grep -q "GNU tar" || skip "GNU tar missing"
CHECK="python3 $SRCDIR/tests/e2e/interop/mboxcheck.py"

# export_ok SOURCE FORMAT DEST
export_ok() {
	run_ms export -q --from "$1" --to "$2" -o "$3" &&
	{ [ "$rc" -eq 0 ] || { cat err; echo "exit $rc"; false; }; }
}

test_expect_success 'directory exports (eml, mbox, maildir) of samples/maildir' '
	export_ok "$SAMPLES/maildir" eml dir-eml &&
	export_ok "$SAMPLES/maildir" mbox dir-mbox &&
	export_ok "$SAMPLES/maildir" maildir dir-maildir &&
	$CHECK compare-files "$SAMPLES/maildir" dir-eml
'

# same_tree EXTRACTED-DIR REFERENCE-DIR: the same files with the same
# bytes (empty directories, such as Maildir tmp/, may differ; the index
# that a directory DEST keeps in .mailsave/ is not part of the tree; the
# manifest must be there but describes its own container, so only the
# messages are compared byte for byte).
same_tree() {
	(cd "$1" && find . -type f | LC_ALL=C sort) >list.a &&
	(cd "$2" && find . -path ./.mailsave -prune -o -path ./mailsave-index -prune -o -type f -print |
	    LC_ALL=C sort) >list.b &&
	test_cmp list.b list.a &&
	while IFS= read -r f; do
		case $f in ./manifest.jsonl) continue ;; esac
		cmp "$2/$f" "$1/$f" || return 1
	done <list.b
}

if command -v zstd >/dev/null 2>&1; then
	test_expect_success 'GNU tar + zstd extract our .tar.zst (eml layout)' '
		export_ok "$SAMPLES/maildir" eml a.tar.zst &&
		zstd -q -t a.tar.zst &&
		mkdir x1 && tar --zstd -xf a.tar.zst -C x1 &&
		same_tree x1 dir-eml
	'
	test_expect_success 'Python tarfile reads our .tar.zst through zstd -dc' '
		zstd -q -dc a.tar.zst >a.tar &&
		python3 -c "import sys, tarfile; t = tarfile.open(sys.argv[1]); \
		    n = [m for m in t.getmembers() \
		         if m.isfile() and m.name.endswith(\".eml\")]; \
		    assert len(n) == 15, len(n)" a.tar
	'
fi

test_expect_success 'GNU tar + gzip extract our .tar.gz (mbox layout)' '
	export_ok "$SAMPLES/maildir" mbox b.tar.gz &&
	gzip -t b.tar.gz &&
	mkdir x2 && tar -xzf b.tar.gz -C x2 &&
	same_tree x2 dir-mbox &&
	$CHECK compare-mbox "$SAMPLES/maildir" x2
'

test_expect_success 'Python tarfile reads our .tgz (maildir layout)' '
	export_ok "$SAMPLES/maildir" maildir c.tgz &&
	python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
	    c.tgz x3 &&
	same_tree x3 dir-maildir &&
	$CHECK maildir-names x3 >got &&
	$CHECK expect "$SAMPLES/maildir" >want &&
	test_cmp want got
'

test_expect_success 'GNU tar lists our plain .tar and every entry has a size' '
	export_ok "$SAMPLES/maildir" eml d.tar &&
	tar -tvf d.tar >listing &&
	test $(grep -c "\.eml$" listing) -eq 15 &&
	mkdir x4 && tar -xf d.tar -C x4 &&
	same_tree x4 dir-eml
'

if command -v xz >/dev/null 2>&1; then
	test_expect_success 'GNU tar + xz extract our .tar.xz' '
		export_ok "$SAMPLES/maildir" eml e.tar.xz &&
		xz -t e.tar.xz &&
		mkdir x5 && tar -xJf e.tar.xz -C x5 &&
		same_tree x5 dir-eml
	'
fi

test_expect_success 'Python zipfile tests and extracts our .zip' '
	export_ok "$SAMPLES/maildir" eml f.zip &&
	python3 -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	    assert z.testzip() is None; z.extractall(sys.argv[2])" f.zip x6 &&
	same_tree x6 dir-eml
'

if command -v unzip >/dev/null 2>&1; then
	test_expect_success 'Info-ZIP unzip tests our .zip (unicode names intact)' '
		LC_ALL=C.UTF-8 unzip -tq f.zip &&
		mkdir x7 && (cd x7 && LC_ALL=C.UTF-8 unzip -q ../f.zip) &&
		same_tree x7 dir-eml
	'
fi

test_done
