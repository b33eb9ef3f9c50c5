/*
 * sqlite_int.h: internals of the SQLite backend that its tests and
 * benchmarks may look at. Not for svc/ or anything above the store.
 */
#ifndef JD_STORE_SQLITE_SQLITE_INT_H
#define JD_STORE_SQLITE_SQLITE_INT_H

#include <stdint.h>

struct store;

/*
 * Group commit (sqlite.c): at most this many write transactions share one
 * COMMIT, and a group is committed once it is this old even if more writers
 * are waiting to join. A lone writer never waits: its group is committed as
 * soon as nobody else wants the writer.
 */
#define STORE_SQLITE_GROUP_MAX 64
#define STORE_SQLITE_GROUP_MAX_NS 10000000 /* 10 ms */

/* Counters of the writer since open. */
struct store_sqlite_stats {
	int64_t groups;              /* outer transactions that ended in COMMIT */
	int64_t members;             /* write transactions committed by them */
	int64_t failed_groups;       /* groups whose COMMIT failed or that were lost */
	int64_t max_members;         /* the largest group */
	int queued;                  /* now: threads waiting in begin(write) */
	int waiting;                 /* now: committed transactions awaiting their group */
};

/* A snapshot of the counters of `s`, which must be a SQLite store (else zeros). */
void store_sqlite__stats(struct store *s, struct store_sqlite_stats *out);

/* Bound the groups of `s` differently (tests, benchmarks); <= 0 restores a default. */
void store_sqlite__set_group(struct store *s, int max_members, int64_t max_ns);

/*
 * How often SQLite re-prepared the cached statements of `s` (a schema change,
 * or a plan that depends on a bound value). Only while no transaction is
 * open (tests).
 */
int64_t store_sqlite__reprepares(struct store *s);

/* The SQL of prepared statement i and (if name) its name; NULL past the last. */
const char *store_sqlite__stmt(int i, const char **name);

#endif
