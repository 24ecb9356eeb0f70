#!/bin/bash
# Logging in: AUTHENTICATE PLAIN and LOGIN; the password from the
# environment, a file or a command, never from the command line; a wrong
# password fails with the server's own words and exit 3; no password at
# all is a usage error (exit 2).
. "$SRCDIR/tests/imap/lib.sh"

new_user t3030
printf 'From: a@example.org\r\nSubject: auth\r\n\r\nhello\r\n' >m.eml
tool append "$USER_NAME" "$USER_PASS" INBOX "" 1500000000 m.eml >/dev/null ||
    exit 1
export MAILSAVE_CA_FILE=$MAILSAVE_TEST_CA
url=$(imaps_url)

test_expect_success 'a wrong password: the server says why, exit 3' '
    MAILSAVE_PASSWORD=wrong run_ms export --from "$url" --to eml -o o1 &&
    test "$rc" = 3 && grep -q "AUTHENTICATIONFAILED" err &&
    ! grep -q wrong err && test ! -e o1/INBOX
'

test_expect_success 'the same with LOGIN' '
    MAILSAVE_AUTH=login MAILSAVE_PASSWORD=wrong run_ms list --from "$url" &&
    test "$rc" = 3 && grep -q "Authentication failed" err
'

test_expect_success 'LOGIN with the right password' '
    MAILSAVE_AUTH=login MAILSAVE_PASSWORD=$USER_PASS run_ms list \
        --from "$url" && test "$rc" = 0 && grep -q "^1	" out
'

test_expect_success 'AUTHENTICATE PLAIN by default' '
    MAILSAVE_PASSWORD=$USER_PASS run_ms list --from "$url" &&
    test "$rc" = 0 &&
    grep "user=<$USER_NAME>, method=PLAIN" "$MAILSAVE_DOVECOT_LOG" >/dev/null
'

test_expect_success 'password from a file (first line)' '
    printf "%s\nignored\n" "$USER_PASS" >pw && chmod 600 pw &&
    MAILSAVE_PASSWORD_FILE=$PWD/pw run_ms list --from "$url" &&
    test "$rc" = 0
'

test_expect_success 'password from a command' '
    MAILSAVE_PASSWORD_COMMAND="cat $PWD/pw" run_ms list --from "$url" &&
    test "$rc" = 0
'

test_expect_success 'a failing password command stops before connecting' '
    MAILSAVE_PASSWORD_COMMAND=false run_ms list --from "$url" &&
    test "$rc" = 2 && grep -q "password command failed" err
'

test_expect_success 'password from ~/.netrc' '
    mkdir home &&
    printf "machine %s login %s password %s\n" "$HOST" "$USER_NAME" \
        "$USER_PASS" >home/.netrc && chmod 600 home/.netrc &&
    HOME=$PWD/home run_ms list --from "$url" && test "$rc" = 0
'

test_expect_success 'no password anywhere: usage error naming the ways' '
    HOME=$PWD/nohome run_ms list --from "$url" && test "$rc" = 2 &&
    grep -q MAILSAVE_PASSWORD err
'

test_expect_success 'a password in the address is refused' '
    MAILSAVE_PASSWORD=$USER_PASS run_ms list \
        --from "imaps://$USER_NAME:secret@$HOST:$MAILSAVE_IMAPS_PORT" &&
    test "$rc" = 2 && grep -q "no password in the address" err
'

test_done
