/*
 * coverage.c: which groups cover a thing (its static and dynamic groups and
 * their ancestors) and what a change of that cover does to continuous jobs:
 * a thing newly covered by a continuous job's target groups gets a QUEUED
 * execution, a thing no longer covered has its pending executions REMOVED
 * (decisions D14, spec §8.2, §9.1). Also the dynamic thing groups' side of
 * every registry change (svc__dyn_thing_changed): the changed thing alone is
 * evaluated against each dynamic group's compiled query, never the fleet.
 * Moved out of things.c so that things.c and groups.c can both call it.
 */
#include "svc/coverage_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "util/buf.h"
#include "util/log.h"

int
svc__names_add(void *arg, const char *name)
{
	struct svc_names *l = arg;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	jd_strlcpy(l->v[l->n++], name, JD_GROUP_NAME_MAX + 1);
	return 0;
}

int
svc__names_push(void *arg, const char *name)
{
	struct svc_names *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	jd_strlcpy(l->v[l->n++], name, JD_GROUP_NAME_MAX + 1);
	return 0;
}

bool
svc__names_has(const struct svc_names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return true;
	return false;
}

void
svc__names_free(struct svc_names *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Add j unless a job with its id is there already. */
static int
jobs_add(void *arg, const struct jd_job *j)
{
	struct jd_jobv *l = arg;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].job_id, j->job_id) == 0)
			return 0;
	return jd_jobv_add(l, j);
}

static bool
jobs_has(const struct jd_jobv *l, const char *job_id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].job_id, job_id) == 0)
			return true;
	return false;
}

/* Names of all ancestor groups of group (parent first); *n set. */
int
svc__group_ancestors(struct store_tx *tx, const char *group, char out[][JD_GROUP_NAME_MAX + 1],
    int *n)
{
	struct jd_group g;
	char cur[JD_GROUP_NAME_MAX + 1];
	int rc;

	*n = 0;
	jd_strlcpy(cur, group, sizeof(cur));
	for (int depth = 0; depth <= JD_GROUP_DEPTH_MAX; depth++) {
		memset(&g, 0, sizeof(g));
		rc = store_group_get(tx, cur, &g);
		if (rc != 0)
			return rc == JD_ENOTFOUND ? 0 : rc;
		jd_group_release(&g);
		if (g.parent[0] == '\0')
			return 0;
		jd_strlcpy(out[(*n)++], g.parent, JD_GROUP_NAME_MAX + 1);
		jd_strlcpy(cur, g.parent, sizeof(cur));
		if (*n >= JD_GROUP_DEPTH_MAX)
			return 0;
	}
	return 0;
}

/* Groups covering a thing: its groups and all their ancestors. */
int
svc__covering_groups(struct store_tx *tx, const char *thing, struct svc_names *out)
{
	struct svc_names direct = {0};
	char anc[JD_GROUP_DEPTH_MAX][JD_GROUP_NAME_MAX + 1];
	int n, rc;

	if ((rc = store_thing_groups(tx, thing, svc__names_add, &direct)) != 0)
		goto out;
	for (size_t i = 0; i < direct.n; i++) {
		svc__names_add(out, direct.v[i]);
		if ((rc = svc__group_ancestors(tx, direct.v[i], anc, &n)) != 0)
			goto out;
		for (int k = 0; k < n; k++)
			svc__names_add(out, anc[k]);
	}
out:
	svc__names_free(&direct);
	return rc;
}

/* Continuous jobs that reach `thing` through groups or its ARN: IN_PROGRESS,
 * or SCHEDULED (before its start, or paused between maintenance windows).
 * A SCHEDULED one queues nothing for a thing that joins: it starts, or
 * resumes (schedule.c catch_up), with every member it has not reached. */
static int
continuous_jobs(struct store_tx *tx, const struct svc_names *groups, struct jd_jobv *out)
{
	struct jd_jobv all = {0};
	int rc = 0;

	for (size_t i = 0; i < groups->n; i++)
		if ((rc = store_job_list_by_group(tx, groups->v[i], jobs_add, &all)) != 0)
			goto out;
	for (size_t i = 0; i < all.n; i++) {
		const struct jd_job *j = &all.v[i];
		if (j->selection == JD_SEL_CONTINUOUS &&
		    (j->status == JD_JOB_IN_PROGRESS || j->status == JD_JOB_SCHEDULED))
			jobs_add(out, j);
	}
out:
	jd_jobv_free(&all);
	return rc;
}

static bool
job_targets_thing(const struct jd_job *j, const char *thing)
{
	char needle[JD_THING_NAME_MAX + 16];

	snprintf(needle, sizeof(needle), ":thing/%s\"", thing);
	return j->targets != NULL && strstr(j->targets, needle) != NULL;
}

static int
pending_of(struct store_tx *tx, const char *job_id, const char *thing, struct jd_exec *x, bool *has)
{
	int rc = store_exec_get(tx, job_id, thing, 0, x);

	*has = false;
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*has = core_exec_status_pending(x->status);
	return 0;
}

/* Apply membership change effects: before/after are the covering groups. */
int
svc__apply_coverage(struct svc_tx *t, const char *thing, const struct svc_names *before,
    const struct svc_names *after)
{
	struct jd_jobv jb = {0}, ja = {0};
	struct store_tx *tx = t->tx;
	int rc;

	if ((rc = continuous_jobs(tx, before, &jb)) != 0)
		goto out;
	if ((rc = continuous_jobs(tx, after, &ja)) != 0)
		goto out;
	/* newly covered: queue unless already pending */
	for (size_t i = 0; i < ja.n; i++) {
		const struct jd_job *j = &ja.v[i];
		struct jd_exec x;
		bool has;
		if (j->status != JD_JOB_IN_PROGRESS || jobs_has(&jb, j->job_id) ||
		    job_targets_thing(j, thing))
			continue;
		memset(&x, 0, sizeof(x));
		if ((rc = pending_of(tx, j->job_id, thing, &x, &has)) != 0)
			goto out;
		jd_exec_release(&x);
		if (!has && (rc = svc__exec_queue(t, j, thing, 0)) != 0)
			goto out;
	}
	/* no longer covered: pending executions become REMOVED */
	for (size_t i = 0; i < jb.n; i++) {
		const struct jd_job *j = &jb.v[i];
		struct jd_exec x;
		bool has;
		if (jobs_has(&ja, j->job_id) || job_targets_thing(j, thing))
			continue;
		memset(&x, 0, sizeof(x));
		if ((rc = pending_of(tx, j->job_id, thing, &x, &has)) != 0)
			goto out;
		if (has) {
			rc = svc__exec_move(t, &x, CORE_OP_REMOVE, JD_EXEC_REMOVED, false);
			if (rc == 0)
				rc = svc__job_maybe_complete(t, j->job_id);
		}
		jd_exec_release(&x);
		if (rc != 0)
			goto out;
	}
out:
	jd_jobv_free(&jb);
	jd_jobv_free(&ja);
	return rc;
}

/* ---- group properties ----------------------------------------------------- */

/* attributes (JSON object text) applied to cur: replaced, or merged (an
 * empty value removes a key). Returns owned text. */
static char *
attrs_apply(const char *cur_text, const char *upd_text, bool merge)
{
	json_t *cur = merge && cur_text != NULL ? json_loads(cur_text, 0, NULL) : NULL;
	json_t *upd = json_loads(upd_text, 0, NULL);
	const char *k;
	json_t *v;
	char *out;

	if (cur == NULL)
		cur = json_object();
	json_object_foreach(upd, k, v)
	{
		if (json_string_length(v) == 0)
			json_object_del(cur, k);
		else
			json_object_set(cur, k, v);
	}
	out = json_dumps(cur, JSON_COMPACT);
	json_decref(cur);
	json_decref(upd);
	return out;
}

void
svc__group_props(struct jd_group *g, const char *description, const char *attributes, bool merge)
{
	if (description != NULL) {
		free(g->description);
		g->description = jd_strdup(description);
	}
	if (attributes != NULL) {
		char *a = attrs_apply(g->attributes, attributes, merge);
		free(g->attributes);
		g->attributes = a;
	}
}

/* ---- dynamic thing groups ------------------------------------------------- */

/* The dynamic groups: name and query only. */
struct dyn_list {
	struct jd_group *v;
	size_t n, cap;
};

static int
dyn_collect(void *arg, const struct jd_group *g)
{
	struct dyn_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	jd_strlcpy(l->v[l->n].name, g->name, sizeof(l->v[l->n].name));
	l->v[l->n].query_string = jd_strdup(g->query_string);
	l->n++;
	return 0;
}

/* The thing's direct groups minus the dynamic ones (what thingGroupNames
 * means to a dynamic group's query: so no dynamic group depends on another,
 * and the order of evaluation cannot matter). */
struct static_groups {
	struct svc_names all;
	const struct svc_names *dynamic; /* borrowed, or NULL: keep all */
};

static int
static_add(void *arg, const char *name)
{
	struct static_groups *sg = arg;

	if (sg->dynamic != NULL && svc__names_has(sg->dynamic, name))
		return 0;
	return svc__names_add(&sg->all, name);
}

static int
match_with(struct store_tx *tx, const struct core_query *q, const struct jd_thing *t,
    const struct svc_names *exclude, bool *match)
{
	struct static_groups sg = {{0}, exclude};
	const char **keys = NULL, **vals = NULL, **groups = NULL;
	struct core_query_thing view = {0};
	json_t *attrs = NULL;
	size_t n = 0;
	int rc = 0;

	view.name = t->name;
	view.id = t->id;
	view.type_name = t->type_name;
	if (t->attributes != NULL && strcmp(t->attributes, "{}") != 0) {
		const char *k;
		json_t *v;
		attrs = json_loads(t->attributes, 0, NULL);
		keys = jd_calloc(json_object_size(attrs) + 1, sizeof(*keys));
		vals = jd_calloc(json_object_size(attrs) + 1, sizeof(*vals));
		json_object_foreach(attrs, k, v)
		{
			if (!json_is_string(v))
				continue;
			keys[n] = k;
			vals[n++] = json_string_value(v);
		}
	}
	view.attr_keys = keys;
	view.attr_vals = vals;
	view.n_attrs = n;
	if (core_query_uses_groups(q)) {
		if ((rc = store_thing_groups(tx, t->name, static_add, &sg)) != 0)
			goto out;
		groups = jd_calloc(sg.all.n + 1, sizeof(*groups));
		for (size_t i = 0; i < sg.all.n; i++)
			groups[i] = sg.all.v[i];
		view.groups = groups;
		view.n_groups = sg.all.n;
	}
	*match = core_query_match(q, &view);
out:
	free(keys);
	free(vals);
	free(groups);
	json_decref(attrs);
	svc__names_free(&sg.all);
	return rc;
}

int
svc__dyn_match(struct store_tx *tx, const struct core_query *q, const struct jd_thing *t,
    bool *match)
{
	return match_with(tx, q, t, NULL, match);
}

int
svc__dyn_thing_changed(struct svc_tx *w, const char *thing)
{
	struct dyn_list dyn = {0};
	struct svc_names dyn_names = {0}, direct = {0}, before = {0}, after = {0};
	struct store_tx *tx = w->tx;
	struct jd_thing t;
	bool changed = false;
	size_t count;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = store_group_list_dynamic(tx, "", 0, dyn_collect, &dyn)) != 0 || dyn.n == 0)
		goto out;
	if ((rc = store_thing_get(tx, thing, &t)) != 0) {
		if (rc == JD_ENOTFOUND)
			rc = 0;
		goto out;
	}
	for (size_t i = 0; i < dyn.n; i++)
		svc__names_add(&dyn_names, dyn.v[i].name);
	if ((rc = store_thing_groups(tx, thing, svc__names_add, &direct)) != 0)
		goto out;
	if ((rc = svc__covering_groups(tx, thing, &before)) != 0)
		goto out;
	count = direct.n;
	for (size_t i = 0; i < dyn.n; i++) {
		struct core_query *q = NULL;
		bool match = false, member = svc__names_has(&direct, dyn.v[i].name);
		if (core_query_compile(dyn.v[i].query_string, &q, NULL) != 0) {
			log_warn("dynamic group %s: stored query does not compile", dyn.v[i].name);
			continue;
		}
		rc = match_with(tx, q, &t, &dyn_names, &match);
		core_query_free(q);
		if (rc != 0)
			goto out;
		if (match && !member) {
			if (count >= JD_GROUPS_PER_THING_MAX)
				continue; /* behaviour.md: a full thing joins no dynamic group */
			if ((rc = store_member_add(tx, dyn.v[i].name, thing)) != 0)
				goto out;
			count++;
			changed = true;
		} else if (!match && member) {
			if ((rc = store_member_remove(tx, dyn.v[i].name, thing)) != 0)
				goto out;
			count--;
			changed = true;
		}
	}
	if (changed) {
		if ((rc = svc__covering_groups(tx, thing, &after)) != 0)
			goto out;
		rc = svc__apply_coverage(w, thing, &before, &after);
	}
out:
	for (size_t i = 0; i < dyn.n; i++)
		jd_group_release(&dyn.v[i]);
	free(dyn.v);
	jd_thing_release(&t);
	svc__names_free(&dyn_names);
	svc__names_free(&direct);
	svc__names_free(&before);
	svc__names_free(&after);
	return rc;
}
