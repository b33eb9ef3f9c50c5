/*
 * ops_fanout.c: target lookup and chunked fan-out in the PostgreSQL
 * backend (issue 15); the same operations as store/sqlite/ops_fanout.c.
 *
 * thing_resolve sends a job's explicit targets as one text[] parameter and
 * reads, for each name that is not a thing or has an execution of the job,
 * both (the other names, the usual case, come back as no row): one round
 * trip instead of one per target. The fan-out cursor lives
 * in `fanouts` (migration "chunked fan-out"). These statements are sent
 * with PQexecParams (unnamed, parsed per call) and kept in this file, apart
 * from the backend's statement table: they run once per CreateJob or once
 * per fan-out chunk, never on a device path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg_fanout.h"
#include "store/postgres/pg_int.h"
#include "util/buf.h"

#define FO_COLS "job_id, run, mode, groups, source, after, paced_left, pos"

/* names as a PostgreSQL array literal {"a","b"}. */
static void
array_names(struct buf *b, const struct store_target *v, size_t n)
{
	buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_putc(b, '"');
		for (const char *p = v[i].name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(b, '\\');
			buf_putc(b, *p);
		}
		buf_putc(b, '"');
	}
	buf_putc(b, '}');
}

/*
 * A new job's targets (no job_id, at most JD_TARGETS_MAX names): only the
 * names that are not things come back, so 100 targets that exist cost one
 * probe each and no result row. The probe is the LATERAL ... LIMIT 1 of
 * pg__thing_resolve, for the same reason (no hashed plan over things).
 */
static int
thing_missing(struct store_tx *tx, const char *names, struct store_target *v, size_t n)
{
	static const char sql[] =
	    "SELECT u.i - 1 FROM unnest($1::text[]) WITH ORDINALITY AS u(name, i)"
	    " LEFT JOIN LATERAL (SELECT true AS ok FROM things WHERE name = u.name LIMIT 1) t"
	    "  ON true WHERE t.ok IS NULL";
	const char *vals[1] = {names};
	PGresult *r = NULL;
	int rc = pg__params(pg__conn(tx), "thing_missing", sql, 1, vals, &r);

	for (size_t i = 0; rc == 0 && i < n; i++)
		v[i].exists = true;
	for (int k = 0; rc == 0 && k < PQntuples(r); k++) {
		int64_t i = pg__i64(r, k, 0);
		if (i >= 0 && (size_t)i < n)
			v[i].exists = false;
	}
	PQclear(r);
	return rc;
}

int
pg__thing_resolve(struct store_tx *tx, const char *job_id, struct store_target *v, size_t n)
{
	/* One or two index probes per name, as LATERAL subqueries with LIMIT 1
	 * (which the planner can neither pull up into a join nor hash): with an
	 * EXISTS in the select list, PostgreSQL planned a "hashed SubPlan" once
	 * the array held ~1,000 names, a sequential scan of every thing per
	 * call (272 ms per 2,000-name fan-out chunk over 100,000 things,
	 * bench/README.md "Scale"), and worse as the registry grows. The
	 * executions are probed only if the job has one in the names' range
	 * [$3, $4] (one probe, an InitPlan: a fan-out's chunk walks a group in
	 * name order, so the job has none there yet). */
	static const char sql[] =
	    "SELECT u.i - 1, t.ok, e.packed"
	    " FROM unnest($1::text[]) WITH ORDINALITY AS u(name, i)"
	    " LEFT JOIN LATERAL (SELECT true AS ok FROM things WHERE name = u.name LIMIT 1) t"
	    "  ON true"
	    " LEFT JOIN LATERAL (SELECT number * 16 + status AS packed FROM executions"
	    "  WHERE (SELECT EXISTS (SELECT 1 FROM executions WHERE job_id = $2"
	    "   AND thing_name >= $3 AND thing_name <= $4))"
	    "  AND job_id = $2 AND thing_name = u.name ORDER BY number DESC LIMIT 1) e"
	    "  ON true WHERE t.ok IS NULL OR e.packed IS NOT NULL";
	struct buf b = BUF_INIT;
	const char *vals[4], *lo, *hi;
	PGresult *r = NULL;
	int rc;

	for (size_t i = 0; i < n; i++) {
		v[i].exists = false;
		v[i].latest_number = 0;
		v[i].latest_status = -1;
	}
	if (n == 0)
		return 0;
	/* the range in byte order, as the names' COLLATE "C" */
	lo = hi = v[0].name;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i].name, lo) < 0)
			lo = v[i].name;
		if (strcmp(v[i].name, hi) > 0)
			hi = v[i].name;
	}
	array_names(&b, v, n);
	vals[0] = buf_cstr(&b);
	if (job_id == NULL) {
		rc = thing_missing(tx, vals[0], v, n);
		buf_free(&b);
		return rc;
	}
	vals[1] = job_id;
	vals[2] = lo;
	vals[3] = hi;
	rc = pg__params(pg__conn(tx), "thing_resolve", sql, 4, vals, &r);
	/* a row for each name that is not a thing or has an execution */
	for (size_t i = 0; rc == 0 && i < n; i++)
		v[i].exists = true;
	for (int k = 0; rc == 0 && k < PQntuples(r); k++) {
		int64_t i = pg__i64(r, k, 0);
		const char *ex = pg__val(r, k, 1);
		if (i < 0 || (size_t)i >= n)
			continue;
		v[i].exists = ex != NULL && ex[0] == 't';
		if (pg__val(r, k, 2) != NULL) {
			int64_t packed = pg__i64(r, k, 2);
			v[i].latest_number = packed / 16;
			v[i].latest_status = (int)(packed % 16);
		}
	}
	PQclear(r);
	buf_free(&b);
	return rc;
}

int
pg__member_walk(struct store_tx *tx, const char *group, const char *after, int limit, jd_name_cb cb,
    void *arg)
{
	static const char sql[] = "SELECT thing_name FROM group_members WHERE group_name = $1"
	                          " AND thing_name > $2 ORDER BY thing_name LIMIT $3";
	char lim[24];
	const char *vals[3] = {group, after != NULL ? after : "", NULL};
	PGresult *r = NULL;
	int rc;

	if (limit > 0) {
		snprintf(lim, sizeof(lim), "%d", limit);
		vals[2] = lim;
	}
	if ((rc = pg__params(pg__conn(tx), "member_walk", sql, 3, vals, &r)) != 0)
		return rc;
	return pg__each_name(r, cb, arg);
}

int
pg__fanout_insert(struct store_tx *tx, struct store_fanout *f)
{
	static const char sql[] =
	    "INSERT INTO fanouts (" FO_COLS ") SELECT $1,"
	    " coalesce((SELECT max(run) FROM fanouts WHERE job_id = $1), 0) + 1,"
	    " $2, $3, $4, $5, $6, $7 RETURNING run";
	char mode[24], source[24], paced[24], pos[24];
	const char *vals[7] = {f->job_id, mode, f->groups, source, f->after, paced, pos};
	PGresult *r = NULL;
	int rc;

	snprintf(mode, sizeof(mode), "%d", f->mode);
	snprintf(source, sizeof(source), "%" PRId64, f->source);
	snprintf(paced, sizeof(paced), "%" PRId64, f->paced_left);
	snprintf(pos, sizeof(pos), "%" PRId64, f->pos);
	if ((rc = pg__params(pg__conn(tx), "fanout_insert", sql, 7, vals, &r)) != 0)
		return rc;
	if (PQntuples(r) == 1)
		f->run = pg__i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int
pg__fanout_update(struct store_tx *tx, const struct store_fanout *f)
{
	static const char sql[] = "UPDATE fanouts SET source = $3, after = $4, paced_left = $5,"
	                          " pos = $6 WHERE job_id = $1 AND run = $2";
	char run[24], source[24], paced[24], pos[24];
	const char *vals[6] = {f->job_id, run, source, f->after, paced, pos};
	PGresult *r = NULL;
	int rc;

	snprintf(run, sizeof(run), "%" PRId64, f->run);
	snprintf(source, sizeof(source), "%" PRId64, f->source);
	snprintf(paced, sizeof(paced), "%" PRId64, f->paced_left);
	snprintf(pos, sizeof(pos), "%" PRId64, f->pos);
	if ((rc = pg__params(pg__conn(tx), "fanout_update", sql, 6, vals, &r)) != 0)
		return rc;
	rc = strtoll(PQcmdTuples(r), NULL, 10) == 0 ? JD_ENOTFOUND : 0;
	PQclear(r);
	return rc;
}

int
pg__fanout_delete(struct store_tx *tx, const char *job_id, int64_t run)
{
	static const char sql[] = "DELETE FROM fanouts WHERE job_id = $1 AND ($2 = 0 OR run = $2)";
	char r_s[24];
	const char *vals[2] = {job_id, r_s};
	PGresult *r = NULL;
	int rc;

	snprintf(r_s, sizeof(r_s), "%" PRId64, run);
	if ((rc = pg__params(pg__conn(tx), "fanout_delete", sql, 2, vals, &r)) == 0)
		PQclear(r);
	return rc;
}

int
pg__fanout_list(struct store_tx *tx, const char *job_id, int limit, store_fanout_cb cb, void *arg)
{
	static const char sql[] = "SELECT " FO_COLS " FROM fanouts"
	                          " WHERE ($1::text IS NULL OR job_id = $1)"
	                          " ORDER BY job_id, run LIMIT $2";
	char lim[24];
	const char *vals[2] = {job_id, NULL};
	PGresult *r = NULL;
	int rc;

	if (limit > 0) {
		snprintf(lim, sizeof(lim), "%d", limit);
		vals[1] = lim;
	}
	if ((rc = pg__params(pg__conn(tx), "fanout_list", sql, 2, vals, &r)) != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct store_fanout f;
		memset(&f, 0, sizeof(f));
		pg__cpy(r, i, 0, f.job_id, sizeof(f.job_id));
		f.run = pg__i64(r, i, 1);
		f.mode = (int)pg__i64(r, i, 2);
		f.groups = pg__dup(r, i, 3);
		f.source = pg__i64(r, i, 4);
		pg__cpy(r, i, 5, f.after, sizeof(f.after));
		f.paced_left = pg__i64(r, i, 6);
		f.pos = pg__i64(r, i, 7);
		rc = cb(arg, &f);
		free(f.groups);
	}
	PQclear(r);
	return rc;
}
