/*
 * test.h: a tiny self-contained unit-test framework, one executable per
 * test file.
 *
 *   TEST(name) { CHECK(x); CHECK_EQ_INT(a, b); CHECK_EQ_STR(a, b); }
 *   int main(void) { RUN(name); return test_report(); }
 *
 * A failed check prints file:line, the expression and (for the _EQ_ forms)
 * both values, marks the running test case failed and carries on, so one
 * run shows every mismatch. test_report() prints one final line
 * "N passed, M failed" counting test cases and returns 0 when none failed,
 * else 1 (the exit status ctest reads).
 *
 * Header-only: its state is static, so include it from exactly one
 * translation unit per executable.
 */
#ifndef JD_TESTS_UNIT_TEST_H
#define JD_TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int test__passed;
static int test__failed;
static int test__case_failures; /* failed checks in the running case */
static const char *test__case_name;

#define TEST(name) static void name(void)

static inline void
test__fail(const char *file, int line, const char *expr)
{
	fflush(stdout);
	fprintf(stderr, "%s:%d: %s: check failed: %s\n", file, line,
	    test__case_name != NULL ? test__case_name : "?", expr);
	test__case_failures++;
}

static inline void
test__fail_int(const char *file, int line, const char *ea, const char *eb, int64_t a, int64_t b)
{
	fflush(stdout);
	fprintf(stderr, "%s:%d: %s: check failed: %s == %s (%" PRId64 " == %" PRId64 ")\n", file,
	    line, test__case_name != NULL ? test__case_name : "?", ea, eb, a, b);
	test__case_failures++;
}

static inline void
test__check_str(const char *file, int line, const char *ea, const char *eb, const char *a,
    const char *b)
{
	if (a == b || (a != NULL && b != NULL && strcmp(a, b) == 0))
		return;
	fflush(stdout);
	fprintf(stderr,
	    "%s:%d: %s: check failed: %s == %s\n  got:      %s%s%s\n  expected: %s%s%s\n", file,
	    line, test__case_name != NULL ? test__case_name : "?", ea, eb, a != NULL ? "\"" : "",
	    a != NULL ? a : "(null)", a != NULL ? "\"" : "", b != NULL ? "\"" : "",
	    b != NULL ? b : "(null)", b != NULL ? "\"" : "");
	test__case_failures++;
}

#define CHECK(cond)                                            \
	do {                                                   \
		if (!(cond))                                   \
			test__fail(__FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                            \
	do {                                                                          \
		int64_t test__a = (int64_t)(a);                                       \
		int64_t test__b = (int64_t)(b);                                       \
		if (test__a != test__b)                                               \
			test__fail_int(__FILE__, __LINE__, #a, #b, test__a, test__b); \
	} while (0)

#define CHECK_EQ_STR(a, b) test__check_str(__FILE__, __LINE__, #a, #b, (a), (b))

static inline void
test__run(void (*fn)(void), const char *name)
{
	test__case_name = name;
	test__case_failures = 0;
	fn();
	if (test__case_failures == 0) {
		test__passed++;
		printf("ok   %s\n", name);
	} else {
		test__failed++;
		printf("FAIL %s (%d failed checks)\n", name, test__case_failures);
	}
	fflush(stdout);
	test__case_name = NULL;
}

#define RUN(name) test__run(name, #name)

static inline int
test_report(void)
{
	printf("%d passed, %d failed\n", test__passed, test__failed);
	return test__failed == 0 ? 0 : 1;
}

#endif
