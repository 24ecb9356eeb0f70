/*
 * The IMAP reader on libetpan: imaps://user@host[:port][/folder] (TLS from
 * the first byte) and imap://user@host (STARTTLS, required unless the
 * user asked for no TLS).  Nothing on the server changes: folders are
 * opened with EXAMINE and bodies fetched with BODY.PEEK[], so \Seen is
 * never set.
 *
 * The certificate is checked before LOGIN with OpenSSL against the system
 * store or a CA file, host name included (net.c): libetpan's GnuTLS build
 * checks nothing (research/libetpan.md 5.2).  Logins use LOGIN or
 * AUTHENTICATE with PLAIN, CRAM-MD5, XOAUTH2 or OAUTHBEARER (with SASL-IR
 * when offered), chosen by net_auth_choose(); the SASL exchange is
 * net.c's, sent by hand on libetpan's stream (its mailimap_authenticate()
 * needs Cyrus SASL plug-ins) and the answer parsed by libetpan.  An OAuth2
 * token is asked for again at each reconnection (tokens expire).
 *
 * Folders come from LIST "" "*" (\Noselect and \NonExistent skipped),
 * INBOX first, then in byte order of their display names (net.c:
 * modified UTF-7 decoded, the delimiter made '/').  In each folder the
 * metadata (UID FLAGS INTERNALDATE RFC822.SIZE) is fetched in windows of
 * IMAP_WINDOW messages; the messages the index already holds
 * (src->saved) are yielded without fetching their bodies; the others are
 * fetched in batches of small messages (IMAP_BATCH_BYTES at most) whose
 * bodies stream through libetpan's body handler into one bounded buffer,
 * and large ones in ranges of IMAP_RANGE bytes (BODY.PEEK[]<off.len>)
 * while the pipeline reads them.  The command for the next batch or range
 * is sent before the pipeline writes the current one, so that Dovecot
 * prepares it meanwhile (one command outstanding at most).  Memory stays
 * below about 2 x IMAP_RANGE whatever the message sizes, and no literal
 * larger than what was asked for is accepted (a hostile size aborts the
 * command).
 *
 * A dropped connection is reopened with back-off (bounded retries), the
 * folder examined again (its UIDVALIDITY must not have changed) and the
 * work goes on where it stopped, in the middle of a large message too.
 * After a stream, parse or protocol error the connection is dropped
 * without LOGOUT: libetpan's parser is out of step and would call the
 * handlers again (research/libetpan.md 5.10).  A NO answer keeps the
 * connection; "[UNAVAILABLE]", "[LIMIT]", "[INUSE]" and "[SERVERBUG]" are
 * retried after a pause.  Errors quote the server's own words.
 *
 * key = "<folder>:<uidvalidity>:<uid>" (UIDs are unique only within one
 * folder, and UIDVALIDITY values may repeat across folders); size =
 * RFC822.SIZE, or the length of the body received when it differs; date
 * = INTERNALDATE; flags from the system flags and $Forwarded, $Junk,
 * $NotJunk; other keywords in keywords; extra = "uid=", "uidvalidity=".
 *
 * A folder numbered anew (a new UIDVALIDITY: its keys of the old
 * numbering are still in the index, src->renumbered) is not downloaded
 * again: for the messages of a window the index does not hold, one more
 * FETCH asks for the Message-ID header alone (BODY.PEEK[HEADER.FIELDS
 * (MESSAGE-ID)]), and a saved message of the folder with that Message-ID
 * and RFC822.SIZE takes the new key (src->saved_as): its record is
 * re-keyed, so the manifest keeps one line per message, as after a fresh
 * export.  Only what is new, or has no Message-ID, is downloaded (and the
 * latter, when its bytes are saved, recorded as a duplicate by hash).
 *
 * Gmail (X-GM-EXT-1; gmail.h parses its items) shows one message in
 * every folder that carries its label.  The folder with the \All
 * special-use attribute ("[Gmail]/All Mail", by name when the attribute
 * is missing) is read first, with X-GM-MSGID and X-GM-LABELS: every
 * message is downloaded once, there, with its labels as keywords (DESIGN
 * section 3) and "x-gm-msgid=" in extra.  Keys of every folder are then
 * "<folder>:gm:<X-GM-MSGID>", which no UIDVALIDITY change can alter.  In
 * the other folders only the metadata and X-GM-MSGID are fetched, and a
 * message saved in the \All folder is recorded as one more place of
 * that copy (src->saved_as, like --dedupe): label folders are membership
 * in the index and the manifest, not second copies in DEST.  Writing
 * them as copies would mean downloading every message again, since a
 * reader only yields bytes it reads from the source, and reading them
 * back from DEST is impossible for an archive.  Messages that are not
 * in the \All folder (Spam, Trash) are downloaded into their folder.
 * MAILSAVE_IMAP_GMAIL_EMULATE=1 (for tests against Dovecot, which has no
 * X-GM-EXT-1) does the same without X-GM-* items, matching the messages
 * of the other folders by Message-ID and RFC822.SIZE in the \All folder.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "formats.h"
#include "gmail.h"
#include "net.h"
#include "rfc5322.h"
#include "signals.h"
#include "xalloc.h"

#define IMAP_WINDOW	500		/* messages per metadata FETCH */
#define IMAP_BATCH_BYTES	(4u << 20)	/* bodies per batch FETCH */
#define IMAP_BATCH_MSGS	200
/*
 * Larger messages are fetched in ranges of this size.  Up to it, a
 * message comes whole in a batch, with fewer commands (2 MiB: 7 % slower
 * on bench/imap.sh).  The batch and the range buffer together stay near
 * 2 x IMAP_RANGE.
 */
#define IMAP_RANGE	(8u << 20)
#define IMAP_SLACK		(64u << 10)
#define IMAP_LAST_MAX		512		/* server words kept */
#define IMAP_BACKOFF_MAX	30000		/* ms */
#define IMAP_MID_MAX		(16u << 10)	/* a Message-ID header */

enum rec_state {
	R_META,		/* metadata only */
	R_SAVED,	/* in DEST already: not fetched unless read */
	R_PENDING,	/* asked for in the running batch */
	R_INBUF,	/* body in the batch buffer */
	R_RANGED	/* fetched in ranges when read */
};

/* One message of the current window. */
struct imap_rec {
	uint32_t uid;
	uint32_t size;		/* RFC822.SIZE */
	int64_t date;
	unsigned flags;
	char *keywords;		/* owned, or NULL */
	uint64_t gmid;		/* Gmail's X-GM-MSGID, or 0 */
	enum rec_state state;
	size_t off, len;	/* R_INBUF: bytes in the batch buffer */
};

struct imap_folder {
	char *raw;		/* owned: the server's name */
	char *name;		/* owned: display path */
	const char *special;	/* static: "\\Sent" (RFC 6154), or NULL */
};

/* Gmail (X-GM-EXT-1), or its emulation for tests. */
enum gm_mode { GM_OFF, GM_ON, GM_EMULATE };

/* How the messages of a folder are found saved under another key. */
enum match {
	M_NONE,
	M_GMID,		/* Gmail: by X-GM-MSGID in the \All folder */
	M_MID_ALL,	/* emulated Gmail: by Message-ID in the \All folder */
	M_RENUMBERED	/* new UIDVALIDITY: by Message-ID in the folder */
};

/* What the libetpan handlers are collecting. */
enum hmode { H_OFF, H_BATCH, H_RANGE, H_SIZES, H_DRAIN };

/* A UID FETCH sent ahead, its answer not read yet (fetch_send()). */
enum pend { P_NONE, P_BATCH, P_RANGE };

struct bytes {
	char *s;		/* owned */
	size_t len, cap;
};

struct imap {
	struct source *src;	/* borrowed: the handle, for err and saved */
	struct net_spec sp;
	struct net_opts no;
	char *password;		/* owned, wiped at close: the password or
				   the OAuth2 token (net_secret) */
	int verbose;		/* -v: say how we logged in */
	unsigned logins;	/* login attempts so far */
	mailimap *s;		/* NULL while disconnected */
	unsigned fails;		/* connection failures in a row */
	int transient;		/* the last connect broke after TCP */
	int usage_error;	/* open() failed on what the user asked for */
	int warned_insecure;

	struct imap_folder *folders;	/* owned */
	size_t nfolders;
	size_t fi;		/* current folder + 1 (0: none yet) */
	int open;		/* folder examined and being read */
	int selected;		/* examined on this connection */
	uint32_t uidvalidity, exists, next_seq;
	uint32_t uidnext;	/* from EXAMINE; 0 when the server gave none */
	char stamp[32];		/* "uidvalidity:uidnext", or "" */

	struct imap_rec *recs;	/* the window, by UID */
	size_t nrecs, caprecs, ri;	/* ri: next to yield */
	struct imap_rec *cur;	/* the message being read, or NULL */
	uint64_t pos;		/* bytes of cur handed out */

	struct bytes batch;	/* bodies of R_INBUF messages */
	struct bytes range;	/* the current range of a large message */
	size_t rpos;		/* bytes of range handed out */
	uint64_t roff;		/* server offset after range */
	int reof;		/* the last range was short */

	enum hmode mode;	/* for the handlers */
	size_t seg;		/* start of the body being received */
	size_t limit;		/* the buffer may not grow past this */
	int overflow;		/* a body was larger than allowed */
	uint32_t want_uid;	/* H_RANGE: the message asked for */
	int got_body;		/* H_RANGE: its BODY arrived */
	uint64_t sum, count;	/* H_SIZES */

	enum pend pend;		/* what was sent ahead */
	mailimap *pend_s;	/* on this connection, */
	int pend_tag;		/* with this tag */
	uint64_t pend_sum;	/* P_BATCH: RFC822.SIZE sum */
	uint32_t pend_uid;	/* P_RANGE: the message, offset and length */
	uint64_t pend_off, pend_want;

	char last[IMAP_LAST_MAX];	/* the tail of what the server said */
	size_t nlast;

	struct net_watchdog *wd;	/* owned: cuts drip-feeding servers */

	enum gm_mode gm;
	int gm_all;		/* folders[0] is Gmail's \All folder */
	size_t match_fi;	/* the folder (fi) `match` was chosen for */
	enum match match;
	char mid[IMAP_MID_MAX];	/* a Message-ID header being received */
	size_t nmid;
	int mid_over;		/* it did not fit */

	struct buf key, kw, extra, words;	/* scratch and msg strings */
};

/* ---- small helpers ---- */

static void
bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64 * 1024;

		while (cap < b->len + n)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
}

static void
bytes_free(struct bytes *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* Keep the tail of the data the server sent, for error messages. */
static void
imap_logger(mailimap *s, int type, const char *str, size_t size, void *ctx)
{
	struct imap *im = ctx;

	(void)s;
	if (type != MAILSTREAM_LOG_TYPE_DATA_RECEIVED || str == NULL)
		return;
	net_watchdog_rx(im->wd, size);
	if (size >= IMAP_LAST_MAX) {
		memcpy(im->last, str + size - IMAP_LAST_MAX, IMAP_LAST_MAX);
		im->nlast = IMAP_LAST_MAX;
		return;
	}
	if (im->nlast + size > IMAP_LAST_MAX) {
		size_t keep = IMAP_LAST_MAX - size;

		memmove(im->last, im->last + im->nlast - keep, keep);
		im->nlast = keep;
	}
	memcpy(im->last + im->nlast, str, size);
	im->nlast += size;
}

/*
 * The server's last line when it is a refusal ("NO [UNAVAILABLE] ...",
 * "BAD ...", "BYE ..."), without the tag; else "" (never message bytes,
 * never an older answer: the tail must end with that line).
 */
static const char *
imap_words(struct imap *im)
{
	const char *p = im->last, *end = im->last + im->nlast, *line, *sp;
	size_t n;

	buf_reset(&im->words);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	line = end;
	while (line > p && line[-1] != '\n')
		line--;
	n = (size_t)(end - line);
	if (n == 0 || n > 300)
		return "";
	sp = memchr(line, ' ', n);
	if (sp == NULL)
		return "";
	sp++;
	if (strncmp(sp, "NO ", 3) != 0 && strncmp(sp, "BAD ", 4) != 0 &&
	    strncmp(sp, "BYE ", 4) != 0)
		return "";
	for (const char *q = sp; q < end; q++)
		buf_addc(&im->words, (unsigned char)*q < 0x20 ? ' ' : *q);
	return im->words.s;
}

/* A NO that says "try again later" (RFC 5530 codes). */
static int
imap_transient(struct imap *im)
{
	const char *w = imap_words(im);

	return strstr(w, "[UNAVAILABLE]") != NULL ||
	    strstr(w, "[LIMIT]") != NULL || strstr(w, "[INUSE]") != NULL ||
	    strstr(w, "[SERVERBUG]") != NULL;
}

/* libetpan results that leave the connection unusable. */
static int
imap_broken(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_NEEDS_MORE_DATA:
		return 1;
	default:
		return 0;
	}
}

static const char *
imap_strerror(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_PARSE:
		return "unreadable answer from the server";
	case MAILIMAP_ERROR_MEMORY:
		return "answer too large, or out of memory";
	case MAILIMAP_ERROR_FATAL:
		return "the server closed the connection";
	case MAILIMAP_ERROR_PROTOCOL:
		return "protocol error";
	case MAILIMAP_ERROR_SSL:
		return "TLS error";
	case MAILIMAP_ERROR_BAD_STATE:
		return "connection in the wrong state";
	default:
		return "the server refused";
	}
}

/* Set e from a libetpan failure: what we did, then the server's words. */
static int
imap_fail(struct imap *im, int code, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
imap_fail(struct imap *im, int code, int r, const char *fmt, ...)
{
	char what[256], why[96];
	const char *w = imap_words(im);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (net_watchdog_why(im->wd, why, sizeof(why)))
		return err_set(&im->src->err, code, 0, "%s: %s (too slow: "
		    "connection cut)", what, why);
	if (*w != '\0' && !imap_broken(r))
		return err_set(&im->src->err, code, 0, "%s: %s", what, w);
	if (*w != '\0')
		return err_set(&im->src->err, code, 0, "%s: %s (server said: "
		    "%s)", what, imap_strerror(r), w);
	return err_set(&im->src->err, code, 0, "%s: %s", what,
	    imap_strerror(r));
}

/* Drop the connection without a word to the server. */
static void
imap_drop(struct imap *im)
{
	if (im->s != NULL) {
		mailimap_set_msg_att_handler(im->s, NULL, NULL);
		mailimap_set_msg_body_handler(im->s, NULL, NULL);
		mailimap_set_progress_callback(im->s, NULL, NULL, NULL);
		mailimap_free(im->s);
		im->s = NULL;
	}
	net_watchdog_fd(im->wd, -1);
	im->mode = H_OFF;
	im->selected = 0;
}

/* ---- connecting ---- */

static void
imap_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap *im = data;

	/* SNI, for servers with several names (not for address literals). */
	if (!net_is_ip(im->sp.host))
		mailstream_ssl_set_server_name(ctx, im->sp.host);
}

static int
imap_verify(struct imap *im)
{
	const unsigned char **der;
	size_t *len, n;
	carray *chain;
	int st;

	if (im->no.insecure && im->no.pin == NULL) {
		if (!im->warned_insecure) {
			/*
			 * Readers do not print, but this warning cannot
			 * wait: it belongs to the command, which knows
			 * --insecure, once struct opts carries it.
			 */
			fprintf(stderr, "mailsave: WARNING: not checking the "
			    "certificate of %s (insecure): anyone on the "
			    "way can read the password and the mail\n",
			    im->sp.host);
			im->warned_insecure = 1;
		}
		return MS_OK;
	}
	chain = mailstream_get_certificate_chain(im->s->imap_stream);
	n = chain != NULL ? carray_count(chain) : 0;
	der = xcalloc(n + 1, sizeof(*der));
	len = xcalloc(n + 1, sizeof(*len));
	for (size_t i = 0; i < n; i++) {
		MMAPString *c = carray_get(chain, (unsigned)i);

		der[i] = (const unsigned char *)c->str;
		len[i] = c->len;
	}
	st = net_verify_chain(der, len, n, im->sp.host, &im->no,
	    &im->src->err);
	free(der);
	free(len);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return st;
}

/* net_sasl_run()'s transport: libetpan's stream, unlogged. */
static int
imap_io_send(void *arg, const char *s, size_t n)
{
	struct imap *im = arg;
	mailstream *ms = im->s->imap_stream;

	return mailstream_write(ms, s, n) == (ssize_t)n &&
	    mailstream_flush(ms) == 0 ? 0 : -1;
}

static const char *
imap_io_read(void *arg)
{
	struct imap *im = arg;

	return mailimap_read_line(im->s);
}

/*
 * AUTHENTICATE with a SASL mechanism (net.c), the initial response on the
 * command line when the server offers SASL-IR.  The server's answer is
 * left in libetpan's buffer for its parser, which also takes the
 * capabilities a tagged OK may carry.
 */
static int
imap_sasl(struct imap *im, int mech)
{
	struct mailimap_response *resp = NULL;
	mailstream *ms = im->s->imap_stream;
	struct net_sasl_io io = {
		.arg = im,
		.send = imap_io_send,
		.read_line = imap_io_read,
	};
	struct net_sasl a = {
		.proto = NET_PROTO_IMAP,
		.mech = mech,
		.prefix = "",
		.ir = mailimap_has_extension(im->s, "SASL-IR"),
		.user = im->sp.user,
		.secret = im->password,
		.host = im->sp.host,
		.port = im->sp.port,
	};
	const char *line;
	int r, ok;

	mailstream_set_privacy(ms, 0);
	r = mailimap_send_current_tag(im->s);
	line = r == MAILIMAP_NO_ERROR ? net_sasl_run(&a, &io) : NULL;
	mailstream_set_privacy(ms, 1);
	if (r != MAILIMAP_NO_ERROR || line == NULL)
		return MAILIMAP_ERROR_STREAM;
	r = mailimap_parse_response(im->s, &resp);
	if (r != MAILIMAP_NO_ERROR)
		return r == MAILIMAP_ERROR_PROTOCOL ? MAILIMAP_ERROR_LOGIN : r;
	ok = resp->rsp_resp_done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
	    resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type
	    == MAILIMAP_RESP_COND_STATE_OK;
	mailimap_response_free(resp);
	if (!ok)
		return MAILIMAP_ERROR_LOGIN;
	im->s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	return MAILIMAP_NO_ERROR;
}

/* Whether LOGIN can carry this user name and password (libetpan.md 5.5). */
static int
login_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* What the server allows, from its last CAPABILITY. */
static void
imap_offer(struct imap *im, struct net_offer *of)
{
	static const char *const sasl[] = { "PLAIN", "CRAM-MD5", "XOAUTH2",
	    "OAUTHBEARER" };

	memset(of, 0, sizeof(*of));
	for (size_t i = 0; i < sizeof(sasl) / sizeof(sasl[0]); i++)
		if (mailimap_has_authentication(im->s, sasl[i]))
			of->sasl |= net_mech_sasl_bit(sasl[i],
			    strlen(sasl[i]));
	of->login = !mailimap_has_extension(im->s, "LOGINDISABLED");
	of->tls = im->sp.implicit_tls || !im->no.tls_none;
}

static int
imap_login(struct imap *im)
{
	struct net_offer of;
	int mech, r;

	if (im->logins++ > 0 && net_auth_oauth(&im->no)) {
		/* A fresh token: the last one may have expired. */
		struct err e;
		char *tok = NULL;

		err_clear(&e);
		if (net_secret(&im->no, &im->sp, &tok, &e) == MS_OK) {
			net_password_free(im->password);
			im->password = tok;
		}
	}
	imap_offer(im, &of);
	if (net_auth_choose(&im->no, &of, &mech, &im->src->err) != MS_OK) {
		im->src->err.sys_errno = EACCES;
		return MS_FATAL;
	}
	if (mech == NET_MECH_LOGIN) {
		if (!login_safe(im->sp.user) || !login_safe(im->password))
			return err_set(&im->src->err, MS_FATAL, 0, "the user "
			    "name or password holds characters LOGIN cannot "
			    "carry; use --auth plain");
		r = mailimap_login(im->s, im->sp.user, im->password);
	} else if (mech == NET_MECH_APOP) {
		return err_set(&im->src->err, MS_FATAL, 0, "APOP is for POP3 "
		    "only: try --auth auto");
	} else {
		r = imap_sasl(im, mech);
	}
	if (r == MAILIMAP_NO_ERROR) {
		if (im->verbose > 0)
			fprintf(stderr, "mailsave: %s: logged in as %s with "
			    "%s%s%s\n", im->sp.host, im->sp.user,
			    mech == NET_MECH_LOGIN ? "" : "AUTHENTICATE ",
			    net_mech_name(mech), of.tls ? " over TLS" : "");
		return MS_OK;
	}
	if (imap_broken(r)) {
		im->transient = 1;
		return imap_fail(im, MS_FATAL, r, "login to %s as %s (%s%s)",
		    im->sp.host, im->sp.user, mech == NET_MECH_LOGIN ? "" :
		    "AUTHENTICATE ", net_mech_name(mech));
	}
	imap_fail(im, MS_FATAL, r, "login to %s as %s refused (%s%s)",
	    im->sp.host, im->sp.user, mech == NET_MECH_LOGIN ? "" :
	    "AUTHENTICATE ", net_mech_name(mech));
	/* An authentication failure is fatal, not a usage error. */
	im->src->err.sys_errno = EACCES;
	return MS_FATAL;
}

/* CAPABILITY, so that mailimap_has_extension() knows the answer. */
static int
imap_caps(struct imap *im)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	r = mailimap_capability(im->s, &cap);
	if (cap != NULL)
		mailimap_capability_data_free(cap);
	return r;
}

/* Connect, check the certificate, log in.  On failure im->s is NULL. */
static int
imap_connect(struct imap *im)
{
	mailstream *ms;
	int fd, r, st;

	im->nlast = 0;
	im->transient = 0;
	if (net_connect(im->sp.host, im->sp.port, im->no.timeout, &fd,
	    &im->src->err) != MS_OK)
		return MS_FATAL;
	net_watchdog_fd(im->wd, fd);
	im->s = mailimap_new(0, NULL);
	if (im->s == NULL) {
		close(fd);
		return err_set(&im->src->err, MS_FATAL, ENOMEM, "imap");
	}
	mailimap_set_timeout(im->s, im->no.timeout);
	mailimap_set_logger(im->s, imap_logger, im);
	if (im->sp.implicit_tls)
		ms = mailstream_ssl_open_with_callback_timeout(fd,
		    im->no.timeout, imap_tls_setup, im);
	else
		ms = mailstream_socket_open_timeout(fd, im->no.timeout);
	if (ms == NULL) {
		close(fd);
		im->transient = 1;
		st = err_set(&im->src->err, MS_FATAL, 0, "%s port %u: %s "
		    "failed", im->sp.host, (unsigned)im->sp.port,
		    im->sp.implicit_tls ? "TLS handshake" : "connection");
		goto fail;
	}
	r = mailimap_connect(im->s, ms);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		im->transient = imap_broken(r);
		st = imap_fail(im, MS_FATAL, r, "%s port %u: no IMAP greeting",
		    im->sp.host, (unsigned)im->sp.port);
		goto fail;
	}
	if (im->sp.implicit_tls && (st = imap_verify(im)) != MS_OK)
		goto fail;
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		/* PREAUTH before TLS would skip our certificate check. */
		if (!im->sp.implicit_tls && !im->no.tls_none) {
			st = err_set(&im->src->err, MS_FATAL, 0, "%s logged us "
			    "in before STARTTLS (PREAUTH); refusing an "
			    "unencrypted session", im->sp.host);
			goto fail;
		}
		return MS_OK;
	}
	r = imap_caps(im);
	if (imap_broken(r)) {
		im->transient = 1;
		st = imap_fail(im, MS_FATAL, r, "CAPABILITY");
		goto fail;
	}
	if (!im->sp.implicit_tls && !im->no.tls_none) {
		if (!mailimap_has_extension(im->s, "STARTTLS")) {
			st = err_set(&im->src->err, MS_FATAL, 0, "%s does not "
			    "offer STARTTLS: use imaps:// (port 993), or allow "
			    "an unencrypted connection with --tls=none",
			    im->sp.host);
			goto fail;
		}
		r = mailimap_socket_starttls_with_callback(im->s,
		    imap_tls_setup, im);
		if (r != MAILIMAP_NO_ERROR) {
			im->transient = imap_broken(r);
			st = imap_fail(im, MS_FATAL, r, "STARTTLS with %s",
			    im->sp.host);
			goto fail;
		}
		if ((st = imap_verify(im)) != MS_OK)
			goto fail;
		/* What was said before TLS is not to be trusted. */
		r = imap_caps(im);
		if (imap_broken(r)) {
			im->transient = 1;
			st = imap_fail(im, MS_FATAL, r, "CAPABILITY");
			goto fail;
		}
	}
	if ((st = imap_login(im)) != MS_OK)
		goto fail;
	return MS_OK;
fail:
	imap_drop(im);
	return st;
}

/* ---- folders ---- */

static int
folder_cmp(const void *a, const void *b)
{
	const struct imap_folder *x = a, *y = b;
	int xi = strcmp(x->name, "INBOX") == 0;
	int yi = strcmp(y->name, "INBOX") == 0;

	if (xi != yi)
		return yi - xi;
	return strcmp(x->name, y->name);
}

/* Whether a LIST entry can be examined. */
static int
selectable(const struct mailimap_mailbox_list *mb)
{
	const struct mailimap_mbx_list_flags *f = mb->mb_flag;
	clistiter *it;

	if (f == NULL)
		return 1;
	if (f->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
	    f->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
		return 0;
	for (it = f->mbf_oflags ? clist_begin(f->mbf_oflags) : NULL;
	    it != NULL; it = clist_next(it)) {
		const struct mailimap_mbx_list_oflag *o = clist_content(it);

		if (o->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT &&
		    o->of_flag_ext != NULL &&
		    (strcasecmp(o->of_flag_ext, "NonExistent") == 0 ||
		    strcasecmp(o->of_flag_ext, "Noselect") == 0))
			return 0;
	}
	return 1;
}

/*
 * The folder's special-use attribute (RFC 6154) when the LIST answer
 * carries one: servers that support SPECIAL-USE include them in a plain
 * LIST.  Returns a static string or NULL.
 */
static const char *
special_use(const struct mailimap_mailbox_list *mb)
{
	static const char *const uses[] = {
		"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk",
		"\\Sent", "\\Trash",
	};
	const struct mailimap_mbx_list_flags *f = mb->mb_flag;
	clistiter *it;

	if (f == NULL)
		return NULL;
	for (it = f->mbf_oflags ? clist_begin(f->mbf_oflags) : NULL;
	    it != NULL; it = clist_next(it)) {
		const struct mailimap_mbx_list_oflag *o = clist_content(it);

		if (o->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT ||
		    o->of_flag_ext == NULL)
			continue;
		for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
			if (strcasecmp(o->of_flag_ext, uses[i] + 1) == 0)
				return uses[i];
	}
	return NULL;
}

static void
folders_free(struct imap *im)
{
	for (size_t i = 0; i < im->nfolders; i++) {
		free(im->folders[i].raw);
		free(im->folders[i].name);
	}
	free(im->folders);
	im->folders = NULL;
	im->nfolders = 0;
}

static int
imap_list(struct imap *im)
{
	struct buf name = BUF_INIT;
	clist *list = NULL;
	clistiter *it;
	size_t cap = 0;
	int r;

	r = mailimap_list(im->s, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR) {
		if (imap_broken(r))
			imap_drop(im);
		return imap_fail(im, MS_FATAL, r, "LIST on %s", im->sp.host);
	}
	for (it = clist_begin(list); it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		size_t j;

		if (mb->mb_name == NULL || !selectable(mb))
			continue;
		net_folder_display(&name, mb->mb_name, mb->mb_delimiter);
		if (!opts_folder_wanted(im->src->opts, name.s))
			continue;	/* --folder / --exclude: never examined */
		for (j = 0; j < im->nfolders; j++)
			if (strcmp(im->folders[j].name, name.s) == 0)
				break;
		if (j < im->nfolders)
			continue;	/* listed twice, or two names alike */
		if (im->nfolders == cap) {
			cap = cap ? 2 * cap : 16;
			im->folders = xrealloc(im->folders,
			    cap * sizeof(*im->folders));
		}
		im->folders[im->nfolders].raw = xstrdup(mb->mb_name);
		im->folders[im->nfolders].name = xstrdup(name.s);
		im->folders[im->nfolders].special = special_use(mb);
		im->nfolders++;
	}
	mailimap_list_result_free(list);
	buf_release(&name);
	if (im->nfolders > 1)
		qsort(im->folders, im->nfolders, sizeof(*im->folders),
		    folder_cmp);

	if (im->sp.path != NULL) {
		/* One folder: by its display name, or by its server name. */
		size_t j;

		for (j = 0; j < im->nfolders; j++)
			if (strcmp(im->folders[j].name, im->sp.path) == 0 ||
			    strcmp(im->folders[j].raw, im->sp.path) == 0 ||
			    (strcasecmp(im->sp.path, "INBOX") == 0 &&
			    strcmp(im->folders[j].name, "INBOX") == 0))
				break;
		if (j == im->nfolders) {
			im->usage_error = 1;
			return err_set(&im->src->err, MS_FATAL, 0, "%s has no "
			    "folder '%s' (mailsave list --from %s://%s@%s "
			    "shows them)", im->sp.host, im->sp.path,
			    im->sp.scheme, im->sp.user, im->sp.host);
		}
		struct imap_folder keep = im->folders[j];

		im->folders[j] = im->folders[0];
		im->folders[0] = keep;
		for (size_t k = 1; k < im->nfolders; k++) {
			free(im->folders[k].raw);
			free(im->folders[k].name);
		}
		im->nfolders = 1;
	}
	return MS_OK;
}

static struct imap_folder *
cur_folder(struct imap *im)
{
	return im->fi > 0 ? &im->folders[im->fi - 1] : NULL;
}

/* Sleep before reconnecting: 1, 2, 4 ... s (MAILSAVE_BACKOFF_MS base). */
static void
backoff(struct imap *im)
{
	const char *v = getenv("MAILSAVE_BACKOFF_MS");
	long base = v != NULL && *v != '\0' ? atol(v) : 1000, ms = base;

	for (unsigned i = 1; i < im->fails && ms < IMAP_BACKOFF_MAX; i++)
		ms *= 2;
	if (ms > IMAP_BACKOFF_MAX)
		ms = IMAP_BACKOFF_MAX;
	while (ms > 0 && !interrupted) {
		long step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static int
examine(struct imap *im)
{
	struct imap_folder *f = cur_folder(im);
	struct mailimap_selection_info *si;
	int r;

	im->selected = 0;
	r = mailimap_examine(im->s, f->raw);
	if (r != MAILIMAP_NO_ERROR) {
		if (imap_broken(r)) {
			imap_drop(im);
			return imap_fail(im, MS_EOF, r, "folder %s", f->name);
		}
		return imap_fail(im, MS_FAILED, r, "folder %s: EXAMINE",
		    f->name);
	}
	si = im->s->imap_selection_info;
	if (si == NULL)
		return err_set(&im->src->err, MS_FAILED, 0, "folder %s: no "
		    "answer to EXAMINE", f->name);
	if (im->open && si->sel_uidvalidity != im->uidvalidity)
		return err_set(&im->src->err, MS_FAILED, 0, "folder %s: its "
		    "UIDVALIDITY changed from %u to %u during the run; run "
		    "again to fetch it anew", f->name, im->uidvalidity,
		    si->sel_uidvalidity);
	im->uidvalidity = si->sel_uidvalidity;
	if (!im->open) {
		im->exists = si->sel_exists;
		im->uidnext = si->sel_uidnext;
	}
	im->selected = 1;
	return MS_OK;
}

/*
 * Make sure there is a connection, with the current folder examined.
 * Reconnects with back-off after a drop, up to no.retries times in a
 * row.  Returns MS_OK, MS_FAILED (the folder cannot be examined) or
 * MS_FATAL.
 */
static int
imap_ensure(struct imap *im)
{
	for (;;) {
		int st;

		if (im->s == NULL) {
			if (im->fails > im->no.retries) {
				char why[sizeof(im->src->err.msg)];

				snprintf(why, sizeof(why), "%s",
				    im->src->err.msg);
				return err_set(&im->src->err, MS_FATAL, 0,
				    "gave up after %u attempts to reconnect: "
				    "%s", im->no.retries, why);
			}
			if (interrupted)
				return err_set(&im->src->err, MS_FATAL, 0,
				    "interrupted while reconnecting");
			if (im->fails > 0)
				backoff(im);
			st = imap_connect(im);
			if (st != MS_OK) {
				if (im->src->err.sys_errno == EACCES)
					return MS_FATAL;
				im->fails++;
				continue;
			}
		}
		if (!im->open || im->selected || cur_folder(im) == NULL)
			return MS_OK;
		st = examine(im);
		if (st == MS_EOF) {
			im->fails++;	/* dropped: reconnect */
			continue;
		}
		return st;
	}
}

/*
 * After a failed command: drop a broken connection and count it (the
 * caller retries), or wait and retry a "try again later" answer.
 * Returns 1 to retry, 0 when the failure is the final answer.
 */
static int
imap_retry(struct imap *im, int r, const char *what)
{
	if (imap_broken(r)) {
		/* The words now: they explain a final failure later. */
		imap_fail(im, MS_FATAL, r, "%s", what);
		if (im->verbose)
			fprintf(stderr, "mailsave: %s: connection lost (%s); "
			    "reconnecting\n", im->sp.host, im->src->err.msg);
		imap_drop(im);
		im->fails++;
		return 1;
	}
	if (imap_transient(im) && im->fails < im->no.retries) {
		im->fails++;
		backoff(im);
		return 1;
	}
	return 0;
}

/* ---- metadata ---- */

static bool imap_body_cb(int type, struct mailimap_msg_att_body_section *sec,
    const char *bytes, size_t len, void *ctx);
static void pend_drain(struct imap *im);

static void
recs_clear(struct imap *im)
{
	pend_drain(im);		/* nothing sent ahead is wanted now */
	for (size_t i = 0; i < im->nrecs; i++)
		free(im->recs[i].keywords);
	im->nrecs = im->ri = 0;
	im->cur = NULL;
	im->batch.len = 0;
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct imap_rec *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static struct imap_rec *
rec_find(struct imap *im, uint32_t uid)
{
	struct imap_rec key = { .uid = uid };

	return bsearch(&key, im->recs, im->nrecs, sizeof(*im->recs), rec_cmp);
}

/* Flags and keywords of a FLAGS item. */
static void
parse_flags(const struct mailimap_msg_att_dynamic *dyn, unsigned *flags,
    struct buf *kw)
{
	clistiter *it;

	if (dyn == NULL || dyn->att_list == NULL)
		return;
	for (it = clist_begin(dyn->att_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_flag_fetch *ff = clist_content(it);
		const struct mailimap_flag *f;
		unsigned bit;

		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
		    (f = ff->fl_flag) == NULL)
			continue;
		switch (f->fl_type) {
		case MAILIMAP_FLAG_ANSWERED:
			*flags |= MSG_ANSWERED;
			break;
		case MAILIMAP_FLAG_FLAGGED:
			*flags |= MSG_FLAGGED;
			break;
		case MAILIMAP_FLAG_DELETED:
			*flags |= MSG_DELETED;
			break;
		case MAILIMAP_FLAG_SEEN:
			*flags |= MSG_SEEN;
			break;
		case MAILIMAP_FLAG_DRAFT:
			*flags |= MSG_DRAFT;
			break;
		case MAILIMAP_FLAG_KEYWORD:
			if (f->fl_data.fl_keyword == NULL)
				break;
			bit = msg_flags_from_keyword(f->fl_data.fl_keyword,
			    strlen(f->fl_data.fl_keyword));
			if (bit != 0) {
				*flags |= bit;
				break;
			}
			if (kw->len > 0)
				buf_addc(kw, ' ');
			buf_adds(kw, f->fl_data.fl_keyword);
			break;
		default:
			break;	/* \Recent and unknown system flags */
		}
	}
}

/* Add one FETCH response of the metadata window to recs. */
static void
add_meta(struct imap *im, const struct mailimap_msg_att *att)
{
	struct imap_rec r = { 0 };
	struct buf labels = BUF_INIT;
	int has_uid = 0, has_size = 0;
	clistiter *it;

	buf_reset(&im->kw);
	for (it = clist_begin(att->att_list); it != NULL; it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_msg_att_static *st;

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			parse_flags(item->att_data.att_dyn, &r.flags, &im->kw);
			continue;
		}
		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_EXTENSION) {
			(void)gm_item(item, &r.gmid, &labels);
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    (st = item->att_data.att_static) == NULL)
			continue;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			r.uid = st->att_data.att_uid;
			has_uid = 1;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			r.size = st->att_data.att_rfc822_size;
			has_size = 1;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			if (st->att_data.att_internal_date != NULL) {
				const struct mailimap_date_time *d =
				    st->att_data.att_internal_date;

				r.date = net_civil_to_unix(d->dt_year,
				    d->dt_month, d->dt_day, d->dt_hour,
				    d->dt_min, d->dt_sec, d->dt_zone);
			}
			break;
		default:
			break;
		}
	}
	/* Gmail labels after the keywords, each word once. */
	gm_merge_words(&im->kw, labels.s);
	buf_release(&labels);
	if (!has_uid || !has_size || r.uid == 0)
		return;		/* an unsolicited FLAGS update */
	if (im->nrecs == im->caprecs) {
		im->caprecs = im->caprecs ? 2 * im->caprecs : IMAP_WINDOW;
		im->recs = xrealloc(im->recs, im->caprecs * sizeof(*im->recs));
	}
	r.keywords = im->kw.len > 0 ? xstrdup(im->kw.s) : NULL;
	r.state = R_META;
	im->recs[im->nrecs++] = r;
}

/* Whether the current folder is Gmail's \All folder (gm_setup()). */
static int
in_all(const struct imap *im)
{
	return im->gm_all && im->fi == 1;
}

static struct mailimap_fetch_type *
meta_type(const struct imap *im)
{
	struct mailimap_fetch_type *ft =
	    mailimap_fetch_type_new_fetch_att_list_empty();

	if (im->gm == GM_ON) {
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_xgmmsgid());
		if (in_all(im))
			mailimap_fetch_type_new_fetch_att_list_add(ft,
			    mailimap_fetch_att_new_xgmlabels());
	}
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	return ft;
}

/* ---- messages saved under another key (source.h, saved_as) ---- */

static void imap_progress(size_t current, size_t maximum, void *ctx);
static void handlers_off(struct imap *im);
static const char *rec_key(struct imap *im, const struct imap_rec *r);

/*
 * How the current folder's messages may be saved under other keys:
 * Gmail's label folders in the \All folder; a folder whose index keys
 * are of an older UIDVALIDITY.
 */
static enum match
match_mode(struct imap *im)
{
	struct source *src = im->src;
	struct buf within = BUF_INIT, prefix = BUF_INIT;
	const char *name = cur_folder(im)->name;
	int r;

	if (src->saved_as == NULL)
		return M_NONE;
	if (im->gm != GM_OFF && im->gm_all && !in_all(im))
		return im->gm == GM_ON ? M_GMID : M_MID_ALL;
	if (im->gm == GM_ON || src->renumbered == NULL || im->uidvalidity == 0)
		return M_NONE;	/* Gmail keys do not change with it */
	buf_addf(&within, "%s:", name);
	buf_addf(&prefix, "%s:%u:", name, im->uidvalidity);
	r = src->renumbered(src->saved_arg, name, within.s, prefix.s);
	buf_release(&within);
	buf_release(&prefix);
	return r > 0 ? M_RENUMBERED : M_NONE;
}

/* The message a record stands for, as saved_as() sees it. */
static void
rec_msg(struct imap *im, const struct imap_rec *r, struct msg *m)
{
	msg_init(m);
	m->folder = cur_folder(im)->name;
	m->folder_raw = cur_folder(im)->raw;
	m->key = rec_key(im, r);
	m->size = r->size;
	m->date = r->date;
	m->flags = r->flags;
	m->keywords = r->keywords;
}

/*
 * Whether the index holds rec already (it is then R_SAVED); a message is
 * looked for under another key only when it does not.
 */
static int
rec_saved(struct imap *im, struct imap_rec *rec)
{
	struct source *src = im->src;

	if (src->saved != NULL && src->saved(src->saved_arg,
	    cur_folder(im)->name, rec_key(im, rec)))
		rec->state = R_SAVED;
	return rec->state == R_SAVED;
}

/* Ask saved_as() about rec; found, it is R_SAVED: no download. */
static void
rec_match(struct imap *im, struct imap_rec *rec, const struct saved_match *q)
{
	struct source *src = im->src;
	struct msg m;
	int r;

	rec_msg(im, rec, &m);
	r = src->saved_as(src->saved_arg, &m, q);
	if (r > 0)
		rec->state = R_SAVED;
	else if (r < 0)
		im->match = M_NONE;	/* the index failed: download */
}

/* Gmail: each message of a label folder by its X-GM-MSGID key. */
static void
match_gmid(struct imap *im)
{
	struct buf key = BUF_INIT;
	const char *all = im->folders[0].name;

	for (size_t i = 0; i < im->nrecs && im->match == M_GMID; i++) {
		struct imap_rec *rec = &im->recs[i];

		if (rec->state != R_META || rec->gmid == 0 ||
		    rec_saved(im, rec))
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s:gm:%llu", all,
		    (unsigned long long)rec->gmid);
		rec_match(im, rec, &(struct saved_match){ .key = key.s,
		    .folder = all });
	}
	buf_release(&key);
}

/* The Message-ID FETCH: header bytes, at most IMAP_MID_MAX kept. */
static bool
mid_body_cb(int type, struct mailimap_msg_att_body_section *sec,
    const char *bytes, size_t len, void *ctx)
{
	struct imap *im = ctx;

	(void)sec;
	if (type != MAILIMAP_MSG_ATT_BODY_SECTION)
		return true;
	if (im->mid_over || len > IMAP_MID_MAX - im->nmid) {
		im->mid_over = 1;	/* not kept, and not matched */
		return true;
	}
	memcpy(im->mid + im->nmid, bytes, len);
	im->nmid += len;
	return true;
}

/*
 * The UID, BODY section and RFC822.SIZE of one FETCH answer, each left as
 * it was when absent (size may be NULL).  Returns which were present, as
 * ATT_* bits.
 */
enum { ATT_UID = 1, ATT_BODY = 2, ATT_SIZE = 4 };

static int
att_statics(const struct mailimap_msg_att *att, uint32_t *uid,
    const struct mailimap_msg_att_body_section **body, uint32_t *size)
{
	int found = 0;

	for (clistiter *it = clist_begin(att->att_list); it != NULL;
	    it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    (st = item->att_data.att_static) == NULL)
			continue;
		if (st->att_type == MAILIMAP_MSG_ATT_UID) {
			*uid = st->att_data.att_uid;
			found |= ATT_UID;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
			*body = st->att_data.att_body_section;
			found |= ATT_BODY;
		} else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE &&
		    size != NULL) {
			*size = st->att_data.att_rfc822_size;
			found |= ATT_SIZE;
		}
	}
	return found;
}

/* One message's Message-ID header arrived: look for its saved copy. */
static void
mid_att_cb(struct mailimap_msg_att *att, void *ctx)
{
	struct imap *im = ctx;
	const struct mailimap_msg_att_body_section *body = NULL;
	struct imap_rec *rec = NULL;
	struct buf mid = BUF_INIT, prefix = BUF_INIT;
	const char *text = im->mid;
	uint32_t uid = 0;
	size_t len = im->nmid;

	(void)att_statics(att, &uid, &body, NULL);
	if (uid != 0)		/* UIDs start at 1 */
		rec = rec_find(im, uid);
	/* A quoted string, not a literal: the body handler did not see it. */
	if (len == 0 && body != NULL && body->sec_body_part != NULL) {
		text = body->sec_body_part;
		len = body->sec_length;
	}
	if (rec != NULL && body != NULL && rec->state == R_META &&
	    !im->mid_over && im->match != M_NONE &&
	    rfc_header_get(text, len, "Message-ID", &mid) && mid.len > 0) {
		struct saved_match q = { .message_id = mid.s };

		if (im->match == M_MID_ALL) {
			q.folder = im->folders[0].name;
		} else {
			buf_addf(&prefix, "%s:%u:", cur_folder(im)->name,
			    im->uidvalidity);
			q.other_than = prefix.s;
		}
		rec_match(im, rec, &q);
	}
	buf_release(&mid);
	buf_release(&prefix);
	im->nmid = 0;
	im->mid_over = 0;
}

/*
 * By Message-ID and size: one UID FETCH of the Message-ID header of the
 * window's messages the index does not hold.  A failure only means that
 * they are downloaded.
 */
static void
match_mid(struct imap *im)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft;
	struct mailimap_header_list *hl;
	clist *fields, *res = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < im->nrecs; i++)
		if (im->recs[i].state == R_META && !rec_saved(im, &im->recs[i]))
			if (mailimap_set_add_single(set, im->recs[i].uid) ==
			    MAILIMAP_NO_ERROR)
				n++;
	if (n == 0 || im->s == NULL || !im->selected) {
		mailimap_set_free(set);
		return;
	}
	fields = clist_new();
	clist_append(fields, xstrdup("MESSAGE-ID"));
	hl = mailimap_header_list_new(fields);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new_header_fields(hl)));
	im->nmid = 0;
	im->mid_over = 0;
	im->mode = H_OFF;
	mailimap_set_progress_callback(im->s, imap_progress, imap_progress, im);
	mailimap_set_msg_att_handler(im->s, mid_att_cb, im);
	mailimap_set_msg_body_handler(im->s, mid_body_cb, im);
	r = mailimap_uid_fetch(im->s, set, ft, &res);
	handlers_off(im);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	if (r != MAILIMAP_NO_ERROR && imap_broken(r))
		imap_drop(im);	/* the next command reconnects */
}

/* Find the messages of the window saved under another key. */
static void
match_window(struct imap *im)
{
	if (im->match_fi != im->fi) {
		im->match = match_mode(im);
		im->match_fi = im->fi;
	}
	if (im->match == M_GMID)
		match_gmid(im);
	else if (im->match != M_NONE)
		match_mid(im);
}

/*
 * The next window of metadata: messages next_seq.. (by sequence number,
 * the UIDs may be sparse).  Returns MS_OK, MS_EOF (the folder is done),
 * MS_FAILED or MS_FATAL.
 */
static int
fetch_window(struct imap *im)
{
	recs_clear(im);
	while (im->next_seq <= im->exists && im->next_seq != 0) {
		uint32_t last = im->next_seq + IMAP_WINDOW - 1;
		struct mailimap_set *set;
		struct mailimap_fetch_type *ft;
		clist *res = NULL;
		int r, st;

		if (last > im->exists || last < im->next_seq)
			last = im->exists;
		if ((st = imap_ensure(im)) != MS_OK)
			return st;
		set = mailimap_set_new_interval(im->next_seq, last);
		ft = meta_type(im);
		/*
		 * No body was asked for: the body handler refuses any, so a
		 * hostile literal is never allocated (research/libetpan.md
		 * 5.3).
		 */
		im->mode = H_OFF;
		mailimap_set_msg_body_handler(im->s, imap_body_cb, im);
		r = mailimap_fetch(im->s, set, ft, &res);
		if (im->s != NULL)
			mailimap_set_msg_body_handler(im->s, NULL, NULL);
		mailimap_set_free(set);
		mailimap_fetch_type_free(ft);
		if (r != MAILIMAP_NO_ERROR) {
			if (imap_retry(im, r, cur_folder(im)->name))
				continue;
			return imap_fail(im, MS_FAILED, r, "folder %s: FETCH",
			    cur_folder(im)->name);
		}
		for (clistiter *it = clist_begin(res); it != NULL;
		    it = clist_next(it))
			add_meta(im, clist_content(it));
		mailimap_fetch_list_free(res);
		im->fails = 0;
		im->next_seq = last + 1;
		if (last == im->exists)
			im->next_seq = 0;	/* done after this window */
		if (im->nrecs == 0)
			continue;
		qsort(im->recs, im->nrecs, sizeof(*im->recs), rec_cmp);
		/* Drop duplicate UIDs (a message listed twice). */
		size_t o = 1;
		for (size_t i = 1; i < im->nrecs; i++) {
			if (im->recs[i].uid == im->recs[o - 1].uid)
				free(im->recs[i].keywords);
			else
				im->recs[o++] = im->recs[i];
		}
		im->nrecs = o;
		match_window(im);
		return MS_OK;
	}
	return MS_EOF;
}

/* ---- bodies ---- */

/* libetpan needs a progress function to call the message handler. */
static void
imap_progress(size_t current, size_t maximum, void *ctx)
{
	(void)current;
	(void)maximum;
	(void)ctx;
}

static bool
imap_body_cb(int type, struct mailimap_msg_att_body_section *sec,
    const char *bytes, size_t len, void *ctx)
{
	struct imap *im = ctx;
	struct bytes *b;

	(void)sec;
	if (im->mode == H_DRAIN)
		return true;	/* read and forgotten */
	if (im->mode != H_BATCH && im->mode != H_RANGE)
		return false;	/* not asked for: stop the command */
	if (type != MAILIMAP_MSG_ATT_BODY_SECTION)
		return true;
	b = im->mode == H_BATCH ? &im->batch : &im->range;
	if (b->len + len > im->limit) {
		im->overflow = 1;
		return false;
	}
	bytes_add(b, bytes, len);
	return true;
}

static void
imap_att_cb(struct mailimap_msg_att *att, void *ctx)
{
	struct imap *im = ctx;
	struct bytes *b = im->mode == H_BATCH ? &im->batch : &im->range;
	const struct mailimap_msg_att_body_section *body = NULL;
	uint32_t uid = 0;
	uint32_t size = 0;
	int has_size;

	if (im->mode == H_OFF || im->mode == H_DRAIN)
		return;
	has_size = att_statics(att, &uid, &body, &size) & ATT_SIZE;
	if (im->mode == H_SIZES) {
		if (has_size) {
			im->sum += size;
			im->count++;
		}
		return;
	}
	if (body == NULL)
		return;		/* an unsolicited FLAGS update */
	/* A quoted string or a literal the handler did not see. */
	if (b->len == im->seg && body->sec_body_part != NULL &&
	    body->sec_length > 0) {
		if (b->len + body->sec_length > im->limit)
			im->overflow = 1;
		else
			bytes_add(b, body->sec_body_part, body->sec_length);
	}
	if (im->mode == H_RANGE) {
		if (uid == im->want_uid && !im->got_body)
			im->got_body = 1;
		else
			b->len = im->seg;	/* not ours: forget it */
		im->seg = b->len;
		return;
	}
	struct imap_rec *r = uid != 0 ? rec_find(im, uid) : NULL;

	if (r == NULL || r->state != R_PENDING) {
		b->len = im->seg;
		return;
	}
	r->off = im->seg;
	r->len = b->len - im->seg;
	r->state = R_INBUF;
	im->seg = b->len;
}

static void
handlers_on(struct imap *im, enum hmode mode)
{
	im->mode = mode;
	im->overflow = 0;
	mailimap_set_progress_callback(im->s, imap_progress, imap_progress, im);
	mailimap_set_msg_att_handler(im->s, imap_att_cb, im);
	mailimap_set_msg_body_handler(im->s, imap_body_cb, im);
}

static void
handlers_off(struct imap *im)
{
	im->mode = H_OFF;
	if (im->s == NULL)
		return;
	mailimap_set_progress_callback(im->s, NULL, NULL, NULL);
	mailimap_set_msg_att_handler(im->s, NULL, NULL);
	mailimap_set_msg_body_handler(im->s, NULL, NULL);
}

/*
 * Move the bodies still to be read to the start of the batch buffer, so
 * that a new batch never overwrites them.
 */
static void
batch_compact(struct imap *im)
{
	size_t lo = SIZE_MAX;

	for (size_t i = im->ri; i < im->nrecs; i++)
		if (im->recs[i].state == R_INBUF && im->recs[i].off < lo)
			lo = im->recs[i].off;
	if (lo == SIZE_MAX) {
		im->batch.len = 0;
		return;
	}
	memmove(im->batch.s, im->batch.s + lo, im->batch.len - lo);
	im->batch.len -= lo;
	for (size_t i = im->ri; i < im->nrecs; i++)
		if (im->recs[i].state == R_INBUF)
			im->recs[i].off -= lo;
}

static const char *
rec_key(struct imap *im, const struct imap_rec *r)
{
	buf_reset(&im->key);
	if (r->gmid != 0)
		buf_addf(&im->key, "%s:gm:%llu", cur_folder(im)->name,
		    (unsigned long long)r->gmid);
	else
		buf_addf(&im->key, "%s:%u:%u", cur_folder(im)->name,
		    im->uidvalidity, r->uid);
	return im->key.s;
}

/*
 * libetpan's UID FETCH (mailimap_uid_fetch) cut in two, so that the next
 * command can be on its way while the pipeline writes what the last one
 * brought: the server then works while we do.  One command at most is
 * outstanding, and the answer to the one before it has been read whole,
 * so the tag libetpan checks is the latest one (research/libetpan.md
 * 5.8).  The sender functions are exported, but their header is not
 * installed.
 */
int mailimap_uid_fetch_send(mailstream *fd, struct mailimap_set *set,
    struct mailimap_fetch_type *fetch_type);
int mailimap_crlf_send(mailstream *fd);

static int
fetch_send(struct imap *im, struct mailimap_set *set,
    struct mailimap_fetch_type *ft)
{
	int r;

	if (im->s->imap_state != MAILIMAP_STATE_SELECTED)
		return MAILIMAP_ERROR_BAD_STATE;
	if ((r = mailimap_send_current_tag(im->s)) != MAILIMAP_NO_ERROR ||
	    (r = mailimap_uid_fetch_send(im->s->imap_stream, set, ft)) !=
	    MAILIMAP_NO_ERROR ||
	    (r = mailimap_crlf_send(im->s->imap_stream)) != MAILIMAP_NO_ERROR)
		return r;
	if (mailstream_flush(im->s->imap_stream) == -1)
		return MAILIMAP_ERROR_STREAM;
	im->pend_s = im->s;
	im->pend_tag = im->s->imap_tag;
	return MAILIMAP_NO_ERROR;
}

/* Whether a command was sent on the connection we still have. */
static int
pend_live(const struct imap *im)
{
	return im->pend != P_NONE && im->s != NULL && im->s == im->pend_s &&
	    im->s->imap_tag == im->pend_tag;
}

/*
 * Read the answer to the command fetch_send() sent, through the handlers
 * in mode.  Returns MAILIMAP_NO_ERROR, MAILIMAP_ERROR_UID_FETCH (a NO or
 * BAD answer) or the error of a broken connection.
 */
static int
fetch_recv(struct imap *im, enum hmode mode)
{
	struct mailimap_response *resp = NULL;
	clist *res;
	int r, code;

	if (!pend_live(im)) {
		im->pend = P_NONE;
		return MAILIMAP_ERROR_STREAM;
	}
	im->pend = P_NONE;
	handlers_on(im, mode);
	r = mailimap_read_line(im->s) == NULL ? MAILIMAP_ERROR_STREAM :
	    mailimap_parse_response(im->s, &resp);
	handlers_off(im);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	res = im->s->imap_response_info->rsp_fetch_list;
	im->s->imap_response_info->rsp_fetch_list = NULL;
	if (res != NULL)
		mailimap_fetch_list_free(res);
	code = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->
	    rsp_type;
	mailimap_response_free(resp);
	return code == MAILIMAP_RESP_COND_STATE_OK ? MAILIMAP_NO_ERROR :
	    MAILIMAP_ERROR_UID_FETCH;
}

/*
 * Read and forget the answer to a command sent ahead that is not wanted
 * after all (the pipeline left a message unread, or the window or the
 * folder ends), so that the next answer on the wire is the next
 * command's.  Messages of a batch stay R_PENDING: the next batch asks for
 * them again.
 */
static void
pend_drain(struct imap *im)
{
	int r;

	if (!pend_live(im)) {
		im->pend = P_NONE;
		return;
	}
	r = fetch_recv(im, H_DRAIN);
	if (r != MAILIMAP_NO_ERROR && imap_broken(r))
		imap_drop(im);
}

/*
 * Choose the next batch: the small messages from recs[ri] on that the
 * index does not hold, up to the first large one and the batch limits,
 * marked R_PENDING (those already pending are part of it).  A large
 * message at recs[ri] becomes R_RANGED.  Returns how many are pending,
 * with their RFC822.SIZE sum in pend_sum, and the first large message
 * still to fetch in *large (or NULL) when there is none.
 */
static size_t
batch_plan(struct imap *im, struct imap_rec **large)
{
	struct source *src = im->src;
	uint64_t sum = 0;
	size_t n = 0;

	*large = NULL;
	for (size_t i = im->ri; i < im->nrecs && n < IMAP_BATCH_MSGS; i++) {
		struct imap_rec *rec = &im->recs[i];

		if (rec->state == R_META && src->saved != NULL &&
		    src->saved(src->saved_arg, cur_folder(im)->name,
		    rec_key(im, rec)))
			rec->state = R_SAVED;
		if (rec->state == R_PENDING) {
			sum += rec->size;
			n++;
			continue;
		}
		if (rec->state != R_META)
			continue;
		if (rec->size > IMAP_RANGE) {
			if (n == 0 && i == im->ri)
				rec->state = R_RANGED;
			if (n == 0)
				*large = rec;
			break;
		}
		if (n > 0 && sum + rec->size > IMAP_BATCH_BYTES)
			break;
		rec->state = R_PENDING;
		sum += rec->size;
		n++;
	}
	im->pend_sum = sum;
	return n;
}

/*
 * Send the UID FETCH of the R_PENDING messages (runs of consecutive UIDs
 * as ranges).  A libetpan result.
 */
static int
batch_send(struct imap *im)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft;
	uint32_t lo = 0, hi = 0;
	int r;

	for (size_t i = im->ri; i <= im->nrecs; i++) {
		const struct imap_rec *rec = i < im->nrecs ? &im->recs[i] :
		    NULL;

		if (rec != NULL && rec->state != R_PENDING)
			continue;
		if (rec != NULL && lo != 0 && rec->uid == hi + 1) {
			hi = rec->uid;
			continue;
		}
		if (lo != 0)
			mailimap_set_add_interval(set, lo, hi);
		if (rec != NULL)
			lo = hi = rec->uid;
	}
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section(
	    mailimap_section_new(NULL)));
	r = fetch_send(im, set, ft);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r == MAILIMAP_NO_ERROR)
		im->pend = P_BATCH;
	return r;
}

/* Read the answer to batch_send() into the batch buffer. */
static int
batch_recv(struct imap *im)
{
	int r;

	batch_compact(im);
	im->seg = im->batch.len;
	im->limit = im->batch.len + im->pend_sum + im->pend_sum / 16 +
	    IMAP_SLACK;
	r = fetch_recv(im, H_BATCH);
	im->batch.len = im->seg;	/* drop a body cut short */
	return r;
}

/* How much of a large message to ask for from offset off. */
static uint64_t
range_want(const struct imap_rec *rec, uint64_t off)
{
	uint64_t want = IMAP_RANGE;

	/*
	 * One byte more than the announced rest, so a message of exactly the
	 * announced size ends without one more round trip.
	 */
	if (rec->size >= off && rec->size - off < want)
		want = rec->size - off + 1;
	return want;
}

/* Send UID FETCH uid (UID BODY.PEEK[]<off.want>).  A libetpan result. */
static int
range_send(struct imap *im, uint32_t uid, uint64_t off, uint64_t want)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft;
	int r;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section_partial(
	    mailimap_section_new(NULL), (uint32_t)off, (uint32_t)want));
	r = fetch_send(im, set, ft);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r == MAILIMAP_NO_ERROR) {
		im->pend = P_RANGE;
		im->pend_uid = uid;
		im->pend_off = off;
		im->pend_want = want;
	}
	return r;
}

/*
 * After a send ahead failed: the connection is gone or useless; the next
 * fetch reconnects when it needs to.
 */
static void
ahead_failed(struct imap *im, int r)
{
	if (imap_broken(r))
		imap_drop(im);
}

/*
 * Send the command for what the pipeline reads after the message being
 * read, when nothing is on the way: the next batch of small messages, or
 * the first range of the next large one.  Its answer waits on the wire,
 * and the server works on it, until fetch_batch() or fetch_range() reads
 * it.
 */
static void
prefetch_next(struct imap *im)
{
	struct imap_rec *large;
	int r;

	if (im->pend != P_NONE || im->s == NULL || !im->selected ||
	    interrupted)
		return;
	if (batch_plan(im, &large) > 0)
		r = batch_send(im);
	else if (large != NULL)
		r = range_send(im, large->uid, 0, range_want(large, 0));
	else
		return;
	if (r != MAILIMAP_NO_ERROR)
		ahead_failed(im, r);
}

/*
 * Make the bodies of the small messages from recs[ri] on available: read
 * the answer to the batch sent ahead, or choose a batch and fetch it, and
 * send the next command ahead.  Returns MS_OK (each message of the batch
 * is then R_INBUF, R_SAVED or R_RANGED), MS_FAILED or MS_FATAL.
 */
static int
fetch_batch(struct imap *im)
{
	struct imap_rec *large;
	int r, st;

	for (;;) {
		im->overflow = 0;
		if (im->pend != P_BATCH || !pend_live(im)) {
			if (batch_plan(im, &large) == 0)
				return MS_OK;
			pend_drain(im);
			if ((st = imap_ensure(im)) != MS_OK)
				return st;
			r = batch_send(im);
			if (r == MAILIMAP_NO_ERROR)
				r = batch_recv(im);
		} else {
			r = batch_recv(im);
		}
		if (r == MAILIMAP_NO_ERROR && !im->overflow) {
			im->fails = 0;
			/* Those the server did not send: try one by one. */
			for (size_t i = im->ri; i < im->nrecs; i++)
				if (im->recs[i].state == R_PENDING)
					im->recs[i].state = R_RANGED;
			prefetch_next(im);
			return MS_OK;
		}
		if (im->overflow) {
			/* Bodies larger than announced: fetch them in ranges. */
			imap_drop(im);
			break;
		}
		if (imap_retry(im, r, cur_folder(im)->name))
			continue;	/* the bodies received so far are kept */
		break;	/* a NO: each message fails or succeeds on its own */
	}
	for (size_t i = im->ri; i < im->nrecs; i++)
		if (im->recs[i].state == R_PENDING)
			im->recs[i].state = R_RANGED;
	return MS_OK;
}

/*
 * Fetch the next range of the current (large) message into im->range, or
 * read the answer to the range sent ahead, and send the next range (or
 * what follows the message) ahead.  Returns MS_OK (range.len may be 0 at
 * the end), MS_SKIP or MS_FATAL.
 */
static int
fetch_range(struct imap *im)
{
	struct imap_rec *rec = im->cur;
	uint64_t want = range_want(rec, im->roff);

	for (;;) {
		int r, st;

		if (im->pend != P_RANGE || !pend_live(im) ||
		    im->pend_uid != rec->uid || im->pend_off != im->roff ||
		    im->pend_want != want) {
			pend_drain(im);
			if ((st = imap_ensure(im)) != MS_OK)
				return st == MS_FAILED ? MS_SKIP : st;
			r = range_send(im, rec->uid, im->roff, want);
			if (r != MAILIMAP_NO_ERROR) {
				if (imap_retry(im, r, "reading a large message"))
					continue;
				return imap_fail(im, MS_SKIP, r, "UID %u",
				    rec->uid);
			}
		}
		im->range.len = 0;
		im->rpos = 0;
		im->seg = 0;
		im->limit = want;
		im->want_uid = rec->uid;
		im->got_body = 0;
		r = fetch_recv(im, H_RANGE);
		if (im->overflow) {
			imap_drop(im);
			return err_set(&im->src->err, MS_SKIP, 0, "UID %u: the "
			    "server sent more than the %llu bytes asked for",
			    rec->uid, (unsigned long long)want);
		}
		if (r == MAILIMAP_NO_ERROR) {
			im->fails = 0;
			im->range.len = im->seg;
			if (!im->got_body)
				return err_set(&im->src->err, MS_SKIP, 0,
				    "UID %u is no longer on the server%s",
				    rec->uid, im->roff > 0 ? " (deleted while "
				    "it was being read)" : "");
			if (im->range.len < want)
				im->reof = 1;
			im->roff += im->range.len;
			if (im->reof) {
				prefetch_next(im);
			} else if ((r = range_send(im, rec->uid, im->roff,
			    range_want(rec, im->roff))) != MAILIMAP_NO_ERROR) {
				ahead_failed(im, r);
			}
			return MS_OK;
		}
		if (imap_retry(im, r, "reading a large message"))
			continue;	/* same offset, new connection */
		return imap_fail(im, MS_SKIP, r, "UID %u", rec->uid);
	}
}

/* ---- the source ops ---- */

static int
imap_probe(const char *spec)
{
	return net_spec_is(spec, "imaps") || net_spec_is(spec, "imap") ?
	    100 : 0;
}

static void
imap_free(struct imap *im)
{
	if (im == NULL)
		return;
	if (im->s != NULL) {
		/*
		 * With a FETCH sent ahead still unanswered (an interrupt or an
		 * error stopped the run), LOGOUT would first read up to a
		 * whole batch: just close the connection then.
		 */
		handlers_off(im);
		if (!pend_live(im))
			(void)mailimap_logout(im->s);
		imap_drop(im);
	}
	net_watchdog_free(im->wd);
	recs_clear(im);
	free(im->recs);
	folders_free(im);
	bytes_free(&im->batch);
	bytes_free(&im->range);
	net_password_free(im->password);
	net_spec_release(&im->sp);
	buf_release(&im->key);
	buf_release(&im->kw);
	buf_release(&im->extra);
	buf_release(&im->words);
	free(im);
}

/*
 * Gmail mode when the server offers X-GM-EXT-1 (or the tests ask for its
 * emulation): the \All folder is read first, so that the other folders
 * find its messages saved.
 */
static void
gm_setup(struct imap *im)
{
	const char *emulate = getenv("MAILSAVE_IMAP_GMAIL_EMULATE");
	size_t j;

	if (im->s != NULL && mailimap_has_extension(im->s, "X-GM-EXT-1")) {
		im->gm = GM_ON;
		gm_register();
	} else if (emulate != NULL && strcmp(emulate, "1") == 0) {
		im->gm = GM_EMULATE;
	} else {
		return;
	}
	for (j = 0; j < im->nfolders; j++)
		if (im->folders[j].special != NULL &&
		    strcmp(im->folders[j].special, "\\All") == 0)
			break;
	for (size_t k = 0; j == im->nfolders && k < im->nfolders; k++)
		if (strcmp(im->folders[k].name, "[Gmail]/All Mail") == 0 ||
		    strcmp(im->folders[k].name, "[Google Mail]/All Mail") == 0)
			j = k;
	if (j == im->nfolders)
		return;		/* not in this run: every folder is read */
	struct imap_folder all = im->folders[j];

	memmove(im->folders + 1, im->folders, j * sizeof(*im->folders));
	im->folders[0] = all;
	im->gm_all = 1;
	if (im->verbose > 0)
		fprintf(stderr, "mailsave: %s: Gmail%s: every message is read "
		    "once, in %s; the other folders record where it also is\n",
		    im->sp.host, im->gm == GM_EMULATE ? " (emulated)" : "",
		    all.name);
}

static int
imap_open(struct source *src, const char *spec, const struct opts *o)
{
	struct imap *im = xcalloc(1, sizeof(*im));
	int st;

	im->src = src;
	buf_init(&im->key);
	buf_init(&im->kw);
	buf_init(&im->extra);
	buf_init(&im->words);
	if (net_spec_parse(&im->sp, spec, &src->err) != MS_OK) {
		free(im);
		return MS_FATAL;
	}
	src->data = im;
	net_opts_init(&im->no, o);
	im->wd = net_watchdog_new(im->no.timeout);
	net_watchdog_arm(im->wd, 1);	/* source_open() disarms */
	src->waiting = net_watchdog_arm;
	src->waiting_arg = im->wd;
	im->verbose = o != NULL ? o->verbose : 0;
	if (im->no.tls_none && im->sp.implicit_tls)
		return err_set(&src->err, MS_FATAL, 0, "%s: --tls=none "
		    "contradicts imaps:// (write imap://)", spec);
	if (net_secret(&im->no, &im->sp, &im->password, &src->err) !=
	    MS_OK)
		return MS_FATAL;
	/*
	 * Retry only connections that broke after TCP connected, and not
	 * after a time-out (a wrong port often looks like that): a first
	 * connection that fails is more likely a mistake than bad luck.
	 */
	for (;;) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		st = imap_connect(im);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (st != MS_OK &&
		    t1.tv_sec - t0.tv_sec + 1 >= (time_t)im->no.timeout) {
			size_t n = strlen(src->err.msg);

			im->transient = 0;
			if (strstr(src->err.msg, "timed out") == NULL)
				snprintf(src->err.msg + n,
				    sizeof(src->err.msg) - n,
				    " (no answer for %u s)", im->no.timeout);
		}
		if (st == MS_OK) {
			if ((st = imap_list(im)) == MS_OK)
				break;
			im->transient = im->s == NULL;	/* dropped */
		}
		if (!im->transient || im->fails >= im->no.retries ||
		    im->fails >= NET_OPEN_RETRIES ||
		    interrupted)
			break;
		im->fails++;
		backoff(im);
	}
	im->fails = 0;
	if (st == MS_OK)
		gm_setup(im);
	/*
	 * A connection, TLS or login failure is fatal (exit 3), not a usage
	 * error (exit 2) like a folder the server does not have: cmd_*.c
	 * tell them apart by errno.
	 */
	if (st != MS_OK && !im->usage_error && src->err.sys_errno != EACCES)
		src->err.sys_errno = EIO;
	return st;
}

static int open_folder(struct imap *im);

/*
 * Examine the next folder that may hold something new.  A folder whose
 * UIDVALIDITY and UIDNEXT are those of an earlier complete run (the index
 * keeps them as the folder's stamp, like an mbox file's size and mtime)
 * has no new message and is passed over without a FETCH.  MS_OK, MS_EOF
 * (no more), MS_FAILED, MS_FATAL.
 */
static int
next_folder(struct imap *im)
{
	struct source *src = im->src;
	int st;

	do {
		if ((st = open_folder(im)) != MS_OK)
			return st;
	} while (im->stamp[0] && src->file_saved != NULL &&
	    src->file_saved(src->saved_arg, cur_folder(im)->name, im->stamp));
	return MS_OK;
}

static int
open_folder(struct imap *im)
{
	int st;

	im->open = 0;
	recs_clear(im);
	if (im->fi >= im->nfolders)
		return MS_EOF;
	im->fi++;
	if ((st = imap_ensure(im)) != MS_OK)
		return st;
	st = examine(im);
	while (st == MS_EOF) {
		/* The connection dropped: reconnect, then examine again. */
		im->fails++;
		if ((st = imap_ensure(im)) != MS_OK)
			return st;
		st = examine(im);
	}
	if (st != MS_OK)
		return st;
	im->fails = 0;
	im->open = 1;
	im->next_seq = im->exists > 0 ? 1 : 0;
	im->stamp[0] = '\0';
	if (im->uidvalidity != 0 && im->uidnext != 0)
		snprintf(im->stamp, sizeof(im->stamp), "%u:%u",
		    im->uidvalidity, im->uidnext);
	return MS_OK;
}

static int
imap_next(struct source *src, struct msg *m)
{
	struct imap *im = src->data;
	struct imap_rec *rec;
	int st;

	im->cur = NULL;
	for (;;) {
		if (!im->open) {
			st = next_folder(im);
			if (st == MS_OK)
				continue;
			return st;
		}
		if (im->ri >= im->nrecs) {
			st = fetch_window(im);
			if (st == MS_EOF) {
				/* Every message of the folder was handed out. */
				if (im->stamp[0] && src->file_done != NULL)
					src->file_done(src->saved_arg,
					    cur_folder(im)->name, im->stamp);
				im->open = 0;
				continue;
			}
			if (st != MS_OK) {
				im->open = 0;
				return st;
			}
		}
		rec = &im->recs[im->ri];
		if ((rec->state == R_META || rec->state == R_PENDING) &&
		    (st = fetch_batch(im)) != MS_OK) {
			if (st == MS_FAILED)
				im->open = 0;
			return st;
		}
		break;
	}
	im->ri++;
	im->cur = rec;
	im->pos = 0;
	im->range.len = im->rpos = 0;
	im->roff = 0;
	im->reof = 0;

	m->folder = cur_folder(im)->name;
	m->folder_raw = cur_folder(im)->raw;
	m->key = rec_key(im, rec);
	m->size = rec->state == R_INBUF ? (int64_t)rec->len :
	    (int64_t)rec->size;
	m->date = rec->date;
	m->flags = rec->flags;
	m->keywords = rec->keywords;
	buf_reset(&im->extra);
	buf_addf(&im->extra, "uid=%u\nuidvalidity=%u\n", rec->uid,
	    im->uidvalidity);
	if (rec->gmid != 0)
		buf_addf(&im->extra, "x-gm-msgid=%llu\n",
		    (unsigned long long)rec->gmid);
	m->extra = im->extra.s;
	return MS_OK;
}

static int
imap_read(struct source *src, void *buf, size_t len, size_t *got)
{
	struct imap *im = src->data;
	struct imap_rec *rec = im->cur;
	size_t n;
	int st;

	*got = 0;
	if (rec == NULL)
		return MS_OK;
	if (rec->state == R_INBUF) {
		n = rec->len - (size_t)im->pos;
		if (n > len)
			n = len;
		memcpy(buf, im->batch.s + rec->off + im->pos, n);
		im->pos += n;
		*got = n;
		return MS_OK;
	}
	/* R_RANGED, or R_SAVED read anyway. */
	if (im->rpos == im->range.len) {
		if (im->reof)
			return MS_OK;
		if ((st = fetch_range(im)) != MS_OK)
			return st;
	}
	n = im->range.len - im->rpos;
	if (n > len)
		n = len;
	memcpy(buf, im->range.s + im->rpos, n);
	im->rpos += n;
	im->pos += n;
	*got = n;
	return MS_OK;
}

/* For `list`: every folder with its message count and RFC822.SIZE sum. */
static int
imap_folders(struct source *src, int (*cb)(const struct folder_info *,
    void *), void *arg)
{
	struct imap *im = src->data;
	int st, ret = MS_OK;

	while ((st = next_folder(im)) != MS_EOF) {
		struct folder_info fi = { .name = cur_folder(im)->name,
		    .special_use = cur_folder(im)->special };

		if (st == MS_FATAL)
			return st;
		if (st == MS_FAILED) {
			ret = MS_FAILED;
			continue;
		}
		im->sum = im->count = 0;
		while (im->exists > 0) {
			struct mailimap_set *set;
			struct mailimap_fetch_type *ft;
			clist *res = NULL;
			int r;

			set = mailimap_set_new_interval(1, 0);	/* 1:* */
			ft = mailimap_fetch_type_new_fetch_att_list_empty();
			mailimap_fetch_type_new_fetch_att_list_add(ft,
			    mailimap_fetch_att_new_rfc822_size());
			im->sum = im->count = 0;
			handlers_on(im, H_SIZES);
			r = mailimap_fetch(im->s, set, ft, &res);
			handlers_off(im);
			mailimap_set_free(set);
			mailimap_fetch_type_free(ft);
			if (res != NULL)
				mailimap_fetch_list_free(res);
			if (r == MAILIMAP_NO_ERROR)
				break;
			if (imap_retry(im, r, fi.name) &&
			    (st = imap_ensure(im)) == MS_OK)
				continue;
			if (st == MS_FATAL)
				return st;
			imap_fail(im, MS_FAILED, r, "folder %s: FETCH",
			    fi.name);
			ret = MS_FAILED;
			break;
		}
		fi.messages = im->count;
		fi.bytes = im->sum;
		im->open = 0;
		if (cb(&fi, arg) != 0)
			return MS_FATAL;
	}
	return ret;
}

static void
imap_close(struct source *src)
{
	imap_free(src->data);
	src->data = NULL;
}

const struct source_ops imap_source = {
	.name = "imap",
	.network = 1,
	.prefix = NULL,
	.probe = imap_probe,
	.open = imap_open,
	.next = imap_next,
	.read = imap_read,
	.folders = imap_folders,
	.close = imap_close,
};
