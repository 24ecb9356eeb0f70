/*
 * Unit tests for layout.c: the paths and names every writer uses, for mbox,
 * eml and Maildir++ trees, with hostile folder names and subjects.
 */
#include "config.h"

#include <string.h>

#include "layout.h"
#include "msg.h"
#include "test.h"

static unsigned char sha[32];

static const char *
eml_name(const char *subject, int64_t date, int64_t hdate, unsigned n)
{
	static struct buf b = BUF_INIT;
	struct msg m;
	struct msg_head h;

	memset(&h, 0, sizeof(h));
	h.subject = subject;
	h.date = hdate;
	msg_init(&m);
	m.folder = "INBOX";
	m.date = date;
	m.head = &h;
	buf_reset(&b);
	layout_eml_name(&b, &m, sha, n);
	return b.s;
}

static const char *
maildir_name(unsigned flags, int64_t date, unsigned n)
{
	static struct buf b = BUF_INIT;
	struct msg m;

	msg_init(&m);
	m.folder = "INBOX";
	m.date = date;
	m.flags = flags;
	buf_reset(&b);
	layout_maildir_name(&b, &m, sha, n);
	return b.s;
}

static const char *
mdir(const char *folder)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	layout_maildir_dir(&b, folder);
	return b.s;
}

static const char *
mbox_path(const char *folder)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	layout_mbox_path(&b, folder);
	return b.s;
}

static const char *
eml_dir(const char *folder)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	layout_eml_dir(&b, folder);
	return b.s;
}

static void
test_eml_names(void)
{
	/* 1700000000 is 2023-11-14 22:13:20 UTC. */
	CHECK_STR(eml_name("Hello, World!", 1700000000, 0, 1),
	    "20231114-221320-hello-world-deadbeef.eml");
	/* The received date wins over Date:, Date: is used without it. */
	CHECK_STR(eml_name("x", 1700000000, 86400, 1),
	    "20231114-221320-x-deadbeef.eml");
	CHECK_STR(eml_name("x", 0, 86400, 1),
	    "19700102-000000-x-deadbeef.eml");
	CHECK_STR(eml_name("x", 0, 0, 1), "00000000-000000-x-deadbeef.eml");
	/* Collisions. */
	CHECK_STR(eml_name("x", 0, 0, 2), "00000000-000000-x-deadbeef-2.eml");
	CHECK_STR(eml_name("x", 0, 0, 17),
	    "00000000-000000-x-deadbeef-17.eml");
	/* Empty or symbol-only subjects. */
	CHECK_STR(eml_name("", 0, 0, 1),
	    "00000000-000000-no-subject-deadbeef.eml");
	CHECK_STR(eml_name(NULL, 0, 0, 1),
	    "00000000-000000-no-subject-deadbeef.eml");
	CHECK_STR(eml_name("!!! ??? ...", 0, 0, 1),
	    "00000000-000000-no-subject-deadbeef.eml");
	/* Runs collapse, ends trimmed, case folded. */
	CHECK_STR(eml_name("  Re: [List]  RE:  Fwd -- Meeting@10AM  ", 0, 0,
	    1), "00000000-000000-re-list-re-fwd-meeting-10am-deadbeef.eml");
	/* Hostile subjects cannot make paths. */
	CHECK_STR(eml_name("../../etc/passwd", 0, 0, 1),
	    "00000000-000000-etc-passwd-deadbeef.eml");
	CHECK_STR(eml_name("a\r\n\tb\x01/\\:c", 0, 0, 1),
	    "00000000-000000-a-b-c-deadbeef.eml");
	CHECK_STR(eml_name("CON", 0, 0, 1),
	    "00000000-000000-con-deadbeef.eml");
}

static void
test_eml_slug_length(void)
{
	const char *r = eml_name("abcdefghij abcdefghij abcdefghij "
	    "abcdefghij abcdefghij", 0, 0, 1);

	/* At most 40 bytes of slug, never ending in '-'. */
	CHECK_STR(r, "00000000-000000-"
	    "abcdefghij-abcdefghij-abcdefghij-abcdefg-deadbeef.eml");
	/* A word that would leave a dash at byte 40 is dropped whole. */
	r = eml_name("abcdefghij abcdefghij abcdefghij abcdef gh", 0, 0, 1);
	CHECK_STR(r, "00000000-000000-"
	    "abcdefghij-abcdefghij-abcdefghij-abcdef-deadbeef.eml");
	r = eml_name("abcdefghij abcdefghij abcdefghij abcdefg hij", 0, 0, 1);
	CHECK_STR(r, "00000000-000000-"
	    "abcdefghij-abcdefghij-abcdefghij-abcdefg-deadbeef.eml");
	/* Two-byte letters are not split: 39 'x' + 'é' would be 41. */
	r = eml_name("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9", 0, 0,
	    1);
	CHECK_STR(r, "00000000-000000-"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-deadbeef.eml");
}

static void
test_eml_unicode(void)
{
	/* Non-ASCII letters stay, lower-cased and NFC. */
	CHECK_STR(eml_name("Gr\xc3\x9c\xc3\x9f" "e", 0, 0, 1),
	    "00000000-000000-gr\xc3\xbc\xc3\x9f" "e-deadbeef.eml");
	CHECK_STR(eml_name("Tu\xcc\x88" "bingen", 0, 0, 1),
	    "00000000-000000-t\xc3\xbc" "bingen-deadbeef.eml");
	/* RFC 2047 words are decoded. */
	CHECK_STR(eml_name("=?utf-8?Q?Gr=C3=BC=C3=9Fe?= aus "
	    "=?iso-8859-1?B?VPxiaW5nZW4=?=", 0, 0, 1),
	    "00000000-000000-gr\xc3\xbc\xc3\x9f" "e-aus-t\xc3\xbc"
	    "bingen-deadbeef.eml");
	CHECK_STR(eml_name("=?UTF-8?B?5pel5pys6Kqe?=", 0, 0, 1),
	    "00000000-000000-\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
	    "-deadbeef.eml");
	/* Emoji and invalid bytes are separators. */
	CHECK_STR(eml_name("hi \xf0\x9f\x93\xa7 there\xff!", 0, 0, 1),
	    "00000000-000000-hi-there-deadbeef.eml");
}

static void
test_maildir_names(void)
{
	CHECK_STR(maildir_name(0, 1700000000, 1),
	    "1700000000.deadbeef00112233.mailsave:2,");
	CHECK_STR(maildir_name(MSG_SEEN | MSG_FLAGGED | MSG_ANSWERED, 5, 1),
	    "5.deadbeef00112233.mailsave:2,FRS");
	CHECK_STR(maildir_name(MSG_DRAFT | MSG_DELETED | MSG_FORWARDED |
	    MSG_JUNK, 0, 1), "0.deadbeef00112233.mailsave:2,DPT");
	CHECK_STR(maildir_name(MSG_SEEN, 7, 3),
	    "7.deadbeef00112233.mailsave-3:2,S");
}

static void
test_maildir_dirs(void)
{
	CHECK_STR(mdir("INBOX"), "");
	CHECK_STR(mdir("inbox"), "");
	CHECK_STR(mdir("InBoX"), "");
	CHECK_STR(mdir("Archive"), ".Archive");
	CHECK_STR(mdir("A/B"), ".A.B");
	CHECK_STR(mdir("INBOX/Sub"), ".INBOX.Sub");
	CHECK_STR(mdir("a.b/c"), ".a_b.c");
	CHECK_STR(mdir(".."), ".___");
	CHECK_STR(mdir("../x"), ".___.x");
	CHECK_STR(mdir("."), ".__");
	CHECK_STR(mdir("/"), "._");
	CHECK_STR(mdir("a//b"), ".a.b");
	CHECK_STR(mdir("CON"), "._CON");
	CHECK_STR(mdir("ctl\x01\x7f"), ".ctl__");
	CHECK_STR(mdir("Tu\xcc\x88" "bingen"), ".T\xc3\xbc" "bingen");
	/* Very deep folders stay one legal directory name. */
	{
		char deep[2000] = "";
		const char *r;

		for (int i = 0; i < 30; i++)
			strcat(deep, "abcdefghijklmnopqrstuvwxyz/");
		r = mdir(deep);
		CHECK(strlen(r) <= 250);
		CHECK(r[0] == '.');
		CHECK(r[strlen(r) - 1] != '.');
		CHECK(strchr(r, '/') == NULL);
	}
}

static void
test_tree_paths(void)
{
	CHECK_STR(mbox_path("INBOX"), "INBOX.mbox");
	CHECK_STR(mbox_path("Archive/2024"), "Archive/2024.mbox");
	CHECK_STR(mbox_path("../x"), "_../x.mbox");
	CHECK_STR(eml_dir("INBOX"), "INBOX");
	CHECK_STR(eml_dir("a/../../b"), "a/_../_../b");
	CHECK_STR(eml_dir("/abs"), "abs");
}

int
main(void)
{
	static const unsigned char head[] = {
		0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33
	};

	memcpy(sha, head, sizeof(head));
	test_eml_names();
	test_eml_slug_length();
	test_eml_unicode();
	test_maildir_names();
	test_maildir_dirs();
	test_tree_paths();
	return test_done();
}
