/*
 * notify.c: deciding notify / notify-next (spec §7, decisions D3, D10).
 *
 * Every use case that changes an execution calls svc__touch() on the thing
 * (and namespace) BEFORE the change, which records the head of that pending
 * list as it was. svc__commit() then reads each touched list's head again,
 * inside the same transaction, commits, and only after a successful commit
 * reports each thing whose list membership or head changed to the sink
 * (the MQTT bridge). The same code decides for REST and MQTT callers.
 *
 * The collection lives in thread-local storage: a thread runs at most one
 * write transaction at a time, and the use cases keep their signatures.
 */
#include "svc/svc_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

struct touch {
	char thing[JD_THING_NAME_MAX + 1];
	char ns[JD_NAMESPACE_MAX + 1];
	char job[JD_JOB_ID_MAX + 1];     /* the first job whose execution changed */
	bool list;                       /* membership changed */
	bool had;                        /* a head before */
	char head_job[JD_JOB_ID_MAX + 1];
	int64_t head_num;
	bool head_changed;
};

struct notes {
	struct svc *s;
	bool active;
	struct touch *v;
	size_t n, cap;
	uint32_t *index;                 /* open addressing: 1 + position in v, 0 = free */
	size_t index_cap;                /* power of two, >= 2 * cap */
};

static _Thread_local struct notes notes;

/* The collection outlives no thread: a key destructor frees it at thread exit. */
static pthread_key_t notes_key;
static pthread_once_t notes_once = PTHREAD_ONCE_INIT;

static void
notes_free(void *p)
{
	struct notes *n = p;

	free(n->v);
	free(n->index);
	memset(n, 0, sizeof(*n));
}

static void
notes_key_make(void)
{
	pthread_key_create(&notes_key, notes_free);
}

void
svc__notes_begin(struct svc *s)
{
	notes.s = s;
	notes.active = s->notify.changed != NULL;
	notes.n = 0;
	if (notes.index != NULL)
		memset(notes.index, 0, notes.index_cap * sizeof(*notes.index));
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

/* Slot of (thing, ns) in the index: its entry, or the free slot for it. */
static size_t
slot(const char *thing, const char *ns)
{
	size_t mask = notes.index_cap - 1, i = (size_t)hash2(thing, ns) & mask;

	while (notes.index[i] != 0) {
		struct touch *t = &notes.v[notes.index[i] - 1];
		if (strcmp(t->thing, thing) == 0 && strcmp(t->ns, ns) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void
grow(void)
{
	size_t cap = notes.cap ? notes.cap * 2 : 16;

	pthread_once(&notes_once, notes_key_make);
	notes.v = jd_realloc(notes.v, cap * sizeof(*notes.v));
	notes.cap = cap;
	free(notes.index);
	notes.index_cap = cap * 2;
	notes.index = jd_calloc(notes.index_cap, sizeof(*notes.index));
	for (size_t k = 0; k < notes.n; k++)
		notes.index[slot(notes.v[k].thing, notes.v[k].ns)] = (uint32_t)(k + 1);
	pthread_setspecific(notes_key, &notes);
}

struct head {
	bool found;
	char job[JD_JOB_ID_MAX + 1];
	int64_t num;
};

static int
head_cb(void *arg, const struct jd_exec *x)
{
	struct head *h = arg;

	h->found = true;
	jd_strlcpy(h->job, x->job_id, sizeof(h->job));
	h->num = x->number;
	return 1;
}

static int
read_head(struct store_tx *tx, const char *thing, const char *ns, struct head *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	rc = store_exec_pending(tx, thing, ns, 1, head_cb, h);
	return rc < 0 ? rc : 0;
}

int
svc__touch(struct store_tx *tx, const char *thing, const char *ns, const char *job,
    bool list_changed)
{
	struct head h;
	int rc;

	if (!notes.active)
		return 0;
	if (ns == NULL)
		ns = "";
	if (notes.index != NULL) {
		size_t i = slot(thing, ns);
		if (notes.index[i] != 0) {
			notes.v[notes.index[i] - 1].list |= list_changed;
			return 0;
		}
	}
	if ((rc = read_head(tx, thing, ns, &h)) != 0)
		return rc;
	if (notes.n == notes.cap)
		grow();
	notes.index[slot(thing, ns)] = (uint32_t)(notes.n + 1);
	struct touch *t = &notes.v[notes.n++];
	memset(t, 0, sizeof(*t));
	jd_strlcpy(t->thing, thing, sizeof(t->thing));
	jd_strlcpy(t->ns, ns, sizeof(t->ns));
	jd_strlcpy(t->job, job, sizeof(t->job));
	t->list = list_changed;
	t->had = h.found;
	jd_strlcpy(t->head_job, h.job, sizeof(t->head_job));
	t->head_num = h.num;
	return 0;
}

int
svc__notes_finish(struct store_tx *tx)
{
	struct head h;
	int rc;

	if (!notes.active)
		return 0;
	for (size_t i = 0; i < notes.n; i++) {
		struct touch *t = &notes.v[i];
		if ((rc = read_head(tx, t->thing, t->ns, &h)) != 0)
			return rc;
		t->head_changed = h.found != t->had ||
		    (h.found && (strcmp(h.job, t->head_job) != 0 || h.num != t->head_num));
	}
	return 0;
}

void
svc__notes_emit(void)
{
	struct svc *s = notes.s;

	if (!notes.active || s == NULL || s->notify.changed == NULL)
		return;
	for (size_t i = 0; i < notes.n; i++) {
		struct touch *t = &notes.v[i];
		if (t->list || t->head_changed)
			s->notify.changed(s->notify.arg, t->thing, t->ns, t->job, t->list, t->head_changed);
	}
	notes.n = 0;
	notes.active = false;
}

void
svc_set_notify(struct svc *s, const struct svc_notify *n)
{
	s->notify = *n;
}
