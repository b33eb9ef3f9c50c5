/*
 * ops_jobs.c: the job operations of the PostgreSQL backend: jobs, their
 * group targets (continuous jobs), paced rollouts and job templates.
 *
 * A job's seq comes from the job_seq sequence, in the INSERT itself. The
 * typed policy is stored as core_policy_pack bytes in jobs.policy (BYTEA,
 * sent as a binary parameter, read back as text and unescaped); NULL or
 * unreadable bytes read as no policy. Deleting a job also deletes its group
 * targets and its rollout queue, in the same statement.
 */
#include <string.h>

#include "store/postgres/pg_int.h"

void
pg__row_job(const PGresult *r, int i, struct jd_job *j)
{
	const char *policy;

	memset(j, 0, sizeof(*j));
	pg__cpy(r, i, 0, j->job_id, sizeof(j->job_id));
	j->seq = pg__i64(r, i, 1);
	j->status = (int)pg__i64(r, i, 2);
	j->selection = (int)pg__i64(r, i, 3);
	pg__cpy(r, i, 4, j->namespace_id, sizeof(j->namespace_id));
	j->document = pg__dup(r, i, 5);
	j->document_source = pg__dup(r, i, 6);
	j->description = pg__dup(r, i, 7);
	j->targets = pg__dup(r, i, 8);
	j->config = pg__dup(r, i, 9);
	j->template_arn = pg__dup(r, i, 10);
	j->force_canceled = pg__i64(r, i, 11) != 0;
	pg__cpy(r, i, 12, j->reason_code, sizeof(j->reason_code));
	j->comment = pg__dup(r, i, 13);
	j->inprogress_timeout_min = pg__i64(r, i, 14);
	j->created_ms = pg__i64(r, i, 15);
	j->updated_ms = pg__i64(r, i, 16);
	j->completed_ms = pg__i64(r, i, 17);
	j->rollout_next_ms = pg__i64(r, i, 18);
	j->rollout_notified = pg__i64(r, i, 19);
	policy = pg__val(r, i, 20);
	if (policy != NULL) {
		size_t n = 0;
		unsigned char *b = PQunescapeBytea((const unsigned char *)policy, &n);

		if (b != NULL)
			core_policy_unpack(b, n, &j->policy);
		PQfreemem(b);
	}
	/* NULL: a row from before the column, not computed yet */
	j->sched_due_ms = pg__val(r, i, 21) != NULL ? pg__i64(r, i, 21) : -1;
}

static void
row_template(const PGresult *r, int i, struct jd_template *t)
{
	memset(t, 0, sizeof(*t));
	pg__cpy(r, i, 0, t->id, sizeof(t->id));
	t->description = pg__dup(r, i, 1);
	t->document = pg__dup(r, i, 2);
	t->document_source = pg__dup(r, i, 3);
	t->config = pg__dup(r, i, 4);
	t->created_ms = pg__i64(r, i, 5);
}

static int
each_job(PGresult *r, jd_job_cb cb, void *arg)
{
	int rc = 0;

	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct jd_job row;

		pg__row_job(r, i, &row);
		rc = cb(arg, &row);
		jd_job_release(&row);
	}
	PQclear(r);
	return rc;
}

static int
each_template(PGresult *r, jd_template_cb cb, void *arg)
{
	int rc = 0;

	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct jd_template row;

		row_template(r, i, &row);
		rc = cb(arg, &row);
		jd_template_release(&row);
	}
	PQclear(r);
	return rc;
}

int
pg__job_get(struct store_tx *tx, const char *job_id, struct jd_job *out)
{
	struct conn *c = pg__conn(tx);
	struct pg_memo keep = c->memo;
	PGresult *r;
	int rc = pg__exec(c, ST_JOB_GET, &r, BINDS(B_TEXT(job_id)));

	if (rc != 0)
		return rc;
	/* a read keeps the row read before it (ops_exec.c, pg__exec_pending):
	 * StartNextPendingJobExecution reads the job between its row and the
	 * row's change */
	if (keep.kind == PG_MEMO_ROW)
		c->memo = keep;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		pg__row_job(r, 0, out);
	PQclear(r);
	return rc;
}

int
pg__job_get_counts(struct store_tx *tx, const char *job_id, struct jd_job *out,
    struct jd_counts *counts)
{
	PGresult *r;
	const char *p;
	int rc = pg__exec(pg__conn(tx), ST_JOB_GET_COUNTS, &r, BINDS(B_TEXT(job_id)));

	memset(counts, 0, sizeof(*counts));
	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return JD_ENOTFOUND;
	}
	pg__row_job(r, 0, out);
	/* column 22: "status latest ..." (NULL: no counts yet) */
	for (p = pg__val(r, 0, 22); p != NULL && *p != '\0';) {
		char *end;
		long long status = strtoll(p, &end, 10);
		long long latest = strtoll(end, &end, 10);

		if (end == p)
			break;
		if (status >= 0 && status < JD_EXEC__COUNT)
			counts->n[status] = latest;
		p = end;
	}
	PQclear(r);
	return 0;
}

int
pg__job_status(struct store_tx *tx, const char *job_id, int *status, int *selection)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_JOB_STATUS, &r, BINDS(B_TEXT(job_id)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1) {
		rc = JD_ENOTFOUND;
	} else {
		*status = (int)pg__i64(r, 0, 0);
		*selection = (int)pg__i64(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

int
pg__job_insert(struct store_tx *tx, struct jd_job *j)
{
	size_t plen = 0;
	unsigned char *policy = core_policy_pack(&j->policy, &plen);
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_JOB_INSERT, &r,
	    BINDS(B_TEXT(j->job_id), B_I64(j->status), B_I64(j->selection), B_NAME(j->namespace_id),
	        B_TEXT(j->document), B_TEXT(j->document_source), B_TEXT(j->description),
	        B_TEXT(j->targets), B_TEXT(j->config), B_TEXT(j->template_arn),
	        B_BOOL(j->force_canceled), B_NAME(j->reason_code), B_TEXT(j->comment),
	        B_I64(j->inprogress_timeout_min), B_I64(j->created_ms), B_I64(j->updated_ms),
	        B_I64(j->completed_ms), B_I64(j->rollout_next_ms), B_I64(j->rollout_notified),
	        B_BLOB(policy, plen), B_I64(j->sched_due_ms)));

	free(policy);
	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_EEXISTS;
	else
		j->seq = pg__i64(r, 0, 0);
	PQclear(r);
	return rc;
}

int
pg__job_update(struct store_tx *tx, const struct jd_job *j)
{
	size_t plen = 0;
	unsigned char *policy = core_policy_pack(&j->policy, &plen);
	int rc = pg__run(pg__conn(tx), ST_JOB_UPDATE, true, NULL,
	    BINDS(B_TEXT(j->job_id), B_I64(j->status), B_I64(j->selection), B_NAME(j->namespace_id),
	        B_TEXT(j->document), B_TEXT(j->document_source), B_TEXT(j->description),
	        B_TEXT(j->targets), B_TEXT(j->config), B_TEXT(j->template_arn),
	        B_BOOL(j->force_canceled), B_NAME(j->reason_code), B_TEXT(j->comment),
	        B_I64(j->inprogress_timeout_min), B_I64(j->created_ms), B_I64(j->updated_ms),
	        B_I64(j->completed_ms), B_I64(j->rollout_next_ms), B_I64(j->rollout_notified),
	        B_BLOB(policy, plen), B_I64(j->sched_due_ms)));

	free(policy);
	return rc;
}

int
pg__job_delete(struct store_tx *tx, const char *job_id)
{
	return pg__run(pg__conn(tx), ST_JOB_DELETE, true, NULL, BINDS(B_TEXT(job_id)));
}

int
pg__rollout_push(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing)
{
	int64_t n = 0;
	int rc = pg__run(pg__conn(tx), ST_ROLLOUT_PUSH, false, &n,
	    BINDS(B_TEXT(job_id), B_I64(pos), B_TEXT(thing)));

	return rc != 0 ? rc : n == 0 ? JD_EEXISTS : 0;
}

/* As the SQLite backend: the rows cb saw (up to the one that stopped it) go. */
int
pg__rollout_pop(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb, void *arg)
{
	struct conn *c = pg__conn(tx);
	PGresult *r;
	int64_t last = -1;
	int rc = pg__exec(c, ST_ROLLOUT_PEEK, &r, BINDS(B_TEXT(job_id), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		last = pg__i64(r, i, 0);
		rc = cb(arg, pg__val(r, i, 1));
	}
	PQclear(r);
	if (rc < 0)
		return rc;
	if (last >= 0) {
		int rc2 =
		    pg__run(c, ST_ROLLOUT_DROP, false, NULL, BINDS(B_TEXT(job_id), B_I64(last)));
		if (rc2 != 0)
			return rc2;
	}
	return rc;
}

int
pg__rollout_clear(struct store_tx *tx, const char *job_id)
{
	return pg__run(pg__conn(tx), ST_ROLLOUT_CLEAR, false, NULL, BINDS(B_TEXT(job_id)));
}

/* The jobs statement id lists as due at now_ms ($1), at most limit ($2). */
static int
jobs_due(struct store_tx *tx, enum stmt id, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), id, &r, BINDS(B_I64(now_ms), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_job(r, cb, arg);
}

int
pg__job_rollout_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	return jobs_due(tx, ST_JOB_ROLLOUT_DUE, now_ms, limit, cb, arg);
}

int
pg__job_sched_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	return jobs_due(tx, ST_JOB_SCHED_DUE, now_ms, limit, cb, arg);
}

int
pg__job_list(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg)
{
	static const struct jd_job_filter none = {-1, -1, NULL, NULL};
	PGresult *r;
	int rc;

	if (f == NULL)
		f = &none;
	if (f->status >= 0 && f->selection < 0 && f->namespace_id == NULL && f->group_name == NULL)
		rc = pg__exec(pg__conn(tx), ST_JOB_LIST_STATUS, &r,
		    BINDS(B_I64(before_seq > 0 ? before_seq : INT64_MAX), B_I64(f->status),
		        B_LIMIT(limit)));
	else
		rc = pg__exec(pg__conn(tx), ST_JOB_LIST, &r,
		    BINDS(B_I64(before_seq > 0 ? before_seq : INT64_MAX), B_I64(f->status),
		        B_I64(f->selection), B_TEXT(f->namespace_id), B_OPT(f->group_name),
		        B_LIMIT(limit)));
	if (rc != 0)
		return rc;
	return each_job(r, cb, arg);
}

int
pg__job_count_status(struct store_tx *tx, int status, int64_t *n)
{
	return pg__scalar(pg__conn(tx), ST_JOB_COUNT_STATUS, n, BINDS(B_I64(status)));
}

int
pg__job_target_add(struct store_tx *tx, const char *job_id, const char *group)
{
	int64_t n = 0;
	int rc = pg__run(pg__conn(tx), ST_JOB_TARGET_ADD, false, &n,
	    BINDS(B_TEXT(job_id), B_TEXT(group)));

	return rc != 0 ? rc : n == 0 ? JD_EEXISTS : 0;
}

int
pg__job_list_by_group(struct store_tx *tx, const char *group, jd_job_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_JOB_LIST_BY_GROUP, &r, BINDS(B_TEXT(group)));

	if (rc != 0)
		return rc;
	return each_job(r, cb, arg);
}

int
pg__template_get(struct store_tx *tx, const char *id, struct jd_template *out)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_TEMPLATE_GET, &r, BINDS(B_TEXT(id)));

	if (rc != 0)
		return rc;
	if (PQntuples(r) < 1)
		rc = JD_ENOTFOUND;
	else
		row_template(r, 0, out);
	PQclear(r);
	return rc;
}

int
pg__template_insert(struct store_tx *tx, const struct jd_template *t)
{
	int64_t n = 0;
	int rc = pg__run(pg__conn(tx), ST_TEMPLATE_INSERT, false, &n,
	    BINDS(B_TEXT(t->id), B_TEXT(t->description), B_TEXT(t->document),
	        B_TEXT(t->document_source), B_TEXT(t->config), B_I64(t->created_ms)));

	return rc != 0 ? rc : n == 0 ? JD_EEXISTS : 0;
}

int
pg__template_delete(struct store_tx *tx, const char *id)
{
	return pg__run(pg__conn(tx), ST_TEMPLATE_DELETE, true, NULL, BINDS(B_TEXT(id)));
}

int
pg__template_list(struct store_tx *tx, const char *after, int limit, jd_template_cb cb, void *arg)
{
	PGresult *r;
	int rc = pg__exec(pg__conn(tx), ST_TEMPLATE_LIST, &r, BINDS(B_NAME(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return each_template(r, cb, arg);
}
