/*
 * admin_dash.c: the JSON API the dashboard uses (issue 14, D28), on the
 * admin listener under /api/. Reads go through svc's list and describe
 * functions (and svc_dash_jobs for a page of jobs with their counts);
 * actions call the same svc functions as CancelJob, CancelJobExecution and
 * DeleteJobExecution, so AWS's rules and errors apply unchanged: an error
 * answers AWS's status with {"message", "code"} (code = x-amzn-ErrorType).
 *
 * Every list is a page (limit 1..100, default 25) with an opaque nextToken,
 * and every total comes from the job's counts (job_exec_counts), never from
 * reading the executions: a job of 100,000 executions costs one page.
 * Times are epoch milliseconds. docs/dashboard.md lists the routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/admin_int.h"
#include "core/core.h"
#include "svc/svc.h"

#define DASH_PAGE_DEFAULT 25
#define DASH_PAGE_MAX 100
#define DASH_TIME_MAX_MS 253402300800000LL /* 10000-01-01: later is "never" */

/* ---- helpers --------------------------------------------------------------- */

/* The page size of ?limit=, or -1 with q failed. */
static int
page_limit(struct admin_req *q)
{
	const char *s = admin_query(q, "limit");
	int64_t v;

	if (s == NULL || s[0] == '\0')
		return DASH_PAGE_DEFAULT;
	if (core_parse_u63(s, &v) != 0 || v < 1 || v > DASH_PAGE_MAX) {
		admin_fail(q, 400, "limit must be 1..%d", DASH_PAGE_MAX);
		return -1;
	}
	return (int)v;
}

/* ?status= as an execution status (-1 when absent), or -2 with q failed. */
static int
exec_status_arg(struct admin_req *q)
{
	const char *s = admin_query(q, "status");
	int st;

	if (s == NULL || s[0] == '\0')
		return -1;
	if (core_exec_status_parse(s, &st) != 0) {
		admin_fail(q, 400, "status must be an execution status (QUEUED, IN_PROGRESS, ...)");
		return -2;
	}
	return st;
}

static bool
check(struct admin_req *q, int (*fn)(const char *, const char *, struct jd_error *),
    const char *member, const char *v)
{
	struct jd_error e;
	bool ok;

	jd_error_init(&e);
	ok = fn(member, v, &e) == 0;
	if (!ok)
		admin_fail_err(q, &e);
	jd_error_clear(&e);
	return ok;
}

static int
check_comment(const char *member, const char *s, struct jd_error *e)
{
	return core_check_text(member, s, 1, JD_COMMENT_MAX, e);
}

static void
counts_obj(struct jw *w, const struct jd_counts *c)
{
	int64_t total = 0;

	jw_key(w, "counts");
	jw_obj_begin(w);
	for (int s = 0; s < JD_EXEC__COUNT; s++) {
		jw_kint(w, core_exec_status_name(s), c->n[s]);
		total += c->n[s];
	}
	jw_obj_end(w);
	jw_kint(w, "total", total);
}

static void
kms(struct jw *w, const char *k, int64_t ms)
{
	if (ms != 0)
		jw_kint(w, k, ms);
}

void
admin_dash_job_json(struct jw *w, const struct jd_job *j, const struct jd_counts *c)
{
	jw_obj_begin(w);
	jw_kstr(w, "jobId", j->job_id);
	jw_kstr(w, "status", core_job_status_name(j->status));
	jw_kstr_opt(w, "namespaceId", j->namespace_id);
	jw_kstr_opt(w, "description", j->description);
	jw_kstr(w, "targetSelection", core_target_selection_name(j->selection));
	kms(w, "createdAt", j->created_ms);
	kms(w, "lastUpdatedAt", j->updated_ms);
	kms(w, "completedAt", j->completed_ms);
	if (j->policy.start_ms != 0)
		jw_kint(w, "scheduledStart", j->policy.start_ms);
	jw_kbool(w, "forceCanceled", j->force_canceled);
	counts_obj(w, c);
	jw_obj_end(w);
}

/* What the dashboard may offer for an execution in status st: cancel "no",
 * "yes" or "force"; delete "yes" or "force" (the rules of CancelJobExecution
 * and DeleteJobExecution, from core's table). */
static void
actions(struct jw *w, int st)
{
	struct jd_error e;

	jd_error_init(&e);
	jw_key(w, "actions");
	jw_obj_begin(w);
	jw_kstr(w, "cancel",
	    core_exec_check(CORE_OP_CANCEL, st, JD_EXEC_CANCELED, false, &e) == 0    ? "yes" :
	        core_exec_check(CORE_OP_CANCEL, st, JD_EXEC_CANCELED, true, &e) == 0 ? "force" :
	                                                                               "no");
	jw_kstr(w, "delete",
	    core_exec_check(CORE_OP_DELETE, st, JD_EXEC_CANCELED, false, &e) == 0 ? "yes" :
	                                                                            "force");
	jw_obj_end(w);
	jd_error_clear(&e);
}

static void
exec_obj(struct jw *w, const struct jd_exec *x, bool full)
{
	jw_obj_begin(w);
	jw_kstr(w, "jobId", x->job_id);
	jw_kstr(w, "thingName", x->thing_name);
	jw_kint(w, "executionNumber", x->number);
	jw_kstr(w, "status", core_exec_status_name(x->status));
	kms(w, "queuedAt", x->queued_ms);
	kms(w, "startedAt", x->started_ms);
	kms(w, "lastUpdatedAt", x->updated_ms);
	jw_kint(w, "versionNumber", x->version);
	jw_kint(w, "retryAttempt", x->retry_attempt);
	jw_kbool(w, "forceCanceled", x->force_canceled);
	if (full) {
		jw_kstr_opt(w, "namespaceId", x->namespace_id);
		jw_kraw_opt(w, "statusDetails", x->details);
		kms(w, "inProgressDeadline", x->inprogress_deadline);
		kms(w, "stepDeadline", x->step_deadline);
	}
	actions(w, x->status);
	jw_obj_end(w);
}

/*
 * The end of a list answer whose rows were written into w: rc the list's
 * outcome (q failed with e when not 0), tok the nextToken when more.
 */
static void
page_end(struct admin_req *q, struct jw *w, struct jd_error *e, int rc, bool more, const char *tok)
{
	if (rc != 0) {
		admin_fail_err(q, e);
	} else {
		jw_arr_end(w);
		if (more)
			jw_kstr(w, "nextToken", tok);
		jw_obj_end(w);
	}
	jd_error_clear(e);
}

/* ?next= as a seq cursor (0 when absent), or false with q failed. */
static bool
seq_cursor(struct admin_req *q, int64_t *before)
{
	const char *next = admin_query(q, "next");

	*before = 0;
	if (next == NULL || next[0] == '\0')
		return true;
	if (core_parse_u63(next, before) != 0 || *before == 0) {
		admin_fail(q, 400, "next is not a token this listener gave");
		return false;
	}
	return true;
}

/* ---- GET /api/jobs ----------------------------------------------------------- */

struct rows {
	struct jw *w;
	int64_t last_seq;
	char last_thing[JD_THING_NAME_MAX + 1];
	int64_t last_number;
};

static int
job_row(void *arg, const struct jd_job *j, const struct jd_counts *c)
{
	struct rows *r = arg;

	admin_dash_job_json(r->w, j, c);
	r->last_seq = j->seq;
	return 0;
}

void
admin_h_dash_jobs(struct admin_req *q)
{
	struct jd_job_filter f = {.status = -1, .selection = -1};
	const char *st = admin_query(q, "status"), *ns = admin_query(q, "namespace");
	int64_t before = 0;
	int limit = page_limit(q), rc;
	struct jd_error e;
	struct jw w;
	struct rows r = {.w = &w};
	bool more = false;
	char tok[24];

	if (limit < 0 || !seq_cursor(q, &before))
		return;
	if (st != NULL && st[0] != '\0' && core_job_status_parse(st, &f.status) != 0) {
		admin_fail(q, 400, "status must be a job status (IN_PROGRESS, SCHEDULED, ...)");
		return;
	}
	if (ns != NULL && ns[0] != '\0') {
		if (!check(q, core_check_namespace_id, "namespace", ns))
			return;
		f.namespace_id = ns;
	}
	jd_error_init(&e);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "jobs");
	jw_arr_begin(&w);
	rc = svc_dash_jobs(q->a->svc, &f, before, limit, job_row, &r, &more, &e);
	snprintf(tok, sizeof(tok), "%lld", (long long)r.last_seq);
	page_end(q, &w, &e, rc, more, tok);
}

/* ---- GET /api/jobs/{jobId} ------------------------------------------------- */

static int64_t
executed(const struct jd_counts *c)
{
	return c->n[JD_EXEC_SUCCEEDED] + c->n[JD_EXEC_FAILED] + c->n[JD_EXEC_REJECTED] +
	    c->n[JD_EXEC_TIMED_OUT];
}

static int64_t
failed_of(const struct jd_counts *c, int type)
{
	switch (type) {
	case JD_FAILURE_FAILED:
		return c->n[JD_EXEC_FAILED];
	case JD_FAILURE_REJECTED:
		return c->n[JD_EXEC_REJECTED];
	case JD_FAILURE_TIMED_OUT:
		return c->n[JD_EXEC_TIMED_OUT];
	default:
		return c->n[JD_EXEC_FAILED] + c->n[JD_EXEC_REJECTED] + c->n[JD_EXEC_TIMED_OUT];
	}
}

/* The rollout rate, abort thresholds and how close the failures are, the
 * schedule: what the job's page shows beside the configuration. */
static void
policy_view(struct jw *w, const struct jd_job *j, const struct jd_counts *c)
{
	const struct jd_policy *p = &j->policy;
	int64_t ex = executed(c);

	jw_key(w, "rollout");
	jw_obj_begin(w);
	jw_kbool(w, "paced", (p->present & JD_POLICY_ROLLOUT) != 0);
	if (p->present & JD_POLICY_ROLLOUT) {
		jw_kint(w, "ratePerMinute",
		    core_rollout_rate(p, j->rollout_notified, c->n[JD_EXEC_SUCCEEDED]));
		jw_kint(w, "maximumPerMinute",
		    p->max_per_minute > 0 ? p->max_per_minute : JD_ROLLOUT_DEFAULT_PER_MINUTE);
		jw_kbool(w, "exponential", p->exponential);
		if (p->exponential) {
			jw_kint(w, "baseRatePerMinute", p->base_per_minute);
			jw_key(w, "incrementFactor");
			{
				char f[32];
				snprintf(f, sizeof(f), "%.4g", p->increment_factor);
				jw_raw(w, f);
			}
		}
	}
	jw_kint(w, "notified", j->rollout_notified);
	/* a held rollout (paused, outside its windows) keeps a far-future sentinel */
	if (j->rollout_next_ms >= DASH_TIME_MAX_MS)
		jw_kbool(w, "held", true);
	else
		kms(w, "nextBatchAt", j->rollout_next_ms);
	jw_obj_end(w);

	jw_key(w, "abort");
	jw_arr_begin(w);
	for (size_t i = 0; i < p->n_abort; i++) {
		const struct jd_abort_criterion *a = &p->abort[i];
		int64_t f = failed_of(c, a->failure_type);
		char pct[32];
		jw_obj_begin(w);
		jw_kstr(w, "failureType", core_failure_type_name(a->failure_type));
		jw_kstr(w, "action", "CANCEL");
		snprintf(pct, sizeof(pct), "%.2f", a->threshold_pct);
		jw_key(w, "thresholdPercentage");
		jw_raw(w, pct);
		jw_kint(w, "minNumberOfExecutedThings", a->min_executed);
		jw_kint(w, "failed", f);
		jw_kint(w, "executed", ex);
		snprintf(pct, sizeof(pct), "%.2f", ex > 0 ? (double)f * 100.0 / (double)ex : 0.0);
		jw_key(w, "failedPercentage");
		jw_raw(w, pct);
		jw_kbool(w, "armed", ex >= a->min_executed && ex >= 1);
		jw_obj_end(w);
	}
	jw_arr_end(w);

	jw_key(w, "schedule");
	jw_obj_begin(w);
	kms(w, "startTime", p->start_ms);
	kms(w, "endTime", p->end_ms);
	if (p->end_behavior != JD_END_NONE)
		jw_kstr(w, "endBehavior", core_end_behavior_name(p->end_behavior));
	jw_kint(w, "maintenanceWindows", (int64_t)p->n_windows);
	jw_obj_end(w);
	if (p->inprogress_timeout_min > 0)
		jw_kint(w, "inProgressTimeoutInMinutes", p->inprogress_timeout_min);
}

void
admin_h_dash_job(struct admin_req *q)
{
	const char *id = q->label[0];
	struct jd_job j;
	struct jd_counts c;
	struct jd_error e;
	struct jw w;

	if (!check(q, core_check_job_id, "jobId", id))
		return;
	jd_error_init(&e);
	if (svc_job_describe(q->a->svc, id, &j, &c, &e) != 0) {
		admin_fail_err(q, &e);
		jd_error_clear(&e);
		return;
	}
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "job");
	admin_dash_job_json(&w, &j, &c);
	jw_kstr_opt(&w, "reasonCode", j.reason_code);
	jw_kstr_opt(&w, "comment", j.comment);
	jw_kstr_opt(&w, "jobTemplateArn", j.template_arn);
	jw_kstr_opt(&w, "documentSource", j.document_source);
	jw_kstr_opt(&w, "document", j.document);
	jw_kraw_opt(&w, "targets", j.targets);
	jw_kraw_opt(&w, "configuration", j.config);
	policy_view(&w, &j, &c);
	jw_kint(&w, "now", svc_now(q->a->svc));
	jw_obj_end(&w);
	jd_job_release(&j);
	jd_error_clear(&e);
}

/* ---- GET /api/jobs/{jobId}/executions ------------------------------------- */

static int
exec_row(void *arg, const struct jd_exec *x)
{
	struct rows *r = arg;

	exec_obj(r->w, x, false);
	jd_strlcpy(r->last_thing, x->thing_name, sizeof(r->last_thing));
	r->last_number = x->number;
	r->last_seq = x->seq;
	return 0;
}

void
admin_h_dash_execs(struct admin_req *q)
{
	const char *id = q->label[0], *thing = admin_query(q, "thing"),
	           *next = admin_query(q, "next");
	int st = exec_status_arg(q), limit = page_limit(q);
	char after[JD_THING_NAME_MAX + 1] = "";
	int64_t after_n = 0;
	struct jd_error e;
	struct jw w;
	struct rows r = {.w = &w};
	bool more = false;
	char tok[JD_THING_NAME_MAX + 32];
	int rc;

	if (st == -2 || limit < 0 || !check(q, core_check_job_id, "jobId", id))
		return;
	if (thing != NULL && thing[0] != '\0' && !check(q, core_check_thing_name, "thing", thing))
		return;
	if (next != NULL && next[0] != '\0') {
		/* "NUMBER:THING" (a thing name may hold ':', a number not) */
		const char *colon = strchr(next, ':');
		char num[24];
		if (colon == NULL || colon == next || (size_t)(colon - next) >= sizeof(num) ||
		    strlen(colon + 1) > JD_THING_NAME_MAX) {
			admin_fail(q, 400, "next is not a token this listener gave");
			return;
		}
		memcpy(num, next, (size_t)(colon - next));
		num[colon - next] = '\0';
		if (core_parse_u63(num, &after_n) != 0) {
			admin_fail(q, 400, "next is not a token this listener gave");
			return;
		}
		jd_strlcpy(after, colon + 1, sizeof(after));
	}
	jd_error_init(&e);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "executions");
	jw_arr_begin(&w);
	if (thing != NULL && thing[0] != '\0') {
		/* one thing: its executions of this job (a few), newest first */
		struct jd_exec_filter f = {.status = st, .job_id = id};
		struct jd_job j;
		struct jd_counts c;
		rc = svc_job_describe(q->a->svc, id, &j, &c, &e);
		jd_job_release(&j);
		if (rc == 0)
			rc = svc_exec_list_thing(q->a->svc, thing, &f, 0, DASH_PAGE_MAX, exec_row,
			    &r, &more, &e);
		more = false;
	} else {
		rc = svc_exec_list_job(q->a->svc, id, st, after, after_n, limit, false, exec_row,
		    &r, &more, &e);
	}
	snprintf(tok, sizeof(tok), "%lld:%s", (long long)r.last_number, r.last_thing);
	page_end(q, &w, &e, rc, more, tok);
}

/* GET /api/jobs/{jobId}/executions/{thing}/{number} */
void
admin_h_dash_exec(struct admin_req *q)
{
	const char *id = q->label[0], *thing = q->label[1];
	int64_t n;
	struct jd_exec x;
	struct jd_error e;
	struct jw w;

	if (!check(q, core_check_job_id, "jobId", id) ||
	    !check(q, core_check_thing_name, "thingName", thing))
		return;
	if (core_parse_u63(q->label[2], &n) != 0) {
		admin_fail(q, 400, "executionNumber must be a number");
		return;
	}
	jd_error_init(&e);
	memset(&x, 0, sizeof(x));
	if (svc_exec_describe(q->a->svc, id, thing, n, &x, &e) != 0) {
		admin_fail_err(q, &e);
		jd_error_clear(&e);
		return;
	}
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "execution");
	exec_obj(&w, &x, true);
	jw_obj_end(&w);
	jd_exec_release(&x);
	jd_error_clear(&e);
}

/* ---- GET /api/things/{thingName} ------------------------------------------- */

void
admin_h_dash_thing(struct admin_req *q)
{
	const char *name = q->label[0];
	struct jd_exec_filter f = {.status = exec_status_arg(q)};
	int limit = page_limit(q);
	int64_t before = 0;
	char tok[24];
	struct jd_thing t;
	struct jd_error e;
	struct jw w;
	struct rows r = {.w = &w};
	bool more = false, found;
	int rc;

	if (f.status == -2 || limit < 0 || !check(q, core_check_thing_name, "thingName", name) ||
	    !seq_cursor(q, &before))
		return;
	jd_error_init(&e);
	memset(&t, 0, sizeof(t));
	rc = svc_thing_describe(q->a->svc, name, &t, &e);
	found = rc == 0;
	if (rc != 0 && e.code != JD_ENOTFOUND) {
		admin_fail_err(q, &e);
		jd_error_clear(&e);
		return;
	}
	jd_error_clear(&e);
	jd_error_init(&e);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "thing");
	if (found) {
		jw_obj_begin(&w);
		jw_kstr(&w, "thingName", t.name);
		jw_kstr_opt(&w, "thingTypeName", t.type_name);
		jw_kraw_opt(&w, "attributes", t.attributes);
		jw_kint(&w, "version", t.version);
		kms(&w, "createdAt", t.created_ms);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jd_thing_release(&t);
	jw_key(&w, "executions");
	jw_arr_begin(&w);
	rc = svc_exec_list_thing(q->a->svc, name, &f, before, limit, exec_row, &r, &more, &e);
	snprintf(tok, sizeof(tok), "%lld", (long long)r.last_seq);
	page_end(q, &w, &e, rc, more, tok);
}

/* ---- actions ------------------------------------------------------------------ */

/* The body as a JSON object (NULL when empty), or false with q failed. */
static bool
body_obj(struct admin_req *q, json_t **out)
{
	json_error_t je;

	*out = NULL;
	if (q->body.len == 0)
		return true;
	*out = json_loadb(q->body.p, q->body.len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL || !json_is_object(*out)) {
		admin_fail(q, 400, "The body must be a JSON object");
		json_decref(*out);
		*out = NULL;
		return false;
	}
	return true;
}

static bool
body_force(struct admin_req *q, json_t *b, bool *force)
{
	json_t *v = json_object_get(b, "force");
	const char *qs = admin_query(q, "force");

	*force = false;
	if (qs != NULL && core_parse_bool(qs, force) != 0) {
		admin_fail(q, 400, "force must be true or false");
		return false;
	}
	if (v != NULL) {
		if (!json_is_boolean(v)) {
			admin_fail(q, 400, "force must be a boolean");
			return false;
		}
		*force = json_is_true(v);
	}
	return true;
}

/* POST /api/jobs/{jobId}/cancel {"force", "reasonCode", "comment"} */
void
admin_h_dash_job_cancel(struct admin_req *q)
{
	const char *id = q->label[0], *reason = NULL, *comment = NULL;
	json_t *b = NULL;
	bool force;
	struct jd_job j;
	struct jd_error e;
	struct jw w;

	if (!check(q, core_check_job_id, "jobId", id) || !body_obj(q, &b))
		return;
	if (!body_force(q, b, &force))
		goto out;
	reason = json_string_value(json_object_get(b, "reasonCode"));
	comment = json_string_value(json_object_get(b, "comment"));
	if (reason != NULL && reason[0] != '\0' &&
	    !check(q, core_check_reason_code, "reasonCode", reason))
		goto out;
	if (comment != NULL && comment[0] != '\0' && !check(q, check_comment, "comment", comment))
		goto out;
	jd_error_init(&e);
	memset(&j, 0, sizeof(j));
	if (svc_job_cancel(q->a->svc, id, force, reason != NULL && reason[0] ? reason : NULL,
	        comment != NULL && comment[0] ? comment : NULL, &j, &e) != 0) {
		admin_fail_err(q, &e);
	} else {
		jw_init(&w, &q->out);
		jw_obj_begin(&w);
		jw_kstr(&w, "jobId", j.job_id);
		jw_kstr(&w, "status", core_job_status_name(j.status));
		jw_kbool(&w, "forceCanceled", j.force_canceled);
		jw_obj_end(&w);
	}
	jd_job_release(&j);
	jd_error_clear(&e);
out:
	json_decref(b);
}

/* POST /api/jobs/{jobId}/executions/{thing}/cancel {"force"} */
void
admin_h_dash_exec_cancel(struct admin_req *q)
{
	const char *id = q->label[0], *thing = q->label[1];
	json_t *b = NULL;
	bool force;
	struct jd_error e;

	if (!check(q, core_check_job_id, "jobId", id) ||
	    !check(q, core_check_thing_name, "thingName", thing) || !body_obj(q, &b))
		return;
	if (body_force(q, b, &force)) {
		jd_error_init(&e);
		if (svc_exec_cancel(q->a->svc, id, thing, force, -1, NULL, &e) != 0)
			admin_fail_err(q, &e);
		else
			buf_puts(&q->out, "{\"canceled\":true}");
		jd_error_clear(&e);
	}
	json_decref(b);
}

/* DELETE /api/jobs/{jobId}/executions/{thing}/{number}?force=true */
void
admin_h_dash_exec_delete(struct admin_req *q)
{
	const char *id = q->label[0], *thing = q->label[1];
	int64_t n;
	bool force;
	struct jd_error e;

	if (!check(q, core_check_job_id, "jobId", id) ||
	    !check(q, core_check_thing_name, "thingName", thing))
		return;
	if (core_parse_u63(q->label[2], &n) != 0) {
		admin_fail(q, 400, "executionNumber must be a number");
		return;
	}
	if (!body_force(q, NULL, &force))
		return;
	jd_error_init(&e);
	if (svc_exec_delete(q->a->svc, id, thing, n, force, &e) != 0)
		admin_fail_err(q, &e);
	else
		buf_puts(&q->out, "{\"deleted\":true}");
	jd_error_clear(&e);
}

/* GET /api/features: every route of the admin listener as "METHOD path", so
 * the page offers the extensions this jobsd serves (pause, timeline, plan)
 * and never asks for one that is not there. */
void
admin_h_features(struct admin_req *q)
{
	static const char *const names[] = {"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"};
	struct jw w;
	char r[256];

	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_key(&w, "routes");
	jw_arr_begin(&w);
	for (int i = 0; i < admin_nroutes; i++) {
		int m = (int)admin_routes[i].method;
		snprintf(r, sizeof(r), "%s %s", m >= 0 && m < 6 ? names[m] : "OTHER",
		    admin_routes[i].path);
		jw_str(&w, r);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
}
