/*
 * Safe output paths.  Folder and file names are hostile input: a folder
 * called "../../etc" or "CON" or one holding NUL, '/' or control characters
 * must still land inside DEST.  Names are kept readable and NFC-normalised
 * UTF-8; only what cannot be stored is replaced.
 */
#ifndef MAILSAVE_PATH_H
#define MAILSAVE_PATH_H

#include <stddef.h>

#include "buf.h"

/*
 * Append one safe path component made from NAME (len bytes, any bytes) to
 * out:
 *   - invalid UTF-8 bytes become "%XX"; the rest is NFC-normalised;
 *   - '/', '\\', control characters (C0, DEL, C1) and ':' '*' '?' '"' '<'
 *     '>' '|' become '_';
 *   - "", "." and ".." become "_", "_." and "_.."; a leading '.' becomes
 *     '_' (no hidden files, no Maildir++ clash);
 *   - trailing dots and spaces become '_';
 *   - Windows reserved names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any
 *     extension, any case) get a '_' prefix;
 *   - the result is cut to at most max bytes (0 means 200) on a UTF-8
 *     character boundary.
 * The component never contains '/' and is never empty.
 */
void path_component(struct buf *out, const char *name, size_t len,
    size_t max);

/*
 * Append the relative path for a '/'-separated folder display name:
 * each component made safe with path_component(), joined by '/'.  Empty
 * components ("a//b") are dropped; an empty folder becomes "_".
 */
void path_folder(struct buf *out, const char *folder);

/*
 * NFC-normalise a UTF-8 string; invalid sequences are kept as they are.
 * Appends to out.
 */
void path_nfc(struct buf *out, const char *s, size_t len);

/*
 * Create every directory of the relative path REL below the directory
 * fd DIRFD (mode 0700).  REL must come from path_folder().  Returns 0 or
 * -1 with errno set.
 */
int path_mkdirs_at(int dirfd, const char *rel);

/* Create DIR and its parents (mode 0700).  Returns 0 or -1 with errno. */
int path_mkdirs(const char *dir);

/*
 * fsync the directory that holds PATH (or PATH itself when it is a
 * directory and is_dir is set).  Returns 0 or -1 with errno.
 */
int path_fsync_dir(const char *path, int is_dir);

#endif
