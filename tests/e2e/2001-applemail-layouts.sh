#!/usr/bin/env bash
# Apple Mail layouts other than V10: the fan-out of message ids (0-999,
# 1000, 9999, 10000, 123456 -> Data/3/2/1, 1000000), V2 (IMAP-/POP-/EWS-
# account folders, Mailboxes/, Messages/ directly in a mailbox) and Mail
# 2-4 (.imapmbox, children in sibling folders, .emlxpart sidecars, the
# Envelope Index at the root).
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
for sc in fanout v2 mail2; do
	python3 "$GEN" --scenario $sc $sc >/dev/null || exit 1
done

check() {
	python3 "$GEN" --check "$1" "$2" "$3/expected.tsv" \
		$([ -d "$3/oracle" ] && echo "$3/oracle")
}

test_expect_success 'fan-out: 1005 ids, each once, 123456 from Data/3/2/1' '
	[ -f fanout/Library/Mail/V10/*/INBOX.mbox/*/Data/3/2/1/Messages/123456.emlx ] &&
	[ -f fanout/Library/Mail/V10/*/INBOX.mbox/*/Data/0/0/0/1/Messages/1000000.emlx ] &&
	run_ms export -q --from fanout/Library/Mail --to mbox -o fan-mbox &&
	[ $rc -eq 0 ] && check fan-mbox mbox fanout
'

test_expect_success 'fan-out: messages come in id order' '
	grep "^Subject: Fan " fan-mbox/*/INBOX.mbox | sed "s/.*Fan //" >ids &&
	sort -n ids >ids.sorted && test_cmp ids.sorted ids
'

test_expect_success 'fan-out: list counts every message' '
	run_ms list --from fanout/Library/Mail && [ $rc -eq 0 ] &&
	grep -q "^1005	" out
'

for fmt in mbox maildir eml; do
	test_expect_success "V2 layout to $fmt" "
		run_ms export -q --from v2/Library/Mail --to $fmt -o v2-$fmt &&
		[ \$rc -eq 0 ] && check v2-$fmt $fmt v2
	"
done

test_expect_success 'V2: the stale Mail 2-4 folders beside V2 are ignored' '
	! grep -rq "Stale Tiger copy" v2-eml
'

for fmt in mbox maildir eml; do
	test_expect_success "Mail 2-4 layout to $fmt" "
		run_ms export -q --from mail2/Library/Mail --to $fmt -o m2-$fmt &&
		[ \$rc -eq 0 ] && check m2-$fmt $fmt mail2
	"
done

test_expect_success 'Mail 2-4: one account folder, sibling children' '
	run_ms export -q --from "mail2/Library/Mail/IMAP-jane@imap.example.com" \
		--to eml -o m2-acct &&
	[ -d "m2-acct/IMAP-jane@imap.example.com/Work/Clients/Acme" ] &&
	[ $(find m2-acct -name "*.eml" | wc -l) -eq 9 ]
'

test_expect_success 'Mail 2-4: one .imapmbox mailbox' '
	run_ms export -q --from \
		"mail2/Library/Mail/IMAP-jane@imap.example.com/INBOX.imapmbox" \
		--to eml -o m2-box &&
	[ $(find m2-box/INBOX -name "*.eml" | wc -l) -eq 3 ]
'

test_done
