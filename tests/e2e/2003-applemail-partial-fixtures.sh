#!/usr/bin/env bash
# The real .partial.emlx files of the qqilihq fixtures, filed with their
# Attachments/ in a store of our own: 114892 rebuilt is, part by part
# (content types and decoded payloads), the original server copy; the
# localized (114894), NFD (207046), RFC 2231-continued (136153), CJK
# (465622) and extension-less (229417) names are found; 114893 has no
# payloads and is exported as a marked stub; read back by Python's mailbox
# the flags are right.
. "$(dirname "$0")/lib.sh"

need_fixtures
command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
Q=$FIXTURES/qqilihq-partial-emlx-converter
data=s/Library/Mail/V10/ACCOUNT/INBOX.mbox/STORE/Data
mkdir -p $data
cp -R "$Q/input/Messages" "$Q/input/Attachments" $data/ || exit 1
chmod -R u+w s

compare() {
	python3 - "$GEN" "$@" <<-'PY'
	import email, importlib.util, sys
	spec = importlib.util.spec_from_file_location("gen", sys.argv[1])
	gen = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(gen)
	def load(p):
	    with open(p, "rb") as f:
	        return email.message_from_bytes(f.read())
	a, b = gen.leaves(load(sys.argv[2])), gen.leaves(load(sys.argv[3]))
	assert len(a) == len(b), (len(a), len(b))
	for i, (x, y) in enumerate(zip(a, b)):
	    assert x[0] == y[0], (i, x[0], y[0])
	    assert x[1] == y[1], (i, x[0], len(x[1]), len(y[1]))
	print(len(a), "parts equal")
	PY
}

test_expect_success 'export the fixtures store' '
	run_ms export -q --from s/Library/Mail --to eml -o exp &&
	[ $(find exp -name "*.eml" | wc -l) -eq 10 ]
'

test_expect_success '114892 rebuilt equals the original, part by part' '
	f=$(grep -rl "^Subject: Fwd: Lorem ipsum" exp |
		xargs grep -L "X-Mailsave-Incomplete" |
		xargs grep -l "image001.png" | head -1) &&
	[ -n "$f" ] && ! grep -q "X-Apple-Content-Length" "$f" &&
	compare "$f" "$Q/expected_results/114892.eml"
'

test_expect_success '114862.emlx equals its expected result' '
	f=$(grep -rl "^Message-Id: <D9035B79-5B16-4857-9F9D-E27D49BE1C1B@" exp) &&
	[ $(echo "$f" | wc -l) -eq 1 ] &&
	compare "$f" "$Q/expected_results/114862.eml"
'

# 114893 and 114895 have no Attachments/ folder in the fixtures.
test_expect_success '114893, 114895: payloads missing, stubs kept, marked' '
	n=$(grep -rl "^X-Mailsave-Incomplete: 2.2 2.4 2.6 2.8$" exp | wc -l) &&
	[ $n -eq 2 ] &&
	for f in $(grep -rl "^X-Mailsave-Incomplete: 2.2 2.4 2.6 2.8$" exp)
	do
		[ $(grep -c "^X-Apple-Content-Length" "$f") -eq 4 ] || return 1
	done
'

test_expect_success 'localized, NFD, continued, CJK and bare names found' '
	[ $(grep -rl --include="*.eml" "X-Mailsave-Incomplete" exp | wc -l) -eq 2 ] &&
	python3 - exp <<-PY
	import email, os, sys
	want = {"Mail-Anhang": None, "T\u00fcbingen.pdf": 7040,
	        "ReallyReallyReallyReallyReallyReallyReallyReallyReallyReallylong_filename.xls": 5632,
	        "7.10_\u7b2c2\u56de\u7814\u7a76\u4f1a.pdf": 153094,
	        "Warnmeldung_unbekannter_Art": 7790}
	found = {}
	for d, _, files in os.walk(sys.argv[1]):
	    for f in files:
	        if not f.endswith(".eml"):
	            continue
	        m = email.message_from_bytes(open(os.path.join(d, f), "rb").read())
	        for p in m.walk():
	            fn = p.get_filename()
	            if fn:
	                import unicodedata
	                found[unicodedata.normalize("NFC", fn)] = len(p.get_payload(decode=True) or b"")
	for k, v in want.items():
	    if k == "Mail-Anhang":
	        continue
	    assert found.get(k) == v, (k, found.get(k), v)
	PY
'

test_expect_success '114895: broken closing boundary, exported anyway' '
	grep -rlq "8748438B-$" exp
'

test_expect_success 'mbox read back by Python: flags from the plists' '
	run_ms export -q --from s/Library/Mail --to mbox -o mb &&
	python3 - mb/ACCOUNT/INBOX.mbox <<-PY
	import mailbox, sys
	unread = ("<E1hH5iP-0007IB-N2@REDACTED.nl>",
	          "<D9035B79-5B16-4857-9F9D-E27D49BE1C1B@philippkatz.de>")
	n = 0
	for m in mailbox.mbox(sys.argv[1]):
	    n += 1
	    # 8623750272 (11507, 114862) is unread; 8623689857 (114892...)
	    # and 25803555845 (136153) are read, 25803555845 also answered.
	    want = "O" if m["Message-ID"] in unread else "RO"
	    if "xls" in m.as_string() and "Really" in m.as_string():
	        want = "ROA"
	    got = m.get_flags()
	    assert sorted(got) == sorted(want), (m["Message-ID"], got, want)
	assert n == 10, n
	PY
'

test_done
