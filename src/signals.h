/*
 * Ctrl-C and SIGTERM: the first one sets `interrupted`; the pipeline
 * finishes the current message, checkpoints and stops (exit 130).  A second
 * one gets the default action (notmuch's pattern).
 */
#ifndef MAILSAVE_SIGNALS_H
#define MAILSAVE_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t interrupted;

void signals_install(void);

#endif
