/*
 * SHA-256 through libcrypto (OpenSSL's EVP interface): no hand-written
 * crypto.  A struct hash is reused across messages: hash_begin() restarts.
 * Each struct hash hashes on a thread of its own (hash.c); the calls are
 * used from one thread only.
 */
#ifndef MAILSAVE_HASH_H
#define MAILSAVE_HASH_H

#include <stddef.h>

struct hash_worker;

struct hash {
	void *ctx;		/* owned: EVP_MD_CTX */
	struct hash_worker *worker;	/* owned: the hashing thread */
	size_t inlined;		/* bytes of this message hashed inline */
};

void hash_init(struct hash *h);
void hash_release(struct hash *h);
void hash_begin(struct hash *h);
void hash_update(struct hash *h, const void *data, size_t len);
void hash_final(struct hash *h, unsigned char out[32]);
/* Lower-case hex of the first n bytes of sha (2n chars + NUL). */
void hash_hex(const unsigned char *sha, size_t n, char *out);
/* The linked crypto library, for --version. */
const char *hash_library_version(void);

#endif
