/* Unit tests of the TLS options' validation (tls-cert/tls-key, data-client-ca,
 * mqtt-certfile/mqtt-keyfile). */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "test.h"

static int
load_args(struct config *c, struct jd_error *e, const char *a1, const char *v1, const char *a2,
    const char *v2, const char *a3, const char *v3)
{
	char *argv[8] = {(char *)"jobsd"};
	int argc = 1;
	const char *pairs[6] = {a1, v1, a2, v2, a3, v3};

	for (int i = 0; i < 6; i += 2) {
		if (pairs[i] == NULL)
			break;
		argv[argc++] = (char *)pairs[i];
		argv[argc++] = (char *)pairs[i + 1];
	}
	argv[argc] = NULL;
	jd_error_init(e);
	return config_load(c, argc, argv, e);
}

TEST(tls_cert_and_key_go_together)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(load_args(&c, &e, "--tls-cert", "s.crt", NULL, NULL, NULL, NULL), JD_EINVAL);
	CHECK(strstr(e.msg, "tls-cert and tls-key") != NULL);
	CHECK_EQ_INT(load_args(&c, &e, "--tls-key", "s.key", NULL, NULL, NULL, NULL), JD_EINVAL);
	CHECK_EQ_INT(load_args(&c, &e, "--tls-cert", "s.crt", "--tls-key", "s.key", NULL, NULL), 0);
	CHECK_EQ_STR(c.tls_cert, "s.crt");
	CHECK_EQ_STR(c.tls_key, "s.key");
	CHECK_EQ_STR(c.data_client_ca, "");
}

TEST(data_client_ca_needs_tls_and_a_data_listener)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(load_args(&c, &e, "--data-client-ca", "ca.crt", NULL, NULL, NULL, NULL),
	    JD_EINVAL);
	CHECK(strstr(e.msg, "needs tls-cert") != NULL);
	CHECK_EQ_INT(load_args(&c, &e, "--tls-cert", "s.crt", "--tls-key", "s.key",
	                 "--data-client-ca", "ca.crt"),
	    0);
	CHECK_EQ_STR(c.data_client_ca, "ca.crt");
}

TEST(mqtt_client_certificate)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(load_args(&c, &e, "--mqtt-certfile", "j.crt", NULL, NULL, NULL, NULL),
	    JD_EINVAL);
	CHECK(strstr(e.msg, "mqtt-certfile and mqtt-keyfile") != NULL);
	CHECK_EQ_INT(
	    load_args(&c, &e, "--mqtt-certfile", "j.crt", "--mqtt-keyfile", "j.key", NULL, NULL),
	    JD_EINVAL);
	CHECK(strstr(e.msg, "mqtt-cafile") != NULL);
	CHECK_EQ_INT(load_args(&c, &e, "--mqtt-certfile", "j.crt", "--mqtt-keyfile", "j.key",
	                 "--mqtt-cafile", "ca.crt"),
	    0);
	CHECK_EQ_STR(c.mqtt_certfile, "j.crt");
	CHECK_EQ_STR(c.mqtt_keyfile, "j.key");
}

int
main(void)
{
	RUN(tls_cert_and_key_go_together);
	RUN(data_client_ca_needs_tls_and_a_data_listener);
	RUN(mqtt_client_certificate);
	return test_report();
}
