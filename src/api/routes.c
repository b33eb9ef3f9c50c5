/*
 * routes.c: the REST route table (STYLE habit 11) and the test-rig handlers
 * (D22). Method, plane, path template, handler and operation name; docs and
 * coverage are generated from this table.
 */
#include "api/api_int.h"

#include <string.h>

#define C JD_PLANE_CONTROL
#define D JD_PLANE_DATA

const struct api_route api_routes[] = {
	/* things */
	{API_POST, C, "things/{thingName}", api_h_create_thing, "CreateThing", true, false},
	{API_GET, C, "things/{thingName}", api_h_describe_thing, "DescribeThing", false, false},
	{API_GET, C, "things", api_h_list_things, "ListThings", false, false},
	{API_PATCH, C, "things/{thingName}", api_h_update_thing, "UpdateThing", true, false},
	{API_DELETE, C, "things/{thingName}", api_h_delete_thing, "DeleteThing", false, false},
	/* thing groups */
	{API_PUT, C, "thing-groups/addThingToThingGroup", api_h_add_member, "AddThingToThingGroup", true, false},
	{API_PUT, C, "thing-groups/removeThingFromThingGroup", api_h_remove_member, "RemoveThingFromThingGroup", true, false},
	{API_POST, C, "thing-groups/{thingGroupName}", api_h_create_group, "CreateThingGroup", true, false},
	{API_GET, C, "thing-groups/{thingGroupName}", api_h_describe_group, "DescribeThingGroup", false, false},
	{API_GET, C, "thing-groups", api_h_list_groups, "ListThingGroups", false, false},
	{API_DELETE, C, "thing-groups/{thingGroupName}", api_h_delete_group, "DeleteThingGroup", false, false},
	{API_GET, C, "thing-groups/{thingGroupName}/things", api_h_list_members, "ListThingsInThingGroup", false, false},
	/* jobs */
	{API_PUT, C, "jobs/{jobId}", api_h_create_job, "CreateJob", true, false},
	{API_GET, C, "jobs/{jobId}", api_h_describe_job, "DescribeJob", false, false},
	{API_GET, C, "jobs", api_h_list_jobs, "ListJobs", false, false},
	{API_PATCH, C, "jobs/{jobId}", api_h_update_job, "UpdateJob", true, false},
	{API_PUT, C, "jobs/{jobId}/cancel", api_h_cancel_job, "CancelJob", true, false},
	{API_DELETE, C, "jobs/{jobId}", api_h_delete_job, "DeleteJob", false, false},
	{API_GET, C, "jobs/{jobId}/job-document", api_h_job_document, "GetJobDocument", false, false},
	{API_POST, C, "jobs/{jobId}/targets", api_h_associate, "AssociateTargetsWithJob", true, false},
	/* job templates */
	{API_PUT, C, "job-templates/{jobTemplateId}", api_h_create_template, "CreateJobTemplate", true, false},
	{API_GET, C, "job-templates/{jobTemplateId}", api_h_describe_template, "DescribeJobTemplate", false, false},
	{API_GET, C, "job-templates", api_h_list_templates, "ListJobTemplates", false, false},
	{API_DELETE, C, "job-templates/{jobTemplateId}", api_h_delete_template, "DeleteJobTemplate", false, false},
	/* executions, control plane */
	{API_GET, C, "things/{thingName}/jobs/{jobId}", api_h_describe_exec, "DescribeJobExecution", false, false},
	{API_GET, C, "jobs/{jobId}/things", api_h_list_exec_job, "ListJobExecutionsForJob", false, false},
	{API_GET, C, "things/{thingName}/jobs", api_h_list_exec_thing, "ListJobExecutionsForThing", false, false},
	{API_PUT, C, "things/{thingName}/jobs/{jobId}/cancel", api_h_cancel_exec, "CancelJobExecution", true, false},
	{API_DELETE, C, "things/{thingName}/jobs/{jobId}/executionNumber/{executionNumber}", api_h_delete_exec, "DeleteJobExecution", false, false},
	/* device plane */
	{API_GET, D, "things/{thingName}/jobs", api_h_dev_pending, "GetPendingJobExecutions", false, false},
	{API_PUT, D, "things/{thingName}/jobs/$next", api_h_dev_start_next, "StartNextPendingJobExecution", true, false},
	{API_GET, D, "things/{thingName}/jobs/{jobId}", api_h_dev_describe, "DescribeJobExecution", false, false},
	{API_POST, D, "things/{thingName}/jobs/{jobId}", api_h_dev_update, "UpdateJobExecution", true, false},
	/* test rig (D22), both planes */
	{API_POST, -1, "_jobsd/reset", api_h_rig_reset, "Reset", false, true},
	{API_POST, -1, "moto-api/reset", api_h_rig_reset, "Reset", false, true},
	{API_GET, -1, "_jobsd/clock", api_h_rig_clock_get, "GetClock", false, true},
	{API_POST, -1, "_jobsd/clock", api_h_rig_clock_post, "AdvanceClock", true, true},
	{API_GET, -1, "_jobsd/status", api_h_rig_status, "GetStatus", false, true},
};

const int api_nroutes = (int)(sizeof(api_routes) / sizeof(api_routes[0]));

#undef C
#undef D

void
api_h_rig_reset(struct api_req *r)
{
	if (svc_reset(r->api->svc, &r->err) != 0) {
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

	if (api_body_long(r, r->json, "advanceSeconds", NULL, 0, INT64_C(315360000), &adv, NULL) != 0)
		return;
	clock_advance_ms(r->api->svc->clock, adv * 1000);
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
	jw_kbool(&w, "ready", r->api->cfg.mqtt_ready != NULL && r->api->cfg.mqtt_ready(r->api->cfg.mqtt_arg));
	jw_obj_end(&w);
	jw_obj_end(&w);
}
