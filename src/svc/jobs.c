/*
 * jobs.c: jobs (create with target resolution and fan-out, describe, list,
 * update, cancel, delete, associate) and the execution helpers they share.
 */
#include "svc/svc_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

int
svc__parse_target(const struct svc *s, const char *arn, char *kind, char name[JD_THING_NAME_MAX + 1],
    struct jd_error *e)
{
	/* arn:{partition}:iot:{region}:{account}:{thing|thinggroup}/{name} */
	const char *p = arn, *field[6];
	int n = 0;

	field[n++] = p;
	while (*p && n < 6) {
		if (*p == ':')
			field[n++] = p + 1;
		p++;
	}
	if (n < 6 || strncmp(arn, "arn:", 4) != 0)
		goto bad;
	if (strncmp(field[2], "iot:", 4) != 0)
		goto bad;
	if ((size_t)(field[5] - field[4] - 1) != strlen(s->account) ||
	    strncmp(field[4], s->account, strlen(s->account)) != 0)
		return jd_error_set(e, JD_EINVAL, "Target %s is not in account %s", arn, s->account);
	if (strncmp(field[5], "thing/", 6) == 0) {
		*kind = 't';
		p = field[5] + 6;
	} else if (strncmp(field[5], "thinggroup/", 11) == 0) {
		*kind = 'g';
		p = field[5] + 11;
	} else {
		goto bad;
	}
	if (core_check_thing_name("targets", p, NULL) != 0)
		goto bad;
	jd_strlcpy(name, p, JD_THING_NAME_MAX + 1);
	return 0;
bad:
	return jd_error_set(e, JD_EINVAL,
	    "Target %s is not a valid thing or thing group ARN", arn);
}

int
svc__exec_set_status(struct store_tx *tx, struct jd_exec *x, int to, int64_t now)
{
	int rc = svc__touch(tx, x->thing_name, x->namespace_id, x->job_id,
	    core_exec_status_pending(x->status) != core_exec_status_pending(to));

	if (rc != 0)
		return rc;
	if (x->status == JD_EXEC_IN_PROGRESS && to == JD_EXEC_CANCELED)
		x->force_canceled = true;
	x->status = to;
	x->version++;
	x->updated_ms = now;
	if (core_exec_status_terminal(to))
		x->inprogress_deadline = x->step_deadline = 0;
	return store_exec_update(tx, x);
}

int
svc__job_maybe_complete(struct svc *s, struct store_tx *tx, const char *job_id, int64_t now)
{
	struct jd_job j;
	int64_t active = 0;
	int status = 0, selection = 0;
	int rc;

	(void)s;
	/* the O(1) count first: the job row (its targets, its document) is
	 * read only when the job may be complete (a hot path: every
	 * execution that ends comes here) */
	if ((rc = store_exec_active_count(tx, job_id, &active)) != 0)
		return rc;
	if (active > 0)
		return 0;
	rc = store_job_status(tx, job_id, &status, &selection);
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (selection != JD_SEL_SNAPSHOT || status != JD_JOB_IN_PROGRESS)
		return 0;
	memset(&j, 0, sizeof(j));
	rc = store_job_get(tx, job_id, &j);
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (j.rollout_next_ms == 0) { /* status and selection checked above */
		j.status = JD_JOB_COMPLETED;
		j.completed_ms = j.updated_ms = now;
		rc = store_job_update(tx, &j);
	}
	jd_job_release(&j);
	return rc;
}

int
svc__exec_queue(struct svc *s, struct store_tx *tx, const struct jd_job *job, const char *thing,
    int64_t now)
{
	return svc__exec_queue_retry(s, tx, job, thing, 0, now);
}

static int exec_insert_numbered(struct store_tx *tx, const struct jd_job *job,
    const char *thing, int64_t number, int64_t retry_attempt, int64_t now);

int
svc__exec_queue_retry(struct svc *s, struct store_tx *tx, const struct jd_job *job,
    const char *thing, int64_t retry_attempt, int64_t now)
{
	int64_t max = 0;
	int rc;

	(void)s;
	if ((rc = store_exec_max_number(tx, job->job_id, thing, &max)) != 0 && rc != JD_ENOTFOUND)
		return rc;
	return exec_insert_numbered(tx, job, thing, max + 1, retry_attempt, now); /* D4 */
}

/* *x as a new QUEUED execution of job on thing, noted for notifications. */
static int
exec_queued(struct store_tx *tx, struct jd_exec *x, const struct jd_job *job,
    const char *thing, int64_t number, int64_t retry_attempt, int64_t now)
{
	memset(x, 0, sizeof(*x));
	jd_strlcpy(x->job_id, job->job_id, sizeof(x->job_id));
	jd_strlcpy(x->thing_name, thing, sizeof(x->thing_name));
	jd_strlcpy(x->namespace_id, job->namespace_id, sizeof(x->namespace_id));
	x->number = number;
	x->status = JD_EXEC_QUEUED;
	x->queued_ms = x->updated_ms = now;
	x->version = 1; /* D5 */
	x->retry_attempt = retry_attempt;
	return svc__touch(tx, thing, job->namespace_id, job->job_id, true);
}

/* Insert a QUEUED execution with a known number. */
static int
exec_insert_numbered(struct store_tx *tx, const struct jd_job *job, const char *thing,
    int64_t number, int64_t retry_attempt, int64_t now)
{
	struct jd_exec x;
	int rc = exec_queued(tx, &x, job, thing, number, retry_attempt, now);

	return rc != 0 ? rc : store_exec_insert(tx, &x);
}

/* ---- target resolution --------------------------------------------------- */

struct tset {
	char (*v)[JD_THING_NAME_MAX + 1];
	size_t n, cap;
};

/* Execution number 1, QUEUED, for each thing of t: none has one yet. */
static int
queue_first(struct store_tx *tx, const struct jd_job *job, const struct tset *t, int64_t now)
{
	size_t cap = t->n < JD_FANOUT_BATCH ? t->n : JD_FANOUT_BATCH;
	struct jd_exec *xs;
	int rc = 0;

	if (t->n == 0)
		return 0;
	xs = jd_calloc(cap, sizeof(*xs));
	for (size_t i = 0; i < t->n && rc == 0; i += cap) {
		size_t n = t->n - i < cap ? t->n - i : cap;
		for (size_t k = 0; k < n && rc == 0; k++)
			rc = exec_queued(tx, &xs[k], job, t->v[i + k], 1, 0, now); /* D4 */
		if (rc == 0)
			rc = store_exec_insert_first(tx, xs, n);
	}
	free(xs);
	return rc;
}

static int
tset_add(void *arg, const char *name)
{
	struct tset *t = arg;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = jd_realloc(t->v, t->cap * sizeof(*t->v));
	}
	jd_strlcpy(t->v[t->n++], name, JD_THING_NAME_MAX + 1);
	return 0;
}

static int
tcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
tset_unique(struct tset *t)
{
	size_t w = 0;

	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof(*t->v), tcmp);
	for (size_t i = 1; i < t->n; i++)
		if (strcmp(t->v[i], t->v[w]) != 0)
			memcpy(t->v[++w], t->v[i], sizeof(*t->v));
	t->n = w + 1;
}

/* Resolve targets to things; record group targets; fan out executions. */
/*
 * Rollout rate per minute from jobExecutionsRolloutConfig (spec §9.1): the
 * exponential rate starts at baseRatePerMinute and is multiplied by
 * incrementFactor each time another threshold's worth of things has been
 * notified (or has succeeded); maximumPerMinute caps it. 0 = not paced.
 */
static int64_t
rollout_rate(const char *config, int64_t notified, int64_t succeeded)
{
	json_t *cfg = json_loads(config ? config : "{}", 0, NULL);
	json_t *ro = json_object_get(cfg, "jobExecutionsRolloutConfig");
	json_t *ex = json_object_get(ro, "exponentialRate");
	int64_t max = json_integer_value(json_object_get(ro, "maximumPerMinute"));
	int64_t rate = 0;

	if (ro == NULL)
		goto out;
	if (max <= 0)
		max = 1000;
	rate = max;
	if (ex != NULL) {
		json_t *crit = json_object_get(ex, "rateIncreaseCriteria");
		int64_t base = json_integer_value(json_object_get(ex, "baseRatePerMinute"));
		double factor = json_number_value(json_object_get(ex, "incrementFactor"));
		int64_t by_n = json_integer_value(json_object_get(crit, "numberOfNotifiedThings"));
		int64_t by_s = json_integer_value(json_object_get(crit, "numberOfSucceededThings"));
		int64_t steps = by_n > 0 ? notified / by_n : by_s > 0 ? succeeded / by_s : 0;
		double r = (double)base;
		for (int64_t i = 0; i < steps && r < (double)max; i++)
			r *= factor;
		rate = r < (double)max ? (int64_t)r : max;
	}
	if (rate < 1)
		rate = 1;
out:
	json_decref(cfg);
	return rate;
}

/* How targets are resolved into executions. */
enum resolve_mode {
	RESOLVE_CREATE,    /* CreateJob: every target must exist; paced by the rollout config */
	RESOLVE_START,     /* a SCHEDULED job starts: vanished targets are skipped; paced */
	RESOLVE_ASSOCIATE, /* AssociateTargetsWithJob: not paced; things the job already
	                      reached (any execution but REMOVED) are left alone */
};

static int
resolve_and_queue(struct svc *s, struct store_tx *tx, struct jd_job *job,
    const char *const *targets, int n_targets, enum resolve_mode mode, bool queue, int64_t now,
    struct jd_error *e)
{
	/* Only a job's initial targets are paced; later additions are immediate. */
	int64_t paced = mode == RESOLVE_ASSOCIATE ? 0 : rollout_rate(job->config, 0, 0);
	struct tset things = {0};
	char name[JD_THING_NAME_MAX + 1], kind;
	int rc = 0;

	for (int i = 0; i < n_targets; i++) {
		if ((rc = svc__parse_target(s, targets[i], &kind, name, e)) != 0) {
			if (mode != RESOLVE_START)
				goto out;
			jd_error_clear(e); /* e.g. the account changed since: skip it */
			continue;
		}
		if (kind == 't') {
			struct jd_thing t;
			memset(&t, 0, sizeof(t));
			rc = store_thing_get(tx, name, &t);
			jd_thing_release(&t);
			if (rc == JD_ENOTFOUND && mode == RESOLVE_START)
				continue;
			if (rc == JD_ENOTFOUND) {
				rc = jd_error_set(e, rc, "Thing %s cannot be found.", name);
				goto out;
			}
			if (rc != 0)
				goto store_fail;
			tset_add(&things, name);
		} else {
			struct jd_group g;
			memset(&g, 0, sizeof(g));
			rc = store_group_get(tx, name, &g);
			jd_group_release(&g);
			if (rc == JD_ENOTFOUND && mode == RESOLVE_START)
				continue;
			if (rc == JD_ENOTFOUND) {
				rc = jd_error_set(e, rc, "Thing Group %s does not exist", name);
				goto out;
			}
			if (rc != 0)
				goto store_fail;
			if ((rc = store_job_target_add(tx, job->job_id, name)) != 0 && rc != JD_EEXISTS)
				goto store_fail;
			if ((rc = store_member_list(tx, name, true, "", 100000000, tset_add, &things)) != 0)
				goto store_fail;
		}
	}
	tset_unique(&things);
	if (queue && paced > 0 && things.n > (size_t)paced) {
		for (size_t i = (size_t)paced; i < things.n; i++)
			if ((rc = store_rollout_push(tx, job->job_id, (int64_t)i, things.v[i])) != 0)
				goto store_fail;
		things.n = (size_t)paced;
		job->rollout_next_ms = now + CORE_MIN_MS;
	}
	if (queue && paced > 0)
		job->rollout_notified = (int64_t)things.n;
	if (queue && mode != RESOLVE_ASSOCIATE) {
		/* A job that was just created (or is starting) has no execution
		 * anywhere: each is the first of its thing, inserted in batches. */
		if ((rc = queue_first(tx, job, &things, now)) != 0)
			goto store_fail;
	}
	for (size_t i = 0; queue && mode == RESOLVE_ASSOCIATE && i < things.n; i++) {
		struct jd_exec x;
		memset(&x, 0, sizeof(x));
		rc = store_exec_get(tx, job->job_id, things.v[i], 0, &x);
		jd_exec_release(&x);
		if (rc == 0 && x.status != JD_EXEC_REMOVED)
			continue;
		if (rc != 0 && rc != JD_ENOTFOUND)
			goto store_fail;
		if ((rc = svc__exec_queue(s, tx, job, things.v[i], now)) != 0)
			goto store_fail;
	}
	rc = 0;
	goto out;
store_fail:
	rc = svc__store_err(rc, e);
out:
	free(things.v);
	return rc;
}

static char *
targets_json(const char *const *targets, int n, const char *existing)
{
	json_t *arr = existing ? json_loads(existing, 0, NULL) : NULL;
	char *out;

	if (!json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
	}
	for (int i = 0; i < n; i++) {
		bool dup = false;
		size_t k;
		json_t *v;
		json_array_foreach(arr, k, v)
			if (strcmp(json_string_value(v), targets[i]) == 0)
				dup = true;
		if (!dup)
			json_array_append_new(arr, json_string(targets[i]));
	}
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

int
svc_job_create(struct svc *s, const struct svc_job_input *in, struct jd_job *out,
    struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_job j;
	int64_t now = svc_now(s), active = 0;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, in->job_id, &j);
	jd_job_release(&j);
	if (rc == 0) {
		store_rollback(tx);
		jd_error_set(e, JD_EEXISTS, "Job %s already exists", in->job_id);
		jd_strlcpy(e->resource_id, in->job_id, sizeof(e->resource_id));
		return JD_EEXISTS;
	}
	if (rc != JD_ENOTFOUND)
		goto store_fail;
	memset(&j, 0, sizeof(j));
	jd_strlcpy(j.job_id, in->job_id, sizeof(j.job_id));
	/* A job with a future startTime is SCHEDULED: its targets are checked
	* now, its executions queued when the timer starts it (spec §9.5). */
	j.status = in->start_ms > now ? JD_JOB_SCHEDULED : JD_JOB_IN_PROGRESS;
	j.selection = in->selection;
	jd_strlcpy(j.namespace_id, in->namespace_id ? in->namespace_id : "", sizeof(j.namespace_id));
	j.document = jd_strdup(in->document ? in->document : "");
	j.document_source = jd_strdup(in->document_source);
	j.description = jd_strdup(in->description);
	j.targets = targets_json(in->targets, in->n_targets, NULL);
	j.config = jd_strdup(in->config ? in->config : "{}");
	j.template_arn = jd_strdup(in->template_arn);
	j.inprogress_timeout_min = in->inprogress_timeout_min;
	j.created_ms = j.updated_ms = now;
	if (in->template_arn != NULL && (rc = svc__template_apply(tx, in->template_arn, &j, e)) != 0)
		goto fail;
	if ((rc = store_job_insert(tx, &j)) != 0)
		goto store_fail;
	if ((rc = resolve_and_queue(s, tx, &j, in->targets, in->n_targets, RESOLVE_CREATE,
	         j.status == JD_JOB_IN_PROGRESS, now, e)) != 0)
		goto fail;
	/* A snapshot job with nothing to run is complete at once. */
	if (j.selection == JD_SEL_SNAPSHOT && j.status == JD_JOB_IN_PROGRESS &&
	    j.rollout_next_ms == 0) {
		if ((rc = store_exec_active_count(tx, j.job_id, &active)) != 0)
			goto store_fail;
		if (active == 0) {
			j.status = JD_JOB_COMPLETED;
			j.completed_ms = now;
		}
	}
	if ((rc = store_job_update(tx, &j)) != 0)
		goto store_fail;
	if ((rc = svc__commit(tx, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	*out = j;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	store_rollback(tx);
	return rc;
}

static int
job_not_found(const char *job_id, struct jd_error *e)
{
	return jd_error_set(e, JD_ENOTFOUND, "Job %s does not exist", job_id);
}

int
svc_job_describe(struct svc *s, const char *job_id, struct jd_job *out,
    struct jd_counts *counts, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(counts, 0, sizeof(*counts));
	if ((rc = svc__begin(s, false, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, out);
	if (rc == 0)
		rc = store_exec_counts(tx, job_id, counts);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return job_not_found(job_id, e);
	if (rc != 0) {
		jd_job_release(out);
		return svc__store_err(rc, e);
	}
	return 0;
}

struct page {
	int limit, seen;
	bool *more;
	jd_job_cb cb;
	void *arg;
};

static int
job_page(void *arg, const struct jd_job *j)
{
	struct page *p = arg;

	if (p->seen++ >= p->limit) {
		*p->more = true;
		return 1;
	}
	return p->cb(p->arg, j);
}

int
svc_job_list(struct svc *s, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct page p = {limit, 0, more, cb, arg};
	struct store_tx *tx = NULL;
	int rc;

	*more = false;
	if ((rc = svc__begin(s, false, &tx, e)) != 0)
		return rc;
	rc = store_job_list(tx, f, before_seq, limit + 1, job_page, &p);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

/* UpdateJob may set a retry count to 0 or keep it, never raise it (§9.4). */
static bool
retry_raised(json_t *cur, json_t *upd)
{
	json_t *ul = json_object_get(upd, "criteriaList"), *uc, *cc;
	size_t i, k;

	json_array_foreach(ul, i, uc) {
		const char *ft = json_string_value(json_object_get(uc, "failureType"));
		int64_t n = json_integer_value(json_object_get(uc, "numberOfRetries"));
		int64_t was = 0;
		if (n == 0)
			continue;
		json_array_foreach(json_object_get(cur, "criteriaList"), k, cc) {
			const char *cft = json_string_value(json_object_get(cc, "failureType"));
			if (ft && cft && strcmp(ft, cft) == 0)
				was = json_integer_value(json_object_get(cc, "numberOfRetries"));
		}
		if (n != was)
			return true;
	}
	return false;
}

int
svc_job_update(struct svc *s, const char *job_id, const char *description,
    const char *config_patch, int64_t inprogress_timeout_min, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		store_rollback(tx);
		return job_not_found(job_id, e);
	}
	if (rc != 0)
		goto store_fail;
	if (j.status != JD_JOB_IN_PROGRESS && j.status != JD_JOB_SCHEDULED) {
		store_rollback(tx);
		rc = jd_error_set(e, JD_EINVAL, "Job %s is %s and cannot be updated", job_id,
		    core_job_status_name(j.status));
		jd_job_release(&j);
		return rc;
	}
	if (description != NULL) {
		free(j.description);
		j.description = jd_strdup(description);
	}
	if (config_patch != NULL) {
		json_t *cur = json_loads(j.config ? j.config : "{}", 0, NULL);
		json_t *patch = json_loads(config_patch, 0, NULL);
		if (!json_is_object(cur)) {
			json_decref(cur);
			cur = json_object();
		}
		if (retry_raised(json_object_get(cur, "jobExecutionsRetryConfig"),
		        json_object_get(patch, "jobExecutionsRetryConfig"))) {
			json_decref(cur);
			json_decref(patch);
			rc = jd_error_set(e, JD_EINVAL, "The number of retries of a job can only be lowered "
			    "to 0 after it is created");
			store_rollback(tx);
			jd_job_release(&j);
			return rc;
		}
		if (json_is_object(patch))
			json_object_update(cur, patch);
		free(j.config);
		j.config = json_dumps(cur, JSON_COMPACT);
		json_decref(cur);
		json_decref(patch);
	}
	if (inprogress_timeout_min >= 0)
		j.inprogress_timeout_min = inprogress_timeout_min;
	j.updated_ms = svc_now(s);
	if ((rc = store_job_update(tx, &j)) != 0)
		goto store_fail;
	jd_job_release(&j);
	return svc__commit(tx, e);
store_fail:
	jd_job_release(&j);
	store_rollback(tx);
	return svc__store_err(rc, e);
}

/* Cancel job j inside tx (CancelJob, abort): QUEUED executions, and
 * IN_PROGRESS ones with force, become CANCELED; j is updated in place. */
static int
cancel_tx(struct store_tx *tx, struct jd_job *j, bool force, const char *reason_code,
    const char *comment, int64_t now)
{
	struct jd_execv pend = {0};
	int rc;

	if ((rc = store_exec_pending_job(tx, j->job_id, jd_execv_add, &pend)) != 0)
		goto out;
	for (size_t i = 0; i < pend.n; i++) {
		struct jd_exec *x = &pend.v[i];
		if (core_exec_check(CORE_OP_CANCEL, x->status, JD_EXEC_CANCELED, force, NULL) != 0)
			continue;
		if ((rc = svc__exec_set_status(tx, x, JD_EXEC_CANCELED, now)) != 0)
			goto out;
	}
	if (j->rollout_next_ms != 0 && (rc = store_rollout_clear(tx, j->job_id)) != 0)
		goto out;
	j->rollout_next_ms = 0;
	j->status = JD_JOB_CANCELED;
	j->force_canceled = j->force_canceled || force;
	if (reason_code != NULL)
		jd_strlcpy(j->reason_code, reason_code, sizeof(j->reason_code));
	if (comment != NULL) {
		free(j->comment);
		j->comment = jd_strdup(comment);
	}
	j->updated_ms = now;
	if (j->completed_ms == 0)
		j->completed_ms = now;
	rc = store_job_update(tx, j);
out:
	jd_execv_free(&pend);
	return rc;
}

int
svc_job_cancel(struct svc *s, const char *job_id, bool force, const char *reason_code,
    const char *comment, struct jd_job *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_job j;
	int64_t now = svc_now(s);
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		store_rollback(tx);
		return job_not_found(job_id, e);
	}
	if (rc != 0)
		goto store_fail;
	/* A CANCELED job may be canceled again with force to cancel what is
	 * still IN_PROGRESS; COMPLETED and DELETION_IN_PROGRESS may not. */
	if (j.status == JD_JOB_COMPLETED || j.status == JD_JOB_DELETION_IN_PROGRESS ||
	    (j.status == JD_JOB_CANCELED && !force)) {
		rc = jd_error_set(e, JD_EINVAL, "Job %s is %s and cannot be canceled", job_id,
		    core_job_status_name(j.status));
		goto fail;
	}
	if ((rc = cancel_tx(tx, &j, force, reason_code, comment, now)) != 0)
		goto store_fail;
	if ((rc = svc__commit(tx, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	*out = j;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	store_rollback(tx);
	return rc;
}

/* ---- retries (spec §9.4, D13) and aborts (spec §9.2) --------------------- */

struct fail_count {
	int status;       /* JD_EXEC_FAILED, JD_EXEC_TIMED_OUT, or -1 for both */
	int64_t n;
};

static int
count_failures(void *arg, const struct jd_exec *x)
{
	struct fail_count *c = arg;

	if (c->status < 0 ? (x->status == JD_EXEC_FAILED || x->status == JD_EXEC_TIMED_OUT)
	                  : x->status == c->status)
		c->n++;
	return 0;
}

/* Queue a retry of x if the job's retry configuration still allows one. */
static int
maybe_retry(struct svc *s, struct store_tx *tx, const struct jd_job *j,
    const struct jd_exec *x, json_t *cfg, int64_t now)
{
	json_t *list = json_object_get(json_object_get(cfg, "jobExecutionsRetryConfig"), "criteriaList");
	const char *type = core_exec_status_name(x->status);
	struct jd_exec_filter f = {-1, x->job_id, NULL};
	struct fail_count c = {x->status, 0};
	int64_t allowed = -1;
	size_t i;
	json_t *crit;
	int rc;

	if (x->status != JD_EXEC_FAILED && x->status != JD_EXEC_TIMED_OUT)
		return 0;
	/* A criterion for this failure type wins over ALL. */
	json_array_foreach(list, i, crit) {
		const char *ft = json_string_value(json_object_get(crit, "failureType"));
		int64_t n = json_integer_value(json_object_get(crit, "numberOfRetries"));
		if (ft != NULL && strcmp(ft, type) == 0) {
			allowed = n;
			c.status = x->status;
			break;
		}
		if (ft != NULL && strcmp(ft, "ALL") == 0) {
			allowed = n;
			c.status = -1;
		}
	}
	if (allowed <= 0 || x->retry_attempt >= 10)
		return 0;
	if ((rc = store_exec_list_thing(tx, x->thing_name, &f, 0, 0, count_failures, &c)) != 0)
		return rc;
	if (c.n > allowed)
		return 0;
	return svc__exec_queue_retry(s, tx, j, x->thing_name, x->retry_attempt + 1, now);
}

/* Cancel the job (as CancelJob without force) if an abort criterion is met. */
static int
maybe_abort(struct store_tx *tx, struct jd_job *j, json_t *cfg, int64_t now)
{
	json_t *list = json_object_get(json_object_get(cfg, "abortConfig"), "criteriaList");
	struct jd_counts c;
	size_t i;
	json_t *crit;
	int rc;

	if (json_array_size(list) == 0)
		return 0;
	if ((rc = store_exec_counts(tx, j->job_id, &c)) != 0)
		return rc;
	int64_t executed = c.n[JD_EXEC_SUCCEEDED] + c.n[JD_EXEC_FAILED] + c.n[JD_EXEC_REJECTED] +
	    c.n[JD_EXEC_TIMED_OUT];
	json_array_foreach(list, i, crit) {
		const char *ft = json_string_value(json_object_get(crit, "failureType"));
		double threshold = json_number_value(json_object_get(crit, "thresholdPercentage"));
		int64_t min = json_integer_value(json_object_get(crit, "minNumberOfExecutedThings"));
		int64_t failed;
		char comment[256];
		if (ft == NULL || executed < min || executed == 0)
			continue;
		if (strcmp(ft, "FAILED") == 0)
			failed = c.n[JD_EXEC_FAILED];
		else if (strcmp(ft, "REJECTED") == 0)
			failed = c.n[JD_EXEC_REJECTED];
		else if (strcmp(ft, "TIMED_OUT") == 0)
			failed = c.n[JD_EXEC_TIMED_OUT];
		else
			failed = c.n[JD_EXEC_FAILED] + c.n[JD_EXEC_REJECTED] + c.n[JD_EXEC_TIMED_OUT];
		if ((double)failed * 100.0 < threshold * (double)executed)
			continue;
		snprintf(comment, sizeof(comment),
		    "Job aborted by abortConfig criterion %zu: %lld of %lld executed things %s (threshold %.2f%%)",
		    i + 1, (long long)failed, (long long)executed, ft, threshold);
		return cancel_tx(tx, j, false, "ABORTED_BY_FAILURE_THRESHOLD", comment, now);
	}
	return 0;
}

int
svc__exec_finished_job(struct svc *s, struct store_tx *tx, const struct jd_exec *x,
    struct jd_job *j, int64_t now)
{
	int rc = 0;

	/* The config is stored as jansson wrote it, so its keys appear
	 * verbatim: without either one there is nothing to parse (the common
	 * case, on the path of every execution that ends). */
	if (j->status == JD_JOB_IN_PROGRESS && j->config != NULL &&
	    (strstr(j->config, "\"abortConfig\"") != NULL ||
		strstr(j->config, "\"jobExecutionsRetryConfig\"") != NULL)) {
		json_t *cfg = json_loads(j->config, 0, NULL);

		/* Abort first, counting this failure; an aborted job queues no retry (§9.2). */
		rc = maybe_abort(tx, j, cfg, now);
		if (rc == 0 && j->status == JD_JOB_IN_PROGRESS)
			rc = maybe_retry(s, tx, j, x, cfg, now);
		json_decref(cfg);
	}
	if (rc == 0)
		rc = svc__job_maybe_complete(s, tx, x->job_id, now);
	return rc;
}

int
svc__exec_finished(struct svc *s, struct store_tx *tx, const struct jd_exec *x, int64_t now)
{
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	rc = store_job_get(tx, x->job_id, &j);
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	rc = svc__exec_finished_job(s, tx, x, &j, now);
	jd_job_release(&j);
	return rc;
}

int
svc_job_delete(struct svc *s, const char *job_id, bool force, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_job j;
	int64_t deleting = 0;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		store_rollback(tx);
		return job_not_found(job_id, e);
	}
	if (rc != 0)
		goto store_fail;
	if (j.status == JD_JOB_DELETION_IN_PROGRESS) {
		rc = jd_error_set(e, JD_ESTATE, "Job %s is already being deleted", job_id);
		goto fail;
	}
	if (!force && j.status != JD_JOB_COMPLETED && j.status != JD_JOB_CANCELED) {
		rc = jd_error_set(e, JD_ESTATE, "Job %s is %s; set force=true to delete it", job_id,
		    core_job_status_name(j.status));
		goto fail;
	}
	if ((rc = store_job_count_status(tx, JD_JOB_DELETION_IN_PROGRESS, &deleting)) != 0)
		goto store_fail;
	if (deleting >= JD_DELETING_JOBS_MAX) {
		rc = jd_error_set(e, JD_ELIMIT, "Only %d jobs may be in DELETION_IN_PROGRESS at the same time",
		    JD_DELETING_JOBS_MAX);
		goto fail;
	}
	/* Its executions leave the device views now (D3), not when reaped. */
	{
		struct jd_execv pend = {0};
		rc = store_exec_pending_job(tx, job_id, jd_execv_add, &pend);
		for (size_t i = 0; rc == 0 && i < pend.n; i++)
			rc = svc__touch(tx, pend.v[i].thing_name, pend.v[i].namespace_id, job_id, true);
		jd_execv_free(&pend);
		if (rc != 0)
			goto store_fail;
	}
	j.status = JD_JOB_DELETION_IN_PROGRESS;
	j.updated_ms = svc_now(s);
	if ((rc = store_job_update(tx, &j)) != 0)
		goto store_fail;
	jd_job_release(&j);
	if ((rc = svc__commit(tx, e)) != 0)
		return rc;
	svc__kick(s);
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	store_rollback(tx);
	return rc;
}

int
svc_job_associate(struct svc *s, const char *job_id, const char *const *targets, int n_targets,
    struct jd_job *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_job j;
	json_t *arr = NULL;
	char *merged = NULL;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		store_rollback(tx);
		return job_not_found(job_id, e);
	}
	if (rc != 0)
		goto store_fail;
	if (j.selection != JD_SEL_CONTINUOUS || j.status != JD_JOB_IN_PROGRESS) {
		rc = jd_error_set(e, JD_EINVAL,
		    "Targets can only be associated with a CONTINUOUS job that is IN_PROGRESS");
		goto fail;
	}
	merged = targets_json(targets, n_targets, j.targets);
	arr = json_loads(merged, 0, NULL);
	if (json_array_size(arr) > JD_TARGETS_MAX) {
		rc = jd_error_set(e, JD_ELIMIT, "A job can have at most %d targets", JD_TARGETS_MAX);
		goto fail;
	}
	free(j.targets);
	j.targets = merged;
	merged = NULL;
	j.updated_ms = svc_now(s);
	if ((rc = resolve_and_queue(s, tx, &j, targets, n_targets, RESOLVE_ASSOCIATE, true, j.updated_ms, e)) != 0)
		goto fail;
	if ((rc = store_job_update(tx, &j)) != 0)
		goto store_fail;
	json_decref(arr);
	if ((rc = svc__commit(tx, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	*out = j;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	json_decref(arr);
	free(merged);
	jd_job_release(&j);
	store_rollback(tx);
	return rc;
}

/* Start a SCHEDULED job whose startTime has come: queue its executions. */
int
svc__job_start(struct svc *s, struct store_tx *tx, struct jd_job *j, int64_t now,
    struct jd_error *e)
{
	json_t *arr = json_loads(j->targets ? j->targets : "[]", 0, NULL);
	const char **targets = jd_calloc(json_array_size(arr) + 1, sizeof(char *));
	int64_t active = 0;
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(arr, i, v)
		targets[i] = json_string_value(v);
	j->status = JD_JOB_IN_PROGRESS;
	j->updated_ms = now;
	/* targets that vanished while it was scheduled are skipped: it runs on what remains */
	rc = resolve_and_queue(s, tx, j, targets, (int)json_array_size(arr), RESOLVE_START, true, now, e);
	if (rc == 0 && j->selection == JD_SEL_SNAPSHOT && j->rollout_next_ms == 0 &&
	    (rc = store_exec_active_count(tx, j->job_id, &active)) == 0 && active == 0) {
		j->status = JD_JOB_COMPLETED;
		j->completed_ms = now;
	}
	if (rc == 0)
		rc = store_job_update(tx, j);
	free(targets);
	json_decref(arr);
	return rc;
}

/* The startTime of a scheduled job, from its stored schedulingConfig. */
int64_t
svc__job_start_ms(const struct jd_job *j)
{
	json_t *cfg = json_loads(j->config ? j->config : "{}", 0, NULL);
	const char *st = json_string_value(json_object_get(json_object_get(cfg, "schedulingConfig"),
	    "startTime"));
	int64_t ms = 0;

	if (st == NULL || core_parse_schedule_time(st, &ms) != 0)
		ms = 0;
	json_decref(cfg);
	return ms;
}

struct rollout_ctx {
	struct svc *s;
	struct store_tx *tx;
	struct jd_job *job;
	int64_t now;
	int64_t n;
};

static int
rollout_one(void *arg, const char *thing)
{
	struct rollout_ctx *c = arg;
	struct jd_thing t;
	struct jd_exec x;
	int rc;

	c->n++;
	memset(&t, 0, sizeof(t));
	rc = store_thing_get(c->tx, thing, &t);
	jd_thing_release(&t);
	if (rc == JD_ENOTFOUND)
		return 0; /* deleted while waiting: nothing to run */
	if (rc != 0)
		return rc;
	memset(&x, 0, sizeof(x));
	rc = store_exec_get(c->tx, c->job->job_id, thing, 0, &x);
	jd_exec_release(&x);
	if (rc == 0 && core_exec_status_pending(x.status))
		return 0;
	if (rc != 0 && rc != JD_ENOTFOUND)
		return rc;
	return svc__exec_queue(c->s, c->tx, c->job, thing, c->now);
}

int
svc__rollout_tick(struct svc *s, struct store_tx *tx, struct jd_job *j, int64_t now)
{
	struct rollout_ctx c = {s, tx, j, now, 0};
	struct jd_counts counts;
	int64_t rate;
	int rc;

	if (j->status != JD_JOB_IN_PROGRESS) {
		j->rollout_next_ms = 0;
		if ((rc = store_rollout_clear(tx, j->job_id)) != 0)
			return rc;
		return store_job_update(tx, j);
	}
	if ((rc = store_exec_counts(tx, j->job_id, &counts)) != 0)
		return rc;
	rate = rollout_rate(j->config, j->rollout_notified, counts.n[JD_EXEC_SUCCEEDED]);
	if (rate <= 0)
		rate = 1000;
	if ((rc = store_rollout_pop(tx, j->job_id, (int)rate, rollout_one, &c)) != 0)
		return rc;
	j->rollout_notified += c.n;
	/* Keep the minute cadence from the schedule, not from when the timer
	 * ran, so a clock jump (test rig) releases every batch that became due. */
	j->rollout_next_ms = c.n < rate ? 0 : j->rollout_next_ms + CORE_MIN_MS;
	j->updated_ms = now;
	if ((rc = store_job_update(tx, j)) != 0)
		return rc;
	return svc__job_maybe_complete(s, tx, j->job_id, now);
}
