/*
 * test_store.c: the store conformance suite, run against every backend.
 *
 *   store_test_store sqlite              a fresh SQLite file in a temp dir
 *   store_test_store BACKEND WHERE       e.g. postgres "dbname=jobsd_test"
 *                                        (the store is wiped first)
 *
 * Every case goes through the store_*() wrappers only, so the same checks
 * hold any backend to the contract of store.h. Each case starts from a wiped
 * store. Lists are collected into comma-separated strings so that an order
 * mismatch prints both sequences.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jd_limits.h"
#include "store/store.h"
#include "store/store_read.h"
#include "storekit.h"
#include "store/postgres/pg_test.h"
#include "test.h"
#include "util/buf.h"
#include "util/log.h"

/* ---- helpers ------------------------------------------------------------ */

static void
fresh(void)
{
	struct store_tx *tx = begin(true);

	CHECK_EQ_INT(store_wipe(tx), 0);
	commit(tx);
}

/* Collects names into "a,b,c"; stops (returning 7) after `stop` rows if set. */
struct coll {
	struct buf b;
	int n;
	int stop;
};

static void
coll_add(struct coll *c, const char *s)
{
	if (c->n++ > 0)
		buf_putc(&c->b, ',');
	buf_puts(&c->b, s);
}

static const char *
coll_str(struct coll *c)
{
	return buf_cstr(&c->b);
}

static void
coll_reset(struct coll *c)
{
	buf_reset(&c->b);
	c->n = 0;
	c->stop = 0;
}

static int
coll_ret(struct coll *c)
{
	return c->stop > 0 && c->n >= c->stop ? 7 : 0;
}

static int
name_cb(void *arg, const char *name)
{
	coll_add(arg, name);
	return coll_ret(arg);
}

static int
thing_cb(void *arg, const struct jd_thing *t)
{
	coll_add(arg, t->name);
	return coll_ret(arg);
}

static int
group_cb(void *arg, const struct jd_group *g)
{
	coll_add(arg, g->name);
	return coll_ret(arg);
}

static int
job_cb(void *arg, const struct jd_job *j)
{
	coll_add(arg, j->job_id);
	return coll_ret(arg);
}

/* "job/thing/number" */
static int
exec_cb(void *arg, const struct jd_exec *x)
{
	char s[256];

	snprintf(s, sizeof(s), "%s/%s/%lld", x->job_id, x->thing_name, (long long)x->number);
	coll_add(arg, s);
	return coll_ret(arg);
}

static int
template_cb(void *arg, const struct jd_template *t)
{
	coll_add(arg, t->id);
	return coll_ret(arg);
}

static void
mk_thing(struct store_tx *tx, const char *name, const char *type, const char *attrs)
{
	struct jd_thing t = {0};

	jd_strlcpy(t.name, name, sizeof(t.name));
	snprintf(t.id, sizeof(t.id), "id-%s", name);
	jd_strlcpy(t.type_name, type != NULL ? type : "", sizeof(t.type_name));
	t.attributes = (char *)attrs;
	t.version = 1;
	t.created_ms = 1000;
	CHECK_EQ_INT(store_thing_insert(tx, &t), 0);
}

static void
mk_group(struct store_tx *tx, const char *name, const char *parent)
{
	struct jd_group g = {0};

	jd_strlcpy(g.name, name, sizeof(g.name));
	snprintf(g.id, sizeof(g.id), "gid-%s", name);
	jd_strlcpy(g.parent, parent != NULL ? parent : "", sizeof(g.parent));
	g.version = 1;
	g.created_ms = 2000;
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);
}

static int64_t
mk_job(struct store_tx *tx, const char *id, int status, int selection, const char *ns)
{
	struct jd_job j = {0};

	jd_strlcpy(j.job_id, id, sizeof(j.job_id));
	j.status = status;
	j.selection = selection;
	jd_strlcpy(j.namespace_id, ns != NULL ? ns : "", sizeof(j.namespace_id));
	j.document = (char *)"{}";
	j.targets = (char *)"[]";
	j.config = (char *)"{}";
	j.created_ms = j.updated_ms = 3000;
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
	return j.seq;
}

static int64_t
mk_exec(struct store_tx *tx, const char *job, const char *thing, int64_t number, int status,
    const char *ns, int64_t queued_ms)
{
	struct jd_exec x = {0};

	jd_strlcpy(x.job_id, job, sizeof(x.job_id));
	jd_strlcpy(x.thing_name, thing, sizeof(x.thing_name));
	x.number = number;
	x.status = status;
	jd_strlcpy(x.namespace_id, ns != NULL ? ns : "", sizeof(x.namespace_id));
	x.queued_ms = queued_ms;
	x.updated_ms = queued_ms;
	x.version = 1;
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	return x.seq;
}

/* ---- meta, transactions ------------------------------------------------- */

TEST(t_meta)
{
	struct store_tx *tx;
	char *v = NULL;

	fresh();
	tx = begin(true);
	CHECK_EQ_INT(store_meta_get(tx, "k", &v), JD_ENOTFOUND);
	CHECK(v == NULL);
	CHECK_EQ_INT(store_meta_put(tx, "k", "one"), 0);
	CHECK_EQ_INT(store_meta_get(tx, "k", &v), 0);
	CHECK_EQ_STR(v, "one");
	free(v);
	CHECK_EQ_INT(store_meta_put(tx, "k", "two"), 0);
	CHECK_EQ_INT(store_meta_put(tx, "empty", ""), 0);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_meta_get(tx, "k", &v), 0);
	CHECK_EQ_STR(v, "two");
	free(v);
	CHECK_EQ_INT(store_meta_get(tx, "empty", &v), 0);
	CHECK_EQ_STR(v, "");
	free(v);
	commit(tx);
}

static int
meta_collect(void *arg, const char *key, const char *val)
{
	struct buf *b = arg;

	buf_puts(b, key);
	buf_putc(b, '=');
	buf_puts(b, val);
	buf_putc(b, ';');
	return 0;
}

static int
meta_stop(void *arg, const char *key, const char *val)
{
	(void)key;
	(void)val;
	++*(int *)arg;
	return 7;
}

TEST(t_meta_list)
{
	struct store_tx *tx;
	struct buf b = BUF_INIT;
	int n = 0;

	fresh();
	tx = begin(true);
	CHECK_EQ_INT(store_meta_put(tx, "b", "two"), 0);
	CHECK_EQ_INT(store_meta_put(tx, "a", "one"), 0);
	CHECK_EQ_INT(store_meta_put(tx, "c", ""), 0);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_meta_list(tx, meta_collect, &b), 0);
	buf_putc(&b, '\0');
	CHECK_EQ_STR(b.p, "a=one;b=two;c=;");
	CHECK_EQ_INT(store_meta_list(tx, meta_stop, &n), 7);
	CHECK_EQ_INT(n, 1);
	commit(tx);
	buf_free(&b);
}

TEST(t_rollback)
{
	struct store_tx *tx;
	struct jd_thing t;
	char *v = NULL;

	fresh();
	tx = begin(true);
	mk_thing(tx, "kept", NULL, NULL);
	commit(tx);

	tx = begin(true);
	mk_thing(tx, "gone", NULL, NULL);
	CHECK_EQ_INT(store_thing_delete(tx, "kept"), 0);
	CHECK_EQ_INT(store_meta_put(tx, "k", "v"), 0);
	CHECK_EQ_INT(store_thing_get(tx, "gone", &t), 0); /* visible inside the tx */
	jd_thing_release(&t);
	store_rollback(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_thing_get(tx, "gone", &t), JD_ENOTFOUND);
	CHECK_EQ_INT(store_thing_get(tx, "kept", &t), 0);
	jd_thing_release(&t);
	CHECK_EQ_INT(store_meta_get(tx, "k", &v), JD_ENOTFOUND);
	store_rollback(tx);
	store_rollback(NULL);
}

/* A read transaction sees one snapshot and cannot write. */
TEST(t_read_tx)
{
	struct store_tx *r, *w;
	struct jd_thing t;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	w = begin(true);
	mk_thing(w, "a", NULL, NULL);
	commit(w);

	r = begin(false);
	CHECK_EQ_INT(store_thing_list(r, NULL, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a");
	w = begin(true);
	mk_thing(w, "b", NULL, NULL);
	commit(w);
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_list(r, NULL, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a");
	memset(&t, 0, sizeof(t));
	jd_strlcpy(t.name, "c", sizeof(t.name));
	/* the wrapper asserts a write transaction (debug builds); behind it,
	 * the backend refuses the write too (release builds) */
	CHECK(!store__tx(r)->write);
	CHECK_EQ_INT(store__tx(r)->ops->thing_insert(r, &t), JD_EUNAVAIL);
	store_rollback(r);

	r = begin(false);
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_list(r, NULL, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,b");
	commit(r);
	buf_free(&c.b);
}

TEST(t_reopen)
{
	struct store_tx *tx;
	struct jd_thing t;
	struct jd_error e;
	int64_t seq1, seq2;
	char *v = NULL;

	fresh();
	tx = begin(true);
	mk_thing(tx, "durable", "ty", "{\"a\":\"1\"}");
	CHECK_EQ_INT(store_meta_put(tx, "k", "v"), 0);
	seq1 = mk_job(tx, "j1", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	commit(tx);

	store_close(S);
	S = NULL;
	jd_error_init(&e);
	CHECK_EQ_INT(store_open(storekit_spec, &S, &e), 0);
	if (S == NULL) {
		fprintf(stderr, "reopen: %s\n", e.msg);
		exit(2);
	}
	jd_error_clear(&e);

	tx = begin(true);
	CHECK_EQ_INT(store_thing_get(tx, "durable", &t), 0);
	CHECK_EQ_STR(t.type_name, "ty");
	CHECK_EQ_STR(t.attributes, "{\"a\":\"1\"}");
	jd_thing_release(&t);
	CHECK_EQ_INT(store_meta_get(tx, "k", &v), 0);
	CHECK_EQ_STR(v, "v");
	free(v);
	/* the job sequence continues after a reopen */
	seq2 = mk_job(tx, "j2", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	CHECK(seq2 > seq1);
	commit(tx);
}

TEST(t_wipe)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	struct jd_counts k;
	int64_t n = -1;
	char *v = NULL;

	fresh();
	tx = begin(true);
	mk_thing(tx, "t", NULL, NULL);
	mk_group(tx, "g", NULL);
	CHECK_EQ_INT(store_member_add(tx, "g", "t"), 0);
	mk_job(tx, "j", JD_JOB_IN_PROGRESS, JD_SEL_CONTINUOUS, NULL);
	CHECK_EQ_INT(store_job_target_add(tx, "j", "g"), 0);
	mk_exec(tx, "j", "t", 1, JD_EXEC_QUEUED, NULL, 5);
	CHECK_EQ_INT(store_meta_put(tx, "k", "v"), 0);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_wipe(tx), 0);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_thing_list(tx, NULL, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_INT(store_group_list(tx, NULL, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_INT(store_member_list(tx, "g", true, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_INT(store_job_list(tx, NULL, 0, 0, job_cb, &c), 0);
	CHECK_EQ_INT(store_job_list_by_group(tx, "g", job_cb, &c), 0);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_INT(store_template_list(tx, NULL, 0, template_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	CHECK_EQ_INT(store_meta_get(tx, "k", &v), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 0);
	CHECK_EQ_INT(store_exec_max_number(tx, "j", "t", &n), 0);
	CHECK_EQ_INT(n, 0);
	commit(tx);
	buf_free(&c.b);
}

/* ---- things ------------------------------------------------------------- */

TEST(t_thing_crud)
{
	struct store_tx *tx;
	struct jd_thing t = {0}, g;

	fresh();
	tx = begin(true);
	jd_strlcpy(t.name, "thing-1", sizeof(t.name));
	jd_strlcpy(t.id, "0f8fad5b-d9cb-469f-a165-70867728950e", sizeof(t.id));
	jd_strlcpy(t.type_name, "sensor", sizeof(t.type_name));
	t.attributes = (char *)"{\"model\":\"x1\",\"fw\":\"2.0\"}";
	t.version = 3;
	t.created_ms = 1700000000123;
	CHECK_EQ_INT(store_thing_insert(tx, &t), 0);
	CHECK_EQ_INT(store_thing_insert(tx, &t), JD_EEXISTS);

	CHECK_EQ_INT(store_thing_get(tx, "thing-1", &g), 0);
	CHECK_EQ_STR(g.name, "thing-1");
	CHECK_EQ_STR(g.id, t.id);
	CHECK_EQ_STR(g.type_name, "sensor");
	CHECK_EQ_STR(g.attributes, t.attributes);
	CHECK_EQ_INT(g.version, 3);
	CHECK_EQ_INT(g.created_ms, 1700000000123);
	jd_thing_release(&g);
	CHECK_EQ_INT(store_thing_get(tx, "nope", &g), JD_ENOTFOUND);

	/* update every field; absent type and attributes come back absent */
	jd_strlcpy(t.id, "other-id", sizeof(t.id));
	t.type_name[0] = '\0';
	t.attributes = NULL;
	t.version = 4;
	t.created_ms = 5;
	CHECK_EQ_INT(store_thing_update(tx, &t), 0);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_thing_get(tx, "thing-1", &g), 0);
	CHECK_EQ_STR(g.id, "other-id");
	CHECK_EQ_STR(g.type_name, "");
	CHECK(g.attributes == NULL);
	CHECK_EQ_INT(g.version, 4);
	CHECK_EQ_INT(g.created_ms, 5);
	jd_thing_release(&g);

	jd_strlcpy(t.name, "nope", sizeof(t.name));
	CHECK_EQ_INT(store_thing_update(tx, &t), JD_ENOTFOUND);
	CHECK_EQ_INT(store_thing_delete(tx, "thing-1"), 0);
	CHECK_EQ_INT(store_thing_delete(tx, "thing-1"), JD_ENOTFOUND);
	CHECK_EQ_INT(store_thing_get(tx, "thing-1", &g), JD_ENOTFOUND);
	commit(tx);
}

TEST(t_thing_list)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	struct jd_thing_filter f = {NULL, NULL, false, NULL};

	fresh();
	tx = begin(true);
	mk_thing(tx, "d", "cam", "{\"fw\":\"2.1\",\"loc\":\"b\"}");
	mk_thing(tx, "a", "cam", "{\"fw\":\"1.0\"}");
	mk_thing(tx, "c", NULL, "{\"fw\":\"2.0\"}");
	mk_thing(tx, "b", "sensor", NULL);
	mk_thing(tx, "e", "sensor", "{\"fw\":\"20\",\"loc\":\"a\"}");
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_thing_list(tx, NULL, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,b,c,d,e");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_list(tx, &f, "", 2, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,b");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_list(tx, &f, "b", 2, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "c,d");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_list(tx, &f, "d", 2, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "e");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_list(tx, &f, "e", 2, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");

	/* a callback's non-zero return stops the scan and is returned */
	coll_reset(&c);
	c.stop = 2;
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 7);
	CHECK_EQ_STR(coll_str(&c), "a,b");

	coll_reset(&c);
	f.type_name = "cam";
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,d");
	coll_reset(&c);
	f.type_name = "";
	f.attr_name = "fw";
	f.attr_value = "2.0";
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "c");
	coll_reset(&c);
	f.attr_prefix = true;
	f.attr_value = "2";
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "c,d,e");
	coll_reset(&c);
	f.attr_value = "2.";
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "c,d");
	coll_reset(&c);
	f.attr_value = "%"; /* no wildcard surprises */
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	f.attr_prefix = false;
	f.attr_name = "loc";
	f.attr_value = "a";
	f.type_name = "sensor";
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "e");
	coll_reset(&c);
	f.type_name = "cam";
	CHECK_EQ_INT(store_thing_list(tx, &f, NULL, 0, thing_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	commit(tx);
	buf_free(&c.b);
}

/* ---- groups and membership --------------------------------------------- */

TEST(t_group_crud)
{
	struct store_tx *tx;
	struct jd_group g = {0}, o;
	int64_t n = -1;

	fresh();
	tx = begin(true);
	jd_strlcpy(g.name, "root", sizeof(g.name));
	jd_strlcpy(g.id, "gid-root", sizeof(g.id));
	g.description = (char *)"the root";
	g.attributes = (char *)"{\"k\":\"v\"}";
	g.version = 2;
	g.created_ms = 1700000000999;
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);
	CHECK_EQ_INT(store_group_insert(tx, &g), JD_EEXISTS);
	mk_group(tx, "kid1", "root");
	mk_group(tx, "kid2", "root");

	CHECK_EQ_INT(store_group_get(tx, "root", &o), 0);
	CHECK_EQ_STR(o.name, "root");
	CHECK_EQ_STR(o.id, "gid-root");
	CHECK_EQ_STR(o.parent, "");
	CHECK_EQ_STR(o.description, "the root");
	CHECK_EQ_STR(o.attributes, "{\"k\":\"v\"}");
	CHECK_EQ_INT(o.version, 2);
	CHECK_EQ_INT(o.created_ms, 1700000000999);
	jd_group_release(&o);
	CHECK_EQ_INT(store_group_get(tx, "kid1", &o), 0);
	CHECK_EQ_STR(o.parent, "root");
	CHECK(o.description == NULL);
	CHECK(o.attributes == NULL);
	jd_group_release(&o);
	CHECK_EQ_INT(store_group_get(tx, "nope", &o), JD_ENOTFOUND);

	CHECK_EQ_INT(store_group_child_count(tx, "root", &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_group_child_count(tx, "kid1", &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_group_delete(tx, "kid2"), 0);
	CHECK_EQ_INT(store_group_delete(tx, "kid2"), JD_ENOTFOUND);
	CHECK_EQ_INT(store_group_get(tx, "kid2", &o), JD_ENOTFOUND);
	CHECK_EQ_INT(store_group_child_count(tx, "root", &n), 0);
	CHECK_EQ_INT(n, 1);
	commit(tx);
}

/* Dynamic thing groups (issue 12): the query members round-trip, group_update
 * changes description, attributes, version and query, group_list_dynamic
 * lists only the groups with a query, by name, after a cursor. */
static int
dyn_names(void *arg, const struct jd_group *g)
{
	char *out = arg;

	strcat(out, g->name);
	strcat(out, g->query_string != NULL ? "=" : "!");
	strcat(out, g->query_string != NULL ? g->query_string : "");
	strcat(out, ";");
	return 0;
}

TEST(t_group_dynamic)
{
	struct store_tx *tx;
	struct jd_group g = {0}, o;
	char got[512] = "";

	fresh();
	tx = begin(true);
	mk_group(tx, "static", NULL);
	jd_strlcpy(g.name, "dyn-b", sizeof(g.name));
	jd_strlcpy(g.id, "gid-b", sizeof(g.id));
	g.version = 1;
	g.query_string = (char *)"attributes.fw < 3";
	jd_strlcpy(g.index_name, "AWS_Things", sizeof(g.index_name));
	jd_strlcpy(g.query_version, "2017-09-30", sizeof(g.query_version));
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);
	jd_strlcpy(g.name, "dyn-a", sizeof(g.name));
	jd_strlcpy(g.id, "gid-a", sizeof(g.id));
	g.query_string = (char *)"thingName:x*";
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);

	CHECK_EQ_INT(store_group_get(tx, "dyn-b", &o), 0);
	CHECK_EQ_STR(o.query_string, "attributes.fw < 3");
	CHECK_EQ_STR(o.index_name, "AWS_Things");
	CHECK_EQ_STR(o.query_version, "2017-09-30");
	jd_group_release(&o);
	CHECK_EQ_INT(store_group_get(tx, "static", &o), 0);
	CHECK(o.query_string == NULL);
	CHECK_EQ_STR(o.index_name, "");
	/* group_update: properties and version of a static group */
	o.description = jd_strdup("now described");
	o.attributes = jd_strdup("{\"a\":\"1\"}");
	o.version = 5;
	CHECK_EQ_INT(store_group_update(tx, &o), 0);
	jd_group_release(&o);
	CHECK_EQ_INT(store_group_get(tx, "static", &o), 0);
	CHECK_EQ_STR(o.description, "now described");
	CHECK_EQ_STR(o.attributes, "{\"a\":\"1\"}");
	CHECK_EQ_INT(o.version, 5);
	CHECK(o.query_string == NULL);
	jd_group_release(&o);
	/* and the query of a dynamic one */
	CHECK_EQ_INT(store_group_get(tx, "dyn-a", &o), 0);
	free(o.query_string);
	o.query_string = jd_strdup("thingName:y*");
	o.version = 2;
	CHECK_EQ_INT(store_group_update(tx, &o), 0);
	jd_group_release(&o);
	jd_strlcpy(o.name, "nope", sizeof(o.name));
	CHECK_EQ_INT(store_group_update(tx, &o), JD_ENOTFOUND);

	CHECK_EQ_INT(store_group_list_dynamic(tx, "", 0, dyn_names, got), 0);
	CHECK_EQ_STR(got, "dyn-a=thingName:y*;dyn-b=attributes.fw < 3;");
	got[0] = '\0';
	CHECK_EQ_INT(store_group_list_dynamic(tx, "dyn-a", 0, dyn_names, got), 0);
	CHECK_EQ_STR(got, "dyn-b=attributes.fw < 3;");
	got[0] = '\0';
	CHECK_EQ_INT(store_group_list_dynamic(tx, NULL, 1, dyn_names, got), 0);
	CHECK_EQ_STR(got, "dyn-a=thingName:y*;");
	/* deleting a dynamic group removes it from the list */
	CHECK_EQ_INT(store_group_delete(tx, "dyn-a"), 0);
	got[0] = '\0';
	CHECK_EQ_INT(store_group_list_dynamic(tx, "", 0, dyn_names, got), 0);
	CHECK_EQ_STR(got, "dyn-b=attributes.fw < 3;");
	commit(tx);
}

/* root a: a1 (a1x, a1y: a1y1), a2; root b: b1 */
static void
mk_tree(void)
{
	struct store_tx *tx = begin(true);

	mk_group(tx, "b", NULL);
	mk_group(tx, "a", NULL);
	mk_group(tx, "a2", "a");
	mk_group(tx, "a1", "a");
	mk_group(tx, "a1y", "a1");
	mk_group(tx, "a1x", "a1");
	mk_group(tx, "a1y1", "a1y");
	mk_group(tx, "b1", "b");
	commit(tx);
}

TEST(t_group_list)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	struct jd_group_filter f = {NULL, false, NULL};

	fresh();
	mk_tree();
	tx = begin(false);
	CHECK_EQ_INT(store_group_list(tx, NULL, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,a1,a1x,a1y,a1y1,a2,b,b1");
	coll_reset(&c);
	f.recursive = true;
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,a1,a1x,a1y,a1y1,a2,b,b1");
	coll_reset(&c);
	f.recursive = false; /* children of the root: the root groups */
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a,b");
	coll_reset(&c);
	f.parent = "a";
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a1,a2");
	coll_reset(&c);
	f.recursive = true;
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a1,a1x,a1y,a1y1,a2");
	coll_reset(&c);
	CHECK_EQ_INT(store_group_list(tx, &f, "a1x", 2, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a1y,a1y1");
	coll_reset(&c);
	f.name_prefix = "a1y";
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a1y,a1y1");
	coll_reset(&c);
	f.parent = "";
	f.name_prefix = "b";
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "b,b1");
	coll_reset(&c);
	f.name_prefix = "_"; /* not a wildcard */
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	f.parent = "a1y1";
	f.name_prefix = NULL;
	CHECK_EQ_INT(store_group_list(tx, &f, NULL, 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	commit(tx);
	buf_free(&c.b);
}

/* thing_insert_many and member_add_many (copy-store's bulk path): every
 * field survives, text that COPY must escape included; a duplicate fails. */
TEST(t_bulk_inserts)
{
	struct store_tx *tx;
	struct jd_thing ts[3], g;
	const char *const names[] = {"bulk-0", "bulk-1", "bulk-2"};
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	mk_tree();
	memset(ts, 0, sizeof(ts));
	for (int i = 0; i < 3; i++) {
		jd_strlcpy(ts[i].name, names[i], sizeof(ts[i].name));
		jd_strlcpy(ts[i].id, "0f8fad5b-d9cb-469f-a165-70867728950e", sizeof(ts[i].id));
		ts[i].version = i + 1;
		ts[i].created_ms = 1700000000000 + i;
	}
	jd_strlcpy(ts[1].type_name, "sensor", sizeof(ts[1].type_name));
	ts[1].attributes = (char *)"{\"a\":\"tab\\there\\nnew\\\\line\", \"b\":\"\t\"}";
	tx = begin(true);
	CHECK_EQ_INT(store_thing_insert_many(tx, ts, 3), 0);
	CHECK_EQ_INT(store_member_add_many(tx, "a", names, 3), 0);
	CHECK_EQ_INT(store_thing_insert_many(tx, ts, 0), 0);
	commit(tx);

	tx = begin(false);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(store_thing_get(tx, names[i], &g), 0);
		CHECK_EQ_STR(g.id, ts[i].id);
		CHECK_EQ_STR(g.type_name, ts[i].type_name);
		if (ts[i].attributes == NULL)
			CHECK(g.attributes == NULL);
		else
			CHECK_EQ_STR(g.attributes, ts[i].attributes);
		CHECK_EQ_INT(g.version, i + 1);
		CHECK_EQ_INT(g.created_ms, 1700000000000 + i);
		jd_thing_release(&g);
	}
	CHECK_EQ_INT(store_member_list(tx, "a", false, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "bulk-0,bulk-1,bulk-2");
	coll_reset(&c);
	store_rollback(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_thing_insert_many(tx, &ts[2], 1), JD_EEXISTS);
	store_rollback(tx);
	buf_free(&c.b);
}

TEST(t_members)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	mk_tree();
	tx = begin(true);
	mk_thing(tx, "t1", NULL, NULL);
	mk_thing(tx, "t2", NULL, NULL);
	mk_thing(tx, "t3", NULL, NULL);
	mk_thing(tx, "t4", NULL, NULL);
	CHECK_EQ_INT(store_member_add(tx, "a", "t4"), 0);
	CHECK_EQ_INT(store_member_add(tx, "a1", "t1"), 0);
	CHECK_EQ_INT(store_member_add(tx, "a1y1", "t2"), 0); /* three levels below a */
	CHECK_EQ_INT(store_member_add(tx, "a1x", "t1"), 0);  /* t1 twice under a */
	CHECK_EQ_INT(store_member_add(tx, "b1", "t3"), 0);
	CHECK_EQ_INT(store_member_add(tx, "a2", "t3"), 0);
	CHECK_EQ_INT(store_member_add(tx, "a2", "t3"), JD_EEXISTS);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_member_list(tx, "a", false, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "t4");
	coll_reset(&c);
	CHECK_EQ_INT(store_member_list(tx, "a", true, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "t1,t2,t3,t4");
	coll_reset(&c);
	CHECK_EQ_INT(store_member_list(tx, "a", true, "t1", 2, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "t2,t3");
	coll_reset(&c);
	CHECK_EQ_INT(store_member_list(tx, "a1", true, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "t1,t2");
	coll_reset(&c);
	CHECK_EQ_INT(store_member_list(tx, "a1", false, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "t1");
	coll_reset(&c);
	CHECK_EQ_INT(store_member_list(tx, "nope", true, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_groups(tx, "t3", name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a2,b1");
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_groups(tx, "t1", name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "a1,a1x");

	CHECK_EQ_INT(store_member_remove(tx, "a2", "t3"), 0);
	CHECK_EQ_INT(store_member_remove(tx, "a2", "t3"), JD_ENOTFOUND);
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_groups(tx, "t3", name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "b1");

	/* deleting a thing or a group drops its memberships */
	CHECK_EQ_INT(store_thing_delete(tx, "t1"), 0);
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_groups(tx, "t1", name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	CHECK_EQ_INT(store_group_delete(tx, "b1"), 0);
	coll_reset(&c);
	CHECK_EQ_INT(store_thing_groups(tx, "t3", name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	CHECK_EQ_INT(store_member_list(tx, "a", true, NULL, 0, name_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "t2,t4");
	commit(tx);
	buf_free(&c.b);
}

/* ---- jobs --------------------------------------------------------------- */

TEST(t_job_crud)
{
	struct store_tx *tx;
	struct jd_job j = {0}, o;
	int64_t seq1;

	fresh();
	tx = begin(true);
	jd_strlcpy(j.job_id, "job-1", sizeof(j.job_id));
	j.seq = 999; /* ignored: insert assigns it */
	j.status = JD_JOB_CANCELED;
	j.selection = JD_SEL_CONTINUOUS;
	jd_strlcpy(j.namespace_id, "ns-a", sizeof(j.namespace_id));
	j.document = (char *)"{\"op\": 0.35}";
	j.document_source = (char *)"https://s3/doc.json";
	j.description = (char *)"a job";
	j.targets = (char *)"[\"arn:aws:iot:us-east-1:123456789012:thing/t1\"]";
	j.config = (char *)"{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":5}}";
	j.template_arn = (char *)"arn:aws:iot:us-east-1:123456789012:jobtemplate/tpl";
	j.force_canceled = true;
	jd_strlcpy(j.reason_code, "BECAUSE", sizeof(j.reason_code));
	j.comment = (char *)"why";
	j.inprogress_timeout_min = 60;
	j.created_ms = 1700000000001;
	j.updated_ms = 1700000000002;
	j.completed_ms = 1700000000003;
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
	CHECK(j.seq > 0 && j.seq != 999);
	seq1 = j.seq;
	CHECK_EQ_INT(store_job_insert(tx, &j), JD_EEXISTS);

	CHECK_EQ_INT(store_job_get(tx, "job-1", &o), 0);
	CHECK_EQ_STR(o.job_id, "job-1");
	CHECK_EQ_INT(o.seq, seq1);
	CHECK_EQ_INT(o.status, JD_JOB_CANCELED);
	CHECK_EQ_INT(o.selection, JD_SEL_CONTINUOUS);
	CHECK_EQ_STR(o.namespace_id, "ns-a");
	CHECK_EQ_STR(o.document, j.document);
	CHECK_EQ_STR(o.document_source, j.document_source);
	CHECK_EQ_STR(o.description, j.description);
	CHECK_EQ_STR(o.targets, j.targets);
	CHECK_EQ_STR(o.config, j.config);
	CHECK_EQ_STR(o.template_arn, j.template_arn);
	CHECK(o.force_canceled);
	CHECK_EQ_STR(o.reason_code, "BECAUSE");
	CHECK_EQ_STR(o.comment, "why");
	CHECK_EQ_INT(o.inprogress_timeout_min, 60);
	CHECK_EQ_INT(o.created_ms, 1700000000001);
	CHECK_EQ_INT(o.updated_ms, 1700000000002);
	CHECK_EQ_INT(o.completed_ms, 1700000000003);
	jd_job_release(&o);
	CHECK_EQ_INT(store_job_get(tx, "nope", &o), JD_ENOTFOUND);
	{
		int st = -1, sel = -1;
		CHECK_EQ_INT(store_job_status(tx, "job-1", &st, &sel), 0);
		CHECK_EQ_INT(st, JD_JOB_CANCELED);
		CHECK_EQ_INT(sel, JD_SEL_CONTINUOUS);
		CHECK_EQ_INT(store_job_status(tx, "nope", &st, &sel), JD_ENOTFOUND);
	}

	/* update every mutable field, absent ones included */
	j.status = JD_JOB_COMPLETED;
	j.selection = JD_SEL_SNAPSHOT;
	j.namespace_id[0] = '\0';
	j.document = (char *)"{}";
	j.document_source = NULL;
	j.description = NULL;
	j.targets = (char *)"[]";
	j.config = (char *)"{}";
	j.template_arn = NULL;
	j.force_canceled = false;
	j.reason_code[0] = '\0';
	j.comment = NULL;
	j.inprogress_timeout_min = 0;
	j.created_ms = 1;
	j.updated_ms = 2;
	j.completed_ms = 0;
	CHECK_EQ_INT(store_job_update(tx, &j), 0);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_job_get(tx, "job-1", &o), 0);
	CHECK_EQ_INT(o.seq, seq1);
	CHECK_EQ_INT(o.status, JD_JOB_COMPLETED);
	CHECK_EQ_INT(o.selection, JD_SEL_SNAPSHOT);
	CHECK_EQ_STR(o.namespace_id, "");
	CHECK_EQ_STR(o.document, "{}");
	CHECK(o.document_source == NULL);
	CHECK(o.description == NULL);
	CHECK_EQ_STR(o.targets, "[]");
	CHECK_EQ_STR(o.config, "{}");
	CHECK(o.template_arn == NULL);
	CHECK(!o.force_canceled);
	CHECK_EQ_STR(o.reason_code, "");
	CHECK(o.comment == NULL);
	CHECK_EQ_INT(o.inprogress_timeout_min, 0);
	CHECK_EQ_INT(o.created_ms, 1);
	CHECK_EQ_INT(o.updated_ms, 2);
	CHECK_EQ_INT(o.completed_ms, 0);
	jd_job_release(&o);
	{
		int st = -1, sel = -1;
		CHECK_EQ_INT(store_job_status(tx, "job-1", &st, &sel), 0);
		CHECK_EQ_INT(st, JD_JOB_COMPLETED);
		CHECK_EQ_INT(sel, JD_SEL_SNAPSHOT);
	}

	jd_strlcpy(j.job_id, "nope", sizeof(j.job_id));
	CHECK_EQ_INT(store_job_update(tx, &j), JD_ENOTFOUND);
	CHECK_EQ_INT(store_job_delete(tx, "job-1"), 0);
	CHECK_EQ_INT(store_job_delete(tx, "job-1"), JD_ENOTFOUND);
	CHECK_EQ_INT(store_job_get(tx, "job-1", &o), JD_ENOTFOUND);
	/* the id is free again, with a new, larger seq */
	CHECK(mk_job(tx, "job-1", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL) > seq1);
	commit(tx);
}

TEST(t_job_list)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	struct jd_job_filter f = {-1, -1, NULL, NULL};
	int64_t s[6], n = -1;

	fresh();
	tx = begin(true);
	s[1] = mk_job(tx, "j1", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	s[2] = mk_job(tx, "j2", JD_JOB_COMPLETED, JD_SEL_CONTINUOUS, "ns");
	s[3] = mk_job(tx, "j3", JD_JOB_IN_PROGRESS, JD_SEL_CONTINUOUS, NULL);
	s[4] = mk_job(tx, "j4", JD_JOB_CANCELED, JD_SEL_SNAPSHOT, "ns");
	s[5] = mk_job(tx, "j5", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, "other");
	CHECK(s[1] < s[2] && s[2] < s[3] && s[3] < s[4] && s[4] < s[5]);
	CHECK_EQ_INT(store_job_target_add(tx, "j1", "g1"), 0);
	CHECK_EQ_INT(store_job_target_add(tx, "j3", "g1"), 0);
	CHECK_EQ_INT(store_job_target_add(tx, "j3", "g2"), 0);
	CHECK_EQ_INT(store_job_target_add(tx, "j3", "g2"), JD_EEXISTS);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_job_list(tx, NULL, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5,j4,j3,j2,j1");
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 2, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5,j4");
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list(tx, &f, s[4], 2, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3,j2");
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list(tx, &f, s[2], 2, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1");
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list(tx, &f, s[1], 2, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	f.status = JD_JOB_IN_PROGRESS;
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5,j3,j1");
	coll_reset(&c);
	f.selection = JD_SEL_SNAPSHOT;
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5,j1");
	coll_reset(&c);
	f.status = -1;
	f.selection = JD_SEL_CONTINUOUS;
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3,j2");
	coll_reset(&c);
	f.selection = -1;
	f.namespace_id = "ns";
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j4,j2");
	coll_reset(&c);
	f.namespace_id = "";
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3,j1");
	coll_reset(&c);
	f.namespace_id = NULL;
	f.group_name = "g1";
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3,j1");
	coll_reset(&c);
	f.group_name = "g2";
	f.status = JD_JOB_IN_PROGRESS;
	CHECK_EQ_INT(store_job_list(tx, &f, 0, 0, job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3");
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list_by_group(tx, "g1", job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1,j3");
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list_by_group(tx, "g3", job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	CHECK_EQ_INT(store_job_count_status(tx, JD_JOB_IN_PROGRESS, &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(store_job_count_status(tx, JD_JOB_CANCELED, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(store_job_count_status(tx, JD_JOB_DELETION_IN_PROGRESS, &n), 0);
	CHECK_EQ_INT(n, 0);
	commit(tx);

	/* deleting a job drops its group targets */
	tx = begin(true);
	CHECK_EQ_INT(store_job_delete(tx, "j3"), 0);
	coll_reset(&c);
	CHECK_EQ_INT(store_job_list_by_group(tx, "g2", job_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	mk_job(tx, "j3", JD_JOB_IN_PROGRESS, JD_SEL_CONTINUOUS, NULL);
	CHECK_EQ_INT(store_job_target_add(tx, "j3", "g2"), 0);
	commit(tx);
	buf_free(&c.b);
}

/* A policy with every member given, the abort list of several criteria. */
static void
mk_policy(struct jd_policy *p)
{
	static const struct jd_abort_criterion abort[] = {
	    {JD_FAILURE_FAILED, 12.5, 3},
	    {JD_FAILURE_REJECTED, 50.0, 10},
	    {JD_FAILURE_ALL, 99.75, 1},
	};

	memset(p, 0, sizeof(*p));
	p->present = JD_POLICY_ROLLOUT | JD_POLICY_ABORT | JD_POLICY_RETRY | JD_POLICY_TIMEOUT |
	    JD_POLICY_SCHEDULE | JD_POLICY_PRESIGNED;
	p->max_per_minute = 500;
	p->exponential = true;
	p->base_per_minute = 7;
	p->increment_factor = 1.5;
	p->by_notified = 20;
	p->by_succeeded = 0;
	p->abort = jd_malloc(sizeof(abort));
	memcpy(p->abort, abort, sizeof(abort));
	p->n_abort = sizeof(abort) / sizeof(abort[0]);
	p->retry[0].failure_type = JD_FAILURE_FAILED;
	p->retry[0].retries = 3;
	p->retry[1].failure_type = JD_FAILURE_TIMED_OUT;
	p->retry[1].retries = 10;
	p->n_retry = 2;
	p->inprogress_timeout_min = 45;
	p->start_ms = 1700000000000;
	p->end_ms = 1700003600000;
	p->end_behavior = JD_END_CANCEL;
	p->presigned_expires_sec = 3600;
}

/* Every member of a (read) policy equals mk_policy's. */
static void
check_policy(const struct jd_policy *p)
{
	struct jd_policy want;

	mk_policy(&want);
	CHECK_EQ_INT(p->present, want.present);
	CHECK_EQ_INT(p->max_per_minute, 500);
	CHECK(p->exponential);
	CHECK_EQ_INT(p->base_per_minute, 7);
	CHECK(p->increment_factor == 1.5);
	CHECK_EQ_INT(p->by_notified, 20);
	CHECK_EQ_INT(p->by_succeeded, 0);
	CHECK_EQ_INT(p->n_abort, want.n_abort);
	for (size_t i = 0; i < p->n_abort && i < want.n_abort; i++) {
		CHECK_EQ_INT(p->abort[i].failure_type, want.abort[i].failure_type);
		CHECK(p->abort[i].threshold_pct == want.abort[i].threshold_pct);
		CHECK_EQ_INT(p->abort[i].min_executed, want.abort[i].min_executed);
	}
	CHECK_EQ_INT(p->n_retry, 2);
	CHECK_EQ_INT(p->retry[0].failure_type, JD_FAILURE_FAILED);
	CHECK_EQ_INT(p->retry[0].retries, 3);
	CHECK_EQ_INT(p->retry[1].failure_type, JD_FAILURE_TIMED_OUT);
	CHECK_EQ_INT(p->retry[1].retries, 10);
	CHECK_EQ_INT(p->inprogress_timeout_min, 45);
	CHECK_EQ_INT(p->start_ms, 1700000000000);
	CHECK_EQ_INT(p->end_ms, 1700003600000);
	CHECK_EQ_INT(p->end_behavior, JD_END_CANCEL);
	CHECK_EQ_INT(p->presigned_expires_sec, 3600);
	core_policy_release(&want);
}

/* A list callback: check the policy of job "p" (others have none). */
static int
policy_cb(void *arg, const struct jd_job *j)
{
	if (strcmp(j->job_id, "p") == 0)
		check_policy(&j->policy);
	else
		CHECK_EQ_INT(j->policy.present, 0);
	(*(int *)arg)++;
	return 0;
}

/* The typed policy round-trips through every read of a job row. */
TEST(t_job_policy)
{
	struct store_tx *tx;
	struct jd_job j = {0}, o;
	int n = 0;

	fresh();
	tx = begin(true);
	jd_strlcpy(j.job_id, "p", sizeof(j.job_id));
	j.status = JD_JOB_IN_PROGRESS;
	j.selection = JD_SEL_CONTINUOUS;
	j.document = (char *)"{}";
	j.targets = (char *)"[]";
	j.config = (char *)"{}";
	j.rollout_next_ms = 5000;
	mk_policy(&j.policy);
	CHECK_EQ_INT(store_job_insert(tx, &j), 0);
	mk_job(tx, "plain", JD_JOB_IN_PROGRESS, JD_SEL_CONTINUOUS, NULL);
	CHECK_EQ_INT(store_job_target_add(tx, "p", "g"), 0);
	CHECK_EQ_INT(store_job_target_add(tx, "plain", "g"), 0);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_job_get(tx, "p", &o), 0);
	check_policy(&o.policy);
	jd_job_release(&o);
	CHECK_EQ_INT(store_job_get(tx, "plain", &o), 0);
	CHECK_EQ_INT(o.policy.present, 0);
	CHECK(o.policy.abort == NULL && o.policy.n_abort == 0);
	jd_job_release(&o);
	CHECK_EQ_INT(store_job_list(tx, NULL, 0, 0, policy_cb, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_job_list_by_group(tx, "g", policy_cb, &n), 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(store_job_rollout_due(tx, 5000, 10, policy_cb, &n), 0);
	CHECK_EQ_INT(n, 5);
	commit(tx);

	/* an update of other fields keeps the policy; an update of it replaces it */
	tx = begin(true);
	CHECK_EQ_INT(store_job_get(tx, "p", &o), 0);
	o.status = JD_JOB_COMPLETED;
	o.rollout_next_ms = 0;
	CHECK_EQ_INT(store_job_update(tx, &o), 0);
	jd_job_release(&o);
	CHECK_EQ_INT(store_job_get(tx, "p", &o), 0);
	CHECK_EQ_INT(o.status, JD_JOB_COMPLETED);
	check_policy(&o.policy);
	jd_job_release(&o);
	j.status = JD_JOB_CANCELED;
	j.policy.n_abort = 1;
	j.policy.present = JD_POLICY_ABORT;
	CHECK_EQ_INT(store_job_update(tx, &j), 0);
	CHECK_EQ_INT(store_job_get(tx, "p", &o), 0);
	CHECK_EQ_INT(o.policy.present, JD_POLICY_ABORT);
	CHECK_EQ_INT(o.policy.n_abort, 1);
	CHECK(o.policy.abort[0].threshold_pct == 12.5);
	jd_job_release(&o);
	commit(tx);
	core_policy_release(&j.policy);
}

/* A list callback may call other operations, the same list included. */
static int
nested_cb(void *arg, const struct jd_job *j)
{
	struct store_tx *tx = arg;
	struct coll c = {BUF_INIT, 0, 0};
	int rc = store_job_list_by_group(tx, "g", job_cb, &c);

	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_STR(coll_str(&c), "a,b");
	buf_free(&c.b);
	mk_exec(tx, j->job_id, "t", 1, JD_EXEC_QUEUED, NULL, 1);
	return 0;
}

TEST(t_nested_cb)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	tx = begin(true);
	mk_job(tx, "a", JD_JOB_IN_PROGRESS, JD_SEL_CONTINUOUS, NULL);
	mk_job(tx, "b", JD_JOB_IN_PROGRESS, JD_SEL_CONTINUOUS, NULL);
	CHECK_EQ_INT(store_job_target_add(tx, "a", "g"), 0);
	CHECK_EQ_INT(store_job_target_add(tx, "b", "g"), 0);
	CHECK_EQ_INT(store_job_list_by_group(tx, "g", nested_cb, tx), 0);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "b/t/1,a/t/1");
	commit(tx);
	buf_free(&c.b);
}

/* ---- executions --------------------------------------------------------- */

TEST(t_exec_crud)
{
	struct store_tx *tx;
	struct jd_exec x = {0}, o;
	int64_t n = -1, seq1;

	fresh();
	tx = begin(true);
	jd_strlcpy(x.job_id, "job", sizeof(x.job_id));
	jd_strlcpy(x.thing_name, "thing", sizeof(x.thing_name));
	x.number = 1;
	x.seq = 12345; /* ignored */
	x.status = JD_EXEC_IN_PROGRESS;
	x.force_canceled = true;
	jd_strlcpy(x.namespace_id, "ns", sizeof(x.namespace_id));
	x.details = (char *)"{\"step\":\"2\"}";
	x.queued_ms = 1700000000010;
	x.started_ms = 1700000000020;
	x.updated_ms = 1700000000030;
	x.version = 3;
	x.retry_attempt = 2;
	x.inprogress_deadline = 1700000600000;
	x.step_deadline = 1700000060000;
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	CHECK(x.seq > 0 && x.seq != 12345);
	seq1 = x.seq;
	CHECK_EQ_INT(store_exec_insert(tx, &x), JD_EEXISTS);

	CHECK_EQ_INT(store_exec_get(tx, "job", "thing", 1, &o), 0);
	CHECK_EQ_STR(o.job_id, "job");
	CHECK_EQ_STR(o.thing_name, "thing");
	CHECK_EQ_INT(o.number, 1);
	CHECK_EQ_INT(o.seq, seq1);
	CHECK_EQ_INT(o.status, JD_EXEC_IN_PROGRESS);
	CHECK(o.force_canceled);
	CHECK_EQ_STR(o.namespace_id, "ns");
	CHECK_EQ_STR(o.details, "{\"step\":\"2\"}");
	CHECK_EQ_INT(o.queued_ms, 1700000000010);
	CHECK_EQ_INT(o.started_ms, 1700000000020);
	CHECK_EQ_INT(o.updated_ms, 1700000000030);
	CHECK_EQ_INT(o.version, 3);
	CHECK_EQ_INT(o.retry_attempt, 2);
	CHECK_EQ_INT(o.inprogress_deadline, 1700000600000);
	CHECK_EQ_INT(o.step_deadline, 1700000060000);
	jd_exec_release(&o);

	/* number 0 is the latest; a new number gets a larger seq */
	mk_exec(tx, "job", "thing", 2, JD_EXEC_QUEUED, "ns", 5);
	CHECK_EQ_INT(store_exec_get(tx, "job", "thing", 0, &o), 0);
	CHECK_EQ_INT(o.number, 2);
	CHECK(o.seq > seq1);
	jd_exec_release(&o);
	CHECK_EQ_INT(store_exec_max_number(tx, "job", "thing", &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_exec_max_number(tx, "job", "other", &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_exec_get(tx, "job", "thing", 3, &o), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get(tx, "job", "other", 0, &o), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get(tx, "nojob", "thing", 1, &o), JD_ENOTFOUND);

	/* update every mutable field */
	x.status = JD_EXEC_SUCCEEDED;
	x.force_canceled = false;
	x.namespace_id[0] = '\0';
	x.details = NULL;
	x.queued_ms = 1;
	x.started_ms = 2;
	x.updated_ms = 3;
	x.version = 4;
	x.retry_attempt = 0;
	x.inprogress_deadline = 0;
	x.step_deadline = 0;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "job", "thing", 1, &o), 0);
	CHECK_EQ_INT(o.seq, seq1);
	CHECK_EQ_INT(o.status, JD_EXEC_SUCCEEDED);
	CHECK(!o.force_canceled);
	CHECK_EQ_STR(o.namespace_id, "");
	CHECK(o.details == NULL);
	CHECK_EQ_INT(o.queued_ms, 1);
	CHECK_EQ_INT(o.started_ms, 2);
	CHECK_EQ_INT(o.updated_ms, 3);
	CHECK_EQ_INT(o.version, 4);
	CHECK_EQ_INT(o.retry_attempt, 0);
	CHECK_EQ_INT(o.inprogress_deadline, 0);
	CHECK_EQ_INT(o.step_deadline, 0);
	jd_exec_release(&o);

	x.number = 9;
	CHECK_EQ_INT(store_exec_update(tx, &x), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_delete(tx, "job", "thing", 2), 0);
	CHECK_EQ_INT(store_exec_delete(tx, "job", "thing", 2), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get(tx, "job", "thing", 2, &o), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_max_number(tx, "job", "thing", &n), 0);
	CHECK_EQ_INT(n, 1); /* decisions D4: a deleted highest number can be reused */
	commit(tx);
}

/* Integers at their extremes come back as stored (PostgreSQL reads its
 * integer columns with its own parser, pg_int.h pg__i64). */
TEST(t_exec_int_extremes)
{
	struct store_tx *tx;
	struct jd_exec x = {0}, o;

	fresh();
	jd_strlcpy(x.job_id, "ij", sizeof(x.job_id));
	jd_strlcpy(x.thing_name, "t", sizeof(x.thing_name));
	x.number = INT64_MAX;
	x.status = JD_EXEC_IN_PROGRESS;
	x.queued_ms = 1765000000123;
	x.started_ms = -7;
	x.updated_ms = INT64_MIN;
	x.version = INT64_MAX - 1;
	x.retry_attempt = 0;
	x.inprogress_deadline = 9000000000000000000;
	tx = begin(true);
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "ij", "t", INT64_MAX, &o), 0);
	CHECK_EQ_INT(o.number, INT64_MAX);
	CHECK_EQ_INT(o.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(o.queued_ms, 1765000000123);
	CHECK_EQ_INT(o.started_ms, -7);
	CHECK_EQ_INT(o.updated_ms, INT64_MIN);
	CHECK_EQ_INT(o.version, INT64_MAX - 1);
	CHECK_EQ_INT(o.retry_attempt, 0);
	CHECK_EQ_INT(o.inprogress_deadline, 9000000000000000000);
	CHECK_EQ_INT(o.step_deadline, 0);
	CHECK(o.seq > 0);
	jd_exec_release(&o);
	commit(tx);
}

TEST(t_exec_list_job)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	tx = begin(true);
	mk_exec(tx, "j", "t2", 1, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "j", "t1", 2, JD_EXEC_QUEUED, NULL, 2);
	mk_exec(tx, "j", "t1", 1, JD_EXEC_FAILED, NULL, 3);
	mk_exec(tx, "j", "t3", 1, JD_EXEC_IN_PROGRESS, NULL, 4);
	mk_exec(tx, "j", "t2", 2, JD_EXEC_SUCCEEDED, NULL, 5);
	mk_exec(tx, "other", "t1", 1, JD_EXEC_QUEUED, NULL, 6);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/t1/1,j/t1/2,j/t2/1,j/t2/2,j/t3/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, "", 0, 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/t1/1,j/t1/2");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, "t1", 2, 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/t2/1,j/t2/2");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, "t2", 1, 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/t2/2,j/t3/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, "t3", 1, 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", JD_EXEC_FAILED, NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/t1/1,j/t2/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -2, NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/t1/2,j/t3/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_job(tx, "none", -1, NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	commit(tx);
	buf_free(&c.b);
}

TEST(t_exec_list_thing)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	struct jd_exec_filter f = {-1, NULL, NULL};
	int64_t s[7];

	fresh();
	tx = begin(true);
	s[1] = mk_exec(tx, "j1", "t", 1, JD_EXEC_SUCCEEDED, NULL, 100);
	s[2] = mk_exec(tx, "j2", "t", 1, JD_EXEC_QUEUED, "ns", 50);
	s[3] = mk_exec(tx, "j3", "t", 1, JD_EXEC_IN_PROGRESS, NULL, 300);
	s[4] = mk_exec(tx, "j1", "t", 2, JD_EXEC_QUEUED, NULL, 400);
	s[5] = mk_exec(tx, "j4", "u", 1, JD_EXEC_QUEUED, NULL, 500);
	s[6] = mk_exec(tx, "j5", "t", 1, JD_EXEC_FAILED, "ns", 600);
	CHECK(s[1] < s[2] && s[2] < s[3] && s[3] < s[4] && s[4] < s[5] && s[5] < s[6]);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5/t/1,j1/t/2,j3/t/1,j2/t/1,j1/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5/t/1,j1/t/2");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, s[4], 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3/t/1,j2/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, s[2], 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/1");
	coll_reset(&c);
	f.status = -2;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2,j3/t/1,j2/t/1");
	coll_reset(&c);
	f.status = JD_EXEC_QUEUED;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2,j2/t/1");
	coll_reset(&c);
	f.status = -1;
	f.job_id = "j1";
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2,j1/t/1");
	coll_reset(&c);
	f.job_id = NULL;
	f.namespace_id = "ns";
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5/t/1,j2/t/1");
	coll_reset(&c);
	f.namespace_id = "";
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2,j3/t/1,j1/t/1");
	coll_reset(&c);
	f.status = -2;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2,j3/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_thing(tx, "nobody", NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	/* one job's executions, by seq, with the cursor and a status */
	f.status = -1;
	f.namespace_id = NULL;
	f.job_id = "j1";
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, s[4], 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/1");
	coll_reset(&c);
	f.status = JD_EXEC_QUEUED;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 1, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2");
	coll_reset(&c);
	f.status = -2;
	f.job_id = "j5";
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	commit(tx);

	/* an execution that ends keeps its place (its seq), and a cursor past
	 * it pages the same whether the rest are pending or ended (issue 15:
	 * the backends may keep the two apart) */
	tx = begin(true);
	{
		struct jd_exec x;

		CHECK_EQ_INT(store_exec_get(tx, "j3", "t", 1, &x), 0);
		x.status = JD_EXEC_SUCCEEDED;
		CHECK_EQ_INT(store_exec_update(tx, &x), 0);
		jd_exec_release(&x);
		CHECK_EQ_INT(store_exec_get(tx, "j5", "t", 1, &x), 0);
		x.status = JD_EXEC_IN_PROGRESS;
		CHECK_EQ_INT(store_exec_update(tx, &x), 0);
		jd_exec_release(&x);
	}
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5/t/1,j1/t/2,j3/t/1,j2/t/1,j1/t/1");
	coll_reset(&c);
	f.status = -1;
	f.job_id = NULL;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, s[6], 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j1/t/2,j3/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, s[3], 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j2/t/1,j1/t/1");
	coll_reset(&c);
	f.status = JD_EXEC_SUCCEEDED;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j3/t/1,j1/t/1");
	coll_reset(&c);
	f.status = -2;
	CHECK_EQ_INT(store_exec_list_thing(tx, "t", &f, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j5/t/1,j1/t/2,j2/t/1");
	commit(tx);
	buf_free(&c.b);
}

TEST(t_exec_pending)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	tx = begin(true);
	/* queued_ms ties are broken by seq (insertion order) */
	mk_exec(tx, "q1", "t", 1, JD_EXEC_QUEUED, NULL, 300);
	mk_exec(tx, "p1", "t", 1, JD_EXEC_IN_PROGRESS, NULL, 500);
	mk_exec(tx, "q2", "t", 1, JD_EXEC_QUEUED, NULL, 100);
	mk_exec(tx, "done", "t", 1, JD_EXEC_SUCCEEDED, NULL, 50);
	mk_exec(tx, "q3", "t", 1, JD_EXEC_QUEUED, NULL, 300);
	mk_exec(tx, "p2", "t", 1, JD_EXEC_IN_PROGRESS, NULL, 200);
	mk_exec(tx, "nsq", "t", 1, JD_EXEC_QUEUED, "ns", 10);
	mk_exec(tx, "nsp", "t", 1, JD_EXEC_IN_PROGRESS, "ns", 20);
	mk_exec(tx, "nsx", "t", 1, JD_EXEC_QUEUED, "ns2", 30);
	mk_exec(tx, "q1", "u", 1, JD_EXEC_QUEUED, NULL, 1);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_exec_pending(tx, "t", "", 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "p2/t/1,p1/t/1,q2/t/1,q1/t/1,q3/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_pending(tx, "t", NULL, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "p2/t/1,p1/t/1,q2/t/1,q1/t/1,q3/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_pending(tx, "t", "", 3, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "p2/t/1,p1/t/1,q2/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_pending(tx, "t", "ns", 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "nsp/t/1,nsq/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_pending(tx, "t", "ns2", 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "nsx/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_pending(tx, "nobody", "", 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	commit(tx);

	tx = begin(true);
	mk_exec(tx, "q1", "v", 1, JD_EXEC_IN_PROGRESS, NULL, 1);
	mk_exec(tx, "q1", "w", 1, JD_EXEC_CANCELED, NULL, 1);
	mk_exec(tx, "q1", "x", 1, JD_EXEC_REMOVED, NULL, 1);
	mk_exec(tx, "q1", "x", 2, JD_EXEC_QUEUED, NULL, 1);
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_pending_job(tx, "q1", exec_cb, &c), 0);
	/* any order: compare as a set via sorted insertion is overkill; check count */
	CHECK_EQ_INT(c.n, 4);
	CHECK(strstr(coll_str(&c), "q1/t/1") != NULL);
	CHECK(strstr(coll_str(&c), "q1/u/1") != NULL);
	CHECK(strstr(coll_str(&c), "q1/v/1") != NULL);
	CHECK(strstr(coll_str(&c), "q1/x/2") != NULL);
	commit(tx);
	buf_free(&c.b);
}

TEST(t_exec_counts)
{
	struct store_tx *tx;
	struct jd_counts k;
	int64_t n = -1;

	fresh();
	tx = begin(true);
	/* t1: FAILED then a retry IN_PROGRESS: counts as IN_PROGRESS only */
	mk_exec(tx, "j", "t1", 1, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "j", "t1", 2, JD_EXEC_IN_PROGRESS, NULL, 2);
	/* t2: TIMED_OUT, TIMED_OUT, SUCCEEDED */
	mk_exec(tx, "j", "t2", 1, JD_EXEC_TIMED_OUT, NULL, 1);
	mk_exec(tx, "j", "t2", 3, JD_EXEC_SUCCEEDED, NULL, 3);
	mk_exec(tx, "j", "t2", 2, JD_EXEC_TIMED_OUT, NULL, 2);
	mk_exec(tx, "j", "t3", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "t4", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "t5", 1, JD_EXEC_REJECTED, NULL, 1);
	mk_exec(tx, "other", "t1", 1, JD_EXEC_QUEUED, NULL, 1);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 2);
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_FAILED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_TIMED_OUT], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_REJECTED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_REMOVED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_CANCELED], 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(store_exec_counts(tx, "none", &k), 0);
	for (int i = 0; i < JD_EXEC__COUNT; i++)
		CHECK_EQ_INT(k.n[i], 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "none", &n), 0);
	CHECK_EQ_INT(n, 0);
	commit(tx);
}

/* begin_one (one operation, its own snapshot) and job_get_counts: what the
 * hot reads of DescribeJob, DescribeJobExecution, DescribeThing and
 * ListJobExecutionsForJob use (issue 10). */
static struct store_tx *
begin_one(void)
{
	struct store_tx *tx = NULL;

	CHECK_EQ_INT(store_begin_one(S, &tx), 0);
	CHECK(tx != NULL && !store__tx(tx)->write);
	return tx;
}

TEST(t_read_one)
{
	struct store_tx *tx;
	struct jd_counts k, k2;
	struct jd_job j;
	struct jd_thing t;
	struct jd_exec x;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	tx = begin(true);
	mk_thing(tx, "t1", NULL, "{\"a\":\"1\"}");
	mk_job(tx, "j", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, "ns");
	mk_job(tx, "empty", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_exec(tx, "j", "t1", 1, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "j", "t1", 2, JD_EXEC_IN_PROGRESS, NULL, 2);
	mk_exec(tx, "j", "t2", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "t3", 1, JD_EXEC_SUCCEEDED, NULL, 1);
	commit(tx);

	/* job_get_counts = job_get + exec_counts, on either kind of read */
	for (int i = 0; i < 2; i++) {
		memset(&j, 0xa5, sizeof(j));
		memset(&k, 0xa5, sizeof(k));
		tx = i == 0 ? begin_one() : begin(false);
		CHECK_EQ_INT(store_job_get_counts(tx, "j", &j, &k), 0);
		commit(tx);
		CHECK_EQ_STR(j.job_id, "j");
		CHECK_EQ_STR(j.namespace_id, "ns");
		CHECK_EQ_STR(j.document, "{}");
		CHECK_EQ_INT(j.status, JD_JOB_IN_PROGRESS);
		jd_job_release(&j);
		tx = begin(false);
		CHECK_EQ_INT(store_exec_counts(tx, "j", &k2), 0);
		commit(tx);
		for (int s = 0; s < JD_EXEC__COUNT; s++)
			CHECK_EQ_INT(k.n[s], k2.n[s]);
		CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 1);
		CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 1);
		CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 1);
		CHECK_EQ_INT(k.n[JD_EXEC_FAILED], 0);
	}
	/* no counts yet: zeros; no job: JD_ENOTFOUND */
	memset(&k, 0xa5, sizeof(k));
	memset(&j, 0, sizeof(j));
	tx = begin_one();
	CHECK_EQ_INT(store_job_get_counts(tx, "empty", &j, &k), 0);
	store_rollback(tx);
	jd_job_release(&j);
	for (int s = 0; s < JD_EXEC__COUNT; s++)
		CHECK_EQ_INT(k.n[s], 0);
	tx = begin_one();
	CHECK_EQ_INT(store_job_get_counts(tx, "none", &j, &k), JD_ENOTFOUND);
	commit(tx);

	/* each hot read in a one-operation read, committed or rolled back */
	memset(&t, 0, sizeof(t));
	tx = begin_one();
	CHECK_EQ_INT(store_thing_get(tx, "t1", &t), 0);
	commit(tx);
	CHECK_EQ_STR(t.id, "id-t1");
	jd_thing_release(&t);
	tx = begin_one();
	CHECK_EQ_INT(store_thing_get(tx, "nope", &t), JD_ENOTFOUND);
	store_rollback(tx);
	memset(&x, 0, sizeof(x));
	tx = begin_one();
	CHECK_EQ_INT(store_exec_get(tx, "j", "t1", 0, &x), 0);
	store_rollback(tx);
	CHECK_EQ_INT(x.number, 2);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	jd_exec_release(&x);
	tx = begin_one();
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, NULL, 0, 0, exec_cb, &c), 0);
	commit(tx);
	CHECK_EQ_STR(coll_str(&c), "j/t1/1,j/t1/2,j/t2/1,j/t3/1");

	/* a one-operation read sees what was committed before it, and the
	 * connection it used serves full read transactions afterwards */
	tx = begin(true);
	mk_thing(tx, "t9", NULL, NULL);
	commit(tx);
	for (int i = 0; i < 20; i++) {
		memset(&t, 0, sizeof(t));
		tx = i % 2 ? begin_one() : begin(false);
		CHECK_EQ_INT(store_thing_get(tx, "t9", &t), 0);
		if (i % 2 == 0) {
			jd_thing_release(&t);
			CHECK_EQ_INT(store_thing_get(tx, "t1", &t), 0);
		}
		commit(tx);
		jd_thing_release(&t);
	}
	buf_free(&c.b);
}

/* What a write learns for the operation after it (the PostgreSQL backend
 * answers group_list_dynamic after thing_insert, and exec_active_count after
 * exec_update and exec_delete, from the write's own statement): whatever
 * runs in between, the answers are those of the store as it is. */
TEST(t_write_then_read)
{
	struct store_tx *tx;
	struct jd_group g = {0};
	struct jd_thing t = {0};
	struct jd_exec x;
	struct coll c = {BUF_INIT, 0, 0};
	int64_t n = -1;

	fresh();
	tx = begin(true);
	mk_thing(tx, "a", NULL, NULL);
	CHECK_EQ_INT(store_group_list_dynamic(tx, "", 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	/* a duplicate insert says JD_EEXISTS, and lists the same */
	jd_strlcpy(t.name, "a", sizeof(t.name));
	jd_strlcpy(t.id, "other", sizeof(t.id));
	CHECK_EQ_INT(store_thing_insert(tx, &t), JD_EEXISTS);
	CHECK_EQ_INT(store_group_list_dynamic(tx, "", 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	/* a dynamic group made after the insert is listed */
	mk_thing(tx, "b", NULL, NULL);
	jd_strlcpy(g.name, "dyn", sizeof(g.name));
	jd_strlcpy(g.id, "gid-dyn", sizeof(g.id));
	g.version = 1;
	g.query_string = (char *)"thingName:a*";
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);
	CHECK_EQ_INT(store_group_list_dynamic(tx, "", 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "dyn");
	coll_reset(&c);
	/* and with one, an insert lists it */
	mk_thing(tx, "c", NULL, NULL);
	CHECK_EQ_INT(store_group_list_dynamic(tx, "", 0, group_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "dyn");
	commit(tx);

	tx = begin(true);
	mk_exec(tx, "j", "a", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "b", 1, JD_EXEC_IN_PROGRESS, NULL, 1);
	mk_exec(tx, "j", "c", 1, JD_EXEC_SUCCEEDED, NULL, 1);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 1, &x), 0);
	x.status = JD_EXEC_IN_PROGRESS; /* pending to pending */
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	x.status = JD_EXEC_SUCCEEDED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 1);
	x.status = JD_EXEC_SUCCEEDED; /* no change */
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 1);
	/* an insert between the update and the count */
	x.status = JD_EXEC_QUEUED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	mk_exec(tx, "j", "c", 2, JD_EXEC_QUEUED, NULL, 2);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 3);
	jd_exec_release(&x);
	/* deletes: a pending row, a finished one, a missing one */
	CHECK_EQ_INT(store_exec_delete(tx, "j", "b", 1), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "c", 1), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "zz", 1), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	/* a rolled-back change leaves the counts as they were */
	commit(tx);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "a", 1), 0);
	store_rollback(tx);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	commit(tx);
	buf_free(&c.b);
}

/* exec_counts_all (issue 14, /metrics): every execution row by status,
 * across jobs; all zero on an empty store. */
TEST(t_exec_counts_all)
{
	struct store_tx *tx;
	struct jd_counts k;

	fresh();
	tx = begin(false);
	CHECK_EQ_INT(store_exec_counts_all(tx, &k), 0);
	for (int i = 0; i < JD_EXEC__COUNT; i++)
		CHECK_EQ_INT(k.n[i], 0);
	commit(tx);
	tx = begin(true);
	mk_exec(tx, "j", "t1", 1, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "j", "t1", 2, JD_EXEC_IN_PROGRESS, NULL, 2);
	mk_exec(tx, "j", "t2", 1, JD_EXEC_TIMED_OUT, NULL, 1);
	mk_exec(tx, "j", "t2", 2, JD_EXEC_TIMED_OUT, NULL, 2);
	mk_exec(tx, "j", "t3", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "k", "t1", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "k", "t2", 1, JD_EXEC_CANCELED, NULL, 1);
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_counts_all(tx, &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 2);
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_FAILED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_TIMED_OUT], 2);
	CHECK_EQ_INT(k.n[JD_EXEC_REJECTED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_REMOVED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_CANCELED], 1);
	commit(tx);
}

/*
 * Brute-force recount: list every execution of the job (ordered by thing,
 * then number), take each thing's highest number as its latest, and count
 * QUEUED or IN_PROGRESS executions of any number.
 */
struct recount {
	struct jd_counts k;
	int64_t active;
	char thing[JD_THING_NAME_MAX + 1];
	int last_status; /* of the current thing's highest number so far */
	bool any;
};

static int
recount_cb(void *arg, const struct jd_exec *x)
{
	struct recount *r = arg;

	if (r->any && strcmp(r->thing, x->thing_name) != 0)
		r->k.n[r->last_status]++;
	jd_strlcpy(r->thing, x->thing_name, sizeof(r->thing));
	r->last_status = x->status;
	r->any = true;
	if (x->status == JD_EXEC_QUEUED || x->status == JD_EXEC_IN_PROGRESS)
		r->active++;
	return 0;
}

/* Compare the store's counts of job with a recount; `where` names the step. */
static void
check_counts(struct store_tx *tx, const char *job, const char *where)
{
	struct recount r;
	struct jd_counts k;
	int64_t active = -1;
	int bad = 0;

	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(store_exec_list_job(tx, job, -1, NULL, 0, 0, recount_cb, &r), 0);
	if (r.any)
		r.k.n[r.last_status]++;
	CHECK_EQ_INT(store_exec_counts(tx, job, &k), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, job, &active), 0);
	for (int i = 0; i < JD_EXEC__COUNT; i++)
		if (k.n[i] != r.k.n[i])
			bad++;
	if (active != r.active)
		bad++;
	if (bad > 0) {
		fprintf(stderr, "counts of %s after %s:", job, where);
		for (int i = 0; i < JD_EXEC__COUNT; i++)
			fprintf(stderr, " [%d] %lld/%lld", i, (long long)k.n[i],
			    (long long)r.k.n[i]);
		fprintf(stderr, " active %lld/%lld (store/recount)\n", (long long)active,
		    (long long)r.active);
	}
	CHECK_EQ_INT(bad, 0);
}

static void
set_status(struct store_tx *tx, const char *job, const char *thing, int64_t number, int status)
{
	struct jd_exec x;

	CHECK_EQ_INT(store_exec_get(tx, job, thing, number, &x), 0);
	x.status = status;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
}

/* exec_insert_first: the rows as exec_insert makes them, counts right, and
 * the per-row trigger back on for later inserts (also after a rollback). */
TEST(t_exec_insert_first)
{
	struct store_tx *tx;
	struct jd_exec xs[3], x;
	struct jd_counts k;
	const char *things[3] = {"b1", "b2", "b3"};
	int64_t before;

	fresh();
	tx = begin(true);
	before = mk_exec(tx, "j", "t0", 1, JD_EXEC_SUCCEEDED, NULL, 1);
	memset(xs, 0, sizeof(xs));
	for (int i = 0; i < 3; i++) {
		jd_strlcpy(xs[i].job_id, "j", sizeof(xs[i].job_id));
		jd_strlcpy(xs[i].thing_name, things[i], sizeof(xs[i].thing_name));
		jd_strlcpy(xs[i].namespace_id, "ns", sizeof(xs[i].namespace_id));
		xs[i].number = 1;
		xs[i].status = JD_EXEC_QUEUED;
		xs[i].queued_ms = xs[i].updated_ms = 7;
		xs[i].version = 1;
	}
	CHECK_EQ_INT(store_exec_insert_first(tx, xs, 3), 0);
	CHECK(xs[0].seq > before && xs[1].seq == xs[0].seq + 1 && xs[2].seq == xs[0].seq + 2);
	CHECK_EQ_INT(store_exec_get(tx, "j", "b2", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	CHECK_EQ_STR(x.namespace_id, "ns");
	CHECK_EQ_INT(x.seq, xs[1].seq);
	CHECK_EQ_INT(x.queued_ms, 7);
	jd_exec_release(&x);
	check_counts(tx, "j", "insert_first");
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 3);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 1);
	/* the trigger counts ordinary inserts again */
	mk_exec(tx, "j", "b1", 2, JD_EXEC_IN_PROGRESS, NULL, 8);
	check_counts(tx, "j", "insert after insert_first");
	/* mixed jobs or statuses are refused, nothing written */
	jd_strlcpy(xs[1].job_id, "other", sizeof(xs[1].job_id));
	CHECK_EQ_INT(store_exec_insert_first(tx, xs, 3), JD_EINVAL);
	CHECK_EQ_INT(store_exec_insert_first(tx, xs, 0), 0);
	commit(tx);

	/* a failing batch (a duplicate key) rolled back leaves the trigger on */
	tx = begin(true);
	jd_strlcpy(xs[1].job_id, "j", sizeof(xs[1].job_id));
	jd_strlcpy(xs[0].thing_name, "n1", sizeof(xs[0].thing_name));
	CHECK(store_exec_insert_first(tx, xs, 3) != 0); /* b2, b3 exist */
	store_rollback(tx);
	tx = begin(true);
	mk_exec(tx, "j", "n2", 1, JD_EXEC_QUEUED, NULL, 9);
	check_counts(tx, "j", "insert after a failed insert_first");
	CHECK_EQ_INT(store_exec_get(tx, "j", "n1", 1, &x), JD_ENOTFOUND);
	commit(tx);
}

/* Counts after every kind of change, against a recount and known values. */
TEST(t_exec_counts_changes)
{
	struct store_tx *tx;
	struct jd_counts k;
	struct jd_exec x;
	int64_t n = -1;
	char thing[32];

	fresh();
	tx = begin(true);
	mk_exec(tx, "j", "t1", 1, JD_EXEC_QUEUED, NULL, 1);
	check_counts(tx, "j", "insert");
	/* a lower number inserted after a higher one does not become the latest */
	mk_exec(tx, "j", "t2", 3, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "j", "t2", 1, JD_EXEC_IN_PROGRESS, NULL, 1);
	check_counts(tx, "j", "insert lower number");
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_FAILED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2); /* t1#1 QUEUED and t2#1 IN_PROGRESS, latest or not */
	/* a newer number replaces the previous latest */
	mk_exec(tx, "j", "t1", 2, JD_EXEC_IN_PROGRESS, NULL, 2);
	check_counts(tx, "j", "insert newer number");
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_IN_PROGRESS], 1);
	commit(tx);

	tx = begin(true);
	set_status(tx, "j", "t1", 2, JD_EXEC_SUCCEEDED);
	check_counts(tx, "j", "update latest");
	set_status(tx, "j", "t1", 1, JD_EXEC_CANCELED);
	check_counts(tx, "j", "update non-latest");
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_CANCELED], 0);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 1);
	/* an update that keeps the status */
	CHECK_EQ_INT(store_exec_get(tx, "j", "t2", 3, &x), 0);
	x.version++;
	x.updated_ms = 99;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	check_counts(tx, "j", "update without status change");
	/* deleting the latest makes the next-highest the latest */
	CHECK_EQ_INT(store_exec_delete(tx, "j", "t1", 2), 0);
	check_counts(tx, "j", "delete latest");
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_CANCELED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_SUCCEEDED], 0);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "t2", 1), 0);
	check_counts(tx, "j", "delete non-latest");
	CHECK_EQ_INT(store_exec_delete(tx, "j", "t2", 3), 0);
	check_counts(tx, "j", "delete the only one");
	commit(tx);

	/* a rolled-back change leaves the counts as they were */
	tx = begin(true);
	mk_exec(tx, "j", "t1", 5, JD_EXEC_QUEUED, NULL, 5);
	set_status(tx, "j", "t1", 1, JD_EXEC_QUEUED);
	store_rollback(tx);
	tx = begin(false);
	check_counts(tx, "j", "rollback");
	CHECK_EQ_INT(store_exec_counts(tx, "j", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_CANCELED], 1);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 0);
	commit(tx);

	/* exec_delete_job in batches, several numbers per thing, another job untouched */
	tx = begin(true);
	for (int i = 0; i < 12; i++) {
		snprintf(thing, sizeof(thing), "d%02d", i);
		for (int num = 1; num <= 1 + i % 3; num++)
			mk_exec(tx, "d", thing, num, (i + num) % JD_EXEC__COUNT, NULL, num);
		mk_exec(tx, "keep", thing, 1, JD_EXEC_QUEUED, NULL, 1);
	}
	check_counts(tx, "d", "bulk insert");
	commit(tx);
	for (;;) {
		tx = begin(true);
		CHECK_EQ_INT(store_exec_delete_job(tx, "d", 5, &n), 0);
		check_counts(tx, "d", "delete_job batch");
		check_counts(tx, "keep", "delete_job of another job");
		commit(tx);
		if (n == 0)
			break;
	}
	tx = begin(true);
	CHECK_EQ_INT(store_exec_counts(tx, "d", &k), 0);
	for (int i = 0; i < JD_EXEC__COUNT; i++)
		CHECK_EQ_INT(k.n[i], 0);
	CHECK_EQ_INT(store_exec_counts(tx, "keep", &k), 0);
	CHECK_EQ_INT(k.n[JD_EXEC_QUEUED], 12);
	/* job_delete leaves no stale counts for a job id created again */
	mk_job(tx, "d", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	CHECK_EQ_INT(store_job_delete(tx, "d"), 0);
	mk_exec(tx, "d", "d00", 1, JD_EXEC_REJECTED, NULL, 1);
	check_counts(tx, "d", "job id reused");
	CHECK_EQ_INT(store_wipe(tx), 0);
	check_counts(tx, "keep", "wipe");
	check_counts(tx, "d", "wipe");
	CHECK_EQ_INT(store_exec_active_count(tx, "keep", &n), 0);
	CHECK_EQ_INT(n, 0);
	mk_exec(tx, "keep", "t", 1, JD_EXEC_QUEUED, NULL, 1);
	check_counts(tx, "keep", "insert after wipe");
	commit(tx);
}

/* A deterministic random walk of inserts, status changes and deletes. */
static uint32_t
rnd(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/* exec_active_count right after an exec_update or exec_delete of job (the
 * PostgreSQL backend answers it from the change's own statement), and of
 * another job, equal the counts read afresh after another statement. */
static void
check_active_after(struct store_tx *tx, const char *job, const char *other)
{
	int64_t right_after = -1, other_after = -1, again = -2;
	struct jd_counts k;

	CHECK_EQ_INT(store_exec_active_count(tx, job, &right_after), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, other, &other_after), 0);
	CHECK_EQ_INT(store_exec_counts(tx, job, &k), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, job, &again), 0);
	CHECK_EQ_INT(right_after, again);
	CHECK_EQ_INT(store_exec_active_count(tx, other, &again), 0);
	CHECK_EQ_INT(other_after, again);
}

TEST(t_exec_counts_random)
{
	const char *jobs[] = {"ra", "rb"};
	uint32_t seed = 12345;
	struct store_tx *tx;
	char thing[32], where[64];

	fresh();
	tx = begin(true);
	for (int step = 0; step < 1500; step++) {
		const char *job = jobs[rnd(&seed) % 2];
		int64_t number = 1 + rnd(&seed) % 4, n = 0;
		int op = (int)(rnd(&seed) % 10), status = (int)(rnd(&seed) % JD_EXEC__COUNT), rc;
		struct jd_exec x;

		snprintf(thing, sizeof(thing), "t%u", rnd(&seed) % 6);
		if (op < 5) {
			struct jd_exec y = {0};

			jd_strlcpy(y.job_id, job, sizeof(y.job_id));
			jd_strlcpy(y.thing_name, thing, sizeof(y.thing_name));
			y.number = number;
			y.status = status;
			rc = store_exec_insert(tx, &y);
			CHECK(rc == 0 || rc == JD_EEXISTS);
		} else if (op < 8) {
			rc = store_exec_get(tx, job, thing, number, &x);
			CHECK(rc == 0 || rc == JD_ENOTFOUND);
			if (rc == 0) {
				x.status = status;
				CHECK_EQ_INT(store_exec_update(tx, &x), 0);
				jd_exec_release(&x);
				check_active_after(tx, job, jobs[job == jobs[0]]);
			}
		} else if (op < 10 && step % 97 != 0) {
			rc = store_exec_delete(tx, job, thing, number);
			CHECK(rc == 0 || rc == JD_ENOTFOUND);
			if (rc == 0)
				check_active_after(tx, job, jobs[job == jobs[0]]);
		} else {
			CHECK_EQ_INT(store_exec_delete_job(tx, job, 1 + (int)(rnd(&seed) % 8), &n),
			    0);
		}
		snprintf(where, sizeof(where), "step %d (op %d)", step, op);
		check_counts(tx, jobs[0], where);
		check_counts(tx, jobs[1], where);
		if (step % 100 == 99) {
			commit(tx);
			tx = begin(true);
		}
	}
	commit(tx);
}

TEST(t_exec_delete_job)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	int64_t n = -1, total = 0;
	char thing[32];

	fresh();
	tx = begin(true);
	for (int i = 0; i < 25; i++) {
		snprintf(thing, sizeof(thing), "t%02d", i);
		mk_exec(tx, "j", thing, 1, JD_EXEC_SUCCEEDED, NULL, i);
	}
	mk_exec(tx, "k", "t00", 1, JD_EXEC_QUEUED, NULL, 1);
	commit(tx);

	for (int round = 0; round < 3; round++) {
		tx = begin(true);
		CHECK_EQ_INT(store_exec_delete_job(tx, "j", 10, &n), 0);
		CHECK_EQ_INT(n, round < 2 ? 10 : 5);
		total += n;
		commit(tx);
	}
	CHECK_EQ_INT(total, 25);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_delete_job(tx, "j", 10, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(store_exec_list_job(tx, "j", -1, NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	CHECK_EQ_INT(store_exec_list_job(tx, "k", -1, NULL, 0, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "k/t00/1");
	commit(tx);
	buf_free(&c.b);
}

static void
mk_due(struct store_tx *tx, const char *job, int status, int64_t ip, int64_t step)
{
	struct jd_exec x = {0};

	jd_strlcpy(x.job_id, job, sizeof(x.job_id));
	jd_strlcpy(x.thing_name, "t", sizeof(x.thing_name));
	x.number = 1;
	x.status = status;
	x.version = 1;
	x.inprogress_deadline = ip;
	x.step_deadline = step;
	CHECK_EQ_INT(store_exec_insert(tx, &x), 0);
}

TEST(t_exec_due)
{
	struct store_tx *tx;
	struct coll c = {BUF_INIT, 0, 0};
	struct jd_exec x;

	fresh();
	tx = begin(true);
	mk_due(tx, "none", JD_EXEC_IN_PROGRESS, 0, 0);
	mk_due(tx, "ip", JD_EXEC_IN_PROGRESS, 1000, 0);
	mk_due(tx, "step", JD_EXEC_IN_PROGRESS, 0, 900);
	mk_due(tx, "both", JD_EXEC_IN_PROGRESS, 5000, 800);  /* effective 800 */
	mk_due(tx, "both2", JD_EXEC_IN_PROGRESS, 700, 6000); /* effective 700 */
	mk_due(tx, "late", JD_EXEC_IN_PROGRESS, 2000, 3000); /* effective 2000 */
	mk_due(tx, "queued", JD_EXEC_QUEUED, 10, 10);
	mk_due(tx, "failed", JD_EXEC_FAILED, 10, 10);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_exec_due(tx, 699, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_due(tx, 1000, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "both2/t/1,both/t/1,step/t/1,ip/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_due(tx, 1000, 2, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "both2/t/1,both/t/1");
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_due(tx, INT64_MAX, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "both2/t/1,both/t/1,step/t/1,ip/t/1,late/t/1");

	/* an update moves it out (terminal) or later (new step deadline) */
	CHECK_EQ_INT(store_exec_get(tx, "both2", "t", 1, &x), 0);
	x.status = JD_EXEC_TIMED_OUT;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_get(tx, "step", "t", 1, &x), 0);
	x.step_deadline = 1500;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	coll_reset(&c);
	CHECK_EQ_INT(store_exec_due(tx, 1000, 0, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "both/t/1,ip/t/1");
	commit(tx);
	buf_free(&c.b);
}

/* ---- templates ---------------------------------------------------------- */

TEST(t_template)
{
	struct store_tx *tx;
	struct jd_template t = {0}, o;
	struct coll c = {BUF_INIT, 0, 0};
	const char *ids[] = {"tc", "ta", "td", "tb"};

	fresh();
	tx = begin(true);
	jd_strlcpy(t.id, "tpl", sizeof(t.id));
	t.description = (char *)"desc";
	t.document = (char *)"{\"a\":1}";
	t.document_source = (char *)"https://s3/x";
	t.config = (char *)"{\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":5}}";
	t.created_ms = 1700000000777;
	CHECK_EQ_INT(store_template_insert(tx, &t), 0);
	CHECK_EQ_INT(store_template_insert(tx, &t), JD_EEXISTS);
	CHECK_EQ_INT(store_template_get(tx, "tpl", &o), 0);
	CHECK_EQ_STR(o.id, "tpl");
	CHECK_EQ_STR(o.description, "desc");
	CHECK_EQ_STR(o.document, t.document);
	CHECK_EQ_STR(o.document_source, t.document_source);
	CHECK_EQ_STR(o.config, t.config);
	CHECK_EQ_INT(o.created_ms, 1700000000777);
	jd_template_release(&o);
	CHECK_EQ_INT(store_template_get(tx, "nope", &o), JD_ENOTFOUND);
	CHECK_EQ_INT(store_template_delete(tx, "tpl"), 0);
	CHECK_EQ_INT(store_template_delete(tx, "tpl"), JD_ENOTFOUND);
	CHECK_EQ_INT(store_template_get(tx, "tpl", &o), JD_ENOTFOUND);

	t.document = NULL;
	t.document_source = NULL;
	for (int i = 0; i < 4; i++) {
		jd_strlcpy(t.id, ids[i], sizeof(t.id));
		CHECK_EQ_INT(store_template_insert(tx, &t), 0);
	}
	CHECK_EQ_INT(store_template_get(tx, "ta", &o), 0);
	CHECK(o.document == NULL);
	CHECK(o.document_source == NULL);
	jd_template_release(&o);
	commit(tx);

	tx = begin(false);
	CHECK_EQ_INT(store_template_list(tx, NULL, 0, template_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "ta,tb,tc,td");
	coll_reset(&c);
	CHECK_EQ_INT(store_template_list(tx, "", 3, template_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "ta,tb,tc");
	coll_reset(&c);
	CHECK_EQ_INT(store_template_list(tx, "tc", 3, template_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "td");
	commit(tx);
	buf_free(&c.b);
}

/* ---- concurrency -------------------------------------------------------- */

#define CONC_READERS 4
#define CONC_ROUNDS 200

struct conc {
	_Atomic int done;
	_Atomic int errors;
	_Atomic int reads;
};

static int
count_cb(void *arg, const struct jd_thing *t)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

/* Each write commits two things at once, so a snapshot always sees an even count. */
static void *
conc_reader(void *arg)
{
	struct conc *k = arg;
	int last = 0;

	while (!k->done) {
		struct store_tx *tx = NULL;
		int n = 0, m = 0;

		if (store_begin(S, false, &tx) != 0) {
			k->errors++;
			continue;
		}
		if (store_thing_list(tx, NULL, NULL, 0, count_cb, &n) != 0 ||
		    store_thing_list(tx, NULL, NULL, 0, count_cb, &m) != 0)
			k->errors++;
		if (store_commit(tx) != 0)
			k->errors++;
		if (n % 2 != 0 || n != m || n < last)
			k->errors++;
		last = n;
		k->reads++;
	}
	return NULL;
}

TEST(t_concurrency)
{
	struct conc k = {0, 0, 0};
	pthread_t th[CONC_READERS];
	char name[32];
	int werr = 0;

	fresh();
	for (int i = 0; i < CONC_READERS; i++)
		pthread_create(&th[i], NULL, conc_reader, &k);
	for (int i = 0; i < CONC_ROUNDS; i++) {
		struct store_tx *tx = NULL;

		if (store_begin(S, true, &tx) != 0) {
			werr++;
			continue;
		}
		snprintf(name, sizeof(name), "c%04d-a", i);
		mk_thing(tx, name, NULL, NULL);
		snprintf(name, sizeof(name), "c%04d-b", i);
		mk_thing(tx, name, NULL, NULL);
		if (store_commit(tx) != 0)
			werr++;
	}
	/* let the readers see the final state at least once */
	while (k.reads < 2 * CONC_READERS)
		sched_yield();
	k.done = 1;
	for (int i = 0; i < CONC_READERS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ_INT(werr, 0);
	CHECK_EQ_INT(k.errors, 0);
	CHECK(k.reads > 0);

	{
		struct store_tx *tx = begin(false);
		int n = 0;

		CHECK_EQ_INT(store_thing_list(tx, NULL, NULL, 0, count_cb, &n), 0);
		CHECK_EQ_INT(n, 2 * CONC_ROUNDS);
		commit(tx);
	}
}

/*
 * More reading threads than connections (PostgreSQL's reader pool takes and
 * gives connections without a lock, conn.c): every read gets a transaction
 * nobody else holds meanwhile, and every thread finishes (no lost wake-up).
 */
#define POOL_THREADS 24
#define POOL_ROUNDS 100

struct pool_run {
	pthread_mutex_t mu;
	struct store_tx *held[POOL_THREADS];
	int errors, reads;
};

static void *
pool_reader(void *arg)
{
	struct pool_run *k = arg;

	for (int i = 0; i < POOL_ROUNDS; i++) {
		struct store_tx *tx = NULL;
		struct jd_thing t;
		int slot = -1, dup = 0;

		if (store_begin(S, false, &tx) != 0) {
			pthread_mutex_lock(&k->mu);
			k->errors++;
			pthread_mutex_unlock(&k->mu);
			continue;
		}
		pthread_mutex_lock(&k->mu);
		for (int j = 0; j < POOL_THREADS; j++) {
			dup += k->held[j] == tx;
			if (slot < 0 && k->held[j] == NULL)
				slot = j;
		}
		k->held[slot] = tx;
		k->errors += dup;
		pthread_mutex_unlock(&k->mu);
		if (i % 3 == 0)
			sched_yield(); /* hold it a little longer */
		dup = store_thing_get(tx, "p0", &t) != 0;
		if (dup == 0)
			jd_thing_release(&t);
		pthread_mutex_lock(&k->mu);
		k->errors += dup;
		k->held[slot] = NULL;
		k->reads++;
		pthread_mutex_unlock(&k->mu);
		store_rollback(tx);
	}
	return NULL;
}

TEST(t_read_pool_shared)
{
	struct pool_run k;
	pthread_t th[POOL_THREADS];
	struct store_tx *tx;

	memset(&k, 0, sizeof(k));
	pthread_mutex_init(&k.mu, NULL);
	fresh();
	tx = begin(true);
	mk_thing(tx, "p0", NULL, NULL);
	commit(tx);
	for (int i = 0; i < POOL_THREADS; i++)
		CHECK_EQ_INT(pthread_create(&th[i], NULL, pool_reader, &k), 0);
	for (int i = 0; i < POOL_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ_INT(k.errors, 0);
	CHECK_EQ_INT(k.reads, POOL_THREADS * POOL_ROUNDS);
	pthread_mutex_destroy(&k.mu);
}

/* Concurrent writers queue behind each other; none is lost. */
static void *
conc_writer(void *arg)
{
	int id = *(int *)arg;
	char name[32];

	for (int i = 0; i < 50; i++) {
		struct store_tx *tx = NULL;
		struct jd_thing t = {0};

		if (store_begin(S, true, &tx) != 0)
			continue;
		snprintf(name, sizeof(name), "w%d-%03d", id, i);
		jd_strlcpy(t.name, name, sizeof(t.name));
		if (store_thing_insert(tx, &t) != 0) {
			store_rollback(tx);
			continue;
		}
		store_commit(tx);
	}
	return NULL;
}

TEST(t_concurrent_writers)
{
	pthread_t th[4];
	int ids[4] = {0, 1, 2, 3};
	struct store_tx *tx;
	int n = 0;

	fresh();
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, conc_writer, &ids[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	tx = begin(false);
	CHECK_EQ_INT(store_thing_list(tx, NULL, NULL, 0, count_cb, &n), 0);
	CHECK_EQ_INT(n, 200);
	commit(tx);
}

/*
 * Many writers at once (the SQLite backend commits them in groups): every
 * acknowledged commit survives a close and reopen, and a writer that rolls
 * back in the middle of others leaves nothing while the others are kept.
 */
#define GC_THREADS 16
#define GC_ROUNDS 60

struct gc {
	int id;
	_Atomic int *errors;
	int committed;
};

static void *
gc_writer(void *arg)
{
	struct gc *g = arg;
	char name[32];

	for (int i = 0; i < GC_ROUNDS; i++) {
		struct store_tx *tx = NULL;
		struct jd_thing t = {0};
		bool undo = (i + g->id) % 5 == 0;

		if (store_begin(S, true, &tx) != 0) {
			(*g->errors)++;
			continue;
		}
		snprintf(name, sizeof(name), "%s%02d-%03d", undo ? "rb" : "gc", g->id, i);
		jd_strlcpy(t.name, name, sizeof(t.name));
		t.version = 1;
		if (store_thing_insert(tx, &t) != 0 || store_meta_put(tx, "last", name) != 0) {
			(*g->errors)++;
			store_rollback(tx);
			continue;
		}
		if (undo) {
			store_rollback(tx);
			continue;
		}
		if (store_commit(tx) != 0)
			(*g->errors)++;
		else
			g->committed++;
	}
	return NULL;
}

static void
reopen(void)
{
	struct jd_error e;

	store_close(S);
	S = NULL;
	jd_error_init(&e);
	if (store_open(storekit_spec, &S, &e) != 0) {
		fprintf(stderr, "reopen: %s\n", e.msg);
		exit(2);
	}
	jd_error_clear(&e);
}

static int
prefix_cb(void *arg, const struct jd_thing *t)
{
	int *n = arg;

	if (strncmp(t->name, "gc", 2) == 0)
		n[0]++;
	else if (strncmp(t->name, "rb", 2) == 0)
		n[1]++;
	return 0;
}

TEST(t_group_commit)
{
	pthread_t th[GC_THREADS];
	struct gc g[GC_THREADS];
	_Atomic int errors = 0;
	struct store_tx *tx;
	struct jd_thing t;
	int n[2] = {0, 0}, committed = 0;
	char name[32];
	char *v = NULL;

	fresh();
	for (int i = 0; i < GC_THREADS; i++) {
		g[i] = (struct gc){i, &errors, 0};
		pthread_create(&th[i], NULL, gc_writer, &g[i]);
	}
	for (int i = 0; i < GC_THREADS; i++) {
		pthread_join(th[i], NULL);
		committed += g[i].committed;
	}
	CHECK_EQ_INT(errors, 0);
	CHECK_EQ_INT(committed, GC_THREADS * GC_ROUNDS * 4 / 5);

	reopen();
	tx = begin(false);
	CHECK_EQ_INT(store_thing_list(tx, NULL, NULL, 0, prefix_cb, n), 0);
	CHECK_EQ_INT(n[0], committed);
	CHECK_EQ_INT(n[1], 0);
	for (int i = 0; i < GC_THREADS; i++) {
		for (int r = 0; r < GC_ROUNDS; r++) {
			bool undo = (r + i) % 5 == 0;

			snprintf(name, sizeof(name), "%s%02d-%03d", undo ? "rb" : "gc", i, r);
			CHECK_EQ_INT(store_thing_get(tx, name, &t), undo ? JD_ENOTFOUND : 0);
			if (!undo)
				jd_thing_release(&t);
		}
	}
	/* the last write of meta "last" is one of the committed ones */
	CHECK_EQ_INT(store_meta_get(tx, "last", &v), 0);
	CHECK(v != NULL && strncmp(v, "gc", 2) == 0);
	free(v);
	commit(tx);
}

/*
 * A writer waits for the write connection at most JD_STORE_BUSY_MS from its
 * arrival (both backends queue waiters in arrival order and hand the
 * connection to the first): behind a transaction that holds it longer, the
 * waiter answers JD_EUNAVAIL, and the store is whole afterwards; a waiter
 * handed the connection in time writes, in turn, and commits.
 */
struct held {
	int64_t hold_ms;
	int rc;
};

static void *
hold_writer(void *arg)
{
	struct held *h = arg;
	struct store_tx *tx = begin(true);
	struct jd_thing t = {0};

	jd_strlcpy(t.name, "holder", sizeof(t.name));
	t.version = 1;
	h->rc = store_thing_insert(tx, &t);
	usleep((useconds_t)(h->hold_ms * 1000));
	if (h->rc == 0)
		h->rc = store_commit(tx);
	else
		store_rollback(tx);
	return NULL;
}

/* Begin a write after `after_ms`, insert thing `name`, commit: the outcome. */
static int
late_writer(const char *name, int64_t after_ms)
{
	struct store_tx *tx = NULL;
	struct jd_thing t = {0};
	int rc;

	usleep((useconds_t)(after_ms * 1000));
	if ((rc = store_begin(S, true, &tx)) != 0)
		return rc;
	jd_strlcpy(t.name, name, sizeof(t.name));
	t.version = 1;
	if ((rc = store_thing_insert(tx, &t)) != 0) {
		store_rollback(tx);
		return rc;
	}
	return store_commit(tx);
}

TEST(t_writer_wait_deadline)
{
	struct held h = {JD_STORE_BUSY_MS + 1500, -1};
	struct store_tx *tx;
	struct jd_thing t;
	pthread_t th;

	fresh();
	/* held past the deadline: the waiter gives up, the holder commits */
	pthread_create(&th, NULL, hold_writer, &h);
	CHECK_EQ_INT(late_writer("waiter", 200), JD_EUNAVAIL);
	pthread_join(th, NULL);
	CHECK_EQ_INT(h.rc, 0);
	/* held briefly: the waiters are handed the connection in turn */
	h = (struct held){300, -1};
	pthread_create(&th, NULL, hold_writer, &h);
	CHECK_EQ_INT(late_writer("after", 100), 0);
	pthread_join(th, NULL);
	CHECK_EQ_INT(h.rc, JD_EEXISTS); /* "holder" is there from the first round */
	tx = begin(false);
	CHECK_EQ_INT(store_thing_get(tx, "holder", &t), 0);
	jd_thing_release(&t);
	CHECK_EQ_INT(store_thing_get(tx, "after", &t), 0);
	jd_thing_release(&t);
	CHECK_EQ_INT(store_thing_get(tx, "waiter", &t), JD_ENOTFOUND);
	commit(tx);
	/* and the writer is free again */
	CHECK_EQ_INT(late_writer("last", 0), 0);
}

/*
 * A change of the execution just read (CancelJobExecution and
 * DeleteJobExecution read, check, then change; the PostgreSQL backend
 * defers that change to the next statement or the commit): what follows in
 * the same transaction sees it, the active count after it is right, a read
 * of the pending list in between changes nothing, a rollback undoes it, a
 * change of another row than the one read is not mistaken for it.
 */
TEST(t_change_after_read)
{
	struct store_tx *tx;
	struct jd_exec x, y;
	struct coll c = {BUF_INIT, 0, 0};
	int64_t n = -1;

	fresh();
	tx = begin(true);
	mk_exec(tx, "j", "a", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "a", 2, JD_EXEC_IN_PROGRESS, NULL, 2);
	mk_exec(tx, "j", "b", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "c", 1, JD_EXEC_SUCCEEDED, NULL, 1);
	commit(tx);

	/* cancel the latest of a: read, list its pending ones, change, count */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	CHECK_EQ_INT(x.number, 2);
	CHECK_EQ_INT(store_exec_pending(tx, "a", "", 10, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/a/2,j/a/1");
	x.status = JD_EXEC_CANCELED;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 2, &y), 0);
	CHECK_EQ_INT(y.status, JD_EXEC_CANCELED);
	CHECK_EQ_INT(y.version, 2);
	jd_exec_release(&y);
	check_counts(tx, "j", "cancel after read");
	jd_exec_release(&x);
	commit(tx);

	/* a change of the row read, then rolled back: nothing of it stays */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "b", 1, &x), 0);
	x.status = JD_EXEC_FAILED;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 1);
	jd_exec_release(&x);
	store_rollback(tx);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "b", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	CHECK_EQ_INT(x.version, 1);
	jd_exec_release(&x);
	/* the same for a delete */
	CHECK_EQ_INT(store_exec_delete(tx, "j", "b", 1), 0);
	store_rollback(tx);

	/* delete after read, the count after it, then the thing's next-lower
	 * number is the latest again */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 2, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "a", 2), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	CHECK_EQ_INT(x.number, 1);
	jd_exec_release(&x);
	check_counts(tx, "j", "delete after read");
	/* read one row, change another: the change reports its own outcome */
	CHECK_EQ_INT(store_exec_get(tx, "j", "c", 1, &x), 0);
	jd_strlcpy(x.thing_name, "zz", sizeof(x.thing_name));
	CHECK_EQ_INT(store_exec_update(tx, &x), JD_ENOTFOUND);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_get(tx, "j", "c", 1, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "c", 2), JD_ENOTFOUND);
	/* two changes of the row read in a row */
	CHECK_EQ_INT(store_exec_get(tx, "j", "c", 1, &x), 0);
	x.status = JD_EXEC_QUEUED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	x.status = JD_EXEC_IN_PROGRESS;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "j", &n), 0);
	CHECK_EQ_INT(n, 3);
	jd_exec_release(&x);
	check_counts(tx, "j", "two changes after read");
	commit(tx);
	tx = begin(false);
	check_counts(tx, "j", "committed");
	CHECK_EQ_INT(store_exec_get(tx, "j", "b", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	jd_exec_release(&x);
	commit(tx);
	buf_free(&c.b);
}

/*
 * Concurrent read-then-change writers (the PostgreSQL backend puts them in
 * one group, each change deferred into the next member's first pipeline):
 * each thread owns one execution and bumps its version, rolling back one
 * change in four after making it; every acknowledged change is there, no
 * rolled-back one is, and the counts equal a recount.
 */
#define RC_THREADS 8
#define RC_ROUNDS 40

struct rc_writer {
	int id;
	int acked;
	int errors;
};

/* A write transaction on w's execution of job, read, checked (its version
 * is 1 + what w got acknowledged) and changed in memory (version + 1, QUEUED
 * and IN_PROGRESS alternate); -1 (counted as an error) when it fails. */
static int
rc_next(struct rc_writer *w, const char *job, const char *thing, struct store_tx **tx,
    struct jd_exec *x)
{
	if (store_begin(S, true, tx) != 0) {
		w->errors++;
		return -1;
	}
	if (store_exec_get(*tx, job, thing, 0, x) != 0) {
		w->errors++;
		store_rollback(*tx);
		return -1;
	}
	if (x->version != 1 + w->acked)
		w->errors++;
	x->version++;
	x->status = x->status == JD_EXEC_QUEUED ? JD_EXEC_IN_PROGRESS : JD_EXEC_QUEUED;
	return 0;
}

static void *
rc_writer(void *arg)
{
	struct rc_writer *w = arg;
	char thing[32];

	snprintf(thing, sizeof(thing), "rc%02d", w->id);
	for (int i = 0; i < RC_ROUNDS; i++) {
		struct store_tx *tx = NULL;
		struct jd_exec x;
		int64_t n = -1;
		bool undo = (i + w->id) % 4 == 0;

		if (rc_next(w, "rc", thing, &tx, &x) != 0)
			continue;
		if (store_exec_update(tx, &x) != 0 || store_exec_active_count(tx, "rc", &n) != 0 ||
		    n < 0 || n > RC_THREADS) {
			w->errors++;
			undo = true;
		}
		jd_exec_release(&x);
		if (undo) {
			store_rollback(tx);
			continue;
		}
		if (store_commit(tx) != 0)
			w->errors++;
		else
			w->acked++;
	}
	return NULL;
}

/* RC_THREADS executions of job `job`, things "<job>00".., QUEUED, version 1 */
static void
rc_seed(const char *job)
{
	struct store_tx *tx;
	char thing[32];

	fresh();
	tx = begin(true);
	for (int i = 0; i < RC_THREADS; i++) {
		snprintf(thing, sizeof(thing), "%s%02d", job, i);
		mk_exec(tx, job, thing, 1, JD_EXEC_QUEUED, NULL, 1);
	}
	commit(tx);
}

/* Run fn on RC_THREADS threads, w[i] each, and wait for them */
static void
rc_run(void *(*fn)(void *), struct rc_writer *w)
{
	pthread_t th[RC_THREADS];

	for (int i = 0; i < RC_THREADS; i++) {
		w[i] = (struct rc_writer){i, 0, 0};
		pthread_create(&th[i], NULL, fn, &w[i]);
	}
	for (int i = 0; i < RC_THREADS; i++)
		pthread_join(th[i], NULL);
}

TEST(t_group_change_after_read)
{
	struct rc_writer w[RC_THREADS];
	struct store_tx *tx;
	char thing[32];

	rc_seed("rc");
	rc_run(rc_writer, w);
	tx = begin(false);
	for (int i = 0; i < RC_THREADS; i++) {
		struct jd_exec x;

		CHECK_EQ_INT(w[i].errors, 0);
		CHECK_EQ_INT(w[i].acked, RC_ROUNDS - RC_ROUNDS / 4);
		snprintf(thing, sizeof(thing), "rc%02d", i);
		CHECK_EQ_INT(store_exec_get(tx, "rc", thing, 0, &x), 0);
		CHECK_EQ_INT(x.version, 1 + w[i].acked);
		CHECK_EQ_INT(x.status, w[i].acked % 2 ? JD_EXEC_IN_PROGRESS : JD_EXEC_QUEUED);
		jd_exec_release(&x);
	}
	check_counts(tx, "rc", "concurrent changes after read");
	commit(tx);
}

/*
 * Members of one group that read first and write later (PostgreSQL: the
 * savepoint is sent only before a member's first write, group.c "Lazy
 * savepoints"): each thread owns one execution and, in turn, (0) changes it
 * (deferred), inserts a thing and rolls back; (1) changes it, reads it again
 * (its deferred change goes out, after its savepoint) and rolls back; (2)
 * only reads it and commits; (3) changes it and commits. Only (3) leaves
 * anything; the counts equal a recount.
 */
static void *
lz_writer(void *arg)
{
	struct rc_writer *w = arg;
	char thing[32];

	snprintf(thing, sizeof(thing), "lz%02d", w->id);
	for (int i = 0; i < RC_ROUNDS; i++) {
		struct store_tx *tx = NULL;
		struct jd_exec x, y;
		int mode = (i + w->id) % 4;
		int rc = 0;

		if (rc_next(w, "lz", thing, &tx, &x) != 0)
			continue;
		if (mode != 2)
			rc = store_exec_update(tx, &x);
		if (rc == 0 && mode == 0) {
			struct jd_thing t = {0};

			snprintf(t.name, sizeof(t.name), "lzt%02d-%d", w->id, i);
			jd_strlcpy(t.id, "id", sizeof(t.id));
			t.version = 1;
			rc = store_thing_insert(tx, &t);
		}
		if (rc == 0 && mode == 1) {
			rc = store_exec_get(tx, "lz", thing, 0, &y);
			if (rc == 0 && y.version != x.version)
				w->errors++;
			if (rc == 0)
				jd_exec_release(&y);
		}
		jd_exec_release(&x);
		if (rc != 0)
			w->errors++;
		if (rc != 0 || mode <= 1) {
			store_rollback(tx);
			continue;
		}
		if (store_commit(tx) != 0)
			w->errors++;
		else if (mode == 3)
			w->acked++;
	}
	return NULL;
}

TEST(t_group_lazy_savepoints)
{
	struct rc_writer w[RC_THREADS];
	struct store_tx *tx;
	char thing[32];

	rc_seed("lz");
	rc_run(lz_writer, w);
	tx = begin(false);
	for (int i = 0; i < RC_THREADS; i++) {
		struct jd_exec x;
		struct jd_thing t;

		CHECK_EQ_INT(w[i].errors, 0);
		CHECK_EQ_INT(w[i].acked, RC_ROUNDS / 4);
		snprintf(thing, sizeof(thing), "lz%02d", i);
		CHECK_EQ_INT(store_exec_get(tx, "lz", thing, 0, &x), 0);
		CHECK_EQ_INT(x.version, 1 + w[i].acked);
		CHECK_EQ_INT(x.status, w[i].acked % 2 ? JD_EXEC_IN_PROGRESS : JD_EXEC_QUEUED);
		jd_exec_release(&x);
		for (int r = 0; r < RC_ROUNDS; r++) {
			memset(&t, 0, sizeof(t));
			snprintf(thing, sizeof(thing), "lzt%02d-%d", i, r);
			CHECK_EQ_INT(store_thing_get(tx, thing, &t), JD_ENOTFOUND);
		}
	}
	check_counts(tx, "lz", "lazy savepoints");
	commit(tx);
}

/*
 * PostgreSQL only (pg_test.h): a deferred change the server refuses. The
 * change says 0 (it is deferred) and the failure comes with what follows:
 * the commit fails (never a success without the change), or the next
 * statement fails and the rollback leaves nothing; the store works on
 * afterwards. Among concurrent writers, a refused change fails the group it
 * is in: every acknowledged commit is there, exactly, and nothing else.
 */
struct refused {
	int id;
	int acked, failed;
};

static void *
refused_writer(void *arg)
{
	struct refused *w = arg;
	char thing[32];

	snprintf(thing, sizeof(thing), "bw%02d", w->id);
	for (int i = 0; i < RC_ROUNDS; i++) {
		struct store_tx *tx = NULL;
		struct jd_exec x;
		int rc;

		if (store_begin(S, true, &tx) != 0) {
			w->failed++;
			continue;
		}
		if (store_exec_get(tx, "bw", thing, 0, &x) != 0) {
			w->failed++;
			store_rollback(tx);
			continue;
		}
		x.version++;
		rc = store_exec_update(tx, &x);
		jd_exec_release(&x);
		if (rc != 0) {
			w->failed++;
			store_rollback(tx);
			continue;
		}
		if (store_commit(tx) == 0)
			w->acked++;
		else
			w->failed++;
	}
	return NULL;
}

/*
 * The status an exec_update leaves is the row's, never an older read's: the
 * SQLite writer keeps the row it read last (sqlite_int.h, "memo") and
 * PostgreSQL's its own, and neither may outlive a write, a rolled-back
 * member or another row's read.
 */
TEST(t_update_after_stale_read)
{
	struct store_tx *tx;
	struct jd_exec x, y;
	struct coll c = {BUF_INIT, 0, 0};

	fresh();
	tx = begin(true);
	mk_exec(tx, "j", "a", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "b", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "j", "c", 1, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "j", "c", 2, JD_EXEC_QUEUED, NULL, 2);
	commit(tx);

	/* read a, change it, then change it again from the first read's copy */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	y = x;
	y.details = NULL;
	y.status = JD_EXEC_IN_PROGRESS;
	CHECK_EQ_INT(store_exec_update(tx, &y), 0);
	x.status = JD_EXEC_SUCCEEDED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	check_counts(tx, "j", "two updates from one read");
	commit(tx);

	/* read b, change it, read it again, roll back; then change it unread */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "b", 1, &x), 0);
	x.status = JD_EXEC_IN_PROGRESS;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_get(tx, "j", "b", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	store_rollback(tx);
	tx = begin(true);
	x.status = JD_EXEC_FAILED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	check_counts(tx, "j", "an update after a rolled-back read");
	commit(tx);

	/* a thing's pending list read, then a row that is not the latest
	 * changed: c's number 1 (FAILED, not the latest) */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_pending(tx, "c", "", 10, exec_cb, &c), 0);
	CHECK_EQ_STR(coll_str(&c), "j/c/2");
	CHECK_EQ_INT(store_exec_get(tx, "j", "c", 1, &x), 0);
	x.status = JD_EXEC_TIMED_OUT;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	check_counts(tx, "j", "an update of a row that is not the latest");
	/* the head read (the latest), then changed */
	CHECK_EQ_INT(store_exec_pending(tx, "c", "", 1, exec_cb, &c), 0);
	CHECK_EQ_INT(store_exec_get(tx, "j", "c", 2, &x), 0);
	x.status = JD_EXEC_IN_PROGRESS;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	check_counts(tx, "j", "an update of the pending head");
	commit(tx);
	tx = begin(false);
	check_counts(tx, "j", "the end");
	CHECK_EQ_INT(store_exec_get(tx, "j", "c", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_TIMED_OUT);
	jd_exec_release(&x);
	commit(tx);
	buf_free(&c.b);
}

/*
 * An update that keeps the row's status (a progress report) changes the row
 * and no count. On PostgreSQL it is deferred in its own form, which changes
 * nothing unless the row still has that status (a refused deferred write
 * fails the commit, which shows it was deferred).
 */
TEST(t_update_same_status)
{
	struct store_tx *tx;
	struct jd_exec x;

	fresh();
	tx = begin(true);
	mk_exec(tx, "j", "a", 1, JD_EXEC_IN_PROGRESS, NULL, 1);
	mk_exec(tx, "j", "b", 1, JD_EXEC_QUEUED, NULL, 1);
	commit(tx);

	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	x.version++;
	x.updated_ms = 77;
	x.step_deadline = 9000;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	check_counts(tx, "j", "a progress report");
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(x.version, 2);
	CHECK_EQ_INT(x.updated_ms, 77);
	CHECK_EQ_INT(x.step_deadline, 9000);
	jd_exec_release(&x);
	check_counts(tx, "j", "after its commit");
	commit(tx);

	if (strncmp(storekit_spec, "postgres", 8) != 0)
		return;
	store_postgres__fail_deferred(S, 1);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_commit(tx), JD_EUNAVAIL);
	store_postgres__fail_deferred(S, 0);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 1, &x), 0);
	CHECK_EQ_INT(x.version, 2);
	jd_exec_release(&x);
	check_counts(tx, "j", "a refused progress report");
	commit(tx);
}

TEST(t_refused_change_after_read)
{
	struct store_tx *tx;
	struct jd_exec x;
	pthread_t th[RC_THREADS];
	struct refused w[RC_THREADS];
	char thing[32];
	int failed = 0;

	if (strncmp(storekit_spec, "postgres", 8) != 0)
		return;
	fresh();
	tx = begin(true);
	mk_exec(tx, "j", "a", 1, JD_EXEC_QUEUED, NULL, 1);
	for (int i = 0; i < RC_THREADS; i++) {
		snprintf(thing, sizeof(thing), "bw%02d", i);
		mk_exec(tx, "bw", thing, 1, JD_EXEC_QUEUED, NULL, 1);
	}
	commit(tx);

	/* refused at the commit */
	store_postgres__fail_deferred(S, 1);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	x.version++;
	x.status = JD_EXEC_CANCELED;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_commit(tx), JD_EUNAVAIL);
	/* refused at the next statement */
	store_postgres__fail_deferred(S, 1);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_delete(tx, "j", "a", 1), 0);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), JD_EUNAVAIL);
	store_rollback(tx);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "j", "a", 0, &x), 0);
	CHECK_EQ_INT(x.version, 1);
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	jd_exec_release(&x);
	check_counts(tx, "j", "refused changes");
	commit(tx);

	/* among concurrent writers */
	store_postgres__fail_deferred(S, 12);
	for (int i = 0; i < RC_THREADS; i++) {
		w[i] = (struct refused){i, 0, 0};
		pthread_create(&th[i], NULL, refused_writer, &w[i]);
	}
	for (int i = 0; i < RC_THREADS; i++)
		pthread_join(th[i], NULL);
	store_postgres__fail_deferred(S, 0);
	tx = begin(false);
	for (int i = 0; i < RC_THREADS; i++) {
		snprintf(thing, sizeof(thing), "bw%02d", i);
		CHECK_EQ_INT(store_exec_get(tx, "bw", thing, 0, &x), 0);
		CHECK_EQ_INT(x.version, 1 + w[i].acked);
		CHECK_EQ_INT(w[i].acked + w[i].failed, RC_ROUNDS);
		failed += w[i].failed;
		jd_exec_release(&x);
	}
	CHECK(failed >= 12);
	check_counts(tx, "bw", "refused among others");
	commit(tx);
}

/*
 * StartNextPendingJobExecution's shape on the writer: the head of a thing's
 * pending list, its job, the head's change, the job's active count. On
 * PostgreSQL the head is read with its job's active count and its change is
 * deferred as after an exec_get (ops_exec.c, pg__exec_pending): the refused
 * change then fails the commit (never a success without it), which shows
 * that it was deferred. A row read with exec_get stays the one kept across
 * a pending read of its thing (UpdateJobExecution with notifications).
 */
static int
first_exec(void *arg, const struct jd_exec *x)
{
	jd_exec_copy(arg, x);
	return 1;
}

/* Start the head of thing's pending list; returns the commit's result. */
static int
start_head(const char *thing, int64_t *active)
{
	struct store_tx *tx = begin(true);
	struct jd_exec x;
	struct jd_job j;

	memset(&x, 0, sizeof(x));
	memset(&j, 0, sizeof(j));
	CHECK(store_exec_pending(tx, thing, "", 1, first_exec, &x) >= 0);
	CHECK_EQ_STR(x.thing_name, thing);
	CHECK_EQ_INT(store_job_get(tx, x.job_id, &j), 0);
	jd_job_release(&j);
	x.status = JD_EXEC_IN_PROGRESS;
	x.version++;
	x.started_ms = 5000;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	CHECK_EQ_INT(store_exec_active_count(tx, "sn", active), 0);
	jd_exec_release(&x);
	return store_commit(tx);
}

TEST(t_start_next_change)
{
	bool pg = strncmp(storekit_spec, "postgres", 8) == 0;
	struct store_tx *tx;
	struct jd_exec x, h;
	int64_t active = -1;

	fresh();
	tx = begin(true);
	mk_job(tx, "sn", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_exec(tx, "sn", "t", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "sn", "u", 1, JD_EXEC_QUEUED, NULL, 2);
	mk_exec(tx, "sn", "v", 1, JD_EXEC_QUEUED, NULL, 3);
	commit(tx);

	CHECK_EQ_INT(start_head("t", &active), 0);
	CHECK_EQ_INT(active, 3); /* QUEUED to IN_PROGRESS: still active */
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "sn", "t", 0, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(x.version, 2);
	CHECK_EQ_INT(x.started_ms, 5000);
	jd_exec_release(&x);
	check_counts(tx, "sn", "start next");
	commit(tx);
	if (!pg)
		return;

	/* refused: deferred, so the commit fails and nothing of it is there */
	store_postgres__fail_deferred(S, 1);
	CHECK_EQ_INT(start_head("u", &active), JD_EUNAVAIL);
	store_postgres__fail_deferred(S, 0);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "sn", "u", 0, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	CHECK_EQ_INT(x.version, 1);
	jd_exec_release(&x);
	check_counts(tx, "sn", "start next refused");
	commit(tx);

	/* exec_get's row stays the one kept across a pending read of its thing */
	store_postgres__fail_deferred(S, 1);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "sn", "v", 0, &x), 0);
	memset(&h, 0, sizeof(h));
	CHECK(store_exec_pending(tx, "u", "", 1, first_exec, &h) >= 0);
	CHECK_EQ_STR(h.thing_name, "u");
	jd_exec_release(&h);
	x.status = JD_EXEC_SUCCEEDED;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_commit(tx), JD_EUNAVAIL);
	store_postgres__fail_deferred(S, 0);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "sn", "v", 0, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	jd_exec_release(&x);
	check_counts(tx, "sn", "kept row");
	commit(tx);
}

/*
 * exec_get_job: the job and its execution in one operation, in a read and
 * in a write transaction; either missing is JD_ENOTFOUND. On PostgreSQL's
 * writer it is one statement and the row is kept as after exec_get: a
 * refused change of it then fails the commit (it was deferred).
 */
static void
get_job_case(bool write)
{
	struct store_tx *tx = begin(write);
	struct jd_job j;
	struct jd_exec x;

	CHECK_EQ_INT(store_exec_get_job(tx, "gj", "t", 0, &j, &x), 0);
	CHECK_EQ_STR(j.job_id, "gj");
	CHECK_EQ_STR(j.document, "{}");
	CHECK_EQ_INT(j.status, JD_JOB_IN_PROGRESS);
	CHECK_EQ_STR(x.job_id, "gj");
	CHECK_EQ_STR(x.thing_name, "t");
	CHECK_EQ_INT(x.number, 2); /* 0: the latest */
	CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
	CHECK_EQ_INT(x.queued_ms, 7);
	jd_job_release(&j);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_get_job(tx, "gj", "t", 1, &j, &x), 0);
	CHECK_EQ_INT(x.number, 1);
	CHECK_EQ_INT(x.status, JD_EXEC_SUCCEEDED);
	jd_job_release(&j);
	jd_exec_release(&x);
	CHECK_EQ_INT(store_exec_get_job(tx, "gj", "t", 3, &j, &x), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get_job(tx, "gj", "nobody", 0, &j, &x), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get_job(tx, "nojob", "t", 0, &j, &x), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get_job(tx, "gk", "t", 0, &j, &x), JD_ENOTFOUND); /* no job row */
	if (write)
		commit(tx);
	else
		store_rollback(tx);
}

/*
 * exec_list_job_summary: the rows and order of exec_list_job, with only an
 * execution summary's fields (store_read.h); the rest zero, details NULL.
 * one: the summary read alone in a one-operation read (as
 * ListJobExecutionsForJob reads it; PostgreSQL: the reader pool).
 */
static void
summary_case(bool one, int status, const char *after, int64_t after_n, int limit)
{
	struct jd_execv full = {0}, sum = {0};
	struct store_tx *tx = begin(false);

	CHECK_EQ_INT(
	    store_exec_list_job(tx, "sj", status, after, after_n, limit, jd_execv_add, &full), 0);
	if (one) {
		store_rollback(tx);
		tx = begin_one();
	}
	CHECK_EQ_INT(store_exec_list_job_summary(tx, "sj", status, after, after_n, limit,
	                 jd_execv_add, &sum),
	    0);
	store_rollback(tx);
	CHECK_EQ_INT((int64_t)sum.n, (int64_t)full.n);
	for (size_t i = 0; i < sum.n && i < full.n; i++) {
		const struct jd_exec *f = &full.v[i], *x = &sum.v[i];

		CHECK_EQ_STR(x->job_id, f->job_id);
		CHECK_EQ_STR(x->thing_name, f->thing_name);
		CHECK_EQ_INT(x->number, f->number);
		CHECK_EQ_INT(x->status, f->status);
		CHECK_EQ_INT(x->queued_ms, f->queued_ms);
		CHECK_EQ_INT(x->started_ms, f->started_ms);
		CHECK_EQ_INT(x->updated_ms, f->updated_ms);
		CHECK_EQ_INT(x->retry_attempt, f->retry_attempt);
		CHECK(x->details == NULL);
		CHECK_EQ_INT(x->seq, 0);
		CHECK_EQ_INT(x->version, 0);
		CHECK_EQ_STR(x->namespace_id, "");
	}
	jd_execv_free(&full);
	jd_execv_free(&sum);
}

TEST(t_exec_list_job_summary)
{
	struct store_tx *tx;
	struct jd_exec x;

	fresh();
	tx = begin(true);
	mk_exec(tx, "sj", "t2", 1, JD_EXEC_FAILED, NULL, 1);
	mk_exec(tx, "sj", "t1", 2, JD_EXEC_QUEUED, NULL, 2);
	mk_exec(tx, "sj", "t1", 1, JD_EXEC_FAILED, "ns", 3);
	mk_exec(tx, "sj", "t3", 1, JD_EXEC_IN_PROGRESS, NULL, 4);
	mk_exec(tx, "other", "t1", 1, JD_EXEC_QUEUED, NULL, 6);
	CHECK_EQ_INT(store_exec_get(tx, "sj", "t3", 1, &x), 0);
	x.started_ms = 40;
	x.updated_ms = 41;
	x.retry_attempt = 2;
	x.version = 5;
	jd_exec_release(&x);
	x.details = jd_strdup("{\"k\":\"v\"}");
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_exec_release(&x);
	commit(tx);

	for (int one = 0; one < 2; one++) {
		summary_case(one, -1, NULL, 0, 0);
		summary_case(one, -1, "t1", 2, 2);
		summary_case(one, JD_EXEC_FAILED, NULL, 0, 0);
		summary_case(one, -2, NULL, 0, 0);
		summary_case(one, -1, "t3", 1, 0); /* past the end */
	}
}

/*
 * Regression (round 11): right after a bulk insert, before autovacuum's
 * ANALYZE, PostgreSQL planned a page of a job's executions as a bitmap scan
 * of every execution of the job and a sort (17-30 ms a page after a
 * 50,000-thing fan-out). Readers take no bitmap scan, so the page is the
 * primary key's ordered scan, which stops after the page, whatever the
 * statistics say. SQLite has no planner to ask: skipped there.
 */
#define BULK_CHUNK 2000

TEST(t_list_plan_after_bulk_insert)
{
	static const char *const params[] = {"big", "-1", "", "0", "51"};
	static const char *const names[] = {"EXEC_LIST_JOB_SUMMARY", "EXEC_LIST_JOB"};
	char plan[4096];
	struct store_tx *tx;
	struct jd_exec *xs;

	fresh();
	/* a table PostgreSQL has no statistics of (never analyzed, as before
	 * autovacuum's first ANALYZE of a new deployment) */
	if (store_postgres__sql(S,
	        "DELETE FROM pg_statistic"
	        " WHERE starelid = 'executions'::regclass") != 0)
		return;
	CHECK_EQ_INT(store_postgres__sql(S,
	                 "UPDATE pg_class SET reltuples = -1, relpages = 0"
	                 " WHERE oid = 'executions'::regclass"),
	    0);
	/* then a fan-out of 20,000 */
	xs = jd_calloc(BULK_CHUNK, sizeof(*xs));
	tx = begin(true);
	for (int k = 0; k < 20000; k += BULK_CHUNK) {
		for (int i = 0; i < BULK_CHUNK; i++) {
			memset(&xs[i], 0, sizeof(xs[i]));
			jd_strlcpy(xs[i].job_id, "big", sizeof(xs[i].job_id));
			snprintf(xs[i].thing_name, sizeof(xs[i].thing_name), "t%05d", k + i);
			xs[i].number = 1;
			xs[i].status = JD_EXEC_QUEUED;
			xs[i].queued_ms = xs[i].updated_ms = k + i + 1;
			xs[i].version = 1;
		}
		CHECK_EQ_INT(store_exec_insert_first(tx, xs, BULK_CHUNK), 0);
	}
	commit(tx);
	free(xs);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_EQ_INT(store_postgres__explain(S, names[i], params, 5, plan, sizeof(plan)),
		    0);
		if (strstr(plan, "Index Scan using executions_pkey") == NULL ||
		    strstr(plan, "Bitmap") != NULL || strstr(plan, "Sort") != NULL)
			fprintf(stderr, "  %s:\n%s", names[i], plan);
		CHECK(strstr(plan, "Index Scan using executions_pkey") != NULL);
		CHECK(strstr(plan, "Bitmap") == NULL);
		CHECK(strstr(plan, "Sort") == NULL);
	}
}

TEST(t_exec_get_job)
{
	struct store_tx *tx;
	struct jd_job j;
	struct jd_exec x;

	fresh();
	tx = begin(true);
	mk_job(tx, "gj", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_exec(tx, "gj", "t", 1, JD_EXEC_SUCCEEDED, NULL, 5);
	mk_exec(tx, "gj", "t", 2, JD_EXEC_QUEUED, NULL, 7);
	mk_exec(tx, "gk", "t", 1, JD_EXEC_QUEUED, NULL, 8);
	commit(tx);
	get_job_case(false);
	get_job_case(true);

	/* the change after it, deferred on PostgreSQL */
	store_postgres__fail_deferred(S, 1);
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get_job(tx, "gj", "t", 0, &j, &x), 0);
	x.status = JD_EXEC_IN_PROGRESS;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_job_release(&j);
	jd_exec_release(&x);
	if (strncmp(storekit_spec, "postgres", 8) == 0) {
		CHECK_EQ_INT(store_commit(tx), JD_EUNAVAIL);
		store_postgres__fail_deferred(S, 0);
		tx = begin(false);
		CHECK_EQ_INT(store_exec_get(tx, "gj", "t", 0, &x), 0);
		CHECK_EQ_INT(x.status, JD_EXEC_QUEUED);
		CHECK_EQ_INT(x.version, 1);
		jd_exec_release(&x);
		commit(tx);
	} else {
		commit(tx);
	}
	tx = begin(false);
	check_counts(tx, "gj", "exec_get_job");
	commit(tx);
}

/*
 * exec_next_job: the head of a thing's pending list (as exec_pending with
 * limit 1) and its job (as job_get), in either kind of transaction; the
 * head's change right after it (StartNextPendingJobExecution's, deferred on
 * PostgreSQL) moves the counts as any change does.
 */
static void
next_job_case(bool write)
{
	struct store_tx *tx = begin(write);
	struct jd_job j, j2;
	struct jd_exec x;

	/* IN_PROGRESS before QUEUED; the job as job_get reads it */
	CHECK_EQ_INT(store_exec_next_job(tx, "t", "", &x, &j), 0);
	CHECK_EQ_STR(x.job_id, "nb");
	CHECK_EQ_STR(x.thing_name, "t");
	CHECK_EQ_INT(x.number, 1);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(x.queued_ms, 9);
	CHECK_EQ_STR(j.job_id, "nb");
	CHECK_EQ_INT(store_job_get(tx, "nb", &j2), 0);
	CHECK_EQ_INT(j.seq, j2.seq);
	CHECK_EQ_INT(j.status, j2.status);
	CHECK_EQ_STR(j.document, j2.document);
	CHECK_EQ_STR(j.targets, j2.targets);
	jd_job_release(&j);
	jd_job_release(&j2);
	jd_exec_release(&x);
	/* a namespace's own list */
	CHECK_EQ_INT(store_exec_next_job(tx, "t", "ns", &x, &j), 0);
	CHECK_EQ_STR(x.job_id, "nc");
	CHECK_EQ_STR(j.job_id, "nc");
	CHECK_EQ_STR(j.namespace_id, "ns");
	jd_job_release(&j);
	jd_exec_release(&x);
	/* an empty list: no execution, no job */
	CHECK_EQ_INT(store_exec_next_job(tx, "none", "", &x, &j), 0);
	CHECK_EQ_STR(x.job_id, "");
	CHECK(j.document == NULL);
	/* the head's job is gone */
	CHECK_EQ_INT(store_exec_next_job(tx, "orphan", "", &x, &j), JD_ENOTFOUND);
	CHECK_EQ_STR(x.job_id, "gone");
	CHECK(x.details == NULL && j.document == NULL);
	store_rollback(tx);
}

/*
 * Conditional writes (store_exec_update_if; issue 10, round 13): a change
 * made only if the row still has the version and status a read found. On
 * PostgreSQL it is queued and its outcome known at the commit (group.c,
 * "Conditional writes"), so the outcome is checked after store_commit.
 * Sequentially: a change that applies (counts moved),
 * a stale version and a stale status (nothing changed), a rolled-back one
 * (nothing written), a kept status, an end, and the end of the job's last
 * active execution of an IN_PROGRESS job (nothing changed: the caller
 * completes the job), deletions (store_exec_delete_if) likewise, and the
 * end and a deletion of a CANCELED job's last ones (applied: it cannot
 * complete). Then UI_THREADS threads, in groups:
 * each reads its own row on a reader and changes it on condition, and every
 * round two threads race for one shared row with the same read: exactly one
 * applies per round, versions grow by one per applied change, and the counts
 * equal a recount.
 */
#define UI_THREADS 8
#define UI_ROUNDS 40

struct ui_writer {
	int id;
	int errors;
	int applied; /* of its own row */
	int shared;  /* applied changes of the shared row */
};

static pthread_barrier_t ui_barrier;

/* Read (job, thing) on a reader, change it on condition; 1 applied, 0 not,
 * -1 an error. */
static int
ui_change(const char *job, const char *thing, int to)
{
	struct store_tx *tx = NULL;
	struct store_cond res;
	struct jd_exec x;
	int64_t v;
	int from, rc;

	if (store_begin_one(S, &tx) != 0)
		return -1;
	rc = store_exec_get(tx, job, thing, 0, &x);
	store_rollback(tx);
	if (rc != 0)
		return -1;
	v = x.version;
	from = x.status;
	x.version++;
	x.status = to;
	x.updated_ms = v;
	rc = store_begin(S, true, &tx);
	if (rc == 0 && (rc = store_exec_update_if(tx, &x, v, from, &res)) != 0)
		store_rollback(tx);
	else if (rc == 0)
		rc = store_commit(tx);
	jd_exec_release(&x);
	if (rc != 0 || !res.done)
		return -1;
	return res.applied ? 1 : 0;
}

static void *
ui_writer(void *arg)
{
	struct ui_writer *w = arg;
	char thing[32];

	snprintf(thing, sizeof(thing), "ui%02d", w->id);
	for (int i = 0; i < UI_ROUNDS; i++) {
		int to = i % 3 == 2 ? JD_EXEC_QUEUED : JD_EXEC_IN_PROGRESS;
		int rc = ui_change("ui", thing, to);

		if (rc < 0)
			w->errors++;
		else
			w->applied += rc;
		if (w->id < 2) {
			/* the two race for the shared row from one read */
			pthread_barrier_wait(&ui_barrier);
			rc =
			    ui_change("ui", "shared", i % 2 ? JD_EXEC_QUEUED : JD_EXEC_IN_PROGRESS);
			if (rc < 0)
				w->errors++;
			else
				w->shared += rc;
			pthread_barrier_wait(&ui_barrier);
		}
	}
	return NULL;
}

/* A conditional change of x as read at (v, from), in a transaction of its
 * own: whether it applied (its outcome known once committed) */
static bool
ui_update(const struct jd_exec *x, int64_t v, int from)
{
	struct store_tx *tx = begin(true);
	struct store_cond res;

	CHECK_EQ_INT(store_exec_update_if(tx, x, v, from, &res), 0);
	CHECK_EQ_INT(store_commit(tx), 0);
	CHECK(res.done);
	return res.applied;
}

/* The same for the deletion of (job, thing, 1) */
static bool
ui_delete(const char *job, const char *thing, int64_t v, int from)
{
	struct store_tx *tx = begin(true);
	struct store_cond res;

	CHECK_EQ_INT(store_exec_delete_if(tx, job, thing, 1, v, from, &res), 0);
	CHECK_EQ_INT(store_commit(tx), 0);
	CHECK(res.done);
	return res.applied;
}

TEST(t_update_if)
{
	struct store_tx *tx;
	struct store_cond res;
	struct jd_exec x, y;
	struct ui_writer w[UI_THREADS];
	pthread_t th[UI_THREADS];
	char thing[32];
	int shared = 0;

	fresh();
	tx = begin(true);
	mk_job(tx, "ui", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_exec(tx, "ui", "a", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "ui", "b", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_job(tx, "uc", JD_JOB_CANCELED, JD_SEL_SNAPSHOT, NULL);
	mk_exec(tx, "uc", "c", 1, JD_EXEC_IN_PROGRESS, NULL, 1);
	mk_exec(tx, "uc", "d", 1, JD_EXEC_SUCCEEDED, NULL, 1);
	commit(tx);

	/* applies: QUEUED to IN_PROGRESS */
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "a", 0, &x), 0);
	commit(tx);
	x.status = JD_EXEC_IN_PROGRESS;
	x.version = 2;
	x.updated_ms = 50;
	CHECK(ui_update(&x, 1, JD_EXEC_QUEUED));
	/* a stale version, then a stale status: nothing changes */
	x.version = 3;
	x.updated_ms = 60;
	CHECK(!ui_update(&x, 1, JD_EXEC_IN_PROGRESS));
	x.status = JD_EXEC_SUCCEEDED;
	CHECK(!ui_update(&x, 2, JD_EXEC_QUEUED));
	/* rolled back: nothing written */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_update_if(tx, &x, 2, JD_EXEC_IN_PROGRESS, &res), 0);
	store_rollback(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "a", 1, &y), 0);
	CHECK_EQ_INT(y.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(y.version, 2);
	CHECK_EQ_INT(y.updated_ms, 50);
	jd_exec_release(&y);
	check_counts(tx, "ui", "conditional writes, one by one");
	commit(tx);
	/* the status kept (a progress report) */
	x.status = JD_EXEC_IN_PROGRESS;
	CHECK(ui_update(&x, 2, JD_EXEC_IN_PROGRESS));
	/* to a terminal status ("b" stays active) */
	x.status = JD_EXEC_SUCCEEDED;
	x.version = 4;
	CHECK(ui_update(&x, 3, JD_EXEC_IN_PROGRESS));
	jd_exec_release(&x);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "a", 1, &y), 0);
	CHECK_EQ_INT(y.status, JD_EXEC_SUCCEEDED);
	CHECK_EQ_INT(y.version, 4);
	CHECK_EQ_INT(y.updated_ms, 60);
	jd_exec_release(&y);
	check_counts(tx, "ui", "a progress report and an end, on condition");
	/* the end of the job's last active execution is left undone */
	CHECK_EQ_INT(store_exec_get(tx, "ui", "b", 1, &x), 0);
	commit(tx);
	x.status = JD_EXEC_SUCCEEDED;
	x.version = 2;
	CHECK(!ui_update(&x, 1, JD_EXEC_QUEUED));
	jd_exec_release(&x);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "b", 1, &y), 0);
	CHECK_EQ_INT(y.status, JD_EXEC_QUEUED);
	CHECK_EQ_INT(y.version, 1);
	jd_exec_release(&y);
	check_counts(tx, "ui", "the last end, refused");
	commit(tx);

	/* deletions on condition: a stale version, then "a" (ended: the job
	 * keeps "b" active), then "b", its last active one: refused */
	CHECK(!ui_delete("ui", "a", 3, JD_EXEC_SUCCEEDED));
	CHECK(ui_delete("ui", "a", 4, JD_EXEC_SUCCEEDED));
	CHECK(!ui_delete("ui", "b", 1, JD_EXEC_QUEUED));
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "a", 1, &y), JD_ENOTFOUND);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "b", 1, &y), 0);
	jd_exec_release(&y);
	check_counts(tx, "ui", "deletions on condition");
	commit(tx);

	/* a job that cannot complete (CANCELED): its last active execution
	 * ends on condition (after a read on the writer in the same
	 * transaction), and then a deletion leaves it none */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_get(tx, "uc", "c", 1, &x), 0);
	x.status = JD_EXEC_SUCCEEDED;
	x.version = 2;
	CHECK_EQ_INT(store_exec_update_if(tx, &x, 1, JD_EXEC_IN_PROGRESS, &res), 0);
	CHECK_EQ_INT(store_commit(tx), 0);
	CHECK(res.done && res.applied);
	jd_exec_release(&x);
	CHECK(ui_delete("uc", "d", 1, JD_EXEC_SUCCEEDED));
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "uc", "c", 1, &y), 0);
	CHECK_EQ_INT(y.status, JD_EXEC_SUCCEEDED);
	jd_exec_release(&y);
	CHECK_EQ_INT(store_exec_get(tx, "uc", "d", 1, &y), JD_ENOTFOUND);
	check_counts(tx, "uc", "a job that cannot complete");
	commit(tx);

	/* concurrent members of groups */
	fresh();
	tx = begin(true);
	for (int i = 0; i < UI_THREADS; i++) {
		snprintf(thing, sizeof(thing), "ui%02d", i);
		mk_exec(tx, "ui", thing, 1, JD_EXEC_QUEUED, NULL, 1);
	}
	mk_exec(tx, "ui", "shared", 1, JD_EXEC_QUEUED, NULL, 1);
	commit(tx);
	pthread_barrier_init(&ui_barrier, NULL, 2);
	for (int i = 0; i < UI_THREADS; i++) {
		w[i] = (struct ui_writer){i, 0, 0, 0};
		pthread_create(&th[i], NULL, ui_writer, &w[i]);
	}
	for (int i = 0; i < UI_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&ui_barrier);
	tx = begin(false);
	for (int i = 0; i < UI_THREADS; i++) {
		CHECK_EQ_INT(w[i].errors, 0);
		/* its own row: nobody else changes it */
		CHECK_EQ_INT(w[i].applied, UI_ROUNDS);
		snprintf(thing, sizeof(thing), "ui%02d", i);
		CHECK_EQ_INT(store_exec_get(tx, "ui", thing, 0, &y), 0);
		CHECK_EQ_INT(y.version, 1 + UI_ROUNDS);
		jd_exec_release(&y);
		shared += w[i].shared;
	}
	/* of two changes from one read, one applies; a read made after the
	 * other's change applies too: 1 or 2 a round, and the version counts
	 * exactly those */
	CHECK(shared >= UI_ROUNDS && shared <= 2 * UI_ROUNDS);
	CHECK_EQ_INT(store_exec_get(tx, "ui", "shared", 0, &y), 0);
	CHECK_EQ_INT(y.version, 1 + shared);
	jd_exec_release(&y);
	check_counts(tx, "ui", "concurrent conditional writes");
	commit(tx);
}

/*
 * A thing inserted on condition (store_thing_insert_if, CreateThing): a new
 * name applies (the thing reads back); the same name again, or any name
 * once a dynamic thing group exists, changes nothing. Queued on
 * PostgreSQL, as the execution writes of t_update_if.
 */
static bool
ti_insert(const char *name, const char *attributes)
{
	struct store_tx *tx = begin(true);
	struct store_cond res;
	struct jd_thing t = {0};

	jd_strlcpy(t.name, name, sizeof(t.name));
	jd_strlcpy(t.id, "id-ti", sizeof(t.id));
	t.attributes = (char *)attributes;
	t.version = 1;
	t.created_ms = 77;
	CHECK_EQ_INT(store_thing_insert_if(tx, &t, &res), 0);
	CHECK_EQ_INT(store_commit(tx), 0);
	CHECK(res.done);
	return res.applied;
}

TEST(t_thing_insert_if)
{
	struct store_tx *tx;
	struct jd_group g = {0};
	struct jd_thing t;

	fresh();
	CHECK(ti_insert("ti-a", "{\"k\":\"1\"}"));
	CHECK(!ti_insert("ti-a", "{\"k\":\"2\"}"));
	tx = begin(false);
	CHECK_EQ_INT(store_thing_get(tx, "ti-a", &t), 0);
	CHECK_EQ_STR(t.attributes, "{\"k\":\"1\"}");
	CHECK_EQ_INT(t.created_ms, 77);
	CHECK_EQ_STR(t.type_name, "");
	jd_thing_release(&t);
	commit(tx);
	tx = begin(true);
	mk_group(tx, "static", NULL);
	commit(tx);
	CHECK(ti_insert("ti-b", "{}")); /* a static group takes no thing in */
	tx = begin(true);
	jd_strlcpy(g.name, "dyn", sizeof(g.name));
	jd_strlcpy(g.id, "gid-dyn", sizeof(g.id));
	g.version = 1;
	g.query_string = (char *)"thingName:ti*";
	jd_strlcpy(g.index_name, "AWS_Things", sizeof(g.index_name));
	jd_strlcpy(g.query_version, "2017-09-30", sizeof(g.query_version));
	CHECK_EQ_INT(store_group_insert(tx, &g), 0);
	commit(tx);
	CHECK(!ti_insert("ti-c", "{}"));
	tx = begin(false);
	CHECK_EQ_INT(store_thing_get(tx, "ti-b", &t), 0);
	jd_thing_release(&t);
	CHECK_EQ_INT(store_thing_get(tx, "ti-c", &t), JD_ENOTFOUND);
	commit(tx);
}

TEST(t_exec_next_job)
{
	struct store_tx *tx;
	struct jd_job j;
	struct jd_exec x;

	fresh();
	tx = begin(true);
	mk_job(tx, "na", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_job(tx, "nb", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_job(tx, "nc", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, "ns");
	mk_exec(tx, "na", "t", 1, JD_EXEC_QUEUED, NULL, 5);
	mk_exec(tx, "nb", "t", 1, JD_EXEC_IN_PROGRESS, NULL, 9);
	mk_exec(tx, "nc", "t", 1, JD_EXEC_QUEUED, "ns", 1);
	mk_exec(tx, "na", "u", 1, JD_EXEC_QUEUED, NULL, 5);
	mk_exec(tx, "gone", "orphan", 1, JD_EXEC_QUEUED, NULL, 5);
	commit(tx);
	next_job_case(false);
	next_job_case(true);

	/* the head started right after it */
	tx = begin(true);
	CHECK_EQ_INT(store_exec_next_job(tx, "u", "", &x, &j), 0);
	CHECK_EQ_STR(x.job_id, "na");
	x.status = JD_EXEC_IN_PROGRESS;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	jd_job_release(&j);
	jd_exec_release(&x);
	check_counts(tx, "na", "a change after exec_next_job");
	commit(tx);
	tx = begin(false);
	CHECK_EQ_INT(store_exec_get(tx, "na", "u", 1, &x), 0);
	CHECK_EQ_INT(x.status, JD_EXEC_IN_PROGRESS);
	CHECK_EQ_INT(x.version, 2);
	jd_exec_release(&x);
	check_counts(tx, "na", "after its commit");
	commit(tx);
}

/*
 * exec_pending_head: the head of a thing's pending list, as exec_pending
 * with limit 1 finds it. PostgreSQL's writer keeps the head a read of the
 * member found (exec_get_job, exec_pending) until the member writes: what it
 * answers after a change is the head after it, never the one before.
 */
static void
head_is(struct store_tx *tx, const char *thing, const char *ns, const char *job, int64_t number)
{
	char j[JD_JOB_ID_MAX + 1];
	int64_t n = -1;

	CHECK_EQ_INT(store_exec_pending_head(tx, thing, ns, j, &n), 0);
	CHECK_EQ_STR(j, job);
	CHECK_EQ_INT(n, number);
}

TEST(t_exec_pending_head)
{
	struct store_tx *tx;
	struct jd_job j;
	struct jd_exec x, y;

	fresh();
	tx = begin(true);
	mk_job(tx, "ph1", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_job(tx, "ph2", JD_JOB_IN_PROGRESS, JD_SEL_SNAPSHOT, NULL);
	mk_exec(tx, "ph1", "p", 1, JD_EXEC_QUEUED, NULL, 1);
	mk_exec(tx, "ph2", "p", 1, JD_EXEC_QUEUED, NULL, 2);
	mk_exec(tx, "ph1", "q", 1, JD_EXEC_QUEUED, "ns1", 1);
	commit(tx);
	tx = begin(false);
	head_is(tx, "p", "", "ph1", 1);
	head_is(tx, "q", "ns1", "ph1", 1);
	head_is(tx, "q", "", "", 0);
	head_is(tx, "nobody", "", "", 0);
	commit(tx);

	/* UpdateJobExecution's shape: the head before, the change, the head after */
	tx = begin(true);
	head_is(tx, "q", "ns1", "ph1", 1); /* another thing's head */
	CHECK_EQ_INT(store_exec_get_job(tx, "ph1", "p", 0, &j, &x), 0);
	head_is(tx, "p", "", "ph1", 1);
	x.status = JD_EXEC_SUCCEEDED;
	x.version++;
	CHECK_EQ_INT(store_exec_update(tx, &x), 0);
	head_is(tx, "p", "", "ph2", 1);
	jd_job_release(&j);
	jd_exec_release(&x);
	commit(tx);

	/* StartNext's shape: the head read, started, still the head */
	tx = begin(true);
	memset(&y, 0, sizeof(y));
	CHECK(store_exec_pending(tx, "p", "", 1, first_exec, &y) >= 0);
	CHECK_EQ_STR(y.job_id, "ph2");
	head_is(tx, "p", "", "ph2", 1);
	y.status = JD_EXEC_IN_PROGRESS;
	y.version++;
	CHECK_EQ_INT(store_exec_update(tx, &y), 0);
	head_is(tx, "p", "", "ph2", 1);
	y.status = JD_EXEC_CANCELED;
	y.version++;
	CHECK_EQ_INT(store_exec_update(tx, &y), 0);
	head_is(tx, "p", "", "", 0);
	jd_exec_release(&y);
	store_rollback(tx);
	tx = begin(false);
	head_is(tx, "p", "", "ph2", 1); /* rolled back */
	check_counts(tx, "ph1", "pending head");
	check_counts(tx, "ph2", "pending head");
	commit(tx);
}

/* ---- main --------------------------------------------------------------- */

#include "cases_types.h"

int
main(int argc, char **argv)
{
	int rc;

	if ((rc = storekit_open(argc, argv)) != 0)
		return rc;

	RUN(t_meta);
	RUN(t_meta_list);
	RUN(t_rollback);
	RUN(t_read_tx);
	RUN(t_wipe);
	RUN(t_thing_crud);
	RUN(t_thing_list);
	RUN(t_group_crud);
	RUN(t_group_list);
	RUN(t_group_dynamic);
	RUN(t_members);
	RUN(t_bulk_inserts);
	RUN(t_job_crud);
	RUN(t_job_list);
	RUN(t_job_policy);
	RUN(t_nested_cb);
	RUN(t_exec_crud);
	RUN(t_exec_int_extremes);
	RUN(t_exec_list_job);
	RUN(t_exec_list_thing);
	RUN(t_exec_pending);
	RUN(t_exec_counts);
	RUN(t_exec_counts_all);
	RUN(t_read_one);
	RUN(t_write_then_read);
	RUN(t_exec_insert_first);
	RUN(t_exec_counts_changes);
	RUN(t_exec_counts_random);
	RUN(t_exec_delete_job);
	RUN(t_exec_due);
	RUN(t_template);
	RUN(t_concurrency);
	RUN(t_read_pool_shared);
	RUN(t_concurrent_writers);
	RUN(t_group_commit);
	RUN(t_writer_wait_deadline);
	RUN(t_change_after_read);
	RUN(t_group_change_after_read);
	RUN(t_group_lazy_savepoints);
	RUN(t_update_after_stale_read);
	RUN(t_update_same_status);
	RUN(t_refused_change_after_read);
	RUN(t_start_next_change);
	RUN(t_exec_list_job_summary);
	RUN(t_list_plan_after_bulk_insert);
	RUN(t_exec_get_job);
	RUN(t_exec_next_job);
	RUN(t_update_if);
	RUN(t_thing_insert_if);
	RUN(t_exec_pending_head);
	RUN(t_reopen);
	RUN(t_thing_type);
	RUN(t_tags);

	storekit_close();
	rc = test_report();
	return rc;
}
