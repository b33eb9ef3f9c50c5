/*
 * fuzz_sigv4.c: the SigV4 header parser and verifier (auth_verify) and its
 * canonicalisation building blocks, on hostile input.
 *
 * Input: lines separated by '\n':
 *   line 0   the Authorization header value (empty: none)
 *   line 1   the raw URI (path[?query]) as on the wire
 *   line 2   the X-Amz-Date header value
 *   line 3.. the body
 * Invariants: never crashes; returns 0 or one of the four documented 403
 * codes with a message that never holds the test secret; a request that
 * verifies was signed for "iot" or "iot-jobs-data" by the only key known;
 * the canonical URI and query are pure functions of their input (stable).
 */
#include <stdbool.h>

#include "fuzz_sigv4.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *p = in;
	char *authz = next_line(&p), *uri = next_line(&p), *date = next_line(&p);
	const char *body = p ? p : "";
	struct auth_header h[4];
	struct auth_request rq;
	struct auth_result res;
	struct jd_error e;
	size_t nh = 0;
	int rc;

	if (uri == NULL || uri[0] == '\0')
		uri = (char *)"/";
	h[nh++] = (struct auth_header){"Host", "127.0.0.1:8443"};
	if (authz != NULL && authz[0] != '\0')
		h[nh++] = (struct auth_header){"Authorization", authz};
	if (date != NULL)
		h[nh++] = (struct auth_header){"X-Amz-Date", date};
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.raw_uri = uri;
	rq.headers = h;
	rq.nheaders = nh;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.now_s = 1767225600; /* 2026-01-01T00:00:00Z */
	jd_error_init(&e);
	rc = auth_verify(auth, &rq, &res, &e);
	FUZZ_CHECK(rc == 0 || rc == JD_ENOAUTH || rc == JD_EINCOMPLETE || rc == JD_EBADKEY ||
	    rc == JD_EBADSIG);
	FUZZ_CHECK(strstr(e.msg, SECRET) == NULL);
	if (rc == 0) {
		FUZZ_CHECK(strcmp(res.access_key, "AKIDFUZZ") == 0);
		FUZZ_CHECK(
		    strcmp(res.service, "iot") == 0 || strcmp(res.service, "iot-jobs-data") == 0);
	}
	/* canonical forms are stable */
	{
		struct buf a = BUF_INIT, b = BUF_INIT;
		const char *q = strchr(uri, '?');
		size_t plen = q ? (size_t)(q - uri) : strlen(uri);
		auth__canonical_uri(&a, uri, plen);
		auth__canonical_uri(&b, uri, plen);
		FUZZ_CHECK(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
		buf_reset(&a);
		buf_reset(&b);
		if (q != NULL) {
			auth__canonical_query(&a, q + 1, strlen(q + 1), false);
			auth__canonical_query(&b, q + 1, strlen(q + 1), false);
			FUZZ_CHECK(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
		}
		buf_free(&a);
		buf_free(&b);
	}
	jd_error_clear(&e);
	free(in);
	return 0;
}
