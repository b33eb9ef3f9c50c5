/*
 * policy_json.c: the stored configuration JSON of a job, decoded into its
 * typed policy (struct jd_policy).
 *
 * The members were validated by api/ before they were stored, so this
 * decoder does not validate again: it reads each value the way the engine
 * read the stored JSON on every decision before the policy was typed
 * (jansson's json_integer_value / json_number_value: a missing value or one
 * of the wrong JSON type reads as 0), so that a job created before keeps
 * behaving exactly as it did.
 */
#include "svc/policy_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/buf.h"

static int64_t
int_at(json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

static void
rollout(json_t *ro, struct jd_policy *p)
{
	json_t *ex = json_object_get(ro, "exponentialRate");
	json_t *crit = json_object_get(ex, "rateIncreaseCriteria");

	p->present |= JD_POLICY_ROLLOUT;
	p->max_per_minute = int_at(ro, "maximumPerMinute");
	/* A member that is there counts, even as a JSON null: the engine paced
	 * such a job from base 0 (that is, 1 per minute). */
	p->exponential = ex != NULL;
	p->base_per_minute = int_at(ex, "baseRatePerMinute");
	p->increment_factor = json_number_value(json_object_get(ex, "incrementFactor"));
	p->by_notified = int_at(crit, "numberOfNotifiedThings");
	p->by_succeeded = int_at(crit, "numberOfSucceededThings");
}

static void
abort_list(json_t *ac, struct jd_policy *p)
{
	json_t *list = json_object_get(ac, "criteriaList");
	size_t n = json_array_size(list), i;
	json_t *c;

	p->present |= JD_POLICY_ABORT;
	if (n == 0)
		return;
	p->abort = jd_calloc(n, sizeof(*p->abort));
	p->n_abort = n;
	json_array_foreach(list, i, c)
	{
		struct jd_abort_criterion *a = &p->abort[i];

		if (core_failure_type_parse(json_string_value(json_object_get(c, "failureType")),
		        &a->failure_type) != 0)
			a->failure_type = -1; /* keeps its number in the list; never trips */
		a->threshold_pct = json_number_value(json_object_get(c, "thresholdPercentage"));
		a->min_executed = int_at(c, "minNumberOfExecutedThings");
	}
}

static void
retry_list(json_t *rc, struct jd_policy *p)
{
	json_t *list = json_object_get(rc, "criteriaList");
	size_t i;
	json_t *c;

	p->present |= JD_POLICY_RETRY;
	json_array_foreach(list, i, c)
	{
		int t;

		if (core_failure_type_parse(json_string_value(json_object_get(c, "failureType")),
		        &t) != 0 ||
		    t == JD_FAILURE_REJECTED)
			continue; /* matches no failure that is retried */
		if (p->n_retry == JD_RETRY_CRITERIA_MAX)
			break;
		p->retry[p->n_retry].failure_type = t;
		p->retry[p->n_retry].retries = int_at(c, "numberOfRetries");
		p->n_retry++;
	}
}

static int64_t
time_at(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	int64_t ms = 0;

	if (s == NULL || core_parse_schedule_time(s, &ms) != 0)
		return 0;
	return ms;
}

/* maintenanceWindows, compiled; an entry that does not parse (never stored:
 * CreateJob and CreateJobTemplate refuse it) is left out. */
static void
windows(json_t *l, struct jd_policy *p)
{
	size_t i, n = json_array_size(l);
	json_t *w;

	if (n == 0)
		return;
	p->windows = jd_calloc(n, sizeof(*p->windows));
	json_array_foreach(l, i, w)
	{
		struct jd_window *o = &p->windows[p->n_windows];
		json_int_t d = json_integer_value(json_object_get(w, "durationInMinutes"));
		if (d < JD_WINDOW_MINUTES_MIN || d > JD_WINDOW_MINUTES_MAX ||
		    core_cron_parse(json_string_value(json_object_get(w, "startTime")), &o->start,
		        NULL, 0) != 0)
			continue;
		o->minutes = d;
		p->n_windows++;
	}
	if (p->n_windows == 0) {
		free(p->windows);
		p->windows = NULL;
	}
}

static void
schedule(json_t *sc, struct jd_policy *p)
{
	p->present |= JD_POLICY_SCHEDULE;
	p->start_ms = time_at(sc, "startTime");
	p->end_ms = time_at(sc, "endTime");
	if (core_end_behavior_parse(json_string_value(json_object_get(sc, "endBehavior")),
	        &p->end_behavior) != 0)
		p->end_behavior = JD_END_NONE;
	windows(json_object_get(sc, "maintenanceWindows"), p);
}

int
svc_policy_from_json(const char *config_json, struct jd_policy *out)
{
	json_t *cfg, *v;

	memset(out, 0, sizeof(*out));
	if (config_json == NULL || config_json[0] == '\0' || strcmp(config_json, "{}") == 0)
		return 0;
	cfg = json_loads(config_json, 0, NULL);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return -1;
	}
	if ((v = json_object_get(cfg, "jobExecutionsRolloutConfig")) != NULL)
		rollout(v, out);
	if ((v = json_object_get(cfg, "abortConfig")) != NULL)
		abort_list(v, out);
	if ((v = json_object_get(cfg, "jobExecutionsRetryConfig")) != NULL)
		retry_list(v, out);
	if ((v = json_object_get(cfg, "timeoutConfig")) != NULL) {
		out->present |= JD_POLICY_TIMEOUT;
		out->inprogress_timeout_min = int_at(v, "inProgressTimeoutInMinutes");
	}
	if ((v = json_object_get(cfg, "schedulingConfig")) != NULL)
		schedule(v, out);
	if ((v = json_object_get(cfg, "presignedUrlConfig")) != NULL) {
		out->present |= JD_POLICY_PRESIGNED;
		out->presigned_expires_sec = int_at(v, "expiresInSec");
	}
	json_decref(cfg);
	return 0;
}
