/*
 * jobs_int.h: what jobs.c offers the files above it (timers.c): the start of
 * a SCHEDULED job, the chunks of a large fan-out, and the one-time decoding
 * of older jobs' configuration.
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

/*
 * One chunk of the oldest unfinished fan-out (issue 15), in a duty
 * transaction of its own (svc__duty_begin: one node runs it): the next
 * things of its groups are queued and its cursor advanced in the same
 * transaction, so a crash resumes at the next chunk. *more is true when a
 * fan-out was found (call again). 0, or an error in e (the chunk was rolled
 * back and will be tried again).
 */
int svc__fanout_step(struct svc *s, bool *more, struct jd_error *e);

#endif
