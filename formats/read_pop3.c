/*
 * The POP3 reader on libetpan: pop3s://user@host[:port] (TLS from the
 * first byte) and pop3://user@host (STLS, required unless the user asked
 * for no TLS).  It reads the one mailbox POP3 has ("INBOX") and never
 * changes anything: no DELE is ever sent, and not even QUIT: a session
 * that ends without QUIT never enters the UPDATE state (RFC 1939 section
 * 6), where servers apply what a session changed (Dovecot marks the
 * messages it sent with RETR \Seen there).
 *
 * The certificate is checked before the password is sent, as for IMAP
 * (net.c).  Login with USER/PASS, APOP, or AUTH with PLAIN, CRAM-MD5,
 * XOAUTH2 or OAUTHBEARER (RFC 5034), chosen by net_auth_choose() from
 * CAPA; the SASL exchange is net.c's, sent on libetpan's stream (its
 * mailpop3_auth() needs Cyrus SASL).  LIST and UIDL (mailpop3_list) give the
 * messages; key = "uidl:<UIDL>" (stable across sessions; without UIDL
 * support, "msg:<n>:<size>", good for one run only).  Messages the index
 * already holds (src->saved) are yielded without RETR.  RETR is sent by
 * hand and its answer streamed through the dot-unstuffing parser below
 * (libetpan's mailpop3_retr() holds the whole message in memory), so
 * memory stays bounded whatever the message size; a message longer than
 * twice its LIST size plus 1 MiB is refused (a server that never ends the
 * answer).  size = -1 (the LIST size may count lines differently), date =
 * 0 (POP3 has no received date: the Date: header counts), no flags.
 *
 * A connection that drops between messages is reopened with back-off
 * (bounded retries) and the messages matched again by UIDL; one that
 * drops inside a message skips that message (the next run gets it).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "formats.h"
#include "net.h"
#include "signals.h"
#include "xalloc.h"

#define POP3_RAW	(64 * 1024)
#define POP3_BACKOFF_MAX	30000	/* ms */

struct pop3_msg {
	unsigned idx;		/* message number in this session */
	uint32_t size;		/* LIST size */
	char *uidl;		/* owned, or NULL */
};

/* Where the dot-unstuffing parser is in a line. */
enum dot_state { D_BOL, D_MID, D_DOT, D_DOTCR };

struct pop3 {
	struct source *src;	/* borrowed: the handle */
	struct net_spec sp;
	struct net_opts no;
	char *password;		/* owned, wiped at close: the password or
				   the OAuth2 token (net_secret) */
	int verbose;		/* -v: say how we logged in */
	unsigned logins;	/* login attempts so far */
	mailpop3 *p;		/* NULL while disconnected */
	unsigned fails;
	int transient;		/* the last connect broke after TCP */
	int usage_error;
	int warned;		/* about an unchecked certificate */

	struct pop3_msg *msgs;	/* owned: this session's messages */
	size_t n, next;		/* next: index of the next to yield */
	struct pop3_msg *cur;	/* the message being read */
	int retr;		/* RETR answer being read */
	int done;		/* the terminating line was seen */
	enum dot_state ds;
	uint64_t got, limit;
	char *raw;		/* owned, POP3_RAW */
	size_t rlen, rpos;

	struct buf key, line;
	struct net_watchdog *wd;	/* owned: cuts drip-feeding servers */
};

static void
pop3_drop(struct pop3 *pp)
{
	if (pp->p != NULL) {
		mailpop3_free(pp->p);
		pp->p = NULL;
	}
	net_watchdog_fd(pp->wd, -1);
	pp->retr = 0;
}

/* Count what the server sends, for the drip-feed watchdog (net.h). */
static void
pop3_logger(mailpop3 *s, int type, const char *str, size_t size, void *ctx)
{
	struct pop3 *pp = ctx;

	(void)s;
	(void)str;
	if (type == MAILSTREAM_LOG_TYPE_DATA_RECEIVED)
		net_watchdog_rx(pp->wd, size);
}

/* "connection lost", or why the watchdog cut it; in a static buffer. */
static const char *
pop3_lost(struct pop3 *pp)
{
	static char why[128];
	char cut[96];

	if (net_watchdog_why(pp->wd, cut, sizeof(cut)))
		snprintf(why, sizeof(why), "connection cut: %s (too slow)",
		    cut);
	else
		snprintf(why, sizeof(why), "connection lost");
	return why;
}

static int
pop3_broken(int r)
{
	return r == MAILPOP3_ERROR_STREAM || r == MAILPOP3_ERROR_SSL ||
	    r == MAILPOP3_ERROR_BAD_STATE || r == MAILPOP3_ERROR_MEMORY ||
	    r == MAILPOP3_ERROR_CONNECTION_REFUSED;
}

/* The server's words of the last answer, or "". */
static const char *
pop3_words(struct pop3 *pp)
{
	return pp->p != NULL && pp->p->pop3_response != NULL ?
	    pp->p->pop3_response : "";
}

static void
pop3_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	struct pop3 *pp = data;

	if (!net_is_ip(pp->sp.host))
		mailstream_ssl_set_server_name(ctx, pp->sp.host);
}

static int
pop3_verify(struct pop3 *pp)
{
	const unsigned char **der;
	size_t *len, n;
	carray *chain;
	int st;

	if (pp->no.insecure && pp->no.pin == NULL) {
		if (pp->warned++)
			return MS_OK;
		/* Readers do not print; this cannot wait (read_imap.c). */
		fprintf(stderr, "mailsave: WARNING: not checking the "
		    "certificate of %s (insecure): anyone on the way can read "
		    "the password and the mail\n", pp->sp.host);
		return MS_OK;
	}
	chain = mailstream_get_certificate_chain(pp->p->pop3_stream);
	n = chain != NULL ? carray_count(chain) : 0;
	der = xcalloc(n + 1, sizeof(*der));
	len = xcalloc(n + 1, sizeof(*len));
	for (size_t i = 0; i < n; i++) {
		MMAPString *c = carray_get(chain, (unsigned)i);

		der[i] = (const unsigned char *)c->str;
		len[i] = c->len;
	}
	st = net_verify_chain(der, len, n, pp->sp.host, &pp->no,
	    &pp->src->err);
	free(der);
	free(len);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return st;
}

static void
msgs_free(struct pop3 *pp)
{
	for (size_t i = 0; i < pp->n; i++)
		free(pp->msgs[i].uidl);
	free(pp->msgs);
	pp->msgs = NULL;
	pp->n = 0;
}

/* LIST and UIDL into pp->msgs (replacing what was there). */
static int
pop3_load(struct pop3 *pp)
{
	carray *tab = NULL;
	int r;

	r = mailpop3_list(pp->p, &tab);
	if (r != MAILPOP3_NO_ERROR) {
		if (pop3_broken(r))
			pp->transient = 1;
		return err_set(&pp->src->err, MS_FATAL, 0, "LIST on %s: %s",
		    pp->sp.host, *pop3_words(pp) ? pop3_words(pp) :
		    "connection lost");
	}
	msgs_free(pp);
	pp->msgs = xcalloc(carray_count(tab) + 1, sizeof(*pp->msgs));
	for (unsigned i = 0; i < carray_count(tab); i++) {
		struct mailpop3_msg_info *mi = carray_get(tab, i);

		if (mi == NULL)
			continue;
		pp->msgs[pp->n].idx = mi->msg_index;
		pp->msgs[pp->n].size = mi->msg_size;
		pp->msgs[pp->n].uidl = mi->msg_uidl != NULL ?
		    xstrdup(mi->msg_uidl) : NULL;
		pp->n++;
	}
	return MS_OK;
}

/* net_sasl_run()'s transport: libetpan's stream, unlogged. */
static int
pop3_io_send(void *arg, const char *s, size_t n)
{
	struct pop3 *pp = arg;
	mailstream *ms = pp->p->pop3_stream;

	return mailstream_write(ms, s, n) == (ssize_t)n &&
	    mailstream_flush(ms) == 0 ? 0 : -1;
}

static const char *
pop3_io_read(void *arg)
{
	struct pop3 *pp = arg;

	return mailstream_read_line_remove_eol(pp->p->pop3_stream,
	    pp->p->pop3_stream_buffer);
}

/* libetpan's POP3_STATE_TRANSACTION (private to its mailpop3.c). */
#define POP3_LIBETPAN_TRANSACTION	2

/* AUTH with a SASL mechanism.  Returns a MAILPOP3_ code. */
static int
pop3_sasl(struct pop3 *pp, int mech)
{
	mailstream *ms = pp->p->pop3_stream;
	struct net_sasl_io io = {
		.arg = pp,
		.send = pop3_io_send,
		.read_line = pop3_io_read,
	};
	struct net_sasl a = {
		.proto = NET_PROTO_POP3,
		.mech = mech,
		.user = pp->sp.user,
		.secret = pp->password,
		.host = pp->sp.host,
		.port = pp->sp.port,
	};
	const char *line;

	mailstream_set_privacy(ms, 0);
	line = net_sasl_run(&a, &io);
	mailstream_set_privacy(ms, 1);
	buf_reset(&pp->line);
	if (line == NULL)
		return MAILPOP3_ERROR_STREAM;
	for (const char *q = line; *q != '\0' && pp->line.len < 300; q++)
		buf_addc(&pp->line, (unsigned char)*q < 0x20 ? ' ' : *q);
	if (strncmp(line, "+OK", 3) != 0)
		return MAILPOP3_ERROR_BAD_PASSWORD;
	pp->p->pop3_state = POP3_LIBETPAN_TRANSACTION;
	return MAILPOP3_NO_ERROR;
}

/*
 * APOP with net.c's digest (libetpan 1.9.4's mailpop3_apop() sends a
 * digest Dovecot refuses).  Returns a MAILPOP3_ code.
 */
static int
pop3_apop(struct pop3 *pp)
{
	struct buf cmd = BUF_INIT;
	const char *line;
	int r;

	buf_addf(&cmd, "APOP %s ", pp->sp.user);
	if (pp->p->pop3_timestamp == NULL || net_apop_digest(&cmd,
	    pp->p->pop3_timestamp, pp->password) != 0) {
		buf_release(&cmd);
		return MAILPOP3_ERROR_APOP_NOT_SUPPORTED;
	}
	buf_adds(&cmd, "\r\n");
	r = pop3_io_send(pp, cmd.s, cmd.len);
	buf_release(&cmd);
	if (r != 0 || (line = pop3_io_read(pp)) == NULL)
		return MAILPOP3_ERROR_STREAM;
	buf_reset(&pp->line);
	for (const char *q = line; *q != '\0' && pp->line.len < 300; q++)
		buf_addc(&pp->line, (unsigned char)*q < 0x20 ? ' ' : *q);
	if (strncmp(line, "+OK", 3) != 0)
		return MAILPOP3_ERROR_DENIED;
	pp->p->pop3_state = POP3_LIBETPAN_TRANSACTION;
	return MAILPOP3_NO_ERROR;
}

/* What the server allows: CAPA (RFC 2449), the greeting's timestamp. */
static int
pop3_offer(struct pop3 *pp, struct net_offer *of)
{
	clist *caps = NULL;
	int r;

	memset(of, 0, sizeof(*of));
	of->tls = pp->sp.implicit_tls || !pp->no.tls_none;
	of->apop = pp->p->pop3_timestamp != NULL;
	r = mailpop3_capa(pp->p, &caps);
	if (r == MAILPOP3_ERROR_CAPA_NOT_SUPPORTED) {
		/* An RFC 1939 server: USER and PASS. */
		of->login = 1;
		return MAILPOP3_NO_ERROR;
	}
	if (r != MAILPOP3_NO_ERROR)
		return r;
	for (clistiter *c = clist_begin(caps); c != NULL; c = clist_next(c)) {
		struct mailpop3_capa *cap = clist_content(c);

		if (strcasecmp(cap->cap_name, "USER") == 0)
			of->login = 1;
		if (strcasecmp(cap->cap_name, "SASL") != 0 ||
		    cap->cap_param == NULL)
			continue;
		for (clistiter *p = clist_begin(cap->cap_param); p != NULL;
		    p = clist_next(p)) {
			const char *m = clist_content(p);

			of->sasl |= net_mech_sasl_bit(m, strlen(m));
		}
	}
	mailpop3_capa_resp_free(caps);
	return MAILPOP3_NO_ERROR;
}

/* Log in with the best way the server offers (or --auth). */
static int
pop3_login(struct pop3 *pp)
{
	struct net_offer of;
	const char *how;
	int mech, r;

	if (pp->logins++ > 0 && net_auth_oauth(&pp->no)) {
		/* A fresh token: the last one may have expired. */
		struct err e;
		char *tok = NULL;

		err_clear(&e);
		if (net_secret(&pp->no, &pp->sp, &tok, &e) == MS_OK) {
			net_password_free(pp->password);
			pp->password = tok;
		}
	}
	r = pop3_offer(pp, &of);
	if (r != MAILPOP3_NO_ERROR) {
		pp->transient = 1;
		return err_set(&pp->src->err, MS_FATAL, 0, "CAPA on %s: "
		    "connection lost", pp->sp.host);
	}
	if (net_auth_choose(&pp->no, &of, &mech, &pp->src->err) != MS_OK) {
		pp->src->err.sys_errno = EACCES;
		return MS_FATAL;
	}
	buf_reset(&pp->line);
	switch (mech) {
	case NET_MECH_LOGIN:
		how = "USER/PASS";
		r = mailpop3_user(pp->p, pp->sp.user);
		if (r == MAILPOP3_NO_ERROR)
			r = mailpop3_pass(pp->p, pp->password);
		break;
	case NET_MECH_APOP:
		how = "APOP";
		r = pop3_apop(pp);
		break;
	default:
		how = net_mech_name(mech);
		r = pop3_sasl(pp, mech);
		break;
	}
	char what[64];

	snprintf(what, sizeof(what), "%s%s", mech == NET_MECH_LOGIN ||
	    mech == NET_MECH_APOP ? "" : "AUTH ", how);
	how = what;
	if (r == MAILPOP3_NO_ERROR) {
		if (pp->verbose > 0)
			fprintf(stderr, "mailsave: %s: logged in as %s with "
			    "%s%s\n", pp->sp.host, pp->sp.user, how, of.tls ?
			    " over TLS" : "");
		return MS_OK;
	}
	if (pop3_broken(r)) {
		pp->transient = 1;
		return err_set(&pp->src->err, MS_FATAL, 0, "login to %s as "
		    "%s (%s): connection lost", pp->sp.host, pp->sp.user, how);
	}
	err_set(&pp->src->err, MS_FATAL, 0, "login to %s as %s refused "
	    "(%s): %s", pp->sp.host, pp->sp.user, how, pp->line.len ?
	    pp->line.s : *pop3_words(pp) ? pop3_words(pp) : "no reason given");
	pp->src->err.sys_errno = EACCES;
	return MS_FATAL;
}

/* Connect, check the certificate, log in, list.  On failure p is NULL. */
static int
pop3_connect(struct pop3 *pp)
{
	mailstream *ms;
	int fd, r, st;

	pp->transient = 0;
	if (net_connect(pp->sp.host, pp->sp.port, pp->no.timeout, &fd,
	    &pp->src->err) != MS_OK)
		return MS_FATAL;
	pp->p = mailpop3_new(0, NULL);
	if (pp->p == NULL) {
		close(fd);
		return err_set(&pp->src->err, MS_FATAL, ENOMEM, "pop3");
	}
	mailpop3_set_timeout(pp->p, pp->no.timeout);
	mailpop3_set_logger(pp->p, pop3_logger, pp);
	net_watchdog_fd(pp->wd, fd);
	if (pp->sp.implicit_tls)
		ms = mailstream_ssl_open_with_callback_timeout(fd,
		    pp->no.timeout, pop3_tls_setup, pp);
	else
		ms = mailstream_socket_open_timeout(fd, pp->no.timeout);
	if (ms == NULL) {
		close(fd);
		pp->transient = 1;
		st = err_set(&pp->src->err, MS_FATAL, 0, "%s port %u: %s "
		    "failed", pp->sp.host, (unsigned)pp->sp.port,
		    pp->sp.implicit_tls ? "TLS handshake" : "connection");
		goto fail;
	}
	r = mailpop3_connect(pp->p, ms);
	if (r != MAILPOP3_NO_ERROR) {
		pp->transient = 1;
		st = err_set(&pp->src->err, MS_FATAL, 0, "%s port %u: no POP3 "
		    "greeting%s%s", pp->sp.host, (unsigned)pp->sp.port,
		    *pop3_words(pp) ? ": " : "", pop3_words(pp));
		goto fail;
	}
	if (pp->sp.implicit_tls && (st = pop3_verify(pp)) != MS_OK)
		goto fail;
	if (!pp->sp.implicit_tls && !pp->no.tls_none) {
		r = mailpop3_socket_starttls_with_callback(pp->p,
		    pop3_tls_setup, pp);
		if (r == MAILPOP3_ERROR_STLS_NOT_SUPPORTED) {
			st = err_set(&pp->src->err, MS_FATAL, 0, "%s does not "
			    "offer STLS: use pop3s:// (port 995), or allow an "
			    "unencrypted connection with --tls=none",
			    pp->sp.host);
			goto fail;
		}
		if (r != MAILPOP3_NO_ERROR) {
			pp->transient = pop3_broken(r);
			st = err_set(&pp->src->err, MS_FATAL, 0, "STLS with %s "
			    "failed", pp->sp.host);
			goto fail;
		}
		if ((st = pop3_verify(pp)) != MS_OK)
			goto fail;
	}
	if ((st = pop3_login(pp)) != MS_OK)
		goto fail;
	if ((st = pop3_load(pp)) != MS_OK)
		goto fail;
	return MS_OK;
fail:
	pop3_drop(pp);
	return st;
}

static void
pop3_backoff(struct pop3 *pp)
{
	const char *v = getenv("MAILSAVE_BACKOFF_MS");
	long ms = v != NULL && *v != '\0' ? atol(v) : 1000;

	for (unsigned i = 1; i < pp->fails && ms < POP3_BACKOFF_MAX; i++)
		ms *= 2;
	if (ms > POP3_BACKOFF_MAX)
		ms = POP3_BACKOFF_MAX;
	while (ms > 0 && !interrupted) {
		long step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/*
 * Reconnect after a drop, then find where we were: the first message of
 * the new listing whose UIDL was not yet yielded.
 */
static int
pop3_ensure(struct pop3 *pp)
{
	char *last = NULL;
	int st = MS_OK;

	if (pp->p != NULL)
		return MS_OK;
	if (pp->next > 0 && pp->msgs[pp->next - 1].uidl != NULL)
		last = xstrdup(pp->msgs[pp->next - 1].uidl);
	for (;;) {
		if (pp->fails > pp->no.retries) {
			char why[sizeof(pp->src->err.msg)];

			snprintf(why, sizeof(why), "%s", pp->src->err.msg);
			st = err_set(&pp->src->err, MS_FATAL, 0, "gave up "
			    "after %u attempts to reconnect: %s",
			    pp->no.retries, why);
			break;
		}
		if (interrupted) {
			st = err_set(&pp->src->err, MS_FATAL, 0, "interrupted "
			    "while reconnecting");
			break;
		}
		if (pp->fails > 0)
			pop3_backoff(pp);
		if ((st = pop3_connect(pp)) == MS_OK)
			break;
		if (pp->src->err.sys_errno == EACCES)
			break;
		pp->fails++;
	}
	if (st == MS_OK && pp->next > 0) {
		/* Messages keep their order; skip up to the last one seen. */
		size_t i = 0;

		if (last != NULL) {
			for (i = 0; i < pp->n; i++)
				if (pp->msgs[i].uidl != NULL &&
				    strcmp(pp->msgs[i].uidl, last) == 0)
					break;
			i = i < pp->n ? i + 1 : 0;
		}
		pp->next = i;
	}
	free(last);
	return st;
}

static int
pop3_probe(const char *spec)
{
	return net_spec_is(spec, "pop3s") || net_spec_is(spec, "pop3") ?
	    100 : 0;
}

static void
pop3_free(struct pop3 *pp)
{
	if (pp == NULL)
		return;
	/* No QUIT: see the top of the file. */
	pop3_drop(pp);
	net_watchdog_free(pp->wd);
	msgs_free(pp);
	free(pp->raw);
	net_password_free(pp->password);
	net_spec_release(&pp->sp);
	buf_release(&pp->key);
	buf_release(&pp->line);
	free(pp);
}

static int
pop3_open(struct source *src, const char *spec, const struct opts *o)
{
	struct pop3 *pp = xcalloc(1, sizeof(*pp));
	int st;

	pp->src = src;
	buf_init(&pp->key);
	buf_init(&pp->line);
	if (net_spec_parse(&pp->sp, spec, &src->err) != MS_OK) {
		free(pp);
		return MS_FATAL;
	}
	src->data = pp;
	pp->raw = xmalloc(POP3_RAW);
	net_opts_init(&pp->no, o);
	pp->wd = net_watchdog_new(pp->no.timeout);
	net_watchdog_arm(pp->wd, 1);	/* source_open() disarms */
	src->waiting = net_watchdog_arm;
	src->waiting_arg = pp->wd;
	pp->verbose = o != NULL ? o->verbose : 0;
	if (pp->no.tls_none && pp->sp.implicit_tls)
		return err_set(&src->err, MS_FATAL, 0, "%s: --tls=none "
		    "contradicts pop3s:// (write pop3://)", spec);
	if (pp->sp.path != NULL && strcasecmp(pp->sp.path, "INBOX") != 0)
		return err_set(&src->err, MS_FATAL, 0, "%s: POP3 has only "
		    "INBOX (no folder in a pop3 address)", spec);
	if (net_secret(&pp->no, &pp->sp, &pp->password, &src->err) !=
	    MS_OK)
		return MS_FATAL;
	if (strpbrk(pp->password, "\r\n") != NULL ||
	    strpbrk(pp->sp.user, "\r\n ") != NULL)
		return err_set(&src->err, MS_FATAL, 0, "the user name or "
		    "password holds characters POP3 cannot carry");
	/* As for IMAP (read_imap.c): not after a time-out. */
	for (;;) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = pop3_connect(pp);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (st != MS_OK &&
		    t1.tv_sec - t0.tv_sec + 1 >= (time_t)pp->no.timeout) {
			size_t n = strlen(src->err.msg);

			pp->transient = 0;
			if (strstr(src->err.msg, "timed out") == NULL)
				snprintf(src->err.msg + n,
				    sizeof(src->err.msg) - n,
				    " (no answer for %u s)", pp->no.timeout);
		}
		if (st == MS_OK || !pp->transient ||
		    pp->fails >= pp->no.retries ||
		    pp->fails >= NET_OPEN_RETRIES || interrupted)
			break;
		pp->fails++;
		pop3_backoff(pp);
	}
	pp->fails = 0;
	if (st != MS_OK && src->err.sys_errno != EACCES)
		src->err.sys_errno = EIO;
	return st;
}

/* Send RETR and read its status line.  MS_OK, MS_SKIP or MS_FATAL. */
static int
pop3_retr(struct pop3 *pp)
{
	mailstream *ms = pp->p->pop3_stream;
	char cmd[32];
	const char *line;
	int n;

	n = snprintf(cmd, sizeof(cmd), "RETR %u\r\n", pp->cur->idx);
	if (mailstream_write(ms, cmd, (size_t)n) != n ||
	    mailstream_flush(ms) != 0 ||
	    (line = mailstream_read_line(ms, pp->p->pop3_stream_buffer)) ==
	    NULL) {
		const char *why = pop3_lost(pp);

		pop3_drop(pp);
		pp->fails++;
		return err_set(&pp->src->err, MS_SKIP, 0, "message %u: %s",
		    pp->cur->idx, why);
	}
	if (strncmp(line, "+OK", 3) != 0) {
		buf_reset(&pp->line);
		for (const char *q = line; *q != '\0' && *q != '\r' &&
		    *q != '\n' && pp->line.len < 300; q++)
			buf_addc(&pp->line, *q);
		return err_set(&pp->src->err, MS_SKIP, 0, "message %u: the "
		    "server said: %s", pp->cur->idx, pp->line.s);
	}
	pp->retr = 1;
	pp->done = 0;
	pp->ds = D_BOL;
	pp->got = 0;
	pp->rlen = pp->rpos = 0;
	pp->limit = 2 * (uint64_t)pp->cur->size + (1u << 20);
	return MS_OK;
}

static int
pop3_next(struct source *src, struct msg *m)
{
	struct pop3 *pp = src->data;
	struct pop3_msg *pm;
	int st;

	if (pp->retr) {
		/* The previous message was not read to its end: the rest of
		 * the answer is still coming; a new connection is simpler. */
		pop3_drop(pp);
	}
	pp->cur = NULL;
	if ((st = pop3_ensure(pp)) != MS_OK)
		return st;
	if (pp->next >= pp->n)
		return MS_EOF;
	pm = &pp->msgs[pp->next++];
	buf_reset(&pp->key);
	if (pm->uidl != NULL)
		buf_addf(&pp->key, "uidl:%s", pm->uidl);
	else
		buf_addf(&pp->key, "msg:%u:%u", pm->idx, pm->size);
	pp->cur = pm;
	pp->done = 0;
	m->folder = "INBOX";
	m->folder_raw = NULL;
	m->key = pp->key.s;
	m->size = -1;
	m->date = 0;
	m->flags = 0;
	return MS_OK;
}

/*
 * Move the RETR answer from raw into out, removing the dot-stuffing and
 * stopping at the terminating "." line.  Returns the bytes produced.
 */
static size_t
unstuff(struct pop3 *pp, char *out, size_t len)
{
	size_t o = 0;

	while (pp->rpos < pp->rlen && o < len && !pp->done) {
		char c = pp->raw[pp->rpos++];

		switch (pp->ds) {
		case D_BOL:
			if (c == '.') {
				pp->ds = D_DOT;
				break;
			}
			out[o++] = c;
			pp->ds = c == '\n' ? D_BOL : D_MID;
			break;
		case D_MID:
			out[o++] = c;
			if (c == '\n')
				pp->ds = D_BOL;
			break;
		case D_DOT:
			if (c == '\r') {
				pp->ds = D_DOTCR;
			} else if (c == '\n') {
				pp->done = 1;	/* ".\n": lenient */
			} else {
				out[o++] = c;	/* the stuffed '.' goes */
				pp->ds = D_MID;
			}
			break;
		case D_DOTCR:
			if (c == '\n') {
				pp->done = 1;
			} else {
				/* ".\r" then more: keep the "\r", go on. */
				out[o++] = '\r';
				pp->rpos--;
				pp->ds = D_MID;
			}
			break;
		}
	}
	return o;
}

static int
pop3_read(struct source *src, void *buf, size_t len, size_t *got)
{
	struct pop3 *pp = src->data;
	size_t n = 0;
	int st;

	*got = 0;
	if (pp->cur == NULL)
		return MS_OK;
	if (!pp->retr) {
		if (pp->done)
			return MS_OK;	/* read to the end already */
		if ((st = pop3_ensure(pp)) != MS_OK)
			return st == MS_FATAL ? MS_FATAL : MS_SKIP;
		if ((st = pop3_retr(pp)) != MS_OK)
			return st;
	}
	while (n == 0 && !pp->done) {
		if (pp->rpos == pp->rlen) {
			mailstream *ms = pp->p->pop3_stream;
			size_t want = POP3_RAW;
			ssize_t r;

			/*
			 * mailstream_read() empties its buffer and then waits
			 * for more: ask for what is buffered, when anything is,
			 * or it waits for bytes the server will never send.
			 */
			if (ms->read_buffer_len > 0 &&
			    ms->read_buffer_len < want)
				want = ms->read_buffer_len;
			r = mailstream_read(ms, pp->raw, want);

			if (r <= 0) {
				unsigned idx = pp->cur->idx;
				const char *why = pop3_lost(pp);

				pop3_drop(pp);
				pp->fails++;
				return err_set(&src->err, MS_SKIP, 0, "message "
				    "%u: %s in the middle", idx, why);
			}
			pp->rlen = (size_t)r;
			pp->rpos = 0;
		}
		n = unstuff(pp, buf, len);
		pp->got += n;
		if (pp->got > pp->limit) {
			pop3_drop(pp);
			return err_set(&src->err, MS_SKIP, 0, "message %u: "
			    "longer than twice its announced %u bytes; the "
			    "server does not end it", pp->cur->idx,
			    pp->cur->size);
		}
	}
	if (pp->done) {
		pp->retr = 0;
		pp->fails = 0;
	}
	*got = n;
	return MS_OK;
}

static int
pop3_folders(struct source *src, int (*cb)(const struct folder_info *,
    void *), void *arg)
{
	struct pop3 *pp = src->data;
	struct folder_info fi = { .name = "INBOX" };

	for (size_t i = 0; i < pp->n; i++) {
		fi.messages++;
		fi.bytes += pp->msgs[i].size;
	}
	return cb(&fi, arg) != 0 ? MS_FATAL : MS_OK;
}

static void
pop3_close(struct source *src)
{
	pop3_free(src->data);
	src->data = NULL;
}

const struct source_ops pop3_source = {
	.name = "pop3",
	.network = 1,
	.prefix = NULL,
	.probe = pop3_probe,
	.open = pop3_open,
	.next = pop3_next,
	.read = pop3_read,
	.folders = pop3_folders,
	.close = pop3_close,
};
