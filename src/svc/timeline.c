/*
 * timeline.c: a job's timeline (what happened to it, in order, kept in the
 * store beside the job so every node sees it and it goes with the job) and
 * the engine's view of the operator's pause (pause.c sets it).
 *
 * Events are appended inside the transaction that makes the change, so a
 * rolled-back change leaves no event and a committed one exactly one. The
 * callers: jobs.c (CREATED, SCHEDULED, STARTED), schedule.c (WINDOW_OPENED,
 * WINDOW_CLOSED, END_TIME_REACHED), progress.c (COMPLETED, CANCELED,
 * ABORTED), pause.c (PAUSED, RESUMED). Calls svc.c and the store only.
 */
#include "svc/timeline_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/buf.h"

int
svc__timeline(struct svc_tx *t, const char *job_id, const char *event, const char *fmt, ...)
{
	char detail[STORE_TIMELINE_DETAIL_MAX + 1] = "";

	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	return store_timeline_add(t->tx, job_id, t->now, event, detail, SVC_TIMELINE_KEEP);
}

int
svc__timeline_started(struct svc_tx *t, const struct jd_job *j)
{
	int rc;

	if (j->status == JD_JOB_SCHEDULED)
		return 0;
	if ((rc = svc__timeline(t, j->job_id, "STARTED", "%s",
	         j->rollout_next_ms != 0 ?
	             "the first batch is queued; the rest follow by the rollout rate" :
	             "every execution is queued")) != 0)
		return rc;
	if (j->status == JD_JOB_COMPLETED)
		return svc__timeline_ended(t, j->job_id, "COMPLETED", "nothing to run");
	return 0;
}

int
svc__timeline_created(struct svc_tx *t, const struct jd_job *j)
{
	int rc;

	if ((rc = svc__timeline(t, j->job_id, "CREATED", "%s",
	         j->selection == JD_SEL_CONTINUOUS ? "CONTINUOUS" : "SNAPSHOT")) != 0)
		return rc;
	if (j->status == JD_JOB_SCHEDULED)
		return svc__timeline(t, j->job_id, "SCHEDULED", "%s",
		    j->policy.n_windows > 0 ? "waiting for a maintenance window" :
		                              "waiting for schedulingConfig.startTime");
	return svc__timeline_started(t, j);
}

int
svc__timeline_ended(struct svc_tx *t, const char *job_id, const char *event, const char *detail)
{
	int rc = svc__timeline(t, job_id, event, "%s", detail != NULL ? detail : "");

	if (rc == 0 && (rc = store_pause_delete(t->tx, job_id)) == JD_ENOTFOUND)
		rc = 0;
	return rc;
}

int
svc__job_paused(struct store_tx *tx, const char *job_id, bool *paused, int64_t *since)
{
	int64_t at = 0;
	int rc = store_pause_get(tx, job_id, &at);

	*paused = rc == 0;
	if (since != NULL)
		*since = rc == 0 ? at : 0;
	return rc == JD_ENOTFOUND ? 0 : rc;
}

static int
paused_add(void *arg, const char *id)
{
	struct svc_paused *p = arg;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = jd_realloc(p->v, p->cap * sizeof(*p->v));
	}
	jd_strlcpy(p->v[p->n++], id, JD_JOB_ID_MAX + 1);
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
svc__paused_read(struct store_tx *tx, struct svc_paused *out)
{
	int rc = store_pause_list(tx, paused_add, out);

	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), id_cmp);
	return rc;
}

bool
svc__paused_has(const struct svc_paused *p, const char *job_id)
{
	return p->n > 0 && bsearch(job_id, p->v, p->n, sizeof(*p->v), id_cmp) != NULL;
}

void
svc__paused_free(struct svc_paused *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}
