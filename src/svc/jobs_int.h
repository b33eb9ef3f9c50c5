/*
 * jobs_int.h: what jobs.c offers the files above it (timers.c): the start of
 * a SCHEDULED job and the one-time decoding of older jobs' configuration.
 */
#ifndef JD_SVC_JOBS_INT_H
#define JD_SVC_JOBS_INT_H

#include "svc/svc_int.h"

/* Start SCHEDULED job j (its startTime has come) in t: it becomes
 * IN_PROGRESS and its executions are queued (paced by its rollout); targets
 * that vanished meanwhile are skipped. j is updated in place and saved. */
int svc__job_start(struct svc_tx *t, struct jd_job *j, struct jd_error *e);

/* Once per store, in one transaction: give every job stored before the typed
 * policy existed (no policy, a configuration other than "{}") the policy
 * decoded from its configuration. */
int svc__job_policy_backfill(struct svc *s, struct jd_error *e);

#endif
