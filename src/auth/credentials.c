/*
 * credentials.c: the credentials file and the verifier's key table.
 *
 * The file holds one `ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]` entry per
 * line ('#' comments, blank lines ignored). The optional third word `admin`
 * marks a key that may call the test-rig endpoints with auth on; a file of
 * two-column lines (the format before it) reads as before, with no admin. A table is built once, sorted, and
 * never modified; auth_reload() builds a new one and swaps the pointer
 * under a write lock, so a verification in flight keeps a consistent view
 * (it holds the read lock while it uses a secret). Secrets are wiped when a
 * table is freed and never appear in a message: errors name the file and
 * the line only.
 */
#include "auth/auth_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/log.h"

static _Atomic uint64_t generations = 1;

static bool
id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '.';
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const struct auth__cred *)a)->id, ((const struct auth__cred *)b)->id);
}

void
auth__table_free(struct auth__table *t)
{
	if (t == NULL)
		return;
	if (t->v != NULL)
		OPENSSL_cleanse(t->v, t->n * sizeof(*t->v));
	free(t->v);
	free(t);
}

int
auth__table_parse(const char *text, size_t n, const char *where, struct auth__table **out,
    struct jd_error *e)
{
	struct auth__table *t = jd_calloc(1, sizeof(*t));
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + n;
	int rc = 0;

	*out = NULL;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *s = p, *id, *sec, *flag;
		size_t idn, secn, flagn;

		lineno++;
		p = eol ? eol + 1 : end;
		while (s < le && blank(*s))
			s++;
		while (le > s && blank(le[-1]))
			le--;
		if (s == le || *s == '#')
			continue;
		id = s;
		while (s < le && !blank(*s))
			s++;
		idn = (size_t)(s - id);
		while (s < le && blank(*s))
			s++;
		sec = s;
		while (s < le && !blank(*s))
			s++;
		secn = (size_t)(s - sec);
		while (s < le && blank(*s))
			s++;
		flag = s;
		while (s < le && !blank(*s))
			s++;
		flagn = (size_t)(s - flag);
		if (secn == 0 || s != le ||
		    (flagn != 0 && (flagn != 5 || memcmp(flag, "admin", 5) != 0))) {
			rc = jd_error_set(e, JD_EINVAL,
			    "%s:%zu: expected `ACCESS_KEY_ID SECRET_ACCESS_KEY [admin]`", where,
			    lineno);
			goto out;
		}
		if (idn < 3 || idn > JD_AUTH_KEY_ID_MAX) {
			rc = jd_error_set(e, JD_EINVAL,
			    "%s:%zu: access key id must be 3..%d characters", where, lineno,
			    JD_AUTH_KEY_ID_MAX);
			goto out;
		}
		for (size_t i = 0; i < idn; i++) {
			if (!id_char(id[i])) {
				rc = jd_error_set(e, JD_EINVAL,
				    "%s:%zu: access key id may hold only A-Z a-z 0-9 _ - .", where,
				    lineno);
				goto out;
			}
		}
		if (secn > JD_AUTH_SECRET_MAX) {
			rc = jd_error_set(e, JD_EINVAL,
			    "%s:%zu: secret is longer than %d characters", where, lineno,
			    JD_AUTH_SECRET_MAX);
			goto out;
		}
		for (size_t i = 0; i < secn; i++) {
			if ((unsigned char)sec[i] < 0x21 || (unsigned char)sec[i] > 0x7e) {
				rc = jd_error_set(e, JD_EINVAL,
				    "%s:%zu: secret may hold only printable ASCII characters",
				    where, lineno);
				goto out;
			}
		}
		if (t->n >= JD_AUTH_KEYS_MAX) {
			rc = jd_error_set(e, JD_EINVAL, "%s: more than %d key pairs", where,
			    JD_AUTH_KEYS_MAX);
			goto out;
		}
		if (t->n == cap) {
			/* grow by hand so the old block can be wiped before it is freed */
			size_t ncap = cap ? cap * 2 : 8;
			struct auth__cred *nv = jd_calloc(ncap, sizeof(*nv));
			if (t->n > 0)
				memcpy(nv, t->v, t->n * sizeof(*nv));
			if (t->v != NULL)
				OPENSSL_cleanse(t->v, cap * sizeof(*t->v));
			free(t->v);
			t->v = nv;
			cap = ncap;
		}
		memcpy(t->v[t->n].id, id, idn);
		t->v[t->n].id[idn] = '\0';
		memcpy(t->v[t->n].secret, sec, secn);
		t->v[t->n].secret[secn] = '\0';
		t->v[t->n].admin = flagn != 0;
		t->n++;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), by_id);
	for (size_t i = 1; i < t->n; i++) {
		if (strcmp(t->v[i - 1].id, t->v[i].id) == 0) {
			rc = jd_error_set(e, JD_EINVAL, "%s: access key id %s appears twice", where,
			    t->v[i].id);
			goto out;
		}
	}
	t->generation = atomic_fetch_add(&generations, 1);
	*out = t;
	t = NULL;
out:
	auth__table_free(t);
	return rc;
}

int
auth__secret_file_read(const char *path, const char *what, size_t max, char **text, size_t *n,
    struct jd_error *e)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	size_t size = 0, len = 0;
	char *t = NULL;
	int rc = 0;

	*text = NULL;
	*n = 0;
	if (f == NULL)
		return jd_error_set(e, JD_EINVAL, "cannot open %s %s: %s", what, path,
		    strerror(errno));
	setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer holding a copy of the secrets */
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = jd_error_set(e, JD_EINVAL, "%s %s is not a regular file", what, path);
		goto out;
	}
	if ((st.st_mode & 077) != 0)
		log_warn("%s %s is readable by group or others (mode %03o); chmod 600 it", what,
		    path, (unsigned)(st.st_mode & 0777));
	if ((size_t)st.st_size > max) {
		rc = jd_error_set(e, JD_EINVAL, "%s %s is too large", what, path);
		goto out;
	}
	/* One allocation of the final size, so no stray copy of a secret is left behind. */
	size = (size_t)st.st_size;
	t = jd_malloc(size + 1);
	while (len < size) {
		size_t got = fread(t + len, 1, size - len, f);
		if (got == 0)
			break;
		len += got;
	}
	t[len] = '\0';
	if (ferror(f)) {
		OPENSSL_cleanse(t, size + 1);
		free(t);
		rc = jd_error_set(e, JD_EINVAL, "cannot read %s %s", what, path);
		goto out;
	}
	*text = t;
	*n = len;
out:
	fclose(f);
	return rc;
}

int
auth__table_load(const char *path, struct auth__table **out, struct jd_error *e)
{
	const size_t max = (size_t)JD_AUTH_KEYS_MAX * (JD_AUTH_KEY_ID_MAX + JD_AUTH_SECRET_MAX + 4);
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = auth__secret_file_read(path, "credentials file", max, &text, &len, e)) != 0)
		return rc;
	rc = auth__table_parse(text, len, path, out, e);
	OPENSSL_cleanse(text, len + 1);
	free(text);
	return rc;
}

const struct auth__cred *
auth__table_find(const struct auth__table *t, const char *id)
{
	size_t lo = 0, hi = t ? t->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, t->v[mid].id);
		if (c == 0)
			return &t->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
auth_create(const char *path, struct auth **out, struct jd_error *e)
{
	struct auth *a;
	struct auth__table *t = NULL;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return jd_error_set(e, JD_EINVAL,
		    "auth=sigv4 needs a credentials file (--credentials-file)");
	if ((rc = auth__table_load(path, &t, e)) != 0)
		return rc;
	a = jd_calloc(1, sizeof(*a));
	a->path = jd_strdup(path);
	pthread_rwlock_init(&a->lock, NULL);
	a->table = t;
	*out = a;
	return 0;
}

int
auth_reload(struct auth *a, struct jd_error *e)
{
	struct auth__table *t = NULL, *old;
	int rc;

	if ((rc = auth__table_load(a->path, &t, e)) != 0)
		return rc;
	pthread_rwlock_wrlock(&a->lock);
	old = a->table;
	a->table = t;
	pthread_rwlock_unlock(&a->lock);
	auth__table_free(old);
	return 0;
}

size_t
auth_key_count(struct auth *a)
{
	size_t n;

	pthread_rwlock_rdlock(&a->lock);
	n = a->table ? a->table->n : 0;
	pthread_rwlock_unlock(&a->lock);
	return n;
}

bool
auth_key_admin(struct auth *a, const char *access_key)
{
	const struct auth__cred *c;
	bool admin;

	if (a == NULL || access_key == NULL)
		return false;
	pthread_rwlock_rdlock(&a->lock);
	c = auth__table_find(a->table, access_key);
	admin = c != NULL && c->admin;
	pthread_rwlock_unlock(&a->lock);
	return admin;
}

size_t
auth_admin_count(struct auth *a)
{
	size_t n = 0;

	pthread_rwlock_rdlock(&a->lock);
	for (size_t i = 0; a->table != NULL && i < a->table->n; i++)
		n += a->table->v[i].admin;
	pthread_rwlock_unlock(&a->lock);
	return n;
}

void
auth_destroy(struct auth *a)
{
	if (a == NULL)
		return;
	auth__table_free(a->table);
	pthread_rwlock_destroy(&a->lock);
	free(a->path);
	free(a);
}
