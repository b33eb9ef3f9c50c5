/*
 * store.h: the persistence interface of jobsd.
 *
 * A backend fills a `const struct store_ops` (versioned, like SQLite's VFS)
 * and registers it by name; callers use only the store_*() wrappers below.
 * All data access happens inside a transaction (struct store_tx): a use case
 * in svc/ opens one, calls any number of operations, and commits once, so a
 * 200 is sent only after a durable commit. A backend serialises writers as it
 * sees fit; readers may run concurrently.
 *
 * The records it reads and writes are the domain's (core/model.h); this
 * header declares only the operations over them.
 *
 * Every operation returns 0, JD_ENOTFOUND (get/update/delete of a missing
 * row), JD_EEXISTS (insert of an existing key) or JD_EUNAVAIL (the database
 * failed: busy past its timeout, full, I/O error; the transaction must be
 * rolled back). List operations call `cb` once per row (row borrowed for the
 * call); a non-zero return from cb stops the scan and is returned. A
 * callback may call other operations on the same transaction. In lists,
 * `limit` <= 0 means no limit, and a NULL or "" `after` cursor means from the
 * first row.
 */
#ifndef JD_STORE_STORE_H
#define JD_STORE_STORE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "util/err.h"

/* 2: struct store_tx_base carries `write`, which a backend's begin sets.
 * 3: leases (lease_acquire, lease_release, lease_check, lease_list).
 * 4: a job's timeline and pause (timeline_add ... rollout_count), issue 14.
 * 5: lease_renew (store-level, outside transactions), thing_insert_many and
 *    member_add_many (bulk, copy-store).
 * 6: `read`, the one-operation reads (struct store_read_ops, store_read.h). */
#define STORE_OPS_VERSION 6

struct store; /* backend instance (opaque) */
/* A meta row (key, value), borrowed for the call. */
typedef int (*store_meta_cb)(void *arg, const char *key, const char *val);
struct store_tx; /* one transaction (opaque) */

/* ---- leases (D24: several nodes on one database) ------------------------
 *
 * A lease is a named row: who holds it, until when, and its epoch (a fencing
 * token). Times are the database's clock (PostgreSQL: clock_timestamp();
 * SQLite: the host's real clock), never a node's, and never the test rig's
 * virtual clock. The epoch grows each time the lease is taken afresh (a new
 * holder, or the same one after it lapsed or was released); renewing a live
 * lease keeps it. svc/cluster.c builds the duty lease and the MQTT shard
 * leases on these. */
#define STORE_LEASE_NAME_MAX 127
#define STORE_LEASE_HOLDER_MAX 63

struct store_lease {
	char name[STORE_LEASE_NAME_MAX + 1];
	char holder[STORE_LEASE_HOLDER_MAX + 1];
	int64_t epoch;
	int64_t expires_ms; /* database clock, epoch ms; <= now_ms: expired */
	int64_t now_ms;     /* database clock when the operation ran */
};
/* Called per lease (borrowed); non-zero stops the scan and is returned. */
typedef int (*store_lease_cb)(void *arg, const struct store_lease *l);

/* ---- a job's timeline and pause (issue 14, svc/timeline.c) --------------
 *
 * The timeline is what happened to a job, in order: one row per event
 * (seq, a number that grows per job; at_ms, the service's clock; event, a
 * name such as "PAUSED"; detail, free text). Rows are deleted with their
 * job. The pause row says a job's rollout is held by an operator since
 * paused_ms; it too is deleted with its job. */
#define STORE_TIMELINE_EVENT_MAX 31
#define STORE_TIMELINE_DETAIL_MAX 2300

struct store_timeline_event {
	int64_t seq;
	int64_t at_ms;
	const char *event;  /* borrowed for the call */
	const char *detail; /* borrowed for the call; "" when none */
};
typedef int (*store_timeline_cb)(void *arg, const struct store_timeline_event *ev);
/* ---- targets and chunked fan-out (issue 15) -------------------------------
 *
 * thing_resolve looks up a job's explicit targets in one store pass: for
 * each name, whether the thing exists and (job_id given) the number and
 * status of its latest execution of that job.
 *
 * A fan-out that does not fit in one transaction keeps a durable cursor per
 * (job, run): the thing groups it walks (a JSON array of names), the group
 * being walked (source) and the last thing done in it (after). Each chunk
 * queues the next things and advances the cursor in the same transaction, so
 * a crash resumes where it stopped: nothing lost, nothing twice. */
struct store_target {
	const char *name;      /* in: borrowed */
	bool exists;           /* out: a thing of that name exists */
	int64_t latest_number; /* out: of the job's latest execution on it; 0 none */
	int latest_status;     /* out: its status; -1 none */
};

enum store_fanout_mode {
	STORE_FANOUT_FIRST = 0,     /* a job's initial targets: each thing's first execution */
	STORE_FANOUT_ASSOCIATE = 1, /* added later: only things the job has not reached */
};

struct store_fanout {
	char job_id[JD_JOB_ID_MAX + 1];
	int64_t run;                       /* set by fanout_insert: this job's runs, oldest first */
	int mode;                          /* enum store_fanout_mode */
	char *groups;                      /* owned: JSON array of the group names to walk */
	int64_t source;                    /* index in groups of the group being walked */
	char after[JD_THING_NAME_MAX + 1]; /* last thing done in it ("" none) */
	int64_t paced_left;                /* things still to queue now; after that, to the rollout
	                       queue. -1: not paced */
	int64_t pos;                       /* the next rollout_queue position */
};
/* Called per fan-out (borrowed); non-zero stops the scan and is returned. */
typedef int (*store_fanout_cb)(void *arg, const struct store_fanout *f);

struct store_ops {
	int version;      /* STORE_OPS_VERSION */
	const char *name; /* "sqlite", "postgres" */

	/* Open the store at `where` (backend-specific: a file path, a conninfo),
	 * creating and migrating the schema. */
	int (*open)(const char *where, struct store **out, struct jd_error *e);
	void (*close)(struct store *s);
	/* write=true takes the writer lock up front (read-then-write use cases).
	 * write=false is a read-only snapshot: a write in it fails (JD_EUNAVAIL). */
	int (*begin)(struct store *s, bool write, struct store_tx **out);
	int (*commit)(struct store_tx *tx);
	void (*rollback)(struct store_tx *tx);

	int (*wipe)(struct store_tx *tx); /* delete every row (test-rig reset) */
	int (*meta_get)(struct store_tx *tx, const char *key, char **val);
	int (*meta_put)(struct store_tx *tx, const char *key, const char *val);

	int (*thing_get)(struct store_tx *tx, const char *name, struct jd_thing *out);
	int (*thing_insert)(struct store_tx *tx, const struct jd_thing *t);
	int (*thing_update)(struct store_tx *tx, const struct jd_thing *t);
	int (*thing_delete)(struct store_tx *tx, const char *name); /* and its memberships */
	/* ascending by name, name > after */
	int (*thing_list)(struct store_tx *tx, const struct jd_thing_filter *f, const char *after,
	    int limit, jd_thing_cb cb, void *arg);
	/* names of the groups the thing is a direct member of */
	int (*thing_groups)(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg);

	int (*group_get)(struct store_tx *tx, const char *name, struct jd_group *out);
	int (*group_insert)(struct store_tx *tx, const struct jd_group *g);
	/* also its memberships (not its child groups) */
	int (*group_delete)(struct store_tx *tx, const char *name);
	int (*group_list)(struct store_tx *tx, const struct jd_group_filter *f, const char *after,
	    int limit, jd_group_cb cb, void *arg);
	int (*group_child_count)(struct store_tx *tx, const char *name, int64_t *n);
	/* description, attributes, version and the dynamic-group members of an
	 * existing group (JD_ENOTFOUND if none) */
	int (*group_update)(struct store_tx *tx, const struct jd_group *g);
	/* dynamic groups (query_string set), by name > after */
	int (*group_list_dynamic)(struct store_tx *tx, const char *after, int limit, jd_group_cb cb,
	    void *arg);
	int (*member_add)(struct store_tx *tx, const char *group, const char *thing);
	int (*member_remove)(struct store_tx *tx, const char *group, const char *thing);
	/* distinct things in group (and its descendants when recursive), by name > after */
	int (*member_list)(struct store_tx *tx, const char *group, bool recursive,
	    const char *after, int limit, jd_name_cb cb, void *arg);

	int (*job_get)(struct store_tx *tx, const char *job_id, struct jd_job *out);
	/* only status and selection (JD_JOB_*, JD_SEL_*): cheap, for hot paths */
	int (*job_status)(struct store_tx *tx, const char *job_id, int *status, int *selection);
	int (*job_insert)(struct store_tx *tx, struct jd_job *j); /* sets j->seq */
	int (*job_update)(struct store_tx *tx, const struct jd_job *j);
	int (*job_delete)(struct store_tx *tx, const char *job_id); /* and its group targets */
	/* newest first: seq < before_seq (0 = from the newest) */
	int (*job_list)(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq,
	    int limit, jd_job_cb cb, void *arg);
	int (*job_count_status)(struct store_tx *tx, int status, int64_t *n);
	/* group targets of jobs: record and query (continuous joins) */
	int (*job_target_add)(struct store_tx *tx, const char *job_id, const char *group);
	int (*job_list_by_group)(struct store_tx *tx, const char *group, jd_job_cb cb,
	    void *arg); /* oldest first */

	int (*exec_get)(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
	    struct jd_exec *out);                                   /* number 0 = latest */
	int (*exec_insert)(struct store_tx *tx, struct jd_exec *x); /* sets x->seq */
	/* as exec_insert for each of xs[n], faster, when every row is the first
	 * execution of its (job, thing) and all have the same job and status
	 * (else JD_EINVAL); on any error the caller rolls back */
	int (*exec_insert_first)(struct store_tx *tx, struct jd_exec *xs, size_t n);
	int (*exec_update)(struct store_tx *tx, const struct jd_exec *x);
	int (*exec_delete)(struct store_tx *tx, const char *job_id, const char *thing,
	    int64_t number);
	/* *n = 0 when the thing has no execution of the job */
	int (*exec_max_number)(struct store_tx *tx, const char *job_id, const char *thing,
	    int64_t *n);
	/* by (thing name, number) > (after_thing, after_number) */
	int (*exec_list_job)(struct store_tx *tx, const char *job_id, int status,
	    const char *after_thing, int64_t after_number, int limit, jd_exec_cb cb, void *arg);
	/* newest queued first: seq < before_seq (0 = newest) */
	int (*exec_list_thing)(struct store_tx *tx, const char *thing,
	    const struct jd_exec_filter *f, int64_t before_seq, int limit, jd_exec_cb cb,
	    void *arg);
	/* the pending list (§7.1) of thing in namespace ("" or NULL = none), head first:
	 * IN_PROGRESS before QUEUED, then by queued_ms, then seq */
	int (*exec_pending)(struct store_tx *tx, const char *thing, const char *namespace_id,
	    int limit, jd_exec_cb cb, void *arg);
	/* pending executions of a job (for cancel), any order */
	int (*exec_pending_job)(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg);
	int (*exec_counts)(struct store_tx *tx, const char *job_id, struct jd_counts *out);
	/* QUEUED or IN_PROGRESS executions of the job */
	int (*exec_active_count)(struct store_tx *tx, const char *job_id, int64_t *n);
	/* delete up to limit executions of a job; *n = rows deleted */
	int (*exec_delete_job)(struct store_tx *tx, const char *job_id, int limit, int64_t *n);
	/* IN_PROGRESS executions whose effective deadline (the earlier non-zero of
	 * inprogress_deadline and step_deadline) <= now, earliest first */
	int (*exec_due)(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg);

	int (*template_get)(struct store_tx *tx, const char *id, struct jd_template *out);
	int (*template_insert)(struct store_tx *tx, const struct jd_template *t);
	int (*template_delete)(struct store_tx *tx, const char *id);
	int (*template_list)(struct store_tx *tx, const char *after, int limit, jd_template_cb cb,
	    void *arg);

	/* Paced rollouts: things waiting to be queued, in push order. */
	int (
	    *rollout_push)(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing);
	/* Call cb for up to limit waiting things of job (in order) and remove them. */
	int (*rollout_pop)(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb,
	    void *arg);
	int (*rollout_clear)(struct store_tx *tx, const char *job_id);
	/* jobs whose rollout_next_ms is in (0, now] */
	int (*job_rollout_due)(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb,
	    void *arg);

	/* Optional (NULL: nothing to check). At start, before any transaction:
	 * that the store takes a durable write and, from STORE_CHECK_QUICK on,
	 * that its pages are sound. JD_EUNAVAIL with the reason in e. */
	int (*check)(struct store *s, int level, struct jd_error *e);

	/* Thing types (issue 12). list: ascending by name > after; name "" or
	 * NULL any, else only that name. update writes properties, deprecated
	 * and deprecated_ms. */
	int (*thing_type_get)(struct store_tx *tx, const char *name, struct jd_thing_type *out);
	int (*thing_type_insert)(struct store_tx *tx, const struct jd_thing_type *t);
	int (*thing_type_update)(struct store_tx *tx, const struct jd_thing_type *t);
	int (*thing_type_delete)(struct store_tx *tx, const char *name);
	int (*thing_type_list)(struct store_tx *tx, const char *name, const char *after, int limit,
	    jd_thing_type_cb cb, void *arg);
	/* Tags of a resource, keyed "KIND/NAME" (job/ID, jobtemplate/ID,
	 * thinggroup/NAME, thingtype/NAME). Deleting a job, template, thing group
	 * or thing type deletes its tags in the same transaction (the schema's
	 * triggers). put inserts or replaces; delete of a missing key is 0;
	 * list is ascending by key > after. */
	int (*tag_put)(struct store_tx *tx, const char *resource, const char *key,
	    const char *value);
	int (*tag_delete)(struct store_tx *tx, const char *resource, const char *key);
	int (*tag_list)(struct store_tx *tx, const char *resource, const char *after, int limit,
	    jd_tag_cb cb, void *arg);
	int (*tag_count)(struct store_tx *tx, const char *resource, int64_t *n);
	/* Every meta row, ascending by key (copy-store). */
	int (*meta_list)(struct store_tx *tx, store_meta_cb cb, void *arg);
	/* Executions by status across every job (every execution row, not only
	 * the latest per thing), for /metrics (issue 14). */
	int (*exec_counts_all)(struct store_tx *tx, struct jd_counts *out);
	/* Leases (see "leases" above). Names are 1..127 bytes, holders 1..63.
	 * Take or renew `name` for `holder` until now + ttl_ms when it is free,
	 * expired or already holder's: 0 with *out the lease as it now is;
	 * JD_ECONFLICT with *out the live lease of another holder. */
	int (*lease_acquire)(struct store_tx *tx, const char *name, const char *holder,
	    int64_t ttl_ms, struct store_lease *out);
	/* Let it expire now if holder holds it (0 either way). */
	int (*lease_release)(struct store_tx *tx, const char *name, const char *holder);
	/* The fence: 0 when holder holds name at epoch and it has not expired by
	 * the database's clock now, else JD_ECONFLICT. */
	int (
	    *lease_check)(struct store_tx *tx, const char *name, const char *holder, int64_t epoch);
	/* Every lease whose name begins with prefix, by name, expired ones too;
	 * each with now_ms set. */
	int (*lease_list)(struct store_tx *tx, const char *prefix, store_lease_cb cb, void *arg);
	/* A job's timeline (see above). Append an event (seq = the job's
	 * highest + 1), then keep only the job's newest `keep` rows (keep > 0). */
	int (*timeline_add)(struct store_tx *tx, const char *job_id, int64_t at_ms,
	    const char *event, const char *detail, int keep);
	/* The job's events by (at_ms, seq). */
	int (*timeline_list)(struct store_tx *tx, const char *job_id, store_timeline_cb cb,
	    void *arg);
	/* The pause row: get (JD_ENOTFOUND: not paused), put (JD_EEXISTS: paused
	 * already), delete (JD_ENOTFOUND: was not paused), list (every paused
	 * job id, in no order). */
	int (*pause_get)(struct store_tx *tx, const char *job_id, int64_t *paused_ms);
	int (*pause_put)(struct store_tx *tx, const char *job_id, int64_t paused_ms);
	int (*pause_delete)(struct store_tx *tx, const char *job_id);
	int (*pause_list)(struct store_tx *tx, jd_name_cb cb, void *arg);
	/* How many things wait in the job's rollout queue. */
	int (*rollout_count)(struct store_tx *tx, const char *job_id, int64_t *n);
	/* Renew every lease `holder` holds that has not expired, to now +
	 * ttl_ms, in one statement committed by itself: outside any transaction
	 * and, where the backend can, without waiting behind write transactions
	 * (PostgreSQL: a connection of its own, no writer lock; safe since only
	 * the holder's own live leases move, which nobody else may take). No
	 * epoch changes. cb (may be NULL) is called per renewed lease after the
	 * commit. 0 or JD_EUNAVAIL. */
	int (*lease_renew)(struct store *s, const char *holder, int64_t ttl_ms, store_lease_cb cb,
	    void *arg);
	/* As thing_insert for each of ts[n], and member_add(group, things[i])
	 * for each i, faster (one COPY on PostgreSQL), when every row is new
	 * (copy-store): a duplicate thing is JD_EEXISTS, a duplicate membership
	 * JD_EEXISTS or ignored; on an error the caller rolls back. */
	int (*thing_insert_many)(struct store_tx *tx, const struct jd_thing *ts, size_t n);
	int (*member_add_many)(struct store_tx *tx, const char *group, const char *const *things,
	    size_t n);
	/* Targets and chunked fan-out (issue 15; see "targets and chunked
	 * fan-out" above). thing_resolve fills v[0..n)'s out fields in one pass
	 * (job_id NULL: no execution is looked up). fanout_insert sets f->run;
	 * fanout_update writes source, after, paced_left and pos of (job, run);
	 * fanout_list calls cb per fan-out of job_id (NULL: every job), by job
	 * then run. */
	int (*thing_resolve)(struct store_tx *tx, const char *job_id, struct store_target *v,
	    size_t n);
	/* the direct members of group (not its descendants), name > after */
	int (*member_walk)(struct store_tx *tx, const char *group, const char *after, int limit,
	    jd_name_cb cb, void *arg);
	int (*fanout_insert)(struct store_tx *tx, struct store_fanout *f);
	int (*fanout_update)(struct store_tx *tx, const struct store_fanout *f);
	int (*fanout_delete)(struct store_tx *tx, const char *job_id, int64_t run);
	int (*fanout_list)(struct store_tx *tx, const char *job_id, int limit, store_fanout_cb cb,
	    void *arg);
	const struct store_read_ops *read;   /* optional (NULL: defaults), store_read.h */
	const struct store_sched_ops *sched; /* required: the schedule due time, store_sched.h */
};

/* Levels of store_check(): the write only, a quick page check (SQLite's
 * quick_check), a full one (integrity_check, which also compares indexes). */
enum store_check_level { STORE_CHECK_WRITE, STORE_CHECK_QUICK, STORE_CHECK_FULL };

/* ---- registry ---------------------------------------------------------- */

/* Backend by name ("sqlite"); NULL if unknown. */
const struct store_ops *store_backend(const char *name);

/*
 * Open a store from a spec "BACKEND:WHERE" (e.g. "sqlite:/var/lib/jobsd/jobsd.db"),
 * or a PostgreSQL URI ("postgres://..." or "postgresql://...": the postgres
 * backend, handed the whole URI).
 */
int store_open(const char *spec, struct store **out, struct jd_error *e);

/*
 * The spec with its secrets masked, for logs: a URI's password (user:PASSWORD@)
 * and any password=... parameter become "***". Writes a NUL-terminated string
 * of at most size bytes into out; returns out.
 */
char *store_spec_redact(const char *spec, char *out, size_t size);
void store_close(struct store *s);

/*
 * Every backend's struct store begins with this header, so the wrappers can
 * find the ops of any store and any transaction.
 */
struct store_base {
	const struct store_ops *ops;
};
struct store_tx_base {
	const struct store_ops *ops;
	bool write; /* set by begin: a write transaction */
};

/* The start-up check of the store (store_ops.check; 0 when the backend has
 * none). main runs it once after store_open. */
static inline int
store_check(struct store *s, enum store_check_level level, struct jd_error *e)
{
	const struct store_ops *ops = ((const struct store_base *)(const void *)s)->ops;

	return ops->check != NULL ? ops->check(s, (int)level, e) : 0;
}

/* The backend's name ("sqlite", "postgres"): main sizes its HTTP threads by
 * it (a PostgreSQL call waits on a round trip; a SQLite read does not). */
static inline const char *
store_kind(struct store *s)
{
	return ((const struct store_base *)(const void *)s)->ops->name;
}

/* ---- wrappers (the only way svc/ reaches a backend) ------------------- */

int store_begin(struct store *s, bool write, struct store_tx **out);
int store_commit(struct store_tx *tx);
void store_rollback(struct store_tx *tx); /* NULL-safe */

/*
 * The operations of a transaction: each one calls the backend through its
 * ops table and asserts its contract first (in debug builds; NDEBUG compiles
 * the asserts out, so a release build pays one indirect call, as before):
 * the transaction is open, a mutation runs in a write transaction, and the
 * out-parameters and callbacks are given. A read may run in either kind.
 */
static inline const struct store_tx_base *
store__tx(struct store_tx *tx)
{
	return (const struct store_tx_base *)(const void *)tx;
}

static inline int
store_wipe(struct store_tx *tx)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->wipe(tx);
}

static inline int
store_meta_get(struct store_tx *tx, const char *key, char **val)
{
	assert(tx != NULL && val != NULL);
	return store__tx(tx)->ops->meta_get(tx, key, val);
}

static inline int
store_meta_put(struct store_tx *tx, const char *key, const char *val)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->meta_put(tx, key, val);
}

static inline int
store_meta_list(struct store_tx *tx, store_meta_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->meta_list(tx, cb, arg);
}

static inline int
store_thing_get(struct store_tx *tx, const char *name, struct jd_thing *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->thing_get(tx, name, out);
}

static inline int
store_thing_insert(struct store_tx *tx, const struct jd_thing *t)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->thing_insert(tx, t);
}

static inline int
store_thing_update(struct store_tx *tx, const struct jd_thing *t)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->thing_update(tx, t);
}

static inline int
store_thing_delete(struct store_tx *tx, const char *name)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->thing_delete(tx, name);
}

static inline int
store_thing_list(struct store_tx *tx, const struct jd_thing_filter *f, const char *after, int limit,
    jd_thing_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->thing_list(tx, f, after, limit, cb, arg);
}

static inline int
store_thing_groups(struct store_tx *tx, const char *thing, jd_name_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->thing_groups(tx, thing, cb, arg);
}

static inline int
store_group_get(struct store_tx *tx, const char *name, struct jd_group *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->group_get(tx, name, out);
}

static inline int
store_group_insert(struct store_tx *tx, const struct jd_group *g)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->group_insert(tx, g);
}

static inline int
store_group_delete(struct store_tx *tx, const char *name)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->group_delete(tx, name);
}

static inline int
store_group_list(struct store_tx *tx, const struct jd_group_filter *f, const char *after, int limit,
    jd_group_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->group_list(tx, f, after, limit, cb, arg);
}

static inline int
store_group_child_count(struct store_tx *tx, const char *name, int64_t *n)
{
	assert(tx != NULL && n != NULL);
	return store__tx(tx)->ops->group_child_count(tx, name, n);
}

static inline int
store_group_update(struct store_tx *tx, const struct jd_group *g)
{
	assert(tx != NULL && store__tx(tx)->write && g != NULL);
	return store__tx(tx)->ops->group_update(tx, g);
}

static inline int
store_group_list_dynamic(struct store_tx *tx, const char *after, int limit, jd_group_cb cb,
    void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->group_list_dynamic(tx, after, limit, cb, arg);
}

static inline int
store_member_add(struct store_tx *tx, const char *group, const char *thing)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->member_add(tx, group, thing);
}

static inline int
store_member_remove(struct store_tx *tx, const char *group, const char *thing)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->member_remove(tx, group, thing);
}

static inline int
store_member_list(struct store_tx *tx, const char *group, bool recursive, const char *after,
    int limit, jd_name_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->member_list(tx, group, recursive, after, limit, cb, arg);
}

static inline int
store_job_get(struct store_tx *tx, const char *job_id, struct jd_job *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->job_get(tx, job_id, out);
}

static inline int
store_job_status(struct store_tx *tx, const char *job_id, int *status, int *selection)
{
	assert(tx != NULL && status != NULL && selection != NULL);
	return store__tx(tx)->ops->job_status(tx, job_id, status, selection);
}

static inline int
store_job_insert(struct store_tx *tx, struct jd_job *j)
{
	assert(tx != NULL && store__tx(tx)->write && j != NULL);
	return store__tx(tx)->ops->job_insert(tx, j);
}

static inline int
store_job_update(struct store_tx *tx, const struct jd_job *j)
{
	assert(tx != NULL && store__tx(tx)->write && j != NULL);
	return store__tx(tx)->ops->job_update(tx, j);
}

static inline int
store_job_delete(struct store_tx *tx, const char *job_id)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->job_delete(tx, job_id);
}

static inline int
store_job_list(struct store_tx *tx, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->job_list(tx, f, before_seq, limit, cb, arg);
}

static inline int
store_job_count_status(struct store_tx *tx, int status, int64_t *n)
{
	assert(tx != NULL && n != NULL);
	return store__tx(tx)->ops->job_count_status(tx, status, n);
}

static inline int
store_job_target_add(struct store_tx *tx, const char *job_id, const char *group)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->job_target_add(tx, job_id, group);
}

static inline int
store_job_list_by_group(struct store_tx *tx, const char *group, jd_job_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->job_list_by_group(tx, group, cb, arg);
}

static inline int
store_exec_get(struct store_tx *tx, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->exec_get(tx, job_id, thing, number, out);
}

static inline int
store_exec_insert(struct store_tx *tx, struct jd_exec *x)
{
	assert(tx != NULL && store__tx(tx)->write && x != NULL);
	return store__tx(tx)->ops->exec_insert(tx, x);
}

static inline int
store_exec_insert_first(struct store_tx *tx, struct jd_exec *xs, size_t n)
{
	assert(tx != NULL && store__tx(tx)->write && (xs != NULL || n == 0));
	return store__tx(tx)->ops->exec_insert_first(tx, xs, n);
}

static inline int
store_exec_update(struct store_tx *tx, const struct jd_exec *x)
{
	assert(tx != NULL && store__tx(tx)->write && x != NULL);
	return store__tx(tx)->ops->exec_update(tx, x);
}

static inline int
store_exec_delete(struct store_tx *tx, const char *job_id, const char *thing, int64_t number)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->exec_delete(tx, job_id, thing, number);
}

static inline int
store_exec_max_number(struct store_tx *tx, const char *job_id, const char *thing, int64_t *n)
{
	assert(tx != NULL && n != NULL);
	return store__tx(tx)->ops->exec_max_number(tx, job_id, thing, n);
}

static inline int
store_exec_list_job(struct store_tx *tx, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, jd_exec_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->exec_list_job(tx, job_id, status, after_thing, after_number,
	    limit, cb, arg);
}

static inline int
store_exec_list_thing(struct store_tx *tx, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->exec_list_thing(tx, thing, f, before_seq, limit, cb, arg);
}

static inline int
store_exec_pending(struct store_tx *tx, const char *thing, const char *namespace_id, int limit,
    jd_exec_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->exec_pending(tx, thing, namespace_id, limit, cb, arg);
}

static inline int
store_exec_pending_job(struct store_tx *tx, const char *job_id, jd_exec_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->exec_pending_job(tx, job_id, cb, arg);
}

static inline int
store_exec_counts(struct store_tx *tx, const char *job_id, struct jd_counts *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->exec_counts(tx, job_id, out);
}

static inline int
store_exec_active_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	assert(tx != NULL && n != NULL);
	return store__tx(tx)->ops->exec_active_count(tx, job_id, n);
}

static inline int
store_exec_delete_job(struct store_tx *tx, const char *job_id, int limit, int64_t *n)
{
	assert(tx != NULL && store__tx(tx)->write && n != NULL);
	return store__tx(tx)->ops->exec_delete_job(tx, job_id, limit, n);
}

static inline int
store_exec_due(struct store_tx *tx, int64_t now_ms, int limit, jd_exec_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->exec_due(tx, now_ms, limit, cb, arg);
}

static inline int
store_template_get(struct store_tx *tx, const char *id, struct jd_template *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->template_get(tx, id, out);
}

static inline int
store_template_insert(struct store_tx *tx, const struct jd_template *t)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->template_insert(tx, t);
}

static inline int
store_template_delete(struct store_tx *tx, const char *id)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->template_delete(tx, id);
}

static inline int
store_template_list(struct store_tx *tx, const char *after, int limit, jd_template_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->template_list(tx, after, limit, cb, arg);
}

static inline int
store_rollout_push(struct store_tx *tx, const char *job_id, int64_t pos, const char *thing)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->rollout_push(tx, job_id, pos, thing);
}

static inline int
store_rollout_pop(struct store_tx *tx, const char *job_id, int limit, jd_name_cb cb, void *arg)
{
	assert(tx != NULL && store__tx(tx)->write && cb != NULL);
	return store__tx(tx)->ops->rollout_pop(tx, job_id, limit, cb, arg);
}

static inline int
store_rollout_clear(struct store_tx *tx, const char *job_id)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->rollout_clear(tx, job_id);
}

static inline int
store_job_rollout_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->job_rollout_due(tx, now_ms, limit, cb, arg);
}

static inline int
store_thing_type_get(struct store_tx *tx, const char *name, struct jd_thing_type *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->thing_type_get(tx, name, out);
}

static inline int
store_thing_type_insert(struct store_tx *tx, const struct jd_thing_type *t)
{
	assert(tx != NULL && store__tx(tx)->write && t != NULL);
	return store__tx(tx)->ops->thing_type_insert(tx, t);
}

static inline int
store_thing_type_update(struct store_tx *tx, const struct jd_thing_type *t)
{
	assert(tx != NULL && store__tx(tx)->write && t != NULL);
	return store__tx(tx)->ops->thing_type_update(tx, t);
}

static inline int
store_thing_type_delete(struct store_tx *tx, const char *name)
{
	assert(tx != NULL && store__tx(tx)->write);
	return store__tx(tx)->ops->thing_type_delete(tx, name);
}

static inline int
store_thing_type_list(struct store_tx *tx, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->thing_type_list(tx, name, after, limit, cb, arg);
}

static inline int
store_tag_put(struct store_tx *tx, const char *resource, const char *key, const char *value)
{
	assert(tx != NULL && store__tx(tx)->write && resource != NULL && key != NULL);
	return store__tx(tx)->ops->tag_put(tx, resource, key, value);
}

static inline int
store_tag_delete(struct store_tx *tx, const char *resource, const char *key)
{
	assert(tx != NULL && store__tx(tx)->write && resource != NULL && key != NULL);
	return store__tx(tx)->ops->tag_delete(tx, resource, key);
}

static inline int
store_tag_list(struct store_tx *tx, const char *resource, const char *after, int limit,
    jd_tag_cb cb, void *arg)
{
	assert(tx != NULL && resource != NULL && cb != NULL);
	return store__tx(tx)->ops->tag_list(tx, resource, after, limit, cb, arg);
}

static inline int
store_tag_count(struct store_tx *tx, const char *resource, int64_t *n)
{
	assert(tx != NULL && resource != NULL && n != NULL);
	return store__tx(tx)->ops->tag_count(tx, resource, n);
}

static inline int
store_exec_counts_all(struct store_tx *tx, struct jd_counts *out)
{
	assert(tx != NULL && out != NULL);
	return store__tx(tx)->ops->exec_counts_all(tx, out);
}

static inline int
store_lease_acquire(struct store_tx *tx, const char *name, const char *holder, int64_t ttl_ms,
    struct store_lease *out)
{
	assert(tx != NULL && store__tx(tx)->write && name != NULL && holder != NULL &&
	    out != NULL && ttl_ms > 0);
	return store__tx(tx)->ops->lease_acquire(tx, name, holder, ttl_ms, out);
}

static inline int
store_lease_release(struct store_tx *tx, const char *name, const char *holder)
{
	assert(tx != NULL && store__tx(tx)->write && name != NULL && holder != NULL);
	return store__tx(tx)->ops->lease_release(tx, name, holder);
}

static inline int
store_lease_check(struct store_tx *tx, const char *name, const char *holder, int64_t epoch)
{
	assert(tx != NULL && name != NULL && holder != NULL);
	return store__tx(tx)->ops->lease_check(tx, name, holder, epoch);
}

static inline int
store_lease_list(struct store_tx *tx, const char *prefix, store_lease_cb cb, void *arg)
{
	assert(tx != NULL && prefix != NULL && cb != NULL);
	return store__tx(tx)->ops->lease_list(tx, prefix, cb, arg);
}

static inline int
store_lease_renew(struct store *s, const char *holder, int64_t ttl_ms, store_lease_cb cb, void *arg)
{
	const struct store_ops *ops = ((const struct store_base *)(const void *)s)->ops;

	assert(holder != NULL && ttl_ms > 0);
	return ops->lease_renew(s, holder, ttl_ms, cb, arg);
}

static inline int
store_thing_insert_many(struct store_tx *tx, const struct jd_thing *ts, size_t n)
{
	assert(tx != NULL && store__tx(tx)->write && (ts != NULL || n == 0));
	return store__tx(tx)->ops->thing_insert_many(tx, ts, n);
}

static inline int
store_member_add_many(struct store_tx *tx, const char *group, const char *const *things, size_t n)
{
	assert(tx != NULL && store__tx(tx)->write && group != NULL && (things != NULL || n == 0));
	return store__tx(tx)->ops->member_add_many(tx, group, things, n);
}

static inline int
store_thing_resolve(struct store_tx *tx, const char *job_id, struct store_target *v, size_t n)
{
	assert(tx != NULL && (v != NULL || n == 0));
	return store__tx(tx)->ops->thing_resolve(tx, job_id, v, n);
}

static inline int
store_member_walk(struct store_tx *tx, const char *group, const char *after, int limit,
    jd_name_cb cb, void *arg)
{
	assert(tx != NULL && group != NULL && cb != NULL);
	return store__tx(tx)->ops->member_walk(tx, group, after, limit, cb, arg);
}

static inline int
store_fanout_insert(struct store_tx *tx, struct store_fanout *f)
{
	assert(tx != NULL && store__tx(tx)->write && f != NULL && f->groups != NULL);
	return store__tx(tx)->ops->fanout_insert(tx, f);
}

static inline int
store_fanout_update(struct store_tx *tx, const struct store_fanout *f)
{
	assert(tx != NULL && store__tx(tx)->write && f != NULL);
	return store__tx(tx)->ops->fanout_update(tx, f);
}

static inline int
store_fanout_delete(struct store_tx *tx, const char *job_id, int64_t run)
{
	assert(tx != NULL && store__tx(tx)->write && job_id != NULL);
	return store__tx(tx)->ops->fanout_delete(tx, job_id, run);
}

static inline int
store_fanout_list(struct store_tx *tx, const char *job_id, int limit, store_fanout_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->fanout_list(tx, job_id, limit, cb, arg);
}

/* Backends (registered in store.c). */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_postgres_ops;

/* ---- a job's timeline and pause (issue 14) ---------------------------- */

static inline int
store_timeline_add(struct store_tx *tx, const char *job_id, int64_t at_ms, const char *event,
    const char *detail, int keep)
{
	assert(tx != NULL && store__tx(tx)->write && job_id != NULL && event != NULL &&
	    detail != NULL && keep > 0);
	return store__tx(tx)->ops->timeline_add(tx, job_id, at_ms, event, detail, keep);
}

static inline int
store_timeline_list(struct store_tx *tx, const char *job_id, store_timeline_cb cb, void *arg)
{
	assert(tx != NULL && job_id != NULL && cb != NULL);
	return store__tx(tx)->ops->timeline_list(tx, job_id, cb, arg);
}

static inline int
store_pause_get(struct store_tx *tx, const char *job_id, int64_t *paused_ms)
{
	assert(tx != NULL && job_id != NULL && paused_ms != NULL);
	return store__tx(tx)->ops->pause_get(tx, job_id, paused_ms);
}

static inline int
store_pause_put(struct store_tx *tx, const char *job_id, int64_t paused_ms)
{
	assert(tx != NULL && store__tx(tx)->write && job_id != NULL);
	return store__tx(tx)->ops->pause_put(tx, job_id, paused_ms);
}

static inline int
store_pause_delete(struct store_tx *tx, const char *job_id)
{
	assert(tx != NULL && store__tx(tx)->write && job_id != NULL);
	return store__tx(tx)->ops->pause_delete(tx, job_id);
}

static inline int
store_pause_list(struct store_tx *tx, jd_name_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->pause_list(tx, cb, arg);
}

static inline int
store_rollout_count(struct store_tx *tx, const char *job_id, int64_t *n)
{
	assert(tx != NULL && job_id != NULL && n != NULL);
	return store__tx(tx)->ops->rollout_count(tx, job_id, n);
}

#endif
