/*
 * The Maildir writer: DEST is a Maildir++ root (cur/ new/ tmp/ for INBOX,
 * ".A.B/" with its own cur/ new/ tmp/ and an empty "maildirfolder" file
 * for every other folder, as Maildir++ requires).  Each message is
 * written to tmp/, made durable and renamed into cur/ as
 * "<date>.<16 hex of SHA-256>.mailsave:2,<flags>", exact bytes, mode
 * 0600, mtime = the message's date (the Maildir convention for the
 * received date).  The file engine, its durability and collision rules
 * are shared with the EML writer (write_eml.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"
#include "layout.h"
#include "path.h"
#include "tree_sink.h"

/*
 * Make cur/ new/ tmp/ inside the folder directory REL ("" for the root)
 * and, for a subfolder, the empty "maildirfolder" marker.
 */
static int
maildir_prepare(int rootfd, const char *rel, struct err *e)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	struct buf p = BUF_INIT;
	int fd, r = MS_OK;

	for (size_t i = 0; i < 3; i++) {
		buf_reset(&p);
		if (rel[0] != '\0')
			buf_addf(&p, "%s/", rel);
		buf_adds(&p, subs[i]);
		if (path_mkdirs_at(rootfd, p.s) != 0) {
			r = err_set(e, errno == ENOSPC || errno == EIO ||
			    errno == EROFS || errno == EACCES ? MS_FATAL :
			    MS_SKIP, errno, "create %s", p.s);
			goto out;
		}
	}
	if (rel[0] != '\0') {
		buf_reset(&p);
		buf_addf(&p, "%s/maildirfolder", rel);
		fd = openat(rootfd, p.s, O_WRONLY | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd < 0) {
			r = err_set(e, MS_FATAL, errno, "create %s", p.s);
			goto out;
		}
		if (close(fd) != 0) {
			r = err_set(e, MS_FATAL, errno, "close %s", p.s);
			goto out;
		}
	}
out:
	buf_release(&p);
	return r;
}

static int
maildir_open(struct sink *snk, const char *dest, const struct opts *o)
{
	int r;

	(void)o;
	r = tree_sink_open(snk, dest, "tmp", "cur", layout_maildir_dir,
	    layout_maildir_name, maildir_prepare);
	if (r != MS_OK)
		return r;
	/* The root is INBOX and a Maildir even when it stays empty. */
	{
		int fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			r = err_set(&snk->err, MS_FATAL, errno, "open %s",
			    dest);
		else {
			r = maildir_prepare(fd, "", &snk->err);
			close(fd);
		}
	}
	if (r != MS_OK) {
		struct err keep = snk->err;

		(void)tree_sink_close(snk);
		snk->err = keep;
		return MS_FATAL;
	}
	return MS_OK;
}

const struct sink_ops maildir_sink = {
	.name = "maildir",
	.flags = SINK_NEEDS_SHA,	/* the SHA-256 is in the names */
	.open = maildir_open,
	.begin = tree_sink_begin,
	.write = tree_sink_write,
	.end = tree_sink_end,
	.abort = tree_sink_abort,
	.checkpoint = tree_sink_checkpoint,
	.close = tree_sink_close,
};
