/*
 * admin.c: the admin listener (issue 14, decision D28): a libmicrohttpd
 * daemon of its own, off by default, on its own address, so operators'
 * endpoints never share AWS's paths or listeners. A thread per connection
 * (at most ADMIN_CONN_MAX): admin requests are few, and a handler may wait
 * on the store or, later, hold a stream open without stalling the others.
 *
 * Each request: the raw URI is split into percent-decoded segments, the
 * body is collected up to ADMIN_BODY_MAX, then the route table
 * (admin_routes.c) is searched; a route that is not `open` needs, with auth
 * on, a SigV4 signature by an admin key (D26's flag in the credentials file)
 * or, whenever a token file is configured, `Authorization: Bearer TOKEN`.
 * Errors are {"message": ...} with 400, 401, 403, 404, 405, 413 or 503.
 */
#include "api/admin_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

int64_t
admin_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
admin_fail(struct admin_req *q, int status, const char *fmt, ...)
{
	char msg[512];
	struct jw w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->status = status;
	q->content_type = "application/json";
	buf_reset(&q->out);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "message", msg);
	jw_obj_end(&w);
}

void
admin_fail_err(struct admin_req *q, const struct jd_error *e)
{
	int code = e->code != 0 ? e->code : JD_EINTERNAL;
	int st = jd_errno_status(code, JD_PLANE_CONTROL);
	struct jw w;

	q->status = st > 0 ? st : 500;
	q->content_type = "application/json";
	q->error_type = jd_errno_type(code, JD_PLANE_CONTROL);
	buf_reset(&q->out);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "message", e->msg[0] != '\0' ? e->msg : jd_errno_name(code));
	jw_kstr(&w, "code", q->error_type);
	jw_obj_end(&w);
}

const char *
admin_header(struct admin_req *q, const char *name)
{
	return q->conn != NULL ? MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name) : NULL;
}

const char *
admin_query(struct admin_req *q, const char *name)
{
	return q->conn != NULL ? MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name) :
	                         NULL;
}

static void
req_free(struct admin_req *q)
{
	if (q == NULL)
		return;
	if (q->stream_free != NULL)
		q->stream_free(q->stream_arg);
	free(q->raw_uri);
	for (int i = 0; i < q->nseg; i++)
		free(q->seg[i]);
	buf_free(&q->body);
	buf_free(&q->out);
	free(q);
}

/* ---- the bearer token ------------------------------------------------------ */

/* Read the token: the file's first line, without surrounding whitespace. */
static int
token_read(const char *path, char **out, size_t *len, struct jd_error *e)
{
	char buf[ADMIN_TOKEN_MAX + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t s = 0, end;

	if (fd < 0)
		return jd_error_set(e, JD_EINVAL, "admin-token-file %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > ADMIN_TOKEN_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return jd_error_set(e, JD_EINVAL,
		    "admin-token-file %s: unreadable or over %d bytes", path, ADMIN_TOKEN_MAX);
	}
	end = (size_t)n;
	while (s < end && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\n' || buf[s] == '\r'))
		s++;
	for (size_t i = s; i < end; i++)
		if (buf[i] == '\n' || buf[i] == '\r') {
			end = i;
			break;
		}
	while (end > s && (buf[end - 1] == ' ' || buf[end - 1] == '\t'))
		end--;
	if (end - s < 16) {
		explicit_bzero(buf, sizeof(buf));
		return jd_error_set(e, JD_EINVAL,
		    "admin-token-file %s: the token must be at least 16 characters", path);
	}
	*out = jd_strndup(buf + s, end - s);
	*len = end - s;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
api_admin_reload(struct api_admin *a, struct jd_error *e)
{
	char *tok = NULL, *old;
	size_t len = 0, old_len;
	int rc;

	if (a == NULL || a->cfg.token_file == NULL)
		return 0;
	if ((rc = token_read(a->cfg.token_file, &tok, &len, e)) != 0)
		return rc;
	pthread_mutex_lock(&a->token_mu);
	old = a->token;
	old_len = a->token_len;
	a->token = tok;
	a->token_len = len;
	pthread_mutex_unlock(&a->token_mu);
	if (old != NULL) {
		explicit_bzero(old, old_len);
		free(old);
	}
	return 0;
}

static bool
token_ok(struct api_admin *a, const char *given)
{
	size_t n = strlen(given);
	bool ok;

	pthread_mutex_lock(&a->token_mu);
	ok = a->token != NULL && n == a->token_len && auth_equal(given, a->token, n);
	pthread_mutex_unlock(&a->token_mu);
	return ok;
}

/* ---- authentication ------------------------------------------------------- */

#define ADMIN_HEADERS_MAX 128

struct hlist {
	struct auth_header v[ADMIN_HEADERS_MAX];
	size_t n;
	bool over;
};

static enum MHD_Result
collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hlist *h = cls;

	(void)kind;
	if (h->n >= ADMIN_HEADERS_MAX) {
		h->over = true;
		return MHD_NO;
	}
	h->v[h->n].name = key;
	h->v[h->n].value = value != NULL ? value : "";
	h->n++;
	return MHD_YES;
}

/* Whether q may be served: 0, or q failed (401/403). */
static int
authenticate(struct admin_req *q, struct MHD_Connection *c, const char *method)
{
	struct api_admin *a = q->a;
	const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	struct hlist *h;
	struct auth_request rq;
	struct auth_result res;
	struct jd_error e;
	int rc;

	if (a->cfg.auth == NULL && a->cfg.token_file == NULL)
		return 0; /* auth off, no token: loopback only (config.c) */
	if (authz == NULL && (rc = admin_session_auth(q)) != 0)
		return rc > 0 ? 0 : -1; /* the dashboard's session cookie */
	if (authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0) {
		if (a->cfg.token_file != NULL && token_ok(a, authz + 7))
			return 0;
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		admin_fail(q, 401, "The bearer token is not valid for the admin listener");
		return -1;
	}
	if (authz == NULL || a->cfg.auth == NULL) {
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		admin_fail(q, 401, "The admin listener needs %s",
		    a->cfg.auth == NULL ?
		        "Authorization: Bearer TOKEN" :
		        a->cfg.token_file != NULL ?
		        "a SigV4 signature by an admin key, or Authorization: Bearer TOKEN" :
		        "a SigV4 signature by an admin key");
		return -1;
	}
	h = jd_calloc(1, sizeof(*h));
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect, h);
	rq = (struct auth_request){.method = method,
	    .raw_uri = q->raw_uri,
	    .headers = h->v,
	    .nheaders = h->n,
	    .body = q->body.p,
	    .body_len = q->body.len,
	    .now_s = clock_real_ms() / 1000};
	jd_error_init(&e);
	rc = h->over ? jd_error_set(&e, JD_EINVAL, "Too many request headers") :
	               auth_verify(a->cfg.auth, &rq, &res, &e);
	free(h);
	if (rc == 0 && !auth_key_admin(a->cfg.auth, res.access_key)) {
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		admin_fail(q, 403,
		    "The access key %s may not use the admin listener: the credentials file does "
		    "not mark it admin",
		    res.access_key);
		rc = -1;
	} else if (rc != 0) {
		metrics_inc(&jd_metrics.refused[METRICS_REFUSED_AUTH]);
		admin_fail(q, 403, "%s", e.msg);
		rc = -1;
	}
	jd_error_clear(&e);
	return rc;
}

/* ---- routing --------------------------------------------------------------- */

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Split the raw path into percent-decoded segments: 0, or -1 when malformed. */
static int
split(struct admin_req *q)
{
	const char *p = q->raw_uri, *end = p + strcspn(p, "?#");

	if (*p != '/')
		return -1;
	p++;
	while (p < end) {
		const char *s = p;
		size_t o = 0;
		char *seg;
		while (p < end && *p != '/')
			p++;
		if (q->nseg >= JD_PATH_SEGMENTS_MAX)
			return -1;
		seg = jd_malloc((size_t)(p - s) + 1);
		q->seg[q->nseg++] = seg;
		for (const char *x = s; x < p; x++) {
			if (*x == '%') {
				int hi = x + 2 < p ? hexv(x[1]) : -1,
				    lo = hi >= 0 ? hexv(x[2]) : -1;
				if (lo < 0 || (hi == 0 && lo == 0))
					return -1;
				seg[o++] = (char)(hi * 16 + lo);
				x += 2;
			} else {
				seg[o++] = *x;
			}
		}
		seg[o] = '\0';
		if (p < end)
			p++; /* the '/' */
	}
	/* "/metrics/" is "/metrics" */
	if (q->nseg > 0 && q->seg[q->nseg - 1][0] == '\0')
		free(q->seg[--q->nseg]);
	return 0;
}

static bool
match(const struct admin_route *rt, struct admin_req *q)
{
	const char *p = rt->path;
	int i = 0, nl = 0;

	while (*p) {
		size_t n = strcspn(p, "/");
		if (i >= q->nseg)
			return false;
		if (p[0] == '{') {
			if (q->seg[i][0] == '\0')
				return false;
			if (nl < 4)
				q->label[nl++] = q->seg[i];
		} else if (strlen(q->seg[i]) != n || strncmp(p, q->seg[i], n) != 0) {
			return false;
		}
		i++;
		p += n;
		if (*p == '/')
			p++;
	}
	return i == q->nseg;
}

static void
dispatch(struct admin_req *q, struct MHD_Connection *c, const char *method)
{
	const struct admin_route *found = NULL;
	bool path_ok = false;

	if (q->too_big) {
		admin_fail(q, 413, "The request body exceeds %d bytes", ADMIN_BODY_MAX);
		return;
	}
	if (split(q) != 0) {
		admin_fail(q, 400, "The request URI is malformed");
		return;
	}
	for (int k = 0; k < admin_nroutes; k++) {
		memset(q->label, 0, sizeof(q->label));
		if (!match(&admin_routes[k], q))
			continue;
		path_ok = true;
		if (admin_routes[k].method == q->method ||
		    (admin_routes[k].method == API_GET && q->method == API_HEAD)) {
			found = &admin_routes[k];
			break;
		}
	}
	if (found == NULL) {
		if (path_ok)
			admin_fail(q, 405, "Method not allowed for this resource");
		else
			admin_fail(q, 404, "No admin endpoint at this path");
		return;
	}
	if (admin_browser_guard(q) != 0)
		return;
	if (!found->open && authenticate(q, c, method) != 0)
		return;
	found->fn(q);
}

/* ---- libmicrohttpd callbacks -------------------------------------------- */

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct admin_req *q = jd_calloc(1, sizeof(*q));

	(void)c;
	q->a = cls;
	q->raw_uri = jd_strndup(uri, strnlen(uri, JD_URI_MAX));
	q->status = 200;
	q->content_type = "application/json";
	return q;
}

static void
done_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	req_free(*con_cls);
	*con_cls = NULL;
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

/* Headers of every admin response: caching, the dashboard's cookie and a
 * strict Content-Security-Policy (no inline script or style, nothing from
 * elsewhere, no framing). */
static void
add_common_headers(struct admin_req *q, struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Cache-Control",
	    q->cache_control != NULL ? q->cache_control : "no-store");
	if (q->etag[0] != '\0')
		MHD_add_response_header(resp, "ETag", q->etag);
	if (q->set_cookie[0] != '\0')
		MHD_add_response_header(resp, "Set-Cookie", q->set_cookie);
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct admin_req *q = cls;
	long n;

	(void)pos;
	n = q->stream(q->stream_arg, buf, max);
	return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

/* A streamed answer: q stays alive until done_cb, which frees the stream. */
static enum MHD_Result
queue_stream(struct admin_req *q, struct MHD_Connection *c)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, q, NULL);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", q->content_type);
	add_common_headers(q, resp);
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(c, (unsigned int)q->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct admin_req *q = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *body;

	(void)cls;
	(void)url;
	(void)version;
	if (q == NULL)
		return MHD_NO;
	if (!q->started) {
		q->started = true;
		q->conn = c;
		q->method = method_of(method);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (q->body.len + *upload_data_size > ADMIN_BODY_MAX) {
			q->too_big = true;
			buf_free(&q->body);
		} else if (!q->too_big) {
			buf_append(&q->body, upload_data, *upload_data_size);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	dispatch(q, c, method);
	if (q->stream != NULL && q->status == 200)
		return queue_stream(q, c);
	len = q->out.len;
	body = len > 0 ? buf_steal(&q->out) : NULL;
	resp = body != NULL ?
	    MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE) :
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", q->content_type);
	add_common_headers(q, resp);
	if (q->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"jobsd-admin\"");
	if (q->error_type != NULL)
		MHD_add_response_header(resp, "x-amzn-ErrorType", q->error_type);
	ret = MHD_queue_response(c, (unsigned int)q->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- lifecycle ----------------------------------------------------------- */

static void
cache_init(struct admin_cache *c)
{
	pthread_mutex_init(&c->mu, NULL);
}

int
api_admin_create(const struct api_admin_config *cfg, struct svc *svc, struct api_admin **out,
    struct jd_error *e)
{
	struct api_admin *a = jd_calloc(1, sizeof(*a));
	const char *colon = strrchr(cfg->listen, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const union MHD_DaemonInfo *info;
	int64_t port;
	int rc;

	a->cfg = *cfg;
	a->svc = svc;
	a->start_s = clock_real_ms() / 1000;
	pthread_mutex_init(&a->token_mu, NULL);
	cache_init(&a->ready);
	cache_init(&a->stats);
	admin_random(a->open_secret, sizeof(a->open_secret));
	if ((rc = api_admin_reload(a, e)) != 0)
		goto fail;
	if (colon == NULL || (size_t)(colon - cfg->listen) >= sizeof(a->host) ||
	    core_parse_u63(colon + 1, &port) != 0 || port > 65535) {
		rc = jd_error_set(e, JD_EINVAL,
		    "invalid admin-listen address '%s' (want ADDR:PORT)", cfg->listen);
		goto fail;
	}
	memcpy(a->host, cfg->listen, (size_t)(colon - cfg->listen));
	a->host[colon - cfg->listen] = '\0';
	if (strcmp(a->host, "localhost") == 0)
		jd_strlcpy(a->host, "127.0.0.1", sizeof(a->host));
	if (a->host[0] == '\0')
		jd_strlcpy(a->host, "0.0.0.0", sizeof(a->host));
	if (inet_pton(AF_INET, a->host, &sa.sin_addr) != 1) {
		rc = jd_error_set(e, JD_EINVAL,
		    "invalid admin-listen address '%s' (want ADDR:PORT)", cfg->listen);
		goto fail;
	}
	sa.sin_port = htons((uint16_t)port);
	a->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, access_cb, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, a, MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ADMIN_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)JD_HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)JD_HTTP_CONN_MEMORY,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)JD_HTTP_STACK, MHD_OPTION_STRICT_FOR_CLIENT,
	    (int)1, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_END);
	if (a->daemon == NULL) {
		rc = jd_error_set(e, JD_EINTERNAL, "cannot listen on %s (admin)", cfg->listen);
		goto fail;
	}
	info = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info != NULL ? info->port : 0;
	*out = a;
	return 0;
fail:
	api_admin_destroy(a);
	return rc;
}

int
api_admin_port(const struct api_admin *a)
{
	return a->port;
}

void
api_admin_destroy(struct api_admin *a)
{
	if (a == NULL)
		return;
	atomic_store(&a->stopping, true); /* the live streams end within a tick */
	if (a->daemon != NULL)
		MHD_stop_daemon(a->daemon);
	if (a->token != NULL) {
		explicit_bzero(a->token, a->token_len);
		free(a->token);
	}
	pthread_mutex_destroy(&a->token_mu);
	pthread_mutex_destroy(&a->ready.mu);
	pthread_mutex_destroy(&a->stats.mu);
	free(a);
}
