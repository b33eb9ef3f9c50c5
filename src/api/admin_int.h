/*
 * admin_int.h: the admin listener's request and route types (issue 14).
 *
 * The admin listener (admin.c) is a libmicrohttpd daemon of its own, off by
 * default, for operators: health (/healthz, /readyz), metrics (/metrics),
 * and the jobsd extensions of decision D28. Its routes are one table
 * (admin_routes.c): to add one, write a handler `void fn(struct admin_req *)`
 * and add a line there; admin.c does the rest (authentication unless the
 * route is `open`, the body up to ADMIN_BODY_MAX, the method check, errors).
 */
#ifndef JD_API_ADMIN_INT_H
#define JD_API_ADMIN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api_int.h"
#include "util/buf.h"

#define ADMIN_BODY_MAX (64 * 1024) /* request body bytes; over it: 413 */
#define ADMIN_CONN_MAX 64          /* connections at once (a thread each) */
#define ADMIN_TOKEN_MAX 4096       /* bytes of the bearer token file */
#define ADMIN_READY_CACHE_MS 1000  /* /readyz: one store write probe per second at most */
#define ADMIN_PROBE_SLOW_MS 2000   /* a probe running longer than this: not ready */
#define ADMIN_STATS_CACHE_MS 5000  /* /metrics: the store's counts, at most every */

struct admin_req;
typedef void (*admin_handler)(struct admin_req *q);

struct admin_route {
	enum api_method method;
	const char *path; /* "metrics", "jobs/{jobId}/pause": segments, {x} a label */
	admin_handler fn;
	bool open; /* served without authentication (health checks) */
};

extern const struct admin_route admin_routes[];
extern const int admin_nroutes;

/* A cached outcome of something slow (the readiness probe, the store's counts). */
struct admin_cache {
	pthread_mutex_t mu;
	int64_t at_ms;      /* monotonic time of the last result; 0 = none */
	int64_t started_ms; /* a refresh in progress since (0 = none) */
	int rc;             /* the last result: 0 or a JD_E* code */
	char msg[256];      /* its reason when rc != 0 */
};

struct api_admin {
	struct api_admin_config cfg;
	struct svc *svc;
	void *daemon; /* struct MHD_Daemon * */
	int port;
	char host[64];
	pthread_mutex_t token_mu;
	char *token; /* owned, NULL: no bearer token; wiped on free */
	size_t token_len;
	struct admin_cache ready; /* the store write probe */
	struct admin_cache stats; /* svc_stats() */
	struct svc_stats last_stats;
	int64_t start_s; /* process start, epoch seconds */
	/* the dashboard (admin_session.c, admin_stream.c) */
	atomic_bool stopping;          /* set first by api_admin_destroy: streams end */
	atomic_int streams;            /* live streams open now (ADMIN_STREAMS_MAX) */
	unsigned char open_secret[32]; /* random per process: the CSRF value without auth */
};

/* One admin request, from its first callback to its completion. */
struct admin_req {
	struct api_admin *a;
	enum api_method method;
	char *raw_uri; /* owned, as received */
	char *seg[JD_PATH_SEGMENTS_MAX];
	int nseg;
	const char *label[4]; /* borrowed from seg: the route's {labels} */
	struct buf body;
	bool too_big;
	bool started;
	/* response */
	int status;               /* 200 unless a handler says otherwise */
	const char *content_type; /* static; default application/json */
	const char *error_type;   /* static x-amzn-ErrorType of a failure, or NULL */
	struct buf out;
	/* response extras for the dashboard (admin.c adds each one that is set) */
	void *conn;                /* struct MHD_Connection *, borrowed for the request */
	const char *cache_control; /* static; NULL: no-store */
	char etag[80];             /* "" none */
	char set_cookie[320];      /* "" none */
	bool cookie_auth;          /* authenticated by the dashboard's session cookie */
	/* a streamed body (server-sent events), set by a handler: admin.c sends
	 * q->status, then what stream() writes into buf[max] (> 0 bytes; it
	 * may block), until it returns -1; stream_free(arg) at the end */
	long (*stream)(void *arg, char *buf, size_t max);
	void *stream_arg;
	void (*stream_free)(void *arg);
};

#define ADMIN_STREAMS_MAX 16 /* live streams at once (each holds a connection) */

/* A request header (case-insensitive name) or query argument (decoded), or
 * NULL; borrowed for the request. admin.c. */
const char *admin_header(struct admin_req *q, const char *name);
const char *admin_query(struct admin_req *q, const char *name);

/*
 * The dashboard's session (admin_session.c). admin_session_auth: 1 when q
 * carries a valid session cookie (and, for a method that changes state, the
 * matching X-Jobsd-Csrf header), 0 when it carries none, -1 when q was
 * failed (403). admin_browser_guard: 0, or -1 with q failed (403) when a
 * browser sent it from another origin (Origin, Sec-Fetch-Site), or, without
 * auth, named a Host that is not a loopback name (DNS rebinding).
 */
int admin_session_auth(struct admin_req *q);
int admin_browser_guard(struct admin_req *q);
bool admin_unsafe_method(const struct admin_req *q);
/* n random bytes (getrandom; aborts if the kernel has none). */
void admin_random(void *p, size_t n);
/* The dashboard's routes (admin_session.c, admin_dash.c, admin_stream.c,
 * admin_static.c). */
void admin_h_session(struct admin_req *q);
void admin_h_login(struct admin_req *q);
void admin_h_logout(struct admin_req *q);
void admin_h_static(struct admin_req *q);
void admin_h_dash_jobs(struct admin_req *q);
void admin_h_dash_job(struct admin_req *q);
void admin_h_dash_execs(struct admin_req *q);
void admin_h_dash_exec(struct admin_req *q);
void admin_h_dash_thing(struct admin_req *q);
void admin_h_dash_job_cancel(struct admin_req *q);
void admin_h_dash_exec_cancel(struct admin_req *q);
void admin_h_dash_exec_delete(struct admin_req *q);
void admin_h_stream(struct admin_req *q);
void admin_h_features(struct admin_req *q);
/* A job's summary as the dashboard's API and stream write it (admin_dash.c). */
struct jd_job;
struct jd_counts;
void admin_dash_job_json(struct jw *w, const struct jd_job *j, const struct jd_counts *c);

/* Fail q with status and a {"message"} body (JSON-escaped). */
void admin_fail(struct admin_req *q, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fail q with e's AWS status, x-amzn-ErrorType and {"message", "code"} (the
 * type again, for the dashboard's script); JD_EINTERNAL when e has no code. */
void admin_fail_err(struct admin_req *q, const struct jd_error *e);
/* The Prometheus text of every metric into q->out (admin_metrics.c). */
void admin_metrics_render(struct admin_req *q);
/*
 * The outcome of refresh(a, msg, msgsz) (0 or JD_E* with a reason), run at
 * most every max_age_ms and by one thread at a time: the others take the
 * last outcome meanwhile, unless the running refresh is older than slow_ms
 * (0: never), which then counts as JD_EUNAVAIL ("... has not finished").
 * Copies the reason into why[n]. admin_routes.c.
 */
int admin_cached(struct api_admin *a, struct admin_cache *c, int64_t max_age_ms, int64_t slow_ms,
    int (*refresh)(struct api_admin *a, char *msg, size_t msgsz), char *why, size_t n);
/* A monotonic clock in ms. */
int64_t admin_mono_ms(void);

/* The jobsd extensions on a job's rollout (admin_jobs.c, issue 14):
 * pause, resume, rollout state, timeline, plan, what-if. */
void admin_h_job_pause(struct admin_req *q);
void admin_h_job_resume(struct admin_req *q);
void admin_h_job_rollout(struct admin_req *q);
void admin_h_job_timeline(struct admin_req *q);
void admin_h_job_plan(struct admin_req *q);
void admin_h_whatif(struct admin_req *q);

#endif
