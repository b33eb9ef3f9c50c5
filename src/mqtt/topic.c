/*
 * topic.c: the pure part of the MQTT device plane (spec §6, §7; D10, D11,
 * D12, D20): which API a topic names, what a request payload says, and the
 * bytes of a rejected reply. No I/O and no clock: the caller hands in the
 * timestamp.
 *
 * Topic grammar. After `$aws/things/{t}/jobs/` the tail is split into levels
 * and matched against two const tables:
 *
 *   request shapes (`shapes`)            kind
 *     get                                GET_PENDING
 *     start-next                         START_NEXT
 *     {j}/get                            DESCRIBE   ({j} may be $next)
 *     {j}/update                         UPDATE
 *     {j}/namespace-{ns}/get             DESCRIBE   ({j} may be $next)
 *     {j}/namespace-{ns}/update          UPDATE
 *
 *   jobsd's own output (`notices`, plus any tail whose last level is
 *   `accepted` or `rejected`)            OWN
 *     notify, notify-next, notify-namespace-{ns}, notify-next-namespace-{ns}
 *     {j}/notify[-next]-namespace-{ns} and the same with a trailing '/'
 *       (the seed's form, which D10 also publishes)
 *
 * Namespaced GetPendingJobExecutions and StartNext are NOT supported (spec
 * §6.1 marks them unverified): `namespace-{ns}/get` is exactly the shape of
 * "describe the job whose id is namespace-{ns}" (the jobId pattern
 * [a-zA-Z0-9_-]+ allows it), so it is parsed as DESCRIBE of that job id;
 * `namespace-{ns}/start-next` maps to no API and gets InvalidTopic.
 * Namespaced devices use `$next/namespace-{ns}/get` and explicit job ids, as
 * Greengrass does.
 *
 * OWN is decided before anything else under the prefix, on the raw levels,
 * with no length or name checks, so that a reply jobsd publishes (even on
 * `<an invalid topic>/rejected`) is never itself answered: no loops.
 *
 * Payloads are read with jansson, leniently (§6.2): an empty payload is {},
 * numbers may be strings, unknown members are ignored.
 */
#include "mqtt/mqtt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/core.h"
#include "shape/shape.h"

#define PREFIX "$aws/things/"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define NS_PREFIX "namespace-"
#define NS_PREFIX_LEN (sizeof(NS_PREFIX) - 1)
#define LEVELS_MAX 4        /* levels after jobs/ kept; more are only ever OWN or INVALID */
#define SHOWN_MAX 64        /* bytes of an offending value quoted in a message */
#define TOPIC_SHOWN_MAX 400 /* bytes of a topic quoted in a message */

/* ---- topics ----------------------------------------------------------- */

struct level {
	const char *p;
	size_t n;
};

/* A request shape: `nlev` levels after jobs/, the last one being `verb`. */
struct shape {
	int kind;
	int nlev;
	const char *verb;
	bool has_job; /* level 0 is {j} */
	bool has_ns;  /* level 1 is namespace-{ns} */
	bool next_ok; /* {j} may be the literal $next */
};

static const struct shape shapes[] = {
    {MQTT_T_GET_PENDING, 1, "get", false, false, false},
    {MQTT_T_START_NEXT, 1, "start-next", false, false, false},
    {MQTT_T_DESCRIBE, 2, "get", true, false, true},
    {MQTT_T_UPDATE, 2, "update", true, false, false},
    {MQTT_T_DESCRIBE, 3, "get", true, true, true},
    {MQTT_T_UPDATE, 3, "update", true, true, false},
};

/* A notification level jobsd publishes: exact, or a prefix followed by {ns}. */
struct notice {
	const char *name;
	bool ns; /* name is a prefix, followed by a namespace id */
};

static const struct notice notices[] = {
    {"notify", false},
    {"notify-next", false},
    {"notify-namespace-", true},
    {"notify-next-namespace-", true},
};

static const char *const kind_names[MQTT_T__COUNT] = {
    [MQTT_T_FOREIGN] = "FOREIGN",
    [MQTT_T_GET_PENDING] = "GET_PENDING",
    [MQTT_T_START_NEXT] = "START_NEXT",
    [MQTT_T_DESCRIBE] = "DESCRIBE",
    [MQTT_T_UPDATE] = "UPDATE",
    [MQTT_T_OWN] = "OWN",
    [MQTT_T_INVALID] = "INVALID",
    [MQTT_T_BADNAME] = "BADNAME",
};

const char *
mqtt_topic_kind_name(int kind)
{
	if (kind < 0 || kind >= MQTT_T__COUNT)
		return "?";
	return kind_names[kind];
}

static bool
level_is(const struct level *l, const char *s)
{
	return l->n == strlen(s) && memcmp(l->p, s, l->n) == 0;
}

static bool
level_has_prefix(const struct level *l, const char *s)
{
	size_t n = strlen(s);

	return l->n >= n && memcmp(l->p, s, n) == 0;
}

/* Length of the longest prefix of UTF-8 s (n bytes) that is <= max bytes
 * and does not split a character. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Copy a level into dst (size n, >= l->n + 1 is the caller's duty). */
static void
level_copy(const struct level *l, size_t skip, char *dst)
{
	memcpy(dst, l->p + skip, l->n - skip);
	dst[l->n - skip] = '\0';
}

/* Is level l a notification level? ns_only: only the namespaced ones
 * (notify-namespace-{ns}, notify-next-namespace-{ns}). */
static bool
is_notice(const struct level *l, bool ns_only)
{
	char ns[MQTT_TOPIC_MAX + 1];

	for (size_t i = 0; i < sizeof(notices) / sizeof(notices[0]); i++) {
		const struct notice *nt = &notices[i];
		size_t pl = strlen(nt->name);

		if (!nt->ns) {
			if (!ns_only && level_is(l, nt->name))
				return true;
			continue;
		}
		if (!level_has_prefix(l, nt->name) || l->n - pl > MQTT_TOPIC_MAX)
			continue;
		level_copy(l, pl, ns);
		if (core_check_namespace_id(NULL, ns, NULL) == 0)
			return true;
	}
	return false;
}

/* OWN: a tail of nlev levels (lev[] holds the first LEVELS_MAX, last is the
 * last one) that jobsd publishes: a reply or a notification. */
static bool
is_own(const struct level *lev, int nlev, const struct level *last)
{
	if (nlev == 0)
		return false;
	if (level_is(last, "accepted") || level_is(last, "rejected"))
		return true;
	switch (nlev) {
	case 1:
		return is_notice(&lev[0], false); /* notify... */
	case 2:
		return is_notice(&lev[1], true); /* {j}/notify-namespace-{ns} */
	case 3:
		return lev[2].n == 0 && is_notice(&lev[1], true); /* the same, trailing '/' */
	default:
		return false;
	}
}

static const struct shape *
match_shape(const struct level *lev, int nlev)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		if (s->nlev != nlev || !level_is(&lev[nlev - 1], s->verb))
			continue;
		if (s->has_ns && !level_has_prefix(&lev[1], NS_PREFIX))
			continue;
		return s;
	}
	return NULL;
}

/* Validate one name level (after skipping `skip` bytes) and copy it to dst
 * (size dstsz). 0, or -1 with t->msg set. */
static int
check_name(struct mqtt_topic *t, int (*check)(const char *, const char *, struct jd_error *),
    const char *member, const struct level *l, size_t skip, char *dst, size_t dstsz)
{
	char tmp[MQTT_TOPIC_MAX + 1];
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	level_copy(l, skip, tmp); /* l lies inside a topic of <= MQTT_TOPIC_MAX bytes */
	rc = check(member, tmp, &e);
	if (rc == 0 && strlen(tmp) >= dstsz)
		rc = jd_error_set(&e, JD_EINVAL, "Value at '%s' is too long", member);
	if (rc != 0) {
		jd_strlcpy(t->msg, e.msg, sizeof(t->msg));
		jd_error_clear(&e);
		return -1;
	}
	jd_strlcpy(dst, tmp, dstsz);
	return 0;
}

int
mqtt_topic_parse(const char *topic, size_t len, struct mqtt_topic *out)
{
	struct level thing, lev[LEVELS_MAX], last = {NULL, 0};
	const char *p, *end, *slash;
	const struct shape *s;
	int nlev = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->kind = MQTT_T_FOREIGN;
	if (topic == NULL || memchr(topic, '\0', len) != NULL)
		goto out;
	end = topic + len;
	if (len <= MQTT_TOPIC_MAX) {
		memcpy(out->base, topic, len);
		out->base[len] = '\0';
		out->base_len = len;
	}

	/* $aws/things/{t}/jobs, then end or '/' + tail */
	if (len < PREFIX_LEN || memcmp(topic, PREFIX, PREFIX_LEN) != 0)
		goto out;
	p = topic + PREFIX_LEN;
	slash = memchr(p, '/', (size_t)(end - p));
	if (slash == NULL)
		goto out;
	thing.p = p;
	thing.n = (size_t)(slash - p);
	p = slash + 1;
	if ((size_t)(end - p) < 4 || memcmp(p, "jobs", 4) != 0 || (end - p > 4 && p[4] != '/'))
		goto out;
	p += 4;

	out->kind = MQTT_T_INVALID;
	if (p < end) {
		p++; /* the '/' */
		for (;;) {
			slash = memchr(p, '/', (size_t)(end - p));
			last.p = p;
			last.n = slash != NULL ? (size_t)(slash - p) : (size_t)(end - p);
			if (nlev < LEVELS_MAX)
				lev[nlev] = last;
			nlev++;
			if (slash == NULL)
				break;
			p = slash + 1;
		}
	}

	if (is_own(lev, nlev, &last)) {
		out->kind = MQTT_T_OWN;
		goto out;
	}
	if (len > MQTT_TOPIC_MAX) {
		snprintf(out->msg, sizeof(out->msg), "Topic is longer than %d bytes",
		    MQTT_TOPIC_MAX);
		goto out;
	}
	s = nlev >= 1 && nlev <= 3 ? match_shape(lev, nlev) : NULL;
	if (s == NULL) {
		n = utf8_cut(out->base, out->base_len, TOPIC_SHOWN_MAX);
		snprintf(out->msg, sizeof(out->msg), "Topic %.*s%s does not map to a Jobs API",
		    (int)n, out->base, n < out->base_len ? "..." : "");
		goto out;
	}

	out->kind = MQTT_T_BADNAME;
	if (check_name(out, core_check_thing_name, "thingName", &thing, 0, out->thing,
	        sizeof(out->thing)) != 0)
		goto out;
	if (s->has_job) {
		if (s->next_ok && level_is(&lev[0], "$next"))
			jd_strlcpy(out->job_id, "$next", sizeof(out->job_id));
		else if (check_name(out, core_check_job_id, "jobId", &lev[0], 0, out->job_id,
		             sizeof(out->job_id)) != 0)
			goto out;
	}
	if (s->has_ns &&
	    check_name(out, core_check_namespace_id, "namespaceId", &lev[1], NS_PREFIX_LEN,
	        out->namespace_id, sizeof(out->namespace_id)) != 0)
		goto out;
	out->kind = s->kind;
out:
	return out->kind;
}

int
mqtt_reply_topic(const struct mqtt_topic *t, bool accepted, char *dst, size_t n)
{
	const char *suffix = accepted ? "/accepted" : "/rejected";
	size_t sl = strlen(suffix);

	if (t->base_len == 0 || t->base_len + sl + 1 > n) {
		if (n > 0)
			dst[0] = '\0';
		return JD_EINVAL;
	}
	memcpy(dst, t->base, t->base_len);
	memcpy(dst + t->base_len, suffix, sl + 1);
	return 0;
}

/* ---- request payloads ------------------------------------------------- */

/* The first SHOWN_MAX bytes of s, bytes outside 0x20..0x7E as '?' (as the
 * core validators quote values). */
static void
show(const char *s, char out[SHOWN_MAX + 1])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 0x20 && c <= 0x7E ? (char)c : '?';
	}
	out[i] = '\0';
}

static int
type_fail(struct jd_error *e, const char *k, const char *what)
{
	return jd_error_set(e, JD_EINVAL,
	    "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be %s",
	    k, what);
}

/* Member k of o as a long in [min, max]: JSON integer, integral real, or
 * decimal string. *present false (and *out untouched) when absent or null. */
static int
get_long(json_t *o, const char *k, int64_t min, int64_t max, int64_t *out, bool *present,
    struct jd_error *e)
{
	json_t *v = json_object_get(o, k);
	int64_t n;

	*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		/* integral and exactly representable: |d| <= 2^53 */
		if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) ||
		    (double)(int64_t)d != d)
			return type_fail(e, k, "an integer");
		n = (int64_t)d;
	} else if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    core_parse_i64(json_string_value(v), &n) != 0)
			return type_fail(e, k, "an integer");
	} else {
		return type_fail(e, k, "an integer");
	}
	if (core_check_range(k, n, min, max, e) != 0)
		return JD_EINVAL;
	*out = n;
	*present = true;
	return 0;
}

/* Member k of o as a boolean: true/false or "true"/"false"; absent or null
 * leaves *out. */
static int
get_bool(json_t *o, const char *k, bool *out, struct jd_error *e)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_string(v) && core_parse_bool(json_string_value(v), out) == 0)
		return 0;
	return type_fail(e, k, "a boolean (true or false)");
}

static int
get_client_token(json_t *o, struct mqtt_request *req, struct jd_error *e)
{
	json_t *v = json_object_get(o, "clientToken");
	const char *s;
	size_t n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return type_fail(e, "clientToken", "a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (strlen(s) != n || n >= sizeof(req->client_token) ||
	    core_utf8_len(s, n) > MQTT_CLIENT_TOKEN_MAX)
		return jd_error_set(e, JD_EINVAL,
		    "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: "
		    "Member must have length less than or equal to %d",
		    MQTT_CLIENT_TOKEN_MAX);
	memcpy(req->client_token, s, n + 1);
	req->has_client_token = true;
	return 0;
}

static int
get_status(json_t *o, struct mqtt_request *req, struct jd_error *e)
{
	json_t *v = json_object_get(o, "status");
	char shown[SHOWN_MAX + 1];
	int st;

	if (v == NULL || json_is_null(v))
		return jd_error_set(e, JD_EINVAL,
		    "1 validation error detected: Value null at 'status' "
		    "failed to satisfy constraint: Member must not be null");
	if (!json_is_string(v))
		return type_fail(e, "status", "a string");
	if (core_exec_status_parse(json_string_value(v), &st) != 0 ||
	    (st != JD_EXEC_IN_PROGRESS && st != JD_EXEC_SUCCEEDED && st != JD_EXEC_FAILED &&
	        st != JD_EXEC_REJECTED)) {
		show(json_string_value(v), shown);
		return jd_error_set(e, JD_EINVAL,
		    "1 validation error detected: Value '%s' at 'status' "
		    "failed to satisfy constraint: Member must satisfy enum value set: [IN_PROGRESS, "
		    "SUCCEEDED, FAILED, REJECTED]",
		    shown);
	}
	req->status = st;
	return 0;
}

/* statusDetails (D12): a map of <= 10 valid string pairs, re-encoded as
 * compact JSON (owned) into req->details. */
static int
get_details(json_t *o, struct mqtt_request *req, struct jd_error *e)
{
	json_t *m = json_object_get(o, "statusDetails"), *v;
	struct buf b = BUF_INIT;
	struct jw w;
	const char *key;
	int rc = 0;

	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return type_fail(e, "statusDetails", "a map of strings");
	if (json_object_size(m) > JD_DETAILS_PAIRS_MAX)
		return jd_error_set(e, JD_EINVAL,
		    "1 validation error detected: Value at 'statusDetails' failed to satisfy constraint: "
		    "Member must have at most %d entries",
		    JD_DETAILS_PAIRS_MAX);
	jw_init(&w, &b);
	jw_obj_begin(&w);
	json_object_foreach(m, key, v)
	{
		if ((rc = core_check_details_key("statusDetails", key, e)) != 0)
			goto out;
		if (!json_is_string(v)) {
			rc = type_fail(e, "statusDetails", "a map of strings");
			goto out;
		}
		if ((rc = core_check_details_value("statusDetails", json_string_value(v), e)) != 0)
			goto out;
		jw_kstr(&w, key, json_string_value(v));
	}
	jw_obj_end(&w);
	req->details = buf_steal(&b);
out:
	buf_free(&b);
	return rc;
}

static void
request_init(int kind, struct mqtt_request *req)
{
	memset(req, 0, sizeof(*req));
	req->status = -1;
	req->expected_version = -1;
	req->include_doc = kind == MQTT_T_DESCRIBE;
}

int
mqtt_payload_parse(int kind, const char *payload, size_t len, struct mqtt_request *req,
    struct jd_error *e)
{
	json_t *root = NULL;
	json_error_t jerr;
	int64_t n = 0;
	bool has = false;
	int rc = 0;

	request_init(kind, req);
	if (kind != MQTT_T_GET_PENDING && kind != MQTT_T_START_NEXT && kind != MQTT_T_DESCRIBE &&
	    kind != MQTT_T_UPDATE) {
		rc = jd_error_set(e, JD_EINVAL, "Topic does not name a Jobs request");
		goto out;
	}
	if (len > MQTT_PAYLOAD_MAX) {
		rc = jd_error_set(e, JD_ETOOBIG, "Payload is larger than %d bytes",
		    MQTT_PAYLOAD_MAX);
		goto out;
	}
	if (len == 0) {
		root = json_object();
	} else {
		if (payload == NULL || !core_utf8_valid(payload, len)) {
			rc = jd_error_set(e, JD_EBADJSON, "Payload is not valid UTF-8");
			goto out;
		}
		root = json_loadb(payload, len, JSON_DECODE_ANY, &jerr);
	}
	if (root == NULL || !json_is_object(root)) {
		rc = jd_error_set(e, JD_EBADJSON, "Payload is not a valid JSON object");
		goto out;
	}

	if ((rc = get_client_token(root, req, e)) != 0)
		goto out;
	switch (kind) {
	case MQTT_T_START_NEXT:
		if ((rc = get_details(root, req, e)) != 0 ||
		    (rc = get_long(root, "stepTimeoutInMinutes", 1, JD_TIMEOUT_MINUTES_MAX, &n,
		         &has, e)) != 0)
			goto out;
		req->step_minutes = has ? n : 0;
		break;
	case MQTT_T_DESCRIBE:
		if ((rc = get_long(root, "executionNumber", 1, INT64_MAX, &n, &has, e)) != 0 ||
		    (rc = get_bool(root, "includeJobDocument", &req->include_doc, e)) != 0)
			goto out;
		req->execution_number = has ? n : 0;
		break;
	case MQTT_T_UPDATE:
		if ((rc = get_status(root, req, e)) != 0 || (rc = get_details(root, req, e)) != 0)
			goto out;
		/* -1 cancels the step timer; 0 and below -1 are out of range */
		if ((rc = get_long(root, "stepTimeoutInMinutes", -1, JD_TIMEOUT_MINUTES_MAX, &n,
		         &has, e)) != 0)
			goto out;
		if (has && n == 0) {
			rc = core_check_range("stepTimeoutInMinutes", n, 1, JD_TIMEOUT_MINUTES_MAX,
			    e);
			goto out;
		}
		req->step_minutes = has ? n : 0;
		if ((rc = get_long(root, "expectedVersion", 0, INT64_MAX, &n, &has, e)) != 0)
			goto out;
		req->expected_version = has ? n : -1;
		if ((rc = get_long(root, "executionNumber", 1, INT64_MAX, &n, &has, e)) != 0)
			goto out;
		req->execution_number = has ? n : 0;
		if ((rc = get_bool(root, "includeJobExecutionState", &req->include_state, e)) !=
		        0 ||
		    (rc = get_bool(root, "includeJobDocument", &req->include_doc, e)) != 0)
			goto out;
		break;
	default: /* GET_PENDING: clientToken only */
		break;
	}
out:
	json_decref(root);
	if (rc != 0) {
		free(req->details);
		req->details = NULL;
	}
	return rc;
}

void
mqtt_request_release(struct mqtt_request *req)
{
	if (req == NULL)
		return;
	free(req->details);
	req->details = NULL;
}

/* ---- rejected replies ------------------------------------------------- */

void
mqtt_encode_rejected(struct buf *b, int code, const char *msg, const struct mqtt_request *req,
    int64_t ts_seconds, const struct jd_error *e)
{
	struct jw w;

	if (msg == NULL)
		msg = e != NULL && e->msg[0] != '\0' ? e->msg : jd_errno_mqtt(code);
	jw_init(&w, b);
	jw_obj_begin(&w);
	jw_kstr(&w, "code", jd_errno_mqtt(code));
	jw_kstr(&w, "message", msg);
	if (req != NULL && req->has_client_token)
		jw_kstr(&w, "clientToken", req->client_token);
	jw_kint(&w, "timestamp", ts_seconds);
	if (e != NULL && e->has_state && (code == JD_ESTATE || code == JD_EVERSION)) {
		jw_key(&w, "executionState");
		shape_exec_state(&w, e->state_status, e->state_details_json, e->state_version);
	}
	jw_obj_end(&w);
}
