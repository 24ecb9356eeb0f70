/*
 * Ctrl-C and SIGTERM: the first one sets `interrupted`; the pipeline
 * finishes the current message, checkpoints and stops (exit 130), doctor
 * ends its current check.  A second one gets the default action
 * (notmuch's pattern).
 */
#ifndef MAILSAVE_SIGNALS_H
#define MAILSAVE_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t interrupted;

/*
 * For a command that watches `interrupted`: CURRENT names what it finishes
 * first ("message", "check") in what the first signal prints.  NULL leaves
 * SIGINT and SIGTERM at their default (a read-only command just stops).
 * SIGPIPE is ignored either way.
 */
void signals_install(const char *current);

#endif
