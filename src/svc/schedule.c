/*
 * schedule.c: the timer duty of schedulingConfig.endTime (spec §9.5). When a
 * job's endTime has passed:
 *   STOP_ROLLOUT (and no endBehavior): no more executions are created (the
 *     waiting rollout batches are dropped); the job completes once every
 *     execution it has is terminal, CONTINUOUS jobs included;
 *   CANCEL: the job is canceled as CancelJob without force (QUEUED
 *     executions become CANCELED, IN_PROGRESS ones run on);
 *   FORCE_CANCEL: as CancelJob with force (IN_PROGRESS ones too).
 * Same structure as the other duties of timers.c: a scan without the writer
 * lock finds what is due, then one write transaction per job acts on it,
 * reading the job again. Each job is acted on once: a canceled or completed
 * job is no longer IN_PROGRESS, and a stopped rollout has nothing left to
 * stop, so a pass that changes nothing reports nothing fired.
 */
#include "svc/schedule_int.h"

#include <string.h>

#include "core/policy.h"
#include "core/transition.h"
#include "util/log.h"

#define END_COMMENT "Job canceled: its schedulingConfig.endTime was reached"

static bool
ended(const struct jd_job *j, int64_t now)
{
	return j->status == JD_JOB_IN_PROGRESS && j->policy.end_ms != 0 && j->policy.end_ms <= now;
}

/* One job past its end, in a transaction of its own; *changed when it acted. */
static int
end_job(struct svc *s, const char *job_id, int64_t now, bool *changed, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	int64_t active = 0;
	int rc;

	*changed = false;
	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	t.now = now;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc != 0 || !ended(&j, now))
		goto done;
	if (j.policy.end_behavior == JD_END_CANCEL ||
	    j.policy.end_behavior == JD_END_FORCE_CANCEL) {
		rc = svc__job_cancel_tx(&t, &j, j.policy.end_behavior == JD_END_FORCE_CANCEL, NULL,
		    END_COMMENT);
		*changed = rc == 0;
		goto done;
	}
	/* STOP_ROLLOUT: drop what waits, complete when nothing is active */
	if (j.rollout_next_ms != 0) {
		if ((rc = store_rollout_clear(t.tx, j.job_id)) != 0)
			goto done;
		j.rollout_next_ms = 0;
		j.updated_ms = now;
		*changed = true;
	}
	if ((rc = store_exec_active_count(t.tx, j.job_id, &active)) != 0)
		goto done;
	if (active == 0) {
		if ((rc = core_job_apply(&j, JD_JOB_COMPLETED, now)) != 0 ||
		    (rc = svc__event_job(&t, &j, "completed")) != 0)
			goto done;
		*changed = true;
	}
	if (*changed)
		rc = store_job_update(t.tx, &j);
done:
	jd_job_release(&j);
	if (rc != 0 || !*changed) {
		svc__rollback(&t);
		*changed = false;
		return rc == 0 || rc == JD_ENOTFOUND ? 0 : svc__store_err(rc, e);
	}
	return svc__commit(&t, e);
}

int
svc__schedule_end_run(struct svc *s, int64_t now, int *fired, struct jd_error *e)
{
	struct jd_job_filter f = {JD_JOB_IN_PROGRESS, -1, NULL, NULL};
	struct store_tx *tx = NULL;
	struct jd_jobv all = {0};
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_list(tx, &f, 0, 0, jd_jobv_add, &all);
	store_rollback(tx);
	if (rc < 0) {
		jd_jobv_free(&all);
		return svc__store_err(rc, e);
	}
	for (size_t i = 0; i < all.n; i++) {
		struct jd_error je;
		bool changed = false;
		if (!ended(&all.v[i], now))
			continue;
		jd_error_init(&je);
		if (end_job(s, all.v[i].job_id, now, &changed, &je) != 0)
			log_warn("schedule: job %s: %s", all.v[i].job_id, je.msg);
		else if (changed)
			(*fired)++;
		jd_error_clear(&je);
	}
	jd_jobv_free(&all);
	return 0;
}
