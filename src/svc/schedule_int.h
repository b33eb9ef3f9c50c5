/*
 * schedule_int.h: the schedule duties of the timer pass (schedule.c),
 * called from svc_timers_run (timers.c).
 */
#ifndef JD_SVC_SCHEDULE_INT_H
#define JD_SVC_SCHEDULE_INT_H

#include "svc/progress_int.h"

/* Act on the jobs whose schedulingConfig.endTime has passed at now (its
 * endBehavior); *fired += how many changed. */
int svc__schedule_end_run(struct svc *s, int64_t now, int *fired, struct jd_error *e);

/* The maintenance-window duty: start, resume or pause the jobs with
 * maintenance windows as their windows open and close at now, before any
 * rollout batch of the pass; *fired += how many changed. */
int svc__schedule_window_run(struct svc *s, int64_t now, int *fired, struct jd_error *e);

/* After the passes: the due jobs that none acted on and that wait for a
 * later time get their next due time (core_schedule_due at now), so that
 * the next passes do not read them again. Jobs due and not acted on at now
 * (an operator paused them before their start) stay due. */
int svc__schedule_due_refresh(struct svc *s, int64_t now, struct jd_error *e);

/* At start, once per store: the SCHEDULED and IN_PROGRESS jobs stored
 * before the due time existed (sched_due_ms < 0) get it. */
int svc__job_due_backfill(struct svc *s, struct jd_error *e);

/* A timer pass's list of jobs (the store_job_list callback svc__due_add):
 * only those that are due at now by `due` are kept, so that the pass, which
 * runs on every tick, keeps no copy of the jobs that still wait (their
 * number grows with the store: bench/README.md "Soak", round 7). */
struct svc_due_jobs {
	struct jd_jobv v;
	int64_t now;
	bool (*due)(const struct jd_job *j, int64_t now);
};
int svc__due_add(void *arg, const struct jd_job *j);

/* A CONTINUOUS job resumes (a window opens, or an operator resumes it,
 * pause.c): queue, in t, the members of its target groups it has not
 * reached; things waiting in its rollout queue stay there. */
int svc__schedule_catch_up(struct svc_tx *t, struct jd_job *j);

#endif
