#!/usr/bin/env bash
# Envelope Index rows are matched to files by ROWID and then checked
# against mailboxes.url: a row whose mailbox is not the file's (another
# mailbox path, or another account's UUID) is not applied, the flags come
# from the .emlx plist, and one warning says so.  Rows that do belong
# (also for a mailbox given alone as the source) still win.  doctor
# counts the mismatched rows.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
python3 "$GEN" --scenario v10 s >/dev/null || exit 1
MAIL=s/Library/Mail
IDX="$MAIL/V10/MailData/Envelope Index"

# Rows 1 (Work/INBOX) and 12 (Work/Kvätton) now point at Work/Archive,
# row 7 (Work/INBOX) at an INBOX of an account that is not there; each
# with state the files do not have.
python3 - "$IDX" <<'EOF' || exit 1
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
arch = c.execute("SELECT ROWID FROM mailboxes WHERE url LIKE '%/Archive'").fetchone()[0]
c.execute("UPDATE messages SET mailbox=?, read=0, flagged=1, deleted=1 "
          "WHERE ROWID IN (1, 12)", (arch,))
c.execute("INSERT INTO mailboxes (ROWID, url) VALUES (99, "
          "'imap://00000000-0000-0000-0000-000000000000/INBOX')")
c.execute("UPDATE messages SET mailbox=99, read=0, flagged=1 WHERE ROWID=7")
c.commit()
EOF

# The expectations: those three keep their .emlx flags.
python3 - s/expected.tsv >expected.tsv <<'EOF'
import sys
plist = {'<demo-1@mailsave.test>': 'seen', '<demo-12@mailsave.test>': '',
         '<demo-7@mailsave.test>': 'seen'}
for line in open(sys.argv[1], encoding='utf-8'):
    c = line.rstrip('\n').split('\t')
    if c[0] in plist:
        c[2] = plist[c[0]]
    print('\t'.join(c))
EOF

test_expect_success 'rows of another mailbox are not applied' '
	run_ms export --from $MAIL --to mbox -o out-mbox && [ $rc -eq 1 ] &&
	python3 "$GEN" --check out-mbox mbox expected.tsv s/oracle
'

test_expect_success 'one warning names the first mismatch' '
	[ $(grep -c "Envelope Index row" err) -eq 1 ] &&
	grep -q "Messages/1.emlx: the Envelope Index row of this message belongs to imap://[0-9A-F-]*/Archive, not to this mailbox" err &&
	grep -q "later mismatches are not reported" err
'

test_expect_success 'rows that belong still win (Envelope Index state)' '
	python3 - out-mbox/Work/INBOX.mbox <<-\EOF
	import mailbox, sys
	for m in mailbox.mbox(sys.argv[1]):
	    if m["Message-ID"] == "<demo-2@mailsave.test>":
	        assert set(m.get_flags()) >= {"R", "F"}, m.get_flags()
	        break
	else:
	    sys.exit("demo-2 not found")
	EOF
'

test_expect_success 'a mailbox as the source: its rows match by path tail' '
	inbox=$(dirname "$(dirname "$(dirname "$(dirname "$(find $MAIL/V10 -name 2.emlx)")")")") &&
	run_ms export --from "$inbox" --to mbox -o out-box && [ $rc -eq 1 ] &&
	python3 - out-box/INBOX.mbox <<-\EOF
	import mailbox, sys
	fl = {m["Message-ID"]: set(m.get_flags()) for m in mailbox.mbox(sys.argv[1])}
	assert fl["<demo-2@mailsave.test>"] >= {"R", "F"}, fl
	assert "F" not in fl["<demo-1@mailsave.test>"], fl
	assert "F" not in fl["<demo-7@mailsave.test>"], fl
	EOF
'

test_expect_success 'doctor counts the rows of another mailbox' '
	run_ms doctor $MAIL &&
	grep -q "! envelope *3 rows belong to another mailbox than their file: their flags are not used" out &&
	grep -A1 "! envelope" out | grep -q "copied or restored store"
'

test_done
