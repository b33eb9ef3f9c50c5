/*
 * scen_fanout.h: the scenarios of issue 15 (targets by the hundred, fan-out
 * under load), registered in jdbench.c. See bench/README.md.
 */
#ifndef JD_BENCH_SCEN_FANOUT_H
#define JD_BENCH_SCEN_FANOUT_H

#include "bench_scen.h"

/* Runs of each measured phase: the figures are printed per run and as a
 * range over the runs. */
#define SCEN_TARGET_RUNS 3

/*
 * create-targets: N things (--targets, 1..100), then SCEN_TARGET_RUNS runs of
 * J (--jobs) CreateJob calls, each over the same N explicit thing ARNs, one
 * at a time on one keep-alive connection: the latency is jobsd's time plus
 * a loopback round trip. Returns 0, 1 (errors) or 2 (set-up failed).
 */
int scen_create_targets_run(const struct scen_opts *o);

/*
 * associate-targets: N things; per call a CONTINUOUS job over thing 0
 * (set-up), then one AssociateTargetsWithJob of all N (N - 1 new
 * executions), measured as create-targets.
 */
int scen_associate_targets_run(const struct scen_opts *o);

/*
 * fanout-under-load: N things (--things, e.g. 100000) in a group and their
 * executions of job 0 queued; then, while C connections run device-http
 * UpdateJobExecution IN_PROGRESS on those executions, one CreateJob over the
 * group; prints the updates' latency during the fan-out, the 503s, and the
 * time until DescribeJob counts all N queued.
 */
int scen_fanout_load_run(const struct scen_opts *o);

#endif
