/*
 * Growable byte buffer for headers, paths and SQL (git's strbuf rules):
 * `s` is never NULL after buf_init() and always NUL-terminated; `len`
 * excludes the NUL.  Never used for message bodies, which are streamed.
 *
 * buf_init() sets up an empty buffer without allocating; buf_release()
 * frees the storage and re-initialises; buf_detach() hands the storage to
 * the caller (who frees it) and re-initialises.
 */
#ifndef MAILSAVE_BUF_H
#define MAILSAVE_BUF_H

#include <stddef.h>

struct buf {
	char *s;		/* owned unless it points at buf_empty */
	size_t len;
	size_t cap;		/* 0 while s points at the shared empty string */
};

#define BUF_INIT { buf_empty, 0, 0 }
extern char buf_empty[];

void buf_init(struct buf *b);
void buf_release(struct buf *b);
char *buf_detach(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_setlen(struct buf *b, size_t len);

#endif
