/*
 * The .partial.emlx rebuilder (see partial.h): a line-driven MIME state
 * machine over the skeleton that tracks IMAP section numbers (RFC 3501
 * 6.4.5), recognises stub parts (X-Apple-Content-Length and an empty
 * body) and, in its second pass, splices each payload re-encoded.  Every
 * byte that is not a stub's payload or its X-Apple-Content-Length line is
 * copied unchanged.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "mime.h"
#include "partial.h"
#include "path.h"
#include "rfc5322.h"
#include "xalloc.h"

#define SK_BUF		(64 * 1024)	/* skeleton read buffer */
#define LINE_CHUNK	(16 * 1024)	/* longest line fragment handled */
#define WS_MAX		4096		/* blank lines held after a stub */
#define DEPTH_MAX	32		/* nested multiparts */
#define SECTION_MAX	256
#define BOUNDARY_MAX	200
#define PAY_CHUNK	(57 * 1024)	/* payload reads: whole b64 lines */
#define ZIP_DEPTH_MAX	32

enum pstate { P_HEADER, P_BODY, P_STUB, P_PAYLOAD, P_OPAQUE, P_DONE };
enum pent { ENT_TOP, ENT_PART, ENT_INNER };
enum penc { ENC_RAW, ENC_TEXT, ENC_B64, ENC_QP, ENC_EMLXPART };

struct level {
	char *boundary;		/* owned */
	size_t blen;
	char prefix[SECTION_MAX];
	unsigned nchild;
};

struct partial_state {
	struct partial *pr;	/* back pointer */
	int scan;		/* first pass: find stubs, emit nothing */

	/* The skeleton: fd[pos..end), read through rb. */
	int fd;
	int64_t off, pos, end;
	char *rb;
	size_t rstart, rlen;
	int eof;
	int at_start;		/* the next fragment starts a line */
	int first_line;		/* no line read yet */

	/* Output queue, drained by partial_read(). */
	struct buf out;
	size_t outpos;
	const char *eol;

	/* MIME structure. */
	struct level stack[DEPTH_MAX];
	int depth;
	enum pstate st;
	enum pent ent;
	char section[SECTION_MAX];
	struct buf hdr;		/* the entity header being collected */
	struct buf ws;		/* blank lines after a stub header */
	struct buf pending;	/* boundary line to handle after a payload */
	int have_pending;

	/* The stub candidate. */
	char stub_section[SECTION_MAX];
	struct buf ctype, cte, fname, tmp;
	size_t stub_next;

	/* The payload being emitted. */
	int pfd;
	FILE *ptmp;
	enum penc enc;
	unsigned char carry[57];
	size_t ncarry;
	int b64_first;
	struct qp_enc qp;
	int pend_cr;
	int pend_eol;
	int last_byte;
	unsigned char *pbuf;

	char *msgdir;		/* owned */
	char *attdir;		/* owned: <msgdir>/../Attachments/<id> */
	char *id;		/* owned */
	struct partial_downloads *dl;	/* borrowed, may be NULL */
	int64_t stub_len;	/* the stub's X-Apple-Content-Length, or -1 */
};

/* A file in Mail's download folders. */
struct dl_file {
	char *name;		/* owned: NFC */
	char *path;		/* owned */
	int64_t size;
};

struct partial_downloads {
	char *dirs[2];		/* owned: the folders that exist */
	size_t ndirs;
	int listed;
	struct dl_file *files;	/* owned, sorted by name */
	size_t n, cap;
};

static int on_line(struct partial_state *s, const char *l, size_t n,
    int first, int complete, struct buf *why);

static void
emit(struct partial_state *s, const void *p, size_t n)
{
	if (!s->scan && n > 0)
		buf_add(&s->out, p, n);
}

static void
emits(struct partial_state *s, const char *str)
{
	emit(s, str, strlen(str));
}

static void
clear_stack(struct partial_state *s)
{
	for (int i = 0; i < s->depth; i++) {
		free(s->stack[i].boundary);
		s->stack[i].boundary = NULL;
	}
	s->depth = 0;
}

/* Start a pass over the skeleton. */
static void
ps_reset(struct partial_state *s, int scan)
{
	clear_stack(s);
	s->scan = scan;
	s->pos = s->off;
	s->rstart = s->rlen = 0;
	s->eof = 0;
	s->at_start = 1;
	s->first_line = 1;
	buf_reset(&s->out);
	s->outpos = 0;
	s->st = P_HEADER;
	s->ent = ENT_TOP;
	s->section[0] = '\0';
	buf_reset(&s->hdr);
	buf_reset(&s->ws);
	buf_reset(&s->pending);
	s->have_pending = 0;
	s->stub_next = 0;
}

/*
 * The next line fragment of the skeleton: up to LINE_CHUNK bytes, through
 * the next LF when there is one.  Returns 1, 0 at the end, -1 on a read
 * error.  *p is valid until the next call.
 */
static int
sk_line(struct partial_state *s, const char **p, size_t *n, int *complete)
{
	size_t avail, lim;
	const char *nl;

	if (s->rlen - s->rstart < LINE_CHUNK && !s->eof) {
		memmove(s->rb, s->rb + s->rstart, s->rlen - s->rstart);
		s->rlen -= s->rstart;
		s->rstart = 0;
		while (s->rlen < SK_BUF && !s->eof) {
			size_t want = SK_BUF - s->rlen;
			ssize_t got;

			if ((int64_t)want > s->end - s->pos)
				want = (size_t)(s->end - s->pos);
			if (want == 0) {
				s->eof = 1;
				break;
			}
			got = pread(s->fd, s->rb + s->rlen, want,
			    (off_t)s->pos);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (got == 0) {
				s->eof = 1;
				break;
			}
			s->rlen += (size_t)got;
			s->pos += got;
		}
	}
	avail = s->rlen - s->rstart;
	if (avail == 0)
		return 0;
	lim = avail < LINE_CHUNK ? avail : LINE_CHUNK;
	*p = s->rb + s->rstart;
	nl = memchr(*p, '\n', lim);
	if (nl != NULL) {
		*n = (size_t)(nl - *p) + 1;
		*complete = 1;
	} else {
		*n = lim;
		*complete = s->eof && lim == avail;
	}
	s->rstart += *n;
	return 1;
}

static int
is_blank_line(const char *l, size_t n)
{
	return (n == 1 && l[0] == '\n') || (n == 2 && l[0] == '\r' &&
	    l[1] == '\n');
}

static int
all_ws(const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r' && l[i] != '\n')
			return 0;
	return 1;
}

/* Whether l is a delimiter of an open multipart; sets level and close. */
static int
boundary_match(const struct partial_state *s, const char *l, size_t n,
    int *level, int *close)
{
	if (n < 3 || l[0] != '-' || l[1] != '-')
		return 0;
	for (int k = s->depth - 1; k >= 0; k--) {
		const struct level *lv = &s->stack[k];
		size_t i = 2 + lv->blen;

		if (n < i || memcmp(l + 2, lv->boundary, lv->blen) != 0)
			continue;
		*close = 0;
		if (n >= i + 2 && l[i] == '-' && l[i + 1] == '-') {
			*close = 1;
			i += 2;
		}
		if (all_ws(l + i, n - i)) {
			*level = k;
			return 1;
		}
	}
	return 0;
}

static void
sect_child(char *out, const char *prefix, unsigned n)
{
	if (prefix[0] != '\0')
		snprintf(out, SECTION_MAX, "%s.%u", prefix, n);
	else
		snprintf(out, SECTION_MAX, "%u", n);
}

static void
handle_boundary(struct partial_state *s, int k, int close, const char *l,
    size_t n)
{
	for (int i = k + 1; i < s->depth; i++) {
		free(s->stack[i].boundary);
		s->stack[i].boundary = NULL;
	}
	s->depth = k + 1;
	emit(s, l, n);
	buf_reset(&s->hdr);
	if (close) {
		free(s->stack[k].boundary);
		s->stack[k].boundary = NULL;
		s->depth = k;
		s->st = P_BODY;
		return;
	}
	s->stack[k].nchild++;
	sect_child(s->section, s->stack[k].prefix, s->stack[k].nchild);
	s->ent = ENT_PART;
	s->st = P_HEADER;
}

/* Append the header block without its X-Apple-Content-Length field. */
static void
emit_header_stripped(struct partial_state *s)
{
	const char *p = s->hdr.s, *end = s->hdr.s + s->hdr.len;
	int skipping = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;

		if (*p != ' ' && *p != '\t')
			skipping = (size_t)(le - p) > 23 &&
			    strncasecmp(p, "X-Apple-Content-Length", 22) == 0 &&
			    (p[22] == ':' || p[22] == ' ' || p[22] == '\t');
		if (!skipping)
			emit(s, p, (size_t)(le - p));
		p = le;
	}
}

/* Names equal, or equal once both are NFC-normalised. */
static int
same_name(const char *a, const char *b)
{
	struct buf na = BUF_INIT, nb = BUF_INIT;
	int r;

	if (strcmp(a, b) == 0)
		return 1;
	path_nfc(&na, a, strlen(a));
	path_nfc(&nb, b, strlen(b));
	r = strcmp(na.s, nb.s) == 0;
	buf_release(&na);
	buf_release(&nb);
	return r;
}

static int
is_junk_entry(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strcmp(name, ".DS_Store") == 0 || strncmp(name, "._", 2) == 0;
}

/*
 * Look in Attachments/<id>/<section>/ for the payload: the entry named as
 * the header says (exactly, then NFC-insensitively), else the only entry
 * when single_ok.  Returns the kind and sets *path.
 */
static enum partial_kind
look_in(const char *dir, const char *fname, int single_ok, char **path)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *exact = NULL, *nfc = NULL, *single = NULL;
	int entries = 0;
	enum partial_kind kind = PAYLOAD_MISSING;
	struct stat st;

	*path = NULL;
	if (d == NULL)
		return PAYLOAD_MISSING;
	while ((de = readdir(d)) != NULL) {
		if (is_junk_entry(de->d_name))
			continue;
		entries++;
		if (fname[0] != '\0' && exact == NULL &&
		    strcmp(de->d_name, fname) == 0)
			exact = xstrdup(de->d_name);
		else if (fname[0] != '\0' && nfc == NULL &&
		    same_name(de->d_name, fname))
			nfc = xstrdup(de->d_name);
		if (single == NULL)
			single = xstrdup(de->d_name);
	}
	closedir(d);
	const char *pick = exact ? exact : nfc ? nfc :
	    (single_ok && entries == 1) ? single : NULL;

	if (pick != NULL) {
		*path = xasprintf("%s/%s", dir, pick);
		if (stat(*path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (access(*path, R_OK | X_OK) == 0)
				kind = PAYLOAD_DIR;
		} else if (access(*path, R_OK) == 0) {
			kind = PAYLOAD_FILE;
		}
		if (kind == PAYLOAD_MISSING) {
			free(*path);
			*path = NULL;
		}
	}
	free(exact);
	free(nfc);
	free(single);
	return kind;
}

/* Whether section a is b's ancestor or descendant ("2" and "2.2"). */
static int
related_section(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return 0;
	if (la > lb) {
		const char *t = a;

		a = b;
		b = t;
		la = lb;
	}
	return strncmp(a, b, la) == 0 && b[la] == '.';
}

/*
 * Find the payload of a stub (section 2.3 order): the .emlxpart sidecar,
 * the named entry of Attachments/<id>/<section>/, the same name ignoring
 * Unicode normalisation, the only entry there, then the same name under a
 * related section (Mail sometimes files one payload under "2" and "2.2").
 */
static enum partial_kind
resolve(struct partial_state *s, const char *section, const char *fname,
    char **path)
{
	char *p = xasprintf("%s/%s.%s.emlxpart", s->msgdir, s->id, section);
	struct stat st;
	enum partial_kind kind;

	if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, R_OK) == 0) {
		*path = p;
		return PAYLOAD_EMLXPART;
	}
	free(p);
	p = xasprintf("%s/%s", s->attdir, section);
	kind = look_in(p, fname, 1, path);
	free(p);
	if (kind != PAYLOAD_MISSING || fname[0] == '\0')
		return kind;

	DIR *d = opendir(s->attdir);
	struct dirent *de;

	if (d == NULL)
		return PAYLOAD_MISSING;
	while (kind == PAYLOAD_MISSING && (de = readdir(d)) != NULL) {
		if (is_junk_entry(de->d_name) ||
		    !related_section(de->d_name, section))
			continue;
		p = xasprintf("%s/%s", s->attdir, de->d_name);
		kind = look_in(p, fname, 0, path);
		free(p);
	}
	closedir(d);
	return kind;
}

/* Add the files below DIR (depth levels at most) to the list. */
static void
dl_list(struct partial_downloads *dl, const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;

	if (depth > 3 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && dl->n < PARTIAL_DL_MAX) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.' || is_junk_entry(de->d_name))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			dl_list(dl, p, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			struct buf nfc = BUF_INIT;

			if (dl->n == dl->cap) {
				dl->cap = dl->cap ? 2 * dl->cap : 64;
				dl->files = xrealloc(dl->files,
				    dl->cap * sizeof(*dl->files));
			}
			path_nfc(&nfc, de->d_name, strlen(de->d_name));
			dl->files[dl->n++] = (struct dl_file){
				.name = buf_detach(&nfc),
				.path = p,
				.size = (int64_t)st.st_size,
			};
			continue;
		}
		free(p);
	}
	closedir(d);
}

static int
cmp_dl(const void *a, const void *b)
{
	return strcmp(((const struct dl_file *)a)->name,
	    ((const struct dl_file *)b)->name);
}

struct partial_downloads *
partial_downloads_new(const char *home)
{
	static const char *const rel[] = {
		"Library/Containers/com.apple.mail/Data/Library/Mail Downloads",
		"Library/Mail Downloads"
	};
	struct partial_downloads *dl = NULL;

	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char *p = xasprintf("%s/%s", home, rel[i]);
		struct stat st;

		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (dl == NULL)
				dl = xcalloc(1, sizeof(*dl));
			dl->dirs[dl->ndirs++] = p;
		} else {
			free(p);
		}
	}
	return dl;
}

void
partial_downloads_free(struct partial_downloads *dl)
{
	if (dl == NULL)
		return;
	for (size_t i = 0; i < dl->ndirs; i++)
		free(dl->dirs[i]);
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->files[i].name);
		free(dl->files[i].path);
	}
	free(dl->files);
	free(dl);
}

/* Count the LF bytes of a file (-1 when it cannot be read). */
static int64_t
count_lf(const char *path)
{
	char b[16 * 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int64_t lf = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, b, sizeof(b))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lf += b[i] == '\n';
	close(fd);
	return n < 0 ? -1 : lf;
}

/*
 * Whether a decoded file of N bytes fits a stub whose part body was V
 * bytes long as transfer-encoded text (section 2.5: the sender's own
 * wrapping, LF or CRLF, sometimes a final line end).  base64 is exact up
 * to the line width (76, 72 or 64 columns, or none); quoted-printable can
 * only be bounded; other encodings are the bytes themselves, give or take
 * their line ends.
 */
static int
size_fits(const struct partial_state *s, const char *path, int64_t n,
    int64_t v)
{
	static const int widths[] = { 76, 72, 64 };
	int64_t lf;

	if (v < 0)
		return 0;
	if (strcmp(s->cte.s, "base64") == 0 &&
	    strncmp(s->ctype.s, "message/", 8) != 0) {
		int64_t l = 4 * ((n + 2) / 3);

		if (v >= l && v <= l + 2)
			return 1;
		for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
			int64_t lines = (l + widths[i] - 1) / widths[i];

			if (v >= l + lines - 2 && v <= l + 2 * lines + 1)
				return 1;
		}
		return 0;
	}
	if ((lf = count_lf(path)) < 0)
		return 0;
	if (strcmp(s->cte.s, "quoted-printable") == 0)
		return v >= n - lf - 1 && v <= 3 * n + 3 * (n / 72 + 1) + lf + 2;
	return v >= n - lf - 1 && v <= n + lf + 1;
}

/* Whether two files hold the same bytes. */
static int
same_bytes(const char *a, const char *b)
{
	char x[16 * 1024], y[16 * 1024];
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY |
	    O_CLOEXEC);
	int same = fa >= 0 && fb >= 0;

	while (same) {
		ssize_t na = read(fa, x, sizeof(x)), nb;

		if (na < 0) {
			same = 0;
			break;
		}
		nb = na > 0 ? read(fb, y, (size_t)na) : read(fb, y, 1);
		if (nb != na || (na > 0 && memcmp(x, y, (size_t)na) != 0))
			same = 0;
		if (na == 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/*
 * The last resort for a stub: the one file in Mail's download folders
 * with its file name and a fitting size.  Returns its path (owned) or
 * NULL when there is none or the choice is ambiguous.
 */
static char *
look_in_downloads(struct partial_state *s, const char *fname)
{
	struct partial_downloads *dl = s->dl;
	struct buf nfc = BUF_INIT;
	const char *pick = NULL;
	size_t lo = 0, hi;
	int ambiguous = 0;

	if (dl == NULL || fname[0] == '\0' || s->stub_len < 0)
		return NULL;
	if (!dl->listed) {
		dl->listed = 1;
		for (size_t i = 0; i < dl->ndirs; i++)
			dl_list(dl, dl->dirs[i], 0);
		if (dl->n > 1)
			qsort(dl->files, dl->n, sizeof(*dl->files), cmp_dl);
	}
	path_nfc(&nfc, fname, strlen(fname));
	hi = dl->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(dl->files[mid].name, nfc.s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < dl->n && strcmp(dl->files[i].name, nfc.s) ==
	    0 && !ambiguous; i++) {
		const struct dl_file *f = &dl->files[i];

		if (access(f->path, R_OK) != 0 ||
		    !size_fits(s, f->path, f->size, s->stub_len))
			continue;
		if (pick == NULL)
			pick = f->path;
		else if (!same_bytes(pick, f->path))
			ambiguous = 1;
	}
	buf_release(&nfc);
	return pick != NULL && !ambiguous ? xstrdup(pick) : NULL;
}

static void
add_stub(struct partial *pr, const char *section, enum partial_kind kind,
    char *path, int downloaded)
{
	struct partial_stub *st;

	pr->stubs = xrealloc(pr->stubs, (pr->nstubs + 1) * sizeof(*st));
	st = &pr->stubs[pr->nstubs++];
	st->section = xstrdup(section);
	st->kind = kind;
	st->path = path;
	st->downloaded = downloaded;
	if (downloaded) {
		if (pr->downloaded.len)
			buf_addc(&pr->downloaded, ' ');
		buf_adds(&pr->downloaded, section);
		pr->ndownloaded++;
	}
	if (kind == PAYLOAD_MISSING) {
		if (pr->missing.len)
			buf_addc(&pr->missing, ' ');
		buf_adds(&pr->missing, section);
		pr->nmissing++;
	}
}

static int zip_dir(struct partial_state *s, const char *dir,
    struct buf *why);

/* Open the payload of a resolved stub and pick its encoder. */
static int
start_payload(struct partial_state *s, const struct partial_stub *stub,
    struct buf *why)
{
	int text = strncmp(s->ctype.s, "text/", 5) == 0;
	int message = strcmp(s->ctype.s, "message/rfc822") == 0 ||
	    strcmp(s->ctype.s, "message/global") == 0;

	if (stub->kind == PAYLOAD_EMLXPART)
		s->enc = ENC_EMLXPART;
	else if (message)
		s->enc = ENC_TEXT;
	else if (strcmp(s->cte.s, "base64") == 0)
		s->enc = ENC_B64;
	else if (strcmp(s->cte.s, "quoted-printable") == 0)
		s->enc = ENC_QP;
	else if (text && strcmp(s->cte.s, "binary") != 0)
		s->enc = ENC_TEXT;
	else
		s->enc = ENC_RAW;
	s->ncarry = 0;
	s->b64_first = 1;
	s->pend_cr = 0;
	s->pend_eol = 0;
	s->last_byte = -1;
	qp_enc_init(&s->qp, text, s->eol);
	if (stub->kind == PAYLOAD_DIR) {
		if (zip_dir(s, stub->path, why) != 0)
			return -1;
		s->pfd = fileno(s->ptmp);
		return 0;
	}
	s->pfd = open(stub->path, O_RDONLY | O_CLOEXEC);
	if (s->pfd < 0) {
		buf_addf(why, "attachment %s (part %s): %s", stub->path,
		    stub->section, strerror(errno));
		return -1;
	}
	return 0;
}

static void
close_payload(struct partial_state *s)
{
	if (s->ptmp != NULL) {
		fclose(s->ptmp);
		s->ptmp = NULL;
	} else if (s->pfd >= 0) {
		close(s->pfd);
	}
	s->pfd = -1;
}

/* A stub's body was empty: record it (first pass) or fill it. */
static int
confirm_stub(struct partial_state *s, struct buf *why)
{
	if (s->scan) {
		char *path = NULL;
		enum partial_kind kind = resolve(s, s->stub_section,
		    s->fname.s, &path);
		int downloaded = 0;

		if (kind == PAYLOAD_MISSING &&
		    (path = look_in_downloads(s, s->fname.s)) != NULL) {
			kind = PAYLOAD_FILE;
			downloaded = 1;
		}
		add_stub(s->pr, s->stub_section, kind, path, downloaded);
		buf_reset(&s->hdr);
		buf_reset(&s->ws);
		s->st = P_BODY;
		return 0;
	}
	if (s->stub_next >= s->pr->nstubs ||
	    s->pr->stubs[s->stub_next].kind == PAYLOAD_MISSING ||
	    strcmp(s->pr->stubs[s->stub_next].section, s->stub_section) != 0) {
		s->stub_next++;
		emit(s, s->hdr.s, s->hdr.len);
		emit(s, s->ws.s, s->ws.len);
		buf_reset(&s->hdr);
		buf_reset(&s->ws);
		s->st = P_BODY;
		return 0;
	}
	emit_header_stripped(s);
	buf_reset(&s->hdr);
	if (start_payload(s, &s->pr->stubs[s->stub_next++], why) != 0)
		return -1;
	s->st = P_PAYLOAD;
	return 0;
}

/* Not a stub after all: give back what was held and go on. */
static int
not_stub(struct partial_state *s, const char *l, size_t n, int first,
    int complete, struct buf *why)
{
	emit(s, s->hdr.s, s->hdr.len);
	emit(s, s->ws.s, s->ws.len);
	buf_reset(&s->hdr);
	buf_reset(&s->ws);
	if (strcmp(s->ctype.s, "message/rfc822") == 0 ||
	    strcmp(s->ctype.s, "message/global") == 0) {
		snprintf(s->section, SECTION_MAX, "%s", s->stub_section);
		s->ent = ENT_INNER;
		s->st = P_HEADER;
	} else {
		s->st = P_BODY;
	}
	return on_line(s, l, n, first, complete, why);
}

static void
header_done(struct partial_state *s)
{
	struct buf *t = &s->tmp;
	int has_marker, multipart;
	char ent_sec[SECTION_MAX - 16];

	size_t sl = strnlen(s->section, sizeof(ent_sec) - 1);

	memcpy(ent_sec, s->section, sl);
	ent_sec[sl] = '\0';
	buf_reset(&s->ctype);
	buf_reset(t);
	rfc_header_get(s->hdr.s, s->hdr.len, "Content-Type", t);
	mime_content_type(t->s, &s->ctype);
	multipart = strncmp(s->ctype.s, "multipart/", 10) == 0;
	if (multipart && s->depth < DEPTH_MAX) {
		struct buf b = BUF_INIT;

		if (mime_param(t->s, "boundary", &b) && b.len > 0 &&
		    b.len <= BOUNDARY_MAX) {
			struct level *lv = &s->stack[s->depth++];

			lv->blen = b.len;
			lv->boundary = buf_detach(&b);
			snprintf(lv->prefix, sizeof(lv->prefix), "%s",
			    s->ent == ENT_TOP ? "" : ent_sec);
			lv->nchild = 0;
			emit(s, s->hdr.s, s->hdr.len);
			buf_reset(&s->hdr);
			s->st = P_BODY;
			return;
		}
		buf_release(&b);
	}
	buf_reset(&s->tmp);
	has_marker = rfc_header_get(s->hdr.s, s->hdr.len,
	    "X-Apple-Content-Length", &s->tmp);
	if (has_marker && !multipart) {
		char *end;
		long long v;

		v = strtoll(s->tmp.s, &end, 10);
		s->stub_len = end != s->tmp.s && *end == '\0' && v >= 0 ? v : -1;
		if (s->ent == ENT_TOP)
			snprintf(s->stub_section, SECTION_MAX, "1");
		else if (s->ent == ENT_INNER)
			snprintf(s->stub_section, SECTION_MAX, "%s.1", ent_sec);
		else
			snprintf(s->stub_section, SECTION_MAX, "%s", ent_sec);
		buf_reset(&s->cte);
		buf_reset(t);
		rfc_header_get(s->hdr.s, s->hdr.len,
		    "Content-Transfer-Encoding", t);
		mime_token(t->s, &s->cte);
		buf_reset(&s->fname);
		buf_reset(t);
		if (!(rfc_header_get(s->hdr.s, s->hdr.len,
		    "Content-Disposition", t) &&
		    mime_param(t->s, "filename", &s->fname))) {
			buf_reset(t);
			rfc_header_get(s->hdr.s, s->hdr.len, "Content-Type", t);
			mime_param(t->s, "name", &s->fname);
		}
		buf_reset(&s->ws);
		s->st = P_STUB;
		return;
	}
	emit(s, s->hdr.s, s->hdr.len);
	buf_reset(&s->hdr);
	if (strcmp(s->ctype.s, "message/rfc822") == 0 ||
	    strcmp(s->ctype.s, "message/global") == 0) {
		if (s->ent == ENT_TOP)
			snprintf(s->section, SECTION_MAX, "1");
		else if (s->ent == ENT_INNER)
			snprintf(s->section, SECTION_MAX, "%s.1", ent_sec);
		s->ent = ENT_INNER;
		s->st = P_HEADER;
		return;
	}
	s->st = P_BODY;
}

static int
on_line(struct partial_state *s, const char *l, size_t n, int first,
    int complete, struct buf *why)
{
	int k, close;

	if (s->first_line) {
		s->first_line = 0;
		if (s->scan)
			s->eol = complete && n >= 2 && l[n - 2] == '\r' ?
			    "\r\n" : "\n";
	}
	switch (s->st) {
	case P_HEADER:
		if (first && is_blank_line(l, n)) {
			buf_add(&s->hdr, l, n);
			header_done(s);
			return 0;
		}
		if (first && boundary_match(s, l, n, &k, &close)) {
			emit(s, s->hdr.s, s->hdr.len);
			buf_reset(&s->hdr);
			handle_boundary(s, k, close, l, n);
			return 0;
		}
		buf_add(&s->hdr, l, n);
		if (s->hdr.len > PARTIAL_HDR_MAX) {
			emit(s, s->hdr.s, s->hdr.len);
			buf_release(&s->hdr);
			s->st = P_OPAQUE;
		}
		return 0;
	case P_BODY:
		if (first && boundary_match(s, l, n, &k, &close))
			handle_boundary(s, k, close, l, n);
		else
			emit(s, l, n);
		return 0;
	case P_STUB:
		if (first && boundary_match(s, l, n, &k, &close)) {
			buf_reset(&s->pending);
			buf_add(&s->pending, l, n);
			s->have_pending = 1;
			return confirm_stub(s, why);
		}
		if (first && complete && all_ws(l, n) &&
		    s->ws.len + n <= WS_MAX) {
			buf_add(&s->ws, l, n);
			return 0;
		}
		return not_stub(s, l, n, first, complete, why);
	case P_OPAQUE:
		emit(s, l, n);
		return 0;
	case P_PAYLOAD:
	case P_DONE:
		break;
	}
	return 0;
}

/* Append payload output, remembering its last byte. */
static void
pay_out(struct partial_state *s, const void *p, size_t n)
{
	if (n == 0)
		return;
	emit(s, p, n);
	s->last_byte = ((const unsigned char *)p)[n - 1];
}

/* Emit a held line end (a sidecar's line ends wait for what follows). */
static void
flush_eol(struct partial_state *s)
{
	if (s->pend_eol) {
		s->pend_eol = 0;
		pay_out(s, s->eol, strlen(s->eol));
	}
}

static void
pay_eol(struct partial_state *s)
{
	if (s->enc == ENC_EMLXPART) {
		flush_eol(s);
		s->pend_eol = 1;	/* maybe the last one */
	} else {
		pay_out(s, s->eol, strlen(s->eol));
	}
}

/* Copy text with its line ends turned into the message's. */
static void
pay_text(struct partial_state *s, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		if (s->pend_cr) {
			s->pend_cr = 0;
			if (p[i] == '\n') {
				pay_eol(s);
				i++;
				continue;
			}
			flush_eol(s);
			pay_out(s, "\r", 1);
		}
		while (j < n && p[j] != '\r' && p[j] != '\n')
			j++;
		if (j > i) {
			flush_eol(s);
			pay_out(s, p + i, j - i);
		}
		if (j == n)
			break;
		if (p[j] == '\r')
			s->pend_cr = 1;
		else
			pay_eol(s);
		i = j + 1;
	}
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Every pair of base64 digits, indexed by 12 bits (filled once). */
static char b64_pairs[4096][2];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_pairs_init(void)
{
	for (int i = 0; i < 4096; i++) {
		b64_pairs[i][0] = b64_alphabet[i >> 6];
		b64_pairs[i][1] = b64_alphabet[i & 63];
	}
}

/* Encode in[0..n) (n <= 57) as one base64 line at o; returns its end. */
static char *
b64_encode_line(const unsigned char *in, size_t n, char *o)
{
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		memcpy(o, b64_pairs[v >> 12], 2);
		memcpy(o + 2, b64_pairs[v & 4095], 2);
		o += 4;
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		o[0] = b64_alphabet[v >> 18];
		o[1] = b64_alphabet[(v >> 12) & 63];
		o[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	return o;
}

/*
 * Emit NLINES base64 lines of up to 57 input bytes each (the last may be
 * shorter: n bytes in all), each after the message's line end except the
 * very first of the part, straight into the output queue.
 */
static void
b64_lines(struct partial_state *s, const unsigned char *in, size_t n)
{
	size_t el = strlen(s->eol), lines = (n + 56) / 57;
	char *o;

	if (n == 0)
		return;
	pthread_once(&b64_once, b64_pairs_init);
	buf_grow(&s->out, lines * (76 + el));
	o = s->out.s + s->out.len;
	while (n > 0) {
		size_t k = n < 57 ? n : 57;

		if (!s->b64_first) {
			memcpy(o, s->eol, el);
			o += el;
		}
		s->b64_first = 0;
		o = b64_encode_line(in, k, o);
		in += k;
		n -= k;
	}
	buf_setlen(&s->out, (size_t)(o - s->out.s));
	s->last_byte = (unsigned char)o[-1];
}

static void
pay_b64(struct partial_state *s, const unsigned char *p, size_t n)
{
	size_t whole;

	if (s->ncarry > 0) {
		size_t take = 57 - s->ncarry;

		if (take > n)
			take = n;
		memcpy(s->carry + s->ncarry, p, take);
		s->ncarry += take;
		p += take;
		n -= take;
		if (s->ncarry < 57)
			return;
		b64_lines(s, s->carry, 57);
		s->ncarry = 0;
	}
	whole = n - n % 57;
	b64_lines(s, p, whole);
	memcpy(s->carry, p + whole, n - whole);
	s->ncarry = n - whole;
}

/* The payload ended: flush encoders, put back the blank lines. */
static void
finish_payload(struct partial_state *s)
{
	struct buf q = BUF_INIT;

	switch (s->enc) {
	case ENC_B64:
		b64_lines(s, s->carry, s->ncarry);
		s->ncarry = 0;
		break;
	case ENC_QP:
		qp_enc_final(&s->qp, &q);
		pay_out(s, q.s, q.len);
		break;
	case ENC_TEXT:
	case ENC_EMLXPART:
		if (s->pend_cr) {
			flush_eol(s);
			pay_out(s, "\r", 1);
		}
		s->pend_cr = 0;
		/*
		 * A sidecar's last line end belongs to the delimiter that
		 * follows, when the skeleton supplies one.
		 */
		if (s->pend_eol && s->ws.len == 0)
			pay_out(s, s->eol, strlen(s->eol));
		s->pend_eol = 0;
		break;
	case ENC_RAW:
		break;
	}
	buf_release(&q);
	close_payload(s);
	if (s->ws.len > 0)
		emit(s, s->ws.s, s->ws.len);
	else if (s->have_pending && s->last_byte != '\n')
		emit(s, s->eol, strlen(s->eol));
	buf_reset(&s->ws);
	s->st = P_BODY;
}

static int
payload_step(struct partial_state *s, struct buf *why)
{
	ssize_t n;

	for (;;) {
		n = read(s->pfd, s->pbuf, PAY_CHUNK);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0) {
		buf_addf(why, "reading an attachment of part %s: %s",
		    s->stub_section, strerror(errno));
		return -1;
	}
	if (n == 0) {
		finish_payload(s);
		return 0;
	}
	switch (s->enc) {
	case ENC_B64:
		pay_b64(s, s->pbuf, (size_t)n);
		break;
	case ENC_QP: {
		struct buf q = BUF_INIT;

		qp_enc_update(&s->qp, s->pbuf, (size_t)n, &q);
		pay_out(s, q.s, q.len);
		buf_release(&q);
		break;
	}
	case ENC_TEXT:
	case ENC_EMLXPART:
		pay_text(s, s->pbuf, (size_t)n);
		break;
	case ENC_RAW:
		pay_out(s, s->pbuf, (size_t)n);
		break;
	}
	return 0;
}

/* One unit of work: a line, or a chunk of payload. */
static int
step(struct partial_state *s, struct buf *why)
{
	const char *l;
	size_t n;
	int complete, first, r;

	if (s->st == P_PAYLOAD)
		return payload_step(s, why);
	if (s->have_pending) {
		s->have_pending = 0;
		s->at_start = 1;
		return on_line(s, s->pending.s, s->pending.len, 1, 1, why);
	}
	r = sk_line(s, &l, &n, &complete);
	if (r < 0) {
		buf_addf(why, "read error: %s", strerror(errno));
		return -1;
	}
	if (r == 0) {
		/* End of the skeleton. */
		switch (s->st) {
		case P_STUB:
			if (confirm_stub(s, why) != 0)
				return -1;
			if (s->st == P_PAYLOAD)
				return 0;
			break;
		case P_HEADER:
			emit(s, s->hdr.s, s->hdr.len);
			buf_reset(&s->hdr);
			break;
		default:
			break;
		}
		s->st = P_DONE;
		return 0;
	}
	first = s->at_start;
	s->at_start = complete;
	return on_line(s, l, n, first, complete, why);
}

/* Add a file or a tree to the zip archive a as NAME. */
static int
zip_add(struct archive *a, const char *path, const char *name, int depth,
    struct buf *why)
{
	struct archive_entry *e;
	struct stat st;
	int r = 0;

	if (depth > ZIP_DEPTH_MAX || lstat(path, &st) != 0) {
		buf_addf(why, "attachment %s: %s", path,
		    depth > ZIP_DEPTH_MAX ? "too deep" : strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return 0;
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	/*
	 * Only the modification time: reading the payload for the first
	 * export changes its access time, and a second export of the same
	 * store must make the same bytes.
	 */
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_pathname(e, name);
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t tl = readlink(path, target, sizeof(target) - 1);

		if (tl < 0)
			tl = 0;
		target[tl] = '\0';
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISDIR(st.st_mode)) {
		archive_entry_set_size(e, 0);
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		buf_addf(why, "zipping %s: %s", path, archive_error_string(a));
		archive_entry_free(e);
		return -1;
	}
	archive_entry_free(e);
	if (S_ISREG(st.st_mode)) {
		char *b = xmalloc(64 * 1024);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			buf_addf(why, "attachment %s: %s", path,
			    strerror(errno));
			free(b);
			return -1;
		}
		while ((n = read(fd, b, 64 * 1024)) > 0)
			if (archive_write_data(a, b, (size_t)n) < 0) {
				buf_addf(why, "zipping %s: %s", path,
				    archive_error_string(a));
				r = -1;
				break;
			}
		if (n < 0 && r == 0) {
			buf_addf(why, "attachment %s: %s", path,
			    strerror(errno));
			r = -1;
		}
		close(fd);
		free(b);
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list = NULL;
		int nl = scandir(path, &list, NULL, alphasort);

		if (nl < 0) {
			buf_addf(why, "attachment %s: %s", path,
			    strerror(errno));
			return -1;
		}
		for (int i = 0; i < nl; i++) {
			if (r == 0 && strcmp(list[i]->d_name, ".") != 0 &&
			    strcmp(list[i]->d_name, "..") != 0) {
				char *cp = xasprintf("%s/%s", path,
				    list[i]->d_name);
				char *cn = xasprintf("%s/%s", name,
				    list[i]->d_name);

				r = zip_add(a, cp, cn, depth + 1, why);
				free(cp);
				free(cn);
			}
			free(list[i]);
		}
		free(list);
	}
	return r;
}

/* Zip the directory payload into a temporary file (s->ptmp). */
static int
zip_dir(struct partial_state *s, const char *dir, struct buf *why)
{
	struct archive *a;
	const char *base = strrchr(dir, '/');
	int r;

	base = base ? base + 1 : dir;
	s->ptmp = tmpfile();
	if (s->ptmp == NULL) {
		buf_addf(why, "temporary file for zipping %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	a = archive_write_new();
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_FILE(a, s->ptmp) != ARCHIVE_OK) {
		buf_addf(why, "zipping %s: %s", dir, archive_error_string(a));
		archive_write_free(a);
		return -1;
	}
	r = zip_add(a, dir, base, 0, why);
	if (archive_write_close(a) != ARCHIVE_OK && r == 0) {
		buf_addf(why, "zipping %s: %s", dir, archive_error_string(a));
		r = -1;
	}
	archive_write_free(a);
	if (r == 0 && (fflush(s->ptmp) != 0 ||
	    lseek(fileno(s->ptmp), 0, SEEK_SET) != 0)) {
		buf_addf(why, "temporary zip of %s: %s", dir, strerror(errno));
		r = -1;
	}
	return r;
}

int
partial_open(struct partial *pr, int fd, int64_t off, int64_t len,
    const char *msgdir, const char *id, struct buf *why)
{
	return partial_open_dl(pr, fd, off, len, msgdir, id, NULL, why);
}

int
partial_open_dl(struct partial *pr, int fd, int64_t off, int64_t len,
    const char *msgdir, const char *id, struct partial_downloads *dl,
    struct buf *why)
{
	struct partial_state *s = xcalloc(1, sizeof(*s));
	const char *slash = strrchr(msgdir, '/');

	memset(pr, 0, sizeof(*pr));
	buf_init(&pr->missing);
	buf_init(&pr->downloaded);
	s->dl = dl;
	s->stub_len = -1;
	pr->ps = s;
	s->pr = pr;
	s->fd = fd;
	s->off = off;
	s->end = off + len;
	s->rb = xmalloc(SK_BUF);
	s->pbuf = xmalloc(PAY_CHUNK);
	s->pfd = -1;
	s->eol = "\n";
	buf_init(&s->out);
	buf_init(&s->hdr);
	buf_init(&s->ws);
	buf_init(&s->pending);
	buf_init(&s->ctype);
	buf_init(&s->cte);
	buf_init(&s->fname);
	buf_init(&s->tmp);
	s->msgdir = xstrdup(msgdir);
	s->id = xstrdup(id);
	if (slash != NULL)
		s->attdir = xasprintf("%.*s/Attachments/%s",
		    (int)(slash - msgdir), msgdir, id);
	else
		s->attdir = xasprintf("Attachments/%s", id);

	ps_reset(s, 1);
	while (s->st != P_DONE)
		if (step(s, why) != 0)
			return -1;
	ps_reset(s, 0);
	if (pr->nmissing > 0) {
		emits(s, "X-Mailsave-Incomplete: ");
		emit(s, pr->missing.s, pr->missing.len);
		emits(s, s->eol);
	}
	return 0;
}

int
partial_read(struct partial *pr, void *buf, size_t len, size_t *got,
    struct buf *why)
{
	struct partial_state *s = pr->ps;
	size_t n = 0;

	*got = 0;
	while (n < len) {
		size_t avail = s->out.len - s->outpos;

		if (avail > 0) {
			size_t take = avail < len - n ? avail : len - n;

			memcpy((char *)buf + n, s->out.s + s->outpos, take);
			s->outpos += take;
			n += take;
			continue;
		}
		buf_reset(&s->out);
		s->outpos = 0;
		if (s->st == P_DONE)
			break;
		if (step(s, why) != 0)
			return -1;
	}
	*got = n;
	return 0;
}

void
partial_close(struct partial *pr)
{
	struct partial_state *s = pr->ps;

	if (s != NULL) {
		close_payload(s);
		clear_stack(s);
		free(s->rb);
		free(s->pbuf);
		buf_release(&s->out);
		buf_release(&s->hdr);
		buf_release(&s->ws);
		buf_release(&s->pending);
		buf_release(&s->ctype);
		buf_release(&s->cte);
		buf_release(&s->fname);
		buf_release(&s->tmp);
		free(s->msgdir);
		free(s->attdir);
		free(s->id);
		free(s);
	}
	for (size_t i = 0; i < pr->nstubs; i++) {
		free(pr->stubs[i].section);
		free(pr->stubs[i].path);
	}
	free(pr->stubs);
	buf_release(&pr->missing);
	buf_release(&pr->downloaded);
	memset(pr, 0, sizeof(*pr));
}
