/*
 * query.c: running one statement of the table (stmt.c) on a connection.
 *
 * A statement is prepared (PQprepare, named "jd<N>") on a connection the
 * first time it runs there, and kept for the life of the connection; a
 * reconnect forgets them. Parameters go as text, a blob as binary; results
 * come back as text and are read with the pg__* column readers. Results are
 * fetched whole before a list's callback runs, so a callback may run other
 * statements on the same transaction.
 *
 * Errors: a unique violation is JD_EEXISTS (the inserts avoid it with ON
 * CONFLICT DO NOTHING, so it means a bulk COPY met a duplicate); a lost
 * connection marks the connection broken (conn.c reconnects it); everything
 * is logged with PostgreSQL's message and returned as JD_EUNAVAIL. A
 * failed statement aborts the transaction: the caller rolls back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/postgres/pg_int.h"
#include "util/log.h"

int
pg__fail(struct conn *c, const char *what, const PGresult *r)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL ? PQresultErrorMessage(r) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(c->db);
	if (PQstatus(c->db) != CONNECTION_OK || (state != NULL && strncmp(state, "08", 2) == 0) ||
	    (state != NULL && strncmp(state, "57P", 3) == 0))
		c->broken = true;
	log_error("store postgres: %s: %s%s(sqlstate %s)", what, msg,
	    msg[0] != '\0' && msg[strlen(msg) - 1] == '\n' ? "" : " ",
	    state != NULL ? state : "none");
	return JD_EUNAVAIL;
}

int
pg__simple(struct conn *c, const char *sql)
{
	PGresult *r = PQexec(c->db, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg__fail(c, sql, r);
	PQclear(r);
	return rc;
}

static int
prepare(struct conn *c, enum stmt id)
{
	char name[16];
	PGresult *r;
	int rc = 0;

	snprintf(name, sizeof(name), "jd%d", (int)id);
	r = PQprepare(c->db, name, pg__stmt_sql(id), 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg__fail(c, pg__stmt_name(id), r);
	else
		c->prepared[id] = true;
	PQclear(r);
	return rc;
}

int
pg__exec(struct conn *c, enum stmt id, PGresult **out, const struct bind *b, int n)
{
	char nums[PG_MAX_PARAMS][24];
	const char *vals[PG_MAX_PARAMS];
	int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS];
	char name[16];
	PGresult *r;
	ExecStatusType st;
	int rc;

	*out = NULL;
	if (n > PG_MAX_PARAMS)
		return JD_EINTERNAL;
	if (!c->prepared[id] && (rc = prepare(c, id)) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		const struct bind *a = &b[i];

		lens[i] = 0;
		fmts[i] = 0;
		switch (a->t) {
		case BIND_TEXT:
			vals[i] = a->s;
			break;
		case BIND_TEXT_OPT:
			vals[i] = a->s != NULL && *a->s != '\0' ? a->s : NULL;
			break;
		case BIND_TEXT_EMPTY:
			vals[i] = a->s != NULL ? a->s : "";
			break;
		case BIND_I64:
			snprintf(nums[i], sizeof(nums[i]), "%" PRId64, a->i);
			vals[i] = nums[i];
			break;
		case BIND_LIMIT:
			if (a->i > 0) {
				snprintf(nums[i], sizeof(nums[i]), "%" PRId64, a->i);
				vals[i] = nums[i];
			} else {
				vals[i] = NULL;
			}
			break;
		case BIND_BLOB:
			vals[i] = a->p;
			lens[i] = a->n;
			fmts[i] = 1;
			break;
		default:
			return JD_EINTERNAL;
		}
	}
	snprintf(name, sizeof(name), "jd%d", (int)id);
	r = PQexecPrepared(c->db, name, n, vals, lens, fmts, 0);
	st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = r;
		return 0;
	}
	{
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (state != NULL && strcmp(state, "23505") == 0) {
			PQclear(r);
			return JD_EEXISTS;
		}
	}
	rc = pg__fail(c, pg__stmt_name(id), r);
	PQclear(r);
	return rc;
}

int
pg__run(struct conn *c, enum stmt id, bool need_row, int64_t *changes, const struct bind *b, int nb)
{
	PGresult *r;
	int64_t n;
	int rc = pg__exec(c, id, &r, b, nb);

	if (rc != 0)
		return rc;
	n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if (changes != NULL)
		*changes = n;
	return need_row && n == 0 ? JD_ENOTFOUND : 0;
}

int
pg__scalar(struct conn *c, enum stmt id, int64_t *out, const struct bind *b, int n)
{
	PGresult *r;
	int rc = pg__exec(c, id, &r, b, n);

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		*out = pg__i64(r, 0, 0);
	PQclear(r);
	return rc;
}

int
pg__each_name(PGresult *r, jd_name_cb cb, void *arg)
{
	int rc = 0;

	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const char *v = pg__val(r, i, 0);

		rc = cb(arg, v != NULL ? v : "");
	}
	PQclear(r);
	return rc;
}
