/*
 * types_int.h: thing types inside svc/ (types.c): the check things.c makes
 * before a thing takes a type. Not part of the interface.
 */
#ifndef JD_SVC_TYPES_INT_H
#define JD_SVC_TYPES_INT_H

#include "svc/svc_int.h"

/*
 * Whether a thing may take the thing type `name` now: 0, JD_ENOTFOUND when
 * there is no such type, JD_EINVAL when it is deprecated (e set either way).
 */
int svc__thing_type_assignable(struct store_tx *tx, const char *name, struct jd_error *e);

#endif
