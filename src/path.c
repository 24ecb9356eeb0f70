/*
 * Safe output paths: every folder or file name that comes from a mailbox is
 * hostile input, and this file turns it into a path component that stays
 * inside DEST, reads well and is NFC-normalised UTF-8 (libutf8proc).  Also
 * the directory helpers the writers share: mkdir -p with mode 0700 and
 * fsync of a directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <utf8proc.h>

#include "path.h"
#include "xalloc.h"

#define PATH_DEFAULT_MAX	200

/*
 * Length of the valid UTF-8 sequence at p[0..len), or 0 when the bytes
 * there do not start one (overlong forms, surrogates, code points above
 * U+10FFFF and truncated sequences are invalid).  NUL counts as invalid:
 * utf8proc refuses it and no name may hold it.
 */
static size_t
utf8_seq_len(const unsigned char *p, size_t len)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Append the NFC form of s[0..len), which must be valid UTF-8 without NUL. */
static void
nfc_valid(struct buf *out, const char *s, size_t len)
{
	utf8proc_uint8_t *d = NULL;
	utf8proc_ssize_t n;
	int ascii = 1;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80) {
			ascii = 0;
			break;
		}
	if (ascii || len == 0) {
		buf_add(out, s, len);
		return;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	    &d, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0) {
		/* Cannot happen for validated input; keep the bytes. */
		buf_add(out, s, len);
		return;
	}
	buf_add(out, d, (size_t)n);
	free(d);
}

void
path_nfc(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	/*
	 * Normalise each maximal run of valid UTF-8; an invalid byte ends a
	 * run and is copied as it is.
	 */
	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n == 0) {
			nfc_valid(out, s + run, i - run);
			buf_addc(out, s[i]);
			run = ++i;
			continue;
		}
		i += n;
	}
	nfc_valid(out, s + run, len - run);
}

/*
 * Whether code point cp must become '_' in a path component: separators,
 * controls (C0, DEL, C1) and the characters Windows forbids.
 */
static int
forbidden_cp(utf8proc_int32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return 1;
	/* Line separators and bidi overrides make names lie on screen. */
	if (cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 1;
	return cp == '/' || cp == '\\' || cp == ':' || cp == '*' ||
	    cp == '?' || cp == '"' || cp == '<' || cp == '>' || cp == '|';
}

/* Cut b back to at most max bytes, on a UTF-8 character boundary. */
static void
cut_utf8(struct buf *b, size_t start, size_t max)
{
	size_t end;

	if (b->len - start <= max)
		return;
	end = start + max;
	/* Step back over continuation bytes to the start of a character. */
	while (end > start && ((unsigned char)b->s[end] & 0xc0) == 0x80)
		end--;
	buf_setlen(b, end);
}

/* Replace trailing dots and spaces of b[start..] with '_'. */
static void
fix_trailing(struct buf *b, size_t start)
{
	for (size_t i = b->len; i > start; i--) {
		if (b->s[i - 1] != '.' && b->s[i - 1] != ' ')
			break;
		b->s[i - 1] = '_';
	}
}

/*
 * Whether s[0..len) is a Windows reserved device name: CON, PRN, AUX, NUL,
 * COM1-9 or LPT1-9 (also with the superscript digits Windows accepts), in
 * any case, alone or followed by an extension; spaces before the extension
 * do not help (Windows ignores them).
 */
static int
is_reserved(const char *s, size_t len)
{
	static const char *const three[] = { "con", "prn", "aux", "nul" };
	static const char *const sup[] = { "\xc2\xb9", "\xc2\xb2", "\xc2\xb3" };
	size_t base = 0;

	while (base < len && s[base] != '.')
		base++;
	while (base > 0 && s[base - 1] == ' ')
		base--;
	if (base == 3) {
		for (size_t i = 0; i < 4; i++)
			if (strncasecmp(s, three[i], 3) == 0)
				return 1;
		return 0;
	}
	if (base < 4 || (strncasecmp(s, "com", 3) != 0 &&
	    strncasecmp(s, "lpt", 3) != 0))
		return 0;
	if (base == 4)
		return s[3] >= '1' && s[3] <= '9';
	if (base == 5)
		for (size_t i = 0; i < 3; i++)
			if (memcmp(s + 3, sup[i], 2) == 0)
				return 1;
	return 0;
}

void
path_component(struct buf *out, const char *name, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)name;
	struct buf esc = BUF_INIT, nfc = BUF_INIT;
	size_t start = out->len;

	if (max == 0)
		max = PATH_DEFAULT_MAX;
	if (max < 4)
		max = 4;

	/* 1. Invalid UTF-8 (and NUL) becomes %XX: the rest is valid. */
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n == 0) {
			buf_addf(&esc, "%%%02X", p[i]);
			i++;
		} else {
			buf_add(&esc, p + i, n);
			i += n;
		}
	}

	/* 2. NFC. */
	nfc_valid(&nfc, esc.s, esc.len);

	/* 3. Separators, controls and Windows-forbidden characters. */
	for (size_t i = 0; i < nfc.len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(
		    (const utf8proc_uint8_t *)nfc.s + i,
		    (utf8proc_ssize_t)(nfc.len - i), &cp);

		if (n <= 0) {
			/* Not reached: the text is valid UTF-8. */
			buf_addc(out, '_');
			i++;
			continue;
		}
		if (forbidden_cp(cp))
			buf_addc(out, '_');
		else
			buf_add(out, nfc.s + i, (size_t)n);
		i += (size_t)n;
	}
	buf_release(&esc);
	buf_release(&nfc);

	/* 4. Length, then the names that mean something to a file system. */
	cut_utf8(out, start, max);
	if (out->len == start) {
		buf_addc(out, '_');
		return;
	}
	if (strcmp(out->s + start, ".") == 0) {
		buf_setlen(out, start);
		buf_adds(out, "_.");
		return;
	}
	if (strcmp(out->s + start, "..") == 0) {
		buf_setlen(out, start);
		buf_adds(out, "_..");
		return;
	}
	if (out->s[start] == '.')
		out->s[start] = '_';
	fix_trailing(out, start);
	if (is_reserved(out->s + start, out->len - start)) {
		/* Insert '_' in front, then respect max again. */
		buf_addc(out, '_');
		memmove(out->s + start + 1, out->s + start,
		    out->len - start - 1);
		out->s[start] = '_';
		cut_utf8(out, start, max);
		fix_trailing(out, start);
	}
}

void
path_folder(struct buf *out, const char *folder)
{
	size_t start = out->len;
	const char *p = folder;

	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n > 0) {
			if (out->len > start)
				buf_addc(out, '/');
			path_component(out, p, n, 0);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (out->len == start)
		buf_addc(out, '_');
}

/*
 * Make directory NAME below dirfd unless it is there.  An existing entry
 * must be a directory.
 */
static int
mkdir_one(int dirfd, const char *name)
{
	struct stat st;

	if (mkdirat(dirfd, name, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (fstatat(dirfd, name, &st, 0) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
path_mkdirs_at(int dirfd, const char *rel)
{
	char *copy;
	int ret = 0;

	if (rel[0] == '/') {
		errno = EINVAL;
		return -1;
	}
	copy = xstrdup(rel);
	for (char *p = copy;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;
		char *comp = p;

		/* Find where this component started, to refuse "..". */
		while (comp > copy && comp[-1] != '/')
			comp--;
		if (p - comp == 2 && comp[0] == '.' && comp[1] == '.') {
			errno = EINVAL;
			ret = -1;
			break;
		}
		if (p > copy && p[-1] != '/' &&
		    !(p - comp == 1 && comp[0] == '.')) {
			*p = '\0';
			if (mkdir_one(dirfd, copy) != 0) {
				ret = -1;
				break;
			}
			*p = save;
		}
		if (save == '\0')
			break;
	}
	free(copy);
	return ret;
}

int
path_mkdirs(const char *dir)
{
	char *copy;
	int ret = 0;

	if (dir[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	copy = xstrdup(dir);
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;

		if (p[-1] != '/') {
			*p = '\0';
			if (mkdir_one(AT_FDCWD, copy) != 0) {
				ret = -1;
				break;
			}
			*p = save;
		}
		if (save == '\0')
			break;
	}
	free(copy);
	return ret;
}

int
path_fsync_dir(const char *path, int is_dir)
{
	char *dir;
	int fd, ret = 0, saved;

	if (is_dir) {
		dir = xstrdup(path);
	} else {
		const char *slash = strrchr(path, '/');

		if (slash == NULL)
			dir = xstrdup(".");
		else if (slash == path)
			dir = xstrdup("/");
		else
			dir = xstrndup(path, (size_t)(slash - path));
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	free(dir);
	if (fd < 0) {
		errno = saved;
		return -1;
	}
	/* Some file systems cannot fsync a directory and say EINVAL. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP)
		ret = -1;
	saved = errno;
	if (close(fd) != 0 && ret == 0)
		return -1;
	errno = saved;
	return ret;
}
