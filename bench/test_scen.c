/* test_scen.c: the scenario helpers: JSON field reader, --sizes, name mapping,
 * request source paths, extra headers and the body sink. */
#include "bench_http.h"
#include "bench_scen.h"

#include <stdlib.h>

#include "bench_test.h"

static void
test_json(void)
{
	const char *j = "{\"job\": {\"jobId\": \"j1\", \"jobProcessDetails\": "
	                "{\"numberOfCanceledThings\": 0, \"numberOfQueuedThings\" : 1000}}}";
	int64_t v = -1;
	char s[16];

	CHECK_INT(scen_json_int(j, "numberOfQueuedThings", &v), 0);
	CHECK_INT(v, 1000);
	CHECK_INT(scen_json_int(j, "numberOfCanceledThings", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(scen_json_int(j, "numberOf", &v), -1);
	CHECK_INT(scen_json_int(j, "jobId", &v), -1); /* a string, not a number */
	CHECK_INT(scen_json_str(j, "jobId", s, sizeof(s)), 0);
	CHECK_STR(s, "j1");
	CHECK_INT(scen_json_str(j, "job", s, sizeof(s)), -1); /* an object */
	CHECK_INT(scen_json_str("{\"jobId\":\"0123456789abcdefXYZ\"}", "jobId", s, sizeof(s)), -1);
	CHECK_INT(scen_json_str("{\"timestamp\":1,\"clientToken\":\"c1\"}", "jobId", s, sizeof(s)),
	    -1);
	CHECK_INT(scen_json_str("{\"execution\":{\"jobId\":\"a\\\"b\"}}", "jobId", s, sizeof(s)),
	    -1);
	CHECK_INT(scen_json_int(NULL, "x", &v), -1);
}

static void
test_sizes(void)
{
	unsigned s[SCEN_SIZES_MAX];

	CHECK_INT(scen_parse_sizes("1000,10000,100000", 1000000, s), 3);
	CHECK_INT(s[0], 1000);
	CHECK_INT(s[2], 100000);
	CHECK_INT(scen_parse_sizes("5", 10, s), 1);
	CHECK_INT(scen_parse_sizes("11", 10, s), -1);
	CHECK_INT(scen_parse_sizes("0", 10, s), -1);
	CHECK_INT(scen_parse_sizes("1,,2", 10, s), -1);
	CHECK_INT(scen_parse_sizes("1,2,", 10, s), -1);
	CHECK_INT(scen_parse_sizes("", 10, s), -1);
	CHECK_INT(scen_parse_sizes("-1", 10, s), -1);
	CHECK_INT(scen_parse_sizes("1,2,3,4,5,6,7,8,9", 10, s), -1);
}

static void
test_pairs(void)
{
	unsigned job, thing;
	unsigned char seen[250];

	CHECK_INT(scen_targets_per_job(50), 50);
	CHECK_INT(scen_targets_per_job(1000), 100);
	scen_pair(1000, 0, &job, &thing);
	CHECK_INT(job, 0);
	CHECK_INT(thing, 0);
	scen_pair(1000, 250, &job, &thing);
	CHECK_INT(job, 2);
	CHECK_INT(thing, 250);
	scen_pair(250, 299, &job, &thing); /* job 2 wraps: things 200..249, 0..49 */
	CHECK_INT(job, 2);
	CHECK_INT(thing, 49);
	/* Within one job the things are distinct. */
	memset(seen, 0, sizeof(seen));
	for (unsigned k = 0; k < 100; k++) {
		scen_pair(250, 200 + k, &job, &thing);
		CHECK(seen[thing] == 0);
		seen[thing] = 1;
	}
}

static void
test_source(void)
{
	struct scen_opts o;
	struct scen_src s;
	struct bench_req *r = calloc(1, sizeof(*r));

	memset(&o, 0, sizeof(o));
	o.things = 250;
	o.jobs = 3;
	o.prefix = "p-";
	o.region = "us-east-1";
	o.account = "123456789012";
	o.exec_number = 123;
	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.n = 250;
	snprintf(s.group, sizeof(s.group), "p-g");

	s.op = SOP_CREATE_THING;
	s.first = 200;
	CHECK_INT(scen_src_next(&s, 0, r), 0);
	CHECK_STR(r->path, "/things/p-t200");
	CHECK_INT(scen_src_next(&s, 50, r), 1);
	s.first = 0;
	s.op = SOP_DELETE_EXEC;
	CHECK_INT(scen_src_next(&s, 299, r), 0);
	CHECK_STR(r->method, "DELETE");
	CHECK_STR(r->path, "/things/p-t49/jobs/p-j2/executionNumber/123");
	CHECK_INT(scen_src_next(&s, 300, r), 1);
	s.op = SOP_DESCRIBE_EXEC;
	CHECK_INT(scen_src_next(&s, 300, r), 0); /* cycles */
	CHECK_STR(r->path, "/things/p-t0/jobs/p-j0");
	s.op = SOP_CREATE_JOB;
	memset(r, 0, sizeof(*r));
	CHECK_INT(scen_src_next(&s, 1, r), 0);
	CHECK_STR(r->path, "/jobs/p-j1");
	CHECK(r->has_body);
	CHECK(strstr(r->body, "\"arn:aws:iot:us-east-1:123456789012:thing/p-t100\",") != NULL);
	CHECK(strstr(r->body, "thing/p-t199\"]") != NULL);
	CHECK_INT(scen_src_next(&s, 3, r), 1);
	s.op = SOP_CREATE_GJOB;
	memset(r, 0, sizeof(*r));
	CHECK_INT(scen_src_next(&s, 0, r), 0);
	CHECK(strstr(r->body, "[\"arn:aws:iot:us-east-1:123456789012:thinggroup/p-g\"]") != NULL);
	s.op = SOP_UPDATE_SUCCEEDED;
	s.round = 2;
	memset(r, 0, sizeof(*r));
	CHECK_INT(scen_src_next(&s, 7, r), 0);
	CHECK_STR(r->path, "/things/p-t7/jobs/p-j2");
	CHECK_STR(r->body, "{\"status\":\"SUCCEEDED\"}");
	s.op = SOP_START_NEXT;
	CHECK_INT(scen_src_next(&s, 7, r), 0);
	CHECK_STR(r->method, "PUT");
	CHECK_STR(r->path, "/things/p-t7/jobs/$next");
	free(r);
}

static void
test_headers_and_sink(void)
{
	char buf[1024], sink[8];
	struct bench_http_resp *r = malloc(sizeof(*r));
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!";
	long n;

	CHECK_INT(bench_http_set_extra_headers("Authorization: AWS4 x\r\n"), 0);
	n = bench_http_format_request(buf, sizeof(buf), "GET", "h:1", "/x", NULL, 0);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, "\r\nAuthorization: AWS4 x\r\n\r\n") != NULL);
	CHECK_INT(bench_http_set_extra_headers("Bad header\r\n"), -1);
	CHECK_INT(bench_http_set_extra_headers("X: a\nY: b\r\n"), -1);
	CHECK_INT(bench_http_set_extra_headers("X: a"), -1);
	CHECK_INT(bench_http_set_extra_headers(NULL), 0);
	n = bench_http_format_request(buf, sizeof(buf), "GET", "h:1", "/x", NULL, 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, "Authorization") == NULL);

	bench_http_resp_init(r, 0);
	bench_http_resp_set_sink(r, sink, sizeof(sink));
	for (size_t i = 0; resp[i] != '\0'; i++) /* one byte at a time */
		bench_http_resp_feed(r, resp + i, 1);
	CHECK_INT(r->state, BENCH_HTTP_DONE);
	CHECK_STR(sink, "hello w"); /* truncated to the sink */
	CHECK_STR(r->body, "hello world!");
	free(r);
}

int
main(void)
{
	test_json();
	test_sizes();
	test_pairs();
	test_source();
	test_headers_and_sink();
	return test_summary();
}
