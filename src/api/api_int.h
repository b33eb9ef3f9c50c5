/* api_int.h: request/response types and helpers shared inside api/. */
#ifndef JD_API_API_INT_H
#define JD_API_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "core/core.h"
#include "jd_limits.h"
#include "shape/shape.h"
#include "util/buf.h"

enum api_method { API_GET = 0, API_PUT, API_POST, API_PATCH, API_DELETE, API_HEAD, API_OTHER };

struct api_route;
struct api_tls;
struct auth_header;

/*
 * The threads that run write requests (http.c): a listener's epoll pool
 * serves reads itself and hands every other request here, suspended, so a
 * write waiting on the store (a lock, a group commit) never holds the
 * connections its pool thread serves.
 */
struct api_worker; /* workers.c */

struct api_workers {
	pthread_mutex_t mu;
	pthread_cond_t idle; /* outstanding dropped to 0 */
	struct api_req *head, *tail;
	struct api_worker *sleepers; /* idle workers, the last one to sleep first */
	int outstanding;             /* handed off and not yet completed */
	bool stopping;               /* shutting down: no new hand-offs (503) */
	bool quit;                   /* workers exit */
	int n;                       /* threads started */
	struct api_worker *wk;       /* owned: JD_HTTP_WORKERS of them */
};

struct api {
	struct api_config cfg;
	struct svc *svc;
	struct api_tls *tls; /* owned; NULL = plain HTTP */
	void *daemon[2];     /* struct MHD_Daemon *: control, data */
	int port[2];
	char listen_host[2][64];
	struct api_workers w;
	struct api_conns *conns; /* owned: connection deadlines (conns.c) */
	/* set by api_destroy: the accept policy refuses every new connection
	 * (instead of MHD_quiesce_daemon, whose epoll removal races the
	 * listener threads' own in libmicrohttpd 0.9.75 and aborts the process) */
	_Atomic bool stopping;
};

struct api_qparam {
	char *k;
	char *v;
};

/* One HTTP request, alive from the first header callback to completion. */
struct api_req {
	struct api *api;
	int listener; /* 0 main, 1 data */
	enum api_method method;
	char *raw_uri;                   /* owned, as received */
	const char *raw_ptr;             /* borrowed: where libmicrohttpd holds the target */
	char *seg[JD_PATH_SEGMENTS_MAX]; /* owned, percent-decoded path segments */
	int nseg;
	struct api_qparam q[JD_QUERY_PARAMS_MAX];
	int nq;
	struct buf body;
	bool too_big;
	bool bad_uri;
	bool uri_too_long; /* over JD_URI_MAX (a 400 that says so) */
	bool close;        /* answer with Connection: close (RFC 9112 §6.1) */
	/* authenticate before buffering (http.c): the request was authenticated
	 * from its headers (declared body hash, certificate or no auth), or
	 * cleared to buffer a body beyond JD_AUTH_UNVERIFIED_BODY on a budget */
	bool early; /* URI and authentication done at the headers */
	bool authed;
	bool prechecked;
	size_t budget_taken;  /* bytes reserved from the unverified budget */
	char body_sha256[65]; /* declared x-amz-content-sha256 verified early, or "" */
	struct api_conn *cn;  /* borrowed: the connection's record, or NULL */
	enum jd_plane plane;
	char region[32];
	/* device mutual TLS: the thing named by the verified client
	 * certificate ("" = none); data-plane routes must name this thing */
	char cert_thing[JD_THING_NAME_MAX + 1];
	json_t *json;                  /* parsed body (object) or NULL */
	const struct api_route *route; /* the operation routed to, or NULL */
	const char *label[4];          /* borrowed: captured path labels */
	/* operators (issue 14): the x-amzn-RequestId, when the request began
	 * (metrics), the verified access key (access log; "" = none) */
	char rid[37];
	uint64_t t0_us;
	char access_key[129]; /* JD_AUTH_KEY_ID_MAX + 1 (http.c checks) */
	/* response */
	int status;
	struct buf out;
	bool empty; /* 200 with empty body */
	struct jd_error err;
	bool failed;
	/* hand-off to a worker (http.c) */
	void *conn;           /* struct MHD_Connection *, while handed off */
	struct api_req *next; /* worker queue */
	bool handed;          /* counted in api_workers.outstanding */
	bool served;          /* the worker has run it */
};

typedef void (*api_handler)(struct api_req *r);

struct api_route {
	enum api_method method;
	int plane;        /* JD_PLANE_* or -1 for both */
	const char *path; /* "things/{thingName}/jobs/{jobId}" */
	api_handler fn;
	const char *name; /* operation name */
	bool has_body;    /* parse a JSON object body */
	bool rig;         /* test-rig only */
};

extern const struct api_route api_routes[];
extern const int api_nroutes;

/* ---- the request path without sockets (http.c) ------------------------ */

/* What api_serve_raw() answered. */
struct api_raw_response {
	int status;             /* HTTP status */
	const char *error_type; /* x-amzn-ErrorType (static); NULL on success */
	enum jd_plane plane;    /* the plane the request was served on */
	const char *operation;  /* the route's operation name (static) or NULL */
	char *body;             /* owned, NUL-terminated; "" for an empty body */
	size_t body_len;
};

/*
 * Serve one request as a listener does once the request line, the headers
 * and the whole body are in: the same request set-up, percent-decoding of
 * path segments and query, authentication (or, with auth off, the plane by
 * listener and credential scope), routing, JSON body decoding, handler and
 * response encoding, with neither libmicrohttpd nor a socket. Not done:
 * libmicrohttpd's framing checks (NUL bytes, Host, Content-Length, header
 * size), device mutual TLS (there is no TLS session: with a client CA the
 * data listener refuses every request) and the x-amzn-RequestId header.
 * For fuzzing and tests.
 *
 * a: from api_create(), or a zeroed struct api with cfg and svc set (no
 * listeners; then no TLS, so cfg.data_client_ca must be NULL).
 * listener: 0 main, 1 data. method and raw_uri as on the request line
 * (raw_uri not unescaped). headers[nheaders]: borrowed, names compare
 * case-insensitively. body: body_len bytes, NULL when 0. *out is filled;
 * release it with api_raw_response_free().
 */
void api_serve_raw(struct api *a, int listener, const char *method, const char *raw_uri,
    const struct auth_header *headers, size_t nheaders, const void *body, size_t body_len,
    struct api_raw_response *out);
/* Free what *resp owns; NULL-safe. */
void api_raw_response_free(struct api_raw_response *resp);

/* ---- TLS (tls.c, the only file that includes gnutls headers) ---------- */

/* Load the PEM certificate (chain) and key, and the client CA when not
 * NULL; errors name the file. *out owned by caller (api_tls_destroy). One
 * per process: the certificate callback is process-wide. */
int api_tls_create(const char *cert, const char *key, const char *client_ca, struct api_tls **out,
    struct jd_error *e);
/* Re-read the files; new handshakes get the new certificate. *changed is
 * false when the files are unchanged. On error the previous ones stay. */
int api_tls_reload(struct api_tls *t, bool *changed, struct jd_error *e);
/* For MHD_OPTION_HTTPS_CERT_CALLBACK (a gnutls_certificate_retrieve_function2). */
void *api_tls_cert_callback(void);
/* The client CA PEM as loaded at start (MHD_OPTION_HTTPS_MEM_TRUST: makes
 * GnuTLS ask for a client certificate); NULL without one. Borrowed. */
const char *api_tls_client_ca(const struct api_tls *t);
/* Verify the peer certificate of a gnutls session against the client CA
 * (TLS client purpose) and copy its subject CN, a valid thing name, into
 * thing[n]. JD_EFORBIDDEN with the reason otherwise. */
int api_tls_peer_thing(struct api_tls *t, void *session, char *thing, size_t n, struct jd_error *e);
/* NULL-safe. */
void api_tls_destroy(struct api_tls *t);

/* ---- input helpers (input.c); each returns 0 or fails r (JD_EINVAL) ---- */

int api_fail(struct api_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fail with an error already set in r->err by a callee. */
int api_fail_err(struct api_req *r, int rc);
const char *api_query(struct api_req *r, const char *k);
int api_query_bool(struct api_req *r, const char *k, bool *out); /* absent: unchanged */
int api_query_long(struct api_req *r, const char *k, int64_t min, int64_t max, int64_t *out,
    bool *present);
int api_query_enum(struct api_req *r, const char *k, int (*parse)(const char *, int *), int *out);
int api_page(struct api_req *r, int *limit); /* maxResults (D9) */
/* Body members. Absent -> *out unchanged, returns 0; wrong type -> 400. */
int api_body_str(struct api_req *r, json_t *obj, const char *k, const char *path, const char **out);
int api_body_long(struct api_req *r, json_t *obj, const char *k, const char *path, int64_t min,
    int64_t max, int64_t *out, bool *present);
int api_body_bool(struct api_req *r, json_t *obj, const char *k, const char *path, bool *out);
/* statusDetails / DetailsMap (D12): validated flat string map -> compact JSON (owned) or NULL. */
int api_body_details(struct api_req *r, json_t *obj, const char *k, char **out);
/* attributePayload.attributes -> compact JSON (owned); merge flag. */
int api_body_attributes(struct api_req *r, json_t *obj, const char *path, char **out, bool *merge);
/* The `tags` member of obj (TagList): validated (h_tags.c) into *out, an
 * owned array of *n tags whose strings are borrowed from obj. Absent: 0
 * with *n = 0, unless required. */
int api_body_tags(struct api_req *r, json_t *obj, bool required, struct jd_tag **out, int *n);

/* h_jobs.c's checks, shared with h_templates.c. api_vfail answers 400 with
 * AWS's "1 validation error detected" at path. api_job_config validates the
 * configuration members of the body for CreateJob, UpdateJob or
 * CreateJobTemplate and collects them into *config (compact JSON, owned). */
enum api_cfg_mode { API_CFG_CREATE_JOB, API_CFG_UPDATE_JOB, API_CFG_TEMPLATE };
int api_vfail(struct api_req *r, const char *path, const char *what);
int api_check_description(const char *member, const char *s, struct jd_error *e);
int api_job_config(struct api_req *r, enum api_cfg_mode mode, char **config, int64_t *timeout_min,
    int64_t *start_ms);
/* CreateJob's `targets` member (h_jobs.c): *out an owned array of *n ARNs
 * borrowed from r->json, each checked (also for r->region). */
int api_job_targets(struct api_req *r, const char ***out, int *n);
/* Check a name member with a core validator; returns 0 or fails r. */
int api_check(struct api_req *r, int (*check)(const char *, const char *, struct jd_error *),
    const char *member, const char *value);

/* ---- page tokens (token.c) --------------------------------------------- */

/*
 * The list a page cursor walks. The value is the byte that opens a token's
 * payload: tokens already handed out must keep parsing, so these never change.
 */
enum api_cursor_kind {
	API_CURSOR_THINGS = 't',      /* ListThings: key thing name */
	API_CURSOR_GROUPS = 'g',      /* ListThingGroups: key group name */
	API_CURSOR_MEMBERS = 'm',     /* ListThingsInThingGroup: key thing name */
	API_CURSOR_JOBS = 'j',        /* ListJobs: num job seq */
	API_CURSOR_JOB_EXECS = 'e',   /* ListJobExecutionsForJob: key thing, num execution number */
	API_CURSOR_THING_EXECS = 'x', /* ListJobExecutionsForThing: num execution seq */
	API_CURSOR_TEMPLATES = 'p',   /* ListJobTemplates: key template id */
	API_CURSOR_MANAGED = 'M',     /* ListManagedJobTemplates: num table index */
	API_CURSOR_THING_TYPES = 'y', /* ListThingTypes: key type name */
	API_CURSOR_TAGS = 'k',        /* ListTagsForResource: num tags sent before */
	API_CURSOR_THING_GROUPS = 'G', /* ListThingGroupsForThing: key group name */
	API_CURSOR_SEARCH = 'S',       /* SearchIndex: key thing name */
};

/* A page cursor: where the last page ended in a list of `kind`. */
struct api_cursor {
	enum api_cursor_kind kind;
	char key[JD_THING_NAME_MAX + JD_JOB_ID_MAX + 2];
	int64_t num;
};

/* Enough for any token with its NUL (the longest is 455 bytes). */
#define API_TOKEN_SIZE 512

/* Encode c as an opaque token authenticated with s->token_key into
 * out[outsz], NUL-terminated; "" when outsz is too small (never cut). */
void api_token_make(const struct svc *s, const struct api_cursor *c, char *out, size_t outsz);
/* Decode token into *c. JD_EINVAL ("The specified nextToken is invalid or
 * expired.") when it is malformed, forged, or of another kind; e may be NULL. */
int api_token_parse(const struct svc *s, enum api_cursor_kind kind, const char *token,
    struct api_cursor *c, struct jd_error *e);

/* ---- encoding helpers (encode.c; the job and execution shapes are shape/) -- */

/* The control plane's shape options for r: fractional seconds, ARNs in r's
 * region and the configured account (both borrowed from r). */
static inline struct shape_opts
api_shape(const struct api_req *r)
{
	return (struct shape_opts){.ts_float = true,
	    .region = r->region,
	    .account = r->api->cfg.account};
}

void api_arn(struct buf *b, const struct api_req *r, const char *kind, const char *name);
/* Write "KEY":"arn:..." */
void api_karn(struct jw *w, const struct api_req *r, const char *key, const char *kind,
    const char *name);
/* Thing (full: DescribeThing's, with defaultClientId and thingId) or
 * ThingAttribute (ListThings). */
void api_encode_thing(struct jw *w, const struct api_req *r, const struct jd_thing *thing,
    bool full);
/* Start / finish a JSON response body in r->out. */
void api_json_begin(struct api_req *r, struct jw *w);
void api_next_token(struct jw *w, struct api_req *r, const struct api_cursor *c);
/* A list response: read the nextToken of `kind` into *cur (zeroed when
 * absent; 400 when forged or of another list), then open {"member":[.
 * Returns 0, or fails r. */
int api_list_begin(struct api_req *r, enum api_cursor_kind kind, struct api_cursor *cur,
    struct jw *w, const char *member);
/* Close the list; when more rows exist, add nextToken for the cursor
 * (kind, key, num) of the last row sent. */
void api_list_end(struct api_req *r, struct jw *w, bool more, enum api_cursor_kind kind,
    const char *key, int64_t num);

/* Handlers live in routes_*.c */
void api_h_create_thing(struct api_req *r);
void api_h_describe_thing(struct api_req *r);
void api_h_list_things(struct api_req *r);
void api_h_update_thing(struct api_req *r);
void api_h_delete_thing(struct api_req *r);
void api_h_create_group(struct api_req *r);
void api_h_describe_group(struct api_req *r);
void api_h_list_groups(struct api_req *r);
void api_h_delete_group(struct api_req *r);
void api_h_add_member(struct api_req *r);
void api_h_remove_member(struct api_req *r);
void api_h_list_members(struct api_req *r);
/* h_groups.c: group management, dynamic groups, the fleet index (issue 12) */
void api_h_update_group(struct api_req *r);
void api_h_list_groups_for_thing(struct api_req *r);
void api_h_update_groups_for_thing(struct api_req *r);
void api_h_create_dyn_group(struct api_req *r);
void api_h_update_dyn_group(struct api_req *r);
void api_h_delete_dyn_group(struct api_req *r);
void api_h_search_index(struct api_req *r);
void api_h_get_indexing(struct api_req *r);
void api_h_update_indexing(struct api_req *r);
void api_h_create_job(struct api_req *r);
void api_h_describe_job(struct api_req *r);
void api_h_list_jobs(struct api_req *r);
void api_h_update_job(struct api_req *r);
void api_h_cancel_job(struct api_req *r);
void api_h_delete_job(struct api_req *r);
void api_h_job_document(struct api_req *r);
void api_h_associate(struct api_req *r);
void api_h_create_template(struct api_req *r);
void api_h_describe_template(struct api_req *r);
void api_h_list_templates(struct api_req *r);
void api_h_delete_template(struct api_req *r);
void api_h_describe_exec(struct api_req *r);
void api_h_list_exec_job(struct api_req *r);
void api_h_list_exec_thing(struct api_req *r);
void api_h_cancel_exec(struct api_req *r);
void api_h_delete_exec(struct api_req *r);
void api_h_dev_pending(struct api_req *r);
void api_h_dev_start_next(struct api_req *r);
void api_h_dev_describe(struct api_req *r);
void api_h_dev_update(struct api_req *r);
void api_h_update_events(struct api_req *r);
void api_h_describe_events(struct api_req *r);
void api_h_list_managed(struct api_req *r);
void api_h_describe_managed(struct api_req *r);
void api_h_create_thing_type(struct api_req *r);
void api_h_describe_thing_type(struct api_req *r);
void api_h_list_thing_types(struct api_req *r);
void api_h_deprecate_thing_type(struct api_req *r);
void api_h_delete_thing_type(struct api_req *r);
void api_h_tag_resource(struct api_req *r);
void api_h_untag_resource(struct api_req *r);
void api_h_list_tags(struct api_req *r);
void api_h_describe_endpoint(struct api_req *r);
void api_h_rig_reset(struct api_req *r);
void api_h_rig_clock_get(struct api_req *r);
void api_h_rig_clock_post(struct api_req *r);
void api_h_rig_status(struct api_req *r);

/* ---- the request path (http.c, uri.c, workers.c) ------------------------ */

struct MHD_Connection;

/* A new request id (36 characters and a NUL). */
void api__request_id(char out[37]);
/* Split r->raw_uri into decoded path segments and query pieces. */
void api__parse_uri(struct api_req *r);
/* Blank the '&'s of libmicrohttpd's in-place copy of a query of more pieces
 * than jobsd accepts (it would store one record per piece in its pool). */
void api__defuse_query(const char *uri);
/* The framing checks of a request whose headers are in (version: as on the
 * request line, or NULL): 0, or r failed (400/431). Sets r->close for a
 * request with both Content-Length and Transfer-Encoding. */
int api__check_framing(struct api_req *r, struct MHD_Connection *c, const char *version);
/* Route r, decode its body and run its handler; the answer is left in r. */
void api__dispatch(struct api_req *r);

/* Operators (access.c, issue 14): the debug line of a routed request (with
 * its request id; a presigned URL's query is never logged); and, once r's
 * answer is known, its metrics (by route and status class, latency from
 * r->t0_us), its access-log line when the access log is on, and a warning
 * for a 5xx (at most JD_LOG_5XX_PER_S lines a second). c may be NULL. */
void api__log_request(const struct api_req *r, const char *op);
void api__account(struct api_req *r, struct MHD_Connection *c, const char *version, int status,
    size_t bytes);

/* Write workers: start them; queue r (0, its connection suspended) or -1
 * when stopping; release a finished hand-off; drain and stop. */
int api__workers_start(struct api_workers *w, struct jd_error *e);
int api__workers_hand_off(struct api_workers *w, struct api_req *r, struct MHD_Connection *c);
void api__workers_release(struct api_workers *w);
void api__workers_drain(struct api_workers *w);
void api__workers_stop(struct api_workers *w);

/* ---- connection fairness (conns.c) ----------------------------------------- */

struct api_conns;

/* One open connection: its deadline and the request in progress. */
struct api_conn {
	struct api_conns *cs;
	struct api_conn *prev, *next; /* the registry, under its lock */
	struct api_req *pending;      /* URI seen, not completed (http.c) */
	int listener;
	int fd;
	bool reaped;                 /* shut down past its deadline */
	int64_t start_ms;            /* accept, or the previous answer */
	_Atomic int64_t deadline_ms; /* coarse monotonic; 0 = none */
};

/* The registry and its reaper thread (deadlines from cfg, 0 = default). */
int api__conns_create(const struct api_config *cfg, struct api_conns **out, struct jd_error *e);
/* Stop the reaper and free; every connection must be closed. NULL-safe. */
void api__conns_destroy(struct api_conns *cs);
/* Whether listener may take one more connection (the accept policy). */
bool api__conns_admit(struct api_conns *cs, int listener);
/* A connection accepted on listener with socket fd; owned by the registry
 * until api__conn_close(). Its headers deadline starts now. */
struct api_conn *api__conn_open(struct api_conns *cs, int listener, int fd);
void api__conn_close(struct api_conn *c); /* NULL-safe */
/* The request's headers are in / its whole body is in / its answer was sent.
 * Each NULL-safe; one relaxed store each. */
void api__conn_headers_in(struct api_conn *c);
void api__conn_request_in(struct api_conn *c);
void api__conn_answered(struct api_conn *c);
/* Reserve / return n bytes of body buffered before its signature could be
 * checked (JD_AUTH_UNVERIFIED_BUDGET in all). take: false when it would not fit. */
bool api__budget_take(struct api_conns *cs, size_t n);
void api__budget_put(struct api_conns *cs, size_t n);
/* log_warn("http: LINE"), at most once per JD_HTTP_LOG_WINDOW_S per key, with
 * the number of lines of that key left out since. */
void api__log_limited(const void *key, const char *line);

#endif
