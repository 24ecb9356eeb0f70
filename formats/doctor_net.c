/*
 * `mailsave doctor` for mail servers: DNS, TCP on each port, TLS (implicit
 * or STARTTLS, with the mismatches between the two detected), the
 * certificate (trust, host name, dates, pin), the greeting and
 * capabilities of IMAP, POP3 and SMTP submission, and a login when a
 * password source (or an OAuth2 token command) was given: with the
 * mechanism net.c chooses and its SASL exchange, as export logs in, and
 * the mechanism named in the report.  MAILSAVE_DOCTOR_PORTS moves the
 * usual ports a bare host is checked on (tests).  Every step goes to the caller's report
 * function with one line of advice when it failed.  OpenSSL is used
 * directly here: doctor needs the details net_verify_chain() folds into
 * one message.
 */
#define _GNU_SOURCE
#include "doctor_net.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "net.h"
#include "signals.h"

/* Answers slower than this are reported. */
#define DN_SLOW_MS	3000
/* How long a plain-text port gets to greet before TLS is tried. */
#define DN_GREET_MS	3000
/* Certificates expiring within this many days are warned about. */
#define DN_EXPIRY_DAYS	14
/* Seconds of silence before a step fails, unless --timeout says. */
#define DN_TIMEOUT	10

enum proto { P_IMAP, P_POP3, P_SMTP };
enum mode { M_IMPLICIT, M_STARTTLS };

struct dn {
	const struct opts *o;
	struct net_opts no;
	dn_report_fn *report;
	void *arg;
	int failed;		/* a step failed */
	int bare;		/* a bare host: closed ports are no failure */
	unsigned timeout;	/* seconds */
	char where[320];
};

struct conn {
	int fd;
	SSL_CTX *sctx;
	SSL *ssl;
	char in[8192];
	size_t len;
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
S_say(struct dn *d, const char *step, int status, long ms,
    const char *advice, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Report one step. */
static void
S_say(struct dn *d, const char *step, int status, long ms,
    const char *advice, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	/* After Ctrl-C, failures are ours, not the server's: say nothing. */
	if (interrupted) {
		d->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (status == DN_FAIL)
		d->failed = 1;
	d->report(d->arg, &(struct dn_item){
	    .step = step,
	    .where = d->where,
	    .status = status,
	    .detail = detail,
	    .advice = advice,
	    .ms = ms,
	});
}

/* A server's line, trimmed and shortened for showing. */
static void
S_clean(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\r' || c == '\n')
			break;
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (o + 1 >= size && o > 3)
		memcpy(out + o - 3, "...", 3);
	out[o] = '\0';
}

static const char *
S_scheme(enum proto p, enum mode m)
{
	switch (p) {
	case P_IMAP:
		return m == M_IMPLICIT ? "imaps" : "imap";
	case P_POP3:
		return m == M_IMPLICIT ? "pop3s" : "pop3";
	default:
		return m == M_IMPLICIT ? "smtps" : "submission";
	}
}

/* --- Connections. --- */

/*
 * Connect to one address within the timeout (net.c), then bound every
 * read and write on it by the same timeout.  Returns the descriptor, or
 * -1 with errno set (ETIMEDOUT when the timeout passed).
 */
static int
S_connect_one(const struct addrinfo *ai, unsigned timeout)
{
	struct timeval tv = { .tv_sec = (time_t)timeout };
	int fd = net_connect_addr(ai, timeout);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
S_conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->sctx);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->sctx = NULL;
	c->fd = -1;
	c->len = 0;
}

/*
 * One line from the server (without CR LF) into line, waiting at most
 * ms.  Returns 1, 0 on timeout, -1 when the connection closed or broke.
 */
static int
S_read_line(struct conn *c, char *line, size_t size, long ms)
{
	long end = now_ms() + ms;

	for (;;) {
		char *nl = memchr(c->in, '\n', c->len);

		if (nl != NULL || c->len == sizeof(c->in)) {
			size_t n = nl != NULL ? (size_t)(nl - c->in) + 1 :
			    c->len;
			size_t k = n;

			while (k > 0 && (c->in[k - 1] == '\n' ||
			    c->in[k - 1] == '\r'))
				k--;
			if (k >= size)
				k = size - 1;
			memcpy(line, c->in, k);
			line[k] = '\0';
			memmove(c->in, c->in + n, c->len - n);
			c->len -= n;
			return 1;
		}
		if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
			long left = end - now_ms();
			int r;

			if (left <= 0)
				return 0;
			r = poll(&pfd, 1, (int)left);
			if (r < 0 && errno == EINTR && !interrupted)
				continue;
			if (r == 0)
				return 0;
			if (r < 0)
				return -1;
		}
		ssize_t r;

		if (c->ssl != NULL) {
			int k = SSL_read(c->ssl, c->in + c->len,
			    (int)(sizeof(c->in) - c->len));

			if (k <= 0) {
				int why = SSL_get_error(c->ssl, k);

				ERR_clear_error();
				if (why == SSL_ERROR_WANT_READ ||
				    why == SSL_ERROR_WANT_WRITE)
					continue;
				return -1;
			}
			r = k;
		} else {
			r = recv(c->fd, c->in + c->len,
			    sizeof(c->in) - c->len, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
		}
		c->len += (size_t)r;
	}
}

/* Send s[0..n).  Returns 0 or -1. */
static int
S_send_n(struct conn *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t r;

		if (c->ssl != NULL) {
			int k = SSL_write(c->ssl, s, (int)n);

			if (k <= 0) {
				ERR_clear_error();
				return -1;
			}
			r = k;
		} else {
			r = send(c->fd, s, n, MSG_NOSIGNAL);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Send s.  Returns 0 or -1. */
static int
S_send(struct conn *c, const char *s)
{
	return S_send_n(c, s, strlen(s));
}

/* Whether the first bytes the server sent look like a mail greeting. */
static int
S_looks_plain(const char *s, size_t n)
{
	return (n >= 2 && memcmp(s, "* ", 2) == 0) ||
	    (n >= 3 && memcmp(s, "+OK", 3) == 0) ||
	    (n >= 4 && memcmp(s, "-ERR", 4) == 0) ||
	    (n >= 3 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]));
}

/* --- DNS and TCP. --- */

/*
 * Resolve host; report the addresses.  Returns the list (freeaddrinfo)
 * or NULL after a failure was reported.
 */
static struct addrinfo *
S_resolve(struct dn *d, const char *host)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res = NULL;
	struct buf b = BUF_INIT;
	long t0 = now_ms();
	int r;

	snprintf(d->where, sizeof(d->where), "%s", host);
	r = getaddrinfo(host, NULL, &hints, &res);
	if (r != 0) {
		if (r == EAI_NONAME)
			S_say(d, "dns", DN_FAIL, now_ms() - t0, "check the "
			    "spelling of the server name: the provider's "
			    "setup page gives it", "%s does not exist in DNS "
			    "(no such name)", host);
		else if (r == EAI_AGAIN)
			S_say(d, "dns", DN_FAIL, now_ms() - t0, "check the "
			    "network connection and the DNS settings, then "
			    "try again", "DNS did not answer for %s", host);
		else
			S_say(d, "dns", DN_FAIL, now_ms() - t0, "check the "
			    "network connection and the DNS settings",
			    "cannot resolve %s: %s", host, gai_strerror(r));
		return NULL;
	}
	int shown = 0;

	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		char ip[INET6_ADDRSTRLEN];
		const void *a = ai->ai_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)ai->ai_addr)->
		    sin_addr : (const void *)&((struct sockaddr_in6 *)
		    ai->ai_addr)->sin6_addr;

		if (inet_ntop(ai->ai_family, a, ip, sizeof(ip)) == NULL ||
		    strstr(b.s, ip) != NULL)
			continue;
		buf_addf(&b, "%s%s", shown++ ? ", " : "", ip);
	}
	if (net_is_ip(host))
		S_say(d, "dns", DN_OK, -1, NULL, "%s is an address: no "
		    "lookup needed", host);
	else
		S_say(d, "dns", now_ms() - t0 > DN_SLOW_MS ? DN_WARN : DN_OK,
		    now_ms() - t0, now_ms() - t0 > DN_SLOW_MS ? "DNS is slow: "
		    "check the DNS servers in the network settings" : NULL,
		    "%s resolves to %s", host, b.len ? b.s : "?");
	buf_release(&b);
	return res;
}

/*
 * Connect to port on one of the addresses; report how.  Returns the
 * descriptor or -1 after a report.
 */
static int
S_tcp(struct dn *d, struct addrinfo *res, const char *host, uint16_t port,
    enum proto p, enum mode m)
{
	int err = 0, fd = -1;
	long t0 = now_ms();

	snprintf(d->where, sizeof(d->where), "%s:%u", host, port);
	for (struct addrinfo *ai = res; ai != NULL && fd < 0;
	    ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)ai->ai_addr)->sin_port =
			    htons(port);
		else if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			    htons(port);
		else
			continue;
		fd = S_connect_one(ai, d->timeout);
		if (fd < 0 && (err == 0 || err == ECONNREFUSED))
			err = errno;
	}
	long ms = now_ms() - t0;

	if (fd >= 0) {
		S_say(d, "tcp", ms > DN_SLOW_MS ? DN_WARN : DN_OK, ms,
		    ms > DN_SLOW_MS ? "the network path to the server is "
		    "slow" : NULL, "port %u (%s) accepts connections", port,
		    S_scheme(p, m));
		return fd;
	}
	int st = d->bare ? DN_WARN : DN_FAIL;

	if (d->bare && err == ECONNREFUSED) {
		/* A bare host need not offer every service. */
		S_say(d, "tcp", DN_WARN, ms, NULL, "port %u (%s): connection "
		    "refused (no such service here)", port, S_scheme(p, m));
		return -1;
	}
	switch (err) {
	case ECONNREFUSED:
		S_say(d, "tcp", st, ms, "nothing listens on this port: check "
		    "the port number in the account settings (the "
		    "provider's setup page gives it)", "port %u (%s): "
		    "connection refused", port, S_scheme(p, m));
		break;
	case ETIMEDOUT:
		S_say(d, "tcp", st, ms, "a firewall drops the connection: "
		    "try another network, or ask whoever runs this network "
		    "or the server to open the port", "port %u (%s): timed "
		    "out after %u s (no answer at all)", port,
		    S_scheme(p, m), d->timeout);
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		S_say(d, "tcp", st, ms, "check the network connection (and "
		    "whether this network has IPv6 when only IPv6 "
		    "addresses were found)", "port %u (%s): %s unreachable",
		    port, S_scheme(p, m), err == ENETUNREACH ? "network" :
		    "host");
		break;
	default:
		S_say(d, "tcp", st, ms, "check the network connection",
		    "port %u (%s): %s", port, S_scheme(p, m), strerror(err));
		break;
	}
	return -1;
}

/* --- TLS and the certificate. --- */

static void
S_fingerprint(X509 *c, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t o = 0;

	out[0] = '\0';
	if (X509_digest(c, EVP_sha256(), md, &mdlen) != 1)
		return;
	for (unsigned int i = 0; i < mdlen && o + 4 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%02X",
		    i ? ":" : "", md[i]);
}

/* Whether pin ("sha256:HEX", colons and case free) names fp. */
static int
S_pin_is(const char *pin, const char *fp)
{
	if (strncasecmp(pin, "sha256:", 7) != 0)
		return 0;
	pin += 7;
	for (;;) {
		while (*pin == ':')
			pin++;
		while (*fp == ':')
			fp++;
		if (*pin == '\0' || *fp == '\0')
			return *pin == *fp;
		if (toupper((unsigned char)*pin) != *fp)
			return 0;
		pin++;
		fp++;
	}
}

static void
S_names(struct buf *out, X509 *c)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(c, NID_subject_alt_name, NULL,
	    NULL);
	int n = names != NULL ? sk_GENERAL_NAME_num(names) : 0, shown = 0;

	for (int i = 0; i < n && shown < 4; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *a = g->d.dNSName;

			buf_addf(out, "%s%.*s", shown++ ? ", " : "",
			    ASN1_STRING_length(a),
			    (const char *)ASN1_STRING_get0_data(a));
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *a = g->d.iPAddress;
			int len = ASN1_STRING_length(a);
			char ip[INET6_ADDRSTRLEN];

			if ((len == 4 || len == 16) && inet_ntop(len == 4 ?
			    AF_INET : AF_INET6, ASN1_STRING_get0_data(a), ip,
			    sizeof(ip)) != NULL)
				buf_addf(out, "%s%s", shown++ ? ", " : "", ip);
		}
	}
	if (shown == 0)
		buf_adds(out, "no host name");
	GENERAL_NAMES_free(names);
}

static void
S_asn1_date(const ASN1_TIME *t, char *out, size_t size)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, size, "%Y-%m-%d", &tm);
	else
		snprintf(out, size, "?");
}

/*
 * Check the server's certificate: trust, host name, dates, pin.  Returns
 * whether a password may be sent.
 */
static int
S_check_cert(struct dn *d, SSL *ssl, const char *host)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	int soft = d->no.insecure ? DN_WARN : DN_FAIL;
	int ok = 1;
	char fp[3 * 32 + 1], date[32];

	if (leaf == NULL) {
		S_say(d, "certificate", DN_FAIL, -1, "the server is "
		    "misconfigured: ask its administrator", "the server "
		    "sent no certificate");
		return 0;
	}
	S_fingerprint(leaf, fp, sizeof(fp));
	if (d->no.pin != NULL) {
		if (S_pin_is(d->no.pin, fp)) {
			S_say(d, "certificate", DN_OK, -1, NULL, "the "
			    "certificate matches --pin");
			return 1;
		}
		S_say(d, "certificate", DN_FAIL, -1, "if the server's "
		    "certificate was renewed, check the new fingerprint with "
		    "its administrator and update --pin", "the certificate "
		    "does not match --pin: it is sha256:%s", fp);
		return 0;
	}

	/* Trust: the chain alone, dates and names checked below. */
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int loaded = store != NULL && ctx != NULL && (d->no.ca_file != NULL ?
	    X509_STORE_load_locations(store, d->no.ca_file, NULL) == 1 :
	    X509_STORE_set_default_paths(store) == 1);

	if (!loaded) {
		S_say(d, "certificate", DN_FAIL, -1, d->no.ca_file != NULL ?
		    "give a file of PEM certificates to --ca-file" : "install "
		    "the system's CA certificates (Debian: ca-certificates)",
		    "cannot load %s", d->no.ca_file != NULL ? d->no.ca_file :
		    "the system's trusted certificates");
		ok = 0;
	} else if (X509_STORE_CTX_init(ctx, store, leaf, chain) == 1) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

		X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
		if (X509_verify_cert(ctx) == 1) {
			char issuer[256];

			X509_NAME_oneline(X509_get_issuer_name(leaf), issuer,
			    sizeof(issuer));
			S_say(d, "certificate", DN_OK, -1, NULL, "trusted "
			    "(issued by %s%s)", issuer, d->no.ca_file != NULL ?
			    ", from --ca-file" : "");
		} else {
			int code = X509_STORE_CTX_get_error(ctx);
			/*
			 * Signed by its own key, whatever its key usage says
			 * (X509_check_issued() wants keyCertSign, which
			 * server certificates made by hand often lack).
			 */
			int self = code ==
			    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
			    X509_check_issued(leaf, leaf) == X509_V_OK ||
			    (X509_NAME_cmp(X509_get_subject_name(leaf),
			    X509_get_issuer_name(leaf)) == 0 &&
			    X509_verify(leaf, X509_get0_pubkey(leaf)) == 1);
			char issuer[256];

			X509_NAME_oneline(X509_get_issuer_name(leaf), issuer,
			    sizeof(issuer));
			if (self)
				S_say(d, "certificate", soft, -1,
				    d->no.ca_file != NULL ? "--ca-file does "
				    "not hold this certificate: check the "
				    "fingerprint with the administrator and "
				    "use --pin" : "check the fingerprint "
				    "below with the server's administrator, "
				    "then use --pin (or --ca-file with the "
				    "certificate)", "self-signed (%s), not "
				    "trusted: %s", issuer,
				    X509_verify_cert_error_string(code));
			else
				S_say(d, "certificate", soft, -1,
				    d->no.ca_file != NULL ? "is --ca-file the "
				    "CA that signed it? Ask the administrator "
				    "for the right CA certificate" : "for a "
				    "private CA give --ca-file CA.pem; "
				    "otherwise check the fingerprint below "
				    "with the administrator and use --pin",
				    "not trusted: %s (issued by %s)",
				    X509_verify_cert_error_string(code),
				    issuer);
			ok = 0;
		}
	} else {
		S_say(d, "certificate", DN_FAIL, -1, NULL, "cannot check the "
		    "certificate");
		ok = 0;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();

	/* The host name. */
	int match = net_is_ip(host) ? X509_check_ip_asc(leaf, host, 0) :
	    X509_check_host(leaf, host, 0, 0, NULL);
	struct buf names = BUF_INIT;

	S_names(&names, leaf);
	if (match == 1) {
		S_say(d, "hostname", DN_OK, -1, NULL, "the certificate is "
		    "for %s", host);
	} else {
		char advice[512];

		snprintf(advice, sizeof(advice), "connect with a name the "
		    "certificate is for (%s), or ask the administrator for a "
		    "certificate that names %s", names.s, host);
		S_say(d, "hostname", soft, -1, advice, "name mismatch: the "
		    "certificate is for %s, not %s", names.s, host);
		ok = 0;
	}
	buf_release(&names);

	/* The dates. */
	const ASN1_TIME *nb = X509_get0_notBefore(leaf);
	const ASN1_TIME *na = X509_get0_notAfter(leaf);
	int days = 0, secs = 0;

	S_asn1_date(na, date, sizeof(date));
	if (X509_cmp_current_time(na) < 0) {
		S_say(d, "expiry", soft, -1, "the server's administrator must "
		    "renew it (or check this computer's date and time)",
		    "the certificate expired on %s", date);
		ok = 0;
	} else if (X509_cmp_current_time(nb) > 0) {
		S_asn1_date(nb, date, sizeof(date));
		S_say(d, "expiry", soft, -1, "check this computer's date and "
		    "time", "the certificate is not valid before %s", date);
		ok = 0;
	} else if (ASN1_TIME_diff(&days, &secs, NULL, na) == 1 &&
	    days < DN_EXPIRY_DAYS) {
		S_say(d, "expiry", DN_WARN, -1, "tell the server's "
		    "administrator: the certificate must be renewed soon",
		    "the certificate expires on %s, in %d day%s", date, days,
		    days == 1 ? "" : "s");
	} else {
		S_say(d, "expiry", DN_OK, -1, NULL, "valid until %s", date);
	}
	S_say(d, "pin", DN_INFO, -1, NULL, "to accept exactly this "
	    "certificate: --pin sha256:%s", fp);
	if (!ok && d->no.insecure) {
		S_say(d, "certificate", DN_WARN, -1, "drop --insecure once "
		    "the certificate is fixed", "accepted anyway because of "
		    "--insecure");
		return 1;
	}
	return ok;
}

/*
 * TLS on c.  Returns 1 with the session up, 0 after a reported failure,
 * -1 when the peer spoke plain text (not reported: the caller knows the
 * setting to name).  quiet: report nothing (a probe for a mismatch).
 */
static int
S_tls(struct dn *d, struct conn *c, const char *host, int quiet)
{
	long t0 = now_ms();

	c->sctx = SSL_CTX_new(TLS_client_method());
	if (c->sctx == NULL || (c->ssl = SSL_new(c->sctx)) == NULL) {
		S_say(d, "tls", DN_FAIL, -1, NULL, "OpenSSL cannot start");
		return 0;
	}
	SSL_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
	if (!net_is_ip(host))
		SSL_set_tlsext_host_name(c->ssl, host);
	SSL_set_fd(c->ssl, c->fd);
	ERR_clear_error();
	if (SSL_connect(c->ssl) != 1) {
		unsigned long le = ERR_peek_error();
		int plain = ERR_GET_REASON(le) == SSL_R_WRONG_VERSION_NUMBER ||
		    ERR_GET_REASON(le) == SSL_R_PACKET_LENGTH_TOO_LONG;
		char why[256];

		ERR_error_string_n(le, why, sizeof(why));
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
		if (plain)
			return -1;
		if (!quiet)
			S_say(d, "tls", DN_FAIL, now_ms() - t0, "the server "
			    "and mailsave share no TLS version or cipher, or "
			    "the server's TLS is broken: ask its "
			    "administrator", "TLS handshake failed: %s",
			    le ? ERR_reason_error_string(le) != NULL ?
			    ERR_reason_error_string(le) : why :
			    "the server closed the connection");
		return 0;
	}
	long ms = now_ms() - t0;
	const char *ver = SSL_get_version(c->ssl);
	int old = SSL_version(c->ssl) < TLS1_2_VERSION;

	if (quiet)
		return 1;
	S_say(d, "tls", old ? DN_WARN : ms > DN_SLOW_MS ? DN_WARN : DN_OK, ms,
	    old ? "the server only speaks an outdated TLS version: ask its "
	    "administrator to enable TLS 1.2 or 1.3" : ms > DN_SLOW_MS ?
	    "the TLS handshake is slow: the server may be overloaded" : NULL,
	    "%s, %s", ver, SSL_get_cipher_name(c->ssl));
	return 1;
}

/* --- The protocols. --- */

/* What the user should set, for a port that speaks the other TLS way. */
static void
S_mismatch(struct dn *d, enum proto p, enum mode m, const char *host,
    uint16_t port, const char *heard)
{
	char advice[512], detail[512];

	if (m == M_IMPLICIT) {
		snprintf(detail, sizeof(detail), "port %u speaks plain text, "
		    "not TLS: the server greeted with \"%s\"", port, heard);
		if (p == P_SMTP)
			snprintf(advice, sizeof(advice), "set the outgoing "
			    "server's security to STARTTLS for port %u (or use "
			    "port 465 with SSL/TLS)", port);
		else
			snprintf(advice, sizeof(advice), "use %s://%s:%u "
			    "(STARTTLS on this port), or %s:// with port %u",
			    p == P_IMAP ? "imap" : "pop3", host, port,
			    p == P_IMAP ? "imaps" : "pop3s",
			    p == P_IMAP ? NET_PORT_IMAPS : NET_PORT_POP3S);
	} else {
		snprintf(detail, sizeof(detail), "port %u expects TLS from the "
		    "first byte (implicit TLS), not plain text with "
		    "STARTTLS", port);
		if (p == P_SMTP)
			snprintf(advice, sizeof(advice), "set the outgoing "
			    "server's security to SSL/TLS for port %u", port);
		else
			snprintf(advice, sizeof(advice), "use %s://%s:%u (TLS "
			    "from the start; \"SSL/TLS\" in mail clients)",
			    p == P_IMAP ? "imaps" : "pop3s", host, port);
	}
	S_say(d, "tls", DN_FAIL, -1, advice, "%s", detail);
}

/* Advice for a refused login, by provider. */
static const char *
S_auth_advice(const char *host)
{
	static const struct {
		const char *suffix, *advice;
	} hints[] = {
		{ "gmail.com", "Gmail: with 2-step verification use an app "
		    "password (Google Account, Security, App passwords); "
		    "the user name is the full address" },
		{ "googlemail.com", "Gmail: with 2-step verification use an "
		    "app password (Google Account, Security, App passwords)" },
		{ "icloud.com", "iCloud: use an app-specific password "
		    "(account.apple.com, Sign-In and Security); the user "
		    "name is the address without @icloud.com or the full one" },
		{ "me.com", "iCloud: use an app-specific password "
		    "(account.apple.com, Sign-In and Security)" },
		{ "mac.com", "iCloud: use an app-specific password "
		    "(account.apple.com, Sign-In and Security)" },
		{ "yahoo.com", "Yahoo: use an app password (Account Security, "
		    "Generate app password)" },
		{ "aol.com", "AOL: use an app password (Account Security, "
		    "Generate app password)" },
		{ "office365.com", "Microsoft 365 accounts need OAuth2 and "
		    "refuse passwords: export with the mail client, or ask "
		    "the administrator about app passwords" },
		{ "outlook.com", "Outlook.com accounts need OAuth2 and refuse "
		    "passwords: export with the mail client instead" },
		{ "hotmail.com", "Outlook.com accounts need OAuth2 and refuse "
		    "passwords: export with the mail client instead" },
	};
	size_t hl = strlen(host);

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		size_t sl = strlen(hints[i].suffix);

		if (hl >= sl && strcasecmp(host + hl - sl,
		    hints[i].suffix) == 0 && (hl == sl ||
		    host[hl - sl - 1] == '.'))
			return hints[i].advice;
	}
	return "check the user name and the password; if the password was "
	    "changed, update it where mailsave reads it; accounts with "
	    "two-step sign-in often need an app-specific password";
}

static void
S_login_refused(struct dn *d, const char *host, const char *how,
    const char *words)
{
	char said[400];

	S_clean(said, sizeof(said), words);
	if (strcasestr(words, "[UNAVAILABLE]") != NULL)
		S_say(d, "login", DN_FAIL, -1, "the server says it is "
		    "unavailable — maintenance? Try again later", "the server "
		    "said: %s", said);
	else
		S_say(d, "login", DN_FAIL, -1, S_auth_advice(host), "%s "
		    "refused; the server said: %s", how, said);
}

/* IMAP: a tagged command; the untagged CAPABILITY line into caps. */
static int
S_imap_cmd(struct dn *d, struct conn *c, const char *tag, const char *cmd,
    char *tagged, size_t tsize, struct buf *caps)
{
	char line[2048];
	size_t tl = strlen(tag);
	int r;

	if (S_send(c, cmd) != 0)
		return -1;
	for (;;) {
		r = S_read_line(c, line, sizeof(line),
		    (long)d->timeout * 1000);
		if (r <= 0)
			return r;
		if (caps != NULL && strncasecmp(line, "* CAPABILITY ", 13) ==
		    0) {
			buf_reset(caps);
			buf_addf(caps, " %s ", line + 13);
		}
		if (strncmp(line, tag, tl) == 0 && line[tl] == ' ') {
			snprintf(tagged, tsize, "%.1000s", line + tl + 1);
			return 1;
		}
		if (strncasecmp(line, "* BYE", 5) == 0) {
			snprintf(tagged, tsize, "%.1000s", line);
			return 1;
		}
	}
}

static int
S_has(const struct buf *caps, const char *word)
{
	char pat[64];

	if (caps->s == NULL)
		return 0;
	snprintf(pat, sizeof(pat), " %s ", word);
	return strcasestr(caps->s, pat) != NULL;
}

/* The interesting capabilities, for showing. */
static void
S_show_caps(struct dn *d, const struct buf *caps, enum proto p)
{
	static const char *const imap[] = { "IMAP4rev1", "IMAP4rev2",
	    "STARTTLS", "LOGINDISABLED", "IDLE", "CONDSTORE", "QRESYNC",
	    "UIDPLUS", "COMPRESS=DEFLATE", "X-GM-EXT-1", "SASL-IR", NULL };
	static const char *const pop3[] = { "STLS", "USER", "TOP", "UIDL",
	    "PIPELINING", NULL };
	static const char *const smtp[] = { "STARTTLS", "PIPELINING",
	    "8BITMIME", "SMTPUTF8", "CHUNKING", "SIZE", NULL };
	const char *const *list = p == P_IMAP ? imap : p == P_POP3 ? pop3 :
	    smtp;
	struct buf b = BUF_INIT;

	for (size_t i = 0; list[i] != NULL; i++)
		if (S_has(caps, list[i]))
			buf_addf(&b, "%s%s", b.len ? " " : "", list[i]);
	/* Authentication mechanisms: AUTH=X (IMAP), SASL X (POP3), AUTH X. */
	for (const char *s = caps->s; s != NULL && *s != '\0'; ) {
		while (*s == ' ')
			s++;
		size_t n = strcspn(s, " ");

		if (n > 5 && strncasecmp(s, "AUTH=", 5) == 0)
			buf_addf(&b, "%s%.*s", b.len ? " " : "", (int)n, s);
		s += n;
	}
	if (p != P_IMAP && caps->s != NULL) {
		const char *a = strcasestr(caps->s, p == P_POP3 ? " SASL " :
		    " AUTH ");

		if (a != NULL) {
			a += p == P_POP3 ? 6 : 6;
			size_t n = strcspn(a, "\n");

			buf_addf(&b, "%sAUTH: %.*s", b.len ? " " : "",
			    (int)(n > 0 && a[n - 1] == ' ' ? n - 1 : n), a);
		}
	}
	S_say(d, "capabilities", DN_OK, -1, NULL, "%s", b.len ? b.s :
	    "(none of note)");
	buf_release(&b);
}

/* Append an IMAP quoted string. */
static void
S_quote(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

/* Whether a greeting says the server is unavailable. */
static int
S_greeting(struct dn *d, const char *line, long ms, int bad)
{
	char said[400];

	S_clean(said, sizeof(said), line);
	if (bad || strcasestr(line, "[UNAVAILABLE]") != NULL) {
		S_say(d, "greeting", DN_FAIL, ms, "the server says it is "
		    "unavailable — maintenance? Try again later", "the server "
		    "turned us away: %s", said);
		return 0;
	}
	S_say(d, "greeting", ms > DN_SLOW_MS ? DN_WARN : DN_OK, ms,
	    ms > DN_SLOW_MS ? "the server answers slowly: it may be "
	    "overloaded" : NULL, "%s", said);
	return 1;
}

struct probe {
	const struct net_spec *sp;	/* the account, or NULL */
	const char *host;
	uint16_t port;
	enum proto p;
	enum mode m;
	const char *password;		/* NULL: no login; or the OAuth2
					   token (net_secret) */
	const char *greeting;		/* POP3: for APOP's timestamp */
};

/* A greeting line (the first line for SMTP's multi-line 220). */
static int
S_read_greeting(struct dn *d, struct conn *c, char *line, size_t size,
    long wait)
{
	int r = S_read_line(c, line, size, wait);

	(void)d;
	if (r == 1 && strncmp(line, "220-", 4) == 0) {
		char more[1024];

		do {
			r = S_read_line(c, more, sizeof(more), wait);
		} while (r == 1 && strncmp(more, "220-", 4) == 0);
		line[3] = ' ';
	}
	return r;
}

/* TLS started on a plain connection (STARTTLS), or on connection. */
static int
S_start_tls(struct dn *d, struct conn *c, const struct probe *pr,
    int *trusted)
{
	int r = S_tls(d, c, pr->host, 0);

	if (r == -1) {
		S_say(d, "tls", DN_FAIL, -1, "the server is misconfigured: "
		    "ask its administrator", "the server answered STARTTLS "
		    "but then spoke plain text");
		return 0;
	}
	if (r == 0)
		return 0;
	*trusted = S_check_cert(d, c->ssl, pr->host);
	return 1;
}

/*
 * How long a login may take: servers delay answers on purpose after
 * wrong passwords (Dovecot up to 15 s), which is no failure.
 */
static unsigned
S_login_wait(unsigned timeout)
{
	return timeout < 30 ? 30 : timeout;
}

/* Login advice when no login is tried. */
static void
S_no_login(struct dn *d, const struct probe *pr, int trusted)
{
	if (pr->sp == NULL)
		return;
	if (!trusted)
		S_say(d, "login", DN_WARN, -1, "fix the certificate problem "
		    "above first", "not tried: the password is not sent to a "
		    "server whose certificate is not trusted");
	else if (pr->password == NULL)
		S_say(d, "login", DN_INFO, -1, NULL, "not tried: give "
		    "--password-file, --password-command, MAILSAVE_PASSWORD "
		    "or --oauth2-token-command to test the login");
}

/* --- Logging in: net.c chooses the mechanism and speaks SASL. --- */

/* IMAP: what the CAPABILITY line allows. */
static void
S_imap_offer(const struct buf *caps, int tls, struct net_offer *of)
{
	memset(of, 0, sizeof(*of));
	for (const char *s = caps->s; s != NULL && *s != '\0'; ) {
		size_t n;

		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n > 5 && strncasecmp(s, "AUTH=", 5) == 0)
			of->sasl |= net_mech_sasl_bit(s + 5, n - 5);
		s += n;
	}
	of->login = !S_has(caps, "LOGINDISABLED");
	of->tls = tls;
}

/*
 * POP3: what CAPA allows (capa: 1 answered, 0 refused: an RFC 1939
 * server), and APOP when the greeting has a timestamp.
 */
static void
S_pop_offer(const struct buf *caps, int capa, const char *greeting,
    int tls, struct net_offer *of)
{
	const char *s = caps->s != NULL ? strcasestr(caps->s, " SASL ") :
	    NULL;

	memset(of, 0, sizeof(*of));
	if (s != NULL) {
		const char *end = s + strcspn(s, "\n");

		for (s += 6; s < end; ) {
			size_t n;

			while (s < end && *s == ' ')
				s++;
			n = strcspn(s, " \n");
			of->sasl |= net_mech_sasl_bit(s, n);
			s += n;
		}
	}
	of->login = capa != 1 || S_has(caps, "USER");
	of->apop = greeting != NULL && strchr(greeting, '<') != NULL &&
	    strchr(greeting, '>') != NULL;
	of->tls = tls;
}

/* How a mechanism is shown: "LOGIN", "AUTHENTICATE PLAIN", "AUTH ...". */
static const char *
S_how(enum net_proto proto, int mech)
{
	static char how[64];

	if (mech == NET_MECH_LOGIN)
		return proto == NET_PROTO_IMAP ? "LOGIN" : "USER/PASS";
	if (mech == NET_MECH_APOP)
		return "APOP";
	snprintf(how, sizeof(how), "%s %s", proto == NET_PROTO_IMAP ?
	    "AUTHENTICATE" : "AUTH", net_mech_name(mech));
	return how;
}

/* The mechanism to log in with; 0 after a reported failure. */
static int
S_choose(struct dn *d, const struct net_offer *of, int *mech, int tls,
    const char *secure)
{
	struct err e;
	char advice[256];

	err_clear(&e);
	if (net_auth_choose(&d->no, of, mech, &e) == MS_OK)
		return 1;
	if (!of->login && !tls)
		snprintf(advice, sizeof(advice), "use %s, or make sure "
		    "STARTTLS works", secure);
	else if (net_auth_oauth(&d->no))
		snprintf(advice, sizeof(advice), "this server takes "
		    "passwords: give --password-file or --password-command "
		    "instead");
	else
		snprintf(advice, sizeof(advice), "try --auth auto, or ask "
		    "the administrator which login the server takes");
	S_say(d, "login", DN_FAIL, -1, advice, "%s%s", e.msg, of->login ?
	    "" : " (LOGINDISABLED)");
	return 0;
}

/* net_sasl_run()'s transport: the doctor's connection. */
struct sasl_conn {
	struct dn *d;
	struct conn *c;
	char line[2048];
};

static int
S_sasl_send(void *arg, const char *s, size_t n)
{
	struct sasl_conn *sc = arg;

	return S_send_n(sc->c, s, n);
}

static const char *
S_sasl_read(void *arg)
{
	struct sasl_conn *sc = arg;

	return S_read_line(sc->c, sc->line, sizeof(sc->line),
	    (long)sc->d->timeout * 1000) == 1 ? sc->line : NULL;
}

/*
 * AUTHENTICATE (IMAP, tag a4) or AUTH (POP3) with a SASL mechanism; the
 * final answer into st (IMAP: without its tag).  Returns 1, or -1 when
 * the connection broke or went silent.
 */
static int
S_sasl(struct dn *d, struct conn *c, const struct probe *pr,
    enum net_proto proto, int mech, int ir, char *st, size_t size,
    struct buf *said)
{
	struct sasl_conn sc = { .d = d, .c = c };
	struct net_sasl_io io = {
		.arg = &sc,
		.send = S_sasl_send,
		.read_line = S_sasl_read,
	};
	struct net_sasl a = {
		.proto = proto,
		.mech = mech,
		.prefix = "a4 ",
		.ir = ir,
		.user = pr->sp->user,
		.secret = pr->password,
		.host = pr->host,
		.port = pr->port,
		.said = said,
	};
	const char *line = net_sasl_run(&a, &io);

	/* IMAP: untagged lines may come before the tagged answer. */
	while (line != NULL && proto == NET_PROTO_IMAP &&
	    strncmp(line, "* ", 2) == 0 && strncasecmp(line, "* BYE", 5) != 0)
		line = S_sasl_read(&sc);
	if (line == NULL)
		return -1;
	if (proto == NET_PROTO_IMAP && strncmp(line, "a4 ", 3) == 0)
		line += 3;
	size_t n = strlen(line);

	if (n >= size)
		n = size - 1;
	memcpy(st, line, n);
	st[n] = '\0';
	return 1;
}

/* Report a login: r from the exchange, ok whether the server said yes. */
static void
S_login_result(struct dn *d, const struct probe *pr, int r,
    const char *answer, int ok, int mech, enum net_proto proto,
    const struct buf *said, long t0)
{
	long ms = now_ms() - t0;
	const char *how = S_how(proto, mech);

	if (r <= 0) {
		S_say(d, "login", DN_FAIL, ms, "try again later", "the server "
		    "did not answer the login (%s)", how);
	} else if (ok) {
		S_say(d, "login", ms > DN_SLOW_MS ? DN_WARN : DN_OK, ms,
		    ms > DN_SLOW_MS ? "the login is slow: servers delay "
		    "logins from an address after wrong passwords, or it is "
		    "overloaded" : NULL, "logged in as %s with %s",
		    pr->sp->user, how);
	} else if (mech == NET_MECH_XOAUTH2 || mech == NET_MECH_OAUTHBEARER) {
		char words[400];

		S_clean(words, sizeof(words), answer);
		S_say(d, "login", DN_FAIL, ms, "the access token was refused: "
		    "make --oauth2-token-command print a fresh token for this "
		    "user, with the mail scope", "%s refused; the server "
		    "said: %s%s%.200s%s", how, words, said->len ? " (" : "",
		    said->len ? said->s : "", said->len ? ")" : "");
	} else {
		S_login_refused(d, pr->host, how, answer);
	}
}

static void
S_probe_imap(struct dn *d, struct conn *c, const struct probe *pr,
    int trusted, int tls)
{
	struct buf caps = BUF_INIT, cmd = BUF_INIT, said = BUF_INIT;
	struct net_offer of;
	char tagged[1024];
	int r, mech;
	long t0;

	r = S_imap_cmd(d, c, "a1", "a1 CAPABILITY\r\n", tagged,
	    sizeof(tagged), &caps);
	if (r <= 0) {
		S_say(d, "capabilities", DN_FAIL, -1, "the server stopped "
		    "answering: try again later", "no answer to CAPABILITY");
		goto out;
	}
	if (!tls) {
		if (!S_has(&caps, "STARTTLS")) {
			if (d->no.tls_none) {
				S_show_caps(d, &caps, P_IMAP);
				S_say(d, "tls", DN_WARN, -1, "the password "
				    "travels unencrypted: prefer imaps:// on "
				    "port 993 if the server has it", "no "
				    "STARTTLS offered; plain text allowed by "
				    "--tls none");
				trusted = 1;
				goto login;
			}
			S_show_caps(d, &caps, P_IMAP);
			if (S_has(&caps, "LOGINDISABLED")) {
				S_say(d, "tls", DN_FAIL, -1, "use imaps:// on "
				    "port 993; or ask the administrator to "
				    "enable STARTTLS here", "the server offers "
				    "no STARTTLS on port %u and forbids LOGIN "
				    "without it (LOGINDISABLED): no login is "
				    "possible on this port", pr->port);
				goto out;
			}
			S_say(d, "tls", DN_FAIL, -1, "use imaps:// on port 993 "
			    "if the server has it; --tls none only if plain "
			    "text is acceptable (the password travels "
			    "unencrypted)", "the server offers no STARTTLS on "
			    "port %u", pr->port);
			goto out;
		}
		r = S_imap_cmd(d, c, "a2", "a2 STARTTLS\r\n", tagged,
		    sizeof(tagged), NULL);
		if (r <= 0 || strncasecmp(tagged, "OK", 2) != 0) {
			char words[400];

			S_clean(words, sizeof(words), r > 0 ? tagged : "");
			S_say(d, "tls", DN_FAIL, -1, "use imaps:// on port "
			    "993 if the server has it", "STARTTLS refused: %s",
			    words);
			goto out;
		}
		if (!S_start_tls(d, c, pr, &trusted))
			goto out;
		r = S_imap_cmd(d, c, "a3", "a3 CAPABILITY\r\n", tagged,
		    sizeof(tagged), &caps);
		if (r <= 0) {
			S_say(d, "capabilities", DN_FAIL, -1, "try again "
			    "later", "no answer to CAPABILITY after "
			    "STARTTLS");
			goto out;
		}
	}
	S_show_caps(d, &caps, P_IMAP);
	if (!S_has(&caps, "IMAP4rev1") && !S_has(&caps, "IMAP4rev2")) {
		S_say(d, "capabilities", DN_FAIL, -1, "check the server name "
		    "and port", "this is not an IMAP4rev1 server");
		goto out;
	}
login:
	if (pr->password == NULL || !trusted) {
		S_no_login(d, pr, trusted);
		goto out;
	}
	/* After STARTTLS the connection is encrypted too. */
	tls = c->ssl != NULL;
	S_imap_offer(&caps, tls, &of);
	if (!S_choose(d, &of, &mech, tls, "imaps:// on port 993"))
		goto out;
	t0 = now_ms();
	d->timeout = S_login_wait(d->timeout);
	if (mech == NET_MECH_LOGIN) {
		buf_adds(&cmd, "a4 LOGIN ");
		S_quote(&cmd, pr->sp->user);
		buf_addc(&cmd, ' ');
		S_quote(&cmd, pr->password);
		buf_adds(&cmd, "\r\n");
		r = S_imap_cmd(d, c, "a4", cmd.s, tagged, sizeof(tagged), NULL);
		explicit_bzero(cmd.s, cmd.len);
	} else {
		r = S_sasl(d, c, pr, NET_PROTO_IMAP, mech, S_has(&caps,
		    "SASL-IR"), tagged, sizeof(tagged), &said);
	}
	d->timeout = d->o->timeout > 0 ? d->o->timeout : DN_TIMEOUT;
	S_login_result(d, pr, r, tagged, strncasecmp(tagged, "OK", 2) == 0,
	    mech, NET_PROTO_IMAP, &said, t0);
	if (r > 0 && strncasecmp(tagged, "OK", 2) == 0)
		S_imap_cmd(d, c, "a5", "a5 LOGOUT\r\n", tagged,
		    sizeof(tagged), NULL);
out:
	buf_release(&caps);
	buf_release(&cmd);
	buf_release(&said);
}

/* POP3: one command, the status line into st. */
static int
S_pop_cmd(struct dn *d, struct conn *c, const char *cmd, char *st,
    size_t size)
{
	if (S_send(c, cmd) != 0)
		return -1;
	return S_read_line(c, st, size, (long)d->timeout * 1000);
}

static int
S_pop_capa(struct dn *d, struct conn *c, struct buf *caps)
{
	char line[1024];
	int r = S_pop_cmd(d, c, "CAPA\r\n", line, sizeof(line));

	buf_reset(caps);
	buf_adds(caps, " ");
	if (r <= 0 || strncmp(line, "+OK", 3) != 0)
		return r <= 0 ? -1 : 0;
	while ((r = S_read_line(c, line, sizeof(line),
	    (long)d->timeout * 1000)) == 1 && strcmp(line, ".") != 0)
		buf_addf(caps, "%s \n ", line);
	return r == 1 ? 1 : -1;
}

static void
S_probe_pop3(struct dn *d, struct conn *c, const struct probe *pr,
    int trusted, int tls)
{
	struct buf caps = BUF_INIT, cmd = BUF_INIT, said = BUF_INIT;
	struct net_offer of;
	char line[1024];
	int r, mech, capa;
	long t0;

	if ((capa = S_pop_capa(d, c, &caps)) < 0) {
		S_say(d, "capabilities", DN_FAIL, -1, "try again later",
		    "no answer to CAPA");
		goto out;
	}
	if (!tls) {
		if (!S_has(&caps, "STLS")) {
			S_show_caps(d, &caps, P_POP3);
			if (d->no.tls_none) {
				S_say(d, "tls", DN_WARN, -1, "the password "
				    "travels unencrypted: prefer pop3s:// on "
				    "port 995", "no STLS offered; plain text "
				    "allowed by --tls none");
				trusted = 1;
				goto login;
			}
			S_say(d, "tls", DN_FAIL, -1, "use pop3s:// on port 995 "
			    "if the server has it; --tls none only if plain "
			    "text is acceptable", "the server offers no STLS "
			    "on port %u", pr->port);
			goto out;
		}
		r = S_pop_cmd(d, c, "STLS\r\n", line, sizeof(line));
		if (r <= 0 || strncmp(line, "+OK", 3) != 0) {
			S_say(d, "tls", DN_FAIL, -1, "use pop3s:// on port 995",
			    "STLS refused");
			goto out;
		}
		if (!S_start_tls(d, c, pr, &trusted))
			goto out;
		if ((capa = S_pop_capa(d, c, &caps)) < 0) {
			S_say(d, "capabilities", DN_FAIL, -1, "try again "
			    "later", "no answer to CAPA after STLS");
			goto out;
		}
	}
	S_show_caps(d, &caps, P_POP3);
login:
	if (pr->password == NULL || !trusted) {
		S_no_login(d, pr, trusted);
		goto out;
	}
	tls = c->ssl != NULL;
	S_pop_offer(&caps, capa, pr->greeting, tls, &of);
	if (!S_choose(d, &of, &mech, tls, "pop3s:// on port 995"))
		goto out;
	t0 = now_ms();
	d->timeout = S_login_wait(d->timeout);
	if (mech == NET_MECH_LOGIN) {
		buf_addf(&cmd, "USER %s\r\n", pr->sp->user);
		r = S_pop_cmd(d, c, cmd.s, line, sizeof(line));
		buf_reset(&cmd);
		if (r == 1 && strncmp(line, "+OK", 3) == 0) {
			buf_addf(&cmd, "PASS %s\r\n", pr->password);
			r = S_pop_cmd(d, c, cmd.s, line, sizeof(line));
			explicit_bzero(cmd.s, cmd.len);
		}
	} else if (mech == NET_MECH_APOP) {
		buf_addf(&cmd, "APOP %s ", pr->sp->user);
		r = net_apop_digest(&cmd, pr->greeting, pr->password) == 0 ?
		    1 : -1;
		if (r == 1) {
			buf_adds(&cmd, "\r\n");
			r = S_pop_cmd(d, c, cmd.s, line, sizeof(line));
		}
		explicit_bzero(cmd.s, cmd.len);
	} else {
		r = S_sasl(d, c, pr, NET_PROTO_POP3, mech, 1, line,
		    sizeof(line), &said);
	}
	d->timeout = d->o->timeout > 0 ? d->o->timeout : DN_TIMEOUT;
	S_login_result(d, pr, r, line, strncmp(line, "+OK", 3) == 0, mech,
	    NET_PROTO_POP3, &said, t0);
	if (r > 0 && strncmp(line, "+OK", 3) == 0)
		S_pop_cmd(d, c, "QUIT\r\n", line, sizeof(line));
out:
	buf_release(&caps);
	buf_release(&cmd);
	buf_release(&said);
}

/* SMTP: EHLO; the 250 lines into caps.  Returns 1, 0 refused, -1. */
static int
S_ehlo(struct dn *d, struct conn *c, struct buf *caps)
{
	char line[1024];
	int r;

	if (S_send(c, "EHLO mailsave-doctor.invalid\r\n") != 0)
		return -1;
	buf_reset(caps);
	buf_adds(caps, " ");
	while ((r = S_read_line(c, line, sizeof(line),
	    (long)d->timeout * 1000)) == 1) {
		if (strncmp(line, "250", 3) != 0)
			return 0;
		buf_addf(caps, "%s \n ", line + 4);
		if (line[3] != '-')
			return 1;
	}
	return -1;
}

static void
S_probe_smtp(struct dn *d, struct conn *c, const struct probe *pr,
    int trusted, int tls)
{
	struct buf caps = BUF_INIT;
	char line[1024];

	(void)trusted;
	if (S_ehlo(d, c, &caps) != 1) {
		S_say(d, "capabilities", DN_FAIL, -1, "check the server name "
		    "and port", "EHLO refused");
		goto out;
	}
	if (!tls) {
		if (!S_has(&caps, "STARTTLS")) {
			S_show_caps(d, &caps, P_SMTP);
			S_say(d, "tls", DN_FAIL, -1, "use port 465 with "
			    "SSL/TLS if the server has it", "the server "
			    "offers no STARTTLS on port %u", pr->port);
			goto out;
		}
		if (S_send(c, "STARTTLS\r\n") != 0 || S_read_line(c, line,
		    sizeof(line), (long)d->timeout * 1000) != 1 ||
		    strncmp(line, "220", 3) != 0) {
			S_say(d, "tls", DN_FAIL, -1, "use port 465 with "
			    "SSL/TLS", "STARTTLS refused");
			goto out;
		}
		if (!S_start_tls(d, c, pr, &trusted))
			goto out;
		if (S_ehlo(d, c, &caps) != 1) {
			S_say(d, "capabilities", DN_FAIL, -1, "try again "
			    "later", "EHLO refused after STARTTLS");
			goto out;
		}
	}
	S_show_caps(d, &caps, P_SMTP);
	S_send(c, "QUIT\r\n");
out:
	buf_release(&caps);
}

/* One port, from TCP to login.  Returns 1 when it worked throughout. */
static int
S_probe(struct dn *d, struct addrinfo *res, const struct probe *pr)
{
	struct conn c = { .fd = -1 };
	char line[1024], said[400];
	int failed = d->failed, trusted = 0, tls = 0, r;
	long t0;

	d->failed = 0;
	c.fd = S_tcp(d, res, pr->host, pr->port, pr->p, pr->m);
	if (c.fd < 0) {
		int bad = d->failed;

		d->failed |= failed;
		return bad ? 0 : -1;
	}
	t0 = now_ms();
	if (pr->m == M_IMPLICIT) {
		/* A plain-text server greets at once; a TLS one waits. */
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		char peek[16];
		ssize_t n = 0;

		if (poll(&pfd, 1, 1000) == 1)
			n = recv(c.fd, peek, sizeof(peek), MSG_PEEK);
		if (n > 0 && S_looks_plain(peek, (size_t)n)) {
			S_read_line(&c, line, sizeof(line), 1000);
			S_clean(said, 64, line);
			S_mismatch(d, pr->p, pr->m, pr->host, pr->port, said);
			goto out;
		}
		r = S_tls(d, &c, pr->host, 0);
		if (r == -1) {
			S_mismatch(d, pr->p, pr->m, pr->host, pr->port, "?");
			goto out;
		}
		if (r == 0)
			goto out;
		tls = 1;
		trusted = S_check_cert(d, c.ssl, pr->host);
		t0 = now_ms();
		r = S_read_greeting(d, &c, line, sizeof(line),
		    (long)d->timeout * 1000);
	} else {
		long wait = (long)d->timeout * 1000 < DN_GREET_MS ?
		    (long)d->timeout * 1000 : DN_GREET_MS;

		r = S_read_greeting(d, &c, line, sizeof(line), wait);
		if (r == 0) {
			/* Silence: maybe it waits for a TLS ClientHello. */
			if (S_tls(d, &c, pr->host, 1) == 1) {
				S_mismatch(d, pr->p, pr->m, pr->host, pr->port,
				    NULL);
				goto out;
			}
		}
	}
	long ms = now_ms() - t0;

	if (r <= 0) {
		S_say(d, "greeting", DN_FAIL, ms, r == 0 ? "the server "
		    "accepts connections but says nothing: it may be "
		    "overloaded, or this is not a mail port" : "the server "
		    "closes connections at once: it may be overloaded or "
		    "limit connections from this address", "%s",
		    r == 0 ? "no greeting in time" : "the server closed the "
		    "connection before greeting");
		goto out;
	}
	switch (pr->p) {
	case P_IMAP:
		if (!S_greeting(d, line, ms, strncasecmp(line, "* BYE", 5) ==
		    0 || strncasecmp(line, "* ", 2) != 0))
			goto out;
		S_probe_imap(d, &c, pr, trusted, tls);
		break;
	case P_POP3:
		if (!S_greeting(d, line, ms, strncmp(line, "+OK", 3) != 0))
			goto out;
		struct probe q = *pr;

		q.greeting = line;
		S_probe_pop3(d, &c, &q, trusted, tls);
		break;
	case P_SMTP:
		if (!S_greeting(d, line, ms, strncmp(line, "220", 3) != 0))
			goto out;
		S_probe_smtp(d, &c, pr, trusted, tls);
		break;
	}
out:
	S_conn_close(&c);
	r = !d->failed;
	d->failed |= failed;
	return r;
}

int
doctor_net_is_server(const char *target)
{
	if (strstr(target, "://") != NULL)
		return 1;
	if (*target == '/' || *target == '.' || *target == '~' ||
	    access(target, F_OK) == 0)
		return 0;
	return strchr(target, '/') == NULL;
}

/*
 * Whether DNS may be asked about name beyond the hosts file: not for
 * addresses and the names RFC 6761 keeps local.
 */
static int
S_public_name(const char *name)
{
	static const char *const local[] = { "localhost", ".localhost",
	    ".invalid", ".test", ".local" };
	size_t n = strlen(name);

	if (net_is_ip(name) || strchr(name, '.') == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		size_t k = strlen(local[i]);

		if (n >= k && strcasecmp(name + n - k, local[i]) == 0)
			return 0;
	}
	return 1;
}

/*
 * The records of one type for name: calls fn with each record's data.
 * Returns how many there were.
 */
static int
S_dns_each(const char *name, int type, void (*fn)(void *arg,
    const unsigned char *msg, const unsigned char *end,
    const unsigned char *rd, unsigned rdlen), void *arg)
{
	unsigned char msg[4096];
	char skip[NS_MAXDNAME];
	const unsigned char *p, *end;
	int len, qd, an, k, found = 0;

	len = res_query(name, C_IN, type, msg, sizeof(msg));
	if (len < 12 || len > (int)sizeof(msg))
		return 0;
	end = msg + len;
	qd = msg[4] << 8 | msg[5];
	an = msg[6] << 8 | msg[7];
	p = msg + 12;
	for (int i = 0; i < qd; i++) {
		if ((k = dn_expand(msg, end, p, skip, sizeof(skip))) < 0 ||
		    end - p < k + 4)
			return found;
		p += k + 4;
	}
	for (int i = 0; i < an; i++) {
		unsigned rtype, rdlen;

		if ((k = dn_expand(msg, end, p, skip, sizeof(skip))) < 0 ||
		    end - p < k + 10)
			return found;
		p += k;
		rtype = (unsigned)(p[0] << 8 | p[1]);
		rdlen = (unsigned)(p[8] << 8 | p[9]);
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return found;
		if ((int)rtype == type) {
			fn(arg, msg, end, p, rdlen);
			found++;
		}
		p += rdlen;
	}
	return found;
}

struct dns_list {
	struct buf b;
	int srv;		/* SRV, else MX */
};

static void
S_dns_add(void *arg, const unsigned char *msg, const unsigned char *end,
    const unsigned char *rd, unsigned rdlen)
{
	struct dns_list *l = arg;
	char target[NS_MAXDNAME];
	unsigned skip = l->srv ? 6 : 2;

	if (rdlen <= skip || dn_expand(msg, end, rd + skip, target,
	    sizeof(target)) < 0 || l->b.len > 300)
		return;
	if (l->srv)
		buf_addf(&l->b, "%s%s:%u", l->b.len ? ", " : "",
		    *target != '\0' ? target : ".",
		    (unsigned)(rd[4] << 8 | rd[5]));
	else
		buf_addf(&l->b, "%s%s", l->b.len ? ", " : "", target);
}

/* For an e-mail domain: SRV records (RFC 6186) and MX, as hints. */
static void
S_domain_hints(struct dn *d, const char *domain)
{
	static const char *const services[] = { "_imaps._tcp", "_imap._tcp",
	    "_pop3s._tcp", "_pop3._tcp", "_submission._tcp" };
	char name[NS_MAXDNAME];
	int any = 0;

	if (!S_public_name(domain))
		return;
	snprintf(d->where, sizeof(d->where), "%s", domain);
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		struct dns_list l = { .b = BUF_INIT, .srv = 1 };

		snprintf(name, sizeof(name), "%s.%s", services[i], domain);
		if (S_dns_each(name, T_SRV, S_dns_add, &l) > 0) {
			S_say(d, "srv", DN_INFO, -1, NULL, "%s: %s",
			    services[i], strcmp(l.b.s, ".:0") == 0 ?
			    "not offered (\".\")" : l.b.s);
			any = 1;
		}
		buf_release(&l.b);
	}
	if (!any)
		S_say(d, "srv", DN_INFO, -1, NULL, "no SRV records (RFC 6186): "
		    "the provider's setup page names the mail servers");
	struct dns_list mx = { .b = BUF_INIT };

	if (S_dns_each(domain, T_MX, S_dns_add, &mx) > 0)
		S_say(d, "mx", DN_INFO, -1, NULL, "mail for %s is received by "
		    "%s", domain, mx.b.s);
	buf_release(&mx.b);
}

/*
 * The password, when a source for one was given (never a prompt), or the
 * OAuth2 token when a token command was.
 */
static char *
S_password(struct dn *d, const struct net_spec *sp)
{
	struct err e;
	char *pw = NULL;

	if (getenv("MAILSAVE_PASSWORD") == NULL &&
	    d->no.password_file == NULL && d->no.password_command == NULL &&
	    !net_auth_oauth(&d->no))
		return NULL;
	err_clear(&e);
	if (net_secret(&d->no, sp, &pw, &e) != MS_OK) {
		snprintf(d->where, sizeof(d->where), "%s", sp->host);
		S_say(d, "password", DN_FAIL, -1, net_auth_oauth(&d->no) ?
		    "check --oauth2-token-command" : "check --password-file "
		    "or --password-command", "%s", e.msg);
		return NULL;
	}
	return pw;
}

/*
 * The port to try for a usual one: MAILSAVE_DOCTOR_PORTS="993=10993
 * 587=10587 ..." moves them (for tests against a server on other ports;
 * an account address names its port itself).
 */
static uint16_t
S_port_map(uint16_t port)
{
	const char *s = getenv("MAILSAVE_DOCTOR_PORTS");

	while (s != NULL && *s != '\0') {
		char *end;
		unsigned long from, to;

		from = strtoul(s, &end, 10);
		if (*end != '=')
			break;
		to = strtoul(end + 1, &end, 10);
		if (from == port && to > 0 && to <= 65535)
			return (uint16_t)to;
		s = end + strspn(end, " ,");
	}
	return port;
}

int
doctor_net_run(const char *target, const struct opts *o,
    dn_report_fn *report, void *arg, struct err *e)
{
	struct dn d = { .o = o, .report = report, .arg = arg };
	struct net_spec sp;
	struct addrinfo *res;
	int any = 0;

	memset(&sp, 0, sizeof(sp));
	net_opts_init(&d.no, o);
	d.timeout = o->timeout > 0 ? o->timeout : DN_TIMEOUT;
	if (strstr(target, "://") != NULL) {
		char *pw;
		struct probe pr;

		if (net_spec_parse(&sp, target, e) != MS_OK)
			return MS_FATAL;
		pr = (struct probe){
			.sp = &sp,
			.host = sp.host,
			.port = sp.port,
			.p = strncasecmp(sp.scheme, "imap", 4) == 0 ? P_IMAP :
			    P_POP3,
			.m = sp.implicit_tls ? M_IMPLICIT : M_STARTTLS,
		};
		if ((res = S_resolve(&d, sp.host)) == NULL) {
			net_spec_release(&sp);
			return MS_FAILED;
		}
		pw = S_password(&d, &sp);
		pr.password = pw;
		any = S_probe(&d, res, &pr) == 1;
		net_password_free(pw);
		freeaddrinfo(res);
		net_spec_release(&sp);
		return any && !d.failed ? MS_OK : MS_FAILED;
	}

	/* A bare host, or the domain of an e-mail address. */
	static const struct {
		uint16_t port;
		enum proto p;
		enum mode m;
	} ports[] = {
		{ 993, P_IMAP, M_IMPLICIT }, { 143, P_IMAP, M_STARTTLS },
		{ 995, P_POP3, M_IMPLICIT }, { 110, P_POP3, M_STARTTLS },
		{ 465, P_SMTP, M_IMPLICIT }, { 587, P_SMTP, M_STARTTLS },
	};
	const char *host = strrchr(target, '@');

	host = host != NULL ? host + 1 : target;
	if (*host == '\0' || strchr(host, '/') != NULL)
		return err_set(e, MS_FATAL, 0, "%s is neither an account "
		    "address (imaps://user@host) nor a host name", target);
	d.bare = 1;
	S_domain_hints(&d, host);
	if ((res = S_resolve(&d, host)) == NULL)
		return MS_FAILED;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct probe pr = {
			.host = host,
			.port = S_port_map(ports[i].port),
			.p = ports[i].p,
			.m = ports[i].m,
		};

		if (S_probe(&d, res, &pr) == 1 && pr.p != P_SMTP)
			any = 1;
	}
	freeaddrinfo(res);
	if (!any) {
		snprintf(d.where, sizeof(d.where), "%s", host);
		S_say(&d, "server", DN_FAIL, -1, "check the server name: the "
		    "provider's setup page gives the incoming mail server",
		    "no IMAP or POP3 service answers on %s", host);
	}
	return any && !d.failed ? MS_OK : MS_FAILED;
}
