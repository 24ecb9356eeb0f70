/*
 * A small reader for the XML property lists Apple Mail writes: the trailer
 * of every .emlx file and ~/Library/Mail/PersistenceInfo.plist.  Only the
 * top-level <dict> is kept, as key/value pairs; nested dicts are skipped
 * and arrays keep their scalar members joined by spaces.  XML entities are
 * decoded.  A binary plist ("bplist00") is recognised and left opaque.
 *
 * Ownership: a struct plist owns its items and their strings; they live
 * until plist_release().
 */
#ifndef MAILSAVE_PLIST_H
#define MAILSAVE_PLIST_H

#include <stddef.h>
#include <stdint.h>

enum plist_type {
	PLIST_STRING = 1,
	PLIST_INTEGER,
	PLIST_REAL,
	PLIST_TRUE,
	PLIST_FALSE,
	PLIST_DATE,
	PLIST_DATA,
	PLIST_ARRAY,
	PLIST_DICT
};

struct plist_item {
	char *key;		/* owned, entities decoded */
	enum plist_type type;
	char *value;		/* owned: the text (entities decoded,
				   trimmed for numbers); arrays: scalar
				   members joined by ' '; dicts: "" */
};

struct plist {
	struct plist_item *items;	/* owned */
	size_t n;
	int binary;		/* the input was a binary plist (unread) */
};

/* An empty plist. */
void plist_init(struct plist *pl);
void plist_release(struct plist *pl);

/*
 * Parse p[0..len): optional XML declaration, DOCTYPE and comments, then
 * <plist> holding a <dict>.  Returns 0 when a dict was read (items may be
 * partial when the text is cut short), -1 when the bytes are not an XML
 * plist (pl->binary is set for a binary plist).  Never reads past len.
 */
int plist_parse(struct plist *pl, const char *p, size_t len);

/* The item for KEY, or NULL. */
const struct plist_item *plist_get(const struct plist *pl, const char *key);

/*
 * KEY as a number: <integer> or <real> (truncated toward zero), or a
 * <string> of digits.  Returns 0 and sets *out, or -1.
 */
int plist_get_i64(const struct plist *pl, const char *key, int64_t *out);
/* KEY as an unsigned 64-bit integer (flags).  Returns 0 or -1. */
int plist_get_u64(const struct plist *pl, const char *key, uint64_t *out);

#endif
