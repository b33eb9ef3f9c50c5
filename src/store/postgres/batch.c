/*
 * batch.c: one-operation reads (store_begin_one) share a few connections,
 * many reads to one pipeline (issue 10, PostgreSQL control reads).
 *
 * A one-operation read runs one statement, on that statement's own
 * snapshot (pg_int.h "one-operation"). Sent one by one, each costs both
 * sides a send, a wake-up, a receive and a server transaction; measured
 * with pgbench here, a prepared point SELECT cost PostgreSQL 29 us alone
 * and 8 us when eight went in one pipeline with one Sync. So the reads of
 * concurrent threads are combined, as group.c combines commits:
 *
 * - A read queues its statement (its parameters stay on its stack) and
 *   waits on its own semaphore. If a batch connection is free
 *   (PG_BATCH_CONNS, one: pg_int.h says why) and no hand-off is pending, it
 *   leads at once: it takes every queued read
 *   (at most PG_BATCH_MAX), sends them in one libpq pipeline with one Sync,
 *   reads every result, gives each read its PGresult (PGresults do not
 *   depend on their connection) and wakes it. A leader that finishes with
 *   reads queued hands the lead to the oldest one, which takes the batch
 *   that gathered meanwhile. So under load a batch is whatever arrived
 *   during the previous round trip; alone, a read goes at once.
 * - One Sync per batch: the batch is one implicit transaction of
 *   independent SELECTs. Its snapshots (one per statement under READ
 *   COMMITTED, the default; one for the batch under a stricter server
 *   default) are taken when the batch runs, after every read of it had
 *   begun: each read sees at least everything committed before it started,
 *   as one statement alone would.
 * - A statement that fails is that read's JD_EUNAVAIL (logged); the reads
 *   after it in the pipeline were skipped by the server and are sent again.
 *   A connection lost during a batch is reconnected and the whole batch sent
 *   again, once (reads have no effect to repeat); if that fails too, every
 *   read of the batch gets JD_EUNAVAIL (503), and the next batch reconnects.
 * - Lists: a statement whose result is large (pg__batch_bypass: a page of
 *   ListJobExecutionsForJob, 51 rows) does not join a batch but runs alone
 *   on a reader of the pool (conn.c), still without BEGIN: in a batch its
 *   rows held up every read behind it on the one server process, where on
 *   the pool the server spreads such reads over its processes (measured:
 *   ListJobExecutionsForJob fell from 8,400-9,500/s to 7,000-7,200/s in a
 *   batch, bench/README.md "Quiet machine, round 6").
 * - Multi-statement reads (store_begin) keep their REPEATABLE READ
 *   transaction on the reader pool (conn.c); writes are group.c's.
 */
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "store/postgres/pg_int.h"
#include "util/log.h"
#include "util/sys.h"

/* One queued read. Lives on its thread's stack until `done`. */
struct breq {
	struct breq *next;
	enum stmt id;
	int n;
	const char *const *vals;
	const int *lens, *fmts;
	PGresult *res; /* the statement's result, handed over */
	int rc;
	bool done;
	bool lead; /* handed the lead: take a connection and the queue */
	/* posted once, when done or handed the lead, after the poster released
	 * b->mu: the woken thread reads its fields without taking the mutex
	 * (sem_post/sem_wait order them), so a batch's wake-ups do not queue on
	 * b->mu behind each other (bench/README.md "Round 8") */
	sem_t sem;
};

struct pg_batch {
	pthread_mutex_t mu;
	struct breq *head, *tail; /* queued reads, oldest first */
	bool handoff;             /* the head was handed the lead */
	int nfree;
	uint64_t reads, batches; /* for the log at close */
	struct conn *free[PG_BATCH_CONNS];
	struct conn conns[PG_BATCH_CONNS];
};

struct pg_batch *
pg__batch_create(struct pg_store *s)
{
	struct pg_batch *b = jd_calloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	for (int i = 0; i < PG_BATCH_CONNS; i++) {
		struct conn *c = &b->conns[i];

		c->base.ops = &store_postgres_ops;
		c->s = s;
		c->one = true;
		b->free[b->nfree++] = c;
	}
	return b;
}

void
pg__batch_destroy(struct pg_batch *b)
{
	if (b == NULL)
		return;
	if (b->batches > 0)
		log_info("store postgres: %llu one-operation reads in %llu batches",
		    (unsigned long long)b->reads, (unsigned long long)b->batches);
	for (int i = 0; i < PG_BATCH_CONNS; i++)
		if (b->conns[i].db != NULL)
			PQfinish(b->conns[i].db);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

int
pg__batch_begin(struct pg_batch *b, struct pg_store *s, struct store_tx **out)
{
	struct conn *h = jd_calloc(1, sizeof(*h));

	h->base.ops = &store_postgres_ops;
	h->s = s;
	h->one = true;
	h->batch = b;
	*out = (struct store_tx *)(void *)h;
	return 0;
}

void
pg__batch_end(struct conn *h)
{
	free(h);
}

/* Send the reads of r[0..n) that are not done in one pipeline on c and read
 * their results. 0, or JD_EUNAVAIL if the connection was lost (c broken;
 * the reads without a result are left as they were). */
static int
send_batch(struct conn *c, struct breq **r, int n)
{
	int prep[PG_BATCH_MAX]; /* statement prepared before r[i], or -1 */
	bool sent[PG_BATCH_MAX];
	PGresult *sync;
	bool any = false, ok;

	if (PQpipelineStatus(c->db) == PQ_PIPELINE_OFF && PQenterPipelineMode(c->db) != 1)
		goto lost;
	for (int i = 0; i < n; i++) {
		char name[16];
		int id = (int)r[i]->id;

		prep[i] = -1;
		sent[i] = !r[i]->done;
		if (!sent[i])
			continue;
		pg__stmt_label(name, id);
		if (!c->prepared[id]) {
			/* a statement's first use in this batch prepares it */
			bool seen = false;

			for (int j = 0; j < i; j++)
				seen = seen || prep[j] == id;
			if (!seen) {
				if (PQsendPrepare(c->db, name, pg__stmt_sql(r[i]->id), 0, NULL) !=
				    1)
					goto lost;
				prep[i] = id;
			}
		}
		if (PQsendQueryPrepared(c->db, name, r[i]->n, r[i]->vals, r[i]->lens, r[i]->fmts,
		        0) != 1)
			goto lost;
		any = true;
	}
	if (!any)
		return 0;
	if (PQpipelineSync(c->db) != 1)
		goto lost;
	for (int i = 0; i < n; i++) {
		if (!sent[i])
			continue;
		/* k = 0: the prepare (if any), then the statement */
		for (int k = prep[i] >= 0 ? 0 : 1; k < 2; k++) {
			PGresult *res = PQgetResult(c->db), *extra;
			ExecStatusType st;

			if (res == NULL)
				goto lost;
			st = PQresultStatus(res);
			if (st == PGRES_PIPELINE_ABORTED) {
				/* skipped after a failure: not done, sent again */
			} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				if (!r[i]->done)
					r[i]->rc = pg__fail(c, pg__stmt_name(r[i]->id), res);
				r[i]->done = true;
			} else if (k == 0) {
				c->prepared[prep[i]] = true;
			} else if (!r[i]->done) {
				r[i]->res = res;
				r[i]->rc = 0;
				r[i]->done = true;
				res = NULL;
			}
			PQclear(res);
			/* each command's results end with a NULL */
			if ((extra = PQgetResult(c->db)) != NULL) {
				PQclear(extra);
				goto lost;
			}
		}
	}
	sync = PQgetResult(c->db);
	ok = sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
	PQclear(sync);
	if (ok && PQexitPipelineMode(c->db) == 1 && !c->broken)
		return 0;
lost:
	pg__fail(c, "batched reads", NULL);
	c->broken = true;
	return JD_EUNAVAIL;
}

/* Run the batch r[0..n) on c: connect if needed, send, resend what a failed
 * statement skipped, and once more on a new connection if it was lost. Every
 * read is done on return. */
static void
run_batch(struct conn *c, struct breq **r, int n)
{
	bool retried = false;

	for (;;) {
		bool left = false;

		if (pg__connect_if_needed(c) == 0 && send_batch(c, r, n) == 0) {
			for (int i = 0; i < n; i++)
				left = left || !r[i]->done;
			if (!left)
				return;
			continue; /* skipped after a failure: the rest again */
		}
		if (retried)
			break;
		retried = true;
		for (int i = 0; i < n; i++) {
			/* the whole batch again: results already read are dropped */
			PQclear(r[i]->res);
			r[i]->res = NULL;
			r[i]->done = false;
			r[i]->rc = 0;
		}
	}
	for (int i = 0; i < n; i++)
		if (!r[i]->done) {
			r[i]->rc = JD_EUNAVAIL;
			r[i]->done = true;
		}
}

/* Hand the lead to the oldest queued read if a connection is free (b->mu).
 * Returns the read to post once b->mu is released, or NULL. */
static struct breq *
hand_off(struct pg_batch *b)
{
	if (b->head != NULL && b->nfree > 0 && !b->handoff) {
		b->handoff = true;
		b->head->lead = true;
		return b->head;
	}
	return NULL;
}

/* Lead one batch, me first among it (b->mu held; released on return). Every
 * read of the batch is done, me included, and every other one posted. */
static void
lead(struct pg_batch *b, struct breq *me)
{
	struct breq *r[PG_BATCH_MAX], *next;
	struct conn *c = b->free[--b->nfree];
	int n = 0;

	while (b->head != NULL && n < PG_BATCH_MAX) {
		r[n] = b->head;
		b->head = r[n]->next;
		r[n]->lead = false;
		n++;
	}
	if (b->head == NULL)
		b->tail = NULL;
	b->reads += (uint64_t)n;
	b->batches++;
	next = hand_off(b); /* a second connection for the reads left over */
	pthread_mutex_unlock(&b->mu);
	if (next != NULL)
		sem_post(&next->sem);
	run_batch(c, r, n);
	pthread_mutex_lock(&b->mu);
	b->free[b->nfree++] = c;
	next = hand_off(b);
	pthread_mutex_unlock(&b->mu);
	if (next != NULL)
		sem_post(&next->sem);
	/* a read may return (and its breq go) as soon as it is posted */
	for (int i = 0; i < n; i++)
		if (r[i] != me)
			sem_post(&r[i]->sem);
}

int
pg__batch_exec(struct conn *h, enum stmt id, int n, const char *const *vals, const int *lens,
    const int *fmts, PGresult **out)
{
	struct pg_batch *b = h->batch;
	struct breq me = {.id = id, .n = n, .vals = vals, .lens = lens, .fmts = fmts};

	sem_init(&me.sem, 0, 0);
	pthread_mutex_lock(&b->mu);
	if (b->tail != NULL)
		b->tail->next = &me;
	else
		b->head = &me;
	b->tail = &me;
	if (b->nfree > 0 && !b->handoff)
		lead(b, &me); /* the queue was empty: hand_off leaves none behind a
		               * free connection, so me leads its own batch */
	else
		pthread_mutex_unlock(&b->mu);
	while (!me.done) {
		sys_sem_wait(&me.sem, 0);
		if (me.lead) {
			/* the head of the queue: the batch it takes begins with me */
			pthread_mutex_lock(&b->mu);
			b->handoff = false;
			lead(b, &me);
		}
	}
	sem_destroy(&me.sem);
	*out = me.res;
	return me.rc;
}
