/*
 * Where a message goes inside DEST (see layout.h): the mbox file of a
 * folder, the eml directory and file name, the Maildir++ directory and
 * file name.  Every writer, directory or archive, asks here, so they all
 * make the same tree.  Subjects are decoded from RFC 2047 with libetpan
 * to make the readable part of eml names.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>
#include <utf8proc.h>

#include "hash.h"
#include "layout.h"
#include "path.h"

#define SLUG_MAX	40
#define MAILDIR_DIR_MAX	250

void
layout_mbox_path(struct buf *out, const char *folder)
{
	path_folder(out, folder);
	buf_adds(out, ".mbox");
}

void
layout_eml_dir(struct buf *out, const char *folder)
{
	path_folder(out, folder);
}

/* "YYYYMMDD-HHMMSS" of a Unix date in UTC; zeros when unknown. */
static void
add_date(struct buf *out, int64_t date)
{
	struct tm tm;
	time_t t = (time_t)date;

	if (date <= 0 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 > 9999) {
		buf_adds(out, "00000000-000000");
		return;
	}
	buf_addf(out, "%04d%02d%02d-%02d%02d%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Whether a code point is kept in a slug (letters, digits, marks). */
static int
slug_keeps(utf8proc_int32_t cp, int after_kept)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
		return 1;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
		/* Combining marks only stay on a letter we kept. */
		return after_kept;
	default:
		return 0;
	}
}

/*
 * The readable part of an eml name: the subject, decoded when it holds
 * RFC 2047 words, NFC, lower case; letters, digits and combining marks
 * kept, every other run made one '-'; at most SLUG_MAX bytes, cut on a
 * character boundary; "no-subject" when nothing is left.  The result
 * holds nothing path_component() would change, and the name that holds
 * it starts with the date, so no Windows device name can appear.
 */
static void
add_slug(struct buf *out, const char *subject)
{
	struct buf text = BUF_INIT, nfc = BUF_INIT;
	char *decoded = NULL;
	size_t start = out->len, idx = 0;
	int dash = 0, kept = 0;

	if (subject == NULL)
		subject = "";
	if (strstr(subject, "=?") != NULL &&
	    mailmime_encoded_phrase_parse("utf-8", subject, strlen(subject),
	    &idx, "utf-8", &decoded) == MAILIMF_NO_ERROR && decoded != NULL)
		buf_adds(&text, decoded);
	else
		buf_adds(&text, subject);
	free(decoded);
	path_nfc(&nfc, text.s, text.len);

	for (size_t i = 0; i < nfc.len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(
		    (const utf8proc_uint8_t *)nfc.s + i,
		    (utf8proc_ssize_t)(nfc.len - i), &cp);
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t elen;

		if (n <= 0) {
			/* An invalid byte: a separator like any other. */
			i++;
			kept = 0;
			dash = out->len > start;
			continue;
		}
		i += (size_t)n;
		if (cp < 0x80 ? !((cp >= 'a' && cp <= 'z') ||
		    (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')) :
		    !slug_keeps(cp, kept)) {
			kept = 0;
			dash = out->len > start;
			continue;
		}
		cp = utf8proc_tolower(cp);
		elen = utf8proc_encode_char(cp, enc);
		if (out->len - start + (dash ? 1 : 0) + (size_t)elen >
		    SLUG_MAX)
			break;
		if (dash)
			buf_addc(out, '-');
		dash = 0;
		buf_add(out, enc, (size_t)elen);
		kept = 1;
	}
	buf_release(&text);
	buf_release(&nfc);
	if (out->len == start)
		buf_adds(out, "no-subject");
}

void
layout_eml_name(struct buf *out, const struct msg *m,
    const unsigned char sha256[32], unsigned n)
{
	char hex[17];

	add_date(out, msg_best_date(m));
	buf_addc(out, '-');
	add_slug(out, m->head != NULL ? m->head->subject : NULL);
	hash_hex(sha256, 4, hex);
	buf_addf(out, "-%s", hex);
	if (n > 1)
		buf_addf(out, "-%u", n);
	buf_adds(out, ".eml");
}

void
layout_maildir_dir(struct buf *out, const char *folder)
{
	struct buf comp = BUF_INIT;
	size_t start = out->len;
	const char *p = folder;

	if (strcasecmp(folder, "INBOX") == 0)
		return;
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n > 0) {
			buf_reset(&comp);
			path_component(&comp, p, n, 0);
			for (size_t i = 0; i < comp.len; i++)
				if (comp.s[i] == '.')
					comp.s[i] = '_';
			buf_addc(out, '.');
			buf_add(out, comp.s, comp.len);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	buf_release(&comp);
	if (out->len == start) {
		/* Only separators ("/", "//"): still not the root. */
		buf_adds(out, "._");
		return;
	}
	/*
	 * Deep folders must still fit in one directory name (NAME_MAX is
	 * 255 almost everywhere): cut on a character boundary, and never
	 * end in '.', which would mean an empty last component.
	 */
	if (out->len - start > MAILDIR_DIR_MAX) {
		size_t end = start + MAILDIR_DIR_MAX;

		while (end > start && ((unsigned char)out->s[end] & 0xc0) ==
		    0x80)
			end--;
		buf_setlen(out, end);
	}
	if (out->s[out->len - 1] == '.')
		out->s[out->len - 1] = '_';
}

void
layout_maildir_name(struct buf *out, const struct msg *m,
    const unsigned char sha256[32], unsigned n)
{
	char hex[33], letters[8];

	hash_hex(sha256, 8, hex);
	buf_addf(out, "%lld.%s.mailsave", (long long)msg_best_date(m), hex);
	if (n > 1)
		buf_addf(out, "-%u", n);
	msg_flags_to_maildir(m->flags, letters);
	buf_addf(out, ":2,%s", letters);
}
