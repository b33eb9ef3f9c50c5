/*
 * shape.c: the AWS JSON shapes of jobs and executions (see shape.h).
 *
 * Everything is written straight into the writer's buffer, on every
 * response path: ARNs are assembled without printf, numbers and times go
 * through util's hand-formatted writers, and a stored configuration is
 * spliced as text instead of being parsed and re-encoded.
 */
#include "shape/shape.h"

#include <string.h>

#include "core/core.h"

const struct shape_opts shape_http_data = {.ts_float = false, .doc_as_object = false};
const struct shape_opts shape_mqtt = {.ts_float = false, .doc_as_object = true};

/* ---- members shared by the shapes ---------------------------------------- */

/* Append s to out[*n] within SHAPE_ARN_MAX (cut there; the parts are bounded). */
static void
cat(char *out, size_t *n, const char *s)
{
	size_t k = s != NULL ? strlen(s) : 0;

	if (k > SHAPE_ARN_MAX - *n)
		k = SHAPE_ARN_MAX - *n;
	memcpy(out + *n, s, k);
	*n += k;
}

size_t
shape_arn(char out[SHAPE_ARN_MAX], const struct shape_opts *opts, const char *kind,
    const char *name)
{
	size_t n = 0;

	cat(out, &n, "arn:aws:iot:");
	cat(out, &n, opts->region);
	cat(out, &n, ":");
	cat(out, &n, opts->account);
	cat(out, &n, ":");
	cat(out, &n, kind);
	cat(out, &n, "/");
	cat(out, &n, name);
	return n;
}

void
shape_karn(struct jw *w, const struct shape_opts *opts, const char *key, const char *kind,
    const char *name)
{
	char arn[SHAPE_ARN_MAX];
	size_t n = shape_arn(arn, opts, kind, name);

	jw_key(w, key);
	jw_strn(w, arn, n);
}

void
shape_ktime(struct jw *w, const struct shape_opts *opts, const char *key, int64_t ms)
{
	if (ms == 0)
		return;
	jw_key(w, key);
	if (opts->ts_float)
		jw_time_ms(w, ms);
	else
		jw_int(w, ms / 1000);
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void
shape_members(struct jw *w, const char *object_text)
{
	const char *p = object_text, *end;

	if (p == NULL)
		return;
	end = p + strlen(p);
	while (p < end && blank(*p))
		p++;
	while (end > p && blank(end[-1]))
		end--;
	if (end - p < 2 || p[0] != '{' || end[-1] != '}')
		return;
	for (p++, end--; p < end && blank(*p); p++)
		;
	while (end > p && blank(end[-1]))
		end--;
	if (p == end)
		return; /* {} */
	/* jw_raw of nothing writes only the comma the writer owes before a
	 * member; the members follow as stored */
	jw_raw(w, "");
	buf_append(w->b, p, (size_t)(end - p));
}

void
shape_kdoc(struct jw *w, const struct shape_opts *opts, const char *doc)
{
	if (doc == NULL)
		return;
	if (!opts->doc_as_object) {
		jw_kstr(w, "jobDocument", doc);
		return;
	}
	if (doc[0] != '\0') {
		jw_key(w, "jobDocument");
		jw_raw(w, doc);
	}
}

/* statusDetails is written only when it holds something. */
static bool
has_details(const char *details)
{
	return details != NULL && details[0] != '\0' && strcmp(details, "{}") != 0;
}

/* Seconds before an IN_PROGRESS execution times out; -1 when it has no timer
 * (or is in another status): then the member is left out. */
static int64_t
timeout_left(const struct jd_exec *x, int64_t now_ms)
{
	if (x->status != JD_EXEC_IN_PROGRESS)
		return -1;
	return core_seconds_before_timeout(now_ms,
	    core_effective_deadline(x->inprogress_deadline, x->step_deadline));
}

static void
exec_times(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x)
{
	shape_ktime(w, opts, "queuedAt", x->queued_ms);
	shape_ktime(w, opts, "startedAt", x->started_ms);
	shape_ktime(w, opts, "lastUpdatedAt", x->updated_ms);
}

static void
job_times(struct jw *w, const struct shape_opts *opts, const struct jd_job *j)
{
	shape_ktime(w, opts, "createdAt", j->created_ms);
	shape_ktime(w, opts, "lastUpdatedAt", j->updated_ms);
	shape_ktime(w, opts, "completedAt", j->completed_ms);
}

/* ---- jobs ------------------------------------------------------------------- */

static void
process_details(struct jw *w, const struct jd_counts *counts)
{
	jw_key(w, "jobProcessDetails");
	jw_obj_begin(w);
	jw_kint(w, "numberOfCanceledThings", counts->n[JD_EXEC_CANCELED]);
	jw_kint(w, "numberOfSucceededThings", counts->n[JD_EXEC_SUCCEEDED]);
	jw_kint(w, "numberOfFailedThings", counts->n[JD_EXEC_FAILED]);
	jw_kint(w, "numberOfRejectedThings", counts->n[JD_EXEC_REJECTED]);
	jw_kint(w, "numberOfQueuedThings", counts->n[JD_EXEC_QUEUED]);
	jw_kint(w, "numberOfInProgressThings", counts->n[JD_EXEC_IN_PROGRESS]);
	jw_kint(w, "numberOfRemovedThings", counts->n[JD_EXEC_REMOVED]);
	jw_kint(w, "numberOfTimedOutThings", counts->n[JD_EXEC_TIMED_OUT]);
	jw_obj_end(w);
}

/* The members every job shape opens with. */
static void
job_head(struct jw *w, const struct shape_opts *opts, const struct jd_job *j)
{
	shape_karn(w, opts, "jobArn", "job", j->job_id);
	jw_kstr(w, "jobId", j->job_id);
	jw_kstr(w, "targetSelection", core_target_selection_name(j->selection));
	jw_kstr(w, "status", core_job_status_name(j->status));
}

void
shape_job(struct jw *w, const struct shape_opts *opts, const struct jd_job *j,
    const struct jd_counts *counts)
{
	jw_obj_begin(w);
	job_head(w, opts, j);
	jw_kbool(w, "forceCanceled", j->force_canceled);
	jw_kstr_opt(w, "reasonCode", j->reason_code);
	jw_kstr_opt(w, "comment", j->comment);
	jw_kraw_opt(w, "targets", j->targets);
	jw_kstr_opt(w, "description", j->description);
	job_times(w, opts, j);
	if (counts != NULL)
		process_details(w, counts);
	jw_kstr_opt(w, "namespaceId", j->namespace_id);
	jw_kstr_opt(w, "jobTemplateArn", j->template_arn);
	shape_members(w, j->config); /* the configuration members, as given */
	/* AWS shows these two as {} when the job has none (the aws CLI's
	 * describe-job example; decisions.md) */
	if (!(j->policy.present & JD_POLICY_PRESIGNED)) {
		jw_key(w, "presignedUrlConfig");
		jw_obj_begin(w);
		jw_obj_end(w);
	}
	if (!(j->policy.present & JD_POLICY_ROLLOUT)) {
		jw_key(w, "jobExecutionsRolloutConfig");
		jw_obj_begin(w);
		jw_obj_end(w);
	}
	jw_kbool(w, "isConcurrent", j->rollout_next_ms != 0);
	jw_obj_end(w);
}

void
shape_job_summary(struct jw *w, const struct shape_opts *opts, const struct jd_job *j)
{
	jw_obj_begin(w);
	job_head(w, opts, j);
	job_times(w, opts, j);
	jw_kbool(w, "isConcurrent", j->rollout_next_ms != 0);
	jw_obj_end(w);
}

/* ---- executions ------------------------------------------------------------- */

void
shape_exec(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x, int64_t now_ms)
{
	int64_t left = timeout_left(x, now_ms);

	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	jw_kbool(w, "forceCanceled", x->force_canceled);
	/* always there, {} when empty, as the aws CLI's describe-job-execution
	 * example of a QUEUED execution shows (decisions.md) */
	jw_key(w, "statusDetails");
	jw_obj_begin(w);
	if (x->details != NULL && strcmp(x->details, "{}") != 0)
		jw_kraw_opt(w, "detailsMap", x->details);
	jw_obj_end(w);
	shape_karn(w, opts, "thingArn", "thing", x->thing_name);
	exec_times(w, opts, x);
	jw_kint(w, "executionNumber", x->number);
	jw_kint(w, "versionNumber", x->version);
	if (left >= 0)
		jw_kint(w, "approximateSecondsBeforeTimedOut", left);
	jw_obj_end(w);
}

void
shape_exec_summary(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x)
{
	jw_obj_begin(w);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	exec_times(w, opts, x);
	jw_kint(w, "executionNumber", x->number);
	jw_kint(w, "retryAttempt", x->retry_attempt);
	jw_obj_end(w);
}

void
shape_exec_data(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x,
    const char *doc, int64_t now_ms)
{
	int64_t left = timeout_left(x, now_ms);
	/* an embedded document (MQTT) comes right after thingName and the time
	 * left last; a document string (HTTP) last and the time left earlier */
	bool embedded = opts->doc_as_object;

	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	jw_kstr(w, "thingName", x->thing_name);
	if (embedded)
		shape_kdoc(w, opts, doc);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	if (has_details(x->details)) {
		jw_key(w, "statusDetails");
		jw_raw(w, x->details);
	}
	exec_times(w, opts, x);
	if (!embedded && left >= 0)
		jw_kint(w, "approximateSecondsBeforeTimedOut", left);
	jw_kint(w, "versionNumber", x->version);
	jw_kint(w, "executionNumber", x->number);
	if (embedded && left >= 0)
		jw_kint(w, "approximateSecondsBeforeTimedOut", left);
	if (!embedded)
		shape_kdoc(w, opts, doc);
	jw_obj_end(w);
}

void
shape_exec_data_summary(struct jw *w, const struct shape_opts *opts, const struct jd_exec *x)
{
	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	exec_times(w, opts, x);
	jw_kint(w, "versionNumber", x->version);
	jw_kint(w, "executionNumber", x->number);
	jw_obj_end(w);
}

void
shape_exec_data_list(struct jw *w, const struct shape_opts *opts, const struct jd_execv *list,
    int status)
{
	jw_arr_begin(w);
	for (size_t i = 0; i < list->n; i++)
		if (list->v[i].status == status)
			shape_exec_data_summary(w, opts, &list->v[i]);
	jw_arr_end(w);
}

void
shape_exec_state(struct jw *w, int status, const char *details, int64_t version)
{
	jw_obj_begin(w);
	jw_kstr(w, "status", core_exec_status_name(status));
	if (has_details(details)) {
		jw_key(w, "statusDetails");
		jw_raw(w, details);
	}
	jw_kint(w, "versionNumber", version);
	jw_obj_end(w);
}
