/*
 * mailsave status DEST: what the index knows about a backup: where it came
 * from, how many messages and bytes, the runs, how the last one ended and
 * what a resume would still do.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "db.h"
#include "progress.h"
#include "store.h"

static const char status_usage[] =
    "usage: mailsave status [--index PATH] [--json] DEST\n"
    "\n"
    "Show what the index of DEST records: the source, messages, bytes, runs\n"
    "and how the last run ended.\n"
    "\n"
    "      --index PATH  the index to read (default: inside DEST, or\n"
    "                    DEST.mailsave.db beside an archive)\n"
    "      --json        print JSON\n"
    "  -h, --help        show this help\n";

static void
when(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int
cmd_status(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *index = NULL, *dest;
	struct buf ipath = BUF_INIT;
	struct db_summary sum;
	struct db *db;
	struct err e;
	int ch, rc = EXIT_DONE;
	char started[64], ended[64], size[32];

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(status_usage, stdout);
			return EXIT_DONE;
		case 'i':
			index = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		default:
			fputs("Try 'mailsave status --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		complain("status", "give exactly one DEST");
		return EXIT_USAGE;
	}
	dest = argv[optind];
	if (index == NULL) {
		store_index_path(&ipath, dest, NULL);
		index = ipath.s;
	}
	err_clear(&e);
	if (db_open(&db, index, 0, &e) != MS_OK) {
		complain("status", "%s", e.msg);
		buf_release(&ipath);
		return e.sys_errno == ENOENT ? EXIT_USAGE : EXIT_FATAL;
	}
	if (db_summary(db, &sum) != MS_OK) {
		complain("status", "%s", e.msg);
		rc = EXIT_FATAL;
		goto out;
	}
	when(sum.last_started, started, sizeof(started));
	when(sum.last_ended, ended, sizeof(ended));
	progress_size((uint64_t)sum.bytes, size, sizeof(size));
	const char *todo =
	    strcmp(sum.last_outcome, "done") == 0 ? "nothing: the last run "
	    "finished; a new run copies only new messages" :
	    strcmp(sum.last_outcome, "partial") == 0 ? "retry the messages "
	    "that could not be read, and copy new ones" :
	    "finish the interrupted run: run the same export command again";
	if (o->json) {
		printf("{\"command\":\"status\",\"dest\":");
		json_string(dest);
		printf(",\"source\":");
		json_string(sum.source);
		printf(",\"format\":");
		json_string(sum.layout);
		printf(",\"messages\":%lld,\"bytes\":%lld,\"more_places\":%lld,"
		    "\"runs\":%lld,\"last_outcome\":", (long long)sum.messages,
		    (long long)sum.bytes, (long long)sum.places,
		    (long long)sum.runs);
		json_string(sum.last_outcome);
		printf(",\"last_started\":%lld,\"last_ended\":%lld,"
		    "\"last_problems\":%lld}\n", (long long)sum.last_started,
		    (long long)sum.last_ended, (long long)sum.problems);
	} else {
		printf("destination:  %s\n", dest);
		printf("source:       %s\n", sum.source);
		printf("format:       %s\n", sum.layout);
		printf("messages:     %lld (%s)\n", (long long)sum.messages,
		    size);
		if (sum.places)
			printf("also found:   %lld more %s in the source "
			    "(the same message again, or a Gmail label), "
			    "stored once\n", (long long)sum.places,
			    sum.places == 1 ? "copy" : "copies");
		printf("runs:         %lld\n", (long long)sum.runs);
		printf("last run:     %s, started %s, ended %s\n",
		    sum.last_outcome, started, ended);
		if (sum.problems)
			printf("problems:     %lld messages could not be read "
			    "in the last run\n", (long long)sum.problems);
		printf("a resume:     %s\n", todo);
	}
out:
	db_close(db);
	buf_release(&ipath);
	return rc;
}
