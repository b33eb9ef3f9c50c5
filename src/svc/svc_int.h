/*
 * svc_int.h: the base of the svc/ files (svc.c): the context of a write use
 * case, transactions, error mapping, identifiers. Not part of the interface.
 *
 * The svc/ files form layers; a file calls and includes only those below it:
 *   notify.c                     notes of a transaction (notify_int.h)
 *   svc.c                        context, transactions, token key (svc_int.h)
 *   events.c                     jobs events and their configuration (events_int.h)
 *   policy_json.c                JSON configuration -> typed policy
 *   s3doc.c                      documentSource reads, presigned URLs (s3doc_int.h)
 *   progress.c                   what follows an execution's change (progress_int.h)
 *   tags.c                       tags of resources (tags_int.h)
 *   types.c                      thing types (types_int.h)
 *   templates.c                  job templates (templates_int.h)
 *   jobs.c                       job use cases, target resolution (jobs_int.h)
 *   coverage.c                   group cover of a thing, continuous joins and
 *                                leaves, dynamic groups per thing (coverage_int.h)
 *   exec.c, things.c             execution, thing and group use cases
 *   schedule.c                   the schedulingConfig.endTime duty (schedule_int.h)
 *   groups.c, dyngroups.c        group management, dynamic groups, the fleet index
 *   cluster.c                    several nodes: leases, the duty fence (cluster_int.h)
 *   timers.c                     timers, deletion reaper, svc_init / svc_fini
 *   rig.c                        the test-rig clock kept in the store, reset
 * scripts/check-svc-graph.sh checks that the include graph has no cycle.
 */
#ifndef JD_SVC_SVC_INT_H
#define JD_SVC_SVC_INT_H

#include "store/store.h"
#include "svc/notify_int.h"
#include "svc/svc.h"

/*
 * The context of one write use case: the service, its store transaction, the
 * time it runs at, and the notifications it collects (emitted after commit).
 * It lives on the use case's stack and is passed down to every helper that
 * changes an execution.
 */
struct svc_tx {
	struct svc *s;
	struct store_tx *tx;
	int64_t now;
	struct svc_notes notes;
};

/* Whether two JSON object texts are equal as JSON (NULL and "{}" are both
 * empty; unparsable text equals nothing): the idempotence checks of the
 * create use cases (attributes, thing type properties). */
bool svc__json_text_equal(const char *a, const char *b);
/* Generate a random UUID v4 string into out (>= 37 bytes). */
void svc__uuid(char out[37]);
/* Map a store failure to an AWS-shaped error (JD_EUNAVAIL) unless e is set. */
int svc__store_err(int rc, struct jd_error *e);
/* Begin a read-only transaction or fail with 503. */
int svc__read(struct svc *s, struct store_tx **tx, struct jd_error *e);
/* The store's meta key of the test rig's clock offset (rig.c writes it). */
#define SVC_CLOCK_META "clock_offset_ms"
/* Take the virtual clock's offset from tx (test rig only; svc.c explains). */
void svc__clock_sync(struct svc *s, struct store_tx *tx, bool exact);
/* Begin a write transaction into t (t->now = the clock, after the virtual
 * clock is synced from the store) or fail with 503. */
int svc__begin(struct svc *s, struct svc_tx *t, struct jd_error *e);
/* Commit or fail with 503; t is finished either way. Notifications are
 * emitted only after a successful commit. */
int svc__commit(struct svc_tx *t, struct jd_error *e);
/* Roll back and drop the notes. */
void svc__rollback(struct svc_tx *t);

/* Note thing's pending list in namespace ns before an execution of job on it
 * changes; list_changed when it enters or leaves the list. */
static inline int
svc__touch(struct svc_tx *t, const char *thing, const char *ns, const char *job, bool list_changed)
{
	return svc__notes_touch(&t->notes, t->tx, thing, ns, job, list_changed);
}

/* Wake the background worker (job deletion, timers; timers.c waits). */
void svc__kick(struct svc *s);

/* The service's base state without its background worker (timers.c starts
 * it): clock, store, token key (loaded or created in the store). */
int svc__open(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    struct jd_error *e);
void svc__close(struct svc *s);

#endif
