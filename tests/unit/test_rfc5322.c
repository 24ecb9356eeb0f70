/*
 * Unit tests for the header helpers: header end, unfolding, addr-spec and
 * date parsing.
 */
#include "config.h"

#include <string.h>

#include "rfc5322.h"
#include "test.h"

static void
test_header_end(void)
{
	const char *a = "A: b\nC: d\n\nbody";
	const char *b = "A: b\r\nC: d\r\n\r\nbody";
	const char *c = "A: b\nC: d\n";
	const char *d = "\nbody";

	CHECK_INT(rfc_header_end(a, strlen(a)), 11);
	CHECK_INT(rfc_header_end(b, strlen(b)), 14);
	CHECK_INT(rfc_header_end(c, strlen(c)), 0);
	CHECK_INT(rfc_header_end(d, strlen(d)), 1);
	CHECK_INT(rfc_header_end("", 0), 0);
}

static void
test_header_get(void)
{
	const char *h = "Received: from a\n\tby b\n  with c\nSubject: Hello\r\n"
	    " world\r\nfrom:  Jane <j@x.org> \nX: 1\n\nSubject: body\n";
	struct buf v = BUF_INIT;

	CHECK(rfc_header_get(h, strlen(h), "received", &v));
	CHECK_STR(v.s, "from a\tby b  with c");
	CHECK(rfc_header_get(h, strlen(h), "Subject", &v));
	CHECK_STR(v.s, "Hello world");
	CHECK(rfc_header_get(h, strlen(h), "From", &v));
	CHECK_STR(v.s, "Jane <j@x.org>");
	/* Fields in the body are not headers. */
	CHECK(!rfc_header_get("A: 1\n\nB: 2\n", 11, "B", &v));
	/* A prefix of a longer name does not match. */
	CHECK(!rfc_header_get("Subjects: x\n\n", 13, "Subject", &v));
	buf_release(&v);
}

static void
test_addr(void)
{
	struct buf a = BUF_INIT;

	CHECK(rfc_addr_spec("Jane Doe <jane@example.org>", &a));
	CHECK_STR(a.s, "jane@example.org");
	buf_reset(&a);
	CHECK(rfc_addr_spec("jane@example.org (Jane)", &a));
	CHECK_STR(a.s, "jane@example.org");
	buf_reset(&a);
	CHECK(!rfc_addr_spec("<>", &a));
	CHECK_STR(a.s, "");
	buf_reset(&a);
	CHECK(rfc_addr_spec("\"a b\" <odd address@x>", &a));
	CHECK_STR(a.s, "odd-address@x");
	buf_release(&a);
}

static void
test_dates(void)
{
	int64_t t;

	CHECK_INT(rfc_parse_date("Mon, 17 Sep 2001 00:00:00 +0200", &t), 0);
	CHECK_INT(t, 1000677600);
	CHECK_INT(rfc_parse_date("Fri, 26 Jan 2018 22:01:16 +0100", &t), 0);
	CHECK_INT(t, 1517000476);
	CHECK_INT(rfc_parse_date("26 Jan 2018 21:01:16 GMT", &t), 0);
	CHECK_INT(t, 1517000476);
	CHECK_INT(rfc_parse_date("Sat Jan  3 01:05:34 1996", &t), 0);
	CHECK_INT(t, 820631134);
	CHECK_INT(rfc_parse_date("Thu, 1 Jan 1970 00:00:00 -0000 (UTC)", &t), 0);
	CHECK_INT(t, 0);
	CHECK_INT(rfc_parse_date("1 Jan 99 10:00 EST", &t), 0);
	CHECK_INT(t, 915202800);
	CHECK_INT(rfc_parse_date("yesterday", &t), -1);
	CHECK_INT(rfc_parse_date("", &t), -1);
	CHECK_INT(rfc_parse_date("32 Jan 2020 10:00:00", &t), -1);
}

static void
test_head_parse(void)
{
	const char *raw = "Return-Path: <bounce@list.org>\r\nFrom: A <a@b.c>\r\n"
	    "Subject: Hi\r\nMessage-ID: <1@x>\r\nDate: Thu, 01 Jan 1970 "
	    "00:01:00 +0000\r\n\r\nbody";
	struct rfc_head_store st;
	struct msg_head h;

	rfc_head_store_init(&st);
	rfc_head_parse(&h, raw, strlen(raw), &st);
	CHECK_STR(h.return_path, "bounce@list.org");
	CHECK_STR(h.from_addr, "a@b.c");
	CHECK_STR(h.subject, "Hi");
	CHECK_STR(h.message_id, "<1@x>");
	CHECK_INT(h.date, 60);
	CHECK_INT(h.crlf, 1);
	CHECK_INT(h.hdr_len, strlen(raw) - 4);
	rfc_head_parse(&h, "no header end", 13, &st);
	CHECK(h.from_addr == NULL);
	CHECK_INT(h.hdr_len, 13);
	rfc_head_store_release(&st);
}

int
main(void)
{
	test_header_end();
	test_header_get();
	test_addr();
	test_dates();
	test_head_parse();
	return test_done();
}
