/*
 * The mbox reader: one mbox file (mboxo, mboxrd, mboxcl, mboxcl2), an Apple
 * "Export Mailbox" bundle (Name.mbox/mbox, children in Name/Child.mbox/),
 * or a directory tree of mbox files (Thunderbird's Inbox + Inbox.sbd/, or
 * mailsave's own INBOX.mbox + Archive/2024.mbox).
 *
 * A separator is a line "From " at the start of the file or after an empty
 * line and, unless opts->mbox_lenient, it must carry a date
 * (mbox_from_parse).  The empty line before a separator belongs to the
 * separator: each message loses exactly one trailing empty line (LF or
 * CRLF), and the last message loses one when the file ends in one.
 * Messages come back without their From_ line, unquoted as mboxrd (one '>'
 * off every ^>+From  line) unless the flavour says mboxo/mboxcl/mboxcl2.
 * Content-Length is used (mboxcl/mboxcl2, and auto) only when it lands
 * exactly on a valid separator or on the end of the file; a message read
 * by its Content-Length is never unquoted (that is what such writers do).
 *
 * Flags come from Status/X-Status (msg_flags_from_status), X-Keywords
 * (flag words by msg_flags_from_keyword, the rest as keywords) and
 * Thunderbird's X-Mozilla-Status bits.
 *
 * Memory is bounded: the file is read through one fixed buffer with pread,
 * the separator scan looks at line starts only (memchr for LF), and a line
 * of any length streams through.  The header block (at most RD_HEAD_MAX
 * bytes) is looked at in that buffer at next() for Status, X-Status,
 * X-Keywords and Content-Length; the bytes handed out are unchanged.
 *
 * Keys: the byte offset of the message's From_ line for the file named by
 * the source (a file, or a bundle's own mbox), "<relative path>:<offset>"
 * for every other file of a tree.  Dates come from the From_ line, read as
 * UTC (Apple writes the exporting Mac's local time, with no zone).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"
#include "mbox_common.h"
#include "xalloc.h"

#define RD_BUFSZ	(512 * 1024)
#define RD_HEAD_MAX	(256 * 1024)
#define RD_HEAD_SMALL	(16 * 1024)
#define RD_BUDGET	(64 * 1024)	/* content found per scan step */
#define RD_LOOK		(MBOX_FROM_MAX + 4)	/* look-ahead at a blank line */
#define RD_DEPTH	64		/* deepest directory walked */

/* One mbox file to read. */
struct rd_file {
	char *path;		/* owned: path to open */
	char *rel;		/* owned: key prefix; NULL for the file the
				   source names itself (keys are offsets) */
	char *folder;		/* owned: UTF-8 display path */
	int err;		/* errno when its directory was unreadable */
};

struct rd {
	int strict;
	size_t limit;		/* stop walking at this many files (0: no) */
	enum mbox_flavour flavour;

	struct rd_file *files;	/* owned */
	size_t nfiles, cur;	/* cur: file being read */

	int fd;			/* -1 when no file is open */
	int broken;		/* a read error ended this file */
	char *rb;		/* owned: RD_BUFSZ read buffer */
	size_t rpos, rlen;	/* next byte handed out; bytes in rb */
	int64_t boff;		/* file offset of rb[0] */
	int eof;		/* nothing after rb[rlen] */

	/* The message being read (offsets are file offsets). */
	int in_msg;
	int done;		/* every byte handed out */
	int bol;		/* the scan at `safe` is at a line start */
	int cl_mode;		/* ends at `end`, known from Content-Length */
	int fast;		/* no line in [cur, safe) starts with '>' */
	int64_t safe;		/* bytes before this are message content */
	int64_t end;		/* where the content ends, -1 not yet known */
	int64_t next;		/* next From_ line, -1 end of file */
	struct mbox_unquote uq;
	char stage[64];		/* output for callers with tiny buffers */
	size_t st_off, st_len;

	struct buf sender, key, keywords;
	struct buf stamp;	/* the From_ line's sender and date */
	char fstamp[64];	/* "size:mtime" of the current file */
	int fchecked;		/* file_saved() was asked for it */
};

static const char *const rd_skip_suffixes[] = {
	".msf", ".emlx", ".emlxpart", ".plist", ".eml", ".json", ".html",
	".dat", ".sqlite", ".db", ".txt", ".lock", NULL
};

static int
rd_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcasecmp(name + n - s, suffix) == 0;
}

/* Length of a file name without its .mbox, .mbx or .sbd suffix. */
static size_t
rd_stem_len(const char *name)
{
	static const char *const suffixes[] = { ".mbox", ".mbx", ".sbd" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (rd_has_suffix(name, suffixes[i]))
			return n - strlen(suffixes[i]);
	return n;
}

static const char *
rd_basename(const char *path, size_t *len)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t s = n;

	while (s > 0 && path[s - 1] != '/')
		s--;
	*len = n - s;
	return path + s;
}

static int
rd_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
rd_is_file(const char *path, off_t *size)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (size != NULL)
		*size = st.st_size;
	return 1;
}

static ssize_t
rd_pread(int fd, void *p, size_t n, int64_t off)
{
	ssize_t r;

	do
		r = pread(fd, p, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * Whether p[0..n) starts with a separator line; at_eof says the file ends
 * at p+n.  A strict separator must end within MBOX_FROM_MAX bytes.
 */
static int
rd_sep_at(const char *p, size_t n, int at_eof, int strict)
{
	if (n < 5 || memcmp(p, "From ", 5) != 0)
		return 0;
	size_t lim = n < MBOX_FROM_MAX + 1 ? n : MBOX_FROM_MAX + 1;
	const char *nl = memchr(p, '\n', lim);
	size_t len;

	if (nl != NULL)
		len = (size_t)(nl - p);
	else if (at_eof && n <= MBOX_FROM_MAX)
		len = n;
	else
		return !strict;
	return mbox_from_parse(p, len, strict, NULL, NULL);
}

/*
 * Whether the file at path starts with a separator (strict): reads its
 * first bytes.  Returns 1 yes, 0 no, 2 for an empty file, -1 when it
 * cannot be read.
 */
static int
rd_file_looks_mbox(const char *path)
{
	char b[MBOX_FROM_MAX + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = rd_pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n < 0)
		return -1;
	if (n == 0)
		return 2;
	return rd_sep_at(b, (size_t)n, (size_t)n < sizeof(b), 1);
}

/* The file list. */

static void
rd_add(struct rd *r, char *path, char *rel, char *folder, int err)
{
	r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
	r->files[r->nfiles++] = (struct rd_file){
		.path = path, .rel = rel, .folder = folder, .err = err,
	};
}

struct rd_ent {
	char *name;
	int is_dir;
	int is_bundle;
};

/*
 * Sorted by stem, so "Inbox" comes right before "Inbox.sbd" and a parent
 * folder before its children; a mailbox before a directory of the same
 * stem; then by full name.
 */
static int
rd_ent_cmp(const void *a, const void *b)
{
	const struct rd_ent *x = a, *y = b;
	size_t lx = rd_stem_len(x->name), ly = rd_stem_len(y->name);
	int c = memcmp(x->name, y->name, lx < ly ? lx : ly);

	if (c != 0)
		return c;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	int dx = x->is_dir && !x->is_bundle, dy = y->is_dir && !y->is_bundle;

	if (dx != dy)
		return dx - dy;
	return strcmp(x->name, y->name);
}

static int
rd_skip_name(const char *name)
{
	if (name[0] == '.' || strcmp(name, "table_of_contents") == 0)
		return 1;
	for (size_t i = 0; rd_skip_suffixes[i] != NULL; i++)
		if (rd_has_suffix(name, rd_skip_suffixes[i]))
			return 1;
	return 0;
}

/* Whether dir is a Maildir (cur/ and new/): not ours to walk. */
static int
rd_is_maildir(const char *dir)
{
	char *a = xasprintf("%s/cur", dir), *b = xasprintf("%s/new", dir);
	int yes = rd_is_dir(a) && rd_is_dir(b);

	free(a);
	free(b);
	return yes;
}

/* Whether dir is an Apple export bundle: it holds a regular file "mbox". */
static int
rd_is_bundle(const char *dir)
{
	char *p = xasprintf("%s/mbox", dir);
	int yes = rd_is_file(p, NULL);

	free(p);
	return yes;
}

/*
 * Add the mbox files below dir, sorted, depth first.  rel and folder are
 * the prefixes ("" or ending in '/') for the key and the folder name.
 */
static void
rd_walk(struct rd *r, const char *dir, const char *rel, const char *folder,
    int depth)
{
	struct rd_ent *ents = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	if (depth > RD_DEPTH || (r->limit && r->nfiles >= r->limit))
		return;
	if ((d = opendir(dir)) == NULL) {
		int e = errno;
		size_t fl = strlen(folder);

		if (fl > 0 && folder[fl - 1] == '/')
			fl--;
		rd_add(r, xstrdup(dir), xstrdup(rel),
		    fl > 0 ? xstrndup(folder, fl) : xstrdup("INBOX"), e);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st, lst;
		char *p;

		if (rd_skip_name(de->d_name))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) != 0 || lstat(p, &lst) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode) && !S_ISLNK(lst.st_mode)) {
			ents = xrealloc(ents, (n + 1) * sizeof(*ents));
			ents[n++] = (struct rd_ent){
				.name = xstrdup(de->d_name), .is_dir = 1,
				.is_bundle = rd_is_bundle(p),
			};
		} else if (S_ISREG(st.st_mode) && st.st_size > 0) {
			ents = xrealloc(ents, (n + 1) * sizeof(*ents));
			ents[n++] = (struct rd_ent){
				.name = xstrdup(de->d_name),
			};
		}
		free(p);
	}
	closedir(d);
	if (n > 1)
		qsort(ents, n, sizeof(*ents), rd_ent_cmp);
	for (size_t i = 0; i < n; i++) {
		const char *name = ents[i].name;
		int stem = (int)rd_stem_len(name);
		char *p = xasprintf("%s/%s", dir, name);

		if (r->limit && r->nfiles >= r->limit) {
			/* Probing: enough seen. */
		} else if (ents[i].is_bundle) {
			rd_add(r, xasprintf("%s/mbox", p),
			    xasprintf("%s%s/mbox", rel, name),
			    xasprintf("%s%.*s", folder, stem, name), 0);
		} else if (ents[i].is_dir) {
			if (!rd_is_maildir(p)) {
				char *r2 = xasprintf("%s%s/", rel, name);
				char *f2 = xasprintf("%s%.*s/", folder, stem,
				    name);

				rd_walk(r, p, r2, f2, depth + 1);
				free(r2);
				free(f2);
			}
		} else {
			rd_add(r, xstrdup(p), xasprintf("%s%s", rel, name),
			    xasprintf("%s%.*s", folder, stem, name), 0);
		}
		free(p);
		free(ents[i].name);
	}
	free(ents);
}

/* Reading one file through the buffer. */

static void
rd_file_close(struct rd *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->in_msg = 0;
	r->broken = 0;
}

/*
 * Make the bytes [at, at+need) present in rb, or as many as the file has.
 * Moves the unread bytes (from rpos) to the front when that makes room.
 * Returns 0, or -1 with errno on a read error.
 */
static int
rd_ensure(struct rd *r, int64_t at, size_t need)
{
	while (!r->eof && r->boff + (int64_t)r->rlen < at + (int64_t)need) {
		if (r->rpos > 0 && (r->rlen == RD_BUFSZ ||
		    RD_BUFSZ - r->rlen < RD_BUFSZ / 4)) {
			memmove(r->rb, r->rb + r->rpos, r->rlen - r->rpos);
			r->boff += (int64_t)r->rpos;
			r->rlen -= r->rpos;
			r->rpos = 0;
		}
		if (r->rlen == RD_BUFSZ)
			return 0;
		ssize_t n = rd_pread(r->fd, r->rb + r->rlen,
		    RD_BUFSZ - r->rlen, r->boff + (int64_t)r->rlen);

		if (n < 0)
			return -1;
		if (n == 0)
			r->eof = 1;
		r->rlen += (size_t)n;
	}
	return 0;
}

/* Move the read position to file offset `at` (forward). */
static void
rd_seek(struct rd *r, int64_t at)
{
	if (at <= r->boff + (int64_t)r->rlen) {
		r->rpos = (size_t)(at - r->boff);
		return;
	}
	r->boff = at;
	r->rpos = r->rlen = 0;
	r->eof = 0;
}

/* Bytes present from file offset at. */
static size_t
rd_avail(const struct rd *r, int64_t at)
{
	return (size_t)(r->boff + (int64_t)r->rlen - at);
}

/*
 * Find more message content in scan mode: move `safe` over whole lines,
 * stopping at an empty line that is followed by a separator or the end of
 * the file (then `end` and `next` are set).  A line starting with '>'
 * makes a stretch of its own (`fast` clear) when unquoting, so the rest
 * can be copied without looking at it again.  Returns 0 or -1 (errno).
 */
static int
rd_extend(struct rd *r)
{
	int64_t start = r->safe;

	r->fast = 1;
	for (;;) {
		if (rd_avail(r, r->safe) == 0) {
			if (rd_ensure(r, r->safe, 1) < 0)
				return -1;
			if (rd_avail(r, r->safe) == 0) {
				if (!r->eof)
					return 0;	/* drain first */
				r->end = r->safe;
				r->next = -1;
				return 0;
			}
		}
		size_t i = (size_t)(r->safe - r->boff);

		if (r->bol) {
			size_t bl = 0;

			if (r->rb[i] == '\r' && rd_avail(r, r->safe) < 2 &&
			    !r->eof) {
				if (r->safe > start)
					return 0;
				if (rd_ensure(r, r->safe, 2) < 0)
					return -1;
				i = (size_t)(r->safe - r->boff);
			}
			if (r->rb[i] == '\n')
				bl = 1;
			else if (r->rb[i] == '\r' &&
			    rd_avail(r, r->safe) >= 2 && r->rb[i + 1] == '\n')
				bl = 2;
			if (bl > 0) {
				if (rd_ensure(r, r->safe, bl + RD_LOOK) < 0)
					return -1;
				if (!r->eof &&
				    rd_avail(r, r->safe) < bl + RD_LOOK) {
					if (r->safe > start ||
					    r->boff + (int64_t)r->rpos <
					    r->safe)
						return 0; /* drain first */
				}
				i = (size_t)(r->safe - r->boff);

				int64_t after = r->safe + (int64_t)bl;
				size_t left = rd_avail(r, after);

				if (left == 0 && r->eof) {
					r->end = r->safe;
					r->next = -1;
					return 0;
				}
				if (rd_sep_at(r->rb + i + bl, left, r->eof,
				    r->strict)) {
					r->end = r->safe;
					r->next = after;
					return 0;
				}
				r->safe = after;
				continue;
			}
			r->bol = 0;
			if (r->rb[i] == '>' && r->uq.enabled) {
				if (r->safe > start) {
					/* Look at it again next time. */
					r->bol = 1;
					return 0;
				}
				r->fast = 0;
				const char *nl = memchr(r->rb + i, '\n',
				    r->rlen - i);

				if (nl != NULL) {
					r->safe = r->boff + (nl - r->rb) + 1;
					r->bol = 1;
				} else {
					r->safe = r->boff + (int64_t)r->rlen;
				}
				return 0;
			}
		}
		const char *nl = memchr(r->rb + i, '\n', r->rlen - i);

		if (nl != NULL) {
			r->safe = r->boff + (nl - r->rb) + 1;
			r->bol = 1;
		} else {
			r->safe = r->boff + (int64_t)r->rlen;
		}
		if (r->safe - start >= RD_BUDGET)
			return 0;
	}
}

/* Content-Length mode: content runs up to `end`. */
static int
rd_extend_cl(struct rd *r)
{
	if (rd_ensure(r, r->safe, 1) < 0)
		return -1;
	int64_t have = r->boff + (int64_t)r->rlen;

	if (have <= r->safe && r->eof) {
		/* The file shrank under us: stop where it ends. */
		r->end = r->safe;
		r->next = -1;
		return 0;
	}
	r->safe = have < r->end ? have : r->end;
	return 0;
}

/*
 * Produce message bytes into out (cap >= 16).  Returns the bytes stored,
 * 0 at the end of the message, -1 on a read error (errno).
 */
static ssize_t
rd_produce(struct rd *r, char *out, size_t cap)
{
	for (;;) {
		if (r->done)
			return 0;

		int64_t cur = r->boff + (int64_t)r->rpos;

		if (r->safe > cur && r->fast && mbox_unquote_idle(&r->uq)) {
			size_t k = (size_t)(r->safe - cur);

			if (k > cap)
				k = cap;
			memcpy(out, r->rb + r->rpos, k);
			r->rpos += k;
			mbox_unquote_copied(&r->uq, out[k - 1]);
			return (ssize_t)k;
		}
		if (r->safe > cur) {
			size_t used, k;

			k = mbox_unquote_run(&r->uq, r->rb + r->rpos,
			    (size_t)(r->safe - cur), &used, out, cap);
			r->rpos += used;
			if (k > 0)
				return (ssize_t)k;
			continue;
		}
		if (r->end >= 0 && cur >= r->end) {
			r->done = 1;
			return (ssize_t)mbox_unquote_finish(&r->uq, out, cap);
		}
		if ((r->cl_mode ? rd_extend_cl(r) : rd_extend(r)) < 0)
			return -1;
	}
}

/* Skip what is left of the current message.  Returns 0 or -1 (errno). */
static int
rd_skip_rest(struct rd *r)
{
	if (r->cl_mode) {
		r->done = 1;
		return 0;
	}
	while (!r->done) {
		int64_t cur = r->boff + (int64_t)r->rpos;

		if (r->safe > cur)
			r->rpos = (size_t)(r->safe - r->boff);
		else if (r->end >= 0 && cur >= r->end)
			r->done = 1;
		else if (rd_extend(r) < 0)
			return -1;
	}
	return 0;
}

/*
 * Open file f and check that it starts with a separator.  Returns MS_OK,
 * MS_EOF (empty file: no messages), MS_SKIP (not an mbox file) or
 * MS_FAILED (cannot be read), with err set for the last two.
 */
static int
rd_file_open(struct source *src, struct rd *r, const struct rd_file *f)
{
	if (f->err != 0)
		return err_set(&src->err, MS_FAILED, f->err, "%s", f->path);
	r->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return err_set(&src->err, MS_FAILED, errno, "%s", f->path);
	r->boff = 0;
	r->rpos = r->rlen = 0;
	r->eof = 0;
	r->in_msg = 0;
	r->broken = 0;
	if (rd_ensure(r, 0, RD_LOOK) < 0) {
		int e = errno;

		rd_file_close(r);
		return err_set(&src->err, MS_FAILED, e, "read %s", f->path);
	}
	if (r->rlen == 0) {
		rd_file_close(r);
		return MS_EOF;
	}
	if (!rd_sep_at(r->rb, r->rlen, r->eof, r->strict)) {
		rd_file_close(r);
		return err_set(&src->err, MS_SKIP, 0,
		    "%s: not an mbox file (it does not start with a "
		    "\"From \" line)", f->path);
	}
	r->next = 0;
	return MS_OK;
}

/*
 * Parse the flag headers and Content-Length of the header block.  Returns
 * 1 when the block was seen to its end, 0 when p[0..len) cut it short.
 */
static int
rd_parse_head(struct rd *r, const char *p, size_t len, int complete,
    struct msg *m, int64_t *cl, size_t *body)
{
	struct mbox_field f;
	size_t off = 0, prev;
	int st;

	*cl = -1;
	*body = 0;
	m->flags = 0;
	buf_reset(&r->keywords);
	for (;;) {
		prev = off;
		st = mbox_header_next(p, len, &off, &f, complete);
		if (st != 1)
			break;

		const char *v = p + f.value;
		size_t vl = f.end - f.value;

		if (f.name_len == 0)
			continue;
		if (mbox_field_is(p, &f, "Status") ||
		    mbox_field_is(p, &f, "X-Status")) {
			m->flags |= msg_flags_from_status(v, vl);
		} else if (mbox_field_is(p, &f, "X-Keywords")) {
			size_t i = 0;

			while (i < vl) {
				while (i < vl && strchr(" \t\r\n,", v[i]) &&
				    v[i] != '\0')
					i++;
				size_t s = i;

				while (i < vl && !strchr(" \t\r\n,", v[i]))
					i++;
				if (i == s)
					continue;
				unsigned fl = msg_flags_from_keyword(v + s,
				    i - s);

				if (fl != 0) {
					m->flags |= fl;
				} else {
					if (r->keywords.len)
						buf_addc(&r->keywords, ' ');
					buf_add(&r->keywords, v + s, i - s);
				}
			}
		} else if (mbox_field_is(p, &f, "X-Mozilla-Status")) {
			/*
			 * Thunderbird: hex bits read, replied, marked,
			 * expunged, forwarded.
			 */
			unsigned long bits = 0;
			size_t i = 0;

			while (i < vl && (v[i] == ' ' || v[i] == '\t'))
				i++;
			for (; i < vl && i < 16; i++) {
				int c = v[i];
				int d = c >= '0' && c <= '9' ? c - '0' :
				    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

				if (d < 0)
					break;
				bits = bits * 16 + (unsigned long)d;
			}
			m->flags |= (bits & 0x0001 ? MSG_SEEN : 0) |
			    (bits & 0x0002 ? MSG_ANSWERED : 0) |
			    (bits & 0x0004 ? MSG_FLAGGED : 0) |
			    (bits & 0x0008 ? MSG_DELETED : 0) |
			    (bits & 0x1000 ? MSG_FORWARDED : 0);
		} else if (mbox_field_is(p, &f, "Content-Length") &&
		    *cl < 0) {
			size_t i = 0;
			int64_t n = 0;
			int digits = 0;

			while (i < vl && (v[i] == ' ' || v[i] == '\t'))
				i++;
			while (i < vl && v[i] >= '0' && v[i] <= '9' &&
			    n < INT64_C(1) << 50) {
				n = n * 10 + (v[i++] - '0');
				digits++;
			}
			while (i < vl && strchr(" \t\r\n", v[i]) &&
			    v[i] != '\0')
				i++;
			if (digits > 0 && i == vl)
				*cl = n;
		}
	}
	/* Stopped at the empty line: the body starts after it. */
	if (st == 0 && off > prev)
		*body = off;
	return st == 0;
}

/*
 * Check a Content-Length end: the content ends at pos when the file ends
 * there, or an empty line follows and then the end of the file or a
 * separator, or a separator starts there after an empty line inside the
 * counted bytes.  Sets *end and *next.  Returns 1 when it holds.
 */
static int
rd_cl_check(struct rd *r, int64_t body, int64_t pos, int64_t *end,
    int64_t *next)
{
	char w[3 + 2 + MBOX_FROM_MAX + 2];
	struct stat st;
	int64_t woff = pos >= 3 ? pos - 3 : 0;
	size_t at = (size_t)(pos - woff);

	if (fstat(r->fd, &st) != 0 || pos > st.st_size)
		return 0;
	if (pos == st.st_size) {
		*end = pos;
		*next = -1;
		return 1;
	}
	ssize_t n = rd_pread(r->fd, w, sizeof(w), woff);

	if (n < 0 || (size_t)n <= at)
		return 0;

	int weof = (size_t)n < sizeof(w);
	size_t bl = 0;

	if (w[at] == '\n')
		bl = 1;
	else if (at + 1 < (size_t)n && w[at] == '\r' && w[at + 1] == '\n')
		bl = 2;
	if (bl > 0) {
		if (at + bl == (size_t)n && weof) {
			*end = pos;
			*next = -1;
			return 1;
		}
		if (rd_sep_at(w + at + bl, (size_t)n - at - bl, weof,
		    r->strict)) {
			*end = pos;
			*next = pos + (int64_t)bl;
			return 1;
		}
		return 0;
	}
	if (!rd_sep_at(w + at, (size_t)n - at, weof, r->strict))
		return 0;
	/* The counted bytes end in the separator's empty line. */
	if (at >= 2 && w[at - 1] == '\n' && w[at - 2] == '\n')
		bl = 1;
	else if (at >= 3 && w[at - 1] == '\n' && w[at - 2] == '\r' &&
	    w[at - 3] == '\n')
		bl = 2;
	else
		return 0;
	*end = pos - (int64_t)bl >= body ? pos - (int64_t)bl : pos;
	*next = pos;
	return 1;
}

/* Start the message whose From_ line is at r->next. */
static int
rd_start(struct source *src, struct rd *r, struct msg *m)
{
	const struct rd_file *f = &r->files[r->cur];
	int64_t from = r->next, date = 0;

	rd_seek(r, from);
	if (rd_ensure(r, from, RD_LOOK) < 0)
		goto fail;

	size_t avail = rd_avail(r, from);
	size_t lim = avail < MBOX_FROM_MAX + 1 ? avail : MBOX_FROM_MAX + 1;
	const char *line = r->rb + r->rpos;
	const char *nl = memchr(line, '\n', lim);
	size_t ll = nl != NULL ? (size_t)(nl - line) : lim;

	if (!mbox_from_parse(line, ll, r->strict, &r->sender, &date) &&
	    !mbox_from_parse(line, ll, 0, &r->sender, &date))
		buf_reset(&r->sender);
	if (nl != NULL) {
		r->rpos += ll + 1;
	} else {
		/* A long lenient From_ line, or one at the end of the file. */
		for (;;) {
			r->rpos = r->rlen;
			if (rd_ensure(r, r->boff + (int64_t)r->rlen, 1) < 0)
				goto fail;
			if (r->rpos == r->rlen)
				break;
			nl = memchr(r->rb + r->rpos, '\n',
			    r->rlen - r->rpos);
			if (nl != NULL) {
				r->rpos = (size_t)(nl - r->rb) + 1;
				break;
			}
		}
	}

	int64_t start = r->boff + (int64_t)r->rpos;
	int64_t cl, body_abs;
	size_t body;

	/*
	 * Most headers fit in RD_HEAD_SMALL: asking for no more keeps the
	 * buffer from being moved about for every message.
	 */
	for (size_t want = RD_HEAD_SMALL;; want = RD_HEAD_MAX) {
		if (rd_ensure(r, start, want) < 0)
			goto fail;
		avail = rd_avail(r, start);
		if (avail > want)
			avail = want;
		if (rd_parse_head(r, r->rb + r->rpos, avail,
		    r->eof && r->rpos + avail == r->rlen, m, &cl, &body) ||
		    want == RD_HEAD_MAX || avail < want)
			break;
	}

	r->in_msg = 1;
	r->done = 0;
	r->bol = 1;
	r->safe = start;
	r->end = -1;
	r->next = -1;
	r->cl_mode = 0;
	r->fast = 0;
	r->st_off = r->st_len = 0;
	body_abs = start + (int64_t)body;
	if (cl >= 0 && body > 0 && r->flavour != MBOX_RD &&
	    r->flavour != MBOX_O &&
	    rd_cl_check(r, body_abs, body_abs + cl, &r->end, &r->next)) {
		r->cl_mode = 1;
		m->size = r->end - start;
	} else {
		r->end = -1;
		r->next = -1;
	}
	mbox_unquote_init(&r->uq, !r->cl_mode &&
	    (r->flavour == MBOX_AUTO || r->flavour == MBOX_RD));

	buf_reset(&r->key);
	if (f->rel != NULL)
		buf_addf(&r->key, "%s:%" PRId64, f->rel, from);
	else
		buf_addf(&r->key, "%" PRId64, from);
	m->folder = f->folder;
	m->folder_raw = f->rel != NULL ? f->rel : f->folder;
	m->key = r->key.s;
	m->date = date;
	m->envelope = r->sender.s;
	m->keywords = r->keywords.len ? r->keywords.s : NULL;
	/*
	 * A key is a byte offset: if the file was rewritten, another message
	 * may sit there now, and its From_ line will most likely differ.
	 */
	buf_reset(&r->stamp);
	buf_addf(&r->stamp, "%s %" PRId64, r->sender.s, date);
	m->stamp = r->stamp.s;
	return MS_OK;

fail:
	r->broken = 1;
	return err_set(&src->err, MS_FAILED, errno, "read %s", f->path);
}

/* The source operations. */

static int
mbox_probe(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode)) {
		int k = rd_file_looks_mbox(path);

		if (k == 1)
			return 90;
		if (k == 2 && (rd_has_suffix(path, ".mbox") ||
		    rd_has_suffix(path, ".mbx")))
			return 20;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (rd_is_bundle(path)) {
		char *p = xasprintf("%s/mbox", path);
		int k = rd_file_looks_mbox(p);

		free(p);
		return k == 1 || k == 2 ? 95 : 0;
	}
	if (rd_is_maildir(path))
		return 0;

	/* A tree: look at the first few files, two levels deep. */
	struct rd probe = { .strict = 1, .limit = 64 };
	int yes = 0, no = 0;

	rd_walk(&probe, path, "", "", RD_DEPTH - 2);
	for (size_t i = 0; i < probe.nfiles; i++) {
		if (i < 16 && probe.files[i].err == 0) {
			int k = rd_file_looks_mbox(probe.files[i].path);

			if (k == 1)
				yes++;
			else if (k == 0)
				no++;
		}
		free(probe.files[i].path);
		free(probe.files[i].rel);
		free(probe.files[i].folder);
	}
	free(probe.files);
	return yes > 0 && yes >= no ? 60 : 0;
}

static void
mbox_close(struct source *src)
{
	struct rd *r = src->data;

	if (r == NULL)
		return;
	rd_file_close(r);
	for (size_t i = 0; i < r->nfiles; i++) {
		free(r->files[i].path);
		free(r->files[i].rel);
		free(r->files[i].folder);
	}
	free(r->files);
	free(r->rb);
	buf_release(&r->sender);
	buf_release(&r->key);
	buf_release(&r->stamp);
	buf_release(&r->keywords);
	free(r);
	src->data = NULL;
}

/* Folder name for a single file: its name without .mbox/.mbx. */
static char *
rd_file_folder(const char *path)
{
	size_t bl;
	const char *base = rd_basename(path, &bl);
	char *name = xstrndup(base, bl);

	if (strcmp(name, "mbox") == 0 && base > path) {
		/* Name.mbox/mbox given directly: the bundle's name. */
		char *dir = xstrndup(path, (size_t)(base - path));
		size_t dl;
		const char *db = rd_basename(dir, &dl);

		if (dl > 5 && strncasecmp(db + dl - 5, ".mbox", 5) == 0) {
			free(name);
			name = xstrndup(db, dl - 5);
		}
		free(dir);
	}
	if (rd_has_suffix(name, ".mbox"))
		name[strlen(name) - 5] = '\0';
	else if (rd_has_suffix(name, ".mbx"))
		name[strlen(name) - 4] = '\0';
	if (*name == '\0' || strcmp(name, "/") == 0) {
		free(name);
		name = xstrdup("INBOX");
	}
	return name;
}

static int
mbox_open(struct source *src, const char *path, const struct opts *o)
{
	struct rd *r = xcalloc(1, sizeof(*r));
	struct stat st;

	src->data = r;
	r->fd = -1;
	r->strict = o == NULL || !o->mbox_lenient;
	r->flavour = o != NULL ? o->mbox_flavour : MBOX_AUTO;
	buf_init(&r->sender);
	buf_init(&r->key);
	buf_init(&r->stamp);
	buf_init(&r->keywords);
	if (stat(path, &st) != 0)
		return err_set(&src->err, MS_FATAL, errno, "%s", path);
	if (S_ISDIR(st.st_mode) && rd_is_bundle(path)) {
		/* Name.mbox/mbox, then children in the sibling Name/. */
		size_t bl;
		const char *base = rd_basename(path, &bl);
		size_t stem = bl;

		if (bl > 5 && strncasecmp(base + bl - 5, ".mbox", 5) == 0)
			stem = bl - 5;
		char *name = xstrndup(base, stem);
		char *dir = xasprintf("%.*s%s", (int)(base - path), path,
		    name);

		rd_add(r, xasprintf("%s/mbox", path), NULL, xstrdup(name), 0);
		if (stem < bl && rd_is_dir(dir)) {
			char *rel = xasprintf("%s/", name);

			rd_walk(r, dir, rel, rel, 1);
			free(rel);
		}
		free(dir);
		free(name);
	} else if (S_ISDIR(st.st_mode)) {
		rd_walk(r, path, "", "", 0);
		if (r->nfiles == 1 && r->files[0].err != 0)
			return err_set(&src->err, MS_FATAL, r->files[0].err,
			    "%s", path);
		r->cur = 0;
		return MS_OK;
	} else {
		rd_add(r, xstrdup(path), NULL, rd_file_folder(path), 0);
	}
	r->rb = xmalloc(RD_BUFSZ);

	/* The file the source names must be an mbox file. */
	int st2 = rd_file_open(src, r, &r->files[0]);

	if (st2 == MS_SKIP || st2 == MS_FAILED) {
		/* The same error, made fatal (the text is already there). */
		src->err.code = MS_FATAL;
		return MS_FATAL;
	}
	if (st2 == MS_EOF)
		r->cur = 1;
	return MS_OK;
}

static int
mbox_next(struct source *src, struct msg *m)
{
	struct rd *r = src->data;

	if (r->rb == NULL)
		r->rb = xmalloc(RD_BUFSZ);
	for (;;) {
		if (r->fd < 0) {
			if (r->cur >= r->nfiles)
				return MS_EOF;

			int st = rd_file_open(src, r, &r->files[r->cur]);

			r->fchecked = 0;
			if (st == MS_EOF || st == MS_SKIP) {
				/* Empty, or not an mbox file: skip quietly. */
				err_clear(&src->err);
				r->cur++;
				continue;
			}
			if (st != MS_OK) {
				r->cur++;
				return st;
			}
		}
		if (!r->fchecked && r->next == 0) {
			/* A file an earlier complete run saved whole: skip it. */
			const struct rd_file *f = &r->files[r->cur];
			struct stat sb;

			r->fchecked = 1;
			r->fstamp[0] = '\0';
			if (fstat(r->fd, &sb) == 0)
				snprintf(r->fstamp, sizeof(r->fstamp),
				    "%lld:%lld.%09ld", (long long)sb.st_size,
				    (long long)sb.st_mtim.tv_sec,
				    (long)sb.st_mtim.tv_nsec);
			if (src->file_saved != NULL && r->fstamp[0] &&
			    src->file_saved(src->saved_arg,
			    f->rel != NULL ? f->rel : "", r->fstamp)) {
				rd_file_close(r);
				r->cur++;
				continue;
			}
		}
		if (r->broken) {
			const char *p = r->files[r->cur].path;

			rd_file_close(r);
			r->cur++;
			return err_set(&src->err, MS_FAILED, 0,
			    "%s: the rest of the file was skipped after a "
			    "read error", p);
		} else if (r->in_msg) {
			if (rd_skip_rest(r) < 0) {
				int e = errno;
				const char *p = r->files[r->cur].path;

				rd_file_close(r);
				r->cur++;
				return err_set(&src->err, MS_FAILED, e,
				    "read %s", p);
			}
			r->in_msg = 0;
		}
		if (r->next < 0) {
			/* The end of the file: every message was yielded. */
			const struct rd_file *f = &r->files[r->cur];

			if (src->file_done != NULL && r->fstamp[0])
				src->file_done(src->saved_arg,
				    f->rel != NULL ? f->rel : "", r->fstamp);
			rd_file_close(r);
			r->cur++;
			continue;
		}

		int st = rd_start(src, r, m);

		if (st != MS_OK) {
			rd_file_close(r);
			r->cur++;
		}
		return st;
	}
}

static int
mbox_read(struct source *src, void *buf, size_t len, size_t *got)
{
	struct rd *r = src->data;
	char *out = buf;
	size_t n = 0;

	*got = 0;
	if (r->fd < 0 || !r->in_msg)
		return MS_OK;
	while (n < len) {
		ssize_t k;

		if (r->st_off < r->st_len) {
			size_t c = r->st_len - r->st_off;

			if (c > len - n)
				c = len - n;
			memcpy(out + n, r->stage + r->st_off, c);
			r->st_off += c;
			n += c;
			continue;
		}
		if (len - n < 16) {
			k = rd_produce(r, r->stage, sizeof(r->stage));
			if (k > 0) {
				r->st_off = 0;
				r->st_len = (size_t)k;
				continue;
			}
		} else {
			k = rd_produce(r, out + n, len - n);
			if (k > 0) {
				n += (size_t)k;
				continue;
			}
		}
		if (k < 0) {
			r->broken = 1;
			*got = 0;
			return err_set(&src->err, MS_SKIP, errno, "read %s",
			    r->files[r->cur].path);
		}
		break;
	}
	*got = n;
	return MS_OK;
}

const struct source_ops mbox_source = {
	.name = "mbox",
	.prefix = "mbox:",
	.probe = mbox_probe,
	.open = mbox_open,
	.next = mbox_next,
	.read = mbox_read,
	.folders = NULL,
	.close = mbox_close,
};
