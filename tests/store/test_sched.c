/*
 * test_sched.c: the schedule passes' due time (store_sched.h, issue 15,
 * cost flat in store size), run against every backend like test_store.c:
 *
 *   store_test_sched sqlite              a fresh SQLite file in a temp dir
 *   store_test_sched BACKEND WHERE       e.g. postgres "postgres://..."
 *
 * jd_job.sched_due_ms round-trips through job_insert, job_update and every
 * job read; job_sched_due lists exactly the jobs with a due time in
 * (0, now], earliest first, up to its limit. On SQLite, also: the listing
 * is a search of the partial index (not a scan of jobs), and a row from
 * before the column reads -1 and is not listed. Job ids are unique to the
 * run and the jobs are deleted at the end (a reused database keeps rows).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "sqlite_raw.h"
#include "store/store.h"
#include "store/store_sched.h"
#include "storekit.h"
#include "test.h"
#include "util/buf.h"

#define NJOBS 6

static const char *const names[NJOBS] = {"never", "d300", "d100", "d200", "unknown", "done"};
static const int64_t dues[NJOBS] = {0, 300, 100, 200, -1, 0};

/* Append src to dst (size bytes in all), cut to fit. */
static void
cat(char *dst, const char *src, size_t size)
{
	size_t n = strlen(dst);

	if (n + 1 < size)
		jd_strlcpy(dst + n, src, size - n);
}

static const char *
jid(char *buf, size_t n, const char *base)
{
	snprintf(buf, n, "%s-%s", run_id, base);
	return buf;
}

static void
mk_job(struct store_tx *tx, const char *base, int64_t due, int status)
{
	struct jd_job j = {0};

	jid(j.job_id, sizeof(j.job_id), base);
	j.status = status;
	j.selection = JD_SEL_SNAPSHOT;
	j.document = (char *)"{}";
	j.targets = (char *)"[]";
	j.config = (char *)"{}";
	j.created_ms = j.updated_ms = 50;
	j.policy.present = JD_POLICY_SCHEDULE;
	j.policy.start_ms = due > 0 ? due : 0;
	j.sched_due_ms = due;
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
}

/* The jobs of this run a listing returned, in order ("" if none). */
struct seen {
	char order[256];
	int n;
	int64_t last_due;
};

static int
seen_add(void *arg, const struct jd_job *j)
{
	struct seen *s = arg;
	size_t pre = strlen(run_id);

	/* earliest first, whoever's rows they are */
	CHECK(j->sched_due_ms >= s->last_due);
	CHECK(j->sched_due_ms > 0);
	s->last_due = j->sched_due_ms;
	s->n++;
	if (strncmp(j->job_id, run_id, pre) != 0 || j->job_id[pre] != '-')
		return 0;
	/* whole rows, as job_get reads them */
	CHECK(j->document != NULL && strcmp(j->document, "{}") == 0);
	CHECK_EQ_INT(j->policy.start_ms, j->sched_due_ms == 50 ? 0 : j->sched_due_ms);
	if (s->order[0] != '\0')
		cat(s->order, ",", sizeof(s->order));
	cat(s->order, j->job_id + pre + 1, sizeof(s->order));
	return 0;
}

static struct seen
due_at(struct store_tx *tx, int64_t now, int limit)
{
	struct seen s = {"", 0, 0};

	CHECK_EQ_INT(store_job_sched_due(tx, now, limit, seen_add, &s), 0);
	return s;
}

static int64_t
due_of(struct store_tx *tx, const char *base)
{
	char id[96];
	struct jd_job o;
	int64_t d;

	if (store_job_get(tx, jid(id, sizeof(id), base), &o) != 0)
		return -100;
	d = o.sched_due_ms;
	jd_job_release(&o);
	return d;
}

static void
clean_up(void)
{
	struct store_tx *tx = begin(true);
	char id[96];

	for (int i = 0; i < NJOBS; i++)
		store_job_delete(tx, jid(id, sizeof(id), names[i]));
	commit(tx);
}

TEST(t_sched_due_round_trip_and_order)
{
	struct store_tx *tx = begin(true);
	struct seen s;

	for (int i = 0; i < NJOBS; i++)
		mk_job(tx, names[i], dues[i], i == 5 ? JD_JOB_COMPLETED : JD_JOB_SCHEDULED);
	commit(tx);

	tx = begin(false);
	for (int i = 0; i < NJOBS; i++)
		CHECK_EQ_INT(due_of(tx, names[i]), dues[i]);
	s = due_at(tx, 99, 0);
	CHECK_EQ_STR(s.order, "");
	s = due_at(tx, 100, 0);
	CHECK_EQ_STR(s.order, "d100");
	s = due_at(tx, 250, 0);
	CHECK_EQ_STR(s.order, "d100,d200");
	s = due_at(tx, 1000, 0);
	CHECK_EQ_STR(s.order, "d100,d200,d300"); /* 0 and -1 never */
	s = due_at(tx, 1000, 2);
	CHECK_EQ_INT(s.n, 2);
	store_rollback(tx);

	/* an update moves it: out (0), later, earlier; other fields stay */
	tx = begin(true);
	{
		char id[96];
		struct jd_job o;
		CHECK_EQ_INT(store_job_get(tx, jid(id, sizeof(id), "d100"), &o), 0);
		o.sched_due_ms = 0;
		CHECK_EQ_INT(store_job_update(tx, &o), 0);
		jd_job_release(&o);
		CHECK_EQ_INT(store_job_get(tx, jid(id, sizeof(id), "d300"), &o), 0);
		o.sched_due_ms = 50;
		o.policy.start_ms = 0;
		CHECK_EQ_INT(store_job_update(tx, &o), 0);
		jd_job_release(&o);
		CHECK_EQ_INT(store_job_get(tx, jid(id, sizeof(id), "unknown"), &o), 0);
		o.sched_due_ms = 250;
		o.policy.start_ms = 250;
		CHECK_EQ_INT(store_job_update(tx, &o), 0);
		jd_job_release(&o);
	}
	/* the writer's own transaction sees its writes */
	s = due_at(tx, 1000, 0);
	CHECK_EQ_STR(s.order, "d300,d200,unknown");
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(due_of(tx, "d100"), 0);
	CHECK_EQ_INT(due_of(tx, "d300"), 50);
	s = due_at(tx, 200, 0);
	CHECK_EQ_STR(s.order, "d300,d200");
	store_rollback(tx);

	/* a deleted job is gone from the listing */
	tx = begin(true);
	{
		char id[96];
		CHECK_EQ_INT(store_job_delete(tx, jid(id, sizeof(id), "d200")), 0);
	}
	commit(tx);
	tx = begin(false);
	s = due_at(tx, 1000, 0);
	CHECK_EQ_STR(s.order, "d300,unknown");
	store_rollback(tx);
	clean_up();
}

static int
seq_add(void *arg, const struct jd_job *j)
{
	int64_t *v = arg;

	CHECK_EQ_INT(j->status, JD_JOB_DELETION_IN_PROGRESS);
	if (v[0] < 3)
		v[1 + v[0]++] = j->seq;
	return 0;
}

/* job_list by status alone (the reaper's look for a job to delete, each
 * tick; its own statement, a range of the status index): newest first,
 * before_seq and limit as the general listing. This run's jobs are the
 * newest (seq only grows). */
TEST(t_job_list_by_status_alone)
{
	struct jd_job_filter f = {JD_JOB_DELETION_IN_PROGRESS, -1, NULL, NULL};
	struct store_tx *tx = begin(true);
	int64_t seqs[3], v[4] = {0};
	char id[96];

	for (int i = 0; i < 3; i++) {
		mk_job(tx, names[i], 0, JD_JOB_DELETION_IN_PROGRESS);
		struct jd_job o;
		CHECK_EQ_INT(store_job_get(tx, jid(id, sizeof(id), names[i]), &o), 0);
		seqs[i] = o.seq;
		jd_job_release(&o);
	}
	mk_job(tx, names[3], 0, JD_JOB_COMPLETED);
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 2, seq_add, v), 0);
	CHECK_EQ_INT(v[0], 2);
	CHECK_EQ_INT(v[1], seqs[2]);
	CHECK_EQ_INT(v[2], seqs[1]);
	memset(v, 0, sizeof(v));
	CHECK_EQ_INT(store_job_list(tx, &f, seqs[1], 0, seq_add, v), 0);
	CHECK(v[0] >= 1);
	CHECK_EQ_INT(v[1], seqs[0]);
	store_rollback(tx);
	clean_up();
}

/* ---- SQLite only ---------------------------------------------------------- */

static char db_path[1024];

/* Open S again from the spec the program was given. */
static int
reopen(void)
{
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	rc = store_open(storekit_spec, &S, &e);
	if (rc != 0)
		fprintf(stderr, "store_open(%s): %s\n", storekit_spec, e.msg);
	jd_error_clear(&e);
	return rc;
}

static void
raw_exec(const char *sql)
{
	sqlite_raw_exec(db_path, sql);
}

/* The plan of the listing statement, its details joined by '|'. */
static void
plan_of(const char *sql, char *out, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char q[2048];

	out[0] = '\0';
	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_open(db_path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, 1000);
		sqlite3_bind_int64(st, 2, -1);
		while (sqlite3_step(st) == SQLITE_ROW) {
			cat(out, (const char *)sqlite3_column_text(st, 3), n);
			cat(out, "|", n);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The listing searches the partial index: what it reads does not grow with
 * the jobs that wait (due 0) or have ended. (plan_of binds ?1 = 1000 and
 * ?2 = -1.) */
TEST(t_sqlite_sched_due_uses_the_index)
{
	char plan[1024];

	plan_of(sq__stmt_sql(ST_JOB_SCHED_DUE), plan, sizeof(plan));
	CHECK(strstr(plan, "SEARCH jobs USING INDEX jobs_sched_due") != NULL);
	CHECK(strstr(plan, "SCAN jobs") == NULL);
	CHECK(strstr(plan, "TEMP B-TREE") == NULL); /* the index's order, no sort */
	/* and the reaper's look for a DELETION_IN_PROGRESS job (job_list by
	 * status alone, on each tick) is a range of jobs_status */
	plan_of(sq__stmt_sql(ST_JOB_LIST_STATUS), plan, sizeof(plan));
	CHECK(strstr(plan, "SEARCH jobs USING INDEX jobs_status") != NULL);
	CHECK(strstr(plan, "TEMP B-TREE") == NULL);
}

/* A row written before the column (schema rewound, the column dropped)
 * reads -1 and is never listed; migrating again adds the column and its
 * index, and a later run of the migration (tests rewind schema_version)
 * does nothing. */
TEST(t_sqlite_sched_due_migration)
{
	struct store_tx *tx;
	struct seen s;
	char sql[512];
	int v = store_sqlite__migration_find("ADD COLUMN sched_due_ms");

	CHECK(v > 0);
	tx = begin(true);
	mk_job(tx, "d300", 300, JD_JOB_SCHEDULED);
	commit(tx);
	store_close(S);
	S = NULL;
	snprintf(sql, sizeof(sql),
	    "DROP INDEX jobs_sched_due; ALTER TABLE jobs DROP COLUMN sched_due_ms;"
	    " DELETE FROM schema_version WHERE version >= %d;",
	    v);
	raw_exec(sql);
	CHECK_EQ_INT(reopen(), 0);
	tx = begin(false);
	CHECK_EQ_INT(due_of(tx, "d300"), -1);
	s = due_at(tx, 1000, 0);
	CHECK_EQ_STR(s.order, "");
	store_rollback(tx);
	/* run again with the column there: nothing to do, the row is kept */
	store_close(S);
	S = NULL;
	snprintf(sql, sizeof(sql), "DELETE FROM schema_version WHERE version >= %d;", v);
	raw_exec(sql);
	CHECK_EQ_INT(reopen(), 0);
	tx = begin(true);
	{
		char id[96];
		struct jd_job o;
		CHECK_EQ_INT(store_job_get(tx, jid(id, sizeof(id), "d300"), &o), 0);
		o.sched_due_ms = 300;
		CHECK_EQ_INT(store_job_update(tx, &o), 0);
		jd_job_release(&o);
	}
	commit(tx);
	tx = begin(false);
	s = due_at(tx, 1000, 0);
	CHECK_EQ_STR(s.order, "d300");
	store_rollback(tx);
	clean_up();
}

int
main(int argc, char **argv)
{
	if (storekit_open(argc, argv) != 0)
		return 2;

	RUN(t_sched_due_round_trip_and_order);
	RUN(t_job_list_by_status_alone);
	if (strncmp(storekit_spec, "sqlite:", 7) == 0) {
		snprintf(db_path, sizeof(db_path), "%s", storekit_spec + 7);
		RUN(t_sqlite_sched_due_uses_the_index);
		RUN(t_sqlite_sched_due_migration);
	}

	storekit_close();
	return test_report();
}
