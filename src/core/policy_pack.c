/*
 * policy_pack.c: the storage form of struct jd_policy.
 *
 * Layout (little-endian): "JP" version(1) then fixed fields as 8-byte
 * integers (doubles as their IEEE-754 bits), then n_abort criteria. A new
 * field means a new version; unpack keeps reading every older version.
 * Version 2 (maintenance windows) adds one fixed word, n_windows, after
 * n_abort, and the windows (PACK_WINDOW_WORDS each) after the criteria;
 * version 1 blobs decode with no windows.
 */
#include "core/policy.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define PACK_VERSION 2
#define PACK_HEAD 3
#define PACK_FIXED_V1 18 /* 8-byte words before the abort criteria (version 1) */
#define PACK_FIXED 19    /* version 2: n_windows too */
#define PACK_ABORT_WORDS 3
#define PACK_WINDOW_WORDS 8
#define PACK_WINDOWS_MAX 1000 /* sanity bound on a decoded count */

void
core_policy_release(struct jd_policy *p)
{
	if (p == NULL)
		return;
	free(p->abort);
	p->abort = NULL;
	p->n_abort = 0;
	free(p->windows);
	p->windows = NULL;
	p->n_windows = 0;
}

void
core_policy_copy(struct jd_policy *dst, const struct jd_policy *src)
{
	*dst = *src;
	dst->abort = NULL;
	if (src->n_abort > 0) {
		dst->abort = jd_malloc(src->n_abort * sizeof(*dst->abort));
		memcpy(dst->abort, src->abort, src->n_abort * sizeof(*dst->abort));
	}
	dst->windows = NULL;
	if (src->n_windows > 0) {
		dst->windows = jd_malloc(src->n_windows * sizeof(*dst->windows));
		memcpy(dst->windows, src->windows, src->n_windows * sizeof(*dst->windows));
	}
}

/* One 8-byte little-endian word: a load and (on big-endian hosts) a swap;
 * every job read unpacks a policy, so this stays a few instructions. */
static void
put64(unsigned char **w, uint64_t v)
{
	v = htole64(v);
	memcpy(*w, &v, sizeof(v));
	*w += 8;
}

static uint64_t
get64(const unsigned char **r)
{
	uint64_t v;

	memcpy(&v, *r, sizeof(v));
	*r += 8;
	return le64toh(v);
}

static uint64_t
dbits(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

static double
bitsd(uint64_t v)
{
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

unsigned char *
core_policy_pack(const struct jd_policy *p, size_t *len)
{
	size_t n = PACK_HEAD +
	    8 * (PACK_FIXED + PACK_ABORT_WORDS * p->n_abort + PACK_WINDOW_WORDS * p->n_windows);
	unsigned char *buf = jd_malloc(n);
	unsigned char *w = buf + PACK_HEAD;

	buf[0] = 'J';
	buf[1] = 'P';
	buf[2] = PACK_VERSION;
	put64(&w, p->present);
	put64(&w, (uint64_t)p->max_per_minute);
	put64(&w, p->exponential);
	put64(&w, (uint64_t)p->base_per_minute);
	put64(&w, dbits(p->increment_factor));
	put64(&w, (uint64_t)p->by_notified);
	put64(&w, (uint64_t)p->by_succeeded);
	put64(&w, p->n_retry);
	for (size_t i = 0; i < JD_RETRY_CRITERIA_MAX; i++) {
		put64(&w, (uint64_t)p->retry[i].failure_type);
		put64(&w, (uint64_t)p->retry[i].retries);
	}
	put64(&w, (uint64_t)p->inprogress_timeout_min);
	put64(&w, (uint64_t)p->start_ms);
	put64(&w, (uint64_t)p->end_ms);
	put64(&w, (uint64_t)p->end_behavior);
	put64(&w, (uint64_t)p->presigned_expires_sec);
	put64(&w, p->n_abort);
	put64(&w, p->n_windows);
	for (size_t i = 0; i < p->n_abort; i++) {
		put64(&w, (uint64_t)p->abort[i].failure_type);
		put64(&w, dbits(p->abort[i].threshold_pct));
		put64(&w, (uint64_t)p->abort[i].min_executed);
	}
	for (size_t i = 0; i < p->n_windows; i++) {
		const struct jd_cron *c = &p->windows[i].start;
		put64(&w, c->minutes);
		put64(&w, (uint64_t)c->hours | (uint64_t)c->dom << 32);
		put64(&w,
		    (uint64_t)c->months | (uint64_t)c->dow << 16 | (uint64_t)c->day_kind << 24 |
		        (uint64_t)c->day_arg << 32 | (uint64_t)c->day_nth << 40);
		for (size_t k = 0; k < 4; k++)
			put64(&w, c->years[k]);
		put64(&w, (uint64_t)p->windows[i].minutes);
	}
	*len = n;
	return buf;
}

int
core_policy_unpack(const void *buf, size_t len, struct jd_policy *p)
{
	const unsigned char *r = buf;
	uint64_t n_abort, n_windows = 0;
	size_t fixed, body;
	int version;

	memset(p, 0, sizeof(*p));
	if (buf == NULL || len < PACK_HEAD || r[0] != 'J' || r[1] != 'P' ||
	    (r[2] != 1 && r[2] != PACK_VERSION))
		return -1;
	version = r[2];
	fixed = version == 1 ? PACK_FIXED_V1 : PACK_FIXED;
	if (len < PACK_HEAD + 8 * fixed)
		return -1;
	body = len - PACK_HEAD - 8 * fixed;
	r += PACK_HEAD;
	p->present = (unsigned)get64(&r);
	p->max_per_minute = (int64_t)get64(&r);
	p->exponential = get64(&r) != 0;
	p->base_per_minute = (int64_t)get64(&r);
	p->increment_factor = bitsd(get64(&r));
	p->by_notified = (int64_t)get64(&r);
	p->by_succeeded = (int64_t)get64(&r);
	p->n_retry = (size_t)get64(&r);
	for (size_t i = 0; i < JD_RETRY_CRITERIA_MAX; i++) {
		p->retry[i].failure_type = (int)get64(&r);
		p->retry[i].retries = (int64_t)get64(&r);
	}
	p->inprogress_timeout_min = (int64_t)get64(&r);
	p->start_ms = (int64_t)get64(&r);
	p->end_ms = (int64_t)get64(&r);
	p->end_behavior = (int)get64(&r);
	p->presigned_expires_sec = (int64_t)get64(&r);
	n_abort = get64(&r);
	if (version >= 2)
		n_windows = get64(&r);
	if (p->n_retry > JD_RETRY_CRITERIA_MAX || n_windows > PACK_WINDOWS_MAX ||
	    n_abort > body / (8 * PACK_ABORT_WORDS) ||
	    body != 8 * (PACK_ABORT_WORDS * n_abort + PACK_WINDOW_WORDS * n_windows)) {
		memset(p, 0, sizeof(*p));
		return -1;
	}
	if (n_abort > 0) {
		p->abort = jd_malloc((size_t)n_abort * sizeof(*p->abort));
		p->n_abort = (size_t)n_abort;
		for (size_t i = 0; i < p->n_abort; i++) {
			p->abort[i].failure_type = (int)get64(&r);
			p->abort[i].threshold_pct = bitsd(get64(&r));
			p->abort[i].min_executed = (int64_t)get64(&r);
		}
	}
	if (n_windows > 0) {
		p->windows = jd_calloc((size_t)n_windows, sizeof(*p->windows));
		p->n_windows = (size_t)n_windows;
		for (size_t i = 0; i < p->n_windows; i++) {
			struct jd_cron *c = &p->windows[i].start;
			uint64_t v;
			c->minutes = get64(&r);
			v = get64(&r);
			c->hours = (uint32_t)v;
			c->dom = (uint32_t)(v >> 32);
			v = get64(&r);
			c->months = (uint16_t)v;
			c->dow = (uint8_t)(v >> 16);
			c->day_kind = (uint8_t)(v >> 24);
			c->day_arg = (uint8_t)(v >> 32);
			c->day_nth = (uint8_t)(v >> 40);
			for (size_t k = 0; k < 4; k++)
				c->years[k] = get64(&r);
			p->windows[i].minutes = (int64_t)get64(&r);
		}
	}
	return 0;
}
