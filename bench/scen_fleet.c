/*
 * scen_fleet.c: device-fleet, many MQTT devices spread over several
 * generator processes (issue 15, "devices at scale").
 *
 * A process may hold at most 20,000 open files on this machine, so one
 * process cannot hold the devices of a full broker. The parent sets up N
 * things and a group over HTTP, then forks P children; child k drives
 * devices [k*N/P, (k+1)*N/P) with the light client of mqtt_epoll.c from one
 * epoll loop, connecting from source address 127.0.0.(2+k) (its own 28,000
 * ephemeral ports). Each device connects (MQTT 5, client id = thing name,
 * clean start, no keep-alive), subscribes to $aws/things/<t>/jobs/# with
 * no-local, and waits. Once every child says its devices are subscribed, the
 * parent creates ONE job over the group: jobsd fans out and publishes
 * notify-next to every device; a device that gets a notify-next with an
 * execution runs it (start-next, then update SUCCEEDED) and asks start-next
 * again until it answers with no execution. The parent then waits until
 * DescribeJob counts N succeeded.
 *
 * Children report over a pipe (fixed-size records, atomic under PIPE_BUF)
 * with CLOCK_MONOTONIC times, which all processes share.
 */
#include "bench_scen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqtt_epoll.h"

#define FLEET_CONNECTING_MAX 256 /* connections being opened at once, per process */
#define FLEET_EVENTS 512
#define FLEET_CONNECT_SECONDS 120.0
#define FLEET_WAIT_SECONDS 600.0

enum fdev_state {
	F_IDLE,
	F_CONNECTING,
	F_SUBSCRIBING,
	F_READY,
	F_START,
	F_UPDATE,
	F_DONE,
	F_FAILED
};

struct fdev {
	struct mq_conn c;
	enum fdev_state st;
	int out;      /* EPOLLOUT registered */
	int notified; /* got a notify-next with an execution */
	char thing[96];
	char job[130];
	uint64_t t_notify;
};

/* A child's report: kind 'R' (subscribed) or 'D' (done). */
struct fleet_report {
	int kind;
	uint32_t ready, failed;
	uint64_t completed, notify_next, notify_next_exec, notify, rejected, lost;
	uint64_t t_first_notify, t_last_notify, t_last_done;
	uint64_t exec_p50, exec_p99, exec_max; /* notify-next to update accepted */
	uint64_t cpu_us;                       /* the process's CPU time so far */
	char first_error[200];
};

struct fleet {
	const struct scen_opts *o;
	struct fdev *devs;
	unsigned n, lo;
	int ep;
	int qos;
	unsigned live, connecting, next_open;
	struct sockaddr_in src, dst;
	struct fleet_report r;
	struct bench_lat lat;
};

static void
fail(struct fleet *f, struct fdev *d, const char *what)
{
	if (d->st == F_DONE || d->st == F_FAILED)
		return;
	if (f->r.first_error[0] == '\0')
		snprintf(f->r.first_error, sizeof(f->r.first_error), "%s: %s", d->thing, what);
	if (d->st == F_CONNECTING || d->st == F_SUBSCRIBING)
		f->r.failed++;
	if (d->st == F_CONNECTING)
		f->connecting--;
	if (d->st >= F_READY)
		f->live--;
	d->st = F_FAILED;
	if (d->c.fd >= 0)
		epoll_ctl(f->ep, EPOLL_CTL_DEL, d->c.fd, NULL);
	mq_conn_close(&d->c);
}

/* Register EPOLLOUT exactly while bytes are queued. */
static void
sync_out(struct fleet *f, struct fdev *d)
{
	int pending = 0;
	struct epoll_event ev;

	if (d->c.fd < 0)
		return;
	if (mq_conn_flush(&d->c, &pending) != 0) {
		f->r.lost++;
		fail(f, d, "write failed");
		return;
	}
	if (pending == d->out)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (pending ? EPOLLOUT : 0);
	ev.data.ptr = d;
	if (epoll_ctl(f->ep, EPOLL_CTL_MOD, d->c.fd, &ev) == 0)
		d->out = pending;
}

static void
dev_publish(struct fleet *f, struct fdev *d, const char *suffix, const char *payload)
{
	char topic[512];

	snprintf(topic, sizeof(topic), "$aws/things/%s/jobs/%s", d->thing, suffix);
	mq_conn_publish(&d->c, topic, payload, f->qos);
}

static int
topic_ends(const struct mq_pkt *p, const char *suffix)
{
	size_t n = strlen(suffix);

	return p->topic_len >= n && memcmp(p->topic + p->topic_len - n, suffix, n) == 0;
}

/* The jobId in a payload (NUL-terminated copy), or -1. */
static int
payload_job(const struct mq_pkt *p, char *job, size_t size)
{
	char buf[8192];
	size_t n = p->payload_len < sizeof(buf) - 1 ? p->payload_len : sizeof(buf) - 1;

	memcpy(buf, p->payload, n);
	buf[n] = '\0';
	return scen_json_str(buf, "jobId", job, size);
}

struct ctx {
	struct fleet *f;
	struct fdev *d;
};

static void
done(struct fleet *f, struct fdev *d)
{
	d->st = F_DONE;
	f->live--;
	f->r.t_last_done = bench_now_ns();
}

static int
on_packet(void *arg, const struct mq_pkt *p)
{
	struct ctx *cx = arg;
	struct fleet *f = cx->f;
	struct fdev *d = cx->d;
	uint8_t ack[4];

	switch (p->type) {
	case MQ_CONNACK:
		if (d->st != F_CONNECTING || p->code != 0) {
			fail(f, d, "CONNACK refused");
			return -1;
		}
		f->connecting--;
		{
			char filter[200];
			uint8_t pkt[256];
			size_t n;
			snprintf(filter, sizeof(filter), "$aws/things/%s/jobs/#", d->thing);
			n = mq_enc_subscribe(pkt, sizeof(pkt), MQ_V5, 1, filter, f->qos, 0x04);
			mq_conn_queue(&d->c, pkt, n);
		}
		d->st = F_SUBSCRIBING;
		return 0;
	case MQ_SUBACK:
		if (d->st != F_SUBSCRIBING || p->code > 2) {
			fail(f, d, "subscription refused");
			return -1;
		}
		d->st = F_READY;
		f->r.ready++;
		f->live++;
		return 0;
	case MQ_PUBLISH:
		break;
	case MQ_DISCONNECT:
		f->r.lost++;
		fail(f, d, "DISCONNECT from the broker");
		return -1;
	default:
		return 0;
	}
	if (p->qos == 1)
		mq_conn_queue(&d->c, ack, mq_enc_puback(ack, sizeof(ack), p->pid));
	uint64_t now = bench_now_ns();
	if (topic_ends(p, "/notify-next")) {
		char job[130];
		f->r.notify_next++;
		if (payload_job(p, job, sizeof(job)) != 0)
			return 0;
		f->r.notify_next_exec++;
		if (f->r.t_first_notify == 0 || now < f->r.t_first_notify)
			f->r.t_first_notify = now;
		if (now > f->r.t_last_notify)
			f->r.t_last_notify = now;
		if (d->st == F_READY && !d->notified) {
			d->notified = 1;
			d->t_notify = now;
			d->st = F_START;
			dev_publish(f, d, "start-next", "{\"clientToken\":\"s\"}");
		}
		return 0;
	}
	if (topic_ends(p, "/notify")) {
		f->r.notify++;
		return 0;
	}
	if (topic_ends(p, "/rejected")) {
		if (d->st == F_START || d->st == F_UPDATE) {
			f->r.rejected++;
			fail(f, d, "rejected");
			return -1;
		}
		return 0;
	}
	if (d->st == F_START && topic_ends(p, "/start-next/accepted")) {
		char up[200];
		if (payload_job(p, d->job, sizeof(d->job)) != 0) {
			done(f, d);
			return 0;
		}
		snprintf(up, sizeof(up), "%s/update", d->job);
		d->st = F_UPDATE;
		dev_publish(f, d, up, "{\"status\":\"SUCCEEDED\"}");
		return 0;
	}
	if (d->st == F_UPDATE && topic_ends(p, "/update/accepted")) {
		f->r.completed++;
		bench_lat_add(&f->lat, now - d->t_notify);
		d->st = F_START;
		dev_publish(f, d, "start-next", "{\"clientToken\":\"s\"}");
		return 0;
	}
	return 0;
}

/* Open connections until FLEET_CONNECTING_MAX are in progress. */
static void
open_more(struct fleet *f)
{
	while (f->next_open < f->n && f->connecting < FLEET_CONNECTING_MAX) {
		struct fdev *d = &f->devs[f->next_open++];
		struct epoll_event ev;
		d->st = F_CONNECTING;
		f->connecting++;
		if (mq_conn_open(&d->c, (struct sockaddr *)&f->src, sizeof(f->src),
		        (struct sockaddr *)&f->dst, sizeof(f->dst), MQ_V5, d->thing, 0) != 0) {
			char e[120];
			snprintf(e, sizeof(e), "connect: %s", strerror(errno));
			fail(f, d, e);
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.ptr = d;
		d->out = 1;
		if (epoll_ctl(f->ep, EPOLL_CTL_ADD, d->c.fd, &ev) != 0)
			fail(f, d, "epoll_ctl");
	}
}

static void
service(struct fleet *f, struct fdev *d, uint32_t events)
{
	struct ctx cx = {f, d};

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		if (mq_conn_read(&d->c, on_packet, &cx) != 0) {
			if (d->st != F_FAILED && d->st != F_DONE) {
				f->r.lost++;
				fail(f, d, "connection lost");
			}
			return;
		}
	}
	if (d->st != F_FAILED)
		sync_out(f, d);
}

static void
child_report(int fd, struct fleet_report *r)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	r->cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	ssize_t w = write(fd, r, sizeof(*r));
	(void)w;
}

static int
child_main(const struct scen_opts *o, unsigned k, unsigned lo, unsigned hi, int wfd)
{
	struct fleet f;
	struct epoll_event evs[FLEET_EVENTS];
	uint64_t deadline = bench_now_ns() + (uint64_t)(FLEET_CONNECT_SECONDS * 1e9);
	uint64_t cap;

	memset(&f, 0, sizeof(f));
	f.o = o;
	f.n = hi - lo;
	f.lo = lo;
	f.qos = o->mqtt_qos;
	f.devs = calloc(f.n ? f.n : 1, sizeof(*f.devs));
	f.ep = epoll_create1(EPOLL_CLOEXEC);
	if (f.devs == NULL || f.ep < 0)
		return 2;
	bench_lat_init(&f.lat);
	memcpy(&f.dst, &o->mqtt.ss, sizeof(f.dst));
	f.src.sin_family = AF_INET;
	f.src.sin_addr.s_addr = htonl(0x7f000002u + k);
	for (unsigned i = 0; i < f.n; i++) {
		snprintf(f.devs[i].thing, sizeof(f.devs[i].thing), "%st%u", o->prefix, lo + i);
		f.devs[i].c.fd = -1;
	}
	/* connect and subscribe everyone */
	while (f.r.ready + f.r.failed < f.n && bench_now_ns() < deadline) {
		open_more(&f);
		int n = epoll_wait(f.ep, evs, FLEET_EVENTS, 50);
		for (int i = 0; i < n; i++)
			service(&f, evs[i].data.ptr, evs[i].events);
	}
	f.r.kind = 'R';
	child_report(wfd, &f.r);
	/* the parent creates the job now: serve until every device is done */
	cap = bench_now_ns() + (uint64_t)(o->common.hard_cap_s * 1e9);
	while (bench_now_ns() < cap && f.live > 0) {
		int n = epoll_wait(f.ep, evs, FLEET_EVENTS, 100);
		for (int i = 0; i < n; i++)
			service(&f, evs[i].data.ptr, evs[i].events);
	}
	bench_lat_sort(&f.lat);
	f.r.exec_p50 = bench_lat_pct(&f.lat, 50);
	f.r.exec_p99 = bench_lat_pct(&f.lat, 99);
	f.r.exec_max = bench_lat_pct(&f.lat, 100);
	for (unsigned i = 0; i < f.n; i++) {
		struct fdev *d = &f.devs[i];
		if ((d->st == F_READY || d->st == F_START || d->st == F_UPDATE) &&
		    f.r.first_error[0] == '\0')
			snprintf(f.r.first_error, sizeof(f.r.first_error),
			    "%s: not finished at the hard cap (state %d)", d->thing, d->st);
	}
	f.r.kind = 'D';
	child_report(wfd, &f.r);
	for (unsigned i = 0; i < f.n; i++) {
		uint8_t bye[2];
		if (f.devs[i].c.fd >= 0) {
			if (write(f.devs[i].c.fd, bye, mq_enc_disconnect(bye, sizeof(bye))) < 0) {
			}
		}
		mq_conn_close(&f.devs[i].c);
	}
	return 0;
}

/* Read one report from each child (in any order) within timeout_s. */
static int
collect(int rfd, unsigned procs, struct fleet_report *out, double timeout_s)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);
	unsigned got = 0;

	memset(out, 0, sizeof(*out));
	while (got < procs) {
		struct fleet_report r;
		fd_set rs;
		struct timeval tv = {1, 0};
		if (bench_now_ns() >= deadline)
			return -1;
		FD_ZERO(&rs);
		FD_SET(rfd, &rs);
		if (select(rfd + 1, &rs, NULL, NULL, &tv) <= 0)
			continue;
		if (read(rfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			return -1;
		got++;
		out->ready += r.ready;
		out->failed += r.failed;
		out->completed += r.completed;
		out->notify_next += r.notify_next;
		out->notify_next_exec += r.notify_next_exec;
		out->notify += r.notify;
		out->rejected += r.rejected;
		out->lost += r.lost;
		out->cpu_us += r.cpu_us;
		if (r.t_first_notify &&
		    (!out->t_first_notify || r.t_first_notify < out->t_first_notify))
			out->t_first_notify = r.t_first_notify;
		if (r.t_last_notify > out->t_last_notify)
			out->t_last_notify = r.t_last_notify;
		if (r.t_last_done > out->t_last_done)
			out->t_last_done = r.t_last_done;
		if (r.exec_p50 > out->exec_p50)
			out->exec_p50 = r.exec_p50;
		if (r.exec_p99 > out->exec_p99)
			out->exec_p99 = r.exec_p99;
		if (r.exec_max > out->exec_max)
			out->exec_max = r.exec_max;
		if (out->first_error[0] == '\0' && r.first_error[0] != '\0')
			memcpy(out->first_error, r.first_error, sizeof(out->first_error));
	}
	return 0;
}

int
scen_device_fleet_run(const struct scen_opts *o)
{
	unsigned n = o->things, procs = o->procs;
	int rp[2] = {-1, -1}, rc = 2;
	pid_t *kids = NULL;
	unsigned started = 0;
	struct fleet_report ready, fin;
	struct scen_src s;
	char path[200], body[400], job[160];
	uint64_t t_conn0, t_ready, t_job, t_created;

	if (!o->have_mqtt || o->mqtt.ss.ss_family != AF_INET) {
		fprintf(stderr, "jdbench: device-fleet needs --mqtt 127.0.0.1:PORT (IPv4)\n");
		return 2;
	}
	if (procs == 0)
		procs = (n + SCEN_FLEET_PER_PROC - 1) / SCEN_FLEET_PER_PROC;
	if (procs < 1)
		procs = 1;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.n = n;
	snprintf(s.group, sizeof(s.group), "%sg", o->prefix);
	if (scen_setup_things(o, &s, n, 1) != 0)
		return 2;
	if (pipe(rp) != 0) {
		perror("jdbench: pipe");
		return 2;
	}
	kids = calloc(procs, sizeof(*kids));
	if (kids == NULL)
		abort();
	fflush(NULL);
	t_conn0 = bench_now_ns();
	for (; started < procs; started++) {
		unsigned lo = (unsigned)((uint64_t)n * started / procs);
		unsigned hi = (unsigned)((uint64_t)n * (started + 1) / procs);
		pid_t p = fork();
		if (p < 0) {
			perror("jdbench: fork");
			goto out;
		}
		if (p == 0) {
			close(rp[0]);
			_exit(child_main(o, started, lo, hi, rp[1]));
		}
		kids[started] = p;
	}
	close(rp[1]);
	rp[1] = -1;
	if (collect(rp[0], procs, &ready, FLEET_CONNECT_SECONDS + 10) != 0) {
		fprintf(stderr, "jdbench: device-fleet: the generators did not connect in time\n");
		goto out;
	}
	t_ready = bench_now_ns();
	scen_print_figure("MqttConnectSubscribe", n, n - ready.ready,
	    (double)(t_ready - t_conn0) / 1e9, 0, 0, 0, o->common.json);
	fprintf(stderr,
	    "jdbench: device-fleet: %u devices subscribed of %u over %u processes%s%s\n",
	    ready.ready, n, procs, ready.first_error[0] ? "; first error: " : "",
	    ready.first_error);
	/* the fan-out: one job over the group */
	snprintf(job, sizeof(job), "%sfleet", o->prefix);
	snprintf(path, sizeof(path), "/jobs/%s", job);
	snprintf(body, sizeof(body),
	    "{\"targets\":[\"arn:aws:iot:%s:%s:thinggroup/%s\"],\"document\":\"{\\\"op\\\":\\\"x\\\"}\"}",
	    o->region, o->account, s.group);
	t_job = bench_now_ns();
	if (scen_once(o, &o->control, "CreateJob", "PUT", path, body, NULL, 0) != 0)
		goto out;
	t_created = bench_now_ns();
	if (collect(rp[0], procs, &fin, o->common.hard_cap_s + 30) != 0) {
		fprintf(stderr, "jdbench: device-fleet: the generators did not finish in time\n");
		goto out;
	}
	rc = scen_wait_count(o, job, "numberOfSucceededThings", ready.ready, 60.0) == 0 ? 0 : 1;
	{
		double fan = (double)(fin.t_last_notify - t_job) / 1e9;
		double run = (double)(fin.t_last_done - t_job) / 1e9;
		/* fan-out: CreateJob answered, first and last notify-next with an
		 * execution received, all from CreateJob sent */
		printf("op=FleetFanOut devices=%" PRIu64 " missing=%" PRIu64
		       " create_job_ms=%.1f first_notify_ms=%.1f last_notify_ms=%.1f "
		       "notify_next_per_s=%.0f\n",
		    fin.notify_next_exec, (uint64_t)ready.ready - fin.notify_next_exec,
		    (double)(t_created - t_job) / 1e6, (double)(fin.t_first_notify - t_job) / 1e6,
		    (double)(fin.t_last_notify - t_job) / 1e6,
		    fan > 0 ? (double)fin.notify_next_exec / fan : 0.0);
		scen_print_figure("FleetExecution", fin.completed, ready.ready - fin.completed, run,
		    fin.exec_p50, fin.exec_p99, fin.exec_max, o->common.json);
		fprintf(stderr,
		    "jdbench: device-fleet: CreateJob %.3f s; notify-next with an execution to %" PRIu64
		    " of %u devices, the last %.3f s after CreateJob was sent (%.0f/s); %" PRIu64
		    " executions completed in %.3f s (%.0f/s); notify-next %" PRIu64
		    ", notify %" PRIu64 "; errors: %" PRIu64 " rejected, %" PRIu64
		    " connections lost%s%s\n",
		    (double)(t_created - t_job) / 1e9, fin.notify_next_exec, ready.ready, fan,
		    fan > 0 ? (double)fin.notify_next_exec / fan : 0.0, fin.completed, run,
		    run > 0 ? (double)fin.completed / run : 0.0, fin.notify_next, fin.notify,
		    fin.rejected, fin.lost, fin.first_error[0] ? "; first: " : "", fin.first_error);
		/* the generators' CPU: connecting, and from CreateJob to the end */
		printf("op=FleetGeneratorCpu procs=%u connect_cpu_s=%.2f run_cpu_s=%.2f "
		       "run_us_per_execution=%.1f\n",
		    procs, (double)ready.cpu_us / 1e6, (double)(fin.cpu_us - ready.cpu_us) / 1e6,
		    fin.completed ? (double)(fin.cpu_us - ready.cpu_us) / (double)fin.completed :
		                    0.0);
		fflush(stdout);
		if (fin.completed < ready.ready || fin.notify_next_exec < ready.ready ||
		    ready.ready < n || fin.rejected || fin.lost)
			rc = 1;
	}
out:
	for (unsigned k = 0; k < started; k++) {
		int st;
		if (rc != 0)
			kill(kids[k], SIGTERM);
		waitpid(kids[k], &st, 0);
	}
	if (rp[0] >= 0)
		close(rp[0]);
	if (rp[1] >= 0)
		close(rp[1]);
	free(kids);
	return rc;
}
