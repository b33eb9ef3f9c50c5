/*
 * test_sched_due.c: core_schedule_due (core/plan.c), the time the timer's
 * schedule passes may next act on a job, which svc stores with every job
 * write so that a pass reads only the jobs due. Checked against the passes'
 * own decisions, minute by minute: for every policy shape, status, waiting
 * rollout and selection, and several nows, no pass acts between now and the
 * due time (never late), and one acts at the due time (exact), or none
 * acts for three days when it says never (0).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/plan.h"
#include "core/policy.h"
#include "test.h"
#include "policy_kit.h"

/* Does one of the passes act on the job at t? The start pass (timers.c
 * started), the window pass (schedule.c window_act) and the end pass
 * (schedule.c ended), as they decide. */
static bool
acts(const struct jd_policy *p, int status, bool waiting, bool continuous, int64_t t)
{
	if (status == JD_JOB_SCHEDULED && p->n_windows == 0 &&
	    core_schedule_phase(p, t) != CORE_SCHEDULE_BEFORE)
		return true;
	if (p->n_windows > 0 &&
	    core_window_act(p, status, waiting, continuous, t) != CORE_WACT_NONE)
		return true;
	return status == JD_JOB_IN_PROGRESS && p->end_ms != 0 && p->end_ms <= t;
}

static int checked;

static void
check_one(const struct jd_policy *p, int status, bool waiting, bool continuous, int64_t now)
{
	int64_t due = core_schedule_due(p, status, waiting, continuous, now);
	int64_t horizon = due != 0 ? due : now + 3 * 24 * HOUR;
	int64_t t = now;

	CHECK(due == 0 || due >= now);
	/* nothing acts before it: now, then each minute boundary */
	while (t < horizon) {
		if (acts(p, status, waiting, continuous, t)) {
			test__fail_int(__FILE__, __LINE__, "acts at", "due", t, due);
			return;
		}
		t = (t / MIN + 1) * MIN;
	}
	/* and something acts at it */
	if (due != 0)
		CHECK(acts(p, status, waiting, continuous, due));
	checked++;
}

static void
check_all(const struct jd_policy *p)
{
	static const int statuses[] = {JD_JOB_SCHEDULED, JD_JOB_IN_PROGRESS, JD_JOB_COMPLETED,
	    JD_JOB_CANCELED};
	static const int64_t nows[] = {NOON - 5 * MIN - 1234, NOON, NOON + 5 * MIN,
	    NOON + 15 * MIN + 7, NOON + 45 * MIN, NOON + 3 * HOUR + 30 * MIN, NOON + 30 * HOUR};

	for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++)
		for (int w = 0; w < 4; w++)
			for (size_t n = 0; n < sizeof(nows) / sizeof(nows[0]); n++)
				check_one(p, statuses[s], (w & 1) != 0, (w & 2) != 0, nows[n]);
}

TEST(no_schedule)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	check_all(&p);
	/* a SCHEDULED job without a start is due at once; others never */
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_SCHEDULED, false, false, NOON), NOON);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_IN_PROGRESS, true, true, NOON), 0);
}

TEST(start_and_end)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	p.present = JD_POLICY_SCHEDULE;
	p.start_ms = NOON + 10 * MIN;
	check_all(&p);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_SCHEDULED, false, false, NOON), NOON + 10 * MIN);
	p.end_ms = NOON + 2 * HOUR;
	check_all(&p);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_IN_PROGRESS, false, false, NOON),
	    NOON + 2 * HOUR);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_COMPLETED, false, false, NOON), 0);
	p.start_ms = 0;
	check_all(&p);
}

TEST(one_daily_window)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	window(&p, "cron(0 12 * * ? *)", 10); /* 12:00-12:10 */
	check_all(&p);
	/* SCHEDULED before it: its opening; inside it: at once */
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_SCHEDULED, true, false, NOON - MIN), NOON);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_SCHEDULED, true, false, NOON + MIN), NOON + MIN);
	/* IN_PROGRESS with something to roll out: its closing; with nothing, never */
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_IN_PROGRESS, true, false, NOON + MIN),
	    NOON + 10 * MIN);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_IN_PROGRESS, false, false, NOON + MIN), 0);
	/* after it: the next day's */
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_SCHEDULED, true, false, NOON + 11 * MIN),
	    NOON + 24 * HOUR);
	p.start_ms = NOON + 3 * HOUR;
	p.end_ms = NOON + 30 * HOUR;
	check_all(&p);
	free(p.windows);
}

TEST(overlapping_and_touching_windows_make_one_span)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	window(&p, "cron(0 12 * * ? *)", 30);  /* 12:00-12:30 */
	window(&p, "cron(20 12 * * ? *)", 30); /* 12:20-12:50 */
	window(&p, "cron(50 12 * * ? *)", 5);  /* 12:50-12:55, touching */
	check_all(&p);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_IN_PROGRESS, true, false, NOON + MIN),
	    NOON + 55 * MIN);
	p.end_ms = NOON + 40 * MIN;
	check_all(&p);
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_IN_PROGRESS, true, false, NOON + MIN),
	    NOON + 40 * MIN);
	free(p.windows);
}

TEST(hourly_window_with_start_and_end)
{
	struct jd_policy p;

	memset(&p, 0, sizeof(p));
	window(&p, "cron(0 * * * ? *)", 2);
	p.start_ms = NOON + 30 * MIN;
	p.end_ms = NOON + 4 * HOUR + 1 * MIN; /* inside the 16:00 window */
	check_all(&p);
	/* before startTime: the first window from it (13:00) */
	CHECK_EQ_INT(core_schedule_due(&p, JD_JOB_SCHEDULED, true, false, NOON), NOON + HOUR);
	/* endTime before the next window: it comes first */
	CHECK_EQ_INT(
	    core_schedule_due(&p, JD_JOB_SCHEDULED, true, false, NOON + 3 * HOUR + 5 * MIN),
	    NOON + 4 * HOUR);
	free(p.windows);
}

TEST(every_shape_was_checked)
{
	CHECK(checked > 500);
}

int
main(void)
{
	RUN(no_schedule);
	RUN(start_and_end);
	RUN(one_daily_window);
	RUN(overlapping_and_touching_windows_make_one_span);
	RUN(hourly_window_with_start_and_end);
	RUN(every_shape_was_checked);
	return test_report();
}
