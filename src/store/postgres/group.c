/*
 * group.c: group commit of the PostgreSQL backend's write transactions.
 *
 * Every write transaction takes the writer lock (an advisory lock shared by
 * every node, conn.c) and holds it through its COMMIT, WAL flush included,
 * so writes are serial across the nodes and PostgreSQL's own grouping of
 * concurrent flushes never applies: one write per flush was ~200-300 writes/s
 * here. So, as the SQLite backend does (sqlite/conn.c "Group commit"), a
 * node's write transactions share one connection and one server
 * transaction: each is a SAVEPOINT inside it, run one after the other, each
 * seeing the earlier ones' changes; commit() releases the savepoint, joins
 * the group and hands the connection to the next writer; whoever leaves the
 * connection when nobody waits for it (or the group is full or old) sends
 * the COMMIT: one flush, one lock hold, for every member. Only then do the
 * members' commit() calls return, all with the COMMIT's outcome, so success
 * means durable and a failed COMMIT fails every member (none has answered).
 * rollback() undoes its own savepoint and, if earlier members are pending,
 * waits for their COMMIT (it may answer from their changes).
 *
 * Wake-ups (round 8, as sqlite/conn.c since round 6): writers wait for the
 * connection in a FIFO, each on its own semaphore (util/handover.h, shared
 * with sqlite/conn.c), and the owner hands the
 * connection straight to the first (it wakes owning it); each member waits
 * for its group's outcome on its own semaphore, posted after the writer was
 * handed on, so the next group runs while they wake. A condition variable
 * woke a thread that then queued on the group's mutex (a broadcast woke a
 * whole group to do so, one by one): on this VM every such sleep and
 * wake-up is dear (bench/README.md "Round 8").
 *
 * Round trips: BEGIN, the writer lock and the SAVEPOINT go with a member's
 * first statement, and its RELEASE with the next member's first statement
 * or the COMMIT (conn.c's prefix), so a one-statement write costs one round
 * trip plus its share of the COMMIT.
 *
 * Deferred writes: a member that reads an execution (exec_get, which on the
 * writer also reads its job's active count) and then updates or deletes that
 * row does not wait for the change: it is queued (pg__defer: the prepared
 * _DEFER form and its parameters, sent as such by pg__defer_send; in the
 * prefix as pg__defer_mark) to go in front of the next pipeline on the
 * connection: the member's own next statement, the next member's first one,
 * or the COMMIT. So CancelJobExecution and DeleteJobExecution cost one round
 * trip, as a one-statement write does. The change is known to apply (its
 * row is there, read under the writer lock in this transaction); a _DEFER
 * form that finds no row divides by zero, so it never passes silently. If
 * it fails anyway, the pipeline that carried it fails, and so does the
 * group: in the COMMIT's pipeline the COMMIT does not run; in the next
 * member's, that member's statements do not run either: its SAVEPOINT, if
 * it sent one, is not there, so its undo fails (consecutive savepoints use
 * jd0 and jd1 in turn, so the name is not an earlier one's), and if it sent
 * none its undo finds the transaction failed; either ends the group
 * failed. Every member then answers JD_EUNAVAIL:
 * a 200 still means committed.
 *
 * Lazy savepoints: a member's SAVEPOINT is queued only before its first
 * write (a statement that is not a plain read, pg__stmt_reads; a direct
 * libpq call such as COPY), or before its own deferred write when a later
 * statement of the member is about to send it. A member that reads and then
 * defers its one write (CancelJobExecution, DeleteJobExecution,
 * UpdateJobExecution) so sends no SAVEPOINT and no RELEASE at all: it has
 * nothing to undo before its deferred write goes out, and once that is out
 * (with the next member's first statement or the COMMIT) its failure fails
 * the group anyway. What it costs: a read of such a member that fails
 * leaves the group's transaction failed with no savepoint to return to, so
 * its rollback ends the group failed (every member JD_EUNAVAIL, none has
 * answered); reads fail only when the server or the connection does.
 * Consecutive savepoints sent still alternate jd0 and jd1.
 *
 * Conditional writes (issue 10, round 13): a member whose one write is
 * exec_update_if (svc read the row earlier, on a reader, and the change is
 * to apply only if the row is still as it read it; reads of the member may
 * come before it) does not wait for it at all: the write (EXEC_UPDATE_IF, EXEC_UPDATE_SAME_IF, EXEC_DELETE_IF) is queued, as
 * pg__cond_mark in prefix, and goes with the next pipeline on the
 * connection, like a deferred write, but several may be queued (one per
 * member, PG_COND_MAX), so such a member holds the writer for no round
 * trip, and a group of them is one pipeline: BEGIN, the lock, every
 * member's write, COMMIT. Each write's answer (changed or not) is written
 * to the member's store_cond as
 * the pipeline carrying it is read, which is before the group ends and the
 * member's commit() returns. A row that is not as expected is no error:
 * the write changes nothing and says so (svc then runs the use case again
 * on the writer). A write that fails fails its pipeline, and so the group,
 * as a deferred write does. Such a member sends no savepoint: it has
 * nothing to undo before its write goes; if it runs a later statement
 * after all, its savepoint is queued in front of its write.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jd_limits.h"
#include "store/postgres/pg_int.h"
#include "store/store_read.h"
#include "util/clock.h"
#include "util/handover.h"
#include "util/log.h"
#include "util/metrics.h"

static const char begin_write[] = "BEGIN";
static const char lock_write[] = "SELECT pg_advisory_xact_lock(" PG_LOCK_WRITER ")";
/* Consecutive members use the two names in turn ("Deferred writes") */
static const char *const savepoint[2] = {"SAVEPOINT jd0", "SAVEPOINT jd1"};
static const char *const release[2] = {"RELEASE SAVEPOINT jd0", "RELEASE SAVEPOINT jd1"};
static const char *const undo[2] = {"ROLLBACK TO SAVEPOINT jd0", "ROLLBACK TO SAVEPOINT jd1"};
/* The prefix entry of a deferred write (pg__defer_send sends it) */
const char pg__defer_mark[] = "deferred write";
/* The prefix entry of a conditional write (pg__cond_send sends it) */
const char pg__cond_mark[] = "conditional write";

/* The current member's own deferred write, or its conditional write, is the
 * last prefix entry (not sent yet) */
static bool
defer_own_queued(const struct conn *c)
{
	return c->defer.own && c->nprefix > 0 && c->prefix[c->nprefix - 1] == pg__defer_mark;
}

static bool
cond_own_queued(const struct conn *c)
{
	return c->cond_own && c->nprefix > 0 && c->prefix[c->nprefix - 1] == pg__cond_mark;
}

bool
pg__own_queued(const struct conn *c)
{
	return defer_own_queued(c) || cond_own_queued(c);
}

/* A writer that waited this long for the connection gets a shorter lock wait */
#define PG_LOCK_LATE_MS 250

void
pg__group_init(struct pg_group *g, struct conn *writer)
{
	memset(g, 0, sizeof(*g));
	g->writer = writer;
	writer->group = g;
	writer->cond = jd_calloc(PG_COND_MAX, sizeof(*writer->cond));
	writer->ncond = 0;
	pthread_mutex_init(&g->lock, NULL);
}

void
pg__group_destroy(struct pg_group *g)
{
	/* the writer's queue goes with the connection (conn.c, pool_destroy) */
	pthread_mutex_destroy(&g->lock);
}

/* Wait until the writer connection is free and take it, but not past
 * `deadline` (CLOCK_MONOTONIC ns), in arrival order (util/handover.h). */
static int
writer_take(struct pg_group *g, int64_t deadline)
{
	if (handover_take(&g->wq, &g->lock, deadline) == 0)
		return 0;
	log_error("store postgres: the writer stayed busy for %d ms", JD_STORE_BUSY_MS);
	return JD_EUNAVAIL;
}

/* End the group (the caller owns the writer): COMMIT it if it has members,
 * else roll it back. Returns its members, each given the outcome, for
 * handover_members_post() (writer_leave wakes them once it has handed the writer on). */
static struct handover_member *
group_close(struct pg_group *g, bool fail)
{
	struct conn *c = g->writer;
	struct handover_member *list;
	int rc = JD_EUNAVAIL;
	uint64_t n = 0;

	pthread_mutex_lock(&g->lock);
	list = g->members;
	g->members = NULL;
	g->nmembers = 0;
	pthread_mutex_unlock(&g->lock);

	for (struct handover_member *m = list; m != NULL; m = m->next)
		n += !m->observer;
	/* a group of conditional writes only has sent nothing yet: its
	 * opening and writes go with the COMMIT */
	if (!fail && n > 0 && (c->in_tx || c->ncond > 0) && !c->broken) {
		uint64_t t0 = metrics_now_us();
		PGresult *r = NULL;

		rc = pg__finish(c, "COMMIT", &r);
		if (rc == 0 && (r == NULL || strcmp(PQcmdStatus(r), "COMMIT") != 0)) {
			log_error("store postgres: commit: the transaction had failed and was"
			          " rolled back");
			rc = JD_EUNAVAIL;
		}
		PQclear(r);
		c->in_tx = false;
		metrics_observe(&jd_metrics.store_commit_seconds, metrics_now_us() - t0);
		if (rc != 0)
			metrics_inc(&jd_metrics.store_commit_failures);
		else
			metrics_observe(&jd_metrics.store_group_size, n);
	} else if (n == 0 && !fail) {
		rc = 0; /* only observers: nothing to commit */
	}
	pg__abandon(c);
	g->outer = false;
	for (struct handover_member *m = list; m != NULL; m = m->next)
		m->rc = rc;
	return list;
}

/* End the group and wake its members at once. */
static void
group_end(struct pg_group *g, bool fail)
{
	handover_members_post(group_close(g, fail));
}

/* True if this member's SAVEPOINT has not been sent (it ran nothing): it is
 * taken off the prefix. */
static bool
unsent(struct pg_group *g, struct conn *c)
{
	if (c->nprefix > 0 && c->prefix[c->nprefix - 1] == savepoint[g->sp]) {
		c->nprefix--;
		g->sp ^= 1; /* the next member's name differs from the last sent one */
		return true;
	}
	return false;
}

/* Undo the current member's savepoint; if that is not possible, the whole
 * group is lost (its members fail). */
static void
member_undo(struct pg_group *g)
{
	struct conn *c = g->writer;
	PGresult *r = NULL;

	/* its own deferred or conditional write, not sent yet: nothing to
	 * undo of it */
	if (defer_own_queued(c))
		c->nprefix--;
	c->defer.own = false;
	if (cond_own_queued(c)) {
		c->nprefix--;
		c->ncond--;
	}
	c->cond_own = false;
	if (c->sp_lazy) {
		/* no savepoint: it wrote nothing ("Lazy savepoints"); a statement
		 * of it that failed failed the group's transaction */
		c->sp_lazy = false;
		if (c->broken || (c->db != NULL && PQtransactionStatus(c->db) == PQTRANS_INERROR))
			group_end(g, true);
		return;
	}
	if (unsent(g, c))
		return;
	/* a savepoint that is not there (a deferred write before it failed,
	 * so it never ran) fails here, and so the group */
	pg__prefix(c, undo[g->sp]);
	if (c->broken || pg__finish(c, release[g->sp], &r) != 0) {
		PQclear(r);
		group_end(g, true);
		return;
	}
	PQclear(r);
}

/* A writer that waited for the connection (behind a group that itself waited
 * for the writer lock) waits for the lock only what is left of its own
 * JD_STORE_BUSY_MS, so a write answers 503 after about that time however
 * many writers queued before it (the session's lock_timeout is the whole
 * of it: conn.c). Nothing is sent for a writer that barely waited. */
static void
lock_timeout_left(struct pg_group *g, struct conn *c, int64_t deadline)
{
	int64_t left_ms = (deadline - clock_mono_ns()) / 1000000;

	if (left_ms >= JD_STORE_BUSY_MS - PG_LOCK_LATE_MS)
		return;
	if (left_ms < 1)
		left_ms = 1;
	snprintf(g->lock_timeout, sizeof(g->lock_timeout), "SET LOCAL lock_timeout = %lld",
	    (long long)left_ms);
	pg__prefix(c, g->lock_timeout);
}

/*
 * Open a member's write transaction on the writer connection, which the
 * caller owns: the group's BEGIN and lock (queued, "Round trips") if no
 * group is open, its lock wait bounded by `deadline`. 0, or JD_EUNAVAIL
 * (the writer still owned).
 */
static int
group_open(struct pg_group *g, int64_t deadline)
{
	struct conn *c = g->writer;

	if (g->outer && c->broken)
		group_end(g, true);
	if (!g->outer) {
		if (pg__connect_if_needed(c) != 0)
			return JD_EUNAVAIL;
		c->in_tx = false;
		c->nprefix = 0;
		c->ncond = 0;
		pg__prefix(c, begin_write);
		lock_timeout_left(g, c, deadline);
		pg__prefix(c, lock_write);
		g->outer = true;
		g->start_ns = clock_mono_ns();
	}
	c->sp_lazy = true; /* "Lazy savepoints" */
	c->sent = false;
	c->defer.own = false;
	c->cond_own = false;
	c->memo.kind = PG_MEMO_NONE;
	c->head.valid = false;
	return 0;
}

/* Join m to the open group (m->observer: it rolled back, but saw earlier
 * members' changes); it is posted with the group's outcome. */
static void
member_join(struct pg_group *g, struct handover_member *m)
{
	pthread_mutex_lock(&g->lock);
	m->next = g->members;
	g->members = m;
	g->nmembers++;
	pthread_mutex_unlock(&g->lock);
}

/* End the current member's transaction, which succeeded: 1, it joins the
 * group (its RELEASE queued, if it sent a savepoint); 0, it ran nothing
 * (nothing to make durable); -1, the connection broke (the group failed). */
static int
member_finish(struct pg_group *g)
{
	struct conn *c = g->writer;
	const bool lazy = c->sp_lazy; /* no savepoint to release ("Lazy savepoints") */

	c->sp_lazy = false;
	if (lazy ? !c->sent && !pg__own_queued(c) : unsent(g, c))
		return 0;
	if (c->broken) {
		group_end(g, true);
		return -1;
	}
	if (!lazy)
		pg__prefix(c, release[g->sp]);
	return 1;
}

/* Whether the open group is full or old (lock held). */
static bool
group_full(const struct pg_group *g)
{
	return g->nmembers >= PG_GROUP_MAX || clock_mono_ns() - g->start_ns >= PG_GROUP_MAX_NS;
}

/*
 * Riders (round 14, as sqlite/conn.c's). A write whose whole transaction is
 * one function of the store alone (pg__ride: svc's conditional writes) does
 * not wait for the writer connection when it is owned: it queues as a
 * rider, and the owner, as it leaves, runs it as a member of the group, as
 * if the rider had been handed the connection. A conditional write costs
 * the owner no round trip ("Conditional writes": it goes with the COMMIT),
 * so the rider sleeps once, until its group's COMMIT, instead of twice (for
 * the writer, then for the COMMIT). If the owner leaves riders behind and
 * no other writer waits, it hands the connection to the first of them,
 * which runs its own and carries the rest.
 */
struct pg_rider {
	struct handover_rider h; /* first */
	int (*fn)(struct store_tx *tx, void *arg);
	void *arg;
};

/* Run rider r on the writer, which the caller owns with no member of its
 * own open. */
static void
rider_run(struct pg_group *g, struct pg_rider *r)
{
	bool saw;
	int fin;

	if (clock_mono_ns() >= r->h.deadline || group_open(g, r->h.deadline) != 0) {
		handover_rider_done(&r->h, JD_EUNAVAIL);
		return;
	}
	r->h.rc = r->fn((struct store_tx *)(void *)g->writer, r->arg);
	if (r->h.rc == 0) {
		fin = member_finish(g);
		if (fin == 1)
			member_join(g, &r->h.m);
		else
			handover_rider_done(&r->h, fin == 0 ? 0 : JD_EUNAVAIL);
		return;
	}
	member_undo(g);
	pthread_mutex_lock(&g->lock);
	saw = g->nmembers > 0;
	pthread_mutex_unlock(&g->lock);
	if (!saw) {
		handover_rider_done(&r->h, r->h.rc);
		return;
	}
	r->h.m.observer = true; /* it answers from earlier members' changes */
	member_join(g, &r->h.m);
}

/* Run every rider queued now (the caller owns the writer, with no member
 * of its own open), ending the group where it is full. */
static void
riders_carry(struct pg_group *g)
{
	struct handover_rider *list;

	pthread_mutex_lock(&g->lock);
	list = handover_riders_take(&g->wq);
	pthread_mutex_unlock(&g->lock);
	while (list != NULL) {
		struct pg_rider *r = (struct pg_rider *)(void *)list;
		bool full;

		list = list->next; /* r may return once it is posted */
		pthread_mutex_lock(&g->lock);
		full = g->outer && group_full(g);
		pthread_mutex_unlock(&g->lock);
		if (full)
			group_end(g, false);
		rider_run(g, r);
	}
}

/*
 * Leave the writer connection at the end of a write transaction. self: it
 * joins the group (or, observer, it rolled back after earlier members);
 * NULL: it rolled back, or its begin failed. Runs the riders queued
 * meanwhile, then ends the group if nobody is waiting for the writer or the
 * group is full or old; otherwise the next writer (or rider) takes over and
 * self waits for the group's outcome. Returns self's outcome (0 without
 * self).
 */
static int
writer_leave(struct pg_group *g, struct handover_member *self)
{
	struct handover_waiter *next = NULL;
	struct handover_member *ended = NULL;
	struct handover_rider *heir;
	bool end;

	if (self != NULL) {
		handover_member_init(self);
		member_join(g, self);
	}
	riders_carry(g);
	pthread_mutex_lock(&g->lock);
	end = g->outer && ((g->wq.queued == 0 && g->wq.rhead == NULL) || group_full(g));
	pthread_mutex_unlock(&g->lock);
	if (end)
		ended = group_close(g, false);

	pthread_mutex_lock(&g->lock);
	heir = handover_heir(&g->wq); /* riders left, no waiter: the first rider's */
	if (heir == NULL)
		next = handover_release(&g->wq);
	pthread_mutex_unlock(&g->lock);
	handover_post(next);
	handover_heir_post(heir);
	handover_members_post(ended);
	return self != NULL ? handover_member_wait(self) : 0;
}

int
pg__group_begin(struct pg_group *g, struct conn **out)
{
	int64_t deadline = clock_mono_ns() + (int64_t)JD_STORE_BUSY_MS * 1000000;

	*out = NULL;
	if (writer_take(g, deadline) != 0)
		return JD_EUNAVAIL;
	if (group_open(g, deadline) != 0) {
		writer_leave(g, NULL);
		return JD_EUNAVAIL;
	}
	*out = g->writer;
	return 0;
}

void
pg__group_savepoint(struct conn *c)
{
	struct pg_group *g = c->group;

	if (!c->sp_lazy || g == NULL)
		return;
	c->sp_lazy = false;
	g->sp ^= 1;
	if (pg__own_queued(c)) {
		/* before its own deferred or conditional write */
		const char *own = c->prefix[c->nprefix - 1];

		c->prefix[c->nprefix - 1] = savepoint[g->sp];
		pg__prefix(c, own);
	} else {
		pg__prefix(c, savepoint[g->sp]);
	}
}

int
pg__group_commit(struct pg_group *g)
{
	struct handover_member self = {.observer = false};

	switch (member_finish(g)) {
	case 1:
		return writer_leave(g, &self);
	case 0:
		return writer_leave(g, NULL); /* it ran nothing */
	default:
		writer_leave(g, NULL);
		return JD_EUNAVAIL;
	}
}

/*
 * A write transaction that is fn alone (store_read_ops.ride): carried by
 * the writer's owner if there is one ("Riders"), else run here as begin,
 * fn, commit. fn's error (it is rolled back), JD_EUNAVAIL, or 0 once it is
 * durable.
 */
int
pg__group_ride(struct pg_group *g, int (*fn)(struct store_tx *tx, void *arg), void *arg)
{
	struct pg_rider r = {.fn = fn, .arg = arg};
	struct store_tx *tx = NULL;
	int rc;

	r.h.deadline = clock_mono_ns() + (int64_t)JD_STORE_BUSY_MS * 1000000;
	if (handover_ride(&g->wq, &g->lock, &r.h) == 1) {
		if (!r.h.own)
			return r.h.rc != 0 ? r.h.rc : r.h.m.rc;
		if (group_open(g, r.h.deadline) != 0) {
			writer_leave(g, NULL);
			return JD_EUNAVAIL;
		}
		tx = (struct store_tx *)(void *)g->writer;
	} else {
		struct conn *c;

		if (pg__group_begin(g, &c) != 0)
			return JD_EUNAVAIL;
		tx = (struct store_tx *)(void *)c;
	}
	if ((rc = fn(tx, arg)) != 0) {
		pg__group_rollback(g);
		return rc;
	}
	return pg__group_commit(g);
}

void
pg__group_rollback(struct pg_group *g)
{
	struct handover_member self = {.observer = true};
	bool saw;

	member_undo(g);
	/* It may have answered from earlier members' changes: it returns once
	 * they are durable (their failure it cannot report). */
	pthread_mutex_lock(&g->lock);
	saw = g->nmembers > 0;
	pthread_mutex_unlock(&g->lock);
	writer_leave(g, saw ? &self : NULL);
}

/* Append v (NULL: SQL NULL) as parameter i: its offset in text, or -1. */
static void
param_text(struct buf *text, int *off, int i, const char *v)
{
	if (v == NULL) {
		off[i] = -1;
		return;
	}
	off[i] = (int)text->len;
	buf_puts(text, v);
	buf_putc(text, '\0');
}

/* The n parameters b as text (a deferred or conditional write keeps them
 * until it is sent): false for a kind that has none. */
static bool
params_text(struct buf *text, int *off, const struct bind *b, int n)
{
	buf_reset(text);
	for (int i = 0; i < n; i++) {
		const struct bind *a = &b[i];
		char num[24];

		switch (a->t) {
		case BIND_TEXT:
			param_text(text, off, i, a->s);
			break;
		case BIND_TEXT_OPT:
			param_text(text, off, i, a->s != NULL && *a->s != '\0' ? a->s : NULL);
			break;
		case BIND_TEXT_EMPTY:
			param_text(text, off, i, a->s != NULL ? a->s : "");
			break;
		case BIND_I64:
			snprintf(num, sizeof(num), "%lld", (long long)a->i);
			param_text(text, off, i, num);
			break;
		default:
			return false;
		}
	}
	return true;
}

bool
pg__defer(struct conn *c, enum stmt id, const struct bind *b, int n)
{
	struct pg_deferred *d = &c->defer;

	if (!c->base.write || c->db == NULL || c->broken || !c->prepared[id] ||
	    c->nprefix + 4 > PG_PREFIX_MAX || n > PG_MAX_PARAMS)
		return false;
	for (int i = 0; i < c->nprefix; i++)
		if (c->prefix[i] == pg__defer_mark)
			return false; /* the last one is not sent yet */
	if (!params_text(&d->text, d->off, b, n))
		return false;
	d->id = (int)id;
	d->n = n;
	d->own = true;
	c->head.valid = false; /* the write may change the head */
	d->fail = false;
	if (atomic_load(&c->test_fail_defer) > 0) {
		/* test hook (pg_test.h): the write fails as the _DEFER form does
		 * when its row is not there */
		atomic_fetch_sub(&c->test_fail_defer, 1);
		d->fail = true;
	}
	pg__prefix(c, pg__defer_mark);
	return true;
}

int
pg__defer_send(struct conn *c)
{
	struct pg_deferred *d = &c->defer;
	const char *vals[PG_MAX_PARAMS];
	char name[16];

	if (d->fail)
		return PQsendQueryParams(c->db,
		    "SELECT 1 / (SELECT count(*) FROM executions WHERE false)", 0, NULL, NULL, NULL,
		    NULL, 0);
	for (int i = 0; i < d->n; i++)
		vals[i] = d->off[i] < 0 ? NULL : d->text.p + d->off[i];
	pg__stmt_label(name, d->id);
	return PQsendQueryPrepared(c->db, name, d->n, vals, NULL, NULL, 0);
}

bool
pg__cond(struct conn *c, enum stmt id, const struct bind *b, int n, struct store_cond *res)
{
	struct pg_cond *q;

	/* only a member that wrote nothing yet ("Conditional writes") */
	if (c->group == NULL || c->cond == NULL || !c->sp_lazy || c->defer.own || c->cond_own ||
	    c->db == NULL || c->broken || !c->prepared[id] || c->ncond >= PG_COND_MAX ||
	    c->nprefix + 4 > PG_PREFIX_MAX || n > PG_MAX_PARAMS)
		return false;
	q = &c->cond[c->ncond];
	if (!params_text(&q->text, q->off, b, n))
		return false;
	q->id = id;
	q->n = n;
	q->res = res;
	c->ncond++;
	c->cond_own = true;
	c->head.valid = false; /* the write may change the head */
	c->memo.kind = PG_MEMO_NONE;
	pg__prefix(c, pg__cond_mark);
	return true;
}

int
pg__cond_send(struct conn *c, int i)
{
	const struct pg_cond *q = &c->cond[i];
	const char *vals[PG_MAX_PARAMS];
	char name[16];

	for (int k = 0; k < q->n; k++)
		vals[k] = q->off[k] < 0 ? NULL : q->text.p + q->off[k];
	pg__stmt_label(name, q->id);
	return PQsendQueryPrepared(c->db, name, q->n, vals, NULL, NULL, 0);
}

void
pg__cond_answer(struct conn *c, int i, const PGresult *r)
{
	struct store_cond *res = c->cond[i].res;

	if (res == NULL || PQntuples(r) < 1)
		return;
	res->applied = pg__i64(r, 0, 0) == 1;
	res->done = true;
}
