/*
 * Unit tests for path.c: hostile folder and file names must become safe,
 * readable, NFC path components that stay inside DEST; the directory
 * helpers must create 0700 directories and refuse to climb out.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "test.h"

/* path_component() of a NUL-terminated name, as a static string. */
static const char *
comp(const char *name, size_t max)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	path_component(&b, name, strlen(name), max);
	return b.s;
}

static const char *
comp_n(const char *name, size_t len, size_t max)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	path_component(&b, name, len, max);
	return b.s;
}

static const char *
folder(const char *name)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	path_folder(&b, name);
	return b.s;
}

static const char *
nfc(const char *s, size_t len)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	path_nfc(&b, s, len);
	return b.s;
}

/* Every byte of s is valid UTF-8 (decoded strictly). */
static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n;

		if (*p < 0x80)
			n = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4;
		else
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void
test_plain(void)
{
	CHECK_STR(comp("Inbox", 0), "Inbox");
	CHECK_STR(comp("Archive 2024", 0), "Archive 2024");
	CHECK_STR(comp("R\xc3\xa9sum\xc3\xa9", 0), "R\xc3\xa9sum\xc3\xa9");
	CHECK_STR(comp("a.b", 0), "a.b");
}

static void
test_dots(void)
{
	CHECK_STR(comp("", 0), "_");
	CHECK_STR(comp(".", 0), "_.");
	CHECK_STR(comp("..", 0), "_..");
	CHECK_STR(comp(".hidden", 0), "_hidden");
	CHECK_STR(comp("...", 0), "___");
	CHECK_STR(comp("name.", 0), "name_");
	CHECK_STR(comp("name. . ", 0), "name____");
	CHECK_STR(comp("trailing space ", 0), "trailing space_");
	CHECK_STR(comp(" lead", 0), " lead");
}

static void
test_separators_and_controls(void)
{
	CHECK_STR(comp("a/b", 0), "a_b");
	CHECK_STR(comp("a\\b", 0), "a_b");
	CHECK_STR(comp("/etc/passwd", 0), "_etc_passwd");
	CHECK_STR(comp("a:b*c?d\"e<f>g|h", 0), "a_b_c_d_e_f_g_h");
	CHECK_STR(comp("tab\there", 0), "tab_here");
	CHECK_STR(comp("nl\nx\rz", 0), "nl_x_z");
	CHECK_STR(comp("\x01\x1f\x7f", 0), "___");
	/* C1 controls as characters (U+0085, U+009B) and as bare bytes. */
	CHECK_STR(comp("a\xc2\x85" "b\xc2\x9b", 0), "a_b_");
	CHECK_STR(comp("a\x85" "b", 0), "a%85b");
	/* NUL inside the given length. */
	CHECK_STR(comp_n("a\0b", 3, 0), "a%00b");
	/* A right-to-left override cannot disguise a name. */
	CHECK_STR(comp("x\xe2\x80\xae" "fdp.exe", 0), "x_fdp.exe");
}

static void
test_invalid_utf8(void)
{
	const char *r;

	CHECK_STR(comp("caf\xe9", 0), "caf%E9");
	CHECK_STR(comp("\xff\xfe", 0), "%FF%FE");
	/* Overlong '/' and a surrogate are invalid, not separators. */
	CHECK_STR(comp("a\xc0\xaf" "b", 0), "a%C0%AFb");
	CHECK_STR(comp("\xed\xa0\x80", 0), "%ED%A0%80");
	/* A truncated sequence at the end. */
	CHECK_STR(comp("ab\xe2\x82", 0), "ab%E2%82");
	r = comp("mix\xe9\xc3\xa9\xff", 0);
	CHECK_STR(r, "mix%E9\xc3\xa9%FF");
	CHECK(valid_utf8(r));
}

static void
test_nfc(void)
{
	/* NFD "Tübingen" (u + U+0308) becomes NFC (U+00FC). */
	CHECK_STR(comp("Tu\xcc\x88" "bingen", 0), "T\xc3\xbc" "bingen");
	CHECK_STR(nfc("Tu\xcc\x88" "bingen", 10), "T\xc3\xbc" "bingen");
	CHECK_STR(folder("Tu\xcc\x88" "bingen/Cafe\xcc\x81"),
	    "T\xc3\xbc" "bingen/Caf\xc3\xa9");
	/* Already NFC stays; Hangul jamo compose. */
	CHECK_STR(nfc("\xc3\xa9", 2), "\xc3\xa9");
	CHECK_STR(nfc("\xe1\x84\x80\xe1\x85\xa1", 6), "\xea\xb0\x80");
	/* Invalid bytes are kept as they are, around normalised runs. */
	CHECK_MEM(nfc("\xffu\xcc\x88\xfe", 5), 4, "\xff\xc3\xbc\xfe", 4);
	/* ASCII passes unchanged. */
	CHECK_STR(nfc("plain text", 10), "plain text");
}

static void
test_reserved(void)
{
	CHECK_STR(comp("CON", 0), "_CON");
	CHECK_STR(comp("con", 0), "_con");
	CHECK_STR(comp("nul.txt", 0), "_nul.txt");
	CHECK_STR(comp("Prn.tar.gz", 0), "_Prn.tar.gz");
	CHECK_STR(comp("aux", 0), "_aux");
	CHECK_STR(comp("COM1", 0), "_COM1");
	CHECK_STR(comp("lpt9.log", 0), "_lpt9.log");
	CHECK_STR(comp("COM\xc2\xb9", 0), "_COM\xc2\xb9");
	CHECK_STR(comp("CON .txt", 0), "_CON .txt");
	/* Trailing dot is replaced first, so "CON." is no longer CON. */
	CHECK_STR(comp("CON.", 0), "CON_");
	/* Not reserved. */
	CHECK_STR(comp("COM0", 0), "COM0");
	CHECK_STR(comp("COM10", 0), "COM10");
	CHECK_STR(comp("CONSOLE", 0), "CONSOLE");
	CHECK_STR(comp("icon", 0), "icon");
	CHECK_STR(comp("LPT", 0), "LPT");
}

static void
test_length(void)
{
	char longname[1000];
	const char *r;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT(strlen(comp(longname, 0)), 200);
	CHECK_INT(strlen(comp(longname, 50)), 50);

	/* 100 two-byte characters cut at 51 bytes: 25 characters. */
	longname[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(longname, "\xc3\xa9");
	r = comp(longname, 51);
	CHECK_INT(strlen(r), 50);
	CHECK(valid_utf8(r));
	/* Four-byte characters. */
	longname[0] = '\0';
	for (int i = 0; i < 60; i++)
		strcat(longname, "\xf0\x9f\x93\xa7");
	r = comp(longname, 0);
	CHECK_INT(strlen(r), 200);
	CHECK(valid_utf8(r));
	r = comp(longname, 10);
	CHECK_INT(strlen(r), 8);
	CHECK(valid_utf8(r));
	/* A cut that leaves a trailing dot is fixed again. */
	CHECK_STR(comp("abcd.efgh", 5), "abcd_");
	/* The reserved prefix still respects max. */
	CHECK_STR(comp("nul.abcdef", 6), "_nul.a");
	/* Escapes count towards the length too. */
	r = comp("\xff\xff\xff\xff\xff\xff", 10);
	CHECK(strlen(r) <= 10);
}

static void
test_folder(void)
{
	CHECK_STR(folder("INBOX"), "INBOX");
	CHECK_STR(folder("Archive/2024"), "Archive/2024");
	CHECK_STR(folder("a//b/"), "a/b");
	CHECK_STR(folder(""), "_");
	CHECK_STR(folder("/"), "_");
	CHECK_STR(folder(".."), "_..");
	CHECK_STR(folder("../../etc"), "_../_../etc");
	CHECK_STR(folder("a/../../b"), "a/_../_../b");
	CHECK_STR(folder("/abs/path"), "abs/path");
	CHECK_STR(folder("./x"), "_./x");
	CHECK_STR(folder("CON/nul"), "_CON/_nul");
	CHECK_STR(folder("a\\..\\b"), "a_.._b");
	CHECK_STR(folder("ctl\x01/x"), "ctl_/x");
	CHECK_STR(folder(".Trash/.hidden"), "_Trash/_hidden");

	/* No component of any folder result is "." or ".." or empty. */
	{
		static const char *const hostile[] = {
			"..", "../..", "/..", "a/..", "./.", ".../....",
			"a/./b", "..\\..", " / ", "\x7f/\x01", NULL
		};
		for (int i = 0; hostile[i]; i++) {
			const char *r = folder(hostile[i]);
			char *copy = strdup(r), *save = NULL;
			int bad = r[0] == '/' || r[0] == '\0';

			for (char *c = strtok_r(copy, "/", &save); c;
			    c = strtok_r(NULL, "/", &save))
				if (!strcmp(c, ".") || !strcmp(c, ".."))
					bad = 1;
			CHECK(!bad);
			CHECK(strstr(r, "//") == NULL);
			free(copy);
		}
	}
}

static void
test_dirs(void)
{
	char tmpl[] = "/tmp/test_path.XXXXXX";
	char *root = mkdtemp(tmpl);
	char p[512];
	struct stat st;
	int fd;
	mode_t old = umask(022);

	CHECK(root != NULL);
	if (root == NULL)
		return;
	snprintf(p, sizeof(p), "%s/x/y/z", root);
	CHECK_INT(path_mkdirs(p), 0);
	CHECK_INT(stat(p, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/x", root);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	/* Again: existing directories are fine; trailing slash too. */
	snprintf(p, sizeof(p), "%s/x/y/z/", root);
	CHECK_INT(path_mkdirs(p), 0);

	fd = open(root, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK_INT(path_mkdirs_at(fd, "a/b/c"), 0);
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(path_mkdirs_at(fd, "a/b/c"), 0);
	errno = 0;
	CHECK_INT(path_mkdirs_at(fd, "a/../../escape"), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(path_mkdirs_at(fd, "/abs"), -1);
	CHECK_INT(path_mkdirs_at(fd, ".."), -1);
	/* A file in the way is an error, not a directory. */
	{
		int f = openat(fd, "file", O_CREAT | O_WRONLY, 0600);

		CHECK(f >= 0);
		close(f);
		CHECK_INT(path_mkdirs_at(fd, "file/sub"), -1);
		CHECK_INT(errno, ENOTDIR);
	}

	CHECK_INT(path_fsync_dir(root, 1), 0);
	snprintf(p, sizeof(p), "%s/file", root);
	CHECK_INT(path_fsync_dir(p, 0), 0);
	CHECK_INT(path_fsync_dir("/nonexistent/dir/x", 0), -1);
	close(fd);
	umask(old);

	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	CHECK_INT(system(p), 0);
}

int
main(void)
{
	test_plain();
	test_dots();
	test_separators_and_controls();
	test_invalid_utf8();
	test_nfc();
	test_reserved();
	test_length();
	test_folder();
	test_dirs();
	return test_done();
}
