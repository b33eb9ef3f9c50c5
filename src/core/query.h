/*
 * query.h: the fleet-indexing query language over the thing registry, pure.
 *
 * A query (the queryString of SearchIndex and of dynamic thing groups) is
 * compiled once into a small tree (struct core_query) and then evaluated
 * against one thing at a time (struct core_query_thing), so a registry
 * change costs one evaluation per dynamic group, never a scan of the fleet.
 *
 * Syntax (AWS's "Query syntax" page, the registry fields only):
 *   term     FIELD:VALUE   VALUE with * (any run) and ? (one character);
 *                          FIELD:* means "has the field"; "quoted" is literal;
 *                          \x escapes x
 *            FIELD:[A TO B]  ranges, [ ] inclusive, { } exclusive, * open
 *            FIELD < N, <=, >, >=   comparisons (spaces optional)
 *            FIELD:(a OR b*)  field grouping
 *            VALUE          no field: any registry field
 *   boolean  AND, OR, NOT (upper case), -term; adjacent terms are ANDed;
 *            parentheses. NOT binds tighter than AND, AND than OR.
 *   fields   thingName, thingId, thingTypeName, thingGroupNames,
 *            attributes.NAME (case-sensitive names). Any other field is
 *            refused (jobsd indexes the registry only).
 * Values match case-insensitively (ASCII). A comparison or range whose
 * bounds are numbers compares numerically and matches only numeric values;
 * with string bounds it compares strings (case-insensitively).
 *
 * Errors: JD_EQUERY with a message naming the position (1-based).
 */
#ifndef JD_CORE_QUERY_H
#define JD_CORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Bounds of a query (docs/behaviour.md lists them). */
#define CORE_QUERY_LEN_MAX 2048        /* bytes of queryString */
#define CORE_QUERY_LEADING_LEN_MAX 100 /* with a leading wildcard (AWS) */
#define CORE_QUERY_NODES_MAX 256       /* terms and operators */
#define CORE_QUERY_DEPTH_MAX 32        /* nesting of parentheses and NOT */

struct core_query; /* compiled, immutable: may be shared by threads */

/* The registry view of one thing, borrowed for one evaluation. */
struct core_query_thing {
	const char *name;
	const char *id;        /* NULL or "" = none */
	const char *type_name; /* NULL or "" = none */
	const char *const *attr_keys;
	const char *const *attr_vals;
	size_t n_attrs;
	const char *const *groups; /* thingGroupNames */
	size_t n_groups;
};

/*
 * Compile text (NUL-terminated). On success *out is owned by the caller
 * (core_query_free). JD_EQUERY with e set on a malformed query.
 */
int core_query_compile(const char *text, struct core_query **out, struct jd_error *e);
void core_query_free(struct core_query *q); /* NULL-safe */

/* Whether the thing matches. */
bool core_query_match(const struct core_query *q, const struct core_query_thing *t);

/* Whether evaluating needs the thing's groups (thingGroupNames or a bare
 * term): callers may skip loading them otherwise. */
bool core_query_uses_groups(const struct core_query *q);

#endif
