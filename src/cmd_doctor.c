/*
 * `mailsave doctor TARGET`: say why a mail server cannot be read and what
 * to do.  The checks live in formats/doctor_net.c; this file prints them
 * as a checklist (✔ / ✘ with one line of advice, then a verdict) or as
 * JSON, and chooses the exit code: 0 when the account works, 1 when
 * something is wrong, 2 for usage.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "applemail.h"
#include "buf.h"
#include "cmd.h"
#include "db.h"
#include "doctor_net.h"
#include "err.h"
#include "signals.h"
#include "sink.h"
#include "source.h"
#include "store.h"
#include "xalloc.h"

static const char doctor_usage[] =
    "usage: mailsave doctor [options] TARGET\n"
    "\n"
    "Check a mail account or server step by step and say what to do about\n"
    "each problem.  TARGET is an account (imaps://user@host[:port],\n"
    "imap://, pop3s://, pop3://) or a bare host or e-mail domain (then\n"
    "IMAP, POP3 and SMTP submission on their usual ports).  The login is\n"
    "tested only when a password source is given.  TARGET may also be a\n"
    "local mailbox (is it readable, what is it) or a backup made by\n"
    "mailsave export (is its index sound, did the last run finish, are\n"
    "temporary files left over).\n"
    "\n"
    "  -q, --quiet                  show only problems and the verdict\n"
    "      --json                   one JSON object for scripts\n"
    "\n"
    "Exit status: 0 the account works, 1 something is wrong, 2 usage.\n"
    "\n";

/* A step kept for --json and the verdict. */
struct item {
	char *step, *where, *detail, *advice;
	int status;
	long ms;
};

struct doctor {
	const struct opts *o;
	struct item *items;
	size_t n, cap;
	char last_where[320];
	size_t fails, warns;
	int login_ok, login_tried;
	int local;		/* a path: a mailbox (1) or a backup (2) */
};

static const char *const status_name[] = { "ok", "warn", "fail", "info" };
static const char *const status_mark[] = { "✔", "!", "✘", "·" };

static void
S_report(void *arg, const struct dn_item *it)
{
	struct doctor *dr = arg;
	struct item *k;

	if (dr->n == dr->cap) {
		dr->cap = dr->cap ? dr->cap * 2 : 32;
		dr->items = xrealloc(dr->items, dr->cap * sizeof(*dr->items));
	}
	k = &dr->items[dr->n++];
	*k = (struct item){
		.step = xstrdup(it->step),
		.where = xstrdup(it->where),
		.detail = xstrdup(it->detail),
		.advice = it->advice != NULL ? xstrdup(it->advice) : NULL,
		.status = it->status,
		.ms = it->ms,
	};
	if (it->status == DN_FAIL)
		dr->fails++;
	else if (it->status == DN_WARN)
		dr->warns++;
	if (strcmp(it->step, "login") == 0) {
		dr->login_tried |= it->status == DN_OK ||
		    it->status == DN_FAIL;
		dr->login_ok |= it->status == DN_OK || it->status == DN_WARN;
	}
	if (dr->o->json)
		return;
	if (dr->o->quiet && it->status != DN_FAIL && it->status != DN_WARN)
		return;
	if (strcmp(dr->last_where, it->where) != 0) {
		snprintf(dr->last_where, sizeof(dr->last_where), "%s",
		    it->where);
		printf("%s:\n", it->where);
	}
	printf("  %s %-13s %s", status_mark[it->status], it->step,
	    it->detail);
	if (it->ms >= 0 && it->status != DN_INFO)
		printf(" (%ld ms)", it->ms);
	putchar('\n');
	if (it->advice != NULL)
		printf("    → %s\n", it->advice);
}

static void
S_verdict(struct doctor *dr, int st, struct buf *out)
{
	if (dr->local && st == MS_OK) {
		buf_adds(out, dr->local == 2 ? "the backup's index is sound" :
		    "mailsave can read this mailbox");
		if (dr->warns)
			buf_addf(out, ", with %zu warning%s", dr->warns,
			    dr->warns == 1 ? "" : "s");
		return;
	}
	if (st == MS_OK && dr->login_ok && dr->warns == 0)
		buf_adds(out, "the account works");
	else if (st == MS_OK && dr->login_ok)
		buf_addf(out, "the account works, with %zu warning%s",
		    dr->warns, dr->warns == 1 ? "" : "s");
	else if (st == MS_OK && dr->warns == 0)
		buf_adds(out, "the server is reachable and its TLS is sound; "
		    "the login was not tested");
	else if (st == MS_OK)
		buf_addf(out, "the server can be used, with %zu warning%s",
		    dr->warns, dr->warns == 1 ? "" : "s");
	else {
		const struct item *first = NULL;

		for (size_t i = 0; i < dr->n && first == NULL; i++)
			if (dr->items[i].status == DN_FAIL)
				first = &dr->items[i];
		buf_addf(out, "%zu problem%s found", dr->fails,
		    dr->fails == 1 ? "" : "s");
		if (first != NULL)
			buf_addf(out, "; first: %s: %s", first->step,
			    first->detail);
	}
}

static void
S_json(struct doctor *dr, const char *target, int st, const char *verdict)
{
	fputs("{\"target\":", stdout);
	json_string(target);
	printf(",\"ok\":%s,\"checks\":[", st == MS_OK ? "true" : "false");
	for (size_t i = 0; i < dr->n; i++) {
		const struct item *k = &dr->items[i];

		printf("%s{\"step\":", i ? "," : "");
		json_string(k->step);
		fputs(",\"where\":", stdout);
		json_string(k->where);
		printf(",\"status\":\"%s\",\"detail\":",
		    status_name[k->status]);
		json_string(k->detail);
		fputs(",\"advice\":", stdout);
		if (k->advice != NULL)
			json_string(k->advice);
		else
			fputs("null", stdout);
		if (k->ms >= 0)
			printf(",\"ms\":%ld", k->ms);
		putchar('}');
	}
	fputs("],\"verdict\":", stdout);
	json_string(verdict);
	fputs("}\n", stdout);
}

static void
say(struct doctor *dr, const char *step, const char *where, int status,
    const char *advice, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
say(struct doctor *dr, const char *step, const char *where, int status,
    const char *advice, const char *fmt, ...)
{
	struct dn_item it;
	char detail[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	it.step = step;
	it.where = where;
	it.status = status;
	it.detail = detail;
	it.advice = advice;
	it.ms = -1;
	S_report(dr, &it);
}

static const char fda_advice[] =
    "grant Full Disk Access to your terminal in System Settings → "
    "Privacy & Security, then run mailsave again";

/* How many unreadable folders get a line of their own. */
#define UNREADABLE_SHOWN	5

/*
 * The Apple Mail store checks (issue 6, point 7): what is unreadable, the
 * live V folder and the stale ones, the messages of each account, the
 * Envelope Index, and partial messages whose attachments are missing.
 * Returns MS_OK, or MS_FAILED when a check failed.
 */
static int
S_applemail(struct doctor *dr, const char *where,
    const struct applemail_inventory *inv)
{
	int st = MS_OK;
	size_t nboxes = 0;

	for (size_t i = 0; i < inv->nunreadable && i < UNREADABLE_SHOWN;
	    i++) {
		const struct applemail_unreadable *u = &inv->unreadable[i];

		say(dr, "readable", where, DN_FAIL, u->sys_errno == EPERM ||
		    u->sys_errno == EACCES ? fda_advice : "check that the "
		    "disk is sound and the folder is Mail's",
		    "%s", u->what);
	}
	if (inv->nunreadable > UNREADABLE_SHOWN) {
		int denied = 0;

		for (size_t i = UNREADABLE_SHOWN; i < inv->nunreadable; i++)
			denied |= inv->unreadable[i].sys_errno == EPERM ||
			    inv->unreadable[i].sys_errno == EACCES;
		say(dr, "readable", where, DN_FAIL, denied ? fda_advice :
		    "check that the disk is sound and the folders are Mail's",
		    "%zu more folders or files cannot be read",
		    inv->nunreadable - UNREADABLE_SHOWN);
	}
	if (inv->nunreadable == 0)
		say(dr, "readable", where, DN_OK, NULL, "every folder of this "
		    "%s can be read", inv->kind);
	else
		st = MS_FAILED;

	if (inv->vdir != NULL)
		say(dr, "V folder", where, DN_OK, NULL, "%s is live (%s)",
		    inv->vdir, inv->vdir_why);
	if (inv->vdir_note != NULL)
		say(dr, "V folder", where, DN_WARN, "Mail rewrites "
		    "PersistenceInfo.plist when it starts; until then "
		    "mailsave reads the newest V folder", "%s",
		    inv->vdir_note);
	if (inv->stale.len)
		say(dr, "stale", where, DN_INFO, NULL, "%s: left behind by an "
		    "earlier macOS, never exported", inv->stale.s);

	for (size_t i = 0; i < inv->naccounts; i++) {
		const struct applemail_account *ac = &inv->accounts[i];

		nboxes += ac->mailboxes;
		if (strcmp(inv->kind, "mailbox") == 0)
			continue;	/* no account above it */
		say(dr, "account", where, DN_OK, NULL, "%s: %llu message%s "
		    "in %zu mailbox%s (%llu partial)", ac->name,
		    (unsigned long long)ac->messages,
		    ac->messages == 1 ? "" : "s", ac->mailboxes,
		    ac->mailboxes == 1 ? "" : "es",
		    (unsigned long long)ac->partials);
	}
	if (inv->messages > 0 && strcmp(inv->kind, "mailbox") == 0)
		say(dr, "messages", where, DN_OK, NULL, "%llu in %zu "
		    "mailbox%s (%llu partial)",
		    (unsigned long long)inv->messages, nboxes,
		    nboxes == 1 ? "" : "es",
		    (unsigned long long)inv->partials);
	else if (inv->messages > 0)
		say(dr, "messages", where, DN_OK, NULL, "%llu in %zu "
		    "account%s", (unsigned long long)inv->messages,
		    inv->naccounts, inv->naccounts == 1 ? "" : "s");
	else
		say(dr, "messages", where, DN_WARN, "give ~/Library/Mail "
		    "itself, or a V folder, account or .mbox inside it",
		    "no message files found");

	if (inv->ei_path == NULL) {
		say(dr, "envelope", where, DN_INFO, NULL, "no Envelope Index "
		    "belongs to this %s: flags come from the .emlx files",
		    inv->kind);
	} else if (!inv->ei_open) {
		say(dr, "envelope", where, DN_FAIL, inv->ei_denied ? fda_advice :
		    "export still works (flags then come from the .emlx "
		    "files); to repair it, quit Mail, move the Envelope "
		    "Index files out of MailData and open Mail: it rebuilds "
		    "them", "the Envelope Index cannot be used: %s",
		    inv->ei_why.s);
		st = MS_FAILED;
	} else {
		say(dr, "envelope", where, DN_OK, NULL, "the Envelope Index "
		    "opens (a copy, with its -wal and -shm): %lld row%s; "
		    "%llu message file%s without a row", (long long)
		    inv->ei_rows, inv->ei_rows == 1 ? "" : "s",
		    (unsigned long long)inv->ei_orphans,
		    inv->ei_orphans == 1 ? "" : "s");
		if (inv->ei_mismatched > 0)
			say(dr, "envelope", where, DN_WARN, "expected for a "
			    "copied or restored store; otherwise let Mail "
			    "rebuild its index (quit Mail, move the Envelope "
			    "Index files out of MailData, open Mail)",
			    "%llu row%s belong to another mailbox than "
			    "their file: their flags are not used",
			    (unsigned long long)inv->ei_mismatched,
			    inv->ei_mismatched == 1 ? "" : "s");
		if (inv->ei_why.len) {
			say(dr, "envelope", where, DN_FAIL, "export still "
			    "works, with flags from the .emlx files; let Mail "
			    "rebuild the index (quit Mail, move the Envelope "
			    "Index files out of MailData, open Mail)",
			    "%s", inv->ei_why.s);
			st = MS_FAILED;
		}
	}

	if (inv->partials == 0) {
		say(dr, "attachments", where, DN_OK, NULL, "no partial "
		    "messages (every message is whole in its .emlx)");
	} else if (inv->incomplete == 0) {
		say(dr, "attachments", where, DN_OK, NULL, "the %llu partial "
		    "message%s can be rebuilt whole from the attachments on "
		    "disk", (unsigned long long)inv->partials,
		    inv->partials == 1 ? "" : "s");
	} else {
		say(dr, "attachments", where, DN_FAIL, "in Mail, set Settings "
		    "→ Accounts → Download Attachments to All (or open "
		    "these messages online), then export again; until then "
		    "they are exported with stubs and X-Mailsave-Incomplete",
		    "%llu of %llu partial message%s lack%s attachment "
		    "payloads (%llu part%s)",
		    (unsigned long long)inv->incomplete,
		    (unsigned long long)inv->partials,
		    inv->partials == 1 ? "" : "s",
		    inv->incomplete == 1 ? "s" : "",
		    (unsigned long long)inv->missing_parts,
		    inv->missing_parts == 1 ? "" : "s");
		for (size_t i = 0; i < inv->nnamed; i++)
			say(dr, "missing", where, DN_INFO, NULL, "%s (part%s "
			    "%s)", inv->named[i].path,
			    strchr(inv->named[i].sections, ' ') ? "s" : "",
			    inv->named[i].sections);
		if (inv->incomplete > inv->nnamed)
			say(dr, "missing", where, DN_INFO, NULL, "and %llu "
			    "more", (unsigned long long)(inv->incomplete -
			    inv->nnamed));
		st = MS_FAILED;
	}
	if (inv->downloaded > 0)
		say(dr, "attachments", where, DN_INFO, NULL, "%llu payload%s "
		    "taken from Mail Downloads (the only file there with the "
		    "attachment's name and size)",
		    (unsigned long long)inv->downloaded,
		    inv->downloaded == 1 ? "" : "s");
	return st;
}

/* Temporary files a killed or failed run may leave in a DEST tree. */
static size_t
count_leftovers(const char *dir, int depth)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	if (depth > 12 || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		size_t len = strlen(nm);
		char *sub;
		struct stat sb;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		if ((strncmp(nm, ".mailsave-", 10) == 0 && len > 4 &&
		    strcmp(nm + len - 4, ".tmp") == 0) ||
		    strcmp(nm, ".manifest.jsonl.tmp") == 0) {
			n++;
			continue;
		}
		sub = xasprintf("%s/%s", dir, nm);
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			n += count_leftovers(sub, depth + 1);
		free(sub);
	}
	closedir(d);
	return n;
}

/*
 * A local TARGET: a backup mailsave made (its index, its last run,
 * leftovers), or a mailbox mailsave can read.
 */
static int
doctor_local(const char *target, const struct opts *o, struct doctor *dr,
    struct err *e)
{
	struct buf ipath = BUF_INIT, p = BUF_INIT;
	struct stat sb;
	struct db *db = NULL;
	int st = MS_OK;

	if (stat(target, &sb) != 0) {
		say(dr, "path", target, DN_FAIL, "check the spelling, or give "
		    "an account (imaps://user@host) or a host name",
		    "%s", strerror(errno));
		return MS_FAILED;
	}
	store_index_path(&ipath, target, NULL);
	if (stat(ipath.s, &sb) == 0) {
		struct db_summary sum;

		dr->local = 2;
		if (db_open(&db, ipath.s, 0, e) != MS_OK ||
		    db_check(db) != MS_OK) {
			say(dr, "index", target, DN_FAIL, "run the same export "
			    "with --restart to start over, or export into a "
			    "new DEST", "%s", e->msg);
			st = MS_FAILED;
			goto out;
		}
		say(dr, "index", target, DN_OK, NULL, "%s opens and passes "
		    "SQLite's integrity check", ipath.s);
		if (db_summary(db, &sum) == MS_OK) {
			int done = strcmp(sum.last_outcome, "done") == 0;

			say(dr, "last run", target, done ? DN_OK : DN_WARN,
			    done ? NULL : "run the same export command "
			    "again: it finishes the job and writes each "
			    "message once", "%s; %lld messages from %s",
			    sum.last_outcome, (long long)sum.messages,
			    sum.source);
		}
		if (!sink_is_archive(target)) {
			size_t n = count_leftovers(target, 0);

			if (n)
				say(dr, "leftovers", target, DN_WARN, "the next "
				    "export run into this DEST removes them",
				    "%zu temporary file%s from an interrupted "
				    "run", n, n == 1 ? "" : "s");
			else
				say(dr, "leftovers", target, DN_OK, NULL,
				    "no temporary files left over");
			buf_addf(&p, "%s/manifest.jsonl", target);
		} else {
			buf_addf(&p, "%s.partial", target);
			if (stat(p.s, &sb) == 0)
				say(dr, "leftovers", target, DN_WARN, "the next "
				    "export run removes it and writes the "
				    "volume again", "%s is an unfinished "
				    "volume", p.s);
			buf_reset(&p);
			buf_adds(&p, target);
		}
		if (stat(p.s, &sb) != 0)
			say(dr, "manifest", target, DN_WARN, "run the same "
			    "export again to write it", "%s is missing", p.s);
		say(dr, "verify", target, DN_INFO, NULL, "to re-read and "
		    "check every message: mailsave verify %s", target);
		goto out;
	}
	{
		struct source src;

		struct applemail_inventory inv;
		int denied;

		if (source_open(&src, target, o) != MS_OK) {
			denied = src.err.sys_errno == EACCES ||
			    src.err.sys_errno == EPERM;
			say(dr, "mailbox", target, DN_FAIL, denied &&
			    strstr(target, "Library/Mail") != NULL ?
			    fda_advice : denied ?
			    "give your user (or, on macOS, the terminal) the "
			    "right to read it" : "give an mbox file, a "
			    "Maildir, a folder of .eml files, an Apple Mail "
			    "store or export, or a mailsave backup",
			    "%s", src.err.msg);
			source_close(&src);
			st = MS_FAILED;
			goto out;
		}
		if (applemail_inventory(&src, &inv) == MS_OK) {
			say(dr, "mailbox", target, DN_OK, NULL, "readable: %s "
			    "(%s)", src.ops->name, inv.kind);
			st = S_applemail(dr, target, &inv);
			applemail_inventory_release(&inv);
		} else {
			say(dr, "mailbox", target, DN_OK, NULL, "readable: %s",
			    src.ops->name);
		}
		say(dr, "list", target, DN_INFO, NULL, "folders, counts and "
		    "sizes: mailsave list --from %s", target);
		source_close(&src);
	}
out:
	db_close(db);
	buf_release(&ipath);
	buf_release(&p);
	return st;
}

int
cmd_doctor(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		OPTS_NET_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct doctor dr = { .o = o };
	struct buf verdict = BUF_INIT;
	struct err e;
	const char *why = NULL;
	int ch, st, r;

	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(doctor_usage, stdout);
			fputs(opts_net_usage, stdout);
			return EXIT_DONE;
		case 'j':
			o->json = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		default:
			r = opts_net_option(o, ch, optarg, &why);
			if (r == 1)
				break;
			if (r < 0)
				complain("doctor", "%s", why);
			else
				fputs("Try 'mailsave doctor --help'.\n",
				    stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		complain("doctor", "give exactly one TARGET (try 'mailsave "
		    "doctor --help')");
		return EXIT_USAGE;
	}
	err_clear(&e);
	if (!doctor_net_is_server(argv[optind])) {
		dr.local = 1;
		st = doctor_local(argv[optind], o, &dr, &e);
	}
	else
		st = doctor_net_run(argv[optind], o, S_report, &dr, &e);
	if (st == MS_FATAL) {
		complain("doctor", "%s", e.msg);
		r = EXIT_USAGE;
		goto out;
	}
	if (interrupted) {
		complain("doctor", "interrupted");
		r = EXIT_INTERRUPTED;
		goto out;
	}
	S_verdict(&dr, st, &verdict);
	if (o->json)
		S_json(&dr, argv[optind], st, verdict.s);
	else
		printf("%s Verdict: %s\n", st == MS_OK ? "✔" : "✘",
		    verdict.s);
	r = st == MS_OK ? EXIT_DONE : 1;
out:
	for (size_t i = 0; i < dr.n; i++) {
		free(dr.items[i].step);
		free(dr.items[i].where);
		free(dr.items[i].detail);
		free(dr.items[i].advice);
	}
	free(dr.items);
	buf_release(&verdict);
	return r;
}
