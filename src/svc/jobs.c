/*
 * jobs.c: the job use cases (create with target resolution and fan-out,
 * describe, list, update, cancel, delete, associate) and the start of a
 * SCHEDULED job. A job's configuration is decoded into its typed policy here
 * (and in templates.c), where it enters; the engine reads only the policy.
 * Calls progress.c, templates.c and svc.c in svc/.
 */
#include "svc/jobs_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/managed.h"
#include "core/policy.h"
#include "core/transition.h"
#include "svc/policy_json.h"
#include "svc/progress_int.h"
#include "svc/tags_int.h"
#include "svc/s3doc_int.h"
#include "svc/templates_int.h"
#include "svc/timeline_int.h"
#include "util/buf.h"
#include "util/log.h"

/* Parse a thing ('t') or thing-group ('g') ARN of our account. */
static int
parse_target(const struct svc *s, const char *arn, char *kind, char name[JD_THING_NAME_MAX + 1],
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
		return jd_error_set(e, JD_EINVAL, "Target %s is not in account %s", arn,
		    s->account);
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
	return jd_error_set(e, JD_EINVAL, "Target %s is not a valid thing or thing group ARN", arn);
}

/* ---- target resolution --------------------------------------------------- */

struct tset {
	char (*v)[JD_THING_NAME_MAX + 1];
	size_t n, cap;
};

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

/* How targets are resolved into executions. */
enum resolve_mode {
	RESOLVE_CREATE,    /* CreateJob: every target must exist; paced by the rollout config */
	RESOLVE_START,     /* a SCHEDULED job starts: vanished targets are skipped; paced */
	RESOLVE_ASSOCIATE, /* AssociateTargetsWithJob: not paced; things the job already
	                      reached (any execution but REMOVED) are left alone */
};

static int
resolve_and_queue(struct svc_tx *t, struct jd_job *job, const char *const *targets, int n_targets,
    enum resolve_mode mode, bool queue, struct jd_error *e)
{
	/* Only a job's initial targets are paced; later additions are immediate. */
	bool paced = mode != RESOLVE_ASSOCIATE && core_rollout_rate(&job->policy, 0, 0) > 0;
	struct store_tx *tx = t->tx;
	struct tset things = {0};
	char name[JD_THING_NAME_MAX + 1], kind = 0;
	int rc = 0;

	for (int i = 0; i < n_targets; i++) {
		if ((rc = parse_target(t->s, targets[i], &kind, name, e)) != 0) {
			if (mode != RESOLVE_START)
				goto out;
			jd_error_clear(e); /* e.g. the account changed since: skip it */
			continue;
		}
		if (kind == 't') {
			struct jd_thing th;
			memset(&th, 0, sizeof(th));
			rc = store_thing_get(tx, name, &th);
			jd_thing_release(&th);
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
			if ((rc = store_job_target_add(tx, job->job_id, name)) != 0 &&
			    rc != JD_EEXISTS)
				goto store_fail;
			if ((rc = store_member_list(tx, name, true, "", 100000000, tset_add,
			         &things)) != 0)
				goto store_fail;
		}
	}
	tset_unique(&things);
	if (queue && paced) {
		int64_t next_ms = 0;
		size_t first = core_rollout_first(&job->policy, things.n, t->now, &next_ms);
		for (size_t i = first; i < things.n; i++)
			if ((rc = store_rollout_push(tx, job->job_id, (int64_t)i, things.v[i])) !=
			    0)
				goto store_fail;
		if (first < things.n)
			job->rollout_next_ms = next_ms;
		things.n = first;
		job->rollout_notified = (int64_t)things.n;
	}
	if (queue && mode != RESOLVE_ASSOCIATE) {
		/* A job that was just created (or is starting) has no execution
		 * anywhere: each is the first of its thing, inserted in batches. */
		if ((rc = svc__exec_queue_first(t, job, things.v, things.n)) != 0)
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
		if ((rc = svc__exec_queue(t, job, things.v[i], 0)) != 0)
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
		json_array_foreach(arr, k, v) if (strcmp(json_string_value(v), targets[i]) == 0)
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
	const struct core_managed_template *managed = NULL; /* its document came substituted */
	struct svc_tx t;
	struct jd_job j;
	int64_t active = 0;
	char *fetched = NULL; /* documentSource's text, read before the transaction */
	int rc;

	memset(&j, 0, sizeof(j));
	if (in->document_source != NULL &&
	    (rc = svc__doc_fetch(s, in->document_source, &fetched, e)) != 0)
		return rc;
	if ((rc = svc__begin(s, &t, e)) != 0) {
		free(fetched);
		return rc;
	}
	rc = store_job_get(t.tx, in->job_id, &j);
	jd_job_release(&j);
	if (rc == 0) {
		free(fetched);
		svc__rollback(&t);
		jd_error_set(e, JD_EEXISTS, "Job %s already exists", in->job_id);
		jd_strlcpy(e->resource_id, in->job_id, sizeof(e->resource_id));
		return JD_EEXISTS;
	}
	memset(&j, 0, sizeof(j));
	j.document = fetched; /* owned by j from here */
	if (rc != JD_ENOTFOUND)
		goto store_fail;
	jd_strlcpy(j.job_id, in->job_id, sizeof(j.job_id));
	/* A job with a future startTime is SCHEDULED: its targets are checked
	 * now, its executions queued when the timer starts it. */
	j.status = in->start_ms > t.now ? JD_JOB_SCHEDULED : JD_JOB_IN_PROGRESS;
	j.selection = in->selection;
	jd_strlcpy(j.namespace_id, in->namespace_id ? in->namespace_id : "",
	    sizeof(j.namespace_id));
	if (j.document == NULL)
		j.document = jd_strdup(in->document ? in->document : "");
	j.document_source = jd_strdup(in->document_source);
	j.description = jd_strdup(in->description);
	j.targets = targets_json(in->targets, in->n_targets, NULL);
	j.config = jd_strdup(in->config ? in->config : "{}");
	j.template_arn = jd_strdup(in->template_arn);
	j.inprogress_timeout_min = in->inprogress_timeout_min;
	j.created_ms = j.updated_ms = t.now;
	/* the configuration is decoded here, once (a template's merged one by
	 * svc__template_apply) */
	if (in->template_arn != NULL &&
	    core_managed_from_arn(in->template_arn, &managed, NULL) == 1) {
		if ((rc = svc__template_apply(t.tx, in->template_arn, &j, e)) != 0)
			goto fail;
	} else {
		svc_policy_from_json(j.config, &j.policy);
	}
	/* maintenance windows: created outside every window, it waits for one */
	if (core_schedule_window(&j.policy, t.now, NULL) == CORE_WINDOW_CLOSED)
		j.status = JD_JOB_SCHEDULED;
	if ((rc = svc__presign_check(s, j.config, j.document, e)) != 0)
		goto fail;
	if ((rc = store_job_insert(t.tx, &j)) != 0)
		goto store_fail;
	{
		char res[SVC_TAG_RESOURCE_MAX];
		snprintf(res, sizeof(res), "job/%s", j.job_id);
		if ((rc = svc__tags_set(&t, res, in->tags, in->n_tags, e)) != 0)
			goto fail;
	}
	if ((rc = resolve_and_queue(&t, &j, in->targets, in->n_targets, RESOLVE_CREATE,
	         j.status == JD_JOB_IN_PROGRESS, e)) != 0)
		goto fail;
	/* A snapshot job with nothing to run is complete at once. */
	if (j.selection == JD_SEL_SNAPSHOT && j.status == JD_JOB_IN_PROGRESS &&
	    j.rollout_next_ms == 0) {
		if ((rc = store_exec_active_count(t.tx, j.job_id, &active)) != 0)
			goto store_fail;
		if (core_job_done(&j, active) &&
		    ((rc = core_job_apply(&j, JD_JOB_COMPLETED, t.now)) != 0 ||
		        (rc = svc__event_job(&t, &j, "completed")) != 0))
			goto store_fail;
	}
	if ((rc = store_job_update(t.tx, &j)) != 0 || (rc = svc__timeline_created(&t, &j)) != 0)
		goto store_fail;
	if ((rc = svc__commit(&t, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	*out = j;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	svc__rollback(&t);
	return rc;
}

static int
job_not_found(const char *job_id, struct jd_error *e)
{
	return jd_error_set(e, JD_ENOTFOUND, "Job %s does not exist", job_id);
}

int
svc_job_describe(struct svc *s, const char *job_id, struct jd_job *out, struct jd_counts *counts,
    struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(counts, 0, sizeof(*counts));
	if ((rc = svc__read(s, &tx, e)) != 0)
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
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_list(tx, f, before_seq, limit + 1, job_page, &p);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

/*
 * UpdateJob may set a retry count to 0 or keep it, never raise it: each
 * criterion of the new retry configuration with retries must keep the count
 * of the current criterion of its failure type (0 when there is none).
 */
static bool
retry_raised(const struct jd_policy *cur, const struct jd_policy *upd)
{
	for (size_t i = 0; i < upd->n_retry; i++) {
		int64_t was = 0;
		if (upd->retry[i].retries == 0)
			continue;
		for (size_t k = 0; k < cur->n_retry; k++)
			if (cur->retry[k].failure_type == upd->retry[i].failure_type)
				was = cur->retry[k].retries;
		if (upd->retry[i].retries != was)
			return true;
	}
	return false;
}

/* j's configuration with the members of patch (a JSON object) replaced, and
 * its policy decoded from the result. JD_EINVAL if the patch raises a retry. */
static int
config_patch_apply(struct jd_job *j, const char *config_patch, struct jd_error *e)
{
	json_t *cur = json_loads(j->config ? j->config : "{}", 0, NULL);
	json_t *patch = json_loads(config_patch, 0, NULL);
	struct jd_policy p;
	char *text;
	int rc = 0;

	if (!json_is_object(cur)) {
		json_decref(cur);
		cur = json_object();
	}
	if (json_is_object(patch))
		json_object_update(cur, patch);
	text = json_dumps(cur, JSON_COMPACT);
	svc_policy_from_json(text, &p);
	if (json_object_get(patch, "jobExecutionsRetryConfig") != NULL &&
	    retry_raised(&j->policy, &p)) {
		rc = jd_error_set(e, JD_EINVAL,
		    "The number of retries of a job can only be lowered "
		    "to 0 after it is created");
		core_policy_release(&p);
		free(text);
	} else {
		free(j->config);
		j->config = text;
		core_policy_release(&j->policy);
		j->policy = p; /* moved: p is not released */
	}
	json_decref(cur);
	json_decref(patch);
	return rc;
}

int
svc_job_update(struct svc *s, const char *job_id, const char *description, const char *config_patch,
    int64_t inprogress_timeout_min, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
		return job_not_found(job_id, e);
	}
	if (rc != 0)
		goto store_fail;
	if (j.status != JD_JOB_IN_PROGRESS && j.status != JD_JOB_SCHEDULED) {
		rc = jd_error_set(e, JD_EINVAL, "Job %s is %s and cannot be updated", job_id,
		    core_job_status_name(j.status));
		goto fail;
	}
	if (description != NULL) {
		free(j.description);
		j.description = jd_strdup(description);
	}
	if (config_patch != NULL &&
	    ((rc = svc__presign_check(s, config_patch, j.document, e)) != 0 ||
	        (rc = config_patch_apply(&j, config_patch, e)) != 0))
		goto fail;
	if (inprogress_timeout_min >= 0)
		j.inprogress_timeout_min = inprogress_timeout_min;
	j.updated_ms = t.now;
	if ((rc = store_job_update(t.tx, &j)) != 0)
		goto store_fail;
	jd_job_release(&j);
	return svc__commit(&t, e);
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	svc__rollback(&t);
	return rc;
}

int
svc_job_cancel(struct svc *s, const char *job_id, bool force, const char *reason_code,
    const char *comment, struct jd_job *out, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
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
	if ((rc = svc__job_cancel_tx(&t, &j, force, reason_code, comment)) != 0)
		goto store_fail;
	if ((rc = svc__commit(&t, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	*out = j;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	svc__rollback(&t);
	return rc;
}

int
svc_job_delete(struct svc *s, const char *job_id, bool force, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	int64_t deleting = 0;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
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
	if ((rc = store_job_count_status(t.tx, JD_JOB_DELETION_IN_PROGRESS, &deleting)) != 0)
		goto store_fail;
	if (deleting >= JD_DELETING_JOBS_MAX) {
		rc = jd_error_set(e, JD_ELIMIT,
		    "Only %d jobs may be in DELETION_IN_PROGRESS at the same time",
		    JD_DELETING_JOBS_MAX);
		goto fail;
	}
	/* Its executions leave the device views now, not when reaped. */
	{
		struct jd_execv pend = {0};
		rc = store_exec_pending_job(t.tx, job_id, jd_execv_add, &pend);
		for (size_t i = 0; rc == 0 && i < pend.n; i++)
			rc = svc__touch(&t, pend.v[i].thing_name, pend.v[i].namespace_id, job_id,
			    true);
		jd_execv_free(&pend);
		if (rc != 0)
			goto store_fail;
	}
	if ((rc = core_job_apply(&j, JD_JOB_DELETION_IN_PROGRESS, t.now)) != 0 ||
	    (rc = store_job_update(t.tx, &j)) != 0 ||
	    (rc = svc__event_job(&t, &j, "deletion_in_progress")) != 0 ||
	    (rc = svc__event_exec_deleted_job(&t, job_id)) != 0)
		goto store_fail;
	jd_job_release(&j);
	if ((rc = svc__commit(&t, e)) != 0)
		return rc;
	svc__kick(s);
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_job_release(&j);
	svc__rollback(&t);
	return rc;
}

int
svc_job_associate(struct svc *s, const char *job_id, const char *const *targets, int n_targets,
    struct jd_job *out, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_job j;
	json_t *arr = NULL;
	char *merged = NULL;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_job_get(t.tx, job_id, &j);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
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
		rc =
		    jd_error_set(e, JD_ELIMIT, "A job can have at most %d targets", JD_TARGETS_MAX);
		goto fail;
	}
	free(j.targets);
	j.targets = merged;
	merged = NULL;
	j.updated_ms = t.now;
	if ((rc = resolve_and_queue(&t, &j, targets, n_targets, RESOLVE_ASSOCIATE, true, e)) != 0)
		goto fail;
	if ((rc = store_job_update(t.tx, &j)) != 0)
		goto store_fail;
	json_decref(arr);
	if ((rc = svc__commit(&t, e)) != 0) {
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
	svc__rollback(&t);
	return rc;
}

int
svc__job_start(struct svc_tx *t, struct jd_job *j, struct jd_error *e)
{
	json_t *arr = json_loads(j->targets ? j->targets : "[]", 0, NULL);
	const char **targets = jd_calloc(json_array_size(arr) + 1, sizeof(char *));
	int64_t active = 0;
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(arr, i, v) targets[i] = json_string_value(v);
	if ((rc = core_job_apply(j, JD_JOB_IN_PROGRESS, t->now)) != 0)
		goto out;
	/* targets that vanished while it was scheduled are skipped: it runs on what remains */
	rc = resolve_and_queue(t, j, targets, (int)json_array_size(arr), RESOLVE_START, true, e);
	if (rc == 0 && j->selection == JD_SEL_SNAPSHOT && j->rollout_next_ms == 0 &&
	    (rc = store_exec_active_count(t->tx, j->job_id, &active)) == 0 &&
	    core_job_done(j, active) && (rc = core_job_apply(j, JD_JOB_COMPLETED, t->now)) == 0)
		rc = svc__event_job(t, j, "completed");
	if (rc == 0 && (rc = store_job_update(t->tx, j)) == 0)
		rc = svc__timeline_started(t, j);
out:
	free(targets);
	json_decref(arr);
	return rc;
}

/* ---- jobs stored before the typed policy ---------------------------------- */

#define BACKFILL_META "job_policy_decoded"

static int
needs_policy(void *arg, const struct jd_job *j)
{
	struct jd_jobv *v = arg;

	if (j->policy.present == 0 && j->config != NULL && strcmp(j->config, "{}") != 0)
		jd_jobv_add(v, j);
	return 0;
}

int
svc__job_policy_backfill(struct svc *s, struct jd_error *e)
{
	struct jd_job_filter all = {-1, -1, NULL, NULL};
	struct jd_jobv v = {0};
	struct svc_tx t;
	char *done = NULL;
	int rc;

	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	/* once per store: later jobs get their policy where their configuration enters */
	if ((rc = store_meta_get(t.tx, BACKFILL_META, &done)) == 0 || rc != JD_ENOTFOUND)
		goto out;
	if ((rc = store_job_list(t.tx, &all, 0, 0, needs_policy, &v)) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < v.n && rc == 0; i++) {
		struct jd_job *j = &v.v[i];
		core_policy_release(&j->policy);
		svc_policy_from_json(j->config, &j->policy);
		rc = store_job_update(t.tx, j);
	}
	if (rc == 0)
		rc = store_meta_put(t.tx, BACKFILL_META, "1");
out:
	free(done);
	jd_jobv_free(&v);
	if (rc != 0) {
		svc__rollback(&t);
		return svc__store_err(rc, e);
	}
	if (v.n > 0)
		log_info("decoded the configuration of %zu stored jobs", v.n);
	return svc__commit(&t, e);
}
