/*
 * Helpers shared by the network readers (see net.h): account addresses,
 * options, passwords and OAuth2 tokens, the choice of an authentication
 * mechanism and the SASL exchange (used by doctor too), TCP connections
 * kept below FD_SETSIZE, certificate verification with OpenSSL, modified
 * UTF-7 folder names.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "signals.h"
#include "xalloc.h"

/* select() in libetpan cannot wait on a descriptor at or above this. */
#define NET_FD_LIMIT	1024
#define NET_PASSWORD_MAX	4096
/* Descriptors libetpan opens after the socket (cancel pipes). */
#define NET_FD_SPARE	4

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; NULL on a bad escape or NUL. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		int a, b;

		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (n - i < 3) {
			free(out);
			return NULL;
		}
		a = hexval((unsigned char)s[i + 1]);
		b = hexval((unsigned char)s[i + 2]);
		if (a < 0 || b < 0 || (a == 0 && b == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(a * 16 + b);
		i += 2;
	}
	*o = '\0';
	return out;
}

int
net_spec_is(const char *spec, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(spec, scheme, n) == 0 && strncmp(spec + n, "://",
	    3) == 0;
}

void
net_spec_release(struct net_spec *sp)
{
	free(sp->scheme);
	free(sp->user);
	free(sp->host);
	free(sp->path);
	memset(sp, 0, sizeof(*sp));
}

int
net_spec_parse(struct net_spec *sp, const char *spec, struct err *e)
{
	static const struct {
		const char *scheme;
		uint16_t port;
		int tls;
	} schemes[] = {
		{ "imaps", NET_PORT_IMAPS, 1 },
		{ "imap", NET_PORT_IMAP, 0 },
		{ "pop3s", NET_PORT_POP3S, 1 },
		{ "pop3", NET_PORT_POP3, 0 },
	};
	const char *p, *auth, *auth_end, *at, *host, *host_end, *port = NULL;
	size_t i;

	memset(sp, 0, sizeof(*sp));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (net_spec_is(spec, schemes[i].scheme))
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0]))
		return err_set(e, MS_FATAL, 0, "%s: not an imaps://, imap://, "
		    "pop3s:// or pop3:// address", spec);
	sp->scheme = xstrdup(schemes[i].scheme);
	sp->port = schemes[i].port;
	sp->implicit_tls = schemes[i].tls;

	auth = spec + strlen(schemes[i].scheme) + 3;
	auth_end = strchr(auth, '/');
	if (auth_end == NULL)
		auth_end = auth + strlen(auth);
	at = NULL;
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL || at == auth) {
		err_set(e, MS_FATAL, 0, "%s: no user name (write "
		    "%s://USER@%.*s)", spec, sp->scheme,
		    (int)(auth_end - auth), auth);
		goto fail;
	}
	if (memchr(auth, ':', (size_t)(at - auth)) != NULL) {
		/*
		 * A password in the address would end up in the index and in
		 * messages: refuse it without repeating it.
		 */
		err_set(e, MS_FATAL, 0, "%s://...@%.*s: no password in the "
		    "address, please: use MAILSAVE_PASSWORD, a password file "
		    "or a password command", sp->scheme,
		    (int)(auth_end - at - 1), at + 1);
		goto fail;
	}
	sp->user = pct_decode(auth, (size_t)(at - auth));
	if (sp->user == NULL || strchr(sp->user, ':') != NULL) {
		err_set(e, MS_FATAL, 0, "%s://...@%.*s: bad user name (a "
		    "bad %%-escape, or a ':')", sp->scheme,
		    (int)(auth_end - at - 1), at + 1);
		goto fail;
	}
	host = at + 1;
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(auth_end - host));
		if (host_end == NULL) {
			err_set(e, MS_FATAL, 0, "%s: unterminated [address]",
			    spec);
			goto fail;
		}
		sp->host = xstrndup(host + 1, (size_t)(host_end - host - 1));
		host_end++;
		if (host_end < auth_end && *host_end != ':') {
			err_set(e, MS_FATAL, 0, "%s: bad host", spec);
			goto fail;
		}
	} else {
		host_end = memchr(host, ':', (size_t)(auth_end - host));
		if (host_end == NULL)
			host_end = auth_end;
		sp->host = xstrndup(host, (size_t)(host_end - host));
	}
	if (host_end < auth_end)
		port = host_end + 1;
	if (sp->host[0] == '\0') {
		err_set(e, MS_FATAL, 0, "%s: no host name", spec);
		goto fail;
	}
	for (p = sp->host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr(".-_:%", *p) == NULL) {
			err_set(e, MS_FATAL, 0, "%s: bad host name", spec);
			goto fail;
		}
	if (port != NULL) {
		unsigned long v = 0;

		if (port == auth_end) {
			err_set(e, MS_FATAL, 0, "%s: empty port", spec);
			goto fail;
		}
		for (p = port; p < auth_end; p++) {
			if (!isdigit((unsigned char)*p) || v > 65535) {
				v = 0;
				break;
			}
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (v == 0 || v > 65535) {
			err_set(e, MS_FATAL, 0, "%s: bad port", spec);
			goto fail;
		}
		sp->port = (uint16_t)v;
	}
	if (*auth_end == '/' && auth_end[1] != '\0') {
		size_t n = strlen(auth_end + 1);

		/* A trailing slash is not part of the folder name. */
		while (n > 0 && auth_end[n] == '/')
			n--;
		sp->path = pct_decode(auth_end + 1, n);
		if (sp->path == NULL) {
			err_set(e, MS_FATAL, 0, "%s: bad %%-escape in the "
			    "folder", spec);
			goto fail;
		}
		if (sp->path[0] == '\0') {
			free(sp->path);
			sp->path = NULL;
		}
	}
	return MS_OK;
fail:
	net_spec_release(sp);
	return MS_FATAL;
}

void
net_opts_init(struct net_opts *no, const struct opts *o)
{
	const char *v;

	memset(no, 0, sizeof(*no));
	v = getenv("MAILSAVE_TLS");
	no->tls_none = v != NULL && strcmp(v, "none") == 0;
	v = getenv("MAILSAVE_CA_FILE");
	no->ca_file = v != NULL && *v != '\0' ? v : NULL;
	v = getenv("MAILSAVE_INSECURE");
	no->insecure = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	v = getenv("MAILSAVE_PIN");
	no->pin = v != NULL && *v != '\0' ? v : NULL;
	v = getenv("MAILSAVE_PASSWORD_FILE");
	no->password_file = v != NULL && *v != '\0' ? v : NULL;
	v = getenv("MAILSAVE_PASSWORD_COMMAND");
	no->password_command = v != NULL && *v != '\0' ? v : NULL;
	v = getenv("MAILSAVE_OAUTH2_TOKEN_COMMAND");
	no->oauth2_token_command = v != NULL && *v != '\0' ? v : NULL;
	v = getenv("MAILSAVE_AUTH");
	no->auth = v != NULL && *v != '\0' ? v : NULL;
	no->timeout = 60;
	v = getenv("MAILSAVE_TIMEOUT");
	if (v != NULL && atoi(v) > 0)
		no->timeout = (unsigned)atoi(v);
	no->retries = 5;
	v = getenv("MAILSAVE_RETRIES");
	if (v != NULL && *v >= '0' && *v <= '9')
		no->retries = (unsigned)atoi(v);
	if (o == NULL)
		return;
	/* Command-line options win over the environment. */
	if (o->tls != NULL)
		no->tls_none = strcmp(o->tls, "none") == 0;
	if (o->ca_file != NULL)
		no->ca_file = o->ca_file;
	if (o->insecure)
		no->insecure = 1;
	if (o->pin != NULL)
		no->pin = o->pin;
	if (o->password_file != NULL)
		no->password_file = o->password_file;
	if (o->password_command != NULL)
		no->password_command = o->password_command;
	if (o->oauth2_token_command != NULL)
		no->oauth2_token_command = o->oauth2_token_command;
	if (o->auth != NULL)
		no->auth = o->auth;
	if (o->timeout > 0)
		no->timeout = o->timeout;
	if (o->retries >= 0)
		no->retries = (unsigned)o->retries;
}

void
net_password_free(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, strlen(pw));
	free(pw);
}

/* The first line of f, without its line end, into a new string. */
static char *
first_line(FILE *f)
{
	char *line = xmalloc(NET_PASSWORD_MAX + 1);
	size_t n = 0;
	int c;

	while (n < NET_PASSWORD_MAX && (c = getc(f)) != EOF && c != '\n')
		line[n++] = (char)c;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return line;
}

/* Drain and discard the rest of f (a command's output). */
static void
drain(FILE *f)
{
	char tmp[512];

	while (fread(tmp, 1, sizeof(tmp), f) > 0)
		;
}

/* Read a .netrc entry for host and user; NULL when there is none. */
static char *
netrc_password(const char *host, const char *user)
{
	const char *home = getenv("HOME");
	char path[4096], tok[512], *pw = NULL;
	int in_machine = 0, user_ok = 0, c;
	FILE *f;

	if (home == NULL || *home == '\0')
		return NULL;
	snprintf(path, sizeof(path), "%s/.netrc", home);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		size_t n = 0;

		while ((c = getc(f)) != EOF && isspace(c))
			;
		if (c == EOF)
			break;
		do {
			if (n + 1 < sizeof(tok))
				tok[n++] = (char)c;
		} while ((c = getc(f)) != EOF && !isspace(c));
		tok[n] = '\0';
		if (strcmp(tok, "machine") == 0 ||
		    strcmp(tok, "default") == 0) {
			char name[512];

			if (pw != NULL && user_ok)
				break;
			net_password_free(pw);
			pw = NULL;
			user_ok = 0;
			in_machine = strcmp(tok, "default") == 0;
			if (!in_machine && fscanf(f, "%511s", name) == 1)
				in_machine = strcasecmp(name, host) == 0;
			continue;
		}
		if (!in_machine)
			continue;
		if (strcmp(tok, "login") == 0) {
			char name[512];

			if (fscanf(f, "%511s", name) == 1)
				user_ok = strcmp(name, user) == 0;
		} else if (strcmp(tok, "password") == 0) {
			char word[NET_PASSWORD_MAX];

			if (fscanf(f, "%4095s", word) == 1) {
				net_password_free(pw);
				pw = xstrdup(word);
				explicit_bzero(word, sizeof(word));
			}
		}
	}
	fclose(f);
	if (pw != NULL && !user_ok) {
		net_password_free(pw);
		pw = NULL;
	}
	return pw;
}

/*
 * Ask on the terminal, without echo, when stdin is one (never in scripts:
 * there the other ways apply).  NULL when there is no terminal or the
 * answer is empty.
 */
static char *
tty_password(const struct net_spec *sp)
{
	struct termios old, quiet;
	char *pw;
	FILE *tty;

	if (!isatty(STDIN_FILENO) || (tty = fopen("/dev/tty", "r+")) == NULL)
		return NULL;
	if (tcgetattr(fileno(tty), &old) != 0) {
		fclose(tty);
		return NULL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	fprintf(tty, "Password for %s@%s: ", sp->user, sp->host);
	fflush(tty);
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	pw = first_line(tty);
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (*pw == '\0') {
		net_password_free(pw);
		return NULL;
	}
	return pw;
}

/*
 * The first line cmd prints (run by /bin/sh -c, popen), for a password or
 * a token.  what names the command in messages, noun what it prints; the
 * line itself never appears in one.
 */
static int
command_secret(const char *cmd, const char *what, const char *noun,
    char **out, struct err *e)
{
	char *line;
	FILE *f;
	int st;

	*out = NULL;
	fflush(NULL);
	if ((f = popen(cmd, "r")) == NULL)
		return err_set(e, MS_FATAL, errno, "%s", what);
	line = first_line(f);
	drain(f);
	st = pclose(f);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    *line == '\0') {
		net_password_free(line);
		return err_set(e, MS_FATAL, 0, "%s %s%s", what,
		    st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ?
		    "printed no " : "failed", st != -1 && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0 ? noun : "");
	}
	*out = line;
	return MS_OK;
}

int
net_password(const struct net_opts *no, const struct net_spec *sp,
    char **out, struct err *e)
{
	const char *env = getenv("MAILSAVE_PASSWORD");
	char *pw;

	*out = NULL;
	if (env != NULL && *env != '\0') {
		*out = xstrdup(env);
		return MS_OK;
	}
	if (no->password_file != NULL) {
		FILE *f = fopen(no->password_file, "r");

		if (f == NULL)
			return err_set(e, MS_FATAL, errno, "password file %s",
			    no->password_file);
		pw = first_line(f);
		fclose(f);
		if (*pw == '\0') {
			net_password_free(pw);
			return err_set(e, MS_FATAL, 0, "password file %s: the "
			    "first line is empty", no->password_file);
		}
		*out = pw;
		return MS_OK;
	}
	if (no->password_command != NULL)
		return command_secret(no->password_command, "password command",
		    "password", out, e);
	if ((pw = netrc_password(sp->host, sp->user)) != NULL) {
		*out = pw;
		return MS_OK;
	}
	if ((pw = tty_password(sp)) != NULL) {
		*out = pw;
		return MS_OK;
	}
	return err_set(e, MS_FATAL, 0, "no password for %s@%s: set "
	    "MAILSAVE_PASSWORD, a password file, a password command or a "
	    "~/.netrc entry (or run on a terminal to be asked)", sp->user,
	    sp->host);
}

int
net_auth_oauth(const struct net_opts *no)
{
	int m = no->auth != NULL ? net_mech_parse(no->auth) : NET_MECH_AUTO;

	return no->oauth2_token_command != NULL && (m == NET_MECH_AUTO ||
	    m == NET_MECH_XOAUTH2 || m == NET_MECH_OAUTHBEARER);
}

int
net_secret(const struct net_opts *no, const struct net_spec *sp,
    char **out, struct err *e)
{
	int m = no->auth != NULL ? net_mech_parse(no->auth) : NET_MECH_AUTO;

	*out = NULL;
	if (m == NET_MECH_XOAUTH2 || m == NET_MECH_OAUTHBEARER) {
		if (no->oauth2_token_command == NULL)
			return err_set(e, MS_FATAL, 0, "--auth %s needs "
			    "--oauth2-token-command (a command that prints an "
			    "access token)", no->auth);
	}
	if (net_auth_oauth(no))
		return command_secret(no->oauth2_token_command,
		    "OAuth2 token command", "token", out, e);
	return net_password(no, sp, out, e);
}

/* ---- Authentication. ---- */

static const struct {
	const char *opt;	/* --auth */
	const char *name;	/* SASL or command name */
	int mech;
} mechs[] = {
	{ "auto", "", NET_MECH_AUTO },
	{ "login", "LOGIN", NET_MECH_LOGIN },
	{ "plain", "PLAIN", NET_MECH_PLAIN },
	{ "cram-md5", "CRAM-MD5", NET_MECH_CRAM_MD5 },
	{ "xoauth2", "XOAUTH2", NET_MECH_XOAUTH2 },
	{ "oauthbearer", "OAUTHBEARER", NET_MECH_OAUTHBEARER },
	{ "apop", "APOP", NET_MECH_APOP },
};
#define NMECHS	(sizeof(mechs) / sizeof(mechs[0]))

int
net_mech_parse(const char *name)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (strcasecmp(name, mechs[i].opt) == 0)
			return mechs[i].mech;
	return -1;
}

const char *
net_mech_name(int mech)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (mechs[i].mech == mech)
			return mechs[i].name;
	return "?";
}

unsigned
net_mech_sasl_bit(const char *s, size_t n)
{
	for (size_t i = 0; i < NMECHS; i++) {
		int m = mechs[i].mech;

		/* LOGIN and APOP are commands here, not SASL mechanisms. */
		if (m == NET_MECH_AUTO || m == NET_MECH_LOGIN ||
		    m == NET_MECH_APOP)
			continue;
		if (strlen(mechs[i].name) == n &&
		    strncasecmp(s, mechs[i].name, n) == 0)
			return NET_MECH_BIT(m);
	}
	return 0;
}

/* "PLAIN CRAM-MD5 ..." of what a server offers, for messages. */
static void
offer_names(struct buf *out, const struct net_offer *of)
{
	buf_reset(out);
	if (of->login)
		buf_adds(out, "LOGIN");
	if (of->apop)
		buf_addf(out, "%sAPOP", out->len ? " " : "");
	for (int m = NET_MECH_PLAIN; m <= NET_MECH_OAUTHBEARER; m++)
		if (of->sasl & NET_MECH_BIT(m))
			buf_addf(out, "%s%s", out->len ? " " : "",
			    net_mech_name(m));
	if (out->len == 0)
		buf_adds(out, "nothing mailsave speaks");
}

int
net_auth_choose(const struct net_opts *no, const struct net_offer *of,
    int *mech, struct err *e)
{
	int want = no->auth != NULL ? net_mech_parse(no->auth) : NET_MECH_AUTO;
	int offered;
	struct buf names = BUF_INIT;

	*mech = NET_MECH_AUTO;
	if (want < 0)
		return err_set(e, MS_FATAL, 0, "unknown authentication '%s' "
		    "(auto, login, plain, cram-md5, xoauth2, oauthbearer or "
		    "apop)", no->auth);
	if (want == NET_MECH_AUTO && net_auth_oauth(no)) {
		if (of->sasl & NET_MECH_BIT(NET_MECH_OAUTHBEARER))
			*mech = NET_MECH_OAUTHBEARER;
		else if (of->sasl & NET_MECH_BIT(NET_MECH_XOAUTH2))
			*mech = NET_MECH_XOAUTH2;
		if (*mech != NET_MECH_AUTO)
			return MS_OK;
		offer_names(&names, of);
		err_set(e, MS_FATAL, 0, "the server offers no OAuth2 login "
		    "(XOAUTH2 or OAUTHBEARER), only %s: drop "
		    "--oauth2-token-command and use a password", names.s);
		buf_release(&names);
		return MS_FATAL;
	}
	if (want == NET_MECH_AUTO) {
		/* Without TLS, what keeps the password off the wire first. */
		static const int clear[] = { NET_MECH_CRAM_MD5, NET_MECH_APOP,
		    NET_MECH_PLAIN, NET_MECH_LOGIN };
		static const int tls[] = { NET_MECH_PLAIN, NET_MECH_LOGIN,
		    NET_MECH_CRAM_MD5, NET_MECH_APOP };
		const int *order = of->tls ? tls : clear;

		for (size_t i = 0; i < 4; i++) {
			int m = order[i];

			if ((m == NET_MECH_LOGIN && of->login) ||
			    (m == NET_MECH_APOP && of->apop) ||
			    (of->sasl & NET_MECH_BIT(m)) != 0) {
				*mech = m;
				return MS_OK;
			}
		}
		/* LOGIN disabled, nothing announced: PLAIN may still work. */
		*mech = NET_MECH_PLAIN;
		return MS_OK;
	}
	switch (want) {
	case NET_MECH_LOGIN:
		offered = of->login;
		break;
	case NET_MECH_APOP:
		offered = of->apop;
		break;
	case NET_MECH_PLAIN:
		/* Often unannounced without TLS, and taken anyway. */
		offered = 1;
		break;
	default:
		offered = (of->sasl & NET_MECH_BIT(want)) != 0;
		break;
	}
	if (offered) {
		*mech = want;
		return MS_OK;
	}
	offer_names(&names, of);
	if (want == NET_MECH_LOGIN)
		err_set(e, MS_FATAL, 0, "the server does not allow LOGIN "
		    "here%s; it offers %s: try --auth auto", of->tls ? "" :
		    " without TLS", names.s);
	else
		err_set(e, MS_FATAL, 0, "the server does not offer %s; it "
		    "offers %s: try --auth auto", net_mech_name(want),
		    names.s);
	buf_release(&names);
	return MS_FATAL;
}

/* Append a SASL name (RFC 5801): ',' and '=' escaped. */
static void
add_saslname(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ',')
			buf_adds(out, "=2C");
		else if (*s == '=')
			buf_adds(out, "=3D");
		else
			buf_addc(out, *s);
	}
}

int
net_sasl_response(struct buf *out, const struct net_sasl *a,
    const char *challenge, size_t clen)
{
	struct buf raw = BUF_INIT, dec = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int st = 0;

	switch (a->mech) {
	case NET_MECH_PLAIN:
		buf_addc(&raw, '\0');
		buf_adds(&raw, a->user);
		buf_addc(&raw, '\0');
		buf_adds(&raw, a->secret);
		break;
	case NET_MECH_XOAUTH2:
		buf_addf(&raw, "user=%s\001auth=Bearer %s\001\001", a->user,
		    a->secret);
		break;
	case NET_MECH_OAUTHBEARER:
		buf_adds(&raw, "n,a=");
		add_saslname(&raw, a->user);
		buf_addf(&raw, ",\001host=%s\001port=%u\001auth=Bearer "
		    "%s\001\001", a->host != NULL ? a->host : "",
		    (unsigned)a->port, a->secret);
		break;
	case NET_MECH_CRAM_MD5:
		if (net_unbase64(&dec, challenge, clen) != 0 ||
		    dec.len == 0 || HMAC(EVP_md5(), a->secret,
		    (int)strlen(a->secret), (const unsigned char *)dec.s,
		    dec.len, md, &mdlen) == NULL) {
			st = -1;
			break;
		}
		buf_adds(&raw, a->user);
		buf_addc(&raw, ' ');
		for (unsigned int i = 0; i < mdlen; i++)
			buf_addf(&raw, "%02x", md[i]);
		explicit_bzero(md, sizeof(md));
		break;
	default:
		st = -1;
		break;
	}
	if (st == 0)
		net_base64(out, raw.s, raw.len);
	if (raw.s != NULL)
		explicit_bzero(raw.s, raw.len);
	buf_release(&raw);
	buf_release(&dec);
	return st;
}

int
net_apop_digest(struct buf *out, const char *greeting, const char *password)
{
	const char *lt = strchr(greeting, '<'), *gt;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	if (lt == NULL || (gt = strchr(lt, '>')) == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, lt, (size_t)(gt - lt + 1)) == 1 &&
	    EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++)
		buf_addf(out, "%02x", md[i]);
	return 0;
}

/* Whether line (CR LF or not) is a continuation request: "+" or "+ ...". */
static int
is_challenge(const char *line)
{
	return line[0] == '+' && (line[1] == ' ' || line[1] == '\0' ||
	    line[1] == '\r' || line[1] == '\n');
}

/* Send s and CR LF, then wipe s. */
static int
send_wipe(const struct net_sasl_io *io, struct buf *s)
{
	int r;

	buf_adds(s, "\r\n");
	r = io->send(io->arg, s->s, s->len);
	explicit_bzero(s->s, s->len);
	buf_reset(s);
	return r;
}

/* The longest POP3 AUTH command with an initial response (RFC 5034 4). */
#define POP3_AUTH_LINE_MAX	255
/* Challenges answered before giving up (CRAM-MD5 needs one). */
#define SASL_ROUNDS_MAX	4

const char *
net_sasl_run(const struct net_sasl *a, const struct net_sasl_io *io)
{
	struct buf cmd = BUF_INIT, resp = BUF_INIT;
	const char *line = NULL;
	int sent = 0, rounds = 0;

	if (a->proto == NET_PROTO_IMAP)
		buf_addf(&cmd, "%sAUTHENTICATE %s", a->prefix != NULL ?
		    a->prefix : "", net_mech_name(a->mech));
	else
		buf_addf(&cmd, "AUTH %s", net_mech_name(a->mech));
	if (a->mech != NET_MECH_CRAM_MD5 && (a->ir ||
	    a->proto == NET_PROTO_POP3) &&
	    net_sasl_response(&resp, a, NULL, 0) == 0) {
		if (a->proto == NET_PROTO_IMAP ||
		    cmd.len + 1 + resp.len + 2 <= POP3_AUTH_LINE_MAX) {
			buf_addc(&cmd, ' ');
			buf_add(&cmd, resp.s, resp.len);
			sent = 1;
		}
		explicit_bzero(resp.s, resp.len);
		buf_reset(&resp);
	}
	if (send_wipe(io, &cmd) != 0)
		goto out;
	for (;;) {
		const char *ch;
		size_t clen;

		if ((line = io->read_line(io->arg)) == NULL ||
		    !is_challenge(line))
			break;
		ch = line[1] == ' ' ? line + 2 : line + 1;
		clen = strcspn(ch, "\r\n");
		if (++rounds > SASL_ROUNDS_MAX) {
			buf_adds(&resp, "*");
		} else if (!sent) {
			if (net_sasl_response(&resp, a, ch, clen) != 0) {
				buf_reset(&resp);
				buf_adds(&resp, "*");
			}
			sent = 1;
		} else {
			/* An error challenge: keep its words, then end. */
			if (a->said != NULL && net_unbase64(a->said, ch,
			    clen) == 0) {
				for (size_t i = 0; i < a->said->len; i++)
					if ((unsigned char)a->said->s[i] < 0x20)
						a->said->s[i] = ' ';
			}
			/* XOAUTH2 wants an empty line, OAUTHBEARER %x01. */
			if (a->mech == NET_MECH_OAUTHBEARER)
				buf_adds(&resp, "AQ==");
			else if (a->mech != NET_MECH_XOAUTH2)
				buf_adds(&resp, "*");
		}
		if (send_wipe(io, &resp) != 0) {
			line = NULL;
			break;
		}
	}
out:
	buf_release(&cmd);
	buf_release(&resp);
	return line;
}

int
net_is_ip(const char *host)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, tmp) == 1 ||
	    inet_pton(AF_INET6, host, tmp) == 1;
}

/* Connect one address with a timeout.  Returns fd or -1 (errno set). */
int
net_connect_addr(const struct addrinfo *ai, unsigned timeout)
{
	struct pollfd pfd;
	socklen_t len;
	int fd, flags, soerr, r;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (fd >= NET_FD_LIMIT) {
		/* The lowest free descriptor from 3 up, or none below 1024. */
		int low = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		close(fd);
		if (low < 0)
			return -1;
		if (low >= NET_FD_LIMIT) {
			close(low);
			errno = EMFILE;
			return -1;
		}
		fd = low;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto fail;
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno != EINPROGRESS)
		goto fail;
	if (r < 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			r = poll(&pfd, 1, (int)(timeout * 1000));
		} while (r < 0 && errno == EINTR && !interrupted);
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (r < 0)
			goto fail;
		len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		goto fail;
	return fd;
fail:
	r = errno;
	close(fd);
	errno = r;
	return -1;
}

int
net_connect(const char *host, uint16_t port, unsigned timeout, int *fd,
    struct err *e)
{
	struct addrinfo hints, *res, *ai;
	char service[8];
	int r, last = ECONNREFUSED;

	*fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0)
		return err_set(e, MS_FATAL, 0, "%s: %s", host,
		    gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		*fd = net_connect_addr(ai, timeout ? timeout : 60);
		if (*fd >= 0)
			break;
		last = errno;
	}
	freeaddrinfo(res);
	if (*fd < 0)
		return err_set(e, MS_FATAL, last, "connect to %s port %u",
		    host, (unsigned)port);
	/*
	 * libetpan adds a cancel pipe to every stream (two per STARTTLS) and
	 * waits on it with select() too: those descriptors, the next lowest
	 * free ones, must be below the limit as well.  Check that they will
	 * be (nothing else opens files between here and there).
	 */
	int probe[NET_FD_SPARE], n = 0, high = 0;

	for (n = 0; n < NET_FD_SPARE; n++) {
		probe[n] = fcntl(*fd, F_DUPFD_CLOEXEC, 0);
		if (probe[n] < 0 || probe[n] >= NET_FD_LIMIT) {
			high = 1;
			n++;
			break;
		}
	}
	while (n-- > 0)
		if (probe[n] >= 0)
			close(probe[n]);
	if (high) {
		close(*fd);
		*fd = -1;
		return err_set(e, MS_FATAL, EMFILE, "connect to %s port %u: "
		    "libetpan needs descriptors below %d", host,
		    (unsigned)port, NET_FD_LIMIT);
	}
	return MS_OK;
}

/* "AB:CD:..." of the SHA-256 of der. */
static void
fingerprint(const unsigned char *der, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t o = 0;

	out[0] = '\0';
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	for (unsigned int i = 0; i < mdlen && o + 4 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%02X",
		    i ? ":" : "", md[i]);
}

/* Whether pin ("sha256:" hex, colons allowed) is the SHA-256 of der. */
static int
pin_matches(const char *pin, const unsigned char *der, size_t len, int *bad)
{
	unsigned char md[EVP_MAX_MD_SIZE], want[32];
	unsigned int mdlen = 0;
	size_t n = 0;

	*bad = 0;
	if (strncasecmp(pin, "sha256:", 7) != 0) {
		*bad = 1;
		return 0;
	}
	for (const char *p = pin + 7; *p != '\0'; p++) {
		int a, b;

		if (*p == ':')
			continue;
		a = hexval((unsigned char)p[0]);
		b = p[1] ? hexval((unsigned char)p[1]) : -1;
		if (a < 0 || b < 0 || n == sizeof(want)) {
			*bad = 1;
			return 0;
		}
		want[n++] = (unsigned char)(a * 16 + b);
		p++;
	}
	if (n != sizeof(want)) {
		*bad = 1;
		return 0;
	}
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(want))
		return 0;
	return memcmp(md, want, sizeof(want)) == 0;
}

/* The DNS names and addresses a certificate is for, for messages. */
static void
cert_names(struct buf *out, X509 *c)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(c, NID_subject_alt_name, NULL,
	    NULL);
	int n = names != NULL ? sk_GENERAL_NAME_num(names) : 0, shown = 0;

	for (int i = 0; i < n && shown < 4; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *a = g->d.dNSName;
			const unsigned char *d = ASN1_STRING_get0_data(a);
			int len = ASN1_STRING_length(a);

			buf_addf(out, "%s%.*s", shown++ ? ", " : "", len,
			    (const char *)d);
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *a = g->d.iPAddress;
			const unsigned char *d = ASN1_STRING_get0_data(a);
			int len = ASN1_STRING_length(a);
			char ip[INET6_ADDRSTRLEN];

			if (inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip,
			    sizeof(ip)) != NULL && (len == 4 || len == 16))
				buf_addf(out, "%s%s", shown++ ? ", " : "", ip);
		}
	}
	if (shown == 0)
		buf_adds(out, "no host name");
	GENERAL_NAMES_free(names);
}

int
net_verify_chain(const unsigned char *const *der, const size_t *len,
    size_t n, const char *host, const struct net_opts *no, struct err *e)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *leaf = NULL;
	char fp[3 * 32 + 1];
	int st = MS_FATAL;

	if (n == 0)
		return err_set(e, MS_FATAL, 0, "%s sent no certificate", host);
	fingerprint(der[0], len[0], fp, sizeof(fp));
	if (no->pin != NULL) {
		int bad;

		if (pin_matches(no->pin, der[0], len[0], &bad))
			return MS_OK;
		if (bad)
			return err_set(e, MS_FATAL, 0, "bad pin '%s' (write "
			    "sha256: and the 64 hex digits of the "
			    "certificate's SHA-256 fingerprint)", no->pin);
		return err_set(e, MS_FATAL, 0, "the certificate of %s does "
		    "not match the pin: its fingerprint is sha256:%s", host,
		    fp);
	}
	if (no->insecure)
		return MS_OK;

	const unsigned char *p = der[0];

	leaf = d2i_X509(NULL, &p, (long)len[0]);
	if (leaf == NULL) {
		err_set(e, MS_FATAL, 0, "%s sent a certificate OpenSSL cannot "
		    "read", host);
		goto out;
	}
	untrusted = sk_X509_new_null();
	for (size_t i = 1; i < n && untrusted != NULL; i++) {
		X509 *c;

		p = der[i];
		if ((c = d2i_X509(NULL, &p, (long)len[i])) != NULL &&
		    !sk_X509_push(untrusted, c))
			X509_free(c);
	}
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (untrusted == NULL || store == NULL || ctx == NULL) {
		err_set(e, MS_FATAL, ENOMEM, "certificate check");
		goto out;
	}
	if (no->ca_file != NULL) {
		if (X509_STORE_load_locations(store, no->ca_file, NULL) != 1) {
			unsigned long le = ERR_peek_last_error();

			err_set(e, MS_FATAL, 0, "CA file %s: %s", no->ca_file,
			    le ? ERR_reason_error_string(le) :
			    "no certificates");
			ERR_clear_error();
			goto out;
		}
	} else if (X509_STORE_set_default_paths(store) != 1) {
		err_set(e, MS_FATAL, 0, "cannot load the system's trusted "
		    "certificates");
		ERR_clear_error();
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		err_set(e, MS_FATAL, 0, "certificate check: cannot start");
		goto out;
	}
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
	if (net_is_ip(host))
		X509_VERIFY_PARAM_set1_ip_asc(param, host);
	else
		X509_VERIFY_PARAM_set1_host(param, host, 0);
	if (X509_verify_cert(ctx) == 1) {
		st = MS_OK;
	} else {
		int code = X509_STORE_CTX_get_error(ctx);
		struct buf hint = BUF_INIT;

		switch (code) {
		case X509_V_ERR_HOSTNAME_MISMATCH:
		case X509_V_ERR_IP_ADDRESS_MISMATCH:
			buf_adds(&hint, "it is for ");
			cert_names(&hint, leaf);
			buf_adds(&hint, ": connect with one of those names");
			break;
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
			buf_adds(&hint, "the server's administrator must renew "
			    "it (or check this computer's clock)");
			break;
		default:
			buf_adds(&hint, no->ca_file != NULL ? "is --ca-file "
			    "the CA that signed it?" : "for a private CA give "
			    "--ca-file FILE, or --pin that fingerprint once "
			    "you have checked it");
			break;
		}
		err_set(e, MS_FATAL, 0, "the certificate of %s is not "
		    "trusted: %s (sha256:%s); %s", host,
		    X509_verify_cert_error_string(code), fp, hint.s);
		buf_release(&hint);
	}
	ERR_clear_error();
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	return st;
}

int
net_mutf7_decode(struct buf *out, const char *s)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	size_t start = out->len;
	unsigned hi = 0;

	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return -1;
	while (*s != '\0') {
		unsigned bits = 0, nbits = 0;
		int units = 0;

		if (*s != '&') {
			buf_addc(out, *s++);
			continue;
		}
		s++;
		if (*s == '-') {
			buf_addc(out, '&');
			s++;
			continue;
		}
		while (*s != '-') {
			const char *q = *s != '\0' ? strchr(b64, *s) : NULL;
			unsigned u;

			if (q == NULL)
				goto bad;
			bits = (bits << 6) | (unsigned)(q - b64);
			nbits += 6;
			s++;
			if (nbits < 16)
				continue;
			nbits -= 16;
			u = (bits >> nbits) & 0xffff;
			bits &= (1u << nbits) - 1;
			units++;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (hi != 0)
					goto bad;
				hi = u;
				continue;
			}
			if (u >= 0xdc00 && u <= 0xdfff) {
				if (hi == 0)
					goto bad;
				u = 0x10000 + ((hi - 0xd800) << 10) +
				    (u - 0xdc00);
				hi = 0;
			} else if (hi != 0) {
				goto bad;
			}
			/* Printable ASCII must not be encoded (RFC 3501). */
			if (u >= 0x20 && u <= 0x7e)
				goto bad;
			if (u < 0x80) {
				buf_addc(out, (char)u);
			} else if (u < 0x800) {
				buf_addc(out, (char)(0xc0 | (u >> 6)));
				buf_addc(out, (char)(0x80 | (u & 0x3f)));
			} else if (u < 0x10000) {
				buf_addc(out, (char)(0xe0 | (u >> 12)));
				buf_addc(out, (char)(0x80 | ((u >> 6) & 0x3f)));
				buf_addc(out, (char)(0x80 | (u & 0x3f)));
			} else {
				buf_addc(out, (char)(0xf0 | (u >> 18)));
				buf_addc(out,
				    (char)(0x80 | ((u >> 12) & 0x3f)));
				buf_addc(out, (char)(0x80 | ((u >> 6) & 0x3f)));
				buf_addc(out, (char)(0x80 | (u & 0x3f)));
			}
		}
		/* "&-" handled above; "&" + bits must end cleanly. */
		if (units == 0 || nbits >= 6 || bits != 0 || hi != 0)
			goto bad;
		s++;
	}
	return 0;
bad:
	buf_setlen(out, start);
	return -1;
}

/* Whether s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			min = 0x80;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			min = 0x800;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			min = 0x10000;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Append one hierarchy level of a display path. */
static void
add_level(struct buf *out, const char *s, size_t n)
{
	if (n == 0) {
		buf_addc(out, '_');
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '/')
			buf_adds(out, "\xe2\x88\x95");	/* U+2215 */
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			buf_addc(out, '_');
		else
			buf_addc(out, s[i]);
	}
}

void
net_folder_display(struct buf *out, const char *raw, char delim)
{
	struct buf dec = BUF_INIT;
	const char *p, *s;

	if (net_mutf7_decode(&dec, raw) != 0) {
		buf_reset(&dec);
		if (utf8_valid((const unsigned char *)raw, strlen(raw))) {
			buf_adds(&dec, raw);
		} else {
			/* Neither: keep the bytes readable and unique. */
			for (p = raw; *p != '\0'; p++) {
				if ((unsigned char)*p < 0x80)
					buf_addc(&dec, *p);
				else
					buf_addf(&dec, "%%%02X",
					    (unsigned char)*p);
			}
		}
	}
	/*
	 * The delimiter is ASCII, so splitting the decoded name is the same
	 * as splitting the raw one (modified UTF-7 never encodes it).
	 */
	buf_reset(out);
	s = dec.s;
	for (;;) {
		p = delim != 0 ? strchr(s, delim) : NULL;
		if (p == NULL)
			p = s + strlen(s);
		if (out->len == 0 && (size_t)(p - s) == 5 &&
		    strncasecmp(s, "INBOX", 5) == 0)
			buf_adds(out, "INBOX");
		else
			add_level(out, s, (size_t)(p - s));
		if (*p == '\0')
			break;
		buf_addc(out, '/');
		s = p + 1;
	}
	buf_release(&dec);
}

void
net_base64(struct buf *out, const void *data, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
		    p[i + 2];

		buf_addc(out, tab[v >> 18]);
		buf_addc(out, tab[(v >> 12) & 63]);
		buf_addc(out, tab[(v >> 6) & 63]);
		buf_addc(out, tab[v & 63]);
	}
	if (i < len) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		buf_addc(out, tab[v >> 18]);
		buf_addc(out, tab[(v >> 12) & 63]);
		buf_addc(out, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		buf_addc(out, '=');
	}
}

int
net_unbase64(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len;
	unsigned v = 0, bits = 0;
	size_t i, pad = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i], d;

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			goto bad;
		if (c >= 'A' && c <= 'Z')
			d = c - 'A';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			d = c - '0' + 52;
		else if (c == '+')
			d = 62;
		else if (c == '/')
			d = 63;
		else
			goto bad;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((v >> bits) & 0xff));
			v &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, and at most two '='. */
	if (pad > 2 || bits >= 6 || v != 0)
		goto bad;
	return 0;
bad:
	buf_setlen(out, start);
	return -1;
}

int64_t
net_civil_to_unix(int year, int mon, int day, int hour, int min, int sec,
    int zone)
{
	/* Days from 1970-01-01 (Howard Hinnant's days_from_civil). */
	int64_t y = year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	int zsign = zone < 0 ? -1 : 1;
	int zabs = zone < 0 ? -zone : zone;
	int64_t off = zsign * ((zabs / 100) * 3600 + (zabs % 100) * 60);

	return days * 86400 + hour * 3600 + min * 60 + sec - off;
}

/* ---- the drip-feed watchdog ---- */

struct net_watchdog {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;		/* under mu */
	int fd;			/* under mu; -1 when none */
	unsigned timeout;
	atomic_int armed;
	_Atomic uint64_t rx;
	char why[96];		/* under mu; "" unless it cut */
};

static double
wd_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void *
wd_main(void *arg)
{
	struct net_watchdog *wd = arg;
	double t0 = 0, window = (double)NET_DRIP_WINDOWS * wd->timeout;
	uint64_t b0 = 0;
	int was_armed = 0;

	pthread_mutex_lock(&wd->mu);
	while (!wd->stop) {
		struct timespec until;
		double now;
		uint64_t got;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&wd->cv, &wd->mu, &until);
		if (wd->stop)
			break;
		if (!atomic_load(&wd->armed) || wd->fd < 0 || wd->why[0]) {
			was_armed = 0;
			continue;
		}
		now = wd_now();
		if (!was_armed) {
			was_armed = 1;
			t0 = now;
			b0 = atomic_load(&wd->rx);
			continue;
		}
		if (now - t0 < window)
			continue;
		got = atomic_load(&wd->rx) - b0;
		if ((double)got < NET_DRIP_RATE * (now - t0)) {
			snprintf(wd->why, sizeof(wd->why), "the server sent only "
			    "%llu bytes in %.0f s", (unsigned long long)got,
			    now - t0);
			(void)shutdown(wd->fd, SHUT_RDWR);
		}
		t0 = now;
		b0 = atomic_load(&wd->rx);
	}
	pthread_mutex_unlock(&wd->mu);
	return NULL;
}

struct net_watchdog *
net_watchdog_new(unsigned timeout)
{
	struct net_watchdog *wd = xcalloc(1, sizeof(*wd));

	wd->fd = -1;
	wd->timeout = timeout ? timeout : 60;
	pthread_mutex_init(&wd->mu, NULL);
	pthread_cond_init(&wd->cv, NULL);
	if (pthread_create(&wd->thread, NULL, wd_main, wd) != 0) {
		pthread_mutex_destroy(&wd->mu);
		pthread_cond_destroy(&wd->cv);
		free(wd);
		return NULL;
	}
	return wd;
}

void
net_watchdog_free(struct net_watchdog *wd)
{
	if (wd == NULL)
		return;
	pthread_mutex_lock(&wd->mu);
	wd->stop = 1;
	pthread_cond_signal(&wd->cv);
	pthread_mutex_unlock(&wd->mu);
	pthread_join(wd->thread, NULL);
	pthread_mutex_destroy(&wd->mu);
	pthread_cond_destroy(&wd->cv);
	free(wd);
}

void
net_watchdog_fd(struct net_watchdog *wd, int fd)
{
	if (wd == NULL)
		return;
	pthread_mutex_lock(&wd->mu);
	wd->fd = fd;
	if (fd >= 0)
		wd->why[0] = '\0';
	pthread_mutex_unlock(&wd->mu);
}

void
net_watchdog_arm(void *arg, int on)
{
	struct net_watchdog *wd = arg;

	if (wd != NULL)
		atomic_store(&wd->armed, on);
}

void
net_watchdog_rx(struct net_watchdog *wd, size_t n)
{
	if (wd != NULL)
		atomic_fetch_add(&wd->rx, n);
}

int
net_watchdog_why(struct net_watchdog *wd, char *out, size_t n)
{
	int cut;

	if (wd == NULL)
		return 0;
	pthread_mutex_lock(&wd->mu);
	cut = wd->why[0] != '\0';
	if (cut)
		snprintf(out, n, "%s", wd->why);
	pthread_mutex_unlock(&wd->mu);
	return cut;
}
