/*
 * The tables of readers and writers (the libarchive registry pattern).
 * Adding a format is one file in formats/ and one line in formats.c.
 * Format files expose nothing but their ops.
 */
#ifndef MAILSAVE_FORMATS_H
#define MAILSAVE_FORMATS_H

#include "sink.h"
#include "source.h"

extern const struct source_ops applemail_source;
extern const struct source_ops mbox_source;
extern const struct source_ops eml_source;
extern const struct source_ops maildir_source;
extern const struct source_ops imap_source;
extern const struct source_ops pop3_source;

extern const struct sink_ops mbox_sink;
extern const struct sink_ops eml_sink;
extern const struct sink_ops maildir_sink;
extern const struct sink_ops archive_sink;

/* NULL-terminated, in probe order. */
extern const struct source_ops *const sources[];
/* NULL-terminated; the archive sink is chosen by DEST's suffix. */
extern const struct sink_ops *const sinks[];

#endif
