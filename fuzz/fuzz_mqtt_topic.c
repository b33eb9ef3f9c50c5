/*
 * fuzz_mqtt_topic.c: mqtt_topic_parse() and mqtt_reply_topic() on arbitrary
 * bytes (not NUL-terminated: the input is the topic as the broker hands it).
 *
 * Invariants:
 *   - the kind is in range, deterministic, and FOREIGN for a NUL byte;
 *   - base is the topic itself when it fits (and "" otherwise); every string
 *     member is NUL-terminated within its array;
 *   - INVALID and BADNAME carry a message, other kinds none;
 *   - a request kind's names pass their validators and the topic rebuilt
 *     from kind + names is byte-for-byte the input (nothing is lost or
 *     invented by the parse);
 *   - no loops: the reply topic of anything under the Jobs prefix parses
 *     as OWN;
 *   - mqtt_reply_topic() fails cleanly on a buffer one byte too small;
 *   - the rejected reply the bridge sends for INVALID and BADNAME (message
 *     t.msg) is JSON, and carries t.msg unchanged when the topic is UTF-8.
 */
#include <stdbool.h>

#include <jansson.h>

#include "core/core.h"
#include "fuzz.h"
#include "mqtt/mqtt.h"

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* The request topic that kind and names stand for, into out (size n). */
static void
rebuild(const struct mqtt_topic *t, char *out, size_t n)
{
	const char *verb = t->kind == MQTT_T_UPDATE ? "update" : "get";

	switch (t->kind) {
	case MQTT_T_GET_PENDING:
		snprintf(out, n, "$aws/things/%s/jobs/get", t->thing);
		break;
	case MQTT_T_START_NEXT:
		snprintf(out, n, "$aws/things/%s/jobs/start-next", t->thing);
		break;
	default:
		if (t->namespace_id[0] != '\0')
			snprintf(out, n, "$aws/things/%s/jobs/%s/namespace-%s/%s", t->thing,
			    t->job_id, t->namespace_id, verb);
		else
			snprintf(out, n, "$aws/things/%s/jobs/%s/%s", t->thing, t->job_id, verb);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mqtt_topic t, t2;
	char *topic = malloc(size ? size : 1); /* exact size: ASan catches overreads */
	char reply[MQTT_REPLY_TOPIC_SIZE], small[MQTT_REPLY_TOPIC_SIZE];
	bool has_nul = memchr(data, '\0', size) != NULL;
	int kind;

	if (topic == NULL)
		abort();
	if (size > 0)
		memcpy(topic, data, size);
	kind = mqtt_topic_parse(topic, size, &t);

	FUZZ_CHECK(kind == t.kind);
	FUZZ_CHECK(kind >= 0 && kind < MQTT_T__COUNT);
	FUZZ_CHECK(strcmp(mqtt_topic_kind_name(kind), "?") != 0);
	FUZZ_CHECK(terminated(t.thing, sizeof(t.thing)));
	FUZZ_CHECK(terminated(t.job_id, sizeof(t.job_id)));
	FUZZ_CHECK(terminated(t.namespace_id, sizeof(t.namespace_id)));
	FUZZ_CHECK(terminated(t.base, sizeof(t.base)));
	FUZZ_CHECK(terminated(t.msg, sizeof(t.msg)));
	FUZZ_CHECK(strlen(t.base) == t.base_len);
	if (has_nul)
		FUZZ_CHECK(kind == MQTT_T_FOREIGN);
	if (!has_nul && size <= MQTT_TOPIC_MAX)
		FUZZ_CHECK(t.base_len == size && memcmp(t.base, topic, size) == 0);
	else
		FUZZ_CHECK(t.base_len == 0);
	FUZZ_CHECK((kind == MQTT_T_INVALID || kind == MQTT_T_BADNAME) == (t.msg[0] != '\0'));

	/* Deterministic, and independent of what the struct held before. */
	memset(&t2, 0xA5, sizeof(t2));
	FUZZ_CHECK(mqtt_topic_parse(topic, size, &t2) == kind);
	FUZZ_CHECK(memcmp(&t, &t2, sizeof(t)) == 0);

	if (kind >= MQTT_T_GET_PENDING && kind <= MQTT_T_UPDATE) {
		char again[MQTT_TOPIC_MAX * 2];

		FUZZ_CHECK(core_check_thing_name(NULL, t.thing, NULL) == 0);
		if (kind == MQTT_T_DESCRIBE || kind == MQTT_T_UPDATE) {
			if (strcmp(t.job_id, "$next") != 0)
				FUZZ_CHECK(core_check_job_id(NULL, t.job_id, NULL) == 0);
			else
				FUZZ_CHECK(kind == MQTT_T_DESCRIBE);
		} else {
			FUZZ_CHECK(t.job_id[0] == '\0' && t.namespace_id[0] == '\0');
		}
		if (t.namespace_id[0] != '\0')
			FUZZ_CHECK(core_check_namespace_id(NULL, t.namespace_id, NULL) == 0);
		rebuild(&t, again, sizeof(again));
		FUZZ_CHECK(strlen(again) == size && memcmp(again, topic, size) == 0);
	} else {
		FUZZ_CHECK(kind == MQTT_T_BADNAME || t.thing[0] == '\0');
	}

	/* Replies: accepted and rejected, and a buffer one byte short. */
	for (int acc = 0; acc < 2; acc++) {
		const char *suffix = acc ? "/accepted" : "/rejected";
		int rc = mqtt_reply_topic(&t, acc, reply, sizeof(reply));

		if (t.base_len == 0) {
			FUZZ_CHECK(rc == JD_EINVAL && reply[0] == '\0');
			continue;
		}
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(strlen(reply) == t.base_len + strlen(suffix));
		FUZZ_CHECK(memcmp(reply, t.base, t.base_len) == 0);
		FUZZ_CHECK(strcmp(reply + t.base_len, suffix) == 0);
		FUZZ_CHECK(mqtt_reply_topic(&t, acc, small, strlen(reply)) == JD_EINVAL);
		FUZZ_CHECK(small[0] == '\0');
		FUZZ_CHECK(mqtt_reply_topic(&t, acc, small, strlen(reply) + 1) == 0);
		FUZZ_CHECK(strcmp(small, reply) == 0);
		/* jobsd never answers its own replies. */
		if (kind != MQTT_T_FOREIGN)
			FUZZ_CHECK(mqtt_topic_parse(reply, strlen(reply), &t2) == MQTT_T_OWN);
	}
	FUZZ_CHECK(mqtt_reply_topic(&t, true, reply, 0) == JD_EINVAL);

	/* The bridge answers INVALID and BADNAME with t.msg as the message: the
	 * reply is JSON whatever the topic, and for a UTF-8 topic (MQTT allows
	 * no other) the message is t.msg unchanged. */
	if (t.msg[0] != '\0') {
		struct buf b = BUF_INIT;
		json_error_t jerr;
		json_t *o;
		bool utf8 = core_utf8_valid(topic, size);

		if (utf8)
			FUZZ_CHECK(core_utf8_valid(t.msg, strlen(t.msg)));
		mqtt_encode_rejected(&b, kind == MQTT_T_INVALID ? JD_ENOROUTE : JD_EINVAL, t.msg,
		    NULL, 1, NULL);
		o = json_loads(buf_cstr(&b), 0, &jerr);
		FUZZ_CHECK(o != NULL && json_is_string(json_object_get(o, "message")));
		if (utf8)
			FUZZ_CHECK(
			    strcmp(json_string_value(json_object_get(o, "message")), t.msg) == 0);
		json_decref(o);
		buf_free(&b);
	}
	free(topic);
	return 0;
}
