/*
 * admin_routes.c: the admin listener's route table and its health routes
 * (issue 14). To add an endpoint: write `void fn(struct admin_req *q)` (in
 * a file of its own for anything larger than a few lines), declare it in
 * admin_int.h, and add one line below. Paths are matched segment by
 * segment; `{name}` captures a segment into q->label[]. `open` routes are
 * served without authentication: only the health checks, which a load
 * balancer calls and which reveal nothing.
 *
 * /healthz: the process is alive and serving (always 200).
 * /readyz: 200 when the store takes a write and, with MQTT configured, the
 * broker connection is up (subscribed); otherwise 503 with the reasons.
 * The write probe (svc_store_probe: one meta row updated and committed
 * through the group commit) runs at most once per ADMIN_READY_CACHE_MS;
 * calls in between answer the last outcome, and a probe stuck for
 * ADMIN_PROBE_SLOW_MS (the store's lock held elsewhere) answers not ready
 * without waiting for it.
 */
#include "api/admin_int.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

static void admin_h_healthz(struct admin_req *q);
static void admin_h_readyz(struct admin_req *q);
static void admin_h_metrics(struct admin_req *q);

/* clang-format off */
const struct admin_route admin_routes[] = {
	{API_GET, "healthz", admin_h_healthz, .open = true},
	{API_GET, "readyz", admin_h_readyz, .open = true},
	{API_GET, "metrics", admin_h_metrics, .open = false},
	/* the dashboard (issue 14, docs/dashboard.md): its files, its session, its API */
	{API_GET, "", admin_h_static, .open = true},
	{API_GET, "static/{file}", admin_h_static, .open = true},
	{API_GET, "api/session", admin_h_session, .open = true},
	{API_POST, "api/login", admin_h_login, .open = true},
	{API_POST, "api/logout", admin_h_logout, .open = true},
	{API_GET, "api/jobs", admin_h_dash_jobs, .open = false},
	{API_GET, "api/jobs/{jobId}", admin_h_dash_job, .open = false},
	{API_POST, "api/jobs/{jobId}/cancel", admin_h_dash_job_cancel, .open = false},
	{API_GET, "api/jobs/{jobId}/executions", admin_h_dash_execs, .open = false},
	{API_GET, "api/jobs/{jobId}/executions/{thingName}/{n}", admin_h_dash_exec, .open = false},
	{API_DELETE, "api/jobs/{jobId}/executions/{thingName}/{n}", admin_h_dash_exec_delete, .open = false},
	{API_POST, "api/jobs/{jobId}/executions/{thingName}/cancel", admin_h_dash_exec_cancel, .open = false},
	{API_GET, "api/things/{thingName}", admin_h_dash_thing, .open = false},
	{API_GET, "api/stream", admin_h_stream, .open = false},
	{API_GET, "api/features", admin_h_features, .open = false},
	/* a job's rollout (admin_jobs.c, issue 14) */
	{API_POST, "api/jobs/{jobId}/pause", admin_h_job_pause, .open = false},
	{API_POST, "api/jobs/{jobId}/resume", admin_h_job_resume, .open = false},
	{API_GET, "api/jobs/{jobId}/rollout", admin_h_job_rollout, .open = false},
	{API_GET, "api/jobs/{jobId}/timeline", admin_h_job_timeline, .open = false},
	{API_GET, "api/jobs/{jobId}/plan", admin_h_job_plan, .open = false},
	{API_POST, "api/whatif", admin_h_whatif, .open = false},
};
/* clang-format on */

const int admin_nroutes = (int)(sizeof(admin_routes) / sizeof(admin_routes[0]));

int
admin_cached(struct api_admin *a, struct admin_cache *c, int64_t max_age_ms, int64_t slow_ms,
    int (*refresh)(struct api_admin *a, char *msg, size_t msgsz), char *why, size_t n)
{
	int64_t now = admin_mono_ms();
	char msg[sizeof(c->msg)] = "";
	int rc;

	pthread_mutex_lock(&c->mu);
	if (c->started_ms != 0 || (c->at_ms != 0 && now - c->at_ms < max_age_ms)) {
		/* fresh, or another thread is refreshing it */
		if (c->started_ms != 0 && slow_ms > 0 && now - c->started_ms >= slow_ms) {
			rc = JD_EUNAVAIL;
			snprintf(why, n, "the store write probe has not finished after %lld ms",
			    (long long)(now - c->started_ms));
		} else if (c->at_ms == 0) {
			rc = JD_EUNAVAIL;
			snprintf(why, n, "the first store write probe is still running");
		} else {
			rc = c->rc;
			jd_strlcpy(why, c->msg, n);
		}
		pthread_mutex_unlock(&c->mu);
		return rc;
	}
	c->started_ms = now;
	pthread_mutex_unlock(&c->mu);
	rc = refresh(a, msg, sizeof(msg));
	pthread_mutex_lock(&c->mu);
	c->started_ms = 0;
	c->at_ms = admin_mono_ms();
	c->rc = rc;
	jd_strlcpy(c->msg, rc != 0 ? msg : "", sizeof(c->msg));
	pthread_mutex_unlock(&c->mu);
	jd_strlcpy(why, rc != 0 ? msg : "", n);
	return rc;
}

static void
admin_h_healthz(struct admin_req *q)
{
	buf_puts(&q->out, "{\"status\":\"ok\"}");
}

static int
probe_store(struct api_admin *a, char *msg, size_t n)
{
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	rc = svc_store_probe(a->svc, &e);
	if (rc != 0) {
		/* The message is cut to fit; a cut readiness message is fine. */
		if (snprintf(msg, n, "the store does not take a write: %s", e.msg) < 0)
			msg[0] = '\0';
		log_warn("readyz: %s", msg);
	}
	jd_error_clear(&e);
	return rc;
}

static void
admin_h_readyz(struct admin_req *q)
{
	struct api_admin *a = q->a;
	char why[256];
	bool store_ok = admin_cached(a, &a->ready, ADMIN_READY_CACHE_MS, ADMIN_PROBE_SLOW_MS,
	                    probe_store, why, sizeof(why)) == 0;
	bool mqtt_on = a->cfg.mqtt_ready != NULL;
	bool mqtt_ok = !mqtt_on || a->cfg.mqtt_ready(a->cfg.mqtt_arg);
	struct jw w;

	q->status = store_ok && mqtt_ok ? 200 : 503;
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_kbool(&w, "ready", store_ok && mqtt_ok);
	jw_kstr(&w, "store", store_ok ? "ok" : why);
	jw_kstr(&w, "mqtt", !mqtt_on ? "off" : mqtt_ok ? "ok" : "not connected to the broker");
	jw_obj_end(&w);
}

static void
admin_h_metrics(struct admin_req *q)
{
	q->content_type = "text/plain; version=0.0.4; charset=utf-8";
	admin_metrics_render(q);
}
