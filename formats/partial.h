/*
 * Rebuilding a .partial.emlx (apple-mail-formats.md section 2): the
 * message skeleton is complete except for attachment parts whose body was
 * left empty and whose header ends with X-Apple-Content-Length.  Their
 * payloads live beside the message:
 *
 *   <Messages>/<id>.<section>.emlxpart        already transfer-encoded
 *   <Messages>/../Attachments/<id>/<section>/<file or directory>   decoded
 *
 * partial_open() makes a first pass over the skeleton (headers only are
 * kept, a few KiB at a time) to find every stub and its payload, so the
 * caller knows before the first byte whether the message will be whole.
 * partial_read() is then a generator: it streams the skeleton and, at each
 * stub, the payload re-encoded per the part's Content-Transfer-Encoding
 * (base64 in 76-column lines, quoted-printable, 7bit/8bit raw), a chunk at
 * a time, with the message's own line endings.  A directory payload (a
 * bundle Mail unpacked) is zipped with libarchive into a temporary file
 * first.  Nothing is held whole: memory is bounded by one part header
 * (PARTIAL_HDR_MAX) plus fixed buffers.
 *
 * Last, when the caller passes Mail's download folders (struct
 * partial_downloads), a payload is taken from there: files the user
 * opened from a message, named as the attachment.  Only an unambiguous
 * match is used: exactly one file there with the stub's file name and a
 * size that fits its X-Apple-Content-Length (copies with the same bytes
 * count as one).
 *
 * A stub whose payload is nowhere keeps its stub (and its
 * X-Apple-Content-Length header); the rebuilt message then starts with
 *   X-Mailsave-Incomplete: <section> [<section>...]
 * and `missing` names those sections.
 *
 * Ownership: everything in struct partial is owned by it and freed by
 * partial_close(); fd is borrowed and must stay open until then.
 */
#ifndef MAILSAVE_PARTIAL_H
#define MAILSAVE_PARTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PARTIAL_HDR_MAX	(1024 * 1024)

enum partial_kind {
	PAYLOAD_MISSING = 0,
	PAYLOAD_EMLXPART,	/* <id>.<section>.emlxpart, encoded */
	PAYLOAD_FILE,		/* Attachments/<id>/<section>/<file> */
	PAYLOAD_DIR		/* a directory to zip */
};

struct partial_stub {
	char *section;		/* owned: IMAP section ("2.4") */
	enum partial_kind kind;
	char *path;		/* owned: the payload, NULL when missing */
	int downloaded;		/* found in a Mail Downloads folder */
};

struct partial_state;		/* the parser, private to partial.c */
struct partial_downloads;	/* Mail's download folders, listed once */

/*
 * The download folders below the home directory HOME (the folder that
 * holds Library/Mail):
 *   Library/Containers/com.apple.mail/Data/Library/Mail Downloads
 *   Library/Mail Downloads
 * NULL when neither exists.  They are listed at the first lookup (file
 * names and sizes only, at most PARTIAL_DL_MAX files), then kept.
 */
#define PARTIAL_DL_MAX	100000
struct partial_downloads *partial_downloads_new(const char *home);
void partial_downloads_free(struct partial_downloads *dl);

struct partial {
	struct partial_stub *stubs;	/* owned, in message order */
	size_t nstubs;
	size_t nmissing;
	struct buf missing;	/* sections without payload, ' '-separated */
	size_t ndownloaded;
	struct buf downloaded;	/* sections filled from Mail Downloads */
	struct partial_state *ps;	/* owned */
};

/*
 * Prepare the rebuild of the message in fd[off..off+len), whose file is in
 * directory MSGDIR and has message id ID (the digits before the first dot
 * of its name).  Runs the first pass.  Returns 0, or -1 with the reason in
 * why (read error).
 */
int partial_open(struct partial *pr, int fd, int64_t off, int64_t len,
    const char *msgdir, const char *id, struct buf *why);

/* The same, searching the download folders DL (may be NULL) last. */
int partial_open_dl(struct partial *pr, int fd, int64_t off, int64_t len,
    const char *msgdir, const char *id, struct partial_downloads *dl,
    struct buf *why);

/*
 * Produce up to len bytes of the rebuilt message.  Returns 0 with *got set
 * (0 at the end), or -1 with the reason in why (a payload that vanished or
 * cannot be read: the message must be dropped).
 */
int partial_read(struct partial *pr, void *buf, size_t len, size_t *got,
    struct buf *why);

void partial_close(struct partial *pr);

#endif
