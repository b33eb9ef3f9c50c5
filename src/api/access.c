/*
 * access.c: what operators see of each AWS request (issue 14): its
 * metrics, its line in the access log, its request id in the logs.
 *
 * Metrics are counted for every answered request: a relaxed increment in
 * the fixed array of util/metrics.h at (route index, status class) and one
 * histogram observation (a bucket found by at most METRICS_BUCKETS
 * compares), no lock and no allocation. The access log line is built only
 * when the access log is on (one relaxed load otherwise), in a stack
 * buffer, and written with one write(2): the combined log format, then the
 * operation, the request id and the duration in seconds:
 *
 *   127.0.0.1 - AKID [02/Jan/2026:03:04:05 +0000] "GET /things/t1 HTTP/1.1" 200 312
 *       "-" "aws-cli/2.9" DescribeThing 0b6f...-... 0.000412
 *
 * Quotes, backslashes, control and non-ASCII bytes of the URI, referer and
 * user agent (whatever a client sent) are written as \xHH, so a line is
 * always one line; a presigned URL's query (its signature) is left out.
 */
#include "api/api_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/log.h"
#include "util/metrics.h"

#define JD_LOG_5XX_PER_S 10
#define ACCESS_LINE_MAX 4096
#define ACCESS_FIELD_MAX 1024 /* bytes of the URI, referer or user agent kept */

/* The URI to log: a presigned URL's query (its signature) is never logged. */
static const char *
uri_shown(const struct api_req *r, size_t *n)
{
	*n = strstr(r->raw_uri, "X-Amz-Signature") != NULL ? strcspn(r->raw_uri, "?") :
	                                                     strlen(r->raw_uri);
	return r->raw_uri;
}

void
api__log_request(const struct api_req *r, const char *op)
{
	char tmp[ACCESS_FIELD_MAX + 16];
	size_t n;
	const char *u = uri_shown(r, &n);

	snprintf(tmp, sizeof(tmp), "%.*s%s", (int)(n < ACCESS_FIELD_MAX ? n : ACCESS_FIELD_MAX), u,
	    u[n] != '\0' ? "?(presigned)" : "");
	log_kv(JD_LOG_DEBUG, "request", "operation", op, "uri", tmp, "request_id", r->rid, NULL);
}

/* Append s[0..n) to out (at *o, capacity cap), escaped for the log line. */
static void
put_escaped(char *out, size_t *o, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (n > ACCESS_FIELD_MAX)
		n = ACCESS_FIELD_MAX;
	for (size_t i = 0; i < n && *o + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			out[(*o)++] = '\\';
			out[(*o)++] = 'x';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		} else {
			out[(*o)++] = (char)c;
		}
	}
}

static void
put_str(char *out, size_t *o, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (*o + 1 >= cap)
		return;
	if (n > cap - *o - 1)
		n = cap - *o - 1;
	memcpy(out + *o, s, n);
	*o += n;
}

static void
put_quoted(char *out, size_t *o, size_t cap, const char *s)
{
	put_str(out, o, cap, "\"");
	if (s == NULL || *s == '\0')
		put_str(out, o, cap, "-");
	else
		put_escaped(out, o, cap, s, strlen(s));
	put_str(out, o, cap, "\"");
}

static void
access_line(const struct api_req *r, struct MHD_Connection *c, const char *version, int status,
    size_t bytes, uint64_t us)
{
	static const char *const methods[] = {"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "-"};
	const union MHD_ConnectionInfo *ci =
	    c != NULL ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	char line[ACCESS_LINE_MAX], host[INET6_ADDRSTRLEN] = "-", when[64], tail[128];
	const char *uri;
	size_t o = 0, n;
	struct timespec ts;
	struct tm tm;

	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
			    &((const struct sockaddr_in *)(const void *)sa)->sin_addr, host,
			    sizeof(host));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, host,
			    sizeof(host));
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
	put_str(line, &o, sizeof(line), host);
	put_str(line, &o, sizeof(line), " - ");
	put_escaped(line, &o, sizeof(line), r->access_key[0] ? r->access_key : "-",
	    r->access_key[0] ? strlen(r->access_key) : 1);
	put_str(line, &o, sizeof(line), " ");
	put_str(line, &o, sizeof(line), when);
	put_str(line, &o, sizeof(line), " \"");
	put_str(line, &o, sizeof(line), methods[r->method <= API_OTHER ? r->method : API_OTHER]);
	put_str(line, &o, sizeof(line), " ");
	uri = uri_shown(r, &n);
	put_escaped(line, &o, sizeof(line), uri, n);
	put_str(line, &o, sizeof(line), " ");
	put_escaped(line, &o, sizeof(line), version != NULL ? version : "HTTP/1.1",
	    version != NULL ? strlen(version) : 8);
	snprintf(tail, sizeof(tail), "\" %d %zu ", status, bytes);
	put_str(line, &o, sizeof(line), tail);
	put_quoted(line, &o, sizeof(line),
	    c != NULL ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Referer") : NULL);
	put_str(line, &o, sizeof(line), " ");
	put_quoted(line, &o, sizeof(line),
	    c != NULL ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent") : NULL);
	snprintf(tail, sizeof(tail), " %s %s %llu.%06llu\n",
	    r->route != NULL ? r->route->name : "-", r->rid, (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
	if (o + strlen(tail) >= sizeof(line))
		o = sizeof(line) - strlen(tail) - 1;
	put_str(line, &o, sizeof(line), tail);
	log_access_write(line, o);
}

/* At most JD_LOG_5XX_PER_S warnings a second (a store outage fails every
 * request): whether this one may be written. */
static bool
warn_5xx_allowed(void)
{
	static _Atomic int64_t window;
	static atomic_int n;
	int64_t now = (int64_t)(metrics_now_us() / 1000000);

	if (atomic_load_explicit(&window, memory_order_relaxed) != now) {
		atomic_store_explicit(&window, now, memory_order_relaxed);
		atomic_store_explicit(&n, 0, memory_order_relaxed);
	}
	return atomic_fetch_add_explicit(&n, 1, memory_order_relaxed) < JD_LOG_5XX_PER_S;
}

void
api__account(struct api_req *r, struct MHD_Connection *c, const char *version, int status,
    size_t bytes)
{
	int op = r->route != NULL ? (int)(r->route - api_routes) : METRICS_HTTP_OPS - 1;
	uint64_t us = metrics_now_us() - r->t0_us;

	if (op >= METRICS_HTTP_OPS)
		op = METRICS_HTTP_OPS - 1;
	metrics_inc(&jd_metrics.http_requests[op][metrics_class(status)]);
	metrics_observe(&jd_metrics.http_seconds[op], us);
	if (log_access_enabled())
		access_line(r, c, version, status, bytes, us);
	if (status >= 500 && warn_5xx_allowed()) {
		char st[16];
		snprintf(st, sizeof(st), "%d", status);
		log_kv(JD_LOG_WARN, "request failed", "operation",
		    r->route != NULL ? r->route->name : "-", "status", st, "request_id", r->rid,
		    "message", r->failed ? r->err.msg : NULL, NULL);
	}
}
