/*
 * MIME field helpers and the quoted-printable encoder (see mime.h).
 * Charset conversion and RFC 2047 decoding are libetpan's; this file only
 * splits parameters and joins RFC 2231 continuations.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "mime.h"
#include "xalloc.h"

#define MIME_SEGS_MAX	100
#define QP_LINE_MAX	76

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
mime_content_type(const char *value, struct buf *out)
{
	const char *p = value;
	size_t start = out->len;

	while (is_blank((unsigned char)*p))
		p++;
	while (*p != '\0' && *p != ';' && !is_blank((unsigned char)*p) &&
	    *p != '(')
		buf_addc(out, (char)tolower((unsigned char)*p++));
	if (out->len == start || memchr(out->s + start, '/',
	    out->len - start) == NULL) {
		buf_setlen(out, start);
		buf_adds(out, "text/plain");
	}
}

void
mime_token(const char *value, struct buf *out)
{
	const char *p = value;

	while (is_blank((unsigned char)*p) || *p == '"')
		p++;
	while (*p != '\0' && *p != ';' && *p != '"' && *p != '(' &&
	    !is_blank((unsigned char)*p))
		buf_addc(out, (char)tolower((unsigned char)*p++));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
pct_decode(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < len &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			buf_addc(out, (char)(h * 16 + l));
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
}

/* Convert s from charset to UTF-8 into out (unchanged when unknown). */
static void
to_utf8(struct buf *out, const char *charset, const char *s, size_t len)
{
	char *res = NULL;

	if (charset[0] == '\0' || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "utf8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0) {
		buf_add(out, s, len);
		return;
	}
	if (charconv("utf-8", charset, s, len, &res) ==
	    MAIL_CHARCONV_NO_ERROR && res != NULL) {
		buf_adds(out, res);
		free(res);
		return;
	}
	free(res);
	buf_add(out, s, len);
}

/* Decode RFC 2047 encoded words, when there are any. */
static void
decode_2047(struct buf *out, const char *s, size_t len)
{
	char *res = NULL;
	size_t idx = 0;

	if (len < 4 || strstr(s, "=?") == NULL) {
		buf_add(out, s, len);
		return;
	}
	if (mailmime_encoded_phrase_parse("utf-8", s, len, &idx, "utf-8",
	    &res) == MAILIMF_NO_ERROR && res != NULL) {
		buf_adds(out, res);
		free(res);
		return;
	}
	free(res);
	buf_add(out, s, len);
}

struct seg {
	int used;
	int ext;
	char *val;		/* owned, raw (quotes removed) */
};

int
mime_param(const char *value, const char *name, struct buf *out)
{
	struct seg segs[MIME_SEGS_MAX];
	struct buf plain = BUF_INIT, v = BUF_INIT;
	const char *p = value;
	size_t nl = strlen(name);
	int have_plain = 0, have_segs = 0, found = 0;

	memset(segs, 0, sizeof(segs));
	/* Skip the leading type or disposition token. */
	while (*p != '\0' && *p != ';') {
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"')
				p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
			if (*p == '"')
				p++;
		} else {
			p++;
		}
	}
	while (*p != '\0') {
		const char *a, *ae;
		int seg = -1, ext = 0;

		while (*p == ';' || is_blank((unsigned char)*p))
			p++;
		a = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		ae = p;
		while (ae > a && is_blank((unsigned char)ae[-1]))
			ae--;
		if (*p != '=')
			continue;
		p++;
		while (is_blank((unsigned char)*p))
			p++;
		buf_reset(&v);
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				buf_addc(&v, *p++);
			}
			if (*p == '"')
				p++;
			while (*p != '\0' && *p != ';')
				p++;
		} else {
			const char *vs = p, *ve;

			while (*p != '\0' && *p != ';')
				p++;
			ve = p;
			while (ve > vs && is_blank((unsigned char)ve[-1]))
				ve--;
			buf_add(&v, vs, (size_t)(ve - vs));
		}
		if ((size_t)(ae - a) < nl || strncasecmp(a, name, nl) != 0)
			continue;
		if ((size_t)(ae - a) == nl) {
			if (!have_plain) {
				buf_add(&plain, v.s, v.len);
				have_plain = 1;
			}
			continue;
		}
		if (a[nl] != '*')
			continue;
		const char *q = a + nl + 1;

		if (q == ae) {
			seg = 0;
			ext = 1;
		} else {
			char *e;
			long n = strtol(q, &e, 10);

			if (e == q || n < 0 || n >= MIME_SEGS_MAX)
				continue;
			if (e < ae && *e == '*')
				ext = 1, e++;
			if (e != ae)
				continue;
			seg = (int)n;
		}
		if (segs[seg].used)
			continue;
		segs[seg].used = 1;
		segs[seg].ext = ext;
		segs[seg].val = xstrndup(v.s, v.len);
		have_segs = 1;
	}

	if (have_segs && segs[0].used) {
		struct buf raw = BUF_INIT;
		char charset[64] = "";

		for (int i = 0; i < MIME_SEGS_MAX && segs[i].used; i++) {
			const char *s = segs[i].val;

			if (i == 0 && segs[i].ext) {
				const char *q1 = strchr(s, '\''), *q2;

				if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) !=
				    NULL) {
					size_t cl = (size_t)(q1 - s);

					if (cl < sizeof(charset)) {
						memcpy(charset, s, cl);
						charset[cl] = '\0';
					}
					s = q2 + 1;
				}
			}
			if (segs[i].ext)
				pct_decode(&raw, s, strlen(s));
			else
				buf_adds(&raw, s);
		}
		to_utf8(out, charset, raw.s, raw.len);
		buf_release(&raw);
		found = 1;
	} else if (have_plain) {
		decode_2047(out, plain.s, plain.len);
		found = 1;
	}
	for (int i = 0; i < MIME_SEGS_MAX; i++)
		free(segs[i].val);
	buf_release(&plain);
	buf_release(&v);
	return found;
}

void
qp_enc_init(struct qp_enc *q, int text, const char *eol)
{
	memset(q, 0, sizeof(*q));
	q->text = text;
	q->eol = eol;
}

/* Append one output token (a literal or "=XX"), breaking softly first. */
static void
qp_put(struct qp_enc *q, const char *tok, int n, struct buf *out)
{
	if (q->col + n > QP_LINE_MAX - 1) {
		buf_addc(out, '=');
		buf_adds(out, q->eol);
		q->col = 0;
	}
	buf_add(out, tok, (size_t)n);
	q->col += n;
}

static void
qp_hex(struct qp_enc *q, unsigned c, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char t[3] = { '=', hex[(c >> 4) & 15], hex[c & 15] };

	qp_put(q, t, 3, out);
}

static void
qp_hard_break(struct qp_enc *q, struct buf *out)
{
	if (q->pend_ws) {
		qp_hex(q, (unsigned)q->pend_ws, out);
		q->pend_ws = 0;
	}
	buf_adds(out, q->eol);
	q->col = 0;
}

static void
qp_flush_ws(struct qp_enc *q, struct buf *out)
{
	if (q->pend_ws) {
		char c = (char)q->pend_ws;

		q->pend_ws = 0;
		qp_put(q, &c, 1, out);
	}
}

void
qp_enc_update(struct qp_enc *q, const unsigned char *in, size_t len,
    struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned c = in[i];

		if (q->pend_cr) {
			q->pend_cr = 0;
			if (c == '\n') {
				qp_hard_break(q, out);
				continue;
			}
			qp_flush_ws(q, out);
			qp_hex(q, '\r', out);
		}
		if (q->text && c == '\r') {
			q->pend_cr = 1;
			continue;
		}
		if (q->text && c == '\n') {
			qp_hard_break(q, out);
			continue;
		}
		if (c == ' ' || c == '\t') {
			qp_flush_ws(q, out);
			q->pend_ws = (int)c;
			continue;
		}
		qp_flush_ws(q, out);
		if (c >= 33 && c <= 126 && c != '=') {
			char ch = (char)c;

			qp_put(q, &ch, 1, out);
		} else {
			qp_hex(q, c, out);
		}
	}
}

void
qp_enc_final(struct qp_enc *q, struct buf *out)
{
	if (q->pend_cr) {
		q->pend_cr = 0;
		if (q->pend_ws) {
			qp_flush_ws(q, out);
		}
		qp_hex(q, '\r', out);
	}
	if (q->pend_ws) {
		qp_hex(q, (unsigned)q->pend_ws, out);
		q->pend_ws = 0;
	}
}
