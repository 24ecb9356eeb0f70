#!/usr/bin/env bash
# A 30 MB message goes into every archive type with bounded memory (the
# writer spools it to a temporary file, never holding it whole) and comes
# out byte for byte.  The memory check needs GNU time (/usr/bin/time -v);
# without it only the bytes are checked.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to build the source"

# One message of about 30 MB that compresses badly, between two small ones.
python3 -c '
import base64, random
r = random.Random(4020)
with open("large.mbox", "w") as f:
    f.write("From a@example.org Mon Jan  1 00:00:00 2024\n"
            "From: a@example.org\nSubject: small one\n\nhello\n\n")
    f.write("From b@example.org Mon Jan  1 00:00:01 2024\n"
            "From: b@example.org\nSubject: the large one\n"
            "Content-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\n\n")
    for j in range(30 * 1024 * 1024 // 77):
        f.write(base64.b64encode(r.randbytes(57)).decode() + "\n")
    f.write("\n")
    f.write("From c@example.org Mon Jan  1 00:00:02 2024\n"
            "From: c@example.org\nSubject: small two\n\nbye\n")
'

if [ -x /usr/bin/time ] && /usr/bin/time -v true 2>/dev/null; then
	have_time=1
else
	have_time=0
fi

# maxrss_kb FILE: the peak resident set size GNU time reported.
maxrss_kb() {
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"
}

test_expect_success 'eml directory export (the reference)' '
	run_ms export --from large.mbox --to eml -o ref &&
	[ $rc -eq 0 ] && [ $(find ref -type f -name "*.eml" | wc -l) -eq 3 ]
'

for ext in .tar .zip .tar.zst .tar.gz; do
	if [ "$ext" = .tar.zst ] && ! command -v zstd >/dev/null; then
		continue
	fi
	test_expect_success "$ext: the 30 MB message with bounded memory" '
		if [ $have_time = 1 ]; then
			/usr/bin/time -v -o time$ext "$MAILSAVE" export \
				--from large.mbox --to eml -o big$ext >out 2>err
		else
			"$MAILSAVE" export --from large.mbox --to eml \
				-o big$ext >out 2>err
		fi; rc=$? &&
		{ [ $rc -eq 0 ] || { cat err; false; }; } &&
		if [ $have_time = 1 ]; then
			kb=$(maxrss_kb time$ext) &&
			echo "peak memory $ext: $kb kB" &&
			[ "$kb" -lt 65536 ]
		fi &&
		mkdir x$ext &&
		case $ext in
		.zip) python3 -c "
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" big$ext x$ext ;;
		.tar.zst) zstd -q -dc big$ext | tar -xf - -C x$ext ;;
		*) tar -xf big$ext -C x$ext ;;
		esac &&
		diff -r -x .mailsave -x mailsave-index -x manifest.jsonl \
			ref x$ext &&
		rm -rf x$ext
	'
done

test_expect_success 'no spool file is left next to DEST' '
	[ -z "$(ls -A | grep -e "^\.mailsave-spool")" ] &&
	[ -z "$(ls | grep "\.partial$")" ]
'

test_done
