/*
 * Unit tests for formats/net.c: account addresses, modified UTF-7 folder
 * names and their display paths, base64, INTERNALDATE arithmetic, and
 * the certificate check's refusals that need no server.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "test.h"

static void
test_spec(void)
{
	struct net_spec sp;
	struct err e;

	CHECK_INT(net_spec_parse(&sp, "imaps://joe@mail.example.org", &e),
	    MS_OK);
	CHECK_STR(sp.scheme, "imaps");
	CHECK_STR(sp.user, "joe");
	CHECK_STR(sp.host, "mail.example.org");
	CHECK_INT(sp.port, 993);
	CHECK(sp.path == NULL);
	CHECK_INT(sp.implicit_tls, 1);
	net_spec_release(&sp);

	CHECK_INT(net_spec_parse(&sp, "imap://joe@example.com@imap.example.com"
	    ":1143/Archive/2024", &e), MS_OK);
	CHECK_STR(sp.user, "joe@example.com");
	CHECK_STR(sp.host, "imap.example.com");
	CHECK_INT(sp.port, 1143);
	CHECK_STR(sp.path, "Archive/2024");
	CHECK_INT(sp.implicit_tls, 0);
	net_spec_release(&sp);

	CHECK_INT(net_spec_parse(&sp, "IMAPS://a%40b@[::1]:9993/Donn%C3%A9es/",
	    &e), MS_OK);
	CHECK_STR(sp.user, "a@b");
	CHECK_STR(sp.host, "::1");
	CHECK_INT(sp.port, 9993);
	CHECK_STR(sp.path, "Données");
	net_spec_release(&sp);

	CHECK_INT(net_spec_parse(&sp, "pop3s://u@h", &e), MS_OK);
	CHECK_INT(sp.port, 995);
	net_spec_release(&sp);
	CHECK_INT(net_spec_parse(&sp, "pop3://u@h/", &e), MS_OK);
	CHECK_INT(sp.port, 110);
	CHECK(sp.path == NULL);
	net_spec_release(&sp);

	/* Refusals are usage errors (no errno). */
	CHECK_INT(net_spec_parse(&sp, "imaps://host.example", &e), MS_FATAL);
	CHECK(strstr(e.msg, "no user name") != NULL);
	CHECK_INT(e.sys_errno, 0);
	CHECK_INT(net_spec_parse(&sp, "imaps://u:secret@h", &e), MS_FATAL);
	CHECK(strstr(e.msg, "secret") == NULL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@h:0", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@h:70000", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@h:", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@[::1", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@h/a%2", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@h/a%00b", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "imaps://u@h o", &e), MS_FATAL);
	CHECK_INT(net_spec_parse(&sp, "https://u@h", &e), MS_FATAL);

	CHECK(net_spec_is("imaps://x", "imaps"));
	CHECK(!net_spec_is("imaps://x", "imap"));
	CHECK(net_spec_is("IMAP://x", "imap"));
	CHECK(!net_spec_is("imap:x", "imap"));
}

static const char *
mutf7(const char *s)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	return net_mutf7_decode(&b, s) == 0 ? b.s : NULL;
}

static void
test_mutf7(void)
{
	CHECK_STR(mutf7("INBOX"), "INBOX");
	CHECK_STR(mutf7("Work &- Play"), "Work & Play");
	CHECK_STR(mutf7("Donn&AOk-es"), "Données");
	CHECK_STR(mutf7("&ZeVnLIqe-"), "日本語");
	/* A supplementary character (U+1F600) as a surrogate pair. */
	CHECK_STR(mutf7("&2D3eAA-"), "\xf0\x9f\x98\x80");
	CHECK_STR(mutf7("&AMk-t&AOk-"), "Été");
	/* Invalid: 8-bit, unterminated, encoded ASCII, lone surrogate. */
	CHECK(mutf7("caf\xc3\xa9") == NULL);
	CHECK(mutf7("&AOk") == NULL);
	CHECK(mutf7("&AEE-") == NULL);
	CHECK(mutf7("&2D0-") == NULL);
	CHECK(mutf7("&-&") == NULL);
}

static const char *
disp(const char *raw, char delim)
{
	static struct buf b = BUF_INIT;

	net_folder_display(&b, raw, delim);
	return b.s;
}

static void
test_display(void)
{
	CHECK_STR(disp("INBOX", '.'), "INBOX");
	CHECK_STR(disp("inbox", '/'), "INBOX");
	CHECK_STR(disp("Archive.2024", '.'), "Archive/2024");
	CHECK_STR(disp("Donn&AOk-es.&AMk-t&AOk-", '.'), "Données/Été");
	CHECK_STR(disp("INBOX.Sent", '.'), "INBOX/Sent");
	CHECK_STR(disp("inbox/sub", '/'), "INBOX/sub");
	/* A '/' inside a level when the delimiter is '.'. */
	CHECK_STR(disp("a/b.c", '.'), "a\xe2\x88\x95" "b/c");
	CHECK_STR(disp("a..b", '.'), "a/_/b");
	CHECK_STR(disp("flat.name", 0), "flat.name");
	/* A server that sends UTF-8 (UTF8=ACCEPT). */
	CHECK_STR(disp("Données/Été", '/'), "Données/Été");
	/* Neither: bytes kept readable. */
	CHECK_STR(disp("caf\xe9", '/'), "caf%E9");
}

static void
test_base64(void)
{
	struct buf b = BUF_INIT;

	net_base64(&b, "\0joe\0secret", 11);
	CHECK_STR(b.s, "AGpvZQBzZWNyZXQ=");
	buf_reset(&b);
	net_base64(&b, "ab", 2);
	CHECK_STR(b.s, "YWI=");
	buf_reset(&b);
	net_base64(&b, "abc", 3);
	CHECK_STR(b.s, "YWJj");
	buf_release(&b);
}

static void
test_dates(void)
{
	/* 13-Sep-2020 12:26:40 +0000 */
	CHECK_INT(net_civil_to_unix(2020, 9, 13, 12, 26, 40, 0), 1600000000);
	CHECK_INT(net_civil_to_unix(2020, 9, 13, 14, 26, 40, 200), 1600000000);
	CHECK_INT(net_civil_to_unix(2020, 9, 13, 7, 56, 40, -430), 1600000000);
	CHECK_INT(net_civil_to_unix(1970, 1, 1, 0, 0, 0, 0), 0);
	CHECK_INT(net_civil_to_unix(2000, 2, 29, 0, 0, 0, 0), 951782400);
	CHECK_INT(net_civil_to_unix(1969, 12, 31, 23, 59, 59, 0), -1);
}

static void
test_verify(void)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	const unsigned char *der[] = { junk };
	size_t len[] = { sizeof(junk) };
	struct net_opts no;
	struct err e;

	memset(&no, 0, sizeof(no));
	CHECK_INT(net_verify_chain(der, len, 0, "h", &no, &e), MS_FATAL);
	CHECK(strstr(e.msg, "no certificate") != NULL);
	CHECK_INT(net_verify_chain(der, len, 1, "h", &no, &e), MS_FATAL);
	CHECK(strstr(e.msg, "cannot read") != NULL);
	no.pin = "sha256:nothex";
	CHECK_INT(net_verify_chain(der, len, 1, "h", &no, &e), MS_FATAL);
	CHECK(strstr(e.msg, "bad pin") != NULL);
	no.pin = "sha256:00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEEFF";
	CHECK_INT(net_verify_chain(der, len, 1, "h", &no, &e), MS_FATAL);
	CHECK(strstr(e.msg, "does not match the pin") != NULL);
	no.pin = NULL;
	no.insecure = 1;
	CHECK_INT(net_verify_chain(der, len, 1, "h", &no, &e), MS_OK);
	CHECK(net_is_ip("127.0.0.1"));
	CHECK(net_is_ip("::1"));
	CHECK(!net_is_ip("localhost"));
}

int
main(void)
{
	test_spec();
	test_mutf7();
	test_display();
	test_base64();
	test_dates();
	test_verify();
	return test_done();
}
