/*
 * metrics.h: the process's counters and histograms for /metrics (issue 14).
 *
 * One global struct of relaxed atomics in fixed arrays, indexed by operation
 * and status class, so that counting on a request path costs a few
 * instructions: no lock, no allocation, no lookup by name. Each layer
 * increments what it sees (api: HTTP requests and refusals; mqtt: device
 * requests and messages; store: commits; svc: timers); the admin listener
 * (api/admin_metrics.c) reads them all and writes the Prometheus text format.
 * util/ depends on nothing, so every layer may include this header.
 *
 * Histograms keep one counter per bucket (not cumulative: the renderer sums)
 * and the sum of the observed values in the histogram's unit (microseconds
 * for latencies, items for sizes). Readers may see a count and a sum from
 * slightly different moments; Prometheus tolerates that.
 */
#ifndef JD_UTIL_METRICS_H
#define JD_UTIL_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define METRICS_BUCKETS 14  /* finite buckets of a histogram (+Inf is one more) */
#define METRICS_HTTP_OPS 64 /* route indexes; the last slot counts unrouted requests */
#define METRICS_MQTT_OPS 16 /* request kinds of the MQTT bridge */
#define METRICS_CLASSES 5   /* status classes 1xx..5xx */

/* A histogram: bucket counts for v <= le[i], then v > le[last]; sum of v. */
struct metrics_hist {
	const uint64_t *le; /* METRICS_BUCKETS upper bounds, ascending (static) */
	_Atomic uint64_t bucket[METRICS_BUCKETS + 1];
	_Atomic uint64_t sum;
};

/* Why a request was refused before (or instead of) its operation. */
enum metrics_refusal {
	METRICS_REFUSED_THROTTLED,      /* HTTP: a token bucket was empty (D19) */
	METRICS_REFUSED_AUTH,           /* HTTP: SigV4, certificate or admin-key refusal */
	METRICS_REFUSED_CONN_LIMIT,     /* HTTP: refused at accept (listener full) */
	METRICS_REFUSED_BODY_BUDGET,    /* HTTP: unverified-body budget exhausted */
	METRICS_REFUSED_MQTT_THROTTLED, /* MQTT: a token bucket was empty */
	METRICS_REFUSED_MQTT_QUEUE,     /* MQTT: a request queue was full */
	METRICS_REFUSED_MQTT_BYTES,     /* MQTT: the byte budget or a thing's share */
	METRICS_REFUSED__COUNT
};

struct jd_metrics {
	/* HTTP (api/http.c): by route index (METRICS_HTTP_OPS - 1: no route) */
	_Atomic uint64_t http_requests[METRICS_HTTP_OPS][METRICS_CLASSES];
	struct metrics_hist http_seconds[METRICS_HTTP_OPS];
	_Atomic uint64_t refused[METRICS_REFUSED__COUNT];
	/* MQTT (mqtt/bridge.c): by request kind; [0] accepted, [1] rejected */
	_Atomic uint64_t mqtt_requests[METRICS_MQTT_OPS][2];
	struct metrics_hist mqtt_seconds[METRICS_MQTT_OPS];
	_Atomic uint64_t mqtt_received; /* messages from the broker */
	_Atomic uint64_t mqtt_sent;     /* publishes handed to the broker client */
	/* names of the MQTT request kinds (static; NULL: not an operation),
	 * set once by the bridge at start */
	const char *const *mqtt_op_names;
	int mqtt_nops;
	/* MQTT outgoing bound (mqtt/out.c, issue 15): gauges (bytes and
	 * messages libmosquitto holds for jobsd, their high-water mark, the
	 * bound, things whose notification waits) and counters (notifications
	 * deferred to the dirty set, merged into a waiting one, dropped; jobs
	 * events dropped) */
	_Atomic uint64_t mqtt_out_bytes, mqtt_out_messages, mqtt_out_bytes_peak;
	_Atomic uint64_t mqtt_out_max_bytes, mqtt_notify_pending;
	_Atomic uint64_t mqtt_notify_deferred, mqtt_notify_coalesced, mqtt_notify_dropped;
	_Atomic uint64_t mqtt_events_dropped;
	/* store: commit latency (one per COMMIT statement) and the number of
	 * write transactions a COMMIT made durable (the group commit of either
	 * store) */
	struct metrics_hist store_commit_seconds;
	struct metrics_hist store_group_size;
	_Atomic uint64_t store_commit_failures;
	/* bytes SQLite's own allocator holds (page caches, schemas, statements),
	 * set at each COMMIT (SQLite only; 0 on PostgreSQL) */
	_Atomic uint64_t store_memory_bytes;
	/* svc/exec.c, "Optimistic device writes", and svc/things.c's
	 * CreateThing: conditional writes that applied, and those that did not
	 * (the use case ran again the usual way) */
	_Atomic uint64_t cond_applied, cond_retried;
	/* either store's "Riders": write transactions run by the writer
	 * connection's owner for the thread that asked (store_ride) */
	_Atomic uint64_t store_carried;
	_Atomic uint64_t store_riders; /* now: waiting to be carried */
	/* svc/timers.c: how late a timer (scheduled start, rollout batch) ran */
	struct metrics_hist timer_lag_seconds;
};

extern struct jd_metrics jd_metrics;

/* Add v (in the histogram's unit) to h. Relaxed atomics; thread-safe. */
static inline void
metrics_observe(struct metrics_hist *h, uint64_t v)
{
	int i = 0;

	while (i < METRICS_BUCKETS && v > h->le[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

static inline void
metrics_inc(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* A monotonic clock in microseconds, for latencies. */
uint64_t metrics_now_us(void);

/* The status class index (0 for 1xx .. 4 for 5xx) of an HTTP status. */
static inline int
metrics_class(int status)
{
	int c = status / 100 - 1;

	return c < 0 ? 0 : c > 4 ? 4 : c;
}

/* A timer due at due_ms ran at now_ms (the service clock): its lateness. */
void metrics_timer_ran(int64_t now_ms, int64_t due_ms);

#endif
