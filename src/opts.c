/*
 * Defaults for the shared options.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

void
opts_init(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mbox_flavour = MBOX_AUTO;
	o->checkpoint_msgs = 50000;
	o->checkpoint_bytes = 256ull << 20;
	o->checkpoint_secs = 5;
	o->retries = -1;
}

const char opts_net_usage[] =
    "Live accounts (imaps://user@host[:port][/folder], imap://, pop3s://, pop3://):\n"
    "      --password-file FILE     the password is the first line of FILE\n"
    "      --password-command CMD   the password is what CMD prints\n"
    "                               (else MAILSAVE_PASSWORD, ~/.netrc, or a prompt)\n"
    "      --ca-file FILE           trust the CA certificates in FILE\n"
    "      --pin sha256:HEX         accept exactly this server certificate\n"
    "      --insecure               do not check the certificate (dangerous)\n"
    "      --tls none               allow imap:// and pop3:// without TLS\n"
    "      --oauth2-token-command CMD  log in with OAuth2 (XOAUTH2 or\n"
    "                               OAUTHBEARER): CMD prints an access token\n"
    "      --auth MECH              how to log in: auto (the best offered), login,\n"
    "                               plain, cram-md5, xoauth2, oauthbearer, apop\n"
    "      --timeout SECONDS        give up after this much silence (60)\n"
    "      --retries N              reconnect this often after a drop (5)\n";

static int
number(const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	if (*arg < '0' || *arg > '9')
		return -1;
	*out = strtoul(arg, &end, 10);
	return *end == '\0' && *out <= max ? 0 : -1;
}

int
opts_net_option(struct opts *o, int ch, const char *arg, const char **why)
{
	static const char *const auths[] = { "auto", "login", "plain",
	    "cram-md5", "xoauth2", "oauthbearer", "apop" };
	unsigned long v;

	switch (ch) {
	case OPT_NET + 0:
		for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++)
			if (strcmp(arg, auths[i]) == 0) {
				o->auth = arg;
				return 1;
			}
		*why = "--auth takes auto, login, plain, cram-md5, xoauth2, "
		    "oauthbearer or apop";
		return -1;
	case OPT_NET + 1:
		o->ca_file = arg;
		return 1;
	case OPT_NET + 2:
		o->insecure = 1;
		return 1;
	case OPT_NET + 3:
		o->password_command = arg;
		return 1;
	case OPT_NET + 4:
		o->password_file = arg;
		return 1;
	case OPT_NET + 5:
		if (strncmp(arg, "sha256:", 7) != 0) {
			*why = "--pin takes sha256:HEX (doctor prints it)";
			return -1;
		}
		o->pin = arg;
		return 1;
	case OPT_NET + 6:
		if (number(arg, 100, &v) != 0) {
			*why = "--retries takes a number from 0 to 100";
			return -1;
		}
		o->retries = (int)v;
		return 1;
	case OPT_NET + 7:
		if (number(arg, 86400, &v) != 0 || v == 0) {
			*why = "--timeout takes seconds (1 to 86400)";
			return -1;
		}
		o->timeout = (unsigned)v;
		return 1;
	case OPT_NET + 8:
		if (strcmp(arg, "none") != 0) {
			*why = "--tls takes none (TLS is otherwise required)";
			return -1;
		}
		o->tls = arg;
		return 1;
	case OPT_NET + 9:
		if (*arg == '\0') {
			*why = "--oauth2-token-command takes a command";
			return -1;
		}
		o->oauth2_token_command = arg;
		return 1;
	}
	return 0;
}

const char opts_select_usage[] =
    "      --folder GLOB        only folders matching GLOB ('*' spans '/';\n"
    "                           repeat for more)\n"
    "      --exclude GLOB       leave out folders matching GLOB (repeatable)\n";

int
opts_select_option(struct opts *o, int ch, const char *arg, const char **why)
{
	const char **list;
	size_t *n;

	switch (ch) {
	case OPT_SELECT + 0:
		list = o->folder_globs;
		n = &o->nfolder_globs;
		break;
	case OPT_SELECT + 1:
		list = o->exclude_globs;
		n = &o->nexclude_globs;
		break;
	default:
		return 0;
	}
	if (*arg == '\0') {
		*why = "--folder and --exclude take a non-empty pattern";
		return -1;
	}
	if (*n == OPTS_GLOBS_MAX) {
		*why = "too many --folder or --exclude patterns (64 each)";
		return -1;
	}
	list[(*n)++] = arg;
	return 1;
}

int
opts_folder_wanted(const struct opts *o, const char *folder)
{
	size_t i;

	for (i = 0; i < o->nexclude_globs; i++)
		if (fnmatch(o->exclude_globs[i], folder, 0) == 0)
			return 0;
	if (o->nfolder_globs == 0)
		return 1;
	for (i = 0; i < o->nfolder_globs; i++)
		if (fnmatch(o->folder_globs[i], folder, 0) == 0)
			return 1;
	return 0;
}
