/*
 * Where a message goes inside DEST, for every writer (directory or
 * archive), so an archive holds exactly the tree the directory writer
 * makes:
 *
 *   mbox     <folder>.mbox                  one mboxrd file per folder
 *   eml      <folder>/<name>.eml            one file per message
 *   maildir  Maildir++: INBOX is the root (cur/ new/ tmp/), every other
 *            folder ".A.B" (components made safe, '.' inside a component
 *            replaced by '_'); messages in cur/<name>:2,<flags>
 *
 * <folder> is path_folder() of the display name.  <name> is stable and
 * readable: "YYYYMMDD-HHMMSS-<subject slug>-<8 hex of SHA-256>" for eml,
 * "<unix date>.<16 hex of SHA-256>.mailsave" for maildir.  The caller
 * resolves collisions (same name already used) by adding "-2", "-3"...
 * before the extension / info.
 */
#ifndef MAILSAVE_LAYOUT_H
#define MAILSAVE_LAYOUT_H

#include "buf.h"
#include "msg.h"

/* Relative path of the mbox file for FOLDER. */
void layout_mbox_path(struct buf *out, const char *folder);
/* Relative directory of FOLDER in an eml tree. */
void layout_eml_dir(struct buf *out, const char *folder);
/* File name (no directory) for a message in an eml tree; `n` > 1 adds -n. */
void layout_eml_name(struct buf *out, const struct msg *m,
    const unsigned char sha256[32], unsigned n);
/* Relative Maildir directory of FOLDER ("" for INBOX, ".A.B" otherwise). */
void layout_maildir_dir(struct buf *out, const char *folder);
/* File name in cur/ with ":2,<flags>"; `n` > 1 adds -n before ':'. */
void layout_maildir_name(struct buf *out, const struct msg *m,
    const unsigned char sha256[32], unsigned n);

#endif
