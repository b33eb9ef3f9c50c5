/*
 * bench_scen.h: benchmark scenarios and the options they share with jdbench.
 */
#ifndef JD_BENCH_SCEN_H
#define JD_BENCH_SCEN_H

#include <stddef.h>
#include <stdint.h>

#include "bench_load.h"

/* AWS allows at most 100 entries in CreateJob's targets. */
#define SCEN_JOB_TARGETS_MAX 100
#define SCEN_SIZES_MAX 8
#define SCEN_JOBS_MAX 10000
/* Devices of device-mqtt: one socket each, under the machine's 20,000 files. */
#define SCEN_DEVICES_MAX 8000
#define SCEN_MQTT_THREADS_MAX 16
/* device-fleet: devices over all generator processes, and per process by
 * default (each process stays far under its 20,000 open files). */
#define SCEN_FLEET_DEVICES_MAX 200000
#define SCEN_FLEET_PER_PROC 6000
#define SCEN_FLEET_PROCS_MAX 64

/* Settings every measured phase uses. */
struct scen_common {
	unsigned connections;
	unsigned threads;
	uint64_t requests; /* per measured op */
	double duration_s; /* per measured op */
	double hard_cap_s; /* per measured op */
	int json;
};

/* Options of every scenario; each uses the fields it needs. */
struct scen_opts {
	struct scen_common common;
	struct bench_addr control;
	struct bench_addr data;
	unsigned things;    /* things (devices for device-mqtt) */
	unsigned jobs;      /* control-*: jobs; device-*: jobs (executions) per device */
	const char *prefix; /* names: <prefix>t<i>, <prefix>job, <prefix>j<i>, <prefix>g... */
	const char *region;
	const char *account;
	unsigned exec_number; /* executionNumber in DeleteJobExecution paths (moto: 123) */
	unsigned sizes[SCEN_SIZES_MAX]; /* fanout: group sizes, ascending */
	unsigned nsizes;
	/* device-mqtt */
	struct bench_addr mqtt; /* the broker */
	int have_mqtt;
	unsigned mqtt_threads;
	int mqtt_qos;
	unsigned procs; /* device-fleet: generator processes (0: one per 6,000 devices) */
	int no_setup;   /* device-mqtt --setup none: no HTTP set-up (bench/mqtt_echo.c answers) */
};

/*
 * The "basic" scenario: create things (and a group when there are more than
 * a job's 100 targets), one job over them, then measure
 * DescribeJobExecution (control), UpdateJobExecution (data) and
 * DeleteJobExecution (control, once per thing). Prints one figure per
 * operation on stdout, diagnostics on stderr. Returns 0 if every request
 * succeeded, 1 if a measured operation had errors, 2 if set-up failed.
 */
int scen_basic_run(const struct scen_opts *o);

/*
 * control-read: J jobs over N things (job j targets 100 things from j*100 on,
 * wrapping), then DescribeJob, DescribeJobExecution, DescribeThing and
 * ListJobExecutionsForJob. Same return values as scen_basic_run().
 */
int scen_control_read_run(const struct scen_opts *o);

/* control-write: the same set-up, then CancelJobExecution and
 * DeleteJobExecution once per execution. */
int scen_control_write_run(const struct scen_opts *o);

/* device-http: J jobs over N things; per job, every device runs
 * StartNextPendingJobExecution, UpdateJobExecution IN_PROGRESS, SUCCEEDED. */
int scen_device_http_run(const struct scen_opts *o);

/* fanout: per size N, CreateJob over a group of N things and the time until
 * DescribeJob counts N queued executions. */
int scen_fanout_run(const struct scen_opts *o);

/* device-mqtt: N devices on the broker run start-next and update SUCCEEDED
 * for J jobs each. */
int scen_device_mqtt_run(const struct scen_opts *o);

/* device-fleet (scen_fleet.c): N devices over P generator processes (the
 * light client of mqtt_epoll.c), one job over all of them from fan-out to
 * completion. 0 if every device got its notify-next and completed, 1 if
 * not, 2 if set-up failed. */
int scen_device_fleet_run(const struct scen_opts *o);

/*
 * Print one figure for run as op; when the run had errors, say the first
 * one on stderr.
 */
void scen_print(const struct bench_run *run, const char *op, int json);

/* ---- helpers shared by the scenarios (scen_util.c) ---- */

/* snprintf that returns -1 when the output does not fit. */
int scen_put(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Find "key": in a JSON text and read the integer or the string after it
 * (the first occurrence anywhere, which is enough for the flat answers
 * jobsd and moto give). 0 if found, -1 if not.
 */
int scen_json_int(const char *json, const char *key, int64_t *out);
int scen_json_str(const char *json, const char *key, char *out, size_t size);

/*
 * Parse "1000,10000,100000" into sizes (each 1..max, at most SCEN_SIZES_MAX).
 * Returns the count, or -1.
 */
int scen_parse_sizes(const char *s, unsigned max, unsigned *sizes);

/* Print a figure computed outside the load engine. */
void scen_print_figure(const char *op, uint64_t requests, uint64_t errors, double seconds,
    uint64_t p50_ns, uint64_t p99_ns, uint64_t max_ns, int json);

/*
 * A request source over a scenario's names. The scenario sets op (and round
 * for the device phases) before each phase; next() is scen_src_next.
 */
enum scen_op {
	SOP_CREATE_THING,       /* first + seq < n: POST /things/<p>t<first + seq> */
	SOP_ADD_TO_GROUP,       /* seq < n: group <- <p>t<seq> */
	SOP_CREATE_JOB,         /* seq < jobs: PUT /jobs/<p>j<seq>, targets per scen_pair() */
	SOP_CREATE_GJOB,        /* seq < jobs: PUT /jobs/<p>j<seq> over the group */
	SOP_DESCRIBE_JOB,       /* cycles the jobs */
	SOP_DESCRIBE_EXEC,      /* cycles the (job, thing) pairs */
	SOP_DESCRIBE_THING,     /* cycles the things */
	SOP_LIST_EXEC_JOB,      /* cycles the jobs */
	SOP_CANCEL_EXEC,        /* each pair once */
	SOP_DELETE_EXEC,        /* each pair once */
	SOP_START_NEXT,         /* data plane, each thing once */
	SOP_UPDATE_IN_PROGRESS, /* data plane, each thing once, job <p>j<round> */
	SOP_UPDATE_SUCCEEDED,
};

struct scen_src {
	const struct scen_opts *o;
	enum scen_op op;
	unsigned n;      /* things in this scenario (or this fanout size) */
	unsigned first;  /* SOP_CREATE_THING: create <p>t<first> .. <p>t<n-1> */
	unsigned round;  /* device phases: which job */
	char group[128]; /* SOP_ADD_TO_GROUP, SOP_CREATE_GJOB */
};

int scen_src_next(void *ctx, uint64_t seq, struct bench_req *req);

/* Targets per job (min(n, 100)) and the number of (job, thing) pairs. */
unsigned scen_targets_per_job(unsigned n);

/* Pair p (0 <= p < jobs * per_job) as job index and thing index. */
void scen_pair(unsigned n, uint64_t p, unsigned *job, unsigned *thing);

/*
 * Run one phase of src with op: budget requests at most (0: the common
 * budget; setup phases run exactly budget requests with generous time).
 * Prints the figure. Returns the error count, or -1 if it could not run.
 */
int64_t scen_phase(const struct scen_opts *o, struct scen_src *s, enum scen_op op,
    const struct bench_addr *addr, const char *name, uint64_t budget, int setup);

/* One request as a one-request figure; 0 if 2xx. resp (may be NULL) gets the body. */
int scen_once(const struct scen_opts *o, const struct bench_addr *addr, const char *name,
    const char *method, const char *path, const char *body, char *resp, size_t resp_size);

/*
 * Poll DescribeJob until jobProcessDetails counts at least want executions in
 * the given field (e.g. "numberOfQueuedThings"), for at most timeout_s.
 * Returns 0 when reached, -1 otherwise (with the reason on stderr).
 */
int scen_wait_count(const struct scen_opts *o, const char *job, const char *field, int64_t want,
    double timeout_s);

/* Poll GET path on the control plane until it answers 200, for at most
 * timeout_s. Returns 0 or -1 (with the last answer on stderr). */
int scen_wait_ok(const struct scen_opts *o, const char *path, double timeout_s);

/* Set-up shared by the scenarios: n things, and a group of them if n > 100
 * (or always when force_group). Returns 0 or -1. */
int scen_setup_things(const struct scen_opts *o, struct scen_src *s, unsigned n, int force_group);

#endif
