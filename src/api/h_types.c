/*
 * h_types.c: REST handlers of thing types (CreateThingType,
 * DescribeThingType, ListThingTypes, DeprecateThingType, DeleteThingType).
 *
 * thingTypeProperties is validated member by member (description,
 * searchableAttributes at most 3, mqtt5Configuration.propagatingAttributes)
 * and kept as the compact JSON of the members AWS defines; DescribeThingType
 * and ListThingTypes write it back as it was given.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

static int
pfail(struct api_req *r, const char *path, const char *what)
{
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", path,
	    what);
}

/* mqtt5Configuration: {propagatingAttributes: [{userPropertyKey,
 * thingAttribute, connectionAttribute}]}, each a string of its pattern. */
static int
check_mqtt5(struct api_req *r, json_t *v)
{
	const char *base = "thingTypeProperties.mqtt5Configuration";
	json_t *l, *a;
	size_t i;

	if (!json_is_object(v))
		return pfail(r, base, "Member must be a structure");
	l = json_object_get(v, "propagatingAttributes");
	if (l == NULL || json_is_null(l))
		return 0;
	if (!json_is_array(l))
		return pfail(r, "thingTypeProperties.mqtt5Configuration.propagatingAttributes",
		    "Member must be a list");
	json_array_foreach(l, i, a)
	{
		static const char *const keys[] = {"userPropertyKey", "thingAttribute",
		    "connectionAttribute"};
		const char *path = "thingTypeProperties.mqtt5Configuration.propagatingAttributes."
		                   "member";
		if (!json_is_object(a))
			return pfail(r, path, "Member must be a structure");
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const char *s = NULL;
			if (api_body_str(r, a, keys[k], path, &s))
				return JD_EINVAL;
			if (s != NULL && api_check(r, core_check_attr_name, keys[k], s))
				return JD_EINVAL;
		}
	}
	return 0;
}

/* thingTypeProperties -> compact JSON of its known members (owned) or NULL. */
static int
collect_props(struct api_req *r, char **out)
{
	json_t *p = json_object_get(r->json, "thingTypeProperties");
	json_t *keep, *v, *a;
	const char *desc = NULL;
	size_t i;

	*out = NULL;
	if (p == NULL || json_is_null(p))
		return 0;
	if (!json_is_object(p))
		return pfail(r, "thingTypeProperties", "Member must be a structure");
	if (api_body_str(r, p, "thingTypeDescription", "thingTypeProperties.thingTypeDescription",
	        &desc) ||
	    (desc != NULL &&
	        api_check(r, core_check_group_description,
	            "thingTypeProperties.thingTypeDescription", desc)))
		return JD_EINVAL;
	v = json_object_get(p, "searchableAttributes");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_array(v))
			return pfail(r, "thingTypeProperties.searchableAttributes",
			    "Member must be a list");
		if (json_array_size(v) > JD_SEARCHABLE_ATTRIBUTES_MAX)
			return api_fail(r, JD_EINVAL,
			    "A thing type can have at most %d searchable attributes",
			    JD_SEARCHABLE_ATTRIBUTES_MAX);
		json_array_foreach(v, i, a)
		{
			if (!json_is_string(a))
				return pfail(r, "thingTypeProperties.searchableAttributes.member",
				    "Member must be a string");
			if (api_check(r, core_check_attr_name,
			        "thingTypeProperties.searchableAttributes.member",
			        json_string_value(a)))
				return JD_EINVAL;
		}
	}
	a = json_object_get(p, "mqtt5Configuration");
	if (a != NULL && !json_is_null(a) && check_mqtt5(r, a))
		return JD_EINVAL;
	keep = json_object();
	if (desc != NULL)
		json_object_set_new(keep, "thingTypeDescription", json_string(desc));
	if (v != NULL && !json_is_null(v))
		json_object_set(keep, "searchableAttributes", v);
	if (a != NULL && !json_is_null(a))
		json_object_set(keep, "mqtt5Configuration", a);
	*out = json_dumps(keep, JSON_COMPACT);
	json_decref(keep);
	return 0;
}

void
api_h_create_thing_type(struct api_req *r)
{
	const char *name = r->label[0];
	struct jd_thing_type t;
	struct jd_tag *tags = NULL;
	char *props = NULL;
	int n_tags = 0;
	struct jw w;

	memset(&t, 0, sizeof(t));
	if (api_check(r, core_check_thing_name, "thingTypeName", name) ||
	    collect_props(r, &props) || api_body_tags(r, r->json, false, &tags, &n_tags))
		goto out;
	if (svc_thing_type_create(r->api->svc, name, props, tags, n_tags, &t, &r->err) != 0) {
		if (r->err.code == JD_EEXISTS) {
			struct buf b = BUF_INIT;
			api_arn(&b, r, "thingtype", name);
			jd_strlcpy(r->err.resource_arn, buf_cstr(&b), sizeof(r->err.resource_arn));
			buf_free(&b);
		}
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr(&w, "thingTypeName", t.name);
	api_karn(&w, r, "thingTypeArn", "thingtype", t.name);
	jw_kstr(&w, "thingTypeId", t.id);
	jw_obj_end(&w);
out:
	free(props);
	free(tags);
	jd_thing_type_release(&t);
}

/* DescribeThingType's shape (with thingTypeId) or ThingTypeDefinition. */
static void
encode_type(struct jw *w, const struct api_req *r, const struct jd_thing_type *t, bool full)
{
	jw_obj_begin(w);
	jw_kstr(w, "thingTypeName", t->name);
	if (full)
		jw_kstr(w, "thingTypeId", t->id);
	api_karn(w, r, "thingTypeArn", "thingtype", t->name);
	jw_key(w, "thingTypeProperties");
	jw_raw(w, t->properties != NULL ? t->properties : "{}");
	jw_key(w, "thingTypeMetadata");
	jw_obj_begin(w);
	jw_kbool(w, "deprecated", t->deprecated);
	if (t->deprecated)
		jw_ktime_opt(w, "deprecationDate", t->deprecated_ms);
	jw_ktime_opt(w, "creationDate", t->created_ms);
	jw_obj_end(w);
	jw_obj_end(w);
}

void
api_h_describe_thing_type(struct api_req *r)
{
	struct jd_thing_type t;
	struct jw w;

	memset(&t, 0, sizeof(t));
	if (api_check(r, core_check_thing_name, "thingTypeName", r->label[0]))
		return;
	if (svc_thing_type_describe(r->api->svc, r->label[0], &t, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	encode_type(&w, r, &t, true);
	jd_thing_type_release(&t);
}

struct type_list_ctx {
	struct jw *w;
	struct api_req *r;
	char last[JD_THING_NAME_MAX + 1];
};

static int
type_row(void *arg, const struct jd_thing_type *t)
{
	struct type_list_ctx *c = arg;

	encode_type(c->w, c->r, t, false);
	jd_strlcpy(c->last, t->name, sizeof(c->last));
	return 0;
}

void
api_h_list_thing_types(struct api_req *r)
{
	struct api_cursor cur = {0};
	struct type_list_ctx c = {0};
	const char *name;
	bool more = false;
	int limit;
	struct jw w;

	if (api_page(r, &limit))
		return;
	name = api_query(r, "thingTypeName");
	if (name != NULL && api_check(r, core_check_thing_name, "thingTypeName", name))
		return;
	if (api_list_begin(r, API_CURSOR_THING_TYPES, &cur, &w, "thingTypes"))
		return;
	c.w = &w;
	c.r = r;
	if (svc_thing_type_list(r->api->svc, name, cur.key, limit, type_row, &c, &more, &r->err) !=
	    0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_THING_TYPES, c.last, 0);
}

void
api_h_deprecate_thing_type(struct api_req *r)
{
	bool undo = false;

	if (api_check(r, core_check_thing_name, "thingTypeName", r->label[0]) ||
	    api_body_bool(r, r->json, "undoDeprecate", NULL, &undo))
		return;
	if (svc_thing_type_deprecate(r->api->svc, r->label[0], undo, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

void
api_h_delete_thing_type(struct api_req *r)
{
	if (api_check(r, core_check_thing_name, "thingTypeName", r->label[0]))
		return;
	if (svc_thing_type_delete(r->api->svc, r->label[0], &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}
