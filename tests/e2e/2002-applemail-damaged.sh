#!/usr/bin/env bash
# Damaged .emlx files: counts too large and too small, CRLF count lines,
# no plist, a binary plist, no count line, junk after the message, files
# that are not emlx at all; then the real damaged files of the qqilihq,
# terhechte, mikez and crb912 fixtures.  Every message comes out (plist
# bytes never inside), every anomaly is named, nothing crashes or hangs.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
python3 "$GEN" --scenario damaged s >/dev/null || exit 1

test_expect_success 'generated damage: every message out, the rest named' '
	run_ms export --from s/Library/Mail --to eml -o exp &&
	[ $rc -eq 1 ] &&
	grep -q "398.emlx: empty file" err &&
	grep -q "399.emlx: not an emlx file" err &&
	python3 "$GEN" --check exp eml s/expected.tsv s/oracle
'

test_expect_success 'no plist or junk bytes in any message' '
	! grep -rlq -e "<plist" -e "bplist00" -e "JUNK JUNK" exp
'

# Needs the pipeline to report a source's warning (see read_applemail.c).
test_expect_success 'each damaged framing is named on stderr' '
	grep -q "301.emlx: byte count" err &&
	grep -q "302.emlx: byte count" err &&
	grep -q "305.emlx: no property list" err &&
	grep -q "306.emlx: binary property list" err &&
	grep -q "307.emlx: no byte-count line" err &&
	grep -q "308.emlx: the 15 bytes after the message" err
'

# The real files, filed in a store of our own (copied at test time).
need_fixtures
F=$FIXTURES
box=r/Library/Mail/V10/ACCOUNT/INBOX.mbox/STORE/Data/Messages
mkdir -p $box
n=1
for f in "$F"/terhechte-emlx-broken/*.emlx "$F"/mikez-emlx/*.emlx \
	"$F"/crb912-sent-message/1.emlx \
	"$F"/qqilihq-partial-emlx-converter/input/Messages/*[0-9].emlx \
	"$F"/qqilihq-partial-emlx-converter/skip-emlx/*; do
	cp "$f" $box/$n.emlx
	echo "$n $(basename "$f")" >>names
	n=$((n + 1))
done
total=$((n - 1))

# broken3.emlx (count too large) holds the same message as plaintext.emlx:
# once framed right, the two are the same bytes and written once.
test_expect_success 'real damaged files: all but invalid.emlx exported' '
	run_ms export --from r/Library/Mail --to eml -o rout &&
	[ $rc -eq 1 ] &&
	bad=$(grep " invalid.emlx$" names | cut -d" " -f1) &&
	grep -q "$bad.emlx: not an emlx file" err &&
	grep -q "1 duplicate" err &&
	[ $(find rout -name "*.eml" | wc -l) -eq $((total - 2)) ]
'

test_expect_success 'real damaged files: no plist, no junk inside' '
	! grep -rlq -e "<plist" -e "</dict>" rout &&
	! grep -rlq "should NOT be read" rout &&
	! grep -rlq "^zzzzzzzzzz" rout
'

test_expect_success 'test-large.txt: the 537723 counted bytes, streamed' '
	big=$(find rout -name "*.eml" -size +500k) &&
	[ $(wc -c <"$big") -eq 537723 ]
'

test_expect_success 'flags from the real plists (mbox read back by Python)' '
	run_ms export -q --from r/Library/Mail --to mbox -o rmbox &&
	python3 - rmbox/ACCOUNT/INBOX.mbox <<-PY
	import mailbox, sys
	flags = {m["Message-ID"]: m.get_flags() for m in mailbox.mbox(sys.argv[1])}
	def has(mid, letters):
	    got = flags["<%s>" % mid]
	    assert sorted(got) == sorted(letters), (mid, got, letters)
	# crb912 1.emlx: 8590195713 (read).
	has("23CC1A87-AE0C-4206-AAED-4FBED372F69E@163.com", "RO")
	# mikez plaintext.emlx: 8623489089 (read, bit 6 draft, not junk).
	has("83E25460-8C9A-45AD-87BA-B3D70DFBC2E7@example.com", "ROT")
	# qqilihq 11507.emlx: 8623750272 (unread).
	has("E1hH5iP-0007IB-N2@REDACTED.nl", "O")
	PY
'

test_done
