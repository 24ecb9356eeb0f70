/*
 * The reader and writer tables.  Probe order matters only for ties.
 */
#include "config.h"

#include <stddef.h>

#include "formats.h"

const struct source_ops *const sources[] = {
	&applemail_source,
	&maildir_source,
	&mbox_source,
	&eml_source,
	&imap_source,
	&pop3_source,
	NULL
};

const struct sink_ops *const sinks[] = {
	&mbox_sink,
	&eml_sink,
	&maildir_sink,
	NULL
};
