/*
 * Unit tests for the archive writer (formats/write_archive.c), driven
 * through the sink interface the pipeline uses: every archive type, the
 * eml, maildir and mbox layouts, spooling of a message bigger than the
 * memory spool, name collisions, abort(), refusal to overwrite, and a
 * fatal write error that must leave neither DEST nor DEST.partial.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "formats.h"
#include "hash.h"
#include "layout.h"
#include "opts.h"
#include "rfc5322.h"
#include "sink.h"
#include "test.h"
#include "xalloc.h"

static char tmpdir[256];

/* One message to feed: folder, flags, date and its bytes. */
struct tmsg {
	const char *folder;
	unsigned flags;
	int64_t date;
	char *bytes;		/* owned */
	size_t len;
};

/* One entry read back from an archive. */
struct tentry {
	char *path;		/* owned */
	int is_dir;
	int perm;
	int64_t mtime;
	char *data;		/* owned */
	size_t len;
};

struct tlist {
	struct tentry *e;
	size_t n;
};

static void
tlist_free(struct tlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].path);
		free(l->e[i].data);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static const struct tentry *
tlist_find(const struct tlist *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->e[i].path, path) == 0)
			return &l->e[i];
	return NULL;
}

/* Read every entry of the archive at PATH (any format libarchive reads). */
static int
read_back(const char *path, struct tlist *l)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r;

	memset(l, 0, sizeof(*l));
	/*
	 * The writer runs in the C locale (as mailsave does without LANG);
	 * names are read back as UTF-8 whatever the environment says.
	 */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "");
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		printf("# read %s: %s\n", path, archive_error_string(a));
		archive_read_free(a);
		setlocale(LC_CTYPE, "C");
		return -1;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		struct tentry t = { 0 };
		struct buf data = BUF_INIT;
		char chunk[65536];
		la_ssize_t got;

		/* Names are compared as bytes: take the UTF-8 form. */
		t.path = xstrdup(archive_entry_pathname_utf8(e) != NULL ?
		    archive_entry_pathname_utf8(e) :
		    archive_entry_pathname(e));
		t.is_dir = archive_entry_filetype(e) == AE_IFDIR;
		t.perm = (int)archive_entry_perm(e);
		t.mtime = archive_entry_mtime(e);
		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			buf_add(&data, chunk, (size_t)got);
		t.len = data.len;
		t.data = buf_detach(&data);
		l->e = xrealloc(l->e, (l->n + 1) * sizeof(*l->e));
		l->e[l->n++] = t;
	}
	archive_read_free(a);
	setlocale(LC_CTYPE, "C");
	return r == ARCHIVE_EOF ? 0 : -1;
}

static void
tmsg_set(struct tmsg *t, const char *folder, unsigned flags, int64_t date,
    const char *text)
{
	t->folder = folder;
	t->flags = flags;
	t->date = date;
	t->len = strlen(text);
	t->bytes = xstrdup(text);
}

/* A message of about `size` bytes whose lines all differ. */
static void
tmsg_big(struct tmsg *t, const char *folder, size_t size)
{
	struct buf b = BUF_INIT;
	unsigned i = 0;

	buf_adds(&b, "From: big@example.org\nSubject: Big one\n\n");
	while (b.len < size)
		buf_addf(&b, "line %u of a long message, some words here\n",
		    i++);
	t->folder = folder;
	t->flags = 0;
	t->date = 1700000000;
	t->len = b.len;
	t->bytes = buf_detach(&b);
}

/*
 * Feed one message through the sink the way the pipeline does; `cut` > 0
 * aborts after that many bytes.  Fills sha and, on success, ref_out.
 */
static int
feed(struct sink *snk, const struct tmsg *t, size_t cut,
    unsigned char sha[32], struct msg *m_out, struct msg_head *head,
    struct rfc_head_store *store)
{
	struct hash h;
	struct msg m;
	size_t hl, off = 0;
	int r;

	msg_init(&m);
	m.folder = t->folder;
	m.key = "k";
	m.flags = t->flags;
	m.date = t->date;
	hl = rfc_header_end(t->bytes, t->len);
	rfc_head_parse(head, t->bytes, hl ? hl : t->len, store);
	m.head = head;
	hash_init(&h);
	hash_begin(&h);
	hash_update(&h, t->bytes, t->len);
	hash_final(&h, sha);
	hash_release(&h);
	if ((r = sink_begin(snk, &m)) != MS_OK)
		return r;
	while (off < t->len) {
		size_t n = t->len - off > 65536 ? 65536 : t->len - off;

		if (cut > 0 && off + n > cut)
			n = cut - off;
		if ((r = sink_write(snk, t->bytes + off, n)) != MS_OK)
			return r;
		off += n;
		if (cut > 0 && off >= cut) {
			sink_abort(snk);
			return MS_SKIP;
		}
	}
	m.size = (int64_t)t->len;
	*m_out = m;
	return sink_end(snk, sha);
}

static int
file_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static void
test_layout_eml_or_maildir(const char *ext, const char *layout)
{
	char dest[512], partial[600];
	struct tmsg t[6];
	struct opts o;
	struct sink snk;
	struct tlist l;
	struct stat st;
	struct rfc_head_store store;
	char *expect[6] = { 0 };
	int64_t expect_len[6] = { 0 };
	size_t n = 0;

	snprintf(dest, sizeof(dest), "%s/out-%s%s", tmpdir, layout, ext);
	snprintf(partial, sizeof(partial), "%s.partial", dest);
	opts_init(&o);
	o.layout = layout;
	rfc_head_store_init(&store);

	tmsg_set(&t[0], "INBOX", MSG_SEEN, 1600000000,
	    "From: a@example.org\nSubject: Hello\n\nbody\nFrom me\n");
	tmsg_big(&t[1], "INBOX", 3 * 1024 * 1024 + 17);
	tmsg_set(&t[2], "INBOX", MSG_SEEN, 1600000000,
	    "From: a@example.org\nSubject: Hello\n\nbody\nFrom me\n");
	tmsg_set(&t[3], "Bo\xc3\xaete/\xc3\xa9t\xc3\xa9 2024", MSG_FLAGGED,
	    0, "Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\nno newline at end");
	tmsg_set(&t[4], "Archive", 0, 1500000000,
	    "Subject: dropped\n\nthis one is aborted\n");
	tmsg_set(&t[5], "Archive", 0, 1500000000,
	    "Subject: kept\n\nthis one is kept\n");

	CHECK_INT(sink_open(&snk, layout, dest, &o), MS_OK);
	CHECK(file_exists(partial));
	CHECK(!file_exists(dest));
	for (size_t i = 0; i < 6; i++) {
		unsigned char sha[32];
		struct msg m;
		struct msg_head head;
		int r = feed(&snk, &t[i], i == 4 ? 10 : 0, sha, &m, &head,
		    &store);

		if (i == 4) {
			CHECK_INT(r, MS_SKIP);
			continue;
		}
		CHECK_INT(r, MS_OK);
		if (r != MS_OK)
			continue;
		expect[n] = xstrdup(snk.ref.file.s);
		expect_len[n] = snk.ref.length;
		CHECK_INT(snk.ref.length, (int64_t)t[i].len);
		/* The name is what the directory writer would choose. */
		{
			struct buf want = BUF_INIT;

			if (strcmp(layout, "eml") == 0) {
				layout_eml_dir(&want, m.folder);
				buf_addc(&want, '/');
				layout_eml_name(&want, &m, sha, 1);
			} else {
				layout_maildir_dir(&want, m.folder);
				if (want.len > 0)
					buf_addc(&want, '/');
				buf_adds(&want, "cur/");
				layout_maildir_name(&want, &m, sha, 1);
			}
			CHECK_STR(snk.ref.file.s, want.s);
			buf_release(&want);
		}
		n++;
	}
	CHECK_INT(sink_close(&snk), MS_OK);
	CHECK(!file_exists(partial));
	CHECK(stat(dest, &st) == 0 && (st.st_mode & 07777) == 0600);

	CHECK_INT(read_back(dest, &l), 0);
	{
		size_t files = 0, k = 0;
		const size_t src_of[5] = { 0, 1, 2, 3, 5 };

		for (size_t i = 0; i < l.n; i++) {
			if (l.e[i].is_dir) {
				CHECK_INT(l.e[i].perm, 0700);
				continue;
			}
			files++;
			CHECK_INT(l.e[i].perm, 0600);
			if (strstr(l.e[i].path, "maildirfolder") != NULL)
				CHECK_INT(l.e[i].len, 0);
		}
		/* The identical copy (t[2]) was adopted, not stored twice. */
		CHECK_STR(expect[2], expect[0]);
		CHECK_INT(files, n - 1 +
		    (strcmp(layout, "maildir") == 0 ? 2 : 0));
		for (k = 0; k < n; k++) {
			const struct tentry *e = tlist_find(&l, expect[k]);
			const struct tmsg *s = &t[src_of[k]];

			CHECK(e != NULL);
			if (e == NULL) {
				printf("# missing %s\n", expect[k]);
				continue;
			}
			CHECK_MEM(e->data, e->len, s->bytes, s->len);
			CHECK_INT(e->len, expect_len[k]);
			CHECK_INT(e->mtime, s->date > 0 ? s->date : 0);
		}
		if (strcmp(layout, "maildir") == 0) {
			CHECK(tlist_find(&l, "new") != NULL ||
			    tlist_find(&l, "new/") != NULL);
			CHECK(tlist_find(&l, ".Archive/tmp") != NULL ||
			    tlist_find(&l, ".Archive/tmp/") != NULL);
			/* Maildir++ marks subfolders, never the root. */
			CHECK(tlist_find(&l, ".Archive/maildirfolder") !=
			    NULL);
			CHECK(tlist_find(&l, "maildirfolder") == NULL);
		} else {
			CHECK(tlist_find(&l, "Bo\xc3\xaete") != NULL ||
			    tlist_find(&l, "Bo\xc3\xaete/") != NULL);
		}
	}
	tlist_free(&l);

	/* A second export to the same DEST is refused, DEST is untouched. */
	CHECK_INT(sink_open(&snk, layout, dest, &o), MS_FATAL);
	CHECK(strstr(snk.err.msg, "exists") != NULL);
	sink_close(&snk);
	CHECK(!file_exists(partial));

	for (size_t i = 0; i < 6; i++)
		free(t[i].bytes);
	for (size_t i = 0; i < n; i++)
		free(expect[i]);
	rfc_head_store_release(&store);
	unlink(dest);
}

/* The mbox layout: one entry per folder, mboxrd text, order kept. */
static void
test_layout_mbox(const char *ext)
{
	char dest[512];
	struct tmsg t[4];
	struct opts o;
	struct sink snk;
	struct tlist l;
	struct rfc_head_store store;
	int64_t inbox_len = 0, arch_len = 0;

	snprintf(dest, sizeof(dest), "%s/out-mbox%s", tmpdir, ext);
	opts_init(&o);
	o.layout = "mbox";
	rfc_head_store_init(&store);
	tmsg_set(&t[0], "INBOX", MSG_SEEN, 1600000000,
	    "From: a@example.org\nSubject: one\n\nFrom here\n>From there\n");
	tmsg_set(&t[1], "Archive/2024", 0, 1600000100,
	    "From: b@example.org\nSubject: two\n\nno final newline");
	tmsg_set(&t[2], "INBOX", 0, 1600000200,
	    "From: c@example.org\nSubject: dropped\n\ngone\n");
	tmsg_set(&t[3], "INBOX", MSG_FLAGGED, 1600000300,
	    "From: d@example.org\nSubject: three\n\nlast\n");

	CHECK_INT(sink_open(&snk, "mbox", dest, &o), MS_OK);
	for (size_t i = 0; i < 4; i++) {
		unsigned char sha[32];
		struct msg m;
		struct msg_head head;
		int r = feed(&snk, &t[i], i == 2 ? 30 : 0, sha, &m, &head,
		    &store);

		CHECK_INT(r, i == 2 ? MS_SKIP : MS_OK);
		if (r != MS_OK)
			continue;
		if (strcmp(t[i].folder, "INBOX") == 0) {
			CHECK_STR(snk.ref.file.s, "INBOX.mbox");
			CHECK_INT(snk.ref.offset, inbox_len);
			inbox_len += snk.ref.length;
		} else {
			CHECK_STR(snk.ref.file.s, "Archive/2024.mbox");
			CHECK_INT(snk.ref.offset, arch_len);
			arch_len += snk.ref.length;
		}
	}
	CHECK_INT(sink_close(&snk), MS_OK);
	CHECK_INT(read_back(dest, &l), 0);
	{
		const struct tentry *in = tlist_find(&l, "INBOX.mbox");
		const struct tentry *ar = tlist_find(&l, "Archive/2024.mbox");

		CHECK(in != NULL && ar != NULL);
		if (in != NULL && ar != NULL) {
			CHECK_INT(in->len, inbox_len);
			CHECK_INT(ar->len, arch_len);
			CHECK(strncmp(in->data, "From ", 5) == 0);
			CHECK(strstr(in->data, "\n>From here\n") != NULL);
			CHECK(strstr(in->data, "\n>>From there\n") != NULL);
			CHECK(strstr(in->data, "dropped") == NULL);
			CHECK(strstr(in->data, "Subject: three") != NULL);
			CHECK(ar->len > 2 && memcmp(ar->data + ar->len - 2,
			    "\n\n", 2) == 0);
			CHECK_INT(in->mtime, 1600000300);
		}
		CHECK(tlist_find(&l, "Archive") != NULL ||
		    tlist_find(&l, "Archive/") != NULL);
	}
	tlist_free(&l);
	for (size_t i = 0; i < 4; i++)
		free(t[i].bytes);
	rfc_head_store_release(&store);
	unlink(dest);
}

/* Read a whole (small) file into out. */
static int
slurp(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

/*
 * The mbox layout in an archive is byte for byte what the mbox directory
 * writer makes: flag fields replaced (also folded ones), keywords, CRLF,
 * quoting, a missing final newline, the same message twice.
 */
static void
test_mbox_same_as_dir(void)
{
	static const struct {
		const char *folder;
		unsigned flags;
		const char *keywords;
		const char *text;
	} in[] = {
		{ "INBOX", MSG_SEEN | MSG_ANSWERED, NULL,
		  "Return-Path: <rp@example.org>\nFrom: a@example.org\n"
		  "Status: O\nX-Status: F\nSubject: flags\n\nFrom x\n"
		  ">From y\n>>From z\n" },
		{ "INBOX", MSG_FORWARDED | MSG_JUNK, "work $label1 Junk",
		  "From: b@example.org\r\nX-Keywords: old\r\n  folded\r\n"
		  "Subject: crlf\r\n\r\nbody\r\nFrom here\r\n" },
		{ "Sub/Deeper", MSG_FLAGGED | MSG_DRAFT | MSG_DELETED,
		  "a-very-long-keyword-number-one a-very-long-keyword-two "
		  "a-very-long-keyword-three",
		  "Subject: no final newline\n\nlast line" },
		{ "INBOX", MSG_SEEN | MSG_ANSWERED, NULL,
		  "Return-Path: <rp@example.org>\nFrom: a@example.org\n"
		  "Status: O\nX-Status: F\nSubject: flags\n\nFrom x\n"
		  ">From y\n>>From z\n" },
		{ "INBOX", 0, NULL, "" },
	};
	const char *dests[2];
	char adest[512], ddest[512];
	struct rfc_head_store store;
	struct opts o;
	struct tlist l;

	snprintf(adest, sizeof(adest), "%s/same.tar", tmpdir);
	snprintf(ddest, sizeof(ddest), "%s/same-dir", tmpdir);
	dests[0] = adest;
	dests[1] = ddest;
	opts_init(&o);
	o.layout = "mbox";
	rfc_head_store_init(&store);
	for (size_t d = 0; d < 2; d++) {
		struct sink snk;

		CHECK_INT(sink_open(&snk, "mbox", dests[d], &o), MS_OK);
		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			struct tmsg t;
			struct msg m;
			struct msg_head head;
			unsigned char sha[32];

			tmsg_set(&t, in[i].folder, in[i].flags, 1600000000 +
			    (int64_t)i, in[i].text);
			/* feed() has no keywords: set them through a copy. */
			{
				struct hash h;
				size_t hl = rfc_header_end(t.bytes, t.len);

				msg_init(&m);
				m.folder = t.folder;
				m.key = "k";
				m.flags = t.flags;
				m.date = t.date;
				m.keywords = in[i].keywords;
				rfc_head_parse(&head, t.bytes, hl ? hl : t.len,
				    &store);
				m.head = &head;
				hash_init(&h);
				hash_begin(&h);
				hash_update(&h, t.bytes, t.len);
				hash_final(&h, sha);
				hash_release(&h);
				CHECK_INT(sink_begin(&snk, &m), MS_OK);
				if (t.len > 0)
					CHECK_INT(sink_write(&snk, t.bytes,
					    t.len), MS_OK);
				m.size = (int64_t)t.len;
				CHECK_INT(sink_end(&snk, sha), MS_OK);
			}
			free(t.bytes);
		}
		CHECK_INT(sink_close(&snk), MS_OK);
	}
	CHECK_INT(read_back(adest, &l), 0);
	{
		static const char *const files[] = {
			"INBOX.mbox", "Sub/Deeper.mbox", NULL
		};

		for (size_t i = 0; files[i] != NULL; i++) {
			const struct tentry *e = tlist_find(&l, files[i]);
			struct buf want = BUF_INIT, p = BUF_INIT;

			buf_addf(&p, "%s/%s", ddest, files[i]);
			CHECK_INT(slurp(p.s, &want), 0);
			CHECK(e != NULL);
			if (e != NULL)
				CHECK_MEM(e->data, e->len, want.s, want.len);
			buf_release(&want);
			buf_release(&p);
		}
	}
	tlist_free(&l);
	rfc_head_store_release(&store);
}

/*
 * A write error (the file size limit, as a full disk would) is fatal,
 * names DEST, and close() leaves neither DEST nor DEST.partial.
 */
static void
test_fatal_write(void)
{
	char dest[512], partial[600];
	struct rlimit old, lim;
	struct opts o;
	struct sink snk;
	struct tmsg t;
	struct rfc_head_store store;
	int r = MS_OK;

	snprintf(dest, sizeof(dest), "%s/fatal.tar", tmpdir);
	snprintf(partial, sizeof(partial), "%s.partial", dest);
	opts_init(&o);
	o.layout = "eml";
	rfc_head_store_init(&store);
	tmsg_big(&t, "INBOX", 600 * 1024);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 256 * 1024;
	setrlimit(RLIMIT_FSIZE, &lim);

	CHECK_INT(sink_open(&snk, "eml", dest, &o), MS_OK);
	for (int i = 0; i < 3 && r == MS_OK; i++) {
		unsigned char sha[32];
		struct msg m;
		struct msg_head head;

		r = feed(&snk, &t, 0, sha, &m, &head, &store);
	}
	CHECK_INT(r, MS_FATAL);
	CHECK(strstr(snk.err.msg, dest) != NULL);
	CHECK_INT(sink_close(&snk), MS_FATAL);
	CHECK(strstr(snk.err.msg, dest) != NULL);
	printf("# fatal: %s\n", snk.err.msg);
	CHECK(!file_exists(dest));
	CHECK(!file_exists(partial));

	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	free(t.bytes);
	rfc_head_store_release(&store);
}

/* A DEST in a missing directory fails at open, in one line. */
static void
test_open_errors(void)
{
	char dest[512];
	struct opts o;
	struct sink snk;

	opts_init(&o);
	o.layout = "eml";
	snprintf(dest, sizeof(dest), "%s/no/such/dir/x.zip", tmpdir);
	CHECK_INT(sink_open(&snk, "eml", dest, &o), MS_FATAL);
	CHECK(strstr(snk.err.msg, "x.zip") != NULL);
	CHECK(strchr(snk.err.msg, '\n') == NULL);
	sink_close(&snk);

	/* An empty archive is still a valid archive. */
	snprintf(dest, sizeof(dest), "%s/empty.tar.zst", tmpdir);
	CHECK_INT(sink_open(&snk, "eml", dest, &o), MS_OK);
	CHECK_INT(sink_close(&snk), MS_OK);
	CHECK(file_exists(dest));
	unlink(dest);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	static const char *const exts[] = {
		".tar", ".zip", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", NULL
	};
	const char *t = getenv("TMPDIR");


	snprintf(tmpdir, sizeof(tmpdir), "%s/mailsave-archive.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (size_t i = 0; exts[i] != NULL; i++) {
		test_layout_eml_or_maildir(exts[i], "eml");
		test_layout_eml_or_maildir(exts[i], "maildir");
		test_layout_mbox(exts[i]);
	}
	test_open_errors();
	test_mbox_same_as_dir();
	test_fatal_write();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
