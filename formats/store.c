/*
 * Read back a DEST: a directory tree walked in sorted order, or an archive
 * and its volumes read with libarchive (see store.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "sink.h"
#include "store.h"
#include "xalloc.h"

struct dir_level {
	char **names;		/* owned, sorted */
	size_t n, i;
	size_t base_len;	/* length of rel before this level's names */
};

struct store {
	struct err *err;	/* borrowed */
	char *dest;		/* owned */
	int is_archive;
	int manifest_only;
	/* directory walk */
	struct dir_level *levels;	/* owned stack */
	size_t depth, cap;
	struct buf rel;		/* current relative path */
	struct buf full;	/* DEST + "/" + rel */
	int fd;			/* current file, -1 when none */
	/* archive */
	locale_t utf8;		/* owned: LC_CTYPE for libarchive calls */
	struct archive *a;	/* owned, current volume */
	int volume;
	struct buf name;
};

static const char *const suffixes[] = {
	".tar.gz", ".tar.zst", ".tar.xz", ".tgz", ".tar", ".zip", NULL
};

/*
 * libarchive converts entry names through the thread's LC_CTYPE; in the C
 * locale a UTF-8 name from a zip cannot be converted and comes back NULL.
 * Archive calls therefore run under a UTF-8 LC_CTYPE (uselocale).
 */
static locale_t
enter(struct store *st)
{
	static const char *const names[] = {
		"C.UTF-8", "C.utf8", "en_US.UTF-8", NULL
	};

	if (st->utf8 == (locale_t)0)
		for (size_t i = 0; names[i] != NULL && st->utf8 == (locale_t)0; i++)
			st->utf8 = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
	return st->utf8 != (locale_t)0 ? uselocale(st->utf8) : (locale_t)0;
}

static void
leave(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

void
store_volume_path(struct buf *out, const char *dest, int volume)
{
	size_t n = strlen(dest);

	if (volume <= 1) {
		buf_adds(out, dest);
		return;
	}
	for (size_t i = 0; suffixes[i] != NULL; i++) {
		size_t s = strlen(suffixes[i]);

		if (n > s && strcmp(dest + n - s, suffixes[i]) == 0) {
			buf_add(out, dest, n - s);
			buf_addf(out, ".%d%s", volume, suffixes[i]);
			return;
		}
	}
	buf_addf(out, "%s.%d", dest, volume);
}

void
store_index_dir(struct buf *out, const char *dest, const char *layout)
{
	size_t n = strlen(dest);
	struct stat sb;

	while (n > 1 && dest[n - 1] == '/')
		n--;
	buf_add(out, dest, n);
	if (sink_is_archive(dest))
		return;
	if (layout == NULL) {
		size_t len = out->len;

		buf_adds(out, "/mailsave-index");
		if (stat(out->s, &sb) == 0)
			return;
		buf_setlen(out, len);
		buf_adds(out, "/.mailsave");
		return;
	}
	buf_adds(out, strcmp(layout, "maildir") == 0 ? "/mailsave-index" :
	    "/.mailsave");
}

void
store_index_path(struct buf *out, const char *dest, const char *layout)
{
	store_index_dir(out, dest, layout);
	buf_adds(out, sink_is_archive(dest) ? ".mailsave.db" : "/index.db");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Push the listing of directory full (rel is its relative path). */
static int
push_dir(struct store *st)
{
	DIR *d = opendir(st->full.s);
	struct dirent *de;
	struct dir_level lv = { NULL, 0, 0, st->rel.len };
	size_t cap = 0;

	if (d == NULL)
		return err_set(st->err, MS_FATAL, errno, "%s", st->full.s);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (st->depth == 0 && (strcmp(de->d_name, ".mailsave") == 0 ||
		    strcmp(de->d_name, "mailsave-index") == 0 ||
		    strcmp(de->d_name, "manifest.jsonl") == 0))
			continue;
		if (lv.n == cap) {
			cap = cap ? 2 * cap : 32;
			lv.names = xrealloc(lv.names, cap * sizeof(char *));
		}
		lv.names[lv.n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (lv.n)
		qsort(lv.names, lv.n, sizeof(char *), cmp_names);
	if (st->depth == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 8;
		st->levels = xrealloc(st->levels, st->cap * sizeof(*st->levels));
	}
	st->levels[st->depth++] = lv;
	return MS_OK;
}

static void
pop_dir(struct store *st)
{
	struct dir_level *lv = &st->levels[--st->depth];

	for (size_t i = 0; i < lv->n; i++)
		free(lv->names[i]);
	free(lv->names);
	buf_setlen(&st->rel, lv->base_len);
}

static void
set_full(struct store *st)
{
	buf_reset(&st->full);
	buf_adds(&st->full, st->dest);
	if (st->rel.len) {
		buf_addc(&st->full, '/');
		buf_add(&st->full, st->rel.s, st->rel.len);
	}
}

static int
open_volume(struct store *st)
{
	struct buf path = BUF_INIT;
	struct stat sb;

	store_volume_path(&path, st->dest, st->volume);
	if (st->volume > 1 && stat(path.s, &sb) != 0) {
		buf_release(&path);
		return MS_EOF;
	}
	st->a = archive_read_new();
	archive_read_support_filter_all(st->a);
	archive_read_support_format_all(st->a);
	if (archive_read_open_filename(st->a, path.s, 64 * 1024) !=
	    ARCHIVE_OK) {
		err_set(st->err, MS_FATAL, 0, "%s: %s", path.s,
		    archive_error_string(st->a));
		archive_read_free(st->a);
		st->a = NULL;
		buf_release(&path);
		return MS_FATAL;
	}
	buf_release(&path);
	return MS_OK;
}

int
store_open(struct store **out, const char *dest, int manifest_only,
    struct err *e)
{
	struct store *st = xcalloc(1, sizeof(*st));
	struct stat sb;
	size_t n = strlen(dest);

	*out = NULL;
	st->err = e;
	while (n > 1 && dest[n - 1] == '/')
		n--;
	st->dest = xstrndup(dest, n);
	st->fd = -1;
	st->manifest_only = manifest_only;
	buf_init(&st->rel);
	buf_init(&st->full);
	buf_init(&st->name);
	if (stat(st->dest, &sb) != 0) {
		err_set(e, MS_FATAL, errno, "%s", st->dest);
		store_close(st);
		return MS_FATAL;
	}
	if (S_ISDIR(sb.st_mode)) {
		set_full(st);
		if (push_dir(st) != MS_OK) {
			store_close(st);
			return MS_FATAL;
		}
	} else {
		st->is_archive = 1;
		st->volume = 1;
		locale_t old = enter(st);
		int r = open_volume(st);

		leave(old);
		if (r != MS_OK) {
			store_close(st);
			return MS_FATAL;
		}
	}
	*out = st;
	return MS_OK;
}

static int
dir_next(struct store *st, const char **name, int64_t *size)
{
	struct stat sb;

	if (st->fd >= 0) {
		close(st->fd);
		st->fd = -1;
	}
	while (st->depth > 0) {
		struct dir_level *lv = &st->levels[st->depth - 1];

		if (lv->i >= lv->n) {
			pop_dir(st);
			continue;
		}
		buf_setlen(&st->rel, lv->base_len);
		if (st->rel.len)
			buf_addc(&st->rel, '/');
		buf_adds(&st->rel, lv->names[lv->i++]);
		set_full(st);
		if (lstat(st->full.s, &sb) != 0)
			return err_set(st->err, MS_FATAL, errno, "%s",
			    st->full.s);
		if (S_ISDIR(sb.st_mode)) {
			if (push_dir(st) != MS_OK)
				return MS_FATAL;
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		st->fd = open(st->full.s, O_RDONLY | O_CLOEXEC);
		if (st->fd < 0)
			return err_set(st->err, MS_FATAL, errno, "%s",
			    st->full.s);
		*name = st->rel.s;
		*size = (int64_t)sb.st_size;
		return MS_OK;
	}
	return MS_EOF;
}

static int
arc_next(struct store *st, const char **name, int *volume, int64_t *size)
{
	struct archive_entry *ae;
	int r;

	for (;;) {
		if (st->a == NULL) {
			st->volume++;
			if ((r = open_volume(st)) != MS_OK)
				return r;
		}
		r = archive_read_next_header(st->a, &ae);
		if (r == ARCHIVE_EOF) {
			archive_read_free(st->a);
			st->a = NULL;
			continue;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return err_set(st->err, MS_FATAL, 0, "volume %d of %s: "
			    "%s", st->volume, st->dest,
			    archive_error_string(st->a));
		if (archive_entry_filetype(ae) != AE_IFREG)
			continue;
		/* UTF-8 names in any locale (the C locale cannot convert). */
		const char *pn = archive_entry_pathname_utf8(ae);

		if (pn == NULL)
			pn = archive_entry_pathname(ae);
		if (pn == NULL)
			return err_set(st->err, MS_FATAL, 0, "volume %d of %s: "
			    "an entry without a readable name", st->volume,
			    st->dest);
		/* "./in/x.eml" (tar run in the folder) is "in/x.eml". */
		while (pn[0] == '.' && pn[1] == '/')
			pn += 2;
		buf_reset(&st->name);
		buf_adds(&st->name, pn);
		if ((strcmp(st->name.s, "manifest.jsonl") == 0) !=
		    st->manifest_only)
			continue;
		*name = st->name.s;
		*volume = st->volume;
		*size = archive_entry_size(ae);
		return MS_OK;
	}
}

int
store_next(struct store *st, const char **name, int *volume, int64_t *size)
{
	*volume = 1;
	if (st->is_archive) {
		locale_t old = enter(st);
		int r = arc_next(st, name, volume, size);

		leave(old);
		return r;
	}
	return dir_next(st, name, size);
}

int
store_read(struct store *st, void *buf, size_t len, size_t *got)
{
	*got = 0;
	if (st->is_archive) {
		locale_t old = enter(st);
		la_ssize_t n = archive_read_data(st->a, buf, len);

		leave(old);
		if (n < 0)
			return err_set(st->err, MS_FATAL, 0, "%s in %s: %s",
			    st->name.s, st->dest, archive_error_string(st->a));
		*got = (size_t)n;
		return MS_OK;
	}
	if (st->fd < 0)
		return MS_OK;
	for (;;) {
		ssize_t n = read(st->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(st->err, MS_FATAL, errno, "%s",
			    st->full.s);
		*got = (size_t)n;
		return MS_OK;
	}
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	while (st->depth > 0)
		pop_dir(st);
	free(st->levels);
	if (st->fd >= 0)
		close(st->fd);
	if (st->a != NULL)
		archive_read_free(st->a);
	if (st->utf8 != (locale_t)0)
		freelocale(st->utf8);
	buf_release(&st->rel);
	buf_release(&st->full);
	buf_release(&st->name);
	free(st->dest);
	free(st);
}
