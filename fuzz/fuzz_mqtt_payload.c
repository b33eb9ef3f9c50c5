/*
 * fuzz_mqtt_payload.c: mqtt_payload_parse() then mqtt_encode_rejected().
 *
 * Input: byte 0 picks the request kind (low 3 bits: every enum value, so
 * the non-request kinds are tried too) and, for the reply, an error code and
 * an execution status (high bits); the rest is the payload.
 *
 * Invariants:
 *   - the result is 0 or one of the documented errors; on failure details
 *     is NULL, and a payload that jansson reads as an object is never
 *     JD_EBADJSON;
 *   - on success every member is within its documented range, clientToken
 *     is valid UTF-8 of <= 64 code points, statusDetails is a JSON object of
 *     <= 10 valid string pairs;
 *   - the rejected reply is a JSON object per jansson, with the code,
 *     message, clientToken (iff read) and timestamp put in, and the
 *     executionState when asked for.
 */
#include <stdbool.h>

#include <jansson.h>

#include "core/core.h"
#include "fuzz.h"
#include "mqtt/mqtt.h"

static const int codes[] = {JD_EINVAL, JD_ENOTFOUND, JD_ESTATE, JD_EVERSION, JD_ETERMINAL,
    JD_ETHROTTLED, JD_EINTERNAL, JD_EBADJSON};

static void
check_details(const char *details)
{
	json_error_t jerr;
	json_t *o = json_loads(details, 0, &jerr), *v;
	const char *k;

	FUZZ_CHECK(o != NULL && json_is_object(o));
	FUZZ_CHECK(json_object_size(o) <= JD_DETAILS_PAIRS_MAX);
	json_object_foreach(o, k, v)
	{
		FUZZ_CHECK(json_is_string(v));
		FUZZ_CHECK(core_check_details_key(NULL, k, NULL) == 0);
		FUZZ_CHECK(core_check_details_value(NULL, json_string_value(v), NULL) == 0);
	}
	json_decref(o);
}

static void
check_request(int kind, const struct mqtt_request *req)
{
	FUZZ_CHECK(memchr(req->client_token, '\0', sizeof(req->client_token)) != NULL);
	if (req->has_client_token) {
		size_t n = strlen(req->client_token);

		FUZZ_CHECK(core_utf8_valid(req->client_token, n));
		FUZZ_CHECK(core_utf8_len(req->client_token, n) <= MQTT_CLIENT_TOKEN_MAX);
	} else {
		FUZZ_CHECK(req->client_token[0] == '\0');
	}
	if (req->details != NULL) {
		FUZZ_CHECK(kind == MQTT_T_START_NEXT || kind == MQTT_T_UPDATE);
		check_details(req->details);
	}
	if (kind == MQTT_T_UPDATE)
		FUZZ_CHECK(req->status == JD_EXEC_IN_PROGRESS || req->status == JD_EXEC_SUCCEEDED ||
		    req->status == JD_EXEC_FAILED || req->status == JD_EXEC_REJECTED);
	else
		FUZZ_CHECK(req->status == -1);
	if (kind == MQTT_T_UPDATE)
		FUZZ_CHECK(req->step_minutes == 0 || req->step_minutes == -1 ||
		    (req->step_minutes >= 1 && req->step_minutes <= JD_TIMEOUT_MINUTES_MAX));
	else if (kind == MQTT_T_START_NEXT)
		FUZZ_CHECK(req->step_minutes >= 0 && req->step_minutes <= JD_TIMEOUT_MINUTES_MAX);
	else
		FUZZ_CHECK(req->step_minutes == 0);
	FUZZ_CHECK(req->expected_version >= -1);
	FUZZ_CHECK(kind == MQTT_T_UPDATE || req->expected_version == -1);
	FUZZ_CHECK(req->execution_number >= 0);
	FUZZ_CHECK(kind == MQTT_T_UPDATE || kind == MQTT_T_DESCRIBE || req->execution_number == 0);
	if (kind != MQTT_T_UPDATE)
		FUZZ_CHECK(!req->include_state);
	if (kind != MQTT_T_UPDATE && kind != MQTT_T_DESCRIBE)
		FUZZ_CHECK(!req->include_doc);
}

/* Is the payload, as jansson reads it alone, a JSON object? */
static bool
is_object(const char *p, size_t n)
{
	json_error_t jerr;
	json_t *o;
	bool yes;

	if (n == 0)
		return true;
	o = json_loadb(p, n, JSON_DECODE_ANY, &jerr);
	yes = o != NULL && json_is_object(o);
	json_decref(o);
	return yes;
}

static void
check_reply(const char *text, int code, const char *msg, const struct mqtt_request *req, int64_t ts,
    const struct jd_error *e)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr), *v;
	const char *want_msg = msg;

	if (o == NULL)
		fprintf(stderr, "reply is not JSON (%s): %s\n", jerr.text, text);
	FUZZ_CHECK(o != NULL && json_is_object(o));
	FUZZ_CHECK(json_is_string(v = json_object_get(o, "code")));
	FUZZ_CHECK(strcmp(json_string_value(v), jd_errno_mqtt(code)) == 0);
	if (want_msg == NULL)
		want_msg = e != NULL && e->msg[0] != '\0' ? e->msg : jd_errno_mqtt(code);
	FUZZ_CHECK(json_is_string(v = json_object_get(o, "message")));
	FUZZ_CHECK(strcmp(json_string_value(v), want_msg) == 0);
	v = json_object_get(o, "clientToken");
	if (req != NULL && req->has_client_token)
		FUZZ_CHECK(
		    json_is_string(v) && strcmp(json_string_value(v), req->client_token) == 0);
	else
		FUZZ_CHECK(v == NULL);
	FUZZ_CHECK(json_is_integer(v = json_object_get(o, "timestamp")));
	FUZZ_CHECK(json_integer_value(v) == ts);
	v = json_object_get(o, "executionState");
	if (e != NULL && e->has_state && (code == JD_ESTATE || code == JD_EVERSION)) {
		json_t *st;

		FUZZ_CHECK(json_is_object(v));
		FUZZ_CHECK(json_is_integer(st = json_object_get(v, "versionNumber")));
		FUZZ_CHECK(json_integer_value(st) == e->state_version);
		st = json_object_get(v, "statusDetails");
		if (e->state_details_json != NULL && strcmp(e->state_details_json, "{}") != 0)
			FUZZ_CHECK(json_is_object(st));
		else
			FUZZ_CHECK(st == NULL);
	} else {
		FUZZ_CHECK(v == NULL);
	}
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mqtt_request req;
	struct jd_error e;
	struct buf b = BUF_INIT;
	int kind, code, rc;
	int64_t ts;
	char *payload;
	size_t len;

	if (size < 1)
		return 0;
	kind = data[0] & 7;
	code = codes[(data[0] >> 3) & 7];
	len = size - 1;
	payload = malloc(len ? len : 1); /* exact size, not NUL-terminated */
	if (payload == NULL)
		abort();
	if (len > 0)
		memcpy(payload, data + 1, len);
	ts = (int64_t)size * 1000003 - 7;

	jd_error_init(&e);
	rc = mqtt_payload_parse(kind, payload, len, &req, &e);
	if (kind < MQTT_T_GET_PENDING || kind > MQTT_T_UPDATE) {
		FUZZ_CHECK(rc == JD_EINVAL && !req.has_client_token);
	} else {
		FUZZ_CHECK(rc == 0 || rc == JD_EBADJSON || rc == JD_EINVAL || rc == JD_ETOOBIG);
		if (rc == JD_EBADJSON)
			FUZZ_CHECK(!req.has_client_token && !is_object(payload, len));
		if (rc == 0 || rc == JD_EINVAL)
			FUZZ_CHECK(is_object(payload, len));
	}
	if (rc != 0) {
		FUZZ_CHECK(e.code == rc && e.msg[0] != '\0');
		FUZZ_CHECK(req.details == NULL);
		code = rc;
	} else {
		check_request(kind, &req);
	}

	/* The reply with the parser's own message (or our code's name). */
	mqtt_encode_rejected(&b, code, NULL, &req, ts, &e);
	check_reply(buf_cstr(&b), code, NULL, &req, ts, &e);
	buf_reset(&b);

	/* An explicit message, no request. */
	mqtt_encode_rejected(&b, code, "explicit \"message\"\n", NULL, -ts, NULL);
	check_reply(buf_cstr(&b), code, "explicit \"message\"\n", NULL, -ts, NULL);
	buf_reset(&b);

	/* executionState, with the statusDetails just parsed (jobsd re-encodes
	 * them compactly, so they are trusted JSON), and an out-of-range status
	 * on purpose: the encoder must not crash on it. */
	e.has_state = 1;
	e.state_status = (data[0] >> 6) == 3 ? JD_EXEC__COUNT : (int)(data[0] >> 6) + 1;
	e.state_version = (int64_t)len;
	e.state_details_json = req.details;
	code = (data[0] & 8) ? JD_ESTATE : JD_EVERSION;
	mqtt_encode_rejected(&b, code, NULL, &req, ts, &e);
	check_reply(buf_cstr(&b), code, NULL, &req, ts, &e);
	e.state_details_json = NULL;

	buf_free(&b);
	mqtt_request_release(&req);
	FUZZ_CHECK(req.details == NULL);
	mqtt_request_release(NULL);
	jd_error_clear(&e);
	free(payload);
	return 0;
}
