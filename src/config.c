/*
 * config.c: one table of options serves the config file (`key = value`),
 * the environment (JOBSD_KEY with '-' as '_') and the flags (--key VALUE),
 * and the --help text. Later sources override earlier ones.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "jd_limits.h"
#include "util/buf.h"
#include "util/log.h"

enum opt_kind { OPT_STR, OPT_BOOL, OPT_NUM, OPT_LEVEL };

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
	size_t size;
	const char *arg;
	const char *help;
};

#define O(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

/* A table: one option in one or two lines. */
/* clang-format off */
static const struct opt opts[] = {
	{"listen", OPT_STR, O(listen), "ADDR:PORT",
	    "control-plane listener (service iot); port 0 picks a free port [127.0.0.1:8443]"},
	{"data-listen", OPT_STR, O(data_listen), "ADDR:PORT",
	    "device-plane listener (service iot-jobs-data); empty for none [127.0.0.1:8444]"},
	{"store", OPT_STR, O(store), "sqlite:PATH|postgres://USER@HOST/DB",
	    "where state lives [sqlite:./data/jobsd.db]"},
	{"account-id", OPT_STR, O(account), "ID", "12-digit account id used in ARNs [123456789012]"},
	{"auth", OPT_STR, O(auth), "off|sigv4",
	    "request authentication: SigV4 against --credentials-file, or none [off]"},
	{"credentials-file", OPT_STR, O(credentials_file), "FILE",
	    "auth=sigv4: one `ACCESS_KEY_ID SECRET` pair per line; re-read on SIGHUP [none]"},
	{"outgoing-credentials", OPT_STR, O(outgoing_credentials), "FILE",
	    "keys jobsd signs S3 requests with (documentSource, presigned URLs, D27): "
	    "`ROLE_ARN|default ACCESS_KEY_ID SECRET [REGION]` per line; re-read on SIGHUP [none]"},
	{"outgoing-ca-file", OPT_STR, O(outgoing_ca_file), "FILE",
	    "PEM CA bundle that S3 servers' certificates are verified against [the system's]"},
	{"throttle", OPT_STR, O(throttle), "off|aws",
	    "per-operation rate limits: none, or AWS's published rates (D19) [off]"},
	{"throttle-rates", OPT_STR, O(throttle_rates), "OP=TPS,...",
	    "rates overriding the preset; OP is an operation name, DataPlaneRead or DataPlaneWrite; 0 = unlimited [none]"},
	{"tls-cert", OPT_STR, O(tls_cert), "FILE",
	    "PEM certificate (chain) of both listeners, which then speak HTTPS only; re-read on SIGHUP [none]"},
	{"tls-key", OPT_STR, O(tls_key), "FILE", "PEM private key of --tls-cert; re-read on SIGHUP [none]"},
	{"data-client-ca", OPT_STR, O(data_client_ca), "FILE",
	    "PEM CA of device certificates: the data listener requires a client certificate whose "
	    "subject CN is the thing name (mutual TLS; needs --tls-cert); re-read on SIGHUP [none]"},
	{"test-rig", OPT_BOOL, O(test_rig), NULL,
	    "enable /_jobsd/ admin endpoints (reset, virtual clock) and /moto-api/reset on the "
	    "control listener (D22); with auth=sigv4 they need an admin key (D26); without auth, "
	    "loopback listeners only"},
	{"fanout-chunk", OPT_NUM, O(fanout_chunk), "N",
	    "things a job's fan-out queues per transaction; other writes run between chunks "
	    "[500; 2000 on PostgreSQL]"},
	{"test-fanout-pause-ms", OPT_NUM, O(test_fanout_pause_ms), "MS",
	    "test rig only: pause between fan-out chunks, so a test can stop jobsd midway [0]"},
	{"store-check", OPT_STR, O(store_check), "quick|full|off",
	    "at start, check the store is writable and its pages are sound (PRAGMA quick_check or "
	    "integrity_check; off skips the page check of a very large store) [quick]"},
	{"log-level", OPT_LEVEL, O(log_level), "LEVEL", "error|warn|info|debug [info]"},
	{"mqtt", OPT_STR, O(mqtt), "HOST:PORT", "MQTT broker for the device plane; empty for none [empty]"},
	{"mqtt-client-id", OPT_STR, O(mqtt_client_id), "ID",
	    "MQTT client id, unique per node; bind it to the node's account on the broker (D25) "
	    "[jobsd-HOSTNAME-RANDOM]"},
	{"http-conn-per-ip", OPT_NUM, O(http_conn_per_ip), "N",
	    "connections one address may hold open on each listener; more are refused at accept "
	    "[128]"},
	{"http-header-timeout", OPT_NUM, O(http_header_s), "SECONDS",
	    "a connection's request headers must be complete this long after it is accepted [10]"},
	{"http-request-timeout", OPT_NUM, O(http_request_s), "SECONDS",
	    "a whole request, body included, must arrive within this long of its start [60]"},
	{"http-keepalive-timeout", OPT_NUM, O(http_keepalive_s), "SECONDS",
	    "an idle kept-alive connection is closed this long after its last answer [30]"},
	{"mqtt-queue-mib", OPT_NUM, O(mqtt_queue_mib), "MIB",
	    "bytes of device requests queued at once, in MiB; one thing may use 1/16 of it, and "
	    "over it a request is answered RequestThrottled [16]"},
	{"mqtt-out-max-kib", OPT_NUM, O(mqtt_out_kib), "KIB",
	    "bytes of replies and notifications waiting to reach the broker, in KiB; over it the "
	    "request workers wait and notifications wait as one per thing [4096]"},
	{"mqtt-username", OPT_STR, O(mqtt_username), "NAME", "MQTT username [none]"},
	{"mqtt-password", OPT_STR, O(mqtt_password), "SECRET", "MQTT password (prefer JOBSD_MQTT_PASSWORD) [none]"},
	{"mqtt-cafile", OPT_STR, O(mqtt_cafile), "FILE", "CA certificate: connect to the broker over TLS [none]"},
	{"mqtt-certfile", OPT_STR, O(mqtt_certfile), "FILE",
	    "PEM client certificate for the broker (needs --mqtt-cafile and --mqtt-keyfile) [none]"},
	{"mqtt-keyfile", OPT_STR, O(mqtt_keyfile), "FILE", "PEM private key of --mqtt-certfile [none]"},
	{"mqtt-protocol", OPT_STR, O(mqtt_protocol), "5|3.1.1|auto",
	    "MQTT version towards the broker; auto tries 5 and falls back to 3.1.1 when the "
	    "broker refuses or drops the MQTT 5 CONNECT (RabbitMQ 3.x) [auto]"},
	{"node-id", OPT_STR, O(node_id), "NAME",
	    "this node's name in logs, leases and its broker client id; unique per node (D24) "
	    "[HOSTNAME-PID]"},
	{"mqtt-shard", OPT_STR, O(mqtt_shard), "I/N",
	    "answer device requests of the things whose name hashes to I of N (D20) [0/1]"},
	{"public-endpoint", OPT_STR, O(public_endpoint), "HOST[:PORT]|TYPE=HOST[:PORT],...",
	    "what DescribeEndpoint answers: one address for every type, or per type (iot:Data, "
	    "iot:Data-ATS, iot:Jobs, iot:CredentialProvider) [the broker for iot:Data*, else the "
	    "data listener]"},
	{"admin-listen", OPT_STR, O(admin_listen), "ADDR:PORT",
	    "admin listener: /healthz, /readyz, /metrics (Prometheus); with auth=sigv4 it needs an "
	    "admin key or the admin token, except the health checks; empty for none [none]"},
	{"admin-token-file", OPT_STR, O(admin_token_file), "FILE",
	    "bearer token (first line, 16+ characters) that the admin listener also accepts "
	    "(Authorization: Bearer TOKEN); mode 600; re-read on SIGHUP [none]"},
	{"log-format", OPT_STR, O(log_format), "text|json",
	    "stderr log lines as text, or one JSON object per line (ts, level, msg, fields) [text]"},
	{"access-log", OPT_STR, O(access_log), "FILE|-",
	    "one line per HTTP request (combined format, then operation, request id, seconds) "
	    "appended to FILE, or - for stdout; reopened on SIGHUP [none]"},
};
/* clang-format on */

#undef O

void
config_usage(const char *prog)
{
	printf("usage: %s [options]\n\n"
	       "jobsd: a self-hosted, wire-compatible AWS IoT Jobs service.\n\n"
	       "Options (each also settable as JOBSD_NAME in the environment, NAME upper-case\n"
	       "with '-' as '_', or as `name = value` in the config file; flags win over the\n"
	       "environment, which wins over the file):\n\n",
	    prog);
	printf("  %-28s %s\n", "--config FILE", "read options from FILE (also JOBSD_CONFIG)");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
		    opts[i].arg ? opts[i].arg : "");
		printf("  %-28s %s\n", left, opts[i].help);
	}
	printf("  %-28s %s\n", "--version", "print the version and exit");
	printf("  %-28s %s\n\n", "--help", "print this help and exit");
	printf("On start-up jobsd prints one line to stdout:\n"
	       "  jobsd ready control=ADDR:PORT data=ADDR:PORT\n"
	       "(preceded by `jobsd admin=ADDR:PORT` when the admin listener is on).\n\n"
	       "Commands:\n"
	       "  jobsd copy-store --from SPEC --to SPEC [--force]\n"
	       "      copy a stopped deployment's whole state from one store to another\n"
	       "      (sqlite: to postgres:// or back), verified; see jobsd copy-store --help\n");
}

static const struct opt *
find(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
			return &opts[i];
	return NULL;
}

static int
set(struct config *c, const struct opt *o, const char *v, const char *where, struct jd_error *e)
{
	char *field = (char *)c + o->off;

	switch (o->kind) {
	case OPT_STR:
		if (strlen(v) >= o->size)
			return jd_error_set(e, JD_EINVAL, "%s: value of %s is too long", where,
			    o->name);
		jd_strlcpy(field, v, o->size);
		return 0;
	case OPT_BOOL: {
		bool b;
		if (v[0] == '\0' || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 ||
		    strcmp(v, "on") == 0)
			b = true;
		else if (strcmp(v, "0") == 0 || strcmp(v, "no") == 0 || strcmp(v, "off") == 0)
			b = false;
		else if (core_parse_bool(v, &b) != 0)
			return jd_error_set(e, JD_EINVAL, "%s: %s wants true or false, not '%s'",
			    where, o->name, v);
		*(bool *)(void *)field = b;
		return 0;
	}
	case OPT_NUM: {
		int64_t n;
		if (core_parse_u63(v, &n) != 0 || n < 1 || n > 65536)
			return jd_error_set(e, JD_EINVAL,
			    "%s: %s wants a number 1..65536, not '%s'", where, o->name, v);
		*(int *)(void *)field = (int)n;
		return 0;
	}
	case OPT_LEVEL:
		if (log_level_parse(v, (int *)(void *)field) != 0)
			return jd_error_set(e, JD_EINVAL, "%s: unknown log level '%s'", where, v);
		return 0;
	}
	return 0;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
load_file(struct config *c, const char *path, struct jd_error *e)
{
	FILE *f = fopen(path, "r");
	char line[2048], where[300];
	int lineno = 0, rc = 0;

	if (f == NULL)
		return jd_error_set(e, JD_EINVAL, "cannot open config file %s", path);
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq;
		size_t len = strlen(line);
		lineno++;
		/* a line that fills the buffer without its newline is too long: never
		 * read its tail as a line of its own (fuzzing finding) */
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
			snprintf(where, sizeof(where), "%s:%d", path, lineno);
			rc = jd_error_set(e, JD_EINVAL, "%s: line longer than %zu bytes", where,
			    sizeof(line) - 2);
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (eq == NULL) {
			rc = jd_error_set(e, JD_EINVAL, "%s: expected `name = value`", where);
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		const struct opt *o = find(k, strlen(k));
		if (o == NULL)
			rc = jd_error_set(e, JD_EINVAL, "%s: unknown option '%s'", where, k);
		else
			rc = set(c, o, v, where, e);
	}
	fclose(f);
	return rc;
}

/* Split "ADDR:PORT" at its last ':' (what api_create and the MQTT bridge
 * expect); a missing or bad port is -1 for the caller to judge. */
static void
split_addr(const char *v, struct config_addr *a)
{
	const char *colon = strrchr(v, ':');
	int64_t port;

	a->host[0] = '\0';
	a->port = -1;
	if (colon == NULL)
		return;
	if ((size_t)(colon - v) < sizeof(a->host)) {
		memcpy(a->host, v, (size_t)(colon - v));
		a->host[colon - v] = '\0';
	}
	if (core_parse_u63(colon + 1, &port) == 0 && port <= 65535)
		a->port = (int)port;
}

bool
config_addr_loopback(const struct config_addr *a)
{
	struct in_addr in;

	if (strcmp(a->host, "localhost") == 0 || strcmp(a->host, "::1") == 0 ||
	    strcmp(a->host, "[::1]") == 0)
		return true;
	return inet_pton(AF_INET, a->host, &in) == 1 && (ntohl(in.s_addr) >> 24) == 127;
}

/*
 * A configured file that others may change (a certificate or CA they could
 * replace) or, for a secret, read. A file that cannot be stat'ed is left to
 * whoever opens it (their error names it).
 */
static int
check_file_mode(const char *opt, const char *path, bool secret, struct jd_error *e)
{
	struct stat st;

	if (path[0] == '\0' || stat(path, &st) != 0)
		return 0;
	if ((st.st_mode & S_IWOTH) != 0)
		return jd_error_set(e, JD_EINVAL,
		    "unsafe: %s %s is writable by others (mode %03o); chmod o-w it", opt, path,
		    (unsigned)(st.st_mode & 0777));
	if (secret && (st.st_mode & S_IROTH) != 0)
		return jd_error_set(e, JD_EINVAL,
		    "unsafe: %s %s is readable by others (mode %03o); chmod 600 it", opt, path,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

/* The combinations jobsd refuses to start with (docs/operations.md#hardening). */
static int
check_unsafe(const struct config *c, struct jd_error *e)
{
	bool auth_off = strcmp(c->auth, "off") == 0;
	bool data = c->data_listen[0] != '\0';
	int rc;

	/* With auth off the control listener asks for no certificate: anyone
	 * who reaches it acts for any thing, so device certificates isolate
	 * devices only if devices cannot reach it (issue 13, item 6). */
	if (c->data_client_ca[0] != '\0' && auth_off && !config_addr_loopback(&c->listen_addr))
		return jd_error_set(e, JD_EINVAL,
		    "unsafe: data-client-ca with auth=off on the non-loopback control listener %s: "
		    "anyone reaching it could act for any thing; use auth=sigv4 or a loopback "
		    "listen address",
		    c->listen);
	/* Without auth the test rig (reset, clock) is anyone's who reaches it. */
	if (c->test_rig && auth_off &&
	    (!config_addr_loopback(&c->listen_addr) ||
	        (data && !config_addr_loopback(&c->data_listen_addr))))
		return jd_error_set(e, JD_EINVAL,
		    "unsafe: test-rig with auth=off on the non-loopback listener %s: anyone could "
		    "wipe the store or move the clock; use auth=sigv4 with an admin key or loopback "
		    "listen addresses",
		    !config_addr_loopback(&c->listen_addr) ? c->listen : c->data_listen);
	/* The admin listener's metrics and (later) its actions are the
	 * operator's: off loopback they need auth or a token. */
	if (c->admin_listen[0] != '\0' && auth_off && c->admin_token_file[0] == '\0' &&
	    !config_addr_loopback(&c->admin_listen_addr))
		return jd_error_set(e, JD_EINVAL,
		    "unsafe: admin-listen %s is not loopback and neither auth=sigv4 nor "
		    "admin-token-file protects it; use a loopback address, auth=sigv4 with an admin "
		    "key, or admin-token-file",
		    c->admin_listen);
	if ((rc = check_file_mode("admin-token-file", c->admin_token_file, true, e)) != 0)
		return rc;
	if ((rc = check_file_mode("tls-key", c->tls_key, true, e)) != 0 ||
	    (rc = check_file_mode("mqtt-keyfile", c->mqtt_keyfile, true, e)) != 0 ||
	    (!auth_off &&
	        (rc = check_file_mode("credentials-file", c->credentials_file, true, e)) != 0) ||
	    (rc = check_file_mode("outgoing-credentials", c->outgoing_credentials, true, e)) != 0 ||
	    (rc = check_file_mode("outgoing-ca-file", c->outgoing_ca_file, false, e)) != 0 ||
	    (rc = check_file_mode("tls-cert", c->tls_cert, false, e)) != 0 ||
	    (rc = check_file_mode("data-client-ca", c->data_client_ca, false, e)) != 0 ||
	    (rc = check_file_mode("mqtt-cafile", c->mqtt_cafile, false, e)) != 0 ||
	    (rc = check_file_mode("mqtt-certfile", c->mqtt_certfile, false, e)) != 0)
		return rc;
	return 0;
}

static int
validate(struct config *c, struct jd_error *e)
{
	bool pg = false;

	if (strcmp(c->auth, "off") != 0 && strcmp(c->auth, "sigv4") != 0)
		return jd_error_set(e, JD_EINVAL, "auth must be off or sigv4, not '%s'", c->auth);
	if (strcmp(c->auth, "sigv4") == 0 && c->credentials_file[0] == '\0')
		return jd_error_set(e, JD_EINVAL, "auth=sigv4 needs --credentials-file FILE");
	if (strcmp(c->throttle, "off") != 0 && strcmp(c->throttle, "aws") != 0)
		return jd_error_set(e, JD_EINVAL, "throttle must be off or aws, not '%s'",
		    c->throttle);
	if (strlen(c->account) != 12 || strspn(c->account, "0123456789") != 12)
		return jd_error_set(e, JD_EINVAL, "account-id must be 12 digits, not '%s'",
		    c->account);
	if (strncmp(c->store, "postgres://", 11) == 0 ||
	    strncmp(c->store, "postgresql://", 13) == 0)
		pg = true; /* the URI goes to libpq whole; it may hold a password: never echoed */
	else if (strncmp(c->store, "sqlite:", 7) != 0 || c->store[7] == '\0')
		return jd_error_set(e, JD_EINVAL,
		    "store must be sqlite:PATH or postgres://USER@HOST[:PORT]/DB");
	if (c->listen[0] == '\0')
		return jd_error_set(e, JD_EINVAL, "listen must be set");
	if (strcmp(c->store_check, "quick") != 0 && strcmp(c->store_check, "full") != 0 &&
	    strcmp(c->store_check, "off") != 0)
		return jd_error_set(e, JD_EINVAL,
		    "store-check must be quick, full or off, not '%s'", c->store_check);
	if (c->mqtt[0] != '\0') {
		const char *colon = strrchr(c->mqtt, ':');
		int64_t port;
		if (colon == NULL || colon == c->mqtt || core_parse_u63(colon + 1, &port) != 0 ||
		    port < 1 || port > 65535)
			return jd_error_set(e, JD_EINVAL, "mqtt must be HOST:PORT, not '%s'",
			    c->mqtt);
	}
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
		return jd_error_set(e, JD_EINVAL, "tls-cert and tls-key go together");
	if (c->data_client_ca[0] != '\0' && c->tls_cert[0] == '\0')
		return jd_error_set(e, JD_EINVAL, "data-client-ca needs tls-cert and tls-key");
	if (c->data_client_ca[0] != '\0' && c->data_listen[0] == '\0')
		return jd_error_set(e, JD_EINVAL,
		    "data-client-ca needs a data listener (data-listen)");
	if ((c->mqtt_certfile[0] == '\0') != (c->mqtt_keyfile[0] == '\0'))
		return jd_error_set(e, JD_EINVAL, "mqtt-certfile and mqtt-keyfile go together");
	if (c->mqtt_certfile[0] != '\0' && c->mqtt_cafile[0] == '\0')
		return jd_error_set(e, JD_EINVAL,
		    "mqtt-certfile needs mqtt-cafile (TLS to the broker)");
	if (c->mqtt_protocol[0] == '\0' || strcmp(c->mqtt_protocol, "auto") == 0)
		c->mqtt_proto = 0;
	else if (strcmp(c->mqtt_protocol, "5") == 0)
		c->mqtt_proto = 5;
	else if (strcmp(c->mqtt_protocol, "3.1.1") == 0)
		c->mqtt_proto = 4;
	else
		return jd_error_set(e, JD_EINVAL,
		    "mqtt-protocol must be 5, 3.1.1 or auto, not '%s'", c->mqtt_protocol);
	c->shard = 0;
	c->shards = 1;
	if (c->mqtt_shard[0] != '\0') {
		char tmp[32], *slash;
		int64_t i, n;
		jd_strlcpy(tmp, c->mqtt_shard, sizeof(tmp));
		slash = strchr(tmp, '/');
		if (slash == NULL)
			return jd_error_set(e, JD_EINVAL, "mqtt-shard must be I/N, not '%s'",
			    c->mqtt_shard);
		*slash = '\0';
		if (core_parse_u63(tmp, &i) != 0 || core_parse_u63(slash + 1, &n) != 0 || n < 1 ||
		    n > 1024 || i >= n)
			return jd_error_set(e, JD_EINVAL,
			    "mqtt-shard must be I/N with 0 <= I < N <= 1024, not '%s'",
			    c->mqtt_shard);
		c->shard = (int)i;
		c->shards = (int)n;
	}
	if (c->node_id[0] == '\0') {
		char host[48] = "";
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			jd_strlcpy(host, "jobsd", sizeof(host));
		snprintf(c->node_id, sizeof(c->node_id), "%s-%ld", host, (long)getpid());
	}
	for (const char *p = c->node_id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return jd_error_set(e, JD_EINVAL,
			    "node-id must be 1-63 of [A-Za-z0-9._-], not '%s'", c->node_id);
	if (core_endpoint_lookup(c->public_endpoint, NULL, NULL, 0) < 0)
		return jd_error_set(e, JD_EINVAL,
		    "public-endpoint must be HOST[:PORT] or TYPE=HOST[:PORT],... with TYPE one of "
		    "%s, not '%s'",
		    CORE_ENDPOINT_TYPES, c->public_endpoint);
	if (log_format_parse(c->log_format, &c->log_format_id) != 0)
		return jd_error_set(e, JD_EINVAL, "log-format must be text or json, not '%s'",
		    c->log_format);
	if (c->admin_listen[0] != '\0') {
		split_addr(c->admin_listen, &c->admin_listen_addr);
		if (c->admin_listen_addr.port < 0)
			return jd_error_set(e, JD_EINVAL,
			    "admin-listen must be ADDR:PORT, not '%s'", c->admin_listen);
	}
	split_addr(c->listen, &c->listen_addr);
	split_addr(c->data_listen, &c->data_listen_addr);
	split_addr(c->mqtt, &c->mqtt_addr);
	jd_strlcpy(c->store_spec.kind, pg ? "postgres" : "sqlite", sizeof(c->store_spec.kind));
	jd_strlcpy(c->store_spec.path, pg ? "" : c->store + 7, sizeof(c->store_spec.path));
	return check_unsafe(c, e);
}

void
config_wipe_secrets(struct config *c)
{
	explicit_bzero(c->mqtt_password, sizeof(c->mqtt_password));
}

int
config_load(struct config *c, int argc, char **argv, struct jd_error *e)
{
	const char *file = getenv("JOBSD_CONFIG");
	int rc;

	memset(c, 0, sizeof(*c));
	jd_strlcpy(c->listen, "127.0.0.1:8443", sizeof(c->listen));
	jd_strlcpy(c->data_listen, "127.0.0.1:8444", sizeof(c->data_listen));
	jd_strlcpy(c->store, "sqlite:./data/jobsd.db", sizeof(c->store));
	jd_strlcpy(c->account, "123456789012", sizeof(c->account));
	jd_strlcpy(c->auth, "off", sizeof(c->auth));
	jd_strlcpy(c->throttle, "off", sizeof(c->throttle));
	jd_strlcpy(c->store_check, "quick", sizeof(c->store_check));
	jd_strlcpy(c->log_format, "text", sizeof(c->log_format));
	c->log_level = JD_LOG_INFO;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
	}
	if (file != NULL && (rc = load_file(c, file, e)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char env[64], *v;
		snprintf(env, sizeof(env), "JOBSD_%s", opts[i].name);
		for (char *p = env; *p; p++)
			*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		if ((v = getenv(env)) != NULL && (rc = set(c, &opts[i], v, env, e)) != 0)
			return rc;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		const struct opt *o;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			c->show_help = true;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			c->show_version = true;
			continue;
		}
		if (strcmp(a, "--config") == 0) {
			if (++i >= argc)
				return jd_error_set(e, JD_EINVAL, "option --config needs a value");
			continue;
		}
		if (strncmp(a, "--config=", 9) == 0)
			continue;
		if (strncmp(a, "--", 2) != 0)
			return jd_error_set(e, JD_EINVAL, "unexpected argument '%s' (see --help)",
			    a);
		eq = strchr(a + 2, '=');
		o = find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (o == NULL)
			return jd_error_set(e, JD_EINVAL, "unknown option '%s' (see --help)", a);
		if (eq != NULL)
			val = eq + 1;
		else if (o->kind == OPT_BOOL)
			val = "";
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return jd_error_set(e, JD_EINVAL, "option %s needs a value", a);
		if ((rc = set(c, o, val, a, e)) != 0)
			return rc;
		if (o->off == offsetof(struct config, mqtt_password))
			c->mqtt_password_argv = true;
	}
	if (c->show_help || c->show_version)
		return 0;
	return validate(c, e);
}
