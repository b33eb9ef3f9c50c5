/*
 * h_tags.c: REST handlers of TagResource, UntagResource and
 * ListTagsForResource, and api_body_tags, which reads the `tags` member of
 * the create calls (CreateJob, CreateJobTemplate, CreateThingGroup,
 * CreateDynamicThingGroup, CreateThingType) and of TagResource.
 *
 * Validation here (AWS's: at most 50 tags, key 1..128 characters of
 * [\p{L}\p{Z}\p{N}_.:/=+\-@], value 0..256, no key with the reserved
 * prefix "aws:"); svc/tags.c resolves the ARN, checks the resource and the
 * total of 50 tags per resource.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
tfail(struct api_req *r, const char *path, const char *what)
{
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", path,
	    what);
}

/* A key with the reserved prefix: "aws:" in any case (AWS's rule for tags). */
static int
check_reserved(struct api_req *r, const char *key)
{
	if (strncasecmp(key, "aws:", 4) == 0)
		return api_fail(r, JD_EINVAL,
		    "Tag keys starting with 'aws:' are reserved for AWS use and cannot be set or "
		    "removed: %.128s",
		    key);
	return 0;
}

int
api_body_tags(struct api_req *r, json_t *obj, bool required, struct jd_tag **out, int *n)
{
	json_t *v = json_object_get(obj, "tags"), *t;
	size_t i;

	*out = NULL;
	*n = 0;
	if (v == NULL || json_is_null(v))
		return required ? tfail(r, "tags", "Member must not be null") : 0;
	if (!json_is_array(v))
		return tfail(r, "tags", "Member must be a list");
	if (json_array_size(v) > JD_TAGS_MAX)
		return tfail(r, "tags", "Member must have length less than or equal to 50");
	if (json_array_size(v) == 0)
		return 0;
	*out = jd_calloc(json_array_size(v), sizeof(**out));
	json_array_foreach(v, i, t)
	{
		const char *k = NULL, *val = NULL;

		if (!json_is_object(t))
			goto bad_member;
		if (api_body_str(r, t, "Key", "tags.member.Key", &k) ||
		    api_body_str(r, t, "Value", "tags.member.Value", &val))
			goto fail;
		if (k == NULL) {
			tfail(r, "tags.member.Key", "Member must not be null");
			goto fail;
		}
		if (api_check(r, core_check_tag_key, "tags.member.Key", k) ||
		    (val != NULL && api_check(r, core_check_tag_value, "tags.member.Value", val)) ||
		    check_reserved(r, k))
			goto fail;
		(*out)[*n].key = k;
		(*out)[*n].value = val != NULL ? val : "";
		(*n)++;
	}
	return 0;
bad_member:
	tfail(r, "tags.member", "Member must be a structure");
fail:
	free(*out);
	*out = NULL;
	*n = 0;
	return JD_EINVAL;
}

/* resourceArn: required, 1..2048 (botocore declares no bound; IoT's ARNs fit). */
static int
resource_arn(struct api_req *r, const char *v, const char **out)
{
	if (v == NULL)
		return tfail(r, "resourceArn", "Member must not be null");
	if (core_check_arn("resourceArn", v, 1, JD_TARGET_ARN_MAX, &r->err) != 0) {
		r->failed = true;
		return JD_EINVAL;
	}
	*out = v;
	return 0;
}

void
api_h_tag_resource(struct api_req *r)
{
	const char *arn = NULL, *given = NULL;
	struct jd_tag *tags = NULL;
	int n = 0;

	if (api_body_str(r, r->json, "resourceArn", NULL, &given) || resource_arn(r, given, &arn) ||
	    api_body_tags(r, r->json, true, &tags, &n))
		goto out;
	if (svc_tag_resource(r->api->svc, arn, tags, n, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	r->empty = true;
out:
	free(tags);
}

void
api_h_untag_resource(struct api_req *r)
{
	const char *arn = NULL, *given = NULL;
	json_t *v = json_object_get(r->json, "tagKeys"), *k;
	const char **keys = NULL;
	size_t i;
	int n = 0;

	if (api_body_str(r, r->json, "resourceArn", NULL, &given) || resource_arn(r, given, &arn))
		return;
	if (v == NULL || json_is_null(v)) {
		tfail(r, "tagKeys", "Member must not be null");
		return;
	}
	if (!json_is_array(v)) {
		tfail(r, "tagKeys", "Member must be a list");
		return;
	}
	if (json_array_size(v) > JD_TAGS_MAX) {
		tfail(r, "tagKeys", "Member must have length less than or equal to 50");
		return;
	}
	keys = jd_calloc(json_array_size(v) + 1, sizeof(*keys));
	json_array_foreach(v, i, k)
	{
		if (!json_is_string(k)) {
			tfail(r, "tagKeys.member", "Member must be a string");
			goto out;
		}
		if (api_check(r, core_check_tag_key, "tagKeys.member", json_string_value(k)) ||
		    check_reserved(r, json_string_value(k)))
			goto out;
		keys[n++] = json_string_value(k);
	}
	if (svc_untag_resource(r->api->svc, arn, keys, n, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	r->empty = true;
out:
	free(keys);
}

struct tag_list_ctx {
	struct jw *w;
	int sent;
};

static int
tag_row(void *arg, const char *key, const char *value)
{
	struct tag_list_ctx *c = arg;

	jw_obj_begin(c->w);
	jw_kstr(c->w, "Key", key);
	jw_kstr(c->w, "Value", value);
	jw_obj_end(c->w);
	c->sent++;
	return 0;
}

void
api_h_list_tags(struct api_req *r)
{
	const char *arn = NULL;
	struct api_cursor cur = {0};
	struct tag_list_ctx c = {0};
	int64_t limit = JD_TAGS_PAGE_DEFAULT;
	bool more = false;
	struct jw w;

	/* maxResults is not in AWS's model for this call (its pages hold every
	 * tag); jobsd takes it as for the other lists, so pages can be asked for */
	if (resource_arn(r, api_query(r, "resourceArn"), &arn) ||
	    api_query_long(r, "maxResults", 1, JD_PAGE_MAX, &limit, NULL))
		return;
	if (api_list_begin(r, API_CURSOR_TAGS, &cur, &w, "tags"))
		return;
	c.w = &w;
	if (svc_tag_list(r->api->svc, arn, cur.num, (int)limit, tag_row, &c, &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_TAGS, "", cur.num + c.sent);
}
