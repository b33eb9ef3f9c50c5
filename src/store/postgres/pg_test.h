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
/* Run sql (simple query protocol) on a connection of its own to the
 * database of s. 0, or -1 (another backend, an error). */
int store_postgres__sql(struct store *s, const char *sql);
/* The plan PostgreSQL gives statement `name` of stmt.c's table (e.g.
 * "EXEC_LIST_JOB_SUMMARY") on a connection set up as a reader's, as jobsd
 * runs it (prepared, then its generic plan), with the n parameters given as
 * text (NULL: SQL NULL): EXPLAIN's lines, each ended by '\n', into out
 * (truncated to size). 0, or -1 (another backend, no such statement, an
 * error). */
int store_postgres__explain(struct store *s, const char *name, const char *const *params, int n,
    char *out, size_t size);

#endif
