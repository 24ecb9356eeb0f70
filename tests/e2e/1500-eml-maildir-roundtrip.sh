#!/bin/bash
# EML tree -> Maildir -> EML -> Maildir, and Maildir -> EML -> Maildir:
# every message arrives byte for byte (each file found by its content hash
# and compared with cmp), folders keep their places, and the same export
# run twice makes the same tree.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -d "$SAMPLES/eml" ] && [ -d "$SAMPLES/maildir" ] || skip "no samples"

# export_ok FROM TO DEST: run an export that must succeed with exit 0.
export_ok() {
	run_ms export -q --from "$1" --to "$2" -o "$3" &&
	{ [ "$rc" -eq 0 ] || { cat err; echo "exit $rc"; false; }; }
}

# messages DIR KIND: "sha256 relative-path" of every message file of an
# eml or maildir tree (never tmp/, never hidden files), sorted.
messages() {
	python3 - "$1" "$2" <<'PY'
import hashlib, os, sys
root, kind = sys.argv[1], sys.argv[2]
out = []
for dp, dn, fn in os.walk(root):
    rel = os.path.relpath(dp, root)
    for n in fn:
        if n.startswith("."):
            continue
        if kind == "eml" and not n.lower().endswith(".eml"):
            continue
        if kind == "maildir" and os.path.basename(dp) not in ("cur", "new"):
            continue
        p = os.path.join(dp, n)
        with open(p, "rb") as f:
            out.append((hashlib.sha256(f.read()).hexdigest(),
                        os.path.normpath(os.path.join(rel, n))))
for h, p in sorted(out):
    print(h, p)
PY
}

# same_bytes A KIND_A B KIND_B: both trees hold the same set of messages;
# each message of A is compared with cmp to its twin in B.
same_bytes() {
	messages "$1" "$2" >a.list &&
	messages "$3" "$4" >b.list &&
	cut -d" " -f1 a.list | sort -u >a.sha &&
	cut -d" " -f1 b.list | sort -u >b.sha &&
	test_cmp a.sha b.sha &&
	test -s a.sha &&
	while read -r sha path; do
		twin=$(grep "^$sha " b.list | head -n1 | cut -d" " -f2-) &&
		cmp "$1/$path" "$3/$twin" || return 1
	done <a.list
}

# "Inbox" is INBOX (any case): the Maildir root, and "INBOX" when read back.
test_expect_success 'eml samples -> maildir' '
	export_ok "$SAMPLES/eml" maildir m1 &&
	test $(ls m1/cur | wc -l) -eq 3 && test -d m1/.Projects/cur &&
	test ! -e m1/.Inbox
'

test_expect_success 'maildir -> eml -> maildir' '
	export_ok m1 eml e1 &&
	export_ok e1 maildir m2
'

test_expect_success 'every message is byte-exact at every step' '
	same_bytes "$SAMPLES/eml" eml m1 maildir &&
	same_bytes m1 maildir e1 eml &&
	same_bytes e1 eml m2 maildir &&
	test $(wc -l <a.list) -eq 5
'

test_expect_success 'folders keep their places' '
	(cd e1 && find . -name "*.eml" | sed "s|/[^/]*\$||" | sort | uniq -c |
	    sed "s/^ *//") >got &&
	printf "%s\n" "3 ./INBOX" "2 ./Projects" >want &&
	test_cmp want got &&
	(cd m2 && ls -d .*/cur) >got &&
	printf "%s\n" ".Projects/cur" >want &&
	test_cmp want got &&
	test $(ls m2/cur | wc -l) -eq 3
'

test_expect_success 'eml names carry date, subject slug and hash' '
	ls e1/INBOX >names &&
	test $(grep -c -E "^[0-9]{8}-[0-9]{6}-.+-[0-9a-f]{8}\.eml\$" names) -eq 3
'

test_expect_success 'maildir samples -> eml -> maildir keeps the bytes' '
	export_ok "$SAMPLES/maildir" eml e3 &&
	export_ok e3 maildir m3 &&
	same_bytes "$SAMPLES/maildir" maildir e3 eml &&
	same_bytes e3 eml m3 maildir &&
	test $(wc -l <a.list) -eq 15
'

test_expect_success 'the same export twice makes the same tree' '
	export_ok "$SAMPLES/maildir" eml e4 &&
	diff -r -x .mailsave -x manifest.jsonl e3 e4 &&
	(cd e3 && find . -path ./.mailsave -prune -o -print | sort) >a.tree &&
	(cd e4 && find . -path ./.mailsave -prune -o -print | sort) >b.tree &&
	test_cmp a.tree b.tree &&
	export_ok "$SAMPLES/maildir" maildir m4 &&
	export_ok "$SAMPLES/maildir" maildir m5 &&
	diff -r -x .mailsave -x mailsave-index -x manifest.jsonl m4 m5
'

test_expect_success 'no temp files are left behind' '
	test -z "$(find m1 m2 m3 e1 e3 -name "*.tmp")" &&
	test -z "$(find m1 m2 m3 -path "*/tmp/*")"
'

test_expect_success 'a single .eml file is a source' '
	f=$(ls "$SAMPLES/eml/Inbox/"*.eml | head -n1) &&
	export_ok "$f" eml e6 &&
	test $(find e6/Inbox -type f | wc -l) -eq 1 &&
	cmp "$f" e6/Inbox/*.eml
'

test_done
