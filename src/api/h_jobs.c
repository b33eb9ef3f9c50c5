/*
 * h_jobs.c: REST handlers of jobs (spec §4.1). The job configuration members
 * (rollout, abort, timeout, retry, scheduling, presigned URL, tags, package
 * versions) are validated against the model's constraints here and stored as
 * one JSON object, returned verbatim by DescribeJob.
 */
#include "api/api_int.h"

#include "core/cron.h"
#include "core/managed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
api_check_description(const char *member, const char *s, struct jd_error *e)
{
	return core_check_text(member, s, 1, JD_DESCRIPTION_MAX, e);
}

static int
check_comment(const char *member, const char *s, struct jd_error *e)
{
	return core_check_text(member, s, 1, JD_COMMENT_MAX, e);
}

int
api_vfail(struct api_req *r, const char *path, const char *what)
{
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", path,
	    what);
}

static int
need_obj(struct api_req *r, json_t *v, const char *path)
{
	return json_is_object(v) ? 0 : api_vfail(r, path, "Member must be a structure");
}

static int
req_long(struct api_req *r, json_t *o, const char *k, const char *path, int64_t min, int64_t max,
    bool required)
{
	bool present = false;
	int64_t v;

	if (api_body_long(r, o, k, path, min, max, &v, &present) != 0)
		return JD_EINVAL;
	if (required && !present)
		return api_vfail(r, path, "Member must not be null");
	return 0;
}

static int
req_double(struct api_req *r, json_t *o, const char *k, const char *path, double min, double max,
    bool required)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return required ? api_vfail(r, path, "Member must not be null") : 0;
	if (!json_is_number(v))
		return api_vfail(r, path, "Member must be a number");
	double d = json_number_value(v);
	if (!isfinite(d) || d < min || d > max) {
		char what[128];
		snprintf(what, sizeof(what), "Member must have value between %g and %g", min, max);
		return api_vfail(r, path, what);
	}
	return 0;
}

static int
req_enum(struct api_req *r, json_t *o, const char *k, const char *path, const char *const *vals,
    bool required)
{
	const char *s = NULL;

	if (api_body_str(r, o, k, path, &s) != 0)
		return JD_EINVAL;
	if (s == NULL)
		return required ? api_vfail(r, path, "Member must not be null") : 0;
	for (int i = 0; vals[i]; i++)
		if (strcmp(s, vals[i]) == 0)
			return 0;
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value '%.64s' at '%s' failed to satisfy constraint: "
	    "Member must satisfy enum value set",
	    s, path);
}

static int
req_text(struct api_req *r, json_t *o, const char *k, const char *path, size_t min, size_t max,
    bool required)
{
	const char *s = NULL;

	if (api_body_str(r, o, k, path, &s) != 0)
		return JD_EINVAL;
	if (s == NULL)
		return required ? api_vfail(r, path, "Member must not be null") : 0;
	if (core_check_text(path, s, min, max, &r->err) != 0) {
		r->failed = true;
		return JD_EINVAL;
	}
	return 0;
}

static int
check_presigned(struct api_req *r, json_t *v)
{
	if (need_obj(r, v, "presignedUrlConfig"))
		return JD_EINVAL;
	return req_text(r, v, "roleArn", "presignedUrlConfig.roleArn", 20, 2048, false) ||
	    req_long(r, v, "expiresInSec", "presignedUrlConfig.expiresInSec", 60, 3600, false);
}

static int
check_rollout(struct api_req *r, json_t *v)
{
	json_t *e;

	if (need_obj(r, v, "jobExecutionsRolloutConfig") ||
	    req_long(r, v, "maximumPerMinute", "jobExecutionsRolloutConfig.maximumPerMinute", 1,
	        1000, false))
		return JD_EINVAL;
	e = json_object_get(v, "exponentialRate");
	if (e == NULL || json_is_null(e))
		return 0;
	if (need_obj(r, e, "jobExecutionsRolloutConfig.exponentialRate") ||
	    req_long(r, e, "baseRatePerMinute",
	        "jobExecutionsRolloutConfig.exponentialRate.baseRatePerMinute", 1, 1000, true) ||
	    req_double(r, e, "incrementFactor",
	        "jobExecutionsRolloutConfig.exponentialRate.incrementFactor", 1.1, 5.0, true))
		return JD_EINVAL;
	json_t *c = json_object_get(e, "rateIncreaseCriteria");
	const char *cp = "jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria";
	if (c == NULL || json_is_null(c))
		return api_vfail(r, cp, "Member must not be null");
	if (need_obj(r, c, cp) ||
	    req_long(r, c, "numberOfNotifiedThings", cp, 1, INT32_MAX, false) ||
	    req_long(r, c, "numberOfSucceededThings", cp, 1, INT32_MAX, false))
		return JD_EINVAL;
	bool a = json_object_get(c, "numberOfNotifiedThings") != NULL;
	bool b = json_object_get(c, "numberOfSucceededThings") != NULL;
	if (a == b)
		return api_fail(r, JD_EINVAL,
		    "rateIncreaseCriteria must set exactly one of "
		    "numberOfNotifiedThings and numberOfSucceededThings");
	return 0;
}

static int
check_list(struct api_req *r, json_t *v, const char *path, size_t min, size_t max)
{
	char what[96];

	if (!json_is_array(v))
		return api_vfail(r, path, "Member must be a list");
	if (json_array_size(v) < min || json_array_size(v) > max) {
		snprintf(what, sizeof(what), "Member must have length between %zu and %zu", min,
		    max);
		return api_vfail(r, path, what);
	}
	return 0;
}

static int
check_abort(struct api_req *r, json_t *v)
{
	static const char *const types[] = {"FAILED", "REJECTED", "TIMED_OUT", "ALL", NULL};
	static const char *const actions[] = {"CANCEL", NULL};
	json_t *l, *c;
	size_t i;

	if (need_obj(r, v, "abortConfig"))
		return JD_EINVAL;
	l = json_object_get(v, "criteriaList");
	if (l == NULL)
		return api_vfail(r, "abortConfig.criteriaList", "Member must not be null");
	if (check_list(r, l, "abortConfig.criteriaList", 1, 100))
		return JD_EINVAL;
	json_array_foreach(l, i, c)
	{
		if (need_obj(r, c, "abortConfig.criteriaList.member") ||
		    req_enum(r, c, "failureType", "abortConfig.criteriaList.member.failureType",
		        types, true) ||
		    req_enum(r, c, "action", "abortConfig.criteriaList.member.action", actions,
		        true) ||
		    req_double(r, c, "thresholdPercentage",
		        "abortConfig.criteriaList.member.thresholdPercentage", 0, 100, true) ||
		    req_long(r, c, "minNumberOfExecutedThings",
		        "abortConfig.criteriaList.member.minNumberOfExecutedThings", 1, INT32_MAX,
		        true))
			return JD_EINVAL;
	}
	return 0;
}

static int
check_timeout(struct api_req *r, json_t *v, int64_t *minutes)
{
	if (need_obj(r, v, "timeoutConfig"))
		return JD_EINVAL;
	return api_body_long(r, v, "inProgressTimeoutInMinutes",
	    "timeoutConfig.inProgressTimeoutInMinutes", 1, JD_TIMEOUT_MINUTES_MAX, minutes, NULL);
}

static int
check_retry(struct api_req *r, json_t *v)
{
	static const char *const types[] = {"FAILED", "TIMED_OUT", "ALL", NULL};
	json_t *l, *c;
	size_t i;
	int64_t total = 0;

	if (need_obj(r, v, "jobExecutionsRetryConfig"))
		return JD_EINVAL;
	l = json_object_get(v, "criteriaList");
	if (l == NULL)
		return api_vfail(r, "jobExecutionsRetryConfig.criteriaList",
		    "Member must not be null");
	if (check_list(r, l, "jobExecutionsRetryConfig.criteriaList", 1, 2))
		return JD_EINVAL;
	json_array_foreach(l, i, c)
	{
		if (need_obj(r, c, "jobExecutionsRetryConfig.criteriaList.member") ||
		    req_enum(r, c, "failureType",
		        "jobExecutionsRetryConfig.criteriaList.member.failureType", types, true) ||
		    req_long(r, c, "numberOfRetries",
		        "jobExecutionsRetryConfig.criteriaList.member.numberOfRetries", 0, 10,
		        true))
			return JD_EINVAL;
		total += json_integer_value(json_object_get(c, "numberOfRetries"));
	}
	if (total > 10)
		return api_fail(r, JD_EINVAL,
		    "At most 10 retries are allowed across all failure types");
	return 0;
}

static int
check_windows(struct api_req *r, json_t *l, const char *path)
{
	json_t *c;
	size_t i;

	if (check_list(r, l, path, 0, 100))
		return JD_EINVAL;
	json_array_foreach(l, i, c)
	{
		struct jd_cron cron;
		char why[128];
		const char *st;
		if (need_obj(r, c, path) ||
		    req_text(r, c, "startTime", path, 1, JD_CRON_TEXT_MAX, true) ||
		    req_long(r, c, "durationInMinutes", path, JD_WINDOW_MINUTES_MIN,
		        JD_WINDOW_MINUTES_MAX, true))
			return JD_EINVAL;
		st = json_string_value(json_object_get(c, "startTime"));
		if (core_cron_parse(st, &cron, why, sizeof(why)) != 0)
			return api_fail(r, JD_EINVAL,
			    "Invalid cron expression for maintenance window startTime: %s (%s)", st,
			    why);
		if (core_cron_next(&cron, svc_now(r->api->svc)) < 0)
			return api_fail(r, JD_EINVAL,
			    "Invalid cron expression for maintenance window startTime: %s (it has no "
			    "future occurrence)",
			    st);
	}
	return 0;
}

static int
check_scheduling(struct api_req *r, json_t *v, int64_t *start_ms)
{
	const char *st = NULL, *et = NULL;
	int64_t end_ms = 0;

	static const char *const behav[] = {"STOP_ROLLOUT", "CANCEL", "FORCE_CANCEL", NULL};
	json_t *w;

	if (need_obj(r, v, "schedulingConfig") ||
	    req_text(r, v, "startTime", "schedulingConfig.startTime", 1, 64, false) ||
	    req_text(r, v, "endTime", "schedulingConfig.endTime", 1, 64, false) ||
	    req_enum(r, v, "endBehavior", "schedulingConfig.endBehavior", behav, false))
		return JD_EINVAL;
	w = json_object_get(v, "maintenanceWindows");
	if (w != NULL && !json_is_null(w) &&
	    check_windows(r, w, "schedulingConfig.maintenanceWindows"))
		return JD_EINVAL;
	api_body_str(r, v, "startTime", NULL, &st);
	api_body_str(r, v, "endTime", NULL, &et);
	if (core_check_schedule(st, et, svc_now(r->api->svc), start_ms, &end_ms, &r->err) != 0) {
		r->failed = true;
		return JD_EINVAL;
	}
	return 0;
}

static int
check_tags(struct api_req *r, json_t *v)
{
	json_t *t;
	size_t i;

	if (check_list(r, v, "tags", 0, JD_TAGS_MAX))
		return JD_EINVAL;
	json_array_foreach(v, i, t)
	{
		const char *k = NULL, *val = NULL;
		if (need_obj(r, t, "tags.member") ||
		    api_body_str(r, t, "Key", "tags.member.Key", &k) ||
		    api_body_str(r, t, "Value", "tags.member.Value", &val))
			return JD_EINVAL;
		if (k == NULL)
			return api_vfail(r, "tags.member.Key", "Member must not be null");
		if (api_check(r, core_check_tag_key, "tags.member.Key", k) ||
		    (val && api_check(r, core_check_tag_value, "tags.member.Value", val)))
			return JD_EINVAL;
	}
	return 0;
}

static int
check_packages(struct api_req *r, json_t *v)
{
	json_t *a;
	size_t i;

	if (check_list(r, v, "destinationPackageVersions", 0, 25))
		return JD_EINVAL;
	json_array_foreach(v, i, a)
	{
		if (!json_is_string(a))
			return api_vfail(r, "destinationPackageVersions.member",
			    "Member must be a string");
		if (core_check_arn("destinationPackageVersions.member", json_string_value(a), 1,
		        1600, &r->err)) {
			r->failed = true;
			return JD_EINVAL;
		}
	}
	return 0;
}

/*
 * Validate the configuration members present in the body and collect them
 * into *config (compact JSON object, owned): CreateJob's, UpdateJob's or
 * CreateJobTemplate's set of members.
 */
int
api_job_config(struct api_req *r, enum api_cfg_mode mode, char **config, int64_t *timeout_min,
    int64_t *start_ms)
{
	json_t *out = json_object();
	json_t *v;
	int rc = 0;

	*config = NULL;
#define MEMBER(name, check)                                                                \
	if (rc == 0 && (v = json_object_get(r->json, name)) != NULL && !json_is_null(v)) { \
		rc = (check);                                                              \
		if (rc == 0)                                                               \
			json_object_set(out, name, v);                                     \
	}
	MEMBER("presignedUrlConfig", check_presigned(r, v))
	MEMBER("jobExecutionsRolloutConfig", check_rollout(r, v))
	MEMBER("abortConfig", check_abort(r, v))
	MEMBER("timeoutConfig", check_timeout(r, v, timeout_min))
	MEMBER("jobExecutionsRetryConfig", check_retry(r, v))
	if (mode == API_CFG_CREATE_JOB)
		MEMBER("schedulingConfig", check_scheduling(r, v, start_ms))
	if (mode == API_CFG_TEMPLATE)
		MEMBER("maintenanceWindows", check_windows(r, v, "maintenanceWindows"))
	if (mode != API_CFG_UPDATE_JOB) {
		MEMBER("destinationPackageVersions", check_packages(r, v))
		/* tags are validated; jobsd has no tagging APIs, so they are not kept */
		if (rc == 0 && (v = json_object_get(r->json, "tags")) != NULL && !json_is_null(v))
			rc = check_tags(r, v);
	}
#undef MEMBER
	if (rc == 0)
		*config = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return rc ? JD_EINVAL : 0;
}

static int
collect_targets(struct api_req *r, const char ***out, int *n)
{
	json_t *t = json_object_get(r->json, "targets");
	json_t *v;
	size_t i;
	char want[64]; /* ":iot:REGION:", the third and fourth fields of an ARN */
	int wn;

	if (t == NULL || json_is_null(t))
		return api_vfail(r, "targets", "Member must not be null");
	if (!json_is_array(t))
		return api_vfail(r, "targets", "Member must be a list");
	if (json_array_size(t) < 1)
		return api_vfail(r, "targets",
		    "Member must have length greater than or equal to 1");
	if (json_array_size(t) > JD_TARGETS_MAX)
		return api_vfail(r, "targets", "Member must have length less than or equal to 100");
	wn = snprintf(want, sizeof(want), ":iot:%s:", r->region);
	if (wn < 0)
		wn = 0;
	*out = jd_calloc(json_array_size(t), sizeof(char *));
	*n = 0;
	json_array_foreach(t, i, v)
	{
		const char *a = json_string_value(v), *p;
		size_t len = json_string_length(v);

		if (a == NULL)
			return api_vfail(r, "targets.member", "Member must be a string");
		if (len > JD_TARGET_ARN_MAX || len < 1 || memchr(a, '\0', len) != NULL)
			return api_vfail(r, "targets.member",
			    "Member must have length less than or equal to 2048");
		(*out)[(*n)++] = a;
		/* Targets must be in the caller's region (the account is checked by svc). */
		p = memchr(a, ':', len);
		p = p != NULL ? memchr(p + 1, ':', len - (size_t)(p + 1 - a)) : NULL;
		if (len > 4 && memcmp(a, "arn:", 4) == 0 && p != NULL &&
		    strncmp(p, want, (size_t)wn) != 0)
			return api_fail(r, JD_EINVAL, "Target %.200s is not in region %s", a,
			    r->region);
	}
	return 0;
}

static void
exists_arn(struct api_req *r, const char *job_id)
{
	if (r->err.code == JD_EEXISTS) {
		struct buf b = BUF_INIT;
		api_arn(&b, r, "job", job_id);
		jd_strlcpy(r->err.resource_arn, buf_cstr(&b), sizeof(r->err.resource_arn));
		buf_free(&b);
	}
}

static void
job_ref_response(struct api_req *r, const struct jd_job *j)
{
	struct jw w;

	api_json_begin(r, &w);
	jw_obj_begin(&w);
	api_karn(&w, r, "jobArn", "job", j->job_id);
	jw_kstr(&w, "jobId", j->job_id);
	jw_kstr_opt(&w, "description", j->description);
	jw_obj_end(&w);
}

/* documentParameters (a map of strings) substituted into managed template
 * t's document: *doc owned. */
static int
managed_document(struct api_req *r, const struct core_managed_template *t, json_t *params,
    char **doc)
{
	const char *keys[CORE_MANAGED_PARAMS_MAX + 1], *vals[CORE_MANAGED_PARAMS_MAX + 1];
	const char *key;
	json_t *v;
	int n = 0;

	if (params != NULL && !json_is_null(params) && !json_is_object(params))
		return api_vfail(r, "documentParameters", "Member must be a map");
	json_object_foreach(params, key, v)
	{
		const char *s = json_string_value(v);
		size_t kl = strlen(key);
		if (kl < 1 || kl > 128 ||
		    strspn(key,
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != kl)
			return api_vfail(r, "documentParameters",
			    "Map keys must satisfy constraint: [Member must have length less than or "
			    "equal to 128, Member must have length greater than or equal to 1, Member "
			    "must satisfy regular expression pattern: [a-zA-Z0-9_-]+]");
		if (s == NULL || s[0] == '\0' || strlen(s) > 30720)
			return api_vfail(r, "documentParameters",
			    "Map value must satisfy constraint: [Member must have length less than or "
			    "equal to 30720, Member must have length greater than or equal to 1]");
		for (const unsigned char *c = (const unsigned char *)s; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				return api_vfail(r, "documentParameters",
				    "Map value must satisfy constraint: [Member must satisfy regular "
				    "expression pattern: [^\\p{C}]+]");
		if (n == CORE_MANAGED_PARAMS_MAX + 1)
			return api_fail(r, JD_EINVAL,
			    "Too many documentParameters for managed job template %s", t->name);
		keys[n] = key;
		vals[n++] = s;
	}
	if (core_managed_render(t, keys, vals, n, doc, &r->err) != 0)
		return api_fail_err(r, r->err.code);
	return 0;
}

void
api_h_create_job(struct api_req *r)
{
	struct svc_job_input in = {0};
	const char *sel = NULL, **targets = NULL;
	const struct core_managed_template *managed = NULL;
	char *managed_doc = NULL;
	struct jd_tag *tags = NULL;
	struct jd_job j;
	char *config = NULL;
	json_t *params;
	int n = 0;

	memset(&j, 0, sizeof(j));
	in.job_id = r->label[0];
	in.selection = JD_SEL_SNAPSHOT;
	if (api_check(r, core_check_job_id, "jobId", in.job_id) ||
	    collect_targets(r, &targets, &n) ||
	    api_body_str(r, r->json, "document", NULL, &in.document) ||
	    api_body_str(r, r->json, "documentSource", NULL, &in.document_source) ||
	    api_body_str(r, r->json, "description", NULL, &in.description) ||
	    api_body_str(r, r->json, "targetSelection", NULL, &sel) ||
	    api_body_str(r, r->json, "namespaceId", NULL, &in.namespace_id) ||
	    api_body_str(r, r->json, "jobTemplateArn", NULL, &in.template_arn))
		goto out;
	if (sel != NULL && core_target_selection_parse(sel, &in.selection) != 0) {
		api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at 'targetSelection' "
		    "failed to satisfy constraint: Member must satisfy enum value set: [CONTINUOUS, SNAPSHOT]",
		    sel);
		goto out;
	}
	if ((in.description &&
	        api_check(r, api_check_description, "description", in.description)) ||
	    (in.namespace_id &&
	        api_check(r, core_check_namespace_id, "namespaceId", in.namespace_id)))
		goto out;
	if (in.document_source &&
	    (strlen(in.document_source) < 1 ||
	        strlen(in.document_source) > JD_DOCUMENT_SOURCE_MAX)) {
		api_vfail(r, "documentSource", "Member must have length between 1 and 1350");
		goto out;
	}
	if (in.template_arn &&
	    core_check_arn("jobTemplateArn", in.template_arn, 1, 1600, &r->err)) {
		r->failed = true;
		goto out;
	}
	params = json_object_get(r->json, "documentParameters");
	if (in.template_arn != NULL &&
	    core_managed_from_arn(in.template_arn, &managed, &r->err) != 1) {
		if (managed == NULL) { /* the managed ARN form, no such template */
			api_fail_err(r, r->err.code);
			goto out;
		}
		if (in.document != NULL || in.document_source != NULL) {
			api_fail(r, JD_EINVAL,
			    "document and documentSource cannot be used with a managed job template");
			goto out;
		}
		if (managed_document(r, managed, params, &managed_doc))
			goto out;
		in.document = managed_doc;
		if (in.description == NULL)
			in.description = managed->description;
	} else if (params != NULL && !json_is_null(params)) {
		api_fail(r, JD_EINVAL,
		    "documentParameters can only be used with an AWS managed job template");
		goto out;
	}
	if (in.document != NULL && in.document_source != NULL) {
		api_fail(r, JD_EINVAL, "Specify only one of document and documentSource");
		goto out;
	}
	if (in.document == NULL && in.document_source == NULL && in.template_arn == NULL) {
		api_fail(r, JD_EINVAL,
		    "A job document is required: specify document or jobTemplateArn");
		goto out;
	}
	if (in.document != NULL) {
		json_error_t je;
		json_t *doc;
		if (strlen(in.document) > JD_DOCUMENT_MAX) {
			api_vfail(r, "document",
			    "Member must have length less than or equal to 32768");
			goto out;
		}
		doc = json_loads(in.document, 0, &je);
		if (!json_is_object(doc)) {
			json_decref(doc);
			api_fail(r, JD_EINVAL, "The job document must be a JSON object%s%s",
			    doc == NULL ? ": " : "", doc == NULL ? je.text : "");
			goto out;
		}
		json_decref(doc);
	}
	if (api_job_config(r, API_CFG_CREATE_JOB, &config, &in.inprogress_timeout_min,
	        &in.start_ms) ||
	    api_body_tags(r, r->json, false, &tags, &in.n_tags))
		goto out;
	in.tags = tags;
	in.targets = targets;
	in.n_targets = n;
	in.config = config;
	if (svc_job_create(r->api->svc, &in, &j, &r->err) != 0) {
		exists_arn(r, in.job_id);
		api_fail_err(r, r->err.code);
		goto out;
	}
	job_ref_response(r, &j);
out:
	free(managed_doc);
	free(tags);
	free(targets);
	free(config);
	jd_job_release(&j);
}

void
api_h_describe_job(struct api_req *r)
{
	struct shape_opts shape = api_shape(r);
	struct jd_counts c;
	struct jd_job j;
	bool before = false;
	struct jw w;

	memset(&j, 0, sizeof(j));
	if (api_check(r, core_check_job_id, "jobId", r->label[0]) ||
	    api_query_bool(r, "beforeSubstitution", &before))
		return;
	if (svc_job_describe(r->api->svc, r->label[0], &j, &c, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr_opt(&w, "documentSource", j.document_source);
	jw_key(&w, "job");
	shape_job(&w, &shape, &j, &c);
	jw_obj_end(&w);
	jd_job_release(&j);
}

struct job_list_ctx {
	struct jw *w;
	struct shape_opts shape;
	int64_t last;
};

static int
job_row(void *arg, const struct jd_job *j)
{
	struct job_list_ctx *c = arg;

	shape_job_summary(c->w, &c->shape, j);
	c->last = j->seq;
	return 0;
}

static int
group_by_id(void *arg, const struct jd_group *g)
{
	char **want = arg;

	if (strcmp(g->id, want[0]) == 0) {
		jd_strlcpy(want[1], g->name, JD_GROUP_NAME_MAX + 1);
		return 1;
	}
	return 0;
}

void
api_h_list_jobs(struct api_req *r)
{
	struct jd_job_filter f = {-1, -1, NULL, NULL};
	struct api_cursor cur = {0};
	const char *gid = api_query(r, "thingGroupId");
	struct job_list_ctx c = {0};
	char gname[JD_GROUP_NAME_MAX + 1] = "";
	bool more = false;
	int limit;
	struct jw w;

	if (api_page(r, &limit) || api_query_enum(r, "status", core_job_status_parse, &f.status) ||
	    api_query_enum(r, "targetSelection", core_target_selection_parse, &f.selection))
		return;
	f.namespace_id = api_query(r, "namespaceId");
	f.group_name = api_query(r, "thingGroupName");
	if ((f.namespace_id &&
	        api_check(r, core_check_namespace_id, "namespaceId", f.namespace_id)) ||
	    (f.group_name && api_check(r, core_check_thing_name, "thingGroupName", f.group_name)))
		return;
	if (gid != NULL) {
		struct jd_group_filter gf = {NULL, true, NULL};
		char *want[2] = {(char *)gid, gname};
		bool gm = false;
		if (strlen(gid) < 1 || strlen(gid) > 128 ||
		    strspn(gid,
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
		        strlen(gid)) {
			api_vfail(r, "thingGroupId",
			    "Member must satisfy regular expression pattern: [a-zA-Z0-9\\-]+");
			return;
		}
		if (svc_group_list(r->api->svc, &gf, "", 1000000, group_by_id, want, &gm,
		        &r->err) != 0) {
			api_fail_err(r, r->err.code);
			return;
		}
		if (gname[0] == '\0')
			jd_strlcpy(gname, "\001", sizeof(gname)); /* matches no group */
		f.group_name = gname;
	}
	if (api_list_begin(r, API_CURSOR_JOBS, &cur, &w, "jobs"))
		return;
	c.w = &w;
	c.shape = api_shape(r);
	if (svc_job_list(r->api->svc, &f, cur.num, limit, job_row, &c, &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_JOBS, "", c.last);
}

void
api_h_update_job(struct api_req *r)
{
	const char *desc = NULL, *ns = api_query(r, "namespaceId");
	int64_t timeout = -1;
	char *config = NULL;

	if (api_check(r, core_check_job_id, "jobId", r->label[0]) ||
	    (ns && api_check(r, core_check_namespace_id, "namespaceId", ns)) ||
	    api_body_str(r, r->json, "description", NULL, &desc) ||
	    (desc && api_check(r, api_check_description, "description", desc)) ||
	    api_job_config(r, API_CFG_UPDATE_JOB, &config, &timeout, NULL))
		goto out;
	if (svc_job_update(r->api->svc, r->label[0], desc, config, timeout, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	r->empty = true;
out:
	free(config);
}

void
api_h_cancel_job(struct api_req *r)
{
	const char *reason = NULL, *comment = NULL;
	struct jd_job j;
	bool force = false;

	memset(&j, 0, sizeof(j));
	if (api_check(r, core_check_job_id, "jobId", r->label[0]) ||
	    api_query_bool(r, "force", &force) ||
	    api_body_str(r, r->json, "reasonCode", NULL, &reason) ||
	    (reason && api_check(r, core_check_reason_code, "reasonCode", reason)) ||
	    api_body_str(r, r->json, "comment", NULL, &comment) ||
	    (comment && api_check(r, check_comment, "comment", comment)))
		return;
	if (svc_job_cancel(r->api->svc, r->label[0], force, reason, comment, &j, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	job_ref_response(r, &j);
	jd_job_release(&j);
}

void
api_h_delete_job(struct api_req *r)
{
	const char *ns = api_query(r, "namespaceId");
	bool force = false;

	if (api_check(r, core_check_job_id, "jobId", r->label[0]) ||
	    api_query_bool(r, "force", &force) ||
	    (ns && api_check(r, core_check_namespace_id, "namespaceId", ns)))
		return;
	if (svc_job_delete(r->api->svc, r->label[0], force, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

void
api_h_job_document(struct api_req *r)
{
	struct jd_counts c;
	struct jd_job j;
	bool before = false;
	struct jw w;

	memset(&j, 0, sizeof(j));
	if (api_check(r, core_check_job_id, "jobId", r->label[0]) ||
	    api_query_bool(r, "beforeSubstitution", &before))
		return;
	if (svc_job_describe(r->api->svc, r->label[0], &j, &c, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr(&w, "document", j.document ? j.document : "");
	jw_obj_end(&w);
	jd_job_release(&j);
}

void
api_h_associate(struct api_req *r)
{
	const char *comment = NULL, *ns = api_query(r, "namespaceId"), **targets = NULL;
	struct jd_job j;
	int n = 0;

	memset(&j, 0, sizeof(j));
	if (api_check(r, core_check_job_id, "jobId", r->label[0]) ||
	    (ns && api_check(r, core_check_namespace_id, "namespaceId", ns)) ||
	    collect_targets(r, &targets, &n) ||
	    api_body_str(r, r->json, "comment", NULL, &comment) ||
	    (comment && api_check(r, check_comment, "comment", comment)))
		goto out;
	if (svc_job_associate(r->api->svc, r->label[0], targets, n, &j, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	job_ref_response(r, &j);
out:
	free(targets);
	jd_job_release(&j);
}

/* collect_targets for the admin listener's what-if (admin_jobs.c). */
int
api_job_targets(struct api_req *r, const char ***out, int *n)
{
	return collect_targets(r, out, n);
}
