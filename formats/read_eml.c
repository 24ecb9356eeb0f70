/*
 * The EML reader: a directory tree of .eml files (one message each, exact
 * bytes), or a single .eml file.  The walk is sorted and deterministic:
 * a directory's .eml files in byte order, then its subdirectories in byte
 * order, depth first.  Folder = the relative subdirectory path (NFC); the
 * files at the root get the basename of the source directory, a single
 * file the basename of its directory.  key = the file's relative path;
 * size = st_size; date stays 0 so the Date: header decides (EML files
 * carry no received date, and an mtime is too easily changed by a copy).
 * Hidden entries and files not ending in ".eml" are skipped silently;
 * symbolic links to files are followed, to directories not (no loops).
 * Only one directory listing is held at a time, plus the names of the
 * directories still to visit.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "formats.h"
#include "msgfile.h"
#include "path.h"
#include "xalloc.h"

#define EML_PROBE_DEPTH		3
#define EML_PROBE_ENTRIES	2000

struct names {
	char **v;		/* owned, each owned */
	size_t n, cap;
};

struct eml {
	char stamp[64];	/* "size:mtime" of the current file */
	char *root;		/* owned: the source directory */
	char *root_folder;	/* owned: folder name of the root's files */
	int single;		/* the source is one file */

	struct names todo;	/* directories still to visit, a stack */
	char *dir;		/* owned: directory being read, relative */
	struct names files;	/* its .eml files, sorted */
	size_t next_file;

	int fd;			/* current message, -1 when none */
	int64_t size, done;
	struct buf folder;	/* strings handed out in struct msg */
	struct buf key;
	struct buf path;	/* scratch */
};

static void
names_add(struct names *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(s);
}

static void
names_clear(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

static void
names_release(struct names *l)
{
	names_clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_eml_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcasecmp(name + n - 4, ".eml") == 0;
}

/* "a/b" from a directory and a name, either may be "". */
static void
join(struct buf *out, const char *a, const char *b)
{
	buf_reset(out);
	buf_adds(out, a);
	if (a[0] != '\0' && b[0] != '\0')
		buf_addc(out, '/');
	buf_adds(out, b);
}

/* Kind of entry NAME in directory fd: 'f' file, 'd' directory, 0 other. */
static int
entry_kind(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		if (fstatat(dfd, name, &st, 0) != 0)
			return 0;
		return S_ISREG(st.st_mode) ? 'f' : 0;
	}
	if (S_ISREG(st.st_mode))
		return 'f';
	if (S_ISDIR(st.st_mode))
		return 'd';
	return 0;
}

/* Whether directory PATH has a subdirectory NAME. */
static int
has_subdir(const char *path, const char *name)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int r;

	join(&b, path, name);
	r = stat(b.s, &st) == 0 && S_ISDIR(st.st_mode);
	buf_release(&b);
	return r;
}

static int
looks_like_maildir(const char *path)
{
	return has_subdir(path, "cur") && (has_subdir(path, "new") ||
	    has_subdir(path, "tmp"));
}

/* Whether a .eml file is in DIR or up to depth levels below. */
static int
probe_dir(const char *dir, int depth, int *budget)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct names subs = { 0 };
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL && --*budget > 0) {
		if (e->d_name[0] == '.')
			continue;
		int kind = entry_kind(dirfd(d), e->d_name);

		if (kind == 'f' && has_eml_suffix(e->d_name))
			found = 1;
		else if (kind == 'd' && depth > 0)
			names_add(&subs, e->d_name);
	}
	closedir(d);
	for (size_t i = 0; !found && i < subs.n && *budget > 0; i++) {
		struct buf b = BUF_INIT;

		join(&b, dir, subs.v[i]);
		found = probe_dir(b.s, depth - 1, budget);
		buf_release(&b);
	}
	names_release(&subs);
	return found;
}

static int
eml_probe(const char *path)
{
	struct stat st;
	int budget = EML_PROBE_ENTRIES;

	if (stat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return has_eml_suffix(path) ? 80 : 0;
	if (!S_ISDIR(st.st_mode) || looks_like_maildir(path))
		return 0;
	return probe_dir(path, EML_PROBE_DEPTH, &budget) ? 80 : 0;
}

/* The basename of PATH's real location (NFC), or "INBOX" for "/". */
static char *
folder_of_dir(const char *path)
{
	char *real = realpath(path, NULL);
	const char *base, *src = real ? real : path;
	struct buf b = BUF_INIT;
	size_t len = strlen(src);

	while (len > 1 && src[len - 1] == '/')
		len--;
	base = src + len;
	while (base > src && base[-1] != '/')
		base--;
	if (base == src + len || (len == 1 && src[0] == '/'))
		buf_adds(&b, "INBOX");
	else
		path_nfc(&b, base, (size_t)(src + len - base));
	free(real);
	return buf_detach(&b);
}

static int
eml_open(struct source *src, const char *path, const struct opts *o)
{
	struct eml *s;
	struct stat st;

	(void)o;
	if (stat(path, &st) != 0)
		return err_set(&src->err, MS_FATAL, errno, "%s", path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return err_set(&src->err, MS_FATAL, 0,
		    "%s: not a directory or file", path);
	s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	buf_init(&s->folder);
	buf_init(&s->key);
	buf_init(&s->path);
	if (S_ISREG(st.st_mode)) {
		const char *slash = strrchr(path, '/');

		s->single = 1;
		if (slash == NULL)
			s->root = xstrdup(".");
		else if (slash == path)
			s->root = xstrdup("/");
		else
			s->root = xstrndup(path, (size_t)(slash - path));
		s->dir = xstrdup("");
		names_add(&s->files, slash ? slash + 1 : path);
	} else {
		s->root = xstrdup(path);
		names_add(&s->todo, "");
	}
	s->root_folder = folder_of_dir(s->root);
	src->data = s;
	return MS_OK;
}

/* Read the next directory on the stack into s->files. */
static int
eml_enter_dir(struct source *src)
{
	struct eml *s = src->data;
	struct names subs = { 0 };
	struct dirent *e;
	DIR *d;

	free(s->dir);
	s->dir = s->todo.v[--s->todo.n];
	names_clear(&s->files);
	s->next_file = 0;
	join(&s->path, s->root, s->dir);
	d = opendir(s->path.s);
	if (d == NULL)
		return err_set(&src->err, MS_FAILED, errno, "%s", s->path.s);
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL)
			break;
		if (e->d_name[0] == '.')
			continue;
		int kind = entry_kind(dirfd(d), e->d_name);

		if (kind == 'f' && has_eml_suffix(e->d_name))
			names_add(&s->files, e->d_name);
		else if (kind == 'd')
			names_add(&subs, e->d_name);
	}
	if (errno != 0) {
		int err = errno;

		closedir(d);
		names_release(&subs);
		names_clear(&s->files);
		return err_set(&src->err, MS_FAILED, err, "%s", s->path.s);
	}
	closedir(d);
	if (s->files.n > 1)
		qsort(s->files.v, s->files.n, sizeof(char *), cmp_names);
	if (subs.n > 1)
		qsort(subs.v, subs.n, sizeof(char *), cmp_names);
	/* Push in reverse so the first name is visited first. */
	for (size_t i = subs.n; i > 0; i--) {
		join(&s->path, s->dir, subs.v[i - 1]);
		names_add(&s->todo, s->path.s);
	}
	names_release(&subs);
	return MS_OK;
}

static void
eml_close_msg(struct eml *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int
eml_next(struct source *src, struct msg *m)
{
	struct eml *s = src->data;
	struct stat st;
	const char *name;

	eml_close_msg(s);
	while (s->next_file >= s->files.n) {
		int r;

		if (s->todo.n == 0)
			return MS_EOF;
		if ((r = eml_enter_dir(src)) != MS_OK)
			return r;
	}
	name = s->files.v[s->next_file++];

	join(&s->key, s->dir, name);
	join(&s->path, s->root, s->key.s);
	buf_reset(&s->folder);
	if (s->dir[0] == '\0')
		buf_adds(&s->folder, s->root_folder);
	else
		path_nfc(&s->folder, s->dir, strlen(s->dir));

	s->fd = open(s->path.s, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return err_set(&src->err, MS_SKIP, errno, "%s", s->path.s);
	if (fstat(s->fd, &st) != 0) {
		int e = errno;

		eml_close_msg(s);
		return err_set(&src->err, MS_SKIP, e, "%s", s->path.s);
	}
	if (!S_ISREG(st.st_mode)) {
		eml_close_msg(s);
		return err_set(&src->err, MS_SKIP, 0, "%s: not a file",
		    s->path.s);
	}
	msg_init(m);
	m->folder = s->folder.s;
	m->key = s->key.s;
	m->size = (int64_t)st.st_size;
	msgfile_stamp(s->stamp, &st);
	m->stamp = s->stamp;
	s->size = m->size;
	s->done = 0;
	return MS_OK;
}

static int
eml_read(struct source *src, void *p, size_t len, size_t *got)
{
	struct eml *s = src->data;

	return msgfile_read(s->fd, s->size, &s->done, s->path.s, &src->err, p,
	    len, got);
}

static void
eml_close(struct source *src)
{
	struct eml *s = src->data;

	if (s == NULL)
		return;
	eml_close_msg(s);
	names_release(&s->todo);
	names_release(&s->files);
	free(s->dir);
	free(s->root);
	free(s->root_folder);
	buf_release(&s->folder);
	buf_release(&s->key);
	buf_release(&s->path);
	free(s);
	src->data = NULL;
}

const struct source_ops eml_source = {
	.name = "eml",
	.prefix = "eml:",
	.probe = eml_probe,
	.open = eml_open,
	.next = eml_next,
	.read = eml_read,
	.close = eml_close,
};
