/*
 * The SQLite index (see db.h).  Every SQL statement of mailsave is in this
 * file, prepared once on first use and reset after each use (fossil's
 * db_static_prepare).  Errors quote SQLite's own message and the SQL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "xalloc.h"

#define DB_SCHEMA_VERSION 3

enum stmt_id {
	S_SOURCE_GET, S_SOURCE_ADD, S_DEST_GET, S_DEST_ADD, S_FIRST_SOURCE,
	S_RUN_ADD, S_RUN_END, S_SEEN, S_FIND_SHA_FOLDER, S_FIND_SHA_ANY,
	S_RECORD, S_STATE_GET, S_STATE_SET, S_VOLUME_GET, S_VOLUME_SET,
	S_PROBLEM, S_EACH, S_SUMMARY, S_LAST_RUN, S_PROBLEMS, S_RECORD_DUP,
	S_DEST_LAYOUT, S_HAS_MESSAGES, S_FILE_GET, S_FILE_SET, S_DEST_SHAS,
	S_KEY_RANGE, S_FIND_KEY, S_FIND_LIKE, S_REKEY, S_RECORD_PLACE,
	S_SET_DIGESTS, S_DEST_SIZES,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_SOURCE_GET] = "SELECT id FROM source WHERE spec = ?1",
	[S_SOURCE_ADD] = "INSERT INTO source(spec, created) VALUES (?1, ?2)",
	[S_DEST_GET] = "SELECT id, layout FROM dest WHERE spec = ?1",
	[S_DEST_ADD] = "INSERT INTO dest(spec, layout, created) "
	    "VALUES (?1, ?2, ?3)",
	[S_FIRST_SOURCE] = "SELECT spec FROM source ORDER BY id LIMIT 1",
	[S_RUN_ADD] = "INSERT INTO run(source_id, dest_id, started, outcome) "
	    "VALUES (?1, ?2, ?3, 'running')",
	[S_RUN_END] = "UPDATE run SET ended = ?2, messages = ?3, bytes = ?4, "
	    "skipped = ?5, duplicates = ?6, outcome = ?7 WHERE id = ?1",
	[S_SEEN] = "SELECT stamp FROM message WHERE source_id = ?1 AND "
	    "dest_id = ?2 AND key = ?3",
	[S_FIND_SHA_FOLDER] = "SELECT id FROM message WHERE dest_id = ?1 AND "
	    "sha256 = ?2 AND folder = ?3 AND dup_of = 0 LIMIT 1",
	[S_FIND_SHA_ANY] = "SELECT id FROM message WHERE dest_id = ?1 AND "
	    "sha256 = ?2 AND dup_of = 0 LIMIT 1",
	[S_RECORD] = "INSERT INTO message(source_id, key, dest_id, run_id, "
	    "folder, message_id, size, date, flags, keywords, sha256, "
	    "stored_sha256, file, offset, length, volume, stamp, dup_of) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, (SELECT volume FROM dest WHERE id = ?3), ?16, ?17) "
	    "ON CONFLICT(source_id, key, dest_id) DO UPDATE SET "
	    "stamp = excluded.stamp",
	[S_RECORD_DUP] = "INSERT INTO message(source_id, key, dest_id, run_id, "
	    "folder, message_id, size, date, flags, keywords, sha256, "
	    "stored_sha256, file, offset, length, volume, stamp, dup_of) "
	    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "stored_sha256, file, offset, length, volume, ?12, id "
	    "FROM message WHERE id = ?13 "
	    "ON CONFLICT(source_id, key, dest_id) DO UPDATE SET "
	    "stamp = excluded.stamp",
	[S_DEST_LAYOUT] = "SELECT layout FROM dest WHERE id = ?1",
	[S_DEST_SHAS] = "SELECT sha256 FROM message WHERE dest_id = ?1",
	/* ?3 NULL: the stored bytes are the source's, unless the row holds
	   a stored digest already (not the zeros of "to come"). */
	[S_SET_DIGESTS] = "UPDATE message SET sha256 = ?2, stored_sha256 = "
	    "coalesce(?3, CASE WHEN stored_sha256 = zeroblob(32) THEN ?2 "
	    "ELSE stored_sha256 END) WHERE id = ?1",
	[S_DEST_SIZES] = "SELECT size, message_id FROM message WHERE "
	    "dest_id = ?1",
	[S_FILE_GET] = "SELECT 1 FROM source_file WHERE source_id = ?1 AND "
	    "dest_id = ?2 AND file = ?3 AND stamp = ?4",
	[S_FILE_SET] = "INSERT OR REPLACE INTO source_file(source_id, dest_id, "
	    "file, stamp) VALUES (?1, ?2, ?3, ?4)",
	[S_HAS_MESSAGES] = "SELECT 1 FROM message WHERE source_id = ?1 AND "
	    "dest_id = ?2 LIMIT 1",
	[S_STATE_GET] = "SELECT state FROM dest WHERE id = ?1",
	[S_STATE_SET] = "UPDATE dest SET state = ?2 WHERE id = ?1",
	[S_VOLUME_GET] = "SELECT volume FROM dest WHERE id = ?1",
	[S_VOLUME_SET] = "UPDATE dest SET volume = ?2 WHERE id = ?1",
	[S_PROBLEM] = "INSERT INTO problem(run_id, what, text) "
	    "VALUES (?1, ?2, ?3)",
	[S_EACH] = "SELECT id, folder, key, message_id, file, keywords, "
	    "offset, length, size, date, flags, volume, sha256, "
	    "stored_sha256, dup_of FROM message WHERE +dest_id = ?1 "
	    "ORDER BY id",
	[S_SUMMARY] = "SELECT (SELECT count(*) FROM message WHERE dup_of = 0), "
	    "(SELECT coalesce(sum(size), 0) FROM message WHERE dup_of = 0), "
	    "(SELECT count(*) FROM run), "
	    "(SELECT coalesce((SELECT spec FROM source ORDER BY id LIMIT 1), "
	    "'')), (SELECT coalesce((SELECT layout FROM dest ORDER BY id "
	    "LIMIT 1), '')), "
	    "(SELECT count(*) FROM message WHERE dup_of <> 0)",
	[S_LAST_RUN] = "SELECT started, coalesce(ended, 0), outcome FROM run "
	    "ORDER BY id DESC LIMIT 1",
	[S_PROBLEMS] = "SELECT count(*) FROM problem WHERE run_id = "
	    "(SELECT max(id) FROM run)",
	[S_KEY_RANGE] = "SELECT 1 FROM message WHERE source_id = ?1 AND "
	    "key >= ?3 AND key < ?4 AND dest_id = ?2 AND folder = ?5 LIMIT 1",
	[S_FIND_KEY] = "SELECT id FROM message WHERE source_id = ?1 AND "
	    "key = ?3 AND dest_id = ?2",
	[S_FIND_LIKE] = "SELECT id FROM message WHERE dest_id = ?2 AND "
	    "message_id = ?4 AND folder = ?3 AND size = ?5 AND "
	    "source_id = ?1 AND (?6 IS NULL OR "
	    "substr(key, 1, length(?6)) <> ?6) ORDER BY id LIMIT 1",
	[S_REKEY] = "UPDATE OR IGNORE message SET key = ?2 WHERE id = ?1",
	[S_RECORD_PLACE] = "INSERT INTO message(source_id, key, dest_id, "
	    "run_id, folder, message_id, size, date, flags, keywords, sha256, "
	    "stored_sha256, file, offset, length, volume, stamp, dup_of) "
	    "SELECT ?1, ?2, ?3, ?4, ?5, message_id, size, ?6, ?7, ?8, sha256, "
	    "stored_sha256, file, offset, length, volume, NULL, "
	    "CASE WHEN dup_of <> 0 THEN dup_of ELSE id END "
	    "FROM message WHERE id = ?9 "
	    "ON CONFLICT(source_id, key, dest_id) DO NOTHING",
};

static const char schema_v1[] =
    "CREATE TABLE source (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  spec TEXT UNIQUE NOT NULL,\n"
    "  created INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE folder (\n"
    "  source_id INTEGER NOT NULL REFERENCES source(id),\n"
    "  name TEXT NOT NULL,\n"
    "  raw_name TEXT,\n"
    "  uidvalidity INTEGER,\n"
    "  uidnext INTEGER,\n"
    "  highestmodseq INTEGER,\n"
    "  PRIMARY KEY (source_id, name)\n"
    ");\n"
    "CREATE TABLE dest (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  spec TEXT UNIQUE NOT NULL,\n"
    "  layout TEXT NOT NULL,\n"
    "  volume INTEGER NOT NULL DEFAULT 1,\n"
    "  state TEXT,\n"
    "  created INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE run (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  source_id INTEGER NOT NULL REFERENCES source(id),\n"
    "  dest_id INTEGER NOT NULL REFERENCES dest(id),\n"
    "  started INTEGER NOT NULL,\n"
    "  ended INTEGER,\n"
    "  messages INTEGER NOT NULL DEFAULT 0,\n"
    "  bytes INTEGER NOT NULL DEFAULT 0,\n"
    "  skipped INTEGER NOT NULL DEFAULT 0,\n"
    "  duplicates INTEGER NOT NULL DEFAULT 0,\n"
    "  outcome TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE message (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  source_id INTEGER NOT NULL REFERENCES source(id),\n"
    "  key TEXT NOT NULL,\n"
    "  dest_id INTEGER NOT NULL REFERENCES dest(id),\n"
    "  run_id INTEGER NOT NULL REFERENCES run(id),\n"
    "  folder TEXT NOT NULL,\n"
    "  message_id TEXT,\n"
    "  size INTEGER NOT NULL,\n"
    "  date INTEGER NOT NULL,\n"
    "  flags INTEGER NOT NULL,\n"
    "  keywords TEXT,\n"
    "  sha256 BLOB NOT NULL,\n"
    "  stored_sha256 BLOB NOT NULL,\n"
    "  file TEXT NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  length INTEGER NOT NULL,\n"
    "  volume INTEGER NOT NULL,\n"
    "  stamp TEXT,\n"
    "  dup_of INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (source_id, key, dest_id)\n"
    ");\n"
    "CREATE INDEX message_sha ON message(dest_id, sha256);\n"
    "CREATE TABLE problem (\n"
    "  run_id INTEGER NOT NULL REFERENCES run(id),\n"
    "  what TEXT,\n"
    "  text TEXT NOT NULL\n"
    ");\n";

/*
 * Version 2: whole source files (mbox) saved by a complete run, with the
 * size and mtime they had, so a rerun skips them unread.
 */
static const char schema_v2[] =
    "CREATE TABLE source_file (\n"
    "  source_id INTEGER NOT NULL REFERENCES source(id),\n"
    "  dest_id INTEGER NOT NULL REFERENCES dest(id),\n"
    "  file TEXT NOT NULL,\n"
    "  stamp TEXT NOT NULL,\n"
    "  PRIMARY KEY (source_id, dest_id, file)\n"
    ");\n";

/*
 * Version 3: messages found by Message-ID, for an IMAP folder numbered
 * anew (a new UIDVALIDITY) and Gmail's label folders (db_find_like).
 */
static const char schema_v3[] =
    "CREATE INDEX message_mid ON message(dest_id, message_id);\n";

/* migrations[n] upgrades schema n to n+1; [0] creates version 1. */
static const char *const migrations[] = { schema_v1, schema_v2, schema_v3 };

/* A Bloom filter of what one dest holds (see seen_bit()). */
struct seen {
	unsigned char *bits;	/* owned: SEEN_BITS bits, or NULL */
	int64_t dest;		/* the dest it covers; 0: none loaded */
};

struct db {
	sqlite3 *h;
	sqlite3_stmt *stmt[S_COUNT];
	struct err *err;	/* borrowed from the caller */
	int in_tx;
	char *path;
	char *text;		/* owned: last string handed out */
	struct seen seen_sha;	/* the digests recorded */
	struct seen seen_msg;	/* their (size, Message-ID) pairs */
};

/*
 * Most messages are not duplicates, and asking SQLite costs a B-tree
 * search per message.  A Bloom filter of every SHA-256 recorded for the
 * dest answers "certainly not saved" from memory; only a hit goes to the
 * index.  Its size is fixed (4 MiB), so memory stays bounded: a very large
 * index only makes hits, and thus lookups, more frequent.  The bits come
 * straight from the digest, which is uniform already.
 */
#define SEEN_BITS	(1u << 25)
#define SEEN_LINE	512u	/* bits of one 64-byte cache line */

/*
 * The filter is "blocked": a digest's four bits all fall in one cache
 * line, chosen by its first four bytes, so an insert or a lookup costs one
 * cache miss instead of four (and one TLB miss: four random pages of a
 * 4 MiB table cost 0.3 s of a 50,000-message run in a virtual machine).
 * A million messages (32 bits each) still give under one false hit in 1,000.
 */
#define SEEN_KEY	12	/* key bytes used: a line, then four bits */

static uint32_t
seen_bit(const unsigned char *k, int i)
{
	uint32_t line = ((uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
	    (uint32_t)k[2] << 8 | k[3]) & (SEEN_BITS / SEEN_LINE - 1);
	const unsigned char *p = k + 4 + 2 * i;

	return line * SEEN_LINE + (((uint32_t)p[0] << 8 | p[1]) &
	    (SEEN_LINE - 1));
}

/* Add key k (SEEN_KEY bytes or more) when f covers dest_id. */
static void
seen_set(struct seen *f, int64_t dest_id, const unsigned char *k)
{
	if (f->bits == NULL || f->dest != dest_id)
		return;
	for (int i = 0; i < 4; i++) {
		uint32_t b = seen_bit(k, i);

		f->bits[b >> 3] |= (unsigned char)(1u << (b & 7));
	}
}

/* 0: k was certainly never added; 1: it may have been. */
static int
seen_test(const struct seen *f, const unsigned char *k)
{
	for (int i = 0; i < 4; i++) {
		uint32_t b = seen_bit(k, i);

		if (!(f->bits[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}

static void
seen_add(struct db *db, int64_t dest_id, const unsigned char *sha)
{
	seen_set(&db->seen_sha, dest_id, sha);
}

/*
 * The second filter answers "certainly not in DEST" before a message's
 * digest exists (pipeline.h, deferred digests): the same bytes have the
 * same size and the same Message-ID, so a message whose pair was never
 * recorded cannot be a duplicate.  Its bits come from a 64-bit hash of the
 * pair, in the same blocked layout.
 */
static void
msg_key(int64_t size, const char *mid, unsigned char out[SEEN_KEY])
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)size;

	for (const char *p = mid != NULL ? mid : ""; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	for (int i = 0; i < SEEN_KEY; i++) {
		/* splitmix64 steps for well-spread bits */
		h += 0x9e3779b97f4a7c15ULL;
		uint64_t z = h;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		out[i] = (unsigned char)(z ^ (z >> 31));
	}
}

static void
seen_msg_add(struct db *db, int64_t dest_id, int64_t size, const char *mid)
{
	unsigned char k[SEEN_KEY];

	if (db->seen_msg.bits == NULL || db->seen_msg.dest != dest_id)
		return;
	msg_key(size, mid, k);
	seen_set(&db->seen_msg, dest_id, k);
}

static int
db_fail(struct db *db, const char *sql)
{
	return err_set(db->err, MS_FATAL, 0, "index %s: %s (while running "
	    "[%.120s])", db->path, sqlite3_errmsg(db->h), sql ? sql : "");
}

static sqlite3_stmt *
prep(struct db *db, enum stmt_id id)
{
	if (db->stmt[id] == NULL &&
	    sqlite3_prepare_v3(db->h, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &db->stmt[id], NULL) != SQLITE_OK) {
		db_fail(db, stmt_sql[id]);
		return NULL;
	}
	return db->stmt[id];
}

/* Step a statement that returns no rows, then reset it. */
static int
exec_stmt(struct db *db, sqlite3_stmt *s, enum stmt_id id)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[id]);
	return MS_OK;
}

/* Run a query whose answer is an integer in its first row: *out. */
static int
id_stmt(struct db *db, sqlite3_stmt *s, enum stmt_id id, int64_t *out)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[id]);
	return MS_OK;
}

/* Run a query whose answer is whether it has a row: *found. */
static int
exists_stmt(struct db *db, sqlite3_stmt *s, enum stmt_id id, int *found)
{
	int rc = sqlite3_step(s);

	*found = rc == SQLITE_ROW;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[id]);
	return MS_OK;
}

static int
exec_sql(struct db *db, const char *sql)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, sql);
	return MS_OK;
}

static int
damaged(struct db *db, const char *why)
{
	return err_set(db->err, MS_FATAL, 0, "the index %s %s; mailsave will "
	    "not guess what DEST holds: run the same export with --restart "
	    "to start over (DEST is emptied first), or use another DEST",
	    db->path, why);
}

int
db_open(struct db **out, const char *path, int create, struct err *e)
{
	struct db *db = xcalloc(1, sizeof(*db));
	struct stat st;
	sqlite3_stmt *s;
	int version = -1, rc, flags;

	*out = NULL;
	db->err = e;
	db->path = xstrdup(path);
	if (!create && stat(path, &st) != 0) {
		err_set(e, MS_FATAL, errno, "no index at %s", path);
		db_close(db);
		return MS_FATAL;
	}
	flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (create) {
		/* Owner-only, like everything in a backup. */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			err_set(e, MS_FATAL, errno, "index %s", path);
			db_close(db);
			return MS_FATAL;
		}
		close(fd);
	}
	rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		err_set(e, MS_FATAL, 0, "index %s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return MS_FATAL;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK) {
		damaged(db, "is not a database mailsave can read");
		db_close(db);
		return MS_FATAL;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	rc = sqlite3_finalize(s);
	if (version < 0 || rc != SQLITE_OK) {
		damaged(db, "is damaged or not a database");
		db_close(db);
		return MS_FATAL;
	}
	if (version > DB_SCHEMA_VERSION) {
		err_set(e, MS_FATAL, 0, "the index %s was written by a newer "
		    "mailsave (schema %d, this one knows %d); upgrade mailsave",
		    path, version, DB_SCHEMA_VERSION);
		db_close(db);
		return MS_FATAL;
	}
	if (version == 0) {
		/* A fresh file must be empty: anything else is not ours. */
		if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM "
		    "sqlite_master", -1, &s, NULL) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_ROW ||
		    sqlite3_column_int(s, 0) != 0) {
			sqlite3_finalize(s);
			damaged(db, "holds tables mailsave did not make");
			db_close(db);
			return MS_FATAL;
		}
		sqlite3_finalize(s);
		if (!create) {
			damaged(db, "is empty");
			db_close(db);
			return MS_FATAL;
		}
	}
	if (exec_sql(db, "PRAGMA journal_mode=WAL") != MS_OK ||
	    exec_sql(db, "PRAGMA synchronous=NORMAL") != MS_OK ||
	    exec_sql(db, "PRAGMA foreign_keys=ON") != MS_OK ||
	    exec_sql(db, "PRAGMA cache_size=-8192") != MS_OK) {
		damaged(db, "cannot be opened for writing");
		db_close(db);
		return MS_FATAL;
	}
	for (int v = version; v < DB_SCHEMA_VERSION; v++) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v + 1);
		if (exec_sql(db, "BEGIN IMMEDIATE") != MS_OK) {
			db_close(db);
			return MS_FATAL;
		}
		if (sqlite3_exec(db->h, migrations[v], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			/* Not the tables of our schema v: not ours to fix. */
			char why[256];

			snprintf(why, sizeof(why), "does not have the expected "
			    "tables (upgrading it to schema %d: %s)", v + 1,
			    sqlite3_errmsg(db->h));
			(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			damaged(db, why);
			db_close(db);
			return MS_FATAL;
		}
		if (exec_sql(db, pragma) != MS_OK ||
		    exec_sql(db, "COMMIT") != MS_OK) {
			db_close(db);
			return MS_FATAL;
		}
	}
	/* The tables we need must be there, with the columns we use. */
	for (int i = 0; i < S_COUNT; i++)
		if (prep(db, (enum stmt_id)i) == NULL) {
			damaged(db, "does not have the expected tables");
			db_close(db);
			return MS_FATAL;
		}
	*out = db;
	return MS_OK;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->in_tx)
		db_rollback(db);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmt[i]);
	if (db->h != NULL)
		sqlite3_close(db->h);
	free(db->path);
	free(db->text);
	free(db->seen_sha.bits);
	free(db->seen_msg.bits);
	free(db);
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

static int
get_or_add(struct db *db, enum stmt_id get, enum stmt_id add,
    const char *spec, const char *layout, int64_t *id)
{
	sqlite3_stmt *s = prep(db, get);
	int rc;

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_text(s, 1, spec, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return MS_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[get]);
	if ((s = prep(db, add)) == NULL)
		return MS_FATAL;
	sqlite3_bind_text(s, 1, spec, -1, SQLITE_TRANSIENT);
	if (layout != NULL) {
		sqlite3_bind_text(s, 2, layout, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 3, now());
	} else {
		sqlite3_bind_int64(s, 2, now());
	}
	if (exec_stmt(db, s, add) != MS_OK)
		return MS_FATAL;
	*id = sqlite3_last_insert_rowid(db->h);
	return MS_OK;
}

int
db_source(struct db *db, const char *spec, int64_t *id)
{
	return get_or_add(db, S_SOURCE_GET, S_SOURCE_ADD, spec, NULL, id);
}

int
db_dest(struct db *db, const char *spec, const char *layout, int64_t *id)
{
	return get_or_add(db, S_DEST_GET, S_DEST_ADD, spec, layout, id);
}

static const char *
keep_text(struct db *db, const unsigned char *t)
{
	free(db->text);
	db->text = t ? xstrdup((const char *)t) : NULL;
	return db->text;
}

const char *
db_first_source(struct db *db)
{
	sqlite3_stmt *s = prep(db, S_FIRST_SOURCE);
	const char *r = NULL;

	if (s == NULL)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW)
		r = keep_text(db, sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return r;
}

int
db_run_begin(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t *run_id)
{
	sqlite3_stmt *s = prep(db, S_RUN_ADD);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_int64(s, 3, now());
	if (exec_stmt(db, s, S_RUN_ADD) != MS_OK)
		return MS_FATAL;
	*run_id = sqlite3_last_insert_rowid(db->h);
	return MS_OK;
}

int
db_run_end(struct db *db, int64_t run_id, uint64_t messages, uint64_t bytes,
    uint64_t skipped, uint64_t duplicates, const char *outcome)
{
	sqlite3_stmt *s = prep(db, S_RUN_END);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, now());
	sqlite3_bind_int64(s, 3, (int64_t)messages);
	sqlite3_bind_int64(s, 4, (int64_t)bytes);
	sqlite3_bind_int64(s, 5, (int64_t)skipped);
	sqlite3_bind_int64(s, 6, (int64_t)duplicates);
	sqlite3_bind_text(s, 7, outcome, -1, SQLITE_STATIC);
	return exec_stmt(db, s, S_RUN_END);
}

int
db_begin(struct db *db)
{
	if (db->in_tx)
		return MS_OK;
	if (exec_sql(db, "BEGIN IMMEDIATE") != MS_OK)
		return MS_FATAL;
	db->in_tx = 1;
	return MS_OK;
}

int
db_commit(struct db *db)
{
	if (!db->in_tx)
		return MS_OK;
	if (exec_sql(db, "COMMIT") != MS_OK)
		return MS_FATAL;
	db->in_tx = 0;
	return MS_OK;
}

void
db_rollback(struct db *db)
{
	if (!db->in_tx)
		return;
	(void)sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

int
db_seen(struct db *db, int64_t source_id, int64_t dest_id, const char *key,
    const char *stamp, int *seen, int *stamp_changed)
{
	sqlite3_stmt *s = prep(db, S_SEEN);
	int rc;

	*seen = *stamp_changed = 0;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *old = sqlite3_column_text(s, 0);

		*seen = 1;
		if (stamp != NULL && old != NULL &&
		    strcmp((const char *)old, stamp) != 0)
			*stamp_changed = 1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[S_SEEN]);
	return MS_OK;
}

/* The filter keys of one row of S_DEST_SHAS / S_DEST_SIZES; 0: none. */
static int
sha_row_key(sqlite3_stmt *s, unsigned char k[SEEN_KEY])
{
	if (sqlite3_column_bytes(s, 0) != 32)
		return 0;
	memcpy(k, sqlite3_column_blob(s, 0), SEEN_KEY);
	return 1;
}

static int
msg_row_key(sqlite3_stmt *s, unsigned char k[SEEN_KEY])
{
	msg_key(sqlite3_column_int64(s, 0),
	    (const char *)sqlite3_column_text(s, 1), k);
	return 1;
}

/*
 * Make f cover dest_id, filled from statement `which` (bound to dest_id),
 * one key per row from row_key(); done once per dest, then kept up by the
 * inserts.
 */
static int
seen_load(struct db *db, struct seen *f, int64_t dest_id,
    enum stmt_id which, int (*row_key)(sqlite3_stmt *, unsigned char *))
{
	unsigned char k[SEEN_KEY];
	sqlite3_stmt *s;
	int rc;

	if (f->dest == dest_id)
		return MS_OK;
	if ((s = prep(db, which)) == NULL)
		return MS_FATAL;
	if (f->bits == NULL)
		f->bits = xmalloc(SEEN_BITS / 8);
	memset(f->bits, 0, SEEN_BITS / 8);
	f->dest = dest_id;
	sqlite3_bind_int64(s, 1, dest_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row_key(s, k))
			seen_set(f, dest_id, k);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		f->dest = 0;
		return db_fail(db, stmt_sql[which]);
	}
	return MS_OK;
}

int
db_find_sha(struct db *db, int64_t dest_id, const char *folder,
    const unsigned char sha256[32], int64_t *id)
{
	enum stmt_id which = folder ? S_FIND_SHA_FOLDER : S_FIND_SHA_ANY;
	sqlite3_stmt *s;

	*id = 0;
	if (seen_load(db, &db->seen_sha, dest_id, S_DEST_SHAS,
	    sha_row_key) != MS_OK)
		return MS_FATAL;
	if (!seen_test(&db->seen_sha, sha256))
		return MS_OK;
	if ((s = prep(db, which)) == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, dest_id);
	sqlite3_bind_blob(s, 2, sha256, 32, SQLITE_STATIC);
	if (folder != NULL)
		sqlite3_bind_text(s, 3, folder, -1, SQLITE_STATIC);
	return id_stmt(db, s, which, id);
}

/*
 * Bind what both message inserts share: ?1..?11 are source, key, dest,
 * run, folder, Message-ID, size, date, flags, keywords and the SHA-256
 * of the source bytes.
 */
static void
bind_message(sqlite3_stmt *s, int64_t source_id, int64_t dest_id,
    int64_t run_id, const struct msg *m, const unsigned char sha256[32])
{
	const char *mid = m->head ? m->head->message_id : NULL;

	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_text(s, 2, m->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, dest_id);
	sqlite3_bind_int64(s, 4, run_id);
	sqlite3_bind_text(s, 5, m->folder, -1, SQLITE_STATIC);
	if (mid != NULL)
		sqlite3_bind_text(s, 6, mid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, m->size);
	sqlite3_bind_int64(s, 8, msg_best_date(m));
	sqlite3_bind_int64(s, 9, m->flags);
	if (m->keywords != NULL && *m->keywords)
		sqlite3_bind_text(s, 10, m->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 11, sha256, 32, SQLITE_STATIC);
}

int
db_record(struct db *db, int64_t source_id, int64_t dest_id, int64_t run_id,
    const struct msg *m, const char *stamp, const unsigned char sha256[32],
    const struct sink_ref *ref, int64_t dup_of)
{
	sqlite3_stmt *s = prep(db, S_RECORD);

	if (s == NULL)
		return MS_FATAL;
	bind_message(s, source_id, dest_id, run_id, m, sha256);
	sqlite3_bind_blob(s, 12, ref->has_stored_sha ? ref->stored_sha256 :
	    sha256, 32, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, ref->file.s, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 14, ref->offset);
	sqlite3_bind_int64(s, 15, ref->length);
	if (stamp != NULL)
		sqlite3_bind_text(s, 16, stamp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 17, dup_of);
	seen_add(db, dest_id, sha256);
	seen_msg_add(db, dest_id, m->size,
	    m->head != NULL ? m->head->message_id : NULL);
	return exec_stmt(db, s, S_RECORD);
}

int64_t
db_last_row(struct db *db)
{
	return (int64_t)sqlite3_last_insert_rowid(db->h);
}

int
db_set_digests(struct db *db, int64_t dest_id, int64_t id,
    const unsigned char sha256[32], const unsigned char *stored)
{
	sqlite3_stmt *s = prep(db, S_SET_DIGESTS);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, sha256, 32, SQLITE_STATIC);
	if (stored != NULL)
		sqlite3_bind_blob(s, 3, stored, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	seen_add(db, dest_id, sha256);
	return exec_stmt(db, s, S_SET_DIGESTS);
}

int
db_maybe_saved(struct db *db, int64_t dest_id, int64_t size,
    const char *message_id, int *maybe)
{
	unsigned char k[SEEN_KEY];

	if (seen_load(db, &db->seen_msg, dest_id, S_DEST_SIZES,
	    msg_row_key) != MS_OK)
		return MS_FATAL;
	msg_key(size, message_id, k);
	*maybe = seen_test(&db->seen_msg, k);
	return MS_OK;
}

int
db_record_dup(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t run_id, const struct msg *m, const char *stamp,
    const unsigned char sha256[32], int64_t dup_of)
{
	sqlite3_stmt *s = prep(db, S_RECORD_DUP);

	if (s == NULL)
		return MS_FATAL;
	bind_message(s, source_id, dest_id, run_id, m, sha256);
	if (stamp != NULL)
		sqlite3_bind_text(s, 12, stamp, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, dup_of);
	seen_add(db, dest_id, sha256);
	return exec_stmt(db, s, S_RECORD_DUP);
}

/*
 * The smallest string above every string that starts with p: p with its
 * last byte below 0xff incremented, what follows dropped.  Empty when
 * there is none (p is all 0xff): then no upper bound.
 */
static void
prefix_end(struct buf *out, const char *p)
{
	size_t n = strlen(p);

	buf_reset(out);
	while (n > 0 && (unsigned char)p[n - 1] == 0xff)
		n--;
	if (n == 0)
		return;
	buf_add(out, p, n);
	out->s[n - 1] = (char)((unsigned char)out->s[n - 1] + 1);
}

/* Whether a key of FOLDER from the source in DEST lies in [lo, hi). */
static int
key_in_range(struct db *db, int64_t source_id, int64_t dest_id,
    const char *folder, const char *lo, const char *hi, int *found)
{
	sqlite3_stmt *s = prep(db, S_KEY_RANGE);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_text(s, 3, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, hi, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, folder, -1, SQLITE_STATIC);
	return exists_stmt(db, s, S_KEY_RANGE, found);
}

int
db_keys_outside(struct db *db, int64_t source_id, int64_t dest_id,
    const char *folder, const char *within, const char *prefix, int *found)
{
	struct buf end = BUF_INIT;
	int st;

	*found = 0;
	/* [within, prefix), then [end of prefix, end of within). */
	st = key_in_range(db, source_id, dest_id, folder, within, prefix,
	    found);
	if (st == MS_OK && !*found) {
		struct buf wend = BUF_INIT;

		prefix_end(&end, prefix);
		prefix_end(&wend, within);
		if (end.len == 0 || wend.len == 0)
			*found = 1;	/* cannot tell: say yes */
		else
			st = key_in_range(db, source_id, dest_id, folder,
			    end.s, wend.s, found);
		buf_release(&wend);
	}
	buf_release(&end);
	return st;
}

int
db_find_key(struct db *db, int64_t source_id, int64_t dest_id,
    const char *key, int64_t *id)
{
	sqlite3_stmt *s = prep(db, S_FIND_KEY);

	*id = 0;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
	return id_stmt(db, s, S_FIND_KEY, id);
}

int
db_find_like(struct db *db, int64_t source_id, int64_t dest_id,
    const char *folder, const char *message_id, int64_t size,
    const char *not_prefix, int64_t *id)
{
	sqlite3_stmt *s = prep(db, S_FIND_LIKE);

	*id = 0;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_text(s, 3, folder, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, message_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, size);
	if (not_prefix != NULL)
		sqlite3_bind_text(s, 6, not_prefix, -1, SQLITE_STATIC);
	return id_stmt(db, s, S_FIND_LIKE, id);
}

int
db_rekey(struct db *db, int64_t id, const char *key, int *done)
{
	sqlite3_stmt *s = prep(db, S_REKEY);

	*done = 0;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	if (exec_stmt(db, s, S_REKEY) != MS_OK)
		return MS_FATAL;
	*done = sqlite3_changes(db->h) > 0;
	return MS_OK;
}

int
db_record_place(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t run_id, const struct msg *m, int64_t id)
{
	sqlite3_stmt *s = prep(db, S_RECORD_PLACE);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_text(s, 2, m->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, dest_id);
	sqlite3_bind_int64(s, 4, run_id);
	sqlite3_bind_text(s, 5, m->folder, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, msg_best_date(m));
	sqlite3_bind_int64(s, 7, m->flags);
	if (m->keywords != NULL && *m->keywords)
		sqlite3_bind_text(s, 8, m->keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, id);
	return exec_stmt(db, s, S_RECORD_PLACE);
}

int
db_has_messages(struct db *db, int64_t source_id, int64_t dest_id, int *has)
{
	sqlite3_stmt *s = prep(db, S_HAS_MESSAGES);
	int rc;

	*has = 0;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	rc = sqlite3_step(s);
	*has = rc == SQLITE_ROW;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[S_HAS_MESSAGES]);
	return MS_OK;
}

int
db_file_saved(struct db *db, int64_t source_id, int64_t dest_id,
    const char *file, const char *stamp, int *saved)
{
	sqlite3_stmt *s = prep(db, S_FILE_GET);

	*saved = 0;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_text(s, 3, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, stamp, -1, SQLITE_STATIC);
	return exists_stmt(db, s, S_FILE_GET, saved);
}

int
db_file_done(struct db *db, int64_t source_id, int64_t dest_id,
    const char *file, const char *stamp)
{
	sqlite3_stmt *s = prep(db, S_FILE_SET);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_int64(s, 2, dest_id);
	sqlite3_bind_text(s, 3, file, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, stamp, -1, SQLITE_STATIC);
	return exec_stmt(db, s, S_FILE_SET);
}

const char *
db_dest_layout(struct db *db, int64_t dest_id)
{
	sqlite3_stmt *s = prep(db, S_DEST_LAYOUT);
	const char *r = "";

	if (s == NULL)
		return "";
	sqlite3_bind_int64(s, 1, dest_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = keep_text(db, sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return r ? r : "";
}

int
db_get_state(struct db *db, int64_t dest_id, const char **state)
{
	sqlite3_stmt *s = prep(db, S_STATE_GET);
	int rc;

	*state = NULL;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, dest_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*state = keep_text(db, sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[S_STATE_GET]);
	return MS_OK;
}

int
db_set_state(struct db *db, int64_t dest_id, const char *state)
{
	sqlite3_stmt *s = prep(db, S_STATE_SET);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, dest_id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	return exec_stmt(db, s, S_STATE_SET);
}

int
db_set_volume(struct db *db, int64_t dest_id, int volume)
{
	sqlite3_stmt *s = prep(db, S_VOLUME_SET);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, dest_id);
	sqlite3_bind_int(s, 2, volume);
	return exec_stmt(db, s, S_VOLUME_SET);
}

int
db_get_volume(struct db *db, int64_t dest_id, int *volume)
{
	sqlite3_stmt *s = prep(db, S_VOLUME_GET);
	int rc;

	*volume = 1;
	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, dest_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*volume = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[S_VOLUME_GET]);
	return MS_OK;
}

int
db_problem(struct db *db, int64_t run_id, const char *what, const char *text)
{
	sqlite3_stmt *s = prep(db, S_PROBLEM);

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, run_id);
	if (what != NULL)
		sqlite3_bind_text(s, 2, what, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	return exec_stmt(db, s, S_PROBLEM);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int
db_each(struct db *db, int64_t dest_id,
    int (*cb)(const struct db_row *row, void *arg), void *arg)
{
	sqlite3_stmt *s = prep(db, S_EACH);
	struct db_row r;
	int rc, stop = 0;

	if (s == NULL)
		return MS_FATAL;
	sqlite3_bind_int64(s, 1, dest_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(s, 0);
		r.folder = col_text(s, 1);
		r.key = col_text(s, 2);
		r.message_id = col_text(s, 3);
		r.file = col_text(s, 4);
		r.keywords = col_text(s, 5);
		r.offset = sqlite3_column_int64(s, 6);
		r.length = sqlite3_column_int64(s, 7);
		r.size = sqlite3_column_int64(s, 8);
		r.date = sqlite3_column_int64(s, 9);
		r.flags = (unsigned)sqlite3_column_int(s, 10);
		r.volume = sqlite3_column_int(s, 11);
		r.sha256 = sqlite3_column_blob(s, 12);
		r.stored_sha256 = sqlite3_column_blob(s, 13);
		r.dup_of = sqlite3_column_int64(s, 14);
		if (r.sha256 == NULL || sqlite3_column_bytes(s, 12) != 32 ||
		    r.stored_sha256 == NULL || sqlite3_column_bytes(s, 13) != 32 ||
		    r.folder == NULL || r.key == NULL || r.file == NULL) {
			sqlite3_reset(s);
			return damaged(db, "has a damaged message row");
		}
		if ((stop = cb(&r, arg)) != 0)
			break;
	}
	sqlite3_reset(s);
	if (stop)
		return stop;
	if (rc != SQLITE_DONE)
		return db_fail(db, stmt_sql[S_EACH]);
	return MS_OK;
}

int
db_summary(struct db *db, struct db_summary *sum)
{
	sqlite3_stmt *s = prep(db, S_SUMMARY);

	memset(sum, 0, sizeof(*sum));
	if (s == NULL)
		return MS_FATAL;
	if (sqlite3_step(s) == SQLITE_ROW) {
		sum->messages = sqlite3_column_int64(s, 0);
		sum->bytes = sqlite3_column_int64(s, 1);
		sum->runs = sqlite3_column_int64(s, 2);
		snprintf(sum->source, sizeof(sum->source), "%s", col_text(s, 3));
		snprintf(sum->layout, sizeof(sum->layout), "%s", col_text(s, 4));
		sum->places = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	if ((s = prep(db, S_LAST_RUN)) == NULL)
		return MS_FATAL;
	if (sqlite3_step(s) == SQLITE_ROW) {
		sum->last_started = sqlite3_column_int64(s, 0);
		sum->last_ended = sqlite3_column_int64(s, 1);
		snprintf(sum->last_outcome, sizeof(sum->last_outcome), "%s",
		    col_text(s, 2));
	}
	sqlite3_reset(s);
	if ((s = prep(db, S_PROBLEMS)) == NULL)
		return MS_FATAL;
	if (sqlite3_step(s) == SQLITE_ROW)
		sum->problems = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return MS_OK;
}

int
db_check(struct db *db)
{
	sqlite3_stmt *s;
	int ok = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check", -1, &s,
	    NULL) != SQLITE_OK)
		return damaged(db, "cannot be checked");
	if (sqlite3_step(s) == SQLITE_ROW)
		ok = strcmp(col_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	return ok ? MS_OK : damaged(db, "fails SQLite's integrity check");
}
