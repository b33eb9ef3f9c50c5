/*
 * pause.c: an operator pauses and resumes a job's rollout (issue 14, a
 * jobsd extension on the admin listener, D28), and reads its rollout state
 * and timeline.
 *
 * The pause is a row of the store (store_pause_*), so every node sees it,
 * plus the job's rollout_next_ms set to SVC_ROLLOUT_HELD, the value the
 * maintenance-window pause already uses: a held rollout is never due, so
 * the timer pass releases no batch, and a CONTINUOUS job with a held
 * rollout queues no thing that joins its groups (progress.c). The job's
 * status is untouched (DescribeJob stays AWS's). Timers are not: timeouts,
 * retries, abort criteria and endTime act as ever. The start duties skip a
 * paused job that has not started (timers.c, schedule.c).
 *
 * Resume clears the row and, for a job IN_PROGRESS, releases the next batch
 * in the same transaction (svc__rollout_tick: then one a minute from now)
 * and, for a CONTINUOUS job, queues the things that joined its groups or
 * were associated while it was paused. A job SCHEDULED by its windows (or
 * before its start) keeps its rollout held: the window duty (or the start
 * duty) releases it as for any job. Pause and window compose: a batch goes
 * out only when both allow.
 *
 * Pause and resume are operators' calls, not duties: like CreateJob's first
 * batch they run on any node, in one write transaction that re-reads the
 * job, so they never release a batch twice. Calls progress.c, schedule.c,
 * timeline.c and svc.c.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "svc/schedule_int.h"
#include "svc/timeline_int.h"
#include "util/buf.h"

static int
not_found(const char *job_id, struct jd_error *e)
{
	return jd_error_set(e, JD_ENOTFOUND, "Job %s does not exist", job_id);
}

static bool
ended(int status)
{
	return status == JD_JOB_COMPLETED || status == JD_JOB_CANCELED ||
	    status == JD_JOB_DELETION_IN_PROGRESS;
}

static int
one_exec(void *arg, const struct jd_exec *x)
{
	(void)x;
	*(bool *)arg = true;
	return 1;
}

/* The rest of *out (paused, queued, counts) for out->job, read in tx. */
static int
state_read(struct store_tx *tx, struct svc_rollout *out)
{
	int rc = svc__job_paused(tx, out->job.job_id, &out->paused, &out->paused_ms);

	if (rc == 0)
		rc = store_rollout_count(tx, out->job.job_id, &out->queued);
	if (rc == 0)
		rc = store_exec_counts(tx, out->job.job_id, &out->counts);
	out->held = out->job.rollout_next_ms == SVC_ROLLOUT_HELD;
	out->next_ms = out->held ? 0 : out->job.rollout_next_ms;
	return rc;
}

int
svc_job_rollout(struct svc *s, const char *job_id, struct svc_rollout *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &out->job);
	if (rc == 0)
		rc = state_read(tx, out);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND) {
		jd_job_release(&out->job);
		return not_found(job_id, e);
	}
	if (rc != 0) {
		jd_job_release(&out->job);
		return svc__store_err(rc, e);
	}
	return 0;
}

/* Direct thing targets (ARNs ":thing/NAME") of a CONTINUOUS job that it
 * has not reached and that exist: queued at resume (associated while it was
 * paused). Group members are schedule.c's catch-up. */
static int
catch_up_things(struct svc_tx *t, struct jd_job *j)
{
	json_t *arr = json_loads(j->targets ? j->targets : "[]", 0, NULL);
	size_t i;
	json_t *v;
	int rc = 0;

	json_array_foreach(arr, i, v)
	{
		const char *arn = json_string_value(v), *name;
		struct jd_thing th;
		struct jd_exec x;
		if (arn == NULL || (name = strstr(arn, ":thing/")) == NULL)
			continue;
		name += strlen(":thing/");
		memset(&th, 0, sizeof(th));
		rc = store_thing_get(t->tx, name, &th);
		jd_thing_release(&th);
		if (rc == JD_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		memset(&x, 0, sizeof(x));
		rc = store_exec_get(t->tx, j->job_id, name, 0, &x);
		jd_exec_release(&x);
		if (rc == 0 && x.status != JD_EXEC_REMOVED)
			continue;
		if (rc != 0 && rc != JD_ENOTFOUND)
			break;
		if ((rc = svc__exec_queue(t, j, name, 0)) != 0)
			break;
	}
	json_decref(arr);
	return rc;
}

/* Hold j's rollout (in t): see the file comment. */
static int
hold(struct svc_tx *t, struct jd_job *j)
{
	bool started = j->rollout_next_ms != 0;
	int rc;

	if (j->status == JD_JOB_SCHEDULED && !started &&
	    (rc = store_exec_list_job(t->tx, j->job_id, -1, NULL, 0, 1, one_exec, &started)) < 0)
		return rc;
	if (j->rollout_next_ms == 0 && !(started && j->selection == JD_SEL_CONTINUOUS) &&
	    !(j->status == JD_JOB_IN_PROGRESS && j->selection == JD_SEL_CONTINUOUS))
		return 0; /* nothing waits, and no joiner to hold */
	if (j->rollout_next_ms == SVC_ROLLOUT_HELD)
		return 0;
	j->rollout_next_ms = SVC_ROLLOUT_HELD;
	return svc__job_save(t, j);
}

/* Release j's rollout (in t) when it runs: see the file comment. */
static int
release(struct svc_tx *t, struct jd_job *j)
{
	int64_t queued = 0;
	int rc;

	if (j->status != JD_JOB_IN_PROGRESS || j->rollout_next_ms != SVC_ROLLOUT_HELD)
		return 0; /* SCHEDULED: the window or start duty releases it */
	if ((rc = store_rollout_count(t->tx, j->job_id, &queued)) != 0)
		return rc;
	j->rollout_next_ms = queued > 0 ? t->now : 0;
	if (j->selection == JD_SEL_CONTINUOUS &&
	    ((rc = svc__schedule_catch_up(t, j)) != 0 || (rc = catch_up_things(t, j)) != 0))
		return rc;
	if (j->rollout_next_ms != 0)
		return svc__rollout_tick(t, j); /* saves j; completes a finished job */
	if ((rc = svc__job_save(t, j)) != 0)
		return rc;
	return svc__job_maybe_complete(t, j->job_id);
}

int
svc_job_pause(struct svc *s, const char *job_id, bool pause, const char *comment,
    struct svc_rollout *out, struct jd_error *e)
{
	const char *event = pause ? "PAUSED" : "RESUMED";
	struct svc_tx t;
	struct jd_job j;
	bool changed = true;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	if (comment != NULL && strlen(comment) > SVC_PAUSE_COMMENT_MAX)
		return jd_error_set(e, JD_EINVAL, "comment must be at most %d characters",
		    SVC_PAUSE_COMMENT_MAX);
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
		return not_found(job_id, e);
	}
	if (rc != 0)
		goto store_fail;
	if (ended(j.status)) {
		rc = jd_error_set(e, JD_ECONFLICT, "Job %s is %s: its rollout cannot be %s", job_id,
		    core_job_status_name(j.status), pause ? "paused" : "resumed");
		goto fail;
	}
	rc = pause ? store_pause_put(t.tx, job_id, t.now) : store_pause_delete(t.tx, job_id);
	if (rc == JD_EEXISTS || rc == JD_ENOTFOUND) {
		/* paused (resumed) already: nothing to do; but a running job held
		 * without a pause row (a store copied without its pause rows) is
		 * released, so a resume always unsticks a rollout */
		changed = !pause && j.status == JD_JOB_IN_PROGRESS &&
		    j.rollout_next_ms == SVC_ROLLOUT_HELD;
		rc = 0;
	}
	if (rc != 0)
		goto store_fail;
	if (changed) {
		if ((rc = pause ? hold(&t, &j) : release(&t, &j)) != 0 ||
		    (rc = svc__timeline(&t, job_id, event, "%s", comment != NULL ? comment : "")) !=
		        0)
			goto store_fail;
	}
	/* the state after, read in the transaction that made it */
	jd_job_release(&j);
	memset(&j, 0, sizeof(j));
	if ((rc = store_job_get(t.tx, job_id, &out->job)) != 0 || (rc = state_read(t.tx, out)) != 0)
		goto store_fail;
	if (!changed) {
		svc__rollback(&t);
		return 0;
	}
	if ((rc = svc__commit(&t, e)) != 0) {
		jd_job_release(&out->job);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	jd_job_release(&out->job);
	memset(out, 0, sizeof(*out));
	svc__rollback(&t);
	return rc;
}

struct tl_ctx {
	svc_timeline_cb cb;
	void *arg;
};

static int
tl_row(void *arg, const struct store_timeline_event *ev)
{
	struct tl_ctx *c = arg;

	return c->cb(c->arg, ev->at_ms, ev->event, ev->detail);
}

int
svc_job_timeline(struct svc *s, const char *job_id, svc_timeline_cb cb, void *arg,
    struct jd_error *e)
{
	struct tl_ctx c = {cb, arg};
	struct store_tx *tx = NULL;
	int status = 0, selection = 0;
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_status(tx, job_id, &status, &selection);
	if (rc == 0)
		rc = store_timeline_list(tx, job_id, tl_row, &c);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return not_found(job_id, e);
	return rc < 0 ? svc__store_err(rc, e) : rc;
}
