/*
 * scen_mqtt.c: device-mqtt, N simulated devices on the MQTT device plane.
 *
 * Set-up goes over HTTP (things, a group when N > 100, J jobs over all of
 * them); --setup none skips it (bench/mqtt_echo.c answers instead of jobsd,
 * bench/run-mqtt-ceiling.sh). Then every device connects to the broker with client id = its thing
 * name (the shipped ACL confines it to $aws/things/<client id>/jobs/#),
 * subscribes to $aws/things/<t>/jobs/# and, once every device is subscribed,
 * loops: publish start-next, wait for start-next/accepted, publish
 * <jobId>/update {"status":"SUCCEEDED"}, wait for update/accepted; until
 * start-next answers with no execution, the duration is over, or the hard cap.
 *
 * libmosquitto runs in non-threaded mode: a few worker threads each own a
 * slice of the clients and an epoll set over their sockets
 * (mosquitto_socket), and call mosquitto_loop_read/loop_write/loop_misc
 * themselves. A client is only ever touched by its own worker (the main
 * thread connects them all before the workers start).
 */
#include "bench_scen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define EXEC_WAIT_SECONDS 120.0
#define KEEPALIVE_S 60
#define EVENTS_MAX 256
#define PAYLOAD_MAX 8192
/* Connecting and subscribing every device may take this long at most. */
#define CONNECT_SECONDS 60.0

enum dev_state {
	D_NEW,
	D_CONNECTING,
	D_SUBSCRIBING,
	D_READY,
	D_WAIT_START,
	D_WAIT_UPDATE,
	D_DONE,
	D_FAILED
};

enum { PH_CONNECT, PH_RUN, PH_STOP };

struct mworker;

struct dev {
	struct mosquitto *m;
	struct mworker *w;
	unsigned idx;
	enum dev_state st;
	int fd;
	int out_registered;
	unsigned seq; /* client tokens */
	uint64_t t_conn, t_op, t_exec;
	char thing[128];
	char job[130];
	char topic[300];
};

struct mshared {
	const struct scen_opts *o;
	atomic_int phase;
	atomic_uint ready;   /* subscribed devices */
	atomic_uint settled; /* devices that failed or got ready */
	uint64_t t0, t_stop, t_cap;
};

struct mworker {
	struct mshared *sh;
	pthread_t th;
	int ep;
	struct dev **devs;
	unsigned ndevs;
	unsigned live; /* run phase: devices not DONE or FAILED */
	struct bench_lat lat_conn, lat_start, lat_update, lat_exec;
	uint64_t completed, errors, conn_errors, rejected, lost, abandoned, notices;
	uint64_t t_last;
	char first_error[400];
};

static void note(struct mworker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct mworker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->first_error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->first_error, sizeof(w->first_error), fmt, ap);
	va_end(ap);
}

/* Keep EPOLLOUT registered exactly while libmosquitto has bytes to send. */
static void
sync_events(struct dev *d)
{
	struct epoll_event ev;
	int want;

	if (d->fd < 0)
		return;
	if (mosquitto_want_write(d->m))
		mosquitto_loop_write(d->m, 1);
	want = mosquitto_want_write(d->m) ? 1 : 0;
	if (want == d->out_registered)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = d;
	if (epoll_ctl(d->w->ep, EPOLL_CTL_MOD, d->fd, &ev) == 0)
		d->out_registered = want;
}

static void
dev_finish(struct dev *d, enum dev_state st)
{
	struct mworker *w = d->w;

	if (d->st == D_DONE || d->st == D_FAILED)
		return;
	if (atomic_load(&w->sh->phase) == PH_CONNECT) {
		d->st = st;
		atomic_fetch_add(&w->sh->settled, 1);
		return;
	}
	d->st = st;
	if (w->live > 0)
		w->live--;
}

static int
publish(struct dev *d, const char *suffix, const char *payload)
{
	int rc;

	snprintf(d->topic, sizeof(d->topic), "$aws/things/%s/jobs/%s", d->thing, suffix);
	rc = mosquitto_publish(d->m, NULL, d->topic, (int)strlen(payload), payload,
	    d->w->sh->o->mqtt_qos, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		d->w->errors++;
		note(d->w, "publish %s: %s", d->topic, mosquitto_strerror(rc));
		dev_finish(d, D_FAILED);
		return -1;
	}
	return 0;
}

/* Ask for the next execution, unless the run is over. */
static void
start_next(struct dev *d)
{
	char payload[96];
	uint64_t now = bench_now_ns();

	if (now >= d->w->sh->t_stop) {
		dev_finish(d, D_DONE);
		return;
	}
	snprintf(payload, sizeof(payload), "{\"clientToken\":\"c%u\"}", ++d->seq);
	d->t_op = now;
	d->t_exec = now;
	d->st = D_WAIT_START;
	publish(d, "start-next", payload);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
on_connect(struct mosquitto *m, void *ud, int rc)
{
	struct dev *d = ud;
	char sub[200];

	if (rc != 0) {
		d->w->conn_errors++;
		note(d->w, "connect %s refused: %s", d->thing, mosquitto_connack_string(rc));
		dev_finish(d, D_FAILED);
		return;
	}
	snprintf(sub, sizeof(sub), "$aws/things/%s/jobs/#", d->thing);
	/* no-local: the device's own requests are not echoed back to it. */
	rc = mosquitto_subscribe_v5(m, NULL, sub, d->w->sh->o->mqtt_qos, MQTT_SUB_OPT_NO_LOCAL,
	    NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		d->w->conn_errors++;
		note(d->w, "subscribe %s: %s", d->thing, mosquitto_strerror(rc));
		dev_finish(d, D_FAILED);
		return;
	}
	d->st = D_SUBSCRIBING;
}

static void
on_subscribe(struct mosquitto *m, void *ud, int mid, int qos_count, const int *granted)
{
	struct dev *d = ud;

	(void)m;
	(void)mid;
	if (d->st != D_SUBSCRIBING)
		return;
	if (qos_count < 1 || granted[0] > 2) {
		d->w->conn_errors++;
		note(d->w, "subscription of %s refused (ACL?)", d->thing);
		dev_finish(d, D_FAILED);
		return;
	}
	bench_lat_add(&d->w->lat_conn, bench_now_ns() - d->t_conn);
	d->st = D_READY;
	atomic_fetch_add(&d->w->sh->ready, 1);
	atomic_fetch_add(&d->w->sh->settled, 1);
}

static void
on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	struct dev *d = ud;
	struct mworker *w = d->w;
	char payload[PAYLOAD_MAX];
	size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
	uint64_t now = bench_now_ns();

	(void)m;
	if (len >= sizeof(payload))
		len = sizeof(payload) - 1;
	if (len > 0)
		memcpy(payload, msg->payload, len);
	payload[len] = '\0';

	if (ends_with(msg->topic, "/rejected")) {
		if (d->st != D_WAIT_START && d->st != D_WAIT_UPDATE)
			return;
		w->rejected++;
		w->errors++;
		note(w, "%s: %.300s", msg->topic, payload);
		dev_finish(d, D_FAILED);
		return;
	}
	if (d->st == D_WAIT_START && ends_with(msg->topic, "/start-next/accepted")) {
		char up[200];
		bench_lat_add(&w->lat_start, now - d->t_op);
		w->t_last = now;
		if (scen_json_str(payload, "jobId", d->job, sizeof(d->job)) != 0) {
			/* No execution left for this device. */
			dev_finish(d, D_DONE);
			return;
		}
		snprintf(up, sizeof(up), "%s/update", d->job);
		d->t_op = now;
		d->st = D_WAIT_UPDATE;
		publish(d, up, "{\"status\":\"SUCCEEDED\"}");
		return;
	}
	if (d->st == D_WAIT_UPDATE && ends_with(msg->topic, "/update/accepted")) {
		bench_lat_add(&w->lat_update, now - d->t_op);
		bench_lat_add(&w->lat_exec, now - d->t_exec);
		w->completed++;
		w->t_last = now;
		start_next(d);
		return;
	}
	w->notices++; /* notify, notify-next, or another answer */
}

static void
on_disconnect(struct mosquitto *m, void *ud, int rc)
{
	struct dev *d = ud;

	(void)m;
	if (rc == 0 || d->st == D_DONE || d->st == D_FAILED)
		return;
	d->w->lost++;
	d->w->errors++;
	note(d->w, "%s lost the broker: %s", d->thing, mosquitto_strerror(rc));
	dev_finish(d, D_FAILED);
}

static void
drop_fd(struct dev *d)
{
	if (d->fd >= 0) {
		epoll_ctl(d->w->ep, EPOLL_CTL_DEL, d->fd, NULL);
		d->fd = -1;
	}
}

static void
service(struct dev *d, uint32_t events)
{
	int rc = MOSQ_ERR_SUCCESS;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		rc = mosquitto_loop_read(d->m, 1);
	if (rc == MOSQ_ERR_SUCCESS && (events & EPOLLOUT))
		rc = mosquitto_loop_write(d->m, 1);
	if (rc != MOSQ_ERR_SUCCESS) {
		if (d->st != D_DONE && d->st != D_FAILED) {
			d->w->lost++;
			d->w->errors++;
			note(d->w, "%s: %s", d->thing, mosquitto_strerror(rc));
			dev_finish(d, D_FAILED);
		}
		drop_fd(d);
		return;
	}
	sync_events(d);
}

static void *
mworker_main(void *arg)
{
	struct mworker *w = arg;
	struct mshared *sh = w->sh;
	struct epoll_event evs[EVENTS_MAX];
	uint64_t next_misc = bench_now_ns() + 1000000000u;
	int kicked = 0;

	for (;;) {
		int phase = atomic_load(&sh->phase);
		uint64_t now = bench_now_ns();

		if (phase == PH_STOP)
			break;
		if (phase == PH_RUN && !kicked) {
			kicked = 1;
			w->live = 0;
			for (unsigned i = 0; i < w->ndevs; i++)
				if (w->devs[i]->st == D_READY)
					w->live++;
			for (unsigned i = 0; i < w->ndevs; i++) {
				struct dev *d = w->devs[i];
				if (d->st == D_READY) {
					start_next(d);
					sync_events(d);
				} else if (d->st != D_FAILED && d->st != D_DONE) {
					/* Never got subscribed: out of the run. */
					d->st = D_FAILED;
				}
			}
		}
		if (phase == PH_RUN && (w->live == 0 || now >= sh->t_cap))
			break;
		int n = epoll_wait(w->ep, evs, EVENTS_MAX, 10);
		for (int i = 0; i < n; i++)
			service(evs[i].data.ptr, evs[i].events);
		if (phase == PH_RUN && bench_now_ns() >= next_misc) {
			for (unsigned i = 0; i < w->ndevs; i++)
				if (w->devs[i]->fd >= 0)
					mosquitto_loop_misc(w->devs[i]->m);
			next_misc = bench_now_ns() + 1000000000u;
		}
	}
	/* Hard cap: executions still in flight count as errors. */
	for (unsigned i = 0; i < w->ndevs; i++) {
		struct dev *d = w->devs[i];
		if (d->st == D_WAIT_START || d->st == D_WAIT_UPDATE) {
			w->abandoned++;
			w->errors++;
			note(w, "%s: no answer before the hard cap", d->thing);
			d->st = D_FAILED;
		}
	}
	return NULL;
}

static void
print_lat(const char *op, struct bench_lat *l, uint64_t requests, uint64_t errors, double seconds,
    int json)
{
	bench_lat_sort(l);
	scen_print_figure(op, requests, errors, seconds, bench_lat_pct(l, 50), bench_lat_pct(l, 99),
	    bench_lat_pct(l, 100), json);
}

/* This process's CPU time so far (all threads), in microseconds. */
static uint64_t
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int
setup(const struct scen_opts *o)
{
	struct scen_src s;
	char job[160];

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.n = o->things;
	snprintf(s.group, sizeof(s.group), "%sg", o->prefix);
	if (scen_setup_things(o, &s, o->things, 0) != 0)
		return -1;
	if (scen_phase(o, &s, o->things > SCEN_JOB_TARGETS_MAX ? SOP_CREATE_GJOB : SOP_CREATE_JOB,
	        &o->control, "CreateJob", o->jobs, 1) != 0)
		return -1;
	snprintf(job, sizeof(job), "%sj%u", o->prefix, o->jobs - 1);
	return scen_wait_count(o, job, "numberOfQueuedThings", o->things, EXEC_WAIT_SECONDS);
}

int
scen_device_mqtt_run(const struct scen_opts *o)
{
	unsigned n = o->things, nt = o->mqtt_threads;
	struct mshared sh;
	struct mworker *ws = NULL;
	struct dev *devs = NULL;
	char host[INET6_ADDRSTRLEN];
	int port = 0, rc = 2;
	unsigned started = 0, conn_fail = 0;
	char conn_first[300] = "";
	uint64_t t_conn0, t_ready = 0, cpu0 = 0, cpu1 = 0;

	if (!o->have_mqtt) {
		fprintf(stderr, "jdbench: device-mqtt needs --mqtt HOST:PORT\n");
		return 2;
	}
	if (o->mqtt.ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&o->mqtt.ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&o->mqtt.ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	if (nt < 1)
		nt = 1;
	if (nt > n)
		nt = n;
	if (!o->no_setup && setup(o) != 0)
		return 2;

	mosquitto_lib_init();
	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	atomic_init(&sh.phase, PH_CONNECT);
	atomic_init(&sh.ready, 0);
	atomic_init(&sh.settled, 0);
	sh.t_stop = sh.t_cap = UINT64_MAX;
	ws = calloc(nt, sizeof(*ws));
	devs = calloc(n, sizeof(*devs));
	if (ws == NULL || devs == NULL)
		abort();
	for (unsigned t = 0; t < nt; t++) {
		ws[t].sh = &sh;
		ws[t].ep = -1;
	}
	for (unsigned t = 0; t < nt; t++) {
		ws[t].devs = calloc(n / nt + 1, sizeof(*ws[t].devs));
		ws[t].ep = epoll_create1(EPOLL_CLOEXEC);
		if (ws[t].devs == NULL || ws[t].ep < 0) {
			fprintf(stderr, "jdbench: epoll: %s\n", strerror(errno));
			goto out;
		}
		bench_lat_init(&ws[t].lat_conn);
		bench_lat_init(&ws[t].lat_start);
		bench_lat_init(&ws[t].lat_update);
		bench_lat_init(&ws[t].lat_exec);
	}

	/*
	 * Workers first, so CONNACKs are read while later devices connect. The
	 * main thread only touches a device before adding its socket to its
	 * worker's epoll set, and a worker only looks at its device list once
	 * the phase is PH_RUN.
	 */
	for (; started < nt; started++)
		if (pthread_create(&ws[started].th, NULL, mworker_main, &ws[started]) != 0) {
			fprintf(stderr, "jdbench: pthread_create failed\n");
			goto out;
		}
	/* Connect every device (blocking TCP connect + CONNECT, on loopback). */
	t_conn0 = bench_now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct dev *d = &devs[i];
		struct mworker *w = &ws[i % nt];
		struct epoll_event ev;
		int mrc;

		d->idx = i;
		d->w = w;
		d->fd = -1;
		w->devs[w->ndevs++] = d;
		snprintf(d->thing, sizeof(d->thing), "%st%u", o->prefix, i);
		d->m = mosquitto_new(d->thing, true, d);
		if (d->m == NULL) {
			fprintf(stderr, "jdbench: mosquitto_new: %s\n", strerror(errno));
			goto out;
		}
		mosquitto_int_option(d->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
		mosquitto_connect_callback_set(d->m, on_connect);
		mosquitto_subscribe_callback_set(d->m, on_subscribe);
		mosquitto_message_callback_set(d->m, on_message);
		mosquitto_disconnect_callback_set(d->m, on_disconnect);
		d->t_conn = bench_now_ns();
		d->st = D_CONNECTING;
		mrc = mosquitto_connect(d->m, host, port, KEEPALIVE_S);
		if (mrc != MOSQ_ERR_SUCCESS) {
			conn_fail++;
			if (conn_first[0] == '\0')
				snprintf(conn_first, sizeof(conn_first), "connect %s: %s", d->thing,
				    mrc == MOSQ_ERR_ERRNO ? strerror(errno) :
				                            mosquitto_strerror(mrc));
			d->st = D_FAILED;
			atomic_fetch_add(&sh.settled, 1);
			continue;
		}
		d->fd = mosquitto_socket(d->m);
		if (mosquitto_want_write(d->m))
			mosquitto_loop_write(d->m, 1);
		d->out_registered = mosquitto_want_write(d->m) ? 1 : 0;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | (d->out_registered ? EPOLLOUT : 0);
		ev.data.ptr = d;
		if (d->fd < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, d->fd, &ev) != 0) {
			fprintf(stderr, "jdbench: epoll_ctl: %s\n", strerror(errno));
			goto out;
		}
	}
	{
		uint64_t deadline = t_conn0 + (uint64_t)(CONNECT_SECONDS * 1e9);
		struct timespec pause = {0, 2 * 1000 * 1000};
		while (atomic_load(&sh.settled) < n && bench_now_ns() < deadline)
			nanosleep(&pause, NULL);
		t_ready = bench_now_ns();
	}
	/* run-mqtt-ceiling.sh takes the other processes' CPU from this line on */
	fprintf(stderr, "jdbench: device-mqtt: %u devices subscribed of %u; running\n",
	    atomic_load(&sh.ready), n);
	cpu0 = cpu_us();
	sh.t0 = bench_now_ns();
	sh.t_stop = sh.t0 + (uint64_t)(o->common.duration_s * 1e9);
	sh.t_cap = sh.t0 + (uint64_t)(o->common.hard_cap_s * 1e9);
	atomic_store(&sh.phase, PH_RUN);
	rc = 0;
out:
	if (rc != 0)
		atomic_store(&sh.phase, PH_STOP);
	for (unsigned t = 0; t < started; t++)
		pthread_join(ws[t].th, NULL);
	cpu1 = cpu_us();
	if (rc == 0) {
		struct mworker all;
		uint64_t t_end = sh.t0;
		memset(&all, 0, sizeof(all));
		bench_lat_init(&all.lat_conn);
		bench_lat_init(&all.lat_start);
		bench_lat_init(&all.lat_update);
		bench_lat_init(&all.lat_exec);
		for (unsigned t = 0; t < nt; t++) {
			struct mworker *w = &ws[t];
			bench_lat_merge(&all.lat_conn, &w->lat_conn);
			bench_lat_merge(&all.lat_start, &w->lat_start);
			bench_lat_merge(&all.lat_update, &w->lat_update);
			bench_lat_merge(&all.lat_exec, &w->lat_exec);
			all.completed += w->completed;
			all.errors += w->errors;
			all.conn_errors += w->conn_errors;
			all.rejected += w->rejected;
			all.lost += w->lost;
			all.abandoned += w->abandoned;
			all.notices += w->notices;
			if (w->t_last > t_end)
				t_end = w->t_last;
			if (all.first_error[0] == '\0' && w->first_error[0] != '\0')
				snprintf(all.first_error, sizeof(all.first_error), "%s",
				    w->first_error);
		}
		unsigned ready = atomic_load(&sh.ready);
		uint64_t not_ready = n - ready;
		double run_s = (double)(t_end - sh.t0) / 1e9;
		all.conn_errors += conn_fail;
		if (all.first_error[0] == '\0' && conn_first[0] != '\0')
			snprintf(all.first_error, sizeof(all.first_error), "%s", conn_first);
		print_lat("MqttConnectSubscribe", &all.lat_conn, n, not_ready,
		    (double)(t_ready - t_conn0) / 1e9, o->common.json);
		print_lat("MqttStartNext", &all.lat_start, all.lat_start.n, all.rejected, run_s,
		    o->common.json);
		print_lat("MqttUpdateSucceeded", &all.lat_update, all.lat_update.n, 0, run_s,
		    o->common.json);
		/* The headline: executions completed per second, start-next to SUCCEEDED. */
		print_lat("MqttExecution", &all.lat_exec, all.completed, all.errors, run_s,
		    o->common.json);
		/* the generator's own CPU over the run (the devices' MQTT clients) */
		printf(
		    "op=MqttGeneratorCpu run_cpu_s=%.2f us_per_execution=%.1f notifications=%" PRIu64
		    "\n",
		    (double)(cpu1 - cpu0) / 1e6,
		    all.completed ? (double)(cpu1 - cpu0) / (double)all.completed : 0.0,
		    all.notices);
		fflush(stdout);
		fprintf(stderr,
		    "jdbench: device-mqtt: %u devices subscribed of %u, %" PRIu64
		    " executions completed (expected %" PRIu64 "), %" PRIu64
		    " notifications, errors: %" PRIu64 " rejected, %" PRIu64
		    " connections lost, %" PRIu64 " abandoned, %" PRIu64 " connect%s%s\n",
		    ready, n, all.completed, (uint64_t)ready * o->jobs, all.notices, all.rejected,
		    all.lost, all.abandoned, all.conn_errors, all.first_error[0] ? "; first: " : "",
		    all.first_error);
		rc = all.errors > 0 || not_ready > 0 || all.completed < (uint64_t)ready * o->jobs ?
		    1 :
		    0;
		bench_lat_free(&all.lat_conn);
		bench_lat_free(&all.lat_start);
		bench_lat_free(&all.lat_update);
		bench_lat_free(&all.lat_exec);
	}
	for (unsigned i = 0; devs != NULL && i < n; i++) {
		if (devs[i].m == NULL)
			continue;
		if (devs[i].fd >= 0)
			mosquitto_disconnect(devs[i].m);
		mosquitto_destroy(devs[i].m);
	}
	for (unsigned t = 0; ws != NULL && t < nt; t++) {
		if (ws[t].ep >= 0)
			close(ws[t].ep);
		free(ws[t].devs);
		bench_lat_free(&ws[t].lat_conn);
		bench_lat_free(&ws[t].lat_start);
		bench_lat_free(&ws[t].lat_update);
		bench_lat_free(&ws[t].lat_exec);
	}
	free(ws);
	free(devs);
	mosquitto_lib_cleanup();
	return rc;
}
