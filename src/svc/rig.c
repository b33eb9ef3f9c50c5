/*
 * rig.c: the test-rig clock, kept in the store (D26).
 *
 * The virtual clock (--test-rig) moves only forward, and its offset from the
 * real clock is recorded in the store (meta key clock_offset_ms) before an
 * advance takes effect. So every time the store holds is at most "real now +
 * recorded offset", and nothing can move the clock back under them: at start
 * main reads the offset (svc_clock_load) and resumes the virtual clock there,
 * or, on the real clock, refuses to start (the store's times would lie in
 * its future). A reset wipes every row, the recorded offset with them, and
 * returns the clock to real time, so it leaves nothing in the future either.
 *
 * Above svc.c only (transactions and svc_reset); nothing in svc/ calls it.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "svc/svc_int.h"

#define CLOCK_META SVC_CLOCK_META

/* The recorded offset in tx (0 when none), or JD_EUNAVAIL. */
static int
offset_get(struct store_tx *tx, int64_t *offset_ms, struct jd_error *e)
{
	char *v = NULL;
	int rc = store_meta_get(tx, CLOCK_META, &v);

	*offset_ms = 0;
	if (rc == JD_ENOTFOUND)
		return 0;
	if (rc != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	if (v == NULL || core_parse_u63(v, offset_ms) != 0)
		rc = jd_error_set(e, JD_EINTERNAL, "the store's %s is not a number", CLOCK_META);
	free(v);
	return rc;
}

int
svc_clock_load(struct store *st, int64_t *offset_ms, struct jd_error *e)
{
	struct store_tx *tx;
	int rc;

	*offset_ms = 0;
	if (store_begin(st, false, &tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	rc = offset_get(tx, offset_ms, e);
	store_rollback(tx);
	return rc;
}

int
svc_clock_advance(struct svc *s, int64_t delta_ms, struct jd_error *e)
{
	struct svc_tx t;
	int64_t cur, next, mem;
	char v[24];
	int rc;

	if (!s->clock->is_virtual || delta_ms <= 0)
		return 0;
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	/* the stored offset, not the clock's: an advance whose commit is still
	 * pending in the group has written it but not yet moved the clock */
	if ((rc = offset_get(t.tx, &cur, e)) != 0) {
		svc__rollback(&t);
		return rc;
	}
	mem = atomic_load(&s->clock->offset_ms);
	next = (cur > mem ? cur : mem) + delta_ms;
	snprintf(v, sizeof(v), "%lld", (long long)next);
	if (store_meta_put(t.tx, CLOCK_META, v) != 0) {
		svc__rollback(&t);
		return svc__store_err(JD_EUNAVAIL, e);
	}
	if ((rc = svc__commit(&t, e)) != 0)
		return rc;
	/* durable first, then the clock; concurrent advances keep the largest */
	mem = atomic_load(&s->clock->offset_ms);
	while (mem < next && !atomic_compare_exchange_weak(&s->clock->offset_ms, &mem, next))
		;
	return 0;
}

int
svc_rig_reset(struct svc *s, struct jd_error *e)
{
	/* The clock first: a write after the wipe runs at real time. Should the
	 * wipe fail, the recorded offset stays, and a restart resumes there. */
	int rc;

	atomic_store(&s->clock->offset_ms, 0);
	rc = svc_reset(s, e);
	/* again: the reset's own transaction read the offset it then wiped */
	if (rc == 0)
		atomic_store(&s->clock->offset_ms, 0);
	return rc;
}
