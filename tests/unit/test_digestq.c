/*
 * digestq: each message's digest, computed on the thread, equals the
 * SHA-256 of its bytes computed here at once; dropped messages leave no
 * trace in the next digest; large messages (more than the ring) and many
 * messages (more than the queue of ends) wait for room and come out right.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "digestq.h"
#include "test.h"

#define NMSG	5000

static void
sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int
main(void)
{
	struct digestq *q = dq_start();
	struct dq_result *res = calloc(NMSG, sizeof(*res));
	unsigned char (*want)[32] = calloc(NMSG, 32);
	size_t maxlen = 9u << 20;	/* twice the ring and more */
	unsigned char *buf = malloc(maxlen);
	int dropped = 0, big = 0;

	CHECK(q != NULL);
	if (q == NULL)
		return test_done();
	for (size_t i = 0; i < maxlen; i++)
		buf[i] = (unsigned char)next();
	for (int i = 0; i < NMSG; i++) {
		size_t len = next() % 3000, off = 0;

		if (i % 1000 == 7) {
			len = maxlen - (next() % 4096);
			big++;
		}
		/* Some bytes of a message that is then dropped. */
		if (i % 97 == 3) {
			dq_update(q, buf, 1 + next() % 5000);
			dq_end(q, NULL);
			dropped++;
		}
		while (off < len) {
			size_t n = 1 + next() % 70000;

			if (n > len - off)
				n = len - off;
			dq_update(q, buf + off, n);
			off += n;
		}
		dq_end(q, &res[i]);
		sha256(buf, len, want[i]);
		/* Now and then wait for one in the middle of the stream. */
		if (i % 500 == 250) {
			dq_wait(&res[i - 100]);
			CHECK_MEM(res[i - 100].sha, 32, want[i - 100], 32);
		}
	}
	{
		int bad = 0;

		for (int i = 0; i < NMSG; i++) {
			dq_wait(&res[i]);
			if (memcmp(res[i].sha, want[i], 32) != 0)
				bad++;
		}
		CHECK_INT(bad, 0);
	}
	CHECK(dropped > 10);
	CHECK(big >= 4);
	/* An empty message has the digest of nothing. */
	{
		struct dq_result r;
		unsigned char e[32];

		dq_end(q, &r);
		dq_wait(&r);
		sha256(buf, 0, e);
		CHECK_MEM(r.sha, 32, e, 32);
	}
	/* Results given and never waited for are done by dq_free(). */
	dq_update(q, buf, 1000);
	dq_end(q, &res[0]);
	dq_free(q);
	CHECK(dq_ready(&res[0]));
	free(res);
	free(want);
	free(buf);
	return test_done();
}
