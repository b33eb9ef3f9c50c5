/*
 * test_plan.c: the rollout plan of core/plan.c (what-if) and the window
 * duty's decision core_window_act. Each plan is checked against the
 * engine's arithmetic (core_rollout_first/_batch/_next_ms, the windows'
 * cron), with the time an input.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/plan.h"
#include "core/policy.h"
#include "test.h"
#include "policy_kit.h"

static struct jd_policy
paced(int64_t max)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_ROLLOUT;
	p.max_per_minute = max;
	return p;
}

static struct core_plan
plan_new(const struct jd_policy *p, int64_t now, int64_t things)
{
	struct core_plan_in in = {.p = p, .now = now, .pending = things};
	struct core_plan pl;

	core_plan_rollout(&in, &pl);
	return pl;
}

TEST(not_paced_all_at_once)
{
	struct jd_policy p;
	struct core_plan pl;

	memset(&p, 0, sizeof(p));
	pl = plan_new(&p, NOON, 5000);
	CHECK_EQ_INT(pl.n_waves, 1);
	CHECK_EQ_INT(pl.waves[0].at_ms, NOON);
	CHECK_EQ_INT(pl.waves[0].count, 5000);
	CHECK_EQ_INT(pl.completion_ms, NOON);
	CHECK(pl.notes & CORE_PLAN_NOTE_NOT_PACED);
	core_plan_release(&pl);
}

TEST(constant_rate)
{
	struct jd_policy p = paced(3);
	struct core_plan pl = plan_new(&p, NOON, 10);

	/* 3 at once, then 3, 3, 1 a minute apart */
	CHECK_EQ_INT(pl.n_waves, 4);
	CHECK_EQ_INT(pl.waves_total, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(pl.waves[i].at_ms, NOON + i * MIN);
	CHECK_EQ_INT(pl.waves[3].count, 1);
	CHECK_EQ_INT(pl.waves[3].cumulative, 10);
	CHECK_EQ_INT(pl.executions, 10);
	CHECK_EQ_INT(pl.never, 0);
	CHECK_EQ_INT(pl.completion_ms, NOON + 3 * MIN);
	CHECK_EQ_INT(pl.notes, 0);
	core_plan_release(&pl);
	/* exactly one batch's worth: all at once (core_rollout_first) */
	pl = plan_new(&p, NOON, 3);
	CHECK_EQ_INT(pl.n_waves, 1);
	core_plan_release(&pl);
	/* nothing to roll out */
	pl = plan_new(&p, NOON, 0);
	CHECK_EQ_INT(pl.n_waves, 0);
	CHECK_EQ_INT(pl.completion_ms, -1);
	CHECK(pl.notes & CORE_PLAN_NOTE_NOTHING);
	core_plan_release(&pl);
}

/* The plan replays the engine: same first batch, same batch sizes from the
 * rate at each notified count, same cadence. */
TEST(exponential_matches_engine_arithmetic)
{
	struct jd_policy p = paced(50);
	struct core_plan pl;
	int64_t notified, next = 0, left = 300, t = NOON;
	size_t i = 1;

	p.exponential = true;
	p.base_per_minute = 2;
	p.increment_factor = 1.5;
	p.by_notified = 5;
	pl = plan_new(&p, NOON, 300);
	notified = (int64_t)core_rollout_first(&p, (size_t)left, NOON, &next);
	CHECK_EQ_INT(pl.waves[0].count, notified);
	left -= notified;
	while (left > 0) {
		int64_t lim = core_rollout_batch(&p, notified, notified);
		int64_t n = left < lim ? left : lim;
		t = next;
		CHECK(i < pl.n_waves);
		CHECK_EQ_INT(pl.waves[i].at_ms, t);
		CHECK_EQ_INT(pl.waves[i].count, n);
		left -= n;
		notified += n;
		next = core_rollout_next_ms(t, n, lim);
		i++;
	}
	CHECK_EQ_INT(pl.n_waves, i);
	CHECK_EQ_INT(pl.completion_ms, t);
	CHECK_EQ_INT(pl.notes & CORE_PLAN_NOTE_ASSUME_SUCCESS, 0);
	core_plan_release(&pl);
	/* by SUCCEEDED things: planned as all succeeding, and said so */
	p.by_notified = 0;
	p.by_succeeded = 5;
	pl = plan_new(&p, NOON, 300);
	CHECK(pl.notes & CORE_PLAN_NOTE_ASSUME_SUCCESS);
	CHECK_EQ_INT(pl.executions, 300);
	core_plan_release(&pl);
}

TEST(start_time_and_end_time)
{
	struct jd_policy p = paced(2);
	struct core_plan pl;

	p.start_ms = NOON + HOUR;
	pl = plan_new(&p, NOON, 5);
	CHECK_EQ_INT(pl.start_ms, NOON + HOUR);
	CHECK_EQ_INT(pl.waves[2].at_ms, NOON + HOUR + 2 * MIN);
	core_plan_release(&pl);
	/* endTime after the second batch: the third never goes out */
	p.end_ms = NOON + HOUR + 2 * MIN;
	pl = plan_new(&p, NOON, 5);
	CHECK_EQ_INT(pl.n_waves, 2);
	CHECK_EQ_INT(pl.executions, 4);
	CHECK_EQ_INT(pl.never, 1);
	CHECK(pl.notes & CORE_PLAN_NOTE_END_CUTS);
	core_plan_release(&pl);
}

TEST(windows_hold_and_release)
{
	struct jd_policy p = paced(2);
	struct core_plan pl;

	/* a 2-minute window at the top of each hour; now is 12:30 */
	window(&p, "cron(0 * * * ? *)", 2);
	pl = plan_new(&p, NOON + 30 * MIN, 7);
	/* 13:00 2, 13:01 2, (closed at 13:02) 14:00 2, 14:01 1 */
	CHECK_EQ_INT(pl.n_waves, 4);
	CHECK_EQ_INT(pl.waves[0].at_ms, NOON + HOUR);
	CHECK_EQ_INT(pl.waves[1].at_ms, NOON + HOUR + MIN);
	CHECK_EQ_INT(pl.waves[2].at_ms, NOON + 2 * HOUR);
	CHECK_EQ_INT(pl.waves[3].at_ms, NOON + 2 * HOUR + MIN);
	CHECK_EQ_INT(pl.waves[3].count, 1);
	CHECK_EQ_INT(pl.n_windows, 2);
	CHECK_EQ_INT(pl.windows[0].start_ms, NOON + HOUR);
	CHECK_EQ_INT(pl.windows[0].end_ms, NOON + HOUR + 2 * MIN);
	CHECK_EQ_INT(pl.windows[1].start_ms, NOON + 2 * HOUR);
	core_plan_release(&pl);
	/* inside a window now: at once; endTime before the next window cuts */
	p.end_ms = NOON + 30 * MIN;
	pl = plan_new(&p, NOON + MIN, 7);
	CHECK_EQ_INT(pl.waves[0].at_ms, NOON + MIN);
	CHECK_EQ_INT(pl.executions, 2); /* 12:01 only; the window closed at 12:02 */
	CHECK_EQ_INT(pl.never, 5);
	CHECK(pl.notes & CORE_PLAN_NOTE_END_CUTS);
	core_plan_release(&pl);
	free(p.windows);
}

TEST(started_job_remainder)
{
	struct jd_policy p = paced(4);
	struct core_plan_in in = {.p = &p,
	    .now = NOON,
	    .started = true,
	    .pending = 9,
	    .notified = 8,
	    .next_ms = NOON + 20000};
	struct core_plan pl;

	core_plan_rollout(&in, &pl);
	CHECK_EQ_INT(pl.released, 8);
	CHECK_EQ_INT(pl.n_waves, 3);
	CHECK_EQ_INT(pl.waves[0].at_ms, NOON + 20000);
	CHECK_EQ_INT(pl.waves[0].cumulative, 12);
	CHECK_EQ_INT(pl.waves[2].count, 1);
	CHECK_EQ_INT(pl.waves[2].cumulative, 17);
	core_plan_release(&pl);
	/* overdue batches show at now (the timer catches up) */
	in.next_ms = NOON - 3 * MIN;
	core_plan_rollout(&in, &pl);
	CHECK_EQ_INT(pl.waves[0].at_ms, NOON);
	CHECK_EQ_INT(pl.waves[0].count, 9); /* three overdue batches, one wave */
	core_plan_release(&pl);
	/* paused: planned as resumed now */
	in.next_ms = INT64_C(1) << 62;
	in.held = in.paused = true;
	core_plan_rollout(&in, &pl);
	CHECK_EQ_INT(pl.waves[0].at_ms, NOON);
	CHECK_EQ_INT(pl.waves[1].at_ms, NOON + MIN);
	CHECK(pl.notes & CORE_PLAN_NOTE_PAUSED);
	core_plan_release(&pl);
	/* nothing waits */
	in.pending = 0;
	in.next_ms = 0;
	in.held = in.paused = false;
	core_plan_rollout(&in, &pl);
	CHECK_EQ_INT(pl.n_waves, 0);
	CHECK(pl.notes & CORE_PLAN_NOTE_NOTHING);
	core_plan_release(&pl);
}

TEST(many_waves_are_counted_not_listed)
{
	struct jd_policy p = paced(1);
	struct core_plan pl = plan_new(&p, NOON, CORE_PLAN_WAVES_MAX + 500);

	CHECK_EQ_INT(pl.n_waves, CORE_PLAN_WAVES_MAX);
	CHECK_EQ_INT(pl.waves_total, CORE_PLAN_WAVES_MAX + 500);
	CHECK_EQ_INT(pl.executions, CORE_PLAN_WAVES_MAX + 500);
	CHECK_EQ_INT(pl.completion_ms, NOON + (CORE_PLAN_WAVES_MAX + 499) * MIN);
	CHECK(pl.notes & CORE_PLAN_NOTE_WAVES_CUT);
	CHECK(core_plan_note_text(CORE_PLAN_NOTE_WAVES_CUT) != NULL);
	CHECK(core_plan_note_text(3) == NULL);
	core_plan_release(&pl);
	core_plan_release(NULL);
}

TEST(window_act_table)
{
	struct jd_policy p = paced(2);

	CHECK_EQ_INT(core_window_act(&p, JD_JOB_SCHEDULED, true, false, NOON), CORE_WACT_NONE);
	window(&p, "cron(0 12 * * ? *)", 10); /* 12:00-12:10 */
	CHECK_EQ_INT(core_window_act(&p, JD_JOB_SCHEDULED, false, false, NOON + MIN),
	    CORE_WACT_OPEN);
	CHECK_EQ_INT(core_window_act(&p, JD_JOB_IN_PROGRESS, true, false, NOON + MIN),
	    CORE_WACT_NONE);
	CHECK_EQ_INT(core_window_act(&p, JD_JOB_IN_PROGRESS, true, false, NOON + 10 * MIN),
	    CORE_WACT_PAUSE);
	CHECK_EQ_INT(core_window_act(&p, JD_JOB_IN_PROGRESS, false, true, NOON + 10 * MIN),
	    CORE_WACT_PAUSE);
	/* a snapshot job whose rollout is done stays IN_PROGRESS */
	CHECK_EQ_INT(core_window_act(&p, JD_JOB_IN_PROGRESS, false, false, NOON + 10 * MIN),
	    CORE_WACT_NONE);
	p.end_ms = NOON + HOUR;
	CHECK_EQ_INT(core_window_act(&p, JD_JOB_SCHEDULED, true, false, NOON + HOUR),
	    CORE_WACT_END);
	free(p.windows);
}

int
main(void)
{
	RUN(not_paced_all_at_once);
	RUN(constant_rate);
	RUN(exponential_matches_engine_arithmetic);
	RUN(start_time_and_end_time);
	RUN(windows_hold_and_release);
	RUN(started_job_remainder);
	RUN(many_waves_are_counted_not_listed);
	RUN(window_act_table);
	return test_report();
}
