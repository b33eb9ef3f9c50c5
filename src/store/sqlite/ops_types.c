/*
 * ops_types.c: the thing-type and tag operations of the SQLite backend.
 *
 * A thing type's properties are stored as the JSON text svc hands in. Tags
 * are rows (resource, key, value) keyed by the resource part of an ARN; the
 * triggers of the schema delete a resource's tags with its row.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

static void
row_type(sqlite3_stmt *st, struct jd_thing_type *t)
{
	memset(t, 0, sizeof(*t));
	sq__col_cpy(st, 0, t->name, sizeof(t->name));
	sq__col_cpy(st, 1, t->id, sizeof(t->id));
	t->properties = sq__col_dup(st, 2);
	t->deprecated = sqlite3_column_int(st, 3) != 0;
	t->deprecated_ms = sqlite3_column_int64(st, 4);
	t->created_ms = sqlite3_column_int64(st, 5);
}

int
sq__type_get(struct store_tx *tx, const char *name, struct jd_thing_type *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_TYPE_GET, &q, BINDS(B_TEXT(name)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		row_type(q.st, out);
	sq__q_close(&q);
	return rc;
}

int
sq__type_insert(struct store_tx *tx, const struct jd_thing_type *t)
{
	return sq__run(sq__conn(tx), ST_TYPE_INSERT, false, NULL,
	    BINDS(B_TEXT(t->name), B_TEXT(t->id), B_TEXT(t->properties), B_BOOL(t->deprecated),
	        B_I64(t->deprecated_ms), B_I64(t->created_ms)));
}

int
sq__type_update(struct store_tx *tx, const struct jd_thing_type *t)
{
	return sq__run(sq__conn(tx), ST_TYPE_UPDATE, true, NULL,
	    BINDS(B_TEXT(t->name), B_TEXT(t->properties), B_BOOL(t->deprecated),
	        B_I64(t->deprecated_ms)));
}

int
sq__type_delete(struct store_tx *tx, const char *name)
{
	return sq__run(sq__conn(tx), ST_TYPE_DELETE, true, NULL, BINDS(B_TEXT(name)));
}

int
sq__type_list(struct store_tx *tx, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_TYPE_LIST, &q,
	    BINDS(B_CURSOR(after), B_OPT(name), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1) {
		struct jd_thing_type row;

		row_type(q.st, &row);
		rc = cb(arg, &row);
		jd_thing_type_release(&row);
		if (rc != 0)
			break;
	}
	sq__q_close(&q);
	return rc;
}

int
sq__tag_put(struct store_tx *tx, const char *resource, const char *key, const char *value)
{
	return sq__run(sq__conn(tx), ST_TAG_PUT, false, NULL,
	    BINDS(B_TEXT(resource), B_TEXT(key), B_CURSOR(value)));
}

int
sq__tag_delete(struct store_tx *tx, const char *resource, const char *key)
{
	return sq__run(sq__conn(tx), ST_TAG_DELETE, false, NULL,
	    BINDS(B_TEXT(resource), B_TEXT(key)));
}

int
sq__tag_list(struct store_tx *tx, const char *resource, const char *after, int limit, jd_tag_cb cb,
    void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_TAG_LIST, &q,
	    BINDS(B_TEXT(resource), B_CURSOR(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1) {
		char *k = sq__col_dup(q.st, 0), *v = sq__col_dup(q.st, 1);

		rc = cb(arg, k != NULL ? k : "", v != NULL ? v : "");
		free(k);
		free(v);
		if (rc != 0)
			break;
	}
	sq__q_close(&q);
	return rc;
}

int
sq__tag_count(struct store_tx *tx, const char *resource, int64_t *n)
{
	return sq__scalar(sq__conn(tx), ST_TAG_COUNT, n, BINDS(B_TEXT(resource)));
}
