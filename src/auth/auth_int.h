/* auth_int.h: types and building blocks shared inside auth/ and by its unit tests. */
#ifndef JD_AUTH_AUTH_INT_H
#define JD_AUTH_AUTH_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "auth/auth.h"
#include "util/buf.h"

/* ---- credentials (credentials.c) ---------------------------------------- */

struct auth__cred {
	char id[JD_AUTH_KEY_ID_MAX + 1];
	char secret[JD_AUTH_SECRET_MAX + 1];
	bool admin; /* third column `admin`: may call the test-rig endpoints */
};

/* An immutable table of key pairs, sorted by id. */
struct auth__table {
	uint64_t generation; /* unique per loaded table: keys the signing-key cache */
	size_t n;
	struct auth__cred *v; /* owned */
};

struct auth {
	char *path;                /* owned */
	pthread_rwlock_t lock;     /* guards table (the pointer, not the contents) */
	struct auth__table *table; /* owned */
};

/* Parse a credentials file's text (see auth_create). where names the
 * source in messages. Returns 0 and *out (owned) or JD_EINVAL. */
int auth__table_parse(const char *text, size_t n, const char *where, struct auth__table **out,
    struct jd_error *e);
/* Read and parse the file at path. */
int auth__table_load(const char *path, struct auth__table **out, struct jd_error *e);
/* Borrowed entry or NULL. */
const struct auth__cred *auth__table_find(const struct auth__table *t, const char *id);
/* Wipe secrets and free; NULL-safe. */
void auth__table_free(struct auth__table *t);
/* Read a secret file (what names it in messages: "credentials file") of at
 * most max bytes into *text (owned, NUL-terminated, *n bytes; the caller
 * wipes it with OPENSSL_cleanse before free). Warns when group or others
 * may read it. JD_EINVAL when it cannot be read, is not a regular file or
 * is larger than max. */
int auth__secret_file_read(const char *path, const char *what, size_t max, char **text, size_t *n,
    struct jd_error *e);

/* ---- SigV4 building blocks (sigv4.c), pure ------------------------------- */

/* URI-encode s[0..n): RFC 3986 unreserved kept (and '/' when keep_slash),
 * everything else %XX with upper-case hex. */
void auth__uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash);
/* Percent-decode s[0..n) leniently: a '%' not followed by two hex digits
 * stays as is. */
void auth__pct_decode(struct buf *out, const char *s, size_t n);
/* Canonical URI of a raw (still percent-encoded) path: dot segments and
 * empty segments removed as botocore does, then encoded once more. */
void auth__canonical_uri(struct buf *out, const char *path, size_t n);
/* Canonical query of a raw query string (without '?'): each name and value
 * percent-decoded then re-encoded, sorted by name then value. presigned:
 * X-Amz-Signature is left out. */
void auth__canonical_query(struct buf *out, const char *query, size_t n, bool presigned);
/* The whole canonical request. signed_headers is the ';'-separated list
 * from the request; payload_hash the hex SHA-256 to put last. */
void auth__canonical_request(struct buf *out, const struct auth_request *rq,
    const char *signed_headers, const char *payload_hash);
/* "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(creq)>" */
void auth__string_to_sign(struct buf *out, const char *amz_date, const char *scope,
    const char *creq, size_t n);
/* HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". */
void auth__signing_key(unsigned char key[32], const char *secret, const char *date,
    const char *region, const char *service);
/* Lower-case hex HMAC-SHA256(key, sts). */
void auth__signature(char hex[65], const unsigned char key[32], const char *sts, size_t n);
void auth__sha256_hex(char hex[65], const void *p, size_t n);
/* epoch seconds -> "YYYYMMDDTHHMMSSZ" */
void auth__fmt_amz_date(char out[17], int64_t t);
/* "YYYYMMDDTHHMMSSZ" -> epoch seconds; -1 when malformed. */
int auth__parse_amz_date(const char *s, int64_t *out);

/* ---- throttling (throttle.c) --------------------------------------------- */

/* Take a token at monotonic time now_ns (tests drive time). */
int auth__throttle_take_at(struct auth_throttle *t, enum jd_plane plane, const char *op,
    int64_t now_ns);
/* Rate in TPS of the bucket serving (plane, op); 0 = unlimited, -1 unknown op. */
double auth__throttle_rate(const struct auth_throttle *t, enum jd_plane plane, const char *op);
/* Bucket name of (plane, op) or NULL when op is not a known operation. */
const char *auth__throttle_bucket(enum jd_plane plane, const char *op);

#endif
