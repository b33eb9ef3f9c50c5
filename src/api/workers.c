/*
 * workers.c: the write workers. Every request but a read is suspended once
 * its body is in and handed to JD_HTTP_WORKERS threads, then resumed to send
 * its answer: a write that waits on the store (its lock, a group commit)
 * holds only its own connection, while many concurrent writes fill one
 * group commit. Stopping drains what was handed off before the daemons go.
 */
#include "api/api_int.h"

#include <microhttpd.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>

#include "util/log.h"
#include "util/sys.h"

/*
 * One worker thread. An idle worker sleeps on its own semaphore, on the
 * sleepers stack; a hand-off gives the request straight to the worker that
 * went to sleep last (its stack and caches are the warmest) and posts it, so
 * the woken worker does not re-take mu (a condition variable made every
 * woken worker queue on the mutex the listener threads hand off under).
 */
struct api_worker {
	struct api_workers *w;
	struct api_worker *next; /* on w->sleepers */
	struct api_req *r;       /* given while asleep; NULL: quit */
	sem_t sem;
	pthread_t th;
};

static void *
worker_main(void *arg)
{
	struct api_worker *me = arg;
	struct api_workers *w = me->w;
	struct api_req *r;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		r = w->head;
		if (r != NULL) {
			w->head = r->next;
			if (w->head == NULL)
				w->tail = NULL;
		} else if (w->quit) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		} else {
			me->r = NULL;
			me->next = w->sleepers;
			w->sleepers = me;
		}
		pthread_mutex_unlock(&w->mu);
		if (r == NULL) {
			sys_sem_wait(&me->sem, 0);
			if ((r = me->r) == NULL)
				continue; /* quit */
		}
		api__dispatch(r);
		r->served = true;
		/* the connection's thread sees r->served after the resume */
		MHD_resume_connection(r->conn);
	}
}

int
api__workers_start(struct api_workers *w, struct jd_error *e)
{
	pthread_attr_t at;

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->idle, NULL);
	w->wk = jd_calloc(JD_HTTP_WORKERS, sizeof(*w->wk));
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, JD_HTTP_STACK);
	for (; w->n < JD_HTTP_WORKERS; w->n++) {
		struct api_worker *k = &w->wk[w->n];

		k->w = w;
		sem_init(&k->sem, 0, 0);
		if (pthread_create(&k->th, &at, worker_main, k) != 0) {
			sem_destroy(&k->sem);
			pthread_attr_destroy(&at);
			return jd_error_set(e, JD_EINTERNAL, "cannot start HTTP worker threads");
		}
	}
	pthread_attr_destroy(&at);
	return 0;
}

/*
 * Queue r, whose connection the caller suspends on return 0; -1 when
 * shutting down (r is then answered at once).
 */
int
api__workers_hand_off(struct api_workers *w, struct api_req *r, struct MHD_Connection *c)
{
	struct api_worker *k;

	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	w->outstanding++;
	r->handed = true;
	r->conn = c;
	r->next = NULL;
	/* suspended before a worker can resume it */
	MHD_suspend_connection(c);
	if ((k = w->sleepers) != NULL) {
		w->sleepers = k->next;
		k->r = r;
	} else {
		if (w->tail != NULL)
			w->tail->next = r;
		else
			w->head = r;
		w->tail = r;
	}
	pthread_mutex_unlock(&w->mu);
	if (k != NULL)
		sem_post(&k->sem);
	return 0;
}

/* A handed-off request is complete (answered, or its connection closed). */
void
api__workers_release(struct api_workers *w)
{
	pthread_mutex_lock(&w->mu);
	if (--w->outstanding == 0)
		pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
}

/*
 * Refuse new hand-offs and wait (up to JD_HTTP_DRAIN_S) until every
 * handed-off request has been answered: its change is committed and the
 * client has its 200.
 */
void
api__workers_drain(struct api_workers *w)
{
	struct timespec ts;
	int rc = 0;

	if (w->n == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += JD_HTTP_DRAIN_S;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	while (w->outstanding > 0 && rc == 0)
		rc = pthread_cond_timedwait(&w->idle, &w->mu, &ts);
	if (w->outstanding > 0)
		log_warn("http: %d request(s) still in flight after %d s", w->outstanding,
		    JD_HTTP_DRAIN_S);
	pthread_mutex_unlock(&w->mu);
}

/* After the daemons have stopped: the queue is empty; join the threads. */
void
api__workers_stop(struct api_workers *w)
{
	struct api_worker *k;

	if (w->wk == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	k = w->sleepers;
	w->sleepers = NULL;
	pthread_mutex_unlock(&w->mu);
	/* wake the sleepers with no request (quit); the others see quit */
	while (k != NULL) {
		struct api_worker *next = k->next;

		sem_post(&k->sem);
		k = next;
	}
	for (int i = 0; i < w->n; i++) {
		pthread_join(w->wk[i].th, NULL);
		sem_destroy(&w->wk[i].sem);
	}
	w->n = 0;
	free(w->wk);
	w->wk = NULL;
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->mu);
}
