/*
 * timeline_int.h: a job's timeline and the pause state as the engine sees
 * them (timeline.c, issue 14). The lowest file of the pause feature: it
 * calls only svc.c and the store, so progress.c, jobs.c, schedule.c,
 * timers.c and pause.c can all call it without a loop.
 */
#ifndef JD_SVC_TIMELINE_INT_H
#define JD_SVC_TIMELINE_INT_H

#include "svc/svc_int.h"

/* rollout_next_ms of a held rollout: its batches wait outside every
 * maintenance window (schedule.c) or while an operator paused it (pause.c).
 * Never due, and not 0, which means "nothing waits". */
#define SVC_ROLLOUT_HELD (INT64_C(1) << 62)

/* The newest events a job keeps (older ones are dropped). */
#define SVC_TIMELINE_KEEP 1000

/* Append event (a name such as "STARTED") with a printf detail (fmt NULL:
 * none) to job_id's timeline, at t->now, in t. */
int svc__timeline(struct svc_tx *t, const char *job_id, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The events of a job that was just created (CreateJob) or started (a
 * scheduled start, a first window): CREATED (created only), then
 * SCHEDULED, or STARTED and, when it has nothing to run, COMPLETED, from
 * j's status now. */
int svc__timeline_created(struct svc_tx *t, const struct jd_job *j);
int svc__timeline_started(struct svc_tx *t, const struct jd_job *j);
/* A job ended (COMPLETED, CANCELED, ABORTED): the event, and its pause row
 * goes (a pause means nothing to an ended job). */
int svc__timeline_ended(struct svc_tx *t, const char *job_id, const char *event,
    const char *detail);

/* Whether an operator paused job_id (*since: when; may be NULL). */
int svc__job_paused(struct store_tx *tx, const char *job_id, bool *paused, int64_t *since);

/* The ids of the paused jobs, for the timer's scans (one read). */
struct svc_paused {
	char (*v)[JD_JOB_ID_MAX + 1];
	size_t n, cap;
};
int svc__paused_read(struct store_tx *tx, struct svc_paused *out);
bool svc__paused_has(const struct svc_paused *p, const char *job_id);
void svc__paused_free(struct svc_paused *p);

#endif
