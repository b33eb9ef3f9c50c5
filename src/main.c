/*
 * main.c: jobsd's process: configuration, the store, the service, the two
 * HTTP listeners, signals, and an orderly stop. main() is the list of setup
 * steps, each filling one part of struct jobsd, then serve(), then one
 * cleanup path (cleanup(), which takes whatever was set up, in reverse).
 *
 * SIGTERM/SIGINT stop accepting, let in-flight requests finish, stop
 * background work, close the store (a final checkpoint) and exit 0. SIGHUP
 * re-reads the log level and, with auth=sigv4, the credentials file (a bad
 * file keeps the old keys), the outgoing credentials (likewise), and with TLS the certificate, key and client CA
 * (likewise).
 *
 * Exit status: 0 after a signal (or --help, --version); 2 for a
 * configuration error (config_load's, among them the unsafe combinations it
 * refuses; the credentials file, the throttle rates); 1 when the store (its
 * start-up check included), the service, the MQTT bridge or a listener does
 * not start. Each with one line saying why (docs/operations.md#hardening).
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/auth.h"
#include "config.h"
#include "copystore.h"
#include "jd_limits.h"
#include "mqtt/bridge.h"
#include "s3/s3.h"
#include "store/store.h"
#include "svc/svc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/sys.h"

static int
mqtt_throttle(void *arg, const char *op)
{
	return auth_throttle_take(arg, JD_PLANE_DATA, op);
}

static bool
mqtt_ready(const void *arg)
{
	return mqtt_bridge_ready(arg);
}

/* The outgoing S3 hooks of svc (D27): s3/ reads, auth/ signs. */
static int
s3_hook_get(void *ctx, const char *url, int64_t now_s, size_t max, char **body, size_t *n,
    struct jd_error *e)
{
	return s3_get(ctx, url, now_s, max, body, n, e);
}

static int
s3_hook_presign(void *ctx, const char *role_arn, const char *url, size_t n, int64_t now_s,
    int64_t expires_s, struct buf *out, struct jd_error *e)
{
	return auth_out_presign(ctx, role_arn, url, n, now_s, expires_s, out, e);
}

static bool
s3_hook_has_role(void *ctx, const char *role_arn)
{
	return auth_out_has(ctx, role_arn);
}

/* Everything the process holds; main's steps fill it, cleanup() frees it. */
struct jobsd {
	int argc;
	char **argv;
	struct config cfg;
	struct jd_error err;
	sigset_t signals; /* taken synchronously by serve() */
	struct auth *auth;
	struct auth_out *out_creds; /* --outgoing-credentials (D27) */
	struct s3 *s3;
	struct auth_throttle *throttle;
	struct jd_clock clock;
	struct store *store;
	struct svc svc;
	bool svc_up;
	struct mqtt_bridge *mqtt;
	struct api *api;
	struct api_admin *admin; /* --admin-listen (issue 14) */
};

/* Exit statuses of a failed step. */
#define EXIT_CONFIG 2 /* like config_load's errors */
#define EXIT_START 1
/* things per fan-out chunk on PostgreSQL unless --fanout-chunk is given
 * (SQLite: SVC_FANOUT_CHUNK): measured best of 500, 2,000 and 5,000 */
#define MAIN_FANOUT_CHUNK_PG 2000

static int
make_parent_dir(const char *db_path)
{
	char path[1024], *slash;

	jd_strlcpy(path, db_path, sizeof(path));
	slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0;
	*slash = '\0';
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0750);
			*p = '/';
		}
	}
	mkdir(path, 0750);
	return 0;
}

/*
 * glibc gives each thread that allocates concurrently its own arena, up to
 * 8 per CPU, and an arena keeps what it once held: with 64 HTTP workers,
 * large transient allocations (a CreateJob over 100,000 things) left the
 * peak of each arena resident, 120 MB with 1,000,000 executions stored
 * against 43 MB with 2 arenas (bench/README.md). Bounded by the CPUs (2..4)
 * unless MALLOC_ARENA_MAX says otherwise.
 */
static void
setup_malloc(void)
{
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		mallopt(M_ARENA_MAX, sys_cpus(2, JD_MALLOC_ARENAS_MAX));
}

/*
 * The setup steps. Each returns 0 to go on or the exit status to stop with
 * (EXIT_CONFIG, EXIT_START), having logged why; cleanup() undoes them.
 */

/* Also prints --help or --version: main then stops with 0. */
static int
setup_config(struct jobsd *j)
{
	if (config_load(&j->cfg, j->argc, j->argv, &j->err) != 0) {
		fprintf(stderr, "jobsd: %s\n", j->err.msg);
		return EXIT_CONFIG;
	}
	if (j->cfg.show_help)
		config_usage(j->argv[0]);
	else if (j->cfg.show_version)
		printf("jobsd %s\n", JOBSD_VERSION);
	return 0;
}

static int
setup_logging(struct jobsd *j)
{
	const struct config *c = &j->cfg;

	log_set_level(c->log_level);
	log_set_format(c->log_format_id);
	if (c->access_log[0] != '\0' && log_access_open(c->access_log) != 0) {
		log_error("cannot open access-log %s: %s", c->access_log, strerror(errno));
		return EXIT_CONFIG;
	}
	/* shown whatever the log level */
	if (c->test_rig)
		log_msg(log_get_level() < JD_LOG_WARN ? JD_LOG_ERROR : JD_LOG_WARN,
		    "TEST-RIG MODE: /_jobsd/reset, /moto-api/reset (wipe the store) and "
		    "/_jobsd/clock (a virtual clock, moved forward at will) are served on the "
		    "control listener %s%s; never use this in production",
		    c->listen,
		    strcmp(c->auth, "off") == 0 ? " to anyone who reaches it (auth is off)" :
		                                  " to admin keys");
	if (c->mqtt_password_argv)
		log_warn("mqtt-password is on the command line, where any local user can read it "
		         "(ps); prefer JOBSD_MQTT_PASSWORD or the config file");
	if (c->mqtt_password[0] != '\0' && c->mqtt_cafile[0] == '\0' &&
	    !config_addr_loopback(&c->mqtt_addr))
		log_warn("mqtt: the password goes to %s in clear text (no mqtt-cafile: no TLS)",
		    c->mqtt);
	return 0;
}

/* Block the stop and reload signals in every thread (the threads started
 * later inherit the mask): serve() takes them with sigwait. */
static int
setup_signals(struct jobsd *j)
{
	sigemptyset(&j->signals);
	sigaddset(&j->signals, SIGTERM);
	sigaddset(&j->signals, SIGINT);
	sigaddset(&j->signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &j->signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
setup_auth(struct jobsd *j)
{
	const struct config *c = &j->cfg;

	if (strcmp(c->auth, "off") == 0) {
		log_warn("AUTH IS OFF: every request is accepted without a signature");
		if (c->credentials_file[0] != '\0')
			log_warn("credentials-file %s is ignored: auth is off",
			    c->credentials_file);
		return 0;
	}
	if (auth_create(c->credentials_file, &j->auth, &j->err) != 0) {
		log_error("%s", j->err.msg);
		return EXIT_CONFIG;
	}
	log_info("auth: SigV4, %zu key(s) from %s", auth_key_count(j->auth), c->credentials_file);
	if (auth_key_count(j->auth) == 0)
		log_warn("auth: %s holds no keys: every request will be refused",
		    c->credentials_file);
	if (c->test_rig && auth_admin_count(j->auth) == 0)
		log_warn("auth: %s marks no key admin: every test-rig request will be refused",
		    c->credentials_file);
	else if (c->test_rig)
		log_info("auth: test-rig endpoints need a request signed by one of the %zu admin "
		         "key(s)",
		    auth_admin_count(j->auth));
	return 0;
}

static int
setup_throttle(struct jobsd *j)
{
	const struct config *c = &j->cfg;

	if (auth_throttle_create(c->throttle, c->throttle_rates, &j->throttle, &j->err) != 0) {
		log_error("%s", j->err.msg);
		return EXIT_CONFIG;
	}
	if (j->throttle != NULL)
		log_info("throttling on (preset %s%s%s)", c->throttle,
		    c->throttle_rates[0] ? ", rates " : "", c->throttle_rates);
	return 0;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writable and sound, or exit 1 with the reason: before, a read-only or
 * damaged file started and then failed every write with 503. */
static int
check_store(struct jobsd *j)
{
	const struct config *c = &j->cfg;
	enum store_check_level level = strcmp(c->store_check, "off") == 0 ? STORE_CHECK_WRITE :
	    strcmp(c->store_check, "full") == 0                           ? STORE_CHECK_FULL :
	                                                                    STORE_CHECK_QUICK;
	int64_t t0 = mono_ms();

	if (store_check(j->store, level, &j->err) != 0) {
		log_error("store check failed (store-check=%s): %s", c->store_check, j->err.msg);
		return EXIT_START;
	}
	log_info("store check (%s) passed in %lld ms", c->store_check, (long long)(mono_ms() - t0));
	return 0;
}

static int
setup_store(struct jobsd *j)
{
	const struct config *c = &j->cfg;

	if (strcmp(c->store_spec.kind, "sqlite") == 0)
		make_parent_dir(c->store_spec.path);
	if (store_open(c->store, &j->store, &j->err) != 0) {
		char shown[sizeof(c->store)];

		log_error("cannot open store %s: %s",
		    store_spec_redact(c->store, shown, sizeof(shown)), j->err.msg);
		return EXIT_START;
	}
	return check_store(j);
}

static int
setup_svc(struct jobsd *j)
{
	int64_t offset = 0;

	clock_init(&j->clock, j->cfg.test_rig);
	/* The virtual clock never moves back under the store's times (D26):
	 * the test rig resumes it; the real clock does not start below it. */
	if (svc_clock_load(j->store, &offset, &j->err) != 0) {
		log_error("cannot start: %s", j->err.msg);
		return EXIT_START;
	}
	if (offset > 0 && j->cfg.test_rig) {
		clock_advance_ms(&j->clock, offset);
		log_warn("test rig: the virtual clock resumes %lld s ahead of real time, where the "
		         "store left it (POST /_jobsd/reset returns it to real time)",
		    (long long)(offset / 1000));
	} else if (offset > 0) {
		log_error(
		    "cannot start: the store was used with --test-rig and a virtual clock %lld "
		    "s ahead of real time, so it may hold times in the future of the real "
		    "clock; start with --test-rig (the clock resumes there) or reset the store",
		    (long long)(offset / 1000));
		return EXIT_START;
	}
	/* D24: on a shared database (PostgreSQL) the duties, and the MQTT
	 * shards unless --mqtt-shard splits them statically, go by leases */
	struct svc_node node = {
	    .id = j->cfg.node_id,
	    .leases = strcmp(j->cfg.store_spec.kind, "postgres") == 0,
	    .shard_leases = j->cfg.mqtt[0] != '\0' && j->cfg.shards <= 1,
	};
	if (svc_init_node(&j->svc, j->store, &j->clock, j->cfg.account, &node, &j->err) != 0) {
		log_error("cannot start: %s", j->err.msg);
		return EXIT_START;
	}
	j->svc_up = true;
	/* PostgreSQL: a fan-out chunk pays ~10 round trips and a commit, so
	 * larger chunks unless --fanout-chunk says (bench/README.md, "Scale") */
	svc_set_fanout(&j->svc,
	    j->cfg.fanout_chunk > 0 || strcmp(store_kind(j->store), "postgres") != 0 ?
	        j->cfg.fanout_chunk :
	        MAIN_FANOUT_CHUNK_PG,
	    j->cfg.test_rig ? j->cfg.test_fanout_pause_ms : 0);
	return 0;
}

/* Outgoing S3 (D27): documentSource reads and presigned URLs, when
 * --outgoing-credentials names a file. */
static int
setup_outgoing(struct jobsd *j)
{
	const struct config *c = &j->cfg;
	struct svc_s3 ops = {s3_hook_get, s3_hook_presign, s3_hook_has_role, NULL, NULL};

	if (c->outgoing_credentials[0] == '\0') {
		log_info("outgoing S3: none (no --outgoing-credentials): documentSource and "
		         "presignedUrlConfig are refused");
		return 0;
	}
	if (auth_out_create(c->outgoing_credentials, &j->out_creds, &j->err) != 0 ||
	    s3_create(j->out_creds, c->outgoing_ca_file, 0, &j->s3, &j->err) != 0) {
		log_error("%s", j->err.msg);
		return EXIT_CONFIG;
	}
	ops.get_ctx = j->s3;
	ops.sign_ctx = j->out_creds;
	svc_set_s3(&j->svc, &ops);
	log_info("outgoing S3: %zu entr%s from %s, CA %s", auth_out_count(j->out_creds),
	    auth_out_count(j->out_creds) == 1 ? "y" : "ies", c->outgoing_credentials,
	    c->outgoing_ca_file[0] ? c->outgoing_ca_file : "of the system");
	return 0;
}

/* The MQTT device plane, when a broker is configured. */
static int
setup_mqtt(struct jobsd *j)
{
	const struct config *c = &j->cfg;
	struct mqtt_config mc = {
	    .host = c->mqtt_addr.host,
	    .port = c->mqtt_addr.port,
	    .client_id = c->mqtt_client_id, /* "": the bridge draws a random one (D25) */
	    .node_id = c->node_id,          /* named in the drawn id */
	    .queue_bytes = (size_t)c->mqtt_queue_mib << 20, /* 0: the default */
	    .out_max_bytes = (size_t)c->mqtt_out_kib << 10, /* 0: the default */
	    .protocol = c->mqtt_proto,                      /* 0: auto */
	    .username = c->mqtt_username[0] ? c->mqtt_username : NULL,
	    .password = c->mqtt_password[0] ? c->mqtt_password : NULL,
	    .cafile = c->mqtt_cafile[0] ? c->mqtt_cafile : NULL,
	    .certfile = c->mqtt_certfile[0] ? c->mqtt_certfile : NULL,
	    .keyfile = c->mqtt_keyfile[0] ? c->mqtt_keyfile : NULL,
	    .shard = c->shard,
	    .shards = c->shards,
	    .wait_ms = 3000,
	    .throttle = j->throttle != NULL ? mqtt_throttle : NULL,
	    .throttle_arg = j->throttle,
	};

	if (c->mqtt[0] == '\0')
		return 0;
	if (mqtt_bridge_create(&mc, &j->svc, &j->mqtt, &j->err) != 0) {
		log_error("%s", j->err.msg);
		return EXIT_START;
	}
	config_wipe_secrets(&j->cfg);
	return 0;
}

/* The admin listener (issue 14), when configured: its address goes to
 * stdout as `jobsd admin=ADDR:PORT`, before the ready line. */
static int
setup_admin(struct jobsd *j)
{
	const struct config *c = &j->cfg;
	struct api_admin_config ac = {
	    .listen = c->admin_listen,
	    .auth = j->auth,
	    .token_file = c->admin_token_file[0] ? c->admin_token_file : NULL,
	    .mqtt_ready = j->mqtt ? mqtt_ready : NULL,
	    .mqtt_arg = j->mqtt,
	};

	if (c->admin_listen[0] == '\0')
		return 0;
	if (api_admin_create(&ac, &j->svc, &j->admin, &j->err) != 0) {
		log_error("%s", j->err.msg);
		return EXIT_START;
	}
	printf("jobsd admin=%s:%d\n", c->admin_listen_addr.host, api_admin_port(j->admin));
	log_info("admin listener on %s:%d (/healthz, /readyz, /metrics)%s",
	    c->admin_listen_addr.host, api_admin_port(j->admin),
	    j->auth == NULL && ac.token_file == NULL ? " without authentication (auth is off)" :
	                                               "");
	return 0;
}

/* Both HTTP listeners; then the "jobsd ready" line that scripts and the
 * tests wait for. */
static int
setup_http(struct jobsd *j)
{
	const struct config *c = &j->cfg;
	struct api_config ac = {
	    .listen = c->listen,
	    .data_listen = c->data_listen,
	    .account = c->account,
	    .test_rig = c->test_rig,
	    .http_conn_per_ip = (unsigned)c->http_conn_per_ip,
	    /* PostgreSQL: a read waits on a round trip, so more reads in flight */
	    .io_threads = strcmp(store_kind(j->store), "postgres") == 0 ?
	        (unsigned)sys_cpus(2, 4) * JD_HTTP_IO_THREADS_PG_PER_CPU :
	        0,
	    .http_headers_s = (unsigned)c->http_header_s,
	    .http_request_s = (unsigned)c->http_request_s,
	    .http_keepalive_s = (unsigned)c->http_keepalive_s,
	    .mqtt_ready = j->mqtt ? mqtt_ready : NULL,
	    .mqtt_arg = j->mqtt,
	    .auth = j->auth,
	    .throttle = j->throttle,
	    .tls_cert = c->tls_cert[0] ? c->tls_cert : NULL,
	    .tls_key = c->tls_key[0] ? c->tls_key : NULL,
	    .data_client_ca = c->data_client_ca[0] ? c->data_client_ca : NULL,
	    .public_endpoint = c->public_endpoint,
	    .mqtt_endpoint = c->mqtt,
	};

	if (api_create(&ac, &j->svc, &j->api, &j->err) != 0) {
		log_error("%s", j->err.msg);
		return EXIT_START;
	}
	if (api_data_port(j->api) > 0)
		printf("jobsd ready control=%s:%d data=%s:%d\n", c->listen_addr.host,
		    api_port(j->api), c->data_listen_addr.host, api_data_port(j->api));
	else
		printf("jobsd ready control=%s:%d data=none\n", c->listen_addr.host,
		    api_port(j->api));
	fflush(stdout);
	if (ac.tls_cert != NULL)
		log_info("TLS on both listeners (certificate %s)%s%s", c->tls_cert,
		    ac.data_client_ca ? "; device mutual TLS on the data listener, client CA " : "",
		    ac.data_client_ca ? c->data_client_ca : "");
	return 0;
}

/* SIGHUP: the log level, the credentials and the TLS files; whatever fails
 * to load keeps what was in force. */
static void
reload(struct jobsd *j)
{
	struct config again;
	struct jd_error e;
	bool changed = false;

	jd_error_init(&e);
	if (config_load(&again, j->argc, j->argv, &e) == 0) {
		log_set_level(again.log_level);
		log_set_format(again.log_format_id);
		log_info("SIGHUP: log level and format reloaded");
	} else {
		log_warn("SIGHUP: configuration not reloaded: %s", e.msg);
	}
	config_wipe_secrets(&again);
	jd_error_clear(&e);
	if (j->auth != NULL) {
		if (auth_reload(j->auth, &e) == 0)
			log_info("SIGHUP: %zu key(s) reloaded from %s", auth_key_count(j->auth),
			    j->cfg.credentials_file);
		else
			log_warn(
			    "SIGHUP: credentials not reloaded, the previous keys stay in force: %s",
			    e.msg);
		jd_error_clear(&e);
	}
	if (j->out_creds != NULL) {
		if (auth_out_reload(j->out_creds, &e) == 0)
			log_info("SIGHUP: %zu outgoing credential entr%s reloaded from %s",
			    auth_out_count(j->out_creds),
			    auth_out_count(j->out_creds) == 1 ? "y" : "ies",
			    j->cfg.outgoing_credentials);
		else
			log_warn("SIGHUP: outgoing credentials not reloaded, the previous ones "
			         "stay in force: %s",
			    e.msg);
		jd_error_clear(&e);
	}
	if (log_access_reopen() != 0)
		log_warn("SIGHUP: access log %s not reopened, writing to the old file: %s",
		    j->cfg.access_log, strerror(errno));
	if (api_admin_reload(j->admin, &e) != 0)
		log_warn("SIGHUP: admin token not reloaded, the previous one stays in force: %s",
		    e.msg);
	jd_error_clear(&e);
	if (api_reload_tls(j->api, &changed, &e) != 0)
		log_warn("SIGHUP: TLS files not reloaded, the previous ones stay in force: %s",
		    e.msg);
	else if (changed)
		log_info("SIGHUP: TLS certificate, key and client CA reloaded; new "
		         "connections use them");
	jd_error_clear(&e);
}

/* Until SIGTERM or SIGINT. */
static void
serve(struct jobsd *j)
{
	int sig;

	{
		char shown[sizeof(j->cfg.store)];

		log_info("jobsd %s serving as node %s, store %s", JOBSD_VERSION, j->cfg.node_id,
		    store_spec_redact(j->cfg.store, shown, sizeof(shown)));
	}
	for (;;) {
		if (sigwait(&j->signals, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		reload(j);
	}
	log_info("signal %d: stopping", sig);
}

/* Undo whatever the steps set up, in the order that keeps each part's users
 * stopped before it goes. */
static void
cleanup(struct jobsd *j)
{
	api_destroy(j->api);
	api_admin_destroy(j->admin);
	mqtt_bridge_stop(j->mqtt); /* its workers may still use the throttle and svc */
	if (j->svc_up)
		svc_fini(&j->svc);
	mqtt_bridge_destroy(j->mqtt);
	s3_destroy(j->s3);
	auth_out_destroy(j->out_creds);
	auth_throttle_destroy(j->throttle);
	auth_destroy(j->auth);
	store_close(j->store);
	log_access_close();
	jd_error_clear(&j->err);
}

int
main(int argc, char **argv)
{
	struct jobsd j = {.argc = argc, .argv = argv};
	int rc;

	if (argc > 1 && strcmp(argv[1], "copy-store") == 0)
		return copystore_main(argc - 1, argv + 1);
	jd_error_init(&j.err);
	setup_malloc();
	if ((rc = setup_config(&j)) != 0 || j.cfg.show_help || j.cfg.show_version)
		goto out;
	if ((rc = setup_logging(&j)) != 0 || (rc = setup_signals(&j)) != 0 ||
	    (rc = setup_auth(&j)) != 0 || (rc = setup_throttle(&j)) != 0 ||
	    (rc = setup_store(&j)) != 0 || (rc = setup_svc(&j)) != 0 ||
	    (rc = setup_outgoing(&j)) != 0 || (rc = setup_mqtt(&j)) != 0 ||
	    (rc = setup_admin(&j)) != 0 || (rc = setup_http(&j)) != 0)
		goto out;
	serve(&j);
out:
	cleanup(&j);
	return rc;
}
