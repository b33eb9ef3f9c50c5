/*
 * fillstore.c: fill a store with N executions of history, for the "cost in
 * store size" benchmark (bench/store-size.sh, bench/README.md).
 *
 * It writes what jobsd itself would have written after devices finished
 * N / THINGS snapshot jobs over one group of THINGS things: the things
 * PREFIXt0 .. PREFIXt(THINGS-1) (the names jdbench gives them, so a later
 * `jdbench scenario fanout|device-http --prefix PREFIX` works on the very
 * things that hold the history), the group PREFIXgTHINGS with all of them,
 * and jobs PREFIXfillK, COMPLETED, whose executions are SUCCEEDED (started,
 * updated, version 3, as StartNext then UpdateJobExecution leave them).
 * Rows go through the store interface (exec_insert_first, the fan-out's own
 * path), in transactions of CHUNK executions, job after job, so sequence
 * numbers, counts and indexes are jobsd's.
 *
 *   fillstore SPEC --executions N [--things T] [--prefix P] [--chunk C]
 *   fillstore SPEC --probe K [--things T] [--prefix P] [--chunk C]
 *   fillstore SPEC --executions N --bulk 1 ...
 *
 * --bulk 1 (SQLite only; what bench/store-size.sh uses for large N): the
 * first job goes through the store interface as above; every further job is
 * a copy of it made in SQL by one process with a large page cache and no
 * journal: the same rows (job ids, sequence numbers from the counters,
 * counts, index entries) jobsd would have written, job after job, in the
 * same order, minutes faster. The file is back in WAL mode at the end.
 *
 * --probe K: instead of history, K QUEUED fan-outs of T executions in
 * transactions of C (the probes of the investigation, bench/README.md);
 * prints the time and the bytes read and written (/proc/self/io) of each.
 * The existing things and group are reused; the group is created if absent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store.h"
#include "util/buf.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* rchar and wchar of this process (bytes through read/write syscalls). */
static void
io_bytes(int64_t *r, int64_t *w)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];

	*r = *w = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		long long v;
		if (sscanf(line, "rchar: %lld", &v) == 1)
			*r = v;
		else if (sscanf(line, "wchar: %lld", &v) == 1)
			*w = v;
	}
	fclose(f);
}

struct opts {
	const char *spec, *prefix;
	long executions, things, chunk, probe, bulk;
	long *order; /* thing numbers in name order, as jobsd lists a group */
};

static const char *cmp_prefix;

static int
cmp_name(const void *a, const void *b)
{
	char x[64], y[64];

	snprintf(x, sizeof(x), "%st%ld", cmp_prefix, *(const long *)a);
	snprintf(y, sizeof(y), "%st%ld", cmp_prefix, *(const long *)b);
	return strcmp(x, y);
}

/* The things and their group, unless the group exists already. */
static int
setup(struct store *s, const struct opts *o)
{
	struct store_tx *tx = NULL;
	struct jd_group g = {.version = 1};
	int64_t t = now_ms();
	int rc;

	snprintf(g.name, sizeof(g.name), "%sg%ld", o->prefix, o->things);
	if ((rc = store_begin(s, true, &tx)) != 0)
		return rc;
	{
		struct jd_group have;
		memset(&have, 0, sizeof(have));
		rc = store_group_get(tx, g.name, &have);
		jd_group_release(&have);
		if (rc == 0) {
			store_rollback(tx);
			return 0;
		}
	}
	snprintf(g.id, sizeof(g.id), "00000000-0000-4000-8000-%012ld", o->things % 1000000000000L);
	g.created_ms = t;
	rc = store_group_insert(tx, &g);
	for (long i = 0; i < o->things && rc == 0; i++) {
		struct jd_thing th = {.version = 1, .created_ms = t};

		snprintf(th.name, sizeof(th.name), "%st%ld", o->prefix, i);
		snprintf(th.id, sizeof(th.id), "00000000-0000-4000-9000-%012ld",
		    i % 1000000000000L);
		if ((rc = store_thing_insert(tx, &th)) == 0)
			rc = store_member_add(tx, g.name, th.name);
	}
	if (rc == 0)
		return store_commit(tx);
	store_rollback(tx);
	return rc;
}

/* One job over every thing, its executions in transactions of o->chunk. */
static int
one_job(struct store *s, const struct opts *o, const char *job_id, bool history, struct jd_exec *xs)
{
	static const char arn[] = "arn:aws:iot:us-east-1:123456789012:thinggroup/";
	struct store_tx *tx = NULL;
	struct jd_job job = {.selection = JD_SEL_SNAPSHOT};
	char targets[256];
	int64_t t = now_ms();
	int rc;

	job.status = history ? JD_JOB_COMPLETED : JD_JOB_IN_PROGRESS;
	jd_strlcpy(job.job_id, job_id, sizeof(job.job_id));
	snprintf(targets, sizeof(targets), "[\"%s%sg%ld\"]", arn, o->prefix, o->things);
	job.document = (char *)"{\"op\":\"fill\"}";
	job.targets = targets;
	job.config = (char *)"{}";
	job.created_ms = job.updated_ms = t;
	job.completed_ms = history ? t + 3 : 0;
	if ((rc = store_begin(s, true, &tx)) != 0)
		return rc;
	if ((rc = store_job_insert(tx, &job)) != 0 || (rc = store_commit(tx)) != 0) {
		if (rc != 0 && tx != NULL)
			store_rollback(tx);
		return rc;
	}
	for (long i0 = 0; i0 < o->things; i0 += o->chunk) {
		long n = o->things - i0 < o->chunk ? o->things - i0 : o->chunk;

		for (long k = 0; k < n; k++) {
			struct jd_exec *x = &xs[k];

			memset(x, 0, sizeof(*x));
			jd_strlcpy(x->job_id, job_id, sizeof(x->job_id));
			snprintf(x->thing_name, sizeof(x->thing_name), "%st%ld", o->prefix,
			    o->order[i0 + k]);
			x->number = 1;
			x->queued_ms = t;
			if (history) {
				x->status = JD_EXEC_SUCCEEDED;
				x->started_ms = t + 1;
				x->updated_ms = t + 2;
				x->version = 3;
			} else {
				x->status = JD_EXEC_QUEUED;
				x->updated_ms = t;
				x->version = 1;
			}
		}
		if ((rc = store_begin(s, true, &tx)) != 0)
			return rc;
		if ((rc = store_exec_insert_first(tx, xs, (size_t)n)) != 0 ||
		    (rc = store_commit(tx)) != 0) {
			store_rollback(tx);
			return rc;
		}
	}
	return 0;
}

/* The columns of table (not the generated ones), comma-separated, into out. */
static int
columns(sqlite3 *db, const char *table, char *out, size_t size)
{
	char sql[128];
	sqlite3_stmt *st = NULL;
	size_t len = 0;

	out[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return len > 0 && len < size ? 0 : -1;
}

/* The SELECT list copying `cols` of table, with some columns replaced. */
static void
select_list(const char *cols, const char *const *repl, char *out, size_t size)
{
	char buf[2048], *save = NULL;
	size_t len = 0;

	jd_strlcpy(buf, cols, sizeof(buf));
	out[0] = '\0';
	for (char *c = strtok_r(buf, ", ", &save); c != NULL; c = strtok_r(NULL, ", ", &save)) {
		const char *v = c;
		for (int i = 0; repl[i] != NULL; i += 2)
			if (strcmp(repl[i], c) == 0)
				v = repl[i + 1];
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "", v);
	}
}

static int
exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "fillstore: %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Jobs first+1 .. jobs-1 as copies of job `first` (see --bulk above). */
static int
bulk_copy(const struct opts *o, const char *path, long jobs)
{
	static const char *const job_repl[] = {"job_id", "?1", "seq", "?2", "created_ms",
	    "created_ms + ?3", "updated_ms", "updated_ms + ?3", "completed_ms", "completed_ms + ?3",
	    NULL};
	static const char *const exec_repl[] = {"job_id", "?1", "seq", "seq - ?4 + ?2", "queued_ms",
	    "queued_ms + ?3", "started_ms", "started_ms + ?3", "updated_ms", "updated_ms + ?3",
	    NULL};
	char jcols[1024], ecols[1024], sel[2048], sql[4096], src[64];
	sqlite3 *db = NULL;
	sqlite3_stmt *st[3] = {NULL, NULL, NULL}, *q = NULL;
	int64_t base = 0;
	int rc = -1;

	snprintf(src, sizeof(src), "%sfill0", o->prefix);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    exec_sql(db,
	        "PRAGMA journal_mode = DELETE; PRAGMA journal_mode = OFF;"
	        " PRAGMA synchronous = OFF; PRAGMA cache_size = -3000000;") != 0 ||
	    columns(db, "jobs", jcols, sizeof(jcols)) != 0 ||
	    columns(db, "executions", ecols, sizeof(ecols)) != 0)
		goto out;
	/* seq of the template's first execution */
	if (sqlite3_prepare_v2(db, "SELECT min(seq) FROM executions WHERE job_id = ?1", -1, &q,
	        NULL) != SQLITE_OK ||
	    sqlite3_bind_text(q, 1, src, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		goto out;
	base = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	select_list(jcols, job_repl, sel, sizeof(sel));
	snprintf(sql, sizeof(sql), "INSERT INTO jobs (%s) SELECT %s FROM jobs WHERE job_id = '%s'",
	    jcols, sel, src);
	if (sqlite3_prepare_v2(db, sql, -1, &st[0], NULL) != SQLITE_OK)
		goto out;
	select_list(ecols, exec_repl, sel, sizeof(sel));
	snprintf(sql, sizeof(sql),
	    "INSERT INTO executions (%s) SELECT %s FROM executions WHERE job_id = '%s'"
	    " ORDER BY seq",
	    ecols, sel, src);
	if (sqlite3_prepare_v2(db, sql, -1, &st[1], NULL) != SQLITE_OK)
		goto out;
	snprintf(sql, sizeof(sql),
	    "INSERT INTO job_exec_counts (job_id, status, latest, total)"
	    " SELECT ?1, status, latest, total FROM job_exec_counts WHERE job_id = '%s'",
	    src);
	if (sqlite3_prepare_v2(db, sql, -1, &st[2], NULL) != SQLITE_OK)
		goto out;
	for (long j = 1; j < jobs; j++) {
		char id[64];
		int64_t jseq = 0, eseq = 0;
		double t = mono_s();

		snprintf(id, sizeof(id), "%sfill%ld", o->prefix, j);
		if (exec_sql(db, "BEGIN") != 0)
			goto out;
		if (sqlite3_prepare_v2(db,
		        "SELECT (SELECT value FROM counters WHERE name = 'job'),"
		        " (SELECT value FROM counters WHERE name = 'exec'),"
		        " EXISTS (SELECT 1 FROM jobs WHERE job_id = ?1)",
		        -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_ROW)
			goto out;
		jseq = sqlite3_column_int64(q, 0) + 1;
		eseq = sqlite3_column_int64(q, 1) + 1;
		if (sqlite3_column_int(q, 2)) { /* an earlier fill made it */
			sqlite3_finalize(q);
			q = NULL;
			if (exec_sql(db, "COMMIT") != 0)
				goto out;
			continue;
		}
		sqlite3_finalize(q);
		q = NULL;
		for (int k = 0; k < 3; k++) {
			sqlite3_reset(st[k]);
			sqlite3_bind_text(st[k], 1, id, -1, SQLITE_TRANSIENT);
			if (k < 2) {
				sqlite3_bind_int64(st[k], 2, k == 0 ? jseq : eseq);
				sqlite3_bind_int64(st[k], 3, j);
			}
			if (k == 1)
				sqlite3_bind_int64(st[k], 4, base);
			if (k == 1 && exec_sql(db, "UPDATE bulk_insert SET active = 1") != 0)
				goto out;
			if (sqlite3_step(st[k]) != SQLITE_DONE) {
				fprintf(stderr, "fillstore: copy %s: %s\n", id, sqlite3_errmsg(db));
				goto out;
			}
			if (k == 1 && exec_sql(db, "UPDATE bulk_insert SET active = 0") != 0)
				goto out;
		}
		snprintf(sql, sizeof(sql),
		    "UPDATE counters SET value = value + 1 WHERE name = 'job';"
		    " UPDATE counters SET value = value + %ld WHERE name = 'exec'; COMMIT",
		    o->things);
		if (exec_sql(db, sql) != 0)
			goto out;
		printf("op=fill-job job=%ld executions=%ld seconds=%.2f bulk=1\n", j,
		    (j + 1) * o->things, mono_s() - t);
		fflush(stdout);
	}
	rc = exec_sql(db, "PRAGMA journal_mode = WAL");
out:
	sqlite3_finalize(q);
	for (int k = 0; k < 3; k++)
		sqlite3_finalize(st[k]);
	if (rc != 0 && db != NULL && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static bool
job_exists(struct store *s, const char *id)
{
	struct store_tx *tx = NULL;
	int st = 0, sel = 0, rc;

	if (store_begin(s, false, &tx) != 0)
		return false;
	rc = store_job_status(tx, id, &st, &sel);
	store_rollback(tx);
	return rc == 0;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: fillstore SPEC (--executions N | --probe K) [--things T] "
	    "[--prefix P] [--chunk C]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct opts o = {.prefix = "fill-", .things = 100000, .chunk = 10000};
	struct store *s = NULL;
	struct jd_exec *xs;
	struct jd_error e;
	double t0;
	int rc = 0;

	if (argc < 2)
		return usage();
	o.spec = argv[1];
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--executions") == 0)
			o.executions = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--things") == 0)
			o.things = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--prefix") == 0)
			o.prefix = argv[i + 1];
		else if (strcmp(argv[i], "--chunk") == 0)
			o.chunk = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--bulk") == 0)
			o.bulk = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--probe") == 0)
			o.probe = atol(argv[i + 1]);
		else
			return usage();
	}
	if (o.things <= 0 || o.chunk <= 0 || (o.executions <= 0 && o.probe <= 0))
		return usage();
	jd_error_init(&e);
	if (store_open(o.spec, &s, &e) != 0) {
		fprintf(stderr, "fillstore: %s\n", e.msg);
		return 1;
	}
	xs = calloc((size_t)o.chunk, sizeof(*xs));
	o.order = calloc((size_t)o.things, sizeof(long));
	if (o.order == NULL)
		abort();
	for (long i = 0; i < o.things; i++)
		o.order[i] = i;
	cmp_prefix = o.prefix;
	qsort(o.order, (size_t)o.things, sizeof(long), cmp_name);
	t0 = mono_s();
	if (xs == NULL || (rc = setup(s, &o)) != 0)
		goto out;
	printf("op=fill-things things=%ld seconds=%.2f\n", o.things, mono_s() - t0);
	if (o.executions > 0) {
		long jobs = (o.executions + o.things - 1) / o.things;

		for (long j = 0; j < (o.bulk ? 1 : jobs) && rc == 0; j++) {
			char id[64];
			double tj = mono_s();
			int64_t r0, w0, r1, w1;

			io_bytes(&r0, &w0);
			snprintf(id, sizeof(id), "%sfill%ld", o.prefix, j);
			if (job_exists(s, id))
				continue; /* an earlier fill of the same store: add to it */
			rc = one_job(s, &o, id, true, xs);
			io_bytes(&r1, &w1);
			printf("op=fill-job job=%ld executions=%ld seconds=%.2f read_mb=%.0f "
			       "write_mb=%.0f\n",
			    j, (j + 1) * o.things, mono_s() - tj, (double)(r1 - r0) / 1048576.0,
			    (double)(w1 - w0) / 1048576.0);
			fflush(stdout);
		}
	}
	if (rc == 0 && o.bulk && o.executions > o.things) {
		if (strncmp(o.spec, "sqlite:", 7) != 0) {
			fprintf(stderr, "fillstore: --bulk needs a sqlite: store\n");
			rc = JD_EINVAL;
			goto out;
		}
		store_close(s);
		s = NULL;
		if (bulk_copy(&o, o.spec + 7, (o.executions + o.things - 1) / o.things) != 0) {
			rc = JD_EUNAVAIL;
			goto out;
		}
		if (store_open(o.spec, &s, &e) != 0) { /* and check it opens */
			fprintf(stderr, "fillstore: %s\n", e.msg);
			rc = JD_EUNAVAIL;
			goto out;
		}
	}
	for (long p = 0; p < o.probe && rc == 0; p++) {
		char id[64];
		double tj = mono_s();
		int64_t r0, w0, r1, w1;

		io_bytes(&r0, &w0);
		snprintf(id, sizeof(id), "%sprobe%ld-%lld", o.prefix, p, (long long)now_ms());
		rc = one_job(s, &o, id, false, xs);
		io_bytes(&r1, &w1);
		printf("op=probe things=%ld chunk=%ld seconds=%.2f read_mb=%.0f write_mb=%.0f\n",
		    o.things, o.chunk, mono_s() - tj, (double)(r1 - r0) / 1048576.0,
		    (double)(w1 - w0) / 1048576.0);
		fflush(stdout);
	}
	printf("op=fill-done seconds=%.2f\n", mono_s() - t0);
out:
	free(o.order);
	free(xs);
	store_close(s);
	jd_error_clear(&e);
	if (rc != 0) {
		fprintf(stderr, "fillstore: failed: %s\n", jd_errno_name(rc));
		return 1;
	}
	return 0;
}
