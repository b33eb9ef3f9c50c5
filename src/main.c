/*
 * main.c: jobsd's process: configuration, the store, the service, the two
 * HTTP listeners, signals, and an orderly stop. SIGTERM/SIGINT stop
 * accepting, let in-flight requests finish, stop background work, close the
 * store (a final checkpoint) and exit 0. SIGHUP re-reads the log level and,
 * with auth=sigv4, the credentials file (a bad file keeps the old keys), and
 * with TLS the certificate, key and client CA (likewise).
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/auth.h"
#include "config.h"
#include "jd_limits.h"
#include "mqtt/bridge.h"
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

static int
make_parent_dir(const char *store_spec)
{
	char path[1024], *slash;

	if (strncmp(store_spec, "sqlite:", 7) != 0)
		return 0;
	jd_strlcpy(path, store_spec + 7, sizeof(path));
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
bound_malloc_arenas(void)
{
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		mallopt(M_ARENA_MAX, sys_cpus(2, JD_MALLOC_ARENAS_MAX));
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct jd_error e;
	struct jd_clock clk;
	struct store *store = NULL;
	struct svc svc;
	bool svc_up = false;
	struct api *api = NULL;
	struct mqtt_bridge *mqtt = NULL;
	struct auth *auth = NULL;
	struct auth_throttle *throttle = NULL;
	sigset_t set;
	int sig, rc = 1;

	bound_malloc_arenas();
	jd_error_init(&e);
	if (config_load(&cfg, argc, argv, &e) != 0) {
		fprintf(stderr, "jobsd: %s\n", e.msg);
		return 2;
	}
	if (cfg.show_help) {
		config_usage(argv[0]);
		return 0;
	}
	if (cfg.show_version) {
		printf("jobsd %s\n", JOBSD_VERSION);
		return 0;
	}
	log_set_level(cfg.log_level);

	/* Signals are taken synchronously by this thread; block them everywhere. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.test_rig)
		log_warn("TEST-RIG MODE: /_jobsd/ admin endpoints (reset, virtual clock) are enabled; "
		         "never use this in production");
	if (strcmp(cfg.auth, "off") == 0) {
		log_warn("AUTH IS OFF: every request is accepted without a signature");
		if (cfg.credentials_file[0] != '\0')
			log_warn("credentials-file %s is ignored: auth is off", cfg.credentials_file);
	} else {
		if (auth_create(cfg.credentials_file, &auth, &e) != 0) {
			log_error("%s", e.msg);
			rc = 2; /* a configuration error, like those config_load finds */
			goto out;
		}
		log_info("auth: SigV4, %zu key(s) from %s", auth_key_count(auth), cfg.credentials_file);
		if (auth_key_count(auth) == 0)
			log_warn("auth: %s holds no keys: every request will be refused", cfg.credentials_file);
		if (cfg.test_rig)
			log_warn("auth: test-rig endpoints (/_jobsd/, /moto-api/reset) accept unsigned requests");
	}
	if (auth_throttle_create(cfg.throttle, cfg.throttle_rates, &throttle, &e) != 0) {
		log_error("%s", e.msg);
		rc = 2;
		goto out;
	}
	if (throttle != NULL)
		log_info("throttling on (preset %s%s%s)", cfg.throttle, cfg.throttle_rates[0] ? ", rates " : "",
		    cfg.throttle_rates);
	clock_init(&clk, cfg.test_rig);
	make_parent_dir(cfg.store);
	if (store_open(cfg.store, &store, &e) != 0) {
		log_error("cannot open store %s: %s", cfg.store, e.msg);
		goto out;
	}
	if (svc_init(&svc, store, &clk, cfg.account, &e) != 0) {
		log_error("cannot start: %s", e.msg);
		goto out;
	}
	svc_up = true;
	if (cfg.mqtt[0] != '\0') {
		char host[256], client_id[160];
		const char *colon = strrchr(cfg.mqtt, ':');
		struct mqtt_config mc = {0};
		jd_strlcpy(host, cfg.mqtt, sizeof(host));
		host[colon - cfg.mqtt] = '\0';
		if (cfg.mqtt_client_id[0] != '\0') {
			jd_strlcpy(client_id, cfg.mqtt_client_id, sizeof(client_id));
		} else {
			char hn[64] = "node";
			gethostname(hn, sizeof(hn) - 1);
			snprintf(client_id, sizeof(client_id), "jobsd-%s-%d", hn, (int)getpid());
		}
		mc.host = host;
		mc.port = atoi(colon + 1);
		mc.client_id = client_id;
		mc.username = cfg.mqtt_username[0] ? cfg.mqtt_username : NULL;
		mc.password = cfg.mqtt_password[0] ? cfg.mqtt_password : NULL;
		mc.cafile = cfg.mqtt_cafile[0] ? cfg.mqtt_cafile : NULL;
		mc.certfile = cfg.mqtt_certfile[0] ? cfg.mqtt_certfile : NULL;
		mc.keyfile = cfg.mqtt_keyfile[0] ? cfg.mqtt_keyfile : NULL;
		mc.shard = cfg.shard;
		mc.shards = cfg.shards;
		mc.wait_ms = 3000;
		mc.throttle = throttle != NULL ? mqtt_throttle : NULL;
		mc.throttle_arg = throttle;
		if (mqtt_bridge_create(&mc, &svc, &mqtt, &e) != 0) {
			log_error("%s", e.msg);
			goto out;
		}
		memset(cfg.mqtt_password, 0, sizeof(cfg.mqtt_password));
	}
	struct api_config ac = {
		.listen = cfg.listen,
		.data_listen = cfg.data_listen,
		.account = cfg.account,
		.test_rig = cfg.test_rig,
		.mqtt_ready = mqtt ? mqtt_ready : NULL,
		.mqtt_arg = mqtt,
		.auth = auth,
		.throttle = throttle,
		.tls_cert = cfg.tls_cert[0] ? cfg.tls_cert : NULL,
		.tls_key = cfg.tls_key[0] ? cfg.tls_key : NULL,
		.data_client_ca = cfg.data_client_ca[0] ? cfg.data_client_ca : NULL,
	};
	if (api_create(&ac, &svc, &api, &e) != 0) {
		log_error("%s", e.msg);
		goto out;
	}
	{
		char host0[128], host1[128];
		const char *c0 = strrchr(cfg.listen, ':'), *c1 = strrchr(cfg.data_listen, ':');
		jd_strlcpy(host0, cfg.listen, sizeof(host0));
		host0[c0 ? c0 - cfg.listen : 0] = '\0';
		jd_strlcpy(host1, cfg.data_listen, sizeof(host1));
		host1[c1 ? c1 - cfg.data_listen : 0] = '\0';
		if (api_data_port(api) > 0)
			printf("jobsd ready control=%s:%d data=%s:%d\n", host0, api_port(api), host1,
			    api_data_port(api));
		else
			printf("jobsd ready control=%s:%d data=none\n", host0, api_port(api));
		fflush(stdout);
	}
	if (ac.tls_cert != NULL)
		log_info("TLS on both listeners (certificate %s)%s%s", cfg.tls_cert,
		    ac.data_client_ca ? "; device mutual TLS on the data listener, client CA " : "",
		    ac.data_client_ca ? cfg.data_client_ca : "");
	log_info("jobsd %s serving, store %s", JOBSD_VERSION, cfg.store);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			struct config again;
			struct jd_error e2;
			jd_error_init(&e2);
			if (config_load(&again, argc, argv, &e2) == 0) {
				log_set_level(again.log_level);
				log_info("SIGHUP: log level reloaded");
			} else {
				log_warn("SIGHUP: configuration not reloaded: %s", e2.msg);
			}
			jd_error_clear(&e2);
			if (auth != NULL) {
				if (auth_reload(auth, &e2) == 0)
					log_info("SIGHUP: %zu key(s) reloaded from %s", auth_key_count(auth),
					    cfg.credentials_file);
				else
					log_warn("SIGHUP: credentials not reloaded, the previous keys stay in force: %s",
					    e2.msg);
				jd_error_clear(&e2);
			}
			{
				bool changed = false;
				if (api_reload_tls(api, &changed, &e2) != 0)
					log_warn("SIGHUP: TLS files not reloaded, the previous ones stay in force: %s",
					    e2.msg);
				else if (changed)
					log_info("SIGHUP: TLS certificate, key and client CA reloaded; new "
					         "connections use them");
				jd_error_clear(&e2);
			}
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
	rc = 0;
out:
	api_destroy(api);
	mqtt_bridge_stop(mqtt); /* its workers may still use the throttle and svc */
	if (svc_up)
		svc_fini(&svc);
	mqtt_bridge_destroy(mqtt);
	auth_throttle_destroy(throttle);
	auth_destroy(auth);
	store_close(store);
	jd_error_clear(&e);
	return rc;
}
