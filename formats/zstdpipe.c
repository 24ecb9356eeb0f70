/*
 * zstd on a thread of its own (see zstdpipe.h).
 *
 * One producer (the archive writer, through libarchive's write callback)
 * and one consumer (the thread) share a ring.  head is moved only by the
 * producer, tail only by the consumer, both under the mutex; the bytes of
 * [tail, head) belong to the consumer and the rest of the ring to the
 * producer, so the copies into and out of the ring happen outside the
 * mutex.  Each side sleeps on a condition variable only when it cannot go
 * on, and the other side signals only when it sees that.
 */
/* sync_file_range(2) is Linux-only. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "xalloc.h"
#include "zstdpipe.h"

#define ZP_RING		(2u << 20)	/* uncompressed bytes queued */
#define ZP_WAKE		(64u << 10)	/* queue this much before waking */
#define ZP_KICK		(8 << 20)	/* start writeback every 8 MiB */

struct zpipe {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;	/* consumer: bytes queued, finish or stop */
	pthread_cond_t room;	/* producer: bytes consumed, or an error */
	unsigned char *ring;	/* owned, ZP_RING bytes */
	size_t head, tail;	/* under mu; positions grow without bound */
	int sleeping;		/* under mu: the consumer waits on more */
	int waiting;		/* under mu: the producer waits on room */
	int finish;		/* under mu: end the frame once drained */
	int stop;		/* under mu: leave now */
	int err;		/* under mu: errno of the first failure */
	const char *what;	/* under mu: what failed */
	int running;		/* the thread was started and not joined */

	/* The consumer's own. */
	ZSTD_CCtx *cctx;	/* owned */
	unsigned char *out;	/* owned, outcap bytes */
	size_t outcap;
	size_t opos;		/* bytes in out not yet written */
	int fd;			/* borrowed */
	off_t written;		/* bytes written to fd */
	off_t kicked;		/* writeback asked for up to here */
};

/* Record the first failure (consumer side); the mutex is not held. */
static void
zp_fail(struct zpipe *z, int e, const char *what)
{
	pthread_mutex_lock(&z->mu);
	if (z->err == 0) {
		z->err = e;
		z->what = what;
	}
	if (z->waiting)
		pthread_cond_signal(&z->room);
	pthread_mutex_unlock(&z->mu);
}

/* Write out[0, n) to the descriptor.  Returns 0 or an errno. */
static int
zp_flush(struct zpipe *z, size_t n)
{
	const unsigned char *p = z->out;

	while (n > 0) {
		ssize_t w = write(z->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
		z->written += w;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	/*
	 * Ask for writeback as the archive grows, as the mbox writer does:
	 * the fsync at the end then finds most of it on the disk already.
	 */
	if (z->written - z->kicked >= ZP_KICK) {
		(void)sync_file_range(z->fd, z->kicked, z->written - z->kicked,
		    SYNC_FILE_RANGE_WRITE);
		z->kicked = z->written;
	}
#endif
	return 0;
}

/*
 * Compress in[0, len) with the given end directive, writing the output
 * buffer whenever it is full.  With ZSTD_e_end the frame is finished and
 * everything written.  Returns 0, an errno, or -1 for a zstd error.
 */
static int
zp_compress(struct zpipe *z, const void *in, size_t len,
    ZSTD_EndDirective how)
{
	ZSTD_inBuffer ib = { .src = in, .size = len, .pos = 0 };

	for (;;) {
		ZSTD_outBuffer ob = { .dst = z->out, .size = z->outcap,
		    .pos = z->opos };
		size_t left = ZSTD_compressStream2(z->cctx, &ob, &ib, how);
		int done, e;

		if (ZSTD_isError(left))
			return -1;
		z->opos = ob.pos;
		done = how == ZSTD_e_end ? left == 0 : ib.pos == ib.size;
		/* zstd returns early only when the output buffer is full. */
		if (z->opos == z->outcap || (done && how == ZSTD_e_end &&
		    z->opos > 0)) {
			if ((e = zp_flush(z, z->opos)) != 0)
				return e;
			z->opos = 0;
		}
		if (done)
			return 0;
	}
}

static void *
zp_main(void *arg)
{
	struct zpipe *z = arg;
	int failed = 0;

	for (;;) {
		size_t tail, n, off;
		int e;

		pthread_mutex_lock(&z->mu);
		while (z->head == z->tail && !z->finish && !z->stop) {
			z->sleeping = 1;
			pthread_cond_wait(&z->more, &z->mu);
			z->sleeping = 0;
		}
		if (z->stop || (z->head == z->tail && z->finish)) {
			pthread_mutex_unlock(&z->mu);
			break;
		}
		tail = z->tail;
		off = tail % ZP_RING;
		n = z->head - tail;
		pthread_mutex_unlock(&z->mu);
		if (n > ZP_RING - off)
			n = ZP_RING - off;
		/* After a failure the bytes are only taken off the ring. */
		if (!failed &&
		    (e = zp_compress(z, z->ring + off, n, ZSTD_e_continue)) != 0) {
			failed = 1;
			zp_fail(z, e < 0 ? EIO : e, e < 0 ? "compress" : "write");
		}
		pthread_mutex_lock(&z->mu);
		z->tail = tail + n;
		if (z->waiting)
			pthread_cond_signal(&z->room);
		pthread_mutex_unlock(&z->mu);
	}
	pthread_mutex_lock(&z->mu);
	if (z->stop || z->err != 0) {
		pthread_mutex_unlock(&z->mu);
		return NULL;
	}
	pthread_mutex_unlock(&z->mu);
	{
		int e = zp_compress(z, NULL, 0, ZSTD_e_end);

		if (e != 0)
			zp_fail(z, e < 0 ? EIO : e, e < 0 ? "compress" :
			    "write");
	}
	return NULL;
}

struct zpipe *
zpipe_start(int fd, int level)
{
	struct zpipe *z = xcalloc(1, sizeof(*z));
	int e;

	z->fd = fd;
	z->cctx = ZSTD_createCCtx();
	if (z->cctx == NULL) {
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * One thread of zstd's own (nbWorkers 0): the window of the level and
	 * no job buffers.  The content checksum is what the zstd tool adds.
	 */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
	    ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
	    ZSTD_c_checksumFlag, 1))) {
		ZSTD_freeCCtx(z->cctx);
		free(z);
		errno = EINVAL;
		return NULL;
	}
	z->outcap = ZSTD_CStreamOutSize();
	z->out = xmalloc(z->outcap);
	z->ring = xmalloc(ZP_RING);
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->more, NULL);
	pthread_cond_init(&z->room, NULL);
	if ((e = pthread_create(&z->thread, NULL, zp_main, z)) != 0) {
		zpipe_free(z);
		errno = e;
		return NULL;
	}
	z->running = 1;
	return z;
}

int
zpipe_write(struct zpipe *z, const void *data, size_t len,
    const char **what)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t head, room, off, n;

		pthread_mutex_lock(&z->mu);
		while (z->err == 0 && z->head - z->tail == ZP_RING) {
			z->waiting = 1;
			if (z->sleeping)
				pthread_cond_signal(&z->more);
			pthread_cond_wait(&z->room, &z->mu);
			z->waiting = 0;
		}
		if (z->err != 0) {
			int e = z->err;

			*what = z->what;
			pthread_mutex_unlock(&z->mu);
			return e;
		}
		head = z->head;
		room = ZP_RING - (head - z->tail);
		pthread_mutex_unlock(&z->mu);
		off = head % ZP_RING;
		n = len < room ? len : room;
		if (n > ZP_RING - off)
			n = ZP_RING - off;
		/* [head, head + n) is the producer's until published. */
		memcpy(z->ring + off, p, n);
		p += n;
		len -= n;
		pthread_mutex_lock(&z->mu);
		z->head = head + n;
		if (z->sleeping && z->head - z->tail >= ZP_WAKE)
			pthread_cond_signal(&z->more);
		pthread_mutex_unlock(&z->mu);
	}
	return 0;
}

int
zpipe_finish(struct zpipe *z, const char **what)
{
	int e;

	if (!z->running)
		return EINVAL;
	pthread_mutex_lock(&z->mu);
	z->finish = 1;
	pthread_cond_signal(&z->more);
	pthread_mutex_unlock(&z->mu);
	pthread_join(z->thread, NULL);
	z->running = 0;
	e = z->err;
	*what = z->what;
	return e;
}

void
zpipe_free(struct zpipe *z)
{
	if (z == NULL)
		return;
	if (z->running) {
		pthread_mutex_lock(&z->mu);
		z->stop = 1;
		pthread_cond_signal(&z->more);
		pthread_mutex_unlock(&z->mu);
		pthread_join(z->thread, NULL);
	}
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->more);
	pthread_cond_destroy(&z->room);
	ZSTD_freeCCtx(z->cctx);
	free(z->ring);
	free(z->out);
	free(z);
}
