/*
 * input.c: reading and validating request members (query string, JSON body)
 * with AWS's error wording. botocore checks almost none of the model's
 * constraints, so every member is checked here (spec §2.1).
 */
#include "api/api_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
api_fail(struct api_req *r, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jd_error_vset(&r->err, code, fmt, ap);
	va_end(ap);
	r->failed = true;
	return code;
}

int
api_fail_err(struct api_req *r, int rc)
{
	if (r->err.code == 0)
		jd_error_set(&r->err, rc, "Internal error");
	r->failed = true;
	return rc ? rc : r->err.code;
}

int
api_check(struct api_req *r, int (*check)(const char *, const char *, struct jd_error *),
    const char *member, const char *value)
{
	int rc = check(member, value, &r->err);

	if (rc != 0)
		r->failed = true;
	return rc;
}

const char *
api_query(struct api_req *r, const char *k)
{
	for (int i = 0; i < r->nq; i++)
		if (strcmp(r->q[i].k, k) == 0)
			return r->q[i].v;
	return NULL;
}

int
api_query_bool(struct api_req *r, const char *k, bool *out)
{
	const char *v = api_query(r, k);

	if (v == NULL)
		return 0;
	if (core_parse_bool(v, out) != 0)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at '%s' failed to satisfy constraint: "
		    "Member must be a boolean (true or false)",
		    v, k);
	return 0;
}

int
api_query_long(struct api_req *r, const char *k, int64_t min, int64_t max, int64_t *out,
    bool *present)
{
	const char *v = api_query(r, k);
	int64_t n;

	if (present)
		*present = false;
	if (v == NULL)
		return 0;
	if (core_parse_i64(v, &n) != 0)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at '%s' failed to satisfy constraint: "
		    "Member must be an integer",
		    v, k);
	if (core_check_range(k, n, min, max, &r->err) != 0) {
		r->failed = true;
		return JD_EINVAL;
	}
	*out = n;
	if (present)
		*present = true;
	return 0;
}

int
api_query_enum(struct api_req *r, const char *k, int (*parse)(const char *, int *), int *out)
{
	const char *v = api_query(r, k);

	if (v == NULL)
		return 0;
	if (parse(v, out) != 0)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at '%s' failed to satisfy constraint: "
		    "Member must satisfy enum value set",
		    v, k);
	return 0;
}

int
api_page(struct api_req *r, int *limit)
{
	int64_t n = JD_PAGE_DEFAULT;

	if (api_query_long(r, "maxResults", 1, JD_PAGE_MAX, &n, NULL) != 0)
		return JD_EINVAL;
	*limit = (int)n;
	return 0;
}

static int
type_fail(struct api_req *r, const char *path, const char *what)
{
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be %s",
	    path, what);
}

int
api_body_str(struct api_req *r, json_t *obj, const char *k, const char *path, const char **out)
{
	json_t *v = obj ? json_object_get(obj, k) : NULL;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return type_fail(r, path ? path : k, "a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value at '%s' failed to satisfy constraint: "
		    "Member must not contain NUL characters",
		    path ? path : k);
	*out = json_string_value(v);
	return 0;
}

int
api_body_long(struct api_req *r, json_t *obj, const char *k, const char *path, int64_t min,
    int64_t max, int64_t *out, bool *present)
{
	json_t *v = obj ? json_object_get(obj, k) : NULL;

	if (present)
		*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return type_fail(r, path ? path : k, "an integer");
	if (core_check_range(path ? path : k, json_integer_value(v), min, max, &r->err) != 0) {
		r->failed = true;
		return JD_EINVAL;
	}
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return 0;
}

int
api_body_bool(struct api_req *r, json_t *obj, const char *k, const char *path, bool *out)
{
	json_t *v = obj ? json_object_get(obj, k) : NULL;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return type_fail(r, path ? path : k, "a boolean");
	*out = json_is_true(v);
	return 0;
}

int
api_body_details(struct api_req *r, json_t *obj, const char *k, char **out)
{
	json_t *m = obj ? json_object_get(obj, k) : NULL;
	const char *key;
	json_t *v;

	*out = NULL;
	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return type_fail(r, k, "a map of strings");
	if (json_object_size(m) > JD_DETAILS_PAIRS_MAX)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value at '%s' failed to satisfy constraint: "
		    "Member must have at most %d entries",
		    k, JD_DETAILS_PAIRS_MAX);
	json_object_foreach(m, key, v)
	{
		if (core_check_details_key(k, key, &r->err) != 0) {
			r->failed = true;
			return JD_EINVAL;
		}
		if (!json_is_string(v))
			return type_fail(r, k, "a map of strings");
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    core_check_details_value(k, json_string_value(v), &r->err) != 0) {
			if (r->err.code == 0)
				jd_error_set(&r->err, JD_EINVAL,
				    "statusDetails value for key '%s' is invalid", key);
			r->failed = true;
			return JD_EINVAL;
		}
	}
	*out = json_dumps(m, JSON_COMPACT);
	return 0;
}

int
api_body_attributes(struct api_req *r, json_t *obj, const char *path, char **out, bool *merge)
{
	json_t *p = obj ? json_object_get(obj, path) : NULL;
	json_t *m;
	const char *key;
	json_t *v;

	*out = NULL;
	if (p == NULL || json_is_null(p))
		return 0;
	if (!json_is_object(p))
		return type_fail(r, path, "a structure");
	if (merge != NULL && api_body_bool(r, p, "merge", "attributePayload.merge", merge) != 0)
		return JD_EINVAL;
	m = json_object_get(p, "attributes");
	if (m == NULL || json_is_null(m)) {
		*out = strdup("{}");
		return 0;
	}
	if (!json_is_object(m))
		return type_fail(r, "attributePayload.attributes", "a map of strings");
	if (json_object_size(m) > JD_ATTRIBUTES_MAX)
		return api_fail(r, JD_EINVAL, "A thing can have at most %d attributes",
		    JD_ATTRIBUTES_MAX);
	json_object_foreach(m, key, v)
	{
		if (!json_is_string(v))
			return type_fail(r, "attributePayload.attributes", "a map of strings");
		if (core_check_attr_name("attributePayload.attributes", key, &r->err) != 0 ||
		    core_check_attr_value("attributePayload.attributes", json_string_value(v),
		        &r->err) != 0) {
			r->failed = true;
			return JD_EINVAL;
		}
	}
	*out = json_dumps(m, JSON_COMPACT);
	return 0;
}
