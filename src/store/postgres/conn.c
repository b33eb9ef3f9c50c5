/*
 * conn.c: the connections of the PostgreSQL backend and its transactions.
 *
 * - A pool of PG_READERS connections for read transactions (BEGIN
 *   REPEATABLE READ READ ONLY: one snapshot, and a write fails loudly with
 *   JD_EUNAVAIL): a read takes one (waiting for a free one) and gives it
 *   back at its end; the transaction handle is the connection itself. Write
 *   transactions share the one writer connection and commit in groups
 *   (group.c). Nothing goes to the server at begin: the opening commands go
 *   with the first statement, and a read's end is not waited for (pg_int.h
 *   "Round trips").
 * - Connections are opened lazily (the first at open, to migrate) with the
 *   user's URI or conninfo handed to libpq whole (PQconnectdbParams with
 *   expand_dbname), after our defaults, so the user's parameters, PGPASSWORD,
 *   .pgpass and service files win. The URI is kept only in the store (wiped
 *   at close) and never logged.
 * - Each write transaction takes the writer lock (a transaction-scoped
 *   advisory lock, shared by every node on the database) right after BEGIN,
 *   so write transactions run one at a time across all nodes, as SQLite's
 *   writer does in one process: every read-then-write use case of svc/
 *   (expectedVersion checks, the next executionNumber, the job counts, the
 *   timer scans that update what they found) sees the latest committed state
 *   and nobody else can change it before it commits. Readers never wait.
 *   lock_timeout (JD_STORE_BUSY_MS) bounds the wait: JD_EUNAVAIL, as a busy
 *   SQLite file.
 * - synchronous_commit stays on: a connection that finds it off (server or
 *   role configuration) sets it back on for its session and says so.
 * - Unreachable server: begin fails with JD_EUNAVAIL (503 above). A broken
 *   connection is reconnected at the start of its next transaction; a
 *   connection found dead at a transaction's first statement (the server
 *   restarted while it was idle) is reconnected and that first pipeline
 *   (BEGIN and the statement) retried once, so recovery needs no restart
 *   of jobsd. The first failure and the recovery are logged once each.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "jd_limits.h"
#include "store/postgres/pg_int.h"
#include "store/postgres/pg_test.h"
#include "util/log.h"
#include "util/metrics.h"

/* A pool's connections are taken without a lock: each has a busy flag,
 * and a thread tries the one it took last first, then the others. Only a
 * thread that finds every one busy takes the lock, counts itself in
 * `waiters` and sleeps on the condition; a giver takes the lock only to
 * signal when someone waits. Both sides are sequentially consistent
 * (Dekker): a giver that saw no waiter cleared its flag before the taker
 * counted itself, so the taker's next try under the lock finds it.
 * Measured: with a mutex around a free list, the 32 HTTP threads of a
 * 2-CPU node listing on 8 readers queued on that mutex for every take and
 * give (bench/README.md, "Round 11"). */
#define POOL_MAX (PG_READERS > PG_WRITERS ? PG_READERS : PG_WRITERS)
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a connection was given back and someone waits */
	atomic_int waiters;
	atomic_bool busy[POOL_MAX];
	struct conn *all[POOL_MAX];
	int n;
};

/* The slot this thread took last, in whichever pool (a hint) */
static _Thread_local unsigned pool_hint;

struct pg_store {
	struct store_base base; /* first: (struct store *)store */
	char *conninfo;         /* owned, secret: wiped at close */
	atomic_bool down;       /* the last connection attempt failed */
	struct pool readers;
	struct pool writers;
	struct pg_group group; /* the write transactions (group.c) */
	/* lease renewals (ops_lease.c): their own connection, so a busy writer
	 * never delays them */
	pthread_mutex_t lease_mu;
	struct conn lease;
	struct pg_batch *batch; /* one-operation reads (batch.c) */
};

#define STR_(x) #x
#define STR(x) STR_(x)

static void
conn_disconnect(struct conn *c)
{
	if (c->db != NULL)
		PQfinish(c->db);
	c->db = NULL;
	c->broken = false;
	c->in_tx = false;
	c->pending = 0;
	c->memo.kind = PG_MEMO_NONE;
	c->head.valid = false;
	memset(c->prepared, 0, sizeof(c->prepared));
}

/* Run sql on a fresh connection (no transaction, no prefix). */
static int
raw(struct conn *c, const char *sql)
{
	PGresult *r = PQexec(c->db, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg__fail(c, sql, r);
	PQclear(r);
	return rc;
}

/* Session settings of a new connection. */
static int
conn_setup(struct conn *c)
{
	PGresult *r;
	int rc;

	if ((rc = raw(c, "SET lock_timeout = " STR(JD_STORE_BUSY_MS))) != 0)
		return rc;
	/* Reads take no bitmap scan. Right after a bulk insert (a fan-out, a
	 * CreateJob over many targets), before autovacuum's ANALYZE, the
	 * statistics say a job has a row or two, and the planner read every
	 * execution of the job through a bitmap and sorted them for a page of
	 * 50: 17-30 ms a ListJobExecutionsForJob after a 50,000-thing fan-out,
	 * where the primary key's ordered scan stops after 51 rows (0.04-0.13
	 * ms). A prepared statement keeps its plan, so a later ANALYZE did not
	 * always mend it either. jobsd's reads are point and ordered-range
	 * lookups on their indexes, which a plain index scan serves
	 * (bench/README.md, "Round 11"; t_list_plan_after_bulk_insert). The
	 * writer keeps the planner's defaults (fan-out joins, batched deletes). */
	if (!c->base.write && (rc = raw(c, "SET enable_bitmapscan = off")) != 0)
		return rc;
	r = PQexec(c->db, "SHOW synchronous_commit");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		rc = pg__fail(c, "SHOW synchronous_commit", r);
		PQclear(r);
		return rc;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "off") == 0) {
		log_warn("store postgres: synchronous_commit is off for this role or server;"
		         " jobsd sets it on (a 200 must mean committed durably)");
		rc = raw(c, "SET synchronous_commit = on");
	}
	PQclear(r);
	return rc;
}

/* Server notices (e.g. "already exists, skipping") go to the debug log, not stderr. */
static void
notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("store postgres: %s", msg);
}

static int
conn_connect(struct conn *c)
{
	struct pg_store *s = c->s;
	const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *vals[] = {"5", "jobsd", s->conninfo, NULL};

	conn_disconnect(c);
	c->db = PQconnectdbParams(keys, vals, 1);
	if (c->db == NULL || PQstatus(c->db) != CONNECTION_OK) {
		if (!atomic_exchange(&s->down, true))
			log_error("store postgres: cannot connect: %s",
			    c->db != NULL ? PQerrorMessage(c->db) : "out of memory");
		conn_disconnect(c);
		return JD_EUNAVAIL;
	}
	PQsetNoticeProcessor(c->db, notice, NULL);
	if (conn_setup(c) != 0) {
		conn_disconnect(c);
		return JD_EUNAVAIL;
	}
	if (atomic_exchange(&s->down, false))
		log_warn("store postgres: connected again");
	return 0;
}

struct conn *
pg__lease_conn_take(struct store *store)
{
	struct pg_store *s = (struct pg_store *)(void *)store;
	struct conn *c = &s->lease;

	pthread_mutex_lock(&s->lease_mu);
	if ((c->db == NULL || c->broken || PQstatus(c->db) != CONNECTION_OK) &&
	    conn_connect(c) != 0) {
		pthread_mutex_unlock(&s->lease_mu);
		return NULL;
	}
	return c;
}

void
pg__lease_conn_give(struct store *store)
{
	struct pg_store *s = (struct pg_store *)(void *)store;

	pthread_mutex_unlock(&s->lease_mu);
}

int
pg__reconnect(struct conn *c)
{
	return conn_connect(c);
}

static void
pool_init(struct pg_store *s, struct pool *p, int n, bool write)
{
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	atomic_init(&p->waiters, 0);
	p->n = n;
	for (int i = 0; i < n; i++) {
		struct conn *c = jd_calloc(1, sizeof(*c));

		c->base.ops = &store_postgres_ops;
		c->base.write = write;
		c->s = s;
		c->pool = p;
		c->slot = i;
		atomic_init(&p->busy[i], false);
		p->all[i] = c;
	}
}

static void
pool_destroy(struct pool *p)
{
	for (int i = 0; i < p->n; i++) {
		conn_disconnect(p->all[i]);
		buf_free(&p->all[i]->defer.text);
		for (int k = 0; p->all[i]->cond != NULL && k < PG_COND_MAX; k++)
			buf_free(&p->all[i]->cond[k].text);
		free(p->all[i]->cond);
		free(p->all[i]);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

/* A free connection of p, taken, or NULL if all are busy */
static struct conn *
pool_try(struct pool *p)
{
	unsigned first = pool_hint;

	for (int i = 0; i < p->n; i++) {
		unsigned k = (first + (unsigned)i) % (unsigned)p->n;

		if (!atomic_load_explicit(&p->busy[k], memory_order_relaxed) &&
		    !atomic_exchange(&p->busy[k], true)) {
			pool_hint = k;
			return p->all[k];
		}
	}
	return NULL;
}

static struct conn *
pool_take(struct pool *p)
{
	struct conn *c = pool_try(p);

	if (c != NULL)
		return c;
	pthread_mutex_lock(&p->lock);
	atomic_fetch_add(&p->waiters, 1);
	while ((c = pool_try(p)) == NULL)
		pthread_cond_wait(&p->cond, &p->lock);
	atomic_fetch_sub(&p->waiters, 1);
	pthread_mutex_unlock(&p->lock);
	return c;
}

static void
pool_give(struct conn *c)
{
	struct pool *p = c->pool;

	atomic_store(&p->busy[c->slot], false);
	if (atomic_load(&p->waiters) > 0) {
		pthread_mutex_lock(&p->lock);
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

void
pg__close(struct store *store)
{
	struct pg_store *s = (struct pg_store *)(void *)store;

	if (s == NULL)
		return;
	pool_destroy(&s->readers);
	pool_destroy(&s->writers);
	pg__group_destroy(&s->group);
	pg__batch_destroy(s->batch);
	conn_disconnect(&s->lease);
	pthread_mutex_destroy(&s->lease_mu);
	if (s->conninfo != NULL) {
		explicit_bzero(s->conninfo, strlen(s->conninfo));
		free(s->conninfo);
	}
	free(s);
}

int
pg__open(const char *where, struct store **out, struct jd_error *e)
{
	struct pg_store *s;
	struct conn *c;
	int rc;

	*out = NULL;
	if (where == NULL || *where == '\0')
		return jd_error_set(e, JD_EINVAL, "postgres: empty connection URI");
	if (!PQisthreadsafe())
		return jd_error_set(e, JD_EINTERNAL, "postgres: libpq is not thread-safe");
	if ((rc = pg__stmts_check(e)) != 0)
		return rc;
	s = jd_calloc(1, sizeof(*s));
	s->base.ops = &store_postgres_ops;
	s->conninfo = jd_strdup(where);
	atomic_init(&s->down, false);
	pool_init(s, &s->readers, PG_READERS, false);
	pool_init(s, &s->writers, PG_WRITERS, true);
	pg__group_init(&s->group, s->writers.all[0]);
	s->batch = pg__batch_create(s);
	pthread_mutex_init(&s->lease_mu, NULL);
	s->lease.base.ops = &store_postgres_ops;
	s->lease.base.write = true;
	s->lease.s = s;

	/* The first writer connects now: migrate, and prepare every statement
	 * once, so a statement PostgreSQL rejects fails the start, not a request. */
	c = pool_take(&s->writers);
	if (conn_connect(c) != 0) {
		rc = jd_error_set(e, JD_EUNAVAIL, "postgres: cannot connect: %s",
		    c->db != NULL ? PQerrorMessage(c->db) : "see the log");
		pool_give(c);
		goto out;
	}
	if ((rc = pg__migrate(c, e)) != 0) {
		pool_give(c);
		goto out;
	}
	for (int i = 0; i < ST__COUNT && rc == 0; i++) {
		PGresult *r;
		char name[16];

		snprintf(name, sizeof(name), "jd%d", i);
		r = PQprepare(c->db, name, pg__stmt_sql((enum stmt)i), 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = jd_error_set(e, JD_EINTERNAL, "postgres: statement %s: %s",
			    pg__stmt_name((enum stmt)i), PQresultErrorMessage(r));
		else
			c->prepared[i] = true;
		PQclear(r);
	}
	pool_give(c);
out:
	if (rc != 0)
		pg__close((struct store *)(void *)s);
	else
		*out = (struct store *)(void *)s;
	return rc;
}

void
pg__abandon(struct conn *c)
{
	c->nprefix = 0;
	c->ncond = 0;
	c->cond_own = false;
	if (c->pending > 0)
		pg__drain(c);
	if (c->db != NULL && PQstatus(c->db) == CONNECTION_OK &&
	    PQtransactionStatus(c->db) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->db, "ROLLBACK");

		PQclear(r);
	}
	c->in_tx = false;
	if (c->db != NULL && PQstatus(c->db) != CONNECTION_OK)
		c->broken = true;
}

int
pg__connect_if_needed(struct conn *c)
{
	/* the answer to the previous transaction's end, if it is still unread */
	if (c->pending > 0)
		pg__drain(c);
	if (c->db == NULL || c->broken || PQstatus(c->db) != CONNECTION_OK)
		return conn_connect(c);
	return 0;
}

/* A reader connection of the pool, connected, for a read; one: a
 * one-operation read (no BEGIN: the statement's own snapshot, pg_int.h
 * "one-operation"), else a REPEATABLE READ snapshot whose BEGIN goes with the
 * first statement (pg_int.h "Round trips"). */
static int
reader_begin(struct pg_store *s, bool one, struct store_tx **out)
{
	struct conn *c = pool_take(&s->readers);

	if (pg__connect_if_needed(c) != 0) {
		pool_give(c);
		return JD_EUNAVAIL;
	}
	c->in_tx = false;
	c->nprefix = 0;
	c->one = one;
	c->nstmt = 0;
	if (!one)
		pg__prefix(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	*out = (struct store_tx *)(void *)c;
	return 0;
}

int
pg__one_on_reader(struct conn *h, enum stmt id, PGresult **out, const struct bind *b, int n)
{
	struct store_tx *tx;
	int rc;

	*out = NULL;
	if (reader_begin(h->s, true, &tx) != 0)
		return JD_EUNAVAIL;
	rc = pg__exec(pg__conn(tx), id, out, b, n);
	pg__commit(tx);
	return rc;
}

int
pg__begin(struct store *store, bool write, struct store_tx **out)
{
	struct pg_store *s = (struct pg_store *)(void *)store;
	struct conn *c;

	*out = NULL;
	if (write) {
		if (pg__group_begin(&s->group, &c) != 0)
			return JD_EUNAVAIL;
		*out = (struct store_tx *)(void *)c;
		return 0;
	}
	return reader_begin(s, false, out);
}

int
pg__ride(struct store *store, int (*fn)(struct store_tx *tx, void *arg), void *arg)
{
	return pg__group_ride(&((struct pg_store *)(void *)store)->group, fn, arg);
}

int
pg__begin_one(struct store *store, struct store_tx **out)
{
	struct pg_store *s = (struct pg_store *)(void *)store;

	*out = NULL;
	return pg__batch_begin(s->batch, s, out);
}

int
pg__commit(struct store_tx *tx)
{
	struct conn *c = pg__conn(tx);

	if (c->base.write)
		return pg__group_commit(&c->s->group);
	if (c->batch != NULL) {
		pg__batch_end(c);
		return 0;
	}
	/* a read: nothing to make durable; the end goes out unanswered */
	pg__finish_async(c, "COMMIT");
	pool_give(c);
	return 0;
}

void
pg__rollback(struct store_tx *tx)
{
	struct conn *c = pg__conn(tx);

	if (c->base.write) {
		pg__group_rollback(&c->s->group);
		return;
	}
	if (c->batch != NULL) {
		pg__batch_end(c);
		return;
	}
	if (!c->broken)
		pg__finish_async(c, "ROLLBACK");
	else
		pg__abandon(c);
	pool_give(c);
}

void
store_postgres__fail_deferred(struct store *store, int n)
{
	struct pg_store *s = (struct pg_store *)(void *)store;

	if (s != NULL && s->base.ops == &store_postgres_ops)
		atomic_store(&s->group.writer->test_fail_defer, n);
}

/* The test hooks' own connection, set up as a reader's (conn_setup) */
static int
test_conn(struct store *store, struct conn *c)
{
	struct pg_store *s = (struct pg_store *)(void *)store;

	memset(c, 0, sizeof(*c));
	if (s == NULL || s->base.ops != &store_postgres_ops)
		return -1;
	c->base.ops = &store_postgres_ops;
	c->s = s;
	return conn_connect(c) == 0 ? 0 : -1;
}

int
store_postgres__sql(struct store *store, const char *sql)
{
	struct conn c;
	int rc = test_conn(store, &c);

	if (rc == 0 && raw(&c, sql) != 0)
		rc = -1;
	conn_disconnect(&c);
	return rc;
}

int
store_postgres__explain(struct store *store, const char *name, const char *const *params, int n,
    char *out, size_t size)
{
	struct conn c;
	struct buf sql = BUF_INIT;
	PGresult *r = NULL;
	int id = -1, rc;

	out[0] = '\0';
	for (int i = 0; i < ST__COUNT && id < 0; i++)
		if (strcmp(pg__stmt_name((enum stmt)i), name) == 0)
			id = i;
	if (id < 0 || test_conn(store, &c) != 0)
		return -1;
	/* as jobsd runs it: prepared once, then the generic plan */
	rc = raw(&c, "SET plan_cache_mode = force_generic_plan");
	r = rc == 0 ? PQprepare(c.db, "jd_explain", pg__stmt_sql((enum stmt)id), 0, NULL) : NULL;
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = -1;
	PQclear(r);
	r = NULL;
	buf_puts(&sql, "EXPLAIN EXECUTE jd_explain(");
	for (int i = 0; i < n && rc == 0; i++) {
		char *lit =
		    params[i] != NULL ? PQescapeLiteral(c.db, params[i], strlen(params[i])) : NULL;

		buf_puts(&sql, i > 0 ? ", " : "");
		buf_puts(&sql, params[i] == NULL ? "NULL" : lit != NULL ? lit : "''");
		PQfreemem(lit);
	}
	buf_puts(&sql, ")");
	if (rc == 0)
		r = PQexec(c.db, buf_cstr(&sql));
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = -1;
	} else {
		size_t k = 0;

		for (int i = 0; i < PQntuples(r); i++)
			k += (size_t)snprintf(out + k, k < size ? size - k : 0, "%s\n",
			    PQgetvalue(r, i, 0));
	}
	PQclear(r);
	buf_free(&sql);
	conn_disconnect(&c);
	return rc;
}
