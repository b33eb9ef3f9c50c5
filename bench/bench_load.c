/*
 * bench_load.c: epoll-driven closed-loop HTTP load.
 *
 * Each worker thread owns an epoll set and a slice of the connections.
 * Sockets are registered edge-triggered for both directions once, and every
 * wake-up runs the connection's state machine until it would block: ISSUE
 * (ask the source, format, connect if needed) -> CONNECTING -> WRITING ->
 * READING -> back to ISSUE, or DONE. The request budget is a single atomic
 * counter shared by all workers; its value is the seq handed to the source.
 */
#include "bench_load.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_http.h"

#define WBUF_SIZE (BENCH_PATH_MAX + BENCH_BODY_MAX + 512)
#define RBUF_SIZE 65536
#define EVENTS_MAX 256
#define WAIT_MS_MAX 100

enum conn_state { C_ISSUE, C_CONNECTING, C_WRITING, C_READING, C_DONE };

struct shared {
	const struct bench_opts *o;
	const struct bench_source *src;
	atomic_uint_fast64_t seq;
	uint64_t t0, t_stop, t_cap;
};

struct conn {
	struct worker *w;
	int fd;
	enum conn_state st;
	unsigned fails; /* consecutive failures */
	int in_flight;  /* a request has been issued and not accounted */
	uint64_t t_start;
	size_t wlen, woff;
	char wbuf[WBUF_SIZE];
	struct bench_http_resp resp;
};

struct worker {
	struct shared *sh;
	pthread_t th;
	int ep;
	struct conn **conns;
	unsigned nconns;
	unsigned active;
	uint64_t t_last;
	struct bench_run run;
	struct bench_req req;
	char rbuf[RBUF_SIZE];
};

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
note_error(struct bench_run *run, int status, const char *what, const char *body)
{
	if (run->first_error[0] != '\0')
		return;
	if (status > 0)
		snprintf(run->first_error, sizeof(run->first_error), "HTTP %d: %.300s", status,
		    body != NULL ? body : "");
	else
		snprintf(run->first_error, sizeof(run->first_error), "transport: %s",
		    what != NULL ? what : "unknown");
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static void
conn_retire(struct conn *c)
{
	conn_close(c);
	c->st = C_DONE;
	c->w->active--;
}

/* A transport failure: account the outstanding request, drop the socket. */
static void
conn_fail(struct conn *c, const char *why)
{
	struct bench_run *run = &c->w->run;

	if (c->in_flight) {
		run->requests++;
		run->errors++;
		run->by_class[0]++;
		c->in_flight = 0;
		c->w->t_last = bench_now_ns();
	}
	note_error(run, 0, why, NULL);
	conn_close(c);
	if (++c->fails >= BENCH_CONN_FAILS_MAX)
		conn_retire(c);
	else
		c->st = C_ISSUE;
}

static void
conn_complete(struct conn *c)
{
	struct worker *w = c->w;
	uint64_t now = bench_now_ns();
	int status = c->resp.status;

	bench_lat_add(&w->run.lat, now - c->t_start);
	w->run.requests++;
	w->run.by_class[status / 100 <= 5 ? status / 100 : 5]++;
	if (status < 200 || status > 299) {
		w->run.errors++;
		note_error(&w->run, status, NULL, c->resp.body);
	}
	w->t_last = now;
	c->in_flight = 0;
	c->fails = 0;
	if (!c->resp.keep_alive)
		conn_close(c);
	c->st = C_ISSUE;
}

static int
conn_open(struct conn *c)
{
	const struct bench_addr *a = &c->w->sh->o->addr;
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = c;
	if (epoll_ctl(c->w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	if (connect(c->fd, (const struct sockaddr *)&a->ss, a->len) == 0) {
		c->st = C_WRITING;
		return 0;
	}
	if (errno != EINPROGRESS)
		return -1;
	c->st = C_CONNECTING;
	return 0;
}

/* Start the next request, or retire the connection when the run is over. */
static void
conn_issue(struct conn *c)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	uint64_t seq, now = bench_now_ns();
	long n;

	if (now >= sh->t_stop) {
		conn_retire(c);
		return;
	}
	seq = atomic_fetch_add(&sh->seq, 1);
	if (sh->o->max_requests != 0 && seq >= sh->o->max_requests) {
		conn_retire(c);
		return;
	}
	w->req.method = NULL;
	w->req.path[0] = '\0';
	w->req.body_len = 0;
	w->req.has_body = 0;
	if (sh->src->next(sh->src->ctx, seq, &w->req) != 0 || w->req.method == NULL) {
		conn_retire(c);
		return;
	}
	n = bench_http_format_request(c->wbuf, sizeof(c->wbuf), w->req.method, sh->o->addr.hostport,
	    w->req.path, w->req.has_body ? w->req.body : NULL, w->req.body_len);
	if (n < 0) {
		note_error(&w->run, 0, "request does not fit or has a bad path", NULL);
		conn_retire(c);
		return;
	}
	c->wlen = (size_t)n;
	c->woff = 0;
	bench_http_resp_init(&c->resp, strcmp(w->req.method, "HEAD") == 0);
	c->t_start = now;
	c->in_flight = 1;
	if (c->fd >= 0) {
		c->st = C_WRITING;
		return;
	}
	if (conn_open(c) != 0)
		conn_fail(c, strerror(errno));
}

/* Run c's state machine until it would block or is done. */
static void
conn_step(struct conn *c, int woke)
{
	struct worker *w = c->w;

	for (;;) {
		switch (c->st) {
		case C_DONE:
			return;
		case C_ISSUE:
			conn_issue(c);
			woke = 0; /* a fresh connect has not been reported yet */
			break;
		case C_CONNECTING: {
			int err = 0;
			socklen_t len = sizeof(err);
			if (!woke)
				return;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
			if (err == EINPROGRESS || err == EALREADY)
				return;
			if (err != 0) {
				conn_fail(c, strerror(err));
				break;
			}
			c->st = C_WRITING;
			break;
		}
		case C_WRITING: {
			ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				if (errno == EINTR)
					break;
				conn_fail(c, strerror(errno));
				break;
			}
			c->woff += (size_t)n;
			if (c->woff == c->wlen)
				c->st = C_READING;
			break;
		}
		case C_READING: {
			ssize_t n = recv(c->fd, w->rbuf, sizeof(w->rbuf), 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				if (errno == EINTR)
					break;
				conn_fail(c, strerror(errno));
				break;
			}
			if (n == 0) {
				if (bench_http_resp_eof(&c->resp) == BENCH_HTTP_DONE) {
					c->resp.keep_alive = 0;
					conn_complete(c);
				} else {
					conn_fail(c, c->resp.error);
				}
				break;
			}
			size_t used = bench_http_resp_feed(&c->resp, w->rbuf, (size_t)n);
			if (c->resp.state == BENCH_HTTP_ERROR) {
				conn_fail(c, c->resp.error);
			} else if (c->resp.state == BENCH_HTTP_DONE) {
				if (used < (size_t)n)
					c->resp.keep_alive = 0; /* bytes nobody asked for */
				conn_complete(c);
			}
			break;
		}
		}
	}
}

/* Hard cap: whatever is still outstanding counts as failed. */
static void
abandon_all(struct worker *w)
{
	for (unsigned i = 0; i < w->nconns; i++) {
		struct conn *c = w->conns[i];
		if (c->st == C_DONE)
			continue;
		if (c->in_flight) {
			w->run.requests++;
			w->run.errors++;
			w->run.by_class[0]++;
			c->in_flight = 0;
			note_error(&w->run, 0, "hard time cap reached with requests outstanding",
			    NULL);
		}
		conn_retire(c);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[EVENTS_MAX];

	for (unsigned i = 0; i < w->nconns; i++)
		conn_step(w->conns[i], 0);
	while (w->active > 0) {
		uint64_t now = bench_now_ns();
		if (now >= w->sh->t_cap) {
			abandon_all(w);
			break;
		}
		uint64_t left_ms = (w->sh->t_cap - now) / 1000000u + 1;
		int timeout = left_ms < WAIT_MS_MAX ? (int)left_ms : WAIT_MS_MAX;
		int n = epoll_wait(w->ep, evs, EVENTS_MAX, timeout);
		if (n < 0 && errno != EINTR) {
			note_error(&w->run, 0, strerror(errno), NULL);
			abandon_all(w);
			break;
		}
		for (int i = 0; i < n; i++)
			conn_step(evs[i].data.ptr, 1);
	}
	return NULL;
}

void
bench_run_free(struct bench_run *out)
{
	if (out == NULL)
		return;
	bench_lat_free(&out->lat);
}

void
bench_run_result(const struct bench_run *run, const char *op, struct bench_result *res)
{
	memset(res, 0, sizeof(*res));
	res->op = op;
	res->requests = run->requests;
	res->errors = run->errors;
	res->seconds = run->seconds;
	bench_result_fill(res, &run->lat);
}

int
bench_load_run(const struct bench_opts *o, const struct bench_source *src, struct bench_run *out)
{
	struct shared sh;
	struct worker *ws = NULL;
	struct conn *conns = NULL;
	unsigned nthreads = o->threads, started = 0;
	uint64_t t_end = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	bench_lat_init(&out->lat);
	if (o->connections < 1 || o->connections > BENCH_CONN_MAX || o->threads < 1 ||
	    o->threads > BENCH_THREAD_MAX || !(o->duration_s > 0) ||
	    o->hard_cap_s < o->duration_s) {
		snprintf(out->first_error, sizeof(out->first_error), "bad load options");
		goto out;
	}
	if (nthreads > o->connections)
		nthreads = o->connections;

	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	sh.src = src;
	atomic_init(&sh.seq, 0);
	ws = calloc(nthreads, sizeof(*ws));
	conns = calloc(o->connections, sizeof(*conns));
	if (ws == NULL || conns == NULL) {
		fprintf(stderr, "jdbench: out of memory\n");
		abort();
	}
	for (unsigned t = 0; t < nthreads; t++) {
		ws[t].sh = &sh;
		ws[t].ep = -1;
		ws[t].conns = calloc(o->connections / nthreads + 1, sizeof(*ws[t].conns));
		if (ws[t].conns == NULL) {
			fprintf(stderr, "jdbench: out of memory\n");
			abort();
		}
		bench_lat_init(&ws[t].run.lat);
		ws[t].ep = epoll_create1(EPOLL_CLOEXEC);
		if (ws[t].ep < 0) {
			snprintf(out->first_error, sizeof(out->first_error), "epoll_create1: %s",
			    strerror(errno));
			goto out;
		}
	}
	for (unsigned i = 0; i < o->connections; i++) {
		struct worker *w = &ws[i % nthreads];
		conns[i].w = w;
		conns[i].fd = -1;
		conns[i].st = C_ISSUE;
		w->conns[w->nconns++] = &conns[i];
		w->active++;
	}

	sh.t0 = bench_now_ns();
	sh.t_stop = sh.t0 + (uint64_t)(o->duration_s * 1e9);
	sh.t_cap = sh.t0 + (uint64_t)(o->hard_cap_s * 1e9);
	for (; started < nthreads; started++) {
		int err = pthread_create(&ws[started].th, NULL, worker_main, &ws[started]);
		if (err != 0) {
			/* Workers already running finish on their own; none is cancelled. */
			snprintf(out->first_error, sizeof(out->first_error), "pthread_create: %s",
			    strerror(err));
			break;
		}
	}
	for (unsigned t = 0; t < started; t++) {
		pthread_join(ws[t].th, NULL);
		struct bench_run *r = &ws[t].run;
		bench_lat_merge(&out->lat, &r->lat);
		out->requests += r->requests;
		out->errors += r->errors;
		for (int k = 0; k < 6; k++)
			out->by_class[k] += r->by_class[k];
		if (out->first_error[0] == '\0' && r->first_error[0] != '\0')
			snprintf(out->first_error, sizeof(out->first_error), "%s", r->first_error);
		if (ws[t].t_last > t_end)
			t_end = ws[t].t_last;
	}
	if (started == 0)
		goto out;
	if (t_end == 0)
		t_end = bench_now_ns();
	out->seconds = (double)(t_end - sh.t0) / 1e9;
	bench_lat_sort(&out->lat);
	rc = 0;
out:
	if (ws != NULL) {
		for (unsigned t = 0; t < nthreads; t++) {
			if (ws[t].ep >= 0)
				close(ws[t].ep);
			bench_lat_free(&ws[t].run.lat);
			free(ws[t].conns);
		}
	}
	if (conns != NULL)
		for (unsigned i = 0; i < o->connections; i++)
			if (conns[i].fd >= 0)
				close(conns[i].fd);
	free(conns);
	free(ws);
	return rc;
}

static int
wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = bench_now_ns();
		struct pollfd p = {.fd = fd, .events = events};
		int n;
		if (now >= deadline)
			return -1;
		n = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

int
bench_request_once(const struct bench_addr *a, const char *method, const char *path,
    const char *body, double timeout_s, int *status, uint64_t *ns, char *resp, size_t resp_size)
{
	size_t blen = body != NULL ? strlen(body) : 0, wsize = blen + BENCH_PATH_MAX + 512;
	char *wbuf = malloc(wsize);
	struct bench_http_resp *r = malloc(sizeof(*r));
	uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(timeout_s * 1e9);
	const char *why = NULL;
	size_t off = 0;
	long wlen;
	int fd = -1, rc = -1;

	if (wbuf == NULL || r == NULL) {
		fprintf(stderr, "jdbench: out of memory\n");
		abort();
	}
	*status = 0;
	*ns = 0;
	wlen = bench_http_format_request(wbuf, wsize, method, a->hostport, path, body, blen);
	if (wlen < 0) {
		why = "bad request";
		goto out;
	}
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		why = strerror(errno);
		goto out;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 0) {
			why = errno != EINPROGRESS ? strerror(errno) : "connect timed out";
			goto out;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			why = strerror(err);
			goto out;
		}
	}
	while (off < (size_t)wlen) {
		ssize_t n = send(fd, wbuf + off, (size_t)wlen - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) != 0) {
				why = "send timed out";
				goto out;
			}
			continue;
		}
		if (n < 0) {
			why = strerror(errno);
			goto out;
		}
		off += (size_t)n;
	}
	bench_http_resp_init(r, strcmp(method, "HEAD") == 0);
	bench_http_resp_set_sink(r, resp, resp_size);
	while (r->state != BENCH_HTTP_DONE && r->state != BENCH_HTTP_ERROR) {
		char buf[16384];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) != 0) {
				why = "response timed out";
				goto out;
			}
			continue;
		}
		if (n < 0) {
			why = strerror(errno);
			goto out;
		}
		if (n == 0)
			bench_http_resp_eof(r);
		else
			bench_http_resp_feed(r, buf, (size_t)n);
	}
	if (r->state == BENCH_HTTP_ERROR) {
		why = r->error;
		goto out;
	}
	*status = r->status;
	*ns = bench_now_ns() - t0;
	rc = 0; /* the sink already holds the body */
out:
	if (rc != 0 && resp_size > 0)
		snprintf(resp, resp_size, "%s", why != NULL ? why : "failed");
	if (fd >= 0)
		close(fd);
	free(r);
	free(wbuf);
	return rc;
}
