/*
 * store_read.h: one-operation reads, an optional part of the store
 * interface (store_ops.read, STORE_OPS_VERSION 6; issue 10).
 *
 * Most reads of the API run one operation (DescribeThing: thing_get). A
 * backend whose every statement is a round trip (PostgreSQL) pays for a read
 * transaction's BEGIN and COMMIT as much as for the statement itself, so a
 * caller that runs exactly one operation says so with store_begin_one, and
 * the backend may run that operation on its statement's own snapshot, with
 * no transaction around it. job_get_counts makes DescribeJob one operation.
 *
 * A backend leaves store_ops.read NULL (or any member NULL) for the
 * defaults, exact wherever a read transaction costs nothing extra (SQLite,
 * which sets exec_list_job_summary alone): store_begin(s, false), job_get
 * then exec_counts, and so on (store.c).
 */
#ifndef JD_STORE_STORE_READ_H
#define JD_STORE_STORE_READ_H

#include "store/store.h"

/* The outcome of a conditional write (store_exec_update_if) */
struct store_cond {
	bool done;    /* the write ran (set with the others) */
	bool applied; /* the row was as expected, and is changed */
};

struct store_read_ops {
	/* A read transaction in which the caller runs ONE operation, then
	 * commits or rolls back (store_commit, store_rollback). The operation
	 * sees one snapshot even if the backend runs it as several statements;
	 * a second operation in it is a bug of the caller. */
	int (*begin_one)(struct store *s, struct store_tx **out);
	/* The job (as job_get) and its execution counts (as exec_counts) from
	 * one snapshot, in one operation. JD_ENOTFOUND: no such job (*out and
	 * *counts then hold nothing to release). */
	int (*job_get_counts)(struct store_tx *tx, const char *job_id, struct jd_job *out,
	    struct jd_counts *counts);
	/* The job (as job_get) and its execution (as exec_get) in one
	 * operation, in either kind of transaction. JD_ENOTFOUND: no such job
	 * or no such execution (*job and *x then hold nothing to release). */
	int (*exec_get_job)(struct store_tx *tx, const char *job_id, const char *thing,
	    int64_t number, struct jd_job *job, struct jd_exec *x);
	/* The head of a thing's pending list in a namespace (as exec_pending
	 * with limit 1): its job into job[JD_JOB_ID_MAX + 1] and its number,
	 * or job "" when the list is empty. */
	int (*exec_pending_head)(struct store_tx *tx, const char *thing, const char *namespace_id,
	    char *job, int64_t *number);
	/* A page of a job's executions as exec_list_job (same rows, same
	 * order), each with only what ListJobExecutionsForJob answers:
	 * job_id, thing_name, number, status, queued_ms, started_ms,
	 * updated_ms and retry_attempt; the rest is zero (details NULL). A
	 * page of 50 then carries half the columns (issue 10, round 11). */
	int (*exec_list_job_summary)(struct store_tx *tx, const char *job_id, int status,
	    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg);
	/* The head of a thing's pending list in a namespace (as exec_pending
	 * with limit 1) and its job (as job_get) in one operation
	 * (StartNextPendingJobExecution; issue 10, round 12): x->job_id is ""
	 * when the list is empty, and *job then holds nothing. JD_ENOTFOUND:
	 * the head's job is gone (x->job_id names it). On an error, *x and
	 * *job hold nothing to release. */
	int (*exec_next_job)(struct store_tx *tx, const char *thing, const char *namespace_id,
	    struct jd_exec *x, struct jd_job *job);
	/* Optimistic writes (issue 10, round 13): in a write transaction,
	 * update execution x as exec_update does, but only if its row still
	 * has version old_version and status old_status (as a read in an
	 * earlier transaction found it), and, for a change out of the
	 * pending statuses, only if the job keeps an active execution after
	 * it or is not an IN_PROGRESS snapshot job (a change that may
	 * complete the job is the caller's to make the usual way, which
	 * completes it); otherwise change nothing. The
	 * outcome is in *res once store_commit returned 0 (a backend may
	 * send the write with a later statement or the COMMIT and not wait
	 * for it here): res->applied. A backend that sets it prefers this to a
	 * read on the writer (svc/exec.c, "Optimistic device writes"). */
	int (*exec_update_if)(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
	    int old_status, struct store_cond *res);
	/* As exec_update_if, for exec_delete of (job_id, thing, number): only
	 * if its row still has old_version and old_status, and the job keeps
	 * an active execution after it or is not an IN_PROGRESS snapshot job.
	 * Set with exec_update_if. */
	int (*exec_delete_if)(struct store_tx *tx, const char *job_id, const char *thing,
	    int64_t number, int64_t old_version, int old_status, struct store_cond *res);
	/* As thing_insert, but only if no thing of that name and no dynamic
	 * thing group exists (CreateThing then has nothing else to do);
	 * otherwise nothing. The outcome as exec_update_if's. */
	int (*thing_insert_if)(struct store_tx *tx, const struct jd_thing *t,
	    struct store_cond *res);
	/* A write transaction that is fn alone (round 14), which the backend
	 * may run on another thread, inside a transaction of another writer's
	 * (SQLite: the writer connection's owner carries it, store/sqlite/
	 * conn.c, "Riders"): fn uses tx and its arg only, is short, and must
	 * not begin another transaction. Returns fn's error (its changes
	 * rolled back), JD_EUNAVAIL, or 0 once its changes are durable. A
	 * backend that sets it prefers the conditional writes after a read
	 * outside the writer, as for exec_update_if. */
	int (*ride)(struct store *s, int (*fn)(struct store_tx *tx, void *arg), void *arg);
	/* Reads on the writer cost no round trip (SQLite, round 14): the
	 * optimistic paths then read, decide and write inside one ride rather
	 * than reading on a reader first (svc/exec.c). */
	bool read_in_ride;
};

/* store_read_ops.begin_one, or store_begin(s, false, out). */
int store_begin_one(struct store *s, struct store_tx **out);
/* store_read_ops.job_get_counts, or job_get then exec_counts. On an error
 * other than JD_ENOTFOUND, *out is released. */
int store_job_get_counts(struct store_tx *tx, const char *job_id, struct jd_job *out,
    struct jd_counts *counts);
/* store_read_ops.exec_get_job, or job_get then exec_get. On an error,
 * *job and *x hold nothing to release. */
int store_exec_get_job(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_job *job, struct jd_exec *x);
/* store_read_ops.exec_pending_head, or store_exec_pending_head_read. */
int store_exec_pending_head(struct store_tx *tx, const char *thing, const char *namespace_id,
    char *job, int64_t *number);
/* store_read_ops.exec_list_job_summary, or exec_list_job (whole rows). */
int store_exec_list_job_summary(struct store_tx *tx, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg);
/* store_read_ops.exec_next_job, or exec_pending (limit 1) then job_get. */
int store_exec_next_job(struct store_tx *tx, const char *thing, const char *namespace_id,
    struct jd_exec *x, struct jd_job *job);
/* store_read_ops.exec_update_if, or, at once, exec_get, compare (and, for
 * an end, exec_active_count), then exec_update. */
int store_exec_update_if(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
    int old_status, struct store_cond *res);
/* store_read_ops.exec_delete_if, or, at once, exec_get, compare,
 * exec_active_count, then exec_delete. */
int store_exec_delete_if(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    int64_t old_version, int old_status, struct store_cond *res);
/* Whether any dynamic thing group exists (*any; group_list_dynamic): 0 or
 * a store error. */
int store_group_dynamic_exists(struct store_tx *tx, bool *any);
/* store_read_ops.thing_insert_if, or, at once, thing_get,
 * store_group_dynamic_exists, then thing_insert. */
int store_thing_insert_if(struct store_tx *tx, const struct jd_thing *t, struct store_cond *res);
/* store_read_ops.ride, or store_begin(s, true), fn, then store_commit (or
 * store_rollback if fn failed). */
int store_ride(struct store *s, int (*fn)(struct store_tx *tx, void *arg), void *arg);
/* True if the backend prefers a conditional write after a read outside the
 * writer (store_read_ops.exec_update_if or ride is set). */
bool store_prefers_update_if(const struct store *s);
/* store_read_ops.read_in_ride (false without it) */
bool store_read_in_ride(const struct store *s);
/* The head read with exec_pending (limit 1): a backend's own
 * exec_pending_head calls it when it has no better answer. */
int store_exec_pending_head_read(struct store_tx *tx, const char *thing, const char *namespace_id,
    char *job, int64_t *number);

#endif
