/*
 * The one copy loop.  It knows no format: it pulls messages from a source
 * and pushes them into a sink, hashing the raw bytes on the way, with
 * checkpoints (the index's commit points) every N messages, M bytes or T
 * seconds, and stops cleanly on Ctrl-C after the current message.
 *
 * For each message: source_next(); read the first bytes (up to the end of
 * the header block, at most PIPE_HEAD_MAX) and parse them into a
 * struct msg_head; sink_begin(); sink_write() of every byte, in chunks of
 * at most PIPE_CHUNK; sink_end(sha256) or, when the source fails mid-way,
 * sink_abort().
 */
#ifndef MAILSAVE_PIPELINE_H
#define MAILSAVE_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "sink.h"
#include "source.h"

#define PIPE_CHUNK	(64 * 1024)
#define PIPE_HEAD_MAX	(256 * 1024)

struct run;

struct pipeline_stats {
	uint64_t messages;	/* written */
	uint64_t bytes;		/* raw bytes written */
	uint64_t skipped;	/* messages that could not be read or written */
	uint64_t unchanged;	/* already in DEST (index), not read again */
	uint64_t duplicates;	/* same bytes already in DEST, not written */
	uint64_t excluded;	/* in folders --folder/--exclude left out */
	uint64_t failed_folders;
	uint64_t warnings;	/* exported, with a problem the source named */
	uint64_t checkpoints;
	double checkpoint_secs;	/* spent making output and index durable */
	int interrupted;	/* stopped by SIGINT/SIGTERM */
};

/*
 * Hooks for the index (issue 4) and reporting.  Any may be NULL.
 *   committed()  called after a sink checkpoint succeeded, with the
 *                messages ended since the previous one now durable;
 *                only for sinks that have a checkpoint op: for the
 *                others (archives) the caller commits after a
 *                successful sink_close();
 *   recorded()   called after sink_end() with the message and where it
 *                went (not yet durable);
 *   problem()    called for each skipped message or failed folder with
 *                the status and the error text (source or sink), and
 *                with MS_OK for a message exported with a warning.
 * A hook returning non-zero stops the run with MS_FATAL.
 */
struct pipeline_hooks {
	void *arg;
	/*
	 * seen() is asked before a message is read: 1 means it is already
	 * in DEST (counted as unchanged, its bytes are not read), 0 copy it,
	 * -1 stop with MS_FATAL.  duplicate() is asked when the message has
	 * been read, before end(): 1 means the same bytes are already in
	 * DEST (the sink drops the message; the hook records it), 0 keep it,
	 * -1 stop.
	 */
	int (*seen)(void *arg, const struct msg *m);
	int (*duplicate)(void *arg, const struct msg *m,
	    const unsigned char sha256[32]);
	int (*recorded)(void *arg, const struct msg *m,
	    const unsigned char sha256[32], const struct sink_ref *ref);
	int (*committed)(void *arg);
	/*
	 * Digests recorded later (all three, or none): with them, and a
	 * sink that needs no SHA-256 at end() (mbox), the digests of a
	 * message are computed on threads while the next messages are
	 * copied.  maybe_duplicate() is asked first: 0 means the message
	 * certainly is not in DEST yet (no duplicate() then), 1 that it may
	 * be (the digest is waited for and duplicate() asked), -1 stop.
	 * recorded_row() records the message with its digests to come and
	 * gives its row; digested() fills them in (stored NULL: the stored
	 * bytes are the source's), always before the next committed().
	 */
	int (*maybe_duplicate)(void *arg, const struct msg *m);
	int (*recorded_row)(void *arg, const struct msg *m,
	    const struct sink_ref *ref, int64_t *row);
	int (*digested)(void *arg, int64_t row, const unsigned char sha[32],
	    const unsigned char *stored);
	void (*problem)(void *arg, int status, const char *what,
	    const char *text);
	void (*progress)(void *arg, const struct pipeline_stats *st,
	    int64_t total_bytes);
};

struct pipeline {
	struct source *src;	/* borrowed */
	struct sink *snk;	/* borrowed */
	const struct opts *opts;	/* borrowed */
	struct pipeline_hooks hooks;
	struct pipeline_stats stats;
	struct err err;		/* why run() stopped, when not MS_OK */
	struct run *run;	/* while run() runs: its state */
};

/*
 * Run the loop to the end of the source.  Returns MS_OK (everything done,
 * maybe with skipped messages counted in stats), MS_FATAL (err says why;
 * everything committed so far is durable) or MS_EOF when interrupted
 * (stats.interrupted set, everything so far committed).
 */
int pipeline_run(struct pipeline *p);

/*
 * From a hook or source callback during run(): give every message
 * recorded so far its digests now (deferred mode; else nothing to do), for
 * a caller about to copy them (a place of a stored copy).  MS_OK or
 * MS_FATAL (digested() failed).
 */
int pipeline_settle(struct pipeline *p);

#endif
