/*
 * ops_bulk.c: bulk inserts of things and memberships (store.h
 * thing_insert_many, member_add_many) in the PostgreSQL backend: one COPY
 * per call instead of a statement (a round trip) per row. jobsd copy-store
 * moves a deployment's registry with them. The rows must be new: a
 * duplicate fails the COPY (JD_EEXISTS) and the caller rolls back.
 */
#include <string.h>

#include "store/postgres/pg_int.h"
#include "util/buf.h"

typedef void (*row_fn)(struct buf *b, const void *arg, size_t i);

/* COPY n rows (row(b, arg, i) appends row i) with sql on tx's connection. */
static int
copy_in(struct conn *c, const char *sql, row_fn row, const void *arg, size_t n)
{
	struct buf b = BUF_INIT;
	PGresult *r;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = pg__ready(c)) != 0)
		return rc;
	r = PQexec(c->db, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		rc = pg__fail(c, sql, r);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	for (size_t i = 0; i < n && rc == 0; i++) {
		row(&b, arg, i);
		if (b.len >= 256 * 1024 || i + 1 == n) {
			if (PQputCopyData(c->db, b.p, (int)b.len) != 1)
				rc = pg__fail(c, sql, NULL);
			buf_reset(&b);
		}
	}
	buf_free(&b);
	if (PQputCopyEnd(c->db, rc == 0 ? NULL : "jobsd: copy abandoned") != 1 && rc == 0)
		rc = pg__fail(c, sql, NULL);
	while ((r = PQgetResult(c->db)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			rc = state != NULL && strcmp(state, "23505") == 0 ? JD_EEXISTS :
			                                                    pg__fail(c, sql, r);
		}
		PQclear(r);
	}
	return rc;
}

static void
thing_row(struct buf *b, const void *arg, size_t i)
{
	const struct jd_thing *t = (const struct jd_thing *)arg + i;

	pg__copy_text(b, t->name);
	buf_putc(b, '\t');
	pg__copy_text(b, t->id);
	buf_putc(b, '\t');
	pg__copy_text(b, t->type_name);
	buf_putc(b, '\t');
	pg__copy_text(b, t->attributes);
	buf_putc(b, '\t');
	pg__copy_i64(b, t->version, '\t');
	pg__copy_i64(b, t->created_ms, '\n');
}

int
pg__thing_insert_many(struct store_tx *tx, const struct jd_thing *ts, size_t n)
{
	return copy_in(pg__conn(tx),
	    "COPY things (name, id, type_name, attributes, version, created_ms) FROM STDIN",
	    thing_row, ts, n);
}

struct members {
	const char *group;
	const char *const *things;
};

static void
member_row(struct buf *b, const void *arg, size_t i)
{
	const struct members *m = arg;

	pg__copy_text(b, m->group);
	buf_putc(b, '\t');
	pg__copy_text(b, m->things[i]);
	buf_putc(b, '\n');
}

int
pg__member_add_many(struct store_tx *tx, const char *group, const char *const *things, size_t n)
{
	struct members m = {group, things};

	return copy_in(pg__conn(tx), "COPY group_members (group_name, thing_name) FROM STDIN",
	    member_row, &m, n);
}
