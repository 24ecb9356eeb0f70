/*
 * XML property list reader (see plist.h): a tag scanner over a byte range,
 * enough for the flat dicts Apple Mail writes.  It never allocates more
 * than the input's size and never reads past the given length, so a
 * damaged trailer costs its flags, never a crash.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "plist.h"
#include "xalloc.h"

#define PLIST_DEPTH_MAX	64

struct px {
	const char *p;
	const char *end;
};

struct tag {
	const char *name;	/* points into the input */
	size_t nlen;
	int close;		/* </name> */
	int empty;		/* <name/> */
};

void
plist_init(struct plist *pl)
{
	pl->items = NULL;
	pl->n = 0;
	pl->binary = 0;
}

void
plist_release(struct plist *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->items[i].key);
		free(pl->items[i].value);
	}
	free(pl->items);
	plist_init(pl);
}

/* Append text with the five XML entities and character references decoded. */
static void
decode_text(struct buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *semi;
		size_t n;

		if (s[i] != '&') {
			buf_addc(out, s[i++]);
			continue;
		}
		semi = memchr(s + i, ';', len - i < 12 ? len - i : 12);
		if (semi == NULL) {
			buf_addc(out, s[i++]);
			continue;
		}
		n = (size_t)(semi - (s + i)) + 1;
		if (n == 4 && memcmp(s + i, "&lt;", 4) == 0)
			buf_addc(out, '<');
		else if (n == 4 && memcmp(s + i, "&gt;", 4) == 0)
			buf_addc(out, '>');
		else if (n == 5 && memcmp(s + i, "&amp;", 5) == 0)
			buf_addc(out, '&');
		else if (n == 6 && memcmp(s + i, "&quot;", 6) == 0)
			buf_addc(out, '"');
		else if (n == 6 && memcmp(s + i, "&apos;", 6) == 0)
			buf_addc(out, '\'');
		else if (n > 3 && s[i + 1] == '#') {
			char num[16];
			unsigned long cp;
			char *e;
			int hex = s[i + 2] == 'x' || s[i + 2] == 'X';

			memcpy(num, s + i + 2 + hex, n - 3 - hex);
			num[n - 3 - hex] = '\0';
			errno = 0;
			cp = strtoul(num, &e, hex ? 16 : 10);
			if (*e != '\0' || errno != 0 || cp == 0 ||
			    cp > 0x10FFFF) {
				buf_add(out, s + i, n);
			} else if (cp < 0x80) {
				buf_addc(out, (char)cp);
			} else if (cp < 0x800) {
				buf_addc(out, (char)(0xC0 | (cp >> 6)));
				buf_addc(out, (char)(0x80 | (cp & 0x3F)));
			} else if (cp < 0x10000) {
				buf_addc(out, (char)(0xE0 | (cp >> 12)));
				buf_addc(out,
				    (char)(0x80 | ((cp >> 6) & 0x3F)));
				buf_addc(out, (char)(0x80 | (cp & 0x3F)));
			} else {
				buf_addc(out, (char)(0xF0 | (cp >> 18)));
				buf_addc(out,
				    (char)(0x80 | ((cp >> 12) & 0x3F)));
				buf_addc(out,
				    (char)(0x80 | ((cp >> 6) & 0x3F)));
				buf_addc(out, (char)(0x80 | (cp & 0x3F)));
			}
		} else {
			buf_add(out, s + i, n);
		}
		i += n;
	}
}

static int
skip_past(struct px *x, const char *needle)
{
	size_t nl = strlen(needle);

	while (x->p + nl <= x->end) {
		if (memcmp(x->p, needle, nl) == 0) {
			x->p += nl;
			return 0;
		}
		x->p++;
	}
	x->p = x->end;
	return -1;
}

/*
 * Move to the next element tag, skipping text, declarations, DOCTYPE and
 * comments; the text before the tag is returned in *text and *tlen.  Returns 0
 * with *t filled, or -1 at the end of the input.
 */
static int
next_tag(struct px *x, struct tag *t, const char **text, size_t *tlen)
{
	for (;;) {
		const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));
		const char *q;

		if (text != NULL) {
			*text = x->p;
			*tlen = (size_t)((lt ? lt : x->end) - x->p);
		}
		if (lt == NULL) {
			x->p = x->end;
			return -1;
		}
		x->p = lt + 1;
		if (x->p >= x->end)
			return -1;
		if (*x->p == '?') {
			if (skip_past(x, "?>") != 0)
				return -1;
			continue;
		}
		if (*x->p == '!') {
			if (x->end - x->p >= 3 && memcmp(x->p, "!--", 3) == 0) {
				if (skip_past(x, "-->") != 0)
					return -1;
			} else if (skip_past(x, ">") != 0) {
				return -1;
			}
			continue;
		}
		memset(t, 0, sizeof(*t));
		if (*x->p == '/') {
			t->close = 1;
			x->p++;
		}
		t->name = x->p;
		while (x->p < x->end && *x->p != '>' && *x->p != '/' &&
		    *x->p != ' ' && *x->p != '\t' && *x->p != '\n' &&
		    *x->p != '\r')
			x->p++;
		t->nlen = (size_t)(x->p - t->name);
		q = memchr(x->p, '>', (size_t)(x->end - x->p));
		if (q == NULL) {
			x->p = x->end;
			return -1;
		}
		if (q > x->p && q[-1] == '/')
			t->empty = 1;
		x->p = q + 1;
		return 0;
	}
}

static int
tag_is(const struct tag *t, const char *name)
{
	return t->nlen == strlen(name) && memcmp(t->name, name, t->nlen) == 0;
}

/* Read the text of a simple element up to its closing tag. */
static int
read_text(struct px *x, struct buf *out)
{
	struct tag t;
	const char *text;
	size_t tlen;

	if (next_tag(x, &t, &text, &tlen) != 0)
		return -1;
	decode_text(out, text, tlen);
	return t.close ? 0 : -1;
}

static enum plist_type
scalar_type(const struct tag *t)
{
	if (tag_is(t, "string"))
		return PLIST_STRING;
	if (tag_is(t, "integer"))
		return PLIST_INTEGER;
	if (tag_is(t, "real"))
		return PLIST_REAL;
	if (tag_is(t, "true"))
		return PLIST_TRUE;
	if (tag_is(t, "false"))
		return PLIST_FALSE;
	if (tag_is(t, "date"))
		return PLIST_DATE;
	if (tag_is(t, "data"))
		return PLIST_DATA;
	return 0;
}

/* Skip a container whose opening tag was just read. */
static int
skip_container(struct px *x)
{
	int depth = 1;
	struct tag t;

	while (depth > 0) {
		if (next_tag(x, &t, NULL, NULL) != 0)
			return -1;
		if (t.empty)
			continue;
		if (tag_is(&t, "array") || tag_is(&t, "dict")) {
			depth += t.close ? -1 : 1;
			if (depth > PLIST_DEPTH_MAX)
				return -1;
		}
	}
	return 0;
}

static void
trim(struct buf *b)
{
	size_t s = 0, e = b->len;

	while (s < e && (b->s[s] == ' ' || b->s[s] == '\t' ||
	    b->s[s] == '\n' || b->s[s] == '\r'))
		s++;
	while (e > s && (b->s[e - 1] == ' ' || b->s[e - 1] == '\t' ||
	    b->s[e - 1] == '\n' || b->s[e - 1] == '\r'))
		e--;
	if (s > 0)
		memmove(b->s, b->s + s, e - s);
	buf_setlen(b, e - s);
}

/* Read the members of an array: scalars joined by ' ', containers skipped. */
static int
read_array(struct px *x, struct buf *out)
{
	struct tag t;
	struct buf v = BUF_INIT;
	int r = -1;

	for (;;) {
		enum plist_type ty;

		if (next_tag(x, &t, NULL, NULL) != 0)
			break;
		if (t.close) {
			r = tag_is(&t, "array") ? 0 : -1;
			break;
		}
		if (t.empty) {
			ty = scalar_type(&t);
			if (ty == PLIST_TRUE || ty == PLIST_FALSE) {
				if (out->len)
					buf_addc(out, ' ');
				buf_adds(out,
				    ty == PLIST_TRUE ? "true" : "false");
			}
			continue;
		}
		if (tag_is(&t, "array") || tag_is(&t, "dict")) {
			if (skip_container(x) != 0)
				break;
			continue;
		}
		buf_reset(&v);
		if (read_text(x, &v) != 0)
			break;
		trim(&v);
		if (out->len)
			buf_addc(out, ' ');
		buf_add(out, v.s, v.len);
	}
	buf_release(&v);
	return r;
}

static void
add_item(struct plist *pl, struct buf *key, enum plist_type type,
    struct buf *value)
{
	struct plist_item *it;

	pl->items = xrealloc(pl->items, (pl->n + 1) * sizeof(*pl->items));
	it = &pl->items[pl->n++];
	it->key = buf_detach(key);
	it->type = type;
	it->value = buf_detach(value);
}

int
plist_parse(struct plist *pl, const char *p, size_t len)
{
	struct px x = { .p = p, .end = p + len };
	struct buf key = BUF_INIT, val = BUF_INIT;
	struct tag t;
	int in_dict = 0;

	plist_release(pl);
	while (x.p < x.end && (*x.p == ' ' || *x.p == '\t' || *x.p == '\n' ||
	    *x.p == '\r'))
		x.p++;
	if (x.end - x.p >= 6 && memcmp(x.p, "bplist", 6) == 0) {
		pl->binary = 1;
		return -1;
	}
	/* Find the top-level <dict>, inside <plist> or bare. */
	while (!in_dict) {
		if (next_tag(&x, &t, NULL, NULL) != 0 || t.close)
			return -1;
		if (tag_is(&t, "dict") && !t.empty)
			in_dict = 1;
		else if (!tag_is(&t, "plist"))
			return -1;
	}
	for (;;) {
		enum plist_type ty;

		if (next_tag(&x, &t, NULL, NULL) != 0)
			break;
		if (t.close)		/* </dict>: done */
			break;
		if (!tag_is(&t, "key") || t.empty)
			break;
		buf_reset(&key);
		if (read_text(&x, &key) != 0)
			break;
		if (next_tag(&x, &t, NULL, NULL) != 0 || t.close)
			break;
		buf_reset(&val);
		if (tag_is(&t, "array")) {
			ty = PLIST_ARRAY;
			if (!t.empty && read_array(&x, &val) != 0) {
				add_item(pl, &key, ty, &val);
				break;
			}
		} else if (tag_is(&t, "dict")) {
			ty = PLIST_DICT;
			if (!t.empty && skip_container(&x) != 0)
				break;
		} else {
			ty = scalar_type(&t);
			if (ty == 0)
				break;
			if (!t.empty && ty != PLIST_TRUE && ty != PLIST_FALSE &&
			    read_text(&x, &val) != 0)
				break;
			if (ty != PLIST_STRING)
				trim(&val);
		}
		add_item(pl, &key, ty, &val);
	}
	buf_release(&key);
	buf_release(&val);
	return 0;
}

const struct plist_item *
plist_get(const struct plist *pl, const char *key)
{
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->items[i].key, key) == 0)
			return &pl->items[i];
	return NULL;
}

int
plist_get_i64(const struct plist *pl, const char *key, int64_t *out)
{
	const struct plist_item *it = plist_get(pl, key);
	char *e;

	if (it == NULL || it->value[0] == '\0')
		return -1;
	if (it->type == PLIST_REAL) {
		double d = strtod(it->value, &e);

		if (*e != '\0' || d != d || d > 9.2e18 || d < -9.2e18)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	if (it->type != PLIST_INTEGER && it->type != PLIST_STRING)
		return -1;
	errno = 0;
	long long v = strtoll(it->value, &e, 10);

	if (*e != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}

int
plist_get_u64(const struct plist *pl, const char *key, uint64_t *out)
{
	const struct plist_item *it = plist_get(pl, key);
	char *e;

	if (it == NULL || it->value[0] == '\0' || it->value[0] == '-' ||
	    (it->type != PLIST_INTEGER && it->type != PLIST_STRING))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(it->value, &e, 10);

	if (*e != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}
