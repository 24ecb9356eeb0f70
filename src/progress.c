/*
 * A one-line progress display on stderr.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "progress.h"

double
progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
progress_size(uint64_t bytes, char *out, unsigned long outlen)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, outlen, "%.1f %s", v, units[u]);
}

void
progress_init(struct progress *p, int enabled, int64_t total_bytes)
{
	p->enabled = enabled;
	p->start = p->last = progress_now();
	p->drawn = 0;
	p->total_bytes = total_bytes;
}

void
progress_update(struct progress *p, uint64_t messages, uint64_t bytes,
    int final)
{
	double now, secs, rate;
	char size[32], rs[32], eta[32] = "";

	if (!p->enabled)
		return;
	now = progress_now();
	if (!final && now - p->last < 0.5)
		return;
	p->last = now;
	secs = now - p->start;
	rate = secs > 0 ? (double)bytes / secs : 0;
	progress_size(bytes, size, sizeof(size));
	progress_size((uint64_t)rate, rs, sizeof(rs));
	if (p->total_bytes > 0 && rate > 0 && (int64_t)bytes < p->total_bytes) {
		long left = (long)((double)(p->total_bytes - (int64_t)bytes) / rate);

		snprintf(eta, sizeof(eta), ", ETA %ld:%02ld", left / 60,
		    left % 60);
	}
	fprintf(stderr, "\r%llu messages, %s, %s/s%s   ",
	    (unsigned long long)messages, size, rs, eta);
	fflush(stderr);
	p->drawn = 1;
}

void
progress_done(struct progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}
