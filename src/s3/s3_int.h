/* s3_int.h: the HTTP/1.1 client under s3.c (http_get.c), and its pure
 * response parser, shared with the unit tests and the fuzzer. */
#ifndef JD_S3_S3_INT_H
#define JD_S3_S3_INT_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "s3/s3.h"
#include "util/buf.h"

struct s3 {
	struct auth_out *creds; /* borrowed */
	SSL_CTX *tls;           /* owned; verifies peers */
	int timeout_ms;
};

/* One request's extra headers, each "Name: value" without CRLF. */
struct s3__get {
	const struct auth_s3_url *url;
	const char *const *headers;
	size_t nheaders;
	size_t max_body; /* a larger body is cut: *truncated */
};

/* A parsed response. */
struct s3__resp {
	int status;
	bool truncated; /* the body went past max_body */
	struct buf body;
	char location[256]; /* Location of a redirect, cut */
};

/*
 * GET over a new connection (TLS when url->https) within timeout_ms.
 * JD_EUNAVAIL with a message on a failure to connect, verify, send or read
 * a well-formed response. r->body is the caller's to free either way.
 */
int s3__http_get(struct s3 *c, const struct s3__get *g, struct s3__resp *r, struct jd_error *e);

/*
 * Parse a whole response read until the connection closed (raw[0..n)):
 * status line, headers (Content-Length, Transfer-Encoding: chunked,
 * Location), body bounded by max_body. Returns 0, or -1 when it is not a
 * well-formed HTTP/1.x response. Pure.
 */
int s3__parse_response(const char *raw, size_t n, size_t max_body, struct s3__resp *r);

#endif
