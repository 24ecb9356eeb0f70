/*
 * SIGINT/SIGTERM handling: remember, let the loop finish what it does.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

volatile sig_atomic_t interrupted;

static char stop_msg[160];	/* made before the handler is installed */
static size_t stop_len;

static void
handle_stop(int sig)
{
	struct sigaction sa;

	(void)!write(2, stop_msg, stop_len);
	interrupted = sig;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void
signals_install(const char *current)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	if (current != NULL) {
		int n = snprintf(stop_msg, sizeof(stop_msg), "\nmailsave: "
		    "stopping after the current %s (press Ctrl-C again to "
		    "abort now)\n", current);

		stop_len = n < 0 ? 0 : (size_t)n < sizeof(stop_msg) ?
		    (size_t)n : sizeof(stop_msg) - 1;
		sa.sa_handler = handle_stop;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
