/*
 * Apple Mail's SQLite databases, used only as optional overlays on what
 * the file walk finds (apple-mail-formats.md 3.4 and 3.8):
 *
 *   Envelope Index   per-message read/flagged/deleted state (`messages`),
 *                    Gmail label membership (`labels` -> `mailboxes.url`);
 *   Accounts4.sqlite account descriptions and user names for the account
 *                    folders' UUIDs (`ZACCOUNT`).
 *
 * Mail keeps both open in WAL mode, so each is copied with its -wal and
 * -shm files into a private temporary directory and the copy is opened:
 * the uncheckpointed rows are seen and Mail's files are never touched.
 * Columns are introspected (PRAGMA table_info): the V2..V10 schemas
 * differ, and a missing column only means less metadata.
 *
 * Ownership: the handles own their temporary copies and delete them in
 * *_close().  Strings returned are valid until the next call on the same
 * handle.
 */
#ifndef MAILSAVE_ENVINDEX_H
#define MAILSAVE_ENVINDEX_H

#include <stdint.h>

#include "buf.h"

struct envindex;
struct accounts;

/* What the Envelope Index says about one message (ROWID). */
struct env_row {
	int found;		/* a row exists */
	int has_flags;
	uint64_t flags;		/* messages.flags (emlx bit layout) */
	int read, flagged, deleted;	/* 0/1, or -1 when no such column */
	int64_t date_received;	/* 0 when unknown */
	const char *labels;	/* label mailboxes other than the message's
				   own, '\n'-separated display paths, or ""
				   (borrowed from the handle) */
	const char *box_url;	/* mailboxes.url of the row's mailbox, or
				   NULL when unknown (borrowed) */
};

/*
 * Copy and open the Envelope Index at PATH.  Returns 0, or -1 with the
 * reason in why (unreadable, not SQLite, no `messages` table).
 */
int envindex_open(struct envindex **out, const char *path, struct buf *why);
/* Look up ROWID.  Returns 0 (row->found tells), -1 on a database error. */
int envindex_lookup(struct envindex *ei, int64_t rowid, struct env_row *row,
    struct buf *why);
void envindex_close(struct envindex *ei);

/* The number of rows in `messages`.  Returns 0, or -1 with the reason. */
int envindex_rows(struct envindex *ei, int64_t *n, struct buf *why);

/*
 * Whether a row whose mailbox is URL (mailboxes.url) can describe a file
 * of the mailbox BOX_PATH ("Archive/2024", NFC, as the walk names it) in
 * the account folder ACCOUNT_DIR (a UUID, "IMAP-jane@host", or NULL when
 * the walk did not go through one).  With TAIL set, BOX_PATH may be the
 * end of the URL's path (a mailbox given as the source, whose parents
 * are not known).  Returns 1 when it can, 0 when the URL names another
 * mailbox or another account, -1 when the URL says too little to tell
 * (no path, an unknown form): callers treat -1 as a match.
 */
int envindex_box_matches(const char *url, const char *account_dir,
    const char *box_path, int tail);

/* Copy and open Accounts4.sqlite.  Returns 0 or -1 with the reason. */
int accounts_open(struct accounts **out, const char *path, struct buf *why);
/*
 * A readable label for the account folder named IDENT (a UUID): the
 * account description, else its parent account's description, else the
 * user name (its own, then its parent's); NULL when unknown.
 */
const char *accounts_label(const struct accounts *ac, const char *ident);
void accounts_close(struct accounts *ac);

#endif
