/*
 * test_fanout.c: the operations of issue 15 (thing_resolve, member_walk,
 * the fan-out cursor) and the batched first-execution insert, run against
 * every backend like test_store.c:
 *
 *   store_test_fanout sqlite              a fresh SQLite file in a temp dir
 *   store_test_fanout BACKEND WHERE       e.g. postgres "postgres://..."
 *
 * Each case starts from a wiped store (the suite's own database).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "storekit.h"
#include "test.h"
#include "util/buf.h"
#include "util/log.h"

static struct store_tx *
fresh(void)
{
	struct store_tx *tx = begin(true);

	if (store_wipe(tx) != 0 || store_fanout_delete(tx, "j1", 0) != 0 ||
	    store_fanout_delete(tx, "j2", 0) != 0) {
		fprintf(stderr, "wipe failed\n");
		exit(2);
	}
	return tx;
}

static void
thing(struct store_tx *tx, const char *name)
{
	struct jd_thing t;

	memset(&t, 0, sizeof(t));
	jd_strlcpy(t.name, name, sizeof(t.name));
	jd_strlcpy(t.id, name, sizeof(t.id));
	t.version = 1;
	CHECK_EQ_INT(store_thing_insert(tx, &t), 0);
}

static void
exec_of(struct jd_exec *x, const char *job, const char *thing_name, int64_t number, int status)
{
	memset(x, 0, sizeof(*x));
	jd_strlcpy(x->job_id, job, sizeof(x->job_id));
	jd_strlcpy(x->thing_name, thing_name, sizeof(x->thing_name));
	x->number = number;
	x->status = status;
	x->queued_ms = x->updated_ms = 1000;
	x->version = 1;
}

TEST(t_thing_resolve_one_pass)
{
	struct store_tx *tx = fresh();
	struct store_target v[4] = {{"a", 0, 0, 0}, {"b", 0, 0, 0}, {"nope", 0, 0, 0},
	    {"c", 0, 0, 0}};
	struct jd_exec x;

	thing(tx, "a");
	thing(tx, "b");
	thing(tx, "c");
	exec_of(&x, "j1", "b", 1, JD_EXEC_SUCCEEDED);
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	exec_of(&x, "j1", "b", 2, JD_EXEC_REMOVED);
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	exec_of(&x, "j2", "c", 1, JD_EXEC_QUEUED); /* another job's: not seen */
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	CHECK_EQ_INT(store_thing_resolve(tx, "j1", v, 4), 0);
	CHECK(v[0].exists && v[1].exists && !v[2].exists && v[3].exists);
	CHECK_EQ_INT((int)v[0].latest_number, 0);
	CHECK_EQ_INT(v[0].latest_status, -1);
	CHECK_EQ_INT((int)v[1].latest_number, 2);
	CHECK_EQ_INT(v[1].latest_status, JD_EXEC_REMOVED);
	CHECK_EQ_INT((int)v[3].latest_number, 0);
	/* without a job: existence only */
	CHECK_EQ_INT(store_thing_resolve(tx, NULL, v, 4), 0);
	CHECK(v[1].exists && v[1].latest_number == 0 && v[1].latest_status == -1);
	CHECK_EQ_INT(store_thing_resolve(tx, NULL, NULL, 0), 0);
	commit(tx);
}

/*
 * A new job's targets (no job id): the backends answer with the names that
 * are not things only (issue 15). Each answer must still be exact: missing
 * names anywhere in the list, repeats, names that need quoting in the JSON
 * or array literal, things that hold executions of other jobs, and fields
 * that held stale values before the call.
 */
TEST(t_thing_resolve_new_job_missing_only)
{
	enum { N = 100 };
	struct store_tx *tx = fresh();
	struct store_target v[N];
	char names[N][24];
	struct jd_exec x;
	int wrong = 0;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "n%03d", i);
		if (i % 10 != 3)
			thing(tx, names[i]);
	}
	thing(tx, "q\"uo\\te");
	thing(tx, "caf\xc3\xa9:x");
	exec_of(&x, "j2", "n000", 1, JD_EXEC_QUEUED); /* another job's */
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	for (int i = 0; i < N; i++) {
		v[i].name = names[i];
		v[i].exists = i % 2 == 0; /* stale values */
		v[i].latest_number = 7;
		v[i].latest_status = 3;
	}
	CHECK_EQ_INT(store_thing_resolve(tx, NULL, v, N), 0);
	for (int i = 0; i < N; i++)
		if (v[i].exists != (i % 10 != 3) || v[i].latest_number != 0 ||
		    v[i].latest_status != -1)
			wrong++;
	CHECK_EQ_INT(wrong, 0);
	/* every one missing; then none, with repeats and quoted names */
	for (int i = 0; i < 5; i++)
		v[i].name = "absent";
	CHECK_EQ_INT(store_thing_resolve(tx, NULL, v, 5), 0);
	CHECK(!v[0].exists && !v[1].exists && !v[2].exists && !v[3].exists && !v[4].exists);
	v[0].name = "q\"uo\\te";
	v[1].name = "caf\xc3\xa9:x";
	v[2].name = "n000";
	v[3].name = "n000";
	v[4].name = "q\"uo\\te";
	CHECK_EQ_INT(store_thing_resolve(tx, NULL, v, 5), 0);
	CHECK(v[0].exists && v[1].exists && v[2].exists && v[3].exists && v[4].exists);
	CHECK_EQ_INT((int)v[2].latest_number, 0);
	/* with the job, the same names (stale fields again): the execution of
	 * j2 stays unseen, and names without a row come back as things */
	for (int i = 0; i < 5; i++) {
		v[i].exists = false;
		v[i].latest_number = 7;
		v[i].latest_status = 3;
	}
	CHECK_EQ_INT(store_thing_resolve(tx, "j1", v, 5), 0);
	CHECK_EQ_INT((int)v[0].latest_number, 0);
	CHECK(v[0].exists && v[1].exists && v[2].exists && v[3].exists && v[4].exists);
	CHECK_EQ_INT(v[2].latest_status, -1);
	commit(tx);
}

/*
 * Regression (thing_resolve_hashed_subplan): PostgreSQL planned the
 * per-name EXISTS as a scan of every thing once ~1,000 names came at once.
 * 3,000 names, unsorted, with executions of the job only on some of them
 * and on things outside the names' range (the backend may skip the
 * execution probes when the job has none in that range).
 */
TEST(t_thing_resolve_many_names_and_ranges)
{
	enum { N = 3000 };
	struct store_tx *tx = fresh();
	struct store_target *v = calloc(N, sizeof(*v));
	char(*names)[16] = calloc(N, sizeof(*names));
	struct jd_exec x;
	int wrong = 0;

	for (int i = 0; i < N; i++) {
		/* every third name's thing exists; the order is shuffled */
		snprintf(names[i], sizeof(names[i]), "r%05d", (i * 7919) % N);
		v[i].name = names[i];
	}
	for (int k = 0; k < N; k += 3) {
		char n[16];
		snprintf(n, sizeof(n), "r%05d", k);
		thing(tx, n);
	}
	exec_of(&x, "j1", "r00030", 1, JD_EXEC_SUCCEEDED);
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	exec_of(&x, "j1", "a-before", 1, JD_EXEC_QUEUED); /* outside the range */
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	CHECK_EQ_INT(store_thing_resolve(tx, "j1", v, N), 0);
	for (int i = 0; i < N; i++) {
		int k = atoi(names[i] + 1);
		bool with = k == 30;
		if (v[i].exists != (k % 3 == 0) || v[i].latest_number != (with ? 1 : 0) ||
		    v[i].latest_status != (with ? JD_EXEC_SUCCEEDED : -1))
			wrong++;
	}
	CHECK_EQ_INT(wrong, 0);
	/* the job's only execution outside the names' range: none is seen */
	CHECK_EQ_INT(store_exec_delete(tx, "j1", "r00030", 1), 0);
	CHECK_EQ_INT(store_thing_resolve(tx, "j1", v, N), 0);
	for (int i = 0, k; i < N; i++)
		if ((k = atoi(names[i] + 1), v[i].exists != (k % 3 == 0)) ||
		    v[i].latest_number != 0)
			wrong++;
	CHECK_EQ_INT(wrong, 0);
	commit(tx);
	free(v);
	free(names);
}

struct names {
	char v[8][JD_THING_NAME_MAX + 1];
	int n;
};

static int
name_add(void *arg, const char *name)
{
	struct names *l = arg;

	if (l->n < 8)
		jd_strlcpy(l->v[l->n++], name, sizeof(l->v[0]));
	return 0;
}

TEST(t_member_walk_pages_one_group)
{
	struct store_tx *tx = fresh();
	struct jd_group g = {.version = 1}, sub = {.version = 1};
	static const char *const members[] = {"m3", "m1", "m5", "m2", "m4"};
	struct names l = {0};

	jd_strlcpy(g.name, "g", sizeof(g.name));
	jd_strlcpy(g.id, "g", sizeof(g.id));
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);
	jd_strlcpy(sub.name, "g-child", sizeof(sub.name));
	jd_strlcpy(sub.id, "g-child", sizeof(sub.id));
	jd_strlcpy(sub.parent, "g", sizeof(sub.parent));
	CHECK_EQ_INT(store_group_insert(tx, &sub), 0);
	for (size_t i = 0; i < 5; i++) {
		thing(tx, members[i]);
		CHECK_EQ_INT(store_member_add(tx, "g", members[i]), 0);
	}
	thing(tx, "m9");
	CHECK_EQ_INT(store_member_add(tx, "g-child", "m9"), 0); /* not a direct member */
	CHECK_EQ_INT(store_member_walk(tx, "g", "", 2, name_add, &l), 0);
	CHECK_EQ_INT(l.n, 2);
	CHECK(strcmp(l.v[0], "m1") == 0 && strcmp(l.v[1], "m2") == 0);
	l.n = 0;
	CHECK_EQ_INT(store_member_walk(tx, "g", "m2", 10, name_add, &l), 0);
	CHECK_EQ_INT(l.n, 3);
	CHECK(strcmp(l.v[0], "m3") == 0 && strcmp(l.v[2], "m5") == 0);
	l.n = 0;
	CHECK_EQ_INT(store_member_walk(tx, "g", "m5", 10, name_add, &l), 0);
	CHECK_EQ_INT(l.n, 0);
	commit(tx);
}

struct fanouts {
	struct store_fanout v[4];
	char groups[4][64];
	int n;
};

static int
fanout_add(void *arg, const struct store_fanout *f)
{
	struct fanouts *l = arg;

	if (l->n < 4) {
		l->v[l->n] = *f;
		jd_strlcpy(l->groups[l->n], f->groups, sizeof(l->groups[0]));
		l->v[l->n].groups = l->groups[l->n];
		l->n++;
	}
	return 0;
}

TEST(t_fanout_cursor_durable)
{
	struct store_tx *tx = fresh();
	char g12[] = "[\"g1\",\"g2\"]", g3[] = "[\"g3\"]";
	struct store_fanout f, g;
	struct fanouts l = {0};

	memset(&f, 0, sizeof(f));
	jd_strlcpy(f.job_id, "j1", sizeof(f.job_id));
	f.mode = STORE_FANOUT_FIRST;
	f.groups = g12;
	f.paced_left = -1;
	CHECK_EQ_INT(store_fanout_insert(tx, &f), 0);
	CHECK_EQ_INT((int)f.run, 1);
	g = f;
	g.mode = STORE_FANOUT_ASSOCIATE;
	g.groups = g3;
	CHECK_EQ_INT(store_fanout_insert(tx, &g), 0);
	CHECK_EQ_INT((int)g.run, 2);
	commit(tx);

	/* a chunk advances the cursor in its own transaction */
	tx = begin(true);
	f.source = 1;
	jd_strlcpy(f.after, "thing-0042", sizeof(f.after));
	f.pos = 7;
	f.paced_left = 3;
	CHECK_EQ_INT(store_fanout_update(tx, &f), 0);
	commit(tx);
	/* one that is rolled back leaves it */
	tx = begin(true);
	f.source = 9;
	CHECK_EQ_INT(store_fanout_update(tx, &f), 0);
	store_rollback(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_fanout_list(tx, NULL, 0, fanout_add, &l), 0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_INT((int)l.v[0].run, 1);
	CHECK_EQ_INT((int)l.v[0].source, 1);
	CHECK(strcmp(l.v[0].after, "thing-0042") == 0);
	CHECK_EQ_INT((int)l.v[0].pos, 7);
	CHECK_EQ_INT((int)l.v[0].paced_left, 3);
	CHECK(strcmp(l.v[0].groups, "[\"g1\",\"g2\"]") == 0);
	CHECK_EQ_INT(l.v[1].mode, STORE_FANOUT_ASSOCIATE);
	l.n = 0;
	CHECK_EQ_INT(store_fanout_list(tx, "j2", 0, fanout_add, &l), 0);
	CHECK_EQ_INT(l.n, 0);
	l.n = 0;
	CHECK_EQ_INT(store_fanout_list(tx, "j1", 1, fanout_add, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	store_rollback(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_fanout_delete(tx, "j1", 1), 0);
	l.n = 0;
	CHECK_EQ_INT(store_fanout_list(tx, "j1", 0, fanout_add, &l), 0);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT((int)l.v[0].run, 2);
	CHECK_EQ_INT(store_fanout_delete(tx, "j1", 0), 0);
	l.n = 0;
	CHECK_EQ_INT(store_fanout_list(tx, NULL, 0, fanout_add, &l), 0);
	CHECK_EQ_INT(l.n, 0);
	f.run = 1;
	CHECK_EQ_INT(store_fanout_update(tx, &f), JD_ENOTFOUND);
	commit(tx);
}

/* A batch of first executions that differ only in thing: one statement on
 * SQLite; seqs in order, counts added once, a repeat is JD_EEXISTS. */
TEST(t_exec_insert_first_batch)
{
	struct store_tx *tx = fresh();
	struct jd_exec xs[50], x;
	struct jd_counts c;
	int64_t active = 0;
	char name[32];

	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "bt-%02d", i);
		exec_of(&xs[i], "j1", name, 1, JD_EXEC_QUEUED);
	}
	CHECK_EQ_INT(store_exec_insert_first(tx, xs, 50), 0);
	for (int i = 1; i < 50; i++)
		CHECK(xs[i].seq == xs[i - 1].seq + 1);
	CHECK_EQ_INT(store_exec_counts(tx, "j1", &c), 0);
	CHECK_EQ_INT((int)c.n[JD_EXEC_QUEUED], 50);
	CHECK_EQ_INT(store_exec_active_count(tx, "j1", &active), 0);
	CHECK_EQ_INT((int)active, 50);
	memset(&x, 0, sizeof(x));
	CHECK_EQ_INT(store_exec_get(tx, "j1", "bt-17", 0, &x), 0);
	CHECK_EQ_INT((int)x.seq, (int)xs[17].seq);
	CHECK_EQ_INT((int)x.version, 1);
	CHECK_EQ_INT((int)x.queued_ms, 1000);
	jd_exec_release(&x);
	commit(tx);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_insert_first(tx, xs, 50), JD_EEXISTS);
	store_rollback(tx);
}

int
main(int argc, char **argv)
{
	if (storekit_open(argc, argv) != 0)
		return 2;

	RUN(t_thing_resolve_one_pass);
	RUN(t_thing_resolve_new_job_missing_only);
	RUN(t_thing_resolve_many_names_and_ranges);
	RUN(t_member_walk_pages_one_group);
	RUN(t_fanout_cursor_durable);
	RUN(t_exec_insert_first_batch);

	storekit_close();
	return test_report();
}
