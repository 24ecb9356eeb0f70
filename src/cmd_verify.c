/*
 * mailsave verify DEST: re-read DEST, recompute the SHA-256 of every
 * message, and report what is missing, altered, duplicated or unexpected,
 * against the index, or against manifest.jsonl when there is no index
 * (a backup copied to another machine).  Exit 0 only when DEST is whole.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "hash.h"
#include "manifest.h"
#include "progress.h"
#include "store.h"
#include "xalloc.h"

static const char verify_usage[] =
    "usage: mailsave verify [--index PATH] [--json] [-q] DEST\n"
    "\n"
    "Re-read every message in DEST and check it against the index (or the\n"
    "manifest.jsonl inside DEST when there is no index).  Prints one line per\n"
    "problem: missing, altered, duplicated or unexpected.  Exit 0 only when\n"
    "DEST is whole, 1 when something is wrong, 3 when DEST cannot be read.\n"
    "\n"
    "      --index PATH  the index to check against (default: inside DEST,\n"
    "                    or DEST.mailsave.db beside an archive)\n"
    "      --json        print a JSON summary on stdout\n"
    "  -q, --quiet       no summary line\n"
    "  -h, --help        show this help\n";

struct vrow {
	char *folder, *key, *file;	/* owned */
	int64_t offset, length, dup_of, id;
	int volume;
	unsigned char sha[32], stored[32];
	int seen;		/* its bytes were found and hashed */
	int ok;			/* and matched */
};

struct verify {
	struct vrow *rows;	/* owned */
	size_t n, cap;
	const struct opts *o;
	uint64_t missing, altered, duplicated, unexpected, checked;
	struct hash h;
	/* Known stored hashes, sorted, to name duplicated extra bytes. */
	unsigned char (*known)[32];
};

static int
add_row(const struct db_row *r, void *arg)
{
	struct verify *v = arg;
	struct vrow *x;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 1024;
		v->rows = xrealloc(v->rows, v->cap * sizeof(*v->rows));
	}
	x = &v->rows[v->n++];
	memset(x, 0, sizeof(*x));
	x->folder = xstrdup(r->folder);
	x->key = xstrdup(r->key);
	x->file = xstrdup(r->file);
	x->offset = r->offset;
	x->length = r->length;
	x->dup_of = r->dup_of;
	x->id = r->id;
	x->volume = r->volume;
	memcpy(x->sha, r->sha256, 32);
	memcpy(x->stored, r->stored_sha256, 32);
	return 0;
}

static int
cmp_place(const void *a, const void *b)
{
	const struct vrow *x = a, *y = b;
	int c;

	if (x->volume != y->volume)
		return x->volume < y->volume ? -1 : 1;
	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_sha(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void
problem(struct verify *v, const char *kind, const struct vrow *r,
    const char *file, int64_t offset, int64_t length, const char *why)
{
	if (v->o->json)
		return;
	if (r != NULL)
		printf("%s\t%s\t%s\t%s\t%lld\t%s\n", kind, r->folder, r->key,
		    r->file, (long long)r->offset, why);
	else
		printf("%s\t-\t-\t%s\t%lld\t%s (%lld bytes)\n", kind, file,
		    (long long)offset, why, (long long)length);
}

/* Extra bytes in a file: a duplicate of a known message, or unexpected. */
static void
extra_piece(struct verify *v, const char *file, int64_t off, int64_t len,
    const unsigned char sha[32])
{
	if (len <= 0)
		return;
	if (v->n && bsearch(sha, v->known, v->n, 32, cmp_sha) != NULL) {
		v->duplicated++;
		problem(v, "duplicated", NULL, file, off, len,
		    "a second copy of a message");
	} else {
		v->unexpected++;
		problem(v, "unexpected", NULL, file, off, len,
		    "bytes no message accounts for");
	}
}

/*
 * Stream one stored file, hashing each recorded range and every gap.  In
 * mbox files a gap is cut into pieces at From_ lines that follow a blank
 * line, so an appended copy of a message is recognised.
 */
static int
check_file(struct verify *v, struct store *st, const char *name,
    struct vrow *rows, size_t nrows, char *chunk, size_t chunk_len)
{
	int64_t pos = 0, piece_start = 0;
	size_t i = 0;
	int in_row = 0, mbox = strlen(name) > 5 &&
	    strcmp(name + strlen(name) - 5, ".mbox") == 0;
	int line_start = 1, prev_blank = 1;
	unsigned char sha[32];

	hash_begin(&v->h);
	for (;;) {
		size_t got, k = 0;

		if (store_read(st, chunk, chunk_len, &got) != MS_OK)
			return MS_FATAL;
		if (got == 0)
			break;
		while (k < got) {
			/* Start of the next recorded range? */
			if (!in_row && i < nrows && pos == rows[i].offset) {
				hash_final(&v->h, sha);
				extra_piece(v, name, piece_start,
				    pos - piece_start, sha);
				hash_begin(&v->h);
				in_row = 1;
			}
			if (in_row) {
				int64_t left = rows[i].offset + rows[i].length - pos;
				size_t take = (size_t)(left < (int64_t)(got - k) ?
				    left : (int64_t)(got - k));

				hash_update(&v->h, chunk + k, take);
				k += take;
				pos += (int64_t)take;
				if (pos == rows[i].offset + rows[i].length) {
					hash_final(&v->h, sha);
					rows[i].seen = 1;
					rows[i].ok = memcmp(sha, rows[i].stored,
					    32) == 0;
					/* Rows sharing a range (--dedupe). */
					while (i + 1 < nrows &&
					    rows[i + 1].offset == rows[i].offset &&
					    rows[i + 1].length == rows[i].length) {
						rows[i + 1].seen = 1;
						rows[i + 1].ok = rows[i].ok;
						i++;
					}
					i++;
					in_row = 0;
					piece_start = pos;
					hash_begin(&v->h);
					line_start = prev_blank = 1;
				}
				continue;
			}
			/* A gap byte.  How far can we go before the next row? */
			size_t take = got - k;

			if (i < nrows && rows[i].offset > pos &&
			    (int64_t)take > rows[i].offset - pos)
				take = (size_t)(rows[i].offset - pos);
			if (i < nrows && rows[i].offset < pos) {
				/* Overlapping or out-of-order range: broken. */
				rows[i].seen = 1;
				rows[i].ok = 0;
				i++;
				continue;
			}
			size_t seg = 0;

			for (size_t j = 0; j < take; j++) {
				char c = chunk[k + j];
				size_t rest = got - k - j;

				if (mbox && line_start && prev_blank &&
				    c == 'F' && pos + (int64_t)j > piece_start &&
				    (rest < 5 ||
				    memcmp(chunk + k + j, "From ", 5) == 0)) {
					/* A separator: the next piece starts. */
					hash_update(&v->h, chunk + k + seg, j - seg);
					hash_final(&v->h, sha);
					extra_piece(v, name, piece_start,
					    pos + (int64_t)j - piece_start, sha);
					hash_begin(&v->h);
					piece_start = pos + (int64_t)j;
					seg = j;
				}
				if (c == '\n') {
					prev_blank = line_start;
					line_start = 1;
				} else {
					line_start = 0;
				}
			}
			hash_update(&v->h, chunk + k + seg, take - seg);
			k += take;
			pos += (int64_t)take;
		}
	}
	if (in_row) {
		/* The file ends inside a recorded message: truncated. */
		rows[i].seen = 1;
		rows[i].ok = 0;
		i++;
	} else {
		hash_final(&v->h, sha);
		extra_piece(v, name, piece_start, pos - piece_start, sha);
	}
	return MS_OK;
}

static int
load_manifest(struct verify *v, const char *dest, struct err *e)
{
	struct buf path = BUF_INIT, line = BUF_INIT;
	struct manifest_row mr;
	struct stat sb;
	FILE *f = NULL;
	int r = MS_OK;
	size_t lineno = 0;

	manifest_row_init(&mr);
	if (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		buf_addf(&path, "%s/manifest.jsonl", dest);
		f = fopen(path.s, "r");
		if (f == NULL) {
			r = err_set(e, MS_FATAL, errno, "no index and no "
			    "manifest: %s", path.s);
			goto out;
		}
	} else {
		/* The manifest of the last volume is the complete one. */
		struct store *st;
		const char *name;
		int64_t size;
		int vol, got_one = 0;
		char chunk[65536];

		if (store_open(&st, dest, 1, e) != MS_OK) {
			r = MS_FATAL;
			goto out;
		}
		f = tmpfile();
		while (f != NULL && (r = store_next(st, &name, &vol,
		    &size)) == MS_OK) {
			size_t got;

			rewind(f);
			if (ftruncate(fileno(f), 0) != 0)
				break;
			got_one = 1;
			while (store_read(st, chunk, sizeof(chunk), &got) ==
			    MS_OK && got > 0)
				fwrite(chunk, 1, got, f);
		}
		store_close(st);
		if (r == MS_FATAL)
			goto out;
		r = MS_OK;
		if (f == NULL || !got_one) {
			r = err_set(e, MS_FATAL, 0, "no index and no manifest "
			    "in %s", dest);
			goto out;
		}
		fflush(f);
		rewind(f);
	}
	{
		char *l = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&l, &cap, f)) > 0) {
			lineno++;
			if (manifest_parse(l, &mr) != 0) {
				r = err_set(e, MS_FATAL, 0, "manifest line %zu "
				    "is damaged", lineno);
				break;
			}
			add_row(&mr.row, v);
		}
		free(l);
	}
out:
	if (f != NULL)
		fclose(f);
	manifest_row_release(&mr);
	buf_release(&path);
	buf_release(&line);
	return r;
}

int
cmd_verify(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	const char *index = NULL, *dest;
	struct buf ipath = BUF_INIT;
	struct verify v;
	struct store *st = NULL;
	struct err e;
	struct db *db = NULL;
	struct stat sb;
	int ch, rc = EXIT_DONE, from_index = 0;
	char *chunk = NULL;

	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(verify_usage, stdout);
			return EXIT_DONE;
		case 'i':
			index = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		default:
			fputs("Try 'mailsave verify --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		complain("verify", "give exactly one DEST (try 'mailsave verify "
		    "--help')");
		return EXIT_USAGE;
	}
	dest = argv[optind];
	if (stat(dest, &sb) != 0) {
		int e0 = errno;
		struct buf partial = BUF_INIT;

		/* An export killed just before the archive appeared. */
		buf_addf(&partial, "%s.partial", dest);
		if (e0 == ENOENT && stat(partial.s, &sb) == 0)
			complain("verify", "%s is not there yet (an export was "
			    "stopped while writing %s): run the same export "
			    "command again to finish it", dest, partial.s);
		else
			complain("verify", "%s: %s", dest, strerror(e0));
		buf_release(&partial);
		return EXIT_USAGE;
	}
	memset(&v, 0, sizeof(v));
	v.o = o;
	err_clear(&e);
	if (index == NULL) {
		store_index_path(&ipath, dest, NULL);
		index = ipath.s;
	}
	if (stat(index, &sb) == 0) {
		int64_t dest_id;

		if (db_open(&db, index, 0, &e) != MS_OK ||
		    db_dest(db, ".", "", &dest_id) != MS_OK ||
		    db_each(db, dest_id, add_row, &v) != MS_OK) {
			complain("verify", "%s", e.msg);
			rc = EXIT_FATAL;
			goto out;
		}
		from_index = 1;
	} else if (load_manifest(&v, dest, &e) != MS_OK) {
		complain("verify", "%s", e.msg);
		rc = EXIT_FATAL;
		goto out;
	}

	/* Rows that claim the same bytes twice in one folder. */
	v.known = xmalloc((v.n ? v.n : 1) * 32);
	for (size_t i = 0; i < v.n; i++)
		memcpy(v.known[i], v.rows[i].stored, 32);
	qsort(v.known, v.n, 32, cmp_sha);

	qsort(v.rows, v.n, sizeof(*v.rows), cmp_place);
	hash_init(&v.h);
	chunk = xmalloc(256 * 1024);
	if (store_open(&st, dest, 0, &e) != MS_OK) {
		complain("verify", "%s", e.msg);
		rc = EXIT_FATAL;
		goto out_hash;
	}
	for (;;) {
		const char *name;
		int64_t size;
		int vol, r = store_next(st, &name, &vol, &size);
		size_t lo = 0, hi;

		if (r == MS_EOF)
			break;
		if (r != MS_OK) {
			complain("verify", "%s", e.msg);
			rc = EXIT_FATAL;
			goto out_store;
		}
		/* The rows stored in this file (a contiguous sorted run). */
		while (lo < v.n && (v.rows[lo].volume < vol ||
		    (v.rows[lo].volume == vol &&
		    strcmp(v.rows[lo].file, name) < 0)))
			lo++;
		hi = lo;
		while (hi < v.n && v.rows[hi].volume == vol &&
		    strcmp(v.rows[hi].file, name) == 0)
			hi++;
		if (check_file(&v, st, name, v.rows + lo, hi - lo, chunk,
		    256 * 1024) != MS_OK) {
			complain("verify", "%s", e.msg);
			rc = EXIT_FATAL;
			goto out_store;
		}
	}
	for (size_t i = 0; i < v.n; i++) {
		struct vrow *r = &v.rows[i];

		v.checked++;
		if (!r->seen) {
			v.missing++;
			problem(&v, "missing", r, NULL, 0, 0, "not in DEST");
		} else if (!r->ok) {
			v.altered++;
			problem(&v, "altered", r, NULL, 0, 0,
			    "its bytes changed");
		}
	}
	if (v.missing || v.altered || v.duplicated || v.unexpected)
		rc = EXIT_PARTIAL;
	if (o->json) {
		printf("{\"command\":\"verify\",\"dest\":");
		json_string(dest);
		printf(",\"against\":\"%s\",\"messages\":%llu,\"missing\":%llu,"
		    "\"altered\":%llu,\"duplicated\":%llu,\"unexpected\":%llu,"
		    "\"whole\":%s}\n", from_index ? "index" : "manifest",
		    (unsigned long long)v.checked,
		    (unsigned long long)v.missing,
		    (unsigned long long)v.altered,
		    (unsigned long long)v.duplicated,
		    (unsigned long long)v.unexpected,
		    rc == EXIT_DONE ? "true" : "false");
	} else if (!o->quiet) {
		fprintf(stderr, "mailsave: verify: %llu messages checked "
		    "against the %s: %s", (unsigned long long)v.checked,
		    from_index ? "index" : "manifest",
		    rc == EXIT_DONE ? "DEST is whole\n" : "");
		if (rc != EXIT_DONE)
			fprintf(stderr, "%llu missing, %llu altered, %llu "
			    "duplicated, %llu unexpected\n",
			    (unsigned long long)v.missing,
			    (unsigned long long)v.altered,
			    (unsigned long long)v.duplicated,
			    (unsigned long long)v.unexpected);
	}
out_store:
	store_close(st);
out_hash:
	hash_release(&v.h);
out:
	free(chunk);
	free(v.known);
	for (size_t i = 0; i < v.n; i++) {
		free(v.rows[i].folder);
		free(v.rows[i].key);
		free(v.rows[i].file);
	}
	free(v.rows);
	db_close(db);
	buf_release(&ipath);
	return rc;
}
