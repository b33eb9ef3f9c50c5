/*
 * groups.c: thing-group management (issue 12): UpdateThingGroup,
 * ListThingGroupsForThing, and membership changes (AddThingToThingGroup,
 * RemoveThingFromThingGroup, UpdateThingGroupsForThing) as one use case:
 * check, change the static memberships, apply the effects on continuous jobs
 * (coverage.c), then let the dynamic groups see the new thingGroupNames.
 * Calls coverage.c, progress.c and svc.c.
 */
#include "svc/coverage_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* ---- UpdateThingGroup ----------------------------------------------------- */

int
svc_group_update(struct svc *s, const char *name, const char *description, const char *attributes,
    bool merge, int64_t expected_version, int64_t *version, struct jd_error *e)
{
	struct svc_tx w;
	struct jd_group g;
	int rc;

	memset(&g, 0, sizeof(g));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	rc = store_group_get(w.tx, name, &g);
	if (rc == JD_ENOTFOUND) {
		jd_error_set(e, rc, "Thing Group %s does not exist", name);
		goto fail;
	}
	if (rc != 0)
		goto fail;
	if (expected_version >= 0 && expected_version != g.version) {
		rc = jd_error_set(e, JD_EVERSION,
		    "The version for thing group %s does not match the expected version.", name);
		goto fail;
	}
	svc__group_props(&g, description, attributes, merge);
	g.version++;
	if ((rc = store_group_update(w.tx, &g)) != 0)
		goto fail;
	*version = g.version;
	jd_group_release(&g);
	return svc__commit(&w, e);
fail:
	jd_group_release(&g);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

/* ---- ListThingGroupsForThing ---------------------------------------------- */

int
svc_groups_of_thing(struct svc *s, const char *thing, const char *after, int limit, jd_name_cb cb,
    void *arg, bool *more, struct jd_error *e)
{
	struct svc_names direct = {0};
	struct store_tx *tx = NULL;
	struct jd_thing t;
	int rc, sent = 0;

	*more = false;
	memset(&t, 0, sizeof(t));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_thing_get(tx, thing, &t);
	jd_thing_release(&t);
	if (rc == 0) /* by name (the store's order), at most a few dozen */
		rc = store_thing_groups(tx, thing, svc__names_push, &direct);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND) {
		svc__names_free(&direct);
		return jd_error_set(e, rc, "Thing %s cannot be found.", thing);
	}
	for (size_t i = 0; rc == 0 && i < direct.n; i++) {
		if (after != NULL && strcmp(direct.v[i], after) <= 0)
			continue;
		if (sent++ >= limit) {
			*more = true;
			break;
		}
		rc = cb(arg, direct.v[i]);
	}
	svc__names_free(&direct);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

/* ---- membership changes --------------------------------------------------- */

/* Group `name` exists and is static, else e set (404, or 400 for a dynamic one). */
static int
static_group(struct store_tx *tx, const char *name, const char *verb, struct jd_error *e)
{
	struct jd_group g;
	bool dynamic;
	int rc;

	memset(&g, 0, sizeof(g));
	rc = store_group_get(tx, name, &g);
	dynamic = g.query_string != NULL;
	jd_group_release(&g);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing Group %s does not exist", name);
	if (rc != 0)
		return svc__store_err(rc, e);
	if (dynamic)
		return jd_error_set(e, JD_EINVAL,
		    "Cannot %s dynamic thing group %s: its membership follows its query", verb,
		    name);
	return 0;
}

/* The thing's dynamic memberships: the last by name, for overrideDynamicGroups. */
static int
last_dynamic(struct store_tx *tx, const struct svc_names *direct, char *out, struct jd_error *e)
{
	out[0] = '\0';
	for (size_t i = 0; i < direct->n; i++) {
		struct jd_group g;
		int rc;
		memset(&g, 0, sizeof(g));
		rc = store_group_get(tx, direct->v[i], &g);
		if (rc == 0 && g.query_string != NULL && strcmp(g.name, out) > 0)
			jd_strlcpy(out, g.name, JD_GROUP_NAME_MAX + 1);
		jd_group_release(&g);
		if (rc != 0 && rc != JD_ENOTFOUND)
			return svc__store_err(rc, e);
	}
	return 0;
}

int
svc_groups_for_thing_update(struct svc *s, const char *thing, const char *const *add, size_t n_add,
    const char *const *remove, size_t n_remove, bool override_dynamic, struct jd_error *e)
{
	struct svc_names before = {0}, after = {0}, direct = {0};
	struct svc_tx w;
	struct store_tx *tx;
	struct jd_thing t;
	bool changed = false;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	tx = w.tx;
	for (size_t i = 0; i < n_add; i++)
		if ((rc = static_group(tx, add[i], "add a thing to", e)) != 0)
			goto out;
	for (size_t i = 0; i < n_remove; i++)
		if ((rc = static_group(tx, remove[i], "remove a thing from", e)) != 0)
			goto out;
	rc = store_thing_get(tx, thing, &t);
	jd_thing_release(&t);
	if (rc == JD_ENOTFOUND) {
		jd_error_set(e, rc, "Thing %s cannot be found.", thing);
		goto out;
	}
	if (rc != 0)
		goto out;
	if ((rc = svc__covering_groups(tx, thing, &before)) != 0)
		goto out;
	for (size_t i = 0; i < n_remove; i++) {
		rc = store_member_remove(tx, remove[i], thing);
		if (rc == JD_ENOTFOUND)
			continue; /* not a member: nothing changes */
		if (rc != 0)
			goto out;
		changed = true;
	}
	for (size_t i = 0; i < n_add; i++) {
		svc__names_free(&direct);
		if ((rc = store_thing_groups(tx, thing, svc__names_push, &direct)) != 0)
			goto out;
		if (svc__names_has(&direct, add[i]))
			continue; /* already a member */
		if (direct.n >= JD_GROUPS_PER_THING_MAX) {
			char victim[JD_GROUP_NAME_MAX + 1];
			if ((rc = last_dynamic(tx, &direct, victim, e)) != 0)
				goto out;
			if (!override_dynamic || victim[0] == '\0') {
				rc = jd_error_set(e, JD_EINVAL,
				    "Thing %s is already in %d thing groups", thing,
				    JD_GROUPS_PER_THING_MAX);
				goto out;
			}
			/* overrideDynamicGroups: the static group wins a dynamic one */
			if ((rc = store_member_remove(tx, victim, thing)) != 0)
				goto out;
		}
		if ((rc = store_member_add(tx, add[i], thing)) != 0)
			goto out;
		changed = true;
	}
	if (!changed)
		goto out;
	if ((rc = svc__covering_groups(tx, thing, &after)) != 0)
		goto out;
	if ((rc = svc__apply_coverage(&w, thing, &before, &after)) != 0)
		goto out;
	/* thingGroupNames changed: the dynamic groups look again */
	if ((rc = svc__dyn_thing_changed(&w, thing)) != 0)
		goto out;
	svc__names_free(&before);
	svc__names_free(&after);
	svc__names_free(&direct);
	return svc__commit(&w, e);
out:
	svc__names_free(&before);
	svc__names_free(&after);
	svc__names_free(&direct);
	svc__rollback(&w);
	return rc != 0 ? svc__store_err(rc, e) : 0;
}

int
svc_member_add(struct svc *s, const char *group, const char *thing, bool override_dynamic,
    struct jd_error *e)
{
	return svc_groups_for_thing_update(s, thing, &group, 1, NULL, 0, override_dynamic, e);
}

int
svc_member_remove(struct svc *s, const char *group, const char *thing, struct jd_error *e)
{
	return svc_groups_for_thing_update(s, thing, NULL, 0, &group, 1, false, e);
}
