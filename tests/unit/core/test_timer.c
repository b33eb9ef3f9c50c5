/*
 * test_timer.c: timer arithmetic (spec §9.3, decisions D17) and the order
 * of the pending list (spec §7.1). Time is an input: epoch milliseconds.
 */
#include <stdlib.h>

#include "core/core.h"
#include "test.h"

#define SEC INT64_C(1000)
#define MIN CORE_MIN_MS

/* 2024-01-01T12:00:00Z in epoch ms, and hh:mm on that day */
#define NOON INT64_C(1704110400000)
#define AT(h, m) (NOON + ((int64_t)(h)-12) * 60 * MIN + (int64_t)(m)*MIN)

TEST(worked_example)
{
	/* [DG] 20-minute in-progress timer started at 12:00 */
	int64_t ip = core_inprogress_deadline(AT(12, 0), 20);
	int64_t step;

	CHECK_EQ_INT(ip, AT(12, 20));

	/* step 7 min set at 12:05 -> 12:12 */
	step = core_step_deadline(AT(12, 5), 7, ip);
	CHECK_EQ_INT(step, AT(12, 12));
	CHECK_EQ_INT(core_effective_deadline(ip, step), AT(12, 12));
	CHECK_EQ_INT(core_seconds_before_timeout(AT(12, 5), core_effective_deadline(ip, step)),
	    7 * 60);

	/* step 5 min set at 12:10 replaces it -> 12:15 */
	step = core_step_deadline(AT(12, 10), 5, ip);
	CHECK_EQ_INT(step, AT(12, 15));
	CHECK_EQ_INT(core_effective_deadline(ip, step), AT(12, 15));

	/* step 9 min set at 12:13 would be 12:22: capped by the in-progress timer */
	step = core_step_deadline(AT(12, 13), 9, ip);
	CHECK_EQ_INT(step, AT(12, 20));
	CHECK_EQ_INT(core_effective_deadline(ip, step), AT(12, 20));
	CHECK_EQ_INT(core_seconds_before_timeout(AT(12, 13), core_effective_deadline(ip, step)),
	    7 * 60);
}

TEST(inprogress_deadline)
{
	CHECK_EQ_INT(core_inprogress_deadline(NOON, 0), 0); /* no timeout configured */
	CHECK_EQ_INT(core_inprogress_deadline(NOON, -1), 0);
	CHECK_EQ_INT(core_inprogress_deadline(NOON, 1), NOON + MIN);
	CHECK_EQ_INT(core_inprogress_deadline(NOON, 10080), NOON + 7 * 24 * 60 * MIN);
	CHECK_EQ_INT(core_inprogress_deadline(0, 1), MIN);
	/* absurd inputs saturate instead of overflowing */
	CHECK_EQ_INT(core_inprogress_deadline(INT64_MAX - 1, 1), INT64_MAX);
	CHECK_EQ_INT(core_inprogress_deadline(NOON, INT64_MAX), INT64_MAX);
}

TEST(step_deadline)
{
	/* no in-progress timer: not capped */
	CHECK_EQ_INT(core_step_deadline(NOON, 1, 0), NOON + MIN);
	CHECK_EQ_INT(core_step_deadline(NOON, 10080, 0), NOON + 10080 * MIN);
	/* 0 or -1 ("discard", UpdateJobExecution only): no step timer */
	CHECK_EQ_INT(core_step_deadline(NOON, 0, 0), 0);
	CHECK_EQ_INT(core_step_deadline(NOON, -1, NOON + MIN), 0);
	/* cap is inclusive: equal deadlines stay equal */
	CHECK_EQ_INT(core_step_deadline(NOON, 5, NOON + 5 * MIN), NOON + 5 * MIN);
	CHECK_EQ_INT(core_step_deadline(NOON, 6, NOON + 5 * MIN), NOON + 5 * MIN);
	CHECK_EQ_INT(core_step_deadline(NOON, 4, NOON + 5 * MIN), NOON + 4 * MIN);
	CHECK_EQ_INT(core_step_deadline(INT64_MAX - 5, 1, 0), INT64_MAX);
}

TEST(effective_deadline)
{
	CHECK_EQ_INT(core_effective_deadline(0, 0), 0);
	CHECK_EQ_INT(core_effective_deadline(NOON, 0), NOON);
	CHECK_EQ_INT(core_effective_deadline(0, NOON), NOON);
	CHECK_EQ_INT(core_effective_deadline(NOON, NOON + 1), NOON);
	CHECK_EQ_INT(core_effective_deadline(NOON + 1, NOON), NOON);
	CHECK_EQ_INT(core_effective_deadline(NOON, NOON), NOON);
}

TEST(seconds_before_timeout)
{
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, 0), -1); /* omit the member */
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON), 0);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON - 1), 0);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON - 90 * SEC),
	    0); /* overdue, not negative */
	/* rounds up: any part of a second left counts as a second */
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON + 1), 1);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON + 999), 1);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON + 1000), 1);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON + 1001), 2);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON, NOON + 20 * MIN), 1200);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON + 1, NOON + 20 * MIN), 1200);
	CHECK_EQ_INT(core_seconds_before_timeout(NOON + 1000, NOON + 20 * MIN), 1199);
	CHECK_EQ_INT(core_seconds_before_timeout(0, INT64_MAX), INT64_MAX / 1000 + 1);
	CHECK_EQ_INT(core_seconds_before_timeout(-1000, INT64_MAX), INT64_MAX / 1000 + 1);
}

static int
cmp_qsort(const void *a, const void *b)
{
	return core_pending_cmp(a, b);
}

TEST(pending_order)
{
	struct core_pending_key a = {JD_EXEC_IN_PROGRESS, NOON + 100, 9};
	struct core_pending_key b = {JD_EXEC_QUEUED, NOON, 1};
	struct core_pending_key c = {JD_EXEC_QUEUED, NOON, 2};
	struct core_pending_key d = {JD_EXEC_QUEUED, NOON + 1, 0};
	struct core_pending_key list[] = {
	    {JD_EXEC_QUEUED, NOON + 1, 0},        /* 4 */
	    {JD_EXEC_QUEUED, NOON, 2},            /* 3 */
	    {JD_EXEC_IN_PROGRESS, NOON + 100, 9}, /* 1 */
	    {JD_EXEC_QUEUED, NOON, 1},            /* 2 */
	    {JD_EXEC_IN_PROGRESS, NOON + 200, 3}, /* 1' */
	};

	/* IN_PROGRESS first, even when queued later */
	CHECK(core_pending_cmp(&a, &b) < 0);
	CHECK(core_pending_cmp(&b, &a) > 0);
	/* then queuedAt, then seq */
	CHECK(core_pending_cmp(&b, &c) < 0);
	CHECK(core_pending_cmp(&c, &d) < 0);
	CHECK(core_pending_cmp(&d, &b) > 0);
	CHECK_EQ_INT(core_pending_cmp(&c, &c), 0);

	qsort(list, sizeof(list) / sizeof(list[0]), sizeof(list[0]), cmp_qsort);
	CHECK_EQ_INT(list[0].status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(list[0].queued_at, NOON + 100);
	CHECK_EQ_INT(list[1].status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(list[1].queued_at, NOON + 200);
	CHECK_EQ_INT(list[2].seq, 1);
	CHECK_EQ_INT(list[3].seq, 2);
	CHECK_EQ_INT(list[4].queued_at, NOON + 1);
}

int
main(void)
{
	RUN(worked_example);
	RUN(inprogress_deadline);
	RUN(step_deadline);
	RUN(effective_deadline);
	RUN(seconds_before_timeout);
	RUN(pending_order);
	return test_report();
}
