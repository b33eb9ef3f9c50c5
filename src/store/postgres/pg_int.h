/*
 * pg_int.h: internals of the PostgreSQL backend, shared by its files. Not
 * for svc/ or anything above the store.
 *
 * The backend's files and their roles (as in the SQLite backend):
 *   postgres.c      the ops table (what store.h sees) and the design overview
 *   schema.c        the schema: numbered migrations and applying them
 *   stmt.c          the statement table: every SQL text, by enum stmt
 *   conn.c          the connection pools, reconnecting, begin/commit/rollback,
 *                   open/close
 *   query.c         running a statement: prepare, bind, execute, errors, and
 *                   the column readers
 *   ops_registry.c  meta, wipe, things, groups, memberships
 *   ops_jobs.c      jobs, group targets, paced rollouts, templates
 *   ops_exec.c      executions and their counts
 *   ops_types.c     thing types and tags
 *   ops_lease.c     leases (several nodes, D24)
 *   ops_timeline.c  a job's timeline and pause (issue 14)
 *   ops_bulk.c      bulk inserts of things and memberships (COPY; copy-store)
 *   group.c         group commit of the write transactions
 *   batch.c         one-operation reads of concurrent threads, batched
 *
 * Names: pg__name() is internal to this backend (declared here).
 */
#ifndef JD_STORE_POSTGRES_PG_INT_H
#define JD_STORE_POSTGRES_PG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/core.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/handover.h"

/* Connections per pool: read transactions, write transactions (one: a
 * node's writes share one connection and commit in groups, group.c). */
#define PG_READERS 8
#define PG_WRITERS 1
/* One-operation reads (batch.c): the connections their batches share, and
 * the reads of one batch, at most. One connection, measured (control-read,
 * bench/README.md): PostgreSQL's CPU per read 42-57 us; two or four, each
 * used when free: 61-89 us (smaller batches); the old one connection per
 * read: 70-122 us. Every one-operation read is a short index lookup, so one
 * batch at a time holds no read up for long. */
#define PG_BATCH_CONNS 1
#define PG_BATCH_MAX 64
/* A commit group ends at this many members or this age (as SQLite's). */
#define PG_GROUP_MAX 64
#define PG_GROUP_MAX_NS 10000000 /* 10 ms */

/* Advisory lock keys (pg_advisory_xact_lock): the writer lock taken by every
 * write transaction, and the migration lock taken by open. */
#define PG_LOCK_WRITER "7433001"
#define PG_LOCK_MIGRATE "7433002"

/* Bound parameters of one statement, at most. */
#define PG_MAX_PARAMS 24

/* ---- statuses in SQL (the same literals as the SQLite backend) ---------- */

#define SQL_EXEC_QUEUED "0"
#define SQL_EXEC_IN_PROGRESS "1"
_Static_assert(JD_EXEC_QUEUED == 0, "SQL_EXEC_QUEUED");
_Static_assert(JD_EXEC_IN_PROGRESS == 1, "SQL_EXEC_IN_PROGRESS");
#define SQL_EXEC_PENDING "(" SQL_EXEC_QUEUED ", " SQL_EXEC_IN_PROGRESS ")"
#define SQL_JOB_IN_PROGRESS "0"
_Static_assert(JD_JOB_IN_PROGRESS == 0, "SQL_JOB_IN_PROGRESS");
#define SQL_SEL_SNAPSHOT "0"
_Static_assert(JD_SEL_SNAPSHOT == 0, "SQL_SEL_SNAPSHOT");
#define SQL_JOB_DELETION_IN_PROGRESS "3"
#define SQL_JOB_SCHEDULED "4"
_Static_assert(JD_JOB_DELETION_IN_PROGRESS == 3, "SQL_JOB_DELETION_IN_PROGRESS");
_Static_assert(JD_JOB_SCHEDULED == 4, "SQL_JOB_SCHEDULED");
#define SQL_FILTER_ANY "-1"
#define SQL_FILTER_PENDING "-2"

/* ---- statements (stmt.c) ----------------------------------------------- */

enum stmt {
	ST_SEQ_EXEC_BLOCK,
	ST_COUNTS_ADD,
	ST_COUNTS_PRUNE,
	/* registry */
	ST_META_GET,
	ST_META_PUT,
	ST_THING_GET,
	ST_THING_INSERT,
	ST_THING_UPDATE,
	ST_THING_DELETE,
	ST_THING_LIST,
	ST_THING_GROUPS,
	ST_GROUP_GET,
	ST_GROUP_INSERT,
	ST_GROUP_DELETE,
	ST_GROUP_LIST,
	ST_GROUP_CHILD_COUNT,
	ST_MEMBER_ADD,
	ST_MEMBER_REMOVE,
	ST_MEMBER_LIST,
	/* thing-group management, dynamic groups */
	ST_GROUP_UPDATE,
	ST_GROUP_LIST_DYNAMIC,
	/* jobs, rollouts */
	ST_JOB_GET,
	ST_JOB_STATUS,
	ST_JOB_INSERT,
	ST_JOB_UPDATE,
	ST_JOB_DELETE,
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
	ST_EXEC_UPDATE,
	ST_EXEC_DELETE,
	ST_EXEC_MAX_NUMBER,
	ST_EXEC_LIST_JOB,
	ST_EXEC_LIST_JOB_SUMMARY,
	ST_EXEC_LIST_THING,
	ST_EXEC_PENDING,
	ST_EXEC_PENDING_JOB,
	ST_EXEC_COUNTS,
	ST_EXEC_ACTIVE_COUNT,
	ST_EXEC_DELETE_JOB,
	ST_EXEC_DUE,
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
	ST_JOB_GET_COUNTS,
	/* the write connection's forms (group.c, "Deferred writes") */
	ST_EXEC_GET_W,
	ST_EXEC_UPDATE_DEFER,
	ST_EXEC_UPDATE_SAME_DEFER,
	ST_EXEC_DELETE_DEFER,
	ST_EXEC_PENDING_W,
	ST_EXEC_GET_JOB,
	ST_EXEC_NEXT_JOB,
	/* conditional writes (group.c, "Conditional writes") */
	ST_EXEC_UPDATE_IF,
	ST_EXEC_UPDATE_SAME_IF,
	ST_EXEC_DELETE_IF,
	ST_THING_INSERT_IF,
	ST__COUNT
};

const char *pg__stmt_sql(enum stmt id);
const char *pg__stmt_name(enum stmt id);
/* True if statement id only reads (a plain SELECT: no data-modifying CTE, no
 * sequence, no row lock): a write member runs it without its savepoint. */
bool pg__stmt_reads(enum stmt id);
/* "jd<N>": the name of statement id's prepared form on every connection
 * (query.c). */
void pg__stmt_label(char name[16], int id);
/* 0 if every statement has its SQL, else JD_EINTERNAL. */
int pg__stmts_check(struct jd_error *e);

/* The COPY of exec_insert_first and the wipe (simple queries). */
extern const char pg__exec_copy_sql[];
extern const char pg__wipe_sql[];

/* ---- connections (conn.c) ---------------------------------------------- */

struct pg_store;
struct pool;

/* Conditional writes queued on the writer, at most (one per member) */
#define PG_COND_MAX PG_GROUP_MAX
/* Commands queued to go before the next statement, at most: a group's
 * opening, its members' conditional writes, a deferred write and a
 * member's savepoints. */
#define PG_PREFIX_MAX (8 + PG_COND_MAX)

/*
 * What a write statement learned beyond its own answer, kept for the next
 * operation on the connection only (any other statement clears it first,
 * query.c), so the read that use cases run right after that write costs no
 * round trip: the job's active count after EXEC_UPDATE and EXEC_DELETE
 * (svc's "is the job complete?"), and that no dynamic group exists after
 * THING_INSERT (CreateThing's dynamic-group pass).
 */
enum pg_memo_kind {
	PG_MEMO_NONE,
	PG_MEMO_ACTIVE,     /* n: exec_active_count(job) */
	PG_MEMO_NO_DYNAMIC, /* group_list_dynamic would return no row */
	PG_MEMO_ROW,        /* exec_get on the writer: the row (job_id, thing,
	                     * number) exists with `status`, and n is its job's
	                     * active count (group.c, "Deferred writes") */
};

struct pg_memo {
	enum pg_memo_kind kind;
	int64_t n;
	char job_id[JD_JOB_ID_MAX + 1];
	/* PG_MEMO_ROW only */
	char thing[JD_THING_NAME_MAX + 1];
	int64_t number;
	int status;
};

/*
 * A connection; while a transaction is open it is also the struct store_tx.
 *
 * Round trips (query.c): a transaction's opening commands (BEGIN, the writer
 * lock, a savepoint) are not sent at begin but queued in `prefix` and sent in
 * one libpq pipeline with the transaction's first statement; a read
 * transaction's end is sent without waiting for its answer (`pending`),
 * which the connection's next user reads first. So a one-statement read is
 * one round trip, and a transaction that runs no statement costs none.
 * Anything that calls libpq directly on a connection inside a transaction
 * (COPY, PQexecParams) calls pg__ready first.
 *
 * A one-operation read (store_begin_one, `one`) queues no BEGIN: its
 * statement runs in the implicit transaction PostgreSQL gives a statement
 * sent with its own Sync, on that statement's snapshot, and there is nothing
 * to end (no COMMIT). Every read operation of this backend is one statement,
 * so one operation is one snapshot; a second statement in such a read (a
 * caller that broke the contract) is logged, and runs on a snapshot of its
 * own.
 */
struct conn {
	struct store_tx_base base; /* first: (struct store_tx *)conn */
	struct pg_store *s;        /* borrowed */
	struct pool *pool;         /* the pool it belongs to */
	PGconn *db;                /* NULL until connected */
	int slot;                  /* its index in the pool (conn.c) */
	bool broken;               /* reconnect before the next transaction */
	bool in_tx;                /* the prefix has run: a transaction is open */
	bool one;                  /* a one-operation read: no BEGIN (above) */
	struct pg_memo memo;       /* (above) */
	/* the writer: the head of a thing's pending list as a read of this
	 * member found it, until it writes (ops_exec.c, pg__exec_pending_head) */
	struct {
		bool valid, found;
		char thing[JD_THING_NAME_MAX + 1];
		char ns[JD_NAMESPACE_MAX + 1];
		char job[JD_JOB_ID_MAX + 1];
		int64_t number;
	} head;
	int nstmt;   /* statements run in this transaction */
	int pending; /* pipeline syncs sent whose results are unread */
	int nprefix;
	const char *prefix[PG_PREFIX_MAX]; /* SQL (outliving the tx) for the next statement */
	bool prepared[ST__COUNT];
	/* a one-operation read's handle (batch.c): its statement goes to this
	 * batcher; the handle has no server connection of its own */
	struct pg_batch *batch;
	/* the write connection (group.c): its group, the current member's
	 * savepoint not queued yet ("Lazy savepoints"), whether the member sent
	 * anything, and the deferred write while it is in prefix (there as
	 * pg__defer_mark) */
	struct pg_group *group;
	bool sp_lazy;
	bool sent;
	struct pg_deferred {
		int id;
		int n;
		bool own;               /* queued by the current member */
		bool fail;              /* test hook: sent as a failing SELECT */
		struct buf text;        /* the parameters' text, NUL-separated */
		int off[PG_MAX_PARAMS]; /* each one's offset in text, -1: NULL */
	} defer;
	atomic_int test_fail_defer; /* test hook: deferred writes to fail (pg_test.h) */
	/* the writer: conditional writes queued (group.c, "Conditional
	 * writes"), each in prefix as pg__cond_mark, in order; cond_own: the
	 * current member queued the last one */
	struct pg_cond {
		enum stmt id;
		int n;
		struct store_cond *res;
		struct buf text;
		int off[PG_MAX_PARAMS];
	} * cond;
	int ncond;
	bool cond_own;
};

static inline struct conn *
pg__conn(struct store_tx *tx)
{
	return (struct conn *)(void *)tx;
}

int pg__open(const char *where, struct store **out, struct jd_error *e);
/* Replace c's server connection with a new one (prepared statements and any
 * transaction forgotten; the prefix kept). 0 or JD_EUNAVAIL. */
int pg__reconnect(struct conn *c);
void pg__close(struct store *s);
int pg__begin(struct store *s, bool write, struct store_tx **out);
int pg__begin_one(struct store *s, struct store_tx **out);
/* Connect c if it is not (or broken): 0 or JD_EUNAVAIL. */
int pg__connect_if_needed(struct conn *c);
/* Leave c with no transaction open, waiting for the answer (best effort). */
void pg__abandon(struct conn *c);

/* A one-operation read's statement run on a reader of the pool, on its own
 * (no BEGIN: the statement's snapshot), not in a batch (batch.c says which):
 * as pg__exec. */
struct bind;
int pg__one_on_reader(struct conn *h, enum stmt id, PGresult **out, const struct bind *b, int n);

/* ---- batched one-operation reads (batch.c) ----------------------------- */

struct pg_batch;
struct pg_batch *pg__batch_create(struct pg_store *s);
void pg__batch_destroy(struct pg_batch *b);
/* A one-operation read's handle (never fails: no connection is taken
 * until its statement runs); pg__batch_end frees it. */
int pg__batch_begin(struct pg_batch *b, struct pg_store *s, struct store_tx **out);
void pg__batch_end(struct conn *h);
/* Run statement id (parameters as for PQsendQueryPrepared) in a batch with
 * other threads' reads: 0 with *out its result (the caller PQclears it), or
 * JD_EUNAVAIL (logged). */
/* True if statement id, read alone, goes to the reader pool rather than a
 * batch: its result is large (batch.c, "Lists"). */
static inline bool
pg__batch_bypass(enum stmt id)
{
	return id == ST_EXEC_LIST_JOB || id == ST_EXEC_LIST_JOB_SUMMARY;
}
int pg__batch_exec(struct conn *h, enum stmt id, int n, const char *const *vals, const int *lens,
    const int *fmts, PGresult **out);

/* ---- group commit (group.c) -------------------------------------------- */

struct bind;
struct pg_group {
	struct conn *writer; /* borrowed: the node's one write connection */
	pthread_mutex_t lock;
	struct handover wq; /* the writer connection's owner and its waiters */
	struct handover_member *members;
	int nmembers;
	bool outer;            /* the group's transaction is open (or queued to open) */
	int64_t start_ns;      /* CLOCK_MONOTONIC of the group's start */
	char lock_timeout[48]; /* "SET LOCAL lock_timeout = N": a late group's (group.c) */
	int sp;                /* the current member's savepoint name: jd0 or jd1 */
};

void pg__group_init(struct pg_group *g, struct conn *writer);
void pg__group_destroy(struct pg_group *g);
/* begin, commit, rollback of a write transaction (a member of the group) */
int pg__group_begin(struct pg_group *g, struct conn **out);
int pg__group_commit(struct pg_group *g);
void pg__group_rollback(struct pg_group *g);
/* store_read_ops.ride (conn.c), run by the group (group.c, "Riders") */
int pg__ride(struct store *s, int (*fn)(struct store_tx *tx, void *arg), void *arg);
int pg__group_ride(struct pg_group *g, int (*fn)(struct store_tx *tx, void *arg), void *arg);
int pg__commit(struct store_tx *tx);
void pg__rollback(struct store_tx *tx);
/*
 * Deferred writes (group.c): queue statement id with b[0..n) bound (text,
 * I64 and BOOL binds only) to run with c's next pipeline, without waiting
 * for it: only for a write that is known to apply (its row was read in the
 * same member, PG_MEMO_ROW) and whose failure fails the whole group. True
 * if queued; false if it cannot be (the caller runs it at once).
 */
bool pg__defer(struct conn *c, enum stmt id, const struct bind *b, int n);
/* The prefix entry that stands for c's deferred write (query.c sends it with
 * pg__defer_send: PQsendQueryPrepared). */
extern const char pg__defer_mark[];
int pg__defer_send(struct conn *c);
/* True if the current member's own deferred or conditional write is the
 * last prefix entry (not sent yet). */
bool pg__own_queued(const struct conn *c);
/* Conditional writes (group.c): queue statement id with parameters b as a
 * conditional write whose answer (one row: applied, 0 or 1) goes to *res
 * when the pipeline that carries it is read. False if it cannot be
 * queued (the caller runs it at once). */
bool pg__cond(struct conn *c, enum stmt id, const struct bind *b, int n, struct store_cond *res);
extern const char pg__cond_mark[];
/* pg__cond, or, when it cannot queue, the statement at once (ops_exec.c) */
int pg__cond_run(struct conn *c, enum stmt id, const struct bind *b, int n, struct store_cond *res);
/* Send the i-th queued conditional write (PQsendQueryPrepared). */
int pg__cond_send(struct conn *c, int i);
/* Its answer r (one row), to its store_cond. */
void pg__cond_answer(struct conn *c, int i, const PGresult *r);
/* Queue the current member's savepoint now if it is still lazy (group.c,
 * "Lazy savepoints"): before its first write, or before its own deferred
 * write when a statement is about to send it. */
void pg__group_savepoint(struct conn *c);

/* ---- schema (schema.c) ------------------------------------------------- */

/* Apply the missing migrations on c, in one transaction under the migration
 * lock (several nodes may start at once). */
int pg__migrate(struct conn *c, struct jd_error *e);

/* ---- running statements (query.c) -------------------------------------- */

/* Log the failure of `what` on c (and mark c broken if the connection is
 * lost); returns JD_EUNAVAIL. r may be NULL. */
int pg__fail(struct conn *c, const char *what, const PGresult *r);

/* Run a simple (unprepared) query expecting no rows: 0 or JD_EUNAVAIL.
 * Sends c's prefix first (pg__ready). */
int pg__simple(struct conn *c, const char *sql);

/* Queue sql (a static string) to run before the next statement on c. */
void pg__prefix(struct conn *c, const char *sql);
/* Read the results of an earlier asynchronous end (c->pending); 0, or
 * JD_EUNAVAIL with c marked broken. */
int pg__drain(struct conn *c);
/* Make c ready for a direct libpq call inside its transaction: pending
 * results read, the prefix sent and run. 0 or JD_EUNAVAIL. */
int pg__ready(struct conn *c);
/* Run an unprepared statement (PQexecParams) with n text parameters (NULL:
 * SQL NULL) inside c's transaction, after pg__ready: 0 with *out (the caller
 * clears it), or JD_EUNAVAIL (logged as `what`). For statements off the hot
 * paths (leases, timeline, fan-out cursors) kept apart from the table. */
int pg__params(struct conn *c, const char *what, const char *sql, int n, const char *const *vals,
    PGresult **out);
/* Send c's prefix and then `sql` in one pipeline and wait: 0 with *out the
 * result of sql (the caller clears it), or JD_EUNAVAIL (logged). */
int pg__finish(struct conn *c, const char *sql, PGresult **out);
/* Send c's prefix (if the transaction ran anything) and then `sql` without
 * waiting for the answer (c->pending): the end of a read transaction. */
void pg__finish_async(struct conn *c, const char *sql);

enum bind_type {
	BIND_TEXT,       /* s: NULL -> NULL */
	BIND_TEXT_OPT,   /* s: NULL or "" -> NULL (an absent optional filter) */
	BIND_TEXT_EMPTY, /* s: NULL -> "" (a cursor, an empty name) */
	BIND_I64,        /* i */
	BIND_LIMIT,      /* i: a limit, <= 0 -> NULL (no limit) */
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
#define B_NAME(x)                              \
	{                                      \
		.t = BIND_TEXT_EMPTY, .s = (x) \
	}
#define B_I64(x)                        \
	{                               \
		.t = BIND_I64, .i = (x) \
	}
#define B_BOOL(x)                               \
	{                                       \
		.t = BIND_I64, .i = (x) ? 1 : 0 \
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

/*
 * Run statement id on c with b[0..n) bound (prepared on c on first use).
 * 0 with *out the result (rows or a command; the caller PQclears it), or
 * JD_EUNAVAIL (logged). A unique violation is JD_EEXISTS.
 */
int pg__exec(struct conn *c, enum stmt id, PGresult **out, const struct bind *b, int n);

/*
 * Run a statement to completion. *changes (may be NULL) gets the rows it
 * changed (or, for a query, returned); with `need_row`, zero is JD_ENOTFOUND.
 */
int pg__run(struct conn *c, enum stmt id, bool need_row, int64_t *changes, const struct bind *b,
    int n);
/* Single-integer query (count, max): JD_ENOTFOUND without a row. */
int pg__scalar(struct conn *c, enum stmt id, int64_t *out, const struct bind *b, int n);

/* Column readers of row i, column j (text results). */
static inline const char *
pg__val(const PGresult *r, int i, int j)
{
	return PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
}

/* An integer column (int2, int4, int8) by core's strict parse; a NULL's
 * value is "" and reads as 0 without asking PQgetisnull, as does no such
 * row or column. strtoll was the first of jobsd's own symbols in a
 * PostgreSQL page of 50 (4% of its samples; bench/README.md "Round 11"). */
static inline int64_t
pg__i64(const PGresult *r, int i, int j)
{
	int64_t v;

	return core_parse_i64(PQgetvalue(r, i, j), &v) == 0 ? v : 0;
}

static inline char *
pg__dup(const PGresult *r, int i, int j)
{
	return jd_strdup(pg__val(r, i, j));
}

static inline void
pg__cpy(const PGresult *r, int i, int j, char *dst, size_t size)
{
	const char *v = pg__val(r, i, j);

	jd_strlcpy(dst, v != NULL ? v : "", size);
}

/* COPY text format (ops_exec.c): s escaped (NULL is \N); v then sep. */
void pg__copy_text(struct buf *b, const char *s);
void pg__copy_i64(struct buf *b, int64_t v, char sep);

/* Call cb with column 0 of each row of r as a name; clears r. */
int pg__each_name(PGresult *r, jd_name_cb cb, void *arg);

/* ---- operations (ops_*.c), as in struct store_ops ---------------------- */

int pg__wipe(struct store_tx *tx);
int pg__meta_get(struct store_tx *tx, const char *key, char **val);
int pg__meta_put(struct store_tx *tx, const char *key, const char *val);
int pg__meta_list(struct store_tx *tx, store_meta_cb cb, void *arg);
int pg__thing_get(struct store_tx *tx, const char *name, struct jd_thing *out);
int pg__thing_insert(struct store_tx *tx, const struct jd_thing *t);
int pg__thing_update(struct store_tx *tx, const struct jd_thing *t);
int pg__thing_delete(struct store_tx *tx, const char *name);
int pg__thing_list(struct store_tx *tx, const struct jd_thing_filter *f, const char *after,
    int limit, jd_thing_cb cb, void *arg);
int pg__thing_groups(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg);
int pg__group_get(struct store_tx *tx, const char *name, struct jd_group *out);
int pg__group_insert(struct store_tx *tx, const struct jd_group *g);
int pg__group_delete(struct store_tx *tx, const char *name);
int pg__group_list(struct store_tx *tx, const struct jd_group_filter *f, const char *after,
    int limit, jd_group_cb cb, void *arg);
int pg__group_child_count(struct store_tx *tx, const char *name, int64_t *n);
int pg__group_update(struct store_tx *tx, const struct jd_group *g);
int pg__group_list_dynamic(struct store_tx *tx, const char *after, int limit, jd_group_cb cb,
    void *arg);
int pg__member_add(struct store_tx *tx, const char *group, const char *thing);
int pg__thing_insert_many(struct store_tx *tx, const struct jd_thing *ts, size_t n);
int pg__member_add_many(struct store_tx *tx, const char *group, const char *const *things,
    size_t n);
int pg__member_remove(struct store_tx *tx, const char *group, const char *thing);
int pg__member_list(struct store_tx *tx, const char *group, bool recursive, const char *after,
    int limit, jd_name_cb cb, void *arg);

int pg__job_get(struct store_tx *tx, const char *job_id, struct jd_job *out);
/* A job row (JOB_COLS, from column 0) of r into *out. */
void pg__row_job(const PGresult *r, int i, struct jd_job *out);
int pg__exec_get_job(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_job *job, struct jd_exec *x);
int pg__exec_pending_head(struct store_tx *tx, const char *thing, const char *namespace_id,
    char *job, int64_t *number);
int pg__exec_update_if(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
    int old_status, struct store_cond *res);
int pg__thing_insert_if(struct store_tx *tx, const struct jd_thing *t, struct store_cond *res);
int pg__exec_delete_if(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    int64_t old_version, int old_status, struct store_cond *res);
int pg__exec_next_job(struct store_tx *tx, const char *thing, const char *namespace_id,
    struct jd_exec *x, struct jd_job *job);
int pg__job_get_counts(struct store_tx *tx, const char *job_id, struct jd_job *out,
    struct jd_counts *counts);
int pg__job_status(struct store_tx *tx, const char *job_id, int *status, int *selection);
int pg__job_insert(struct store_tx *tx, struct jd_job *j);
int pg__job_update(struct store_tx *tx, const struct jd_job *j);
int pg__job_delete(struct store_tx *tx, const char *job_id);
int pg__job_list(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg);
int pg__job_count_status(struct store_tx *tx, int status, int64_t *n);
int pg__job_target_add(struct store_tx *tx, const char *job_id, const char *group);
int pg__job_list_by_group(struct store_tx *tx, const char *group, jd_job_cb cb, void *arg);
int pg__rollout_push(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing);
int pg__rollout_pop(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb, void *arg);
int pg__rollout_clear(struct store_tx *tx, const char *job_id);
int pg__job_rollout_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg);
int pg__job_sched_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg);
int pg__template_get(struct store_tx *tx, const char *id, struct jd_template *out);
int pg__template_insert(struct store_tx *tx, const struct jd_template *t);
int pg__template_delete(struct store_tx *tx, const char *id);
int pg__template_list(struct store_tx *tx, const char *after, int limit, jd_template_cb cb,
    void *arg);

int pg__exec_get(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out);
int pg__exec_insert(struct store_tx *tx, struct jd_exec *x);
int pg__exec_insert_first(struct store_tx *tx, struct jd_exec *xs, size_t n);
int pg__exec_update(struct store_tx *tx, const struct jd_exec *x);
int pg__exec_delete(struct store_tx *tx, const char *job_id, const char *thing, int64_t number);
int pg__exec_max_number(struct store_tx *tx, const char *job_id, const char *thing, int64_t *n);
int pg__exec_list_job(struct store_tx *tx, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, jd_exec_cb cb, void *arg);
int pg__exec_list_job_summary(struct store_tx *tx, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg);
int pg__exec_list_thing(struct store_tx *tx, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg);
int pg__exec_pending(struct store_tx *tx, const char *thing, const char *namespace_id, int limit,
    jd_exec_cb cb, void *arg);
int pg__exec_pending_job(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg);
int pg__exec_counts(struct store_tx *tx, const char *job_id, struct jd_counts *out);
int pg__exec_counts_all(struct store_tx *tx, struct jd_counts *out);
int pg__exec_active_count(struct store_tx *tx, const char *job_id, int64_t *n);
int pg__exec_delete_job(struct store_tx *tx, const char *job_id, int limit, int64_t *n);
int pg__exec_due(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg);

int pg__type_get(struct store_tx *tx, const char *name, struct jd_thing_type *out);
int pg__type_insert(struct store_tx *tx, const struct jd_thing_type *t);
int pg__type_update(struct store_tx *tx, const struct jd_thing_type *t);
int pg__type_delete(struct store_tx *tx, const char *name);
int pg__type_list(struct store_tx *tx, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg);
int pg__tag_put(struct store_tx *tx, const char *resource, const char *key, const char *value);
int pg__tag_delete(struct store_tx *tx, const char *resource, const char *key);
int pg__tag_list(struct store_tx *tx, const char *resource, const char *after, int limit,
    jd_tag_cb cb, void *arg);
int pg__tag_count(struct store_tx *tx, const char *resource, int64_t *n);
int pg__lease_acquire(struct store_tx *tx, const char *name, const char *holder, int64_t ttl_ms,
    struct store_lease *out);
int pg__lease_release(struct store_tx *tx, const char *name, const char *holder);
int pg__lease_check(struct store_tx *tx, const char *name, const char *holder, int64_t epoch);
int pg__lease_list(struct store_tx *tx, const char *prefix, store_lease_cb cb, void *arg);
/* ops_timeline.c: a job's timeline and pause (issue 14) */
int pg__timeline_add(struct store_tx *tx, const char *job_id, int64_t at_ms, const char *event,
    const char *detail, int keep);
int pg__timeline_list(struct store_tx *tx, const char *job_id, store_timeline_cb cb, void *arg);
int pg__pause_get(struct store_tx *tx, const char *job_id, int64_t *paused_ms);
int pg__pause_put(struct store_tx *tx, const char *job_id, int64_t paused_ms);
int pg__pause_delete(struct store_tx *tx, const char *job_id);
int pg__pause_list(struct store_tx *tx, jd_name_cb cb, void *arg);
int pg__rollout_count(struct store_tx *tx, const char *job_id, int64_t *n);
int pg__lease_renew(struct store *s, const char *holder, int64_t ttl_ms, store_lease_cb cb,
    void *arg);
/* The renewal's own connection (conn.c): taken and given back under a
 * mutex; connected (or reconnected) on take. NULL: unreachable. */
struct conn *pg__lease_conn_take(struct store *s);
void pg__lease_conn_give(struct store *s);

#endif
