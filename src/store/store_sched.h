/*
 * store_sched.h: the schedule passes' due time, a part of the store
 * interface (store_ops.sched; issue 15, cost flat in store size). Its own
 * header because store.h is at the size limit of a file.
 *
 * Every job row carries jd_job.sched_due_ms, written by job_insert and
 * job_update as given (svc computes it, core_schedule_due) and read back by
 * every job read (-1 for a row from before the column). The timer's start,
 * window and end passes list only the jobs due at now through a partial
 * index on it, so a tick with nothing due costs the same however many jobs
 * wait.
 */
#ifndef JD_STORE_STORE_SCHED_H
#define JD_STORE_STORE_SCHED_H

#include "store/store.h"

struct store_sched_ops {
	/* The jobs whose sched_due_ms is in (0, now_ms], earliest first, at
	 * most limit (<= 0: all), each to cb as job_list does. */
	int (*job_sched_due)(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb,
	    void *arg);
};

static inline int
store_job_sched_due(struct store_tx *tx, int64_t now_ms, int limit, jd_job_cb cb, void *arg)
{
	assert(tx != NULL && cb != NULL);
	return store__tx(tx)->ops->sched->job_sched_due(tx, now_ms, limit, cb, arg);
}

#endif
