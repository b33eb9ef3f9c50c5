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

/* A CONTINUOUS job resumes (a window opens, or an operator resumes it,
 * pause.c): queue, in t, the members of its target groups it has not
 * reached; things waiting in its rollout queue stay there. */
int svc__schedule_catch_up(struct svc_tx *t, struct jd_job *j);

#endif
