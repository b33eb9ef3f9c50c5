/*
 * dash.c: the reads behind the admin dashboard (issue 14): a page of jobs
 * with each job's execution counts, and the state of a set of watched jobs,
 * each in ONE read transaction. Counts come from job_exec_counts (a few rows
 * per job), never from the executions, so a job of 100,000 executions costs
 * what a job of ten does. The live stream (api/admin_stream.c) calls
 * svc_dash_watch about once a second per open stream: what changed is read
 * from the store, so it sees the writes of every node sharing the database.
 */
#include <string.h>

#include "svc/svc_int.h"

int
svc_dash_jobs(struct svc *s, const struct jd_job_filter *f, int64_t before_seq, int limit,
    svc_dash_job_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct jd_jobv v = {0};
	struct store_tx *tx = NULL;
	struct jd_counts c;
	int rc;

	*more = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	/* rows first, then their counts: no statement runs inside another's rows */
	rc = store_job_list(tx, f, before_seq, limit + 1, jd_jobv_add, &v);
	if (rc < 0)
		goto out;
	rc = 0;
	if (v.n > (size_t)limit) {
		*more = true;
		v.n--;
		jd_job_release(&v.v[v.n]);
	}
	for (size_t i = 0; i < v.n && rc == 0; i++) {
		memset(&c, 0, sizeof(c));
		if ((rc = store_exec_counts(tx, v.v[i].job_id, &c)) == 0)
			rc = cb(arg, &v.v[i], &c);
	}
out:
	store_rollback(tx);
	jd_jobv_free(&v);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

static int
newest(void *arg, const struct jd_job *j)
{
	*(int64_t *)arg = j->seq;
	return 1;
}

int
svc_dash_watch(struct svc *s, const char *const *ids, size_t n, svc_dash_watch_cb cb, void *arg,
    int64_t *newest_seq, struct jd_error *e)
{
	struct jd_job_filter any = {.status = -1, .selection = -1};
	struct store_tx *tx = NULL;
	struct jd_counts c;
	struct jd_job j;
	int rc;

	*newest_seq = 0;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_list(tx, &any, 0, 1, newest, newest_seq);
	rc = rc == 1 ? 0 : rc;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		memset(&j, 0, sizeof(j));
		memset(&c, 0, sizeof(c));
		rc = store_job_get(tx, ids[i], &j);
		if (rc == 0)
			rc = store_exec_counts(tx, ids[i], &c);
		if (rc == 0)
			rc = cb(arg, ids[i], &j, &c);
		else if (rc == JD_ENOTFOUND)
			rc = cb(arg, ids[i], NULL, NULL);
		jd_job_release(&j);
	}
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}
