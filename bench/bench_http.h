/*
 * bench_http.h: the little HTTP/1.1 that jdbench speaks.
 *
 * Requests are formatted into a caller buffer. Responses are parsed by an
 * incremental state machine fed whatever read() returned, so a response split
 * across any number of reads (or several responses' worth of bytes in one
 * read) parses the same. Bodies are delimited by Content-Length, chunked
 * encoding, or the end of the connection. Only the first bytes of a body are
 * kept, for error reports; the rest is counted and dropped.
 */
#ifndef JD_BENCH_HTTP_H
#define JD_BENCH_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Longest status or header line accepted. */
#define BENCH_HTTP_LINE_MAX 8192
/* Body bytes kept for diagnostics. */
#define BENCH_HTTP_KEEP_BODY 256
/* Largest Content-Length or chunk accepted (1 GiB). */
#define BENCH_HTTP_BODY_MAX ((uint64_t)1 << 30)

enum bench_http_state {
	BENCH_HTTP_STATUS,
	BENCH_HTTP_HEADERS,
	BENCH_HTTP_BODY,
	BENCH_HTTP_BODY_EOF,
	BENCH_HTTP_CHUNK_SIZE,
	BENCH_HTTP_CHUNK_DATA,
	BENCH_HTTP_CHUNK_END,
	BENCH_HTTP_TRAILERS,
	BENCH_HTTP_DONE,
	BENCH_HTTP_ERROR,
};

struct bench_http_resp {
	enum bench_http_state state;
	int status;     /* 100..999 once the status line is parsed */
	int keep_alive; /* 1 if the connection may carry another request */
	int head;       /* the request was HEAD: no body follows */
	int chunked;
	int64_t content_length; /* -1 when absent */
	uint64_t remaining;     /* bytes left in the body or current chunk */
	uint64_t body_total;    /* body bytes seen */
	const char *error;      /* static text when state == BENCH_HTTP_ERROR */
	size_t line_len;
	size_t body_len;
	char body[BENCH_HTTP_KEEP_BODY + 1]; /* first body bytes, NUL-terminated */
	char *sink;      /* optional: the whole body goes here too (see set_sink) */
	size_t sink_cap; /* bytes sink can hold, NUL included */
	size_t sink_len; /* bytes stored in sink (the rest is dropped) */
	char line[BENCH_HTTP_LINE_MAX];
};

/* Reset r for a new response. head: 1 if the request was a HEAD. */
void bench_http_resp_init(struct bench_http_resp *r, int head);

/*
 * Also copy the body into buf (cap bytes, NUL-terminated, truncated if
 * longer). Call after bench_http_resp_init(); init forgets the sink.
 */
void bench_http_resp_set_sink(struct bench_http_resp *r, char *buf, size_t cap);

/*
 * Feed len bytes. Returns how many were consumed: parsing stops at the end
 * of the response (state DONE) or at the first error (state ERROR), leaving
 * any further bytes to the caller. Feeding a DONE or ERROR parser consumes
 * nothing.
 */
size_t bench_http_resp_feed(struct bench_http_resp *r, const char *data, size_t len);

/*
 * The peer closed the connection. Completes a body delimited by the close;
 * anywhere else mid-response is an error. Returns the new state.
 */
enum bench_http_state bench_http_resp_eof(struct bench_http_resp *r);

/*
 * Format a request into buf (size bytes). body may be NULL; a body, or a
 * POST, PUT or PATCH, gets a Content-Length and a JSON Content-Type.
 * Returns the length written (no NUL counted), or -1 if it does not fit or
 * method or path contains a space or line break.
 */
/*
 * Header lines added to every request formatted afterwards, each ending in
 * "\r\n" (for example a placeholder SigV4 Authorization header so that a
 * server that routes on the credential scope, like moto_server, knows the
 * service). NULL or "" for none. Not thread-safe: set it before any run.
 * Returns -1 (and keeps the old value) unless every line is "Name: value"
 * ending in CRLF with no other control characters.
 */
int bench_http_set_extra_headers(const char *lines);

long bench_http_format_request(char *buf, size_t size, const char *method, const char *hostport,
    const char *path, const char *body, size_t body_len);

#endif
