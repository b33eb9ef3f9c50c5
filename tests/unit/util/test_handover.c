/* test_handover.c: one owner at a time, handed over in arrival order; a
 * waiter whose deadline passes gives up and leaves the line whole. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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

int
main(void)
{
	RUN(free_taken_at_once_then_released);
	RUN(handed_in_arrival_order);
	RUN(deadline_leaves_the_line_whole);
	RUN(members_get_the_outcome);
	return test_report();
}
