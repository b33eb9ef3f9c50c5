/*
 * stats.c: what the admin listener reads from the store (issue 14): the
 * numbers of /metrics that live in the database (executions by status
 * across every job, active jobs, rollout lag), and the write probe behind
 * /readyz. Both are called at most every few seconds (the callers cache):
 * the counts read job_exec_counts (a few rows per job), never the
 * executions themselves.
 */
#include <stdio.h>
#include <string.h>

#include "svc/svc_int.h"
#include "util/buf.h"

static int
first_job(void *arg, const struct jd_job *j)
{
	*(int64_t *)arg = j->rollout_next_ms;
	return 1;
}

int
svc_stats(struct svc *s, struct svc_stats *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int64_t now = svc_now(s), next = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_exec_counts_all(tx, &out->execs);
	if (rc == 0)
		rc = store_job_count_status(tx, JD_JOB_IN_PROGRESS, &out->jobs_in_progress);
	/* the due rollouts come earliest first: the first is the most overdue */
	if (rc == 0) {
		rc = store_job_rollout_due(tx, now, 1, first_job, &next);
		rc = rc == 1 ? 0 : rc;
	}
	store_rollback(tx);
	if (rc != 0)
		return svc__store_err(rc, e);
	out->rollout_lag_ms = next > 0 && now > next ? now - next : 0;
	return 0;
}

int
svc_store_probe(struct svc *s, struct jd_error *e)
{
	struct svc_tx t;
	char v[24];
	int rc;

	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	snprintf(v, sizeof(v), "%lld", (long long)t.now);
	if ((rc = store_meta_put(t.tx, "ready_probe_ms", v)) != 0) {
		svc__rollback(&t);
		return svc__store_err(rc, e);
	}
	return svc__commit(&t, e);
}
