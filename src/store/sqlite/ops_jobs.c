/*
 * ops_jobs.c: the job operations of the SQLite backend: jobs, their group
 * targets (continuous jobs), paced rollouts and job templates.
 *
 * A job's seq comes from the counters table (monotonic, never reused,
 * survives wipe), taken under the writer lock. The typed policy is stored
 * as core_policy_pack bytes in jobs.policy (migration 7); a NULL or
 * unreadable blob reads as no policy. job_status reads two early columns,
 * so no overflow page of the row (targets, document) is read on the hot
 * paths that need only those.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/buf.h"

static void
row_job(sqlite3_stmt *st, struct jd_job *j)
{
	memset(j, 0, sizeof(*j));
	sq__col_cpy(st, 0, j->job_id, sizeof(j->job_id));
	j->seq = sqlite3_column_int64(st, 1);
	j->status = sqlite3_column_int(st, 2);
	j->selection = sqlite3_column_int(st, 3);
	sq__col_cpy(st, 4, j->namespace_id, sizeof(j->namespace_id));
	j->document = sq__col_dup(st, 5);
	j->document_source = sq__col_dup(st, 6);
	j->description = sq__col_dup(st, 7);
	j->targets = sq__col_dup(st, 8);
	j->config = sq__col_dup(st, 9);
	j->template_arn = sq__col_dup(st, 10);
	j->force_canceled = sqlite3_column_int(st, 11) != 0;
	sq__col_cpy(st, 12, j->reason_code, sizeof(j->reason_code));
	j->comment = sq__col_dup(st, 13);
	j->inprogress_timeout_min = sqlite3_column_int64(st, 14);
	j->created_ms = sqlite3_column_int64(st, 15);
	j->updated_ms = sqlite3_column_int64(st, 16);
	j->completed_ms = sqlite3_column_int64(st, 17);
	j->rollout_next_ms = sqlite3_column_int64(st, 18);
	j->rollout_notified = sqlite3_column_int64(st, 19);
	/* NULL (a row from before migration 7) or unreadable: policy stays zeroed */
	core_policy_unpack(sqlite3_column_blob(st, 20), (size_t)sqlite3_column_bytes(st, 20),
	    &j->policy);
	/* NULL: a row from before the column, not computed yet */
	j->sched_due_ms =
	    sqlite3_column_type(st, 21) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 21);
}

static void
row_template(sqlite3_stmt *st, struct jd_template *t)
{
	memset(t, 0, sizeof(*t));
	sq__col_cpy(st, 0, t->id, sizeof(t->id));
	t->description = sq__col_dup(st, 1);
	t->document = sq__col_dup(st, 2);
	t->document_source = sq__col_dup(st, 3);
	t->config = sq__col_dup(st, 4);
	t->created_ms = sqlite3_column_int64(st, 5);
}

static int
each_job(struct q *q, jd_job_cb cb, void *arg)
{
	int rc;

	while ((rc = sq__q_step(q)) == 1) {
		struct jd_job row;

		row_job(q->st, &row);
		rc = cb(arg, &row);
		jd_job_release(&row);
		if (rc != 0)
			break;
	}
	sq__q_close(q);
	return rc;
}

static int
each_template(struct q *q, jd_template_cb cb, void *arg)
{
	int rc;

	while ((rc = sq__q_step(q)) == 1) {
		struct jd_template row;

		row_template(q->st, &row);
		rc = cb(arg, &row);
		jd_template_release(&row);
		if (rc != 0)
			break;
	}
	sq__q_close(q);
	return rc;
}

int
sq__job_get(struct store_tx *tx, const char *job_id, struct jd_job *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_JOB_GET, &q, BINDS(B_TEXT(job_id)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		row_job(q.st, out);
	sq__q_close(&q);
	return rc;
}

/* Two early columns: no overflow page of the row (targets, document) is read. */
int
sq__job_status(struct store_tx *tx, const char *job_id, int *status, int *selection)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_JOB_STATUS, &q, BINDS(B_TEXT(job_id)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0) {
		*status = sqlite3_column_int(q.st, 0);
		*selection = sqlite3_column_int(q.st, 1);
	}
	sq__q_close(&q);
	return rc;
}

int
sq__job_insert(struct store_tx *tx, struct jd_job *j)
{
	struct conn *c = sq__conn(tx);
	int64_t seq = 0;
	size_t plen = 0;
	unsigned char *policy = NULL;
	int rc = sq__seq_add(c, "job", 1, &seq);

	if (rc != 0)
		return rc;
	policy = core_policy_pack(&j->policy, &plen);
	rc = sq__run(c, ST_JOB_INSERT, false, NULL,
	    BINDS(B_TEXT(j->job_id), B_I64(seq), B_INT(j->status), B_INT(j->selection),
	        B_OPT(j->namespace_id), B_TEXT(j->document), B_TEXT(j->document_source),
	        B_TEXT(j->description), B_TEXT(j->targets), B_TEXT(j->config),
	        B_TEXT(j->template_arn), B_BOOL(j->force_canceled), B_OPT(j->reason_code),
	        B_TEXT(j->comment), B_I64(j->inprogress_timeout_min), B_I64(j->created_ms),
	        B_I64(j->updated_ms), B_I64(j->completed_ms), B_I64(j->rollout_next_ms),
	        B_I64(j->rollout_notified), B_BLOB(policy, plen), B_I64(j->sched_due_ms)));
	free(policy);
	if (rc == 0)
		j->seq = seq;
	return rc;
}

int
sq__job_update(struct store_tx *tx, const struct jd_job *j)
{
	size_t plen = 0;
	unsigned char *policy = core_policy_pack(&j->policy, &plen);
	int rc = sq__run(sq__conn(tx), ST_JOB_UPDATE, true, NULL,
	    BINDS(B_TEXT(j->job_id), B_INT(j->status), B_INT(j->selection), B_OPT(j->namespace_id),
	        B_TEXT(j->document), B_TEXT(j->document_source), B_TEXT(j->description),
	        B_TEXT(j->targets), B_TEXT(j->config), B_TEXT(j->template_arn),
	        B_BOOL(j->force_canceled), B_OPT(j->reason_code), B_TEXT(j->comment),
	        B_I64(j->inprogress_timeout_min), B_I64(j->created_ms), B_I64(j->updated_ms),
	        B_I64(j->completed_ms), B_I64(j->rollout_next_ms), B_I64(j->rollout_notified),
	        B_BLOB(policy, plen), B_I64(j->sched_due_ms)));

	free(policy);
	return rc;
}

int
sq__job_delete(struct store_tx *tx, const char *job_id)
{
	struct conn *c = sq__conn(tx);
	int rc = sq__run(c, ST_JOB_DELETE, true, NULL, BINDS(B_TEXT(job_id)));

	if (rc == 0)
		rc = sq__run(c, ST_JOB_UNTARGET, false, NULL, BINDS(B_TEXT(job_id)));
	if (rc == 0)
		rc = sq__run(c, ST_ROLLOUT_CLEAR, false, NULL, BINDS(B_TEXT(job_id)));
	return rc;
}

int
sq__rollout_push(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing)
{
	return sq__run(sq__conn(tx), ST_ROLLOUT_PUSH, false, NULL,
	    BINDS(B_TEXT(job_id), B_I64(pos), B_TEXT(thing)));
}

int
sq__rollout_pop(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb, void *arg)
{
	struct conn *c = sq__conn(tx);
	struct q q;
	int64_t last = -1;
	int rc = sq__q_open(c, ST_ROLLOUT_PEEK, &q, BINDS(B_TEXT(job_id), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1) {
		last = sqlite3_column_int64(q.st, 0);
		if ((rc = cb(arg, (const char *)sqlite3_column_text(q.st, 1))) != 0)
			break;
	}
	sq__q_close(&q);
	if (rc < 0)
		return rc;
	if (last >= 0) {
		int rc2 =
		    sq__run(c, ST_ROLLOUT_DROP, false, NULL, BINDS(B_TEXT(job_id), B_I64(last)));
		if (rc2 != 0)
			return rc2;
	}
	return rc;
}

int
sq__rollout_clear(struct store_tx *tx, const char *job_id)
{
	return sq__run(sq__conn(tx), ST_ROLLOUT_CLEAR, false, NULL, BINDS(B_TEXT(job_id)));
}

/* The jobs statement id lists as due at now_ms (?1), at most limit (?2). */
static int
jobs_due(struct store_tx *tx, enum stmt id, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), id, &q, BINDS(B_I64(now_ms), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_job(&q, cb, arg);
}

int
sq__job_rollout_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	return jobs_due(tx, ST_JOB_ROLLOUT_DUE, now_ms, limit, cb, arg);
}

int
sq__job_sched_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	return jobs_due(tx, ST_JOB_SCHED_DUE, now_ms, limit, cb, arg);
}

int
sq__job_list(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg)
{
	static const struct jd_job_filter none = {-1, -1, NULL, NULL};
	struct q q;
	int rc;

	if (f == NULL)
		f = &none;
	if (f->status >= 0 && f->selection < 0 && f->namespace_id == NULL && f->group_name == NULL)
		rc = sq__q_open(sq__conn(tx), ST_JOB_LIST_STATUS, &q,
		    BINDS(B_I64(before_seq > 0 ? before_seq : INT64_MAX), B_INT(f->status),
		        B_LIMIT(limit)));
	else
		rc = sq__q_open(sq__conn(tx), ST_JOB_LIST, &q,
		    BINDS(B_I64(before_seq > 0 ? before_seq : INT64_MAX), B_INT(f->status),
		        B_INT(f->selection), B_TEXT(f->namespace_id), B_OPT(f->group_name),
		        B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_job(&q, cb, arg);
}

int
sq__job_count_status(struct store_tx *tx, int status, int64_t *n)
{
	return sq__scalar(sq__conn(tx), ST_JOB_COUNT_STATUS, n, BINDS(B_INT(status)));
}

int
sq__job_target_add(struct store_tx *tx, const char *job_id, const char *group)
{
	return sq__run(sq__conn(tx), ST_JOB_TARGET_ADD, false, NULL,
	    BINDS(B_TEXT(job_id), B_TEXT(group)));
}

int
sq__job_list_by_group(struct store_tx *tx, const char *group, jd_job_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_JOB_LIST_BY_GROUP, &q, BINDS(B_TEXT(group)));

	if (rc != 0)
		return rc;
	return each_job(&q, cb, arg);
}

int
sq__template_get(struct store_tx *tx, const char *id, struct jd_template *out)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_TEMPLATE_GET, &q, BINDS(B_TEXT(id)));

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		row_template(q.st, out);
	sq__q_close(&q);
	return rc;
}

int
sq__template_insert(struct store_tx *tx, const struct jd_template *t)
{
	return sq__run(sq__conn(tx), ST_TEMPLATE_INSERT, false, NULL,
	    BINDS(B_TEXT(t->id), B_TEXT(t->description), B_TEXT(t->document),
	        B_TEXT(t->document_source), B_TEXT(t->config), B_I64(t->created_ms)));
}

int
sq__template_delete(struct store_tx *tx, const char *id)
{
	return sq__run(sq__conn(tx), ST_TEMPLATE_DELETE, true, NULL, BINDS(B_TEXT(id)));
}

int
sq__template_list(struct store_tx *tx, const char *after, int limit, jd_template_cb cb, void *arg)
{
	struct q q;
	int rc =
	    sq__q_open(sq__conn(tx), ST_TEMPLATE_LIST, &q, BINDS(B_CURSOR(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_template(&q, cb, arg);
}
