/*
 * admin_jobs.c: the jobsd extensions on a job's rollout (issue 14, D28),
 * served on the admin listener (admin_routes.c):
 *
 *   POST /api/jobs/{jobId}/pause, /resume   hold or release the rollout
 *   GET  /api/jobs/{jobId}/rollout          the rollout's state
 *   GET  /api/jobs/{jobId}/timeline         what happened, in order
 *   GET  /api/jobs/{jobId}/plan             what is left, planned from now
 *   POST /api/whatif                        the plan of a CreateJob body
 *
 * Errors are AWS-shaped (status, x-amzn-ErrorType, {"message"}) from the
 * one error table, as on the control listener. What-if validates its body
 * with CreateJob's own checks (h_jobs.c: api_job_targets, api_job_config,
 * api_body_*), on a request record of the control plane's kind, so its
 * 400s are CreateJob's word for word; a document is optional (a plan needs
 * none) but checked when given. The region of the target ARNs is the first
 * target's (the admin listener has no region of its own).
 */
#include "api/admin_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/managed.h"
#include "svc/svc.h"

/* Fail q with code's AWS status, type and message. */
static void
fail_code(struct admin_req *q, int code, const char *msg)
{
	admin_fail(q, jd_errno_status(code, JD_PLANE_CONTROL), "%s", msg);
	q->error_type = jd_errno_type(code, JD_PLANE_CONTROL);
}

/* The job id label, checked as CreateJob checks it; false: q failed. */
static bool
job_id_ok(struct admin_req *q)
{
	struct jd_error e;
	bool ok;

	jd_error_init(&e);
	ok = core_check_job_id("jobId", q->label[0], &e) == 0;
	if (!ok)
		admin_fail_err(q, &e);
	jd_error_clear(&e);
	return ok;
}

/* The body as a JSON object (NULL for an empty body when !required); q
 * failed (and NULL returned) when it is not one. */
static json_t *
body_object(struct admin_req *q, bool required, bool *bad)
{
	json_error_t je;
	json_t *o;

	*bad = false;
	if (q->body.len == 0 && !required)
		return NULL;
	o = json_loadb(q->body.p != NULL ? q->body.p : "", q->body.len, JSON_REJECT_DUPLICATES,
	    &je);
	if (!json_is_object(o)) {
		char msg[300];
		snprintf(msg, sizeof(msg), "The request body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? je.text : "");
		json_decref(o);
		fail_code(q, JD_EINVAL, msg);
		*bad = true;
		return NULL;
	}
	return o;
}

static void
jw_ms_or_null(struct jw *w, const char *k, int64_t ms)
{
	jw_key(w, k);
	if (ms > 0)
		jw_int(w, ms);
	else
		jw_null(w);
}

/* The rollout's state: see docs/operations.md "Pause, resume and what-if". */
static void
rollout_json(struct admin_req *q, const struct svc_rollout *r)
{
	const struct jd_job *j = &r->job;
	const struct jd_policy *p = &j->policy;
	json_t *cfg = json_loads(j->config ? j->config : "{}", 0, NULL);
	json_t *exp =
	    json_object_get(json_object_get(cfg, "jobExecutionsRolloutConfig"), "exponentialRate");
	int64_t rate = core_rollout_rate(p, j->rollout_notified, r->counts.n[JD_EXEC_SUCCEEDED]);
	int64_t reached = 0; /* things with an execution (DescribeJob's counts) */
	struct jw w;

	for (int i = 0; i < JD_EXEC__COUNT; i++)
		reached += r->counts.n[i];

	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "jobId", j->job_id);
	jw_kstr(&w, "status", core_job_status_name(j->status));
	jw_kstr(&w, "targetSelection", core_target_selection_name(j->selection));
	jw_kbool(&w, "paused", r->paused);
	jw_ms_or_null(&w, "pausedAt", r->paused ? r->paused_ms : 0);
	/* held: by the pause or outside every maintenance window */
	jw_kbool(&w, "held", r->held);
	jw_ms_or_null(&w, "nextBatchAt", j->status == JD_JOB_IN_PROGRESS ? r->next_ms : 0);
	jw_key(&w, "maximumPerMinute");
	if ((p->present & JD_POLICY_ROLLOUT) != 0)
		jw_int(&w,
		    p->max_per_minute > 0 ? p->max_per_minute : JD_ROLLOUT_DEFAULT_PER_MINUTE);
	else
		jw_null(&w);
	jw_key(&w, "exponentialRate");
	if (p->exponential && json_is_object(exp)) {
		char *t = json_dumps(exp, JSON_COMPACT);
		jw_raw(&w, t);
		free(t);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "currentRatePerMinute");
	if (rate > 0)
		jw_int(&w, rate);
	else
		jw_null(&w);
	jw_kint(&w, "notified", j->rollout_notified);
	jw_kint(&w, "reached", reached);
	jw_kint(&w, "queued", r->queued);
	jw_kint(&w, "total", reached + r->queued);
	jw_key(&w, "maintenanceWindows");
	if (p->n_windows > 0) {
		int64_t nx = -1, now = svc_now(q->a->svc);
		int st = core_schedule_window(p, now, &nx);
		jw_obj_begin(&w);
		jw_kbool(&w, "open", st == CORE_WINDOW_OPEN);
		jw_ms_or_null(&w, "nextStart", st == CORE_WINDOW_CLOSED ? nx : 0);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_ms_or_null(&w, "startTime", p->start_ms);
	jw_ms_or_null(&w, "endTime", p->end_ms);
	jw_obj_end(&w);
	json_decref(cfg);
}

static void
pause_or_resume(struct admin_req *q, bool pause)
{
	const char *comment = NULL;
	struct svc_rollout r;
	struct jd_error e;
	bool bad = false;
	json_t *body, *c;

	if (!job_id_ok(q))
		return;
	body = body_object(q, false, &bad);
	if (bad)
		return;
	c = json_object_get(body, "comment");
	if (c != NULL && !json_is_null(c)) {
		if (!json_is_string(c) || strlen(json_string_value(c)) != json_string_length(c)) {
			fail_code(q, JD_EINVAL, "comment must be a string");
			goto out;
		}
		comment = json_string_value(c);
		if (core_utf8_len(comment, strlen(comment)) > SVC_PAUSE_COMMENT_MAX) {
			char msg[256];
			snprintf(msg, sizeof(msg),
			    "1 validation error detected: Value at 'comment' failed to satisfy "
			    "constraint: Member must have length less than or equal to %d",
			    SVC_PAUSE_COMMENT_MAX);
			fail_code(q, JD_EINVAL, msg);
			goto out;
		}
	}
	jd_error_init(&e);
	if (svc_job_pause(q->a->svc, q->label[0], pause, comment, &r, &e) != 0) {
		admin_fail_err(q, &e);
	} else {
		struct jw w;
		jw_init(&w, &q->out);
		jw_obj_begin(&w);
		jw_kstr(&w, "jobId", r.job.job_id);
		jw_kbool(&w, "paused", r.paused);
		jw_ms_or_null(&w, "pausedAt", r.paused ? r.paused_ms : 0);
		jw_kstr(&w, "status", core_job_status_name(r.job.status));
		jw_obj_end(&w);
		jd_job_release(&r.job);
	}
	jd_error_clear(&e);
out:
	json_decref(body);
}

void
admin_h_job_pause(struct admin_req *q)
{
	pause_or_resume(q, true);
}

void
admin_h_job_resume(struct admin_req *q)
{
	pause_or_resume(q, false);
}

void
admin_h_job_rollout(struct admin_req *q)
{
	struct svc_rollout r;
	struct jd_error e;

	if (!job_id_ok(q))
		return;
	jd_error_init(&e);
	if (svc_job_rollout(q->a->svc, q->label[0], &r, &e) != 0) {
		admin_fail_err(q, &e);
	} else {
		rollout_json(q, &r);
		jd_job_release(&r.job);
	}
	jd_error_clear(&e);
}

static int
timeline_row(void *arg, int64_t at_ms, const char *event, const char *detail)
{
	struct jw *w = arg;

	jw_obj_begin(w);
	jw_kint(w, "at", at_ms);
	jw_kstr(w, "event", event);
	jw_kstr(w, "detail", detail);
	jw_obj_end(w);
	return 0;
}

void
admin_h_job_timeline(struct admin_req *q)
{
	struct jd_error e;
	struct jw w;

	if (!job_id_ok(q))
		return;
	jd_error_init(&e);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "events");
	jw_arr_begin(&w);
	if (svc_job_timeline(q->a->svc, q->label[0], timeline_row, &w, &e) != 0) {
		admin_fail_err(q, &e); /* resets q->out */
	} else {
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jd_error_clear(&e);
}

/* The plan's JSON: see docs/operations.md "Pause, resume and what-if". */
static void
plan_json(struct admin_req *q, const struct svc_plan *sp, const char *job_id)
{
	const struct core_plan *pl = &sp->plan;
	struct jw w;

	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	if (job_id != NULL)
		jw_kstr(&w, "jobId", job_id);
	jw_kint(&w, "now", sp->now);
	jw_kint(&w, "things", sp->things);
	jw_kint(&w, "executions", pl->executions);
	jw_kint(&w, "never", pl->never);
	jw_key(&w, "waves");
	jw_arr_begin(&w);
	for (size_t i = 0; i < pl->n_waves; i++) {
		jw_obj_begin(&w);
		jw_kint(&w, "at", pl->waves[i].at_ms);
		jw_kint(&w, "count", pl->waves[i].count);
		jw_kint(&w, "cumulative", pl->waves[i].cumulative);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_kint(&w, "wavesTotal", pl->waves_total);
	jw_ms_or_null(&w, "start", pl->start_ms);
	jw_ms_or_null(&w, "earliestCompletion", pl->completion_ms);
	jw_key(&w, "windows");
	jw_arr_begin(&w);
	for (size_t i = 0; i < pl->n_windows; i++) {
		jw_obj_begin(&w);
		jw_kint(&w, "start", pl->windows[i].start_ms);
		jw_kint(&w, "end", pl->windows[i].end_ms);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "notes");
	jw_arr_begin(&w);
	for (int i = 0; i < CORE_PLAN_NOTE_COUNT; i++)
		if (pl->notes & (1u << i))
			jw_str(&w, core_plan_note_text(1u << i));
	jw_arr_end(&w);
	jw_obj_end(&w);
}

void
admin_h_job_plan(struct admin_req *q)
{
	struct svc_plan sp;
	struct jd_error e;

	if (!job_id_ok(q))
		return;
	jd_error_init(&e);
	if (svc_job_plan(q->a->svc, q->label[0], &sp, &e) != 0) {
		admin_fail_err(q, &e);
	} else {
		plan_json(q, &sp, q->label[0]);
		core_plan_release(&sp.plan);
	}
	jd_error_clear(&e);
}

/* The region of the first target ARN ("us-east-1" when it has none). */
static void
region_of(json_t *body, char *out, size_t n)
{
	const char *a = json_string_value(json_array_get(json_object_get(body, "targets"), 0));
	const char *p = a != NULL ? strchr(a, ':') : NULL;

	jd_strlcpy(out, "us-east-1", n);
	p = p != NULL ? strchr(p + 1, ':') : NULL; /* before "iot" */
	p = p != NULL ? strchr(p + 1, ':') : NULL; /* before the region */
	if (p != NULL) {
		size_t l = strcspn(p + 1, ":");
		if (l > 0 && l < n && strchr(p + 1, ':') != NULL) {
			memcpy(out, p + 1, l);
			out[l] = '\0';
		}
	}
}

/* CreateJob's checks of the body (h_jobs.c, api_h_create_job's order),
 * the document optional; fills in. 0, or r failed. */
static int
whatif_input(struct api_req *r, struct svc_job_input *in, const char ***targets, char **config,
    struct jd_tag **tags)
{
	const char *sel = NULL;
	int n = 0;

	in->selection = JD_SEL_SNAPSHOT;
	if (api_job_targets(r, targets, &n) ||
	    api_body_str(r, r->json, "document", NULL, &in->document) ||
	    api_body_str(r, r->json, "documentSource", NULL, &in->document_source) ||
	    api_body_str(r, r->json, "description", NULL, &in->description) ||
	    api_body_str(r, r->json, "targetSelection", NULL, &sel) ||
	    api_body_str(r, r->json, "namespaceId", NULL, &in->namespace_id) ||
	    api_body_str(r, r->json, "jobTemplateArn", NULL, &in->template_arn))
		return -1;
	if (sel != NULL && core_target_selection_parse(sel, &in->selection) != 0)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at 'targetSelection' "
		    "failed to satisfy constraint: Member must satisfy enum value set: [CONTINUOUS, SNAPSHOT]",
		    sel);
	if ((in->description &&
	        api_check(r, api_check_description, "description", in->description)) ||
	    (in->namespace_id &&
	        api_check(r, core_check_namespace_id, "namespaceId", in->namespace_id)))
		return -1;
	if (in->document_source &&
	    (strlen(in->document_source) < 1 ||
	        strlen(in->document_source) > JD_DOCUMENT_SOURCE_MAX))
		return api_vfail(r, "documentSource", "Member must have length between 1 and 1350");
	if (in->template_arn &&
	    core_check_arn("jobTemplateArn", in->template_arn, 1, 1600, &r->err))
		return api_fail_err(r, JD_EINVAL);
	if (in->document != NULL && in->document_source != NULL)
		return api_fail(r, JD_EINVAL, "Specify only one of document and documentSource");
	if (in->document != NULL) {
		json_error_t je;
		json_t *doc;
		if (strlen(in->document) > JD_DOCUMENT_MAX)
			return api_vfail(r, "document",
			    "Member must have length less than or equal to 32768");
		doc = json_loads(in->document, 0, &je);
		if (!json_is_object(doc)) {
			json_decref(doc);
			return api_fail(r, JD_EINVAL, "The job document must be a JSON object%s%s",
			    doc == NULL ? ": " : "", doc == NULL ? je.text : "");
		}
		json_decref(doc);
	}
	if (api_job_config(r, API_CFG_CREATE_JOB, config, &in->inprogress_timeout_min,
	        &in->start_ms) ||
	    api_body_tags(r, r->json, false, tags, &in->n_tags))
		return -1;
	in->targets = *targets;
	in->n_targets = n;
	in->config = *config;
	in->tags = *tags;
	return 0;
}

void
admin_h_whatif(struct admin_req *q)
{
	struct api_req *r = jd_calloc(1, sizeof(*r));
	struct api *api = jd_calloc(1, sizeof(*api)); /* what the checks read: svc */
	struct svc_job_input in = {0};
	const char **targets = NULL;
	struct jd_tag *tags = NULL;
	char *config = NULL;
	struct svc_plan sp;
	bool bad = false;

	r->json = body_object(q, true, &bad);
	if (bad)
		goto out;
	api->svc = q->a->svc;
	r->api = api;
	r->plane = JD_PLANE_CONTROL;
	region_of(r->json, r->region, sizeof(r->region));
	jd_error_init(&r->err);
	if (whatif_input(r, &in, &targets, &config, &tags) != 0) {
		admin_fail_err(q, &r->err);
		goto out;
	}
	if (svc_whatif(q->a->svc, &in, &sp, &r->err) != 0) {
		admin_fail_err(q, &r->err);
		goto out;
	}
	plan_json(q, &sp, NULL);
	core_plan_release(&sp.plan);
out:
	jd_error_clear(&r->err);
	json_decref(r->json);
	free(targets);
	free(tags);
	free(config);
	free(r);
	free(api);
}
