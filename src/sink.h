/*
 * Writers ("sinks"): one file per format in formats/, behind this vtable.
 *
 * Protocol: open(); for each message begin(), write()..., then end() or
 * abort(); checkpoint() between messages; close() once.  sink.c wraps each
 * call, checks the order (a write before begin fails) and latches MS_FATAL
 * into a dead state, like libarchive's archive_write_data().
 *
 *   begin(m)     m->head is set; m->size may be -1 (unknown yet).
 *   write(b, n)  raw message bytes, exactly as the source gave them; the
 *                sink does its own quoting (mbox) or none.
 *   end(sha)     the message is complete; sha is SHA-256 of the raw
 *                bytes (all zero when neither the sink, SINK_NEEDS_SHA,
 *                nor an index wants it: hashing costs as much CPU as
 *                copying).  The sink fills `ref` with where it went.  The
 *                message need not be durable until checkpoint()/close().
 *   abort()      drop whatever the current message wrote.
 *   checkpoint() make every ended message durable (fsync files and
 *                directories).  The index commits only after this returns
 *                MS_OK: the index never runs ahead of the bytes.
 *   close()      finish and make durable; MS_OK only when everything
 *                ended is durable.  Called also after a fatal error:
 *                then MS_OK means the messages ended before the error
 *                are durable (and may be recorded), MS_FATAL that they
 *                are not (an archive that is not whole is removed).
 *
 * Statuses: MS_OK; MS_SKIP (this message cannot be written, say why and go
 * on: the sink is back between messages); MS_FATAL (DEST is unusable: disk
 * full, permission, I/O error; err names the file).
 *
 * Ownership: `data` is owned by the format and freed by close(); `ref` is
 * owned by the sink handle and valid until the next begin().
 */
#ifndef MAILSAVE_SINK_H
#define MAILSAVE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digestq.h"
#include "err.h"
#include "msg.h"
#include "opts.h"

#define SINK_NEEDS_SHA	0x2	/* end() needs the real SHA-256 (names) */

struct sink;

struct sink_ops {
	const char *name;	/* "mbox", "eml", "maildir", "archive" */
	unsigned flags;		/* SINK_* */
	int (*open)(struct sink *, const char *dest, const struct opts *);
	int (*begin)(struct sink *, const struct msg *m);
	int (*write)(struct sink *, const void *buf, size_t len);
	int (*end)(struct sink *, const unsigned char sha256[32]);
	void (*abort)(struct sink *);
	int (*checkpoint)(struct sink *);	/* may be NULL: durable at close */
	int (*close)(struct sink *);
	/*
	 * Optional, for resumable runs.  state() describes what is durable
	 * after a checkpoint (mbox: every file and its length), as text the
	 * index keeps; resume(), called once right after open() when the
	 * index holds such a state, brings DEST back to it (mbox: truncate
	 * each file to its recorded length, dropping a half-written
	 * message).  add_file() puts a finished file (the manifest) into
	 * DEST under NAME, before close(); sinks without it leave that to
	 * the caller (directories).
	 */
	int (*state)(struct sink *, struct buf *out);
	int (*resume)(struct sink *, const char *state);
	int (*add_file)(struct sink *, const char *name, const char *path);
};

/* Where the last ended message went (for the index and the manifest). */
struct sink_ref {
	struct buf file;	/* path relative to DEST, or archive entry */
	int64_t offset;		/* byte offset in file (mbox), else 0 */
	int64_t length;		/* bytes written for the message */
	/*
	 * A sink that stores other bytes than the source gave (mbox: From_
	 * line, flag headers, quoting) sets stored_sha256 to the SHA-256 of
	 * file[offset, offset+length) and has_stored_sha (unless
	 * opts->no_index: nobody will check it); otherwise the stored bytes
	 * are the source bytes.  verify checks these.
	 */
	int has_stored_sha;
	unsigned char stored_sha256[32];
	/*
	 * Set by the pipeline around end() when it records digests later
	 * (pipeline.h): a sink that hashes what it stores may then hand that
	 * digest to a thread, which writes it here; the sink says so with
	 * stored_later_given.  Otherwise stored_sha256 is filled by end().
	 */
	struct dq_result *stored_later;	/* borrowed, or NULL */
	int stored_later_given;
};

enum sink_state { SINK_NEW, SINK_OPEN, SINK_IN_MSG, SINK_CLOSED, SINK_DEAD };

struct sink {
	const struct sink_ops *ops;
	void *data;		/* owned by the format */
	const struct opts *opts;	/* borrowed */
	struct err err;
	enum sink_state state;
	struct sink_ref ref;
	char *dest;		/* owned: DEST as given */
	int digests_later;	/* set by the pipeline: ref.stored_later
				   will be given at every end() */
};

/*
 * Pick the writer for FORMAT ("mbox", "eml", "maildir") and DEST: a DEST
 * ending in an archive suffix (.zip .tar .tar.gz .tgz .tar.zst .tar.xz)
 * selects the archive writer with FORMAT as its layout.  Returns MS_OK or
 * MS_FATAL (unknown format: the text in err).
 */
int sink_open(struct sink *snk, const char *format, const char *dest,
    const struct opts *o);
int sink_begin(struct sink *snk, const struct msg *m);
int sink_write(struct sink *snk, const void *buf, size_t len);
int sink_end(struct sink *snk, const unsigned char sha256[32]);
void sink_abort(struct sink *snk);
int sink_checkpoint(struct sink *snk);
int sink_close(struct sink *snk);

/* The optional operations; MS_OK when the sink does not have them. */
int sink_state(struct sink *snk, struct buf *out);
int sink_resume(struct sink *snk, const char *state);
/* MS_FAILED when the sink has no add_file (the caller writes the file). */
int sink_add_file(struct sink *snk, const char *name, const char *path);

/* Whether DEST names an archive (by its suffix). */
int sink_is_archive(const char *dest);

/*
 * An archive opened with opts->archive_publish_later is left finished and
 * fsynced in "DEST.partial" by sink_close(), so that the index can record
 * it before it appears: the caller commits, then calls this to rename it
 * to DEST (never replacing a DEST) and fsync the directory.  A run killed
 * between the two leaves a DEST.partial that the index already records;
 * the next run publishes it the same way.  Returns MS_OK (also when there
 * is no DEST.partial: an empty later volume is not made) or MS_FATAL with
 * the text in e.
 */
int sink_archive_publish(const char *dest, struct err *e);

#endif
