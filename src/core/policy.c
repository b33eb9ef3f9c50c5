/*
 * policy.c: the decisions taken from a job's typed policy: rollout pacing,
 * abort, retry, schedule phase and timeouts.
 *
 * Each function reproduces what the engine decided when it read the stored
 * JSON on every call (the same arithmetic, the same order of criteria, the
 * same rounding), now from struct jd_policy and with every input, the time
 * included, an argument. No I/O, no allocation.
 */
#include "core/policy.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/model.h"

static const char *const failure_names[JD_FAILURE__COUNT] = {
    [JD_FAILURE_FAILED] = "FAILED",
    [JD_FAILURE_REJECTED] = "REJECTED",
    [JD_FAILURE_TIMED_OUT] = "TIMED_OUT",
    [JD_FAILURE_ALL] = "ALL",
};

static const char *const end_names[JD_END__COUNT] = {
    [JD_END_NONE] = NULL,
    [JD_END_STOP_ROLLOUT] = "STOP_ROLLOUT",
    [JD_END_CANCEL] = "CANCEL",
    [JD_END_FORCE_CANCEL] = "FORCE_CANCEL",
};

const char *
core_failure_type_name(int t)
{
	if (t < 0 || t >= JD_FAILURE__COUNT)
		return NULL;
	return failure_names[t];
}

int
core_failure_type_parse(const char *s, int *out)
{
	for (int i = 0; s != NULL && i < JD_FAILURE__COUNT; i++)
		if (strcmp(s, failure_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

const char *
core_end_behavior_name(int b)
{
	if (b < 0 || b >= JD_END__COUNT)
		return NULL;
	return end_names[b];
}

int
core_end_behavior_parse(const char *s, int *out)
{
	for (int i = JD_END_NONE + 1; s != NULL && i < JD_END__COUNT; i++)
		if (strcmp(s, end_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

/* ---- rollout ------------------------------------------------------------ */

int64_t
core_rollout_rate(const struct jd_policy *p, int64_t notified, int64_t succeeded)
{
	int64_t max, rate;

	if ((p->present & JD_POLICY_ROLLOUT) == 0)
		return 0;
	max = p->max_per_minute > 0 ? p->max_per_minute : JD_ROLLOUT_DEFAULT_PER_MINUTE;
	rate = max;
	if (p->exponential) {
		int64_t steps = p->by_notified > 0 ? notified / p->by_notified :
		    p->by_succeeded > 0            ? succeeded / p->by_succeeded :
		                                     0;
		double r = (double)p->base_per_minute;

		/* Multiply step by step (not pow()) so that the result, rounding
		 * included, is the one the engine has always computed. */
		for (int64_t i = 0; i < steps && r < (double)max; i++)
			r *= p->increment_factor;
		rate = r < (double)max ? (int64_t)r : max;
	}
	return rate < 1 ? 1 : rate;
}

int64_t
core_rollout_batch(const struct jd_policy *p, int64_t notified, int64_t succeeded)
{
	int64_t rate = core_rollout_rate(p, notified, succeeded);

	return rate > 0 ? rate : JD_ROLLOUT_DEFAULT_PER_MINUTE;
}

int64_t
core_rollout_next_ms(int64_t prev_next_ms, int64_t released, int64_t rate)
{
	return released < rate ? 0 : prev_next_ms + CORE_MIN_MS;
}

size_t
core_rollout_first(const struct jd_policy *p, size_t n, int64_t now, int64_t *next_ms)
{
	int64_t paced = core_rollout_rate(p, 0, 0);

	*next_ms = 0;
	if (paced > 0 && n > (size_t)paced) {
		*next_ms = now + CORE_MIN_MS;
		return (size_t)paced;
	}
	return n;
}

/* ---- abort -------------------------------------------------------------- */

bool
core_abort_eval(const struct jd_policy *p, const struct jd_counts *c, struct core_abort *out)
{
	const int64_t *n = c->n;
	int64_t executed =
	    n[JD_EXEC_SUCCEEDED] + n[JD_EXEC_FAILED] + n[JD_EXEC_REJECTED] + n[JD_EXEC_TIMED_OUT];

	if (executed == 0)
		return false;
	for (size_t i = 0; i < p->n_abort; i++) {
		const struct jd_abort_criterion *a = &p->abort[i];
		int64_t failed;

		if (executed < a->min_executed)
			continue;
		switch (a->failure_type) {
		case JD_FAILURE_FAILED:
			failed = n[JD_EXEC_FAILED];
			break;
		case JD_FAILURE_REJECTED:
			failed = n[JD_EXEC_REJECTED];
			break;
		case JD_FAILURE_TIMED_OUT:
			failed = n[JD_EXEC_TIMED_OUT];
			break;
		case JD_FAILURE_ALL:
			failed = n[JD_EXEC_FAILED] + n[JD_EXEC_REJECTED] + n[JD_EXEC_TIMED_OUT];
			break;
		default:
			continue; /* no failure type: never trips */
		}
		if ((double)failed * 100.0 < a->threshold_pct * (double)executed)
			continue;
		out->criterion = i;
		out->failure_type = a->failure_type;
		out->threshold_pct = a->threshold_pct;
		out->failed = failed;
		out->executed = executed;
		return true;
	}
	return false;
}

int
core_abort_comment(const struct core_abort *a, char *buf, size_t n)
{
	const char *type = core_failure_type_name(a->failure_type);

	return snprintf(buf, n,
	    "Job aborted by abortConfig criterion %zu: %lld of %lld executed things %s (threshold %.2f%%)",
	    a->criterion + 1, (long long)a->failed, (long long)a->executed, type ? type : "?",
	    a->threshold_pct);
}

/* ---- retry -------------------------------------------------------------- */

#define XBIT(s) (1u << (s))

bool
core_retry_plan(const struct jd_policy *p, int status, int64_t retry_attempt,
    struct core_retry *out)
{
	int want;
	const struct jd_retry_criterion *use = NULL;

	if (status == JD_EXEC_FAILED)
		want = JD_FAILURE_FAILED;
	else if (status == JD_EXEC_TIMED_OUT)
		want = JD_FAILURE_TIMED_OUT;
	else
		return false;
	/* The criterion for this failure type wins over ALL. */
	for (size_t i = 0; i < p->n_retry && i < JD_RETRY_CRITERIA_MAX; i++) {
		const struct jd_retry_criterion *r = &p->retry[i];

		if (r->failure_type == want) {
			use = r;
			break;
		}
		if (r->failure_type == JD_FAILURE_ALL)
			use = r;
	}
	if (use == NULL || use->retries <= 0 || retry_attempt >= JD_RETRIES_PER_THING_MAX)
		return false;
	out->failure_type = use->failure_type;
	out->allowed = use->retries;
	out->count_mask = use->failure_type == JD_FAILURE_ALL ?
	    XBIT(JD_EXEC_FAILED) | XBIT(JD_EXEC_TIMED_OUT) :
	    XBIT(status);
	return true;
}

bool
core_retry_counts(const struct core_retry *r, int status)
{
	return status >= 0 && status < JD_EXEC__COUNT && (r->count_mask & XBIT(status)) != 0;
}

bool
core_retry_allowed(const struct core_retry *r, int64_t failures)
{
	return failures <= r->allowed;
}

/* ---- schedule and timeouts ---------------------------------------------- */

int64_t
core_schedule_start_ms(const struct jd_policy *p)
{
	return p->start_ms;
}

int
core_schedule_phase(const struct jd_policy *p, int64_t now)
{
	if (p->n_windows > 0 || (p->start_ms != 0 && now < p->start_ms))
		return CORE_SCHEDULE_BEFORE;
	if (p->end_ms != 0 && now >= p->end_ms)
		return CORE_SCHEDULE_ENDED;
	return CORE_SCHEDULE_RUNNING;
}

int
core_schedule_window(const struct jd_policy *p, int64_t now, int64_t *next)
{
	int64_t from = now;

	if (next != NULL)
		*next = -1;
	if (p->n_windows == 0)
		return CORE_WINDOW_NONE;
	if (p->end_ms != 0 && now >= p->end_ms)
		return CORE_WINDOW_ENDED;
	if (p->start_ms == 0 || now >= p->start_ms) {
		if (core_window_active(p->windows, p->n_windows, now, next))
			return CORE_WINDOW_OPEN;
		return CORE_WINDOW_CLOSED;
	}
	/* before startTime: the first window that starts at or after it (a
	 * window already running at startTime opens the job at startTime) */
	from = p->start_ms;
	if (next != NULL) {
		if (core_window_active(p->windows, p->n_windows, from, NULL))
			*next = from;
		else
			*next = core_window_next_start(p->windows, p->n_windows, from);
	}
	return CORE_WINDOW_CLOSED;
}

int64_t
core_policy_inprogress_deadline(const struct jd_policy *p, int64_t started_ms)
{
	return core_inprogress_deadline(started_ms, p->inprogress_timeout_min);
}
