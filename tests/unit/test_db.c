/*
 * Unit tests for the index: schema creation, records inside a batch that
 * survive only a commit, seen/stamp checks, duplicate lookup by SHA-256,
 * the resume state, and the damaged-index cases (garbage, truncated,
 * foreign tables, newer schema).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "test.h"

static char dir[] = "/tmp/mailsave-test-db.XXXXXX";

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void
fake_msg(struct msg *m, struct msg_head *h, const char *key)
{
	msg_init(m);
	memset(h, 0, sizeof(*h));
	h->message_id = "<m@x>";
	m->folder = "INBOX";
	m->key = key;
	m->size = 10;
	m->flags = MSG_SEEN | MSG_FLAGGED;
	m->head = h;
}

static int
count_rows(const struct db_row *r, void *arg)
{
	CHECK_INT(r->length, 42);
	(*(int *)arg)++;
	return 0;
}

static void
test_record_commit_rollback(void)
{
	char p[256];
	struct err e;
	struct db *db;
	int64_t src, dst, run, id;
	struct msg m;
	struct msg_head h;
	struct sink_ref ref;
	unsigned char sha[32], sha2[32];
	int seen, changed, n;
	const char *state;
	struct stat st;

	path_in(p, sizeof(p), "a.db");
	CHECK_INT(db_open(&db, p, 1, &e), MS_OK);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(db_source(db, "mbox:/in", &src), MS_OK);
	CHECK_INT(db_dest(db, "/out", "mbox", &dst), MS_OK);
	CHECK_INT(db_source(db, "mbox:/in", &id), MS_OK);
	CHECK_INT(id, src);
	CHECK_INT(db_run_begin(db, src, dst, &run), MS_OK);

	memset(sha, 7, sizeof(sha));
	memset(sha2, 9, sizeof(sha2));
	memset(&ref, 0, sizeof(ref));
	buf_init(&ref.file);
	buf_adds(&ref.file, "INBOX.mbox");
	ref.length = 42;
	fake_msg(&m, &h, "0");
	CHECK_INT(db_begin(db), MS_OK);
	CHECK_INT(db_record(db, src, dst, run, &m, "10:1", sha, &ref, 0), MS_OK);
	CHECK_INT(db_set_state(db, dst, "42\tINBOX.mbox\n"), MS_OK);
	CHECK_INT(db_commit(db), MS_OK);

	/* A second batch that is rolled back leaves no trace. */
	fake_msg(&m, &h, "100");
	CHECK_INT(db_begin(db), MS_OK);
	CHECK_INT(db_record(db, src, dst, run, &m, "10:1", sha2, &ref, 0), MS_OK);
	CHECK_INT(db_seen(db, src, dst, "100", NULL, &seen, &changed), MS_OK);
	CHECK_INT(seen, 1);	/* visible inside the batch */
	CHECK_INT(db_set_state(db, dst, "84\tINBOX.mbox\n"), MS_OK);
	db_rollback(db);
	CHECK_INT(db_seen(db, src, dst, "100", NULL, &seen, &changed), MS_OK);
	CHECK_INT(seen, 0);
	CHECK_INT(db_get_state(db, dst, &state), MS_OK);
	CHECK_STR(state, "42\tINBOX.mbox\n");

	CHECK_INT(db_seen(db, src, dst, "0", "10:1", &seen, &changed), MS_OK);
	CHECK_INT(seen, 1);
	CHECK_INT(changed, 0);
	CHECK_INT(db_seen(db, src, dst, "0", "11:1", &seen, &changed), MS_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(db_find_sha(db, dst, "INBOX", sha, &id), MS_OK);
	CHECK(id > 0);
	CHECK_INT(db_find_sha(db, dst, "Other", sha, &id), MS_OK);
	CHECK_INT(id, 0);
	CHECK_INT(db_find_sha(db, dst, NULL, sha, &id), MS_OK);
	CHECK(id > 0);
	CHECK_INT(db_find_sha(db, dst, NULL, sha2, &id), MS_OK);
	CHECK_INT(id, 0);
	CHECK_INT(db_run_end(db, run, 1, 10, 0, 0, "done"), MS_OK);
	db_close(db);

	/* Reopened, the committed row is there and nothing else. */
	CHECK_INT(db_open(&db, p, 0, &e), MS_OK);
	CHECK_INT(db_check(db), MS_OK);
	n = 0;
	CHECK_INT(db_each(db, dst, count_rows, &n), MS_OK);
	CHECK_INT(n, 1);
	struct db_summary sum;
	CHECK_INT(db_summary(db, &sum), MS_OK);
	CHECK_INT(sum.messages, 1);
	CHECK_STR(sum.last_outcome, "done");
	CHECK_STR(sum.source, "mbox:/in");
	CHECK_STR(db_first_source(db), "mbox:/in");
	/*
	 * A reopened index finds the saved digest again (its in-memory
	 * filter is filled from the rows), and a digest that was rolled back
	 * above stays unknown.
	 */
	CHECK_INT(db_find_sha(db, dst, "INBOX", sha, &id), MS_OK);
	CHECK(id > 0);
	CHECK_INT(db_find_sha(db, dst, NULL, sha2, &id), MS_OK);
	CHECK_INT(id, 0);
	db_close(db);
	buf_release(&ref.file);
}

static void
write_file(const char *p, const void *data, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK((size_t)write(fd, data, n) == n);
	close(fd);
}

static void
test_damaged(void)
{
	char p[256], q[256], buf[4096];
	struct err e;
	struct db *db;
	sqlite3 *h;
	int fd;
	ssize_t n;

	/* Garbage. */
	path_in(p, sizeof(p), "garbage.db");
	memset(buf, 'x', sizeof(buf));
	write_file(p, buf, sizeof(buf));
	CHECK_INT(db_open(&db, p, 1, &e), MS_FATAL);
	CHECK(strstr(e.msg, "--restart") != NULL);

	/* Truncated: the first half of a real index. */
	path_in(q, sizeof(q), "a.db");
	path_in(p, sizeof(p), "trunc.db");
	fd = open(q, O_RDONLY);
	n = read(fd, buf, 2048);
	close(fd);
	CHECK(n == 2048);
	write_file(p, buf, 2048);
	CHECK_INT(db_open(&db, p, 1, &e), MS_FATAL);
	CHECK(strstr(e.msg, "--restart") != NULL);

	/* Someone else's database. */
	path_in(p, sizeof(p), "foreign.db");
	CHECK(sqlite3_open(p, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "CREATE TABLE t(x)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	CHECK_INT(db_open(&db, p, 1, &e), MS_FATAL);
	CHECK(strstr(e.msg, "did not make") != NULL);

	/* Our version number but a wrong schema. */
	path_in(p, sizeof(p), "wrong.db");
	CHECK(sqlite3_open(p, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "CREATE TABLE message(x); PRAGMA user_version=1",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	CHECK_INT(db_open(&db, p, 1, &e), MS_FATAL);
	CHECK(strstr(e.msg, "expected tables") != NULL);

	/* A newer mailsave's index. */
	path_in(p, sizeof(p), "newer.db");
	CHECK(sqlite3_open(p, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version=99", NULL, NULL, NULL) ==
	    SQLITE_OK);
	sqlite3_close(h);
	CHECK_INT(db_open(&db, p, 1, &e), MS_FATAL);
	CHECK(strstr(e.msg, "newer") != NULL);

	/* Missing, when it must exist. */
	path_in(p, sizeof(p), "none.db");
	CHECK_INT(db_open(&db, p, 0, &e), MS_FATAL);
	CHECK(access(p, F_OK) != 0);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 99;
	test_record_commit_rollback();
	test_damaged();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 99;
	return test_done();
}
