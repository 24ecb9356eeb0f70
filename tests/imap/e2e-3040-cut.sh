#!/bin/bash
# A dropped connection: a loopback proxy between mailsave and Dovecot cuts
# the TLS stream after N bytes (during the login, a batch of small
# messages, or in the middle of a large message fetched in ranges).
# mailsave reconnects with back-off and goes on; the export is exact.
# When every connection is cut, it gives up cleanly (exit 3) and the next
# run finishes the job without fetching twice.  A drip-feeding server is
# cut too.
. "$SRCDIR/tests/imap/lib.sh"

new_user t3040
tool seed "$USER_NAME" "$USER_PASS" || exit 1
tool big "$USER_NAME" "$USER_PASS" "Archive/2024" 6 >/dev/null || exit 1
tool dump "$USER_NAME" "$USER_PASS" oracle.tsv || exit 1

start_proxy_for() { start_proxy "$MAILSAVE_IMAPS_PORT" "$1"; }
proxied_url() { echo "imaps://$USER_NAME@$HOST:$PROXY_PORT"; }

# Cut the first connection at N bytes (from the server), then the second
# at M, then leave the third alone.
for cut in 100 3000 20000 150000 400000 3000000,5000000; do
    test_expect_success "cut at $cut bytes: reconnect and finish" '
        start_proxy_for '$cut' &&
        ms_imap export --from "$(proxied_url)" --to eml -o "o'$cut'" &&
        stop_proxy &&
        cat err && test "$rc" = 0 &&
        test "$(grep -c "^conn" proxy.log)" -ge 2 &&
        tool check-eml oracle.tsv "o'$cut'"
    '
done

# One proxy for both runs (the address is part of the backup's identity):
# the first connection is cut after 2.5 MB, the next two early, later
# ones never.
start_proxy_for 2500000,3000,3000
test_expect_success 'reconnections that keep failing: exit 3, clean' '
    MAILSAVE_RETRIES=2 ms_imap export --from "$(proxied_url)" --to mbox \
        -o resumed &&
    cat err && test "$rc" = 3 && grep -q "gave up" err
'

test_expect_success 'the next run finishes the job exactly' '
    ms_imap export --from "$(proxied_url)" --to mbox -o resumed --json &&
    cat out && test "$rc" = 0 &&
    ! grep -q "\"unchanged\":0," out &&
    tool check-mbox oracle.tsv resumed
'
stop_proxy

# A server that drip-feeds (a byte every 0.2 s, never silent for the 1 s
# time-out) is cut after four time-outs of too little data, and the export
# goes on over a new connection.
test_expect_success 'a drip-feeding server is cut; the export finishes' '
    start_proxy_for d20000 &&
    ms_imap -v export --timeout 1 --from "$(proxied_url)" --to eml -o drip &&
    stop_proxy &&
    cat err && test "$rc" = 0 &&
    test "$(grep -c "^conn" proxy.log)" -ge 2 &&
    grep -q "too slow" err &&
    tool check-eml oracle.tsv drip
'

test_done
