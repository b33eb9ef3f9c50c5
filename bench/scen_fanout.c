/*
 * scen_fanout.c: fanout-under-load (issue 15): device writes while a job
 * fans out over a large group. The set-up makes N things, a group of them
 * and job <p>j0 over it (waited for until all N are queued). Then C
 * connections send device-http UpdateJobExecution IN_PROGRESS for job 0,
 * one per thing, for the measured duration, while a second thread, half a
 * second in, creates job <p>fanload over the same group and polls
 * DescribeJob until it counts N queued. The updates' p99 and their 503s
 * are the figures the acceptance judges (p99 < 50 ms, no 503), with the
 * fan-out's time (< 3 s on SQLite).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scen_fanout.h"

#define FANLOAD_WAIT_SECONDS 120.0
#define FANLOAD_RESP_MAX 65536

struct fanload {
	const struct scen_opts *o;
	const char *group;
	double seconds; /* CreateJob to all N queued; 0 if never */
	double create_ms;
	int64_t queued;
	int failed;
};

static void *
fanload_main(void *arg)
{
	struct fanload *f = arg;
	const struct scen_opts *o = f->o;
	struct timespec half = {0, 500 * 1000 * 1000}, pause = {0, 20 * 1000 * 1000};
	char path[256], body[512], *resp = malloc(FANLOAD_RESP_MAX);
	uint64_t t0, ns = 0;
	int status = 0;

	if (resp == NULL)
		abort();
	nanosleep(&half, NULL);
	snprintf(path, sizeof(path), "/jobs/%sfanload", o->prefix);
	snprintf(body, sizeof(body),
	    "{\"targets\":[\"arn:aws:iot:%s:%s:thinggroup/%s\"],"
	    "\"document\":\"{\\\"op\\\":\\\"fan\\\"}\"}",
	    o->region, o->account, f->group);
	t0 = bench_now_ns();
	if (bench_request_once(&o->control, "PUT", path, body, FANLOAD_WAIT_SECONDS, &status, &ns,
	        resp, FANLOAD_RESP_MAX) != 0 ||
	    status != 200) {
		fprintf(stderr, "jdbench: fanout-under-load: CreateJob: %d %.300s\n", status, resp);
		f->failed = 1;
		goto out;
	}
	f->create_ms = (double)ns / 1e6;
	for (;;) {
		int64_t have = 0;
		if (bench_request_once(&o->control, "GET", path, NULL, 60, &status, &ns, resp,
		        FANLOAD_RESP_MAX) == 0 &&
		    status == 200)
			scen_json_int(resp, "numberOfQueuedThings", &have);
		f->queued = have;
		if ((uint64_t)have >= o->things) {
			f->seconds = (double)(bench_now_ns() - t0) / 1e9;
			break;
		}
		if ((double)(bench_now_ns() - t0) / 1e9 > FANLOAD_WAIT_SECONDS) {
			f->failed = 1;
			break;
		}
		nanosleep(&pause, NULL);
	}
out:
	free(resp);
	return NULL;
}

int
scen_fanout_load_run(const struct scen_opts *o)
{
	struct scen_src s;
	struct fanload f;
	struct bench_opts bo;
	struct bench_source src = {.next = scen_src_next, .ctx = &s};
	struct bench_run run;
	pthread_t th;
	char path[256];
	int rc = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.n = o->things;
	snprintf(s.group, sizeof(s.group), "%sgload", o->prefix);
	if (scen_phase(o, &s, SOP_CREATE_THING, &o->control, "CreateThing", o->things, 1) != 0)
		return 2;
	snprintf(path, sizeof(path), "/thing-groups/%s", s.group);
	if (scen_once(o, &o->control, "CreateThingGroup", "POST", path, "{}", NULL, 0) != 0)
		return 2;
	if (scen_phase(o, &s, SOP_ADD_TO_GROUP, &o->control, "AddThingToThingGroup", o->things,
	        1) != 0)
		return 2;
	{
		struct scen_opts one = *o;
		one.jobs = 1;
		s.o = &one;
		if (scen_phase(&one, &s, SOP_CREATE_GJOB, &o->control, "CreateJob-group", 1, 1) !=
		    0)
			return 2;
		s.o = o;
	}
	snprintf(path, sizeof(path), "%sj0", o->prefix);
	if (scen_wait_count(o, path, "numberOfQueuedThings", o->things, FANLOAD_WAIT_SECONDS) != 0)
		return 2;

	memset(&f, 0, sizeof(f));
	f.o = o;
	f.group = s.group;
	memset(&bo, 0, sizeof(bo));
	bo.addr = o->data;
	bo.connections = o->common.connections;
	bo.threads = o->common.threads;
	bo.max_requests = o->things;
	bo.duration_s = o->common.duration_s;
	bo.hard_cap_s = o->common.hard_cap_s;
	s.op = SOP_UPDATE_IN_PROGRESS;
	s.round = 0;
	if (pthread_create(&th, NULL, fanload_main, &f) != 0)
		return 2;
	memset(&run, 0, sizeof(run));
	if (bench_load_run(&bo, &src, &run) != 0) {
		fprintf(stderr, "jdbench: fanout-under-load: %s\n", run.first_error);
		rc = 2;
	} else {
		scen_print(&run, "UpdateJobExecution-during-fanout", o->common.json);
		printf("op=fanout-under-load status_5xx=%" PRIu64 " p99_ms=%.3f\n", run.by_class[5],
		    (double)bench_lat_pct(&run.lat, 99) / 1e6);
		rc = run.errors > 0 ? 1 : 0;
	}
	pthread_join(th, NULL);
	bench_run_free(&run);
	printf("op=FanoutUnderLoad-%u create_ms=%.3f fanout_s=%.3f queued=%" PRId64 "%s\n",
	    o->things, f.create_ms, f.seconds, f.queued, f.failed ? " failed=1" : "");
	return rc != 0 ? rc : f.failed;
}
