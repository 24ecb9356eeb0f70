/*
 * The .emlx framing (apple-mail-formats.md section 1): a byte-count line,
 * the RFC 822 message, then an XML property list.  emlx_frame() finds
 * where the message and the plist are without trusting the count blindly
 * and without reading the message: it reads the first line, a few bytes
 * where the count points, and, when the count lies, the tail of the file
 * in bounded chunks.  The caller then streams the message with pread().
 */
#ifndef MAILSAVE_EMLX_H
#define MAILSAVE_EMLX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "plist.h"

/* The largest plist trailer read and parsed (bigger ones are ignored). */
#define EMLX_PLIST_MAX	(1024 * 1024)

struct emlx_frame {
	int64_t file_size;
	int64_t msg_off;	/* first byte of the message */
	int64_t msg_len;	/* bytes of message */
	int64_t plist_off;	/* first byte of the plist, -1 when none */
	int64_t plist_len;
	int has_count;		/* the first line is a valid count line */
	uint64_t count;		/* the count, when has_count */
};

/*
 * Parse the count line at the start of p[0..len): optional spaces, 1-19
 * digits, any run of spaces, tabs and CRs, then LF.  Returns 1 and sets
 * *count and *line_len (bytes up to and including the LF), 0 when the
 * bytes are not a count line, -1 when more bytes are needed to decide.
 * A count of 0 is returned as such (the caller decides).
 */
int emlx_parse_count(const char *p, size_t len, uint64_t *count,
    size_t *line_len);

/*
 * Whether p[0..len) begins (after white space) like a plist: "<?xml",
 * "<!DOCTYPE plist", "<plist" or "bplist".
 */
int emlx_looks_like_plist(const char *p, size_t len);

/*
 * Frame the open file FD.  Returns 0 with *f filled; anomalies (count too
 * large or too small, no plist, no count line, trailing junk) are
 * described in `warn` (appended, empty when the file is sound).  Returns
 * -1 when the file is not an emlx at all (reason in warn) or on a read
 * error (errno set, reason in warn).
 */
int emlx_frame(int fd, struct emlx_frame *f, struct buf *warn);

/*
 * Read and parse the plist of a framed file.  Returns 0 when a dict was
 * read, -1 otherwise (no plist, too large, damaged, binary, read error).
 */
int emlx_read_plist(int fd, const struct emlx_frame *f, struct plist *pl);

/* Map emlx/Envelope Index `flags` bits (section 1.5) to enum msg_flag. */
unsigned emlx_msg_flags(uint64_t flags);

#endif
