/*
 * Gmail's IMAP extensions (X-GM-EXT-1) for the IMAP reader: the
 * X-GM-MSGID and X-GM-LABELS items of a FETCH answer, and labels made
 * keywords (DESIGN.md section 3: keywords hold IMAP keywords and Gmail
 * labels).
 *
 * libetpan 1.9.4 parses both items, but reads X-GM-LABELS as a list of
 * astrings, and Gmail writes its system labels as bare backslash words
 * (X-GM-LABELS (\Inbox \Important "Muy importante")): that answer fails
 * to parse and the connection would be lost.  gm_register() adds a second
 * parser for the item that libetpan tries when its own fails; it takes
 * backslash words itself and everything else through libetpan's astring
 * parser (atoms, quoted strings, literals).
 *
 * Ownership: nothing here keeps memory; strings are appended to the
 * caller's buffers.
 */
#ifndef MAILSAVE_GMAIL_H
#define MAILSAVE_GMAIL_H

#include <stdint.h>

#include <libetpan/libetpan.h>

#include "buf.h"

/* Register the X-GM-LABELS parser with libetpan (once per process). */
void gm_register(void);

/*
 * One item of a FETCH answer: X-GM-MSGID sets *msgid and returns 1;
 * X-GM-LABELS appends its labels to labels with gm_add_label() and
 * returns 1; anything else returns 0.
 */
int gm_item(const struct mailimap_msg_att_item *item, uint64_t *msgid,
    struct buf *labels);

/*
 * A label as a keyword, appended to kw (space-separated) unless kw holds
 * that word already: a system label loses its backslash ("\Important" ->
 * "Important", as in Gmail's own mbox export), a name is decoded from
 * modified UTF-7 to UTF-8 (kept as sent when it is not valid modified
 * UTF-7), and spaces and control characters become '_' (keywords are
 * single words).  An empty label adds nothing.
 */
void gm_add_label(struct buf *kw, const char *label);

/* Append to kw each word of words that kw does not hold yet. */
void gm_merge_words(struct buf *kw, const char *words);

#endif
