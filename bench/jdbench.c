/*
 * jdbench.c: command line for the jobsd load generator.
 *
 *   jdbench run --target HOST:PORT [--method M] [--path P] [--body B] [--op NAME]
 *   jdbench scenario NAME --control HOST:PORT --data HOST:PORT [--things N] ...
 *
 * NAME is basic, control-read, control-write, device-http, fanout or
 * device-mqtt (see bench/README.md)
 *
 * plus the load options shared by both (see usage()). Output is one figure a
 * line on stdout; diagnostics go to stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_http.h"
#include "bench_scen.h"
#include "scen_fanout.h"

#define DEFAULT_CONNECTIONS 16
#define DEFAULT_REQUESTS 10000
#define DEFAULT_DURATION 10.0
#define DEFAULT_THINGS 100
#define DEFAULT_JOBS 10
#define DEFAULT_SIZES "1000,10000,100000"
#define DEFAULT_MQTT_THREADS 2
/* Above the duration, how long outstanding requests may take by default. */
#define DEFAULT_GRACE 30.0
#define THINGS_MAX 1000000
#define DURATION_MAX 3600.0

struct run_src {
	const char *method;
	const char *path; /* may contain "{seq}" */
	const char *body; /* may be NULL */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: jdbench run --target HOST:PORT [--method M] [--path P] [--body JSON]\n"
	    "                   [--op NAME] [load options]\n"
	    "       jdbench scenario NAME --control HOST:PORT --data HOST:PORT\n"
	    "                   [--things N] [--jobs J] [--prefix P] [--region R]\n"
	    "                   [--account A] [--execution-number E] [--header 'N: V']\n"
	    "                   [--sizes N1,N2,...] [--mqtt HOST:PORT] [--mqtt-threads T]\n"
	    "                   [--mqtt-qos 0|1] [--setup none] [load options]\n"
	    "NAME: basic, control-read, control-write, device-http, fanout, device-mqtt,\n"
	    "      device-fleet [--procs P], create-targets, associate-targets,\n"
	    "      fanout-under-load [--targets N]\n"
	    "load options:\n"
	    "  --connections C  keep-alive connections (default %d, max %d)\n"
	    "  --threads T      epoll threads (default 1, max %d)\n"
	    "  --requests R     requests per measured op, 0 = duration only (default %d)\n"
	    "  --duration S     seconds per measured op (default %.0f)\n"
	    "  --hard-cap S     abandon outstanding requests after S seconds\n"
	    "                   (default duration + %.0f)\n"
	    "  --json           one JSON object per figure instead of key=value\n"
	    "  --header 'N: V'  add this header line to every request (repeatable)\n"
	    "HOST must be 127.0.0.0/8, [::1] or localhost. In --path, {seq} becomes\n"
	    "the request's sequence number.\n",
	    DEFAULT_CONNECTIONS, BENCH_CONN_MAX, BENCH_THREAD_MAX, DEFAULT_REQUESTS,
	    DEFAULT_DURATION, DEFAULT_GRACE);
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v > 0) || v > DURATION_MAX)
		return -1;
	*out = v;
	return 0;
}

static int
run_next(void *ctx, uint64_t seq, struct bench_req *req)
{
	const struct run_src *r = ctx;
	const char *at = strstr(r->path, "{seq}");
	int n;

	req->method = r->method;
	if (at != NULL)
		n = snprintf(req->path, sizeof(req->path), "%.*s%" PRIu64 "%s", (int)(at - r->path),
		    r->path, seq, at + 5);
	else
		n = snprintf(req->path, sizeof(req->path), "%s", r->path);
	if (n < 0 || (size_t)n >= sizeof(req->path))
		return -1;
	if (r->body != NULL) {
		size_t len = strlen(r->body);
		if (len > sizeof(req->body))
			return -1;
		memcpy(req->body, r->body, len);
		req->body_len = len;
		req->has_body = 1;
	}
	return 0;
}

/* Let many connections fit under the open-files limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
bad(const char *flag, const char *value)
{
	fprintf(stderr, "jdbench: bad value for %s: '%s'\n", flag, value != NULL ? value : "");
	return 2;
}

int
main(int argc, char **argv)
{
	struct scen_opts b;
	struct run_src rs = {.method = "GET", .path = "/", .body = NULL};
	const char *op = "run", *scen = NULL, *sizes = DEFAULT_SIZES;
	char prefix[64], err[256], headers[2048] = "";
	int things_set = 0;
	int jobs_set = 0;
	int have_target = 0, have_control = 0, have_data = 0, hard_cap_set = 0;
	int is_run, argi;
	uint64_t v;

	memset(&b, 0, sizeof(b));
	b.common.connections = DEFAULT_CONNECTIONS;
	b.common.threads = 1;
	b.common.requests = DEFAULT_REQUESTS;
	b.common.duration_s = DEFAULT_DURATION;
	b.things = DEFAULT_THINGS;
	b.jobs = DEFAULT_JOBS;
	b.exec_number = 1;
	b.mqtt_threads = DEFAULT_MQTT_THREADS;
	b.mqtt_qos = 1;
	b.region = "us-east-1";
	b.account = "123456789012";
	snprintf(prefix, sizeof(prefix), "jdb%06lx-",
	    ((unsigned long)time(NULL) ^ ((unsigned long)getpid() << 8)) & 0xffffffUL);
	b.prefix = prefix;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "run") == 0) {
		is_run = 1;
		argi = 2;
	} else if (argc >= 3 && strcmp(argv[1], "scenario") == 0 &&
	    (strcmp(argv[2], "basic") == 0 || strcmp(argv[2], "control-read") == 0 ||
	        strcmp(argv[2], "control-write") == 0 || strcmp(argv[2], "device-http") == 0 ||
	        strcmp(argv[2], "fanout") == 0 || strcmp(argv[2], "device-mqtt") == 0 ||
	        strcmp(argv[2], "device-fleet") == 0 || strcmp(argv[2], "create-targets") == 0 ||
	        strcmp(argv[2], "associate-targets") == 0 ||
	        strcmp(argv[2], "fanout-under-load") == 0)) {
		is_run = 0;
		scen = argv[2];
		argi = 3;
	} else {
		usage(stderr);
		return 2;
	}

	for (; argi < argc; argi++) {
		const char *f = argv[argi];
		const char *val = argi + 1 < argc ? argv[argi + 1] : NULL;
		if (strcmp(f, "--json") == 0) {
			b.common.json = 1;
			continue;
		}
		if (val == NULL)
			return bad(f, NULL);
		argi++;
		if (strcmp(f, "--connections") == 0) {
			if (parse_u64(val, BENCH_CONN_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.common.connections = (unsigned)v;
		} else if (strcmp(f, "--threads") == 0) {
			if (parse_u64(val, BENCH_THREAD_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.common.threads = (unsigned)v;
		} else if (strcmp(f, "--requests") == 0) {
			if (parse_u64(val, UINT64_C(1) << 32, &b.common.requests) != 0)
				return bad(f, val);
		} else if (strcmp(f, "--duration") == 0) {
			if (parse_seconds(val, &b.common.duration_s) != 0)
				return bad(f, val);
		} else if (strcmp(f, "--hard-cap") == 0) {
			if (parse_seconds(val, &b.common.hard_cap_s) != 0)
				return bad(f, val);
			hard_cap_set = 1;
		} else if (strcmp(f, "--header") == 0) {
			size_t hl = strlen(headers);
			if (scen_put(headers + hl, sizeof(headers) - hl, "%s\r\n", val) < 0 ||
			    bench_http_set_extra_headers(headers) != 0)
				return bad(f, val);
		} else if (is_run && strcmp(f, "--target") == 0) {
			if (bench_addr_parse(val, &b.control, err, sizeof(err)) != 0) {
				fprintf(stderr, "jdbench: --target: %s\n", err);
				return 2;
			}
			have_target = 1;
		} else if (is_run && strcmp(f, "--method") == 0) {
			rs.method = val;
		} else if (is_run && strcmp(f, "--path") == 0) {
			if (val[0] != '/')
				return bad(f, val);
			rs.path = val;
		} else if (is_run && strcmp(f, "--body") == 0) {
			if (strlen(val) > BENCH_BODY_MAX)
				return bad(f, val);
			rs.body = val;
		} else if (is_run && strcmp(f, "--op") == 0) {
			op = val;
		} else if (!is_run && strcmp(f, "--control") == 0) {
			if (bench_addr_parse(val, &b.control, err, sizeof(err)) != 0) {
				fprintf(stderr, "jdbench: --control: %s\n", err);
				return 2;
			}
			have_control = 1;
		} else if (!is_run && strcmp(f, "--data") == 0) {
			if (bench_addr_parse(val, &b.data, err, sizeof(err)) != 0) {
				fprintf(stderr, "jdbench: --data: %s\n", err);
				return 2;
			}
			have_data = 1;
		} else if (!is_run && strcmp(f, "--things") == 0) {
			if (parse_u64(val, THINGS_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.things = (unsigned)v;
			things_set = 1;
		} else if (!is_run && strcmp(f, "--targets") == 0) {
			/* create-targets, associate-targets: targets per call */
			if (parse_u64(val, SCEN_JOB_TARGETS_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.things = (unsigned)v;
			things_set = 1;
		} else if (!is_run && strcmp(f, "--jobs") == 0) {
			if (parse_u64(val, SCEN_JOBS_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.jobs = (unsigned)v;
			jobs_set = 1;
		} else if (!is_run && strcmp(f, "--execution-number") == 0) {
			if (parse_u64(val, 1000000000, &v) != 0)
				return bad(f, val);
			b.exec_number = (unsigned)v;
		} else if (!is_run && strcmp(f, "--sizes") == 0) {
			sizes = val;
		} else if (!is_run && strcmp(f, "--mqtt") == 0) {
			if (bench_addr_parse(val, &b.mqtt, err, sizeof(err)) != 0) {
				fprintf(stderr, "jdbench: --mqtt: %s\n", err);
				return 2;
			}
			b.have_mqtt = 1;
		} else if (!is_run && strcmp(f, "--mqtt-threads") == 0) {
			if (parse_u64(val, SCEN_MQTT_THREADS_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.mqtt_threads = (unsigned)v;
		} else if (!is_run && strcmp(f, "--procs") == 0) {
			if (parse_u64(val, SCEN_FLEET_PROCS_MAX, &v) != 0 || v == 0)
				return bad(f, val);
			b.procs = (unsigned)v;
		} else if (!is_run && strcmp(f, "--mqtt-qos") == 0) {
			if (parse_u64(val, 1, &v) != 0)
				return bad(f, val);
			b.mqtt_qos = (int)v;
		} else if (!is_run && strcmp(f, "--setup") == 0) {
			/* device-mqtt --setup none: the things and jobs exist already, or
			 * bench/mqtt_echo.c answers instead of jobsd (run-mqtt-ceiling.sh) */
			if (strcmp(val, "none") != 0)
				return bad(f, val);
			b.no_setup = 1;
		} else if (!is_run && strcmp(f, "--prefix") == 0) {
			if (strlen(val) > 32 ||
			    strspn(val,
			        "abcdefghijklmnopqrstuvwxyz"
			        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(val))
				return bad(f, val);
			b.prefix = val;
		} else if (!is_run && strcmp(f, "--region") == 0) {
			b.region = val;
		} else if (!is_run && strcmp(f, "--account") == 0) {
			b.account = val;
		} else {
			fprintf(stderr, "jdbench: unknown option %s\n", f);
			usage(stderr);
			return 2;
		}
	}
	if (!hard_cap_set)
		b.common.hard_cap_s = b.common.duration_s + DEFAULT_GRACE;
	if (b.common.hard_cap_s < b.common.duration_s) {
		fprintf(stderr, "jdbench: --hard-cap must be at least --duration\n");
		return 2;
	}
	raise_nofile();

	if (is_run) {
		struct bench_source src = {.next = run_next, .ctx = &rs};
		struct bench_opts o;
		struct bench_run run;
		int rc;

		if (!have_target) {
			fprintf(stderr, "jdbench: run needs --target HOST:PORT\n");
			return 2;
		}
		memset(&o, 0, sizeof(o));
		o.addr = b.control;
		o.connections = b.common.connections;
		o.threads = b.common.threads;
		o.max_requests = b.common.requests;
		o.duration_s = b.common.duration_s;
		o.hard_cap_s = b.common.hard_cap_s;
		if (bench_load_run(&o, &src, &run) != 0) {
			fprintf(stderr, "jdbench: %s\n", run.first_error);
			bench_run_free(&run);
			return 2;
		}
		scen_print(&run, op, b.common.json);
		rc = run.errors > 0 ? 1 : 0;
		bench_run_free(&run);
		return rc;
	}
	if ((!have_control && !(b.no_setup && strcmp(scen, "device-mqtt") == 0)) ||
	    (!have_data && strcmp(scen, "basic") == 0) ||
	    (!have_data && strcmp(scen, "device-http") == 0)) {
		fprintf(stderr, "jdbench: scenario %s needs --control%s\n", scen,
		    strcmp(scen, "basic") == 0 || strcmp(scen, "device-http") == 0 ? " and --data" :
		                                                                     "");
		return 2;
	}
	if (!have_data)
		b.data = b.control;
	if (strcmp(scen, "basic") == 0)
		return scen_basic_run(&b);
	if (strcmp(scen, "control-read") == 0)
		return scen_control_read_run(&b);
	if (strcmp(scen, "control-write") == 0)
		return scen_control_write_run(&b);
	if (strcmp(scen, "device-http") == 0)
		return scen_device_http_run(&b);
	if (strcmp(scen, "create-targets") == 0 || strcmp(scen, "associate-targets") == 0) {
		if (!things_set)
			b.things = SCEN_JOB_TARGETS_MAX;
		if (!jobs_set)
			b.jobs = 50;
		return strcmp(scen, "create-targets") == 0 ? scen_create_targets_run(&b) :
		                                             scen_associate_targets_run(&b);
	}
	if (strcmp(scen, "fanout-under-load") == 0)
		return scen_fanout_load_run(&b);
	if (strcmp(scen, "fanout") == 0) {
		int ns = scen_parse_sizes(sizes, THINGS_MAX, b.sizes);
		if (ns < 0)
			return bad("--sizes", sizes);
		b.nsizes = (unsigned)ns;
		if (!jobs_set) /* fanout: one job per size unless --jobs asks for more */
			b.jobs = 1;
		return scen_fanout_run(&b);
	}
	if (!things_set)
		b.things = 1000;
	if (strcmp(scen, "device-fleet") == 0) {
		if (b.things > SCEN_FLEET_DEVICES_MAX) {
			fprintf(stderr, "jdbench: device-fleet: at most %d devices\n",
			    SCEN_FLEET_DEVICES_MAX);
			return 2;
		}
		return scen_device_fleet_run(&b);
	}
	if (b.things > SCEN_DEVICES_MAX) {
		fprintf(stderr, "jdbench: device-mqtt: at most %d devices\n", SCEN_DEVICES_MAX);
		return 2;
	}
	return scen_device_mqtt_run(&b);
}
