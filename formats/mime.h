/*
 * The bits of MIME the .partial.emlx rebuilder needs: the type, transfer
 * encoding and parameters of a part's header fields (RFC 2045, RFC 2231
 * continuations and charsets, RFC 2047 encoded words, decoded to UTF-8
 * through libetpan), and a streaming quoted-printable encoder.
 *
 * Why our own quoted-printable encoder: libetpan 1.9.4's
 * mailmime_quoted_printable_write_driver() writes the last blank before a
 * line break twice ("a \n" becomes "a =20", which decodes to "a  "), leaves
 * blanks at the end of the text unencoded and cannot carry its state across
 * calls, so it would corrupt attachments.  Base64 comes from OpenSSL.
 */
#ifndef MAILSAVE_MIME_H
#define MAILSAVE_MIME_H

#include <stddef.h>

#include "buf.h"

/*
 * The lower-cased "type/subtype" of a Content-Type field value, without
 * parameters; "text/plain" when the value is empty (RFC 2045 default).
 */
void mime_content_type(const char *value, struct buf *out);

/* The lower-cased first token of a field value (Content-Transfer-Encoding). */
void mime_token(const char *value, struct buf *out);

/*
 * Parameter NAME (case-insensitive) of a field value such as
 * `attachment; filename*0="a"; filename*1=b`: RFC 2231 extended values and
 * continuations are joined and percent-decoded, their charset converted to
 * UTF-8; plain values are unquoted and RFC 2047 words decoded.  An RFC 2231
 * form wins over a plain one.  Appends to out; returns 1 if found.
 */
int mime_param(const char *value, const char *name, struct buf *out);

/*
 * Streaming quoted-printable encoder (RFC 2045 6.7): lines of at most 76
 * characters, soft breaks "=" + eol, blanks before a line break and at the
 * end encoded.  In text mode LF and CRLF in the input become hard line
 * breaks written as `eol`; otherwise CR and LF are encoded.
 */
struct qp_enc {
	const char *eol;	/* borrowed: "\n" or "\r\n" */
	int text;
	int col;		/* characters on the current output line */
	int pend_ws;		/* a blank waiting for what follows, or 0 */
	int pend_cr;		/* a CR waiting for its LF (text mode) */
};

void qp_enc_init(struct qp_enc *q, int text, const char *eol);
/* Encode in[0..len) and append to out. */
void qp_enc_update(struct qp_enc *q, const unsigned char *in, size_t len,
    struct buf *out);
/* Flush what is pending at the end of the data. */
void qp_enc_final(struct qp_enc *q, struct buf *out);

#endif
