/*
 * ops_exec.c: the execution operations of the PostgreSQL backend.
 *
 * The counts per (job, status) in job_exec_counts move in the same
 * statement as the rows (stmt.c: EXEC_INSERT, EXEC_UPDATE, EXEC_DELETE,
 * EXEC_DELETE_JOB), under the writer lock (conn.c), so they are exact
 * whatever the number of nodes. A row whose total reaches 0 may stay (it
 * reads as zeros); exec_delete_job prunes them. Fan-out (exec_insert_first)
 * takes a block of seqs, sends the rows with one COPY and adds their counts
 * once: each row is the first execution of its (job, thing), so the latest.
 * exec_update and exec_delete keep the job's active count after them for an
 * exec_active_count that follows at once (pg_int.h, "memo"). On the write
 * connection, exec_get keeps the row it read and its job's active count, and
 * an exec_update or exec_delete of that row right after it is deferred to
 * the next pipeline (group.c, "Deferred writes").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/postgres/pg_int.h"
#include "store/store_read.h"
#include "util/buf.h"

/* The execution in EXEC_COLS from column k of row i */
static void
row_exec_at(const PGresult *r, int i, int k, struct jd_exec *x)
{
	memset(x, 0, sizeof(*x));
	pg__cpy(r, i, k, x->job_id, sizeof(x->job_id));
	pg__cpy(r, i, k + 1, x->thing_name, sizeof(x->thing_name));
	x->number = pg__i64(r, i, k + 2);
	x->seq = pg__i64(r, i, k + 3);
	x->status = (int)pg__i64(r, i, k + 4);
	x->force_canceled = pg__i64(r, i, k + 5) != 0;
	pg__cpy(r, i, k + 6, x->namespace_id, sizeof(x->namespace_id));
	x->details = pg__dup(r, i, k + 7);
	x->queued_ms = pg__i64(r, i, k + 8);
	x->started_ms = pg__i64(r, i, k + 9);
	x->updated_ms = pg__i64(r, i, k + 10);
	x->version = pg__i64(r, i, k + 11);
	x->retry_attempt = pg__i64(r, i, k + 12);
	x->inprogress_deadline = pg__i64(r, i, k + 13);
	x->step_deadline = pg__i64(r, i, k + 14);
}

static void
row_exec(const PGresult *r, int i, struct jd_exec *x)
{
	row_exec_at(r, i, 0, x);
}

static int
each_exec(PGresult *r, jd_exec_cb cb, void *arg)
{
	int rc = 0;

	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct jd_exec row;

		row_exec(r, i, &row);
		rc = cb(arg, &row);
		jd_exec_release(&row);
	}
	PQclear(r);
	return rc;
}

/* Keep row `row` of r, an execution's columns (EXEC_COLS) from column k
 * with its job's active count after them (EXEC_GET_W, EXEC_PENDING_W: k 0;
 * EXEC_GET_JOB, EXEC_NEXT_JOB: k 22), as the row read (PG_MEMO_ROW). */
static void
memo_row_set(struct conn *c, const PGresult *r, int row, int k)
{
	c->memo.kind = PG_MEMO_ROW;
	c->memo.n = pg__i64(r, row, k + 15);
	jd_strlcpy(c->memo.job_id, pg__val(r, row, k), sizeof(c->memo.job_id));
	jd_strlcpy(c->memo.thing, pg__val(r, row, k + 1), sizeof(c->memo.thing));
	c->memo.number = pg__i64(r, row, k + 2);
	c->memo.status = (int)pg__i64(r, row, k + 4);
}

/* On the write connection, the row read is kept (PG_MEMO_ROW) with its
 * job's active count, so that an exec_update or exec_delete of it that
 * follows at once can be deferred (group.c, "Deferred writes"). */
int
pg__exec_get(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out)
{
	struct conn *c = pg__conn(tx);
	PGresult *r;
	int rc = pg__exec(c, c->base.write ? ST_EXEC_GET_W : ST_EXEC_GET, &r,
	    BINDS(B_TEXT(job_id), B_TEXT(thing), B_I64(number)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1) {
		rc = JD_ENOTFOUND;
	} else {
		row_exec(r, 0, out);
		if (c->base.write)
			memo_row_set(c, r, 0, 0);
	}
	PQclear(r);
	return rc;
}

/* Keep the head of thing's pending list in ns as read: its job and number
 * in columns kj and kn of r's row 0, or none (no row, or a NULL job) */
static void
head_set(struct conn *c, const char *thing, const char *ns, const PGresult *r, int kj, int kn)
{
	const char *job = PQntuples(r) > 0 ? pg__val(r, 0, kj) : NULL;

	c->head.valid = true;
	c->head.found = job != NULL;
	jd_strlcpy(c->head.thing, thing, sizeof(c->head.thing));
	jd_strlcpy(c->head.ns, ns, sizeof(c->head.ns));
	jd_strlcpy(c->head.job, job != NULL ? job : "", sizeof(c->head.job));
	c->head.number = job != NULL ? pg__i64(r, 0, kn) : 0;
}

/* The job and the execution in one statement; on the writer the row is
 * kept as by pg__exec_get, and the thing's pending head as by
 * pg__exec_pending_head. */
int
pg__exec_get_job(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_job *job, struct jd_exec *x)
{
	struct conn *c = pg__conn(tx);
	PGresult *r;
	int rc;

	if ((rc = pg__exec(c, ST_EXEC_GET_JOB, &r,
	         BINDS(B_TEXT(job_id), B_TEXT(thing), B_I64(number)))) != 0)
		return rc;
	if (PQntuples(r) < 1 || pg__val(r, 0, 22) == NULL) {
		rc = JD_ENOTFOUND;
	} else {
		pg__row_job(r, 0, job);
		row_exec_at(r, 0, 22, x);
		if (c->base.write) {
			memo_row_set(c, r, 0, 22);
			head_set(c, thing, x->namespace_id, r, 38, 39);
		}
	}
	PQclear(r);
	return rc;
}

/* The head of thing's pending list and its job in one statement; on the
 * writer the row is kept as by pg__exec_get and the head as by
 * pg__exec_pending (StartNextPendingJobExecution's one round trip before
 * its deferred change). */
int
pg__exec_next_job(struct store_tx *tx, const char *thing, const char *namespace_id,
    struct jd_exec *x, struct jd_job *job)
{
	struct conn *c = pg__conn(tx);
	const char *ns = namespace_id != NULL ? namespace_id : "";
	PGresult *r;
	int rc;

	if ((rc = pg__exec(c, ST_EXEC_NEXT_JOB, &r, BINDS(B_TEXT(thing), B_NAME(namespace_id)))) !=
	    0)
		return rc;
	if (PQntuples(r) > 0 && pg__val(r, 0, 0) == NULL) {
		/* the head's job is gone: x names it, and holds nothing else */
		jd_strlcpy(x->job_id, pg__val(r, 0, 22), sizeof(x->job_id));
		rc = JD_ENOTFOUND;
	} else if (PQntuples(r) > 0) {
		pg__row_job(r, 0, job);
		row_exec_at(r, 0, 22, x);
		if (c->base.write)
			memo_row_set(c, r, 0, 22);
	}
	if (rc == 0 && c->base.write)
		head_set(c, thing, ns, r, 22, 24);
	PQclear(r);
	return rc;
}

int
pg__exec_insert(struct store_tx *tx, struct jd_exec *x)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_INSERT, &r,
	    BINDS(B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number), B_I64(x->status),
	        B_BOOL(x->force_canceled), B_NAME(x->namespace_id), B_TEXT(x->details),
	        B_I64(x->queued_ms), B_I64(x->started_ms), B_I64(x->updated_ms), B_I64(x->version),
	        B_I64(x->retry_attempt), B_I64(x->inprogress_deadline), B_I64(x->step_deadline)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_EEXISTS;
	else
		x->seq = pg__i64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* Append s to b escaped for COPY's text format (NULL is \N). */
void
pg__copy_text(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_puts(b, "\\N");
		return;
	}
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default:
			buf_putc(b, *s);
			break;
		}
	}
}

void
pg__copy_i64(struct buf *b, int64_t v, char sep)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64 "%c", v, sep);
	buf_puts(b, num);
}

/* One COPY row of x with the given seq (columns as EXEC_COLS). */
static void
copy_row(struct buf *b, const struct jd_exec *x)
{
	pg__copy_text(b, x->job_id);
	buf_putc(b, '\t');
	pg__copy_text(b, x->thing_name);
	buf_putc(b, '\t');
	pg__copy_i64(b, x->number, '\t');
	pg__copy_i64(b, x->seq, '\t');
	pg__copy_i64(b, x->status, '\t');
	pg__copy_i64(b, x->force_canceled ? 1 : 0, '\t');
	pg__copy_text(b, x->namespace_id);
	buf_putc(b, '\t');
	pg__copy_text(b, x->details);
	buf_putc(b, '\t');
	pg__copy_i64(b, x->queued_ms, '\t');
	pg__copy_i64(b, x->started_ms, '\t');
	pg__copy_i64(b, x->updated_ms, '\t');
	pg__copy_i64(b, x->version, '\t');
	pg__copy_i64(b, x->retry_attempt, '\t');
	pg__copy_i64(b, x->inprogress_deadline, '\t');
	pg__copy_i64(b, x->step_deadline, '\n');
}

/* Flush b into the COPY in progress on c when it is large (or when `all`). */
static int
copy_flush(struct conn *c, struct buf *b, bool all)
{
	if (b->len == 0 || (!all && b->len < 256 * 1024))
		return 0;
	if (PQputCopyData(c->db, b->p, (int)b->len) != 1)
		return pg__fail(c, "exec_insert_first: copy", NULL);
	buf_reset(b);
	return 0;
}

/* COPY xs[0..n) into executions (their seqs set). */
static int
copy_rows(struct conn *c, const struct jd_exec *xs, size_t n)
{
	struct buf b = BUF_INIT;
	PGresult *r;
	int rc = pg__ready(c);

	if (rc != 0)
		return rc;
	r = PQexec(c->db, pg__exec_copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		rc = pg__fail(c, "exec_insert_first: copy", r);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	for (size_t i = 0; i < n && rc == 0; i++) {
		copy_row(&b, &xs[i]);
		rc = copy_flush(c, &b, false);
	}
	if (rc == 0)
		rc = copy_flush(c, &b, true);
	buf_free(&b);
	if (PQputCopyEnd(c->db, rc == 0 ? NULL : "jobsd: copy abandoned") != 1 && rc == 0)
		rc = pg__fail(c, "exec_insert_first: copy end", NULL);
	while ((r = PQgetResult(c->db)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			rc = state != NULL && strcmp(state, "23505") == 0 ?
			    JD_EEXISTS :
			    pg__fail(c, "exec_insert_first: copy", r);
		}
		PQclear(r);
	}
	return rc;
}

int
pg__exec_insert_first(struct store_tx *tx, struct jd_exec *xs, size_t n)
{
	struct conn *c = pg__conn(tx);
	PGresult *r;
	int rc;

	if (n == 0)
		return 0;
	if (n > INT32_MAX)
		return JD_EINVAL;
	for (size_t i = 1; i < n; i++)
		if (strcmp(xs[i].job_id, xs[0].job_id) != 0 || xs[i].status != xs[0].status)
			return JD_EINVAL;
	if ((rc = pg__exec(c, ST_SEQ_EXEC_BLOCK, &r, BINDS(B_I64((int64_t)n)))) != 0)
		return rc;
	if ((size_t)PQntuples(r) != n) {
		PQclear(r);
		return JD_EUNAVAIL;
	}
	for (size_t i = 0; i < n; i++)
		xs[i].seq = pg__i64(r, (int)i, 0);
	PQclear(r);
	/* on failure the caller rolls back */
	if ((rc = copy_rows(c, xs, n)) != 0)
		return rc;
	return pg__run(c, ST_COUNTS_ADD, false, NULL,
	    BINDS(B_TEXT(xs[0].job_id), B_I64(xs[0].status), B_I64((int64_t)n), B_I64((int64_t)n)));
}

/* Run EXEC_UPDATE or EXEC_DELETE (b[0] the job): JD_ENOTFOUND without the
 * row; else the job's active count after it is kept (pg_int.h, "memo"). */
static int
exec_change(struct conn *c, enum stmt id, const char *job_id, const struct bind *b, int n)
{
	PGresult *r;
	int rc = pg__exec(c, id, &r, b, n);

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1) {
		rc = JD_ENOTFOUND;
	} else {
		c->memo.kind = PG_MEMO_ACTIVE;
		c->memo.n = pg__i64(r, 0, 0);
		jd_strlcpy(c->memo.job_id, job_id, sizeof(c->memo.job_id));
	}
	PQclear(r);
	return rc;
}

/* 1 if status counts in EXEC_ACTIVE_COUNT (SQL_EXEC_PENDING), else 0 */
static int64_t
sql_pending(int status)
{
	return status == JD_EXEC_QUEUED || status == JD_EXEC_IN_PROGRESS;
}

/* Is the row (job_id, thing, number) the one the write connection has just
 * read (PG_MEMO_ROW)? Then it exists, with the memo's status. */
static bool
memo_row(const struct conn *c, const char *job_id, const char *thing, int64_t number)
{
	return c->memo.kind == PG_MEMO_ROW && c->memo.number == number &&
	    strcmp(c->memo.job_id, job_id) == 0 && strcmp(c->memo.thing, thing) == 0;
}

/* A change of the memo's row, deferred (or run at once in its _DEFER form
 * when it cannot be): the job's active count after it is the one read with
 * the row plus `delta`, kept for exec_active_count. */
static int
exec_change_known(struct conn *c, enum stmt id, int64_t delta, const struct bind *b, int n)
{
	int64_t active = c->memo.n + delta;
	int rc = 0;

	if (!pg__defer(c, id, b, n))
		rc = pg__run(c, id, true, NULL, b, n);
	if (rc == 0) {
		/* memo.job_id is the row's job */
		c->memo.kind = PG_MEMO_ACTIVE;
		c->memo.n = active;
	}
	return rc;
}

int
pg__exec_update(struct store_tx *tx, const struct jd_exec *x)
{
	struct conn *c = pg__conn(tx);
	bool known = memo_row(c, x->job_id, x->thing_name, x->number);
	const struct bind b[] = {B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number),
	    B_I64(x->status), B_BOOL(x->force_canceled), B_NAME(x->namespace_id),
	    B_TEXT(x->details), B_I64(x->queued_ms), B_I64(x->started_ms), B_I64(x->updated_ms),
	    B_I64(x->version), B_I64(x->retry_attempt), B_I64(x->inprogress_deadline),
	    B_I64(x->step_deadline)};
	const int n = (int)(sizeof(b) / sizeof(b[0]));

	if (known) {
		int64_t delta = sql_pending(x->status) - sql_pending(c->memo.status);

		return exec_change_known(c,
		    x->status == c->memo.status ? ST_EXEC_UPDATE_SAME_DEFER : ST_EXEC_UPDATE_DEFER,
		    delta, b, n);
	}
	return exec_change(c, ST_EXEC_UPDATE, x->job_id, b, n);
}

/* A conditional write: queued, not waited for (group.c, "Conditional
 * writes"), or, when it cannot be, run at once */
int
pg__cond_run(struct conn *c, enum stmt id, const struct bind *b, int n, struct store_cond *res)
{
	PGresult *r;
	int rc;

	if (pg__cond(c, id, b, n, res))
		return 0;
	if ((rc = pg__exec(c, id, &r, b, n)) != 0)
		return rc;
	if (PQntuples(r) == 1) {
		res->applied = pg__i64(r, 0, 0) == 1;
		res->done = true;
	} else {
		rc = JD_EUNAVAIL;
	}
	PQclear(r);
	return rc;
}

int
pg__exec_update_if(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
    int old_status, struct store_cond *res)
{
	struct conn *c = pg__conn(tx);
	const bool same = (int)x->status == old_status;
	const struct bind b[] = {B_TEXT(x->job_id), B_TEXT(x->thing_name), B_I64(x->number),
	    B_I64(x->status), B_BOOL(x->force_canceled), B_NAME(x->namespace_id),
	    B_TEXT(x->details), B_I64(x->queued_ms), B_I64(x->started_ms), B_I64(x->updated_ms),
	    B_I64(x->version), B_I64(x->retry_attempt), B_I64(x->inprogress_deadline),
	    B_I64(x->step_deadline), B_I64(old_version), B_I64(old_status)};
	const enum stmt id = same ? ST_EXEC_UPDATE_SAME_IF : ST_EXEC_UPDATE_IF;
	const int n = same ? 15 : 16;

	return pg__cond_run(c, id, b, n, res);
}

int
pg__exec_delete_if(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    int64_t old_version, int old_status, struct store_cond *res)
{
	const struct bind b[] = {B_TEXT(job_id), B_TEXT(thing), B_I64(number), B_I64(old_version),
	    B_I64(old_status)};

	return pg__cond_run(pg__conn(tx), ST_EXEC_DELETE_IF, b, 5, res);
}

int
pg__exec_delete(struct store_tx *tx, const char *job_id, const char *thing, int64_t number)
{
	struct conn *c = pg__conn(tx);
	const struct bind b[] = {B_TEXT(job_id), B_TEXT(thing), B_I64(number)};

	if (memo_row(c, job_id, thing, number))
		return exec_change_known(c, ST_EXEC_DELETE_DEFER, -sql_pending(c->memo.status), b,
		    3);
	return exec_change(c, ST_EXEC_DELETE, job_id, b, 3);
}

int
pg__exec_max_number(struct store_tx *tx, const char *job_id, const char *thing, int64_t *n)
{
	return pg__scalar(pg__conn(tx), ST_EXEC_MAX_NUMBER, n,
	    BINDS(B_TEXT(job_id), B_TEXT(thing)));
}

int
pg__exec_list_job(struct store_tx *tx, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_LIST_JOB, &r,
	    BINDS(B_TEXT(job_id), B_I64(status), B_NAME(after_thing), B_I64(after_number),
	        B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_exec(r, cb, arg);
}

int
pg__exec_list_job_summary(struct store_tx *tx, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_LIST_JOB_SUMMARY, &r,
	    BINDS(B_TEXT(job_id), B_I64(status), B_NAME(after_thing), B_I64(after_number),
	        B_LIMIT(limit)));

	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		/* EXEC_SUMMARY_COLS; nothing to release */
		struct jd_exec x;

		memset(&x, 0, sizeof(x));
		jd_strlcpy(x.job_id, job_id, sizeof(x.job_id));
		pg__cpy(r, i, 0, x.thing_name, sizeof(x.thing_name));
		x.number = pg__i64(r, i, 1);
		x.status = (int)pg__i64(r, i, 2);
		x.queued_ms = pg__i64(r, i, 3);
		x.started_ms = pg__i64(r, i, 4);
		x.updated_ms = pg__i64(r, i, 5);
		x.retry_attempt = pg__i64(r, i, 6);
		rc = cb(arg, &x);
	}
	PQclear(r); /* NULL after a failure */
	return rc;
}

int
pg__exec_list_thing(struct store_tx *tx, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg)
{
	static const struct jd_exec_filter none = {-1, NULL, NULL};
	PGresult *r;
	int rc;

	if (f == NULL)
		f = &none;
	rc = pg__exec(pg__conn(tx), ST_EXEC_LIST_THING, &r,
	    BINDS(B_TEXT(thing), B_I64(before_seq > 0 ? before_seq : INT64_MAX), B_I64(f->status),
	        B_OPT(f->job_id), B_TEXT(f->namespace_id), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_exec(r, cb, arg);
}

/* A read between an exec_get and the change of its row (svc's "did the
 * pending list change?" on a thing) keeps the row's memo: it changes
 * nothing. On the writer with no row kept, the head alone (limit 1: the one
 * StartNextPendingJobExecution starts) is read with its job's active count
 * and kept, so that its change is deferred as after an exec_get (group.c,
 * "Deferred writes"): one round trip less, and the cheaper _DEFER form. */
int
pg__exec_pending(struct store_tx *tx, const char *thing, const char *namespace_id, int limit,
    jd_exec_cb cb, void *arg)
{
	struct conn *c = pg__conn(tx);
	struct pg_memo keep = c->memo;
	bool counted = c->base.write && limit == 1 && keep.kind != PG_MEMO_ROW;
	PGresult *r;
	int rc;

	if (counted)
		rc = pg__exec(c, ST_EXEC_PENDING_W, &r, BINDS(B_TEXT(thing), B_NAME(namespace_id)));
	else
		rc = pg__exec(c, ST_EXEC_PENDING, &r,
		    BINDS(B_TEXT(thing), B_NAME(namespace_id), B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	if (keep.kind == PG_MEMO_ROW) {
		c->memo = keep;
	} else if (counted && PQntuples(r) > 0) {
		memo_row_set(c, r, 0, 0);
	}
	if (c->base.write && limit == 1)
		head_set(c, thing, namespace_id != NULL ? namespace_id : "", r, 0, 2);
	return each_exec(r, cb, arg);
}

/* The head as a read of this write transaction's member found it, if it has
 * not written since (its deferred change clears it: group.c); else read. So
 * the "head before" of a notification (svc/notify.c) costs no round trip
 * after StartNextPendingJobExecution's or UpdateJobExecution's read. */
int
pg__exec_pending_head(struct store_tx *tx, const char *thing, const char *namespace_id, char *job,
    int64_t *number)
{
	struct conn *c = pg__conn(tx);
	const char *ns = namespace_id != NULL ? namespace_id : "";

	if (!c->base.write || !c->head.valid || strcmp(c->head.thing, thing) != 0 ||
	    strcmp(c->head.ns, ns) != 0)
		return store_exec_pending_head_read(tx, thing, ns, job, number); /* keeps it */
	jd_strlcpy(job, c->head.found ? c->head.job : "", JD_JOB_ID_MAX + 1);
	*number = c->head.found ? c->head.number : 0;
	return 0;
}

int
pg__exec_pending_job(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_PENDING_JOB, &r, BINDS(B_TEXT(job_id)));

	if (rc != 0)
		return rc;
	return each_exec(r, cb, arg);
}

int
pg__exec_counts(struct store_tx *tx, const char *job_id, struct jd_counts *out)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_COUNTS, &r, BINDS(B_TEXT(job_id)));

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t status = pg__i64(r, i, 0);

		if (status >= 0 && status < JD_EXEC__COUNT)
			out->n[status] = pg__i64(r, i, 1);
	}
	PQclear(r);
	return 0;
}

int
pg__exec_active_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	struct conn *c = pg__conn(tx);

	if (c->memo.kind == PG_MEMO_ACTIVE && strcmp(c->memo.job_id, job_id) == 0) {
		*n = c->memo.n;
		return 0;
	}
	return pg__scalar(c, ST_EXEC_ACTIVE_COUNT, n, BINDS(B_TEXT(job_id)));
}

int
pg__exec_delete_job(struct store_tx *tx, const char *job_id, int limit, int64_t *n)
{
	struct conn *c = pg__conn(tx);
	int rc;

	*n = 0;
	rc = pg__scalar(c, ST_EXEC_DELETE_JOB, n, BINDS(B_TEXT(job_id), B_LIMIT(limit)));
	if (rc == 0 && *n > 0)
		rc = pg__run(c, ST_COUNTS_PRUNE, false, NULL, BINDS(B_TEXT(job_id)));
	return rc;
}

int
pg__exec_due(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_DUE, &r, BINDS(B_I64(now_ms), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_exec(r, cb, arg);
}

int
pg__exec_counts_all(struct store_tx *tx, struct jd_counts *out)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_EXEC_COUNTS_ALL, &r, NULL, 0);

	memset(out, 0, sizeof(*out));
	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t status = pg__i64(r, i, 0);

		if (status >= 0 && status < JD_EXEC__COUNT)
			out->n[status] = pg__i64(r, i, 1);
	}
	PQclear(r);
	return 0;
}
