/*
 * mqtt.h: the MQTT device plane of jobsd (spec §6, §7; decisions D10, D20).
 *
 * Two layers live in src/mqtt/:
 *   - topic.c, pure: topic classification, request payload decoding and
 *     rejected-reply encoding. No I/O, no clock reads, no libmosquitto; the
 *     only dependencies beyond util/ and core/ are shape/ (the execution
 *     state of a rejected update) and jansson for reading payloads.
 *   - the broker bridge (libmosquitto), which subscribes to
 *     `$aws/things/+/jobs/#`, feeds every message through the pure layer, calls
 *     svc/ and publishes the reply on `<request topic>/accepted|rejected`.
 *
 * Flow of one message in the bridge:
 *   mqtt_topic_parse()      -> FOREIGN / OWN: drop silently (OWN never answered,
 *                              so jobsd cannot loop on its own output);
 *                              INVALID: rejected InvalidTopic;
 *                              BADNAME: rejected InvalidRequest;
 *   mqtt_payload_parse()    -> error: rejected with e.code (InvalidJson,
 *                              InvalidRequest), echoing clientToken if read;
 *   svc_dev_*()             -> accepted, or rejected with the svc error;
 *   mqtt_request_release().
 */
#ifndef JD_MQTT_MQTT_H
#define JD_MQTT_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jd_limits.h"
#include "util/buf.h"
#include "util/err.h"

/* ======================================================================== */
/* ---- pure layer: topics, request payloads, rejected replies (topic.c) --- */
/* ======================================================================== */

/* Longest topic jobsd reads (bytes). The longest valid request topic is 292
 * bytes ($aws/things/ + 128 + /jobs/ + 64 + /namespace- + 64 + /update). */
#define MQTT_TOPIC_MAX 512
/* Longest request payload (bytes); AWS IoT's MQTT message limit (§11). */
#define MQTT_PAYLOAD_MAX (128 * 1024)
/* clientToken, in code points (§3.1, FreeRTOS AWS_IOT_CLIENT_TOKEN_MAX_LENGTH). */
#define MQTT_CLIENT_TOKEN_MAX 64
/* Room for base + "/accepted" or "/rejected" + NUL. */
#define MQTT_REPLY_TOPIC_SIZE (MQTT_TOPIC_MAX + sizeof("/accepted"))

enum mqtt_topic_kind {
	MQTT_T_FOREIGN = 0, /* not under $aws/things/{t}/jobs: ignore */
	MQTT_T_GET_PENDING, /* .../jobs/get                          GetPendingJobExecutions */
	MQTT_T_START_NEXT,  /* .../jobs/start-next                   StartNextPendingJobExecution */
	MQTT_T_DESCRIBE,    /* .../jobs/{j}/get, {j}/namespace-{ns}/get ({j} may be $next) */
	MQTT_T_UPDATE,      /* .../jobs/{j}/update, {j}/namespace-{ns}/update */
	MQTT_T_OWN,         /* a reply or notification topic jobsd publishes: never answer */
	MQTT_T_INVALID,     /* under the Jobs prefix, maps to no API: InvalidTopic */
	MQTT_T_BADNAME,     /* request topic with a bad thing/job/namespace: InvalidRequest */
	MQTT_T__COUNT
};

struct mqtt_topic {
	int kind; /* enum mqtt_topic_kind */
	/* Set for GET_PENDING..UPDATE; "" otherwise (may be partial for BADNAME). */
	char thing[JD_THING_NAME_MAX + 1];
	char job_id[JD_JOB_ID_MAX + 1];          /* DESCRIBE/UPDATE: job id or "$next" */
	char namespace_id[JD_NAMESPACE_MAX + 1]; /* "" = plain (not namespaced) view */
	/* The request topic itself: replies go to base + "/accepted|rejected".
	 * "" when the topic is longer than MQTT_TOPIC_MAX or holds a NUL byte
	 * (such a topic cannot be answered). */
	char base[MQTT_TOPIC_MAX + 1];
	size_t base_len;
	/* INVALID and BADNAME: the rejected message (AWS validation wording for
	 * BADNAME, naming thingName, jobId or namespaceId); "" otherwise. */
	char msg[JD_ERROR_MSG_MAX];
};

/* Name of a kind for logs ("DESCRIBE"); "?" when out of range. */
const char *mqtt_topic_kind_name(int kind);

/*
 * Classify the topic (len bytes, need not be NUL-terminated; borrowed) of a
 * message received on the jobs subscription and fill out. Never fails: every
 * topic has a kind, which is also returned.
 *
 * Precedence: FOREIGN (not `$aws/things/{t}/jobs` or below, or a NUL byte
 * in the topic, which MQTT forbids), then OWN
 * (last level `accepted`/`rejected`, or a notify topic), then INVALID (too
 * long, or a shape that maps to no API), then BADNAME (a name in a request
 * shape fails its pattern), else the request kind. OWN wins over everything
 * under the prefix so that no reply jobsd publishes, even to a bad topic, is
 * ever answered. See topic.c for the grammar and the namespaced get and
 * start-next decision.
 */
int mqtt_topic_parse(const char *topic, size_t len, struct mqtt_topic *out);

/*
 * Write t->base + "/accepted" (accepted) or "/rejected" into dst (size n,
 * MQTT_REPLY_TOPIC_SIZE is always enough). 0, or JD_EINVAL when the topic
 * cannot be answered (empty base, or n too small).
 */
int mqtt_reply_topic(const struct mqtt_topic *t, bool accepted, char *dst, size_t n);

/* A decoded request payload. Strings are NUL-terminated; details is owned. */
struct mqtt_request {
	char client_token[MQTT_CLIENT_TOKEN_MAX * 4 + 1]; /* UTF-8, <= 64 code points */
	bool has_client_token;                            /* echo client_token in the reply */
	int status;               /* UPDATE: enum jd_exec_status; -1 otherwise */
	char *details;            /* statusDetails as compact JSON object text, or NULL (absent) */
	int64_t step_minutes;     /* stepTimeoutInMinutes: 0 none, -1 clear (UPDATE), 1..10080 */
	int64_t expected_version; /* -1 none, else >= 0 */
	int64_t execution_number; /* 0 none, else >= 1 */
	bool include_doc;         /* includeJobDocument: DESCRIBE default true, UPDATE false */
	bool include_state;       /* includeJobExecutionState (UPDATE), default false */
};

/*
 * Decode the payload (len bytes, borrowed) of a request of `kind`
 * (GET_PENDING..UPDATE) into req, which is fully (re)initialised first, with
 * the defaults above. Lenient as AWS is (spec §6.2): an empty payload is {};
 * unknown members and members that do not belong to the kind are ignored;
 * JSON null counts as absent; long members accept a JSON integer, an
 * integral JSON real, or a decimal string ("1", "-1"); booleans accept
 * true/false or "true"/"false".
 *
 * Returns 0, or with e set (e may be NULL):
 *   JD_EBADJSON  payload is not valid UTF-8, not JSON, or not an object
 *                (req->has_client_token stays false);
 *   JD_ETOOBIG   payload longer than MQTT_PAYLOAD_MAX (no clientToken);
 *   JD_EINVAL    a member is invalid: clientToken not a string of <= 64
 *                code points (then not echoed), status missing or not one of
 *                IN_PROGRESS/SUCCEEDED/FAILED/REJECTED (D11), statusDetails not
 *                a map of <= 10 valid string pairs (D12), a number of the
 *                wrong type or range.
 * clientToken is read first, so every later JD_EINVAL still echoes it. On
 * failure req->details is NULL. Call mqtt_request_release() in every case.
 */
int mqtt_payload_parse(int kind, const char *payload, size_t len, struct mqtt_request *req,
    struct jd_error *e);

/* Free what req owns; req may be reused after. NULL is a no-op. */
void mqtt_request_release(struct mqtt_request *req);

/*
 * Append a rejected payload (spec §6.4) to b:
 *   {"code":"<jd_errno_mqtt(code)>","message":"...","clientToken":"..."
 *    ,"timestamp":ts_seconds,"executionState":{...}}
 * message is msg, else e->msg when non-empty, else the MQTT code. clientToken
 * only when req (may be NULL) has one. executionState (status, statusDetails
 * unless absent or {}, versionNumber) only when e (may be NULL) has_state and
 * code is JD_ESTATE or JD_EVERSION.
 */
void mqtt_encode_rejected(struct buf *b, int code, const char *msg, const struct mqtt_request *req,
    int64_t ts_seconds, const struct jd_error *e);

/* ======================================================================== */
/* ---- end of the pure layer ----------------------------------------------- */
/* ======================================================================== */

#endif
