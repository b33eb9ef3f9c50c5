/*
 * ops_timeline.c: a job's timeline, its pause row and the rollout queue's
 * length (store.h, issue 14) in the SQLite backend.
 *
 * Tables job_timeline and job_pause (schema.c); a trigger on jobs deletes a
 * job's rows with it, so the reaper of DeleteJob and the test rig's wipe
 * need nothing of these operations. The statements are prepared per call:
 * they run on operators' calls, never per execution; but adding an event
 * runs on every CreateJob (two events), so those two are in the statement
 * table, prepared once (preparing them cost ~150,000 instructions a job).
 */
#include <string.h>

#include "store/sqlite/sqlite_int.h"

/* Run a statement that returns no row; *changes = rows changed (may be NULL). */
static int
exec(struct conn *c, const char *what, const char *sql, const char *const *t, int nt,
    const int64_t *i, int ni, int *changes)
{
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, what, sql, t, nt, i, ni, &st);

	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, what, st)) < 0)
		return rc;
	sqlite3_finalize(st);
	if (changes != NULL)
		*changes = sqlite3_changes(c->db);
	return 0;
}

int
sq__timeline_add(struct store_tx *tx, const char *job_id, int64_t at_ms, const char *event,
    const char *detail, int keep)
{
	struct conn *c = sq__conn(tx);
	int rc = sq__run(c, ST_TIMELINE_ADD, false, NULL,
	    BINDS(B_TEXT(job_id), B_TEXT(event), B_TEXT(detail), B_I64(at_ms)));

	if (rc != 0)
		return rc;
	return sq__run(c, ST_TIMELINE_TRIM, false, NULL, BINDS(B_TEXT(job_id), B_I64(keep)));
}

int
sq__timeline_list(struct store_tx *tx, const char *job_id, store_timeline_cb cb, void *arg)
{
	struct conn *c = sq__conn(tx);
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, "timeline list",
	    "SELECT seq, at_ms, event, detail FROM job_timeline WHERE job_id = ?1"
	    " ORDER BY at_ms, seq",
	    (const char *const[]){job_id}, 1, NULL, 0, &st);

	if (rc != 0)
		return rc;
	while ((rc = sq__adhoc_step(c, "timeline list", st)) == 1) {
		struct store_timeline_event ev = {
		    .seq = sqlite3_column_int64(st, 0),
		    .at_ms = sqlite3_column_int64(st, 1),
		    .event = (const char *)sqlite3_column_text(st, 2),
		    .detail = (const char *)sqlite3_column_text(st, 3),
		};
		if (ev.event == NULL)
			ev.event = "";
		if (ev.detail == NULL)
			ev.detail = "";
		if ((rc = cb(arg, &ev)) != 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (rc == 0)
		sqlite3_finalize(st);
	return rc;
}

int
sq__pause_get(struct store_tx *tx, const char *job_id, int64_t *paused_ms)
{
	struct conn *c = sq__conn(tx);
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, "pause get", "SELECT paused_ms FROM job_pause WHERE job_id = ?1",
	    (const char *const[]){job_id}, 1, NULL, 0, &st);

	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, "pause get", st)) < 0)
		return rc;
	if (rc == 1)
		*paused_ms = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == 1 ? 0 : JD_ENOTFOUND;
}

int
sq__pause_put(struct store_tx *tx, const char *job_id, int64_t paused_ms)
{
	int n = 0;
	int rc = exec(sq__conn(tx), "pause put",
	    "INSERT INTO job_pause (job_id, paused_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
	    (const char *const[]){job_id}, 1, (const int64_t[]){paused_ms}, 1, &n);

	return rc != 0 ? rc : n == 1 ? 0 : JD_EEXISTS;
}

int
sq__pause_delete(struct store_tx *tx, const char *job_id)
{
	int n = 0;
	int rc = exec(sq__conn(tx), "pause delete", "DELETE FROM job_pause WHERE job_id = ?1",
	    (const char *const[]){job_id}, 1, NULL, 0, &n);

	return rc != 0 ? rc : n == 1 ? 0 : JD_ENOTFOUND;
}

int
sq__pause_list(struct store_tx *tx, jd_name_cb cb, void *arg)
{
	struct conn *c = sq__conn(tx);
	sqlite3_stmt *st;
	int rc =
	    sq__adhoc_prep(c, "pause list", "SELECT job_id FROM job_pause", NULL, 0, NULL, 0, &st);

	if (rc != 0)
		return rc;
	while ((rc = sq__adhoc_step(c, "pause list", st)) == 1) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if ((rc = cb(arg, id != NULL ? id : "")) != 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (rc == 0)
		sqlite3_finalize(st);
	return rc;
}

int
sq__rollout_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	struct conn *c = sq__conn(tx);
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, "rollout count",
	    "SELECT COUNT(*) FROM rollout_queue WHERE job_id = ?1", (const char *const[]){job_id},
	    1, NULL, 0, &st);

	*n = 0;
	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, "rollout count", st)) < 0)
		return rc;
	if (rc == 1)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}
