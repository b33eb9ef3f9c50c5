/* store.c: backend registry, open by spec, and the transaction wrappers. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const struct store_ops *const backends[] = {
	&store_sqlite_ops,
};

const struct store_ops *
store_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int
store_open(const char *spec, struct store **out, struct jd_error *e)
{
	const char *colon = strchr(spec, ':');
	char name[32];
	const struct store_ops *ops;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(name))
		return jd_error_set(e, JD_EINVAL, "store spec '%s' is not BACKEND:WHERE", spec);
	memcpy(name, spec, (size_t)(colon - spec));
	name[colon - spec] = '\0';
	ops = store_backend(name);
	if (ops == NULL)
		return jd_error_set(e, JD_EINVAL, "unknown store backend '%s'", name);
	if (ops->version != STORE_OPS_VERSION)
		return jd_error_set(e, JD_EINTERNAL, "store backend '%s' has ops version %d, want %d",
		    name, ops->version, STORE_OPS_VERSION);
	return ops->open(colon + 1, out, e);
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
	return ((struct store_base *)(void *)s)->ops->begin(s, write, out);
}

int
store_commit(struct store_tx *tx)
{
	return STORE__TX_OPS(tx)->commit(tx);
}

void
store_rollback(struct store_tx *tx)
{
	if (tx != NULL)
		STORE__TX_OPS(tx)->rollback(tx);
}

void
store_thing_release(struct store_thing *t)
{
	if (t == NULL)
		return;
	free(t->attributes);
	t->attributes = NULL;
}

void
store_group_release(struct store_group *g)
{
	if (g == NULL)
		return;
	free(g->description);
	free(g->attributes);
	g->description = g->attributes = NULL;
}

void
store_job_release(struct store_job *j)
{
	if (j == NULL)
		return;
	free(j->document);
	free(j->document_source);
	free(j->description);
	free(j->targets);
	free(j->config);
	free(j->template_arn);
	free(j->comment);
	j->document = j->document_source = j->description = NULL;
	j->targets = j->config = j->template_arn = j->comment = NULL;
}

void
store_exec_release(struct store_exec *x)
{
	if (x == NULL)
		return;
	free(x->details);
	x->details = NULL;
}

void
store_template_release(struct store_template *t)
{
	if (t == NULL)
		return;
	free(t->description);
	free(t->document);
	free(t->document_source);
	free(t->config);
	t->description = t->document = t->document_source = t->config = NULL;
}

void
store_exec_copy(struct store_exec *dst, const struct store_exec *src)
{
	*dst = *src;
	dst->details = jd_strdup(src->details);
}

void
store_job_copy(struct store_job *dst, const struct store_job *src)
{
	*dst = *src;
	dst->document = jd_strdup(src->document);
	dst->document_source = jd_strdup(src->document_source);
	dst->description = jd_strdup(src->description);
	dst->targets = jd_strdup(src->targets);
	dst->config = jd_strdup(src->config);
	dst->template_arn = jd_strdup(src->template_arn);
	dst->comment = jd_strdup(src->comment);
}

int
store_execv_add(void *vec, const struct store_exec *x)
{
	struct store_execv *l = vec;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	store_exec_copy(&l->v[l->n++], x);
	return 0;
}

void
store_execv_free(struct store_execv *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_exec_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
store_jobv_add(void *vec, const struct store_job *j)
{
	struct store_jobv *l = vec;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	store_job_copy(&l->v[l->n++], j);
	return 0;
}

void
store_jobv_free(struct store_jobv *l)
{
	for (size_t i = 0; i < l->n; i++)
		store_job_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
