/*
 * The index: one SQLite database per DEST that records what is durable in
 * DEST.  All SQL lives in db.c.  WAL mode, statements prepared once and
 * reused, writes batched in one transaction per checkpoint.
 *
 * The rule that makes resume exact: rows are inserted inside an open
 * transaction as messages end, and the transaction commits only after the
 * sink made those messages durable (db_commit() from the pipeline's
 * committed() hook).  A crash rolls back exactly what was not durable.
 *
 * Ownership: struct db is opaque and owned by the caller of db_open(), who
 * frees it with db_close().  Strings passed in are copied by SQLite.
 * Errors: every function returns MS_OK or MS_FATAL with the text in the
 * struct err given to db_open() (SQLite's own words and the SQL).
 */
#ifndef MAILSAVE_DB_H
#define MAILSAVE_DB_H

#include <stdint.h>

#include "err.h"
#include "msg.h"
#include "sink.h"

struct db;

/* One message row, as read back for verify, status and the manifest. */
struct db_row {
	const char *folder;
	const char *key;
	const char *message_id;	/* may be NULL */
	const char *file;
	const char *keywords;	/* may be NULL */
	int64_t offset, length, size, date;
	unsigned flags;
	int volume;
	const unsigned char *sha256;	/* 32 bytes: of the source bytes */
	const unsigned char *stored_sha256;	/* 32 bytes: of file range */
	int64_t dup_of;		/* 0, or the id of the row whose bytes
				   stand for this one (--dedupe) */
	int64_t id;
};

/*
 * Open or create the index at PATH.  `create` 0 means the index must
 * exist (verify/status).  A damaged file, an unknown schema or a newer
 * schema is MS_FATAL with advice (--restart).  *out is set on success.
 */
int db_open(struct db **out, const char *path, int create, struct err *e);
void db_close(struct db *db);

/* Start (or find) the source and destination rows. */
int db_source(struct db *db, const char *spec, int64_t *id);
int db_dest(struct db *db, const char *spec, const char *layout,
    int64_t *id);
/*
 * Whole source files: whether FILE was saved whole by a complete run while
 * it had STAMP, and recording that (inside the open batch).
 */
int db_file_saved(struct db *db, int64_t source_id, int64_t dest_id,
    const char *file, const char *stamp, int *saved);
int db_file_done(struct db *db, int64_t source_id, int64_t dest_id,
    const char *file, const char *stamp);

/* Whether DEST holds any message of this source yet. */
int db_has_messages(struct db *db, int64_t source_id, int64_t dest_id,
    int *has);
/* The layout DEST was first written with ("" when unknown). */
const char *db_dest_layout(struct db *db, int64_t dest_id);
/* The spec of the source this DEST was first exported from, or NULL. */
const char *db_first_source(struct db *db);

/* A run: started now; ended with counts and an outcome word. */
int db_run_begin(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t *run_id);
int db_run_end(struct db *db, int64_t run_id, uint64_t messages,
    uint64_t bytes, uint64_t skipped, uint64_t duplicates,
    const char *outcome);

/* Open the batch transaction if none is open (BEGIN IMMEDIATE). */
int db_begin(struct db *db);
/* Commit the open batch, if any. */
int db_commit(struct db *db);
/* Roll back the open batch, if any (after a fatal sink error). */
void db_rollback(struct db *db);

/*
 * Whether (source, key) is already in DEST.  *stamp_changed is set when it
 * is, but with another stamp (the source file changed under the same key).
 */
int db_seen(struct db *db, int64_t source_id, int64_t dest_id,
    const char *key, const char *stamp, int *seen, int *stamp_changed);

/*
 * The id of a message in DEST with these bytes (sha256 of the source
 * bytes) in FOLDER, or in any folder when folder is NULL; 0 when none.
 */
int db_find_sha(struct db *db, int64_t dest_id, const char *folder,
    const unsigned char sha256[32], int64_t *id);

/* Record a message that ended in the sink (inside the open batch). */
int db_record(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t run_id, const struct msg *m, const char *stamp,
    const unsigned char sha256[32], const struct sink_ref *ref,
    int64_t dup_of);
/* The row db_record() made last. */
int64_t db_last_row(struct db *db);
/*
 * Digests that came later (pipeline.h): a row recorded with zeros gets
 * its SHA-256 and the stored bytes' (NULL: the same as the source's,
 * unless the row holds one already).  Inside the open transaction.
 */
int db_set_digests(struct db *db, int64_t dest_id, int64_t id,
    const unsigned char sha256[32], const unsigned char *stored);
/*
 * Whether a message of this size and Message-ID (NULL: none) may be in
 * dest_id already (*maybe 1), or certainly is not (0): a filter loaded
 * from the index once, then kept up by db_record().
 */
int db_maybe_saved(struct db *db, int64_t dest_id, int64_t size,
    const char *message_id, int *maybe);

/*
 * Record a message whose bytes are already in DEST as message dup_of: the
 * row points at the same file range.
 */
int db_record_dup(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t run_id, const struct msg *m, const char *stamp,
    const unsigned char sha256[32], int64_t dup_of);

/*
 * Messages saved under another key (source.h, saved_as()).
 *
 * db_keys_outside(): whether a message of FOLDER from this source in DEST
 * has a key that starts with `within` but not with `prefix` (two range
 * searches on the key index).
 * db_find_key(): the id of the row with this key, 0 when none.
 * db_find_like(): the id of a row of FOLDER with this Message-ID and
 * size, whose key does not start with not_prefix (NULL: any key); 0 when
 * none.
 * db_rekey(): row id takes KEY (inside the open batch); *done is 0 when
 * another row has that key already.
 * db_record_place(): record m as one more place of the bytes of row id:
 * its file range, hashes and Message-ID, m's key, folder, date, flags
 * and keywords, dup_of the row that holds those bytes (inside the open
 * batch; nothing when m's key is recorded already).
 */
int db_keys_outside(struct db *db, int64_t source_id, int64_t dest_id,
    const char *folder, const char *within, const char *prefix, int *found);
int db_find_key(struct db *db, int64_t source_id, int64_t dest_id,
    const char *key, int64_t *id);
int db_find_like(struct db *db, int64_t source_id, int64_t dest_id,
    const char *folder, const char *message_id, int64_t size,
    const char *not_prefix, int64_t *id);
int db_rekey(struct db *db, int64_t id, const char *key, int *done);
int db_record_place(struct db *db, int64_t source_id, int64_t dest_id,
    int64_t run_id, const struct msg *m, int64_t id);

/* The sink's resume state for DEST (NULL when none); valid until the
   next db call. */
int db_get_state(struct db *db, int64_t dest_id, const char **state);
int db_set_state(struct db *db, int64_t dest_id, const char *state);
/* Current volume of an archive DEST (1 for the first). */
int db_set_volume(struct db *db, int64_t dest_id, int volume);
int db_get_volume(struct db *db, int64_t dest_id, int *volume);

/* Name a message that could not be read in this run. */
int db_problem(struct db *db, int64_t run_id, const char *what,
    const char *text);

/*
 * Walk every message row of DEST in insertion order.  The row's strings
 * are valid during the callback only.  A callback returning non-zero stops
 * the walk (and that value is returned).
 */
int db_each(struct db *db, int64_t dest_id,
    int (*cb)(const struct db_row *row, void *arg), void *arg);

/* Counts for status: messages, bytes, runs, last run's outcome. */
/*
 * messages and bytes count what DEST stores, each message once; places
 * counts the rows that point at a stored copy instead (a duplicate, a
 * Gmail label folder), written once.
 */
struct db_summary {
	int64_t messages, bytes, runs, problems, places;
	int64_t last_started, last_ended;
	char last_outcome[32];
	char source[1024];
	char layout[16];
};
int db_summary(struct db *db, struct db_summary *s);

/* Run PRAGMA quick_check; MS_OK when "ok". */
int db_check(struct db *db);

#endif
