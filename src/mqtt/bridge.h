/*
 * bridge.h: the broker bridge of the MQTT device plane (decisions D20).
 * jobsd is an ordinary client of a real broker (Mosquitto here): it
 * subscribes to `$aws/things/+/jobs/#`, answers each request on
 * `<request topic>/accepted|rejected` at QoS 1, and publishes `notify` and
 * `notify-next` after each committed change (spec §6, §7).
 */
#ifndef JD_MQTT_BRIDGE_H
#define JD_MQTT_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svc/svc.h"
#include "util/err.h"

/* Default byte budget for the requests queued to the workers (all things);
 * each thing may hold MQTT_THING_SHARE_DIV-th of it (docs/operations.md#hardening). */
#define MQTT_QUEUE_BYTES_DEFAULT ((size_t)16 << 20)
#define MQTT_THING_SHARE_DIV 16

/* mqtt_config.protocol (the values are MQTT's protocol levels) */
enum { MQTT_PROTO_AUTO = 0, MQTT_PROTO_V311 = 4, MQTT_PROTO_V5 = 5 };

struct mqtt_config {
	const char *host; /* broker address */
	int port;
	/* NULL or "": "jobsd-<node>-<16 random hex digits>", which no other
	 * client can guess (D25); the broker should bind ids to accounts anyway */
	const char *client_id;
	/* --node-id, named in the drawn client id (NULL: the host name) */
	const char *node_id;
	const char *username; /* NULL: none */
	const char *password; /* NULL: none (never logged) */
	const char *cafile;   /* TLS to the broker when set */
	const char *certfile; /* with keyfile: jobsd's client certificate (PEM), or NULL */
	const char *keyfile;
	/* MQTT_PROTO_AUTO (0): MQTT 5, and 3.1.1 when the broker refuses or
	 * drops the MQTT 5 CONNECT (RabbitMQ 3.x); or MQTT_PROTO_V5 / _V311 only.
	 * Nothing jobsd needs from the broker is MQTT 5 only: with 5 it also asks
	 * for no-local and retain-as-published on its subscription. */
	int protocol;
	int shard;   /* this node handles things whose name hashes to shard */
	int shards;  /* of shards (D20); 1 = all */
	int wait_ms; /* how long start-up waits for the first subscription */
	/* bytes of queued requests (payload + bookkeeping) over all things;
	 * 0 = MQTT_QUEUE_BYTES_DEFAULT. Over it, or over a thing's share, a
	 * request is answered RequestThrottled and dropped. */
	size_t queue_bytes;
	/* bytes of messages jobsd lets libmosquitto hold (issue 15; out.c);
	 * 0 = 4 MiB. Over it the request workers wait and notifications wait in
	 * a set of dirty things, one per thing. */
	size_t out_max_bytes;
	/* D19: NULL, or 0 to serve data-plane operation op, JD_ETHROTTLED to
	 * answer RequestThrottled. Called from the request workers. */
	int (*throttle)(void *arg, const char *op);
	void *throttle_arg;
};

struct mqtt_bridge;

/* Connect (asynchronously, reconnecting with backoff) and install the
 * notification sink in svc. */
int mqtt_bridge_create(const struct mqtt_config *cfg, struct svc *svc, struct mqtt_bridge **out,
    struct jd_error *e);
/* Connected and subscribed right now. */
bool mqtt_bridge_ready(const struct mqtt_bridge *b);
/* Disconnect and stop the network loop: no request is served and no
 * notification published after it returns. The sink stays installed but
 * inert, so svc may still call it until svc_fini. NULL is a no-op. */
void mqtt_bridge_stop(struct mqtt_bridge *b);
/* Counters of the bridge, for status pages and tests (read at any time). */
struct mqtt_bridge_stats {
	uint64_t retained_ignored; /* requests with the retain flag: not served */
	uint64_t throttled_bytes;  /* refused: over the byte budget or a thing's share */
	uint64_t throttled_count;  /* refused: a worker queue full (count) */
	uint64_t throttled_rate;   /* refused: over a thing's requests per second */
	uint64_t unanswered;       /* refused or malformed, and dropped without a reply */
	uint64_t takeovers;        /* disconnects "session taken over" or right after connect */
	size_t queued_bytes;       /* now */
	size_t queue_bytes_max;    /* the budget */
	size_t out_bytes;          /* held by libmosquitto now (estimated) */
	size_t out_messages;       /* and how many messages */
	size_t out_bytes_max;      /* the bound */
	size_t notify_pending;     /* things whose notification waits */
	uint64_t notify_deferred;  /* notifications that waited */
	uint64_t notify_coalesced; /* merged into one waiting */
	uint64_t out_dropped;      /* notifications and events dropped (stalled) */
};
void mqtt_bridge_stats(const struct mqtt_bridge *b, struct mqtt_bridge_stats *out);
/* The client id the bridge connects with (owned by b). */
const char *mqtt_bridge_client_id(const struct mqtt_bridge *b);
/* Stop (if needed) and free; NULL is a no-op. Call after svc_fini. */
void mqtt_bridge_destroy(struct mqtt_bridge *b);
/* FNV-1a of the thing name modulo shards (D20), exposed for tests and docs. */
int mqtt_shard_of(const char *thing, int shards);

#endif
