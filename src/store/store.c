/* store.c: backend registry, open by spec, and the transaction wrappers
 * (begin, commit, rollback; the operations are inline in store.h). */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

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
		return jd_error_set(e, JD_EINTERNAL,
		    "store backend '%s' has ops version %d, want %d", name, ops->version,
		    STORE_OPS_VERSION);
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
	int rc;

	assert(s != NULL && out != NULL);
	rc = ((struct store_base *)(void *)s)->ops->begin(s, write, out);
	/* the backend marks the kind, which the wrappers of mutations check */
	assert(rc != 0 || store__tx(*out)->write == write);
	return rc;
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
