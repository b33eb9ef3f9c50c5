/* Unit tests of the unsafe combinations config_load refuses (issue 13, item 6;
 * docs/operations.md#hardening) and of --store-check. Each refusal is one line. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

/* config_load over a NULL-terminated list of arguments. */
static int
load_v(struct config *c, struct jd_error *e, const char *const *args)
{
	char *argv[32] = {(char *)"jobsd"};
	int argc = 1;

	for (; *args != NULL && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	jd_error_init(e);
	return config_load(c, argc, argv, e);
}

#define LOAD(c, e, ...) load_v((c), (e), (const char *const[]){__VA_ARGS__, NULL})

static bool
one_line(const struct jd_error *e)
{
	return e->msg[0] != '\0' && strchr(e->msg, '\n') == NULL;
}

/* A file of the given mode; its path in out. */
static void
make_file(char *out, size_t n, const char *name, mode_t mode)
{
	int fd;

	snprintf(out, n, "/tmp/jobsd-unsafe-%d-%s", (int)getpid(), name);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	chmod(out, mode);
}

TEST(loopback_addresses)
{
	struct config_addr a = {"127.0.0.1", 1};

	CHECK(config_addr_loopback(&a));
	strcpy(a.host, "127.9.8.7");
	CHECK(config_addr_loopback(&a));
	strcpy(a.host, "localhost");
	CHECK(config_addr_loopback(&a));
	strcpy(a.host, "[::1]");
	CHECK(config_addr_loopback(&a));
	strcpy(a.host, "");
	CHECK(!config_addr_loopback(&a));
	strcpy(a.host, "0.0.0.0");
	CHECK(!config_addr_loopback(&a));
	strcpy(a.host, "10.1.2.3");
	CHECK(!config_addr_loopback(&a));
	strcpy(a.host, "128.0.0.1");
	CHECK(!config_addr_loopback(&a));
	strcpy(a.host, "127.0.0.1.example.com");
	CHECK(!config_addr_loopback(&a));
}

TEST(device_ca_with_auth_off_on_a_public_control_listener)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "0.0.0.0:8443", "--tls-cert", "s.crt", "--tls-key",
	                 "s.key", "--data-client-ca", "ca.crt"),
	    JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: data-client-ca with auth=off") != NULL);
	CHECK(strstr(e.msg, "0.0.0.0:8443") != NULL);
	CHECK(one_line(&e));
	/* an empty host listens everywhere */
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", ":8443", "--tls-cert", "s.crt", "--tls-key", "s.key",
	                 "--data-client-ca", "ca.crt"),
	    JD_EINVAL);
	/* the control listener on loopback: devices reach only the data listener */
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "127.0.0.1:8443", "--data-listen", "0.0.0.0:8444",
	                 "--tls-cert", "s.crt", "--tls-key", "s.key", "--data-client-ca", "ca.crt"),
	    0);
	/* with auth on the control listener needs signatures */
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "0.0.0.0:8443", "--tls-cert", "s.crt", "--tls-key",
	                 "s.key", "--data-client-ca", "ca.crt", "--auth", "sigv4",
	                 "--credentials-file", "/nonexistent/creds"),
	    0);
}

TEST(test_rig_without_auth_on_a_public_listener)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "0.0.0.0:8443", "--test-rig"), JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: test-rig with auth=off") != NULL);
	CHECK(one_line(&e));
	CHECK_EQ_INT(LOAD(&c, &e, "--data-listen", "10.0.0.1:8444", "--test-rig"), JD_EINVAL);
	CHECK(strstr(e.msg, "10.0.0.1:8444") != NULL);
	/* the same through the environment */
	setenv("JOBSD_TEST_RIG", "1", 1);
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "0.0.0.0:8443"), JD_EINVAL);
	unsetenv("JOBSD_TEST_RIG");
	/* allowed: loopback (the integration tests), or auth on (admin keys) */
	CHECK_EQ_INT(
	    LOAD(&c, &e, "--listen", "127.0.0.1:0", "--data-listen", "127.0.0.1:0", "--test-rig"),
	    0);
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "localhost:0", "--data-listen", "", "--test-rig"), 0);
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "0.0.0.0:8443", "--test-rig", "--auth", "sigv4",
	                 "--credentials-file", "/nonexistent/creds"),
	    0);
	/* no test rig, auth off, public: allowed (jobsd says AUTH IS OFF) */
	CHECK_EQ_INT(LOAD(&c, &e, "--listen", "0.0.0.0:8443"), 0);
}

TEST(secret_files_readable_by_others)
{
	struct config c;
	struct jd_error e;
	char key[128], crt[128], creds[128];

	make_file(key, sizeof(key), "tls.key", 0644);
	make_file(crt, sizeof(crt), "tls.crt", 0644);
	make_file(creds, sizeof(creds), "creds", 0604);
	CHECK_EQ_INT(LOAD(&c, &e, "--tls-cert", crt, "--tls-key", key), JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: tls-key") != NULL);
	CHECK(strstr(e.msg, "readable by others (mode 644)") != NULL);
	CHECK(one_line(&e));
	chmod(key, 0640); /* group-readable keys are common (ssl-cert): allowed */
	CHECK_EQ_INT(LOAD(&c, &e, "--tls-cert", crt, "--tls-key", key), 0);
	CHECK_EQ_INT(LOAD(&c, &e, "--auth", "sigv4", "--credentials-file", creds), JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: credentials-file") != NULL);
	/* ignored with auth off (main says it is ignored) */
	CHECK_EQ_INT(LOAD(&c, &e, "--credentials-file", creds), 0);
	chmod(creds, 0600);
	CHECK_EQ_INT(LOAD(&c, &e, "--auth", "sigv4", "--credentials-file", creds), 0);
	CHECK_EQ_INT(LOAD(&c, &e, "--mqtt", "b:8883", "--mqtt-cafile", crt, "--mqtt-certfile", crt,
	                 "--mqtt-keyfile", crt),
	    JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: mqtt-keyfile") != NULL);
	unlink(key);
	unlink(crt);
	unlink(creds);
}

TEST(files_writable_by_others)
{
	struct config c;
	struct jd_error e;
	char key[128], crt[128], ca[128];

	make_file(key, sizeof(key), "w.key", 0600);
	make_file(crt, sizeof(crt), "w.crt", 0646);
	make_file(ca, sizeof(ca), "w-ca.crt", 0644);
	CHECK_EQ_INT(LOAD(&c, &e, "--tls-cert", crt, "--tls-key", key), JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: tls-cert") != NULL);
	CHECK(strstr(e.msg, "writable by others") != NULL);
	chmod(crt, 0644);
	CHECK_EQ_INT(LOAD(&c, &e, "--tls-cert", crt, "--tls-key", key, "--data-client-ca", ca), 0);
	chmod(ca, 0666); /* anyone could add a CA and mint device certificates */
	CHECK_EQ_INT(LOAD(&c, &e, "--tls-cert", crt, "--tls-key", key, "--data-client-ca", ca),
	    JD_EINVAL);
	CHECK(strstr(e.msg, "unsafe: data-client-ca") != NULL);
	/* a file that does not exist is left to whoever opens it */
	CHECK_EQ_INT(LOAD(&c, &e, "--tls-cert", "/nonexistent/c", "--tls-key", "/nonexistent/k"),
	    0);
	unlink(key);
	unlink(crt);
	unlink(ca);
}

TEST(mqtt_password_as_a_flag_is_noted)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(LOAD(&c, &e, "--mqtt-password", "pw"), 0);
	CHECK(c.mqtt_password_argv);
	CHECK_EQ_INT(LOAD(&c, &e, "--mqtt-password=pw"), 0);
	CHECK(c.mqtt_password_argv);
	setenv("JOBSD_MQTT_PASSWORD", "pw", 1);
	CHECK_EQ_INT(LOAD(&c, &e, "--log-level", "warn"), 0);
	CHECK(!c.mqtt_password_argv);
	CHECK_EQ_STR(c.mqtt_password, "pw");
	unsetenv("JOBSD_MQTT_PASSWORD");
}

TEST(store_check_values)
{
	struct config c;
	struct jd_error e;

	CHECK_EQ_INT(LOAD(&c, &e, "--log-level", "info"), 0);
	CHECK_EQ_STR(c.store_check, "quick");
	CHECK_EQ_INT(LOAD(&c, &e, "--store-check", "off"), 0);
	CHECK_EQ_STR(c.store_check, "off");
	CHECK_EQ_INT(LOAD(&c, &e, "--store-check=full"), 0);
	CHECK_EQ_STR(c.store_check, "full");
	CHECK_EQ_INT(LOAD(&c, &e, "--store-check", "fast"), JD_EINVAL);
	CHECK(strstr(e.msg, "store-check must be quick, full or off") != NULL);
}

int
main(void)
{
	RUN(loopback_addresses);
	RUN(device_ca_with_auth_off_on_a_public_control_listener);
	RUN(test_rig_without_auth_on_a_public_listener);
	RUN(secret_files_readable_by_others);
	RUN(files_writable_by_others);
	RUN(mqtt_password_as_a_flag_is_noted);
	RUN(store_check_values);
	return test_report();
}
