/*
 * tags_int.h: tags inside svc/ (tags.c): what the create use cases call to
 * store the `tags` of a new resource in their own transaction. Not part of
 * the interface (svc.h has TagResource and its siblings).
 */
#ifndef JD_SVC_TAGS_INT_H
#define JD_SVC_TAGS_INT_H

#include "svc/svc_int.h"

/* Longest resource key "KIND/NAME": the longest kind and the longest name. */
#define SVC_TAG_RESOURCE_MAX (16 + JD_THING_NAME_MAX + 1)

/*
 * Add or replace tags[0..n) on resource in t's transaction, then check that
 * the resource has at most JD_TAGS_MAX tags (LimitExceededException, e set).
 * resource: "KIND/NAME" (thinggroup/NAME, job/ID, jobtemplate/ID,
 * thingtype/NAME) or a whole ARN ending in it. Keys and values are validated
 * by the caller (api_body_tags). Returns 0, or an error in e (the caller
 * rolls back).
 */
int svc__tags_set(struct svc_tx *t, const char *resource, const struct jd_tag *tags, int n,
    struct jd_error *e);

#endif
