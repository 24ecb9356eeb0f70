/*
 * Readers ("sources"): one file per format in formats/, behind this vtable.
 *
 * Protocol: open(); then next() yields one message's metadata, read() its
 * bytes in chunks until it returns 0 with MS_OK; next() again ...; next()
 * returns MS_EOF at the end; close() always.  A caller may call next()
 * before reading all bytes of the current message: the source skips the
 * rest.
 *
 * Status of next():
 *   MS_OK      *m describes the next message;
 *   MS_EOF     no more messages;
 *   MS_SKIP    one message could not be read (named in err); the source
 *              has moved past it, call next() again;
 *   MS_FAILED  a folder could not be read (named in err); the source
 *              moves on to the next folder, call next() again;
 *   MS_FATAL   the source is unusable; stop.
 * Status of read():
 *   MS_OK      *got bytes stored (0 means the message is complete);
 *   MS_SKIP    the message broke mid-way (damaged file, dropped
 *              connection): the bytes so far must be discarded;
 *   MS_FATAL   the source is unusable.
 * A network reader may learn a message's size only after reading it; then
 * m->size is -1 at next() and the pipeline counts the bytes itself.
 *
 * Ownership: the strings in *m belong to the source and stay valid until
 * the next call of next() or close().  `data` is owned by the format and
 * freed by its close().
 */
#ifndef MAILSAVE_SOURCE_H
#define MAILSAVE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "msg.h"
#include "opts.h"

struct source;

/* One folder and what it holds, for `list`. */
struct folder_info {
	const char *name;	/* borrowed: UTF-8 display path */
	const char *special_use;	/* borrowed: "\\Sent", ... or NULL */
	uint64_t messages;
	uint64_t bytes;
};

struct source_ops {
	const char *name;	/* "mbox", "eml", "maildir", ... */
	const char *prefix;	/* explicit spec prefix ("mbox:"), or NULL */
	int network;		/* a server sets the pace (IMAP, POP3) */
	/*
	 * How sure the format is that PATH is its kind, 0..100 (a libarchive
	 * bid).  Must not print; may read the first bytes of files.
	 */
	int (*probe)(const char *path);
	int (*open)(struct source *, const char *path, const struct opts *);
	int (*next)(struct source *, struct msg *m);
	int (*read)(struct source *, void *buf, size_t len, size_t *got);
	/*
	 * Optional fast listing: call cb for every folder with its counts.
	 * NULL means `list` walks next()/read() itself.
	 */
	int (*folders)(struct source *,
	    int (*cb)(const struct folder_info *, void *), void *arg);
	void (*close)(struct source *);
};

/*
 * How source->saved_as() finds the saved copy of a message m (strings
 * borrowed from the reader for the call):
 *   key         the saved copy's key (Gmail: the X-GM-MSGID key of the
 *               \All folder); else
 *   message_id  its Message-ID, with the angle brackets, and m->size,
 *               in `folder` (NULL: m->folder).
 *   other_than  NULL: m is recorded as one more place of the saved copy
 *               (a row pointing at its bytes, like --dedupe does).
 *               Else a key prefix: the saved copy's key must not have it
 *               (it is of an older numbering of the folder) and its
 *               record takes m's key (flags and keywords stay those of
 *               the saved bytes).
 */
struct saved_match {
	const char *key;
	const char *message_id;
	const char *folder;
	const char *other_than;
};

struct source {
	const struct source_ops *ops;
	void *data;		/* owned by the format */
	const struct opts *opts;	/* borrowed */
	struct err err;
	char *path;		/* owned: the path or spec, prefix removed */
	/*
	 * Set by the caller after source_open() when an index knows what DEST holds (may be
	 * NULL): saved(arg, folder, key) returns 1 when the message with
	 * that key is already saved, so a network reader need not fetch it
	 * at all (it may still yield it: the pipeline skips it unread).
	 */
	int (*saved)(void *arg, const char *folder, const char *key);
	void *saved_arg;
	/*
	 * Whole files (mbox): file_saved(arg, file, stamp) returns 1 when an
	 * earlier complete run saved every message of FILE (a name unique in
	 * the source) while it had this stamp ("size:mtime"), so the reader
	 * may skip it unread; file_done() tells that the reader read FILE to
	 * its end.  Both may be NULL; they use saved_arg.
	 */
	int (*file_saved)(void *arg, const char *file, const char *stamp);
	void (*file_done)(void *arg, const char *file, const char *stamp);
	/*
	 * Messages saved under another key, so a network reader need not
	 * download them again (IMAP after a UIDVALIDITY change, Gmail's
	 * label folders).  Both may be NULL; they use saved_arg.
	 *
	 * renumbered(arg, folder, within, prefix) returns 1 when the index
	 * holds messages of FOLDER whose keys start with WITHIN but not with
	 * PREFIX: the source numbered the folder anew (its keys start with
	 * WITHIN, those of its current numbering with PREFIX), so its saved
	 * messages are worth looking for with saved_as().
	 *
	 * saved_as(arg, m, q) looks for a saved message that is m under
	 * another key (struct saved_match says how).  When it finds one it
	 * records m under m->key as that copy (nothing is written to DEST)
	 * and returns 1: the pipeline then finds m saved and does not read
	 * it.  0 when there is none (m is to be read), -1 when the index
	 * failed.
	 */
	int (*renumbered)(void *arg, const char *folder, const char *within,
	    const char *prefix);
	int (*saved_as)(void *arg, const struct msg *m,
	    const struct saved_match *q);
	/*
	 * Set by a network reader in open() (may stay NULL): source_next(),
	 * source_read() and source_folders() call waiting(waiting_arg, 1)
	 * before the reader's call, which may wait on the server, and
	 * waiting(waiting_arg, 0) after it; source_open() calls it with 0
	 * once open() returned.  net.h's drip-feed watchdog uses it.
	 */
	void (*waiting)(void *arg, int on);
	void *waiting_arg;
};

/*
 * Find the reader for SPEC (an explicit "name:" prefix wins, else the
 * highest probe) and open it.  Returns MS_OK, MS_FATAL with the reason in
 * src->err (missing path, unknown format, unreadable).
 */
int source_open(struct source *src, const char *spec, const struct opts *o);
int source_next(struct source *src, struct msg *m);
int source_read(struct source *src, void *buf, size_t len, size_t *got);
/* The reader's folders() (which must exist), see source_ops. */
int source_folders(struct source *src,
    int (*cb)(const struct folder_info *, void *), void *arg);
void source_close(struct source *src);

#endif
