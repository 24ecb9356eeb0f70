/*
 * SHA-256 via libcrypto's EVP API.
 */
#include "config.h"

#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hash.h"

static void
hash_die(void)
{
	/* Only allocation can fail here; treat it like OOM. */
	abort();
}

void
hash_init(struct hash *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL)
		hash_die();
}

void
hash_release(struct hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void
hash_begin(struct hash *h)
{
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		hash_die();
}

void
hash_update(struct hash *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		hash_die();
}

void
hash_final(struct hash *h, unsigned char out[32])
{
	unsigned int n = 32;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1)
		hash_die();
}

void
hash_hex(const unsigned char *sha, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *
hash_library_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
