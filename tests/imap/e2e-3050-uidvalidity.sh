#!/bin/bash
# A folder deleted and made again on the server gets a new UIDVALIDITY: its
# old keys mean nothing.  The next run does not download it again: it asks
# for the Message-ID headers of the messages it does not know and finds
# the saved ones by Message-ID and size; their records take the new keys
# (one manifest line per message still).  Only a new message and one
# without Message-ID are downloaded; the latter is already in DEST, so it
# is written once (the index matches it by hash).  Dovecot's own log
# counts the bodies sent.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3050
tool seed "$USER_NAME" "$USER_PASS" || exit 1
printf 'From: b@example.org\r\nSubject: no id\r\n\r\nno Message-ID\r\n' >noid.eml
tool append "$USER_NAME" "$USER_PASS" "Archive/2024" "\\Seen" 1600001000 \
    noid.eml >/dev/null || exit 1

# Dovecot logs each session's end with the bodies it sent (body_count,
# body_bytes).  log_mark waits until every session of the user has ended
# and remembers where the log is; fetched prints "count bytes" of the
# sessions since then, once they have ended.
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

test_expect_success 'first export' '
    log_mark &&
    ms_imap export --from "$(imaps_url)" --to eml -o eml &&
    test "$rc" = 0 && find eml -name "*.eml" | sort >files1 &&
    fetched >f1 && cat f1 && test "$(cut -d" " -f1 f1)" -ge 15
'

printf 'From: a@example.org\r\nSubject: after recreate\r\n\r\nnew\r\n' >new.eml
test_expect_success 'the folder is made again with a new UIDVALIDITY' '
    tool uidvalidity "$USER_NAME" "$USER_PASS" "Archive/2024" >v1 &&
    sleep 1 &&
    tool recreate "$USER_NAME" "$USER_PASS" "Archive/2024" &&
    tool uidvalidity "$USER_NAME" "$USER_PASS" "Archive/2024" >v2 &&
    ! cmp -s v1 v2 &&
    tool append "$USER_NAME" "$USER_PASS" "Archive/2024" "" 1600000000 \
        new.eml >/dev/null &&
    tool dump "$USER_NAME" "$USER_PASS" oracle.tsv
'

test_expect_success 'the next run downloads only the new and the unknown' '
    log_mark &&
    ms_imap export --from "$(imaps_url)" --to eml -o eml --json &&
    cat out && test "$rc" = 0 &&
    grep -q "\"messages\":1," out && grep -q "\"unchanged\":2," out &&
    grep -q "\"duplicates\":1," out &&
    tool check-eml oracle.tsv eml &&
    fetched >f2 && cat f2 && test "$(cut -d" " -f1 f2)" = 2
'

test_expect_success 'the saved messages took their new keys' '
    v1=$(cat v1) v2=$(cat v2) python3 - eml/manifest.jsonl <<-\EOF
	import json, os, sys
	rows = [json.loads(l) for l in open(sys.argv[1])]
	box = [r for r in rows if r["folder"] == "Archive/2024"]
	old = "Archive/2024:%s:" % os.environ["v1"]
	new = "Archive/2024:%s:" % os.environ["v2"]
	olds = [r for r in box if r["key"].startswith(old)]
	news = [r for r in box if r["key"].startswith(new)]
	# archived 1 and 2 re-keyed, the message without Message-ID kept
	# under its old key and recorded again as a duplicate, the new one
	assert len(box) == 5, box
	assert len(olds) == 1 and olds[0]["message_id"] is None, olds
	assert len(news) == 4, news
	assert sorted(r["dup_of"] != 0 for r in news) == [False] * 3 + [True]
	assert sum(1 for r in news if r["message_id"]) == 2, news
	EOF
'

test_expect_success 'verify finds DEST whole' '
    run_ms verify eml && cat out err && test "$rc" = 0
'

test_expect_success 'a third run has nothing to fetch' '
    log_mark &&
    ms_imap export --from "$(imaps_url)" --to eml -o eml --json &&
    cat out && test "$rc" = 0 && grep -q "\"messages\":0," out &&
    grep -q "\"duplicates\":0," out &&
    fetched >f3 && test "$(cat f3)" = "0 0"
'

test_done
