/*
 * Unit tests for the .partial.emlx rebuilder (formats/partial.c): exact
 * output for base64, quoted-printable, 7bit, .emlxpart and message/rfc822
 * payloads with LF and CRLF messages, IMAP section numbering through
 * nested multiparts and encapsulated messages, a missing payload, a
 * bundle directory re-zipped, a payload bigger than every buffer read a
 * byte at a time, lines longer than the line buffer, and the real
 * partial files of ../shared/fixtures (skipped when absent).
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "buf.h"
#include "partial.h"
#include "path.h"
#include "test.h"

static char root[64];

static void
put(const char *rel, const void *data, size_t len)
{
	char *p = NULL, *slash;
	FILE *f;
	size_t n = strlen(root) + strlen(rel) + 2;

	p = malloc(n);
	snprintf(p, n, "%s/%s", root, rel);
	slash = strrchr(p, '/');
	*slash = '\0';
	path_mkdirs(p);
	*slash = '/';
	f = fopen(p, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		CHECK(!"write failed");
	free(p);
}

static void
puts_(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

/* Rebuild DIR/NAME (whole file is the message) reading CHUNK at a time. */
static int
rebuild(const char *dir, const char *name, size_t chunk, struct buf *out,
    struct partial *pr_out)
{
	char path[512], id[32], *b = malloc(chunk);
	struct partial pr;
	struct buf why = BUF_INIT;
	struct stat st;
	int fd, r = 0;
	size_t got;

	snprintf(path, sizeof(path), "%s/%s/%s", root, dir, name);
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(name, "."), name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		free(b);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", root, dir);
	if (partial_open(&pr, fd, 0, st.st_size, path, id, &why) != 0)
		r = -1;
	while (r == 0) {
		if (partial_read(&pr, b, chunk, &got, &why) != 0) {
			r = -1;
			break;
		}
		if (got == 0)
			break;
		buf_add(out, b, got);
	}
	if (r != 0)
		printf("# %s\n", why.s);
	if (pr_out != NULL) {
		pr_out->nstubs = pr.nstubs;
		pr_out->nmissing = pr.nmissing;
	}
	partial_close(&pr);
	buf_release(&why);
	close(fd);
	free(b);
	return r;
}

static const char skel_lf[] =
    "From: a@example.org\n"
    "Subject: parts\n"
    "Content-Type: multipart/mixed;\n boundary=\"BOUND\"\n"
    "\n"
    "preamble\n"
    "--BOUND\n"
    "Content-Type: text/plain\n"
    "\n"
    "Hello.\n"
    "\n"
    "--BOUND\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment;\n\tfilename=data.bin\n"
    "Content-Type: application/octet-stream;\n\tname=data.bin\n"
    "X-Apple-Content-Length: 180\n"
    "\n"
    "\n"
    "--BOUND\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "Content-Disposition: attachment; filename=\"t.txt\"\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "x-apple-content-length: 20\n"
    "\n"
    "\n"
    "--BOUND\n"
    "Content-Transfer-Encoding: 7bit\n"
    "Content-Type: text/plain; name=s.txt\n"
    "X-Apple-Content-Length: 6\n"
    "\n"
    "\n"
    "--BOUND\n"
    "Content-Type: application/pdf; name=gone.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "X-Apple-Content-Length: 999\n"
    "\n"
    "\n"
    "--BOUND--\n"
    "epilogue\n";

static const char want_lf[] =
    "X-Mailsave-Incomplete: 5\n"
    "From: a@example.org\n"
    "Subject: parts\n"
    "Content-Type: multipart/mixed;\n boundary=\"BOUND\"\n"
    "\n"
    "preamble\n"
    "--BOUND\n"
    "Content-Type: text/plain\n"
    "\n"
    "Hello.\n"
    "\n"
    "--BOUND\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment;\n\tfilename=data.bin\n"
    "Content-Type: application/octet-stream;\n\tname=data.bin\n"
    "\n"
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx"
    "wdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n"
    "OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVF"
    "VWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\n"
    "cnN0dXZ3eHl6e3x9fn+AgQ==\n"
    "--BOUND\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "Content-Disposition: attachment; filename=\"t.txt\"\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Gr=C3=BC=C3=9Fe =3D 1=20\n"
    "end\n"
    "\n"
    "--BOUND\n"
    "Content-Transfer-Encoding: 7bit\n"
    "Content-Type: text/plain; name=s.txt\n"
    "\n"
    "short\n"
    "\n"
    "--BOUND\n"
    "Content-Type: application/pdf; name=gone.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "X-Apple-Content-Length: 999\n"
    "\n"
    "\n"
    "--BOUND--\n"
    "epilogue\n";

/* Turn every LF into CRLF. */
static char *
crlf(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_addc(&b, '\r');
		buf_addc(&b, *s);
	}
	return buf_detach(&b);
}

static void
test_basic(void)
{
	unsigned char bin[130];
	struct buf out = BUF_INIT;
	struct partial pr;
	static const size_t chunks[] = { 1, 3, 64, 65536 };

	for (int i = 0; i < 130; i++)
		bin[i] = (unsigned char)i;
	put("b/Data/Attachments/7/2/data.bin", bin, sizeof(bin));
	puts_("b/Data/Attachments/7/3/t.txt", "Gr\xc3\xbc\xc3\x9f" "e = 1 \n"
	    "end\n");
	/* 4: the only file in the folder, whatever its name. */
	puts_("b/Data/Attachments/7/4/Mail-Anhang.txt", "short\n");
	puts_("b/Data/Attachments/7/4/.DS_Store", "junk");
	puts_("b/Data/Messages/7.partial.emlx", skel_lf);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		buf_reset(&out);
		CHECK_INT(rebuild("b/Data/Messages", "7.partial.emlx",
		    chunks[c], &out, &pr), 0);
		CHECK_STR(out.s, want_lf);
		CHECK_INT(pr.nstubs, 4);
		CHECK_INT(pr.nmissing, 1);
	}

	/* The same message with CRLF line ends: CRLF everywhere. */
	char *sk = crlf(skel_lf), *want = crlf(want_lf);

	puts_("c/Data/Messages/7.partial.emlx", sk);
	put("c/Data/Attachments/7/2/data.bin", bin, sizeof(bin));
	puts_("c/Data/Attachments/7/3/t.txt", "Gr\xc3\xbc\xc3\x9f" "e = 1 \n"
	    "end\n");
	puts_("c/Data/Attachments/7/4/s.txt", "short\r\n");
	buf_reset(&out);
	CHECK_INT(rebuild("c/Data/Messages", "7.partial.emlx", 100, &out,
	    &pr), 0);
	CHECK_STR(out.s, want);
	free(sk);
	free(want);
	buf_release(&out);
}

/* A .emlxpart sidecar wins over Attachments; it is already encoded. */
static void
test_sidecar(void)
{
	static const char sk[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nx\n\n"
	    "--b\nContent-Type: image/png; name=a.png\n"
	    "Content-Transfer-Encoding: base64\n"
	    "X-Apple-Content-Length: 8\n\n\n--b--\n";
	static const char want[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nx\n\n"
	    "--b\nContent-Type: image/png; name=a.png\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "iVBORw0K\nAAAA\n--b--\n";
	struct buf out = BUF_INIT;

	puts_("s/Messages/9.partial.emlx", sk);
	puts_("s/Messages/9.2.emlxpart", "iVBORw0K\r\nAAAA\r\n");
	puts_("s/Attachments/9/2/a.png", "not this one");
	CHECK_INT(rebuild("s/Messages", "9.partial.emlx", 5, &out, NULL), 0);
	CHECK_STR(out.s, want);
	buf_release(&out);
}

/*
 * Section numbers through an encapsulated message: part 2 is a
 * message/rfc822 whose body is multipart, so its parts are 2.1 and 2.2;
 * a top-level non-multipart stub is part 1; a stub whose body is not
 * empty is left alone.
 */
static void
test_sections(void)
{
	static const char sk[] =
	    "Content-Type: multipart/mixed; boundary=o\n\n"
	    "--o\nContent-Type: text/plain\n\nouter\n"
	    "--o\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nContent-Type: multipart/mixed; boundary=i\n\n"
	    "--i\nContent-Type: text/plain\n\ninner text\n"
	    "--i\nContent-Type: text/plain; name=in.txt\n"
	    "X-Apple-Content-Length: 3\n\n\n"
	    "--i--\n"
	    "--o\nContent-Type: text/plain; name=kept.txt\n"
	    "X-Apple-Content-Length: 4\n\nbody is here\n"
	    "--o\nContent-Type: message/rfc822; name=fwd.eml\n"
	    "X-Apple-Content-Length: 40\n\n\n"
	    "--o--\n";
	static const char want[] =
	    "Content-Type: multipart/mixed; boundary=o\n\n"
	    "--o\nContent-Type: text/plain\n\nouter\n"
	    "--o\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nContent-Type: multipart/mixed; boundary=i\n\n"
	    "--i\nContent-Type: text/plain\n\ninner text\n"
	    "--i\nContent-Type: text/plain; name=in.txt\n\n"
	    "abc\n\n"
	    "--i--\n"
	    "--o\nContent-Type: text/plain; name=kept.txt\n"
	    "X-Apple-Content-Length: 4\n\nbody is here\n"
	    "--o\nContent-Type: message/rfc822; name=fwd.eml\n\n"
	    "Subject: fwd\n\nforwarded\n\n"
	    "--o--\n";
	static const char top[] =
	    "Subject: top\nContent-Type: application/pdf; name=t.pdf\n"
	    "Content-Transfer-Encoding: base64\n"
	    "X-Apple-Content-Length: 4\n\n";
	static const char top_want[] =
	    "Subject: top\nContent-Type: application/pdf; name=t.pdf\n"
	    "Content-Transfer-Encoding: base64\n\nUERG";
	struct buf out = BUF_INIT;
	struct partial pr;

	puts_("n/Messages/3.partial.emlx", sk);
	puts_("n/Attachments/3/2.2/in.txt", "abc\n");
	puts_("n/Attachments/3/3/kept.txt", "WRONG");
	puts_("n/Attachments/3/4/fwd.eml", "Subject: fwd\r\n\r\nforwarded\r\n");
	CHECK_INT(rebuild("n/Messages", "3.partial.emlx", 7, &out, &pr), 0);
	CHECK_STR(out.s, want);
	CHECK_INT(pr.nstubs, 2);
	CHECK_INT(pr.nmissing, 0);

	puts_("n/Messages/4.partial.emlx", top);
	puts_("n/Attachments/4/1/t.pdf", "PDF");
	buf_reset(&out);
	CHECK_INT(rebuild("n/Messages", "4.partial.emlx", 7, &out, &pr), 0);
	CHECK_STR(out.s, top_want);
	CHECK_INT(pr.nstubs, 1);

	/* No stub at all: the output is the input. */
	puts_("n/Messages/5.partial.emlx", want);
	buf_reset(&out);
	CHECK_INT(rebuild("n/Messages", "5.partial.emlx", 4096, &out, &pr), 0);
	CHECK_STR(out.s, want);
	CHECK_INT(pr.nstubs, 0);
	buf_release(&out);
}

/* Payload under a related section ("2.2" for a stub at "2"). */
static void
test_related(void)
{
	static const char sk[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nx\n"
	    "--b\nContent-Type: text/plain; name=moved.txt\n"
	    "X-Apple-Content-Length: 6\n\n\n--b--\n";
	struct buf out = BUF_INIT;
	struct partial pr;

	puts_("r/Messages/11.partial.emlx", sk);
	puts_("r/Attachments/11/2.2/moved.txt", "moved\n");
	puts_("r/Attachments/11/2.3/other.txt", "other\n");
	CHECK_INT(rebuild("r/Messages", "11.partial.emlx", 64, &out, &pr), 0);
	CHECK(strstr(out.s, "\n\nmoved\n\n--b--") != NULL);
	CHECK_INT(pr.nmissing, 0);
	buf_release(&out);
}

/* Decode the base64 body of the part after `after` into out. */
static void
b64_body(const char *msg, const char *after, struct buf *out)
{
	const char *p = strstr(msg, after), *e;

	if (p == NULL)
		return;
	p = strstr(p, "\n\n") + 2;
	e = strstr(p, "\n--");
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
		unsigned char dec[128];
		int k = EVP_DecodeBlock(dec, (const unsigned char *)p, (int)n);

		if (n > 76 || k < 0) {
			CHECK(!"bad base64 line");
			return;
		}
		if (n >= 2 && p[n - 1] == '=')
			k -= p[n - 2] == '=' ? 2 : 1;
		buf_add(out, dec, (size_t)k);
		p += n + 1;
	}
}

/* A bundle directory comes back as a zip holding the same files. */
static void
test_directory(void)
{
	static const char sk[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: application/zip; name=N.rtfd.zip;\n"
	    "\tx-mac-auto-archive=yes\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename=N.rtfd.zip\n"
	    "X-Apple-Content-Length: 100\n\n\n--b--\n";
	struct buf out = BUF_INIT, zip = BUF_INIT;
	struct archive *a;
	struct archive_entry *e;
	int files = 0, ok = 0;

	puts_("d/Messages/12.partial.emlx", sk);
	puts_("d/Attachments/12/1/N.rtfd/TXT.rtf", "{\\rtf1 hello}\n");
	puts_("d/Attachments/12/1/N.rtfd/sub/pic.txt", "picture\n");
	CHECK_INT(rebuild("d/Messages", "12.partial.emlx", 1000, &out, NULL),
	    0);
	b64_body(out.s, "Content-Type: application/zip", &zip);
	CHECK(zip.len > 22);
	a = archive_read_new();
	archive_read_support_format_zip(a);
	CHECK_INT(archive_read_open_memory(a, zip.s, zip.len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char data[64];
		const char *name = archive_entry_pathname(e);

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		files++;
		ssize_t n = archive_read_data(a, data, sizeof(data) - 1);

		data[n > 0 ? n : 0] = '\0';
		if (strcmp(name, "N.rtfd/TXT.rtf") == 0 &&
		    strcmp(data, "{\\rtf1 hello}\n") == 0)
			ok++;
		if (strcmp(name, "N.rtfd/sub/pic.txt") == 0 &&
		    strcmp(data, "picture\n") == 0)
			ok++;
	}
	archive_read_free(a);
	CHECK_INT(files, 2);
	CHECK_INT(ok, 2);
	buf_release(&zip);
	buf_release(&out);
}

/*
 * A 3 MiB payload and a 100 KiB one-line HTML part: everything streams
 * and decodes back, whatever the read size.
 */
static void
test_large(void)
{
	size_t n = 3 * 1024 * 1024 + 5, hl = 100 * 1024;
	unsigned char *big = malloc(n);
	struct buf sk = BUF_INIT, out = BUF_INIT, dec = BUF_INIT;
	char *html = malloc(hl + 1);

	for (size_t i = 0; i < n; i++)
		big[i] = (unsigned char)((i * 2654435761u) >> 13);
	memset(html, 'h', hl);
	html[hl] = '\0';
	buf_adds(&sk, "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/html\n\n");
	buf_adds(&sk, html);
	buf_adds(&sk, "\n--b\nContent-Type: application/octet-stream; "
	    "name=big.bin\nContent-Transfer-Encoding: base64\n"
	    "X-Apple-Content-Length: 1\n\n\n--b--\n");
	put("l/Messages/13.partial.emlx", sk.s, sk.len);
	put("l/Attachments/13/2/big.bin", big, n);
	CHECK_INT(rebuild("l/Messages", "13.partial.emlx", 4093, &out, NULL),
	    0);
	CHECK(strstr(out.s, html) != NULL);
	b64_body(out.s, "name=big.bin", &dec);
	CHECK_MEM(dec.s, dec.len, big, n);
	buf_reset(&dec);
	buf_reset(&out);
	CHECK_INT(rebuild("l/Messages", "13.partial.emlx", 1, &out, NULL), 0);
	b64_body(out.s, "name=big.bin", &dec);
	CHECK_MEM(dec.s, dec.len, big, n);
	free(big);
	free(html);
	buf_release(&sk);
	buf_release(&out);
	buf_release(&dec);
}

/* Length of the body of the part whose header holds `marker`. */
static size_t
part_body_len(const char *msg, const char *marker)
{
	const char *p = strstr(msg, marker), *e;

	if (p == NULL)
		return 0;
	p = strstr(p, "\n\n") + 2;
	e = strstr(p, "\n--");
	return (size_t)(e - p);
}

static void
copy_fixture(const char *from, const char *to)
{
	char p[PATH_MAX];
	FILE *f;
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	snprintf(p, sizeof(p), "%s/qqilihq-partial-emlx-converter/input/%s",
	    FIXTURES_DIR, from);
	f = fopen(p, "rb");
	if (f == NULL)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	put(to, b.s, b.len);
	buf_release(&b);
}

/*
 * The real partial files.  The rebuilder is given the message bytes as
 * the framing found them; here the whole file minus count line and plist.
 */
static int
rebuild_fixture(const char *name, struct buf *out, struct partial *pr_out)
{
	char path[PATH_MAX], id[32];
	struct partial pr;
	struct buf why = BUF_INIT;
	char b[8192];
	size_t got;
	int fd, r = 0;
	long off, len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/qqilihq-partial-emlx-converter/"
	    "input/Messages/%s", FIXTURES_DIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &len) != 1)
		len = 0;
	fclose(f);
	off = 11;	/* every file here has a 10-character count */
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(name, "."), name);
	fd = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/qqilihq-partial-emlx-converter/"
	    "input/Messages", FIXTURES_DIR);
	if (partial_open(&pr, fd, off, len, path, id, &why) != 0)
		r = -1;
	while (r == 0 && partial_read(&pr, b, sizeof(b), &got, &why) == 0 &&
	    got > 0)
		buf_add(out, b, got);
	pr_out->nstubs = pr.nstubs;
	pr_out->nmissing = pr.nmissing;
	partial_close(&pr);
	buf_release(&why);
	close(fd);
	return r;
}

static void
test_fixtures(void)
{
	struct stat st;
	struct buf out = BUF_INIT;
	struct partial pr;

	if (stat(FIXTURES_DIR, &st) != 0) {
		printf("# fixtures absent, skipped\n");
		return;
	}
	/* 114892: every payload found; base64 sizes as Mail recorded. */
	CHECK_INT(rebuild_fixture("114892.partial.emlx", &out, &pr), 0);
	CHECK_INT(pr.nstubs, 4);
	CHECK_INT(pr.nmissing, 0);
	CHECK(strstr(out.s, "X-Apple-Content-Length") == NULL);
	CHECK(strstr(out.s, "X-Mailsave-Incomplete") == NULL);
	CHECK_INT(part_body_len(out.s, "filename=original.doc"), 35967);
	CHECK_INT(part_body_len(out.s, "filename=image001.png"), 101404);
	CHECK(strstr(out.s, "\n\nShort text.\n\n--Apple-Mail") != NULL);
	/* 114893: no Attachments/114893 at all. */
	buf_reset(&out);
	CHECK_INT(rebuild_fixture("114893.partial.emlx", &out, &pr), 0);
	CHECK_INT(pr.nmissing, 4);
	CHECK(strncmp(out.s, "X-Mailsave-Incomplete: 2.2 2.4 2.6 2.8\n"
	    "Return-Path:", 51) == 0);
	/* 114894: the unnamed image is Mail-Anhang.png on disk. */
	buf_reset(&out);
	CHECK_INT(rebuild_fixture("114894.partial.emlx", &out, &pr), 0);
	CHECK_INT(pr.nstubs, 4);
	CHECK_INT(pr.nmissing, 0);
	CHECK_INT(part_body_len(out.s, "Content-Type: image/png"), 101404);
	buf_release(&out);

	/*
	 * 207046 (NFD name in the header, NFC on disk) and 465622 (CJK) in
	 * a tree of our own, so the Attachments folder sits beside them.
	 */
	copy_fixture("Attachments/207046/2/T\xc3\xbc" "bingen.pdf",
	    "f/Attachments/207046/2/T\xc3\xbc" "bingen.pdf");
	copy_fixture("Messages/207046.partial.emlx",
	    "f/Messages/207046.partial.emlx");
	{
		struct buf o2 = BUF_INIT;
		char p[PATH_MAX];
		int fd;
		struct partial q;
		struct buf why = BUF_INIT;
		char b[4096];
		size_t got;

		snprintf(p, sizeof(p), "%s/f/Messages/207046.partial.emlx",
		    root);
		fd = open(p, O_RDONLY);
		snprintf(p, sizeof(p), "%s/f/Messages", root);
		/* The framing: 1151 message bytes after an 11-byte line. */
		CHECK_INT(partial_open(&q, fd, 11, 1151, p, "207046", &why), 0);
		CHECK_INT(q.nstubs, 1);
		CHECK_INT(q.nmissing, 0);
		while (partial_read(&q, b, sizeof(b), &got, &why) == 0 &&
		    got > 0)
			buf_add(&o2, b, got);
		CHECK(strstr(o2.s, "\n\nJVBERi0") != NULL);
		partial_close(&q);
		close(fd);
		buf_release(&o2);
		buf_release(&why);
	}
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test_partial.XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	test_basic();
	test_sidecar();
	test_sections();
	test_related();
	test_directory();
	test_large();
	test_fixtures();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", root);
	}
	return test_done();
}
