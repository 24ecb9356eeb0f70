/*
 * Status codes and error text.  Every handle (source, sink, pipeline) embeds
 * a struct err; functions return an int status and leave the words on the
 * handle.  Only main.c and the cmd_*.c files print and choose exit codes.
 *
 * Status codes are sized by what broke (isync's blast radius, libarchive's
 * ladder): this message, this folder, or everything.
 */
#ifndef MAILSAVE_ERR_H
#define MAILSAVE_ERR_H

#include <stdarg.h>

enum {
	MS_EOF = 1,		/* no more messages / bytes */
	MS_OK = 0,
	MS_SKIP = -10,		/* this message: report, skip, continue */
	MS_FAILED = -20,	/* this folder/operation: go to the next folder */
	MS_FATAL = -30		/* source, sink or index unusable: stop */
};

struct err {
	int code;		/* last status set, MS_OK when clear */
	int sys_errno;		/* errno at the time, 0 when not a system error */
	char msg[512];		/* NUL-terminated text, "" when clear */
};

/* Clear the error text and code. */
void err_clear(struct err *e);

/*
 * Set the error: code, errno (0 for none) and a printf-style message.  When
 * sys_errno is non-zero ": strerror(sys_errno)" is appended.  Returns code,
 * so callers can write `return err_set(&s->err, MS_SKIP, errno, "read %s", p);`.
 */
int err_set(struct err *e, int code, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Copy an error from one handle to another (for wrappers). Returns code. */
int err_copy(struct err *dst, const struct err *src);

/* A name for a status code ("ok", "skip", "failed", "fatal", "eof"). */
const char *ms_name(int code);

#endif
