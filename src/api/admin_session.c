/*
 * admin_session.c: how a browser authenticates to the admin listener
 * (issue 14, D28). EventSource cannot send an Authorization header, so the
 * dashboard logs in once: POST /api/login with the bearer token of
 * --admin-token-file sets a session cookie (HttpOnly, SameSite=Strict,
 * Path=/, 12 hours) that the listener then accepts like the token.
 *
 * The cookie is stateless: "EXPIRY.MAC", MAC = HMAC-SHA256 under the token
 * of "jobsd-dash-session\nEXPIRY". Every node holding the same token file
 * accepts it (several nodes behind one address), and rotating the token
 * (SIGHUP) ends every session at once. A request authenticated by the
 * cookie that changes state (POST, PUT, PATCH, DELETE) must also carry
 * X-Jobsd-Csrf = HMAC under the token of "jobsd-dash-csrf\nCOOKIE", which
 * the page reads from /api/session (double submit: another site can neither
 * read it nor send the header without a CORS preflight, which the listener
 * never grants). Without auth and without a token (loopback only), the
 * value is derived from a per-process random secret instead, and a Host
 * that is not a loopback name is refused (DNS rebinding). For every method
 * that changes state, a browser's Origin must be the listener's own.
 */
#include "api/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <jansson.h>

#include "auth/auth.h"
#include "util/clock.h"
#include "util/log.h"

#define SESSION_COOKIE "jobsd_session"
#define SESSION_TTL_S (12 * 3600)
#define SESSION_MAX 128 /* bytes of a cookie value we look at */

void
admin_random(void *p, size_t n)
{
	unsigned char *b = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r <= 0)
			abort();
		got += (size_t)r;
	}
}

bool
admin_unsafe_method(const struct admin_req *q)
{
	return q->method != API_GET && q->method != API_HEAD;
}

/* hex(HMAC(key, label "\n" msg)) into out[65]; false when there is no key
 * (no token configured and not the open mode). */
static bool
mac(struct api_admin *a, const char *label, const char *msg, char out[65])
{
	unsigned char m[AUTH_HMAC_SHA256_SIZE];
	char text[SESSION_MAX + 64];
	bool have;

	snprintf(text, sizeof(text), "%s\n%s", label, msg);
	pthread_mutex_lock(&a->token_mu);
	have = a->token != NULL;
	if (have)
		auth_hmac_sha256(a->token, a->token_len, text, strlen(text), m);
	pthread_mutex_unlock(&a->token_mu);
	if (!have) {
		if (a->cfg.auth != NULL)
			return false;
		auth_hmac_sha256(a->open_secret, sizeof(a->open_secret), text, strlen(text), m);
	}
	jd_hex_encode(m, sizeof(m), out);
	return true;
}

/* The value of our cookie in q's Cookie header into out[SESSION_MAX + 1]. */
static bool
cookie_value(struct admin_req *q, char *out)
{
	const char *h = admin_header(q, "Cookie"), *p;
	size_t klen = strlen(SESSION_COOKIE), n;

	if (h == NULL)
		return false;
	for (p = h; *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, SESSION_COOKIE, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, "; ");
			if (n == 0 || n > SESSION_MAX)
				return false;
			memcpy(out, p, n);
			out[n] = '\0';
			return true;
		}
		p += strcspn(p, ";");
	}
	return false;
}

/* Whether cookie is a session this listener issued and still valid. */
static bool
session_valid(struct api_admin *a, const char *cookie)
{
	const char *dot = strchr(cookie, '.');
	char exp[24], want[65];
	long long e;
	char *end;

	if (dot == NULL || (size_t)(dot - cookie) >= sizeof(exp) || strlen(dot + 1) != 64)
		return false;
	memcpy(exp, cookie, (size_t)(dot - cookie));
	exp[dot - cookie] = '\0';
	e = strtoll(exp, &end, 10);
	if (*end != '\0' || e < clock_real_ms() / 1000)
		return false;
	if (!mac(a, "jobsd-dash-session", exp, want))
		return false;
	return auth_equal(want, dot + 1, 64);
}

static bool
csrf_for(struct api_admin *a, const char *cookie, char out[65])
{
	return mac(a, "jobsd-dash-csrf", cookie != NULL ? cookie : "open", out);
}

int
admin_session_auth(struct admin_req *q)
{
	char cookie[SESSION_MAX + 1], want[65];
	const char *given;

	if (!cookie_value(q, cookie))
		return 0;
	if (!session_valid(q->a, cookie)) {
		admin_fail(q, 401,
		    "The dashboard session has expired or is not valid: log in again");
		return -1;
	}
	if (admin_unsafe_method(q)) {
		given = admin_header(q, "X-Jobsd-Csrf");
		if (given == NULL || strlen(given) != 64 || !csrf_for(q->a, cookie, want) ||
		    !auth_equal(want, given, 64)) {
			admin_fail(q, 403,
			    "Missing or wrong X-Jobsd-Csrf header for a session request");
			return -1;
		}
	}
	q->cookie_auth = true;
	return 1;
}

/* host[:port] of a URL or Host value, into out (lower case). */
static void
authority(const char *v, char *out, size_t n)
{
	const char *p = strstr(v, "://");
	size_t i = 0;

	p = p != NULL ? p + 3 : v;
	for (; *p != '\0' && *p != '/' && i + 1 < n; p++)
		out[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	out[i] = '\0';
}

int
admin_browser_guard(struct admin_req *q)
{
	const char *origin = admin_header(q, "Origin"), *host = admin_header(q, "Host");
	const char *site = admin_header(q, "Sec-Fetch-Site");
	char o[256], h[256];
	size_t hn;

	if (admin_unsafe_method(q)) {
		if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
			admin_fail(q, 403, "Cross-site requests are refused");
			return -1;
		}
		if (origin != NULL) {
			authority(origin, o, sizeof(o));
			authority(host != NULL ? host : "", h, sizeof(h));
			if (strcmp(o, h) != 0) {
				admin_fail(q, 403, "Cross-origin requests are refused");
				return -1;
			}
		}
	}
	if (q->a->cfg.auth == NULL && q->a->cfg.token_file == NULL && host != NULL) {
		authority(host, h, sizeof(h));
		hn = strcspn(h, ":");
		if (h[0] == '[')
			hn = strcspn(h, "]") + 1;
		if (!((hn == 9 && strncmp(h, "localhost", 9) == 0) ||
		        (hn >= 7 && strncmp(h, "127.", 4) == 0) ||
		        (hn == 5 && strncmp(h, "[::1]", 5) == 0))) {
			admin_fail(q, 403,
			    "Without auth the admin listener answers only loopback host names (Host: %s)",
			    h);
			return -1;
		}
	}
	return 0;
}

/* ---- routes ---------------------------------------------------------------- */

/* GET /api/session (open): how this listener authenticates and whether q is
 * logged in; the CSRF value when it is. */
void
admin_h_session(struct admin_req *q)
{
	struct api_admin *a = q->a;
	char cookie[SESSION_MAX + 1], csrf[65] = "";
	bool open = a->cfg.auth == NULL && a->cfg.token_file == NULL;
	bool in = open, have = cookie_value(q, cookie);
	struct jw w;

	if (!open && have && session_valid(a, cookie))
		in = csrf_for(a, cookie, csrf);
	else if (open)
		csrf_for(a, NULL, csrf);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_kstr(&w, "mode", open ? "none" : a->cfg.token_file != NULL ? "token" : "sigv4");
	jw_kbool(&w, "authenticated", in);
	if (in)
		jw_kstr(&w, "csrf", csrf);
	jw_obj_end(&w);
}

/* The token of a {"token": "..."} body into out (at most n - 1 bytes). */
static bool
body_token(const struct buf *b, char *out, size_t n)
{
	json_t *root = b->len > 0 ? json_loadb(b->p, b->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *t = json_string_value(json_object_get(root, "token"));
	bool ok = t != NULL && t[0] != '\0' && strlen(t) < n;

	if (ok)
		jd_strlcpy(out, t, n);
	json_decref(root);
	return ok;
}

/* POST /api/login (open) {"token": "..."}: 200 and the session cookie, or 401. */
void
admin_h_login(struct admin_req *q)
{
	struct api_admin *a = q->a;
	char tok[ADMIN_TOKEN_MAX + 1], exp[24], m[65], csrf[65], cookie[SESSION_MAX + 1];
	bool ok;
	struct jw w;

	if (a->cfg.token_file == NULL) {
		admin_fail(q, 400,
		    a->cfg.auth == NULL ? "This admin listener needs no login" :
		                          "The dashboard needs --admin-token-file to log in");
		return;
	}
	if (!body_token(&q->body, tok, sizeof(tok))) {
		admin_fail(q, 400, "The body must be {\"token\": \"...\"}");
		return;
	}
	pthread_mutex_lock(&a->token_mu);
	ok = a->token != NULL && strlen(tok) == a->token_len &&
	    auth_equal(tok, a->token, a->token_len);
	pthread_mutex_unlock(&a->token_mu);
	explicit_bzero(tok, sizeof(tok));
	if (!ok) {
		log_warn("admin: a dashboard login with a wrong token");
		admin_fail(q, 401, "The token is not valid for the admin listener");
		return;
	}
	snprintf(exp, sizeof(exp), "%lld", (long long)(clock_real_ms() / 1000 + SESSION_TTL_S));
	if (!mac(a, "jobsd-dash-session", exp, m)) {
		admin_fail(q, 503, "The admin token is being replaced: try again");
		return;
	}
	snprintf(cookie, sizeof(cookie), "%s.%s", exp, m);
	csrf_for(a, cookie, csrf);
	snprintf(q->set_cookie, sizeof(q->set_cookie),
	    SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict", cookie,
	    SESSION_TTL_S);
	jw_init(&w, &q->out);
	jw_obj_begin(&w);
	jw_kbool(&w, "authenticated", true);
	jw_kstr(&w, "csrf", csrf);
	jw_obj_end(&w);
}

/* POST /api/logout (open): clears the cookie. */
void
admin_h_logout(struct admin_req *q)
{
	jd_strlcpy(q->set_cookie, SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
	    sizeof(q->set_cookie));
	buf_puts(&q->out, "{\"authenticated\":false}");
}
