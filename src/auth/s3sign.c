/*
 * s3sign.c: S3 URLs and the two ways jobsd signs for S3 (D27), both byte for
 * byte as botocore does, built on sigv4.c's canonical pieces:
 *
 *   - auth_out_presign(): the query-presigned GET that replaces a
 *     ${aws:iot:s3-presigned-url:URL} placeholder (botocore's
 *     S3SigV4QueryAuth: SignedHeaders=host, UNSIGNED-PAYLOAD, the auth
 *     parameters after the URL's own query);
 *   - auth_out_sign_get(): the Authorization header of the GetObject that
 *     reads a documentSource (botocore's S3SigV4Auth on a bodiless GET: host,
 *     x-amz-content-sha256 = the empty body's hash, x-amz-date).
 *
 * S3 paths are not normalised (no dot-segment removal, no second encoding,
 * unlike the iot services): the canonical path is the URL's path decoded
 * once and encoded as botocore quotes a key ('/' and RFC 3986 unreserved
 * kept), and that same path is what jobsd sends or hands out, so the
 * request and its signature agree. The region is the one an AWS S3 host
 * name carries (s3.REGION..., s3-REGION...; the global s3.amazonaws.com is
 * us-east-1), else the credentials entry's, else us-east-1.
 */
#include "auth/auth_out_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define UNSIGNED "UNSIGNED-PAYLOAD"
#define PLACEHOLDER_REGION "us-east-1"

/* ---- URLs ------------------------------------------------------------------ */

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* The bytes a path or query may hold: no control, blank, '"', '\\', '#'
 * (the URL is spliced into JSON strings and request lines as it is). */
static bool
url_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '"' && c != '\\' && c != '#' && c < 0x80;
}

static bool
has_suffix(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n > k && memcmp(s + n - k, suf, k) == 0 && s[n - k - 1] == '.';
}

/*
 * For an AWS S3 host name: *virt (a bucket is in the host) and the region
 * into region (may stay "" for none named). Returns false for any other
 * host (an S3-compatible store, path style).
 */
static bool
aws_host(const char *h, char region[32], bool *virt)
{
	size_t n = strlen(h), base;
	const char *s3 = NULL, *p, *label, *end;

	if (has_suffix(h, n, "amazonaws.com"))
		base = n - strlen(".amazonaws.com");
	else if (has_suffix(h, n, "amazonaws.com.cn"))
		base = n - strlen(".amazonaws.com.cn");
	else
		return false;
	/* the rightmost label "s3" or "s3-..." of h[0..base) */
	for (p = h; p < h + base; p = end + 1) {
		end = memchr(p, '.', (size_t)(h + base - p));
		if (end == NULL)
			end = h + base;
		if ((end - p == 2 && memcmp(p, "s3", 2) == 0) ||
		    (end - p > 3 && memcmp(p, "s3-", 3) == 0))
			s3 = p;
	}
	if (s3 == NULL)
		return false;
	*virt = s3 > h;
	region[0] = '\0';
	if (s3[2] == '-') { /* s3-REGION, s3-external-1 */
		end = memchr(s3, '.', (size_t)(h + base - s3));
		if (end == NULL)
			end = h + base;
		label = s3 + 3;
		if ((size_t)(end - label) < 32)
			snprintf(region, 32, "%.*s", (int)(end - label), label);
		if (strcmp(region, "external-1") == 0)
			strcpy(region, "us-east-1");
		return true;
	}
	/* s3[.dualstack][.REGION]: the last label that is not "dualstack" */
	for (p = s3 + 2; p < h + base; p = end) {
		label = p + 1;
		end = memchr(label, '.', (size_t)(h + base - label));
		if (end == NULL)
			end = h + base;
		if (!(end - label == 9 && memcmp(label, "dualstack", 9) == 0) &&
		    (size_t)(end - label) < 32)
			snprintf(region, 32, "%.*s", (int)(end - label), label);
	}
	if (region[0] == '\0')
		strcpy(region, "us-east-1");
	return true;
}

static int
parse_authority(const char *a, size_t n, struct auth_s3_url *out)
{
	const char *h = a, *he, *colon = NULL;
	long port = 0;

	if (n == 0 || memchr(a, '@', n) != NULL)
		return -1;
	if (a[0] == '[') {
		he = memchr(a, ']', n);
		if (he == NULL || he == a + 1)
			return -1;
		h = a + 1;
		if (he + 1 < a + n) {
			if (he[1] != ':')
				return -1;
			colon = he + 1;
		}
		for (const char *p = h; p < he; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
			        (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
				return -1;
	} else {
		colon = memchr(a, ':', n);
		he = colon ? colon : a + n;
	}
	if (he == h || (size_t)(he - h) >= sizeof(out->host))
		return -1;
	for (size_t i = 0; i < (size_t)(he - h); i++) {
		char c = h[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (a[0] != '[' && !host_char(c))
			return -1;
		out->host[i] = c;
	}
	out->host[he - h] = '\0';
	out->port = out->https ? 443 : 80;
	if (colon != NULL) {
		const char *p = colon + 1;
		if (p == a + n || a + n - p > 5)
			return -1;
		for (; p < a + n; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return -1;
	}
	if (port != 0 && port != out->port) {
		out->port = (int)port;
		snprintf(out->authority, sizeof(out->authority),
		    a[0] == '[' ? "[%s]:%ld" : "%s:%ld", out->host, port);
	} else {
		snprintf(out->authority, sizeof(out->authority), a[0] == '[' ? "[%s]" : "%s",
		    out->host);
	}
	return 0;
}

int
auth_s3_url_parse(const char *url, size_t n, struct auth_s3_url *out)
{
	const char *p, *end = url + n, *a, *path, *q;
	struct buf dec = BUF_INIT, enc = BUF_INIT;
	bool virt = false;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n > JD_AUTH_S3_URL_MAX)
		return -1;
	if (n > 8 && strncasecmp(url, "https://", 8) == 0) {
		out->https = true;
		p = url + 8;
	} else if (n > 7 && strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else {
		return -1;
	}
	a = p;
	while (p < end && *p != '/' && *p != '?' && *p != '#')
		p++;
	if (p == end || *p != '/' || parse_authority(a, (size_t)(p - a), out) != 0)
		return -1;
	path = p;
	q = memchr(path, '?', (size_t)(end - path));
	for (const char *c = path; c < end; c++)
		if (!url_byte((unsigned char)*c))
			return -1;
	if (q != NULL) {
		if ((size_t)(end - q - 1) > JD_AUTH_S3_URL_MAX)
			return -1;
		memcpy(out->query, q + 1, (size_t)(end - q - 1));
		out->query[end - q - 1] = '\0';
	} else {
		q = end;
	}
	auth__pct_decode(&dec, path, (size_t)(q - path));
	auth__uri_encode(&enc, dec.p, dec.len, true);
	if (enc.len > JD_AUTH_S3_URL_MAX || memchr(dec.p, '\0', dec.len) != NULL)
		goto out;
	memcpy(out->path, enc.p, enc.len);
	out->path[enc.len] = '\0';
	if (!aws_host(out->host, out->region, &virt))
		out->region[0] = '\0';
	if (virt) { /* the key is the whole path */
		if (dec.len < 2)
			goto out;
	} else { /* /BUCKET/KEY */
		const char *slash = memchr(dec.p + 1, '/', dec.len - 1);
		if (slash == NULL || slash == dec.p + 1 || slash + 1 == dec.p + dec.len)
			goto out;
	}
	rc = 0;
out:
	buf_free(&dec);
	buf_free(&enc);
	return rc;
}

/* ---- signing ---------------------------------------------------------------- */

/* What one signature needs, taken from the entry under the read lock. */
struct signer {
	char id[JD_AUTH_KEY_ID_MAX + 1];
	char amz_date[17];
	char scope[128];
	unsigned char key[32];
};

static int
signer_init(struct auth_out *o, const char *role, const struct auth_s3_url *u, int64_t now_s,
    struct signer *sg, struct jd_error *e)
{
	const struct auth__out_entry *en;
	char date[9];
	const char *region;

	if (o == NULL)
		return jd_error_set(e, JD_EINVAL,
		    "jobsd has no outgoing credentials (--outgoing-credentials) to sign for S3");
	auth__fmt_amz_date(sg->amz_date, now_s);
	memcpy(date, sg->amz_date, 8);
	date[8] = '\0';
	pthread_rwlock_rdlock(&o->lock);
	en = auth__out_find(o->table, role);
	if (en == NULL) {
		pthread_rwlock_unlock(&o->lock);
		return jd_error_set(e, JD_EINVAL,
		    "No outgoing credentials for role %.300s: add it, or a default entry, to the "
		    "outgoing credentials file",
		    role ? role : "default");
	}
	region = u->region[0] ? u->region : en->region[0] ? en->region : PLACEHOLDER_REGION;
	snprintf(sg->id, sizeof(sg->id), "%s", en->id);
	snprintf(sg->scope, sizeof(sg->scope), "%s/%s/s3/aws4_request", date, region);
	auth__signing_key(sg->key, en->secret, date, region, "s3");
	pthread_rwlock_unlock(&o->lock);
	return 0;
}

/* Hex signature of the canonical request creq. */
static void
signer_sign(struct signer *sg, struct buf *creq, char sig[65])
{
	struct buf sts = BUF_INIT;

	auth__string_to_sign(&sts, sg->amz_date, sg->scope, creq->p, creq->len);
	auth__signature(sig, sg->key, sts.p, sts.len);
	OPENSSL_cleanse(sg->key, sizeof(sg->key));
	buf_free(&sts);
}

/* "GET\nPATH\nCANONICAL_QUERY\n": the common head of both requests. */
static void
creq_head(struct buf *creq, const struct auth_s3_url *u, const char *query, size_t qn)
{
	buf_puts(creq, "GET\n");
	buf_puts(creq, u->path);
	buf_putc(creq, '\n');
	auth__canonical_query(creq, query, qn, true);
	buf_puts(creq, "\nhost:");
	buf_puts(creq, u->authority);
	buf_putc(creq, '\n');
}

int
auth_out_presign(struct auth_out *o, const char *role_arn, const char *url, size_t n, int64_t now_s,
    int64_t expires_s, struct buf *out, struct jd_error *e)
{
	struct auth_s3_url u;
	struct buf q = BUF_INIT, creq = BUF_INIT, cred = BUF_INIT;
	struct signer sg;
	char sig[65];
	int rc;

	if (auth_s3_url_parse(url, n, &u) != 0)
		return jd_error_set(e, JD_EINVAL, "%.*s is not an S3 object URL",
		    (int)(n > 300 ? 300 : n), url);
	if ((rc = signer_init(o, role_arn, &u, now_s, &sg, e)) != 0)
		return rc;
	buf_printf(&cred, "%s/%s", sg.id, sg.scope);
	if (u.query[0] != '\0') {
		buf_puts(&q, u.query);
		buf_putc(&q, '&');
	}
	buf_puts(&q, "X-Amz-Algorithm=" ALGORITHM "&X-Amz-Credential=");
	auth__uri_encode(&q, cred.p, cred.len, false);
	buf_printf(&q, "&X-Amz-Date=%s&X-Amz-Expires=%lld&X-Amz-SignedHeaders=host", sg.amz_date,
	    (long long)expires_s);
	creq_head(&creq, &u, q.p, q.len);
	buf_puts(&creq, "\nhost\n" UNSIGNED);
	signer_sign(&sg, &creq, sig);
	buf_printf(out, "%s://%s%s?%s&X-Amz-Signature=%s", u.https ? "https" : "http", u.authority,
	    u.path, q.p, sig);
	buf_free(&q);
	buf_free(&creq);
	buf_free(&cred);
	return 0;
}

int
auth_out_sign_get(struct auth_out *o, const char *role_arn, const struct auth_s3_url *u,
    int64_t now_s, struct auth_s3_signed *out, struct jd_error *e)
{
	struct buf creq = BUF_INIT;
	struct signer sg;
	char sig[65];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = signer_init(o, role_arn, u, now_s, &sg, e)) != 0)
		return rc;
	auth__sha256_hex(out->content_sha256, "", 0);
	memcpy(out->amz_date, sg.amz_date, sizeof(out->amz_date));
	creq_head(&creq, u, u->query, strlen(u->query));
	buf_printf(&creq,
	    "x-amz-content-sha256:%s\nx-amz-date:%s\n\nhost;x-amz-content-sha256;x-amz-date\n%s",
	    out->content_sha256, out->amz_date, out->content_sha256);
	signer_sign(&sg, &creq, sig);
	snprintf(out->authorization, sizeof(out->authorization),
	    ALGORITHM " Credential=%s/%s, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	              "Signature=%s",
	    sg.id, sg.scope, sig);
	buf_free(&creq);
	return 0;
}
