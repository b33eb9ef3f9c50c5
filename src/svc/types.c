/*
 * types.c: thing types: CreateThingType, DescribeThingType, ListThingTypes,
 * DeprecateThingType (and its undo), DeleteThingType, and the check a thing
 * makes before it takes a type.
 *
 * A type is deleted only once deprecated, JD_THING_TYPE_DELETE_WAIT_MS
 * after its deprecation on the service clock (the test rig's virtual clock
 * moves it), and only when no thing has it. A deprecated type cannot be
 * given to a thing; things that already have it keep it. Calls svc.c and
 * tags.c.
 */
#include "svc/tags_int.h"
#include "svc/types_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

int
svc__thing_type_assignable(struct store_tx *tx, const char *name, struct jd_error *e)
{
	struct jd_thing_type t;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = store_thing_type_get(tx, name, &t);
	jd_thing_type_release(&t);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing type %s does not exist", name);
	if (rc != 0)
		return svc__store_err(rc, e);
	if (t.deprecated)
		return jd_error_set(e, JD_EINVAL,
		    "Can not associate a thing with deprecated thing type %s", name);
	return 0;
}

int
svc_thing_type_create(struct svc *s, const char *name, const char *properties,
    const struct jd_tag *tags, int n_tags, struct jd_thing_type *out, struct jd_error *e)
{
	struct jd_thing_type t;
	char res[SVC_TAG_RESOURCE_MAX];
	struct svc_tx w;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	rc = store_thing_type_get(w.tx, name, &t);
	if (rc == 0) {
		/* the same configuration again is the same type (as CreateThing) */
		svc__rollback(&w);
		if (!svc__json_text_equal(t.properties, properties)) {
			jd_error_set(e, JD_EEXISTS,
			    "Thing type %s already exists with different properties", name);
			jd_strlcpy(e->resource_id, t.id, sizeof(e->resource_id));
			jd_thing_type_release(&t);
			return JD_EEXISTS;
		}
		*out = t;
		return 0;
	}
	if (rc != JD_ENOTFOUND)
		goto fail;
	memset(&t, 0, sizeof(t));
	jd_strlcpy(t.name, name, sizeof(t.name));
	svc__uuid(t.id);
	t.properties = jd_strdup(properties);
	t.created_ms = w.now;
	if ((rc = store_thing_type_insert(w.tx, &t)) != 0)
		goto fail;
	snprintf(res, sizeof(res), "thingtype/%s", name);
	if ((rc = svc__tags_set(&w, res, tags, n_tags, e)) != 0)
		goto fail;
	if ((rc = svc__commit(&w, e)) != 0) {
		jd_thing_type_release(&t);
		return rc;
	}
	*out = t;
	return 0;
fail:
	jd_thing_type_release(&t);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

int
svc_thing_type_describe(struct svc *s, const char *name, struct jd_thing_type *out,
    struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	rc = store_thing_type_get(tx, name, out);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Thing type %s does not exist", name);
	return rc ? svc__store_err(rc, e) : 0;
}

struct type_page {
	int limit;
	int seen;
	bool *more;
	jd_thing_type_cb cb;
	void *arg;
};

static int
type_row(void *arg, const struct jd_thing_type *t)
{
	struct type_page *p = arg;

	if (p->seen++ >= p->limit) {
		*p->more = true;
		return 1;
	}
	return p->cb(p->arg, t);
}

int
svc_thing_type_list(struct svc *s, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct type_page p = {limit, 0, more, cb, arg};
	struct store_tx *tx = NULL;
	int rc;

	*more = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_thing_type_list(tx, name, after, limit + 1, type_row, &p);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

int
svc_thing_type_deprecate(struct svc *s, const char *name, bool undo, struct jd_error *e)
{
	struct jd_thing_type t;
	struct svc_tx w;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	rc = store_thing_type_get(w.tx, name, &t);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&w);
		return jd_error_set(e, rc, "Thing type %s does not exist", name);
	}
	if (rc != 0)
		goto fail;
	if (t.deprecated == !undo) { /* already so: nothing changes, the wait is not restarted */
		jd_thing_type_release(&t);
		svc__rollback(&w);
		return 0;
	}
	t.deprecated = !undo;
	t.deprecated_ms = undo ? 0 : w.now;
	if ((rc = store_thing_type_update(w.tx, &t)) != 0)
		goto fail;
	jd_thing_type_release(&t);
	return svc__commit(&w, e);
fail:
	jd_thing_type_release(&t);
	svc__rollback(&w);
	return svc__store_err(rc, e);
}

static int
one_thing(void *arg, const struct jd_thing *t)
{
	(void)t;
	*(bool *)arg = true;
	return 1;
}

int
svc_thing_type_delete(struct svc *s, const char *name, struct jd_error *e)
{
	struct jd_thing_filter f = {NULL, NULL, false, name};
	struct jd_thing_type t;
	bool used = false;
	struct svc_tx w;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = svc__begin(s, &w, e)) != 0)
		return rc;
	rc = store_thing_type_get(w.tx, name, &t);
	jd_thing_type_release(&t);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&w);
		return jd_error_set(e, rc, "Thing type %s does not exist", name);
	}
	if (rc != 0)
		goto fail;
	if (!t.deprecated) {
		svc__rollback(&w);
		return jd_error_set(e, JD_EINVAL,
		    "Thing type %s is not deprecated: deprecate it (DeprecateThingType) before "
		    "deleting it",
		    name);
	}
	if (w.now - t.deprecated_ms < JD_THING_TYPE_DELETE_WAIT_MS) {
		svc__rollback(&w);
		return jd_error_set(e, JD_EINVAL,
		    "Thing type %s was deprecated less than 5 minutes ago; wait 5 minutes after "
		    "deprecating a thing type before deleting it",
		    name);
	}
	if ((rc = store_thing_list(w.tx, &f, "", 1, one_thing, &used)) < 0)
		goto fail;
	if (used) {
		svc__rollback(&w);
		return jd_error_set(e, JD_EINVAL,
		    "Thing type %s still has things associated with it: change their type "
		    "(UpdateThing) before deleting it",
		    name);
	}
	if ((rc = store_thing_type_delete(w.tx, name)) != 0)
		goto fail;
	return svc__commit(&w, e);
fail:
	svc__rollback(&w);
	return svc__store_err(rc, e);
}
