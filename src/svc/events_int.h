/*
 * events_int.h: jobs events (events.c), noted in a write transaction and
 * published after its commit (notify.c): `$aws/events/job/{jobId}/{op}` and
 * `$aws/events/jobExecution/{jobId}/{op}`, with the payloads of the AWS IoT
 * developer guide's "Jobs events" page.
 *
 * Each function is a no-op (returns 0 at once) when nobody publishes events
 * (no MQTT sink) or the event type is off, so the hot paths pay one load of
 * a cached mask. Every function runs in t and at t->now.
 */
#ifndef JD_SVC_EVENTS_INT_H
#define JD_SVC_EVENTS_INT_H

#include "svc/svc_int.h"

/* A job event: op is "completed", "canceled", "deleted",
 * "cancellation_in_progress" or "deletion_in_progress". j as it is now. */
int svc__event_job(struct svc_tx *t, const struct jd_job *j, const char *op);
/* The job event "deleted" of job_id (read in t; nothing when it is gone). */
int svc__event_job_deleted(struct svc_tx *t, const char *job_id);
/* An execution event for x's terminal status (nothing for QUEUED and
 * IN_PROGRESS). */
int svc__event_exec(struct svc_tx *t, const struct jd_exec *x);
/* True if events of type are known not to be published now (no sink, or
 * the cached configuration leaves them out); false when they may be (the
 * cache is stale: the next transaction reads the configuration). */
bool svc__events_off(struct svc *s, int type);
/* The execution event "deleted" of x (its status is the one before). */
int svc__event_exec_deleted(struct svc_tx *t, const struct jd_exec *x);
/* "deleted" for every execution of job_id (DeleteJob); nothing when off. */
int svc__event_exec_deleted_job(struct svc_tx *t, const char *job_id);

#endif
