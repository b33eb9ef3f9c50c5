/*
 * scen_ctl.c: the HTTP scenarios control-read, control-write, device-http
 * and fanout. Names carry the run's prefix; see bench/README.md for what
 * each one creates and measures.
 */
#include "bench_scen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXEC_WAIT_SECONDS 120.0
/* fanout: how long to wait for the last execution of one size. */
#define FANOUT_WAIT_SECONDS 600.0
#define FANOUT_RESP_MAX 65536

static void
src_init(struct scen_src *s, const struct scen_opts *o, const char *group_suffix)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->n = o->things;
	snprintf(s->group, sizeof(s->group), "%sg%s", o->prefix, group_suffix);
}

/* Things, then J jobs each over 100 of them; waits until they are queued. */
static int
setup_jobs(const struct scen_opts *o, struct scen_src *s)
{
	unsigned k = scen_targets_per_job(o->things);
	char path[BENCH_PATH_MAX];

	/* Targets are thing ARNs (100 a job): no group needed. */
	s->n = o->things;
	if (scen_phase(o, s, SOP_CREATE_THING, &o->control, "CreateThing", o->things, 1) != 0)
		return -1;
	if (scen_phase(o, s, SOP_CREATE_JOB, &o->control, "CreateJob", o->jobs, 1) != 0)
		return -1;
	/*
	 * Executions may be created after CreateJob answers: wait until the last
	 * job's first and last executions can be described. (Not the queued
	 * count: moto's DescribeJob does not count.)
	 */
	for (unsigned i = 0; i < 2; i++) {
		unsigned jj, t;
		scen_pair(o->things, (uint64_t)(o->jobs - 1) * k + (i == 0 ? 0 : k - 1), &jj, &t);
		snprintf(path, sizeof(path), "/things/%st%u/jobs/%sj%u", o->prefix, t, o->prefix,
		    jj);
		if (scen_wait_ok(o, path, EXEC_WAIT_SECONDS) != 0)
			return -1;
	}
	return 0;
}

static int
measured(int64_t e, int *any_errors)
{
	if (e < 0)
		return -1;
	if (e > 0)
		*any_errors = 1;
	return 0;
}

int
scen_control_read_run(const struct scen_opts *o)
{
	struct scen_src s;
	int errs = 0;

	src_init(&s, o, "");
	if (setup_jobs(o, &s) != 0)
		return 2;
	if (measured(scen_phase(o, &s, SOP_DESCRIBE_JOB, &o->control, "DescribeJob", 0, 0),
	        &errs) != 0 ||
	    measured(
	        scen_phase(o, &s, SOP_DESCRIBE_EXEC, &o->control, "DescribeJobExecution", 0, 0),
	        &errs) != 0 ||
	    measured(scen_phase(o, &s, SOP_DESCRIBE_THING, &o->control, "DescribeThing", 0, 0),
	        &errs) != 0 ||
	    measured(
	        scen_phase(o, &s, SOP_LIST_EXEC_JOB, &o->control, "ListJobExecutionsForJob", 0, 0),
	        &errs) != 0)
		return 2;
	return errs ? 1 : 0;
}

int
scen_control_write_run(const struct scen_opts *o)
{
	struct scen_src s;
	uint64_t pairs = (uint64_t)o->jobs * scen_targets_per_job(o->things);
	int errs = 0;

	src_init(&s, o, "");
	if (setup_jobs(o, &s) != 0)
		return 2;
	/* Each execution once: cancel it, then delete it (terminal: no force). */
	if (measured(
	        scen_phase(o, &s, SOP_CANCEL_EXEC, &o->control, "CancelJobExecution", pairs, 0),
	        &errs) != 0 ||
	    measured(
	        scen_phase(o, &s, SOP_DELETE_EXEC, &o->control, "DeleteJobExecution", pairs, 0),
	        &errs) != 0)
		return 2;
	return errs ? 1 : 0;
}

int
scen_device_http_run(const struct scen_opts *o)
{
	struct scen_src s;
	char job[160];
	double total_s = 0;
	uint64_t done = 0;
	int errs = 0;

	src_init(&s, o, "");
	/* Every job targets every device: through the group when > 100. */
	if (scen_setup_things(o, &s, o->things, 0) != 0)
		return 2;
	if (scen_phase(o, &s, o->things > SCEN_JOB_TARGETS_MAX ? SOP_CREATE_GJOB : SOP_CREATE_JOB,
	        &o->control, "CreateJob", o->jobs, 1) != 0)
		return 2;
	snprintf(job, sizeof(job), "%sj%u", o->prefix, o->jobs - 1);
	if (scen_wait_count(o, job, "numberOfQueuedThings", o->things, EXEC_WAIT_SECONDS) != 0)
		return 2;

	for (unsigned r = 0; r < o->jobs; r++) {
		static const struct {
			enum scen_op op;
			const char *name;
		} steps[] = {
		    {SOP_START_NEXT, "StartNextPendingJobExecution"},
		    {SOP_UPDATE_IN_PROGRESS, "UpdateJobExecution-IN_PROGRESS"},
		    {SOP_UPDATE_SUCCEEDED, "UpdateJobExecution-SUCCEEDED"},
		};
		uint64_t t0 = bench_now_ns();
		s.round = r;
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
			if (measured(scen_phase(o, &s, steps[i].op, &o->data, steps[i].name,
			                 o->things, 0),
			        &errs) != 0)
				return 2;
		total_s += (double)(bench_now_ns() - t0) / 1e9;
		done += o->things;
	}
	/*
	 * Executions taken from QUEUED to SUCCEEDED per second over the three
	 * phases (one phase at a time, so this is a lower bound of a mixed load).
	 */
	scen_print_figure("DeviceExecutionsHttp", done, errs ? 1 : 0, total_s, 0, 0, 0,
	    o->common.json);
	return errs ? 1 : 0;
}

/* One fanout size: its group, CreateJob, and the time until all are queued. */
static int
fanout_one(const struct scen_opts *o, unsigned n, unsigned already)
{
	struct scen_src s;
	char path[BENCH_PATH_MAX], name[96], job[160];
	char *body = NULL, *resp = NULL;
	int64_t have = 0;
	uint64_t t0, t_half = 0, t_99 = 0, t_all = 0, deadline, create_ns = 0;
	uint64_t want_half = (n + 1) / 2, want_99 = ((uint64_t)n * 99 + 99) / 100;
	struct timespec pause = {0, 5 * 1000 * 1000};
	int status = 0, rc = -1;
	unsigned polls = 0;

	char suffix[32];
	snprintf(suffix, sizeof(suffix), "%u", n);
	src_init(&s, o, suffix);
	/* Things 0..already-1 exist from a smaller size: create the rest. */
	s.n = n;
	if (already < n) {
		s.first = already;
		snprintf(name, sizeof(name), "CreateThing-%u-%u", already, n - 1);
		if (scen_phase(o, &s, SOP_CREATE_THING, &o->control, name, n - already, 1) != 0)
			return -1;
		s.first = 0;
	}
	snprintf(path, sizeof(path), "/thing-groups/%s", s.group);
	if (scen_once(o, &o->control, "CreateThingGroup", "POST", path, "{}", NULL, 0) != 0)
		return -1;
	snprintf(name, sizeof(name), "AddThingToThingGroup-%u", n);
	if (scen_phase(o, &s, SOP_ADD_TO_GROUP, &o->control, name, n, 1) != 0)
		return -1;

	snprintf(job, sizeof(job), "%sfan%u", o->prefix, n);
	body = malloc(1024);
	resp = malloc(FANOUT_RESP_MAX);
	if (body == NULL || resp == NULL)
		abort();
	snprintf(body, 1024,
	    "{\"targets\":[\"arn:aws:iot:%s:%s:thinggroup/%s\"],"
	    "\"document\":\"{\\\"op\\\":\\\"fan\\\"}\"}",
	    o->region, o->account, s.group);
	snprintf(path, sizeof(path), "/jobs/%s", job);
	t0 = bench_now_ns();
	deadline = t0 + (uint64_t)(FANOUT_WAIT_SECONDS * 1e9);
	if (bench_request_once(&o->control, "PUT", path, body, FANOUT_WAIT_SECONDS, &status,
	        &create_ns, resp, FANOUT_RESP_MAX) != 0 ||
	    status != 200) {
		fprintf(stderr, "jdbench: CreateJob over %u things: %s%d: %.300s\n", n,
		    status ? "HTTP " : "", status, resp);
		goto out;
	}
	snprintf(name, sizeof(name), "CreateJob-group-%u", n);
	scen_print_figure(name, 1, 0, (double)create_ns / 1e9, create_ns, create_ns, create_ns,
	    o->common.json);
	/* Poll DescribeJob; note when half, 99% and all executions are queued. */
	for (;;) {
		uint64_t ns, now;
		polls++;
		if (bench_request_once(&o->control, "GET", path, NULL, 60, &status, &ns, resp,
		        FANOUT_RESP_MAX) == 0 &&
		    status == 200)
			scen_json_int(resp, "numberOfQueuedThings", &have);
		now = bench_now_ns();
		if (t_half == 0 && (uint64_t)have >= want_half)
			t_half = now;
		if (t_99 == 0 && (uint64_t)have >= want_99)
			t_99 = now;
		if ((uint64_t)have >= n) {
			t_all = now;
			break;
		}
		if (now >= deadline) {
			fprintf(stderr, "jdbench: fanout %u: only %" PRId64 " queued after %.0fs\n",
			    n, have, FANOUT_WAIT_SECONDS);
			break;
		}
		nanosleep(&pause, NULL);
	}
	{
		uint64_t end = t_all != 0 ? t_all : bench_now_ns();
		uint64_t queued = have > 0 ? (uint64_t)have : 0;
		snprintf(name, sizeof(name), "FanoutQueued-%u", n);
		/*
		 * requests = executions queued, rps = executions queued per second;
		 * p50/p99/max = time from CreateJob until half, 99% and all were
		 * queued (as seen by the polling, every 5 ms or so).
		 */
		scen_print_figure(name, queued, queued >= n ? 0 : n - queued,
		    (double)(end - t0) / 1e9, t_half ? t_half - t0 : 0, t_99 ? t_99 - t0 : 0,
		    t_all ? t_all - t0 : 0, o->common.json);
		fprintf(stderr, "jdbench: fanout %u: %u DescribeJob polls\n", n, polls);
	}
	rc = t_all != 0 ? 0 : 1;
	/*
	 * --jobs J > 1: J - 1 more jobs over the same group, each waited for
	 * until queued, so that N * J executions are stored (the RSS figure
	 * with a large store: run-scenario.sh reports the peak).
	 */
	if (rc == 0 && o->jobs > 1) {
		uint64_t tm = bench_now_ns();
		unsigned made = 0;
		for (unsigned k = 1; k < o->jobs && rc == 0; k++) {
			snprintf(path, sizeof(path), "/jobs/%sfan%u-%u", o->prefix, n, k);
			if (bench_request_once(&o->control, "PUT", path, body, FANOUT_WAIT_SECONDS,
			        &status, &create_ns, resp, FANOUT_RESP_MAX) != 0 ||
			    status != 200) {
				fprintf(stderr, "jdbench: CreateJob %s: %s%d: %.300s\n", path,
				    status ? "HTTP " : "", status, resp);
				rc = 1;
				break;
			}
			deadline = bench_now_ns() + (uint64_t)(FANOUT_WAIT_SECONDS * 1e9);
			for (have = 0;;) {
				uint64_t ns;
				if (bench_request_once(&o->control, "GET", path, NULL, 60, &status,
				        &ns, resp, FANOUT_RESP_MAX) == 0 &&
				    status == 200)
					scen_json_int(resp, "numberOfQueuedThings", &have);
				if ((uint64_t)have >= n)
					break;
				if (bench_now_ns() >= deadline) {
					rc = 1;
					break;
				}
				nanosleep(&pause, NULL);
			}
			made += rc == 0;
		}
		snprintf(name, sizeof(name), "FanoutMoreJobs-%u", n);
		/* requests = executions queued by the extra jobs */
		scen_print_figure(name, (uint64_t)made * n, o->jobs - 1 - made,
		    (double)(bench_now_ns() - tm) / 1e9, 0, 0, 0, o->common.json);
		fprintf(stderr, "jdbench: fanout %u: %llu executions stored\n", n,
		    (unsigned long long)(made + 1) * n);
	}
out:
	free(body);
	free(resp);
	return rc;
}

int
scen_fanout_run(const struct scen_opts *o)
{
	unsigned made = 0;
	int errs = 0;

	for (unsigned i = 0; i < o->nsizes; i++) {
		int rc = fanout_one(o, o->sizes[i], made);
		if (rc < 0)
			return 2;
		errs |= rc;
		if (o->sizes[i] > made)
			made = o->sizes[i];
	}
	return errs ? 1 : 0;
}
