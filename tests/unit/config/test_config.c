/* Unit tests of the configuration loader (file, environment, flags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/jobsd-config-test-%d.conf", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int
load(struct config *c, struct jd_error *e)
{
	char *argv[] = {(char *)"jobsd", (char *)"--config", path, NULL};

	jd_error_init(e);
	return config_load(c, 3, argv, e);
}

TEST(file_values_and_comments)
{
	struct config c;
	struct jd_error e;

	write_file(
	    "# a comment\nlisten = 127.0.0.1:0\n\naccount-id = 111122223333\nlog-level = debug\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_STR(c.listen, "127.0.0.1:0");
	CHECK_EQ_STR(c.account, "111122223333");
	CHECK_EQ_INT(c.log_level, 3);
	unlink(path);
}

TEST(unknown_option_is_an_error)
{
	struct config c;
	struct jd_error e;

	write_file("no-such-thing = 1\n");
	CHECK_EQ_INT(load(&c, &e), JD_EINVAL);
	CHECK(strstr(e.msg, "unknown option") != NULL);
	unlink(path);
}

TEST(config_equals_form_and_flags_win)
{
	struct config c;
	struct jd_error e;
	char arg[96];

	write_file("account-id = 111122223333\nlog-level = debug\n");
	snprintf(arg, sizeof(arg), "--config=%s", path);
	{
		char *argv[] = {(char *)"jobsd", arg, (char *)"--log-level=warn", NULL};
		jd_error_init(&e);
		CHECK_EQ_INT(config_load(&c, 3, argv, &e), 0);
	}
	CHECK_EQ_STR(c.account, "111122223333");
	CHECK_EQ_INT(c.log_level, 1);
	{
		char *argv[] = {(char *)"jobsd", (char *)"--config", NULL};
		jd_error_init(&e);
		CHECK_EQ_INT(config_load(&c, 2, argv, &e), JD_EINVAL);
		CHECK(strstr(e.msg, "needs a value") != NULL);
	}
	unlink(path);
}

/* Fuzzing finding: the tail of an over-long comment was read as a setting. */
TEST(regression_long_line_tail_is_not_a_setting)
{
	struct config c;
	struct jd_error e;
	char *text = malloc(4096);

	text[0] = '#';
	memset(text + 1, 'a', 2046);
	strcpy(text + 2047, "store = bogus\n");
	write_file(text);
	free(text);
	CHECK_EQ_INT(load(&c, &e), JD_EINVAL);
	CHECK(strstr(e.msg, "longer than") != NULL);
	unlink(path);
}

/* config_load splits the addresses and the store spec for main. */
TEST(addresses_and_store_are_parsed)
{
	struct config c;
	struct jd_error e;

	write_file("listen = [::1]:8443\ndata-listen =\nmqtt = broker.local:8883\n"
	           "store = sqlite:/var/lib/jobsd/jobs.db\nmqtt-password = secret\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_STR(c.listen_addr.host, "[::1]");
	CHECK_EQ_INT(c.listen_addr.port, 8443);
	CHECK_EQ_STR(c.data_listen_addr.host, "");
	CHECK_EQ_INT(c.data_listen_addr.port, -1);
	CHECK_EQ_STR(c.mqtt_addr.host, "broker.local");
	CHECK_EQ_INT(c.mqtt_addr.port, 8883);
	CHECK_EQ_STR(c.store_spec.kind, "sqlite");
	CHECK_EQ_STR(c.store_spec.path, "/var/lib/jobsd/jobs.db");
	CHECK_EQ_STR(c.mqtt_password, "secret");
	config_wipe_secrets(&c);
	CHECK_EQ_STR(c.mqtt_password, "");

	/* a bad listener port is api_create's to report, not a config error */
	write_file("listen = 127.0.0.1:http\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_STR(c.listen_addr.host, "127.0.0.1");
	CHECK_EQ_INT(c.listen_addr.port, -1);
	CHECK_EQ_STR(c.data_listen_addr.host, "127.0.0.1");
	CHECK_EQ_INT(c.data_listen_addr.port, 8444);
	unlink(path);
}

TEST(connection_and_queue_limits_are_numbers)
{
	struct config c;
	struct jd_error e;

	write_file("http-conn-per-ip = 16\nhttp-header-timeout = 5\nhttp-request-timeout = 120\n"
	           "http-keepalive-timeout = 15\nmqtt-queue-mib = 64\n");
	jd_error_init(&e);
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_INT(c.http_conn_per_ip, 16);
	CHECK_EQ_INT(c.http_header_s, 5);
	CHECK_EQ_INT(c.http_request_s, 120);
	CHECK_EQ_INT(c.http_keepalive_s, 15);
	CHECK_EQ_INT(c.mqtt_queue_mib, 64);
	write_file("http-conn-per-ip = 0\n");
	jd_error_init(&e);
	CHECK_EQ_INT(load(&c, &e), JD_EINVAL);
	CHECK(strstr(e.msg, "http-conn-per-ip wants a number 1..65536") != NULL);
	write_file("mqtt-queue-mib = lots\n");
	jd_error_init(&e);
	CHECK_EQ_INT(load(&c, &e), JD_EINVAL);
	unlink(path);
}

TEST(mqtt_protocol_is_5_311_or_auto)
{
	struct config c;
	struct jd_error e;

	write_file("mqtt = 127.0.0.1:1883\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_INT(c.mqtt_proto, 0); /* auto by default */
	write_file("mqtt = 127.0.0.1:1883\nmqtt-protocol = 3.1.1\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_INT(c.mqtt_proto, 4);
	write_file("mqtt = 127.0.0.1:1883\nmqtt-protocol = 5\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_INT(c.mqtt_proto, 5);
	write_file("mqtt = 127.0.0.1:1883\nmqtt-protocol = auto\n");
	CHECK_EQ_INT(load(&c, &e), 0);
	CHECK_EQ_INT(c.mqtt_proto, 0);
	write_file("mqtt = 127.0.0.1:1883\nmqtt-protocol = 3\n");
	CHECK_EQ_INT(load(&c, &e), JD_EINVAL);
	CHECK(strstr(e.msg, "mqtt-protocol must be 5, 3.1.1 or auto") != NULL);
	unlink(path);
}

int
main(void)
{
	RUN(file_values_and_comments);
	RUN(unknown_option_is_an_error);
	RUN(config_equals_form_and_flags_win);
	RUN(regression_long_line_tail_is_not_a_setting);
	RUN(addresses_and_store_are_parsed);
	RUN(connection_and_queue_limits_are_numbers);
	RUN(mqtt_protocol_is_5_311_or_auto);
	return test_report();
}
