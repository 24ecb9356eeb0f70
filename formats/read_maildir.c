/*
 * The Maildir reader: a Maildir (cur/ new/ tmp/) with its Maildir++
 * subfolders (".A.B" -> "A/B", names in modified UTF-7 decoded), and
 * trees of nested maildirs ("dir/sub/{cur,new,tmp}" -> "sub", as mbsync
 * and Dovecot's LAYOUT=fs write them).  The root, when it is a maildir, is
 * "INBOX".  Messages come from cur/ and new/ (never tmp/), sorted by file
 * name; flags from the ":2,<letters>" info, lower-case letters mapped to
 * keywords through Dovecot's "dovecot-keywords" file when there is one.
 * key = the folder's directory and the file name without the info and
 * without cur/ or new/, so it survives flag changes and a move from new/
 * to cur/.  size = st_size; date = mtime, the Maildir convention for the
 * received date.  The walk is depth first and sorted; one folder's file
 * names are held at a time.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "formats.h"
#include "msgfile.h"
#include "net.h"
#include "path.h"
#include "xalloc.h"

#define MD_MAX_DEPTH	32
#define MD_KEYWORDS	26

/* A directory still to visit. */
struct md_dir {
	char *rel;		/* owned: relative to the root ("" root) */
	char *folder;		/* owned: display name, NULL when the root */
	int depth;
};

/* A message file of the current folder. */
struct md_file {
	const char *sub;	/* static: "cur" or "new" */
	char *name;		/* owned */
};

struct maildir {
	char stamp[64];	/* "size:mtime" of the current file */
	char *root;		/* owned */

	struct md_dir *todo;	/* stack */
	size_t ntodo, captodo;

	struct md_dir cur;	/* the folder being read */
	struct md_file *files;
	size_t nfiles, capfiles, next_file;
	char *keywords[MD_KEYWORDS];	/* owned: Dovecot keyword names */

	int fd;			/* current message, -1 when none */
	int64_t size, done;
	struct buf key;		/* strings handed out in struct msg */
	struct buf kw;
	struct buf path;	/* scratch */
};

static void
join(struct buf *out, const char *a, const char *b)
{
	buf_reset(out);
	buf_adds(out, a);
	if (a[0] != '\0' && b[0] != '\0')
		buf_addc(out, '/');
	buf_adds(out, b);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether DIR/name is a directory (following links). */
static int
has_subdir(const char *dir, const char *name)
{
	struct buf b = BUF_INIT;
	int r;

	join(&b, dir, name);
	r = is_dir(b.s);
	buf_release(&b);
	return r;
}

/* A maildir has cur/ or new/ (tmp/ alone is not enough). */
static int
is_maildir(const char *dir)
{
	return has_subdir(dir, "cur") || has_subdir(dir, "new");
}

static int
is_reserved_sub(const char *name)
{
	return strcmp(name, "cur") == 0 || strcmp(name, "new") == 0 ||
	    strcmp(name, "tmp") == 0;
}

/*
 * Probe: 95 for a maildir (cur/ and new/), 90 for a Maildir++ store with
 * only subfolders (".X/cur"), 70 for a tree whose maildirs are one or two
 * levels down (mbsync, LAYOUT=fs), else 0.
 */
static int
probe_children(const char *path, int depth, int hidden_ok)
{
	DIR *d = opendir(path);
	struct dirent *e;
	struct buf b = BUF_INIT;
	int found = 0, budget = 500;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL && --budget > 0) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || is_reserved_sub(e->d_name))
			continue;
		if (e->d_name[0] == '.' && !hidden_ok)
			continue;
		join(&b, path, e->d_name);
		if (!is_dir(b.s))
			continue;
		if (e->d_name[0] == '.') {
			if (has_subdir(b.s, "cur"))
				found = 90;
		} else if (has_subdir(b.s, "cur") && has_subdir(b.s, "new")) {
			found = 70;
		} else if (depth > 0 && probe_children(b.s, depth - 1, 0)) {
			found = 70;
		}
	}
	closedir(d);
	buf_release(&b);
	return found;
}

static int
maildir_probe(const char *path)
{
	if (!is_dir(path))
		return 0;
	if (has_subdir(path, "cur") && has_subdir(path, "new"))
		return 95;
	return probe_children(path, 1, 1);
}

/*
 * Display name of a Maildir++ directory ".A.B": "A/B".  Empty components
 * ("..A") are dropped; a name of dots only ("...") keeps its dots as the
 * name, which the writers make safe like any other hostile name.
 */
static char *
plusplus_folder(const char *name)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	size_t start;

	/*
	 * Dovecot stores folder names in modified UTF-7 (RFC 3501 5.1.3), as
	 * IMAP sends them; a name that is not valid modified UTF-7 is kept as
	 * it is (our own writer stores UTF-8).
	 */
	if (net_mutf7_decode(&raw, name + 1) != 0) {
		buf_reset(&raw);
		buf_adds(&raw, name + 1);
	}
	for (size_t i = 0; i < raw.len; i++) {
		if (raw.s[i] != '.') {
			if (out.len > 0 && raw.s[i - 1] == '.')
				buf_addc(&out, '/');
			start = i;
			while (i < raw.len && raw.s[i] != '.')
				i++;
			path_nfc(&out, raw.s + start, i - start);
			i--;
		}
	}
	if (out.len == 0)
		buf_adds(&out, raw.len ? raw.s : "_");
	buf_release(&raw);
	return buf_detach(&out);
}

static void
todo_push(struct maildir *s, char *rel, char *folder, int depth)
{
	if (s->ntodo == s->captodo) {
		s->captodo = s->captodo ? 2 * s->captodo : 16;
		s->todo = xrealloc(s->todo, s->captodo * sizeof(*s->todo));
	}
	s->todo[s->ntodo].rel = rel;
	s->todo[s->ntodo].folder = folder;
	s->todo[s->ntodo].depth = depth;
	s->ntodo++;
}

static void
clear_folder(struct maildir *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].name);
	s->nfiles = 0;
	s->next_file = 0;
	for (int i = 0; i < MD_KEYWORDS; i++) {
		free(s->keywords[i]);
		s->keywords[i] = NULL;
	}
	free(s->cur.rel);
	free(s->cur.folder);
	s->cur.rel = NULL;
	s->cur.folder = NULL;
}

static int
maildir_open(struct source *src, const char *path, const struct opts *o)
{
	struct maildir *s;

	(void)o;
	if (!is_dir(path))
		return err_set(&src->err, MS_FATAL, errno ? errno : ENOTDIR,
		    "%s", path);
	s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(path);
	s->fd = -1;
	buf_init(&s->key);
	buf_init(&s->kw);
	buf_init(&s->path);
	todo_push(s, xstrdup(""), NULL, 0);
	src->data = s;
	return MS_OK;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_files(const void *a, const void *b)
{
	const struct md_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->sub, y->sub);
}

/* Read dovecot-keywords ("<index> <name>" lines) of the current folder. */
static void
load_keywords(struct maildir *s)
{
	char line[1024];
	FILE *f;

	join(&s->path, s->root, s->cur.rel);
	buf_adds(&s->path, "/dovecot-keywords");
	f = fopen(s->path.s, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *end;
		long i = strtol(line, &end, 10);

		if (end == line || *end != ' ' || i < 0 || i >= MD_KEYWORDS)
			continue;
		end++;
		end[strcspn(end, "\r\n")] = '\0';
		if (*end == '\0')
			continue;
		free(s->keywords[i]);
		s->keywords[i] = xstrdup(end);
	}
	fclose(f);
}

/* List messages of DIR/sub into s->files; -1 with errno on failure. */
static int
list_messages(struct maildir *s, const char *dir, const char *sub)
{
	struct buf b = BUF_INIT;
	struct dirent *e;
	DIR *d;
	int ret = 0;

	join(&b, dir, sub);
	d = opendir(b.s);
	buf_release(&b);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		struct stat st;

		errno = 0;
		if ((e = readdir(d)) == NULL) {
			if (errno != 0)
				ret = -1;
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		if (e->d_type != DT_REG) {
			if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 ||
			    !S_ISREG(st.st_mode))
				continue;
		}
		if (s->nfiles == s->capfiles) {
			s->capfiles = s->capfiles ? 2 * s->capfiles : 64;
			s->files = xrealloc(s->files,
			    s->capfiles * sizeof(*s->files));
		}
		s->files[s->nfiles].sub = sub;
		s->files[s->nfiles].name = xstrdup(e->d_name);
		s->nfiles++;
	}
	closedir(d);
	return ret;
}

/*
 * Take the next directory from the stack: queue its children, and if it
 * is a maildir make it the current folder.  MS_OK, or MS_FAILED when the
 * folder cannot be listed.
 */
static int
enter_dir(struct source *src)
{
	struct maildir *s = src->data;
	struct md_dir dir = s->todo[--s->ntodo];
	struct names { char **v; size_t n, cap; } kids = { 0 };
	struct buf full = BUF_INIT, b = BUF_INIT;
	struct dirent *e;
	DIR *d;
	int r = MS_OK;

	clear_folder(s);
	s->cur = dir;
	join(&full, s->root, dir.rel);
	if (full.len == 0)
		buf_adds(&full, ".");

	/* Children first on the stack, so they come after this folder. */
	d = dir.depth < MD_MAX_DEPTH ? opendir(full.s) : NULL;
	if (d == NULL && dir.depth < MD_MAX_DEPTH && errno != ENOENT) {
		r = err_set(&src->err, MS_FAILED, errno, "%s", full.s);
		goto out;
	}
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0 ||
			    is_reserved_sub(e->d_name))
				continue;
			/* Maildir++ subfolders live only at the root. */
			if (e->d_name[0] == '.' && dir.rel[0] != '\0')
				continue;
			struct stat st;

			if (fstatat(dirfd(d), e->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
				continue;
			if (e->d_name[0] == '.') {
				join(&b, full.s, e->d_name);
				if (!is_maildir(b.s))
					continue;
			}
			if (kids.n == kids.cap) {
				kids.cap = kids.cap ? 2 * kids.cap : 16;
				kids.v = xrealloc(kids.v,
				    kids.cap * sizeof(*kids.v));
			}
			kids.v[kids.n++] = xstrdup(e->d_name);
		}
		closedir(d);
		if (kids.n > 1)
			qsort(kids.v, kids.n, sizeof(char *), cmp_names);
		for (size_t i = kids.n; i > 0; i--) {
			char *name = kids.v[i - 1];
			char *folder;

			if (name[0] == '.') {
				folder = plusplus_folder(name);
			} else {
				/* NFC like every display name. */
				struct buf n = BUF_INIT;

				if (dir.folder != NULL)
					buf_addf(&n, "%s/", dir.folder);
				path_nfc(&n, name, strlen(name));
				folder = buf_detach(&n);
			}
			join(&b, dir.rel, name);
			todo_push(s, buf_detach(&b), folder, dir.depth + 1);
			free(name);
		}
		free(kids.v);
	}

	if (is_maildir(full.s)) {
		if (s->cur.folder == NULL)
			s->cur.folder = xstrdup("INBOX");
		if (list_messages(s, full.s, "cur") != 0 ||
		    list_messages(s, full.s, "new") != 0) {
			r = err_set(&src->err, MS_FAILED, errno, "%s",
			    full.s);
			for (size_t i = 0; i < s->nfiles; i++)
				free(s->files[i].name);
			s->nfiles = 0;
		} else {
			if (s->nfiles > 1)
				qsort(s->files, s->nfiles,
				    sizeof(*s->files), cmp_files);
			load_keywords(s);
		}
	}
out:
	buf_release(&full);
	buf_release(&b);
	return r;
}

static void
close_msg(struct maildir *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Where the info (":2,...", also ";2," and "!2,") starts, or NULL. */
static const char *
find_info(const char *name)
{
	const char *best = NULL;

	for (const char *p = name; *p != '\0'; p++)
		if ((*p == ':' || *p == ';' || *p == '!') && p[1] == '2' &&
		    p[2] == ',')
			best = p;
	return best;
}

/* Flags and keywords from the info letters of a file name. */
static unsigned
parse_info(struct maildir *s, const char *info, struct buf *kw)
{
	unsigned flags;

	buf_reset(kw);
	if (info == NULL)
		return 0;
	flags = msg_flags_from_maildir(info + 3);
	for (const char *p = info + 3; *p != '\0'; p++) {
		if (*p < 'a' || *p > 'z' || s->keywords[*p - 'a'] == NULL)
			continue;
		const char *word = s->keywords[*p - 'a'];

		flags |= msg_flags_from_keyword(word, strlen(word));
		if (kw->len)
			buf_addc(kw, ' ');
		buf_adds(kw, word);
	}
	return flags;
}

static int
maildir_next(struct source *src, struct msg *m)
{
	struct maildir *s = src->data;
	struct md_file *f;
	struct stat st;
	const char *info;

	close_msg(s);
	while (s->next_file >= s->nfiles) {
		int r;

		if (s->ntodo == 0)
			return MS_EOF;
		if ((r = enter_dir(src)) != MS_OK)
			return r;
	}
	f = &s->files[s->next_file++];

	join(&s->path, s->root, s->cur.rel);
	if (s->path.len)
		buf_addc(&s->path, '/');
	buf_addf(&s->path, "%s/%s", f->sub, f->name);
	info = find_info(f->name);
	join(&s->key, s->cur.rel, "");
	if (s->key.len)
		buf_addc(&s->key, '/');
	buf_add(&s->key, f->name, info ? (size_t)(info - f->name) :
	    strlen(f->name));

	s->fd = open(s->path.s, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return err_set(&src->err, MS_SKIP, errno, "%s", s->path.s);
	if (fstat(s->fd, &st) != 0) {
		int e = errno;

		close_msg(s);
		return err_set(&src->err, MS_SKIP, e, "%s", s->path.s);
	}
	msg_init(m);
	m->folder = s->cur.folder;
	m->folder_raw = s->cur.rel[0] ? s->cur.rel : NULL;
	m->key = s->key.s;
	m->size = (int64_t)st.st_size;
	m->date = (int64_t)st.st_mtime;
	m->flags = parse_info(s, info, &s->kw);
	m->keywords = s->kw.len ? s->kw.s : NULL;
	msgfile_stamp(s->stamp, &st);
	m->stamp = s->stamp;
	s->size = m->size;
	s->done = 0;
	return MS_OK;
}

static int
maildir_read(struct source *src, void *p, size_t len, size_t *got)
{
	struct maildir *s = src->data;

	return msgfile_read(s->fd, s->size, &s->done, s->path.s, &src->err, p,
	    len, got);
}

static void
maildir_close(struct source *src)
{
	struct maildir *s = src->data;

	if (s == NULL)
		return;
	close_msg(s);
	clear_folder(s);
	for (size_t i = 0; i < s->ntodo; i++) {
		free(s->todo[i].rel);
		free(s->todo[i].folder);
	}
	free(s->todo);
	free(s->files);
	free(s->root);
	buf_release(&s->key);
	buf_release(&s->kw);
	buf_release(&s->path);
	free(s);
	src->data = NULL;
}

const struct source_ops maildir_source = {
	.name = "maildir",
	.prefix = "maildir:",
	.probe = maildir_probe,
	.open = maildir_open,
	.next = maildir_next,
	.read = maildir_read,
	.close = maildir_close,
};
