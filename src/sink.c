/*
 * Writer dispatch and the state machine around every sink call: open ->
 * (begin -> write... -> end|abort)* -> close.  An out-of-order call fails;
 * MS_FATAL latches the sink dead so nothing more is written.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "sink.h"
#include "xalloc.h"

static const char *const archive_suffixes[] = {
	".zip", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", NULL
};

int
sink_is_archive(const char *dest)
{
	size_t n = strlen(dest);

	for (size_t i = 0; archive_suffixes[i] != NULL; i++) {
		size_t s = strlen(archive_suffixes[i]);

		if (n > s && strcmp(dest + n - s, archive_suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

static int
latch(struct sink *snk, int r)
{
	if (r == MS_FATAL)
		snk->state = SINK_DEAD;
	return r;
}

int
sink_open(struct sink *snk, const char *format, const char *dest,
    const struct opts *o)
{
	const struct sink_ops *ops = NULL;

	memset(snk, 0, sizeof(*snk));
	err_clear(&snk->err);
	buf_init(&snk->ref.file);
	snk->opts = o;
	snk->state = SINK_NEW;
	for (size_t i = 0; sinks[i] != NULL; i++)
		if (strcmp(sinks[i]->name, format) == 0)
			ops = sinks[i];
	if (ops == NULL) {
		snk->state = SINK_DEAD;
		return err_set(&snk->err, MS_FATAL, 0,
		    "unknown format '%s' (use mbox, eml or maildir)", format);
	}
	if (sink_is_archive(dest))
		ops = &archive_sink;
	snk->ops = ops;
	snk->dest = xstrdup(dest);
	int r = ops->open(snk, snk->dest, o);
	if (r != MS_OK) {
		snk->state = SINK_DEAD;
		return MS_FATAL;
	}
	snk->state = SINK_OPEN;
	return MS_OK;
}

int
sink_begin(struct sink *snk, const struct msg *m)
{
	if (snk->state != SINK_OPEN)
		return err_set(&snk->err, MS_FATAL, 0,
		    "internal error: sink_begin in state %d", snk->state);
	err_clear(&snk->err);
	buf_reset(&snk->ref.file);
	snk->ref.offset = snk->ref.length = 0;
	snk->ref.has_stored_sha = 0;
	snk->ref.stored_later_given = 0;
	int r = latch(snk, snk->ops->begin(snk, m));
	if (r == MS_OK)
		snk->state = SINK_IN_MSG;
	return r;
}

int
sink_write(struct sink *snk, const void *buf, size_t len)
{
	if (snk->state != SINK_IN_MSG)
		return err_set(&snk->err, MS_FATAL, 0,
		    "internal error: sink_write outside a message");
	int r = latch(snk, snk->ops->write(snk, buf, len));
	if (r == MS_SKIP) {
		snk->ops->abort(snk);
		snk->state = SINK_OPEN;
	}
	return r;
}

int
sink_end(struct sink *snk, const unsigned char sha256[32])
{
	if (snk->state != SINK_IN_MSG)
		return err_set(&snk->err, MS_FATAL, 0,
		    "internal error: sink_end outside a message");
	int r = latch(snk, snk->ops->end(snk, sha256));
	if (r == MS_SKIP) {
		snk->ops->abort(snk);
		snk->state = SINK_OPEN;
	} else if (r == MS_OK) {
		snk->state = SINK_OPEN;
	}
	return r;
}

void
sink_abort(struct sink *snk)
{
	if (snk->state != SINK_IN_MSG && snk->state != SINK_DEAD)
		return;
	if (snk->ops->abort != NULL)
		snk->ops->abort(snk);
	if (snk->state == SINK_IN_MSG)
		snk->state = SINK_OPEN;
}

int
sink_checkpoint(struct sink *snk)
{
	if (snk->state != SINK_OPEN)
		return err_set(&snk->err, MS_FATAL, 0,
		    "internal error: checkpoint in state %d", snk->state);
	if (snk->ops->checkpoint == NULL)
		return MS_OK;
	return latch(snk, snk->ops->checkpoint(snk));
}

int
sink_state(struct sink *snk, struct buf *out)
{
	buf_reset(out);
	if (snk->state != SINK_OPEN || snk->ops->state == NULL)
		return MS_OK;
	return latch(snk, snk->ops->state(snk, out));
}

int
sink_resume(struct sink *snk, const char *state)
{
	if (snk->state != SINK_OPEN)
		return err_set(&snk->err, MS_FATAL, 0,
		    "internal error: resume in state %d", snk->state);
	if (snk->ops->resume == NULL || state == NULL)
		return MS_OK;
	return latch(snk, snk->ops->resume(snk, state));
}

int
sink_add_file(struct sink *snk, const char *name, const char *path)
{
	if (snk->state != SINK_OPEN)
		return err_set(&snk->err, MS_FATAL, 0,
		    "internal error: add_file in state %d", snk->state);
	if (snk->ops->add_file == NULL)
		return MS_FAILED;
	return latch(snk, snk->ops->add_file(snk, name, path));
}

int
sink_close(struct sink *snk)
{
	int r = MS_OK;

	if (snk->state == SINK_NEW || snk->state == SINK_CLOSED) {
		buf_release(&snk->ref.file);
		free(snk->dest);
		snk->dest = NULL;
		return MS_OK;
	}
	if (snk->state == SINK_IN_MSG)
		sink_abort(snk);
	if (snk->ops != NULL && snk->ops->close != NULL && snk->data != NULL) {
		struct err keep = snk->err;
		int dead = snk->state == SINK_DEAD;

		/*
		 * Even after a fatal error the format closes what it can: the
		 * messages that ended before it are made durable (MS_OK), or
		 * the format says they are not (an archive that is not whole
		 * is removed: MS_FATAL).  The first error is kept: it is why
		 * the run stopped.
		 */
		r = snk->ops->close(snk);
		if (dead)
			snk->err = keep;
	}
	snk->state = SINK_CLOSED;
	buf_release(&snk->ref.file);
	free(snk->dest);
	snk->dest = NULL;
	return r;
}
