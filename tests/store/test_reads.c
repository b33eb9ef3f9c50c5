/*
 * test_reads.c: one-operation reads (store_begin_one) from many threads at
 * once, run against every backend, like test_store.c:
 *
 *   store_test_reads sqlite              a fresh SQLite file in a temp dir
 *   store_test_reads BACKEND WHERE       e.g. postgres "postgres://..."
 *
 * PostgreSQL batches the concurrent reads of many threads into one pipeline
 * (src/store/postgres/batch.c): each reader must get its own row, its own
 * "not found", and, when the server goes away in the middle of the batches,
 * JD_EUNAVAIL (503 above), never another reader's answer, a crash or a hang;
 * reads work again once the server takes connections again. The outage case
 * needs PostgreSQL's admin URI (JOBSD_PG_ADMIN_URI, set by pgkit.py) and
 * psql; without them it is skipped.
 *
 * Riders (store_ride, round 14): a write transaction that is one function
 * runs alone when the writer is free, is carried by the writer's owner when
 * it is not (on the owner's thread, in the owner's group), answers with its
 * own error when it fails without undoing the group's other members, and
 * under many threads every ride and every usual write lands once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_read.h"
#include "storekit.h"
#include "test.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/metrics.h"

#define THINGS 64
#define THREADS 16

static char jobname[96];

static void
thing_name(char *buf, size_t n, int i)
{
	snprintf(buf, n, "%s-r%d", run_id, i);
}

/* THINGS things, each with attributes naming it, and a job with one
 * execution per thing whose number is the thing's index + 1. */
static void
fill(void)
{
	struct store_tx *tx = begin(true);
	struct jd_job j;

	memset(&j, 0, sizeof(j));
	snprintf(jobname, sizeof(jobname), "%s-job", run_id);
	jd_strlcpy(j.job_id, jobname, sizeof(j.job_id));
	j.status = JD_JOB_IN_PROGRESS;
	j.selection = JD_SEL_SNAPSHOT;
	j.document = (char *)"{}";
	j.created_ms = j.updated_ms = 1000;
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
	for (int i = 0; i < THINGS; i++) {
		struct jd_thing t = {0};
		struct jd_exec x = {0};
		char attrs[64];

		thing_name(t.name, sizeof(t.name), i);
		snprintf(t.id, sizeof(t.id), "id-%d", i);
		snprintf(attrs, sizeof(attrs), "{\"i\":\"%d\"}", i);
		t.attributes = attrs;
		t.version = i + 1;
		t.created_ms = 1000;
		CHECK_EQ_INT(store_thing_insert(tx, &t), 0);
		jd_strlcpy(x.job_id, jobname, sizeof(x.job_id));
		jd_strlcpy(x.thing_name, t.name, sizeof(x.thing_name));
		for (int k = 1; k <= 1 + i % 3; k++) {
			x.number = k;
			x.status = JD_EXEC_QUEUED;
			x.queued_ms = x.updated_ms = 1000;
			x.version = 100 + i;
			CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
		}
	}
	commit(tx);
}

struct reader {
	pthread_t th;
	unsigned seed;
	int rounds;
	atomic_bool *stop; /* NULL: run `rounds` reads */
	int ok, notfound, unavail, wrong;
};

/* One read of a random kind: its outcome (0, JD_ENOTFOUND, JD_EUNAVAIL, or
 * -1000 for an answer that belongs to another read). */
static int
read_one(struct reader *r)
{
	int i = (int)(rand_r(&r->seed) % (THINGS + 8)); /* >= THINGS: missing */
	int kind = (int)(rand_r(&r->seed) % 4);
	struct store_tx *tx = NULL;
	char name[96], want[64];
	int rc;

	thing_name(name, sizeof(name), i);
	if (store_begin_one(S, &tx) != 0)
		return JD_EUNAVAIL;
	if (kind == 0 || kind == 3) {
		struct jd_thing t;

		memset(&t, 0, sizeof(t));
		rc = store_thing_get(tx, name, &t);
		snprintf(want, sizeof(want), "{\"i\":\"%d\"}", i);
		if (rc == 0 &&
		    (strcmp(t.name, name) != 0 || t.version != i + 1 || t.attributes == NULL ||
		        strcmp(t.attributes, want) != 0))
			rc = -1000;
		if (rc == 0 || rc == -1000)
			jd_thing_release(&t);
	} else if (kind == 1) {
		struct jd_exec x;

		memset(&x, 0, sizeof(x));
		rc = store_exec_get(tx, jobname, name, 0, &x);
		if (rc == 0 &&
		    (strcmp(x.thing_name, name) != 0 || x.number != 1 + i % 3 ||
		        x.version != 100 + i))
			rc = -1000;
		if (rc == 0 || rc == -1000)
			jd_exec_release(&x);
	} else {
		struct jd_job j;
		struct jd_counts k;

		memset(&j, 0, sizeof(j));
		rc = store_job_get_counts(tx, i < THINGS ? jobname : name, &j, &k);
		if (rc == 0 && (strcmp(j.job_id, jobname) != 0 || i >= THINGS))
			rc = -1000;
		if (rc == 0 || rc == -1000)
			jd_job_release(&j);
	}
	store_rollback(tx);
	if (rc == JD_ENOTFOUND && i < THINGS)
		rc = -1000; /* it exists */
	return rc;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	for (int n = 0; r->stop != NULL ? !atomic_load(r->stop) : n < r->rounds; n++) {
		int rc = read_one(r);

		if (rc == 0)
			r->ok++;
		else if (rc == JD_ENOTFOUND)
			r->notfound++;
		else if (rc == JD_EUNAVAIL)
			r->unavail++;
		else
			r->wrong++;
	}
	return NULL;
}

TEST(t_reads_concurrent_each_its_own)
{
	struct reader r[THREADS];
	int ok = 0, nf = 0;

	for (int t = 0; t < THREADS; t++) {
		memset(&r[t], 0, sizeof(r[t]));
		r[t].seed = 7919u * (unsigned)t + 1;
		r[t].rounds = 400;
		pthread_create(&r[t].th, NULL, reader_main, &r[t]);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(r[t].th, NULL);
		CHECK_EQ_INT(r[t].wrong, 0);
		CHECK_EQ_INT(r[t].unavail, 0);
		ok += r[t].ok;
		nf += r[t].notfound;
	}
	CHECK_EQ_INT(ok + nf, THREADS * 400);
	CHECK(nf > 0);
}

/* psql -c SQL on the admin URI: 0 on success. */
static int
admin(const char *uri, const char *sql)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "psql -q -X -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null", uri,
	    sql);
	return system(cmd);
}

/* The database's name: the URI's path (pgkit's URIs have no parameters). */
static const char *
db_name(void)
{
	const char *p = strrchr(storekit_spec, '/');

	return p != NULL ? p + 1 : "";
}

TEST(t_reads_server_gone_mid_batch_is_unavailable)
{
	const char *uri = getenv("JOBSD_PG_ADMIN_URI");
	struct reader r[THREADS];
	atomic_bool stop;
	char sql[512];
	int64_t deadline;
	int unavail = 0, ok_after = 0;

	if (strncmp(storekit_spec, "postgres", 8) != 0 || uri == NULL ||
	    system("psql -V >/dev/null 2>&1") != 0) {
		printf("t_reads_server_gone_mid_batch_is_unavailable: skipped (PostgreSQL with"
		       " JOBSD_PG_ADMIN_URI only)\n");
		return;
	}
	atomic_init(&stop, false);
	for (int t = 0; t < THREADS; t++) {
		memset(&r[t], 0, sizeof(r[t]));
		r[t].seed = 104729u * (unsigned)t + 3;
		r[t].stop = &stop;
		pthread_create(&r[t].th, NULL, reader_main, &r[t]);
	}
	/* the readers are running: no new connections, and every connection
	 * to the database is cut, wherever its batch is */
	snprintf(sql, sizeof(sql), "ALTER DATABASE \\\"%s\\\" ALLOW_CONNECTIONS false", db_name());
	CHECK_EQ_INT(admin(uri, sql), 0);
	snprintf(sql, sizeof(sql),
	    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'",
	    db_name());
	CHECK_EQ_INT(admin(uri, sql), 0);
	/* until some reader has seen the outage (bounded) */
	deadline = clock_real_ms() + 10000;
	while (clock_real_ms() < deadline) {
		unavail = 0;
		for (int t = 0; t < THREADS; t++)
			unavail += r[t].unavail;
		if (unavail >= THREADS)
			break;
		usleep(10000);
	}
	snprintf(sql, sizeof(sql), "ALTER DATABASE \\\"%s\\\" ALLOW_CONNECTIONS true", db_name());
	CHECK_EQ_INT(admin(uri, sql), 0);
	atomic_store(&stop, true);
	for (int t = 0; t < THREADS; t++) {
		pthread_join(r[t].th, NULL);
		CHECK_EQ_INT(r[t].wrong, 0);
	}
	CHECK(unavail >= THREADS);
	/* back: reads succeed again, with no restart (bounded) */
	deadline = clock_real_ms() + 10000;
	while (ok_after < 50 && clock_real_ms() < deadline) {
		struct reader one = {.seed = 11, .rounds = 1};

		reader_main(&one);
		CHECK_EQ_INT(one.wrong, 0);
		ok_after += one.ok + one.notfound;
	}
	CHECK_EQ_INT(ok_after, 50);
}

/* ---- riders ------------------------------------------------------------- */

struct ride_arg {
	char name[64];
	int fail;         /* what fn answers after its insert (0: success) */
	pthread_t ran_on; /* the thread that ran fn */
	int rc;           /* store_ride's answer */
};

static int
ride_insert(struct store_tx *tx, void *arg)
{
	struct ride_arg *a = arg;
	struct jd_thing t;
	int rc;

	memset(&t, 0, sizeof(t));
	a->ran_on = pthread_self();
	jd_strlcpy(t.name, a->name, sizeof(t.name));
	jd_strlcpy(t.id, a->name, sizeof(t.id));
	t.attributes = (char *)"{}";
	t.version = 1;
	rc = store_thing_insert(tx, &t);
	return rc != 0 ? rc : a->fail;
}

static void *
ride_main(void *arg)
{
	struct ride_arg *a = arg;

	a->rc = store_ride(S, ride_insert, a);
	return NULL;
}

/* Whether thing `name` exists */
static bool
thing_there(const char *name)
{
	struct store_tx *tx = begin(false);
	struct jd_thing t;
	int rc = store_thing_get(tx, name, &t);

	if (rc == 0)
		jd_thing_release(&t);
	commit(tx);
	CHECK(rc == 0 || rc == JD_ENOTFOUND);
	return rc == 0;
}

TEST(t_ride_alone)
{
	struct ride_arg a = {.fail = 0};

	snprintf(a.name, sizeof(a.name), "%s-ride-alone", run_id);
	CHECK_EQ_INT(store_ride(S, ride_insert, &a), 0);
	CHECK(pthread_equal(a.ran_on, pthread_self()));
	CHECK(thing_there(a.name));
	/* fn's error comes back, and its insert is undone */
	snprintf(a.name, sizeof(a.name), "%s-ride-alone-failed", run_id);
	a.fail = JD_EINVAL;
	CHECK_EQ_INT(store_ride(S, ride_insert, &a), JD_EINVAL);
	CHECK(!thing_there(a.name));
	/* fn's insert itself fails: a thing of that name exists */
	snprintf(a.name, sizeof(a.name), "%s-ride-alone", run_id);
	a.fail = 0;
	CHECK_EQ_INT(store_ride(S, ride_insert, &a), JD_EEXISTS);
}

TEST(t_ride_carried_by_the_owner)
{
	struct ride_arg b = {.fail = 0}, c = {.fail = JD_EINVAL};
	pthread_t tb, tc;
	struct store_tx *tx;
	struct jd_thing t;
	uint64_t carried = atomic_load(&jd_metrics.store_carried);
	int64_t deadline;

	snprintf(b.name, sizeof(b.name), "%s-ride-b", run_id);
	snprintf(c.name, sizeof(c.name), "%s-ride-c", run_id);
	/* this thread owns the writer, with a write of its own in the group */
	tx = begin(true);
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s-ride-owner", run_id);
	jd_strlcpy(t.id, t.name, sizeof(t.id));
	t.attributes = (char *)"{}";
	t.version = 1;
	CHECK_EQ_INT(store_thing_insert(tx, &t), 0);
	pthread_create(&tb, NULL, ride_main, &b);
	pthread_create(&tc, NULL, ride_main, &c);
	/* both queue as riders (bounded wait) */
	deadline = clock_real_ms() + 10000;
	while (atomic_load(&jd_metrics.store_riders) < 2 && clock_real_ms() < deadline)
		usleep(1000);
	CHECK_EQ_INT((int)atomic_load(&jd_metrics.store_riders), 2);
	/* leaving, the owner runs them, on this thread, in its group */
	commit(tx);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	CHECK_EQ_INT(b.rc, 0);
	CHECK(pthread_equal(b.ran_on, pthread_self()));
	CHECK_EQ_INT(c.rc, JD_EINVAL);
	CHECK(pthread_equal(c.ran_on, pthread_self()));
	CHECK_EQ_INT((int)(atomic_load(&jd_metrics.store_carried) - carried), 2);
	CHECK_EQ_INT((int)atomic_load(&jd_metrics.store_riders), 0);
	/* the failed rider's insert is undone, and only it */
	CHECK(thing_there(t.name));
	CHECK(thing_there(b.name));
	CHECK(!thing_there(c.name));
}

#define RIDERS 8
#define RIDES 60

struct ride_worker {
	pthread_t th;
	int id;
	bool usual; /* begin, insert, commit instead of store_ride */
	int errors;
};

static void *
ride_worker_main(void *arg)
{
	struct ride_worker *w = arg;

	for (int i = 0; i < RIDES; i++) {
		struct ride_arg a = {.fail = i % 7 == 3 ? JD_EINVAL : 0};

		snprintf(a.name, sizeof(a.name), "%s-rw%d-%d", run_id, w->id, i);
		if (w->usual) {
			struct store_tx *tx = NULL;

			if (store_begin(S, true, &tx) != 0) {
				w->errors++;
				continue;
			}
			a.rc = ride_insert(tx, &a);
			if (a.rc != 0)
				store_rollback(tx);
			else if (store_commit(tx) != 0)
				a.rc = JD_EUNAVAIL;
		} else {
			a.rc = store_ride(S, ride_insert, &a);
		}
		if (a.rc != a.fail)
			w->errors++;
	}
	return NULL;
}

TEST(t_ride_many_threads_each_once)
{
	struct ride_worker w[RIDERS];
	uint64_t carried = atomic_load(&jd_metrics.store_carried);
	char name[64];

	for (int t = 0; t < RIDERS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].id = t;
		w[t].usual = t < 2;
		pthread_create(&w[t].th, NULL, ride_worker_main, &w[t]);
	}
	for (int t = 0; t < RIDERS; t++) {
		pthread_join(w[t].th, NULL);
		CHECK_EQ_INT(w[t].errors, 0);
	}
	CHECK_EQ_INT((int)atomic_load(&jd_metrics.store_riders), 0);
	printf("t_ride_many_threads_each_once: %d of %d rides carried\n",
	    (int)(atomic_load(&jd_metrics.store_carried) - carried), (RIDERS - 2) * RIDES);
	for (int t = 0; t < RIDERS; t++)
		for (int i = 0; i < RIDES; i++) {
			snprintf(name, sizeof(name), "%s-rw%d-%d", run_id, t, i);
			CHECK_EQ_INT(thing_there(name), i % 7 != 3);
		}
}

int
main(int argc, char **argv)
{
	if (storekit_open(argc, argv) != 0)
		return 2;
	fill();

	RUN(t_reads_concurrent_each_its_own);
	RUN(t_ride_alone);
	RUN(t_ride_carried_by_the_owner);
	RUN(t_ride_many_threads_each_once);
	RUN(t_reads_server_gone_mid_batch_is_unavailable);

	storekit_close();
	return test_report();
}
