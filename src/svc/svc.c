/*
 * svc.c: the base of the service: the context of a write use case (struct
 * svc_tx) and its transaction, error mapping, identifiers, the page-token key (the tokens are api/token.c's),
 * the service's state without its background worker, and the test-rig reset.
 * It calls only notify.c in svc/.
 */
#include "svc/svc_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/core.h"
#include "util/buf.h"
#include "util/log.h"

/* Fill p with n bytes from the kernel's generator; 0 or -1. */
static int
random_fill(void *p, size_t n)
{
	unsigned char *b = p;

	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		b += got;
		n -= (size_t)got;
	}
	return 0;
}

bool
svc__json_text_equal(const char *a, const char *b)
{
	json_t *ja, *jb;
	bool eq;

	if ((a == NULL || strcmp(a, "{}") == 0) && (b == NULL || strcmp(b, "{}") == 0))
		return true;
	if (a == NULL || b == NULL)
		return false;
	ja = json_loads(a, 0, NULL);
	jb = json_loads(b, 0, NULL);
	eq = ja != NULL && jb != NULL && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return eq;
}

void
svc__uuid(char out[37])
{
	unsigned char r[16];

	/* getrandom() without flags fails only without a kernel generator
	 * (before Linux 3.17): no identifier can be made there */
	if (random_fill(r, sizeof(r)) != 0) {
		log_error("getrandom: %s", strerror(errno));
		abort();
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
	    r[14], r[15]);
}

int
svc__store_err(int rc, struct jd_error *e)
{
	if (e != NULL && e->code == rc && e->msg[0] != '\0')
		return rc;
	if (rc == JD_EUNAVAIL)
		return jd_error_set(e, rc,
		    "Service unavailable: the store could not complete the request");
	return jd_error_set(e, rc, "Internal error (%s)", jd_errno_name(rc));
}

int
svc__read(struct svc *s, struct store_tx **tx, struct jd_error *e)
{
	if (store_begin(s->store, false, tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	return 0;
}

/*
 * The test rig's virtual clock with several nodes (D24, D26): its offset is
 * the store's (SVC_CLOCK_META), which an advance on any node writes first.
 * A write transaction reads it under the writer lock and takes it as it is
 * (exact: a reset, which removes it, brings the clock back too), so every
 * write ordered after an advance, on any node, runs at the advanced time.
 * A read transaction only raises the clock (its snapshot may predate an
 * advance this node has just made). The background worker does one or the
 * other every pass, so reads lag an advance made elsewhere by at most that.
 */
void
svc__clock_sync(struct svc *s, struct store_tx *tx, bool exact)
{
	char *v = NULL;
	int64_t off = 0, cur;
	int rc;

	if (!s->clock->is_virtual)
		return;
	rc = store_meta_get(tx, SVC_CLOCK_META, &v);
	if (rc != 0 && rc != JD_ENOTFOUND)
		return;
	if (rc == 0 && (v == NULL || core_parse_u63(v, &off) != 0)) {
		free(v);
		return;
	}
	free(v);
	if (exact) {
		atomic_store(&s->clock->offset_ms, off);
		return;
	}
	cur = atomic_load(&s->clock->offset_ms);
	while (cur < off && !atomic_compare_exchange_weak(&s->clock->offset_ms, &cur, off))
		;
}

int
svc__begin(struct svc *s, struct svc_tx *t, struct jd_error *e)
{
	t->s = s;
	t->tx = NULL;
	svc__notes_begin(&t->notes, &s->notify);
	if (store_begin(s->store, true, &t->tx) != 0) {
		t->now = svc_now(s);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	svc__clock_sync(s, t->tx, true);
	t->now = svc_now(s);
	return 0;
}

void
svc__rollback(struct svc_tx *t)
{
	store_rollback(t->tx);
	t->tx = NULL;
	svc__notes_free(&t->notes);
}

int
svc__commit(struct svc_tx *t, struct jd_error *e)
{
	struct store_tx *tx = t->tx;

	t->tx = NULL;
	if (svc__notes_finish(&t->notes, tx) != 0) {
		store_rollback(tx);
		svc__notes_free(&t->notes);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	if (store_commit(tx) != 0) {
		svc__notes_free(&t->notes);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	svc__notes_emit(&t->notes); /* only what is committed is announced */
	return 0;
}

void
svc_set_notify(struct svc *s, const struct svc_notify *n)
{
	s->notify = *n;
}

int64_t
svc_now(struct svc *s)
{
	return clock_now_ms(s->clock);
}

/* ---- the page-token key: hex in the store ------------------------------- */

void
svc__kick(struct svc *s)
{
	pthread_mutex_lock(&s->mu);
	s->kick = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
svc__open(struct svc *s, struct store *store, struct jd_clock *clock, const char *account,
    struct jd_error *e)
{
	struct svc_tx t;
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
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_meta_get(t.tx, "token_key", &hex);
	if (rc == 0 && hex != NULL && strlen(hex) == 64) {
		for (int i = 0; i < 32; i++)
			s->token_key[i] = (unsigned char)(jd_hex_value(hex[2 * i]) << 4 |
			    jd_hex_value(hex[2 * i + 1]));
	} else {
		char h[65];
		if (random_fill(s->token_key, sizeof(s->token_key)) != 0) {
			free(hex);
			svc__rollback(&t);
			return jd_error_set(e, JD_EINTERNAL, "getrandom: %s", strerror(errno));
		}
		jd_hex_encode(s->token_key, sizeof(s->token_key), h);
		if (store_meta_put(t.tx, "token_key", h) != 0) {
			free(hex);
			svc__rollback(&t);
			return svc__store_err(JD_EUNAVAIL, e);
		}
	}
	free(hex);
	return svc__commit(&t, e);
}

void
svc__close(struct svc *s)
{
	explicit_bzero(s->token_key, sizeof(s->token_key));
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

int
svc_reset(struct svc *s, struct jd_error *e)
{
	struct svc_tx t;
	char h[65];
	int rc;

	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	jd_hex_encode(s->token_key, sizeof(s->token_key), h);
	if (store_wipe(t.tx) != 0 || store_meta_put(t.tx, "token_key", h) != 0) {
		svc__rollback(&t);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	atomic_store(&s->ev_loaded_ns, 0); /* the wipe took the event configuration */
	return svc__commit(&t, e);
}
