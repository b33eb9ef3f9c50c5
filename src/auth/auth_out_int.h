/* auth_out_int.h: the outgoing credentials' table (outgoing.c), shared with
 * the S3 signer (s3sign.c) and the unit tests. */
#ifndef JD_AUTH_AUTH_OUT_INT_H
#define JD_AUTH_AUTH_OUT_INT_H

#include "auth/auth_int.h"

struct auth__out_entry {
	char *role; /* owned; unused in the default entry */
	char id[JD_AUTH_KEY_ID_MAX + 1];
	char secret[JD_AUTH_SECRET_MAX + 1];
	char region[32]; /* "" = none given */
};

/* Immutable once built: entries sorted by role, and the default. */
struct auth__out_table {
	size_t n, cap;
	struct auth__out_entry *v; /* owned */
	bool has_dflt;
	struct auth__out_entry dflt;
};

struct auth_out {
	char *path;                    /* owned; NULL when built from text */
	pthread_rwlock_t lock;         /* guards table (the pointer) */
	struct auth__out_table *table; /* owned */
};

int auth__out_table_parse(const char *text, size_t n, const char *where,
    struct auth__out_table **out, struct jd_error *e);
/* role's entry, else the default, else NULL (role NULL: the default).
 * Borrowed from t. */
const struct auth__out_entry *auth__out_find(const struct auth__out_table *t, const char *role);
/* Wipe secrets and free; NULL-safe. */
void auth__out_table_free(struct auth__out_table *t);

#endif
