/*
 * bench_load.h: the closed-loop load engine.
 *
 * A run opens a number of keep-alive HTTP/1.1 connections to one loopback
 * address and drives them from one or a few epoll threads. Each connection
 * has at most one request outstanding: it sends, reads the whole response,
 * records the latency and status, and sends the next. What to send comes
 * from a request source callback, so a scenario can vary the path and body
 * per request.
 *
 * A run ends when the request budget is spent, the source runs dry, or the
 * duration passes (no new requests start; outstanding ones finish), whichever
 * comes first. At the hard cap anything still outstanding is abandoned and
 * counted as an error, so a wedged server cannot hang the benchmark.
 */
#ifndef JD_BENCH_LOAD_H
#define JD_BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "bench_addr.h"
#include "bench_stats.h"

#define BENCH_PATH_MAX 1024
#define BENCH_BODY_MAX 12288
#define BENCH_CONN_MAX 4096
#define BENCH_THREAD_MAX 64
/* A connection that fails this many times in a row is retired. */
#define BENCH_CONN_FAILS_MAX 3

/* One request, filled in by a source. */
struct bench_req {
	const char *method;        /* static string: "GET", "POST", ... */
	char path[BENCH_PATH_MAX]; /* origin-form, already percent-encoded */
	char body[BENCH_BODY_MAX];
	size_t body_len;
	int has_body; /* 0: no body (POST/PUT still get Content-Length: 0) */
};

struct bench_source {
	/*
	 * Fill req for request number seq (0-based, each value handed out once
	 * per run). Return 0 to send it, 1 when the source has nothing more,
	 * -1 on error. Called from the run's worker threads concurrently, so it
	 * must only read ctx or synchronise itself. method, path, body_len and
	 * has_body are reset beforehand.
	 */
	int (*next)(void *ctx, uint64_t seq, struct bench_req *req);
	void *ctx; /* borrowed */
};

struct bench_opts {
	struct bench_addr addr;
	unsigned connections;  /* 1..BENCH_CONN_MAX */
	unsigned threads;      /* 1..BENCH_THREAD_MAX, capped at connections */
	uint64_t max_requests; /* 0: no count limit */
	double duration_s;     /* > 0: start no request after this */
	double hard_cap_s;     /* >= duration_s: abandon outstanding requests */
};

struct bench_run {
	struct bench_lat lat;  /* owned; one sample per HTTP response, sorted */
	uint64_t requests;     /* responses plus transport failures */
	uint64_t errors;       /* non-2xx responses plus transport failures */
	uint64_t by_class[6];  /* [0] transport failures, [k] kxx responses */
	double seconds;        /* start to last completion */
	char first_error[400]; /* first error seen: status and body, or reason */
};

/*
 * Run load per o against src. Fills out (caller frees with
 * bench_run_free()). Returns 0 when the run happened, even if every request
 * failed; -1 on bad options or when no thread or epoll could be set up,
 * with the reason in out->first_error.
 */
int bench_load_run(const struct bench_opts *o, const struct bench_source *src,
    struct bench_run *out);

/* Free out's samples. NULL is a no-op. */
void bench_run_free(struct bench_run *out);

/* Fill res from a finished run. op is borrowed. */
void bench_run_result(const struct bench_run *run, const char *op, struct bench_result *res);

/*
 * One blocking request on a fresh connection, for set-up steps. body may be
 * NULL. On an HTTP response returns 0 with *status, the latency in *ns and
 * the body (NUL-terminated, truncated to resp_size - 1 bytes) in resp; on a transport failure or
 * timeout returns -1 with the reason in resp.
 */
int bench_request_once(const struct bench_addr *a, const char *method, const char *path,
    const char *body, double timeout_s, int *status, uint64_t *ns, char *resp, size_t resp_size);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
