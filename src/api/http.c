/*
 * http.c: libmicrohttpd glue. Each listener is a daemon with an internal
 * epoll thread pool (dependencies.md: never the single-thread epoll mode)
 * that serves reads (GET, HEAD) itself. Every other request is suspended
 * once its body is in and handed to a shared set of JD_HTTP_WORKERS
 * threads, then resumed to send its answer: a write that waits on the
 * store (its lock, a group commit, D21) holds only its own connection,
 * while many concurrent writes fill one group commit.
 * The raw URI is captured before libmicrohttpd unescapes it, so paths are
 * split on '/' first and each segment percent-decoded after (spec §2.1:
 * `$next` and `%24next` are the same, `a%3Ab` is one segment). Bodies are
 * collected up to JD_BODY_MAX and refused beyond it without being buffered.
 * The response is queued only after the whole body has been read, which keeps
 * keep-alive working. With auth on, the SigV4 signature is verified at that
 * point, over the whole body, before any routing (D18); the operation's
 * token bucket is taken once the route is known (D19). A body that may exceed
 * JD_AUTH_UNVERIFIED_BODY is authenticated from the headers first
 * (authenticate_early; docs/operations.md#hardening), and a refusal is answered
 * before it is read. Connection limits and deadlines: conns.c. With TLS, both
 * daemons speak HTTPS (certificate from tls.c's callback, so it reloads);
 * with a client CA the data listener authenticates devices by certificate.
 */
#include "api/api_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "auth/auth.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/sys.h"

_Static_assert(sizeof(((struct api_req *)0)->access_key) == JD_AUTH_KEY_ID_MAX + 1,
    "api_req.access_key holds any access key id");

struct listener {
	struct api *api;
	int index;
};

static struct listener listeners[2];

static void
req_free(struct api_req *r)
{
	if (r == NULL)
		return;
	if (r->handed)
		api__workers_release(&r->api->w);
	if (r->budget_taken > 0)
		api__budget_put(r->api->conns, r->budget_taken);
	free(r->raw_uri);
	for (int i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	for (int i = 0; i < r->nq; i++) {
		free(r->q[i].k);
		free(r->q[i].v);
	}
	buf_free(&r->body);
	buf_free(&r->out);
	json_decref(r->json);
	jd_error_clear(&r->err);
	free(r);
}

static enum api_method
method_of(const char *m)
{
	static const char *const names[] = {"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"};

	for (int i = 0; i < 6; i++)
		if (strcmp(m, names[i]) == 0)
			return (enum api_method)i;
	return API_OTHER;
}

/* ---- plane selection (D6) ------------------------------------------------ */

/* From "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iot/aws4_request, ..." */
static int
scope_of(const char *auth, char *region, size_t rsz, char *service, size_t ssz)
{
	const char *c = strstr(auth, "Credential=");
	const char *f[5];
	int n = 0;

	if (c == NULL)
		return -1;
	c += strlen("Credential=");
	f[n++] = c;
	for (const char *p = c; *p && *p != ',' && *p != ' ' && n < 5; p++)
		if (*p == '/')
			f[n++] = p + 1;
	if (n < 5)
		return -1;
	size_t rl = (size_t)(f[3] - f[2] - 1), sl = (size_t)(f[4] - f[3] - 1);
	if (rl == 0 || rl >= rsz || sl == 0 || sl >= ssz)
		return -1;
	memcpy(region, f[2], rl);
	region[rl] = '\0';
	memcpy(service, f[3], sl);
	service[sl] = '\0';
	return 0;
}

static int
choose_plane(struct api_req *r, const char *auth)
{
	char service[32];

	jd_strlcpy(r->region, "us-east-1", sizeof(r->region));
	r->plane = r->listener == 1 ? JD_PLANE_DATA : JD_PLANE_CONTROL;
	if (auth == NULL)
		return 0;
	if (scope_of(auth, r->region, sizeof(r->region), service, sizeof(service)) != 0) {
		/* Even with auth off, a header that is there must be readable: its
		 * scope chooses the plane (hostile-input finding). */
		jd_strlcpy(r->region, "us-east-1", sizeof(r->region));
		return api_fail(r, JD_EINCOMPLETE,
		    "Authorization header requires 'Credential' "
		    "parameter with a well-formed credential scope");
	}
	for (char *p = r->region; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return api_fail(r, JD_EFORBIDDEN, "Credential scope region is invalid");
	if (strcmp(service, "iot") == 0)
		r->plane = JD_PLANE_CONTROL;
	else if (strcmp(service, "iot-jobs-data") == 0)
		r->plane = JD_PLANE_DATA;
	else
		return api_fail(r, JD_EBADSIG,
		    "Credential should be scoped to correct service: 'iot'");
	return 0;
}

/* ---- request headers ------------------------------------------------------- */

/*
 * Where the headers (and the TLS session) of a request come from: the
 * libmicrohttpd connection, or, for api_serve_raw(), a list with no
 * connection behind it.
 */
struct hsrc {
	struct MHD_Connection *c; /* NULL: the list below */
	const struct auth_header *v;
	size_t n;
};

/* The first header called name (case-insensitive), or NULL. */
static const char *
hsrc_get(const struct hsrc *h, const char *name)
{
	if (h->c != NULL)
		return MHD_lookup_connection_value(h->c, MHD_HEADER_KIND, name);
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

/* ---- authentication (D18) -------------------------------------------------- */

/*
 * Every request header, for the verifier: however many there are (the header
 * section is bounded by JD_HEADERS_MAX and the connection's pool), so that an
 * Authorization header after many others is seen (issue 13: a valid signature
 * after 64 other headers was MissingAuthenticationToken). Up to
 * HEADERS_ON_STACK live on the stack, more on the heap.
 */
#define HEADERS_ON_STACK 64

struct header_list {
	struct auth_header stack[HEADERS_ON_STACK];
	struct auth_header *v; /* stack, or heap (owned) */
	size_t n, cap;
};

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *h = cls;

	(void)kind;
	if (h->n >= h->cap)
		return MHD_NO;
	h->v[h->n].name = key;
	h->v[h->n].value = value ? value : "";
	h->n++;
	return MHD_YES;
}

static void
headers_collect(struct header_list *h, const struct hsrc *src)
{
	size_t want = src->n;

	if (src->c != NULL) {
		int k = MHD_get_connection_values(src->c, MHD_HEADER_KIND, NULL, NULL);
		want = k > 0 ? (size_t)k : 0;
	}
	h->n = 0;
	h->v = h->stack;
	h->cap = HEADERS_ON_STACK;
	if (want > HEADERS_ON_STACK) {
		h->v = jd_calloc(want, sizeof(*h->v));
		h->cap = want;
	}
	if (src->c != NULL) {
		MHD_get_connection_values(src->c, MHD_HEADER_KIND, collect_header, h);
	} else {
		for (size_t i = 0; i < src->n; i++)
			collect_header(h, MHD_HEADER_KIND, src->v[i].name, src->v[i].value);
	}
}

static void
headers_free(struct header_list *h)
{
	if (h->v != h->stack)
		free(h->v);
}

static bool match(const struct api_route *rt, struct api_req *r);

/* Whether r asks for a test-rig route that its listener serves: with
 * --test-rig, on the control listener only; on the data listener the rig
 * paths are unknown paths (D26). */
static bool
rig_path(struct api_req *r)
{
	if (!r->api->cfg.test_rig || r->listener != 0)
		return false;
	for (int k = 0; k < api_nroutes; k++)
		if (api_routes[k].rig && match(&api_routes[k], r))
			return true;
	return false;
}

/*
 * Device mutual TLS: every request on the data listener must come over a
 * connection whose client certificate chains to the client CA; its subject
 * CN names the one thing the request may act on (checked in dispatch).
 * Refused: 403 AccessDeniedException.
 */
static bool
client_cert(struct api_req *r, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    c != NULL ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION) : NULL;
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	rc = api_tls_peer_thing(r->api->tls, ci != NULL ? ci->tls_session : NULL, r->cert_thing,
	    sizeof(r->cert_thing), &e);
	if (rc != 0) {
		log_debug("mtls: %s refused: %s", r->raw_uri, e.msg);
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		r->plane = JD_PLANE_DATA;
		api_fail(r, rc, "%s", e.msg);
	}
	jd_error_clear(&e);
	return rc == 0;
}

/*
 * With auth on, verify the SigV4 signature over the whole request (the body
 * has been read) and route by the verified scope (D6). Test-rig endpoints
 * need a signature by a key the credentials file marks admin (D26). With
 * auth off, route by the unverified scope or the listener.
 * early: the body has not been read yet (authenticate before buffering): the
 * signature is checked over the declared x-amz-content-sha256 when there is
 * one (r->body_sha256 keeps it for the body), else everything but the
 * signature is (r->prechecked: verify again once the body is in).
 */
static void
authenticate(struct api_req *r, const struct hsrc *src, const char *method, bool early)
{
	struct header_list h;
	struct auth_request rq;
	struct auth_result res;
	struct jd_error e;
	int rc;

	if (r->listener == 1 && r->api->cfg.data_client_ca != NULL) {
		if (!client_cert(r, src->c))
			return;
		/* the certificate authenticates an unsigned request, which the
		 * data listener routes to the data plane (D6), as on AWS's 8443 */
		if (hsrc_get(src, "Authorization") == NULL) {
			jd_strlcpy(r->region, "us-east-1", sizeof(r->region));
			r->plane = JD_PLANE_DATA;
			return;
		}
	}
	if (r->api->cfg.auth == NULL) {
		choose_plane(r, hsrc_get(src, "Authorization"));
		/* with auth off an Authorization header is unverified: on the
		 * mutual-TLS device listener it must not lift a device out of
		 * the data plane, where its certificate confines it (with auth
		 * on, a verified control-plane signature is a key holder's) */
		if (r->listener == 1 && r->api->cfg.data_client_ca != NULL &&
		    r->plane == JD_PLANE_CONTROL)
			api_fail(r, JD_EFORBIDDEN,
			    "The device listener serves only the "
			    "iot-jobs-data operations of the thing named by the client certificate");
		return;
	}
	jd_strlcpy(r->region, "us-east-1", sizeof(r->region));
	r->plane = r->listener == 1 ? JD_PLANE_DATA : JD_PLANE_CONTROL;
	headers_collect(&h, src);
	rq = (struct auth_request){.method = method,
	    .raw_uri = r->raw_uri,
	    .headers = h.v,
	    .nheaders = h.n,
	    .body = r->body.p,
	    .body_len = r->body.len,
	    .now_s = clock_real_ms() / 1000,
	    .headers_only = early};
	jd_error_init(&e);
	rc = auth_verify(r->api->cfg.auth, &rq, &res, &e);
	if (rc == 0 && early) {
		const char *declared = hsrc_get(src, "x-amz-content-sha256");
		if (!res.verified)
			r->prechecked = true;
		else if (declared != NULL)
			jd_strlcpy(r->body_sha256, declared, sizeof(r->body_sha256));
	}
	headers_free(&h);
	if (rc != 0) {
		log_kv(JD_LOG_DEBUG, "auth: refused", "method", method, "path",
		    r->nseg > 0 ? r->seg[0] : "/", "error", jd_errno_type(rc, r->plane),
		    "request_id", r->rid, NULL);
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		api_fail(r, rc, "%s", e.msg);
		jd_error_clear(&e);
		return;
	}
	jd_error_clear(&e);
	jd_strlcpy(r->region, res.region, sizeof(r->region));
	jd_strlcpy(r->access_key, res.access_key, sizeof(r->access_key));
	r->plane = strcmp(res.service, "iot-jobs-data") == 0 ? JD_PLANE_DATA : JD_PLANE_CONTROL;
	if (rig_path(r) && !auth_key_admin(r->api->cfg.auth, res.access_key)) {
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		api_fail(r, JD_EFORBIDDEN,
		    "The access key %s is not authorized to call the test-rig endpoints: the "
		    "credentials file does not mark it admin",
		    res.access_key);
	}
}

/* ---- routing ------------------------------------------------------------- */

static bool
match(const struct api_route *rt, struct api_req *r)
{
	const char *p = rt->path;
	int i = 0, nl = 0;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (i >= r->nseg)
			return false;
		if (p[0] == '{') {
			if (r->seg[i][0] == '\0')
				return false;
			if (nl < 4)
				r->label[nl++] = r->seg[i];
		} else if (strlen(r->seg[i]) != n || strncmp(p, r->seg[i], n) != 0) {
			return false;
		}
		i++;
		p += n;
		if (*p == '/')
			p++;
	}
	return i == r->nseg;
}

void
api__dispatch(struct api_req *r)
{
	const struct api_route *found = NULL;
	bool path_ok = false;

	for (int k = 0; k < api_nroutes; k++) {
		const struct api_route *rt = &api_routes[k];
		if (rt->rig && (!r->api->cfg.test_rig || r->listener != 0))
			continue;
		if (rt->plane >= 0 && rt->plane != (int)r->plane)
			continue;
		if (!match(rt, r))
			continue;
		path_ok = true;
		if (rt->method == r->method) {
			found = rt;
			break;
		}
	}
	if (found == NULL) {
		if (path_ok)
			api_fail(r, JD_ENOMETHOD, "Method not allowed for this resource");
		else
			api_fail(r, JD_ENOROUTE, "No operation matches %s on the %s plane",
			    r->nseg > 0 ? "this path" : "/",
			    r->plane == JD_PLANE_DATA ? "data" : "control");
		return;
	}
	/* re-match to capture the labels of the chosen route */
	r->route = found;
	memset(r->label, 0, sizeof(r->label));
	match(found, r);
	/* a device certificate confines data-plane requests to its thing
	 * (every data route's first label is thingName) */
	if (r->cert_thing[0] != '\0' && found->plane == JD_PLANE_DATA &&
	    (r->label[0] == NULL || strcmp(r->label[0], r->cert_thing) != 0)) {
		api_fail(r, JD_EFORBIDDEN,
		    "The client certificate of thing %s does not allow %s on "
		    "another thing",
		    r->cert_thing, found->name);
		return;
	}
	if (!found->rig && auth_throttle_take(r->api->cfg.throttle, r->plane, found->name) != 0) {
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_THROTTLED]);
		api_fail(r, JD_ETHROTTLED, "Rate exceeded");
		return;
	}
	if (found->has_body) {
		json_error_t je;
		if (r->body.len == 0) {
			r->json = json_object();
		} else {
			r->json = json_loadb(r->body.p, r->body.len, JSON_REJECT_DUPLICATES, &je);
			if (r->json == NULL) {
				api_fail(r, JD_EINVAL,
				    "Could not parse request body into json: %s (line %d, column %d)",
				    je.text, je.line, je.column);
				return;
			}
			if (!json_is_object(r->json)) {
				api_fail(r, JD_EINVAL, "The request body must be a JSON object");
				return;
			}
		}
	}
	if (log_get_level() >= JD_LOG_DEBUG)
		api__log_request(r, found->name);
	found->fn(r);
}

/* ---- serving: shared by the callbacks and api_serve_raw ------------------ */

/* A request as its URI arrives (uri_cb) or is handed over (api_serve_raw). */
static struct api_req *
req_new(struct api *a, int listener, const char *uri)
{
	struct api_req *r = jd_calloc(1, sizeof(*r));

	r->api = a;
	r->listener = listener;
	r->raw_uri = jd_strndup(uri, strnlen(uri, JD_URI_MAX + 1));
	if (strlen(r->raw_uri) > JD_URI_MAX)
		r->uri_too_long = true;
	r->status = -1;
	r->t0_us = metrics_now_us();
	api__request_id(r->rid);
	return r;
}

/* Append a piece of the body; past JD_BODY_MAX (or, before authentication,
 * past what was allowed for it) drop it all and remember. */
static void
body_add(struct api_req *r, const void *data, size_t n)
{
	if (r->too_big || n == 0)
		return;
	if (r->body.len + n > JD_BODY_MAX ||
	    (r->early && !r->authed && r->body.len + n > r->budget_taken)) {
		r->too_big = true;
		buf_free(&r->body);
	} else {
		buf_append(&r->body, data, n);
	}
}

/*
 * What needs the connection, once the whole body has been read: the URI,
 * authentication (or the plane by listener and scope). Then, unless r
 * failed, api__dispatch(r) does routing, body decoding and the handler without
 * it. The outcome is in r (failed/err, or status/out/empty).
 */
/* The URI step (once): its length, then its segments and query. */
static int
parse_uri(struct api_req *r)
{
	if (r->uri_too_long)
		return api_fail(r, JD_EINVAL, "The request URI is longer than %d bytes",
		    JD_URI_MAX);
	api__parse_uri(r);
	if (r->bad_uri)
		return api_fail(r, JD_EINVAL, "The request URI is malformed");
	return 0;
}

static void
prepare(struct api_req *r, const struct hsrc *src, const char *method)
{
	if (r->too_big && !r->failed)
		api_fail(r, JD_ETOOBIG, "The request body exceeds %d bytes", JD_BODY_MAX);
	if (!r->failed && !r->early)
		parse_uri(r);
	if (r->failed)
		return;
	if (!r->authed)
		authenticate(r, src, method, false);
	else if (r->body_sha256[0] != '\0' &&
	    !auth_body_matches(r->body_sha256, r->body.p, r->body.len))
		api_fail(r, JD_EBADSIG,
		    "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

/*
 * Authenticate before buffering (docs/operations.md#hardening). Called once the
 * headers are in, for a request whose body may exceed JD_AUTH_UNVERIFIED_BODY
 * (a larger Content-Length, or chunked): the URI step and authentication run
 * now, so that a refusal is answered (and the connection closed) before any
 * of the body is read. A request authenticated now (certificate, a signature
 * over the declared body hash, auth off) may send up to JD_BODY_MAX; one
 * whose signature needs the body (prechecked: a known key, a fresh date)
 * buffers it out of the shared JD_AUTH_UNVERIFIED_BUDGET, or is throttled.
 */
static void
authenticate_early(struct api_req *r, struct MHD_Connection *c, const char *method,
    int64_t content_length)
{
	size_t want = content_length >= 0 ? (size_t)content_length : JD_BODY_MAX;

	r->early = true;
	if (parse_uri(r) != 0)
		return;
	authenticate(r, &(struct hsrc){c, NULL, 0}, method, true);
	if (r->failed)
		return;
	if (!r->prechecked) {
		r->authed = true;
		return;
	}
	if (r->api->conns == NULL || !api__budget_take(r->api->conns, want)) {
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_BODY_BUDGET]);
		api_fail(r, JD_ETHROTTLED,
		    "Rate exceeded: too many request bodies awaiting their signature check "
		    "(sign x-amz-content-sha256 to avoid this)");
		return;
	}
	r->budget_taken = want;
}

static void
serve(struct api_req *r, const struct hsrc *src, const char *method)
{
	prepare(r, src, method);
	if (!r->failed)
		api__dispatch(r);
}

/*
 * The response of r: returns the HTTP status and leaves the body in r->out
 * (the AWS error shape when r failed, nothing for an empty output);
 * *error_type is the x-amzn-ErrorType (static) or NULL on success.
 */
static int
finish(struct api_req *r, const char **error_type)
{
	struct jw w;
	int code;

	*error_type = NULL;
	if (!r->failed) {
		if (r->empty)
			buf_reset(&r->out);
		return r->status > 0 ? r->status : 200;
	}
	code = r->err.code ? r->err.code : JD_EINTERNAL;
	buf_reset(&r->out);
	jw_init(&w, &r->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "message", r->err.msg);
	if (code == JD_EEXISTS && r->err.resource_id[0]) {
		jw_kstr(&w, "resourceId", r->err.resource_id);
		if (r->err.resource_arn[0])
			jw_kstr(&w, "resourceArn", r->err.resource_arn);
	}
	if (code == JD_ECONFLICT && r->err.resource_id[0])
		jw_kstr(&w, "resourceId", r->err.resource_id);
	if (r->plane == JD_PLANE_DATA && r->err.has_state) {
		jw_key(&w, "executionState");
		shape_exec_state(&w, r->err.state_status, r->err.state_details_json,
		    r->err.state_version);
	}
	jw_obj_end(&w);
	*error_type = jd_errno_type(code, r->plane);
	return jd_errno_status(code, r->plane);
}

/* ---- libmicrohttpd callbacks -------------------------------------------- */

/*
 * Per connection (struct api_conn, conns.c): its deadline, and the request
 * whose URI was seen but that has not completed. libmicrohttpd does not
 * report completion of a request it refused by itself (e.g. its memory pool
 * ran out while parsing), so the connection frees whatever is left when it
 * closes (hostile-input finding: a leak per such request).
 */
static void
conn_cb(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	struct api_conn *cn = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context =
		    api__conn_open(l->api->conns, l->index, ci != NULL ? (int)ci->connect_fd : -1);
		return;
	}
	if (cn != NULL) {
		req_free(cn->pending);
		api__conn_close(cn);
		*socket_context = NULL;
	}
}

/* The accept policy: refuse at once, before reading a byte, when full. */
static enum MHD_Result
accept_cb(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct listener *l = cls;

	(void)addr;
	(void)addrlen;
	if (atomic_load_explicit(&l->api->stopping, memory_order_relaxed))
		return MHD_NO;
	if (api__conns_admit(l->api->conns, l->index))
		return MHD_YES;
	metrics_inc(&jd_metrics.refused[METRICS_REFUSED_CONN_LIMIT]);
	api__log_limited(accept_cb, "listener full: connection refused at accept");
	return MHD_NO;
}

static struct api_conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct listener *l = cls;
	struct api_req *r = req_new(l->api, l->index, uri);
	struct api_conn *cn = conn_of(c);

	if (cn != NULL) {
		req_free(cn->pending); /* a request libmicrohttpd gave up on */
		cn->pending = r;
	}
	r->cn = cn;
	r->raw_ptr = uri;
	api__defuse_query(uri);
	return r;
}

static void
done_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct api_conn *cn = conn_of(c);

	(void)cls;
	(void)toe;
	if (cn != NULL && cn->pending == *con_cls)
		cn->pending = NULL;
	/* answered (or given up): the next header section has its deadline */
	api__conn_answered(cn);
	req_free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result
respond(struct MHD_Connection *c, struct api_req *r, const char *version)
{
	struct MHD_Response *resp;
	const char *type;
	enum MHD_Result ret;
	int status = finish(r, &type);

	api__account(r, c, version, status, r->out.len);
	if (r->out.len > 0) {
		/* libmicrohttpd takes the buffer and frees it: no copy */
		size_t len = r->out.len;
		char *body = buf_steal(&r->out);
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(body);
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "x-amzn-RequestId", r->rid);
	if (type != NULL)
		MHD_add_response_header(resp, "x-amzn-ErrorType", type);
	if (r->close) /* libmicrohttpd closes the connection after this answer */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct api_req *r = *con_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (r == NULL)
		return MHD_NO;
	if (r->status == -1) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		int64_t n = -1;
		r->status = 0;
		r->method = method_of(method);
		api__conn_headers_in(r->cn);
		if (api__check_framing(r, c, version) != 0)
			return respond(c, r, version);
		if (cl != NULL && (core_parse_u63(cl, &n) != 0 || n > JD_BODY_MAX)) {
			r->too_big = true;
			api_fail(r, JD_ETOOBIG, "The request body exceeds %d bytes", JD_BODY_MAX);
			return respond(c, r, version);
		}
		/* a body that may exceed what an unauthenticated client may make
		 * jobsd hold: authenticate before reading it */
		if (n > JD_AUTH_UNVERIFIED_BODY ||
		    (cl == NULL &&
		        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding") !=
		            NULL)) {
			authenticate_early(r, c, method, n);
			if (r->failed) {
				r->close = true;
				return respond(c, r, version);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		body_add(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->served) /* resumed: a worker has run it */
		return respond(c, r, version);
	api__conn_request_in(r->cn);
	prepare(r, &(struct hsrc){c, NULL, 0}, method);
	if (!r->failed) {
		if (r->method == API_GET || r->method == API_HEAD)
			api__dispatch(r);
		else if (api__workers_hand_off(&r->api->w, r, c) == 0)
			return MHD_YES;
		else
			api_fail(r, JD_EUNAVAIL, "The service is shutting down");
	}
	return respond(c, r, version);
}

/* ---- the request path without a connection ------------------------------- */

void
api_serve_raw(struct api *a, int listener, const char *method, const char *raw_uri,
    const struct auth_header *headers, size_t nheaders, const void *body, size_t body_len,
    struct api_raw_response *out)
{
	struct api_req *r = req_new(a, listener, raw_uri);
	const char *type;

	r->status = 0;
	r->method = method_of(method);
	body_add(r, body, body_len);
	serve(r, &(struct hsrc){NULL, headers, nheaders}, method);
	out->status = finish(r, &type);
	out->error_type = type;
	out->plane = r->plane;
	out->operation = r->route != NULL ? r->route->name : NULL;
	out->body_len = r->out.len;
	out->body = r->out.len > 0 ? buf_steal(&r->out) : jd_strdup("");
	req_free(r);
}

void
api_raw_response_free(struct api_raw_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
}

/* ---- lifecycle ----------------------------------------------------------- */

static int
parse_listen(const char *spec, struct sockaddr_in *sa, char *host, size_t hsz)
{
	const char *colon = strrchr(spec, ':');
	int64_t port;

	memset(sa, 0, sizeof(*sa));
	if (colon == NULL || (size_t)(colon - spec) >= hsz)
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (core_parse_u63(colon + 1, &port) != 0 || port > 65535)
		return -1;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (host[0] == '\0')
		jd_strlcpy(host, "0.0.0.0", hsz);
	if (strcmp(host, "localhost") == 0)
		jd_strlcpy(host, "127.0.0.1", hsz);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's warnings (a connection aborted, refused, timed out...),
 * which an attacker can make by the thousand: one line per kind (its format)
 * per JD_HTTP_LOG_WINDOW_S, with a count. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	api__log_limited(fmt, line);
}

static int
start_one(struct api *a, int idx, const char *spec, struct jd_error *e)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
	    {MHD_OPTION_END, 0, NULL}};
	/* An epoll pool serving reads; writes go to the workers, suspended,
	 * so a store call that waits (a lock, a group commit) holds only its
	 * own connection, never others its pool thread serves (D21;
	 * dependencies.md pitfalls). */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned int pool = a->cfg.io_threads > 0 ?
	    a->cfg.io_threads :
	    (unsigned int)sys_cpus(2, JD_HTTP_IO_THREADS_MAX);

	if (parse_listen(spec, &sa, a->listen_host[idx], sizeof(a->listen_host[idx])) != 0)
		return jd_error_set(e, JD_EINVAL, "invalid listen address '%s' (want ADDR:PORT)",
		    spec);
	listeners[idx].api = a;
	listeners[idx].index = idx;
	if (a->tls != NULL) {
		/* the certificate comes from a callback so that SIGHUP can replace
		 * it (tls.c); the client CA makes GnuTLS ask for a certificate */
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
		    api_tls_cert_callback()};
		if (idx == 1 && api_tls_client_ca(a->tls) != NULL)
			tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
			    (void *)(uintptr_t)api_tls_client_ca(a->tls)};
	}
	d = MHD_start_daemon(flags, 0, accept_cb, &listeners[idx], access_cb, &listeners[idx],
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_ARRAY, tls, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_THREAD_STACK_SIZE,
	    (size_t)JD_HTTP_STACK, MHD_OPTION_URI_LOG_CALLBACK, uri_cb, &listeners[idx],
	    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL, MHD_OPTION_NOTIFY_CONNECTION, conn_cb,
	    &listeners[idx],
	    /* room to parse a URI of JD_URI_MAX with its arguments, so that
	     * libmicrohttpd never runs out mid-request (it then hangs the client) */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)JD_HTTP_CONN_MEMORY,
	    /* refuse what RFC 9112 says a server must: conflicting
	     * Content-Length, whitespace before a colon, a missing Host */
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)JD_HTTP_TIMEOUT_S,
	    /* the accept policy refuses at JD_HTTP_CONN_MAX; libmicrohttpd's own
	     * limit (which stops accepting, leaving clients in the backlog) only
	     * backs it up: one in-flight accept per pool thread may overshoot */
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(JD_HTTP_CONN_MAX + JD_HTTP_IO_THREADS_MAX),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)(a->cfg.http_conn_per_ip ? a->cfg.http_conn_per_ip : JD_HTTP_CONN_PER_IP),
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_END);
	if (d == NULL)
		return jd_error_set(e, JD_EINTERNAL, "cannot listen on %s", spec);
	a->daemon[idx] = d;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	a->port[idx] = info ? info->port : 0;
	return 0;
}

int
api_create(const struct api_config *cfg, struct svc *svc, struct api **out, struct jd_error *e)
{
	struct api *a = jd_calloc(1, sizeof(*a));
	int rc;

	a->cfg = *cfg;
	a->svc = svc;
	if (cfg->data_client_ca != NULL &&
	    (cfg->tls_cert == NULL || cfg->data_listen == NULL || cfg->data_listen[0] == '\0')) {
		rc = jd_error_set(e, JD_EINVAL, "a data client CA needs TLS and a data listener");
		goto fail;
	}
	if (cfg->tls_cert != NULL &&
	    (rc = api_tls_create(cfg->tls_cert, cfg->tls_key, cfg->data_client_ca, &a->tls, e)) !=
	        0)
		goto fail;
	if ((rc = api__workers_start(&a->w, e)) != 0)
		goto fail;
	if ((rc = api__conns_create(cfg, &a->conns, e)) != 0)
		goto fail;
	if ((rc = start_one(a, 0, cfg->listen, e)) != 0)
		goto fail;
	if (cfg->data_listen != NULL && cfg->data_listen[0] != '\0' &&
	    (rc = start_one(a, 1, cfg->data_listen, e)) != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	api_destroy(a);
	return rc;
}

int
api_reload_tls(struct api *a, bool *changed, struct jd_error *e)
{
	*changed = false;
	if (a == NULL || a->tls == NULL)
		return 0;
	return api_tls_reload(a->tls, changed, e);
}

int
api_port(const struct api *a)
{
	return a->port[0];
}

int
api_data_port(const struct api *a)
{
	return a->port[1];
}

void
api_destroy(struct api *a)
{
	if (a == NULL)
		return;
	/* refuse new connections, let in-flight writes finish and be answered,
	 * then close every connection; the queue is empty when the workers go */
	atomic_store(&a->stopping, true);
	api__workers_drain(&a->w);
	for (int i = 0; i < 2; i++)
		if (a->daemon[i] != NULL)
			MHD_stop_daemon(a->daemon[i]);
	api__workers_stop(&a->w);
	api__conns_destroy(a->conns);
	api_tls_destroy(a->tls);
	free(a);
}
