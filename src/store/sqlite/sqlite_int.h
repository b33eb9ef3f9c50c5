/*
 * sqlite_int.h: internals of the SQLite backend, shared by its files, and
 * the hooks its tests and benchmarks may look at. Not for svc/ or anything
 * above the store.
 *
 * The backend's files and their roles:
 *   sqlite.c        the ops table (what store.h sees) and the design overview
 *   schema.c        the schema: numbered migrations and applying them
 *   stmt.c          the statement table: every SQL text, by enum stmt
 *   conn.c          connections, the reader pool, the writer and group
 *                   commit, begin/commit/rollback, open/close
 *   query.c         running a statement: prepare, bind, step, errors, and
 *                   the column readers and sequence numbers
 *   ops_registry.c  meta, wipe, things, groups, memberships
 *   ops_jobs.c      jobs, group targets, paced rollouts, templates
 *   ops_exec.c      executions and their counts
 *   ops_types.c     thing types and tags
 *   ops_lease.c     leases (several nodes, D24)
 *   ops_timeline.c  a job's timeline and pause (issue 14)
 *   vfs.c           the VFS: the default one, with each WAL's writes
 *                   gathered into one write per sync
 *
 * Names: sq__name() is internal to this backend (declared here);
 * store_sqlite__name() is a test hook.
 */
#ifndef JD_STORE_SQLITE_SQLITE_INT_H
#define JD_STORE_SQLITE_SQLITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"
#include "util/buf.h"

/* ---- test and benchmark hooks ------------------------------------------ */

/*
 * Group commit (conn.c): at most this many write transactions share one
 * COMMIT, and a group is committed once it is this old even if more writers
 * are waiting to join. A lone writer never waits: its group is committed as
 * soon as nobody else wants the writer.
 */
#define STORE_SQLITE_GROUP_MAX 64
#define STORE_SQLITE_GROUP_MAX_NS 10000000 /* 10 ms */

/* Counters of the writer since open. */
struct store_sqlite_stats {
	int64_t groups;        /* outer transactions that ended in COMMIT */
	int64_t members;       /* write transactions committed by them */
	int64_t failed_groups; /* groups whose COMMIT failed or that were lost */
	int64_t max_members;   /* the largest group */
	int64_t checkpoints;   /* PASSIVE checkpoints run by the writer's WAL hook */
	int64_t restarts;      /* RESTART checkpoints (readers had kept the WAL long) */
	int wal_max_frames;    /* the longest WAL seen after a COMMIT, in frames */
	int queued;            /* now: threads waiting in begin(write) */
	int waiting;           /* now: committed transactions awaiting their group */
};

/* A snapshot of the counters of `s`, which must be a SQLite store (else zeros). */
void store_sqlite__stats(struct store *s, struct store_sqlite_stats *out);

/* Bound the groups of `s` differently (tests, benchmarks); <= 0 restores a default. */
void store_sqlite__set_group(struct store *s, int max_members, int64_t max_ns);

/*
 * How often SQLite re-prepared the cached statements of `s` (a schema change,
 * or a plan that depends on a bound value). Only while no transaction is
 * open (tests).
 */
int64_t store_sqlite__reprepares(struct store *s);

/*
 * WAL writes (vfs.c), summed over every SQLite store of the process: calls
 * is how many writes SQLite asked for, writes how many reached the files.
 */
void store_sqlite__wal_writes(int64_t *calls, int64_t *writes);

/* The SQL of prepared statement i and (if name) its name; NULL past the last. */
const char *store_sqlite__stmt(int i, const char **name);
/* Tests: the number of the first migration whose SQL contains needle (0:
 * none), so a test can rewind schema_version to just before it. */
int store_sqlite__migration_find(const char *needle);

/* ---- statuses in SQL ---------------------------------------------------- */

/*
 * The values of core/core.h's statuses, spelled as SQL literals, so the SQL
 * text names them (stmt.c, schema.c): "status IN " SQL_EXEC_PENDING. They
 * stay literals in the text, never bound parameters: the planner matches a
 * partial index's WHERE (migration 5) only against literals, and a bound
 * value it depends on makes SQLite re-prepare the statement whenever the
 * binding changes (t_device_paths_never_reprepare). Each is checked against
 * its enum value at compile time. Migrations spell them the same way; the
 * text of a shipped migration must not change, so these values cannot.
 */
#define SQL_EXEC_QUEUED "0"
#define SQL_EXEC_IN_PROGRESS "1"
#define SQL_EXEC_SUCCEEDED "2"
#define SQL_EXEC_FAILED "3"
#define SQL_EXEC_TIMED_OUT "4"
#define SQL_EXEC_REJECTED "5"
#define SQL_EXEC_REMOVED "6"
#define SQL_EXEC_CANCELED "7"

/*
 * An execution's effective deadline (the earlier non-zero of its two, 0 =
 * none) without a function call: the generated column `deadline` computes it
 * with min(), and a function in an index key makes SQLite treat every
 * multi-row INSERT into executions as one that may abort half-way, so each
 * kept a statement journal (a copy of every page it changed). The due index
 * (schema.c, migration "due index without a function") and EXEC_DUE spell it
 * identically, which is what lets the planner use that index.
 */
#define SQL_EXEC_DEADLINE                                                     \
	"(CASE WHEN inprogress_deadline = 0 THEN step_deadline"               \
	" WHEN step_deadline = 0 OR inprogress_deadline < step_deadline THEN" \
	" inprogress_deadline ELSE step_deadline END)"
_Static_assert(JD_EXEC_QUEUED == 0, "SQL_EXEC_QUEUED");
_Static_assert(JD_EXEC_IN_PROGRESS == 1, "SQL_EXEC_IN_PROGRESS");
_Static_assert(JD_EXEC_SUCCEEDED == 2, "SQL_EXEC_SUCCEEDED");
_Static_assert(JD_EXEC_FAILED == 3, "SQL_EXEC_FAILED");
_Static_assert(JD_EXEC_TIMED_OUT == 4, "SQL_EXEC_TIMED_OUT");
_Static_assert(JD_EXEC_REJECTED == 5, "SQL_EXEC_REJECTED");
_Static_assert(JD_EXEC_REMOVED == 6, "SQL_EXEC_REMOVED");
_Static_assert(JD_EXEC_CANCELED == 7, "SQL_EXEC_CANCELED");

/* The pending statuses, as an IN list: the WHERE of the partial indexes.
 * They are adjacent values (EXEC_ACTIVE_COUNT reads them with BETWEEN). */
#define SQL_EXEC_PENDING "(" SQL_EXEC_QUEUED ", " SQL_EXEC_IN_PROGRESS ")"

#define SQL_JOB_IN_PROGRESS "0"
#define SQL_JOB_CANCELED "1"
#define SQL_JOB_COMPLETED "2"
#define SQL_JOB_DELETION_IN_PROGRESS "3"
#define SQL_JOB_SCHEDULED "4"
_Static_assert(JD_JOB_IN_PROGRESS == 0, "SQL_JOB_IN_PROGRESS");
_Static_assert(JD_JOB_CANCELED == 1, "SQL_JOB_CANCELED");
_Static_assert(JD_JOB_COMPLETED == 2, "SQL_JOB_COMPLETED");
_Static_assert(JD_JOB_DELETION_IN_PROGRESS == 3, "SQL_JOB_DELETION_IN_PROGRESS");
_Static_assert(JD_JOB_SCHEDULED == 4, "SQL_JOB_SCHEDULED");

#define SQL_SEL_SNAPSHOT "0"
#define SQL_SEL_CONTINUOUS "1"
_Static_assert(JD_SEL_SNAPSHOT == 0, "SQL_SEL_SNAPSHOT");
_Static_assert(JD_SEL_CONTINUOUS == 1, "SQL_SEL_CONTINUOUS");

/*
 * The status and selection filters of the lists (struct jd_job_filter,
 * jd_exec_filter in core/model.h): -1 any value, -2 (executions) pending.
 */
#define SQL_FILTER_ANY "-1"
#define SQL_FILTER_PENDING "-2"

/* ---- statements (stmt.c) ----------------------------------------------- */

/* Every statement of the backend; its SQL is stmt.c's table. */
enum stmt {
	/* transaction control (up to ST__LAST_CONTROL) */
	ST_BEGIN,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	/* sequence numbers, the bulk-insert flag, execution counts */
	ST_SEQ_ADD,
	ST_SEQ_GET,
	ST_COUNTS_LEAVE,
	ST_COUNTS_ENTER,
	ST_COUNTS_ADD,
	/* registry */
	ST_META_GET,
	ST_META_PUT,
	ST_THING_GET,
	ST_THING_INSERT,
	ST_THING_INSERT_IF,
	ST_THING_UPDATE,
	ST_THING_DELETE,
	ST_THING_UNLINK,
	ST_THING_LIST,
	ST_THING_GROUPS,
	ST_GROUP_GET,
	ST_GROUP_INSERT,
	ST_GROUP_DELETE,
	ST_GROUP_UNLINK,
	ST_GROUP_LIST,
	ST_GROUP_CHILD_COUNT,
	ST_MEMBER_ADD,
	ST_MEMBER_REMOVE,
	ST_MEMBER_LIST,
	/* jobs, rollouts */
	ST_JOB_GET,
	ST_JOB_STATUS,
	ST_JOB_INSERT,
	ST_JOB_UPDATE,
	ST_JOB_DELETE,
	ST_JOB_UNTARGET,
	ST_ROLLOUT_PUSH,
	ST_ROLLOUT_PEEK,
	ST_ROLLOUT_DROP,
	ST_ROLLOUT_CLEAR,
	ST_JOB_ROLLOUT_DUE,
	ST_JOB_SCHED_DUE,
	ST_JOB_LIST_STATUS,
	ST_JOB_LIST,
	ST_JOB_COUNT_STATUS,
	ST_JOB_TARGET_ADD,
	ST_JOB_LIST_BY_GROUP,
	/* executions */
	ST_EXEC_GET,
	ST_EXEC_INSERT,
	ST_EXEC_STATUS,
	ST_EXEC_UPDATE,
	ST_EXEC_UPDATE_IF,
	ST_EXEC_DELETE,
	ST_EXEC_MAX_NUMBER,
	ST_EXEC_LIST_JOB,
	ST_EXEC_LIST_JOB_SUMMARY,
	ST_EXEC_LIST_THING,
	ST_EXEC_LIST_THING_JOB,
	ST_EXEC_PENDING_RUNNING,
	ST_EXEC_PENDING_QUEUED,
	ST_EXEC_PENDING_JOB,
	ST_EXEC_COUNTS,
	ST_EXEC_ACTIVE_COUNT,
	ST_EXEC_DELETE_JOB,
	ST_EXEC_DUE,
	/* thing-group management, dynamic groups */
	ST_GROUP_UPDATE,
	ST_GROUP_LIST_DYNAMIC,
	/* templates */
	ST_TEMPLATE_GET,
	ST_TEMPLATE_INSERT,
	ST_TEMPLATE_DELETE,
	ST_TEMPLATE_LIST,
	/* thing types, tags (ops_types.c) */
	ST_TYPE_GET,
	ST_TYPE_INSERT,
	ST_TYPE_UPDATE,
	ST_TYPE_DELETE,
	ST_TYPE_LIST,
	ST_TAG_PUT,
	ST_TAG_DELETE,
	ST_TAG_LIST,
	ST_TAG_COUNT,
	ST_META_LIST,
	ST_EXEC_COUNTS_ALL,
	/* targets and chunked fan-out (ops_fanout.c) */
	ST_THING_RESOLVE,
	ST_THING_MISSING,
	ST_MEMBER_WALK,
	ST_FANOUT_RUN_MAX,
	ST_FANOUT_INSERT,
	ST_FANOUT_UPDATE,
	ST_FANOUT_DELETE,
	ST_EXEC_INSERT_MANY,
	ST_FANOUT_LIST,
	ST_EXEC_COUNT_DEMOTE,
	ST_EXEC_COUNT_ENTER,
	ST_TIMELINE_ADD,
	ST_TIMELINE_TRIM,
	ST__COUNT
};

/* Statements up to this one control transactions; the others need one open. */
#define ST__LAST_CONTROL ST_ROLLBACK_TO

/* The VFS every connection opens with (vfs.c); NULL: SQLite's default. */
const char *sq__vfs_name(void);

/* The SQL and the name of statement id (borrowed, static). */
const char *sq__stmt_sql(enum stmt id);
const char *sq__stmt_name(enum stmt id);
/* 0 if every statement has its SQL, else JD_EINTERNAL (checked at open). */
int sq__stmts_check(struct jd_error *e);

/* Deletes every row (sq__wipe); the counters table survives. */
extern const char sq__wipe_sql[];

/* ---- connections (conn.c) ---------------------------------------------- */

struct sq_store;

/*
 * The execution row the writer read last (exec_get, or a thing's pending
 * list), with the status it read: exec_update of that row then knows the
 * status it leaves without reading it again (ops_exec.c). Any statement that
 * may write, and every transaction-control statement, forgets it
 * (query.c, sq__q_open), so it is never older than the row; as the
 * PostgreSQL backend's memo (postgres/pg_int.h).
 */
struct sq_memo {
	bool valid;
	int status;
	int64_t number;
	char job_id[JD_JOB_ID_MAX + 1];
	char thing[JD_THING_NAME_MAX + 1];
};

/* A connection; while a transaction is open it is also the struct store_tx. */
struct conn {
	struct store_tx_base base; /* first: (struct store_tx *)conn */
	struct sq_store *s;        /* borrowed */
	sqlite3 *db;
	bool writer;
	struct conn *next;           /* reader free list */
	sqlite3_stmt *st[ST__COUNT]; /* lazily prepared, persistent */
	struct sq_memo memo;         /* the writer's only (above) */
};

static inline struct conn *
sq__conn(struct store_tx *tx)
{
	return (struct conn *)(void *)tx;
}

int sq__open(const char *where, struct store **out, struct jd_error *e);
void sq__close(struct store *s);
/* The start-up check (store_ops.check, conn.c): writable, then the pages. */
int sq__check(struct store *s, int level, struct jd_error *e);
int sq__begin(struct store *s, bool write, struct store_tx **out);
int sq__commit(struct store_tx *tx);
int sq__ride(struct store *s, int (*fn)(struct store_tx *tx, void *arg), void *arg);
void sq__rollback(struct store_tx *tx);

/* ---- schema (schema.c) ------------------------------------------------- */

/* Apply the missing migrations to the writer `c` of the file at path, in one
 * transaction. */
int sq__migrate(struct conn *c, const char *path, struct jd_error *e);

/* ---- running statements (query.c) -------------------------------------- */

/* A statement in use: the cached one, or a temporary one when it was busy. */
struct q {
	struct conn *c;
	sqlite3_stmt *st;
	bool temp;
	enum stmt id;
};

/* Log the failure of `what` (with detail) on c; returns JD_EUNAVAIL. */
int sq__fail(struct conn *c, const char *what, const char *detail);

/*
 * Bind arguments: one struct bind per ?N, in order, each naming its type.
 * Written with the B_*() initialisers inside BINDS(), which passes the array
 * and its length (a compound literal on the caller's stack: no allocation):
 *   sq__run(c, ST_X, false, NULL, BINDS(B_TEXT(name), B_I64(ms), B_LIMIT(n)));
 * Texts and blobs are borrowed until the statement is closed.
 */
enum bind_type {
	BIND_TEXT,       /* s: NULL -> NULL */
	BIND_TEXT_OPT,   /* s: NULL or "" -> NULL (an absent optional name) */
	BIND_TEXT_EMPTY, /* s: NULL -> "" (a cursor: from the first row) */
	BIND_INT,        /* i: an int (or bool, as 0/1) */
	BIND_I64,        /* i */
	BIND_LIMIT,      /* i: a limit, <= 0 -> no limit (-1) */
	BIND_BLOB,       /* p, n bytes: NULL -> NULL */
};

struct bind {
	enum bind_type t;
	int n; /* BIND_BLOB: bytes */
	union {
		const char *s;
		const void *p;
		int64_t i;
	};
};

#define B_TEXT(x)                        \
	{                                \
		.t = BIND_TEXT, .s = (x) \
	}
#define B_OPT(x)                             \
	{                                    \
		.t = BIND_TEXT_OPT, .s = (x) \
	}
#define B_CURSOR(x)                            \
	{                                      \
		.t = BIND_TEXT_EMPTY, .s = (x) \
	}
#define B_INT(x)                        \
	{                               \
		.t = BIND_INT, .i = (x) \
	}
#define B_BOOL(x)                               \
	{                                       \
		.t = BIND_INT, .i = (x) ? 1 : 0 \
	}
#define B_I64(x)                        \
	{                               \
		.t = BIND_I64, .i = (x) \
	}
#define B_LIMIT(x)                        \
	{                                 \
		.t = BIND_LIMIT, .i = (x) \
	}
#define B_BLOB(x, len)                                    \
	{                                                 \
		.t = BIND_BLOB, .n = (int)(len), .p = (x) \
	}

#define BINDS(...)                          \
	(const struct bind[]){__VA_ARGS__}, \
	    (int)(sizeof((const struct bind[]){__VA_ARGS__}) / sizeof(struct bind))
#define NO_BINDS NULL, 0

/* Open statement id on c with b[0..n) bound: 0 or JD_EUNAVAIL. */
int sq__q_open(struct conn *c, enum stmt id, struct q *q, const struct bind *b, int n);
/* 1 a row, 0 done, JD_EEXISTS on a key conflict, else JD_EUNAVAIL. */
int sq__q_step(struct q *q);
/* Reset (or finalize, if temporary) the statement; idempotent. */
void sq__q_close(struct q *q);

/* Step to the single expected row: 0 with q positioned on it, or JD_ENOTFOUND. */
static inline int
sq__q_one(struct q *q)
{
	int rc = sq__q_step(q);

	return rc == 1 ? 0 : rc == 0 ? JD_ENOTFOUND : rc;
}

/*
 * Run a statement to completion. With `need_row`, zero changed rows is
 * JD_ENOTFOUND. *changes (may be NULL) gets sqlite3_changes.
 */
int sq__run(struct conn *c, enum stmt id, bool need_row, int64_t *changes, const struct bind *b,
    int n);
/* Single-integer query (count, max). */
int sq__scalar(struct conn *c, enum stmt id, int64_t *out, const struct bind *b, int n);

/*
 * Add n to the monotonic counter `name` and read its new value, the last of
 * the n taken (writer transactions only).
 */
int sq__seq_add(struct conn *c, const char *name, int64_t n, int64_t *out);

/* Column i as an owned string (NULL stays NULL). */
static inline char *
sq__col_dup(sqlite3_stmt *st, int i)
{
	return jd_strdup((const char *)sqlite3_column_text(st, i));
}

/* Column i copied into dst[size] ("" for NULL). */
static inline void
sq__col_cpy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	jd_strlcpy(dst, s != NULL ? s : "", size);
}

/* Call cb with column 0 of each row as a name; closes q. */
int sq__each_name(struct q *q, jd_name_cb cb, void *arg);

/* ---- operations (ops_*.c), as in struct store_ops ---------------------- */

int sq__wipe(struct store_tx *tx);
int sq__meta_get(struct store_tx *tx, const char *key, char **val);
int sq__meta_put(struct store_tx *tx, const char *key, const char *val);
int sq__meta_list(struct store_tx *tx, store_meta_cb cb, void *arg);
/* ops_fanout.c */
/* Append s as a JSON string (quoted, escaped) to b: names bound for json_each. */
void sq__json_str(struct buf *b, const char *s);
int sq__thing_resolve(struct store_tx *tx, const char *job_id, struct store_target *v, size_t n);
int sq__member_walk(struct store_tx *tx, const char *group, const char *after, int limit,
    jd_name_cb cb, void *arg);
int sq__fanout_insert(struct store_tx *tx, struct store_fanout *f);
int sq__fanout_update(struct store_tx *tx, const struct store_fanout *f);
int sq__fanout_delete(struct store_tx *tx, const char *job_id, int64_t run);
int sq__fanout_list(struct store_tx *tx, const char *job_id, int limit, store_fanout_cb cb,
    void *arg);
int sq__thing_get(struct store_tx *tx, const char *name, struct jd_thing *out);
int sq__thing_insert(struct store_tx *tx, const struct jd_thing *t);
int sq__thing_update(struct store_tx *tx, const struct jd_thing *t);
int sq__thing_delete(struct store_tx *tx, const char *name);
int sq__thing_list(struct store_tx *tx, const struct jd_thing_filter *f, const char *after,
    int limit, jd_thing_cb cb, void *arg);
int sq__thing_groups(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg);
int sq__group_get(struct store_tx *tx, const char *name, struct jd_group *out);
int sq__group_insert(struct store_tx *tx, const struct jd_group *g);
int sq__group_delete(struct store_tx *tx, const char *name);
int sq__group_list(struct store_tx *tx, const struct jd_group_filter *f, const char *after,
    int limit, jd_group_cb cb, void *arg);
int sq__group_child_count(struct store_tx *tx, const char *name, int64_t *n);
int sq__group_update(struct store_tx *tx, const struct jd_group *g);
int sq__group_list_dynamic(struct store_tx *tx, const char *after, int limit, jd_group_cb cb,
    void *arg);
int sq__member_add(struct store_tx *tx, const char *group, const char *thing);
int sq__member_remove(struct store_tx *tx, const char *group, const char *thing);
int sq__member_list(struct store_tx *tx, const char *group, bool recursive, const char *after,
    int limit, jd_name_cb cb, void *arg);

int sq__job_get(struct store_tx *tx, const char *job_id, struct jd_job *out);
int sq__job_status(struct store_tx *tx, const char *job_id, int *status, int *selection);
int sq__job_insert(struct store_tx *tx, struct jd_job *j);
int sq__job_update(struct store_tx *tx, const struct jd_job *j);
int sq__job_delete(struct store_tx *tx, const char *job_id);
int sq__job_list(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg);
int sq__job_count_status(struct store_tx *tx, int status, int64_t *n);
int sq__job_target_add(struct store_tx *tx, const char *job_id, const char *group);
int sq__job_list_by_group(struct store_tx *tx, const char *group, jd_job_cb cb, void *arg);
int sq__rollout_push(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing);
int sq__rollout_pop(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb, void *arg);
int sq__rollout_clear(struct store_tx *tx, const char *job_id);
int sq__job_rollout_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg);
int sq__job_sched_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg);
int sq__template_get(struct store_tx *tx, const char *id, struct jd_template *out);
int sq__template_insert(struct store_tx *tx, const struct jd_template *t);
int sq__template_delete(struct store_tx *tx, const char *id);
int sq__template_list(struct store_tx *tx, const char *after, int limit, jd_template_cb cb,
    void *arg);

int sq__exec_get(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out);
int sq__exec_insert(struct store_tx *tx, struct jd_exec *x);
int sq__exec_insert_first(struct store_tx *tx, struct jd_exec *xs, size_t n);
int sq__exec_update(struct store_tx *tx, const struct jd_exec *x);
int sq__exec_delete(struct store_tx *tx, const char *job_id, const char *thing, int64_t number);
int sq__exec_max_number(struct store_tx *tx, const char *job_id, const char *thing, int64_t *n);
int sq__exec_list_job(struct store_tx *tx, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, jd_exec_cb cb, void *arg);
struct store_cond;
int sq__thing_insert_if(struct store_tx *tx, const struct jd_thing *t, struct store_cond *res);
int sq__exec_update_if(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
    int old_status, struct store_cond *res);
int sq__exec_list_job_summary(struct store_tx *tx, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg);
int sq__exec_list_thing(struct store_tx *tx, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg);
int sq__exec_pending(struct store_tx *tx, const char *thing, const char *namespace_id, int limit,
    jd_exec_cb cb, void *arg);
int sq__exec_pending_job(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg);
int sq__exec_counts(struct store_tx *tx, const char *job_id, struct jd_counts *out);
int sq__exec_counts_all(struct store_tx *tx, struct jd_counts *out);
int sq__exec_active_count(struct store_tx *tx, const char *job_id, int64_t *n);
int sq__exec_delete_job(struct store_tx *tx, const char *job_id, int limit, int64_t *n);
int sq__exec_due(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg);

int sq__type_get(struct store_tx *tx, const char *name, struct jd_thing_type *out);
int sq__type_insert(struct store_tx *tx, const struct jd_thing_type *t);
int sq__type_update(struct store_tx *tx, const struct jd_thing_type *t);
int sq__type_delete(struct store_tx *tx, const char *name);
int sq__type_list(struct store_tx *tx, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg);
int sq__tag_put(struct store_tx *tx, const char *resource, const char *key, const char *value);
int sq__tag_delete(struct store_tx *tx, const char *resource, const char *key);
int sq__tag_list(struct store_tx *tx, const char *resource, const char *after, int limit,
    jd_tag_cb cb, void *arg);
int sq__tag_count(struct store_tx *tx, const char *resource, int64_t *n);
int sq__lease_acquire(struct store_tx *tx, const char *name, const char *holder, int64_t ttl_ms,
    struct store_lease *out);
int sq__lease_release(struct store_tx *tx, const char *name, const char *holder);
int sq__lease_check(struct store_tx *tx, const char *name, const char *holder, int64_t epoch);
int sq__lease_list(struct store_tx *tx, const char *prefix, store_lease_cb cb, void *arg);
/* ops_timeline.c: a job's timeline and pause (issue 14) */
int sq__timeline_add(struct store_tx *tx, const char *job_id, int64_t at_ms, const char *event,
    const char *detail, int keep);
int sq__timeline_list(struct store_tx *tx, const char *job_id, store_timeline_cb cb, void *arg);
int sq__pause_get(struct store_tx *tx, const char *job_id, int64_t *paused_ms);
int sq__pause_put(struct store_tx *tx, const char *job_id, int64_t paused_ms);
int sq__pause_delete(struct store_tx *tx, const char *job_id);
int sq__pause_list(struct store_tx *tx, jd_name_cb cb, void *arg);
int sq__rollout_count(struct store_tx *tx, const char *job_id, int64_t *n);
int sq__thing_insert_many(struct store_tx *tx, const struct jd_thing *ts, size_t n);
int sq__member_add_many(struct store_tx *tx, const char *group, const char *const *things,
    size_t n);
int sq__lease_renew(struct store *s, const char *holder, int64_t ttl_ms, store_lease_cb cb,
    void *arg);

/* Statements off the prepared table (leases, timeline: a few a second at most),
 * query.c: prepare sql on c and bind texts t[0..nt) then integers i[0..ni);
 * step once: 1 a row, 0 done, else JD_EUNAVAIL (st finalized then). */
int sq__adhoc_prep(struct conn *c, const char *what, const char *sql, const char *const *t, int nt,
    const int64_t *i, int ni, sqlite3_stmt **out);
int sq__adhoc_step(struct conn *c, const char *what, sqlite3_stmt *st);

#endif
