/*
 * Unit tests for the XML property list reader (formats/plist.c): the
 * emlx trailers of every Mail era, numbers beyond 32 bits, <real> dates,
 * entities, arrays and nested dicts, and damaged input that must cost the
 * metadata, never a crash.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plist.h"
#include "test.h"

static const char modern[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
    "<plist version=\"1.0\">\n<dict>\n"
    "\t<key>color</key>\n\t<string>000000</string>\n"
    "\t<key>conversation-id</key>\n\t<integer>123456</integer>\n"
    "\t<key>date-last-viewed</key>\n\t<real>0.0</real>\n"
    "\t<key>date-received</key>\n\t<real>1565148386.75</real>\n"
    "\t<key>flags</key>\n\t<integer>25803555845</integer>\n"
    "\t<key>gmail-label-ids</key>\n\t<array>\n\t\t<integer>3</integer>\n"
    "\t\t<integer>17</integer>\n\t</array>\n"
    "\t<key>nested</key>\n\t<dict><key>a</key><dict><key>b</key>"
    "<string>x</string></dict><key>c</key><array><integer>1</integer>"
    "</array></dict>\n"
    "\t<!-- a comment <key>ignored</key> -->\n"
    "\t<key>remote-id</key>\n\t<string>50758</string>\n"
    "\t<key>empty</key>\n\t<string/>\n"
    "\t<key>yes</key>\n\t<true/>\n"
    "</dict>\n</plist>\n";

static const char tiger[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!DOCTYPE plist PUBLIC \"-//Apple Computer//DTD PLIST 1.0//EN\" "
    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
    "<plist version=\"1.0\">\n<dict>\n"
    "\t<key>date-sent</key>\n\t<real>1218740978</real>\n"
    "\t<key>flags</key>\n\t<integer>8590195713</integer>\n"
    "\t<key>original-mailbox</key>\n"
    "\t<string>imap://user@127.0.0.1:11143/mail/2013/03</string>\n"
    "\t<key>sender</key>\n\t<string>Jane &lt;jane@example.com&gt; "
    "&amp; co &#x263A; &#65;</string>\n"
    "\t<key>subject</key>\n\t<string>  spaced  </string>\n"
    "</dict>\n</plist>";

static void
test_modern(void)
{
	struct plist pl;
	const struct plist_item *it;
	uint64_t u;
	int64_t v;

	plist_init(&pl);
	CHECK_INT(plist_parse(&pl, modern, strlen(modern)), 0);
	CHECK_INT(plist_get_u64(&pl, "flags", &u), 0);
	CHECK(u == 25803555845ULL);
	CHECK_INT(plist_get_i64(&pl, "date-received", &v), 0);
	CHECK_INT(v, 1565148386);
	CHECK_INT(plist_get_i64(&pl, "date-last-viewed", &v), 0);
	CHECK_INT(v, 0);
	it = plist_get(&pl, "remote-id");
	CHECK(it != NULL && it->type == PLIST_STRING);
	CHECK_STR(it ? it->value : NULL, "50758");
	CHECK_INT(plist_get_i64(&pl, "remote-id", &v), 0);
	CHECK_INT(v, 50758);
	it = plist_get(&pl, "gmail-label-ids");
	CHECK(it != NULL && it->type == PLIST_ARRAY);
	CHECK_STR(it ? it->value : NULL, "3 17");
	it = plist_get(&pl, "nested");
	CHECK(it != NULL && it->type == PLIST_DICT);
	CHECK(plist_get(&pl, "ignored") == NULL);
	CHECK(plist_get(&pl, "a") == NULL);
	it = plist_get(&pl, "empty");
	CHECK(it != NULL && it->type == PLIST_STRING && it->value[0] == 0);
	it = plist_get(&pl, "yes");
	CHECK(it != NULL && it->type == PLIST_TRUE);
	CHECK_STR(plist_get(&pl, "color")->value, "000000");
	CHECK(plist_get_u64(&pl, "color", &u) == 0);	/* digits */
	CHECK(plist_get_u64(&pl, "nested", &u) == -1);
	CHECK(plist_get_i64(&pl, "missing", &v) == -1);
	plist_release(&pl);
	CHECK_INT(pl.n, 0);
}

static void
test_tiger(void)
{
	struct plist pl;
	uint64_t u;

	plist_init(&pl);
	CHECK_INT(plist_parse(&pl, tiger, strlen(tiger)), 0);
	CHECK_INT(plist_get_u64(&pl, "flags", &u), 0);
	CHECK(u == 8590195713ULL);
	CHECK_STR(plist_get(&pl, "sender")->value,
	    "Jane <jane@example.com> & co \xe2\x98\xba A");
	/* Strings keep their blanks, numbers are trimmed. */
	CHECK_STR(plist_get(&pl, "subject")->value, "  spaced  ");
	CHECK_STR(plist_get(&pl, "original-mailbox")->value,
	    "imap://user@127.0.0.1:11143/mail/2013/03");
	plist_release(&pl);
}

static void
test_damaged(void)
{
	struct plist pl;
	size_t len = strlen(modern);
	uint64_t u;
	static const char bin[] = "bplist00\xd1\x01\x02";
	static const char *const bad[] = {
		"", "garbage", "<plist><array></array></plist>",
		"<?xml version=\"1.0\"?>", "<plist", "<<<<>>>>",
		"<dict><key>k</key><unknown>1</unknown></dict>",
	};

	plist_init(&pl);
	/* Every prefix parses or fails cleanly (ASan checks the reads). */
	for (size_t i = 0; i <= len; i++) {
		char *cut = malloc(i ? i : 1);

		memcpy(cut, modern, i);
		(void)plist_parse(&pl, cut, i);
		free(cut);
	}
	/* Cut after the flags: what was read is kept. */
	const char *f = strstr(modern, "<key>gmail");

	CHECK_INT(plist_parse(&pl, modern, (size_t)(f - modern)), 0);
	CHECK_INT(plist_get_u64(&pl, "flags", &u), 0);
	CHECK(u == 25803555845ULL);
	CHECK_INT(plist_parse(&pl, bin, sizeof(bin) - 1), -1);
	CHECK_INT(pl.binary, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		(void)plist_parse(&pl, bad[i], strlen(bad[i]));
	CHECK_INT(plist_parse(&pl, "garbage", 7), -1);
	CHECK_INT(plist_parse(&pl, "  <dict><key>flags</key><integer>-3"
	    "</integer></dict>", 51), 0);
	CHECK(plist_get_u64(&pl, "flags", &u) == -1);
	plist_release(&pl);
}

int
main(void)
{
	test_modern();
	test_tiger();
	test_damaged();
	return test_done();
}
