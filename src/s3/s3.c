/*
 * s3.c: read one S3 object for a documentSource: parse the URL, sign a GET
 * with the default outgoing credentials (auth/), send it over http_get.c,
 * and turn S3's answer into jobsd's errors. S3's error bodies are XML
 * (<Error><Code>NoSuchKey</Code><Message>...</Message>): Code and Message
 * are quoted in ours, so the operator sees what S3 said.
 */
#define _GNU_SOURCE /* memmem */
#include "s3/s3_int.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
s3_create(struct auth_out *creds, const char *ca_file, int timeout_ms, struct s3 **out,
    struct jd_error *e)
{
	struct s3 *c;
	SSL_CTX *tls = SSL_CTX_new(TLS_client_method());

	*out = NULL;
	if (tls == NULL)
		return jd_error_set(e, JD_EINVAL, "cannot create a TLS client context");
	SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
	SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
	if (ca_file != NULL && ca_file[0] != '\0' ?
	        SSL_CTX_load_verify_locations(tls, ca_file, NULL) != 1 :
	        SSL_CTX_set_default_verify_paths(tls) != 1) {
		SSL_CTX_free(tls);
		ERR_clear_error();
		return jd_error_set(e, JD_EINVAL, "cannot load the CA certificates %s",
		    ca_file && ca_file[0] ? ca_file : "of the system");
	}
	c = jd_calloc(1, sizeof(*c));
	c->creds = creds;
	c->tls = tls;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : JD_S3_TIMEOUT_MS;
	*out = c;
	return 0;
}

void
s3_destroy(struct s3 *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->tls);
	free(c);
}

/* The text of <tag>...</tag> in an XML error body, cut to out's size; "" if none. */
static void
xml_text(const struct buf *b, const char *tag, char *out, size_t n)
{
	char open[32], close[32];
	const char *s, *t;

	out[0] = '\0';
	if (b->len == 0)
		return;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	s = memmem(b->p, b->len, open, strlen(open));
	if (s == NULL)
		return;
	s += strlen(open);
	t = memmem(s, b->len - (size_t)(s - b->p), close, strlen(close));
	if (t == NULL)
		return;
	snprintf(out, n, "%.*s", (int)(t - s), s);
	for (char *p = out; *p; p++) /* our message is JSON-escaped later; keep it printable */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = ' ';
}

static int
answer_error(const char *url, const struct s3__resp *r, struct jd_error *e)
{
	char code[64], msg[256];

	xml_text(&r->body, "Code", code, sizeof(code));
	xml_text(&r->body, "Message", msg, sizeof(msg));
	if (r->status >= 300 && r->status < 400)
		return jd_error_set(e, JD_EINVAL,
		    "documentSource %.1350s: S3 answered %d, a redirect%s%.200s; jobsd follows no "
		    "redirects: name the bucket's own (regional) endpoint",
		    url, r->status, r->location[0] ? " to " : "", r->location);
	if (r->status == 404 && code[0] == '\0')
		snprintf(code, sizeof(code), "NoSuchKey");
	if (r->status == 403 && code[0] == '\0')
		snprintf(code, sizeof(code), "AccessDenied");
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "%s",
		    r->status == 404     ? "The specified key does not exist." :
		        r->status == 403 ? "Access Denied" :
		                           "S3 refused the request.");
	return jd_error_set(e, r->status >= 500 ? JD_EUNAVAIL : JD_EINVAL,
	    "Unable to get the job document from documentSource %.1350s: %s (HTTP %d): %s", url,
	    code[0] ? code : "Error", r->status, msg);
}

int
s3_get(struct s3 *c, const char *url, int64_t now_s, size_t max, char **body, size_t *n,
    struct jd_error *e)
{
	struct auth_s3_url u;
	struct auth_s3_signed sig;
	char h_sha[100], h_date[40], h_auth[600];
	const char *headers[3] = {h_sha, h_date, h_auth};
	struct s3__get g = {&u, headers, 3, max};
	struct s3__resp r;
	int rc;

	*body = NULL;
	*n = 0;
	if (auth_s3_url_parse(url, strlen(url), &u) != 0)
		return jd_error_set(e, JD_EINVAL,
		    "documentSource %.1350s is not an S3 object URL (https://s3.amazonaws.com/BUCKET/"
		    "KEY, https://BUCKET.s3.REGION.amazonaws.com/KEY, or http(s)://HOST[:PORT]/"
		    "BUCKET/KEY)",
		    url);
	if ((rc = auth_out_sign_get(c->creds, NULL, &u, now_s, &sig, e)) != 0)
		return rc;
	snprintf(h_sha, sizeof(h_sha), "x-amz-content-sha256: %s", sig.content_sha256);
	snprintf(h_date, sizeof(h_date), "x-amz-date: %s", sig.amz_date);
	snprintf(h_auth, sizeof(h_auth), "Authorization: %s", sig.authorization);
	if ((rc = s3__http_get(c, &g, &r, e)) != 0) {
		char why[JD_ERROR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", e ? e->msg : "");
		rc = jd_error_set(e, rc,
		    "Unable to get the job document from documentSource %.1350s: %s", url, why);
	} else if (r.status != 200) {
		rc = answer_error(url, &r, e);
	} else if (r.truncated) {
		rc = jd_error_set(e, JD_EINVAL,
		    "The job document at documentSource %.1350s is larger than %zu bytes", url,
		    max);
	} else {
		*n = r.body.len;
		*body = r.body.len ? buf_steal(&r.body) : jd_strdup("");
	}
	buf_free(&r.body);
	return rc;
}
