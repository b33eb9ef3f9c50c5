/*
 * progress_int.h: what follows an execution's change (progress.c): queueing
 * executions, moving them, and the consequences of one ending (retry, abort,
 * job completion), and the paced rollout's batches. Every function runs in
 * the use case's transaction t and at its time t->now.
 */
#ifndef JD_SVC_PROGRESS_INT_H
#define JD_SVC_PROGRESS_INT_H

#include "svc/events_int.h"
#include "svc/svc_int.h"

/* Queue a new QUEUED execution of job on thing: number = the thing's highest
 * number for the job + 1 (numbers start at 1). */
int svc__exec_queue(struct svc_tx *t, const struct jd_job *job, const char *thing,
    int64_t retry_attempt);
/* Execution number 1, QUEUED, for each of the n things (none has one yet),
 * inserted in batches. */
int svc__exec_queue_first(struct svc_tx *t, const struct jd_job *job,
    char (*things)[JD_THING_NAME_MAX + 1], size_t n);

/* Move x to `to` by a service or control op (core_exec_apply: version,
 * timestamps, deadlines), note its pending list, and save it. Returns the
 * core's JD_EINVAL / JD_ESTATE if the move is refused (x unchanged), or a
 * store error. */
int svc__exec_move(struct svc_tx *t, struct jd_exec *x, int op, int to, bool force);

/* If job_id is a SNAPSHOT job IN_PROGRESS with no pending execution and no
 * rollout batch waiting, complete it. */
int svc__job_maybe_complete(struct svc_tx *t, const char *job_id);
/* After x reached a terminal state (device or timer): abort the job if an
 * abort criterion trips (counting x), else queue a retry the retry criteria
 * allow; then complete a snapshot job. j is x's job, read in this
 * transaction; it may be updated. */
int svc__exec_finished_job(struct svc_tx *t, const struct jd_exec *x, struct jd_job *j);
/* The same, reading x's job (none: nothing to do). */
int svc__exec_finished(struct svc_tx *t, const struct jd_exec *x);

/* Cancel job j in t (CancelJob, an abort): QUEUED executions, and IN_PROGRESS
 * ones with force, become CANCELED; waiting rollout batches are dropped; j is
 * updated in place and saved. reason_code, comment: NULL = unchanged. */
int svc__job_cancel_tx(struct svc_tx *t, struct jd_job *j, bool force, const char *reason_code,
    const char *comment);

/* Queue the next paced batch of job j's rollout (due: the timer checked). */
int svc__rollout_tick(struct svc_tx *t, struct jd_job *j);

/* Every write of a job goes through these two (never store_job_update or
 * store_job_insert directly), so that its schedule due time
 * (j->sched_due_ms, core_schedule_due at t->now) follows its status, policy
 * and rollout, and the timer's schedule passes read only the due jobs
 * (store_job_sched_due). svc__job_due sets it; svc__job_save sets it and
 * saves j; svc__job_due_at is the value for j at now. */
int64_t svc__job_due_at(const struct jd_job *j, int64_t now);
void svc__job_due(const struct svc_tx *t, struct jd_job *j);
int svc__job_save(struct svc_tx *t, struct jd_job *j);

/* Once per store (meta key done_key, set in the same transaction): the jobs
 * in statuses[0..n) (-1: every job) that pick adds to its struct jd_jobv
 * are given fix (NULL: nothing more) and saved with svc__job_save; logs
 * "<what> of N stored jobs" when there were any. For columns added to
 * stored jobs after they were written (svc start, timers.c). */
int svc__job_backfill(struct svc *s, const char *done_key, const int *statuses, int n,
    jd_job_cb pick, void (*fix)(struct jd_job *j), const char *what, struct jd_error *e);

#endif
