/*
 * targets_int.h: what targets.c offers jobs.c (and schedule.c, whatif.c): a job's target ARNs parsed,
 * sets of thing names, and the job's targets as JSON.
 */
#ifndef JD_SVC_TARGETS_INT_H
#define JD_SVC_TARGETS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "svc/svc_int.h"

/* A growable array of thing names (owned v; free(v) when done). */
struct tset {
	char (*v)[JD_THING_NAME_MAX + 1];
	size_t n, cap;
};

/* Add name (a jd_name_cb: arg is the struct tset); 0. */
int svc__tset_add(void *arg, const char *name);
/* Sort and drop repeats. */
void svc__tset_unique(struct tset *t);
/* Whether name is in t (sorted by svc__tset_unique). */
bool svc__tset_has(const struct tset *t, const char *name);

/* Parse a thing ('t') or thing-group ('g') ARN of s's account into kind and
 * name; JD_EINVAL with the reason in e otherwise. */
int svc__target_parse(const struct svc *s, const char *arn, char *kind,
    char name[JD_THING_NAME_MAX + 1], struct jd_error *e);

/* The targets as a JSON array (owned): those of `existing` (a JSON array or
 * NULL) first, then the new ones, each once, in order; *count their number. */
char *svc__targets_json(const char *const *targets, int n, const char *existing, size_t *count);

#endif
