/*
 * Options shared by commands, readers and writers.  Filled by the cmd_*.c
 * option tables; formats read them and never change them.  Strings are
 * borrowed from argv or static storage for the whole run.
 */
#ifndef MAILSAVE_OPTS_H
#define MAILSAVE_OPTS_H

#include <stddef.h>
#include <stdint.h>

enum mbox_flavour {
	MBOX_AUTO = 0,		/* mboxrd, or Content-Length when it holds */
	MBOX_RD,		/* unquote one '>' from ^>+From  */
	MBOX_O,			/* no unquoting (>From is ambiguous) */
	MBOX_CL,		/* Content-Length, mboxo quoting */
	MBOX_CL2		/* Content-Length, no quoting */
};

#define OPTS_GLOBS_MAX 64

struct opts {
	int verbose;		/* -v count */
	int quiet;		/* -q */
	int json;		/* --json */
	int progress;		/* progress line allowed (stderr is a tty) */
	enum mbox_flavour mbox_flavour;
	int mbox_lenient;	/* accept bare "From " separators (no date) */
	const char *layout;	/* writer layout for archives: mbox, eml,
				   maildir (the --to value) */
	int no_index;		/* --no-index: no index, no hashes kept */
	int archive_volume;	/* 1 for DEST itself, N for DEST's volume N:
				   an empty volume > 1 is not created */
	int archive_publish_later;	/* close() leaves the archive in
				   DEST.partial, for sink_archive_publish() */
	/*
	 * Live accounts (IMAP, POP3).  NULL / 0 / -1 mean "not given": the
	 * readers then fall back to MAILSAVE_* environment variables and
	 * their defaults.  Passwords never travel here, only where to get
	 * them.
	 */
	const char *tls;		/* --tls=none allows plaintext */
	const char *ca_file;		/* --ca-file */
	int insecure;			/* --insecure */
	const char *pin;		/* --pin sha256:HEX */
	const char *password_file;	/* --password-file */
	const char *password_command;	/* --password-command */
	const char *oauth2_token_command;	/* --oauth2-token-command */
	const char *auth;		/* --auth auto|login|plain|cram-md5|
					   xoauth2|oauthbearer|apop */
	unsigned timeout;		/* --timeout seconds */
	int retries;			/* --retries, -1 when not given */
	/* Checkpoint policy: whichever comes first. 0 disables that trigger. */
	unsigned checkpoint_msgs;
	uint64_t checkpoint_bytes;
	unsigned checkpoint_secs;
	/*
	 * Folder selection (--folder, --exclude): shell globs matched against
	 * the folder's display path, '*' spanning '/'.  Borrowed from argv.
	 */
	const char *folder_globs[OPTS_GLOBS_MAX];
	size_t nfolder_globs;
	const char *exclude_globs[OPTS_GLOBS_MAX];
	size_t nexclude_globs;
};

void opts_init(struct opts *o);

/*
 * The long options every command that reads a source accepts for live
 * accounts, to put in its getopt_long table, and their handler:
 * opts_net_option() returns 1 when ch was one of them (stored in o), 0
 * when not, and -1 with *why set when its value is wrong.
 */
#define OPT_NET 0x100
#define OPTS_NET_LONGOPTS \
	{ "auth", required_argument, NULL, OPT_NET + 0 }, \
	{ "ca-file", required_argument, NULL, OPT_NET + 1 }, \
	{ "insecure", no_argument, NULL, OPT_NET + 2 }, \
	{ "password-command", required_argument, NULL, OPT_NET + 3 }, \
	{ "password-file", required_argument, NULL, OPT_NET + 4 }, \
	{ "pin", required_argument, NULL, OPT_NET + 5 }, \
	{ "retries", required_argument, NULL, OPT_NET + 6 }, \
	{ "timeout", required_argument, NULL, OPT_NET + 7 }, \
	{ "tls", required_argument, NULL, OPT_NET + 8 }, \
	{ "oauth2-token-command", required_argument, NULL, OPT_NET + 9 }
int opts_net_option(struct opts *o, int ch, const char *arg,
    const char **why);
/* Help text for those options. */
extern const char opts_net_usage[];

/* --folder and --exclude, for export and list; as opts_net_option(). */
#define OPT_SELECT 0x200
#define OPTS_SELECT_LONGOPTS \
	{ "folder", required_argument, NULL, OPT_SELECT + 0 }, \
	{ "exclude", required_argument, NULL, OPT_SELECT + 1 }
int opts_select_option(struct opts *o, int ch, const char *arg,
    const char **why);
extern const char opts_select_usage[];

/*
 * Whether a folder is wanted: it matches a --folder glob (or none was
 * given) and no --exclude glob.
 */
int opts_folder_wanted(const struct opts *o, const char *folder);

#endif
