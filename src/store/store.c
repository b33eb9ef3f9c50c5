/* store.c: backend registry, open by spec, redaction of a spec's secrets,
 * and the transaction wrappers (begin, commit, rollback; the operations are
 * inline in store.h), and the one-operation reads with their defaults
 * (store_read.h). */
#include "store/store.h"
#include "store/store_read.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const struct store_ops *const backends[] = {
    &store_sqlite_ops,
    &store_postgres_ops,
};

const struct store_ops *
store_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* A PostgreSQL URI: the whole spec goes to the postgres backend. */
static bool
is_pg_uri(const char *spec)
{
	return strncmp(spec, "postgres://", 11) == 0 || strncmp(spec, "postgresql://", 13) == 0;
}

int
store_open(const char *spec, struct store **out, struct jd_error *e)
{
	const char *colon = strchr(spec, ':');
	const char *where = colon != NULL ? colon + 1 : NULL;
	char name[32];
	const struct store_ops *ops;

	if (is_pg_uri(spec)) {
		jd_strlcpy(name, "postgres", sizeof(name));
		where = spec;
	} else if (colon == NULL || (size_t)(colon - spec) >= sizeof(name)) {
		return jd_error_set(e, JD_EINVAL, "store spec is not BACKEND:WHERE");
	} else {
		memcpy(name, spec, (size_t)(colon - spec));
		name[colon - spec] = '\0';
	}
	ops = store_backend(name);
	if (ops == NULL)
		return jd_error_set(e, JD_EINVAL, "unknown store backend '%s'", name);
	if (ops->version != STORE_OPS_VERSION)
		return jd_error_set(e, JD_EINTERNAL,
		    "store backend '%s' has ops version %d, want %d", name, ops->version,
		    STORE_OPS_VERSION);
	return ops->open(where, out, e);
}

char *
store_spec_redact(const char *spec, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	const char *s = spec, *scheme = strstr(spec, "://");

	/* user:PASSWORD@host: mask from the first ':' of the authority to its '@' */
	if (scheme != NULL) {
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?#");
		const char *at = memchr(auth, '@', alen);
		const char *pw = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;

		if (pw != NULL) {
			buf_append(&b, spec, (size_t)(pw + 1 - spec));
			buf_puts(&b, "***");
			s = at;
		}
	}
	/* password=VALUE, in a URI's query or a conninfo string */
	while (*s != '\0') {
		const char *p = strstr(s, "password=");

		if (p == NULL) {
			buf_puts(&b, s);
			break;
		}
		buf_append(&b, s, (size_t)(p - s) + 9);
		buf_puts(&b, "***");
		s = p + 9 + strcspn(p + 9, "& \t");
	}
	jd_strlcpy(out, buf_cstr(&b), size);
	if (b.p != NULL)
		explicit_bzero(b.p, b.cap);
	buf_free(&b);
	return out;
}

void
store_close(struct store *s)
{
	if (s != NULL)
		((struct store_base *)(void *)s)->ops->close(s);
}

int
store_begin(struct store *s, bool write, struct store_tx **out)
{
	int rc;

	assert(s != NULL && out != NULL);
	rc = ((struct store_base *)(void *)s)->ops->begin(s, write, out);
	/* the backend marks the kind, which the wrappers of mutations check */
	assert(rc != 0 || store__tx(*out)->write == write);
	return rc;
}

int
store_begin_one(struct store *s, struct store_tx **out)
{
	const struct store_read_ops *r = ((struct store_base *)(void *)s)->ops->read;
	int rc;

	if (r == NULL || r->begin_one == NULL)
		return store_begin(s, false, out);
	assert(out != NULL);
	rc = r->begin_one(s, out);
	assert(rc != 0 || !store__tx(*out)->write);
	return rc;
}

int
store_job_get_counts(struct store_tx *tx, const char *job_id, struct jd_job *out,
    struct jd_counts *counts)
{
	const struct store_ops *ops = store__tx(tx)->ops;
	int rc;

	assert(out != NULL && counts != NULL);
	if (ops->read != NULL && ops->read->job_get_counts != NULL)
		return ops->read->job_get_counts(tx, job_id, out, counts);
	if ((rc = ops->job_get(tx, job_id, out)) != 0)
		return rc;
	if ((rc = ops->exec_counts(tx, job_id, counts)) != 0)
		jd_job_release(out);
	return rc;
}

int
store_exec_get_job(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_job *job, struct jd_exec *x)
{
	const struct store_ops *ops = store__tx(tx)->ops;
	int rc;

	assert(job != NULL && x != NULL);
	if (ops->read != NULL && ops->read->exec_get_job != NULL)
		return ops->read->exec_get_job(tx, job_id, thing, number, job, x);
	if ((rc = ops->job_get(tx, job_id, job)) != 0)
		return rc;
	if ((rc = ops->exec_get(tx, job_id, thing, number, x)) != 0)
		jd_job_release(job);
	return rc;
}

static int
next_take(void *arg, const struct jd_exec *x)
{
	jd_exec_copy(arg, x);
	return 1;
}

int
store_exec_next_job(struct store_tx *tx, const char *thing, const char *namespace_id,
    struct jd_exec *x, struct jd_job *job)
{
	const struct store_ops *ops = store__tx(tx)->ops;
	int rc;

	assert(x != NULL && job != NULL);
	memset(x, 0, sizeof(*x));
	memset(job, 0, sizeof(*job));
	if (ops->read != NULL && ops->read->exec_next_job != NULL)
		return ops->read->exec_next_job(tx, thing, namespace_id, x, job);
	if ((rc = ops->exec_pending(tx, thing, namespace_id, 1, next_take, x)) < 0) {
		jd_exec_release(x);
		return rc;
	}
	if (x->job_id[0] == '\0')
		return 0;
	if ((rc = ops->job_get(tx, x->job_id, job)) != 0)
		jd_exec_release(x);
	return rc;
}

/*
 * The default conditional write's test (store_read.h, exec_update_if): is
 * (job_id, thing, number) still at (old_version, old_status), and, when the
 * change takes `leaving` (0 or 1; -1: no test) active executions from the
 * job, can it not complete the job (it keeps an active one, or it is not
 * an IN_PROGRESS snapshot job)? *ok says; a missing row is no error.
 */
static int
cond_test(const struct store_ops *ops, struct store_tx *tx, const char *job_id, const char *thing,
    int64_t number, int64_t old_version, int old_status, int leaving, bool *ok)
{
	struct jd_exec cur;
	int64_t active = 0;
	int status = 0, selection = 0, rc;

	memset(&cur, 0, sizeof(cur));
	*ok = false;
	rc = ops->exec_get(tx, job_id, thing, number, &cur);
	if (rc != 0)
		return rc == JD_ENOTFOUND ? 0 : rc;
	*ok = cur.version == old_version && (int)cur.status == old_status;
	jd_exec_release(&cur);
	if (!*ok || leaving < 0)
		return 0;
	if ((rc = ops->exec_active_count(tx, job_id, &active)) != 0)
		return rc;
	if (active > leaving)
		return 0;
	rc = ops->job_status(tx, job_id, &status, &selection);
	if (rc != 0)
		return rc == JD_ENOTFOUND ? 0 : rc;
	*ok = status != JD_JOB_IN_PROGRESS || selection != JD_SEL_SNAPSHOT;
	return 0;
}

int
store_exec_update_if(struct store_tx *tx, const struct jd_exec *x, int64_t old_version,
    int old_status, struct store_cond *res)
{
	const struct store_ops *ops = store__tx(tx)->ops;
	const bool ends =
	    core_exec_status_pending(old_status) && !core_exec_status_pending(x->status);
	int rc;

	assert(res != NULL && store__tx(tx)->write);
	memset(res, 0, sizeof(*res));
	if (ops->read != NULL && ops->read->exec_update_if != NULL)
		return ops->read->exec_update_if(tx, x, old_version, old_status, res);
	if ((rc = cond_test(ops, tx, x->job_id, x->thing_name, x->number, old_version, old_status,
	         ends ? 1 : -1, &res->applied)) != 0 ||
	    (res->applied && (rc = ops->exec_update(tx, x)) != 0))
		return rc;
	res->done = true;
	return 0;
}

int
store_exec_delete_if(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    int64_t old_version, int old_status, struct store_cond *res)
{
	const struct store_ops *ops = store__tx(tx)->ops;
	int rc;

	assert(res != NULL && store__tx(tx)->write);
	memset(res, 0, sizeof(*res));
	if (ops->read != NULL && ops->read->exec_delete_if != NULL)
		return ops->read->exec_delete_if(tx, job_id, thing, number, old_version, old_status,
		    res);
	if ((rc = cond_test(ops, tx, job_id, thing, number, old_version, old_status,
	         core_exec_status_pending(old_status) ? 1 : 0, &res->applied)) != 0 ||
	    (res->applied && (rc = ops->exec_delete(tx, job_id, thing, number)) != 0))
		return rc;
	res->done = true;
	return 0;
}

static int
any_group(void *arg, const struct jd_group *g)
{
	(void)g;
	*(bool *)arg = true;
	return 1;
}

int
store_group_dynamic_exists(struct store_tx *tx, bool *any)
{
	int rc;

	*any = false;
	rc = store__tx(tx)->ops->group_list_dynamic(tx, "", 1, any_group, any);
	return rc < 0 ? rc : 0;
}

int
store_thing_insert_if(struct store_tx *tx, const struct jd_thing *t, struct store_cond *res)
{
	const struct store_ops *ops = store__tx(tx)->ops;
	struct jd_thing cur;
	bool dynamic = false;
	int rc;

	assert(res != NULL && store__tx(tx)->write);
	memset(res, 0, sizeof(*res));
	if (ops->read != NULL && ops->read->thing_insert_if != NULL)
		return ops->read->thing_insert_if(tx, t, res);
	memset(&cur, 0, sizeof(cur));
	rc = ops->thing_get(tx, t->name, &cur);
	if (rc == 0)
		jd_thing_release(&cur); /* there: not applied */
	else if (rc != JD_ENOTFOUND)
		return rc;
	else if ((rc = store_group_dynamic_exists(tx, &dynamic)) != 0)
		return rc;
	else if (!dynamic && (rc = ops->thing_insert(tx, t)) != 0)
		return rc;
	else
		res->applied = !dynamic;
	res->done = true;
	return 0;
}

bool
store_prefers_update_if(const struct store *s)
{
	const struct store_ops *ops = ((const struct store_base *)(const void *)s)->ops;

	return ops->read != NULL && (ops->read->exec_update_if != NULL || ops->read->ride != NULL);
}

bool
store_read_in_ride(const struct store *s)
{
	const struct store_ops *ops = ((const struct store_base *)(const void *)s)->ops;

	return ops->read != NULL && ops->read->read_in_ride;
}

int
store_ride(struct store *s, int (*fn)(struct store_tx *tx, void *arg), void *arg)
{
	const struct store_ops *ops = ((const struct store_base *)(const void *)s)->ops;
	struct store_tx *tx = NULL;
	int rc;

	if (ops->read != NULL && ops->read->ride != NULL)
		return ops->read->ride(s, fn, arg);
	if (ops->begin(s, true, &tx) != 0)
		return JD_EUNAVAIL;
	if ((rc = fn(tx, arg)) != 0) {
		ops->rollback(tx);
		return rc;
	}
	return ops->commit(tx) != 0 ? JD_EUNAVAIL : 0;
}

int
store_exec_list_job_summary(struct store_tx *tx, const char *job_id, int status,
    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	const struct store_ops *ops = store__tx(tx)->ops;

	assert(cb != NULL);
	if (ops->read != NULL && ops->read->exec_list_job_summary != NULL)
		return ops->read->exec_list_job_summary(tx, job_id, status, after_thing,
		    after_number, limit, cb, arg);
	return ops->exec_list_job(tx, job_id, status, after_thing, after_number, limit, cb, arg);
}

struct head {
	char *job;
	int64_t *number;
};

static int
head_row(void *arg, const struct jd_exec *x)
{
	struct head *h = arg;

	jd_strlcpy(h->job, x->job_id, JD_JOB_ID_MAX + 1);
	*h->number = x->number;
	return 1;
}

int
store_exec_pending_head_read(struct store_tx *tx, const char *thing, const char *namespace_id,
    char *job, int64_t *number)
{
	struct head h = {job, number};
	int rc;

	job[0] = '\0';
	*number = 0;
	rc = store__tx(tx)->ops->exec_pending(tx, thing, namespace_id, 1, head_row, &h);
	return rc < 0 ? rc : 0;
}

int
store_exec_pending_head(struct store_tx *tx, const char *thing, const char *namespace_id, char *job,
    int64_t *number)
{
	const struct store_ops *ops = store__tx(tx)->ops;

	if (ops->read != NULL && ops->read->exec_pending_head != NULL)
		return ops->read->exec_pending_head(tx, thing, namespace_id, job, number);
	return store_exec_pending_head_read(tx, thing, namespace_id, job, number);
}

int
store_commit(struct store_tx *tx)
{
	return store__tx(tx)->ops->commit(tx);
}

void
store_rollback(struct store_tx *tx)
{
	if (tx != NULL)
		store__tx(tx)->ops->rollback(tx);
}
