/*
 * admin_metrics.c: GET /metrics on the admin listener, in the Prometheus
 * text format (version 0.0.4), names by Prometheus's conventions: a jobsd_
 * prefix, base units (seconds, bytes), _total on counters, the standard
 * process_* names for the process. The counters and histograms are
 * util/metrics.h's (counted on the request paths with relaxed atomics); the
 * store's numbers (executions by status, active jobs, rollout lag) come from
 * svc_stats(), cached for ADMIN_STATS_CACHE_MS so that scrapes never load
 * the store; the process's from /proc. Everything is rendered into one
 * buffer per scrape (a few tens of KiB).
 */
#include "api/admin_int.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"
#include "util/metrics.h"

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t
ld(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/*
 * One histogram's series. labels: "" or `operation="X"`; scale: what one
 * unit of the observed values is in the base unit (1e-6 for microseconds).
 */
static void
hist(struct buf *b, const char *name, const char *labels, struct metrics_hist *h, double scale)
{
	const char *sep = labels[0] != '\0' ? "," : "";
	uint64_t cum = 0;

	for (int i = 0; i < METRICS_BUCKETS; i++) {
		cum += ld(&h->bucket[i]);
		buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
		    (double)h->le[i] * scale, (unsigned long long)cum);
	}
	cum += ld(&h->bucket[METRICS_BUCKETS]);
	buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
	    (unsigned long long)cum);
	if (labels[0] != '\0') {
		buf_printf(b, "%s_sum{%s} %.6f\n", name, labels, (double)ld(&h->sum) * scale);
		buf_printf(b, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
	} else {
		buf_printf(b, "%s_sum %.6f\n", name, (double)ld(&h->sum) * scale);
		buf_printf(b, "%s_count %llu\n", name, (unsigned long long)cum);
	}
}

/* The route's operation name, or "none" for the last slot (unrouted). */
static const char *
http_op(int i)
{
	return i < api_nroutes ? api_routes[i].name : "none";
}

static bool
http_op_used(int i)
{
	for (int k = 0; k < METRICS_CLASSES; k++)
		if (ld(&jd_metrics.http_requests[i][k]) != 0)
			return true;
	return false;
}

static void
render_http(struct buf *b)
{
	static const char *const cls[METRICS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
	int nops = api_nroutes < METRICS_HTTP_OPS - 1 ? api_nroutes : METRICS_HTTP_OPS - 1;

	family(b, "jobsd_http_requests_total", "counter",
	    "HTTP requests answered on the AWS listeners, by operation and status class.");
	for (int i = 0; i < METRICS_HTTP_OPS; i++) {
		int op = i < nops ? i : METRICS_HTTP_OPS - 1;
		if (i >= nops && i != METRICS_HTTP_OPS - 1)
			continue;
		for (int k = 0; k < METRICS_CLASSES; k++) {
			uint64_t v = ld(&jd_metrics.http_requests[op][k]);
			/* 2xx, 4xx and 5xx always (rate() needs the series), others once seen */
			if (v == 0 && k != 1 && k != 3 && k != 4)
				continue;
			buf_printf(b,
			    "jobsd_http_requests_total{operation=\"%s\",code=\"%s\"} %llu\n",
			    http_op(op), cls[k], (unsigned long long)v);
		}
	}
	family(b, "jobsd_http_request_duration_seconds", "histogram",
	    "Time from a request's first byte to its answer being queued, by operation "
	    "(operations with requests only).");
	for (int i = 0; i < METRICS_HTTP_OPS; i++) {
		char labels[96];
		if ((i >= nops && i != METRICS_HTTP_OPS - 1) || !http_op_used(i))
			continue;
		snprintf(labels, sizeof(labels), "operation=\"%s\"", http_op(i));
		hist(b, "jobsd_http_request_duration_seconds", labels, &jd_metrics.http_seconds[i],
		    1e-6);
	}
}

static void
render_refused(struct buf *b)
{
	static const char *const what[METRICS_REFUSED__COUNT][2] = {
	    [METRICS_REFUSED_THROTTLED] = {"http", "throttled"},
	    [METRICS_REFUSED_AUTH] = {"http", "auth"},
	    [METRICS_REFUSED_CONN_LIMIT] = {"http", "conn_limit"},
	    [METRICS_REFUSED_BODY_BUDGET] = {"http", "body_budget"},
	    [METRICS_REFUSED_MQTT_THROTTLED] = {"mqtt", "throttled"},
	    [METRICS_REFUSED_MQTT_QUEUE] = {"mqtt", "queue_full"},
	    [METRICS_REFUSED_MQTT_BYTES] = {"mqtt", "byte_budget"},
	};

	family(b, "jobsd_requests_refused_total", "counter",
	    "Requests refused before their operation ran: throttled (D19), authentication "
	    "failed, connection or buffer limits (the admin listener's auth failures count as "
	    "http auth).");
	for (int i = 0; i < METRICS_REFUSED__COUNT; i++)
		buf_printf(b, "jobsd_requests_refused_total{protocol=\"%s\",reason=\"%s\"} %llu\n",
		    what[i][0], what[i][1], (unsigned long long)ld(&jd_metrics.refused[i]));
}

/* The outgoing bound of the MQTT bridge (issue 15). */
static void
render_mqtt_out(struct buf *b)
{
	static const struct {
		const char *name, *type, *help;
		_Atomic uint64_t *v;
	} m[] = {
	    {"jobsd_mqtt_out_bytes", "gauge",
	        "Bytes of messages the broker connection holds for jobsd (estimated), now.",
	        &jd_metrics.mqtt_out_bytes},
	    {"jobsd_mqtt_out_bytes_peak", "gauge", "The highest jobsd_mqtt_out_bytes since start.",
	        &jd_metrics.mqtt_out_bytes_peak},
	    {"jobsd_mqtt_out_max_bytes", "gauge",
	        "The bound on jobsd_mqtt_out_bytes (--mqtt-out-max-kib).",
	        &jd_metrics.mqtt_out_max_bytes},
	    {"jobsd_mqtt_out_messages", "gauge",
	        "Messages the broker connection holds for jobsd (queued or awaiting PUBACK), now.",
	        &jd_metrics.mqtt_out_messages},
	    {"jobsd_mqtt_notify_pending", "gauge",
	        "Things whose notification waits for room on the broker connection, now.",
	        &jd_metrics.mqtt_notify_pending},
	    {"jobsd_mqtt_notify_deferred_total", "counter",
	        "Notifications that waited for room (a thing entered the waiting set).",
	        &jd_metrics.mqtt_notify_deferred},
	    {"jobsd_mqtt_notify_coalesced_total", "counter",
	        "Notifications merged into one already waiting for the same thing.",
	        &jd_metrics.mqtt_notify_coalesced},
	    {"jobsd_mqtt_notify_dropped_total", "counter",
	        "Notifications dropped: the broker connection stalled with the waiting set full.",
	        &jd_metrics.mqtt_notify_dropped},
	    {"jobsd_mqtt_events_dropped_total", "counter",
	        "Jobs events dropped: the broker connection stalled with no room.",
	        &jd_metrics.mqtt_events_dropped},
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		family(b, m[i].name, m[i].type, m[i].help);
		buf_printf(b, "%s %llu\n", m[i].name, (unsigned long long)ld(m[i].v));
	}
}

static void
render_mqtt(struct buf *b, struct api_admin *a)
{
	const char *const *names = jd_metrics.mqtt_op_names;
	int n = jd_metrics.mqtt_nops < METRICS_MQTT_OPS ? jd_metrics.mqtt_nops : METRICS_MQTT_OPS;

	if (a->cfg.mqtt_ready == NULL)
		return;
	family(b, "jobsd_mqtt_connected", "gauge",
	    "1 while jobsd is connected and subscribed to the broker, else 0.");
	buf_printf(b, "jobsd_mqtt_connected %d\n", a->cfg.mqtt_ready(a->cfg.mqtt_arg) ? 1 : 0);
	family(b, "jobsd_mqtt_messages_received_total", "counter",
	    "MQTT messages received from the broker.");
	buf_printf(b, "jobsd_mqtt_messages_received_total %llu\n",
	    (unsigned long long)ld(&jd_metrics.mqtt_received));
	family(b, "jobsd_mqtt_messages_sent_total", "counter",
	    "MQTT messages (replies and notifications) handed to the broker connection.");
	buf_printf(b, "jobsd_mqtt_messages_sent_total %llu\n",
	    (unsigned long long)ld(&jd_metrics.mqtt_sent));
	render_mqtt_out(b);
	if (names == NULL)
		return;
	family(b, "jobsd_mqtt_requests_total", "counter",
	    "Device requests served over MQTT, by operation and result (accepted or rejected).");
	for (int i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		buf_printf(b,
		    "jobsd_mqtt_requests_total{operation=\"%s\",result=\"accepted\"} %llu\n",
		    names[i], (unsigned long long)ld(&jd_metrics.mqtt_requests[i][0]));
		buf_printf(b,
		    "jobsd_mqtt_requests_total{operation=\"%s\",result=\"rejected\"} %llu\n",
		    names[i], (unsigned long long)ld(&jd_metrics.mqtt_requests[i][1]));
	}
	family(b, "jobsd_mqtt_request_duration_seconds", "histogram",
	    "Time a worker took to serve a device request over MQTT, by operation.");
	for (int i = 0; i < n; i++) {
		char labels[96];
		if (names[i] == NULL)
			continue;
		snprintf(labels, sizeof(labels), "operation=\"%s\"", names[i]);
		hist(b, "jobsd_mqtt_request_duration_seconds", labels, &jd_metrics.mqtt_seconds[i],
		    1e-6);
	}
}

static int
refresh_stats(struct api_admin *a, char *msg, size_t n)
{
	struct svc_stats st;
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	rc = svc_stats(a->svc, &st, &e);
	if (rc == 0) {
		pthread_mutex_lock(&a->stats.mu);
		a->last_stats = st;
		pthread_mutex_unlock(&a->stats.mu);
	} else {
		snprintf(msg, n, "%s", e.msg);
		log_debug("metrics: the store's counts are stale: %s", e.msg);
	}
	jd_error_clear(&e);
	return rc;
}

static void
render_store(struct buf *b, struct api_admin *a)
{
	struct svc_stats st;
	char why[256];
	bool have;

	family(b, "jobsd_store_commit_duration_seconds", "histogram",
	    "Time of each store COMMIT (a group of write transactions on SQLite).");
	hist(b, "jobsd_store_commit_duration_seconds", "", &jd_metrics.store_commit_seconds, 1e-6);
	family(b, "jobsd_store_commit_group_size", "histogram",
	    "Write transactions made durable by one COMMIT (the group commit of either "
	    "store).");
	hist(b, "jobsd_store_commit_group_size", "", &jd_metrics.store_group_size, 1);
	family(b, "jobsd_store_commit_failures_total", "counter", "COMMITs that failed.");
	buf_printf(b, "jobsd_store_commit_failures_total %llu\n",
	    (unsigned long long)ld(&jd_metrics.store_commit_failures));
	family(b, "jobsd_conditional_writes_total", "counter",
	    "Writes made on condition without a read on the writer (StartNext, "
	    "UpdateJobExecution, CancelJobExecution, DeleteJobExecution, CreateThing): "
	    "applied, or retried the usual way (the row had changed, or the write may "
	    "complete a job or meet a dynamic group).");
	buf_printf(b, "jobsd_conditional_writes_total{outcome=\"applied\"} %llu\n",
	    (unsigned long long)ld(&jd_metrics.cond_applied));
	buf_printf(b, "jobsd_conditional_writes_total{outcome=\"retried\"} %llu\n",
	    (unsigned long long)ld(&jd_metrics.cond_retried));
	family(b, "jobsd_store_carried_writes_total", "counter",
	    "Conditional writes run by the thread that owned the store's writer connection "
	    "for the request that asked, which then slept once instead of twice (either "
	    "store).");
	buf_printf(b, "jobsd_store_carried_writes_total %llu\n",
	    (unsigned long long)ld(&jd_metrics.store_carried));
	family(b, "jobsd_store_riders_waiting", "gauge",
	    "Conditional writes now waiting for the writer connection's owner to carry them.");
	buf_printf(b, "jobsd_store_riders_waiting %llu\n",
	    (unsigned long long)ld(&jd_metrics.store_riders));
	family(b, "jobsd_store_memory_bytes", "gauge",
	    "Bytes SQLite's allocator holds: page caches (at most cache_size, 2 MiB, per "
	    "connection), schemas, statements; as of the last COMMIT. 0 on PostgreSQL.");
	buf_printf(b, "jobsd_store_memory_bytes %llu\n",
	    (unsigned long long)ld(&jd_metrics.store_memory_bytes));
	family(b, "jobsd_timer_lag_seconds", "histogram",
	    "How late a timer (a scheduled start, a rollout batch) ran after it was due.");
	hist(b, "jobsd_timer_lag_seconds", "", &jd_metrics.timer_lag_seconds, 1e-6);

	admin_cached(a, &a->stats, ADMIN_STATS_CACHE_MS, 0, refresh_stats, why, sizeof(why));
	pthread_mutex_lock(&a->stats.mu);
	have = a->stats.at_ms != 0;
	st = a->last_stats;
	pthread_mutex_unlock(&a->stats.mu);
	if (!have)
		return;
	family(b, "jobsd_executions", "gauge",
	    "Job executions by status across every job (store counts, refreshed every 5 s).");
	for (int s = 0; s < JD_EXEC__COUNT; s++)
		buf_printf(b, "jobsd_executions{status=\"%s\"} %lld\n", core_exec_status_name(s),
		    (long long)st.execs.n[s]);
	family(b, "jobsd_jobs_active", "gauge", "Jobs IN_PROGRESS.");
	buf_printf(b, "jobsd_jobs_active %lld\n", (long long)st.jobs_in_progress);
	family(b, "jobsd_rollout_lag_seconds", "gauge",
	    "How long the most overdue rollout batch has been due (0 when none is late).");
	buf_printf(b, "jobsd_rollout_lag_seconds %.3f\n", (double)st.rollout_lag_ms / 1000.0);
}

static void
render_process(struct buf *b, struct api_admin *a)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long vsz = 0, rss = 0;
	struct rusage ru;
	struct rlimit rl;
	FILE *f = fopen("/proc/self/statm", "r");
	DIR *d;
	long fds = 0;

	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &vsz, &rss) != 2)
			vsz = rss = 0;
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			fds += de->d_name[0] != '.';
		closedir(d);
		fds--; /* the directory's own descriptor */
	}
	getrusage(RUSAGE_SELF, &ru);
	family(b, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.");
	buf_printf(b, "process_cpu_seconds_total %.3f\n",
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	buf_printf(b, "process_resident_memory_bytes %llu\n", rss * (unsigned long long)page);
	family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	buf_printf(b, "process_virtual_memory_bytes %llu\n", vsz * (unsigned long long)page);
	family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
	buf_printf(b, "process_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		buf_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	family(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	buf_printf(b, "process_start_time_seconds %lld\n", (long long)a->start_s);
}

void
admin_metrics_render(struct admin_req *q)
{
	struct buf *b = &q->out;

	family(b, "jobsd_build_info", "gauge", "jobsd's version (always 1).");
	buf_printf(b, "jobsd_build_info{version=\"%s\"} 1\n", JOBSD_VERSION);
	render_http(b);
	render_refused(b);
	render_mqtt(b, q->a);
	render_store(b, q->a);
	render_process(b, q->a);
}
