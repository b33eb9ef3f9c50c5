/*
 * ops_fanout.c: target lookup and chunked fan-out in the SQLite backend
 * (issue 15).
 *
 * thing_resolve answers for up to a job's 100 explicit targets in one
 * statement: the names go in as one JSON array (json_each), and a row comes
 * back for each name that is not a thing or that has an execution of the
 * job, with both (the other names: things without one, the usual case,
 * cost no result row). Before, CreateJob read each thing's whole row (attributes included)
 * with its own statement. Without a job (a new job's targets) only the
 * names that are not things come back (THING_MISSING).
 *
 * A fan-out too large for one transaction keeps its cursor in `fanouts`
 * (migration "chunked fan-out"): the groups it walks, the group it is in
 * and the last thing done there. svc/jobs.c queues a chunk and advances the
 * cursor in one transaction. member_walk reads one group's direct members
 * as one range of group_members' primary key, so a chunk costs the same
 * wherever the cursor is (member_list's recursive query sorts every
 * remaining member on each call).
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/buf.h"

void
sq__json_str(struct buf *b, const char *s)
{
	const char *run = s, *p = s;

	/* runs of plain characters at once (thing names are all plain) */
	buf_putc(b, '"');
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		buf_append(b, run, (size_t)(p - run));
		if (ch < 0x20) {
			buf_printf(b, "\\u%04x", ch);
		} else {
			buf_putc(b, '\\');
			buf_putc(b, (char)ch);
		}
		run = p + 1;
	}
	buf_append(b, run, (size_t)(p - run));
	buf_putc(b, '"');
}

/* names[0..n) as a JSON array of strings. */
static void
json_names(struct buf *b, const struct store_target *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		sq__json_str(b, v[i].name);
	}
	buf_putc(b, ']');
}

/* A new job's targets (no job_id): only the names that are not things come
 * back, so 100 targets that exist cost one pass and no result row. */
static int
thing_missing(struct conn *c, const char *names, struct store_target *v, size_t n)
{
	struct q q;
	int rc = sq__q_open(c, ST_THING_MISSING, &q, BINDS(B_TEXT(names)));

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		v[i].exists = true;
	while ((rc = sq__q_step(&q)) == 1) {
		int64_t i = sqlite3_column_int64(q.st, 0);
		if (i >= 0 && (size_t)i < n)
			v[i].exists = false;
	}
	sq__q_close(&q);
	if (rc != 0)
		for (size_t i = 0; i < n; i++)
			v[i].exists = false;
	return rc;
}

int
sq__thing_resolve(struct store_tx *tx, const char *job_id, struct store_target *v, size_t n)
{
	struct buf b = BUF_INIT;
	struct q q;
	int rc;

	for (size_t i = 0; i < n; i++) {
		v[i].exists = false;
		v[i].latest_number = 0;
		v[i].latest_status = -1;
	}
	if (n == 0)
		return 0;
	json_names(&b, v, n);
	if (job_id == NULL) {
		rc = thing_missing(sq__conn(tx), buf_cstr(&b), v, n);
		goto out;
	}
	rc = sq__q_open(sq__conn(tx), ST_THING_RESOLVE, &q,
	    BINDS(B_TEXT(buf_cstr(&b)), B_TEXT(job_id)));
	if (rc != 0)
		goto out;
	/* a row for each name that is not a thing or has an execution */
	for (size_t i = 0; i < n; i++)
		v[i].exists = true;
	while ((rc = sq__q_step(&q)) == 1) {
		int64_t i = sqlite3_column_int64(q.st, 0);
		if (i < 0 || (size_t)i >= n)
			continue;
		v[i].exists = sqlite3_column_int(q.st, 1) != 0;
		if (sqlite3_column_type(q.st, 2) != SQLITE_NULL) {
			int64_t packed = sqlite3_column_int64(q.st, 2);
			v[i].latest_number = packed / 16;
			v[i].latest_status = (int)(packed % 16);
		}
	}
	sq__q_close(&q);
	if (rc != 0)
		for (size_t i = 0; i < n; i++)
			v[i].exists = false;
out:
	buf_free(&b);
	return rc;
}

int
sq__member_walk(struct store_tx *tx, const char *group, const char *after, int limit, jd_name_cb cb,
    void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_MEMBER_WALK, &q,
	    BINDS(B_TEXT(group), B_CURSOR(after), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	return sq__each_name(&q, cb, arg);
}

int
sq__fanout_insert(struct store_tx *tx, struct store_fanout *f)
{
	struct conn *c = sq__conn(tx);
	int64_t run = 0;
	int rc = sq__scalar(c, ST_FANOUT_RUN_MAX, &run, BINDS(B_TEXT(f->job_id)));

	if (rc != 0)
		return rc;
	rc = sq__run(c, ST_FANOUT_INSERT, false, NULL,
	    BINDS(B_TEXT(f->job_id), B_I64(run + 1), B_INT(f->mode), B_TEXT(f->groups),
	        B_I64(f->source), B_CURSOR(f->after), B_I64(f->paced_left), B_I64(f->pos)));
	if (rc == 0)
		f->run = run + 1;
	return rc;
}

int
sq__fanout_update(struct store_tx *tx, const struct store_fanout *f)
{
	return sq__run(sq__conn(tx), ST_FANOUT_UPDATE, true, NULL,
	    BINDS(B_TEXT(f->job_id), B_I64(f->run), B_I64(f->source), B_CURSOR(f->after),
	        B_I64(f->paced_left), B_I64(f->pos)));
}

int
sq__fanout_delete(struct store_tx *tx, const char *job_id, int64_t run)
{
	return sq__run(sq__conn(tx), ST_FANOUT_DELETE, false, NULL,
	    BINDS(B_TEXT(job_id), B_I64(run)));
}

int
sq__fanout_list(struct store_tx *tx, const char *job_id, int limit, store_fanout_cb cb, void *arg)
{
	struct q q;
	int rc = sq__q_open(sq__conn(tx), ST_FANOUT_LIST, &q, BINDS(B_OPT(job_id), B_LIMIT(limit)));

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1) {
		struct store_fanout f;
		memset(&f, 0, sizeof(f));
		sq__col_cpy(q.st, 0, f.job_id, sizeof(f.job_id));
		f.run = sqlite3_column_int64(q.st, 1);
		f.mode = sqlite3_column_int(q.st, 2);
		f.groups = sq__col_dup(q.st, 3);
		f.source = sqlite3_column_int64(q.st, 4);
		sq__col_cpy(q.st, 5, f.after, sizeof(f.after));
		f.paced_left = sqlite3_column_int64(q.st, 6);
		f.pos = sqlite3_column_int64(q.st, 7);
		rc = cb(arg, &f);
		free(f.groups);
		if (rc != 0)
			break;
	}
	sq__q_close(&q);
	return rc;
}
