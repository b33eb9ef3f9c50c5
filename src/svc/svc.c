/*
 * svc.c: the service context, transactions, pagination tokens, timers, the
 * background job-deletion reaper (D16) and the test-rig reset (D22).
 */
#include "svc/svc_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/buf.h"
#include "util/log.h"

#define REAPER_BATCH 1000

void
svc__uuid(char out[37])
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		RAND_bytes(r, sizeof(r));
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
	    r[13], r[14], r[15]);
}

int
svc__store_err(int rc, struct jd_error *e)
{
	if (e != NULL && e->code == rc && e->msg[0] != '\0')
		return rc;
	if (rc == JD_EUNAVAIL)
		return jd_error_set(e, rc, "Service unavailable: the store could not complete the request");
	return jd_error_set(e, rc, "Internal error (%s)", jd_errno_name(rc));
}

int
svc__begin(struct svc *s, bool write, struct store_tx **tx, struct jd_error *e)
{
	int rc = store_begin(s->store, write, tx);

	if (rc != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	if (write)
		svc__notes_begin(s);
	return 0;
}

int
svc__commit(struct store_tx *tx, struct jd_error *e)
{
	if (svc__notes_finish(tx) != 0) {
		store_rollback(tx);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	if (store_commit(tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	svc__notes_emit(); /* only what is committed is announced */
	return 0;
}

int64_t
svc_now(struct svc *s)
{
	return clock_now_ms(s->clock);
}

/* ---- tokens ------------------------------------------------------------ */

static void
hexenc(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#define TOKEN_MAC 12

static void
token_mac(const struct svc *s, const char *payload, size_t n, unsigned char mac[TOKEN_MAC])
{
	unsigned char full[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	HMAC(EVP_sha256(), s->token_key, sizeof(s->token_key), (const unsigned char *)payload, n,
	    full, &len);
	memcpy(mac, full, TOKEN_MAC);
}

void
svc_token_make(const struct svc *s, const struct svc_cursor *c, char *out, size_t outsz)
{
	char payload[sizeof(c->key) + 40];
	unsigned char mac[TOKEN_MAC];
	int n = snprintf(payload, sizeof(payload), "%c%lld|%s", c->kind, (long long)c->num, c->key);

	token_mac(s, payload, (size_t)n, mac);
	if (outsz < (size_t)n * 2 + TOKEN_MAC * 2 + 1) {
		out[0] = '\0';
		return;
	}
	hexenc(mac, TOKEN_MAC, out);
	hexenc((const unsigned char *)payload, (size_t)n, out + TOKEN_MAC * 2);
}

int
svc_token_parse(const struct svc *s, char kind, const char *token, struct svc_cursor *c,
    struct jd_error *e)
{
	size_t tl = strlen(token);
	unsigned char mac[TOKEN_MAC], want[TOKEN_MAC];
	char payload[sizeof(c->key) + 40];
	size_t pl;
	char *bar, *end;

	if (tl < TOKEN_MAC * 2 + 4 || tl % 2 != 0 || (tl - TOKEN_MAC * 2) / 2 >= sizeof(payload))
		goto bad;
	for (size_t i = 0; i < tl; i += 2) {
		int hi = hexval(token[i]), lo = hexval(token[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		unsigned char v = (unsigned char)(hi << 4 | lo);
		if (i < TOKEN_MAC * 2)
			mac[i / 2] = v;
		else
			payload[(i - TOKEN_MAC * 2) / 2] = (char)v;
	}
	pl = (tl - TOKEN_MAC * 2) / 2;
	payload[pl] = '\0';
	token_mac(s, payload, pl, want);
	if (CRYPTO_memcmp(mac, want, TOKEN_MAC) != 0 || payload[0] != kind || strlen(payload) != pl)
		goto bad;
	bar = strchr(payload + 1, '|');
	if (bar == NULL)
		goto bad;
	*bar = '\0';
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->num = strtoll(payload + 1, &end, 10);
	if (*end != '\0')
		goto bad;
	jd_strlcpy(c->key, bar + 1, sizeof(c->key));
	return 0;
bad:
	return jd_error_set(e, JD_EINVAL, "The specified nextToken is invalid or expired.");
}

/* ---- timers ------------------------------------------------------------ */

static int
count_one(void *arg, const struct jd_exec *x)
{
	(void)x;
	*(bool *)arg = true;
	return 1;
}

/*
 * What is due at `now`, read without the writer lock, so that an idle
 * service never takes it: timeouts (a flag), SCHEDULED jobs whose startTime
 * has passed, and jobs whose next rollout batch is due.
 */
static int
due_scan(struct svc *s, int64_t now, bool *timeouts, struct jd_jobv *starts, struct jd_jobv *rollouts,
    struct jd_error *e)
{
	struct jd_job_filter f = {JD_JOB_SCHEDULED, -1, NULL, NULL};
	struct store_tx *tx = NULL;
	struct jd_jobv sched = {0};
	int rc;

	*timeouts = false;
	if ((rc = svc__begin(s, false, &tx, e)) != 0)
		return rc;
	rc = store_exec_due(tx, now, 1, count_one, timeouts);
	if (rc >= 0)
		rc = store_job_list(tx, &f, 0, 0, jd_jobv_add, &sched);
	if (rc >= 0)
		rc = store_job_rollout_due(tx, now, 100, jd_jobv_add, rollouts);
	store_rollback(tx);
	for (size_t i = 0; i < sched.n; i++) {
		int64_t start = svc__job_start_ms(&sched.v[i]);
		if (start == 0 || start <= now)
			jd_jobv_add(starts, &sched.v[i]);
	}
	jd_jobv_free(&sched);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

static int
run_timeouts(struct svc *s, int64_t now, int *fired, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_execv due = {0};
	int rc;

	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	if ((rc = store_exec_due(tx, now, REAPER_BATCH, jd_execv_add, &due)) != 0)
		goto fail;
	for (size_t i = 0; i < due.n; i++) {
		struct jd_exec *x = &due.v[i];
		if (core_exec_check(CORE_OP_TIMEOUT, x->status, JD_EXEC_TIMED_OUT, false, NULL) != 0)
			continue;
		if ((rc = svc__exec_set_status(tx, x, JD_EXEC_TIMED_OUT, now)) != 0)
			goto fail;
		if ((rc = svc__exec_finished(s, tx, x, now)) != 0)
			goto fail;
		(*fired)++;
	}
	jd_execv_free(&due);
	return svc__commit(tx, e);
fail:
	jd_execv_free(&due);
	store_rollback(tx);
	return svc__store_err(rc, e);
}

/* One job's start or rollout batch, in a transaction of its own, so that a
 * failure holds back only that job. */
static int
run_job(struct svc *s, const char *job_id, bool start, int64_t now, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_job j;
	int rc;

	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &j);
	if (rc == 0 && start && j.status == JD_JOB_SCHEDULED)
		rc = svc__job_start(s, tx, &j, now, e);
	else if (rc == 0 && !start && j.rollout_next_ms != 0 && j.rollout_next_ms <= now)
		rc = svc__rollout_tick(s, tx, &j, now);
	jd_job_release(&j);
	if (rc != 0) {
		store_rollback(tx);
		return rc == JD_ENOTFOUND ? 0 : svc__store_err(rc, e);
	}
	return svc__commit(tx, e);
}

int
svc_timers_run(struct svc *s, int *fired, struct jd_error *e)
{
	struct jd_jobv starts = {0}, rollouts = {0};
	int64_t now = svc_now(s);
	bool timeouts = false;
	int rc;

	*fired = 0;
	if ((rc = due_scan(s, now, &timeouts, &starts, &rollouts, e)) != 0)
		goto out;
	if (timeouts && (rc = run_timeouts(s, now, fired, e)) != 0)
		goto out;
	for (size_t i = 0; i < starts.n + rollouts.n; i++) {
		bool start = i < starts.n;
		const char *id = start ? starts.v[i].job_id : rollouts.v[i - starts.n].job_id;
		struct jd_error je;
		jd_error_init(&je);
		if (run_job(s, id, start, now, &je) != 0)
			log_warn("timers: job %s: %s", id, je.msg);
		else
			(*fired)++;
		jd_error_clear(&je);
	}
out:
	jd_jobv_free(&starts);
	jd_jobv_free(&rollouts);
	return rc;
}

/* ---- reaper: finishes DeleteJob in the background (D16) ---------------- */

static int
first_job(void *arg, const struct jd_job *j)
{
	jd_strlcpy(arg, j->job_id, JD_JOB_ID_MAX + 1);
	return 1;
}

/* Delete one batch of one deleting job; returns 1 if work remains. */
static int
reap_once(struct svc *s)
{
	struct jd_job_filter f = {JD_JOB_DELETION_IN_PROGRESS, -1, NULL, NULL};
	char job_id[JD_JOB_ID_MAX + 1] = "";
	struct store_tx *tx = NULL;
	int64_t n = 0;
	int rc;

	if (svc__begin(s, true, &tx, NULL) != 0)
		return 0;
	rc = store_job_list(tx, &f, 0, 1, first_job, job_id);
	if (rc < 0 || job_id[0] == '\0') {
		store_rollback(tx);
		return 0;
	}
	/* Its executions left the device views (and were notified) at DeleteJob. */
	if (store_exec_delete_job(tx, job_id, REAPER_BATCH, &n) != 0)
		goto fail;
	if (n < REAPER_BATCH && store_job_delete(tx, job_id) != 0)
		goto fail;
	if (svc__commit(tx, NULL) != 0)
		return 0;
	return 1;
fail:
	store_rollback(tx);
	return 0;
}

static void *
reaper_main(void *arg)
{
	struct svc *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!s->kick)
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		s->kick = false;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mu);
		while (reap_once(s))
			;
		{
			struct jd_error e;
			int fired = 0;
			jd_error_init(&e);
			if (svc_timers_run(s, &fired, &e) != 0)
				log_warn("timers: %s", e.msg);
			jd_error_clear(&e);
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

void
svc__kick(struct svc *s)
{
	pthread_mutex_lock(&s->mu);
	s->kick = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
svc_init(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    struct jd_error *e)
{
	struct store_tx *tx = NULL;
	char *hex = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->store = store;
	s->clock = clock;
	jd_strlcpy(s->account, account, sizeof(s->account));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);

	/* The token key lives in the store so that every node, and a restart,
	 * accepts the tokens of the others. */
	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	rc = store_meta_get(tx, "token_key", &hex);
	if (rc == 0 && hex != NULL && strlen(hex) == 64) {
		for (int i = 0; i < 32; i++)
			s->token_key[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	} else {
		char h[65];
		if (getrandom(s->token_key, sizeof(s->token_key), 0) != (ssize_t)sizeof(s->token_key))
			RAND_bytes(s->token_key, sizeof(s->token_key));
		hexenc(s->token_key, sizeof(s->token_key), h);
		if (store_meta_put(tx, "token_key", h) != 0) {
			free(hex);
			store_rollback(tx);
			return svc__store_err(JD_EUNAVAIL, e);
		}
	}
	free(hex);
	if ((rc = svc__commit(tx, e)) != 0)
		return rc;
	if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0)
		return jd_error_set(e, JD_EINTERNAL, "cannot start the reaper thread");
	s->reaper_started = true;
	return 0;
}

void
svc_fini(struct svc *s)
{
	if (s->reaper_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->reaper, NULL);
		s->reaper_started = false;
	}
	OPENSSL_cleanse(s->token_key, sizeof(s->token_key));
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

int
svc_reset(struct svc *s, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	char h[65];
	int rc;

	if ((rc = svc__begin(s, true, &tx, e)) != 0)
		return rc;
	hexenc(s->token_key, sizeof(s->token_key), h);
	if (store_wipe(tx) != 0 || store_meta_put(tx, "token_key", h) != 0) {
		store_rollback(tx);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	return svc__commit(tx, e);
}
