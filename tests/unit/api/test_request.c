/*
 * test_request.c: the HTTP request path through api_serve_raw() (the same
 * code the listeners run, without sockets) over a real svc and SQLite
 * store: percent-decoding per path segment, routing, the error shape, and
 * one case per bug that fuzz/fuzz_request found (named after its input in
 * fuzz/regressions/fuzz_request/).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "auth/auth.h"
#include "store/store.h"
#include "svc/svc.h"
#include "test.h"
#include "util/clock.h"
#include "util/log.h"

static struct jd_clock clk;
static struct store *store;
static struct svc svc;
static struct api api;
static char dir[] = "/tmp/jobsd-test-request-XXXXXX";

struct resp {
	int status;
	char type[64];
	char body[4096];
};

/* Serve one request; listener 0 main, 1 data; body may be NULL. */
static struct resp
req(int listener, const char *method, const char *uri, const char *body)
{
	struct auth_header h[] = {{"Host", "localhost"}};
	struct api_raw_response rs;
	struct resp out;

	api_serve_raw(&api, listener, method, uri, h, 1, body, body ? strlen(body) : 0, &rs);
	out.status = rs.status;
	jd_strlcpy(out.type, rs.error_type ? rs.error_type : "", sizeof(out.type));
	jd_strlcpy(out.body, rs.body, sizeof(out.body));
	api_raw_response_free(&rs);
	return out;
}

TEST(percent_decoding_per_segment)
{
	struct resp r = req(0, "POST", "/things/dev%3A01", "{}");

	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(r.body, "\"thingName\":\"dev:01\"") != NULL);
	r = req(0, "GET", "/things/dev:01", NULL);
	CHECK_EQ_INT(r.status, 200);
	/* an escaped '/' stays inside its segment */
	r = req(0, "GET", "/things/dev%2F01", NULL);
	CHECK_EQ_INT(r.status, 400);
	CHECK_EQ_STR(r.type, "InvalidRequestException");
	r = req(0, "GET", "/things/a%00b", NULL);
	CHECK_EQ_INT(r.status, 400);
	CHECK_EQ_STR(r.body, "{\"message\":\"The request URI is malformed\"}");
}

TEST(next_escaped_or_not)
{
	struct resp a = req(1, "PUT", "/things/dev%3A01/jobs/$next", "{}");
	struct resp b = req(1, "PUT", "/things/dev%3A01/jobs/%24next", "{}");

	CHECK_EQ_INT(a.status, 200);
	CHECK_EQ_STR(a.body, "{}");
	CHECK_EQ_INT(b.status, 200);
	CHECK_EQ_STR(b.body, "{}");
}

TEST(routing_errors)
{
	struct resp r = req(0, "DELETE", "/jobs", NULL);

	CHECK_EQ_INT(r.status, 405);
	CHECK_EQ_STR(r.type, "MethodNotAllowedException");
	r = req(1, "GET", "/jobs", NULL); /* a control-plane path on the data plane */
	CHECK_EQ_INT(r.status, 404);
	CHECK_EQ_STR(r.type, "UnknownOperationException");
	r = req(0, "DELETE", "/things/nothing-here", NULL); /* empty output shape */
	CHECK_EQ_INT(r.status, 200);
	CHECK_EQ_STR(r.body, "");
}

/* 16 segments and a trailing slash: the empty 17th segment was written past
 * seg[] (over nseg), and freeing the request crashed the server. */
TEST(path_trailing_slash_17)
{
	struct resp r = req(0, "GET", "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/", NULL);

	CHECK_EQ_INT(r.status, 400);
	CHECK_EQ_STR(r.body, "{\"message\":\"The request URI is malformed\"}");
	r = req(0, "GET", "/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/", NULL); /* 15 + "": parses */
	CHECK_EQ_INT(r.status, 404);
	CHECK_EQ_STR(r.type, "UnknownOperationException");
}

int
main(void)
{
	char spec[128];
	struct jd_error e;
	int rc;

	log_set_level(JD_LOG_ERROR);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(spec, sizeof(spec), "sqlite:%s/store.db", dir);
	jd_error_init(&e);
	clock_init(&clk, true);
	if (store_open(spec, &store, &e) != 0 ||
	    svc_init(&svc, store, &clk, "123456789012", &e) != 0) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return 1;
	}
	api.cfg.account = "123456789012";
	api.svc = &svc;

	RUN(percent_decoding_per_segment);
	RUN(next_escaped_or_not);
	RUN(routing_errors);
	RUN(path_trailing_slash_17);

	rc = test_report();
	svc_fini(&svc);
	store_close(store);
	for (int i = 0; i < 3; i++) {
		snprintf(spec, sizeof(spec), "%s/store.db%s", dir,
		    (const char *[]){"", "-wal", "-shm"}[i]);
		unlink(spec);
	}
	rmdir(dir);
	return rc;
}
