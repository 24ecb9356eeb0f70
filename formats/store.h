/*
 * Read back what a writer stored: every regular file of a DEST directory
 * tree, or every entry of a DEST archive and its later volumes
 * (backup.tar.zst, backup.2.tar.zst, ...), with its bytes streamed.  Used by
 * verify; it knows nothing of messages.
 *
 * Files are yielded with their path relative to DEST ('/'-separated) and
 * their volume (1 for a directory and for DEST itself).  The index and the
 * manifest (".mailsave/", "manifest.jsonl") are not yielded.  Directory
 * entries are visited in sorted order.
 *
 * Ownership: the name returned by store_next() is owned by the store and
 * valid until the next call.  store_close() frees everything.
 */
#ifndef MAILSAVE_STORE_H
#define MAILSAVE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

/*
 * Open DEST (directory or archive).  MS_OK or MS_FATAL with err set.  With
 * manifest_only, only the manifest.jsonl entries of an archive's volumes
 * are yielded (the last one is the complete one).
 */
int store_open(struct store **out, const char *dest, int manifest_only,
    struct err *e);
/* MS_OK with the next file, MS_EOF at the end, MS_FATAL on error. */
int store_next(struct store *st, const char **name, int *volume,
    int64_t *size);
/* Read the current file's bytes: MS_OK, *got 0 at its end. */
int store_read(struct store *st, void *buf, size_t len, size_t *got);
void store_close(struct store *st);

/*
 * The path of volume N of an archive DEST: N == 1 gives DEST itself,
 * otherwise the number goes before the archive suffix
 * ("b.tar.zst" -> "b.2.tar.zst").  Appends to out.
 */
#include "buf.h"
void store_volume_path(struct buf *out, const char *dest, int volume);

/*
 * Where the index of DEST lives by default: DEST/.mailsave/index.db, or
 * DEST/mailsave-index/index.db for a Maildir (where every ".name" folder is
 * a mailbox to Maildir++ readers), or DEST.mailsave.db beside an archive.
 * LAYOUT may be NULL when unknown: then the folder that exists wins.
 * store_index_dir() gives the folder (nothing for an archive).
 */
void store_index_path(struct buf *out, const char *dest, const char *layout);
void store_index_dir(struct buf *out, const char *dest, const char *layout);

#endif
