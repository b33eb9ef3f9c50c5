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
 *
 * Maintenance windows (schedulingConfig.maintenanceWindows) are a second
 * duty of the same shape, run first in each timer pass so that nothing is
 * rolled out at a time outside every window: core_schedule_window says what
 * a windowed job should be at now, and
 *   a SCHEDULED job in an open window starts (svc__job_start) the first
 *     time, or resumes: IN_PROGRESS again, its waiting rollout batch due at
 *     once;
 *   an IN_PROGRESS job whose windows closed while it still has something to
 *     roll out (waiting batches, or a CONTINUOUS job's fan-out) pauses:
 *     SCHEDULED, its next batch never due (PAUSED) until it resumes.
 *     Executions already queued or in progress are left alone;
 *   a SCHEDULED job past its endTime becomes IN_PROGRESS without queuing
 *     anything, so that the end duty right after acts on it (endTime wins).
 * A paused CONTINUOUS job queues nothing for the things that join its groups
 * (the membership hook, coverage.c, queues for IN_PROGRESS jobs only; things
 * that leave have their pending executions REMOVED as ever). When it resumes,
 * catch_up queues, in the same transaction, every member of its target
 * groups that the job has not reached: no execution of it other than
 * REMOVED, and not waiting in its paced rollout queue. So a thing that joined
 * and left while paused gets nothing, and each thing gets one execution.
 * Cost: one read of the groups' members and of the job's executions per
 * resume of a continuous job (once per window), none per join.
 *
 * What the passes read (issue 15, cost flat in store size): every job write
 * stores when a pass may next act on the job (jd_job.sched_due_ms,
 * core_schedule_due: its start, its endTime, its next window boundary), and
 * the start, window and end passes list only the jobs due at now
 * (store_job_sched_due, a partial index), never every waiting job. A due
 * job that no pass changed and that waits for a later time gets its next
 * due time after the passes (svc__schedule_due_refresh); one due and left
 * as it is (paused by an operator before its start) is read again on each
 * pass, as every waiting job was before.
 */
#include "svc/schedule_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "core/policy.h"
#include "core/transition.h"
#include "store/store_sched.h"
#include "util/buf.h"
#include "util/log.h"

#include "svc/cluster_int.h"
#include "svc/jobs_int.h"
#include "svc/targets_int.h"
#include "svc/timeline_int.h"

/* rollout_next_ms of a paused rollout: never due (a clock jump over a whole
 * window must not release a batch), but not 0, which means "nothing waits";
 * the same value holds an operator's pause (pause.c) */
#define PAUSED SVC_ROLLOUT_HELD

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
	if ((rc = svc__duty_begin(s, &t, e)) != 0)
		return rc;
	t.now = now;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc != 0 || !ended(&j, now))
		goto done;
	if ((rc = svc__timeline(&t, j.job_id, "END_TIME_REACHED", "endBehavior %s",
	         j.policy.end_behavior != JD_END_NONE ?
	             core_end_behavior_name(j.policy.end_behavior) :
	             "STOP_ROLLOUT (the default)")) != 0)
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
		    (rc = svc__event_job(&t, &j, "completed")) != 0 ||
		    (rc = svc__timeline_ended(&t, j.job_id, "COMPLETED",
		         "endTime reached; every execution ended")) != 0)
			goto done;
		*changed = true;
	}
	if (*changed)
		rc = svc__job_save(&t, &j);
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
svc__due_add(void *arg, const struct jd_job *j)
{
	struct svc_due_jobs *x = arg;

	return x->due(j, x->now) ? jd_jobv_add(&x->v, j) : 0;
}

/* The jobs due at now (store_job_sched_due) that `due->due` keeps, into
 * due->v (freed on failure). */
static int
read_due(struct svc *s, struct svc_due_jobs *due, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_sched_due(tx, due->now, 0, svc__due_add, due);
	store_rollback(tx);
	if (rc < 0) {
		jd_jobv_free(&due->v);
		return svc__store_err(rc, e);
	}
	return 0;
}

int
svc__schedule_end_run(struct svc *s, int64_t now, int *fired, struct jd_error *e)
{
	struct svc_due_jobs due = {{0}, now, ended};
	int rc;

	if ((rc = read_due(s, &due, e)) != 0)
		return rc;
	for (size_t i = 0; i < due.v.n; i++) {
		struct jd_error je;
		bool changed = false;
		jd_error_init(&je);
		if (end_job(s, due.v.v[i].job_id, now, &changed, &je) != 0)
			log_warn("schedule: job %s: %s", due.v.v[i].job_id, je.msg);
		else if (changed)
			(*fired)++;
		jd_error_clear(&je);
	}
	jd_jobv_free(&due.v);
	return 0;
}

/* ---- maintenance windows ------------------------------------------------ */

/* What the window duty would do to j at now (0 = nothing). */
enum window_act { W_NONE = 0, W_OPEN, W_PAUSE, W_END };

static enum window_act
window_act(const struct jd_job *j, int64_t now)
{
	/* the decision is core's, so that the what-if plan (core/plan.c)
	 * takes the same one */
	switch (core_window_act(&j->policy, j->status, j->rollout_next_ms != 0,
	    j->selection == JD_SEL_CONTINUOUS, now)) {
	case CORE_WACT_OPEN:
		return W_OPEN;
	case CORE_WACT_PAUSE:
		return W_PAUSE;
	case CORE_WACT_END:
		return W_END;
	default:
		return W_NONE;
	}
}

static int
one_exec(void *arg, const struct jd_exec *x)
{
	(void)x;
	*(bool *)arg = true;
	return 1;
}

/* ---- a continuous job's catch-up when it resumes --------------------------- */

/* things the job reached: an execution other than REMOVED */
static int
reached_add(void *arg, const struct jd_exec *x)
{
	return x->status == JD_EXEC_REMOVED ? 0 : svc__tset_add(arg, x->thing_name);
}

/* The members (at any depth) of the job's target groups, sorted. */
static int
group_members(struct store_tx *tx, const struct jd_job *j, struct tset *out)
{
	json_t *arr = json_loads(j->targets ? j->targets : "[]", 0, NULL);
	size_t i;
	json_t *v;
	int rc = 0;

	json_array_foreach(arr, i, v)
	{
		const char *arn = json_string_value(v), *g;
		if (arn == NULL || (g = strstr(arn, ":thinggroup/")) == NULL)
			continue;
		g += strlen(":thinggroup/");
		rc = store_member_list(tx, g, true, "", 100000000, svc__tset_add, out);
		if (rc == JD_ENOTFOUND)
			rc = 0; /* deleted since: nothing to reach through it */
		if (rc != 0)
			break;
	}
	json_decref(arr);
	svc__tset_unique(out);
	return rc;
}

/* A paused CONTINUOUS job resumes: queue the members of its target groups
 * that joined while it was paused (those it has not reached), now. Things
 * waiting in its paced rollout queue stay there, in their order. */
int
svc__schedule_catch_up(struct svc_tx *t, struct jd_job *j)
{
	struct tset members = {0}, reached = {0}, waiting = {0};
	int rc;

	if ((rc = group_members(t->tx, j, &members)) != 0 || members.n == 0)
		goto out;
	if ((rc = store_exec_list_job(t->tx, j->job_id, -1, NULL, 0, 0, reached_add, &reached)) < 0)
		goto out;
	rc = 0;
	if (j->rollout_next_ms != 0) {
		/* the queue has no lookup: read it whole and put it back as it was */
		if ((rc = store_rollout_pop(t->tx, j->job_id, 0, svc__tset_add, &waiting)) != 0)
			goto out;
		for (size_t i = 0; i < waiting.n; i++)
			if ((rc = store_rollout_push(t->tx, j->job_id, (int64_t)i, waiting.v[i])) !=
			    0)
				goto out;
		for (size_t i = 0; i < waiting.n; i++)
			svc__tset_add(&reached, waiting.v[i]);
	}
	svc__tset_unique(&reached);
	for (size_t i = 0; i < members.n && rc == 0; i++)
		if (!svc__tset_has(&reached, members.v[i]))
			rc = svc__exec_queue(t, j, members.v[i], 0);
out:
	free(members.v);
	free(reached.v);
	free(waiting.v);
	return rc;
}

/* One windowed job, in a transaction of its own; *changed when it acted. */
static int
window_job(struct svc *s, const char *job_id, int64_t now, bool *changed, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	bool started = false, paused = false;
	int rc;

	*changed = false;
	memset(&j, 0, sizeof(j));
	if ((rc = svc__duty_begin(s, &t, e)) != 0)
		return rc;
	t.now = now;
	if ((rc = store_job_get(t.tx, job_id, &j)) != 0)
		goto done;
	switch (window_act(&j, now)) {
	case W_OPEN:
		if ((rc = svc__job_paused(t.tx, j.job_id, &paused, NULL)) != 0)
			goto done;
		/* started before (a paused job) when it has executions or waiting
		 * batches; otherwise this is its first window */
		started = j.rollout_next_ms != 0;
		if (!started &&
		    (rc = store_exec_list_job(t.tx, j.job_id, -1, NULL, 0, 1, one_exec, &started)) <
		        0)
			goto done;
		rc = 0;
		if (!started && paused)
			goto done; /* it starts when resumed, in a window */
		if (!started) {
			if ((rc = svc__timeline(&t, j.job_id, "WINDOW_OPENED", "the job starts")) ==
			        0 &&
			    (rc = svc__job_start(&t, &j, e)) == 0)
				*changed = true;
			goto done;
		}
		if ((rc = core_job_apply(&j, JD_JOB_IN_PROGRESS, now)) != 0)
			goto done;
		if (j.rollout_next_ms != 0)
			j.rollout_next_ms = now;
		if (paused) {
			/* an operator's pause holds the rollout through the
			 * window; resuming (pause.c) releases and catches up */
			if (j.rollout_next_ms != 0 || j.selection == JD_SEL_CONTINUOUS)
				j.rollout_next_ms = PAUSED;
		} else if (j.selection == JD_SEL_CONTINUOUS &&
		    (rc = svc__schedule_catch_up(&t, &j)) != 0) {
			goto done;
		}
		if ((rc = svc__timeline(&t, j.job_id, "WINDOW_OPENED", "%s",
		         paused ? "the rollout stays paused" : "the rollout resumes")) != 0)
			goto done;
		*changed = true;
		break;
	case W_PAUSE:
		if ((rc = core_job_apply(&j, JD_JOB_SCHEDULED, now)) != 0 ||
		    (rc = svc__timeline(&t, j.job_id, "WINDOW_CLOSED",
		         "the rollout waits for the "
		         "next window")) != 0)
			goto done;
		if (j.rollout_next_ms != 0)
			j.rollout_next_ms = PAUSED;
		*changed = true;
		break;
	case W_END:
		if ((rc = core_job_apply(&j, JD_JOB_IN_PROGRESS, now)) != 0)
			goto done;
		if (j.rollout_next_ms != 0)
			j.rollout_next_ms = PAUSED; /* the end duty drops what waits */
		*changed = true;
		break;
	default:
		break;
	}
	if (*changed)
		rc = svc__job_save(&t, &j);
done:
	jd_job_release(&j);
	if (rc != 0 || !*changed) {
		svc__rollback(&t);
		*changed = false;
		if (rc == 0 || rc == JD_ENOTFOUND || rc == JD_ESTATE)
			return 0;
		return svc__store_err(rc, e);
	}
	return svc__commit(&t, e);
}

static int
add_windowed(void *arg, const struct jd_job *j)
{
	return j->policy.n_windows > 0 &&
	        (j->status == JD_JOB_SCHEDULED || j->status == JD_JOB_IN_PROGRESS) ?
	    jd_jobv_add(arg, j) :
	    0;
}

int
svc__schedule_window_run(struct svc *s, int64_t now, int *fired, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct svc_paused paused = {0};
	struct jd_jobv all = {0};
	bool opening = false;
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	/* only the jobs due at now (their next window boundary has come) */
	rc = store_job_sched_due(tx, now, 0, add_windowed, &all);
	for (size_t i = 0; rc >= 0 && i < all.n; i++)
		opening = opening || window_act(&all.v[i], now) == W_OPEN;
	/* a paused job that never started waits for its resume: leave it out
	 * rather than open a transaction for it on every pass */
	if (rc >= 0 && opening)
		rc = svc__paused_read(tx, &paused);
	store_rollback(tx);
	if (rc < 0) {
		svc__paused_free(&paused);
		jd_jobv_free(&all);
		return svc__store_err(rc, e);
	}
	for (size_t i = 0; i < all.n; i++) {
		struct jd_error je;
		bool changed = false;
		enum window_act act = window_act(&all.v[i], now);
		if (act == W_NONE ||
		    (act == W_OPEN && all.v[i].rollout_next_ms == 0 &&
		        svc__paused_has(&paused, all.v[i].job_id)))
			continue;
		jd_error_init(&je);
		if (window_job(s, all.v[i].job_id, now, &changed, &je) != 0)
			log_warn("schedule: job %s: %s", all.v[i].job_id, je.msg);
		else if (changed)
			(*fired)++;
		jd_error_clear(&je);
	}
	svc__paused_free(&paused);
	jd_jobv_free(&all);
	return 0;
}

/* ---- due times the passes left behind ------------------------------------- */

/* A due job that no pass acts on at now and that waits for a later time (or
 * for nothing): its due time came early (a span of overlapping windows
 * longer than core_schedule_due looks, or a time another node computed with
 * its clock behind this one's). */
static bool
stale(const struct jd_job *j, int64_t now)
{
	int64_t due = svc__job_due_at(j, now);

	return due == 0 || due > now;
}

/* Move one job's due time on, in a transaction of its own. */
static int
refresh_job(struct svc *s, const char *job_id, int64_t now, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	int64_t was;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__duty_begin(s, &t, e)) != 0)
		return rc;
	t.now = now;
	if ((rc = store_job_get(t.tx, job_id, &j)) == 0) {
		was = j.sched_due_ms;
		svc__job_due(&t, &j);
		if (j.sched_due_ms != was)
			rc = store_job_update(t.tx, &j);
	}
	jd_job_release(&j);
	return svc__duty_end(&t, rc, e);
}

int
svc__schedule_due_refresh(struct svc *s, int64_t now, struct jd_error *e)
{
	struct svc_due_jobs due = {{0}, now, stale};
	int rc;

	if ((rc = read_due(s, &due, e)) != 0)
		return rc;
	for (size_t i = 0; i < due.v.n; i++) {
		struct jd_error je;
		jd_error_init(&je);
		if (refresh_job(s, due.v.v[i].job_id, now, &je) != 0)
			log_warn("schedule: job %s: %s", due.v.v[i].job_id, je.msg);
		jd_error_clear(&je);
	}
	jd_jobv_free(&due.v);
	return 0;
}

/* ---- jobs stored before the due time ------------------------------------- */

#define DUE_BACKFILL_META "job_sched_due_filled"

static int
needs_due(void *arg, const struct jd_job *j)
{
	return j->sched_due_ms < 0 ? jd_jobv_add(arg, j) : 0;
}

int
svc__job_due_backfill(struct svc *s, struct jd_error *e)
{
	/* every job write since sets it. Jobs in other statuses are never
	 * due: their NULL is never read as due */
	static const int statuses[] = {JD_JOB_SCHEDULED, JD_JOB_IN_PROGRESS};

	return svc__job_backfill(s, DUE_BACKFILL_META, statuses, 2, needs_due, NULL,
	    "computed the schedule due time", e);
}
