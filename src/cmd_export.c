/*
 * mailsave export: copy every message of SOURCE into DEST in FORMAT.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "manifest.h"
#include "path.h"
#include "pipeline.h"
#include "progress.h"
#include "sink.h"
#include "source.h"
#include "store.h"
#include "xalloc.h"

static const char export_usage[] =
    "usage: mailsave export --from SOURCE --to FORMAT -o DEST [options]\n"
    "\n"
    "Copy every message of SOURCE into DEST, with folders, flags and dates.\n"
    "\n"
    "SOURCE  an Apple Mail store (~/Library/Mail), an mbox file, an Apple Mail\n"
    "        \"Export Mailbox\" bundle (Name.mbox/), a live account (imaps://...),\n"
    "        a folder tree of mbox files, a Maildir, or a folder of .eml files;\n"
    "        a prefix mbox:, eml: or maildir: overrides detection\n"
    "FORMAT  mbox     one mboxrd file per folder (flags in Status/X-Status)\n"
    "        eml      one .eml file per message in a folder tree\n"
    "        maildir  a Maildir++ tree with flags in the file names\n"
    "DEST    a directory, or an archive file ending in .zip, .tar, .tar.gz,\n"
    "        .tgz, .tar.zst or .tar.xz (holding the same tree; FORMAT\n"
    "        defaults to eml there).  Run the same command again to resume an\n"
    "        interrupted export or to add what is new: the index in\n"
    "        DEST/.mailsave/ (DEST.mailsave.db beside an archive) knows what\n"
    "        is saved; an archive gets a next volume (name.2.tar.zst).\n"
    "\n"
    "Options:\n"
    "  -f, --from SOURCE        what to read\n"
    "  -t, --to FORMAT          what to write: mbox, eml or maildir\n"
    "  -o, --output DEST        where to write\n"
    "      --mbox-flavour KIND  how to read mbox files: auto (default),\n"
    "                           mboxrd, mboxo, mboxcl, mboxcl2\n"
    "      --mbox-lenient       accept \"From \" separators without a date\n"
    "      --checkpoint N       make the output durable every N messages\n"
    "                           (default 50000; 0 turns that trigger off)\n"
    "      --checkpoint-mb M    ... and every M MB (default 256)\n"
    "      --checkpoint-secs T  ... and every T seconds (default 5)\n"
    "      --dedupe             write a message met in several folders once\n"
    "                           (the manifest names its other places)\n"
    "      --restart            start over: empty DEST (made by mailsave)\n"
    "                           and its index first\n"
    "      --index PATH         keep the index at PATH\n"
    "      --no-index           no index, no resume (DEST must be new)\n"
    "  -q, --quiet              print only errors\n"
    "  -v, --verbose            say more\n"
    "      --json               print a JSON summary on stdout\n"
    "  -h, --help               show this help\n";

struct export_ctx {
	const struct opts *o;
	struct progress prog;
	uint64_t problems;
	uint64_t changed;	/* keys whose source changed since saved */
	struct db *db;		/* NULL with --no-index */
	struct err dberr;
	struct sink *snk;
	int64_t src_id, dest_id, run_id;
	int dedupe;
	struct buf state;
	struct buf files;	/* "file\tstamp\n" read to their end */
	uint64_t matched;	/* recorded by saved_as() in this run */
	struct pipeline *pipe;	/* borrowed: the running pipeline */
};

static void
on_problem(void *arg, int status, const char *what, const char *text)
{
	struct export_ctx *x = arg;

	x->problems++;
	progress_done(&x->prog);
	if (what != NULL)
		complain("export", "%s%s: %s", status == MS_FAILED ?
		    "folder " : status == MS_OK ? "warning: " : "", what, text);
	else
		complain("export", "%s", text);
	if (x->db != NULL && x->run_id != 0)
		(void)db_problem(x->db, x->run_id, what, text);
}

static int
on_seen(void *arg, const struct msg *m)
{
	struct export_ctx *x = arg;
	int seen, changed;

	if (db_seen(x->db, x->src_id, x->dest_id, m->key, m->stamp, &seen,
	    &changed) != MS_OK)
		return -1;
	if (seen && changed) {
		x->changed++;
		progress_done(&x->prog);
		complain("export", "%s/%s: changed in the source since it was "
		    "saved; the saved copy is kept (run with --restart to "
		    "export everything again)", m->folder, m->key);
	}
	return seen;
}

static int
on_file_saved(void *arg, const char *file, const char *stamp)
{
	struct export_ctx *x = arg;
	int saved;

	if (db_file_saved(x->db, x->src_id, x->dest_id, file, stamp,
	    &saved) != MS_OK)
		return 0;
	return saved;
}

static void
on_file_done(void *arg, const char *file, const char *stamp)
{
	struct export_ctx *x = arg;

	if (strchr(file, '\n') != NULL || strchr(file, '\t') != NULL)
		return;		/* cannot be listed; it is simply read again */
	buf_addf(&x->files, "%s\t%s\n", file, stamp);
}

/* Record the files read whole, once everything of the run is durable. */
static int
record_files(struct export_ctx *x)
{
	char *p = x->files.s;

	while (*p) {
		char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');

		*tab = *nl = '\0';
		if (db_file_done(x->db, x->src_id, x->dest_id, p, tab + 1) !=
		    MS_OK)
			return -1;
		p = nl + 1;
	}
	return 0;
}

/* For readers that can avoid fetching what is saved (source.h). */
static int
on_saved(void *arg, const char *folder, const char *key)
{
	struct export_ctx *x = arg;
	int seen, changed;

	(void)folder;
	if (db_seen(x->db, x->src_id, x->dest_id, key, NULL, &seen,
	    &changed) != MS_OK)
		return 0;
	return seen;
}

/* A key range the index holds that the reader no longer uses (source.h). */
static int
on_renumbered(void *arg, const char *folder, const char *within,
    const char *prefix)
{
	struct export_ctx *x = arg;
	int found;

	if (db_keys_outside(x->db, x->src_id, x->dest_id, folder, within,
	    prefix, &found) != MS_OK)
		return 0;
	return found;
}

/*
 * A message saved under another key (source.h): its record takes the
 * new key, or the new key is recorded as one more place of those bytes.
 * Nothing is written to DEST, so the index does not run ahead of it.
 */
static int
on_saved_as(void *arg, const struct msg *m, const struct saved_match *q)
{
	struct export_ctx *x = arg;
	int64_t id = 0;
	int st, done = 1;

	if (q->key != NULL)
		st = db_find_key(x->db, x->src_id, x->dest_id, q->key, &id);
	else if (q->message_id != NULL && m->size >= 0)
		st = db_find_like(x->db, x->src_id, x->dest_id,
		    q->folder != NULL ? q->folder : m->folder, q->message_id,
		    m->size, q->other_than, &id);
	else
		return 0;
	if (st != MS_OK)
		goto fail;
	if (id == 0)
		return 0;
	if (db_begin(x->db) != MS_OK)
		goto fail;
	if (q->other_than != NULL)
		st = db_rekey(x->db, id, m->key, &done);
	else if (x->pipe != NULL && pipeline_settle(x->pipe) != MS_OK)
		st = MS_FATAL;	/* a place copies the digests of its row */
	else
		st = db_record_place(x->db, x->src_id, x->dest_id, x->run_id, m,
		    id);
	if (st != MS_OK)
		goto fail;
	if (done)
		x->matched++;
	return done;
fail:
	complain("export", "%s", x->dberr.msg);
	return -1;
}

/*
 * seen() for a run that starts with nothing saved: only what saved_as()
 * recorded can be (no lookup until it recorded something).
 */
static int
on_seen_matched(void *arg, const struct msg *m)
{
	struct export_ctx *x = arg;

	return x->matched > 0 ? on_seen(arg, m) : 0;
}

static int
on_duplicate(void *arg, const struct msg *m, const unsigned char sha[32])
{
	struct export_ctx *x = arg;
	int64_t id;

	if (db_find_sha(x->db, x->dest_id, x->dedupe ? NULL : m->folder, sha,
	    &id) != MS_OK)
		return -1;
	if (id == 0)
		return 0;
	if (db_begin(x->db) != MS_OK ||
	    db_record_dup(x->db, x->src_id, x->dest_id, x->run_id, m, m->stamp,
	    sha, id) != MS_OK)
		return -1;
	return 1;
}

static int
on_recorded(void *arg, const struct msg *m, const unsigned char sha[32],
    const struct sink_ref *ref)
{
	struct export_ctx *x = arg;

	if (db_begin(x->db) != MS_OK ||
	    db_record(x->db, x->src_id, x->dest_id, x->run_id, m, m->stamp,
	    sha, ref, 0) != MS_OK) {
		complain("export", "%s", x->dberr.msg);
		return -1;
	}
	return 0;
}

/* Deferred digests (pipeline.h): may the message be in DEST already? */
static int
on_maybe_duplicate(void *arg, const struct msg *m)
{
	struct export_ctx *x = arg;
	int maybe = 1;

	if (db_maybe_saved(x->db, x->dest_id, m->size,
	    m->head != NULL ? m->head->message_id : NULL, &maybe) != MS_OK) {
		complain("export", "%s", x->dberr.msg);
		return -1;
	}
	return maybe;
}

static int
on_recorded_row(void *arg, const struct msg *m, const struct sink_ref *ref,
    int64_t *row)
{
	static const unsigned char later[32];	/* filled by on_digested() */
	struct export_ctx *x = arg;

	if (on_recorded(arg, m, later, ref) != 0)
		return -1;
	*row = db_last_row(x->db);
	return 0;
}

static int
on_digested(void *arg, int64_t row, const unsigned char sha[32],
    const unsigned char *stored)
{
	struct export_ctx *x = arg;

	if (db_set_digests(x->db, x->dest_id, row, sha, stored) != MS_OK) {
		complain("export", "%s", x->dberr.msg);
		return -1;
	}
	return 0;
}

/* The sink made everything durable: record its state, then commit. */
static int
on_committed(void *arg)
{
	struct export_ctx *x = arg;

	if (sink_state(x->snk, &x->state) != MS_OK)
		return -1;
	if (x->state.len && (db_begin(x->db) != MS_OK ||
	    db_set_state(x->db, x->dest_id, x->state.s) != MS_OK))
		goto fail;
	if (db_commit(x->db) != MS_OK)
		goto fail;
	return 0;
fail:
	complain("export", "%s", x->dberr.msg);
	return -1;
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
check_dest(const char *dest, int archive, int has_index)
{
	struct stat st;

	if (has_index)
		return 0;	/* ours: resume or add what is new */

	if (stat(dest, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		complain("export", "%s: %s", dest, strerror(errno));
		return -2;	/* cannot reach DEST at all: fatal */
	}
	if (archive) {
		complain("export", "%s already exists and has no index "
		    "beside it; mailsave never overwrites an archive (choose "
		    "a new name)", dest);
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
		complain("export", "%s is not empty and holds no mailsave "
		    "index; export into a new or empty directory", dest);
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
	    "\"failed_folders\":%llu,\"warnings\":%llu,\"unchanged\":%llu,"
	    "\"duplicates\":%llu,\"excluded\":%llu,\"checkpoints\":%llu,"
	    "\"checkpoint_seconds\":%.3f,\"seconds\":%.3f,\"outcome\":\"%s\"",
	    (unsigned long long)st->messages, (unsigned long long)st->bytes,
	    (unsigned long long)st->skipped,
	    (unsigned long long)st->failed_folders,
	    (unsigned long long)st->warnings,
	    (unsigned long long)st->unchanged,
	    (unsigned long long)st->duplicates,
	    (unsigned long long)st->excluded,
	    (unsigned long long)st->checkpoints, st->checkpoint_secs, secs,
	    outcome);
	if (error != NULL) {
		printf(",\"error\":");
		json_string(error);
	}
	printf("}\n");
}

/* Remove everything below DEST (used by --restart). */
static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	if (ftw->level == 0)
		return 0;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/*
 * --restart: start over.  Only a DEST that mailsave made is emptied: a
 * directory with a .mailsave/ index folder, or an archive with its index
 * beside it.  Returns 0, or -1 after complaining.
 */
static int
restart_dest(const char *dest, int archive, const char *index)
{
	struct buf p = BUF_INIT;
	struct stat sb;
	int r = 0;

	if (archive) {
		if (stat(dest, &sb) == 0 && stat(index, &sb) != 0) {
			complain("export", "--restart: %s has no mailsave index "
			    "beside it; not removing it", dest);
			return -1;
		}
		for (int v = 1; v < 10000; v++) {
			buf_reset(&p);
			store_volume_path(&p, dest, v);
			buf_adds(&p, ".partial");
			(void)unlink(p.s);
			buf_setlen(&p, p.len - 8);
			if (unlink(p.s) != 0 && errno == ENOENT && v > 1)
				break;
		}
		static const char *const ext[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < 3; i++) {
			buf_reset(&p);
			buf_addf(&p, "%s%s", index, ext[i]);
			(void)unlink(p.s);
		}
		buf_release(&p);
		return 0;
	}
	if (stat(dest, &sb) != 0)
		return 0;
	store_index_dir(&p, dest, NULL);
	if (stat(p.s, &sb) != 0) {
		DIR *d = opendir(dest);
		struct dirent *de;
		int empty = 1;

		while (d != NULL && (de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
		if (d != NULL)
			closedir(d);
		if (!empty) {
			complain("export", "--restart: %s was not made by "
			    "mailsave (no index inside); not emptying it",
			    dest);
			r = -1;
		}
		buf_release(&p);
		return r;
	}
	if (nftw(dest, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		complain("export", "--restart: could not empty %s: %s", dest,
		    strerror(errno));
		r = -1;
	}
	buf_release(&p);
	return r;
}

/*
 * A URL in canonical form: scheme and host in lower case, the scheme's
 * default port dropped, so imaps://u@Mail.Example:993 and imaps://u@mail.example
 * are the same source.  The user name and the path keep their case.
 */
static char *
canonical_url(const char *url)
{
	static const struct {
		const char *scheme;
		const char *port;
	} defaults[] = {
		{ "imaps", "993" }, { "imap", "143" },
		{ "pop3s", "995" }, { "pop3", "110" },
	};
	const char *sep = strstr(url, "://");
	const char *auth = sep + 3, *end = auth + strcspn(auth, "/");
	const char *at = NULL, *host, *port = NULL;
	struct buf b = BUF_INIT;

	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	host = at ? at + 1 : auth;
	for (const char *p = end; p > host; p--)
		if (p[-1] == ':' && host[0] != '[') {
			port = p;
			break;
		}
	for (const char *p = url; p < sep; p++)
		buf_addc(&b, (char)tolower((unsigned char)*p));
	buf_adds(&b, "://");
	buf_add(&b, auth, (size_t)(host - auth));
	for (const char *p = host; p < (port ? port - 1 : end); p++)
		buf_addc(&b, (char)tolower((unsigned char)*p));
	if (port != NULL) {
		int dflt = 0;

		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			if (strncasecmp(url, defaults[i].scheme, (size_t)(sep - url))
			    == 0 && strlen(defaults[i].scheme) ==
			    (size_t)(sep - url) &&
			    strlen(defaults[i].port) == (size_t)(end - port) &&
			    strncmp(port, defaults[i].port, (size_t)(end - port))
			    == 0)
				dflt = 1;
		if (!dflt)
			buf_add(&b, port - 1, (size_t)(end - port + 1));
	}
	buf_adds(&b, end);
	return buf_detach(&b);
}

/* The canonical spec of the source, so a changed --from is noticed. */
static char *
source_spec(const struct source *src)
{
	char real[PATH_MAX];

	if (strstr(src->path, "://") != NULL) {
		char *url = canonical_url(src->path);
		char *spec = xasprintf("%s:%s", src->ops->name, url);

		free(url);
		return spec;
	}
	if (realpath(src->path, real) == NULL)
		return xasprintf("%s:%s", src->ops->name, src->path);
	return xasprintf("%s:%s", src->ops->name, real);
}

/* Write manifest.jsonl into a directory DEST: temp, fsync, rename. */
static int
write_manifest_dir(struct export_ctx *x, const char *dest)
{
	char *tmp = xasprintf("%s/.manifest.jsonl.tmp", dest);
	char *final = xasprintf("%s/manifest.jsonl", dest);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int r = -1;

	if (f == NULL) {
		complain("export", "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (manifest_write(x->db, x->dest_id, f, &x->dberr) != MS_OK) {
		complain("export", "%s", x->dberr.msg);
		fclose(f);
		goto out;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		complain("export", "%s: %s", tmp, strerror(errno));
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, final) != 0 ||
	    path_fsync_dir(final, 0) != 0) {
		complain("export", "%s: %s", final, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		(void)unlink(tmp);
	free(tmp);
	free(final);
	return r;
}

/* Put the manifest into an archive DEST (before it is closed). */
static int
write_manifest_archive(struct export_ctx *x, struct sink *snk,
    const char *vol_path)
{
	char *tmp = xasprintf("%s.manifest.tmp", vol_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int r = -1;

	if (f == NULL) {
		complain("export", "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	if (manifest_write(x->db, x->dest_id, f, &x->dberr) != MS_OK) {
		complain("export", "%s", x->dberr.msg);
		fclose(f);
	} else if (fclose(f) != 0) {
		complain("export", "%s: %s", tmp, strerror(errno));
	} else if (sink_add_file(snk, "manifest.jsonl", tmp) != MS_OK) {
		complain("export", "%s", snk->err.msg);
	} else {
		r = 0;
	}
	(void)unlink(tmp);
	free(tmp);
	return r;
}

/* After a failure: reopen the sink and resume it to the committed state. */
static int
restore_dest(struct export_ctx *x, const char *to, const char *dest,
    const struct opts *o)
{
	struct sink again;
	const char *state;
	int r;

	if (db_get_state(x->db, x->dest_id, &state) != MS_OK)
		return MS_FATAL;
	if (sink_open(&again, to, dest, o) != MS_OK) {
		sink_close(&again);
		return MS_FATAL;
	}
	r = sink_resume(&again, state != NULL ? state : "");
	if (sink_close(&again) != MS_OK)
		r = MS_FATAL;
	return r;
}

int
cmd_export(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "checkpoint-mb", required_argument, NULL, 'M' },
		{ "checkpoint-secs", required_argument, NULL, 'S' },
		{ "dedupe", no_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "mbox-flavour", required_argument, NULL, 'F' },
		{ "mbox-flavor", required_argument, NULL, 'F' },
		{ "mbox-lenient", no_argument, NULL, 'L' },
		{ "no-index", no_argument, NULL, 'N' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "restart", no_argument, NULL, 'R' },
		{ "to", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		OPTS_NET_LONGOPTS,
		OPTS_SELECT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *from = NULL, *to = NULL, *dest = NULL, *index = NULL;
	struct export_ctx x;
	struct source src;
	struct sink snk;
	struct pipeline p;
	struct buf ipath = BUF_INIT, vol_path = BUF_INIT;
	struct stat sb;
	char *end, *spec = NULL;
	int ch, st, cst, archive, restart = 0, no_index = 0, dedupe = 0;
	int has_index, volume = 1, rc;
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
		case 'M':
		case 'S': {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || *optarg < '0' || *optarg > '9') {
				complain("export", "--checkpoint-%s needs a number",
				    ch == 'M' ? "mb" : "secs");
				return EXIT_USAGE;
			}
			if (ch == 'M')
				o->checkpoint_bytes = (uint64_t)v << 20;
			else
				o->checkpoint_secs = (unsigned)v;
			break;
		}
		case 'D':
			dedupe = 1;
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
			fputs(opts_select_usage, stdout);
			fputs(opts_net_usage, stdout);
			return EXIT_DONE;
		case 'i':
			index = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'L':
			o->mbox_lenient = 1;
			break;
		case 'N':
			no_index = 1;
			o->no_index = 1;
			break;
		case 'o':
			dest = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'R':
			restart = 1;
			break;
		case 't':
			to = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		default: {
			const char *why = NULL;
			int r = opts_net_option(o, ch, optarg, &why);

			if (r == 0)
				r = opts_select_option(o, ch, optarg, &why);

			if (r > 0)
				break;
			if (r < 0)
				complain("export", "%s", why);
			fputs("Try 'mailsave export --help'.\n", stderr);
			return EXIT_USAGE;
		}
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
	if (no_index && (restart || index != NULL || dedupe)) {
		complain("export", "--no-index cannot be combined with "
		    "--restart, --index or --dedupe");
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
	spec = source_spec(&src);

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.dedupe = dedupe;
	x.snk = &snk;
	buf_init(&x.state);
	buf_init(&x.files);
	err_clear(&x.dberr);
	rc = EXIT_FATAL;
	if (index == NULL) {
		store_index_path(&ipath, dest, to);
		index = ipath.s;
	}
	if (restart && restart_dest(dest, archive, index) != 0) {
		rc = EXIT_USAGE;
		goto out_src;
	}
	has_index = !no_index && stat(index, &sb) == 0;
	if ((st = check_dest(dest, archive, has_index)) != 0) {
		rc = st == -2 ? EXIT_FATAL : EXIT_USAGE;
		goto out_src;
	}
	if (!no_index) {
		const char *first, *layout;

		if (!archive) {
			struct buf dir = BUF_INIT;

			store_index_dir(&dir, dest, to);
			if (path_mkdirs(dir.s) != 0) {
				complain("export", "%s: %s", dir.s,
				    strerror(errno));
				buf_release(&dir);
				goto out_src;
			}
			buf_release(&dir);
		}
		if (db_open(&x.db, index, 1, &x.dberr) != MS_OK) {
			complain("export", "%s", x.dberr.msg);
			goto out_src;
		}
		first = db_first_source(x.db);
		if (first != NULL && strcmp(first, spec) != 0) {
			complain("export", "%s already holds a backup of %s, "
			    "not of %s; use another DEST, or --restart to "
			    "replace it", dest, first, spec);
			rc = EXIT_USAGE;
			goto out_db;
		}
		if (db_source(x.db, spec, &x.src_id) != MS_OK ||
		    db_dest(x.db, ".", to, &x.dest_id) != MS_OK) {
			complain("export", "%s", x.dberr.msg);
			goto out_db;
		}
		layout = db_dest_layout(x.db, x.dest_id);
		if (strcmp(layout, to) != 0) {
			complain("export", "%s holds a %s export; this one is "
			    "--to %s: use another DEST, or --restart", dest,
			    layout, to);
			rc = EXIT_USAGE;
			goto out_db;
		}
		if (archive && db_get_volume(x.db, x.dest_id, &volume) !=
		    MS_OK) {
			complain("export", "%s", x.dberr.msg);
			goto out_db;
		}
	}
	if (archive && has_index && volume > 1) {
		/*
		 * The volume before this one is recorded: a run killed after
		 * its index commit left it complete in DEST.partial.
		 */
		struct err perr;

		store_volume_path(&vol_path, dest, volume - 1);
		if (sink_archive_publish(vol_path.s, &perr) != MS_OK) {
			complain("export", "%s", perr.msg);
			goto out_db;
		}
		buf_reset(&vol_path);
	}
	store_volume_path(&vol_path, dest, volume);
	if (archive && has_index) {
		/* A volume a killed run left unfinished is not kept. */
		struct buf partial = BUF_INIT;

		buf_addf(&partial, "%s.partial", vol_path.s);
		(void)unlink(partial.s);
		buf_release(&partial);
	}
	o->archive_volume = volume;
	o->archive_publish_later = archive && x.db != NULL;
	if (sink_open(&snk, to, vol_path.s, o) != MS_OK) {
		complain("export", "%s", snk.err.msg);
		sink_close(&snk);
		goto out_db;
	}
	if (x.db != NULL) {
		const char *state;

		if (db_get_state(x.db, x.dest_id, &state) != MS_OK ||
		    db_run_begin(x.db, x.src_id, x.dest_id, &x.run_id) != MS_OK) {
			complain("export", "%s", x.dberr.msg);
			sink_close(&snk);
			goto out_db;
		}
		/*
		 * No state yet means nothing was committed: whatever a killed
		 * run left in DEST is dropped ("" empties the mbox files).
		 */
		if (sink_resume(&snk, state != NULL ? state : "") != MS_OK) {
			complain("export", "%s", snk.err.msg);
			sink_close(&snk);
			goto out_db;
		}
	}

	progress_init(&x.prog, o->progress, -1);
	memset(&p, 0, sizeof(p));
	p.src = &src;
	p.snk = &snk;
	p.opts = o;
	p.hooks.arg = &x;
	p.hooks.problem = on_problem;
	p.hooks.progress = on_progress;
	if (x.db != NULL) {
		int has = 1;

		/*
		 * A first run has nothing to look up: keys are unique within
		 * a source, so no message can be "already saved".
		 */
		(void)db_has_messages(x.db, x.src_id, x.dest_id, &has);
		src.saved_arg = &x;
		src.file_done = on_file_done;
		src.saved_as = on_saved_as;
		p.hooks.seen = on_seen_matched;
		if (has) {
			src.saved = on_saved;
			src.file_saved = on_file_saved;
			src.renumbered = on_renumbered;
			p.hooks.seen = on_seen;
		}
		p.hooks.duplicate = on_duplicate;
		p.hooks.recorded = on_recorded;
		p.hooks.committed = on_committed;
		/*
		 * Digests on threads pay off when the copy loop is the
		 * bottleneck (files on disk): reading from a server, the
		 * network sets the pace and the threads only add work (15 %
		 * more time against a Dovecot on the same two cores).
		 */
		if (!src.ops->network) {
			p.hooks.maybe_duplicate = on_maybe_duplicate;
			p.hooks.recorded_row = on_recorded_row;
			p.hooks.digested = on_digested;
		}
	}
	t0 = progress_now();
	x.pipe = &p;
	st = pipeline_run(&p);
	x.pipe = NULL;
	progress_done(&x.prog);

	int wrote = p.stats.messages + p.stats.duplicates > 0;
	/*
	 * An archive still alive gets its manifest, even when the source
	 * failed: what it holds is kept and recorded.
	 */
	if (archive && x.db != NULL && snk.state == SINK_OPEN &&
	    (wrote || volume == 1) &&
	    write_manifest_archive(&x, &snk, vol_path.s) != 0 &&
	    st != MS_FATAL) {
		err_copy(&p.err, &snk.err);
		st = MS_FATAL;
	}
	cst = sink_close(&snk);
	if (x.db != NULL) {
		if (cst != MS_OK) {
			/*
			 * Whatever is not durable is not recorded, and DEST is
			 * brought back to what the index records (mbox files
			 * cut to their committed lengths), so that verify finds
			 * it whole and the rerun finishes the job.
			 */
			db_rollback(x.db);
			if (!archive)
				(void)restore_dest(&x, to, dest, o);
		} else {
			/* Everything ended is durable: record it, even if the
			   run stopped on an error. */
			int whole = st == MS_OK && !p.stats.skipped &&
			    !p.stats.failed_folders && !x.changed &&
			    !p.stats.interrupted && !p.stats.excluded;

			if (archive && wrote)
				(void)db_set_volume(x.db, x.dest_id, volume + 1);
			if (db_begin(x.db) != MS_OK ||
			    (whole && record_files(&x) != 0) ||
			    db_commit(x.db) != MS_OK) {
				complain("export", "%s", x.dberr.msg);
				st = MS_FATAL;
			} else if (archive) {
				/* Recorded: now the archive may appear. */
				struct err perr;

				if (sink_archive_publish(vol_path.s, &perr) !=
				    MS_OK) {
					complain("export", "%s", perr.msg);
					st = MS_FATAL;
				}
			}
		}
		if (!archive && cst == MS_OK) {
			struct buf mf = BUF_INIT;

			buf_addf(&mf, "%s/manifest.jsonl", dest);
			if ((wrote || stat(mf.s, &sb) != 0) &&
			    write_manifest_dir(&x, dest) != 0)
				st = MS_FATAL;
			buf_release(&mf);
		}
	}
	source_close(&src);
	double secs = progress_now() - t0;

	const char *outcome;
	const char *error = NULL;

	if (st == MS_FATAL || cst != MS_OK) {
		error = st == MS_FATAL ? p.err.msg : snk.err.msg;
		if (*error)
			complain("export", "%s", error);
		if (archive)
			complain("export", "stopped: no archive was written "
			    "(%s was not created); the volumes finished before "
			    "are intact", vol_path.s);
		else
			complain("export", "stopped: the messages saved "
			    "before the error are kept in %s; run the same "
			    "command again to finish", dest);
		outcome = "fatal";
		rc = EXIT_FATAL;
	} else if (p.stats.interrupted) {
		outcome = "interrupted";
		rc = EXIT_INTERRUPTED;
	} else if (p.stats.skipped || p.stats.failed_folders || x.changed ||
	    p.stats.warnings) {
		outcome = "partial";
		rc = EXIT_PARTIAL;
	} else {
		outcome = "done";
		rc = EXIT_DONE;
	}
	if (x.db != NULL) {
		(void)db_run_end(x.db, x.run_id, p.stats.messages,
		    p.stats.bytes, p.stats.skipped, p.stats.duplicates,
		    outcome);
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
		if (p.stats.unchanged)
			fprintf(stderr, "; %llu already saved",
			    (unsigned long long)p.stats.unchanged);
		if (p.stats.excluded)
			fprintf(stderr, "; %llu in folders left out",
			    (unsigned long long)p.stats.excluded);
		if (p.stats.duplicates)
			fprintf(stderr, "; %llu duplicates written once",
			    (unsigned long long)p.stats.duplicates);
		if (p.stats.warnings)
			fprintf(stderr, "; %llu exported with a warning",
			    (unsigned long long)p.stats.warnings);
		if (p.stats.skipped)
			fprintf(stderr, "; %llu could not be read",
			    (unsigned long long)p.stats.skipped);
		if (p.stats.failed_folders)
			fprintf(stderr, "; %llu folders could not be read",
			    (unsigned long long)p.stats.failed_folders);
		fputc('\n', stderr);
		if (rc == EXIT_INTERRUPTED)
			fprintf(stderr, "mailsave: run the same command again "
			    "to finish\n");
	}
	db_close(x.db);
	buf_release(&x.state);
	buf_release(&x.files);
	buf_release(&ipath);
	buf_release(&vol_path);
	free(spec);
	return rc;

out_db:
	db_close(x.db);
out_src:
	source_close(&src);
	buf_release(&x.state);
	buf_release(&x.files);
	buf_release(&ipath);
	buf_release(&vol_path);
	free(spec);
	return rc;
}
