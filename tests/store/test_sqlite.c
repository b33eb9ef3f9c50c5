/*
 * test_sqlite.c: checks of the SQLite backend that the backend-neutral
 * conformance suite (test_store.c) cannot make: how write transactions are
 * grouped into one COMMIT, what every member of a group is told when that
 * COMMIT fails, and migration 3 on a database that predates it.
 *
 *   store_test_sqlite sqlite                 the tests, in a fresh temp dir
 *   store_test_sqlite bench DIR [SECONDS]    commits/s of N threads doing
 *                                            begin(write) / exec_get /
 *                                            exec_update / commit, N = 1, 8, 64
 *
 * A failing COMMIT is provoked for real: the test registers, as SQLite's
 * default VFS, a shim over the normal one whose xSync fails while
 * `fail_sync` is set. With WAL and synchronous=FULL, COMMIT syncs the WAL,
 * so the COMMIT of the group fails with SQLITE_IOERR_FSYNC (disk full is not
 * available on the test machine; an fsync error takes the same path).
 *
 * The store's own VFS (vfs.c) wraps whatever is the default when the first
 * store opens: here this one, so a failing write reaches the store through
 * its gathered WAL writes as it would from the disk.
 *
 * Waiting for a thread to reach a point uses the backend's counters
 * (store_sqlite__stats: threads queued for the writer), never a sleep.
 */
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite/sqlite_int.h"
#include "sqlite_raw.h"
#include "store/store.h"
#include "test.h"
#include "util/buf.h"
#include "util/log.h"

static char spec[1100];
static char path[1024];
static char tmpdir[256];
static struct store *S;

/* ---- the fault-injecting VFS -------------------------------------------- */

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static atomic_int fail_sync;
static atomic_int fail_write;       /* every write fails while set */
static atomic_int subjournal_opens; /* sub-journals spilled to a file */

struct ffile {
	sqlite3_file base;
	sqlite3_file *real; /* follows this struct in the same allocation */
};

#define REAL(f) (((struct ffile *)(void *)(f))->real)

static int
ff_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
ff_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int
ff_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	if (fail_write)
		return SQLITE_IOERR_WRITE;
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int
ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
ff_sync(sqlite3_file *f, int flags)
{
	if (fail_sync)
		return SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
ff_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
ff_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int
ff_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int
ff_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
ff_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
ff_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
ff_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
ff_shm_map(sqlite3_file *f, int i, int size, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), i, size, extend, pp);
}

static int
ff_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
ff_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
ff_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
ff_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods ff_methods = {
    3,
    ff_close,
    ff_read,
    ff_write,
    ff_truncate,
    ff_sync,
    ff_size,
    ff_lock,
    ff_unlock,
    ff_reserved,
    ff_control,
    ff_sector,
    ff_device,
    ff_shm_map,
    ff_shm_lock,
    ff_shm_barrier,
    ff_shm_unmap,
    ff_fetch,
    ff_unfetch,
};

static int
fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct ffile *p = (struct ffile *)(void *)f;
	int rc;

	(void)vfs;
	if (flags & SQLITE_OPEN_SUBJOURNAL)
		subjournal_opens++;
	p->base.pMethods = NULL;
	p->real = (sqlite3_file *)(void *)(p + 1);
	rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
	if (rc == SQLITE_OK && p->real->pMethods != NULL)
		p->base.pMethods = &ff_methods;
	return rc;
}

static void
fault_vfs_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	fault_vfs = *real_vfs;
	fault_vfs.pNext = NULL;
	fault_vfs.zName = "jd-fault";
	fault_vfs.szOsFile = (int)sizeof(struct ffile) + real_vfs->szOsFile;
	fault_vfs.xOpen = fv_open;
	if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK) {
		fprintf(stderr, "cannot register the fault VFS\n");
		exit(2);
	}
}

/* ---- helpers ------------------------------------------------------------ */

static struct store_tx *
begin(bool write)
{
	struct store_tx *tx = NULL;
	int rc = store_begin(S, write, &tx);

	if (rc != 0) {
		fprintf(stderr, "store_begin: %s\n", jd_errno_name(rc));
		exit(2);
	}
	return tx;
}

static void
commit(struct store_tx *tx)
{
	int rc = store_commit(tx);

	if (rc != 0) {
		fprintf(stderr, "store_commit: %s\n", jd_errno_name(rc));
		exit(2);
	}
}

static void
reopen(void)
{
	struct jd_error e;

	store_close(S);
	S = NULL;
	jd_error_init(&e);
	if (store_open(spec, &S, &e) != 0) {
		fprintf(stderr, "store_open(%s): %s\n", spec, e.msg);
		exit(2);
	}
	jd_error_clear(&e);
}

static void
fresh(void)
{
	struct store_tx *tx = begin(true);

	CHECK_EQ_INT(store_wipe(tx), 0);
	commit(tx);
	store_sqlite__set_group(S, 0, 0);
}

static void
put_thing(struct store_tx *tx, const char *name)
{
	struct jd_thing t = {0};

	jd_strlcpy(t.name, name, sizeof(t.name));
	t.version = 1;
	CHECK_EQ_INT(store_thing_insert(tx, &t), 0);
}

/* 0 if the committed state has the thing, else JD_ENOTFOUND. */
static int
has_thing(const char *name)
{
	struct store_tx *tx = begin(false);
	struct jd_thing t;
	int rc = store_thing_get(tx, name, &t);

	if (rc == 0)
		jd_thing_release(&t);
	store_rollback(tx);
	return rc;
}

static struct store_sqlite_stats
stats(void)
{
	struct store_sqlite_stats st;

	store_sqlite__stats(S, &st);
	return st;
}

/* Spin until `n` threads wait in begin(write). */
static void
wait_queued(int n)
{
	while (stats().queued < n)
		sched_yield();
}

/*
 * A scripted writer: begin, insert `name`, then (once `go` is set, if it is
 * not NULL) commit or roll back. `began` is set when it holds the writer.
 */
struct scripted {
	const char *name;
	bool undo;
	atomic_int *go;
	atomic_int began;
	atomic_int ended;
	int rc;
	const char *check;                 /* a thing to look up on a reader once done */
	int check_rc;                      /* has_thing(check) right after commit/rollback */
	void (*work)(struct store_tx *tx); /* more writes after the insert, or NULL */
};

static void *
scripted_main(void *arg)
{
	struct scripted *w = arg;
	struct store_tx *tx = NULL;

	w->rc = store_begin(S, true, &tx);
	if (w->rc != 0) {
		w->ended = 1;
		return NULL;
	}
	put_thing(tx, w->name);
	if (w->work != NULL)
		w->work(tx);
	w->began = 1;
	while (w->go != NULL && !*w->go)
		sched_yield();
	if (w->undo) {
		store_rollback(tx);
		w->rc = 0;
	} else {
		w->rc = store_commit(tx);
	}
	if (w->check != NULL)
		w->check_rc = has_thing(w->check);
	w->ended = 1;
	return NULL;
}

/*
 * Run a holding the writer while b and c queue behind it, then let a
 * commit: a, b and c are then one group (the group's age bound is lifted).
 */
static void
run_three(struct scripted *a, struct scripted *b, struct scripted *c)
{
	pthread_t ta, tb, tc;
	atomic_int go = 0;

	store_sqlite__set_group(S, 1000, (int64_t)60 * 1000000000);
	a->go = &go;
	pthread_create(&ta, NULL, scripted_main, a);
	while (!a->began && !a->ended)
		sched_yield();
	pthread_create(&tb, NULL, scripted_main, b);
	pthread_create(&tc, NULL, scripted_main, c);
	wait_queued(2);
	go = 1;
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	store_sqlite__set_group(S, 0, 0);
}

/* ---- tests -------------------------------------------------------------- */

/* Without concurrency every commit is its own group, committed at once. */
TEST(t_lone_writer)
{
	struct store_sqlite_stats a, b;

	fresh();
	a = stats();
	for (int i = 0; i < 10; i++) {
		struct store_tx *tx = begin(true);
		char name[16];

		snprintf(name, sizeof(name), "lone%d", i);
		put_thing(tx, name);
		commit(tx);
		CHECK_EQ_INT(has_thing(name), 0); /* visible to readers once commit returns */
	}
	b = stats();
	CHECK_EQ_INT(b.groups - a.groups, 10);
	CHECK_EQ_INT(b.members - a.members, 10);
	CHECK_EQ_INT(b.failed_groups, a.failed_groups);
	CHECK_EQ_INT(b.waiting, 0);
}

/* Two commits and a rollback in one group: one COMMIT, the rollback's row
 * is gone, the others' rows survive a reopen. The rollback, which saw the
 * first member's row, returns only once that row is durable. */
TEST(t_group_rollback_in_middle)
{
	struct scripted a = {.name = "ga", .undo = false, .rc = -1, .check = "ga", .check_rc = -1};
	struct scripted b = {.name = "gb", .undo = true, .rc = -1, .check = "ga", .check_rc = -1};
	struct scripted c = {.name = "gc", .undo = false, .rc = -1, .check = "ga", .check_rc = -1};
	struct store_sqlite_stats s0, s1;

	fresh();
	s0 = stats();
	run_three(&a, &b, &c);
	s1 = stats();
	CHECK_EQ_INT(a.rc, 0);
	CHECK_EQ_INT(b.rc, 0);
	CHECK_EQ_INT(c.rc, 0);
	CHECK_EQ_INT(s1.groups - s0.groups, 1);
	CHECK_EQ_INT(s1.members - s0.members, 2);
	CHECK_EQ_INT(a.check_rc, 0);
	CHECK_EQ_INT(b.check_rc, 0);
	CHECK_EQ_INT(c.check_rc, 0);
	reopen();
	CHECK_EQ_INT(has_thing("ga"), 0);
	CHECK_EQ_INT(has_thing("gb"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("gc"), 0);
}

/* A later member sees an earlier member's (not yet durable) changes. */
TEST(t_group_sees_earlier_members)
{
	struct scripted a = {.name = "sa", .undo = false, .rc = -1};
	struct scripted b = {.name = "sb", .undo = false, .rc = -1};
	struct scripted c = {.name = "sa", .undo = false, .rc = -1}; /* duplicate of a's row */
	pthread_t ta, tb;
	atomic_int go = 0;

	fresh();
	store_sqlite__set_group(S, 1000, (int64_t)60 * 1000000000);
	a.go = &go;
	pthread_create(&ta, NULL, scripted_main, &a);
	while (!a.began && !a.ended)
		sched_yield();
	pthread_create(&tb, NULL, scripted_main, &b);
	wait_queued(1);
	go = 1;
	/* b is in a's group or the next one; either way a's row is there */
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ_INT(a.rc, 0);
	CHECK_EQ_INT(b.rc, 0);
	{
		struct store_tx *tx = begin(true);
		struct jd_thing t = {0};

		jd_strlcpy(t.name, c.name, sizeof(t.name));
		CHECK_EQ_INT(store_thing_insert(tx, &t), JD_EEXISTS);
		store_rollback(tx);
	}
	store_sqlite__set_group(S, 0, 0);
}

/* The group's COMMIT fails: every member is told JD_EUNAVAIL, nothing of
 * the group is kept, and the next group starts clean. */
TEST(t_group_commit_fails)
{
	struct scripted a = {.name = "fa", .undo = false, .rc = -1};
	struct scripted b = {.name = "fb", .undo = true, .rc = -1};
	struct scripted c = {.name = "fc", .undo = false, .rc = -1};
	struct store_sqlite_stats s0, s1;
	struct store_tx *tx;

	fresh();
	s0 = stats();
	fail_sync = 1;
	run_three(&a, &b, &c);
	fail_sync = 0;
	s1 = stats();
	CHECK_EQ_INT(a.rc, JD_EUNAVAIL);
	CHECK_EQ_INT(b.rc, 0); /* its rollback */
	CHECK_EQ_INT(c.rc, JD_EUNAVAIL);
	CHECK_EQ_INT(s1.failed_groups - s0.failed_groups, 1);
	CHECK_EQ_INT(s1.groups, s0.groups);
	CHECK_EQ_INT(has_thing("fa"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("fc"), JD_ENOTFOUND);

	/* a lone commit fails too, and then the store works again */
	fail_sync = 1;
	tx = begin(true);
	put_thing(tx, "fd");
	CHECK_EQ_INT(store_commit(tx), JD_EUNAVAIL);
	fail_sync = 0;
	tx = begin(true);
	put_thing(tx, "ok");
	commit(tx);
	CHECK_EQ_INT(has_thing("ok"), 0);
	reopen();
	CHECK_EQ_INT(has_thing("fa"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("fc"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("fd"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("ok"), 0);
}

/* A group never grows past its bound. */
TEST(t_group_bound)
{
	struct scripted w[6];
	pthread_t th[6];
	atomic_int go = 0;
	struct store_sqlite_stats s0, s1;

	fresh();
	store_sqlite__set_group(S, 2, (int64_t)60 * 1000000000);
	s0 = stats();
	for (int i = 0; i < 6; i++) {
		static const char *names[] = {"b0", "b1", "b2", "b3", "b4", "b5"};

		w[i] = (struct scripted){.name = names[i], .go = i == 0 ? &go : NULL, .rc = -1};
	}
	pthread_create(&th[0], NULL, scripted_main, &w[0]);
	while (!w[0].began && !w[0].ended)
		sched_yield();
	for (int i = 1; i < 6; i++)
		pthread_create(&th[i], NULL, scripted_main, &w[i]);
	wait_queued(5);
	go = 1;
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(w[i].rc, 0);
	}
	s1 = stats();
	CHECK_EQ_INT(s1.members - s0.members, 6);
	CHECK_EQ_INT(s1.groups - s0.groups, 3);
	CHECK(s1.max_members <= 2 || s0.max_members > 2);
	store_sqlite__set_group(S, 0, 0);
}

/* Migration 3 fills job_exec_counts from the executions already there. */
static void
raw_exec(const char *sql)
{
	sqlite_raw_exec(path, sql);
}

static int64_t
raw_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
mk_exec(struct store_tx *tx, const char *job, const char *thing, int64_t number, int status)
{
	struct jd_exec x = {0};

	jd_strlcpy(x.job_id, job, sizeof(x.job_id));
	jd_strlcpy(x.thing_name, thing, sizeof(x.thing_name));
	x.number = number;
	x.status = status;
	x.version = 1;
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
}

TEST(t_migration_3)
{
	struct store_tx *tx;
	struct jd_counts k;
	int64_t n = -1;

	fresh();
	tx = begin(true);
	mk_exec(tx, "m", "t1", 1, JD_EXEC_FAILED);
	mk_exec(tx, "m", "t1", 2, JD_EXEC_QUEUED);
	mk_exec(tx, "m", "t2", 1, JD_EXEC_SUCCEEDED);
	commit(tx);
	store_close(S);
	S = NULL;
	/* back to schema version 2 (dropping what migrations 3, 4 and 7 made,
	 * and the dynamic thing groups' columns, and restoring the index and
	 * the generated column that later migrations drop), then rows the
	 * counts never saw; reopening applies 3 to the last */
	raw_exec(
	    "DROP INDEX thing_groups_dynamic; ALTER TABLE thing_groups DROP COLUMN query_string;"
	    " ALTER TABLE thing_groups DROP COLUMN index_name;"
	    " ALTER TABLE thing_groups DROP COLUMN query_version;"
	    " DROP TRIGGER IF EXISTS executions_count_insert;"
	    " DROP TRIGGER IF EXISTS executions_count_update;"
	    " DROP TRIGGER executions_count_delete; DROP TRIGGER executions_keys_fixed;"
	    " DROP TABLE job_exec_counts; DROP TABLE bulk_insert; ALTER TABLE jobs DROP COLUMN policy;"
	    " CREATE INDEX IF NOT EXISTS executions_job_status ON executions(job_id, status);"
	    " ALTER TABLE executions ADD COLUMN deadline INTEGER GENERATED ALWAYS AS ("
	    "  CASE WHEN inprogress_deadline = 0 THEN step_deadline"
	    "  WHEN step_deadline = 0 THEN inprogress_deadline"
	    "  ELSE min(inprogress_deadline, step_deadline) END) VIRTUAL;"
	    " DELETE FROM schema_version WHERE version >= 3;"
	    " INSERT INTO executions (job_id, thing_name, number, seq, status, force_canceled,"
	    "  queued_ms, started_ms, updated_ms, version, retry_attempt, inprogress_deadline,"
	    "  step_deadline) VALUES"
	    " ('m', 't3', 1, 1001, 1, 0, 0, 0, 0, 1, 0, 0, 0),"
	    " ('m', 't2', 2, 1002, 1, 0, 0, 0, 0, 1, 0, 0, 0),"
	    " ('m', 't4', 1, 1003, 0, 0, 0, 0, 0, 1, 0, 0, 0);");
	reopen();
	tx = begin(true);
	CHECK_EQ_INT(store_exec_counts(tx, "m", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 2);      /* t1#2, t4#1 */
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 2); /* t2#2, t3#1 */
	CHECK_EQ_INT(k.n[JD_EXEC_FAILED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "m", &n), 0);
	CHECK_EQ_INT(n, 4);
	/* and the triggers keep them from now on */
	CHECK_EQ_INT(store_exec_delete(tx, "m", "t2", 2), 0);
	CHECK_EQ_INT(store_exec_counts(tx, "m", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 1);
	/* migration 6 dropped the update trigger again: a status change moves
	 * the counts once (sq__exec_update), not twice */
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_schema"
	                     " WHERE name = 'executions_count_update'"),
	    0);
	{
		struct jd_exec x;

		CHECK_EQ_INT(store_exec_get(tx, "m", "t3", 1, &x), 0);
		x.status = JD_EXEC_FAILED;
		CHECK_EQ_INT(store_exec_update(tx, &x), 0);
		jd_exec_release(&x);
	}
	CHECK_EQ_INT(store_exec_counts(tx, "m", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_FAILED], 1);
	CHECK_EQ_INT(store_exec_active_count(tx, "m", &n), 0);
	CHECK_EQ_INT(n, 2);
	commit(tx);
}

/*
 * Migration 7: a job written at schema 6 has no policy column; once
 * migrated it reads policy.present == 0 (svc backfills it from the JSON),
 * and a policy written from then on is kept.
 */
TEST(t_migration_7_policy)
{
	int64_t last;
	struct store_tx *tx;
	struct jd_job j = {0}, o;

	fresh();
	tx = begin(true);
	jd_strlcpy(j.job_id, "old", sizeof(j.job_id));
	j.document = (char *)"{}";
	j.targets = (char *)"[]";
	j.config = (char *)"{\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":5}}";
	j.policy.present = JD_POLICY_TIMEOUT;
	j.policy.inprogress_timeout_min = 5;
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
	commit(tx);
	store_close(S);
	S = NULL;
	/* back to schema version 6: the column migration 7 added is gone (and
	 * what later migrations made: the dynamic thing groups' columns) */
	last = raw_int("SELECT max(version) FROM schema_version");
	raw_exec(
	    "DROP INDEX thing_groups_dynamic; ALTER TABLE thing_groups DROP COLUMN query_string;"
	    " ALTER TABLE thing_groups DROP COLUMN index_name;"
	    " ALTER TABLE thing_groups DROP COLUMN query_version;"
	    " ALTER TABLE jobs DROP COLUMN policy; DELETE FROM schema_version WHERE version >= 7;");
	CHECK_EQ_INT(
	    raw_int("SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'policy'"), 0);
	reopen();
	CHECK_EQ_INT(raw_int("SELECT max(version) FROM schema_version"), last);
	tx = begin(true);
	CHECK_EQ_INT(store_job_get(tx, "old", &o), 0);
	CHECK_EQ_INT(o.policy.present, 0);
	CHECK_EQ_INT(o.policy.inprogress_timeout_min, 0);
	CHECK_EQ_STR(o.config, j.config);
	/* the backfill: written once, read typed */
	o.policy.present = JD_POLICY_TIMEOUT;
	o.policy.inprogress_timeout_min = 5;
	CHECK_EQ_INT(store_job_update(tx, &o), 0);
	jd_job_release(&o);
	CHECK_EQ_INT(store_job_get(tx, "old", &o), 0);
	CHECK_EQ_INT(o.policy.present, JD_POLICY_TIMEOUT);
	CHECK_EQ_INT(o.policy.inprogress_timeout_min, 5);
	jd_job_release(&o);
	commit(tx);
	/* an unreadable blob reads as no policy, too */
	raw_exec("UPDATE jobs SET policy = x'00010203' WHERE job_id = 'old';");
	tx = begin(false);
	CHECK_EQ_INT(store_job_get(tx, "old", &o), 0);
	CHECK_EQ_INT(o.policy.present, 0);
	jd_job_release(&o);
	store_rollback(tx);
}

static int
count_cb(void *arg, const struct jd_exec *x)
{
	(void)x;
	(*(int64_t *)arg)++;
	return 0;
}

/* The value of a single-integer query on the file, or -1. */
/* Opcodes of statement sql that build temporary b-trees (an IN list, a sort,
 * DISTINCT, a materialized subquery): the number of them, their names in why. */
static int
temp_btrees(sqlite3 *db, const char *sql, char *why, size_t whylen)
{
	char *ex = sqlite3_mprintf("EXPLAIN %s", sql);
	sqlite3_stmt *st = NULL;
	int n = 0;

	why[0] = '\0';
	if (ex == NULL || sqlite3_prepare_v2(db, ex, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "explain: %s: %s\n", sql, sqlite3_errmsg(db));
		n = -1;
	}
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		const char *op = (const char *)sqlite3_column_text(st, 1);

		if (op != NULL &&
		    (strcmp(op, "OpenEphemeral") == 0 || strcmp(op, "SorterOpen") == 0 ||
		        strcmp(op, "OpenAutoindex") == 0)) {
			size_t used = strlen(why);

			snprintf(why + used, whylen - used, " %s", op);
			n++;
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(ex);
	return n;
}

/*
 * Regression (device update profile): "status IN (0, 1)" made SQLite build a
 * temporary table for the list, and the pending query a temporary b-tree to
 * sort, on every call; with callgrind that was 30,000 instructions of the
 * ~140,000 a CancelJobExecution costs. Only the statements named here may
 * build temporary b-trees: listings and maintenance, none on a device's or a
 * single execution's path. A new statement that needs one must be added here
 * on purpose.
 */
TEST(t_statements_build_no_temp_btrees)
{
	/* recursive group walks, listings filtered by group, batched job deletion */
	static const char *const allowed[] = {
	    "GROUP_LIST",
	    "MEMBER_LIST",
	    "JOB_LIST",
	    "JOB_LIST_BY_GROUP",
	    "EXEC_DELETE_JOB",
	    /* sorts the thing's pending executions only (its ended ones come in
	     * order from executions_thing_ended): a listing, not a device path */
	    "EXEC_LIST_THING",
	};
	sqlite3 *db = NULL;
	const char *sql, *name;
	int seen = 0;

	fresh();
	CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
	for (int i = 0; (sql = store_sqlite__stmt(i, &name)) != NULL; i++) {
		char why[256];
		int n = temp_btrees(db, sql, why, sizeof(why));
		bool ok = n == 0;

		for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && !ok; k++)
			if (strcmp(name, allowed[k]) == 0 && n > 0)
				ok = ++seen > 0;
		if (!ok)
			fprintf(stderr, "  %s:%s\n", name, n < 0 ? " does not prepare" : why);
		CHECK(ok);
	}
	/* the list stays true: each one named still builds one */
	CHECK_EQ_INT(seen, (int)(sizeof(allowed) / sizeof(allowed[0])));
	sqlite3_close(db);
}

/* Migration 5: the three lookup indexes hold pending executions only, and
 * the store's queries still find through them what they found before. */
TEST(t_migration_5_partial_indexes)
{
	struct store_tx *tx;
	struct jd_exec x;
	int64_t n = 0;

	fresh();
	tx = begin(true);
	mk_exec(tx, "p", "t1", 1, JD_EXEC_QUEUED);
	mk_exec(tx, "p", "t2", 1, JD_EXEC_IN_PROGRESS);
	mk_exec(tx, "p", "t3", 1, JD_EXEC_SUCCEEDED);
	mk_exec(tx, "p", "t4", 1, JD_EXEC_CANCELED);
	commit(tx);
	/* (executions_job_status was the third; a later migration drops it:
	 * no statement read it, see t_migration_thing_index_ended) */
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN"
	                     " ('executions_pending', 'executions_due')"
	                     " AND sql LIKE '%WHERE status%'"),
	    2);
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM executions INDEXED BY executions_pending"
	                     " WHERE thing_name > '' AND status IN " SQL_EXEC_PENDING),
	    2);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_pending(tx, "t2", NULL, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 1);
	n = 0;
	CHECK_EQ_INT(store_exec_pending_job(tx, "p", count_cb, &n), 0);
	CHECK_EQ_INT(n, 2);
	/* an ended execution leaves the indexes; a new deadline enters the due one */
	CHECK_EQ_INT(store_exec_get(tx, "p", "t2", 1, &x), 0);
	x.inprogress_deadline = 1000;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	n = 0;
	CHECK_EQ_INT(store_exec_due(tx, 1000, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 1);
	x.status = JD_EXEC_SUCCEEDED;
	x.inprogress_deadline = 0;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	n = 0;
	CHECK_EQ_INT(store_exec_due(tx, 1000, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 0);
	n = 0;
	CHECK_EQ_INT(store_exec_pending_job(tx, "p", count_cb, &n), 0);
	CHECK_EQ_INT(n, 1);
	commit(tx);
}

/*
 * The migration that makes the thing-keyed index partial (issue 15, cost
 * flat in store size): a store written with the old unique index over all
 * executions gets the partial one over ended executions, and lists a
 * thing's executions as before. The test rewinds schema_version to just
 * before that migration (the ones appended after it must re-run safely, as
 * IF NOT EXISTS and DROPS_COLUMN make them).
 */
TEST(t_migration_thing_index_ended)
{
	struct store_tx *tx;
	struct jd_exec x;
	int64_t n = 0;

	fresh();
	tx = begin(true);
	mk_exec(tx, "a", "t1", 1, JD_EXEC_SUCCEEDED);
	mk_exec(tx, "b", "t1", 1, JD_EXEC_QUEUED);
	mk_exec(tx, "c", "t1", 1, JD_EXEC_FAILED);
	mk_exec(tx, "d", "t1", 1, JD_EXEC_IN_PROGRESS);
	mk_exec(tx, "a", "t2", 1, JD_EXEC_CANCELED);
	commit(tx);
	store_close(S);
	S = NULL;
	{
		/* rewound to just before it: the migrations after it re-run too */
		char sql[512];
		int v = store_sqlite__migration_find("EXISTS executions_thing_ended ON");

		CHECK(v > 0);
		snprintf(sql, sizeof(sql),
		    "DROP INDEX executions_thing_ended;"
		    " CREATE UNIQUE INDEX executions_thing_seq ON executions(thing_name, seq);"
		    " CREATE INDEX executions_job_status ON executions(job_id, status)"
		    "  WHERE status IN " SQL_EXEC_PENDING ";"
		    " DELETE FROM schema_version WHERE version >= %d;",
		    v);
		raw_exec(sql);
	}
	reopen();
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_schema WHERE name IN"
	                     " ('executions_thing_seq', 'executions_job_status')"),
	    0);
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND"
	                     " name = 'executions_thing_ended' AND sql LIKE '%WHERE status >%'"),
	    1);
	/* the ended ones only: t1's a and c, t2's a */
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM executions INDEXED BY executions_thing_ended"
	                     " WHERE thing_name > '' AND status > " SQL_EXEC_IN_PROGRESS),
	    3);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t1", NULL, 0, 0, count_cb, &n), 0);
	CHECK_EQ_INT(n, 4);
	/* ending one moves it into the index; deleting it takes it out */
	CHECK_EQ_INT(store_exec_get(tx, "d", "t1", 1, &x), 0);
	x.status = JD_EXEC_SUCCEEDED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_delete(tx, "a", "t2", 1), 0);
	commit(tx);
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM executions INDEXED BY executions_thing_ended"
	                     " WHERE thing_name > '' AND status > " SQL_EXEC_IN_PROGRESS),
	    3);
	CHECK_EQ_INT(
	    raw_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
	    0);
}

/*
 * Regression (StartNext went from 211,000 to 662,000 instructions): with
 * "status = ?" the partial index's use depended on the bound value, so
 * SQLite re-prepared the pending query every time the binding changed. The
 * device paths (pending lists of different things, namespaces and limits,
 * updates, counts, sequence numbers) must run on statements prepared once.
 */
TEST(t_device_paths_never_reprepare)
{
	struct store_tx *tx;
	struct jd_exec x;
	int64_t n = 0, before;

	fresh();
	tx = begin(true);
	mk_exec(tx, "r1", "t1", 1, JD_EXEC_QUEUED);
	mk_exec(tx, "r2", "t1", 1, JD_EXEC_IN_PROGRESS);
	mk_exec(tx, "r1", "t2", 1, JD_EXEC_QUEUED);
	commit(tx);
	before = store_sqlite__reprepares(S);
	for (int round = 0; round < 3; round++) {
		const char *things[] = {"t1", "t2", "nobody"};

		tx = begin(true);
		for (int i = 0; i < 3; i++) {
			CHECK_EQ_INT(store_exec_pending(tx, things[i], NULL, 1 + i, count_cb, &n),
			    0);
			CHECK_EQ_INT(store_exec_pending(tx, things[i], "ns", 0, count_cb, &n), 0);
		}
		CHECK_EQ_INT(store_exec_get(tx, "r1", "t2", 0, &x), 0);
		x.status = round == 2 ? JD_EXEC_SUCCEEDED : JD_EXEC_IN_PROGRESS;
		x.version++;
		CHECK_EQ_INT(store_exec_update(tx, &x), 0);
		jd_exec_release(&x);
		CHECK_EQ_INT(store_exec_active_count(tx, round == 1 ? "r2" : "r1", &n), 0);
		mk_exec(tx, "r3", things[round], 1, JD_EXEC_QUEUED);
		commit(tx);
	}
	CHECK_EQ_INT(store_sqlite__reprepares(S) - before, 0);
}

/* ---- benchmark ---------------------------------------------------------- */

static atomic_int bench_stop;

struct bench_worker {
	int id;
	long n;
	long errors;
	double *lat; /* seconds per commit, up to cap */
	long cap;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
bench_main(void *arg)
{
	struct bench_worker *w = arg;
	char thing[32];

	snprintf(thing, sizeof(thing), "t%d", w->id);
	while (!bench_stop) {
		struct store_tx *tx = NULL;
		struct jd_exec x;
		double t0 = now_s();

		if (store_begin(S, true, &tx) != 0) {
			w->errors++;
			continue;
		}
		if (store_exec_get(tx, "j", thing, 0, &x) != 0) {
			store_rollback(tx);
			w->errors++;
			continue;
		}
		x.version++;
		x.updated_ms = x.version;
		if (store_exec_update(tx, &x) != 0) {
			jd_exec_release(&x);
			store_rollback(tx);
			w->errors++;
			continue;
		}
		jd_exec_release(&x);
		if (store_commit(tx) != 0) {
			w->errors++;
			continue;
		}
		if (w->n < w->cap)
			w->lat[w->n] = now_s() - t0;
		w->n++;
	}
	return NULL;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
bench(const char *dir, double secs)
{
	static const int counts[] = {1, 8, 64};
	struct store_tx *tx;

	snprintf(path, sizeof(path), "%s/jd_bench_commit.db", dir);
	snprintf(spec, sizeof(spec), "sqlite:%s", path);
	reopen();
	tx = begin(true);
	if (store_wipe(tx) != 0)
		return 2;
	for (int i = 0; i < 64; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		mk_exec(tx, "j", name, 1, JD_EXEC_IN_PROGRESS);
	}
	commit(tx);
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		int n = counts[k];
		pthread_t th[64];
		struct bench_worker w[64];
		struct store_sqlite_stats s0 = stats(), s1;
		long sum = 0, errors = 0, nlat = 0;
		double t0, elapsed, *lat;

		bench_stop = 0;
		for (int i = 0; i < n; i++) {
			w[i] = (struct bench_worker){i, 0, 0, jd_calloc(1000000, sizeof(double)),
			    1000000};
			pthread_create(&th[i], NULL, bench_main, &w[i]);
		}
		t0 = now_s();
		usleep((useconds_t)(secs * 1e6));
		bench_stop = 1;
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		elapsed = now_s() - t0;
		s1 = stats();
		for (int i = 0; i < n; i++) {
			sum += w[i].n;
			errors += w[i].errors;
		}
		lat = jd_calloc((size_t)sum + 1, sizeof(double));
		for (int i = 0; i < n; i++) {
			long m = w[i].n < w[i].cap ? w[i].n : w[i].cap;

			memcpy(lat + nlat, w[i].lat, sizeof(double) * (size_t)m);
			nlat += m;
			free(w[i].lat);
		}
		qsort(lat, (size_t)nlat, sizeof(double), dcmp);
		printf("threads %2d: %7.0f commits/s  p50 %6.2f ms  p99 %6.2f ms  "
		       "mean group %5.1f  errors %ld\n",
		    n, (double)sum / elapsed, nlat > 0 ? lat[nlat / 2] * 1e3 : 0.0,
		    nlat > 0 ? lat[(long)((double)nlat * 0.99)] * 1e3 : 0.0,
		    s1.groups > s0.groups ?
		        (double)(s1.members - s0.members) / (double)(s1.groups - s0.groups) :
		        0.0,
		    errors);
		fflush(stdout);
		free(lat);
	}
	store_close(S);
	S = NULL;
	{
		const char *sfx[] = {"", "-wal", "-shm"};
		char p[1100];

		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
			unlink(p);
		}
	}
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static void
cleanup_tmp(void)
{
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[1100];

	if (tmpdir[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

/*
 * Issue 15, cost flat in store size: executions have no INSERT trigger (it
 * made every INSERT journal the pages it touched, ~20 KB a row to a
 * temporary file), a second execution of a thing still moves the counts,
 * and a run of commits while a reader holds a snapshot leaves the WAL
 * bounded: the writer's WAL hook checkpointed (SQLite's own automatic
 * checkpoint is replaced by it), and the file stays under the limit.
 */
TEST(t_issue15_no_insert_trigger_wal_bounded)
{
	struct store_sqlite_stats st;
	struct store_tx *tx, *rd;
	struct jd_counts k;
	struct stat sb;
	char wal[1100];

	fresh();
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
	                     " AND tbl_name = 'executions' AND name = 'executions_count_insert'"),
	    0);
	tx = begin(true);
	mk_exec(tx, "w", "t1", 1, JD_EXEC_SUCCEEDED);
	mk_exec(tx, "w", "t1", 2, JD_EXEC_QUEUED);
	mk_exec(tx, "w", "t2", 1, JD_EXEC_QUEUED);
	CHECK_EQ_INT(store_exec_counts(tx, "w", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 2);    /* t1#2 and t2#1 are the latest */
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 0); /* t1#1 is not */
	commit(tx);

	rd = begin(false); /* a reader on an old snapshot */
	CHECK_EQ_INT(store_exec_counts(rd, "w", &k), 0);
	for (int i = 0; i < 100; i++) {
		char job[32];

		snprintf(job, sizeof(job), "wal%d", i);
		tx = begin(true);
		for (int t = 0; t < 300; t++) {
			char thing[32];
			snprintf(thing, sizeof(thing), "thing-%d-%d", t, i);
			mk_exec(tx, job, thing, 1, JD_EXEC_QUEUED);
		}
		commit(tx);
		if (i == 50) {
			store_rollback(rd); /* the reader leaves half-way */
			rd = NULL;
		}
	}
	store_sqlite__stats(S, &st);
	CHECK(st.checkpoints > 0);
	CHECK(st.wal_max_frames > 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CHECK_EQ_INT(stat(wal, &sb), 0);
	CHECK(sb.st_size <= 67108864);
	if (rd != NULL)
		store_rollback(rd);
}

/* ---- issue 15: targets by the hundred, no statement journal ------------- */

#define BIG_THINGS 1500
#define BIG_ATTR 1000

/* Every big-thing's attributes rewritten to ~1 KB of `fill`: ~1,500 pages
 * changed, an undo of about 6 MiB. */
static void
rewrite_big(struct store_tx *tx, char fill)
{
	char *attrs = malloc(BIG_ATTR + 16);

	snprintf(attrs, BIG_ATTR + 16, "{\"a\":\"%0*d\"}", BIG_ATTR, 0);
	memset(attrs + 6, fill, BIG_ATTR);
	for (int i = 0; i < BIG_THINGS; i++) {
		struct jd_thing t = {0};

		snprintf(t.name, sizeof(t.name), "big%05d", i);
		snprintf(t.id, sizeof(t.id), "id%d", i);
		t.attributes = attrs;
		t.version = 2;
		CHECK_EQ_INT(store_thing_update(tx, &t), 0);
	}
	free(attrs);
}

static void
rewrite_big_x(struct store_tx *tx)
{
	rewrite_big(tx, 'x');
}

static void
rewrite_big_y(struct store_tx *tx)
{
	rewrite_big(tx, 'y');
}

/* The fill of big thing i's attributes as committed ('0' at first). */
static char
big_fill(int i)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
	    "SELECT unicode(substr(attributes, 7, 1)) FROM things WHERE name = 'big%05d'", i);
	return (char)raw_int(sql);
}

static void
fill_big(void)
{
	struct store_tx *tx = begin(true);

	for (int i = 0; i < BIG_THINGS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "big%05d", i);
		put_thing(tx, name);
	}
	rewrite_big(tx, '0');
	commit(tx);
}

/*
 * A write transaction whose undo passes 1 MiB, as the second member of a
 * group (a SAVEPOINT inside the outer transaction, its sub-journal spilled
 * to a temporary file), commits, and another rolls back cleanly. With
 * SQLITE_CONFIG_STMTJRNL_SPILL at 1 MiB such a savepoint failed with
 * SQLITE_FULL (reverted in 86deb68): SQLite's unix VFS writes at most
 * 128 KiB - 1 bytes a call (seekAndWrite masks the length with 0x1ffff), and
 * the in-memory journal spills its whole chunk (as large as the spill
 * threshold) in one write. SQLite's default (64 KiB) is kept; this is the
 * case that had no test.
 */
TEST(t_savepoint_undo_past_1mib)
{
	struct scripted a = {.name = "ja", .undo = false, .rc = -1};
	struct scripted b = {.name = "jb", .undo = false, .rc = -1, .work = rewrite_big_x};
	struct scripted c = {.name = "jc", .undo = false, .rc = -1};
	struct scripted d = {.name = "jd", .undo = false, .rc = -1};
	struct scripted e = {.name = "je", .undo = true, .rc = -1, .work = rewrite_big_y};
	struct scripted f = {.name = "jf", .undo = false, .rc = -1};
	int opens;

	fresh();
	fill_big();
	CHECK_EQ_INT(big_fill(0), '0');
	opens = subjournal_opens;
	run_three(&a, &b, &c);
	CHECK_EQ_INT(a.rc, 0);
	CHECK_EQ_INT(b.rc, 0);
	CHECK_EQ_INT(c.rc, 0);
	CHECK(subjournal_opens > opens); /* b's undo went to a file */
	CHECK_EQ_INT(big_fill(0), 'x');
	CHECK_EQ_INT(big_fill(BIG_THINGS - 1), 'x');
	/* the same size rolled back as a member: its rows are as before */
	run_three(&d, &e, &f);
	CHECK_EQ_INT(d.rc, 0);
	CHECK_EQ_INT(e.rc, 0);
	CHECK_EQ_INT(f.rc, 0);
	CHECK_EQ_INT(big_fill(0), 'x');
	CHECK_EQ_INT(big_fill(BIG_THINGS - 1), 'x');
	reopen();
	CHECK_EQ_INT(has_thing("ja"), 0);
	CHECK_EQ_INT(has_thing("jb"), 0);
	CHECK_EQ_INT(has_thing("je"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("jf"), 0);
	CHECK_EQ_INT(
	    raw_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
	    0);
}

/* ---- round 9: a WAL's writes gathered into one per sync (vfs.c) --------- */

/*
 * A transaction of ~1,500 changed pages (past the 2 MB page cache, so
 * SQLite writes frames before its COMMIT and reads some back) reaches the
 * WAL in a few writes of up to 124 KiB, not two a frame, and all of it is
 * there: for another connection, after a reopen, and whole.
 */
TEST(t_wal_writes_gathered)
{
	int64_t c0, w0, c1, w1;
	struct store_tx *tx;

	fresh();
	fill_big();
	store_sqlite__wal_writes(&c0, &w0);
	tx = begin(true);
	rewrite_big(tx, 'g');
	commit(tx);
	store_sqlite__wal_writes(&c1, &w1);
	CHECK(c1 - c0 >= 2 * BIG_THINGS / 4); /* a frame is two calls; >= 4 things a page */
	CHECK(w1 - w0 >= 1);
	CHECK((w1 - w0) * 20 <= c1 - c0);
	CHECK_EQ_INT(big_fill(0), 'g');
	CHECK_EQ_INT(big_fill(BIG_THINGS - 1), 'g');
	reopen();
	CHECK_EQ_INT(big_fill(BIG_THINGS / 2), 'g');
	CHECK_EQ_INT(
	    raw_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
	    0);
}

/*
 * The gathered frames go out when SQLite syncs the WAL at COMMIT: if that
 * write fails, the COMMIT fails (its writer is not told 200), nothing of it
 * is seen, and the next write transaction commits.
 */
TEST(t_wal_write_out_fails_commit)
{
	struct store_tx *tx;

	fresh();
	fail_write = 1;
	tx = begin(true);
	put_thing(tx, "wf");
	CHECK_EQ_INT(store_commit(tx), JD_EUNAVAIL);
	fail_write = 0;
	CHECK_EQ_INT(has_thing("wf"), JD_ENOTFOUND);
	tx = begin(true);
	put_thing(tx, "wok");
	commit(tx);
	CHECK_EQ_INT(has_thing("wok"), 0);
	reopen();
	CHECK_EQ_INT(has_thing("wf"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("wok"), 0);
}

/*
 * The WAL file's methods against a plain model of the file: 20,000 random
 * writes (1 byte to 64 KiB, the largest page, anywhere in the first 2.5 MiB:
 * appends, overwrites inside the buffer, writes before it and straddling
 * it), reads (inside, across and past the buffer and the end of the file),
 * sizes, truncations and syncs on one WAL file opened through the store's
 * VFS. Every read and size answers as the model does, and so does the file
 * once closed, whatever SQLite's own use of these methods happens to be.
 * It found one difference, fixed: a read past the file's end, before a
 * buffer that starts further on, was short where the unbuffered file has
 * zeros (vfs.c wb_read).
 */
TEST(t_wal_file_as_a_model)
{
	enum { SPAN = 5 << 19, MAXW = 65536, OPS = 20000 };
	sqlite3_vfs *vfs = sqlite3_vfs_find(sq__vfs_name());
	unsigned char *model = calloc(1, SPAN + MAXW), *buf = malloc(MAXW), *got = malloc(MAXW);
	sqlite3_file *f = NULL;
	sqlite3_int64 size = 0, sz = -1;
	char wal[1100];
	unsigned seed = 12345;
	int out = 0, bad = 0;
	FILE *fp;

	CHECK(vfs != NULL);
	if (vfs == NULL || model == NULL || buf == NULL || got == NULL)
		goto done;
	f = calloc(1, (size_t)vfs->szOsFile);
	/* a WAL's name is its database's plus "-wal": the unix VFS looks the
	 * database up (for its mode), so there is one */
	snprintf(wal, sizeof(wal), "%s/model.db", tmpdir);
	if ((fp = fopen(wal, "wb")) != NULL)
		fclose(fp);
	snprintf(wal, sizeof(wal), "%s/model.db-wal", tmpdir);
	unlink(wal);
	CHECK_EQ_INT(vfs->xOpen(vfs, wal, f,
	                 SQLITE_OPEN_WAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &out),
	    SQLITE_OK);
	if (f->pMethods == NULL)
		goto done;
	for (int op = 0; op < OPS && bad < 5; op++) {
		int kind = (int)(rand_r(&seed) % 100);
		sqlite3_int64 off = (sqlite3_int64)(rand_r(&seed) % SPAN);
		int n = 1 + (int)(rand_r(&seed) % (rand_r(&seed) % 4 == 0 ? MAXW : 4120));

		if (kind < 30) { /* an append, as SQLite's frames are */
			off = size;
			if (off + n > SPAN)
				off = 0;
		}
		if (kind < 70) {
			for (int i = 0; i < n; i++)
				buf[i] = (unsigned char)rand_r(&seed);
			if (f->pMethods->xWrite(f, buf, n, off) != SQLITE_OK) {
				bad++;
				continue;
			}
			memcpy(model + off, buf, (size_t)n);
			if (off + n > size)
				size = off + n;
		} else if (kind < 90) {
			int rc = f->pMethods->xRead(f, got, n, off);
			unsigned char want[MAXW];
			int expect = off + n <= size ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;

			memset(want, 0, sizeof(want));
			if (off < size)
				memcpy(want, model + off,
				    (size_t)(off + n <= size ? n : size - off));
			if (rc != expect || memcmp(got, want, (size_t)n) != 0)
				bad++;
		} else if (kind < 94) {
			if (f->pMethods->xFileSize(f, &sz) != SQLITE_OK || sz != size)
				bad++;
		} else if (kind < 97) {
			sqlite3_int64 to = (sqlite3_int64)(rand_r(&seed) % (SPAN / 2));

			if (to < size) {
				if (f->pMethods->xTruncate(f, to) != SQLITE_OK)
					bad++;
				memset(model + to, 0, (size_t)(size - to));
				size = to;
			}
		} else if (f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(f->pMethods->xClose(f), SQLITE_OK);
	f->pMethods = NULL;
	/* what reached the file is the model, byte for byte */
	if ((fp = fopen(wal, "rb")) != NULL) {
		unsigned char *disk = malloc((size_t)size + 1);
		size_t rd = disk != NULL ? fread(disk, 1, (size_t)size + 1, fp) : 0;

		CHECK_EQ_INT((int64_t)rd, (int64_t)size);
		CHECK(disk != NULL && rd == (size_t)size && memcmp(disk, model, rd) == 0);
		free(disk);
		fclose(fp);
	} else {
		CHECK(fp != NULL);
	}
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s/model.db", tmpdir);
	unlink(wal);
done:
	free(f);
	free(model);
	free(buf);
	free(got);
}

/*
 * The first transaction of a group runs without a SAVEPOINT (conn.c): its
 * rollback is the outer transaction's, and the writers queued behind it
 * start a group of their own. A lone writer's large rollback leaves nothing.
 */
TEST(t_group_first_member_rolls_back)
{
	struct scripted a = {.name = "ra", .undo = true, .rc = -1, .work = rewrite_big_y};
	struct scripted b = {.name = "rb", .undo = false, .rc = -1};
	struct scripted c = {.name = "rc", .undo = true, .rc = -1};
	struct store_tx *tx;

	fresh();
	fill_big();
	run_three(&a, &b, &c);
	CHECK_EQ_INT(a.rc, 0);
	CHECK_EQ_INT(b.rc, 0);
	CHECK_EQ_INT(c.rc, 0);
	CHECK_EQ_INT(has_thing("ra"), JD_ENOTFOUND);
	CHECK_EQ_INT(has_thing("rb"), 0);
	CHECK_EQ_INT(has_thing("rc"), JD_ENOTFOUND);
	CHECK_EQ_INT(big_fill(0), '0');
	tx = begin(true);
	put_thing(tx, "rd");
	rewrite_big(tx, 'y');
	store_rollback(tx);
	CHECK_EQ_INT(has_thing("rd"), JD_ENOTFOUND);
	CHECK_EQ_INT(big_fill(BIG_THINGS - 1), '0');
	tx = begin(true);
	put_thing(tx, "re");
	commit(tx);
	reopen();
	CHECK_EQ_INT(has_thing("rb"), 0);
	CHECK_EQ_INT(has_thing("re"), 0);
	CHECK_EQ_INT(big_fill(0), '0');
}

/* n first executions of job over things <prefix>0 .. <prefix>n-1 */
static int
queue_batch(struct store_tx *tx, const char *job, const char *prefix, size_t n)
{
	struct jd_exec *xs = calloc(n, sizeof(*xs));
	int rc;

	for (size_t i = 0; i < n; i++) {
		jd_strlcpy(xs[i].job_id, job, sizeof(xs[i].job_id));
		snprintf(xs[i].thing_name, sizeof(xs[i].thing_name), "%s%zu", prefix, i);
		xs[i].number = 1;
		xs[i].status = JD_EXEC_QUEUED;
		xs[i].version = 1;
		xs[i].queued_ms = 1000;
	}
	rc = store_exec_insert_first(tx, xs, n);
	free(xs);
	return rc;
}

/*
 * Regression (issue 15, targets by the hundred): a CreateJob of 100 targets
 * on a store whose things have many pending executions changes ~100 leaves
 * of executions_pending, and its batched INSERT kept a statement journal of
 * them (a multi-row statement that may abort: the default ABORT conflict
 * clause, and min() in the generated column `deadline`), spilled to a
 * temporary file past 64 KiB. Now neither the statement nor a lone
 * transaction journals anything. A batch that fails half-way (a key that
 * exists) still leaves nothing once rolled back, counts included.
 */
TEST(t_issue15_batch_insert_no_journal)
{
	struct store_tx *tx;
	int opens;

	fresh();
	for (int j = 0; j < 80; j++) {
		char job[16];

		snprintf(job, sizeof(job), "fill%02d", j);
		tx = begin(true);
		CHECK_EQ_INT(queue_batch(tx, job, "thing-", 100), 0);
		commit(tx);
	}
	CHECK(raw_int("SELECT count(*) FROM dbstat WHERE name = 'executions_pending'") > 30 ||
	    raw_int("SELECT count(*) FROM executions") == 8000);
	opens = subjournal_opens;
	for (int j = 0; j < 5; j++) {
		char job[16];

		snprintf(job, sizeof(job), "new%02d", j);
		tx = begin(true);
		CHECK_EQ_INT(queue_batch(tx, job, "thing-", 100), 0);
		commit(tx);
	}
	CHECK_EQ_INT(subjournal_opens, opens);
	/* a batch that meets an existing key half-way: all of it goes */
	tx = begin(true);
	CHECK_EQ_INT(queue_batch(tx, "late", "thing-", 50), 0);
	commit(tx);
	tx = begin(true);
	CHECK(queue_batch(tx, "late", "thing-", 100) != 0);
	store_rollback(tx);
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM executions WHERE job_id = 'late'"), 50);
	CHECK_EQ_INT(raw_int("SELECT total FROM job_exec_counts WHERE job_id = 'late'"), 50);
	CHECK_EQ_INT(raw_int("SELECT latest FROM job_exec_counts WHERE job_id = 'late'"), 50);
	CHECK_EQ_INT(
	    raw_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
	    0);
}

/*
 * The migration that drops the generated column `deadline` and keys
 * executions_due on SQL_EXEC_DEADLINE: a store written before it finds the
 * same due executions after it, and re-running it changes nothing.
 */
TEST(t_migration_due_without_function)
{
	struct store_tx *tx;
	struct jd_exec x;
	int64_t n = 0;
	char sql[1024];
	int v = store_sqlite__migration_find("DROP COLUMN deadline");

	CHECK(v > 0);
	fresh();
	tx = begin(true);
	mk_exec(tx, "d", "t1", 1, JD_EXEC_IN_PROGRESS);
	mk_exec(tx, "d", "t2", 1, JD_EXEC_IN_PROGRESS);
	mk_exec(tx, "d", "t3", 1, JD_EXEC_QUEUED);
	commit(tx);
	store_close(S);
	S = NULL;
	snprintf(sql, sizeof(sql),
	    "DROP INDEX executions_due;"
	    " ALTER TABLE executions ADD COLUMN deadline INTEGER GENERATED ALWAYS AS ("
	    "  CASE WHEN inprogress_deadline = 0 THEN step_deadline"
	    "  WHEN step_deadline = 0 THEN inprogress_deadline"
	    "  ELSE min(inprogress_deadline, step_deadline) END) VIRTUAL;"
	    " CREATE INDEX executions_due ON executions(deadline, seq)"
	    "  WHERE status = " SQL_EXEC_IN_PROGRESS " AND deadline > 0;"
	    " UPDATE executions SET inprogress_deadline = 500, step_deadline = 300"
	    "  WHERE thing_name = 't1';"
	    " UPDATE executions SET inprogress_deadline = 400 WHERE thing_name = 't2';"
	    " DELETE FROM schema_version WHERE version >= %d;",
	    v);
	raw_exec(sql);
	reopen();
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM pragma_table_xinfo('executions')"
	                     " WHERE name = 'deadline'"),
	    0);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_due(tx, 299, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_exec_due(tx, 300, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 1); /* t1: the earlier of 500 and 300 */
	n = 0;
	CHECK_EQ_INT(store_exec_due(tx, 1000, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_exec_get(tx, "d", "t2", 1, &x), 0);
	x.status = JD_EXEC_SUCCEEDED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	n = 0;
	CHECK_EQ_INT(store_exec_due(tx, 1000, 10, count_cb, &n), 0);
	CHECK_EQ_INT(n, 1);
	commit(tx);
	/* again: the column is gone, the migration does nothing */
	store_close(S);
	S = NULL;
	snprintf(sql, sizeof(sql), "DELETE FROM schema_version WHERE version >= %d;", v);
	raw_exec(sql);
	reopen();
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_schema WHERE name = 'executions_due'"),
	    1);
	CHECK_EQ_INT(
	    raw_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"),
	    0);
}

int
main(int argc, char **argv)
{
	log_set_level(JD_LOG_WARN);
	if (argc >= 3 && strcmp(argv[1], "bench") == 0)
		return bench(argv[2], argc >= 4 ? atof(argv[3]) : 3.0);
	if (argc != 2 || strcmp(argv[1], "sqlite") != 0) {
		fprintf(stderr, "usage: %s sqlite | bench DIR [SECONDS]\n", argv[0]);
		return 2;
	}
	/* The failures provoked below log errors: that is expected. */
	fault_vfs_install();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/jd_store_sqlite_XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/x.db", tmpdir);
	snprintf(spec, sizeof(spec), "sqlite:%s", path);
	reopen();

	RUN(t_lone_writer);
	RUN(t_group_rollback_in_middle);
	RUN(t_group_sees_earlier_members);
	RUN(t_group_commit_fails);
	RUN(t_group_bound);
	RUN(t_migration_3);
	RUN(t_migration_5_partial_indexes);
	RUN(t_migration_thing_index_ended);
	RUN(t_migration_7_policy);
	RUN(t_statements_build_no_temp_btrees);
	RUN(t_device_paths_never_reprepare);
	RUN(t_issue15_no_insert_trigger_wal_bounded);
	RUN(t_savepoint_undo_past_1mib);
	RUN(t_wal_writes_gathered);
	RUN(t_wal_write_out_fails_commit);
	RUN(t_wal_file_as_a_model);
	RUN(t_group_first_member_rolls_back);
	RUN(t_issue15_batch_insert_no_journal);
	RUN(t_migration_due_without_function);

	store_close(S);
	cleanup_tmp();
	return test_report();
}
