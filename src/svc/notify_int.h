/*
 * notify_int.h: the notifications of one write transaction (notify.c).
 *
 * A struct svc_notes lives inside the transaction's context (struct svc_tx,
 * svc_int.h), on the stack of the use case: no thread-local state. It holds a
 * few entries inline, so the common transaction (one thing touched) makes no
 * allocation; more entries move to the heap, indexed by a hash. An entry's
 * names are offsets into one string pool, where a namespace or job id repeated
 * from entry to entry is stored once: a fan-out over N things costs about
 * 40 bytes plus the thing name per thing (issue 15), not 400.
 */
#ifndef JD_SVC_NOTIFY_INT_H
#define JD_SVC_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jd_limits.h"

struct store_tx;
struct svc_notify;

/* The names are offsets into svc_notes.strs (0 = ""). */
struct svc_touch {
	uint32_t thing;
	uint32_t ns;
	uint32_t job;      /* the first job whose execution changed */
	uint32_t head_job; /* the head before */
	int64_t head_num;
	bool list; /* membership changed */
	bool had;  /* a head before */
	bool head_changed;
};

#define SVC_NOTES_INLINE 4
#define SVC_NOTES_STRS_INLINE 1024 /* bytes of names held inline */
#define SVC_NOTES_RECENT 4         /* pool strings remembered for reuse */

/* A jobs event (events.c) waiting for the commit: topic and payload owned. */
struct svc_event {
	struct svc_event *next;
	char *topic;
	char *payload;
	size_t len;
};

struct svc_notes {
	const struct svc_notify *sink; /* borrowed; NULL = nobody listens */
	struct svc_touch *v;           /* inl, or owned heap array of cap entries */
	size_t n, cap;
	uint32_t *index;  /* heap only: 1 + position in v, 0 = free */
	size_t index_cap; /* power of two, 2 * cap */
	struct svc_touch inl[SVC_NOTES_INLINE];
	char *strs; /* the string pool: inl_strs or owned heap */
	size_t strs_len, strs_cap;
	uint32_t recent[SVC_NOTES_RECENT]; /* offsets of strings added lately */
	unsigned recent_next;
	char inl_strs[SVC_NOTES_STRS_INLINE];
	const struct svc_notify *ev_sink; /* borrowed; NULL = nobody takes events */
	struct svc_event *ev, **ev_tail;  /* owned list, in the order noted */
};

/* Start an empty collection; sink NULL or without callback = collect nothing. */
void svc__notes_begin(struct svc_notes *n, const struct svc_notify *sink);
/*
 * Record thing's pending list in namespace ns (NULL = "") BEFORE an execution
 * of job on it changes: the head as it is now is read once per (thing, ns).
 * list_changed: the execution enters or leaves the pending list. Returns 0 or
 * a negative store error.
 */
int svc__notes_touch(struct svc_notes *n, struct store_tx *tx, const char *thing, const char *ns,
    const char *job, bool list_changed);
/* Read every touched list's head again, inside tx, just before commit. */
int svc__notes_finish(struct svc_notes *n, struct store_tx *tx);
/* After a successful commit: report each changed list to the sink. */
void svc__notes_emit(struct svc_notes *n);
/* Keep a jobs event for after the commit; takes topic and payload (heap). */
void svc__notes_event(struct svc_notes *n, char *topic, char *payload, size_t len);
/* Free heap storage (after emit, or on rollback); n may be reused after begin. */
void svc__notes_free(struct svc_notes *n);

#endif
