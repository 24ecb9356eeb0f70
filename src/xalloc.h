/*
 * Allocation that never returns NULL: out of memory aborts with a message
 * (isync's oom()).  Used for small, bounded allocations only; message bodies
 * are streamed through fixed buffers and never held whole.
 */
#ifndef MAILSAVE_XALLOC_H
#define MAILSAVE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
