/*
 * outgoing.c: the outgoing credentials (D27), the keys jobsd signs with
 * when it reads a documentSource from S3 and when it presigns the S3 URLs of
 * a job document for a device.
 *
 * The file maps a role ARN (a job's presignedUrlConfig.roleArn) to a static
 * key pair: `ROLE_ARN ACCESS_KEY_ID SECRET_ACCESS_KEY [REGION]` per line,
 * and `default ...` for every other role and for documentSource. There is no
 * STS: no session token is ever added. Like the verifier's table
 * (credentials.c), an entry table is immutable, swapped whole under a rwlock
 * by auth_out_reload() (SIGHUP), wiped when freed, and a signer holds the
 * read lock only while it derives its signing key. Messages name the file
 * and line, never a secret. Signing itself is s3sign.c's.
 */
#include "auth/auth_out_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next blank-separated word of [*s, end): its start and length. */
static size_t
word(const char **s, const char *end, const char **w)
{
	const char *p = *s;

	while (p < end && blank(*p))
		p++;
	*w = p;
	while (p < end && !blank(*p))
		p++;
	*s = p;
	return (size_t)(p - *w);
}

static int
by_role(const void *a, const void *b)
{
	return strcmp(((const struct auth__out_entry *)a)->role,
	    ((const struct auth__out_entry *)b)->role);
}

void
auth__out_table_free(struct auth__out_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].role);
	if (t->v != NULL)
		OPENSSL_cleanse(t->v, t->cap * sizeof(*t->v));
	free(t->v);
	OPENSSL_cleanse(&t->dflt, sizeof(t->dflt));
	free(t);
}

static bool
charset(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        (c != '\0' && strchr(extra, c) != NULL)))
			return false;
	}
	return true;
}

/* Check and copy one line's words into *en (role not set). */
static int
entry_fill(struct auth__out_entry *en, const char *where, size_t lineno, const char *id, size_t idn,
    const char *sec, size_t secn, const char *reg, size_t regn, struct jd_error *e)
{
	if (idn < 3 || idn > JD_AUTH_KEY_ID_MAX || !charset(id, idn, "_-."))
		return jd_error_set(e, JD_EINVAL,
		    "%s:%zu: access key id must be 3..%d characters of A-Z a-z 0-9 _ - .", where,
		    lineno, JD_AUTH_KEY_ID_MAX);
	if (secn == 0 || secn > JD_AUTH_SECRET_MAX)
		return jd_error_set(e, JD_EINVAL, "%s:%zu: secret must be 1..%d characters", where,
		    lineno, JD_AUTH_SECRET_MAX);
	for (size_t i = 0; i < secn; i++)
		if ((unsigned char)sec[i] < 0x21 || (unsigned char)sec[i] > 0x7e)
			return jd_error_set(e, JD_EINVAL,
			    "%s:%zu: secret may hold only printable ASCII characters", where,
			    lineno);
	if (regn >= sizeof(en->region) || !charset(reg, regn, "-"))
		return jd_error_set(e, JD_EINVAL,
		    "%s:%zu: region must be at most %zu characters of a-z 0-9 -", where, lineno,
		    sizeof(en->region) - 1);
	memcpy(en->id, id, idn);
	en->id[idn] = '\0';
	memcpy(en->secret, sec, secn);
	en->secret[secn] = '\0';
	memcpy(en->region, reg, regn);
	en->region[regn] = '\0';
	return 0;
}

static int
parse_line(struct auth__out_table *t, const char *s, const char *le, const char *where,
    size_t lineno, struct jd_error *e)
{
	const char *role, *id, *sec, *reg, *extra;
	size_t rn = word(&s, le, &role), idn = word(&s, le, &id), secn = word(&s, le, &sec);
	size_t regn = word(&s, le, &reg), xn = word(&s, le, &extra);
	struct auth__out_entry *en;
	bool dflt = rn == 7 && memcmp(role, "default", 7) == 0;

	if (secn == 0 || xn != 0)
		return jd_error_set(e, JD_EINVAL,
		    "%s:%zu: expected `ROLE_ARN|default ACCESS_KEY_ID SECRET_ACCESS_KEY [REGION]`",
		    where, lineno);
	if (!dflt && (rn < 20 || rn > JD_AUTH_ROLE_ARN_MAX || memcmp(role, "arn:", 4) != 0))
		return jd_error_set(e, JD_EINVAL,
		    "%s:%zu: the first word must be `default` or a role ARN (arn:..., 20..%d "
		    "characters)",
		    where, lineno, JD_AUTH_ROLE_ARN_MAX);
	if (dflt) {
		if (t->has_dflt)
			return jd_error_set(e, JD_EINVAL, "%s:%zu: a second default entry", where,
			    lineno);
		t->has_dflt = true;
		return entry_fill(&t->dflt, where, lineno, id, idn, sec, secn, reg, regn, e);
	}
	if (t->n >= JD_AUTH_OUT_MAX)
		return jd_error_set(e, JD_EINVAL, "%s: more than %d entries", where,
		    JD_AUTH_OUT_MAX);
	if (t->n == t->cap) {
		/* grow by hand so the old block can be wiped before it is freed */
		size_t ncap = t->cap ? t->cap * 2 : 8;
		struct auth__out_entry *nv = jd_calloc(ncap, sizeof(*nv));
		if (t->n > 0)
			memcpy(nv, t->v, t->n * sizeof(*nv));
		if (t->v != NULL)
			OPENSSL_cleanse(t->v, t->cap * sizeof(*t->v));
		free(t->v);
		t->v = nv;
		t->cap = ncap;
	}
	en = &t->v[t->n];
	if (entry_fill(en, where, lineno, id, idn, sec, secn, reg, regn, e) != 0) {
		OPENSSL_cleanse(en, sizeof(*en));
		return JD_EINVAL;
	}
	en->role = jd_malloc(rn + 1);
	memcpy(en->role, role, rn);
	en->role[rn] = '\0';
	t->n++;
	return 0;
}

int
auth__out_table_parse(const char *text, size_t n, const char *where, struct auth__out_table **out,
    struct jd_error *e)
{
	struct auth__out_table *t = jd_calloc(1, sizeof(*t));
	const char *p = text, *end = text + n;
	size_t lineno = 0;
	int rc = 0;

	*out = NULL;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *s = p;

		lineno++;
		p = eol ? eol + 1 : end;
		while (s < le && blank(*s))
			s++;
		if (s == le || *s == '#')
			continue;
		if ((rc = parse_line(t, s, le, where, lineno, e)) != 0)
			goto out;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), by_role);
	for (size_t i = 1; i < t->n; i++) {
		if (strcmp(t->v[i - 1].role, t->v[i].role) == 0) {
			rc = jd_error_set(e, JD_EINVAL, "%s: role %.200s appears twice", where,
			    t->v[i].role);
			goto out;
		}
	}
	*out = t;
	t = NULL;
out:
	auth__out_table_free(t);
	return rc;
}

const struct auth__out_entry *
auth__out_find(const struct auth__out_table *t, const char *role)
{
	size_t lo = 0, hi = t->n;

	while (role != NULL && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(role, t->v[mid].role);
		if (c == 0)
			return &t->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return t->has_dflt ? &t->dflt : NULL;
}

static int
load(const char *path, struct auth__out_table **out, struct jd_error *e)
{
	const size_t max = (size_t)JD_AUTH_OUT_MAX *
	    (JD_AUTH_ROLE_ARN_MAX + JD_AUTH_KEY_ID_MAX + JD_AUTH_SECRET_MAX + 40);
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = auth__secret_file_read(path, "outgoing credentials file", max, &text, &len, e)) !=
	    0)
		return rc;
	rc = auth__out_table_parse(text, len, path, out, e);
	OPENSSL_cleanse(text, len + 1);
	free(text);
	return rc;
}

static struct auth_out *
wrap(struct auth__out_table *t, const char *path)
{
	struct auth_out *o = jd_calloc(1, sizeof(*o));

	o->path = path ? jd_strdup(path) : NULL;
	pthread_rwlock_init(&o->lock, NULL);
	o->table = t;
	return o;
}

int
auth_out_create(const char *path, struct auth_out **out, struct jd_error *e)
{
	struct auth__out_table *t = NULL;
	int rc;

	*out = NULL;
	if ((rc = load(path, &t, e)) != 0)
		return rc;
	*out = wrap(t, path);
	return 0;
}

int
auth_out_parse(const char *text, size_t n, const char *where, struct auth_out **out,
    struct jd_error *e)
{
	struct auth__out_table *t = NULL;
	int rc;

	*out = NULL;
	if ((rc = auth__out_table_parse(text, n, where, &t, e)) != 0)
		return rc;
	*out = wrap(t, NULL);
	return 0;
}

int
auth_out_reload(struct auth_out *o, struct jd_error *e)
{
	struct auth__out_table *t = NULL, *old;
	int rc;

	if (o->path == NULL)
		return 0;
	if ((rc = load(o->path, &t, e)) != 0)
		return rc;
	pthread_rwlock_wrlock(&o->lock);
	old = o->table;
	o->table = t;
	pthread_rwlock_unlock(&o->lock);
	auth__out_table_free(old);
	return 0;
}

size_t
auth_out_count(struct auth_out *o)
{
	size_t n;

	pthread_rwlock_rdlock(&o->lock);
	n = o->table->n + (o->table->has_dflt ? 1 : 0);
	pthread_rwlock_unlock(&o->lock);
	return n;
}

bool
auth_out_has(struct auth_out *o, const char *role_arn)
{
	bool has;

	if (o == NULL)
		return false;
	pthread_rwlock_rdlock(&o->lock);
	has = auth__out_find(o->table, role_arn) != NULL;
	pthread_rwlock_unlock(&o->lock);
	return has;
}

void
auth_out_destroy(struct auth_out *o)
{
	if (o == NULL)
		return;
	auth__out_table_free(o->table);
	pthread_rwlock_destroy(&o->lock);
	free(o->path);
	free(o);
}
