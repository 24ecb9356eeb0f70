#!/bin/bash
# Logging in with each mechanism, against Dovecot: IMAP LOGIN and
# AUTHENTICATE PLAIN / CRAM-MD5, POP3 USER/PASS, APOP and AUTH PLAIN /
# CRAM-MD5; the choice --auth auto makes over TLS (PLAIN) and without it
# (CRAM-MD5: the password stays off the wire); a server that disables
# plaintext logins (LOGINDISABLED, on 127.0.0.5, which Dovecot does not
# count as local); a mechanism the server does not offer.  Which
# mechanism was used is read from Dovecot's log (method=...) and from
# mailsave's -v line (Dovecot logs LOGIN and USER/PASS as PLAIN too).
. "$SRCDIR/tests/imap/lib.sh"

new_user t3031
printf 'From: a@example.org\r\nSubject: mechs\r\n\r\nhello\r\n' >m.eml
tool append "$USER_NAME" "$USER_PASS" INBOX "" 1500000000 m.eml >/dev/null ||
    exit 1
export MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA
NOPLAIN=$MAILSAVE_TEST_NOPLAIN_ADDR

# logins METHOD [LIP [TLS]]: Dovecot's count of this user's logins with
# METHOD to local address LIP (TLS: "TLS" or "plain").
logins() {
    local want=", lip=${2:-127.0.0.1}, mpid=[0-9]*, "
    case ${3:-} in
    TLS) want="$want""TLS" ;;
    plain) want="$want""\(secured, \)\?session" ;;
    esac
    grep -c "Login: user=<$USER_NAME>, method=$1, rip=[0-9.]*$want" \
        "$MAILSAVE_DOVECOT_LOG" || true
}
# logged N METHOD [LIP [TLS]]: wait (at most 3 s) for Dovecot's log to
# show N such logins.
logged() {
    local n=$1
    shift
    for _ in $(seq 1 30); do
        [ "$(logins "$@")" = "$n" ] && return 0
        sleep 0.1
    done
    echo "Dovecot logged $(logins "$@") logins with $*, not $n" >&2
    return 1
}
# ms_v ARGS: mailsave -v list with the password; the count must be 1.
ms_v() {
    MAILSAVE_PASSWORD=$USER_PASS run_ms -v list "$@" &&
        test "$rc" = 0 && grep -q "^1	" out
}
# no_secret: the password appears in no output.
no_secret() { ! grep -qF "$USER_PASS" out err; }

test_expect_success 'IMAP, auto over TLS: AUTHENTICATE PLAIN' '
    ms_v --from "$(imaps_url)" &&
    grep -q "logged in as $USER_NAME with AUTHENTICATE PLAIN over TLS" err &&
    no_secret
'

test_expect_success 'IMAP --auth login: the LOGIN command' '
    ms_v --auth login --from "$(imaps_url)" &&
    grep -q "logged in as $USER_NAME with LOGIN over TLS" err && no_secret
'

test_expect_success 'IMAP --auth cram-md5: Dovecot logs CRAM-MD5' '
    n=$(logins CRAM-MD5) &&
    ms_v --auth cram-md5 --from "$(imaps_url)" &&
    grep -q "with AUTHENTICATE CRAM-MD5 over TLS" err &&
    logged $((n + 1)) CRAM-MD5 127.0.0.1 TLS && no_secret
'

test_expect_success 'IMAP without TLS (--tls none): CRAM-MD5 chosen' '
    n=$(logins CRAM-MD5 127.0.0.1 plain) &&
    ms_v --tls none --from "$(imap_url)" &&
    grep -q "with AUTHENTICATE CRAM-MD5\$" err &&
    logged $((n + 1)) CRAM-MD5 127.0.0.1 plain
'

test_expect_success 'IMAP --tls none --auth plain: PLAIN as asked' '
    n=$(logins PLAIN 127.0.0.1 plain) &&
    ms_v --tls none --auth plain --from "$(imap_url)" &&
    grep -q "with AUTHENTICATE PLAIN\$" err &&
    logged $((n + 1)) PLAIN 127.0.0.1 plain
'

test_expect_success 'a whole export after a CRAM-MD5 login' '
    MAILSAVE_PASSWORD=$USER_PASS run_ms export --auth cram-md5 \
        --from "$(imaps_url)" --to eml -o o1 && test "$rc" = 0 &&
    test "$(find o1/INBOX -name "*.eml" | wc -l)" = 1 &&
    ! grep -rqF "$USER_PASS" o1
'

test_expect_success 'a wrong password with CRAM-MD5: the server words, exit 3' '
    MAILSAVE_PASSWORD=wrong-$USER_PASS run_ms list --auth cram-md5 \
        --from "$(imaps_url)" && test "$rc" = 3 &&
    grep -q "refused (AUTHENTICATE CRAM-MD5): NO \[AUTHENTICATIONFAILED\]" err &&
    ! grep -q "wrong-" err
'

test_expect_success 'LOGINDISABLED (no TLS): CRAM-MD5, the one offered' '
    url="imap://$USER_NAME@$NOPLAIN:$MAILSAVE_IMAP_PORT" &&
    n=$(logins CRAM-MD5 "$NOPLAIN" plain) &&
    ms_v --tls none --from "$url" &&
    grep -q "$NOPLAIN: logged in as $USER_NAME with AUTHENTICATE CRAM-MD5\$" err &&
    logged $((n + 1)) CRAM-MD5 "$NOPLAIN" plain
'

test_expect_success 'LOGINDISABLED and --auth login: refused before sending' '
    url="imap://$USER_NAME@$NOPLAIN:$MAILSAVE_IMAP_PORT" &&
    MAILSAVE_PASSWORD=$USER_PASS run_ms list --tls none --auth login \
        --from "$url" && test "$rc" = 3 &&
    grep -q "does not allow LOGIN here without TLS; it offers CRAM-MD5" err
'

test_expect_success 'LOGINDISABLED and --auth plain: the server refuses it' '
    url="imap://$USER_NAME@$NOPLAIN:$MAILSAVE_IMAP_PORT" &&
    MAILSAVE_PASSWORD=$USER_PASS run_ms list --tls none --auth plain \
        --from "$url" && test "$rc" = 3 &&
    grep -q "refused (AUTHENTICATE PLAIN): NO \[PRIVACYREQUIRED\]" err
'

test_expect_success 'LOGINDISABLED server with STARTTLS: PLAIN after TLS' '
    url="imap://$USER_NAME@$NOPLAIN:$MAILSAVE_IMAP_PORT" &&
    n=$(logins PLAIN "$NOPLAIN" TLS) &&
    ms_v --from "$url" && grep -q "with AUTHENTICATE PLAIN over TLS" err &&
    logged $((n + 1)) PLAIN "$NOPLAIN" TLS
'

test_expect_success 'a mechanism the server does not offer is named' '
    url="imap://$USER_NAME@$NOPLAIN:$MAILSAVE_IMAP_PORT" &&
    MAILSAVE_PASSWORD=$USER_PASS run_ms list --tls none --auth xoauth2 \
        --oauth2-token-command "echo t" --from "$url" && test "$rc" = 3 &&
    grep -q "the server does not offer XOAUTH2; it offers CRAM-MD5" err
'

test_expect_success '--auth takes only the mechanisms it knows' '
    run_ms list --auth digest-md5 --from "$(imaps_url)" && test "$rc" = 2 &&
    grep -q "auto, login, plain, cram-md5" err
'

test_expect_success 'POP3, auto over TLS: AUTH PLAIN' '
    ms_v --from "$(pop3s_url)" &&
    grep -q "logged in as $USER_NAME with AUTH PLAIN over TLS" err
'

test_expect_success 'POP3 --auth login: USER and PASS' '
    ms_v --auth login --from "$(pop3s_url)" &&
    grep -q "logged in as $USER_NAME with USER/PASS over TLS" err
'

test_expect_success 'POP3 --auth cram-md5 and --auth apop: Dovecot says so' '
    n=$(logins CRAM-MD5 127.0.0.1 TLS) && a=$(logins APOP 127.0.0.1 TLS) &&
    ms_v --auth cram-md5 --from "$(pop3s_url)" &&
    grep -q "with AUTH CRAM-MD5 over TLS" err &&
    logged $((n + 1)) CRAM-MD5 127.0.0.1 TLS &&
    ms_v --auth apop --from "$(pop3_url)" &&
    grep -q "with APOP over TLS" err && logged $((a + 1)) APOP 127.0.0.1 TLS
'

test_expect_success 'POP3 without TLS where plaintext is disabled: CRAM-MD5' '
    url="pop3://$USER_NAME@$NOPLAIN:$MAILSAVE_POP3_PORT" &&
    n=$(logins CRAM-MD5 "$NOPLAIN" plain) &&
    ms_v --tls none --from "$url" &&
    grep -q "with AUTH CRAM-MD5\$" err &&
    logged $((n + 1)) CRAM-MD5 "$NOPLAIN" plain
'

test_expect_success 'POP3 a wrong password with CRAM-MD5: exit 3, the words' '
    MAILSAVE_PASSWORD=wrong-$USER_PASS run_ms list --auth cram-md5 \
        --from "$(pop3s_url)" && test "$rc" = 3 &&
    grep -q "refused (AUTH CRAM-MD5): -ERR \[AUTH\] Authentication failed" err
'

test_done
