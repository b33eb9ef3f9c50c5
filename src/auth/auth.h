/*
 * auth.h: request authentication (D18) and throttling (D19).
 *
 * SigV4 verification: a struct auth holds the credentials read from a file
 * (one `ACCESS_KEY_ID SECRET` pair per line) and checks a request exactly as
 * the AWS SDKs sign it, either from the Authorization header or from a
 * presigned query (X-Amz-Credential, X-Amz-Signature, ...). The credential
 * table is immutable and swapped whole under a rwlock by auth_reload(), so
 * SIGHUP can rotate keys while requests are being verified.
 *
 * Throttling: one token bucket per operation (GCRA on one atomic word, no
 * lock), with rates from a preset (AWS's published table, spec §11) and
 * per-operation overrides. It knows nothing about HTTP: the REST layer and
 * the MQTT bridge both call auth_throttle_take() with the operation name.
 *
 * Depends on util/ only (and OpenSSL libcrypto).
 */
#ifndef JD_AUTH_AUTH_H
#define JD_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define JD_AUTH_KEY_ID_MAX 128        /* access key id length */
#define JD_AUTH_SECRET_MAX 256        /* secret access key length */
#define JD_AUTH_KEYS_MAX 10000        /* pairs in one credentials file */
#define JD_AUTH_SKEW_S (15 * 60)      /* accepted |x-amz-date - now| */
#define JD_AUTH_EXPIRES_MAX 604800    /* presigned X-Amz-Expires, 7 days */
#define JD_AUTH_SIGNED_HEADERS_MAX 32 /* names in SignedHeaders */

/* ---- SigV4 --------------------------------------------------------------- */

struct auth;

/* One request header as received (borrowed). Names compare case-insensitively. */
struct auth_header {
	const char *name;
	const char *value;
};

/* What auth_verify() looks at; every pointer is borrowed. */
struct auth_request {
	const char *method;  /* "GET", ... as received */
	const char *raw_uri; /* path[?query] exactly as on the wire, not unescaped */
	const struct auth_header *headers;
	size_t nheaders;
	const void *body; /* the whole body (may be NULL when body_len is 0) */
	size_t body_len;
	int64_t now_s; /* REAL wall clock, epoch seconds (never the test clock) */
	/* true: the body has not been read yet (body, body_len unused), see
	 * auth_verify(); false (zero): the whole body is in body */
	bool headers_only;
};

/* What a verified request was signed for. */
struct auth_result {
	char access_key[JD_AUTH_KEY_ID_MAX + 1];
	char region[32];
	char service[32]; /* "iot" or "iot-jobs-data" */
	/* headers_only: true when the signature was checked, over the declared
	 * x-amz-content-sha256 (then the caller must check the body against
	 * it with auth_body_matches()); false when only everything else was.
	 * Always true for a whole-body verification that succeeded. */
	bool verified;
};

/*
 * Read the credentials file at path (copied) and build a verifier.
 * File format: one pair per line, `ACCESS_KEY_ID SECRET_ACCESS_KEY`
 * separated by blanks; blank lines and lines starting with '#' are ignored.
 * Key ids are 3..128 characters of [A-Za-z0-9_.-]; secrets 1..256
 * printable characters without blanks; a repeated key id is an error.
 * Returns 0 and *out (owned, auth_destroy), or JD_EINVAL with a message
 * that never contains a secret.
 */
int auth_create(const char *path, struct auth **out, struct jd_error *e);
/* Re-read the file. On error the old table stays in force and JD_EINVAL is
 * returned. Safe while other threads verify. */
int auth_reload(struct auth *a, struct jd_error *e);
/* Number of key pairs in force. */
size_t auth_key_count(struct auth *a);
/* Whether access_key is in force and marked `admin` (a third column in the
 * credentials file, after the secret): only such keys may call the test-rig
 * endpoints with auth on. Thread-safe. */
bool auth_key_admin(struct auth *a, const char *access_key);
/* Number of admin keys in force. */
size_t auth_admin_count(struct auth *a);
/* Wipe every secret and free. NULL-safe. */
void auth_destroy(struct auth *a);

/*
 * Verify a SigV4-signed request. Returns 0 and fills *res, or fails with
 * the AWS code in e (message as AWS words it, never a secret or the
 * expected signature):
 *   JD_ENOAUTH      no Authorization header and no presigned query
 *                   (403 MissingAuthenticationTokenException)
 *   JD_EINCOMPLETE  Authorization not parseable as AWS4-HMAC-SHA256, or
 *                   a required part missing (403 IncompleteSignatureException)
 *   JD_EBADKEY      unknown access key id (403 UnrecognizedClientException)
 *   JD_EBADSIG      wrong signature, wrong service/terminator in the scope,
 *                   scope date != request date, date outside ±15 minutes,
 *                   expired presigned URL (403 InvalidSignatureException)
 * With rq->headers_only (authenticate before buffering the body): a request
 * signed in its Authorization header that declares its body's hash in
 * x-amz-content-sha256 (64 lower-case hex digits) is verified in full over
 * that hash (res->verified); any other request gets every check but the
 * signature itself, the key id included (res->verified false: verify again
 * with the body). Either way a refusal here is the one the whole request
 * would get. Thread-safe.
 */
int auth_verify(struct auth *a, const struct auth_request *rq, struct auth_result *res,
    struct jd_error *e);
/* Whether sha256(body[n]) is declared (a hex digest verified by a
 * headers_only auth_verify()). */
bool auth_body_matches(const char *declared, const void *body, size_t n);

/* ---- primitives for other modules (OpenSSL stays inside auth/) ---------- */

#define AUTH_HMAC_SHA256_SIZE 32

/* HMAC-SHA256 of msg[n] under key[keylen] into out. Never fails. */
void auth_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
    unsigned char out[AUTH_HMAC_SHA256_SIZE]);
/* Whether a[n] and b[n] are equal, in time that depends on n only (for
 * comparing MACs). */
bool auth_equal(const void *a, const void *b, size_t n);

/* ---- outgoing credentials and S3 signing (D27; outgoing.c, s3sign.c) ----- */

#define JD_AUTH_ROLE_ARN_MAX 2048 /* presignedUrlConfig.roleArn length */
#define JD_AUTH_S3_URL_MAX 2048   /* an S3 URL jobsd signs (documentSource, placeholder) */
#define JD_AUTH_OUT_MAX 10000     /* entries in one outgoing credentials file */

/* An S3 object URL, split (every member NUL-terminated, borrowed from nothing). */
struct auth_s3_url {
	bool https;
	char host[256]; /* lower-case host name (IPv6 without brackets) */
	char authority
	    [272]; /* the Host header: host, or host:port when the port is not the scheme's default */
	int port; /* the port to connect to */
	char path[JD_AUTH_S3_URL_MAX +
	    1]; /* canonical path: each byte decoded, then encoded as botocore does */
	char query[JD_AUTH_S3_URL_MAX + 1]; /* raw query without '?', "" for none */
	char region[32];                    /* named by an AWS S3 host name; "" otherwise */
};

/*
 * Split url[0..n) (http:// or https://, an authority with an optional port,
 * a path naming a bucket and a key) into *out. AWS forms: s3.amazonaws.com,
 * s3.REGION.amazonaws.com, s3-REGION.amazonaws.com and their virtual-hosted
 * BUCKET. forms (then the key alone is the path); any other host is an
 * S3-compatible store addressed path-style (/BUCKET/KEY). Returns 0, or -1
 * (out unspecified) when url is not such a URL: no user info, no fragment,
 * no control or blank characters, a key that is not empty.
 */
int auth_s3_url_parse(const char *url, size_t n, struct auth_s3_url *out);

/* Role ARN -> static key pair, read from a file (D27). */
struct auth_out;

/*
 * Read the outgoing credentials file at path: one entry per line,
 * `ROLE_ARN ACCESS_KEY_ID SECRET_ACCESS_KEY [REGION]`, where ROLE_ARN is an
 * ARN (arn:...) or the word `default` (the entry for every role not listed,
 * and for documentSource); '#' comments and blank lines ignored; a repeated
 * role is an error. REGION names the region signed for when the URL's host
 * names none (default us-east-1). Returns 0 and *out (owned), or JD_EINVAL
 * with a message naming the file and line, never a secret.
 */
int auth_out_create(const char *path, struct auth_out **out, struct jd_error *e);
/* Parse the text of such a file (where names it in messages). For tests
 * and the fuzzer: same result as auth_out_create on a file holding it. */
int auth_out_parse(const char *text, size_t n, const char *where, struct auth_out **out,
    struct jd_error *e);
/* Re-read the file; on error the entries in force stay and JD_EINVAL is
 * returned. Safe while other threads sign. */
int auth_out_reload(struct auth_out *o, struct jd_error *e);
/* Entries in force (default included). */
size_t auth_out_count(struct auth_out *o);
/* Whether role_arn (NULL: the default entry) has credentials: its own, or
 * the default entry's. NULL o: false. Thread-safe. */
bool auth_out_has(struct auth_out *o, const char *role_arn);
/* Wipe every secret and free. NULL-safe. */
void auth_out_destroy(struct auth_out *o);

/*
 * Append to out the SigV4 query-presigned GET of url[0..n) (service s3,
 * X-Amz-SignedHeaders=host, UNSIGNED-PAYLOAD), byte for byte as botocore's
 * generate_presigned_url writes it: the URL's own query first, then
 * X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
 * -Signature. Signed for role_arn's credentials (NULL: default) at now_s,
 * valid for expires_s seconds. JD_EINVAL when url is not an S3 URL or the
 * role has no credentials; out is then unchanged. Thread-safe.
 */
int auth_out_presign(struct auth_out *o, const char *role_arn, const char *url, size_t n,
    int64_t now_s, int64_t expires_s, struct buf *out, struct jd_error *e);

/* The headers of a signed S3 GetObject (auth_out_sign_get). */
struct auth_s3_signed {
	char amz_date[17];       /* x-amz-date */
	char content_sha256[65]; /* x-amz-content-sha256: the empty body's hash */
	char authorization[512];
};

/*
 * Sign a GET of u (host, x-amz-content-sha256 and x-amz-date signed) with
 * role_arn's credentials (NULL: default) at now_s, as botocore's
 * S3SigV4Auth signs a GetObject without a body. JD_EINVAL when the role
 * has no credentials. Thread-safe.
 */
int auth_out_sign_get(struct auth_out *o, const char *role_arn, const struct auth_s3_url *u,
    int64_t now_s, struct auth_s3_signed *out, struct jd_error *e);

/* ---- throttling (D19) ---------------------------------------------------- */

struct auth_throttle;

/*
 * Build the buckets. preset: "off" (no limits) or "aws" (spec §11: 10 TPS
 * for most control-plane operations, DescribeThing 350, ..., and two shared
 * data-plane buckets of 200). rates: NULL/"" or "Op=TPS[,Op=TPS...]",
 * overriding the preset per bucket; TPS is a decimal > 0 (0 = unlimited).
 * Bucket names are the control-plane operation names of the route table
 * plus DataPlaneRead (GetPendingJobExecutions + DescribeJobExecution, HTTP
 * and MQTT) and DataPlaneWrite (StartNextPendingJobExecution +
 * UpdateJobExecution). The burst is one second's worth (at least 1).
 * Returns 0 and *out (owned; NULL when nothing is limited), or JD_EINVAL.
 */
int auth_throttle_create(const char *preset, const char *rates, struct auth_throttle **out,
    struct jd_error *e);
/*
 * Take one token for operation op on plane (JD_PLANE_CONTROL: op is the
 * control-plane operation name; JD_PLANE_DATA: the data-plane operation
 * name, for HTTP and MQTT alike). Returns 0 when allowed, JD_ETHROTTLED
 * when over the rate. t NULL or op unknown: always 0. Lock-free; uses the
 * real monotonic clock.
 */
int auth_throttle_take(struct auth_throttle *t, enum jd_plane plane, const char *op);
/* NULL-safe. */
void auth_throttle_destroy(struct auth_throttle *t);

#endif
