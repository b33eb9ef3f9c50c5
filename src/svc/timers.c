/*
 * timers.c: the service's lifecycle and its background worker. The worker
 * finishes DeleteJob (the reaper deletes a deleting job's executions in
 * batches, then the job) and runs the timers: executions whose in-progress
 * or step deadline has passed time out, SCHEDULED jobs whose startTime has
 * come start, and paced rollouts release their next batch.
 *
 * With several nodes on one database (D24, cluster.c, whose thread keeps
 * this node's leases), only the holder of the duty lease runs the duties, and each duty transaction is fenced on that lease
 * (svc__duty_begin), so a duty runs once across the nodes. A duty added
 * here begins its transactions with svc__duty_begin too.
 *
 * The top of svc/: it calls cluster.c, jobs.c, progress.c and svc.c, and
 * nothing calls it but svc_init / svc_fini / svc_timers_run's callers.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/policy.h"
#include "svc/cluster_int.h"
#include "svc/jobs_int.h"
#include "svc/progress_int.h"
#include "svc/schedule_int.h"
#include "svc/timeline_int.h"
#include "store/store_sched.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/metrics.h"

#define REAPER_BATCH 1000

static int
count_one(void *arg, const struct jd_exec *x)
{
	(void)x;
	*(bool *)arg = true;
	return 1;
}

/* A SCHEDULED job whose start has come */
static bool
started(const struct jd_job *j, int64_t now)
{
	return j->status == JD_JOB_SCHEDULED &&
	    core_schedule_phase(&j->policy, now) != CORE_SCHEDULE_BEFORE;
}

/*
 * What is due at `now`, read without the writer lock, so that an idle
 * service never takes it: timeouts (a flag), SCHEDULED jobs whose startTime
 * has passed, and jobs whose next rollout batch is due. Each through an
 * index of due times, so the jobs that still wait are not read.
 */
static int
due_scan(struct svc *s, int64_t *nowp, bool *timeouts, struct jd_jobv *starts,
    struct jd_jobv *rollouts, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct svc_due_jobs due = {{0}, 0, started};
	struct svc_paused paused = {0};
	int64_t now;
	int rc;

	*timeouts = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	/* an advance of the test rig's clock made on another node */
	svc__clock_sync(s, tx, false);
	*nowp = now = svc_now(s);
	rc = store_exec_due(tx, now, 1, count_one, timeouts);
	due.now = now;
	if (rc >= 0)
		rc = store_job_sched_due(tx, now, 0, svc__due_add, &due);
	if (rc >= 0)
		rc = store_job_rollout_due(tx, now, 100, jd_jobv_add, rollouts);
	/* a job an operator paused before its start starts when resumed */
	if (rc >= 0 && due.v.n > 0)
		rc = svc__paused_read(tx, &paused);
	store_rollback(tx);
	for (size_t i = 0; i < due.v.n; i++)
		if (!svc__paused_has(&paused, due.v.v[i].job_id))
			jd_jobv_add(starts, &due.v.v[i]);
	svc__paused_free(&paused);
	jd_jobv_free(&due.v);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

static int
run_timeouts(struct svc *s, int64_t now, int *fired, struct jd_error *e)
{
	struct jd_execv due = {0};
	struct svc_tx t;
	int rc;

	if ((rc = svc__duty_begin(s, &t, e)) != 0)
		return rc;
	t.now = now; /* the time the scan found them due at */
	if ((rc = store_exec_due(t.tx, now, REAPER_BATCH, jd_execv_add, &due)) != 0)
		goto fail;
	for (size_t i = 0; i < due.n; i++) {
		struct jd_exec *x = &due.v[i];
		if (core_exec_check(CORE_OP_TIMEOUT, x->status, JD_EXEC_TIMED_OUT, false, NULL) !=
		    0)
			continue;
		if ((rc = svc__exec_move(&t, x, CORE_OP_TIMEOUT, JD_EXEC_TIMED_OUT, false)) != 0)
			goto fail;
		if ((rc = svc__exec_finished(&t, x)) != 0)
			goto fail;
		(*fired)++;
	}
	jd_execv_free(&due);
	return svc__commit(&t, e);
fail:
	jd_execv_free(&due);
	svc__rollback(&t);
	return svc__store_err(rc, e);
}

/* One job's start or rollout batch, in a transaction of its own, so that a
 * failure holds back only that job. */
static int
run_job(struct svc *s, const char *job_id, bool start, int64_t now, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__duty_begin(s, &t, e)) != 0)
		return rc;
	t.now = now;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc == 0) /* /metrics: how late this start or rollout batch runs */
		metrics_timer_ran(now,
		    start ? core_schedule_start_ms(&j.policy) : j.rollout_next_ms);
	if (rc == 0 && start && j.status == JD_JOB_SCHEDULED) {
		bool paused = false; /* paused since the scan: it waits */
		if ((rc = svc__job_paused(t.tx, j.job_id, &paused, NULL)) == 0 && !paused)
			rc = svc__job_start(&t, &j, e);
	} else if (rc == 0 && !start && j.rollout_next_ms != 0 && j.rollout_next_ms <= now)
		rc = svc__rollout_tick(&t, &j);
	jd_job_release(&j);
	return svc__duty_end(&t, rc, e);
}

int
svc_timers_run(struct svc *s, int *fired, struct jd_error *e)
{
	struct jd_jobv starts = {0}, rollouts = {0};
	int64_t now = 0;
	bool timeouts = false;
	int rc;

	*fired = 0;
	/* another node runs the duties (or nobody yet: try to take them) */
	if (!svc__duty_held(s))
		svc__cluster_tick(s, true);
	if (!svc__duty_held(s))
		return 0;
	/* the windows first, so that what they pause or resume is seen by the
	 * scan (a virtual-clock advance made on another node reaches now in
	 * the scan; the windows catch up on the next pass) */
	now = svc_now(s);
	if ((rc = svc__schedule_window_run(s, now, fired, e)) != 0 ||
	    (rc = due_scan(s, &now, &timeouts, &starts, &rollouts, e)) != 0)
		goto out;
	if (timeouts && (rc = run_timeouts(s, now, fired, e)) != 0)
		goto out;
	for (size_t i = 0; i < starts.n + rollouts.n; i++) {
		bool start = i < starts.n;
		const char *id = start ? starts.v[i].job_id : rollouts.v[i - starts.n].job_id;
		struct jd_error je;
		jd_error_init(&je);
		if (run_job(s, id, start, now, &je) != 0)
			log_warn("timers: job %s: %s", id, je.msg);
		else
			(*fired)++;
		jd_error_clear(&je);
	}
	if ((rc = svc__schedule_end_run(s, now, fired, e)) == 0)
		rc = svc__schedule_due_refresh(s, now, e);
out:
	jd_jobv_free(&starts);
	jd_jobv_free(&rollouts);
	return rc;
}

/* ---- reaper: finishes DeleteJob in the background ------------------------ */

static int
first_job(void *arg, const struct jd_job *j)
{
	jd_strlcpy(arg, j->job_id, JD_JOB_ID_MAX + 1);
	return 1;
}

/* Delete one batch of one deleting job; returns 1 if work remains. */
static int
reap_once(struct svc *s)
{
	struct jd_job_filter f = {JD_JOB_DELETION_IN_PROGRESS, -1, NULL, NULL};
	char job_id[JD_JOB_ID_MAX + 1] = "";
	struct svc_tx t;
	int64_t n = 0;
	int rc;

	if (svc__duty_begin(s, &t, NULL) != 0)
		return 0;
	rc = store_job_list(t.tx, &f, 0, 1, first_job, job_id);
	if (rc < 0 || job_id[0] == '\0') {
		svc__rollback(&t);
		return 0;
	}
	/* Its executions left the device views (and were notified) at DeleteJob. */
	if (store_exec_delete_job(t.tx, job_id, REAPER_BATCH, &n) != 0)
		goto fail;
	if (n < REAPER_BATCH &&
	    (svc__event_job_deleted(&t, job_id) != 0 || store_job_delete(t.tx, job_id) != 0))
		goto fail;
	if (svc__commit(&t, NULL) != 0)
		return 0;
	return 1;
fail:
	svc__rollback(&t);
	return 0;
}

/* ---- chunked fan-out (jobs.c): every chunk its own transaction ------------ */

static bool
stopping(struct svc *s)
{
	bool stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* Run the unfinished fan-outs chunk by chunk (other writers take the writer
 * between chunks), until none is left, this node loses the duty or stops, or
 * FANOUT_PASS chunks ran: then the timers get their turn and the worker is
 * kicked to come back at once. */
#define FANOUT_PASS 64

static void
fanout_run(struct svc *s)
{
	bool more = true;
	int n = 0;

	while (more && svc__duty_held(s) && !stopping(s)) {
		if (n++ == FANOUT_PASS) {
			svc__kick(s);
			break;
		}
		struct jd_error e;
		jd_error_init(&e);
		if (svc__fanout_step(s, &more, &e) != 0) {
			log_warn("fan-out: %s", e.msg);
			more = false; /* tried again on the next pass */
		}
		jd_error_clear(&e);
		if (more && s->fanout_pause_ms > 0) {
			struct timespec ts = {s->fanout_pause_ms / 1000,
			    (long)(s->fanout_pause_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
}

static void *
reaper_main(void *arg)
{
	struct svc *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!s->kick)
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		s->kick = false;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		fanout_run(s);
		while (svc__duty_held(s) && reap_once(s))
			;
		{
			struct jd_error e;
			int fired = 0;
			jd_error_init(&e);
			if (svc__duty_held(s) && svc_timers_run(s, &fired, &e) != 0)
				log_warn("timers: %s", e.msg);
			jd_error_clear(&e);
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

int
svc_init(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    struct jd_error *e)
{
	return svc_init_node(s, store, clock, account, NULL, e);
}

int
svc_init_node(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    const struct svc_node *node, struct jd_error *e)
{
	int rc;

	if ((rc = svc__open(s, store, clock, account, e)) != 0)
		return rc;
	if ((rc = svc__job_policy_backfill(s, e)) != 0 || (rc = svc__job_due_backfill(s, e)) != 0)
		return rc;
	svc__cluster_open(s, node);
	if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0)
		return jd_error_set(e, JD_EINTERNAL, "cannot start the reaper thread");
	s->reaper_started = true;
	return 0;
}

void
svc_fini(struct svc *s)
{
	if (s->reaper_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->reaper, NULL);
		s->reaper_started = false;
	}
	svc__cluster_close(s);
	svc__close(s);
}
