/*
 * s3doc.c: job documents and S3 (issue 11, D27).
 *
 * documentSource: CreateJob and CreateJobTemplate read the object once,
 * before their transaction opens, and store the text; later reads never
 * touch S3. Presigned URLs: the device plane's copies of a document (HTTP
 * and MQTT StartNext, DescribeJobExecution, UpdateJobExecution with
 * includeJobDocument, and notify-next, which all come through exec.c) get
 * their ${aws:iot:s3-presigned-url:URL} placeholders replaced here, at one
 * point, freshly signed for each answer; GetJobDocument and DescribeJob
 * return the stored text. svc knows neither HTTP nor SigV4: both go
 * through the hooks of struct svc_s3, which main.c fills from s3/ and
 * auth/.
 */
#include "svc/s3doc_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jd_limits.h"
#include "util/buf.h"
#include "util/log.h"

void
svc_set_s3(struct svc *s, const struct svc_s3 *ops)
{
	s->s3 = *ops;
}

int
svc__doc_fetch(struct svc *s, const char *url, char **doc, struct jd_error *e)
{
	char *body = NULL;
	size_t n = 0;
	json_error_t je;
	json_t *v;
	int rc;

	*doc = NULL;
	if (s->s3.get == NULL)
		return jd_error_set(e, JD_EINVAL,
		    "documentSource needs outgoing credentials: this jobsd has no "
		    "--outgoing-credentials file with a default entry");
	if ((rc = s->s3.get(s->s3.get_ctx, url, svc_now(s) / 1000, JD_DOCUMENT_MAX, &body, &n,
	         e)) != 0)
		return rc;
	v = memchr(body, '\0', n) == NULL ? json_loadb(body, n, 0, &je) : NULL;
	if (!json_is_object(v)) {
		json_decref(v);
		free(body);
		return jd_error_set(e, JD_EINVAL,
		    "The job document at documentSource %.1350s must be a JSON object", url);
	}
	json_decref(v);
	*doc = body;
	return 0;
}

/* presignedUrlConfig.roleArn of a configuration text, owned, or NULL. */
static char *
role_of(const char *config)
{
	json_t *c = config ? json_loads(config, 0, NULL) : NULL;
	const char *r =
	    json_string_value(json_object_get(json_object_get(c, "presignedUrlConfig"), "roleArn"));
	char *out = jd_strdup(r);

	json_decref(c);
	return out;
}

int
svc__presign_check(struct svc *s, const char *config, const char *document, struct jd_error *e)
{
	char *role;
	int rc = 0;

	if (config == NULL || document == NULL ||
	    strstr(config, "\"presignedUrlConfig\"") == NULL ||
	    strstr(document, SVC_PRESIGN_PLACEHOLDER) == NULL)
		return 0;
	role = role_of(config);
	if (role != NULL && (s->s3.has_role == NULL || !s->s3.has_role(s->s3.sign_ctx, role)))
		rc = jd_error_set(e, JD_EINVAL,
		    "presignedUrlConfig.roleArn %.300s has no outgoing credentials in this jobsd: "
		    "add the role, or a default entry, to its --outgoing-credentials file",
		    role);
	free(role);
	return rc;
}

/* The URL of a placeholder: url[0..n) with JSON's "\/" unescaped into u.
 * false when it holds another escape (left as it is). */
static bool
placeholder_url(const char *url, size_t n, struct buf *u)
{
	for (size_t i = 0; i < n; i++) {
		if (url[i] == '\\') {
			if (i + 1 >= n || url[i + 1] != '/')
				return false;
			i++;
		}
		buf_putc(u, url[i]);
	}
	return true;
}

char *
svc__device_doc(struct svc *s, struct jd_job *j)
{
	const size_t plen = strlen(SVC_PRESIGN_PLACEHOLDER);
	char *doc = j->document, *role;
	struct buf out = BUF_INIT, u = BUF_INIT;
	const char *p, *ph;
	int64_t now_s, expires;
	int done = 0;

	j->document = NULL;
	if (doc == NULL || s->s3.presign == NULL || strstr(doc, SVC_PRESIGN_PLACEHOLDER) == NULL)
		return doc;
	if ((role = role_of(j->config)) == NULL)
		return doc;
	now_s = svc_now(s) / 1000;
	expires = j->policy.presigned_expires_sec > 0 ? j->policy.presigned_expires_sec :
	                                                SVC_PRESIGN_EXPIRES_DEFAULT;
	for (p = doc; done < SVC_PRESIGN_MAX && (ph = strstr(p, SVC_PRESIGN_PLACEHOLDER)) != NULL;
	     done++) {
		const char *url = ph + plen, *end = strchr(url, '}');
		struct jd_error e;
		if (end == NULL)
			break;
		buf_append(&out, p, (size_t)(ph - p));
		buf_reset(&u);
		jd_error_init(&e);
		if (!placeholder_url(url, (size_t)(end - url), &u) ||
		    s->s3.presign(s->s3.sign_ctx, role, u.p ? u.p : "", u.len, now_s, expires, &out,
		        &e) != 0) {
			log_warn("job %s: a presigned-URL placeholder stays as it is: %s",
			    j->job_id, e.msg[0] ? e.msg : "the URL holds a JSON escape");
			buf_append(&out, ph, (size_t)(end + 1 - ph));
		}
		jd_error_clear(&e);
		p = end + 1;
	}
	buf_puts(&out, p);
	free(role);
	free(doc);
	buf_free(&u);
	return buf_steal(&out);
}
