/*
 * The manifest: writing it from the index and reading it back (a tiny
 * parser for exactly the flat objects we write).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "manifest.h"

static void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	fputc('"', f);
	for (; *p; p++) {
		if (*p != '"' && *p != '\\' && *p >= 0x20 && *p != 0x7f)
			continue;
		/* Write the plain run before it in one call. */
		fwrite(run, 1, (size_t)(p - run), f);
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else
			fprintf(f, "\\u%04x", *p);
		run = p + 1;
	}
	fwrite(run, 1, (size_t)(p - run), f);
	fputc('"', f);
}

static const char *const flag_names[] = {
	"seen", "answered", "flagged", "deleted", "draft", "forwarded",
	"junk", "notjunk",
};

struct wctx {
	FILE *f;
};

static int
write_row(const struct db_row *r, void *arg)
{
	FILE *f = ((struct wctx *)arg)->f;
	char sha[65], stored[65];
	int first = 1;

	hash_hex(r->sha256, 32, sha);
	hash_hex(r->stored_sha256, 32, stored);
	fputs("{\"folder\":", f);
	json_str(f, r->folder);
	fputs(",\"file\":", f);
	json_str(f, r->file);
	fprintf(f, ",\"volume\":%d,\"offset\":%lld,\"length\":%lld,"
	    "\"size\":%lld,\"sha256\":\"%s\",\"stored_sha256\":\"%s\"",
	    r->volume, (long long)r->offset, (long long)r->length,
	    (long long)r->size, sha, stored);
	fputs(",\"message_id\":", f);
	if (r->message_id != NULL)
		json_str(f, r->message_id);
	else
		fputs("null", f);
	fputs(",\"flags\":[", f);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (r->flags & (1u << i)) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", flag_names[i]);
			first = 0;
		}
	fputs("],\"keywords\":", f);
	if (r->keywords != NULL)
		json_str(f, r->keywords);
	else
		fputs("null", f);
	fprintf(f, ",\"date\":%lld,\"key\":", (long long)r->date);
	json_str(f, r->key);
	fprintf(f, ",\"dup_of\":%lld,\"id\":%lld}\n", (long long)r->dup_of,
	    (long long)r->id);
	return ferror(f) ? -1 : 0;
}

int
manifest_write(struct db *db, int64_t dest_id, FILE *f, struct err *e)
{
	struct wctx w = { f };
	int r = db_each(db, dest_id, write_row, &w);

	if (r == -1)
		return err_set(e, MS_FATAL, 0, "could not write the manifest");
	return r == MS_OK ? MS_OK : MS_FATAL;
}

void
manifest_row_init(struct manifest_row *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->folder);
	buf_init(&r->key);
	buf_init(&r->file);
	buf_init(&r->message_id);
	buf_init(&r->keywords);
}

void
manifest_row_release(struct manifest_row *r)
{
	buf_release(&r->folder);
	buf_release(&r->key);
	buf_release(&r->file);
	buf_release(&r->message_id);
	buf_release(&r->keywords);
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Parse a JSON string at p (at the quote) into out; NULL on error. */
static const char *
parse_str(const char *p, struct buf *out)
{
	buf_reset(out);
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if (*p != '\\') {
			buf_addc(out, *p++);
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			buf_addc(out, *p);
			break;
		case 'n':
			buf_addc(out, '\n');
			break;
		case 't':
			buf_addc(out, '\t');
			break;
		case 'r':
			buf_addc(out, '\r');
			break;
		case 'u': {
			char hex[5];
			unsigned long v;

			if (strlen(p) < 5)
				return NULL;
			memcpy(hex, p + 1, 4);
			hex[4] = '\0';
			v = strtoul(hex, NULL, 16);
			if (v >= 0x80)	/* we only escape control bytes */
				return NULL;
			buf_addc(out, (char)v);
			p += 4;
			break;
		}
		default:
			return NULL;
		}
		p++;
	}
	if (*p != '"')
		return NULL;
	return p + 1;
}

static int
hex_decode(const char *s, unsigned char out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = isdigit((unsigned char)s[2 * i]) ? s[2 * i] - '0' :
		    tolower((unsigned char)s[2 * i]) - 'a' + 10;
		int lo = isdigit((unsigned char)s[2 * i + 1]) ?
		    s[2 * i + 1] - '0' :
		    tolower((unsigned char)s[2 * i + 1]) - 'a' + 10;

		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
manifest_parse(const char *line, struct manifest_row *r)
{
	struct buf name = BUF_INIT, val = BUF_INIT;
	const char *p = skip_ws(line);
	int have = 0, ok = -1;

	memset(&r->row, 0, sizeof(r->row));
	r->row.volume = 1;
	if (*p++ != '{')
		goto out;
	for (;;) {
		p = skip_ws(p);
		if (*p == '}')
			break;
		if ((p = parse_str(p, &name)) == NULL)
			goto out;
		p = skip_ws(p);
		if (*p++ != ':')
			goto out;
		p = skip_ws(p);
		if (*p == '"') {
			if ((p = parse_str(p, &val)) == NULL)
				goto out;
			if (strcmp(name.s, "folder") == 0) {
				buf_reset(&r->folder);
				buf_add(&r->folder, val.s, val.len);
				have |= 1;
			} else if (strcmp(name.s, "file") == 0) {
				buf_reset(&r->file);
				buf_add(&r->file, val.s, val.len);
				have |= 2;
			} else if (strcmp(name.s, "key") == 0) {
				buf_reset(&r->key);
				buf_add(&r->key, val.s, val.len);
				have |= 4;
			} else if (strcmp(name.s, "message_id") == 0) {
				buf_reset(&r->message_id);
				buf_add(&r->message_id, val.s, val.len);
				r->row.message_id = r->message_id.s;
			} else if (strcmp(name.s, "keywords") == 0) {
				buf_reset(&r->keywords);
				buf_add(&r->keywords, val.s, val.len);
				r->row.keywords = r->keywords.s;
			} else if (strcmp(name.s, "sha256") == 0) {
				if (hex_decode(val.s, r->sha) != 0)
					goto out;
				have |= 8;
			} else if (strcmp(name.s, "stored_sha256") == 0) {
				if (hex_decode(val.s, r->stored) != 0)
					goto out;
				have |= 16;
			}
		} else if (*p == '[') {
			p++;
			for (;;) {
				p = skip_ws(p);
				if (*p == ']') {
					p++;
					break;
				}
				if ((p = parse_str(p, &val)) == NULL)
					goto out;
				for (size_t i = 0; i < sizeof(flag_names) /
				    sizeof(flag_names[0]); i++)
					if (strcmp(val.s, flag_names[i]) == 0)
						r->row.flags |= 1u << i;
				p = skip_ws(p);
				if (*p == ',')
					p++;
			}
		} else if (strncmp(p, "null", 4) == 0) {
			p += 4;
		} else {
			char *end;
			long long v = strtoll(p, &end, 10);

			if (end == p)
				goto out;
			p = end;
			if (strcmp(name.s, "volume") == 0)
				r->row.volume = (int)v;
			else if (strcmp(name.s, "offset") == 0)
				r->row.offset = v;
			else if (strcmp(name.s, "length") == 0) {
				r->row.length = v;
				have |= 32;
			} else if (strcmp(name.s, "size") == 0)
				r->row.size = v;
			else if (strcmp(name.s, "date") == 0)
				r->row.date = v;
			else if (strcmp(name.s, "dup_of") == 0)
				r->row.dup_of = v;
			else if (strcmp(name.s, "id") == 0)
				r->row.id = v;
		}
		p = skip_ws(p);
		if (*p == ',')
			p++;
		else if (*p != '}')
			goto out;
	}
	if (have != 63)
		goto out;
	r->row.folder = r->folder.s;
	r->row.file = r->file.s;
	r->row.key = r->key.s;
	r->row.sha256 = r->sha;
	r->row.stored_sha256 = r->stored;
	ok = 0;
out:
	buf_release(&name);
	buf_release(&val);
	return ok;
}
