/*
 * fuzz_request.c: the HTTP request path of src/api/ (api_serve_raw): route
 * matching, percent-decoding of path segments ("$next", "%24next") and
 * query, plane choice, JSON body decoding into every operation's input on
 * both planes, the handlers, and response encoding. A real svc over a real
 * SQLite store (a file on tmpfs), auth off, the test-rig (virtual) clock.
 *
 * Input: byte 0 is the mode:
 *   bits 0-2  method: GET PUT POST PATCH DELETE HEAD, then OPTIONS and "get"
 *   bit  3    listener: 0 main (control plane), 1 data
 *   bits 4-6  Authorization header (auth is off, so only its credential
 *             scope counts): none; iot; iot-jobs-data; iot in eu-west-1;
 *             iot-jobs-data in eu-west-1; service s3; no scope; a region
 *             with invalid characters
 *   bit  7    the test-rig endpoints are off (--test-rig not given)
 * then the raw URI (path[?query]) up to the first '\n', then the body.
 *
 * State: the store is seeded with things, groups, a template, jobs and
 * executions in several states by running requests through the same entry
 * point, and requests carry state from one input to the next. Every
 * RESET_EVERY inputs (env FUZZ_REQUEST_RESET_EVERY, 1 to replay a crash
 * from a clean state) the store is wiped, the clock set back to
 * 2100-01-01T00:00:00Z and the seed run again. FUZZ_REQUEST_VERBOSE=1
 * prints every request and response.
 *
 * Invariants:
 *   - the status is 200 on success, with no error type; otherwise the
 *     (status, x-amzn-ErrorType) pair is one of the error table's rows for
 *     the plane served (util/err.h);
 *   - an error body is a JSON object with a non-empty string "message";
 *     UnknownOperation / MethodNotAllowed only when no route was chosen;
 *   - every body is valid UTF-8 and a JSON object without duplicate keys,
 *     except the empty body, which only the operations whose AWS output
 *     shape is empty return, and only on success;
 *   - a nextToken in a list response is a string that fits 512 bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api_int.h"
#include "auth/auth.h"
#include "fuzz.h"
#include "store/store.h"
#include "svc/svc.h"
#include "util/clock.h"
#include "util/log.h"

#define ACCOUNT "123456789012"
#define EPOCH_MS INT64_C(4102444800000) /* 2100-01-01T00:00:00Z: ahead of the real clock */
#define RESET_EVERY 256

static struct jd_clock clk;
static struct store *store;
static struct svc svc;
static struct api api_rig, api_norig; /* --test-rig on / off */
static char dir[96], dbpath[128];
static long reset_every = RESET_EVERY, runs;
static bool verbose;

/* Operations whose output shape is empty: a 200 with no body. */
static const char *const empty_ops[] = {"UpdateThing", "DeleteThing", "DeleteThingGroup",
    "AddThingToThingGroup", "RemoveThingFromThingGroup", "UpdateJob", "DeleteJob",
    "DeleteJobTemplate", "CancelJobExecution", "DeleteJobExecution", "Reset", NULL};

static const char *const methods[] = {"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS",
    "get"};

static const char *const authz[] = {
    NULL,
    "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/iot/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/iot-jobs-data/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/eu-west-1/iot/aws4_request, "
    "SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/eu-west-1/iot-jobs-data/aws4_request, "
    "SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/US_EAST/iot/aws4_request, "
    "SignedHeaders=host, Signature=00",
};

static bool
in_list(const char *const *list, const char *s)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Is (status, type) a row of the error table on this plane? */
static bool
error_row(int status, const char *type, enum jd_plane plane)
{
	for (int code = JD__ERRNO_FIRST + 1; code < JD__ERRNO_LAST; code++)
		if (jd_errno_status(code, plane) == status && jd_errno_type(code, plane) != NULL &&
		    strcmp(jd_errno_type(code, plane), type) == 0)
			return true;
	return false;
}

static bool
utf8_valid(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k)
		if ((k = fuzz_utf8_seq((const unsigned char *)s + i, n - i, &cp)) == 0)
			return false;
	return true;
}

static void
check_response(const struct api_raw_response *rs)
{
	bool failed = rs->status < 200 || rs->status > 299;
	json_error_t je;
	json_t *o, *m, *tok;

	FUZZ_CHECK(rs->body != NULL && strlen(rs->body) == rs->body_len);
	if (!failed) {
		FUZZ_CHECK(rs->status == 200);
		FUZZ_CHECK(rs->error_type == NULL);
		FUZZ_CHECK(rs->operation != NULL);
	} else {
		FUZZ_CHECK(rs->error_type != NULL);
		FUZZ_CHECK(error_row(rs->status, rs->error_type, rs->plane));
		/* those two only when no route was chosen */
		if (rs->operation != NULL)
			FUZZ_CHECK(strcmp(rs->error_type, "UnknownOperationException") != 0 &&
			    strcmp(rs->error_type, "MethodNotAllowedException") != 0);
	}
	if (rs->body_len == 0) {
		FUZZ_CHECK(!failed && in_list(empty_ops, rs->operation));
		return;
	}
	FUZZ_CHECK(utf8_valid(rs->body, rs->body_len));
	o = json_loadb(rs->body, rs->body_len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		fprintf(stderr, "bad JSON (%s) in: %s\n", je.text, rs->body);
	FUZZ_CHECK(o != NULL && json_is_object(o));
	if (failed) {
		m = json_object_get(o, "message");
		FUZZ_CHECK(json_is_string(m) && json_string_length(m) > 0);
	} else {
		FUZZ_CHECK(!in_list(empty_ops, rs->operation));
		tok = json_object_get(o, "nextToken");
		FUZZ_CHECK(tok == NULL || (json_is_string(tok) && json_string_length(tok) < 512));
	}
	json_decref(o);
}

/* One request through the entry point, checked; *rs owned by the caller. */
static void
request(struct api *a, int listener, const char *method, const char *uri, const char *auth,
    const void *body, size_t body_len, struct api_raw_response *rs)
{
	struct auth_header h[2] = {{"Host", "localhost"}, {"Authorization", auth}};

	api_serve_raw(a, listener, method, uri, h, auth != NULL ? 2 : 1, body, body_len, rs);
	if (verbose)
		fprintf(stderr, "%s %s -> %d %s %s %s\n", method, uri, rs->status,
		    rs->operation ? rs->operation : "-", rs->error_type ? rs->error_type : "",
		    rs->body);
	check_response(rs);
}

/* A seed request that must succeed. */
static void
seed1(int listener, const char *method, const char *uri, const char *body)
{
	struct api_raw_response rs;

	request(&api_rig, listener, method, uri, NULL, body, strlen(body), &rs);
	if (rs.status != 200) {
		fprintf(stderr, "fuzz_request: seed %s %s: %d %s\n", method, uri, rs.status,
		    rs.body);
		abort();
	}
	api_raw_response_free(&rs);
}

#define ARN(kind, name) "\"arn:aws:iot:us-east-1:" ACCOUNT ":" kind "/" name "\""

/* Wipe the store, set the clock back, and build the seed state. */
static void
reset(void)
{
	struct jd_error e;

	jd_error_init(&e);
	if (svc_reset(&svc, &e) != 0) {
		fprintf(stderr, "fuzz_request: reset: %s\n", e.msg);
		abort();
	}
	/* the rig's clock is kept in the store and read back by every write
	 * (several nodes, D24): move it forward through svc, not the struct */
	if (EPOCH_MS > svc_now(&svc) &&
	    svc_clock_advance(&svc, EPOCH_MS - svc_now(&svc), &e) != 0) {
		fprintf(stderr, "fuzz_request: clock: %s\n", e.msg);
		abort();
	}
	jd_error_clear(&e);

	seed1(0, "POST", "/things/thing-1", "");
	seed1(0, "POST", "/things/thing-2",
	    "{\"attributePayload\":{\"attributes\":{\"fw\":\"1.0\"}}}");
	seed1(0, "POST", "/things/dev%3A01", "{}");
	seed1(0, "POST", "/things/thing-4",
	    "{\"attributePayload\":{\"attributes\":{\"site\":\"a\"}}}");
	seed1(0, "POST", "/thing-groups/group-a",
	    "{\"thingGroupProperties\":{\"thingGroupDescription\":\"fleet\"}}");
	seed1(0, "POST", "/thing-groups/group-b", "{\"parentGroupName\":\"group-a\"}");
	seed1(0, "PUT", "/thing-groups/addThingToThingGroup",
	    "{\"thingGroupName\":\"group-a\",\"thingName\":\"thing-1\"}");
	seed1(0, "PUT", "/thing-groups/addThingToThingGroup",
	    "{\"thingGroupName\":\"group-b\",\"thingName\":\"thing-4\"}");
	seed1(0, "PUT", "/job-templates/tmpl-1",
	    "{\"description\":\"t\",\"document\":\"{\\\"op\\\":\\\"reboot\\\"}\","
	    "\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":30}}");
	seed1(0, "PUT", "/jobs/job-1",
	    "{\"targets\":[" ARN("thing", "thing-1") "," ARN("thing", "thing-2") "," ARN("thing",
	        "dev:01") "],\"document\":\"{\\\"op\\\":\\\"update\\\"}\","
	                  "\"timeoutConfig\":{\"inProgressTimeoutInMinutes\":60},"
	                  "\"jobExecutionsRetryConfig\":{\"criteriaList\":[{\"failureType\":\"FAILED\","
	                  "\"numberOfRetries\":2}]}}");
	seed1(0, "PUT", "/jobs/job-2",
	    "{\"targets\":[" ARN("thinggroup",
	        "group-a") "],\"targetSelection\":\"CONTINUOUS\","
	                   "\"document\":\"{}\",\"description\":\"continuous\"}");
	seed1(0, "PUT", "/jobs/job-3",
	    "{\"targets\":[" ARN("thing", "thing-2") "],\"jobTemplateArn\":" ARN("jobtemplate",
	        "tmpl-1") ",\"namespaceId\":\"ns1\"}");
	{
		/* a month ahead of the virtual clock, wherever inputs have moved it */
		char body[512], when[32];
		time_t t = (time_t)(svc_now(&svc) / 1000 + 31 * 86400);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M", &tm);
		snprintf(body, sizeof(body),
		    "{\"targets\":[" ARN("thing",
		        "thing-4") "],\"document\":\"{}\","
		                   "\"schedulingConfig\":{\"startTime\":\"%s\",\"endBehavior\":\"CANCEL\"}}",
		    when);
		seed1(0, "PUT", "/jobs/job-4", body);
	}
	seed1(0, "PUT", "/jobs/job-5",
	    "{\"targets\":[" ARN("thing", "thing-1") "," ARN("thing",
	        "thing-4") "],"
	                   "\"document\":\"{}\"}");
	seed1(0, "PUT", "/jobs/job-5/cancel", "{\"reasonCode\":\"R1\",\"comment\":\"stop\"}");
	/* executions: IN_PROGRESS, SUCCEEDED, FAILED (retried), QUEUED */
	seed1(1, "PUT", "/things/thing-1/jobs/$next", "{\"statusDetails\":{\"step\":\"1\"}}");
	seed1(1, "POST", "/things/thing-2/jobs/job-1", "{\"status\":\"SUCCEEDED\"}");
	seed1(1, "POST", "/things/dev%3A01/jobs/job-1",
	    "{\"status\":\"FAILED\",\"statusDetails\":{\"why\":\"disk\"}}");
}

/* Remove the store files in directory d, then d. */
static void
remove_store(const char *d)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char p[512];

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/store.db%s", d, sfx[i]);
		unlink(p);
	}
	rmdir(d);
}

static void
cleanup(void)
{
	svc_fini(&svc);
	store_close(store);
	remove_store(dir);
}

/* A crash leaves its store behind (no atexit): remove those whose process
 * ("jobsd-fuzz-PID-XXXXXX") is gone. */
static void
sweep(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *de;
	char p[512];
	int pid;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, "jobsd-fuzz-%d-", &pid) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmp, de->d_name);
		remove_store(p);
	}
	closedir(d);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	const char *every = getenv("FUZZ_REQUEST_RESET_EVERY");
	struct api_config cfg = {0};
	char spec[128];
	struct jd_error e;

	(void)argc;
	(void)argv;
	log_set_level(JD_LOG_ERROR);
	if (every != NULL && atol(every) > 0)
		reset_every = atol(every);
	verbose = getenv("FUZZ_REQUEST_VERBOSE") != NULL;
	sweep(tmp);
	snprintf(dir, sizeof(dir), "%s/jobsd-fuzz-%d-XXXXXX", tmp, (int)getpid());
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(dbpath, sizeof(dbpath), "%s/store.db", dir);
	snprintf(spec, sizeof(spec), "sqlite:%s", dbpath);
	jd_error_init(&e);
	clock_init(&clk, true);
	if (store_open(spec, &store, &e) != 0 || svc_init(&svc, store, &clk, ACCOUNT, &e) != 0) {
		fprintf(stderr, "fuzz_request: %s\n", e.msg);
		abort();
	}
	atexit(cleanup);
	cfg.listen = "127.0.0.1:0";
	cfg.account = ACCOUNT;
	cfg.test_rig = true;
	api_rig.cfg = cfg;
	api_rig.svc = &svc;
	cfg.test_rig = false;
	api_norig.cfg = cfg;
	api_norig.svc = &svc;
	reset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_raw_response rs;
	const uint8_t *nl;
	char *uri;
	size_t ulen;
	unsigned mode;

	if (size == 0)
		return 0;
	if (++runs % reset_every == 0)
		reset();
	mode = data[0];
	data++;
	size--;
	nl = memchr(data, '\n', size);
	ulen = nl != NULL ? (size_t)(nl - data) : size;
	uri = fuzz_cstr(data, ulen);
	data += ulen;
	size -= ulen;
	if (nl != NULL) {
		data++;
		size--;
	}
	request(mode & 0x80 ? &api_norig : &api_rig, (mode >> 3) & 1, methods[mode & 7], uri,
	    authz[(mode >> 4) & 7], size > 0 ? data : NULL, size, &rs);
	api_raw_response_free(&rs);
	free(uri);
	return 0;
}
