/*
 * Unit tests for the one-file-per-message formats: Maildir info letters
 * and names, the Maildir and EML writers (temp, rename, collisions, modes,
 * mtimes, Maildir++ layout) and the Maildir and EML readers (flags,
 * keywords, keys, folders, modified UTF-7, nested trees), driven through
 * their ops directly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats.h"
#include "hash.h"
#include "layout.h"
#include "msg.h"
#include "opts.h"
#include "test.h"

static char root[64];
static struct opts opts;

/* Write a file below root with contents s (and mtime when not 0). */
static void
put(const char *rel, const char *s, time_t mtime)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(s, f);
	CHECK_INT(fclose(f), 0);
	if (mtime) {
		struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };

		CHECK_INT(utimes(p, tv), 0);
	}
}

static void
mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	CHECK_INT(mkdir(p, 0700), 0);
}

static void
mkmaildir(const char *rel)
{
	char p[512];

	if (rel[0] != '\0')
		mk(rel);
	snprintf(p, sizeof(p), "%s%scur", rel, rel[0] ? "/" : "");
	mk(p);
	snprintf(p, sizeof(p), "%s%snew", rel, rel[0] ? "/" : "");
	mk(p);
	snprintf(p, sizeof(p), "%s%stmp", rel, rel[0] ? "/" : "");
	mk(p);
}

static int
exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

/* Number of entries (not . and ..) in root/rel. */
static int
count_entries(const char *rel)
{
	char cmd[600];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/%s' | wc -l", root, rel);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

static void
test_info_letters(void)
{
	char out[8];
	unsigned all = MSG_SEEN | MSG_ANSWERED | MSG_FLAGGED | MSG_DELETED |
	    MSG_DRAFT | MSG_FORWARDED;

	msg_flags_to_maildir(0, out);
	CHECK_STR(out, "");
	msg_flags_to_maildir(all, out);
	CHECK_STR(out, "DFPRST");
	msg_flags_to_maildir(MSG_SEEN | MSG_JUNK | MSG_NOTJUNK, out);
	CHECK_STR(out, "S");
	CHECK_INT(msg_flags_from_maildir("DFPRST"), all);
	CHECK_INT(msg_flags_from_maildir("S"), MSG_SEEN);
	CHECK_INT(msg_flags_from_maildir(""), 0);
	/* Unknown letters and keyword letters are ignored. */
	CHECK_INT(msg_flags_from_maildir("abSzQ"), MSG_SEEN);
	/* Every combination survives the round trip. */
	for (unsigned f = 0; f < 64; f++) {
		unsigned flags = 0;

		if (f & 1)
			flags |= MSG_SEEN;
		if (f & 2)
			flags |= MSG_ANSWERED;
		if (f & 4)
			flags |= MSG_FLAGGED;
		if (f & 8)
			flags |= MSG_DELETED;
		if (f & 16)
			flags |= MSG_DRAFT;
		if (f & 32)
			flags |= MSG_FORWARDED;
		msg_flags_to_maildir(flags, out);
		CHECK_INT(msg_flags_from_maildir(out), flags);
		/* Letters are in ASCII order. */
		for (size_t i = 1; out[0] && out[i]; i++)
			CHECK(out[i - 1] < out[i]);
	}
}

static void
test_names(void)
{
	unsigned char sha[32] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
		0xef };
	struct buf b = BUF_INIT;
	struct msg m;

	msg_init(&m);
	m.folder = "INBOX";
	m.date = 1234567890;
	m.flags = MSG_SEEN | MSG_DRAFT;
	layout_maildir_name(&b, &m, sha, 1);
	CHECK_STR(b.s, "1234567890.0123456789abcdef.mailsave:2,DS");
	buf_reset(&b);
	layout_maildir_name(&b, &m, sha, 2);
	CHECK_STR(b.s, "1234567890.0123456789abcdef.mailsave-2:2,DS");
	/* The info parses back to the same flags. */
	CHECK_INT(msg_flags_from_maildir(strstr(b.s, ":2,") + 3), m.flags);
	buf_release(&b);
}

/* A sink handle as sink.c would set it up. */
static void
sink_setup(struct sink *snk, const struct sink_ops *ops)
{
	memset(snk, 0, sizeof(*snk));
	snk->ops = ops;
	buf_init(&snk->ref.file);
	err_clear(&snk->err);
}

/* Write one message through snk; returns the status of end(). */
static int
put_msg(struct sink *snk, const char *folder, const char *bytes,
    int64_t date, unsigned flags, const char *subject, struct buf *ref)
{
	struct msg m;
	struct msg_head h;
	struct hash hs;
	unsigned char sha[32];
	size_t len = strlen(bytes);
	int r;

	memset(&h, 0, sizeof(h));
	h.raw = bytes;
	h.raw_len = len;
	h.subject = subject;
	msg_init(&m);
	m.folder = folder;
	m.key = "k";
	m.size = (int64_t)len;
	m.date = date;
	m.flags = flags;
	m.head = &h;
	hash_init(&hs);
	hash_begin(&hs);
	hash_update(&hs, bytes, len);
	hash_final(&hs, sha);
	hash_release(&hs);
	if ((r = snk->ops->begin(snk, &m)) != MS_OK)
		return r;
	/* Odd chunk sizes, like the pipeline's head + body split. */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 7 ? len - off : 7;

		if ((r = snk->ops->write(snk, bytes + off, n)) != MS_OK)
			return r;
		off += n;
	}
	r = snk->ops->end(snk, sha);
	if (r == MS_OK && ref != NULL) {
		buf_reset(ref);
		buf_adds(ref, snk->ref.file.s);
		CHECK_INT(snk->ref.length, len);
		CHECK_INT(snk->ref.offset, 0);
	}
	return r;
}

/* Read the whole current message of src into out. */
static int
slurp(struct source *src, struct buf *out)
{
	char chunk[5];
	size_t got;
	int r;

	buf_reset(out);
	while ((r = src->ops->read(src, chunk, sizeof(chunk), &got)) ==
	    MS_OK && got > 0)
		buf_add(out, chunk, got);
	return r;
}

static void
file_equals(const char *rel, const char *want)
{
	char p[512], data[4096];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "rb");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	CHECK_MEM(data, n, want, strlen(want));
}

static void
test_maildir_writer(void)
{
	static const char m1[] = "Subject: one\n\nbody\n";
	static const char m2[] = "Subject: two\r\n\r\nFrom me\r\n";
	static const char m3[] = "Subject: three\n\nno newline";
	struct sink snk;
	struct buf ref = BUF_INIT, dest = BUF_INIT;
	struct stat st;
	char p[512];

	buf_addf(&dest, "%s/md/out", root);
	sink_setup(&snk, &maildir_sink);
	CHECK_INT(snk.ops->open(&snk, dest.s, &opts), MS_OK);
	CHECK(exists("md/out/cur") && exists("md/out/new") &&
	    exists("md/out/tmp"));
	CHECK(!exists("md/out/maildirfolder"));

	CHECK_INT(put_msg(&snk, "INBOX", m1, 1000000000, MSG_SEEN, NULL,
	    &ref), MS_OK);
	CHECK(strncmp(ref.s, "cur/1000000000.", 15) == 0);
	CHECK(strcmp(ref.s + ref.len - 13, ".mailsave:2,S") == 0);
	/* Not renamed before the checkpoint: only a temp file. */
	CHECK_INT(count_entries("md/out/cur"), 0);
	CHECK_INT(count_entries("md/out/tmp"), 1);
	CHECK_INT(snk.ops->checkpoint(&snk), MS_OK);
	CHECK_INT(count_entries("md/out/cur"), 1);
	CHECK_INT(count_entries("md/out/tmp"), 0);
	snprintf(p, sizeof(p), "md/out/%s", ref.s);
	file_equals(p, m1);
	snprintf(p, sizeof(p), "%s/md/out/%s", root, ref.s);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_mtime, 1000000000);

	/* The same message again is adopted, not duplicated. */
	CHECK_INT(put_msg(&snk, "INBOX", m1, 1000000000, MSG_SEEN, NULL,
	    &ref), MS_OK);
	CHECK_INT(count_entries("md/out/tmp"), 0);

	/* Subfolders are Maildir++ directories. */
	CHECK_INT(put_msg(&snk, "Archive/2024", m2, 0,
	    MSG_ANSWERED | MSG_FLAGGED, NULL, &ref), MS_OK);
	CHECK(strncmp(ref.s, ".Archive.2024/cur/0.", 20) == 0);
	CHECK(strcmp(ref.s + ref.len - 5, ":2,FR") == 0);
	CHECK(exists("md/out/.Archive.2024/maildirfolder"));
	CHECK(exists("md/out/.Archive.2024/new"));
	CHECK_INT(put_msg(&snk, "a.b/../..", m3, 5, 0, NULL, &ref), MS_OK);
	CHECK(strncmp(ref.s, ".a_b.___.___/cur/5.", 19) == 0);
	/* Aborted messages leave nothing. */
	{
		struct msg m;
		struct msg_head h;

		memset(&h, 0, sizeof(h));
		msg_init(&m);
		m.folder = "INBOX";
		m.head = &h;
		CHECK_INT(snk.ops->begin(&snk, &m), MS_OK);
		CHECK_INT(snk.ops->write(&snk, "partial", 7), MS_OK);
		snk.ops->abort(&snk);
	}
	CHECK_INT(snk.ops->close(&snk), MS_OK);
	CHECK_INT(count_entries("md/out/tmp"), 0);
	CHECK_INT(count_entries("md/out/.Archive.2024/tmp"), 0);
	CHECK_INT(count_entries("md/out/.Archive.2024/cur"), 1);
	snprintf(p, sizeof(p), "%s/md/out/.Archive.2024/cur", root);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	/* Unknown date: the epoch, never the clock. */
	snprintf(p, sizeof(p), "%s/md/out/%s", root, ref.s);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mtime, 5);

	/* A second run finds its names taken. */
	buf_release(&snk.ref.file);
	sink_setup(&snk, &maildir_sink);
	CHECK_INT(snk.ops->open(&snk, dest.s, &opts), MS_OK);
	CHECK_INT(put_msg(&snk, "INBOX", m1, 1000000000, MSG_SEEN, NULL,
	    &ref), MS_OK);
	CHECK(strstr(ref.s, "-2:") == NULL);
	CHECK_INT(snk.ops->checkpoint(&snk), MS_OK);
	CHECK_INT(count_entries("md/out/cur"), 1);
	/* A different file under our name is never overwritten. */
	{
		char name[512];

		snprintf(name, sizeof(name), "md/out/%s", ref.s);
		put(name, "someone else's bytes", 0);
		CHECK_INT(put_msg(&snk, "INBOX", m1, 1000000000, MSG_SEEN,
		    NULL, &ref), MS_OK);
		CHECK(strstr(ref.s, ".mailsave-2:2,S") != NULL);
		CHECK_INT(snk.ops->close(&snk), MS_OK);
		file_equals(name, "someone else's bytes");
		snprintf(name, sizeof(name), "md/out/%s", ref.s);
		file_equals(name, m1);
	}
	buf_release(&ref);
	buf_release(&dest);
	buf_release(&snk.ref.file);
}

static void
test_eml_writer(void)
{
	static const char m1[] = "Subject: Hello\n\nbody\n";
	struct sink snk;
	struct buf ref = BUF_INIT, dest = BUF_INIT;
	struct stat st;
	char p[512];

	buf_addf(&dest, "%s/eml/deep/out", root);
	sink_setup(&snk, &eml_sink);
	CHECK_INT(snk.ops->open(&snk, dest.s, &opts), MS_OK);
	snprintf(p, sizeof(p), "%s/eml/deep", root);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(put_msg(&snk, "INBOX", m1, 1700000000, MSG_SEEN, "Hello",
	    &ref), MS_OK);
	CHECK(strncmp(ref.s, "INBOX/20231114-221320-hello-", 28) == 0);
	CHECK(strcmp(ref.s + ref.len - 4, ".eml") == 0);
	/* Before the checkpoint only a hidden temp file is there. */
	CHECK_INT(count_entries("eml/deep/out/INBOX"), 1);
	snprintf(p, sizeof(p), "eml/deep/out/%s", ref.s);
	CHECK(!exists(p));
	CHECK_INT(snk.ops->checkpoint(&snk), MS_OK);
	CHECK(exists(p));
	file_equals(p, m1);
	/* Hostile folders stay inside. */
	CHECK_INT(put_msg(&snk, "../../escape", m1, 0, 0, "x", &ref),
	    MS_OK);
	CHECK(strncmp(ref.s, "_../_../escape/00000000-000000-x-", 33) == 0);
	CHECK_INT(put_msg(&snk, "/abs/CON", m1, 0, 0, "x", &ref), MS_OK);
	CHECK(strncmp(ref.s, "abs/_CON/", 9) == 0);
	CHECK_INT(snk.ops->close(&snk), MS_OK);
	CHECK(!exists("escape"));

	/* A later run removes the temp files of a run that died. */
	{
		pid_t pid = fork();
		char name[128], keep[128];

		if (pid == 0)
			_exit(0);
		CHECK(pid > 0);
		waitpid(pid, NULL, 0);
		snprintf(name, sizeof(name),
		    "eml/deep/out/INBOX/.mailsave-%ld-7.tmp", (long)pid);
		snprintf(keep, sizeof(keep),
		    "eml/deep/out/INBOX/.mailsave-%ld-7.tmp", (long)getppid());
		put(name, "half", 0);
		put(keep, "a live process", 0);
		put("eml/deep/out/INBOX/.mailsave-x.tmp", "not ours", 0);
		buf_release(&snk.ref.file);
		sink_setup(&snk, &eml_sink);
		CHECK_INT(snk.ops->open(&snk, dest.s, &opts), MS_OK);
		CHECK_INT(put_msg(&snk, "INBOX", "Subject: new\n\nnew\n", 0,
		    0, "new", &ref), MS_OK);
		CHECK_INT(snk.ops->close(&snk), MS_OK);
		CHECK(!exists(name));
		CHECK(exists(keep));
		CHECK(exists("eml/deep/out/INBOX/.mailsave-x.tmp"));
	}
	CHECK(exists("eml/deep/out/_../_../escape"));
	snprintf(p, sizeof(p), "%s/eml/deep/out/%s", root, ref.s);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_mtime, 0);
	buf_release(&ref);
	buf_release(&dest);
	buf_release(&snk.ref.file);
}

static void
test_maildir_reader(void)
{
	struct source src;
	struct msg m;
	struct buf body = BUF_INIT, dest = BUF_INIT;

	mk("in");
	mkmaildir("in/md");
	put("in/md/cur/100.a.host:2,SR", "Subject: a\n\nA\n", 1111);
	put("in/md/new/200.b.host", "Subject: b\n\nB\n", 2222);
	put("in/md/cur/050.c.host:2,Fab", "Subject: c\n\nC\n", 3333);
	put("in/md/tmp/999.tmp.host", "never", 0);
	put("in/md/cur/.hidden", "never", 0);
	put("in/md/dovecot-keywords", "0 $Forwarded\n1 work\n", 0);
	mkmaildir("in/md/.Sent");
	put("in/md/.Sent/cur/1.x:2,S", "S\n", 5);
	mkmaildir("in/md/.A.B");
	put("in/md/.A.B/cur/1.y:2,", "AB\n", 6);
	mkmaildir("in/md/.Gr&APw-&AN8-e");
	put("in/md/.Gr&APw-&AN8-e/new/1.z", "G\n", 7);
	mkmaildir("in/md/.Q&A");
	put("in/md/.Q&A/cur/1.q", "Q\n", 8);
	mkmaildir("in/md/...");
	put("in/md/.../cur/1.d", "D\n", 9);
	mkmaildir("in/md/.x..y.");
	put("in/md/.x..y./cur/1.e", "E\n", 9);
	mk("in/md/.notafolder");
	put("in/md/.notafolder/x", "x", 0);

	buf_addf(&dest, "%s/in/md", root);
	CHECK_INT(maildir_source.probe(dest.s), 95);
	memset(&src, 0, sizeof(src));
	src.ops = &maildir_source;
	CHECK_INT(src.ops->open(&src, dest.s, &opts), MS_OK);

	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "INBOX");
	CHECK_STR(m.key, "050.c.host");
	CHECK_INT(m.flags, MSG_FLAGGED | MSG_FORWARDED);
	CHECK_STR(m.keywords, "$Forwarded work");
	CHECK_INT(m.date, 3333);
	CHECK_INT(m.size, 14);
	CHECK_INT(slurp(&src, &body), MS_OK);
	CHECK_STR(body.s, "Subject: c\n\nC\n");

	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.key, "100.a.host");
	CHECK_INT(m.flags, MSG_SEEN | MSG_ANSWERED);
	CHECK(m.keywords == NULL);
	/* next() without reading skips the rest. */
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.key, "200.b.host");
	CHECK_INT(m.flags, 0);
	CHECK_INT(m.date, 2222);

	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "..");
	CHECK_STR(m.key, ".../1.d");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "A/B");
	CHECK_STR(m.key, ".A.B/1.y");
	CHECK_INT(m.flags, 0);
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Gr\xc3\xbc\xc3\x9f" "e");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Q&A");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Sent");
	CHECK_STR(m.key, ".Sent/1.x");
	CHECK_INT(m.flags, MSG_SEEN);
	CHECK_INT(slurp(&src, &body), MS_OK);
	CHECK_STR(body.s, "S\n");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "x/y");
	CHECK_INT(src.ops->next(&src, &m), MS_EOF);
	src.ops->close(&src);

	/* A tree of nested maildirs (mbsync, LAYOUT=fs). */
	mk("in/tree");
	mkmaildir("in/tree/INBOX");
	mk("in/tree/Work");
	mkmaildir("in/tree/Work/Proj");
	put("in/tree/INBOX/cur/1.i:2,S", "I\n", 9);
	put("in/tree/Work/Proj/new/1.p", "P\n", 9);
	buf_reset(&dest);
	buf_addf(&dest, "%s/in/tree", root);
	CHECK_INT(maildir_source.probe(dest.s), 70);
	CHECK_INT(src.ops->open(&src, dest.s, &opts), MS_OK);
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "INBOX");
	CHECK_STR(m.key, "INBOX/1.i");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Work/Proj");
	CHECK_STR(m.key, "Work/Proj/1.p");
	CHECK_INT(src.ops->next(&src, &m), MS_EOF);
	src.ops->close(&src);

	/* Not a maildir. */
	buf_reset(&dest);
	buf_addf(&dest, "%s/in/md/cur", root);
	CHECK_INT(maildir_source.probe(dest.s), 0);
	buf_release(&body);
	buf_release(&dest);
}

static void
test_eml_reader(void)
{
	struct source src;
	struct msg m;
	struct buf body = BUF_INIT, dest = BUF_INIT;
	int r;

	mk("emlsrc");
	mk("emlsrc/Box");
	mk("emlsrc/Box/Sub");
	mk("emlsrc/.hid");
	put("emlsrc/b.eml", "B\n", 0);
	put("emlsrc/a.EML", "A\n", 0);
	put("emlsrc/notes.txt", "x", 0);
	put("emlsrc/.x.eml", "x", 0);
	put("emlsrc/.hid/h.eml", "x", 0);
	put("emlsrc/Box/c.eml", "C\r\n", 0);
	put("emlsrc/Box/Sub/d.eml", "D", 0);
	put("emlsrc/Box/Sub/locked.eml", "L", 0);
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/emlsrc/Box/Sub/locked.eml", root);
		chmod(p, 0);
	}
	buf_addf(&dest, "%s/emlsrc", root);
	CHECK_INT(eml_source.probe(dest.s), 80);
	CHECK_INT(maildir_source.probe(dest.s), 0);
	memset(&src, 0, sizeof(src));
	src.ops = &eml_source;
	CHECK_INT(src.ops->open(&src, dest.s, &opts), MS_OK);
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "emlsrc");
	CHECK_STR(m.key, "a.EML");
	CHECK_INT(m.size, 2);
	CHECK_INT(m.date, 0);
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.key, "b.eml");
	CHECK_INT(slurp(&src, &body), MS_OK);
	CHECK_STR(body.s, "B\n");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Box");
	CHECK_STR(m.key, "Box/c.eml");
	CHECK_INT(slurp(&src, &body), MS_OK);
	CHECK_STR(body.s, "C\r\n");
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Box/Sub");
	CHECK_STR(m.key, "Box/Sub/d.eml");
	/*
	 * Unreadable (mode 0, or gone since the listing, which also works
	 * for root): skipped with the file named, and the walk goes on.
	 */
	if (geteuid() == 0) {
		char p[512];

		snprintf(p, sizeof(p), "%s/emlsrc/Box/Sub/locked.eml", root);
		CHECK_INT(unlink(p), 0);
	}
	r = src.ops->next(&src, &m);
	CHECK_INT(r, MS_SKIP);
	CHECK(strstr(src.err.msg, "locked.eml") != NULL);
	CHECK_INT(src.ops->next(&src, &m), MS_EOF);
	src.ops->close(&src);

	/* One file: its directory names the folder. */
	buf_reset(&dest);
	buf_addf(&dest, "%s/emlsrc/Box/c.eml", root);
	CHECK_INT(eml_source.probe(dest.s), 80);
	CHECK_INT(src.ops->open(&src, dest.s, &opts), MS_OK);
	CHECK_INT(src.ops->next(&src, &m), MS_OK);
	CHECK_STR(m.folder, "Box");
	CHECK_STR(m.key, "c.eml");
	CHECK_INT(slurp(&src, &body), MS_OK);
	CHECK_STR(body.s, "C\r\n");
	CHECK_INT(src.ops->next(&src, &m), MS_EOF);
	src.ops->close(&src);

	/* A maildir is not an EML tree. */
	buf_reset(&dest);
	buf_addf(&dest, "%s/in/md", root);
	CHECK_INT(eml_source.probe(dest.s), 0);
	buf_release(&body);
	buf_release(&dest);
}

/* Maildir written by us, read back by us: bytes, flags, folders. */
static void
test_round_trip(void)
{
	static const char *const bodies[] = {
		"Subject: r1\n\nx\n", "Subject: r2\n\ny\n", "Subject: r3\n\nz"
	};
	static const unsigned flags[] = {
		MSG_SEEN, MSG_DRAFT | MSG_DELETED, MSG_FORWARDED | MSG_FLAGGED
	};
	static const char *const folders[] = { "INBOX", "Work/Sub", "Work" };
	struct sink snk;
	struct source src;
	struct msg m;
	struct buf body = BUF_INIT, dest = BUF_INIT;
	int seen = 0;

	buf_addf(&dest, "%s/rt", root);
	sink_setup(&snk, &maildir_sink);
	CHECK_INT(snk.ops->open(&snk, dest.s, &opts), MS_OK);
	for (int i = 0; i < 3; i++)
		CHECK_INT(put_msg(&snk, folders[i], bodies[i], 100 + i,
		    flags[i], NULL, NULL), MS_OK);
	CHECK_INT(snk.ops->close(&snk), MS_OK);
	buf_release(&snk.ref.file);

	memset(&src, 0, sizeof(src));
	src.ops = &maildir_source;
	CHECK_INT(src.ops->open(&src, dest.s, &opts), MS_OK);
	while (src.ops->next(&src, &m) == MS_OK) {
		CHECK_INT(slurp(&src, &body), MS_OK);
		for (int i = 0; i < 3; i++) {
			if (strcmp(body.s, bodies[i]) != 0)
				continue;
			seen |= 1 << i;
			CHECK_STR(m.folder, folders[i]);
			CHECK_INT(m.flags, flags[i]);
			CHECK_INT(m.date, 100 + i);
		}
	}
	CHECK_INT(seen, 7);
	src.ops->close(&src);
	buf_release(&body);
	buf_release(&dest);
}

int
main(void)
{
	char cmd[256];

	opts_init(&opts);
	snprintf(root, sizeof(root), "/tmp/test_maildir.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	test_info_letters();
	test_names();
	test_maildir_writer();
	test_eml_writer();
	test_maildir_reader();
	test_eml_reader();
	test_round_trip();
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", root,
	    root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return test_done();
}
