#!/usr/bin/env bash
# Archives hold exactly the tree the directory writer makes: for each
# layout (eml, maildir, mbox) and each archive type (.tar .zip .tar.gz
# .tgz .tar.zst .tar.xz), export a small mixed mbox, extract the archive
# with tools we did not write (python's tarfile/zipfile, zstd) and compare
# it byte for byte with a directory export of the same source.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to build the source and extract"

# A mixed mbox: LF and CRLF messages, a quoted and an unquoted "From " body
# line, flags in Status/X-Status, an RFC 2047 subject and 8-bit body, an
# exact duplicate (a name collision), and a last message without a final
# newline.  The file name gives a non-ASCII folder name.
python3 - <<'EOF'
msgs = [
    b"From alice@example.org Mon Jan  1 10:00:00 2024\n"
    b"Return-Path: <alice@example.org>\n"
    b"From: Alice <alice@example.org>\n"
    b"To: bob@example.org\n"
    b"Subject: Hello there\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
    b"Message-ID: <one@example.org>\n"
    b"Status: RO\n"
    b"\n"
    b"First line.\n"
    b">From quoted in the source\n"
    b"From me to you, an unquoted body line\n"
    b"\n",
    b"From bob@example.org Tue Jan  2 11:00:00 2024\n"
    b"From: Bob <bob@example.org>\r\n"
    b"Subject: CRLF message\r\n"
    b"Date: Tue, 2 Jan 2024 11:00:00 +0000\r\n"
    b"X-Status: AF\r\n"
    b"\r\n"
    b"Line one\r\n"
    b"Line two\r\n"
    b"\n",
    b"From carol@example.org Wed Jan  3 12:00:00 2024\n"
    b"From: carol@example.org\n"
    b"Subject: =?utf-8?q?caf=C3=A9_=E2=82=AC_r=C3=A9sum=C3=A9?=\n"
    b"Date: Wed, 3 Jan 2024 12:00:00 +0100\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"Content-Transfer-Encoding: 8bit\n"
    b"\n"
    b"Bo\xc3\xaete \xc3\xa0 lettres \xe2\x82\xac\n"
    b"\n",
    # An exact duplicate of the first message.
    None,
    b"From dave@example.org Thu Jan  4 13:00:00 2024\n"
    b"From: dave@example.org\n"
    b"Subject: no date header, no final newline\n"
    b"\n"
    b"the end",
]
msgs[3] = msgs[0]
with open("Bo\u00eete \u00e9t\u00e9.mbox", "wb") as f:
    f.write(b"".join(msgs))
EOF
SRC="Boîte été.mbox"

# extract ARCHIVE DIR: unpack with python (and zstd for .tar.zst).
extract() {
	mkdir "$2" &&
	case "$1" in
	*.tar.zst)
		zstd -q -dc "$1" | python3 -c '
import sys, tarfile
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as t:
    t.extractall(sys.argv[1])' "$2" ;;
	*.zip)
		python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2])' "$1" "$2" ;;
	*)
		python3 -c '
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    t.extractall(sys.argv[2])' "$1" "$2" ;;
	esac
}

# modes ARCHIVE: print "mode type" for every entry (tar or zip).
modes() {
	case "$1" in
	*.tar.zst) zstd -q -dc "$1" >modes.tar && set -- modes.tar ;;
	esac
	python3 -c '
import sys, tarfile, zipfile
p = sys.argv[1]
if p.endswith(".zip"):
    for i in zipfile.ZipFile(p).infolist():
        print(oct((i.external_attr >> 16) & 0o7777), "d" if i.is_dir() else "f")
else:
    for m in tarfile.open(p):
        print(oct(m.mode), "d" if m.isdir() else "f")' "$1"
}

# same_manifest REF GOT: the same messages in the same places.  The stored
# SHA-256 is left out: write_mbox.c does not fill it (sink.h wants it for
# bytes that differ from the source); "mailsave verify" checks ours.
same_manifest() {
	[ ! -e "$1" ] && [ ! -e "$2" ] && return 0
	python3 -c '
import json, sys
def load(p):
    rows = [json.loads(l) for l in open(p, encoding="utf-8")]
    for r in rows:
        r.pop("stored_sha256", None)
    return rows
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a == b, (a, b)' "$1" "$2"
}

command -v zstd >/dev/null && have_zstd=1 || have_zstd=0

for layout in eml maildir mbox; do
	test_expect_success "$layout: directory export (the reference)" '
		run_ms export --from "$SRC" --to $layout -o ref-$layout &&
		{ [ $rc -eq 0 ] || { cat err; false; }; } &&
		[ -n "$(find ref-$layout -type f)" ]
	'
	for ext in .tar .zip .tar.gz .tgz .tar.zst .tar.xz; do
		if [ "$ext" = .tar.zst ] && [ $have_zstd = 0 ]; then
			continue
		fi
		a=out-$layout$ext
		test_expect_success "$layout$ext: same tree as the directory export" '
			run_ms export --from "$SRC" --to $layout -o $a &&
			{ [ $rc -eq 0 ] || { cat err; false; }; } &&
			[ -f $a ] && [ ! -e $a.partial ] &&
			[ "$(stat -c %a $a)" = 600 ] &&
			[ -z "$(ls -A | grep -e "^\.mailsave-spool")" ] &&
			extract $a x-$a &&
			diff -r -x .mailsave -x mailsave-index -x manifest.jsonl \
				ref-$layout x-$a &&
			same_manifest ref-$layout/manifest.jsonl \
				x-$a/manifest.jsonl
		'
		test_expect_success "$layout$ext: mailsave verify finds it whole" '
			run_ms verify $a &&
			{ [ $rc -eq 0 ] || { cat out err; echo "exit $rc"; false; }; }
		'
		test_expect_success "$layout$ext: files 0600, directories 0700" '
			modes $a >modes.out &&
			! grep -v -e "^0o600 f$" -e "^0o700 d$" modes.out &&
			grep -q "^0o600 f$" modes.out
		'
	done
done

test_expect_success 'eml: the exact duplicate is stored once, bytes exact' '
	[ $(ls x-out-eml.tar/*/ | grep -c -- "-hello-there-") -eq 1 ] &&
	f=$(ls x-out-eml.tar/*/*-hello-there-*.eml) &&
	python3 -c "
import sys
msg = open(sys.argv[1], \"rb\").read()
assert msg.startswith(b\"Return-Path:\"), msg[:40]
assert b\"\\nFrom me to you\" in msg, msg
assert b\"\\nFrom quoted in the source\" in msg, msg
" "$f" &&
	f=$(ls x-out-eml.tar/*/*no-date-header*.eml) &&
	[ "$(tail -c 7 "$f")" = "the end" ] &&
	f=$(ls x-out-eml.tar/*/*crlf-message*.eml) &&
	[ $(grep -c "$(printf "\r")$" "$f") -eq 7 ]
'

test_expect_success 'maildir: flags in the names, Maildir++ folder marker' '
	[ -n "$(find x-out-maildir.tar -path "*/cur/*:2,S")" ] &&
	[ -n "$(find x-out-maildir.tar -path "*/cur/*:2,FR")" ] &&
	[ -f "x-out-maildir.tar/.Boîte été/maildirfolder" ] &&
	[ -d x-out-maildir.tar/cur ] && [ -d x-out-maildir.tar/new ] &&
	[ -d x-out-maildir.tar/tmp ]
'

test_expect_success 'mbox: the folder is one mboxrd file, quoted' '
	f="x-out-mbox.tar/Boîte été.mbox" && [ -f "$f" ] &&
	grep -q "^>From quoted in the source" "$f" &&
	grep -q "^>From me to you" "$f" &&
	[ $(grep -c "^From " "$f") -eq \
	    $(grep -c "^From " "ref-mbox/Boîte été.mbox") ]
'

test_expect_success 'the same export twice gives the same archive bytes' '
	run_ms export --from "$SRC" --to eml -o again.tar &&
	[ $rc -eq 0 ] && cmp again.tar out-eml.tar
'

test_done
