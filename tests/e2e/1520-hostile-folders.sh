#!/bin/bash
# Hostile folder names ("..", control characters, Windows device names,
# NFD Unicode, invalid UTF-8, characters Windows forbids, trailing dots)
# from Maildir++, nested maildirs and EML trees land inside DEST, with
# NFC UTF-8 names that every file system can hold, and every message is
# still exported.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"

export_ok() {
	run_ms export -q --from "$1" --to "$2" -o "$3" &&
	{ [ "$rc" -eq 0 ] || { cat err; echo "exit $rc"; false; }; }
}

# Build the hostile sources with Python (names with control bytes).
python3 - <<'PY' || exit 1
import os
def msg(path, subject):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"Subject: " + subject + b"\n\nbody of " + subject + b"\n")
def maildir(d):
    for s in (b"cur", b"new", b"tmp"):
        os.makedirs(os.path.join(d, s), exist_ok=True)
root = b"src-md"
maildir(root)
msg(root + b"/cur/1.inbox:2,S", b"inbox")
hostile = [b"...", b".ctl\x01\x1f\x7f", b".CON", b".nul.txt",
           b".Tu\xcc\x88bingen", b".a:b*c?d|e", b".\xff\xfe", b".x\\..\\y",
           b".trail. ", b".COM1.x", b"..hidden"]
for i, h in enumerate(hostile):
    maildir(root + b"/" + h)
    open(root + b"/" + h + b"/maildirfolder", "wb").close()
    msg(root + b"/" + h + b"/cur/%d.m:2,S" % i, b"pp%d" % i)
# Nested maildirs with hostile directory names.
for i, h in enumerate([b"sub/CON", b"sub/AUX.d", b"sub/tr. ", b"sub/\xc3\xa9\xcc\x81"]):
    maildir(root + b"/" + h)
    msg(root + b"/" + h + b"/new/%d.n" % i, b"nest%d" % i)
# An EML tree with hostile directory names.
for i, h in enumerate([b"CON", b"Tu\xcc\x88bingen", b"ctl\x01x", b"\xff",
                       b"a:b", b"dot.", b"lpt9.txt/deeper"]):
    msg(b"src-eml/" + h + b"/%d.eml" % i, b"eml%d" % i)
PY

# check_tree DEST: names inside DEST only, all valid NFC UTF-8 without
# control or Windows-forbidden characters, no "." / ".." tricks, no
# device names, no trailing dot or space.
check_tree() {
	python3 - "$1" "$2" <<'PY'
import os, re, sys, unicodedata
root, kind = sys.argv[1].encode(), sys.argv[2]
reserved = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])( *\.|$)", re.I)
bad = []
real = os.path.realpath(root)
for dp, dn, fn in os.walk(root):
    if not os.path.realpath(dp).startswith(real):
        bad.append(("outside", dp))
    for n in dn + fn:
        try:
            s = n.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(("utf8", n)); continue
        if unicodedata.normalize("NFC", s) != s:
            bad.append(("nfc", s))
        # ':' separates the info of a Maildir file name (the standard).
        info = kind == "maildir" and n in fn and re.search(r":2,[A-Z]*$", s)
        if any(ord(c) < 32 or ord(c) == 127 or 0x80 <= ord(c) < 0xa0 or
               (c in '\\:*?"<>|' and not (info and c == ":")) for c in s):
            bad.append(("char", s))
        # path.h keeps "." and ".." readable as "_." and "_..".
        if s in (".", "..") or (s.endswith((".", " ")) and
                                s not in ("_.", "_..")):
            bad.append(("dots", s))
        if reserved.match(s):
            bad.append(("reserved", s))
        top = dp == root
        # Hidden: only Maildir++ folders and the index folder .mailsave.
        if dp == root + b"/.mailsave":
            continue
        if s.startswith(".") and not (top and n in dn and
                                      (kind == "maildir" or s == ".mailsave")):
            bad.append(("hidden", s))
        if os.path.islink(os.path.join(dp, n)):
            bad.append(("link", s))
if bad:
    print(bad)
    sys.exit(1)
PY
}

# count DEST KIND: number of message files.
count() {
	if [ "$2" = eml ]; then
		find "$1" -type f -name "*.eml" | wc -l
	else
		find "$1" -type f -path "*/cur/*" | wc -l
	fi
}

test_expect_success 'maildir with hostile folders -> maildir' '
	export_ok src-md maildir out-md &&
	check_tree out-md maildir &&
	test $(count out-md maildir) -eq 16
'

test_expect_success 'maildir with hostile folders -> eml' '
	export_ok src-md eml out-eml &&
	check_tree out-eml eml &&
	test $(count out-eml eml) -eq 16
'

test_expect_success 'eml tree with hostile folders -> maildir and eml' '
	export_ok src-eml maildir out-md2 &&
	check_tree out-md2 maildir &&
	test $(count out-md2 maildir) -eq 7 &&
	export_ok src-eml eml out-eml2 &&
	check_tree out-eml2 eml &&
	test $(count out-eml2 eml) -eq 7
'

test_expect_success 'the expected safe names' '
	test -d "out-md/.___" &&
	test -d "out-md/._CON" &&
	test -d "out-md/.ctl___" &&
	test -d "out-md/.T$(printf "\303\274")bingen" &&
	test -d "out-md/._COM1.x" &&
	test -d "out-md/.sub._CON" &&
	test -d "out-eml/_.." &&
	test -d "out-eml/_CON" &&
	test -d "out-eml/%FF%FE" &&
	test -d "out-eml/sub/_AUX.d" &&
	test -d "out-eml/sub/tr__" &&
	test -d "out-eml2/_lpt9.txt/deeper" &&
	test -d "out-eml2/dot_" &&
	test -d "out-eml2/a_b"
'

test_expect_success 'nothing was written outside DEST' '
	ls -A | grep -v -x -e out-md -e out-eml -e out-md2 -e out-eml2 \
	    -e out -e err -e got -e want -e .out >got &&
	printf "%s\n" src-eml src-md >want &&
	test_cmp want got &&
	test ! -e ../escape
'

test_expect_success 'bytes are unchanged under hostile folders' '
	for f in out-eml/*/*.eml; do
		grep -q "^body of " "$f" || return 1
	done
'

test_done
