# Shared helpers for the end-to-end scripts (sourced, not run).
# Each script gets a fresh trash directory, runs the real binary ($MAILSAVE)
# and uses test_expect_success / test_cmp / skip.  Exit 77 means skipped.
set -u
: "${MAILSAVE:?MAILSAVE must point at the binary (ctest sets it)}"
: "${SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${FIXTURES:=$SRCDIR/../shared/fixtures}"
SAMPLES=$SRCDIR/samples
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/mailsave-e2e.XXXXXX")
trap 'rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
test_failures=0
test_count=0

# test_expect_success "description" 'commands chained by &&'
test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

test_cmp() { diff -u "$1" "$2"; }

skip() { echo "1..0 # SKIP $*"; exit 77; }

need_fixtures() { [ -d "$FIXTURES" ] || skip "no ../shared/fixtures"; }

# run_ms ARGS...: run mailsave, keep its exit code in $rc, stdout in out,
# stderr in err.
run_ms() { "$MAILSAVE" "$@" >out 2>err; rc=$?; return 0; }

test_done() {
	echo "1..$test_count"
	echo "$((test_count - test_failures)) passed, $test_failures failed"
	[ "$test_failures" -eq 0 ]
}
