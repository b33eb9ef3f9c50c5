/*
 * coverage_int.h: which groups cover a thing, what a change of that cover
 * does to continuous jobs (coverage.c), and the dynamic thing groups that
 * follow registry changes. Used by things.c and groups.c; calls progress.c.
 */
#ifndef JD_SVC_COVERAGE_INT_H
#define JD_SVC_COVERAGE_INT_H

#include "svc/progress_int.h"

/* A set of group names (no duplicates), in insertion order. */
struct svc_names {
	char (*v)[JD_GROUP_NAME_MAX + 1];
	size_t n, cap;
};

/* Add name unless present (fits jd_name_cb; always 0). */
int svc__names_add(void *arg, const char *name);
/* Append without the duplicate check (names known distinct: O(1)). */
int svc__names_push(void *arg, const char *name);
bool svc__names_has(const struct svc_names *l, const char *name);
void svc__names_free(struct svc_names *l);

/* Names of all ancestor groups of group (parent first); *n set. */
int svc__group_ancestors(struct store_tx *tx, const char *group, char out[][JD_GROUP_NAME_MAX + 1],
    int *n);
/* Groups covering a thing: its groups (static and dynamic) and their ancestors. */
int svc__covering_groups(struct store_tx *tx, const char *thing, struct svc_names *out);
/* Effects on continuous jobs of the cover of thing going from before to
 * after: newly covered -> QUEUED, no longer covered -> pending REMOVED (D14). */
int svc__apply_coverage(struct svc_tx *t, const char *thing, const struct svc_names *before,
    const struct svc_names *after);

/* UpdateThingGroup's properties on g: description (NULL = unchanged) and
 * attributes (JSON object text, NULL = unchanged; merged or replaced; an
 * empty value removes a key when merging). */
void svc__group_props(struct jd_group *g, const char *description, const char *attributes,
    bool merge);

/*
 * Dynamic thing groups. svc__dyn_thing_changed re-evaluates one thing against
 * every dynamic group's query after a registry change of the thing (created,
 * attributes or type updated, static groups changed), updates its dynamic
 * memberships and applies the effects on continuous jobs. A thing that is
 * gone (deleted) is left alone: DeleteThing removes its memberships itself.
 * Cost: one store read of the dynamic groups and one compiled evaluation each;
 * nothing is done when there are none.
 */
int svc__dyn_thing_changed(struct svc_tx *t, const char *thing);

/* Whether the thing (by its record and its direct static groups) matches the
 * compiled query q (core/query.h): the registry view SearchIndex and dynamic
 * groups evaluate. */
struct core_query;
int svc__dyn_match(struct store_tx *tx, const struct core_query *q, const struct jd_thing *t,
    bool *match);

#endif
