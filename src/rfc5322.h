/*
 * Header-block helpers shared by readers and writers: find the end of the
 * header, look up and unfold a field, pull the addr-spec out of an address
 * field and parse an RFC 5322 date.  All work on byte ranges (no NUL needed)
 * and accept LF or CRLF line ends.
 */
#ifndef MAILSAVE_RFC5322_H
#define MAILSAVE_RFC5322_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

/*
 * Length of the header block in p[0..len) including the empty line that
 * ends it ("\n\n" or "\r\n\r\n"), or 0 when the block does not end in the
 * given bytes.  A message that starts with an empty line has a 1 or 2 byte
 * header.
 */
size_t rfc_header_end(const char *p, size_t len);

/*
 * Find field NAME (case-insensitive, without ':') in the header block
 * hdr[0..len) and store its unfolded value (CR/LF of folds removed, leading
 * and trailing white space trimmed) in out.  Returns 1 if found, 0 if not.
 * The first occurrence wins.
 */
int rfc_header_get(const char *hdr, size_t len, const char *name,
    struct buf *out);

/*
 * The bare addr-spec of an address field value ("Jane <j@x>" -> "j@x",
 * "j@x (Jane)" -> "j@x", "<>" -> "").  Spaces inside become '-'.
 * Appends to out; returns 1 if an address was found.
 */
int rfc_addr_spec(const char *value, struct buf *out);

/*
 * Parse an RFC 5322 (or RFC 822 / asctime-ish) date into Unix seconds (UTC).
 * Returns 0 on success, -1 when the text is not a date.
 */
int rfc_parse_date(const char *value, int64_t *out);

/*
 * Fill head from the first bytes of a message (raw[0..len)); the strings
 * are stored in the scratch buffers of `store` and stay valid until the
 * next call with the same store.
 */
struct rfc_head_store {
	struct buf return_path, from_addr, subject, message_id, tmp;
};
void rfc_head_store_init(struct rfc_head_store *s);
void rfc_head_store_release(struct rfc_head_store *s);
void rfc_head_parse(struct msg_head *head, const char *raw, size_t len,
    struct rfc_head_store *store);

#endif
