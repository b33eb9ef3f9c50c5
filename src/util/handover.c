/* handover.c: see handover.h. */
#include "util/handover.h"

#include "util/metrics.h"
#include "util/sys.h"

int
handover_take(struct handover *h, pthread_mutex_t *lock, int64_t deadline)
{
	struct handover_waiter me = {.next = NULL, .handed = false};
	bool handed;

	pthread_mutex_lock(lock);
	if (!h->busy && h->head == NULL) {
		h->busy = true;
		pthread_mutex_unlock(lock);
		return 0;
	}
	sem_init(&me.sem, 0, 0);
	if (h->tail != NULL)
		h->tail->next = &me;
	else
		h->head = &me;
	h->tail = &me;
	h->queued++;
	pthread_mutex_unlock(lock);
	if (sys_sem_wait(&me.sem, deadline) == 0) {
		sem_destroy(&me.sem);
		return 0;
	}
	pthread_mutex_lock(lock);
	handed = me.handed;
	if (!handed) {
		struct handover_waiter **pp = &h->head, *prev = NULL;

		while (*pp != &me) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		*pp = me.next;
		if (h->tail == &me)
			h->tail = prev;
		h->queued--;
	}
	pthread_mutex_unlock(lock);
	if (handed) /* the post is on its way: take it before me goes */
		sys_sem_wait(&me.sem, 0);
	sem_destroy(&me.sem);
	return handed ? 0 : -1;
}

struct handover_waiter *
handover_release(struct handover *h)
{
	struct handover_waiter *w = h->head;

	if (w == NULL) {
		h->busy = false;
		return NULL;
	}
	h->head = w->next;
	if (h->head == NULL)
		h->tail = NULL;
	h->queued--;
	w->handed = true; /* busy stays true: it is w's now */
	return w;
}

void
handover_post(struct handover_waiter *w)
{
	if (w != NULL)
		sem_post(&w->sem);
}

void
handover_member_init(struct handover_member *m)
{
	sem_init(&m->sem, 0, 0);
}

void
handover_members_post(struct handover_member *list)
{
	while (list != NULL) {
		struct handover_member *next = list->next;

		sem_post(&list->sem);
		list = next;
	}
}

int
handover_member_wait(struct handover_member *m)
{
	sys_sem_wait(&m->sem, 0);
	sem_destroy(&m->sem);
	return m->rc;
}

int
handover_ride(struct handover *h, pthread_mutex_t *lock, struct handover_rider *r)
{
	r->next = NULL;
	r->rc = 0;
	r->own = false;
	r->m.next = NULL;
	r->m.rc = 0;
	r->m.observer = false;
	pthread_mutex_lock(lock);
	if (!h->busy) {
		pthread_mutex_unlock(lock);
		return 0;
	}
	handover_member_init(&r->m);
	if (h->rtail != NULL)
		h->rtail->next = r;
	else
		h->rhead = r;
	h->rtail = r;
	atomic_fetch_add_explicit(&jd_metrics.store_riders, 1, memory_order_relaxed);
	pthread_mutex_unlock(lock);
	handover_member_wait(&r->m);
	return 1;
}

struct handover_rider *
handover_riders_take(struct handover *h)
{
	struct handover_rider *list = h->rhead;
	uint64_t n = 0;

	h->rhead = h->rtail = NULL;
	for (struct handover_rider *r = list; r != NULL; r = r->next)
		n++;
	if (n > 0) {
		atomic_fetch_sub_explicit(&jd_metrics.store_riders, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&jd_metrics.store_carried, n, memory_order_relaxed);
	}
	return list;
}

void
handover_rider_done(struct handover_rider *r, int rc)
{
	r->rc = rc;
	r->m.rc = rc;
	sem_post(&r->m.sem);
}

struct handover_rider *
handover_heir(struct handover *h)
{
	struct handover_rider *r = h->rhead;

	if (r == NULL || h->head != NULL)
		return NULL;
	h->rhead = r->next;
	if (h->rhead == NULL)
		h->rtail = NULL;
	r->own = true; /* busy stays true: it is r's now */
	atomic_fetch_sub_explicit(&jd_metrics.store_riders, 1, memory_order_relaxed);
	return r;
}

void
handover_heir_post(struct handover_rider *r)
{
	if (r != NULL)
		sem_post(&r->m.sem);
}
