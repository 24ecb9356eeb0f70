/*
 * Error handles: a status code plus the words that explain it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
err_clear(struct err *e)
{
	e->code = MS_OK;
	e->sys_errno = 0;
	e->msg[0] = '\0';
}

int
err_set(struct err *e, int code, int sys_errno, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		e->msg[0] = '\0';
	if (sys_errno != 0) {
		size_t len = strlen(e->msg);

		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s",
		    strerror(sys_errno));
	}
	e->code = code;
	e->sys_errno = sys_errno;
	return code;
}

int
err_copy(struct err *dst, const struct err *src)
{
	*dst = *src;
	return src->code;
}

const char *
ms_name(int code)
{
	switch (code) {
	case MS_EOF:
		return "eof";
	case MS_OK:
		return "ok";
	case MS_SKIP:
		return "skip";
	case MS_FAILED:
		return "failed";
	case MS_FATAL:
		return "fatal";
	}
	return "unknown";
}
