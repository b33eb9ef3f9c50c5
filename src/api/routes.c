/*
 * routes.c: the REST route table and the handlers of the test-rig routes
 * (reset, the virtual clock, status; served only with --test-rig, on the
 * control listener only, and with auth on only to a key the credentials
 * file marks admin: http.c checks both, D26).
 *
 * Each route names its method, its plane (the control listener, the data
 * listener or both), its path template, its handler and its AWS operation
 * name, and says whether it takes a JSON body. http.c dispatches from this
 * table and names the operation in logs, errors and throttling;
 * tests/unit/auth/test_throttle.c checks that every operation here has a
 * throttle bucket; bench/count-instructions.sh reads it to name handlers. The
 * operation list in docs/operations.md is written by hand: update it with
 * this table.
 */
#include "api/api_int.h"

#include <string.h>

/* Both listeners (the control and the data plane). */
#define BOTH_PLANES (-1)

/* A table: one route in two lines (clang-format would put each designated
 * initialiser on a line of its own). */
/* clang-format off */
const struct api_route api_routes[] = {
	/* things */
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}",
	    .fn = api_h_create_thing, .name = "CreateThing", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}",
	    .fn = api_h_describe_thing, .name = "DescribeThing"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "things",
	    .fn = api_h_list_things, .name = "ListThings"},
	{.method = API_PATCH, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}",
	    .fn = api_h_update_thing, .name = "UpdateThing", .has_body = true},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}",
	    .fn = api_h_delete_thing, .name = "DeleteThing"},
	/* thing groups */
	{.method = API_PUT, .plane = JD_PLANE_CONTROL, .path = "thing-groups/addThingToThingGroup",
	    .fn = api_h_add_member, .name = "AddThingToThingGroup", .has_body = true},
	{.method = API_PUT, .plane = JD_PLANE_CONTROL,
	    .path = "thing-groups/removeThingFromThingGroup",
	    .fn = api_h_remove_member, .name = "RemoveThingFromThingGroup", .has_body = true},
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "thing-groups/{thingGroupName}",
	    .fn = api_h_create_group, .name = "CreateThingGroup", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "thing-groups/{thingGroupName}",
	    .fn = api_h_describe_group, .name = "DescribeThingGroup"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "thing-groups",
	    .fn = api_h_list_groups, .name = "ListThingGroups"},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL, .path = "thing-groups/{thingGroupName}",
	    .fn = api_h_delete_group, .name = "DeleteThingGroup"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL,
	    .path = "thing-groups/{thingGroupName}/things",
	    .fn = api_h_list_members, .name = "ListThingsInThingGroup"},
	/* thing types */
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "thing-types/{thingTypeName}",
	    .fn = api_h_create_thing_type, .name = "CreateThingType", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "thing-types/{thingTypeName}",
	    .fn = api_h_describe_thing_type, .name = "DescribeThingType"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "thing-types",
	    .fn = api_h_list_thing_types, .name = "ListThingTypes"},
	{.method = API_POST, .plane = JD_PLANE_CONTROL,
	    .path = "thing-types/{thingTypeName}/deprecate",
	    .fn = api_h_deprecate_thing_type, .name = "DeprecateThingType", .has_body = true},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL, .path = "thing-types/{thingTypeName}",
	    .fn = api_h_delete_thing_type, .name = "DeleteThingType"},
	/* tags, endpoint */
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "tags",
	    .fn = api_h_tag_resource, .name = "TagResource", .has_body = true},
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "untag",
	    .fn = api_h_untag_resource, .name = "UntagResource", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "tags",
	    .fn = api_h_list_tags, .name = "ListTagsForResource"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "endpoint",
	    .fn = api_h_describe_endpoint, .name = "DescribeEndpoint"},
	/* thing-group management, dynamic groups, the fleet index (issue 12) */
	{.method = API_PUT, .plane = JD_PLANE_CONTROL,
	    .path = "thing-groups/updateThingGroupsForThing",
	    .fn = api_h_update_groups_for_thing, .name = "UpdateThingGroupsForThing", .has_body = true},
	{.method = API_PATCH, .plane = JD_PLANE_CONTROL, .path = "thing-groups/{thingGroupName}",
	    .fn = api_h_update_group, .name = "UpdateThingGroup", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}/thing-groups",
	    .fn = api_h_list_groups_for_thing, .name = "ListThingGroupsForThing"},
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "dynamic-thing-groups/{thingGroupName}",
	    .fn = api_h_create_dyn_group, .name = "CreateDynamicThingGroup", .has_body = true},
	{.method = API_PATCH, .plane = JD_PLANE_CONTROL, .path = "dynamic-thing-groups/{thingGroupName}",
	    .fn = api_h_update_dyn_group, .name = "UpdateDynamicThingGroup", .has_body = true},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL, .path = "dynamic-thing-groups/{thingGroupName}",
	    .fn = api_h_delete_dyn_group, .name = "DeleteDynamicThingGroup"},
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "indices/search",
	    .fn = api_h_search_index, .name = "SearchIndex", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "indexing/config",
	    .fn = api_h_get_indexing, .name = "GetIndexingConfiguration"},
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "indexing/config",
	    .fn = api_h_update_indexing, .name = "UpdateIndexingConfiguration", .has_body = true},
	/* jobs */
	{.method = API_PUT, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}",
	    .fn = api_h_create_job, .name = "CreateJob", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}",
	    .fn = api_h_describe_job, .name = "DescribeJob"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "jobs",
	    .fn = api_h_list_jobs, .name = "ListJobs"},
	{.method = API_PATCH, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}",
	    .fn = api_h_update_job, .name = "UpdateJob", .has_body = true},
	{.method = API_PUT, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}/cancel",
	    .fn = api_h_cancel_job, .name = "CancelJob", .has_body = true},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}",
	    .fn = api_h_delete_job, .name = "DeleteJob"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}/job-document",
	    .fn = api_h_job_document, .name = "GetJobDocument"},
	{.method = API_POST, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}/targets",
	    .fn = api_h_associate, .name = "AssociateTargetsWithJob", .has_body = true},
	/* job templates */
	{.method = API_PUT, .plane = JD_PLANE_CONTROL, .path = "job-templates/{jobTemplateId}",
	    .fn = api_h_create_template, .name = "CreateJobTemplate", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "job-templates/{jobTemplateId}",
	    .fn = api_h_describe_template, .name = "DescribeJobTemplate"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "job-templates",
	    .fn = api_h_list_templates, .name = "ListJobTemplates"},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL, .path = "job-templates/{jobTemplateId}",
	    .fn = api_h_delete_template, .name = "DeleteJobTemplate"},
	/* executions, control plane */
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}/jobs/{jobId}",
	    .fn = api_h_describe_exec, .name = "DescribeJobExecution"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "jobs/{jobId}/things",
	    .fn = api_h_list_exec_job, .name = "ListJobExecutionsForJob"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "things/{thingName}/jobs",
	    .fn = api_h_list_exec_thing, .name = "ListJobExecutionsForThing"},
	{.method = API_PUT, .plane = JD_PLANE_CONTROL,
	    .path = "things/{thingName}/jobs/{jobId}/cancel",
	    .fn = api_h_cancel_exec, .name = "CancelJobExecution", .has_body = true},
	{.method = API_DELETE, .plane = JD_PLANE_CONTROL,
	    .path = "things/{thingName}/jobs/{jobId}/executionNumber/{executionNumber}",
	    .fn = api_h_delete_exec, .name = "DeleteJobExecution"},
	/* device plane */
	{.method = API_GET, .plane = JD_PLANE_DATA, .path = "things/{thingName}/jobs",
	    .fn = api_h_dev_pending, .name = "GetPendingJobExecutions"},
	{.method = API_PUT, .plane = JD_PLANE_DATA, .path = "things/{thingName}/jobs/$next",
	    .fn = api_h_dev_start_next, .name = "StartNextPendingJobExecution", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_DATA, .path = "things/{thingName}/jobs/{jobId}",
	    .fn = api_h_dev_describe, .name = "DescribeJobExecution"},
	{.method = API_POST, .plane = JD_PLANE_DATA, .path = "things/{thingName}/jobs/{jobId}",
	    .fn = api_h_dev_update, .name = "UpdateJobExecution", .has_body = true},
	/* jobs events and managed job templates (h_events.c, h_managed.c) */
	{.method = API_PATCH, .plane = JD_PLANE_CONTROL, .path = "event-configurations",
	    .fn = api_h_update_events, .name = "UpdateEventConfigurations", .has_body = true},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "event-configurations",
	    .fn = api_h_describe_events, .name = "DescribeEventConfigurations"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "managed-job-templates",
	    .fn = api_h_list_managed, .name = "ListManagedJobTemplates"},
	{.method = API_GET, .plane = JD_PLANE_CONTROL, .path = "managed-job-templates/{templateName}",
	    .fn = api_h_describe_managed, .name = "DescribeManagedJobTemplate"},
	/* test rig (--test-rig only): the control listener, either signed scope */
	{.method = API_POST, .plane = BOTH_PLANES, .path = "_jobsd/reset",
	    .fn = api_h_rig_reset, .name = "Reset", .rig = true},
	{.method = API_POST, .plane = BOTH_PLANES, .path = "moto-api/reset",
	    .fn = api_h_rig_reset, .name = "Reset", .rig = true},
	{.method = API_GET, .plane = BOTH_PLANES, .path = "_jobsd/clock",
	    .fn = api_h_rig_clock_get, .name = "GetClock", .rig = true},
	{.method = API_POST, .plane = BOTH_PLANES, .path = "_jobsd/clock",
	    .fn = api_h_rig_clock_post, .name = "AdvanceClock", .has_body = true, .rig = true},
	{.method = API_GET, .plane = BOTH_PLANES, .path = "_jobsd/status",
	    .fn = api_h_rig_status, .name = "GetStatus", .rig = true},
};
/* clang-format on */

const int api_nroutes = (int)(sizeof(api_routes) / sizeof(api_routes[0]));

#undef BOTH_PLANES

void
api_h_rig_reset(struct api_req *r)
{
	/* the clock returns to real time with the wipe: no row is left in its future */
	if (svc_rig_reset(r->api->svc, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	r->empty = true;
}

void
api_h_rig_clock_get(struct api_req *r)
{
	struct jw w;

	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kint(&w, "now", svc_now(r->api->svc));
	jw_kbool(&w, "virtual", r->api->svc->clock->is_virtual);
	jw_obj_end(&w);
}

void
api_h_rig_clock_post(struct api_req *r)
{
	int64_t adv = 0;
	int fired = 0;
	struct jw w;

	if (api_body_long(r, r->json, "advanceSeconds", NULL, 0, INT64_C(315360000), &adv, NULL) !=
	    0)
		return;
	/* recorded in the store before it takes effect, so that a restart
	 * resumes the clock instead of moving it back under the stored times */
	if (svc_clock_advance(r->api->svc, adv * 1000, &r->err) != 0) {
		api_fail_err(r, r->err.code);
		return;
	}
	/* Run everything that became due before answering, so tests see it at
	 * once (D17): passes are batched, so repeat until one fires nothing. */
	for (int pass = 0; pass < 100000; pass++) {
		int n = 0;
		if (svc_timers_run(r->api->svc, &n, &r->err) != 0) {
			api_fail_err(r, r->err.code);
			return;
		}
		fired += n;
		if (n == 0)
			break;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kint(&w, "now", svc_now(r->api->svc));
	jw_kint(&w, "timersFired", fired);
	jw_obj_end(&w);
}

void
api_h_rig_status(struct api_req *r)
{
	struct jw w;

	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_key(&w, "mqtt");
	jw_obj_begin(&w);
	jw_kbool(&w, "enabled", r->api->cfg.mqtt_ready != NULL);
	jw_kbool(&w, "ready",
	    r->api->cfg.mqtt_ready != NULL && r->api->cfg.mqtt_ready(r->api->cfg.mqtt_arg));
	jw_obj_end(&w);
	jw_obj_end(&w);
}
