/*
 * scen_basic.c: the foundation scenario, per-execution control and device
 * basics.
 *
 * Set-up runs through the same load engine as the measurements (creating
 * ten thousand things one by one would otherwise dominate the run) and its
 * figures are printed too. Names carry a per-run prefix, so the scenario can
 * be repeated against a server that keeps its database.
 */
#include "bench_scen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* AWS allows at most 100 entries in CreateJob's targets. */
#define JOB_TARGETS_MAX 100
/* Set-up phases get generous but finite time. */
#define SETUP_SECONDS 600.0
#define EXEC_WAIT_SECONDS 60.0
#define ONCE_TIMEOUT_SECONDS 30.0

enum basic_op { OP_CREATE_THING, OP_ADD_TO_GROUP, OP_DESCRIBE, OP_UPDATE, OP_DELETE };

struct basic_src {
	const struct scen_opts *o;
	enum basic_op op;
	char job[128];
	char group[128];
};

static int put(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
put(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

static int
basic_next(void *ctx, uint64_t seq, struct bench_req *req)
{
	struct basic_src *s = ctx;
	const char *pre = s->o->prefix;
	uint64_t t = seq % s->o->things;
	int n = 0;

	switch (s->op) {
	case OP_CREATE_THING:
		if (seq >= s->o->things)
			return 1;
		req->method = "POST";
		n = put(req->path, sizeof(req->path), "/things/%st%" PRIu64, pre, t);
		req->has_body = 1;
		req->body_len = (size_t)put(req->body, sizeof(req->body), "{}");
		break;
	case OP_ADD_TO_GROUP:
		if (seq >= s->o->things)
			return 1;
		req->method = "PUT";
		n = put(req->path, sizeof(req->path), "/thing-groups/addThingToThingGroup");
		req->has_body = 1;
		int b = put(req->body, sizeof(req->body),
		    "{\"thingGroupName\":\"%s\",\"thingName\":\"%st%" PRIu64 "\"}", s->group, pre,
		    t);
		if (b < 0)
			return -1;
		req->body_len = (size_t)b;
		break;
	case OP_DESCRIBE:
		req->method = "GET";
		n = put(req->path, sizeof(req->path), "/things/%st%" PRIu64 "/jobs/%s", pre, t,
		    s->job);
		break;
	case OP_UPDATE:
		req->method = "POST";
		n = put(req->path, sizeof(req->path), "/things/%st%" PRIu64 "/jobs/%s", pre, t,
		    s->job);
		req->has_body = 1;
		req->body_len =
		    (size_t)put(req->body, sizeof(req->body), "{\"status\":\"IN_PROGRESS\"}");
		break;
	case OP_DELETE:
		if (seq >= s->o->things)
			return 1;
		req->method = "DELETE";
		n = put(req->path, sizeof(req->path),
		    "/things/%st%" PRIu64 "/jobs/%s/executionNumber/1?force=true", pre, t, s->job);
		break;
	}
	return n < 0 ? -1 : 0;
}

/* One load phase; returns its error count, or -1 if it could not run. */
static int64_t
phase(const struct scen_opts *o, struct basic_src *s, enum basic_op op,
    const struct bench_addr *addr, const char *name, int setup)
{
	struct bench_source src = {.next = basic_next, .ctx = s};
	struct bench_opts bo;
	struct bench_run run;
	int64_t rc;

	memset(&bo, 0, sizeof(bo));
	bo.addr = *addr;
	bo.connections = o->common.connections;
	bo.threads = o->common.threads;
	if (setup) {
		bo.max_requests = o->things;
		bo.duration_s = SETUP_SECONDS;
		bo.hard_cap_s = SETUP_SECONDS + 30;
	} else {
		bo.max_requests = o->common.requests;
		bo.duration_s = o->common.duration_s;
		bo.hard_cap_s = o->common.hard_cap_s;
	}
	if ((op == OP_DELETE || setup) && (bo.max_requests == 0 || bo.max_requests > o->things))
		bo.max_requests = o->things;
	if (bo.max_requests != 0 && bo.connections > bo.max_requests)
		bo.connections = (unsigned)bo.max_requests;
	s->op = op;
	if (bench_load_run(&bo, &src, &run) != 0) {
		fprintf(stderr, "jdbench: %s: %s\n", name, run.first_error);
		rc = -1;
		goto out;
	}
	scen_print(&run, name, o->common.json);
	rc = (int64_t)run.errors;
out:
	bench_run_free(&run);
	return rc;
}

/* A single set-up request; prints a one-request figure. 0 if it got 2xx. */
static int
once(const struct scen_opts *o, const struct bench_addr *addr, const char *name, const char *method,
    const char *path, const char *body)
{
	struct bench_run run;
	char resp[400];
	uint64_t ns;
	int status, rc = -1;

	memset(&run, 0, sizeof(run));
	bench_lat_init(&run.lat);
	if (bench_request_once(addr, method, path, body, ONCE_TIMEOUT_SECONDS, &status, &ns, resp,
	        sizeof(resp)) != 0) {
		fprintf(stderr, "jdbench: %s %s: %s\n", method, path, resp);
		goto out;
	}
	bench_lat_add(&run.lat, ns);
	run.requests = 1;
	run.seconds = (double)ns / 1e9;
	if (status < 200 || status > 299) {
		run.errors = 1;
		run.by_class[status / 100 <= 5 ? status / 100 : 5]++;
		snprintf(run.first_error, sizeof(run.first_error), "HTTP %d: %.300s", status, resp);
	}
	scen_print(&run, name, o->common.json);
	rc = run.errors == 0 ? 0 : -1;
out:
	bench_lat_free(&run.lat);
	return rc;
}

/* Build CreateJob's body; the caller frees it. */
static char *
job_body(const struct scen_opts *o, const struct basic_src *s)
{
	size_t size = 256 +
	    (size_t)(o->things <= JOB_TARGETS_MAX ? o->things : 1) * (strlen(o->prefix) + 128);
	char *body = malloc(size);
	size_t off = 0;
	int n;

	if (body == NULL) {
		fprintf(stderr, "jdbench: out of memory\n");
		abort();
	}
	off += (size_t)snprintf(body, size, "{\"targets\":[");
	if (o->things <= JOB_TARGETS_MAX) {
		for (unsigned i = 0; i < o->things; i++) {
			n = snprintf(body + off, size - off, "%s\"arn:aws:iot:%s:%s:thing/%st%u\"",
			    i > 0 ? "," : "", o->region, o->account, o->prefix, i);
			off += (size_t)n;
		}
	} else {
		n = snprintf(body + off, size - off, "\"arn:aws:iot:%s:%s:thinggroup/%s\"",
		    o->region, o->account, s->group);
		off += (size_t)n;
	}
	snprintf(body + off, size - off, "],\"document\":\"{\\\"op\\\":\\\"x\\\"}\"}");
	return body;
}

/*
 * Executions over a group may be created after CreateJob returns; wait
 * (bounded) until the first and last things have theirs.
 */
static int
wait_executions(const struct scen_opts *o, const struct basic_src *s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(EXEC_WAIT_SECONDS * 1e9);
	unsigned probe[2] = {0, o->things - 1};
	struct timespec pause = {0, 10 * 1000 * 1000};
	char path[BENCH_PATH_MAX], resp[400];
	int status = 0;
	uint64_t ns;

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/things/%st%u/jobs/%s", o->prefix, probe[i], s->job);
		for (;;) {
			if (bench_request_once(&o->control, "GET", path, NULL, ONCE_TIMEOUT_SECONDS,
			        &status, &ns, resp, sizeof(resp)) == 0 &&
			    status == 200)
				break;
			if (bench_now_ns() >= deadline) {
				fprintf(stderr,
				    "jdbench: no execution for %s after %.0fs (HTTP %d: %s)\n",
				    path, EXEC_WAIT_SECONDS, status, resp);
				return -1;
			}
			nanosleep(&pause, NULL);
		}
	}
	return 0;
}

int
scen_basic_run(const struct scen_opts *o)
{
	struct basic_src s;
	char path[BENCH_PATH_MAX];
	char *body = NULL;
	int64_t e;
	int rc = 2, measured_errors = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	snprintf(s.job, sizeof(s.job), "%sjob", o->prefix);
	snprintf(s.group, sizeof(s.group), "%sg", o->prefix);

	if (phase(o, &s, OP_CREATE_THING, &o->control, "CreateThing", 1) != 0)
		goto out;
	if (o->things > JOB_TARGETS_MAX) {
		snprintf(path, sizeof(path), "/thing-groups/%s", s.group);
		if (once(o, &o->control, "CreateThingGroup", "POST", path, "{}") != 0)
			goto out;
		if (phase(o, &s, OP_ADD_TO_GROUP, &o->control, "AddThingToThingGroup", 1) != 0)
			goto out;
	}
	body = job_body(o, &s);
	snprintf(path, sizeof(path), "/jobs/%s", s.job);
	if (once(o, &o->control, "CreateJob", "PUT", path, body) != 0)
		goto out;
	if (wait_executions(o, &s) != 0)
		goto out;

	e = phase(o, &s, OP_DESCRIBE, &o->control, "DescribeJobExecution", 0);
	if (e < 0)
		goto out;
	measured_errors |= e > 0;
	e = phase(o, &s, OP_UPDATE, &o->data, "UpdateJobExecution", 0);
	if (e < 0)
		goto out;
	measured_errors |= e > 0;
	e = phase(o, &s, OP_DELETE, &o->control, "DeleteJobExecution", 0);
	if (e < 0)
		goto out;
	measured_errors |= e > 0;
	rc = measured_errors ? 1 : 0;
out:
	free(body);
	return rc;
}
