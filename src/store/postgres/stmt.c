/*
 * stmt.c: the statement table of the PostgreSQL backend: every SQL text it
 * prepares, indexed by enum stmt (pg_int.h).
 *
 * Statements are prepared per connection on first use (query.c) and kept.
 * Optional filters are written as `($N::T IS NULL OR col = $N)`, so one
 * statement serves every combination; a NULL limit is no limit.
 *
 * Inserts say ON CONFLICT DO NOTHING and the caller turns "no row" into
 * JD_EEXISTS: in PostgreSQL a failed statement aborts the whole
 * transaction, while the store contract lets a caller go on after
 * JD_EEXISTS (as SQLite does).
 *
 * The execution counts (job_exec_counts) move in the same statement as the
 * execution rows they count: each execution statement is one command whose
 * data-modifying CTEs change the rows and add the per-status deltas with one
 * upsert (COUNTS_UPSERT), so a change and its counts commit together and
 * cost one round trip. Every CTE of a statement sees the rows as they were
 * before it, which is what the deltas are computed from. EXEC_UPDATE and
 * EXEC_DELETE also return the job's active count after them (ACTIVE_AFTER).
 */
#include <pthread.h>
#include <string.h>

#include "store/postgres/pg_int.h"

#define THING_COLS "name, id, type_name, attributes, version, created_ms"
#define GROUP_COLS                                                                                   \
	"name, id, parent, description, attributes, version, created_ms, query_string, index_name, " \
	"query_version"
#define JOB_COLS                                                                                 \
	"job_id, seq, status, selection, namespace_id, document, document_source, description, " \
	"targets, config, template_arn, force_canceled, reason_code, comment, "                  \
	"inprogress_timeout_min, created_ms, updated_ms, completed_ms, rollout_next_ms, "        \
	"rollout_notified, policy, sched_due_ms"
/* JOB_COLS of jobs j */
#define JOB_COLS_J                                                                                \
	"j.job_id, j.seq, j.status, j.selection, j.namespace_id, j.document, j.document_source, " \
	"j.description, j.targets, j.config, j.template_arn, j.force_canceled, j.reason_code, "   \
	"j.comment, j.inprogress_timeout_min, j.created_ms, j.updated_ms, j.completed_ms, "       \
	"j.rollout_next_ms, j.rollout_notified, j.policy, j.sched_due_ms"
/* FROM and the rest of a thing's pending list in a namespace, head first, as
 * alias t: EXEC_PENDING, and the heads EXEC_PENDING_W, EXEC_GET_JOB and EXEC_NEXT_JOB read
 * (the very head EXEC_PENDING finds: ops_exec.c, pg__exec_pending_head) */
#define PENDING_OF(t, thing, ns)                                                                 \
	" FROM executions " t " WHERE " t ".thing_name = " thing " AND " t ".namespace_id = " ns \
	" AND " t ".status IN " SQL_EXEC_PENDING " AND NOT EXISTS (SELECT 1 FROM jobs k"         \
	"  WHERE k.job_id = " t ".job_id AND k.status IN (" SQL_JOB_DELETION_IN_PROGRESS         \
	", " SQL_JOB_SCHEDULED "))"                                                              \
	" ORDER BY " t ".status DESC, " t ".queued_ms, " t ".seq"
#define EXEC_COLS                                                                          \
	"job_id, thing_name, number, seq, status, force_canceled, namespace_id, details, " \
	"queued_ms, started_ms, updated_ms, version, retry_attempt, inprogress_deadline, " \
	"step_deadline"
/* What an execution summary needs (ops_exec.c, pg__exec_list_job_summary) */
#define EXEC_SUMMARY_COLS \
	"thing_name, number, status, queued_ms, started_ms, updated_ms, retry_attempt"
#define TEMPLATE_COLS "id, description, document, document_source, config, created_ms"
#define TYPE_COLS "name, id, properties, deprecated, deprecated_ms, created_ms"

/* Status filter on $N: any, pending, else equality. */
#define STATUS_FILTER(n)                                                                     \
	"(" n "::int = " SQL_FILTER_ANY " OR status = " n " OR (" n " = " SQL_FILTER_PENDING \
	" AND status IN " SQL_EXEC_PENDING "))"

/* Add the deltas d(status, dl, dt) of job $1 to its counts. */
#define COUNTS_UPSERT                                                         \
	" up AS (INSERT INTO job_exec_counts (job_id, status, latest, total)" \
	"  SELECT $1, status, sum(dl), sum(dt) FROM d GROUP BY status"        \
	"  ON CONFLICT (job_id, status) DO UPDATE"                            \
	"  SET latest = job_exec_counts.latest + excluded.latest,"            \
	"  total = job_exec_counts.total + excluded.total)"

/* Job $1's active count (EXEC_ACTIVE_COUNT) once the deltas d are added:
 * the counts as the statement found them plus d (a CTE does not see the
 * upsert's rows). pg_int.h, "memo". */
#define ACTIVE_AFTER                                                                  \
	"(SELECT coalesce(sum(total), 0) FROM job_exec_counts WHERE job_id = $1"      \
	"  AND status IN " SQL_EXEC_PENDING ") + (SELECT coalesce(sum(dt), 0) FROM d" \
	"  WHERE status IN " SQL_EXEC_PENDING ")"

/* Job $1's active count as the statement finds it (EXEC_UPDATE_IF) */
#define ACTIVE_NOW                                                               \
	"(SELECT coalesce(sum(total), 0) FROM job_exec_counts WHERE job_id = $1" \
	" AND status IN " SQL_EXEC_PENDING ")"

/* May the end of job $1's last active execution complete it (an
 * IN_PROGRESS snapshot job: svc's svc__job_maybe_complete)? */
#define JOB_MAY_COMPLETE                                                                 \
	"EXISTS (SELECT 1 FROM jobs WHERE job_id = $1 AND status = " SQL_JOB_IN_PROGRESS \
	" AND selection = " SQL_SEL_SNAPSHOT ")"

/* Is execution ($1, $2, $3) the latest of its thing (no higher number)? */
#define IS_LATEST                                                    \
	"NOT EXISTS (SELECT 1 FROM executions h WHERE h.job_id = $1" \
	" AND h.thing_name = $2 AND h.number > $3)"

/* The status of the next-lower number of ($1, $2) below $3. */
#define PREV_STATUS                                                                           \
	"SELECT status FROM executions WHERE job_id = $1 AND thing_name = $2 AND number < $3" \
	" ORDER BY number DESC LIMIT 1"

/* An execution update's columns but the status, $5 to $14, and its row
 * ($1, $2, $3): EXEC_UPDATE_WITH and EXEC_UPDATE_SAME_DEFER */
#define EXEC_SET_REST                                                                        \
	" force_canceled = $5,"                                                              \
	"  namespace_id = $6, details = $7, queued_ms = $8, started_ms = $9,"                \
	"  updated_ms = $10, version = $11, retry_attempt = $12, inprogress_deadline = $13," \
	"  step_deadline = $14 WHERE job_id = $1 AND thing_name = $2 AND number = $3"
/* EXEC_UPDATE's and EXEC_DELETE's changes (their answers differ by form) */
#define EXEC_UPDATE_WITH                                                              \
	"WITH old AS (SELECT status, " IS_LATEST " AS l FROM executions"              \
	"  WHERE job_id = $1 AND thing_name = $2 AND number = $3),"                   \
	" upd AS (UPDATE executions SET status = $4," EXEC_SET_REST "  RETURNING 1)," \
	" d(status, dl, dt) AS ("                                                     \
	"  SELECT old.status, CASE WHEN old.l THEN -1 ELSE 0 END, -1 FROM old"        \
	"   WHERE old.status <> $4"                                                   \
	"  UNION ALL SELECT $4::int, CASE WHEN old.l THEN 1 ELSE 0 END, 1 FROM old"   \
	"   WHERE old.status <> $4)," COUNTS_UPSERT
#define EXEC_DELETE_WITH EXEC_DELETE_WHERE("")
/* EXEC_DELETE_WITH of a row that also meets `cond` (EXEC_DELETE_IF) */
#define EXEC_DELETE_WHERE(cond)                                                              \
	"WITH del AS (DELETE FROM executions"                                                \
	"  WHERE job_id = $1 AND thing_name = $2 AND number = $3" cond " RETURNING status)," \
	" lat AS (SELECT " IS_LATEST " AS l),"                                               \
	" prev AS (" PREV_STATUS "),"                                                        \
	" d(status, dl, dt) AS ("                                                            \
	"  SELECT del.status, CASE WHEN lat.l THEN -1 ELSE 0 END, -1 FROM del, lat"          \
	"  UNION ALL SELECT prev.status, 1, 0 FROM prev, lat, del WHERE lat.l)," COUNTS_UPSERT

/* A deferred write's answer (group.c, "Deferred writes"): nobody reads it,
 * so a write that changed no row divides by zero, which fails the group. */
#define ONE_ROW_OR_FAIL(cte) " SELECT 1 / (SELECT count(*) FROM " cte ")"

/* A page of job $1's executions with status filter $2 after ($3, $4), at
 * most $5: EXEC_LIST_JOB and its _SUMMARY form */
#define LIST_JOB_PAGE                                                            \
	" FROM executions WHERE job_id = $1 AND (thing_name, number) > ($3, $4)" \
	" AND " STATUS_FILTER("$2") " ORDER BY thing_name, number LIMIT $5"

#define STMT(name, sql) [ST_##name] = {#name, sql}

static const struct {
	const char *name;
	const char *sql;
} stmts[ST__COUNT] = {
    STMT(SEQ_EXEC_BLOCK,
        "SELECT nextval('exec_seq') AS s FROM generate_series(1, $1::int)"
        " ORDER BY s"),
    STMT(COUNTS_ADD,
        "INSERT INTO job_exec_counts (job_id, status, latest, total)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (job_id, status) DO UPDATE"
        " SET latest = job_exec_counts.latest + excluded.latest,"
        " total = job_exec_counts.total + excluded.total"),
    STMT(COUNTS_PRUNE, "DELETE FROM job_exec_counts WHERE job_id = $1 AND total = 0"),
    STMT(META_GET, "SELECT value FROM meta WHERE key = $1"),
    STMT(META_PUT,
        "INSERT INTO meta (key, value) VALUES ($1, $2)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    STMT(THING_GET, "SELECT " THING_COLS " FROM things WHERE name = $1"),
    /* and whether any dynamic group exists (pg_int.h, "memo") */
    STMT(THING_INSERT,
        "WITH ins AS (INSERT INTO things (" THING_COLS ") VALUES ($1, $2, $3, $4, $5, $6)"
        "  ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT (SELECT count(*) FROM ins),"
        " EXISTS (SELECT 1 FROM thing_groups WHERE query_string IS NOT NULL)"),
    STMT(THING_UPDATE,
        "UPDATE things SET id = $2, type_name = $3, attributes = $4,"
        " version = $5, created_ms = $6 WHERE name = $1"),
    STMT(THING_DELETE,
        "WITH d AS (DELETE FROM things WHERE name = $1 RETURNING name),"
        " u AS (DELETE FROM group_members WHERE thing_name = $1"
        "  AND EXISTS (SELECT 1 FROM d))"
        " SELECT 1 FROM d"),
    STMT(THING_LIST,
        "SELECT " THING_COLS " FROM things WHERE name > $1"
        " AND ($2::text IS NULL OR type_name = $2)"
        " AND ($3::text IS NULL OR CASE"
        "  WHEN (attributes::jsonb ->> $3) IS NULL THEN false"
        "  WHEN $4::text IS NULL THEN true"
        "  WHEN $5::int <> 0 THEN starts_with(attributes::jsonb ->> $3, $4)"
        "  ELSE (attributes::jsonb ->> $3) = $4 END)"
        " ORDER BY name LIMIT $6"),
    STMT(THING_GROUPS,
        "SELECT group_name FROM group_members WHERE thing_name = $1"
        " ORDER BY group_name"),
    STMT(GROUP_GET, "SELECT " GROUP_COLS " FROM thing_groups WHERE name = $1"),
    STMT(GROUP_INSERT,
        "INSERT INTO thing_groups (" GROUP_COLS ")"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"),
    STMT(GROUP_DELETE,
        "WITH d AS (DELETE FROM thing_groups WHERE name = $1 RETURNING name),"
        " u AS (DELETE FROM group_members WHERE group_name = $1"
        "  AND EXISTS (SELECT 1 FROM d))"
        " SELECT 1 FROM d"),
    /* the descendants of $1 ('' = the root) when $2, else its children */
    STMT(GROUP_LIST,
        "WITH RECURSIVE sub(name) AS ("
        " SELECT name FROM thing_groups WHERE parent = $1"
        " UNION ALL"
        " SELECT g.name FROM thing_groups g JOIN sub ON g.parent = sub.name"
        " WHERE $2::int <> 0)"
        " SELECT " GROUP_COLS " FROM thing_groups"
        " WHERE name IN (SELECT name FROM sub) AND name > $3"
        " AND ($4::text IS NULL OR starts_with(name, $4))"
        " ORDER BY name LIMIT $5"),
    STMT(GROUP_CHILD_COUNT, "SELECT count(*) FROM thing_groups WHERE parent = $1"),
    STMT(MEMBER_ADD,
        "INSERT INTO group_members (group_name, thing_name) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING"),
    STMT(MEMBER_REMOVE, "DELETE FROM group_members WHERE group_name = $1 AND thing_name = $2"),
    STMT(MEMBER_LIST,
        "WITH RECURSIVE sub(name) AS ("
        " SELECT $1::text COLLATE \"C\" UNION"
        " SELECT g.name FROM thing_groups g JOIN sub ON g.parent = sub.name"
        " WHERE $2::int <> 0)"
        " SELECT DISTINCT thing_name FROM group_members"
        " WHERE group_name IN (SELECT name FROM sub) AND thing_name > $3"
        " ORDER BY thing_name LIMIT $4"),
    /* thing-group management and dynamic groups (issue 12) */
    STMT(GROUP_UPDATE,
        "UPDATE thing_groups SET description = $2, attributes = $3, version = $4,"
        " query_string = $5, index_name = $6, query_version = $7 WHERE name = $1"),
    STMT(GROUP_LIST_DYNAMIC,
        "SELECT " GROUP_COLS " FROM thing_groups WHERE query_string IS NOT NULL"
        " AND name > $1 ORDER BY name LIMIT $2"),
    STMT(JOB_GET, "SELECT " JOB_COLS " FROM jobs WHERE job_id = $1"),
    STMT(JOB_STATUS, "SELECT status, selection FROM jobs WHERE job_id = $1"),
    STMT(JOB_INSERT,
        "INSERT INTO jobs (" JOB_COLS ") VALUES ($1, nextval('job_seq'), $2, $3, $4,"
        " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        " ON CONFLICT DO NOTHING RETURNING seq"),
    STMT(JOB_UPDATE,
        "UPDATE jobs SET status = $2, selection = $3, namespace_id = $4,"
        " document = $5, document_source = $6, description = $7, targets = $8, config = $9,"
        " template_arn = $10, force_canceled = $11, reason_code = $12, comment = $13,"
        " inprogress_timeout_min = $14, created_ms = $15, updated_ms = $16,"
        " completed_ms = $17, rollout_next_ms = $18, rollout_notified = $19, policy = $20,"
        " sched_due_ms = $21 WHERE job_id = $1"),
    STMT(JOB_DELETE,
        "WITH d AS (DELETE FROM jobs WHERE job_id = $1 RETURNING job_id),"
        " t AS (DELETE FROM job_group_targets WHERE job_id = $1"
        "  AND EXISTS (SELECT 1 FROM d)),"
        " r AS (DELETE FROM rollout_queue WHERE job_id = $1"
        "  AND EXISTS (SELECT 1 FROM d))"
        " SELECT 1 FROM d"),
    STMT(ROLLOUT_PUSH,
        "INSERT INTO rollout_queue (job_id, pos, thing_name) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING"),
    STMT(ROLLOUT_PEEK,
        "SELECT pos, thing_name FROM rollout_queue WHERE job_id = $1"
        " ORDER BY pos LIMIT $2"),
    STMT(ROLLOUT_DROP, "DELETE FROM rollout_queue WHERE job_id = $1 AND pos <= $2"),
    STMT(ROLLOUT_CLEAR, "DELETE FROM rollout_queue WHERE job_id = $1"),
    STMT(JOB_ROLLOUT_DUE,
        "SELECT " JOB_COLS " FROM jobs"
        " WHERE rollout_next_ms > 0 AND rollout_next_ms <= $1"
        " ORDER BY rollout_next_ms LIMIT $2"),
    /* the partial index jobs_sched_due: only jobs some pass waits on */
    STMT(JOB_SCHED_DUE,
        "SELECT " JOB_COLS " FROM jobs"
        " WHERE sched_due_ms > 0 AND sched_due_ms <= $1"
        " ORDER BY sched_due_ms LIMIT $2"),
    STMT(JOB_LIST,
        "SELECT " JOB_COLS " FROM jobs WHERE seq < $1"
        " AND ($2::int = " SQL_FILTER_ANY " OR status = $2)"
        " AND ($3::int = " SQL_FILTER_ANY " OR selection = $3)"
        " AND ($4::text IS NULL OR namespace_id = $4)"
        " AND ($5::text IS NULL OR job_id IN"
        "  (SELECT job_id FROM job_group_targets WHERE group_name = $5))"
        " ORDER BY seq DESC LIMIT $6"),
    /* JOB_LIST by status alone: a range of jobs_status, where JOB_LIST's
     * generic plan walks every job by seq (the reaper's look for a job to
     * delete, on each tick) */
    STMT(JOB_LIST_STATUS,
        "SELECT " JOB_COLS " FROM jobs WHERE status = $2 AND seq < $1"
        " ORDER BY seq DESC LIMIT $3"),
    STMT(JOB_COUNT_STATUS, "SELECT count(*) FROM jobs WHERE status = $1"),
    STMT(JOB_TARGET_ADD,
        "INSERT INTO job_group_targets (job_id, group_name) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING"),
    STMT(JOB_LIST_BY_GROUP,
        "SELECT " JOB_COLS " FROM jobs WHERE job_id IN"
        " (SELECT job_id FROM job_group_targets WHERE group_name = $1) ORDER BY seq"),
    STMT(EXEC_GET,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE job_id = $1 AND thing_name = $2 AND ($3::bigint = 0 OR number = $3)"
        " ORDER BY number DESC LIMIT 1"),
    /* the new row is the latest unless a higher number exists; then it
     * demotes the next-lower one */
    STMT(EXEC_INSERT,
        "WITH ins AS (INSERT INTO executions (" EXEC_COLS ")"
        "  VALUES ($1, $2, $3, nextval('exec_seq'), $4, $5, $6, $7, $8, $9, $10, $11, $12,"
        "  $13, $14) ON CONFLICT DO NOTHING RETURNING seq),"
        " lat AS (SELECT " IS_LATEST " AS l),"
        " prev AS (" PREV_STATUS "),"
        " d(status, dl, dt) AS ("
        "  SELECT $4::int, CASE WHEN lat.l THEN 1 ELSE 0 END, 1 FROM lat, ins"
        "  UNION ALL SELECT prev.status, -1, 0 FROM prev, lat, ins WHERE lat.l)," COUNTS_UPSERT
        " SELECT seq FROM ins"),
    /* a status change moves the row from its old status to the new one */
    STMT(EXEC_UPDATE, EXEC_UPDATE_WITH " SELECT " ACTIVE_AFTER " FROM upd"),
    /* deleting the latest promotes the next-lower number */
    STMT(EXEC_DELETE, EXEC_DELETE_WITH " SELECT " ACTIVE_AFTER " FROM del"),
    STMT(EXEC_MAX_NUMBER,
        "SELECT coalesce(max(number), 0) FROM executions"
        " WHERE job_id = $1 AND thing_name = $2"),
    STMT(EXEC_LIST_JOB, "SELECT " EXEC_COLS LIST_JOB_PAGE),
    /* EXEC_LIST_JOB with what ListJobExecutionsForJob answers (store_read.h) */
    STMT(EXEC_LIST_JOB_SUMMARY, "SELECT " EXEC_SUMMARY_COLS LIST_JOB_PAGE),
    STMT(EXEC_LIST_THING,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE thing_name = $1 AND seq < $2 AND " STATUS_FILTER(
            "$3") " AND ($4::text IS NULL OR job_id = $4)"
                  " AND ($5::text IS NULL OR namespace_id = $5)"
                  " ORDER BY seq DESC LIMIT $6"),
    /* IN_PROGRESS (1) before QUEUED (0), each by queued_ms, seq; executions
     * of a job being deleted or not yet started are not pending */
    STMT(EXEC_PENDING, "SELECT " EXEC_COLS PENDING_OF("x", "$1", "$2") " LIMIT $3"),
    STMT(EXEC_PENDING_JOB,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE job_id = $1 AND status IN " SQL_EXEC_PENDING),
    STMT(EXEC_COUNTS, "SELECT status, latest FROM job_exec_counts WHERE job_id = $1"),
    STMT(EXEC_ACTIVE_COUNT,
        "SELECT coalesce(sum(total), 0) FROM job_exec_counts"
        " WHERE job_id = $1 AND status IN " SQL_EXEC_PENDING),
    /*
     * A batch of a job's executions: per thing touched, the latest before
     * (oldl, from the rows as they were) leaves `latest` and the latest
     * after (newl, the rows not deleted) enters it; each deleted row leaves
     * `total`.
     */
    STMT(EXEC_DELETE_JOB,
        "WITH del AS (DELETE FROM executions WHERE (job_id, thing_name, number) IN"
        "  (SELECT job_id, thing_name, number FROM executions WHERE job_id = $1 LIMIT $2)"
        "  RETURNING thing_name, number, status),"
        " th AS (SELECT DISTINCT thing_name FROM del),"
        " oldl AS (SELECT DISTINCT ON (e.thing_name) e.status FROM executions e"
        "  JOIN th ON e.thing_name = th.thing_name WHERE e.job_id = $1"
        "  ORDER BY e.thing_name, e.number DESC),"
        " newl AS (SELECT DISTINCT ON (e.thing_name) e.status FROM executions e"
        "  JOIN th ON e.thing_name = th.thing_name WHERE e.job_id = $1"
        "  AND NOT EXISTS (SELECT 1 FROM del WHERE del.thing_name = e.thing_name"
        "   AND del.number = e.number)"
        "  ORDER BY e.thing_name, e.number DESC),"
        " d(status, dl, dt) AS ("
        "  SELECT status, 0, -1 FROM del"
        "  UNION ALL SELECT status, -1, 0 FROM oldl"
        "  UNION ALL SELECT status, 1, 0 FROM newl)," COUNTS_UPSERT " SELECT count(*) FROM del"),
    STMT(EXEC_DUE,
        "SELECT " EXEC_COLS " FROM executions"
        " WHERE status = " SQL_EXEC_IN_PROGRESS " AND deadline > 0 AND deadline <= $1"
        " ORDER BY deadline, seq LIMIT $2"),
    STMT(TEMPLATE_GET, "SELECT " TEMPLATE_COLS " FROM job_templates WHERE id = $1"),
    STMT(TEMPLATE_INSERT,
        "INSERT INTO job_templates (" TEMPLATE_COLS ")"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"),
    STMT(TEMPLATE_DELETE, "DELETE FROM job_templates WHERE id = $1"),
    STMT(TEMPLATE_LIST,
        "SELECT " TEMPLATE_COLS " FROM job_templates WHERE id > $1"
        " ORDER BY id LIMIT $2"),
    STMT(TYPE_GET, "SELECT " TYPE_COLS " FROM thing_types WHERE name = $1"),
    STMT(TYPE_INSERT,
        "INSERT INTO thing_types (" TYPE_COLS ") VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT DO NOTHING"),
    STMT(TYPE_UPDATE,
        "UPDATE thing_types SET properties = $2, deprecated = $3, deprecated_ms = $4"
        " WHERE name = $1"),
    STMT(TYPE_DELETE, "DELETE FROM thing_types WHERE name = $1"),
    STMT(TYPE_LIST,
        "SELECT " TYPE_COLS " FROM thing_types WHERE name > $1"
        " AND ($2::text IS NULL OR name = $2) ORDER BY name LIMIT $3"),
    STMT(TAG_PUT,
        "INSERT INTO tags (resource, key, value) VALUES ($1, $2, $3)"
        " ON CONFLICT (resource, key) DO UPDATE SET value = excluded.value"),
    STMT(TAG_DELETE, "DELETE FROM tags WHERE resource = $1 AND key = $2"),
    STMT(TAG_LIST,
        "SELECT key, value FROM tags WHERE resource = $1 AND key > $2"
        " ORDER BY key LIMIT $3"),
    STMT(TAG_COUNT, "SELECT count(*) FROM tags WHERE resource = $1"),
    STMT(META_LIST, "SELECT key, value FROM meta ORDER BY key"),
    STMT(EXEC_COUNTS_ALL, "SELECT status, sum(total) FROM job_exec_counts GROUP BY status"),
    /* JOB_GET and EXEC_COUNTS in one statement (one snapshot): the counts
     * as "status latest status latest ..." */
    STMT(JOB_GET_COUNTS,
        "SELECT " JOB_COLS ", (SELECT string_agg(c.status || ' ' || c.latest, ' ')"
        "  FROM job_exec_counts c WHERE c.job_id = $1)"
        " FROM jobs WHERE job_id = $1"),
    /* the write connection's forms (group.c, "Deferred writes"): EXEC_GET
     * with the job's active count (EXEC_ACTIVE_COUNT) as column 15, and
     * EXEC_UPDATE and EXEC_DELETE for a row known to exist */
    STMT(EXEC_GET_W,
        "SELECT " EXEC_COLS ", (SELECT coalesce(sum(total), 0) FROM job_exec_counts"
        "  WHERE job_id = $1 AND status IN " SQL_EXEC_PENDING ") FROM executions"
        " WHERE job_id = $1 AND thing_name = $2 AND ($3::bigint = 0 OR number = $3)"
        " ORDER BY number DESC LIMIT 1"),
    STMT(EXEC_UPDATE_DEFER, EXEC_UPDATE_WITH ONE_ROW_OR_FAIL("upd")),
    /* EXEC_UPDATE_DEFER of a row whose status stays $4 (a progress report):
     * no count moves, so no CTE reads the old row or upserts the counts
     * (pg_stat_statements: 55 us of executor time for EXEC_UPDATE_DEFER);
     * a row whose status is not $4 after all changes nothing and fails the
     * group, as a missing row does */
    STMT(EXEC_UPDATE_SAME_DEFER,
        "WITH upd AS (UPDATE executions SET" EXEC_SET_REST
        "  AND status = $4 RETURNING 1)" ONE_ROW_OR_FAIL("upd")),
    STMT(EXEC_DELETE_DEFER, EXEC_DELETE_WITH ONE_ROW_OR_FAIL("del")),
    /* The conditional writes (group.c, "Conditional writes"): EXEC_UPDATE
     * of a row that still has version $15 and status $16, and, if $4 is not
     * pending, whose job keeps another active execution or cannot complete
     * (store_read.h),
     * else nothing; the answer is whether it changed the row. The old
     * status is $16, so no CTE reads the row before the UPDATE, and
     * whether the row is its thing's latest comes back with it */
    STMT(EXEC_UPDATE_IF,
        "WITH upd AS (UPDATE executions SET status = $4," EXEC_SET_REST
        " AND version = $15 AND status = $16 AND ($4 IN " SQL_EXEC_PENDING " OR " ACTIVE_NOW
        " > 1 OR NOT " JOB_MAY_COMPLETE ") RETURNING " IS_LATEST " AS l),"
        " d(status, dl, dt) AS ("
        "  SELECT $16::int, CASE WHEN upd.l THEN -1 ELSE 0 END, -1 FROM upd WHERE $16 <> $4"
        "  UNION ALL SELECT $4::int, CASE WHEN upd.l THEN 1 ELSE 0 END, 1 FROM upd"
        "   WHERE $16 <> $4)," COUNTS_UPSERT " SELECT count(*) FROM upd"),
    /* EXEC_DELETE of a row that still has version $4 and status $5 and
     * whose job keeps an active execution after it or cannot complete, else
     * nothing */
    STMT(EXEC_DELETE_IF,
        EXEC_DELETE_WHERE(
            " AND version = $4 AND status = $5 AND (" ACTIVE_NOW
            " > CASE WHEN $5 IN " SQL_EXEC_PENDING " THEN 1 ELSE 0 END OR NOT " JOB_MAY_COMPLETE
            ")") " SELECT count(*) FROM del"),
    /* THING_INSERT only where no dynamic thing group exists, else nothing:
     * a conditional write (CreateThing) */
    STMT(THING_INSERT_IF,
        "WITH ins AS (INSERT INTO things (" THING_COLS ") SELECT $1::text, $2::text, $3::text,"
        "  $4::text, $5::bigint, $6::bigint"
        "  WHERE NOT EXISTS (SELECT 1 FROM thing_groups WHERE query_string IS NOT NULL)"
        "  ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM ins"),
    /* EXEC_UPDATE_IF of a row whose status stays $4 (as
     * EXEC_UPDATE_SAME_DEFER: no count moves) */
    STMT(EXEC_UPDATE_SAME_IF,
        "WITH upd AS (UPDATE executions SET" EXEC_SET_REST
        "  AND version = $15 AND status = $4 RETURNING 1) SELECT count(*) FROM upd"),
    /* EXEC_PENDING's head (StartNextPendingJobExecution) with its job's
     * active count as column 15, as EXEC_GET_W: its change can be deferred */
    STMT(EXEC_PENDING_W,
        "SELECT p.*, (SELECT coalesce(sum(total), 0) FROM job_exec_counts c"
        "  WHERE c.job_id = p.job_id AND c.status IN " SQL_EXEC_PENDING ") FROM ("
        " SELECT " EXEC_COLS PENDING_OF("x", "$1", "$2") " LIMIT 1) p"),
    /* job_get and EXEC_GET_W in one (UpdateJobExecution; on any
     * connection): the job's columns (0-21), then the execution's (22-36,
     * NULL without one), its job's active count (37) and its thing's pending
     * head in its namespace (38, 39) */
    STMT(EXEC_GET_JOB,
        "SELECT " JOB_COLS_J ", e.*, (SELECT coalesce(sum(total), 0) FROM job_exec_counts"
        "  WHERE job_id = $1 AND status IN " SQL_EXEC_PENDING "), hd.job_id, hd.number"
        " FROM jobs j"
        " LEFT JOIN LATERAL (SELECT " EXEC_COLS " FROM executions"
        "  WHERE job_id = $1 AND thing_name = $2 AND ($3::bigint = 0 OR number = $3)"
        "  ORDER BY number DESC LIMIT 1) e ON true"
        " LEFT JOIN LATERAL (SELECT h.job_id, h.number" PENDING_OF("h", "$2",
            "e.namespace_id") " LIMIT 1) hd ON true"
                              " WHERE j.job_id = $1"),
    /* EXEC_PENDING's head and its job in one (StartNextPendingJobExecution;
     * on any connection): the job's columns (0-21, NULL if it is gone),
     * the execution's (22-36) and its job's active count (37), as
     * EXEC_GET_JOB; no row when the list is empty */
    STMT(EXEC_NEXT_JOB,
        "SELECT " JOB_COLS_J ", p.*, (SELECT coalesce(sum(total), 0) FROM job_exec_counts c"
        "  WHERE c.job_id = p.job_id AND c.status IN " SQL_EXEC_PENDING ") FROM ("
        " SELECT " EXEC_COLS PENDING_OF("x", "$1",
            "$2") " LIMIT 1) p"
                  " LEFT JOIN jobs j ON j.job_id = p.job_id"),
};

#undef STMT

const char pg__exec_copy_sql[] = "COPY executions (" EXEC_COLS ") FROM STDIN";

const char pg__wipe_sql[] =
    "DELETE FROM meta; DELETE FROM things; DELETE FROM thing_groups;"
    " DELETE FROM group_members; DELETE FROM jobs; DELETE FROM job_group_targets;"
    " DELETE FROM executions; DELETE FROM job_exec_counts; DELETE FROM job_templates;"
    " DELETE FROM rollout_queue;"
    " DELETE FROM thing_types; DELETE FROM tags;";

const char *
pg__stmt_sql(enum stmt id)
{
	return stmts[id].sql;
}

const char *
pg__stmt_name(enum stmt id)
{
	return stmts[id].name;
}

/* Which statements only read (pg__stmt_reads), from their SQL, once. */
static bool reads[ST__COUNT];
static pthread_once_t reads_once = PTHREAD_ONCE_INIT;

static void
reads_init(void)
{
	for (int i = 0; i < ST__COUNT; i++) {
		const char *q = stmts[i].sql;

		reads[i] = q != NULL && strncmp(q, "SELECT ", 7) == 0 &&
		    strstr(q, "nextval") == NULL && strstr(q, " FOR ") == NULL &&
		    strstr(q, "INSERT ") == NULL && strstr(q, "UPDATE ") == NULL &&
		    strstr(q, "DELETE ") == NULL;
	}
}

bool
pg__stmt_reads(enum stmt id)
{
	pthread_once(&reads_once, reads_init);
	return reads[id];
}

int
pg__stmts_check(struct jd_error *e)
{
	for (int i = 0; i < ST__COUNT; i++)
		if (stmts[i].sql == NULL)
			return jd_error_set(e, JD_EINTERNAL, "postgres: statement %d has no SQL",
			    i);
	return 0;
}
