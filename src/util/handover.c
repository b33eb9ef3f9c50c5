/* handover.c: see handover.h. */
#include "util/handover.h"

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
