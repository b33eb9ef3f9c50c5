/*
 * h_exec.c: REST handlers of job executions: control plane (spec §4.2) and
 * the device plane over HTTPS (spec §5), including DeleteJobExecution, the
 * seed operation (decisions D1 to D4).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

static int
exec_number_path(struct api_req *r, const char *s, int64_t *out)
{
	/* D2: a decimal 64-bit integer; anything else, overflow or negative: 400 */
	if (core_parse_u63(s, out) != 0)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at 'executionNumber' failed to satisfy "
		    "constraint: Member must be a non-negative 64-bit integer",
		    s);
	return 0;
}

void
api_h_describe_exec(struct api_req *r)
{
	struct shape_opts shape = api_shape(r);
	struct jd_exec x;
	int64_t number = 0;
	bool has = false;
	struct jw w;

	memset(&x, 0, sizeof(x));
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_check(r, core_check_job_id, "jobId", r->label[1]) ||
	    api_query_long(r, "executionNumber", 0, INT64_MAX, &number, &has))
		return;
	if (has && number == 0) {
		api_fail(r, JD_ENOTFOUND,
		    "Job execution %s/%s with execution number 0 does not exist", r->label[1],
		    r->label[0]);
		return;
	}
	if (svc_exec_describe(r->api->svc, r->label[1], r->label[0], number, &x, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_key(&w, "execution");
	shape_exec(&w, &shape, &x, svc_now(r->api->svc));
	jw_obj_end(&w);
	jd_exec_release(&x);
}

struct exec_list_ctx {
	struct jw *w;
	struct shape_opts shape;
	/* the page's last row: its cursor (not the whole row: a copy per row) */
	char last_thing[JD_THING_NAME_MAX + 1];
	int64_t last_number, last_seq;
};

static int
exec_job_row(void *arg, const struct jd_exec *x)
{
	struct exec_list_ctx *c = arg;

	jw_obj_begin(c->w);
	shape_karn(c->w, &c->shape, "thingArn", "thing", x->thing_name);
	jw_key(c->w, "jobExecutionSummary");
	shape_exec_summary(c->w, &c->shape, x);
	jw_obj_end(c->w);
	jd_strlcpy(c->last_thing, x->thing_name, sizeof(c->last_thing));
	c->last_number = x->number;
	return 0;
}

void
api_h_list_exec_job(struct api_req *r)
{
	struct api_cursor cur = {0};
	struct exec_list_ctx c;
	int status = -1, limit;
	bool more = false;
	struct jw w;

	memset(&c, 0, sizeof(c));
	if (api_check(r, core_check_job_id, "jobId", r->label[0]) || api_page(r, &limit) ||
	    api_query_enum(r, "status", core_exec_status_parse, &status))
		return;
	if (api_list_begin(r, API_CURSOR_JOB_EXECS, &cur, &w, "executionSummaries"))
		return;
	c.w = &w;
	c.shape = api_shape(r);
	if (svc_exec_list_job(r->api->svc, r->label[0], status, cur.key, cur.num, limit, true,
	        exec_job_row, &c, &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_JOB_EXECS, c.last_thing, c.last_number);
}

static int
exec_thing_row(void *arg, const struct jd_exec *x)
{
	struct exec_list_ctx *c = arg;

	jw_obj_begin(c->w);
	jw_kstr(c->w, "jobId", x->job_id);
	jw_key(c->w, "jobExecutionSummary");
	shape_exec_summary(c->w, &c->shape, x);
	jw_obj_end(c->w);
	c->last_seq = x->seq;
	return 0;
}

void
api_h_list_exec_thing(struct api_req *r)
{
	struct jd_exec_filter f = {-1, NULL, NULL};
	struct api_cursor cur = {0};
	struct exec_list_ctx c;
	bool more = false;
	int limit;
	struct jw w;

	memset(&c, 0, sizeof(c));
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) || api_page(r, &limit) ||
	    api_query_enum(r, "status", core_exec_status_parse, &f.status))
		return;
	f.job_id = api_query(r, "jobId");
	f.namespace_id = api_query(r, "namespaceId");
	if ((f.job_id && api_check(r, core_check_job_id, "jobId", f.job_id)) ||
	    (f.namespace_id &&
	        api_check(r, core_check_namespace_id, "namespaceId", f.namespace_id)))
		return;
	if (api_list_begin(r, API_CURSOR_THING_EXECS, &cur, &w, "executionSummaries"))
		return;
	c.w = &w;
	c.shape = api_shape(r);
	if (svc_exec_list_thing(r->api->svc, r->label[0], &f, cur.num, limit, exec_thing_row, &c,
	        &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_THING_EXECS, "", c.last_seq);
}

void
api_h_cancel_exec(struct api_req *r)
{
	int64_t ver = -1;
	bool force = false, has_ver = false;
	char *details = NULL;

	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_check(r, core_check_job_id, "jobId", r->label[1]) ||
	    api_query_bool(r, "force", &force) ||
	    api_body_long(r, r->json, "expectedVersion", NULL, 0, INT64_MAX, &ver, &has_ver) ||
	    api_body_details(r, r->json, "statusDetails", &details))
		goto out;
	if (svc_exec_cancel(r->api->svc, r->label[1], r->label[0], force, has_ver ? ver : -1,
	        details, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	r->empty = true;
out:
	free(details);
}

void
api_h_delete_exec(struct api_req *r)
{
	const char *ns = api_query(r, "namespaceId");
	int64_t number = 0;
	bool force = false;

	/* Validation order: path members, then query members (D2). */
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_check(r, core_check_job_id, "jobId", r->label[1]) ||
	    exec_number_path(r, r->label[2], &number) || api_query_bool(r, "force", &force) ||
	    (ns && api_check(r, core_check_namespace_id, "namespaceId", ns)))
		return;
	if (svc_exec_delete(r->api->svc, r->label[1], r->label[0], number, force, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

/* ---- device plane (iot-jobs-data) ------------------------------------------- */

struct pending_ctx {
	struct jw *w;
	int pass; /* 0: IN_PROGRESS, 1: QUEUED */
};

static int
pending_row(void *arg, const struct jd_exec *x)
{
	struct pending_ctx *c = arg;

	if ((c->pass == 0) == (x->status == JD_EXEC_IN_PROGRESS))
		shape_exec_data_summary(c->w, &shape_http_data, x);
	return 0;
}

void
api_h_dev_pending(struct api_req *r)
{
	struct pending_ctx c;
	struct jw w;

	if (api_check(r, core_check_thing_name, "thingName", r->label[0]))
		return;
	api_json_begin(r, &w);
	c.w = &w;
	jw_obj_begin(&w);
	jw_key(&w, "inProgressJobs");
	jw_arr_begin(&w);
	c.pass = 0;
	if (svc_dev_pending(r->api->svc, r->label[0], "", pending_row, &c, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	jw_arr_end(&w);
	jw_key(&w, "queuedJobs");
	jw_arr_begin(&w);
	c.pass = 1;
	if (svc_dev_pending(r->api->svc, r->label[0], "", pending_row, &c, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
}

static int
step_minutes(struct api_req *r, bool allow_clear, int64_t *out)
{
	json_t *v = json_object_get(r->json, "stepTimeoutInMinutes");

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value at 'stepTimeoutInMinutes' "
		    "failed to satisfy constraint: Member must be an integer");
	*out = json_integer_value(v);
	if (allow_clear && *out == -1)
		return 0;
	if (*out < 1 || *out > JD_TIMEOUT_MINUTES_MAX)
		return api_fail(r, JD_EINVAL, "stepTimeoutInMinutes must be between 1 and %d%s",
		    JD_TIMEOUT_MINUTES_MAX, allow_clear ? ", or -1 to cancel the step timer" : "");
	return 0;
}

void
api_h_dev_start_next(struct api_req *r)
{
	struct jd_exec x;
	char *details = NULL, *doc = NULL;
	int64_t step = 0;
	bool found = false;
	struct jw w;

	memset(&x, 0, sizeof(x));
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_body_details(r, r->json, "statusDetails", &details) ||
	    step_minutes(r, false, &step))
		goto out;
	if (svc_dev_start_next(r->api->svc, r->label[0], "", details, step, &x, &doc, &found,
	        &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	if (found) {
		jw_key(&w, "execution");
		shape_exec_data(&w, &shape_http_data, &x, doc, svc_now(r->api->svc));
	}
	jw_obj_end(&w);
out:
	free(details);
	free(doc);
	jd_exec_release(&x);
}

void
api_h_dev_describe(struct api_req *r)
{
	const char *job = r->label[1];
	struct jd_exec x;
	int64_t number = 0;
	bool include = true, found = false, has = false;
	char *doc = NULL;
	struct jw w;

	memset(&x, 0, sizeof(x));
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    (strcmp(job, "$next") != 0 && api_check(r, core_check_job_id, "jobId", job)) ||
	    api_query_bool(r, "includeJobDocument", &include) ||
	    api_query_long(r, "executionNumber", 0, INT64_MAX, &number, &has))
		return;
	if (has && number == 0) {
		api_fail(r, JD_ENOTFOUND,
		    "Job execution %s/%s with execution number 0 does not exist", job, r->label[0]);
		return;
	}
	if (svc_dev_describe(r->api->svc, r->label[0], job, "", number, &x, &doc, &found,
	        &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	if (found) {
		jw_key(&w, "execution");
		shape_exec_data(&w, &shape_http_data, &x, include ? doc : NULL,
		    svc_now(r->api->svc));
	}
	jw_obj_end(&w);
out:
	free(doc);
	jd_exec_release(&x);
}

void
api_h_dev_update(struct api_req *r)
{
	struct svc_update_input in = {0, NULL, 0, -1, 0};
	const char *status = NULL;
	bool inc_state = false, inc_doc = false, has_ver = false, has_num = false;
	struct jd_exec x;
	char *details = NULL, *doc = NULL;
	struct jw w;

	memset(&x, 0, sizeof(x));
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_check(r, core_check_job_id, "jobId", r->label[1]) ||
	    api_body_str(r, r->json, "status", NULL, &status))
		goto out;
	if (status == NULL) {
		api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value null at 'status' failed to "
		    "satisfy constraint: Member must not be null");
		goto out;
	}
	if (core_exec_status_parse(status, &in.status) != 0) {
		api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at 'status' failed to "
		    "satisfy constraint: Member must satisfy enum value set: [IN_PROGRESS, SUCCEEDED, "
		    "FAILED, REJECTED]",
		    status);
		goto out;
	}
	if (api_body_details(r, r->json, "statusDetails", &details) ||
	    step_minutes(r, true, &in.step_minutes) ||
	    api_body_long(r, r->json, "expectedVersion", NULL, 0, INT64_MAX, &in.expected_version,
	        &has_ver) ||
	    api_body_long(r, r->json, "executionNumber", NULL, 0, INT64_MAX, &in.number,
	        &has_num) ||
	    api_body_bool(r, r->json, "includeJobExecutionState", NULL, &inc_state) ||
	    api_body_bool(r, r->json, "includeJobDocument", NULL, &inc_doc))
		goto out;
	if (!has_ver)
		in.expected_version = -1;
	if (has_num && in.number == 0) { /* never allocated (D4): not "the latest" */
		api_fail(r, JD_ENOTFOUND,
		    "Job execution %s/%s with execution number 0 does not exist", r->label[1],
		    r->label[0]);
		goto out;
	}
	in.details = details;
	if (svc_dev_update(r->api->svc, r->label[0], r->label[1], &in, &x, &doc, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	if (inc_state) {
		jw_key(&w, "executionState");
		shape_exec_state(&w, x.status, x.details, x.version);
	}
	if (inc_doc)
		shape_kdoc(&w, &shape_http_data, doc);
	jw_obj_end(&w);
out:
	free(details);
	free(doc);
	jd_exec_release(&x);
}
