/*
 * Unit test for the threaded SHA-256: many messages of random sizes fed
 * in random pieces (tiny updates, updates larger than the ring, empty
 * messages) must give the digests of a one-shot SHA-256, and never hang.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "hash.h"
#include "test.h"

int
main(void)
{
	struct hash h, h2;
	size_t cap = 9u << 20;
	unsigned char *data = malloc(cap), d1[32], d2[32];
	unsigned seed = 12345;
	int mismatches = 0;

	if (data == NULL)
		return 99;
	for (size_t i = 0; i < cap; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	hash_init(&h);
	hash_init(&h2);
	for (int m = 0; m < 3000; m++) {
		size_t len;

		seed = seed * 1103515245 + 12345;
		switch (seed >> 28) {
		case 0:
			len = 0;
			break;
		case 1:
			len = cap;	/* more than the ring holds */
			break;
		case 2: case 3:
			len = (seed >> 8) % (300u << 10);
			break;
		default:
			len = (seed >> 8) % 3000;
		}
		hash_begin(&h);
		hash_begin(&h2);
		for (size_t off = 0; off < len;) {
			size_t n;

			seed = seed * 1103515245 + 12345;
			n = (seed >> 4) % ((seed >> 30) ? 70000 : 7) + 1;
			if (n > len - off)
				n = len - off;
			hash_update(&h, data + off, n);
			hash_update(&h2, data + off, n);
			off += n;
		}
		hash_final(&h, d1);
		hash_final(&h2, d2);
		SHA256(data, len, d2);
		if (memcmp(d1, d2, 32) != 0)
			mismatches++;
	}
	CHECK_INT(mismatches, 0);
	hash_release(&h);
	hash_release(&h2);
	free(data);
	return test_done();
}
