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
#include "store/store_read.h"
#include "svc/cluster_int.h"
#include "svc/policy_json.h"
#include "svc/progress_int.h"
#include "svc/tags_int.h"
#include "svc/s3doc_int.h"
#include "svc/targets_int.h"
#include "svc/templates_int.h"
#include "svc/timeline_int.h"
#include "util/buf.h"
#include "util/log.h"

/* How targets are resolved into executions. */
enum resolve_mode {
	RESOLVE_CREATE,    /* CreateJob: every target must exist; paced by the rollout config */
	RESOLVE_START,     /* a SCHEDULED job starts: vanished targets are skipped; paced */
	RESOLVE_ASSOCIATE, /* AssociateTargetsWithJob: not paced; things the job already
	                      reached (any execution but REMOVED) are left alone */
};

/* Pacing of one job's initial targets while they are queued. */
struct pace {
	int64_t left; /* things still to queue now; -1: not paced */
	int64_t pos;  /* the next rollout_queue position */
};

static int
fanout_chunk(const struct svc *s)
{
	return s->fanout_chunk > 0 ? s->fanout_chunk : SVC_FANOUT_CHUNK;
}

/*
 * Queue executions of job on things v[0..n): those that have one already
 * (FIRST) or that the job reached (ASSOCIATE: any latest but REMOVED) are
 * skipped, unless `fresh` says none has one (a job just created). `known`
 * (NULL: looked up here) is what store_thing_resolve said of v[0..n) for
 * this job. While p is paced and p->left is used up, things go to the rollout queue instead.
 * First executions go in batches (exec_insert_first); a REMOVED one gets the
 * next number.
 */
static int
queue_things(struct svc_tx *t, struct jd_job *job, char (*v)[JD_THING_NAME_MAX + 1], size_t n,
    int mode, bool fresh, const struct store_target *known, struct pace *p)
{
	struct store_target *tv = NULL;
	struct tset first = {0}, again = {0};
	int rc = 0;

	if (n == 0)
		return 0;
	if (fresh && p->left < 0)
		return svc__exec_queue_first(t, job, v, n); /* each a first execution, now */
	if (!fresh && known != NULL) {
		tv = jd_calloc(n, sizeof(*tv));
		memcpy(tv, known, n * sizeof(*tv));
	} else if (!fresh) {
		tv = jd_calloc(n, sizeof(*tv));
		for (size_t i = 0; i < n; i++)
			tv[i].name = v[i];
		if ((rc = store_thing_resolve(t->tx, job->job_id, tv, n)) != 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		bool redo = false;
		if (tv != NULL) {
			if (!tv[i].exists)
				continue; /* deleted since it was listed */
			if (tv[i].latest_number != 0) {
				if (mode != STORE_FANOUT_ASSOCIATE ||
				    tv[i].latest_status != JD_EXEC_REMOVED)
					continue;
				redo = true;
			}
		}
		if (p->left == 0) {
			int64_t next_ms = 0;
			if ((rc = store_rollout_push(t->tx, job->job_id, p->pos++, v[i])) != 0)
				goto out;
			if (job->rollout_next_ms == 0) {
				core_rollout_first(&job->policy, SIZE_MAX, t->now, &next_ms);
				job->rollout_next_ms = next_ms;
			}
			continue;
		}
		if (p->left > 0) {
			p->left--;
			job->rollout_notified++;
		}
		svc__tset_add(redo ? &again : &first, v[i]);
	}
	if ((rc = svc__exec_queue_first(t, job, first.v, first.n)) != 0)
		goto out;
	for (size_t i = 0; i < again.n && rc == 0; i++)
		rc = svc__exec_queue(t, job, again.v[i], 0);
out:
	free(tv);
	free(first.v);
	free(again.v);
	return rc;
}

static int
add_group(void *arg, const struct jd_group *g)
{
	return svc__tset_add(arg, g->name);
}

static int
target_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_target *)a)->name,
	    ((const struct store_target *)b)->name);
}

/*
 * What tv[0..n) (resolved for the job) says of each of things[0..m), all of
 * them among tv: sorts tv by name. Owned by the caller.
 */
static struct store_target *
targets_known(struct store_target *tv, size_t n, char (*things)[JD_THING_NAME_MAX + 1], size_t m)
{
	struct store_target *kv = jd_calloc(m + 1, sizeof(*kv));

	qsort(tv, n, sizeof(*tv), target_cmp);
	for (size_t i = 0; i < m; i++) {
		struct store_target key = {.name = things[i]};
		const struct store_target *f = bsearch(&key, tv, n, sizeof(*tv), target_cmp);
		if (f == NULL) {
			free(kv);
			return NULL; /* cannot be: queue_things looks them up */
		}
		kv[i] = *f;
		kv[i].name = things[i];
	}
	return kv;
}

static int
resolve_and_queue(struct svc_tx *t, struct jd_job *job, const char *const *targets, int n_targets,
    enum resolve_mode mode, bool queue, bool *fanning, struct jd_error *e)
{
	/* Only a job's initial targets are paced; later additions are immediate. */
	bool paced = mode != RESOLVE_ASSOCIATE && core_rollout_rate(&job->policy, 0, 0) > 0;
	int fmode = mode == RESOLVE_ASSOCIATE ? STORE_FANOUT_ASSOCIATE : STORE_FANOUT_FIRST;
	size_t chunk = (size_t)fanout_chunk(t->s);
	struct store_tx *tx = t->tx;
	struct tset things = {0}, named = {0}, groups = {0};
	struct store_target *tv = NULL, *known = NULL;
	struct pace p = {-1, 0};
	char name[JD_THING_NAME_MAX + 1], kind = 0;
	bool big = false;
	int rc = 0;

	*fanning = false;
	for (int i = 0; i < n_targets; i++) {
		if ((rc = svc__target_parse(t->s, targets[i], &kind, name, e)) != 0) {
			if (mode != RESOLVE_START)
				goto out;
			jd_error_clear(e); /* e.g. the account changed since: skip it */
			continue;
		}
		if (kind == 't') {
			svc__tset_add(&named, name);
			continue;
		}
		{
			struct jd_group g;
			memset(&g, 0, sizeof(g));
			rc = store_group_get(tx, name, &g);
			jd_group_release(&g);
		}
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
		svc__tset_add(&groups, name);
	}
	/* the explicit things, in one store pass */
	tv = jd_calloc(named.n + 1, sizeof(*tv));
	for (size_t i = 0; i < named.n; i++)
		tv[i].name = named.v[i];
	/* with the job's latest executions when it may have some: then, without
	 * groups, queue_things needs no second lookup */
	if ((rc = store_thing_resolve(tx, mode == RESOLVE_CREATE ? NULL : job->job_id, tv,
	         named.n)) != 0)
		goto store_fail;
	for (size_t i = 0; i < named.n; i++) {
		if (tv[i].exists) {
			svc__tset_add(&things, named.v[i]);
		} else if (mode != RESOLVE_START) {
			rc = jd_error_set(e, JD_ENOTFOUND, "Thing %s cannot be found.", named.v[i]);
			goto out;
		}
	}
	if (!queue)
		goto done;
	/* the groups and their descendants; their members while they fit in
	 * one chunk, else the fan-out walks them in chunks of its own */
	for (size_t i = 0, n = groups.n; i < n; i++) {
		/* a copy: add_group may move groups.v while the list runs */
		char parent[JD_THING_NAME_MAX + 1];
		struct jd_group_filter f = {parent, true, NULL};
		jd_strlcpy(parent, groups.v[i], sizeof(parent));
		if ((rc = store_group_list(tx, &f, "", 0, add_group, &groups)) < 0)
			goto store_fail;
	}
	svc__tset_unique(&groups);
	for (size_t i = 0; i < groups.n && !big; i++) {
		if ((rc = store_member_walk(tx, groups.v[i], "", (int)(chunk + 1), svc__tset_add,
		         &things)) != 0)
			goto store_fail;
		big = things.n > chunk;
	}
	if (big) {
		/* the explicit things now, the groups' members by the fan-out */
		things.n = 0;
		for (size_t i = 0; i < named.n; i++)
			if (tv[i].exists)
				svc__tset_add(&things, named.v[i]);
	}
	svc__tset_unique(&things);
	if (paced) {
		int64_t next_ms = 0;
		p.left = (int64_t)core_rollout_first(&job->policy, big ? SIZE_MAX : things.n,
		    t->now, &next_ms);
	}
	/* A job that was just created has no execution anywhere: each is the
	 * first of its thing, inserted in batches. */
	if (mode != RESOLVE_CREATE && groups.n == 0)
		known = targets_known(tv, named.n, things.v, things.n);
	if ((rc = queue_things(t, job, things.v, things.n, fmode, mode == RESOLVE_CREATE, known,
	         &p)) != 0)
		goto store_fail;
	if (big) {
		struct store_fanout f;
		json_t *arr = json_array();
		memset(&f, 0, sizeof(f));
		for (size_t i = 0; i < groups.n; i++)
			json_array_append_new(arr, json_string(groups.v[i]));
		jd_strlcpy(f.job_id, job->job_id, sizeof(f.job_id));
		f.mode = fmode;
		f.groups = json_dumps(arr, JSON_COMPACT);
		f.paced_left = p.left;
		f.pos = p.pos;
		json_decref(arr);
		rc = store_fanout_insert(tx, &f);
		free(f.groups);
		if (rc != 0)
			goto store_fail;
		*fanning = true;
	}
done:
	rc = 0;
	goto out;
store_fail:
	rc = svc__store_err(rc, e);
out:
	free(tv);
	free(known);
	free(things.v);
	free(named.v);
	free(groups.v);
	return rc;
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
	bool fanning = false; /* a fan-out goes on after the commit */
	size_t n_unique = 0;
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
	j.targets = svc__targets_json(in->targets, in->n_targets, NULL, &n_unique);
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
	svc__job_due(&t, &j);
	if ((rc = store_job_insert(t.tx, &j)) != 0)
		goto store_fail;
	{
		char res[SVC_TAG_RESOURCE_MAX];
		snprintf(res, sizeof(res), "job/%s", j.job_id);
		if ((rc = svc__tags_set(&t, res, in->tags, in->n_tags, e)) != 0)
			goto fail;
	}
	/* a fan-out cursor left by a job of this id that a test-rig reset wiped */
	if ((rc = store_fanout_delete(t.tx, j.job_id, 0)) != 0)
		goto store_fail;
	if ((rc = resolve_and_queue(&t, &j, in->targets, in->n_targets, RESOLVE_CREATE,
	         j.status == JD_JOB_IN_PROGRESS, &fanning, e)) != 0)
		goto fail;
	/* A snapshot job with nothing to run is complete at once (one whose
	 * fan-out goes on is not). */
	if (j.selection == JD_SEL_SNAPSHOT && j.status == JD_JOB_IN_PROGRESS &&
	    j.rollout_next_ms == 0 && !fanning) {
		if ((rc = store_exec_active_count(t.tx, j.job_id, &active)) != 0)
			goto store_fail;
		if (core_job_done(&j, active) &&
		    ((rc = core_job_apply(&j, JD_JOB_COMPLETED, t.now)) != 0 ||
		        (rc = svc__event_job(&t, &j, "completed")) != 0))
			goto store_fail;
	}
	if ((rc = svc__job_save(&t, &j)) != 0 || (rc = svc__timeline_created(&t, &j)) != 0)
		goto store_fail;
	if ((rc = svc__commit(&t, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	if (fanning)
		svc__kick(s);
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
	if (store_begin_one(s->store, &tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	rc = store_job_get_counts(tx, job_id, out, counts);
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
	if ((rc = svc__job_save(&t, &j)) != 0)
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
	    (rc = svc__job_save(&t, &j)) != 0 ||
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
	char *merged = NULL;
	bool fanning = false;
	size_t n_merged = 0;
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
	merged = svc__targets_json(targets, n_targets, j.targets, &n_merged);
	if (n_merged > JD_TARGETS_MAX) {
		rc =
		    jd_error_set(e, JD_ELIMIT, "A job can have at most %d targets", JD_TARGETS_MAX);
		goto fail;
	}
	free(j.targets);
	j.targets = merged;
	merged = NULL;
	j.updated_ms = t.now;
	if ((rc = resolve_and_queue(&t, &j, targets, n_targets, RESOLVE_ASSOCIATE, true, &fanning,
	         e)) != 0)
		goto fail;
	if ((rc = svc__job_save(&t, &j)) != 0)
		goto store_fail;
	if ((rc = svc__commit(&t, e)) != 0) {
		jd_job_release(&j);
		return rc;
	}
	if (fanning)
		svc__kick(s);
	*out = j;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
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
	bool fanning = false;
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(arr, i, v) targets[i] = json_string_value(v);
	if ((rc = core_job_apply(j, JD_JOB_IN_PROGRESS, t->now)) != 0)
		goto out;
	/* targets that vanished while it was scheduled are skipped: it runs on what remains */
	rc = resolve_and_queue(t, j, targets, (int)json_array_size(arr), RESOLVE_START, true,
	    &fanning, e);
	if (rc == 0 && fanning)
		svc__kick(t->s);
	if (rc == 0 && j->selection == JD_SEL_SNAPSHOT && j->rollout_next_ms == 0 && !fanning &&
	    (rc = store_exec_active_count(t->tx, j->job_id, &active)) == 0 &&
	    core_job_done(j, active) && (rc = core_job_apply(j, JD_JOB_COMPLETED, t->now)) == 0)
		rc = svc__event_job(t, j, "completed");
	if (rc == 0 && (rc = svc__job_save(t, j)) == 0)
		rc = svc__timeline_started(t, j);
out:
	free(targets);
	json_decref(arr);
	return rc;
}

/* ---- chunked fan-out (issue 15) ------------------------------------------ */

static int
first_fanout(void *arg, const struct store_fanout *f)
{
	struct store_fanout *out = arg;

	*out = *f;
	out->groups = jd_strdup(f->groups);
	return 1;
}

/* member_walk's callback: collect, count and remember the last name. */
struct walk {
	struct tset *set;
	char *last; /* [JD_THING_NAME_MAX + 1] */
	size_t got;
};

static int
walk_add(void *arg, const char *name)
{
	struct walk *w = arg;

	w->got++;
	jd_strlcpy(w->last, name, JD_THING_NAME_MAX + 1);
	return svc__tset_add(w->set, name);
}

int
svc__fanout_step(struct svc *s, bool *more, struct jd_error *e)
{
	size_t chunk = (size_t)fanout_chunk(s), ngroups;
	struct tset things = {0};
	struct store_fanout f;
	struct svc_tx t;
	struct jd_job j;
	struct pace p;
	json_t *groups = NULL;
	int64_t notified, next_ms;
	int rc;

	*more = false;
	memset(&f, 0, sizeof(f));
	memset(&j, 0, sizeof(j));
	if ((rc = svc__duty_begin(s, &t, e)) != 0)
		return rc;
	if ((rc = store_fanout_list(t.tx, NULL, 1, first_fanout, &f)) < 0)
		goto store_fail;
	if (f.job_id[0] == '\0') {
		svc__rollback(&t);
		return 0;
	}
	*more = true;
	rc = store_job_get(t.tx, f.job_id, &j);
	if (rc == JD_ENOTFOUND ||
	    (rc == 0 && j.status != JD_JOB_IN_PROGRESS && j.status != JD_JOB_SCHEDULED)) {
		/* deleted, canceled or over: nothing more to queue */
		if ((rc = store_fanout_delete(t.tx, f.job_id, 0)) != 0)
			goto store_fail;
		goto commit;
	}
	if (rc != 0)
		goto store_fail;
	groups = json_loads(f.groups, 0, NULL);
	ngroups = json_array_size(groups);
	/* the next chunk: the rest of the current group, then the next ones */
	while (things.n < chunk && (size_t)f.source < ngroups) {
		const char *g = json_string_value(json_array_get(groups, (size_t)f.source));
		struct walk w = {&things, f.after, 0};
		size_t want = chunk - things.n;
		char after[JD_THING_NAME_MAX + 1]; /* bound while walk_add moves f.after */
		jd_strlcpy(after, f.after, sizeof(after));
		if (g != NULL &&
		    (rc = store_member_walk(t.tx, g, after, (int)want, walk_add, &w)) != 0)
			goto store_fail;
		if (g == NULL || w.got < want) {
			f.source++;
			f.after[0] = '\0';
		}
	}
	/* a thing in two of the groups may come twice in one chunk */
	svc__tset_unique(&things);
	p.left = f.paced_left;
	p.pos = f.pos;
	notified = j.rollout_notified;
	next_ms = j.rollout_next_ms;
	if ((rc = queue_things(&t, &j, things.v, things.n, f.mode, false, NULL, &p)) != 0)
		goto store_fail;
	f.paced_left = p.left;
	f.pos = p.pos;
	if ((size_t)f.source >= ngroups)
		rc = store_fanout_delete(t.tx, f.job_id, f.run);
	else
		rc = store_fanout_update(t.tx, &f);
	if (rc != 0)
		goto store_fail;
	if ((j.rollout_notified != notified || j.rollout_next_ms != next_ms) &&
	    (rc = svc__job_save(&t, &j)) != 0)
		goto store_fail;
	/* the last chunk: a snapshot job whose devices were quicker is done */
	if ((size_t)f.source >= ngroups && (rc = svc__job_maybe_complete(&t, j.job_id)) != 0)
		goto store_fail;
commit:
	json_decref(groups);
	free(things.v);
	free(f.groups);
	jd_job_release(&j);
	return svc__commit(&t, e);
store_fail:
	json_decref(groups);
	free(things.v);
	free(f.groups);
	jd_job_release(&j);
	svc__rollback(&t);
	return svc__store_err(rc, e);
}

void
svc_set_fanout(struct svc *s, int chunk, int pause_ms)
{
	s->fanout_chunk = chunk > 0 ? chunk : SVC_FANOUT_CHUNK;
	s->fanout_pause_ms = pause_ms > 0 ? pause_ms : 0;
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

static void
decode_policy(struct jd_job *j)
{
	core_policy_release(&j->policy);
	svc_policy_from_json(j->config, &j->policy);
}

int
svc__job_policy_backfill(struct svc *s, struct jd_error *e)
{
	/* later jobs get their policy where their configuration enters */
	static const int all[] = {-1};

	return svc__job_backfill(s, BACKFILL_META, all, 1, needs_policy, decode_policy,
	    "decoded the configuration", e);
}
