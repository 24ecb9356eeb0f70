#!/bin/bash
# Gmail shows one message in every folder that carries its label; mailsave
# downloads it once, from the \All folder, and records the label folders
# as more places of that copy (index and manifest), not as second copies.
# Dovecot has no X-GM-EXT-1: MAILSAVE_IMAP_GMAIL_EMULATE=1 turns the mode
# on and matches the label folders' messages by Message-ID and size
# instead of X-GM-MSGID.  The layout mimics Gmail's: "[Gmail]/Alle
# Nachrichten" (a localized All Mail, \All in the test Dovecot's config)
# holds every message, labels are folders with the same bytes, and one
# message is only in [Gmail]/Spam.  Dovecot's own log counts the bodies
# it sent.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3080
tool gmail-seed "$USER_NAME" "$USER_PASS" || exit 1
tool dump "$USER_NAME" "$USER_PASS" oracle.tsv || exit 1

# As in e2e-3050: log_mark waits until every session of the user has
# ended; fetched prints "count bytes" of the bodies Dovecot sent since.
sessions_done() {
    local ins outs
    ins=$(grep -c "Login: user=<$USER_NAME>" "$MAILSAVE_DOVECOT_LOG")
    outs=$(grep -c "imap($USER_NAME)<.*Disconnected" "$MAILSAVE_DOVECOT_LOG")
    [ "$ins" = "$outs" ]
}
wait_sessions() {
    for _ in $(seq 1 100); do sessions_done && return 0; sleep 0.05; done
    return 1
}
log_mark() { wait_sessions; wc -c <"$MAILSAVE_DOVECOT_LOG" >logmark; }
fetched() {
    wait_sessions || return 1
    tail -c +$(($(cat logmark) + 1)) "$MAILSAVE_DOVECOT_LOG" |
        grep "imap($USER_NAME)<.*Disconnected" |
        sed -n 's/.*body_count=\([0-9]*\) body_bytes=\([0-9]*\).*/\1 \2/p' |
        awk '{ c += $1; b += $2 } END { print c + 0, b + 0 }'
}

# check_places ORACLE MANIFEST [gm]: every (folder, bytes) of the account
# is in the manifest exactly once; label folders point at the \All copy
# (with gm, a message without Message-ID too: X-GM-MSGID finds it).
check_places() {
    GM=${3:-} python3 - "$1" "$2" <<-\EOF
	import collections, json, os, sys
	want = collections.Counter()
	for line in open(sys.argv[1], encoding="utf-8"):
	    f = line.rstrip("\n").split("\t")
	    want[(f[0], f[5])] += 1
	rows = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
	got = collections.Counter((r["folder"], r["sha256"]) for r in rows)
	assert got == want, (sorted(got.items()), sorted(want.items()))
	ids = {r["id"]: r for r in rows}
	all_ = "[Gmail]/Alle Nachrichten"
	for r in rows:
	    if r["folder"] in (all_, "[Gmail]/Spam"):
	        assert r["dup_of"] == 0, r
	    elif r["message_id"] is not None or os.environ["GM"]:
	        # A label: a place of the \All copy, not a second copy.
	        src = ids[r["dup_of"]]
	        assert src["folder"] == all_, (r, src)
	        assert (r["file"], r["offset"]) == (src["file"],
	                                            src["offset"]), r
	    else:
	        # No Message-ID to match it by: downloaded into its folder.
	        assert r["dup_of"] == 0 and r["folder"] == "INBOX", r
	    if os.environ["GM"]:
	        assert ":gm:" in r["key"], r
	print("ok", len(rows), "places")
	EOF
}

test_expect_success 'each message is downloaded once' '
    log_mark &&
    MAILSAVE_IMAP_GMAIL_EMULATE=1 ms_imap export --from "$(imaps_url)" \
        --to mbox -o mbox --json -v &&
    cat out err && test "$rc" = 0 &&
    grep -q "Gmail (emulated).*Alle Nachrichten" err &&
    grep -q "\"messages\":9," out && grep -q "\"unchanged\":8," out &&
    grep -q "\"duplicates\":0," out &&
    fetched >f1 && cat f1 && test "$(cut -d" " -f1 f1)" = 9
'

test_expect_success 'the label folders are places of the \All copies' '
    check_places oracle.tsv mbox/manifest.jsonl &&
    test -f "mbox/[Gmail]/Alle Nachrichten.mbox" &&
    test -f "mbox/[Gmail]/Spam.mbox" && test -f mbox/INBOX.mbox &&
    ! test -e mbox/Work.mbox && ! test -e "mbox/[Gmail]/Sent Mail.mbox" &&
    ! test -e mbox/Données.mbox
'

test_expect_success 'verify finds DEST whole' '
    run_ms verify mbox && cat out err && test "$rc" = 0
'

# The \All folder and Work changed: their saved messages count as
# unchanged (7 + 3, the new one in Work included), the others are not
# even examined.
test_expect_success 'a message added with a label is downloaded once' '
    printf "From: c@example.org\r\nSubject: gmail 8\r\nMessage-ID: <g8@x>\r\n\r\nnew\r\n" >g8.eml &&
    tool append "$USER_NAME" "$USER_PASS" "[Gmail]/Alle Nachrichten" "" \
        1600100000 g8.eml >/dev/null &&
    tool append "$USER_NAME" "$USER_PASS" Work "" 1600100000 g8.eml \
        >/dev/null &&
    tool dump "$USER_NAME" "$USER_PASS" oracle2.tsv &&
    log_mark &&
    MAILSAVE_IMAP_GMAIL_EMULATE=1 ms_imap export --from "$(imaps_url)" \
        --to mbox -o mbox --json &&
    cat out && test "$rc" = 0 &&
    grep -q "\"messages\":1," out && grep -q "\"unchanged\":10," out &&
    fetched >f2 && cat f2 && test "$(cut -d" " -f1 f2)" = 1 &&
    check_places oracle2.tsv mbox/manifest.jsonl &&
    run_ms verify mbox && test "$rc" = 0
'

test_expect_success 'without Gmail mode every folder is downloaded' '
    log_mark &&
    ms_imap export --from "$(imaps_url)" --to mbox -o plain --json &&
    test "$rc" = 0 && grep -q "\"messages\":19," out &&
    fetched >f3 && cat f3 && test "$(cut -d" " -f1 f3)" = 19
'

# Real Gmail mode (X-GM-EXT-1, X-GM-MSGID, X-GM-LABELS as Gmail writes
# them) through gmailproxy.py, which makes Dovecot look like Gmail.
python3 "$SRCDIR/tests/imap/gmailproxy.py" "$MAILSAVE_IMAP_PORT" \
    "$TRASH/gmport" "$USER_NAME" "$USER_PASS" >"$TRASH/gmproxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 1 50); do [ -s "$TRASH/gmport" ] && break; sleep 0.1; done
gm_url="imap://$USER_NAME@$HOST:$(cat "$TRASH/gmport")"

# check_labels ORACLE MANIFEST: the keywords of each \All copy are its
# labels (Gmail's system labels without their backslash, spaces as _).
check_labels() {
    python3 - "$1" "$2" <<-\EOF
	import collections, json, sys
	all_ = "[Gmail]/Alle Nachrichten"
	names = {"INBOX": "Inbox", "[Gmail]/Sent Mail": "Sent"}
	where = collections.defaultdict(set)
	for line in open(sys.argv[1], encoding="utf-8"):
	    f = line.rstrip("\n").split("\t")
	    if f[0] not in (all_, "[Gmail]/Spam"):
	        where[f[5]].add(names.get(f[0], f[0].replace(" ", "_")))
	        if f[0] == "Work":
	            where[f[5]].add("Important")
	n = 0
	for l in open(sys.argv[2], encoding="utf-8"):
	    r = json.loads(l)
	    if r["folder"] == all_:
	        got = set((r["keywords"] or "").split())
	        assert got == where[r["sha256"]], (r, where[r["sha256"]])
	        n += 1
	assert n == 8, n
	print("ok", n, "messages with their labels")
	EOF
}

test_expect_success 'Gmail: each message is downloaded once, with labels' '
    test -n "$(cat "$TRASH/gmport")" &&
    log_mark &&
    ms_imap export --from "$gm_url" --tls=none --to mbox -o gm --json -v &&
    cat out err && test "$rc" = 0 &&
    grep -q "Gmail: .*Alle Nachrichten" err &&
    grep -q "\"messages\":9," out && grep -q "\"unchanged\":10," out &&
    grep -q "\"duplicates\":0," out &&
    fetched >f4 && cat f4 && test "$(cut -d" " -f1 f4)" = 9 &&
    check_places oracle2.tsv gm/manifest.jsonl gm &&
    check_labels oracle2.tsv gm/manifest.jsonl &&
    grep -q "^X-Keywords: .*Inbox" "gm/[Gmail]/Alle Nachrichten.mbox" &&
    run_ms verify gm && test "$rc" = 0
'

test_expect_success 'Gmail: a second run downloads nothing' '
    log_mark &&
    ms_imap export --from "$gm_url" --tls=none --to mbox -o gm --json &&
    cat out && test "$rc" = 0 && grep -q "\"messages\":0," out &&
    fetched >f5 && test "$(cat f5)" = "0 0"
'

test_done
