/*
 * uri.c: request ids, the raw request URI and the framing of the request
 * line and headers. The raw URI is captured before libmicrohttpd unescapes
 * it, so the path is split on '/' first and each segment percent-decoded
 * after (`$next` and `%24next` are the same, `a%3Ab` is one segment); the
 * query is split on '&' and '=' the same way. The framing checks refuse what
 * libmicrohttpd lets through although RFC 9112 says a server must not.
 */
#include "api/api_int.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "util/buf.h"

/* ---- request ids --------------------------------------------------------- */

static _Thread_local uint64_t rid_state[2];

static uint64_t
rid_next(void)
{
	uint64_t s1 = rid_state[0];
	const uint64_t s0 = rid_state[1];

	if (rid_state[0] == 0 && rid_state[1] == 0) {
		if (getrandom(rid_state, sizeof(rid_state), 0) != (ssize_t)sizeof(rid_state))
			rid_state[0] = (uint64_t)(uintptr_t)&s1 ^ 0x9e3779b97f4a7c15ULL;
		rid_state[1] |= 1;
		s1 = rid_state[0];
	}
	rid_state[0] = s0;
	s1 ^= s1 << 23;
	rid_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return rid_state[1] + s0;
}

/* Hex digits of v, high first, into out[n] (n <= 16). */
static void
hex_put(char *out, uint64_t v, int n)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = n - 1; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
}

/* A version-4 UUID's shape (8-4-4-4-12 lower-case hex), from a per-thread
 * xorshift128+: unique enough to find a request in the logs, and written
 * by hand (snprintf cost several hundred instructions per request). */
void
api__request_id(char out[37])
{
	uint64_t a = rid_next(), b = rid_next();

	hex_put(out, a >> 32, 8);
	out[8] = '-';
	hex_put(out + 9, (a >> 16) & 0xffff, 4);
	out[13] = '-';
	hex_put(out + 14, 0x4000 | (a & 0xfff), 4);
	out[18] = '-';
	hex_put(out + 19, ((b >> 48) & 0x3fff) | 0x8000, 4);
	out[23] = '-';
	hex_put(out + 24, b & 0xffffffffffffULL, 12);
	out[36] = '\0';
}

/* ---- URI parsing ----------------------------------------------------------- */

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

/* Percent-decode s[0..n) into a new string; NULL on a bad escape or %00. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = jd_malloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			hi = hexv(s[i + 1]);
			lo = hexv(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			free(out);
			return NULL;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

void
api__parse_uri(struct api_req *r)
{
	const char *u = r->raw_uri, *q = strchr(u, '?');
	size_t plen = q ? (size_t)(q - u) : strlen(u);
	const char *p = u, *end = u + plen;

	if (plen == 0 || u[0] != '/') {
		r->bad_uri = true;
		return;
	}
	p++;
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (r->nseg >= JD_PATH_SEGMENTS_MAX) {
			r->bad_uri = true;
			return;
		}
		r->seg[r->nseg] = pct_decode(p, n);
		if (r->seg[r->nseg] == NULL) {
			r->bad_uri = true;
			return;
		}
		r->nseg++;
		if (slash == NULL)
			break;
		p = slash + 1;
		if (p == end) { /* trailing slash: an empty last segment */
			if (r->nseg >= JD_PATH_SEGMENTS_MAX) { /* fuzz: path-trailing-slash-17 */
				r->bad_uri = true;
				return;
			}
			r->seg[r->nseg++] = jd_strdup("");
			break;
		}
	}
	if (q == NULL)
		return;
	p = q + 1;
	int pieces = 0;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (++pieces > JD_QUERY_PARAMS_MAX) { /* empty pieces count: "?&&&&" */
			r->bad_uri = true;
			return;
		}
		if (n > 0) {
			r->q[r->nq].k = pct_decode(p, eq ? (size_t)(eq - p) : n);
			r->q[r->nq].v =
			    eq ? pct_decode(eq + 1, n - (size_t)(eq - p) - 1) : jd_strdup("");
			if (r->q[r->nq].k == NULL || r->q[r->nq].v == NULL) {
				free(r->q[r->nq].k);
				free(r->q[r->nq].v);
				r->bad_uri = true;
				return;
			}
			r->nq++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
}

/* ---- framing ------------------------------------------------------------- */

/*
 * libmicrohttpd splits the query into arguments in its per-connection
 * memory pool right after this callback, one record per '&' piece: an 8 KB
 * target of "a&a&..." needs ~230 KB, and a pool that runs out hangs the
 * client (hostile-input finding). A query of more pieces than jobsd accepts
 * is refused by api__parse_uri() from r->raw_uri (its own copy) anyway, so the
 * '&'s of libmicrohttpd's copy (the request line, parsed in place: see
 * api__check_framing) are blanked and it stores one argument. That keeps the pool
 * small, and libmicrohttpd zeroes the whole pool after every request.
 */
void
api__defuse_query(const char *uri)
{
	char *q = strchr(uri, '?');
	int pieces = 1;

	if (q == NULL)
		return;
	for (const char *p = q; *p != '\0'; p++)
		pieces += *p == '&';
	if (pieces <= JD_QUERY_PARAMS_MAX)
		return;
	for (char *p = q; *p != '\0'; p++)
		if (*p == '&')
			*p = '_';
}

struct header_scan {
	size_t bytes;
	int content_lengths;
	const char *content_length;
	bool nul;
	bool host;
	bool transfer_encoding;
};

static enum MHD_Result
header_cb(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
    size_t value_size)
{
	struct header_scan *h = cls;

	(void)kind;
	h->bytes += key_size + value_size + 4;
	if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size))
		h->nul = true;
	if (strcasecmp(key, "Host") == 0)
		h->host = true;
	if ((key[0] | 0x20) == 't' && strcasecmp(key, "Transfer-Encoding") == 0)
		h->transfer_encoding = true;
	if (strcasecmp(key, "Content-Length") == 0) {
		if (h->content_length != NULL && value != NULL &&
		    strcmp(h->content_length, value) != 0)
			h->content_lengths++;
		h->content_length = value;
		h->content_lengths++;
	}
	return MHD_YES;
}

/*
 * What libmicrohttpd 0.9.75 lets through although RFC 9112 says a server must
 * not (hostile-input findings): a NUL byte hidden in the request target
 * (it would cut the path short), NUL bytes in headers, conflicting
 * Content-Length headers, an HTTP/1.1 request without Host, a
 * Transfer-Encoding other than chunked, and oversized header sections.
 */
int
api__check_framing(struct api_req *r, struct MHD_Connection *c, const char *version)
{
	struct header_scan h = {0};
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");

	/* The request line is parsed in place: the version follows the target
	 * with only separators between; anything else there hid behind a NUL.
	 * Not for a target over JD_URI_MAX, which r->raw_uri holds only the
	 * start of (issue 13: it was called a NUL byte): refused as too long. */
	if (version != NULL && r->raw_ptr != NULL && version > r->raw_ptr && !r->uri_too_long) {
		for (const char *p = r->raw_ptr + strlen(r->raw_uri); p < version; p++)
			if (*p != '\0' && *p != ' ' && *p != '\t')
				return api_fail(r, JD_EINVAL,
				    "The request target contains a NUL byte");
	}
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, header_cb, &h);
	/* RFC 9112 §6.1: whatever is done with a request that has both, the
	 * connection must be closed after it (it smells of smuggling) */
	if (h.content_length != NULL && h.transfer_encoding)
		r->close = true;
	if (h.bytes > JD_HEADERS_MAX)
		return api_fail(r, JD_EHDRTOOBIG, "The request headers exceed %d bytes",
		    JD_HEADERS_MAX);
	if (h.nul)
		return api_fail(r, JD_EINVAL, "A request header contains a NUL byte");
	if (h.content_lengths > 1)
		return api_fail(r, JD_EINVAL, "Conflicting Content-Length headers");
	if (!h.host && version != NULL && strcmp(version, "HTTP/1.1") == 0)
		return api_fail(r, JD_EINVAL, "HTTP/1.1 requests must carry a Host header");
	if (te != NULL && strcasecmp(te, "chunked") != 0)
		return api_fail(r, JD_EINVAL, "Transfer-Encoding %.32s is not supported", te);
	return 0;
}
