/*
 * The archive writer: the tree a directory writer makes (mbox, eml or
 * maildir layout, formats/layout.h), written into one libarchive archive
 * chosen by DEST's name (.zip .tar .tar.gz .tgz .tar.zst .tar.xz).  Tar
 * entries are POSIX pax (restricted), so long UTF-8 names survive.
 *
 * An archive entry needs its size and its name before its data, and the
 * name depends on the SHA-256 known only at end(), so every message is
 * spooled: the first SPOOL_MEM bytes in memory, the rest in an unlinked
 * temporary file next to DEST (not in /tmp, often a RAM disk).  Memory
 * stays bounded whatever the message size.  In the mbox layout each folder
 * is one entry that grows message by message; since an archive cannot
 * append to an entry, the mboxrd text of every folder goes into one
 * unlinked spool file as ranges, and the folder entries are written at
 * close().
 *
 * Durability: the archive is written to "DEST.partial" (mode 0600) and
 * close() finishes and fsyncs it.  There is no checkpoint: nothing is
 * durable before close(), so the pipeline commits no index rows until
 * then.  Without an index close() then renames it to DEST; with one, the
 * caller commits the index first and then publishes it
 * (sink_archive_publish()), and a run killed in between finds a complete
 * DEST.partial of a committed volume and publishes it.  After a fatal
 * sink error close() removes DEST.partial, so no DEST ever pretends to be
 * complete.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "formats.h"
#include "hash.h"
#include "layout.h"
#include "mbox_common.h"
#include "path.h"
#include "pipeline.h"
#include "xalloc.h"
#include "zstdpipe.h"

#define SPOOL_MEM	(1024 * 1024)	/* message bytes kept in RAM */
#define ARC_CHUNK	(64 * 1024)	/* copy buffer, spool to archive */
#define ARC_ZSTD_LEVEL	3		/* zstd's own default, as tar --zstd */

enum arc_layout { ARC_EML, ARC_MAILDIR, ARC_MBOX };

/*
 * A set of names, kept as 64-bit hashes (not the names: a few bytes per
 * message), each with a 64-bit value: for message entries a fingerprint of
 * the SHA-256 of the bytes stored under that name.  Open addressing; key 0
 * marks a free slot.  Two different names share a hash with odds about
 * n^2 / 2^65.
 */
struct arc_set {
	uint64_t *key;		/* owned */
	uint64_t *val;		/* owned */
	size_t cap;		/* a power of two, or 0 */
	size_t len;
};

/* A range of the mbox spool file that belongs to one folder. */
struct arc_seg {
	int64_t off;
	int64_t len;
};

/* One folder of the mbox layout: an entry written at close(). */
struct arc_folder {
	char *path;		/* owned: entry path, "Archive/2024.mbox" */
	struct arc_seg *seg;	/* owned: its text, in spool order */
	size_t nseg;
	size_t segcap;
	int64_t size;		/* bytes of mboxrd text */
	int64_t mtime;		/* newest message date, 0 if none */
};

/*
 * The writer's state, owned by the sink (snk->data) and freed by close().
 * Strings in `m` are borrowed from the source, valid until end()/abort().
 */
struct arc {
	struct archive *a;	/* owned */
	struct archive_entry *entry;	/* owned, reused for every entry */
	enum arc_layout layout;
	int fd;			/* owned: DEST.partial, or -1 */
	struct zpipe *zp;	/* owned: .tar.zst's compressor, or NULL */
	char *partial;		/* owned: "DEST.partial" */
	char *spooldir;		/* owned: where spool files go */
	locale_t utf8;		/* owned: a UTF-8 LC_CTYPE, or 0 */
	int dead;		/* fatal error: discard at close() */
	int publish_later;	/* opts->archive_publish_later */
	int volume;		/* opts->archive_volume: > 1 is a later
				   volume, not created when it stays empty */
	uint64_t written;	/* messages ended and files added */
	int64_t newest;		/* newest message date written, or 0 */
	int in_msg;
	struct msg m;		/* shallow copy of the current message */
	char *iobuf;		/* owned: ARC_CHUNK bytes */
	struct buf path;	/* scratch: entry paths */
	struct buf name;	/* scratch: names from layout.c */
	struct buf dir;		/* scratch: directories */

	/* eml and maildir: the current message's spool. */
	char *mem;		/* owned: SPOOL_MEM bytes, made lazily */
	size_t memlen;
	int spool_fd;		/* owned: unlinked temp file, or -1 */
	int64_t spool_len;	/* bytes beyond mem, in spool_fd */
	struct arc_set names;	/* message entries written */
	struct arc_set dirs;	/* directory entries written */

	/* mbox: every folder's text in one spool file. */
	int mb_fd;		/* owned: unlinked temp file, or -1 */
	int64_t mb_len;		/* bytes in mb_fd */
	int64_t mb_start;	/* where the current message began */
	struct arc_folder *fold;	/* owned, in first-seen order */
	size_t nfold;
	size_t foldcap;
	size_t cur;		/* folder of the current message */
	struct mbox_encoder *enc;	/* owned: the mboxrd encoder */
	struct buf out;		/* encoder output, flushed to mb_fd */
	struct hash stored;	/* SHA-256 of the message's mbox text */
};

/* 64-bit FNV-1a with a final mix; never 0 (0 marks a free slot). */
static uint64_t
arc_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

/* Whether NAME is in the set; its value goes to *val (may be NULL). */
static int
set_get(const struct arc_set *set, const char *name, uint64_t *val)
{
	uint64_t h = arc_hash(name);

	if (set->cap == 0)
		return 0;
	for (size_t i = h & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (set->key[i] == 0)
			return 0;
		if (set->key[i] == h) {
			if (val != NULL)
				*val = set->val[i];
			return 1;
		}
	}
}

static void
set_put_hash(struct arc_set *set, uint64_t h, uint64_t val)
{
	size_t i = h & (set->cap - 1);

	while (set->key[i] != 0 && set->key[i] != h)
		i = (i + 1) & (set->cap - 1);
	if (set->key[i] == 0)
		set->len++;
	set->key[i] = h;
	set->val[i] = val;
}

static void
set_add(struct arc_set *set, const char *name, uint64_t val)
{
	if (2 * (set->len + 1) > set->cap) {
		struct arc_set bigger = {
			.cap = set->cap ? 2 * set->cap : 256,
		};

		bigger.key = xcalloc(bigger.cap, sizeof(uint64_t));
		bigger.val = xcalloc(bigger.cap, sizeof(uint64_t));
		for (size_t i = 0; i < set->cap; i++)
			if (set->key[i] != 0)
				set_put_hash(&bigger, set->key[i],
				    set->val[i]);
		free(set->key);
		free(set->val);
		*set = bigger;
	}
	set_put_hash(set, arc_hash(name), val);
}

static void
set_release(struct arc_set *set)
{
	free(set->key);
	free(set->val);
	memset(set, 0, sizeof(*set));
}

/* 64 bits of a SHA-256 the names do not show (they hold its start). */
static uint64_t
sha_print(const unsigned char sha[32])
{
	uint64_t v = 0;

	for (size_t i = 24; i < 32; i++)
		v = v << 8 | sha[i];
	return v;
}

/*
 * libarchive converts names through the current locale's character set,
 * and in the C locale a non-ASCII name either loses its UTF-8 marking (zip)
 * or makes the pax writer fail.  Every libarchive call therefore runs with
 * a UTF-8 LC_CTYPE for this thread (uselocale), so names pass through as
 * the UTF-8 they are.
 */
static locale_t
arc_utf8_locale(void)
{
	static const char *const names[] = {
		"C.UTF-8", "C.utf8", "en_US.UTF-8", "UTF-8", NULL
	};

	for (size_t i = 0; names[i] != NULL; i++) {
		locale_t l = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);

		if (l != (locale_t)0)
			return l;
	}
	return (locale_t)0;
}

static locale_t
arc_enter(struct arc *st)
{
	return st->utf8 != (locale_t)0 ? uselocale(st->utf8) : (locale_t)0;
}

static void
arc_leave(struct arc *st, locale_t old)
{
	if (st->utf8 != (locale_t)0)
		uselocale(old);
}

/*
 * Record a fatal error in libarchive's own words, with the system's when
 * libarchive kept an errno ("Write error: No space left on device").  Its
 * pseudo codes for format and programming errors (EILSEQ, EINVAL, -1) add
 * nothing and are left out.
 */
static int
arc_fail(struct sink *snk, struct arc *st, const char *what)
{
	const char *why = archive_error_string(st->a);
	int e = archive_errno(st->a);

	if (e == EILSEQ || e == EINVAL || e < 0)
		e = 0;
	st->dead = 1;
	return err_set(&snk->err, MS_FATAL, e, "%s: %s: %s", snk->dest, what,
	    why != NULL ? why : "unknown libarchive error");
}

/* Record a fatal system error about the spool or DEST. */
static int
arc_sysfail(struct sink *snk, struct arc *st, int e, const char *what,
    const char *file)
{
	st->dead = 1;
	return err_set(&snk->err, MS_FATAL, e, "%s %s", what, file);
}

/*
 * Create an unlinked temporary file in the spool directory.  Returns the
 * descriptor or -1 with errno set.
 */
static int
arc_tempfile(const struct arc *st)
{
	char *tmpl = xasprintf("%s/.mailsave-spool.XXXXXX", st->spooldir);
	int fd = mkstemp(tmpl);
	int e = errno;

	if (fd >= 0 && unlink(tmpl) != 0) {
		e = errno;
		close(fd);
		fd = -1;
	}
	free(tmpl);
	errno = e;
	return fd;
}

/* Write all of buf at offset off; returns 0 or -1 with errno set. */
static int
arc_pwrite_all(int fd, const char *p, size_t n, int64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/*
 * Write one entry header: a regular file (mode 0600, `size` bytes) or a
 * directory (mode 0700), owner names left empty.  Returns MS_OK, MS_SKIP
 * (libarchive refused this entry but the archive is fine) or MS_FATAL.
 */
static int
arc_header(struct sink *snk, struct arc *st, const char *path, int is_dir,
    int64_t size, int64_t mtime)
{
	struct archive_entry *e = st->entry;
	locale_t old = arc_enter(st);
	int r;

	archive_entry_clear(e);
	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, is_dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, is_dir ? 0700 : 0600);
	archive_entry_set_size(e, is_dir ? 0 : size);
	archive_entry_set_mtime(e, mtime > 0 ? (time_t)mtime : 0, 0);
	r = archive_write_header(st->a, e);
	arc_leave(st, old);
	if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
		return MS_OK;
	if (r == ARCHIVE_FAILED) {
		const char *why = archive_error_string(st->a);

		return err_set(&snk->err, MS_SKIP, 0, "%s: %s: %s", snk->dest,
		    path, why != NULL ? why : "entry refused by libarchive");
	}
	return arc_fail(snk, st, path);
}

static int
arc_data(struct sink *snk, struct arc *st, const char *p, size_t n)
{
	locale_t old = arc_enter(st);
	int r = MS_OK;

	while (n > 0) {
		la_ssize_t w = archive_write_data(st->a, p, n);

		if (w <= 0) {
			r = w < 0 ? arc_fail(snk, st, "write") :
			    err_set(&snk->err, MS_FATAL, 0, "%s: libarchive "
			    "accepted no data for the entry", snk->dest);
			st->dead = 1;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	arc_leave(st, old);
	return r;
}

/* Copy len bytes from fd at off into the current entry. */
static int
arc_data_fd(struct sink *snk, struct arc *st, int fd, int64_t off,
    int64_t len)
{
	while (len > 0) {
		size_t want = len > ARC_CHUNK ? ARC_CHUNK : (size_t)len;
		ssize_t got = pread(fd, st->iobuf, want, (off_t)off);
		int r;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return arc_sysfail(snk, st, got < 0 ? errno : EIO,
			    "read the spool file for", snk->dest);
		if ((r = arc_data(snk, st, st->iobuf, (size_t)got)) != MS_OK)
			return r;
		off += got;
		len -= got;
	}
	return MS_OK;
}

static int
arc_finish(struct sink *snk, struct arc *st)
{
	locale_t old = arc_enter(st);
	int r = archive_write_finish_entry(st->a);

	arc_leave(st, old);
	if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
		return MS_OK;
	return arc_fail(snk, st, "finish entry");
}

/* A directory entry for PATH unless one was written already. */
static int
arc_dir(struct sink *snk, struct arc *st, const char *path, int64_t mtime)
{
	int r;

	if (set_get(&st->dirs, path, NULL))
		return MS_OK;
	if ((r = arc_header(snk, st, path, 1, 0, mtime)) != MS_OK)
		return r == MS_SKIP ? MS_OK : r;
	if ((r = arc_finish(snk, st)) != MS_OK)
		return r;
	set_add(&st->dirs, path, 0);
	return MS_OK;
}

/* Directory entries for REL and each of its parents ("A", "A/B"). */
static int
arc_dirs(struct sink *snk, struct arc *st, const char *rel, int64_t mtime)
{
	struct buf d = BUF_INIT;
	int r = MS_OK;

	for (const char *p = rel; r == MS_OK && *p != '\0'; p++) {
		if (*p != '/' || p == rel)
			continue;
		buf_reset(&d);
		buf_add(&d, rel, (size_t)(p - rel));
		r = arc_dir(snk, st, d.s, mtime);
	}
	if (r == MS_OK && *rel != '\0')
		r = arc_dir(snk, st, rel, mtime);
	buf_release(&d);
	return r;
}

/* An empty regular file entry (the Maildir++ "maildirfolder" marker). */
static int
arc_empty_file(struct sink *snk, struct arc *st, const char *path,
    int64_t mtime)
{
	int r;

	if ((r = arc_header(snk, st, path, 0, 0, mtime)) != MS_OK)
		return r;
	return arc_finish(snk, st);
}

/*
 * What the Maildir writer makes for a folder: the folder directory with
 * cur/, new/ and tmp/, and in a subfolder (DIR not "", the root is INBOX)
 * an empty "maildirfolder" file, as Maildir++ requires.
 */
static int
arc_maildir_dirs(struct sink *snk, struct arc *st, const char *dir,
    int64_t mtime)
{
	static const char *const subs[] = { "cur", "new", "tmp", NULL };
	struct buf d = BUF_INIT;
	int r = MS_OK, fresh;

	buf_addf(&d, "%s/cur", dir);
	fresh = *dir != '\0' && !set_get(&st->dirs, d.s, NULL);
	if (*dir != '\0')
		r = arc_dirs(snk, st, dir, mtime);
	for (size_t i = 0; r == MS_OK && subs[i] != NULL; i++) {
		buf_reset(&d);
		if (*dir != '\0')
			buf_addf(&d, "%s/", dir);
		buf_adds(&d, subs[i]);
		r = arc_dir(snk, st, d.s, mtime);
	}
	if (r == MS_OK && fresh) {
		buf_reset(&d);
		buf_addf(&d, "%s/maildirfolder", dir);
		r = arc_empty_file(snk, st, d.s, mtime);
		if (r == MS_SKIP)
			r = MS_OK;
	}
	buf_release(&d);
	return r;
}

/* ---- eml and maildir: one entry per message ---- */

static void
spool_reset(struct arc *st)
{
	st->memlen = 0;
	if (st->spool_len > 0) {
		/*
		 * Give the disk space back now.  A failure only costs space:
		 * the next message is written from offset 0 all the same.
		 */
		(void)!ftruncate(st->spool_fd, 0);
		st->spool_len = 0;
	}
}

static int
spool_write(struct sink *snk, struct arc *st, const char *p, size_t n)
{
	if (st->mem == NULL)
		st->mem = xmalloc(SPOOL_MEM);
	if (st->memlen < SPOOL_MEM) {
		size_t take = SPOOL_MEM - st->memlen;

		if (take > n)
			take = n;
		memcpy(st->mem + st->memlen, p, take);
		st->memlen += take;
		p += take;
		n -= take;
	}
	if (n == 0)
		return MS_OK;
	if (st->spool_fd < 0 && (st->spool_fd = arc_tempfile(st)) < 0)
		return arc_sysfail(snk, st, errno, "create a spool file in",
		    st->spooldir);
	if (arc_pwrite_all(st->spool_fd, p, n, st->spool_len) != 0)
		return arc_sysfail(snk, st, errno, "write the spool file in",
		    st->spooldir);
	st->spool_len += (int64_t)n;
	return MS_OK;
}

/*
 * The entry path for the current message, chosen as the directory writer
 * does (write_eml.c): the layout's name with n = 1, 2, ... until free; a
 * name already holding these very bytes (same SHA-256) is adopted instead
 * of storing a copy.  Sets *adopt when it was.
 */
static int
msg_path(struct sink *snk, struct arc *st, const unsigned char sha[32],
    int64_t mtime, int *adopt)
{
	uint64_t print = sha_print(sha), had;
	int r;

	buf_reset(&st->dir);
	if (st->layout == ARC_EML) {
		layout_eml_dir(&st->dir, st->m.folder);
		if ((r = arc_dirs(snk, st, st->dir.s, mtime)) != MS_OK)
			return r;
		buf_addc(&st->dir, '/');
	} else {
		layout_maildir_dir(&st->dir, st->m.folder);
		if ((r = arc_maildir_dirs(snk, st, st->dir.s, mtime)) != MS_OK)
			return r;
		if (st->dir.len > 0)
			buf_addc(&st->dir, '/');
		buf_adds(&st->dir, "cur/");
	}
	*adopt = 0;
	for (unsigned n = 1;; n++) {
		buf_reset(&st->name);
		if (st->layout == ARC_EML)
			layout_eml_name(&st->name, &st->m, sha, n);
		else
			layout_maildir_name(&st->name, &st->m, sha, n);
		buf_reset(&st->path);
		buf_add(&st->path, st->dir.s, st->dir.len);
		buf_add(&st->path, st->name.s, st->name.len);
		if (!set_get(&st->names, st->path.s, &had))
			return MS_OK;
		if (had == print) {
			*adopt = 1;
			return MS_OK;
		}
	}
}

static int
msg_end(struct sink *snk, struct arc *st, const unsigned char sha[32])
{
	int64_t size = (int64_t)st->memlen + st->spool_len;
	int64_t mtime = msg_best_date(&st->m);
	int r, adopt;

	if ((r = msg_path(snk, st, sha, mtime, &adopt)) != MS_OK)
		return r;
	if (!adopt) {
		if ((r = arc_header(snk, st, st->path.s, 0, size, mtime)) !=
		    MS_OK)
			return r;
		if ((r = arc_data(snk, st, st->mem, st->memlen)) != MS_OK)
			return r;
		if (st->spool_len > 0 && (r = arc_data_fd(snk, st,
		    st->spool_fd, 0, st->spool_len)) != MS_OK)
			return r;
		if ((r = arc_finish(snk, st)) != MS_OK)
			return r;
		set_add(&st->names, st->path.s, sha_print(sha));
	}
	buf_reset(&snk->ref.file);
	buf_add(&snk->ref.file, st->path.s, st->path.len);
	snk->ref.offset = 0;
	snk->ref.length = size;
	snk->ref.has_stored_sha = 0;
	spool_reset(st);
	st->written++;
	if (mtime > st->newest)
		st->newest = mtime;
	return MS_OK;
}

/* ---- mbox: one entry per folder, written at close() ---- */

/*
 * The mboxrd encoding of one message is mbox_common.c's mbox_encoder, the
 * one the mbox writer uses, so an archive's mbox entries hold exactly the
 * bytes of a directory export.  These wrappers feed it into a struct buf.
 */
static void
mbox_enc_begin(struct mbox_encoder *e, const struct msg *m, struct buf *out)
{
	mbox_encoder_begin(e, m, out);
}

static void
mbox_enc_write(struct mbox_encoder *e, const char *p, size_t len,
    struct buf *out)
{
	while (len > 0) {
		size_t used, room = len + MBOX_QUOTE_SLACK;

		buf_grow(out, room);
		out->len += mbox_encoder_run(e, p, len, &used,
		    out->s + out->len, room);
		out->s[out->len] = '\0';
		p += used;
		len -= used;
	}
}

static void
mbox_enc_end(struct mbox_encoder *e, struct buf *out)
{
	buf_grow(out, MBOX_QUOTE_SLACK + 8);
	out->len += mbox_encoder_finish(e, out->s + out->len,
	    MBOX_QUOTE_SLACK + 8);
	out->s[out->len] = '\0';
}

static int
mb_flush(struct sink *snk, struct arc *st)
{
	if (st->out.len == 0)
		return MS_OK;
	if (arc_pwrite_all(st->mb_fd, st->out.s, st->out.len, st->mb_len) != 0)
		return arc_sysfail(snk, st, errno, "write the mbox spool "
		    "file in", st->spooldir);
	hash_update(&st->stored, st->out.s, st->out.len);
	st->mb_len += (int64_t)st->out.len;
	buf_reset(&st->out);
	return MS_OK;
}

static int
mb_begin(struct sink *snk, struct arc *st)
{
	buf_reset(&st->path);
	layout_mbox_path(&st->path, st->m.folder != NULL &&
	    *st->m.folder != '\0' ? st->m.folder : "INBOX");
	if (st->nfold == 0 ||
	    strcmp(st->fold[st->cur].path, st->path.s) != 0) {
		size_t i;

		for (i = 0; i < st->nfold; i++)
			if (strcmp(st->fold[i].path, st->path.s) == 0)
				break;
		if (i == st->nfold) {
			if (st->nfold == st->foldcap) {
				st->foldcap = st->foldcap ?
				    2 * st->foldcap : 16;
				st->fold = xrealloc(st->fold,
				    st->foldcap * sizeof(*st->fold));
			}
			st->fold[i] = (struct arc_folder){
				.path = xstrdup(st->path.s),
			};
			st->nfold++;
		}
		st->cur = i;
	}
	if (st->mb_fd < 0 && (st->mb_fd = arc_tempfile(st)) < 0)
		return arc_sysfail(snk, st, errno, "create a spool file in",
		    st->spooldir);
	st->mb_start = st->mb_len;
	buf_reset(&st->out);
	hash_begin(&st->stored);
	mbox_enc_begin(st->enc, &st->m, &st->out);
	return MS_OK;
}

static int
mb_write(struct sink *snk, struct arc *st, const char *p, size_t n)
{
	mbox_enc_write(st->enc, p, n, &st->out);
	if (st->out.len >= ARC_CHUNK)
		return mb_flush(snk, st);
	return MS_OK;
}

static int
mb_end(struct sink *snk, struct arc *st)
{
	struct arc_folder *f = &st->fold[st->cur];
	int64_t date = msg_best_date(&st->m);
	int64_t len;
	int r;

	mbox_enc_end(st->enc, &st->out);
	if ((r = mb_flush(snk, st)) != MS_OK)
		return r;
	len = st->mb_len - st->mb_start;
	if (f->nseg > 0 && f->seg[f->nseg - 1].off + f->seg[f->nseg - 1].len ==
	    st->mb_start) {
		f->seg[f->nseg - 1].len += len;
	} else {
		if (f->nseg == f->segcap) {
			f->segcap = f->segcap ? 2 * f->segcap : 4;
			f->seg = xrealloc(f->seg, f->segcap * sizeof(*f->seg));
		}
		f->seg[f->nseg++] = (struct arc_seg){
			.off = st->mb_start,
			.len = len,
		};
	}
	/* The stored bytes are not the source's: say what they hash to. */
	buf_reset(&snk->ref.file);
	buf_adds(&snk->ref.file, f->path);
	snk->ref.offset = f->size;
	snk->ref.length = len;
	hash_final(&st->stored, snk->ref.stored_sha256);
	snk->ref.has_stored_sha = 1;
	f->size += len;
	st->written++;
	if (date > f->mtime)
		f->mtime = date;
	if (date > st->newest)
		st->newest = date;
	return MS_OK;
}

/* Drop the current message's text from the spool. */
static void
mb_abort(struct arc *st)
{
	buf_reset(&st->out);
	if (st->mb_len > st->mb_start) {
		/*
		 * The spool is written at explicit offsets and read by
		 * ranges, so the dropped bytes are simply overwritten: a
		 * failed truncation only costs disk space for a while.
		 */
		(void)!ftruncate(st->mb_fd, (off_t)st->mb_start);
		st->mb_len = st->mb_start;
	}
}

/* Write every folder's mbox entry (at close). */
static int
mb_emit(struct sink *snk, struct arc *st)
{
	int r;

	for (size_t i = 0; i < st->nfold; i++) {
		struct arc_folder *f = &st->fold[i];
		const char *slash = strrchr(f->path, '/');

		if (slash != NULL) {
			buf_reset(&st->dir);
			buf_add(&st->dir, f->path, (size_t)(slash - f->path));
			r = arc_dirs(snk, st, st->dir.s, f->mtime);
			if (r != MS_OK)
				return r;
		}
		r = arc_header(snk, st, f->path, 0, f->size, f->mtime);
		if (r != MS_OK) {
			/* A refused folder entry is as bad as any other. */
			st->dead = 1;
			snk->err.code = MS_FATAL;
			return MS_FATAL;
		}
		for (size_t k = 0; k < f->nseg; k++)
			if ((r = arc_data_fd(snk, st, st->mb_fd, f->seg[k].off,
			    f->seg[k].len)) != MS_OK)
				return r;
		if ((r = arc_finish(snk, st)) != MS_OK)
			return r;
	}
	return MS_OK;
}

/* ---- the sink operations ---- */

/*
 * Pick the archive format and filter from DEST's name through libarchive's
 * own table.  libarchive 3.6 knows no ".tar.zst" there, so that one is
 * spelt out; any tar format is made restricted pax (long UTF-8 names).
 */
static int
arc_is_zstd(const char *dest)
{
	size_t n = strlen(dest);

	return (n > 8 && strcmp(dest + n - 8, ".tar.zst") == 0) ||
	    (n > 5 && strcmp(dest + n - 5, ".tzst") == 0);
}

/*
 * A .tar.zst is a plain tar for libarchive: zstd runs on a thread of its
 * own (zstdpipe.c) behind arc_zwrite().
 */
static int
arc_set_format(struct archive *a, const char *dest)
{
	size_t n = strlen(dest);
	int r;

	if (arc_is_zstd(dest))
		return archive_write_set_format_pax_restricted(a);
	r = archive_write_set_format_filter_by_ext(a, dest);
	if (r != ARCHIVE_OK)
		return r;
	/*
	 * xz's default level needs about 100 MB to compress; level 3 keeps
	 * the whole process under 64 MB whatever the message sizes.
	 */
	if (n > 3 && strcmp(dest + n - 3, ".xz") == 0 &&
	    archive_write_set_filter_option(a, "xz", "compression-level",
	    "3") != ARCHIVE_OK)
		return ARCHIVE_FATAL;
	if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
	    ARCHIVE_FORMAT_TAR &&
	    archive_format(a) != ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
		return archive_write_set_format_pax_restricted(a);
	return ARCHIVE_OK;
}

static void
arc_free(struct sink *snk, struct arc *st)
{
	if (st->a != NULL) {
		/*
		 * Only archive_write_close() releases libarchive's filter
		 * buffers.  When the archive is being discarded its trailer
		 * goes into a file that is unlinked already.
		 */
		if (st->fd >= 0)
			(void)archive_write_close(st->a);
		archive_write_free(st->a);
	}
	zpipe_free(st->zp);
	if (st->entry != NULL)
		archive_entry_free(st->entry);
	if (st->fd >= 0)
		close(st->fd);
	if (st->spool_fd >= 0)
		close(st->spool_fd);
	if (st->mb_fd >= 0)
		close(st->mb_fd);
	if (st->utf8 != (locale_t)0)
		freelocale(st->utf8);
	for (size_t i = 0; i < st->nfold; i++) {
		free(st->fold[i].path);
		free(st->fold[i].seg);
	}
	free(st->fold);
	if (st->enc != NULL) {
		mbox_encoder_release(st->enc);
		hash_release(&st->stored);
	}
	free(st->enc);
	set_release(&st->names);
	set_release(&st->dirs);
	buf_release(&st->path);
	buf_release(&st->name);
	buf_release(&st->dir);
	buf_release(&st->out);
	free(st->mem);
	free(st->iobuf);
	free(st->partial);
	free(st->spooldir);
	free(st);
	snk->data = NULL;
}

/* Remove DEST.partial and free everything: nothing of it is kept. */
static void
arc_discard(struct sink *snk, struct arc *st)
{
	if (st->partial != NULL && st->fd >= 0)
		unlink(st->partial);
	arc_free(snk, st);
}

/* libarchive's write callback for a .tar.zst: queue for the compressor. */
static la_ssize_t
arc_zwrite(struct archive *a, void *arg, const void *p, size_t n)
{
	struct arc *st = arg;
	const char *what = "write";
	int e = zpipe_write(st->zp, p, n, &what);

	if (e != 0) {
		/* arc_fail() adds strerror(e) through archive_errno(). */
		archive_set_error(a, e, "%s %s", what, st->partial);
		return -1;
	}
	return (la_ssize_t)n;
}

static int
archive_open(struct sink *snk, const char *dest, const struct opts *o)
{
	const char *layout = o != NULL && o->layout != NULL ?
	    o->layout : "eml";
	const char *slash = strrchr(dest, '/');
	struct arc *st;
	struct stat sb;
	locale_t old;
	int r;

	if (lstat(dest, &sb) == 0)
		return err_set(&snk->err, MS_FATAL, 0, "%s already exists; "
		    "mailsave never overwrites an archive", dest);
	if (errno != ENOENT)
		return err_set(&snk->err, MS_FATAL, errno, "%s", dest);

	st = xcalloc(1, sizeof(*st));
	st->fd = st->spool_fd = st->mb_fd = -1;
	if (strcmp(layout, "eml") == 0) {
		st->layout = ARC_EML;
	} else if (strcmp(layout, "maildir") == 0) {
		st->layout = ARC_MAILDIR;
	} else if (strcmp(layout, "mbox") == 0) {
		st->layout = ARC_MBOX;
		st->enc = xcalloc(1, sizeof(*st->enc));
		mbox_encoder_init(st->enc);
		hash_init(&st->stored);
	} else {
		free(st);
		return err_set(&snk->err, MS_FATAL, 0, "unknown archive "
		    "layout '%s' (use mbox, eml or maildir)", layout);
	}
	snk->data = st;
	st->volume = o != NULL ? o->archive_volume : 0;
	st->publish_later = o != NULL && o->archive_publish_later;
	buf_init(&st->path);
	buf_init(&st->name);
	buf_init(&st->dir);
	buf_init(&st->out);
	st->iobuf = xmalloc(ARC_CHUNK);
	st->partial = xasprintf("%s.partial", dest);
	if (slash == NULL)
		st->spooldir = xstrdup(".");
	else if (slash == dest)
		st->spooldir = xstrdup("/");
	else
		st->spooldir = xstrndup(dest, (size_t)(slash - dest));
	st->utf8 = arc_utf8_locale();

	old = arc_enter(st);
	st->a = archive_write_new();
	st->entry = archive_entry_new();
	if (st->a == NULL || st->entry == NULL) {
		arc_leave(st, old);
		err_set(&snk->err, MS_FATAL, ENOMEM, "%s", dest);
		arc_free(snk, st);
		return MS_FATAL;
	}
	r = arc_set_format(st->a, dest);
	if (r == ARCHIVE_OK && st->utf8 == (locale_t)0 &&
	    (archive_format(st->a) & ARCHIVE_FORMAT_BASE_MASK) ==
	    ARCHIVE_FORMAT_TAR)
		/* No UTF-8 locale at all: store the names' bytes as is. */
		r = archive_write_set_format_option(st->a, NULL, "hdrcharset",
		    "BINARY");
	arc_leave(st, old);
	if (r != ARCHIVE_OK) {
		arc_fail(snk, st, "cannot choose the archive format");
		arc_free(snk, st);
		return MS_FATAL;
	}

	st->fd = open(st->partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (st->fd < 0) {
		int e = errno;

		if (e == EEXIST)
			err_set(&snk->err, MS_FATAL, 0, "%s exists (left "
			    "by an interrupted run, or another mailsave is "
			    "writing it); remove it first", st->partial);
		else
			err_set(&snk->err, MS_FATAL, e, "cannot create %s",
			    st->partial);
		arc_free(snk, st);
		return MS_FATAL;
	}
	if (fchmod(st->fd, 0600) != 0) {
		err_set(&snk->err, MS_FATAL, errno, "chmod %s", st->partial);
		arc_discard(snk, st);
		return MS_FATAL;
	}
	if (arc_is_zstd(dest) &&
	    (st->zp = zpipe_start(st->fd, ARC_ZSTD_LEVEL)) == NULL) {
		err_set(&snk->err, MS_FATAL, errno, "cannot start the zstd "
		    "compressor for %s", dest);
		arc_discard(snk, st);
		return MS_FATAL;
	}
	old = arc_enter(st);
	if (st->zp != NULL)
		r = archive_write_open(st->a, st, NULL, arc_zwrite, NULL);
	else
		r = archive_write_open_fd(st->a, st->fd);
	arc_leave(st, old);
	if (r != ARCHIVE_OK) {
		arc_fail(snk, st, "cannot start the archive");
		arc_discard(snk, st);
		return MS_FATAL;
	}
	/* The Maildir root is INBOX and a Maildir even when it stays empty. */
	if (st->layout == ARC_MAILDIR &&
	    arc_maildir_dirs(snk, st, "", 0) != MS_OK) {
		snk->err.code = MS_FATAL;
		arc_discard(snk, st);
		return MS_FATAL;
	}
	return MS_OK;
}

static int
archive_begin(struct sink *snk, const struct msg *m)
{
	struct arc *st = snk->data;

	if (st->dead)
		return err_set(&snk->err, MS_FATAL, 0, "%s: the archive is "
		    "unusable after an earlier error", snk->dest);
	st->m = *m;
	st->in_msg = 1;
	if (st->layout == ARC_MBOX)
		return mb_begin(snk, st);
	spool_reset(st);
	return MS_OK;
}

static int
archive_write(struct sink *snk, const void *buf, size_t len)
{
	struct arc *st = snk->data;

	if (st->layout == ARC_MBOX)
		return mb_write(snk, st, buf, len);
	return spool_write(snk, st, buf, len);
}

static int
archive_end(struct sink *snk, const unsigned char sha256[32])
{
	struct arc *st = snk->data;
	int r;

	if (st->layout == ARC_MBOX)
		r = mb_end(snk, st);
	else
		r = msg_end(snk, st, sha256);
	if (r == MS_OK)
		st->in_msg = 0;
	return r;
}

static void
archive_abort(struct sink *snk)
{
	struct arc *st = snk->data;

	if (st == NULL || !st->in_msg)
		return;
	st->in_msg = 0;
	if (st->layout == ARC_MBOX)
		mb_abort(st);
	else
		spool_reset(st);
}

/*
 * Put the finished file PATH into the archive as NAME (the manifest),
 * mode 0600.  Its mtime is the newest message's date, not the clock, so
 * the same export gives the same archive bytes (the file's own mtime
 * when no message had a date).  MS_FAILED when PATH cannot be read
 * (nothing was written: the archive is still whole), MS_FATAL when the
 * archive failed.
 */
static int
archive_add_file(struct sink *snk, const char *name, const char *path)
{
	struct arc *st = snk->data;
	struct stat sb;
	int fd, r;

	if (st->dead)
		return err_set(&snk->err, MS_FATAL, 0, "%s: the archive is "
		    "unusable after an earlier error", snk->dest);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(&snk->err, MS_FAILED, errno, "open %s", path);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = err_set(&snk->err, MS_FAILED, S_ISREG(sb.st_mode) ? errno :
		    EINVAL, "%s", path);
		close(fd);
		return r;
	}
	r = arc_header(snk, st, name, 0, (int64_t)sb.st_size,
	    st->newest > 0 ? st->newest : (int64_t)sb.st_mtime);
	if (r == MS_SKIP)
		r = snk->err.code = MS_FAILED;
	if (r == MS_OK)
		r = arc_data_fd(snk, st, fd, 0, (int64_t)sb.st_size);
	if (r == MS_OK)
		r = arc_finish(snk, st);
	if (r == MS_OK)
		st->written++;
	close(fd);
	return r;
}

/*
 * Move PARTIAL to DEST without ever replacing an existing DEST, then make
 * the move durable.  Returns MS_OK or MS_FATAL with the text in e.
 */
static int
arc_publish(const char *partial, const char *dest, struct err *e)
{
	struct stat sb;

	if (link(partial, dest) == 0) {
		if (unlink(partial) != 0)
			return err_set(e, MS_FATAL, errno, "remove %s "
			    "(%s is complete)", partial, dest);
	} else if (errno == EEXIST || lstat(dest, &sb) == 0) {
		return err_set(e, MS_FATAL, 0, "%s appeared while "
		    "mailsave was writing; the archive was left in %s",
		    dest, partial);
	} else if (rename(partial, dest) != 0) {
		/* No hard links here (FAT, some network file systems). */
		return err_set(e, MS_FATAL, errno, "rename %s to %s",
		    partial, dest);
	}
	if (path_fsync_dir(dest, 0) != 0)
		return err_set(e, MS_FATAL, errno, "fsync the directory "
		    "of %s", dest);
	return MS_OK;
}

int
sink_archive_publish(const char *dest, struct err *e)
{
	char *partial = xasprintf("%s.partial", dest);
	struct stat sb;
	int r = MS_OK;

	if (lstat(partial, &sb) == 0)
		r = arc_publish(partial, dest, e);
	else if (errno != ENOENT)
		r = err_set(e, MS_FATAL, errno, "%s", partial);
	free(partial);
	return r;
}

static int
archive_close(struct sink *snk)
{
	struct arc *st = snk->data;
	locale_t old;
	int r;

	if (st == NULL)
		return MS_OK;
	if (st->in_msg)
		archive_abort(snk);
	if (st->dead || snk->state == SINK_DEAD) {
		/*
		 * After a fatal error the archive is not whole, so it goes;
		 * snk->err still says why (sink_close() keeps it).
		 */
		arc_discard(snk, st);
		return MS_FATAL;
	}
	if (st->volume > 1 && st->written == 0) {
		/* A later volume with nothing new is not made at all. */
		arc_discard(snk, st);
		return MS_OK;
	}
	if (st->layout == ARC_MBOX && (r = mb_emit(snk, st)) != MS_OK)
		goto fail;
	old = arc_enter(st);
	r = archive_write_close(st->a);
	arc_leave(st, old);
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		arc_fail(snk, st, "cannot finish the archive");
		goto fail;
	}
	if (st->zp != NULL) {
		const char *what = "write";

		if ((r = zpipe_finish(st->zp, &what)) != 0) {
			err_set(&snk->err, MS_FATAL, r, "%s %s", what,
			    st->partial);
			goto fail;
		}
	}
	if (fsync(st->fd) != 0) {
		err_set(&snk->err, MS_FATAL, errno, "fsync %s", st->partial);
		goto fail;
	}
	r = close(st->fd);
	st->fd = -1;
	if (r != 0) {
		err_set(&snk->err, MS_FATAL, errno, "close %s", st->partial);
		unlink(st->partial);
		goto fail;
	}
	/* With an index, DEST appears after the index commit (sink.h). */
	r = st->publish_later ? MS_OK :
	    arc_publish(st->partial, snk->dest, &snk->err);
	arc_free(snk, st);
	return r;

fail:
	arc_discard(snk, st);
	return MS_FATAL;
}

const struct sink_ops archive_sink = {
	.name = "archive",
	.flags = SINK_NEEDS_SHA,	/* the SHA-256 is in the names */
	.open = archive_open,
	.begin = archive_begin,
	.write = archive_write,
	.end = archive_end,
	.abort = archive_abort,
	.checkpoint = NULL,
	.close = archive_close,
	.add_file = archive_add_file,
};
