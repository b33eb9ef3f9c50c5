/*
 * test_transition.c: core_exec_apply and core_job_apply, the moves of an
 * execution and a job applied in one place.
 *
 * Besides the cases by op, every allowed move is compared with a copy of
 * what the engine wrote at its call sites before the moves were gathered
 * here (the status setter of jobs.c, StartNext and UpdateJobExecution of
 * exec.c), over a grid of states, timeouts and step timers.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/model.h"
#include "core/transition.h"
#include "test.h"
#include "util/buf.h"

#define MIN CORE_MIN_MS
#define NOON INT64_C(1704110400000) /* 2024-01-01T12:00:00Z */

static struct jd_exec
exec_in(int status)
{
	struct jd_exec x;

	memset(&x, 0, sizeof(x));
	strcpy(x.job_id, "job1");
	strcpy(x.thing_name, "thing1");
	x.number = 1;
	x.status = status;
	x.queued_ms = NOON - 60 * MIN;
	x.updated_ms = NOON - 30 * MIN;
	x.version = 3;
	if (status != JD_EXEC_QUEUED)
		x.started_ms = NOON - 30 * MIN;
	if (status == JD_EXEC_IN_PROGRESS) {
		x.inprogress_deadline = NOON + 30 * MIN;
		x.step_deadline = NOON + 5 * MIN;
	}
	return x;
}

/* Every field but details equal, and details equal as text. */
static bool
same_exec(const struct jd_exec *a, const struct jd_exec *b)
{
	struct jd_exec x = *a, y = *b;

	if ((a->details == NULL) != (b->details == NULL) ||
	    (a->details != NULL && strcmp(a->details, b->details) != 0))
		return false;
	x.details = y.details = NULL;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* ---- the engine's code before, as it was at each call site -------------- */

/* jobs.c svc__exec_set_status: cancel, timeout, remove (checked by the caller). */
static void
old_set_status(struct jd_exec *x, int to, int64_t now)
{
	if (x->status == JD_EXEC_IN_PROGRESS && to == JD_EXEC_CANCELED)
		x->force_canceled = true;
	x->status = to;
	x->version++;
	x->updated_ms = now;
	if (core_exec_status_terminal(to))
		x->inprogress_deadline = x->step_deadline = 0;
}

/* exec.c svc_dev_start_next on a QUEUED head. */
static void
old_start_next(struct jd_exec *x, int64_t timeout_min, int64_t step_minutes, const char *details,
    int64_t now)
{
	x->status = JD_EXEC_IN_PROGRESS;
	x->started_ms = now;
	x->updated_ms = now;
	x->version++;
	x->inprogress_deadline = core_inprogress_deadline(now, timeout_min);
	if (step_minutes > 0)
		x->step_deadline = core_step_deadline(now, step_minutes, x->inprogress_deadline);
	if (details != NULL) {
		free(x->details);
		x->details = jd_strdup(details);
	}
}

/* exec.c svc_dev_update after its checks. */
static void
old_dev_update(struct jd_exec *x, int to, int64_t timeout_min, int64_t step_minutes,
    const char *details, int64_t now)
{
	if (x->status == JD_EXEC_QUEUED && to == JD_EXEC_IN_PROGRESS) {
		x->started_ms = now;
		x->inprogress_deadline = core_inprogress_deadline(now, timeout_min);
	}
	x->status = to;
	x->updated_ms = now;
	x->version++;
	if (details != NULL) {
		free(x->details);
		x->details = jd_strdup(details);
	}
	if (step_minutes == -1)
		x->step_deadline = 0;
	else if (step_minutes > 0)
		x->step_deadline = core_step_deadline(now, step_minutes, x->inprogress_deadline);
	if (core_exec_status_terminal(x->status))
		x->inprogress_deadline = x->step_deadline = 0;
}

/* ---- refusals ----------------------------------------------------------- */

TEST(refusals_match_the_table_and_leave_x_unchanged)
{
	struct core_exec_change c = {"{\"k\":\"v\"}", 5, 20};
	int mismatches = 0, unchanged_bad = 0, refused = 0;

	for (int op = 0; op < CORE_OP__COUNT; op++)
		for (int from = 0; from < JD_EXEC__COUNT; from++)
			for (int to = -1; to <= JD_EXEC__COUNT; to++)
				for (int force = 0; force < 2; force++) {
					struct jd_exec x = exec_in(from), before;
					struct jd_error e;
					int want = core_exec_check(op, from, to, force, NULL);
					int got;

					x.details = jd_strdup("{\"old\":\"1\"}");
					before = x;
					jd_error_init(&e);
					got = core_exec_apply(&x, op, to, force, &c, NOON, &e);
					if (got != want)
						mismatches++;
					if (got != 0) {
						refused++;
						if (memcmp(&x, &before, sizeof(x)) != 0 ||
						    e.code != got || e.msg[0] == '\0')
							unchanged_bad++;
					}
					jd_error_clear(&e);
					free(x.details);
				}
	CHECK_EQ_INT(mismatches, 0);
	CHECK_EQ_INT(unchanged_bad, 0);
	CHECK(refused > 0);
}

TEST(refusal_without_error)
{
	struct jd_exec x = exec_in(JD_EXEC_SUCCEEDED), before = x;

	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_FAILED, false, NULL, NOON, NULL),
	    JD_ESTATE);
	CHECK(memcmp(&x, &before, sizeof(x)) == 0);
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_QUEUED, false, NULL, NOON, NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP__COUNT, JD_EXEC_QUEUED, false, NULL, NOON, NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_exec_apply(&x, -1, JD_EXEC_QUEUED, false, NULL, NOON, NULL), JD_EINVAL);
	CHECK(memcmp(&x, &before, sizeof(x)) == 0);
	/* an unknown current state */
	x.status = JD_EXEC__COUNT;
	before = x;
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_CANCEL, JD_EXEC_CANCELED, true, NULL, NOON, NULL),
	    JD_EINVAL);
	CHECK(memcmp(&x, &before, sizeof(x)) == 0);
}

/* ---- each op ------------------------------------------------------------ */

TEST(device_update_starts)
{
	struct jd_exec x = exec_in(JD_EXEC_QUEUED);
	struct core_exec_change c = {NULL, 0, 20};

	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c, NOON, NULL),
	    0);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(x.version, 4);
	CHECK_EQ_INT(x.updated_ms, NOON);
	CHECK_EQ_INT(x.started_ms, NOON);
	CHECK_EQ_INT(x.queued_ms, NOON - 60 * MIN);
	CHECK_EQ_INT(x.inprogress_deadline, NOON + 20 * MIN);
	CHECK_EQ_INT(x.step_deadline, 0);
	CHECK(x.details == NULL);
	CHECK(!x.force_canceled);

	/* no timeout: no in-progress deadline; a step timer alone */
	x = exec_in(JD_EXEC_QUEUED);
	c = (struct core_exec_change){NULL, 7, 0};
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c, NOON, NULL),
	    0);
	CHECK_EQ_INT(x.inprogress_deadline, 0);
	CHECK_EQ_INT(x.step_deadline, NOON + 7 * MIN);

	/* the step timer is capped by the in-progress deadline set by the same move */
	x = exec_in(JD_EXEC_QUEUED);
	c = (struct core_exec_change){NULL, 30, 10};
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c, NOON, NULL),
	    0);
	CHECK_EQ_INT(x.inprogress_deadline, NOON + 10 * MIN);
	CHECK_EQ_INT(x.step_deadline, NOON + 10 * MIN);
}

TEST(device_update_in_progress_again)
{
	struct jd_exec x = exec_in(JD_EXEC_IN_PROGRESS);
	struct core_exec_change c = {"{\"p\":\"50\"}", 0, 20};

	/* already started: started_ms and the in-progress deadline stay */
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c,
	                 NOON + MIN, NULL),
	    0);
	CHECK_EQ_INT(x.version, 4);
	CHECK_EQ_INT(x.updated_ms, NOON + MIN);
	CHECK_EQ_INT(x.started_ms, NOON - 30 * MIN);
	CHECK_EQ_INT(x.inprogress_deadline, NOON + 30 * MIN);
	CHECK_EQ_INT(x.step_deadline, NOON + 5 * MIN); /* step 0: unchanged */
	CHECK_EQ_STR(x.details, "{\"p\":\"50\"}");

	/* a new step timer from now, capped by the in-progress deadline */
	c = (struct core_exec_change){NULL, 10, 20};
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c,
	                 NOON + 2 * MIN, NULL),
	    0);
	CHECK_EQ_INT(x.step_deadline, NOON + 12 * MIN);
	CHECK_EQ_STR(x.details, "{\"p\":\"50\"}"); /* NULL details: unchanged */
	CHECK_EQ_INT(x.version, 5);
	c.step_minutes = 60;
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c,
	                 NOON + 3 * MIN, NULL),
	    0);
	CHECK_EQ_INT(x.step_deadline, NOON + 30 * MIN);

	/* -1 discards the step timer */
	c.step_minutes = -1;
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, JD_EXEC_IN_PROGRESS, false, &c,
	                 NOON + 4 * MIN, NULL),
	    0);
	CHECK_EQ_INT(x.step_deadline, 0);
	CHECK_EQ_INT(x.inprogress_deadline, NOON + 30 * MIN);
	CHECK_EQ_INT(x.version, 7);
	free(x.details);
}

TEST(device_update_terminal)
{
	static const int ends[] = {JD_EXEC_SUCCEEDED, JD_EXEC_FAILED, JD_EXEC_REJECTED};

	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		struct jd_exec x = exec_in(JD_EXEC_IN_PROGRESS);
		struct core_exec_change c = {"{\"r\":\"x\"}", 5, 20};

		CHECK_EQ_INT(
		    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, ends[i], false, &c, NOON, NULL), 0);
		CHECK_EQ_INT(x.status, ends[i]);
		CHECK_EQ_INT(x.version, 4);
		CHECK_EQ_INT(x.updated_ms, NOON);
		CHECK_EQ_INT(x.started_ms, NOON - 30 * MIN);
		CHECK_EQ_INT(x.inprogress_deadline, 0); /* terminal: no timers */
		CHECK_EQ_INT(x.step_deadline, 0);
		CHECK_EQ_STR(x.details, "{\"r\":\"x\"}");
		CHECK(!x.force_canceled);
		free(x.details);

		/* straight from QUEUED: never started */
		x = exec_in(JD_EXEC_QUEUED);
		CHECK_EQ_INT(
		    core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, ends[i], false, &c, NOON, NULL), 0);
		CHECK_EQ_INT(x.started_ms, 0);
		CHECK_EQ_INT(x.inprogress_deadline, 0);
		CHECK_EQ_INT(x.step_deadline, 0);
		free(x.details);
	}
}

TEST(start_next)
{
	struct jd_exec x = exec_in(JD_EXEC_QUEUED);
	struct core_exec_change c = {"{\"a\":\"b\"}", 5, 20};

	x.details = jd_strdup("{\"old\":\"1\"}");
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_START_NEXT, JD_EXEC_IN_PROGRESS, false, &c, NOON, NULL), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(x.version, 4);
	CHECK_EQ_INT(x.started_ms, NOON);
	CHECK_EQ_INT(x.updated_ms, NOON);
	CHECK_EQ_INT(x.inprogress_deadline, NOON + 20 * MIN);
	CHECK_EQ_INT(x.step_deadline, NOON + 5 * MIN);
	CHECK_EQ_STR(x.details, "{\"a\":\"b\"}");
	free(x.details);

	/* no change struct: no timers, details kept */
	x = exec_in(JD_EXEC_QUEUED);
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_START_NEXT, JD_EXEC_IN_PROGRESS, false, NULL, NOON, NULL),
	    0);
	CHECK_EQ_INT(x.inprogress_deadline, 0);
	CHECK_EQ_INT(x.step_deadline, 0);
	CHECK(x.details == NULL);

	/* only a QUEUED execution starts */
	x = exec_in(JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_START_NEXT, JD_EXEC_IN_PROGRESS, false, &c, NOON, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(x.version, 3);
}

TEST(cancel)
{
	struct jd_exec x = exec_in(JD_EXEC_QUEUED);
	struct core_exec_change c = {"{\"why\":\"op\"}", 0, 0};
	struct jd_error e;

	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_CANCEL, JD_EXEC_CANCELED, false, &c, NOON, NULL),
	    0);
	CHECK_EQ_INT(x.status, JD_EXEC_CANCELED);
	CHECK_EQ_INT(x.version, 4);
	CHECK_EQ_INT(x.updated_ms, NOON);
	CHECK(!x.force_canceled); /* QUEUED: not a forced cancel */
	CHECK_EQ_STR(x.details, "{\"why\":\"op\"}");
	free(x.details);

	/* IN_PROGRESS needs force, and is then marked forced */
	x = exec_in(JD_EXEC_IN_PROGRESS);
	jd_error_init(&e);
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_CANCEL, JD_EXEC_CANCELED, false, NULL, NOON, &e),
	    JD_ESTATE);
	CHECK_EQ_INT(e.code, JD_ESTATE);
	CHECK_EQ_STR(e.msg, "Job execution is IN_PROGRESS; set force=true to cancel it");
	jd_error_clear(&e);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_CANCEL, JD_EXEC_CANCELED, true, NULL, NOON, NULL),
	    0);
	CHECK(x.force_canceled);
	CHECK_EQ_INT(x.status, JD_EXEC_CANCELED);
	CHECK_EQ_INT(x.version, 4);
	CHECK_EQ_INT(x.inprogress_deadline, 0);
	CHECK_EQ_INT(x.step_deadline, 0);
	CHECK_EQ_INT(x.started_ms, NOON - 30 * MIN);

	/* terminal: refused, even with force */
	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_CANCEL, JD_EXEC_CANCELED, true, NULL, NOON, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(x.version, 4);
}

TEST(time_out)
{
	struct jd_exec x = exec_in(JD_EXEC_IN_PROGRESS);

	CHECK_EQ_INT(core_exec_apply(&x, CORE_OP_TIMEOUT, JD_EXEC_TIMED_OUT, false, NULL,
	                 NOON + 5 * MIN, NULL),
	    0);
	CHECK_EQ_INT(x.status, JD_EXEC_TIMED_OUT);
	CHECK_EQ_INT(x.version, 4);
	CHECK_EQ_INT(x.updated_ms, NOON + 5 * MIN);
	CHECK_EQ_INT(x.inprogress_deadline, 0);
	CHECK_EQ_INT(x.step_deadline, 0);
	CHECK(!x.force_canceled);
	x = exec_in(JD_EXEC_QUEUED);
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_TIMEOUT, JD_EXEC_TIMED_OUT, false, NULL, NOON, NULL),
	    JD_ESTATE);
}

TEST(remove_thing_gone)
{
	int pend[] = {JD_EXEC_QUEUED, JD_EXEC_IN_PROGRESS};

	for (int i = 0; i < 2; i++) {
		struct jd_exec x = exec_in(pend[i]);

		CHECK_EQ_INT(
		    core_exec_apply(&x, CORE_OP_REMOVE, JD_EXEC_REMOVED, false, NULL, NOON, NULL),
		    0);
		CHECK_EQ_INT(x.status, JD_EXEC_REMOVED);
		CHECK_EQ_INT(x.version, 4);
		CHECK_EQ_INT(x.updated_ms, NOON);
		CHECK_EQ_INT(x.inprogress_deadline, 0);
		CHECK_EQ_INT(x.step_deadline, 0);
		CHECK(!x.force_canceled);
	}
}

TEST(delete_checks_only)
{
	struct jd_exec x = exec_in(JD_EXEC_SUCCEEDED), before = x;

	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DELETE, JD_EXEC_SUCCEEDED, false, NULL, NOON, NULL), 0);
	CHECK(memcmp(&x, &before, sizeof(x)) == 0);
	x = exec_in(JD_EXEC_IN_PROGRESS);
	before = x;
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DELETE, JD_EXEC_IN_PROGRESS, false, NULL, NOON, NULL),
	    JD_ESTATE);
	CHECK_EQ_INT(
	    core_exec_apply(&x, CORE_OP_DELETE, JD_EXEC_IN_PROGRESS, true, NULL, NOON, NULL), 0);
	CHECK(memcmp(&x, &before, sizeof(x)) == 0);
}

/* ---- against the engine's code before ----------------------------------- */

TEST(same_as_before)
{
	static const int64_t steps[] = {-1, 0, 1, 7, 45, 10080};
	static const int64_t timeouts[] = {0, 1, 20, 10080};
	static const char *const details[] = {NULL, "{\"d\":\"1\"}"};
	int compared = 0, differ = 0;

	for (int from = 0; from < JD_EXEC__COUNT; from++)
		for (int to = 0; to < JD_EXEC__COUNT; to++)
			for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
				for (size_t t = 0; t < sizeof(timeouts) / sizeof(timeouts[0]); t++)
					for (size_t d = 0; d < 2; d++) {
						struct core_exec_change c = {details[d], steps[s],
						    timeouts[t]};
						int64_t now = NOON + 3 * MIN;
						struct jd_exec a, b;

						/* UpdateJobExecution */
						if (core_exec_check(CORE_OP_DEVICE_UPDATE, from, to,
						        false, NULL) == 0) {
							a = exec_in(from);
							b = exec_in(from);
							core_exec_apply(&a, CORE_OP_DEVICE_UPDATE,
							    to, false, &c, now, NULL);
							old_dev_update(&b, to, timeouts[t],
							    steps[s], details[d], now);
							differ += !same_exec(&a, &b);
							compared++;
							free(a.details);
							free(b.details);
						}
						/* StartNext (its step is never -1 there: a QUEUED execution has none) */
						if (to == JD_EXEC_IN_PROGRESS &&
						    core_exec_check(CORE_OP_START_NEXT, from, to,
						        false, NULL) == 0) {
							a = exec_in(from);
							b = exec_in(from);
							core_exec_apply(&a, CORE_OP_START_NEXT, to,
							    false, &c, now, NULL);
							old_start_next(&b, timeouts[t], steps[s],
							    details[d], now);
							differ += !same_exec(&a, &b);
							compared++;
							free(a.details);
							free(b.details);
						}
					}
	/* cancel, timeout and remove went through the status setter, with no
	 * details, step or timeout */
	for (int op = CORE_OP_CANCEL; op <= CORE_OP_REMOVE; op++)
		for (int from = 0; from < JD_EXEC__COUNT; from++)
			for (int to = 0; to < JD_EXEC__COUNT; to++)
				for (int force = 0; force < 2; force++) {
					struct jd_exec a = exec_in(from), b = exec_in(from);

					if (core_exec_check(op, from, to, force, NULL) != 0)
						continue;
					core_exec_apply(&a, op, to, force, NULL, NOON, NULL);
					old_set_status(&b, to, NOON);
					differ += !same_exec(&a, &b);
					compared++;
				}
	CHECK_EQ_INT(differ, 0);
	CHECK_EQ_INT(compared, 441); /* 384 updates, 48 starts, 9 status moves */
}

/* ---- jobs --------------------------------------------------------------- */

static struct jd_job
job_in(int status)
{
	struct jd_job j;

	memset(&j, 0, sizeof(j));
	strcpy(j.job_id, "job1");
	j.status = status;
	j.created_ms = NOON - 60 * MIN;
	j.updated_ms = NOON - 30 * MIN;
	if (status == JD_JOB_COMPLETED || status == JD_JOB_CANCELED)
		j.completed_ms = NOON - 10 * MIN;
	return j;
}

TEST(job_moves)
{
	/* allowed[from] = set of `to` */
	static const unsigned allowed[JD_JOB__COUNT] = {
	    /* SCHEDULED: a maintenance window closed (spec §8, IN_PROGRESS -> SCHEDULED) */
	    [JD_JOB_IN_PROGRESS] = 1u << JD_JOB_CANCELED | 1u << JD_JOB_COMPLETED |
	        1u << JD_JOB_DELETION_IN_PROGRESS | 1u << JD_JOB_SCHEDULED,
	    [JD_JOB_SCHEDULED] = 1u << JD_JOB_IN_PROGRESS | 1u << JD_JOB_CANCELED |
	        1u << JD_JOB_DELETION_IN_PROGRESS,
	    [JD_JOB_CANCELED] = 1u << JD_JOB_CANCELED | 1u << JD_JOB_DELETION_IN_PROGRESS,
	    [JD_JOB_COMPLETED] = 1u << JD_JOB_DELETION_IN_PROGRESS,
	    [JD_JOB_DELETION_IN_PROGRESS] = 0,
	};

	for (int from = 0; from < JD_JOB__COUNT; from++)
		for (int to = -1; to <= JD_JOB__COUNT; to++) {
			struct jd_job j = job_in(from), before = j;
			bool ok =
			    to >= 0 && to < JD_JOB__COUNT && (allowed[from] & (1u << to)) != 0;
			int rc = core_job_apply(&j, to, NOON);

			CHECK_EQ_INT(rc, ok ? 0 : JD_ESTATE);
			if (!ok) {
				CHECK(memcmp(&j, &before, sizeof(j)) == 0);
				continue;
			}
			CHECK_EQ_INT(j.status, to);
			CHECK_EQ_INT(j.updated_ms, NOON);
			CHECK_EQ_INT(j.created_ms, before.created_ms);
			if (to == JD_JOB_COMPLETED || to == JD_JOB_CANCELED)
				CHECK_EQ_INT(j.completed_ms,
				    before.completed_ms ? before.completed_ms : NOON);
			else
				CHECK_EQ_INT(j.completed_ms, before.completed_ms);
		}
	/* an unknown current status */
	{
		struct jd_job j = job_in(JD_JOB__COUNT);
		CHECK_EQ_INT(core_job_apply(&j, JD_JOB_CANCELED, NOON), JD_ESTATE);
		j.status = -1;
		CHECK_EQ_INT(core_job_apply(&j, JD_JOB_CANCELED, NOON), JD_ESTATE);
	}
}

TEST(job_timestamps)
{
	struct jd_job j = job_in(JD_JOB_IN_PROGRESS);

	/* complete */
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_COMPLETED, NOON), 0);
	CHECK_EQ_INT(j.completed_ms, NOON);
	CHECK_EQ_INT(j.updated_ms, NOON);
	/* then deleted: completion time kept */
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_DELETION_IN_PROGRESS, NOON + MIN), 0);
	CHECK_EQ_INT(j.completed_ms, NOON);
	CHECK_EQ_INT(j.updated_ms, NOON + MIN);
	/* a forced re-cancel keeps the first completion time */
	j = job_in(JD_JOB_IN_PROGRESS);
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_CANCELED, NOON), 0);
	CHECK_EQ_INT(j.completed_ms, NOON);
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_CANCELED, NOON + 5 * MIN), 0);
	CHECK_EQ_INT(j.completed_ms, NOON);
	CHECK_EQ_INT(j.updated_ms, NOON + 5 * MIN);
	/* a scheduled job starts, then completes at once */
	j = job_in(JD_JOB_SCHEDULED);
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_IN_PROGRESS, NOON), 0);
	CHECK_EQ_INT(j.completed_ms, 0);
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_COMPLETED, NOON), 0);
	CHECK_EQ_INT(j.completed_ms, NOON);
	/* other members untouched */
	j = job_in(JD_JOB_IN_PROGRESS);
	j.rollout_next_ms = NOON + MIN;
	j.force_canceled = false;
	CHECK_EQ_INT(core_job_apply(&j, JD_JOB_CANCELED, NOON), 0);
	CHECK_EQ_INT(j.rollout_next_ms, NOON + MIN);
	CHECK(!j.force_canceled);
	CHECK_EQ_STR(j.reason_code, "");
}

TEST(job_done)
{
	struct jd_job j = job_in(JD_JOB_IN_PROGRESS);

	j.selection = JD_SEL_SNAPSHOT;
	CHECK(core_job_done(&j, 0));
	CHECK(!core_job_done(&j, 1));
	j.rollout_next_ms = NOON; /* a batch still waits */
	CHECK(!core_job_done(&j, 0));
	j.rollout_next_ms = 0;
	j.selection = JD_SEL_CONTINUOUS; /* never completes by itself */
	CHECK(!core_job_done(&j, 0));
	j.selection = JD_SEL_SNAPSHOT;
	for (int s = 0; s < JD_JOB__COUNT; s++) {
		j.status = s;
		CHECK_EQ_INT(core_job_done(&j, 0), s == JD_JOB_IN_PROGRESS);
	}
}

int
main(void)
{
	RUN(refusals_match_the_table_and_leave_x_unchanged);
	RUN(refusal_without_error);
	RUN(device_update_starts);
	RUN(device_update_in_progress_again);
	RUN(device_update_terminal);
	RUN(start_next);
	RUN(cancel);
	RUN(time_out);
	RUN(remove_thing_gone);
	RUN(delete_checks_only);
	RUN(same_as_before);
	RUN(job_moves);
	RUN(job_timestamps);
	RUN(job_done);
	return test_report();
}
