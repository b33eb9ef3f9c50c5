/*
 * test_policy.c: the pure policy decisions of core/policy.c: rollout
 * pacing, abort evaluation, retry decisions, schedule phase and timeouts.
 * Time is an input (epoch milliseconds).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/model.h"
#include "core/policy.h"
#include "test.h"

#define MIN CORE_MIN_MS
#define NOON INT64_C(1704110400000) /* 2024-01-01T12:00:00Z */

/* ---- helpers ------------------------------------------------------------ */

static struct jd_policy
rollout_max(int64_t max)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_ROLLOUT;
	p.max_per_minute = max;
	return p;
}

static struct jd_policy
rollout_exp(int64_t max, int64_t base, double factor, int64_t by_n, int64_t by_s)
{
	struct jd_policy p = rollout_max(max);

	p.exponential = true;
	p.base_per_minute = base;
	p.increment_factor = factor;
	p.by_notified = by_n;
	p.by_succeeded = by_s;
	return p;
}

static struct jd_counts
counts(int64_t succeeded, int64_t failed, int64_t rejected, int64_t timed_out)
{
	struct jd_counts c;

	memset(&c, 0, sizeof(c));
	c.n[JD_EXEC_SUCCEEDED] = succeeded;
	c.n[JD_EXEC_FAILED] = failed;
	c.n[JD_EXEC_REJECTED] = rejected;
	c.n[JD_EXEC_TIMED_OUT] = timed_out;
	return c;
}

/* A policy with the given abort criteria (borrowed array). */
static struct jd_policy
abort_policy(struct jd_abort_criterion *a, size_t n)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_ABORT;
	p.abort = a;
	p.n_abort = n;
	return p;
}

static struct jd_policy
retry_policy(int t1, int64_t n1, int t2, int64_t n2)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_RETRY;
	if (t1 >= 0) {
		p.retry[p.n_retry].failure_type = t1;
		p.retry[p.n_retry++].retries = n1;
	}
	if (t2 >= 0) {
		p.retry[p.n_retry].failure_type = t2;
		p.retry[p.n_retry++].retries = n2;
	}
	return p;
}

/* ---- names -------------------------------------------------------------- */

TEST(failure_type_names)
{
	int t = -7;

	for (int i = 0; i < JD_FAILURE__COUNT; i++) {
		CHECK(core_failure_type_name(i) != NULL);
		CHECK_EQ_INT(core_failure_type_parse(core_failure_type_name(i), &t), 0);
		CHECK_EQ_INT(t, i);
	}
	CHECK_EQ_STR(core_failure_type_name(JD_FAILURE_FAILED), "FAILED");
	CHECK_EQ_STR(core_failure_type_name(JD_FAILURE_REJECTED), "REJECTED");
	CHECK_EQ_STR(core_failure_type_name(JD_FAILURE_TIMED_OUT), "TIMED_OUT");
	CHECK_EQ_STR(core_failure_type_name(JD_FAILURE_ALL), "ALL");
	CHECK(core_failure_type_name(-1) == NULL);
	CHECK(core_failure_type_name(JD_FAILURE__COUNT) == NULL);
	t = -7;
	CHECK_EQ_INT(core_failure_type_parse("failed", &t), -1); /* case-sensitive */
	CHECK_EQ_INT(core_failure_type_parse("", &t), -1);
	CHECK_EQ_INT(core_failure_type_parse(NULL, &t), -1);
	CHECK_EQ_INT(t, -7);
}

TEST(end_behavior_names)
{
	int b = -7;

	CHECK(core_end_behavior_name(JD_END_NONE) == NULL);
	CHECK_EQ_STR(core_end_behavior_name(JD_END_STOP_ROLLOUT), "STOP_ROLLOUT");
	CHECK_EQ_STR(core_end_behavior_name(JD_END_CANCEL), "CANCEL");
	CHECK_EQ_STR(core_end_behavior_name(JD_END_FORCE_CANCEL), "FORCE_CANCEL");
	CHECK(core_end_behavior_name(JD_END__COUNT) == NULL);
	CHECK(core_end_behavior_name(-1) == NULL);
	for (int i = JD_END_NONE + 1; i < JD_END__COUNT; i++) {
		CHECK_EQ_INT(core_end_behavior_parse(core_end_behavior_name(i), &b), 0);
		CHECK_EQ_INT(b, i);
	}
	b = -7;
	CHECK_EQ_INT(core_end_behavior_parse("cancel", &b), -1);
	CHECK_EQ_INT(core_end_behavior_parse("", &b), -1);
	CHECK_EQ_INT(core_end_behavior_parse(NULL, &b), -1);
	CHECK_EQ_INT(b, -7);
}

/* ---- rollout ------------------------------------------------------------ */

TEST(rollout_not_paced)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 5000, 5000), 0);
	/* other members do not pace */
	p.present = JD_POLICY_ABORT | JD_POLICY_RETRY | JD_POLICY_TIMEOUT | JD_POLICY_SCHEDULE;
	p.max_per_minute = 5; /* ignored without the rollout member */
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 0);
	/* a tick of a job that is not paced releases the default */
	CHECK_EQ_INT(core_rollout_batch(&p, 0, 0), JD_ROLLOUT_DEFAULT_PER_MINUTE);
	CHECK_EQ_INT(JD_ROLLOUT_DEFAULT_PER_MINUTE, 1000);
}

TEST(rollout_constant)
{
	struct jd_policy p = rollout_max(50);

	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 50);
	CHECK_EQ_INT(core_rollout_rate(&p, 100000, 100000), 50); /* constant: counts ignored */
	CHECK_EQ_INT(core_rollout_batch(&p, 0, 0), 50);
	p = rollout_max(1);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1);
	p = rollout_max(1000);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1000);
	/* maximumPerMinute absent (or not positive): the default */
	p = rollout_max(0);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1000);
	p = rollout_max(-3);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1000);
}

TEST(rollout_exponential_by_notified)
{
	struct jd_policy p = rollout_exp(1000, 10, 2.0, 100, 0);

	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 10);
	CHECK_EQ_INT(core_rollout_rate(&p, 99, 0), 10); /* a step is a whole threshold */
	CHECK_EQ_INT(core_rollout_rate(&p, 100, 0), 20);
	CHECK_EQ_INT(core_rollout_rate(&p, 199, 0), 20);
	CHECK_EQ_INT(core_rollout_rate(&p, 250, 0), 40);
	CHECK_EQ_INT(core_rollout_rate(&p, 600, 0), 640);
	CHECK_EQ_INT(core_rollout_rate(&p, 700, 0), 1000); /* 1280: capped by the maximum */
	CHECK_EQ_INT(core_rollout_rate(&p, 100000000, 0), 1000);
	/* succeeded things do not count for a notified criterion */
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 1000), 10);
	CHECK_EQ_INT(core_rollout_batch(&p, 100, 0), 20);
}

TEST(rollout_exponential_by_succeeded)
{
	struct jd_policy p = rollout_exp(500, 5, 3.0, 0, 10);

	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 5);
	CHECK_EQ_INT(core_rollout_rate(&p, 1000, 0), 5); /* notified things do not count */
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 9), 5);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 10), 15);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 20), 45);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 30), 135);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 40), 405);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 50), 500); /* 1215 capped */
}

TEST(rollout_both_criteria_notified_wins)
{
	/* api/ accepts exactly one; if both were stored, notified is read first */
	struct jd_policy p = rollout_exp(1000, 10, 2.0, 100, 1);

	CHECK_EQ_INT(core_rollout_rate(&p, 0, 500), 10);
	CHECK_EQ_INT(core_rollout_rate(&p, 100, 500), 20);
}

TEST(rollout_exponential_no_criterion)
{
	struct jd_policy p = rollout_exp(1000, 7, 2.0, 0, 0);

	CHECK_EQ_INT(core_rollout_rate(&p, 1000, 1000), 7); /* never increases */
}

TEST(rollout_increment_factor_rounding)
{
	/* 1.1: 10 -> 11.000000000000002 -> 12.100000000000003 -> 13.31... ->
	 * 14.64... -> 16.105...: truncated, not rounded */
	struct jd_policy p = rollout_exp(1000, 10, 1.1, 1, 0);
	static const int64_t want_10[] = {10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25};

	for (int64_t s = 0; s <= 10; s++)
		CHECK_EQ_INT(core_rollout_rate(&p, s, 0), want_10[s]);

	/* base 1: 1.1, 1.21, 1.331, 1.4641, 1.61, 1.77, 1.95, 2.14: 1 until the 8th step */
	p = rollout_exp(1000, 1, 1.1, 1, 0);
	for (int64_t s = 0; s <= 7; s++)
		CHECK_EQ_INT(core_rollout_rate(&p, s, 0), 1);
	CHECK_EQ_INT(core_rollout_rate(&p, 8, 0), 2);

	/* 4.9: 3 -> 14.7 -> 72.03 -> 352.947 -> 1729.44 (capped at 1000) */
	p = rollout_exp(0, 3, 4.9, 0, 5);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 4), 3);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 5), 14);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 10), 72);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 15), 352);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 20), 1000);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 25), 1000);

	/* 4.9 under a lower maximum */
	p = rollout_exp(300, 3, 4.9, 0, 5);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 10), 72);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 15), 300);

	/* 1.1 over many steps reaches the maximum and stays there */
	p = rollout_exp(50, 10, 1.1, 10, 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 160, 0), 45); /* 10 * 1.1^16 = 45.94 */
	CHECK_EQ_INT(core_rollout_rate(&p, 170, 0), 50); /* 50.54 >= 50 */
	CHECK_EQ_INT(core_rollout_rate(&p, 1000000, 0), 50);

	/* 5.0, the largest factor, from the smallest base */
	p = rollout_exp(1000, 1, 5.0, 2, 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 2, 0), 5);
	CHECK_EQ_INT(core_rollout_rate(&p, 4, 0), 25);
	CHECK_EQ_INT(core_rollout_rate(&p, 6, 0), 125);
	CHECK_EQ_INT(core_rollout_rate(&p, 8, 0), 625);
	CHECK_EQ_INT(core_rollout_rate(&p, 10, 0), 1000);
}

TEST(rollout_base_bounds)
{
	/* base over the maximum: the maximum */
	struct jd_policy p = rollout_exp(100, 200, 2.0, 10, 0);

	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 100);
	/* base equal to the maximum */
	p = rollout_exp(100, 100, 2.0, 10, 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 50, 0), 100);
	/* a base of 0 (a null exponentialRate) still releases 1 per minute */
	p = rollout_exp(100, 0, 0.0, 0, 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1);
	CHECK_EQ_INT(core_rollout_rate(&p, 500, 500), 1);
}

TEST(rollout_next_batch)
{
	int64_t prev = NOON;

	/* fewer released than the rate: nothing waits any more */
	CHECK_EQ_INT(core_rollout_next_ms(prev, 0, 10), 0);
	CHECK_EQ_INT(core_rollout_next_ms(prev, 9, 10), 0);
	/* a full batch: the next one a minute after the scheduled one */
	CHECK_EQ_INT(core_rollout_next_ms(prev, 10, 10), prev + MIN);
	CHECK_EQ_INT(core_rollout_next_ms(prev, 11, 10), prev + MIN);
	/* the cadence comes from the schedule, however late the tick ran */
	CHECK_EQ_INT(core_rollout_next_ms(prev - 10 * MIN, 10, 10), prev - 9 * MIN);
}

TEST(rollout_first_batch)
{
	struct jd_policy p;
	int64_t next = -1;

	memset(&p, 0, sizeof(p));
	/* not paced: everything at once */
	CHECK_EQ_INT(core_rollout_first(&p, 5000, NOON, &next), 5000);
	CHECK_EQ_INT(next, 0);
	p = rollout_max(10);
	CHECK_EQ_INT(core_rollout_first(&p, 0, NOON, &next), 0);
	CHECK_EQ_INT(next, 0);
	CHECK_EQ_INT(core_rollout_first(&p, 5, NOON, &next), 5);
	CHECK_EQ_INT(next, 0);
	CHECK_EQ_INT(core_rollout_first(&p, 10, NOON, &next), 10);
	CHECK_EQ_INT(next, 0);
	next = -1;
	CHECK_EQ_INT(core_rollout_first(&p, 11, NOON, &next), 10);
	CHECK_EQ_INT(next, NOON + MIN);
	/* exponential: the first batch is the base rate */
	p = rollout_exp(1000, 3, 2.0, 10, 0);
	CHECK_EQ_INT(core_rollout_first(&p, 100, NOON, &next), 3);
	CHECK_EQ_INT(next, NOON + MIN);
}

TEST(rollout_simulated)
{
	/* 100 things, base 10, doubling every 20 notified, max 30: the first
	 * batch of 10, then ticks of 10 (10 notified: no whole step yet), 20
	 * (20 notified), 30 (40 notified: 40 capped), 30; that tick was full,
	 * so one more tick runs, finds nothing and ends the rollout */
	struct jd_policy p = rollout_exp(30, 10, 2.0, 20, 0);
	int64_t next = 0, notified, waiting = 100, t = NOON;
	static const int64_t want[] = {10, 20, 30, 30, 0};
	size_t first = core_rollout_first(&p, (size_t)waiting, t, &next);

	CHECK_EQ_INT(first, 10);
	notified = (int64_t)first;
	waiting -= notified;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		int64_t rate = core_rollout_batch(&p, notified, 0);
		int64_t released = waiting < rate ? waiting : rate;

		CHECK(next != 0);
		CHECK_EQ_INT(released, want[k]);
		waiting -= released;
		notified += released;
		next = core_rollout_next_ms(next, released, rate);
	}
	CHECK_EQ_INT(waiting, 0);
	CHECK_EQ_INT(next, 0);
}

/* ---- abort -------------------------------------------------------------- */

TEST(abort_none)
{
	struct jd_policy p;
	struct jd_counts c = counts(0, 100, 100, 100);
	struct core_abort a = {0};

	memset(&p, 0, sizeof(p));
	CHECK(!core_abort_eval(&p, &c, &a));
	p.present = JD_POLICY_ABORT; /* present but empty list */
	CHECK(!core_abort_eval(&p, &c, &a));
}

TEST(abort_min_executed)
{
	struct jd_abort_criterion crit[] = {{JD_FAILURE_FAILED, 50.0, 10}};
	struct jd_policy p = abort_policy(crit, 1);
	struct jd_counts c = counts(4, 5, 0, 0); /* 9 executed, 55% failed */
	struct core_abort a;

	memset(&a, 0x5a, sizeof(a));
	CHECK(!core_abort_eval(&p, &c, &a));
	c.n[JD_EXEC_SUCCEEDED] = 5; /* 10 executed, 50% */
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.criterion, 0);
	CHECK_EQ_INT(a.failure_type, JD_FAILURE_FAILED);
	CHECK_EQ_INT(a.failed, 5);
	CHECK_EQ_INT(a.executed, 10);
	CHECK(a.threshold_pct == 50.0);
	/* pending, removed and canceled executions are not executed */
	c = counts(0, 5, 0, 0);
	c.n[JD_EXEC_QUEUED] = 10;
	c.n[JD_EXEC_IN_PROGRESS] = 10;
	c.n[JD_EXEC_REMOVED] = 10;
	c.n[JD_EXEC_CANCELED] = 10;
	CHECK(!core_abort_eval(&p, &c, &a));
	/* minimum of 1: one failed execution is enough at 100% */
	crit[0].min_executed = 1;
	c = counts(0, 1, 0, 0);
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.executed, 1);
}

TEST(abort_nothing_executed)
{
	/* a threshold of 0 and no minimum would trip on anything: not on nothing */
	struct jd_abort_criterion crit[] = {{JD_FAILURE_ALL, 0.0, 0}};
	struct jd_policy p = abort_policy(crit, 1);
	struct jd_counts c = counts(0, 0, 0, 0);
	struct core_abort a;

	c.n[JD_EXEC_QUEUED] = 3;
	CHECK(!core_abort_eval(&p, &c, &a));
	c.n[JD_EXEC_SUCCEEDED] = 1;
	CHECK(core_abort_eval(&p, &c, &a)); /* 0 * 100 >= 0 * 1 */
	CHECK_EQ_INT(a.failed, 0);
}

TEST(abort_threshold_exactly_met)
{
	struct jd_abort_criterion crit[] = {{JD_FAILURE_FAILED, 50.0, 1}};
	struct jd_policy p = abort_policy(crit, 1);
	struct jd_counts c = counts(1, 1, 0, 0);
	struct core_abort a;

	CHECK(core_abort_eval(&p, &c, &a)); /* 50% >= 50% */
	c = counts(2, 1, 0, 0);             /* 33.33...% */
	CHECK(!core_abort_eval(&p, &c, &a));
	crit[0].threshold_pct = 33.34;
	CHECK(!core_abort_eval(&p, &c, &a)); /* 100 < 100.02 */
	crit[0].threshold_pct = 33.33;
	CHECK(core_abort_eval(&p, &c, &a)); /* 100 >= 99.99 */
	crit[0].threshold_pct = 100.0;
	CHECK(!core_abort_eval(&p, &c, &a));
	c = counts(0, 3, 0, 0);
	CHECK(core_abort_eval(&p, &c, &a)); /* 100% of 3 */
	crit[0].threshold_pct = 0.0;
	c = counts(7, 0, 0, 0);
	CHECK(core_abort_eval(&p, &c, &a)); /* 0% >= 0% */
	/* 10% of 1000 exactly */
	crit[0].threshold_pct = 10.0;
	c = counts(900, 100, 0, 0);
	CHECK(core_abort_eval(&p, &c, &a));
	c = counts(901, 99, 0, 0);
	CHECK(!core_abort_eval(&p, &c, &a));
}

TEST(abort_failure_types)
{
	struct jd_abort_criterion crit[] = {{JD_FAILURE_REJECTED, 50.0, 1}};
	struct jd_policy p = abort_policy(crit, 1);
	struct jd_counts c = counts(0, 3, 1, 0); /* FAILED does not count for REJECTED */
	struct core_abort a;

	CHECK(!core_abort_eval(&p, &c, &a));
	c = counts(1, 0, 1, 0);
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.failed, 1);
	CHECK_EQ_INT(a.executed, 2);

	crit[0].failure_type = JD_FAILURE_TIMED_OUT;
	c = counts(1, 1, 1, 1); /* 1 of 4 timed out */
	crit[0].threshold_pct = 25.0;
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.failed, 1);
	crit[0].threshold_pct = 26.0;
	CHECK(!core_abort_eval(&p, &c, &a));

	/* ALL: FAILED + REJECTED + TIMED_OUT */
	crit[0].failure_type = JD_FAILURE_ALL;
	crit[0].threshold_pct = 75.0;
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.failed, 3);
	CHECK_EQ_INT(a.executed, 4);
	crit[0].threshold_pct = 75.1;
	CHECK(!core_abort_eval(&p, &c, &a));

	/* FAILED only counts FAILED */
	crit[0].failure_type = JD_FAILURE_FAILED;
	crit[0].threshold_pct = 26.0;
	CHECK(!core_abort_eval(&p, &c, &a));

	/* an unknown failure type never trips */
	crit[0].failure_type = -1;
	crit[0].threshold_pct = 0.0;
	CHECK(!core_abort_eval(&p, &c, &a));
	crit[0].failure_type = JD_FAILURE__COUNT;
	CHECK(!core_abort_eval(&p, &c, &a));
}

TEST(abort_list_order)
{
	struct jd_abort_criterion crit[] = {
	    {JD_FAILURE_FAILED, 10.0, 100}, /* not enough executed */
	    {-1, 0.0, 1},                   /* unknown type: keeps its place */
	    {JD_FAILURE_ALL, 50.0, 2},      /* trips */
	    {JD_FAILURE_REJECTED, 10.0, 1}, /* would trip, but comes later */
	};
	struct jd_policy p = abort_policy(crit, 4);
	struct jd_counts c = counts(1, 1, 1, 1);
	struct core_abort a;

	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.criterion, 2);
	CHECK_EQ_INT(a.failure_type, JD_FAILURE_ALL);
	CHECK_EQ_INT(a.failed, 3);
	/* the first one trips once enough have executed */
	c = counts(80, 20, 0, 0);
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.criterion, 0);
	/* only the last trips */
	c = counts(8, 0, 1, 0);
	CHECK(core_abort_eval(&p, &c, &a));
	CHECK_EQ_INT(a.criterion, 3);
	CHECK_EQ_INT(a.failure_type, JD_FAILURE_REJECTED);
}

TEST(abort_comment_text)
{
	struct core_abort a = {2, JD_FAILURE_ALL, 50.0, 3, 4};
	char buf[CORE_ABORT_COMMENT_MAX];
	char small[16];
	int n = core_abort_comment(&a, buf, sizeof(buf));

	CHECK_EQ_STR(buf,
	    "Job aborted by abortConfig criterion 3: 3 of 4 executed things ALL (threshold 50.00%)");
	CHECK_EQ_INT(n, (int)strlen(buf));
	a = (struct core_abort){0, JD_FAILURE_TIMED_OUT, 33.333, 1, 3};
	core_abort_comment(&a, buf, sizeof(buf));
	CHECK_EQ_STR(buf,
	    "Job aborted by abortConfig criterion 1: 1 of 3 executed things TIMED_OUT (threshold 33.33%)");
	a = (struct core_abort){99, JD_FAILURE_FAILED, 100.0, 2147483647, 2147483647};
	core_abort_comment(&a, buf, sizeof(buf));
	CHECK_EQ_STR(buf,
	    "Job aborted by abortConfig criterion 100: 2147483647 of 2147483647 executed things FAILED (threshold 100.00%)");
	/* truncated, still terminated */
	n = core_abort_comment(&a, small, sizeof(small));
	CHECK_EQ_STR(small, "Job aborted by ");
	CHECK(n > (int)sizeof(small));
	CHECK_EQ_STR(CORE_ABORT_REASON, "ABORTED_BY_FAILURE_THRESHOLD");
}

/* ---- retry -------------------------------------------------------------- */

TEST(retry_only_failed_or_timed_out)
{
	struct jd_policy p = retry_policy(JD_FAILURE_ALL, 5, -1, 0);
	struct core_retry r;

	for (int s = 0; s < JD_EXEC__COUNT; s++) {
		bool want = s == JD_EXEC_FAILED || s == JD_EXEC_TIMED_OUT;
		CHECK_EQ_INT(core_retry_plan(&p, s, 0, &r), want);
	}
	CHECK(!core_retry_plan(&p, -1, 0, &r));
	CHECK(!core_retry_plan(&p, JD_EXEC__COUNT, 0, &r));
}

TEST(retry_no_config)
{
	struct jd_policy p;
	struct core_retry r;

	memset(&p, 0, sizeof(p));
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	CHECK(!core_retry_plan(&p, JD_EXEC_TIMED_OUT, 0, &r));
	p.present = JD_POLICY_RETRY; /* an empty list */
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
}

TEST(retry_specific_type)
{
	struct jd_policy p = retry_policy(JD_FAILURE_FAILED, 3, -1, 0);
	struct core_retry r;

	CHECK(core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	CHECK_EQ_INT(r.failure_type, JD_FAILURE_FAILED);
	CHECK_EQ_INT(r.allowed, 3);
	CHECK(core_retry_counts(&r, JD_EXEC_FAILED));
	CHECK(!core_retry_counts(&r, JD_EXEC_TIMED_OUT));
	CHECK(!core_retry_counts(&r, JD_EXEC_REJECTED));
	CHECK(!core_retry_counts(&r, JD_EXEC_SUCCEEDED));
	CHECK(!core_retry_counts(&r, -1));
	CHECK(!core_retry_counts(&r, JD_EXEC__COUNT));
	/* a TIMED_OUT execution has no criterion */
	CHECK(!core_retry_plan(&p, JD_EXEC_TIMED_OUT, 0, &r));

	p = retry_policy(JD_FAILURE_TIMED_OUT, 2, -1, 0);
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	CHECK(core_retry_plan(&p, JD_EXEC_TIMED_OUT, 0, &r));
	CHECK_EQ_INT(r.allowed, 2);
	CHECK(core_retry_counts(&r, JD_EXEC_TIMED_OUT));
	CHECK(!core_retry_counts(&r, JD_EXEC_FAILED));
}

TEST(retry_all)
{
	struct jd_policy p = retry_policy(JD_FAILURE_ALL, 4, -1, 0);
	struct core_retry r;

	CHECK(core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	CHECK_EQ_INT(r.failure_type, JD_FAILURE_ALL);
	CHECK_EQ_INT(r.allowed, 4);
	CHECK(core_retry_counts(&r, JD_EXEC_FAILED));
	CHECK(core_retry_counts(&r, JD_EXEC_TIMED_OUT));
	CHECK(!core_retry_counts(&r, JD_EXEC_REJECTED));
	CHECK(!core_retry_counts(&r, JD_EXEC_CANCELED));
	CHECK(core_retry_plan(&p, JD_EXEC_TIMED_OUT, 0, &r));
	CHECK(core_retry_counts(&r, JD_EXEC_FAILED));
}

TEST(retry_specific_wins_over_all)
{
	struct core_retry r;
	/* in either order */
	struct jd_policy a = retry_policy(JD_FAILURE_ALL, 5, JD_FAILURE_FAILED, 2);
	struct jd_policy b = retry_policy(JD_FAILURE_FAILED, 2, JD_FAILURE_ALL, 5);

	CHECK(core_retry_plan(&a, JD_EXEC_FAILED, 0, &r));
	CHECK_EQ_INT(r.failure_type, JD_FAILURE_FAILED);
	CHECK_EQ_INT(r.allowed, 2);
	CHECK(!core_retry_counts(&r, JD_EXEC_TIMED_OUT));
	CHECK(core_retry_plan(&b, JD_EXEC_FAILED, 0, &r));
	CHECK_EQ_INT(r.failure_type, JD_FAILURE_FAILED);
	CHECK_EQ_INT(r.allowed, 2);
	/* the other type falls back on ALL */
	CHECK(core_retry_plan(&a, JD_EXEC_TIMED_OUT, 0, &r));
	CHECK_EQ_INT(r.failure_type, JD_FAILURE_ALL);
	CHECK_EQ_INT(r.allowed, 5);
	CHECK(core_retry_counts(&r, JD_EXEC_FAILED));
	CHECK(core_retry_plan(&b, JD_EXEC_TIMED_OUT, 0, &r));
	CHECK_EQ_INT(r.allowed, 5);
	/* a specific 0 wins over ALL too: no retry */
	a = retry_policy(JD_FAILURE_ALL, 5, JD_FAILURE_TIMED_OUT, 0);
	CHECK(!core_retry_plan(&a, JD_EXEC_TIMED_OUT, 0, &r));
	CHECK(core_retry_plan(&a, JD_EXEC_FAILED, 0, &r));
	/* of two ALL criteria, the last */
	a = retry_policy(JD_FAILURE_ALL, 1, JD_FAILURE_ALL, 3);
	CHECK(core_retry_plan(&a, JD_EXEC_FAILED, 0, &r));
	CHECK_EQ_INT(r.allowed, 3);
	/* both types given */
	a = retry_policy(JD_FAILURE_TIMED_OUT, 7, JD_FAILURE_FAILED, 3);
	CHECK(core_retry_plan(&a, JD_EXEC_FAILED, 0, &r));
	CHECK_EQ_INT(r.allowed, 3);
	CHECK(core_retry_plan(&a, JD_EXEC_TIMED_OUT, 0, &r));
	CHECK_EQ_INT(r.allowed, 7);
}

TEST(retry_zero_retries)
{
	struct jd_policy p = retry_policy(JD_FAILURE_FAILED, 0, -1, 0);
	struct core_retry r;

	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	p = retry_policy(JD_FAILURE_ALL, 0, -1, 0);
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	CHECK(!core_retry_plan(&p, JD_EXEC_TIMED_OUT, 0, &r));
	p = retry_policy(JD_FAILURE_ALL, -1, -1, 0);
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
}

TEST(retry_attempt_cap)
{
	struct jd_policy p = retry_policy(JD_FAILURE_ALL, 10, -1, 0);
	struct core_retry r;

	CHECK_EQ_INT(JD_RETRIES_PER_THING_MAX, 10);
	CHECK(core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	CHECK(core_retry_plan(&p, JD_EXEC_FAILED, 9, &r));
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 10, &r));
	CHECK(!core_retry_plan(&p, JD_EXEC_TIMED_OUT, 10, &r));
	CHECK(!core_retry_plan(&p, JD_EXEC_FAILED, 11, &r));
}

TEST(retry_allowed_counts)
{
	struct jd_policy p = retry_policy(JD_FAILURE_FAILED, 2, -1, 0);
	struct core_retry r;

	CHECK(core_retry_plan(&p, JD_EXEC_FAILED, 0, &r));
	/* failures counted include the one that just ended */
	CHECK(core_retry_allowed(&r, 1));
	CHECK(core_retry_allowed(&r, 2));
	CHECK(!core_retry_allowed(&r, 3));
	CHECK(core_retry_allowed(&r, 0));
}

/*
 * A thing's history under a retry policy: each entry is the status its
 * execution ends in; the next entry runs only if a retry was queued.
 * Returns how many executions ran.
 */
static int
simulate(const struct jd_policy *p, const int *ends, int n)
{
	int hist[32];
	int ran = 0;

	for (int attempt = 0; attempt < n; attempt++) {
		struct core_retry r;
		int64_t failures = 0;

		hist[ran++] = ends[attempt];
		if (!core_retry_plan(p, ends[attempt], attempt, &r))
			break;
		for (int k = 0; k < ran; k++)
			failures += core_retry_counts(&r, hist[k]);
		if (!core_retry_allowed(&r, failures))
			break;
	}
	return ran;
}

TEST(retry_counts_per_failure_type)
{
	enum { F = JD_EXEC_FAILED, T = JD_EXEC_TIMED_OUT, S = JD_EXEC_SUCCEEDED };
	static const int ft[] = {F, T, F, T, F, T, F, T, F, T, F, T, F, T};
	static const int ff[] = {F, F, F, F, F, F, F, F, F, F, F, F, F, F};
	static const int fs[] = {F, S, F, F};
	struct jd_policy p = retry_policy(JD_FAILURE_FAILED, 2, JD_FAILURE_TIMED_OUT, 1);

	/* FAILED 2, TIMED_OUT 1, counted separately: F T F T stops at the second T */
	CHECK_EQ_INT(simulate(&p, ft, 14), 4);
	/* F F F: the third FAILED is over 2 */
	CHECK_EQ_INT(simulate(&p, ff, 14), 3);
	/* a success ends it */
	CHECK_EQ_INT(simulate(&p, fs, 4), 2);
	/* ALL 3 counts both types together: F T F T stops at the fourth */
	p = retry_policy(JD_FAILURE_ALL, 3, -1, 0);
	CHECK_EQ_INT(simulate(&p, ft, 14), 4);
	/* ALL 10: the per-thing cap of 10 retries ends it (11 executions) */
	p = retry_policy(JD_FAILURE_ALL, 10, -1, 0);
	CHECK_EQ_INT(simulate(&p, ft, 14), 11);
	CHECK_EQ_INT(simulate(&p, ff, 14), 11);
	/* FAILED 5 with ALL 1: FAILED retried on its own count; T on ALL's count of both */
	p = retry_policy(JD_FAILURE_FAILED, 5, JD_FAILURE_ALL, 1);
	CHECK_EQ_INT(simulate(&p, ft, 14), 2); /* F(1 <= 5) then T: ALL counts 2 > 1 */
	CHECK_EQ_INT(simulate(&p, ff, 14), 6);
	/* numberOfRetries 0: one execution */
	p = retry_policy(JD_FAILURE_ALL, 0, -1, 0);
	CHECK_EQ_INT(simulate(&p, ff, 14), 1);
}

/* ---- schedule and timeouts ---------------------------------------------- */

TEST(schedule)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(core_schedule_start_ms(&p), 0);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON), CORE_SCHEDULE_RUNNING);
	CHECK_EQ_INT(core_schedule_phase(&p, 0), CORE_SCHEDULE_RUNNING);

	p.present = JD_POLICY_SCHEDULE;
	p.start_ms = NOON + 30 * MIN;
	CHECK_EQ_INT(core_schedule_start_ms(&p), NOON + 30 * MIN);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON), CORE_SCHEDULE_BEFORE);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON + 30 * MIN - 1), CORE_SCHEDULE_BEFORE);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON + 30 * MIN),
	    CORE_SCHEDULE_RUNNING); /* due at start */
	CHECK_EQ_INT(core_schedule_phase(&p, INT64_MAX), CORE_SCHEDULE_RUNNING);

	p.end_ms = NOON + 90 * MIN;
	CHECK_EQ_INT(core_schedule_phase(&p, NOON + 90 * MIN - 1), CORE_SCHEDULE_RUNNING);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON + 90 * MIN), CORE_SCHEDULE_ENDED);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON), CORE_SCHEDULE_BEFORE);

	/* an end without a start */
	p.start_ms = 0;
	CHECK_EQ_INT(core_schedule_start_ms(&p), 0);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON), CORE_SCHEDULE_RUNNING);
	CHECK_EQ_INT(core_schedule_phase(&p, NOON + 91 * MIN), CORE_SCHEDULE_ENDED);
}

TEST(timeout)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, NOON), 0);
	p.present = JD_POLICY_TIMEOUT;
	p.inprogress_timeout_min = 20;
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, NOON), NOON + 20 * MIN);
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, NOON), core_inprogress_deadline(NOON, 20));
	p.inprogress_timeout_min = 10080;
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, NOON), NOON + 10080 * MIN);
	p.inprogress_timeout_min = 1;
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, INT64_MAX - 5), INT64_MAX); /* saturates */
	p.inprogress_timeout_min = 0;
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, NOON), 0);
}

int
main(void)
{
	RUN(failure_type_names);
	RUN(end_behavior_names);
	RUN(rollout_not_paced);
	RUN(rollout_constant);
	RUN(rollout_exponential_by_notified);
	RUN(rollout_exponential_by_succeeded);
	RUN(rollout_both_criteria_notified_wins);
	RUN(rollout_exponential_no_criterion);
	RUN(rollout_increment_factor_rounding);
	RUN(rollout_base_bounds);
	RUN(rollout_next_batch);
	RUN(rollout_first_batch);
	RUN(rollout_simulated);
	RUN(abort_none);
	RUN(abort_min_executed);
	RUN(abort_nothing_executed);
	RUN(abort_threshold_exactly_met);
	RUN(abort_failure_types);
	RUN(abort_list_order);
	RUN(abort_comment_text);
	RUN(retry_only_failed_or_timed_out);
	RUN(retry_no_config);
	RUN(retry_specific_type);
	RUN(retry_all);
	RUN(retry_specific_wins_over_all);
	RUN(retry_zero_retries);
	RUN(retry_attempt_cap);
	RUN(retry_allowed_counts);
	RUN(retry_counts_per_failure_type);
	RUN(schedule);
	RUN(timeout);
	return test_report();
}
