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
#include <assert.h>
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

void
pg__stmt_label(char name[16], int id)
{
	char d[12];
	int n = 0;

	do
		d[n++] = (char)('0' + id % 10);
	while ((id /= 10) > 0);
	name[0] = 'j';
	name[1] = 'd';
	for (int i = 0; i < n; i++)
		name[2 + i] = d[n - 1 - i];
	name[2 + n] = '\0';
}

/* What failed, for the log: the k-th command of a pipeline. */
static const char *
what_failed(const struct conn *c, int k, int np, bool prep, int id, const char *tail)
{
	if (k < np)
		return c->prefix[k];
	k -= np;
	if (prep && k-- == 0)
		return "prepare";
	if (id >= 0 && k-- == 0)
		return pg__stmt_name((enum stmt)id);
	return tail != NULL ? tail : "pipeline";
}

/*
 * One pipeline on c (pg_int.h, "Round trips"): its prefix, then statement id
 * (id >= 0; prepared there first if it is not yet), then `tail` (may be
 * NULL), then a sync; every result is read. *out (may be NULL) gets the
 * statement's result, or tail's when there is no statement. The prefix is
 * forgotten once it has been sent (c->in_tx). A unique violation of the
 * statement is JD_EEXISTS; anything else that fails is logged and
 * JD_EUNAVAIL.
 */
static int
pipeline(struct conn *c, int id, int n, const char *const *vals, const int *lens, const int *fmts,
    const char *tail, PGresult **out)
{
	const int np = c->nprefix;
	const bool prep = id >= 0 && !c->prepared[id];
	const int want = id >= 0 ? np + (prep ? 1 : 0) : (tail != NULL ? np : -1);
	char name[16];
	int rc = 0, k = 0, nulls = 0, ncond = 0;

	if (out != NULL)
		*out = NULL;
	c->memo.kind = PG_MEMO_NONE; /* the server is about to change */
	if (id < 0 || !pg__stmt_reads((enum stmt)id))
		c->head.valid = false; /* it may change the head */
	if (c->db == NULL)
		return JD_EUNAVAIL;
	if (id >= 0)
		pg__stmt_label(name, id);
	if (PQpipelineStatus(c->db) == PQ_PIPELINE_OFF && PQenterPipelineMode(c->db) != 1)
		goto lost;
	for (int i = 0, q = 0; i < np; i++)
		if ((c->prefix[i] == pg__defer_mark       ? pg__defer_send(c) :
		            c->prefix[i] == pg__cond_mark ? pg__cond_send(c, q++) :
		                                            PQsendQueryParams(c->db, c->prefix[i],
		                                                0, NULL, NULL, NULL, NULL, 0)) != 1)
			goto lost;
	if (prep && PQsendPrepare(c->db, name, pg__stmt_sql((enum stmt)id), 0, NULL) != 1)
		goto lost;
	if (id >= 0 && PQsendQueryPrepared(c->db, name, n, vals, lens, fmts, 0) != 1)
		goto lost;
	if (tail != NULL && PQsendQueryParams(c->db, tail, 0, NULL, NULL, NULL, NULL, 0) != 1)
		goto lost;
	if (PQpipelineSync(c->db) != 1)
		goto lost;
	/* whatever happens now, the prefix has reached the server */
	c->in_tx = c->in_tx || np > 0;
	c->nprefix = 0;
	c->sent = true;
	for (;;) {
		PGresult *r = PQgetResult(c->db);
		ExecStatusType st;

		if (r == NULL) {
			/* one NULL ends each command's results; more means nothing
			 * will come */
			if (PQstatus(c->db) != CONNECTION_OK || ++nulls > np + 4)
				goto lost;
			continue;
		}
		nulls = 0;
		st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (st == PGRES_PIPELINE_ABORTED) {
			/* a command after a failed one: skipped */
		} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			if (rc == 0 && k == np + (prep ? 1 : 0) && id >= 0 && state != NULL &&
			    strcmp(state, "23505") == 0)
				rc = JD_EEXISTS;
			else if (rc == 0)
				rc = pg__fail(c, what_failed(c, k, np, prep, id, tail), r);
		} else if (k < np && c->prefix[k] == pg__cond_mark) {
			pg__cond_answer(c, ncond++, r); /* group.c, "Conditional writes" */
		} else if (prep && k == np) {
			c->prepared[id] = true;
		} else if (out != NULL && k == want) {
			*out = r;
			r = NULL;
		}
		PQclear(r);
		k++;
	}
	if (PQexitPipelineMode(c->db) != 1)
		c->broken = true;
	c->ncond = 0; /* every queued conditional write was in the prefix */
	if (rc != 0 && out != NULL && *out != NULL) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
lost:
	rc = pg__fail(c, "pipeline", NULL);
	c->broken = true;
	c->nprefix = 0;
	if (out != NULL && *out != NULL) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
}

void
pg__prefix(struct conn *c, const char *sql)
{
	if (c->nprefix < PG_PREFIX_MAX)
		c->prefix[c->nprefix++] = sql;
}

int
pg__drain(struct conn *c)
{
	int nulls = 0;

	while (c->pending > 0 && c->db != NULL) {
		PGresult *r = PQgetResult(c->db);

		if (r == NULL) {
			if (PQstatus(c->db) != CONNECTION_OK || ++nulls > 8)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
			c->pending--;
		else if (PQresultStatus(r) == PGRES_FATAL_ERROR)
			pg__fail(c, "end of a read transaction", r);
		PQclear(r);
	}
	if (c->pending > 0 || c->db == NULL || PQexitPipelineMode(c->db) != 1) {
		c->pending = 0;
		c->broken = true;
		return JD_EUNAVAIL;
	}
	return 0;
}

int
pg__ready(struct conn *c)
{
	int rc = 0;

	c->memo.kind = PG_MEMO_NONE; /* a direct libpq call follows */
	c->head.valid = false;
	if (c->batch != NULL) {
		/* a one-operation read has no connection of its own to call */
		log_error("store postgres: a one-operation read made a direct libpq call");
		return JD_EINTERNAL;
	}
	if (c->pending > 0 && (rc = pg__drain(c)) != 0)
		return rc;
	if (c->sp_lazy)
		pg__group_savepoint(c); /* a direct call may write */
	if (c->nprefix > 0)
		rc = pipeline(c, -1, 0, NULL, NULL, NULL, NULL, NULL);
	return rc;
}

int
pg__params(struct conn *c, const char *what, const char *sql, int n, const char *const *vals,
    PGresult **out)
{
	PGresult *r;
	ExecStatusType st;
	int rc;

	*out = NULL;
	if ((rc = pg__ready(c)) != 0)
		return rc;
	r = PQexecParams(c->db, sql, n, NULL, vals, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = r;
		return 0;
	}
	rc = pg__fail(c, what, r);
	PQclear(r);
	return rc;
}

int
pg__finish(struct conn *c, const char *sql, PGresult **out)
{
	int rc;

	if (c->pending > 0 && (rc = pg__drain(c)) != 0)
		return rc;
	return pipeline(c, -1, 0, NULL, NULL, NULL, sql, out);
}

void
pg__finish_async(struct conn *c, const char *sql)
{
	c->nprefix = 0;
	if (!c->in_tx || c->db == NULL)
		return;
	c->in_tx = false;
	if ((PQpipelineStatus(c->db) == PQ_PIPELINE_OFF && PQenterPipelineMode(c->db) != 1) ||
	    PQsendQueryParams(c->db, sql, 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQpipelineSync(c->db) != 1) {
		c->broken = true;
		return;
	}
	c->pending++;
}

int
pg__simple(struct conn *c, const char *sql)
{
	PGresult *r;
	ExecStatusType st;
	int rc;

	if ((rc = pg__ready(c)) != 0)
		return rc;
	r = PQexec(c->db, sql);
	st = PQresultStatus(r);
	rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg__fail(c, sql, r);
	PQclear(r);
	return rc;
}

/* Write v in decimal into d (24 bytes). */
static const char *
i64_text(char d[24], int64_t v)
{
	char *p = d + 23;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	return p;
}

int
pg__exec(struct conn *c, enum stmt id, PGresult **out, const struct bind *b, int n)
{
	char nums[PG_MAX_PARAMS][24];
	const char *vals[PG_MAX_PARAMS];
	int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS];
	/* nothing of this transaction has reached the server yet */
	const bool first = !c->in_tx && (c->nprefix > 0 || (c->one && c->nstmt == 0));
	int rc;

	*out = NULL;
	if (n > PG_MAX_PARAMS)
		return JD_EINTERNAL;
	if (c->one && c->nstmt++ == 1)
		log_error("store postgres: a one-operation read ran a second statement (%s):"
		          " it reads a snapshot of its own",
		    pg__stmt_name(id));
	assert(!c->one || c->nstmt <= 1);
	if (c->batch != NULL && pg__batch_bypass(id))
		return pg__one_on_reader(c, id, out, b, n);
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
			vals[i] = i64_text(nums[i], a->i);
			break;
		case BIND_LIMIT:
			vals[i] = a->i > 0 ? i64_text(nums[i], a->i) : NULL;
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
	if (c->batch != NULL)
		return pg__batch_exec(c, id, n, vals, lens, fmts, out);
	if (c->sp_lazy && (!pg__stmt_reads(id) || pg__own_queued(c)))
		pg__group_savepoint(c); /* group.c, "Lazy savepoints" */
	if (c->pending > 0 && pg__drain(c) != 0 && !first)
		return JD_EUNAVAIL;
	for (int attempt = 0;; attempt++) {
		const char *prefix[PG_PREFIX_MAX];
		int np = c->nprefix;

		if (c->broken && first) {
			/* nothing of this transaction has run yet: a connection the
			 * server dropped while idle is replaced, and the transaction
			 * starts afresh on the new one */
			if (pg__reconnect(c) != 0)
				return JD_EUNAVAIL;
		}
		memcpy(prefix, c->prefix, sizeof(prefix));
		rc = pipeline(c, (int)id, n, vals, lens, fmts, NULL, out);
		if (rc == 0 || rc == JD_EEXISTS || !c->broken || !first || attempt > 0)
			return rc;
		/* the server had gone: once more, on a new connection */
		memcpy(c->prefix, prefix, sizeof(prefix));
		c->nprefix = np;
		c->in_tx = false;
	}
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
