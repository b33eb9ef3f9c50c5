/*
 * api.h: the AWS REST surface of jobsd (services `iot` and `iot-jobs-data`)
 * over libmicrohttpd. Two listeners: the main one (control plane for
 * unsigned requests) and the data one (device plane for unsigned requests);
 * signed requests are routed by their SigV4 credential scope (D6).
 * Optionally HTTPS on both, with device mutual TLS on the data listener.
 */
#ifndef JD_API_API_H
#define JD_API_API_H

#include <stdbool.h>
#include <stdint.h>

#include "svc/svc.h"
#include "util/err.h"

struct auth;
struct auth_throttle;

struct api_config {
	const char *listen;      /* "ADDR:PORT", port 0 = any free port */
	const char *data_listen; /* "ADDR:PORT" or NULL/"" for none */
	const char *account;
	bool test_rig; /* D22 admin endpoints */
	/* reported by /_jobsd/status; NULL when there is no MQTT device plane */
	bool (*mqtt_ready)(const void *arg);
	const void *mqtt_arg;
	/* borrowed; NULL = auth off: any request is accepted, routed by its
	 * unverified scope or by listener (D6, D18) */
	struct auth *auth;
	/* borrowed; NULL = no rate limits (D19) */
	struct auth_throttle *throttle;
	/* PEM files; both set: both listeners speak HTTPS only (NULL: plain HTTP) */
	const char *tls_cert;
	const char *tls_key;
	/* PEM CA; set (needs tls_cert): the data listener authenticates devices
	 * by client certificate, whose subject CN is the thing name. Unsigned
	 * data-plane requests need no SigV4 then, and every data-plane request
	 * may name only that thing (403 AccessDeniedException otherwise). */
	const char *data_client_ca;
	/* connection fairness (docs/operations.md#hardening); 0 = the default of
	 * jd_limits.h. Connections per client address on each listener
	 * (JD_HTTP_CONN_PER_IP; refused at accept beyond it); seconds for a
	 * request's header section from accept (JD_HTTP_HEADERS_S), for the whole
	 * request (JD_HTTP_REQUEST_S), and for the next header section after an
	 * answer on a kept-alive connection (JD_HTTP_KEEPALIVE_S). */
	unsigned http_conn_per_ip;
	/* threads of each listener's epoll pool, which serve reads themselves
	 * (0: the CPUs, 2..JD_HTTP_IO_THREADS_MAX); more when a read waits on
	 * a store's round trips (PostgreSQL) */
	unsigned io_threads;
	unsigned http_headers_s;
	unsigned http_request_s;
	unsigned http_keepalive_s;
	/* DescribeEndpoint (h_endpoint.c): --public-endpoint, validated (NULL or
	 * "" = the defaults), and the broker's HOST:PORT (NULL or "" = none) */
	const char *public_endpoint;
	const char *mqtt_endpoint;
};

struct api;

/* Start both listeners; *out owned by caller (api_destroy). */
int api_create(const struct api_config *cfg, struct svc *svc, struct api **out, struct jd_error *e);
/* Bound ports (after api_create). data port 0 when no data listener. */
int api_port(const struct api *a);
int api_data_port(const struct api *a);
/* Re-read the TLS certificate, key and client CA (SIGHUP): new handshakes
 * use them, open connections keep theirs. A bad file keeps the previous
 * ones and returns JD_EINVAL. *changed: whether anything was replaced.
 * No-op (0) without TLS. */
int api_reload_tls(struct api *a, bool *changed, struct jd_error *e);
/* Stop accepting, finish in-flight requests, free. NULL-safe. */
void api_destroy(struct api *a);

/* ---- the admin listener (admin.c, issue 14, D28) ------------------------ */

struct api_admin_config {
	const char *listen; /* "ADDR:PORT", port 0 = any free port */
	/* borrowed; NULL = auth off. On: every route but the open ones
	 * (/healthz, /readyz) needs a SigV4 signature by a key the credentials
	 * file marks admin, or the bearer token */
	struct auth *auth;
	/* a file holding the bearer token (`Authorization: Bearer TOKEN`); NULL
	 * = none. Re-read by api_admin_reload. */
	const char *token_file;
	/* the broker connection for /readyz and /metrics; NULL: no MQTT */
	bool (*mqtt_ready)(const void *arg);
	const void *mqtt_arg;
};

struct api_admin;

/* Start the admin listener; *out owned by caller (api_admin_destroy). */
int api_admin_create(const struct api_admin_config *cfg, struct svc *svc, struct api_admin **out,
    struct jd_error *e);
int api_admin_port(const struct api_admin *a);
/* Re-read the bearer token file (SIGHUP); a bad file keeps the old token. */
int api_admin_reload(struct api_admin *a, struct jd_error *e);
/* Stop and free. NULL-safe. */
void api_admin_destroy(struct api_admin *a);

#endif
