/*
 * .emlx framing (see emlx.h).  The algorithm is section 1.7 of
 * apple-mail-formats.md: believe the count when a plist starts where it
 * points, else look for the plist from the end of the file; never let
 * plist bytes into the message, and name every anomaly.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emlx.h"
#include "msg.h"
#include "xalloc.h"

/* How much of the tail is searched for a plist when the count lies. */
#define EMLX_TAIL_MAX	(256 * 1024)
#define EMLX_TAIL_CHUNK	(16 * 1024)

int
emlx_parse_count(const char *p, size_t len, uint64_t *count,
    size_t *line_len)
{
	size_t i = 0, digits = 0;
	uint64_t n = 0;

	while (i < len && p[i] == ' ')
		i++;
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if (++digits > 19)
			return 0;
		n = n * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	if (i == len)
		return -1;
	if (digits == 0)
		return 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i == len)
		return -1;
	if (p[i] != '\n')
		return 0;
	*count = n;
	*line_len = i + 1;
	return 1;
}

int
emlx_looks_like_plist(const char *p, size_t len)
{
	static const char *const starts[] = {
		"<?xml", "<!DOCTYPE plist", "<plist", "bplist"
	};
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	    p[i] == '\r'))
		i++;
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		size_t n = strlen(starts[k]);

		if (len - i >= n && memcmp(p + i, starts[k], n) == 0)
			return 1;
	}
	return 0;
}

/* pread() until len bytes or end of file.  Returns bytes read or -1. */
static ssize_t
read_at(int fd, void *buf, size_t len, int64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got,
		    (off_t)(off + (int64_t)got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Last occurrence of needle in h[0..hl), or NULL. */
static const char *
memrmem(const char *h, size_t hl, const char *needle)
{
	size_t nl = strlen(needle);

	if (hl < nl)
		return NULL;
	for (size_t i = hl - nl + 1; i-- > 0;)
		if (memcmp(h + i, needle, nl) == 0)
			return h + i;
	return NULL;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/*
 * Find a plist at the end of the file, starting at or after `from`: the
 * file must end in "</plist>" (plus white space); the plist starts at the
 * last "<plist" before it, widened back over a DOCTYPE and an XML
 * declaration separated only by white space.  Reads the tail in chunks,
 * at most EMLX_TAIL_MAX bytes.  Returns the offset, -1 when there is none,
 * -2 on a read error.
 */
static int64_t
find_tail_plist(int fd, int64_t from, int64_t size)
{
	int64_t span = size - from, start;
	size_t want, len;
	char *t;
	const char *e, *pl, *q;
	int64_t res = -1;

	if (span <= 0)
		return -1;
	want = span > EMLX_TAIL_MAX ? EMLX_TAIL_MAX : (size_t)span;
	t = xmalloc(want);
	/* Read the tail a chunk at a time, last chunk first. */
	len = 0;
	start = size;
	while (len < want) {
		size_t n = want - len > EMLX_TAIL_CHUNK ? EMLX_TAIL_CHUNK :
		    want - len;
		ssize_t got;

		start -= (int64_t)n;
		memmove(t + n, t, len);
		got = read_at(fd, t, n, start);
		if (got != (ssize_t)n) {
			res = got < 0 ? -2 : -1;
			goto out;
		}
		len += n;
		/* Check the end once; then stop as soon as "<plist" shows. */
		size_t end = len;

		while (end > 0 && is_ws(t[end - 1]))
			end--;
		if (end < 8 || memcmp(t + end - 8, "</plist>", 8) != 0) {
			if (end >= 8 || len == want)
				goto out;
			continue;
		}
		e = t + end - 8;
		pl = memrmem(t, (size_t)(e - t), "<plist");
		if (pl == NULL)
			continue;
		/* Widen over "<!DOCTYPE ...>" and "<?xml ...?>". */
		q = pl;
		for (int k = 0; k < 2; k++) {
			const char *w = q, *d;

			while (w > t && is_ws(w[-1]))
				w--;
			if (w == t || w[-1] != '>')
				break;
			d = w - 1;
			while (d > t && *d != '<')
				d--;
			if (*d != '<' || ((size_t)(w - d) < 9 ||
			    (memcmp(d, "<!DOCTYPE", 9) != 0 &&
			    memcmp(d, "<?xml", 5) != 0)))
				break;
			q = d;
		}
		res = start + (q - t);
		if (res < from)
			res = -1;
		goto out;
	}
out:
	free(t);
	return res;
}

int
emlx_frame(int fd, struct emlx_frame *f, struct buf *warn)
{
	struct stat st;
	char head[64];
	ssize_t got;
	size_t line_len = 0;
	uint64_t count = 0;
	int64_t end, p;
	int r;

	memset(f, 0, sizeof(*f));
	f->plist_off = -1;
	if (fstat(fd, &st) != 0) {
		buf_addf(warn, "cannot stat: %s", strerror(errno));
		return -1;
	}
	f->file_size = st.st_size;
	got = read_at(fd, head, sizeof(head), 0);
	if (got < 0) {
		buf_addf(warn, "read error: %s", strerror(errno));
		return -1;
	}
	if (got == 0) {
		buf_adds(warn, "empty file");
		return -1;
	}
	r = emlx_parse_count(head, (size_t)got, &count, &line_len);
	if (r == 1 && count > 0) {
		f->has_count = 1;
		f->count = count;
		f->msg_off = (int64_t)line_len;
	} else {
		/*
		 * No usable count line.  Recover the message only when the
		 * file starts like one (a header field name and a colon).
		 */
		size_t i = 0;

		if (r == 1)
			i = line_len;	/* a count of 0: skip that line */
		size_t s = i;

		while (i < (size_t)got && head[i] > ' ' && head[i] < 127 &&
		    head[i] != ':')
			i++;
		if (i == s || i == (size_t)got || head[i] != ':') {
			buf_adds(warn, "not an emlx file (no byte-count line "
			    "and no message header)");
			return -1;
		}
		f->msg_off = (int64_t)s;
		buf_adds(warn, r == 1 ? "byte count is 0" :
		    "no byte-count line");
	}

	if (f->has_count && (uint64_t)f->file_size >= (uint64_t)f->msg_off &&
	    count <= (uint64_t)(f->file_size - f->msg_off)) {
		end = f->msg_off + (int64_t)count;
		got = read_at(fd, head, sizeof(head), end);
		if (got < 0) {
			buf_addf(warn, "read error: %s", strerror(errno));
			return -1;
		}
		if (got > 0 && emlx_looks_like_plist(head, (size_t)got)) {
			f->msg_len = (int64_t)count;
			f->plist_off = end;
			f->plist_len = f->file_size - end;
			return 0;
		}
		if (end == f->file_size) {
			f->msg_len = (int64_t)count;
			buf_adds(warn, "no property list after the message "
			    "(flags unknown)");
			return 0;
		}
	}

	/* The count does not lead to a plist: look from the end. */
	p = find_tail_plist(fd, f->msg_off, f->file_size);
	if (p == -2) {
		buf_addf(warn, "read error: %s", strerror(errno));
		return -1;
	}
	if (warn->len)
		buf_adds(warn, "; ");
	if (p >= 0) {
		f->msg_len = p - f->msg_off;
		f->plist_off = p;
		f->plist_len = f->file_size - p;
		if (f->has_count)
			buf_addf(warn, "byte count %llu is wrong: the message "
			    "has %lld bytes before the property list",
			    (unsigned long long)count, (long long)f->msg_len);
		else
			buf_addf(warn, "message of %lld bytes taken up to the "
			    "property list", (long long)f->msg_len);
		return 0;
	}
	if (f->has_count && count <= (uint64_t)(f->file_size - f->msg_off)) {
		f->msg_len = (int64_t)count;
		buf_addf(warn, "the %lld bytes after the message are not a "
		    "property list and were left out",
		    (long long)(f->file_size - f->msg_off - f->msg_len));
		return 0;
	}
	f->msg_len = f->file_size - f->msg_off;
	if (f->has_count)
		buf_addf(warn, "byte count %llu is larger than the file and "
		    "there is no property list: the message (%lld bytes) may "
		    "be truncated", (unsigned long long)count,
		    (long long)f->msg_len);
	else
		buf_adds(warn, "no property list (flags unknown)");
	return 0;
}

int
emlx_read_plist(int fd, const struct emlx_frame *f, struct plist *pl)
{
	char *p;
	ssize_t got;
	int r;

	plist_release(pl);
	if (f->plist_off < 0 || f->plist_len <= 0 ||
	    f->plist_len > EMLX_PLIST_MAX)
		return -1;
	p = xmalloc((size_t)f->plist_len);
	got = read_at(fd, p, (size_t)f->plist_len, f->plist_off);
	r = got < 0 ? -1 : plist_parse(pl, p, (size_t)got);
	free(p);
	return r;
}

unsigned
emlx_msg_flags(uint64_t flags)
{
	unsigned m = 0;

	if (flags & (1ULL << 0))
		m |= MSG_SEEN;
	if (flags & (1ULL << 1))
		m |= MSG_DELETED;
	if (flags & (1ULL << 2))
		m |= MSG_ANSWERED;
	if (flags & (1ULL << 4))
		m |= MSG_FLAGGED;
	if (flags & (1ULL << 6))
		m |= MSG_DRAFT;
	if (flags & (1ULL << 8))
		m |= MSG_FORWARDED;
	if (flags & (1ULL << 24))
		m |= MSG_JUNK;
	if (flags & (1ULL << 25))
		m |= MSG_NOTJUNK;
	return m;
}
