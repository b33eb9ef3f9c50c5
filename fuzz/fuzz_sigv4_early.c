/*
 * fuzz_sigv4_early.c: authenticate before buffering (issue 13). The REST
 * layer verifies a request from its headers alone (auth_verify with
 * headers_only) before it reads a large body, and then again, or against the
 * declared hash, once the body is in. The two must agree.
 *
 * Input: lines separated by '\n':
 *   line 0   the Authorization header value; "SIGN" / "SIGN!": the harness
 *            signs the request correctly / with one digit changed (empty: none)
 *   line 1   the raw URI (path[?query]) as on the wire
 *   line 2   the X-Amz-Date header value
 *   line 3   x-amz-content-sha256: empty none, "=" the body's true hash,
 *            anything else sent as is
 *   line 4.. the body
 * Invariants (auth.h, auth_verify):
 *   - a refusal from the headers is exactly the refusal of the whole request;
 *   - a whole request that verifies passes from its headers;
 *   - verified from the headers: the whole request verifies exactly when the
 *     body matches the declared hash (auth_body_matches), else JD_EBADSIG;
 *   - passed from the headers unverified: the whole request can only fail
 *     on its signature (JD_EBADSIG).
 */
#include <stdbool.h>

#include "fuzz_sigv4.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

/* A correct Authorization for rq (signed headers host, x-amz-date and, when
 * sent, x-amz-content-sha256), into out; corrupt: one digit changed. */
static void
sign(const struct auth_request *rq, const char *date, const char *csha, bool corrupt, char *out,
    size_t n)
{
	const char *sh = csha ? "host;x-amz-content-sha256;x-amz-date" : "host;x-amz-date";
	char scope[64], day[9], hash[65], sig[65];
	struct buf creq = BUF_INIT, sts = BUF_INIT;
	unsigned char key[32];

	snprintf(day, sizeof(day), "%.8s", date);
	snprintf(scope, sizeof(scope), "%s/us-east-1/iot/aws4_request", day);
	auth__sha256_hex(hash, rq->body, rq->body_len);
	auth__canonical_request(&creq, rq, sh, csha ? csha : hash);
	auth__string_to_sign(&sts, date, scope, creq.p ? creq.p : "", creq.len);
	auth__signing_key(key, SECRET, day, "us-east-1", "iot");
	auth__signature(sig, key, sts.p ? sts.p : "", sts.len);
	if (corrupt)
		sig[10] = sig[10] == '0' ? '1' : '0';
	snprintf(out, n, "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/%s, SignedHeaders=%s, Signature=%s",
	    scope, sh, sig);
	buf_free(&creq);
	buf_free(&sts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *p = in;
	char *authz = next_line(&p), *uri = next_line(&p), *date = next_line(&p);
	char *csha = next_line(&p);
	const char *body = p ? p : "";
	char hash[65], signed_authz[512];
	struct auth_header h[5];
	struct auth_request rq;
	struct auth_result hr, fr;
	struct jd_error e;
	size_t nh = 0;
	int hrc, frc;

	if (uri == NULL || uri[0] == '\0')
		uri = (char *)"/";
	if (date == NULL)
		date = (char *)"20260101T000000Z";
	auth__sha256_hex(hash, body, strlen(body));
	if (csha != NULL && strcmp(csha, "=") == 0)
		csha = hash;
	else if (csha != NULL && csha[0] == '\0')
		csha = NULL;
	h[nh++] = (struct auth_header){"Host", "127.0.0.1:8443"};
	h[nh++] = (struct auth_header){"X-Amz-Date", date};
	if (csha != NULL)
		h[nh++] = (struct auth_header){"X-Amz-Content-SHA256", csha};
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.raw_uri = uri;
	rq.headers = h;
	rq.nheaders = nh;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.now_s = NOW;
	if (authz != NULL && (strcmp(authz, "SIGN") == 0 || strcmp(authz, "SIGN!") == 0)) {
		sign(&rq, date, csha, authz[4] == '!', signed_authz, sizeof(signed_authz));
		authz = signed_authz;
	}
	if (authz != NULL && authz[0] != '\0')
		h[nh++] = (struct auth_header){"Authorization", authz};
	rq.nheaders = nh;

	jd_error_init(&e);
	frc = auth_verify(auth, &rq, &fr, &e);
	jd_error_clear(&e);
	rq.headers_only = true;
	rq.body = NULL;
	rq.body_len = 0;
	jd_error_init(&e);
	hrc = auth_verify(auth, &rq, &hr, &e);
	FUZZ_CHECK(strstr(e.msg, SECRET) == NULL);
	jd_error_clear(&e);

	if (hrc != 0)
		FUZZ_CHECK(frc == hrc);
	if (frc == 0) {
		FUZZ_CHECK(hrc == 0);
		FUZZ_CHECK(fr.verified);
	}
	if (hrc == 0 && hr.verified) {
		FUZZ_CHECK(csha != NULL);
		FUZZ_CHECK((frc == 0) == auth_body_matches(csha, body, strlen(body)));
		if (frc != 0)
			FUZZ_CHECK(frc == JD_EBADSIG);
	}
	if (hrc == 0 && !hr.verified)
		FUZZ_CHECK(frc == 0 || frc == JD_EBADSIG);
	free(in);
	return 0;
}
