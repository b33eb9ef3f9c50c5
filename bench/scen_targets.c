/*
 * scen_targets.c: create-targets and associate-targets (issue 15): the cost
 * of CreateJob and AssociateTargetsWithJob with up to 100 explicit thing
 * targets, measured one call at a time on one keep-alive connection, in
 * SCEN_TARGET_RUNS runs, with the range of the runs' medians and means.
 *
 * What a latency holds: from the first byte sent to the last byte of the
 * answer, so jobsd's whole time (HTTP, JSON, the use case, the group
 * commit's fsync, the answer) plus one loopback round trip. The request
 * bodies' target lists are built before the runs, so no client work but
 * the request's formatting is timed. After each run, the same connection
 * times DescribeThing (a one-row read) as many times: its median is the
 * floor (round trip plus the least a request costs), printed beside.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_http.h"
#include "scen_fanout.h"

struct tgt_src {
	const struct scen_opts *o;
	unsigned n;        /* targets per call */
	unsigned run;      /* which run: job names */
	int associate;     /* 0 CreateJob; 1 create the continuous jobs; 2 associate;
	                      3 the floor (DescribeThing) */
	const char *all;   /* "targets":[...] of all n things, built once */
	const char *first; /* "targets":[...] of thing 0 */
};

/* The body's "targets": thing ARNs <p>t0 .. <p>t<n-1> (n - first of them). */
static int
put_targets(char *b, size_t size, const struct scen_opts *o, unsigned first, unsigned n)
{
	size_t len = 0;
	int k = snprintf(b, size, "\"targets\":[");

	if (k < 0 || (size_t)k >= size)
		return -1;
	len = (size_t)k;
	for (unsigned i = first; i < n; i++) {
		k = snprintf(b + len, size - len, "%s\"arn:aws:iot:%s:%s:thing/%st%u\"",
		    i > first ? "," : "", o->region, o->account, o->prefix, i);
		if (k < 0 || (size_t)k >= size - len)
			return -1;
		len += (size_t)k;
	}
	k = snprintf(b + len, size - len, "]");
	return k < 0 || (size_t)k >= size - len ? -1 : (int)(len + (size_t)k);
}

static int
tgt_next(void *ctx, uint64_t seq, struct bench_req *req)
{
	const struct tgt_src *s = ctx;
	const struct scen_opts *o = s->o;
	int n;

	if (seq >= o->jobs)
		return 1;
	if (s->associate == 3) {
		req->method = "GET";
		n = snprintf(req->path, sizeof(req->path), "/things/%st0", o->prefix);
		return n < 0 || (size_t)n >= sizeof(req->path) ? -1 : 0;
	}
	if (s->associate == 2) {
		req->method = "POST";
		n = snprintf(req->path, sizeof(req->path), "/jobs/%sa%u-%" PRIu64 "/targets",
		    o->prefix, s->run, seq);
		if (n < 0 || (size_t)n >= sizeof(req->path))
			return -1;
		n = snprintf(req->body, sizeof(req->body), "{%s}", s->all);
	} else {
		req->method = "PUT";
		n = snprintf(req->path, sizeof(req->path), "/jobs/%s%s%u-%" PRIu64, o->prefix,
		    s->associate ? "a" : "c", s->run, seq);
		if (n < 0 || (size_t)n >= sizeof(req->path))
			return -1;
		n = snprintf(req->body, sizeof(req->body),
		    "{%s,\"document\":\"{\\\"op\\\":\\\"t\\\"}\"%s}",
		    s->associate ? s->first : s->all,
		    s->associate ? ",\"targetSelection\":\"CONTINUOUS\"" : "");
	}
	if (n < 0 || (size_t)n >= sizeof(req->body))
		return -1;
	req->body_len = (size_t)n;
	req->has_body = 1;
	return 0;
}

/* One run of src on one connection; its median and mean in ms. */
static int
one_run(const struct scen_opts *o, struct tgt_src *src, const char *op, double *p50_ms,
    double *mean_ms)
{
	struct bench_opts bo = {o->control, 1, 1, o->jobs, o->common.duration_s,
	    o->common.hard_cap_s};
	struct bench_source bs = {tgt_next, src};
	struct bench_run run;
	uint64_t sum = 0;
	int rc;

	memset(&run, 0, sizeof(run));
	if (bench_load_run(&bo, &bs, &run) != 0) {
		fprintf(stderr, "jdbench: %s: %s\n", op, run.first_error);
		bench_run_free(&run);
		return -1;
	}
	scen_print(&run, op, o->common.json);
	for (size_t i = 0; i < run.lat.n; i++)
		sum += run.lat.ns[i];
	*p50_ms = (double)bench_lat_pct(&run.lat, 50) / 1e6;
	*mean_ms = run.lat.n ? (double)sum / (double)run.lat.n / 1e6 : 0;
	rc = run.errors > 0 ? 1 : 0;
	bench_run_free(&run);
	return rc;
}

static int
targets_run(const struct scen_opts *o, int associate)
{
	const char *what = associate ? "AssociateTargetsWithJob" : "CreateJob";
	double lo50 = 1e9, hi50 = 0, lomean = 1e9, himean = 0, lofl = 1e9, hifl = 0;
	unsigned n = o->things > SCEN_JOB_TARGETS_MAX ? SCEN_JOB_TARGETS_MAX : o->things;
	static char all[BENCH_BODY_MAX - 256], first[256];
	struct scen_src s;
	char op[96];
	int errs = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.n = n;
	if (n == 0 || put_targets(all, sizeof(all), o, 0, n) < 0 ||
	    put_targets(first, sizeof(first), o, 0, 1) < 0)
		return 2;
	if (scen_phase(o, &s, SOP_CREATE_THING, &o->control, "CreateThing", n, 1) != 0)
		return 2;
	for (unsigned r = 0; r < SCEN_TARGET_RUNS; r++) {
		struct tgt_src src = {o, n, r, associate ? 1 : 0, all, first};
		double p50 = 0, mean = 0, fl = 0, flmean = 0;
		int rc;
		if (associate) {
			snprintf(op, sizeof(op), "CreateJob-continuous-run%u", r + 1);
			if (one_run(o, &src, op, &p50, &mean) != 0)
				return 2;
			src.associate = 2;
		}
		snprintf(op, sizeof(op), "%s-targets%u-run%u", what, n, r + 1);
		if ((rc = one_run(o, &src, op, &p50, &mean)) < 0)
			return 2;
		errs |= rc;
		src.associate = 3;
		snprintf(op, sizeof(op), "DescribeThing-floor-run%u", r + 1);
		if (one_run(o, &src, op, &fl, &flmean) != 0)
			return 2;
		lo50 = p50 < lo50 ? p50 : lo50;
		hi50 = p50 > hi50 ? p50 : hi50;
		lomean = mean < lomean ? mean : lomean;
		himean = mean > himean ? mean : himean;
		lofl = fl < lofl ? fl : lofl;
		hifl = fl > hifl ? fl : hifl;
	}
	printf("op=%s-targets%u runs=%d calls_per_run=%u p50_ms=%.3f-%.3f mean_ms=%.3f-%.3f"
	       " floor_p50_ms=%.3f-%.3f\n",
	    what, n, SCEN_TARGET_RUNS, o->jobs, lo50, hi50, lomean, himean, lofl, hifl);
	return errs ? 1 : 0;
}

int
scen_create_targets_run(const struct scen_opts *o)
{
	return targets_run(o, 0);
}

int
scen_associate_targets_run(const struct scen_opts *o)
{
	return targets_run(o, 1);
}
