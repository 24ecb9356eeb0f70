/*
 * The progress line on stderr: messages, bytes, rate and ETA, redrawn at
 * most twice a second, only when stderr is a terminal and -q is not given
 * (curl's tool_progress.c pattern).  progress_done() ends the line.
 */
#ifndef MAILSAVE_PROGRESS_H
#define MAILSAVE_PROGRESS_H

#include <stdint.h>

struct progress {
	int enabled;
	double start;		/* monotonic seconds */
	double last;		/* last redraw */
	int drawn;		/* a line is on the screen */
	int64_t total_bytes;	/* -1 when unknown */
};

void progress_init(struct progress *p, int enabled, int64_t total_bytes);
void progress_update(struct progress *p, uint64_t messages, uint64_t bytes,
    int final);
void progress_done(struct progress *p);
/* Monotonic clock in seconds. */
double progress_now(void);
/* "12.3 MB" style size into out (at least 16 bytes). */
void progress_size(uint64_t bytes, char *out, unsigned long outlen);

#endif
