/*
 * The one copy loop (see pipeline.h).  It owns the only body buffer: the
 * head buffer holds the header block (at most PIPE_HEAD_MAX bytes), then
 * the rest of the message passes through in PIPE_CHUNK pieces, so memory
 * stays bounded whatever the message size.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "pipeline.h"
#include "progress.h"
#include "rfc5322.h"
#include "signals.h"
#include "xalloc.h"

struct run {
	struct pipeline *p;
	char *head;		/* owned, PIPE_HEAD_MAX */
	char *chunk;		/* owned, PIPE_CHUNK */
	struct hash hash;
	int hashing;		/* someone needs the SHA-256 */
	struct rfc_head_store store;
	uint64_t msgs_since, bytes_since;
	double ckpt_at;
};

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

/* Copy one message.  Returns MS_OK, MS_SKIP (counted) or MS_FATAL. */
static int
copy_one(struct run *r, struct msg *m)
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
	if (r->hashing) {
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
		if (r->hashing)
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
	return MS_OK;

sink_failed:
	if (st == MS_SKIP) {
		report(p, MS_SKIP, m, &p->snk->err);
		p->stats.skipped++;
		return MS_SKIP;
	}
	sink_abort(p->snk);
	err_copy(&p->err, &p->snk->err);
	return MS_FATAL;
}

static int
checkpoint(struct run *r)
{
	struct pipeline *p = r->p;
	double t0 = progress_now();

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
	if (r.hashing)
		hash_init(&r.hash);
	rfc_head_store_init(&r.store);
	r.ckpt_at = progress_now();

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
	rfc_head_store_release(&r.store);
	if (r.hashing)
		hash_release(&r.hash);
	free(r.head);
	free(r.chunk);
	return st;
}
