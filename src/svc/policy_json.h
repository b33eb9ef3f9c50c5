/*
 * policy_json.h: decode a job's stored configuration (JSON) into its typed
 * policy.
 *
 * The configuration members are validated where they enter (api/h_jobs.c)
 * and stored verbatim as one JSON object (jd_job.config). This decoder runs
 * where a config enters or changes (CreateJob, UpdateJob, a template being
 * applied) and once per older job when the policy column is first filled;
 * never on a request or timer path.
 */
#ifndef JD_SVC_POLICY_JSON_H
#define JD_SVC_POLICY_JSON_H

#include "core/policy.h"

/*
 * Decode config_json (a JSON object with any of jobExecutionsRolloutConfig,
 * abortConfig, jobExecutionsRetryConfig, timeoutConfig, schedulingConfig,
 * presignedUrlConfig; other members are ignored) into *out, which is
 * overwritten (not released first) and owned by the caller afterwards
 * (core_policy_release).
 *
 * NULL, "" or "{}" give an empty policy (present == 0). A member counts as
 * present when its key is there (a JSON null included, as the engine has
 * always read it); inside it, a number of the wrong JSON type or a missing
 * one reads as 0, as the engine read the JSON before. An abort criterion
 * whose failureType is missing or unknown keeps its place in the list (its
 * number appears in the abort comment) with failure_type -1, which never
 * trips; a retry criterion with no known failureType is skipped. Times are parsed with
 * core_parse_schedule_time (0 when missing or malformed).
 *
 * timeoutConfig.inProgressTimeoutInMinutes is read from the text as
 * given. It can differ from jd_job.inprogress_timeout_min: an UpdateJob
 * whose timeoutConfig has no inProgressTimeoutInMinutes replaces the member
 * in the stored JSON (0 here) but keeps the job's timeout. The engine's
 * execution deadlines have always come from jd_job.inprogress_timeout_min.
 *
 * Returns 0, or -1 when the text is not a JSON object (*out is then an
 * empty policy).
 */
int svc_policy_from_json(const char *config_json, struct jd_policy *out);

#endif
