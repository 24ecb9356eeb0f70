/*
 * SHA-256 digests that arrive later: a thread hashes a stream of messages
 * while the caller goes on with the next ones.
 *
 * The pipeline and the mbox writer hash every message (its source bytes,
 * the bytes stored); with struct hash (hash.h) each message waits for its
 * digest before the next one starts, so the hashing adds to the time of a
 * run.  Here dq_update() only copies the bytes into a ring and dq_end()
 * marks where a message ends: the thread writes that message's digest into
 * the struct dq_result given, and sets its done flag, while the caller
 * reads and writes the messages after it.  The caller keeps each result
 * where it is until done (dq_wait()), and records the message then.
 *
 * The calls come from one thread.  Memory is fixed: the ring and a queue
 * of message ends, the caller waits when either is full.
 */
#ifndef MAILSAVE_DIGESTQ_H
#define MAILSAVE_DIGESTQ_H

#include <stdatomic.h>
#include <stddef.h>

struct digestq;

struct dq_result {
	unsigned char sha[32];
	atomic_int done;	/* set by the thread once sha is written */
	struct digestq *q;	/* borrowed: the queue computing it */
};

/* Start the thread; NULL when it cannot be made (hash synchronously). */
struct digestq *dq_start(void);
/* Queue bytes of the current message. */
void dq_update(struct digestq *q, const void *p, size_t n);
/*
 * The current message ends: its digest goes to *r (r->done cleared here,
 * set by the thread).  With r NULL the message is dropped (aborted): its
 * bytes are hashed into nothing and the next message starts afresh.
 */
void dq_end(struct digestq *q, struct dq_result *r);
/* Whether r is done, without waiting. */
int dq_ready(const struct dq_result *r);
/* Wait until r (given to dq_end()) is done. */
void dq_wait(struct dq_result *r);
/* Hash everything queued (every result given gets done), stop, free. */
void dq_free(struct digestq *q);

#endif
