/*
 * Unit tests for the mbox code: the From_ line grammar (every form of
 * research/apple-mail-formats.md 5.2 and the lines that must not split a
 * message), the From_ line writer, mboxrd quoting and unquoting across every
 * chunk boundary, the header field iterator, and the reader and writer
 * driven through the source and sink interfaces on temporary files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"
#include "hash.h"
#include "mbox_common.h"
#include "opts.h"
#include "rfc5322.h"
#include "sink.h"
#include "source.h"
#include "test.h"
#include "xalloc.h"

static char tmpdir[256];

/* From_ line parsing. */

static int
parse(const char *line, int strict, struct buf *sender, int64_t *date)
{
	return mbox_from_parse(line, strlen(line), strict, sender, date);
}

static void
test_from_forms(void)
{
	static const struct {
		const char *line;
		const char *sender;
		int64_t date;
	} ok[] = {
		{ "From god@heaven.af.mil Sat Jan  3 01:05:34 1996",
		    "god@heaven.af.mil", 820631134 },
		{ "From lucene@mikemccandless.com Wed Oct 01 07:14:42 2012",
		    "lucene@mikemccandless.com", 1349075682 },
		{ "From lucene@mikemccandless.com Wed Oct 1 07:14:42 2012",
		    "lucene@mikemccandless.com", 1349075682 },
		{ "From - Sat Apr 12 2025 15:59:28", "-", 1744473568 },
		{ "From bob@example.com Sat Jan 03 01:05:34 1996\r",
		    "bob@example.com", 820631134 },
		{ "From - Wed Jun 30 21:49:08 1993", "-", 741476948 },
		{ "From MAILER-DAEMON Sun Aug  7 11:40:37 2022 extra info",
		    "MAILER-DAEMON", 1659872437 },
		{ "From u2@a.invalid (comment) Sat Jul 27 03:26:47 1996",
		    "u2@a.invalid (comment)", 838438007 },
		{ "From u3 <u3@a.invalid> Mon Aug 12 14:43:33 1996",
		    "u3 <u3@a.invalid>", 839861013 },
		{ "From mboxrd Mon Sep 17 00:00:00 2001", "mboxrd",
		    1000684800 },
		{ "From MAILER-DAEMON Sun Aug  7 11:40:37 20220 extra info",
		    "MAILER-DAEMON", 0 },
		{ "From x@y Mon Jan  1 01:00:00 +0100 2001", "x@y",
		    978307200 },
		{ "From x@y Mon Jan  1 00:00:00 PST 2001", "x@y", 978307200 },
		{ "From x@y mon jan  1 00:00 2001", "x@y", 978307200 },
		{ "From x@y Mon, 1 Jan 2001 00:00:00 +0000", "x@y",
		    978307200 },
		{ "From  Thu Jan  1 00:00:00 1970", "", 0 },
	};
	struct buf s = BUF_INIT;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t d = -1;
		int r = parse(ok[i].line, 1, &s, &d);

		if (!r)
			printf("# strict parse failed: %s\n", ok[i].line);
		CHECK_INT(r, 1);
		CHECK_STR(s.s, ok[i].sender);
		CHECK_INT(d, ok[i].date);
		CHECK_INT(parse(ok[i].line, 0, NULL, NULL), 1);
	}

	static const char *const bad[] = {
		"From: header <a@b>",
		"From time to time",
		"From ",
		"From",
		"From me to you at 10:00 on Monday 2001",
		"From x Mon Jan 32 00:00:00 2001",
		"From x Mon Jan  1 24:00:00 2001",
		"From x Mon Foo  1 00:00:00 2001",
		"From x Mon Jan  1 00:00:00",
		"From x Mon Jan  1 00:00:00 01",
		"From x Monday Jan  1 00:00:00 2001",
		"From x Mon Jan  1 00:00:00 2001x",
		">From x Mon Jan  1 00:00:00 2001",
		"Fromage Mon Jan  1 00:00:00 2001",
		" From x Mon Jan  1 00:00:00 2001",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], 1, &s, NULL);

		if (r)
			printf("# strict parse accepted: %s\n", bad[i]);
		CHECK_INT(r, 0);
	}

	/* Lenient: any "From " line, the sender is the rest. */
	int64_t d = 5;

	CHECK_INT(parse("From time to time", 0, &s, &d), 1);
	CHECK_STR(s.s, "time to time");
	CHECK_INT(d, 0);
	CHECK_INT(parse("From ", 0, &s, &d), 1);
	CHECK_STR(s.s, "");
	CHECK_INT(parse("From: x", 0, &s, &d), 0);

	/* A strict line longer than MBOX_FROM_MAX is no separator. */
	char *lng = xmalloc(MBOX_FROM_MAX + 100);

	memset(lng, 'a', MBOX_FROM_MAX + 99);
	memcpy(lng, "From ", 5);
	memcpy(lng + MBOX_FROM_MAX + 99 - 24, "Mon Jan  1 00:00:00 2001", 24);
	lng[MBOX_FROM_MAX + 99] = '\0';
	CHECK_INT(parse(lng, 1, NULL, NULL), 0);
	CHECK_INT(parse(lng, 0, NULL, NULL), 1);
	free(lng);

	/* Not NUL-terminated: only len bytes count. */
	CHECK_INT(mbox_from_parse("From a Mon Jan  1 00:00:00 2001XYZ", 31, 1,
	    NULL, NULL), 1);
	buf_release(&s);
}

static void
test_from_format(void)
{
	struct buf b = BUF_INIT;

	mbox_from_format(&b, "a@b", 0);
	CHECK_STR(b.s, "From a@b Thu Jan  1 00:00:00 1970\n");
	buf_reset(&b);
	mbox_from_format(&b, NULL, 820631134);
	/* qmail's example "Sat Jan  3 1996" was a Wednesday. */
	CHECK_STR(b.s, "From MAILER-DAEMON Wed Jan  3 01:05:34 1996\n");
	buf_reset(&b);
	mbox_from_format(&b, "", 1349075682);
	CHECK_STR(b.s, "From MAILER-DAEMON Mon Oct  1 07:14:42 2012\n");
	buf_reset(&b);
	mbox_from_format(&b, "a b\tc\nd", 1744473568);
	CHECK_STR(b.s, "From a-b-c-d Sat Apr 12 15:59:28 2025\n");
	buf_reset(&b);
	mbox_from_format(&b, "x", -5);
	CHECK_STR(b.s, "From x Thu Jan  1 00:00:00 1970\n");
	buf_reset(&b);
	mbox_from_format(&b, "x", INT64_C(253402300799));
	CHECK_STR(b.s, "From x Fri Dec 31 23:59:59 9999\n");
	buf_reset(&b);
	mbox_from_format(&b, "x", INT64_C(253402300800));
	CHECK_STR(b.s, "From x Thu Jan  1 00:00:00 1970\n");
	buf_reset(&b);
	mbox_from_format(&b, "x", 951782400);	/* 2000-02-29 */
	CHECK_STR(b.s, "From x Tue Feb 29 00:00:00 2000\n");

	/* What we write, we read back, with the same date. */
	for (int64_t t = 0; t < INT64_C(4102444800); t += 7777777) {
		int64_t d = -1;

		buf_reset(&b);
		mbox_from_format(&b, "a@b", t);
		CHECK_INT(b.len, strlen("From a@b \n") + 24);
		CHECK_INT(mbox_from_parse(b.s, b.len - 1, 1, NULL, &d), 1);
		CHECK_INT(d, t);
	}
	buf_release(&b);
}

/* Quoting. */

/* Quote in[0..len) fed in chunks of `step` bytes (0: split at `split`). */
static void
quote_chunks(const char *in, size_t len, size_t split, size_t step,
    size_t cap, int crlf, int unquote, struct buf *out)
{
	struct mbox_quote q;
	struct mbox_unquote u;
	char o[64];
	size_t pos = 0;

	mbox_quote_init(&q, crlf);
	mbox_unquote_init(&u, 1);
	buf_reset(out);
	if (cap > sizeof(o))
		cap = sizeof(o);
	while (pos < len) {
		size_t end = step ? pos + step : (pos < split ? split : len);

		if (end > len)
			end = len;
		while (pos < end) {
			size_t used, k;

			if (unquote)
				k = mbox_unquote_run(&u, in + pos, end - pos,
				    &used, o, cap);
			else
				k = mbox_quote_run(&q, in + pos, end - pos,
				    &used, o, cap);
			buf_add(out, o, k);
			pos += used;
			if (used == 0 && k == 0) {
				printf("# no progress\n");
				CHECK(0);
				return;
			}
		}
	}
	size_t k = unquote ? mbox_unquote_finish(&u, o, cap) :
	    mbox_quote_finish(&q, o, cap);

	buf_add(out, o, k);
}

static const struct {
	const char *raw;
	const char *quoted;	/* LF-only writer output */
} quote_cases[] = {
	{ "", "" },
	{ "a\n", "a\n" },
	{ "From x\n", ">From x\n" },
	{ ">From x\n", ">>From x\n" },
	{ ">>From x\n", ">>>From x\n" },
	{ "a\nFrom \n>From\n>>From \nFro\nFrom\n",
	    "a\n>From \n>From\n>>>From \nFro\nFrom\n" },
	{ "x From y\n>x From\n", "x From y\n>x From\n" },
	{ "From: a\n\nFrom the start\n", "From: a\n\n>From the start\n" },
	{ ">>>>>>>>From \n>>>>>>>>", ">>>>>>>>>From \n>>>>>>>>\n" },
	{ "no final newline", "no final newline\n" },
	{ "ends in From", "ends in From\n" },
	{ "a\nFrom", "a\nFrom\n" },
	{ "a\n>Fro", "a\n>Fro\n" },
	{ "a\n>", "a\n>\n" },
	{ "F\nFr\nFro\nFrom\nFromx\nFrom \n",
	    "F\nFr\nFro\nFrom\nFromx\n>From \n" },
};

static void
test_quote(void)
{
	struct buf out = BUF_INIT, back = BUF_INIT;

	for (size_t i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]);
	    i++) {
		const char *raw = quote_cases[i].raw;
		size_t len = strlen(raw);

		/* Every split point, every small output size. */
		for (size_t split = 0; split <= len; split++) {
			for (size_t cap = MBOX_QUOTE_SLACK; cap <= 16;
			    cap += 8) {
				quote_chunks(raw, len, split, 0, cap, 1, 0,
				    &out);
				CHECK_STR(out.s, quote_cases[i].quoted);
			}
		}
		quote_chunks(raw, len, 0, 1, 64, 1, 0, &out);
		CHECK_STR(out.s, quote_cases[i].quoted);

		/* Unquoting gives the message back (plus a final LF). */
		const char *q = quote_cases[i].quoted;
		size_t ql = strlen(q);
		struct buf want = BUF_INIT;

		buf_adds(&want, raw);
		if (len > 0 && raw[len - 1] != '\n')
			buf_addc(&want, '\n');
		for (size_t split = 0; split <= ql; split++) {
			quote_chunks(q, ql, split, 0, MBOX_QUOTE_SLACK, 0, 1,
			    &back);
			CHECK_MEM(back.s, back.len, want.s, want.len);
		}
		quote_chunks(q, ql, 0, 1, 64, 0, 1, &back);
		CHECK_MEM(back.s, back.len, want.s, want.len);
		buf_release(&want);
	}

	/* Unquoting removes exactly one '>' and only before "From ". */
	quote_chunks(">From a\n>>From b\n>From\n>>x\n>\n", 29, 0, 1, 64, 0,
	    1, &back);
	CHECK_STR(back.s, "From a\n>From b\n>From\n>>x\n>\n");
	/* An unfinished quoted line at the end keeps its bytes. */
	quote_chunks("a\n>>Fro", 7, 0, 1, 64, 0, 1, &back);
	CHECK_STR(back.s, "a\n>>Fro");

	/* Disabled unquoting passes the bytes. */
	struct mbox_unquote u;
	char o[32];
	size_t used;

	mbox_unquote_init(&u, 0);
	size_t k = mbox_unquote_run(&u, ">From x\n", 8, &used, o, sizeof(o));

	CHECK_MEM(o, k, ">From x\n", 8);
	CHECK_INT(mbox_unquote_finish(&u, o, sizeof(o)), 0);

	buf_release(&out);
	buf_release(&back);
}

static void
test_quote_crlf(void)
{
	static const struct {
		const char *raw, *out;
	} c[] = {
		{ "a\r\nb\r\n", "a\nb\n" },
		{ "From x\r\n>From y\r\n", ">From x\n>>From y\n" },
		{ "a\rb\r\n\r\n", "a\rb\n\n" },
		{ "lone\r", "lone\r\n" },
		{ "\r\n\r\nFrom \r\n", "\n\n>From \n" },
		{ "x\r\r\n", "x\r\n" },
	};
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t len = strlen(c[i].raw);

		for (size_t split = 0; split <= len; split++) {
			quote_chunks(c[i].raw, len, split, 0, MBOX_QUOTE_SLACK,
			    1, 0, &out);
			CHECK_STR(out.s, c[i].out);
		}
		quote_chunks(c[i].raw, len, 0, 1, 64, 1, 0, &out);
		CHECK_STR(out.s, c[i].out);
	}
	/* Without conversion CRs stay. */
	quote_chunks("a\r\nFrom \r\n", 10, 0, 1, 64, 0, 0, &out);
	CHECK_STR(out.s, "a\r\n>From \r\n");
	buf_release(&out);
}

/*
 * Reference quoting, line by line: CRLF -> LF, '>' before ^>*From  (when
 * `quote`), a final LF.
 */
static void
ref_quote2(const char *in, size_t len, int quote, struct buf *out)
{
	size_t i = 0;

	buf_reset(out);
	while (i < len) {
		const char *nl = memchr(in + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - in) + 1 : len, g = i;

		while (g < e && in[g] == '>')
			g++;
		if (quote && e - g >= 5 && memcmp(in + g, "From ", 5) == 0)
			buf_addc(out, '>');
		if (nl != NULL && e - i >= 2 && in[e - 2] == '\r') {
			buf_add(out, in + i, e - i - 2);
			buf_addc(out, '\n');
		} else {
			buf_add(out, in + i, e - i);
		}
		i = e;
	}
	if (out->len > 0 && out->s[out->len - 1] != '\n')
		buf_addc(out, '\n');
}

static void
ref_quote(const char *in, size_t len, struct buf *out)
{
	ref_quote2(in, len, 1, out);
}

/* Random messages made of the tricky pieces, random chunks and room. */
static void
test_quote_random(void)
{
	static const char *const bits[] = {
		"From ", "From", ">", ">>", "\n", "\r\n", "\r", "x", "F",
		"Fro", " ", "From x\n", "\n>From ", "\nFrom ", "abc def",
	};
	struct buf in = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	struct buf back = BUF_INIT;
	unsigned seed = 12345;

	for (int round = 0; round < 3000; round++) {
		buf_reset(&in);
		int n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 40;

		for (int j = 0; j < n; j++) {
			seed = seed * 1103515245 + 12345;
			buf_adds(&in, bits[(seed >> 16) %
			    (sizeof(bits) / sizeof(bits[0]))]);
		}
		ref_quote(in.s, in.len, &want);

		struct mbox_quote q;
		char o[80];
		size_t pos = 0;

		mbox_quote_init(&q, 1);
		buf_reset(&got);
		while (pos < in.len) {
			seed = seed * 1103515245 + 12345;
			size_t step = 1 + (seed >> 16) % 24;
			size_t cap = MBOX_QUOTE_SLACK + (seed >> 8) % 40;
			size_t used;

			if (step > in.len - pos)
				step = in.len - pos;
			while (step > 0) {
				size_t k = mbox_quote_run(&q, in.s + pos, step,
				    &used, o, cap);

				buf_add(&got, o, k);
				pos += used;
				step -= used;
			}
		}
		buf_add(&got, o, mbox_quote_finish(&q, o, MBOX_QUOTE_SLACK));
		if (strcmp(got.s, want.s) != 0) {
			printf("# round %d: in \"%s\"\n", round, in.s);
			CHECK_STR(got.s, want.s);
			break;
		}

		/* And unquoting the LF-only output gives the LF message. */
		struct mbox_unquote u;

		mbox_unquote_init(&u, 1);
		buf_reset(&back);
		pos = 0;
		while (pos < want.len) {
			seed = seed * 1103515245 + 12345;
			size_t used, cap = MBOX_QUOTE_SLACK + (seed >> 16) % 30;
			size_t k = mbox_unquote_run(&u, want.s + pos,
			    want.len - pos, &used, o, cap);

			buf_add(&back, o, k);
			pos += used;
		}
		buf_add(&back, o, mbox_unquote_finish(&u, o, MBOX_QUOTE_SLACK));
		ref_quote2(in.s, in.len, 0, &got);
		CHECK_MEM(back.s, back.len, got.s, got.len);
	}
	buf_release(&in);
	buf_release(&want);
	buf_release(&got);
	buf_release(&back);
}

/* A long line streams through with a few bytes of state. */
static void
test_quote_long_line(void)
{
	size_t n = 3 * 1024 * 1024;
	char *in = xmalloc(n), *o = xmalloc(n + 64);
	struct mbox_quote q;
	size_t used, k;

	memset(in, '>', n);
	memcpy(in + n - 6, "From \n", 6);
	mbox_quote_init(&q, 1);
	k = mbox_quote_run(&q, in, n, &used, o, n + 64);
	CHECK_INT(used, n);
	CHECK_INT(k, n + 1);
	CHECK(memcmp(o + n - 6, ">From \n", 7) == 0);
	free(in);
	free(o);
}

/* Header fields. */

static void
test_header(void)
{
	const char *h = "Subject: a\n b\r\nStatus: RO\nX-Keywords: x\n\ty\n"
	    "bad line\nX-Empty:\n\nBody: no\n";
	size_t len = strlen(h), off = 0;
	struct mbox_field f;

	CHECK_INT(mbox_header_next(h, len, &off, &f, 0), 1);
	CHECK(mbox_field_is(h, &f, "subject"));
	CHECK_INT(f.start, 0);
	CHECK_INT(f.end, 15);
	CHECK_INT(mbox_header_next(h, len, &off, &f, 0), 1);
	CHECK(mbox_field_is(h, &f, "Status"));
	CHECK_MEM(h + f.value, f.end - f.value, " RO\n", 4);
	CHECK_INT(mbox_header_next(h, len, &off, &f, 0), 1);
	CHECK(mbox_field_is(h, &f, "X-Keywords"));
	CHECK_MEM(h + f.start, f.end - f.start, "X-Keywords: x\n\ty\n", 17);
	CHECK_INT(mbox_header_next(h, len, &off, &f, 0), 1);
	CHECK_INT(f.name_len, 0);
	CHECK_INT(mbox_header_next(h, len, &off, &f, 0), 1);
	CHECK(mbox_field_is(h, &f, "X-Empty"));
	CHECK_INT(mbox_header_next(h, len, &off, &f, 0), 0);
	CHECK_STR(h + off, "Body: no\n");

	/* A field at the end may continue: unknown unless complete. */
	const char *t = "A: 1\nB: 2\n";

	off = 0;
	CHECK_INT(mbox_header_next(t, 10, &off, &f, 0), 1);
	CHECK_INT(mbox_header_next(t, 10, &off, &f, 0), -1);
	CHECK_INT(mbox_header_next(t, 10, &off, &f, 1), 1);
	CHECK_INT(f.end, 10);
	CHECK_INT(mbox_header_next(t, 10, &off, &f, 1), 0);
	off = 0;
	CHECK_INT(mbox_header_next("A: 1\r\n\r\nx", 9, &off, &f, 0), 1);
	CHECK_INT(mbox_header_next("A: 1\r\n\r\nx", 9, &off, &f, 0), 0);
	CHECK_INT(off, 8);
}

/* The reader, through the source interface. */

static char *
write_tmp(const char *name, const char *data, size_t len)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
	return p;
}

/*
 * Read every message of spec and describe it: "folder|key|flags|keywords|
 * date|envelope|<bytes>\n" per message; reads with `chunk`-byte calls.
 */
static int
read_desc(const char *spec, const struct opts *o, size_t chunk,
    struct buf *d)
{
	struct source src;
	struct msg m;
	char *b = xmalloc(chunk);
	int st;

	buf_reset(d);
	st = source_open(&src, spec, o);
	if (st != MS_OK) {
		buf_addf(d, "open: %s", src.err.msg);
		source_close(&src);
		free(b);
		return st;
	}
	while ((st = source_next(&src, &m)) != MS_EOF) {
		if (st != MS_OK) {
			buf_addf(d, "next %s: %s\n", ms_name(st), src.err.msg);
			if (st == MS_FATAL)
				break;
			continue;
		}
		struct buf fl = BUF_INIT;

		msg_flags_names(m.flags, &fl);
		buf_addf(d, "%s|%s|%s|%s|%lld|%s|", m.folder, m.key, fl.s,
		    m.keywords ? m.keywords : "", (long long)m.date,
		    m.envelope ? m.envelope : "");
		buf_release(&fl);

		size_t start = d->len, got;

		for (;;) {
			st = source_read(&src, b, chunk, &got);
			if (st != MS_OK) {
				buf_addf(d, "read error: %s", src.err.msg);
				break;
			}
			if (got == 0)
				break;
			buf_add(d, b, got);
		}
		if (m.size >= 0)
			CHECK_INT(m.size, d->len - start);
		buf_adds(d, "\n");
	}
	source_close(&src);
	free(b);
	return MS_OK;
}

/* Check spec reads as expect with every chunk size in the list. */
static void
check_read(const char *spec, const struct opts *o, const char *expect)
{
	static const size_t chunks[] = { 1, 3, 16, 17, 4096, 65536 };
	struct buf d = BUF_INIT;

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		read_desc(spec, o, chunks[i], &d);
		if (strcmp(d.s, expect) != 0)
			printf("# %s, chunk %zu:\n# got:\n%s\n"
			    "# expected:\n%s\n", spec, chunks[i], d.s,
			    expect);
		CHECK_STR(d.s, expect);
	}
	buf_release(&d);
}

#define F1 "From a@b Mon Jan  1 00:00:00 2001\n"
#define F2 "From c@d Tue Jan  2 00:00:00 2001\n"

static void
test_reader(void)
{
	struct opts o;
	char *p, *spec;

	opts_init(&o);

	/* Separators, blank lines, mboxrd unquoting, flags. */
	static const char mb[] =
	    F1 "Status: RO\nX-Status: AF\nX-Keywords: $Junk work, home\n"
	    "Subject: s\n\nbody\n>From x\n>>From y\nFrom z\n\n"
	    "From time to time\n\n\n"
	    F2 "Subject: t\n\nlast";
	p = write_tmp("a.mbox", mb, sizeof(mb) - 1);
	spec = xasprintf("mbox:%s", p);
	check_read(spec, &o,
	    "a|0|seen,answered,flagged,junk|work home|978307200|a@b|"
	    "Status: RO\nX-Status: AF\nX-Keywords: $Junk work, home\n"
	    "Subject: s\n\nbody\nFrom x\n>From y\nFrom z\n\n"
	    "From time to time\n\n\n"
	    "a|149|||978393600|c@d|Subject: t\n\nlast\n");
	/* Probing finds it too. */
	check_read(p, &o,
	    "a|0|seen,answered,flagged,junk|work home|978307200|a@b|"
	    "Status: RO\nX-Status: AF\nX-Keywords: $Junk work, home\n"
	    "Subject: s\n\nbody\nFrom x\n>From y\nFrom z\n\n"
	    "From time to time\n\n\n"
	    "a|149|||978393600|c@d|Subject: t\n\nlast\n");
	CHECK_INT(mbox_source.probe(p), 90);

	/* mboxo: no unquoting; lenient: "From time" splits. */
	o.mbox_flavour = MBOX_O;
	check_read(spec, &o,
	    "a|0|seen,answered,flagged,junk|work home|978307200|a@b|"
	    "Status: RO\nX-Status: AF\nX-Keywords: $Junk work, home\n"
	    "Subject: s\n\nbody\n>From x\n>>From y\nFrom z\n\n"
	    "From time to time\n\n\n"
	    "a|149|||978393600|c@d|Subject: t\n\nlast\n");
	o.mbox_flavour = MBOX_AUTO;
	o.mbox_lenient = 1;
	check_read(spec, &o,
	    "a|0|seen,answered,flagged,junk|work home|978307200|a@b|"
	    "Status: RO\nX-Status: AF\nX-Keywords: $Junk work, home\n"
	    "Subject: s\n\nbody\nFrom x\n>From y\nFrom z\n\n"
	    "a|129|||0|time to time|\n\n"
	    "a|149|||978393600|c@d|Subject: t\n\nlast\n");
	o.mbox_lenient = 0;
	free(spec);
	free(p);

	/* CRLF file: the CRLF blank line is the separator's. */
	static const char crlf[] =
	    "From a@b Mon Jan  1 00:00:00 2001\r\nA: 1\r\n\r\n>From x\r\n"
	    "\r\n"
	    "From c@d Tue Jan  2 00:00:00 2001\r\nB: 2\r\n\r\nend\r\n\r\n";
	p = write_tmp("crlf", crlf, sizeof(crlf) - 1);
	check_read(p, &o,
	    "crlf|0|||978307200|a@b|A: 1\r\n\r\nFrom x\r\n\n"
	    "crlf|54|||978393600|c@d|B: 2\r\n\r\nend\r\n\n");
	free(p);

	/* Empty file: no messages, no error. */
	p = write_tmp("empty.mbox", "", 0);
	spec = xasprintf("mbox:%s", p);
	check_read(spec, &o, "");
	CHECK_INT(mbox_source.probe(p), 20);
	free(spec);
	free(p);

	/* One message, no final newline; and one empty message. */
	p = write_tmp("one", F1 "X: y", sizeof(F1 "X: y") - 1);
	check_read(p, &o, "one|0|||978307200|a@b|X: y\n");
	free(p);
	p = write_tmp("two", F1 "\n" F2 "\n", sizeof(F1 "\n" F2 "\n") - 1);
	check_read(p, &o, "two|0|||978307200|a@b|\n"
	    "two|35|||978393600|c@d|\n");
	free(p);

	/* Content-Length: honoured when it lands on a separator. */
	static const char cl[] =
	    F1 "Content-Length: 14\n\n>From x\n\nFrom\n\n"
	    F2 "Content-Length: 3\n\nabc\n";
	p = write_tmp("cl", cl, sizeof(cl) - 1);
	check_read(p, &o,
	    "cl|0|||978307200|a@b|Content-Length: 14\n\n>From x\n\nFrom\n\n"
	    "cl|69|||978393600|c@d|Content-Length: 3\n\nabc\n");
	o.mbox_flavour = MBOX_RD;
	check_read(p, &o,
	    "cl|0|||978307200|a@b|Content-Length: 14\n\nFrom x\n\nFrom\n\n"
	    "cl|69|||978393600|c@d|Content-Length: 3\n\nabc\n\n");
	o.mbox_flavour = MBOX_AUTO;
	free(p);
	/* A lying Content-Length is ignored. */
	static const char cl2[] =
	    F1 "Content-Length: 5\n\n>From x\n\n"
	    F2 "Content-Length: 999\n\nabc\n";
	p = write_tmp("cl2", cl2, sizeof(cl2) - 1);
	o.mbox_flavour = MBOX_CL2;
	check_read(p, &o,
	    "cl2|0|||978307200|a@b|Content-Length: 5\n\n>From x\n\n"
	    "cl2|62|||978393600|c@d|Content-Length: 999\n\nabc\n\n");
	o.mbox_flavour = MBOX_AUTO;
	check_read(p, &o,
	    "cl2|0|||978307200|a@b|Content-Length: 5\n\nFrom x\n\n"
	    "cl2|62|||978393600|c@d|Content-Length: 999\n\nabc\n\n");
	free(p);
	/*
	 * Content-Length whose bytes hide a separator (mboxcl2), counting
	 * the separator's empty line too.
	 */
	static const char cl3[] =
	    F1 "Content-Length: 41\n\nx\n\n"
	    "From e@f Mon Jan  1 00:00:00 2001\nyy\n\n"
	    F2 "\n";
	p = write_tmp("cl3", cl3, sizeof(cl3) - 1);
	check_read(p, &o,
	    "cl3|0|||978307200|a@b|Content-Length: 41\n\nx\n\n"
	    "From e@f Mon Jan  1 00:00:00 2001\nyy\n\n"
	    "cl3|95|||978393600|c@d|\n");
	free(p);

	/* Not an mbox file: a clear error, for text and for binary. */
	p = write_tmp("text", "hello\nFrom a@b Mon Jan  1 00:00:00 2001\n",
	    40);
	spec = xasprintf("mbox:%s", p);
	struct buf d = BUF_INIT;

	CHECK_INT(read_desc(spec, &o, 100, &d), MS_FATAL);
	CHECK(strstr(d.s, "not an mbox file") != NULL);
	CHECK_INT(mbox_source.probe(p), 0);
	free(spec);
	free(p);
	char bin[4096];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 7 + (i >> 3));
	p = write_tmp("bin", bin, sizeof(bin));
	spec = xasprintf("mbox:%s", p);
	CHECK_INT(read_desc(spec, &o, 100, &d), MS_FATAL);
	CHECK(strstr(d.s, "not an mbox file") != NULL);
	CHECK_INT(mbox_source.probe(p), 0);
	free(spec);
	free(p);
	buf_release(&d);
}

/* A message bigger than every buffer, with a long line and splits. */
static void
test_reader_big(void)
{
	struct opts o;
	size_t body = 3 * 1024 * 1024 + 7;
	struct buf in = BUF_INIT, d = BUF_INIT, exp = BUF_INIT;

	opts_init(&o);
	buf_adds(&in, F1 "Subject: big\n\n");
	size_t at = in.len;

	buf_grow(&in, body + 200);
	for (size_t i = 0; i < body; i++)
		in.s[at + i] = i % 1000 == 999 ? '\n' : 'x';
	/* One line of 1.5 MiB, then quoted lines across the buffer edges. */
	memset(in.s + at + 100000, 'y', 1500000);
	in.len = at + body;
	in.s[in.len] = '\0';
	for (size_t k = 0; k < 40; k++) {
		size_t pos = at + 520000 + k * 13;

		while (in.s[pos - 1] != '\n')
			pos++;
		memcpy(in.s + pos, ">From ", 6);
	}
	buf_adds(&in, "\n\n" F2 "\n");
	char *p = write_tmp("big", in.s, in.len);

	/* Expected: the body unquoted. */
	buf_adds(&exp, "big|0|||978307200|a@b|");
	buf_add(&exp, in.s + strlen(F1), in.len - strlen(F1) -
	    strlen("\n" F2 "\n"));
	for (char *q = exp.s; (q = strstr(q, "\n>From ")) != NULL; q++)
		memmove(q + 1, q + 2, strlen(q + 2) + 1);
	exp.len = strlen(exp.s);
	buf_addf(&exp, "\nbig|%zu|||978393600|c@d|\n",
	    in.len - strlen(F2 "\n"));

	static const size_t chunks[] = { 5, 65536, 1 << 20 };

	for (size_t i = 0; i < 3; i++) {
		read_desc(p, &o, chunks[i], &d);
		CHECK_MEM(d.s, d.len, exp.s, exp.len);
	}
	free(p);
	buf_release(&in);
	buf_release(&d);
	buf_release(&exp);
}

/*
 * Random mboxrd files: messages made of tricky pieces behind a filler
 * message of varying size, so separators, blank lines and quoted lines fall
 * on every part of the read buffer; read back with random chunk sizes, each
 * message must come back exactly.
 */
static void
test_reader_random(void)
{
	static const char *const bits[] = {
		"From ", ">", ">>", "\n", "\r\n", "x", "F", "Fro", "\n\n",
		"From x Mon Jan  1 00:00:00 2001\n", ">From ", "\nFrom a\n",
		"abc def ghi jkl mno pqr\n",
	};
	struct opts o;
	struct buf file = BUF_INIT, q = BUF_INIT, got = BUF_INIT;
	struct buf *msgs = NULL;
	unsigned seed = 777;

	opts_init(&o);
	for (int round = 0; round < 12; round++) {
		size_t nmsg = 300;

		msgs = xcalloc(nmsg, sizeof(*msgs));
		buf_reset(&file);
		for (size_t k = 0; k < nmsg; k++) {
			buf_init(&msgs[k]);
			if (k == 0) {
				/* Filler: moves everything else around. */
				seed = seed * 1103515245 + 12345;
				size_t fill = 400000 + (seed >> 8) % 150000;

				buf_grow(&msgs[0], fill + 2);
				for (size_t j = 0; j < fill; j++)
					msgs[0].s[j] =
					    j % 61 == 60 ? '\n' : 'y';
				msgs[0].len = fill;
				buf_adds(&msgs[0], "\n");
			} else {
				seed = seed * 1103515245 + 12345;
				int n = (int)((seed >> 16) % 30);

				for (int j = 0; j < n; j++) {
					seed = seed * 1103515245 + 12345;
					buf_adds(&msgs[k], bits[(seed >> 16) %
					    (sizeof(bits) / sizeof(bits[0]))]);
				}
				if (msgs[k].len > 0 &&
				    msgs[k].s[msgs[k].len - 1] != '\n')
					buf_addc(&msgs[k], '\n');
			}
			/* mboxrd quoting without touching line ends. */
			buf_adds(&file, F1);
			for (size_t i = 0; i < msgs[k].len;) {
				const char *nl = memchr(msgs[k].s + i, '\n',
				    msgs[k].len - i);
				size_t e = (size_t)(nl - msgs[k].s) + 1, g = i;

				while (g < e && msgs[k].s[g] == '>')
					g++;
				if (e - g >= 5 &&
				    memcmp(msgs[k].s + g, "From ", 5) == 0)
					buf_addc(&file, '>');
				buf_add(&file, msgs[k].s + i, e - i);
				i = e;
			}
			/* The last message may lack its blank line. */
			if (k + 1 < nmsg || round % 2 == 0)
				buf_addc(&file, '\n');
		}
		char *p = write_tmp("random.mbox", file.s, file.len);
		struct source src;
		struct msg m;
		char b[70000];
		size_t k = 0;
		int st;

		CHECK_INT(source_open(&src, p, &o), MS_OK);
		while ((st = source_next(&src, &m)) == MS_OK) {
			size_t got_n;

			buf_reset(&got);
			for (;;) {
				seed = seed * 1103515245 + 12345;
				size_t want = 1 + (seed >> 16) % (round < 6 ?
				    40 : sizeof(b) - 1);

				if (source_read(&src, b, want, &got_n) !=
				    MS_OK || got_n == 0)
					break;
				buf_add(&got, b, got_n);
			}
			if (k < nmsg && (got.len != msgs[k].len ||
			    memcmp(got.s, msgs[k].s, got.len) != 0)) {
				printf("# round %d message %zu differs\n",
				    round, k);
				CHECK(0);
			}
			k++;
		}
		CHECK_INT(st, MS_EOF);
		CHECK_INT(k, nmsg);
		source_close(&src);
		free(p);
		for (size_t j = 0; j < nmsg; j++)
			buf_release(&msgs[j]);
		free(msgs);
	}
	buf_release(&file);
	buf_release(&q);
	buf_release(&got);
}

/* Directory sources: a bundle with a child, a Thunderbird tree. */
static void
test_reader_dirs(void)
{
	struct opts o;
	char *p;

	opts_init(&o);
	p = xasprintf("%s/exp", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/exp/Test.mbox", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/exp/Test", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/exp/Test/Level 1.mbox", tmpdir);
	mkdir(p, 0700);
	free(p);
	free(write_tmp("exp/Test.mbox/mbox", F1 "A: 1\n\n", 40));
	free(write_tmp("exp/Test.mbox/table_of_contents", "\0\0\0\1", 4));
	free(write_tmp("exp/Test.mbox/Info.plist", "<plist/>", 8));
	free(write_tmp("exp/Test/Level 1.mbox/mbox", F2 "B: 2\n", 39));

	p = xasprintf("%s/exp/Test.mbox", tmpdir);
	CHECK_INT(mbox_source.probe(p), 95);
	check_read(p, &o, "Test|0|||978307200|a@b|A: 1\n\n"
	    "Test/Level 1|Test/Level 1.mbox/mbox:0|||978393600|c@d|B: 2\n\n");
	free(p);
	p = xasprintf("%s/exp", tmpdir);
	CHECK_INT(mbox_source.probe(p), 60);
	check_read(p, &o,
	    "Test|Test.mbox/mbox:0|||978307200|a@b|A: 1\n\n"
	    "Test/Level 1|Test/Level 1.mbox/mbox:0|||978393600|c@d|B: 2\n\n");
	free(p);

	/* Thunderbird: Inbox, Inbox.msf, Inbox.sbd/Sub, junk files. */
	p = xasprintf("%s/tb", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/tb/Inbox.sbd", tmpdir);
	mkdir(p, 0700);
	free(p);
	free(write_tmp("tb/Inbox", F1 "A: 1\n", 39));
	free(write_tmp("tb/Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->",
	    33));
	free(write_tmp("tb/Inbox.sbd/Sub", F2 "B: 2\n", 39));
	free(write_tmp("tb/Inbox.sbd/notes", "not mail\n", 9));
	free(write_tmp("tb/Drafts", "", 0));
	free(write_tmp("tb/Archive.mbox", F2 "C: 3\n", 39));
	p = xasprintf("%s/tb", tmpdir);
	CHECK_INT(mbox_source.probe(p), 60);
	check_read(p, &o,
	    "Archive|Archive.mbox:0|||978393600|c@d|C: 3\n\n"
	    "Inbox|Inbox:0|||978307200|a@b|A: 1\n\n"
	    "Inbox/Sub|Inbox.sbd/Sub:0|||978393600|c@d|B: 2\n\n");
	free(p);

	/* A Maildir is not ours. */
	p = xasprintf("%s/md", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/md/cur", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/md/new", tmpdir);
	mkdir(p, 0700);
	free(p);
	p = xasprintf("%s/md", tmpdir);
	CHECK_INT(mbox_source.probe(p), 0);
	free(p);
}

/* The writer, through the sink interface, read back by the reader. */

static int
put(struct sink *snk, const char *folder, unsigned flags,
    const char *keywords, int64_t date, const char *bytes, size_t split,
    int abort_it)
{
	struct rfc_head_store store;
	struct msg_head head;
	struct msg m;
	size_t len = strlen(bytes);
	unsigned char sha[32] = { 0 };
	int st;

	rfc_head_store_init(&store);
	rfc_head_parse(&head, bytes, len, &store);
	msg_init(&m);
	m.folder = folder;
	m.key = "k";
	m.flags = flags;
	m.keywords = keywords;
	m.date = date;
	m.head = &head;
	st = sink_begin(snk, &m);
	if (st == MS_OK && split > 0 && split < len)
		st = sink_write(snk, bytes, split);
	else
		split = 0;
	if (st == MS_OK)
		st = sink_write(snk, bytes + split, len - split);
	if (abort_it)
		sink_abort(snk);
	else if (st == MS_OK)
		st = sink_end(snk, sha);
	rfc_head_store_release(&store);
	return st;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char tmp[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return buf_detach(&b);
}

static void
test_writer(void)
{
	struct opts o;
	struct sink snk;
	struct stat st;
	char *dest = xasprintf("%s/out/deep", tmpdir);
	size_t len;

	opts_init(&o);
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(put(&snk, "INBOX", MSG_SEEN | MSG_FLAGGED | MSG_FORWARDED,
	    "work $Forwarded", 978307200,
	    "Return-Path: <r@x>\r\nFrom: F <f@x>\r\nStatus: O\r\n"
	    "X-Keywords: old\r\n  older\r\nSubject: s\r\n\r\n"
	    "From here\r\n>From there\r\nStatus: body stays\r\nend", 30, 0),
	    MS_OK);
	CHECK_STR(snk.ref.file.s, "INBOX.mbox");
	CHECK_INT(snk.ref.offset, 0);
	int64_t first_len = snk.ref.length;

	CHECK_INT(put(&snk, "Archive/2024", 0, NULL, 0,
	    "From: f@x\nSubject: t\n\nhi\n", 0, 0), MS_OK);
	CHECK_STR(snk.ref.file.s, "Archive/2024.mbox");
	/* An aborted message leaves nothing. */
	CHECK_INT(put(&snk, "INBOX", 0, NULL, 0, "X: aborted\n\nbye\n", 0, 1),
	    MS_OK);
	CHECK_INT(sink_checkpoint(&snk), MS_OK);
	CHECK_INT(put(&snk, "INBOX", MSG_ANSWERED | MSG_JUNK, NULL,
	    1000684800, "Subject: u\n\nx\n", 0, 0), MS_OK);
	CHECK_INT(snk.ref.offset, first_len);
	CHECK_INT(sink_close(&snk), MS_OK);

	char *f1 = xasprintf("%s/INBOX.mbox", dest);
	char *got = slurp(f1, &len);
	const char *expect =
	    "From r@x Mon Jan  1 00:00:00 2001\n"
	    "Status: RO\nX-Status: F\nX-Keywords: $Forwarded work\n"
	    "Return-Path: <r@x>\nFrom: F <f@x>\nSubject: s\n\n"
	    ">From here\n>>From there\nStatus: body stays\nend\n\n"
	    "From MAILER-DAEMON Mon Sep 17 00:00:00 2001\n"
	    "Status: O\nX-Status: A\nX-Keywords: $Junk\n"
	    "Subject: u\n\nx\n\n";

	CHECK_STR(got, expect);
	CHECK(stat(f1, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(got);
	free(f1);
	f1 = xasprintf("%s/Archive", dest);
	CHECK(stat(f1, &st) == 0 && (st.st_mode & 0777) == 0700);
	free(f1);

	/* Read back: flags, keywords and bytes as documented. */
	struct buf d = BUF_INIT;

	read_desc(dest, &o, 7, &d);
	CHECK_STR(d.s,
	    "Archive/2024|Archive/2024.mbox:0|||0|f@x|Status: O\n"
	    "From: f@x\nSubject: t\n\nhi\n\n"
	    "INBOX|INBOX.mbox:0|seen,flagged,forwarded|work|978307200|r@x|"
	    "Status: RO\nX-Status: F\nX-Keywords: $Forwarded work\n"
	    "Return-Path: <r@x>\nFrom: F <f@x>\nSubject: s\n\n"
	    "From here\n>From there\nStatus: body stays\nend\n\n"
	    "INBOX|INBOX.mbox:" "178" "|answered,junk||1000684800|"
	    "MAILER-DAEMON|Status: O\nX-Status: A\nX-Keywords: $Junk\n"
	    "Subject: u\n\nx\n\n");
	CHECK_INT(first_len, 178);

	/* Appending again continues the files. */
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(put(&snk, "Archive/2024", 0, NULL, 0, "A: b\n", 0, 0),
	    MS_OK);
	CHECK_INT(snk.ref.offset, 70);
	CHECK_INT(sink_close(&snk), MS_OK);
	buf_release(&d);
	free(dest);
}

/* Writing a message then reading it gives it back, for many shapes. */
static void
test_round_trip(void)
{
	static const char *const msgs[] = {
		"A: 1\n\nFrom x\n>From y\n>>From z\n\nFrom a@b Mon Jan  1 "
		    "00:00:00 2001\nmore\n",
		"A: 1\n\n\n\n",
		"A: 1\n\nnone",
		"A: 1\n\n>",
		"A: 1\n\n>>From",
		"\n\nbody only\n",
		"From here: header-ish\nA: 2\n\nx\n",
	};
	struct opts o;
	struct sink snk;
	struct buf d = BUF_INIT, exp = BUF_INIT;
	char *dest = xasprintf("%s/rt", tmpdir);

	opts_init(&o);
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		CHECK_INT(put(&snk, "f", 0, NULL, 0, msgs[i], 3, 0), MS_OK);
	CHECK_INT(sink_close(&snk), MS_OK);
	read_desc(dest, &o, 64, &d);

	/* Each comes back with Status first and a final newline. */
	char *p = d.s;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		char *bar = strstr(p, "|MAILER-DAEMON|");

		CHECK(bar != NULL);
		if (bar == NULL)
			break;
		p = bar + strlen("|MAILER-DAEMON|");
		buf_reset(&exp);
		buf_adds(&exp, "Status: O\n");
		buf_adds(&exp, msgs[i]);
		if (exp.s[exp.len - 1] != '\n')
			buf_addc(&exp, '\n');
		buf_addc(&exp, '\n');
		CHECK(strncmp(p, exp.s, exp.len) == 0);
		if (strncmp(p, exp.s, exp.len) != 0)
			printf("# message %zu: %.*s\n", i, (int)exp.len, p);
		p += exp.len;
	}
	buf_release(&d);
	buf_release(&exp);
	free(dest);
}

/* Write errors are fatal and name the file. */
static void
test_writer_errors(void)
{
	struct opts o;
	struct sink snk;
	char *dest = xasprintf("%s/err", tmpdir), *p;

	opts_init(&o);
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	/* A directory where the mbox file should be. */
	p = xasprintf("%s/X.mbox", dest);
	mkdir(p, 0700);
	CHECK_INT(put(&snk, "X", 0, NULL, 0, "A: 1\n", 0, 0), MS_FATAL);
	CHECK(strstr(snk.err.msg, "X.mbox") != NULL);
	sink_close(&snk);
	free(p);

	/* /dev/full: ENOSPC at the first flush. */
	if (access("/dev/full", W_OK) == 0) {
		p = xasprintf("%s/full", tmpdir);
		mkdir(p, 0700);
		char *link = xasprintf("%s/F.mbox", p);

		if (symlink("/dev/full", link) == 0) {
			CHECK_INT(sink_open(&snk, "mbox", p, &o), MS_OK);
			int st = put(&snk, "F", 0, NULL, 0, "A: 1\n", 0, 0);

			/* A character device is refused, or the write fails. */
			if (st == MS_OK)
				st = sink_checkpoint(&snk);
			CHECK_INT(st, MS_FATAL);
			CHECK(strstr(snk.err.msg, "F.mbox") != NULL);
			sink_close(&snk);
		}
		free(link);
		free(p);
	}
	/*
	 * A file size limit makes write(2) fail with EFBIG in the middle of
	 * a big message (like a full disk): fatal, the file named, and after
	 * abort the file ends with the last whole message.
	 */
	struct rlimit old, lim;

	if (getrlimit(RLIMIT_FSIZE, &old) == 0) {
		char *big = xmalloc(600001), *mb;
		size_t len;

		memset(big, 'z', 600000);
		memcpy(big, "X: big\n\n", 8);
		big[600000] = '\0';
		p = xasprintf("%s/fsize", tmpdir);
		CHECK_INT(sink_open(&snk, "mbox", p, &o), MS_OK);
		CHECK_INT(put(&snk, "G", 0, NULL, 0, "A: small\n\nx\n", 0, 0),
		    MS_OK);
		CHECK_INT(sink_checkpoint(&snk), MS_OK);
		signal(SIGXFSZ, SIG_IGN);
		lim = old;
		lim.rlim_cur = 100000;
		setrlimit(RLIMIT_FSIZE, &lim);
		CHECK_INT(put(&snk, "G", 0, NULL, 0, big, 0, 0), MS_FATAL);
		CHECK(strstr(snk.err.msg, "G.mbox") != NULL);
		sink_abort(&snk);
		CHECK_INT(sink_close(&snk), MS_FATAL);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
		char *f = xasprintf("%s/G.mbox", p);

		mb = slurp(f, &len);
		CHECK_STR(mb, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
		    "Status: O\nA: small\n\nx\n\n");
		free(mb);
		free(f);
		free(p);
		free(big);
	}
	free(dest);
}

/* The encoder gives the same bytes however the message is cut up. */
static void
test_encoder(void)
{
	static const char raw[] =
	    "Return-Path: <r@x>\r\nStatus: RO\r\nSubject: s\r\n"
	    "X-Keywords: a\r\n b\r\nX-Status: F\r\n\r\n"
	    "From x\r\nStatus: body\r\n>From y";
	static const char want[] =
	    "From r@x Mon Jan  1 00:00:00 2001\nStatus: RO\nX-Status: A\n"
	    "X-Keywords: k\n"
	    "Return-Path: <r@x>\nSubject: s\n\n"
	    ">From x\nStatus: body\n>>From y\n\n";
	size_t len = sizeof(raw) - 1;
	struct rfc_head_store store;
	struct msg_head head;
	struct mbox_encoder e;
	struct buf out = BUF_INIT;
	struct msg m;
	char o[32];

	rfc_head_store_init(&store);
	rfc_head_parse(&head, raw, len, &store);
	msg_init(&m);
	m.head = &head;
	m.flags = MSG_SEEN | MSG_ANSWERED;
	m.keywords = "k";
	m.date = 978307200;
	mbox_encoder_init(&e);
	for (size_t split = 0; split <= len; split++) {
		for (size_t cap = MBOX_QUOTE_SLACK; cap <= 24; cap += 16) {
			size_t pos = 0, used;

			buf_reset(&out);
			mbox_encoder_begin(&e, &m, &out);
			while (pos < len) {
				size_t end = pos < split ? split : len;
				size_t k = mbox_encoder_run(&e, raw + pos,
				    end - pos, &used, o, cap);

				buf_add(&out, o, k);
				pos += used;
			}
			buf_add(&out, o, mbox_encoder_finish(&e, o, 8));
			CHECK_STR(out.s, want);
		}
	}
	mbox_encoder_release(&e);
	rfc_head_store_release(&store);
	buf_release(&out);
}

/* SHA-256 of file[off, off+len). */
static void
file_sha(const char *path, int64_t off, int64_t len, unsigned char out[32])
{
	size_t n;
	char *all = slurp(path, &n);
	struct hash h;

	hash_init(&h);
	hash_begin(&h);
	if (all != NULL && off + len <= (int64_t)n)
		hash_update(&h, all + off, (size_t)len);
	hash_final(&h, out);
	hash_release(&h);
	free(all);
}

static void
append_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "ab");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* stored_sha256, state() and resume(). */
static void
test_writer_state(void)
{
	struct opts o;
	struct sink snk;
	struct buf state = BUF_INIT, want = BUF_INIT;
	char *dest = xasprintf("%s/st", tmpdir), *p, *got;
	unsigned char sha[32];
	size_t len;

	opts_init(&o);
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(put(&snk, "INBOX", MSG_SEEN, NULL, 0,
	    "Subject: a\r\n\r\nFrom x\r\n", 0, 0), MS_OK);
	CHECK_INT(snk.ref.has_stored_sha, 1);
	p = xasprintf("%s/INBOX.mbox", dest);
	/* The stored hash is of the bytes in the file (flushed at close). */
	unsigned char stored[32];
	int64_t off = snk.ref.offset, l = snk.ref.length;

	memcpy(stored, snk.ref.stored_sha256, 32);
	CHECK_INT(put(&snk, "A/B", 0, NULL, 0, "Subject: b\n\nb\n", 0, 0),
	    MS_OK);
	CHECK_INT(put(&snk, "INBOX", 0, NULL, 0, "Subject: c\n\nc\n", 0, 0),
	    MS_OK);
	CHECK_INT(sink_checkpoint(&snk), MS_OK);
	file_sha(p, off, l, sha);
	CHECK_MEM(sha, 32, stored, 32);
	file_sha(p, snk.ref.offset, snk.ref.length, sha);
	CHECK_MEM(sha, 32, snk.ref.stored_sha256, 32);
	CHECK_INT(sink_state(&snk, &state), MS_OK);
	buf_addf(&want, "mailsave-mbox 1\n%lld\tA/B.mbox\n%lld\tINBOX.mbox\n",
	    (long long)(44 + 10 + 15), (long long)(snk.ref.offset +
	    snk.ref.length));
	CHECK_STR(state.s, want.s);
	int64_t inbox_len = snk.ref.offset + snk.ref.length;

	CHECK_INT(sink_close(&snk), MS_OK);

	/* A crash after that checkpoint: more bytes, a new folder. */
	char *c = xasprintf("%s/C.mbox", dest);

	append_file(p, "From x Mon Jan  1 00:00:00 2001\nhalf a mess");
	append_file(c, "From x Mon Jan  1 00:00:00 2001\nnew\n\n");
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(sink_resume(&snk, state.s), MS_OK);
	got = slurp(p, &len);
	CHECK_INT(len, inbox_len);
	CHECK(len >= 4 && memcmp(got + len - 4, "\nc\n\n", 4) == 0);
	free(got);
	got = slurp(c, &len);
	CHECK_INT(len, 0);
	free(got);
	/* The state goes on naming every file. */
	CHECK_INT(put(&snk, "D", 0, NULL, 0, "Subject: d\n\nd\n", 0, 0),
	    MS_OK);
	CHECK_INT(sink_checkpoint(&snk), MS_OK);
	CHECK_INT(sink_state(&snk, &state), MS_OK);
	CHECK(strstr(state.s, "\tA/B.mbox\n") != NULL);
	CHECK(strstr(state.s, "\tINBOX.mbox\n") != NULL);
	CHECK(strstr(state.s, "\tD.mbox\n") != NULL);
	CHECK_INT(sink_close(&snk), MS_OK);

	/* A file shorter than the state says: refuse. */
	CHECK(truncate(p, 10) == 0);
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(sink_resume(&snk, state.s), MS_FATAL);
	CHECK(strstr(snk.err.msg, "INBOX.mbox") != NULL);
	sink_close(&snk);

	/* An empty state: nothing was durable, every mbox is emptied. */
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(sink_resume(&snk, ""), MS_OK);
	CHECK_INT(sink_close(&snk), MS_OK);
	got = slurp(p, &len);
	CHECK_INT(len, 0);
	free(got);
	free(c);
	c = xasprintf("%s/A/B.mbox", dest);
	got = slurp(c, &len);
	CHECK_INT(len, 0);
	free(got);
	free(c);

	/* Garbage state. */
	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	CHECK_INT(sink_resume(&snk, "mailsave-mbox 1\nxx\n"), MS_FATAL);
	sink_close(&snk);

	free(p);
	free(dest);
	buf_release(&state);
	buf_release(&want);
}

/* Thunderbird's X-Mozilla-Status carries flags too. */
static void
test_reader_mozilla(void)
{
	struct opts o;
	static const char tb[] =
	    "From - Sat Jan 03 01:05:34 2015\nX-Mozilla-Status: 1007\n"
	    "X-Mozilla-Status2: 00000000\nSubject: a\n\nx\n\n"
	    "From - Sat Jan 03 01:05:34 2015\nX-Mozilla-Status: 0008\n\n";
	char *p = write_tmp("moz", tb, sizeof(tb) - 1);

	opts_init(&o);
	check_read(p, &o,
	    "moz|0|seen,answered,flagged,forwarded||1420247134|-|"
	    "X-Mozilla-Status: 1007\nX-Mozilla-Status2: 00000000\n"
	    "Subject: a\n\nx\n\n"
	    "moz|98|deleted||1420247134|-|X-Mozilla-Status: 0008\n\n");
	free(p);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_mbox.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_from_forms();
	test_from_format();
	test_quote();
	test_quote_crlf();
	test_quote_long_line();
	test_quote_random();
	test_header();
	test_reader();
	test_reader_big();
	test_reader_random();
	test_reader_dirs();
	test_reader_mozilla();
	test_writer();
	test_round_trip();
	test_writer_errors();
	test_writer_state();
	test_encoder();

	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
	return test_done();
}
