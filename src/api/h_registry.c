/* h_registry.c: REST handlers of the thing registry (spec §4.4). */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- things --------------------------------------------------------------- */

void
api_h_create_thing(struct api_req *r)
{
	const char *name = r->label[0], *type = NULL, *billing = NULL;
	struct jd_thing t;
	char *attrs = NULL;
	struct jw w;

	memset(&t, 0, sizeof(t));
	if (api_check(r, core_check_thing_name, "thingName", name) ||
	    api_body_str(r, r->json, "thingTypeName", NULL, &type) ||
	    (type && api_check(r, core_check_thing_name, "thingTypeName", type)) ||
	    api_body_str(r, r->json, "billingGroupName", NULL, &billing) ||
	    (billing && api_check(r, core_check_thing_name, "billingGroupName", billing)) ||
	    api_body_attributes(r, r->json, "attributePayload", &attrs, NULL))
		goto out;
	if (billing != NULL) {
		api_fail(r, JD_ENOTFOUND, "Billing group %s does not exist", billing);
		goto out;
	}
	if (svc_thing_create(r->api->svc, name, type, attrs, &t, &r->err) != 0) {
		if (r->err.code == JD_EEXISTS) {
			struct buf b = BUF_INIT;
			api_arn(&b, r, "thing", name);
			jd_strlcpy(r->err.resource_arn, buf_cstr(&b), sizeof(r->err.resource_arn));
			buf_free(&b);
		}
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr(&w, "thingName", t.name);
	api_karn(&w, r, "thingArn", "thing", t.name);
	jw_kstr(&w, "thingId", t.id);
	jw_obj_end(&w);
out:
	free(attrs);
	jd_thing_release(&t);
}

void
api_h_describe_thing(struct api_req *r)
{
	struct jd_thing t;
	struct jw w;

	memset(&t, 0, sizeof(t));
	if (api_check(r, core_check_thing_name, "thingName", r->label[0]))
		return;
	if (svc_thing_describe(r->api->svc, r->label[0], &t, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	api_encode_thing(&w, r, &t, true);
	jd_thing_release(&t);
}

struct thing_list_ctx {
	struct jw *w;
	struct api_req *r;
	char last[JD_THING_NAME_MAX + 1];
};

static int
thing_row(void *arg, const struct jd_thing *t)
{
	struct thing_list_ctx *c = arg;

	api_encode_thing(c->w, c->r, t, false);
	jd_strlcpy(c->last, t->name, sizeof(c->last));
	return 0;
}

void
api_h_list_things(struct api_req *r)
{
	struct jd_thing_filter f = {NULL, NULL, false, NULL};
	struct api_cursor cur = {0};
	struct thing_list_ctx c = {0};
	bool more = false;
	int limit;
	struct jw w;

	if (api_page(r, &limit) || api_query_bool(r, "usePrefixAttributeValue", &f.attr_prefix))
		return;
	f.attr_name = api_query(r, "attributeName");
	f.attr_value = api_query(r, "attributeValue");
	f.type_name = api_query(r, "thingTypeName");
	if ((f.attr_name && api_check(r, core_check_attr_name, "attributeName", f.attr_name)) ||
	    (f.attr_value && api_check(r, core_check_attr_value, "attributeValue", f.attr_value)) ||
	    (f.type_name && api_check(r, core_check_thing_name, "thingTypeName", f.type_name)))
		return;
	if (api_list_begin(r, API_CURSOR_THINGS, &cur, &w, "things"))
		return;
	c.w = &w;
	c.r = r;
	if (svc_thing_list(r->api->svc, &f, cur.key, limit, thing_row, &c, &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_THINGS, c.last, 0);
}

void
api_h_update_thing(struct api_req *r)
{
	const char *type = NULL;
	bool remove_type = false, merge = false, has_ver = false;
	int64_t ver = -1;
	char *attrs = NULL;

	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_body_str(r, r->json, "thingTypeName", NULL, &type) ||
	    (type && api_check(r, core_check_thing_name, "thingTypeName", type)) ||
	    api_body_bool(r, r->json, "removeThingType", NULL, &remove_type) ||
	    api_body_long(r, r->json, "expectedVersion", NULL, 0, INT64_MAX, &ver, &has_ver) ||
	    api_body_attributes(r, r->json, "attributePayload", &attrs, &merge))
		goto out;
	if (type != NULL && remove_type) {
		api_fail(r, JD_EINVAL, "Cannot set thingTypeName and removeThingType together");
		goto out;
	}
	if (svc_thing_update(r->api->svc, r->label[0], type, remove_type, attrs, merge,
	        has_ver ? ver : -1, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	r->empty = true;
out:
	free(attrs);
}

void
api_h_delete_thing(struct api_req *r)
{
	int64_t ver = -1;
	bool has_ver = false;

	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) ||
	    api_query_long(r, "expectedVersion", 0, INT64_MAX, &ver, &has_ver))
		return;
	if (svc_thing_delete(r->api->svc, r->label[0], has_ver ? ver : -1, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

/* ---- groups --------------------------------------------------------------- */

void
api_h_create_group(struct api_req *r)
{
	const char *name = r->label[0], *parent = NULL, *desc = NULL;
	json_t *props = json_object_get(r->json, "thingGroupProperties");
	struct jd_tag *tags = NULL;
	struct jd_group g;
	char *attrs = NULL;
	int n_tags = 0;
	struct jw w;

	memset(&g, 0, sizeof(g));
	if (api_check(r, core_check_thing_name, "thingGroupName", name) ||
	    api_body_str(r, r->json, "parentGroupName", NULL, &parent) ||
	    (parent && api_check(r, core_check_thing_name, "parentGroupName", parent)))
		goto out;
	if (props != NULL && !json_is_null(props)) {
		if (!json_is_object(props)) {
			api_fail(r, JD_EINVAL,
			    "1 validation error detected: Value at 'thingGroupProperties' "
			    "failed to satisfy constraint: Member must be a structure");
			goto out;
		}
		if (api_body_str(r, props, "thingGroupDescription",
		        "thingGroupProperties.thingGroupDescription", &desc) ||
		    (desc &&
		        api_check(r, core_check_group_description,
		            "thingGroupProperties.thingGroupDescription", desc)) ||
		    api_body_attributes(r, props, "attributePayload", &attrs, NULL))
			goto out;
	}
	if (api_body_tags(r, r->json, false, &tags, &n_tags))
		goto out;
	if (svc_group_create(r->api->svc, name, parent, desc, attrs, tags, n_tags, &g, &r->err) !=
	    0) {
		if (r->err.code == JD_EEXISTS) {
			struct buf b = BUF_INIT;
			api_arn(&b, r, "thinggroup", name);
			jd_strlcpy(r->err.resource_arn, buf_cstr(&b), sizeof(r->err.resource_arn));
			buf_free(&b);
		}
		api_fail_err(r, r->err.code);
		goto out;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr(&w, "thingGroupName", g.name);
	api_karn(&w, r, "thingGroupArn", "thinggroup", g.name);
	jw_kstr(&w, "thingGroupId", g.id);
	jw_obj_end(&w);
out:
	free(tags);
	free(attrs);
	jd_group_release(&g);
}

void
api_h_describe_group(struct api_req *r)
{
	char anc[JD_GROUP_DEPTH_MAX][JD_GROUP_NAME_MAX + 1];
	struct jd_group g;
	int n = 0;
	struct jw w;

	memset(&g, 0, sizeof(g));
	if (api_check(r, core_check_thing_name, "thingGroupName", r->label[0]))
		return;
	if (svc_group_describe(r->api->svc, r->label[0], &g, anc, &n, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr(&w, "thingGroupName", g.name);
	jw_kstr(&w, "thingGroupId", g.id);
	api_karn(&w, r, "thingGroupArn", "thinggroup", g.name);
	jw_kint(&w, "version", g.version);
	jw_key(&w, "thingGroupProperties");
	jw_obj_begin(&w);
	jw_kstr_opt(&w, "thingGroupDescription", g.description);
	if (g.attributes != NULL) {
		jw_key(&w, "attributePayload");
		jw_obj_begin(&w);
		jw_key(&w, "attributes");
		jw_raw(&w, g.attributes);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	jw_key(&w, "thingGroupMetadata");
	jw_obj_begin(&w);
	jw_kstr_opt(&w, "parentGroupName", g.parent);
	if (n > 0) {
		jw_key(&w, "rootToParentThingGroups");
		jw_arr_begin(&w);
		for (int i = 0; i < n; i++) {
			jw_obj_begin(&w);
			jw_kstr(&w, "groupName", anc[i]);
			api_karn(&w, r, "groupArn", "thinggroup", anc[i]);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
	}
	jw_ktime_opt(&w, "creationDate", g.created_ms);
	jw_obj_end(&w);
	if (g.query_string != NULL) { /* a dynamic group (issue 12): always built */
		jw_kstr(&w, "indexName", g.index_name);
		jw_kstr(&w, "queryString", g.query_string);
		jw_kstr(&w, "queryVersion", g.query_version);
		jw_kstr(&w, "status", "ACTIVE");
	}
	jw_obj_end(&w);
	jd_group_release(&g);
}

struct name_list_ctx {
	struct jw *w;
	struct api_req *r;
	char last[JD_GROUP_NAME_MAX + 1];
};

static int
group_row(void *arg, const struct jd_group *g)
{
	struct name_list_ctx *c = arg;

	jw_obj_begin(c->w);
	jw_kstr(c->w, "groupName", g->name);
	api_karn(c->w, c->r, "groupArn", "thinggroup", g->name);
	jw_obj_end(c->w);
	jd_strlcpy(c->last, g->name, sizeof(c->last));
	return 0;
}

void
api_h_list_groups(struct api_req *r)
{
	struct jd_group_filter f = {NULL, false, NULL};
	struct api_cursor cur = {0};
	struct name_list_ctx c = {0};
	bool more = false;
	int limit;
	struct jw w;

	if (api_page(r, &limit) || api_query_bool(r, "recursive", &f.recursive))
		return;
	f.parent = api_query(r, "parentGroup");
	f.name_prefix = api_query(r, "namePrefixFilter");
	if ((f.parent && api_check(r, core_check_thing_name, "parentGroup", f.parent)) ||
	    (f.name_prefix &&
	        api_check(r, core_check_thing_name, "namePrefixFilter", f.name_prefix)))
		return;
	if (api_query(r, "recursive") == NULL)
		f.recursive = true; /* RecursiveWithoutDefault: AWS lists all levels */
	if (api_list_begin(r, API_CURSOR_GROUPS, &cur, &w, "thingGroups"))
		return;
	c.w = &w;
	c.r = r;
	if (svc_group_list(r->api->svc, &f, cur.key, limit, group_row, &c, &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_GROUPS, c.last, 0);
}

void
api_h_delete_group(struct api_req *r)
{
	int64_t ver = -1;
	bool has_ver = false;

	if (api_check(r, core_check_thing_name, "thingGroupName", r->label[0]) ||
	    api_query_long(r, "expectedVersion", 0, INT64_MAX, &ver, &has_ver))
		return;
	if (svc_group_delete(r->api->svc, r->label[0], has_ver ? ver : -1, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

/* Resolve "name or ARN" members of the membership calls. */
static int
member_args(struct api_req *r, char group[JD_GROUP_NAME_MAX + 1], char thing[JD_THING_NAME_MAX + 1])
{
	const char *gn = NULL, *ga = NULL, *tn = NULL, *ta = NULL, *slash;

	if (api_body_str(r, r->json, "thingGroupName", NULL, &gn) ||
	    api_body_str(r, r->json, "thingGroupArn", NULL, &ga) ||
	    api_body_str(r, r->json, "thingName", NULL, &tn) ||
	    api_body_str(r, r->json, "thingArn", NULL, &ta))
		return JD_EINVAL;
	if (gn == NULL && ga != NULL && (slash = strstr(ga, ":thinggroup/")) != NULL)
		gn = slash + strlen(":thinggroup/");
	else if (gn == NULL && ga != NULL)
		return api_fail(r, JD_EINVAL, "thingGroupArn %.64s is not a thing group ARN", ga);
	if (tn == NULL && ta != NULL && (slash = strstr(ta, ":thing/")) != NULL)
		tn = slash + strlen(":thing/");
	else if (tn == NULL && ta != NULL)
		return api_fail(r, JD_EINVAL, "thingArn %.64s is not a thing ARN", ta);
	if (gn == NULL)
		return api_fail(r, JD_EINVAL,
		    "Either thingGroupName or thingGroupArn must be specified");
	if (tn == NULL)
		return api_fail(r, JD_EINVAL, "Either thingName or thingArn must be specified");
	if (api_check(r, core_check_thing_name, "thingGroupName", gn) ||
	    api_check(r, core_check_thing_name, "thingName", tn))
		return JD_EINVAL;
	jd_strlcpy(group, gn, JD_GROUP_NAME_MAX + 1);
	jd_strlcpy(thing, tn, JD_THING_NAME_MAX + 1);
	return 0;
}

void
api_h_add_member(struct api_req *r)
{
	char group[JD_GROUP_NAME_MAX + 1], thing[JD_THING_NAME_MAX + 1];
	bool override = false;

	if (member_args(r, group, thing) ||
	    api_body_bool(r, r->json, "overrideDynamicGroups", NULL, &override))
		return;
	if (svc_member_add(r->api->svc, group, thing, override, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

void
api_h_remove_member(struct api_req *r)
{
	char group[JD_GROUP_NAME_MAX + 1], thing[JD_THING_NAME_MAX + 1];

	if (member_args(r, group, thing))
		return;
	if (svc_member_remove(r->api->svc, group, thing, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

static int
member_row(void *arg, const char *name)
{
	struct name_list_ctx *c = arg;

	jw_str(c->w, name);
	jd_strlcpy(c->last, name, sizeof(c->last));
	return 0;
}

void
api_h_list_members(struct api_req *r)
{
	struct api_cursor cur = {0};
	struct name_list_ctx c = {0};
	bool recursive = false, more = false;
	int limit;
	struct jw w;

	if (api_check(r, core_check_thing_name, "thingGroupName", r->label[0]) ||
	    api_page(r, &limit) || api_query_bool(r, "recursive", &recursive))
		return;
	if (api_list_begin(r, API_CURSOR_MEMBERS, &cur, &w, "things"))
		return;
	c.w = &w;
	c.r = r;
	if (svc_member_list(r->api->svc, r->label[0], recursive, cur.key, limit, member_row, &c,
	        &more, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_MEMBERS, c.last, 0);
}
