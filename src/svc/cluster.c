/*
 * cluster.c: several jobsd nodes on one database (D24).
 *
 * Nodes share only the database (and the broker): no other channel. Three
 * kinds of lease (store.h, timed by the database's clock) live there:
 *   "duties"     the node that runs every background duty (timers.c:
 *                timeouts, scheduled starts, rollout batches, the deletion
 *                reaper, and whatever duty is added there);
 *   "node/ID"    a node that answers MQTT requests is alive;
 *   "shard/NN"   the node that answers the MQTT requests of the things whose
 *                name hashes to NN (FNV-1a modulo SVC_SHARDS).
 * A thread of its own (lease_main, so that a long timer pass never delays
 * it) calls svc__cluster_tick every 100 ms; at most every
 * SVC_LEASE_RENEW_MS it takes the duty lease when it is free, and evens out
 * the shards: with N live nodes each holds ceil(SHARDS / N); a node over it
 * gives the excess back, a node under it takes free (released or expired)
 * shards at once (one it held that lapsed included). All in one write
 * transaction, so under the store's writer lock, which a big write (a
 * fan-out, a deletion) may hold for seconds. Renewing is separate: a second
 * thread (renew_main) renews every live lease of this node every
 * SVC_LEASE_RENEW_MS / 2 with one statement outside the writer lock
 * (store_lease_renew), so a renewal is late only when the node or the
 * database itself stalls, by more than TTL - MARGIN - RENEW / 2 (1.75 s).
 *
 * Exactly once:
 * - Duties: each duty transaction checks the duty lease inside itself
 *   (svc__duty_begin: holder and epoch match, not expired by the database's
 *   clock). Lease changes are write transactions too, and write transactions
 *   run one at a time (the store's writer lock), so between that check and
 *   the commit nobody can take the lease: a node that lost it (paused,
 *   partitioned, its renewals late) does nothing, and the next holder's
 *   first duty sees every commit of the previous one. The duties re-read
 *   what is due inside their transaction as well, so each fires once.
 * - Shards: a node answers a shard's requests only while at least
 *   SVC_LEASE_MARGIN_MS of its lease is left (its monotonic clock, from the
 *   database's expiry and the database's now read by the same statement), and
 *   a node that takes a shard another held answers only from
 *   SVC_SHARD_GUARD_MS after that lease ended. A node giving a shard back
 *   stops answering before its release commits. So two nodes never answer
 *   for one shard at once unless the broker delivers a request to them more
 *   than the guard apart; a request that arrives while a shard moves may be
 *   answered by nobody (the takeover window: a graceful move is up to one
 *   tick plus the guard, a killed node's shards up to TTL + RENEW / 2).
 *
 * Without leases (node NULL or !leases: one node, e.g. on a SQLite file),
 * this node holds every duty and shard and no lease is read or written.
 *
 * The test rig's virtual clock (D26) is in the store, not here: svc.c reads
 * it in every write transaction, and the tick keeps it fresh for reads.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc/cluster_int.h"
#include "util/buf.h"
#include "util/log.h"

#define DUTY "duties"
#define NODE_PREFIX "node/"
#define SHARD_PREFIX "shard/"

struct svc_cluster {
	char node[STORE_LEASE_HOLDER_MAX + 1];
	bool leases;
	bool shards;
	/* the lease thread's (and svc_timers_run's) state, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* stop */
	pthread_t thread;
	pthread_t rthread; /* renew_main, which waits on rmu/rcv (never on mu,
	                    * which a tick holds while it waits for the writer) */
	pthread_mutex_t rmu;
	pthread_cond_t rcv;
	bool started, rstarted, stop, rstop;
	int64_t next_tick; /* monotonic ms */
	bool duty_logged;
	int held_logged;              /* shards held, as last logged */
	_Atomic int64_t lapse_logged; /* monotonic ms of the last lapse warning */
	/* read without a lock by svc__duty_begin, svc__duty_held and
	 * svc_shard_owned (a duty transaction holds the writer lock, which a
	 * tick under mu waits for: the duty must not wait for mu) */
	_Atomic int64_t duty_epoch;
	_Atomic int64_t duty_until;             /* monotonic ms; 0: not held */
	_Atomic int64_t shard_from[SVC_SHARDS]; /* monotonic ms from which answered */
	_Atomic int64_t shard_until[SVC_SHARDS];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
shard_of(const char *thing)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)thing; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (int)(h % SVC_SHARDS);
}

bool
svc_shard_owned(struct svc *s, const char *thing)
{
	struct svc_cluster *c = s->cluster;
	int64_t now;
	int i;

	if (c == NULL || !c->shards)
		return true;
	i = shard_of(thing);
	now = mono_ms();
	return now >= atomic_load_explicit(&c->shard_from[i], memory_order_relaxed) &&
	    now < atomic_load_explicit(&c->shard_until[i], memory_order_relaxed);
}

bool
svc__duty_held(struct svc *s)
{
	struct svc_cluster *c = s->cluster;

	return c == NULL || !c->leases || mono_ms() < atomic_load(&c->duty_until);
}

int
svc__duty_begin(struct svc *s, struct svc_tx *t, struct jd_error *e)
{
	struct svc_cluster *c = s->cluster;
	int rc;

	if ((rc = svc__begin(s, t, e)) != 0 || c == NULL || !c->leases)
		return rc;
	rc = store_lease_check(t->tx, DUTY, c->node, atomic_load(&c->duty_epoch));
	if (rc == 0)
		return 0;
	svc__rollback(t);
	if (rc == JD_ECONFLICT) {
		atomic_store(&c->duty_until, 0);
		return jd_error_set(e, JD_ECONFLICT, "this node no longer holds the duties");
	}
	return svc__store_err(rc, e);
}

int
svc__duty_end(struct svc_tx *t, int rc, struct jd_error *e)
{
	if (rc != 0) {
		svc__rollback(t);
		return rc == JD_ENOTFOUND ? 0 : svc__store_err(rc, e);
	}
	return svc__commit(t, e);
}

/* ---- the tick ------------------------------------------------------------ */

struct shard_view {
	int n_live; /* live node leases */
	char holder[SVC_SHARDS][STORE_LEASE_HOLDER_MAX + 1];
	int64_t expires[SVC_SHARDS]; /* database ms; 0: no row */
	int64_t now;                 /* database ms */
};

static int
count_node(void *arg, const struct store_lease *l)
{
	struct shard_view *v = arg;

	if (l->expires_ms > l->now_ms)
		v->n_live++;
	return 0;
}

static int
see_shard(void *arg, const struct store_lease *l)
{
	struct shard_view *v = arg;
	int i = atoi(l->name + strlen(SHARD_PREFIX));

	if (i < 0 || i >= SVC_SHARDS)
		return 0;
	jd_strlcpy(v->holder[i], l->holder, sizeof(v->holder[i]));
	v->expires[i] = l->expires_ms;
	v->now = l->now_ms;
	return 0;
}

/* Local validity of a lease taken at monotonic t0: until MARGIN before its end. */
static int64_t
until_of(const struct store_lease *l, int64_t t0)
{
	return t0 + (l->expires_ms - l->now_ms) - SVC_LEASE_MARGIN_MS;
}

/* A renewal that lands after this node's local validity had ended: its MQTT
 * shards went unanswered and its duties waited meanwhile; say so (at most
 * every 10 s). */
static void
note_lapse(struct svc_cluster *c, int64_t until, int64_t now)
{
	int64_t last = atomic_load(&c->lapse_logged);

	if (until == 0 || now <= until || now - last <= 10000 ||
	    !atomic_compare_exchange_strong(&c->lapse_logged, &last, now))
		return;
	log_warn("cluster: node %s renewed its leases %lld ms after they had lapsed here (a "
	         "stalled node or a busy database): its MQTT shards went unanswered and its "
	         "duties waited meanwhile",
	    c->node, (long long)(now - until));
}

/* Raise a held lease's local validity to v (never one given up: 0 stays). */
static void
raise_until(_Atomic int64_t *u, int64_t v)
{
	int64_t cur = atomic_load(u);

	while (cur != 0 && cur < v && !atomic_compare_exchange_weak(u, &cur, v))
		;
}

struct renewal {
	struct svc_cluster *c;
	int64_t t0; /* monotonic ms before the statement was sent */
};

static int
renewed(void *arg, const struct store_lease *l)
{
	struct renewal *r = arg;
	struct svc_cluster *c = r->c;
	int64_t until = until_of(l, r->t0), now = mono_ms();

	if (strcmp(l->name, DUTY) == 0) {
		if (l->epoch != atomic_load(&c->duty_epoch))
			return 0;
		note_lapse(c, atomic_load(&c->duty_until), now);
		raise_until(&c->duty_until, until);
	} else if (strncmp(l->name, SHARD_PREFIX, strlen(SHARD_PREFIX)) == 0) {
		int i = atoi(l->name + strlen(SHARD_PREFIX));

		if (i < 0 || i >= SVC_SHARDS)
			return 0;
		note_lapse(c, atomic_load(&c->shard_until[i]), now);
		raise_until(&c->shard_until[i], until);
	}
	return 0;
}

/*
 * The renewal thread: every SVC_LEASE_RENEW_MS / 2, one statement renews
 * every live lease this node holds (store_lease_renew: outside the writer
 * lock on PostgreSQL), so neither a long write transaction (a big fan-out, a
 * deletion) nor a slow tick (which waits for the writer) delays a renewal.
 * The tick still takes, gives back and balances leases.
 */
static void *
renew_main(void *arg)
{
	struct svc *s = arg;
	struct svc_cluster *c = s->cluster;

	pthread_mutex_lock(&c->rmu);
	while (!c->rstop) {
		struct timespec ts;
		struct renewal r = {c, 0};

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (SVC_LEASE_RENEW_MS / 2) * 1000000L;
		while (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->rcv, &c->rmu, &ts);
		if (c->rstop)
			break;
		pthread_mutex_unlock(&c->rmu);
		r.t0 = mono_ms();
		store_lease_renew(s->store, c->node, SVC_LEASE_TTL_MS, renewed, &r);
		pthread_mutex_lock(&c->rmu);
	}
	pthread_mutex_unlock(&c->rmu);
	return NULL;
}

/* The shards' part of a tick, in tx. from/until: what to publish after commit. */
static int
tick_shards(struct svc_cluster *c, struct store_tx *tx, int64_t t0, int64_t from[SVC_SHARDS],
    int64_t until[SVC_SHARDS])
{
	struct shard_view *v = jd_calloc(1, sizeof(*v));
	struct store_lease l;
	int mine = 0, target, rc;
	char name[32];

	{
		char nn[STORE_LEASE_NAME_MAX + 1];
		snprintf(nn, sizeof(nn), NODE_PREFIX "%s", c->node);
		if ((rc = store_lease_acquire(tx, nn, c->node, SVC_LEASE_TTL_MS, &l)) != 0)
			goto out;
	}
	if ((rc = store_lease_list(tx, NODE_PREFIX, count_node, v)) != 0 ||
	    (rc = store_lease_list(tx, SHARD_PREFIX, see_shard, v)) != 0)
		goto out;
	if (v->n_live < 1)
		v->n_live = 1;
	target = (SVC_SHARDS + v->n_live - 1) / v->n_live;
	for (int i = 0; i < SVC_SHARDS; i++)
		if (v->expires[i] > v->now && strcmp(v->holder[i], c->node) == 0)
			mine++;
	for (int i = SVC_SHARDS - 1; i >= 0; i--) {
		bool held = v->expires[i] > v->now && strcmp(v->holder[i], c->node) == 0;
		bool free_ = v->expires[i] <= v->now;

		from[i] = INT64_MAX;
		until[i] = 0;
		snprintf(name, sizeof(name), SHARD_PREFIX "%02d", i);
		if (held && mine > target) {
			/* over the fair share: stop answering now, then give it back */
			atomic_store(&c->shard_until[i], 0);
			if ((rc = store_lease_release(tx, name, c->node)) != 0)
				goto out;
			mine--;
			continue;
		}
		if (!held && !(free_ && mine < target))
			continue;
		if (held && atomic_load(&c->shard_until[i]) > t0 + SVC_LEASE_RENEW_MS) {
			/* kept fresh by the renewal thread: no statement needed */
			from[i] = atomic_load(&c->shard_from[i]);
			until[i] = atomic_load(&c->shard_until[i]);
			continue;
		}
		rc = store_lease_acquire(tx, name, c->node, SVC_LEASE_TTL_MS, &l);
		if (rc == JD_ECONFLICT)
			continue; /* taken meanwhile (cannot happen under the writer lock) */
		if (rc != 0)
			goto out;
		if (!held)
			mine++;
		until[i] = until_of(&l, t0);
		/* renewed: answered as before (or at once if this is the node restarted
		 * under its name: the one that held it is gone); taken: GUARD after the
		 * last holder's end (a shard that never had a holder: at once) */
		from[i] = atomic_load(&c->shard_from[i]);
		if (held && from[i] == INT64_MAX)
			from[i] = t0;
		else if (!held && v->expires[i] == 0)
			from[i] = t0;
		else if (!held)
			from[i] = t0 + (v->expires[i] + SVC_SHARD_GUARD_MS - l.now_ms);
		if (from[i] < t0 && !held)
			from[i] = t0;
	}
out:
	free(v);
	return rc;
}

void
svc__cluster_tick(struct svc *s, bool force)
{
	struct svc_cluster *c = s->cluster;
	int64_t from[SVC_SHARDS], until[SVC_SHARDS];
	struct store_lease duty;
	struct svc_tx t;
	int64_t t0;
	int rc, held = 0;
	bool got;

	if (c == NULL || !c->leases)
		return;
	pthread_mutex_lock(&c->mu);
	t0 = mono_ms();
	if (!force && t0 < c->next_tick) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	if (svc__begin(s, &t, NULL) != 0)
		goto fail;
	rc = store_lease_acquire(t.tx, DUTY, c->node, SVC_LEASE_TTL_MS, &duty);
	got = rc == 0;
	if (rc != 0 && rc != JD_ECONFLICT)
		goto rollback;
	if (c->shards && tick_shards(c, t.tx, t0, from, until) != 0)
		goto rollback;
	if (!got)
		atomic_store(&c->duty_until, 0); /* before commit: never a late duty */
	if (svc__commit(&t, NULL) != 0)
		goto fail;
	{
		/* a renewal that came after the margin (the renewal thread's
		 * were late too, or failed) */
		int64_t t1 = mono_ms();

		if (got && atomic_load(&c->duty_epoch) == duty.epoch)
			note_lapse(c, atomic_load(&c->duty_until), t1);
		for (int i = 0; c->shards && i < SVC_SHARDS; i++)
			if (until[i] != 0)
				note_lapse(c, atomic_load(&c->shard_until[i]), t1);
	}
	if (got) {
		atomic_store(&c->duty_epoch, duty.epoch);
		atomic_store(&c->duty_until, until_of(&duty, t0));
		if (!c->duty_logged)
			log_info("cluster: node %s runs the background duties (epoch %lld)",
			    c->node, (long long)duty.epoch);
	} else if (c->duty_logged) {
		log_info("cluster: node %s no longer runs the background duties (held by %s)",
		    c->node, duty.holder);
	}
	c->duty_logged = got;
	if (c->shards) {
		for (int i = 0; i < SVC_SHARDS; i++) {
			atomic_store(&c->shard_from[i], from[i]);
			atomic_store(&c->shard_until[i], until[i]);
			held += until[i] != 0;
		}
		if (held != c->held_logged)
			log_info("cluster: node %s answers %d of %d MQTT shards", c->node, held,
			    SVC_SHARDS);
		c->held_logged = held;
	}
	c->next_tick = t0 + (got ? SVC_LEASE_RENEW_MS : SVC_LEASE_RENEW_MS / 2);
	pthread_mutex_unlock(&c->mu);
	return;
rollback:
	svc__rollback(&t);
fail:
	/* the store failed: keep what is held until it lapses; try again soon */
	c->next_tick = t0 + SVC_LEASE_RENEW_MS / 4;
	pthread_mutex_unlock(&c->mu);
}

/* ---- life ---------------------------------------------------------------- */

static void *
lease_main(void *arg)
{
	struct svc *s = arg;
	struct svc_cluster *c = s->cluster;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		svc__cluster_tick(s, false);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

void
svc__cluster_open(struct svc *s, const struct svc_node *node)
{
	struct svc_cluster *c = jd_calloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	c->leases = node != NULL && node->leases;
	c->shards = c->leases && node->shard_leases;
	jd_strlcpy(c->node, node != NULL && node->id != NULL ? node->id : "local", sizeof(c->node));
	atomic_init(&c->duty_until, 0);
	atomic_init(&c->duty_epoch, 0);
	atomic_init(&c->lapse_logged, 0);
	for (int i = 0; i < SVC_SHARDS; i++) {
		atomic_init(&c->shard_from[i], INT64_MAX);
		atomic_init(&c->shard_until[i], 0);
	}
	pthread_cond_init(&c->cv, NULL);
	pthread_mutex_init(&c->rmu, NULL);
	pthread_cond_init(&c->rcv, NULL);
	s->cluster = c;
	svc__cluster_tick(s, true);
	if (c->leases) {
		if (pthread_create(&c->thread, NULL, lease_main, s) == 0)
			c->started = true;
		else /* without it, leases lapse: other nodes take over */
			log_error("cluster: cannot start the lease thread");
		if (pthread_create(&c->rthread, NULL, renew_main, s) == 0)
			c->rstarted = true;
		else
			log_error("cluster: cannot start the lease renewal thread");
	}
}

void
svc__cluster_close(struct svc *s)
{
	struct svc_cluster *c = s->cluster;
	struct svc_tx t;

	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	if (c->rstarted) {
		pthread_mutex_lock(&c->rmu);
		c->rstop = true;
		pthread_cond_signal(&c->rcv);
		pthread_mutex_unlock(&c->rmu);
		pthread_join(c->rthread, NULL);
	}
	if (c->leases) {
		atomic_store(&c->duty_until, 0);
		for (int i = 0; i < SVC_SHARDS; i++)
			atomic_store(&c->shard_until[i], 0);
		if (svc__begin(s, &t, NULL) == 0) {
			char name[STORE_LEASE_NAME_MAX + 1];
			int rc = store_lease_release(t.tx, DUTY, c->node);

			snprintf(name, sizeof(name), NODE_PREFIX "%s", c->node);
			if (rc == 0 && c->shards)
				rc = store_lease_release(t.tx, name, c->node);
			for (int i = 0; rc == 0 && c->shards && i < SVC_SHARDS; i++) {
				snprintf(name, sizeof(name), SHARD_PREFIX "%02d", i);
				rc = store_lease_release(t.tx, name, c->node);
			}
			if (rc == 0 && svc__commit(&t, NULL) == 0)
				log_info("cluster: node %s gave its leases back", c->node);
			else if (rc != 0)
				svc__rollback(&t);
		}
	}
	pthread_cond_destroy(&c->rcv);
	pthread_mutex_destroy(&c->rmu);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->cluster = NULL;
}
