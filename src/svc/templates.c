/*
 * templates.c: custom job templates and their use by CreateJob
 * (jobTemplateArn): a job inherits the template's document and
 * configuration; members given in the request override them. The merged
 * configuration is decoded into the job's policy here, where it enters.
 * Calls only svc.c in svc/.
 */
#include "svc/templates_int.h"

#include <stdio.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "svc/policy_json.h"
#include "svc/tags_int.h"
#include "svc/s3doc_int.h"
#include "util/buf.h"

/* Configuration members a template carries over from a job. */
static const char *const template_members[] = {
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "destinationPackageVersions",
    NULL,
};

/* base (owned text or NULL) overridden by over (text or NULL); keep only `only` members if set. */
static char *
config_merge(const char *base, const char *over, const char *const *only)
{
	json_t *b = json_loads(base ? base : "{}", 0, NULL);
	json_t *o = json_loads(over ? over : "{}", 0, NULL);
	json_t *out = json_object();
	char *text;

	if (only != NULL) {
		for (int i = 0; only[i]; i++) {
			json_t *v = json_object_get(b, only[i]);
			if (v != NULL)
				json_object_set(out, only[i], v);
		}
	} else if (json_is_object(b)) {
		json_object_update(out, b);
	}
	if (json_is_object(o))
		json_object_update(out, o);
	text = json_dumps(out, JSON_COMPACT);
	json_decref(b);
	json_decref(o);
	json_decref(out);
	return text;
}

int
svc_template_create(struct svc *s, const char *id, const char *description, const char *document,
    const char *document_source, const char *job_id, const char *config, const struct jd_tag *tags,
    int n_tags, struct jd_template *out, struct jd_error *e)
{
	char res[SVC_TAG_RESOURCE_MAX];
	struct svc_tx w;
	struct jd_template t;
	struct jd_job j;
	char *fetched = NULL; /* documentSource's text, read before the transaction */
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&j, 0, sizeof(j));
	if ((document_source != NULL &&
	        (rc = svc__doc_fetch(s, document_source, &fetched, e)) != 0) ||
	    (rc = svc__presign_check(s, config, fetched ? fetched : document, e)) != 0 ||
	    (rc = svc__begin(s, &w, e)) != 0) {
		free(fetched);
		return rc;
	}
	rc = store_template_get(w.tx, id, &t);
	jd_template_release(&t);
	if (rc == 0) {
		free(fetched);
		svc__rollback(&w);
		jd_error_set(e, JD_ECONFLICT, "Job template %s already exists", id);
		jd_strlcpy(e->resource_id, id, sizeof(e->resource_id));
		return JD_ECONFLICT;
	}
	if (rc != JD_ENOTFOUND)
		goto store_fail;
	memset(&t, 0, sizeof(t));
	jd_strlcpy(t.id, id, sizeof(t.id));
	t.description = jd_strdup(description);
	t.document_source = jd_strdup(document_source);
	if (job_id != NULL) {
		rc = store_job_get(w.tx, job_id, &j);
		if (rc == JD_ENOTFOUND) {
			rc = jd_error_set(e, rc, "Job %s does not exist", job_id);
			goto fail;
		}
		if (rc != 0)
			goto store_fail;
		t.document = jd_strdup(j.document);
		t.config = config_merge(j.config, config, template_members);
		/* the job's own overrides: only what the request named is replaced */
	} else {
		t.document = fetched ? fetched : jd_strdup(document);
		fetched = NULL;
		t.config = jd_strdup(config ? config : "{}");
	}
	t.created_ms = w.now;
	if ((rc = store_template_insert(w.tx, &t)) != 0)
		goto store_fail;
	snprintf(res, sizeof(res), "jobtemplate/%s", id);
	if ((rc = svc__tags_set(&w, res, tags, n_tags, e)) != 0)
		goto fail;
	jd_job_release(&j);
	if ((rc = svc__commit(&w, e)) != 0) {
		jd_template_release(&t);
		return rc;
	}
	*out = t;
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	free(fetched);
	jd_job_release(&j);
	jd_template_release(&t);
	svc__rollback(&w);
	return rc;
}

int
svc_template_describe(struct svc *s, const char *id, struct jd_template *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_template_get(tx, id, out);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Job template %s does not exist", id);
	return rc ? svc__store_err(rc, e) : 0;
}

struct page {
	int limit, seen;
	bool *more;
	jd_template_cb cb;
	void *arg;
};

static int
template_page(void *arg, const struct jd_template *t)
{
	struct page *p = arg;

	if (p->seen++ >= p->limit) {
		*p->more = true;
		return 1;
	}
	return p->cb(p->arg, t);
}

int
svc_template_list(struct svc *s, const char *after, int limit, jd_template_cb cb, void *arg,
    bool *more, struct jd_error *e)
{
	struct page p = {limit, 0, more, cb, arg};
	struct store_tx *tx = NULL;
	int rc;

	*more = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_template_list(tx, after, limit + 1, template_page, &p);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

int
svc_template_delete(struct svc *s, const char *id, struct jd_error *e)
{
	struct svc_tx t;
	int rc;

	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_template_delete(t.tx, id);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
		return jd_error_set(e, rc, "Job template %s does not exist", id);
	}
	if (rc != 0) {
		svc__rollback(&t);
		return svc__store_err(rc, e);
	}
	return svc__commit(&t, e);
}

int
svc__template_apply(struct store_tx *tx, const char *template_arn, struct jd_job *j,
    struct jd_error *e)
{
	const char *slash = strstr(template_arn, ":jobtemplate/");
	struct jd_template t;
	json_t *cfg;
	char *merged;
	int rc;

	memset(&t, 0, sizeof(t));
	if (slash == NULL || core_check_template_id("jobTemplateArn", slash + 13, NULL) != 0)
		return jd_error_set(e, JD_EINVAL, "jobTemplateArn %.200s is not a job template ARN",
		    template_arn);
	rc = store_template_get(tx, slash + 13, &t);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Job template %s does not exist", slash + 13);
	if (rc != 0)
		return svc__store_err(rc, e);
	if (j->document == NULL || j->document[0] == '\0') {
		free(j->document);
		j->document = jd_strdup(t.document ? t.document : "{}");
	}
	merged = config_merge(t.config, j->config, NULL);
	free(j->config);
	cfg = json_loads(merged, 0, NULL);
	free(merged);
	/* A template's maintenanceWindows are the job's schedulingConfig ones. */
	{
		json_t *mw = json_object_get(cfg, "maintenanceWindows");
		if (mw != NULL) {
			json_t *sc = json_object_get(cfg, "schedulingConfig");
			if (sc == NULL) {
				sc = json_object();
				json_object_set_new(cfg, "schedulingConfig", sc);
			}
			if (json_object_get(sc, "maintenanceWindows") == NULL)
				json_object_set(sc, "maintenanceWindows", mw);
			json_object_del(cfg, "maintenanceWindows");
		}
	}
	j->config = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	core_policy_release(&j->policy);
	svc_policy_from_json(j->config, &j->policy);
	j->inprogress_timeout_min = j->policy.inprogress_timeout_min;
	jd_template_release(&t);
	return 0;
}
