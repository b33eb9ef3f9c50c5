/*
 * conns.c: connection fairness for both listeners (issue 13, see
 * docs/operations.md#hardening). libmicrohttpd knows only an inactivity timeout, so
 * a client that sends one byte every few seconds would hold a connection for
 * ever. Every connection is registered here when it is accepted, with a
 * deadline that moves with the request:
 *
 *   accepted              headers complete by accept + headers_s
 *   headers in            whole request in by request start + request_s
 *   whole request in      no deadline (a handler runs; the answer is sent)
 *   answer sent           next headers complete by now + keepalive_s
 *
 * A reaper thread wakes every JD_HTTP_REAP_MS, advances a coarse clock that
 * the request path reads instead of calling clock_gettime, and shuts down
 * (shutdown(2), never close) the socket of every connection past its
 * deadline: libmicrohttpd then sees the end of the stream and closes it
 * itself. The registry lock is held across shutdown() and across the removal
 * at close, which libmicrohttpd reports before it closes the descriptor, so
 * the descriptor shut down is always the connection's own.
 *
 * Also here: the accept policy (refuse at accept, before any byte is read or
 * a TLS handshake begins, once a listener holds its maximum), the budget of
 * body bytes buffered before a signature could be checked, and libmicrohttpd's
 * log lines, rate-limited to one line per key per JD_HTTP_LOG_WINDOW_S with a
 * count of those left out. After a burst (many connections closed, or many
 * unverified bodies freed) the reaper returns freed memory with malloc_trim().
 */
#include "api/api_int.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/log.h"

struct api_conns {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct api_conn *head; /* every open connection, both listeners */
	int open[2];           /* per listener */
	int max;               /* per listener, refused at accept beyond */
	int64_t headers_ms, request_ms, keepalive_ms;
	_Atomic int64_t now_ms;    /* coarse monotonic clock, reaper-driven */
	_Atomic size_t unverified; /* bytes of the unverified-body budget in use */
	size_t budget;
	/* memory freed since the last malloc_trim(): bytes of unverified bodies
	 * released, and connections closed (each had a pool and a request) */
	_Atomic size_t freed;
	int closed;
	int64_t trimmed_ms;
	bool quit;
	bool started;
	pthread_t th;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- rate-limited log lines ------------------------------------------------ */

#define LIMITED_SLOTS 16

static struct {
	const void *key;
	int64_t window_ms; /* start of the current window */
	unsigned left_out;
} limited[LIMITED_SLOTS];
static pthread_mutex_t limited_mu = PTHREAD_MUTEX_INITIALIZER;

void
api__log_limited(const void *key, const char *line)
{
	int64_t now = mono_ms();
	unsigned left_out = 0;
	int slot = -1, oldest = 0;

	pthread_mutex_lock(&limited_mu);
	for (int i = 0; i < LIMITED_SLOTS; i++) {
		if (limited[i].key == key) {
			slot = i;
			break;
		}
		if (limited[i].window_ms < limited[oldest].window_ms)
			oldest = i;
	}
	if (slot < 0) { /* a new key takes the stalest slot */
		slot = oldest;
		limited[slot].key = key;
		limited[slot].window_ms = INT64_MIN;
		limited[slot].left_out = 0;
	}
	if (limited[slot].window_ms != INT64_MIN &&
	    now - limited[slot].window_ms < JD_HTTP_LOG_WINDOW_S * 1000) {
		limited[slot].left_out++;
		pthread_mutex_unlock(&limited_mu);
		return;
	}
	left_out = limited[slot].left_out;
	limited[slot].window_ms = now;
	limited[slot].left_out = 0;
	pthread_mutex_unlock(&limited_mu);
	if (left_out > 0)
		log_warn("http: %s (and %u more like it in %d s)", line, left_out,
		    JD_HTTP_LOG_WINDOW_S);
	else
		log_warn("http: %s", line);
}

/* ---- the reaper ------------------------------------------------------------ */

static void *
reaper_main(void *arg)
{
	struct api_conns *cs = arg;
	struct timespec ts;

	pthread_mutex_lock(&cs->mu);
	while (!cs->quit) {
		int64_t now = mono_ms();
		int reaped = 0;

		atomic_store_explicit(&cs->now_ms, now, memory_order_relaxed);
		for (struct api_conn *c = cs->head; c != NULL; c = c->next) {
			int64_t d = atomic_load_explicit(&c->deadline_ms, memory_order_relaxed);
			if (d != 0 && d <= now && !c->reaped) {
				c->reaped = true;
				shutdown(c->fd, SHUT_RDWR);
				reaped++;
			}
		}
		if (reaped > 0) {
			pthread_mutex_unlock(&cs->mu);
			api__log_limited(reaper_main, "closed connection(s) past their deadline");
			pthread_mutex_lock(&cs->mu);
		}
		/* After a burst (an attack, a flood of large bodies), hand the
		 * freed memory back: glibc keeps freed chunks in its arenas, and
		 * RSS must return to its baseline (issue 13). At most once per
		 * JD_HTTP_TRIM_S, only after that much was freed. */
		if (now - cs->trimmed_ms >= JD_HTTP_TRIM_S * 1000 &&
		    (atomic_load(&cs->freed) >= JD_HTTP_TRIM_BYTES ||
		        cs->closed >= JD_HTTP_TRIM_CONNS)) {
			atomic_store(&cs->freed, 0);
			cs->closed = 0;
			cs->trimmed_ms = now;
			pthread_mutex_unlock(&cs->mu);
			malloc_trim(0);
			pthread_mutex_lock(&cs->mu);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)JD_HTTP_REAP_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&cs->wake, &cs->mu, &ts);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

static int64_t
ms_or(unsigned s, int64_t dflt_s)
{
	return (int64_t)(s > 0 ? s : dflt_s) * 1000;
}

int
api__conns_create(const struct api_config *cfg, struct api_conns **out, struct jd_error *e)
{
	struct api_conns *cs = jd_calloc(1, sizeof(*cs));

	pthread_mutex_init(&cs->mu, NULL);
	pthread_cond_init(&cs->wake, NULL);
	cs->max = JD_HTTP_CONN_MAX;
	cs->headers_ms = ms_or(cfg->http_headers_s, JD_HTTP_HEADERS_S);
	cs->request_ms = ms_or(cfg->http_request_s, JD_HTTP_REQUEST_S);
	cs->keepalive_ms = ms_or(cfg->http_keepalive_s, JD_HTTP_KEEPALIVE_S);
	cs->budget = JD_AUTH_UNVERIFIED_BUDGET;
	atomic_store(&cs->now_ms, mono_ms());
	if (pthread_create(&cs->th, NULL, reaper_main, cs) != 0) {
		pthread_cond_destroy(&cs->wake);
		pthread_mutex_destroy(&cs->mu);
		free(cs);
		return jd_error_set(e, JD_EINTERNAL, "cannot start the HTTP deadline thread");
	}
	cs->started = true;
	*out = cs;
	return 0;
}

void
api__conns_destroy(struct api_conns *cs)
{
	if (cs == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->quit = true;
	pthread_cond_signal(&cs->wake);
	pthread_mutex_unlock(&cs->mu);
	if (cs->started)
		pthread_join(cs->th, NULL);
	pthread_cond_destroy(&cs->wake);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}

/* ---- the connection's life ------------------------------------------------- */

bool
api__conns_admit(struct api_conns *cs, int listener)
{
	bool ok;

	pthread_mutex_lock(&cs->mu);
	ok = cs->open[listener] < cs->max;
	pthread_mutex_unlock(&cs->mu);
	return ok;
}

struct api_conn *
api__conn_open(struct api_conns *cs, int listener, int fd)
{
	struct api_conn *c = jd_calloc(1, sizeof(*c));
	int64_t now = atomic_load_explicit(&cs->now_ms, memory_order_relaxed);

	c->cs = cs;
	c->listener = listener;
	c->fd = fd;
	c->start_ms = now;
	/* no descriptor (cannot happen with sockets): no deadline either */
	atomic_store_explicit(&c->deadline_ms, fd >= 0 ? now + cs->headers_ms : 0,
	    memory_order_relaxed);
	pthread_mutex_lock(&cs->mu);
	c->next = cs->head;
	if (cs->head != NULL)
		cs->head->prev = c;
	cs->head = c;
	cs->open[listener]++;
	pthread_mutex_unlock(&cs->mu);
	return c;
}

void
api__conn_close(struct api_conn *c)
{
	struct api_conns *cs;

	if (c == NULL)
		return;
	cs = c->cs;
	pthread_mutex_lock(&cs->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	cs->open[c->listener]--;
	cs->closed++;
	pthread_mutex_unlock(&cs->mu);
	free(c);
}

void
api__conn_headers_in(struct api_conn *c)
{
	if (c != NULL)
		atomic_store_explicit(&c->deadline_ms, c->start_ms + c->cs->request_ms,
		    memory_order_relaxed);
}

void
api__conn_request_in(struct api_conn *c)
{
	if (c != NULL)
		atomic_store_explicit(&c->deadline_ms, 0, memory_order_relaxed);
}

void
api__conn_answered(struct api_conn *c)
{
	int64_t now;

	if (c == NULL)
		return;
	now = atomic_load_explicit(&c->cs->now_ms, memory_order_relaxed);
	c->start_ms = now;
	atomic_store_explicit(&c->deadline_ms, now + c->cs->keepalive_ms, memory_order_relaxed);
}

/* ---- the unverified-body budget ------------------------------------------- */

bool
api__budget_take(struct api_conns *cs, size_t n)
{
	size_t cur = atomic_load_explicit(&cs->unverified, memory_order_relaxed);

	do {
		if (n > cs->budget || cur > cs->budget - n)
			return false;
	} while (!atomic_compare_exchange_weak(&cs->unverified, &cur, cur + n));
	return true;
}

void
api__budget_put(struct api_conns *cs, size_t n)
{
	if (n > 0) {
		atomic_fetch_sub(&cs->unverified, n);
		atomic_fetch_add(&cs->freed, n);
	}
}
