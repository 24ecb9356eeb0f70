/*
 * Read-only overlays from Apple Mail's SQLite databases (see envindex.h).
 * All SQL of the Apple Mail reader lives here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "envindex.h"
#include "path.h"
#include "xalloc.h"

struct dbcopy {
	char *dir;		/* owned: temporary directory */
	char *file;		/* owned: the copied database */
	sqlite3 *db;
};

struct mbox_row {
	int64_t id;
	char *name;		/* owned: decoded display path */
	char *url;		/* owned: mailboxes.url as stored */
};

struct envindex {
	struct dbcopy c;
	sqlite3_stmt *msg;	/* SELECT ... FROM messages WHERE ROWID=? */
	sqlite3_stmt *lab;	/* SELECT mailbox_id FROM labels, or NULL */
	int col_flags, col_read, col_flagged, col_deleted, col_date,
	    col_mailbox;	/* result columns, -1 when absent */
	struct mbox_row *boxes;	/* sorted by id */
	size_t nboxes;
	struct buf labels;
};

struct acct_row {
	char *ident, *user, *desc;	/* owned, may be "" */
	int64_t pk, parent;
};

struct accounts {
	struct dbcopy c;
	struct acct_row *rows;
	size_t n;
};

/* Copy SRC to DST (mode 0600).  Returns 0, or -1 with errno. */
static int
copy_file(const char *src, const char *dst)
{
	char b[64 * 1024];
	int in, out, r = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;

		close(in);
		errno = e;
		return -1;
	}
	while ((n = read(in, b, sizeof(b))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -1;
			break;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(out, b + w, (size_t)(n - w));

			if (k < 0) {
				if (errno == EINTR)
					continue;
				r = -1;
				break;
			}
			w += k;
		}
		if (r != 0)
			break;
	}
	int e = errno;

	close(in);
	if (close(out) != 0 && r == 0)
		r = -1;
	else
		errno = e;
	return r;
}

static void
dbcopy_close(struct dbcopy *c)
{
	if (c->db != NULL)
		sqlite3_close(c->db);
	c->db = NULL;
	if (c->file != NULL) {
		static const char *const sfx[] = { "", "-wal", "-shm",
		    "-journal" };

		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			char *p = xasprintf("%s%s", c->file, sfx[i]);

			unlink(p);
			free(p);
		}
	}
	if (c->dir != NULL)
		rmdir(c->dir);
	free(c->file);
	free(c->dir);
	c->file = c->dir = NULL;
}

/* Copy PATH (+ -wal, -shm) to a private directory and open the copy. */
static int
dbcopy_open(struct dbcopy *c, const char *path, struct buf *why)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	const char *tmp = getenv("TMPDIR");

	memset(c, 0, sizeof(*c));
	if (access(path, R_OK) != 0) {
		buf_addf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->dir = xasprintf("%s/mailsave-db.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(c->dir) == NULL) {
		buf_addf(why, "temporary directory %s: %s", c->dir,
		    strerror(errno));
		free(c->dir);
		c->dir = NULL;
		return -1;
	}
	c->file = xasprintf("%s/db", c->dir);
	if (copy_file(path, c->file) != 0) {
		buf_addf(why, "copying %s: %s", path, strerror(errno));
		dbcopy_close(c);
		return -1;
	}
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		char *s = xasprintf("%s%s", path, sfx[i]);
		char *d = xasprintf("%s%s", c->file, sfx[i]);
		int r = 0;

		if (access(s, F_OK) == 0)
			r = copy_file(s, d);
		if (r != 0)
			buf_addf(why, "copying %s: %s", s, strerror(errno));
		free(s);
		free(d);
		if (r != 0) {
			dbcopy_close(c);
			return -1;
		}
	}
	if (sqlite3_open_v2(c->file, &c->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		buf_addf(why, "%s: %s", path, c->db ? sqlite3_errmsg(c->db) :
		    "cannot open");
		dbcopy_close(c);
		return -1;
	}
	sqlite3_busy_timeout(c->db, 2000);
	return 0;
}

/* Index of column NAME in table T (by PRAGMA table_info), or -1. */
static int
has_column(sqlite3 *db, const char *table, const char *name)
{
	sqlite3_stmt *st;
	char *sql = xasprintf("PRAGMA table_info(\"%s\")", table);
	int found = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *c =
			    (const char *)sqlite3_column_text(st, 1);

			if (c != NULL && strcasecmp(c, name) == 0)
				found = 1;
		}
		sqlite3_finalize(st);
	}
	free(sql);
	return found;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The display path of a mailbox URL: the part after "scheme://host/",
 * percent-decoded and NFC-normalised ("imap://U/%5BGmail%5D/All%20Mail"
 * -> "[Gmail]/All Mail", "local:///Drafts" -> "Drafts").
 */
static char *
url_path(const char *url)
{
	const char *p = strstr(url, "://");
	struct buf raw = BUF_INIT, out = BUF_INIT;

	if (p == NULL)
		return xstrdup(url);
	p = strchr(p + 3, '/');
	if (p == NULL)
		return xstrdup("");
	p++;
	for (; *p != '\0'; p++) {
		int h, l;

		if (*p == '%' && (h = hexval((unsigned char)p[1])) >= 0 &&
		    (l = hexval((unsigned char)p[2])) >= 0) {
			buf_addc(&raw, (char)(h * 16 + l));
			p += 2;
		} else {
			buf_addc(&raw, *p);
		}
	}
	path_nfc(&out, raw.s, raw.len);
	buf_release(&raw);
	return buf_detach(&out);
}

static int
cmp_box(const void *a, const void *b)
{
	const struct mbox_row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct mbox_row *
box_row(const struct envindex *ei, int64_t id)
{
	size_t lo = 0, hi = ei->nboxes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ei->boxes[mid].id == id)
			return &ei->boxes[mid];
		if (ei->boxes[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *
box_name(const struct envindex *ei, int64_t id)
{
	const struct mbox_row *b = box_row(ei, id);

	return b != NULL ? b->name : NULL;
}

int
envindex_open(struct envindex **out, const char *path, struct buf *why)
{
	struct envindex *ei = xcalloc(1, sizeof(*ei));
	static const char *const cols[] = { "flags", "read", "flagged",
	    "deleted", "date_received", "mailbox" };
	int *slots[] = { &ei->col_flags, &ei->col_read, &ei->col_flagged,
	    &ei->col_deleted, &ei->col_date, &ei->col_mailbox };
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st;
	int n = 0;

	*out = NULL;
	buf_init(&ei->labels);
	if (dbcopy_open(&ei->c, path, why) != 0) {
		free(ei);
		return -1;
	}
	if (!has_column(ei->c.db, "messages", "ROWID") &&
	    !has_column(ei->c.db, "messages", "mailbox")) {
		buf_addf(why, "%s: no messages table (not an Envelope Index)",
		    path);
		goto fail;
	}
	buf_adds(&sql, "SELECT ROWID");
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		*slots[i] = -1;
		if (has_column(ei->c.db, "messages", cols[i])) {
			buf_addf(&sql, ", \"%s\"", cols[i]);
			*slots[i] = ++n;
		}
	}
	buf_adds(&sql, " FROM messages WHERE ROWID = ?1");
	if (sqlite3_prepare_v2(ei->c.db, sql.s, -1, &ei->msg, NULL) !=
	    SQLITE_OK) {
		buf_addf(why, "%s: %s (%s)", path, sqlite3_errmsg(ei->c.db),
		    sql.s);
		goto fail;
	}
	if (has_column(ei->c.db, "labels", "message_id") &&
	    has_column(ei->c.db, "labels", "mailbox_id") &&
	    sqlite3_prepare_v2(ei->c.db, "SELECT mailbox_id FROM labels "
	    "WHERE message_id = ?1 ORDER BY mailbox_id", -1, &ei->lab,
	    NULL) != SQLITE_OK)
		ei->lab = NULL;
	if (has_column(ei->c.db, "mailboxes", "url") &&
	    sqlite3_prepare_v2(ei->c.db, "SELECT ROWID, url FROM mailboxes",
	    -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *u =
			    (const char *)sqlite3_column_text(st, 1);

			if (u == NULL)
				continue;
			ei->boxes = xrealloc(ei->boxes, (ei->nboxes + 1) *
			    sizeof(*ei->boxes));
			ei->boxes[ei->nboxes].id = sqlite3_column_int64(st, 0);
			ei->boxes[ei->nboxes].name = url_path(u);
			ei->boxes[ei->nboxes].url = xstrdup(u);
			ei->nboxes++;
		}
		sqlite3_finalize(st);
		qsort(ei->boxes, ei->nboxes, sizeof(*ei->boxes), cmp_box);
	}
	buf_release(&sql);
	*out = ei;
	return 0;
fail:
	buf_release(&sql);
	envindex_close(ei);
	return -1;
}

int
envindex_lookup(struct envindex *ei, int64_t rowid, struct env_row *row,
    struct buf *why)
{
	int r;
	int64_t own = -1;

	memset(row, 0, sizeof(*row));
	row->read = row->flagged = row->deleted = -1;
	row->labels = "";
	buf_reset(&ei->labels);
	sqlite3_reset(ei->msg);
	sqlite3_bind_int64(ei->msg, 1, rowid);
	r = sqlite3_step(ei->msg);
	if (r == SQLITE_DONE)
		return 0;
	if (r != SQLITE_ROW) {
		buf_addf(why, "Envelope Index: %s", sqlite3_errmsg(ei->c.db));
		return -1;
	}
	row->found = 1;
	if (ei->col_flags >= 0 &&
	    sqlite3_column_type(ei->msg, ei->col_flags) != SQLITE_NULL) {
		row->has_flags = 1;
		row->flags = (uint64_t)sqlite3_column_int64(ei->msg,
		    ei->col_flags);
	}
	if (ei->col_read >= 0)
		row->read = sqlite3_column_int(ei->msg, ei->col_read) != 0;
	if (ei->col_flagged >= 0)
		row->flagged =
		    sqlite3_column_int(ei->msg, ei->col_flagged) != 0;
	if (ei->col_deleted >= 0)
		row->deleted =
		    sqlite3_column_int(ei->msg, ei->col_deleted) != 0;
	if (ei->col_date >= 0)
		row->date_received =
		    sqlite3_column_int64(ei->msg, ei->col_date);
	if (ei->col_mailbox >= 0 &&
	    sqlite3_column_type(ei->msg, ei->col_mailbox) != SQLITE_NULL) {
		const struct mbox_row *b;

		own = sqlite3_column_int64(ei->msg, ei->col_mailbox);
		if ((b = box_row(ei, own)) != NULL)
			row->box_url = b->url;
	}
	sqlite3_reset(ei->msg);
	if (ei->lab != NULL) {
		sqlite3_reset(ei->lab);
		sqlite3_bind_int64(ei->lab, 1, rowid);
		while ((r = sqlite3_step(ei->lab)) == SQLITE_ROW) {
			int64_t b = sqlite3_column_int64(ei->lab, 0);
			const char *name = box_name(ei, b);

			if (b == own || name == NULL || name[0] == '\0')
				continue;
			if (ei->labels.len)
				buf_addc(&ei->labels, '\n');
			buf_adds(&ei->labels, name);
		}
		sqlite3_reset(ei->lab);
		row->labels = ei->labels.s;
	}
	return 0;
}

void
envindex_close(struct envindex *ei)
{
	if (ei == NULL)
		return;
	sqlite3_finalize(ei->msg);
	sqlite3_finalize(ei->lab);
	dbcopy_close(&ei->c);
	for (size_t i = 0; i < ei->nboxes; i++) {
		free(ei->boxes[i].name);
		free(ei->boxes[i].url);
	}
	free(ei->boxes);
	buf_release(&ei->labels);
	free(ei);
}

int
envindex_rows(struct envindex *ei, int64_t *n, struct buf *why)
{
	sqlite3_stmt *st;
	int r;

	*n = 0;
	if (sqlite3_prepare_v2(ei->c.db, "SELECT count(*) FROM messages", -1,
	    &st, NULL) != SQLITE_OK) {
		buf_addf(why, "Envelope Index: %s", sqlite3_errmsg(ei->c.db));
		return -1;
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		buf_addf(why, "Envelope Index: %s", sqlite3_errmsg(ei->c.db));
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : -1;
}

/* Whether s is a UUID as Mail names account folders (8-4-4-4-12 hex). */
static int
is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hexval((unsigned char)s[i]) < 0) {
			return 0;
		}
	}
	return 1;
}

/*
 * Whether the display paths a and b name the same mailbox.  Lenient, so
 * that only a true mismatch counts: case is ignored (IMAP's INBOX, and
 * macOS file systems), and '.' and '/' are both taken as hierarchy
 * separators (servers whose delimiter is '.').
 */
static int
same_box(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = *a == '.' ? '/' : tolower((unsigned char)*a);
		int y = *b == '.' ? '/' : tolower((unsigned char)*b);

		if (x != y)
			return 0;
		if (x == '\0')
			return 1;
	}
}

int
envindex_box_matches(const char *url, const char *account_dir,
    const char *box_path, int tail)
{
	const char *p = strstr(url, "://"), *auth, *slash;
	char *path;
	int r;

	if (p == NULL)
		return -1;
	auth = p + 3;
	slash = strchr(auth, '/');
	/* Account folders are named by the account's UUID from V3 on. */
	if (account_dir != NULL && slash != NULL && is_uuid(auth,
	    (size_t)(slash - auth)) && is_uuid(account_dir,
	    strlen(account_dir)) && strncasecmp(auth, account_dir, 36) != 0)
		return 0;
	path = url_path(url);
	if (path[0] == '\0') {
		r = -1;
	} else if (same_box(path, box_path)) {
		r = 1;
	} else if (tail) {
		size_t lp = strlen(path), lb = strlen(box_path);

		r = lp > lb && (path[lp - lb - 1] == '/' ||
		    path[lp - lb - 1] == '.') &&
		    same_box(path + lp - lb, box_path);
	} else {
		r = 0;
	}
	free(path);
	return r;
}

static char *
col_str(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return xstrdup(s != NULL ? s : "");
}

int
accounts_open(struct accounts **out, const char *path, struct buf *why)
{
	struct accounts *ac = xcalloc(1, sizeof(*ac));
	int parent;
	sqlite3_stmt *st;

	*out = NULL;
	if (dbcopy_open(&ac->c, path, why) != 0) {
		free(ac);
		return -1;
	}
	if (!has_column(ac->c.db, "ZACCOUNT", "ZIDENTIFIER")) {
		buf_addf(why, "%s: no ZACCOUNT table", path);
		accounts_close(ac);
		return -1;
	}
	parent = has_column(ac->c.db, "ZACCOUNT", "ZPARENTACCOUNT");
	const char *sql = parent ?
	    "SELECT Z_PK, ZIDENTIFIER, ZUSERNAME, ZACCOUNTDESCRIPTION, "
	    "ZPARENTACCOUNT FROM ZACCOUNT" :
	    "SELECT Z_PK, ZIDENTIFIER, ZUSERNAME, ZACCOUNTDESCRIPTION, "
	    "NULL FROM ZACCOUNT";

	if (sqlite3_prepare_v2(ac->c.db, sql, -1, &st, NULL) != SQLITE_OK) {
		buf_addf(why, "%s: %s", path, sqlite3_errmsg(ac->c.db));
		accounts_close(ac);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct acct_row *r;

		ac->rows = xrealloc(ac->rows, (ac->n + 1) * sizeof(*ac->rows));
		r = &ac->rows[ac->n++];
		r->pk = sqlite3_column_int64(st, 0);
		r->ident = col_str(st, 1);
		r->user = col_str(st, 2);
		r->desc = col_str(st, 3);
		r->parent = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	/* The rows are in memory: drop the copy now. */
	dbcopy_close(&ac->c);
	*out = ac;
	return 0;
}

const char *
accounts_label(const struct accounts *ac, const char *ident)
{
	const struct acct_row *r = NULL, *parent = NULL;

	if (ac == NULL)
		return NULL;
	for (size_t i = 0; i < ac->n && r == NULL; i++)
		if (strcasecmp(ac->rows[i].ident, ident) == 0)
			r = &ac->rows[i];
	if (r == NULL)
		return NULL;
	for (size_t j = 0; j < ac->n && parent == NULL; j++)
		if (r->parent >= 0 && ac->rows[j].pk == r->parent)
			parent = &ac->rows[j];
	/* The description first (what Mail shows), then the address. */
	if (r->desc[0] != '\0')
		return r->desc;
	if (parent != NULL && parent->desc[0] != '\0')
		return parent->desc;
	if (r->user[0] != '\0')
		return r->user;
	if (parent != NULL && parent->user[0] != '\0')
		return parent->user;
	return NULL;
}

void
accounts_close(struct accounts *ac)
{
	if (ac == NULL)
		return;
	dbcopy_close(&ac->c);
	for (size_t i = 0; i < ac->n; i++) {
		free(ac->rows[i].ident);
		free(ac->rows[i].user);
		free(ac->rows[i].desc);
	}
	free(ac->rows);
	free(ac);
}
