/*
 * mqtt_echo.c: a zero-work responder for the device-mqtt flow, the ceiling
 * of bench/run-mqtt-ceiling.sh (issue 15: what Mosquitto and the generator
 * reach on this machine without jobsd).
 *
 * It stands where jobsd stands: one client of the broker, user "jobsd",
 * subscribed to $aws/things/+/jobs/# (QoS 1, no-local), and it answers what
 * `jdbench scenario device-mqtt --setup none` sends with the messages jobsd
 * would send, of the same shape and about the same size, in the same order:
 *   start-next            -> start-next/accepted with the thing's next
 *                            execution (IN_PROGRESS), or without one when
 *                            its --jobs executions are done;
 *   <jobId>/update        -> notify (the queued executions left),
 *                            notify-next (the next one, or none), then
 *                            <jobId>/update/accepted.
 * A thing is "<prefix>t<i>" and its jobs "<prefix>j<k>" (jdbench's names);
 * the only state is each thing's next k, in a hash table. There is no store,
 * no thread and no JSON parser: one epoll loop over one connection
 * (mqtt_epoll.c), every packet of a read() answered into one write buffer,
 * sent with one write() per read. QoS 1 publishes stay within the broker's
 * Receive Maximum (its CONNACK; the rest wait in the order they were made).
 *
 *   mqtt_echo --mqtt 127.0.0.1:PORT --jobs J [--username U] [--qos 0|1]
 *   (the password from the environment, JOBSD_MQTT_PASSWORD, as for jobsd)
 *
 * Prints "mqtt_echo ready" once subscribed, and at SIGTERM/SIGINT one line
 * op=MqttEcho requests=.. replies=.. cpu_s=..; exits 0, or 2 on a set-up or
 * connection error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_addr.h"
#include "mqtt_epoll.h"

#define ECHO_FILTER "$aws/things/+/jobs/#"
#define ECHO_TABLE (1u << 16) /* things: open addressing, at most 3/4 full */
#define ECHO_THING_MAX 128
#define ECHO_JOBS_MAX 10000

struct thing {
	char name[ECHO_THING_MAX + 1];
	unsigned next; /* the index of its next execution */
	unsigned version;
};

/* A QoS 1 publish waiting for room in the broker's Receive Maximum. */
struct held {
	struct held *next;
	size_t len;
	uint8_t pkt[]; /* encoded with packet id 0: patched when sent */
};

struct echo {
	struct mq_conn c;
	int qos;
	unsigned jobs;
	unsigned inflight, window;
	struct held *head, *tail;
	struct thing *things;
	unsigned nthings;
	int subscribed;
	uint64_t requests, replies, errors;
	int64_t now_s;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint32_t
fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static struct thing *
thing_get(struct echo *e, const char *name, size_t n)
{
	uint32_t i = fnv(name, n) & (ECHO_TABLE - 1);

	if (n > ECHO_THING_MAX)
		return NULL;
	for (;;) {
		struct thing *t = &e->things[i];
		if (t->name[0] == '\0') {
			if (e->nthings >= ECHO_TABLE / 4 * 3)
				return NULL;
			memcpy(t->name, name, n);
			t->name[n] = '\0';
			t->version = 1;
			e->nthings++;
			return t;
		}
		if (strncmp(t->name, name, n) == 0 && t->name[n] == '\0')
			return t;
		i = (i + 1) & (ECHO_TABLE - 1);
	}
}

/* Send a publish now, or hold it until the window has room. */
static void
pub(struct echo *e, const char *topic, const char *payload, size_t len)
{
	size_t need = strlen(topic) + len + 16, n;

	if (e->qos == 0 || e->inflight < e->window) {
		uint16_t pid = 0;
		if (e->qos > 0) {
			pid = e->c.next_pid++;
			if (e->c.next_pid == 0)
				e->c.next_pid = 1;
			e->inflight++;
		}
		uint8_t *buf = malloc(need);
		if (buf == NULL)
			abort();
		n = mq_enc_publish(buf, need, e->c.version, topic, payload, len, e->qos, pid);
		mq_conn_queue(&e->c, buf, n);
		free(buf);
	} else {
		struct held *h = malloc(sizeof(*h) + need);
		if (h == NULL)
			abort();
		/* packet id 1 as a placeholder (0 is refused at QoS 1) */
		h->len = mq_enc_publish(h->pkt, need, e->c.version, topic, payload, len, 1, 1);
		h->next = NULL;
		if (e->tail)
			e->tail->next = h;
		else
			e->head = h;
		e->tail = h;
	}
	e->replies++;
}

/* A PUBACK came: send held publishes while the window has room. */
static void
release_held(struct echo *e)
{
	while (e->head != NULL && e->inflight < e->window) {
		struct held *h = e->head;
		uint16_t pid = e->c.next_pid++;
		size_t tl, off;
		if (e->c.next_pid == 0)
			e->c.next_pid = 1;
		/* the packet id follows the topic: fixed header, 2 + topic bytes */
		off = 1;
		while (h->pkt[off] & 0x80)
			off++;
		off++;
		tl = (size_t)h->pkt[off] << 8 | h->pkt[off + 1];
		off += 2 + tl;
		h->pkt[off] = (uint8_t)(pid >> 8);
		h->pkt[off + 1] = (uint8_t)pid;
		mq_conn_queue(&e->c, h->pkt, h->len);
		e->inflight++;
		e->head = h->next;
		if (e->head == NULL)
			e->tail = NULL;
		free(h);
	}
}

/* The job prefix of thing "<prefix>t<i>": the bytes before the last 't'. */
static size_t
prefix_len(const char *thing, size_t n)
{
	while (n > 0 && thing[n - 1] != 't')
		n--;
	return n > 0 ? n - 1 : 0;
}

/* One execution in jobsd's MQTT shape (shape_mqtt); started: IN_PROGRESS. */
static int
exec_json(char *out, size_t size, const struct echo *e, const char *thing, size_t plen, unsigned k,
    int started, unsigned version)
{
	char at[48] = "";

	if (started)
		snprintf(at, sizeof(at), ",\"startedAt\":%" PRId64, e->now_s);
	return snprintf(out, size,
	    "{\"jobId\":\"%.*sj%u\",\"thingName\":\"%s\",\"jobDocument\":{\"op\":\"x\"},"
	    "\"status\":\"%s\",\"queuedAt\":%" PRId64 "%s,\"lastUpdatedAt\":%" PRId64
	    ",\"versionNumber\":%u,\"executionNumber\":1}",
	    (int)plen, thing, k, thing, started ? "IN_PROGRESS" : "QUEUED", e->now_s, at, e->now_s,
	    version);
}

/* The clientToken of a request, copied as it is ("" when absent). */
static void
client_token(const uint8_t *p, size_t n, char *out, size_t size)
{
	static const char key[] = "\"clientToken\":\"";
	size_t k = sizeof(key) - 1;

	out[0] = '\0';
	for (size_t i = 0; i + k <= n; i++) {
		if (memcmp(p + i, key, k) != 0)
			continue;
		size_t j = i + k, o = 0;
		while (j < n && p[j] != '"' && o + 1 < size)
			out[o++] = (char)p[j++];
		out[o] = '\0';
		return;
	}
}

static void
serve(struct echo *e, const struct mq_pkt *p)
{
	static const char pre[] = "$aws/things/";
	const char *tp = p->topic, *end = p->topic + p->topic_len, *slash, *rest;
	char topic[512], payload[4096], ex[1024], token[80];
	struct thing *t;
	size_t tn, plen, rn;
	int n;

	if (p->topic_len <= sizeof(pre) - 1 || memcmp(tp, pre, sizeof(pre) - 1) != 0)
		return;
	tp += sizeof(pre) - 1;
	if ((slash = memchr(tp, '/', (size_t)(end - tp))) == NULL)
		return;
	tn = (size_t)(slash - tp);
	if ((size_t)(end - slash) < 6 || memcmp(slash, "/jobs/", 6) != 0)
		return;
	rest = slash + 6;
	rn = (size_t)(end - rest);
	if ((t = thing_get(e, tp, tn)) == NULL) {
		e->errors++;
		return;
	}
	plen = prefix_len(t->name, tn);
	client_token(p->payload, p->payload_len, token, sizeof(token));
	if (rn == 10 && memcmp(rest, "start-next", 10) == 0) {
		e->requests++;
		snprintf(topic, sizeof(topic), "%.*s/accepted", (int)p->topic_len, p->topic);
		if (t->next < e->jobs) {
			t->version = 2;
			exec_json(ex, sizeof(ex), e, t->name, plen, t->next, 1, t->version);
			n = snprintf(payload, sizeof(payload),
			    "{\"execution\":%s,\"timestamp\":%" PRId64 "%s%s%s}", ex, e->now_s,
			    token[0] ? ",\"clientToken\":\"" : "", token, token[0] ? "\"" : "");
		} else {
			n = snprintf(payload, sizeof(payload), "{\"timestamp\":%" PRId64 "%s%s%s}",
			    e->now_s, token[0] ? ",\"clientToken\":\"" : "", token,
			    token[0] ? "\"" : "");
		}
		pub(e, topic, payload, (size_t)n);
		return;
	}
	if (rn > 7 && memcmp(rest + rn - 7, "/update", 7) == 0) {
		size_t o;
		e->requests++;
		if (t->next < e->jobs)
			t->next++;
		/* notify: the executions still queued */
		o = (size_t)snprintf(payload, sizeof(payload),
		    "{\"timestamp\":%" PRId64 ",\"jobs\":{", e->now_s);
		if (t->next < e->jobs) {
			o += (size_t)snprintf(payload + o, sizeof(payload) - o, "\"QUEUED\":[");
			for (unsigned k = t->next; k < e->jobs && o + 200 < sizeof(payload); k++)
				o += (size_t)snprintf(payload + o, sizeof(payload) - o,
				    "%s{\"jobId\":\"%.*sj%u\",\"queuedAt\":%" PRId64
				    ",\"lastUpdatedAt\":%" PRId64
				    ",\"versionNumber\":1,\"executionNumber\":1}",
				    k > t->next ? "," : "", (int)plen, t->name, k, e->now_s,
				    e->now_s);
			o += (size_t)snprintf(payload + o, sizeof(payload) - o, "]");
		}
		o += (size_t)snprintf(payload + o, sizeof(payload) - o, "}}");
		snprintf(topic, sizeof(topic), "$aws/things/%s/jobs/notify", t->name);
		pub(e, topic, payload, o);
		/* notify-next: the next execution, or none */
		if (t->next < e->jobs) {
			exec_json(ex, sizeof(ex), e, t->name, plen, t->next, 0, 1);
			n = snprintf(payload, sizeof(payload),
			    "{\"timestamp\":%" PRId64 ",\"execution\":%s}", e->now_s, ex);
		} else {
			n = snprintf(payload, sizeof(payload), "{\"timestamp\":%" PRId64 "}",
			    e->now_s);
		}
		snprintf(topic, sizeof(topic), "$aws/things/%s/jobs/notify-next", t->name);
		pub(e, topic, payload, (size_t)n);
		/* the answer */
		snprintf(topic, sizeof(topic), "%.*s/accepted", (int)p->topic_len, p->topic);
		n = snprintf(payload, sizeof(payload), "{\"timestamp\":%" PRId64 "%s%s%s}",
		    e->now_s, token[0] ? ",\"clientToken\":\"" : "", token, token[0] ? "\"" : "");
		pub(e, topic, payload, (size_t)n);
	}
}

static int
on_packet(void *arg, const struct mq_pkt *p)
{
	struct echo *e = arg;
	uint8_t ack[4];

	switch (p->type) {
	case MQ_CONNACK:
		if (p->code != 0) {
			fprintf(stderr, "mqtt_echo: the broker refused the connection (code %d)\n",
			    p->code);
			return -1;
		}
		if (p->recv_max > 0)
			e->window = p->recv_max;
		{
			uint8_t sub[128];
			size_t n = mq_enc_subscribe(sub, sizeof(sub), e->c.version, 1, ECHO_FILTER,
			    e->qos, 0x04);
			mq_conn_queue(&e->c, sub, n);
		}
		return 0;
	case MQ_SUBACK:
		if (p->code > 2) {
			fprintf(stderr, "mqtt_echo: the subscription was refused (code %d)\n",
			    p->code);
			return -1;
		}
		e->subscribed = 1;
		printf("mqtt_echo ready\n");
		fflush(stdout);
		return 0;
	case MQ_PUBACK:
		if (e->inflight > 0)
			e->inflight--;
		release_held(e);
		return 0;
	case MQ_PUBLISH:
		if (p->qos == 1)
			mq_conn_queue(&e->c, ack, mq_enc_puback(ack, sizeof(ack), p->pid));
		if (!p->retain)
			serve(e, p);
		return 0;
	case MQ_DISCONNECT:
		fprintf(stderr, "mqtt_echo: DISCONNECT from the broker (reason %d)\n", p->code);
		return -1;
	default:
		return 0;
	}
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: mqtt_echo --mqtt HOST:PORT --jobs J [--username U] [--qos 0|1]\n"
	    "       (password: JOBSD_MQTT_PASSWORD)\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct echo e;
	struct bench_addr broker;
	const char *user = NULL, *pass = getenv("JOBSD_MQTT_PASSWORD");
	char err[256], id[64];
	int have_broker = 0, ep = -1, out = 0, rc = 2;
	struct epoll_event ev;
	struct sigaction sa;

	memset(&e, 0, sizeof(e));
	e.c.fd = -1;
	e.qos = 1;
	e.window = 65535;
	for (int i = 1; i < argc; i += 2) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			return usage();
		if (strcmp(f, "--mqtt") == 0) {
			if (bench_addr_parse(v, &broker, err, sizeof(err)) != 0) {
				fprintf(stderr, "mqtt_echo: --mqtt: %s\n", err);
				return 2;
			}
			have_broker = 1;
		} else if (strcmp(f, "--jobs") == 0) {
			e.jobs = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(f, "--username") == 0) {
			user = v;
		} else if (strcmp(f, "--qos") == 0 &&
		    (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
			e.qos = v[0] - '0';
		} else {
			return usage();
		}
	}
	if (!have_broker || e.jobs < 1 || e.jobs > ECHO_JOBS_MAX)
		return usage();
	if (pass != NULL && pass[0] == '\0')
		pass = NULL;
	if (pass != NULL && user == NULL)
		user = "jobsd";
	e.things = calloc(ECHO_TABLE, sizeof(*e.things));
	if (e.things == NULL)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	snprintf(id, sizeof(id), "mqtt-echo-%ld", (long)getpid());
	if (mq_conn_open_auth(&e.c, NULL, 0, (struct sockaddr *)&broker.ss, broker.len, MQ_V5, id,
	        0, user, pass) != 0) {
		fprintf(stderr, "mqtt_echo: connect: %s\n", strerror(errno));
		goto done;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		goto done;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	out = 1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, e.c.fd, &ev) != 0)
		goto done;
	while (!stop) {
		struct epoll_event got;
		struct timespec ts;
		int pending = 0;
		int n = epoll_wait(ep, &got, 1, 200);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		e.now_s = (int64_t)ts.tv_sec;
		if ((got.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
		    mq_conn_read(&e.c, on_packet, &e) != 0) {
			fprintf(stderr, "mqtt_echo: the connection to the broker ended\n");
			goto done;
		}
		if (mq_conn_flush(&e.c, &pending) != 0) {
			fprintf(stderr, "mqtt_echo: write: %s\n", strerror(errno));
			goto done;
		}
		if (pending != out) {
			ev.events = EPOLLIN | (pending ? EPOLLOUT : 0);
			if (epoll_ctl(ep, EPOLL_CTL_MOD, e.c.fd, &ev) == 0)
				out = pending;
		}
	}
	rc = 0;
done:
	printf("op=MqttEcho requests=%" PRIu64 " replies=%" PRIu64 " things=%u errors=%" PRIu64
	       " cpu_s=%.2f\n",
	    e.requests, e.replies, e.nthings, e.errors, cpu_s());
	fflush(stdout);
	if (e.c.fd >= 0) {
		uint8_t bye[2];
		if (write(e.c.fd, bye, mq_enc_disconnect(bye, sizeof(bye))) < 0) {
		}
	}
	mq_conn_close(&e.c);
	while (e.head != NULL) {
		struct held *h = e.head;
		e.head = h->next;
		free(h);
	}
	free(e.things);
	if (ep >= 0)
		close(ep);
	return rc;
}
