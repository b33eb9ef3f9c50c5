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

/* failureType of abort and retry criteria. */
enum jd_failure_type {
	JD_FAILURE_FAILED = 0,
	JD_FAILURE_REJECTED,  /* abort criteria only */
	JD_FAILURE_TIMED_OUT,
	JD_FAILURE_ALL,       /* FAILED + REJECTED + TIMED_OUT (abort); FAILED or TIMED_OUT (retry) */
	JD_FAILURE__COUNT
};

/* schedulingConfig.endBehavior. */
enum jd_end_behavior {
	JD_END_NONE = 0,      /* absent */
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
#define JD_RETRIES_PER_THING_MAX 10   /* retries per device across failure types */
#define JD_ROLLOUT_DEFAULT_PER_MINUTE 1000

struct jd_abort_criterion {
	int failure_type;             /* enum jd_failure_type */
	double threshold_pct;         /* 0..100 */
	int64_t min_executed;         /* minNumberOfExecutedThings, >= 1 */
};

struct jd_retry_criterion {
	int failure_type;             /* JD_FAILURE_FAILED, _TIMED_OUT or _ALL */
	int64_t retries;              /* numberOfRetries, 0..10 */
};

struct jd_policy {
	unsigned present;             /* enum jd_policy_member bits */

	/* jobExecutionsRolloutConfig */
	int64_t max_per_minute;       /* maximumPerMinute; 0 = absent (default 1000) */
	bool exponential;             /* exponentialRate given */
	int64_t base_per_minute;      /* exponentialRate.baseRatePerMinute */
	double increment_factor;      /* exponentialRate.incrementFactor, 1.1..5 */
	int64_t by_notified;          /* rateIncreaseCriteria.numberOfNotifiedThings, 0 = absent */
	int64_t by_succeeded;         /* rateIncreaseCriteria.numberOfSucceededThings, 0 = absent */

	/* abortConfig.criteriaList, in list order (owned) */
	struct jd_abort_criterion *abort;
	size_t n_abort;

	/* jobExecutionsRetryConfig.criteriaList */
	struct jd_retry_criterion retry[JD_RETRY_CRITERIA_MAX];
	size_t n_retry;

	/* timeoutConfig.inProgressTimeoutInMinutes, 0 = none */
	int64_t inprogress_timeout_min;

	/* schedulingConfig */
	int64_t start_ms;             /* 0 = start at once */
	int64_t end_ms;               /* 0 = no end */
	int end_behavior;             /* enum jd_end_behavior */

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

#endif
