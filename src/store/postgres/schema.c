/*
 * schema.c: the schema of the PostgreSQL backend, as numbered migrations.
 *
 * Migration N (1-based) is migrations[N - 1]; the versions applied are
 * recorded in schema_version. open applies only the missing ones, in one
 * transaction that first takes an advisory lock, so nodes starting at once
 * migrate one after another (the later ones find nothing left to do), and a
 * crash mid-way leaves the old version. Append only: never edit a migration
 * that has shipped.
 *
 * Conventions (they differ from the SQLite backend where PostgreSQL does
 * better): names are TEXT COLLATE "C" (byte order, as SQLite and AWS sort
 * them, whatever the database's locale); an empty fixed-size name
 * (type_name, parent, namespace_id, reason_code) is '' rather than NULL, so
 * equality filters use the indexes; times are BIGINT ms; job and execution
 * seq come from sequences (monotonic, never reused, untouched by wipe); the
 * typed job policy is BYTEA (core_policy_pack bytes, as SQLite's migration 7).
 */
#include <stdio.h>
#include <string.h>

#include "store/postgres/pg_int.h"
#include "util/log.h"

#define NAME "TEXT COLLATE \"C\""

static const char *const migrations[] = {
    /* 1: the schema of SQLite's migrations 1-7, in one step */
    "CREATE TABLE meta ("
    "  key " NAME " PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE SEQUENCE job_seq;"
    "CREATE SEQUENCE exec_seq;"
    "CREATE TABLE things ("
    "  name " NAME " PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  type_name " NAME " NOT NULL DEFAULT '',"
    "  attributes TEXT,"
    "  version BIGINT NOT NULL,"
    "  created_ms BIGINT NOT NULL);"
    "CREATE INDEX things_type ON things(type_name, name);"
    "CREATE TABLE thing_groups ("
    "  name " NAME " PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  parent " NAME " NOT NULL DEFAULT '',"
    "  description TEXT,"
    "  attributes TEXT,"
    "  version BIGINT NOT NULL,"
    "  created_ms BIGINT NOT NULL);"
    "CREATE INDEX thing_groups_parent ON thing_groups(parent, name);"
    "CREATE TABLE group_members ("
    "  group_name " NAME " NOT NULL,"
    "  thing_name " NAME " NOT NULL,"
    "  PRIMARY KEY (group_name, thing_name));"
    "CREATE INDEX group_members_thing ON group_members(thing_name, group_name);"
    "CREATE TABLE jobs ("
    "  job_id " NAME " PRIMARY KEY,"
    "  seq BIGINT NOT NULL UNIQUE,"
    "  status INTEGER NOT NULL,"
    "  selection INTEGER NOT NULL,"
    "  namespace_id " NAME " NOT NULL DEFAULT '',"
    "  document TEXT,"
    "  document_source TEXT,"
    "  description TEXT,"
    "  targets TEXT,"
    "  config TEXT,"
    "  template_arn TEXT,"
    "  force_canceled INTEGER NOT NULL,"
    "  reason_code TEXT NOT NULL DEFAULT '',"
    "  comment TEXT,"
    "  inprogress_timeout_min BIGINT NOT NULL,"
    "  created_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL,"
    "  completed_ms BIGINT NOT NULL,"
    "  rollout_next_ms BIGINT NOT NULL DEFAULT 0,"
    "  rollout_notified BIGINT NOT NULL DEFAULT 0,"
    "  policy BYTEA);"
    "CREATE INDEX jobs_status ON jobs(status, seq);"
    "CREATE INDEX jobs_rollout ON jobs(rollout_next_ms) WHERE rollout_next_ms > 0;"
    "CREATE TABLE job_group_targets ("
    "  job_id " NAME " NOT NULL,"
    "  group_name " NAME " NOT NULL,"
    "  PRIMARY KEY (job_id, group_name));"
    "CREATE INDEX job_group_targets_group ON job_group_targets(group_name, job_id);"
    "CREATE TABLE executions ("
    "  job_id " NAME " NOT NULL,"
    "  thing_name " NAME " NOT NULL,"
    "  number BIGINT NOT NULL,"
    "  seq BIGINT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  force_canceled INTEGER NOT NULL,"
    "  namespace_id " NAME " NOT NULL DEFAULT '',"
    "  details TEXT,"
    "  queued_ms BIGINT NOT NULL,"
    "  started_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL,"
    "  version BIGINT NOT NULL,"
    "  retry_attempt BIGINT NOT NULL,"
    "  inprogress_deadline BIGINT NOT NULL,"
    "  step_deadline BIGINT NOT NULL,"
    /* the effective deadline: the earlier non-zero one, 0 = none */
    "  deadline BIGINT GENERATED ALWAYS AS ("
    "    CASE WHEN inprogress_deadline = 0 THEN step_deadline"
    "         WHEN step_deadline = 0 THEN inprogress_deadline"
    "         ELSE least(inprogress_deadline, step_deadline) END) STORED,"
    "  PRIMARY KEY (job_id, thing_name, number));"
    "CREATE UNIQUE INDEX executions_thing_seq ON executions(thing_name, seq);"
    "CREATE INDEX executions_pending"
    "  ON executions(thing_name, namespace_id, status, queued_ms, seq)"
    "  WHERE status IN " SQL_EXEC_PENDING ";"
    "CREATE INDEX executions_job_status ON executions(job_id, status)"
    "  WHERE status IN " SQL_EXEC_PENDING ";"
    "CREATE INDEX executions_due ON executions(deadline, seq)"
    "  WHERE status = " SQL_EXEC_IN_PROGRESS " AND deadline > 0;"
    /* per (job, status): latest = things whose latest execution has the
     * status, total = executions with it; kept by the execution statements
     * in the same transaction (stmt.c) */
    "CREATE TABLE job_exec_counts ("
    "  job_id " NAME " NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  latest BIGINT NOT NULL,"
    "  total BIGINT NOT NULL,"
    "  PRIMARY KEY (job_id, status));"
    "CREATE TABLE job_templates ("
    "  id " NAME " PRIMARY KEY,"
    "  description TEXT,"
    "  document TEXT,"
    "  document_source TEXT,"
    "  config TEXT,"
    "  created_ms BIGINT NOT NULL);"
    "CREATE TABLE rollout_queue ("
    "  job_id " NAME " NOT NULL,"
    "  pos BIGINT NOT NULL,"
    "  thing_name TEXT NOT NULL,"
    "  PRIMARY KEY (job_id, pos));",
    /* thing types and tags (issue 12): as SQLite's; one trigger function
     * deletes a resource's tags with its row (argument 0 the ARN kind with
     * its slash, argument 1 the key column) */
    "CREATE TABLE thing_types ("
    "  name " NAME " PRIMARY KEY,"
    "  id TEXT NOT NULL,"
    "  properties TEXT,"
    "  deprecated INTEGER NOT NULL,"
    "  deprecated_ms BIGINT NOT NULL,"
    "  created_ms BIGINT NOT NULL);"
    "CREATE TABLE tags ("
    "  resource " NAME " NOT NULL,"
    "  key " NAME " NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (resource, key));"
    "CREATE FUNCTION tags_drop() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    "  DELETE FROM tags WHERE resource = TG_ARGV[0] || (to_jsonb(OLD) ->> TG_ARGV[1]);"
    "  RETURN NULL; END $f$;"
    "CREATE TRIGGER jobs_tags AFTER DELETE ON jobs"
    "  FOR EACH ROW EXECUTE FUNCTION tags_drop('job/', 'job_id');"
    "CREATE TRIGGER job_templates_tags AFTER DELETE ON job_templates"
    "  FOR EACH ROW EXECUTE FUNCTION tags_drop('jobtemplate/', 'id');"
    "CREATE TRIGGER thing_groups_tags AFTER DELETE ON thing_groups"
    "  FOR EACH ROW EXECUTE FUNCTION tags_drop('thinggroup/', 'name');"
    "CREATE TRIGGER thing_types_tags AFTER DELETE ON thing_types"
    "  FOR EACH ROW EXECUTE FUNCTION tags_drop('thingtype/', 'name');",
    /* dynamic thing groups (issue 12): a group with a query_string is
     * dynamic; its members are rows of group_members, kept by svc */
    "ALTER TABLE thing_groups ADD COLUMN query_string TEXT,"
    "  ADD COLUMN index_name TEXT, ADD COLUMN query_version TEXT;"
    "CREATE INDEX thing_groups_dynamic ON thing_groups(name)"
    "  WHERE query_string IS NOT NULL;",
    /* leases of several nodes (D24, ops_lease.c): the duty lease, the MQTT
     * shards, the nodes' presence; wipe leaves them */
    "CREATE TABLE IF NOT EXISTS leases ("
    "  name " NAME " PRIMARY KEY,"
    "  holder TEXT NOT NULL,"
    "  epoch BIGINT NOT NULL,"
    "  expires_ms BIGINT NOT NULL);",
    /* a job's timeline and its pause (issue 14, ops_timeline.c): rows go
     * with their job (the trigger), so DeleteJob's reaper and wipe clear
     * them */
    "CREATE TABLE IF NOT EXISTS job_timeline ("
    "  job_id " NAME " NOT NULL,"
    "  seq BIGINT NOT NULL,"
    "  at_ms BIGINT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  PRIMARY KEY (job_id, seq));"
    "CREATE TABLE IF NOT EXISTS job_pause ("
    "  job_id " NAME " PRIMARY KEY,"
    "  paused_ms BIGINT NOT NULL);"
    "CREATE FUNCTION job_timeline_drop() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    "  DELETE FROM job_timeline WHERE job_id = OLD.job_id;"
    "  DELETE FROM job_pause WHERE job_id = OLD.job_id;"
    "  RETURN NULL; END $f$;"
    "CREATE TRIGGER jobs_timeline AFTER DELETE ON jobs"
    "  FOR EACH ROW EXECUTE FUNCTION job_timeline_drop();",
    /* chunked fan-out (issue 15, ops_fanout.c): the durable cursor of each
     * fan-out still running */
    "CREATE TABLE IF NOT EXISTS fanouts ("
    "  job_id " NAME " NOT NULL,"
    "  run BIGINT NOT NULL,"
    "  mode INTEGER NOT NULL,"
    "  groups TEXT NOT NULL,"
    "  source BIGINT NOT NULL,"
    "  after " NAME " NOT NULL,"
    "  paced_left BIGINT NOT NULL,"
    "  pos BIGINT NOT NULL,"
    "  PRIMARY KEY (job_id, run));",
    /* the schedule passes' due time (issue 15, cost flat in store size), as
     * SQLite's: rows from before it read NULL and svc fills them at start */
    "ALTER TABLE jobs ADD COLUMN IF NOT EXISTS sched_due_ms BIGINT;"
    "CREATE INDEX IF NOT EXISTS jobs_sched_due ON jobs(sched_due_ms)"
    "  WHERE sched_due_ms > 0;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Run sql (one or more statements); on failure set e. */
static int
step(struct conn *c, const char *sql, int cur, struct jd_error *e)
{
	PGresult *r = PQexec(c->db, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorMessage(r);

		rc = jd_error_set(e, JD_EUNAVAIL, "postgres: migrating from version %d: %s", cur,
		    msg != NULL && *msg != '\0' ? msg : PQerrorMessage(c->db));
	}
	PQclear(r);
	return rc;
}

int
pg__migrate(struct conn *c, struct jd_error *e)
{
	PGresult *r = NULL;
	char sql[160];
	int cur = 0, rc;

	if ((rc = step(c, "BEGIN", 0, e)) != 0 ||
	    (rc = step(c, "SELECT pg_advisory_xact_lock(" PG_LOCK_MIGRATE ")", 0, e)) != 0 ||
	    (rc = step(c,
	         "CREATE TABLE IF NOT EXISTS schema_version ("
	         "  version INTEGER PRIMARY KEY,"
	         "  applied_ms BIGINT NOT NULL)",
	         0, e)) != 0)
		goto out;
	r = PQexec(c->db, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		rc = jd_error_set(e, JD_EUNAVAIL, "postgres: reading schema_version: %s",
		    PQresultErrorMessage(r));
		goto out;
	}
	cur = (int)pg__i64(r, 0, 0);
	if (cur > NMIGRATIONS) {
		rc = jd_error_set(e, JD_EUNAVAIL,
		    "postgres: the database has schema version %d, newer than this jobsd knows (%d)",
		    cur, NMIGRATIONS);
		goto out;
	}
	for (int v = cur; v < NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql),
		    "INSERT INTO schema_version (version, applied_ms)"
		    " VALUES (%d, (extract(epoch FROM now()) * 1000)::bigint)",
		    v + 1);
		if ((rc = step(c, migrations[v], cur, e)) != 0 || (rc = step(c, sql, cur, e)) != 0)
			goto out;
		log_info("store postgres: applied schema migration %d", v + 1);
	}
	rc = step(c, "COMMIT", cur, e);
out:
	PQclear(r);
	if (PQtransactionStatus(c->db) != PQTRANS_IDLE)
		PQclear(PQexec(c->db, "ROLLBACK"));
	return rc;
}
