/*
 * test_policy_json.c: svc_policy_from_json, the decoder of a job's stored
 * configuration into its typed policy.
 *
 * Besides the member-by-member cases, the decisions taken from the decoded
 * policy (core/policy.c) are compared with a copy of the code that read
 * the stored JSON on every decision before the policy was typed (rollout
 * rate, abort, retry, start time), over a set of configurations and a grid
 * of counts: same answers, same abort comment.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/model.h"
#include "core/policy.h"
#include "svc/policy_json.h"
#include "test.h"

#define MIN CORE_MIN_MS

/* ---- the engine's code before (svc/jobs.c), reading the JSON ------------ */

static int64_t
old_rollout_rate(const char *config, int64_t notified, int64_t succeeded)
{
	json_t *cfg = json_loads(config ? config : "{}", 0, NULL);
	json_t *ro = json_object_get(cfg, "jobExecutionsRolloutConfig");
	json_t *ex = json_object_get(ro, "exponentialRate");
	int64_t max = json_integer_value(json_object_get(ro, "maximumPerMinute"));
	int64_t rate = 0;

	if (ro == NULL)
		goto out;
	if (max <= 0)
		max = 1000;
	rate = max;
	if (ex != NULL) {
		json_t *crit = json_object_get(ex, "rateIncreaseCriteria");
		int64_t base = json_integer_value(json_object_get(ex, "baseRatePerMinute"));
		double factor = json_number_value(json_object_get(ex, "incrementFactor"));
		int64_t by_n = json_integer_value(json_object_get(crit, "numberOfNotifiedThings"));
		int64_t by_s = json_integer_value(json_object_get(crit, "numberOfSucceededThings"));
		int64_t steps = by_n > 0 ? notified / by_n : by_s > 0 ? succeeded / by_s : 0;
		double r = (double)base;
		for (int64_t i = 0; i < steps && r < (double)max; i++)
			r *= factor;
		rate = r < (double)max ? (int64_t)r : max;
	}
	if (rate < 1)
		rate = 1;
out:
	json_decref(cfg);
	return rate;
}

/* maybe_abort's decision: true and the comment when a criterion trips
 * (cfg: the parsed config, as maybe_abort was handed it). */
static bool
old_abort(json_t *cfg, const struct jd_counts *c, char comment[256])
{
	json_t *list = json_object_get(json_object_get(cfg, "abortConfig"), "criteriaList");
	bool tripped = false;
	size_t i;
	json_t *crit;

	if (json_array_size(list) == 0)
		goto out;
	int64_t executed = c->n[JD_EXEC_SUCCEEDED] + c->n[JD_EXEC_FAILED] + c->n[JD_EXEC_REJECTED] +
	    c->n[JD_EXEC_TIMED_OUT];
	json_array_foreach(list, i, crit)
	{
		const char *ft = json_string_value(json_object_get(crit, "failureType"));
		double threshold = json_number_value(json_object_get(crit, "thresholdPercentage"));
		int64_t min =
		    json_integer_value(json_object_get(crit, "minNumberOfExecutedThings"));
		int64_t failed;
		if (ft == NULL || executed < min || executed == 0)
			continue;
		if (strcmp(ft, "FAILED") == 0)
			failed = c->n[JD_EXEC_FAILED];
		else if (strcmp(ft, "REJECTED") == 0)
			failed = c->n[JD_EXEC_REJECTED];
		else if (strcmp(ft, "TIMED_OUT") == 0)
			failed = c->n[JD_EXEC_TIMED_OUT];
		else
			failed =
			    c->n[JD_EXEC_FAILED] + c->n[JD_EXEC_REJECTED] + c->n[JD_EXEC_TIMED_OUT];
		if ((double)failed * 100.0 < threshold * (double)executed)
			continue;
		snprintf(comment, 256,
		    "Job aborted by abortConfig criterion %zu: %lld of %lld executed things %s (threshold %.2f%%)",
		    i + 1, (long long)failed, (long long)executed, ft, threshold);
		tripped = true;
		break;
	}
out:
	return tripped;
}

/* maybe_retry's decision for an execution that ended in hist[n - 1], the
 * thing's executions of the job being hist[0..n-1]. */
static bool
old_retry(json_t *cfg, const int *hist, int n, int64_t retry_attempt)
{
	json_t *list =
	    json_object_get(json_object_get(cfg, "jobExecutionsRetryConfig"), "criteriaList");
	int status = hist[n - 1];
	const char *type = core_exec_status_name(status);
	int count_status = status;
	int64_t allowed = -1, failures = 0;
	bool retry = false;
	size_t i;
	json_t *crit;

	if (status != JD_EXEC_FAILED && status != JD_EXEC_TIMED_OUT)
		goto out;
	json_array_foreach(list, i, crit)
	{
		const char *ft = json_string_value(json_object_get(crit, "failureType"));
		int64_t k = json_integer_value(json_object_get(crit, "numberOfRetries"));
		if (ft != NULL && strcmp(ft, type) == 0) {
			allowed = k;
			count_status = status;
			break;
		}
		if (ft != NULL && strcmp(ft, "ALL") == 0) {
			allowed = k;
			count_status = -1;
		}
	}
	if (allowed <= 0 || retry_attempt >= 10)
		goto out;
	for (int h = 0; h < n; h++)
		if (count_status < 0 ? (hist[h] == JD_EXEC_FAILED || hist[h] == JD_EXEC_TIMED_OUT) :
		                       hist[h] == count_status)
			failures++;
	retry = failures <= allowed;
out:
	return retry;
}

/* svc__job_start_ms */
static int64_t
old_start_ms(const char *config)
{
	json_t *cfg = json_loads(config ? config : "{}", 0, NULL);
	const char *st = json_string_value(
	    json_object_get(json_object_get(cfg, "schedulingConfig"), "startTime"));
	int64_t ms = 0;

	if (st == NULL || core_parse_schedule_time(st, &ms) != 0)
		ms = 0;
	json_decref(cfg);
	return ms;
}

/* The same decisions from the typed policy. */
static bool
new_abort(const struct jd_policy *p, const struct jd_counts *c, char comment[256])
{
	struct core_abort a;

	if (!core_abort_eval(p, c, &a))
		return false;
	core_abort_comment(&a, comment, 256);
	return true;
}

static bool
new_retry(const struct jd_policy *p, const int *hist, int n, int64_t retry_attempt)
{
	struct core_retry r;
	int64_t failures = 0;

	if (!core_retry_plan(p, hist[n - 1], retry_attempt, &r))
		return false;
	for (int h = 0; h < n; h++)
		failures += core_retry_counts(&r, hist[h]);
	return core_retry_allowed(&r, failures);
}

/* ---- configurations ----------------------------------------------------- */

static const char *const configs[] = {
    "{}",
    "{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":50}}",
    "{\"jobExecutionsRolloutConfig\":{}}",
    "{\"jobExecutionsRolloutConfig\":null}",
    "{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":300,\"exponentialRate\":{"
    "\"baseRatePerMinute\":3,\"incrementFactor\":4.9,\"rateIncreaseCriteria\":{"
    "\"numberOfSucceededThings\":5}}}}",
    "{\"jobExecutionsRolloutConfig\":{\"exponentialRate\":{\"baseRatePerMinute\":10,"
    "\"incrementFactor\":1.1,\"rateIncreaseCriteria\":{\"numberOfNotifiedThings\":3}}}}",
    "{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":1000,\"exponentialRate\":{"
    "\"baseRatePerMinute\":1,\"incrementFactor\":2,\"rateIncreaseCriteria\":{"
    "\"numberOfNotifiedThings\":2,\"numberOfSucceededThings\":1}}}}",
    "{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":20,\"exponentialRate\":null}}",
    "{\"jobExecutionsRolloutConfig\":{\"exponentialRate\":{\"baseRatePerMinute\":500,"
    "\"incrementFactor\":5,\"rateIncreaseCriteria\":{}}}}",
    "{\"abortConfig\":{\"criteriaList\":[{\"failureType\":\"FAILED\",\"action\":\"CANCEL\","
    "\"thresholdPercentage\":50,\"minNumberOfExecutedThings\":4}]}}",
    "{\"abortConfig\":{\"criteriaList\":[{\"failureType\":\"REJECTED\",\"action\":\"CANCEL\","
    "\"thresholdPercentage\":33.33,\"minNumberOfExecutedThings\":3},{\"failureType\":\"ALL\","
    "\"action\":\"CANCEL\",\"thresholdPercentage\":75.5,\"minNumberOfExecutedThings\":1},"
    "{\"failureType\":\"TIMED_OUT\",\"action\":\"CANCEL\",\"thresholdPercentage\":10,"
    "\"minNumberOfExecutedThings\":2}]}}",
    "{\"abortConfig\":{\"criteriaList\":[{\"action\":\"CANCEL\",\"thresholdPercentage\":0,"
    "\"minNumberOfExecutedThings\":1},{\"failureType\":\"ALL\",\"action\":\"CANCEL\","
    "\"thresholdPercentage\":0.01,\"minNumberOfExecutedThings\":5}]}}",
    "{\"abortConfig\":{\"criteriaList\":[]}}",
    "{\"jobExecutionsRetryConfig\":{\"criteriaList\":[{\"failureType\":\"FAILED\","
    "\"numberOfRetries\":2},{\"failureType\":\"TIMED_OUT\",\"numberOfRetries\":1}]}}",
    "{\"jobExecutionsRetryConfig\":{\"criteriaList\":[{\"failureType\":\"ALL\","
    "\"numberOfRetries\":10}]}}",
    "{\"jobExecutionsRetryConfig\":{\"criteriaList\":[{\"failureType\":\"ALL\","
    "\"numberOfRetries\":3},{\"failureType\":\"FAILED\",\"numberOfRetries\":1}]}}",
    "{\"jobExecutionsRetryConfig\":{\"criteriaList\":[{\"failureType\":\"TIMED_OUT\","
    "\"numberOfRetries\":0},{\"failureType\":\"ALL\",\"numberOfRetries\":4}]}}",
    "{\"jobExecutionsRetryConfig\":{\"criteriaList\":[{\"failureType\":\"ALL\","
    "\"numberOfRetries\":0}]}}",
    "{\"schedulingConfig\":{\"startTime\":\"2024-01-01T12:30\",\"endTime\":\"2024-01-02T00:00:00Z\","
    "\"endBehavior\":\"CANCEL\"}}",
    "{\"schedulingConfig\":{\"startTime\":\"2024-13-01T12:30\"}}",
    "{\"schedulingConfig\":{\"endTime\":\"2024-01-02T00:00\",\"maintenanceWindows\":[]}}",
    /* everything at once, as CreateJob stores it */
    "{\"presignedUrlConfig\":{\"roleArn\":\"arn:aws:iam::123456789012:role/r\",\"expiresInSec\":600},"
    "\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":100,\"exponentialRate\":{"
    "\"baseRatePerMinute\":2,\"incrementFactor\":1.5,\"rateIncreaseCriteria\":{"
    "\"numberOfNotifiedThings\":4}}},\"abortConfig\":{\"criteriaList\":[{\"failureType\":"
    "\"ALL\",\"action\":\"CANCEL\",\"thresholdPercentage\":20,\"minNumberOfExecutedThings\":"
    "5}]},\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":30},\"jobExecutionsRetryConfig\":"
    "{\"criteriaList\":[{\"failureType\":\"TIMED_OUT\",\"numberOfRetries\":2},"
    "{\"failureType\":\"ALL\",\"numberOfRetries\":5}]},\"schedulingConfig\":{\"startTime\":"
    "\"2030-06-01T08:00\",\"endTime\":\"2030-06-02T08:00\",\"endBehavior\":\"FORCE_CANCEL\"},"
    "\"destinationPackageVersions\":[]}",
};

#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* ---- decoding, member by member ----------------------------------------- */

TEST(empty)
{
	static const char *const empties[] = {NULL, "", "{}", " { } ", "{\"tags\":[]}",
	    "{\"destinationPackageVersions\":[\"arn:x\"]}"};
	struct jd_policy p;

	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		CHECK_EQ_INT(svc_policy_from_json(empties[i], &p), 0);
		CHECK_EQ_INT(p.present, 0);
		CHECK(p.abort == NULL);
		CHECK_EQ_INT(p.n_abort, 0);
		CHECK_EQ_INT(p.n_retry, 0);
		CHECK_EQ_INT(p.max_per_minute, 0);
		CHECK_EQ_INT(p.start_ms, 0);
		CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 0);
		core_policy_release(&p);
	}
}

TEST(malformed)
{
	static const char *const bad[] = {"{", "not json", "[]", "[{}]", "1", "\"{}\"", "null",
	    "{\"a\":1,}", "{} {}"};
	struct jd_policy p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		CHECK_EQ_INT(svc_policy_from_json(bad[i], &p), -1);
		CHECK_EQ_INT(p.present, 0); /* an empty policy */
		CHECK(p.abort == NULL);
		CHECK_EQ_INT(p.n_retry, 0);
	}
}

TEST(full)
{
	struct jd_policy p;

	CHECK_EQ_INT(svc_policy_from_json(configs[NCONFIGS - 1], &p), 0);
	CHECK_EQ_INT(p.present,
	    JD_POLICY_ROLLOUT | JD_POLICY_ABORT | JD_POLICY_RETRY | JD_POLICY_TIMEOUT |
	        JD_POLICY_SCHEDULE | JD_POLICY_PRESIGNED);
	CHECK_EQ_INT(p.max_per_minute, 100);
	CHECK(p.exponential);
	CHECK_EQ_INT(p.base_per_minute, 2);
	CHECK(p.increment_factor == 1.5);
	CHECK_EQ_INT(p.by_notified, 4);
	CHECK_EQ_INT(p.by_succeeded, 0);
	CHECK_EQ_INT(p.n_abort, 1);
	CHECK_EQ_INT(p.abort[0].failure_type, JD_FAILURE_ALL);
	CHECK(p.abort[0].threshold_pct == 20.0);
	CHECK_EQ_INT(p.abort[0].min_executed, 5);
	CHECK_EQ_INT(p.n_retry, 2);
	CHECK_EQ_INT(p.retry[0].failure_type, JD_FAILURE_TIMED_OUT);
	CHECK_EQ_INT(p.retry[0].retries, 2);
	CHECK_EQ_INT(p.retry[1].failure_type, JD_FAILURE_ALL);
	CHECK_EQ_INT(p.retry[1].retries, 5);
	CHECK_EQ_INT(p.inprogress_timeout_min, 30);
	CHECK_EQ_INT(p.start_ms, INT64_C(1906531200000)); /* 2030-06-01T08:00Z */
	CHECK_EQ_INT(p.end_ms, INT64_C(1906531200000) + 1440 * MIN);
	CHECK_EQ_INT(p.end_behavior, JD_END_FORCE_CANCEL);
	CHECK_EQ_INT(p.presigned_expires_sec, 600);
	core_policy_release(&p);
}

TEST(rollout_members)
{
	struct jd_policy p;

	CHECK_EQ_INT(svc_policy_from_json(configs[1], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_ROLLOUT);
	CHECK_EQ_INT(p.max_per_minute, 50);
	CHECK(!p.exponential);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 50);
	core_policy_release(&p);

	/* an empty member still paces, at the default */
	CHECK_EQ_INT(svc_policy_from_json(configs[2], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_ROLLOUT);
	CHECK_EQ_INT(p.max_per_minute, 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1000);
	core_policy_release(&p);

	/* an integer incrementFactor reads as a number */
	CHECK_EQ_INT(svc_policy_from_json(configs[6], &p), 0);
	CHECK(p.exponential);
	CHECK(p.increment_factor == 2.0);
	CHECK_EQ_INT(p.by_notified, 2);
	CHECK_EQ_INT(p.by_succeeded, 1);
	core_policy_release(&p);

	/* a null exponentialRate counts as given, from base 0: 1 per minute */
	CHECK_EQ_INT(svc_policy_from_json(configs[7], &p), 0);
	CHECK(p.exponential);
	CHECK_EQ_INT(p.base_per_minute, 0);
	CHECK_EQ_INT(core_rollout_rate(&p, 0, 0), 1);
	core_policy_release(&p);

	/* numbers of the wrong JSON type read as 0 */
	CHECK_EQ_INT(svc_policy_from_json(
	                 "{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":\"5\"}}", &p),
	    0);
	CHECK_EQ_INT(p.max_per_minute, 0);
	core_policy_release(&p);
	CHECK_EQ_INT(
	    svc_policy_from_json("{\"jobExecutionsRolloutConfig\":{\"maximumPerMinute\":5.0}}", &p),
	    0);
	CHECK_EQ_INT(p.max_per_minute, 0);
	core_policy_release(&p);
}

TEST(abort_members)
{
	struct jd_policy p;

	CHECK_EQ_INT(svc_policy_from_json(configs[10], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_ABORT);
	CHECK_EQ_INT(p.n_abort, 3);
	CHECK_EQ_INT(p.abort[0].failure_type, JD_FAILURE_REJECTED);
	CHECK(p.abort[0].threshold_pct == 33.33);
	CHECK_EQ_INT(p.abort[0].min_executed, 3);
	CHECK_EQ_INT(p.abort[1].failure_type, JD_FAILURE_ALL);
	CHECK(p.abort[1].threshold_pct == 75.5);
	CHECK_EQ_INT(p.abort[2].failure_type, JD_FAILURE_TIMED_OUT);
	CHECK(p.abort[2].threshold_pct == 10.0); /* an integer threshold */
	core_policy_release(&p);

	/* a criterion without failureType keeps its place and never trips */
	CHECK_EQ_INT(svc_policy_from_json(configs[11], &p), 0);
	CHECK_EQ_INT(p.n_abort, 2);
	CHECK_EQ_INT(p.abort[0].failure_type, -1);
	CHECK_EQ_INT(p.abort[1].failure_type, JD_FAILURE_ALL);
	core_policy_release(&p);

	CHECK_EQ_INT(svc_policy_from_json(configs[12], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_ABORT);
	CHECK_EQ_INT(p.n_abort, 0);
	CHECK(p.abort == NULL);
	core_policy_release(&p);
}

TEST(retry_members)
{
	struct jd_policy p;

	CHECK_EQ_INT(svc_policy_from_json(configs[13], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_RETRY);
	CHECK_EQ_INT(p.n_retry, 2);
	CHECK_EQ_INT(p.retry[0].failure_type, JD_FAILURE_FAILED);
	CHECK_EQ_INT(p.retry[0].retries, 2);
	CHECK_EQ_INT(p.retry[1].failure_type, JD_FAILURE_TIMED_OUT);
	CHECK_EQ_INT(p.retry[1].retries, 1);
	core_policy_release(&p);

	/* REJECTED (never retried), unknown and missing types are skipped */
	CHECK_EQ_INT(
	    svc_policy_from_json(
	        "{\"jobExecutionsRetryConfig\":{\"criteriaList\":["
	        "{\"failureType\":\"REJECTED\",\"numberOfRetries\":1},{\"failureType\":\"NOPE\","
	        "\"numberOfRetries\":1},{\"numberOfRetries\":1},{\"failureType\":\"ALL\","
	        "\"numberOfRetries\":6}]}}",
	        &p),
	    0);
	CHECK_EQ_INT(p.n_retry, 1);
	CHECK_EQ_INT(p.retry[0].failure_type, JD_FAILURE_ALL);
	CHECK_EQ_INT(p.retry[0].retries, 6);
	core_policy_release(&p);

	/* no list */
	CHECK_EQ_INT(svc_policy_from_json("{\"jobExecutionsRetryConfig\":{}}", &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_RETRY);
	CHECK_EQ_INT(p.n_retry, 0);
	core_policy_release(&p);
}

TEST(timeout_schedule_presigned_members)
{
	struct jd_policy p;

	CHECK_EQ_INT(
	    svc_policy_from_json("{\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":10080}}", &p),
	    0);
	CHECK_EQ_INT(p.present, JD_POLICY_TIMEOUT);
	CHECK_EQ_INT(p.inprogress_timeout_min, 10080);
	CHECK_EQ_INT(core_policy_inprogress_deadline(&p, 1000), 1000 + 10080 * MIN);
	core_policy_release(&p);
	CHECK_EQ_INT(svc_policy_from_json("{\"timeoutConfig\":{}}", &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_TIMEOUT);
	CHECK_EQ_INT(p.inprogress_timeout_min, 0);
	core_policy_release(&p);

	CHECK_EQ_INT(svc_policy_from_json(configs[18], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_SCHEDULE);
	CHECK_EQ_INT(p.start_ms, INT64_C(1704110400000) + 30 * MIN);
	CHECK_EQ_INT(p.end_ms, INT64_C(1704110400000) + 12 * 60 * MIN);
	CHECK_EQ_INT(p.end_behavior, JD_END_CANCEL);
	CHECK_EQ_INT(core_schedule_phase(&p, INT64_C(1704110400000)), CORE_SCHEDULE_BEFORE);
	core_policy_release(&p);
	/* a malformed time reads as none */
	CHECK_EQ_INT(svc_policy_from_json(configs[19], &p), 0);
	CHECK_EQ_INT(p.present, JD_POLICY_SCHEDULE);
	CHECK_EQ_INT(p.start_ms, 0);
	CHECK_EQ_INT(p.end_behavior, JD_END_NONE);
	core_policy_release(&p);
	CHECK_EQ_INT(svc_policy_from_json(configs[20], &p), 0);
	CHECK_EQ_INT(p.start_ms, 0);
	CHECK(p.end_ms != 0);
	core_policy_release(&p);
	CHECK_EQ_INT(svc_policy_from_json("{\"schedulingConfig\":{\"endBehavior\":\"STOP_ROLLOUT\","
	                                  "\"startTime\":7}}",
	                 &p),
	    0);
	CHECK_EQ_INT(p.end_behavior, JD_END_STOP_ROLLOUT);
	CHECK_EQ_INT(p.start_ms, 0);
	core_policy_release(&p);
	CHECK_EQ_INT(svc_policy_from_json("{\"schedulingConfig\":{\"endBehavior\":\"LATER\"}}", &p),
	    0);
	CHECK_EQ_INT(p.end_behavior, JD_END_NONE);
	core_policy_release(&p);

	CHECK_EQ_INT(svc_policy_from_json(
	                 "{\"presignedUrlConfig\":{\"roleArn\":\"arn:aws:iam::1:role/r\"}}", &p),
	    0);
	CHECK_EQ_INT(p.present, JD_POLICY_PRESIGNED);
	CHECK_EQ_INT(p.presigned_expires_sec, 0);
	core_policy_release(&p);
}

TEST(decode_pack_unpack)
{
	for (size_t i = 0; i < NCONFIGS; i++) {
		struct jd_policy p, q;
		size_t len = 0;
		unsigned char *b;

		CHECK_EQ_INT(svc_policy_from_json(configs[i], &p), 0);
		b = core_policy_pack(&p, &len);
		CHECK_EQ_INT(core_policy_unpack(b, len, &q), 0);
		CHECK_EQ_INT(q.present, p.present);
		CHECK_EQ_INT(q.n_abort, p.n_abort);
		CHECK_EQ_INT(q.n_retry, p.n_retry);
		CHECK_EQ_INT(core_rollout_rate(&q, 40, 40), core_rollout_rate(&p, 40, 40));
		CHECK_EQ_INT(q.start_ms, p.start_ms);
		for (size_t k = 0; k < p.n_abort; k++)
			CHECK_EQ_INT(q.abort[k].failure_type, p.abort[k].failure_type);
		free(b);
		core_policy_release(&p);
		core_policy_release(&q);
	}
}

/* ---- the decisions, against the code that read the JSON ----------------- */

TEST(same_rollout_as_before)
{
	int differ = 0, compared = 0;

	for (size_t i = 0; i < NCONFIGS; i++) {
		struct jd_policy p;

		CHECK_EQ_INT(svc_policy_from_json(configs[i], &p), 0);
		for (int64_t n = 0; n <= 60; n++)
			for (int64_t s = 0; s <= 60; s += 6) {
				int64_t old = old_rollout_rate(configs[i], n, s);
				differ += core_rollout_rate(&p, n, s) != old;
				/* the tick's batch: the rate, or 1000 when not paced */
				differ += core_rollout_batch(&p, n, s) != (old <= 0 ? 1000 : old);
				compared++;
			}
		core_policy_release(&p);
	}
	CHECK_EQ_INT(differ, 0);
	CHECK(compared > 0);
}

TEST(same_abort_as_before)
{
	int differ = 0, tripped = 0;

	for (size_t i = 0; i < NCONFIGS; i++) {
		json_t *cfg = json_loads(configs[i], 0, NULL);
		struct jd_policy p;

		CHECK_EQ_INT(svc_policy_from_json(configs[i], &p), 0);
		for (int s = 0; s < 6; s++)
			for (int f = 0; f < 6; f++)
				for (int r = 0; r < 6; r++)
					for (int t = 0; t < 6; t++) {
						struct jd_counts c;
						char a[256] = "", b[256] = "";
						bool x, y;

						memset(&c, 0, sizeof(c));
						c.n[JD_EXEC_SUCCEEDED] = s * 3;
						c.n[JD_EXEC_FAILED] = f;
						c.n[JD_EXEC_REJECTED] = r;
						c.n[JD_EXEC_TIMED_OUT] = t;
						c.n[JD_EXEC_QUEUED] = 2;
						c.n[JD_EXEC_CANCELED] = 1;
						x = old_abort(cfg, &c, a);
						y = new_abort(&p, &c, b);
						differ += x != y || strcmp(a, b) != 0;
						tripped += x;
					}
		json_decref(cfg);
		core_policy_release(&p);
	}
	CHECK_EQ_INT(differ, 0);
	CHECK(tripped > 100);
}

TEST(same_retry_as_before)
{
	static const int ends[] = {JD_EXEC_FAILED, JD_EXEC_TIMED_OUT, JD_EXEC_REJECTED,
	    JD_EXEC_SUCCEEDED, JD_EXEC_CANCELED};
	int differ = 0, retried = 0;

	for (size_t i = 0; i < NCONFIGS; i++) {
		json_t *cfg = json_loads(configs[i], 0, NULL);
		struct jd_policy p;

		CHECK_EQ_INT(svc_policy_from_json(configs[i], &p), 0);
		/* every history of up to 4 executions over the 5 end states,
		 * at retry attempts 0..11 of the last */
		for (int len = 1; len <= 4; len++) {
			int total = 1;

			for (int k = 0; k < len; k++)
				total *= 5;
			for (int code = 0; code < total; code++) {
				int hist[4], v = code;

				for (int k = 0; k < len; k++, v /= 5)
					hist[k] = ends[v % 5];
				for (int64_t att = 0; att <= 11; att++) {
					bool x = old_retry(cfg, hist, len, att);
					differ += x != new_retry(&p, hist, len, att);
					retried += x;
				}
			}
		}
		json_decref(cfg);
		core_policy_release(&p);
	}
	CHECK_EQ_INT(differ, 0);
	CHECK(retried > 100);
}

TEST(same_start_as_before)
{
	for (size_t i = 0; i < NCONFIGS; i++) {
		struct jd_policy p;

		CHECK_EQ_INT(svc_policy_from_json(configs[i], &p), 0);
		CHECK_EQ_INT(core_schedule_start_ms(&p), old_start_ms(configs[i]));
		core_policy_release(&p);
	}
}

int
main(void)
{
	RUN(empty);
	RUN(malformed);
	RUN(full);
	RUN(rollout_members);
	RUN(abort_members);
	RUN(retry_members);
	RUN(timeout_schedule_presigned_members);
	RUN(decode_pack_unpack);
	RUN(same_rollout_as_before);
	RUN(same_abort_as_before);
	RUN(same_retry_as_before);
	RUN(same_start_as_before);
	return test_report();
}
