/*
 * Reading a message that is one whole file (see msgfile.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "msgfile.h"

void
msgfile_stamp(char out[64], const struct stat *st)
{
	snprintf(out, 64, "%lld:%lld", (long long)st->st_size,
	    (long long)st->st_mtime);
}

int
msgfile_read(int fd, int64_t size, int64_t *done, const char *path,
    struct err *e, void *p, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	if (fd < 0 || *done >= size)
		return MS_OK;
	if ((int64_t)len > size - *done)
		len = (size_t)(size - *done);
	do
		n = read(fd, p, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(e, MS_SKIP, errno, "read %s", path);
	if (n == 0)
		return err_set(e, MS_SKIP, 0,
		    "%s: file shrank while reading (%lld of %lld bytes)",
		    path, (long long)*done, (long long)size);
	*done += n;
	*got = (size_t)n;
	return MS_OK;
}
