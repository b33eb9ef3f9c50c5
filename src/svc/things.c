/*
 * things.c: the thing registry (things, thing groups, membership) and its
 * effect on continuous jobs: a thing newly covered by a continuous job's
 * target groups gets a QUEUED execution; a thing no longer covered has its
 * pending executions REMOVED (decisions D14, spec §9.1). Calls progress.c
 * and svc.c in svc/.
 */
#include "svc/progress_int.h"
#include "svc/tags_int.h"
#include "svc/types_int.h"
#include "svc/coverage_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_read.h"
#include "util/buf.h"
#include "util/metrics.h"

/* ---- things ------------------------------------------------------------- */

/* A thing without a thing type has at most 3 attributes (spec §3.1). */
static int
check_attr_count(const char *attributes, const char *type_name, struct jd_error *e)
{
	json_t *o;
	size_t n;

	if (attributes == NULL || (type_name != NULL && type_name[0] != '\0'))
		return 0;
	o = json_loads(attributes, 0, NULL);
	n = json_object_size(o);
	json_decref(o);
	if (n > JD_ATTRIBUTES_UNTYPED_MAX)
		return jd_error_set(e, JD_EINVAL,
		    "A thing without a thing type can have at most %d "
		    "attributes",
		    JD_ATTRIBUTES_UNTYPED_MAX);
	return 0;
}

/* *t as a new thing (owned: jd_thing_release). */
static void
thing_new(struct jd_thing *t, const char *name, const char *type_name, const char *attributes,
    int64_t now)
{
	memset(t, 0, sizeof(*t));
	jd_strlcpy(t->name, name, sizeof(t->name));
	jd_strlcpy(t->type_name, type_name ? type_name : "", sizeof(t->type_name));
	svc__uuid(t->id);
	t->attributes = jd_strdup(attributes ? attributes : "{}");
	t->version = 1;
	t->created_ms = now;
}

/*
 * CreateThing without a type on a backend that prefers conditional writes
 * (store_prefers_update_if; svc/exec.c, "Optimistic device writes"): the
 * thing is inserted on condition that no thing of that name and no
 * dynamic thing group exist, when CreateThing has nothing else to do, in a
 * ride (store_ride: the writer's owner carries it; on PostgreSQL the
 * writer waits for no round trip of it). 0 or an error:
 * answered; 1: the usual path (the thing exists, and may be the same, or a
 * dynamic group may take it in).
 */
struct create_ride {
	struct svc *s;
	struct jd_thing *t;
	struct store_cond res;
};

/* create_fast's transaction, as store_ride runs it (perhaps on another
 * thread) */
static int
create_ride(struct store_tx *tx, void *arg)
{
	struct create_ride *r = arg;

	svc__clock_sync(r->s, tx, true); /* as svc__begin */
	r->t->created_ms = svc_now(r->s);
	return store_thing_insert_if(tx, r->t, &r->res);
}

static int
create_fast(struct svc *s, const char *name, const char *attributes, struct jd_thing *out,
    struct jd_error *e)
{
	struct jd_thing t;
	struct create_ride r = {.s = s, .t = &t};
	int rc;

	if (!store_prefers_update_if(s->store))
		return 1;
	thing_new(&t, name, NULL, attributes, 0);
	if ((rc = store_ride(s->store, create_ride, &r)) != 0 || !r.res.done || !r.res.applied) {
		jd_thing_release(&t);
		if (rc != 0)
			return svc__store_err(rc, e);
		if (!r.res.done)
			return svc__store_err(JD_EUNAVAIL, e); /* committed, outcome unknown */
		metrics_inc(&jd_metrics.cond_retried);
		return 1;
	}
	metrics_inc(&jd_metrics.cond_applied);
	*out = t;
	return 0;
}

int
svc_thing_create(struct svc *s, const char *name, const char *type_name, const char *attributes,
    struct jd_thing *out, struct jd_error *e)
{
	const bool typed = type_name != NULL && type_name[0] != '\0';
	struct svc_tx w;
	struct store_tx *tx;
	struct jd_thing t;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = check_attr_count(attributes, type_name, e)) != 0)
		return rc;
	if (!typed && (rc = create_fast(s, name, attributes, out, e)) <= 0)
		return rc; /* answered */
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	tx = w.tx;
	/* Without a type to check first, the insert goes first (under the writer
	 * lock, as the lookup): a new thing costs one statement fewer, and an
	 * existing one (JD_EEXISTS, nothing written) takes the lookup below. */
	if (!typed) {
		thing_new(&t, name, NULL, attributes, w.now);
		rc = store_thing_insert(tx, &t);
		if (rc == 0)
			goto created;
		jd_thing_release(&t);
		memset(&t, 0, sizeof(t));
		if (rc != JD_EEXISTS)
			goto fail;
	}
	rc = store_thing_get(tx, name, &t);
	if (rc == 0) {
		/* Idempotent for the same configuration (spec §4.4). */
		bool same = strcmp(t.type_name, type_name ? type_name : "") == 0 &&
		    svc__json_text_equal(t.attributes, attributes);
		svc__rollback(&w);
		if (!same) {
			jd_thing_release(&t);
			jd_error_set(e, JD_EEXISTS,
			    "Thing %s already exists with different attributes", name);
			jd_strlcpy(e->resource_id, t.id, sizeof(e->resource_id));
			return JD_EEXISTS;
		}
		*out = t;
		return 0;
	}
	if (rc != JD_ENOTFOUND)
		goto fail;
	if (typed && (rc = svc__thing_type_assignable(tx, type_name, e)) != 0) {
		svc__rollback(&w);
		return rc;
	}
	thing_new(&t, name, type_name, attributes, w.now);
	if ((rc = store_thing_insert(tx, &t)) != 0)
		goto fail;
created:
	/* dynamic thing groups follow the registry (coverage.c) */
	if ((rc = svc__dyn_thing_changed(&w, t.name)) != 0)
		goto fail;
	if ((rc = svc__commit(&w, e)) != 0) {
		jd_thing_release(&t);
		return rc;
	}
	*out = t;
	return 0;
fail:
	jd_thing_release(&t);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

int
svc_thing_describe(struct svc *s, const char *name, struct jd_thing *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	if (store_begin_one(s->store, &tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	memset(out, 0, sizeof(*out));
	rc = store_thing_get(tx, name, out);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing %s cannot be found.", name);
	return rc ? svc__store_err(rc, e) : 0;
}

int
svc_thing_update(struct svc *s, const char *name, const char *type_name, bool remove_type,
    const char *attributes, bool merge, int64_t expected_version, struct jd_error *e)
{
	struct svc_tx w;
	struct store_tx *tx;
	struct jd_thing t;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	tx = w.tx;
	rc = store_thing_get(tx, name, &t);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&w);
		return jd_error_set(e, rc, "Thing %s cannot be found.", name);
	}
	if (rc != 0)
		goto fail;
	if (expected_version >= 0 && expected_version != t.version) {
		svc__rollback(&w);
		jd_thing_release(&t);
		return jd_error_set(e, JD_EVERSION,
		    "The version for thing %s does not match the expected version.", name);
	}
	/* a new type must exist and not be deprecated; keeping the same one is no change */
	if (type_name != NULL && type_name[0] != '\0' && strcmp(type_name, t.type_name) != 0) {
		if ((rc = svc__thing_type_assignable(tx, type_name, e)) != 0) {
			svc__rollback(&w);
			jd_thing_release(&t);
			return rc;
		}
		jd_strlcpy(t.type_name, type_name, sizeof(t.type_name));
	}
	if (remove_type)
		t.type_name[0] = '\0';
	if (attributes != NULL) {
		json_t *cur = json_loads(t.attributes ? t.attributes : "{}", 0, NULL);
		json_t *upd = json_loads(attributes, 0, NULL);
		const char *k;
		json_t *v;
		if (cur == NULL || !merge) {
			json_decref(cur);
			cur = json_object();
		}
		json_object_foreach(upd, k, v)
		{
			if (json_string_length(v) == 0)
				json_object_del(cur, k);
			else
				json_object_set(cur, k, v);
		}
		free(t.attributes);
		t.attributes = json_dumps(cur, JSON_COMPACT);
		json_decref(cur);
		json_decref(upd);
	}
	/* losing the type brings back the untyped limit on attributes */
	if ((attributes != NULL || remove_type) &&
	    (rc = check_attr_count(t.attributes, t.type_name, e)) != 0) {
		svc__rollback(&w);
		jd_thing_release(&t);
		return rc;
	}
	t.version++;
	if ((rc = store_thing_update(tx, &t)) != 0)
		goto fail;
	/* dynamic thing groups follow the registry (coverage.c) */
	if ((rc = svc__dyn_thing_changed(&w, t.name)) != 0)
		goto fail;
	jd_thing_release(&t);
	return svc__commit(&w, e);
fail:
	jd_thing_release(&t);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

int
svc_thing_delete(struct svc *s, const char *name, int64_t expected_version, struct jd_error *e)
{
	struct jd_exec_filter f = {-2, NULL, NULL};
	struct svc_tx w;
	struct store_tx *tx;
	struct jd_thing t;
	struct svc_names groups = {0};
	struct jd_execv pend = {0};
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	tx = w.tx;
	rc = store_thing_get(tx, name, &t);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&w);
		return 0; /* deleting a missing thing succeeds (spec §4.4) */
	}
	if (rc != 0)
		goto fail;
	jd_thing_release(&t);
	if (expected_version >= 0 && expected_version != t.version) {
		svc__rollback(&w);
		return jd_error_set(e, JD_EVERSION,
		    "The version for thing %s does not match the expected version.", name);
	}
	/* D14: pending executions become REMOVED and stay listable by job. */
	if ((rc = store_exec_list_thing(tx, name, &f, 0, 1000000, jd_execv_add, &pend)) != 0)
		goto fail;
	for (size_t i = 0; i < pend.n; i++) {
		if ((rc = svc__exec_move(&w, &pend.v[i], CORE_OP_REMOVE, JD_EXEC_REMOVED, false)) !=
		    0)
			goto fail;
		if ((rc = svc__job_maybe_complete(&w, pend.v[i].job_id)) != 0)
			goto fail;
	}
	if ((rc = store_thing_groups(tx, name, svc__names_add, &groups)) != 0)
		goto fail;
	for (size_t i = 0; i < groups.n; i++)
		if ((rc = store_member_remove(tx, groups.v[i], name)) != 0 && rc != JD_ENOTFOUND)
			goto fail;
	if ((rc = store_thing_delete(tx, name)) != 0)
		goto fail;
	jd_execv_free(&pend);
	svc__names_free(&groups);
	return svc__commit(&w, e);
fail:
	jd_execv_free(&pend);
	svc__names_free(&groups);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

struct limit_cb {
	int limit;
	int seen;
	bool *more;
	int (*cb)(void *, const void *);
	void *arg;
};

static int
thing_page(void *arg, const struct jd_thing *t)
{
	struct limit_cb *l = arg;

	if (l->seen++ >= l->limit) {
		*l->more = true;
		return 1;
	}
	return ((jd_thing_cb)(void (*)(void))l->cb)(l->arg, t);
}

int
svc_thing_list(struct svc *s, const struct jd_thing_filter *f, const char *after, int limit,
    jd_thing_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct limit_cb l = {limit, 0, more, (int (*)(void *, const void *))(void (*)(void))cb,
	    arg};
	struct store_tx *tx = NULL;
	int rc;

	*more = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_thing_list(tx, f, after, limit + 1, thing_page, &l);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

/* ---- groups ------------------------------------------------------------- */

int
svc_group_create(struct svc *s, const char *name, const char *parent, const char *description,
    const char *attributes, const struct jd_tag *tags, int n_tags, struct jd_group *out,
    struct jd_error *e)
{
	char res[SVC_TAG_RESOURCE_MAX];
	struct svc_tx w;
	struct store_tx *tx;
	struct jd_group g, p;
	char anc[JD_GROUP_DEPTH_MAX][JD_GROUP_NAME_MAX + 1];
	int n_anc = 0;
	int64_t children = 0;
	int rc;

	memset(&g, 0, sizeof(g));
	memset(&p, 0, sizeof(p));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	tx = w.tx;
	rc = store_group_get(tx, name, &g);
	if (rc == 0) {
		bool same = strcmp(g.parent, parent ? parent : "") == 0 &&
		    strcmp(g.description ? g.description : "", description ? description : "") ==
		        0 &&
		    svc__json_text_equal(g.attributes, attributes);
		svc__rollback(&w);
		if (!same) {
			jd_error_set(e, JD_EEXISTS,
			    "Thing Group %s already exists in current account with different properties",
			    name);
			jd_strlcpy(e->resource_id, g.id, sizeof(e->resource_id));
			jd_group_release(&g);
			return JD_EEXISTS;
		}
		*out = g;
		return 0;
	}
	if (rc != JD_ENOTFOUND)
		goto fail;
	if (parent != NULL && parent[0] != '\0') {
		rc = store_group_get(tx, parent, &p);
		if (rc == 0 && p.query_string != NULL) { /* not in a hierarchy (AWS) */
			jd_group_release(&p);
			svc__rollback(&w);
			return jd_error_set(e, JD_EINVAL,
			    "Dynamic thing group %s cannot be a parent group", parent);
		}
		jd_group_release(&p);
		if (rc == JD_ENOTFOUND) {
			svc__rollback(&w);
			return jd_error_set(e, JD_EINVAL, "Parent thing group %s does not exist",
			    parent);
		}
		if (rc != 0)
			goto fail;
		if ((rc = svc__group_ancestors(tx, parent, anc, &n_anc)) != 0)
			goto fail;
		if (n_anc + 2 > JD_GROUP_DEPTH_MAX) {
			svc__rollback(&w);
			return jd_error_set(e, JD_EINVAL,
			    "Thing group hierarchy cannot be deeper than %d levels",
			    JD_GROUP_DEPTH_MAX);
		}
		if ((rc = store_group_child_count(tx, parent, &children)) != 0)
			goto fail;
		if (children >= JD_GROUP_CHILDREN_MAX) {
			svc__rollback(&w);
			return jd_error_set(e, JD_EINVAL,
			    "Thing group %s already has %d child groups", parent,
			    JD_GROUP_CHILDREN_MAX);
		}
	}
	memset(&g, 0, sizeof(g));
	jd_strlcpy(g.name, name, sizeof(g.name));
	jd_strlcpy(g.parent, parent ? parent : "", sizeof(g.parent));
	svc__uuid(g.id);
	g.description = jd_strdup(description);
	g.attributes = jd_strdup(attributes);
	g.version = 1;
	g.created_ms = w.now;
	if ((rc = store_group_insert(tx, &g)) != 0)
		goto fail;
	snprintf(res, sizeof(res), "thinggroup/%s", name);
	if ((rc = svc__tags_set(&w, res, tags, n_tags, e)) != 0)
		goto fail;
	if ((rc = svc__commit(&w, e)) != 0) {
		jd_group_release(&g);
		return rc;
	}
	*out = g;
	return 0;
fail:
	jd_group_release(&g);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

int
svc_group_describe(struct svc *s, const char *name, struct jd_group *out,
    char ancestors[][JD_GROUP_NAME_MAX + 1], int *n_anc, struct jd_error *e)
{
	char tmp[JD_GROUP_DEPTH_MAX][JD_GROUP_NAME_MAX + 1];
	struct store_tx *tx = NULL;
	int rc, n = 0;

	*n_anc = 0;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = store_group_get(tx, name, out);
	if (rc == 0)
		rc = svc__group_ancestors(tx, name, tmp, &n);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing Group %s does not exist", name);
	if (rc != 0) {
		jd_group_release(out);
		return svc__store_err(rc, e);
	}
	for (int i = 0; i < n; i++) /* root first */
		jd_strlcpy(ancestors[i], tmp[n - 1 - i], JD_GROUP_NAME_MAX + 1);
	*n_anc = n;
	return 0;
}

int
svc_group_delete(struct svc *s, const char *name, int64_t expected_version, struct jd_error *e)
{
	struct svc_tx w;
	struct store_tx *tx;
	struct jd_group g;
	struct svc_names members = {0};
	int64_t children = 0;
	int rc;

	memset(&g, 0, sizeof(g));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	tx = w.tx;
	rc = store_group_get(tx, name, &g);
	jd_group_release(&g);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&w);
		return 0;
	}
	if (rc != 0)
		goto fail;
	if (expected_version >= 0 && expected_version != g.version) {
		svc__rollback(&w);
		return jd_error_set(e, JD_EVERSION,
		    "The version for thing group %s does not match the expected version.", name);
	}
	if ((rc = store_group_child_count(tx, name, &children)) != 0)
		goto fail;
	if (children > 0) {
		svc__rollback(&w);
		return jd_error_set(e, JD_EINVAL,
		    "Cannot delete thing group : %s when there are still child groups attached to it.",
		    name);
	}
	if ((rc = store_member_list(tx, name, false, "", 1000000, svc__names_push, &members)) != 0)
		goto fail;
	/* Its members leave it: continuous jobs that reached them only through
	 * this group see them go (D14). */
	for (size_t i = 0; i < members.n; i++) {
		struct svc_names before = {0}, after = {0};
		rc = svc__covering_groups(tx, members.v[i], &before);
		if (rc == 0)
			rc = store_member_remove(tx, name, members.v[i]);
		if (rc == 0)
			rc = svc__covering_groups(tx, members.v[i], &after);
		if (rc == 0)
			rc = svc__apply_coverage(&w, members.v[i], &before, &after);
		svc__names_free(&before);
		svc__names_free(&after);
		if (rc != 0)
			goto fail;
	}
	if ((rc = store_group_delete(tx, name)) != 0)
		goto fail;
	svc__names_free(&members);
	return svc__commit(&w, e);
fail:
	svc__names_free(&members);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

static int
group_page(void *arg, const struct jd_group *g)
{
	struct limit_cb *l = arg;

	if (l->seen++ >= l->limit) {
		*l->more = true;
		return 1;
	}
	return ((jd_group_cb)(void (*)(void))l->cb)(l->arg, g);
}

int
svc_group_list(struct svc *s, const struct jd_group_filter *f, const char *after, int limit,
    jd_group_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct limit_cb l = {limit, 0, more, (int (*)(void *, const void *))(void (*)(void))cb,
	    arg};
	struct store_tx *tx = NULL;
	int rc;

	*more = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	if (f->parent != NULL && f->parent[0] != '\0') {
		struct jd_group g;
		memset(&g, 0, sizeof(g));
		rc = store_group_get(tx, f->parent, &g);
		jd_group_release(&g);
		if (rc != 0) {
			store_rollback(tx);
			if (rc == JD_ENOTFOUND)
				return jd_error_set(e, rc, "Thing Group %s does not exist",
				    f->parent);
			return svc__store_err(rc, e);
		}
	}
	rc = store_group_list(tx, f, after, limit + 1, group_page, &l);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

static int
name_page(void *arg, const char *name)
{
	struct limit_cb *l = arg;

	if (l->seen++ >= l->limit) {
		*l->more = true;
		return 1;
	}
	return ((jd_name_cb)(void (*)(void))l->cb)(l->arg, name);
}

int
svc_member_list(struct svc *s, const char *group, bool recursive, const char *after, int limit,
    jd_name_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct limit_cb l = {limit, 0, more, (int (*)(void *, const void *))(void (*)(void))cb,
	    arg};
	struct store_tx *tx = NULL;
	struct jd_group g;
	int rc;

	*more = false;
	memset(&g, 0, sizeof(g));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_group_get(tx, group, &g);
	jd_group_release(&g);
	if (rc == 0)
		rc = store_member_list(tx, group, recursive, after, limit + 1, name_page, &l);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing Group %s does not exist", group);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}
