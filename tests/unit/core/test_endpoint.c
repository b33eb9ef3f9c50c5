/*
 * test_endpoint.c: the endpoint types of DescribeEndpoint and the grammar of
 * --public-endpoint (core/endpoint.c).
 */
#include <string.h>

#include "core/core.h"
#include "test.h"

TEST(types)
{
	CHECK_EQ_STR(core_endpoint_type("iot:Data"), "iot:Data");
	CHECK_EQ_STR(core_endpoint_type("IOT:DATA-ATS"), "iot:Data-ATS");
	CHECK_EQ_STR(core_endpoint_type("iot:jobs"), "iot:Jobs");
	CHECK_EQ_STR(core_endpoint_type("iot:CredentialProvider"), "iot:CredentialProvider");
	CHECK(core_endpoint_type("iot:Data ") == NULL);
	CHECK(core_endpoint_type("") == NULL);
	CHECK(core_endpoint_type("iot:Nope") == NULL);
}

TEST(one_address)
{
	char out[64];

	CHECK_EQ_INT(core_endpoint_lookup("iot.example.com", "iot:Jobs", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "iot.example.com");
	CHECK_EQ_INT(core_endpoint_lookup("10.0.0.1:8443", "iot:Data", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "10.0.0.1:8443");
	CHECK_EQ_INT(core_endpoint_lookup("h:65535", NULL, NULL, 0), 1);
	CHECK_EQ_INT(core_endpoint_lookup("", "iot:Data", out, sizeof(out)), 1);
	CHECK_EQ_INT(core_endpoint_lookup(NULL, "iot:Data", out, sizeof(out)), 1);
}

TEST(per_type)
{
	const char *spec = "iot:Jobs=jobs.example.com:8443,IOT:DATA-ATS=mqtt.example.com:8883";
	char out[8];
	char big[64];

	CHECK_EQ_INT(core_endpoint_lookup(spec, NULL, NULL, 0), 1);
	CHECK_EQ_INT(core_endpoint_lookup(spec, "iot:Jobs", big, sizeof(big)), 0);
	CHECK_EQ_STR(big, "jobs.example.com:8443");
	CHECK_EQ_INT(core_endpoint_lookup(spec, "iot:Data-ATS", big, sizeof(big)), 0);
	CHECK_EQ_STR(big, "mqtt.example.com:8883");
	CHECK_EQ_INT(core_endpoint_lookup(spec, "iot:Data", big, sizeof(big)), 1);
	/* cut to the buffer, NUL-terminated */
	CHECK_EQ_INT(core_endpoint_lookup(spec, "iot:Jobs", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "jobs.ex");
	/* the first one named wins */
	CHECK_EQ_INT(core_endpoint_lookup("iot:Jobs=a,iot:Jobs=b", "iot:Jobs", big, sizeof(big)),
	    0);
	CHECK_EQ_STR(big, "a");
}

TEST(malformed)
{
	static const char *const bad[] = {"bad host", "h:", "h:0", "h:65536", "h:123456", ":80",
	    "h:1:2", "h:x", "iot:Nope=h", "iot:Jobs=", "iot:Jobs=h,", "=h", "iot:Jobs=h,,",
	    "iot:Jobs=h,iot:Data", "h\xc3\xa9", "iot:Jobs=h/x",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=h"};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (core_endpoint_lookup(bad[i], NULL, NULL, 0) != JD_EINVAL)
			CHECK(!"malformed spec accepted");
		CHECK_EQ_INT(core_endpoint_lookup(bad[i], "iot:Jobs", out, sizeof(out)), JD_EINVAL);
	}
}

int
main(void)
{
	RUN(types);
	RUN(one_address);
	RUN(per_type);
	RUN(malformed);
	return test_report();
}
