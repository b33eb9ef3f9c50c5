/*
 * ops_registry.c: the registry operations of the SQLite backend: meta,
 * wipe, things, thing groups and memberships.
 *
 * Names are fixed-size and stored as TEXT, an empty type_name or parent as
 * NULL. Deleting a thing or a group also deletes its memberships (not the
 * child groups of a group). The group tree is walked with a recursive CTE
 * (GROUP_TREE in stmt.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "store/store_read.h"
#include "util/buf.h"

static void
row_thing(sqlite3_stmt *st, struct jd_thing *t)
{
	memset(t, 0, sizeof(*t));
	sq__col_cpy(st, 0, t->name, sizeof(t->name));
	sq__col_cpy(st, 1, t->id, sizeof(t->id));
	sq__col_cpy(st, 2, t->type_name, sizeof(t->type_name));
	t->attributes = sq__col_dup(st, 3);
	t->version = sqlite3_column_int64(st, 4);
	t->created_ms = sqlite3_column_int64(st, 5);
}

static void
row_group(sqlite3_stmt *st, struct jd_group *g)
{
	memset(g, 0, sizeof(*g));
	sq__col_cpy(st, 0, g->name, sizeof(g->name));
	sq__col_cpy(st, 1, g->id, sizeof(g->id));
	sq__col_cpy(st, 2, g->parent, sizeof(g->parent));
	g->description = sq__col_dup(st, 3);
	g->attributes = sq__col_dup(st, 4);
	g->version = sqlite3_column_int64(st, 5);
	g->created_ms = sqlite3_column_int64(st, 6);
	g->query_string = sq__col_dup(st, 7);
	sq__col_cpy(st, 8, g->index_name, sizeof(g->index_name));
	sq__col_cpy(st, 9, g->query_version, sizeof(g->query_version));
}

/*
 * The list loops: decode each row into a stack struct, hand it to cb, free
 * what it owns. Returns 0 at the end, cb's non-zero value, or an error.
 */
static int
each_thing(struct q *q, jd_thing_cb cb, void *arg)
{
	int rc;

	while ((rc = sq__q_step(q)) == 1) {
		struct jd_thing row;

		row_thing(q->st, &row);
		rc = cb(arg, &row);
		jd_thing_release(&row);
		if (rc != 0)
			break;
	}
	sq__q_close(q);
	return rc;
}

static int
each_group(struct q *q, jd_group_cb cb, void *arg)
{
	int rc;

	while ((rc = sq__q_step(q)) == 1) {
		struct jd_group row;

		row_group(q->st, &row);
		rc = cb(arg, &row);
		jd_group_release(&row);
		if (rc != 0)
			break;
	}
	sq__q_close(q);
	return rc;
}

int
sq__wipe(struct store_tx *tx)
{
	struct conn *c = sq__conn(tx);

	if (sqlite3_get_autocommit(c->db))
		return JD_EUNAVAIL;
	c->memo.valid = false;
	if (sqlite3_exec(c->db, sq__wipe_sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq__fail(c, "wipe", NULL);
	return 0;
}

int
sq__meta_get(struct store_tx *tx, const char *key, char **val)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_META_GET, &q, BINDS(B_TEXT(key)));

	*val = NULL;
	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		*val = sq__col_dup(q.st, 0);
	sq__q_close(&q);
	return rc;
}

int
sq__meta_put(struct store_tx *tx, const char *key, const char *val)
{
	return sq__run(sq__conn(tx), ST_META_PUT, false, NULL, BINDS(B_TEXT(key), B_CURSOR(val)));
}

int
sq__meta_list(struct store_tx *tx, store_meta_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_META_LIST, &q, NO_BINDS);

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1)
		if ((rc = cb(arg, (const char *)sqlite3_column_text(q.st, 0),
		         (const char *)sqlite3_column_text(q.st, 1))) != 0)
			break;
	sq__q_close(&q);
	return rc;
}

int
sq__thing_get(struct store_tx *tx, const char *name, struct jd_thing *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_THING_GET, &q, BINDS(B_TEXT(name)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		row_thing(q.st, out);
	sq__q_close(&q);
	return rc;
}

int
sq__thing_insert(struct store_tx *tx, const struct jd_thing *t)
{
	return sq__run(sq__conn(tx), ST_THING_INSERT, false, NULL,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_OPT(t->type_name), B_TEXT(t->attributes),
	        B_I64(t->version), B_I64(t->created_ms)));
}

/* store_read_ops.thing_insert_if: one statement (THING_INSERT_IF), where
 * the default reads the thing, then the dynamic groups, then inserts */
int
sq__thing_insert_if(struct store_tx *tx, const struct jd_thing *t, struct store_cond *res)
{
	int64_t n = 0;
	int rc = sq__run(sq__conn(tx), ST_THING_INSERT_IF, false, &n,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_OPT(t->type_name), B_TEXT(t->attributes),
	        B_I64(t->version), B_I64(t->created_ms)));

	if (rc != 0)
		return rc;
	res->done = true;
	res->applied = n > 0;
	return 0;
}

int
sq__thing_update(struct store_tx *tx, const struct jd_thing *t)
{
	return sq__run(sq__conn(tx), ST_THING_UPDATE, true, NULL,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_OPT(t->type_name), B_TEXT(t->attributes),
	        B_I64(t->version), B_I64(t->created_ms)));
}

int
sq__thing_delete(struct store_tx *tx, const char *name)
{
	struct conn *c = sq__conn(tx);
	int rc = sq__run(c, ST_THING_DELETE, true, NULL, BINDS(B_TEXT(name)));

	if (rc == 0)
		rc = sq__run(c, ST_THING_UNLINK, false, NULL, BINDS(B_TEXT(name)));
	return rc;
}

int
sq__thing_list(struct store_tx *tx, const struct jd_thing_filter *f, const char *after, int limit,
    jd_thing_cb cb, void *arg)
{
	static const struct jd_thing_filter none = {NULL, NULL, false, NULL};
	struct q q;
	int rc;

	if (f == NULL)
		f = &none;
	/* An attribute value filter without a name is no filter. */
	rc = sq__q_open(sq__conn(tx), ST_THING_LIST, &q,
	    BINDS(B_CURSOR(after), B_OPT(f->type_name), B_OPT(f->attr_name),
	        B_OPT(f->attr_name != NULL && *f->attr_name != '\0' ? f->attr_value : NULL),
	        B_BOOL(f->attr_prefix), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_thing(&q, cb, arg);
}

int
sq__thing_groups(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_THING_GROUPS, &q, BINDS(B_TEXT(thing)));

	if (rc != 0)
		return rc;
	return sq__each_name(&q, cb, arg);
}

int
sq__group_get(struct store_tx *tx, const char *name, struct jd_group *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_GROUP_GET, &q, BINDS(B_TEXT(name)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		row_group(q.st, out);
	sq__q_close(&q);
	return rc;
}

int
sq__group_insert(struct store_tx *tx, const struct jd_group *g)
{
	return sq__run(sq__conn(tx), ST_GROUP_INSERT, false, NULL,
	    BINDS(B_TEXT(g->name), B_TEXT(g->id), B_OPT(g->parent), B_TEXT(g->description),
	        B_TEXT(g->attributes), B_I64(g->version), B_I64(g->created_ms),
	        B_TEXT(g->query_string), B_OPT(g->index_name), B_OPT(g->query_version)));
}

int
sq__group_delete(struct store_tx *tx, const char *name)
{
	struct conn *c = sq__conn(tx);
	int rc = sq__run(c, ST_GROUP_DELETE, true, NULL, BINDS(B_TEXT(name)));

	if (rc == 0)
		rc = sq__run(c, ST_GROUP_UNLINK, false, NULL, BINDS(B_TEXT(name)));
	return rc;
}

int
sq__group_list(struct store_tx *tx, const struct jd_group_filter *f, const char *after, int limit,
    jd_group_cb cb, void *arg)
{
	struct q q;
	int rc;

	/* No parent: the tree below the root, i.e. root groups or every group. */
	if (f == NULL)
		rc = sq__q_open(sq__conn(tx), ST_GROUP_LIST, &q,
		    BINDS(B_OPT(NULL), B_BOOL(1), B_CURSOR(after), B_OPT(NULL), B_LIMIT(limit)));
	else
		rc = sq__q_open(sq__conn(tx), ST_GROUP_LIST, &q,
		    BINDS(B_OPT(f->parent), B_BOOL(f->recursive), B_CURSOR(after),
		        B_OPT(f->name_prefix), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_group(&q, cb, arg);
}

int
sq__group_child_count(struct store_tx *tx, const char *name, int64_t *n)
{
	return sq__scalar(sq__conn(tx), ST_GROUP_CHILD_COUNT, n, BINDS(B_TEXT(name)));
}

int
sq__member_add(struct store_tx *tx, const char *group, const char *thing)
{
	return sq__run(sq__conn(tx), ST_MEMBER_ADD, false, NULL,
	    BINDS(B_TEXT(group), B_TEXT(thing)));
}

int
sq__member_remove(struct store_tx *tx, const char *group, const char *thing)
{
	return sq__run(sq__conn(tx), ST_MEMBER_REMOVE, true, NULL,
	    BINDS(B_TEXT(group), B_TEXT(thing)));
}

int
sq__member_list(struct store_tx *tx, const char *group, bool recursive, const char *after,
    int limit, jd_name_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_MEMBER_LIST, &q,
	    BINDS(B_TEXT(group), B_BOOL(recursive), B_CURSOR(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return sq__each_name(&q, cb, arg);
}

int
sq__group_update(struct store_tx *tx, const struct jd_group *g)
{
	return sq__run(sq__conn(tx), ST_GROUP_UPDATE, true, NULL,
	    BINDS(B_TEXT(g->name), B_TEXT(g->description), B_TEXT(g->attributes), B_I64(g->version),
	        B_TEXT(g->query_string), B_OPT(g->index_name), B_OPT(g->query_version)));
}

int
sq__group_list_dynamic(struct store_tx *tx, const char *after, int limit, jd_group_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_GROUP_LIST_DYNAMIC, &q,
	    BINDS(B_CURSOR(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_group(&q, cb, arg);
}

/* Bulk forms (copy-store): SQLite has no round trips to save, so they are the
 * single-row statements in a loop, stopping at the first failure. */
int
sq__thing_insert_many(struct store_tx *tx, const struct jd_thing *ts, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = sq__thing_insert(tx, &ts[i]);
	return rc;
}

int
sq__member_add_many(struct store_tx *tx, const char *group, const char *const *things, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = sq__member_add(tx, group, things[i]);
	return rc;
}
