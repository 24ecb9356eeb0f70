/*
 * The one copy loop (see pipeline.h).  It owns the only body buffer: the
 * head buffer holds the header block (at most PIPE_HEAD_MAX bytes), then
 * the rest of the message passes through in PIPE_CHUNK pieces, so memory
 * stays bounded whatever the message size.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "digestq.h"
#include "hash.h"
#include "pipeline.h"
#include "progress.h"
#include "rfc5322.h"
#include "signals.h"
#include "xalloc.h"

/*
 * A message whose digests are still being computed (deferred mode): the
 * source digest from the pipeline's queue, the stored one from the
 * sink's.  They are completed in order, so rows get their digests in the
 * order they were recorded.
 */
struct pending {
	struct dq_result src;
	struct dq_result stored;
	int stored_given;	/* the sink hands stored to its thread */
	int64_t row;		/* the recorded row, or 0: not recorded */
};

#define PEND_MAX	1024	/* messages whose digests may be pending */

struct run {
	struct pipeline *p;
	char *head;		/* owned, PIPE_HEAD_MAX */
	char *chunk;		/* owned, PIPE_CHUNK */
	struct hash hash;
	int hashing;		/* someone needs the SHA-256 */
	struct digestq *dq;	/* owned: deferred mode's source digests */
	int dq_open;		/* bytes queued since the last dq_end() */
	struct pending *pend;	/* owned: PEND_MAX, a ring */
	size_t phead, ptail;
	struct rfc_head_store store;
	uint64_t msgs_since, bytes_since;
	double ckpt_at;
};

/*
 * Complete pending messages in order, up to (not including) position
 * `upto`: wait for their digests when `wait`, else stop at the first that
 * is not ready.  Returns 0, or -1 when digested() failed.
 */
static int
complete(struct run *r, size_t upto, int wait)
{
	struct pipeline *p = r->p;

	while (r->ptail < upto) {
		struct pending *q = &r->pend[r->ptail % PEND_MAX];

		if (!wait && (!dq_ready(&q->src) ||
		    (q->stored_given && !dq_ready(&q->stored))))
			return 0;
		dq_wait(&q->src);
		if (q->stored_given)
			dq_wait(&q->stored);
		if (q->row != 0 && p->hooks.digested(p->hooks.arg, q->row,
		    q->src.sha, q->stored_given ? q->stored.sha : NULL) != 0)
			return -1;
		r->ptail++;
	}
	return 0;
}

static void
report(struct pipeline *p, int status, const struct msg *m,
    const struct err *e)
{
	if (p->hooks.problem == NULL)
		return;
	if (m != NULL && m->key != NULL) {
		char what[512];

		snprintf(what, sizeof(what), "%s/%s", m->folder ? m->folder : "",
		    m->key);
		p->hooks.problem(p->hooks.arg, status, what, e->msg);
	} else {
		p->hooks.problem(p->hooks.arg, status, NULL, e->msg);
	}
}

/*
 * Read the start of the message into r->head until the header block ends,
 * the buffer is full or the message ends.  Returns a source status; *len
 * is the number of bytes read, *done is set when the message ended.
 */
static int
read_head(struct run *r, size_t *len, int *done)
{
	struct source *src = r->p->src;
	size_t n = 0;

	*done = 0;
	while (n < PIPE_HEAD_MAX) {
		size_t want = PIPE_HEAD_MAX - n, got;
		int st;

		if (want > PIPE_CHUNK)
			want = PIPE_CHUNK;
		st = source_read(src, r->head + n, want, &got);
		if (st != MS_OK) {
			*len = n;
			return st;
		}
		if (got == 0) {
			*done = 1;
			break;
		}
		n += got;
		if (rfc_header_end(r->head, n) != 0)
			break;
	}
	*len = n;
	return MS_OK;
}

/* The sink failed on message m with status st: count or stop. */
static int
sink_failure(struct pipeline *p, const struct msg *m, int st)
{
	if (st == MS_SKIP) {
		report(p, MS_SKIP, m, &p->snk->err);
		p->stats.skipped++;
		return MS_SKIP;
	}
	sink_abort(p->snk);
	err_copy(&p->err, &p->snk->err);
	return MS_FATAL;
}

/* A message was written and recorded: count it, report its warning. */
static void
count_written(struct run *r, const struct msg *m, uint64_t total)
{
	struct pipeline *p = r->p;

	p->stats.messages++;
	p->stats.bytes += total;
	r->msgs_since++;
	r->bytes_since += total;
	if (m->warning != NULL) {
		struct err w;

		err_set(&w, MS_OK, 0, "%s", m->warning);
		p->stats.warnings++;
		report(p, MS_OK, m, &w);
	}
}

/*
 * The end of a message in deferred mode: its source digest is queued; the
 * duplicate check waits for it only when the index says the message may
 * be in DEST already; the row is recorded now and its digests later.
 */
static int
end_deferred(struct run *r, struct msg *m, uint64_t total)
{
	struct pipeline *p = r->p;
	static const unsigned char none[32];
	struct pending *q;
	int st, maybe;

	if (r->phead - r->ptail == PEND_MAX &&
	    complete(r, r->ptail + 1, 1) != 0)
		goto record_failed;
	q = &r->pend[r->phead % PEND_MAX];
	q->stored_given = 0;
	q->row = 0;
	dq_end(r->dq, &q->src);
	r->dq_open = 0;
	r->phead++;		/* waited for, from now on, even if dropped */
	maybe = p->hooks.maybe_duplicate(p->hooks.arg, m);
	if (maybe < 0)
		goto record_failed;
	if (maybe && p->hooks.duplicate != NULL) {
		int d;

		/* Everything before it recorded whole, then its digest. */
		if (complete(r, r->phead - 1, 1) != 0)
			goto record_failed;
		dq_wait(&q->src);
		d = p->hooks.duplicate(p->hooks.arg, m, q->src.sha);
		if (d != 0) {
			sink_abort(p->snk);
			if (d < 0)
				goto record_failed;
			p->stats.duplicates++;
			r->msgs_since++;
			return MS_OK;
		}
	}
	p->snk->ref.stored_later = &q->stored;
	st = sink_end(p->snk, none);
	p->snk->ref.stored_later = NULL;
	q->stored_given = p->snk->ref.stored_later_given;
	if (st != MS_OK)
		return sink_failure(p, m, st);
	if (p->hooks.recorded_row(p->hooks.arg, m, &p->snk->ref, &q->row) != 0)
		goto record_failed;
	count_written(r, m, total);
	/* Fill in what is ready, without waiting. */
	if (complete(r, r->phead, 0) != 0)
		goto record_failed;
	return MS_OK;

record_failed:
	err_set(&p->err, MS_FATAL, 0, "could not record %s", m->key);
	return MS_FATAL;
}

/* Copy one message.  Returns MS_OK, MS_SKIP (counted) or MS_FATAL. */
static int
copy_body(struct run *r, struct msg *m)
{
	struct pipeline *p = r->p;
	struct msg_head head;
	unsigned char sha[32];
	size_t hlen;
	uint64_t total;
	int done, st;

	st = read_head(r, &hlen, &done);
	if (st != MS_OK) {
		if (st == MS_SKIP) {
			report(p, MS_SKIP, m, &p->src->err);
			p->stats.skipped++;
			return MS_SKIP;
		}
		err_copy(&p->err, &p->src->err);
		return MS_FATAL;
	}
	rfc_head_parse(&head, r->head, hlen, &r->store);
	m->head = &head;

	st = sink_begin(p->snk, m);
	if (st == MS_SKIP) {
		report(p, MS_SKIP, m, &p->snk->err);
		p->stats.skipped++;
		return MS_SKIP;
	}
	if (st != MS_OK) {
		err_copy(&p->err, &p->snk->err);
		return MS_FATAL;
	}
	if (r->dq != NULL) {
		dq_update(r->dq, r->head, hlen);
		r->dq_open = 1;
	}
	else if (r->hashing) {
		hash_begin(&r->hash);
		hash_update(&r->hash, r->head, hlen);
	}
	total = hlen;
	if (hlen > 0 && (st = sink_write(p->snk, r->head, hlen)) != MS_OK)
		goto sink_failed;
	while (!done) {
		size_t got;

		st = source_read(p->src, r->chunk, PIPE_CHUNK, &got);
		if (st != MS_OK) {
			sink_abort(p->snk);
			if (st == MS_SKIP) {
				report(p, MS_SKIP, m, &p->src->err);
				p->stats.skipped++;
				return MS_SKIP;
			}
			err_copy(&p->err, &p->src->err);
			return MS_FATAL;
		}
		if (got == 0)
			break;
		if (r->dq != NULL) {
			dq_update(r->dq, r->chunk, got);
			r->dq_open = 1;
		}
		else if (r->hashing)
			hash_update(&r->hash, r->chunk, got);
		total += got;
		if ((st = sink_write(p->snk, r->chunk, got)) != MS_OK)
			goto sink_failed;
	}
	if (m->size >= 0 && (uint64_t)m->size != total) {
		/* The reader promised a size and delivered another. */
		sink_abort(p->snk);
		err_set(&p->src->err, MS_SKIP, 0,
		    "message is %llu bytes, expected %lld",
		    (unsigned long long)total, (long long)m->size);
		report(p, MS_SKIP, m, &p->src->err);
		p->stats.skipped++;
		return MS_SKIP;
	}
	m->size = (int64_t)total;
	if (r->dq != NULL)
		return end_deferred(r, m, total);
	if (r->hashing)
		hash_final(&r->hash, sha);
	else
		memset(sha, 0, sizeof(sha));
	if (p->hooks.duplicate != NULL) {
		int d = p->hooks.duplicate(p->hooks.arg, m, sha);

		if (d != 0) {
			sink_abort(p->snk);
			if (d < 0) {
				err_set(&p->err, MS_FATAL, 0, "could not record "
				    "%s", m->key);
				return MS_FATAL;
			}
			p->stats.duplicates++;
			r->msgs_since++;
			return MS_OK;
		}
	}
	if ((st = sink_end(p->snk, sha)) != MS_OK)
		goto sink_failed;
	if (p->hooks.recorded != NULL &&
	    p->hooks.recorded(p->hooks.arg, m, sha, &p->snk->ref) != 0) {
		err_set(&p->err, MS_FATAL, 0, "could not record %s", m->key);
		return MS_FATAL;
	}
	count_written(r, m, total);
	return MS_OK;

sink_failed:
	return sink_failure(p, m, st);
}

/*
 * copy_body(), then: a message dropped half-way in deferred mode leaves
 * bytes in the queue; they are dropped too, so the next digest starts
 * afresh.
 */
static int
copy_one(struct run *r, struct msg *m)
{
	int st = copy_body(r, m);

	if (r->dq != NULL && r->dq_open) {
		dq_end(r->dq, NULL);
		r->dq_open = 0;
	}
	return st;
}

static int
checkpoint(struct run *r)
{
	struct pipeline *p = r->p;
	double t0 = progress_now();

	/* Every row gets its digests before the commit. */
	if (r->dq != NULL && complete(r, r->phead, 1) != 0) {
		err_set(&p->err, MS_FATAL, 0, "could not record the digests");
		return MS_FATAL;
	}
	if (sink_checkpoint(p->snk) != MS_OK) {
		err_copy(&p->err, &p->snk->err);
		return MS_FATAL;
	}
	p->stats.checkpoints++;
	r->msgs_since = r->bytes_since = 0;
	if (p->snk->ops->checkpoint != NULL && p->hooks.committed != NULL &&
	    p->hooks.committed(p->hooks.arg) != 0) {
		err_set(&p->err, MS_FATAL, 0, "could not commit the index");
		return MS_FATAL;
	}
	r->ckpt_at = progress_now();
	p->stats.checkpoint_secs += r->ckpt_at - t0;
	return MS_OK;
}

static int
checkpoint_due(const struct run *r)
{
	const struct opts *o = r->p->opts;

	if (o->checkpoint_msgs && r->msgs_since >= o->checkpoint_msgs)
		return 1;
	if (o->checkpoint_bytes && r->bytes_since >= o->checkpoint_bytes)
		return 1;
	if (o->checkpoint_secs && r->msgs_since &&
	    progress_now() - r->ckpt_at >= o->checkpoint_secs)
		return 1;
	return 0;
}

int
pipeline_settle(struct pipeline *p)
{
	struct run *r = p->run;

	if (r == NULL || r->dq == NULL)
		return MS_OK;
	return complete(r, r->phead, 1) == 0 ? MS_OK : MS_FATAL;
}

int
pipeline_run(struct pipeline *p)
{
	struct run r;
	struct msg m;
	int st = MS_OK;

	memset(&r, 0, sizeof(r));
	memset(&p->stats, 0, sizeof(p->stats));
	err_clear(&p->err);
	r.p = p;
	r.head = xmalloc(PIPE_HEAD_MAX);
	r.chunk = xmalloc(PIPE_CHUNK);
	r.hashing = p->hooks.recorded != NULL || p->hooks.duplicate != NULL ||
	    (p->snk->ops->flags & SINK_NEEDS_SHA);
	/*
	 * Deferred digests when the index can take them later and the sink
	 * needs none at end(); else (or without a thread) the digest of each
	 * message is waited for at its end.
	 */
	if (p->hooks.maybe_duplicate != NULL && p->hooks.recorded_row != NULL &&
	    p->hooks.digested != NULL &&
	    !(p->snk->ops->flags & SINK_NEEDS_SHA) &&
	    (r.dq = dq_start()) != NULL)
		r.pend = xcalloc(PEND_MAX, sizeof(*r.pend));
	else if (r.hashing)
		hash_init(&r.hash);
	rfc_head_store_init(&r.store);
	r.ckpt_at = progress_now();
	p->run = &r;
	p->snk->digests_later = r.dq != NULL;

	while (!interrupted) {
		st = source_next(p->src, &m);
		if (st == MS_EOF) {
			st = MS_OK;
			break;
		}
		if (st == MS_SKIP) {
			report(p, MS_SKIP, &m, &p->src->err);
			p->stats.skipped++;
			continue;
		}
		if (st == MS_FAILED) {
			report(p, MS_FAILED, NULL, &p->src->err);
			p->stats.failed_folders++;
			continue;
		}
		if (st != MS_OK) {
			err_copy(&p->err, &p->src->err);
			st = MS_FATAL;
			break;
		}
		if (!opts_folder_wanted(p->opts, m.folder)) {
			p->stats.excluded++;
			continue;
		}
		if (p->hooks.seen != NULL) {
			int seen = p->hooks.seen(p->hooks.arg, &m);

			if (seen < 0) {
				err_set(&p->err, MS_FATAL, 0, "index lookup failed "
				    "for %s", m.key);
				st = MS_FATAL;
				break;
			}
			if (seen > 0) {
				p->stats.unchanged++;
				continue;
			}
		}
		st = copy_one(&r, &m);
		if (st == MS_FATAL)
			break;
		st = MS_OK;
		if (checkpoint_due(&r) && (st = checkpoint(&r)) != MS_OK)
			break;
		if (p->hooks.progress != NULL)
			p->hooks.progress(p->hooks.arg, &p->stats, -1);
	}
	/* Make everything so far durable, whatever stopped the loop. */
	if (p->snk->state == SINK_OPEN && r.msgs_since > 0) {
		int cst = checkpoint(&r);

		if (st == MS_OK)
			st = cst;
	}
	if (st == MS_OK && interrupted) {
		p->stats.interrupted = 1;
		st = MS_EOF;
	}
	p->run = NULL;
	p->snk->digests_later = 0;
	rfc_head_store_release(&r.store);
	if (r.dq != NULL) {
		/*
		 * After a failure some digests may still be on their way into
		 * r.pend: wait for them (nothing more is recorded).
		 */
		for (; r.ptail < r.phead; r.ptail++) {
			struct pending *q = &r.pend[r.ptail % PEND_MAX];

			dq_wait(&q->src);
			if (q->stored_given)
				dq_wait(&q->stored);
		}
		dq_free(r.dq);
		free(r.pend);
	} else if (r.hashing) {
		hash_release(&r.hash);
	}
	free(r.head);
	free(r.chunk);
	return st;
}
