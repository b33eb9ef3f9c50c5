/*
 * uri.c: request ids and the raw request URI. The raw URI is captured before
 * libmicrohttpd unescapes it, so the path is split on '/' first and each
 * segment percent-decoded after (`$next` and `%24next` are the same,
 * `a%3Ab` is one segment); the query is split on '&' and '=' the same way.
 */
#include "api/api_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void
api__request_id(char out[37])
{
	uint64_t a = rid_next(), b = rid_next();

	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
	    (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
	    (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
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
