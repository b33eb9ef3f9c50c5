/*
 * dyngroups.c: dynamic thing groups (CreateDynamicThingGroup,
 * UpdateDynamicThingGroup, DeleteDynamicThingGroup), SearchIndex over the
 * registry, and the indexing configuration (issue 12).
 *
 * A dynamic group is a thing_groups row with a query_string; its members are
 * ordinary group_members rows. Creating a group or changing its query
 * evaluates the whole fleet once, in the same transaction (so the answer is
 * ACTIVE at once, never BUILDING); afterwards coverage.c keeps the members
 * right one changed thing at a time. Continuous jobs that target the group
 * see members come and go through the same path as static groups
 * (svc__apply_coverage); when no job targets the group that step is skipped.
 * Calls coverage.c, progress.c and svc.c.
 */
#include "svc/coverage_int.h"
#include "svc/tags_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "store/store_read.h"
#include "util/buf.h"

#define INDEX_THINGS "AWS_Things"
#define QUERY_VERSION "2017-09-30"
#define META_THING_INDEXING "indexing.things"
#define META_GROUP_INDEXING "indexing.groups"
#define DEFAULT_THING_INDEXING                                                           \
	"{\"thingIndexingMode\":\"REGISTRY\",\"thingConnectivityIndexingMode\":\"OFF\"," \
	"\"deviceDefenderIndexingMode\":\"OFF\",\"namedShadowIndexingMode\":\"OFF\"}"
#define DEFAULT_GROUP_INDEXING "{\"thingGroupIndexingMode\":\"OFF\"}"

/* ---- indexing configuration ----------------------------------------------- */

static int
thing_indexing_off(struct store_tx *tx, bool *off)
{
	char *v = NULL;
	int rc = store_meta_get(tx, META_THING_INDEXING, &v);
	const char *v2;
	json_t *o;

	*off = false;
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	o = json_loads(v, 0, NULL);
	v2 = json_string_value(json_object_get(o, "thingIndexingMode"));
	*off = v2 != NULL && strcmp(v2, "OFF") == 0;
	json_decref(o);
	free(v);
	return 0;
}

int
svc_indexing_get(struct svc *s, char **things, char **groups, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	*things = *groups = NULL;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_meta_get(tx, META_THING_INDEXING, things);
	if (rc == JD_ENOTFOUND)
		rc = 0;
	if (rc == 0)
		rc = store_meta_get(tx, META_GROUP_INDEXING, groups);
	if (rc == JD_ENOTFOUND)
		rc = 0;
	store_rollback(tx);
	if (rc != 0) {
		free(*things);
		free(*groups);
		*things = *groups = NULL;
		return svc__store_err(rc, e);
	}
	if (*things == NULL)
		*things = jd_strdup(DEFAULT_THING_INDEXING);
	if (*groups == NULL)
		*groups = jd_strdup(DEFAULT_GROUP_INDEXING);
	return 0;
}

int
svc_indexing_put(struct svc *s, const char *things, const char *groups, bool things_off,
    struct jd_error *e)
{
	struct svc_tx w;
	bool has_dyn = false;
	int rc;

	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	if (things_off) {
		if ((rc = store_group_dynamic_exists(w.tx, &has_dyn)) != 0)
			goto fail;
		if (has_dyn) {
			rc = jd_error_set(e, JD_EINVAL,
			    "Thing indexing cannot be turned off while dynamic thing groups exist");
			goto fail;
		}
	}
	if (things != NULL && (rc = store_meta_put(w.tx, META_THING_INDEXING, things)) != 0)
		goto fail;
	if (groups != NULL && (rc = store_meta_put(w.tx, META_GROUP_INDEXING, groups)) != 0)
		goto fail;
	return svc__commit(&w, e);
fail:
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

/* ---- evaluating the fleet ------------------------------------------------- */

struct fleet_eval {
	struct store_tx *tx;
	const struct core_query *q;
	struct svc_names match; /* in name order */
	int rc;
};

static int
fleet_row(void *arg, const struct jd_thing *t)
{
	struct fleet_eval *f = arg;
	bool m = false;

	if ((f->rc = svc__dyn_match(f->tx, f->q, t, &m)) != 0)
		return 1;
	if (m)
		svc__names_push(&f->match, t->name);
	return 0;
}

static int
count_row(void *arg, const char *name)
{
	(void)name;
	(*(size_t *)arg)++;
	return 0;
}

static int
targeted(void *arg, const struct jd_job *j)
{
	(void)j;
	*(bool *)arg = true;
	return 1;
}

/* Whether some job targets group (then membership changes go through
 * svc__apply_coverage, which decides which jobs are continuous and active). */
static int
group_targeted(struct store_tx *tx, const char *group, bool *yes)
{
	int rc;

	*yes = false;
	rc = store_job_list_by_group(tx, group, targeted, yes);
	return rc < 0 ? rc : 0;
}

/* Move thing into (join) or out of group, with the effects on jobs. */
static int
member_move(struct svc_tx *w, const char *group, const char *thing, bool join, bool jobs)
{
	struct svc_names before = {0}, after = {0};
	int rc = 0;

	if (jobs)
		rc = svc__covering_groups(w->tx, thing, &before);
	if (rc == 0)
		rc = join ? store_member_add(w->tx, group, thing) :
		            store_member_remove(w->tx, group, thing);
	if (rc == 0 && jobs)
		rc = svc__covering_groups(w->tx, thing, &after);
	if (rc == 0 && jobs)
		rc = svc__apply_coverage(w, thing, &before, &after);
	svc__names_free(&before);
	svc__names_free(&after);
	return rc;
}

/* Bring group's members to what q says over the whole fleet. */
static int
fleet_apply(struct svc_tx *w, const char *group, const struct core_query *q)
{
	struct fleet_eval f = {.tx = w->tx, .q = q};
	struct svc_names cur = {0};
	size_t i = 0, k = 0;
	bool jobs;
	int rc;

	if ((rc = group_targeted(w->tx, group, &jobs)) != 0)
		goto out;
	rc = store_thing_list(w->tx, NULL, "", 0, fleet_row, &f);
	if (f.rc != 0 || rc < 0) {
		rc = f.rc != 0 ? f.rc : rc;
		goto out;
	}
	if ((rc = store_member_list(w->tx, group, false, "", 0, svc__names_push, &cur)) != 0)
		goto out;
	/* both in name order: one merge finds who joins and who leaves */
	while (rc == 0 && (i < f.match.n || k < cur.n)) {
		int c = i == f.match.n ? 1 : k == cur.n ? -1 : strcmp(f.match.v[i], cur.v[k]);
		if (c == 0) {
			i++, k++;
		} else if (c < 0) {
			size_t n = 0;
			const char *t = f.match.v[i++];
			rc = store_thing_groups(w->tx, t, count_row, &n);
			if (rc == 0 && n < JD_GROUPS_PER_THING_MAX) /* behaviour.md */
				rc = member_move(w, group, t, true, jobs);
		} else {
			rc = member_move(w, group, cur.v[k++], false, jobs);
		}
	}
out:
	svc__names_free(&f.match);
	svc__names_free(&cur);
	return rc;
}

/* ---- dynamic groups ------------------------------------------------------- */

/* indexName and queryVersion, when given, must be the registry index's. */
static int
check_index(const char *index_name, const char *query_version, struct jd_error *e)
{
	if (index_name != NULL && strcmp(index_name, INDEX_THINGS) != 0)
		return jd_error_set(e, JD_ENOTFOUND, "Index %s does not exist", index_name);
	if (query_version != NULL && strcmp(query_version, QUERY_VERSION) != 0)
		return jd_error_set(e, JD_EINVAL, "Query version %s is not supported (use %s)",
		    query_version, QUERY_VERSION);
	return 0;
}

static int
count_dynamic(void *arg, const struct jd_group *g)
{
	(void)g;
	(*(int *)arg)++;
	return 0;
}

int
svc_dyn_create(struct svc *s, const char *name, const char *description, const char *attributes,
    const char *index_name, const char *query, const char *query_version, const struct jd_tag *tags,
    int n_tags, struct jd_group *out, struct jd_error *e)
{
	char res[SVC_TAG_RESOURCE_MAX];
	struct core_query *q = NULL;
	struct svc_tx w;
	struct jd_group g;
	bool off = false;
	int rc, n_dyn = 0;

	memset(&g, 0, sizeof(g));
	if ((rc = check_index(index_name, query_version, e)) != 0)
		return rc;
	if ((rc = core_query_compile(query, &q, e)) != 0)
		return rc;
	if ((rc = svc__begin(s, &w, e)) != 0) {
		core_query_free(q);
		return rc;
	}
	rc = store_group_get(w.tx, name, &g);
	if (rc == 0) {
		bool same = g.query_string != NULL && strcmp(g.query_string, query) == 0 &&
		    strcmp(g.description ? g.description : "", description ? description : "") == 0;
		if (same) { /* idempotent, as CreateThingGroup */
			core_query_free(q);
			svc__rollback(&w);
			*out = g;
			return 0;
		}
		jd_error_set(e, JD_EEXISTS,
		    "Thing Group %s already exists with different properties", name);
		jd_strlcpy(e->resource_id, g.id, sizeof(e->resource_id));
		rc = JD_EEXISTS;
		goto fail;
	}
	if (rc != JD_ENOTFOUND)
		goto fail;
	if ((rc = thing_indexing_off(w.tx, &off)) != 0)
		goto fail;
	if (off) {
		rc = jd_error_set(e, JD_EINVAL,
		    "Thing indexing is off: turn it on with UpdateIndexingConfiguration first");
		goto fail;
	}
	if ((rc = store_group_list_dynamic(w.tx, "", 0, count_dynamic, &n_dyn)) != 0)
		goto fail;
	if (n_dyn >= JD_DYNAMIC_GROUPS_MAX) {
		rc = jd_error_set(e, JD_ELIMIT, "There can be at most %d dynamic thing groups",
		    JD_DYNAMIC_GROUPS_MAX);
		goto fail;
	}
	memset(&g, 0, sizeof(g));
	jd_strlcpy(g.name, name, sizeof(g.name));
	svc__uuid(g.id);
	svc__group_props(&g, description, attributes, false);
	g.version = 1;
	g.created_ms = w.now;
	g.query_string = jd_strdup(query);
	jd_strlcpy(g.index_name, INDEX_THINGS, sizeof(g.index_name));
	jd_strlcpy(g.query_version, QUERY_VERSION, sizeof(g.query_version));
	if ((rc = store_group_insert(w.tx, &g)) != 0)
		goto fail;
	snprintf(res, sizeof(res), "thinggroup/%s", name);
	if ((rc = svc__tags_set(&w, res, tags, n_tags, e)) != 0)
		goto fail;
	if ((rc = fleet_apply(&w, name, q)) != 0)
		goto fail;
	core_query_free(q);
	if ((rc = svc__commit(&w, e)) != 0) {
		jd_group_release(&g);
		return rc;
	}
	*out = g;
	return 0;
fail:
	core_query_free(q);
	jd_group_release(&g);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

/* Group name exists and is dynamic (e set otherwise: 404, or 400 static). */
static int
get_dynamic(struct store_tx *tx, const char *name, struct jd_group *g, struct jd_error *e)
{
	int rc = store_group_get(tx, name, g);

	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing Group %s does not exist", name);
	if (rc != 0)
		return rc;
	if (g->query_string == NULL)
		return jd_error_set(e, JD_EINVAL, "Thing group %s is not a dynamic thing group",
		    name);
	return 0;
}

int
svc_dyn_update(struct svc *s, const char *name, const char *description, const char *attributes,
    bool merge, int64_t expected_version, const char *index_name, const char *query,
    const char *query_version, int64_t *version, struct jd_error *e)
{
	struct core_query *q = NULL;
	struct svc_tx w;
	struct jd_group g;
	int rc;

	memset(&g, 0, sizeof(g));
	if ((rc = check_index(index_name, query_version, e)) != 0)
		return rc;
	if (query != NULL && (rc = core_query_compile(query, &q, e)) != 0)
		return rc;
	if ((rc = svc__begin(s, &w, e)) != 0) {
		core_query_free(q);
		return rc;
	}
	if ((rc = get_dynamic(w.tx, name, &g, e)) != 0)
		goto fail;
	if (expected_version >= 0 && expected_version != g.version) {
		rc = jd_error_set(e, JD_EVERSION,
		    "The version for thing group %s does not match the expected version.", name);
		goto fail;
	}
	svc__group_props(&g, description, attributes, merge);
	if (q != NULL && strcmp(query, g.query_string) != 0) {
		free(g.query_string);
		g.query_string = jd_strdup(query);
		if ((rc = fleet_apply(&w, name, q)) != 0)
			goto fail;
	}
	g.version++;
	if ((rc = store_group_update(w.tx, &g)) != 0)
		goto fail;
	*version = g.version;
	core_query_free(q);
	jd_group_release(&g);
	return svc__commit(&w, e);
fail:
	core_query_free(q);
	jd_group_release(&g);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

int
svc_dyn_delete(struct svc *s, const char *name, int64_t expected_version, struct jd_error *e)
{
	struct svc_names members = {0};
	struct svc_tx w;
	struct jd_group g;
	bool jobs = false;
	int rc;

	memset(&g, 0, sizeof(g));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	rc = get_dynamic(w.tx, name, &g, e);
	if (rc == JD_ENOTFOUND) { /* as DeleteThingGroup: a missing group is deleted */
		memset(e, 0, sizeof(*e));
		jd_group_release(&g);
		svc__rollback(&w);
		return 0;
	}
	if (rc != 0)
		goto fail;
	if (expected_version >= 0 && expected_version != g.version) {
		rc = jd_error_set(e, JD_EVERSION,
		    "The version for thing group %s does not match the expected version.", name);
		goto fail;
	}
	if ((rc = group_targeted(w.tx, name, &jobs)) != 0)
		goto fail;
	if (jobs) { /* members leave one by one, so continuous jobs see them go */
		rc = store_member_list(w.tx, name, false, "", 0, svc__names_push, &members);
		for (size_t i = 0; rc == 0 && i < members.n; i++)
			rc = member_move(&w, name, members.v[i], false, true);
		if (rc != 0)
			goto fail;
	}
	if ((rc = store_group_delete(w.tx, name)) != 0)
		goto fail;
	svc__names_free(&members);
	jd_group_release(&g);
	return svc__commit(&w, e);
fail:
	svc__names_free(&members);
	jd_group_release(&g);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

/* ---- SearchIndex ---------------------------------------------------------- */

struct search {
	struct store_tx *tx;
	const struct core_query *q;
	int limit, sent;
	bool *more;
	svc_search_cb cb;
	void *arg;
	int rc;
};

static int
search_row(void *arg, const struct jd_thing *t)
{
	struct search *sr = arg;
	struct svc_names groups = {0};
	bool m = false;

	if ((sr->rc = svc__dyn_match(sr->tx, sr->q, t, &m)) != 0)
		return 1;
	if (!m)
		return 0;
	if (sr->sent++ >= sr->limit) {
		*sr->more = true;
		return 1;
	}
	sr->rc = store_thing_groups(sr->tx, t->name, svc__names_push, &groups);
	if (sr->rc == 0)
		sr->rc =
		    sr->cb(sr->arg, t, (const char(*)[JD_GROUP_NAME_MAX + 1]) groups.v, groups.n);
	svc__names_free(&groups);
	return sr->rc != 0;
}

int
svc_search(struct svc *s, const char *index_name, const char *query, const char *query_version,
    const char *after, int limit, svc_search_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct core_query *q = NULL;
	struct store_tx *tx = NULL;
	struct search sr = {0};
	bool off = false;
	int rc;

	*more = false;
	if ((rc = check_index(index_name, query_version, e)) != 0)
		return rc;
	if ((rc = core_query_compile(query, &q, e)) != 0)
		return rc;
	if ((rc = svc__read(s, &tx, e)) != 0) {
		core_query_free(q);
		return rc;
	}
	rc = thing_indexing_off(tx, &off);
	if (rc == 0 && off) {
		rc = jd_error_set(e, JD_EINVAL,
		    "Thing indexing is off: turn it on with UpdateIndexingConfiguration first");
	} else if (rc == 0) {
		sr = (struct search){tx, q, limit, 0, more, cb, arg, 0};
		rc = store_thing_list(tx, NULL, after, 0, search_row, &sr);
		rc = sr.rc != 0 ? sr.rc : rc < 0 ? rc : 0;
	}
	store_rollback(tx);
	core_query_free(q);
	return rc != 0 ? svc__store_err(rc, e) : 0;
}
