#!/usr/bin/env bash
# verify: re-reads DEST and recomputes every hash.  It must say "whole"
# for an intact backup (against the index, and against the manifest alone
# on another machine), and catch one flipped byte, one removed message and
# one duplicated message, for directory writers and archives.
. "$(dirname "$0")/lib.sh"

python3 - <<'PY'
with open("in.mbox", "w") as f:
    for i in range(12):
        f.write("From a@x Mon Jan  1 00:00:%02d 2024\nFrom: a@x\nSubject: m%d\n"
                "Message-ID: <%d@x>\n\nbody %d\n%s\n\n" % (i, i, i, i, "y" * (100 * i)))
PY

test_expect_success 'an intact mbox backup is whole (index and manifest alone)' '
	"$MAILSAVE" -q export --from in.mbox --to mbox -o m &&
	run_ms verify m && [ $rc -eq 0 ] && grep -q "12 messages checked against the index: DEST is whole" err &&
	cp -r m m2 && rm -rf m2/.mailsave &&
	run_ms verify m2 && [ $rc -eq 0 ] && grep -q "against the manifest: DEST is whole" err
'

test_expect_success 'mbox: one flipped byte is an altered message (exit 1)' '
	cp -r m flip && python3 -c "
p=\"flip/in.mbox\"; b=bytearray(open(p,\"rb\").read()); i=b.index(b\"body 5\"); b[i]^=1; open(p,\"wb\").write(b)" &&
	run_ms verify flip && [ $rc -eq 1 ] &&
	[ $(grep -c "^altered" out) -eq 1 ] && grep -q "^altered	in	" out
'

test_expect_success 'mbox: a removed message is missing, its neighbours intact' '
	cp -r m cut && python3 -c "
p=\"cut/in.mbox\"; b=open(p,\"rb\").read(); s=b.index(b\"From a@x Mon Jan  1 00:00:03\"); e=b.index(b\"From a@x Mon Jan  1 00:00:04\")
open(p,\"wb\").write(b[:s]+b[e:])" &&
	run_ms verify cut && [ $rc -eq 1 ] && grep -q "^missing\|^altered" out &&
	! grep -q "^missing	in	0	" out
'

test_expect_success 'mbox: a message appended twice is duplicated' '
	cp -r m dup && python3 -c "
p=\"dup/in.mbox\"; b=open(p,\"rb\").read(); s=b.index(b\"From a@x Mon Jan  1 00:00:07\"); e=b.index(b\"From a@x Mon Jan  1 00:00:08\")
open(p,\"ab\").write(b[s:e])" &&
	run_ms verify dup && [ $rc -eq 1 ] && [ $(grep -c "^duplicated" out) -eq 1 ] &&
	! grep -q "^altered\|^missing" out
'

test_expect_success 'eml: flipped byte, removed file, extra copy; --json' '
	"$MAILSAVE" -q export --from in.mbox --to eml -o e && cp -r e e1 &&
	files=$(find e1 -name "*.eml" | sort) &&
	f1=$(echo "$files" | sed -n 1p) && f2=$(echo "$files" | sed -n 2p) && f3=$(echo "$files" | sed -n 3p) &&
	printf "X" | dd of="$f1" bs=1 seek=20 conv=notrunc 2>/dev/null &&
	rm "$f2" && cp "$f3" "$(dirname "$f3")/copy.eml" &&
	run_ms verify --json e1 && [ $rc -eq 1 ] &&
	python3 -c "
import json; d=json.load(open(\"out\"))
assert (d[\"altered\"], d[\"missing\"], d[\"duplicated\"], d[\"whole\"]) == (1, 1, 1, False), d"
'

test_expect_success 'tar.zst: intact is whole; a changed volume is caught' '
	"$MAILSAVE" -q export --from in.mbox --to eml -o a.tar.zst &&
	run_ms verify a.tar.zst && [ $rc -eq 0 ] &&
	mkdir x && tar --zstd -xf a.tar.zst -C x &&
	f=$(find x -name "*.eml" | sort | head -1) && sed -i "s/body/BODY/" "$f" &&
	(cd x && tar --zstd -cf ../b.tar.zst .) && cp a.tar.zst.mailsave.db b.tar.zst.mailsave.db &&
	run_ms verify b.tar.zst && [ $rc -eq 1 ] && [ $(grep -c "^altered" out) -eq 1 ]
'

test_expect_success 'verify of something that is not a backup: exit 3, named' '
	mkdir empty && run_ms verify empty && [ $rc -eq 3 ] && grep -q "no index and no manifest" err &&
	run_ms verify nothing-here && [ $rc -eq 2 ]
'

test_done
