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

struct handover {
	bool busy; /* owned (by its owner, or handed to a waiter not awake yet) */
	struct handover_waiter *head, *tail; /* waiting, in arrival order */
	int queued;                          /* how many */
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

#endif
