/*
 * config.h: jobsd's configuration: defaults, then a config file, then the
 * environment (JOBSD_*), then command-line flags, validated into one
 * immutable struct. config_load also splits the addresses and the store spec
 * (struct config_addr, struct config_store), so main only reads the result.
 */
#ifndef JD_CONFIG_H
#define JD_CONFIG_H

#include <stdbool.h>

#include "util/err.h"

/* An "ADDR:PORT" address split at its last ':'. */
struct config_addr {
	char host[256]; /* "" when the value has no ':' */
	int port;       /* -1 when not a number 0..65535 (a listener: api_create says so) */
};

/* A store spec "KIND:PATH" ("sqlite:./data/jobsd.db"), split. */
struct config_store {
	char kind[16];   /* "sqlite" */
	char path[1024]; /* the database file */
};

struct config {
	char listen[128];
	char data_listen[128];
	char store[1024];
	char account[16];
	char auth[16];                   /* "off" | "sigv4" */
	char credentials_file[1024];     /* sigv4: `ACCESS_KEY_ID SECRET` lines */
	char outgoing_credentials[1024]; /* D27: `ROLE_ARN|default KEY SECRET [REGION]` lines */
	char outgoing_ca_file[1024];     /* PEM CAs for S3's TLS; "" = the system's */
	char throttle[16];               /* "off" | "aws": preset of per-operation rates */
	char throttle_rates[2048];       /* "Op=TPS,..." overrides on top of the preset */
	char tls_cert[1024];             /* PEM; with tls_key: both listeners speak HTTPS */
	char tls_key[1024];
	char data_client_ca[1024]; /* PEM CA: device mutual TLS on the data listener */
	bool test_rig;
	char store_check[16]; /* "quick" | "full" | "off": the store's check at start */
	int log_level;
	char mqtt[256]; /* broker HOST:PORT, "" = no MQTT */
	char mqtt_client_id[128];
	int mqtt_queue_mib;       /* 0: the bridge's default */
	int mqtt_out_kib;         /* 0: the bridge's default (4 MiB) */
	int http_conn_per_ip;     /* 0: api's default (JD_HTTP_CONN_PER_IP) */
	int http_header_s;        /* 0: JD_HTTP_HEADERS_S */
	int http_request_s;       /* 0: JD_HTTP_REQUEST_S */
	int http_keepalive_s;     /* 0: JD_HTTP_KEEPALIVE_S */
	int fanout_chunk;         /* things per fan-out chunk; 0: SVC_FANOUT_CHUNK (issue 15) */
	int test_fanout_pause_ms; /* test rig: pause between fan-out chunks; 0 none */
	char mqtt_username[128];
	char mqtt_password[256];
	char mqtt_cafile[1024];
	char mqtt_certfile[1024]; /* jobsd's client certificate for the broker (PEM) */
	char mqtt_keyfile[1024];
	/* DescribeEndpoint addresses, "" = the defaults (api/h_endpoint.c) */
	char public_endpoint[1024];
	char mqtt_shard[32];   /* "i/N" (D20) */
	char mqtt_protocol[8]; /* "auto" | "5" | "3.1.1" */
	int mqtt_proto;        /* parsed: 0 auto, 5, 4 (3.1.1) */
	char node_id[64];      /* this node in logs, leases, broker client id (D24) */
	/* operators (issue 14) */
	char admin_listen[128];      /* "ADDR:PORT" of the admin listener, "" = none */
	char admin_token_file[1024]; /* bearer token for the admin listener */
	char log_format[8];          /* "text" | "json" */
	int log_format_id;           /* parsed: JD_LOG_TEXT or JD_LOG_JSON */
	char access_log[1024];       /* FILE, "-" for stdout, "" = none */
	struct config_addr admin_listen_addr;
	int shard, shards;       /* parsed from mqtt_shard */
	bool mqtt_password_argv; /* --mqtt-password was a flag: others can read it (ps) */
	bool show_help;
	bool show_version;
	/* Parsed from the strings above by config_load (not with --help or
	 * --version). The listeners stay as strings too: api_create validates
	 * them, so a bad listener is a start-up failure, not a config error. */
	struct config_addr listen_addr;
	struct config_addr data_listen_addr; /* host "" and port -1 when data_listen is "" */
	struct config_addr mqtt_addr;        /* validated: port 1..65535 when mqtt is set */
	struct config_store store_spec;      /* validated */
};

/* Parse argv (and the file named by --config / JOBSD_CONFIG, and the env).
 * On error returns JD_EINVAL with a one-line message in e: a bad value, or
 * an unsafe combination (docs/operations.md#hardening): a device client CA with
 * auth off on a non-loopback control listener, --test-rig without auth on a
 * non-loopback listener, the admin listener on a non-loopback address with
 * neither auth nor an admin token, a secret file (TLS key, MQTT key,
 * credentials, admin token)
 * readable or writable by others, any other configured file writable by
 * others. main exits 2 on it. */
int config_load(struct config *c, int argc, char **argv, struct jd_error *e);
/* Whether an address's host is loopback: 127.0.0.0/8, ::1 or localhost
 * (the empty host listens on every address: not loopback). */
bool config_addr_loopback(const struct config_addr *a);
/* Usage text for --help. */
void config_usage(const char *prog);
/* Wipe the secrets (the MQTT password) once they are handed over. */
void config_wipe_secrets(struct config *c);

#endif
