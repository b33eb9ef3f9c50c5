/*
 * out.c: the bound on what jobsd has handed libmosquitto to send (issue 15;
 * bridge_int.h says the rules).
 *
 * Accounting. mqtt__publish adds a message's cost to out_bytes before
 * mosquitto_publish and files the cost under the message id libmosquitto
 * gives it; on_publish (the network thread: QoS 0 written, QoS 1 PUBACKed)
 * takes it back. The slot of a message id is swapped atomically by both
 * sides, so a PUBACK that comes before the publisher has filed the cost
 * (a preempted worker) leaves a mark that the publisher settles. QoS 0
 * messages still queued when the connection drops are discarded by
 * libmosquitto without a callback: at the next CONNACK every QoS 0 cost
 * left is taken back (only the network thread publishes at QoS 0, and it
 * publishes nothing between a disconnect and the next CONNACK). QoS 1
 * messages stay queued across a reconnect and are completed when resent.
 *
 * Room. There is room while out_bytes < out_max and fewer than
 * MQTT_OUT_MSGS_MAX messages are held. Whoever waits for room counts itself
 * in out_waiters and waits for the low-water marks (3/4 of each bound); only
 * the completion that crosses one wakes them, so a PUBACK costs no lock and
 * no system call, and waiters are woken once per quarter of the bound. Each
 * kind of waiter has its own condition (room_cv: workers and jobs events;
 * sender_cv: the sender; dirty_cv: producers waiting for the set to shrink),
 * signalled only when that kind waits, so no wake-up is wasted.
 *
 * The sender thread drains the dirty set: one thing at a time while there
 * is room and the broker is connected, reading its state when it sends. The
 * set outlives a disconnect (its things are sent after the reconnect, as
 * libmosquitto would have resent the queued messages); new changes while
 * the broker is away are not noted, as before (notify.c).
 */
#include <mosquitto.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqtt/bridge_int.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define OUT_QOS0 0x80000000u  /* in a cost slot: a QoS 0 message */
#define OUT_EARLY 0xffffffffu /* in a cost slot: completed before it was filed */
#define OUT_COST_MAX 0x7ffffff0u
#define DROP_LOG_MS 10000

/* What the sender thread waits for (b->sender_wait, out_mu). */
enum { SENDER_RUNS, SENDER_WORK, SENDER_ROOM };

/* Set in each request worker: its notifications go out at once. */
static _Thread_local bool in_worker;

static void
gauges(struct mqtt_bridge *b)
{
	size_t bytes = atomic_load_explicit(&b->out_bytes, memory_order_relaxed);

	atomic_store_explicit(&jd_metrics.mqtt_out_bytes, bytes, memory_order_relaxed);
	atomic_store_explicit(&jd_metrics.mqtt_out_messages,
	    atomic_load_explicit(&b->out_msgs, memory_order_relaxed), memory_order_relaxed);
	uint64_t peak = atomic_load_explicit(&jd_metrics.mqtt_out_bytes_peak, memory_order_relaxed);
	while (bytes > peak &&
	    !atomic_compare_exchange_weak_explicit(&jd_metrics.mqtt_out_bytes_peak, &peak, bytes,
	        memory_order_relaxed, memory_order_relaxed))
		;
}

static bool
room(struct mqtt_bridge *b)
{
	return atomic_load_explicit(&b->out_bytes, memory_order_relaxed) < b->out_max &&
	    atomic_load_explicit(&b->out_msgs, memory_order_relaxed) < MQTT_OUT_MSGS_MAX;
}

/* Below the low-water marks: where a waiter resumes (hysteresis: one wake-up
 * per quarter of the bound drained, not one per PUBACK). */
static bool
low(struct mqtt_bridge *b)
{
	return atomic_load_explicit(&b->out_bytes, memory_order_relaxed) < b->out_low &&
	    atomic_load_explicit(&b->out_msgs, memory_order_relaxed) < MQTT_OUT_MSGS_LOW;
}

static void
release(struct mqtt_bridge *b, uint32_t cost)
{
	size_t was = atomic_fetch_sub(&b->out_bytes, cost);
	size_t msgs = atomic_fetch_sub(&b->out_msgs, 1);

	atomic_store_explicit(&b->out_progress_ms, clock_mono_ms(), memory_order_relaxed);
	gauges(b);
	if (((was >= b->out_low && was - cost < b->out_low) || msgs == MQTT_OUT_MSGS_LOW) &&
	    atomic_load(&b->out_waiters) > 0) {
		pthread_mutex_lock(&b->out_mu);
		pthread_cond_broadcast(&b->room_cv);
		if (b->sender_wait == SENDER_ROOM)
			pthread_cond_signal(&b->sender_cv);
		pthread_mutex_unlock(&b->out_mu);
	}
}

/* The network thread: libmosquitto is done with message mid. */
static void
on_publish(struct mosquitto *m, void *arg, int mid)
{
	struct mqtt_bridge *b = arg;
	uint32_t old;

	(void)m;
	if (mid <= 0 || mid >= MQTT_OUT_MIDS)
		return;
	old = atomic_exchange(&b->out_cost[mid], OUT_EARLY);
	if (old != 0 && old != OUT_EARLY) {
		atomic_store(&b->out_cost[mid], 0);
		release(b, old & ~OUT_QOS0);
	}
}

void
mqtt__publish(struct mqtt_bridge *b, const char *topic, const struct buf *payload, int qos)
{
	size_t c = MQTT_OUT_OVERHEAD + 2 * (strlen(topic) + payload->len);
	uint32_t cost = c > OUT_COST_MAX ? OUT_COST_MAX : (uint32_t)c, old;
	int mid = 0;
	int rc;

	/* from idle, the time without completion counts from now (stall) */
	if (atomic_fetch_add(&b->out_bytes, cost) == 0)
		atomic_store_explicit(&b->out_progress_ms, clock_mono_ms(), memory_order_relaxed);
	atomic_fetch_add(&b->out_msgs, 1);
	gauges(b);
	rc = mosquitto_publish(b->mosq, &mid, topic, (int)payload->len, payload->p, qos, false);
	if (rc != MOSQ_ERR_SUCCESS || mid <= 0 || mid >= MQTT_OUT_MIDS) {
		release(b, cost);
		if (rc != MOSQ_ERR_SUCCESS)
			log_warn("mqtt: publish to %s failed: %s", topic, mosquitto_strerror(rc));
		else
			metrics_inc(&jd_metrics.mqtt_sent);
		return;
	}
	metrics_inc(&jd_metrics.mqtt_sent);
	old = atomic_exchange(&b->out_cost[mid], cost | (qos == 0 ? OUT_QOS0 : 0));
	if (old == OUT_EARLY) { /* done already */
		atomic_store(&b->out_cost[mid], 0);
		release(b, cost);
	} else if (old != 0) { /* the id's last holder never completed */
		release(b, old & ~OUT_QOS0);
	}
}

/* ---- waiting for room ---------------------------------------------------- */

void
mqtt__out_worker_thread(void)
{
	in_worker = true;
}

void
mqtt__out_admit(struct mqtt_bridge *b)
{
	if (room(b))
		return;
	pthread_mutex_lock(&b->out_mu);
	atomic_fetch_add(&b->out_waiters, 1);
	while (!low(b) && !b->out_stop)
		mqtt__cond_wait_ms(&b->room_cv, &b->out_mu, 1000);
	atomic_fetch_sub(&b->out_waiters, 1);
	pthread_mutex_unlock(&b->out_mu);
}

/* Wait (out_mu held) while the broker is connected and something completed
 * in the last MQTT_OUT_STALL_MS: for room (below == SIZE_MAX), or for the
 * dirty set to hold fewer than below things. True when that came. */
static bool
wait_progress(struct mqtt_bridge *b, size_t below)
{
	bool for_room = below == SIZE_MAX, ok;

	if (for_room)
		atomic_fetch_add(&b->out_waiters, 1);
	else
		b->dirty_waiters++;
	for (;;) {
		ok = for_room ? low(b) : mqtt_dirty_count(b->dirty) < below;
		if (ok || b->out_stop || !atomic_load(&b->connected) ||
		    clock_mono_ms() - atomic_load(&b->out_progress_ms) > MQTT_OUT_STALL_MS)
			break;
		mqtt__cond_wait_ms(for_room ? &b->room_cv : &b->dirty_cv, &b->out_mu, 200);
	}
	if (for_room)
		atomic_fetch_sub(&b->out_waiters, 1);
	else
		b->dirty_waiters--;
	return ok;
}

bool
mqtt__out_room_wait(struct mqtt_bridge *b)
{
	bool ok;

	if (in_worker || room(b))
		return true;
	pthread_mutex_lock(&b->out_mu);
	ok = wait_progress(b, SIZE_MAX);
	pthread_mutex_unlock(&b->out_mu);
	if (!ok) {
		atomic_fetch_add(&b->n_dropped, 1);
		metrics_inc(&jd_metrics.mqtt_events_dropped);
	}
	return ok;
}

/* ---- the dirty set -------------------------------------------------------- */

static void
dropped(struct mqtt_bridge *b, const char *thing)
{
	int64_t now = clock_mono_ms();
	uint64_t n = atomic_fetch_add(&b->n_dropped, 1) + 1;

	metrics_inc(&jd_metrics.mqtt_notify_dropped);
	if (b->gate_drop.last_ms == 0 || now - b->gate_drop.last_ms >= DROP_LOG_MS) {
		b->gate_drop.last_ms = now;
		log_warn(
		    "mqtt: dropped the notification of %s (%llu so far): the broker connection "
		    "is stalled or away and %zu things already wait",
		    thing, (unsigned long long)n, mqtt_dirty_count(b->dirty));
	}
}

bool
mqtt__out_defer(struct mqtt_bridge *b, const char *thing, const char *ns, const char *job,
    bool list, bool head)
{
	int rc;

	if (in_worker) {
		if (atomic_load_explicit(&b->dirty_n, memory_order_relaxed) > 0) {
			pthread_mutex_lock(&b->out_mu);
			mqtt_dirty_sent(b->dirty, thing, ns, list, head);
			atomic_store(&b->dirty_n, mqtt_dirty_count(b->dirty));
			pthread_mutex_unlock(&b->out_mu);
		}
		return false;
	}
	if (atomic_load_explicit(&b->dirty_n, memory_order_relaxed) == 0 && room(b))
		return false;
	pthread_mutex_lock(&b->out_mu);
	if (mqtt_dirty_count(b->dirty) == 0 && room(b)) {
		pthread_mutex_unlock(&b->out_mu);
		return false;
	}
	while ((rc = mqtt_dirty_add(b->dirty, thing, ns, job, list, head)) == MQTT_DIRTY_FULL) {
		/* wait for the sender to take some */
		if (!wait_progress(b, mqtt_dirty_count(b->dirty)))
			break;
	}
	atomic_store(&b->dirty_n, mqtt_dirty_count(b->dirty));
	atomic_store_explicit(&jd_metrics.mqtt_notify_pending, mqtt_dirty_count(b->dirty),
	    memory_order_relaxed);
	if (rc == MQTT_DIRTY_FULL) {
		dropped(b, thing);
	} else if (rc == MQTT_DIRTY_ADDED) {
		atomic_fetch_add_explicit(&b->n_deferred, 1, memory_order_relaxed);
		metrics_inc(&jd_metrics.mqtt_notify_deferred);
		if (b->sender_wait == SENDER_WORK)
			pthread_cond_signal(&b->sender_cv);
	} else {
		atomic_fetch_add_explicit(&b->n_coalesced, 1, memory_order_relaxed);
		metrics_inc(&jd_metrics.mqtt_notify_coalesced);
	}
	pthread_mutex_unlock(&b->out_mu);
	return true;
}

static void *
sender_main(void *arg)
{
	struct mqtt_bridge *b = arg;
	struct mqtt_dirty_item it;

	pthread_mutex_lock(&b->out_mu);
	while (!b->out_stop) {
		if (mqtt_dirty_count(b->dirty) == 0 || !atomic_load(&b->connected)) {
			b->sender_wait = SENDER_WORK;
			mqtt__cond_wait_ms(&b->sender_cv, &b->out_mu, 1000);
			b->sender_wait = SENDER_RUNS;
			continue;
		}
		if (!room(b)) {
			b->sender_wait = SENDER_ROOM;
			atomic_fetch_add(&b->out_waiters, 1);
			mqtt__cond_wait_ms(&b->sender_cv, &b->out_mu, 1000);
			atomic_fetch_sub(&b->out_waiters, 1);
			b->sender_wait = SENDER_RUNS;
			continue;
		}
		mqtt_dirty_pop(b->dirty, &it);
		atomic_store(&b->dirty_n, mqtt_dirty_count(b->dirty));
		atomic_store_explicit(&jd_metrics.mqtt_notify_pending, mqtt_dirty_count(b->dirty),
		    memory_order_relaxed);
		if (b->dirty_waiters > 0) /* a producer waits for the set to shrink */
			pthread_cond_broadcast(&b->dirty_cv);
		pthread_mutex_unlock(&b->out_mu);
		mqtt__notify_send(b, it.thing, it.ns, it.job, it.list, it.head);
		pthread_mutex_lock(&b->out_mu);
	}
	pthread_mutex_unlock(&b->out_mu);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------ */

static void
wake_all(struct mqtt_bridge *b)
{
	pthread_mutex_lock(&b->out_mu);
	pthread_cond_broadcast(&b->room_cv);
	pthread_cond_broadcast(&b->dirty_cv);
	pthread_cond_signal(&b->sender_cv);
	pthread_mutex_unlock(&b->out_mu);
}

void
mqtt__out_connected(struct mqtt_bridge *b)
{
	/* QoS 0 messages of the last connection were discarded with it */
	for (int mid = 1; mid < MQTT_OUT_MIDS; mid++) {
		uint32_t v = atomic_load_explicit(&b->out_cost[mid], memory_order_relaxed);
		if (v == 0 || v == OUT_EARLY || !(v & OUT_QOS0))
			continue;
		if (atomic_compare_exchange_strong(&b->out_cost[mid], &v, 0))
			release(b, v & ~OUT_QOS0);
	}
	atomic_store(&b->out_progress_ms, clock_mono_ms());
	wake_all(b);
}

void
mqtt__out_init(struct mqtt_bridge *b, size_t max_bytes)
{
	b->out_max = max_bytes > 0 ? max_bytes : MQTT_OUT_DEFAULT;
	b->out_low = b->out_max / 4 * 3;
	b->out_cost = jd_calloc(MQTT_OUT_MIDS, sizeof(*b->out_cost));
	b->dirty = mqtt_dirty_create(MQTT_DIRTY_MAX);
	pthread_mutex_init(&b->out_mu, NULL);
	pthread_cond_init(&b->room_cv, NULL);
	pthread_cond_init(&b->dirty_cv, NULL);
	pthread_cond_init(&b->sender_cv, NULL);
	atomic_store(&b->out_progress_ms, clock_mono_ms());
	atomic_store(&jd_metrics.mqtt_out_max_bytes, b->out_max);
	mosquitto_publish_callback_set(b->mosq, on_publish);
}

int
mqtt__out_start(struct mqtt_bridge *b)
{
	if (pthread_create(&b->sender, NULL, sender_main, b) != 0)
		return -1;
	b->sender_started = true;
	return 0;
}

void
mqtt__out_stop(struct mqtt_bridge *b)
{
	if (b->out_cost == NULL)
		return;
	pthread_mutex_lock(&b->out_mu);
	b->out_stop = true;
	pthread_mutex_unlock(&b->out_mu);
	wake_all(b);
	if (b->sender_started) {
		pthread_join(b->sender, NULL);
		b->sender_started = false;
	}
}

void
mqtt__out_fini(struct mqtt_bridge *b)
{
	if (b->out_cost == NULL)
		return;
	mqtt__out_stop(b);
	mqtt_dirty_destroy(b->dirty);
	b->dirty = NULL;
	free(b->out_cost);
	b->out_cost = NULL;
	pthread_cond_destroy(&b->room_cv);
	pthread_cond_destroy(&b->dirty_cv);
	pthread_cond_destroy(&b->sender_cv);
	pthread_mutex_destroy(&b->out_mu);
}
