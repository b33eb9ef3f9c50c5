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
#include <stdarg.h>
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

/*
 * Bind the arguments by format, one char per ?N in order:
 *   s  const char *, NULL -> NULL        n  const char *, NULL or "" -> NULL
 *   a  const char *, NULL -> ""          i  int           b  bool
 *   I  int64_t                           L  int limit, <= 0 -> no limit
 *   B  const void *, size_t (two arguments, one ?N): a blob, NULL -> NULL
 */
static int
bindv(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		const char *s;
		int v;

		switch (*fmt) {
		case 's':
		case 'n':
		case 'a':
			s = va_arg(ap, const char *);
			if (*fmt == 'a' && s == NULL)
				s = "";
			if (s == NULL || (*fmt == 'n' && *s == '\0'))
				rc = sqlite3_bind_null(st, i);
			else
				rc = sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
			break;
		case 'i':
		case 'b':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'L':
			v = va_arg(ap, int);
			rc = sqlite3_bind_int(st, i, v > 0 ? v : -1);
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'B': {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);

			rc = p == NULL ? sqlite3_bind_null(st, i) :
			    sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	return rc;
}

static int
q_vopen(struct conn *c, enum stmt id, struct q *q, const char *fmt, va_list ap)
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
	if (bindv(st, fmt, ap) != SQLITE_OK) {
		int rc = sq__fail(c, "bind", sq__stmt_name(id));

		sq__q_close(q);
		return rc;
	}
	return 0;
}

int
sq__q_open(struct conn *c, enum stmt id, struct q *q, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(c, id, q, fmt, ap);
	va_end(ap);
	return rc;
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
sq__run(struct conn *c, enum stmt id, bool need_row, int64_t *changes, const char *fmt, ...)
{
	struct q q;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(c, id, &q, fmt, ap);
	va_end(ap);
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
sq__scalar(struct conn *c, enum stmt id, int64_t *out, const char *fmt, ...)
{
	struct q q;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(c, id, &q, fmt, ap);
	va_end(ap);
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
	int rc = sq__run(c, ST_SEQ_ADD, false, NULL, "sI", name, n);

	return rc != 0 ? rc : sq__scalar(c, ST_SEQ_GET, out, "s", name);
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
