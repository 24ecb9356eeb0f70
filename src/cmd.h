/*
 * Commands: one cmd_<name>.c each, listed in main.c's table.  A command
 * gets argv starting at its own name and returns the process exit code.
 */
#ifndef MAILSAVE_CMD_H
#define MAILSAVE_CMD_H

#include "opts.h"

/* Exit codes (DESIGN.md section 1). */
enum {
	EXIT_DONE = 0,		/* everything done */
	EXIT_PARTIAL = 1,	/* done, but some messages could not be read */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_FATAL = 3,		/* could not go on */
	EXIT_INTERRUPTED = 130	/* stopped by Ctrl-C, everything so far saved */
};

int cmd_export(int argc, char **argv, struct opts *o);
int cmd_list(int argc, char **argv, struct opts *o);
int cmd_status(int argc, char **argv, struct opts *o);
int cmd_verify(int argc, char **argv, struct opts *o);
int cmd_doctor(int argc, char **argv, struct opts *o);

/* version.c: the version banner with linked library versions. */
void print_version(void);

/* main.c: "mailsave: <cmd>: <text>" on stderr. */
void complain(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print a JSON string literal (with quotes) to stdout. */
void json_string(const char *s);

#endif
