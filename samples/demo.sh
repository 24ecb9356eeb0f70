#!/bin/sh
# make demo: export every sample mailbox we made (samples/) with the
# freshly built binary, into build/demo/, and show what came out.
set -eu
MAILSAVE=${1:-build/mailsave}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(dirname "$MAILSAVE")/demo
rm -rf "$OUT"
mkdir -p "$OUT"

run() {
	echo "\$ mailsave $*"
	"$MAILSAVE" "$@"
}

echo "== What is in the Apple Mail store sample"
run list --from "$HERE/applemail/Library/Mail"
echo
echo "== Exports (each prints one summary line; warnings name incomplete messages)"
run export --from "$HERE/applemail/Library/Mail" --to mbox -o "$OUT/applemail-mbox" || [ $? -eq 1 ]
run export --from "$HERE/mbox/inbox.mbox" --to eml -o "$OUT/inbox-eml"
run export --from "$HERE/mbox-tree" --to maildir -o "$OUT/tree-maildir"
run export --from "$HERE/apple-export/Work.mbox" --to mbox -o "$OUT/work-mbox"
run export --from "$HERE/maildir" --to mbox -o "$OUT/maildir.tar.zst"
run export --from "$HERE/eml" --to mbox -o "$OUT/eml-mbox"
echo
echo "== Run again: nothing new, nothing written"
run export --from "$HERE/mbox/inbox.mbox" --to eml -o "$OUT/inbox-eml"
echo
echo "== Verify every backup"
for d in applemail-mbox inbox-eml tree-maildir work-mbox maildir.tar.zst eml-mbox; do
	run verify "$OUT/$d"
done
echo
echo "== The results are in $OUT:"
(cd "$OUT" && find . -maxdepth 2 ! -path '*/.mailsave*' ! -path '*/mailsave-index*' | sort | head -40)
