#!/bin/bash
# mailsave doctor: a working account gets a clean bill of health (exit 0)
# over IMAPS, IMAP with STARTTLS, POP3S and POP3 with STLS; the checklist
# names each step, --json says the same for scripts, and the usage errors
# exit 2.
. "$SRCDIR/tests/imap/lib.sh"

new_user t6000
export MAILSAVE_PASSWORD=$USER_PASS MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA

test_expect_success 'imaps:// that works: every step ticked, exit 0' '
    run_ms doctor "$(imaps_url)" && test "$rc" = 0 &&
    grep -q "✔ tcp .*accepts connections" out &&
    grep -q "✔ tls .*TLSv1\.[23]" out &&
    grep -q "✔ certificate .*trusted" out &&
    grep -q "✔ hostname .*for 127.0.0.1" out &&
    grep -q "✔ expiry .*valid until" out &&
    grep -q "pin .*--pin sha256:[0-9A-F:]*" out &&
    grep -q "✔ greeting .*Dovecot" out &&
    grep -q "✔ capabilities .*IMAP4rev1.*IDLE" out &&
    grep -q "\(✔\|!\) login .*logged in as $USER_NAME" out &&
    grep -q "Verdict: the account works" out && ! grep -q "✘" out
'

test_expect_success 'imap:// with STARTTLS, pop3s:// and pop3:// work too' '
    run_ms doctor "$(imap_url)" && test "$rc" = 0 &&
    grep -q "✔ tls" out && grep -q "\(✔\|!\) login .*logged in" out &&
    run_ms doctor "$(pop3s_url)" && test "$rc" = 0 &&
    grep -q "✔ greeting .*+OK" out && grep -q "\(✔\|!\) login .*logged in" out &&
    run_ms doctor "$(pop3_url)" && test "$rc" = 0 &&
    grep -q "✔ capabilities .*UIDL" out && grep -q "\(✔\|!\) login .*logged in" out
'

test_expect_success 'a host name is resolved and its addresses shown' '
    run_ms doctor "imaps://$USER_NAME@localhost:$MAILSAVE_IMAPS_PORT" &&
    test "$rc" = 0 && grep -q "✔ dns .*localhost resolves to .*127.0.0.1" out
'

test_expect_success 'the pin the doctor prints is accepted' '
    pin=$(sed -n "s/.*--pin \(sha256:[0-9A-F:]*\).*/\1/p" out | head -1) &&
    MAILSAVE_CA_FILE= run_ms doctor --pin "$pin" "$(imaps_url)" &&
    test "$rc" = 0 && grep -q "✔ certificate .*matches --pin" out
'

test_expect_success 'without a password the server is checked, the login not' '
    MAILSAVE_PASSWORD= env -u MAILSAVE_PASSWORD "$MAILSAVE" doctor \
        "$(imaps_url)" >out 2>err; rc=$?
    test "$rc" = 0 && grep -q "login .*not tried" out &&
    grep -q "login was not tested" out
'

test_expect_success '--json: one object, ok true, every check listed' '
    run_ms doctor --json "$(imaps_url)" && test "$rc" = 0 &&
    python3 -c "
import json, sys
d = json.load(open(\"out\"))
assert d[\"ok\"] is True, d
steps = [c[\"step\"] for c in d[\"checks\"]]
for s in (\"dns\", \"tcp\", \"tls\", \"certificate\", \"greeting\",
          \"capabilities\", \"login\"):
    assert s in steps, (s, steps)
assert all(c[\"status\"] in (\"ok\", \"info\") for c in d[\"checks\"]), d
"
'

test_expect_success '-q shows only problems and the verdict' '
    run_ms doctor -q "$(imaps_url)" && test "$rc" = 0 &&
    tail -n 1 out | grep -q "Verdict: the account works" &&
    ! grep -q "✔ tcp" out &&
    MAILSAVE_CA_FILE= run_ms doctor -q "$(imaps_url)" && test "$rc" = 1 &&
    grep -q "✘ certificate" out && ! grep -q "✔" out
'

test_expect_success 'usage errors exit 2' '
    run_ms doctor && test "$rc" = 2 &&
    run_ms doctor "imaps://" && test "$rc" = 2 && grep -q "user" err &&
    run_ms doctor --pin md5:00 "$(imaps_url)" && test "$rc" = 2 &&
    run_ms doctor a b && test "$rc" = 2
'

test_done
