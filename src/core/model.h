/*
 * model.h: the records of the jobsd domain (thing, group, job, execution,
 * template), their release and copy functions, the list filters and the
 * callbacks that lists call. Every layer above util speaks in these; the
 * store persists them, svc changes them, api and mqtt encode them.
 *
 * Records are plain structs. Names are fixed-size arrays; larger texts are
 * owned heap strings released with the matching jd_*_release() function.
 * Times are epoch milliseconds; 0 means "absent".
 */
#ifndef JD_CORE_MODEL_H
#define JD_CORE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "core/policy.h"
#include "jd_limits.h"

struct jd_thing {
	char name[JD_THING_NAME_MAX + 1];
	char id[40];
	char type_name[JD_THING_NAME_MAX + 1];
	char *attributes; /* owned JSON object text; NULL = {} */
	int64_t version;
	int64_t created_ms;
};

struct jd_group {
	char name[JD_GROUP_NAME_MAX + 1];
	char id[40];
	char parent[JD_GROUP_NAME_MAX + 1]; /* "" for a root group */
	char *description;                  /* owned or NULL */
	char *attributes;                   /* owned JSON object text or NULL */
	int64_t version;
	int64_t created_ms;
	/* a dynamic thing group (issue 12): its query, NULL for a static group */
	char *query_string;                     /* owned or NULL */
	char index_name[JD_GROUP_NAME_MAX + 1]; /* "AWS_Things" */
	char query_version[32];                 /* "2017-09-30" */
};

struct jd_job {
	char job_id[JD_JOB_ID_MAX + 1];
	int64_t seq;   /* creation order, assigned by insert */
	int status;    /* enum jd_job_status */
	int selection; /* enum jd_target_selection */
	char namespace_id[JD_NAMESPACE_MAX + 1];
	char *document;          /* owned, verbatim */
	char *document_source;   /* owned or NULL */
	char *description;       /* owned or NULL */
	char *targets;           /* owned JSON array of ARN strings */
	char *config;            /* owned JSON object: the config members, verbatim for
	                              * DescribeJob; the engine reads `policy`, never this */
	struct jd_policy policy; /* the config, typed (owned members) */
	char *template_arn;      /* owned or NULL */
	bool force_canceled;
	char reason_code[JD_REASON_CODE_MAX + 1];
	char *comment;                  /* owned or NULL */
	int64_t inprogress_timeout_min; /* from timeoutConfig, 0 = none */
	int64_t created_ms;
	int64_t updated_ms;
	int64_t completed_ms;
	int64_t rollout_next_ms;  /* next paced rollout batch, 0 = no rollout pending */
	int64_t rollout_notified; /* executions queued by the paced rollout so far */
	/* when a timer pass may next act on it (core_schedule_due, set by svc
	 * at every job write): 0 = never, -1 = not known (a row from before
	 * the column; svc fills it at start) */
	int64_t sched_due_ms;
};

struct jd_exec {
	char job_id[JD_JOB_ID_MAX + 1];
	char thing_name[JD_THING_NAME_MAX + 1];
	int64_t number; /* executionNumber, per (job, thing) (D4) */
	int64_t seq;    /* global queue order, assigned by insert */
	int status;     /* enum jd_exec_status */
	bool force_canceled;
	char namespace_id[JD_NAMESPACE_MAX + 1]; /* the job's, for device views */
	char *details;                           /* owned flat JSON object text or NULL */
	int64_t queued_ms;
	int64_t started_ms;
	int64_t updated_ms;
	int64_t version;
	int64_t retry_attempt;
	int64_t inprogress_deadline; /* ms, 0 = none */
	int64_t step_deadline;       /* ms, 0 = none */
};

struct jd_template {
	char id[JD_JOB_ID_MAX + 1];
	char *description;     /* owned */
	char *document;        /* owned or NULL */
	char *document_source; /* owned or NULL */
	char *config;          /* owned JSON object text */
	int64_t created_ms;
};

/* Release owned members (the struct itself is the caller's); NULL-safe. */
void jd_thing_release(struct jd_thing *t);
void jd_group_release(struct jd_group *g);
void jd_job_release(struct jd_job *j);
void jd_exec_release(struct jd_exec *x);
void jd_template_release(struct jd_template *t);

/* Deep copies (owned members duplicated); dst is overwritten. */
void jd_exec_copy(struct jd_exec *dst, const struct jd_exec *src);
void jd_job_copy(struct jd_job *dst, const struct jd_job *src);

/* Growable arrays of deep-copied records, filled by the list callbacks
 * jd_execv_add / jd_jobv_add (which fit jd_exec_cb / jd_job_cb). */
struct jd_execv {
	struct jd_exec *v;
	size_t n, cap;
};
struct jd_jobv {
	struct jd_job *v;
	size_t n, cap;
};
int jd_execv_add(void *vec, const struct jd_exec *x);
void jd_execv_free(struct jd_execv *vec);
int jd_jobv_add(void *vec, const struct jd_job *j);
void jd_jobv_free(struct jd_jobv *vec);

/* Filters. Empty strings / -1 mean "no filter". */
struct jd_thing_filter {
	const char *attr_name;
	const char *attr_value; /* empty: things that have attr_name at all */
	bool attr_prefix;
	const char *type_name;
};

struct jd_group_filter {
	const char *parent; /* direct children of (or all descendants if recursive);
	                              * empty: of the root, i.e. the root groups (all groups
	                              * if recursive) */
	bool recursive;
	const char *name_prefix;
};

struct jd_job_filter {
	int status;               /* -1 any */
	int selection;            /* -1 any */
	const char *namespace_id; /* NULL any */
	const char *group_name;   /* jobs that target this group; NULL any */
};

struct jd_exec_filter {
	int status;               /* -1 any; -2 pending (QUEUED or IN_PROGRESS) */
	const char *job_id;       /* NULL any */
	const char *namespace_id; /* NULL any; "" only un-namespaced */
};

/* Execution counts of a job by status of each thing's latest execution. */
struct jd_counts {
	int64_t n[JD_EXEC__COUNT];
};

typedef int (*jd_thing_cb)(void *arg, const struct jd_thing *t);
typedef int (*jd_group_cb)(void *arg, const struct jd_group *g);
typedef int (*jd_name_cb)(void *arg, const char *name);
typedef int (*jd_job_cb)(void *arg, const struct jd_job *j);
typedef int (*jd_exec_cb)(void *arg, const struct jd_exec *x);
typedef int (*jd_template_cb)(void *arg, const struct jd_template *t);

/* ---- thing types and tags (issue 12) ------------------------------------ */

/* A thing type (CreateThingType). Deleted only once deprecated. */
struct jd_thing_type {
	char name[JD_THING_NAME_MAX + 1];
	char id[40];
	char *properties; /* owned JSON object text: thingTypeProperties as validated, or NULL */
	bool deprecated;
	int64_t deprecated_ms; /* when last deprecated; 0 = never */
	int64_t created_ms;
};

void jd_thing_type_release(struct jd_thing_type *t);

/* One tag of a resource; key and value borrowed. */
struct jd_tag {
	const char *key;
	const char *value; /* "" when absent */
};

typedef int (*jd_thing_type_cb)(void *arg, const struct jd_thing_type *t);
typedef int (*jd_tag_cb)(void *arg, const char *key, const char *value);

#endif
