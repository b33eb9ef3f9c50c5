/*
 * ops_exec.c: the execution operations of the SQLite backend.
 *
 * Execution counts per (job, status), of each thing's latest execution and
 * of all executions, are kept in job_exec_counts (migration 3) by triggers
 * on insert and delete, and here on a status change (migration 6), so
 * exec_counts and exec_active_count read a few rows. A bulk insert of first
 * executions (fan-out) switches the insert trigger off and adds its counts
 * once. An execution's seq comes from the counters table, like a job's.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store_read.h"
#include "util/buf.h"

static void
row_exec(sqlite3_stmt *st, struct jd_exec *x)
{
	memset(x, 0, sizeof(*x));
	sq__col_cpy(st, 0, x->job_id, sizeof(x->job_id));
	sq__col_cpy(st, 1, x->thing_name, sizeof(x->thing_name));
	x->number = sqlite3_column_int64(st, 2);
	x->seq = sqlite3_column_int64(st, 3);
	x->status = sqlite3_column_int(st, 4);
	x->force_canceled = sqlite3_column_int(st, 5) != 0;
	sq__col_cpy(st, 6, x->namespace_id, sizeof(x->namespace_id));
	x->details = sq__col_dup(st, 7);
	x->queued_ms = sqlite3_column_int64(st, 8);
	x->started_ms = sqlite3_column_int64(st, 9);
	x->updated_ms = sqlite3_column_int64(st, 10);
	x->version = sqlite3_column_int64(st, 11);
	x->retry_attempt = sqlite3_column_int64(st, 12);
	x->inprogress_deadline = sqlite3_column_int64(st, 13);
	x->step_deadline = sqlite3_column_int64(st, 14);
}

static int
each_exec(struct q *q, jd_exec_cb cb, void *arg)
{
	int rc;

	while ((rc = sq__q_step(q)) == 1) {
		struct jd_exec row;

		row_exec(q->st, &row);
		rc = cb(arg, &row);
		jd_exec_release(&row);
		if (rc != 0)
			break;
	}
	sq__q_close(q);
	return rc;
}

/* Keep x as the writer's memo (sqlite_int.h) */
static void
memo_set(struct conn *c, const struct jd_exec *x)
{
	c->memo.valid = true;
	c->memo.status = x->status;
	c->memo.number = x->number;
	jd_strlcpy(c->memo.job_id, x->job_id, sizeof(c->memo.job_id));
	jd_strlcpy(c->memo.thing, x->thing_name, sizeof(c->memo.thing));
}

int
sq__exec_get(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_EXEC_GET, &q,
	    BINDS(B_TEXT(job_id), B_TEXT(thing), B_I64(number)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0) {
		row_exec(q.st, out);
		if (q.c->writer)
			memo_set(q.c, out);
	}
	sq__q_close(&q);
	return rc;
}

/* The row of x with the given seq; sets x->seq. */
static int
exec_row_insert(struct conn *c, struct jd_exec *x, int64_t seq)
{
	int rc = sq__run(c, ST_EXEC_INSERT, false, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_I64(seq),
	        B_INT(x->status), B_BOOL(x->force_canceled), B_OPT(x->namespace_id),
	        B_TEXT(x->details), B_I64(x->queued_ms), B_I64(x->started_ms), B_I64(x->updated_ms),
	        B_I64(x->version), B_I64(x->retry_attempt), B_I64(x->inprogress_deadline),
	        B_I64(x->step_deadline)));

	if (rc == 0)
		x->seq = seq;
	return rc;
}

int
sq__exec_insert(struct store_tx *tx, struct jd_exec *x)
{
	struct conn *c = sq__conn(tx);
	int64_t seq = 0;
	int rc = sq__seq_add(c, "exec", 1, &seq);

	if (rc != 0 || (rc = exec_row_insert(c, x, seq)) != 0)
		return rc;
	/* its counts (a trigger did this; see the statements in stmt.c) */
	if ((rc = sq__run(c, ST_EXEC_COUNT_DEMOTE, false, NULL,
	         BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number)))) != 0)
		return rc;
	return sq__run(c, ST_EXEC_COUNT_ENTER, false, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(x->status)));
}

/* Do xs[0..n) differ only in thing name (and seq)? Then one statement
 * inserts them all (insert_many). */
static bool
alike(const struct jd_exec *xs, size_t n)
{
	const struct jd_exec *a = &xs[0];

	if (a->details != NULL)
		return false;
	for (size_t i = 1; i < n; i++) {
		const struct jd_exec *b = &xs[i];
		if (b->number != a->number || b->force_canceled != a->force_canceled ||
		    strcmp(b->namespace_id, a->namespace_id) != 0 || b->details != NULL ||
		    b->queued_ms != a->queued_ms || b->started_ms != a->started_ms ||
		    b->updated_ms != a->updated_ms || b->version != a->version ||
		    b->retry_attempt != a->retry_attempt ||
		    b->inprogress_deadline != a->inprogress_deadline ||
		    b->step_deadline != a->step_deadline)
			return false;
	}
	return true;
}

/*
 * One INSERT ... SELECT over a JSON array of the thing names (issue 15): a
 * statement per row cost ~42,000 instructions per execution (binding 15
 * values, a statement journal and the trigger program each time); one
 * statement for the batch pays that once. Sets each x->seq.
 */
static int
insert_many(struct conn *c, struct jd_exec *xs, size_t n, int64_t first_seq)
{
	const struct jd_exec *a = &xs[0];
	struct buf b = BUF_INIT;
	int rc;

	buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		sq__json_str(&b, xs[i].thing_name);
	}
	buf_putc(&b, ']');
	rc = sq__run(c, ST_EXEC_INSERT_MANY, false, NULL,
	    BINDS(B_TEXT(buf_cstr(&b)), B_I64(first_seq), B_TEXT(a->job_id), B_I64(a->number),
	        B_INT(a->status), B_BOOL(a->force_canceled), B_OPT(a->namespace_id),
	        B_TEXT(a->details), B_I64(a->queued_ms), B_I64(a->started_ms), B_I64(a->updated_ms),
	        B_I64(a->version), B_I64(a->retry_attempt), B_I64(a->inprogress_deadline),
	        B_I64(a->step_deadline)));
	for (size_t i = 0; rc == 0 && i < n; i++)
		xs[i].seq = first_seq + (int64_t)i;
	buf_free(&b);
	return rc;
}

/*
 * n first executions of one job and status: one block of seqs, the rows,
 * then their counts at once (executions have no count trigger since the
 * migration that dropped it; sq__exec_insert keeps the counts of one row). Each row
 * is the only execution of its (job, thing), so each is the latest: the
 * trigger would have added 1 to both latest and total of (job, status).
 */
int
sq__exec_insert_first(struct store_tx *tx, struct jd_exec *xs, size_t n)
{
	struct conn *c = sq__conn(tx);
	int64_t last = 0;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(xs[i].job_id, xs[0].job_id) != 0 || xs[i].status != xs[0].status)
			return JD_EINVAL;
	if ((rc = sq__seq_add(c, "exec", (int64_t)n, &last)) != 0)
		return rc;
	if (n > 1 && alike(xs, n)) {
		rc = insert_many(c, xs, n, last - (int64_t)n + 1);
	} else {
		for (size_t i = 0; i < n && rc == 0; i++) {
			struct jd_exec *x = &xs[i];
			rc = exec_row_insert(c, x, last - (int64_t)n + 1 + (int64_t)i);
		}
	}
	/* on failure the caller rolls back */
	if (rc == 0)
		rc = sq__run(c, ST_COUNTS_ADD, false, NULL,
		    BINDS(B_TEXT(xs[0].job_id), B_INT(xs[0].status), B_I64((int64_t)n),
		        B_I64((int64_t)n)));
	return rc;
}

/*
 * Update the row, and on a status change move it between the counts (what
 * the update trigger did until migration 6): it leaves its old status and
 * enters the new one, as the thing's latest or not (COUNTS_LEAVE, _ENTER). The old
 * status is the writer's memo when the row is the one it read last (the
 * read a use case runs before it changes a row), else read here.
 */
int
sq__exec_update(struct store_tx *tx, const struct jd_exec *x)
{
	struct conn *c = sq__conn(tx);
	const struct sq_memo *m = &c->memo;
	int old, rc;

	if (m->valid && m->number == x->number && strcmp(m->thing, x->thing_name) == 0 &&
	    strcmp(m->job_id, x->job_id) == 0) {
		old = m->status;
	} else {
		int64_t v = 0;

		rc = sq__scalar(c, ST_EXEC_STATUS, &v,
		    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number)));
		if (rc != 0)
			return rc;
		old = (int)v;
	}
	rc = sq__run(c, ST_EXEC_UPDATE, true, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(x->status),
	        B_BOOL(x->force_canceled), B_OPT(x->namespace_id), B_TEXT(x->details),
	        B_I64(x->queued_ms), B_I64(x->started_ms), B_I64(x->updated_ms), B_I64(x->version),
	        B_I64(x->retry_attempt), B_I64(x->inprogress_deadline), B_I64(x->step_deadline)));
	if (rc != 0 || old == x->status)
		return rc;
	rc = sq__run(c, ST_COUNTS_LEAVE, false, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(old)));
	if (rc != 0)
		return rc;
	return sq__run(c, ST_COUNTS_ENTER, false, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(old),
	        B_INT(x->status)));
}

/*
 * store_read_ops.exec_update_if (round 14): one UPDATE on condition of the
 * version and status read (EXEC_UPDATE_IF), then the counts' moves from the
 * status it gives, instead of store.c's default (exec_get, compare,
 * exec_update). An end first checks that it cannot complete the job (the
 * job keeps another active execution, or it is not an IN_PROGRESS snapshot
 * job), as the default does.
 */
int
sq__exec_update_if(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
    int old_status, struct store_cond *res)
{
	struct conn *c = sq__conn(tx);
	int64_t n = 0;
	int rc;

	if (core_exec_status_pending(old_status) && !core_exec_status_pending(x->status)) {
		int status = 0, selection = 0;

		if ((rc = sq__exec_active_count(tx, x->job_id, &n)) != 0)
			return rc;
		if (n <= 1) {
			rc = sq__job_status(tx, x->job_id, &status, &selection);
			if (rc != 0 && rc != JD_ENOTFOUND)
				return rc;
			if (rc == 0 && status == JD_JOB_IN_PROGRESS &&
			    selection == JD_SEL_SNAPSHOT) {
				res->done = true; /* it may complete the job: not here */
				return 0;
			}
		}
	}
	rc = sq__run(c, ST_EXEC_UPDATE_IF, false, &n,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(x->status),
	        B_BOOL(x->force_canceled), B_OPT(x->namespace_id), B_TEXT(x->details),
	        B_I64(x->queued_ms), B_I64(x->started_ms), B_I64(x->updated_ms), B_I64(x->version),
	        B_I64(x->retry_attempt), B_I64(x->inprogress_deadline), B_I64(x->step_deadline),
	        B_I64(old_version), B_INT(old_status)));
	if (rc != 0)
		return rc;
	res->done = true;
	res->applied = n > 0;
	if (n == 0 || old_status == x->status)
		return 0;
	rc = sq__run(c, ST_COUNTS_LEAVE, false, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(old_status)));
	if (rc != 0)
		return rc;
	return sq__run(c, ST_COUNTS_ENTER, false, NULL,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_INT(old_status),
	        B_INT(x->status)));
}

int
sq__exec_delete(struct store_tx *tx, const char *job_id, const char *thing, int64_t number)
{
	return sq__run(sq__conn(tx), ST_EXEC_DELETE, true, NULL,
	    BINDS(B_TEXT(job_id), B_TEXT(thing), B_I64(number)));
}

int
sq__exec_max_number(struct store_tx *tx, const char *job_id, const char *thing, int64_t *n)
{
	return sq__scalar(sq__conn(tx), ST_EXEC_MAX_NUMBER, n,
	    BINDS(B_TEXT(job_id), B_TEXT(thing)));
}

/* A page of job_id's executions (EXEC_LIST_JOB or its _SUMMARY form) */
static int
list_job_open(struct store_tx *tx, enum stmt id, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, struct q *q)
{
	return sq__q_open(sq__conn(tx), id, q,
	    BINDS(B_TEXT(job_id), B_INT(status), B_CURSOR(after_thing), B_I64(after_number),
	        B_LIMIT(limit)));
}

int
sq__exec_list_job(struct store_tx *tx, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = list_job_open(tx, ST_EXEC_LIST_JOB, job_id, status, after_thing, after_number,
	    limit, &q);

	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

int
sq__exec_list_job_summary(struct store_tx *tx, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = list_job_open(tx, ST_EXEC_LIST_JOB_SUMMARY, job_id, status, after_thing,
	    after_number, limit, &q);

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1) {
		/* EXEC_SUMMARY_COLS; nothing to release */
		struct jd_exec x;

		memset(&x, 0, sizeof(x));
		jd_strlcpy(x.job_id, job_id, sizeof(x.job_id));
		sq__col_cpy(q.st, 0, x.thing_name, sizeof(x.thing_name));
		x.number = sqlite3_column_int64(q.st, 1);
		x.status = sqlite3_column_int(q.st, 2);
		x.queued_ms = sqlite3_column_int64(q.st, 3);
		x.started_ms = sqlite3_column_int64(q.st, 4);
		x.updated_ms = sqlite3_column_int64(q.st, 5);
		x.retry_attempt = sqlite3_column_int64(q.st, 6);
		if ((rc = cb(arg, &x)) != 0)
			break;
	}
	sq__q_close(&q);
	return rc;
}

int
sq__exec_list_thing(struct store_tx *tx, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg)
{
	static const struct jd_exec_filter none = {-1, NULL, NULL};
	struct q q;
	int rc;

	if (f == NULL)
		f = &none;
	rc = sq__q_open(sq__conn(tx),
	    f->job_id != NULL ? ST_EXEC_LIST_THING_JOB : ST_EXEC_LIST_THING, &q,
	    BINDS(B_TEXT(thing), B_I64(before_seq > 0 ? before_seq : INT64_MAX), B_INT(f->status),
	        B_OPT(f->job_id), B_TEXT(f->namespace_id), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

struct counted {
	jd_exec_cb cb;
	void *arg;
	int n;
	struct conn *writer; /* keeps each row read as its memo; NULL on a reader */
};

static int
counted_cb(void *arg, const struct jd_exec *x)
{
	struct counted *c = arg;

	c->n++;
	if (c->writer != NULL)
		memo_set(c->writer, x);
	return c->cb(c->arg, x);
}

/*
 * IN_PROGRESS first, then QUEUED, each by queued_ms, seq: one walk of
 * executions_pending per status. (One statement over "status IN (0, 1)"
 * built a temporary table for the IN list and a temporary b-tree to sort,
 * on every call; see t_statements_build_no_temp_btrees.)
 */
int
sq__exec_pending(struct store_tx *tx, const char *thing, const char *namespace_id, int limit,
    jd_exec_cb cb, void *arg)
{
	static const enum stmt order[] = {ST_EXEC_PENDING_RUNNING, ST_EXEC_PENDING_QUEUED};
	struct conn *conn = sq__conn(tx);
	struct counted c = {cb, arg, 0, conn->writer ? conn : NULL};

	/* limit <= 0: no limit (as 'L' binds it) */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && (limit <= 0 || c.n < limit);
	     i++) {
		struct q q;
		int rc = sq__q_open(conn, order[i], &q,
		    BINDS(B_TEXT(thing), B_OPT(namespace_id),
		        B_LIMIT(limit > 0 ? limit - c.n : 0)));

		if (rc != 0 || (rc = each_exec(&q, counted_cb, &c)) != 0)
			return rc;
	}
	return 0;
}

int
sq__exec_pending_job(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_EXEC_PENDING_JOB, &q, BINDS(B_TEXT(job_id)));

	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

int
sq__exec_counts(struct store_tx *tx, const char *job_id, struct jd_counts *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_EXEC_COUNTS, &q, BINDS(B_TEXT(job_id)));

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1) {
		int status = sqlite3_column_int(q.st, 0);

		if (status >= 0 && status < JD_EXEC__COUNT)
			out->n[status] = sqlite3_column_int64(q.st, 1);
	}
	sq__q_close(&q);
	return rc;
}

int
sq__exec_active_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	return sq__scalar(sq__conn(tx), ST_EXEC_ACTIVE_COUNT, n, BINDS(B_TEXT(job_id)));
}

int
sq__exec_delete_job(struct store_tx *tx, const char *job_id, int limit, int64_t *n)
{
	*n = 0;
	return sq__run(sq__conn(tx), ST_EXEC_DELETE_JOB, false, n,
	    BINDS(B_TEXT(job_id), B_LIMIT(limit)));
}

int
sq__exec_due(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_EXEC_DUE, &q, BINDS(B_I64(now_ms), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_exec(&q, cb, arg);
}

int
sq__exec_counts_all(struct store_tx *tx, struct jd_counts *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_EXEC_COUNTS_ALL, &q, NO_BINDS);

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	if ((rc = sq__q_step(&q)) == 1) {
		for (int s = 0; s < JD_EXEC__COUNT; s++)
			out->n[s] = sqlite3_column_int64(q.st, s); /* NULL (no rows): 0 */
		rc = 0;
	}
	sq__q_close(&q);
	return rc;
}

_Static_assert(JD_EXEC__COUNT == 8, "ST_EXEC_COUNTS_ALL has a column per execution status");
