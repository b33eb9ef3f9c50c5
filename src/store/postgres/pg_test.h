/*
 * pg_test.h: test hooks of the PostgreSQL backend, for tests/store only.
 * Without libpq types, so a conformance program that runs every backend can
 * include it; a hook called on another backend's store does nothing.
 */
#ifndef JD_STORE_POSTGRES_PG_TEST_H
#define JD_STORE_POSTGRES_PG_TEST_H

struct store;

/* The next n deferred writes on s (group.c, "Deferred writes") are sent as
 * a statement that fails as a _DEFER form fails when its row is missing. */
void store_postgres__fail_deferred(struct store *s, int n);

#endif
