/* test_handover.c: one owner at a time, handed over in arrival order; a
 * waiter whose deadline passes gives up and leaves the line whole. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "util/clock.h"
#include "util/handover.h"

static struct handover h;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int order[8];
static _Atomic int served;

struct who {
	int id;
	int64_t wait_ms; /* deadline from now, 0: none */
	int rc;
};

static void *
waiter(void *arg)
{
	struct who *w = arg;
	int64_t deadline = w->wait_ms ? clock_mono_ns() + w->wait_ms * 1000000 : 0;

	w->rc = handover_take(&h, &lock, deadline);
	if (w->rc == 0) {
		order[atomic_fetch_add(&served, 1)] = w->id;
		pthread_mutex_lock(&lock);
		struct handover_waiter *next = handover_release(&h);
		pthread_mutex_unlock(&lock);
		handover_post(next);
	}
	return NULL;
}

/* Wait until n threads queue behind the owner. */
static void
until_queued(int n)
{
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&lock);
		int q = h.queued;
		pthread_mutex_unlock(&lock);
		if (q == n)
			return;
		usleep(1000);
	}
}

TEST(free_taken_at_once_then_released)
{
	CHECK_EQ_INT(handover_take(&h, &lock, 0), 0);
	CHECK(h.busy);
	pthread_mutex_lock(&lock);
	CHECK(handover_release(&h) == NULL);
	pthread_mutex_unlock(&lock);
	CHECK(!h.busy);
}

TEST(handed_in_arrival_order)
{
	pthread_t th[3];
	struct who w[3] = {{1, 0, -1}, {2, 0, -1}, {3, 0, -1}};

	atomic_store(&served, 0);
	CHECK_EQ_INT(handover_take(&h, &lock, 0), 0);
	for (int i = 0; i < 3; i++) {
		pthread_create(&th[i], NULL, waiter, &w[i]);
		until_queued(i + 1); /* each in line before the next starts */
	}
	CHECK_EQ_INT(h.queued, 3);
	pthread_mutex_lock(&lock);
	struct handover_waiter *next = handover_release(&h);
	pthread_mutex_unlock(&lock);
	CHECK(next != NULL && h.busy); /* handed, not freed: nobody barges in */
	handover_post(next);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(w[i].rc, 0);
		CHECK_EQ_INT(order[i], i + 1);
	}
	CHECK(!h.busy);
	CHECK_EQ_INT(h.queued, 0);
}

TEST(deadline_leaves_the_line_whole)
{
	pthread_t th[3];
	/* the middle one gives up; the first and the last are served, in order */
	struct who w[3] = {{1, 0, -1}, {2, 50, -1}, {3, 0, -1}};

	atomic_store(&served, 0);
	CHECK_EQ_INT(handover_take(&h, &lock, 0), 0);
	for (int i = 0; i < 3; i++) {
		pthread_create(&th[i], NULL, waiter, &w[i]);
		until_queued(i + 1);
	}
	pthread_join(th[1], NULL);
	CHECK_EQ_INT(w[1].rc, -1);
	CHECK_EQ_INT(h.queued, 2);
	pthread_mutex_lock(&lock);
	struct handover_waiter *next = handover_release(&h);
	pthread_mutex_unlock(&lock);
	handover_post(next);
	pthread_join(th[0], NULL);
	pthread_join(th[2], NULL);
	CHECK_EQ_INT(w[0].rc, 0);
	CHECK_EQ_INT(w[2].rc, 0);
	CHECK_EQ_INT(atomic_load(&served), 2);
	CHECK_EQ_INT(order[0], 1);
	CHECK_EQ_INT(order[1], 3);
	CHECK(!h.busy);
}

static void *
member(void *arg)
{
	struct handover_member *m = arg;

	return (void *)(intptr_t)handover_member_wait(m);
}

TEST(members_get_the_outcome)
{
	struct handover_member m[3];
	pthread_t th[3];

	for (int i = 0; i < 3; i++) {
		handover_member_init(&m[i]);
		m[i].next = i < 2 ? &m[i + 1] : NULL;
		m[i].rc = -1;
	}
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, member, &m[i]);
	/* the outcome is set before the post, whether a member waits yet or not
	 * (a post before its wait is kept) */
	for (int i = 0; i < 3; i++)
		m[i].rc = 7 + i;
	handover_members_post(&m[0]);
	for (int i = 0; i < 3; i++) {
		void *rc;
		pthread_join(th[i], &rc);
		CHECK_EQ_INT((int)(intptr_t)rc, 7 + i);
	}
}

/* ---- riders ------------------------------------------------------------ */

struct ride {
	struct handover_rider r;
	int got; /* handover_ride's answer */
};

static void *
rider(void *arg)
{
	struct ride *x = arg;

	x->got = handover_ride(&h, &lock, &x->r);
	return NULL;
}

/* Wait until n riders queue behind the owner. */
static void
until_riding(int n)
{
	for (int i = 0; i < 5000; i++) {
		int q = 0;

		pthread_mutex_lock(&lock);
		for (struct handover_rider *r = h.rhead; r != NULL; r = r->next)
			q++;
		pthread_mutex_unlock(&lock);
		if (q == n)
			return;
		usleep(1000);
	}
}

TEST(ride_a_free_thing_queues_nothing)
{
	struct ride x = {.got = -1};

	CHECK(!h.busy);
	CHECK_EQ_INT(handover_ride(&h, &lock, &x.r), 0);
	CHECK(h.rhead == NULL && !h.busy);
}

TEST(riders_run_by_the_owner_then_heir)
{
	struct ride x[3];
	pthread_t th[3];
	struct handover_rider *list, *heir;
	int n = 0;

	memset(x, 0, sizeof(x));
	CHECK_EQ_INT(handover_take(&h, &lock, 0), 0);
	for (int i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, rider, &x[i]);
		until_riding(i + 1);
	}
	/* the owner takes both, in arrival order, and answers each */
	pthread_mutex_lock(&lock);
	list = handover_riders_take(&h);
	pthread_mutex_unlock(&lock);
	CHECK(list == &x[0].r && list->next == &x[1].r);
	while (list != NULL) {
		struct handover_rider *r = list;

		list = list->next; /* r may go once posted */
		handover_rider_done(r, 40 + n++);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(x[i].got, 1);
		CHECK_EQ_INT(x[i].r.rc, 40 + i);
		CHECK_EQ_INT(x[i].r.m.rc, 40 + i);
		CHECK(!x[i].r.own);
	}
	/* a rider left when the owner lets go, no waiter: it is handed the thing */
	pthread_create(&th[2], NULL, rider, &x[2]);
	until_riding(1);
	pthread_mutex_lock(&lock);
	heir = handover_heir(&h);
	pthread_mutex_unlock(&lock);
	CHECK(heir == &x[2].r && h.busy && h.rhead == NULL);
	handover_heir_post(heir);
	pthread_join(th[2], NULL);
	CHECK_EQ_INT(x[2].got, 1);
	CHECK(x[2].r.own);
	/* the heir owns it now, and lets go */
	pthread_mutex_lock(&lock);
	CHECK(handover_heir(&h) == NULL);
	CHECK(handover_release(&h) == NULL);
	pthread_mutex_unlock(&lock);
	CHECK(!h.busy);
}

TEST(heir_only_without_waiters)
{
	struct ride x;
	struct who w = {9, 0, -1};
	pthread_t tr, tw;

	memset(&x, 0, sizeof(x));
	atomic_store(&served, 0);
	CHECK_EQ_INT(handover_take(&h, &lock, 0), 0);
	pthread_create(&tw, NULL, waiter, &w);
	until_queued(1);
	pthread_create(&tr, NULL, rider, &x);
	until_riding(1);
	/* a waiter waits: it is handed the thing, not the rider */
	pthread_mutex_lock(&lock);
	CHECK(handover_heir(&h) == NULL);
	struct handover_waiter *next = handover_release(&h);
	pthread_mutex_unlock(&lock);
	handover_post(next);
	pthread_join(tw, NULL); /* it released: nobody waits, the rider is still queued */
	CHECK_EQ_INT(w.rc, 0);
	CHECK(h.rhead == &x.r);
	pthread_mutex_lock(&lock);
	CHECK(handover_riders_take(&h) == &x.r);
	pthread_mutex_unlock(&lock);
	handover_rider_done(&x.r, 5);
	pthread_join(tr, NULL);
	CHECK_EQ_INT(x.got, 1);
	CHECK_EQ_INT(x.r.rc, 5);
}

int
main(void)
{
	RUN(free_taken_at_once_then_released);
	RUN(handed_in_arrival_order);
	RUN(deadline_leaves_the_line_whole);
	RUN(members_get_the_outcome);
	RUN(ride_a_free_thing_queues_nothing);
	RUN(riders_run_by_the_owner_then_heir);
	RUN(heir_only_without_waiters);
	return test_report();
}
