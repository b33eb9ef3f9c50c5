/*
 * conn.c: the connections of the SQLite backend and its transactions.
 *
 * - One writer connection, taken in turn by write transactions, so writers
 *   queue in-process instead of spinning in SQLite's busy handler
 *   (busy_timeout stays only as a backstop against other processes), with
 *   group commit (below): concurrent write transactions share one COMMIT.
 * - A pool of JD_STORE_READERS reader connections (free list under a mutex
 *   and condvar) serves begin(write=false) with a deferred BEGIN; readers
 *   are query_only, so a write in a read transaction fails loudly
 *   (JD_EUNAVAIL) instead of racing the writer for the lock.
 * - Size behaviour (bench/README.md "Cost in store size"): the writer
 *   checkpoints after its own COMMITs (wal_hook below), so the WAL stays
 *   bounded while readers come and go; journal_size_limit truncates it back
 *   after a rewind. The savepoint journal stays SQLite's (memory up to
 *   64 KiB, then a temporary file): in memory it would hold every page a
 *   transaction first touches, 400 MB for one 100,000-row transaction on a
 *   store of 10 million executions.
 * - A connection is used by one thread at a time, so it is opened NOMUTEX.
 *   The transaction handle is the connection itself (struct conn begins
 *   with a struct store_tx_base); no allocation per transaction.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/sqlite/sqlite_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/handover.h"
#include "util/log.h"
#include "util/metrics.h"

/*
 * WAL bounds. SQ_WAL_CKPT_FRAMES: after a COMMIT that leaves the WAL at
 * least this many frames, the writer runs a PASSIVE checkpoint (SQLite's
 * automatic one, at 1000 frames, is replaced by this hook).
 * SQ_WAL_RESTART_FRAMES: if the WAL is still this long after it (readers
 * kept old snapshots), a RESTART checkpoint waits up to SQ_WAL_RESTART_MS
 * for them, so the next writer starts the WAL from its beginning.
 * SQ_WAL_LIMIT_BYTES: journal_size_limit, the size the WAL file is
 * truncated to after a reset.
 */
#define SQ_WAL_CKPT_FRAMES 2000
#define SQ_WAL_RESTART_FRAMES 8192
#define SQ_WAL_RESTART_MS 200
#define SQ_WAL_LIMIT_BYTES 67108864
#define SQ_STR_(x) #x
#define SQ_STR(x) SQ_STR_(x)

struct sq_store {
	struct store_base base; /* first: (struct store *)store */
	struct conn *writer;
	/*
	 * Group commit (see "group commit" below). The writer connection is
	 * owned by whoever set `wq.busy`: a write transaction from begin to
	 * commit/rollback, then, if it ends the group, through the COMMIT.
	 * `outer` and `group_start` belong to that owner; the rest is under
	 * glock.
	 */
	pthread_mutex_t glock;
	struct handover wq;              /* the writer connection's owner and its waiters */
	struct handover_member *members; /* released savepoints of the open group */
	int nmembers;
	bool outer;           /* the group's BEGIN IMMEDIATE is open */
	bool bare;            /* the owner's transaction opened no SAVEPOINT: it is the
	                         group's first, so its undo is the outer ROLLBACK */
	int64_t group_start;  /* CLOCK_MONOTONIC ns of that BEGIN */
	int group_max;        /* STORE_SQLITE_GROUP_MAX unless a test changed it */
	int64_t group_max_ns; /* STORE_SQLITE_GROUP_MAX_NS likewise */
	struct store_sqlite_stats stats;
	pthread_mutex_t rlock; /* guards free */
	pthread_cond_t rcond;  /* signalled when a reader is returned */
	struct conn *free;
	struct conn *readers[JD_STORE_READERS];
};

static void group_end(struct sq_store *s, bool fail);
static void abandon(struct conn *c);

/*
 * The writer's WAL hook, called after each of its COMMITs with the WAL's
 * length in frames (it replaces wal_autocheckpoint). A PASSIVE checkpoint
 * copies what no reader still needs; when readers kept the WAL long, a
 * RESTART one waits briefly for them, so the WAL is rewound instead of
 * growing without bound under a sustained fan-out.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq_store *s = arg;
	int log = 0, done = 0, passive = 0, restart = 0;

	if (frames >= SQ_WAL_CKPT_FRAMES) {
		passive = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log,
		              &done) == SQLITE_OK;
		if (log - done >= SQ_WAL_RESTART_FRAMES || log >= SQ_WAL_RESTART_FRAMES) {
			sqlite3_busy_timeout(db, SQ_WAL_RESTART_MS);
			restart = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART,
			              &log, &done) == SQLITE_OK;
			sqlite3_busy_timeout(db, JD_STORE_BUSY_MS);
		}
	}
	pthread_mutex_lock(&s->glock);
	if (frames > s->stats.wal_max_frames)
		s->stats.wal_max_frames = frames;
	s->stats.checkpoints += passive;
	s->stats.restarts += restart;
	pthread_mutex_unlock(&s->glock);
	return SQLITE_OK;
}

static void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static int
conn_open(struct sq_store *s, const char *path, bool writer, struct conn **out, struct jd_error *e)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
	const char *pragmas = writer ?
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;"
	    " PRAGMA journal_size_limit = " SQ_STR(SQ_WAL_LIMIT_BYTES) ";" :
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA query_only = ON;";
	struct conn *c = jd_calloc(1, sizeof(*c));
	int rc = 0;

	c->base.ops = &store_sqlite_ops;
	c->s = s;
	c->writer = writer;
	if (sqlite3_open_v2(path, &c->db, flags, sq__vfs_name()) != SQLITE_OK) {
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: cannot open %s: %s", path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, JD_STORE_BUSY_MS);
	if (writer) {
		sqlite3_stmt *st = NULL;
		const char *mode;

		/* journal_mode answers with the mode in force; WAL is persistent. */
		if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) !=
		        SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s: journal_mode: %s", path,
			    sqlite3_errmsg(c->db));
			goto out;
		}
		mode = (const char *)sqlite3_column_text(st, 0);
		if (mode == NULL || strcmp(mode, "wal") != 0)
			log_warn("store sqlite: %s: journal_mode is %s, not wal", path,
			    mode != NULL ? mode : "?");
		sqlite3_finalize(st);
		sqlite3_wal_hook(c->db, wal_hook, s);
	}
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s: pragmas: %s", path,
		    sqlite3_errmsg(c->db));
		goto out;
	}
out:
	if (rc != 0) {
		conn_close(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

void
sq__close(struct store *store)
{
	struct sq_store *s = (struct sq_store *)(void *)store;

	if (s == NULL)
		return;
	for (int i = 0; i < JD_STORE_READERS; i++)
		conn_close(s->readers[i]);
	/* Every transaction has ended, so no group is open: the last writer to
	 * leave ends it. An open one here would be a caller's bug; nobody can
	 * have been told it committed, so it is rolled back. */
	if (s->writer != NULL && s->outer) {
		log_error("store sqlite: closed with a write transaction open; rolling it back");
		group_end(s, true);
	}
	conn_close(s->writer);
	pthread_cond_destroy(&s->rcond);
	pthread_mutex_destroy(&s->rlock);
	pthread_mutex_destroy(&s->glock);
	free(s);
}

int
sq__open(const char *where, struct store **out, struct jd_error *e)
{
	struct sq_store *s = jd_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	s->base.ops = &store_sqlite_ops;
	pthread_mutex_init(&s->glock, NULL);
	s->group_max = STORE_SQLITE_GROUP_MAX;
	s->group_max_ns = STORE_SQLITE_GROUP_MAX_NS;
	pthread_mutex_init(&s->rlock, NULL);
	pthread_cond_init(&s->rcond, NULL);
	if (where == NULL || *where == '\0') {
		rc = jd_error_set(e, JD_EINVAL, "sqlite: empty database path");
		goto out;
	}
	if ((rc = sq__stmts_check(e)) != 0)
		goto out;
	/* The writer first: it creates the file and switches it to WAL. */
	rc = conn_open(s, where, true, &s->writer, e);
	if (rc != 0)
		goto out;
	rc = sq__migrate(s->writer, where, e);
	if (rc != 0)
		goto out;
	for (int i = 0; i < JD_STORE_READERS; i++) {
		rc = conn_open(s, where, false, &s->readers[i], e);
		if (rc != 0)
			goto out;
		s->readers[i]->next = s->free;
		s->free = s->readers[i];
	}
out:
	if (rc != 0)
		sq__close((struct store *)(void *)s);
	else
		*out = (struct store *)(void *)s;
	return rc;
}

/*
 * The start-up check (issue 13): a read-only file, or one whose pages are
 * damaged, used to open and then fail every write with 503. Here, before
 * any request: the writer connection must not have fallen back to
 * read-only (SQLite opens a write-protected file read-only without a word),
 * the pages must pass PRAGMA quick_check (or integrity_check), and a small
 * write must commit (a read-only directory, a full disk). Runs on the writer
 * while nothing else uses the store. The page check reads the whole file:
 * docs/operations.md#hardening has its cost; level STORE_CHECK_WRITE skips it.
 */
static int
check_pages(struct conn *c, const char *path, int level, struct jd_error *e)
{
	sqlite3_stmt *st = NULL;
	struct buf msg = {0};
	int rc = 0, step, rows = 0;
	bool ok = false;

	if (sqlite3_prepare_v2(c->db,
	        level >= STORE_CHECK_FULL ? "PRAGMA integrity_check(5)" : "PRAGMA quick_check(5)",
	        -1, &st, NULL) != SQLITE_OK) {
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s: cannot check pages: %s", path,
		    sqlite3_errmsg(c->db));
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (rows++ == 0 && t != NULL && strcmp(t, "ok") == 0)
			ok = true;
		else if (t != NULL)
			buf_printf(&msg, "%s%s", msg.len ? "; " : "", t);
	}
	if (step != SQLITE_DONE)
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s is damaged: %s", path,
		    sqlite3_errmsg(c->db));
	else if (!ok)
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s is damaged: %s: %.*s", path,
		    level >= STORE_CHECK_FULL ? "integrity_check" : "quick_check",
		    (int)(msg.len < 300 ? msg.len : 300), msg.p ? msg.p : "");
out:
	sqlite3_finalize(st);
	buf_free(&msg);
	return rc;
}

int
sq__check(struct store *store, int level, struct jd_error *e)
{
	struct sq_store *s = (struct sq_store *)(void *)store;
	struct conn *c = s->writer;
	const char *path = sqlite3_db_filename(c->db, "main");
	char sql[160];
	int rc;

	if (path == NULL || path[0] == '\0')
		path = "(database)";
	if (sqlite3_db_readonly(c->db, "main") == 1)
		return jd_error_set(e, JD_EUNAVAIL,
		    "sqlite: %s is read-only (its file or directory is not writable by this "
		    "user, or the file system is read-only)",
		    path);
	if (level >= STORE_CHECK_QUICK && (rc = check_pages(c, path, level, e)) != 0)
		return rc;
	snprintf(sql, sizeof(sql),
	    "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta (key, value) VALUES "
	    "('store_checked_at', '%lld'); COMMIT;",
	    (long long)time(NULL));
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		rc = jd_error_set(e, JD_EUNAVAIL, "sqlite: %s does not take a write: %s", path,
		    sqlite3_errmsg(c->db));
		abandon(c);
		return rc;
	}
	return 0;
}

static struct conn *
reader_take(struct sq_store *s)
{
	struct conn *c;

	pthread_mutex_lock(&s->rlock);
	while (s->free == NULL)
		pthread_cond_wait(&s->rcond, &s->rlock);
	c = s->free;
	s->free = c->next;
	c->next = NULL;
	pthread_mutex_unlock(&s->rlock);
	return c;
}

static void
reader_give(struct conn *c)
{
	struct sq_store *s = c->s;

	pthread_mutex_lock(&s->rlock);
	c->next = s->free;
	s->free = c;
	pthread_cond_signal(&s->rcond);
	pthread_mutex_unlock(&s->rlock);
}

static void
abandon(struct conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		sq__run(c, ST_ROLLBACK, false, NULL, NO_BINDS);
}

/*
 * Group commit. The writer connection keeps one outer transaction (BEGIN
 * IMMEDIATE) open for a group of write transactions; each of them is a
 * SAVEPOINT inside it, so they run one after another on the connection, and
 * each sees the changes of the earlier ones (which precede it in the serial
 * order). commit() releases the savepoint, joins the group and hands the
 * connection to the next writer; whoever leaves the connection when no other
 * writer is waiting (or the group is full or old) COMMITs the outer
 * transaction: one fsync for every member. Only then do the members'
 * commit() calls return, all with the COMMIT's outcome, so success means
 * durable and a failed COMMIT fails every member (none has answered yet).
 * rollback() undoes only its own savepoint; if earlier members are pending,
 * it also waits for their COMMIT, since what it read (and may answer with,
 * e.g. "already IN_PROGRESS") includes their changes. A lone writer commits
 * at once.
 *
 * The group's first transaction opens no SAVEPOINT (`bare`): nothing precedes
 * it in the outer transaction, so its undo is the outer ROLLBACK. A SAVEPOINT
 * inside a transaction makes SQLite copy every page it first changes to a
 * sub-journal (4 KiB plus 4 bytes a page; past 64 KiB a temporary file is
 * created, written and deleted): 20 to 100 pages for a CreateJob of 100
 * targets (a leaf of executions_pending per target once things hold many
 * pending executions). The later members of a group still need theirs.
 *
 * If an error rolled the outer transaction back behind our back (SQLite may
 * do so on SQLITE_FULL, an I/O error or out of memory), every waiting member
 * fails and the next writer starts a new group.
 */

/*
 * Wait until the writer connection is free and take it, but not past
 * `deadline` (CLOCK_MONOTONIC ns): a store locked by another process makes
 * each queued writer fail after about the busy timeout from its arrival,
 * not after its turn in a line of busy timeouts. Waiters queue in arrival
 * order; the owner hands the connection to the first (handover_release). A
 * waiter whose deadline passes gives up only if it was not handed the
 * writer meanwhile, so a hand-over is never lost.
 */
static int
writer_take(struct sq_store *s, int64_t deadline)
{
	if (handover_take(&s->wq, &s->glock, deadline) == 0)
		return 0;
	log_error("store sqlite: the writer stayed busy for %d ms", JD_STORE_BUSY_MS);
	return JD_EUNAVAIL;
}

/* Count the group's outcome rc for the members in list (glock held). */
static void
members_count(struct sq_store *s, const struct handover_member *list, int rc)
{
	int64_t n = 0;

	for (; list != NULL; list = list->next) {
		n += !list->observer;
		s->stats.waiting--;
	}
	if (n == 0)
		return;
	if (rc == 0) {
		s->stats.groups++;
		s->stats.members += n;
		if (n > s->stats.max_members)
			s->stats.max_members = n;
	} else {
		s->stats.failed_groups++;
	}
}

/* /metrics: the COMMIT's latency and how many write transactions it made
 * durable (observers only read; they are not counted). */
static void
metrics_commit(uint64_t t0, bool ok, const struct handover_member *list)
{
	uint64_t n = 0;

	metrics_observe(&jd_metrics.store_commit_seconds, metrics_now_us() - t0);
	if (!ok) {
		metrics_inc(&jd_metrics.store_commit_failures);
		return;
	}
	for (; list != NULL; list = list->next)
		n += !list->observer;
	if (n > 0)
		metrics_observe(&jd_metrics.store_group_size, n);
	atomic_store_explicit(&jd_metrics.store_memory_bytes, (uint64_t)sqlite3_memory_used(),
	    memory_order_relaxed);
}

/*
 * End the outer transaction (the caller owns the writer): COMMIT it if it
 * has members, else roll it back. The group's members are detached first
 * and given the outcome; returns them, for handover_members_post() (writer_leave
 * wakes them once it has handed the writer on, so that the next group does
 * not wait for a COMMIT's wake-ups). A failed COMMIT is rolled back, so the
 * next group starts clean.
 */
static struct handover_member *
group_close(struct sq_store *s, bool fail)
{
	struct conn *c = s->writer;
	struct handover_member *list;
	int rc = JD_EUNAVAIL;

	pthread_mutex_lock(&s->glock);
	list = s->members;
	s->members = NULL;
	s->nmembers = 0;
	pthread_mutex_unlock(&s->glock);

	if (!fail && list != NULL && !sqlite3_get_autocommit(c->db)) {
		uint64_t t0 = metrics_now_us();
		rc = sq__run(c, ST_COMMIT, false, NULL, NO_BINDS) == 0 ? 0 : JD_EUNAVAIL;
		metrics_commit(t0, rc == 0, list);
	} else if (!fail && list != NULL)
		log_error(
		    "store sqlite: the group transaction was rolled back by an earlier error");
	abandon(c);
	s->outer = false;

	if (list == NULL)
		return NULL;
	pthread_mutex_lock(&s->glock);
	members_count(s, list, rc);
	pthread_mutex_unlock(&s->glock);
	for (struct handover_member *m = list; m != NULL; m = m->next)
		m->rc = rc;
	return list;
}

/* End the group and wake its members at once. */
static void
group_end(struct sq_store *s, bool fail)
{
	handover_members_post(group_close(s, fail));
}

/* True, after failing the group, if the outer transaction has been lost. */
static bool
group_lost(struct sq_store *s)
{
	if (!s->outer || !sqlite3_get_autocommit(s->writer->db))
		return false;
	log_error("store sqlite: the group transaction was rolled back by an earlier error");
	group_end(s, true);
	return true;
}

/* Undo the savepoint of the current write transaction; if that is not
 * possible, the whole group is lost. */
static void
member_undo(struct sq_store *s)
{
	struct conn *c = s->writer;

	if (group_lost(s))
		return;
	if (s->bare) {
		group_end(s, true); /* no member yet: nobody else's work is lost */
		return;
	}
	if (sq__run(c, ST_ROLLBACK_TO, false, NULL, NO_BINDS) != 0 ||
	    sq__run(c, ST_RELEASE, false, NULL, NO_BINDS) != 0 || sqlite3_get_autocommit(c->db))
		group_end(s, true);
}

/*
 * Open the owner's write transaction on the writer connection, which it
 * owns: the group's BEGIN IMMEDIATE if no group is open (waiting for
 * another process's lock only until `deadline`), then a SAVEPOINT unless it
 * is the group's first. 0, or JD_EUNAVAIL (the writer still owned).
 */
static int
group_open(struct sq_store *s, int64_t deadline)
{
	struct conn *c = s->writer;

	group_lost(s);
	if (!s->outer) {
		/* Another process may hold the lock: wait for it only until our deadline. */
		int64_t left_ms = (deadline - clock_mono_ns()) / 1000000;
		int rc;

		sqlite3_busy_timeout(c->db, left_ms > 0 ? (int)left_ms : 1);
		rc = sq__run(c, ST_BEGIN_WRITE, false, NULL, NO_BINDS);
		sqlite3_busy_timeout(c->db, JD_STORE_BUSY_MS);
		if (rc != 0) {
			abandon(c);
			return JD_EUNAVAIL;
		}
		s->outer = true;
		s->group_start = clock_mono_ns();
	}
	/* The group's first transaction needs no SAVEPOINT (see "group
	 * commit"); the others do */
	pthread_mutex_lock(&s->glock);
	s->bare = s->nmembers == 0;
	pthread_mutex_unlock(&s->glock);
	if (!s->bare && sq__run(c, ST_SAVEPOINT, false, NULL, NO_BINDS) != 0) {
		group_lost(s);
		return JD_EUNAVAIL;
	}
	s->writer->base.write = true;
	return 0;
}

/* Join m to the open group (observer: it rolled back, but saw earlier
 * members' changes); it is posted with the group's outcome. */
static void
member_join(struct sq_store *s, struct handover_member *m)
{
	pthread_mutex_lock(&s->glock);
	m->next = s->members;
	s->members = m;
	s->nmembers++;
	s->stats.waiting++;
	pthread_mutex_unlock(&s->glock);
}

/* The owner's transaction released its savepoint: 0, it joins the group,
 * or JD_EUNAVAIL, undone (the group may be lost). */
static int
member_release(struct sq_store *s)
{
	struct conn *c = s->writer;

	if (group_lost(s))
		return JD_EUNAVAIL;
	if ((!s->bare && sq__run(c, ST_RELEASE, false, NULL, NO_BINDS) != 0) ||
	    sqlite3_get_autocommit(c->db)) {
		member_undo(s);
		return JD_EUNAVAIL;
	}
	return 0;
}

/* Whether the open group is full or old (glock held). */
static bool
group_full(const struct sq_store *s)
{
	return s->nmembers >= s->group_max || clock_mono_ns() - s->group_start >= s->group_max_ns;
}

/*
 * Riders (round 14). A write whose whole transaction is one function of
 * the store alone (sq__ride: a conditional write) does not wait for the
 * writer connection when it is owned: it queues as a rider, and the owner,
 * as it leaves, runs it in its own SAVEPOINT of the group, as if the rider
 * had been handed the connection; the rider sleeps once, until its group's
 * COMMIT, instead of twice (for the writer, then for the COMMIT), and on
 * this VM a sleep and its wake-up cost more than the statements. If the
 * owner leaves riders behind and no other writer waits, it hands the
 * connection to the first of them, which runs its own and carries the rest.
 */
struct sq_rider {
	struct handover_rider h; /* first */
	int (*fn)(struct store_tx *tx, void *arg);
	void *arg;
};

/* Run rider r on the writer, which the caller owns with no transaction of
 * its own open. */
static void
rider_run(struct sq_store *s, struct sq_rider *r)
{
	bool saw;

	if (clock_mono_ns() >= r->h.deadline || group_open(s, r->h.deadline) != 0) {
		log_error("store sqlite: a carried write found the writer busy past %d ms",
		    JD_STORE_BUSY_MS);
		handover_rider_done(&r->h, JD_EUNAVAIL);
		return;
	}
	r->h.rc = r->fn((struct store_tx *)(void *)s->writer, r->arg);
	if (r->h.rc == 0) {
		if (member_release(s) != 0)
			handover_rider_done(&r->h, JD_EUNAVAIL);
		else
			member_join(s, &r->h.m);
		return;
	}
	member_undo(s);
	pthread_mutex_lock(&s->glock);
	saw = s->nmembers > 0;
	pthread_mutex_unlock(&s->glock);
	if (!saw) {
		handover_rider_done(&r->h, r->h.rc);
		return;
	}
	r->h.m.observer = true; /* it answers from earlier members' changes */
	member_join(s, &r->h.m);
}

/* Run every rider queued now (the caller owns the writer, with no
 * transaction of its own open), ending the group where it is full. */
static void
riders_carry(struct sq_store *s)
{
	struct handover_rider *list;

	pthread_mutex_lock(&s->glock);
	list = handover_riders_take(&s->wq);
	pthread_mutex_unlock(&s->glock);
	while (list != NULL) {
		struct sq_rider *r = (struct sq_rider *)(void *)list;
		bool full;

		list = list->next; /* r may return once it is posted */
		pthread_mutex_lock(&s->glock);
		full = s->outer && group_full(s);
		pthread_mutex_unlock(&s->glock);
		if (full)
			group_end(s, false);
		rider_run(s, r);
	}
}

/*
 * Leave the writer connection at the end of a write transaction. self: it
 * released its savepoint and joins the group (or, observer, it rolled back
 * after earlier members); NULL: it rolled back, or its begin failed. Runs
 * the riders queued meanwhile, then ends the group if nobody is waiting for
 * the writer or the group is full or old; otherwise the next writer (or
 * rider) takes over and self waits for the group's outcome. Returns self's
 * outcome (0 without self).
 */
static int
writer_leave(struct sq_store *s, struct handover_member *self)
{
	struct handover_waiter *next = NULL;
	struct handover_member *ended = NULL;
	struct handover_rider *heir;
	bool end;

	if (self != NULL) {
		handover_member_init(self);
		member_join(s, self);
	}
	riders_carry(s);
	pthread_mutex_lock(&s->glock);
	end = s->outer && ((s->wq.queued == 0 && s->wq.rhead == NULL) || group_full(s));
	pthread_mutex_unlock(&s->glock);
	if (end)
		ended = group_close(s, false);

	pthread_mutex_lock(&s->glock);
	heir = handover_heir(&s->wq); /* riders left, no waiter: the first rider's */
	if (heir == NULL)
		next = handover_release(&s->wq);
	pthread_mutex_unlock(&s->glock);
	handover_post(next);
	handover_heir_post(heir);
	handover_members_post(ended);
	return self != NULL ? handover_member_wait(self) : 0;
}

static int
writer_begin(struct sq_store *s)
{
	int64_t deadline = clock_mono_ns() + (int64_t)JD_STORE_BUSY_MS * 1000000;

	if (writer_take(s, deadline) != 0)
		return JD_EUNAVAIL;
	if (group_open(s, deadline) != 0) {
		writer_leave(s, NULL);
		return JD_EUNAVAIL;
	}
	return 0;
}

static int
writer_commit(struct sq_store *s)
{
	struct handover_member self = {.next = NULL, .rc = 0, .observer = false};

	if (member_release(s) != 0) {
		writer_leave(s, NULL);
		return JD_EUNAVAIL;
	}
	return writer_leave(s, &self);
}

/*
 * A write transaction that is fn alone (store_read_ops.ride): carried by
 * the writer's owner if there is one (see "Riders"), else run here as
 * begin, fn, commit. fn's error (it is rolled back), JD_EUNAVAIL, or 0
 * once it is durable.
 */
int
sq__ride(struct store *store, int (*fn)(struct store_tx *tx, void *arg), void *arg)
{
	struct sq_store *s = (struct sq_store *)(void *)store;
	struct sq_rider r = {.fn = fn, .arg = arg};
	struct store_tx *tx = NULL;
	int rc;

	r.h.deadline = clock_mono_ns() + (int64_t)JD_STORE_BUSY_MS * 1000000;
	if (handover_ride(&s->wq, &s->glock, &r.h) == 1) {
		if (!r.h.own)
			return r.h.rc != 0 ? r.h.rc : r.h.m.rc;
		if (group_open(s, r.h.deadline) != 0) {
			writer_leave(s, NULL);
			return JD_EUNAVAIL;
		}
		tx = (struct store_tx *)(void *)s->writer;
	} else {
		if (sq__begin(store, true, &tx) != 0)
			return JD_EUNAVAIL;
	}
	if ((rc = fn(tx, arg)) != 0) {
		sq__rollback(tx);
		return rc;
	}
	return sq__commit(tx);
}

int
sq__begin(struct store *store, bool write, struct store_tx **out)
{
	struct sq_store *s = (struct sq_store *)(void *)store;
	struct conn *c;

	*out = NULL;
	if (write) {
		if (writer_begin(s) != 0)
			return JD_EUNAVAIL;
		*out = (struct store_tx *)(void *)s->writer;
		return 0;
	}
	c = reader_take(s);
	if (sq__run(c, ST_BEGIN, false, NULL, NO_BINDS) != 0) {
		abandon(c);
		reader_give(c);
		return JD_EUNAVAIL;
	}
	c->base.write = false;
	*out = (struct store_tx *)(void *)c;
	return 0;
}

int
sq__commit(struct store_tx *tx)
{
	struct conn *c = sq__conn(tx);
	int rc;

	if (c->writer)
		return writer_commit(c->s);
	rc = sq__run(c, ST_COMMIT, false, NULL, NO_BINDS);
	if (rc != 0) {
		abandon(c);
		rc = JD_EUNAVAIL;
	}
	reader_give(c);
	return rc;
}

void
sq__rollback(struct store_tx *tx)
{
	struct conn *c = sq__conn(tx);

	if (c->writer) {
		struct sq_store *s = c->s;
		struct handover_member self = {.next = NULL, .rc = 0, .observer = true};
		bool saw;

		member_undo(s);
		/* It may have answered from earlier members' changes: it returns
		 * once they are durable (their failure it cannot report). */
		pthread_mutex_lock(&s->glock);
		saw = s->nmembers > 0;
		pthread_mutex_unlock(&s->glock);
		writer_leave(s, saw ? &self : NULL);
		return;
	}
	abandon(c);
	reader_give(c);
}

void
store_sqlite__stats(struct store *store, struct store_sqlite_stats *out)
{
	struct sq_store *s = (struct sq_store *)(void *)store;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s->base.ops != &store_sqlite_ops)
		return;
	pthread_mutex_lock(&s->glock);
	*out = s->stats;
	out->queued = s->wq.queued;
	pthread_mutex_unlock(&s->glock);
}

static int64_t
conn_reprepares(const struct conn *c)
{
	int64_t n = 0;

	for (int i = 0; c != NULL && i < ST__COUNT; i++)
		if (c->st[i] != NULL)
			n += sqlite3_stmt_status(c->st[i], SQLITE_STMTSTATUS_REPREPARE, 0);
	return n;
}

int64_t
store_sqlite__reprepares(struct store *store)
{
	struct sq_store *s = (struct sq_store *)(void *)store;
	int64_t n;

	if (s == NULL || s->base.ops != &store_sqlite_ops)
		return 0;
	n = conn_reprepares(s->writer);
	for (int i = 0; i < JD_STORE_READERS; i++)
		n += conn_reprepares(s->readers[i]);
	return n;
}

void
store_sqlite__set_group(struct store *store, int max_members, int64_t max_ns)
{
	struct sq_store *s = (struct sq_store *)(void *)store;

	if (s == NULL || s->base.ops != &store_sqlite_ops)
		return;
	pthread_mutex_lock(&s->glock);
	s->group_max = max_members > 0 ? max_members : STORE_SQLITE_GROUP_MAX;
	s->group_max_ns = max_ns > 0 ? max_ns : STORE_SQLITE_GROUP_MAX_NS;
	pthread_mutex_unlock(&s->glock);
}
