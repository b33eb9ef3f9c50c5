/*
 * sqlite.c: the SQLite backend of the store interface (store.h).
 *
 * Design:
 * - One file, WAL mode, synchronous=FULL (dependencies.md: a power cut must
 *   not undo an acknowledged write).
 * - One writer connection, taken in turn by write transactions, so writers
 *   queue in-process instead of spinning in SQLite's busy handler
 *   (busy_timeout stays only as a backstop against other processes). Group
 *   commit: concurrent write transactions are savepoints inside one outer
 *   BEGIN IMMEDIATE and share its COMMIT (one fsync); each commit() returns
 *   only after that COMMIT, with its outcome (see "group commit" below).
 *   A pool of JD_STORE_READERS reader connections
 *   (free list under a mutex + condvar) serves begin(write=false) with a
 *   deferred BEGIN; readers are query_only, so a write in a read transaction
 *   fails loudly (JD_EUNAVAIL) instead of racing the writer for the lock.
 * - A connection is used by one thread at a time, so it is opened NOMUTEX.
 *   The transaction handle is the connection itself (struct conn begins with
 *   a struct store_tx_base); no allocation per transaction.
 * - Every statement lives in one X-macro table (STMTS) and is prepared lazily
 *   per connection with SQLITE_PREPARE_PERSISTENT, then reset and unbound
 *   after each use. Optional filters are written into the SQL as
 *   `(?N IS NULL OR col = ?N)`, so one statement serves every combination.
 *   If a list callback re-enters the same operation, the cached statement is
 *   busy and a temporary one is prepared and finalized.
 * - The schema is built by numbered migrations recorded in schema_version;
 *   opening an existing file applies only the missing ones, in one
 *   transaction.
 * - Execution counts per (job, status), of each thing's latest execution and
 *   of all executions, are kept in job_exec_counts (migration 3) by
 *   triggers on insert and delete, and by op_exec_update on a status change
 *   (migration 6), so exec_counts and exec_active_count read a few rows.
 * - Storage conventions: times INTEGER ms, bools 0/1, empty fixed-size names
 *   (type_name, parent, namespace_id, reason_code) and absent owned texts as
 *   NULL. Job and execution seq come from the counters table (monotonic,
 *   never reused, survives wipe) updated under the writer lock.
 * - Errors: a duplicate key is JD_EEXISTS, a missing row JD_ENOTFOUND (update
 *   and delete check sqlite3_changes), everything else is logged with
 *   sqlite3_errmsg and returned as JD_EUNAVAIL (decisions D21).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store/sqlite/sqlite_int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

/* The pending-list SQL below spells these values out. */
_Static_assert(JD_EXEC_QUEUED == 0 && JD_EXEC_IN_PROGRESS == 1, "exec status values used in SQL");

/* ---- schema ------------------------------------------------------------ */

/*
 * Migration N (1-based) is migrations[N - 1]. Append only: never edit a
 * migration that has shipped.
 */
/*
 * The body of the count trigger on insert (a new row is the latest unless a
 * higher number exists; it demotes the previous one): migration 3 creates
 * it, migration 4 re-creates it with a WHEN clause. Shared so the two stay
 * the same statements.
 */
#define EXEC_COUNT_INSERT_BODY                                                               \
	"  UPDATE job_exec_counts SET latest = latest - 1"                                       \
	"   WHERE job_id = NEW.job_id AND status = (SELECT status FROM executions"               \
	"     WHERE job_id = NEW.job_id AND thing_name = NEW.thing_name AND number < NEW.number" \
	"     ORDER BY number DESC LIMIT 1)"                                                      \
	"   AND NOT EXISTS (SELECT 1 FROM executions WHERE job_id = NEW.job_id"                  \
	"     AND thing_name = NEW.thing_name AND number > NEW.number);"                         \
	"  INSERT INTO job_exec_counts (job_id, status, latest, total)"                          \
	"   VALUES (NEW.job_id, NEW.status, NOT EXISTS (SELECT 1 FROM executions"                \
	"     WHERE job_id = NEW.job_id AND thing_name = NEW.thing_name AND number > NEW.number), 1)" \
	"   ON CONFLICT (job_id, status) DO UPDATE"                                              \
	"   SET latest = latest + excluded.latest, total = total + 1;"                           \
	"END;"

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
	"CREATE TRIGGER executions_count_insert AFTER INSERT ON executions BEGIN"
	EXEC_COUNT_INSERT_BODY
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
	 * (op_exec_insert_first); the flag is set and cleared inside the same
	 * transaction, so it is never seen set outside one */
	"CREATE TABLE bulk_insert (active INTEGER NOT NULL);"
	"INSERT INTO bulk_insert (active) VALUES (0);"
	"DROP TRIGGER executions_count_insert;"
	"CREATE TRIGGER executions_count_insert AFTER INSERT ON executions"
	"  WHEN (SELECT active FROM bulk_insert) = 0 BEGIN"
	EXEC_COUNT_INSERT_BODY,
	/* 5: partial indexes. Only pending executions are looked up by these
	 * three, so the others need no entries: a write that ends an execution,
	 * or deletes an ended one, or queues one without a deadline, touches
	 * two or three fewer index entries (fewer pages to write at commit) */
	"DROP INDEX executions_pending;"
	"CREATE INDEX executions_pending"
	"  ON executions(thing_name, namespace_id, status, queued_ms, seq) WHERE status IN (0, 1);"
	"DROP INDEX executions_job_status;"
	"CREATE INDEX executions_job_status ON executions(job_id, status) WHERE status IN (0, 1);"
	"DROP INDEX executions_due;"
	"CREATE INDEX executions_due ON executions(deadline, seq) WHERE status = 1 AND deadline > 0;",
	/* 6: a status change moves the counts in op_exec_update, the only
	 * statement that changes a status: the trigger cost every update a
	 * sub-program frame (~8 us), even when its WHEN clause was false */
	"DROP TRIGGER executions_count_update;",
	/* 7: the job's configuration, typed (core_policy_pack bytes), so the
	 * engine never parses the JSON config on a request or timer path. Rows
	 * written before it have NULL here; svc fills them from the JSON at
	 * start */
	"ALTER TABLE jobs ADD COLUMN policy BLOB;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- statements -------------------------------------------------------- */

#define THING_COLS "name, id, type_name, attributes, version, created_ms"
#define GROUP_COLS "name, id, parent, description, attributes, version, created_ms"
#define JOB_COLS                                                                             \
	"job_id, seq, status, selection, namespace_id, document, document_source, description, " \
	"targets, config, template_arn, force_canceled, reason_code, comment, "                  \
	"inprogress_timeout_min, created_ms, updated_ms, completed_ms, rollout_next_ms, "       \
	"rollout_notified, policy"
#define EXEC_COLS                                                                            \
	"job_id, thing_name, number, seq, status, force_canceled, namespace_id, details, "       \
	"queued_ms, started_ms, updated_ms, version, retry_attempt, inprogress_deadline, "       \
	"step_deadline"
#define TEMPLATE_COLS "id, description, document, document_source, config, created_ms"

/* Descendants of ?1 (NULL = the root) when ?2, else its direct children. */
#define GROUP_TREE                                                                           \
	"WITH RECURSIVE sub(name) AS ("                                                          \
	" SELECT name FROM thing_groups WHERE parent IS ?1"                                      \
	" UNION ALL"                                                                             \
	" SELECT g.name FROM thing_groups g JOIN sub ON g.parent = sub.name WHERE ?2) "

/* Status filter on ?N: -1 any, -2 pending, else equality. */
#define STATUS_FILTER(n) "(" n " = -1 OR status = " n " OR (" n " = -2 AND status IN (0, 1)))"

/*
 * The pending executions of one status (a literal: with "status = ?", the
 * partial index's use depends on the bound value, and SQLite re-prepares
 * the statement whenever that binding changes). "status IN (0, 1)" is the
 * index's own WHERE, which lets the planner use it.
 */
#define EXEC_PENDING_SQL(status)                                                             \
	"SELECT " EXEC_COLS " FROM executions"                                                   \
	" WHERE thing_name = ?1 AND namespace_id IS ?2 AND status = " status                     \
	" AND status IN (0, 1) AND NOT EXISTS (SELECT 1 FROM jobs"                               \
	"  WHERE jobs.job_id = executions.job_id AND jobs.status IN (3, 4))"                     \
	" ORDER BY queued_ms, seq LIMIT ?3"

/*
 * Every statement: X(enum suffix, SQL). Bind formats (see bindv) follow the
 * ?N numbering of each statement.
 */
#define STMTS(X)                                                                             \
	X(BEGIN, "BEGIN")                                                                        \
	X(BEGIN_WRITE, "BEGIN IMMEDIATE")                                                        \
	X(COMMIT, "COMMIT")                                                                      \
	X(ROLLBACK, "ROLLBACK")                                                                  \
	X(SAVEPOINT, "SAVEPOINT tx")                                                             \
	X(RELEASE, "RELEASE tx")                                                                 \
	X(ROLLBACK_TO, "ROLLBACK TO tx")                                                         \
	X(SEQ_ADD, "INSERT INTO counters (name, value) VALUES (?1, ?2)"                          \
	    " ON CONFLICT (name) DO UPDATE SET value = value + ?2")                              \
	X(SEQ_GET, "SELECT value FROM counters WHERE name = ?1")                                 \
	X(BULK_SET, "UPDATE bulk_insert SET active = ?1")                                        \
	X(COUNTS_LEAVE, "UPDATE job_exec_counts SET total = total - 1, latest = latest - ?3"     \
	    " WHERE job_id = ?1 AND status = ?2")                                                \
	X(COUNTS_PRUNE, "DELETE FROM job_exec_counts WHERE job_id = ?1 AND status = ?2"          \
	    " AND total = 0")                                                                    \
	X(COUNTS_ADD, "INSERT INTO job_exec_counts (job_id, status, latest, total)"              \
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id, status) DO UPDATE"                    \
	    " SET latest = latest + ?3, total = total + ?4")                                     \
	X(META_GET, "SELECT value FROM meta WHERE key = ?1")                                     \
	X(META_PUT, "INSERT INTO meta (key, value) VALUES (?1, ?2)"                              \
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value")                           \
	X(THING_GET, "SELECT " THING_COLS " FROM things WHERE name = ?1")                        \
	X(THING_INSERT, "INSERT INTO things (" THING_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)")   \
	X(THING_UPDATE, "UPDATE things SET id = ?2, type_name = ?3, attributes = ?4,"            \
	    " version = ?5, created_ms = ?6 WHERE name = ?1")                                    \
	X(THING_DELETE, "DELETE FROM things WHERE name = ?1")                                    \
	X(THING_UNLINK, "DELETE FROM group_members WHERE thing_name = ?1")                       \
	X(THING_LIST, "SELECT " THING_COLS " FROM things WHERE name > ?1"                        \
	    " AND (?2 IS NULL OR type_name = ?2)"                                                \
	    " AND (?3 IS NULL OR CASE"                                                           \
	    "  WHEN json_extract(attributes, '$.\"' || ?3 || '\"') IS NULL THEN 0"               \
	    "  WHEN ?4 IS NULL THEN 1"                                                           \
	    "  WHEN ?5 THEN substr(json_extract(attributes, '$.\"' || ?3 || '\"'), 1,"           \
	    "    length(?4)) = ?4"                                                               \
	    "  ELSE json_extract(attributes, '$.\"' || ?3 || '\"') = ?4 END)"                    \
	    " ORDER BY name LIMIT ?6")                                                           \
	X(THING_GROUPS, "SELECT group_name FROM group_members WHERE thing_name = ?1"             \
	    " ORDER BY group_name")                                                              \
	X(GROUP_GET, "SELECT " GROUP_COLS " FROM thing_groups WHERE name = ?1")                  \
	X(GROUP_INSERT, "INSERT INTO thing_groups (" GROUP_COLS ")"                              \
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                              \
	X(GROUP_DELETE, "DELETE FROM thing_groups WHERE name = ?1")                              \
	X(GROUP_UNLINK, "DELETE FROM group_members WHERE group_name = ?1")                       \
	X(GROUP_LIST, GROUP_TREE "SELECT " GROUP_COLS " FROM thing_groups"                       \
	    " WHERE name IN (SELECT name FROM sub) AND name > ?3"                                \
	    " AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)"                              \
	    " ORDER BY name LIMIT ?5")                                                           \
	X(GROUP_CHILD_COUNT, "SELECT count(*) FROM thing_groups WHERE parent = ?1")              \
	X(MEMBER_ADD, "INSERT INTO group_members (group_name, thing_name) VALUES (?1, ?2)")      \
	X(MEMBER_REMOVE, "DELETE FROM group_members WHERE group_name = ?1 AND thing_name = ?2")  \
	X(MEMBER_LIST, "WITH RECURSIVE sub(name) AS ("                                           \
	    " SELECT ?1 UNION"                                                                   \
	    " SELECT g.name FROM thing_groups g JOIN sub ON g.parent = sub.name WHERE ?2)"       \
	    " SELECT DISTINCT thing_name FROM group_members"                                     \
	    " WHERE group_name IN (SELECT name FROM sub) AND thing_name > ?3"                    \
	    " ORDER BY thing_name LIMIT ?4")                                                     \
	X(JOB_GET, "SELECT " JOB_COLS " FROM jobs WHERE job_id = ?1")                            \
	X(JOB_STATUS, "SELECT status, selection FROM jobs WHERE job_id = ?1")                    \
	X(JOB_INSERT, "INSERT INTO jobs (" JOB_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"  \
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)")                  \
	X(JOB_UPDATE, "UPDATE jobs SET status = ?2, selection = ?3, namespace_id = ?4,"          \
	    " document = ?5, document_source = ?6, description = ?7, targets = ?8, config = ?9," \
	    " template_arn = ?10, force_canceled = ?11, reason_code = ?12, comment = ?13,"       \
	    " inprogress_timeout_min = ?14, created_ms = ?15, updated_ms = ?16,"                 \
	    " completed_ms = ?17, rollout_next_ms = ?18, rollout_notified = ?19, policy = ?20"   \
	    " WHERE job_id = ?1")                                                                \
	X(JOB_DELETE, "DELETE FROM jobs WHERE job_id = ?1")                                      \
	X(JOB_UNTARGET, "DELETE FROM job_group_targets WHERE job_id = ?1")                       \
	X(ROLLOUT_PUSH, "INSERT INTO rollout_queue (job_id, pos, thing_name) VALUES (?1, ?2, ?3)") \
	X(ROLLOUT_PEEK, "SELECT pos, thing_name FROM rollout_queue WHERE job_id = ?1"            \
	    " ORDER BY pos LIMIT ?2")                                                            \
	X(ROLLOUT_DROP, "DELETE FROM rollout_queue WHERE job_id = ?1 AND pos <= ?2")             \
	X(ROLLOUT_CLEAR, "DELETE FROM rollout_queue WHERE job_id = ?1")                          \
	X(JOB_ROLLOUT_DUE, "SELECT " JOB_COLS " FROM jobs"                                       \
	    " WHERE rollout_next_ms > 0 AND rollout_next_ms <= ?1"                               \
	    " ORDER BY rollout_next_ms LIMIT ?2")                                                \
	X(JOB_LIST, "SELECT " JOB_COLS " FROM jobs WHERE seq < ?1"                               \
	    " AND (?2 = -1 OR status = ?2) AND (?3 = -1 OR selection = ?3)"                      \
	    " AND (?4 IS NULL OR namespace_id IS nullif(?4, ''))"                                \
	    " AND (?5 IS NULL OR job_id IN"                                                      \
	    "  (SELECT job_id FROM job_group_targets WHERE group_name = ?5))"                    \
	    " ORDER BY seq DESC LIMIT ?6")                                                       \
	X(JOB_COUNT_STATUS, "SELECT count(*) FROM jobs WHERE status = ?1")                       \
	X(JOB_TARGET_ADD, "INSERT INTO job_group_targets (job_id, group_name) VALUES (?1, ?2)")  \
	X(JOB_LIST_BY_GROUP, "SELECT " JOB_COLS " FROM jobs WHERE job_id IN"                     \
	    " (SELECT job_id FROM job_group_targets WHERE group_name = ?1) ORDER BY seq")        \
	X(EXEC_GET, "SELECT " EXEC_COLS " FROM executions"                                       \
	    " WHERE job_id = ?1 AND thing_name = ?2 AND (?3 = 0 OR number = ?3)"                 \
	    " ORDER BY number DESC LIMIT 1")                                                     \
	X(EXEC_INSERT, "INSERT INTO executions (" EXEC_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"  \
	    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")                                        \
	X(EXEC_STATUS, "SELECT status, NOT EXISTS (SELECT 1 FROM executions"                      \
	    "  WHERE job_id = ?1 AND thing_name = ?2 AND number > ?3)"                            \
	    " FROM executions WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3")              \
	X(EXEC_UPDATE, "UPDATE executions SET status = ?4, force_canceled = ?5,"                 \
	    " namespace_id = ?6, details = ?7, queued_ms = ?8, started_ms = ?9,"                 \
	    " updated_ms = ?10, version = ?11, retry_attempt = ?12, inprogress_deadline = ?13,"  \
	    " step_deadline = ?14 WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3")        \
	X(EXEC_DELETE, "DELETE FROM executions"                                                  \
	    " WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3")                            \
	X(EXEC_MAX_NUMBER, "SELECT coalesce(max(number), 0) FROM executions"                     \
	    " WHERE job_id = ?1 AND thing_name = ?2")                                            \
	X(EXEC_LIST_JOB, "SELECT " EXEC_COLS " FROM executions WHERE job_id = ?1"                \
	    " AND " STATUS_FILTER("?2") " AND (thing_name, number) > (?3, ?4)"                   \
	    " ORDER BY thing_name, number LIMIT ?5")                                             \
	X(EXEC_LIST_THING, "SELECT " EXEC_COLS " FROM executions"                                \
	    " WHERE thing_name = ?1 AND seq < ?2 AND " STATUS_FILTER("?3")                       \
	    " AND (?4 IS NULL OR job_id = ?4)"                                                   \
	    " AND (?5 IS NULL OR namespace_id IS nullif(?5, ''))"                                \
	    " ORDER BY seq DESC LIMIT ?6")                                                       \
	X(EXEC_PENDING_RUNNING, EXEC_PENDING_SQL("1"))                                            \
	X(EXEC_PENDING_QUEUED, EXEC_PENDING_SQL("0"))                                             \
	X(EXEC_PENDING_JOB, "SELECT " EXEC_COLS " FROM executions"                               \
	    " WHERE job_id = ?1 AND status IN (0, 1)")                                           \
	X(EXEC_COUNTS, "SELECT status, latest FROM job_exec_counts WHERE job_id = ?1")           \
	X(EXEC_ACTIVE_COUNT, "SELECT coalesce(sum(total), 0) FROM job_exec_counts"               \
	    " WHERE job_id = ?1 AND status BETWEEN 0 AND 1")                                     \
	X(EXEC_DELETE_JOB, "DELETE FROM executions WHERE (job_id, thing_name, number) IN"        \
	    " (SELECT job_id, thing_name, number FROM executions WHERE job_id = ?1 LIMIT ?2)")   \
	X(EXEC_DUE, "SELECT " EXEC_COLS " FROM executions"                                       \
	    " WHERE status = 1 AND deadline > 0 AND deadline <= ?1"                              \
	    " ORDER BY deadline, seq LIMIT ?2")                                                  \
	X(TEMPLATE_GET, "SELECT " TEMPLATE_COLS " FROM job_templates WHERE id = ?1")             \
	X(TEMPLATE_INSERT, "INSERT INTO job_templates (" TEMPLATE_COLS ")"                       \
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                                  \
	X(TEMPLATE_DELETE, "DELETE FROM job_templates WHERE id = ?1")                            \
	X(TEMPLATE_LIST, "SELECT " TEMPLATE_COLS " FROM job_templates WHERE id > ?1"             \
	    " ORDER BY id LIMIT ?2")

enum stmt {
#define STMT_ENUM(name, sql) ST_##name,
	STMTS(STMT_ENUM)
#undef STMT_ENUM
	ST__COUNT
};

/* Statements up to this one control transactions; the others need one open. */
#define ST__LAST_CONTROL ST_ROLLBACK_TO

static const char *const stmt_sql[] = {
#define STMT_SQL(name, sql) sql,
	STMTS(STMT_SQL)
#undef STMT_SQL
};

static const char *const stmt_name[] = {
#define STMT_NAME(name, sql) #name,
	STMTS(STMT_NAME)
#undef STMT_NAME
};

static const char wipe_sql[] =
	"DELETE FROM meta; DELETE FROM things; DELETE FROM thing_groups;"
	" DELETE FROM group_members; DELETE FROM jobs; DELETE FROM job_group_targets;"
	" DELETE FROM executions; DELETE FROM job_exec_counts; DELETE FROM job_templates;"
	" DELETE FROM rollout_queue;";

/* ---- connections and the store ----------------------------------------- */

struct sq_store;

/* A connection; while a transaction is open it is also the struct store_tx. */
struct conn {
	struct store_tx_base base;   /* first: (struct store_tx *)conn */
	struct sq_store *s;          /* borrowed */
	sqlite3 *db;
	bool writer;
	struct conn *next;           /* reader free list */
	sqlite3_stmt *st[ST__COUNT]; /* lazily prepared, persistent */
};

/*
 * A write transaction that has released its savepoint and waits for its
 * group's COMMIT. Lives on the committing thread's stack.
 */
struct member {
	struct member *next;
	int rc;                      /* the group's outcome, once done */
	bool done;
	bool observer;               /* rolled back, but saw earlier members' changes */
};

struct sq_store {
	struct store_base base;      /* first: (struct store *)store */
	struct conn *writer;
	/*
	 * Group commit (see "group commit" below). The writer connection is
	 * owned by whoever set `busy`: a write transaction from begin to
	 * commit/rollback, then, if it ends the group, through the COMMIT.
	 * `outer` and `group_start` belong to that owner; the rest is under
	 * glock.
	 */
	pthread_mutex_t glock;
	pthread_cond_t wcond;        /* the writer connection became free */
	pthread_cond_t gcond;        /* a group ended; members check `done` */
	bool busy;
	int queued;                  /* threads waiting in begin(write) */
	struct member *members;      /* released savepoints of the open group */
	int nmembers;
	bool outer;                  /* the group's BEGIN IMMEDIATE is open */
	int64_t group_start;         /* CLOCK_MONOTONIC ns of that BEGIN */
	int group_max;               /* STORE_SQLITE_GROUP_MAX unless a test changed it */
	int64_t group_max_ns;        /* STORE_SQLITE_GROUP_MAX_NS likewise */
	struct store_sqlite_stats stats;
	pthread_mutex_t rlock;       /* guards free */
	pthread_cond_t rcond;        /* signalled when a reader is returned */
	struct conn *free;
	struct conn *readers[JD_STORE_READERS];
};

/* A statement in use: the cached one, or a temporary one when it was busy. */
struct q {
	struct conn *c;
	sqlite3_stmt *st;
	bool temp;
	enum stmt id;
};

static int
fail(struct conn *c, const char *what, const char *detail)
{
	log_error("store sqlite: %s%s%s: %s (code %d)", what, detail != NULL ? " " : "",
	    detail != NULL ? detail : "", sqlite3_errmsg(c->db), sqlite3_extended_errcode(c->db));
	return JD_EUNAVAIL;
}

static void
q_close(struct q *q)
{
	if (q->st == NULL)
		return;
	if (q->temp) {
		sqlite3_finalize(q->st);
	} else {
		sqlite3_reset(q->st);
		sqlite3_clear_bindings(q->st);
	}
	q->st = NULL;
}

/*
 * Bind the arguments by format, one char per ?N in order:
 *   s  const char *, NULL -> NULL        n  const char *, NULL or "" -> NULL
 *   a  const char *, NULL -> ""          i  int           b  bool
 *   I  int64_t                           L  int limit, <= 0 -> no limit
 *   B  const void *, size_t (two arguments, one ?N): a blob, NULL -> NULL
 */
static int
bindv(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		const char *s;
		int v;

		switch (*fmt) {
		case 's':
		case 'n':
		case 'a':
			s = va_arg(ap, const char *);
			if (*fmt == 'a' && s == NULL)
				s = "";
			if (s == NULL || (*fmt == 'n' && *s == '\0'))
				rc = sqlite3_bind_null(st, i);
			else
				rc = sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
			break;
		case 'i':
		case 'b':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'L':
			v = va_arg(ap, int);
			rc = sqlite3_bind_int(st, i, v > 0 ? v : -1);
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'B': {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);

			rc = p == NULL ? sqlite3_bind_null(st, i) :
			    sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	return rc;
}

static int
q_vopen(struct conn *c, enum stmt id, struct q *q, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = c->st[id];

	q->c = c;
	q->st = NULL;
	q->temp = false;
	q->id = id;
	/*
	 * An error such as SQLITE_FULL or an I/O error may have rolled the
	 * whole transaction back; a statement now would run in autocommit
	 * mode, outside the transaction (and outside the writer's group).
	 */
	if (id > ST__LAST_CONTROL && sqlite3_get_autocommit(c->db)) {
		log_error("store sqlite: %s: the transaction was rolled back by an earlier error",
		    stmt_name[id]);
		return JD_EUNAVAIL;
	}
	if (st == NULL || sqlite3_stmt_busy(st)) {
		unsigned flags = st == NULL ? SQLITE_PREPARE_PERSISTENT : 0;

		if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, flags, &st, NULL) != SQLITE_OK)
			return fail(c, "prepare", stmt_name[id]);
		if (c->st[id] == NULL)
			c->st[id] = st;
		else
			q->temp = true;
	}
	q->st = st;
	if (bindv(st, fmt, ap) != SQLITE_OK) {
		int rc = fail(c, "bind", stmt_name[id]);

		q_close(q);
		return rc;
	}
	return 0;
}

static int
q_open(struct conn *c, enum stmt id, struct q *q, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(c, id, q, fmt, ap);
	va_end(ap);
	return rc;
}

/* 1 a row, 0 done, JD_EEXISTS on a key conflict, else JD_EUNAVAIL. */
static int
q_step(struct q *q)
{
	int rc = sqlite3_step(q->st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = sqlite3_extended_errcode(q->c->db);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return JD_EEXISTS;
	return fail(q->c, "step", stmt_name[q->id]);
}

/* Step to the single expected row: 0 with q positioned on it, or JD_ENOTFOUND. */
static int
q_one(struct q *q)
{
	int rc = q_step(q);

	return rc == 1 ? 0 : rc == 0 ? JD_ENOTFOUND : rc;
}

/*
 * Run a statement to completion. With `need_row`, zero changed rows is
 * JD_ENOTFOUND. *changes (may be NULL) gets sqlite3_changes.
 */
static int
run(struct conn *c, enum stmt id, bool need_row, int64_t *changes, const char *fmt, ...)
{
	struct q q;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(c, id, &q, fmt, ap);
	va_end(ap);
	if (rc != 0)
		return rc;
	while ((rc = q_step(&q)) == 1)
		;
	if (rc == 0) {
		int64_t n = sqlite3_changes64(c->db);

		if (changes != NULL)
			*changes = n;
		if (need_row && n == 0)
			rc = JD_ENOTFOUND;
	}
	q_close(&q);
	return rc;
}

/* Single-integer query (count, max). */
static int
scalar(struct conn *c, enum stmt id, int64_t *out, const char *fmt, ...)
{
	struct q q;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(c, id, &q, fmt, ap);
	va_end(ap);
	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		*out = sqlite3_column_int64(q.st, 0);
	q_close(&q);
	return rc;
}

/*
 * Add n to a monotonic counter and read its new value, the last of the n
 * taken (writer transactions only). Two statements: with RETURNING, SQLite
 * builds a temporary table for the returned row on every call.
 */
static int
seq_add(struct conn *c, const char *name, int64_t n, int64_t *out)
{
	int rc = run(c, ST_SEQ_ADD, false, NULL, "sI", name, n);

	return rc != 0 ? rc : scalar(c, ST_SEQ_GET, out, "s", name);
}

static int
seq_next(struct conn *c, const char *name, int64_t *out)
{
	return seq_add(c, name, 1, out);
}

static struct conn *
tx_conn(struct store_tx *tx)
{
	return (struct conn *)(void *)tx;
}

/* ---- column readers ---------------------------------------------------- */

static char *
col_dup(sqlite3_stmt *st, int i)
{
	return jd_strdup((const char *)sqlite3_column_text(st, i));
}

static void
col_cpy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	jd_strlcpy(dst, s != NULL ? s : "", size);
}

static void
row_thing(sqlite3_stmt *st, struct jd_thing *t)
{
	memset(t, 0, sizeof(*t));
	col_cpy(st, 0, t->name, sizeof(t->name));
	col_cpy(st, 1, t->id, sizeof(t->id));
	col_cpy(st, 2, t->type_name, sizeof(t->type_name));
	t->attributes = col_dup(st, 3);
	t->version = sqlite3_column_int64(st, 4);
	t->created_ms = sqlite3_column_int64(st, 5);
}

static void
row_group(sqlite3_stmt *st, struct jd_group *g)
{
	memset(g, 0, sizeof(*g));
	col_cpy(st, 0, g->name, sizeof(g->name));
	col_cpy(st, 1, g->id, sizeof(g->id));
	col_cpy(st, 2, g->parent, sizeof(g->parent));
	g->description = col_dup(st, 3);
	g->attributes = col_dup(st, 4);
	g->version = sqlite3_column_int64(st, 5);
	g->created_ms = sqlite3_column_int64(st, 6);
}

static void
row_job(sqlite3_stmt *st, struct jd_job *j)
{
	memset(j, 0, sizeof(*j));
	col_cpy(st, 0, j->job_id, sizeof(j->job_id));
	j->seq = sqlite3_column_int64(st, 1);
	j->status = sqlite3_column_int(st, 2);
	j->selection = sqlite3_column_int(st, 3);
	col_cpy(st, 4, j->namespace_id, sizeof(j->namespace_id));
	j->document = col_dup(st, 5);
	j->document_source = col_dup(st, 6);
	j->description = col_dup(st, 7);
	j->targets = col_dup(st, 8);
	j->config = col_dup(st, 9);
	j->template_arn = col_dup(st, 10);
	j->force_canceled = sqlite3_column_int(st, 11) != 0;
	col_cpy(st, 12, j->reason_code, sizeof(j->reason_code));
	j->comment = col_dup(st, 13);
	j->inprogress_timeout_min = sqlite3_column_int64(st, 14);
	j->created_ms = sqlite3_column_int64(st, 15);
	j->updated_ms = sqlite3_column_int64(st, 16);
	j->completed_ms = sqlite3_column_int64(st, 17);
	j->rollout_next_ms = sqlite3_column_int64(st, 18);
	j->rollout_notified = sqlite3_column_int64(st, 19);
	/* NULL (a row from before migration 7) or unreadable: policy stays zeroed */
	core_policy_unpack(sqlite3_column_blob(st, 20), (size_t)sqlite3_column_bytes(st, 20),
	    &j->policy);
}

static void
row_exec(sqlite3_stmt *st, struct jd_exec *x)
{
	memset(x, 0, sizeof(*x));
	col_cpy(st, 0, x->job_id, sizeof(x->job_id));
	col_cpy(st, 1, x->thing_name, sizeof(x->thing_name));
	x->number = sqlite3_column_int64(st, 2);
	x->seq = sqlite3_column_int64(st, 3);
	x->status = sqlite3_column_int(st, 4);
	x->force_canceled = sqlite3_column_int(st, 5) != 0;
	col_cpy(st, 6, x->namespace_id, sizeof(x->namespace_id));
	x->details = col_dup(st, 7);
	x->queued_ms = sqlite3_column_int64(st, 8);
	x->started_ms = sqlite3_column_int64(st, 9);
	x->updated_ms = sqlite3_column_int64(st, 10);
	x->version = sqlite3_column_int64(st, 11);
	x->retry_attempt = sqlite3_column_int64(st, 12);
	x->inprogress_deadline = sqlite3_column_int64(st, 13);
	x->step_deadline = sqlite3_column_int64(st, 14);
}

static void
row_template(sqlite3_stmt *st, struct jd_template *t)
{
	memset(t, 0, sizeof(*t));
	col_cpy(st, 0, t->id, sizeof(t->id));
	t->description = col_dup(st, 1);
	t->document = col_dup(st, 2);
	t->document_source = col_dup(st, 3);
	t->config = col_dup(st, 4);
	t->created_ms = sqlite3_column_int64(st, 5);
}

/*
 * The list loops: decode each row into a stack struct, hand it to cb, free
 * what it owns. Returns 0 at the end, cb's non-zero value, or an error.
 */
static int
each_thing(struct q *q, jd_thing_cb cb, void *arg)
{
	int rc;

	while ((rc = q_step(q)) == 1) {
		struct jd_thing row;

		row_thing(q->st, &row);
		rc = cb(arg, &row);
		jd_thing_release(&row);
		if (rc != 0)
			break;
	}
	q_close(q);
	return rc;
}

static int
each_group(struct q *q, jd_group_cb cb, void *arg)
{
	int rc;

	while ((rc = q_step(q)) == 1) {
		struct jd_group row;

		row_group(q->st, &row);
		rc = cb(arg, &row);
		jd_group_release(&row);
		if (rc != 0)
			break;
	}
	q_close(q);
	return rc;
}

static int
each_name(struct q *q, jd_name_cb cb, void *arg)
{
	int rc;

	while ((rc = q_step(q)) == 1) {
		char *name = col_dup(q->st, 0);

		rc = cb(arg, name != NULL ? name : "");
		free(name);
		if (rc != 0)
			break;
	}
	q_close(q);
	return rc;
}

static int
each_job(struct q *q, jd_job_cb cb, void *arg)
{
	int rc;

	while ((rc = q_step(q)) == 1) {
		struct jd_job row;

		row_job(q->st, &row);
		rc = cb(arg, &row);
		jd_job_release(&row);
		if (rc != 0)
			break;
	}
	q_close(q);
	return rc;
}

static int
each_exec(struct q *q, jd_exec_cb cb, void *arg)
{
	int rc;

	while ((rc = q_step(q)) == 1) {
		struct jd_exec row;

		row_exec(q->st, &row);
		rc = cb(arg, &row);
		jd_exec_release(&row);
		if (rc != 0)
			break;
	}
	q_close(q);
	return rc;
}

static int
each_template(struct q *q, jd_template_cb cb, void *arg)
{
	int rc;

	while ((rc = q_step(q)) == 1) {
		struct jd_template row;

		row_template(q->st, &row);
		rc = cb(arg, &row);
		jd_template_release(&row);
		if (rc != 0)
			break;
	}
	q_close(q);
	return rc;
}

/* ---- open, close, migrate ---------------------------------------------- */

static void group_end(struct sq_store *s, bool fail);

static void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static int
conn_open(struct sq_store *s, const char *path, bool writer, struct conn **out,
    struct jd_error *e)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
	const char *pragmas = writer ?
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;" :
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA query_only = ON;";
	struct conn *c = jd_calloc(1, sizeof(*c));
	int rc = 0;

	c->base.ops = &store_sqlite_ops;
	c->s = s;
	c->writer = writer;
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: cannot open %s: %s", path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, JD_STORE_BUSY_MS);
	if (writer) {
		sqlite3_stmt *st = NULL;
		const char *mode;

		/* journal_mode answers with the mode in force; WAL is persistent. */
		if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s: journal_mode: %s", path,
			    sqlite3_errmsg(c->db));
			goto out;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0)
			log_warn("store sqlite: %s: journal_mode is %s, not wal", path,
			    mode != NULL ? mode : "?");
		sqlite3_finalize(st);
	}
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s: pragmas: %s", path, sqlite3_errmsg(c->db));
		goto out;
	}
out:
	if (rc != 0) {
		conn_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
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
static int
migrate(struct conn *c, const char *path, struct jd_error *e)
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
		if (sqlite3_exec(c->db, migrations[v], NULL, NULL, &errmsg) != SQLITE_OK ||
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

static void
op_close(struct store *store)
{
	struct sq_store *s = (struct sq_store *)(void *)store;

	if (s == NULL)
		return;
	for (int i = 0; i < JD_STORE_READERS; i++)
		conn_close(s->readers[i]);
	/* Every transaction has ended, so no group is open: the last writer to
	 * leave ends it. An open one here would be a caller's bug; nobody can
	 * have been told it committed, so it is rolled back. */
	if (s->writer != NULL && s->outer) {
		log_error("store sqlite: closed with a write transaction open; rolling it back");
		group_end(s, true);
	}
	conn_close(s->writer);
	pthread_cond_destroy(&s->rcond);
	pthread_mutex_destroy(&s->rlock);
	pthread_cond_destroy(&s->gcond);
	pthread_cond_destroy(&s->wcond);
	pthread_mutex_destroy(&s->glock);
	free(s);
}

static int
op_open(const char *where, struct store **out, struct jd_error *e)
{
	struct sq_store *s = jd_calloc(1, sizeof(*s));
	pthread_condattr_t mono;
	int rc;

	*out = NULL;
	s->base.ops = &store_sqlite_ops;
	pthread_mutex_init(&s->glock, NULL);
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wcond, &mono);
	pthread_condattr_destroy(&mono);
	pthread_cond_init(&s->gcond, NULL);
	s->group_max = STORE_SQLITE_GROUP_MAX;
	s->group_max_ns = STORE_SQLITE_GROUP_MAX_NS;
	pthread_mutex_init(&s->rlock, NULL);
	pthread_cond_init(&s->rcond, NULL);
	if (where == NULL || *where == '\0') {
		rc = jd_error_set(e, JD_EINVAL, "sqlite: empty database path");
		goto out;
	}
	/* The writer first: it creates the file and switches it to WAL. */
	rc = conn_open(s, where, true, &s->writer, e);
	if (rc != 0)
		goto out;
	rc = migrate(s->writer, where, e);
	if (rc != 0)
		goto out;
	for (int i = 0; i < JD_STORE_READERS; i++) {
		rc = conn_open(s, where, false, &s->readers[i], e);
		if (rc != 0)
			goto out;
		s->readers[i]->next = s->free;
		s->free = s->readers[i];
	}
out:
	if (rc != 0)
		op_close((struct store *)(void *)s);
	else
		*out = (struct store *)(void *)s;
	return rc;
}

/* ---- transactions ------------------------------------------------------ */

static struct conn *
reader_take(struct sq_store *s)
{
	struct conn *c;

	pthread_mutex_lock(&s->rlock);
	while (s->free == NULL)
		pthread_cond_wait(&s->rcond, &s->rlock);
	c = s->free;
	s->free = c->next;
	c->next = NULL;
	pthread_mutex_unlock(&s->rlock);
	return c;
}

static void
reader_give(struct conn *c)
{
	struct sq_store *s = c->s;

	pthread_mutex_lock(&s->rlock);
	c->next = s->free;
	s->free = c;
	pthread_cond_signal(&s->rcond);
	pthread_mutex_unlock(&s->rlock);
}

static void
abandon(struct conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		run(c, ST_ROLLBACK, false, NULL, "");
}

/*
 * Group commit. The writer connection keeps one outer transaction (BEGIN
 * IMMEDIATE) open for a group of write transactions; each of them is a
 * SAVEPOINT inside it, so they run one after another on the connection, and
 * each sees the changes of the earlier ones (which precede it in the serial
 * order). commit() releases the savepoint, joins the group and hands the
 * connection to the next writer; whoever leaves the connection when no other
 * writer is waiting (or the group is full or old) COMMITs the outer
 * transaction: one fsync for every member. Only then do the members'
 * commit() calls return, all with the COMMIT's outcome, so success means
 * durable and a failed COMMIT fails every member (none has answered yet).
 * rollback() undoes only its own savepoint; if earlier members are pending,
 * it also waits for their COMMIT, since what it read (and may answer with,
 * e.g. "already IN_PROGRESS") includes their changes. A lone writer commits
 * at once.
 *
 * If an error rolled the outer transaction back behind our back (SQLite may
 * do so on SQLITE_FULL, an I/O error or out of memory), every waiting member
 * fails and the next writer starts a new group.
 */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Wait until the writer connection is free and take it, but not past
 * `deadline` (CLOCK_MONOTONIC ns): a store locked by another process makes
 * each queued writer fail after about the busy timeout from its arrival,
 * not after its turn in a line of busy timeouts. A waiter gives up only
 * while the writer is still taken, so a wake-up is never lost.
 */
static int
writer_take(struct sq_store *s, int64_t deadline)
{
	struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
	int rc = 0;

	pthread_mutex_lock(&s->glock);
	s->queued++;
	while (s->busy && rc == 0)
		rc = pthread_cond_timedwait(&s->wcond, &s->glock, &ts);
	s->queued--;
	if (s->busy) {
		pthread_mutex_unlock(&s->glock);
		log_error("store sqlite: the writer stayed busy for %d ms", JD_STORE_BUSY_MS);
		return JD_EUNAVAIL;
	}
	s->busy = true;
	pthread_mutex_unlock(&s->glock);
	return 0;
}

/* Give every member in list the outcome rc and wake them (glock held). */
static void
members_finish(struct sq_store *s, struct member *list, int rc)
{
	int64_t n = 0;

	if (list == NULL)
		return;
	while (list != NULL) {
		struct member *next = list->next;

		n += !list->observer;
		list->rc = rc;
		list->done = true;
		list = next;
	}
	pthread_cond_broadcast(&s->gcond);
	if (n == 0)
		return;
	if (rc == 0) {
		s->stats.groups++;
		s->stats.members += n;
		if (n > s->stats.max_members)
			s->stats.max_members = n;
	} else {
		s->stats.failed_groups++;
	}
}

/*
 * End the outer transaction (the caller owns the writer): COMMIT it if it
 * has members, else roll it back. The group's members are detached first
 * and told the outcome. A failed COMMIT is rolled back, so the next group
 * starts clean.
 */
static void
group_end(struct sq_store *s, bool fail)
{
	struct conn *c = s->writer;
	struct member *list;
	int rc = JD_EUNAVAIL;

	pthread_mutex_lock(&s->glock);
	list = s->members;
	s->members = NULL;
	s->nmembers = 0;
	pthread_mutex_unlock(&s->glock);

	if (!fail && list != NULL && !sqlite3_get_autocommit(c->db))
		rc = run(c, ST_COMMIT, false, NULL, "") == 0 ? 0 : JD_EUNAVAIL;
	else if (!fail && list != NULL)
		log_error("store sqlite: the group transaction was rolled back by an earlier error");
	abandon(c);
	s->outer = false;

	pthread_mutex_lock(&s->glock);
	members_finish(s, list, rc);
	pthread_mutex_unlock(&s->glock);
}

/*
 * Leave the writer connection at the end of a write transaction. self: it
 * released its savepoint and joins the group; NULL: it rolled back, or its
 * begin failed. Ends the group if nobody is waiting for the writer or the
 * group is full or old; otherwise the next writer takes over and self waits
 * for the group's outcome. Returns self's outcome (0 without self).
 */
static int
writer_leave(struct sq_store *s, struct member *self)
{
	bool end;
	int rc = 0;

	pthread_mutex_lock(&s->glock);
	if (self != NULL) {
		self->next = s->members;
		s->members = self;
		s->nmembers++;
	}
	end = s->outer && (s->queued == 0 || s->nmembers >= s->group_max ||
	    mono_ns() - s->group_start >= s->group_max_ns);
	pthread_mutex_unlock(&s->glock);
	if (end)
		group_end(s, false);

	pthread_mutex_lock(&s->glock);
	s->busy = false;
	pthread_cond_signal(&s->wcond);
	if (self != NULL) {
		s->stats.waiting++;
		while (!self->done)
			pthread_cond_wait(&s->gcond, &s->glock);
		s->stats.waiting--;
		rc = self->rc;
	}
	pthread_mutex_unlock(&s->glock);
	return rc;
}

/* True, after failing the group, if the outer transaction has been lost. */
static bool
group_lost(struct sq_store *s)
{
	if (!s->outer || !sqlite3_get_autocommit(s->writer->db))
		return false;
	log_error("store sqlite: the group transaction was rolled back by an earlier error");
	group_end(s, true);
	return true;
}

/* Undo the savepoint of the current write transaction; if that is not
 * possible, the whole group is lost. */
static void
member_undo(struct sq_store *s)
{
	struct conn *c = s->writer;

	if (group_lost(s))
		return;
	if (run(c, ST_ROLLBACK_TO, false, NULL, "") != 0 ||
	    run(c, ST_RELEASE, false, NULL, "") != 0 || sqlite3_get_autocommit(c->db))
		group_end(s, true);
}

static int
writer_begin(struct sq_store *s)
{
	struct conn *c = s->writer;
	int64_t deadline = mono_ns() + (int64_t)JD_STORE_BUSY_MS * 1000000;

	if (writer_take(s, deadline) != 0)
		return JD_EUNAVAIL;
	group_lost(s);
	if (!s->outer) {
		/* Another process may hold the lock: wait for it only until our deadline. */
		int64_t left_ms = (deadline - mono_ns()) / 1000000;
		int rc;

		sqlite3_busy_timeout(c->db, left_ms > 0 ? (int)left_ms : 1);
		rc = run(c, ST_BEGIN_WRITE, false, NULL, "");
		sqlite3_busy_timeout(c->db, JD_STORE_BUSY_MS);
		if (rc != 0) {
			abandon(c);
			writer_leave(s, NULL);
			return JD_EUNAVAIL;
		}
		s->outer = true;
		s->group_start = mono_ns();
	}
	if (run(c, ST_SAVEPOINT, false, NULL, "") != 0) {
		group_lost(s);
		writer_leave(s, NULL);
		return JD_EUNAVAIL;
	}
	return 0;
}

static int
writer_commit(struct sq_store *s)
{
	struct conn *c = s->writer;
	struct member self = {NULL, 0, false, false};

	if (group_lost(s)) {
		writer_leave(s, NULL);
		return JD_EUNAVAIL;
	}
	if (run(c, ST_RELEASE, false, NULL, "") != 0 || sqlite3_get_autocommit(c->db)) {
		member_undo(s);
		writer_leave(s, NULL);
		return JD_EUNAVAIL;
	}
	return writer_leave(s, &self);
}

static int
op_begin(struct store *store, bool write, struct store_tx **out)
{
	struct sq_store *s = (struct sq_store *)(void *)store;
	struct conn *c;

	*out = NULL;
	if (write) {
		if (writer_begin(s) != 0)
			return JD_EUNAVAIL;
		*out = (struct store_tx *)(void *)s->writer;
		return 0;
	}
	c = reader_take(s);
	if (run(c, ST_BEGIN, false, NULL, "") != 0) {
		abandon(c);
		reader_give(c);
		return JD_EUNAVAIL;
	}
	*out = (struct store_tx *)(void *)c;
	return 0;
}

static int
op_commit(struct store_tx *tx)
{
	struct conn *c = tx_conn(tx);
	int rc;

	if (c->writer)
		return writer_commit(c->s);
	rc = run(c, ST_COMMIT, false, NULL, "");
	if (rc != 0) {
		abandon(c);
		rc = JD_EUNAVAIL;
	}
	reader_give(c);
	return rc;
}

static void
op_rollback(struct store_tx *tx)
{
	struct conn *c = tx_conn(tx);

	if (c->writer) {
		struct sq_store *s = c->s;
		struct member self = {NULL, 0, false, true};
		bool saw;

		member_undo(s);
		/* It may have answered from earlier members' changes: it returns
		 * once they are durable (their failure it cannot report). */
		pthread_mutex_lock(&s->glock);
		saw = s->nmembers > 0;
		pthread_mutex_unlock(&s->glock);
		writer_leave(s, saw ? &self : NULL);
		return;
	}
	abandon(c);
	reader_give(c);
}

void
store_sqlite__stats(struct store *store, struct store_sqlite_stats *out)
{
	struct sq_store *s = (struct sq_store *)(void *)store;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s->base.ops != &store_sqlite_ops)
		return;
	pthread_mutex_lock(&s->glock);
	*out = s->stats;
	out->queued = s->queued;
	pthread_mutex_unlock(&s->glock);
}

static int64_t
conn_reprepares(const struct conn *c)
{
	int64_t n = 0;

	for (int i = 0; c != NULL && i < ST__COUNT; i++)
		if (c->st[i] != NULL)
			n += sqlite3_stmt_status(c->st[i], SQLITE_STMTSTATUS_REPREPARE, 0);
	return n;
}

int64_t
store_sqlite__reprepares(struct store *store)
{
	struct sq_store *s = (struct sq_store *)(void *)store;
	int64_t n;

	if (s == NULL || s->base.ops != &store_sqlite_ops)
		return 0;
	n = conn_reprepares(s->writer);
	for (int i = 0; i < JD_STORE_READERS; i++)
		n += conn_reprepares(s->readers[i]);
	return n;
}

void
store_sqlite__set_group(struct store *store, int max_members, int64_t max_ns)
{
	struct sq_store *s = (struct sq_store *)(void *)store;

	if (s == NULL || s->base.ops != &store_sqlite_ops)
		return;
	pthread_mutex_lock(&s->glock);
	s->group_max = max_members > 0 ? max_members : STORE_SQLITE_GROUP_MAX;
	s->group_max_ns = max_ns > 0 ? max_ns : STORE_SQLITE_GROUP_MAX_NS;
	pthread_mutex_unlock(&s->glock);
}

const char *
store_sqlite__stmt(int i, const char **name)
{
	if (i < 0 || i >= ST__COUNT)
		return NULL;
	if (name != NULL)
		*name = stmt_name[i];
	return stmt_sql[i];
}

/* ---- meta -------------------------------------------------------------- */

static int
op_wipe(struct store_tx *tx)
{
	struct conn *c = tx_conn(tx);

	if (sqlite3_get_autocommit(c->db))
		return JD_EUNAVAIL;
	if (sqlite3_exec(c->db, wipe_sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(c, "wipe", NULL);
	return 0;
}

static int
op_meta_get(struct store_tx *tx, const char *key, char **val)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_META_GET, &q, "s", key);

	*val = NULL;
	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		*val = col_dup(q.st, 0);
	q_close(&q);
	return rc;
}

static int
op_meta_put(struct store_tx *tx, const char *key, const char *val)
{
	return run(tx_conn(tx), ST_META_PUT, false, NULL, "sa", key, val);
}

/* ---- things ------------------------------------------------------------ */

static int
op_thing_get(struct store_tx *tx, const char *name, struct jd_thing *out)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_THING_GET, &q, "s", name);

	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		row_thing(q.st, out);
	q_close(&q);
	return rc;
}

static int
op_thing_insert(struct store_tx *tx, const struct jd_thing *t)
{
	return run(tx_conn(tx), ST_THING_INSERT, false, NULL, "ssnsII", t->name, t->id,
	    t->type_name, t->attributes, t->version, t->created_ms);
}

static int
op_thing_update(struct store_tx *tx, const struct jd_thing *t)
{
	return run(tx_conn(tx), ST_THING_UPDATE, true, NULL, "ssnsII", t->name, t->id,
	    t->type_name, t->attributes, t->version, t->created_ms);
}

static int
op_thing_delete(struct store_tx *tx, const char *name)
{
	struct conn *c = tx_conn(tx);
	int rc = run(c, ST_THING_DELETE, true, NULL, "s", name);

	if (rc == 0)
		rc = run(c, ST_THING_UNLINK, false, NULL, "s", name);
	return rc;
}

static int
op_thing_list(struct store_tx *tx, const struct jd_thing_filter *f, const char *after,
    int limit, jd_thing_cb cb, void *arg)
{
	static const struct jd_thing_filter none = {NULL, NULL, false, NULL};
	struct q q;
	int rc;

	if (f == NULL)
		f = &none;
	/* An attribute value filter without a name is no filter. */
	rc = q_open(tx_conn(tx), ST_THING_LIST, &q, "annnbL", after, f->type_name, f->attr_name,
	    f->attr_name != NULL && *f->attr_name != '\0' ? f->attr_value : NULL,
	    (int)f->attr_prefix, limit);
	if (rc != 0)
		return rc;
	return each_thing(&q, cb, arg);
}

static int
op_thing_groups(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_THING_GROUPS, &q, "s", thing);

	if (rc != 0)
		return rc;
	return each_name(&q, cb, arg);
}

/* ---- groups ------------------------------------------------------------ */

static int
op_group_get(struct store_tx *tx, const char *name, struct jd_group *out)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_GROUP_GET, &q, "s", name);

	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		row_group(q.st, out);
	q_close(&q);
	return rc;
}

static int
op_group_insert(struct store_tx *tx, const struct jd_group *g)
{
	return run(tx_conn(tx), ST_GROUP_INSERT, false, NULL, "ssnssII", g->name, g->id,
	    g->parent, g->description, g->attributes, g->version, g->created_ms);
}

static int
op_group_delete(struct store_tx *tx, const char *name)
{
	struct conn *c = tx_conn(tx);
	int rc = run(c, ST_GROUP_DELETE, true, NULL, "s", name);

	if (rc == 0)
		rc = run(c, ST_GROUP_UNLINK, false, NULL, "s", name);
	return rc;
}

static int
op_group_list(struct store_tx *tx, const struct jd_group_filter *f, const char *after,
    int limit, jd_group_cb cb, void *arg)
{
	struct q q;
	int rc;

	/* No parent: the tree below the root, i.e. root groups or every group. */
	if (f == NULL)
		rc = q_open(tx_conn(tx), ST_GROUP_LIST, &q, "nbanL", NULL, 1, after, NULL, limit);
	else
		rc = q_open(tx_conn(tx), ST_GROUP_LIST, &q, "nbanL", f->parent, (int)f->recursive,
		    after, f->name_prefix, limit);
	if (rc != 0)
		return rc;
	return each_group(&q, cb, arg);
}

static int
op_group_child_count(struct store_tx *tx, const char *name, int64_t *n)
{
	return scalar(tx_conn(tx), ST_GROUP_CHILD_COUNT, n, "s", name);
}

static int
op_member_add(struct store_tx *tx, const char *group, const char *thing)
{
	return run(tx_conn(tx), ST_MEMBER_ADD, false, NULL, "ss", group, thing);
}

static int
op_member_remove(struct store_tx *tx, const char *group, const char *thing)
{
	return run(tx_conn(tx), ST_MEMBER_REMOVE, true, NULL, "ss", group, thing);
}

static int
op_member_list(struct store_tx *tx, const char *group, bool recursive, const char *after,
    int limit, jd_name_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_MEMBER_LIST, &q, "sbaL", group, (int)recursive, after,
	    limit);

	if (rc != 0)
		return rc;
	return each_name(&q, cb, arg);
}

/* ---- jobs -------------------------------------------------------------- */

static int
op_job_get(struct store_tx *tx, const char *job_id, struct jd_job *out)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_JOB_GET, &q, "s", job_id);

	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		row_job(q.st, out);
	q_close(&q);
	return rc;
}

/* Two early columns: no overflow page of the row (targets, document) is read. */
static int
op_job_status(struct store_tx *tx, const char *job_id, int *status, int *selection)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_JOB_STATUS, &q, "s", job_id);

	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0) {
		*status = sqlite3_column_int(q.st, 0);
		*selection = sqlite3_column_int(q.st, 1);
	}
	q_close(&q);
	return rc;
}

static int
op_job_insert(struct store_tx *tx, struct jd_job *j)
{
	struct conn *c = tx_conn(tx);
	int64_t seq = 0;
	size_t plen = 0;
	unsigned char *policy = NULL;
	int rc = seq_next(c, "job", &seq);

	if (rc != 0)
		return rc;
	policy = core_policy_pack(&j->policy, &plen);
	rc = run(c, ST_JOB_INSERT, false, NULL, "sIiinssssssbnsIIIIIIB", j->job_id, seq, j->status,
	    j->selection, j->namespace_id, j->document, j->document_source, j->description,
	    j->targets, j->config, j->template_arn, (int)j->force_canceled, j->reason_code,
	    j->comment, j->inprogress_timeout_min, j->created_ms, j->updated_ms, j->completed_ms,
	    j->rollout_next_ms, j->rollout_notified, (const void *)policy, plen);
	free(policy);
	if (rc == 0)
		j->seq = seq;
	return rc;
}

static int
op_job_update(struct store_tx *tx, const struct jd_job *j)
{
	size_t plen = 0;
	unsigned char *policy = core_policy_pack(&j->policy, &plen);
	int rc = run(tx_conn(tx), ST_JOB_UPDATE, true, NULL, "siinssssssbnsIIIIIIB", j->job_id,
	    j->status, j->selection, j->namespace_id, j->document, j->document_source,
	    j->description, j->targets, j->config, j->template_arn, (int)j->force_canceled,
	    j->reason_code, j->comment, j->inprogress_timeout_min, j->created_ms, j->updated_ms,
	    j->completed_ms, j->rollout_next_ms, j->rollout_notified, (const void *)policy, plen);

	free(policy);
	return rc;
}

static int
op_job_delete(struct store_tx *tx, const char *job_id)
{
	struct conn *c = tx_conn(tx);
	int rc = run(c, ST_JOB_DELETE, true, NULL, "s", job_id);

	if (rc == 0)
		rc = run(c, ST_JOB_UNTARGET, false, NULL, "s", job_id);
	if (rc == 0)
		rc = run(c, ST_ROLLOUT_CLEAR, false, NULL, "s", job_id);
	return rc;
}

static int
op_rollout_push(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing)
{
	return run(tx_conn(tx), ST_ROLLOUT_PUSH, false, NULL, "sIs", job_id, pos, thing);
}

static int
op_rollout_pop(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb, void *arg)
{
	struct conn *c = tx_conn(tx);
	struct q q;
	int64_t last = -1;
	int rc = q_open(c, ST_ROLLOUT_PEEK, &q, "sL", job_id, limit);

	if (rc != 0)
		return rc;
	while ((rc = q_step(&q)) == 1) {
		last = sqlite3_column_int64(q.st, 0);
		if ((rc = cb(arg, (const char *)sqlite3_column_text(q.st, 1))) != 0)
			break;
	}
	q_close(&q);
	if (rc < 0)
		return rc;
	if (last >= 0) {
		int rc2 = run(c, ST_ROLLOUT_DROP, false, NULL, "sI", job_id, last);
		if (rc2 != 0)
			return rc2;
	}
	return rc;
}

static int
op_rollout_clear(struct store_tx *tx, const char *job_id)
{
	return run(tx_conn(tx), ST_ROLLOUT_CLEAR, false, NULL, "s", job_id);
}

static int
op_job_rollout_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_JOB_ROLLOUT_DUE, &q, "IL", now_ms, limit);

	if (rc != 0)
		return rc;
	return each_job(&q, cb, arg);
}

static int
op_job_list(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq,
    int limit, jd_job_cb cb, void *arg)
{
	static const struct jd_job_filter none = {-1, -1, NULL, NULL};
	struct q q;
	int rc;

	if (f == NULL)
		f = &none;
	rc = q_open(tx_conn(tx), ST_JOB_LIST, &q, "IiisnL", before_seq > 0 ? before_seq : INT64_MAX,
	    f->status, f->selection, f->namespace_id, f->group_name, limit);
	if (rc != 0)
		return rc;
	return each_job(&q, cb, arg);
}

static int
op_job_count_status(struct store_tx *tx, int status, int64_t *n)
{
	return scalar(tx_conn(tx), ST_JOB_COUNT_STATUS, n, "i", status);
}

static int
op_job_target_add(struct store_tx *tx, const char *job_id, const char *group)
{
	return run(tx_conn(tx), ST_JOB_TARGET_ADD, false, NULL, "ss", job_id, group);
}

static int
op_job_list_by_group(struct store_tx *tx, const char *group, jd_job_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_JOB_LIST_BY_GROUP, &q, "s", group);

	if (rc != 0)
		return rc;
	return each_job(&q, cb, arg);
}

/* ---- executions -------------------------------------------------------- */

static int
op_exec_get(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_EXEC_GET, &q, "ssI", job_id, thing, number);

	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		row_exec(q.st, out);
	q_close(&q);
	return rc;
}

/* The row of x with the given seq; sets x->seq. */
static int
exec_row_insert(struct conn *c, struct jd_exec *x, int64_t seq)
{
	int rc = run(c, ST_EXEC_INSERT, false, NULL, "ssIIibnsIIIIIII", x->job_id, x->thing_name,
	    x->number, seq, x->status, (int)x->force_canceled, x->namespace_id, x->details,
	    x->queued_ms, x->started_ms, x->updated_ms, x->version, x->retry_attempt,
	    x->inprogress_deadline, x->step_deadline);

	if (rc == 0)
		x->seq = seq;
	return rc;
}

static int
op_exec_insert(struct store_tx *tx, struct jd_exec *x)
{
	struct conn *c = tx_conn(tx);
	int64_t seq = 0;
	int rc = seq_next(c, "exec", &seq);

	if (rc != 0)
		return rc;
	return exec_row_insert(c, x, seq);
}

/*
 * n first executions of one job and status: one block of seqs, the rows
 * without the per-row count trigger, then their counts at once. Each row
 * is the only execution of its (job, thing), so each is the latest: the
 * trigger would have added 1 to both latest and total of (job, status).
 */
static int
op_exec_insert_first(struct store_tx *tx, struct jd_exec *xs, size_t n)
{
	struct conn *c = tx_conn(tx);
	int64_t last = 0;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(xs[i].job_id, xs[0].job_id) != 0 || xs[i].status != xs[0].status)
			return JD_EINVAL;
	if ((rc = seq_add(c, "exec", (int64_t)n, &last)) != 0 ||
	    (rc = run(c, ST_BULK_SET, false, NULL, "i", 1)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct jd_exec *x = &xs[i];
		rc = exec_row_insert(c, x, last - (int64_t)n + 1 + (int64_t)i);
	}
	/* on failure the caller rolls back, the flag with the rest */
	if (rc == 0)
		rc = run(c, ST_BULK_SET, false, NULL, "i", 0);
	if (rc == 0)
		rc = run(c, ST_COUNTS_ADD, false, NULL, "siII", xs[0].job_id, xs[0].status, (int64_t)n,
		    (int64_t)n);
	return rc;
}

/*
 * Update the row, and on a status change move it between the counts (what
 * the update trigger did until migration 6): it leaves its old status and
 * enters the new one, as the thing's latest or not.
 */
static int
op_exec_update(struct store_tx *tx, const struct jd_exec *x)
{
	struct conn *c = tx_conn(tx);
	struct q q;
	int old = 0, latest = 0;
	int rc = q_open(c, ST_EXEC_STATUS, &q, "ssI", x->job_id, x->thing_name, x->number);

	if (rc != 0)
		return rc;
	if ((rc = q_one(&q)) == 0) {
		old = sqlite3_column_int(q.st, 0);
		latest = sqlite3_column_int(q.st, 1);
	}
	q_close(&q);
	if (rc != 0)
		return rc;
	rc = run(c, ST_EXEC_UPDATE, true, NULL, "ssIibnsIIIIIII", x->job_id, x->thing_name,
	    x->number, x->status, (int)x->force_canceled, x->namespace_id, x->details, x->queued_ms,
	    x->started_ms, x->updated_ms, x->version, x->retry_attempt, x->inprogress_deadline,
	    x->step_deadline);
	if (rc != 0 || old == x->status)
		return rc;
	if ((rc = run(c, ST_COUNTS_LEAVE, false, NULL, "sii", x->job_id, old, latest)) != 0 ||
	    (rc = run(c, ST_COUNTS_PRUNE, false, NULL, "si", x->job_id, old)) != 0)
		return rc;
	return run(c, ST_COUNTS_ADD, false, NULL, "siii", x->job_id, x->status, latest, 1);
}

static int
op_exec_delete(struct store_tx *tx, const char *job_id, const char *thing, int64_t number)
{
	return run(tx_conn(tx), ST_EXEC_DELETE, true, NULL, "ssI", job_id, thing, number);
}

static int
op_exec_max_number(struct store_tx *tx, const char *job_id, const char *thing, int64_t *n)
{
	return scalar(tx_conn(tx), ST_EXEC_MAX_NUMBER, n, "ss", job_id, thing);
}

static int
op_exec_list_job(struct store_tx *tx, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_EXEC_LIST_JOB, &q, "siaIL", job_id, status, after_thing,
	    after_number, limit);

	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

static int
op_exec_list_thing(struct store_tx *tx, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg)
{
	static const struct jd_exec_filter none = {-1, NULL, NULL};
	struct q q;
	int rc;

	if (f == NULL)
		f = &none;
	rc = q_open(tx_conn(tx), ST_EXEC_LIST_THING, &q, "sIinsL", thing,
	    before_seq > 0 ? before_seq : INT64_MAX, f->status, f->job_id, f->namespace_id, limit);
	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

struct counted {
	jd_exec_cb cb;
	void *arg;
	int n;
};

static int
counted_cb(void *arg, const struct jd_exec *x)
{
	struct counted *c = arg;

	c->n++;
	return c->cb(c->arg, x);
}

/*
 * IN_PROGRESS first, then QUEUED, each by queued_ms, seq: one walk of
 * executions_pending per status. (One statement over "status IN (0, 1)"
 * built a temporary table for the IN list and a temporary b-tree to sort,
 * on every call; see t_statements_build_no_temp_btrees.)
 */
static int
op_exec_pending(struct store_tx *tx, const char *thing, const char *namespace_id, int limit,
    jd_exec_cb cb, void *arg)
{
	static const enum stmt order[] = {ST_EXEC_PENDING_RUNNING, ST_EXEC_PENDING_QUEUED};
	struct counted c = {cb, arg, 0};

	/* limit <= 0: no limit (as 'L' binds it) */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && (limit <= 0 || c.n < limit);
	     i++) {
		struct q q;
		int rc = q_open(tx_conn(tx), order[i], &q, "snL", thing, namespace_id,
		    limit > 0 ? limit - c.n : 0);

		if (rc != 0 || (rc = each_exec(&q, counted_cb, &c)) != 0)
			return rc;
	}
	return 0;
}

static int
op_exec_pending_job(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_EXEC_PENDING_JOB, &q, "s", job_id);

	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

static int
op_exec_counts(struct store_tx *tx, const char *job_id, struct jd_counts *out)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_EXEC_COUNTS, &q, "s", job_id);

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	while ((rc = q_step(&q)) == 1) {
		int status = sqlite3_column_int(q.st, 0);

		if (status >= 0 && status < JD_EXEC__COUNT)
			out->n[status] = sqlite3_column_int64(q.st, 1);
	}
	q_close(&q);
	return rc;
}

static int
op_exec_active_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	return scalar(tx_conn(tx), ST_EXEC_ACTIVE_COUNT, n, "s", job_id);
}

static int
op_exec_delete_job(struct store_tx *tx, const char *job_id, int limit, int64_t *n)
{
	*n = 0;
	return run(tx_conn(tx), ST_EXEC_DELETE_JOB, false, n, "sL", job_id, limit);
}

static int
op_exec_due(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_EXEC_DUE, &q, "IL", now_ms, limit);

	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

/* ---- templates --------------------------------------------------------- */

static int
op_template_get(struct store_tx *tx, const char *id, struct jd_template *out)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_TEMPLATE_GET, &q, "s", id);

	if (rc != 0)
		return rc;
	rc = q_one(&q);
	if (rc == 0)
		row_template(q.st, out);
	q_close(&q);
	return rc;
}

static int
op_template_insert(struct store_tx *tx, const struct jd_template *t)
{
	return run(tx_conn(tx), ST_TEMPLATE_INSERT, false, NULL, "sssssI", t->id, t->description,
	    t->document, t->document_source, t->config, t->created_ms);
}

static int
op_template_delete(struct store_tx *tx, const char *id)
{
	return run(tx_conn(tx), ST_TEMPLATE_DELETE, true, NULL, "s", id);
}

static int
op_template_list(struct store_tx *tx, const char *after, int limit, jd_template_cb cb,
    void *arg)
{
	struct q q;
	int rc = q_open(tx_conn(tx), ST_TEMPLATE_LIST, &q, "aL", after, limit);

	if (rc != 0)
		return rc;
	return each_template(&q, cb, arg);
}

const struct store_ops store_sqlite_ops = {
	.version = STORE_OPS_VERSION,
	.name = "sqlite",
	.open = op_open,
	.close = op_close,
	.begin = op_begin,
	.commit = op_commit,
	.rollback = op_rollback,
	.wipe = op_wipe,
	.rollout_push = op_rollout_push,
	.rollout_pop = op_rollout_pop,
	.rollout_clear = op_rollout_clear,
	.job_rollout_due = op_job_rollout_due,
	.meta_get = op_meta_get,
	.meta_put = op_meta_put,
	.thing_get = op_thing_get,
	.thing_insert = op_thing_insert,
	.thing_update = op_thing_update,
	.thing_delete = op_thing_delete,
	.thing_list = op_thing_list,
	.thing_groups = op_thing_groups,
	.group_get = op_group_get,
	.group_insert = op_group_insert,
	.group_delete = op_group_delete,
	.group_list = op_group_list,
	.group_child_count = op_group_child_count,
	.member_add = op_member_add,
	.member_remove = op_member_remove,
	.member_list = op_member_list,
	.job_get = op_job_get,
	.job_status = op_job_status,
	.job_insert = op_job_insert,
	.job_update = op_job_update,
	.job_delete = op_job_delete,
	.job_list = op_job_list,
	.job_count_status = op_job_count_status,
	.job_target_add = op_job_target_add,
	.job_list_by_group = op_job_list_by_group,
	.exec_get = op_exec_get,
	.exec_insert = op_exec_insert,
	.exec_insert_first = op_exec_insert_first,
	.exec_update = op_exec_update,
	.exec_delete = op_exec_delete,
	.exec_max_number = op_exec_max_number,
	.exec_list_job = op_exec_list_job,
	.exec_list_thing = op_exec_list_thing,
	.exec_pending = op_exec_pending,
	.exec_pending_job = op_exec_pending_job,
	.exec_counts = op_exec_counts,
	.exec_active_count = op_exec_active_count,
	.exec_delete_job = op_exec_delete_job,
	.exec_due = op_exec_due,
	.template_get = op_template_get,
	.template_insert = op_template_insert,
	.template_delete = op_template_delete,
	.template_list = op_template_list,
};
