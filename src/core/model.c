/* model.c: release, copy and growable vectors of the domain records. */
#include "core/model.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void
jd_thing_release(struct jd_thing *t)
{
	if (t == NULL)
		return;
	free(t->attributes);
	t->attributes = NULL;
}

void
jd_group_release(struct jd_group *g)
{
	if (g == NULL)
		return;
	free(g->description);
	free(g->attributes);
	g->description = g->attributes = NULL;
	free(g->query_string);
	g->query_string = NULL;
}

void
jd_job_release(struct jd_job *j)
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
	core_policy_release(&j->policy);
	j->document = j->document_source = j->description = NULL;
	j->targets = j->config = j->template_arn = j->comment = NULL;
}

void
jd_exec_release(struct jd_exec *x)
{
	if (x == NULL)
		return;
	free(x->details);
	x->details = NULL;
}

void
jd_template_release(struct jd_template *t)
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
jd_exec_copy(struct jd_exec *dst, const struct jd_exec *src)
{
	*dst = *src;
	dst->details = jd_strdup(src->details);
}

void
jd_job_copy(struct jd_job *dst, const struct jd_job *src)
{
	*dst = *src;
	dst->document = jd_strdup(src->document);
	dst->document_source = jd_strdup(src->document_source);
	dst->description = jd_strdup(src->description);
	dst->targets = jd_strdup(src->targets);
	dst->config = jd_strdup(src->config);
	dst->template_arn = jd_strdup(src->template_arn);
	dst->comment = jd_strdup(src->comment);
	core_policy_copy(&dst->policy, &src->policy);
}

int
jd_execv_add(void *vec, const struct jd_exec *x)
{
	struct jd_execv *l = vec;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	jd_exec_copy(&l->v[l->n++], x);
	return 0;
}

void
jd_execv_free(struct jd_execv *l)
{
	for (size_t i = 0; i < l->n; i++)
		jd_exec_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
jd_jobv_add(void *vec, const struct jd_job *j)
{
	struct jd_jobv *l = vec;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	jd_job_copy(&l->v[l->n++], j);
	return 0;
}

void
jd_jobv_free(struct jd_jobv *l)
{
	for (size_t i = 0; i < l->n; i++)
		jd_job_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
jd_thing_type_release(struct jd_thing_type *t)
{
	if (t == NULL)
		return;
	free(t->properties);
	t->properties = NULL;
}
