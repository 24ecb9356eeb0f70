/*
 * Reader dispatch: pick a format by explicit prefix or by probing, then
 * forward calls to the format's ops.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"
#include "source.h"
#include "xalloc.h"

int
source_open(struct source *src, const char *spec, const struct opts *o)
{
	const struct source_ops *best = NULL;
	const char *path = spec;
	struct stat st;
	int r;
	int best_bid = 0;

	memset(src, 0, sizeof(*src));
	err_clear(&src->err);
	src->opts = o;

	for (size_t i = 0; sources[i] != NULL; i++) {
		const char *pre = sources[i]->prefix;
		char name[32];
		size_t n;

		if (pre == NULL) {
			n = strlen(sources[i]->name);
			if (n + 2 > sizeof(name))
				continue;
			memcpy(name, sources[i]->name, n);
			name[n] = ':';
			name[n + 1] = '\0';
			pre = name;
		}
		n = strlen(pre);
		/* "imap://..." is a URL for the probes, not "imap:" + path. */
		if (strncmp(spec, pre, n) == 0 &&
		    strncmp(spec + n, "//", 2) != 0) {
			best = sources[i];
			path = spec + n;
			break;
		}
	}
	if (*path == '\0')
		return err_set(&src->err, MS_FATAL, 0, "empty source path");
	if (strstr(path, "://") != NULL && best == NULL) {
		/* A URL: no file to stat, the network readers probe it. */
		for (size_t i = 0; sources[i] != NULL; i++) {
			int bid = sources[i]->probe ? sources[i]->probe(path) : 0;

			if (bid > best_bid) {
				best_bid = bid;
				best = sources[i];
			}
		}
		if (best == NULL)
			return err_set(&src->err, MS_FATAL, 0,
			    "%s: not an address mailsave can read (mailsave reads "
			    "imaps://, imap://, pop3s:// and pop3:// accounts)",
			    path);
		goto open;
	}
	if (stat(path, &st) != 0)
		return err_set(&src->err, MS_FATAL, errno, "%s", path);
	if (access(path, R_OK) != 0) {
		int e = errno;

		if ((e == EPERM || e == EACCES) &&
		    strstr(path, "Library/Mail") != NULL)
			return err_set(&src->err, MS_FATAL, e, "%s (macOS "
			    "guards Mail's folder: grant Full Disk Access to "
			    "your terminal in System Settings → Privacy & "
			    "Security, then run mailsave again)", path);
		return err_set(&src->err, MS_FATAL, e, "%s", path);
	}
	if (best == NULL) {
		for (size_t i = 0; sources[i] != NULL; i++) {
			int bid = sources[i]->probe ? sources[i]->probe(path) : 0;

			if (bid > best_bid) {
				best_bid = bid;
				best = sources[i];
			}
		}
		if (best == NULL)
			return err_set(&src->err, MS_FATAL, 0,
			    "%s: not a mailbox mailsave can read (expected an "
			    "mbox file, an Apple Mail export, a Maildir or a "
			    "folder of .eml files)", path);
	}
open:
	src->ops = best;
	src->path = xstrdup(path);
	if (best->open == NULL)
		return err_set(&src->err, MS_FATAL, 0, "%s: no reader", path);
	r = best->open(src, src->path, o);
	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 0);
	return r;
}

int
source_next(struct source *src, struct msg *m)
{
	int st;

	msg_init(m);
	err_clear(&src->err);
	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 1);
	st = src->ops->next(src, m);
	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 0);
	return st;
}

int
source_read(struct source *src, void *buf, size_t len, size_t *got)
{
	int st;

	*got = 0;
	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 1);
	st = src->ops->read(src, buf, len, got);
	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 0);
	return st;
}

int
source_folders(struct source *src,
    int (*cb)(const struct folder_info *, void *), void *arg)
{
	int st;

	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 1);
	st = src->ops->folders(src, cb, arg);
	if (src->waiting != NULL)
		src->waiting(src->waiting_arg, 0);
	return st;
}

void
source_close(struct source *src)
{
	if (src->ops != NULL && src->ops->close != NULL && src->data != NULL)
		src->ops->close(src);
	src->data = NULL;
	free(src->path);
	src->path = NULL;
}
