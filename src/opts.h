/*
 * Options shared by commands, readers and writers.  Filled by the cmd_*.c
 * option tables; formats read them and never change them.  Strings are
 * borrowed from argv or static storage for the whole run.
 */
#ifndef MAILSAVE_OPTS_H
#define MAILSAVE_OPTS_H

#include <stdint.h>

enum mbox_flavour {
	MBOX_AUTO = 0,		/* mboxrd, or Content-Length when it holds */
	MBOX_RD,		/* unquote one '>' from ^>+From  */
	MBOX_O,			/* no unquoting (>From is ambiguous) */
	MBOX_CL,		/* Content-Length, mboxo quoting */
	MBOX_CL2		/* Content-Length, no quoting */
};

struct opts {
	int verbose;		/* -v count */
	int quiet;		/* -q */
	int json;		/* --json */
	int progress;		/* progress line allowed (stderr is a tty) */
	enum mbox_flavour mbox_flavour;
	int mbox_lenient;	/* accept bare "From " separators (no date) */
	const char *layout;	/* writer layout for archives: mbox, eml,
				   maildir (the --to value) */
	int archive_volume;	/* 1 for DEST itself, N for DEST's volume N:
				   an empty volume > 1 is not created */
	/* Checkpoint policy: whichever comes first. 0 disables that trigger. */
	unsigned checkpoint_msgs;
	uint64_t checkpoint_bytes;
	unsigned checkpoint_secs;
};

void opts_init(struct opts *o);

#endif
