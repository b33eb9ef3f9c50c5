/*
 * test_sigv4_headers.c: SigV4 with many headers, and the headers-only
 * verification that lets the REST layer authenticate before buffering a body
 * (issue 13). Requests are signed here with the primitives that
 * test_sigv4.c checks against botocore's vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_int.h"
#include "test.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T0 INT64_C(1767268800) /* 2026-01-01T12:00:00Z */
#define DATE "20260101T120000Z"
#define SCOPE "20260101/us-east-1/iot/aws4_request"
#define NMAX 600

struct many {
	struct auth_request rq;
	struct auth_header h[NMAX];
	char names[NMAX][16];
	char authz[256];
};

static struct auth *
auth_mem(const char *text)
{
	struct auth *a = calloc(1, sizeof(*a));
	struct jd_error e;

	jd_error_init(&e);
	pthread_rwlock_init(&a->lock, NULL);
	if (auth__table_parse(text, strlen(text), "mem", &a->table, &e) != 0)
		abort();
	return a;
}

/*
 * A PUT of body with npad unsigned headers before the signed ones and the
 * Authorization header last; declared: send x-amz-content-sha256 (signed)
 * with that hash; sig_ok false: a wrong signature.
 */
static void
build(struct many *m, size_t npad, const char *body, const char *declared, bool sig_ok)
{
	const char *signed_headers =
	    declared ? "host;x-amz-content-sha256;x-amz-date" : "host;x-amz-date";
	struct buf creq = BUF_INIT, sts = BUF_INIT;
	unsigned char key[32];
	char sig[65], hash[65];
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < npad; i++) {
		snprintf(m->names[i], sizeof(m->names[i]), "X-Pad-%zu", i);
		m->h[n++] = (struct auth_header){m->names[i], "v"};
	}
	m->h[n++] = (struct auth_header){"Host", "127.0.0.1:8443"};
	m->h[n++] = (struct auth_header){"X-Amz-Date", DATE};
	if (declared)
		m->h[n++] = (struct auth_header){"X-Amz-Content-SHA256", declared};
	m->rq.method = "PUT";
	m->rq.raw_uri = "/jobs/j1";
	m->rq.headers = m->h;
	m->rq.nheaders = n;
	m->rq.body = body;
	m->rq.body_len = strlen(body);
	m->rq.now_s = T0;
	auth__sha256_hex(hash, body, strlen(body));
	auth__canonical_request(&creq, &m->rq, signed_headers, declared ? declared : hash);
	auth__string_to_sign(&sts, DATE, SCOPE, creq.p, creq.len);
	auth__signing_key(key, SECRET, "20260101", "us-east-1", "iot");
	auth__signature(sig, key, sts.p, sts.len);
	if (!sig_ok)
		sig[0] = sig[0] == '0' ? '1' : '0';
	snprintf(m->authz, sizeof(m->authz),
	    "AWS4-HMAC-SHA256 Credential=" AKID "/" SCOPE ", SignedHeaders=%s, Signature=%s",
	    signed_headers, sig);
	m->h[n++] = (struct auth_header){"Authorization", m->authz};
	m->rq.nheaders = n;
	buf_free(&creq);
	buf_free(&sts);
}

static int
verify(struct auth *a, struct many *m, struct auth_result *res)
{
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	rc = auth_verify(a, &m->rq, res, &e);
	jd_error_clear(&e);
	return rc;
}

/* issue 13: a valid signature after 64 other headers was refused by the REST
 * layer (it passed only the first 64); the verifier takes any number. */
TEST(regression_signature_after_64_headers)
{
	struct auth *a = auth_mem(AKID " " SECRET "\n");
	static struct many m;
	struct auth_result res;
	const size_t pads[] = {0, 63, 64, 65, 200, NMAX - 4};

	for (size_t i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		build(&m, pads[i], "{}", NULL, true);
		CHECK_EQ_INT(verify(a, &m, &res), 0);
		CHECK(res.verified);
		build(&m, pads[i], "{}", NULL, false);
		CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	}
	auth_destroy(a);
}

TEST(headers_only_declared_hash)
{
	struct auth *a = auth_mem(AKID " " SECRET "\n");
	static struct many m;
	struct auth_result res;
	char hash[65];

	auth__sha256_hex(hash, "{\"a\":1}", 7);
	/* declared and signed right: verified before the body */
	build(&m, 3, "{\"a\":1}", hash, true);
	m.rq.headers_only = true;
	m.rq.body = NULL;
	m.rq.body_len = 0;
	CHECK_EQ_INT(verify(a, &m, &res), 0);
	CHECK(res.verified);
	CHECK_EQ_STR(res.service, "iot");
	CHECK(auth_body_matches(hash, "{\"a\":1}", 7));
	CHECK(!auth_body_matches(hash, "{\"a\":2}", 7));
	CHECK(!auth_body_matches("", "", 0));
	/* declared, wrong signature: refused before the body */
	build(&m, 3, "{\"a\":1}", hash, false);
	m.rq.headers_only = true;
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	/* the same request with its body: as before */
	build(&m, 3, "{\"a\":1}", hash, true);
	CHECK_EQ_INT(verify(a, &m, &res), 0);
	build(&m, 3, "{\"a\":2}", hash, true);
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	auth_destroy(a);
}

/* fuzz_sigv4_early: a declared x-amz-content-sha256 that is not 64 lowercase
 * hex digits can match no body, so the whole request is refused with the hash
 * message; headers-only verification skipped it and answered for the key
 * instead (an unknown key gave UnrecognizedClient, not the signature error). */
TEST(regression_headers_only_malformed_declared_hash)
{
	struct auth *a = auth_mem(AKID " " SECRET "\n");
	static struct many m;
	struct auth_result res;
	const char *bad[] = {"\xb1", "UNSIGNED-PAYLOAD", "ABCDEF", ""};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build(&m, 3, "f", bad[i], true);
		CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
		m.rq.headers_only = true;
		m.rq.body = NULL;
		m.rq.body_len = 0;
		CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	}
	auth_destroy(a);
}

TEST(headers_only_precheck)
{
	struct auth *a = auth_mem(AKID " " SECRET "\n");
	static struct many m;
	struct auth_result res;

	/* no declared hash: all but the signature; a wrong one passes for now */
	build(&m, 0, "{\"a\":1}", NULL, false);
	m.rq.headers_only = true;
	CHECK_EQ_INT(verify(a, &m, &res), 0);
	CHECK(!res.verified);
	CHECK_EQ_STR(res.access_key, AKID);
	/* ...and is refused once the body is in */
	m.rq.headers_only = false;
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	/* a declared value that is no SHA-256 matches no body: refused at once,
	 * as the whole request is */
	build(&m, 0, "{}", "UNSIGNED-PAYLOAD", true);
	m.rq.headers_only = true;
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	m.rq.headers_only = false;
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	/* what fails without the body fails the same with headers only */
	build(&m, 0, "{}", NULL, true);
	m.rq.headers_only = true;
	m.rq.now_s = T0 + 3600;
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADSIG);
	m.rq.now_s = T0;
	m.h[m.rq.nheaders - 1].value =
	    "AWS4-HMAC-SHA256 Credential=NOSUCHKEY/" SCOPE ", SignedHeaders=host;x-amz-date, "
	    "Signature=0000000000000000000000000000000000000000000000000000000000000000";
	CHECK_EQ_INT(verify(a, &m, &res), JD_EBADKEY);
	m.rq.nheaders--; /* no Authorization */
	CHECK_EQ_INT(verify(a, &m, &res), JD_ENOAUTH);
	auth_destroy(a);
}

int
main(void)
{
	RUN(regression_signature_after_64_headers);
	RUN(headers_only_declared_hash);
	RUN(regression_headers_only_malformed_declared_hash);
	RUN(headers_only_precheck);
	return test_report();
}
