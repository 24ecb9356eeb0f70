/*
 * What the Apple Mail reader (read_applemail.c) can tell about a store
 * without exporting it, for `mailsave doctor`: which V folder is live and
 * which older ones linger, how many messages each account holds, whether
 * the Envelope Index opens and how far it agrees with the files, which
 * partial messages lack attachment payloads, and what could not be read.
 * The walk is the reader's own, so doctor and export always agree.
 *
 * Ownership: everything in struct applemail_inventory is owned by it and
 * freed by applemail_inventory_release().
 */
#ifndef MAILSAVE_APPLEMAIL_H
#define MAILSAVE_APPLEMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "source.h"

/* How many incomplete messages are named (the rest are counted). */
#define APPLEMAIL_NAMED_MAX	5

struct applemail_account {
	char *name;		/* owned: the label export uses ("Work") */
	size_t mailboxes;	/* mailboxes holding at least one message */
	uint64_t messages;
	uint64_t partials;	/* of which .partial.emlx rebuilt */
};

struct applemail_missing {
	char *path;		/* owned: the .partial.emlx */
	char *sections;		/* owned: parts without payload ("2 2.3") */
};

struct applemail_unreadable {
	char *what;		/* owned: "path: reason" */
	int sys_errno;		/* EPERM/EACCES: Full Disk Access is missing */
};

struct applemail_inventory {
	const char *kind;	/* static: "Mail folder", "V folder",
				   "account folder", "mailbox", "Mail 2-4
				   folder" */
	char *vdir;		/* owned: the live V folder ("V10"), or NULL
				   when the source is not a Mail folder */
	const char *vdir_why;	/* static: how it was chosen */
	char *vdir_note;	/* owned: a PersistenceInfo.plist problem, or
				   NULL */
	struct buf stale;	/* other V folders, ' '-separated ("V9 V2") */

	struct applemail_account *accounts;	/* owned, in walk order */
	size_t naccounts;
	uint64_t messages, partials;

	char *ei_path;		/* owned: the Envelope Index belonging to the
				   source, NULL when none was found */
	int ei_open;		/* it was copied (with -wal, -shm) and opened */
	struct buf ei_why;	/* why it was not, or broke while read */
	int ei_denied;		/* for want of permission (Full Disk Access) */
	int64_t ei_rows;	/* rows in its messages table, -1 unknown */
	uint64_t ei_orphans;	/* message files without a row */
	uint64_t ei_mismatched;	/* rows naming another mailbox (not used) */

	uint64_t incomplete;	/* partial messages lacking a payload */
	uint64_t missing_parts;	/* parts without a payload, in all */
	struct applemail_missing named[APPLEMAIL_NAMED_MAX];
	size_t nnamed;
	uint64_t downloaded;	/* payloads found only in Mail Downloads */

	struct applemail_unreadable *unreadable;	/* owned */
	size_t nunreadable;
};

/*
 * Inventory the store that SRC (opened by source_open()) reads.  Reads the
 * directory listings, the Envelope Index rows of every message, and the
 * skeleton of every .partial.emlx; no message body.  Returns MS_OK, or
 * MS_FAILED when SRC is not the Apple Mail reader.  SRC can still be read
 * afterwards: next() starts again from the first message.
 */
int applemail_inventory(struct source *src, struct applemail_inventory *inv);
void applemail_inventory_release(struct applemail_inventory *inv);

#endif
