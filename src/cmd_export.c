/*
 * mailsave export: copy every message of SOURCE into DEST in FORMAT.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "pipeline.h"
#include "progress.h"
#include "sink.h"
#include "source.h"

static const char export_usage[] =
    "usage: mailsave export --from SOURCE --to FORMAT -o DEST [options]\n"
    "\n"
    "Copy every message of SOURCE into DEST, with folders, flags and dates.\n"
    "\n"
    "SOURCE  an mbox file, an Apple Mail \"Export Mailbox\" bundle (Name.mbox/),\n"
    "        a folder tree of mbox files, a Maildir, or a folder of .eml files;\n"
    "        a prefix mbox:, eml: or maildir: overrides detection\n"
    "FORMAT  mbox     one mboxrd file per folder (flags in Status/X-Status)\n"
    "        eml      one .eml file per message in a folder tree\n"
    "        maildir  a Maildir++ tree with flags in the file names\n"
    "DEST    a new or empty directory, or an archive file ending in .zip,\n"
    "        .tar, .tar.gz, .tgz, .tar.zst or .tar.xz (holding the same tree;\n"
    "        FORMAT defaults to eml there)\n"
    "\n"
    "Options:\n"
    "  -f, --from SOURCE        what to read\n"
    "  -t, --to FORMAT          what to write: mbox, eml or maildir\n"
    "  -o, --output DEST        where to write\n"
    "      --mbox-flavour KIND  how to read mbox files: auto (default),\n"
    "                           mboxrd, mboxo, mboxcl, mboxcl2\n"
    "      --mbox-lenient       accept \"From \" separators without a date\n"
    "      --checkpoint N       make the output durable every N messages\n"
    "                           (default 1000; also every 256 MB and 5 s)\n"
    "  -q, --quiet              print only errors\n"
    "  -v, --verbose            say more\n"
    "      --json               print a JSON summary on stdout\n"
    "  -h, --help               show this help\n";

struct export_ctx {
	const struct opts *o;
	struct progress prog;
	uint64_t problems;
};

static void
on_problem(void *arg, int status, const char *what, const char *text)
{
	struct export_ctx *x = arg;

	x->problems++;
	progress_done(&x->prog);
	if (what != NULL)
		complain("export", "%s%s: %s",
		    status == MS_FAILED ? "folder " : "", what, text);
	else
		complain("export", "%s", text);
}

static void
on_progress(void *arg, const struct pipeline_stats *st, int64_t total)
{
	struct export_ctx *x = arg;

	(void)total;
	progress_update(&x->prog, st->messages, st->bytes, 0);
}

/*
 * A directory DEST must be new or empty: without the index (a later
 * version) mailsave cannot know what an existing tree holds, and mixing a
 * second run into it would duplicate messages.
 */
static int
check_dest(const char *dest, int archive)
{
	struct stat st;

	if (stat(dest, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		complain("export", "%s: %s", dest, strerror(errno));
		return -1;
	}
	if (archive) {
		complain("export", "%s already exists; mailsave never "
		    "overwrites an archive (choose a new name)", dest);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		complain("export", "%s exists and is not a directory", dest);
		return -1;
	}
	DIR *d = opendir(dest);
	struct dirent *de;
	int empty = 1;

	if (d == NULL) {
		complain("export", "%s: %s", dest, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty) {
		complain("export", "%s is not empty; export into a new or "
		    "empty directory", dest);
		return -1;
	}
	return 0;
}

static int
parse_flavour(const char *s, enum mbox_flavour *f)
{
	static const struct {
		const char *name;
		enum mbox_flavour f;
	} names[] = {
		{ "auto", MBOX_AUTO }, { "mboxrd", MBOX_RD }, { "mboxo", MBOX_O },
		{ "mboxcl", MBOX_CL }, { "mboxcl2", MBOX_CL2 },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*f = names[i].f;
			return 0;
		}
	return -1;
}

static void
print_json(const char *from, const char *to, const char *dest,
    const struct pipeline_stats *st, const char *outcome, double secs,
    const char *error)
{
	printf("{\"command\":\"export\",\"from\":");
	json_string(from);
	printf(",\"to\":");
	json_string(to);
	printf(",\"dest\":");
	json_string(dest);
	printf(",\"messages\":%llu,\"bytes\":%llu,\"skipped\":%llu,"
	    "\"failed_folders\":%llu,\"checkpoints\":%llu,\"seconds\":%.3f,"
	    "\"outcome\":\"%s\"",
	    (unsigned long long)st->messages, (unsigned long long)st->bytes,
	    (unsigned long long)st->skipped,
	    (unsigned long long)st->failed_folders,
	    (unsigned long long)st->checkpoints, secs, outcome);
	if (error != NULL) {
		printf(",\"error\":");
		json_string(error);
	}
	printf("}\n");
}

int
cmd_export(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "mbox-flavour", required_argument, NULL, 'F' },
		{ "mbox-flavor", required_argument, NULL, 'F' },
		{ "mbox-lenient", no_argument, NULL, 'L' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "to", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *from = NULL, *to = NULL, *dest = NULL;
	struct export_ctx x;
	struct source src;
	struct sink snk;
	struct pipeline p;
	char *end;
	int ch, st, cst, archive;
	double t0;

	while ((ch = getopt_long(argc, argv, "f:t:o:qvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->checkpoint_msgs = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || *optarg == '\0') {
				complain("export", "--checkpoint needs a number");
				return EXIT_USAGE;
			}
			break;
		case 'f':
			from = optarg;
			break;
		case 'F':
			if (parse_flavour(optarg, &o->mbox_flavour) != 0) {
				complain("export", "unknown mbox flavour '%s' "
				    "(auto, mboxrd, mboxo, mboxcl, mboxcl2)",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(export_usage, stdout);
			return EXIT_DONE;
		case 'j':
			o->json = 1;
			break;
		case 'L':
			o->mbox_lenient = 1;
			break;
		case 'o':
			dest = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 't':
			to = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			fputs("Try 'mailsave export --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		complain("export", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (from == NULL || dest == NULL) {
		complain("export", "%s is required (try 'mailsave export "
		    "--help')", from == NULL ? "--from SOURCE" : "-o DEST");
		return EXIT_USAGE;
	}
	archive = sink_is_archive(dest);
	if (to == NULL) {
		if (!archive) {
			complain("export", "--to FORMAT is required (mbox, eml "
			    "or maildir)");
			return EXIT_USAGE;
		}
		to = "eml";
	}
	if (strcmp(to, "mbox") != 0 && strcmp(to, "eml") != 0 &&
	    strcmp(to, "maildir") != 0) {
		complain("export", "unknown format '%s' (use mbox, eml or "
		    "maildir)", to);
		return EXIT_USAGE;
	}
	o->layout = to;
	o->progress = !o->quiet && !o->json && isatty(2);

	if (source_open(&src, from, o) != MS_OK) {
		int e = src.err.sys_errno;

		complain("export", "%s", src.err.msg);
		source_close(&src);
		return (e == EACCES || e == EPERM || e == EIO) ?
		    EXIT_FATAL : EXIT_USAGE;
	}
	if (check_dest(dest, archive) != 0) {
		source_close(&src);
		return EXIT_USAGE;
	}
	if (sink_open(&snk, to, dest, o) != MS_OK) {
		complain("export", "%s", snk.err.msg);
		sink_close(&snk);
		source_close(&src);
		return EXIT_FATAL;
	}

	memset(&x, 0, sizeof(x));
	x.o = o;
	progress_init(&x.prog, o->progress, -1);
	memset(&p, 0, sizeof(p));
	p.src = &src;
	p.snk = &snk;
	p.opts = o;
	p.hooks.arg = &x;
	p.hooks.problem = on_problem;
	p.hooks.progress = on_progress;
	t0 = progress_now();
	st = pipeline_run(&p);
	progress_done(&x.prog);
	cst = sink_close(&snk);
	source_close(&src);
	double secs = progress_now() - t0;

	const char *outcome;
	int rc;
	const char *error = NULL;

	if (st == MS_FATAL || cst != MS_OK) {
		error = st == MS_FATAL ? p.err.msg : snk.err.msg;
		complain("export", "%s", error);
		complain("export", "stopped: %llu messages were saved in %s "
		    "before the error", (unsigned long long)p.stats.messages,
		    dest);
		outcome = "fatal";
		rc = EXIT_FATAL;
	} else if (p.stats.interrupted) {
		outcome = "interrupted";
		rc = EXIT_INTERRUPTED;
	} else if (p.stats.skipped || p.stats.failed_folders) {
		outcome = "partial";
		rc = EXIT_PARTIAL;
	} else {
		outcome = "done";
		rc = EXIT_DONE;
	}
	if (o->json) {
		print_json(from, to, dest, &p.stats, outcome, secs, error);
	} else if (!o->quiet && rc != EXIT_FATAL) {
		char size[32];

		progress_size(p.stats.bytes, size, sizeof(size));
		fprintf(stderr, "mailsave: %s %llu messages (%s) to %s in "
		    "%.1f s", rc == EXIT_INTERRUPTED ? "interrupted after" :
		    "exported", (unsigned long long)p.stats.messages, size,
		    dest, secs);
		if (p.stats.skipped)
			fprintf(stderr, "; %llu could not be read",
			    (unsigned long long)p.stats.skipped);
		if (p.stats.failed_folders)
			fprintf(stderr, "; %llu folders could not be read",
			    (unsigned long long)p.stats.failed_folders);
		fputc('\n', stderr);
	}
	return rc;
}
