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
#include <time.h>

#include "util/log.h"

static void *
worker_main(void *arg)
{
	struct api_workers *w = arg;
	struct api_req *r;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->quit)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->head == NULL) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		r = w->head;
		w->head = r->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
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
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, JD_HTTP_STACK);
	for (; w->n < JD_HTTP_WORKERS; w->n++) {
		if (pthread_create(&w->th[w->n], &at, worker_main, w) != 0) {
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
	if (w->tail != NULL)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
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
	if (w->n == 0)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	w->n = 0;
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
}
