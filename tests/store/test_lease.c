/*
 * test_lease.c: the lease operations of store.h (D24), run against every
 * backend, like test_store.c:
 *
 *   store_test_lease sqlite              a fresh SQLite file in a temp dir
 *   store_test_lease BACKEND WHERE       e.g. postgres "postgres://..."
 *
 * Leases are cluster state, so the cases use names of their own (the suite
 * never wipes them) and time is the database's: expiry is waited for with a
 * short ttl and a bounded poll, never a fixed sleep.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "storekit.h"
#include "test.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

static const char *
nm(char *buf, size_t n, const char *base)
{
	snprintf(buf, n, "%s/%s", run_id, base);
	return buf;
}

static int
acquire(const char *name, const char *holder, int64_t ttl, struct store_lease *l)
{
	struct store_tx *tx = begin(true);
	int rc = store_lease_acquire(tx, name, holder, ttl, l);

	commit(tx);
	return rc;
}

static int
check(const char *name, const char *holder, int64_t epoch, bool write)
{
	struct store_tx *tx = begin(write);
	int rc = store_lease_check(tx, name, holder, epoch);

	store_rollback(tx);
	return rc;
}

/* Acquire for holder, retrying until the other's short lease has lapsed (bounded). */
static int
acquire_when_free(const char *name, const char *holder, int64_t ttl, struct store_lease *l)
{
	int64_t deadline = clock_real_ms() + 5000;
	int rc;

	while ((rc = acquire(name, holder, ttl, l)) == JD_ECONFLICT && clock_real_ms() < deadline) {
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return rc;
}

TEST(t_lease_acquire_renew)
{
	struct store_lease l, m;
	char n[128];

	nm(n, sizeof(n), "duties");
	CHECK_EQ_INT(acquire(n, "node-a", 60000, &l), 0);
	CHECK_EQ_STR(l.name, n);
	CHECK_EQ_STR(l.holder, "node-a");
	CHECK(l.epoch >= 1);
	CHECK(l.expires_ms > l.now_ms);
	CHECK(l.expires_ms - l.now_ms <= 60000);
	CHECK(l.now_ms > 1600000000000LL); /* epoch ms, the database's clock */
	/* renewing keeps the epoch and moves the expiry on */
	CHECK_EQ_INT(acquire(n, "node-a", 90000, &m), 0);
	CHECK_EQ_INT(m.epoch, l.epoch);
	CHECK(m.expires_ms > l.expires_ms);
	/* another node cannot take a live lease: told who holds it */
	memset(&m, 0, sizeof(m));
	CHECK_EQ_INT(acquire(n, "node-b", 60000, &m), JD_ECONFLICT);
	CHECK_EQ_STR(m.holder, "node-a");
	CHECK_EQ_INT(m.epoch, l.epoch);
	/* the fence, in a write and in a read transaction */
	CHECK_EQ_INT(check(n, "node-a", l.epoch, true), 0);
	CHECK_EQ_INT(check(n, "node-a", l.epoch, false), 0);
	CHECK_EQ_INT(check(n, "node-b", l.epoch, true), JD_ECONFLICT);
	CHECK_EQ_INT(check(n, "node-a", l.epoch + 1, true), JD_ECONFLICT);
	CHECK_EQ_INT(check(n, "node-a", l.epoch - 1, true), JD_ECONFLICT);
}

TEST(t_lease_release)
{
	struct store_lease l, m;
	struct store_tx *tx;
	char n[128];

	nm(n, sizeof(n), "release");
	CHECK_EQ_INT(acquire(n, "node-a", 60000, &l), 0);
	/* only the holder releases */
	tx = begin(true);
	CHECK_EQ_INT(store_lease_release(tx, n, "node-b"), 0);
	commit(tx);
	CHECK_EQ_INT(check(n, "node-a", l.epoch, true), 0);
	tx = begin(true);
	CHECK_EQ_INT(store_lease_release(tx, n, "node-a"), 0);
	commit(tx);
	CHECK_EQ_INT(check(n, "node-a", l.epoch, true), JD_ECONFLICT);
	/* released: another takes it at once, with a new epoch; the old is fenced off */
	CHECK_EQ_INT(acquire(n, "node-b", 60000, &m), 0);
	CHECK_EQ_STR(m.holder, "node-b");
	CHECK(m.epoch > l.epoch);
	CHECK_EQ_INT(check(n, "node-b", m.epoch, true), 0);
	CHECK_EQ_INT(check(n, "node-a", l.epoch, true), JD_ECONFLICT);
	/* releasing a lease one does not hold, or one that does not exist: no-op */
	tx = begin(true);
	CHECK_EQ_INT(store_lease_release(tx, n, "node-a"), 0);
	CHECK_EQ_INT(store_lease_release(tx, "no-such-lease", "node-a"), 0);
	commit(tx);
	CHECK_EQ_INT(check(n, "node-b", m.epoch, true), 0);
}

TEST(t_lease_expiry)
{
	struct store_lease l, m, again;
	char n[128];

	nm(n, sizeof(n), "expiry");
	CHECK_EQ_INT(acquire(n, "node-a", 50, &l), 0);
	CHECK_EQ_INT(acquire_when_free(n, "node-b", 60000, &m), 0);
	CHECK_EQ_STR(m.holder, "node-b");
	CHECK(m.epoch > l.epoch);
	CHECK(m.now_ms >= l.expires_ms);
	CHECK_EQ_INT(check(n, "node-a", l.epoch, true), JD_ECONFLICT);
	/* the old holder cannot renew it back */
	CHECK_EQ_INT(acquire(n, "node-a", 60000, &again), JD_ECONFLICT);
	CHECK_EQ_STR(again.holder, "node-b");
	/* the same holder after its own lease lapsed: a new epoch */
	CHECK_EQ_INT(acquire(n, "node-c", 60000, &l), JD_ECONFLICT);
	{
		char n2[128];
		struct store_lease a, b;

		nm(n2, sizeof(n2), "self-lapse");
		CHECK_EQ_INT(acquire(n2, "node-a", 30, &a), 0);
		while (check(n2, "node-a", a.epoch, false) == 0)
			; /* bounded by the 30 ms ttl */
		CHECK_EQ_INT(acquire(n2, "node-a", 60000, &b), 0);
		CHECK_EQ_INT(b.epoch, a.epoch + 1);
	}
}

TEST(t_lease_rollback)
{
	struct store_lease l;
	struct store_tx *tx;
	char n[128];

	nm(n, sizeof(n), "rolled-back");
	tx = begin(true);
	CHECK_EQ_INT(store_lease_acquire(tx, n, "node-a", 60000, &l), 0);
	store_rollback(tx);
	/* not taken: another node gets it */
	CHECK_EQ_INT(acquire(n, "node-b", 60000, &l), 0);
	CHECK_EQ_STR(l.holder, "node-b");
}

struct coll {
	struct buf b;
	int n;
};

static int
coll_lease(void *arg, const struct store_lease *l)
{
	struct coll *c = arg;
	const char *slash = strrchr(l->name, '/');

	if (c->n++ > 0)
		buf_putc(&c->b, ',');
	buf_puts(&c->b, slash != NULL ? slash + 1 : l->name);
	buf_putc(&c->b, '=');
	buf_puts(&c->b, l->holder);
	buf_puts(&c->b, l->expires_ms > l->now_ms ? "" : "(expired)");
	return 0;
}

static int
stop_at_two(void *arg, const struct store_lease *l)
{
	(void)l;
	return ++*(int *)arg == 2 ? 7 : 0;
}

TEST(t_lease_list)
{
	struct store_lease l, l02 = {0};
	struct coll c = {BUF_INIT, 0};
	struct store_tx *tx;
	char n[128], p[128];
	int seen = 0;

	snprintf(p, sizeof(p), "%s/shard/", run_id);
	for (int i = 3; i >= 0; i--) {
		char base[32];
		snprintf(base, sizeof(base), "shard/%02d", i);
		CHECK_EQ_INT(acquire(nm(n, sizeof(n), base), i % 2 ? "node-b" : "node-a",
		                 i == 2 ? 20 : 60000, &l),
		    0);
		if (i == 2)
			l02 = l;
	}
	CHECK_EQ_INT(acquire(nm(n, sizeof(n), "shardx"), "node-a", 60000, &l), 0);
	/* shard/02 had 20 ms: poll the fence until it lapses (bounded by the ttl) */
	while (check(nm(n, sizeof(n), "shard/02"), "node-a", l02.epoch, false) == 0)
		;
	tx = begin(false);
	CHECK_EQ_INT(store_lease_list(tx, p, coll_lease, &c), 0);
	CHECK_EQ_STR(buf_cstr(&c.b), "00=node-a,01=node-b,02=node-a(expired),03=node-b");
	CHECK_EQ_INT(store_lease_list(tx, p, stop_at_two, &seen), 7);
	CHECK_EQ_INT(seen, 2);
	store_rollback(tx);
	buf_free(&c.b);
	/* a prefix with no lease */
	c = (struct coll){BUF_INIT, 0};
	tx = begin(true);
	CHECK_EQ_INT(store_lease_list(tx, "no-such-prefix/", coll_lease, &c), 0);
	CHECK_EQ_INT(c.n, 0);
	store_rollback(tx);
	buf_free(&c.b);
}

/* Two threads race for one lease many times: each round exactly one wins. */
struct racer {
	const char *holder;
	char name[128];
	int wins;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct store_lease l;

	if (acquire(r->name, r->holder, 60000, &l) == 0)
		r->wins++;
	return NULL;
}

TEST(t_lease_race)
{
	for (int round = 0; round < 20; round++) {
		struct racer a = {"node-a", "", 0}, b = {"node-b", "", 0};
		pthread_t ta, tb;
		char base[32];

		snprintf(base, sizeof(base), "race/%d", round);
		nm(a.name, sizeof(a.name), base);
		memcpy(b.name, a.name, sizeof(b.name));
		pthread_create(&ta, NULL, race, &a);
		pthread_create(&tb, NULL, race, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		CHECK_EQ_INT(a.wins + b.wins, 1);
	}
}

TEST(t_lease_survives_wipe)
{
	struct store_lease l;
	struct store_tx *tx;
	char n[128];

	nm(n, sizeof(n), "wipe");
	CHECK_EQ_INT(acquire(n, "node-a", 60000, &l), 0);
	tx = begin(true);
	CHECK_EQ_INT(store_wipe(tx), 0);
	commit(tx);
	CHECK_EQ_INT(check(n, "node-a", l.epoch, true), 0);
}

struct renewed {
	int n;
	char names[8][128];
	int64_t expires[8], epochs[8];
};

static int
note_renewed(void *arg, const struct store_lease *l)
{
	struct renewed *r = arg;

	if (strncmp(l->name, run_id, strlen(run_id)) != 0 || r->n >= 8)
		return 0; /* another run's lease of the same holder */
	jd_strlcpy(r->names[r->n], l->name, sizeof(r->names[r->n]));
	r->expires[r->n] = l->expires_ms;
	r->epochs[r->n] = l->epoch;
	r->n++;
	return 0;
}

/* lease_renew moves every live lease of one holder, outside any transaction,
 * keeping epochs; expired, released and other holders' leases stay as they are. */
TEST(t_lease_renew_all)
{
	struct store_lease a, b, other, lapsed, released, m;
	struct renewed r = {0};
	struct store_tx *tx;
	char holder[64], na[128], nb[128], no[128], nl[128], nr[128];

	snprintf(holder, sizeof(holder), "renewer-%s", run_id);
	nm(na, sizeof(na), "renew/a");
	nm(nb, sizeof(nb), "renew/b");
	nm(no, sizeof(no), "renew/other");
	nm(nl, sizeof(nl), "renew/lapsed");
	nm(nr, sizeof(nr), "renew/released");
	CHECK_EQ_INT(acquire(na, holder, 2000, &a), 0);
	CHECK_EQ_INT(acquire(nb, holder, 2000, &b), 0);
	CHECK_EQ_INT(acquire(no, "node-z", 2000, &other), 0);
	CHECK_EQ_INT(acquire(nr, holder, 60000, &released), 0);
	tx = begin(true);
	CHECK_EQ_INT(store_lease_release(tx, nr, holder), 0);
	commit(tx);
	CHECK_EQ_INT(acquire(nl, holder, 30, &lapsed), 0);
	while (check(nl, holder, lapsed.epoch, false) == 0)
		; /* bounded by the 30 ms ttl */

	CHECK_EQ_INT(store_lease_renew(S, holder, 90000, note_renewed, &r), 0);
	CHECK_EQ_INT(r.n, 2);
	for (int i = 0; i < r.n; i++) {
		CHECK(strcmp(r.names[i], na) == 0 || strcmp(r.names[i], nb) == 0);
		CHECK(r.expires[i] > a.expires_ms + 60000);
		CHECK_EQ_INT(r.epochs[i], strcmp(r.names[i], na) == 0 ? a.epoch : b.epoch);
	}
	/* the renewed leases are live and fenced as before; the rest did not move */
	CHECK_EQ_INT(check(na, holder, a.epoch, true), 0);
	CHECK_EQ_INT(check(nb, holder, b.epoch, true), 0);
	CHECK_EQ_INT(check(nl, holder, lapsed.epoch, true), JD_ECONFLICT);
	CHECK_EQ_INT(check(nr, holder, released.epoch, true), JD_ECONFLICT);
	memset(&m, 0, sizeof(m));
	CHECK_EQ_INT(acquire(no, "node-y", 1000, &m), JD_ECONFLICT);
	CHECK_EQ_INT(m.expires_ms, other.expires_ms);
	/* a lapsed lease is taken afresh by acquire, not by renew */
	r.n = 0;
	CHECK_EQ_INT(store_lease_renew(S, "nobody-holds-anything", 1000, note_renewed, &r), 0);
	CHECK_EQ_INT(r.n, 0);
}

int
main(int argc, char **argv)
{
	int rc;

	if (storekit_open(argc, argv) != 0)
		return 2;

	RUN(t_lease_acquire_renew);
	RUN(t_lease_release);
	RUN(t_lease_expiry);
	RUN(t_lease_rollback);
	RUN(t_lease_list);
	RUN(t_lease_race);
	RUN(t_lease_survives_wipe);
	RUN(t_lease_renew_all);

	storekit_close();
	rc = test_report();
	return rc;
}
