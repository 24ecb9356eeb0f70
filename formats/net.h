/*
 * What the network readers (read_imap.c, read_pop3.c) share: the account
 * address (imaps://user@host:port/folder), the connection options, the
 * password, a TCP connection kept below FD_SETSIZE, TLS certificate
 * verification with OpenSSL (libetpan's GnuTLS build verifies nothing,
 * research/libetpan.md 5.2), authentication (the choice of a mechanism and
 * the SASL exchange, shared with doctor), and IMAP folder-name decoding
 * (modified UTF-7, RFC 3501 5.1.3).
 *
 * Ownership: every string in struct net_spec and struct net_opts that is
 * marked owned is freed by the matching _release(); borrowed strings come
 * from the environment or argv and live for the whole run.
 */
#ifndef MAILSAVE_NET_H
#define MAILSAVE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "opts.h"

/* An account address, parsed. */
struct net_spec {
	char *scheme;		/* owned: "imaps", "imap", "pop3s" or
				   "pop3" */
	char *user;		/* owned: percent-decoded, never NULL */
	char *host;		/* owned: without IPv6 brackets */
	uint16_t port;		/* given, or the scheme's default */
	char *path;		/* owned: percent-decoded folder, or NULL */
	int implicit_tls;	/* imaps://, pop3s:// */
};

/*
 * How to connect.  Until struct opts has these fields they come from the
 * environment (net_opts_init): MAILSAVE_TLS=none, MAILSAVE_CA_FILE,
 * MAILSAVE_INSECURE=1, MAILSAVE_PIN=sha256:..., MAILSAVE_PASSWORD_FILE,
 * MAILSAVE_PASSWORD_COMMAND, MAILSAVE_OAUTH2_TOKEN_COMMAND,
 * MAILSAVE_AUTH=auto|login|plain|cram-md5|xoauth2|oauthbearer|apop,
 * MAILSAVE_TIMEOUT.
 */
struct net_opts {
	int tls_none;		/* plaintext allowed (--tls=none) */
	const char *ca_file;	/* borrowed: trust only this CA file */
	int insecure;		/* do not verify the certificate at all */
	const char *pin;	/* borrowed: "sha256:<hex>" of the server
				   certificate (colons allowed), or NULL */
	const char *password_file;	/* borrowed */
	const char *password_command;	/* borrowed */
	const char *oauth2_token_command;	/* borrowed: prints an OAuth2
				   access token; the account then logs in
				   with XOAUTH2 or OAUTHBEARER */
	const char *auth;	/* borrowed: a net_mech_parse() name, or NULL
				   (the best offered: net_auth_choose) */
	unsigned timeout;	/* seconds of silence before giving up */
	unsigned retries;	/* reconnections after a dropped connection */
};

/* Reconnections allowed while opening (later ones: net_opts.retries). */
#define NET_OPEN_RETRIES	2

/* Default ports. */
#define NET_PORT_IMAPS	993
#define NET_PORT_IMAP	143
#define NET_PORT_POP3S	995
#define NET_PORT_POP3	110

/*
 * Parse "scheme://[user@]host[:port][/path]".  The user may hold '@'
 * (the last '@' before the host ends it) and %XX escapes, the host may be
 * an IPv6 literal in brackets.  Returns MS_OK, or MS_FATAL with the reason
 * in e (the spec is a usage error: sys_errno stays 0).
 */
int net_spec_parse(struct net_spec *sp, const char *spec, struct err *e);
void net_spec_release(struct net_spec *sp);
/* Whether spec starts with one of the schemes (case-insensitive). */
int net_spec_is(const char *spec, const char *scheme);

/* Fill the options from o and the environment (see struct net_opts). */
void net_opts_init(struct net_opts *no, const struct opts *o);

/*
 * The password for sp->user: MAILSAVE_PASSWORD, else the first line of
 * the password file, else the first line the password command prints,
 * else ~/.netrc (machine host login user password ...), else a no-echo
 * prompt when stdin is a terminal.  *out is owned by
 * the caller: wipe it with net_password_free().  Returns MS_OK or
 * MS_FATAL (no password anywhere, unreadable file, failed command).  The
 * password never appears in an error message.
 */
int net_password(const struct net_opts *no, const struct net_spec *sp,
    char **out, struct err *e);
void net_password_free(char *pw);

/*
 * The secret to log in with: the access token the OAuth2 token command
 * prints (first line) when one was given, else net_password().  Wipe it
 * with net_password_free().  Returns MS_OK or MS_FATAL (the token never
 * appears in a message).
 */
int net_secret(const struct net_opts *no, const struct net_spec *sp,
    char **out, struct err *e);
/* Whether net_secret() gives an OAuth2 token rather than a password. */
int net_auth_oauth(const struct net_opts *no);

/*
 * Authentication mechanisms.  NET_MECH_LOGIN is the protocol's own
 * command (IMAP LOGIN, POP3 USER and PASS), NET_MECH_APOP is POP3's APOP;
 * the others are SASL mechanisms (IMAP AUTHENTICATE, POP3 AUTH).
 */
enum net_mech {
	NET_MECH_AUTO = 0,	/* choose: net_auth_choose() */
	NET_MECH_LOGIN,
	NET_MECH_PLAIN,		/* RFC 4616 */
	NET_MECH_CRAM_MD5,	/* RFC 2195 */
	NET_MECH_XOAUTH2,	/* Google's and Microsoft's OAuth2 */
	NET_MECH_OAUTHBEARER,	/* RFC 7628 */
	NET_MECH_APOP		/* RFC 1939 7 */
};
#define NET_MECH_BIT(m)	(1u << (m))

/* The --auth value ("auto", "login", "cram-md5", ...) or -1. */
int net_mech_parse(const char *name);
/* "PLAIN", "CRAM-MD5", ..., "LOGIN", "APOP". */
const char *net_mech_name(int mech);
/* The NET_MECH_BIT() of a SASL mechanism name s[0..n), or 0. */
unsigned net_mech_sasl_bit(const char *s, size_t n);

/* What a server allows, from its capabilities. */
struct net_offer {
	unsigned sasl;		/* NET_MECH_BIT()s of its SASL mechanisms */
	int login;		/* its own command is allowed (IMAP: no
				   LOGINDISABLED; POP3: USER) */
	int apop;		/* POP3: the greeting has an APOP timestamp */
	int tls;		/* the connection is encrypted */
};

/*
 * The mechanism to use, from --auth and what the server offers.  With an
 * OAuth2 token command: OAUTHBEARER, else XOAUTH2.  Otherwise, over TLS:
 * PLAIN, else LOGIN, else CRAM-MD5; without TLS (--tls=none) the password
 * is kept off the wire when the server allows: CRAM-MD5, APOP, then PLAIN
 * and LOGIN.  When LOGIN is disabled and nothing else is offered, PLAIN
 * is tried.  An --auth the server does not offer is refused (PLAIN and
 * LOGIN excepted: servers take them unannounced).  Returns MS_OK with
 * *mech set, or MS_FATAL with the reason and what the server offers.
 */
int net_auth_choose(const struct net_opts *no, const struct net_offer *of,
    int *mech, struct err *e);

enum net_proto { NET_PROTO_IMAP, NET_PROTO_POP3 };

/* How net_sasl_run() talks to the server. */
struct net_sasl_io {
	void *arg;
	/* Send s[0..n) (whole lines) and flush.  Returns 0 or -1. */
	int (*send)(void *arg, const char *s, size_t n);
	/*
	 * The next line the server sent, NUL-terminated, with or without its
	 * CR LF; valid until the next call.  NULL when the connection broke.
	 */
	const char *(*read_line)(void *arg);
};

/* One SASL exchange. */
struct net_sasl {
	enum net_proto proto;
	int mech;		/* PLAIN, CRAM-MD5, XOAUTH2, OAUTHBEARER */
	const char *prefix;	/* IMAP: "TAG ", or "" when sent already */
	int ir;			/* the server takes an initial response on
				   the command line (IMAP: SASL-IR) */
	const char *user;
	const char *secret;	/* the password or the token */
	const char *host;	/* for OAUTHBEARER */
	uint16_t port;
	struct buf *said;	/* or NULL: an error challenge the server
				   sent (XOAUTH2's JSON), decoded */
};

/*
 * Run AUTHENTICATE (IMAP) or AUTH (POP3) with a SASL mechanism: send the
 * command, answer the server's challenges ("+ ..."), and return the first
 * line that is not a challenge (IMAP: the tagged answer or an untagged
 * line before it; POP3: +OK or -ERR) for the caller to judge, or NULL
 * when the connection broke.  An error challenge is answered as the
 * mechanism says (XOAUTH2: an empty line, OAUTHBEARER: %x01), anything
 * unexpected with "*" (cancel).  Secrets pass through io->send only.
 */
const char *net_sasl_run(const struct net_sasl *a,
    const struct net_sasl_io *io);

/*
 * The base64 client response of a mechanism, appended to out: the initial
 * response of PLAIN, XOAUTH2 and OAUTHBEARER (challenge unused), or the
 * answer of CRAM-MD5 to challenge (base64, as the server sent it).
 * Returns 0, or -1 when the challenge is not base64.  out holds the
 * secret: wipe it (explicit_bzero) before releasing it.
 */
int net_sasl_response(struct buf *out, const struct net_sasl *a,
    const char *challenge, size_t clen);

/*
 * APOP (RFC 1939 7): the hex MD5 of the greeting's timestamp ("<...>")
 * and the password, appended to out.  Returns 0, or -1 when the greeting
 * has no timestamp.
 */
int net_apop_digest(struct buf *out, const char *greeting,
    const char *password);

/*
 * A TCP connection to host:port within timeout seconds, the socket moved
 * below 1024 (libetpan waits with select(): a higher descriptor aborts
 * the process, research/libetpan.md 5.1).  Returns MS_OK with *fd set, or
 * MS_FATAL with the reason (sys_errno set).
 */
int net_connect(const char *host, uint16_t port, unsigned timeout, int *fd,
    struct err *e);

/*
 * Connect to one resolved address within timeout seconds (a non-blocking
 * connect, then poll; Ctrl-C stops the wait), the descriptor kept below
 * 1024.  Returns it, or -1 with errno set (ETIMEDOUT when the time ran
 * out).  net_connect() and doctor use it.
 */
struct addrinfo;
int net_connect_addr(const struct addrinfo *ai, unsigned timeout);

/* Whether host is an IPv4 or IPv6 address literal. */
int net_is_ip(const char *host);

/*
 * Verify the certificate chain a server sent (DER certificates, leaf
 * first) for host: against no->ca_file or the system store, with
 * host-name (or IP address) checks; a matching no->pin is enough on its
 * own; no->insecure accepts anything.  Returns MS_OK, or MS_FATAL with
 * the reason, the certificate's SHA-256 fingerprint and what to do.
 */
int net_verify_chain(const unsigned char *const *der, const size_t *len,
    size_t n, const char *host, const struct net_opts *no, struct err *e);

/*
 * Modified UTF-7 (RFC 3501 5.1.3) to UTF-8, appended to out.  Returns 0,
 * or -1 when s is not valid modified UTF-7 (out is left as it was).
 */
int net_mutf7_decode(struct buf *out, const char *s);

/*
 * The display path of a server folder name (struct msg's folder): the
 * name decoded (modified UTF-7, or kept when the server sent UTF-8), its
 * hierarchy delimiter turned into '/', a '/' inside a level turned into
 * U+2215 (DIVISION SLASH), empty levels into "_", "inbox" in any case
 * into "INBOX".  delim is 0 for a flat namespace.
 */
void net_folder_display(struct buf *out, const char *raw, char delim);

/* base64 (RFC 4648, with padding) of data, appended to out. */
void net_base64(struct buf *out, const void *data, size_t len);
/*
 * Decode base64 s[0..n) (padding optional, no spaces), appended to out.
 * Returns 0, or -1 when s is not base64 (out is left as it was).
 */
int net_unbase64(struct buf *out, const char *s, size_t n);

/*
 * A guard against servers that drip-feed: a byte now and then, never
 * silent long enough for the read time-out, would hold a backup for ever
 * (libetpan's time-out covers only the wait for the first byte of a read,
 * and GnuTLS then waits inside a TLS record without one).  A thread
 * measures what arrives while the reader is armed (waiting on the server,
 * not while the pipeline writes): over every window of NET_DRIP_WINDOWS
 * time-outs the server must send NET_DRIP_RATE bytes a second on average,
 * else the thread shuts the socket down, the blocked read fails, and the
 * reader reconnects as after any drop.  Without a thread (none could be
 * started) the calls do nothing.
 */
#define NET_DRIP_WINDOWS	4
#define NET_DRIP_RATE		256	/* bytes per second */

struct net_watchdog;

/* Owned by the caller; timeout in seconds (the read time-out). */
struct net_watchdog *net_watchdog_new(unsigned timeout);
void net_watchdog_free(struct net_watchdog *wd);
/* The socket of a new connection, or -1 when there is none. */
void net_watchdog_fd(struct net_watchdog *wd, int fd);
/*
 * on: the reader now waits on the server; 0: it is done for now.  wd is a
 * struct net_watchdog (or NULL): the function is struct source's waiting
 * hook (source.h), set with the watchdog as waiting_arg.
 */
void net_watchdog_arm(void *wd, int on);
/* n more bytes arrived (from the protocol logger; any thread). */
void net_watchdog_rx(struct net_watchdog *wd, size_t n);
/*
 * Why the watchdog cut the current connection ("the server sent only 12
 * bytes in 240 s"), copied into out; 0 when it did not.
 */
int net_watchdog_why(struct net_watchdog *wd, char *out, size_t n);

/*
 * Seconds since the epoch of a civil date and time with a zone offset in
 * the form +HHMM as an integer (-0500 is -500).
 */
int64_t net_civil_to_unix(int year, int mon, int day, int hour, int min,
    int sec, int zone);

#endif
