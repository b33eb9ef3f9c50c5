/*
 * svc.h: the use cases of jobsd, shared by the REST API (api/) and the MQTT
 * bridge (mqtt/).
 *
 * Each function validates what only the domain can (existence, state,
 * versions), runs in one store transaction, and commits before returning 0.
 * Syntactic validation of members (lengths, patterns, ranges) is done by the
 * caller with core_check_*; svc re-checks nothing it is handed.
 *
 * Records returned through `out` parameters are owned by the caller and must
 * be released with the matching jd_*_release() (core/model.h). List functions call a
 * callback per row (borrowed) and set *more when another page exists; the
 * caller keeps the last row's key to build its nextToken (api/token.c).
 */
#ifndef JD_SVC_SVC_H
#define JD_SVC_SVC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"
#include "core/plan.h"
#include "util/clock.h"
#include "util/err.h"

struct store;       /* store/store.h: opened by main, borrowed by svc */
struct buf;         /* util/buf.h */
struct svc_cluster; /* svc/cluster.c: this node's leases (D24) */

/*
 * Notification sink (the MQTT bridge): called after a commit, once per thing
 * and namespace whose pending list changed membership (`list`, spec §7.2)
 * and/or head (`head`, §7.3); job_id is the (first) job whose execution
 * changed. Runs on the thread that committed.
 */
struct svc_notify {
	void (*changed)(void *arg, const char *thing, const char *namespace_id, const char *job_id,
	    bool list, bool head);
	void *arg;
	/* A jobs event (`$aws/events/...`, events.c) to publish, after the
	 * commit that made it; NULL = jobs events are not published. */
	void (*event)(void *arg, const char *topic, const char *payload, size_t len);
};

/*
 * Outgoing S3 (D27, svc/s3doc.c): what svc asks of S3 without knowing HTTP
 * or signing; main.c fills it from s3/ and auth/. Every member may be NULL
 * (nothing configured): documentSource and presignedUrlConfig.roleArn are
 * then refused at creation with a message saying so, and placeholders stay.
 */
struct svc_s3 {
	/* GET url at now_s, at most max bytes: 0 and *body (owned) or a JD_E* in e. */
	int (*get)(void *ctx, const char *url, int64_t now_s, size_t max, char **body, size_t *n,
	    struct jd_error *e);
	/* Append to out url[0..n) presigned for role_arn at now_s for
	 * expires_s seconds (out unchanged on error). */
	int (*presign)(void *ctx, const char *role_arn, const char *url, size_t n, int64_t now_s,
	    int64_t expires_s, struct buf *out, struct jd_error *e);
	/* Whether role_arn has outgoing credentials (its own or a default). */
	bool (*has_role)(void *ctx, const char *role_arn);
	void *get_ctx;  /* borrowed */
	void *sign_ctx; /* borrowed */
};

struct svc {
	struct store *store; /* borrowed */
	struct svc_notify notify;
	struct svc_s3 s3;       /* outgoing S3 hooks (svc_set_s3) */
	struct jd_clock *clock; /* borrowed */
	char account[16];
	unsigned char token_key[32]; /* HMAC key of the nextToken pages (api/token.c), kept in
	                               * the store so every node and a restart accept them */
	/* the background worker (timers.c): finishes DeleteJob, runs timers */
	pthread_t reaper;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	bool kick;
	bool reaper_started;
	/* jobs events (events.c): the enabled types, cached from the store */
	_Atomic uint32_t ev_mask;
	_Atomic int64_t ev_loaded_ns; /* monotonic; 0 = never loaded */
	struct svc_cluster *cluster;  /* owned (cluster.c) */
	/* chunked fan-out (issue 15, jobs.c): things per chunk, and a pause
	 * between chunks (test rig only: lets a test stop it midway) */
	int fanout_chunk;
	int fanout_pause_ms;
};

/* This node among several on one database (D24, svc/cluster.c). */
struct svc_node {
	const char *id; /* --node-id: the holder's name in the leases (1..63 bytes) */
	/* claim the background duties through a lease in the store (a database
	 * that several nodes share); false: this node runs them all */
	bool leases;
	/* with leases: lease the MQTT things' shards too (false: --mqtt-shard's
	 * static split, or no MQTT) */
	bool shard_leases;
};

/* Create the service over an open store: loads (or creates) the token key,
 * decodes the configuration of jobs stored before the typed policy, and
 * starts the background worker (deletion reaper and timers). */
int svc_init(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    struct jd_error *e);
/* svc_init for one of several nodes (node NULL: as svc_init). */
int svc_init_node(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    const struct svc_node *node, struct jd_error *e);
/* Does this node answer the MQTT device requests of thing now (its shard's
 * lease is this node's and valid)? Always true without shard leases. Cheap:
 * no lock, no store. */
bool svc_shard_owned(struct svc *s, const char *thing);
/* Stop the background worker and give this node's leases back; the store
 * stays open (caller closes it). */
void svc_fini(struct svc *s);
/* Install the notification sink (before serving requests). */
void svc_set_notify(struct svc *s, const struct svc_notify *n);
/* Install the outgoing S3 hooks (before serving requests). */
void svc_set_s3(struct svc *s, const struct svc_s3 *ops);
/* Things queued per fan-out chunk (<= 0: SVC_FANOUT_CHUNK) and a pause in
 * ms between chunks (the test rig's, to stop a fan-out midway; 0 none).
 * Before serving requests. */
#define SVC_FANOUT_CHUNK 500
void svc_set_fanout(struct svc *s, int chunk, int pause_ms);

/* ---- things and groups ------------------------------------------------ */

int svc_thing_create(struct svc *s, const char *name, const char *type_name, const char *attributes,
    struct jd_thing *out, struct jd_error *e);
int svc_thing_describe(struct svc *s, const char *name, struct jd_thing *out, struct jd_error *e);
/* attributes: JSON object text (values "" remove when merge) or NULL (unchanged). */
int svc_thing_update(struct svc *s, const char *name, const char *type_name, bool remove_type,
    const char *attributes, bool merge, int64_t expected_version, struct jd_error *e);
/* Missing thing: 0. Pending executions become REMOVED (D14). */
int svc_thing_delete(struct svc *s, const char *name, int64_t expected_version, struct jd_error *e);
/* Calls cb for up to limit rows; *more set when another page exists. */
int svc_thing_list(struct svc *s, const struct jd_thing_filter *f, const char *after, int limit,
    jd_thing_cb cb, void *arg, bool *more, struct jd_error *e);

/* tags[0..n_tags) stored with a new group (ignored when it exists already). */
int svc_group_create(struct svc *s, const char *name, const char *parent, const char *description,
    const char *attributes, const struct jd_tag *tags, int n_tags, struct jd_group *out,
    struct jd_error *e);
/* ancestors: filled root first, up to JD_GROUP_DEPTH_MAX names; *n_anc set. */
int svc_group_describe(struct svc *s, const char *name, struct jd_group *out,
    char ancestors[][JD_GROUP_NAME_MAX + 1], int *n_anc, struct jd_error *e);
int svc_group_delete(struct svc *s, const char *name, int64_t expected_version, struct jd_error *e);
int svc_group_list(struct svc *s, const struct jd_group_filter *f, const char *after, int limit,
    jd_group_cb cb, void *arg, bool *more, struct jd_error *e);
/* overrideDynamicGroups: when the thing is in the most groups, leave a
 * dynamic one (the last by name) for this static one instead of failing. */
int svc_member_add(struct svc *s, const char *group, const char *thing, bool override_dynamic,
    struct jd_error *e);
int svc_member_remove(struct svc *s, const char *group, const char *thing, struct jd_error *e);
int svc_member_list(struct svc *s, const char *group, bool recursive, const char *after, int limit,
    jd_name_cb cb, void *arg, bool *more, struct jd_error *e);

/* ---- thing types (types.c) -------------------------------------------- */

/* properties: thingTypeProperties as compact JSON object text (validated by
 * the caller) or NULL; tags[0..n_tags) stored with the type. The same name
 * and properties again: 0 with the existing type; other properties:
 * JD_EEXISTS with resource_id. */
int svc_thing_type_create(struct svc *s, const char *name, const char *properties,
    const struct jd_tag *tags, int n_tags, struct jd_thing_type *out, struct jd_error *e);
int svc_thing_type_describe(struct svc *s, const char *name, struct jd_thing_type *out,
    struct jd_error *e);
/* name NULL or "": every type; else only that one. By name > after. */
int svc_thing_type_list(struct svc *s, const char *name, const char *after, int limit,
    jd_thing_type_cb cb, void *arg, bool *more, struct jd_error *e);
/* undo: make it usable again. Deprecating a deprecated type keeps its time. */
int svc_thing_type_deprecate(struct svc *s, const char *name, bool undo, struct jd_error *e);
/* Only a type deprecated JD_THING_TYPE_DELETE_WAIT_MS ago that no thing has
 * (else JD_EINVAL); its tags go with it. */
int svc_thing_type_delete(struct svc *s, const char *name, struct jd_error *e);

/* ---- tags (tags.c) ---------------------------------------------------- */

/* arn: of a job, job template, thing group or thing type of this account
 * (any region). Not such an ARN: JD_EINVAL; no such resource (or another
 * account's): JD_ENOTFOUND; more than JD_TAGS_MAX tags after the change:
 * JD_ELIMIT. Keys and values are validated by the caller. */
int svc_tag_resource(struct svc *s, const char *arn, const struct jd_tag *tags, int n,
    struct jd_error *e);
/* Keys the resource does not have are ignored. */
int svc_untag_resource(struct svc *s, const char *arn, const char *const *keys, int n,
    struct jd_error *e);
/* By key, skipping the first `offset` (the page cursor). */
int svc_tag_list(struct svc *s, const char *arn, int64_t offset, int limit, jd_tag_cb cb, void *arg,
    bool *more, struct jd_error *e);
/* ---- thing-group management and dynamic groups (groups.c, dyngroups.c) ---- */

/* UpdateThingGroup: description/attributes NULL = unchanged; *version = new. */
int svc_group_update(struct svc *s, const char *name, const char *description,
    const char *attributes, bool merge, int64_t expected_version, int64_t *version,
    struct jd_error *e);
/* ListThingGroupsForThing: the thing's direct groups (static and dynamic) by
 * name > after. 404 for an unknown thing. */
int svc_groups_of_thing(struct svc *s, const char *thing, const char *after, int limit,
    jd_name_cb cb, void *arg, bool *more, struct jd_error *e);
/* UpdateThingGroupsForThing (and Add/RemoveThingToThingGroup): one
 * transaction; static groups only (a dynamic one: 400). */
int svc_groups_for_thing_update(struct svc *s, const char *thing, const char *const *add,
    size_t n_add, const char *const *remove, size_t n_remove, bool override_dynamic,
    struct jd_error *e);
/* Dynamic groups. query is compiled first (JD_EQUERY); index_name and
 * query_version NULL = the defaults. Create evaluates the fleet at once and
 * stores tags[0..n_tags) with the group. */
int svc_dyn_create(struct svc *s, const char *name, const char *description, const char *attributes,
    const char *index_name, const char *query, const char *query_version, const struct jd_tag *tags,
    int n_tags, struct jd_group *out, struct jd_error *e);
int svc_dyn_update(struct svc *s, const char *name, const char *description, const char *attributes,
    bool merge, int64_t expected_version, const char *index_name, const char *query,
    const char *query_version, int64_t *version, struct jd_error *e);
/* A missing group: 0; a static one: 400. */
int svc_dyn_delete(struct svc *s, const char *name, int64_t expected_version, struct jd_error *e);
/* SearchIndex on AWS_Things: things matching query by name > after; cb gets
 * each with its direct group names (borrowed for the call). */
typedef int (*svc_search_cb)(void *arg, const struct jd_thing *t,
    const char (*groups)[JD_GROUP_NAME_MAX + 1], size_t n_groups);
int svc_search(struct svc *s, const char *index_name, const char *query, const char *query_version,
    const char *after, int limit, svc_search_cb cb, void *arg, bool *more, struct jd_error *e);
/* The indexing configuration as stored JSON object texts (owned; defaults
 * when never set: thing indexing REGISTRY, group indexing OFF). */
int svc_indexing_get(struct svc *s, char **things, char **groups, struct jd_error *e);
/* Store either (NULL = unchanged); things_off refuses while dynamic groups exist. */
int svc_indexing_put(struct svc *s, const char *things, const char *groups, bool things_off,
    struct jd_error *e);

/* ---- jobs ------------------------------------------------------------- */

struct svc_job_input {
	const char *job_id;
	const char *const *targets; /* ARNs, validated syntactically */
	int n_targets;
	int selection;
	const char *document; /* verbatim JSON text or NULL */
	const char *document_source;
	const char *description;
	const char *namespace_id; /* NULL or "" for none */
	const char *template_arn;
	const char *config; /* JSON object text of the config members */
	int64_t inprogress_timeout_min;
	int64_t start_ms; /* schedulingConfig.startTime; 0 = start now */
	/* stored with the job (tags.c) */
	const struct jd_tag *tags;
	int n_tags;
};

int svc_job_create(struct svc *s, const struct svc_job_input *in, struct jd_job *out,
    struct jd_error *e);
int svc_job_describe(struct svc *s, const char *job_id, struct jd_job *out,
    struct jd_counts *counts, struct jd_error *e);
int svc_job_list(struct svc *s, const struct jd_job_filter *f, int64_t before_seq, int limit,
    jd_job_cb cb, void *arg, bool *more, struct jd_error *e);
/* description NULL = unchanged; config_patch: JSON object of members to replace. */
int svc_job_update(struct svc *s, const char *job_id, const char *description,
    const char *config_patch, int64_t inprogress_timeout_min, struct jd_error *e);
int svc_job_cancel(struct svc *s, const char *job_id, bool force, const char *reason_code,
    const char *comment, struct jd_job *out, struct jd_error *e);
int svc_job_delete(struct svc *s, const char *job_id, bool force, struct jd_error *e);
int svc_job_associate(struct svc *s, const char *job_id, const char *const *targets, int n_targets,
    struct jd_job *out, struct jd_error *e);

/* ---- job templates ---------------------------------------------------- */

/* From document, from document_source (an S3 URL, read now, before the
 * transaction), or from job_id's document and configuration (config members
 * given override the job's). Duplicate id: JD_ECONFLICT with resource_id. */
int svc_template_create(struct svc *s, const char *id, const char *description,
    const char *document, const char *document_source, const char *job_id, const char *config,
    const struct jd_tag *tags, int n_tags, struct jd_template *out, struct jd_error *e);
int svc_template_describe(struct svc *s, const char *id, struct jd_template *out,
    struct jd_error *e);
int svc_template_list(struct svc *s, const char *after, int limit, jd_template_cb cb, void *arg,
    bool *more, struct jd_error *e);
int svc_template_delete(struct svc *s, const char *id, struct jd_error *e);

/* ---- executions (control plane) --------------------------------------- */

int svc_exec_describe(struct svc *s, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out, struct jd_error *e);
/* summary: cb sees only what an execution summary shows
 * (store_exec_list_job_summary), else whole rows. */
int svc_exec_list_job(struct svc *s, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, bool summary, jd_exec_cb cb, void *arg, bool *more,
    struct jd_error *e);
int svc_exec_list_thing(struct svc *s, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg, bool *more, struct jd_error *e);
/* details: JSON object text or NULL (unchanged); expected_version -1 = no check. */
int svc_exec_cancel(struct svc *s, const char *job_id, const char *thing, bool force,
    int64_t expected_version, const char *details, struct jd_error *e);
int svc_exec_delete(struct svc *s, const char *job_id, const char *thing, int64_t number,
    bool force, struct jd_error *e);

/* ---- device plane ----------------------------------------------------- */

/* The pending list of a thing in namespace ("" = plain view), head first. */
int svc_dev_pending(struct svc *s, const char *thing, const char *namespace_id, jd_exec_cb cb,
    void *arg, struct jd_error *e);
/* *found = false when nothing is pending. doc: owned job document or NULL. */
int svc_dev_start_next(struct svc *s, const char *thing, const char *namespace_id,
    const char *details, int64_t step_minutes, struct jd_exec *out, char **doc, bool *found,
    struct jd_error *e);
/* job_id "$next" = head of the pending list without change. */
int svc_dev_describe(struct svc *s, const char *thing, const char *job_id, const char *namespace_id,
    int64_t number, struct jd_exec *out, char **doc, bool *found, struct jd_error *e);

struct svc_update_input {
	int status;
	const char *details;      /* NULL = unchanged */
	int64_t step_minutes;     /* 0 = none, -1 = clear */
	int64_t expected_version; /* -1 = none */
	int64_t number;           /* 0 = latest */
};
/* On JD_ESTATE / JD_EVERSION, e carries the execution state (has_state). */
int svc_dev_update(struct svc *s, const char *thing, const char *job_id,
    const struct svc_update_input *in, struct jd_exec *out, char **doc, struct jd_error *e);

/* ---- jobs events (events.c) ------------------------------------------- */

/* UpdateEventConfigurations' event types, in botocore's enum order. */
enum svc_event_type {
	SVC_EV_THING = 0,
	SVC_EV_THING_GROUP,
	SVC_EV_THING_TYPE,
	SVC_EV_THING_GROUP_MEMBERSHIP,
	SVC_EV_THING_GROUP_HIERARCHY,
	SVC_EV_THING_TYPE_ASSOCIATION,
	SVC_EV_JOB,
	SVC_EV_JOB_EXECUTION,
	SVC_EV_POLICY,
	SVC_EV_CERTIFICATE,
	SVC_EV_CA_CERTIFICATE,
	SVC_EV__COUNT
};

/* Wire name of an event type; NULL out of range. Exact parse: 0 or -1. */
const char *svc_event_type_name(int t);
int svc_event_type_parse(const char *s, int *out);
/* The stored configuration: bit t of *mask = type t enabled (all off when
 * never set); created_ms / modified_ms 0 when never set. */
int svc_events_describe(struct svc *s, uint32_t *mask, int64_t *created_ms, int64_t *modified_ms,
    struct jd_error *e);
/* Set the types in `set` to the bits of `on` (others unchanged). */
int svc_events_update(struct svc *s, uint32_t set, uint32_t on, struct jd_error *e);

/* ---- time and test rig ------------------------------------------------ */

/* Time out due executions, start due SCHEDULED jobs and release due rollout
 * batches (D17); *fired = how many. */
int svc_timers_run(struct svc *s, int *fired, struct jd_error *e);
/* Test-rig: wipe every row (D22). */
int svc_reset(struct svc *s, struct jd_error *e);
/* Test-rig (rig.c, D26): svc_reset, and the virtual clock back to real time
 * (the wipe removes the recorded offset too). */
int svc_rig_reset(struct svc *s, struct jd_error *e);
/* Test-rig: move the virtual clock forward by delta_ms (> 0), recording its
 * new offset in the store first (JD_EUNAVAIL, clock unmoved, if that fails).
 * No-op on the real clock. */
int svc_clock_advance(struct svc *s, int64_t delta_ms, struct jd_error *e);
/* The virtual clock's offset recorded in st (0 if none): the store may hold
 * times up to that far ahead of the real clock. Before svc_init. */
int svc_clock_load(struct store *st, int64_t *offset_ms, struct jd_error *e);
int64_t svc_now(struct svc *s);

/* ---- operators (stats.c, issue 14) ------------------------------------ */

/* What /metrics reads from the store, in one read transaction. */
struct svc_stats {
	struct jd_counts execs;   /* executions by status, every job */
	int64_t jobs_in_progress; /* active jobs */
	int64_t rollout_lag_ms;   /* how long the most overdue rollout batch has been due; 0 */
};
int svc_stats(struct svc *s, struct svc_stats *out, struct jd_error *e);
/* Readiness: a write transaction that updates one meta row and commits
 * (through the group commit, like any write). JD_EUNAVAIL with the reason. */
int svc_store_probe(struct svc *s, struct jd_error *e);

/* ---- the dashboard's reads (dash.c, issue 14) ---------------------------- */

/* A job (borrowed) and its execution counts, for svc_dash_jobs. */
typedef int (*svc_dash_job_cb)(void *arg, const struct jd_job *j, const struct jd_counts *c);
/* A page of svc_job_list (same filter, cursor and order), each job with its
 * counts, in one read transaction; *more when another page exists. */
int svc_dash_jobs(struct svc *s, const struct jd_job_filter *f, int64_t before_seq, int limit,
    svc_dash_job_cb cb, void *arg, bool *more, struct jd_error *e);
/* One watched job: j and c NULL when it does not exist (any more). */
typedef int (*svc_dash_watch_cb)(void *arg, const char *job_id, const struct jd_job *j,
    const struct jd_counts *c);
/* The state of jobs ids[0..n) and the newest job's seq (0: no job), in one
 * read transaction (the dashboard's live stream, once a second). */
int svc_dash_watch(struct svc *s, const char *const *ids, size_t n, svc_dash_watch_cb cb, void *arg,
    int64_t *newest_seq, struct jd_error *e);

/* ---- operators: pause, timeline, what-if (issue 14, D28; pause.c, whatif.c) -- */

#define SVC_PAUSE_COMMENT_MAX 2028

/* A job's rollout as an operator sees it. */
struct svc_rollout {
	struct jd_job job; /* owned: jd_job_release */
	struct jd_counts counts;
	bool paused;       /* held by an operator (pause.c) */
	int64_t paused_ms; /* since when, 0 when not paused */
	int64_t queued;    /* things waiting in its rollout queue (no execution yet) */
	bool held;         /* its batches are held: paused, or outside every window */
	int64_t next_ms;   /* when the next batch is due; 0: none (held, or nothing waits) */
};

/*
 * Pause (pause = true) or resume a job's rollout. Paused: no new execution
 * is queued (no rollout batch, no CONTINUOUS joiner, no start); timers,
 * timeouts, retries, abort checks and endTime go on. Resumed: the next
 * batch goes out at once (and a CONTINUOUS job queues the things that
 * joined meanwhile), then one a minute. Idempotent: pausing a paused job
 * (resuming a running one) changes nothing and records nothing. comment
 * (NULL: none, at most SVC_PAUSE_COMMENT_MAX bytes) goes in the timeline.
 * JD_ENOTFOUND; JD_ECONFLICT for a COMPLETED, CANCELED or deleting job.
 * *out: the rollout after the change (release out->job).
 */
int svc_job_pause(struct svc *s, const char *job_id, bool pause, const char *comment,
    struct svc_rollout *out, struct jd_error *e);
/* The rollout state of a job (JD_ENOTFOUND). */
int svc_job_rollout(struct svc *s, const char *job_id, struct svc_rollout *out, struct jd_error *e);

/* One event of a job's timeline, borrowed for the call. */
typedef int (*svc_timeline_cb)(void *arg, int64_t at_ms, const char *event, const char *detail);
/* A job's timeline in time order (JD_ENOTFOUND for an unknown job). */
int svc_job_timeline(struct svc *s, const char *job_id, svc_timeline_cb cb, void *arg,
    struct jd_error *e);

/* A rollout plan (core/plan.h) and what it was made from. */
struct svc_plan {
	struct core_plan plan; /* owned: core_plan_release */
	int64_t things;        /* things the targets resolve to now (what-if) or that the
	                          job has reached plus those waiting (a job's plan) */
	int64_t now;           /* the service's time the plan starts from */
};

/* What-if: the plan of a job created now with in (its targets resolved
 * against the things and groups as they are), creating nothing. Errors as
 * CreateJob's: JD_EINVAL (a target of another account, a bad template
 * ARN), JD_ENOTFOUND (a missing thing, group or template). */
int svc_whatif(struct svc *s, const struct svc_job_input *in, struct svc_plan *out,
    struct jd_error *e);
/* The plan of what job_id has left to roll out, from now (JD_ENOTFOUND). */
int svc_job_plan(struct svc *s, const char *job_id, struct svc_plan *out, struct jd_error *e);

#endif
