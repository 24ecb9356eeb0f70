/*
 * Code shared by the mbox reader and writer (see mbox_common.h): the From_
 * line grammar in both directions, mboxrd quoting and unquoting as small
 * state machines that work on any chunking of the bytes, and a header field
 * iterator that works on byte ranges.
 */
/* memmem(3) is a GNU extension (and POSIX 2024). */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mbox_common.h"
#include "pipeline.h"
#include "xalloc.h"

static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int
mbox_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
mbox_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
mbox_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's method). */
static int64_t
mbox_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The inverse: year, month (1-12) and day of a day count. */
static void
mbox_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * A cursor over the date part of a From_ line.  Every helper returns 1 and
 * advances on success, 0 and leaves the cursor alone on failure.
 */
struct mbox_cur {
	const char *p;
	const char *e;
};

static void
mbox_skip_space(struct mbox_cur *c)
{
	while (c->p < c->e && mbox_is_space(*c->p))
		c->p++;
}

/* A name from table (3 letters, any case) as a whole word. */
static int
mbox_word(struct mbox_cur *c, const char *const *table, int n, int *out)
{
	const char *q = c->p;

	while (q < c->e && mbox_is_alpha(*q))
		q++;
	if (q - c->p != 3)
		return 0;
	for (int i = 0; i < n; i++) {
		if (strncasecmp(c->p, table[i], 3) == 0) {
			*out = i;
			c->p = q;
			return 1;
		}
	}
	return 0;
}

/* An unsigned number of min..max digits. */
static int
mbox_num(struct mbox_cur *c, int min, int max, int64_t *out)
{
	const char *q = c->p;
	int64_t v = 0;

	while (q < c->e && mbox_is_digit(*q) && q - c->p < max) {
		v = v * 10 + (*q - '0');
		q++;
	}
	if (q - c->p < min || (q < c->e && mbox_is_digit(*q)))
		return 0;
	*out = v;
	c->p = q;
	return 1;
}

/* The end of a token: the end of the line or white space. */
static int
mbox_token_end(const struct mbox_cur *c)
{
	return c->p == c->e || mbox_is_space(*c->p);
}

/* H:MM or H:MM:SS as seconds of the day. */
static int
mbox_time(struct mbox_cur *c, int64_t *secs)
{
	struct mbox_cur t = *c;
	int64_t h, m, s = 0;

	if (!mbox_num(&t, 1, 2, &h) || t.p == t.e || *t.p != ':')
		return 0;
	t.p++;
	if (!mbox_num(&t, 2, 2, &m))
		return 0;
	if (t.p < t.e && *t.p == ':') {
		t.p++;
		if (!mbox_num(&t, 2, 2, &s))
			return 0;
	}
	if (h > 23 || m > 59 || s > 60 || !mbox_token_end(&t))
		return 0;
	*secs = h * 3600 + m * 60 + s;
	*c = t;
	return 1;
}

/* A 4- or 5-digit year as a whole token. */
static int
mbox_year(struct mbox_cur *c, int64_t *year)
{
	struct mbox_cur t = *c;

	if (!mbox_num(&t, 4, 5, year) || !mbox_token_end(&t))
		return 0;
	*c = t;
	return 1;
}

/* A time zone token: +hhmm / -hhmm (offset returned) or 1-5 letters. */
static int
mbox_zone(struct mbox_cur *c, int64_t *offset)
{
	struct mbox_cur t = *c;
	int64_t v;

	if (t.p < t.e && (*t.p == '+' || *t.p == '-')) {
		int neg = *t.p == '-';

		t.p++;
		if (!mbox_num(&t, 4, 4, &v) || !mbox_token_end(&t) ||
		    v % 100 > 59)
			return 0;
		*offset = (v / 100 * 3600 + v % 100 * 60) * (neg ? -1 : 1);
		*c = t;
		return 1;
	}
	const char *q = t.p;

	while (q < t.e && mbox_is_alpha(*q))
		q++;
	if (q == t.p || q - t.p > 5)
		return 0;
	t.p = q;
	if (!mbox_token_end(&t))
		return 0;
	*offset = 0;
	*c = t;
	return 1;
}

/*
 * Parse a From_ line date starting at c: weekday, month and day in either
 * order, then time [zone] year, or year time [zone].  Anything after a
 * following space is trailing information.  *date gets Unix seconds or 0
 * for a year outside 1970..9999.
 */
static int
mbox_parse_date(struct mbox_cur c, int64_t *date)
{
	int wday, mon;
	int64_t day, year, secs, zone = 0;

	if (!mbox_word(&c, day_names, 7, &wday))
		return 0;
	if (c.p < c.e && *c.p == ',')
		c.p++;
	if (c.p == c.e || !mbox_is_space(*c.p))
		return 0;
	mbox_skip_space(&c);
	if (mbox_word(&c, month_names, 12, &mon)) {
		mbox_skip_space(&c);
		if (!mbox_num(&c, 1, 2, &day) || !mbox_token_end(&c))
			return 0;
	} else {
		if (!mbox_num(&c, 1, 2, &day) || !mbox_token_end(&c))
			return 0;
		mbox_skip_space(&c);
		if (!mbox_word(&c, month_names, 12, &mon) ||
		    !mbox_token_end(&c))
			return 0;
	}
	if (day < 1 || day > 31)
		return 0;
	mbox_skip_space(&c);
	if (mbox_time(&c, &secs)) {
		mbox_skip_space(&c);
		struct mbox_cur t = c;

		if (!mbox_year(&c, &year)) {
			if (!mbox_zone(&t, &zone))
				return 0;
			mbox_skip_space(&t);
			if (!mbox_year(&t, &year))
				return 0;
			c = t;
		} else {
			/* A numeric zone after the year counts too. */
			struct mbox_cur z = c;

			mbox_skip_space(&z);
			if (z.p < z.e && (*z.p == '+' || *z.p == '-'))
				(void)mbox_zone(&z, &zone);
		}
	} else {
		if (!mbox_year(&c, &year))
			return 0;
		mbox_skip_space(&c);
		if (!mbox_time(&c, &secs))
			return 0;
		struct mbox_cur z = c;

		mbox_skip_space(&z);
		if (z.p < z.e && (*z.p == '+' || *z.p == '-'))
			(void)mbox_zone(&z, &zone);
	}
	(void)wday;
	if (year < 1970 || year > 9999) {
		*date = 0;
		return 1;
	}
	int64_t t = mbox_days_from_civil(year, mon + 1, (int)day) * 86400 +
	    secs - zone;

	*date = t > 0 ? t : 0;
	return 1;
}

int
mbox_from_parse(const char *line, size_t len, int strict,
    struct buf *sender, int64_t *date)
{
	if (len < 5 || memcmp(line, "From ", 5) != 0)
		return 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;

	const char *e = line + len;
	const char *s = line + 5;
	const char *p = s;

	if (!strict || len <= MBOX_FROM_MAX) {
		/* Try the date at every token start. */
		while (p < e) {
			while (p < e && mbox_is_space(*p))
				p++;
			if (p == e)
				break;
			struct mbox_cur c = { p, e };
			int64_t d;

			if (mbox_parse_date(c, &d)) {
				if (sender != NULL) {
					const char *q = p;

					while (q > s && mbox_is_space(q[-1]))
						q--;
					while (s < q && mbox_is_space(*s))
						s++;
					buf_reset(sender);
					buf_add(sender, s, (size_t)(q - s));
				}
				if (date != NULL)
					*date = d;
				return 1;
			}
			while (p < e && !mbox_is_space(*p))
				p++;
		}
	}
	if (strict)
		return 0;
	if (sender != NULL) {
		while (s < e && mbox_is_space(*s))
			s++;
		while (e > s && mbox_is_space(e[-1]))
			e--;
		buf_reset(sender);
		buf_add(sender, s, (size_t)(e - s));
	}
	if (date != NULL)
		*date = 0;
	return 1;
}

void
mbox_from_format(struct buf *out, const char *addr, int64_t date)
{
	int64_t y;
	int mon, mday;

	buf_adds(out, "From ");
	if (addr == NULL || *addr == '\0') {
		buf_adds(out, "MAILER-DAEMON");
	} else {
		size_t at = out->len;

		buf_adds(out, addr);
		for (size_t i = at; i < out->len; i++)
			if ((unsigned char)out->s[i] <= ' ' ||
			    out->s[i] == 0x7f)
				out->s[i] = '-';
	}
	/* 253402300799 is 9999-12-31 23:59:59, the last 24-char date. */
	if (date < 0 || date > INT64_C(253402300799))
		date = 0;
	int64_t days = date / 86400, secs = date % 86400;

	mbox_civil_from_days(days, &y, &mon, &mday);
	buf_addf(out, " %s %s %2d %02d:%02d:%02d %04d\n",
	    day_names[(days + 4) % 7], month_names[mon - 1], mday,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	    (int)y);
}

enum { QS_BOL, QS_GT, QS_F, QS_MID };

void
mbox_quote_init(struct mbox_quote *q, int crlf_to_lf)
{
	memset(q, 0, sizeof(*q));
	q->state = QS_BOL;
	q->crlf_to_lf = crlf_to_lf != 0;
}

/*
 * The fast path of mbox_quote_run(): copy the complete lines of in[i..len)
 * in large pieces, finding the lines to quote by their "From " (memchr for
 * 'F') instead of looking at every line start.  Only when no byte is held
 * back, and (when converting) the lines hold no CR.  The '>' goes at the
 * start of the line, which gives the same bytes and lets an interrupted
 * copy resume at a line start.  Returns the new i and adds to *o.
 */
static size_t
mbox_quote_fast(struct mbox_quote *q, const char *in, size_t i, size_t len,
    char *out, size_t *o, size_t cap)
{
	size_t e = len, seg = i, k = i;
	int bol = q->state == QS_BOL;

	while (e > i && in[e - 1] != '\n')
		e--;
	if (e == i || (q->crlf_to_lf && memchr(in + i, '\r', e - i) != NULL))
		return i;
	for (;;) {
		/*
		 * memmem skips ahead far faster than a memchr for 'F', which
		 * stops every 64 bytes or so in base64.  "From " cannot
		 * straddle e, the end of the last whole line.
		 */
		const char *f = k < e ? memmem(in + k, e - k, "From ", 5) :
		    NULL;

		if (f == NULL) {
			/* The rest needs no quoting: copy what fits. */
			size_t n = e - seg;

			if (n > cap - *o)
				n = cap - *o;
			memcpy(out + *o, in + seg, n);
			*o += n;
			seg += n;
			break;
		}

		size_t at = (size_t)(f - in), b = at;

		k = at + 1;
		while (b > i && in[b - 1] == '>')
			b--;
		if (b == i ? !bol : in[b - 1] != '\n')
			continue;
		/* Copy up to the line, '>', the line up to "From ". */
		if ((b - seg) + 1 + (at + 5 - b) > cap - *o) {
			size_t n = b - seg;

			if (n > cap - *o)
				n = cap - *o;
			memcpy(out + *o, in + seg, n);
			*o += n;
			seg += n;
			break;
		}
		memcpy(out + *o, in + seg, b - seg);
		*o += b - seg;
		out[(*o)++] = '>';
		memcpy(out + *o, in + b, at + 5 - b);
		*o += at + 5 - b;
		seg = at + 5;
		k = seg;
	}
	if (seg > i)
		q->state = in[seg - 1] == '\n' ? QS_BOL : QS_MID;
	return seg;
}

size_t
mbox_quote_run(struct mbox_quote *q, const char *in, size_t len,
    size_t *used, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (len > 0 && !q->cr && (q->state == QS_BOL || q->state == QS_MID))
		i = mbox_quote_fast(q, in, 0, len, out, &o, cap);
	while (i < len) {
		switch (q->state) {
		case QS_BOL:
		case QS_GT:
			if (in[i] == '>') {
				size_t n = 0;

				while (i + n < len && in[i + n] == '>' &&
				    o + n < cap)
					n++;
				if (n == 0)
					goto full;
				memset(out + o, '>', n);
				i += n;
				o += n;
				q->state = QS_GT;
			} else if (in[i] == 'F') {
				q->state = QS_F;
				q->matched = 1;
				i++;
			} else {
				q->state = QS_MID;
			}
			break;
		case QS_F:
			if (q->matched == 4 && in[i] == ' ') {
				if (cap - o < 6)
					goto full;
				memcpy(out + o, ">From ", 6);
				o += 6;
				i++;
				q->state = QS_MID;
			} else if (q->matched < 4 &&
			    in[i] == "From"[q->matched]) {
				q->matched++;
				i++;
			} else {
				if (cap - o < q->matched)
					goto full;
				memcpy(out + o, "From", q->matched);
				o += q->matched;
				q->state = QS_MID;
			}
			break;
		default: {
			if (q->cr) {
				if (in[i] != '\n') {
					if (o == cap)
						goto full;
					out[o++] = '\r';
				}
				q->cr = 0;
			}
			const char *nl = memchr(in + i, '\n', len - i);
			size_t end = nl != NULL ? (size_t)(nl - in) + 1 : len;
			size_t n = end - i;

			if (n > cap - o) {
				/* Part of the line; never split a CR LF. */
				n = cap - o;
				if (q->crlf_to_lf && n > 0 &&
				    in[i + n - 1] == '\r')
					n--;
				if (n == 0)
					goto full;
				memcpy(out + o, in + i, n);
				i += n;
				o += n;
				break;
			}
			if (q->crlf_to_lf && in[end - 1] == '\r') {
				/* Chunk ends in CR: hold it back. */
				memcpy(out + o, in + i, n - 1);
				o += n - 1;
				q->cr = 1;
			} else if (q->crlf_to_lf && nl != NULL && n >= 2 &&
			    in[end - 2] == '\r') {
				memcpy(out + o, in + i, n - 2);
				o += n - 2;
				out[o++] = '\n';
			} else {
				memcpy(out + o, in + i, n);
				o += n;
			}
			i = end;
			if (nl != NULL)
				q->state = QS_BOL;
			break;
		}
		}
	}
full:
	if (i > 0)
		q->any = 1;
	*used = i;
	return o;
}

size_t
mbox_quote_finish(struct mbox_quote *q, char *out, size_t cap)
{
	size_t o = 0;

	(void)cap;
	if (q->state == QS_F) {
		memcpy(out, "From", q->matched);
		o += q->matched;
	}
	if (q->cr)
		out[o++] = '\r';
	if (q->state != QS_BOL)
		out[o++] = '\n';
	mbox_quote_init(q, q->crlf_to_lf);
	return o;
}

void
mbox_unquote_init(struct mbox_unquote *u, int enabled)
{
	memset(u, 0, sizeof(*u));
	u->state = QS_BOL;
	u->enabled = enabled != 0;
}

int
mbox_unquote_idle(const struct mbox_unquote *u)
{
	return !u->enabled || u->state == QS_BOL || u->state == QS_MID;
}

void
mbox_unquote_copied(struct mbox_unquote *u, char last)
{
	u->state = last == '\n' ? QS_BOL : QS_MID;
}

size_t
mbox_unquote_run(struct mbox_unquote *u, const char *in, size_t len,
    size_t *used, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (!u->enabled) {
		size_t n = len < cap ? len : cap;

		memcpy(out, in, n);
		*used = n;
		return n;
	}
	while (i < len) {
		switch (u->state) {
		case QS_BOL:
			if (in[i] == '>') {
				/* Hold this '>' back until the line shows. */
				u->state = QS_GT;
				i++;
			} else {
				u->state = QS_MID;
			}
			break;
		case QS_GT:
			if (in[i] == '>') {
				/* Emit the held '>', hold the new one. */
				size_t n = 0;

				while (i + n < len && in[i + n] == '>' &&
				    o + n < cap)
					n++;
				if (n == 0)
					goto full;
				memset(out + o, '>', n);
				i += n;
				o += n;
			} else if (in[i] == 'F') {
				u->state = QS_F;
				u->matched = 1;
				i++;
			} else {
				if (o == cap)
					goto full;
				out[o++] = '>';
				u->state = QS_MID;
			}
			break;
		case QS_F:
			if (u->matched == 4 && in[i] == ' ') {
				/* ^>+From : drop the held '>'. */
				if (cap - o < 5)
					goto full;
				memcpy(out + o, "From ", 5);
				o += 5;
				i++;
				u->state = QS_MID;
			} else if (u->matched < 4 &&
			    in[i] == "From"[u->matched]) {
				u->matched++;
				i++;
			} else {
				if (cap - o < 1u + u->matched)
					goto full;
				out[o++] = '>';
				memcpy(out + o, "From", u->matched);
				o += u->matched;
				u->state = QS_MID;
			}
			break;
		default: {
			const char *nl = memchr(in + i, '\n', len - i);
			size_t end = nl != NULL ? (size_t)(nl - in) + 1 : len;
			size_t n = end - i;

			if (n > cap - o)
				n = cap - o;
			if (n == 0)
				goto full;
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			if (nl != NULL && i == end)
				u->state = QS_BOL;
			break;
		}
		}
	}
full:
	*used = i;
	return o;
}

size_t
mbox_unquote_finish(struct mbox_unquote *u, char *out, size_t cap)
{
	size_t o = 0;

	(void)cap;
	if (u->state == QS_GT) {
		out[o++] = '>';
	} else if (u->state == QS_F) {
		out[o++] = '>';
		memcpy(out + o, "From", u->matched);
		o += u->matched;
	}
	mbox_unquote_init(u, u->enabled);
	return o;
}

int
mbox_header_next(const char *p, size_t len, size_t *off,
    struct mbox_field *f, int complete)
{
	size_t i = *off;

	if (i >= len)
		return 0;
	if (p[i] == '\n') {
		*off = i + 1;
		return 0;
	}
	if (p[i] == '\r') {
		if (i + 1 < len && p[i + 1] == '\n') {
			*off = i + 2;
			return 0;
		}
		if (i + 1 == len && !complete)
			return -1;
	}

	size_t start = i, end;

	for (;;) {
		const char *nl = memchr(p + i, '\n', len - i);

		if (nl == NULL) {
			if (!complete)
				return -1;
			end = len;
			break;
		}
		size_t j = (size_t)(nl - p) + 1;

		if (j == len) {
			if (!complete)
				return -1;
			end = len;
			break;
		}
		if (p[j] != ' ' && p[j] != '\t') {
			end = j;
			break;
		}
		i = j;
	}

	size_t n = 0;

	while (start + n < end && p[start + n] != ':' &&
	    (unsigned char)p[start + n] > ' ' &&
	    (unsigned char)p[start + n] < 0x7f)
		n++;
	f->start = start;
	if (n > 0 && start + n < end && p[start + n] == ':') {
		f->name_len = n;
		f->value = start + n + 1;
	} else {
		f->name_len = 0;
		f->value = start;
	}
	f->end = end;
	*off = end;
	return 1;
}

int
mbox_field_is(const char *p, const struct mbox_field *f, const char *name)
{
	/* The first letter rules out most fields cheaply. */
	if (f->name_len == 0 || ((p[f->start] ^ name[0]) & ~0x20) != 0)
		return 0;
	return f->name_len == strlen(name) &&
	    strncasecmp(p + f->start, name, f->name_len) == 0;
}

void
mbox_encoder_init(struct mbox_encoder *e)
{
	memset(e, 0, sizeof(*e));
	mbox_quote_init(&e->q, 1);
}

void
mbox_encoder_release(struct mbox_encoder *e)
{
	free(e->drops);
	mbox_encoder_init(e);
}

/* Append a word to an X-Keywords line, folding long lines. */
static void
mbox_enc_word(struct buf *b, size_t *col, const char *word, size_t n)
{
	if (*col + 1 + n > 78 && *col > 12) {
		buf_adds(b, "\n");
		*col = 0;
	}
	buf_addc(b, ' ');
	buf_add(b, word, n);
	*col += 1 + n;
}

void
mbox_encoder_begin(struct mbox_encoder *e, const struct msg *m,
    struct buf *preamble)
{
	static const struct {
		unsigned flag;
		const char *word;
	} kw[] = {
		{ MSG_FORWARDED, "$Forwarded" },
		{ MSG_JUNK, "$Junk" },
		{ MSG_NOTJUNK, "$NotJunk" },
	};
	const struct msg_head *h = m->head;
	const char *addr = NULL;
	char status[4], xstatus[8];
	size_t mark, col = strlen("X-Keywords:");

	mbox_quote_init(&e->q, 1);
	e->in_pos = 0;
	e->ndrops = e->drop_i = 0;

	if (h != NULL && h->return_path != NULL && *h->return_path != '\0')
		addr = h->return_path;
	else if (h != NULL && h->from_addr != NULL && *h->from_addr != '\0')
		addr = h->from_addr;
	mbox_from_format(preamble, addr, msg_best_date(m));

	msg_flags_to_status(m->flags, status, xstatus);
	buf_adds(preamble, "Status: ");
	buf_adds(preamble, status);
	buf_addc(preamble, '\n');
	if (xstatus[0] != '\0') {
		buf_adds(preamble, "X-Status: ");
		buf_adds(preamble, xstatus);
		buf_addc(preamble, '\n');
	}
	mark = preamble->len;
	buf_adds(preamble, "X-Keywords:");
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (m->flags & kw[i].flag)
			mbox_enc_word(preamble, &col, kw[i].word,
			    strlen(kw[i].word));
	for (const char *p = m->keywords; p != NULL && *p != '\0';) {
		const char *w;

		/* Words end at white space or control characters. */
		while (*p != '\0' && (unsigned char)*p <= ' ')
			p++;
		w = p;
		while ((unsigned char)*p > ' ' && *p != 0x7f)
			p++;
		if (p == w) {
			if (*p != '\0')
				p++;
			continue;
		}
		if (msg_flags_from_keyword(w, (size_t)(p - w)) & m->flags)
			continue;
		mbox_enc_word(preamble, &col, w, (size_t)(p - w));
	}
	if (preamble->len == mark + strlen("X-Keywords:"))
		buf_setlen(preamble, mark);
	else
		buf_addc(preamble, '\n');

	if (h == NULL || h->raw == NULL)
		return;

	/*
	 * The pipeline reads until the header ends, PIPE_HEAD_MAX bytes or
	 * the end of the message: when it stopped short of PIPE_HEAD_MAX
	 * without an empty line, raw is the whole message.  A field that
	 * may go on beyond raw is left alone.
	 */
	struct mbox_field f;
	size_t off = 0;
	int complete = h->raw_len < PIPE_HEAD_MAX ||
	    (m->size >= 0 && (int64_t)h->raw_len >= m->size);

	while (mbox_header_next(h->raw, h->raw_len, &off, &f, complete) == 1) {
		if (!mbox_field_is(h->raw, &f, "Status") &&
		    !mbox_field_is(h->raw, &f, "X-Status") &&
		    !mbox_field_is(h->raw, &f, "X-Keywords"))
			continue;
		if (e->ndrops + 2 > e->cap) {
			e->cap = e->cap ? 2 * e->cap : 8;
			e->drops = xrealloc(e->drops,
			    e->cap * sizeof(*e->drops));
		}
		e->drops[e->ndrops++] = f.start;
		e->drops[e->ndrops++] = f.end;
	}
}

size_t
mbox_encoder_run(struct mbox_encoder *e, const char *in, size_t len,
    size_t *used, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < len && cap - o >= MBOX_QUOTE_SLACK) {
		size_t n = len - i, u;

		if (e->drop_i < e->ndrops) {
			size_t a = e->drops[e->drop_i];
			size_t b = e->drops[e->drop_i + 1];

			if (e->in_pos >= a) {
				/* Inside a field left out: skip its bytes. */
				size_t skip = b - e->in_pos;

				if (skip > n)
					skip = n;
				i += skip;
				e->in_pos += skip;
				if (e->in_pos >= b)
					e->drop_i += 2;
				continue;
			}
			if (a - e->in_pos < n)
				n = a - e->in_pos;
		}
		o += mbox_quote_run(&e->q, in + i, n, &u, out + o, cap - o);
		i += u;
		e->in_pos += u;
		if (u < n)
			break;	/* out is full */
	}
	*used = i;
	return o;
}

size_t
mbox_encoder_finish(struct mbox_encoder *e, char *out, size_t cap)
{
	size_t o = mbox_quote_finish(&e->q, out, cap);

	out[o++] = '\n';
	e->ndrops = e->drop_i = 0;
	return o;
}
