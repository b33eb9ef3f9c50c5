/*
 * ops_lease.c: leases (store.h, D24) in the PostgreSQL backend.
 *
 * One row per lease in `leases` (the last migration). Every time is the
 * database's clock (clock_timestamp(), in epoch ms), so nodes whose clocks
 * disagree still agree on who holds what. The statements run unprepared
 * (PQexecParams): a node runs a few per second, never on a request path,
 * and the statement table stays the other files' business.
 *
 * Exactness: a lease is changed only in a write transaction, which holds the
 * writer lock (conn.c) until it ends; so is every duty transaction that
 * checks its lease (lease_check). While a holder's duty transaction runs, no
 * other node can take the lease over, and a takeover's first duty
 * transaction sees every commit of the previous holder.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/postgres/pg_int.h"

#define NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

static void
fill(const PGresult *r, int i, struct store_lease *l)
{
	pg__cpy(r, i, 0, l->name, sizeof(l->name));
	pg__cpy(r, i, 1, l->holder, sizeof(l->holder));
	l->epoch = pg__i64(r, i, 2);
	l->expires_ms = pg__i64(r, i, 3);
	l->now_ms = pg__i64(r, i, 4);
}

int
pg__lease_acquire(struct store_tx *tx, const char *name, const char *holder, int64_t ttl_ms,
    struct store_lease *out)
{
	struct conn *c = pg__conn(tx);
	char ttl[24];
	const char *v[3] = {name, holder, ttl};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
	/* n: the database's now, once for the whole statement */
	rc = pg__params(c, "lease acquire",
	    "WITH n AS (SELECT " NOW_MS " AS ms),"
	    " up AS (INSERT INTO leases AS l (name, holder, epoch, expires_ms)"
	    "  SELECT $1, $2, 1, n.ms + $3::bigint FROM n"
	    "  ON CONFLICT (name) DO UPDATE SET"
	    "   epoch = CASE WHEN l.holder = excluded.holder"
	    "     AND l.expires_ms > excluded.expires_ms - $3::bigint"
	    "     THEN l.epoch ELSE l.epoch + 1 END,"
	    "   holder = excluded.holder, expires_ms = excluded.expires_ms"
	    "  WHERE l.holder = excluded.holder"
	    "   OR l.expires_ms <= excluded.expires_ms - $3::bigint"
	    "  RETURNING name, holder, epoch, expires_ms)"
	    " SELECT up.*, n.ms FROM up, n",
	    3, v, &r);
	if (rc != 0)
		return rc;
	if (PQntuples(r) == 1) {
		fill(r, 0, out);
		PQclear(r);
		return 0;
	}
	PQclear(r);
	/* held by another, and live: say by whom */
	rc = pg__params(c, "lease acquire",
	    "SELECT name, holder, epoch, expires_ms, " NOW_MS " FROM leases WHERE name = $1", 1, v,
	    &r);
	if (rc != 0)
		return rc;
	if (PQntuples(r) == 1)
		fill(r, 0, out);
	PQclear(r);
	return JD_ECONFLICT;
}

int
pg__lease_release(struct store_tx *tx, const char *name, const char *holder)
{
	const char *v[2] = {name, holder};
	PGresult *r;
	int rc = pg__params(pg__conn(tx), "lease release",
	    "UPDATE leases SET expires_ms = " NOW_MS
	    " WHERE name = $1 AND holder = $2 AND expires_ms > " NOW_MS,
	    2, v, &r);

	PQclear(r);
	return rc;
}

int
pg__lease_check(struct store_tx *tx, const char *name, const char *holder, int64_t epoch)
{
	char ep[24];
	const char *v[3] = {name, holder, ep};
	PGresult *r;
	int rc;

	snprintf(ep, sizeof(ep), "%" PRId64, epoch);
	rc = pg__params(pg__conn(tx), "lease check",
	    "SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND epoch = $3::bigint"
	    " AND expires_ms > " NOW_MS,
	    3, v, &r);
	if (rc != 0)
		return rc;
	rc = PQntuples(r) == 1 ? 0 : JD_ECONFLICT;
	PQclear(r);
	return rc;
}

int
pg__lease_list(struct store_tx *tx, const char *prefix, store_lease_cb cb, void *arg)
{
	const char *v[1] = {prefix};
	PGresult *r;
	int rc = pg__params(pg__conn(tx), "lease list",
	    "SELECT name, holder, epoch, expires_ms, " NOW_MS " FROM leases"
	    " WHERE left(name, length($1)) = $1 ORDER BY name",
	    1, v, &r);

	if (rc != 0)
		return rc;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct store_lease l;

		fill(r, i, &l);
		rc = cb(arg, &l);
	}
	PQclear(r);
	return rc;
}

/* One autocommit statement on the renewal's own connection, outside the
 * writer lock: it moves only holder's live leases, which no other node may
 * take meanwhile (a takeover's UPDATE waits for this row lock and then sees
 * the lease live, or runs first and this one finds it no longer holder's). */
int
pg__lease_renew(struct store *s, const char *holder, int64_t ttl_ms, store_lease_cb cb, void *arg)
{
	struct conn *c = pg__lease_conn_take(s);
	char ttl[24];
	const char *v[2] = {holder, ttl};
	PGresult *r = NULL;
	int rc;

	if (c == NULL)
		return JD_EUNAVAIL;
	snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_ms);
	rc = pg__params(c, "lease renew",
	    "WITH n AS (SELECT " NOW_MS " AS ms)"
	    " UPDATE leases AS l SET expires_ms = n.ms + $2::bigint FROM n"
	    " WHERE l.holder = $1 AND l.expires_ms > n.ms"
	    " RETURNING l.name, l.holder, l.epoch, l.expires_ms, n.ms",
	    2, v, &r);
	pg__lease_conn_give(s);
	if (rc != 0)
		return rc;
	for (int i = 0; cb != NULL && i < PQntuples(r); i++) {
		struct store_lease l;

		fill(r, i, &l);
		cb(arg, &l);
	}
	PQclear(r);
	return 0;
}
