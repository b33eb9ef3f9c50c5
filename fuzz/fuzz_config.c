/*
 * fuzz_config.c: the configuration loader (config_load), file and flags.
 *
 * Input: a config file, optionally followed by a line "%%" and then one
 * command-line argument per line. The file goes to a private temporary
 * file named by --config; the JOBSD_* environment is cleared first.
 *
 * Invariants: config_load never crashes; an error is JD_EINVAL with a
 * message; success (without --help/--version) yields a configuration that
 * satisfies what validate() promises (account of 12 digits, store
 * sqlite:PATH, auth off, listen set, mqtt HOST:PORT or empty, shard I/N
 * with 0 <= I < N <= 1024, a known log level), and every
 * string member is NUL-terminated within its array.
 */
#include <stdbool.h>
#include <unistd.h>

#include "config.h"
#include "core/core.h"
#include "fuzz.h"

#define ARGS_MAX 16

static char path[64];
static int fd = -1;

static void
unlink_tmp(void)
{
	if (fd >= 0)
		unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = {"JOBSD_CONFIG", "JOBSD_LISTEN", "JOBSD_DATA_LISTEN",
	    "JOBSD_STORE", "JOBSD_ACCOUNT_ID", "JOBSD_AUTH", "JOBSD_TEST_RIG", "JOBSD_LOG_LEVEL",
	    "JOBSD_THREADS", "JOBSD_MQTT", "JOBSD_MQTT_CLIENT_ID", "JOBSD_MQTT_USERNAME",
	    "JOBSD_MQTT_PASSWORD", "JOBSD_MQTT_CAFILE", "JOBSD_MQTT_SHARD"};

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
	/* tmpfs when there is one: the file is rewritten for every input */
	snprintf(path, sizeof(path), "%s/jobsd-fuzz-config-XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		abort();
	}
	atexit(unlink_tmp);
	return 0;
}

#define TERMINATED(field) FUZZ_CHECK(memchr((field), '\0', sizeof(field)) != NULL)

static void
check_config(const struct config *c)
{
	int64_t n;

	TERMINATED(c->listen);
	TERMINATED(c->data_listen);
	TERMINATED(c->store);
	TERMINATED(c->account);
	TERMINATED(c->auth);
	TERMINATED(c->mqtt);
	TERMINATED(c->mqtt_client_id);
	TERMINATED(c->mqtt_username);
	TERMINATED(c->mqtt_password);
	TERMINATED(c->mqtt_cafile);
	TERMINATED(c->mqtt_shard);
	if (c->show_help || c->show_version)
		return;
	FUZZ_CHECK(strlen(c->account) == 12 && strspn(c->account, "0123456789") == 12);
	/* a SQLite path, or a PostgreSQL URI handed whole to libpq */
	FUZZ_CHECK((strncmp(c->store, "sqlite:", 7) == 0 && c->store[7] != '\0' &&
	               strcmp(c->store_spec.kind, "sqlite") == 0) ||
	    ((strncmp(c->store, "postgres://", 11) == 0 ||
	         strncmp(c->store, "postgresql://", 13) == 0) &&
	        strcmp(c->store_spec.kind, "postgres") == 0));
	FUZZ_CHECK(strcmp(c->auth, "off") == 0);
	FUZZ_CHECK(c->listen[0] != '\0');
	if (c->mqtt[0] != '\0') {
		const char *colon = strrchr(c->mqtt, ':');

		FUZZ_CHECK(colon != NULL && colon != c->mqtt);
		FUZZ_CHECK(core_parse_u63(colon + 1, &n) == 0 && n >= 1 && n <= 65535);
	}
	FUZZ_CHECK(c->shards >= 1 && c->shards <= 1024 && c->shard >= 0 && c->shard < c->shards);
	FUZZ_CHECK(c->log_level >= 0 && c->log_level <= 3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n%%\n";
	const uint8_t *args = NULL;
	size_t flen = size, alen = 0;
	char *argv[ARGS_MAX + 3], *argbuf = NULL;
	int argc = 0, rc;
	struct config c;
	struct jd_error e;

	for (size_t i = 0; i + sizeof(sep) - 1 <= size; i++) {
		if (memcmp(data + i, sep, sizeof(sep) - 1) == 0) {
			flen = i + 1;
			args = data + i + sizeof(sep) - 1;
			alen = size - (i + sizeof(sep) - 1);
			break;
		}
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, flen, 0) != (ssize_t)flen)
		abort();

	argv[argc++] = (char *)"jobsd";
	argv[argc++] = (char *)"--config";
	argv[argc++] = path;
	if (args != NULL) {
		char *p;

		argbuf = fuzz_cstr(args, alen);
		p = argbuf;
		while (argc < ARGS_MAX + 3 && p != NULL) {
			char *nl = strchr(p, '\n');

			if (nl != NULL)
				*nl = '\0';
			/* --config is ours: another file (/dev/zero, a FIFO) could hang */
			if (strcmp(p, "--config") != 0)
				argv[argc++] = p;
			p = nl != NULL ? nl + 1 : NULL;
		}
	}

	jd_error_init(&e);
	rc = config_load(&c, argc, argv, &e);
	if (rc != 0) {
		FUZZ_CHECK(rc == JD_EINVAL && e.code == JD_EINVAL && e.msg[0] != '\0');
		FUZZ_CHECK(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
	} else {
		check_config(&c);
	}
	jd_error_clear(&e);
	free(argbuf);
	return 0;
}
