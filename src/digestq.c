/*
 * Deferred SHA-256 digests on a thread (see digestq.h).
 *
 * One producer, one consumer, one mutex.  The bytes of [tail, head) and
 * the message ends of [mtail, mhead) belong to the consumer; the copies
 * into and out of the ring happen outside the mutex.  A message end is a
 * byte position: the consumer hashes up to it, writes the digest, starts a
 * new one.  Each side sleeps only when it cannot go on, and the other
 * signals only when it sees that.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "digestq.h"
#include "xalloc.h"

#define DQ_RING		(4u << 20)	/* bytes queued at most */
#define DQ_ENDS		4096		/* message ends queued at most */
#define DQ_WAKE		(64u << 10)	/* queue this much before waking */
#define DQ_WAKE_ENDS	64		/* or this many message ends */

struct dq_end {
	size_t pos;			/* where the message ends */
	struct dq_result *r;		/* borrowed, or NULL: drop it */
};

struct digestq {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;		/* consumer: something queued */
	pthread_cond_t room;		/* producer: something consumed */
	unsigned char *ring;		/* owned, DQ_RING bytes */
	struct dq_end ends[DQ_ENDS];
	/* Under mu; positions grow without bound. */
	size_t head, tail;
	size_t mhead, mtail;
	int sleeping, waiting, stop;
	EVP_MD_CTX *ctx;		/* owned; the consumer's */
};

static void
dq_die(void)
{
	/* Only allocation can fail in EVP's SHA-256: treat it like OOM. */
	abort();
}

static void *
dq_main(void *arg)
{
	struct digestq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t limit, off, n, tail;

		while (q->head == q->tail && q->mhead == q->mtail &&
		    !q->stop) {
			q->sleeping = 1;
			pthread_cond_wait(&q->more, &q->mu);
			q->sleeping = 0;
		}
		if (q->head == q->tail && q->mhead == q->mtail)
			break;		/* stop, with everything done */
		limit = q->head;
		if (q->mhead != q->mtail &&
		    q->ends[q->mtail % DQ_ENDS].pos < limit)
			limit = q->ends[q->mtail % DQ_ENDS].pos;
		tail = q->tail;
		if (tail == limit) {
			/* A message ends here. */
			struct dq_result *r = q->ends[q->mtail % DQ_ENDS].r;
			unsigned char scratch[32];
			unsigned int len = 32;

			pthread_mutex_unlock(&q->mu);
			if (EVP_DigestFinal_ex(q->ctx, r != NULL ? r->sha :
			    scratch, &len) != 1 ||
			    EVP_DigestInit_ex(q->ctx, EVP_sha256(), NULL) != 1)
				dq_die();
			pthread_mutex_lock(&q->mu);
			if (r != NULL)
				atomic_store_explicit(&r->done, 1,
				    memory_order_release);
			q->mtail++;
		} else {
			off = tail % DQ_RING;
			n = limit - tail;
			if (n > DQ_RING - off)
				n = DQ_RING - off;
			pthread_mutex_unlock(&q->mu);
			if (EVP_DigestUpdate(q->ctx, q->ring + off, n) != 1)
				dq_die();
			pthread_mutex_lock(&q->mu);
			q->tail = tail + n;
		}
		if (q->waiting)
			pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* With mu held: wake the consumer if it sleeps, wait until it took some. */
static void
dq_block(struct digestq *q)
{
	q->waiting = 1;
	if (q->sleeping)
		pthread_cond_signal(&q->more);
	pthread_cond_wait(&q->room, &q->mu);
	q->waiting = 0;
}

/* Free what dq_start() made, once no thread runs. */
static void
dq_release(struct digestq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	EVP_MD_CTX_free(q->ctx);
	free(q->ring);
	free(q);
}

struct digestq *
dq_start(void)
{
	struct digestq *q = xcalloc(1, sizeof(*q));

	q->ctx = EVP_MD_CTX_new();
	if (q->ctx == NULL ||
	    EVP_DigestInit_ex(q->ctx, EVP_sha256(), NULL) != 1)
		dq_die();
	q->ring = xmalloc(DQ_RING);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->thread, NULL, dq_main, q) != 0) {
		dq_release(q);
		return NULL;
	}
	return q;
}

void
dq_update(struct digestq *q, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t head, room, off, n;

		pthread_mutex_lock(&q->mu);
		while (q->head - q->tail == DQ_RING)
			dq_block(q);
		head = q->head;
		room = DQ_RING - (head - q->tail);
		pthread_mutex_unlock(&q->mu);
		off = head % DQ_RING;
		n = len < room ? len : room;
		if (n > DQ_RING - off)
			n = DQ_RING - off;
		/* [head, head + n) is the producer's until published. */
		memcpy(q->ring + off, p, n);
		p += n;
		len -= n;
		pthread_mutex_lock(&q->mu);
		q->head = head + n;
		if (q->sleeping && q->head - q->tail >= DQ_WAKE)
			pthread_cond_signal(&q->more);
		pthread_mutex_unlock(&q->mu);
	}
}

void
dq_end(struct digestq *q, struct dq_result *r)
{
	if (r != NULL) {
		atomic_store(&r->done, 0);
		r->q = q;
	}
	pthread_mutex_lock(&q->mu);
	while (q->mhead - q->mtail == DQ_ENDS)
		dq_block(q);
	q->ends[q->mhead % DQ_ENDS] = (struct dq_end){
		.pos = q->head, .r = r,
	};
	q->mhead++;
	/*
	 * A sleeping thread is woken for a batch, not for each message (a
	 * wake-up costs more than hashing a small message); dq_wait() and a
	 * full queue wake it when something must be done now.
	 */
	if (q->sleeping && (q->head - q->tail >= DQ_WAKE ||
	    q->mhead - q->mtail >= DQ_WAKE_ENDS))
		pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
}

int
dq_ready(const struct dq_result *r)
{
	return atomic_load_explicit(&r->done, memory_order_acquire);
}

void
dq_wait(struct dq_result *r)
{
	struct digestq *q = r->q;

	if (dq_ready(r))
		return;
	pthread_mutex_lock(&q->mu);
	while (!dq_ready(r))
		dq_block(q);
	pthread_mutex_unlock(&q->mu);
}

void
dq_free(struct digestq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	dq_release(q);
}
