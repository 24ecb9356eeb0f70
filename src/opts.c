/*
 * Defaults for the shared options.
 */
#include "config.h"

#include <string.h>

#include "opts.h"

void
opts_init(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mbox_flavour = MBOX_AUTO;
	o->checkpoint_msgs = 1000;
	o->checkpoint_bytes = 256ull << 20;
	o->checkpoint_secs = 5;
}
