/*
 * Header-block helpers: end of header, field lookup with unfolding, the
 * addr-spec of an address field and date parsing.  Used by the pipeline to
 * describe each message to the writers, and by readers.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rfc5322.h"

size_t
rfc_header_end(const char *p, size_t len)
{
	size_t i = 0;

	/* A header that is empty: the message starts with a blank line. */
	if (len >= 1 && p[0] == '\n')
		return 1;
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);

		if (nl == NULL)
			return 0;
		i = (size_t)(nl - p) + 1;
		if (i < len && p[i] == '\n')
			return i + 1;
		if (i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')
			return i + 2;
	}
	return 0;
}

static void
trim_into(struct buf *out, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	buf_add(out, s, n);
}

int
rfc_header_get(const char *hdr, size_t len, const char *name, struct buf *out)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	buf_reset(out);
	while (i < len) {
		const char *line = hdr + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;

		if (llen == 0 || (llen == 1 && line[0] == '\r'))
			return 0;	/* end of header */
		if (llen > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			struct buf raw = BUF_INIT;
			size_t j;

			/* The value and its continuation lines. */
			buf_add(&raw, line + nlen + 1, llen - nlen - 1);
			j = i + llen + 1;
			while (j < len && (hdr[j] == ' ' || hdr[j] == '\t')) {
				const char *c = hdr + j;
				const char *cnl = memchr(c, '\n', len - j);
				size_t clen = cnl ? (size_t)(cnl - c) : len - j;

				if (raw.len && raw.s[raw.len - 1] == '\r')
					buf_setlen(&raw, raw.len - 1);
				buf_add(&raw, c, clen);
				j += clen + 1;
			}
			if (raw.len && raw.s[raw.len - 1] == '\r')
				buf_setlen(&raw, raw.len - 1);
			trim_into(out, raw.s, raw.len);
			buf_release(&raw);
			return 1;
		}
		if (nl == NULL)
			break;
		i += llen + 1;
	}
	return 0;
}

int
rfc_addr_spec(const char *value, struct buf *out)
{
	const char *lt = strchr(value, '<');
	const char *start, *end;
	size_t before = out->len;

	if (lt != NULL && strchr(lt, '>') != NULL) {
		start = lt + 1;
		end = strchr(start, '>');
	} else {
		/* addr (comment), or a bare address: take the first word. */
		start = value;
		while (*start == ' ' || *start == '\t')
			start++;
		end = start;
		while (*end && *end != ' ' && *end != '\t' && *end != '(' &&
		    *end != ',')
			end++;
	}
	for (const char *p = start; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t')
			buf_addc(out, '-');
		else if (c >= 0x21 && c != 0x7f)
			buf_addc(out, (char)c);
	}
	return out->len > before;
}

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

static int
month_index(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (strncasecmp(s, month_names[i], 3) == 0)
			return i;
	return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), m in 1..12. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int
zone_offset(const char *z, int *secs)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "UTC", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};

	if ((z[0] == '+' || z[0] == '-') && isdigit((unsigned char)z[1]) &&
	    isdigit((unsigned char)z[2]) && isdigit((unsigned char)z[3]) &&
	    isdigit((unsigned char)z[4])) {
		int h = (z[1] - '0') * 10 + (z[2] - '0');
		int m = (z[3] - '0') * 10 + (z[4] - '0');

		*secs = (z[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
		return 0;
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		size_t n = strlen(zones[i].name);

		if (strncasecmp(z, zones[i].name, n) == 0 &&
		    !isalpha((unsigned char)z[n])) {
			*secs = zones[i].hours * 3600;
			return 0;
		}
	}
	return -1;
}

int
rfc_parse_date(const char *value, int64_t *out)
{
	/*
	 * Tokenise: words and numbers.  Accept "[Day,] DD Mon YYYY HH:MM[:SS]
	 * [zone]" and asctime "Day Mon DD HH:MM:SS YYYY".
	 */
	const char *p = value;
	int day = -1, mon = -1, hour = -1, min = -1, sec = 0;
	int64_t year = -1;
	int zsecs = 0, have_zone = 0;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' ||
		    *p == '\n')
			p++;
		if (*p == '\0')
			break;
		if (*p == '(') {	/* comment */
			while (*p && *p != ')')
				p++;
			if (*p)
				p++;
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			char *end;
			long v = strtol(p, &end, 10);

			if (*end == ':') {
				hour = (int)v;
				min = (int)strtol(end + 1, &end, 10);
				if (*end == ':')
					sec = (int)strtol(end + 1, &end, 10);
			} else if (day < 0 && v >= 1 && v <= 31 &&
			    end - p <= 2) {
				day = (int)v;
			} else if (year < 0) {
				year = v;
				if (end - p <= 2)	/* two-digit years */
					year += v < 50 ? 2000 : 1900;
			}
			p = end;
			continue;
		}
		if ((*p == '+' || *p == '-') && hour >= 0 && !have_zone) {
			if (zone_offset(p, &zsecs) == 0)
				have_zone = 1;
			p++;
			while (isdigit((unsigned char)*p))
				p++;
			continue;
		}
		if (isalpha((unsigned char)*p)) {
			const char *w = p;

			while (isalpha((unsigned char)*p))
				p++;
			if (mon < 0 && p - w >= 3 && month_index(w) >= 0)
				mon = month_index(w);
			else if (hour >= 0 && !have_zone &&
			    zone_offset(w, &zsecs) == 0)
				have_zone = 1;
			continue;
		}
		p++;
	}
	if (day < 1 || mon < 0 || year < 1 || year > 99999 || hour < 0 ||
	    hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
		return -1;
	*out = days_from_civil(year, mon + 1, day) * 86400 + hour * 3600 +
	    min * 60 + sec - zsecs;
	return 0;
}

void
rfc_head_store_init(struct rfc_head_store *s)
{
	buf_init(&s->return_path);
	buf_init(&s->from_addr);
	buf_init(&s->subject);
	buf_init(&s->message_id);
	buf_init(&s->tmp);
}

void
rfc_head_store_release(struct rfc_head_store *s)
{
	buf_release(&s->return_path);
	buf_release(&s->from_addr);
	buf_release(&s->subject);
	buf_release(&s->message_id);
	buf_release(&s->tmp);
}

void
rfc_head_parse(struct msg_head *head, const char *raw, size_t len,
    struct rfc_head_store *st)
{
	size_t hl = rfc_header_end(raw, len);
	const char *nl = memchr(raw, '\n', len);

	memset(head, 0, sizeof(*head));
	head->raw = raw;
	head->raw_len = len;
	head->hdr_len = hl ? hl : len;
	head->crlf = nl != NULL && nl > raw && nl[-1] == '\r';
	len = head->hdr_len;

	buf_reset(&st->return_path);
	if (rfc_header_get(raw, len, "Return-Path", &st->tmp) &&
	    rfc_addr_spec(st->tmp.s, &st->return_path))
		head->return_path = st->return_path.s;
	buf_reset(&st->from_addr);
	if (rfc_header_get(raw, len, "From", &st->tmp) &&
	    rfc_addr_spec(st->tmp.s, &st->from_addr))
		head->from_addr = st->from_addr.s;
	if (rfc_header_get(raw, len, "Subject", &st->subject))
		head->subject = st->subject.s;
	if (rfc_header_get(raw, len, "Message-ID", &st->message_id))
		head->message_id = st->message_id.s;
	if (rfc_header_get(raw, len, "Date", &st->tmp))
		(void)rfc_parse_date(st->tmp.s, &head->date);
}
