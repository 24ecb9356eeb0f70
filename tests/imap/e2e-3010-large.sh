#!/bin/bash
# A 50 MB message over IMAPS, with small ones around it, into eml, maildir
# and mbox: the bytes arrive exactly, and mailsave's peak memory stays
# under 64 MB (the body is fetched in ranges, never held whole).
. "$SRCDIR/tests/imap/lib.sh"

new_user t3010
printf 'From: a@example.org\r\nSubject: before\r\n\r\nsmall\r\n' >small.eml
tool append "$USER_NAME" "$USER_PASS" INBOX "" 1500000000 small.eml \
    >/dev/null || exit 1
size=$(tool big "$USER_NAME" "$USER_PASS" INBOX 50) || exit 1
printf 'From: a@example.org\r\nSubject: after\r\n\r\nsmall\r\n' >small2.eml
tool append "$USER_NAME" "$USER_PASS" INBOX "\\Seen" 1500000100 small2.eml \
    >/dev/null || exit 1
tool dump "$USER_NAME" "$USER_PASS" oracle.tsv || exit 1

# A sanitizer build's memory says nothing about ours: measure only without.
measure=
if [ -x /usr/bin/time ] && ! ldd "$MAILSAVE" 2>/dev/null | grep -q libasan
then
    measure=1
fi

# peak_kb FILE: the "Maximum resident set size" /usr/bin/time -v wrote.
peak_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

test_expect_success 'the big message is over 50 MB' '
    test "$size" -ge 52428800
'

for fmt in eml maildir mbox; do
    test_expect_success "$fmt: exact bytes, peak memory under 64 MB" '
        if [ -n "$measure" ]; then
            MAILSAVE_PASSWORD=$USER_PASS MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA \
                /usr/bin/time -v -o time.'$fmt' "$MAILSAVE" export -q \
                --from "$(imaps_url)" --to '$fmt' -o '$fmt' &&
            kb=$(peak_kb time.'$fmt') &&
            echo "peak RSS ${kb} kB" &&
            test "$kb" -lt 65536
        else
            echo "memory not measured (no /usr/bin/time, or ASan)" &&
            ms_imap export -q --from "$(imaps_url)" --to '$fmt' -o '$fmt' &&
            test "$rc" = 0
        fi &&
        tool check-'$fmt' oracle.tsv '$fmt'
    '
done

test_done
