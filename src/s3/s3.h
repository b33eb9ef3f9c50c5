/*
 * s3.h: jobsd's S3 client, for one thing: reading a job document from
 * S3 (CreateJob's and CreateJobTemplate's documentSource) once, when the
 * job or template is created.
 *
 * It is a small HTTP/1.1 client of its own (jobsd had none, and a GET of
 * at most 32 KB needs no library): one GET per call over a new connection,
 * TLS through OpenSSL's libssl (already a dependency through libcrypto),
 * the server's certificate verified against the system's CA store or a
 * configured CA file and its name checked, every step bounded by one
 * deadline, the answer bounded in size, redirects refused. The request is
 * signed with SigV4 by auth/ (auth_out_sign_get), with the outgoing
 * credentials' default entry (D27).
 *
 * Depends on util/ and auth/ (and OpenSSL libssl): it knows nothing of the
 * store, the domain or JSON; svc reaches it through a hook main.c sets.
 */
#ifndef JD_S3_S3_H
#define JD_S3_S3_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "util/err.h"

#define JD_S3_TIMEOUT_MS 10000  /* one fetch, connection to last byte */
#define JD_S3_HEADERS_MAX 16384 /* bytes of a response's status line and headers */

struct s3;

/*
 * A client. creds: borrowed, must outlive it (NULL: every fetch fails with
 * a message saying so). ca_file: PEM CA bundle to verify servers against;
 * NULL or "" for the system's default store. timeout_ms: per fetch, 0 for
 * JD_S3_TIMEOUT_MS. Returns 0 and *out (owned, s3_destroy), or JD_EINVAL
 * when the CA file cannot be loaded.
 */
int s3_create(struct auth_out *creds, const char *ca_file, int timeout_ms, struct s3 **out,
    struct jd_error *e);
/* NULL-safe. */
void s3_destroy(struct s3 *c);

/*
 * GET the object at url (an S3 URL, see auth_s3_url_parse) signed at now_s
 * (epoch seconds, the injectable clock) with the default outgoing
 * credentials. On success *body (owned, NUL-terminated) holds the object,
 * *n its length, at most max bytes. Errors, with AWS-like messages that
 * name the URL and never a secret:
 *   JD_EINVAL   not an S3 URL; no credentials; the object is missing
 *               (404), access is denied (403), a redirect (3xx, never
 *               followed), another 4xx; larger than max
 *   JD_EUNAVAIL the server cannot be reached or verified, timed out, broke
 *               the protocol, or answered 5xx
 * Thread-safe.
 */
int s3_get(struct s3 *c, const char *url, int64_t now_s, size_t max, char **body, size_t *n,
    struct jd_error *e);

#endif
