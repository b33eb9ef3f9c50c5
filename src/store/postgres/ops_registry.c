/*
 * ops_registry.c: the registry operations of the PostgreSQL backend: meta,
 * wipe, things, thing groups and memberships.
 *
 * An empty type_name or parent is stored as '' (schema.c). Deleting a thing
 * or a group also deletes its memberships, in the same statement. The group
 * tree is walked with a recursive CTE (stmt.c).
 */
#include <string.h>

#include "store/postgres/pg_int.h"

static void
row_thing(const PGresult *r, int i, struct jd_thing *t)
{
	memset(t, 0, sizeof(*t));
	pg__cpy(r, i, 0, t->name, sizeof(t->name));
	pg__cpy(r, i, 1, t->id, sizeof(t->id));
	pg__cpy(r, i, 2, t->type_name, sizeof(t->type_name));
	t->attributes = pg__dup(r, i, 3);
	t->version = pg__i64(r, i, 4);
	t->created_ms = pg__i64(r, i, 5);
}

static void
row_group(const PGresult *r, int i, struct jd_group *g)
{
	memset(g, 0, sizeof(*g));
	pg__cpy(r, i, 0, g->name, sizeof(g->name));
	pg__cpy(r, i, 1, g->id, sizeof(g->id));
	pg__cpy(r, i, 2, g->parent, sizeof(g->parent));
	g->description = pg__dup(r, i, 3);
	g->attributes = pg__dup(r, i, 4);
	g->version = pg__i64(r, i, 5);
	g->created_ms = pg__i64(r, i, 6);
	g->query_string = pg__dup(r, i, 7);
	pg__cpy(r, i, 8, g->index_name, sizeof(g->index_name));
	pg__cpy(r, i, 9, g->query_version, sizeof(g->query_version));
}

/* The list loops: decode each row, hand it to cb, free what it owns; clear r. */
static int
each_thing(PGresult *r, jd_thing_cb cb, void *arg)
{
	int rc = 0;

	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct jd_thing row;

		row_thing(r, i, &row);
		rc = cb(arg, &row);
		jd_thing_release(&row);
	}
	PQclear(r);
	return rc;
}

static int
each_group(PGresult *r, jd_group_cb cb, void *arg)
{
	int rc = 0;

	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct jd_group row;

		row_group(r, i, &row);
		rc = cb(arg, &row);
		jd_group_release(&row);
	}
	PQclear(r);
	return rc;
}

int
pg__wipe(struct store_tx *tx)
{
	return pg__simple(pg__conn(tx), pg__wipe_sql);
}

int
pg__meta_get(struct store_tx *tx, const char *key, char **val)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_META_GET, &r, BINDS(B_TEXT(key)));

	*val = NULL;
	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		*val = pg__dup(r, 0, 0);
	PQclear(r);
	return rc;
}

int
pg__meta_put(struct store_tx *tx, const char *key, const char *val)
{
	return pg__run(pg__conn(tx), ST_META_PUT, false, NULL, BINDS(B_TEXT(key), B_NAME(val)));
}

int
pg__meta_list(struct store_tx *tx, store_meta_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_META_LIST, &r, NULL, 0);

	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++)
		rc = cb(arg, pg__val(r, i, 0), pg__val(r, i, 1));
	PQclear(r);
	return rc;
}

int
pg__thing_get(struct store_tx *tx, const char *name, struct jd_thing *out)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_THING_GET, &r, BINDS(B_TEXT(name)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		row_thing(r, 0, out);
	PQclear(r);
	return rc;
}

/* 0, or JD_EEXISTS when an insert ... ON CONFLICT DO NOTHING changed nothing. */
static int
inserted(int rc, int64_t n)
{
	return rc != 0 ? rc : n == 0 ? JD_EEXISTS : 0;
}

int
pg__thing_insert(struct store_tx *tx, const struct jd_thing *t)
{
	struct conn *c = pg__conn(tx);
	PGresult *r;
	int rc = pg__exec(c, ST_THING_INSERT, &r,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_NAME(t->type_name), B_TEXT(t->attributes),
	        B_I64(t->version), B_I64(t->created_ms)));

	if (rc != 0)
		return rc;
	/* one row: (inserted, a dynamic group exists) */
	rc = inserted(0, PQntuples(r) == 1 ? pg__i64(r, 0, 0) : 0);
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 1), "f") == 0)
		c->memo.kind = PG_MEMO_NO_DYNAMIC;
	PQclear(r);
	return rc;
}

int
pg__thing_insert_if(struct store_tx *tx, const struct jd_thing *t, struct store_cond *res)
{
	const struct bind b[] = {B_TEXT(t->name), B_TEXT(t->id), B_NAME(t->type_name),
	    B_TEXT(t->attributes), B_I64(t->version), B_I64(t->created_ms)};

	return pg__cond_run(pg__conn(tx), ST_THING_INSERT_IF, b, 6, res);
}

int
pg__thing_update(struct store_tx *tx, const struct jd_thing *t)
{
	return pg__run(pg__conn(tx), ST_THING_UPDATE, true, NULL,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_NAME(t->type_name), B_TEXT(t->attributes),
	        B_I64(t->version), B_I64(t->created_ms)));
}

int
pg__thing_delete(struct store_tx *tx, const char *name)
{
	return pg__run(pg__conn(tx), ST_THING_DELETE, true, NULL, BINDS(B_TEXT(name)));
}

int
pg__thing_list(struct store_tx *tx, const struct jd_thing_filter *f, const char *after, int limit,
    jd_thing_cb cb, void *arg)
{
	static const struct jd_thing_filter none = {NULL, NULL, false, NULL};
	PGresult *r;
	int rc;

	if (f == NULL)
		f = &none;
	/* An attribute value filter without a name is no filter. */
	rc = pg__exec(pg__conn(tx), ST_THING_LIST, &r,
	    BINDS(B_NAME(after), B_OPT(f->type_name), B_OPT(f->attr_name),
	        B_OPT(f->attr_name != NULL && *f->attr_name != '\0' ? f->attr_value : NULL),
	        B_BOOL(f->attr_prefix), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_thing(r, cb, arg);
}

int
pg__thing_groups(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_THING_GROUPS, &r, BINDS(B_TEXT(thing)));

	if (rc != 0)
		return rc;
	return pg__each_name(r, cb, arg);
}

int
pg__group_get(struct store_tx *tx, const char *name, struct jd_group *out)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_GROUP_GET, &r, BINDS(B_TEXT(name)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		row_group(r, 0, out);
	PQclear(r);
	return rc;
}

int
pg__group_insert(struct store_tx *tx, const struct jd_group *g)
{
	int64_t n = 0;
	int rc = pg__run(pg__conn(tx), ST_GROUP_INSERT, false, &n,
	    BINDS(B_TEXT(g->name), B_TEXT(g->id), B_NAME(g->parent), B_TEXT(g->description),
	        B_TEXT(g->attributes), B_I64(g->version), B_I64(g->created_ms),
	        B_TEXT(g->query_string), B_OPT(g->index_name), B_OPT(g->query_version)));

	return inserted(rc, n);
}

int
pg__group_delete(struct store_tx *tx, const char *name)
{
	return pg__run(pg__conn(tx), ST_GROUP_DELETE, true, NULL, BINDS(B_TEXT(name)));
}

int
pg__group_list(struct store_tx *tx, const struct jd_group_filter *f, const char *after, int limit,
    jd_group_cb cb, void *arg)
{
	PGresult *r;
	int rc;

	/* No parent: the tree below the root, i.e. root groups or every group. */
	if (f == NULL)
		rc = pg__exec(pg__conn(tx), ST_GROUP_LIST, &r,
		    BINDS(B_NAME(NULL), B_BOOL(1), B_NAME(after), B_OPT(NULL), B_LIMIT(limit)));
	else
		rc = pg__exec(pg__conn(tx), ST_GROUP_LIST, &r,
		    BINDS(B_NAME(f->parent), B_BOOL(f->recursive), B_NAME(after),
		        B_OPT(f->name_prefix), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_group(r, cb, arg);
}

int
pg__group_child_count(struct store_tx *tx, const char *name, int64_t *n)
{
	return pg__scalar(pg__conn(tx), ST_GROUP_CHILD_COUNT, n, BINDS(B_TEXT(name)));
}

int
pg__member_add(struct store_tx *tx, const char *group, const char *thing)
{
	int64_t n = 0;
	int rc =
	    pg__run(pg__conn(tx), ST_MEMBER_ADD, false, &n, BINDS(B_TEXT(group), B_TEXT(thing)));

	return inserted(rc, n);
}

int
pg__member_remove(struct store_tx *tx, const char *group, const char *thing)
{
	return pg__run(pg__conn(tx), ST_MEMBER_REMOVE, true, NULL,
	    BINDS(B_TEXT(group), B_TEXT(thing)));
}

int
pg__member_list(struct store_tx *tx, const char *group, bool recursive, const char *after,
    int limit, jd_name_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_MEMBER_LIST, &r,
	    BINDS(B_TEXT(group), B_BOOL(recursive), B_NAME(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return pg__each_name(r, cb, arg);
}

int
pg__group_update(struct store_tx *tx, const struct jd_group *g)
{
	return pg__run(pg__conn(tx), ST_GROUP_UPDATE, true, NULL,
	    BINDS(B_TEXT(g->name), B_TEXT(g->description), B_TEXT(g->attributes), B_I64(g->version),
	        B_TEXT(g->query_string), B_OPT(g->index_name), B_OPT(g->query_version)));
}

int
pg__group_list_dynamic(struct store_tx *tx, const char *after, int limit, jd_group_cb cb, void *arg)
{
	struct conn *c = pg__conn(tx);
	PGresult *r;
	int rc;

	/* none exists: THING_INSERT just said so (pg_int.h, "memo") */
	if (c->memo.kind == PG_MEMO_NO_DYNAMIC)
		return 0;
	rc = pg__exec(c, ST_GROUP_LIST_DYNAMIC, &r, BINDS(B_NAME(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_group(r, cb, arg);
}
