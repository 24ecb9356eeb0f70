/*
 * The EML writer: one file per message, exact bytes, in a folder tree that
 * mirrors the mailbox (layout.h), mode 0600 files in 0700 directories, the
 * file's mtime set to the message's date (the epoch when unknown).  The
 * one-file-per-message engine here ("tree sink") also serves the Maildir
 * writer (write_maildir.c), which only differs in where temp and final
 * files live and how they are named.
 *
 * Durability (DESIGN.md section 5): a message is written to a temp file
 * (".mailsave-<pid>-<n>.tmp" beside the final file for eml, tmp/ for
 * Maildir), then fsync'd, renamed to its final name, and the directory is
 * fsync'd.  To keep throughput, the fsyncs are batched: end() only closes
 * the temp file and reserves the final name; checkpoint() fsyncs every
 * pending temp file, renames each to its final name without replacing
 * anything (renameat2 RENAME_NOREPLACE, else link+unlink), then fsyncs the
 * directories that changed (and their parents when a folder was created in
 * this batch).  So a crash never leaves a final name whose bytes are not on
 * disk: only hidden temp files, which readers skip.  The pending list is
 * bounded by the checkpoint policy and by TREE_PENDING_MAX, past which
 * end() makes the batch durable early (earlier is always allowed).
 *
 * Names: the layout's name with n = 1, 2, ... until free.  When the name
 * is taken by a file with the same bytes (a message already written by an
 * interrupted run whose index commit was lost, or an identical copy in the
 * same folder), that file is adopted instead of writing a duplicate, so a
 * resumed run makes the same tree as an uninterrupted one.  Nothing is
 * ever overwritten.  Temp files of a run that died are removed when a
 * later run enters their folder.
 */
/* syncfs(2) is Linux-only. */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "formats.h"
#include "layout.h"
#include "path.h"
#include "tree_sink.h"
#include "xalloc.h"

#define TREE_BUF_SIZE		(64 * 1024)
#define TREE_PENDING_MAX	4096
#define TREE_SYNCFS_AT	16	/* more pending files: one syncfs */

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif

/* A message ended but not yet durable, or a directory to fsync. */
struct tree_pending {
	char *dir;		/* owned: folder directory relative to DEST */
	char *tmp;		/* owned: temp file relative to dir, or NULL
				   when an existing file was adopted */
	char *final;		/* owned: final file relative to dir */
};

struct tree_dirsync {
	char *rel;		/* owned: relative to DEST ("" is DEST) */
	int chain;		/* also its parents up to DEST (new folder) */
};

struct tree {
	/* What kind of tree: set by open. */
	const char *tmp_sub;	/* borrowed: temp subdir of a folder, or "" */
	const char *final_sub;	/* borrowed: final subdir of a folder, or "" */
	void (*folder_dir)(struct buf *, const char *);
	void (*file_name)(struct buf *, const struct msg *,
	    const unsigned char[32], unsigned);
	int (*prepare)(int rootfd, const char *rel, struct err *e);

	int rootfd;		/* DEST */
	char *dest;		/* owned: DEST as given */
	int dest_synced;	/* DEST's own entry fsync'd */

	/* The current folder. */
	char *folder;		/* owned: display name, NULL before the first */
	struct buf dir;		/* its directory relative to DEST */
	int new_folder;		/* entered in this batch: fsync the chain */

	/* The current message. */
	int fd;			/* temp file, -1 between messages */
	struct buf tmp;		/* temp file relative to dir */
	int64_t length;
	struct msg m;		/* copy for naming at end() */
	struct msg_head head;
	struct buf subject;
	char *wbuf;		/* owned: TREE_BUF_SIZE */
	size_t wlen;
	unsigned seq;

	struct tree_pending *pend;
	size_t npend, cappend;
	struct tree_dirsync *dirs;
	size_t ndirs, capdirs;
	char **cleaned;		/* owned: temp dirs cleaned in this run */
	size_t ncleaned, capcleaned;

	struct buf path;	/* scratch */
	struct buf path2;	/* scratch */
};


/*
 * The status for a failed call: a name that cannot be made skips this
 * message; anything else (disk full, I/O, permission) makes DEST unusable.
 */
static int
tree_errno_status(int e)
{
	switch (e) {
	case ENAMETOOLONG:
	case ENOTDIR:
	case EEXIST:
	case EINVAL:
	case ELOOP:
	case EISDIR:
		return MS_SKIP;
	default:
		return MS_FATAL;
	}
}

/* "dir/name" or "name" when dir is "", into out. */
static void
tree_join(struct buf *out, const char *dir, const char *name)
{
	buf_reset(out);
	if (dir[0] != '\0') {
		buf_adds(out, dir);
		buf_addc(out, '/');
	}
	buf_adds(out, name);
}

/* write(2) all of p[0..n), retrying on EINTR and short writes. */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
tree_flush(struct sink *snk)
{
	struct tree *t = snk->data;

	if (t->wlen == 0)
		return MS_OK;
	if (write_all(t->fd, t->wbuf, t->wlen) != 0)
		return err_set(&snk->err, MS_FATAL, errno, "write %s/%s/%s",
		    t->dest, t->dir.s, t->tmp.s);
	t->wlen = 0;
	return MS_OK;
}

static void
tree_dirsync_add(struct tree *t, const char *rel, int chain)
{
	for (size_t i = 0; i < t->ndirs; i++)
		if (strcmp(t->dirs[i].rel, rel) == 0) {
			t->dirs[i].chain |= chain;
			return;
		}
	if (t->ndirs == t->capdirs) {
		t->capdirs = t->capdirs ? 2 * t->capdirs : 8;
		t->dirs = xrealloc(t->dirs, t->capdirs * sizeof(*t->dirs));
	}
	t->dirs[t->ndirs].rel = xstrdup(rel);
	t->dirs[t->ndirs].chain = chain;
	t->ndirs++;
}

/* The directory (relative to DEST) that holds final files of dir. */
static void
tree_final_dir(struct tree *t, struct buf *out, const char *dir)
{
	buf_reset(out);
	buf_adds(out, dir);
	if (t->final_sub[0] != '\0') {
		if (out->len)
			buf_addc(out, '/');
		buf_adds(out, t->final_sub);
	}
}

static void
tree_pending_add(struct tree *t, const char *dir, const char *tmp,
    const char *final)
{
	if (t->npend == t->cappend) {
		t->cappend = t->cappend ? 2 * t->cappend : 64;
		t->pend = xrealloc(t->pend, t->cappend * sizeof(*t->pend));
	}
	t->pend[t->npend].dir = xstrdup(dir);
	t->pend[t->npend].tmp = tmp ? xstrdup(tmp) : NULL;
	t->pend[t->npend].final = xstrdup(final);
	t->npend++;
}

static void
tree_pending_free(struct tree_pending *p)
{
	free(p->dir);
	free(p->tmp);
	free(p->final);
}

/*
 * Whether file `other` (relative to DEST) has exactly the bytes of the
 * open temp file fd (length len).  1 same, 0 different, -1 error (errno).
 */
static int
tree_same_bytes(struct tree *t, int fd, int64_t len, const char *other)
{
	struct stat st;
	int ofd, same = 1;
	char *a = t->wbuf, *b = t->wbuf + TREE_BUF_SIZE / 2;
	off_t off = 0;

	ofd = openat(t->rootfd, other, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (ofd < 0)
		return errno == ELOOP ? 0 : -1;
	if (fstat(ofd, &st) != 0) {
		int e = errno;

		close(ofd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != (off_t)len) {
		close(ofd);
		return 0;
	}
	while (off < (off_t)len && same) {
		size_t want = TREE_BUF_SIZE / 2;
		ssize_t na, nb;

		if ((off_t)want > (off_t)len - off)
			want = (size_t)((off_t)len - off);
		na = pread(fd, a, want, off);
		nb = pread(ofd, b, want, off);
		if (na < 0 || nb < 0) {
			int e = errno;

			close(ofd);
			errno = e;
			return -1;
		}
		if (na != nb || na == 0 || memcmp(a, b, (size_t)na) != 0)
			same = 0;
		off += na;
	}
	close(ofd);
	return same;
}

/*
 * Whether NAME is a temp file of ours ("[.]mailsave-<pid>-<n>.tmp") left
 * by a process that is gone.
 */
static int
stale_temp(const char *name)
{
	const char *p = name;
	char *end;
	long pid;

	if (*p == '.')
		p++;
	if (strncmp(p, "mailsave-", 9) != 0)
		return 0;
	p += 9;
	pid = strtol(p, &end, 10);
	if (end == p || *end != '-' || pid <= 0)
		return 0;
	p = end + 1;
	(void)strtoul(p, &end, 10);
	if (end == p || strcmp(end, ".tmp") != 0)
		return 0;
	if (pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/*
 * Remove the temp files an interrupted run left in the current folder, so
 * a resumed run leaves the same tree as an uninterrupted one.  Each
 * directory is cleaned once per run.  Errors are ignored: a leftover temp
 * file is hidden (or in tmp/) and harmless.
 */
static void
tree_clean_temps(struct tree *t)
{
	struct dirent *e;
	DIR *d;
	int fd;

	tree_join(&t->path, t->dir.s, t->tmp_sub);
	for (size_t i = 0; i < t->ncleaned; i++)
		if (strcmp(t->cleaned[i], t->path.s) == 0)
			return;
	if (t->ncleaned == t->capcleaned) {
		t->capcleaned = t->capcleaned ? 2 * t->capcleaned : 16;
		t->cleaned = xrealloc(t->cleaned,
		    t->capcleaned * sizeof(*t->cleaned));
	}
	t->cleaned[t->ncleaned++] = xstrdup(t->path.s);

	fd = openat(t->rootfd, t->path.len ? t->path.s : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (stale_temp(e->d_name))
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* Enter FOLDER: make its directories and remember them. */
static int
tree_enter(struct sink *snk, const char *folder)
{
	struct tree *t = snk->data;
	int r;

	if (t->folder != NULL && strcmp(t->folder, folder) == 0)
		return MS_OK;
	free(t->folder);
	t->folder = NULL;
	buf_reset(&t->dir);
	t->folder_dir(&t->dir, folder);
	if (t->dir.len > 0 && path_mkdirs_at(t->rootfd, t->dir.s) != 0)
		return err_set(&snk->err, tree_errno_status(errno), errno,
		    "create folder %s/%s", t->dest, t->dir.s);
	if (t->prepare != NULL &&
	    (r = t->prepare(t->rootfd, t->dir.s, &snk->err)) != MS_OK)
		return r;
	t->folder = xstrdup(folder);
	t->new_folder = 1;
	tree_clean_temps(t);
	return MS_OK;
}

int
tree_sink_begin(struct sink *snk, const struct msg *m)
{
	struct tree *t = snk->data;
	int r;

	if ((r = tree_enter(snk, m->folder)) != MS_OK)
		return r;

	/* A temp file nobody else can have opened (O_EXCL). */
	for (int tries = 0;; tries++) {
		buf_reset(&t->tmp);
		if (t->tmp_sub[0] != '\0')
			buf_addf(&t->tmp, "%s/mailsave-%ld-%u.tmp", t->tmp_sub,
			    (long)getpid(), ++t->seq);
		else
			buf_addf(&t->tmp, ".mailsave-%ld-%u.tmp",
			    (long)getpid(), ++t->seq);
		tree_join(&t->path, t->dir.s, t->tmp.s);
		t->fd = openat(t->rootfd, t->path.s, O_RDWR | O_CREAT |
		    O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (t->fd >= 0)
			break;
		if (errno != EEXIST || tries > 1000)
			return err_set(&snk->err, tree_errno_status(errno),
			    errno, "create %s/%s", t->dest, t->path.s);
	}
	t->length = 0;
	t->wlen = 0;

	/* Keep what the name needs: m->head lives until end(). */
	t->m = *m;
	t->m.folder = t->m.key = t->m.folder_raw = NULL;
	t->m.keywords = t->m.extra = t->m.envelope = NULL;
	memset(&t->head, 0, sizeof(t->head));
	buf_reset(&t->subject);
	if (m->head != NULL) {
		t->head.date = m->head->date;
		if (m->head->subject != NULL) {
			buf_adds(&t->subject, m->head->subject);
			t->head.subject = t->subject.s;
		}
	}
	t->m.head = &t->head;
	return MS_OK;
}

int
tree_sink_write(struct sink *snk, const void *p, size_t len)
{
	struct tree *t = snk->data;

	if (t->wlen + len > TREE_BUF_SIZE) {
		int r = tree_flush(snk);

		if (r != MS_OK)
			return r;
	}
	if (len >= TREE_BUF_SIZE) {
		if (write_all(t->fd, p, len) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "write %s/%s/%s", t->dest, t->dir.s, t->tmp.s);
	} else {
		memcpy(t->wbuf + t->wlen, p, len);
		t->wlen += len;
	}
	t->length += (int64_t)len;
	return MS_OK;
}

void
tree_sink_abort(struct sink *snk)
{
	struct tree *t = snk->data;

	if (t->fd < 0)
		return;
	close(t->fd);
	t->fd = -1;
	t->wlen = 0;
	tree_join(&t->path, t->dir.s, t->tmp.s);
	(void)unlinkat(t->rootfd, t->path.s, 0);
}

/*
 * Rename DEST/from to DEST/to unless `to` exists.  0, or -1 with errno
 * (EEXIST when the name is taken).
 */
static int
rename_noreplace(int rootfd, const char *from, const char *to)
{
#if defined(__linux__) && defined(SYS_renameat2)
	if (syscall(SYS_renameat2, rootfd, from, rootfd, to,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL && errno != ENOTSUP)
		return -1;
#endif
	/* link() fails with EEXIST rather than replacing. */
	if (linkat(rootfd, from, rootfd, to, 0) == 0) {
		if (unlinkat(rootfd, from, 0) != 0)
			return -1;
		return 0;
	}
	if (errno == EEXIST)
		return -1;
	if (errno == EPERM || errno == ENOTSUP || errno == ENOSYS ||
	    errno == EMLINK) {
		/* No hard links here: check, then rename (one writer). */
		struct stat st;

		if (fstatat(rootfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			errno = EEXIST;
			return -1;
		}
		if (errno != ENOENT)
			return -1;
		return renameat(rootfd, from, rootfd, to);
	}
	return -1;
}

/* fsync DEST/rel (a directory); errors as -1 with errno. */
static int
fsync_dir_at(int rootfd, const char *rel)
{
	int fd = openat(rootfd, rel[0] ? rel : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0, e = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
		ret = -1;
		e = errno;
	}
	if (close(fd) != 0 && ret == 0) {
		ret = -1;
		e = errno;
	}
	errno = e;
	return ret;
}

int
tree_sink_checkpoint(struct sink *snk)
{
	struct tree *t = snk->data;
	size_t i;

	/*
	 * 1. The bytes of every pending file.  Many files: one syncfs(2) of
	 * the file system flushes them all at once (it reports write-back
	 * errors since Linux 5.8), far cheaper than an fsync each.
	 */
#ifdef __linux__
	if (t->npend > TREE_SYNCFS_AT) {
		if (syncfs(t->rootfd) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "sync the file system of %s", t->dest);
		i = t->npend;
	} else
#endif
	for (i = 0; i < t->npend; i++) {
		struct tree_pending *p = &t->pend[i];
		int fd;

		tree_join(&t->path, p->dir, p->tmp ? p->tmp : p->final);
		fd = openat(t->rootfd, t->path.s, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "open %s/%s", t->dest, t->path.s);
		if (fsync(fd) != 0) {
			int e = errno;

			close(fd);
			return err_set(&snk->err, MS_FATAL, e, "fsync %s/%s",
			    t->dest, t->path.s);
		}
		if (close(fd) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "close %s/%s", t->dest, t->path.s);
	}

	/* 2. Their final names, never replacing anything. */
	for (i = 0; i < t->npend; i++) {
		struct tree_pending *p = &t->pend[i];

		tree_final_dir(t, &t->path2, p->dir);
		tree_dirsync_add(t, t->path2.s, 0);
		if (p->tmp == NULL)
			continue;
		tree_join(&t->path, p->dir, p->tmp);
		tree_join(&t->path2, p->dir, p->final);
		if (rename_noreplace(t->rootfd, t->path.s, t->path2.s) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "rename %s/%s to %s", t->dest, t->path.s,
			    t->path2.s);
		free(p->tmp);
		p->tmp = NULL;
	}
	for (i = 0; i < t->npend; i++)
		tree_pending_free(&t->pend[i]);
	t->npend = 0;

	/* 3. The directories that changed, and new folders' parents. */
	for (i = 0; i < t->ndirs; i++) {
		struct tree_dirsync *d = &t->dirs[i];
		char *rel = d->rel;

		for (;;) {
			if (fsync_dir_at(t->rootfd, rel) != 0)
				return err_set(&snk->err, MS_FATAL, errno,
				    "fsync %s/%s", t->dest, rel);
			if (!d->chain || rel[0] == '\0')
				break;
			char *slash = strrchr(rel, '/');

			if (slash != NULL)
				*slash = '\0';
			else
				rel[0] = '\0';
		}
	}
	for (i = 0; i < t->ndirs; i++)
		free(t->dirs[i].rel);
	t->ndirs = 0;
	if (!t->dest_synced) {
		if (path_fsync_dir(t->dest, 0) != 0)
			return err_set(&snk->err, MS_FATAL, errno,
			    "fsync the directory of %s", t->dest);
		t->dest_synced = 1;
	}
	return MS_OK;
}

int
tree_sink_end(struct sink *snk, const unsigned char sha256[32])
{
	struct tree *t = snk->data;
	int64_t date;
	int r;

	if ((r = tree_flush(snk)) != MS_OK)
		goto fail;
	/*
	 * mtime (and atime) = the message's date; the epoch when it is not
	 * known, so that a Maildir reader (mtime is its received date) sees
	 * "unknown" again and the output never depends on the clock.
	 */
	date = msg_best_date(&t->m);
	{
		struct timespec ts[2] = {
			{ .tv_sec = (time_t)date, .tv_nsec = 0 },
			{ .tv_sec = (time_t)date, .tv_nsec = 0 },
		};

		if (futimens(t->fd, ts) != 0) {
			r = err_set(&snk->err, MS_FATAL, errno,
			    "set the time of %s/%s", t->dir.s, t->tmp.s);
			goto fail;
		}
	}

	/* The first free name, or an identical file to adopt. */
	tree_final_dir(t, &t->path2, t->dir.s);
	for (unsigned n = 1;; n++) {
		struct buf name = BUF_INIT;
		int same = 0, taken = 0;
		struct stat st;

		if (t->final_sub[0] != '\0') {
			buf_adds(&name, t->final_sub);
			buf_addc(&name, '/');
		}
		t->file_name(&name, &t->m, sha256, n);
		for (size_t i = 0; i < t->npend && !taken; i++) {
			struct tree_pending *p = &t->pend[i];

			if (strcmp(p->dir, t->dir.s) != 0 ||
			    strcmp(p->final, name.s) != 0)
				continue;
			taken = 1;
			tree_join(&t->path, p->dir, p->tmp ? p->tmp :
			    p->final);
			same = tree_same_bytes(t, t->fd, t->length, t->path.s);
		}
		tree_join(&t->path, t->dir.s, name.s);
		if (!taken && fstatat(t->rootfd, t->path.s, &st,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			taken = 1;
			same = tree_same_bytes(t, t->fd, t->length, t->path.s);
			if (same == 1)
				tree_pending_add(t, t->dir.s, NULL, name.s);
		} else if (!taken && errno != ENOENT) {
			r = err_set(&snk->err, tree_errno_status(errno), errno,
			    "stat %s/%s", t->dest, t->path.s);
			buf_release(&name);
			goto fail;
		}
		if (same < 0) {
			r = err_set(&snk->err, MS_FATAL, errno,
			    "compare with %s/%s", t->dest, t->path.s);
			buf_release(&name);
			goto fail;
		}
		if (taken && !same && n < 100000) {
			buf_release(&name);
			continue;
		}
		if (taken && !same) {
			r = err_set(&snk->err, MS_SKIP, 0,
			    "no free name for %s/%s", t->dest, t->path.s);
			buf_release(&name);
			goto fail;
		}

		/* Record where it went. */
		if (close(t->fd) != 0) {
			r = err_set(&snk->err, MS_FATAL, errno, "close %s/%s",
			    t->dir.s, t->tmp.s);
			t->fd = -1;
			tree_join(&t->path, t->dir.s, t->tmp.s);
			(void)unlinkat(t->rootfd, t->path.s, 0);
			buf_release(&name);
			return r;
		}
		t->fd = -1;
		if (same) {
			tree_join(&t->path, t->dir.s, t->tmp.s);
			(void)unlinkat(t->rootfd, t->path.s, 0);
		} else {
			tree_pending_add(t, t->dir.s, t->tmp.s, name.s);
		}
		if (t->new_folder) {
			tree_dirsync_add(t, t->path2.s, 1);
			t->new_folder = 0;
		}
		tree_join(&snk->ref.file, t->dir.s, name.s);
		snk->ref.offset = 0;
		snk->ref.length = t->length;
		buf_release(&name);
		break;
	}
	if (t->npend >= TREE_PENDING_MAX)
		return tree_sink_checkpoint(snk);
	return MS_OK;

fail:
	tree_sink_abort(snk);
	return r;
}

int
tree_sink_close(struct sink *snk)
{
	struct tree *t = snk->data;
	int r;

	if (t == NULL)
		return MS_OK;
	tree_sink_abort(snk);
	if (snk->state == SINK_DEAD) {
		/*
		 * After a fatal error nothing more is published: the pending
		 * messages are not durable and the index will not record
		 * them, so their temp files go.
		 */
		for (size_t i = 0; i < t->npend; i++) {
			if (t->pend[i].tmp == NULL)
				continue;
			tree_join(&t->path, t->pend[i].dir, t->pend[i].tmp);
			(void)unlinkat(t->rootfd, t->path.s, 0);
		}
		r = MS_FATAL;
	} else {
		r = tree_sink_checkpoint(snk);
	}
	if (close(t->rootfd) != 0 && r == MS_OK)
		r = err_set(&snk->err, MS_FATAL, errno, "close %s", t->dest);
	for (size_t i = 0; i < t->npend; i++)
		tree_pending_free(&t->pend[i]);
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i].rel);
	for (size_t i = 0; i < t->ncleaned; i++)
		free(t->cleaned[i]);
	free(t->cleaned);
	free(t->pend);
	free(t->dirs);
	free(t->folder);
	free(t->dest);
	free(t->wbuf);
	buf_release(&t->dir);
	buf_release(&t->tmp);
	buf_release(&t->subject);
	buf_release(&t->path);
	buf_release(&t->path2);
	free(t);
	snk->data = NULL;
	return r;
}

/*
 * Open a one-file-per-message tree at DEST (created with its parents,
 * mode 0700):
 *   tmp_sub, final_sub   subdirectories of a folder directory for temp and
 *                        final files ("" for the folder directory itself);
 *   folder_dir           the folder's directory relative to DEST;
 *   file_name            a message's final name for attempt n;
 *   prepare              called after a folder's directory was made (may
 *                        be NULL): returns MS_OK or sets e.
 */
int
tree_sink_open(struct sink *snk, const char *dest, const char *tmp_sub,
    const char *final_sub, void (*folder_dir)(struct buf *, const char *),
    void (*file_name)(struct buf *, const struct msg *,
    const unsigned char[32], unsigned),
    int (*prepare)(int rootfd, const char *rel, struct err *e))
{
	struct tree *t;
	int fd;

	if (path_mkdirs(dest) != 0)
		return err_set(&snk->err, MS_FATAL, errno, "create %s", dest);
	fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(&snk->err, MS_FATAL, errno, "open %s", dest);
	t = xcalloc(1, sizeof(*t));
	t->tmp_sub = tmp_sub;
	t->final_sub = final_sub;
	t->folder_dir = folder_dir;
	t->file_name = file_name;
	t->prepare = prepare;
	t->rootfd = fd;
	t->dest = xstrdup(dest);
	t->fd = -1;
	buf_init(&t->dir);
	buf_init(&t->tmp);
	buf_init(&t->subject);
	buf_init(&t->path);
	buf_init(&t->path2);
	t->wbuf = xmalloc(TREE_BUF_SIZE);
	snk->data = t;
	return MS_OK;
}

static int
eml_open(struct sink *snk, const char *dest, const struct opts *o)
{
	(void)o;
	return tree_sink_open(snk, dest, "", "", layout_eml_dir,
	    layout_eml_name, NULL);
}

const struct sink_ops eml_sink = {
	.name = "eml",
	.flags = SINK_NEEDS_SHA,	/* the SHA-256 is in the names */
	.open = eml_open,
	.begin = tree_sink_begin,
	.write = tree_sink_write,
	.end = tree_sink_end,
	.abort = tree_sink_abort,
	.checkpoint = tree_sink_checkpoint,
	.close = tree_sink_close,
};
