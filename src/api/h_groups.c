/*
 * h_groups.c: REST handlers of thing-group management, dynamic thing groups,
 * SearchIndex and the indexing configuration (issue 12): UpdateThingGroup,
 * ListThingGroupsForThing, UpdateThingGroupsForThing,
 * Create/Update/DeleteDynamicThingGroup, SearchIndex,
 * Get/UpdateIndexingConfiguration. Validation and shapes as botocore's
 * model says; the rules are svc's (groups.c, dyngroups.c).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_MAX_RESULTS 500 /* SearchIndex maxResults (AWS's ceiling) */

static int
member_fail(struct api_req *r, const char *path, const char *what)
{
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must "
	    "%s",
	    path, what);
}

/* thingGroupProperties: description and attributes (owned *attrs), merge. */
static int
group_props(struct api_req *r, bool required, const char **desc, char **attrs, bool *merge)
{
	json_t *props = json_object_get(r->json, "thingGroupProperties");

	if (props == NULL || json_is_null(props))
		return required ? member_fail(r, "thingGroupProperties", "not be null") : 0;
	if (!json_is_object(props))
		return member_fail(r, "thingGroupProperties", "be a structure");
	if (api_body_str(r, props, "thingGroupDescription",
	        "thingGroupProperties.thingGroupDescription", desc) ||
	    (*desc &&
	        api_check(r, core_check_group_description,
	            "thingGroupProperties.thingGroupDescription", *desc)) ||
	    api_body_attributes(r, props, "attributePayload", attrs, merge))
		return JD_EINVAL;
	return 0;
}

/* indexName, queryString (required or not), queryVersion. */
static int
query_members(struct api_req *r, bool required, const char **index, const char **query,
    const char **version)
{
	if (api_body_str(r, r->json, "indexName", NULL, index) ||
	    (*index && api_check(r, core_check_thing_name, "indexName", *index)) ||
	    api_body_str(r, r->json, "queryString", NULL, query) ||
	    api_body_str(r, r->json, "queryVersion", NULL, version))
		return JD_EINVAL;
	if (*query == NULL && required)
		return member_fail(r, "queryString", "not be null");
	if (*query != NULL && (*query)[0] == '\0')
		return member_fail(r, "queryString", "have length greater than or equal to 1");
	return 0;
}

static void
version_reply(struct api_req *r, int64_t version)
{
	struct jw w;

	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kint(&w, "version", version);
	jw_obj_end(&w);
}

/* ---- UpdateThingGroup ----------------------------------------------------- */

void
api_h_update_group(struct api_req *r)
{
	const char *desc = NULL;
	bool merge = false, has_ver = false;
	int64_t ver = -1, version = 0;
	char *attrs = NULL;

	if (api_check(r, core_check_thing_name, "thingGroupName", r->label[0]) ||
	    group_props(r, true, &desc, &attrs, &merge) ||
	    api_body_long(r, r->json, "expectedVersion", NULL, 0, INT64_MAX, &ver, &has_ver))
		goto out;
	if (svc_group_update(r->api->svc, r->label[0], desc, attrs, merge, has_ver ? ver : -1,
	        &version, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	version_reply(r, version);
out:
	free(attrs);
}

/* ---- ListThingGroupsForThing ---------------------------------------------- */

struct groups_ctx {
	struct jw *w;
	struct api_req *r;
	char last[JD_GROUP_NAME_MAX + 1];
};

static int
group_name_row(void *arg, const char *name)
{
	struct groups_ctx *c = arg;

	jw_obj_begin(c->w);
	jw_kstr(c->w, "groupName", name);
	api_karn(c->w, c->r, "groupArn", "thinggroup", name);
	jw_obj_end(c->w);
	jd_strlcpy(c->last, name, sizeof(c->last));
	return 0;
}

void
api_h_list_groups_for_thing(struct api_req *r)
{
	struct api_cursor cur = {0};
	struct groups_ctx c = {0};
	bool more = false;
	int limit;
	struct jw w;

	if (api_check(r, core_check_thing_name, "thingName", r->label[0]) || api_page(r, &limit))
		return;
	if (api_list_begin(r, API_CURSOR_THING_GROUPS, &cur, &w, "thingGroups"))
		return;
	c.w = &w;
	c.r = r;
	if (svc_groups_of_thing(r->api->svc, r->label[0], cur.key, limit, group_name_row, &c, &more,
	        &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_list_end(r, &w, more, API_CURSOR_THING_GROUPS, c.last, 0);
}

/* ---- UpdateThingGroupsForThing -------------------------------------------- */

/* A ThingGroupList member: names into v (borrowed from r->json), *n set. */
static int
group_list(struct api_req *r, const char *k, const char **v, size_t max, size_t *n)
{
	json_t *a = json_object_get(r->json, k), *x;
	size_t i;

	*n = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return member_fail(r, k, "be a list");
	if (json_array_size(a) > max)
		return api_fail(r, JD_EINVAL, "%s can name at most %zu thing groups", k, max);
	json_array_foreach(a, i, x)
	{
		if (!json_is_string(x))
			return member_fail(r, k, "be a list of strings");
		if (api_check(r, core_check_thing_name, k, json_string_value(x)))
			return JD_EINVAL;
		v[(*n)++] = json_string_value(x);
	}
	return 0;
}

void
api_h_update_groups_for_thing(struct api_req *r)
{
	const char *thing = NULL, *add[JD_GROUPS_PER_THING_MAX], *rem[JD_GROUPS_PER_THING_MAX];
	size_t n_add = 0, n_rem = 0;
	bool override = false;

	if (api_body_str(r, r->json, "thingName", NULL, &thing) ||
	    (thing && api_check(r, core_check_thing_name, "thingName", thing)) ||
	    group_list(r, "thingGroupsToAdd", add, JD_GROUPS_PER_THING_MAX, &n_add) ||
	    group_list(r, "thingGroupsToRemove", rem, JD_GROUPS_PER_THING_MAX, &n_rem) ||
	    api_body_bool(r, r->json, "overrideDynamicGroups", NULL, &override))
		return;
	if (thing == NULL) {
		api_fail(r, JD_EINVAL, "thingName must be specified");
		return;
	}
	if (svc_groups_for_thing_update(r->api->svc, thing, add, n_add, rem, n_rem, override,
	        &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

/* ---- dynamic thing groups ------------------------------------------------- */

void
api_h_create_dyn_group(struct api_req *r)
{
	const char *name = r->label[0], *desc = NULL, *index = NULL, *query = NULL, *qv = NULL;
	struct jd_tag *tags = NULL;
	int n_tags = 0;
	struct jd_group g;
	char *attrs = NULL;
	struct jw w;

	memset(&g, 0, sizeof(g));
	if (api_check(r, core_check_thing_name, "thingGroupName", name) ||
	    group_props(r, false, &desc, &attrs, NULL) ||
	    query_members(r, true, &index, &query, &qv) ||
	    api_body_tags(r, r->json, false, &tags, &n_tags))
		goto out;
	if (svc_dyn_create(r->api->svc, name, desc, attrs, index, query, qv, tags, n_tags, &g,
	        &r->err) != 0) {
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
	jw_kstr(&w, "indexName", g.index_name);
	jw_kstr(&w, "queryString", g.query_string);
	jw_kstr(&w, "queryVersion", g.query_version);
	jw_obj_end(&w);
out:
	free(tags);
	free(attrs);
	jd_group_release(&g);
}

void
api_h_update_dyn_group(struct api_req *r)
{
	const char *desc = NULL, *index = NULL, *query = NULL, *qv = NULL;
	bool merge = false, has_ver = false;
	int64_t ver = -1, version = 0;
	char *attrs = NULL;

	if (api_check(r, core_check_thing_name, "thingGroupName", r->label[0]) ||
	    group_props(r, true, &desc, &attrs, &merge) ||
	    api_body_long(r, r->json, "expectedVersion", NULL, 0, INT64_MAX, &ver, &has_ver) ||
	    query_members(r, false, &index, &query, &qv))
		goto out;
	if (svc_dyn_update(r->api->svc, r->label[0], desc, attrs, merge, has_ver ? ver : -1, index,
	        query, qv, &version, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		goto out;
	}
	version_reply(r, version);
out:
	free(attrs);
}

void
api_h_delete_dyn_group(struct api_req *r)
{
	int64_t ver = -1;
	bool has_ver = false;

	if (api_check(r, core_check_thing_name, "thingGroupName", r->label[0]) ||
	    api_query_long(r, "expectedVersion", 0, INT64_MAX, &ver, &has_ver))
		return;
	if (svc_dyn_delete(r->api->svc, r->label[0], has_ver ? ver : -1, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

/* ---- SearchIndex ---------------------------------------------------------- */

struct search_ctx {
	struct jw *w;
	struct api_req *r;
	char last[JD_THING_NAME_MAX + 1];
};

static int
search_row(void *arg, const struct jd_thing *t, const char (*groups)[JD_GROUP_NAME_MAX + 1],
    size_t n_groups)
{
	struct search_ctx *c = arg;

	jw_obj_begin(c->w);
	jw_kstr(c->w, "thingName", t->name);
	jw_kstr(c->w, "thingId", t->id);
	jw_kstr_opt(c->w, "thingTypeName", t->type_name);
	if (n_groups > 0) {
		jw_key(c->w, "thingGroupNames");
		jw_arr_begin(c->w);
		for (size_t i = 0; i < n_groups; i++)
			jw_str(c->w, groups[i]);
		jw_arr_end(c->w);
	}
	jw_key(c->w, "attributes");
	jw_raw(c->w, t->attributes ? t->attributes : "{}");
	jw_obj_end(c->w);
	jd_strlcpy(c->last, t->name, sizeof(c->last));
	return 0;
}

void
api_h_search_index(struct api_req *r)
{
	const char *index = NULL, *query = NULL, *qv = NULL, *token = NULL;
	struct api_cursor cur = {0};
	struct search_ctx c = {0};
	int64_t limit = JD_PAGE_DEFAULT;
	bool more = false;
	struct jw w;

	if (query_members(r, true, &index, &query, &qv) ||
	    api_body_str(r, r->json, "nextToken", NULL, &token) ||
	    api_body_long(r, r->json, "maxResults", NULL, 1, SEARCH_MAX_RESULTS, &limit, NULL))
		return;
	if (token != NULL &&
	    api_token_parse(r->api->svc, API_CURSOR_SEARCH, token, &cur, &r->err) != 0) {
		api_fail_err(r, JD_EINVAL);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_key(&w, "things");
	jw_arr_begin(&w);
	c.w = &w;
	c.r = r;
	if (svc_search(r->api->svc, index, query, qv, cur.key, (int)limit, search_row, &c, &more,
	        &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	jw_arr_end(&w);
	jw_key(&w, "thingGroups");
	jw_arr_begin(&w);
	jw_arr_end(&w);
	if (more) {
		struct api_cursor next = {.kind = API_CURSOR_SEARCH};
		jd_strlcpy(next.key, c.last, sizeof(next.key));
		api_next_token(&w, r, &next);
	}
	jw_obj_end(&w);
}

/* ---- indexing configuration ----------------------------------------------- */

void
api_h_get_indexing(struct api_req *r)
{
	char *things = NULL, *groups = NULL;
	struct jw w;

	if (svc_indexing_get(r->api->svc, &things, &groups, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_key(&w, "thingIndexingConfiguration");
	jw_raw(&w, things);
	jw_key(&w, "thingGroupIndexingConfiguration");
	jw_raw(&w, groups);
	jw_obj_end(&w);
	free(things);
	free(groups);
}

/* An enum member of obj: absent ok unless required; else one of names. */
static int
enum_member(struct api_req *r, json_t *obj, const char *k, const char *path, bool required,
    const char *const *names, const char **out)
{
	const char *v = NULL;

	*out = NULL;
	if (api_body_str(r, obj, k, path, &v))
		return JD_EINVAL;
	if (v == NULL)
		return required ? member_fail(r, path, "not be null") : 0;
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = v;
			return 0;
		}
	return api_fail(r, JD_EINVAL,
	    "1 validation error detected: Value '%.64s' at '%s' failed to satisfy constraint: "
	    "Member must satisfy enum value set",
	    v, path);
}

void
api_h_update_indexing(struct api_req *r)
{
	static const char *const thing_modes[] = {"OFF", "REGISTRY", "REGISTRY_AND_SHADOW", NULL};
	static const char *const conn_modes[] = {"OFF", "STATUS", NULL};
	static const char *const dd_modes[] = {"OFF", "VIOLATIONS", NULL};
	static const char *const on_off[] = {"OFF", "ON", NULL};
	json_t *tc = json_object_get(r->json, "thingIndexingConfiguration");
	json_t *gc = json_object_get(r->json, "thingGroupIndexingConfiguration");
	const char *mode = NULL, *conn = NULL, *dd = NULL, *ns = NULL, *gmode = NULL;
	char *things = NULL, *groups = NULL;

	if (tc != NULL && json_is_null(tc))
		tc = NULL;
	if (gc != NULL && json_is_null(gc))
		gc = NULL;
	if ((tc != NULL && !json_is_object(tc)) || (gc != NULL && !json_is_object(gc))) {
		member_fail(r,
		    tc != NULL && !json_is_object(tc) ? "thingIndexingConfiguration" :
		                                        "thingGroupIndexingConfiguration",
		    "be a structure");
		return;
	}
	if (tc != NULL &&
	    (enum_member(r, tc, "thingIndexingMode", "thingIndexingConfiguration.thingIndexingMode",
	         true, thing_modes, &mode) ||
	        enum_member(r, tc, "thingConnectivityIndexingMode",
	            "thingIndexingConfiguration.thingConnectivityIndexingMode", false, conn_modes,
	            &conn) ||
	        enum_member(r, tc, "deviceDefenderIndexingMode",
	            "thingIndexingConfiguration.deviceDefenderIndexingMode", false, dd_modes,
	            &dd) ||
	        enum_member(r, tc, "namedShadowIndexingMode",
	            "thingIndexingConfiguration.namedShadowIndexingMode", false, on_off, &ns)))
		return;
	if (gc != NULL &&
	    enum_member(r, gc, "thingGroupIndexingMode",
	        "thingGroupIndexingConfiguration.thingGroupIndexingMode", true, on_off, &gmode))
		return;
	if (mode != NULL && strcmp(mode, "OFF") == 0 &&
	    ((conn && strcmp(conn, "OFF") != 0) || (dd && strcmp(dd, "OFF") != 0) ||
	        (ns && strcmp(ns, "OFF") != 0))) {
		api_fail(r, JD_EINVAL,
		    "thingIndexingMode must not be OFF when another thing indexing mode is on");
		return;
	}
	if (tc != NULL) { /* stored normalised: the four modes, absent ones OFF */
		struct buf b = BUF_INIT;
		buf_printf(&b,
		    "{\"thingIndexingMode\":\"%s\",\"thingConnectivityIndexingMode\":\"%s\","
		    "\"deviceDefenderIndexingMode\":\"%s\",\"namedShadowIndexingMode\":\"%s\"}",
		    mode, conn ? conn : "OFF", dd ? dd : "OFF", ns ? ns : "OFF");
		things = buf_steal(&b);
	}
	if (gc != NULL) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "{\"thingGroupIndexingMode\":\"%s\"}", gmode);
		groups = buf_steal(&b);
	}
	if (svc_indexing_put(r->api->svc, things, groups, mode != NULL && strcmp(mode, "OFF") == 0,
	        &r->err) != 0)
		api_fail_err(r, r->err.code);
	else
		r->empty = true;
	free(things);
	free(groups);
}
