/*
 * test_timeline.c: a job's timeline, its pause row and the rollout queue's
 * length (store.h, issue 14), run against every backend like test_store.c:
 *
 *   store_test_timeline sqlite              a fresh SQLite file in a temp dir
 *   store_test_timeline BACKEND WHERE       e.g. postgres "postgres://..."
 *
 * Job ids are unique to the run (a reused database keeps old rows); the
 * rows must go with their job (DeleteJob's reaper deletes the job row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "storekit.h"
#include "test.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

static const char *
jid(char *buf, size_t n, const char *base)
{
	snprintf(buf, n, "%s-%s", run_id, base);
	return buf;
}

static void
mk_job(struct store_tx *tx, const char *id)
{
	struct jd_job j = {0};

	jd_strlcpy(j.job_id, id, sizeof(j.job_id));
	j.status = JD_JOB_IN_PROGRESS;
	j.selection = JD_SEL_SNAPSHOT;
	j.document = (char *)"{}";
	j.targets = (char *)"[]";
	j.config = (char *)"{}";
	j.created_ms = j.updated_ms = 3000;
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
}

struct evs {
	int n;
	int64_t seq[16], at[16];
	char event[16][32];
	char detail[16][64];
};

static int
ev_add(void *arg, const struct store_timeline_event *e)
{
	struct evs *v = arg;

	if (v->n < 16) {
		v->seq[v->n] = e->seq;
		v->at[v->n] = e->at_ms;
		jd_strlcpy(v->event[v->n], e->event, sizeof(v->event[0]));
		jd_strlcpy(v->detail[v->n], e->detail, sizeof(v->detail[0]));
	}
	v->n++;
	return 0;
}

static int
stop_first(void *arg, const struct store_timeline_event *e)
{
	(void)e;
	(*(int *)arg)++;
	return 7;
}

TEST(t_timeline_order_and_trim)
{
	char id[96], other[96];
	struct store_tx *tx;
	struct evs v = {0};
	int calls = 0;

	jid(id, sizeof(id), "tl");
	jid(other, sizeof(other), "tl-other");
	tx = begin(true);
	mk_job(tx, id);
	mk_job(tx, other);
	CHECK_EQ_INT(store_timeline_add(tx, id, 1000, "CREATED", "", 100), 0);
	CHECK_EQ_INT(store_timeline_add(tx, id, 1000, "STARTED", "at once", 100), 0);
	CHECK_EQ_INT(store_timeline_add(tx, other, 500, "CREATED", "", 100), 0);
	CHECK_EQ_INT(store_timeline_add(tx, id, 2000, "PAUSED", "why: \"x\" \xc3\xa9", 100), 0);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_timeline_list(tx, id, ev_add, &v), 0);
	CHECK_EQ_INT(v.n, 3);
	CHECK_EQ_STR(v.event[0], "CREATED");
	CHECK_EQ_STR(v.event[1], "STARTED");
	CHECK_EQ_STR(v.detail[1], "at once");
	CHECK_EQ_STR(v.event[2], "PAUSED");
	CHECK_EQ_STR(v.detail[2], "why: \"x\" \xc3\xa9");
	CHECK(v.seq[0] < v.seq[1] && v.seq[1] < v.seq[2]);
	CHECK_EQ_INT(v.at[2], 2000);
	/* a callback's non-zero return stops the scan and is returned */
	CHECK_EQ_INT(store_timeline_list(tx, id, stop_first, &calls), 7);
	CHECK_EQ_INT(calls, 1);
	store_rollback(tx);

	/* keep: only the newest rows stay */
	tx = begin(true);
	CHECK_EQ_INT(store_timeline_add(tx, id, 3000, "RESUMED", "", 2), 0);
	commit(tx);
	memset(&v, 0, sizeof(v));
	tx = begin(false);
	CHECK_EQ_INT(store_timeline_list(tx, id, ev_add, &v), 0);
	CHECK_EQ_INT(v.n, 2);
	CHECK_EQ_STR(v.event[0], "PAUSED");
	CHECK_EQ_STR(v.event[1], "RESUMED");
	memset(&v, 0, sizeof(v));
	CHECK_EQ_INT(store_timeline_list(tx, other, ev_add, &v), 0);
	CHECK_EQ_INT(v.n, 1);
	store_rollback(tx);

	/* a rolled-back add leaves nothing */
	tx = begin(true);
	CHECK_EQ_INT(store_timeline_add(tx, other, 4000, "CANCELED", "", 100), 0);
	store_rollback(tx);
	memset(&v, 0, sizeof(v));
	tx = begin(false);
	CHECK_EQ_INT(store_timeline_list(tx, other, ev_add, &v), 0);
	CHECK_EQ_INT(v.n, 1);
	store_rollback(tx);
}

static int
name_seen(void *arg, const char *name)
{
	const char **want = arg;

	if (strcmp(name, want[0]) == 0)
		want[1] = "seen";
	return 0;
}

TEST(t_pause_row)
{
	char id[96];
	const char *want[2];
	struct store_tx *tx;
	int64_t at = 0;

	jid(id, sizeof(id), "pause");
	tx = begin(true);
	mk_job(tx, id);
	CHECK_EQ_INT(store_pause_get(tx, id, &at), JD_ENOTFOUND);
	CHECK_EQ_INT(store_pause_delete(tx, id), JD_ENOTFOUND);
	CHECK_EQ_INT(store_pause_put(tx, id, 123456), 0);
	CHECK_EQ_INT(store_pause_put(tx, id, 999), JD_EEXISTS);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_pause_get(tx, id, &at), 0);
	CHECK_EQ_INT(at, 123456); /* the first put stays */
	want[0] = id;
	want[1] = NULL;
	CHECK_EQ_INT(store_pause_list(tx, name_seen, want), 0);
	CHECK(want[1] != NULL);
	store_rollback(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_pause_delete(tx, id), 0);
	CHECK_EQ_INT(store_pause_get(tx, id, &at), JD_ENOTFOUND);
	commit(tx);
	tx = begin(false);
	want[1] = NULL;
	CHECK_EQ_INT(store_pause_list(tx, name_seen, want), 0);
	CHECK(want[1] == NULL);
	store_rollback(tx);
}

TEST(t_rows_go_with_job)
{
	char id[96];
	struct store_tx *tx;
	struct evs v = {0};
	int64_t at = 0, n = -1;

	jid(id, sizeof(id), "gone");
	tx = begin(true);
	mk_job(tx, id);
	CHECK_EQ_INT(store_timeline_add(tx, id, 1, "CREATED", "", 100), 0);
	CHECK_EQ_INT(store_pause_put(tx, id, 5), 0);
	CHECK_EQ_INT(store_rollout_push(tx, id, 0, "a"), 0);
	CHECK_EQ_INT(store_rollout_push(tx, id, 1, "b"), 0);
	CHECK_EQ_INT(store_rollout_count(tx, id, &n), 0);
	CHECK_EQ_INT(n, 2);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_rollout_clear(tx, id), 0);
	CHECK_EQ_INT(store_job_delete(tx, id), 0);
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_timeline_list(tx, id, ev_add, &v), 0);
	CHECK_EQ_INT(v.n, 0);
	CHECK_EQ_INT(store_pause_get(tx, id, &at), JD_ENOTFOUND);
	CHECK_EQ_INT(store_rollout_count(tx, id, &n), 0);
	CHECK_EQ_INT(n, 0);
	store_rollback(tx);
}

int
main(int argc, char **argv)
{
	if (storekit_open(argc, argv) != 0)
		return 2;

	RUN(t_timeline_order_and_trim);
	RUN(t_pause_row);
	RUN(t_rows_go_with_job);

	storekit_close();
	return test_report();
}
