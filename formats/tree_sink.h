/*
 * The tree engine of write_eml.c, shared with write_maildir.c: one file per
 * message, written to a temporary name under tmp_sub, fsynced and renamed
 * into final_sub of its folder's directory (folder_dir), named by
 * file_name; prepare makes a new folder's directories (Maildir's cur/new/
 * tmp).  The sink ops below are the engine's; each writer only opens it.
 * Ownership as for any sink (sink.h): the sink owns its state until close.
 */
#ifndef MAILSAVE_TREE_SINK_H
#define MAILSAVE_TREE_SINK_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "msg.h"
#include "sink.h"

int tree_sink_open(struct sink *snk, const char *dest, const char *tmp_sub,
    const char *final_sub, void (*folder_dir)(struct buf *, const char *),
    void (*file_name)(struct buf *, const struct msg *,
    const unsigned char[32], unsigned),
    int (*prepare)(int rootfd, const char *rel, struct err *e));
int tree_sink_begin(struct sink *snk, const struct msg *m);
int tree_sink_write(struct sink *snk, const void *p, size_t len);
int tree_sink_end(struct sink *snk, const unsigned char sha256[32]);
void tree_sink_abort(struct sink *snk);
int tree_sink_checkpoint(struct sink *snk);
int tree_sink_close(struct sink *snk);

#endif
