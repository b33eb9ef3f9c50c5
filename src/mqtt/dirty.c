/*
 * dirty.c: the set of things whose notification waits (dirty.h).
 *
 * A chained hash table of (thing, namespace) for the look-up, and a doubly
 * linked list through the same entries for the order: first dirty, first
 * sent. Each entry is one allocation holding its names; the job id is kept
 * (with room for the longest) only for a namespaced thing. The table doubles
 * when it holds more entries than buckets.
 */
#include "mqtt/dirty.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define BUCKETS_MIN 64
#define MALLOC_OVERHEAD 16 /* what the allocator adds to an entry, roughly */

struct ent {
	struct ent *hnext;       /* hash chain */
	struct ent *prev, *next; /* order */
	uint32_t h;
	bool list, head;
	unsigned char tlen, nlen; /* thing and ns lengths; job after them if nlen > 0 */
	char s[];                 /* thing \0 ns \0 [job \0, JD_JOB_ID_MAX + 1 bytes] */
};

struct mqtt_dirty {
	struct ent **b;
	size_t nb; /* power of two */
	size_t n;
	size_t bytes; /* entries' cost; the table is added by mqtt_dirty_bytes */
	size_t max;
	struct ent *first, *last;
};

static uint32_t
hash(const char *thing, const char *ns)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)thing; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (const unsigned char *p = (const unsigned char *)ns; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static size_t
ent_size(size_t tlen, size_t nlen)
{
	return sizeof(struct ent) + tlen + 1 + nlen + 1 + (nlen > 0 ? JD_JOB_ID_MAX + 1 : 0);
}

static size_t
ent_cost(const struct ent *x)
{
	return ent_size(x->tlen, x->nlen) + MALLOC_OVERHEAD;
}

static char *
ent_job(struct ent *x)
{
	return x->s + x->tlen + 1 + x->nlen + 1;
}

struct mqtt_dirty *
mqtt_dirty_create(size_t max_bytes)
{
	struct mqtt_dirty *d = jd_calloc(1, sizeof(*d));

	d->nb = BUCKETS_MIN;
	d->b = jd_calloc(d->nb, sizeof(*d->b));
	d->max = max_bytes;
	return d;
}

void
mqtt_dirty_destroy(struct mqtt_dirty *d)
{
	if (d == NULL)
		return;
	while (d->first != NULL) {
		struct ent *x = d->first;
		d->first = x->next;
		free(x);
	}
	free(d->b);
	free(d);
}

/* The link that points at (thing, ns)'s entry, or at the NULL ending its chain. */
static struct ent **
find(struct mqtt_dirty *d, uint32_t h, const char *thing, size_t tlen, const char *ns, size_t nlen)
{
	struct ent **p = &d->b[h & (d->nb - 1)];

	for (; *p != NULL; p = &(*p)->hnext) {
		struct ent *x = *p;
		if (x->h == h && x->tlen == tlen && x->nlen == nlen &&
		    memcmp(x->s, thing, tlen) == 0 && memcmp(x->s + tlen + 1, ns, nlen) == 0)
			break;
	}
	return p;
}

static void
grow(struct mqtt_dirty *d)
{
	size_t nb = d->nb * 2;
	struct ent **b = jd_calloc(nb, sizeof(*b));

	for (size_t i = 0; i < d->nb; i++) {
		while (d->b[i] != NULL) {
			struct ent *x = d->b[i];
			d->b[i] = x->hnext;
			x->hnext = b[x->h & (nb - 1)];
			b[x->h & (nb - 1)] = x;
		}
	}
	free(d->b);
	d->b = b;
	d->nb = nb;
}

int
mqtt_dirty_add(struct mqtt_dirty *d, const char *thing, const char *ns, const char *job, bool list,
    bool head)
{
	size_t tlen = strnlen(thing, JD_THING_NAME_MAX), nlen;
	char tb[JD_THING_NAME_MAX + 1], nb[JD_NAMESPACE_MAX + 1];
	struct ent **p, *x;
	uint32_t h;

	if (ns == NULL)
		ns = "";
	nlen = strnlen(ns, JD_NAMESPACE_MAX);
	memcpy(tb, thing, tlen);
	tb[tlen] = '\0';
	memcpy(nb, ns, nlen);
	nb[nlen] = '\0';
	h = hash(tb, nb);
	p = find(d, h, tb, tlen, nb, nlen);
	if ((x = *p) != NULL) {
		x->list |= list;
		x->head |= head;
		if (nlen > 0 && job != NULL)
			jd_strlcpy(ent_job(x), job, JD_JOB_ID_MAX + 1);
		return MQTT_DIRTY_COALESCED;
	}
	if (mqtt_dirty_bytes(d) + ent_size(tlen, nlen) + MALLOC_OVERHEAD > d->max)
		return MQTT_DIRTY_FULL;
	x = jd_malloc(ent_size(tlen, nlen));
	x->h = h;
	x->list = list;
	x->head = head;
	x->tlen = (unsigned char)tlen;
	x->nlen = (unsigned char)nlen;
	memcpy(x->s, tb, tlen + 1);
	memcpy(x->s + tlen + 1, nb, nlen + 1);
	if (nlen > 0)
		jd_strlcpy(ent_job(x), job != NULL ? job : "", JD_JOB_ID_MAX + 1);
	x->hnext = NULL;
	*p = x;
	x->next = NULL;
	x->prev = d->last;
	if (d->last != NULL)
		d->last->next = x;
	else
		d->first = x;
	d->last = x;
	d->n++;
	d->bytes += ent_cost(x);
	if (d->n > d->nb)
		grow(d);
	return MQTT_DIRTY_ADDED;
}

/* Unlink x, whose hash link is *p, and free it. */
static void
drop(struct mqtt_dirty *d, struct ent **p, struct ent *x)
{
	*p = x->hnext;
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		d->first = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	else
		d->last = x->prev;
	d->n--;
	d->bytes -= ent_cost(x);
	free(x);
}

bool
mqtt_dirty_pop(struct mqtt_dirty *d, struct mqtt_dirty_item *out)
{
	struct ent *x = d->first, **p;

	if (x == NULL)
		return false;
	memcpy(out->thing, x->s, x->tlen + 1);
	memcpy(out->ns, x->s + x->tlen + 1, x->nlen + 1);
	if (x->nlen > 0)
		jd_strlcpy(out->job, ent_job(x), sizeof(out->job));
	else
		out->job[0] = '\0';
	out->list = x->list;
	out->head = x->head;
	p = find(d, x->h, out->thing, x->tlen, out->ns, x->nlen);
	drop(d, p, x);
	return true;
}

void
mqtt_dirty_sent(struct mqtt_dirty *d, const char *thing, const char *ns, bool list, bool head)
{
	size_t tlen = strlen(thing), nlen;
	struct ent **p, *x;

	if (ns == NULL)
		ns = "";
	nlen = strlen(ns);
	if (d->n == 0 || tlen > JD_THING_NAME_MAX || nlen > JD_NAMESPACE_MAX)
		return;
	p = find(d, hash(thing, ns), thing, tlen, ns, nlen);
	if ((x = *p) == NULL)
		return;
	if (list)
		x->list = false;
	if (head)
		x->head = false;
	if (!x->list && !x->head)
		drop(d, p, x);
}

size_t
mqtt_dirty_count(const struct mqtt_dirty *d)
{
	return d->n;
}

size_t
mqtt_dirty_bytes(const struct mqtt_dirty *d)
{
	return d->bytes + d->nb * sizeof(*d->b);
}
