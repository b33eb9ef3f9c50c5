/*
 * loop.c: the network loop of the broker connection (issue 15).
 *
 * libmosquitto's threaded loop (mosquitto_loop_start) makes every publish a
 * hand-off: the publishing thread queues the packet and writes a byte to a
 * socket pair; the loop thread leaves pselect, reads that byte and writes the
 * packet. Over plain TCP jobsd runs its own loop thread instead, and the
 * client stays in libmosquitto's non-threaded mode, where mosquitto_publish
 * writes the packet at once from the calling thread (under libmosquitto's
 * packet mutexes): a request worker sends its own reply and notifications,
 * and the loop thread reads (requests, PUBACKs), writes only what is left (a
 * publish made inside a callback, or a write cut short by a full socket
 * buffer: seen within LOOP_POLL_MS), runs the keep-alive once a second and
 * reconnects. Measured: 5 to 18 % less CPU per MQTT execution and a quarter
 * more executions per second (bench/README.md "The MQTT ceiling").
 *
 * Reconnecting follows libmosquitto's own rule (mosquitto_loop_forever): the
 * n-th attempt in a row waits delay x (n+1)^2 (exponential) or x (n+1) up to
 * the maximum, with the values bridge.c sets through mqtt__reconnect_delay;
 * a CONNACK starts the count again. The connection is opened without
 * blocking (mosquitto_reconnect_async), so stopping never waits for a TCP
 * connect.
 *
 * With TLS libmosquitto's threaded loop stays: OpenSSL does not allow an
 * SSL_write from a worker while the loop thread is in SSL_read on the same
 * connection, and there every read and write is the loop thread's.
 */
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdatomic.h>
#include <time.h>

#include "mqtt/bridge_int.h"
#include "util/log.h"

#define LOOP_POLL_MS 100   /* the longest a leftover write waits to be noticed */
#define LOOP_MISC_MS 1000  /* keep-alive (PINGREQ) and its time-out */
#define LOOP_DRAIN_MS 2000 /* at stop: the most the queued replies may take */

static int64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mqtt__reconnect_delay(struct mqtt_bridge *b, unsigned delay, unsigned max, bool exponential)
{
	b->rc_delay = delay;
	b->rc_delay_max = max;
	b->rc_exp = exponential;
	mosquitto_reconnect_delay_set(b->mosq, delay, max, exponential);
}

void
mqtt__loop_connected(struct mqtt_bridge *b)
{
	b->rc_count = 0;
}

/* Wait before the next connection attempt (libmosquitto's rule); false when
 * the loop is to stop instead. */
static bool
backoff(struct mqtt_bridge *b)
{
	unsigned d = b->rc_delay, n = b->rc_count;
	int64_t until;

	if (b->rc_delay_max > b->rc_delay)
		d = b->rc_exp ? d * (n + 1) * (n + 1) : d * (n + 1);
	if (d > b->rc_delay_max)
		d = b->rc_delay_max;
	else
		b->rc_count++;
	until = loop_now_ms() + (int64_t)d * 1000;
	while (loop_now_ms() < until) {
		struct timespec step = {0, LOOP_POLL_MS * 1000000L};
		if (atomic_load(&b->loop_stop) || atomic_load(&b->draining))
			return false;
		nanosleep(&step, NULL);
	}
	return !atomic_load(&b->loop_stop) && !atomic_load(&b->draining);
}

static void *
loop_main(void *arg)
{
	struct mqtt_bridge *b = arg;
	int64_t misc_ms = 0;

	for (;;) {
		int fd = mosquitto_socket(b->mosq), rc = MOSQ_ERR_NO_CONN;
		bool out = mosquitto_want_write(b->mosq);

		if (atomic_load(&b->loop_stop) &&
		    (fd < 0 || !out || loop_now_ms() >= b->drain_until_ms))
			break;
		if (fd >= 0) {
			struct pollfd p = {fd, (short)(POLLIN | (out ? POLLOUT : 0)), 0};
			int n = poll(&p, 1, LOOP_POLL_MS);
			int64_t now;
			rc = MOSQ_ERR_SUCCESS;
			if (n < 0 && errno != EINTR)
				log_warn("mqtt: poll failed (errno %d)", errno);
			if (n > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
				rc = mosquitto_loop_read(b->mosq, 1);
			if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(b->mosq))
				rc = mosquitto_loop_write(b->mosq, 1);
			now = loop_now_ms();
			if (rc == MOSQ_ERR_SUCCESS && now - misc_ms >= LOOP_MISC_MS) {
				misc_ms = now;
				rc = mosquitto_loop_misc(b->mosq);
			}
			if (rc == MOSQ_ERR_SUCCESS)
				continue;
		}
		/* no connection, or it just ended (on_disconnect has run) */
		if (atomic_load(&b->loop_stop) || atomic_load(&b->draining) || !backoff(b))
			break;
		rc = mosquitto_reconnect_async(b->mosq);
		if (rc != MOSQ_ERR_SUCCESS)
			log_debug("mqtt: reconnecting to %s:%d: %s", b->cfg.host, b->cfg.port,
			    mosquitto_strerror(rc));
	}
	return NULL;
}

int
mqtt__loop_start(struct mqtt_bridge *b)
{
	b->own_loop = b->cafile == NULL;
	if (!b->own_loop) {
		if (mosquitto_loop_start(b->mosq) != MOSQ_ERR_SUCCESS)
			return -1;
	} else if (pthread_create(&b->loop, NULL, loop_main, b) != 0) {
		return -1;
	}
	b->loop_started = true;
	return 0;
}

void
mqtt__loop_stop(struct mqtt_bridge *b)
{
	if (!b->loop_started)
		return;
	if (b->own_loop) {
		b->drain_until_ms = loop_now_ms() + LOOP_DRAIN_MS;
		atomic_store(&b->loop_stop, true);
		pthread_join(b->loop, NULL);
	} else {
		mosquitto_loop_stop(b->mosq, false);
	}
	b->loop_started = false;
}
