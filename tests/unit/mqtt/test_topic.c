/*
 * test_topic.c: the pure MQTT layer. Every topic form and its malformed
 * variants (with the kind, names and reply base they yield), payload
 * leniency and limits, and the exact bytes of rejected replies.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "mqtt/mqtt.h"
#include "test.h"

/* unit repeated count times, in one of two static buffers (rotating). */
static const char *
rep(const char *unit, size_t count)
{
	static char bufs[2][4096];
	static int which;
	char *buf = bufs[which ^= 1];
	size_t ul = strlen(unit);

	if (ul * count + 1 > sizeof(bufs[0]))
		abort();
	for (size_t i = 0; i < count; i++)
		memcpy(buf + i * ul, unit, ul);
	buf[ul * count] = '\0';
	return buf;
}

static struct mqtt_topic tp;

/* Kind of a NUL-terminated topic (tp holds the details). */
static int
kind(const char *topic)
{
	return mqtt_topic_parse(topic, strlen(topic), &tp);
}

static char topic_buf[2048];

static const char *
thing_topic(const char *thing, const char *tail)
{
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/%s/jobs/%s", thing, tail);
	return topic_buf;
}

/* ---- topics ----------------------------------------------------------- */

TEST(topic_requests)
{
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/get"), MQTT_T_GET_PENDING);
	CHECK_EQ_INT(tp.kind, MQTT_T_GET_PENDING);
	CHECK_EQ_STR(tp.thing, "dev1");
	CHECK_EQ_STR(tp.job_id, "");
	CHECK_EQ_STR(tp.namespace_id, "");
	CHECK_EQ_STR(tp.base, "$aws/things/dev1/jobs/get");
	CHECK_EQ_INT(tp.base_len, strlen("$aws/things/dev1/jobs/get"));
	CHECK_EQ_STR(tp.msg, "");

	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/start-next"), MQTT_T_START_NEXT);
	CHECK_EQ_STR(tp.thing, "dev1");

	CHECK_EQ_INT(kind("$aws/things/dev:1_a-b/jobs/job-1/get"), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.thing, "dev:1_a-b");
	CHECK_EQ_STR(tp.job_id, "job-1");
	CHECK_EQ_STR(tp.namespace_id, "");

	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/$next/get"), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, "$next");

	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/job_1/update"), MQTT_T_UPDATE);
	CHECK_EQ_STR(tp.job_id, "job_1");
	CHECK_EQ_STR(tp.base, "$aws/things/dev1/jobs/job_1/update");

	/* job ids that look like keywords are still job ids */
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/get/get"), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, "get");
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/notify/update"), MQTT_T_UPDATE);
	CHECK_EQ_STR(tp.job_id, "notify");
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/start-next/get"), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, "start-next");
}

TEST(topic_namespaced)
{
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/job-1/namespace-aws-gg-deployment/get"),
	    MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.thing, "gg");
	CHECK_EQ_STR(tp.job_id, "job-1");
	CHECK_EQ_STR(tp.namespace_id, "aws-gg-deployment");
	CHECK_EQ_STR(tp.base, "$aws/things/gg/jobs/job-1/namespace-aws-gg-deployment/get");

	CHECK_EQ_INT(kind("$aws/things/gg/jobs/$next/namespace-aws-gg-deployment/get"),
	    MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, "$next");
	CHECK_EQ_STR(tp.namespace_id, "aws-gg-deployment");

	CHECK_EQ_INT(kind("$aws/things/gg/jobs/job-1/namespace-ns_1/update"), MQTT_T_UPDATE);
	CHECK_EQ_STR(tp.namespace_id, "ns_1");

	/* namespace-{ns}/get is describe of job "namespace-{ns}" (documented choice) */
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/namespace-x/get"), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, "namespace-x");
	CHECK_EQ_STR(tp.namespace_id, "");
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/namespace-x/update"), MQTT_T_UPDATE);
	CHECK_EQ_STR(tp.job_id, "namespace-x");
	/* no namespaced start-next */
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/namespace-x/start-next"), MQTT_T_INVALID);
	/* a job id starting with namespace- under a namespace */
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/namespace-a/namespace-b/get"), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, "namespace-a");
	CHECK_EQ_STR(tp.namespace_id, "b");

	/* bad namespaces */
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/j/namespace-/get"), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "'namespaceId'") != NULL);
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/j/namespace-a:b/get"), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "Value 'a:b' at 'namespaceId'") != NULL);
	CHECK_EQ_INT(kind(thing_topic("t", "j/namespace-")), MQTT_T_INVALID);
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/t/jobs/j/namespace-%s/get",
	    rep("n", 65));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "length less than or equal to 64") != NULL);
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/t/jobs/j/namespace-%s/get",
	    rep("n", 64));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.namespace_id, rep("n", 64));
	/* the middle level must be namespace-{ns} */
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/j/ns-x/get"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/j/namespace-x/start-next"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/j/namespace-x/get/more"), MQTT_T_INVALID);
	/* $next cannot be updated, namespaced or not */
	CHECK_EQ_INT(kind("$aws/things/gg/jobs/$next/namespace-x/update"), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "at 'jobId'") != NULL);
}

TEST(topic_own)
{
	static const char *const own[] = {
	    "$aws/things/dev1/jobs/get/accepted",
	    "$aws/things/dev1/jobs/get/rejected",
	    "$aws/things/dev1/jobs/start-next/accepted",
	    "$aws/things/dev1/jobs/start-next/rejected",
	    "$aws/things/dev1/jobs/job-1/get/accepted",
	    "$aws/things/dev1/jobs/$next/get/rejected",
	    "$aws/things/dev1/jobs/job-1/update/accepted",
	    "$aws/things/dev1/jobs/job-1/update/rejected",
	    "$aws/things/dev1/jobs/job-1/namespace-ns/get/accepted",
	    "$aws/things/dev1/jobs/job-1/namespace-ns/update/rejected",
	    "$aws/things/dev1/jobs/notify",
	    "$aws/things/dev1/jobs/notify-next",
	    "$aws/things/dev1/jobs/notify-namespace-aws-gg-deployment",
	    "$aws/things/dev1/jobs/notify-next-namespace-aws-gg-deployment",
	    "$aws/things/dev1/jobs/job-1/notify-namespace-ns",  /* seed form, D10 */
	    "$aws/things/dev1/jobs/job-1/notify-namespace-ns/", /* with the trailing '/' */
	    "$aws/things/dev1/jobs/job-1/notify-next-namespace-ns/",
	    /* replies to topics jobsd rejected: never answered again */
	    "$aws/things/dev1/jobs/foo/rejected",
	    "$aws/things/dev1/jobs/rejected",
	    "$aws/things/dev1/jobs//rejected",
	    "$aws/things/bad name/jobs/get/rejected",
	    "$aws/things//jobs/get/rejected",
	    "$aws/things/dev1/jobs/a/b/c/d/e/rejected",
	    "$aws/things/dev1/jobs/$next/update/rejected",
	};

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		int k = kind(own[i]);

		if (k != MQTT_T_OWN)
			fprintf(stderr, "  topic %s\n", own[i]);
		CHECK_EQ_INT(k, MQTT_T_OWN);
		CHECK_EQ_STR(tp.base, own[i]);
		CHECK_EQ_STR(tp.msg, "");
	}
	/* a rejected reply to an over-long topic is longer than MQTT_TOPIC_MAX */
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/t/jobs/%s/rejected", rep("x", 600));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_OWN);
	CHECK_EQ_STR(tp.base, "");
	/* not notifications */
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/notify-namespace-"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/notify-namespace-a b"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/notify-later"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/job-1/notify"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/notify/x"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/j/notify-namespace-ns/x"), MQTT_T_INVALID);
	CHECK_EQ_INT(kind("$aws/things/dev1/jobs/get/Accepted"), MQTT_T_INVALID);
}

TEST(topic_invalid)
{
	static const char *const invalid[] = {
	    "$aws/things/dev1/jobs", "$aws/things/dev1/jobs/", "$aws/things/dev1/jobs/foo",
	    "$aws/things/dev1/jobs/GET", "$aws/things/dev1/jobs/get/",
	    "$aws/things/dev1/jobs//get/", "$aws/things/dev1/jobs/start-next/",
	    "$aws/things/dev1/jobs/job-1/get/", "$aws/things/dev1/jobs/job-1/update/",
	    "$aws/things/dev1/jobs/job-1/describe", "$aws/things/dev1/jobs/job-1/start-next",
	    "$aws/things/dev1/jobs/job-1/get/x", "$aws/things/dev1/jobs/a/b/c/d",
	    "$aws/things/dev1/jobs/a/b/c/d/get", "$aws/things/dev1/jobs/a//get",
	    "$aws/things/bad name/jobs/foo", /* shape first, then names */
	};

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		int k = kind(invalid[i]);

		if (k != MQTT_T_INVALID)
			fprintf(stderr, "  topic %s\n", invalid[i]);
		CHECK_EQ_INT(k, MQTT_T_INVALID);
		CHECK_EQ_STR(tp.base, invalid[i]);
		CHECK(strstr(tp.msg, "does not map to a Jobs API") != NULL);
		CHECK_EQ_STR(tp.thing, "");
	}
	kind("$aws/things/dev1/jobs/foo");
	CHECK_EQ_STR(tp.msg, "Topic $aws/things/dev1/jobs/foo does not map to a Jobs API");
}

TEST(topic_foreign)
{
	static const char *const foreign[] = {
	    "",
	    "$aws",
	    "$aws/things",
	    "$aws/things/",
	    "$aws/things/dev1",
	    "$aws/things/dev1/",
	    "$aws/things/dev1/job",
	    "$aws/things/dev1/jobsx/get",
	    "$aws/things/dev1/Jobs/get",
	    "$aws/things/dev1/shadow/get",
	    "$aws/thing/dev1/jobs/get",
	    "$AWS/things/dev1/jobs/get",
	    "aws/things/dev1/jobs/get",
	    "/$aws/things/dev1/jobs/get",
	    "$aws/events/job/j1/completed",
	    "things/dev1/jobs/get",
	};

	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		int k = kind(foreign[i]);

		if (k != MQTT_T_FOREIGN)
			fprintf(stderr, "  topic %s\n", foreign[i]);
		CHECK_EQ_INT(k, MQTT_T_FOREIGN);
		CHECK_EQ_STR(tp.msg, "");
	}
	/* a NUL byte inside the topic (MQTT forbids it) */
	CHECK_EQ_INT(mqtt_topic_parse("$aws/things/d\0/jobs/get", 23, &tp), MQTT_T_FOREIGN);
	CHECK_EQ_STR(tp.base, "");
	CHECK_EQ_INT(mqtt_topic_parse(NULL, 0, &tp), MQTT_T_FOREIGN);
	/* length is honoured: the topic need not be NUL-terminated */
	CHECK_EQ_INT(mqtt_topic_parse("$aws/things/dev1/jobs/getXYZ", 25, &tp), MQTT_T_GET_PENDING);
	CHECK_EQ_STR(tp.base, "$aws/things/dev1/jobs/get");
	CHECK_EQ_INT(mqtt_topic_parse("$aws/things/dev1/jobs/get", 24, &tp), MQTT_T_INVALID);
}

TEST(topic_bad_names)
{
	/* empty thing */
	CHECK_EQ_INT(kind("$aws/things//jobs/get"), MQTT_T_BADNAME);
	CHECK_EQ_STR(tp.msg,
	    "1 validation error detected: Value '' at 'thingName' failed to satisfy "
	    "constraint: Member must have length greater than or equal to 1");
	CHECK_EQ_STR(tp.base, "$aws/things//jobs/get");
	CHECK_EQ_INT(kind("$aws/things//jobs/j/update"), MQTT_T_BADNAME);
	/* thing of 128 and 129 characters */
	CHECK_EQ_INT(kind(thing_topic(rep("t", 128), "get")), MQTT_T_GET_PENDING);
	CHECK_EQ_STR(tp.thing, rep("t", 128));
	CHECK_EQ_INT(kind(thing_topic(rep("t", 129), "get")), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg,
	          "at 'thingName' failed to satisfy constraint: Member must have length "
	          "less than or equal to 128") != NULL);
	CHECK_EQ_STR(tp.thing, "");
	CHECK_EQ_INT(kind(thing_topic("bad name", "start-next")), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "Value 'bad name' at 'thingName'") != NULL);
	CHECK_EQ_INT(kind(thing_topic("d.1", "j/get")), MQTT_T_BADNAME);
	CHECK_EQ_INT(kind(thing_topic("d\xc3\xa9", "j/get")), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg,
	          "Value 'd?"
	          "?' at 'thingName'") != NULL);

	/* job ids */
	CHECK_EQ_INT(kind(thing_topic("d", "bad:id/get")), MQTT_T_BADNAME);
	CHECK_EQ_STR(tp.thing, "d"); /* the parts already checked are kept */
	CHECK_EQ_STR(tp.msg,
	    "1 validation error detected: Value 'bad:id' at 'jobId' failed to satisfy "
	    "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+");
	CHECK_EQ_INT(kind(thing_topic("d", "/get")), MQTT_T_BADNAME); /* empty job id */
	CHECK_EQ_INT(kind(thing_topic("d", "/update")), MQTT_T_BADNAME);
	CHECK_EQ_INT(kind(thing_topic("d", "next/get")), MQTT_T_DESCRIBE);
	CHECK_EQ_INT(kind(thing_topic("d", "$Next/get")), MQTT_T_BADNAME);
	CHECK_EQ_INT(kind(thing_topic("d", "$next/update")), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "Value '$next' at 'jobId'") != NULL);
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/d/jobs/%s/get", rep("j", 64));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_DESCRIBE);
	CHECK_EQ_STR(tp.job_id, rep("j", 64));
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/d/jobs/%s/update", rep("j", 65));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "length less than or equal to 64") != NULL);
	/* thing checked before job id */
	CHECK_EQ_INT(kind(thing_topic("a b", "c d/get")), MQTT_T_BADNAME);
	CHECK(strstr(tp.msg, "'thingName'") != NULL);
}

TEST(topic_length)
{
	char t[600];
	size_t pre = strlen("$aws/things/d/jobs/");

	/* exactly 512 bytes: parsed (an INVALID shape here, but answerable) */
	memcpy(t, "$aws/things/d/jobs/", pre);
	memset(t + pre, 'x', MQTT_TOPIC_MAX - pre);
	t[MQTT_TOPIC_MAX] = '\0';
	CHECK_EQ_INT(kind(t), MQTT_T_INVALID);
	CHECK_EQ_INT(tp.base_len, MQTT_TOPIC_MAX);
	CHECK(strstr(tp.msg, "does not map") != NULL);
	/* 513 bytes: INVALID, and not answerable */
	t[MQTT_TOPIC_MAX] = 'x';
	t[MQTT_TOPIC_MAX + 1] = '\0';
	CHECK_EQ_INT(kind(t), MQTT_T_INVALID);
	CHECK_EQ_INT(tp.base_len, 0);
	CHECK_EQ_STR(tp.base, "");
	CHECK_EQ_STR(tp.msg, "Topic is longer than 512 bytes");
	/* a long thing name that makes a topic over 512 bytes */
	CHECK_EQ_INT(kind(thing_topic(rep("t", 520), "get")), MQTT_T_INVALID);
	/* a long foreign topic stays foreign */
	snprintf(topic_buf, sizeof(topic_buf), "sensors/%s", rep("s", 700));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_FOREIGN);
}

TEST(topic_reply)
{
	char dst[MQTT_REPLY_TOPIC_SIZE];
	char small[10];

	kind("$aws/things/dev1/jobs/j1/update");
	CHECK_EQ_INT(mqtt_reply_topic(&tp, true, dst, sizeof(dst)), 0);
	CHECK_EQ_STR(dst, "$aws/things/dev1/jobs/j1/update/accepted");
	CHECK_EQ_INT(mqtt_reply_topic(&tp, false, dst, sizeof(dst)), 0);
	CHECK_EQ_STR(dst, "$aws/things/dev1/jobs/j1/update/rejected");
	CHECK_EQ_INT(kind(dst), MQTT_T_OWN); /* and the reply is never answered */
	CHECK_EQ_INT(mqtt_reply_topic(&tp, false, small, sizeof(small)), JD_EINVAL);
	CHECK_EQ_STR(small, "");
	kind("$aws/things/dev1/jobs/foo");
	CHECK_EQ_INT(mqtt_reply_topic(&tp, false, dst, sizeof(dst)), 0);
	CHECK_EQ_STR(dst, "$aws/things/dev1/jobs/foo/rejected");
	CHECK_EQ_INT(kind(dst), MQTT_T_OWN);
	/* the longest answerable topic fits MQTT_REPLY_TOPIC_SIZE */
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/d/jobs/%s",
	    rep("x", MQTT_TOPIC_MAX - 19));
	CHECK_EQ_INT(kind(topic_buf), MQTT_T_INVALID);
	CHECK_EQ_INT(mqtt_reply_topic(&tp, true, dst, sizeof(dst)), 0);
	CHECK_EQ_INT(strlen(dst), MQTT_TOPIC_MAX + 9);
	/* over-long: no reply topic */
	snprintf(topic_buf, sizeof(topic_buf), "$aws/things/d/jobs/%s", rep("x", MQTT_TOPIC_MAX));
	kind(topic_buf);
	CHECK_EQ_INT(mqtt_reply_topic(&tp, false, dst, sizeof(dst)), JD_EINVAL);
}

TEST(topic_kind_names)
{
	CHECK_EQ_STR(mqtt_topic_kind_name(MQTT_T_FOREIGN), "FOREIGN");
	CHECK_EQ_STR(mqtt_topic_kind_name(MQTT_T_DESCRIBE), "DESCRIBE");
	CHECK_EQ_STR(mqtt_topic_kind_name(MQTT_T_BADNAME), "BADNAME");
	CHECK_EQ_STR(mqtt_topic_kind_name(MQTT_T__COUNT), "?");
	CHECK_EQ_STR(mqtt_topic_kind_name(-1), "?");
	for (int k = 0; k < MQTT_T__COUNT; k++)
		CHECK(strcmp(mqtt_topic_kind_name(k), "?") != 0);
}

/* ---- payloads --------------------------------------------------------- */

static struct mqtt_request rq;
static struct jd_error pe;

/* Parse a NUL-terminated payload; rq/pe hold the result. */
static int
parse(int k, const char *payload)
{
	mqtt_request_release(&rq);
	jd_error_clear(&pe);
	jd_error_init(&pe);
	return mqtt_payload_parse(k, payload, strlen(payload), &rq, &pe);
}

TEST(payload_defaults)
{
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, ""), 0);
	CHECK(!rq.has_client_token);
	CHECK_EQ_INT(rq.status, -1);
	CHECK(rq.details == NULL);
	CHECK_EQ_INT(rq.step_minutes, 0);
	CHECK_EQ_INT(rq.expected_version, -1);
	CHECK_EQ_INT(rq.execution_number, 0);
	CHECK(rq.include_doc);
	CHECK(!rq.include_state);

	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, ""), 0);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, ""), 0);
	CHECK(!rq.include_doc);
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{}"), 0);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, " { } \n"), 0);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\"}"), 0);
	CHECK_EQ_INT(rq.status, JD_EXEC_IN_PROGRESS);
	CHECK(!rq.include_doc);
	CHECK(!rq.include_state);
	CHECK_EQ_INT(rq.expected_version, -1);
	/* empty payload on update: {} without the required status */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, ""), JD_EINVAL);
	CHECK_EQ_STR(pe.msg,
	    "1 validation error detected: Value null at 'status' failed to satisfy "
	    "constraint: Member must not be null");
	/* a non-request kind */
	CHECK_EQ_INT(parse(MQTT_T_OWN, "{}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_INVALID, "{}"), JD_EINVAL);
}

TEST(payload_bad_json)
{
	static const char *const bad[] = {
	    "{",
	    "}",
	    "nope",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{'a':1}",
	    "{} {}",
	    "{}x",
	    "[]",
	    "[{}]",
	    "1",
	    "\"s\"",
	    "null",
	    "true",
	    " ",
	    "{\"clientToken\":\"\\u0000\"}",
	    "{\"expectedVersion\":99999999999999999999999}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(MQTT_T_GET_PENDING, bad[i]);

		if (rc != JD_EBADJSON)
			fprintf(stderr, "  payload %s\n", bad[i]);
		CHECK_EQ_INT(rc, JD_EBADJSON);
		CHECK_EQ_INT(pe.code, JD_EBADJSON);
		CHECK(!rq.has_client_token);
		CHECK_EQ_STR(jd_errno_mqtt(pe.code), "InvalidJson");
	}
	/* invalid UTF-8, even when the JSON would otherwise carry a clientToken */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"a\xff\"}"), JD_EBADJSON);
	CHECK(!rq.has_client_token);
	CHECK_EQ_STR(pe.msg, "Payload is not valid UTF-8");
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"\xc0\xaf\"}"),
	    JD_EBADJSON); /* overlong */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"\xed\xa0\x80\"}"),
	    JD_EBADJSON); /* surrogate */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"SUCCEEDED\",\"x\":\"\xe2\x82\"}"),
	    JD_EBADJSON);
	/* an embedded NUL byte */
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, "{}\0", 3, &rq, &pe), JD_EBADJSON);
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, "{\"a\":\"\0\"}", 9, &rq, &pe),
	    JD_EBADJSON);
	/* NULL payload with a length */
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, NULL, 3, &rq, &pe), JD_EBADJSON);
	/* valid multi-byte UTF-8 is fine */
	CHECK_EQ_INT(
	    parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"caf\xc3\xa9-\xf0\x9f\x98\x80\"}"), 0);
	CHECK_EQ_STR(rq.client_token, "caf\xc3\xa9-\xf0\x9f\x98\x80");
	/* e may be NULL */
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, "{", 1, &rq, NULL), JD_EBADJSON);
}

TEST(payload_too_big)
{
	size_t n = MQTT_PAYLOAD_MAX + 1;
	char *p = malloc(n);

	memset(p, ' ', n);
	p[0] = '{';
	p[n - 1] = '}';
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, p, n, &rq, &pe), JD_ETOOBIG);
	CHECK_EQ_STR(jd_errno_mqtt(JD_ETOOBIG), "InvalidRequest");
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, p, n - 1, &rq, &pe), JD_EBADJSON);
	p[n - 2] = '}';
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, p, n - 1, &rq, &pe), 0);
	free(p);
}

TEST(payload_unknown_fields)
{
	/* Greengrass-lite's $next/get payload */
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE,
	                 "{\"jobId\":\"$next\",\"thingName\":\"gg\","
	                 "\"includeJobDocument\":true,\"clientToken\":\"tok\"}"),
	    0);
	CHECK(rq.include_doc);
	CHECK(rq.has_client_token);
	CHECK_EQ_STR(rq.client_token, "tok");
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"foo\":[1,2,{\"x\":null}],\"bar\":{}}"), 0);
	/* members of other kinds are ignored, not validated */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING,
	                 "{\"status\":\"BOGUS\",\"statusDetails\":7,"
	                 "\"stepTimeoutInMinutes\":\"x\"}"),
	    0);
	CHECK_EQ_INT(rq.status, -1);
	CHECK(rq.details == NULL);
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"expectedVersion\":\"x\",\"status\":1}"), 0);
	CHECK_EQ_INT(rq.expected_version, -1);
	CHECK_EQ_INT(
	    parse(MQTT_T_START_NEXT, "{\"executionNumber\":\"x\",\"includeJobDocument\":3}"), 0);
	/* nulls count as absent */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE,
	                 "{\"status\":\"FAILED\",\"statusDetails\":null,"
	                 "\"expectedVersion\":null,\"clientToken\":null,"
	                 "\"includeJobDocument\":null}"),
	    0);
	CHECK(rq.details == NULL);
	CHECK(!rq.has_client_token);
	CHECK_EQ_INT(rq.expected_version, -1);
	/* duplicate members: the last wins */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"a\",\"clientToken\":\"b\"}"), 0);
	CHECK_EQ_STR(rq.client_token, "b");
}

TEST(payload_numbers)
{
	/* AWS's embedded-C library sends expectedVersion as a string */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":\"1\"}"),
	    0);
	CHECK_EQ_INT(rq.expected_version, 1);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":0}"), 0);
	CHECK_EQ_INT(rq.expected_version, 0);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":3.0}"),
	    0);
	CHECK_EQ_INT(rq.expected_version, 3);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE,
	                 "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":"
	                 "\"9223372036854775807\"}"),
	    0);
	CHECK_EQ_INT(rq.expected_version, INT64_MAX);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE,
	                 "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":"
	                 "\"9223372036854775808\"}"),
	    JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"expectedVersion\":-1}"),
	    JD_EINVAL);
	CHECK(strstr(pe.msg, "Value '-1' at 'expectedVersion'") != NULL);
	CHECK(strstr(pe.msg, "greater than or equal to 0") != NULL);
	static const char *const not_int[] = {
	    "\"\"",
	    "\"1.5\"",
	    "\" 1\"",
	    "\"+1\"",
	    "\"0x1\"",
	    "\"1e3\"",
	    "1.5",
	    "true",
	    "[1]",
	    "{}",
	    "1e300",
	};
	for (size_t i = 0; i < sizeof(not_int) / sizeof(not_int[0]); i++) {
		char p[128];

		snprintf(p, sizeof(p),
		    "{\"status\":\"SUCCEEDED\",\"expectedVersion\":%s,"
		    "\"clientToken\":\"c1\"}",
		    not_int[i]);
		if (parse(MQTT_T_UPDATE, p) != JD_EINVAL)
			fprintf(stderr, "  payload %s\n", p);
		CHECK_EQ_INT(pe.code, JD_EINVAL);
		CHECK_EQ_STR(pe.msg,
		    "1 validation error detected: Value at 'expectedVersion' failed to "
		    "satisfy constraint: Member must be an integer");
		CHECK(rq.has_client_token); /* still echoed */
		CHECK_EQ_STR(rq.client_token, "c1");
	}

	/* executionNumber: describe and update, >= 1 */
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"executionNumber\":\"2\"}"), 0);
	CHECK_EQ_INT(rq.execution_number, 2);
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"executionNumber\":7}"), 0);
	CHECK_EQ_INT(rq.execution_number, 7);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"REJECTED\",\"executionNumber\":\"3\"}"),
	    0);
	CHECK_EQ_INT(rq.execution_number, 3);
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"executionNumber\":0}"), JD_EINVAL);
	CHECK(strstr(pe.msg, "at 'executionNumber'") != NULL);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"REJECTED\",\"executionNumber\":\"-4\"}"),
	    JD_EINVAL);

	/* stepTimeoutInMinutes: start-next 1..10080 */
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":15}"), 0);
	CHECK_EQ_INT(rq.step_minutes, 15);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":\"10080\"}"), 0);
	CHECK_EQ_INT(rq.step_minutes, 10080);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":1}"), 0);
	CHECK_EQ_INT(rq.step_minutes, 1);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":10081}"), JD_EINVAL);
	CHECK(strstr(pe.msg, "less than or equal to 10080") != NULL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":0}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":-1}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"stepTimeoutInMinutes\":\"abc\"}"), JD_EINVAL);
	/* update: also -1 (cancel the step timer) */
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":-1}"), 0);
	CHECK_EQ_INT(rq.step_minutes, -1);
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":\"-1\"}"),
	    0);
	CHECK_EQ_INT(rq.step_minutes, -1);
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":\"60\"}"),
	    0);
	CHECK_EQ_INT(rq.step_minutes, 60);
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":0}"),
	    JD_EINVAL);
	CHECK(strstr(pe.msg, "greater than or equal to 1") != NULL);
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":-2}"),
	    JD_EINVAL);
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"IN_PROGRESS\",\"stepTimeoutInMinutes\":10081}"),
	    JD_EINVAL);
}

TEST(payload_booleans)
{
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"includeJobDocument\":false}"), 0);
	CHECK(!rq.include_doc);
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"includeJobDocument\":\"false\"}"), 0);
	CHECK(!rq.include_doc);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE,
	                 "{\"status\":\"SUCCEEDED\",\"includeJobDocument\":true,"
	                 "\"includeJobExecutionState\":\"true\"}"),
	    0);
	CHECK(rq.include_doc);
	CHECK(rq.include_state);
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"includeJobDocument\":1}"), JD_EINVAL);
	CHECK_EQ_STR(pe.msg,
	    "1 validation error detected: Value at 'includeJobDocument' failed to "
	    "satisfy constraint: Member must be a boolean (true or false)");
	CHECK_EQ_INT(parse(MQTT_T_DESCRIBE, "{\"includeJobDocument\":\"TRUE\"}"), JD_EINVAL);
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE, "{\"status\":\"SUCCEEDED\",\"includeJobExecutionState\":\"yes\"}"),
	    JD_EINVAL);
}

TEST(payload_client_token)
{
	char p[512];

	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"c-001\"}"), 0);
	CHECK(rq.has_client_token);
	CHECK_EQ_STR(rq.client_token, "c-001");
	/* 64 characters: fine; 65: InvalidRequest and not echoed */
	snprintf(p, sizeof(p), "{\"clientToken\":\"%s\"}", rep("c", 64));
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, p), 0);
	CHECK_EQ_STR(rq.client_token, rep("c", 64));
	snprintf(p, sizeof(p), "{\"clientToken\":\"%s\"}", rep("c", 65));
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, p), JD_EINVAL);
	CHECK(!rq.has_client_token);
	CHECK_EQ_STR(pe.msg,
	    "1 validation error detected: Value at 'clientToken' failed to satisfy "
	    "constraint: Member must have length less than or equal to 64");
	/* 64 four-byte characters (256 bytes): fine */
	snprintf(p, sizeof(p), "{\"clientToken\":\"%s\"}", rep("\xf0\x9f\x98\x80", 64));
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, p), 0);
	CHECK_EQ_STR(rq.client_token, rep("\xf0\x9f\x98\x80", 64));
	snprintf(p, sizeof(p), "{\"clientToken\":\"%s\"}", rep("\xc3\xa9", 65));
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, p), JD_EINVAL);
	/* escapes count as the character they stand for */
	snprintf(p, sizeof(p), "{\"clientToken\":\"%s\"}", rep("\\u00e9", 64));
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, p), 0);
	CHECK_EQ_STR(rq.client_token, rep("\xc3\xa9", 64));
	/* empty string: echoed as is */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"\"}"), 0);
	CHECK(rq.has_client_token);
	CHECK_EQ_STR(rq.client_token, "");
	/* not a string: InvalidRequest, not echoed */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, "{\"clientToken\":42}"), JD_EINVAL);
	CHECK(!rq.has_client_token);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"clientToken\":{\"a\":1},\"status\":\"SUCCEEDED\"}"),
	    JD_EINVAL);
	CHECK(!rq.has_client_token);
	/* a token read before a later error is kept for the echo */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"QUEUED\",\"clientToken\":\"t9\"}"),
	    JD_EINVAL);
	CHECK(rq.has_client_token);
	CHECK_EQ_STR(rq.client_token, "t9");
}

TEST(payload_status)
{
	static const struct {
		const char *name;
		int rc;
	} cases[] = {
	    {"IN_PROGRESS", 0},
	    {"SUCCEEDED", 0},
	    {"FAILED", 0},
	    {"REJECTED", 0},
	    {"QUEUED", JD_EINVAL},
	    {"CANCELED", JD_EINVAL},
	    {"TIMED_OUT", JD_EINVAL},
	    {"REMOVED", JD_EINVAL},
	    {"in_progress", JD_EINVAL},
	    {"", JD_EINVAL},
	    {"SUCCEEDED ", JD_EINVAL},
	    {"DONE", JD_EINVAL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[128];
		int st = -1;

		snprintf(p, sizeof(p), "{\"status\":\"%s\"}", cases[i].name);
		CHECK_EQ_INT(parse(MQTT_T_UPDATE, p), cases[i].rc);
		if (cases[i].rc == 0) {
			CHECK_EQ_INT(core_exec_status_parse(cases[i].name, &st), 0);
			CHECK_EQ_INT(rq.status, st);
		} else {
			CHECK_EQ_INT(rq.status, -1);
			CHECK(strstr(pe.msg,
			          "Member must satisfy enum value set: [IN_PROGRESS, SUCCEEDED, "
			          "FAILED, REJECTED]") != NULL);
		}
	}
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"QUEUED\"}"), JD_EINVAL);
	CHECK_EQ_STR(pe.msg,
	    "1 validation error detected: Value 'QUEUED' at 'status' failed to satisfy "
	    "constraint: Member must satisfy enum value set: [IN_PROGRESS, SUCCEEDED, FAILED, REJECTED]");
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"\xc3\xa9\\n\"}"), JD_EINVAL);
	CHECK(strstr(pe.msg,
	          "Value '?"
	          "?"
	          "?' at 'status'") != NULL);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":2}"), JD_EINVAL);
	CHECK_EQ_STR(pe.msg,
	    "1 validation error detected: Value at 'status' failed to satisfy "
	    "constraint: Member must be a string");
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":null}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"clientToken\":\"x\"}"), JD_EINVAL);
	CHECK_EQ_STR(jd_errno_mqtt(pe.code), "InvalidRequest");
}

TEST(payload_details)
{
	char p[4096];
	size_t n;

	CHECK_EQ_INT(parse(MQTT_T_UPDATE,
	                 "{\"status\":\"IN_PROGRESS\",\"statusDetails\":"
	                 "{ \"progress\" : \"50%\", \"step\":\"dl \\\"x\\\"\"}}"),
	    0);
	CHECK_EQ_STR(rq.details, "{\"progress\":\"50%\",\"step\":\"dl \\\"x\\\"\"}");
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"phase\":\"download\"}}"), 0);
	CHECK_EQ_STR(rq.details, "{\"phase\":\"download\"}");
	/* {} replaces the map with an empty one (D12) */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, "{\"status\":\"SUCCEEDED\",\"statusDetails\":{}}"), 0);
	CHECK_EQ_STR(rq.details, "{}");
	/* non-ASCII values round-trip as UTF-8 */
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"k\":\"caf\\u00e9\"}}"), 0);
	CHECK_EQ_STR(rq.details, "{\"k\":\"caf\xc3\xa9\"}");

	/* 10 pairs fine, 11 not */
	n = (size_t)snprintf(p, sizeof(p), "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{");
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(p + n, sizeof(p) - n, "%s\"k%d\":\"v\"", i ? "," : "", i);
	snprintf(p + n, sizeof(p) - n, "}}");
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, p), 0);
	snprintf(p + n, sizeof(p) - n, ",\"k10\":\"v\"}}");
	CHECK_EQ_INT(parse(MQTT_T_UPDATE, p), JD_EINVAL);
	CHECK_EQ_STR(pe.msg,
	    "1 validation error detected: Value at 'statusDetails' failed to satisfy "
	    "constraint: Member must have at most 10 entries");
	CHECK(rq.details == NULL);

	/* keys: 1..128 [a-zA-Z0-9:_-]+ */
	snprintf(p, sizeof(p), "{\"statusDetails\":{\"%s\":\"v\"}}", rep("k", 128));
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, p), 0);
	snprintf(p, sizeof(p), "{\"statusDetails\":{\"%s\":\"v\"}}", rep("k", 129));
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, p), JD_EINVAL);
	CHECK(strstr(pe.msg, "at 'statusDetails'") != NULL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"\":\"v\"}}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"a b\":\"v\"}}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"a:b_c-D9\":\"v\"}}"), 0);

	/* values: 1..1024 characters, no control characters */
	snprintf(p, sizeof(p), "{\"statusDetails\":{\"log\":\"%s\"}}", rep("v", 1024));
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, p), 0);
	snprintf(p, sizeof(p), "{\"statusDetails\":{\"log\":\"%s\"}}", rep("\xc3\xa9", 1024));
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, p), 0); /* characters, not bytes */
	snprintf(p, sizeof(p), "{\"clientToken\":\"c-9\",\"statusDetails\":{\"log\":\"%s\"}}",
	    rep("v", 1025));
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, p), JD_EINVAL);
	CHECK(strstr(pe.msg, "length less than or equal to 1024") != NULL);
	CHECK(rq.has_client_token);
	CHECK(rq.details == NULL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"k\":\"\"}}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"k\":\"a\\nb\"}}"), JD_EINVAL);
	CHECK_EQ_INT(parse(MQTT_T_START_NEXT, "{\"statusDetails\":{\"k\":\"a\\u200bb\"}}"),
	    JD_EINVAL);

	/* shapes */
	static const char *const not_map[] = {
	    "[]",
	    "\"a\"",
	    "1",
	    "true",
	    "{\"k\":1}",
	    "{\"k\":null}",
	    "{\"k\":{}}",
	    "{\"k\":[\"v\"]}",
	};
	for (size_t i = 0; i < sizeof(not_map) / sizeof(not_map[0]); i++) {
		snprintf(p, sizeof(p), "{\"status\":\"FAILED\",\"statusDetails\":%s}", not_map[i]);
		CHECK_EQ_INT(parse(MQTT_T_UPDATE, p), JD_EINVAL);
		CHECK_EQ_STR(pe.msg,
		    "1 validation error detected: Value at 'statusDetails' failed to "
		    "satisfy constraint: Member must be a map of strings");
		CHECK(rq.details == NULL);
	}
	/* an error after statusDetails was read frees it */
	CHECK_EQ_INT(parse(MQTT_T_UPDATE,
	                 "{\"status\":\"FAILED\",\"statusDetails\":{\"a\":\"b\"},"
	                 "\"expectedVersion\":\"x\"}"),
	    JD_EINVAL);
	CHECK(rq.details == NULL);
}

TEST(payload_full_update)
{
	CHECK_EQ_INT(
	    parse(MQTT_T_UPDATE,
	        "{\"status\":\"SUCCEEDED\",\"statusDetails\":{\"progress\":\"100%\"},\"expectedVersion\":\"2\","
	        "\"executionNumber\":1,\"includeJobExecutionState\":true,\"includeJobDocument\":true,"
	        "\"stepTimeoutInMinutes\":5,\"clientToken\":\"c-003\"}"),
	    0);
	CHECK_EQ_INT(rq.status, JD_EXEC_SUCCEEDED);
	CHECK_EQ_STR(rq.details, "{\"progress\":\"100%\"}");
	CHECK_EQ_INT(rq.expected_version, 2);
	CHECK_EQ_INT(rq.execution_number, 1);
	CHECK(rq.include_state);
	CHECK(rq.include_doc);
	CHECK_EQ_INT(rq.step_minutes, 5);
	CHECK_EQ_STR(rq.client_token, "c-003");
	/* the request is reset on the next parse */
	CHECK_EQ_INT(parse(MQTT_T_GET_PENDING, ""), 0);
	CHECK(rq.details == NULL);
	CHECK(!rq.has_client_token);
	CHECK_EQ_INT(rq.expected_version, -1);
	mqtt_request_release(&rq);
	mqtt_request_release(&rq);
	mqtt_request_release(NULL);
}

/* ---- rejected replies ------------------------------------------------- */

static const char *
rejected(int code, const char *msg, const struct mqtt_request *req, int64_t ts,
    const struct jd_error *e)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	mqtt_encode_rejected(&b, code, msg, req, ts, e);
	return buf_cstr(&b);
}

TEST(rejected_encoding)
{
	struct jd_error e;
	struct mqtt_request r;

	/* InvalidTopic: no clientToken */
	CHECK_EQ_STR(rejected(JD_ENOROUTE,
	                 "Topic $aws/things/dev1/jobs/foo does not map to a Jobs API", NULL,
	                 1747342400, NULL),
	    "{\"code\":\"InvalidTopic\",\"message\":\"Topic $aws/things/dev1/jobs/foo does not map to a "
	    "Jobs API\",\"timestamp\":1747342400}");

	/* InvalidJson through the parser: message from e, no clientToken */
	jd_error_init(&e);
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_GET_PENDING, "{\"clientToken\":\"x\"", 18, &r, &e),
	    JD_EBADJSON);
	CHECK_EQ_STR(rejected(e.code, NULL, &r, 1747342400, &e),
	    "{\"code\":\"InvalidJson\",\"message\":\"Payload is not a valid JSON object\","
	    "\"timestamp\":1747342400}");
	mqtt_request_release(&r);

	/* InvalidRequest with the echoed token (and escaping) */
	jd_error_init(&e);
	CHECK_EQ_INT(mqtt_payload_parse(MQTT_T_UPDATE,
	                 "{\"clientToken\":\"c\\\"9\",\"status\":\"DONE\"}",
	                 strlen("{\"clientToken\":\"c\\\"9\",\"status\":\"DONE\"}"), &r, &e),
	    JD_EINVAL);
	CHECK_EQ_STR(rejected(e.code, NULL, &r, 7, &e),
	    "{\"code\":\"InvalidRequest\",\"message\":\"1 validation error detected: Value 'DONE' at "
	    "'status' failed to satisfy constraint: Member must satisfy enum value set: [IN_PROGRESS, "
	    "SUCCEEDED, FAILED, REJECTED]\",\"clientToken\":\"c\\\"9\",\"timestamp\":7}");

	/* InvalidStateTransition with executionState */
	jd_error_init(&e);
	jd_error_set(&e, JD_ESTATE, "Job execution is in terminal state SUCCEEDED");
	e.has_state = 1;
	e.state_status = JD_EXEC_SUCCEEDED;
	e.state_version = 3;
	e.state_details_json = strdup("{\"progress\":\"100%\"}");
	memset(&r, 0, sizeof(r));
	strcpy(r.client_token, "c-9");
	r.has_client_token = true;
	CHECK_EQ_STR(rejected(JD_ESTATE, NULL, &r, 1747342400, &e),
	    "{\"code\":\"InvalidStateTransition\",\"message\":\"Job execution is in terminal state "
	    "SUCCEEDED\",\"clientToken\":\"c-9\",\"timestamp\":1747342400,\"executionState\":"
	    "{\"status\":\"SUCCEEDED\",\"statusDetails\":{\"progress\":\"100%\"},\"versionNumber\":3}}");
	/* VersionMismatch, empty details omitted, explicit message wins */
	free(e.state_details_json);
	e.state_details_json = strdup("{}");
	e.state_status = JD_EXEC_IN_PROGRESS;
	CHECK_EQ_STR(
	    rejected(JD_EVERSION, "Expected version 2 but current version is 3", &r, 5, &e),
	    "{\"code\":\"VersionMismatch\",\"message\":\"Expected version 2 but current version is 3\","
	    "\"clientToken\":\"c-9\",\"timestamp\":5,\"executionState\":{\"status\":\"IN_PROGRESS\","
	    "\"versionNumber\":3}}");
	free(e.state_details_json);
	e.state_details_json = NULL;
	CHECK_EQ_STR(rejected(JD_EVERSION, "m", NULL, 5, &e),
	    "{\"code\":\"VersionMismatch\",\"message\":\"m\",\"timestamp\":5,\"executionState\":"
	    "{\"status\":\"IN_PROGRESS\",\"versionNumber\":3}}");
	/* state only for those two codes */
	CHECK_EQ_STR(rejected(JD_ENOTFOUND, "gone", &r, 5, &e),
	    "{\"code\":\"ResourceNotFound\",\"message\":\"gone\",\"clientToken\":\"c-9\",\"timestamp\":5}");
	/* ...and only when e has it */
	e.has_state = 0;
	CHECK_EQ_STR(rejected(JD_ESTATE, "x", NULL, 5, &e),
	    "{\"code\":\"InvalidStateTransition\",\"message\":\"x\",\"timestamp\":5}");
	jd_error_clear(&e);

	/* no message anywhere: the code itself; other mappings */
	CHECK_EQ_STR(rejected(JD_EINTERNAL, NULL, NULL, 0, NULL),
	    "{\"code\":\"InternalError\",\"message\":\"InternalError\",\"timestamp\":0}");
	CHECK_EQ_STR(rejected(JD_EUNAVAIL, "Internal error", NULL, 1, NULL),
	    "{\"code\":\"InternalError\",\"message\":\"Internal error\",\"timestamp\":1}");
	CHECK_EQ_STR(rejected(JD_ETHROTTLED, "Rate exceeded", &r, 1, NULL),
	    "{\"code\":\"RequestThrottled\",\"message\":\"Rate exceeded\",\"clientToken\":\"c-9\","
	    "\"timestamp\":1}");
	CHECK_EQ_STR(rejected(JD_ETERMINAL, "t", NULL, 1, NULL),
	    "{\"code\":\"TerminalStateReached\",\"message\":\"t\",\"timestamp\":1}");

	/* appends to what the buffer holds */
	struct buf b = BUF_INIT;
	buf_puts(&b, "X");
	mqtt_encode_rejected(&b, JD_EINVAL, "m", NULL, 1, NULL);
	CHECK_EQ_STR(buf_cstr(&b),
	    "X{\"code\":\"InvalidRequest\",\"message\":\"m\",\"timestamp\":1}");
	buf_free(&b);
}

int
main(void)
{
	jd_error_init(&pe);
	RUN(topic_requests);
	RUN(topic_namespaced);
	RUN(topic_own);
	RUN(topic_invalid);
	RUN(topic_foreign);
	RUN(topic_bad_names);
	RUN(topic_length);
	RUN(topic_reply);
	RUN(topic_kind_names);
	RUN(payload_defaults);
	RUN(payload_bad_json);
	RUN(payload_too_big);
	RUN(payload_unknown_fields);
	RUN(payload_numbers);
	RUN(payload_booleans);
	RUN(payload_client_token);
	RUN(payload_status);
	RUN(payload_details);
	RUN(payload_full_update);
	RUN(rejected_encoding);
	mqtt_request_release(&rq);
	jd_error_clear(&pe);
	return test_report();
}
