/*
 * notify.c: deciding notify / notify-next (which things' pending lists changed
 * membership or head in a transaction).
 *
 * Every use case that changes an execution touches the thing (and namespace)
 * BEFORE the change, which records the head of that pending list as it was.
 * svc__commit() then reads each touched list's head again, inside the same
 * transaction, commits, and only after a successful commit reports each thing
 * whose list membership or head changed to the sink (the MQTT bridge). The
 * same code decides for REST and MQTT callers.
 *
 * The collection travels in the transaction's context (struct svc_tx), so a
 * use case's notes are its own whatever thread runs it. It calls nothing else
 * in svc/.
 */
#include "svc/notify_int.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_read.h"
#include "svc/svc.h"
#include "util/buf.h"

void
svc__notes_begin(struct svc_notes *n, const struct svc_notify *sink)
{
	n->sink = sink != NULL && sink->changed != NULL ? sink : NULL;
	n->ev_sink = sink != NULL && sink->event != NULL ? sink : NULL;
	n->ev = NULL;
	n->ev_tail = &n->ev;
	n->v = n->inl;
	n->n = 0;
	n->cap = SVC_NOTES_INLINE;
	n->index = NULL;
	n->index_cap = 0;
	n->strs = n->inl_strs;
	n->strs[0] = '\0'; /* offset 0 is "" */
	n->strs_len = 1;
	n->strs_cap = sizeof(n->inl_strs);
	memset(n->recent, 0, sizeof(n->recent));
	n->recent_next = 0;
}

void
svc__notes_event(struct svc_notes *n, char *topic, char *payload, size_t len)
{
	struct svc_event *ev = jd_calloc(1, sizeof(*ev));

	ev->topic = topic;
	ev->payload = payload;
	ev->len = len;
	*n->ev_tail = ev;
	n->ev_tail = &ev->next;
}

void
svc__notes_free(struct svc_notes *n)
{
	while (n->ev != NULL) {
		struct svc_event *ev = n->ev;
		n->ev = ev->next;
		free(ev->topic);
		free(ev->payload);
		free(ev);
	}
	n->ev_tail = &n->ev;
	if (n->v != n->inl)
		free(n->v);
	free(n->index);
	if (n->strs != n->inl_strs)
		free(n->strs);
	n->v = n->inl;
	n->n = 0;
	n->cap = SVC_NOTES_INLINE;
	n->index = NULL;
	n->index_cap = 0;
	n->strs = n->inl_strs;
	n->strs[0] = '\0';
	n->strs_len = 1;
	n->strs_cap = sizeof(n->inl_strs);
	memset(n->recent, 0, sizeof(n->recent));
	n->recent_next = 0;
}

static const char *
str(const struct svc_notes *n, uint32_t off)
{
	return n->strs + off;
}

/* s in the pool: "" and the strings added lately are shared (a fan-out's
 * namespace and job id are the same for every thing). */
static uint32_t
intern(struct svc_notes *n, const char *s, size_t max)
{
	size_t len = strnlen(s, max);
	uint32_t off;

	if (len == 0)
		return 0;
	for (unsigned i = 0; i < SVC_NOTES_RECENT; i++) {
		const char *r = n->strs + n->recent[i];
		if (n->recent[i] != 0 && strncmp(r, s, len) == 0 && r[len] == '\0')
			return n->recent[i];
	}
	if (n->strs_len + len + 1 > n->strs_cap) {
		size_t cap = n->strs_cap * 2;
		while (cap < n->strs_len + len + 1)
			cap *= 2;
		if (n->strs == n->inl_strs) {
			char *p = jd_malloc(cap);
			memcpy(p, n->strs, n->strs_len);
			n->strs = p;
		} else {
			n->strs = jd_realloc(n->strs, cap);
		}
		n->strs_cap = cap;
	}
	off = (uint32_t)n->strs_len;
	memcpy(n->strs + off, s, len);
	n->strs[off + len] = '\0';
	n->strs_len += len + 1;
	return off;
}

/* Remember off for reuse (a job or namespace, not a thing name: those rarely repeat). */
static void
recent_add(struct svc_notes *n, uint32_t off)
{
	if (off == 0)
		return;
	for (unsigned i = 0; i < SVC_NOTES_RECENT; i++)
		if (n->recent[i] == off)
			return;
	n->recent[n->recent_next++ % SVC_NOTES_RECENT] = off;
}

static uint64_t
hash2(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

/* Slot of (thing, ns) in the heap index: its entry, or the free slot for it. */
static size_t
slot(const struct svc_notes *n, const char *thing, const char *ns)
{
	size_t mask = n->index_cap - 1, i = (size_t)hash2(thing, ns) & mask;

	while (n->index[i] != 0) {
		const struct svc_touch *t = &n->v[n->index[i] - 1];
		if (strcmp(str(n, t->thing), thing) == 0 && strcmp(str(n, t->ns), ns) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* The entry of (thing, ns), or NULL. */
static struct svc_touch *
find(struct svc_notes *n, const char *thing, const char *ns)
{
	if (n->index == NULL) {
		for (size_t k = 0; k < n->n; k++)
			if (strcmp(str(n, n->v[k].thing), thing) == 0 &&
			    strcmp(str(n, n->v[k].ns), ns) == 0)
				return &n->v[k];
		return NULL;
	}
	size_t i = slot(n, thing, ns);
	return n->index[i] != 0 ? &n->v[n->index[i] - 1] : NULL;
}

/* Room for one more entry: past the inline ones, a heap array and its index. */
static void
grow(struct svc_notes *n)
{
	size_t cap = n->cap * 2;

	if (n->v == n->inl) {
		n->v = jd_calloc(cap, sizeof(*n->v));
		memcpy(n->v, n->inl, n->n * sizeof(*n->v));
	} else {
		n->v = jd_realloc(n->v, cap * sizeof(*n->v));
	}
	n->cap = cap;
	free(n->index);
	n->index_cap = cap * 2;
	n->index = jd_calloc(n->index_cap, sizeof(*n->index));
	for (size_t k = 0; k < n->n; k++)
		n->index[slot(n, str(n, n->v[k].thing), str(n, n->v[k].ns))] = (uint32_t)(k + 1);
}

struct head {
	bool found;
	char job[JD_JOB_ID_MAX + 1];
	int64_t num;
};

static int
read_head(struct store_tx *tx, const char *thing, const char *ns, struct head *h)
{
	int rc = store_exec_pending_head(tx, thing, ns, h->job, &h->num);

	h->found = rc == 0 && h->job[0] != '\0';
	return rc < 0 ? rc : 0;
}

int
svc__notes_touch(struct svc_notes *n, struct store_tx *tx, const char *thing, const char *ns,
    const char *job, bool list_changed)
{
	struct svc_touch *t;
	struct head h;
	int rc;

	if (n->sink == NULL)
		return 0;
	if (ns == NULL)
		ns = "";
	if ((t = find(n, thing, ns)) != NULL) {
		t->list |= list_changed;
		return 0;
	}
	if ((rc = read_head(tx, thing, ns, &h)) != 0)
		return rc;
	if (n->n == n->cap)
		grow(n);
	if (n->index != NULL)
		n->index[slot(n, thing, ns)] = (uint32_t)(n->n + 1);
	t = &n->v[n->n++];
	t->thing = intern(n, thing, JD_THING_NAME_MAX);
	recent_add(n, t->ns = intern(n, ns, JD_NAMESPACE_MAX));
	recent_add(n, t->job = intern(n, job, JD_JOB_ID_MAX));
	recent_add(n, t->head_job = intern(n, h.job, JD_JOB_ID_MAX));
	t->list = list_changed;
	t->had = h.found;
	t->head_changed = false;
	t->head_num = h.num;
	return 0;
}

int
svc__notes_finish(struct svc_notes *n, struct store_tx *tx)
{
	struct head h;
	int rc;

	if (n->sink == NULL)
		return 0;
	for (size_t i = 0; i < n->n; i++) {
		struct svc_touch *t = &n->v[i];
		if ((rc = read_head(tx, str(n, t->thing), str(n, t->ns), &h)) != 0)
			return rc;
		t->head_changed = h.found != t->had ||
		    (h.found && (strcmp(h.job, str(n, t->head_job)) != 0 || h.num != t->head_num));
	}
	return 0;
}

void
svc__notes_emit(struct svc_notes *n)
{
	const struct svc_notify *sink = n->sink;

	for (size_t i = 0; sink != NULL && i < n->n; i++) {
		struct svc_touch *t = &n->v[i];
		if (t->list || t->head_changed)
			sink->changed(sink->arg, str(n, t->thing), str(n, t->ns), str(n, t->job),
			    t->list, t->head_changed);
	}
	for (struct svc_event *ev = n->ev; ev != NULL && n->ev_sink != NULL; ev = ev->next)
		n->ev_sink->event(n->ev_sink->arg, ev->topic, ev->payload, ev->len);
	svc__notes_free(n);
}
