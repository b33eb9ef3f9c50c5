/*
 * progress.c: what follows an execution's change, for every use case and
 * timer: queueing executions, moving them (core_exec_apply makes the move),
 * and, when one ends, the job's abort, the thing's retry and the job's
 * completion; and the paced rollout's batches.
 *
 * Each step loads what it needs, asks a pure function of core/ (the job's
 * typed policy, never its stored JSON), saves, and leaves the commit to the
 * use case. Calls only svc.c (and notify.c through it) in svc/.
 */
#include "svc/progress_int.h"
#include "svc/timeline_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "core/policy.h"
#include "core/transition.h"
#include "util/buf.h"
#include "util/log.h"

/* *x as a new QUEUED execution of job on thing, noted for notifications. */
static int
exec_queued(struct svc_tx *t, struct jd_exec *x, const struct jd_job *job, const char *thing,
    int64_t number, int64_t retry_attempt)
{
	memset(x, 0, sizeof(*x));
	jd_strlcpy(x->job_id, job->job_id, sizeof(x->job_id));
	jd_strlcpy(x->thing_name, thing, sizeof(x->thing_name));
	jd_strlcpy(x->namespace_id, job->namespace_id, sizeof(x->namespace_id));
	x->number = number;
	x->status = JD_EXEC_QUEUED;
	x->queued_ms = x->updated_ms = t->now;
	x->version = 1; /* a new execution's first versionNumber */
	x->retry_attempt = retry_attempt;
	return svc__touch(t, thing, job->namespace_id, job->job_id, true);
}

int
svc__exec_queue(struct svc_tx *t, const struct jd_job *job, const char *thing,
    int64_t retry_attempt)
{
	struct jd_exec x;
	int64_t max = 0;
	int rc;

	/* a CONTINUOUS job paused by an operator (pause.c) reaches no new
	 * thing: the things that joined are queued when it resumes */
	if (retry_attempt == 0 && job->rollout_next_ms == SVC_ROLLOUT_HELD &&
	    job->selection == JD_SEL_CONTINUOUS && job->status == JD_JOB_IN_PROGRESS)
		return 0;
	if ((rc = store_exec_max_number(t->tx, job->job_id, thing, &max)) != 0 &&
	    rc != JD_ENOTFOUND)
		return rc;
	if ((rc = exec_queued(t, &x, job, thing, max + 1, retry_attempt)) != 0)
		return rc;
	return store_exec_insert(t->tx, &x);
}

int
svc__exec_queue_first(struct svc_tx *t, const struct jd_job *job,
    char (*things)[JD_THING_NAME_MAX + 1], size_t n)
{
	size_t cap = n < JD_FANOUT_BATCH ? n : JD_FANOUT_BATCH;
	struct jd_exec *xs;
	int rc = 0;

	if (n == 0)
		return 0;
	xs = jd_calloc(cap, sizeof(*xs));
	for (size_t i = 0; i < n && rc == 0; i += cap) {
		size_t k, m = n - i < cap ? n - i : cap;
		for (k = 0; k < m && rc == 0; k++)
			rc = exec_queued(t, &xs[k], job, things[i + k], 1, 0);
		if (rc == 0)
			rc = store_exec_insert_first(t->tx, xs, m);
	}
	free(xs);
	return rc;
}

int
svc__exec_move(struct svc_tx *t, struct jd_exec *x, int op, int to, bool force)
{
	bool list = core_exec_status_pending(x->status) != core_exec_status_pending(to);
	int rc;

	if ((rc = svc__touch(t, x->thing_name, x->namespace_id, x->job_id, list)) != 0)
		return rc;
	if ((rc = core_exec_apply(x, op, to, force, NULL, t->now, NULL)) != 0)
		return rc;
	if ((rc = store_exec_update(t->tx, x)) != 0)
		return rc;
	return svc__event_exec(t, x);
}

static int
fanout_pending(void *arg, const struct store_fanout *f)
{
	(void)f;
	*(bool *)arg = true;
	return 1;
}

int
svc__job_maybe_complete(struct svc_tx *t, const char *job_id)
{
	struct jd_job j;
	bool pending = false;
	int64_t active = 0;
	int status = 0, selection = 0;
	int rc;

	/* the O(1) count first: the job row (its targets, its document) is
	 * read only when the job may be complete (a hot path: every
	 * execution that ends comes here) */
	if ((rc = store_exec_active_count(t->tx, job_id, &active)) != 0)
		return rc;
	if (active > 0)
		return 0;
	rc = store_job_status(t->tx, job_id, &status, &selection);
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (selection != JD_SEL_SNAPSHOT || status != JD_JOB_IN_PROGRESS)
		return 0;
	/* a fan-out still queueing its things (jobs.c): not done yet */
	if ((rc = store_fanout_list(t->tx, job_id, 1, fanout_pending, &pending)) < 0)
		return rc;
	if (pending)
		return 0;
	memset(&j, 0, sizeof(j));
	rc = store_job_get(t->tx, job_id, &j);
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc == 0 && core_job_done(&j, active) &&
	    (rc = core_job_apply(&j, JD_JOB_COMPLETED, t->now)) == 0 &&
	    (rc = svc__job_save(t, &j)) == 0 && (rc = svc__event_job(t, &j, "completed")) == 0)
		rc = svc__timeline_ended(t, j.job_id, "COMPLETED", "every execution ended");
	jd_job_release(&j);
	return rc;
}

int
svc__job_cancel_tx(struct svc_tx *t, struct jd_job *j, bool force, const char *reason_code,
    const char *comment)
{
	struct jd_execv pend = {0};
	int rc;

	if (reason_code != NULL)
		jd_strlcpy(j->reason_code, reason_code, sizeof(j->reason_code));
	if (comment != NULL) {
		free(j->comment);
		j->comment = jd_strdup(comment);
	}
	if ((rc = svc__event_job(t, j, "cancellation_in_progress")) != 0)
		return rc;
	if ((rc = store_exec_pending_job(t->tx, j->job_id, jd_execv_add, &pend)) != 0)
		goto out;
	for (size_t i = 0; i < pend.n; i++) {
		struct jd_exec *x = &pend.v[i];
		if (core_exec_check(CORE_OP_CANCEL, x->status, JD_EXEC_CANCELED, force, NULL) != 0)
			continue;
		if ((rc = svc__exec_move(t, x, CORE_OP_CANCEL, JD_EXEC_CANCELED, force)) != 0)
			goto out;
	}
	if (j->rollout_next_ms != 0 && (rc = store_rollout_clear(t->tx, j->job_id)) != 0)
		goto out;
	/* a fan-out still going queues nothing more */
	if ((rc = store_fanout_delete(t->tx, j->job_id, 0)) != 0)
		goto out;
	if ((rc = core_job_apply(j, JD_JOB_CANCELED, t->now)) != 0)
		goto out;
	j->rollout_next_ms = 0;
	j->force_canceled = j->force_canceled || force;
	if ((rc = svc__job_save(t, j)) == 0 && (rc = svc__event_job(t, j, "canceled")) == 0) {
		bool aborted = reason_code != NULL && strcmp(reason_code, CORE_ABORT_REASON) == 0;
		rc = svc__timeline_ended(t, j->job_id, aborted ? "ABORTED" : "CANCELED",
		    comment != NULL ? comment :
		        force       ? "force" :
		                      "");
	}
out:
	jd_execv_free(&pend);
	return rc;
}

/* ---- when an execution ends: abort, retry, completion --------------------- */

struct fail_count {
	const struct core_retry *plan;
	int64_t n;
};

static int
count_failures(void *arg, const struct jd_exec *x)
{
	struct fail_count *c = arg;

	if (core_retry_counts(c->plan, x->status))
		c->n++;
	return 0;
}

/* Queue a retry of x if the job's retry criteria still allow one. */
static int
maybe_retry(struct svc_tx *t, const struct jd_job *j, const struct jd_exec *x)
{
	struct jd_exec_filter f = {-1, x->job_id, NULL};
	struct core_retry plan;
	struct fail_count c = {&plan, 0};
	int rc;

	if (!core_retry_plan(&j->policy, x->status, x->retry_attempt, &plan))
		return 0;
	if ((rc = store_exec_list_thing(t->tx, x->thing_name, &f, 0, 0, count_failures, &c)) != 0)
		return rc;
	if (!core_retry_allowed(&plan, c.n))
		return 0;
	return svc__exec_queue(t, j, x->thing_name, x->retry_attempt + 1);
}

/* Cancel the job (as CancelJob without force) if an abort criterion trips. */
static int
maybe_abort(struct svc_tx *t, struct jd_job *j)
{
	char comment[CORE_ABORT_COMMENT_MAX];
	struct core_abort a;
	struct jd_counts c;
	int rc;

	if (j->policy.n_abort == 0)
		return 0;
	if ((rc = store_exec_counts(t->tx, j->job_id, &c)) != 0)
		return rc;
	if (!core_abort_eval(&j->policy, &c, &a))
		return 0;
	core_abort_comment(&a, comment, sizeof(comment));
	return svc__job_cancel_tx(t, j, false, CORE_ABORT_REASON, comment);
}

int
svc__exec_finished_job(struct svc_tx *t, const struct jd_exec *x, struct jd_job *j)
{
	int rc = 0;

	/* Abort first, counting this failure; an aborted job queues no retry. */
	if (j->status == JD_JOB_IN_PROGRESS &&
	    (j->policy.present & (JD_POLICY_ABORT | JD_POLICY_RETRY))) {
		rc = maybe_abort(t, j);
		if (rc == 0 && j->status == JD_JOB_IN_PROGRESS)
			rc = maybe_retry(t, j, x);
	}
	if (rc == 0)
		rc = svc__job_maybe_complete(t, x->job_id);
	return rc;
}

int
svc__exec_finished(struct svc_tx *t, const struct jd_exec *x)
{
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	rc = store_job_get(t->tx, x->job_id, &j);
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = svc__exec_finished_job(t, x, &j);
	jd_job_release(&j);
	return rc;
}

/* ---- paced rollout ---------------------------------------------------------- */

struct rollout_ctx {
	struct svc_tx *t;
	const struct jd_job *job;
	int64_t n;
};

static int
rollout_one(void *arg, const char *thing)
{
	struct rollout_ctx *c = arg;
	struct jd_thing th;
	struct jd_exec x;
	int rc;

	c->n++;
	memset(&th, 0, sizeof(th));
	rc = store_thing_get(c->t->tx, thing, &th);
	jd_thing_release(&th);
	if (rc == JD_ENOTFOUND)
		return 0; /* deleted while waiting: nothing to run */
	if (rc != 0)
		return rc;
	memset(&x, 0, sizeof(x));
	rc = store_exec_get(c->t->tx, c->job->job_id, thing, 0, &x);
	jd_exec_release(&x);
	if (rc == 0 && core_exec_status_pending(x.status))
		return 0;
	if (rc != 0 && rc != JD_ENOTFOUND)
		return rc;
	return svc__exec_queue(c->t, c->job, thing, 0);
}

int64_t
svc__job_due_at(const struct jd_job *j, int64_t now)
{
	return core_schedule_due(&j->policy, j->status, j->rollout_next_ms != 0,
	    j->selection == JD_SEL_CONTINUOUS, now);
}

void
svc__job_due(const struct svc_tx *t, struct jd_job *j)
{
	j->sched_due_ms = svc__job_due_at(j, t->now);
}

int
svc__job_save(struct svc_tx *t, struct jd_job *j)
{
	svc__job_due(t, j);
	return store_job_update(t->tx, j);
}

int
svc__job_backfill(struct svc *s, const char *done_key, const int *statuses, int n, jd_job_cb pick,
    void (*fix)(struct jd_job *j), const char *what, struct jd_error *e)
{
	struct jd_jobv v = {0};
	struct svc_tx t;
	char *done = NULL;
	size_t count;
	int rc;

	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	if ((rc = store_meta_get(t.tx, done_key, &done)) == 0 || rc != JD_ENOTFOUND)
		goto out;
	rc = 0;
	for (int i = 0; i < n && rc >= 0; i++) {
		struct jd_job_filter f = {statuses[i], -1, NULL, NULL};
		rc = store_job_list(t.tx, &f, 0, 0, pick, &v);
	}
	if (rc < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < v.n && rc == 0; i++) {
		if (fix != NULL)
			fix(&v.v[i]);
		rc = svc__job_save(&t, &v.v[i]);
	}
	if (rc == 0)
		rc = store_meta_put(t.tx, done_key, "1");
out:
	free(done);
	count = v.n;
	jd_jobv_free(&v);
	if (rc != 0) {
		svc__rollback(&t);
		return svc__store_err(rc, e);
	}
	if (count > 0)
		log_info("%s of %zu stored jobs", what, count);
	return svc__commit(&t, e);
}

int
svc__rollout_tick(struct svc_tx *t, struct jd_job *j)
{
	struct rollout_ctx c = {t, j, 0};
	struct jd_counts counts;
	int64_t batch;
	int rc;

	if (j->status != JD_JOB_IN_PROGRESS) {
		j->rollout_next_ms = 0;
		if ((rc = store_rollout_clear(t->tx, j->job_id)) != 0)
			return rc;
		return svc__job_save(t, j);
	}
	if ((rc = store_exec_counts(t->tx, j->job_id, &counts)) != 0)
		return rc;
	batch = core_rollout_batch(&j->policy, j->rollout_notified, counts.n[JD_EXEC_SUCCEEDED]);
	if ((rc = store_rollout_pop(t->tx, j->job_id, (int)batch, rollout_one, &c)) != 0)
		return rc;
	j->rollout_notified += c.n;
	{
		/* a fan-out still filling the queue (jobs.c): the rollout goes on */
		int64_t prev = j->rollout_next_ms;
		bool pending = false;
		j->rollout_next_ms = core_rollout_next_ms(prev, c.n, batch);
		if (j->rollout_next_ms == 0 &&
		    (rc = store_fanout_list(t->tx, j->job_id, 1, fanout_pending, &pending)) < 0)
			return rc;
		if (pending)
			j->rollout_next_ms = core_rollout_next_ms(prev, batch, batch);
	}
	j->updated_ms = t->now;
	if ((rc = svc__job_save(t, j)) != 0)
		return rc;
	return svc__job_maybe_complete(t, j->job_id);
}
