/*
 * ops_types.c: the thing-type and tag operations of the PostgreSQL backend.
 *
 * As the SQLite backend's: a thing type's properties are the JSON text svc
 * hands in; tags are rows (resource, key, value) keyed by the resource part
 * of an ARN, deleted with their resource's row by the schema's trigger.
 */
#include <string.h>

#include "store/postgres/pg_int.h"

static void
row_type(const PGresult *r, int i, struct jd_thing_type *t)
{
	memset(t, 0, sizeof(*t));
	pg__cpy(r, i, 0, t->name, sizeof(t->name));
	pg__cpy(r, i, 1, t->id, sizeof(t->id));
	t->properties = pg__dup(r, i, 2);
	t->deprecated = pg__i64(r, i, 3) != 0;
	t->deprecated_ms = pg__i64(r, i, 4);
	t->created_ms = pg__i64(r, i, 5);
}

int
pg__type_get(struct store_tx *tx, const char *name, struct jd_thing_type *out)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_TYPE_GET, &r, BINDS(B_TEXT(name)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		row_type(r, 0, out);
	PQclear(r);
	return rc;
}

int
pg__type_insert(struct store_tx *tx, const struct jd_thing_type *t)
{
	int64_t n = 0;
	int rc = pg__run(pg__conn(tx), ST_TYPE_INSERT, false, &n,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_TEXT(t->properties), B_BOOL(t->deprecated),
	        B_I64(t->deprecated_ms), B_I64(t->created_ms)));

	/* ON CONFLICT DO NOTHING: no row is an existing key */
	return rc != 0 ? rc : n == 0 ? JD_EEXISTS : 0;
}

int
pg__type_update(struct store_tx *tx, const struct jd_thing_type *t)
{
	return pg__run(pg__conn(tx), ST_TYPE_UPDATE, true, NULL,
	    BINDS(B_TEXT(t->name), B_TEXT(t->properties), B_BOOL(t->deprecated),
	        B_I64(t->deprecated_ms)));
}

int
pg__type_delete(struct store_tx *tx, const char *name)
{
	return pg__run(pg__conn(tx), ST_TYPE_DELETE, true, NULL, BINDS(B_TEXT(name)));
}

int
pg__type_list(struct store_tx *tx, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_TYPE_LIST, &r,
	    BINDS(B_NAME(after), B_OPT(name), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct jd_thing_type row;

		row_type(r, i, &row);
		rc = cb(arg, &row);
		jd_thing_type_release(&row);
	}
	PQclear(r);
	return rc;
}

int
pg__tag_put(struct store_tx *tx, const char *resource, const char *key, const char *value)
{
	return pg__run(pg__conn(tx), ST_TAG_PUT, false, NULL,
	    BINDS(B_TEXT(resource), B_TEXT(key), B_NAME(value)));
}

int
pg__tag_delete(struct store_tx *tx, const char *resource, const char *key)
{
	return pg__run(pg__conn(tx), ST_TAG_DELETE, false, NULL,
	    BINDS(B_TEXT(resource), B_TEXT(key)));
}

int
pg__tag_list(struct store_tx *tx, const char *resource, const char *after, int limit, jd_tag_cb cb,
    void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_TAG_LIST, &r,
	    BINDS(B_TEXT(resource), B_NAME(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const char *k = pg__val(r, i, 0), *v = pg__val(r, i, 1);

		rc = cb(arg, k != NULL ? k : "", v != NULL ? v : "");
	}
	PQclear(r);
	return rc;
}

int
pg__tag_count(struct store_tx *tx, const char *resource, int64_t *n)
{
	return pg__scalar(pg__conn(tx), ST_TAG_COUNT, n, BINDS(B_TEXT(resource)));
}
