/*
 * sigv4.c: AWS Signature Version 4 verification, reproducing exactly what
 * botocore (and the other AWS SDKs) sign for a non-S3 service:
 *
 *   canonical request = METHOD \n
 *                       canonical URI (the raw wire path, dot and empty
 *                         segments removed, then URI-encoded once more:
 *                         /things/a%3Ab/jobs/$next -> /things/a%253Ab/jobs/%24next)
 *                       canonical query (names and values decoded, re-encoded,
 *                         sorted by name then value) \n
 *                       signed headers, each "name:trimmed value\n" \n
 *                       signed header names \n
 *                       hex sha256(body)
 *   string to sign    = AWS4-HMAC-SHA256 \n amz-date \n scope \n hex sha256(canonical request)
 *   signature         = hex HMAC(signing key, string to sign), the key being
 *                       the HMAC chain over date, region, service, aws4_request
 *
 * The signature comes from the Authorization header or from a presigned query
 * (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
 * X-Amz-SignedHeaders, X-Amz-Signature). Refusals use AWS's codes and words
 * and never reveal the expected signature, the canonical request or a secret.
 * Signing keys are cached per thread, keyed by (credentials table, key id,
 * date, region, service), so a reload invalidates them.
 * Headers only (rq->headers_only, before the body is read): with a declared
 * x-amz-content-sha256 the signature is checked over it and the caller checks
 * the body later (auth_body_matches); without one every check but the
 * signature runs, in the same order, so a refusal is the same either way.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include "auth/auth_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define MSG_BADSIG                                                                              \
	"The request signature we calculated does not match the signature you provided. Check " \
	"your AWS Secret Access Key and signing method. Consult the service documentation for " \
	"details."
#define MSG_BADKEY "The security token included in the request is invalid."
#define MSG_BADHASH "The provided 'x-amz-content-sha256' header does not match what was computed."

/* ---- encoding ------------------------------------------------------------- */

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~';
}

void
auth__uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			buf_putc(out, (char)c);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_append(out, esc, 3);
		}
	}
}

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

void
auth__pct_decode(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexv(s[i + 1])) >= 0 &&
		    (lo = hexv(s[i + 2])) >= 0) {
			buf_putc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_putc(out, s[i]);
		}
	}
}

void
auth__canonical_uri(struct buf *out, const char *path, size_t n)
{
	struct buf t = BUF_INIT;
	size_t nseg = 0;
	const char *p = path, *end = path + n;

	if (n == 0) {
		buf_putc(out, '/');
		return;
	}
	/* botocore's remove_dot_segments: also drops empty segments */
	while (p <= end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *se = slash ? slash : end;
		size_t sn = (size_t)(se - p);
		if (sn == 0 || (sn == 1 && p[0] == '.')) {
			/* skip */
		} else if (sn == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0) {
				while (t.len > 0 && t.p[t.len - 1] != '/')
					t.len--;
				if (t.len > 0)
					t.len--; /* the '/' before the popped segment */
				nseg--;
			}
		} else {
			if (nseg > 0)
				buf_putc(&t, '/');
			buf_append(&t, p, sn);
			nseg++;
		}
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (path[0] == '/')
		buf_putc(out, '/');
	auth__uri_encode(out, t.p ? t.p : "", t.len, true);
	if (path[n - 1] == '/' && nseg > 0)
		buf_putc(out, '/');
	buf_free(&t);
}

struct qpair {
	char *k; /* encoded, owned */
	char *v;
};

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c != 0 ? c : strcmp(x->v, y->v);
}

static char *
reencode(const char *s, size_t n)
{
	struct buf d = BUF_INIT, o = BUF_INIT;

	auth__pct_decode(&d, s, n);
	auth__uri_encode(&o, d.p ? d.p : "", d.len, false);
	buf_free(&d);
	if (o.p == NULL)
		return jd_strdup("");
	return buf_steal(&o);
}

void
auth__canonical_query(struct buf *out, const char *q, size_t n, bool presigned)
{
	struct qpair *v;
	size_t cap = 1, nv = 0;
	const char *p = q, *end = q + n;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		cap += q[i] == '&';
	v = jd_calloc(cap, sizeof(*v));
	for (;;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ke = eq ? eq : pe;
		char *k = reencode(p, (size_t)(ke - p));
		if (presigned && strcmp(k, "X-Amz-Signature") == 0) {
			free(k);
		} else {
			v[nv].k = k;
			v[nv].v = eq ? reencode(eq + 1, (size_t)(pe - eq - 1)) : jd_strdup("");
			nv++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	qsort(v, nv, sizeof(*v), qpair_cmp);
	for (size_t i = 0; i < nv; i++) {
		if (i > 0)
			buf_putc(out, '&');
		buf_puts(out, v[i].k);
		buf_putc(out, '=');
		buf_puts(out, v[i].v);
		free(v[i].k);
		free(v[i].v);
	}
	free(v);
}

static bool
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* botocore's ' '.join(value.split()) */
static void
put_trimall(struct buf *out, const char *s)
{
	bool first = true;

	while (*s) {
		while (*s && ws(*s))
			s++;
		if (*s == '\0')
			break;
		if (!first)
			buf_putc(out, ' ');
		first = false;
		while (*s && !ws(*s))
			buf_putc(out, *s++);
	}
}

static void
put_header(struct buf *out, const struct auth_request *rq, const char *name, size_t n)
{
	bool any = false;

	buf_append(out, name, n);
	buf_putc(out, ':');
	for (size_t i = 0; i < rq->nheaders; i++) {
		const char *h = rq->headers[i].name;
		if (strlen(h) != n || strncasecmp(h, name, n) != 0)
			continue;
		if (any)
			buf_putc(out, ',');
		any = true;
		put_trimall(out, rq->headers[i].value ? rq->headers[i].value : "");
	}
	buf_putc(out, '\n');
}

static void
canonical_request(struct buf *out, const struct auth_request *rq, const char *signed_headers,
    const char *payload_hash, bool presigned)
{
	const char *u = rq->raw_uri, *qm = strchr(u, '?');
	size_t plen = qm ? (size_t)(qm - u) : strlen(u);
	const char *h = signed_headers;

	buf_puts(out, rq->method);
	buf_putc(out, '\n');
	auth__canonical_uri(out, u, plen);
	buf_putc(out, '\n');
	if (qm != NULL)
		auth__canonical_query(out, qm + 1, strlen(qm + 1), presigned);
	buf_putc(out, '\n');
	while (*h) {
		const char *semi = strchr(h, ';');
		size_t n = semi ? (size_t)(semi - h) : strlen(h);
		put_header(out, rq, h, n);
		if (semi == NULL)
			break;
		h = semi + 1;
	}
	buf_putc(out, '\n');
	buf_puts(out, signed_headers);
	buf_putc(out, '\n');
	buf_puts(out, payload_hash);
}

void
auth__canonical_request(struct buf *out, const struct auth_request *rq, const char *signed_headers,
    const char *payload_hash)
{
	canonical_request(out, rq, signed_headers, payload_hash, false);
}

/* ---- hashing ------------------------------------------------------------- */

static void
to_hex(char *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * SHA-256 and HMAC-SHA256 on a digest context of the thread's own, kept
 * from one call to the next, with the algorithm fetched once: OpenSSL 3's
 * one-shot SHA256() and HMAC() fetch it and allocate contexts every call
 * (1.2-1.5 us an HMAC here, and locks shared by every thread; this way 0.3
 * us). The context goes with its thread (the key's destructor).
 */
static pthread_once_t sha_once = PTHREAD_ONCE_INIT;
static pthread_key_t sha_key;
static EVP_MD *sha_md;

static void
sha_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
sha_init(void)
{
	sha_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (sha_md == NULL || pthread_key_create(&sha_key, sha_ctx_free) != 0)
		abort(); /* libcrypto without SHA-256: nothing can be signed */
}

/* The thread's digest context, begun on SHA-256 */
static EVP_MD_CTX *
sha_begin(void)
{
	EVP_MD_CTX *ctx;

	pthread_once(&sha_once, sha_init);
	ctx = pthread_getspecific(sha_key);
	if (ctx == NULL) {
		if ((ctx = EVP_MD_CTX_new()) == NULL || pthread_setspecific(sha_key, ctx) != 0)
			abort(); /* out of memory */
	}
	if (EVP_DigestInit_ex2(ctx, sha_md, NULL) != 1)
		abort();
	return ctx;
}

static void
sha_end(EVP_MD_CTX *ctx, unsigned char md[SHA256_DIGEST_LENGTH])
{
	unsigned int n = SHA256_DIGEST_LENGTH;

	if (EVP_DigestFinal_ex(ctx, md, &n) != 1)
		abort();
}

void
auth__sha256_hex(char hex[65], const void *p, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *ctx = sha_begin();

	EVP_DigestUpdate(ctx, p != NULL ? p : (const void *)"", n);
	sha_end(ctx, md);
	to_hex(hex, md, sizeof(md));
}

void
auth__string_to_sign(struct buf *out, const char *amz_date, const char *scope, const char *creq,
    size_t n)
{
	char hex[65];

	auth__sha256_hex(hex, creq, n);
	buf_puts(out, ALGORITHM "\n");
	buf_puts(out, amz_date);
	buf_putc(out, '\n');
	buf_puts(out, scope);
	buf_putc(out, '\n');
	buf_puts(out, hex);
}

/* RFC 2104 over the thread's context (above) */
void
auth_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
    unsigned char out[AUTH_HMAC_SHA256_SIZE])
{
	unsigned char k[64], pad[64], inner[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *ctx;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k)) {
		ctx = sha_begin();
		EVP_DigestUpdate(ctx, key, keylen);
		sha_end(ctx, k);
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	ctx = sha_begin();
	EVP_DigestUpdate(ctx, pad, sizeof(pad));
	EVP_DigestUpdate(ctx, msg, n);
	sha_end(ctx, inner);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	ctx = sha_begin();
	EVP_DigestUpdate(ctx, pad, sizeof(pad));
	EVP_DigestUpdate(ctx, inner, sizeof(inner));
	sha_end(ctx, out);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
}

bool
auth_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static void
hmac(unsigned char out[32], const void *key, size_t klen, const char *msg, size_t n)
{
	auth_hmac_sha256(key, klen, msg, n, out);
}

void
auth__signing_key(unsigned char key[32], const char *secret, const char *date, const char *region,
    const char *service)
{
	char k0[4 + JD_AUTH_SECRET_MAX + 1];
	size_t sl = strlen(secret);
	unsigned char a[32], b[32];

	if (sl > JD_AUTH_SECRET_MAX)
		sl = JD_AUTH_SECRET_MAX;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, secret, sl);
	hmac(a, k0, 4 + sl, date, strlen(date));
	hmac(b, a, 32, region, strlen(region));
	hmac(a, b, 32, service, strlen(service));
	hmac(key, a, 32, "aws4_request", 12);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
}

void
auth__signature(char hex[65], const unsigned char key[32], const char *sts, size_t n)
{
	unsigned char md[32];

	hmac(md, key, 32, sts, n);
	to_hex(hex, md, sizeof(md));
}

/* ---- dates --------------------------------------------------------------- */

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int
auth__parse_amz_date(const char *s, int64_t *out)
{
	struct tm tm;
	time_t t;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || !digits(s, 8) || !digits(s + 9, 6))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year =
	    (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
	tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
	tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
	tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

void
auth__fmt_amz_date(char out[17], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- request parsing ----------------------------------------------------- */

/* The parts of a signature, from the header or the presigned query. */
struct sigparams {
	bool presigned;
	char id[JD_AUTH_KEY_ID_MAX + 1];
	char date[9];
	char region[32];
	char service[32];
	char amz_date[17];
	char signed_headers[1024];
	char signature[65];
	int64_t expires;
	const char *date_header; /* "x-amz-date" or "date": must be signed */
};

static const char *
header(const struct auth_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value ? rq->headers[i].value : "";
	return NULL;
}

/* Decoded value of query parameter name; 1 found, 0 absent, -1 too long. */
static int
query_param(const struct auth_request *rq, const char *name, char *dst, size_t dsz)
{
	const char *q = strchr(rq->raw_uri, '?');
	int rc = 0;

	if (q == NULL)
		return 0;
	q++;
	while (*q) {
		const char *amp = strchr(q, '&');
		const char *pe = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(pe - q));
		struct buf k = BUF_INIT;
		auth__pct_decode(&k, q, (size_t)((eq ? eq : pe) - q));
		if (k.len == strlen(name) && memcmp(k.p, name, k.len) == 0) {
			struct buf v = BUF_INIT;
			if (eq != NULL)
				auth__pct_decode(&v, eq + 1, (size_t)(pe - eq - 1));
			rc = v.len < dsz ? 1 : -1;
			if (rc == 1) {
				if (v.len)
					memcpy(dst, v.p, v.len);
				dst[v.len] = '\0';
			}
			buf_free(&v);
		}
		buf_free(&k);
		if (rc != 0 || amp == NULL)
			break;
		q = amp + 1;
	}
	return rc;
}

static bool
presign_present(const struct auth_request *rq)
{
	char tmp[8];

	return query_param(rq, "X-Amz-Signature", tmp, sizeof(tmp)) != 0 ||
	    query_param(rq, "X-Amz-Credential", tmp, sizeof(tmp)) != 0 ||
	    query_param(rq, "X-Amz-Algorithm", tmp, sizeof(tmp)) != 0;
}

/* Copy v[0..n) into dst[dsz]; false when it does not fit. */
static bool
take(char *dst, size_t dsz, const char *v, size_t n)
{
	if (n >= dsz)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static int
split_credential(const char *cred, struct sigparams *sp, struct jd_error *e)
{
	const char *f[5], *p = cred;
	size_t len[5];
	int n = 0;

	while (n < 5) {
		const char *slash = strchr(p, '/');
		f[n] = p;
		len[n] = slash ? (size_t)(slash - p) : strlen(p);
		n++;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (n != 5 || strchr(f[4], '/') != NULL || !take(sp->id, sizeof(sp->id), f[0], len[0]) ||
	    len[0] == 0)
		return jd_error_set(e, JD_EINCOMPLETE,
		    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term");
	if (len[4] != 12 || strncmp(f[4], "aws4_request", 12) != 0)
		return jd_error_set(e, JD_EBADSIG,
		    "Credential should be scoped with a valid terminator: 'aws4_request'.");
	if (len[1] != 8 || !digits(f[1], 8) || !take(sp->date, sizeof(sp->date), f[1], len[1]))
		return jd_error_set(e, JD_EBADSIG, "Credential should be scoped to a valid date.");
	if (len[2] == 0 || !take(sp->region, sizeof(sp->region), f[2], len[2]))
		return jd_error_set(e, JD_EBADSIG,
		    "Credential should be scoped to a valid region.");
	for (const char *r = sp->region; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return jd_error_set(e, JD_EBADSIG,
			    "Credential should be scoped to a valid region.");
	if (!take(sp->service, sizeof(sp->service), f[3], len[3]) ||
	    (strcmp(sp->service, "iot") != 0 && strcmp(sp->service, "iot-jobs-data") != 0))
		return jd_error_set(e, JD_EBADSIG,
		    "Credential should be scoped to correct service: 'iot'");
	return 0;
}

/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." */
static int
parse_header(const char *h, struct sigparams *sp, struct jd_error *e)
{
	char cred[JD_AUTH_KEY_ID_MAX + 80];
	bool have_cred = false, have_sh = false, have_sig = false;
	const char *p = h;
	size_t al = strlen(ALGORITHM);

	while (ws(*p))
		p++;
	if (strncmp(p, ALGORITHM, al) != 0 || !(p[al] == ' ' || p[al] == '\t'))
		return jd_error_set(e, JD_EINCOMPLETE,
		    "Authorization header requires 'Credential' parameter. Authorization header requires "
		    "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.");
	p += al;
	while (*p) {
		const char *k, *eq, *v, *ve;
		while (*p == ',' || ws(*p))
			p++;
		if (*p == '\0')
			break;
		k = p;
		eq = strchr(p, '=');
		if (eq == NULL)
			return jd_error_set(e, JD_EINCOMPLETE,
			    "Invalid key=value pair (missing equal-sign) in Authorization header");
		v = eq + 1;
		ve = strchr(v, ',');
		if (ve == NULL)
			ve = v + strlen(v);
		p = ve;
		while (ve > v && ws(ve[-1]))
			ve--;
		size_t kn = (size_t)(eq - k), vn = (size_t)(ve - v);
		bool fits = true;
		if (kn == 10 && strncmp(k, "Credential", 10) == 0) {
			fits = take(cred, sizeof(cred), v, vn);
			have_cred = true;
		} else if (kn == 13 && strncmp(k, "SignedHeaders", 13) == 0) {
			fits = take(sp->signed_headers, sizeof(sp->signed_headers), v, vn);
			have_sh = true;
		} else if (kn == 9 && strncmp(k, "Signature", 9) == 0) {
			/* a wrong length can never match: keep a prefix, compare fails */
			take(sp->signature, sizeof(sp->signature), v, vn < 64 ? vn : 64);
			if (vn != 64)
				sp->signature[0] = '\0';
			have_sig = true;
		}
		if (!fits)
			return jd_error_set(e, JD_EINCOMPLETE, "Authorization header is too long");
	}
	if (!have_cred || !have_sh || !have_sig)
		return jd_error_set(e, JD_EINCOMPLETE, "%s%s%s",
		    have_cred ? "" : "Authorization header requires 'Credential' parameter. ",
		    have_sig ? "" : "Authorization header requires 'Signature' parameter. ",
		    have_sh ? "" : "Authorization header requires 'SignedHeaders' parameter. ");
	return split_credential(cred, sp, e);
}

static int
parse_presigned(const struct auth_request *rq, struct sigparams *sp, struct jd_error *e)
{
	char alg[32], cred[JD_AUTH_KEY_ID_MAX + 80], exp[16], sig[80];
	int ra = query_param(rq, "X-Amz-Algorithm", alg, sizeof(alg));
	int rc = query_param(rq, "X-Amz-Credential", cred, sizeof(cred));
	int rd = query_param(rq, "X-Amz-Date", sp->amz_date, sizeof(sp->amz_date));
	int rh =
	    query_param(rq, "X-Amz-SignedHeaders", sp->signed_headers, sizeof(sp->signed_headers));
	int rs = query_param(rq, "X-Amz-Signature", sig, sizeof(sig));
	int rx = query_param(rq, "X-Amz-Expires", exp, sizeof(exp));
	int64_t x = 0;

	sp->presigned = true;
	if (ra != 1 || rc != 1 || rd != 1 || rh != 1 || rs != 1 || rx != 1)
		return jd_error_set(e, JD_EINCOMPLETE,
		    "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "
		    "'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'.");
	if (strcmp(alg, ALGORITHM) != 0)
		return jd_error_set(e, JD_EINCOMPLETE,
		    "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
	if (strlen(exp) == 0 || strlen(exp) > 7 || !digits(exp, strlen(exp)) ||
	    (x = strtoll(exp, NULL, 10)) < 1 || x > JD_AUTH_EXPIRES_MAX)
		return jd_error_set(e, JD_EINCOMPLETE,
		    "X-Amz-Expires must be a number of seconds between 1 and 604800 (a week).");
	sp->expires = x;
	if (strlen(sig) == 64)
		memcpy(sp->signature, sig, 65);
	return split_credential(cred, sp, e);
}

static bool
has_signed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		const char *semi = strchr(p, ';');
		size_t l = semi ? (size_t)(semi - p) : strlen(p);
		if (l == n && strncasecmp(p, name, n) == 0)
			return true;
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	return false;
}

/* 64 lower-case hex digits: what auth__sha256_hex() writes. */
static bool
hex64(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')) || n >= 64)
			return false;
	return n == 64;
}

bool
auth_body_matches(const char *declared, const void *body, size_t n)
{
	char hex[65];

	auth__sha256_hex(hex, body, n);
	return strlen(declared) == 64 && CRYPTO_memcmp(hex, declared, 64) == 0;
}

/* ---- signing-key cache ---------------------------------------------------- */

struct keycache {
	const struct auth *a;
	uint64_t generation;
	char id[JD_AUTH_KEY_ID_MAX + 1];
	char date[9];
	char region[32];
	char service[32];
	unsigned char key[32];
};

#define KEYCACHE_N 4
static _Thread_local struct keycache keycache[KEYCACHE_N];
static _Thread_local unsigned keycache_next;

/* Signing key for sp under the read lock held by the caller; false when the
 * key id is unknown. */
static bool
signing_key(const struct auth *a, const struct auth__table *t, const struct sigparams *sp,
    unsigned char key[32])
{
	const struct auth__cred *c;
	struct keycache *k;

	for (int i = 0; i < KEYCACHE_N; i++) {
		k = &keycache[i];
		if (k->a == a && k->generation == t->generation && strcmp(k->id, sp->id) == 0 &&
		    strcmp(k->date, sp->date) == 0 && strcmp(k->region, sp->region) == 0 &&
		    strcmp(k->service, sp->service) == 0) {
			memcpy(key, k->key, 32);
			return true;
		}
	}
	if ((c = auth__table_find(t, sp->id)) == NULL)
		return false;
	auth__signing_key(key, c->secret, sp->date, sp->region, sp->service);
	k = &keycache[keycache_next++ % KEYCACHE_N];
	k->a = a;
	k->generation = t->generation;
	memcpy(k->id, sp->id, sizeof(k->id));
	memcpy(k->date, sp->date, sizeof(k->date));
	memcpy(k->region, sp->region, sizeof(k->region));
	memcpy(k->service, sp->service, sizeof(k->service));
	memcpy(k->key, key, 32);
	return true;
}

/* ---- verification --------------------------------------------------------- */

static int
check_time(const struct sigparams *sp, int64_t t, int64_t now, struct jd_error *e)
{
	char a[17], b[17], c[17];
	int64_t earliest = now - JD_AUTH_SKEW_S;

	if (sp->presigned) {
		if (t + sp->expires < now) {
			auth__fmt_amz_date(a, t + sp->expires);
			auth__fmt_amz_date(b, now);
			return jd_error_set(e, JD_EBADSIG,
			    "Signature expired: %s is now earlier than %s.", a, b);
		}
		earliest = t; /* only the future skew applies below */
	}
	if (t < earliest) {
		auth__fmt_amz_date(a, t);
		auth__fmt_amz_date(b, earliest);
		auth__fmt_amz_date(c, now);
		return jd_error_set(e, JD_EBADSIG,
		    "Signature expired: %s is now earlier than %s (%s - 15 min.)", a, b, c);
	}
	if (t > now + JD_AUTH_SKEW_S) {
		auth__fmt_amz_date(a, t);
		auth__fmt_amz_date(b, now + JD_AUTH_SKEW_S);
		auth__fmt_amz_date(c, now);
		return jd_error_set(e, JD_EBADSIG,
		    "Signature not yet current: %s is still later than %s (%s + 15 min.)", a, b, c);
	}
	return 0;
}

/* x-amz-date, else an RFC 1123 Date header, as "YYYYMMDDTHHMMSSZ". */
static int
request_date(const struct auth_request *rq, struct sigparams *sp, int64_t *t, struct jd_error *e)
{
	const char *xd = header(rq, "x-amz-date"), *d = header(rq, "date");

	if (xd != NULL) {
		sp->date_header = "x-amz-date";
		if (strlen(xd) != 16 || auth__parse_amz_date(xd, t) != 0)
			return jd_error_set(e, JD_EINCOMPLETE,
			    "Date must be in ISO-8601 'basic format' (YYYYMMDD'T'HHMMSS'Z').");
		memcpy(sp->amz_date, xd, 17);
		return 0;
	}
	if (d != NULL) {
		struct tm tm;
		const char *end;
		memset(&tm, 0, sizeof(tm));
		end = strptime(d, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		sp->date_header = "date";
		if (end == NULL || *end != '\0')
			return jd_error_set(e, JD_EINCOMPLETE,
			    "Date header must be an RFC 1123 date in GMT.");
		*t = (int64_t)timegm(&tm);
		auth__fmt_amz_date(sp->amz_date, *t);
		return 0;
	}
	return jd_error_set(e, JD_EINCOMPLETE,
	    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
}

int
auth_verify(struct auth *a, const struct auth_request *rq, struct auth_result *res,
    struct jd_error *e)
{
	struct sigparams sp;
	const char *authz = header(rq, "authorization"), *csha;
	struct buf creq = BUF_INIT, sts = BUF_INIT;
	char body_hash[65], scope[128], want[65] = "";
	unsigned char key[32];
	int64_t t = 0;
	bool known, declared = false;
	int rc;

	memset(&sp, 0, sizeof(sp));
	memset(res, 0, sizeof(*res));
	if (authz != NULL) {
		if ((rc = parse_header(authz, &sp, e)) != 0)
			goto out;
		if ((rc = request_date(rq, &sp, &t, e)) != 0)
			goto out;
		if (!has_signed(sp.signed_headers, sp.date_header)) {
			rc = jd_error_set(e, JD_EINCOMPLETE,
			    "'%s' must be a 'SignedHeader' in the AWS Authorization.",
			    strcmp(sp.date_header, "date") == 0 ? "Date" : "X-Amz-Date");
			goto out;
		}
	} else if (presign_present(rq)) {
		if ((rc = parse_presigned(rq, &sp, e)) != 0)
			goto out;
		if (auth__parse_amz_date(sp.amz_date, &t) != 0) {
			rc = jd_error_set(e, JD_EINCOMPLETE,
			    "X-Amz-Date must be in ISO-8601 'basic format' (YYYYMMDD'T'HHMMSS'Z').");
			goto out;
		}
	} else {
		rc = jd_error_set(e, JD_ENOAUTH, "Missing Authentication Token");
		goto out;
	}
	if (!has_signed(sp.signed_headers, "host")) {
		rc = jd_error_set(e, JD_EINCOMPLETE,
		    "'Host' must be a 'SignedHeader' in the AWS Authorization.");
		goto out;
	}
	if (strncmp(sp.amz_date, sp.date, 8) != 0) {
		rc = jd_error_set(e, JD_EBADSIG,
		    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
		    "HTTP: '%s' != '%.8s', from '%s'.",
		    sp.date, sp.amz_date, sp.amz_date);
		goto out;
	}
	if ((rc = check_time(&sp, t, rq->now_s, e)) != 0)
		goto out;
	if (header(rq, "x-amz-security-token") != NULL) {
		/* no temporary credentials here */
		rc = jd_error_set(e, JD_EBADKEY, MSG_BADKEY);
		goto out;
	}
	csha = sp.presigned ? NULL : header(rq, "x-amz-content-sha256");
	if (rq->headers_only) {
		/* the body is not here: only a declared hash lets the signature
		 * be checked now */
		declared = csha != NULL && hex64(csha);
		if (csha != NULL && !declared) {
			/* no body hashes to that: refused as the whole request would be */
			rc = jd_error_set(e, JD_EBADSIG, MSG_BADHASH);
			goto out;
		}
		if (declared)
			memcpy(body_hash, csha, 65);
	} else {
		auth__sha256_hex(body_hash, rq->body, rq->body_len);
		if (csha != NULL && strcmp(csha, body_hash) != 0) {
			rc = jd_error_set(e, JD_EBADSIG, MSG_BADHASH);
			goto out;
		}
	}
	pthread_rwlock_rdlock(&a->lock);
	known = signing_key(a, a->table, &sp, key);
	pthread_rwlock_unlock(&a->lock);
	if (!known) {
		rc = jd_error_set(e, JD_EBADKEY, MSG_BADKEY);
		goto out;
	}
	if (rq->headers_only && !declared) {
		/* all but the signature passed; the caller verifies again with
		 * the body */
		OPENSSL_cleanse(key, sizeof(key));
		jd_strlcpy(res->access_key, sp.id, sizeof(res->access_key));
		jd_strlcpy(res->region, sp.region, sizeof(res->region));
		jd_strlcpy(res->service, sp.service, sizeof(res->service));
		rc = 0;
		goto out;
	}
	canonical_request(&creq, rq, sp.signed_headers, body_hash, sp.presigned);
	snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", sp.date, sp.region, sp.service);
	auth__string_to_sign(&sts, sp.amz_date, scope, creq.p, creq.len);
	auth__signature(want, key, sts.p, sts.len);
	OPENSSL_cleanse(key, sizeof(key));
	if (strlen(sp.signature) != 64 || CRYPTO_memcmp(want, sp.signature, 64) != 0) {
		rc = jd_error_set(e, JD_EBADSIG, MSG_BADSIG);
		goto out;
	}
	jd_strlcpy(res->access_key, sp.id, sizeof(res->access_key));
	jd_strlcpy(res->region, sp.region, sizeof(res->region));
	jd_strlcpy(res->service, sp.service, sizeof(res->service));
	res->verified = true;
	rc = 0;
out:
	OPENSSL_cleanse(want, sizeof(want));
	buf_free(&creq);
	buf_free(&sts);
	return rc;
}
