#!/bin/bash
# OAuth2: --oauth2-token-command prints an access token, mailsave logs in
# with OAUTHBEARER (or XOAUTH2 when asked or the only one offered) over
# IMAP and POP3, and doctor does the same.  Dovecot's oauth2 passdb asks
# a tiny introspection endpoint on 127.0.0.1 (oauth2idp.py, the identity
# provider) whether the token is active and whose it is.  The token is
# never on a command line, in the output, the exported files or the index;
# it is asked for again when a dropped connection is reopened (tokens
# expire);
# a refused token gets the server's words, a failing command exit 2.
# (Refusals last: Dovecot slows down an address after them.)
. "$SRCDIR/tests/imap/lib.sh"

[ -n "${MAILSAVE_OAUTH2_PORT:-}" ] || skip "start.sh set no OAuth2 port"
new_user t3032
printf 'From: a@example.org\r\nSubject: oauth\r\n\r\nhello\r\n' >m.eml
tool append "$USER_NAME" "$USER_PASS" INBOX "" 1500000000 m.eml >/dev/null ||
    exit 1
export MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA
TOKEN=ya29.tok-$RANDOM-$RANDOM-$$
printf '%s %s\n' "$TOKEN" "$USER_NAME" >tokens
printf '%s\n' "$TOKEN" >token && chmod 600 token
: >count

idp_pid=
python3 "$SRCDIR/tests/imap/oauth2idp.py" "$MAILSAVE_OAUTH2_PORT" \
    "$PWD/tokens" "$PWD/count" 2>idp.log &
idp_pid=$!
trap 'stop_proxy; kill $idp_pid 2>/dev/null; wait $idp_pid 2>/dev/null
    rm -rf "$TRASH"' EXIT
for _ in $(seq 1 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $MAILSAVE_OAUTH2_PORT), 1)" \
        2>/dev/null && break
    sleep 0.1
done

# logins METHOD: Dovecot's count of this user's logins with METHOD.
logins() {
    grep -c "Login: user=<$USER_NAME>, method=$1," \
        "$MAILSAVE_DOVECOT_LOG" || true
}
logged() {
    for _ in $(seq 1 30); do
        [ "$(logins "$2")" = "$1" ] && return 0
        sleep 0.1
    done
    echo "Dovecot logged $(logins "$2") $2 logins, not $1" >&2
    return 1
}
# no_token FILES...: the token is in none of them.
no_token() { ! grep -rqF "$TOKEN" "$@"; }
CMD="cat $PWD/token"

test_expect_success 'IMAP: OAUTHBEARER with the token the command prints' '
    n=$(logins OAUTHBEARER) &&
    run_ms -v list --oauth2-token-command "$CMD" --from "$(imaps_url)" &&
    test "$rc" = 0 && grep -q "^1	" out &&
    grep -q "logged in as $USER_NAME with AUTHENTICATE OAUTHBEARER" err &&
    logged $((n + 1)) OAUTHBEARER && grep -q active count &&
    no_token out err
'

test_expect_success 'IMAP --auth xoauth2: XOAUTH2, a whole export' '
    n=$(logins XOAUTH2) &&
    run_ms -v export --auth xoauth2 --oauth2-token-command "$CMD" \
        --from "$(imaps_url)" --to mbox -o o1 && test "$rc" = 0 &&
    grep -q "with AUTHENTICATE XOAUTH2" err && logged $((n + 1)) XOAUTH2 &&
    test -s o1/INBOX.mbox && no_token out err o1
'

test_expect_success 'the token comes from the environment too' '
    n=$(logins OAUTHBEARER) &&
    MAILSAVE_OAUTH2_TOKEN_COMMAND=$CMD run_ms list --from "$(imaps_url)" &&
    test "$rc" = 0 && logged $((n + 1)) OAUTHBEARER
'

test_expect_success 'POP3: AUTH OAUTHBEARER, and XOAUTH2 when asked' '
    n=$(logins OAUTHBEARER) && x=$(logins XOAUTH2) &&
    run_ms -v list --oauth2-token-command "$CMD" --from "$(pop3s_url)" &&
    test "$rc" = 0 && grep -q "with AUTH OAUTHBEARER over TLS" err &&
    logged $((n + 1)) OAUTHBEARER &&
    run_ms -v list --auth xoauth2 --oauth2-token-command "$CMD" \
        --from "$(pop3_url)" && test "$rc" = 0 &&
    grep -q "with AUTH XOAUTH2 over TLS" err && logged $((x + 1)) XOAUTH2
'

test_expect_success 'a dropped connection: a fresh token for the new login' '
    tool big "$USER_NAME" "$USER_PASS" INBOX 1 >/dev/null &&
    start_proxy "$MAILSAVE_IMAPS_PORT" 200000 &&
    n=$(logins OAUTHBEARER) && : >runs &&
    run_ms export --oauth2-token-command "echo run >>$PWD/runs; $CMD" \
        --from "imaps://$USER_NAME@$HOST:$PROXY_PORT" --to eml -o o2 &&
    stop_proxy && test "$rc" = 0 &&
    test "$(grep -c "^conn" proxy.log)" -ge 2 &&
    test "$(wc -l <runs)" = 2 && logged $((n + 2)) OAUTHBEARER &&
    test "$(find o2/INBOX -name "*.eml" | wc -l)" = 2 && no_token o2
'

test_expect_success 'doctor: the login with OAUTHBEARER works' '
    run_ms doctor --oauth2-token-command "$CMD" "$(imaps_url)" &&
    test "$rc" = 0 &&
    grep -q "\(✔\|!\) login .*logged in as $USER_NAME with AUTHENTICATE OAUTHBEARER" out &&
    run_ms doctor --auth xoauth2 --oauth2-token-command "$CMD" \
        "$(pop3s_url)" && test "$rc" = 0 &&
    grep -q "\(✔\|!\) login .*logged in as $USER_NAME with AUTH XOAUTH2" out &&
    no_token out err
'

test_expect_success 'a token the provider does not know: refused, exit 3' '
    run_ms list --oauth2-token-command "echo not-$TOKEN" \
        --from "$(imaps_url)" && test "$rc" = 3 &&
    grep -q "refused (AUTHENTICATE OAUTHBEARER): NO \[AUTHENTICATIONFAILED\]" err &&
    grep -q inactive count && no_token err
'

test_expect_success 'a failing token command: exit 2 before connecting' '
    run_ms list --oauth2-token-command "echo $TOKEN; exit 1" \
        --from "$(imaps_url)" && test "$rc" = 2 &&
    grep -q "OAuth2 token command failed" err && no_token err &&
    run_ms list --oauth2-token-command true --from "$(imaps_url)" &&
    test "$rc" = 2 && grep -q "OAuth2 token command printed no token" err
'

test_expect_success '--auth xoauth2 without a token command: usage error' '
    MAILSAVE_PASSWORD=$USER_PASS run_ms list --auth xoauth2 \
        --from "$(imaps_url)" && test "$rc" = 2 &&
    grep -q "needs --oauth2-token-command" err
'

test_expect_success 'doctor: a refused token, with advice about the token' '
    run_ms doctor --auth xoauth2 --oauth2-token-command "echo x$TOKEN" \
        "$(imaps_url)" && test "$rc" = 1 &&
    grep -q "✘ login .*AUTHENTICATE XOAUTH2 refused; the server said: NO \[AUTHENTICATIONFAILED\]" out &&
    grep -q "→ the access token was refused: make --oauth2-token-command print a fresh token" out &&
    no_token out err
'

test_expect_success 'doctor: a failing token command is named' '
    run_ms doctor --oauth2-token-command false "$(imaps_url)" &&
    test "$rc" = 1 && grep -q "✘ password .*OAuth2 token command failed" out &&
    grep -q "→ check --oauth2-token-command" out
'

test_done
