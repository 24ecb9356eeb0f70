/*
 * Code shared by the mbox reader and writers: recognising and writing the
 * From_ separator line, the mboxrd quoting and unquoting of `>*From ` lines
 * as streaming state machines that accept any chunk boundaries, the whole
 * per-message encoding the mbox writer stores (mbox_encoder, also for the
 * archive writer's mbox layout), and a small iterator over the fields of a
 * header block.
 *
 * Nothing holds a whole line or message: a line of many megabytes streams
 * through the state machines with a few bytes of state.  Allocation is
 * limited to the struct buf handed in and the encoder's list of header
 * fields to leave out.
 */
#ifndef MAILSAVE_MBOX_COMMON_H
#define MAILSAVE_MBOX_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

/*
 * The longest From_ line a strict reader looks at: a longer line is not a
 * separator in strict mode.  Real ones are under 200 bytes.
 */
#define MBOX_FROM_MAX	1024

/*
 * Whether line[0..len) is a From_ separator line.  The line excludes its
 * LF; a trailing CR is ignored.  The line must begin with "From ".
 *
 * Strict mode (strict != 0) also requires a date after the sender, in any
 * of the forms seen in the wild (research/apple-mail-formats.md 5.2):
 *   From god@heaven.af.mil Sat Jan  3 01:05:34 1996      asctime
 *   From a@b Wed Oct 01 07:14:42 2012                    zero-padded day
 *   From MAILER-DAEMON Sun Aug  7 11:40:37 2022 extra    trailing info
 *   From - Sat Apr 12 2025 15:59:28                      year before time
 *   From u2@a (comment) Sat Jul 27 03:26:47 1996         sender with spaces
 *   From x Mon Jan  1 00:00:00 +0100 2001                zone before year
 * (weekday and month names in English, any case; seconds optional; a
 * 4- or 5-digit year: cpython's test file holds the year 20220).
 * Lenient mode accepts every line that begins with "From ".
 *
 * Returns 1 for a separator, 0 otherwise.  On 1, when sender is not NULL,
 * it receives the text between "From " and the date, trimmed (the whole
 * rest of the line when no date was found), and *date (when not NULL)
 * receives the date as Unix seconds read as UTC, or 0 when there is no
 * usable date (none, or a year outside 1970..9999).
 */
int mbox_from_parse(const char *line, size_t len, int strict,
    struct buf *sender, int64_t *date);

/*
 * Append a From_ line "From <addr> <asctime>\n" to out.  The date is UTC in
 * asctime form, exactly 24 characters with a space-padded day ("Thu Jan  1
 * 00:00:00 1970"); a date outside 0..9999-12-31 is written as 0.  In addr,
 * white space and control characters become '-'; NULL or "" becomes
 * MAILER-DAEMON.
 */
void mbox_from_format(struct buf *out, const char *addr, int64_t date);

/*
 * The room a caller must offer mbox_quote_run()/mbox_unquote_run() and their
 * finish functions: with less they may make no progress.
 */
#define MBOX_QUOTE_SLACK	8

/*
 * mboxrd quoting (the writer): every line matching ^>*From  gets one more
 * '>'.  Optionally CRLF line ends become LF (only a CR right before an LF
 * goes).  Feed the message in any chunks; mbox_quote_finish() ends it and
 * adds a final LF when the message did not end with one.
 */
struct mbox_quote {
	unsigned char state;	/* private */
	unsigned char matched;	/* private: bytes of "From" matched */
	unsigned char cr;	/* private: a CR held back at a chunk end */
	unsigned char crlf_to_lf;	/* set by init */
	unsigned char any;	/* private: any byte seen */
};

void mbox_quote_init(struct mbox_quote *q, int crlf_to_lf);

/*
 * Quote in[0..len) into out[0..cap).  Sets *used to the input bytes taken
 * and returns the bytes stored.  Stops when out is full or the input is
 * used up; with cap >= MBOX_QUOTE_SLACK it always makes progress.
 */
size_t mbox_quote_run(struct mbox_quote *q, const char *in, size_t len,
    size_t *used, char *out, size_t cap);

/*
 * End the message: store held-back bytes and a final LF if the last line
 * had none.  cap must be >= MBOX_QUOTE_SLACK.  Returns the bytes stored and
 * re-initialises q for the next message.
 */
size_t mbox_quote_finish(struct mbox_quote *q, char *out, size_t cap);

/*
 * mboxrd unquoting (the reader): one '>' is removed from every line
 * matching ^>+From .  When `enabled` is 0 the bytes pass unchanged (mboxo,
 * mboxcl2).  Same calling rules as the quoting functions; finish adds no
 * LF, it only stores held-back bytes.
 */
struct mbox_unquote {
	unsigned char state;	/* private */
	unsigned char matched;	/* private */
	unsigned char enabled;
};

void mbox_unquote_init(struct mbox_unquote *u, int enabled);
size_t mbox_unquote_run(struct mbox_unquote *u, const char *in, size_t len,
    size_t *used, char *out, size_t cap);
size_t mbox_unquote_finish(struct mbox_unquote *u, char *out, size_t cap);

/*
 * For a reader that knows a stretch of bytes needs no unquoting (no line
 * in it starts with '>'): whether u holds nothing back, so the bytes may
 * be copied past it, and how to tell u they were (`last` is the last byte
 * copied).
 */
int mbox_unquote_idle(const struct mbox_unquote *u);
void mbox_unquote_copied(struct mbox_unquote *u, char last);

/*
 * The whole mboxrd encoding of one message, as the mbox writer stores it
 * (and the archive writer's mbox layout, byte for byte):
 *   From <addr> <asctime UTC>       addr: Return-Path, else From:, else
 *                                   MAILER-DAEMON; date: msg_best_date()
 *   Status: RO|O                    always
 *   X-Status: AFTD                  when any of those flags
 *   X-Keywords: $Forwarded ...      flag words and m->keywords, when any
 *   the message                     without its own Status, X-Status and
 *                                   X-Keywords fields (header only), every
 *                                   ^>*From  line quoted, CRLF made LF, a
 *                                   final LF added when missing
 *   an empty line
 * begin() appends the From_ line and our fields to `preamble` and looks
 * for the fields to leave out in m->head (the pipeline's view of the
 * header); run() takes the message bytes in any chunks; finish() ends it.
 */
struct mbox_encoder {
	struct mbox_quote q;	/* private */
	size_t in_pos;		/* private: message bytes seen */
	size_t *drops;		/* private, owned: pairs [a, b) to leave out */
	size_t ndrops, cap, drop_i;	/* private */
};

void mbox_encoder_init(struct mbox_encoder *e);
void mbox_encoder_release(struct mbox_encoder *e);
void mbox_encoder_begin(struct mbox_encoder *e, const struct msg *m,
    struct buf *preamble);
/* Same rules as mbox_quote_run(): cap >= MBOX_QUOTE_SLACK. */
size_t mbox_encoder_run(struct mbox_encoder *e, const char *in, size_t len,
    size_t *used, char *out, size_t cap);
/* The held-back bytes, a final LF if needed, the empty line (cap >= 8). */
size_t mbox_encoder_finish(struct mbox_encoder *e, char *out, size_t cap);

/*
 * One field of a header block, as offsets into the block.  A field is its
 * first line and every continuation line (starting with space or tab).
 */
struct mbox_field {
	size_t start;		/* first byte of the field */
	size_t name_len;	/* bytes of the name before ':', 0 when the
				   line is not a well-formed field */
	size_t value;		/* first byte after ':' (== start if none) */
	size_t end;		/* byte after the LF of its last line */
};

/*
 * Step through the header block p[0..len) from *off.  Returns 1 with *f
 * filled and *off moved past the field; 0 at the empty line that ends the
 * header (*off moved past it) or at the end of the bytes; -1 when the next
 * field may continue beyond len (its last line is incomplete, or a
 * continuation may follow) and `complete` is 0.  Set `complete` when
 * p[0..len) is the whole message.
 */
int mbox_header_next(const char *p, size_t len, size_t *off,
    struct mbox_field *f, int complete);

/* Whether field f of block p is named NAME (case-insensitive). */
int mbox_field_is(const char *p, const struct mbox_field *f,
    const char *name);

#endif
