/*
 * bridge_int.h: what bridge.c and notify.c share inside src/mqtt/ (not a
 * public header): the bridge's state, its limits, and two helpers.
 */
#ifndef JD_MQTT_BRIDGE_INT_H
#define JD_MQTT_BRIDGE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "jd_limits.h"
#include "mqtt/bridge.h"
#include "mqtt/dirty.h"
#include "mqtt/mqtt.h"
#include "util/buf.h"

struct mosquitto; /* libmosquitto's: only bridge.c includes mosquitto.h */

#define SUB_TOPIC "$aws/things/+/jobs/#"

/*
 * Requests are served by a small pool of workers so that concurrent devices'
 * transactions can share the store's group commits. A thing always maps to
 * the same worker (hash of its name), so one device's requests are served in
 * the order it sent them.
 */
#define MQTT_WORKERS 8
#define MQTT_QUEUE_MAX 10000        /* per worker; beyond it a request is dropped (logged) */
#define SHARE_BUCKETS 1024          /* per worker: hash chains of things (struct share) */
#define SHARE_SPARE 32              /* per worker: freed share entries kept for reuse */
#define TRIM_MARK ((size_t)1 << 20) /* bytes received (or queued) that make a trim worthwhile */
#define TRIM_IDLE_MS 500            /* trim once a worker has been idle this long */
#define TRIM_EVERY_MS 2000
#define QUICK_DISCONNECT_MS 5000 /* a connection shorter than this counts as taken */
#define BACKOFF_MAX_S 30
#define LOG_EVERY_MS 10000 /* one warning of a kind per 10 s, with the count */
/*
 * What one device can make jobsd send. A broker reads its clients' packets in
 * turn (Mosquitto 2.0: one packet per client per loop), so every reply jobsd
 * sends to a flooding device holds up the replies to everyone else on jobsd's
 * connection, and a flood of N requests answered N times keeps that
 * connection's backlog growing for as long as the flood lasts. So:
 *   - a thing gets at most THING_RATE requests a second served; beyond, the
 *     request is refused;
 *   - a refused thing gets one RequestThrottled (or payload-too-large) reply a
 *     window; further refusals in that window are dropped without a reply
 *     (counted in the stats);
 *   - all refusals together get at most REFUSED_REPLIES_PER_S replies.
 * THING_RATE is AWS IoT Core's own limit of publishes per second per
 * connection: a device that works with AWS never meets it, and one running
 * jobs needs a few a second.
 */
#define THING_RATE 100
#define THING_WINDOW_MS 1000
#define REFUSED_REPLIES_PER_S 100
/* Replies to malformed topics (no thing to charge them to), all devices. */
#define INVALID_REPLIES_PER_S 20
/* Share entries whose thing has nothing queued stay until their window ends
 * (they hold its rate), at most this many per worker; beyond, freed at once. */
#define SHARE_KEEP 2048

/*
 * Outgoing messages (out.c, issue 15). libmosquitto queues every publish
 * until the broker has taken it (QoS 0: written; QoS 1: PUBACK) and puts no
 * bound on that queue; jobsd counts what it holds (an estimate per message:
 * MQTT_OUT_OVERHEAD plus the topic and payload twice, as the message and, in
 * flight, its packet) and keeps it near --mqtt-out-max-kib:
 *   - a request worker takes its next request only while there is room
 *     (replies cannot be coalesced: backpressure, and the requests wait in
 *     the byte-bounded worker queues of issue 13);
 *   - a notification from any other thread is sent at once while there is
 *     room and no other is waiting, else its (thing, namespace) goes into
 *     the dirty set (dirty.h), which the sender thread drains as publishes
 *     complete, reading each thing's current state when it sends;
 *   - a worker's own notifications are sent at once (in the order of its
 *     reply), so the bound is exceeded by at most what the admitted workers
 *     and the sender publish for one request or thing each.
 */
#define MQTT_OUT_MIDS 65536     /* libmosquitto's message ids are 16 bits */
#define MQTT_OUT_MSGS_MAX 30000 /* messages held: well below 65,535, so ids never collide */
#define MQTT_OUT_MSGS_LOW (MQTT_OUT_MSGS_MAX / 4 * 3) /* waiters resume below */
#define MQTT_OUT_OVERHEAD 160 /* libmosquitto's per-message structs, roughly */
#define MQTT_OUT_DEFAULT ((size_t)4 << 20)
/* The dirty set's own bound (about 300,000 things of 40-byte names). Over it,
 * or when nothing completes for MQTT_OUT_STALL_MS, a notification is dropped
 * (counted, logged); a thread other than a worker waits for room meanwhile. */
#define MQTT_DIRTY_MAX ((size_t)32 << 20)
#define MQTT_OUT_STALL_MS 10000

/* One thing's queued bytes and rate window (in one worker). */
struct share {
	struct share *next;
	size_t bytes;
	uint32_t h;     /* worker_hash(thing) */
	int64_t win_ms; /* start of the current rate window */
	uint32_t seen;  /* requests in it */
	bool told;      /* a refusal in it was answered */
	char thing[JD_THING_NAME_MAX + 1];
};

/* A queued request: its topic and payload only (the worker parses the topic
 * again: a struct mqtt_topic is 1.3 KB, most requests' topic and payload a
 * tenth of it, and thousands of devices answering one fan-out queue as many). */
struct job_msg {
	struct job_msg *next;
	struct share *share;
	size_t cost; /* bytes charged to the budgets */
	size_t tlen; /* topic bytes */
	size_t len;  /* payload bytes */
	char data[]; /* topic \0 payload \0 */
};

struct worker {
	struct mqtt_bridge *b;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job_msg *head, *tail;
	int queued;
	bool stop;
	bool started;
	struct share *shares[SHARE_BUCKETS];
	struct share *spare; /* free list */
	int nspare;
	int nshares; /* entries in shares[] */
};

/* A rate-limited warning: at most one line per LOG_EVERY_MS, saying how many
 * happened since the last. Used from the network thread only. */
struct gate {
	int64_t last_ms;
	uint64_t suppressed;
};

struct mqtt_bridge {
	struct mosquitto *mosq;
	struct svc *svc;
	struct mqtt_config cfg;
	char *host, *client_id, *username, *password, *cafile, *certfile, *keyfile;
	atomic_bool connected;
	atomic_bool subscribed;
	atomic_bool draining;
	int protocol;    /* MQTT_PROTOCOL_V5 or _V311: of the next CONNECT */
	bool auto_proto; /* --mqtt-protocol auto: switch when the broker will not have it */
	bool stopped;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct worker workers[MQTT_WORKERS];
	int nworkers;
	/* byte budget (workers decrement, the network thread checks and adds) */
	atomic_size_t queued_bytes;
	size_t share_max;
	atomic_bool trim_wanted;
	atomic_int_fast64_t last_trim_ms;
	/* counters (struct mqtt_bridge_stats) */
	atomic_uint_fast64_t n_retained, n_throttled_bytes, n_throttled_count, n_takeovers;
	atomic_uint_fast64_t n_throttled_rate, n_unanswered;
	/* network thread only */
	int64_t connected_ms; /* when the last CONNACK came */
	size_t rx_bytes;      /* request payload bytes since the last trim was wanted */
	bool answered;        /* a CONNACK (any) came on this connection */
	int streak;           /* takeovers in a row */
	struct gate gate_full, gate_retained, gate_takeover, gate_proto;
	int64_t replies_since_ms; /* replies to refused requests: window start */
	int replies;              /* and how many in it */
	int64_t invalid_since_ms; /* replies to malformed topics: window start */
	int invalid;              /* and how many in it */
	/* outgoing (out.c) */
	_Atomic uint32_t *out_cost; /* by mid: what it costs (| OUT_QOS0), 0 = none */
	atomic_size_t out_bytes, out_msgs;
	size_t out_max, out_low;             /* the bound; waiters resume below out_low */
	atomic_int out_waiters;              /* threads waiting for room */
	atomic_int_fast64_t out_progress_ms; /* the last completion */
	atomic_size_t dirty_n;               /* mqtt_dirty_count(dirty), readable unlocked */
	pthread_mutex_t out_mu;   /* dirty, out_stop, sender_wait, dirty_waiters; the cvs */
	pthread_cond_t room_cv;   /* below the low-water marks, a connection, stop */
	pthread_cond_t dirty_cv;  /* the dirty set shrank */
	pthread_cond_t sender_cv; /* work or room for the sender */
	int sender_wait;          /* what the sender waits for (out.c) */
	int dirty_waiters;        /* producers waiting for the dirty set to shrink */
	struct mqtt_dirty *dirty;
	bool out_stop;
	bool sender_started;
	pthread_t sender;
	struct gate gate_drop; /* out_mu */
	atomic_uint_fast64_t n_deferred, n_coalesced, n_dropped;
};

/* Publish payload on topic at qos (0 or 1), not retained, counted in the
 * outgoing bytes until libmosquitto is done with it; a failure is logged. */
void mqtt__publish(struct mqtt_bridge *b, const char *topic, const struct buf *payload, int qos);
/* out.c: set up (in create) and tear down the outgoing state and the sender
 * thread; out_start returns -1 when the thread cannot start. */
void mqtt__out_init(struct mqtt_bridge *b, size_t max_bytes);
int mqtt__out_start(struct mqtt_bridge *b);
/* Let waiters go (stop: workers answer what they hold without waiting). */
void mqtt__out_stop(struct mqtt_bridge *b);
void mqtt__out_fini(struct mqtt_bridge *b);
/* Hooks of bridge.c: the calling thread is a request worker (once, at its
 * start); a worker is about to serve a request (waits for room); the
 * connection is up (after CONNACK: network thread). */
void mqtt__out_worker_thread(void);
void mqtt__out_admit(struct mqtt_bridge *b);
void mqtt__out_connected(struct mqtt_bridge *b);
/* Defer thing's notification when there is no room (or others wait): true
 * when deferred, coalesced or dropped; false: the caller sends it now. */
bool mqtt__out_defer(struct mqtt_bridge *b, const char *thing, const char *ns, const char *job,
    bool list, bool head);
/* Wait for room before a non-coalescible message (a jobs event) from a
 * thread other than a worker; false: stalled or away, drop it. */
bool mqtt__out_room_wait(struct mqtt_bridge *b);
/* notify.c: build and publish thing's notify (list) and/or notify-next
 * (head) from its current state. */
void mqtt__notify_send(struct mqtt_bridge *b, const char *thing, const char *ns, const char *job,
    bool list, bool head);
/* svc's clock, in seconds (the timestamps of replies and notifications). */
int64_t mqtt__now_s(struct mqtt_bridge *b);
/* Wait on cv (mu held) for at most ms milliseconds (bridge.c). */
void mqtt__cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms);
/* svc's notification sink (notify.c): publishes notify and notify-next. */
/* svc's jobs-event sink: publish topic/payload (QoS 1) when connected. */
void mqtt__on_event(void *arg, const char *topic, const char *payload, size_t len);
void mqtt__on_changed(void *arg, const char *thing, const char *ns, const char *job, bool list,
    bool head);

#endif
