/*
 * SIGINT/SIGTERM handling: remember, let the loop finish the message.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

volatile sig_atomic_t interrupted;

static void
handle_stop(int sig)
{
	static const char msg[] =
	    "\nmailsave: stopping after the current message "
	    "(press Ctrl-C again to abort now)\n";
	struct sigaction sa;

	(void)!write(2, msg, sizeof(msg) - 1);
	interrupted = sig;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handle_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
