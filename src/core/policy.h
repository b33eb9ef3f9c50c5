/*
 * policy.h: a job's configuration, typed once, and the pure decisions taken
 * from it.
 *
 * A job's configuration members (jobExecutionsRolloutConfig, abortConfig,
 * jobExecutionsRetryConfig, timeoutConfig, schedulingConfig,
 * presignedUrlConfig) arrive as JSON (CreateJob, UpdateJob, a job template).
 * They are decoded once, where they enter (svc/policy_json.c), into a struct
 * jd_policy that travels inside struct jd_job and is stored beside the
 * verbatim JSON (which DescribeJob returns unchanged). The engine decides
 * from the typed policy only: it never parses the stored JSON on a request
 * or timer path.
 *
 * The decisions (rollout pacing, abort, retry, schedule, timeouts) are pure
 * functions: every input, the time included, is an argument. Times are epoch
 * milliseconds; 0 means "absent".
 */
#ifndef JD_CORE_POLICY_H
#define JD_CORE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cron.h"

/* failureType of abort and retry criteria. */
enum jd_failure_type {
	JD_FAILURE_FAILED = 0,
	JD_FAILURE_REJECTED, /* abort criteria only */
	JD_FAILURE_TIMED_OUT,
	JD_FAILURE_ALL, /* FAILED + REJECTED + TIMED_OUT (abort); FAILED or TIMED_OUT (retry) */
	JD_FAILURE__COUNT
};

/* schedulingConfig.endBehavior. */
enum jd_end_behavior {
	JD_END_NONE = 0, /* absent */
	JD_END_STOP_ROLLOUT,
	JD_END_CANCEL,
	JD_END_FORCE_CANCEL,
	JD_END__COUNT
};

/* Which members of the configuration were given (bits of jd_policy.present). */
enum jd_policy_member {
	JD_POLICY_ROLLOUT = 1u << 0,
	JD_POLICY_ABORT = 1u << 1,
	JD_POLICY_RETRY = 1u << 2,
	JD_POLICY_TIMEOUT = 1u << 3,
	JD_POLICY_SCHEDULE = 1u << 4,
	JD_POLICY_PRESIGNED = 1u << 5,
};

#define JD_RETRY_CRITERIA_MAX 2
#define JD_RETRIES_PER_THING_MAX 10 /* retries per device across failure types */
#define JD_ROLLOUT_DEFAULT_PER_MINUTE 1000

struct jd_abort_criterion {
	int failure_type;     /* enum jd_failure_type */
	double threshold_pct; /* 0..100 */
	int64_t min_executed; /* minNumberOfExecutedThings, >= 1 */
};

struct jd_retry_criterion {
	int failure_type; /* JD_FAILURE_FAILED, _TIMED_OUT or _ALL */
	int64_t retries;  /* numberOfRetries, 0..10 */
};

struct jd_policy {
	unsigned present; /* enum jd_policy_member bits */

	/* jobExecutionsRolloutConfig */
	int64_t max_per_minute;  /* maximumPerMinute; 0 = absent (default 1000) */
	bool exponential;        /* exponentialRate given */
	int64_t base_per_minute; /* exponentialRate.baseRatePerMinute */
	double increment_factor; /* exponentialRate.incrementFactor, 1.1..5 */
	int64_t by_notified;     /* rateIncreaseCriteria.numberOfNotifiedThings, 0 = absent */
	int64_t by_succeeded;    /* rateIncreaseCriteria.numberOfSucceededThings, 0 = absent */

	/* abortConfig.criteriaList, in list order (owned) */
	struct jd_abort_criterion *abort;
	size_t n_abort;

	/* jobExecutionsRetryConfig.criteriaList */
	struct jd_retry_criterion retry[JD_RETRY_CRITERIA_MAX];
	size_t n_retry;

	/* timeoutConfig.inProgressTimeoutInMinutes, 0 = none */
	int64_t inprogress_timeout_min;

	/* schedulingConfig */
	int64_t start_ms; /* 0 = start at once */
	int64_t end_ms;   /* 0 = no end */
	int end_behavior; /* enum jd_end_behavior */
	/* schedulingConfig.maintenanceWindows, compiled (owned); n_windows = 0:
	 * none (the job rolls out at any time) */
	struct jd_window *windows;
	size_t n_windows;

	/* presignedUrlConfig.expiresInSec, 0 = absent (roleArn stays in the JSON) */
	int64_t presigned_expires_sec;
};

/* Release owned members (the struct itself is the caller's); NULL-safe. */
void core_policy_release(struct jd_policy *p);
/* Deep copy; dst is overwritten (not released first). */
void core_policy_copy(struct jd_policy *dst, const struct jd_policy *src);

/*
 * Storage form: a compact, versioned, little-endian byte string (not JSON),
 * so a backend stores the policy as one BLOB/bytea column and loading it is a
 * few loads, not a parse. core_policy_pack returns an owned buffer and its
 * length. core_policy_unpack fills *p (released by the caller) and returns 0,
 * or -1 if the bytes are not a policy of a known version (p is then zeroed).
 */
unsigned char *core_policy_pack(const struct jd_policy *p, size_t *len);
int core_policy_unpack(const void *buf, size_t len, struct jd_policy *p);

/* ---- decisions (core/policy.c): pure, every input an argument ---------- */

struct jd_counts; /* core/model.h, which includes this header */

/* Wire name of a failure type ("FAILED", "REJECTED", "TIMED_OUT", "ALL"),
 * NULL out of range; and its exact parse (0 or -1). */
const char *core_failure_type_name(int t);
int core_failure_type_parse(const char *s, int *out);
/* Wire name of an end behavior ("STOP_ROLLOUT", ...); NULL for JD_END_NONE
 * and out of range; and its exact parse (0 or -1). */
const char *core_end_behavior_name(int b);
int core_end_behavior_parse(const char *s, int *out);

/*
 * Rollout pacing (jobExecutionsRolloutConfig).
 *
 * core_rollout_rate: executions per minute. 0 = not paced (no rollout
 * member). Otherwise maximumPerMinute (default JD_ROLLOUT_DEFAULT_PER_MINUTE
 * when absent or <= 0); with an exponentialRate the rate is
 * baseRatePerMinute multiplied by incrementFactor once per whole step of
 * numberOfNotifiedThings notified things (or, when that is absent, of
 * numberOfSucceededThings succeeded things), the multiplying stopping as
 * soon as the rate reaches maximumPerMinute; a rate at or over the maximum
 * is the maximum, otherwise it is truncated toward zero. Never below 1 when
 * paced. `notified` counts the executions the rollout has queued so far
 * (jd_job.rollout_notified); `succeeded` the job's SUCCEEDED executions.
 *
 * core_rollout_batch: how many waiting things one rollout tick releases:
 * the rate, or JD_ROLLOUT_DEFAULT_PER_MINUTE when not paced.
 *
 * core_rollout_next_ms: when the batch after one that released `released`
 * of at most `rate` things is due: 0 (rollout finished) when fewer than
 * `rate` were released, else prev_next_ms + one minute; the minute cadence
 * is kept from the schedule, not from when the timer ran, so that a clock
 * jump releases every batch that became due.
 *
 * core_rollout_first: at CreateJob (or a scheduled start) with n things to
 * run: how many are queued at once (the rest wait for the rollout timer)
 * and, in *next_ms, when the next batch is due (now + one minute when some
 * wait, else 0).
 */
int64_t core_rollout_rate(const struct jd_policy *p, int64_t notified, int64_t succeeded);
int64_t core_rollout_batch(const struct jd_policy *p, int64_t notified, int64_t succeeded);
int64_t core_rollout_next_ms(int64_t prev_next_ms, int64_t released, int64_t rate);
size_t core_rollout_first(const struct jd_policy *p, size_t n, int64_t now, int64_t *next_ms);

/*
 * Abort (abortConfig). An execution is "executed" when its latest state is
 * SUCCEEDED, FAILED, REJECTED or TIMED_OUT. Criteria are tried in list
 * order; one trips when at least minNumberOfExecutedThings (and at least
 * one) things have executed and failed * 100 >= thresholdPercentage *
 * executed, where `failed` counts the criterion's failure type (ALL:
 * FAILED + REJECTED + TIMED_OUT). The first that trips wins.
 *
 * core_abort_eval returns true and fills *out when a criterion trips, else
 * false (*out untouched). c holds the job's counts, the execution that just
 * ended included. core_abort_comment writes the job comment svc stores
 * with reason CORE_ABORT_REASON ("Job aborted by abortConfig criterion N:
 * F of E executed things TYPE (threshold T.TT%)", N counted from 1) into
 * buf (NUL-terminated, truncated to n) and returns snprintf's result.
 */
#define CORE_ABORT_REASON "ABORTED_BY_FAILURE_THRESHOLD"
#define CORE_ABORT_COMMENT_MAX 256

struct core_abort {
	size_t criterion; /* index in jd_policy.abort, from 0 */
	int failure_type; /* enum jd_failure_type */
	double threshold_pct;
	int64_t failed;
	int64_t executed;
};

bool core_abort_eval(const struct jd_policy *p, const struct jd_counts *c, struct core_abort *out);
int core_abort_comment(const struct core_abort *a, char *buf, size_t n);

/*
 * Retry (jobExecutionsRetryConfig). Only an execution that ended FAILED or
 * TIMED_OUT may be retried. The criterion for its exact failure type wins
 * over ALL (of several ALL criteria, the last); the criterion names the
 * number of retries allowed and which of the thing's executions of the job
 * count as failures (its own type, or FAILED and TIMED_OUT for ALL).
 *
 * core_retry_plan: for an execution that ended in `status` at retry attempt
 * `retry_attempt` (0 for the first execution): fills *out and returns true
 * when a retry is possible, i.e. a criterion applies, its numberOfRetries is
 * > 0 and retry_attempt < JD_RETRIES_PER_THING_MAX; false otherwise (then
 * nothing need be counted and nothing queued).
 * core_retry_counts: whether an execution in `status` counts as a failure
 * for the plan.
 * core_retry_allowed: given `failures`, the number of the thing's
 * executions of the job that count (the one that just ended included), is
 * a retry queued? True when failures <= the criterion's numberOfRetries.
 * The retry is queued with retry_attempt + 1.
 */
struct core_retry {
	int failure_type;    /* the criterion's: JD_FAILURE_FAILED, _TIMED_OUT or _ALL */
	int64_t allowed;     /* its numberOfRetries */
	unsigned count_mask; /* 1u << enum jd_exec_status of the statuses that count */
};

bool core_retry_plan(const struct jd_policy *p, int status, int64_t retry_attempt,
    struct core_retry *out);
bool core_retry_counts(const struct core_retry *r, int status);
bool core_retry_allowed(const struct core_retry *r, int64_t failures);

/*
 * Schedule (schedulingConfig). core_schedule_start_ms: the job's
 * startTime in epoch ms, 0 when it has none (start at once).
 * core_schedule_phase: where `now` falls in the window [start_ms, end_ms):
 * BEFORE when start_ms is set and now < start_ms; ENDED when end_ms is set
 * and now >= end_ms; RUNNING otherwise. A SCHEDULED job starts as soon as
 * its phase is not BEFORE. A job with maintenance windows is always BEFORE
 * here: it starts, pauses and resumes by the window duty
 * (core_schedule_window and svc/schedule.c), not by this phase.
 *
 * core_schedule_window: what a job with maintenance windows should be at
 * now. NONE: the policy has no windows. OPEN: now is at or after startTime,
 * before endTime, and inside a window (the job rolls out, IN_PROGRESS).
 * CLOSED: before startTime or between windows (the job queues nothing,
 * SCHEDULED); *next (if not NULL) is then the next window start at or after
 * startTime (-1 if none). ENDED: endTime has passed (endTime wins: the end
 * duty acts, whatever the windows say).
 */
enum core_window_state {
	CORE_WINDOW_NONE = 0,
	CORE_WINDOW_OPEN,
	CORE_WINDOW_CLOSED,
	CORE_WINDOW_ENDED,
};

int core_schedule_window(const struct jd_policy *p, int64_t now, int64_t *next);
enum core_schedule_phase {
	CORE_SCHEDULE_BEFORE = 0,
	CORE_SCHEDULE_RUNNING,
	CORE_SCHEDULE_ENDED,
};

int64_t core_schedule_start_ms(const struct jd_policy *p);
int core_schedule_phase(const struct jd_policy *p, int64_t now);

/*
 * Timeouts (timeoutConfig). The in-progress deadline of an execution that
 * started (moved to IN_PROGRESS) at started_ms: started_ms +
 * inProgressTimeoutInMinutes, saturating; 0 when the policy has no timeout.
 */
int64_t core_policy_inprogress_deadline(const struct jd_policy *p, int64_t started_ms);

#endif
