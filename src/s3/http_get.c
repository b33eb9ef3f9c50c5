/*
 * http_get.c: a minimal HTTP/1.1 GET client, the transport of s3.c.
 *
 * One request per connection ("Connection: close"): resolve, connect
 * (non-blocking, every address in turn), TLS handshake when asked (libssl:
 * SNI, the peer's chain verified by the context s3.c built, its name or IP
 * checked), send, then read until the declared Content-Length is in or the
 * peer closes. One deadline covers it all (name resolution excepted:
 * getaddrinfo has no timeout). What is read is bounded: headers by
 * JD_S3_HEADERS_MAX, the body by the caller's max (more is reported as
 * truncated, never stored). The parser (s3__parse_response) is pure and
 * fuzzed. No redirect is followed here: the status goes back to s3.c.
 */
#define _GNU_SOURCE /* memmem */
#include "s3/s3_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"

/* Wait for fd to be readable (or writable) until deadline; 0, or -1 on timeout. */
static int
wait_fd(int fd, bool write, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {fd, (short)(write ? POLLOUT : POLLIN), 0};
		int64_t left = deadline - clock_mono_ms();
		int rc;
		if (left <= 0)
			return -1;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int
connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS && wait_fd(fd, true, deadline) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
		return fd;
	close(fd);
	return -1;
}

static int
dial(const struct auth_s3_url *u, int64_t deadline, struct jd_error *e)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", u->port);
	if ((rc = getaddrinfo(u->host, port, &hints, &res)) != 0) {
		jd_error_set(e, JD_EUNAVAIL, "cannot resolve %s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai, deadline);
	freeaddrinfo(res);
	if (fd < 0)
		jd_error_set(e, JD_EUNAVAIL, "cannot connect to %s: %s", u->authority,
		    clock_mono_ms() >= deadline ? "timed out" : "connection failed");
	return fd;
}

/* The connection: a socket, and TLS over it when ssl is set. */
struct conn {
	int fd;
	SSL *ssl;
	int64_t deadline;
};

/* Drive one TLS call: rc from SSL_*; 1 to retry after waiting, 0 done, -1 failed. */
static int
tls_again(struct conn *c, int rc)
{
	int err = SSL_get_error(c->ssl, rc);

	if (err == SSL_ERROR_WANT_READ)
		return wait_fd(c->fd, false, c->deadline) == 0 ? 1 : -1;
	if (err == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->fd, true, c->deadline) == 0 ? 1 : -1;
	return -1;
}

static int
tls_start(struct s3 *s, struct conn *c, const struct auth_s3_url *u, struct jd_error *e)
{
	bool ip = strchr(u->host, ':') != NULL || strspn(u->host, "0123456789.") == strlen(u->host);
	int rc;

	c->ssl = SSL_new(s->tls);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return jd_error_set(e, JD_EUNAVAIL, "TLS set-up failed");
	if (ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host);
	} else {
		SSL_set_tlsext_host_name(c->ssl, u->host);
		SSL_set1_host(c->ssl, u->host);
	}
	while ((rc = SSL_connect(c->ssl)) != 1) {
		if (tls_again(c, rc) != 1) {
			long v = SSL_get_verify_result(c->ssl);
			return jd_error_set(e, JD_EUNAVAIL, "TLS handshake with %s failed: %s",
			    u->authority,
			    v != X509_V_OK                     ? X509_verify_cert_error_string(v) :
			        clock_mono_ms() >= c->deadline ? "timed out" :
			                                         "protocol error");
		}
	}
	return 0;
}

static int
conn_write(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w;
		if (c->ssl != NULL) {
			int rc = SSL_write(c->ssl, p, (int)n);
			if (rc <= 0) {
				if (tls_again(c, rc) == 1)
					continue;
				return -1;
			}
			w = rc;
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if ((errno == EAGAIN || errno == EINTR) &&
				    wait_fd(c->fd, true, c->deadline) == 0)
					continue;
				return -1;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read some bytes: >0 count, 0 at the peer's close, -1 on error or timeout. */
static ssize_t
conn_read(struct conn *c, char *p, size_t n)
{
	for (;;) {
		if (c->ssl != NULL) {
			int rc = SSL_read(c->ssl, p, (int)n);
			if (rc > 0)
				return rc;
			if (SSL_get_error(c->ssl, rc) == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (tls_again(c, rc) == 1)
				continue;
			/* a peer that closes without close_notify still ends the body */
			return SSL_get_error(c->ssl, rc) == SSL_ERROR_SYSCALL &&
			        clock_mono_ms() < c->deadline ?
			    0 :
			    -1;
		} else {
			ssize_t r = recv(c->fd, p, n, 0);
			if (r >= 0)
				return r;
			if ((errno == EAGAIN || errno == EINTR) &&
			    wait_fd(c->fd, false, c->deadline) == 0)
				continue;
			return -1;
		}
	}
}

/* Whether raw[0..n) already holds the whole response its headers declare. */
static bool
complete(const char *raw, size_t n)
{
	const char *end = memmem(raw, n, "\r\n\r\n", 4), *cl;
	size_t hlen;

	if (end == NULL)
		return false;
	hlen = (size_t)(end - raw) + 4;
	for (cl = raw; (cl = memmem(cl, hlen - (size_t)(cl - raw), "\r\n", 2)) != NULL; cl += 2) {
		if (strncasecmp(cl + 2, "content-length:", 15) == 0)
			return n >= hlen + strtoull(cl + 17, NULL, 10);
		if (cl + 2 >= end)
			break;
	}
	return false;
}

static void
request_text(struct buf *req, const struct s3__get *g)
{
	buf_printf(req, "GET %s%s%s HTTP/1.1\r\nHost: %s\r\n", g->url->path,
	    g->url->query[0] ? "?" : "", g->url->query, g->url->authority);
	for (size_t i = 0; i < g->nheaders; i++)
		buf_printf(req, "%s\r\n", g->headers[i]);
	buf_puts(req,
	    "User-Agent: jobsd\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n");
}

int
s3__http_get(struct s3 *s, const struct s3__get *g, struct s3__resp *r, struct jd_error *e)
{
	struct conn c = {-1, NULL, clock_mono_ms() + s->timeout_ms};
	struct buf req = BUF_INIT, raw = BUF_INIT;
	size_t cap = JD_S3_HEADERS_MAX + 2 * g->max_body + 1024;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if ((c.fd = dial(g->url, c.deadline, e)) < 0)
		return JD_EUNAVAIL;
	if (g->url->https && (rc = tls_start(s, &c, g->url, e)) != 0)
		goto out;
	request_text(&req, g);
	if (conn_write(&c, req.p, req.len) != 0) {
		rc = jd_error_set(e, JD_EUNAVAIL, "cannot send the request to %s",
		    g->url->authority);
		goto out;
	}
	for (;;) {
		ssize_t got;
		buf_reserve(&raw, 4096);
		got = conn_read(&c, raw.p + raw.len, raw.cap - raw.len - 1);
		if (got < 0) {
			rc = jd_error_set(e, JD_EUNAVAIL, "reading the answer of %s failed: %s",
			    g->url->authority,
			    clock_mono_ms() >= c.deadline ? "timed out" : "broken");
			goto out;
		}
		if (got == 0)
			break;
		raw.len += (size_t)got;
		if (raw.len >= cap || complete(raw.p, raw.len))
			break;
	}
	if (s3__parse_response(raw.p ? raw.p : "", raw.len, g->max_body, r) != 0)
		rc = jd_error_set(e, JD_EUNAVAIL, "%s did not answer with HTTP/1.x",
		    g->url->authority);
out:
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(c.fd);
	buf_free(&req);
	buf_free(&raw);
	ERR_clear_error();
	return rc;
}

/* ---- the response parser (pure) ------------------------------------------- */

/* Append body bytes, bounded. */
static void
body_add(struct s3__resp *r, const char *p, size_t n, size_t max)
{
	if (r->body.len + n > max) {
		r->truncated = true;
		n = max - r->body.len;
	}
	buf_append(&r->body, p, n);
}

static int
dechunk(const char *p, const char *end, size_t max, struct s3__resp *r)
{
	while (p < end) {
		unsigned long long sz = 0;
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2), *d = p;
		if (eol == NULL)
			return -1;
		for (; d < eol && d - p < 15; d++) {
			int v = (*d >= '0' && *d <= '9') ? *d - '0' :
			    (*d >= 'a' && *d <= 'f')     ? *d - 'a' + 10 :
			    (*d >= 'A' && *d <= 'F')     ? *d - 'A' + 10 :
			                                   -1;
			if (v < 0)
				break;
			sz = sz * 16 + (unsigned long long)v;
		}
		if (d == p)
			return -1;
		p = eol + 2;
		if (sz == 0)
			return 0;
		if (sz > (unsigned long long)(end - p)) {
			body_add(r, p, (size_t)(end - p), max);
			return r->truncated ? 0 : -1;
		}
		body_add(r, p, (size_t)sz, max);
		if (r->truncated)
			return 0;
		p += sz;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -1;
		p += 2;
	}
	return r->truncated ? 0 : -1;
}

int
s3__parse_response(const char *raw, size_t n, size_t max_body, struct s3__resp *r)
{
	const char *hend = memmem(raw, n, "\r\n\r\n", 4), *p, *body, *end = raw + n;
	bool chunked = false, has_len = false;
	unsigned long long len = 0;

	if (hend == NULL || n < 12 || memcmp(raw, "HTTP/1.", 7) != 0 || raw[8] != ' ')
		return -1;
	if (raw[9] < '1' || raw[9] > '5' || raw[10] < '0' || raw[10] > '9' || raw[11] < '0' ||
	    raw[11] > '9')
		return -1;
	r->status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + (raw[11] - '0');
	body = hend + 4;
	for (p = memmem(raw, (size_t)(hend - raw) + 2, "\r\n", 2); p != NULL && p < hend;) {
		const char *h = p + 2, *eol = memmem(h, (size_t)(hend + 2 - h), "\r\n", 2);
		size_t hn = (size_t)(eol - h);
		if (hn > 15 && strncasecmp(h, "content-length:", 15) == 0) {
			len = strtoull(h + 15, NULL, 10);
			has_len = true;
		} else if (hn > 18 && strncasecmp(h, "transfer-encoding:", 18) == 0) {
			chunked = memmem(h, hn, "chunked", 7) != NULL;
		} else if (hn > 9 && strncasecmp(h, "location:", 9) == 0) {
			const char *v = h + 9;
			while (*v == ' ')
				v++;
			snprintf(r->location, sizeof(r->location), "%.*s", (int)(eol - v), v);
		}
		p = eol;
	}
	if (chunked)
		return dechunk(body, end, max_body, r);
	if (has_len && len < (unsigned long long)(end - body))
		end = body + len;
	body_add(r, body, (size_t)(end - body), max_body);
	if (has_len && len > max_body)
		r->truncated = true;
	else if (has_len && len > (unsigned long long)(end - body))
		return -1; /* cut short */
	return 0;
}
