/*
 * zstdpipe: what goes in comes out of a valid zstd frame (with its content
 * checksum), whatever the write sizes and however often the ring wraps; a
 * failed write is reported by name; a pipe dropped before the end stops.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "test.h"
#include "zstdpipe.h"

#define DATA_LEN	(7u << 20)	/* more than three rings */

/* Half text, half noise: compressible and incompressible stretches. */
static unsigned char *
make_data(size_t len)
{
	unsigned char *d = malloc(len);
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < len; i++) {
		if ((i >> 16) & 1) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			d[i] = (unsigned char)x;
		} else {
			d[i] = "From the start of a line\n"[i % 25];
		}
	}
	return d;
}

static unsigned char *
slurp(int fd, size_t *len)
{
	struct stat sb;
	unsigned char *p;

	if (fstat(fd, &sb) != 0)
		return NULL;
	p = malloc((size_t)sb.st_size + 1);
	*len = (size_t)pread(fd, p, (size_t)sb.st_size, 0);
	return p;
}

static int
tmpfile_fd(char *path)
{
	int fd = mkstemp(path);

	if (fd >= 0)
		unlink(path);
	return fd;
}

static void
round_trip(void)
{
	char path[] = "/tmp/test_zstdpipe.XXXXXX";
	int fd = tmpfile_fd(path);
	unsigned char *data = make_data(DATA_LEN), *z, *out;
	const char *what = NULL;
	struct zpipe *zp;
	size_t off = 0, zlen = 0, step = 1;

	CHECK(fd >= 0);
	zp = zpipe_start(fd, 3);
	CHECK(zp != NULL);
	if (zp == NULL)
		return;
	/* Sizes from 1 byte to 3 MiB (larger than the ring). */
	while (off < DATA_LEN) {
		size_t n = step < DATA_LEN - off ? step : DATA_LEN - off;

		CHECK_INT(zpipe_write(zp, data + off, n, &what), 0);
		off += n;
		step = step < (3u << 20) ? step * 3 + 1 : 1;
	}
	CHECK_INT(zpipe_finish(zp, &what), 0);
	zpipe_free(zp);

	z = slurp(fd, &zlen);
	CHECK(z != NULL && zlen > 0 && zlen < DATA_LEN);
	/* RFC 8878: the magic number, then the frame header descriptor,
	   whose bit 2 is the content checksum flag. */
	CHECK(zlen > 5 && z[0] == 0x28 && z[1] == 0xb5 && z[2] == 0x2f &&
	    z[3] == 0xfd);
	CHECK(zlen > 5 && (z[4] & 0x04) != 0);
	out = malloc(DATA_LEN);
	{
		ZSTD_DCtx *d = ZSTD_createDCtx();
		ZSTD_inBuffer ib = { .src = z, .size = zlen, .pos = 0 };
		ZSTD_outBuffer ob = { .dst = out, .size = DATA_LEN, .pos = 0 };
		size_t left = ZSTD_decompressStream(d, &ob, &ib);

		CHECK(!ZSTD_isError(left));
		CHECK_INT(left, 0);	/* the frame is complete */
		CHECK_INT(ib.pos, zlen);
		CHECK_MEM(out, ob.pos, data, (size_t)DATA_LEN);
		ZSTD_freeDCtx(d);
	}
	free(out);
	free(z);
	free(data);
	close(fd);
}

static void
write_error(void)
{
	char path[] = "/tmp/test_zstdpipe.XXXXXX";
	int fd = tmpfile_fd(path), ro;
	unsigned char *data = make_data(DATA_LEN);
	const char *what = NULL;
	struct zpipe *zp;
	int e = 0;

	/* A descriptor open for reading only: every write fails. */
	CHECK(fd >= 0);
	ro = open("/dev/null", O_RDONLY);
	CHECK(ro >= 0);
	zp = zpipe_start(ro, 3);
	CHECK(zp != NULL);
	if (zp == NULL)
		return;
	for (size_t off = 0; off < DATA_LEN && e == 0; off += 65536)
		e = zpipe_write(zp, data + off, 65536, &what);
	if (e == 0)
		e = zpipe_finish(zp, &what);
	CHECK_INT(e, EBADF);
	CHECK_STR(what, "write");
	zpipe_free(zp);
	close(ro);
	close(fd);
	free(data);
}

static void
dropped(void)
{
	char path[] = "/tmp/test_zstdpipe.XXXXXX";
	int fd = tmpfile_fd(path);
	unsigned char *data = make_data(1u << 20);
	const char *what = NULL;
	struct zpipe *zp = zpipe_start(fd, 3);

	/* Freed without zpipe_finish(): the thread stops, nothing hangs. */
	CHECK(zp != NULL);
	if (zp != NULL) {
		CHECK_INT(zpipe_write(zp, data, 1u << 20, &what), 0);
		zpipe_free(zp);
	}
	free(data);
	close(fd);
}

int
main(void)
{
	round_trip();
	write_error();
	dropped();
	return test_done();
}
