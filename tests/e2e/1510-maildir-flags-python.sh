#!/bin/bash
# Maildir flags survive Maildir -> Maildir (the ":2," letters of each
# message, found by content hash), and Python's mailbox.Maildir (a reader
# we did not write) reads our Maildir++ output: every folder, every
# message with its bytes and the right get_flags().
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -d "$SAMPLES/maildir" ] || skip "no samples"

export_ok() {
	run_ms export -q --from "$1" --to "$2" -o "$3" &&
	{ [ "$rc" -eq 0 ] || { cat err; echo "exit $rc"; false; }; }
}

# flags DIR: "sha256 folder-dir letters" for every message of a Maildir++
# tree, read from the file names (upper-case letters only: keywords are
# not carried by the names mailsave writes).
flags() {
	python3 - "$1" <<'PY'
import hashlib, os, re, sys
root = sys.argv[1]
out = []
for dp, dn, fn in os.walk(root):
    sub = os.path.basename(dp)
    if sub not in ("cur", "new"):
        continue
    folder = os.path.relpath(os.path.dirname(dp), root)
    for n in fn:
        if n.startswith("."):
            continue
        m = re.search(r"[:;!]2,([^:;!]*)$", n)
        letters = "".join(sorted(c for c in (m.group(1) if m else "")
                                 if c.isupper()))
        with open(os.path.join(dp, n), "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        out.append("%s %s %s" % (h, folder, letters or "-"))
for line in sorted(out):
    print(line)
PY
}

test_expect_success 'maildir samples -> maildir' '
	export_ok "$SAMPLES/maildir" maildir m1
'

test_expect_success 'every message keeps its flags and its folder' '
	flags "$SAMPLES/maildir" >want &&
	test $(wc -l <want) -eq 15 &&
	flags m1 >got &&
	test_cmp want got
'

test_expect_success 'messages from new/ land in cur/ with an empty info' '
	test -z "$(find m1 -path "*/new/*" -type f)" &&
	test $(find m1 -path "*/cur/*" -name "*:2," | wc -l) -eq 5
'

test_expect_success 'maildir -> maildir again: flags still the same' '
	export_ok m1 maildir m2 &&
	flags m2 >got2 &&
	test_cmp want got2
'

test_expect_success 'Maildir++ markers: maildirfolder in subfolders only' '
	test ! -e m1/maildirfolder &&
	for d in m1/.*/; do
		case "$d" in m1/./|m1/../) continue ;; esac
		test -f "$d/maildirfolder" && test -d "$d/new" &&
		test -d "$d/tmp" || return 1
	done
'

test_expect_success "Python's mailbox.Maildir reads our output" '
	python3 - "$SAMPLES/maildir" m1 <<-\PY
	import hashlib, mailbox, sys
	# The index of a Maildir DEST is in mailsave-index/, which Maildir++
	# readers do not take for a folder (only ".name" folders are).
	def folders(md):
	    names = md.list_folders()
	    assert not any("mailsave" in n for n in names), names
	    return names
	def load(path):
	    """(folder, sha256 of bytes) -> flags, via Python alone."""
	    md = mailbox.Maildir(path, factory=None, create=False)
	    res = {}
	    boxes = [("INBOX", md)] + [(n, md.get_folder(n))
	                               for n in folders(md)]
	    for name, box in boxes:
	        for key in box.keys():
	            msg = box.get_message(key)
	            data = box.get_bytes(key)
	            flags = "".join(sorted(c for c in msg.get_flags()
	                                   if c.isupper()))
	            res[(name, hashlib.sha256(data).hexdigest())] = flags
	    return res
	want, got = load(sys.argv[1]), load(sys.argv[2])
	assert len(want) == 15, len(want)
	assert want == got, (sorted(set(want.items()) ^ set(got.items())))
	md = mailbox.Maildir(sys.argv[2], factory=None, create=False)
	assert sorted(folders(md)) == sorted(
	    ["Archive.2023", "Entw\u00fcrfe", "Sent"]), md.list_folders()
	PY
'

test_expect_success 'flags from an mbox become maildir letters' '
	[ -f "$SAMPLES/mbox/inbox.mbox" ] || return 0
	export_ok "$SAMPLES/mbox/inbox.mbox" maildir m3 &&
	python3 - m3 <<-\PY
	import mailbox, sys
	# A single mbox file named inbox.mbox is the folder "inbox", which
	# is INBOX (any case): the Maildir root.
	box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
	got = sorted("".join(sorted(box.get_message(k).get_flags()))
	             for k in box.keys())
	# 1 S, 2 RS, 3 -, 4 FS, 5 S, 6 DS, 7 ST, 8 FRS (samples/README.md).
	want = sorted(["S", "RS", "", "FS", "S", "DS", "ST", "FRS"])
	assert got == want, got
	PY
'

test_done
