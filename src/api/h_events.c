/*
 * h_events.c: REST handlers of the event configuration,
 * UpdateEventConfigurations (PATCH /event-configurations) and
 * DescribeEventConfigurations (GET /event-configurations), shapes from
 * botocore's iot model. Every event type of AWS's enum is accepted and
 * stored; jobsd publishes JOB and JOB_EXECUTION (svc/events.c), the others
 * have nothing in jobsd to report.
 */
#include "api/api_int.h"

#include <string.h>

void
api_h_update_events(struct api_req *r)
{
	json_t *m = json_object_get(r->json, "eventConfigurations");
	uint32_t set = 0, on = 0;
	const char *key;
	json_t *v;

	if (m != NULL && !json_is_null(m) && !json_is_object(m)) {
		api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value at 'eventConfigurations' failed to satisfy "
		    "constraint: Member must be a map");
		return;
	}
	json_object_foreach(m, key, v)
	{
		bool enabled = false;
		int t;
		if (svc_event_type_parse(key, &t) != 0) {
			api_fail(r, JD_EINVAL,
			    "1 validation error detected: Value '%.64s' at 'eventConfigurations' "
			    "failed to satisfy constraint: Map keys must satisfy constraint: [Member "
			    "must satisfy enum value set: [THING, THING_GROUP, THING_TYPE, "
			    "THING_GROUP_MEMBERSHIP, THING_GROUP_HIERARCHY, THING_TYPE_ASSOCIATION, "
			    "JOB, JOB_EXECUTION, POLICY, CERTIFICATE, CA_CERTIFICATE]]",
			    key);
			return;
		}
		if (!json_is_null(v) && !json_is_object(v)) {
			api_fail(r, JD_EINVAL,
			    "1 validation error detected: Value at 'eventConfigurations.%s' failed to "
			    "satisfy constraint: Member must be a structure",
			    key);
			return;
		}
		if (api_body_bool(r, v, "Enabled", "eventConfigurations.Enabled", &enabled) != 0)
			return;
		set |= 1u << t;
		if (enabled)
			on |= 1u << t;
	}
	if (svc_events_update(r->api->svc, set, on, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	{
		struct jw w;
		api_json_begin(r, &w);
		jw_obj_begin(&w);
		jw_obj_end(&w);
	}
}

void
api_h_describe_events(struct api_req *r)
{
	int64_t created = 0, modified = 0;
	uint32_t mask = 0;
	struct jw w;

	if (svc_events_describe(r->api->svc, &mask, &created, &modified, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_key(&w, "eventConfigurations");
	jw_obj_begin(&w);
	for (int t = 0; t < SVC_EV__COUNT; t++) {
		jw_key(&w, svc_event_type_name(t));
		jw_obj_begin(&w);
		jw_kbool(&w, "Enabled", (mask >> t) & 1u);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	if (created != 0) {
		jw_key(&w, "creationDate");
		jw_time_ms(&w, created);
		jw_key(&w, "lastModifiedDate");
		jw_time_ms(&w, modified);
	}
	jw_obj_end(&w);
}
