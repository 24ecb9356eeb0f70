/*
 * Unit tests for the index functions behind source->saved_as() and
 * renumbered(): keys outside a prefix, a message found by Message-ID and
 * size, a record re-keyed, a record of one more place of saved bytes,
 * and the upgrade of a version 2 index to version 3.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "test.h"

static char dir[] = "/tmp/mailsave-test-dbmatch.XXXXXX";

struct seen_row {
	char folder[64], key[64], file[64];
	int64_t offset, dup_of, id;
	unsigned flags;
};

struct rows {
	struct seen_row r[16];
	int n;
};

static int
collect(const struct db_row *r, void *arg)
{
	struct rows *rs = arg;
	struct seen_row *x = &rs->r[rs->n++];

	snprintf(x->folder, sizeof(x->folder), "%s", r->folder);
	snprintf(x->key, sizeof(x->key), "%s", r->key);
	snprintf(x->file, sizeof(x->file), "%s", r->file);
	x->offset = r->offset;
	x->dup_of = r->dup_of;
	x->id = r->id;
	x->flags = r->flags;
	return rs->n == 16;
}

/* Record KEY in FOLDER with Message-ID mid and SIZE at offset off. */
static void
record(struct db *db, int64_t src, int64_t dst, int64_t run,
    const char *folder, const char *key, const char *mid, int64_t size,
    int64_t off)
{
	struct msg m;
	struct msg_head h;
	struct sink_ref ref;
	unsigned char sha[32];

	msg_init(&m);
	memset(&h, 0, sizeof(h));
	h.message_id = mid;
	m.folder = folder;
	m.key = key;
	m.size = size;
	m.flags = MSG_SEEN;
	m.head = &h;
	memset(sha, (int)off, sizeof(sha));
	memset(&ref, 0, sizeof(ref));
	buf_init(&ref.file);
	buf_adds(&ref.file, "f.mbox");
	ref.offset = off;
	ref.length = size;
	CHECK_INT(db_record(db, src, dst, run, &m, NULL, sha, &ref, 0), MS_OK);
	buf_release(&ref.file);
}

static void
test_match(void)
{
	char p[256];
	struct err e;
	struct db *db;
	int64_t src, other, dst, run, id, id2;
	struct rows rs;
	struct msg m;
	int found, done;

	snprintf(p, sizeof(p), "%s/a.db", dir);
	CHECK_INT(db_open(&db, p, 1, &e), MS_OK);
	CHECK_INT(db_source(db, "imap:a", &src), MS_OK);
	CHECK_INT(db_source(db, "imap:b", &other), MS_OK);
	CHECK_INT(db_dest(db, ".", "mbox", &dst), MS_OK);
	CHECK_INT(db_run_begin(db, src, dst, &run), MS_OK);
	CHECK_INT(db_begin(db), MS_OK);
	record(db, src, dst, run, "A", "A:7:1", "<1@x>", 100, 0);
	record(db, src, dst, run, "A", "A:7:2", "<2@x>", 200, 100);
	record(db, src, dst, run, "A", "A:7:3", "<2@x>", 200, 300);
	record(db, src, dst, run, "A:b", "A:b:5:1", "<3@x>", 50, 500);
	record(db, src, dst, run, "B", "B:9:1", "<1@x>", 100, 550);
	CHECK_INT(db_commit(db), MS_OK);

	/* Keys of folder A outside its numbering 7: none; outside 8: yes. */
	CHECK_INT(db_keys_outside(db, src, dst, "A", "A:", "A:7:",
	    &found), MS_OK);
	CHECK_INT(found, 0);
	CHECK_INT(db_keys_outside(db, src, dst, "A", "A:", "A:8:",
	    &found), MS_OK);
	CHECK_INT(found, 1);
	CHECK_INT(db_keys_outside(db, src, dst, "A", "A:", "A:6:",
	    &found), MS_OK);
	CHECK_INT(found, 1);
	CHECK_INT(db_keys_outside(db, src, dst, "B", "B:", "B:9:",
	    &found), MS_OK);
	CHECK_INT(found, 0);
	CHECK_INT(db_keys_outside(db, other, dst, "A", "A:", "A:8:",
	    &found), MS_OK);
	CHECK_INT(found, 0);	/* another source */
	CHECK_INT(db_keys_outside(db, src, dst, "C", "C:", "C:1:",
	    &found), MS_OK);
	CHECK_INT(found, 0);

	/* By Message-ID and size, in a folder, outside a prefix. */
	CHECK_INT(db_find_like(db, src, dst, "A", "<1@x>", 100, NULL, &id),
	    MS_OK);
	CHECK(id > 0);
	CHECK_INT(db_find_like(db, src, dst, "A", "<1@x>", 101, NULL, &id2),
	    MS_OK);
	CHECK_INT(id2, 0);
	CHECK_INT(db_find_like(db, src, dst, "A", "<1@x>", 100, "A:7:", &id2),
	    MS_OK);
	CHECK_INT(id2, 0);
	CHECK_INT(db_find_like(db, src, dst, "C", "<1@x>", 100, NULL, &id2),
	    MS_OK);
	CHECK_INT(id2, 0);
	CHECK_INT(db_find_like(db, other, dst, "A", "<1@x>", 100, NULL, &id2),
	    MS_OK);
	CHECK_INT(id2, 0);

	/* Re-keyed: the two copies of <2@x> are found one after the other. */
	CHECK_INT(db_begin(db), MS_OK);
	CHECK_INT(db_find_like(db, src, dst, "A", "<2@x>", 200, "A:8:", &id),
	    MS_OK);
	CHECK(id > 0);
	CHECK_INT(db_rekey(db, id, "A:8:10", &done), MS_OK);
	CHECK_INT(done, 1);
	CHECK_INT(db_find_like(db, src, dst, "A", "<2@x>", 200, "A:8:", &id2),
	    MS_OK);
	CHECK(id2 > 0 && id2 != id);
	CHECK_INT(db_rekey(db, id2, "A:8:10", &done), MS_OK);
	CHECK_INT(done, 0);	/* that key is taken */
	CHECK_INT(db_rekey(db, id2, "A:8:11", &done), MS_OK);
	CHECK_INT(done, 1);
	CHECK_INT(db_find_key(db, src, dst, "A:8:11", &id), MS_OK);
	CHECK_INT(id, id2);
	CHECK_INT(db_find_key(db, src, dst, "A:7:3", &id), MS_OK);
	CHECK_INT(id, 0);

	/* One more place of the bytes of B:9:1, and of a place of them. */
	CHECK_INT(db_find_key(db, src, dst, "B:9:1", &id), MS_OK);
	msg_init(&m);
	m.folder = "Label";
	m.key = "Label:3:4";
	m.size = 100;
	m.flags = MSG_FLAGGED;
	m.keywords = "Work";
	CHECK_INT(db_record_place(db, src, dst, run, &m, id), MS_OK);
	CHECK_INT(db_find_key(db, src, dst, "Label:3:4", &id2), MS_OK);
	m.folder = "Label2";
	m.key = "Label2:3:4";
	CHECK_INT(db_record_place(db, src, dst, run, &m, id2), MS_OK);
	CHECK_INT(db_record_place(db, src, dst, run, &m, id2), MS_OK);
	CHECK_INT(db_commit(db), MS_OK);

	rs.n = 0;
	CHECK_INT(db_each(db, dst, collect, &rs), MS_OK);
	CHECK_INT(rs.n, 7);
	CHECK_STR(rs.r[1].key, "A:8:10");
	CHECK_STR(rs.r[2].key, "A:8:11");
	CHECK_INT(rs.r[1].offset, 100);
	CHECK_STR(rs.r[5].folder, "Label");
	CHECK_INT(rs.r[5].offset, 550);
	CHECK_INT(rs.r[5].dup_of, rs.r[4].id);
	CHECK_INT(rs.r[5].flags, MSG_FLAGGED);
	CHECK_STR(rs.r[6].folder, "Label2");
	CHECK_INT(rs.r[6].dup_of, rs.r[4].id);	/* the bytes' own row */
	CHECK_STR(rs.r[6].file, "f.mbox");
	CHECK_INT(db_keys_outside(db, src, dst, "A", "A:", "A:8:",
	    &found), MS_OK);
	CHECK_INT(found, 1);	/* A:7:1 is still of the old numbering */
	db_close(db);
}

/* An index of schema 2 is upgraded: the Message-ID index appears. */
static void
test_upgrade(void)
{
	char p[256];
	struct err e;
	struct db *db;
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t src, dst, id;

	snprintf(p, sizeof(p), "%s/b.db", dir);
	CHECK_INT(db_open(&db, p, 1, &e), MS_OK);
	CHECK_INT(db_source(db, "imap:a", &src), MS_OK);
	CHECK_INT(db_dest(db, ".", "mbox", &dst), MS_OK);
	db_close(db);
	CHECK(sqlite3_open(p, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "DROP INDEX message_mid; PRAGMA user_version=2",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);

	CHECK_INT(db_open(&db, p, 0, &e), MS_OK);
	CHECK_INT(db_find_like(db, src, dst, "A", "<1@x>", 1, NULL, &id),
	    MS_OK);
	CHECK_INT(id, 0);
	db_close(db);
	CHECK(sqlite3_open(p, &h) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'message_mid'), "
	    "(SELECT user_version FROM pragma_user_version)", -1, &s,
	    NULL) == SQLITE_OK);
	CHECK(sqlite3_step(s) == SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(s, 0), 1);
	CHECK_INT(sqlite3_column_int(s, 1), 3);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

int
main(void)
{
	char p[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_match();
	test_upgrade();
	for (const char *n = "a.db\0a.db-wal\0a.db-shm\0b.db\0b.db-wal\0"
	    "b.db-shm\0"; *n; n += strlen(n) + 1) {
		snprintf(p, sizeof(p), "%s/%s", dir, n);
		(void)unlink(p);
	}
	(void)rmdir(dir);
	return test_done();
}
