/*
 * bench_http.c: HTTP/1.1 request formatting and the incremental response
 * parser.
 *
 * Everything outside a body is handled a line at a time: bytes collect in
 * r->line until '\n', then the line is interpreted according to the state.
 * Body bytes are counted straight out of the input without copying (beyond
 * the first BENCH_HTTP_KEEP_BODY).
 */
#include "bench_http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void
set_error(struct bench_http_resp *r, const char *why)
{
	r->state = BENCH_HTTP_ERROR;
	r->error = why;
}

void
bench_http_resp_init(struct bench_http_resp *r, int head)
{
	r->state = BENCH_HTTP_STATUS;
	r->status = 0;
	r->keep_alive = 1;
	r->head = head;
	r->chunked = 0;
	r->content_length = -1;
	r->remaining = 0;
	r->body_total = 0;
	r->error = NULL;
	r->line_len = 0;
	r->body_len = 0;
	r->body[0] = '\0';
	r->sink = NULL;
	r->sink_cap = 0;
	r->sink_len = 0;
}

void
bench_http_resp_set_sink(struct bench_http_resp *r, char *buf, size_t cap)
{
	r->sink = cap > 0 ? buf : NULL;
	r->sink_cap = cap;
	r->sink_len = 0;
	if (r->sink != NULL)
		r->sink[0] = '\0';
}

/* Does the comma-separated header value contain token (any case)? */
static int
has_token(const char *value, const char *token)
{
	size_t tl = strlen(token);
	const char *p = value;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *start = p;
		while (*p != '\0' && *p != ',')
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - start) == tl && strncasecmp(start, token, tl) == 0)
			return 1;
	}
	return 0;
}

static void
status_line(struct bench_http_resp *r, const char *l)
{
	/* "HTTP/1.1 200 OK": the reason phrase is optional. */
	if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ') {
		set_error(r, "bad status line");
		return;
	}
	for (int i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9') {
			set_error(r, "bad status code");
			return;
		}
	if (l[12] != '\0' && l[12] != ' ') {
		set_error(r, "bad status code");
		return;
	}
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (r->status < 100) {
		set_error(r, "bad status code");
		return;
	}
	r->keep_alive = l[7] == '1';
	r->state = BENCH_HTTP_HEADERS;
}

static int
parse_decimal(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

static void
headers_end(struct bench_http_resp *r)
{
	if (r->status < 200 && r->status != 101) {
		/* Interim response (100 Continue): the real one follows. */
		int head = r->head;
		bench_http_resp_init(r, head);
		return;
	}
	if (r->head || r->status == 204 || r->status == 304 || r->status == 101) {
		r->state = BENCH_HTTP_DONE;
	} else if (r->chunked) {
		r->state = BENCH_HTTP_CHUNK_SIZE;
	} else if (r->content_length >= 0) {
		r->remaining = (uint64_t)r->content_length;
		r->state = r->remaining == 0 ? BENCH_HTTP_DONE : BENCH_HTTP_BODY;
	} else {
		r->keep_alive = 0;
		r->state = BENCH_HTTP_BODY_EOF;
	}
}

static void
header_line(struct bench_http_resp *r, char *l)
{
	char *colon, *v, *end;

	if (*l == '\0') {
		headers_end(r);
		return;
	}
	colon = strchr(l, ':');
	if (colon == NULL || colon == l) {
		set_error(r, "bad header line");
		return;
	}
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';

	if (strcasecmp(l, "Content-Length") == 0) {
		uint64_t n;
		if (parse_decimal(v, BENCH_HTTP_BODY_MAX, &n) != 0) {
			set_error(r, "bad Content-Length");
			return;
		}
		if (r->content_length >= 0 && (uint64_t)r->content_length != n) {
			set_error(r, "conflicting Content-Length");
			return;
		}
		r->content_length = (int64_t)n;
	} else if (strcasecmp(l, "Transfer-Encoding") == 0) {
		if (has_token(v, "chunked"))
			r->chunked = 1;
	} else if (strcasecmp(l, "Connection") == 0) {
		if (has_token(v, "close"))
			r->keep_alive = 0;
		else if (has_token(v, "keep-alive"))
			r->keep_alive = 1;
	}
}

static void
chunk_size_line(struct bench_http_resp *r, const char *l)
{
	uint64_t v = 0;
	const char *p = l;

	for (; *p != '\0' && *p != ';' && *p != ' ' && *p != '\t'; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else {
			set_error(r, "bad chunk size");
			return;
		}
		v = v * 16 + (uint64_t)d;
		if (v > BENCH_HTTP_BODY_MAX) {
			set_error(r, "chunk too large");
			return;
		}
	}
	if (p == l) {
		set_error(r, "bad chunk size");
		return;
	}
	r->remaining = v;
	r->state = v == 0 ? BENCH_HTTP_TRAILERS : BENCH_HTTP_CHUNK_DATA;
}

static void
line_done(struct bench_http_resp *r)
{
	char *l = r->line;

	if (r->line_len > 0 && l[r->line_len - 1] == '\r')
		r->line_len--;
	l[r->line_len] = '\0';
	r->line_len = 0;
	switch (r->state) {
	case BENCH_HTTP_STATUS:
		status_line(r, l);
		break;
	case BENCH_HTTP_HEADERS:
		header_line(r, l);
		break;
	case BENCH_HTTP_CHUNK_SIZE:
		chunk_size_line(r, l);
		break;
	case BENCH_HTTP_CHUNK_END:
		if (*l != '\0')
			set_error(r, "missing CRLF after chunk");
		else
			r->state = BENCH_HTTP_CHUNK_SIZE;
		break;
	case BENCH_HTTP_TRAILERS:
		if (*l == '\0')
			r->state = BENCH_HTTP_DONE;
		break;
	default:
		set_error(r, "internal: line in body state");
		break;
	}
}

static void
keep_body(struct bench_http_resp *r, const char *p, size_t len)
{
	size_t room = BENCH_HTTP_KEEP_BODY - r->body_len, n = len;

	if (n > room)
		n = room;
	if (r->sink != NULL && r->sink_len + 1 < r->sink_cap) {
		size_t m = r->sink_cap - 1 - r->sink_len;
		if (m > len)
			m = len;
		memcpy(r->sink + r->sink_len, p, m);
		r->sink_len += m;
		r->sink[r->sink_len] = '\0';
	}
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
}

size_t
bench_http_resp_feed(struct bench_http_resp *r, const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && r->state != BENCH_HTTP_DONE && r->state != BENCH_HTTP_ERROR) {
		if (r->state == BENCH_HTTP_BODY || r->state == BENCH_HTTP_CHUNK_DATA ||
		    r->state == BENCH_HTTP_BODY_EOF) {
			size_t n = len - i;
			if (r->state != BENCH_HTTP_BODY_EOF && n > r->remaining)
				n = (size_t)r->remaining;
			keep_body(r, data + i, n);
			r->body_total += n;
			i += n;
			if (r->state == BENCH_HTTP_BODY_EOF) {
				if (r->body_total > BENCH_HTTP_BODY_MAX)
					set_error(r, "body too large");
				continue;
			}
			r->remaining -= n;
			if (r->remaining == 0)
				r->state = r->state == BENCH_HTTP_BODY ? BENCH_HTTP_DONE :
				                                         BENCH_HTTP_CHUNK_END;
			continue;
		}
		char c = data[i++];
		if (c == '\n') {
			line_done(r);
			continue;
		}
		if (r->line_len >= BENCH_HTTP_LINE_MAX - 1) {
			set_error(r, "line too long");
			continue;
		}
		r->line[r->line_len++] = c;
	}
	return i;
}

enum bench_http_state
bench_http_resp_eof(struct bench_http_resp *r)
{
	if (r->state == BENCH_HTTP_BODY_EOF)
		r->state = BENCH_HTTP_DONE;
	else if (r->state != BENCH_HTTP_DONE && r->state != BENCH_HTTP_ERROR)
		set_error(r, "connection closed mid-response");
	return r->state;
}

static int
token_ok(const char *s)
{
	return *s != '\0' && strpbrk(s, " \t\r\n") == NULL;
}

#define EXTRA_HEADERS_MAX 2048
static char extra_headers[EXTRA_HEADERS_MAX];

int
bench_http_set_extra_headers(const char *lines)
{
	size_t len = lines != NULL ? strlen(lines) : 0;
	const char *p = lines;

	if (len >= sizeof(extra_headers))
		return -1;
	/* Every line: a token, ':', printable value, CRLF. */
	while (p != NULL && *p != '\0') {
		const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");
		if (colon == NULL || eol == NULL || colon > eol || colon == p)
			return -1;
		for (const char *q = p; q < colon; q++)
			if (*q <= ' ' || *q >= 127)
				return -1;
		for (const char *q = colon + 1; q < eol; q++)
			if ((unsigned char)*q < ' ' || *q == 127)
				return -1;
		p = eol + 2;
	}
	memcpy(extra_headers, lines != NULL ? lines : "", len + 1);
	return 0;
}

long
bench_http_format_request(char *buf, size_t size, const char *method, const char *hostport,
    const char *path, const char *body, size_t body_len)
{
	int n, with_body;

	if (!token_ok(method) || !token_ok(path) || !token_ok(hostport))
		return -1;
	with_body = body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0;
	if (body == NULL)
		body_len = 0;
	if (with_body)
		n = snprintf(buf, size,
		    "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: jdbench\r\n%s"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		    method, path, hostport, extra_headers, body_len);
	else
		n = snprintf(buf, size,
		    "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: jdbench\r\n%s\r\n", method, path,
		    hostport, extra_headers);
	if (n < 0 || (size_t)n >= size || size - (size_t)n < body_len)
		return -1;
	if (body_len > 0)
		memcpy(buf + n, body, body_len);
	return (long)((size_t)n + body_len);
}
