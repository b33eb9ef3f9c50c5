/* svc_int.h: helpers shared by the svc/ files; not part of the interface. */
#ifndef JD_SVC_SVC_INT_H
#define JD_SVC_SVC_INT_H

#include "svc/svc.h"
#include "store/store.h"

/* Generate a random UUID v4 string into out (>= 37 bytes). */
void svc__uuid(char out[37]);
/* Map a store failure to an AWS-shaped error (JD_EUNAVAIL, D21) unless e is set. */
int svc__store_err(int rc, struct jd_error *e);
/* Begin a transaction or fail with 503. */
int svc__begin(struct svc *s, bool write, struct store_tx **tx, struct jd_error *e);
/* Commit or fail with 503 (the tx is released either way). */
int svc__commit(struct store_tx *tx, struct jd_error *e);

/* If job is SNAPSHOT and IN_PROGRESS with no pending executions, complete it. */
int svc__job_maybe_complete(struct svc *s, struct store_tx *tx, const char *job_id, int64_t now);
/* Queue a new execution of job on thing (number = max+1, D4). */
int svc__exec_queue(struct svc *s, struct store_tx *tx, const struct jd_job *job,
    const char *thing, int64_t now);
int svc__exec_queue_retry(struct svc *s, struct store_tx *tx, const struct jd_job *job,
    const char *thing, int64_t retry_attempt, int64_t now);
/* After x reached a terminal state by the device or a timer: retry (§9.4),
 * abort (§9.2), and complete a snapshot job. */
int svc__exec_finished(struct svc *s, struct store_tx *tx, const struct jd_exec *x, int64_t now);
/* The same with x's job j, read in this transaction (it may be updated). */
int svc__exec_finished_job(struct svc *s, struct store_tx *tx, const struct jd_exec *x,
    struct jd_job *j, int64_t now);
/* Move one execution to `to` by a service/control op; bumps version (D5). */
int svc__exec_set_status(struct store_tx *tx, struct jd_exec *x, int to, int64_t now);

/* Parse a thing or thing-group ARN of our account; kind 't' or 'g'. */
int svc__parse_target(const struct svc *s, const char *arn, char *kind,
    char name[JD_THING_NAME_MAX + 1], struct jd_error *e);
/* Names of all ancestor groups of group (parent first); *n set. */
int svc__group_ancestors(struct store_tx *tx, const char *group,
    char out[][JD_GROUP_NAME_MAX + 1], int *n);

/* Wake the background worker (job deletion, timers). */
void svc__kick(struct svc *s);

/* Scheduled jobs (spec §9.5). */
int svc__job_start(struct svc *s, struct store_tx *tx, struct jd_job *j, int64_t now,
    struct jd_error *e);
int64_t svc__job_start_ms(const struct jd_job *j);
/* Queue the next paced batch of job j's rollout (spec §9.1). */
int svc__rollout_tick(struct svc *s, struct store_tx *tx, struct jd_job *j, int64_t now);

/* Notifications (notify.c). Call svc__touch before changing an execution of
 * thing in namespace ns; list_changed when it enters or leaves the pending list. */
void svc__notes_begin(struct svc *s);
int svc__touch(struct store_tx *tx, const char *thing, const char *ns, const char *job,
    bool list_changed);
int svc__notes_finish(struct store_tx *tx);
void svc__notes_emit(void);

/* Templates (templates.c). */
char *svc__config_merge(const char *base, const char *over, const char *const *only);
/* Fill j's document (if empty) and configuration from a template ARN. */
int svc__template_apply(struct store_tx *tx, const char *template_arn, struct jd_job *j,
    struct jd_error *e);

#endif
