#!/usr/bin/env bash
# The last resort for a partial message's missing attachment: Mail's
# download folders of the store's home
#   Library/Containers/com.apple.mail/Data/Library/Mail Downloads/
#   Library/Mail Downloads/
# (apple-mail-formats.md 2.3).  A file there is used only when it alone
# has the attachment's name and a size that fits the stub's
# X-Apple-Content-Length; identical copies count as one.  Otherwise the
# message keeps its stub and X-Mailsave-Incomplete.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
python3 "$GEN" --scenario v10 s >/dev/null || exit 1
MAIL=s/Library/Mail
NEW="s/Library/Containers/com.apple.mail/Data/Library/Mail Downloads"
OLD="s/Library/Mail Downloads"

# gone.pdf: the attachment of message 22 that is not on disk.
python3 - s/oracle/demo-22.eml gone.pdf <<'EOF' || exit 1
import email, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
for p in m.walk():
    if p.get_filename() == 'gone.pdf':
        open(sys.argv[2], 'wb').write(p.get_payload(decode=True))
EOF
head -c 1500 gone.pdf >short.pdf
{ cat gone.pdf; printf x; } >other.pdf

# The expectations once message 22 is whole.
sed 's/\t2$/\t/' s/expected.tsv >whole.tsv

test_expect_success 'no download folder: the stub stays' '
	run_ms export --from $MAIL --to mbox -o out0 && [ $rc -eq 1 ] &&
	grep -q "^X-Mailsave-Incomplete: 2$" out0/Work/INBOX.mbox
'

test_expect_success 'same name, wrong size: not used' '
	mkdir -p "$NEW/5F0C1D3A-0000-4000-8000-000000000001" &&
	cp short.pdf "$NEW/5F0C1D3A-0000-4000-8000-000000000001/gone.pdf" &&
	run_ms export --from $MAIL --to mbox -o out1 && [ $rc -eq 1 ] &&
	grep -q "^X-Mailsave-Incomplete: 2$" out1/Work/INBOX.mbox &&
	rm -r "$NEW"
'

test_expect_success 'the one file with name and size: the message is whole' '
	mkdir -p "$NEW/5F0C1D3A-0000-4000-8000-000000000002" &&
	cp gone.pdf "$NEW/5F0C1D3A-0000-4000-8000-000000000002/" &&
	cp short.pdf "$NEW/other-name.pdf" &&
	run_ms export --from $MAIL --to mbox -o out2 && [ $rc -eq 0 ] &&
	! grep -q "X-Mailsave-Incomplete" out2/Work/INBOX.mbox &&
	python3 "$GEN" --check out2 mbox whole.tsv s/oracle
'

test_expect_success 'doctor says where the payload came from' '
	run_ms doctor $MAIL && [ $rc -eq 0 ] &&
	grep -q "✔ attachments *the 5 partial messages can be rebuilt whole" out &&
	grep -q "· attachments *1 payload taken from Mail Downloads" out
'

test_expect_success 'an identical copy elsewhere is still one file' '
	mkdir -p "$NEW/5F0C1D3A-0000-4000-8000-000000000003" &&
	cp gone.pdf "$NEW/5F0C1D3A-0000-4000-8000-000000000003/" &&
	run_ms export --from $MAIL --to mbox -o out3 && [ $rc -eq 0 ] &&
	python3 "$GEN" --check out3 mbox whole.tsv s/oracle
'

test_expect_success 'two different files that both fit: ambiguous, not used' '
	mkdir -p "$NEW/5F0C1D3A-0000-4000-8000-000000000004" &&
	cp other.pdf "$NEW/5F0C1D3A-0000-4000-8000-000000000004/gone.pdf" &&
	run_ms export --from $MAIL --to mbox -o out4 && [ $rc -eq 1 ] &&
	grep -q "^X-Mailsave-Incomplete: 2$" out4/Work/INBOX.mbox &&
	rm -r "$NEW"
'

test_expect_success 'the older ~/Library/Mail Downloads works too' '
	mkdir -p "$OLD" && cp gone.pdf "$OLD/" &&
	run_ms export --from $MAIL --to eml -o out5 && [ $rc -eq 0 ] &&
	python3 "$GEN" --check out5 eml whole.tsv s/oracle
'

test_expect_success 'a source outside a home with Library/Mail: no search' '
	mkdir -p copy && cp -r $MAIL/V10 copy/ &&
	run_ms export --from copy/V10 --to mbox -o out6 && [ $rc -eq 1 ] &&
	grep -rq "^X-Mailsave-Incomplete: 2$" out6
'

test_done
