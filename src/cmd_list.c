/*
 * mailsave list: the folders of a mailbox with message counts and sizes.
 * Uses the reader's fast folders() when it has one, else walks every
 * message (reading bodies only when the size is not known up front).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "source.h"
#include "xalloc.h"

static const char list_usage[] =
    "usage: mailsave list --from SOURCE [--json]\n"
    "\n"
    "Print one line per folder: messages, bytes and the folder name (and\n"
    "its special use, such as \\Sent, when the server names one),\n"
    "separated by tabs (or a JSON array with --json).\n"
    "\n"
    "  -f, --from SOURCE   the mailbox to look at (as for export)\n"
    "      --mbox-flavour KIND, --mbox-lenient   as for export\n"
    "      --json          print JSON\n"
    "  -q, --quiet         no total line on stderr\n"
    "  -h, --help          show this help\n";

struct folder_row {
	char *name;		/* owned */
	const char *special_use;	/* borrowed from the reader, or NULL */
	uint64_t messages, bytes;
};

struct listing {
	struct folder_row *rows;	/* owned */
	size_t n, cap;
	const struct opts *o;	/* borrowed: --folder/--exclude */
};

static struct folder_row *
row_for(struct listing *l, const char *name)
{
	/* Readers yield folders one after another: check the last first. */
	if (l->n && strcmp(l->rows[l->n - 1].name, name) == 0)
		return &l->rows[l->n - 1];
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->rows[i].name, name) == 0)
			return &l->rows[i];
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->rows = xrealloc(l->rows, l->cap * sizeof(*l->rows));
	}
	l->rows[l->n].name = xstrdup(name);
	l->rows[l->n].special_use = NULL;
	l->rows[l->n].messages = l->rows[l->n].bytes = 0;
	return &l->rows[l->n++];
}

static int
add_folder(const struct folder_info *fi, void *arg)
{
	struct listing *l = arg;
	struct folder_row *r;

	if (!opts_folder_wanted(l->o, fi->name))
		return 0;
	r = row_for(l, fi->name);
	if (fi->special_use != NULL)
		r->special_use = fi->special_use;
	r->messages += fi->messages;
	r->bytes += fi->bytes;
	return 0;
}

int
cmd_list(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "mbox-flavour", required_argument, NULL, 'F' },
		{ "mbox-lenient", no_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		OPTS_NET_LONGOPTS,
		OPTS_SELECT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *from = NULL;
	struct listing l = { NULL, 0, 0, o };
	struct source src;
	struct msg m;
	uint64_t skipped = 0, total_m = 0, total_b = 0;
	int ch, st, rc = EXIT_DONE;

	while ((ch = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "mboxo") == 0)
				o->mbox_flavour = MBOX_O;
			else if (strcmp(optarg, "mboxrd") == 0)
				o->mbox_flavour = MBOX_RD;
			else if (strcmp(optarg, "mboxcl") == 0)
				o->mbox_flavour = MBOX_CL;
			else if (strcmp(optarg, "mboxcl2") == 0)
				o->mbox_flavour = MBOX_CL2;
			else if (strcmp(optarg, "auto") != 0) {
				complain("list", "unknown mbox flavour '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(list_usage, stdout);
			fputs(opts_select_usage, stdout);
			fputs(opts_net_usage, stdout);
			return EXIT_DONE;
		case 'j':
			o->json = 1;
			break;
		case 'L':
			o->mbox_lenient = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		default: {
			const char *why = NULL;
			int r = opts_net_option(o, ch, optarg, &why);

			if (r == 0)
				r = opts_select_option(o, ch, optarg, &why);

			if (r > 0)
				break;
			if (r < 0)
				complain("list", "%s", why);
			fputs("Try 'mailsave list --help'.\n", stderr);
			return EXIT_USAGE;
		}
		}
	}
	if (optind < argc) {
		complain("list", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (from == NULL) {
		complain("list", "--from SOURCE is required");
		return EXIT_USAGE;
	}
	if (source_open(&src, from, o) != MS_OK) {
		int e = src.err.sys_errno;

		complain("list", "%s", src.err.msg);
		source_close(&src);
		return (e == EACCES || e == EPERM || e == EIO) ?
		    EXIT_FATAL : EXIT_USAGE;
	}
	if (src.ops->folders != NULL) {
		st = source_folders(&src, add_folder, &l);
		if (st != MS_OK && st != MS_EOF) {
			complain("list", "%s", src.err.msg);
			rc = st == MS_FATAL ? EXIT_FATAL : EXIT_PARTIAL;
		}
	} else {
		static char chunk[64 * 1024];

		while ((st = source_next(&src, &m)) != MS_EOF) {
			if (st == MS_SKIP || st == MS_FAILED) {
				complain("list", "%s", src.err.msg);
				skipped++;
				continue;
			}
			if (st != MS_OK) {
				complain("list", "%s", src.err.msg);
				rc = EXIT_FATAL;
				break;
			}
			if (!opts_folder_wanted(o, m.folder))
				continue;
			struct folder_row *r = row_for(&l, m.folder);
			uint64_t size = 0;

			if (m.size >= 0) {
				size = (uint64_t)m.size;
			} else {
				size_t got;

				while ((st = source_read(&src, chunk,
				    sizeof(chunk), &got)) == MS_OK && got > 0)
					size += got;
				if (st != MS_OK) {
					complain("list", "%s", src.err.msg);
					skipped++;
					continue;
				}
			}
			r->messages++;
			r->bytes += size;
		}
	}
	source_close(&src);

	if (o->json)
		putchar('[');
	for (size_t i = 0; i < l.n; i++) {
		total_m += l.rows[i].messages;
		total_b += l.rows[i].bytes;
		if (o->json) {
			printf("%s{\"folder\":", i ? "," : "");
			json_string(l.rows[i].name);
			printf(",\"messages\":%llu,\"bytes\":%llu",
			    (unsigned long long)l.rows[i].messages,
			    (unsigned long long)l.rows[i].bytes);
			if (l.rows[i].special_use != NULL) {
				printf(",\"special_use\":");
				json_string(l.rows[i].special_use);
			}
			putchar('}');
		} else {
			/* A fourth column names a special-use folder. */
			printf("%llu\t%llu\t%s%s%s\n",
			    (unsigned long long)l.rows[i].messages,
			    (unsigned long long)l.rows[i].bytes, l.rows[i].name,
			    l.rows[i].special_use ? "\t" : "",
			    l.rows[i].special_use ? l.rows[i].special_use : "");
		}
		free(l.rows[i].name);
	}
	if (o->json)
		puts("]");
	free(l.rows);
	if (!o->quiet && !o->json)
		fprintf(stderr, "mailsave: %zu folders, %llu messages, %llu "
		    "bytes\n", l.n, (unsigned long long)total_m,
		    (unsigned long long)total_b);
	if (rc == EXIT_DONE && skipped)
		rc = EXIT_PARTIAL;
	return rc;
}
