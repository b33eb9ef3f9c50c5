/*
 * test_http.c: the incremental response parser, fed whole, byte by byte
 * and split at every offset, and request formatting.
 */
#include "bench_http.h"

#include <stdlib.h>

#include "bench_test.h"

static struct bench_http_resp r;

/* Feed s in pieces of step bytes; returns total consumed. */
static size_t
feed_steps(const char *s, size_t len, size_t step, int head)
{
	size_t off = 0;

	bench_http_resp_init(&r, head);
	while (off < len && r.state != BENCH_HTTP_DONE && r.state != BENCH_HTTP_ERROR) {
		size_t n = len - off < step ? len - off : step;
		size_t used = bench_http_resp_feed(&r, s + off, n);
		off += used;
		if (used < n)
			break;
	}
	return off;
}

/* Every split point and byte-at-a-time give the same answer as one feed. */
static void
same_all_splits(const char *s, int status, const char *body, int keep_alive)
{
	size_t len = strlen(s);
	unsigned bad = 0;

	for (size_t step = 1; step <= len; step++) {
		feed_steps(s, len, step, 0);
		if (r.state != BENCH_HTTP_DONE || r.status != status || strcmp(r.body, body) != 0 ||
		    r.keep_alive != keep_alive)
			bad++;
	}
	for (size_t cut = 0; cut <= len; cut++) {
		bench_http_resp_init(&r, 0);
		size_t used = bench_http_resp_feed(&r, s, cut);
		used += bench_http_resp_feed(&r, s + used, len - used);
		if (used != len || r.state != BENCH_HTTP_DONE || r.status != status ||
		    strcmp(r.body, body) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
}

static void
test_content_length(void)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	                "Content-Length: 11\r\n\r\n{\"a\":\"bc\"}";

	/* 10 body bytes but Content-Length 11: not done yet. */
	CHECK_INT(feed_steps(s, strlen(s), 1000, 0), strlen(s));
	CHECK_INT(r.state, BENCH_HTTP_BODY);
	CHECK_INT(bench_http_resp_feed(&r, "\n", 1), 1);
	CHECK_INT(r.state, BENCH_HTTP_DONE);
	CHECK_INT(r.status, 200);
	CHECK_INT(r.content_length, 11);
	CHECK_INT(r.keep_alive, 1);
	CHECK_STR(r.body, "{\"a\":\"bc\"}\n");
	CHECK_INT(bench_http_resp_feed(&r, "x", 1), 0);

	same_all_splits("HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\nnope!", 404, "nope!",
	    1);
	same_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, "", 1);
	same_all_splits("HTTP/1.1 200\r\nContent-Length:2\r\n\r\nok", 200, "ok", 1);
	/* Bare LF line ends are tolerated. */
	same_all_splits("HTTP/1.1 201 Created\nContent-Length: 2\n\nhi", 201, "hi", 1);
}

static void
test_pipelined_bytes_left(void)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 X\r\n"
	                "Content-Length: 0\r\n\r\n";
	size_t first;

	bench_http_resp_init(&r, 0);
	first = bench_http_resp_feed(&r, s, strlen(s));
	CHECK_INT(r.state, BENCH_HTTP_DONE);
	CHECK_INT(first, strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
	bench_http_resp_init(&r, 0);
	CHECK_INT(bench_http_resp_feed(&r, s + first, strlen(s) - first), strlen(s) - first);
	CHECK_INT(r.state, BENCH_HTTP_DONE);
	CHECK_INT(r.status, 500);
}

static void
test_connection_header(void)
{
	same_all_splits("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 200,
	    "x", 0);
	same_all_splits("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Upgrade\r\n"
	                "Content-Length: 1\r\n\r\nx",
	    200, "x", 1);
	same_all_splits("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, "x", 0);
	same_all_splits("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
	    200, "x", 1);
	/* "closed" is not the token "close". */
	same_all_splits("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 1\r\n\r\nx", 200,
	    "x", 1);
}

static void
test_chunked(void)
{
	same_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
	                "X-Trailer: y\r\n\r\n",
	    200, "Wikipedia in\r\n\r\nchunks.", 1);
	same_all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 200,
	    "", 1);
	bench_http_resp_init(&r, 0);
	const char *bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
	bench_http_resp_feed(&r, bad, strlen(bad));
	CHECK_INT(r.state, BENCH_HTTP_ERROR);
	bench_http_resp_init(&r, 0);
	bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n";
	bench_http_resp_feed(&r, bad, strlen(bad));
	CHECK_INT(r.state, BENCH_HTTP_ERROR);
}

static void
test_no_body_statuses(void)
{
	same_all_splits("HTTP/1.1 204 No Content\r\n\r\n", 204, "", 1);
	same_all_splits("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, "", 1);
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
	feed_steps(s, strlen(s), 3, 1);
	CHECK_INT(r.state, BENCH_HTTP_DONE);
	CHECK_INT(r.body_total, 0);
}

static void
test_interim(void)
{
	same_all_splits(
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 1\r\n"
	    "\r\n!",
	    202, "!", 1);
}

static void
test_until_eof(void)
{
	const char *s = "HTTP/1.1 200 OK\r\n\r\nall of it";

	bench_http_resp_init(&r, 0);
	CHECK_INT(bench_http_resp_feed(&r, s, strlen(s)), strlen(s));
	CHECK_INT(r.state, BENCH_HTTP_BODY_EOF);
	CHECK_INT(r.keep_alive, 0);
	CHECK_INT(bench_http_resp_eof(&r), BENCH_HTTP_DONE);
	CHECK_STR(r.body, "all of it");

	bench_http_resp_init(&r, 0);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab";
	bench_http_resp_feed(&r, s, strlen(s));
	CHECK_INT(bench_http_resp_eof(&r), BENCH_HTTP_ERROR);
	bench_http_resp_init(&r, 0);
	CHECK_INT(bench_http_resp_eof(&r), BENCH_HTTP_ERROR);
}

static void
test_malformed(void)
{
	const char *bad[] = {
	    "HTTP/2 200 OK\r\n\r\n",
	    "HTTP/1.1 20 OK\r\n\r\n",
	    "HTTP/1.1 2000 OK\r\n\r\n",
	    "HTTP/1.1 abc OK\r\n\r\n",
	    "HTTP/1.1 099 Low\r\n\r\n",
	    "SIP/2.0 200 OK\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bench_http_resp_init(&r, 0);
		bench_http_resp_feed(&r, bad[i], strlen(bad[i]));
		CHECK_INT(r.state, BENCH_HTTP_ERROR);
		if (r.state != BENCH_HTTP_ERROR)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		else
			CHECK(r.error != NULL);
	}
	/* Repeating the same Content-Length is fine. */
	same_all_splits("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz", 200,
	    "z", 1);
}

static void
test_limits(void)
{
	size_t n = BENCH_HTTP_LINE_MAX + 10;
	char *big = malloc(n);
	char body[1000];

	memset(big, 'a', n);
	bench_http_resp_init(&r, 0);
	bench_http_resp_feed(&r, big, n);
	CHECK_INT(r.state, BENCH_HTTP_ERROR);
	free(big);

	/* A long body keeps only its first bytes but counts them all. */
	memset(body, 'b', sizeof(body));
	bench_http_resp_init(&r, 0);
	const char *h = "HTTP/1.1 500 Oops\r\nContent-Length: 1000\r\n\r\n";
	bench_http_resp_feed(&r, h, strlen(h));
	CHECK_INT(bench_http_resp_feed(&r, body, sizeof(body)), sizeof(body));
	CHECK_INT(r.state, BENCH_HTTP_DONE);
	CHECK_INT(r.body_total, 1000);
	CHECK_INT(strlen(r.body), BENCH_HTTP_KEEP_BODY);
}

static void
test_format_request(void)
{
	char buf[512];
	long n;

	n = bench_http_format_request(buf, sizeof(buf), "GET", "127.0.0.1:8080",
	    "/things/t1/jobs/j", NULL, 0);
	CHECK_INT(n, (long)strlen(buf));
	CHECK_STR(buf,
	    "GET /things/t1/jobs/j HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	    "User-Agent: jdbench\r\n\r\n");
	n = bench_http_format_request(buf, sizeof(buf), "POST", "[::1]:80", "/x", "{\"a\":1}", 7);
	buf[n] = '\0';
	CHECK_STR(buf,
	    "POST /x HTTP/1.1\r\nHost: [::1]:80\r\nUser-Agent: jdbench\r\n"
	    "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
	n = bench_http_format_request(buf, sizeof(buf), "PUT", "h:1", "/x", NULL, 0);
	CHECK(n > 0 && strstr(buf, "Content-Length: 0\r\n\r\n") != NULL);
	n = bench_http_format_request(buf, sizeof(buf), "DELETE", "h:1", "/x?force=true", NULL, 0);
	CHECK(n > 0 && strstr(buf, "Content-Length") == NULL);

	CHECK_INT(bench_http_format_request(buf, 20, "GET", "h:1", "/x", NULL, 0), -1);
	CHECK_INT(bench_http_format_request(buf, 80, "POST", "h:1", "/x", "0123456789", 10), -1);
	CHECK_INT(bench_http_format_request(buf, sizeof(buf), "GET", "h:1", "/a b", NULL, 0), -1);
	CHECK_INT(bench_http_format_request(buf, sizeof(buf), "GET", "h:1", "/a\r\nX: y", NULL, 0),
	    -1);
	CHECK_INT(bench_http_format_request(buf, sizeof(buf), "", "h:1", "/", NULL, 0), -1);
}

int
main(void)
{
	test_content_length();
	test_pipelined_bytes_left();
	test_connection_header();
	test_chunked();
	test_no_body_statuses();
	test_interim();
	test_until_eof();
	test_malformed();
	test_limits();
	test_format_request();
	return test_summary();
}
