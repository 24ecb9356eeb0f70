/*
 * The message model (DESIGN.md section 3): metadata for one message.  Its
 * bytes are streamed separately (source_read), never held whole.
 *
 * Ownership: every string in struct msg is borrowed from the source that
 * filled it and stays valid until that source's next next() or close().
 * The pipeline adds `head` (a borrowed view of the first bytes of the
 * message) before it calls the sink.
 */
#ifndef MAILSAVE_MSG_H
#define MAILSAVE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum msg_flag {
	MSG_SEEN = 1 << 0,
	MSG_ANSWERED = 1 << 1,
	MSG_FLAGGED = 1 << 2,
	MSG_DELETED = 1 << 3,
	MSG_DRAFT = 1 << 4,
	MSG_FORWARDED = 1 << 5,
	MSG_JUNK = 1 << 6,
	MSG_NOTJUNK = 1 << 7
};

/*
 * Facts parsed from the header block by the pipeline (rfc5322.c), for the
 * writers: the mbox From_ line, EML names.  Strings are borrowed from the
 * pipeline and valid until the sink's end() or abort().  Any may be NULL.
 */
struct msg_head {
	const char *raw;	/* first bytes of the message (header block) */
	size_t raw_len;		/* bytes in raw; the header ends at hdr_len */
	size_t hdr_len;		/* length of the header incl. the blank line,
				   or raw_len if no blank line was found */
	const char *return_path;	/* bare addr-spec, unfolded */
	const char *from_addr;		/* bare addr-spec of From: */
	const char *subject;		/* unfolded, raw (RFC 2047 undecoded) */
	const char *message_id;		/* with angle brackets, as written */
	int64_t date;			/* Date: as Unix seconds, 0 if none */
	int crlf;			/* first line ends in CRLF */
};

struct msg {
	const char *folder;	/* UTF-8 display path, '/'-separated, never
				   NULL or empty ("INBOX", "Archive/2024") */
	const char *folder_raw;	/* source's own folder name, may be NULL */
	const char *key;	/* stable identity within the source */
	int64_t size;		/* exact byte count, -1 until known */
	int64_t date;		/* received/internal date (Unix s), 0 unknown */
	unsigned flags;		/* enum msg_flag bits */
	const char *keywords;	/* space-separated keywords/labels, may be NULL */
	const char *extra;	/* "name=value\n" facts (raw emlx flags, ...),
				   may be NULL */
	const char *envelope;	/* sender of a source mbox From_ line, or NULL */
	const char *stamp;	/* what changes when the message under this
				   key changes (file "size:mtime", the
				   From_ line...), or NULL; the index uses it
				   to detect a source changed under a key */
	const char *warning;	/* exported, but with a problem the source
				   names (damaged framing, an attachment
				   missing on disk), or NULL */
	const struct msg_head *head;	/* set by the pipeline before begin() */
};

/* Reset every field to "unknown". */
void msg_init(struct msg *m);

/* The received date if known, else the Date: header, else 0. */
int64_t msg_best_date(const struct msg *m);

/*
 * Maildir info ":2,<letters>" (letters sorted: D F P R S T).  Writes the
 * letters (no ":2,") into out (at least 8 bytes).  Unknown letters are
 * ignored when parsing.
 */
void msg_flags_to_maildir(unsigned flags, char out[8]);
unsigned msg_flags_from_maildir(const char *letters);

/*
 * mbox flag headers (Dovecot/mutt/Python convention):
 *   Status: R (seen) O (old, always written)
 *   X-Status: A (answered) F (flagged) T (draft) D (deleted)
 * Parse the value of a Status or X-Status header into flag bits.
 */
unsigned msg_flags_from_status(const char *value, size_t len);
/* Letters for Status (seen -> "RO", else "O") and X-Status ("" if none). */
void msg_flags_to_status(unsigned flags, char status[4], char xstatus[8]);

/*
 * Keywords that carry flags ($Forwarded, $Junk, $NotJunk, Junk, NonJunk) are
 * mapped to bits by msg_flags_from_keyword(); 0 when the word is a plain
 * keyword.
 */
unsigned msg_flags_from_keyword(const char *word, size_t len);

/* A readable list of flag names ("seen,flagged"), for list/verify/json. */
void msg_flags_names(unsigned flags, struct buf *out);

#endif
