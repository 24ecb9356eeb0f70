/*
 * Unit tests for the authentication half of formats/net.c: base64
 * decoding, the client responses of PLAIN, CRAM-MD5 (RFC 2195's example),
 * XOAUTH2 and OAUTHBEARER (RFC 7628's layout), APOP (RFC 1939's example),
 * the choice of a mechanism, and the exchange driven over a scripted
 * transport (what the server says is fixed here; the end-to-end tests in
 * tests/imap/ run it against Dovecot).  The OAuth2 token command runs
 * through /bin/sh.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "test.h"

/* The base64 text decoded into a C string (for readable checks). */
static char *
decoded(const struct buf *b64)
{
	struct buf out = BUF_INIT;

	if (net_unbase64(&out, b64->s, b64->len) != 0) {
		buf_release(&out);
		return NULL;
	}
	buf_addc(&out, '\0');
	return buf_detach(&out);
}

static void
test_unbase64(void)
{
	struct buf b = BUF_INIT;

	CHECK_INT(net_unbase64(&b, "aGVsbG8=", 8), 0);
	CHECK_MEM(b.s, b.len, "hello", 5);
	buf_reset(&b);
	CHECK_INT(net_unbase64(&b, "aGVsbG8", 7), 0);	/* padding optional */
	CHECK_MEM(b.s, b.len, "hello", 5);
	buf_reset(&b);
	CHECK_INT(net_unbase64(&b, "", 0), 0);
	CHECK_INT(b.len, 0);
	buf_adds(&b, "kept");
	CHECK_INT(net_unbase64(&b, "aGV*bG8=", 8), -1);
	CHECK_MEM(b.s, b.len, "kept", 4);
	CHECK_INT(net_unbase64(&b, "aGVsbG8=x", 9), -1);	/* after '=' */
	CHECK_INT(net_unbase64(&b, "aGVsbG9=", 8), -1);	/* stray bits */
	CHECK_MEM(b.s, b.len, "kept", 4);
	buf_release(&b);
}

static void
test_responses(void)
{
	struct net_sasl a = {
		.proto = NET_PROTO_IMAP,
		.user = "tim",
		.secret = "tanstaaftanstaaf",
		.host = "imap.example.com",
		.port = 993,
	};
	struct buf b = BUF_INIT, ch = BUF_INIT;
	char *s;

	a.mech = NET_MECH_PLAIN;
	CHECK_INT(net_sasl_response(&b, &a, NULL, 0), 0);
	CHECK_STR(b.s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");	/* \0tim\0... */
	buf_reset(&b);

	/* RFC 2195 section 2. */
	a.mech = NET_MECH_CRAM_MD5;
	net_base64(&ch, "<1896.697170952@postoffice.reston.mci.net>", 42);
	CHECK_INT(net_sasl_response(&b, &a, ch.s, ch.len), 0);
	s = decoded(&b);
	CHECK_STR(s, "tim b913a602c7eda7a495b4e6e7334d3890");
	free(s);
	buf_reset(&b);
	CHECK_INT(net_sasl_response(&b, &a, "!!", 2), -1);
	CHECK_INT(net_sasl_response(&b, &a, "", 0), -1);
	CHECK_INT(b.len, 0);

	a.mech = NET_MECH_XOAUTH2;
	a.user = "joe@example.com";
	a.secret = "ya29.token";
	CHECK_INT(net_sasl_response(&b, &a, NULL, 0), 0);
	s = decoded(&b);
	CHECK_STR(s, "user=joe@example.com\001auth=Bearer ya29.token\001\001");
	free(s);
	buf_reset(&b);

	/* RFC 7628 3.1, with a user name that needs escaping. */
	a.mech = NET_MECH_OAUTHBEARER;
	a.user = "a,b=c@example.com";
	CHECK_INT(net_sasl_response(&b, &a, NULL, 0), 0);
	s = decoded(&b);
	CHECK_STR(s, "n,a=a=2Cb=3Dc@example.com,\001host=imap.example.com"
	    "\001port=993\001auth=Bearer ya29.token\001\001");
	free(s);
	buf_release(&b);
	buf_release(&ch);
}

static void
test_apop(void)
{
	struct buf b = BUF_INIT;

	/* RFC 1939 section 7. */
	CHECK_INT(net_apop_digest(&b, "+OK POP3 server ready "
	    "<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"), 0);
	CHECK_STR(b.s, "c4c9334bac560ecc979e58001b3e22fb");
	buf_reset(&b);
	CHECK_INT(net_apop_digest(&b, "+OK ready", "x"), -1);
	CHECK_INT(b.len, 0);
	buf_release(&b);
}

/* Choose with --auth want (NULL: auto); the mechanism, or -1. */
static int
choose(const char *want, const char *token_cmd, unsigned sasl, int login,
    int apop, int tls)
{
	struct net_opts no;
	struct net_offer of = {
		.sasl = sasl, .login = login, .apop = apop, .tls = tls,
	};
	struct err e;
	int mech;

	memset(&no, 0, sizeof(no));
	no.auth = want;
	no.oauth2_token_command = token_cmd;
	return net_auth_choose(&no, &of, &mech, &e) == MS_OK ? mech : -1;
}

static void
test_choose(void)
{
	unsigned all = NET_MECH_BIT(NET_MECH_PLAIN) |
	    NET_MECH_BIT(NET_MECH_CRAM_MD5) | NET_MECH_BIT(NET_MECH_XOAUTH2) |
	    NET_MECH_BIT(NET_MECH_OAUTHBEARER);
	unsigned cram = NET_MECH_BIT(NET_MECH_CRAM_MD5);

	CHECK_INT(net_mech_parse("cram-md5"), NET_MECH_CRAM_MD5);
	CHECK_INT(net_mech_parse("AUTO"), NET_MECH_AUTO);
	CHECK_INT(net_mech_parse("digest-md5"), -1);
	CHECK_INT(net_mech_sasl_bit("CRAM-MD5", 8), cram);
	CHECK_INT(net_mech_sasl_bit("LOGIN", 5), 0);	/* the command */
	CHECK_INT(net_mech_sasl_bit("PLAINX", 6), 0);

	/* Over TLS: PLAIN, else the protocol's LOGIN, else CRAM-MD5. */
	CHECK_INT(choose(NULL, NULL, all, 1, 1, 1), NET_MECH_PLAIN);
	CHECK_INT(choose("auto", NULL, cram, 1, 0, 1), NET_MECH_LOGIN);
	CHECK_INT(choose(NULL, NULL, cram, 0, 0, 1), NET_MECH_CRAM_MD5);
	/* Without TLS: nothing that shows the password, when offered. */
	CHECK_INT(choose(NULL, NULL, all, 1, 1, 0), NET_MECH_CRAM_MD5);
	CHECK_INT(choose(NULL, NULL, 0, 1, 1, 0), NET_MECH_APOP);
	CHECK_INT(choose(NULL, NULL, NET_MECH_BIT(NET_MECH_PLAIN), 1, 0, 0),
	    NET_MECH_PLAIN);
	/* LOGINDISABLED and nothing announced: PLAIN is tried. */
	CHECK_INT(choose(NULL, NULL, 0, 0, 0, 1), NET_MECH_PLAIN);
	/* OAuth2: OAUTHBEARER first; nothing else will do. */
	CHECK_INT(choose(NULL, "t", all, 1, 0, 1), NET_MECH_OAUTHBEARER);
	CHECK_INT(choose(NULL, "t", NET_MECH_BIT(NET_MECH_XOAUTH2), 1, 0, 1),
	    NET_MECH_XOAUTH2);
	CHECK_INT(choose(NULL, "t", NET_MECH_BIT(NET_MECH_PLAIN), 1, 0, 1),
	    -1);
	CHECK_INT(choose("xoauth2", "t", all, 1, 0, 1), NET_MECH_XOAUTH2);
	/* What was asked for, when offered; PLAIN even unannounced. */
	CHECK_INT(choose("cram-md5", NULL, all, 1, 0, 1), NET_MECH_CRAM_MD5);
	CHECK_INT(choose("cram-md5", NULL, 0, 1, 0, 1), -1);
	CHECK_INT(choose("login", NULL, cram, 0, 0, 0), -1);
	CHECK_INT(choose("plain", NULL, cram, 0, 0, 0), NET_MECH_PLAIN);
	CHECK_INT(choose("apop", NULL, 0, 1, 0, 1), -1);
	CHECK_INT(choose("nonsense", NULL, all, 1, 1, 1), -1);
}

/* A scripted server: the lines it says, what the client sent. */
struct script {
	const char *const *lines;
	size_t next;
	struct buf sent;
};

static int
script_send(void *arg, const char *s, size_t n)
{
	struct script *sc = arg;

	buf_add(&sc->sent, s, n);
	return 0;
}

static const char *
script_read(void *arg)
{
	struct script *sc = arg;

	return sc->lines[sc->next] != NULL ? sc->lines[sc->next++] : NULL;
}

/* Run one exchange; what the client sent into sent (owned by caller). */
static const char *
run(struct net_sasl *a, const char *const *lines, struct buf *sent)
{
	struct script sc = { .lines = lines };
	struct net_sasl_io io = {
		.arg = &sc,
		.send = script_send,
		.read_line = script_read,
	};
	const char *r;

	buf_init(&sc.sent);
	r = net_sasl_run(a, &io);
	buf_addc(&sc.sent, '\0');
	*sent = sc.sent;
	return r;
}

static void
test_exchange(void)
{
	struct net_sasl a = {
		.proto = NET_PROTO_IMAP,
		.mech = NET_MECH_PLAIN,
		.prefix = "a4 ",
		.ir = 1,
		.user = "tim",
		.secret = "tanstaaftanstaaf",
		.host = "h",
		.port = 143,
	};
	struct buf sent, said = BUF_INIT, ch = BUF_INIT;
	const char *r;

	/* SASL-IR: one line, the answer. */
	r = run(&a, (const char *const[]){ "a4 OK done\r\n", NULL }, &sent);
	CHECK_STR(r, "a4 OK done\r\n");
	CHECK_STR(sent.s, "a4 AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
	    "\r\n");
	buf_release(&sent);

	/* No SASL-IR: the response after an empty challenge. */
	a.ir = 0;
	r = run(&a, (const char *const[]){ "+ ", "a4 OK done", NULL }, &sent);
	CHECK_STR(r, "a4 OK done");
	CHECK_STR(sent.s, "a4 AUTHENTICATE PLAIN\r\n"
	    "AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
	buf_release(&sent);

	/* CRAM-MD5 over POP3 (never an initial response); "+OK" ends it. */
	a.proto = NET_PROTO_POP3;
	a.mech = NET_MECH_CRAM_MD5;
	net_base64(&ch, "<1896.697170952@postoffice.reston.mci.net>", 42);
	{
		char line[128];

		snprintf(line, sizeof(line), "+ %s", ch.s);
		r = run(&a, (const char *const[]){ line, "+OK in", NULL },
		    &sent);
	}
	CHECK_STR(r, "+OK in");
	CHECK(strncmp(sent.s, "AUTH CRAM-MD5\r\n", 15) == 0);
	CHECK_STR(sent.s + 15, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQz"
	    "ODkw\r\n");
	buf_release(&sent);

	/* POP3 PLAIN: the initial response on the AUTH line (RFC 5034). */
	a.mech = NET_MECH_PLAIN;
	r = run(&a, (const char *const[]){ "-ERR [AUTH] no", NULL }, &sent);
	CHECK_STR(r, "-ERR [AUTH] no");
	CHECK_STR(sent.s, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
	buf_release(&sent);

	/* XOAUTH2's error challenge: kept, answered with an empty line. */
	a.proto = NET_PROTO_IMAP;
	a.mech = NET_MECH_XOAUTH2;
	a.ir = 1;
	a.said = &said;
	r = run(&a, (const char *const[]){
	    "+ eyJzdGF0dXMiOiI0MDEifQ==",	/* {"status":"401"} */
	    "a4 NO [AUTHENTICATIONFAILED] no", NULL }, &sent);
	CHECK_STR(r, "a4 NO [AUTHENTICATIONFAILED] no");
	CHECK(strstr(sent.s, "\r\n\r\n") != NULL);
	CHECK_MEM(said.s, said.len, "{\"status\":\"401\"}", 16);
	buf_release(&sent);

	/* OAUTHBEARER's: %x01. */
	a.mech = NET_MECH_OAUTHBEARER;
	r = run(&a, (const char *const[]){ "+ e30=", "a4 NO no", NULL },
	    &sent);
	CHECK_STR(r, "a4 NO no");
	CHECK(strstr(sent.s, "\r\nAQ==\r\n") != NULL);
	buf_release(&sent);

	/* A server that keeps challenging is cancelled, then ends. */
	a.mech = NET_MECH_PLAIN;
	a.said = NULL;
	r = run(&a, (const char *const[]){ "+ ", "+ ", "+ ", "+ ", "+ ",
	    "a4 BAD cancelled", NULL }, &sent);
	CHECK_STR(r, "a4 BAD cancelled");
	CHECK(strstr(sent.s, "\r\n*\r\n") != NULL);
	buf_release(&sent);

	/* A connection that breaks: NULL. */
	r = run(&a, (const char *const[]){ NULL }, &sent);
	CHECK(r == NULL);
	buf_release(&sent);
	buf_release(&said);
	buf_release(&ch);
}

static void
test_secret(void)
{
	struct net_opts no;
	struct net_spec sp = { .user = "joe", .host = "h" };
	struct err e;
	char *s = NULL;

	memset(&no, 0, sizeof(no));
	unsetenv("MAILSAVE_PASSWORD");
	no.oauth2_token_command = "printf 'tok-1\\nignored\\n'";
	CHECK(net_auth_oauth(&no));
	CHECK_INT(net_secret(&no, &sp, &s, &e), MS_OK);
	CHECK_STR(s, "tok-1");
	net_password_free(s);

	/* --auth plain: the token command does not apply. */
	no.auth = "plain";
	no.password_command = "echo pw";
	CHECK(!net_auth_oauth(&no));
	CHECK_INT(net_secret(&no, &sp, &s, &e), MS_OK);
	CHECK_STR(s, "pw");
	net_password_free(s);

	/* A failing token command, or an empty token: named, not shown. */
	no.auth = NULL;
	no.oauth2_token_command = "echo secret-token; exit 3";
	CHECK_INT(net_secret(&no, &sp, &s, &e), MS_FATAL);
	CHECK(s == NULL);
	CHECK(strstr(e.msg, "OAuth2 token command failed") != NULL);
	CHECK(strstr(e.msg, "secret-token") == NULL);
	no.oauth2_token_command = "true";
	CHECK_INT(net_secret(&no, &sp, &s, &e), MS_FATAL);
	CHECK(strstr(e.msg, "printed no token") != NULL);

	/* --auth xoauth2 without a token command. */
	no.oauth2_token_command = NULL;
	no.auth = "xoauth2";
	CHECK_INT(net_secret(&no, &sp, &s, &e), MS_FATAL);
	CHECK(strstr(e.msg, "--oauth2-token-command") != NULL);
}

int
main(void)
{
	test_unbase64();
	test_responses();
	test_apop();
	test_choose();
	test_exchange();
	test_secret();
	return test_done();
}
