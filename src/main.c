/*
 * mailsave: get every message out of a mailbox, intact.
 *
 * main() parses the global options, finds the command in commands[] and
 * runs it.  Only main() and the commands print or choose exit codes.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "signals.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct opts *o);
	const char *summary;
	const char *current;	/* what Ctrl-C lets it finish, or NULL */
};

static int cmd_help(int argc, char **argv, struct opts *o);
static int cmd_version(int argc, char **argv, struct opts *o);

static const struct cmd commands[] = {
	{ "export", cmd_export, "copy every message of a mailbox into mbox, "
	    "EML, Maildir or an archive", "message" },
	{ "list", cmd_list, "show the folders of a mailbox with message "
	    "counts and sizes", NULL },
	{ "verify", cmd_verify, "prove a backup is whole: re-read DEST and "
	    "check every message", NULL },
	{ "status", cmd_status, "show what the index knows about a backup",
	    NULL },
	{ "doctor", cmd_doctor, "say why a mail server or store cannot be "
	    "read, and what to do", "check" },
	{ "help", cmd_help, "show help for mailsave or one command", NULL },
	{ "version", cmd_version, "show the version and linked libraries",
	    NULL },
};

void
complain(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("mailsave: ", stderr);
	if (cmd != NULL)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
usage(FILE *f)
{
	fputs("usage: mailsave [-q|-v] [--json] COMMAND [ARGS]\n\n"
	    "Commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
		    commands[i].summary);
	fputs("\nExamples:\n"
	    "  mailsave export --from ~/mail/inbox.mbox --to eml -o backup/\n"
	    "  mailsave export --from Maildir --to mbox -o backup.tar.zst\n"
	    "  mailsave list --from 'Work.mbox'\n\n"
	    "Run 'mailsave help COMMAND' for a command's options.\n"
	    "Exit codes: 0 done, 1 done but some messages could not be read,\n"
	    "2 usage, 3 fatal error, 130 interrupted (everything so far "
	    "saved).\n", f);
}

static const struct cmd *
find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
cmd_help(int argc, char **argv, struct opts *o)
{
	const struct cmd *c;

	if (argc < 2) {
		usage(stdout);
		return EXIT_DONE;
	}
	c = find_cmd(argv[1]);
	if (c == NULL || c->fn == cmd_help || c->fn == cmd_version) {
		if (c != NULL) {
			printf("mailsave %s: %s\n", c->name, c->summary);
			return EXIT_DONE;
		}
		complain(NULL, "no such command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	char *hargv[] = { argv[1], "--help", NULL };
	optind = 0;
	return c->fn(2, hargv, o);
}

static int
cmd_version(int argc, char **argv, struct opts *o)
{
	(void)argc;
	(void)argv;
	(void)o;
	print_version();
	return EXIT_DONE;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	const struct cmd *c;
	int ch, rc;

	opts_init(&o);
	while ((ch = getopt_long(argc, argv, "+hqv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		case 'j':
			o.json = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'V':
			print_version();
			return EXIT_DONE;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[optind]);
	if (c == NULL) {
		complain(NULL, "no such command '%s' (try 'mailsave help')",
		    argv[optind]);
		return EXIT_USAGE;
	}
	signals_install(c->current);
	argc -= optind;
	argv += optind;
	optind = 0;		/* reset getopt for the command's own table */
	rc = c->fn(argc, argv, &o);

	/* Check that what we printed really went out (git's run_builtin). */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		complain(NULL, "write error on standard output");
		if (rc == EXIT_DONE)
			rc = EXIT_FATAL;
	}
	return rc;
}
