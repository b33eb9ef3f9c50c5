/*
 * handover.h: one thing (a store's write connection) owned by one thread at
 * a time and handed over in arrival order.
 *
 * A thread that finds it free takes it at once; the others queue, each on
 * its own semaphore, and the owner hands it straight to the first when it
 * lets go (that waiter wakes owning it; nobody can take it in between). A
 * waiter whose deadline passes gives up, unless it was handed the thing
 * meanwhile, so a hand-over is never lost. The members of a group commit
 * wait for its outcome the same way (handover_member). Both stores' group
 * commits use them (sqlite/conn.c, postgres/group.c): a condition variable woke a thread
 * that then queued on the shared mutex again, and on a VM every such sleep
 * and wake-up is dear.
 *
 * The caller's mutex guards the struct: handover_take takes it itself,
 * handover_release wants it held.
 */
#ifndef JD_UTIL_HANDOVER_H
#define JD_UTIL_HANDOVER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

struct handover_waiter {
	struct handover_waiter *next;
	sem_t sem;
	bool handed; /* under the lock: the thing is now this waiter's */
};

struct handover_rider;

struct handover {
	bool busy; /* owned (by its owner, or handed to a waiter not awake yet) */
	struct handover_waiter *head, *tail;  /* waiting, in arrival order */
	int queued;                           /* how many */
	struct handover_rider *rhead, *rtail; /* riders (below), in arrival order */
};

/* Own h: at once if it is free and nobody waits, else in turn, but not past
 * `deadline` (CLOCK_MONOTONIC ns). 0 owning it, -1 when the deadline
 * passed. lock is not held on entry or return. */
int handover_take(struct handover *h, pthread_mutex_t *lock, int64_t deadline);

/* Let go of h (lock held): to the first waiter, which the caller passes to
 * handover_post once it has released lock, or free (NULL). */
struct handover_waiter *handover_release(struct handover *h);

/* Wake w (may be NULL), whose handed it is now. */
void handover_post(struct handover_waiter *w);

/*
 * A thread waiting for the outcome of the work it joined (a member of a
 * store's commit group), on its stack, on its own semaphore: whoever ends
 * the work sets rc and posts exactly its members, none of which takes a
 * mutex to leave.
 */
struct handover_member {
	struct handover_member *next;
	sem_t sem;
	int rc;        /* the outcome, set before sem is posted */
	bool observer; /* the stores': rolled back, but saw earlier members' changes */
};

void handover_member_init(struct handover_member *m);

/* Post each member of list, its rc set (one may return, and its struct go,
 * as soon as it is posted). */
void handover_members_post(struct handover_member *list);

/* Wait for m's post; returns m's rc. */
int handover_member_wait(struct handover_member *m);

/*
 * Riders (round 14). A thread whose whole use of the thing is one short
 * piece of work the owner can run for it (the stores: a conditional write,
 * store_ride) queues as a rider when the thing is owned, not as a waiter,
 * and sleeps once: the owner, before it lets go, takes the riders
 * (handover_riders_take) and runs each, posting its outcome
 * (handover_rider_done, or as a member of its group commit). If riders are
 * left when it lets go and no waiter waits, it hands the thing to the
 * first of them (handover_heir), which runs its own work and carries the
 * rest, so no rider stays behind a free thing. A store embeds this struct
 * first in its own, with the work.
 */
struct handover_rider {
	struct handover_rider *next;
	struct handover_member m; /* posted once done (m.rc the outcome) or handed the thing */
	int64_t deadline;         /* CLOCK_MONOTONIC ns; the caller sets it */
	int rc;                   /* the work's own outcome, or why it did not run */
	bool own;                 /* handed the thing instead: it runs its work itself */
};

/* Ride h if it is owned: 1 once r is done (r->rc, r->m.rc) or was handed
 * h (r->own); 0 if h was free (r is not queued: the caller takes h its own
 * way). lock is not held on entry or return. Counted in jd_metrics
 * (store_riders, store_carried). */
int handover_ride(struct handover *h, pthread_mutex_t *lock, struct handover_rider *r);

/* The riders queued now, in arrival order, taken off h (lock held). */
struct handover_rider *handover_riders_take(struct handover *h);

/* r ends outside any group, rc its outcome (it may return once posted). */
void handover_rider_done(struct handover_rider *r, int rc);

/* If no waiter waits and a rider does, h is the first rider's (lock held;
 * busy stays true): post it with handover_heir_post once lock is released.
 * NULL otherwise (then handover_release). */
struct handover_rider *handover_heir(struct handover *h);
void handover_heir_post(struct handover_rider *r);

#endif
