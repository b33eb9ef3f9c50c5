/*
 * encode.c: what api/ writes around the shapes: ARNs of the request's
 * region, the thing shape of the registry, the JSON response body and the
 * list responses with their nextToken. The job and execution shapes are
 * shape/'s, shared with MQTT.
 */
#include "api/api_int.h"

#include <string.h>

void
api_arn(struct buf *b, const struct api_req *r, const char *kind, const char *name)
{
	struct shape_opts o = api_shape(r);
	char arn[SHAPE_ARN_MAX];

	buf_append(b, arn, shape_arn(arn, &o, kind, name));
}

void
api_karn(struct jw *w, const struct api_req *r, const char *key, const char *kind, const char *name)
{
	struct shape_opts o = api_shape(r);

	shape_karn(w, &o, key, kind, name);
}

void
api_json_begin(struct api_req *r, struct jw *w)
{
	buf_reset(&r->out);
	jw_init(w, &r->out);
	r->status = 200;
}

void
api_next_token(struct jw *w, struct api_req *r, const struct api_cursor *c)
{
	char token[API_TOKEN_SIZE];

	api_token_make(r->api->svc, c, token, sizeof(token));
	jw_kstr(w, "nextToken", token);
}

int
api_list_begin(struct api_req *r, enum api_cursor_kind kind, struct api_cursor *cur, struct jw *w,
    const char *member)
{
	const char *token = api_query(r, "nextToken");

	memset(cur, 0, sizeof(*cur));
	if (token != NULL && api_token_parse(r->api->svc, kind, token, cur, &r->err) != 0)
		return api_fail_err(r, JD_EINVAL);
	api_json_begin(r, w);
	jw_obj_begin(w);
	jw_key(w, member);
	jw_arr_begin(w);
	return 0;
}

void
api_list_end(struct api_req *r, struct jw *w, bool more, enum api_cursor_kind kind, const char *key,
    int64_t num)
{
	jw_arr_end(w);
	if (more) {
		struct api_cursor next = {.kind = kind, .num = num};
		jd_strlcpy(next.key, key ? key : "", sizeof(next.key));
		api_next_token(w, r, &next);
	}
	jw_obj_end(w);
}

void
api_encode_thing(struct jw *w, const struct api_req *r, const struct jd_thing *thing, bool full)
{
	jw_obj_begin(w);
	if (full)
		jw_kstr(w, "defaultClientId", thing->name);
	jw_kstr(w, "thingName", thing->name);
	if (full)
		jw_kstr(w, "thingId", thing->id);
	api_karn(w, r, "thingArn", "thing", thing->name);
	jw_kstr_opt(w, "thingTypeName", thing->type_name);
	jw_key(w, "attributes");
	jw_raw(w, thing->attributes ? thing->attributes : "{}");
	jw_kint(w, "version", thing->version);
	jw_obj_end(w);
}
