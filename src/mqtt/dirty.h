/*
 * dirty.h: the things whose notification waits for room on the broker
 * connection (issue 15; out.c).
 *
 * A notify or notify-next carries the thing's CURRENT pending list or next
 * execution, read from the store when it is sent, so a thing whose
 * notification is waiting needs one message whatever changed meanwhile: the
 * set holds each (thing, namespace) once, with what to send (the list, the
 * head, or both), in the order the things first became dirty. An entry costs
 * a few dozen bytes (the names and a hash link), against the kilobytes a
 * queued message costs in libmosquitto.
 *
 * Not thread-safe: the caller locks (out.c holds it under its mutex).
 */
#ifndef JD_MQTT_DIRTY_H
#define JD_MQTT_DIRTY_H

#include <stdbool.h>
#include <stddef.h>

#include "jd_limits.h"

/* mqtt_dirty_add's results */
enum { MQTT_DIRTY_FULL = -1, MQTT_DIRTY_COALESCED = 0, MQTT_DIRTY_ADDED = 1 };

struct mqtt_dirty;

/* One waiting notification, as mqtt_dirty_pop hands it out. */
struct mqtt_dirty_item {
	char thing[JD_THING_NAME_MAX + 1];
	char ns[JD_NAMESPACE_MAX + 1]; /* "" = no namespace */
	char job[JD_JOB_ID_MAX + 1];   /* the latest job noted (namespaced only, else "") */
	bool list;                     /* send notify (the pending list) */
	bool head;                     /* send notify-next */
};

/* An empty set that holds at most max_bytes (mqtt_dirty_bytes). Owned by the
 * caller: free with mqtt_dirty_destroy (NULL is a no-op). Aborts on OOM. */
struct mqtt_dirty *mqtt_dirty_create(size_t max_bytes);
void mqtt_dirty_destroy(struct mqtt_dirty *d);
/*
 * Note that (thing, ns) needs notify (list) and/or notify-next (head); names
 * within the jd_limits.h maxima (longer ones are cut). An entry already there
 * gains the flags and keeps its place (MQTT_DIRTY_COALESCED); a new one goes
 * last (MQTT_DIRTY_ADDED), unless it would take the set over its bytes
 * (MQTT_DIRTY_FULL, nothing changed). job is kept for a namespaced thing only
 * (the per-job notify topic of D10).
 */
int mqtt_dirty_add(struct mqtt_dirty *d, const char *thing, const char *ns, const char *job,
    bool list, bool head);
/* Take the oldest entry out into *out; false when the set is empty. */
bool mqtt_dirty_pop(struct mqtt_dirty *d, struct mqtt_dirty_item *out);
/* (thing, ns)'s list and/or head were just sent another way: drop those
 * flags from its entry, and the entry when none is left. */
void mqtt_dirty_sent(struct mqtt_dirty *d, const char *thing, const char *ns, bool list, bool head);
size_t mqtt_dirty_count(const struct mqtt_dirty *d);
/* What the entries cost (their allocations and the hash table), in bytes. */
size_t mqtt_dirty_bytes(const struct mqtt_dirty *d);

#endif
