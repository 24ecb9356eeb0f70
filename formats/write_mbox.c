/*
 * The mbox writer: DEST is a directory holding one mboxrd file per folder
 * at layout_mbox_path() ("INBOX.mbox", "Archive/2024.mbox"), appended to.
 *
 * Each message is encoded by mbox_encoder (mbox_common.h; DESIGN.md
 * section 4, "mbox writer"):
 *   From <addr> <asctime UTC, 24 chars>       addr: Return-Path, else
 *                                             From:, else MAILER-DAEMON;
 *                                             date: msg_best_date(), else 0
 *   Status: RO|O                              always
 *   X-Status: AFTD                            when any of those flags
 *   X-Keywords: $Forwarded $Junk ... words    when any
 *   the message, with                         - its own Status, X-Status
 *                                               and X-Keywords fields
 *                                               (with their continuation
 *                                               lines) left out of the
 *                                               header block, never the body
 *                                             - every ^>*From  line given
 *                                               one more '>' (headers too)
 *                                             - CRLF line ends made LF
 *                                             - a final LF added if missing
 *   an empty line
 * So what the mbox reader gives back is the source message with LF line
 * ends, a final LF, and the three flag fields replaced by ours at the top.
 * The sha256 the pipeline hands to end() is that of the source bytes; the
 * SHA-256 of what was stored (From_ line to empty line) goes into
 * ref.stored_sha256 for verify.
 *
 * Files are opened O_APPEND, mode 0600, directories made 0700.  Output goes
 * through one 256 KiB buffer belonging to the file being written; every
 * write(2), fsync and close is checked.  A few files stay open (folders
 * usually come one after the other).  begin() notes the file's length;
 * abort() cuts the file back to it.  checkpoint() makes every file written
 * since the last one durable, and the directories of new files.
 *
 * Resuming: state() lists every file this DEST has had written with its
 * durable length ("mailsave-mbox 1" then "<length>\t<path>" lines), and
 * resume() cuts each back to that length and empties any other .mbox file
 * (one begun after the last checkpoint holds only uncommitted messages).
 */
/* sync_file_range(2) is Linux-only. */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"
#include "hash.h"
#include "layout.h"
#include "mbox_common.h"
#include "path.h"
#include "xalloc.h"

#define WR_BUFSZ	(256 * 1024)
#define WR_FILES	8
#define WR_KICK		(8 << 20)	/* start writeback every 8 MB */

struct wr_file {
	char *rel;		/* owned: path below DEST; NULL when unused */
	int fd;
	int64_t disk;		/* bytes in the file (written with write(2)) */
	int64_t kicked;		/* writeback started up to here */
	int dirty;		/* written since the last checkpoint */
	unsigned long used;	/* LRU stamp */
};

/* A file of DEST and its length at the last checkpoint, for state(). */
struct wr_known {
	char *rel;		/* owned */
	int64_t len;
};

struct wr {
	int dirfd;		/* DEST */
	int dest_new;		/* DEST was created: sync its parent */
	int broken;		/* a failed abort: nothing more is written */
	struct wr_file files[WR_FILES];
	struct wr_file *cur;	/* the file the buffer belongs to */
	char *ob;		/* owned: WR_BUFSZ output buffer */
	size_t olen;
	unsigned long tick;

	/* The message being written. */
	int64_t start;		/* offset of its From_ line */
	struct mbox_encoder enc;
	struct hash stored;	/* of the bytes stored for it (ctx NULL
				   until the first begin() needs it), or: */
	struct digestq *sdq;	/* owned: the same on a thread (digestq.h) */
	struct dq_result sres;	/* its digest when the pipeline waits */
	int hashing;		/* someone will check them (not --no-index) */

	struct wr_known *known;	/* owned: every file written */
	size_t nknown;
	char **syncdirs;	/* owned: directories to fsync (relative) */
	size_t nsync;
	struct buf tmp, rel;
};

/* Write the buffer to the current file. */
static int
wr_flush(struct sink *snk, struct wr *w)
{
	size_t off = 0;

	while (off < w->olen) {
		ssize_t n = write(w->cur->fd, w->ob + off, w->olen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			/*
			 * Take back the part that went out, so the file
			 * holds only whole flushes and abort() can cut it
			 * back to a message boundary.
			 */
			if (off > 0 && ftruncate(w->cur->fd,
			    (off_t)w->cur->disk) != 0)
				w->broken = 1;
			return err_set(&snk->err, MS_FATAL, e, "write %s/%s",
			    snk->dest, w->cur->rel);
		}
		off += (size_t)n;
	}
	w->cur->disk += (int64_t)w->olen;
	if (w->olen > 0)
		w->cur->dirty = 1;
	w->olen = 0;
#ifdef SYNC_FILE_RANGE_WRITE
	/*
	 * Start writing back every few MB without waiting, so the fsync of
	 * the next checkpoint finds little left to do and the disk works
	 * while we read and parse.  A hint: errors are ignored here and
	 * found by fsync.
	 */
	if (w->cur->disk - w->cur->kicked >= WR_KICK) {
		(void)sync_file_range(w->cur->fd, w->cur->kicked,
		    w->cur->disk - w->cur->kicked, SYNC_FILE_RANGE_WRITE);
		w->cur->kicked = w->cur->disk;
	}
#endif
	return MS_OK;
}

/* The known-file entry for rel, added (with length len) when missing. */
static struct wr_known *
wr_known(struct wr *w, const char *rel, int64_t len)
{
	for (size_t i = 0; i < w->nknown; i++)
		if (strcmp(w->known[i].rel, rel) == 0)
			return &w->known[i];
	w->known = xrealloc(w->known, (w->nknown + 1) * sizeof(*w->known));
	w->known[w->nknown] = (struct wr_known){
		.rel = xstrdup(rel), .len = len,
	};
	return &w->known[w->nknown++];
}

static int
wr_fsync_file(struct sink *snk, struct wr *w, struct wr_file *f)
{
	if (f->rel == NULL)
		return MS_OK;
	if (f->dirty) {
		if (fsync(f->fd) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "fsync %s/%s", snk->dest, f->rel);
		f->dirty = 0;
	}
	wr_known(w, f->rel, 0)->len = f->disk;
	return MS_OK;
}

/* Flush (if current), fsync (if dirty) and close one cached file. */
static int
wr_file_close(struct sink *snk, struct wr *w, struct wr_file *f)
{
	int r = MS_OK;

	if (f->rel == NULL)
		return MS_OK;
	if (w->cur == f) {
		r = wr_flush(snk, w);
		w->cur = NULL;
		w->olen = 0;
	}
	if (r == MS_OK)
		r = wr_fsync_file(snk, w, f);
	if (close(f->fd) != 0 && r == MS_OK)
		r = err_set(&snk->err, MS_FATAL, errno, "close %s/%s",
		    snk->dest, f->rel);
	free(f->rel);
	f->rel = NULL;
	f->fd = -1;
	return r;
}

/* Remember the directories from rel's up to DEST, for the checkpoint. */
static void
wr_note_dirs(struct wr *w, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	size_t n = slash != NULL ? (size_t)(slash - rel) : 0;

	for (;;) {
		char *d = n > 0 ? xstrndup(rel, n) : xstrdup(".");
		size_t i;

		for (i = 0; i < w->nsync; i++)
			if (strcmp(w->syncdirs[i], d) == 0)
				break;
		if (i < w->nsync) {
			free(d);
		} else {
			w->syncdirs = xrealloc(w->syncdirs,
			    (w->nsync + 1) * sizeof(*w->syncdirs));
			w->syncdirs[w->nsync++] = d;
		}
		if (n == 0)
			break;
		while (n > 0 && rel[n - 1] != '/')
			n--;
		if (n > 0)
			n--;
	}
}

/* The cached file for rel, opened (and created) when needed. */
static int
wr_get(struct sink *snk, struct wr *w, const char *rel,
    struct wr_file **out)
{
	struct wr_file *f = NULL, *lru = NULL;
	struct stat st;

	for (size_t i = 0; i < WR_FILES; i++) {
		struct wr_file *c = &w->files[i];

		if (c->rel != NULL && strcmp(c->rel, rel) == 0) {
			c->used = ++w->tick;
			*out = c;
			return MS_OK;
		}
		if (c->rel == NULL && f == NULL)
			f = c;
		if (c->rel != NULL && (lru == NULL || c->used < lru->used))
			lru = c;
	}
	if (f == NULL) {
		if (wr_file_close(snk, w, lru) != MS_OK)
			return MS_FATAL;
		f = lru;
	}

	const char *slash = strrchr(rel, '/');

	if (slash != NULL) {
		char *dir = xstrndup(rel, (size_t)(slash - rel));
		int r = path_mkdirs_at(w->dirfd, dir);
		int e = errno;

		free(dir);
		if (r != 0)
			return err_set(&snk->err, MS_FATAL, e, "mkdir %s/%s",
			    snk->dest, rel);
	}
	int created = 1;
	int fd = openat(w->dirfd, rel,
	    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EEXIST) {
		created = 0;
		fd = openat(w->dirfd, rel, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (fd < 0)
		return err_set(&snk->err, MS_FATAL, errno, "open %s/%s",
		    snk->dest, rel);
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return err_set(&snk->err, MS_FATAL, e, "stat %s/%s",
		    snk->dest, rel);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(&snk->err, MS_FATAL, 0,
		    "%s/%s: not a regular file", snk->dest, rel);
	}
	if (created)
		wr_note_dirs(w, rel);
	(void)wr_known(w, rel, (int64_t)st.st_size);
	f->rel = xstrdup(rel);
	f->fd = fd;
	f->disk = (int64_t)st.st_size;
	f->kicked = f->disk;
	f->dirty = created;
	f->used = ++w->tick;
	*out = f;
	return MS_OK;
}

/* Hash stored bytes of the current message. */
static void
wr_hash(struct wr *w, const void *p, size_t n)
{
	if (w->sdq != NULL)
		dq_update(w->sdq, p, n);
	else if (w->hashing)
		hash_update(&w->stored, p, n);
}

/* Append bytes of the current message to the buffer. */
static int
wr_put(struct sink *snk, struct wr *w, const char *p, size_t n)
{
	wr_hash(w, p, n);
	while (n > 0) {
		if (w->olen == WR_BUFSZ && wr_flush(snk, w) != MS_OK)
			return MS_FATAL;

		size_t c = WR_BUFSZ - w->olen;

		if (c > n)
			c = n;
		memcpy(w->ob + w->olen, p, c);
		w->olen += c;
		p += c;
		n -= c;
	}
	return MS_OK;
}

static int
mbox_w_open(struct sink *snk, const char *dest, const struct opts *o)
{
	struct wr *w = xcalloc(1, sizeof(*w));
	struct stat st;

	(void)o;
	snk->data = w;
	w->dirfd = -1;
	buf_init(&w->tmp);
	buf_init(&w->rel);
	mbox_encoder_init(&w->enc);
	w->hashing = !o->no_index;
	for (size_t i = 0; i < WR_FILES; i++)
		w->files[i].fd = -1;
	w->ob = xmalloc(WR_BUFSZ);
	w->dest_new = stat(dest, &st) != 0;
	if (path_mkdirs(dest) != 0)
		return err_set(&snk->err, MS_FATAL, errno, "mkdir %s", dest);
	w->dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		return err_set(&snk->err, MS_FATAL, errno, "open %s", dest);
	return MS_OK;
}

static int
mbox_w_begin(struct sink *snk, const struct msg *m)
{
	struct wr *w = snk->data;
	struct wr_file *f = NULL;

	if (w->broken)
		return err_set(&snk->err, MS_FATAL, 0,
		    "%s: an earlier failure left a file unusable", snk->dest);
	buf_reset(&w->rel);
	layout_mbox_path(&w->rel, m->folder != NULL && *m->folder != '\0' ?
	    m->folder : "INBOX");
	if (wr_get(snk, w, w->rel.s, &f) != MS_OK)
		return MS_FATAL;
	if (w->cur != f) {
		if (w->cur != NULL && wr_flush(snk, w) != MS_OK)
			return MS_FATAL;
		w->cur = f;
	}
	w->start = f->disk + (int64_t)w->olen;
	/*
	 * Chosen at the first message: when the pipeline takes digests
	 * later, the stored bytes are hashed on a thread of their own; else
	 * (or without a thread) each end() computes the digest (a thread
	 * would only add a hand-over per message).
	 */
	if (w->hashing && w->sdq == NULL && w->stored.ctx == NULL &&
	    (!snk->digests_later || (w->sdq = dq_start()) == NULL))
		hash_init(&w->stored);
	if (w->hashing && w->sdq == NULL)
		hash_begin(&w->stored);
	buf_reset(&w->tmp);
	mbox_encoder_begin(&w->enc, m, &w->tmp);
	return wr_put(snk, w, w->tmp.s, w->tmp.len);
}

static int
mbox_w_write(struct sink *snk, const void *buf, size_t len)
{
	struct wr *w = snk->data;
	const char *p = buf;

	while (len > 0) {
		if (WR_BUFSZ - w->olen < MBOX_QUOTE_SLACK &&
		    wr_flush(snk, w) != MS_OK)
			return MS_FATAL;

		size_t used, k;

		k = mbox_encoder_run(&w->enc, p, len, &used, w->ob + w->olen,
		    WR_BUFSZ - w->olen);
		wr_hash(w, w->ob + w->olen, k);
		w->olen += k;
		p += used;
		len -= used;
	}
	return MS_OK;
}

static int
mbox_w_end(struct sink *snk, const unsigned char sha256[32])
{
	struct wr *w = snk->data;
	char tail[MBOX_QUOTE_SLACK];
	size_t k;

	(void)sha256;
	k = mbox_encoder_finish(&w->enc, tail, sizeof(tail));
	if (wr_put(snk, w, tail, k) != MS_OK)
		return MS_FATAL;
	buf_reset(&snk->ref.file);
	buf_adds(&snk->ref.file, w->cur->rel);
	snk->ref.offset = w->start;
	snk->ref.length = w->cur->disk + (int64_t)w->olen - w->start;
	if (w->sdq != NULL && snk->ref.stored_later != NULL) {
		/* The pipeline records the digest when the thread has it. */
		dq_end(w->sdq, snk->ref.stored_later);
		snk->ref.stored_later_given = 1;
	} else if (w->sdq != NULL) {
		dq_end(w->sdq, &w->sres);
		dq_wait(&w->sres);
		memcpy(snk->ref.stored_sha256, w->sres.sha, 32);
		snk->ref.has_stored_sha = 1;
	} else if (w->hashing) {
		hash_final(&w->stored, snk->ref.stored_sha256);
		snk->ref.has_stored_sha = 1;
	}
	return MS_OK;
}

static void
mbox_w_abort(struct sink *snk)
{
	struct wr *w = snk->data;

	if (w == NULL || w->cur == NULL)
		return;
	if (w->sdq != NULL)
		dq_end(w->sdq, NULL);	/* the bytes hashed so far go */
	if (w->start >= w->cur->disk) {
		w->olen = (size_t)(w->start - w->cur->disk);
		return;
	}
	w->olen = 0;
	if (ftruncate(w->cur->fd, (off_t)w->start) != 0) {
		w->broken = 1;
		err_set(&snk->err, MS_FATAL, errno, "truncate %s/%s",
		    snk->dest, w->cur->rel);
		return;
	}
	w->cur->disk = w->start;
	if (w->cur->kicked > w->cur->disk)
		w->cur->kicked = w->cur->disk;
	w->cur->dirty = 1;
}

static int
mbox_w_checkpoint(struct sink *snk)
{
	struct wr *w = snk->data;

	if (w->broken)
		return err_set(&snk->err, MS_FATAL, 0,
		    "%s: an earlier failure left a file unusable", snk->dest);
	if (w->cur != NULL && wr_flush(snk, w) != MS_OK)
		return MS_FATAL;
	for (size_t i = 0; i < WR_FILES; i++)
		if (wr_fsync_file(snk, w, &w->files[i]) != MS_OK)
			return MS_FATAL;
	for (size_t i = 0; i < w->nsync; i++) {
		int fd = openat(w->dirfd, w->syncdirs[i],
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || fsync(fd) != 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			return err_set(&snk->err, MS_FATAL, e, "fsync %s/%s",
			    snk->dest, w->syncdirs[i]);
		}
		close(fd);
		free(w->syncdirs[i]);
		w->syncdirs[i] = NULL;
	}
	free(w->syncdirs);
	w->syncdirs = NULL;
	w->nsync = 0;
	if (w->dest_new) {
		if (path_fsync_dir(snk->dest, 0) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "fsync the directory of %s", snk->dest);
		w->dest_new = 0;
	}
	return MS_OK;
}

static int
wr_known_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wr_known *)a)->rel,
	    ((const struct wr_known *)b)->rel);
}

/*
 * What is durable: every file with its length.  Called after a
 * checkpoint; anything still buffered is made durable first.
 */
static int
mbox_w_state(struct sink *snk, struct buf *out)
{
	struct wr *w = snk->data;
	int dirty = w->olen > 0;

	for (size_t i = 0; i < WR_FILES; i++)
		dirty |= w->files[i].rel != NULL && w->files[i].dirty;
	if (dirty && mbox_w_checkpoint(snk) != MS_OK)
		return MS_FATAL;
	for (size_t i = 0; i < WR_FILES; i++)
		if (w->files[i].rel != NULL)
			wr_known(w, w->files[i].rel, 0)->len =
			    w->files[i].disk;
	if (w->nknown > 1)
		qsort(w->known, w->nknown, sizeof(*w->known), wr_known_cmp);
	buf_reset(out);
	buf_adds(out, "mailsave-mbox 1\n");
	for (size_t i = 0; i < w->nknown; i++)
		buf_addf(out, "%" PRId64 "\t%s\n", w->known[i].len,
		    w->known[i].rel);
	return MS_OK;
}

/* Cut DEST/rel to len bytes (it must have at least that many). */
static int
wr_cut(struct sink *snk, struct wr *w, const char *rel, int64_t len)
{
	struct stat st;
	int fd = openat(w->dirfd, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		if (errno == ENOENT && len == 0)
			return MS_OK;
		return err_set(&snk->err, MS_FATAL, errno,
		    "resume: %s/%s", snk->dest, rel);
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return err_set(&snk->err, MS_FATAL, e, "resume: stat %s/%s",
		    snk->dest, rel);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(&snk->err, MS_FATAL, 0,
		    "resume: %s/%s is not a regular file", snk->dest, rel);
	}
	if ((int64_t)st.st_size < len) {
		close(fd);
		return err_set(&snk->err, MS_FATAL, 0,
		    "resume: %s/%s has %lld bytes, the index says %lld were "
		    "saved: it was changed behind mailsave's back (use "
		    "--restart to start over)", snk->dest, rel,
		    (long long)st.st_size, (long long)len);
	}
	if ((int64_t)st.st_size > len &&
	    (ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0)) {
		int e = errno;

		close(fd);
		return err_set(&snk->err, MS_FATAL, e, "resume: truncate %s/%s",
		    snk->dest, rel);
	}
	if (close(fd) != 0)
		return err_set(&snk->err, MS_FATAL, errno, "resume: close %s/%s",
		    snk->dest, rel);
	return MS_OK;
}

/* Empty every .mbox file below rel ("" for DEST) that state() never named. */
static int
wr_cut_unknown(struct sink *snk, struct wr *w, const char *rel, int depth)
{
	int fd = openat(w->dirfd, *rel ? rel : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;
	int r = MS_OK;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return err_set(&snk->err, MS_FATAL, e, "resume: %s/%s",
		    snk->dest, rel);
	}
	while (r == MS_OK && (de = readdir(d)) != NULL) {
		struct stat st;
		char *p;
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;	/* ., .., .mailsave and hidden files */
		p = *rel ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		if (fstatat(w->dirfd, p, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < 64) {
			r = wr_cut_unknown(snk, w, p, depth + 1);
		} else if (S_ISREG(st.st_mode) && n > 5 &&
		    strcmp(de->d_name + n - 5, ".mbox") == 0 &&
		    st.st_size > 0) {
			size_t i;

			for (i = 0; i < w->nknown; i++)
				if (strcmp(w->known[i].rel, p) == 0)
					break;
			if (i == w->nknown)
				r = wr_cut(snk, w, p, 0);
		}
		free(p);
	}
	closedir(d);
	return r;
}

/*
 * Bring DEST back to a state(): each file cut to its durable length, and
 * .mbox files the state does not know (begun after its checkpoint)
 * emptied.  An empty state means nothing was durable.
 */
static int
mbox_w_resume(struct sink *snk, const char *state)
{
	struct wr *w = snk->data;
	const char *p = state;

	if (*p != '\0') {
		if (strncmp(p, "mailsave-mbox 1\n", 16) != 0)
			return err_set(&snk->err, MS_FATAL, 0,
			    "resume: the index holds no mbox state for %s",
			    snk->dest);
		p += 16;
	}
	while (*p != '\0') {
		char *end;
		long long len = strtoll(p, &end, 10);
		const char *nl = strchr(end, '\n');

		if (end == p || *end != '\t' || nl == NULL || len < 0)
			return err_set(&snk->err, MS_FATAL, 0,
			    "resume: damaged mbox state in the index");

		char *rel = xstrndup(end + 1, (size_t)(nl - end - 1));
		int r = wr_cut(snk, w, rel, (int64_t)len);

		if (r == MS_OK)
			wr_known(w, rel, (int64_t)len)->len = (int64_t)len;
		free(rel);
		if (r != MS_OK)
			return r;
		p = nl + 1;
	}
	return wr_cut_unknown(snk, w, "", 0);
}

static int
mbox_w_close(struct sink *snk)
{
	struct wr *w = snk->data;
	int r = MS_OK, broken;

	if (w == NULL)
		return MS_OK;
	/*
	 * After a fatal error nothing more is flushed: what is buffered may
	 * follow bytes that never reached the file.  The caller records
	 * nothing and cuts the files back to the last committed state.
	 */
	if (snk->state == SINK_DEAD)
		r = MS_FATAL;
	else if (w->dirfd >= 0 && !w->broken)
		r = mbox_w_checkpoint(snk);
	for (size_t i = 0; i < WR_FILES; i++) {
		int c = wr_file_close(snk, w, &w->files[i]);

		if (r == MS_OK)
			r = c;
	}
	if (w->dirfd >= 0)
		close(w->dirfd);
	for (size_t i = 0; i < w->nsync; i++)
		free(w->syncdirs[i]);
	free(w->syncdirs);
	for (size_t i = 0; i < w->nknown; i++)
		free(w->known[i].rel);
	free(w->known);
	mbox_encoder_release(&w->enc);
	dq_free(w->sdq);
	if (w->stored.ctx != NULL)
		hash_release(&w->stored);
	free(w->ob);
	buf_release(&w->tmp);
	buf_release(&w->rel);
	broken = w->broken;
	free(w);
	snk->data = NULL;
	if (r == MS_OK && broken)
		r = err_set(&snk->err, MS_FATAL, 0,
		    "%s: a file could not be cut back after an error",
		    snk->dest);
	return r;
}

const struct sink_ops mbox_sink = {
	.name = "mbox",
	.flags = 0,
	.open = mbox_w_open,
	.begin = mbox_w_begin,
	.write = mbox_w_write,
	.end = mbox_w_end,
	.abort = mbox_w_abort,
	.checkpoint = mbox_w_checkpoint,
	.close = mbox_w_close,
	.state = mbox_w_state,
	.resume = mbox_w_resume,
	.add_file = NULL,
};
