/*
 * schema.c: the schema of the SQLite backend, as numbered migrations.
 *
 * Migration N (1-based) is migrations[N - 1]; the versions applied are
 * recorded in schema_version. Opening a file applies only the missing ones,
 * in one transaction on the writer, so a crash mid-way leaves the old
 * version. Append only: never edit a migration that has shipped (a database
 * that applied it would not see the change).
 */
#include <string.h>
#include <time.h>

#include "store/sqlite/sqlite_int.h"
#include "util/log.h"

/*
 * The body of the count trigger on insert (a new row is the latest unless a
 * higher number exists; it demotes the previous one): migration 3 creates
 * it, migration 4 re-creates it with a WHEN clause. Shared so the two stay
 * the same statements.
 */
#define EXEC_COUNT_INSERT_BODY                                                                        \
	"  UPDATE job_exec_counts SET latest = latest - 1"                                            \
	"   WHERE job_id = NEW.job_id AND status = (SELECT status FROM executions"                    \
	"     WHERE job_id = NEW.job_id AND thing_name = NEW.thing_name AND number < NEW.number"      \
	"     ORDER BY number DESC LIMIT 1)"                                                          \
	"   AND NOT EXISTS (SELECT 1 FROM executions WHERE job_id = NEW.job_id"                       \
	"     AND thing_name = NEW.thing_name AND number > NEW.number);"                              \
	"  INSERT INTO job_exec_counts (job_id, status, latest, total)"                               \
	"   VALUES (NEW.job_id, NEW.status, NOT EXISTS (SELECT 1 FROM executions"                     \
	"     WHERE job_id = NEW.job_id AND thing_name = NEW.thing_name AND number > NEW.number), 1)" \
	"   ON CONFLICT (job_id, status) DO UPDATE"                                                   \
	"   SET latest = latest + excluded.latest, total = total + 1;"                                \
	"END;"

/*
 * A migration that drops a column opens with DROPS_COLUMN(table, column):
 * ALTER TABLE ... DROP COLUMN has no IF EXISTS, so the migration runs only
 * while the table still has the column, and running it again (tests rewind
 * schema_version) does nothing, as IF NOT EXISTS makes the others do.
 */
#define DROPS_PREFIX "-- drops "
#define DROPS_COLUMN(table, column) DROPS_PREFIX table "." column "\n"
/* ADDS_COLUMN(table, column): the converse (ADD COLUMN has no IF NOT
 * EXISTS): the migration runs only while the table lacks the column. */
#define ADDS_PREFIX "-- adds "
#define ADDS_COLUMN(table, column) ADDS_PREFIX table "." column "\n"

static const char *const migrations[] = {
    /* 1: initial schema */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE counters ("
    "  name TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE things ("
    "  name TEXT PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  type_name TEXT,"
    "  attributes TEXT,"
    "  version INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX things_type ON things(type_name, name);"
    "CREATE TABLE thing_groups ("
    "  name TEXT PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  parent TEXT,"
    "  description TEXT,"
    "  attributes TEXT,"
    "  version INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX thing_groups_parent ON thing_groups(parent, name);"
    "CREATE TABLE group_members ("
    "  group_name TEXT NOT NULL,"
    "  thing_name TEXT NOT NULL,"
    "  PRIMARY KEY (group_name, thing_name)"
    ") WITHOUT ROWID;"
    "CREATE INDEX group_members_thing ON group_members(thing_name, group_name);"
    "CREATE TABLE jobs ("
    "  job_id TEXT PRIMARY KEY,"
    "  seq INTEGER NOT NULL UNIQUE,"
    "  status INTEGER NOT NULL,"
    "  selection INTEGER NOT NULL,"
    "  namespace_id TEXT,"
    "  document TEXT,"
    "  document_source TEXT,"
    "  description TEXT,"
    "  targets TEXT,"
    "  config TEXT,"
    "  template_arn TEXT,"
    "  force_canceled INTEGER NOT NULL,"
    "  reason_code TEXT,"
    "  comment TEXT,"
    "  inprogress_timeout_min INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  completed_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX jobs_status ON jobs(status, seq);"
    "CREATE TABLE job_group_targets ("
    "  job_id TEXT NOT NULL,"
    "  group_name TEXT NOT NULL,"
    "  PRIMARY KEY (job_id, group_name)"
    ") WITHOUT ROWID;"
    "CREATE INDEX job_group_targets_group ON job_group_targets(group_name, job_id);"
    "CREATE TABLE executions ("
    "  job_id TEXT NOT NULL,"
    "  thing_name TEXT NOT NULL,"
    "  number INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  force_canceled INTEGER NOT NULL,"
    "  namespace_id TEXT,"
    "  details TEXT,"
    "  queued_ms INTEGER NOT NULL,"
    "  started_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  retry_attempt INTEGER NOT NULL,"
    "  inprogress_deadline INTEGER NOT NULL,"
    "  step_deadline INTEGER NOT NULL,"
    /* the effective deadline: the earlier non-zero one, 0 = none */
    "  deadline INTEGER GENERATED ALWAYS AS ("
    "    CASE WHEN inprogress_deadline = 0 THEN step_deadline"
    "         WHEN step_deadline = 0 THEN inprogress_deadline"
    "         ELSE min(inprogress_deadline, step_deadline) END) VIRTUAL,"
    "  PRIMARY KEY (job_id, thing_name, number)"
    ") WITHOUT ROWID;"
    "CREATE UNIQUE INDEX executions_thing_seq ON executions(thing_name, seq);"
    "CREATE INDEX executions_pending"
    "  ON executions(thing_name, namespace_id, status, queued_ms, seq);"
    "CREATE INDEX executions_job_status ON executions(job_id, status);"
    "CREATE INDEX executions_due ON executions(status, deadline);"
    "CREATE TABLE job_templates ("
    "  id TEXT PRIMARY KEY,"
    "  description TEXT,"
    "  document TEXT,"
    "  document_source TEXT,"
    "  config TEXT,"
    "  created_ms INTEGER NOT NULL"
    ");",
    /* 2: paced rollouts (jobExecutionsRolloutConfig) */
    "ALTER TABLE jobs ADD COLUMN rollout_next_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN rollout_notified INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX jobs_rollout ON jobs(rollout_next_ms) WHERE rollout_next_ms > 0;"
    "CREATE TABLE rollout_queue ("
    "  job_id TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  thing_name TEXT NOT NULL,"
    "  PRIMARY KEY (job_id, pos)"
    ") WITHOUT ROWID;",
    /*
	 * 3: execution counts kept by triggers, so DescribeJob and the job
	 * completion checks read a few rows instead of scanning executions.
	 * Per (job, status): `latest` = things whose latest execution (highest
	 * number) has the status, `total` = executions with the status. A row
	 * whose total reaches 0 is deleted. Execution keys never change (the
	 * last trigger enforces it), so only inserts, status updates and
	 * deletes move counts; each trigger runs per row, after the change, so
	 * a multi-row DELETE keeps the counts right row by row.
	 */
    "CREATE TABLE job_exec_counts ("
    "  job_id TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  latest INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  PRIMARY KEY (job_id, status)"
    ") WITHOUT ROWID;"
    "INSERT INTO job_exec_counts (job_id, status, latest, total)"
    "  SELECT job_id, status, sum(is_latest), count(*) FROM"
    "  (SELECT job_id, status,"
    "     number = max(number) OVER (PARTITION BY job_id, thing_name) AS is_latest"
    "   FROM executions)"
    "  GROUP BY job_id, status;"
    /* a new row is the latest unless a higher number exists; it demotes the previous one */
    "CREATE TRIGGER executions_count_insert AFTER INSERT ON executions BEGIN" EXEC_COUNT_INSERT_BODY
    "CREATE TRIGGER executions_count_update AFTER UPDATE OF status ON executions"
    "  WHEN OLD.status IS NOT NEW.status BEGIN"
    "  UPDATE job_exec_counts SET total = total - 1, latest = latest - (NOT EXISTS"
    "   (SELECT 1 FROM executions WHERE job_id = NEW.job_id"
    "     AND thing_name = NEW.thing_name AND number > NEW.number))"
    "   WHERE job_id = OLD.job_id AND status = OLD.status;"
    "  INSERT INTO job_exec_counts (job_id, status, latest, total)"
    "   VALUES (NEW.job_id, NEW.status, NOT EXISTS (SELECT 1 FROM executions"
    "     WHERE job_id = NEW.job_id AND thing_name = NEW.thing_name AND number > NEW.number), 1)"
    "   ON CONFLICT (job_id, status) DO UPDATE"
    "   SET latest = latest + excluded.latest, total = total + 1;"
    "  DELETE FROM job_exec_counts WHERE job_id = OLD.job_id AND status = OLD.status"
    "   AND total = 0;"
    "END;"
    /* deleting the latest promotes the next-highest number of the thing */
    "CREATE TRIGGER executions_count_delete AFTER DELETE ON executions BEGIN"
    "  UPDATE job_exec_counts SET total = total - 1, latest = latest - (NOT EXISTS"
    "   (SELECT 1 FROM executions WHERE job_id = OLD.job_id"
    "     AND thing_name = OLD.thing_name AND number > OLD.number))"
    "   WHERE job_id = OLD.job_id AND status = OLD.status;"
    "  UPDATE job_exec_counts SET latest = latest + 1"
    "   WHERE job_id = OLD.job_id AND status = (SELECT status FROM executions"
    "     WHERE job_id = OLD.job_id AND thing_name = OLD.thing_name AND number < OLD.number"
    "     ORDER BY number DESC LIMIT 1)"
    "   AND NOT EXISTS (SELECT 1 FROM executions WHERE job_id = OLD.job_id"
    "     AND thing_name = OLD.thing_name AND number > OLD.number);"
    "  DELETE FROM job_exec_counts WHERE job_id = OLD.job_id AND status = OLD.status"
    "   AND total = 0;"
    "END;"
    "CREATE TRIGGER executions_keys_fixed BEFORE UPDATE OF job_id, thing_name, number"
    "  ON executions BEGIN"
    "  SELECT RAISE(ABORT, 'execution keys are immutable');"
    "END;",
    /* 4: bulk inserts of first executions (fan-out) skip the per-row count
	 * trigger while bulk_insert.active is set, and add their counts once
	 * (sq__exec_insert_first); the flag is set and cleared inside the same
	 * transaction, so it is never seen set outside one */
    "CREATE TABLE bulk_insert (active INTEGER NOT NULL);"
    "INSERT INTO bulk_insert (active) VALUES (0);"
    "DROP TRIGGER executions_count_insert;"
    "CREATE TRIGGER executions_count_insert AFTER INSERT ON executions"
    "  WHEN (SELECT active FROM bulk_insert) = 0 BEGIN" EXEC_COUNT_INSERT_BODY,
    /* 5: partial indexes. Only pending executions are looked up by these
	 * three, so the others need no entries: a write that ends an execution,
	 * or deletes an ended one, or queues one without a deadline, touches
	 * two or three fewer index entries (fewer pages to write at commit) */
    "DROP INDEX executions_pending;"
    "CREATE INDEX executions_pending"
    "  ON executions(thing_name, namespace_id, status, queued_ms, seq)"
    " WHERE status IN " SQL_EXEC_PENDING ";"
    "DROP INDEX executions_job_status;"
    "CREATE INDEX executions_job_status ON executions(job_id, status)"
    " WHERE status IN " SQL_EXEC_PENDING ";"
    "DROP INDEX executions_due;"
    "CREATE INDEX executions_due ON executions(deadline, seq)"
    " WHERE status = " SQL_EXEC_IN_PROGRESS " AND deadline > 0;",
    /* 6: a status change moves the counts in sq__exec_update, the only
	 * statement that changes a status: the trigger cost every update a
	 * sub-program frame (~8 us), even when its WHEN clause was false */
    "DROP TRIGGER executions_count_update;",
    /* 7: the job's configuration, typed (core_policy_pack bytes), so the
	 * engine never parses the JSON config on a request or timer path. Rows
	 * written before it have NULL here; svc fills them from the JSON at
	 * start */
    "ALTER TABLE jobs ADD COLUMN policy BLOB;",
    /* thing types and tags (issue 12). Tags are keyed by the resource part
	 * of the ARN ("job/ID"); deleting a tagged row deletes its tags in the
	 * same statement, whatever use case deletes it (the job reaper too).
	 * IF NOT EXISTS: tests rewind schema_version to re-run older migrations */
    "CREATE TABLE IF NOT EXISTS thing_types ("
    "  name TEXT PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  properties TEXT,"
    "  deprecated INTEGER NOT NULL,"
    "  deprecated_ms INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE IF NOT EXISTS tags ("
    "  resource TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (resource, key)"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER IF NOT EXISTS jobs_tags AFTER DELETE ON jobs BEGIN"
    "  DELETE FROM tags WHERE resource = 'job/' || OLD.job_id; END;"
    "CREATE TRIGGER IF NOT EXISTS job_templates_tags AFTER DELETE ON job_templates BEGIN"
    "  DELETE FROM tags WHERE resource = 'jobtemplate/' || OLD.id; END;"
    "CREATE TRIGGER IF NOT EXISTS thing_groups_tags AFTER DELETE ON thing_groups BEGIN"
    "  DELETE FROM tags WHERE resource = 'thinggroup/' || OLD.name; END;"
    "CREATE TRIGGER IF NOT EXISTS thing_types_tags AFTER DELETE ON thing_types BEGIN"
    "  DELETE FROM tags WHERE resource = 'thingtype/' || OLD.name; END;",
    /* dynamic thing groups (issue 12): a group with a query_string is
	 * dynamic; its members are rows of group_members like a static group's,
	 * kept by svc as things change */
    "ALTER TABLE thing_groups ADD COLUMN query_string TEXT;"
    "ALTER TABLE thing_groups ADD COLUMN index_name TEXT;"
    "ALTER TABLE thing_groups ADD COLUMN query_version TEXT;"
    "CREATE INDEX thing_groups_dynamic ON thing_groups(name)"
    " WHERE query_string IS NOT NULL;",
    /* leases of several nodes (D24, ops_lease.c); wipe leaves them */
    "CREATE TABLE IF NOT EXISTS leases ("
    "  name TEXT PRIMARY KEY,"
    "  holder TEXT NOT NULL,"
    "  epoch INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* a job's timeline and its pause (issue 14, ops_timeline.c): rows go
     * with their job (the triggers), so DeleteJob's reaper and wipe clear
     * them */
    "CREATE TABLE IF NOT EXISTS job_timeline ("
    "  job_id TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  PRIMARY KEY (job_id, seq)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS job_pause ("
    "  job_id TEXT PRIMARY KEY,"
    "  paused_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER IF NOT EXISTS jobs_timeline AFTER DELETE ON jobs BEGIN"
    "  DELETE FROM job_timeline WHERE job_id = OLD.job_id;"
    "  DELETE FROM job_pause WHERE job_id = OLD.job_id; END;",
    /* chunked fan-out (issue 15, ops_fanout.c): the durable cursor of each
	 * fan-out still running; a chunk advances it in its own transaction */
    "CREATE TABLE IF NOT EXISTS fanouts ("
    "  job_id TEXT NOT NULL,"
    "  run INTEGER NOT NULL,"
    "  mode INTEGER NOT NULL,"
    "  groups TEXT NOT NULL,"
    "  source INTEGER NOT NULL,"
    "  after TEXT NOT NULL,"
    "  paced_left INTEGER NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  PRIMARY KEY (job_id, run)"
    ") WITHOUT ROWID;",
    /* cost flat in store size (issue 15): the insert trigger goes, its
	 * counts move to sq__exec_insert (EXEC_COUNT_DEMOTE, EXEC_COUNT_ENTER).
	 * A table with a trigger makes every INSERT a statement that may abort,
	 * so each one journalled the pages it touched (about 20 KB a row, to a
	 * temporary file) and paid the trigger's frame even when its WHEN was
	 * false: two thirds of a fan-out's time. bulk_insert stays (unused). */
    "DROP TRIGGER IF EXISTS executions_count_insert;",
    /* cost flat in store size, the index (issue 15): the thing-keyed index
	 * holds ended executions only; pending ones are in executions_pending.
	 * A fan-out over things that hold history then dirties no leaf of a
	 * large thing-keyed index (one per thing once it outgrew the cache): a
	 * row enters this one when a device ends it, one leaf per device write.
	 * Readers list a thing's executions as pending plus ended (stmt.c
	 * EXEC_LIST_THING). Ended statuses are the values above IN_PROGRESS
	 * (sqlite_int.h). Rebuilding it on 10,000,000 executions takes about a
	 * minute at the first start (bench/README.md "Cost in store size").
	 * executions_job_status goes: no statement reads it (EXPLAIN QUERY
	 * PLAN: a job's pending executions are found on the primary key), and
	 * it cost every queued execution an index entry, every ended one a
	 * deletion. */
    "DROP INDEX IF EXISTS executions_job_status;"
    "DROP INDEX IF EXISTS executions_thing_seq;"
    "CREATE INDEX IF NOT EXISTS executions_thing_ended ON executions(thing_name, seq)"
    " WHERE status > " SQL_EXEC_IN_PROGRESS ";",
    /* due index without a function (issue 15, targets by the hundred): the
     * same rows and order as before, keyed on SQL_EXEC_DEADLINE, and the
     * generated column `deadline` goes: its min() made every batched INSERT
     * into executions keep a statement journal (sqlite_int.h). It was
     * VIRTUAL (in no row), so dropping it rewrites only the schema; only
     * IN_PROGRESS rows with a deadline enter the index, so its rebuild reads
     * the table once and writes few entries */
    DROPS_COLUMN("executions",
        "deadline") "DROP INDEX IF EXISTS executions_due;"
                    "ALTER TABLE executions DROP COLUMN deadline;"
                    "CREATE INDEX IF NOT EXISTS executions_due ON executions(" SQL_EXEC_DEADLINE
                    ", seq)"
                    " WHERE status = " SQL_EXEC_IN_PROGRESS " AND " SQL_EXEC_DEADLINE " > 0;",
    /* the schedule passes' due time (issue 15, cost flat in store size):
     * when a start, window or end duty may next act on the job
     * (core_schedule_due), written by every job write; the timer reads only
     * the jobs due by this partial index. Rows from before it read NULL:
     * svc fills them at start (svc__job_due_backfill), as it does the
     * policy of migration 7 */
    ADDS_COLUMN("jobs", "sched_due_ms") "ALTER TABLE jobs ADD COLUMN sched_due_ms INTEGER;"
                                        "CREATE INDEX IF NOT EXISTS jobs_sched_due"
                                        " ON jobs(sched_due_ms) WHERE sched_due_ms > 0;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Does migration m still have work: not a DROPS_COLUMN one whose column is
 * already gone, nor an ADDS_COLUMN one whose column is there? 1 yes, 0 no,
 * -1 on error. */
static int
migration_due(struct conn *c, const char *m)
{
	const char *dot, *end;
	sqlite3_stmt *st = NULL;
	bool adds = strncmp(m, ADDS_PREFIX, strlen(ADDS_PREFIX)) == 0;
	int rc;

	if (!adds && strncmp(m, DROPS_PREFIX, strlen(DROPS_PREFIX)) != 0)
		return 1;
	m += adds ? strlen(ADDS_PREFIX) : strlen(DROPS_PREFIX);
	dot = strchr(m, '.');
	end = strchr(m, '\n');
	if (dot == NULL || end == NULL || dot > end)
		return -1;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE name = ?2",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, m, (int)(dot - m), SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, dot + 1, (int)(end - dot - 1), SQLITE_TRANSIENT) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		rc = -1;
	else
		rc = (sqlite3_column_int(st, 0) > 0) != adds;
	sqlite3_finalize(st);
	return rc;
}

int
store_sqlite__migration_find(const char *needle)
{
	for (int v = 0; v < NMIGRATIONS; v++)
		if (strstr(migrations[v], needle) != NULL)
			return v + 1;
	return 0;
}

/* Set e from the failure of a migration step; returns JD_EUNAVAIL. */
static int
migrate_fail(struct conn *c, const char *path, int cur, char **errmsg, struct jd_error *e)
{
	int rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s: migrating from version %d: %s", path,
	    cur, *errmsg != NULL ? *errmsg : sqlite3_errmsg(c->db));

	sqlite3_free(*errmsg);
	*errmsg = NULL;
	return rc;
}

/* Apply the missing migrations in one transaction on the writer. */
int
sq__migrate(struct conn *c, const char *path, struct jd_error *e)
{
	sqlite3_stmt *st = NULL;
	char *errmsg = NULL;
	int cur = 0, rc = 0;

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &errmsg) != SQLITE_OK ||
	    sqlite3_exec(c->db,
	        "CREATE TABLE IF NOT EXISTS schema_version ("
	        "  version INTEGER PRIMARY KEY,"
	        "  applied_ms INTEGER NOT NULL)",
	        NULL, NULL, &errmsg) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
	        &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = migrate_fail(c, path, cur, &errmsg, e);
		goto out;
	}
	cur = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (cur > NMIGRATIONS) {
		rc = jd_error_set(e, JD_EUNAVAIL,
		    "sqlite: %s has schema version %d, newer than this jobsd knows (%d)", path, cur,
		    NMIGRATIONS);
		goto out;
	}
	for (int v = cur; v < NMIGRATIONS; v++) {
		int due = migration_due(c, migrations[v]);

		if (due < 0 ||
		    (due > 0 &&
		        sqlite3_exec(c->db, migrations[v], NULL, NULL, &errmsg) != SQLITE_OK) ||
		    sqlite3_prepare_v2(c->db,
		        "INSERT INTO schema_version (version, applied_ms) VALUES (?1, ?2)", -1, &st,
		        NULL) != SQLITE_OK ||
		    sqlite3_bind_int(st, 1, v + 1) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 2, (int64_t)time(NULL) * 1000) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE) {
			rc = migrate_fail(c, path, cur, &errmsg, e);
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
		log_info("store sqlite: %s: applied schema migration %d", path, v + 1);
	}
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, &errmsg) != SQLITE_OK)
		rc = migrate_fail(c, path, cur, &errmsg, e);
out:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
