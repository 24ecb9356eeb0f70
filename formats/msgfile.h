/*
 * One message in one file (EML, Maildir): what both readers do with it.
 * The caller keeps the descriptor, the size taken at open and the bytes
 * read so far; these helpers read within that size and name the stamp.
 */
#ifndef MAILSAVE_MSGFILE_H
#define MAILSAVE_MSGFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"

/* The stamp of a message file: "size:mtime" (out holds 64 bytes). */
void msgfile_stamp(char out[64], const struct stat *st);

/*
 * read() for a source: at most len bytes of fd, never beyond size (the
 * size when the file was opened), counted in *done.  MS_OK with *got 0 at
 * the end; MS_SKIP naming path when the read fails or the file shrank.
 */
int msgfile_read(int fd, int64_t size, int64_t *done, const char *path,
    struct err *e, void *p, size_t len, size_t *got);

#endif
