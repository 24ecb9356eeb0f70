/*
 * Unit tests for Gmail's FETCH items (formats/gmail.c): labels made
 * keywords, and X-GM-MSGID and X-GM-LABELS answers parsed by libetpan
 * with our X-GM-LABELS parser registered: bare backslash labels, quoted
 * ones with escapes, atoms, modified UTF-7 names, literals, an empty
 * list.  The answers come from a canned server on a socket pair, read by
 * libetpan's own UID FETCH.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "gmail.h"
#include "test.h"

static const char *
label_kw(const char *kw, const char *label)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_adds(&b, kw);
	gm_add_label(&b, label);
	return b.s;
}

static void
test_labels(void)
{
	struct buf b = BUF_INIT;

	CHECK_STR(label_kw("", "\\Important"), "Important");
	CHECK_STR(label_kw("", "\\Inbox"), "Inbox");
	CHECK_STR(label_kw("", "Work"), "Work");
	CHECK_STR(label_kw("", "Work/Projects"), "Work/Projects");
	CHECK_STR(label_kw("", "Muy Importante"), "Muy_Importante");
	CHECK_STR(label_kw("", "tab\there"), "tab_here");
	/* Modified UTF-7: "été", "日本語", "&" itself. */
	CHECK_STR(label_kw("", "&AOk-t&AOk-"), "\xc3\xa9t\xc3\xa9");
	CHECK_STR(label_kw("", "&ZeVnLIqe-"), "\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e");
	CHECK_STR(label_kw("", "R&-D"), "R&D");
	/* Not modified UTF-7: kept as sent. */
	CHECK_STR(label_kw("", "&Zz"), "&Zz");
	/* Appended after what is there, and once. */
	CHECK_STR(label_kw("$label1", "Work"), "$label1 Work");
	CHECK_STR(label_kw("Work Play", "Work"), "Work Play");
	CHECK_STR(label_kw("Important", "\\Important"), "Important");
	CHECK_STR(label_kw("x", ""), "x");
	CHECK_STR(label_kw("x", "\\"), "x");

	buf_adds(&b, "a b");
	gm_merge_words(&b, "b  c a d");
	CHECK_STR(b.s, "a b c d");
	gm_merge_words(&b, "");
	CHECK_STR(b.s, "a b c d");
	buf_reset(&b);
	gm_merge_words(&b, " x y ");
	CHECK_STR(b.s, "x y");
	buf_release(&b);
}

struct got {
	uint32_t uid;
	uint64_t msgid;
	char kw[256];
};

/*
 * Have libetpan read ANSWER (untagged FETCH lines) as the answer to a
 * UID FETCH (UID X-GM-MSGID X-GM-LABELS) over a socket pair; store what
 * gm_item() takes from each message.  Returns libetpan's result.
 */
static int
fetch_canned(const char *answer, struct got *got, size_t max, size_t *n)
{
	static const char greeting[] = "* OK canned\r\n";
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct buf out = BUF_INIT;
	clist *res = NULL;
	mailimap *s;
	mailstream *ms;
	int sv[2], r;

	*n = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	if (write(sv[1], greeting, sizeof(greeting) - 1) !=
	    (ssize_t)sizeof(greeting) - 1)
		return -1;
	s = mailimap_new(0, NULL);
	ms = mailstream_socket_open_timeout(sv[0], 5);
	r = mailimap_connect(s, ms);
	CHECK_INT(r, MAILIMAP_NO_ERROR_NON_AUTHENTICATED);
	s->imap_state = MAILIMAP_STATE_SELECTED;
	/* The tag libetpan will send next. */
	buf_addf(&out, "%s%d OK done\r\n", answer, s->imap_tag + 1);
	if (write(sv[1], out.s, out.len) != (ssize_t)out.len)
		return -1;
	buf_release(&out);
	shutdown(sv[1], SHUT_WR);	/* no waiting for more */

	set = mailimap_set_new_interval(1, 0);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_xgmmsgid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_xgmlabels());
	r = mailimap_uid_fetch(s, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	for (clistiter *it = res ? clist_begin(res) : NULL; it != NULL &&
	    *n < max; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		struct got *g = &got[(*n)++];
		struct buf kw = BUF_INIT;

		memset(g, 0, sizeof(*g));
		for (clistiter *i = clist_begin(att->att_list); i != NULL;
		    i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_UID)
				g->uid = item->att_data.att_static->att_data.
				    att_uid;
			else
				(void)gm_item(item, &g->msgid, &kw);
		}
		snprintf(g->kw, sizeof(g->kw), "%s", kw.s);
		buf_release(&kw);
	}
	if (res != NULL)
		mailimap_fetch_list_free(res);
	mailimap_free(s);
	close(sv[1]);
	return r;
}

static void
test_fetch(void)
{
	struct got g[8];
	size_t n;
	int r;

	/* libetpan's own parser: quoted labels, atoms, an empty list. */
	r = fetch_canned("* 1 FETCH (UID 11 X-GM-MSGID 1278455344230334866 "
	    "X-GM-LABELS (\"\\\\Sent\" \"quoted \\\"q\\\"\" Work))\r\n"
	    "* 2 FETCH (UID 12 X-GM-LABELS () X-GM-MSGID 3)\r\n", g, 8, &n);
	CHECK_INT(r, MAILIMAP_NO_ERROR);
	CHECK_INT(n, 2);
	CHECK_INT(g[0].uid, 11);
	CHECK(g[0].msgid == 1278455344230334866ULL);
	CHECK_STR(g[0].kw, "Sent quoted_\"q\" Work");
	CHECK_INT(g[1].uid, 12);
	CHECK_INT(g[1].msgid, 3);
	CHECK_STR(g[1].kw, "");

	/* Bare backslash labels (Gmail's own form) need our parser. */
	r = fetch_canned("* 1 FETCH (UID 10 X-GM-LABELS (\\Inbox))\r\n", g, 8,
	    &n);
	CHECK(r != MAILIMAP_NO_ERROR);	/* libetpan 1.9.4 alone */
	gm_register();
	gm_register();		/* once is enough; twice is harmless */
	r = fetch_canned("* 1 FETCH (UID 10 X-GM-MSGID 1278455344230334865 "
	    "X-GM-LABELS (\\Inbox \\Important \"Muy Importante\" "
	    "Work/Projects \"&AOk-t&AOk-\") FLAGS (\\Seen))\r\n"
	    "* 2 FETCH (UID 13 X-GM-LABELS (\\Starred {5}\r\nlit x "
	    "\\Inbox) X-GM-MSGID 4)\r\n"
	    "* 3 FETCH (UID 14 X-GM-LABELS (\\Draft) FLAGS (\\Draft))\r\n"
	    "* 4 FETCH (FLAGS (\\Seen))\r\n", g, 8, &n);
	CHECK_INT(r, MAILIMAP_NO_ERROR);
	CHECK_INT(n, 4);
	CHECK_INT(g[0].uid, 10);
	CHECK(g[0].msgid == 1278455344230334865ULL);
	CHECK_STR(g[0].kw, "Inbox Important Muy_Importante Work/Projects "
	    "\xc3\xa9t\xc3\xa9");
	CHECK_INT(g[1].uid, 13);
	CHECK_INT(g[1].msgid, 4);
	CHECK_STR(g[1].kw, "Starred lit_x Inbox");
	CHECK_INT(g[2].uid, 14);
	CHECK_INT(g[2].msgid, 0);
	CHECK_STR(g[2].kw, "Draft");
	CHECK_INT(g[3].uid, 0);		/* an unsolicited FLAGS update */
	CHECK_STR(g[3].kw, "");

	/* Still broken after ours: an unterminated list. */
	r = fetch_canned("* 1 FETCH (UID 10 X-GM-LABELS (\\Inbox \"a\"\r\n",
	    g, 8, &n);
	CHECK(r != MAILIMAP_NO_ERROR);
}

int
main(void)
{
	test_labels();
	test_fetch();
	return test_done();
}
