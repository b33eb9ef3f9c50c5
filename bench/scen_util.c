/*
 * scen_util.c: what the HTTP scenarios share: one request source over the
 * scenario's names (things <p>t<i>, jobs <p>j<i>, groups), phases, one-off
 * requests, a minimal JSON field reader and DescribeJob polling.
 */
#include "bench_scen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set-up phases get generous but finite time. */
#define SETUP_SECONDS 900.0
#define ONCE_TIMEOUT_SECONDS 60.0
#define POLL_RESP_MAX 65536

int
scen_put(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Position just after `"key"` followed by optional blanks and ':'. */
static const char *
json_after_key(const char *json, const char *key)
{
	size_t kl = strlen(key);
	const char *p = json;

	while ((p = strchr(p, '"')) != NULL) {
		if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '"') {
			const char *q = p + 2 + kl;
			while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
				q++;
			if (*q == ':') {
				q++;
				while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
					q++;
				return q;
			}
		}
		p++;
	}
	return NULL;
}

int
scen_json_int(const char *json, const char *key, int64_t *out)
{
	const char *p = json != NULL ? json_after_key(json, key) : NULL;
	char *end;
	long long v;

	if (p == NULL || (*p != '-' && (*p < '0' || *p > '9')))
		return -1;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno != 0 || end == p)
		return -1;
	*out = v;
	return 0;
}

int
scen_json_str(const char *json, const char *key, char *out, size_t size)
{
	const char *p = json != NULL ? json_after_key(json, key) : NULL;
	size_t n = 0;

	if (p == NULL || *p != '"' || size == 0)
		return -1;
	/* Names in these answers have no escapes; refuse any rather than misread. */
	for (p++; *p != '"'; p++) {
		if (*p == '\0' || *p == '\\' || n + 1 >= size)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

int
scen_parse_sizes(const char *s, unsigned max, unsigned *sizes)
{
	int n = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		char *end;
		unsigned long v;
		if (*p < '0' || *p > '9' || n >= SCEN_SIZES_MAX)
			return -1;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v == 0 || v > max)
			return -1;
		sizes[n++] = (unsigned)v;
		if (*end == '\0')
			return n;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

void
scen_print_figure(const char *op, uint64_t requests, uint64_t errors, double seconds,
    uint64_t p50_ns, uint64_t p99_ns, uint64_t max_ns, int json)
{
	struct bench_result res = {.op = op,
	    .requests = requests,
	    .errors = errors,
	    .seconds = seconds,
	    .p50_ns = p50_ns,
	    .p99_ns = p99_ns,
	    .max_ns = max_ns};
	char line[1024];

	if (bench_result_format(&res, json, line, sizeof(line)) > 0)
		fputs(line, stdout);
	fflush(stdout);
}

void
scen_print(const struct bench_run *run, const char *op, int json)
{
	struct bench_result res;
	char line[1024];

	bench_run_result(run, op, &res);
	if (bench_result_format(&res, json, line, sizeof(line)) > 0)
		fputs(line, stdout);
	fflush(stdout);
	if (run->errors > 0)
		fprintf(stderr,
		    "jdbench: %s: %" PRIu64 " errors (transport=%" PRIu64 " 3xx=%" PRIu64
		    " 4xx=%" PRIu64 " 5xx=%" PRIu64 "); first: %s\n",
		    op, run->errors, run->by_class[0], run->by_class[3], run->by_class[4],
		    run->by_class[5], run->first_error);
}

unsigned
scen_targets_per_job(unsigned n)
{
	return n < SCEN_JOB_TARGETS_MAX ? n : SCEN_JOB_TARGETS_MAX;
}

void
scen_pair(unsigned n, uint64_t p, unsigned *job, unsigned *thing)
{
	unsigned k = scen_targets_per_job(n);

	*job = (unsigned)(p / k);
	/* Job j targets things j*k .. j*k+k-1 (mod n): distinct within a job. */
	*thing = (unsigned)(((uint64_t)*job * k + p % k) % n);
}

/* CreateJob's body for job j of s, into buf. -1 if it does not fit. */
static int
job_body(const struct scen_src *s, unsigned j, int group, char *buf, size_t size)
{
	const struct scen_opts *o = s->o;
	unsigned k = scen_targets_per_job(s->n);
	size_t off = 0;
	int n;

	if ((n = scen_put(buf, size, "{\"targets\":[")) < 0)
		return -1;
	off = (size_t)n;
	if (group) {
		n = scen_put(buf + off, size - off, "\"arn:aws:iot:%s:%s:thinggroup/%s\"",
		    o->region, o->account, s->group);
		if (n < 0)
			return -1;
		off += (size_t)n;
	} else {
		for (unsigned i = 0; i < k; i++) {
			unsigned job, thing;
			scen_pair(s->n, (uint64_t)j * k + i, &job, &thing);
			n = scen_put(buf + off, size - off, "%s\"arn:aws:iot:%s:%s:thing/%st%u\"",
			    i > 0 ? "," : "", o->region, o->account, o->prefix, thing);
			if (n < 0)
				return -1;
			off += (size_t)n;
		}
	}
	n = scen_put(buf + off, size - off, "],\"document\":\"{\\\"op\\\":\\\"x\\\"}\"}");
	if (n < 0)
		return -1;
	return (int)(off + (size_t)n);
}

int
scen_src_next(void *ctx, uint64_t seq, struct bench_req *req)
{
	struct scen_src *s = ctx;
	const struct scen_opts *o = s->o;
	const char *pre = o->prefix;
	uint64_t pairs = (uint64_t)o->jobs * scen_targets_per_job(s->n);
	unsigned job = 0, thing = 0;
	int n = 0, b = 0;

	switch (s->op) {
	case SOP_CREATE_THING:
		if (s->first + seq >= s->n)
			return 1;
		req->method = "POST";
		n = scen_put(req->path, sizeof(req->path), "/things/%st%" PRIu64, pre,
		    s->first + seq);
		b = scen_put(req->body, sizeof(req->body), "{}");
		break;
	case SOP_ADD_TO_GROUP:
		if (seq >= s->n)
			return 1;
		req->method = "PUT";
		n = scen_put(req->path, sizeof(req->path), "/thing-groups/addThingToThingGroup");
		b = scen_put(req->body, sizeof(req->body),
		    "{\"thingGroupName\":\"%s\",\"thingName\":\"%st%" PRIu64 "\"}", s->group, pre,
		    seq);
		break;
	case SOP_CREATE_JOB:
	case SOP_CREATE_GJOB:
		if (seq >= o->jobs)
			return 1;
		req->method = "PUT";
		n = scen_put(req->path, sizeof(req->path), "/jobs/%sj%" PRIu64, pre, seq);
		b = job_body(s, (unsigned)seq, s->op == SOP_CREATE_GJOB, req->body,
		    sizeof(req->body));
		break;
	case SOP_DESCRIBE_JOB:
		req->method = "GET";
		n = scen_put(req->path, sizeof(req->path), "/jobs/%sj%" PRIu64, pre, seq % o->jobs);
		break;
	case SOP_LIST_EXEC_JOB:
		req->method = "GET";
		n = scen_put(req->path, sizeof(req->path), "/jobs/%sj%" PRIu64 "/things", pre,
		    seq % o->jobs);
		break;
	case SOP_DESCRIBE_THING:
		req->method = "GET";
		n = scen_put(req->path, sizeof(req->path), "/things/%st%" PRIu64, pre, seq % s->n);
		break;
	case SOP_DESCRIBE_EXEC:
		scen_pair(s->n, seq % pairs, &job, &thing);
		req->method = "GET";
		n = scen_put(req->path, sizeof(req->path), "/things/%st%u/jobs/%sj%u", pre, thing,
		    pre, job);
		break;
	case SOP_CANCEL_EXEC:
		if (seq >= pairs)
			return 1;
		scen_pair(s->n, seq, &job, &thing);
		req->method = "PUT";
		n = scen_put(req->path, sizeof(req->path), "/things/%st%u/jobs/%sj%u/cancel", pre,
		    thing, pre, job);
		b = scen_put(req->body, sizeof(req->body), "{}");
		break;
	case SOP_DELETE_EXEC:
		if (seq >= pairs)
			return 1;
		scen_pair(s->n, seq, &job, &thing);
		req->method = "DELETE";
		n = scen_put(req->path, sizeof(req->path),
		    "/things/%st%u/jobs/%sj%u/executionNumber/%u", pre, thing, pre, job,
		    o->exec_number);
		break;
	case SOP_START_NEXT:
		if (seq >= s->n)
			return 1;
		req->method = "PUT";
		n = scen_put(req->path, sizeof(req->path), "/things/%st%" PRIu64 "/jobs/$next", pre,
		    seq);
		b = scen_put(req->body, sizeof(req->body), "{}");
		break;
	case SOP_UPDATE_IN_PROGRESS:
	case SOP_UPDATE_SUCCEEDED:
		if (seq >= s->n)
			return 1;
		req->method = "POST";
		n = scen_put(req->path, sizeof(req->path), "/things/%st%" PRIu64 "/jobs/%sj%u", pre,
		    seq, pre, s->round);
		b = scen_put(req->body, sizeof(req->body), "{\"status\":\"%s\"}",
		    s->op == SOP_UPDATE_SUCCEEDED ? "SUCCEEDED" : "IN_PROGRESS");
		break;
	}
	if (n < 0 || b < 0)
		return -1;
	if (b > 0) {
		req->has_body = 1;
		req->body_len = (size_t)b;
	}
	return 0;
}

int64_t
scen_phase(const struct scen_opts *o, struct scen_src *s, enum scen_op op,
    const struct bench_addr *addr, const char *name, uint64_t budget, int setup)
{
	struct bench_source src = {.next = scen_src_next, .ctx = s};
	struct bench_opts bo;
	struct bench_run run;
	int64_t rc;

	memset(&bo, 0, sizeof(bo));
	bo.addr = *addr;
	bo.connections = o->common.connections;
	bo.threads = o->common.threads;
	if (setup) {
		bo.max_requests = budget;
		bo.duration_s = SETUP_SECONDS;
		bo.hard_cap_s = SETUP_SECONDS + 60;
	} else {
		bo.max_requests = o->common.requests;
		if (budget != 0 && (bo.max_requests == 0 || bo.max_requests > budget))
			bo.max_requests = budget;
		bo.duration_s = o->common.duration_s;
		bo.hard_cap_s = o->common.hard_cap_s;
	}
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
	if (setup && run.requests < budget) {
		fprintf(stderr,
		    "jdbench: %s: only %" PRIu64 " of %" PRIu64 " set-up requests ran\n", name,
		    run.requests, budget);
		if (rc == 0)
			rc = 1;
	}
out:
	bench_run_free(&run);
	return rc;
}

int
scen_once(const struct scen_opts *o, const struct bench_addr *addr, const char *name,
    const char *method, const char *path, const char *body, char *resp, size_t resp_size)
{
	char small[400];
	char *buf = resp != NULL ? resp : small;
	size_t size = resp != NULL ? resp_size : sizeof(small);
	int status;
	uint64_t ns;

	if (bench_request_once(addr, method, path, body, ONCE_TIMEOUT_SECONDS, &status, &ns, buf,
	        size) != 0) {
		fprintf(stderr, "jdbench: %s %s: %s\n", method, path, buf);
		return -1;
	}
	if (status < 200 || status > 299) {
		scen_print_figure(name, 1, 1, (double)ns / 1e9, ns, ns, ns, o->common.json);
		fprintf(stderr, "jdbench: %s: HTTP %d: %.300s\n", name, status, buf);
		return -1;
	}
	scen_print_figure(name, 1, 0, (double)ns / 1e9, ns, ns, ns, o->common.json);
	return 0;
}

int
scen_wait_count(const struct scen_opts *o, const char *job, const char *field, int64_t want,
    double timeout_s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);
	struct timespec pause = {0, 20 * 1000 * 1000};
	char path[BENCH_PATH_MAX];
	char *resp = malloc(POLL_RESP_MAX);
	int64_t have = -1;
	int status = 0, rc = -1;
	uint64_t ns;

	if (resp == NULL)
		abort();
	resp[0] = '\0';
	snprintf(path, sizeof(path), "/jobs/%s", job);
	for (;;) {
		if (bench_request_once(&o->control, "GET", path, NULL, ONCE_TIMEOUT_SECONDS,
		        &status, &ns, resp, POLL_RESP_MAX) == 0 &&
		    status == 200 && scen_json_int(resp, field, &have) == 0 && have >= want) {
			rc = 0;
			break;
		}
		if (bench_now_ns() >= deadline) {
			fprintf(stderr,
			    "jdbench: %s: %s is %" PRId64 ", not %" PRId64 ", after %.0fs "
			    "(HTTP %d: %.200s)\n",
			    job, field, have, want, timeout_s, status, resp);
			break;
		}
		nanosleep(&pause, NULL);
	}
	free(resp);
	return rc;
}

int
scen_wait_ok(const struct scen_opts *o, const char *path, double timeout_s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);
	struct timespec pause = {0, 10 * 1000 * 1000};
	char resp[400];
	int status = 0;
	uint64_t ns;

	for (;;) {
		if (bench_request_once(&o->control, "GET", path, NULL, ONCE_TIMEOUT_SECONDS,
		        &status, &ns, resp, sizeof(resp)) == 0 &&
		    status == 200)
			return 0;
		if (bench_now_ns() >= deadline) {
			fprintf(stderr, "jdbench: GET %s: no 200 after %.0fs (HTTP %d: %.200s)\n",
			    path, timeout_s, status, resp);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
}

int
scen_setup_things(const struct scen_opts *o, struct scen_src *s, unsigned n, int force_group)
{
	char path[BENCH_PATH_MAX];

	s->n = n;
	if (scen_phase(o, s, SOP_CREATE_THING, &o->control, "CreateThing", n, 1) != 0)
		return -1;
	if (n <= SCEN_JOB_TARGETS_MAX && !force_group)
		return 0;
	snprintf(path, sizeof(path), "/thing-groups/%s", s->group);
	if (scen_once(o, &o->control, "CreateThingGroup", "POST", path, "{}", NULL, 0) != 0)
		return -1;
	if (scen_phase(o, s, SOP_ADD_TO_GROUP, &o->control, "AddThingToThingGroup", n, 1) != 0)
		return -1;
	return 0;
}
