/*
 * ops_timeline.c: a job's timeline, its pause row and the rollout queue's
 * length (store.h, issue 14) in the PostgreSQL backend.
 *
 * Tables job_timeline and job_pause (schema.c); a trigger on jobs deletes a
 * job's rows with it. The statements run unprepared (PQexecParams): they
 * run on a job's transitions and operators' calls, never per execution.
 * Every write runs under the writer lock (conn.c), so the per-job seq
 * computed as MAX + 1 cannot be taken twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/postgres/pg_int.h"

/* Run sql with n text parameters; 0 with *out (the caller clears it) or JD_EUNAVAIL. */
static int
run(struct conn *c, const char *what, const char *sql, int n, const char *const *vals,
    PGresult **out)
{
	PGresult *r = PQexecParams(c->db, sql, n, NULL, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	int rc;

	*out = NULL;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = r;
		return 0;
	}
	rc = pg__fail(c, what, r);
	PQclear(r);
	return rc;
}

/* Rows changed by a command result. */
static int64_t
changed(PGresult *r)
{
	const char *t = PQcmdTuples(r);

	return t != NULL && *t != '\0' ? strtoll(t, NULL, 10) : 0;
}

int
pg__timeline_add(struct store_tx *tx, const char *job_id, int64_t at_ms, const char *event,
    const char *detail, int keep)
{
	struct conn *c = pg__conn(tx);
	char at[24], kp[24];
	const char *v[5] = {job_id, at, event, detail, kp};
	PGresult *r;
	int rc;

	snprintf(at, sizeof(at), "%" PRId64, at_ms);
	snprintf(kp, sizeof(kp), "%d", keep);
	rc = run(c, "timeline add",
	    "INSERT INTO job_timeline (job_id, seq, at_ms, event, detail)"
	    " SELECT $1, COALESCE(MAX(seq), 0) + 1, $2::bigint, $3, $4 FROM job_timeline"
	    " WHERE job_id = $1",
	    4, v, &r);
	PQclear(r);
	if (rc != 0)
		return rc;
	v[1] = kp;
	rc = run(c, "timeline trim",
	    "DELETE FROM job_timeline WHERE job_id = $1 AND seq <="
	    " (SELECT MAX(seq) FROM job_timeline WHERE job_id = $1) - $2::bigint",
	    2, v, &r);
	PQclear(r);
	return rc;
}

int
pg__timeline_list(struct store_tx *tx, const char *job_id, store_timeline_cb cb, void *arg)
{
	const char *v[1] = {job_id};
	PGresult *r;
	int rc = run(pg__conn(tx), "timeline list",
	    "SELECT seq, at_ms, event, detail FROM job_timeline WHERE job_id = $1"
	    " ORDER BY at_ms, seq",
	    1, v, &r);

	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		const char *ev = pg__val(r, i, 2), *detail = pg__val(r, i, 3);
		struct store_timeline_event e = {
		    .seq = pg__i64(r, i, 0),
		    .at_ms = pg__i64(r, i, 1),
		    .event = ev != NULL ? ev : "",
		    .detail = detail != NULL ? detail : "",
		};
		rc = cb(arg, &e);
	}
	PQclear(r);
	return rc;
}

int
pg__pause_get(struct store_tx *tx, const char *job_id, int64_t *paused_ms)
{
	const char *v[1] = {job_id};
	PGresult *r;
	int rc = run(pg__conn(tx), "pause get", "SELECT paused_ms FROM job_pause WHERE job_id = $1",
	    1, v, &r);

	if (rc != 0)
		return rc;
	if (PQntuples(r) == 1)
		*paused_ms = pg__i64(r, 0, 0);
	else
		rc = JD_ENOTFOUND;
	PQclear(r);
	return rc;
}

int
pg__pause_put(struct store_tx *tx, const char *job_id, int64_t paused_ms)
{
	char ms[24];
	const char *v[2] = {job_id, ms};
	PGresult *r;
	int rc;

	snprintf(ms, sizeof(ms), "%" PRId64, paused_ms);
	rc = run(pg__conn(tx), "pause put",
	    "INSERT INTO job_pause (job_id, paused_ms) VALUES ($1, $2::bigint)"
	    " ON CONFLICT DO NOTHING",
	    2, v, &r);
	if (rc == 0 && changed(r) != 1)
		rc = JD_EEXISTS;
	PQclear(r);
	return rc;
}

int
pg__pause_delete(struct store_tx *tx, const char *job_id)
{
	const char *v[1] = {job_id};
	PGresult *r;
	int rc =
	    run(pg__conn(tx), "pause delete", "DELETE FROM job_pause WHERE job_id = $1", 1, v, &r);

	if (rc == 0 && changed(r) != 1)
		rc = JD_ENOTFOUND;
	PQclear(r);
	return rc;
}

int
pg__pause_list(struct store_tx *tx, jd_name_cb cb, void *arg)
{
	PGresult *r;
	int rc = run(pg__conn(tx), "pause list", "SELECT job_id FROM job_pause", 0, NULL, &r);

	if (rc != 0)
		return rc;
	return pg__each_name(r, cb, arg);
}

int
pg__rollout_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	const char *v[1] = {job_id};
	PGresult *r;
	int rc = run(pg__conn(tx), "rollout count",
	    "SELECT COUNT(*) FROM rollout_queue WHERE job_id = $1", 1, v, &r);

	*n = 0;
	if (rc != 0)
		return rc;
	if (PQntuples(r) == 1)
		*n = pg__i64(r, 0, 0);
	PQclear(r);
	return 0;
}
