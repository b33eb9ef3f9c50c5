/*
 * encode.c: AWS JSON shapes of jobsd's records, written straight into the
 * response buffer (spec §4.6, §4.5: control plane and data plane differ in
 * identity field, statusDetails wrapping, timestamps and jobDocument).
 */
#include "api/api_int.h"

#include <string.h>

#define ARN_MAX 512 /* region, account, kind and name are bounded well below */

/* Append s to tmp[*n] within ARN_MAX (never cut: the parts are bounded). */
static void
cat(char *tmp, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (k > ARN_MAX - *n)
		k = ARN_MAX - *n;
	memcpy(tmp + *n, s, k);
	*n += k;
}

/* The ARN of a resource into tmp[ARN_MAX], without printf (a hot path); its length. */
static size_t
arn(char tmp[ARN_MAX], const struct api_req *r, const char *kind, const char *name)
{
	size_t n = 0;

	cat(tmp, &n, "arn:aws:iot:");
	cat(tmp, &n, r->region);
	cat(tmp, &n, ":");
	cat(tmp, &n, r->api->cfg.account);
	cat(tmp, &n, ":");
	cat(tmp, &n, kind);
	cat(tmp, &n, "/");
	cat(tmp, &n, name);
	return n;
}

void
api_arn(struct buf *b, const struct api_req *r, const char *kind, const char *name)
{
	char tmp[ARN_MAX];

	buf_append(b, tmp, arn(tmp, r, kind, name));
}

void
api_karn(struct jw *w, const struct api_req *r, const char *key, const char *kind, const char *name)
{
	char tmp[ARN_MAX];
	size_t n = arn(tmp, r, kind, name);

	jw_key(w, key);
	jw_strn(w, tmp, n);
}

void
api_merge_object(struct jw *w, const char *obj_text)
{
	json_t *o;
	const char *k;
	json_t *v;

	if (obj_text == NULL || strcmp(obj_text, "{}") == 0)
		return;
	o = json_loads(obj_text, 0, NULL);
	json_object_foreach(o, k, v) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		jw_key(w, k);
		jw_raw(w, s);
		free(s);
	}
	json_decref(o);
}

void
api_json_begin(struct api_req *r, struct jw *w)
{
	buf_reset(&r->out);
	jw_init(w, &r->out);
	r->status = 200;
}

void
api_next_token(struct jw *w, struct api_req *r, const struct svc_cursor *c)
{
	char tok[512];

	svc_token_make(r->api->svc, c, tok, sizeof(tok));
	jw_kstr(w, "nextToken", tok);
}

int
api_list_begin(struct api_req *r, char kind, struct svc_cursor *cur, struct jw *w,
    const char *member)
{
	const char *tok = api_query(r, "nextToken");

	memset(cur, 0, sizeof(*cur));
	if (tok != NULL && svc_token_parse(r->api->svc, kind, tok, cur, &r->err) != 0)
		return api_fail_err(r, JD_EINVAL);
	api_json_begin(r, w);
	jw_obj_begin(w);
	jw_key(w, member);
	jw_arr_begin(w);
	return 0;
}

void
api_list_end(struct api_req *r, struct jw *w, bool more, char kind, const char *key, int64_t num)
{
	jw_arr_end(w);
	if (more) {
		struct svc_cursor n = {kind, "", num};
		jd_strlcpy(n.key, key ? key : "", sizeof(n.key));
		api_next_token(w, r, &n);
	}
	jw_obj_end(w);
}

void
api_encode_thing(struct jw *w, const struct api_req *r, const struct jd_thing *t, bool full)
{
	jw_obj_begin(w);
	if (full)
		jw_kstr(w, "defaultClientId", t->name);
	jw_kstr(w, "thingName", t->name);
	if (full)
		jw_kstr(w, "thingId", t->id);
	api_karn(w, r, "thingArn", "thing", t->name);
	jw_kstr_opt(w, "thingTypeName", t->type_name);
	jw_key(w, "attributes");
	jw_raw(w, t->attributes ? t->attributes : "{}");
	jw_kint(w, "version", t->version);
	jw_obj_end(w);
}

static void
encode_counts(struct jw *w, const struct jd_counts *c)
{
	jw_key(w, "jobProcessDetails");
	jw_obj_begin(w);
	jw_kint(w, "numberOfCanceledThings", c->n[JD_EXEC_CANCELED]);
	jw_kint(w, "numberOfSucceededThings", c->n[JD_EXEC_SUCCEEDED]);
	jw_kint(w, "numberOfFailedThings", c->n[JD_EXEC_FAILED]);
	jw_kint(w, "numberOfRejectedThings", c->n[JD_EXEC_REJECTED]);
	jw_kint(w, "numberOfQueuedThings", c->n[JD_EXEC_QUEUED]);
	jw_kint(w, "numberOfInProgressThings", c->n[JD_EXEC_IN_PROGRESS]);
	jw_kint(w, "numberOfRemovedThings", c->n[JD_EXEC_REMOVED]);
	jw_kint(w, "numberOfTimedOutThings", c->n[JD_EXEC_TIMED_OUT]);
	jw_obj_end(w);
}

void
api_encode_job(struct jw *w, const struct api_req *r, const struct jd_job *j,
    const struct jd_counts *c)
{
	jw_obj_begin(w);
	api_karn(w, r, "jobArn", "job", j->job_id);
	jw_kstr(w, "jobId", j->job_id);
	jw_kstr(w, "targetSelection", core_target_selection_name(j->selection));
	jw_kstr(w, "status", core_job_status_name(j->status));
	jw_kbool(w, "forceCanceled", j->force_canceled);
	jw_kstr_opt(w, "reasonCode", j->reason_code);
	jw_kstr_opt(w, "comment", j->comment);
	jw_kraw_opt(w, "targets", j->targets);
	jw_kstr_opt(w, "description", j->description);
	jw_ktime_opt(w, "createdAt", j->created_ms);
	jw_ktime_opt(w, "lastUpdatedAt", j->updated_ms);
	jw_ktime_opt(w, "completedAt", j->completed_ms);
	if (c != NULL)
		encode_counts(w, c);
	jw_kstr_opt(w, "namespaceId", j->namespace_id);
	jw_kstr_opt(w, "jobTemplateArn", j->template_arn);
	api_merge_object(w, j->config);
	jw_kbool(w, "isConcurrent", j->rollout_next_ms != 0);
	jw_obj_end(w);
}

void
api_encode_job_summary(struct jw *w, const struct api_req *r, const struct jd_job *j)
{
	jw_obj_begin(w);
	api_karn(w, r, "jobArn", "job", j->job_id);
	jw_kstr(w, "jobId", j->job_id);
	jw_kstr(w, "targetSelection", core_target_selection_name(j->selection));
	jw_kstr(w, "status", core_job_status_name(j->status));
	jw_ktime_opt(w, "createdAt", j->created_ms);
	jw_ktime_opt(w, "lastUpdatedAt", j->updated_ms);
	jw_ktime_opt(w, "completedAt", j->completed_ms);
	jw_kbool(w, "isConcurrent", j->rollout_next_ms != 0);
	jw_obj_end(w);
}

static int64_t
timeout_left(const struct jd_exec *x, int64_t now)
{
	if (x->status != JD_EXEC_IN_PROGRESS)
		return -1;
	return core_seconds_before_timeout(now,
	    core_effective_deadline(x->inprogress_deadline, x->step_deadline));
}

void
api_encode_exec_control(struct jw *w, const struct api_req *r, const struct jd_exec *x, int64_t now)
{
	int64_t left = timeout_left(x, now);

	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	jw_kbool(w, "forceCanceled", x->force_canceled);
	if (x->details != NULL && strcmp(x->details, "{}") != 0) {
		jw_key(w, "statusDetails");
		jw_obj_begin(w);
		jw_kraw_opt(w, "detailsMap", x->details);
		jw_obj_end(w);
	}
	api_karn(w, r, "thingArn", "thing", x->thing_name);
	jw_ktime_opt(w, "queuedAt", x->queued_ms);
	jw_ktime_opt(w, "startedAt", x->started_ms);
	jw_ktime_opt(w, "lastUpdatedAt", x->updated_ms);
	jw_kint(w, "executionNumber", x->number);
	jw_kint(w, "versionNumber", x->version);
	if (left >= 0)
		jw_kint(w, "approximateSecondsBeforeTimedOut", left);
	jw_obj_end(w);
}

void
api_encode_exec_summary(struct jw *w, const struct jd_exec *x)
{
	jw_obj_begin(w);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	jw_ktime_opt(w, "queuedAt", x->queued_ms);
	jw_ktime_opt(w, "startedAt", x->started_ms);
	jw_ktime_opt(w, "lastUpdatedAt", x->updated_ms);
	jw_kint(w, "executionNumber", x->number);
	jw_kint(w, "retryAttempt", x->retry_attempt);
	jw_obj_end(w);
}

static void
ksec_opt(struct jw *w, const char *k, int64_t ms)
{
	if (ms != 0)
		jw_kint(w, k, ms / 1000);
}

void
api_encode_exec_data(struct jw *w, const struct jd_exec *x, const char *doc, bool include_doc,
    int64_t now)
{
	int64_t left = timeout_left(x, now);

	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	jw_kstr(w, "thingName", x->thing_name);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	if (x->details != NULL && strcmp(x->details, "{}") != 0)
		jw_kraw_opt(w, "statusDetails", x->details);
	ksec_opt(w, "queuedAt", x->queued_ms);
	ksec_opt(w, "startedAt", x->started_ms);
	ksec_opt(w, "lastUpdatedAt", x->updated_ms);
	if (left >= 0)
		jw_kint(w, "approximateSecondsBeforeTimedOut", left);
	jw_kint(w, "versionNumber", x->version);
	jw_kint(w, "executionNumber", x->number);
	if (include_doc && doc != NULL)
		jw_kstr(w, "jobDocument", doc);
	jw_obj_end(w);
}

void
api_encode_exec_data_summary(struct jw *w, const struct jd_exec *x)
{
	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	ksec_opt(w, "queuedAt", x->queued_ms);
	ksec_opt(w, "startedAt", x->started_ms);
	ksec_opt(w, "lastUpdatedAt", x->updated_ms);
	jw_kint(w, "versionNumber", x->version);
	jw_kint(w, "executionNumber", x->number);
	jw_obj_end(w);
}

void
api_encode_exec_state(struct jw *w, int status, const char *details, int64_t version)
{
	jw_obj_begin(w);
	jw_kstr(w, "status", core_exec_status_name(status));
	if (details != NULL && strcmp(details, "{}") != 0)
		jw_kraw_opt(w, "statusDetails", details);
	jw_kint(w, "versionNumber", version);
	jw_obj_end(w);
}
