/*
 * bridge.c: libmosquitto glue for the MQTT device plane.
 *
 * One client connection per jobsd node; libmosquitto's own thread runs the
 * network loop and reconnects with exponential backoff (1 s to 30 s) when the
 * broker goes away; every (re)connection subscribes again. With
 * --mqtt-protocol auto, MQTT 5 is tried first and 3.1.1 used when the broker
 * refuses it (CONNACK "unacceptable protocol version") or closes the
 * connection before any CONNACK (RabbitMQ 3.x); a later such failure
 * switches back. A request is decoded by
 * the pure layer (topic.c), served by svc/, and answered at QoS 1 on the
 * request topic + "/accepted" or "/rejected". Notifications come from svc's
 * sink after commit (svc/notify.c) and are published from the committing
 * thread (libmosquitto's publish is thread-safe), or by the sender thread
 * when the outgoing bound is reached (out.c: what libmosquitto holds is
 * bounded; the workers wait for room before each request).
 *
 * Hostile devices (issue 13, D25; docs/operations.md#hardening):
 *   - queued requests are bounded in bytes, over all things and per thing
 *     (a thing's share), and each thing in requests per second; over any,
 *     the request is dropped before its payload is copied, and answered
 *     RequestThrottled once per thing and second at most (bridge_int.h says
 *     why: what jobsd sends to a flooder delays everyone's replies). A worker
 *     that falls idle after a flood hands the freed heap back to the system
 *     (malloc_trim, at most every TRIM_EVERY_MS).
 *   - a request with the retain flag is never served (a retained request
 *     would be replayed on every reconnect): logged and counted.
 *   - "session taken over" (MQTT 5 reason 0x8E) or a disconnect soon after
 *     connecting is logged as a possible attack on jobsd's client id, and
 *     the reconnect delay doubles per repeat (up to 30 s) instead of a
 *     reconnect storm with the other client.
 * Warnings a device can trigger at will are rate-limited (struct gate).
 */
#include "mqtt/bridge.h"

#include <malloc.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "mqtt/mqtt.h"
#include "shape/shape.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#include "mqtt/bridge_int.h"

static int lib_refs;
static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;

int
mqtt_shard_of(const char *thing, int shards)
{
	uint32_t h = 2166136261u;

	if (shards <= 1)
		return 0;
	for (const unsigned char *p = (const unsigned char *)thing; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (int)(h % (uint32_t)shards);
}

int64_t
mqtt__now_s(struct mqtt_bridge *b)
{
	return svc_now(b->svc) / 1000;
}

/* True when a warning of this kind may be logged now; *n gets how many
 * were held back since the last one logged. */
static bool
gate_pass(struct gate *g, uint64_t *n)
{
	int64_t now = clock_mono_ms();

	if (g->last_ms != 0 && now - g->last_ms < LOG_EVERY_MS) {
		g->suppressed++;
		return false;
	}
	g->last_ms = now;
	*n = g->suppressed;
	g->suppressed = 0;
	return true;
}

static void
publish(struct mqtt_bridge *b, const char *topic, const struct buf *payload)
{
	mqtt__publish(b, topic, payload, 1);
}

/* ---- payload encoding -------------------------------------------------- */

/* The execution and pending-list shapes are shape/'s (shape_mqtt: integer
 * seconds, the job document embedded as JSON); here only the envelope. */

static void
envelope_end(struct jw *w, const struct mqtt_request *req, int64_t seconds)
{
	jw_kint(w, "timestamp", seconds);
	if (req != NULL && req->has_client_token)
		jw_kstr(w, "clientToken", req->client_token);
	jw_obj_end(w);
}

/* ---- requests ----------------------------------------------------------- */

/* qos 0 for the replies to a flood: they must not take the in-flight window
 * (QoS 1) that the replies to other devices wait for. */
static void
reject_qos(struct mqtt_bridge *b, const struct mqtt_topic *t, int code, const char *msg,
    const struct mqtt_request *req, const struct jd_error *e, int qos)
{
	char topic[MQTT_REPLY_TOPIC_SIZE];
	struct buf out = BUF_INIT;

	if (mqtt_reply_topic(t, false, topic, sizeof(topic)) != 0)
		return;
	mqtt_encode_rejected(&out, code, msg, req, mqtt__now_s(b), e);
	mqtt__publish(b, topic, &out, qos);
	buf_free(&out);
}

static void
reject(struct mqtt_bridge *b, const struct mqtt_topic *t, int code, const char *msg,
    const struct mqtt_request *req, const struct jd_error *e)
{
	reject_qos(b, t, code, msg, req, e, 1);
}

static void
accept_(struct mqtt_bridge *b, const struct mqtt_topic *t, const struct buf *payload)
{
	char topic[MQTT_REPLY_TOPIC_SIZE];

	if (mqtt_reply_topic(t, true, topic, sizeof(topic)) == 0)
		publish(b, topic, payload);
}

static int
serve(struct mqtt_bridge *b, const struct mqtt_topic *t, const struct mqtt_request *req,
    struct buf *out, struct jd_error *e)
{
	struct jd_exec x;
	struct jd_execv pending = {0};
	char *doc = NULL;
	bool found = false;
	struct jw w;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	jw_init(&w, out);
	switch (t->kind) {
	case MQTT_T_GET_PENDING:
		if ((rc = svc_dev_pending(b->svc, t->thing, t->namespace_id, jd_execv_add, &pending,
		         e)) != 0)
			break;
		jw_obj_begin(&w);
		jw_key(&w, "inProgressJobs");
		shape_exec_data_list(&w, &shape_mqtt, &pending, JD_EXEC_IN_PROGRESS);
		jw_key(&w, "queuedJobs");
		shape_exec_data_list(&w, &shape_mqtt, &pending, JD_EXEC_QUEUED);
		envelope_end(&w, req, mqtt__now_s(b));
		break;
	case MQTT_T_START_NEXT:
		if ((rc = svc_dev_start_next(b->svc, t->thing, t->namespace_id, req->details,
		         req->step_minutes, &x, &doc, &found, e)) != 0)
			break;
		jw_obj_begin(&w);
		if (found) {
			jw_key(&w, "execution");
			shape_exec_data(&w, &shape_mqtt, &x, doc, svc_now(b->svc));
		}
		envelope_end(&w, req, mqtt__now_s(b));
		break;
	case MQTT_T_DESCRIBE:
		if ((rc = svc_dev_describe(b->svc, t->thing, t->job_id, t->namespace_id,
		         req->execution_number, &x, &doc, &found, e)) != 0)
			break;
		jw_obj_begin(&w);
		if (found) {
			jw_key(&w, "execution");
			shape_exec_data(&w, &shape_mqtt, &x, req->include_doc ? doc : NULL,
			    svc_now(b->svc));
		}
		envelope_end(&w, req, mqtt__now_s(b));
		break;
	case MQTT_T_UPDATE: {
		struct svc_update_input in = {req->status, req->details, req->step_minutes,
		    req->expected_version, req->execution_number};
		if ((rc = svc_dev_update(b->svc, t->thing, t->job_id, &in, &x, &doc, e)) != 0)
			break;
		jw_obj_begin(&w);
		if (req->include_state) {
			jw_key(&w, "executionState");
			shape_exec_state(&w, x.status, x.details, x.version);
		}
		if (req->include_doc)
			shape_kdoc(&w, &shape_mqtt, doc);
		envelope_end(&w, req, mqtt__now_s(b));
		break;
	}
	default:
		rc = jd_error_set(e, JD_EINVAL, "Unsupported request");
	}
	jd_execv_free(&pending);
	jd_exec_release(&x);
	free(doc);
	return rc;
}

/* The data-plane operation of each request kind (throttling buckets, D19). */
static const char *const op_name[MQTT_T__COUNT] = {
    [MQTT_T_GET_PENDING] = "GetPendingJobExecutions",
    [MQTT_T_START_NEXT] = "StartNextPendingJobExecution",
    [MQTT_T_DESCRIBE] = "DescribeJobExecution",
    [MQTT_T_UPDATE] = "UpdateJobExecution",
};
_Static_assert(MQTT_T__COUNT <= METRICS_MQTT_OPS, "a metrics slot per request kind");

/* Serve one decoded request and publish its reply (a worker thread). */
static void
handle(struct mqtt_bridge *b, const struct mqtt_topic *t, const char *payload, size_t len)
{
	struct mqtt_request req;
	struct jd_error e;
	struct buf out = BUF_INIT;
	uint64_t t0 = metrics_now_us();
	int rc;

	jd_error_init(&e);
	rc = mqtt_payload_parse(t->kind, payload, len, &req, &e);
	if (rc == 0 && b->cfg.throttle != NULL &&
	    b->cfg.throttle(b->cfg.throttle_arg, op_name[t->kind]) != 0) {
		rc = jd_error_set(&e, JD_ETHROTTLED, "Rate exceeded");
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_MQTT_THROTTLED]);
	}
	if (rc == 0)
		rc = serve(b, t, &req, &out, &e);
	/* /metrics: by kind, accepted or rejected; time from the worker's start
	 * to the answer. Counted before the reply goes out, so that a client
	 * that has its reply sees it counted (test_14 once read the counter
	 * between the two on a loaded machine) */
	metrics_inc(&jd_metrics.mqtt_requests[t->kind][rc != 0]);
	metrics_observe(&jd_metrics.mqtt_seconds[t->kind], metrics_now_us() - t0);
	if (rc == 0)
		accept_(b, t, &out);
	else
		reject(b, t, e.code ? e.code : rc, NULL, &req, &e);
	mqtt_request_release(&req);
	jd_error_clear(&e);
	buf_free(&out);
}

static uint32_t
worker_hash(const char *thing)
{
	uint32_t h = 5381;

	for (const unsigned char *p = (const unsigned char *)thing; *p; p++)
		h = h * 33 + *p; /* djb2: independent of the shard's FNV-1a */
	return h;
}

/* Unlink s from w->shares (w->mu held) and keep it as a spare or free it. */
static void
share_drop(struct worker *w, struct share **link, struct share *s)
{
	*link = s->next;
	w->nshares--;
	if (w->nspare < SHARE_SPARE) {
		s->next = w->spare;
		w->spare = s;
		w->nspare++;
	} else {
		free(s);
	}
}

/* The share entry of thing in w, created when absent (w->mu held). Entries
 * of the same chain that hold nothing and whose window is over go on the way. */
static struct share *
share_get(struct worker *w, uint32_t h, const char *thing, int64_t now)
{
	struct share **link = &w->shares[h % SHARE_BUCKETS];
	struct share *s;

	while ((s = *link) != NULL) {
		if (strcmp(s->thing, thing) == 0)
			return s;
		if (s->bytes == 0 && now - s->win_ms >= THING_WINDOW_MS) {
			share_drop(w, link, s);
			continue;
		}
		link = &s->next;
	}
	if ((s = w->spare) != NULL) {
		w->spare = s->next;
		w->nspare--;
	} else {
		s = jd_malloc(sizeof(*s));
	}
	jd_strlcpy(s->thing, thing, sizeof(s->thing));
	s->bytes = 0;
	s->h = h;
	s->win_ms = now;
	s->seen = 0;
	s->told = false;
	s->next = w->shares[h % SHARE_BUCKETS];
	w->shares[h % SHARE_BUCKETS] = s;
	w->nshares++;
	return s;
}

/* Give back cost bytes of s (w->mu held). An emptied entry stays for its rate
 * window (share_get drops it later) unless the worker holds too many. */
static void
share_put(struct mqtt_bridge *b, struct worker *w, struct share *s, size_t cost)
{
	atomic_fetch_sub_explicit(&b->queued_bytes, cost, memory_order_relaxed);
	if ((s->bytes -= cost) != 0 || w->nshares <= SHARE_KEEP)
		return;
	for (struct share **p = &w->shares[s->h % SHARE_BUCKETS]; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			share_drop(w, p, s);
			break;
		}
	}
}

/* After a flood, hand the freed heap back to the system: glibc keeps freed
 * chunks below the top of each arena. Rate-limited; any worker may do it. */
static void
trim_maybe(struct mqtt_bridge *b)
{
	int64_t now = clock_mono_ms();

	if (!atomic_exchange(&b->trim_wanted, false))
		return;
	if (now - atomic_load(&b->last_trim_ms) < TRIM_EVERY_MS ||
	    atomic_load(&b->queued_bytes) >= TRIM_MARK) {
		atomic_store(&b->trim_wanted, true); /* later */
		return;
	}
	atomic_store(&b->last_trim_ms, now);
	malloc_trim(0);
}

void
mqtt__cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mqtt_bridge *b = w->b;
	struct mqtt_topic t;

	mqtt__out_worker_thread();
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stop) {
			if (!atomic_load_explicit(&b->trim_wanted, memory_order_relaxed)) {
				pthread_cond_wait(&w->cv, &w->mu);
				continue;
			}
			mqtt__cond_wait_ms(&w->cv, &w->mu, TRIM_IDLE_MS);
			if (w->head == NULL && !w->stop) {
				pthread_mutex_unlock(&w->mu);
				trim_maybe(b);
				pthread_mutex_lock(&w->mu);
			}
		}
		if (w->head == NULL && w->stop)
			break;
		struct job_msg *m = w->head;
		w->head = m->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->queued--;
		pthread_mutex_unlock(&w->mu);
		mqtt__out_admit(b); /* backpressure: room for the reply (out.c) */
		mqtt_topic_parse(m->data, m->tlen, &t);
		handle(b, &t, m->data + m->tlen + 1, m->len);
		pthread_mutex_lock(&w->mu);
		share_put(b, w, m->share, m->cost);
		free(m);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum refusal { REF_COUNT, REF_BYTES, REF_RATE, REF_TOOBIG };

/* At most `per_s` replies a second through the window (*since, *n)
 * (network thread). */
static bool
reply_budget(int64_t *since, int *n, int per_s)
{
	int64_t now = clock_mono_ms();

	if (now - *since >= 1000) {
		*since = now;
		*n = 0;
	}
	return (*n)++ < per_s;
}

/* Refuse a request (network thread); `tell`: the thing has had no reply to
 * a refusal in this window yet. */
static void
refuse(struct mqtt_bridge *b, const struct mqtt_topic *t, enum refusal why, bool tell)
{
	static const char *const what[] = {
	    [REF_COUNT] = "a request queue is full",
	    [REF_BYTES] = "the queued requests reached their byte budget or a thing its share",
	    [REF_RATE] = "a thing is over its requests per second",
	    [REF_TOOBIG] = "a request is over 128 KiB",
	};
	atomic_uint_fast64_t *const counter[] = {
	    [REF_COUNT] = &b->n_throttled_count,
	    [REF_BYTES] = &b->n_throttled_bytes,
	    [REF_RATE] = &b->n_throttled_rate,
	    [REF_TOOBIG] = NULL,
	};
	uint64_t held;

	if (counter[why] != NULL)
		atomic_fetch_add_explicit(counter[why], 1, memory_order_relaxed);
	if (why == REF_BYTES)
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_MQTT_BYTES]);
	else if (why == REF_COUNT)
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_MQTT_QUEUE]);
	else if (why == REF_RATE)
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_MQTT_THROTTLED]);
	if (why != REF_TOOBIG && gate_pass(&b->gate_full, &held))
		log_warn("mqtt: %s; refusing requests with RequestThrottled (now %s; %llu more "
		         "refused since the last warning)",
		    what[why], t->thing, (unsigned long long)held);
	if (!tell || !reply_budget(&b->replies_since_ms, &b->replies, REFUSED_REPLIES_PER_S)) {
		atomic_fetch_add_explicit(&b->n_unanswered, 1, memory_order_relaxed);
		return;
	}
	if (why == REF_TOOBIG)
		reject_qos(b, t, JD_ETOOBIG, "The payload exceeds 128 KiB", NULL, NULL, 0);
	else
		reject_qos(b, t, JD_ETHROTTLED, "Too many requests in flight; retry later", NULL,
		    NULL, 0);
}

/* A reply to a malformed request topic, within INVALID_REPLIES_PER_S. */
static void
reject_invalid(struct mqtt_bridge *b, const struct mqtt_topic *t, int code)
{
	if (!reply_budget(&b->invalid_since_ms, &b->invalid, INVALID_REPLIES_PER_S)) {
		atomic_fetch_add_explicit(&b->n_unanswered, 1, memory_order_relaxed);
		return;
	}
	reject(b, t, code, t->msg, NULL, NULL);
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct mqtt_bridge *b = arg;
	size_t len = (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0);
	struct mqtt_topic t;
	struct job_msg *jm;
	struct worker *w;
	struct share *sh;
	uint32_t h;
	size_t cost, total, tlen;
	int64_t now;
	int why;

	(void)m;
	metrics_inc(&jd_metrics.mqtt_received);
	if (atomic_load(&b->draining))
		return;
	tlen = strlen(msg->topic);
	mqtt_topic_parse(msg->topic, tlen, &t);
	switch (t.kind) {
	case MQTT_T_FOREIGN:
	case MQTT_T_OWN:
		return;
	default:
		break;
	}
	/* A retained request is replayed by the broker to every new subscriber,
	 * so to jobsd on each reconnect: never serve one, not even once (with
	 * MQTT 5 the flag is kept on live messages too, see on_connect). */
	if (msg->retain) {
		uint64_t n = atomic_fetch_add(&b->n_retained, 1) + 1, held;
		if (gate_pass(&b->gate_retained, &held))
			log_warn("mqtt: ignored a retained request on %.300s (%llu so far); "
			         "requests must not be retained",
			    msg->topic, (unsigned long long)n);
		return;
	}
	switch (t.kind) {
	case MQTT_T_INVALID:
		reject_invalid(b, &t, JD_ENOROUTE);
		return;
	case MQTT_T_BADNAME:
		reject_invalid(b, &t, JD_EINVAL);
		return;
	default:
		break;
	}
	/* D20, D24: with several nodes, each answers only its share of the
	 * things: the static --mqtt-shard split, else the shards it leases. */
	if (b->cfg.shards > 1 ? mqtt_shard_of(t.thing, b->cfg.shards) != b->cfg.shard :
	                        !svc_shard_owned(b->svc, t.thing))
		return;
	/* not the shard hash: with N shards it would put every thing of this
	 * node on the same few workers */
	h = worker_hash(t.thing);
	w = &b->workers[h % (uint32_t)b->nworkers];
	cost = sizeof(*jm) + tlen + 1 + len + 1;
	/* Check first, copy after: a refused request costs no allocation. Only
	 * this thread adds to the budgets, so the checks cannot race. */
	now = clock_mono_ms();
	pthread_mutex_lock(&w->mu);
	sh = share_get(w, h, t.thing, now);
	/* libmosquitto allocated this payload whether or not it is served: after
	 * TRIM_MARK bytes, wake the worker so that it trims once things are idle */
	if ((b->rx_bytes += len) >= TRIM_MARK) {
		b->rx_bytes = 0;
		if (!atomic_exchange(&b->trim_wanted, true))
			pthread_cond_signal(&w->cv);
	}
	if (now - sh->win_ms >= THING_WINDOW_MS) {
		sh->win_ms = now;
		sh->seen = 0;
		sh->told = false;
	}
	total = atomic_load_explicit(&b->queued_bytes, memory_order_relaxed) + cost;
	why = len > MQTT_PAYLOAD_MAX        ? REF_TOOBIG :
	    ++sh->seen > THING_RATE         ? REF_RATE :
	    w->queued >= MQTT_QUEUE_MAX     ? REF_COUNT :
	    total > b->cfg.queue_bytes      ? REF_BYTES :
	    sh->bytes + cost > b->share_max ? REF_BYTES :
	                                      -1;
	if (why >= 0) {
		bool tell = !sh->told;
		sh->told = true;
		share_put(b, w, sh, 0);
		pthread_mutex_unlock(&w->mu);
		refuse(b, &t, (enum refusal)why, tell);
		return;
	}
	sh->bytes += cost;
	w->queued++;
	atomic_fetch_add_explicit(&b->queued_bytes, cost, memory_order_relaxed);
	pthread_mutex_unlock(&w->mu);

	jm = jd_malloc(sizeof(*jm) + tlen + 1 + len + 1);
	jm->next = NULL;
	jm->share = sh;
	jm->cost = cost;
	jm->tlen = tlen;
	jm->len = len;
	memcpy(jm->data, msg->topic, tlen + 1);
	if (len > 0)
		memcpy(jm->data + tlen + 1, msg->payload, len);
	jm->data[tlen + 1 + len] = '\0';
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = jm;
	else
		w->head = jm;
	w->tail = jm;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static int
workers_start(struct mqtt_bridge *b)
{
	b->nworkers = MQTT_WORKERS;
	for (int i = 0; i < b->nworkers; i++) {
		struct worker *w = &b->workers[i];
		w->b = b;
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
			return -1;
		w->started = true;
	}
	return 0;
}

/* Finish what is queued, then stop the workers. */
static void
workers_stop(struct mqtt_bridge *b)
{
	for (int i = 0; i < b->nworkers; i++) {
		struct worker *w = &b->workers[i];
		if (!w->started)
			continue;
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		w->started = false;
		for (int k = 0; k < SHARE_BUCKETS; k++) {
			while (w->shares[k] != NULL) { /* only when stopped mid-request */
				struct share *sh = w->shares[k];
				w->shares[k] = sh->next;
				free(sh);
			}
		}
		while (w->spare != NULL) {
			struct share *sh = w->spare;
			w->spare = sh->next;
			free(sh);
		}
		w->nspare = 0;
		w->nshares = 0;
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	b->nworkers = 0;
}

/* ---- connection --------------------------------------------------------- */

/* --mqtt-protocol auto: the broker would not take the last CONNECT; the
 * next one uses the other version. */
static void
switch_protocol(struct mqtt_bridge *b, struct mosquitto *m, const char *how)
{
	const char *was = b->protocol == MQTT_PROTOCOL_V5 ? "5" : "3.1.1";
	uint64_t held;

	b->protocol = b->protocol == MQTT_PROTOCOL_V5 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, b->protocol);
	if (gate_pass(&b->gate_proto, &held))
		log_warn("mqtt: broker %s:%d %s the MQTT %s CONNECT; trying MQTT %s "
		         "(--mqtt-protocol auto; %llu more switches not logged)",
		    b->cfg.host, b->cfg.port, how, was,
		    b->protocol == MQTT_PROTOCOL_V5 ? "5" : "3.1.1", (unsigned long long)held);
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct mqtt_bridge *b = arg;
	int mid;

	b->answered = true;
	if (rc != 0) {
		log_warn("mqtt: broker %s:%d refused the connection: %s", b->cfg.host, b->cfg.port,
		    mosquitto_connack_string(rc));
		if (rc == 1 && b->protocol == MQTT_PROTOCOL_V5 && b->auto_proto)
			switch_protocol(b, m, "refused"); /* unacceptable protocol version */
		return;
	}
	atomic_store(&b->connected, true);
	b->connected_ms = clock_mono_ms();
	mqtt__out_connected(b);
	log_info("mqtt: connected to %s:%d as %s (MQTT %s)", b->cfg.host, b->cfg.port, b->client_id,
	    b->protocol == MQTT_PROTOCOL_V5 ? "5" : "3.1.1");
	/* MQTT 5: keep the retain flag of live messages too, so that a retained
	 * request is never served (on_message); 3.1.1 flags only the replays.
	 * No local: the broker does not send jobsd's own replies and
	 * notifications back to it (3.1.1 does; on_message drops them), which
	 * halves what it delivers to jobsd and spares a PUBACK per reply. */
	if (b->protocol == MQTT_PROTOCOL_V5)
		rc = mosquitto_subscribe_v5(m, &mid, SUB_TOPIC, 1,
		    MQTT_SUB_OPT_RETAIN_AS_PUBLISHED | MQTT_SUB_OPT_NO_LOCAL, NULL);
	else
		rc = mosquitto_subscribe(m, &mid, SUB_TOPIC, 1);
	if (rc != MOSQ_ERR_SUCCESS)
		log_warn("mqtt: subscribe failed: %s", mosquitto_strerror(rc));
}

static void
on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
	struct mqtt_bridge *b = arg;

	(void)m;
	(void)mid;
	if (n < 1 || granted[0] > 2) {
		log_error("mqtt: the broker refused the subscription to %s (check its ACL)",
		    SUB_TOPIC);
		return;
	}
	pthread_mutex_lock(&b->mu);
	atomic_store(&b->subscribed, true);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	log_info("mqtt: subscribed to %s", SUB_TOPIC);
}

/*
 * A broker gives a client id to the newest connection and drops the older
 * one (MQTT 5 tells it with reason 0x8E). Two clients with one id take it
 * from each other in turn: this is how a device would keep jobsd off the
 * broker when the broker does not bind ids to accounts (D25). Each such
 * loss in a row doubles the reconnect delay (2 s .. 30 s); a connection that
 * lasts resets it.
 */
static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct mqtt_bridge *b = arg;
	bool was = atomic_exchange(&b->connected, false);
	bool answered = b->answered;
	int64_t lasted = was ? clock_mono_ms() - b->connected_ms : -1;
	bool taken =
	    rc == MQTT_RC_SESSION_TAKEN_OVER || (rc != 0 && was && lasted < QUICK_DISCONNECT_MS);
	uint64_t held;

	atomic_store(&b->subscribed, false);
	b->answered = false;
	if (rc == 0 || b->stopped)
		return;
	if (!answered && b->auto_proto) {
		/* closed before any CONNACK: how RabbitMQ 3.x answers MQTT 5 */
		switch_protocol(b, m, "closed the connection without answering");
		return;
	}
	if (!taken) {
		if (was && b->streak > 0) {
			b->streak = 0;
			mosquitto_reconnect_delay_set(m, 1, BACKOFF_MAX_S, true);
		}
		log_warn("mqtt: lost the broker (%s); reconnecting",
		    rc == MQTT_RC_SESSION_TAKEN_OVER ? "session taken over" :
		                                       mosquitto_strerror(rc));
		return;
	}
	b->streak++;
	atomic_fetch_add(&b->n_takeovers, 1);
	unsigned delay = b->streak >= 5 ? BACKOFF_MAX_S : 1u << b->streak;
	if (delay > BACKOFF_MAX_S)
		delay = BACKOFF_MAX_S;
	mosquitto_reconnect_delay_set(m, delay, delay, false);
	if (gate_pass(&b->gate_takeover, &held))
		log_warn(
		    "mqtt: %s (%d times in a row, %llu more not logged): possibly another client "
		    "using jobsd's client id %s; the broker must tie client ids to accounts "
		    "(docs/operations.md#hardening). Reconnecting in %u s",
		    rc == MQTT_RC_SESSION_TAKEN_OVER ?
		        "the broker gave jobsd's session to another client (session taken over)" :
		        "the broker dropped jobsd right after it connected",
		    b->streak, (unsigned long long)held, b->client_id, delay);
}

bool
mqtt_bridge_ready(const struct mqtt_bridge *b)
{
	return b != NULL && atomic_load(&b->subscribed);
}

/* The configured id, or "jobsd-<node>-<16 hex digits from getrandom>"
 * (node: --node-id, else the host name): the broker's list of clients says
 * which node is which, and the random part keeps it unguessable (D25). */
static char *
make_client_id(const char *configured, const char *node)
{
	unsigned char r[8];
	char host[64] = "node", id[128];

	if (configured != NULL && configured[0] != '\0')
		return jd_strdup(configured);
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* no kernel generator yet: still not the predictable host-pid form */
		uint64_t x =
		    (uint64_t)clock_mono_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)r;
		memcpy(r, &x, sizeof(r));
	}
	if (node != NULL && node[0] != '\0')
		jd_strlcpy(host, node, sizeof(host));
	else
		gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(id, sizeof(id), "jobsd-%.40s-%02x%02x%02x%02x%02x%02x%02x%02x", host, r[0], r[1],
	    r[2], r[3], r[4], r[5], r[6], r[7]);
	return jd_strdup(id);
}

void
mqtt_bridge_stats(const struct mqtt_bridge *b, struct mqtt_bridge_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (b == NULL)
		return;
	out->retained_ignored = atomic_load(&b->n_retained);
	out->throttled_bytes = atomic_load(&b->n_throttled_bytes);
	out->throttled_count = atomic_load(&b->n_throttled_count);
	out->takeovers = atomic_load(&b->n_takeovers);
	out->throttled_rate = atomic_load(&b->n_throttled_rate);
	out->unanswered = atomic_load(&b->n_unanswered);
	out->queued_bytes = atomic_load(&b->queued_bytes);
	out->queue_bytes_max = b->cfg.queue_bytes;
	out->out_bytes = atomic_load(&b->out_bytes);
	out->out_messages = atomic_load(&b->out_msgs);
	out->out_bytes_max = b->out_max;
	out->notify_pending = atomic_load(&b->dirty_n);
	out->notify_deferred = atomic_load(&b->n_deferred);
	out->notify_coalesced = atomic_load(&b->n_coalesced);
	out->out_dropped = atomic_load(&b->n_dropped);
}

const char *
mqtt_bridge_client_id(const struct mqtt_bridge *b)
{
	return b != NULL ? b->client_id : NULL;
}

int
mqtt_bridge_create(const struct mqtt_config *cfg, struct svc *svc, struct mqtt_bridge **out,
    struct jd_error *e)
{
	struct mqtt_bridge *b = jd_calloc(1, sizeof(*b));
	struct svc_notify sink;
	int rc;

	pthread_mutex_lock(&lib_mu);
	if (lib_refs++ == 0)
		mosquitto_lib_init();
	pthread_mutex_unlock(&lib_mu);
	b->svc = svc;
	b->cfg = *cfg;
	b->host = jd_strdup(cfg->host);
	b->client_id = make_client_id(cfg->client_id, cfg->node_id);
	b->username = jd_strdup(cfg->username);
	b->password = jd_strdup(cfg->password);
	b->cafile = jd_strdup(cfg->cafile);
	b->certfile = jd_strdup(cfg->certfile);
	b->keyfile = jd_strdup(cfg->keyfile);
	b->cfg.host = b->host;
	if (b->cfg.shards < 1)
		b->cfg.shards = 1;
	if (b->cfg.queue_bytes == 0)
		b->cfg.queue_bytes = MQTT_QUEUE_BYTES_DEFAULT;
	/* a thing may always queue one request of the largest size */
	b->share_max = b->cfg.queue_bytes / MQTT_THING_SHARE_DIV;
	if (b->share_max < sizeof(struct job_msg) + MQTT_TOPIC_MAX + MQTT_PAYLOAD_MAX + 2)
		b->share_max = sizeof(struct job_msg) + MQTT_TOPIC_MAX + MQTT_PAYLOAD_MAX + 2;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->mosq = mosquitto_new(b->client_id, true, b);
	if (b->mosq == NULL) {
		rc = jd_error_set(e, JD_EINTERNAL, "mqtt: cannot create a client");
		goto fail;
	}
	b->auto_proto = cfg->protocol == MQTT_PROTO_AUTO;
	b->protocol = cfg->protocol == MQTT_PROTO_V311 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
	mosquitto_int_option(b->mosq, MOSQ_OPT_PROTOCOL_VERSION, b->protocol);
	mqtt__out_init(b, cfg->out_max_bytes);
	/* replies are small packets: Nagle would hold one back until the broker
	 * acknowledged the last (its delayed ACK: up to 40 ms on Linux) */
	mosquitto_int_option(b->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(b->mosq, on_connect);
	mosquitto_disconnect_callback_set(b->mosq, on_disconnect);
	mosquitto_subscribe_callback_set(b->mosq, on_subscribe);
	mosquitto_message_callback_set(b->mosq, on_message);
	jd_metrics.mqtt_op_names = op_name;
	jd_metrics.mqtt_nops = MQTT_T__COUNT;
	mosquitto_reconnect_delay_set(b->mosq, 1, 30, true);
	if (b->username != NULL &&
	    mosquitto_username_pw_set(b->mosq, b->username, b->password) != MOSQ_ERR_SUCCESS) {
		rc = jd_error_set(e, JD_EINVAL, "mqtt: invalid username or password");
		goto fail;
	}
	/* with certfile/keyfile, the broker can take jobsd's identity from its
	 * certificate (contrib/mosquitto/mosquitto-tls.conf.in) */
	if (b->cafile != NULL &&
	    (rc = mosquitto_tls_set(b->mosq, b->cafile, NULL, b->certfile, b->keyfile, NULL)) !=
	        MOSQ_ERR_SUCCESS) {
		rc = jd_error_set(e, JD_EINVAL, "mqtt: TLS set-up failed: %s",
		    mosquitto_strerror(rc));
		goto fail;
	}
	if (workers_start(b) != 0 || mqtt__out_start(b) != 0) {
		rc = jd_error_set(e, JD_EINTERNAL, "mqtt: cannot start the request workers");
		goto fail;
	}
	sink.changed = mqtt__on_changed;
	sink.event = mqtt__on_event;
	sink.arg = b;
	svc_set_notify(svc, &sink);
	rc = mosquitto_connect_async(b->mosq, b->host, cfg->port, 30);
	if (rc != MOSQ_ERR_SUCCESS)
		log_warn("mqtt: cannot reach %s:%d yet (%s); will keep trying", b->host, cfg->port,
		    mosquitto_strerror(rc));
	if ((rc = mosquitto_loop_start(b->mosq)) != MOSQ_ERR_SUCCESS) {
		rc = jd_error_set(e, JD_EINTERNAL, "mqtt: cannot start the network loop: %s",
		    mosquitto_strerror(rc));
		goto fail;
	}
	/* Give the first subscription a moment, so a device that connects right
	 * after start-up is answered; carry on without it (we keep retrying). */
	if (cfg->wait_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += cfg->wait_ms / 1000;
		ts.tv_nsec += (long)(cfg->wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&b->mu);
		while (!atomic_load(&b->subscribed))
			if (pthread_cond_timedwait(&b->cv, &b->mu, &ts) != 0)
				break;
		pthread_mutex_unlock(&b->mu);
		if (!atomic_load(&b->subscribed))
			log_warn("mqtt: not subscribed after %d ms; serving HTTP meanwhile",
			    cfg->wait_ms);
	}
	*out = b;
	return 0;
fail:
	mqtt_bridge_destroy(b);
	return rc;
}

void
mqtt_bridge_stop(struct mqtt_bridge *b)
{
	if (b == NULL || b->mosq == NULL || b->stopped)
		return;
	b->stopped = true;
	atomic_store(&b->draining, true);   /* new requests are dropped */
	mqtt__out_stop(b);                  /* waiting notifications too; no more waits */
	workers_stop(b);                    /* queued ones are answered */
	atomic_store(&b->connected, false); /* the sink now drops notifications */
	mosquitto_disconnect(b->mosq);      /* after the replies already queued */
	mosquitto_loop_stop(b->mosq, false);
}

void
mqtt_bridge_destroy(struct mqtt_bridge *b)
{
	if (b == NULL)
		return;
	if (b->mosq != NULL) {
		mqtt_bridge_stop(b);
		mosquitto_destroy(b->mosq);
	}
	workers_stop(b);
	mqtt__out_fini(b);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b->host);
	free(b->client_id);
	free(b->username);
	if (b->password != NULL)
		memset(b->password, 0, strlen(b->password));
	free(b->password);
	free(b->cafile);
	free(b->certfile);
	free(b->keyfile);
	free(b);
	pthread_mutex_lock(&lib_mu);
	if (--lib_refs == 0)
		mosquitto_lib_cleanup();
	pthread_mutex_unlock(&lib_mu);
}
