/*
 * events.c: jobs events (AWS IoT developer guide, "Jobs events") and the
 * event configuration (UpdateEventConfigurations /
 * DescribeEventConfigurations).
 *
 * The configuration is one meta row of the store ("event_configurations":
 * "MASK CREATED_MS MODIFIED_MS"), so both backends hold it with no new
 * operation, and every node reads the same. Each node caches the mask for
 * EV_CACHE_NS (AWS documents the configuration as eventually consistent);
 * the node that changes it, and a test-rig reset, refresh at once.
 *
 * An event is noted in the transaction that makes the transition (its topic
 * and payload encoded there, from the records in hand) and handed to the
 * sink only after that transaction commits (notify.c): a rolled-back
 * transaction publishes nothing, and each committed transition publishes
 * once. Calls svc.c and notify.c only.
 */
#include "svc/events_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/buf.h"
#include "util/clock.h"

#define EV_META "event_configurations"
#define EV_CACHE_NS INT64_C(1000000000)

static const char *const type_names[SVC_EV__COUNT] = {
    "THING",
    "THING_GROUP",
    "THING_TYPE",
    "THING_GROUP_MEMBERSHIP",
    "THING_GROUP_HIERARCHY",
    "THING_TYPE_ASSOCIATION",
    "JOB",
    "JOB_EXECUTION",
    "POLICY",
    "CERTIFICATE",
    "CA_CERTIFICATE",
};

const char *
svc_event_type_name(int t)
{
	return t >= 0 && t < SVC_EV__COUNT ? type_names[t] : NULL;
}

int
svc_event_type_parse(const char *s, int *out)
{
	for (int i = 0; i < SVC_EV__COUNT; i++)
		if (strcmp(s, type_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

/* The stored row; all zero when absent. */
static int
config_read(struct store_tx *tx, uint32_t *mask, int64_t *created, int64_t *modified)
{
	unsigned long m = 0;
	long long c = 0, u = 0;
	char *v = NULL;
	int rc = store_meta_get(tx, EV_META, &v);

	*mask = 0;
	*created = *modified = 0;
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v != NULL && sscanf(v, "%lu %lld %lld", &m, &c, &u) == 3) {
		*mask = (uint32_t)m & ((1u << SVC_EV__COUNT) - 1);
		*created = c;
		*modified = u;
	}
	free(v);
	return 0;
}

static void
cache_set(struct svc *s, uint32_t mask)
{
	int64_t now = clock_mono_ns();

	atomic_store(&s->ev_mask, mask);
	atomic_store(&s->ev_loaded_ns, now != 0 ? now : 1);
}

/* Whether events of type are published, reading the store when the cache
 * is stale. A read failure keeps the last mask. */
static bool
enabled(struct svc_tx *t, int type)
{
	int64_t loaded, now;

	if (t->notes.ev_sink == NULL)
		return false;
	loaded = atomic_load(&t->s->ev_loaded_ns);
	now = clock_mono_ns();
	if (loaded == 0 || now - loaded > EV_CACHE_NS) {
		uint32_t mask;
		int64_t c, m;
		if (config_read(t->tx, &mask, &c, &m) == 0)
			cache_set(t->s, mask);
	}
	return (atomic_load(&t->s->ev_mask) >> type) & 1u;
}

bool
svc__events_off(struct svc *s, int type)
{
	int64_t loaded;

	if (s->notify.event == NULL)
		return true;
	loaded = atomic_load(&s->ev_loaded_ns);
	if (loaded == 0 || clock_mono_ns() - loaded > EV_CACHE_NS)
		return false;
	return !((atomic_load(&s->ev_mask) >> type) & 1u);
}

int
svc_events_describe(struct svc *s, uint32_t *mask, int64_t *created_ms, int64_t *modified_ms,
    struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = config_read(tx, mask, created_ms, modified_ms);
	store_rollback(tx);
	return rc != 0 ? svc__store_err(rc, e) : 0;
}

int
svc_events_update(struct svc *s, uint32_t set, uint32_t on, struct jd_error *e)
{
	struct svc_tx t;
	uint32_t mask;
	int64_t created, modified;
	char v[80];
	int rc;

	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	if ((rc = config_read(t.tx, &mask, &created, &modified)) != 0)
		goto fail;
	mask = (mask & ~set) | (on & set);
	if (created == 0)
		created = t.now;
	snprintf(v, sizeof(v), "%lu %lld %lld", (unsigned long)mask, (long long)created,
	    (long long)t.now);
	if ((rc = store_meta_put(t.tx, EV_META, v)) != 0)
		goto fail;
	if ((rc = svc__commit(&t, e)) != 0)
		return rc;
	cache_set(s, mask);
	return 0;
fail:
	svc__rollback(&t);
	return svc__store_err(rc, e);
}

/* ---- payloads ---------------------------------------------------------------- */

/* The region of the job's first target ARN ("arn:aws:iot:REGION:..."), so
 * that thingArn names the region the job was created in. */
static void
job_region(const char *targets, char *out, size_t n)
{
	const char *p = targets != NULL ? strstr(targets, "arn:aws:iot:") : NULL;
	const char *end;

	jd_strlcpy(out, "us-east-1", n);
	if (p == NULL)
		return;
	p += 12;
	end = strchr(p, ':');
	if (end != NULL && end > p && (size_t)(end - p) < n)
		jd_strlcpy(out, p, (size_t)(end - p) + 1);
}

static void
header(struct jw *w, const char *type, int64_t now, const char *op, const char *job_id)
{
	char id[37];

	svc__uuid(id);
	jw_obj_begin(w);
	jw_kstr(w, "eventType", type);
	jw_kstr(w, "eventId", id);
	jw_kint(w, "timestamp", now / 1000);
	jw_kstr(w, "operation", op);
	jw_kstr(w, "jobId", job_id);
}

static void
note(struct svc_tx *t, const char *kind, const char *job_id, const char *op, struct buf *payload)
{
	struct buf topic = BUF_INIT;
	size_t len = payload->len;

	buf_printf(&topic, "$aws/events/%s/%s/%s", kind, job_id, op);
	svc__notes_event(&t->notes, buf_steal(&topic), buf_steal(payload), len);
}

/* The job status a job event names: the operation's, in capitals. */
static const char *
job_event_status(const struct jd_job *j, const char *op)
{
	if (strcmp(op, "completed") == 0)
		return "COMPLETED";
	if (strcmp(op, "canceled") == 0)
		return "CANCELED";
	if (strcmp(op, "deleted") == 0)
		return "DELETED";
	if (strcmp(op, "cancellation_in_progress") == 0)
		return "CANCELLATION_IN_PROGRESS";
	if (strcmp(op, "deletion_in_progress") == 0)
		return "DELETION_IN_PROGRESS";
	return core_job_status_name(j->status);
}

int
svc__event_job(struct svc_tx *t, const struct jd_job *j, const char *op)
{
	bool details = strcmp(op, "completed") == 0 || strcmp(op, "canceled") == 0;
	struct buf b = BUF_INIT;
	struct jd_counts c;
	struct jw w;
	int rc;

	if (!enabled(t, SVC_EV_JOB))
		return 0;
	memset(&c, 0, sizeof(c));
	if (details && (rc = store_exec_counts(t->tx, j->job_id, &c)) != 0)
		return rc;
	jw_init(&w, &b);
	header(&w, "JOB", t->now, op, j->job_id);
	jw_kstr(&w, "status", job_event_status(j, op));
	if (strcmp(op, "canceled") == 0)
		jw_kbool(&w, "forceCanceled", j->force_canceled);
	jw_kstr(&w, "targetSelection", core_target_selection_name(j->selection));
	jw_kraw_opt(&w, "targets", j->targets != NULL ? j->targets : "[]");
	jw_kstr_opt(&w, "description", j->description);
	if (strcmp(op, "completed") == 0)
		jw_kint(&w, "completedAt", j->completed_ms != 0 ? j->completed_ms : t->now);
	jw_kint(&w, "createdAt", j->created_ms);
	jw_kint(&w, "lastUpdatedAt", j->updated_ms);
	jw_kstr_opt(&w, "comment", j->comment);
	if (details) {
		jw_key(&w, "jobProcessDetails");
		jw_obj_begin(&w);
		jw_kint(&w, "numberOfCanceledThings", c.n[JD_EXEC_CANCELED]);
		jw_kint(&w, "numberOfRejectedThings", c.n[JD_EXEC_REJECTED]);
		jw_kint(&w, "numberOfFailedThings", c.n[JD_EXEC_FAILED]);
		jw_kint(&w, "numberOfRemovedThings", c.n[JD_EXEC_REMOVED]);
		jw_kint(&w, "numberOfSucceededThings", c.n[JD_EXEC_SUCCEEDED]);
		jw_kint(&w, "numberOfTimedOutThings", c.n[JD_EXEC_TIMED_OUT]);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	note(t, "job", j->job_id, op, &b);
	buf_free(&b);
	return 0;
}

int
svc__event_job_deleted(struct svc_tx *t, const char *job_id)
{
	struct jd_job j;
	int rc;

	if (!enabled(t, SVC_EV_JOB))
		return 0;
	memset(&j, 0, sizeof(j));
	rc = store_job_get(t->tx, job_id, &j);
	if (rc == 0)
		rc = svc__event_job(t, &j, "deleted");
	jd_job_release(&j);
	return rc == JD_ENOTFOUND ? 0 : rc;
}

/* The execution event op of x (status), or NULL for a status without one. */
static const char *
exec_op(int status)
{
	switch (status) {
	case JD_EXEC_SUCCEEDED:
		return "succeeded";
	case JD_EXEC_FAILED:
		return "failed";
	case JD_EXEC_REJECTED:
		return "rejected";
	case JD_EXEC_CANCELED:
		return "canceled";
	case JD_EXEC_TIMED_OUT:
		return "timed_out";
	case JD_EXEC_REMOVED:
		return "removed";
	default:
		return NULL;
	}
}

static int
exec_event(struct svc_tx *t, const struct jd_exec *x, const char *op, const char *targets)
{
	char region[32], arn[256];
	struct buf b = BUF_INIT;
	struct jw w;

	job_region(targets, region, sizeof(region));
	snprintf(arn, sizeof(arn), "arn:aws:iot:%s:%s:thing/%s", region, t->s->account,
	    x->thing_name);
	jw_init(&w, &b);
	header(&w, "JOB_EXECUTION", t->now, op, x->job_id);
	jw_kstr(&w, "thingArn", arn);
	jw_kstr(&w, "status", core_exec_status_name(x->status));
	if (x->details != NULL && strcmp(x->details, "{}") != 0)
		jw_kraw_opt(&w, "statusDetails", x->details);
	jw_obj_end(&w);
	note(t, "jobExecution", x->job_id, op, &b);
	buf_free(&b);
	return 0;
}

/* The job's targets text (for the region), read in t; owned, may be NULL. */
static char *
targets_of(struct svc_tx *t, const char *job_id)
{
	struct jd_job j;
	char *out = NULL;

	memset(&j, 0, sizeof(j));
	if (store_job_get(t->tx, job_id, &j) == 0) {
		out = j.targets;
		j.targets = NULL;
	}
	jd_job_release(&j);
	return out;
}

int
svc__event_exec(struct svc_tx *t, const struct jd_exec *x)
{
	const char *op = exec_op(x->status);
	char *targets;

	if (op == NULL || !enabled(t, SVC_EV_JOB_EXECUTION))
		return 0;
	targets = targets_of(t, x->job_id);
	exec_event(t, x, op, targets);
	free(targets);
	return 0;
}

int
svc__event_exec_deleted(struct svc_tx *t, const struct jd_exec *x)
{
	char *targets;

	if (!enabled(t, SVC_EV_JOB_EXECUTION))
		return 0;
	targets = targets_of(t, x->job_id);
	exec_event(t, x, "deleted", targets);
	free(targets);
	return 0;
}

int
svc__event_exec_deleted_job(struct svc_tx *t, const char *job_id)
{
	struct jd_execv all = {0};
	char *targets;
	int rc;

	if (!enabled(t, SVC_EV_JOB_EXECUTION))
		return 0;
	if ((rc = store_exec_list_job(t->tx, job_id, -1, NULL, 0, 0, jd_execv_add, &all)) < 0)
		goto out;
	rc = 0;
	targets = targets_of(t, job_id);
	for (size_t i = 0; i < all.n; i++)
		exec_event(t, &all.v[i], "deleted", targets);
	free(targets);
out:
	jd_execv_free(&all);
	return rc;
}
