/*
 * stmt.c: the statement table of the SQLite backend: every SQL text the
 * backend runs, indexed by enum stmt (sqlite_int.h).
 *
 * Statements are prepared lazily per connection (query.c) and kept. Optional
 * filters are written into the SQL as `(?N IS NULL OR col = ?N)`, so one
 * statement serves every combination. Bind arguments follow the ?N
 * numbering of each statement.
 */
#include "store/sqlite/sqlite_int.h"

#define THING_COLS "name, id, type_name, attributes, version, created_ms"
#define GROUP_COLS                                                                                   \
	"name, id, parent, description, attributes, version, created_ms, query_string, index_name, " \
	"query_version"
#define JOB_COLS                                                                                 \
	"job_id, seq, status, selection, namespace_id, document, document_source, description, " \
	"targets, config, template_arn, force_canceled, reason_code, comment, "                  \
	"inprogress_timeout_min, created_ms, updated_ms, completed_ms, rollout_next_ms, "        \
	"rollout_notified, policy, sched_due_ms"
#define EXEC_COLS                                                                          \
	"job_id, thing_name, number, seq, status, force_canceled, namespace_id, details, " \
	"queued_ms, started_ms, updated_ms, version, retry_attempt, inprogress_deadline, " \
	"step_deadline"
/* What an execution summary needs (ops_exec.c, sq__exec_list_job_summary) */
#define EXEC_SUMMARY_COLS \
	"thing_name, number, status, queued_ms, started_ms, updated_ms, retry_attempt"
#define TEMPLATE_COLS "id, description, document, document_source, config, created_ms"
#define TYPE_COLS "name, id, properties, deprecated, deprecated_ms, created_ms"

/* Descendants of ?1 (NULL = the root) when ?2, else its direct children. */
#define GROUP_TREE                                          \
	"WITH RECURSIVE sub(name) AS ("                     \
	" SELECT name FROM thing_groups WHERE parent IS ?1" \
	" UNION ALL"                                        \
	" SELECT g.name FROM thing_groups g JOIN sub ON g.parent = sub.name WHERE ?2) "

/* Status filter on ?N: any, pending, else equality. */
#define STATUS_FILTER(n)                                                                \
	"(" n " = " SQL_FILTER_ANY " OR status = " n " OR (" n " = " SQL_FILTER_PENDING \
	" AND status IN " SQL_EXEC_PENDING "))"

/*
 * The pending executions of one status (a literal: with "status = ?", the
 * partial index's use depends on the bound value, and SQLite re-prepares
 * the statement whenever that binding changes). "status IN " SQL_EXEC_PENDING
 * is the index's own WHERE, which lets the planner use it. Executions of a
 * job being deleted or not yet started (scheduled) are not pending for the
 * device.
 */
#define EXEC_PENDING_SQL(status)                                                         \
	"SELECT " EXEC_COLS " FROM executions"                                           \
	" WHERE thing_name = ?1 AND namespace_id IS ?2 AND status = " status             \
	" AND status IN " SQL_EXEC_PENDING " AND NOT EXISTS (SELECT 1 FROM jobs"         \
	"  WHERE jobs.job_id = executions.job_id"                                        \
	" AND jobs.status IN (" SQL_JOB_DELETION_IN_PROGRESS ", " SQL_JOB_SCHEDULED "))" \
	" ORDER BY queued_ms, seq LIMIT ?3"

/* STMT(name, SQL): the entry of ST_name. */
/* A page of job ?1's executions with status filter ?2 after (?3, ?4), at
 * most ?5: EXEC_LIST_JOB and its _SUMMARY form */
#define LIST_JOB_PAGE                                                            \
	" FROM executions WHERE job_id = ?1 AND (thing_name, number) > (?3, ?4)" \
	" AND " STATUS_FILTER("?2") " ORDER BY thing_name, number LIMIT ?5"

/* 1 if execution (?1, ?2, ?3) is its thing's latest of the job, else 0 */
#define EXEC_IS_LATEST                                            \
	"(NOT EXISTS (SELECT 1 FROM executions WHERE job_id = ?1" \
	" AND thing_name = ?2 AND number > ?3))"

#define STMT(name, sql) [ST_##name] = {#name, sql}

static const struct {
	const char *name;
	const char *sql;
} stmts[ST__COUNT] = {
    STMT(BEGIN, "BEGIN"),
    STMT(BEGIN_WRITE, "BEGIN IMMEDIATE"),
    STMT(COMMIT, "COMMIT"),
    STMT(ROLLBACK, "ROLLBACK"),
    STMT(SAVEPOINT, "SAVEPOINT tx"),
    STMT(RELEASE, "RELEASE tx"),
    STMT(ROLLBACK_TO, "ROLLBACK TO tx"),
    STMT(SEQ_ADD,
        "INSERT INTO counters (name, value) VALUES (?1, ?2)"
        " ON CONFLICT (name) DO UPDATE SET value = value + ?2"),
    STMT(SEQ_GET, "SELECT value FROM counters WHERE name = ?1"),
    /* execution (?1, ?2, ?3) leaves status ?4 and enters ?5, as the thing's
     * latest or not (two statements: one of two rows takes a statement
     * journal, and cost twice as much). A count left at zero stays, as a
     * zero: at most one row per job and status. */
    STMT(COUNTS_LEAVE,
        "UPDATE job_exec_counts SET total = total - 1, latest = latest - " EXEC_IS_LATEST
        " WHERE job_id = ?1 AND status = ?4"),
    STMT(COUNTS_ENTER,
        "INSERT INTO job_exec_counts (job_id, status, latest, total)"
        " VALUES (?1, ?5, " EXEC_IS_LATEST ", 1) ON CONFLICT (job_id, status) DO UPDATE"
        " SET latest = latest + excluded.latest, total = total + 1"),
    STMT(COUNTS_ADD,
        "INSERT INTO job_exec_counts (job_id, status, latest, total)"
        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (job_id, status) DO UPDATE"
        " SET latest = latest + ?3, total = total + ?4"),
    STMT(META_GET, "SELECT value FROM meta WHERE key = ?1"),
    STMT(META_PUT,
        "INSERT INTO meta (key, value) VALUES (?1, ?2)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    STMT(THING_GET, "SELECT " THING_COLS " FROM things WHERE name = ?1"),
    STMT(THING_INSERT, "INSERT INTO things (" THING_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
    /* THING_INSERT only where no thing of the name and no dynamic thing group
     * exist (store_read.h, thing_insert_if) */
    STMT(THING_INSERT_IF,
        "INSERT INTO things (" THING_COLS ") SELECT ?1, ?2, ?3, ?4, ?5, ?6"
        " WHERE NOT EXISTS (SELECT 1 FROM thing_groups WHERE query_string IS NOT NULL)"
        " ON CONFLICT DO NOTHING"),
    STMT(THING_UPDATE,
        "UPDATE things SET id = ?2, type_name = ?3, attributes = ?4,"
        " version = ?5, created_ms = ?6 WHERE name = ?1"),
    STMT(THING_DELETE, "DELETE FROM things WHERE name = ?1"),
    STMT(THING_UNLINK, "DELETE FROM group_members WHERE thing_name = ?1"),
    STMT(THING_LIST,
        "SELECT " THING_COLS " FROM things WHERE name > ?1"
        " AND (?2 IS NULL OR type_name = ?2)"
        " AND (?3 IS NULL OR CASE"
        "  WHEN json_extract(attributes, '$.\"' || ?3 || '\"') IS NULL THEN 0"
        "  WHEN ?4 IS NULL THEN 1"
        "  WHEN ?5 THEN substr(json_extract(attributes, '$.\"' || ?3 || '\"'), 1,"
        "    length(?4)) = ?4"
        "  ELSE json_extract(attributes, '$.\"' || ?3 || '\"') = ?4 END)"
        " ORDER BY name LIMIT ?6"),
    STMT(THING_GROUPS,
        "SELECT group_name FROM group_members WHERE thing_name = ?1"
        " ORDER BY group_name"),
    STMT(GROUP_GET, "SELECT " GROUP_COLS " FROM thing_groups WHERE name = ?1"),
    STMT(GROUP_INSERT,
        "INSERT INTO thing_groups (" GROUP_COLS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
    STMT(GROUP_DELETE, "DELETE FROM thing_groups WHERE name = ?1"),
    STMT(GROUP_UNLINK, "DELETE FROM group_members WHERE group_name = ?1"),
    STMT(GROUP_LIST,
        GROUP_TREE "SELECT " GROUP_COLS " FROM thing_groups"
                   " WHERE name IN (SELECT name FROM sub) AND name > ?3"
                   " AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)"
                   " ORDER BY name LIMIT ?5"),
    STMT(GROUP_CHILD_COUNT, "SELECT count(*) FROM thing_groups WHERE parent = ?1"),
    STMT(MEMBER_ADD, "INSERT INTO group_members (group_name, thing_name) VALUES (?1, ?2)"),
    STMT(MEMBER_REMOVE, "DELETE FROM group_members WHERE group_name = ?1 AND thing_name = ?2"),
    STMT(MEMBER_LIST,
        "WITH RECURSIVE sub(name) AS ("
        " SELECT ?1 UNION"
        " SELECT g.name FROM thing_groups g JOIN sub ON g.parent = sub.name WHERE ?2)"
        " SELECT DISTINCT thing_name FROM group_members"
        " WHERE group_name IN (SELECT name FROM sub) AND thing_name > ?3"
        " ORDER BY thing_name LIMIT ?4"),
    STMT(JOB_GET, "SELECT " JOB_COLS " FROM jobs WHERE job_id = ?1"),
    STMT(JOB_STATUS, "SELECT status, selection FROM jobs WHERE job_id = ?1"),
    STMT(JOB_INSERT,
        "INSERT INTO jobs (" JOB_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
        " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"),
    STMT(JOB_UPDATE,
        "UPDATE jobs SET status = ?2, selection = ?3, namespace_id = ?4,"
        " document = ?5, document_source = ?6, description = ?7, targets = ?8, config = ?9,"
        " template_arn = ?10, force_canceled = ?11, reason_code = ?12, comment = ?13,"
        " inprogress_timeout_min = ?14, created_ms = ?15, updated_ms = ?16,"
        " completed_ms = ?17, rollout_next_ms = ?18, rollout_notified = ?19, policy = ?20,"
        " sched_due_ms = ?21 WHERE job_id = ?1"),
    STMT(JOB_DELETE, "DELETE FROM jobs WHERE job_id = ?1"),
    STMT(JOB_UNTARGET, "DELETE FROM job_group_targets WHERE job_id = ?1"),
    STMT(ROLLOUT_PUSH, "INSERT INTO rollout_queue (job_id, pos, thing_name) VALUES (?1, ?2, ?3)"),
    STMT(ROLLOUT_PEEK,
        "SELECT pos, thing_name FROM rollout_queue WHERE job_id = ?1"
        " ORDER BY pos LIMIT ?2"),
    STMT(ROLLOUT_DROP, "DELETE FROM rollout_queue WHERE job_id = ?1 AND pos <= ?2"),
    STMT(ROLLOUT_CLEAR, "DELETE FROM rollout_queue WHERE job_id = ?1"),
    STMT(JOB_ROLLOUT_DUE,
        "SELECT " JOB_COLS " FROM jobs"
        " WHERE rollout_next_ms > 0 AND rollout_next_ms <= ?1"
        " ORDER BY rollout_next_ms LIMIT ?2"),
    /* the partial index jobs_sched_due: only jobs some pass waits on */
    STMT(JOB_SCHED_DUE,
        "SELECT " JOB_COLS " FROM jobs"
        " WHERE sched_due_ms > 0 AND sched_due_ms <= ?1"
        " ORDER BY sched_due_ms LIMIT ?2"),
    STMT(JOB_LIST,
        "SELECT " JOB_COLS " FROM jobs WHERE seq < ?1"
        " AND (?2 = " SQL_FILTER_ANY " OR status = ?2)"
        " AND (?3 = " SQL_FILTER_ANY " OR selection = ?3)"
        " AND (?4 IS NULL OR namespace_id IS nullif(?4, ''))"
        " AND (?5 IS NULL OR job_id IN"
        "  (SELECT job_id FROM job_group_targets WHERE group_name = ?5))"
        " ORDER BY seq DESC LIMIT ?6"),
    /* JOB_LIST by status alone: a range of jobs_status, where JOB_LIST's
     * "?2 = -1 OR" walks every job by seq (the reaper's look for a job to
     * delete, on each tick) */
    STMT(JOB_LIST_STATUS,
        "SELECT " JOB_COLS " FROM jobs WHERE status = ?2 AND seq < ?1"
        " ORDER BY seq DESC LIMIT ?3"),
    STMT(JOB_COUNT_STATUS, "SELECT count(*) FROM jobs WHERE status = ?1"),
    STMT(JOB_TARGET_ADD, "INSERT INTO job_group_targets (job_id, group_name) VALUES (?1, ?2)"),
    STMT(JOB_LIST_BY_GROUP,
        "SELECT " JOB_COLS " FROM jobs WHERE job_id IN"
        " (SELECT job_id FROM job_group_targets WHERE group_name = ?1) ORDER BY seq"),
    STMT(EXEC_GET,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE job_id = ?1 AND thing_name = ?2 AND (?3 = 0 OR number = ?3)"
        " ORDER BY number DESC LIMIT 1"),
    STMT(EXEC_INSERT,
        "INSERT INTO executions (" EXEC_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
    STMT(EXEC_STATUS,
        "SELECT status FROM executions WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3"),
    STMT(EXEC_UPDATE,
        "UPDATE executions SET status = ?4, force_canceled = ?5,"
        " namespace_id = ?6, details = ?7, queued_ms = ?8, started_ms = ?9,"
        " updated_ms = ?10, version = ?11, retry_attempt = ?12, inprogress_deadline = ?13,"
        " step_deadline = ?14 WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3"),
    /* EXEC_UPDATE on condition that the row still has version ?15 and status ?16
     * (store_read.h, exec_update_if) */
    STMT(EXEC_UPDATE_IF,
        "UPDATE executions SET status = ?4, force_canceled = ?5,"
        " namespace_id = ?6, details = ?7, queued_ms = ?8, started_ms = ?9,"
        " updated_ms = ?10, version = ?11, retry_attempt = ?12, inprogress_deadline = ?13,"
        " step_deadline = ?14 WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3"
        " AND version = ?15 AND status = ?16"),
    STMT(EXEC_DELETE,
        "DELETE FROM executions"
        " WHERE job_id = ?1 AND thing_name = ?2 AND number = ?3"),
    STMT(EXEC_MAX_NUMBER,
        "SELECT coalesce(max(number), 0) FROM executions"
        " WHERE job_id = ?1 AND thing_name = ?2"),
    STMT(EXEC_LIST_JOB, "SELECT " EXEC_COLS LIST_JOB_PAGE),
    /* EXEC_LIST_JOB with what ListJobExecutionsForJob answers (store_read.h) */
    STMT(EXEC_LIST_JOB_SUMMARY, "SELECT " EXEC_SUMMARY_COLS LIST_JOB_PAGE),
    /* a thing's executions, newest first: its pending ones (a few, through
     * executions_pending, sorted) merged with its ended ones (walked
     * backwards in executions_thing_ended); the filters on ?3 alone are
     * tested once per side, so "pending" never walks the ended ones */
    STMT(EXEC_LIST_THING,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE thing_name = ?1 AND status IN " SQL_EXEC_PENDING " AND seq < ?2"
        " AND (?3 = " SQL_FILTER_ANY " OR ?3 = " SQL_FILTER_PENDING " OR status = ?3)"
        " AND (?5 IS NULL OR namespace_id IS nullif(?5, ''))"
        " UNION ALL SELECT " EXEC_COLS " FROM executions"
        " WHERE thing_name = ?1 AND status > " SQL_EXEC_IN_PROGRESS " AND seq < ?2"
        " AND ?3 <> " SQL_FILTER_PENDING " AND (?3 = " SQL_FILTER_ANY " OR status = ?3)"
        " AND (?5 IS NULL OR namespace_id IS nullif(?5, ''))"
        " ORDER BY seq DESC LIMIT ?6"),
    /* the same of one job (?4): its executions of the thing on the primary
     * key; a later number always has a later seq, so number order is seq's */
    STMT(EXEC_LIST_THING_JOB,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE job_id = ?4 AND thing_name = ?1 AND seq < ?2 AND " STATUS_FILTER(
            "?3") " AND (?5 IS NULL OR namespace_id IS nullif(?5, ''))"
                  " ORDER BY number DESC LIMIT ?6"),
    STMT(EXEC_PENDING_RUNNING, EXEC_PENDING_SQL(SQL_EXEC_IN_PROGRESS)),
    STMT(EXEC_PENDING_QUEUED, EXEC_PENDING_SQL(SQL_EXEC_QUEUED)),
    STMT(EXEC_PENDING_JOB,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE job_id = ?1 AND status IN " SQL_EXEC_PENDING),
    STMT(EXEC_COUNTS, "SELECT status, latest FROM job_exec_counts WHERE job_id = ?1"),
    /* BETWEEN, not IN: an IN list builds a temporary table per call; the
	 * pending statuses are adjacent (QUEUED, IN_PROGRESS) */
    STMT(EXEC_ACTIVE_COUNT,
        "SELECT coalesce(sum(total), 0) FROM job_exec_counts"
        " WHERE job_id = ?1 AND status BETWEEN " SQL_EXEC_QUEUED " AND " SQL_EXEC_IN_PROGRESS),
    STMT(EXEC_DELETE_JOB,
        "DELETE FROM executions WHERE (job_id, thing_name, number) IN"
        " (SELECT job_id, thing_name, number FROM executions WHERE job_id = ?1 LIMIT ?2)"),
    STMT(EXEC_DUE,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE status = " SQL_EXEC_IN_PROGRESS " AND " SQL_EXEC_DEADLINE " > 0"
        " AND " SQL_EXEC_DEADLINE " <= ?1 ORDER BY " SQL_EXEC_DEADLINE ", seq LIMIT ?2"),
    /* thing-group management and dynamic groups (issue 12) */
    STMT(GROUP_UPDATE,
        "UPDATE thing_groups SET description = ?2, attributes = ?3, version = ?4,"
        " query_string = ?5, index_name = ?6, query_version = ?7 WHERE name = ?1"),
    STMT(GROUP_LIST_DYNAMIC,
        "SELECT " GROUP_COLS " FROM thing_groups WHERE query_string IS NOT NULL"
        " AND name > ?1 ORDER BY name LIMIT ?2"),
    STMT(TEMPLATE_GET, "SELECT " TEMPLATE_COLS " FROM job_templates WHERE id = ?1"),
    STMT(TEMPLATE_INSERT,
        "INSERT INTO job_templates (" TEMPLATE_COLS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
    STMT(TEMPLATE_DELETE, "DELETE FROM job_templates WHERE id = ?1"),
    STMT(TEMPLATE_LIST,
        "SELECT " TEMPLATE_COLS " FROM job_templates WHERE id > ?1"
        " ORDER BY id LIMIT ?2"),
    STMT(TYPE_GET, "SELECT " TYPE_COLS " FROM thing_types WHERE name = ?1"),
    STMT(TYPE_INSERT, "INSERT INTO thing_types (" TYPE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
    STMT(TYPE_UPDATE,
        "UPDATE thing_types SET properties = ?2, deprecated = ?3, deprecated_ms = ?4"
        " WHERE name = ?1"),
    STMT(TYPE_DELETE, "DELETE FROM thing_types WHERE name = ?1"),
    STMT(TYPE_LIST,
        "SELECT " TYPE_COLS " FROM thing_types WHERE name > ?1"
        " AND (?2 IS NULL OR name = ?2) ORDER BY name LIMIT ?3"),
    STMT(TAG_PUT,
        "INSERT INTO tags (resource, key, value) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (resource, key) DO UPDATE SET value = excluded.value"),
    STMT(TAG_DELETE, "DELETE FROM tags WHERE resource = ?1 AND key = ?2"),
    STMT(TAG_LIST,
        "SELECT key, value FROM tags WHERE resource = ?1 AND key > ?2"
        " ORDER BY key LIMIT ?3"),
    STMT(TAG_COUNT, "SELECT count(*) FROM tags WHERE resource = ?1"),
    STMT(META_LIST, "SELECT key, value FROM meta ORDER BY key"),
    /* one scan and one row, a column per status (GROUP BY would sort) */
    STMT(EXEC_COUNTS_ALL,
        "SELECT sum(total * (status = 0)), sum(total * (status = 1)), sum(total * (status = 2)),"
        " sum(total * (status = 3)), sum(total * (status = 4)), sum(total * (status = 5)),"
        " sum(total * (status = 6)), sum(total * (status = 7)) FROM job_exec_counts"),
    /* targets and chunked fan-out (ops_fanout.c). THING_RESOLVE: per name of
	 * the JSON array ?1, its index, whether the thing exists, and the latest
	 * execution of job ?2 on it packed as number * 16 + status (NULL: none);
	 * only the names that are not things or that have an execution of the
	 * job come back (the others: a thing without one, the usual answer) */
    STMT(THING_RESOLVE,
        "SELECT k, ok, packed FROM (SELECT j.key AS k,"
        "  EXISTS (SELECT 1 FROM things WHERE name = j.value) AS ok,"
        "  (SELECT number * 16 + status FROM executions"
        "   WHERE job_id = ?2 AND thing_name = j.value ORDER BY number DESC LIMIT 1) AS packed"
        " FROM json_each(?1) j)"
        " WHERE ok = 0 OR packed IS NOT NULL"),
    /* THING_MISSING: the indexes in the JSON array ?1 of the names that are
     * not things (a new job's targets: no execution to look up, and in the
     * usual case no row to return) */
    STMT(THING_MISSING,
        "SELECT j.key FROM json_each(?1) j"
        " WHERE NOT EXISTS (SELECT 1 FROM things WHERE name = j.value)"),
    /* the direct members of one group, one walk of its primary key */
    STMT(MEMBER_WALK,
        "SELECT thing_name FROM group_members WHERE group_name = ?1 AND thing_name > ?2"
        " ORDER BY thing_name LIMIT ?3"),
    STMT(FANOUT_RUN_MAX, "SELECT coalesce(max(run), 0) FROM fanouts WHERE job_id = ?1"),
    STMT(FANOUT_INSERT,
        "INSERT INTO fanouts (job_id, run, mode, groups, source, after, paced_left, pos)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
    STMT(FANOUT_UPDATE,
        "UPDATE fanouts SET source = ?3, after = ?4, paced_left = ?5, pos = ?6"
        " WHERE job_id = ?1 AND run = ?2"),
    STMT(FANOUT_DELETE, "DELETE FROM fanouts WHERE job_id = ?1 AND (?2 = 0 OR run = ?2)"),
    /* n first executions that differ only in thing and seq: one statement over
	 * the JSON array ?1 of thing names, seq ?2 + index (ops_exec.c). OR FAIL,
	 * not the default ABORT: a multi-row statement that may abort half-way
	 * makes SQLite copy every page it changes to a statement journal first
	 * (past 64 KiB, a temporary file). A failure leaves the rows before it;
	 * the caller rolls the transaction back, as after any failed write */
    STMT(EXEC_INSERT_MANY,
        "INSERT OR FAIL INTO executions (" EXEC_COLS ") SELECT ?3, j.value, ?4, ?2 + j.key, ?5, ?6,"
        " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15 FROM json_each(?1) j"),
    STMT(FANOUT_LIST,
        "SELECT job_id, run, mode, groups, source, after, paced_left, pos FROM fanouts"
        " WHERE (?1 IS NULL OR job_id = ?1) ORDER BY job_id, run LIMIT ?2"),
    /* the counts of one inserted execution (sq__exec_insert; was a trigger
     * until the migration that drops executions_count_insert): the thing's
     * previous latest execution stops being the latest, then the new row
     * enters its status, as the latest unless a higher number exists */
    STMT(EXEC_COUNT_DEMOTE,
        "UPDATE job_exec_counts SET latest = latest - 1"
        " WHERE job_id = ?1 AND status = (SELECT status FROM executions"
        "   WHERE job_id = ?1 AND thing_name = ?2 AND number < ?3"
        "   ORDER BY number DESC LIMIT 1)"
        " AND NOT EXISTS (SELECT 1 FROM executions WHERE job_id = ?1"
        "   AND thing_name = ?2 AND number > ?3)"),
    STMT(EXEC_COUNT_ENTER,
        "INSERT INTO job_exec_counts (job_id, status, latest, total)"
        " VALUES (?1, ?4, NOT EXISTS (SELECT 1 FROM executions"
        "   WHERE job_id = ?1 AND thing_name = ?2 AND number > ?3), 1)"
        " ON CONFLICT (job_id, status) DO UPDATE"
        " SET latest = latest + excluded.latest, total = total + 1"),
    /* a job's timeline (ops_timeline.c): one event, then the oldest beyond
     * ?2 events dropped */
    STMT(TIMELINE_ADD,
        "INSERT INTO job_timeline (job_id, seq, at_ms, event, detail) VALUES (?1,"
        " (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_timeline WHERE job_id = ?1), ?4, ?2, ?3)"),
    STMT(TIMELINE_TRIM,
        "DELETE FROM job_timeline WHERE job_id = ?1 AND seq <= "
        " (SELECT MAX(seq) FROM job_timeline WHERE job_id = ?1) - ?2"),
};

#undef STMT

const char sq__wipe_sql[] =
    "DELETE FROM meta; DELETE FROM things; DELETE FROM thing_groups;"
    " DELETE FROM group_members; DELETE FROM jobs; DELETE FROM job_group_targets;"
    " DELETE FROM executions; DELETE FROM job_exec_counts; DELETE FROM job_templates;"
    " DELETE FROM rollout_queue;"
    " DELETE FROM thing_types; DELETE FROM tags; DELETE FROM fanouts;";

const char *
sq__stmt_sql(enum stmt id)
{
	return stmts[id].sql;
}

const char *
sq__stmt_name(enum stmt id)
{
	return stmts[id].name;
}

int
sq__stmts_check(struct jd_error *e)
{
	for (int i = 0; i < ST__COUNT; i++)
		if (stmts[i].sql == NULL)
			return jd_error_set(e, JD_EINTERNAL, "sqlite: statement %d has no SQL", i);
	return 0;
}

const char *
store_sqlite__stmt(int i, const char **name)
{
	if (i < 0 || i >= ST__COUNT)
		return NULL;
	if (name != NULL)
		*name = stmts[i].name;
	return stmts[i].sql;
}
