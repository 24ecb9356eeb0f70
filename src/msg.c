/*
 * The message model and the flag mappings every format shares: Maildir
 * info letters, mbox Status/X-Status letters and flag-carrying keywords.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "msg.h"

void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->size = -1;
}

int64_t
msg_best_date(const struct msg *m)
{
	if (m->date > 0)
		return m->date;
	if (m->head != NULL && m->head->date > 0)
		return m->head->date;
	return 0;
}

/* Maildir letters in ASCII order, as the Maildir spec requires. */
static const struct {
	char letter;
	unsigned flag;
} maildir_letters[] = {
	{ 'D', MSG_DRAFT },
	{ 'F', MSG_FLAGGED },
	{ 'P', MSG_FORWARDED },
	{ 'R', MSG_ANSWERED },
	{ 'S', MSG_SEEN },
	{ 'T', MSG_DELETED },
};

void
msg_flags_to_maildir(unsigned flags, char out[8])
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(maildir_letters) / sizeof(maildir_letters[0]); i++)
		if (flags & maildir_letters[i].flag)
			out[n++] = maildir_letters[i].letter;
	out[n] = '\0';
}

unsigned
msg_flags_from_maildir(const char *letters)
{
	unsigned flags = 0;

	for (const char *p = letters; *p != '\0'; p++)
		for (size_t i = 0; i < sizeof(maildir_letters) / sizeof(maildir_letters[0]); i++)
			if (*p == maildir_letters[i].letter)
				flags |= maildir_letters[i].flag;
	return flags;
}

unsigned
msg_flags_from_status(const char *value, size_t len)
{
	unsigned flags = 0;

	for (size_t i = 0; i < len; i++) {
		switch (value[i]) {
		case 'R':
			flags |= MSG_SEEN;
			break;
		case 'A':
			flags |= MSG_ANSWERED;
			break;
		case 'F':
			flags |= MSG_FLAGGED;
			break;
		case 'T':
			flags |= MSG_DRAFT;
			break;
		case 'D':
			flags |= MSG_DELETED;
			break;
		}
	}
	return flags;
}

void
msg_flags_to_status(unsigned flags, char status[4], char xstatus[8])
{
	size_t n = 0;

	if (flags & MSG_SEEN)
		status[n++] = 'R';
	status[n++] = 'O';
	status[n] = '\0';
	n = 0;
	if (flags & MSG_ANSWERED)
		xstatus[n++] = 'A';
	if (flags & MSG_FLAGGED)
		xstatus[n++] = 'F';
	if (flags & MSG_DRAFT)
		xstatus[n++] = 'T';
	if (flags & MSG_DELETED)
		xstatus[n++] = 'D';
	xstatus[n] = '\0';
}

static const struct {
	const char *word;
	unsigned flag;
} flag_keywords[] = {
	{ "$Forwarded", MSG_FORWARDED },
	{ "Forwarded", MSG_FORWARDED },
	{ "$Junk", MSG_JUNK },
	{ "Junk", MSG_JUNK },
	{ "$NotJunk", MSG_NOTJUNK },
	{ "NotJunk", MSG_NOTJUNK },
	{ "NonJunk", MSG_NOTJUNK },
};

unsigned
msg_flags_from_keyword(const char *word, size_t len)
{
	for (size_t i = 0; i < sizeof(flag_keywords) / sizeof(flag_keywords[0]); i++)
		if (strlen(flag_keywords[i].word) == len &&
		    strncasecmp(word, flag_keywords[i].word, len) == 0)
			return flag_keywords[i].flag;
	return 0;
}

static const char *const flag_names[] = {
	"seen", "answered", "flagged", "deleted", "draft", "forwarded",
	"junk", "notjunk",
};

void
msg_flags_names(unsigned flags, struct buf *out)
{
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(flags & (1u << i)))
			continue;
		if (out->len)
			buf_addc(out, ',');
		buf_adds(out, flag_names[i]);
	}
}
