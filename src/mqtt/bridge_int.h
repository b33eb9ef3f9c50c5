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

struct job_msg {
	struct job_msg *next;
	struct share *share;
	size_t cost; /* bytes charged to the budgets */
	struct mqtt_topic t;
	size_t len;
	char payload[];
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
};

/* Publish payload on topic at qos (0 or 1), not retained; a failure is logged. */
void mqtt__publish(struct mqtt_bridge *b, const char *topic, const struct buf *payload, int qos);
/* svc's clock, in seconds (the timestamps of replies and notifications). */
int64_t mqtt__now_s(struct mqtt_bridge *b);
/* svc's notification sink (notify.c): publishes notify and notify-next. */
/* svc's jobs-event sink: publish topic/payload (QoS 1) when connected. */
void mqtt__on_event(void *arg, const char *topic, const char *payload, size_t len);
void mqtt__on_changed(void *arg, const char *thing, const char *ns, const char *job, bool list,
    bool head);

#endif
