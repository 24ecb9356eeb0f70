#!/usr/bin/env bash
# The demo store in samples/applemail (what `make demo` exports): it is
# what samples/make-applemail.py makes, and it exports whole.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is needed"
GEN="$SRCDIR/samples/make-applemail.py"
DEMO="$SRCDIR/samples/applemail"
[ -d "$DEMO/Library/Mail" ] || skip "no demo store"

test_expect_success 'the committed demo is what the generator makes' '
	python3 "$GEN" regen >/dev/null &&
	diff -r -x "*.sqlite" -x "Envelope Index" "$DEMO" regen
'

for fmt in mbox eml maildir; do
	test_expect_success "the demo exports whole to $fmt" "
		run_ms export -q --from '$DEMO/Library/Mail' --to $fmt -o d-$fmt &&
		python3 '$GEN' --check d-$fmt $fmt '$DEMO/expected.tsv' '$DEMO/oracle'
	"
done

test_expect_success 'the demo store is left untouched' '
	[ -z "$(find "$DEMO" -newer d-mbox -print -quit)" ]
'

test_done
