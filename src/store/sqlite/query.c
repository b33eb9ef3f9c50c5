/*
 * query.c: running one statement of the table (stmt.c) on a connection.
 *
 * A statement is prepared on first use with SQLITE_PREPARE_PERSISTENT and
 * kept on the connection; after each use it is reset and unbound. If a list
 * callback re-enters the same operation, the cached statement is busy and a
 * temporary one is prepared and finalized. Errors: a duplicate key is
 * JD_EEXISTS, a missing row JD_ENOTFOUND (the callers check
 * sqlite3_changes), everything else is logged with sqlite3_errmsg and
 * returned as JD_EUNAVAIL.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"
#include "util/buf.h"
#include "util/log.h"

int
sq__fail(struct conn *c, const char *what, const char *detail)
{
	log_error("store sqlite: %s%s%s: %s (code %d)", what, detail != NULL ? " " : "",
	    detail != NULL ? detail : "", sqlite3_errmsg(c->db), sqlite3_extended_errcode(c->db));
	return JD_EUNAVAIL;
}

void
sq__q_close(struct q *q)
{
	if (q->st == NULL)
		return;
	if (q->temp) {
		sqlite3_finalize(q->st);
	} else {
		sqlite3_reset(q->st);
		sqlite3_clear_bindings(q->st);
	}
	q->st = NULL;
}

/* Bind b[0..n) to ?1..?n of st: SQLITE_OK or SQLite's error. */
static int
bind_all(sqlite3_stmt *st, const struct bind *b, int n)
{
	int rc = SQLITE_OK;

	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		const struct bind *a = &b[i];
		const char *s;

		switch (a->t) {
		case BIND_TEXT:
		case BIND_TEXT_OPT:
		case BIND_TEXT_EMPTY:
			s = a->s;
			if (a->t == BIND_TEXT_EMPTY && s == NULL)
				s = "";
			if (s == NULL || (a->t == BIND_TEXT_OPT && *s == '\0'))
				rc = sqlite3_bind_null(st, i + 1);
			else
				rc = sqlite3_bind_text(st, i + 1, s, -1, SQLITE_STATIC);
			break;
		case BIND_INT:
			rc = sqlite3_bind_int(st, i + 1, (int)a->i);
			break;
		case BIND_I64:
			rc = sqlite3_bind_int64(st, i + 1, a->i);
			break;
		case BIND_LIMIT:
			rc = sqlite3_bind_int(st, i + 1, a->i > 0 ? (int)a->i : -1);
			break;
		case BIND_BLOB:
			rc = a->p == NULL ? sqlite3_bind_null(st, i + 1) :
			                    sqlite3_bind_blob(st, i + 1, a->p, a->n, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	return rc;
}

int
sq__q_open(struct conn *c, enum stmt id, struct q *q, const struct bind *b, int n)
{
	sqlite3_stmt *st = c->st[id];

	q->c = c;
	q->st = NULL;
	q->temp = false;
	q->id = id;
	/*
	 * An error such as SQLITE_FULL or an I/O error may have rolled the
	 * whole transaction back; a statement now would run in autocommit
	 * mode, outside the transaction (and outside the writer's group).
	 */
	if (id > ST__LAST_CONTROL && sqlite3_get_autocommit(c->db)) {
		log_error("store sqlite: %s: the transaction was rolled back by an earlier error",
		    sq__stmt_name(id));
		return JD_EUNAVAIL;
	}
	if (st == NULL || sqlite3_stmt_busy(st)) {
		unsigned flags = st == NULL ? SQLITE_PREPARE_PERSISTENT : 0;

		if (sqlite3_prepare_v3(c->db, sq__stmt_sql(id), -1, flags, &st, NULL) != SQLITE_OK)
			return sq__fail(c, "prepare", sq__stmt_name(id));
		if (c->st[id] == NULL)
			c->st[id] = st;
		else
			q->temp = true;
	}
	q->st = st;
	/* the writer's memo (sqlite_int.h): forgotten by whatever may write,
	 * and by transaction control, which sqlite3_stmt_readonly may call a
	 * read (BEGIN, SAVEPOINT, RELEASE, COMMIT) */
	if (c->memo.valid && (id <= ST__LAST_CONTROL || !sqlite3_stmt_readonly(st)))
		c->memo.valid = false;
	if (bind_all(st, b, n) != SQLITE_OK) {
		int rc = sq__fail(c, "bind", sq__stmt_name(id));

		sq__q_close(q);
		return rc;
	}
	return 0;
}

/* 1 a row, 0 done, JD_EEXISTS on a key conflict, else JD_EUNAVAIL. */
int
sq__q_step(struct q *q)
{
	int rc = sqlite3_step(q->st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = sqlite3_extended_errcode(q->c->db);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		return JD_EEXISTS;
	return sq__fail(q->c, "step", sq__stmt_name(q->id));
}

/*
 * Run a statement to completion. With `need_row`, zero changed rows is
 * JD_ENOTFOUND. *changes (may be NULL) gets sqlite3_changes.
 */
int
sq__run(struct conn *c, enum stmt id, bool need_row, int64_t *changes, const struct bind *b, int nb)
{
	struct q q;
	int rc = sq__q_open(c, id, &q, b, nb);

	if (rc != 0)
		return rc;
	while ((rc = sq__q_step(&q)) == 1)
		;
	if (rc == 0) {
		int64_t n = sqlite3_changes64(c->db);

		if (changes != NULL)
			*changes = n;
		if (need_row && n == 0)
			rc = JD_ENOTFOUND;
	}
	sq__q_close(&q);
	return rc;
}

/* Single-integer query (count, max). */
int
sq__scalar(struct conn *c, enum stmt id, int64_t *out, const struct bind *b, int n)
{
	struct q q;
	int rc = sq__q_open(c, id, &q, b, n);

	if (rc != 0)
		return rc;
	rc = sq__q_one(&q);
	if (rc == 0)
		*out = sqlite3_column_int64(q.st, 0);
	sq__q_close(&q);
	return rc;
}

/*
 * Add n to a monotonic counter and read its new value, the last of the n
 * taken (writer transactions only). Two statements: with RETURNING, SQLite
 * builds a temporary table for the returned row on every call.
 */
int
sq__seq_add(struct conn *c, const char *name, int64_t n, int64_t *out)
{
	int rc = sq__run(c, ST_SEQ_ADD, false, NULL, BINDS(B_TEXT(name), B_I64(n)));

	return rc != 0 ? rc : sq__scalar(c, ST_SEQ_GET, out, BINDS(B_TEXT(name)));
}

int
sq__each_name(struct q *q, jd_name_cb cb, void *arg)
{
	int rc;

	while ((rc = sq__q_step(q)) == 1) {
		char *name = sq__col_dup(q->st, 0);

		rc = cb(arg, name != NULL ? name : "");
		free(name);
		if (rc != 0)
			break;
	}
	sq__q_close(q);
	return rc;
}

int
sq__adhoc_prep(struct conn *c, const char *what, const char *sql, const char *const *t, int nt,
    const int64_t *i, int ni, sqlite3_stmt **out)
{
	sqlite3_stmt *st = NULL;

	*out = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq__fail(c, "prepare", what);
	for (int k = 0; k < nt; k++)
		if (sqlite3_bind_text(st, k + 1, t[k], -1, SQLITE_STATIC) != SQLITE_OK)
			goto fail;
	for (int k = 0; k < ni; k++)
		if (sqlite3_bind_int64(st, nt + k + 1, i[k]) != SQLITE_OK)
			goto fail;
	*out = st;
	return 0;
fail:
	sqlite3_finalize(st);
	return sq__fail(c, "bind", what);
}

int
sq__adhoc_step(struct conn *c, const char *what, sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	sqlite3_finalize(st);
	return sq__fail(c, "step", what);
}
