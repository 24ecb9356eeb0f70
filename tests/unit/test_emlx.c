/*
 * Unit tests for the .emlx framing (formats/emlx.c): the count line in all
 * its forms, counts that lie in both directions, missing and binary
 * plists, junk after the message, the flags mapping, and the real damaged
 * files of ../shared/fixtures (skipped when absent).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emlx.h"
#include "msg.h"
#include "test.h"

static const char msg[] =
    "From: a@example.org\nSubject: hi\n\nbody line\n";
static const char pl[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
    "<plist version=\"1.0\">\n<dict>\n\t<key>flags</key>\n"
    "\t<integer>8623689857</integer>\n</dict>\n</plist>\n";

static char tmpl[] = "/tmp/test_emlx.XXXXXX";

/* Write head + body + tail to a temporary file; return an open fd. */
static int
mkfile(const char *head, const char *body, size_t blen, const char *tail,
    size_t tlen)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s", tmpl);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, head, strlen(head)) < 0 || write(fd, body, blen) < 0 ||
	    write(fd, tail, tlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_count(void)
{
	uint64_t c;
	size_t l;

	CHECK_INT(emlx_parse_count("17829     \nX", 12, &c, &l), 1);
	CHECK_INT(c, 17829);
	CHECK_INT(l, 11);
	CHECK_INT(emlx_parse_count("3685\nR", 6, &c, &l), 1);
	CHECK_INT(c, 3685);
	CHECK_INT(l, 5);
	CHECK_INT(emlx_parse_count("  42 \t \r\nR", 10, &c, &l), 1);
	CHECK_INT(c, 42);
	CHECK_INT(l, 9);
	CHECK_INT(emlx_parse_count("1234      \r\n", 12, &c, &l), 1);
	CHECK_INT(c, 1234);
	CHECK_INT(emlx_parse_count("1234567890123456789\n", 20, &c, &l), 1);
	CHECK(c == 1234567890123456789ULL);
	CHECK_INT(emlx_parse_count("12345678901234567890\n", 21, &c, &l), 0);
	CHECK_INT(emlx_parse_count("0\n", 2, &c, &l), 1);
	CHECK_INT(c, 0);
	CHECK_INT(emlx_parse_count("From: x\n", 8, &c, &l), 0);
	CHECK_INT(emlx_parse_count("12 34\n", 6, &c, &l), 0);
	CHECK_INT(emlx_parse_count("12x\n", 4, &c, &l), 0);
	CHECK_INT(emlx_parse_count("\n", 1, &c, &l), 0);
	CHECK_INT(emlx_parse_count("123", 3, &c, &l), -1);
	CHECK_INT(emlx_parse_count("123   ", 6, &c, &l), -1);
}

static void
test_looks(void)
{
	CHECK(emlx_looks_like_plist("<?xml version", 13));
	CHECK(emlx_looks_like_plist("\n  <plist>", 10));
	CHECK(emlx_looks_like_plist("<!DOCTYPE plist", 15));
	CHECK(emlx_looks_like_plist("bplist00", 8));
	CHECK(!emlx_looks_like_plist("<html>", 6));
	CHECK(!emlx_looks_like_plist("", 0));
	CHECK(!emlx_looks_like_plist("<?xm", 4));
}

/* Frame a file made of head + msg + tail; check offsets and warning. */
static void
frame_case(const char *head, const char *body, const char *tail,
    int64_t want_off, int64_t want_len, int want_plist, const char *warn_has)
{
	struct emlx_frame f;
	struct buf w = BUF_INIT;
	int fd = mkfile(head, body, strlen(body), tail, strlen(tail));

	CHECK(fd >= 0);
	CHECK_INT(emlx_frame(fd, &f, &w), 0);
	CHECK_INT(f.msg_off, want_off);
	CHECK_INT(f.msg_len, want_len);
	CHECK_INT(f.plist_off >= 0, want_plist);
	if (warn_has == NULL) {
		CHECK_STR(w.s, "");
	} else if (strstr(w.s, warn_has) == NULL) {
		CHECK_STR(w.s, warn_has);
	}
	if (want_plist) {
		struct plist p;
		uint64_t u = 0;

		plist_init(&p);
		CHECK_INT(emlx_read_plist(fd, &f, &p), 0);
		CHECK_INT(plist_get_u64(&p, "flags", &u), 0);
		CHECK(u == 8623689857ULL);
		plist_release(&p);
	}
	buf_release(&w);
	close(fd);
}

static void
test_frame(void)
{
	char head[32];
	int64_t n = (int64_t)strlen(msg);
	struct emlx_frame f;
	struct buf w = BUF_INIT;
	int fd;

	snprintf(head, sizeof(head), "%-10lld\n", (long long)n);
	frame_case(head, msg, pl, 11, n, 1, NULL);
	/* Unpadded, CRLF and leading spaces. */
	snprintf(head, sizeof(head), "%lld\n", (long long)n);
	frame_case(head, msg, pl, (int64_t)strlen(head), n, 1, NULL);
	snprintf(head, sizeof(head), "%-10lld\r\n", (long long)n);
	frame_case(head, msg, pl, 12, n, 1, NULL);
	snprintf(head, sizeof(head), "   %lld\n", (long long)n);
	frame_case(head, msg, pl, (int64_t)strlen(head), n, 1, NULL);
	/* Count too large: the plist is found from the end. */
	snprintf(head, sizeof(head), "%-10lld\n", (long long)n + 1000);
	frame_case(head, msg, pl, 11, n, 1, "byte count");
	/* Count too small: same. */
	snprintf(head, sizeof(head), "%-10lld\n", (long long)n - 10);
	frame_case(head, msg, pl, 11, n, 1, "byte count");
	/* No plist, count exact. */
	snprintf(head, sizeof(head), "%-10lld\n", (long long)n);
	frame_case(head, msg, "", 11, n, 0, "no property list");
	/* No plist, count too large: read to the end. */
	snprintf(head, sizeof(head), "%-10lld\n", (long long)n + 7);
	frame_case(head, msg, "", 11, n, 0, "larger than the file");
	/* Junk after the message: left out, named. */
	snprintf(head, sizeof(head), "%-10lld\n", (long long)n);
	frame_case(head, msg, "JUNK that must not be read\n", 11, n, 0,
	    "left out");
	/* Binary plist: framed as a plist, parsed as nothing. */
	fd = mkfile(head, msg, strlen(msg), "bplist00\x01\x02", 10);
	CHECK_INT(emlx_frame(fd, &f, &w), 0);
	CHECK_INT(f.msg_len, n);
	CHECK_INT(f.plist_off, 11 + n);
	{
		struct plist p;

		plist_init(&p);
		CHECK_INT(emlx_read_plist(fd, &f, &p), -1);
		CHECK_INT(p.binary, 1);
		plist_release(&p);
	}
	close(fd);
	/* No count line but a message and a plist: recovered. */
	frame_case("", msg, pl, 0, n, 1, "no byte-count line");
	/* Count 0. */
	frame_case("0         \n", msg, pl, 11, n, 1, "byte count is 0");
	/* Unterminated last line, plist right after it. */
	{
		char cut[128];
		size_t cl = strlen(msg) - 1;

		memcpy(cut, msg, cl);
		cut[cl] = '\0';
		snprintf(head, sizeof(head), "%-10zu\n", cl);
		frame_case(head, cut, pl, 11, (int64_t)cl, 1, NULL);
		/* ... and with a count that lies: found mid-line. */
		snprintf(head, sizeof(head), "%-10zu\n", cl + 99);
		frame_case(head, cut, pl, 11, (int64_t)cl, 1, "byte count");
	}
	/* Not an emlx. */
	buf_reset(&w);
	fd = mkfile("this is not an emlx file\n", "", 0, "", 0);
	CHECK_INT(emlx_frame(fd, &f, &w), -1);
	CHECK(strstr(w.s, "not an emlx") != NULL);
	close(fd);
	buf_reset(&w);
	fd = mkfile("", "", 0, "", 0);
	CHECK_INT(emlx_frame(fd, &f, &w), -1);
	CHECK(strstr(w.s, "empty") != NULL);
	close(fd);
	buf_release(&w);
}

/* A message bigger than every internal buffer, plist after it. */
static void
test_large(void)
{
	size_t n = 3 * 1024 * 1024 + 17;
	char *big = malloc(n + 1), head[32];
	struct emlx_frame f;
	struct buf w = BUF_INIT;
	int fd;

	memset(big, 'x', n);
	memcpy(big, "Subject: big\n\n", 14);
	for (size_t i = 100; i < n; i += 77)
		big[i] = '\n';
	big[n] = '\0';
	snprintf(head, sizeof(head), "%-10zu\n", n);
	fd = mkfile(head, big, n, pl, strlen(pl));
	CHECK_INT(emlx_frame(fd, &f, &w), 0);
	CHECK_INT(f.msg_len, (int64_t)n);
	CHECK_STR(w.s, "");
	close(fd);
	/* The same with a lying count: the tail search is bounded. */
	snprintf(head, sizeof(head), "%-10zu\n", n / 2);
	fd = mkfile(head, big, n, pl, strlen(pl));
	buf_reset(&w);
	CHECK_INT(emlx_frame(fd, &f, &w), 0);
	CHECK_INT(f.msg_len, (int64_t)n);
	close(fd);
	free(big);
	buf_release(&w);
}

static void
test_flags(void)
{
	CHECK_INT(emlx_msg_flags(0), 0);
	/* 8623689857: read, initial, 4 attachments, prio 3, not junk. */
	CHECK_INT(emlx_msg_flags(8623689857ULL), MSG_SEEN | MSG_NOTJUNK);
	/* 25803555845: read, answered, not junk. */
	CHECK_INT(emlx_msg_flags(25803555845ULL),
	    MSG_SEEN | MSG_ANSWERED | MSG_NOTJUNK);
	CHECK_INT(emlx_msg_flags(1 << 1), MSG_DELETED);
	CHECK_INT(emlx_msg_flags(1 << 4), MSG_FLAGGED);
	CHECK_INT(emlx_msg_flags(1 << 6), MSG_DRAFT);
	CHECK_INT(emlx_msg_flags(1 << 8), MSG_FORWARDED);
	CHECK_INT(emlx_msg_flags(1 << 24), MSG_JUNK);
	CHECK_INT(emlx_msg_flags((1ULL << 33) | (1 << 7) | (63 << 10)), 0);
}

/* The real files: every one frames, or is named as not an emlx. */
static void
test_fixtures(void)
{
	static const struct {
		const char *file;
		int ok;
		int64_t len;		/* -1: do not check */
		int plist;
		const char *warn;	/* NULL: no warning */
	} cases[] = {
		{ "qqilihq-partial-emlx-converter/input/Messages/"
		  "114892.partial.emlx", 1, 17829, 1, NULL },
		{ "qqilihq-partial-emlx-converter/input/Messages/"
		  "114895.partial.emlx", 1, 17827, 1, NULL },
		{ "qqilihq-partial-emlx-converter/input/Messages/"
		  "136153.partial.emlx", 1, 1748, 1, "byte count" },
		{ "qqilihq-partial-emlx-converter/input/Messages/"
		  "207046.partial.emlx", 1, 1151, 1, "byte count" },
		{ "qqilihq-partial-emlx-converter/input/Messages/"
		  "229417.partial.emlx", 1, 1916, 1, "byte count" },
		{ "qqilihq-partial-emlx-converter/input/Messages/11507.emlx",
		  1, -1, 1, NULL },
		{ "qqilihq-partial-emlx-converter/skip-emlx/invalid.emlx",
		  0, -1, 0, "not an emlx" },
		{ "qqilihq-partial-emlx-converter/skip-emlx/test-small.txt",
		  1, 8, 0, "left out" },
		{ "qqilihq-partial-emlx-converter/skip-emlx/test-large.txt",
		  1, 537723, 0, "left out" },
		{ "terhechte-emlx-broken/broken1.emlx", 1, 495, 0,
		  "no property list" },
		{ "terhechte-emlx-broken/broken2.emlx", 1, -1, 1,
		  "no byte-count line" },
		{ "terhechte-emlx-broken/broken3.emlx", 1, -1, 1,
		  "byte count" },
		{ "mikez-emlx/plaintext.emlx", 1, -1, 1, NULL },
		{ "mikez-emlx/richtext.emlx", 1, -1, 1, NULL },
		{ "crb912-sent-message/1.emlx", 1, -1, 1, NULL },
	};
	char path[1024];
	struct stat st;

	if (stat(FIXTURES_DIR, &st) != 0) {
		printf("# fixtures absent, skipped\n");
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emlx_frame f;
		struct buf w = BUF_INIT;
		int fd, r;

		snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR,
		    cases[i].file);
		fd = open(path, O_RDONLY);
		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		r = emlx_frame(fd, &f, &w);
		CHECK_INT(r, cases[i].ok ? 0 : -1);
		if (r == 0) {
			if (cases[i].len >= 0)
				CHECK_INT(f.msg_len, cases[i].len);
			CHECK_INT(f.plist_off >= 0, cases[i].plist);
			CHECK(f.msg_off + f.msg_len <= f.file_size);
			if (f.plist_off >= 0)
				CHECK_INT(f.plist_off, f.msg_off + f.msg_len);
		}
		if (cases[i].warn == NULL)
			CHECK_STR(w.s, "");
		else if (strstr(w.s, cases[i].warn) == NULL)
			CHECK_STR(w.s, cases[i].warn);
		buf_release(&w);
		close(fd);
	}
}

int
main(void)
{
	test_count();
	test_looks();
	test_frame();
	test_large();
	test_flags();
	test_fixtures();
	return test_done();
}
