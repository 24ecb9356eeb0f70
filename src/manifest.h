/*
 * manifest.jsonl: one JSON object per message, written into every DEST so
 * a backup can be verified without the index, on another machine:
 *
 *   {"folder":"INBOX","file":"INBOX.mbox","volume":1,"offset":0,
 *    "length":1234,"size":1200,"sha256":"<hex of the source bytes>",
 *    "stored_sha256":"<hex of file[offset,offset+length)>",
 *    "message_id":"<a@b>","flags":["seen"],"keywords":"$label1",
 *    "date":1700000000,"key":"0","dup_of":0,"id":1}
 *
 * (one line each).  "dup_of" names the "id" of the message whose bytes
 * stand for this one (written once with --dedupe), 0 otherwise.
 */
#ifndef MAILSAVE_MANIFEST_H
#define MAILSAVE_MANIFEST_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "db.h"
#include "err.h"

/* Write the manifest of DEST's rows to f.  MS_OK or MS_FATAL. */
int manifest_write(struct db *db, int64_t dest_id, FILE *f, struct err *e);

/* One parsed line; the strings live in the buffers of the struct. */
struct manifest_row {
	struct db_row row;	/* points into the buffers below */
	struct buf folder, key, file, message_id, keywords;
	unsigned char sha[32], stored[32];
};

void manifest_row_init(struct manifest_row *r);
void manifest_row_release(struct manifest_row *r);
/* Parse one line (NUL-terminated).  0 on success, -1 when malformed. */
int manifest_parse(const char *line, struct manifest_row *r);

#endif
