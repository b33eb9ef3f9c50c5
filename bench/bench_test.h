/*
 * bench_test.h: the few assertion macros jdbench's unit tests share.
 *
 * A failed check prints where and the values involved and the test goes
 * on; test_summary() prints "N passed, M failed" and gives the exit status.
 */
#ifndef JD_BENCH_TEST_H
#define JD_BENCH_TEST_H

#include <stdio.h>
#include <string.h>

static unsigned test_passed, test_failed;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (cond) {                                                                      \
			test_passed++;                                                           \
		} else {                                                                         \
			test_failed++;                                                           \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                                     \
	do {                                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);                         \
		if (a_ == b_) {                                                             \
			test_passed++;                                                      \
		} else {                                                                    \
			test_failed++;                                                      \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
			    __LINE__, #a, #b, a_, b_);                                      \
		}                                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                                        \
	do {                                                                                   \
		const char *a_ = (a), *b_ = (b);                                               \
		if (strcmp(a_, b_) == 0) {                                                     \
			test_passed++;                                                         \
		} else {                                                                       \
			test_failed++;                                                         \
			fprintf(stderr, "%s:%d: %s == %s failed:\n  '%s'\n  '%s'\n", __FILE__, \
			    __LINE__, #a, #b, a_, b_);                                         \
		}                                                                              \
	} while (0)

static int
test_summary(void)
{
	printf("%u passed, %u failed\n", test_passed, test_failed);
	return test_failed == 0 ? 0 : 1;
}

#endif
