/*
 * The network half of `mailsave doctor`: resolve a mail server, try its
 * ports, speak TLS and the mail protocols to it, and report every step
 * with what to do when a step fails.  The command (src/cmd_doctor.c)
 * only prints the steps; OpenSSL stays here.
 */
#ifndef MAILSAVE_DOCTOR_NET_H
#define MAILSAVE_DOCTOR_NET_H

#include "err.h"
#include "opts.h"

/* How a step went. */
enum dn_status {
	DN_OK = 0,		/* ✔ */
	DN_WARN,		/* works, but look at this */
	DN_FAIL,		/* ✘: advice says what to do */
	DN_INFO			/* a fact worth showing (the pin) */
};

/* One step of the checklist; every string lives for the callback only. */
struct dn_item {
	const char *step;	/* "dns", "tcp", "tls", "certificate", ... */
	const char *where;	/* "host:port" or the host name */
	int status;		/* enum dn_status */
	const char *detail;	/* what was found, one line */
	const char *advice;	/* what to do, one line, or NULL */
	long ms;		/* how long the step took, -1 when not timed */
};

typedef void dn_report_fn(void *arg, const struct dn_item *it);

/*
 * Diagnose target: an account address (imaps://user@host[:port] and the
 * other schemes net_spec_parse() takes) or a bare host or e-mail domain
 * (then IMAP, POP3 and SMTP submission on their usual ports).  Calls
 * report for each step, in order.  Returns MS_OK when the account (or, for
 * a bare host, at least one way to read mail) works, MS_FAILED when a
 * step failed, MS_FATAL with e set when target is unusable (a usage
 * error).
 */
int doctor_net_run(const char *target, const struct opts *o,
    dn_report_fn *report, void *arg, struct err *e);

/* Whether target looks like a server (a URL or a host) and not a path. */
int doctor_net_is_server(const char *target);

#endif
