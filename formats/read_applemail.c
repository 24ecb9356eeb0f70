/*
 * The Apple Mail store reader (apple-mail-formats.md sections 1-3): walks
 * ~/Library/Mail, one V* folder, one account folder or one Name.mbox
 * mailbox, in every layout from Mail 2 (Tiger) to V10, and yields each
 * N.emlx / N.partial.emlx once, with the partial ones rebuilt (partial.c),
 * flags and received dates from the plist trailer (emlx.c) and, when it
 * can be read, the Envelope Index as an overlay (envindex.c).  A row is
 * matched by ROWID and used only when its mailbox (mailboxes.url) is the
 * file's: a row of another mailbox means the index does not describe
 * these files, and one warning says so.  A missing attachment payload is
 * looked for last in the Mail Downloads folders of the store's home.
 *
 * applemail_inventory() (applemail.h) runs the same walk for `doctor`.
 *
 * Folders.  A message's folder is "<account>/<mailbox path>": the account
 * is the account folder's description from Accounts4.sqlite when that
 * database is readable, else the folder's own name ("IMAP-jane@host",
 * a UUID; "Mailboxes" is "On My Mac"); the mailbox path is the chain of
 * .mbox/.imapmbox names ("Archive.mbox/2024.mbox" -> "Archive/2024"),
 * with Mail 2-4's sibling folders ("Work.imapmbox" + "Work/") giving the
 * same chain, NFC-normalised.  When the source is a single Name.mbox the
 * folder is "Name" (and "Name/Child" for nested mailboxes).
 *
 * Keys are the file's path relative to the source without its
 * ".emlx"/".partial.emlx" suffix, so a partial that Mail later completes
 * keeps its key.
 *
 * Memory: mailboxes are listed at open (a few hundred entries), and the
 * message ids of one mailbox at a time (16 bytes each); message bytes are
 * streamed with pread() or through the partial rebuilder.
 *
 * Warnings (a damaged .emlx framing, a partial message whose attachments
 * are missing) do not stop a message: it is exported, its m->extra holds a
 * "warning=" line, and src->err holds the text with code MS_OK after
 * next() returns, for the caller to print and count.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applemail.h"
#include "emlx.h"
#include "envindex.h"
#include "formats.h"
#include "partial.h"
#include "path.h"
#include "plist.h"
#include "xalloc.h"

#define AM_DEPTH_MAX	24	/* mailbox nesting walked */
#define AM_DATA_DEPTH	12	/* Data/<fan> levels walked */
#define AM_ID_DIGITS	18

static const char am_fda_hint[] =
    " (grant Full Disk Access to your terminal in System Settings \xe2\x86\x92 "
    "Privacy & Security)";

/* The Full Disk Access advice when errno E says permission was refused. */
static const char *
fda_hint(int e)
{
	return e == EPERM || e == EACCES ? am_fda_hint : "";
}

enum am_mode { AM_ROOT, AM_LEGACY_ROOT, AM_VDIR, AM_ACCOUNT, AM_MAILBOX };

struct am_box {
	char *dir;		/* owned: the mailbox directory */
	const char *raw;	/* dir relative to the source (points in dir) */
	char *folder;		/* owned: display path */
	char *failed;		/* owned: error to report, or NULL */
	int failed_errno;
	int acct;		/* index into am.accts, -1 for none */
	const char *bpath;	/* the mailbox path without the account
				   label (points in folder) */
};

/* An account folder met by the walk. */
struct am_acct {
	char *label;		/* owned: the folder label export uses */
	char *dir;		/* owned: the folder's own name */
};

#define AM_EMLX		1
#define AM_PARTIAL	2

struct am_ent {
	int64_t id;
	uint32_t dir;		/* index into am.dirs */
	uint32_t kinds;		/* AM_EMLX | AM_PARTIAL */
};

struct am {
	char *root;		/* owned: the source path, no trailing '/' */
	enum am_mode mode;
	struct am_box *boxes;	/* owned */
	size_t nboxes, ibox;
	int box_open;		/* boxes[ibox]'s messages are listed */

	char **dirs;		/* owned: Messages directories of the box */
	size_t ndirs;
	struct am_ent *ents;	/* owned */
	size_t nents, ient, cap;
	struct buf box_err;	/* unreadable parts of the box */
	int box_denied;		/* some of them for want of permission */

	struct envindex *ei;	/* owned, may be NULL */
	struct buf ei_err;	/* why the Envelope Index is not used */
	int ei_denied;		/* EPERM/EACCES */
	int ei_reported;
	char *ei_path;		/* owned: the Envelope Index found, or NULL */
	uint64_t ei_mismatch;	/* rows of another mailbox, not applied */
	struct accounts *ac;	/* owned, may be NULL */
	struct buf labels_used;	/* '\n'-separated account labels */
	struct am_acct *accts;	/* owned */
	size_t naccts;
	int cur_acct;		/* the account being walked, or -1 */
	char *up_acct;		/* owned: AM_MAILBOX: the folder above the
				   source's .mbox chain (its account), or
				   NULL */
	struct partial_downloads *dl;	/* owned, may be NULL */

	/* The V folder choice (AM_ROOT). */
	char *vname;		/* owned: "V10", or NULL */
	const char *vwhy;
	char *vnote;		/* owned, or NULL */
	struct buf stale;	/* the other V folders */

	/* The current message. */
	int fd;
	struct emlx_frame fr;
	int64_t pos;
	int rebuilding;
	struct partial pr;
	struct plist pl;
	struct buf path, key, extra, keywords, warn, tmp, stamp;
};

static int
has_suffix(const char *s, const char *sfx)
{
	size_t n = strlen(s), k = strlen(sfx);

	return n > k && strcasecmp(s + n - k, sfx) == 0;
}

/* Length of the mailbox suffix of NAME (".mbox", ".imapmbox"), or 0. */
static size_t
box_suffix(const char *name)
{
	if (has_suffix(name, ".mbox"))
		return 5;
	if (has_suffix(name, ".imapmbox"))
		return 9;
	return 0;
}

static int
is_vname(const char *name)
{
	if (name[0] != 'V' || name[1] == '\0')
		return 0;
	for (const char *p = name + 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

static int
is_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether PATH is a directory itself, not a symlink to one. */
static int
is_real_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Names never walked for mailboxes (metadata, plug-ins, caches). */
static int
skip_name(const char *name)
{
	static const char *const names[] = {
		"MailData", "Bundles", "Signatures", "Mail Downloads",
		"Messages", "Attachments", "Data", "RSS", "SyncedFiles",
		"Cache", "Caches", "Containers", NULL
	};

	if (name[0] == '.')
		return 1;
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* A sorted list of the entries of DIR (without "." and ".."). */
static int
list_dir(const char *dir, char ***out, size_t *n)
{
	struct dirent **list = NULL;
	int k = scandir(dir, &list, NULL, alphasort);
	size_t m = 0;

	*out = NULL;
	*n = 0;
	if (k < 0)
		return -1;
	*out = xcalloc((size_t)k + 1, sizeof(char *));
	for (int i = 0; i < k; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 &&
		    strcmp(list[i]->d_name, "..") != 0)
			(*out)[m++] = xstrdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	*n = m;
	return 0;
}

static void
free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/*
 * Whether the mailbox directory DIR holds messages the Apple Mail way:
 * Messages/, Data/, or a store folder holding Data/ (not an export bundle,
 * which holds a file named mbox).
 */
static int
box_is_store(const char *dir)
{
	char **names;
	size_t n;
	int yes = 0;
	char *p = xasprintf("%s/Messages", dir);

	if (is_dir(p))
		yes = 1;
	free(p);
	if (yes || list_dir(dir, &names, &n) != 0)
		return yes;
	for (size_t i = 0; i < n && !yes; i++) {
		if (names[i][0] == '.' || box_suffix(names[i]))
			continue;
		p = strcmp(names[i], "Data") == 0 ?
		    xasprintf("%s/Data", dir) :
		    xasprintf("%s/%s/Data", dir, names[i]);
		yes = is_dir(p);
		free(p);
	}
	free_list(names, n);
	return yes;
}

/* Whether some mailbox at most DEPTH levels below DIR is a store. */
static int
tree_has_store(const char *dir, int depth)
{
	char **names;
	size_t n;
	int yes = 0;

	if (depth < 0 || list_dir(dir, &names, &n) != 0)
		return 0;
	for (size_t i = 0; i < n && !yes; i++) {
		char *p;

		if (names[i][0] == '.' || (skip_name(names[i]) &&
		    !box_suffix(names[i])))
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		if (is_dir(p)) {
			if (box_suffix(names[i]))
				yes = box_is_store(p) || tree_has_store(p,
				    depth - 1);
			else
				yes = tree_has_store(p, depth - 1);
		}
		free(p);
	}
	free_list(names, n);
	return yes;
}

/*
 * The V* folder of a Mail root: the one PersistenceInfo.plist names, else
 * the newest.  Records the choice, and the other V* folders (stale copies
 * an upgrade of macOS left behind), in a->vname, vwhy, vnote and stale.
 */
static char *
live_vdir(struct am *a, const char *root)
{
	char *pi = xasprintf("%s/PersistenceInfo.plist", root);
	char **names;
	size_t n;
	char *best = NULL;
	long bestv = -1;
	int fd = open(pi, O_RDONLY | O_CLOEXEC);

	free(pi);
	if (fd >= 0) {
		char b[16 * 1024];
		ssize_t got = read(fd, b, sizeof(b));
		struct plist pl;

		close(fd);
		plist_init(&pl);
		if (got > 0 && plist_parse(&pl, b, (size_t)got) == 0) {
			const struct plist_item *it = plist_get(&pl,
			    "LastUsedVersionDirectoryName");

			if (it != NULL && is_vname(it->value)) {
				char *p = xasprintf("%s/%s", root, it->value);

				if (is_dir(p))
					best = p;
				else
					free(p);
				if (best == NULL)
					a->vnote = xasprintf("PersistenceInfo."
					    "plist names %s, which is not "
					    "there", it->value);
			} else {
				a->vnote = xstrdup("PersistenceInfo.plist "
				    "names no V folder");
			}
		} else {
			a->vnote = xstrdup("PersistenceInfo.plist cannot be "
			    "read");
		}
		plist_release(&pl);
	}
	if (best != NULL)
		a->vwhy = "named in PersistenceInfo.plist";
	if (list_dir(root, &names, &n) != 0)
		return best;
	if (best == NULL) {
		for (size_t i = 0; i < n; i++) {
			if (!is_vname(names[i]))
				continue;
			long v = strtol(names[i] + 1, NULL, 10);
			char *p = xasprintf("%s/%s", root, names[i]);

			if (v > bestv && is_dir(p)) {
				free(best);
				best = p;
				bestv = v;
			} else {
				free(p);
			}
		}
		if (best != NULL)
			a->vwhy = "the newest";
	}
	for (size_t i = 0; i < n; i++) {
		char *p;

		if (best != NULL && strcmp(names[i], base_name(best)) == 0)
			continue;
		p = xasprintf("%s/%s", root, names[i]);
		/* Older V folders, and Mail 2-4 account folders beside them. */
		if (is_vname(names[i]) ? is_dir(p) : best != NULL &&
		    !skip_name(names[i]) && !box_suffix(names[i]) &&
		    is_real_dir(p) && tree_has_store(p, 1)) {
			if (a->stale.len)
				buf_addc(&a->stale, ' ');
			buf_adds(&a->stale, names[i]);
		}
		free(p);
	}
	free_list(names, n);
	if (best != NULL)
		a->vname = xstrdup(base_name(best));
	return best;
}

static int
root_has_vdirs(const char *dir)
{
	char **names;
	size_t n;
	int yes = 0;

	if (list_dir(dir, &names, &n) != 0)
		return 0;
	for (size_t i = 0; i < n && !yes; i++)
		if (is_vname(names[i])) {
			char *p = xasprintf("%s/%s", dir, names[i]);

			yes = is_dir(p);
			free(p);
		}
	free_list(names, n);
	return yes;
}

/* Whether DIR has a Name.mbox or Name.imapmbox directory in it. */
static int
has_box_child(const char *dir)
{
	char **names;
	size_t n;
	int yes = 0;

	if (list_dir(dir, &names, &n) != 0)
		return 0;
	for (size_t i = 0; i < n && !yes; i++)
		if (box_suffix(names[i]) && names[i][0] != '.') {
			char *p = xasprintf("%s/%s", dir, names[i]);

			yes = is_real_dir(p);
			free(p);
		}
	free_list(names, n);
	return yes;
}

static int
am_probe(const char *path)
{
	struct stat st;
	char *p;
	int yes;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (box_suffix(base_name(path)))
		return box_is_store(path) || tree_has_store(path, 2) ? 90 : 0;
	p = xasprintf("%s/PersistenceInfo.plist", path);
	yes = is_file(p);
	free(p);
	if (yes || root_has_vdirs(path))
		return 95;
	p = xasprintf("%s/MailData", path);
	yes = is_dir(p);
	free(p);
	if (yes || is_vname(base_name(path)))
		return tree_has_store(path, 2) ? 90 : 0;
	/* An account folder, or a Mail 2-4 root holding account folders. */
	return tree_has_store(path, 1) ? 85 : 0;
}

/* Append NAME's first LEN bytes NFC-normalised to a display path. */
static void
add_component(struct buf *out, const char *name, size_t len)
{
	if (out->len > 0)
		buf_addc(out, '/');
	path_nfc(out, name, len);
}

static void
add_box(struct am *a, const char *dir, const char *folder,
    const char *failed)
{
	struct am_box *b;

	a->boxes = xrealloc(a->boxes, (a->nboxes + 1) * sizeof(*a->boxes));
	b = &a->boxes[a->nboxes++];
	b->dir = xstrdup(dir);
	b->raw = b->dir;
	if (strncmp(dir, a->root, strlen(a->root)) == 0 &&
	    dir[strlen(a->root)] == '/')
		b->raw = b->dir + strlen(a->root) + 1;
	else if (strcmp(dir, a->root) == 0)
		b->raw = base_name(b->dir);
	b->folder = xstrdup(folder[0] != '\0' ? folder : "INBOX");
	b->failed = failed != NULL ? xstrdup(failed) : NULL;
	b->failed_errno = 0;
	b->acct = a->cur_acct;
	b->bpath = b->folder;
	if (b->acct >= 0) {
		size_t ll = strlen(a->accts[b->acct].label);

		if (strncmp(b->folder, a->accts[b->acct].label, ll) == 0 &&
		    b->folder[ll] == '/')
			b->bpath = b->folder + ll + 1;
	}
}

static void
add_failed(struct am *a, const char *dir, const char *folder, int e)
{
	char *t = xasprintf("%s: %s", dir, strerror(e));

	add_box(a, dir, folder, t);
	a->boxes[a->nboxes - 1].failed_errno = e;
	free(t);
}

static void walk_level(struct am *a, const char *dir, const char *prefix,
    int depth);
static int has_box_child(const char *dir);

/* Whether NAMES[0..n) holds NAME.mbox or NAME.imapmbox. */
static int
has_sibling_box(char **names, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncmp(names[i], name, nl) == 0 &&
		    (strcasecmp(names[i] + nl, ".mbox") == 0 ||
		    strcasecmp(names[i] + nl, ".imapmbox") == 0))
			return 1;
	return 0;
}

/* The mailboxes nested inside the mailbox DIR (V2+ layout). */
static void
walk_children(struct am *a, const char *dir, const char *prefix, int depth)
{
	char **names;
	size_t n;

	if (depth > AM_DEPTH_MAX || list_dir(dir, &names, &n) != 0)
		return;	/* the box's own listing reports errors */
	for (size_t i = 0; i < n; i++) {
		size_t sl = box_suffix(names[i]);
		char *p;

		if (sl == 0 || names[i][0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		if (is_real_dir(p)) {
			struct buf f = BUF_INIT;

			buf_adds(&f, prefix);
			add_component(&f, names[i], strlen(names[i]) - sl);
			add_box(a, p, f.s, NULL);
			walk_children(a, p, f.s, depth + 1);
			buf_release(&f);
		}
		free(p);
	}
	free_list(names, n);
}

/*
 * The mailboxes of an account folder (or of a plain folder inside one):
 * every Name.mbox / Name.imapmbox with its nested children, and plain
 * folders, which hold Mail 2-4's children of the mailbox of the same name.
 */
static void
walk_level(struct am *a, const char *dir, const char *prefix, int depth)
{
	char **names;
	size_t n;

	if (depth > AM_DEPTH_MAX)
		return;
	if (list_dir(dir, &names, &n) != 0) {
		if (errno == EPERM || errno == EACCES)
			add_failed(a, dir, prefix, errno);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t sl = box_suffix(names[i]);
		struct buf f = BUF_INIT;
		char *p;

		if (names[i][0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		if (!is_real_dir(p)) {
			free(p);
			continue;
		}
		buf_adds(&f, prefix);
		if (sl > 0) {
			add_component(&f, names[i], strlen(names[i]) - sl);
			add_box(a, p, f.s, NULL);
			walk_children(a, p, f.s, depth + 1);
		} else if (!skip_name(names[i]) && !is_vname(names[i]) &&
		    (has_sibling_box(names, n, names[i]) || has_box_child(p))) {
			/* Mail 2-4: the children of Name.mbox live in Name/. */
			add_component(&f, names[i], strlen(names[i]));
			walk_level(a, p, f.s, depth + 1);
		}
		buf_release(&f);
		free(p);
	}
	free_list(names, n);
}

/* A label for an account folder, unique within the run. */
static void
account_label(struct am *a, const char *name, struct buf *out)
{
	const char *l = accounts_label(a->ac, name);
	struct buf nfc = BUF_INIT;
	const char *p;
	size_t n;

	if (l == NULL && strcmp(name, "Mailboxes") == 0)
		l = "On My Mac";
	if (l == NULL)
		l = name;
	path_nfc(&nfc, l, strlen(l));
	/* Slashes would add a level: a label is one component. */
	for (size_t i = 0; i < nfc.len; i++)
		if (nfc.s[i] == '/')
			nfc.s[i] = '_';
	buf_reset(out);
	buf_add(out, nfc.s, nfc.len);
	p = a->labels_used.s;
	n = nfc.len;
	while (*p != '\0') {
		const char *e = strchr(p, '\n');

		if ((size_t)(e - p) == n && memcmp(p, nfc.s, n) == 0 &&
		    strcmp(l, name) != 0) {
			buf_addf(out, " (%s)", name);
			break;
		}
		p = e + 1;
	}
	buf_add(&a->labels_used, out->s, out->len);
	buf_addc(&a->labels_used, '\n');
	buf_release(&nfc);
	a->accts = xrealloc(a->accts, (a->naccts + 1) * sizeof(*a->accts));
	a->accts[a->naccts].label = xstrdup(out->s);
	a->accts[a->naccts].dir = xstrdup(name);
	a->cur_acct = (int)a->naccts++;
}

/* The accounts of a V* folder or of a Mail 2-4 root. */
static void
walk_accounts(struct am *a, const char *dir, int legacy)
{
	char **names;
	size_t n;
	struct buf label = BUF_INIT;

	if (list_dir(dir, &names, &n) != 0) {
		if (errno == EPERM || errno == EACCES)
			add_failed(a, dir, base_name(dir), errno);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *p;

		if (skip_name(names[i]) || (legacy && is_vname(names[i])))
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		if (is_real_dir(p) && !box_suffix(names[i])) {
			account_label(a, names[i], &label);
			walk_level(a, p, label.s, 0);
			a->cur_acct = -1;
		} else if (is_real_dir(p)) {
			/* A mailbox directly in the root (Mail 1-style). */
			size_t sl = box_suffix(names[i]);
			struct buf f = BUF_INIT;

			add_component(&f, names[i], strlen(names[i]) - sl);
			add_box(a, p, f.s, NULL);
			walk_children(a, p, f.s, 1);
			buf_release(&f);
		}
		free(p);
	}
	buf_release(&label);
	free_list(names, n);
}

static void
add_ent(struct am *a, int64_t id, uint32_t dir, uint32_t kind)
{
	if (a->nents == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->ents = xrealloc(a->ents, a->cap * sizeof(*a->ents));
	}
	a->ents[a->nents].id = id;
	a->ents[a->nents].dir = dir;
	a->ents[a->nents].kinds = kind;
	a->nents++;
}

static void
box_problem(struct am *a, const char *path, int e)
{
	if (a->box_err.len)
		buf_adds(&a->box_err, "; ");
	buf_addf(&a->box_err, "%s: %s", path, strerror(e));
	if (e == EPERM || e == EACCES)
		a->box_denied = 1;
}

/* Record the N.emlx and N.partial.emlx files of a Messages directory. */
static void
scan_messages(struct am *a, const char *dir)
{
	char **names;
	size_t n;
	uint32_t di;

	if (list_dir(dir, &names, &n) != 0) {
		box_problem(a, dir, errno);
		return;
	}
	di = (uint32_t)a->ndirs;
	a->dirs = xrealloc(a->dirs, (a->ndirs + 1) * sizeof(*a->dirs));
	a->dirs[a->ndirs++] = xstrdup(dir);
	for (size_t i = 0; i < n; i++) {
		const char *s = names[i];
		size_t d = 0;
		uint32_t kind;

		while (isdigit((unsigned char)s[d]))
			d++;
		if (d == 0 || d > AM_ID_DIGITS || (s[0] == '0' && d > 1))
			continue;	/* Mail writes ids without leading 0s */
		if (strcmp(s + d, ".emlx") == 0)
			kind = AM_EMLX;
		else if (strcmp(s + d, ".partial.emlx") == 0)
			kind = AM_PARTIAL;
		else
			continue;
		add_ent(a, strtoll(s, NULL, 10), di, kind);
	}
	free_list(names, n);
}

/* Walk a store's Data/ folder: Messages/ and single-digit fan folders. */
static void
walk_data(struct am *a, const char *dir, int depth)
{
	char **names;
	size_t n;

	if (depth > AM_DATA_DEPTH)
		return;
	if (list_dir(dir, &names, &n) != 0) {
		box_problem(a, dir, errno);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *p;

		if (strcmp(names[i], "Messages") != 0 && !is_digits(names[i]))
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		if (is_real_dir(p)) {
			if (strcmp(names[i], "Messages") == 0)
				scan_messages(a, p);
			else
				walk_data(a, p, depth + 1);
		}
		free(p);
	}
	free_list(names, n);
}

static int
cmp_ent(const void *x, const void *y)
{
	const struct am_ent *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->dir < b->dir ? -1 : a->dir > b->dir;
}

static void
box_release(struct am *a)
{
	for (size_t i = 0; i < a->ndirs; i++)
		free(a->dirs[i]);
	free(a->dirs);
	a->dirs = NULL;
	a->ndirs = 0;
	free(a->ents);
	a->ents = NULL;
	a->nents = a->ient = a->cap = 0;
	buf_reset(&a->box_err);
	a->box_denied = 0;
	a->box_open = 0;
}

/*
 * List the messages of one mailbox directory: Messages/ directly inside
 * (Mail 2-4, early V2), or <store>/Data/<fan>/Messages/ (V2 from Mail 7
 * on, every store folder of the box), sorted by id, N.emlx and
 * N.partial.emlx of one folder merged into one entry.
 */
static void
box_collect(struct am *a, const char *dir)
{
	char **names;
	size_t n, w;

	box_release(a);
	if (list_dir(dir, &names, &n) != 0) {
		box_problem(a, dir, errno);
		a->box_open = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *p, *d;

		if (names[i][0] == '.' || box_suffix(names[i]) ||
		    strcmp(names[i], "Attachments") == 0)
			continue;
		p = xasprintf("%s/%s", dir, names[i]);
		if (!is_real_dir(p)) {
			free(p);
			continue;
		}
		if (strcmp(names[i], "Messages") == 0) {
			scan_messages(a, p);
		} else if (strcmp(names[i], "Data") == 0) {
			walk_data(a, p, 0);
		} else {
			d = xasprintf("%s/Data", p);
			if (is_dir(d))
				walk_data(a, d, 0);
			else if (access(d, F_OK) != 0 && errno != ENOENT)
				box_problem(a, d, errno);
			free(d);
		}
		free(p);
	}
	free_list(names, n);
	if (a->nents > 1)
		qsort(a->ents, a->nents, sizeof(*a->ents), cmp_ent);
	for (size_t i = w = 0; i < a->nents; i++) {
		if (w > 0 && a->ents[w - 1].id == a->ents[i].id &&
		    a->ents[w - 1].dir == a->ents[i].dir)
			a->ents[w - 1].kinds |= a->ents[i].kinds;
		else
			a->ents[w++] = a->ents[i];
	}
	a->nents = w;
	a->box_open = 1;
}

/* The Envelope Index and Accounts4.sqlite that belong to this source. */
static void
open_overlays(struct am *a, const char *vdir)
{
	char *ei = NULL, *cur = xstrdup(a->root), *acc = NULL;

	if (getenv("MAILSAVE_NO_ENVELOPE_INDEX") != NULL) {
		free(cur);
		cur = NULL;
	} else if (vdir != NULL) {
		ei = xasprintf("%s/MailData/Envelope Index", vdir);
	} else if (a->mode == AM_LEGACY_ROOT) {
		ei = xasprintf("%s/Envelope Index", a->root);
	} else {
		/* An account or a mailbox: look up for the V folder. */
		for (int up = 0; up < 8 && ei == NULL; up++) {
			char *s = strrchr(cur, '/');
			char *t;

			if (s == NULL || s == cur)
				break;
			*s = '\0';
			t = xasprintf("%s/MailData/Envelope Index", cur);
			if (is_file(t)) {
				ei = t;
				break;
			}
			free(t);
			t = xasprintf("%s/Envelope Index", cur);
			if (is_file(t) && !box_suffix(base_name(cur))) {
				ei = t;
				break;
			}
			free(t);
		}
	}
	if (ei != NULL && access(ei, F_OK) == 0) {
		a->ei_path = xstrdup(ei);
		if (access(ei, R_OK) != 0) {
			int e = errno;

			buf_addf(&a->ei_err, "%s: %s", ei, strerror(e));
			a->ei_denied = e == EPERM || e == EACCES;
		} else if (envindex_open(&a->ei, ei, &a->ei_err) != 0) {
			a->ei = NULL;
		}
	}
	free(ei);
	free(cur);

	/*
	 * ~/Library/Mail/... -> ~/Library/Accounts/Accounts4.sqlite, and
	 * the download folders of ~ (the last place a payload may be).
	 */
	cur = xstrdup(a->root);
	for (int up = 0; up < 8 && acc == NULL; up++) {
		char *s = strrchr(cur, '/');

		if (strcmp(base_name(cur), "Mail") == 0 && s != NULL) {
			*s = '\0';
			acc = xasprintf("%s/Accounts/Accounts4.sqlite", cur);
			if (!is_file(acc)) {
				free(acc);
				acc = NULL;
			}
			if (strcmp(base_name(cur), "Library") == 0) {
				char *home = strrchr(cur, '/');

				if (home != NULL)
					*home = '\0';
				a->dl = partial_downloads_new(home != NULL ?
				    (home == cur ? "/" : cur) : ".");
			}
			break;
		}
		if (s == NULL || s == cur)
			break;
		*s = '\0';
	}
	free(cur);
	if (acc != NULL) {
		struct buf why = BUF_INIT;

		if (accounts_open(&a->ac, acc, &why) != 0)
			a->ac = NULL;	/* optional: folder names then */
		buf_release(&why);
		free(acc);
	}
}

static void
am_free(struct am *a)
{
	if (a->rebuilding)
		partial_close(&a->pr);
	if (a->fd >= 0)
		close(a->fd);
	box_release(a);
	for (size_t i = 0; i < a->nboxes; i++) {
		free(a->boxes[i].dir);
		free(a->boxes[i].folder);
		free(a->boxes[i].failed);
	}
	free(a->boxes);
	for (size_t i = 0; i < a->naccts; i++) {
		free(a->accts[i].label);
		free(a->accts[i].dir);
	}
	free(a->accts);
	envindex_close(a->ei);
	free(a->ei_path);
	free(a->up_acct);
	accounts_close(a->ac);
	partial_downloads_free(a->dl);
	free(a->vname);
	free(a->vnote);
	buf_release(&a->stale);
	plist_release(&a->pl);
	buf_release(&a->box_err);
	buf_release(&a->ei_err);
	buf_release(&a->labels_used);
	buf_release(&a->path);
	buf_release(&a->key);
	buf_release(&a->extra);
	buf_release(&a->keywords);
	buf_release(&a->warn);
	buf_release(&a->tmp);
	buf_release(&a->stamp);
	free(a->root);
	free(a);
}

static int
am_open(struct source *src, const char *path, const struct opts *o)
{
	struct am *a = xcalloc(1, sizeof(*a));
	char *vdir = NULL, *pi;
	const char *base;
	size_t rl;
	DIR *d;

	(void)o;
	a->fd = -1;
	a->cur_acct = -1;
	buf_init(&a->stale);
	buf_init(&a->box_err);
	buf_init(&a->ei_err);
	buf_init(&a->labels_used);
	buf_init(&a->path);
	buf_init(&a->key);
	buf_init(&a->extra);
	buf_init(&a->keywords);
	buf_init(&a->warn);
	buf_init(&a->tmp);
	buf_init(&a->stamp);
	a->root = xstrdup(path);
	rl = strlen(a->root);
	while (rl > 1 && a->root[rl - 1] == '/')
		a->root[--rl] = '\0';
	plist_init(&a->pl);
	src->data = a;
	if ((d = opendir(a->root)) == NULL) {
		int e = errno;

		return err_set(&src->err, MS_FATAL, e, "%s%s", a->root,
		    e == EPERM || e == EACCES ? am_fda_hint : "");
	}
	closedir(d);

	base = base_name(a->root);
	pi = xasprintf("%s/PersistenceInfo.plist", a->root);
	if (box_suffix(base)) {
		a->mode = AM_MAILBOX;
	} else if (is_file(pi) || root_has_vdirs(a->root)) {
		a->mode = AM_ROOT;
		vdir = live_vdir(a, a->root);
	} else if (is_vname(base)) {
		a->mode = AM_VDIR;
		vdir = xstrdup(a->root);
	} else {
		char *md = xasprintf("%s/MailData", a->root);

		if (is_dir(md)) {
			a->mode = AM_VDIR;
			vdir = xstrdup(a->root);
		} else if (has_box_child(a->root)) {
			a->mode = AM_ACCOUNT;
		} else {
			a->mode = AM_LEGACY_ROOT;
		}
		free(md);
	}
	free(pi);
	open_overlays(a, vdir);

	switch (a->mode) {
	case AM_MAILBOX: {
		struct buf f = BUF_INIT;
		char *up = xstrdup(a->root), *s;

		/* The account folder holds the chain of .mbox folders. */
		while ((s = strrchr(up, '/')) != NULL && s != up &&
		    box_suffix(base_name(up)))
			*s = '\0';
		if (s != NULL && !box_suffix(base_name(up)))
			a->up_acct = xstrdup(base_name(up));
		free(up);

		add_component(&f, base, strlen(base) - box_suffix(base));
		add_box(a, a->root, f.s, NULL);
		walk_children(a, a->root, f.s, 1);
		buf_release(&f);
		break;
	}
	case AM_ROOT:
		if (vdir == NULL) {
			/* PersistenceInfo.plist but no V folder. */
			a->mode = AM_LEGACY_ROOT;
			walk_accounts(a, a->root, 1);
		} else {
			walk_accounts(a, vdir, 0);
		}
		break;
	case AM_VDIR:
		walk_accounts(a, vdir, 0);
		break;
	case AM_LEGACY_ROOT:
		walk_accounts(a, a->root, 1);
		break;
	case AM_ACCOUNT: {
		struct buf label = BUF_INIT;

		account_label(a, base, &label);
		walk_level(a, a->root, label.s, 0);
		buf_release(&label);
		break;
	}
	}
	free(vdir);
	return MS_OK;
}

/* Add "name=value\n" to extra, keeping the value on one line. */
static void
extra_add(struct buf *x, const char *name, const char *value)
{
	buf_adds(x, name);
	buf_addc(x, '=');
	for (const char *p = value; *p != '\0'; p++)
		buf_addc(x, *p == '\n' || *p == '\r' ? ' ' : *p);
	buf_addc(x, '\n');
}

static void
close_message(struct am *a)
{
	if (a->rebuilding) {
		partial_close(&a->pr);
		a->rebuilding = 0;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

/* The key: the file's path relative to the source, without suffix. */
static void
make_key(struct am *a, const char *dir, int64_t id)
{
	size_t rl = strlen(a->root);

	buf_reset(&a->key);
	if (strncmp(dir, a->root, rl) == 0 && dir[rl] == '/')
		buf_addf(&a->key, "%s/%lld", dir + rl + 1, (long long)id);
	else
		buf_addf(&a->key, "%s/%lld", base_name(dir), (long long)id);
}

/* Whether an Envelope Index row can describe a file of BOX. */
static int
row_matches(const struct am *a, const struct am_box *box,
    const struct env_row *row)
{
	if (row->box_url == NULL)
		return 1;
	return envindex_box_matches(row->box_url, box->acct >= 0 ?
	    a->accts[box->acct].dir : a->up_acct, box->bpath,
	    a->mode == AM_MAILBOX) != 0;
}

/* Metadata from the plist trailer and the Envelope Index. */
static int
fill_meta(struct source *src, struct am *a, const struct am_box *box,
    int64_t id, struct msg *m)
{
	const struct plist_item *it;
	uint64_t flags;
	int64_t v;
	struct env_row row;

	if (emlx_read_plist(a->fd, &a->fr, &a->pl) == 0) {
		if (plist_get_u64(&a->pl, "flags", &flags) == 0) {
			m->flags = emlx_msg_flags(flags);
			buf_reset(&a->tmp);
			buf_addf(&a->tmp, "%llu", (unsigned long long)flags);
			extra_add(&a->extra, "emlx-flags", a->tmp.s);
		}
		if (plist_get_i64(&a->pl, "date-received", &v) == 0 && v > 0)
			m->date = v;
		static const char *const keep[] = { "remote-id",
		    "gmail-label-ids", "conversation-id", "original-mailbox",
		    NULL };

		for (size_t i = 0; keep[i] != NULL; i++)
			if ((it = plist_get(&a->pl, keep[i])) != NULL &&
			    it->value[0] != '\0')
				extra_add(&a->extra, keep[i], it->value);
	} else if (a->fr.plist_off >= 0) {
		if (a->warn.len)
			buf_adds(&a->warn, "; ");
		buf_adds(&a->warn, a->pl.binary ?
		    "binary property list not read (flags unknown)" :
		    "damaged property list (flags unknown)");
	}
	if (a->ei == NULL)
		return MS_OK;
	buf_reset(&a->tmp);
	if (envindex_lookup(a->ei, id, &row, &a->tmp) != 0) {
		/* The overlay broke mid-run: go on without it. */
		if (a->warn.len)
			buf_adds(&a->warn, "; ");
		buf_add(&a->warn, a->tmp.s, a->tmp.len);
		envindex_close(a->ei);
		a->ei = NULL;
		return MS_OK;
	}
	if (!row.found) {
		extra_add(&a->extra, "orphan", "1");
		return MS_OK;
	}
	if (!row_matches(a, box, &row)) {
		/*
		 * ROWIDs are the index's own: a row of another mailbox means
		 * the index does not describe these files (a copied or
		 * restored store).  Its state would be another message's.
		 */
		extra_add(&a->extra, "envelope-mismatch", row.box_url);
		if (a->ei_mismatch++ == 0) {
			if (a->warn.len)
				buf_adds(&a->warn, "; ");
			buf_addf(&a->warn, "the Envelope Index row of this "
			    "message belongs to %s, not to this mailbox: the "
			    "index does not describe these files, their "
			    "flags come from the .emlx files (later "
			    "mismatches are not reported)", row.box_url);
		}
		return MS_OK;
	}
	if (row.has_flags) {
		m->flags = emlx_msg_flags(row.flags);
		buf_reset(&a->tmp);
		buf_addf(&a->tmp, "%llu", (unsigned long long)row.flags);
		extra_add(&a->extra, "envelope-flags", a->tmp.s);
	}
	if (row.read >= 0)
		m->flags = row.read ? m->flags | MSG_SEEN :
		    m->flags & ~MSG_SEEN;
	if (row.flagged >= 0)
		m->flags = row.flagged ? m->flags | MSG_FLAGGED :
		    m->flags & ~MSG_FLAGGED;
	if (row.deleted >= 0)
		m->flags = row.deleted ? m->flags | MSG_DELETED :
		    m->flags & ~MSG_DELETED;
	if (m->date == 0 && row.date_received > 0)
		m->date = row.date_received;
	for (const char *p = row.labels; *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		buf_reset(&a->tmp);
		buf_add(&a->tmp, p, n);
		extra_add(&a->extra, "label", a->tmp.s);
		if (a->keywords.len)
			buf_addc(&a->keywords, ' ');
		for (size_t i = 0; i < n; i++)
			buf_addc(&a->keywords, p[i] == ' ' ? '_' : p[i]);
		p += n;
		if (*p == '\n')
			p++;
	}
	(void)src;
	return MS_OK;
}

/* Open one message: frame it, read its metadata, set up the rebuild. */
static int
open_message(struct source *src, struct am *a, const struct am_box *box,
    const struct am_ent *e, struct msg *m)
{
	const char *dir = a->dirs[e->dir];
	int partial = !(e->kinds & AM_EMLX);
	char id[32];

	close_message(a);
	buf_reset(&a->extra);
	buf_reset(&a->keywords);
	buf_reset(&a->warn);
	buf_reset(&a->path);
	buf_addf(&a->path, "%s/%lld%s", dir, (long long)e->id,
	    partial ? ".partial.emlx" : ".emlx");
	make_key(a, dir, e->id);
	m->folder = box->folder;
	m->folder_raw = box->raw;
	m->key = a->key.s;

	a->fd = open(a->path.s, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0) {
		int er = errno;

		return err_set(&src->err, MS_SKIP, er, "%s%s", a->path.s,
		    er == EPERM || er == EACCES ? am_fda_hint : "");
	}
	if (emlx_frame(a->fd, &a->fr, &a->warn) != 0) {
		int er = errno;

		close_message(a);
		return err_set(&src->err, MS_SKIP, 0, "%s: %s", a->path.s,
		    a->warn.len ? a->warn.s : strerror(er));
	}
	fill_meta(src, a, box, e->id, m);
	a->pos = 0;
	m->size = a->fr.msg_len;
	if (partial) {
		struct buf why = BUF_INIT;

		extra_add(&a->extra, "partial", "1");
		snprintf(id, sizeof(id), "%lld", (long long)e->id);
		if (partial_open_dl(&a->pr, a->fd, a->fr.msg_off,
		    a->fr.msg_len, dir, id, a->dl, &why) != 0) {
			partial_close(&a->pr);
			close_message(a);
			err_set(&src->err, MS_SKIP, 0, "%s: %s", a->path.s,
			    why.s);
			buf_release(&why);
			return MS_SKIP;
		}
		buf_release(&why);
		if (a->pr.nstubs == 0) {
			partial_close(&a->pr);	/* nothing to fill */
		} else {
			a->rebuilding = 1;
			m->size = -1;
		}
		if (a->rebuilding && a->pr.ndownloaded > 0)
			extra_add(&a->extra, "from-mail-downloads",
			    a->pr.downloaded.s);
		if (a->rebuilding && a->pr.nmissing > 0) {
			extra_add(&a->extra, "incomplete", a->pr.missing.s);
			if (a->warn.len)
				buf_adds(&a->warn, "; ");
			buf_addf(&a->warn, "incomplete: no attachment on disk "
			    "for part%s %s (kept as stub%s, see "
			    "X-Mailsave-Incomplete)",
			    a->pr.nmissing > 1 ? "s" : "", a->pr.missing.s,
			    a->pr.nmissing > 1 ? "s" : "");
		}
	}
	if (a->warn.len) {
		extra_add(&a->extra, "warning", a->warn.s);
		err_set(&src->err, MS_OK, 0, "%s: %s", a->path.s, a->warn.s);
		m->warning = src->err.msg;
	}
	/*
	 * The stamp follows the message, not its flags (Mail rewrites the
	 * plist): the message's byte count, and for a rebuilt partial which
	 * payloads were missing, so a message that became whole is noticed.
	 */
	buf_reset(&a->stamp);
	buf_addf(&a->stamp, "%s:%lld", a->rebuilding ? "partial" : "emlx",
	    (long long)a->fr.msg_len);
	if (a->rebuilding && a->pr.nmissing > 0)
		buf_addf(&a->stamp, ":missing=%s", a->pr.missing.s);
	m->stamp = a->stamp.s;
	m->extra = a->extra.len ? a->extra.s : NULL;
	m->keywords = a->keywords.len ? a->keywords.s : NULL;
	return MS_OK;
}

static int
am_next(struct source *src, struct msg *m)
{
	struct am *a = src->data;

	close_message(a);
	if (!a->ei_reported && a->ei_err.len) {
		a->ei_reported = 1;
		return err_set(&src->err, MS_FAILED, 0, "Envelope Index not "
		    "used, flags come from the .emlx files only: %s%s",
		    a->ei_err.s, a->ei_denied ? am_fda_hint : "");
	}
	for (;;) {
		struct am_box *box;

		if (a->ibox >= a->nboxes)
			return MS_EOF;
		box = &a->boxes[a->ibox];
		if (box->failed != NULL) {
			a->ibox++;
			return err_set(&src->err, MS_FAILED, 0, "%s%s",
			    box->failed, fda_hint(box->failed_errno));
		}
		if (!a->box_open) {
			box_collect(a, box->dir);
			if (a->box_err.len)
				return err_set(&src->err, MS_FAILED, 0,
				    "%s: %s%s", box->folder, a->box_err.s,
				    a->box_denied ? am_fda_hint : "");
		}
		if (a->ient >= a->nents) {
			box_release(a);
			a->ibox++;
			continue;
		}
		return open_message(src, a, box, &a->ents[a->ient++], m);
	}
}

static int
am_read(struct source *src, void *buf, size_t len, size_t *got)
{
	struct am *a = src->data;
	ssize_t n;

	*got = 0;
	if (a->fd < 0)
		return MS_OK;
	if (a->rebuilding) {
		struct buf why = BUF_INIT;
		int r = partial_read(&a->pr, buf, len, got, &why);

		if (r != 0) {
			err_set(&src->err, MS_SKIP, 0, "%s: %s", a->path.s,
			    why.s);
			buf_release(&why);
			return MS_SKIP;
		}
		buf_release(&why);
		return MS_OK;
	}
	if ((int64_t)len > a->fr.msg_len - a->pos)
		len = (size_t)(a->fr.msg_len - a->pos);
	if (len == 0)
		return MS_OK;
	do {
		n = pread(a->fd, buf, len, (off_t)(a->fr.msg_off + a->pos));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(&src->err, MS_SKIP, errno, "%s", a->path.s);
	if (n == 0)
		return err_set(&src->err, MS_SKIP, 0, "%s: file shrank while "
		    "being read", a->path.s);
	a->pos += n;
	*got = (size_t)n;
	return MS_OK;
}

/* The size `list` shows for a file: its byte count, else its length. */
static uint64_t
quick_size(const char *path)
{
	char b[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	uint64_t count;
	size_t ll;
	struct stat st;

	if (fd < 0)
		return 0;
	n = read(fd, b, sizeof(b));
	if (n > 0 && emlx_parse_count(b, (size_t)n, &count, &ll) == 1 &&
	    count > 0) {
		close(fd);
		return count;
	}
	if (fstat(fd, &st) != 0)
		st.st_size = 0;
	close(fd);
	return (uint64_t)st.st_size;
}

static int
am_folders(struct source *src, int (*cb)(const struct folder_info *, void *),
    void *arg)
{
	struct am *a = src->data;
	struct buf problems = BUF_INIT, p = BUF_INIT;
	int st = MS_OK;

	if (a->ei_err.len)
		buf_addf(&problems, "Envelope Index not used: %s%s",
		    a->ei_err.s, a->ei_denied ? am_fda_hint : "");
	for (size_t i = 0; i < a->nboxes; i++) {
		struct am_box *box = &a->boxes[i];
		struct folder_info fi = { .name = box->folder };

		if (box->failed != NULL) {
			if (problems.len)
				buf_adds(&problems, "; ");
			buf_adds(&problems, box->failed);
			buf_adds(&problems, fda_hint(box->failed_errno));
			continue;
		}
		box_collect(a, box->dir);
		if (a->box_err.len) {
			if (problems.len)
				buf_adds(&problems, "; ");
			buf_add(&problems, a->box_err.s, a->box_err.len);
			if (a->box_denied)
				buf_adds(&problems, am_fda_hint);
		}
		for (size_t k = 0; k < a->nents; k++) {
			const struct am_ent *e = &a->ents[k];

			buf_reset(&p);
			buf_addf(&p, "%s/%lld%s", a->dirs[e->dir],
			    (long long)e->id, (e->kinds & AM_EMLX) ? ".emlx" :
			    ".partial.emlx");
			fi.messages++;
			fi.bytes += quick_size(p.s);
		}
		box_release(a);
		if (fi.messages > 0 && cb(&fi, arg) != 0) {
			st = err_set(&src->err, MS_FATAL, 0, "listing stopped");
			break;
		}
	}
	a->ibox = 0;
	if (st == MS_OK && problems.len)
		st = err_set(&src->err, MS_FAILED, 0, "%s", problems.s);
	buf_release(&problems);
	buf_release(&p);
	return st;
}

static void
am_close(struct source *src)
{
	struct am *a = src->data;

	if (a != NULL)
		am_free(a);
	src->data = NULL;
}

const struct source_ops applemail_source = {
	.name = "applemail",
	.prefix = "applemail:",
	.probe = am_probe,
	.open = am_open,
	.next = am_next,
	.read = am_read,
	.folders = am_folders,
	.close = am_close,
};

/* The account entry of the inventory for BOX (made on first use). */
static struct applemail_account *
inv_account(struct applemail_inventory *inv, const struct am *a,
    const struct am_box *box)
{
	const char *name = box->acct >= 0 ? a->accts[box->acct].label :
	    box->folder;
	size_t nl = box->acct >= 0 ? strlen(name) : strcspn(name, "/");

	for (size_t i = 0; i < inv->naccounts; i++)
		if (strlen(inv->accounts[i].name) == nl &&
		    memcmp(inv->accounts[i].name, name, nl) == 0)
			return &inv->accounts[i];
	inv->accounts = xrealloc(inv->accounts, (inv->naccounts + 1) *
	    sizeof(*inv->accounts));
	inv->accounts[inv->naccounts] = (struct applemail_account){
		.name = xstrndup(name, nl),
	};
	return &inv->accounts[inv->naccounts++];
}

static void
inv_unreadable(struct applemail_inventory *inv, const char *what, int e)
{
	inv->unreadable = xrealloc(inv->unreadable, (inv->nunreadable + 1) *
	    sizeof(*inv->unreadable));
	inv->unreadable[inv->nunreadable++] = (struct applemail_unreadable){
		.what = xstrdup(what),
		.sys_errno = e,
	};
}

/* Scan one .partial.emlx for payloads that are nowhere. */
static void
inv_partial(struct applemail_inventory *inv, struct am *a, const char *dir,
    int64_t id)
{
	struct emlx_frame fr;
	struct partial pr;
	struct buf why = BUF_INIT, path = BUF_INIT;
	char sid[32];
	int fd;

	buf_addf(&path, "%s/%lld.partial.emlx", dir, (long long)id);
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		buf_addf(&path, ": %s", strerror(e));
		inv_unreadable(inv, path.s, e);
		buf_release(&path);
		return;
	}
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	if (emlx_frame(fd, &fr, &why) != 0) {
		/* (export names this file too, and skips it) */
	} else if (partial_open_dl(&pr, fd, fr.msg_off, fr.msg_len, dir, sid,
	    a->dl, &why) != 0) {
		partial_close(&pr);
	} else {
		inv->downloaded += pr.ndownloaded;
		if (pr.nmissing > 0) {
			inv->incomplete++;
			inv->missing_parts += pr.nmissing;
			if (inv->nnamed < APPLEMAIL_NAMED_MAX) {
				inv->named[inv->nnamed].path =
				    buf_detach(&path);
				inv->named[inv->nnamed].sections =
				    xstrdup(pr.missing.s);
				inv->nnamed++;
			}
		}
		partial_close(&pr);
	}
	close(fd);
	buf_release(&why);
	buf_release(&path);
}

int
applemail_inventory(struct source *src, struct applemail_inventory *inv)
{
	static const char *const kinds[] = {
		[AM_ROOT] = "Mail folder", [AM_LEGACY_ROOT] = "Mail 2-4 folder",
		[AM_VDIR] = "V folder", [AM_ACCOUNT] = "account folder",
		[AM_MAILBOX] = "mailbox"
	};
	struct am *a;
	int lookups;

	memset(inv, 0, sizeof(*inv));
	buf_init(&inv->stale);
	buf_init(&inv->ei_why);
	inv->ei_rows = -1;
	if (src->ops != &applemail_source || src->data == NULL)
		return MS_FAILED;
	a = src->data;
	close_message(a);
	box_release(a);
	a->ibox = 0;

	inv->kind = kinds[a->mode];
	if (a->vname != NULL)
		inv->vdir = xstrdup(a->vname);
	inv->vdir_why = a->vwhy;
	if (a->vnote != NULL)
		inv->vdir_note = xstrdup(a->vnote);
	buf_add(&inv->stale, a->stale.s, a->stale.len);
	if (a->ei_path != NULL)
		inv->ei_path = xstrdup(a->ei_path);
	inv->ei_open = a->ei != NULL;
	buf_add(&inv->ei_why, a->ei_err.s, a->ei_err.len);
	inv->ei_denied = a->ei_denied;
	if (a->ei != NULL && envindex_rows(a->ei, &inv->ei_rows,
	    &inv->ei_why) != 0)
		inv->ei_rows = -1;
	lookups = a->ei != NULL;

	for (size_t i = 0; i < a->nboxes; i++) {
		struct am_box *box = &a->boxes[i];
		struct applemail_account *acc;

		if (box->failed != NULL) {
			inv_unreadable(inv, box->failed, box->failed_errno);
			continue;
		}
		box_collect(a, box->dir);
		if (a->box_err.len)
			inv_unreadable(inv, a->box_err.s, a->box_denied ?
			    EPERM : 0);
		if (a->nents == 0) {
			box_release(a);
			continue;
		}
		acc = inv_account(inv, a, box);
		acc->mailboxes++;
		for (size_t k = 0; k < a->nents; k++) {
			const struct am_ent *e = &a->ents[k];
			struct env_row row;

			acc->messages++;
			inv->messages++;
			if (lookups) {
				buf_reset(&a->tmp);
				if (envindex_lookup(a->ei, e->id, &row,
				    &a->tmp) != 0) {
					if (inv->ei_why.len)
						buf_adds(&inv->ei_why, "; ");
					buf_add(&inv->ei_why, a->tmp.s,
					    a->tmp.len);
					lookups = 0;
				} else if (!row.found) {
					inv->ei_orphans++;
				} else if (!row_matches(a, box, &row)) {
					inv->ei_mismatched++;
				}
			}
			if (!(e->kinds & AM_EMLX)) {
				acc->partials++;
				inv->partials++;
				inv_partial(inv, a, a->dirs[e->dir], e->id);
			}
		}
		box_release(a);
	}
	a->ibox = 0;
	return MS_OK;
}

void
applemail_inventory_release(struct applemail_inventory *inv)
{
	free(inv->vdir);
	free(inv->vdir_note);
	buf_release(&inv->stale);
	for (size_t i = 0; i < inv->naccounts; i++)
		free(inv->accounts[i].name);
	free(inv->accounts);
	free(inv->ei_path);
	buf_release(&inv->ei_why);
	for (size_t i = 0; i < inv->nnamed; i++) {
		free(inv->named[i].path);
		free(inv->named[i].sections);
	}
	for (size_t i = 0; i < inv->nunreadable; i++)
		free(inv->unreadable[i].what);
	free(inv->unreadable);
	memset(inv, 0, sizeof(*inv));
}
