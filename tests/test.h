/*
 * A tiny TAP-style harness for the unit tests (one program per module).
 * CHECK* macros record a failure and go on; main returns test_done().
 */
#ifndef MAILSAVE_TEST_H
#define MAILSAVE_TEST_H

#include <stdio.h>
#include <string.h>

static int tap_failed_;
static int tap_count_;

#define CHECK(cond) do { \
	tap_count_++; \
	if (!(cond)) { \
		tap_failed_++; \
		printf("not ok %d - %s:%d: %s\n", tap_count_, __FILE__, \
		    __LINE__, #cond); \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	tap_count_++; \
	if (a_ != b_) { \
		tap_failed_++; \
		printf("not ok %d - %s:%d: %s == %lld, expected %lld\n", \
		    tap_count_, __FILE__, __LINE__, #a, a_, b_); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	tap_count_++; \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) { \
		tap_failed_++; \
		printf("not ok %d - %s:%d: %s == \"%s\", expected \"%s\"\n", \
		    tap_count_, __FILE__, __LINE__, #a, a_ ? a_ : "(null)", \
		    b_ ? b_ : "(null)"); \
	} \
} while (0)

#define CHECK_MEM(a, alen, b, blen) do { \
	size_t al_ = (alen), bl_ = (blen); \
	tap_count_++; \
	if (al_ != bl_ || memcmp((a), (b), al_) != 0) { \
		tap_failed_++; \
		printf("not ok %d - %s:%d: %s differs (%zu vs %zu bytes)\n", \
		    tap_count_, __FILE__, __LINE__, #a, al_, bl_); \
	} \
} while (0)

static inline int
test_done(void)
{
	printf("1..%d\n%d passed, %d failed\n", tap_count_,
	    tap_count_ - tap_failed_, tap_failed_);
	return tap_failed_ ? 1 : 0;
}

#endif
