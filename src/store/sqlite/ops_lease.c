/*
 * ops_lease.c: leases (store.h, D24) in the SQLite backend.
 *
 * A SQLite file serves one node, so its leases are always won by that node;
 * they are still real (the same table, epochs and expiry as PostgreSQL's),
 * so the node code above runs one way on both backends and the conformance
 * suite holds both to one contract. "The database's clock" is the host's
 * real clock (the file lives on this host). The statements are prepared per
 * call: a node runs a few per second, never on a request path.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/clock.h"

static void
fill(sqlite3_stmt *st, int64_t now, struct store_lease *l)
{
	sq__col_cpy(st, 0, l->name, sizeof(l->name));
	sq__col_cpy(st, 1, l->holder, sizeof(l->holder));
	l->epoch = sqlite3_column_int64(st, 2);
	l->expires_ms = sqlite3_column_int64(st, 3);
	l->now_ms = now;
}

int
sq__lease_acquire(struct store_tx *tx, const char *name, const char *holder, int64_t ttl_ms,
    struct store_lease *out)
{
	struct conn *c = sq__conn(tx);
	int64_t now = clock_real_ms();
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sq__adhoc_prep(c, "lease acquire",
	    "INSERT INTO leases (name, holder, epoch, expires_ms) VALUES (?1, ?2, 1, ?3 + ?4)"
	    " ON CONFLICT (name) DO UPDATE SET"
	    "  epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_ms > ?3"
	    "   THEN leases.epoch ELSE leases.epoch + 1 END,"
	    "  holder = excluded.holder, expires_ms = excluded.expires_ms"
	    " WHERE leases.holder = excluded.holder OR leases.expires_ms <= ?3"
	    " RETURNING name, holder, epoch, expires_ms",
	    (const char *const[]){name, holder}, 2, (const int64_t[]){now, ttl_ms}, 2, &st);
	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, "lease acquire", st)) < 0)
		return rc;
	if (rc == 1) {
		fill(st, now, out);
		/* RETURNING: the change is made once the statement has run to its end */
		rc = sq__adhoc_step(c, "lease acquire", st);
		if (rc < 0)
			return rc;
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	rc = sq__adhoc_prep(c, "lease get",
	    "SELECT name, holder, epoch, expires_ms FROM leases WHERE name = ?1",
	    (const char *const[]){name}, 1, NULL, 0, &st);
	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, "lease get", st)) < 0)
		return rc;
	if (rc == 1)
		fill(st, now, out);
	sqlite3_finalize(st);
	return JD_ECONFLICT;
}

int
sq__lease_release(struct store_tx *tx, const char *name, const char *holder)
{
	struct conn *c = sq__conn(tx);
	int64_t now = clock_real_ms();
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, "lease release",
	    "UPDATE leases SET expires_ms = ?3 WHERE name = ?1 AND holder = ?2 AND expires_ms > ?3",
	    (const char *const[]){name, holder}, 2, (const int64_t[]){now}, 1, &st);

	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, "lease release", st)) < 0)
		return rc;
	sqlite3_finalize(st);
	return 0;
}

int
sq__lease_check(struct store_tx *tx, const char *name, const char *holder, int64_t epoch)
{
	struct conn *c = sq__conn(tx);
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, "lease check",
	    "SELECT 1 FROM leases WHERE name = ?1 AND holder = ?2 AND epoch = ?3"
	    " AND expires_ms > ?4",
	    (const char *const[]){name, holder}, 2, (const int64_t[]){epoch, clock_real_ms()}, 2,
	    &st);

	if (rc != 0)
		return rc;
	if ((rc = sq__adhoc_step(c, "lease check", st)) < 0)
		return rc;
	sqlite3_finalize(st);
	return rc == 1 ? 0 : JD_ECONFLICT;
}

int
sq__lease_list(struct store_tx *tx, const char *prefix, store_lease_cb cb, void *arg)
{
	struct conn *c = sq__conn(tx);
	int64_t now = clock_real_ms();
	sqlite3_stmt *st;
	int rc = sq__adhoc_prep(c, "lease list",
	    "SELECT name, holder, epoch, expires_ms FROM leases"
	    " WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name",
	    (const char *const[]){prefix}, 1, NULL, 0, &st);

	if (rc != 0)
		return rc;
	while ((rc = sq__adhoc_step(c, "lease list", st)) == 1) {
		struct store_lease l;

		fill(st, now, &l);
		if ((rc = cb(arg, &l)) != 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (rc == 0)
		sqlite3_finalize(st);
	return rc; /* step failed: finalized there */
}

/* A SQLite file has one writer: the renewal is an ordinary write transaction
 * (a group member), with the renewed leases reported after its commit. */
int
sq__lease_renew(struct store *s, const char *holder, int64_t ttl_ms, store_lease_cb cb, void *arg)
{
	struct store_tx *tx = NULL;
	struct store_lease *v = NULL;
	size_t n = 0, cap = 0;
	int64_t now = clock_real_ms();
	sqlite3_stmt *st;
	struct conn *c;
	int rc;

	if (sq__begin(s, true, &tx) != 0)
		return JD_EUNAVAIL;
	c = sq__conn(tx);
	rc = sq__adhoc_prep(c, "lease renew",
	    "UPDATE leases SET expires_ms = ?2 + ?3 WHERE holder = ?1 AND expires_ms > ?2"
	    " RETURNING name, holder, epoch, expires_ms",
	    (const char *const[]){holder}, 1, (const int64_t[]){now, ttl_ms}, 2, &st);
	if (rc != 0) {
		sq__rollback(tx);
		return rc;
	}
	while ((rc = sq__adhoc_step(c, "lease renew", st)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = jd_realloc(v, cap * sizeof(*v));
		}
		fill(st, now, &v[n++]);
	}
	if (rc < 0) {
		sq__rollback(tx);
		free(v);
		return rc;
	}
	sqlite3_finalize(st);
	rc = sq__commit(tx) == 0 ? 0 : JD_EUNAVAIL;
	for (size_t i = 0; rc == 0 && cb != NULL && i < n; i++)
		cb(arg, &v[i]);
	free(v);
	return rc;
}
