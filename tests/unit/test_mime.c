/*
 * Unit tests for formats/mime.c: Content-Type and parameter parsing with
 * RFC 2231 continuations and charsets and RFC 2047 words, and the
 * streaming quoted-printable encoder (checked against a small decoder and
 * the RFC 2045 line rules, fed in chunks of every size).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "test.h"

static void
test_types(void)
{
	struct buf b = BUF_INIT;

	mime_content_type("TEXT/PLAIN;\tcharset=us-ascii", &b);
	CHECK_STR(b.s, "text/plain");
	buf_reset(&b);
	mime_content_type("", &b);
	CHECK_STR(b.s, "text/plain");
	buf_reset(&b);
	mime_content_type("  multipart/Mixed; boundary=x", &b);
	CHECK_STR(b.s, "multipart/mixed");
	buf_reset(&b);
	mime_content_type("garbage", &b);
	CHECK_STR(b.s, "text/plain");
	buf_reset(&b);
	mime_token(" BASE64 ", &b);
	CHECK_STR(b.s, "base64");
	buf_release(&b);
}

static void
param_is(const char *value, const char *name, const char *want)
{
	struct buf b = BUF_INIT;
	int r = mime_param(value, name, &b);

	if (want == NULL) {
		CHECK_INT(r, 0);
	} else {
		CHECK_INT(r, 1);
		CHECK_STR(b.s, want);
	}
	buf_release(&b);
}

static void
test_params(void)
{
	param_is("attachment;\tfilename=short.txt", "filename", "short.txt");
	param_is("text/plain; name=\"a \\\"q\\\" b.txt\"; x=1", "name",
	    "a \"q\" b.txt");
	param_is("ATTACHMENT;\tfilename*0=\"Really_\";\tfilename*1=long.xls",
	    "filename", "Really_long.xls");
	param_is("inline;\tfilename*=utf-8''Tu%CC%88bingen.pdf", "filename",
	    "Tu\xcc\x88" "bingen.pdf");
	param_is("attachment; filename*=utf-8''7.10%5F%E7%AC%AC2.pdf",
	    "filename", "7.10_\xe7\xac\xac" "2.pdf");
	param_is("attachment; filename*0*=iso-8859-1'de'Gr%FC; "
	    "filename*1*=%DFe.txt", "filename", "Gr\xc3\xbc\xc3\x9f" "e.txt");
	param_is("attachment; filename=\"=?utf-8?q?Gr=C3=BC=C3=9Fe.txt?=\"",
	    "filename", "Gr\xc3\xbc\xc3\x9f" "e.txt");
	/* The RFC 2231 form wins over the plain one. */
	param_is("attachment; filename=plain.txt; filename*=utf-8''ext.txt",
	    "filename", "ext.txt");
	param_is("attachment; size=3", "filename", NULL);
	param_is("attachment; xfilename=no.txt", "filename", NULL);
	param_is("multipart/mixed;\tboundary=\"Apple-Mail=_F073CB14\"",
	    "boundary", "Apple-Mail=_F073CB14");
	param_is("multipart/mixed; boundary=----=_Part_1;", "boundary",
	    "----=_Part_1");
	param_is("x; filename*1=b; filename*0=a", "filename", "ab");
}

/* Decode quoted-printable (test oracle), LF line ends. */
static void
qp_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '\n') {
			i++;
		} else if (s[i] == '=' && i + 2 < n) {
			char h[3] = { s[i + 1], s[i + 2], 0 };

			buf_addc(out, (char)strtol(h, NULL, 16));
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
}

/* Every output line: at most 76 chars, no blank before its end. */
static int
qp_lines_ok(const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			if (col > 76)
				return 0;
			if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
				return 0;
			col = 0;
			continue;
		}
		if ((unsigned char)s[i] > 126 || s[i] == '\r')
			return 0;
		col++;
	}
	return col <= 76 && !(n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'));
}

static void
qp_case(const char *in, size_t n, int text, size_t chunk)
{
	struct qp_enc q;
	struct buf out = BUF_INIT, back = BUF_INIT;

	qp_enc_init(&q, text, "\n");
	for (size_t i = 0; i < n; i += chunk)
		qp_enc_update(&q, (const unsigned char *)in + i,
		    n - i < chunk ? n - i : chunk, &out);
	qp_enc_final(&q, &out);
	CHECK(qp_lines_ok(out.s, out.len));
	qp_decode(out.s, out.len, &back);
	CHECK_MEM(back.s, back.len, in, n);
	buf_release(&out);
	buf_release(&back);
}

static void
test_qp(void)
{
	struct qp_enc q;
	struct buf out = BUF_INIT;
	char big[3000];
	static const char text[] =
	    "a \nb\t\t\nTrailing at the end  \n= sign, Gr\xc3\xbc\xc3\x9f" "e\n"
	    "From the start\n\n\nlast line without newline ";

	qp_enc_init(&q, 1, "\n");
	qp_enc_update(&q, (const unsigned char *)"a \nx=y\xfc \t", 9, &out);
	qp_enc_final(&q, &out);
	CHECK_STR(out.s, "a=20\nx=3Dy=FC =09");
	buf_reset(&out);
	/* CRLF in, CRLF out; a lone CR is encoded. */
	qp_enc_init(&q, 1, "\r\n");
	qp_enc_update(&q, (const unsigned char *)"a\r\nb\rc\n", 7, &out);
	qp_enc_final(&q, &out);
	CHECK_STR(out.s, "a\r\nb=0Dc\r\n");
	buf_reset(&out);
	/* Binary mode: line ends are data. */
	qp_enc_init(&q, 0, "\n");
	qp_enc_update(&q, (const unsigned char *)"a\r\n", 3, &out);
	qp_enc_final(&q, &out);
	CHECK_STR(out.s, "a=0D=0A");
	buf_release(&out);

	for (size_t c = 1; c <= 40; c++)
		qp_case(text, strlen(text), 1, c);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)((i * 7919) % 251);
	for (size_t c = 1; c < 200; c += 13)
		qp_case(big, sizeof(big), 0, c);
	memset(big, ' ', sizeof(big));
	qp_case(big, sizeof(big), 1, 64);
	memset(big, '=', sizeof(big));
	qp_case(big, sizeof(big), 1, 1000);
}

int
main(void)
{
	test_types();
	test_params();
	test_qp();
	return test_done();
}
