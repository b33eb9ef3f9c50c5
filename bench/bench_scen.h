/*
 * bench_scen.h: benchmark scenarios and the options they share with jdbench.
 */
#ifndef JD_BENCH_SCEN_H
#define JD_BENCH_SCEN_H

#include <stdint.h>

#include "bench_load.h"

/* Settings every measured phase uses. */
struct scen_common {
	unsigned connections;
	unsigned threads;
	uint64_t requests; /* per measured op */
	double duration_s; /* per measured op */
	double hard_cap_s; /* per measured op */
	int json;
};

struct scen_basic_opts {
	struct scen_common common;
	struct bench_addr control;
	struct bench_addr data;
	unsigned things;
	const char *prefix;  /* names: <prefix>t<i>, <prefix>job, <prefix>g */
	const char *region;
	const char *account;
};

/*
 * The "basic" scenario: create things (and a group when there are more than
 * a job's 100 targets), one job over them, then measure
 * DescribeJobExecution (control), UpdateJobExecution (data) and
 * DeleteJobExecution (control, once per thing). Prints one figure per
 * operation on stdout, diagnostics on stderr. Returns 0 if every request
 * succeeded, 1 if a measured operation had errors, 2 if set-up failed.
 */
int
scen_basic_run(const struct scen_basic_opts *o);

/*
 * Print one figure for run as op; when the run had errors, say the first
 * one on stderr.
 */
void
scen_print(const struct bench_run *run, const char *op, int json);

#endif
