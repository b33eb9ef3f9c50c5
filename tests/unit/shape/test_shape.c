/*
 * test_shape.c: the job and execution shapes, as exact JSON text, for the
 * control plane (fractional seconds, ARNs, detailsMap), the device plane
 * over HTTP (integer seconds, jobDocument as a string) and over MQTT
 * (integer seconds, jobDocument embedded, its member order).
 */
#include <stdlib.h>
#include <string.h>

#include "shape/shape.h"
#include "test.h"

static struct buf out = BUF_INIT;
static struct jw w;

static const struct shape_opts control = {
    .ts_float = true,
    .region = "eu-west-3",
    .account = "123456789012",
};

#define NOW 1700000100000LL /* ms */

/* A fresh writer over out. */
static struct jw *
begin(void)
{
	buf_reset(&out);
	jw_init(&w, &out);
	return &w;
}

static const char *
text(void)
{
	return buf_cstr(&out);
}

/* IN_PROGRESS, with statusDetails and a step timer 90.5 s away. */
static struct jd_exec
exec_in_progress(void)
{
	struct jd_exec x;

	memset(&x, 0, sizeof(x));
	strcpy(x.job_id, "job-1");
	strcpy(x.thing_name, "dev-1");
	x.number = 3;
	x.status = JD_EXEC_IN_PROGRESS;
	x.details = (char *)"{\"step\":\"download\"}";
	x.queued_ms = 1700000000123LL;
	x.started_ms = 1700000050000LL;
	x.updated_ms = 1700000060999LL;
	x.version = 2;
	x.retry_attempt = 1;
	x.step_deadline = NOW + 90500;
	return x;
}

static struct jd_job
job_sample(void)
{
	struct jd_job j;

	memset(&j, 0, sizeof(j));
	strcpy(j.job_id, "job-1");
	j.status = JD_JOB_IN_PROGRESS;
	j.selection = JD_SEL_SNAPSHOT;
	j.description = (char *)"fw \"2\"";
	j.targets = (char *)"[\"arn:aws:iot:eu-west-3:123456789012:thing/dev-1\"]";
	j.config = (char *)"{\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":5}}";
	j.created_ms = 1700000000000LL;
	j.updated_ms = 1700000000500LL;
	return j;
}

TEST(job_control_plane)
{
	struct jd_job j = job_sample();
	struct jd_counts c = {{0}};

	c.n[JD_EXEC_QUEUED] = 4;
	c.n[JD_EXEC_IN_PROGRESS] = 1;
	shape_job(begin(), &control, &j, &c);
	CHECK_EQ_STR(text(),
	    "{\"jobArn\":\"arn:aws:iot:eu-west-3:123456789012:job/job-1\",\"jobId\":\"job-1\","
	    "\"targetSelection\":\"SNAPSHOT\",\"status\":\"IN_PROGRESS\",\"forceCanceled\":false,"
	    "\"targets\":[\"arn:aws:iot:eu-west-3:123456789012:thing/dev-1\"],"
	    "\"description\":\"fw \\\"2\\\"\",\"createdAt\":1700000000.000,"
	    "\"lastUpdatedAt\":1700000000.500,"
	    "\"jobProcessDetails\":{\"numberOfCanceledThings\":0,\"numberOfSucceededThings\":0,"
	    "\"numberOfFailedThings\":0,\"numberOfRejectedThings\":0,\"numberOfQueuedThings\":4,"
	    "\"numberOfInProgressThings\":1,\"numberOfRemovedThings\":0,"
	    "\"numberOfTimedOutThings\":0},"
	    "\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":5},"
	    "\"presignedUrlConfig\":{},\"jobExecutionsRolloutConfig\":{},\"isConcurrent\":false}");

	j.config = (char *)"{}";
	j.rollout_next_ms = 1;
	shape_job_summary(begin(), &control, &j);
	CHECK_EQ_STR(text(),
	    "{\"jobArn\":\"arn:aws:iot:eu-west-3:123456789012:job/job-1\",\"jobId\":\"job-1\","
	    "\"targetSelection\":\"SNAPSHOT\",\"status\":\"IN_PROGRESS\","
	    "\"createdAt\":1700000000.000,\"lastUpdatedAt\":1700000000.500,\"isConcurrent\":true}");
}

TEST(exec_control_plane)
{
	struct jd_exec x = exec_in_progress();

	shape_exec(begin(), &control, &x, NOW);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"status\":\"IN_PROGRESS\",\"forceCanceled\":false,"
	    "\"statusDetails\":{\"detailsMap\":{\"step\":\"download\"}},"
	    "\"thingArn\":\"arn:aws:iot:eu-west-3:123456789012:thing/dev-1\","
	    "\"queuedAt\":1700000000.123,\"startedAt\":1700000050.000,"
	    "\"lastUpdatedAt\":1700000060.999,\"executionNumber\":3,\"versionNumber\":2,"
	    "\"approximateSecondsBeforeTimedOut\":91}");

	shape_exec_summary(begin(), &control, &x);
	CHECK_EQ_STR(text(),
	    "{\"status\":\"IN_PROGRESS\",\"queuedAt\":1700000000.123,\"startedAt\":1700000050.000,"
	    "\"lastUpdatedAt\":1700000060.999,\"executionNumber\":3,\"retryAttempt\":1}");

	/* no timer left to report once it is no longer IN_PROGRESS; {} is no details */
	x.status = JD_EXEC_SUCCEEDED;
	x.details = (char *)"{}";
	x.started_ms = 0;
	shape_exec(begin(), &control, &x, NOW);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"status\":\"SUCCEEDED\",\"forceCanceled\":false,\"statusDetails\":{},"
	    "\"thingArn\":\"arn:aws:iot:eu-west-3:123456789012:thing/dev-1\","
	    "\"queuedAt\":1700000000.123,\"lastUpdatedAt\":1700000060.999,"
	    "\"executionNumber\":3,\"versionNumber\":2}");
}

TEST(exec_device_http)
{
	struct jd_exec x = exec_in_progress();

	shape_exec_data(begin(), &shape_http_data, &x, "{\"op\":\"install\"}", NOW);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"thingName\":\"dev-1\",\"status\":\"IN_PROGRESS\","
	    "\"statusDetails\":{\"step\":\"download\"},\"queuedAt\":1700000000,"
	    "\"startedAt\":1700000050,\"lastUpdatedAt\":1700000060,"
	    "\"approximateSecondsBeforeTimedOut\":91,\"versionNumber\":2,\"executionNumber\":3,"
	    "\"jobDocument\":\"{\\\"op\\\":\\\"install\\\"}\"}");

	/* includeJobDocument false: the caller passes no document */
	x.status = JD_EXEC_QUEUED;
	x.details = NULL;
	shape_exec_data(begin(), &shape_http_data, &x, NULL, NOW);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"thingName\":\"dev-1\",\"status\":\"QUEUED\","
	    "\"queuedAt\":1700000000,\"startedAt\":1700000050,\"lastUpdatedAt\":1700000060,"
	    "\"versionNumber\":2,\"executionNumber\":3}");

	shape_exec_data_summary(begin(), &shape_http_data, &x);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"queuedAt\":1700000000,\"startedAt\":1700000050,"
	    "\"lastUpdatedAt\":1700000060,\"versionNumber\":2,\"executionNumber\":3}");
}

TEST(exec_device_mqtt)
{
	struct jd_exec x = exec_in_progress();

	shape_exec_data(begin(), &shape_mqtt, &x, "{\"op\":\"install\"}", NOW);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"thingName\":\"dev-1\",\"jobDocument\":{\"op\":\"install\"},"
	    "\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"step\":\"download\"},"
	    "\"queuedAt\":1700000000,\"startedAt\":1700000050,\"lastUpdatedAt\":1700000060,"
	    "\"versionNumber\":2,\"executionNumber\":3,\"approximateSecondsBeforeTimedOut\":91}");

	/* an empty document cannot be embedded: left out */
	shape_exec_data(begin(), &shape_mqtt, &x, "", NOW + 200000);
	CHECK_EQ_STR(text(),
	    "{\"jobId\":\"job-1\",\"thingName\":\"dev-1\",\"status\":\"IN_PROGRESS\","
	    "\"statusDetails\":{\"step\":\"download\"},\"queuedAt\":1700000000,"
	    "\"startedAt\":1700000050,\"lastUpdatedAt\":1700000060,\"versionNumber\":2,"
	    "\"executionNumber\":3,\"approximateSecondsBeforeTimedOut\":0}");
}

TEST(exec_state_and_doc_member)
{
	shape_exec_state(begin(), JD_EXEC_FAILED, "{\"e\":\"1\"}", 7);
	CHECK_EQ_STR(text(),
	    "{\"status\":\"FAILED\",\"statusDetails\":{\"e\":\"1\"},\"versionNumber\":7}");
	shape_exec_state(begin(), JD_EXEC_QUEUED, "{}", 1);
	CHECK_EQ_STR(text(), "{\"status\":\"QUEUED\",\"versionNumber\":1}");

	begin();
	jw_obj_begin(&w);
	shape_kdoc(&w, &shape_http_data, "{\"a\":1}");
	shape_kdoc(&w, &shape_mqtt, "{\"a\":1}");
	shape_kdoc(&w, &shape_mqtt, NULL);
	shape_kdoc(&w, &shape_http_data, NULL);
	jw_obj_end(&w);
	CHECK_EQ_STR(text(), "{\"jobDocument\":\"{\\\"a\\\":1}\",\"jobDocument\":{\"a\":1}}");
}

TEST(pending_list_filters_by_status)
{
	struct jd_exec v[3] = {exec_in_progress(), exec_in_progress(), exec_in_progress()};
	struct jd_execv list = {v, 3, 3};

	strcpy(v[1].job_id, "job-2");
	v[1].status = JD_EXEC_QUEUED;
	v[1].started_ms = 0;
	strcpy(v[2].job_id, "job-3");
	v[2].status = JD_EXEC_QUEUED;
	v[2].queued_ms = 0;
	v[2].started_ms = 0;
	v[2].updated_ms = 0;
	begin();
	jw_obj_begin(&w);
	jw_key(&w, "queuedJobs");
	shape_exec_data_list(&w, &shape_mqtt, &list, JD_EXEC_QUEUED);
	jw_key(&w, "none");
	shape_exec_data_list(&w, &shape_mqtt, &list, JD_EXEC_FAILED);
	jw_obj_end(&w);
	CHECK_EQ_STR(text(),
	    "{\"queuedJobs\":[{\"jobId\":\"job-2\",\"queuedAt\":1700000000,"
	    "\"lastUpdatedAt\":1700000060,\"versionNumber\":2,\"executionNumber\":3},"
	    "{\"jobId\":\"job-3\",\"versionNumber\":2,\"executionNumber\":3}],\"none\":[]}");
}

TEST(members_spliced_as_stored)
{
	static const char *const none[] = {NULL, "", "{}", " { \n} ", "[1]", "\"x\"", "{"};

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		begin();
		jw_obj_begin(&w);
		jw_kint(&w, "a", 1);
		shape_members(&w, none[i]);
		jw_kint(&w, "b", 2);
		jw_obj_end(&w);
		CHECK_EQ_STR(text(), "{\"a\":1,\"b\":2}");
	}
	/* first in the object, between members, and last */
	begin();
	jw_obj_begin(&w);
	shape_members(&w, "{\"x\":[1,{\"y\":null}]}");
	jw_kint(&w, "a", 1);
	shape_members(&w, " {\"z\":\"\\u00e9\",\"w\":1.5} ");
	jw_obj_end(&w);
	CHECK_EQ_STR(text(), "{\"x\":[1,{\"y\":null}],\"a\":1,\"z\":\"\\u00e9\",\"w\":1.5}");
}

TEST(arn_and_times)
{
	char arn[SHAPE_ARN_MAX];
	size_t n = shape_arn(arn, &control, "jobtemplate", "t-1");

	CHECK_EQ_INT(n, strlen("arn:aws:iot:eu-west-3:123456789012:jobtemplate/t-1"));
	CHECK(memcmp(arn, "arn:aws:iot:eu-west-3:123456789012:jobtemplate/t-1", n) == 0);
	begin();
	jw_obj_begin(&w);
	shape_ktime(&w, &control, "a", 1999);
	shape_ktime(&w, &shape_mqtt, "b", 1999);
	shape_ktime(&w, &control, "c", 0);
	shape_ktime(&w, &shape_http_data, "d", -1);
	jw_obj_end(&w);
	CHECK_EQ_STR(text(), "{\"a\":1.999,\"b\":1,\"d\":0}");
}

int
main(void)
{
	RUN(job_control_plane);
	RUN(exec_control_plane);
	RUN(exec_device_http);
	RUN(exec_device_mqtt);
	RUN(exec_state_and_doc_member);
	RUN(pending_list_filters_by_status);
	RUN(members_spliced_as_stored);
	RUN(arn_and_times);
	buf_free(&out);
	return test_report();
}
