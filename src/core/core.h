/*
 * core.h: the jobsd domain, pure. Enums of AWS IoT Jobs, the execution state
 * machine (one declarative table), input validation with AWS's wording, and
 * timer arithmetic. No I/O and no clock reads: time is always an argument
 * (epoch milliseconds, int64_t).
 */
#ifndef JD_CORE_CORE_H
#define JD_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* ---- enums ------------------------------------------------------------ */

enum jd_exec_status {
	JD_EXEC_QUEUED = 0,
	JD_EXEC_IN_PROGRESS,
	JD_EXEC_SUCCEEDED,
	JD_EXEC_FAILED,
	JD_EXEC_TIMED_OUT,
	JD_EXEC_REJECTED,
	JD_EXEC_REMOVED,
	JD_EXEC_CANCELED,
	JD_EXEC__COUNT
};

enum jd_job_status {
	JD_JOB_IN_PROGRESS = 0,
	JD_JOB_CANCELED,
	JD_JOB_COMPLETED,
	JD_JOB_DELETION_IN_PROGRESS,
	JD_JOB_SCHEDULED,
	JD_JOB__COUNT
};

enum jd_target_selection { JD_SEL_SNAPSHOT = 0, JD_SEL_CONTINUOUS, JD_SEL__COUNT };

/* Wire names ("QUEUED", ...); NULL for out-of-range values. */
const char *core_exec_status_name(int s);
const char *core_job_status_name(int s);
const char *core_target_selection_name(int s);
/* Exact, case-sensitive parse of a wire name; 0 or -1. */
int core_exec_status_parse(const char *s, int *out);
int core_job_status_parse(const char *s, int *out);
int core_target_selection_parse(const char *s, int *out);
/* SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED. */
bool core_exec_status_terminal(int s);
/* QUEUED or IN_PROGRESS. */
bool core_exec_status_pending(int s);

/* ---- execution state machine (spec §8.2, §8.3, decisions D1, D11) ------- */

enum core_exec_op {
	CORE_OP_DEVICE_UPDATE =
	    0,              /* UpdateJobExecution: to IN_PROGRESS|SUCCEEDED|FAILED|REJECTED */
	CORE_OP_START_NEXT, /* StartNext on a QUEUED head: to IN_PROGRESS */
	CORE_OP_CANCEL,  /* CancelJobExecution / CancelJob: to CANCELED (force for IN_PROGRESS) */
	CORE_OP_TIMEOUT, /* timer: IN_PROGRESS to TIMED_OUT */
	CORE_OP_REMOVE,  /* thing deleted / left target: pending to REMOVED */
	CORE_OP_DELETE,  /* DeleteJobExecution: to "deleted"; `to` ignored */
	CORE_OP__COUNT
};

const char *core_exec_op_name(int op);

/*
 * May execution in state `from` move to `to` by `op`?
 * Returns 0 if allowed; JD_EINVAL if `to` is not a state `op` may set (a
 * device reporting QUEUED/CANCELED/TIMED_OUT/REMOVED, D11); JD_ESTATE if the
 * transition is not allowed from `from` (terminal source, IN_PROGRESS cancel
 * or delete without force, ...). If e is non-NULL it gets an AWS-style
 * message. Table-driven: the table is in core/state.c.
 */
int core_exec_check(int op, int from, int to, bool force, struct jd_error *e);

/* ---- validation (spec §3.1, decisions D2, D12) ----------------------- */

/*
 * Each validator checks one member and, on failure, sets e (if non-NULL)
 * to JD_EINVAL with AWS's wording, naming the member, e.g.
 *   1 validation error detected: Value 'bad id' at 'jobId' failed to satisfy
 *   constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+
 *   ... Member must have length less than or equal to 64
 *   ... Member must have length greater than or equal to 1
 * The offending value is quoted truncated to 64 bytes, with non-printable
 * bytes shown as '?'. Lengths count Unicode code points. Returns 0 or JD_EINVAL.
 * `s` is NUL-terminated UTF-8 unless a length is given; embedded NUL is invalid.
 */
int core_check_job_id(const char *member, const char *s,
    struct jd_error *e); /* 1..64 [a-zA-Z0-9_-]+ */
int core_check_thing_name(const char *member, const char *s,
    struct jd_error *e); /* 1..128 [a-zA-Z0-9:_-]+ (also group names, detail keys) */
int core_check_namespace_id(const char *member, const char *s,
    struct jd_error *e); /* 1..64 [a-zA-Z0-9_-]+ (D2) */
int core_check_template_id(const char *member, const char *s,
    struct jd_error *e); /* 1..64 [a-zA-Z0-9_-]+ */
/* [^\p{C}]+ : valid UTF-8, 1..max code points, no control/format/private-use/
 * surrogate/noncharacter code points. min_len 0 allows "". */
int core_check_text(const char *member, const char *s, size_t min_len, size_t max_len,
    struct jd_error *e);
int core_check_reason_code(const char *member, const char *s,
    struct jd_error *e); /* <=128 [A-Z0-9_]+ */
int core_check_attr_name(const char *member, const char *s,
    struct jd_error *e); /* 1..128 [a-zA-Z0-9_.,@/:#-]+ */
int core_check_attr_value(const char *member, const char *s,
    struct jd_error *e); /* 0..800 [a-zA-Z0-9_.,@/:#=\[\]-]* */
int core_check_group_description(const char *member, const char *s,
    struct jd_error *e); /* <=2028 [\p{Graph}\x20]* */
int core_check_tag_key(const char *member, const char *s,
    struct jd_error *e); /* 1..128 ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ */
int core_check_tag_value(const char *member, const char *s, struct jd_error *e); /* 0..256 */
int core_check_arn(const char *member, const char *s, size_t min_len, size_t max_len,
    struct jd_error *e); /* ^arn:[!-~]+$ */
/* statusDetails: key 1..128 [a-zA-Z0-9:_-]+, value 1..1024 text (D12). */
int core_check_details_key(const char *member, const char *s, struct jd_error *e);
int core_check_details_value(const char *member, const char *s, struct jd_error *e);
/* An integer member within [min, max]: "Member must have value less than or
 * equal to max" / "greater than or equal to min". */
int core_check_range(const char *member, int64_t v, int64_t min, int64_t max, struct jd_error *e);

/* Strict parses of query/path text. Decimal only, no sign, no spaces, no
 * leading '+', no overflow (> INT64_MAX). 0 or -1. */
int core_parse_u63(const char *s, int64_t *out);
/* Optional leading '-' then digits, within int64. */
int core_parse_i64(const char *s, int64_t *out);
/* exactly "true" or "false". */
int core_parse_bool(const char *s, bool *out);
/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) of n bytes. */
bool core_utf8_valid(const char *s, size_t n);
/* Code points in valid UTF-8 s. */
size_t core_utf8_len(const char *s, size_t n);

/* ---- timers (spec §9.3, D17) ----------------------------------------- */

#define CORE_MIN_MS INT64_C(60000)

/* In-progress deadline for an execution started at started_ms with a job
 * timeout of `minutes` (0 = none). Returns 0 when none. */
int64_t core_inprogress_deadline(int64_t started_ms, int64_t minutes);
/* New step deadline set at now_ms for `minutes` (1..10080), capped by
 * inprogress_deadline (0 = none). */
int64_t core_step_deadline(int64_t now_ms, int64_t minutes, int64_t inprogress_deadline);
/* Effective deadline: the earlier non-zero one of the two; 0 when neither. */
int64_t core_effective_deadline(int64_t inprogress_deadline, int64_t step_deadline);
/* approximateSecondsBeforeTimedOut: ceil((deadline-now)/1000), >= 0; -1 when
 * deadline is 0 (omit the member). */
int64_t core_seconds_before_timeout(int64_t now_ms, int64_t deadline);

/* ---- pending list (spec §7.1) ----------------------------------------- */

/* Ordering of the pending list: IN_PROGRESS before QUEUED, then queued_at
 * ascending, then seq ascending. qsort-style result. */
struct core_pending_key {
	int status;
	int64_t queued_at;
	int64_t seq;
};
int core_pending_cmp(const struct core_pending_key *a, const struct core_pending_key *b);

/* ---- scheduling (spec §9.5) ------------------------------------------- */

/* Parse a schedulingConfig time "YYYY-MM-DDTHH:MM", optionally followed by
 * ":SS" and/or "Z" (always UTC), into epoch ms. 0 or -1. */
int core_parse_schedule_time(const char *s, int64_t *ms);
/* Check startTime/endTime (either may be NULL) against now: start in
 * [now+30 min, now+1 year], end in [now+30 min, now+2 years], end-start in
 * [30 min, 2 years]. Sets *start_ms and *end_ms (0 when absent). 0 or JD_EINVAL. */
int core_check_schedule(const char *start, const char *end, int64_t now_ms, int64_t *start_ms,
    int64_t *end_ms, struct jd_error *e);

/* ---- DescribeEndpoint (endpoint.c) ------------------------------------- */

/* The endpoint types of DescribeEndpoint, canonically spelled. */
#define CORE_ENDPOINT_TYPES "iot:Data, iot:Data-ATS, iot:Jobs, iot:CredentialProvider"

/* The canonical spelling of endpoint type s (compared case-insensitively),
 * or NULL when s is not one of CORE_ENDPOINT_TYPES. */
const char *core_endpoint_type(const char *s);

/*
 * Look up the public address of endpoint `type` (canonical) in spec, the
 * value of --public-endpoint: either "HOST[:PORT]" (every type) or a comma
 * list "TYPE=HOST[:PORT],..." (a type it does not name falls back to the
 * default). HOST is a DNS name or an IPv4 address ([A-Za-z0-9.-], up to 253
 * bytes); PORT 1..65535. Returns 0 with out[n] set, 1 when spec has no
 * address for type, JD_EINVAL when spec is malformed (type NULL: only
 * validate it).
 */
int core_endpoint_lookup(const char *spec, const char *type, char *out, size_t n);

#endif
