/*
 * copystore.c: `jobsd copy-store --from SPEC --to SPEC [--force]`, the way
 * up from the embedded SQLite file to PostgreSQL (and back).
 *
 * It works through the store interface only (store/store.h), so it copies
 * whatever the two backends agree a record is, with each backend's own
 * encoding (SQLite's NULL names, PostgreSQL's '' names, the policy bytes),
 * and it needs no SQL of its own. The fast paths are the interface's bulk
 * operation: the first executions of each job go to exec_insert_first in
 * batches per (job, status), which is one COPY on PostgreSQL; the rest
 * (things with several executionNumbers) go one row at a time, in number
 * order, so each backend keeps its per-status counts itself.
 *
 * The whole copy is ONE write transaction on the target, opened after
 * checking that the target is empty (or wiping it with --force): the counts
 * are verified inside it, before the commit, and a mismatch rolls everything
 * back, so a failed copy leaves the target as it was. The source is read in
 * one write transaction that is rolled back at the end: one consistent
 * snapshot, which also keeps writers out while it runs (its paced-rollout
 * queues can only be read by popping them; the rollback puts them back).
 *
 * Thing types, dynamic groups (their query rides on the group record; their
 * members are memberships like a static group's) and tags are copied too.
 * The store lists tags per resource only, so they are copied and counted by
 * walking the resources copied: jobs, templates, thing groups, thing types.
 *
 * What changes: job and execution `seq` (the internal creation order, never
 * shown by the API) are assigned anew by the target, in the source's job
 * order; a thing's executions of different jobs keep their relative order
 * except where an older job re-executed after a newer one queued. Page
 * tokens issued before the copy stay valid only if the token key (meta) is
 * copied, which it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "copystore.h"
#include "core/core.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

#define PAGE 10000  /* rows per list call on the source and in verification */
#define CHUNK 2000  /* things or memberships per bulk insert (one COPY on PostgreSQL) */
#define BATCH 20000 /* first executions per exec_insert_first */

enum tally {
	T_META,
	T_TYPES,
	T_THINGS,
	T_GROUPS,
	T_DYNAMIC,
	T_MEMBERS,
	T_TEMPLATES,
	T_JOBS,
	T_TARGETS,
	T_EXECS,
	T_ROLLOUT,
	T_TAGS,
	T_TIMELINE,
	T_PAUSES,
	T_FANOUTS,
	T__COUNT
};

static const char *const tally_name[T__COUNT] = {"meta", "thing types", "things", "thing groups",
    "dynamic groups", "group memberships", "job templates", "jobs", "job group targets",
    "executions", "rollout queue", "tags", "timeline events", "paused jobs", "fan-out cursors"};

struct names {
	char **v;
	size_t n, cap;
};

struct cs {
	struct store *from, *to;
	struct store_tx *src, *dst;
	int64_t n[T__COUNT][2]; /* [0] read from the source, [1] found in the target */
	char after[256];        /* paging cursor of the list in progress */
	int64_t page;           /* rows the list in progress saw */
	struct names groups;
	struct names tagged; /* "KIND/NAME" of every resource that may have tags */
	int64_t job_mismatches;
	int64_t source_warnings;
	/* rows waiting for the next bulk insert (CHUNK at most) */
	struct jd_thing *tbuf;
	size_t tn;
	struct names mbuf;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
names_add(struct names *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = jd_realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = jd_strdup(s);
}

/* A resource that may have tags, by its tag key "KIND/NAME". */
static void
tagged_add(struct cs *c, const char *kind, const char *name)
{
	char key[JD_GROUP_NAME_MAX + 32];

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	names_add(&c->tagged, key);
}

static void
names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void
execv_clear(struct jd_execv *v)
{
	for (size_t i = 0; i < v->n; i++)
		jd_exec_release(&v->v[i]);
	v->n = 0;
}

/* ---- counting (verification) ------------------------------------------- */

static int
count_thing(void *arg, const struct jd_thing *t)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, t->name, sizeof(c->after));
	c->page++;
	return 0;
}

static int
count_group(void *arg, const struct jd_group *g)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, g->name, sizeof(c->after));
	c->page++;
	return 0;
}

static int
count_name(void *arg, const char *name)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, name, sizeof(c->after));
	c->page++;
	return 0;
}

static int
count_type(void *arg, const struct jd_thing_type *t)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, t->name, sizeof(c->after));
	c->page++;
	return 0;
}

static int
count_template(void *arg, const struct jd_template *t)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, t->id, sizeof(c->after));
	c->page++;
	return 0;
}

static int
count_job(void *arg, const struct jd_job *j)
{
	(void)j;
	((struct cs *)arg)->page++;
	return 0;
}

static int
count_meta(void *arg, const char *key, const char *val)
{
	(void)key;
	(void)val;
	((struct cs *)arg)->page++;
	return 0;
}

/* Page through a list by name with `list` until a short page; *n = rows. */
#define PAGED(c, n, call)                               \
	do {                                            \
		(c)->after[0] = '\0';                   \
		for (;;) {                              \
			int64_t before_ = (c)->page;    \
			int rc_ = (call);               \
			if (rc_ != 0)                   \
				return rc_;             \
			if ((c)->page - before_ < PAGE) \
				break;                  \
		}                                       \
		(n) = (c)->page;                        \
		(c)->page = 0;                          \
	} while (0)

/* ---- copying the registry ---------------------------------------------- */

static int
copy_meta(void *arg, const char *key, const char *val)
{
	struct cs *c = arg;

	c->page++;
	return store_meta_put(c->dst, key, val);
}

static int
copy_type(void *arg, const struct jd_thing_type *t)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, t->name, sizeof(c->after));
	c->page++;
	tagged_add(c, "thingtype", t->name);
	return store_thing_type_insert(c->dst, t);
}

/* Insert the buffered things with one bulk insert. */
static int
flush_things(struct cs *c)
{
	int rc = store_thing_insert_many(c->dst, c->tbuf, c->tn);

	for (size_t i = 0; i < c->tn; i++)
		free(c->tbuf[i].attributes);
	c->tn = 0;
	return rc;
}

/* the thing's type_name (a thing type's name or "") travels with it;
 * things go in bulk, CHUNK at a time */
static int
copy_thing(void *arg, const struct jd_thing *t)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, t->name, sizeof(c->after));
	c->page++;
	if (c->tbuf == NULL)
		c->tbuf = jd_calloc(CHUNK, sizeof(*c->tbuf));
	c->tbuf[c->tn] = *t;
	c->tbuf[c->tn].attributes = t->attributes != NULL ? jd_strdup(t->attributes) : NULL;
	return ++c->tn < CHUNK ? 0 : flush_things(c);
}

static int
copy_group(void *arg, const struct jd_group *g)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, g->name, sizeof(c->after));
	c->page++;
	names_add(&c->groups, g->name);
	tagged_add(c, "thinggroup", g->name);
	/* a dynamic group's query travels in g; its members are memberships */
	if (g->query_string != NULL)
		c->n[T_DYNAMIC][0]++;
	return store_group_insert(c->dst, g);
}

struct member_ctx {
	struct cs *c;
	const char *group;
};

/* Insert the buffered memberships of group with one bulk insert. */
static int
flush_members(struct cs *c, const char *group)
{
	int rc = store_member_add_many(c->dst, group, (const char *const *)c->mbuf.v, c->mbuf.n);

	for (size_t i = 0; i < c->mbuf.n; i++)
		free(c->mbuf.v[i]);
	c->mbuf.n = 0;
	return rc;
}

static int
copy_member(void *arg, const char *thing)
{
	struct member_ctx *m = arg;

	jd_strlcpy(m->c->after, thing, sizeof(m->c->after));
	m->c->page++;
	names_add(&m->c->mbuf, thing);
	return m->c->mbuf.n < CHUNK ? 0 : flush_members(m->c, m->group);
}

static int
copy_template(void *arg, const struct jd_template *t)
{
	struct cs *c = arg;

	jd_strlcpy(c->after, t->id, sizeof(c->after));
	c->page++;
	tagged_add(c, "jobtemplate", t->id);
	return store_template_insert(c->dst, t);
}

static int
copy_registry(struct cs *c)
{
	int64_t n;
	int rc;

	c->page = 0;
	if (store_meta_list(c->src, copy_meta, c) != 0)
		return JD_EUNAVAIL;
	c->n[T_META][0] = c->page;
	c->page = 0;
	PAGED(c, n, store_thing_type_list(c->src, NULL, c->after, PAGE, copy_type, c));
	c->n[T_TYPES][0] = n;
	PAGED(c, n, store_thing_list(c->src, NULL, c->after, PAGE, copy_thing, c));
	c->n[T_THINGS][0] = n;
	if ((rc = flush_things(c)) != 0)
		return rc;
	PAGED(c, n, store_group_list(c->src, NULL, c->after, PAGE, copy_group, c));
	c->n[T_GROUPS][0] = n;
	for (size_t i = 0; i < c->groups.n; i++) {
		struct member_ctx m = {c, c->groups.v[i]};

		PAGED(c, n,
		    store_member_list(c->src, m.group, false, c->after, PAGE, copy_member, &m));
		c->n[T_MEMBERS][0] += n;
		if ((rc = flush_members(c, m.group)) != 0)
			return rc;
	}
	PAGED(c, n, store_template_list(c->src, c->after, PAGE, copy_template, c));
	c->n[T_TEMPLATES][0] = n;
	return 0;
}

/* ---- copying jobs and executions --------------------------------------- */

/* One job's executions in flight: the rows of the current thing, the
 * batches of first executions by status, and what the source showed. */
struct xcopy {
	struct cs *c;
	const char *job_id;
	struct jd_execv thing;                 /* rows of one thing, by number */
	struct jd_execv first[JD_EXEC__COUNT]; /* batches for exec_insert_first */
	char after_thing[JD_THING_NAME_MAX + 1];
	int64_t after_number;
	int64_t seen;                   /* rows of the current page */
	int64_t total[JD_EXEC__COUNT];  /* rows by status */
	int64_t latest[JD_EXEC__COUNT]; /* things by their latest row's status */
	int64_t rows;
	bool write; /* false: only count (verification) */
	int rc;
};

static int
flush_first(struct xcopy *x, int status)
{
	struct jd_execv *b = &x->first[status];
	int rc = 0;

	if (b->n > 0)
		rc = store_exec_insert_first(x->c->dst, b->v, b->n);
	execv_clear(b);
	return rc;
}

/* The rows of one thing are complete: tally them and (when copying) write
 * them, a lone first execution into its batch, others one by one. */
static int
flush_thing(struct xcopy *x)
{
	struct jd_execv *t = &x->thing;
	const struct jd_exec *last;
	int rc = 0;

	if (t->n == 0)
		return 0;
	last = &t->v[t->n - 1];
	if (last->status >= 0 && last->status < JD_EXEC__COUNT)
		x->latest[last->status]++;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].status >= 0 && t->v[i].status < JD_EXEC__COUNT)
			x->total[t->v[i].status]++;
	x->rows += (int64_t)t->n;
	if (!x->write)
		goto out;
	if (t->n == 1 && last->number == 1 && last->status >= 0 && last->status < JD_EXEC__COUNT) {
		jd_execv_add(&x->first[last->status], last);
		if (x->first[last->status].n >= BATCH)
			rc = flush_first(x, last->status);
		goto out;
	}
	for (size_t i = 0; i < t->n && rc == 0; i++)
		rc = store_exec_insert(x->c->dst, &t->v[i]);
out:
	execv_clear(t);
	return rc;
}

static int
on_exec(void *arg, const struct jd_exec *e)
{
	struct xcopy *x = arg;
	int rc;

	x->seen++;
	jd_strlcpy(x->after_thing, e->thing_name, sizeof(x->after_thing));
	x->after_number = e->number;
	if (x->thing.n > 0 && strcmp(x->thing.v[0].thing_name, e->thing_name) != 0 &&
	    (rc = flush_thing(x)) != 0)
		return rc;
	return jd_execv_add(&x->thing, e);
}

/* Scan (and, with x->write, copy) every execution of x->job_id in tx. */
static int
scan_execs(struct xcopy *x, struct store_tx *tx)
{
	int rc = 0;

	x->after_thing[0] = '\0';
	x->after_number = 0;
	do {
		x->seen = 0;
		rc = store_exec_list_job(tx, x->job_id, -1, x->after_thing, x->after_number, PAGE,
		    on_exec, x);
	} while (rc == 0 && x->seen == PAGE);
	if (rc == 0)
		rc = flush_thing(x);
	for (int s = 0; s < JD_EXEC__COUNT && rc == 0 && x->write; s++)
		rc = flush_first(x, s);
	return rc;
}

static void
xcopy_free(struct xcopy *x)
{
	jd_execv_free(&x->thing);
	for (int s = 0; s < JD_EXEC__COUNT; s++)
		jd_execv_free(&x->first[s]);
}

struct rollout_ctx {
	struct cs *c;
	const char *job_id;
	int64_t pos;
};

static int
copy_rollout(void *arg, const char *thing)
{
	struct rollout_ctx *r = arg;

	return store_rollout_push(r->c->dst, r->job_id, r->pos++, thing);
}

static int
count_rollout(void *arg, const char *thing)
{
	(void)thing;
	((struct rollout_ctx *)arg)->pos++;
	return 0;
}

/* A job's timeline events, pause and unfinished fan-out cursors (issues 14
 * and 15): copied as they are (a timeline event's seq and a cursor's run
 * are renumbered in the same order), and counted in source and target. */
struct extra_ctx {
	struct cs *c;
	const char *job_id;
	bool write;
	int64_t n;
};

static int
copy_event(void *arg, const struct store_timeline_event *ev)
{
	struct extra_ctx *x = arg;

	x->n++;
	return x->write ?
	    store_timeline_add(x->c->dst, x->job_id, ev->at_ms, ev->event, ev->detail, INT32_MAX) :
	    0;
}

static int
copy_fanout(void *arg, const struct store_fanout *f)
{
	struct extra_ctx *x = arg;
	struct store_fanout g = *f;

	x->n++;
	return x->write ? store_fanout_insert(x->c->dst, &g) : 0;
}

static int
copy_job_extras(struct cs *c, const char *job_id)
{
	struct extra_ctx in = {c, job_id, true, 0}, out = {c, job_id, false, 0};
	int64_t paused_ms = 0;
	int rc;

	if ((rc = store_timeline_list(c->src, job_id, copy_event, &in)) != 0 ||
	    (rc = store_timeline_list(c->dst, job_id, copy_event, &out)) != 0)
		return rc;
	c->n[T_TIMELINE][0] += in.n;
	c->n[T_TIMELINE][1] += out.n;
	rc = store_pause_get(c->src, job_id, &paused_ms);
	if (rc == 0) {
		c->n[T_PAUSES][0]++;
		if ((rc = store_pause_put(c->dst, job_id, paused_ms)) != 0)
			return rc;
	} else if (rc != JD_ENOTFOUND) {
		return rc;
	}
	rc = store_pause_get(c->dst, job_id, &paused_ms);
	if (rc == 0)
		c->n[T_PAUSES][1]++;
	else if (rc != JD_ENOTFOUND)
		return rc;
	in.n = out.n = 0;
	if ((rc = store_fanout_list(c->src, job_id, INT32_MAX, copy_fanout, &in)) != 0 ||
	    (rc = store_fanout_list(c->dst, job_id, INT32_MAX, copy_fanout, &out)) != 0)
		return rc;
	c->n[T_FANOUTS][0] += in.n;
	c->n[T_FANOUTS][1] += out.n;
	return 0;
}

/* Copy job j (its seq is replaced by the target's), its executions and its
 * rollout queue; then verify its counts in the target. */
static int
copy_job(struct cs *c, struct jd_job *j)
{
	struct xcopy in = {.c = c, .job_id = j->job_id, .write = true};
	struct xcopy out = {.c = c, .job_id = j->job_id, .write = false};
	struct rollout_ctx r = {c, j->job_id, 0};
	struct jd_counts sc, dc;
	int rc;

	tagged_add(c, "job", j->job_id);
	if ((rc = store_job_insert(c->dst, j)) != 0 || (rc = scan_execs(&in, c->src)) != 0 ||
	    (rc = store_rollout_pop(c->src, j->job_id, 0, copy_rollout, &r)) != 0 ||
	    (rc = scan_execs(&out, c->dst)) != 0 ||
	    (rc = store_exec_counts(c->src, j->job_id, &sc)) != 0 ||
	    (rc = store_exec_counts(c->dst, j->job_id, &dc)) != 0 ||
	    (rc = copy_job_extras(c, j->job_id)) != 0)
		goto done;
	c->n[T_EXECS][0] += in.rows;
	c->n[T_EXECS][1] += out.rows;
	c->n[T_ROLLOUT][0] += r.pos;
	for (int s = 0; s < JD_EXEC__COUNT; s++) {
		if (in.total[s] != out.total[s] || in.latest[s] != out.latest[s] ||
		    dc.n[s] != out.latest[s]) {
			fprintf(stderr,
			    "copy-store: job %s, %s: source %" PRId64 " executions (%" PRId64
			    " latest), target %" PRId64 " (%" PRId64
			    " latest, stored count %" PRId64 ")\n",
			    j->job_id, core_exec_status_name(s), in.total[s], in.latest[s],
			    out.total[s], out.latest[s], dc.n[s]);
			c->job_mismatches++;
		}
		if (sc.n[s] != in.latest[s]) {
			fprintf(stderr,
			    "copy-store: warning: job %s, %s: the source's stored count is %" PRId64
			    " but its rows say %" PRId64 "; the target counts its rows\n",
			    j->job_id, core_exec_status_name(s), sc.n[s], in.latest[s]);
			c->source_warnings++;
		}
	}
done:
	xcopy_free(&in);
	xcopy_free(&out);
	return rc;
}

static int
copy_target(void *arg, const struct jd_job *j)
{
	struct member_ctx *m = arg;

	m->c->page++;
	return store_job_target_add(m->c->dst, j->job_id, m->group);
}

static int
copy_jobs(struct cs *c)
{
	struct jd_jobv jobs = {0};
	int64_t before = 0;
	int rc = 0;
	size_t prev;

	/* newest first, by seq; copied oldest first so the target's seqs keep
	 * the order */
	do {
		prev = jobs.n;
		if ((rc = store_job_list(c->src, NULL, before, PAGE, jd_jobv_add, &jobs)) != 0)
			goto out;
		if (jobs.n > 0)
			before = jobs.v[jobs.n - 1].seq;
	} while (jobs.n - prev == PAGE);
	c->n[T_JOBS][0] = (int64_t)jobs.n;
	for (size_t i = jobs.n; i-- > 0 && rc == 0;)
		rc = copy_job(c, &jobs.v[i]);
	for (size_t i = 0; i < c->groups.n && rc == 0; i++) {
		struct member_ctx m = {c, c->groups.v[i]};

		c->page = 0;
		rc = store_job_list_by_group(c->src, m.group, copy_target, &m);
		c->n[T_TARGETS][0] += c->page;
		c->page = 0;
	}
out:
	jd_jobv_free(&jobs);
	return rc;
}

/* ---- copying tags ------------------------------------------------------ */

static int
copy_tag(void *arg, const char *key, const char *value)
{
	struct member_ctx *m = arg;

	jd_strlcpy(m->c->after, key, sizeof(m->c->after));
	m->c->page++;
	return store_tag_put(m->c->dst, m->group, key, value);
}

/* The store lists tags per resource only: walk every resource copied. */
static int
copy_tags(struct cs *c)
{
	int64_t n;

	for (size_t i = 0; i < c->tagged.n; i++) {
		struct member_ctx m = {c, c->tagged.v[i]};

		PAGED(c, n, store_tag_list(c->src, m.group, c->after, PAGE, copy_tag, &m));
		c->n[T_TAGS][0] += n;
	}
	return 0;
}

/* ---- verification ------------------------------------------------------ */

/* Count every table of the target in tx (executions were counted per job). */
static int
count_target(struct cs *c, struct store_tx *tx, int64_t n[T__COUNT])
{
	int64_t before = 0, k;

	c->page = 0;
	if (store_meta_list(tx, count_meta, c) != 0)
		return JD_EUNAVAIL;
	n[T_META] = c->page;
	c->page = 0;
	PAGED(c, n[T_TYPES], store_thing_type_list(tx, NULL, c->after, PAGE, count_type, c));
	PAGED(c, n[T_THINGS], store_thing_list(tx, NULL, c->after, PAGE, count_thing, c));
	PAGED(c, n[T_GROUPS], store_group_list(tx, NULL, c->after, PAGE, count_group, c));
	PAGED(c, n[T_DYNAMIC], store_group_list_dynamic(tx, c->after, PAGE, count_group, c));
	PAGED(c, n[T_TEMPLATES], store_template_list(tx, c->after, PAGE, count_template, c));
	n[T_MEMBERS] = n[T_TARGETS] = 0;
	for (size_t i = 0; i < c->groups.n; i++) {
		PAGED(c, k,
		    store_member_list(tx, c->groups.v[i], false, c->after, PAGE, count_name, c));
		n[T_MEMBERS] += k;
		if (store_job_list_by_group(tx, c->groups.v[i], count_job, c) != 0)
			return JD_EUNAVAIL;
		n[T_TARGETS] += c->page;
		c->page = 0;
	}
	n[T_TAGS] = 0;
	for (size_t i = 0; i < c->tagged.n; i++) {
		if (store_tag_count(tx, c->tagged.v[i], &k) != 0)
			return JD_EUNAVAIL;
		n[T_TAGS] += k;
	}
	n[T_JOBS] = 0;
	for (;;) {
		struct jd_jobv page = {0};
		int rc = store_job_list(tx, NULL, before, PAGE, jd_jobv_add, &page);
		size_t got = page.n;

		if (got > 0)
			before = page.v[got - 1].seq;
		jd_jobv_free(&page);
		if (rc != 0)
			return rc;
		n[T_JOBS] += (int64_t)got;
		if (got < PAGE)
			break;
	}
	return 0;
}

/* The committed rollout queues, read by popping in a transaction that is
 * rolled back. */
static int
count_rollouts(struct cs *c, int64_t *n)
{
	struct store_tx *tx = NULL;
	struct jd_jobv jobs = {0};
	int64_t before = 0;
	int rc;
	size_t prev;

	*n = 0;
	if ((rc = store_begin(c->to, true, &tx)) != 0)
		return rc;
	do {
		prev = jobs.n;
		if ((rc = store_job_list(tx, NULL, before, PAGE, jd_jobv_add, &jobs)) != 0)
			goto out;
		if (jobs.n > 0)
			before = jobs.v[jobs.n - 1].seq;
	} while (jobs.n - prev == PAGE);
	for (size_t i = 0; i < jobs.n && rc == 0; i++) {
		struct rollout_ctx r = {c, jobs.v[i].job_id, 0};

		rc = store_rollout_pop(tx, jobs.v[i].job_id, 0, count_rollout, &r);
		*n += r.pos;
	}
out:
	store_rollback(tx);
	jd_jobv_free(&jobs);
	return rc;
}

/* Is anything in the target? The first table with a row, or NULL. */
static int
target_content(struct cs *c, const char **what)
{
	int64_t n[T__COUNT] = {0};
	int rc;

	*what = NULL;
	c->page = 0;
	if ((rc = store_meta_list(c->dst, count_meta, c)) != 0 ||
	    (rc = store_thing_list(c->dst, NULL, "", 1, count_thing, c)) != 0)
		return rc;
	n[T_META] = c->page;
	c->page = 0;
	if ((rc = store_group_list(c->dst, NULL, "", 1, count_group, c)) != 0)
		return rc;
	n[T_GROUPS] = c->page;
	c->page = 0;
	if ((rc = store_job_list(c->dst, NULL, 0, 1, count_job, c)) != 0)
		return rc;
	n[T_JOBS] = c->page;
	c->page = 0;
	if ((rc = store_template_list(c->dst, "", 1, count_template, c)) != 0)
		return rc;
	n[T_TEMPLATES] = c->page;
	c->page = 0;
	if ((rc = store_thing_type_list(c->dst, NULL, "", 1, count_type, c)) != 0)
		return rc;
	n[T_TYPES] = c->page;
	c->page = 0;
	for (int t = 0; t < T__COUNT; t++)
		if (n[t] > 0) {
			*what = tally_name[t];
			break;
		}
	return 0;
}

/* ---- the command ------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: jobsd copy-store --from SPEC --to SPEC [--force]\n"
	    "\n"
	    "Copy the whole state of a STOPPED deployment from one store to another and\n"
	    "verify every count (per table and per job and status) before committing.\n"
	    "SPEC is sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?params].\n"
	    "The target must be empty; --force empties it first (in the same transaction).\n"
	    "\n"
	    "exit status: 0 copied and verified, 1 a store failed (nothing committed),\n"
	    "2 usage, 3 the target is not empty, 4 a count differed (nothing committed)\n");
}

/* A sqlite: source must exist (opening would create an empty one). */
static int
source_exists(const char *spec)
{
	struct stat st;

	if (strncmp(spec, "sqlite:", 7) != 0)
		return 1;
	return stat(spec + 7, &st) == 0 && S_ISREG(st.st_mode);
}

static int
open_store(const char *spec, const char *role, struct store **out)
{
	struct jd_error e;
	char shown[1024];
	int rc;

	jd_error_init(&e);
	if ((rc = store_open(spec, out, &e)) != 0)
		fprintf(stderr, "copy-store: cannot open the %s %s: %s\n", role,
		    store_spec_redact(spec, shown, sizeof(shown)), e.msg);
	jd_error_clear(&e);
	return rc;
}

static int
run(struct cs *c, bool force)
{
	int64_t got[T__COUNT] = {0}, rollout = 0;
	const char *what = NULL;
	int bad = 0, rc;
	bool committed = false;
	double t0 = now_s();

	if (store_begin(c->from, true, &c->src) != 0 || store_begin(c->to, true, &c->dst) != 0) {
		fprintf(stderr, "copy-store: cannot begin a transaction\n");
		return COPYSTORE_ESTORE;
	}
	if (target_content(c, &what) != 0) {
		fprintf(stderr, "copy-store: cannot read the target\n");
		return COPYSTORE_ESTORE;
	}
	if (what != NULL && !force) {
		fprintf(stderr,
		    "copy-store: the target is not empty (it has %s); refusing to copy into it."
		    " --force empties it first\n",
		    what);
		return COPYSTORE_ENONEMPTY;
	}
	if (what != NULL && store_wipe(c->dst) != 0) {
		fprintf(stderr, "copy-store: cannot empty the target\n");
		return COPYSTORE_ESTORE;
	}
	if ((rc = copy_registry(c)) != 0 || (rc = copy_jobs(c)) != 0 || (rc = copy_tags(c)) != 0) {
		fprintf(stderr, "copy-store: the copy failed (%s); nothing was committed\n",
		    jd_errno_name(rc));
		return COPYSTORE_ESTORE;
	}
	printf("copied in %.1f s; verifying\n", now_s() - t0);
	fflush(stdout);
	if (count_target(c, c->dst, got) != 0) {
		fprintf(stderr, "copy-store: cannot count the target; nothing was committed\n");
		return COPYSTORE_ESTORE;
	}
	for (int t = 0; t < T__COUNT; t++)
		if (t != T_EXECS && t != T_ROLLOUT && t != T_TIMELINE && t != T_PAUSES &&
		    t != T_FANOUTS)
			c->n[t][1] = got[t];
	for (int t = 0; t < T__COUNT; t++)
		if (t != T_ROLLOUT && c->n[t][0] != c->n[t][1])
			bad++;
	if (bad > 0 || c->job_mismatches > 0) {
		store_rollback(c->dst);
		c->dst = NULL;
	} else {
		rc = store_commit(c->dst);
		c->dst = NULL;
		if (rc != 0) {
			fprintf(stderr, "copy-store: the commit failed; nothing was committed\n");
			return COPYSTORE_ESTORE;
		}
		committed = true;
		if (count_rollouts(c, &rollout) != 0) {
			fprintf(stderr, "copy-store: cannot read back the rollout queues\n");
			return COPYSTORE_ESTORE;
		}
		c->n[T_ROLLOUT][1] = rollout;
		if (c->n[T_ROLLOUT][0] != rollout)
			bad++;
	}
	printf("%-20s %12s %12s\n", "table", "source", "target");
	for (int t = 0; t < T__COUNT; t++)
		printf("%-20s %12" PRId64 " %12" PRId64 "%s\n", tally_name[t], c->n[t][0],
		    c->n[t][1], c->n[t][0] != c->n[t][1] ? "  MISMATCH" : "");
	if (bad > 0 || c->job_mismatches > 0) {
		fprintf(stderr,
		    "copy-store: %d table count(s) and %" PRId64 " job count(s) differ; %s\n", bad,
		    c->job_mismatches,
		    committed ?
		        "the copy was committed: empty the target (--force) and copy again" :
		        "nothing was committed");
		return COPYSTORE_EVERIFY;
	}
	printf("copied and verified %" PRId64 " executions of %" PRId64
	       " jobs in %.1f s (per-job counts checked%s)\n",
	    c->n[T_EXECS][0], c->n[T_JOBS][0], now_s() - t0,
	    c->source_warnings > 0 ? "; see the warnings about the source" : "");
	return COPYSTORE_OK;
}

int
copystore_main(int argc, char **argv)
{
	struct cs c = {0};
	const char *from = NULL, *to = NULL;
	bool force = false;
	char a[1024], b[1024];
	int rc = COPYSTORE_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strncmp(argv[i], "--from=", 7) == 0)
			from = argv[i] + 7;
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strncmp(argv[i], "--to=", 5) == 0)
			to = argv[i] + 5;
		else if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return COPYSTORE_OK;
		} else {
			fprintf(stderr, "copy-store: unknown argument %s\n",
			    strncmp(argv[i], "--", 2) == 0 ? argv[i] : "(a value; see --help)");
			usage(stderr);
			return COPYSTORE_EUSAGE;
		}
	}
	if (from == NULL || to == NULL || *from == '\0' || *to == '\0') {
		fprintf(stderr, "copy-store: --from and --to are required\n");
		usage(stderr);
		return COPYSTORE_EUSAGE;
	}
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "copy-store: --from and --to name the same store\n");
		return COPYSTORE_EUSAGE;
	}
	store_spec_redact(from, a, sizeof(a));
	store_spec_redact(to, b, sizeof(b));
	if (!source_exists(from)) {
		fprintf(stderr, "copy-store: the source %s does not exist\n", a);
		return COPYSTORE_ESTORE;
	}
	printf("copy-store: %s -> %s\n", a, b);
	fflush(stdout);
	if (open_store(from, "source", &c.from) != 0 || open_store(to, "target", &c.to) != 0) {
		rc = COPYSTORE_ESTORE;
		goto out;
	}
	rc = run(&c, force);
	/* PostgreSQL's planner knows nothing of the rows yet, and autovacuum
	 * would get to them while jobsd runs (bench/README.md, "Scale") */
	if (rc == COPYSTORE_OK && strncmp(to, "sqlite:", 7) != 0)
		printf("next: run VACUUM (ANALYZE) in the target database before starting jobsd"
		       " on it\n");
out:
	store_rollback(c.dst);
	store_rollback(c.src);
	names_free(&c.groups);
	names_free(&c.tagged);
	for (size_t i = 0; i < c.tn; i++)
		free(c.tbuf[i].attributes);
	free(c.tbuf);
	names_free(&c.mbuf);
	store_close(c.to);
	store_close(c.from);
	return rc;
}
