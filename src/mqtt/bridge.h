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

#include "svc/svc.h"
#include "util/err.h"

struct mqtt_config {
	const char *host; /* broker address */
	int port;
	const char *client_id; /* unique per jobsd node */
	const char *username;  /* NULL: none */
	const char *password;  /* NULL: none (never logged) */
	const char *cafile;    /* TLS to the broker when set */
	const char *certfile;  /* with keyfile: jobsd's client certificate (PEM), or NULL */
	const char *keyfile;
	int shard;   /* this node handles things whose name hashes to shard */
	int shards;  /* of shards (D20); 1 = all */
	int wait_ms; /* how long start-up waits for the first subscription */
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
/* Stop (if needed) and free; NULL is a no-op. Call after svc_fini. */
void mqtt_bridge_destroy(struct mqtt_bridge *b);
/* FNV-1a of the thing name modulo shards (D20), exposed for tests and docs. */
int mqtt_shard_of(const char *thing, int shards);

#endif
