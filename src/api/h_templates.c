/*
 * h_templates.c: REST handlers of custom job templates (spec §4.3):
 * CreateJobTemplate (from a document, a documentSource or a job), Describe,
 * List and Delete. Their configuration members are validated by h_jobs.c's
 * api_job_config (API_CFG_TEMPLATE), the same checks as CreateJob's.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- job templates (spec §4.3) ------------------------------------------ */

static void
template_arn(struct api_req *r, struct jw *w, const char *id)
{
	api_karn(w, r, "jobTemplateArn", "jobtemplate", id);
}

void
api_h_create_template(struct api_req *r)
{
	const char *id = r->label[0], *desc = NULL, *doc = NULL, *src = NULL, *job_arn = NULL;
	char job_id[JD_JOB_ID_MAX + 1] = "";
	struct jd_tag *tags = NULL;
	struct jd_template t;
	char *config = NULL;
	int64_t timeout = 0;
	int n_tags = 0;
	struct jw w;

	memset(&t, 0, sizeof(t));
	if (api_check(r, core_check_template_id, "jobTemplateId", id) ||
	    api_body_str(r, r->json, "description", NULL, &desc) ||
	    api_body_str(r, r->json, "document", NULL, &doc) ||
	    api_body_str(r, r->json, "documentSource", NULL, &src) ||
	    api_body_str(r, r->json, "jobArn", NULL, &job_arn))
		goto out;
	if (desc == NULL) {
		api_vfail(r, "description", "Member must not be null");
		goto out;
	}
	if (api_check(r, api_check_description, "description", desc))
		goto out;
	if (src != NULL && (strlen(src) < 1 || strlen(src) > JD_DOCUMENT_SOURCE_MAX)) {
		api_vfail(r, "documentSource", "Member must have length between 1 and 1350");
		goto out;
	}
	if (src != NULL && (doc != NULL || job_arn != NULL)) {
		api_fail(r, JD_EINVAL, "Specify only one of document, documentSource and jobArn");
		goto out;
	}
	if (job_arn != NULL) {
		const char *slash = strstr(job_arn, ":job/");
		if (slash == NULL || core_check_job_id("jobArn", slash + 5, NULL) != 0) {
			api_fail(r, JD_EINVAL, "jobArn %.200s is not a job ARN", job_arn);
			goto out;
		}
		jd_strlcpy(job_id, slash + 5, sizeof(job_id));
	}
	if (doc != NULL && job_arn != NULL) {
		api_fail(r, JD_EINVAL, "Specify only one of document and jobArn");
		goto out;
	}
	if (doc == NULL && src == NULL && job_arn == NULL) {
		api_fail(r, JD_EINVAL,
		    "A job template needs a document, a documentSource or a jobArn");
		goto out;
	}
	if (doc != NULL) {
		json_t *d;
		if (strlen(doc) > JD_DOCUMENT_MAX) {
			api_vfail(r, "document",
			    "Member must have length less than or equal to 32768");
			goto out;
		}
		d = json_loads(doc, 0, NULL);
		if (!json_is_object(d)) {
			json_decref(d);
			api_fail(r, JD_EINVAL, "The job document must be a JSON object");
			goto out;
		}
		json_decref(d);
	}
	if (api_job_config(r, API_CFG_TEMPLATE, &config, &timeout, NULL) ||
	    api_body_tags(r, r->json, false, &tags, &n_tags))
		goto out;
	if (svc_template_create(r->api->svc, id, desc, doc, src, job_id[0] ? job_id : NULL, config,
	        tags, n_tags, &t, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	template_arn(r, &w, t.id);
	jw_kstr(&w, "jobTemplateId", t.id);
	jw_obj_end(&w);
out:
	free(tags);
	free(config);
	jd_template_release(&t);
}

void
api_h_describe_template(struct api_req *r)
{
	struct jd_template t;
	struct jw w;

	memset(&t, 0, sizeof(t));
	if (api_check(r, core_check_template_id, "jobTemplateId", r->label[0]))
		return;
	if (svc_template_describe(r->api->svc, r->label[0], &t, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	template_arn(r, &w, t.id);
	jw_kstr(&w, "jobTemplateId", t.id);
	jw_kstr_opt(&w, "description", t.description);
	jw_kstr_opt(&w, "documentSource", t.document_source);
	jw_kstr_opt(&w, "document", t.document);
	jw_ktime_opt(&w, "createdAt", t.created_ms);
	shape_members(&w, t.config);
	jw_obj_end(&w);
	jd_template_release(&t);
}

struct template_list_ctx {
	struct jw *w;
	struct api_req *r;
	char last[JD_JOB_ID_MAX + 1];
};

static int
template_row(void *arg, const struct jd_template *t)
{
	struct template_list_ctx *c = arg;

	jw_obj_begin(c->w);
	template_arn(c->r, c->w, t->id);
	jw_kstr(c->w, "jobTemplateId", t->id);
	jw_kstr_opt(c->w, "description", t->description);
	jw_ktime_opt(c->w, "createdAt", t->created_ms);
	jw_obj_end(c->w);
	jd_strlcpy(c->last, t->id, sizeof(c->last));
	return 0;
}

void
api_h_list_templates(struct api_req *r)
{
	struct api_cursor cur = {0};
	struct template_list_ctx c = {0};
	bool more = false;
	int limit;
	struct jw w;

	if (api_page(r, &limit))
		return;
	if (api_list_begin(r, API_CURSOR_TEMPLATES, &cur, &w, "jobTemplates"))
		return;
	c.w = &w;
	c.r = r;
	if (svc_template_list(r->api->svc, cur.key, limit, template_row, &c, &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_TEMPLATES, c.last, 0);
}

void
api_h_delete_template(struct api_req *r)
{
	if (api_check(r, core_check_template_id, "jobTemplateId", r->label[0]))
		return;
	if (svc_template_delete(r->api->svc, r->label[0], &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}
