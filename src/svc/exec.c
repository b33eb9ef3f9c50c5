/*
 * exec.c: job executions, control-plane (describe, list, cancel, delete) and
 * device-plane (pending list, start-next, describe, update) use cases.
 * Transitions are checked and made by core (core_exec_check, the table, and
 * core_exec_apply); what follows an execution's end is progress.c's. Calls
 * progress.c and svc.c in svc/.
 */
#include "svc/progress_int.h"
#include "svc/s3doc_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/transition.h"
#include "store/store_read.h"
#include "util/buf.h"
#include "util/metrics.h"

static int
exec_not_found(const char *job_id, const char *thing, struct jd_error *e)
{
	return jd_error_set(e, JD_ENOTFOUND, "Job execution for job %s on thing %s does not exist",
	    job_id, thing);
}

/* Attach the execution state to e (data plane InvalidStateTransition / VersionMismatch). */
static void
attach_state(struct jd_error *e, const struct jd_exec *x)
{
	if (e == NULL)
		return;
	e->has_state = 1;
	e->state_status = x->status;
	e->state_version = x->version;
	free(e->state_details_json);
	e->state_details_json = jd_strdup(x->details);
}

int
svc_exec_describe(struct svc *s, const char *job_id, const char *thing, int64_t number,
    struct jd_exec *out, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_begin_one(s->store, &tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	rc = store_exec_get(tx, job_id, thing, number, out);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return exec_not_found(job_id, thing, e);
	return rc ? svc__store_err(rc, e) : 0;
}

struct page {
	int limit, seen;
	bool *more;
	jd_exec_cb cb;
	void *arg;
};

static int
exec_page(void *arg, const struct jd_exec *x)
{
	struct page *p = arg;

	if (p->seen++ >= p->limit) {
		*p->more = true;
		return 1;
	}
	return p->cb(p->arg, x);
}

int
svc_exec_list_job(struct svc *s, const char *job_id, int status, const char *after_thing,
    int64_t after_number, int limit, bool summary, jd_exec_cb cb, void *arg, bool *more,
    struct jd_error *e)
{
	int (*list)(struct store_tx *, const char *, int, const char *, int64_t, int, jd_exec_cb,
	    void *) = summary ? store_exec_list_job_summary : store_exec_list_job;
	struct page p = {limit, 0, more, cb, arg};
	struct store_tx *tx = NULL;
	struct jd_job j;
	int rc;

	*more = false;
	memset(&j, 0, sizeof(j));
	/* The list alone first (one operation, one round trip on PostgreSQL):
	 * a job's executions are deleted before it (timers.c, the reaper), so
	 * rows mean the job exists. No row: is there a job? Both again, on one
	 * snapshot. */
	if (store_begin_one(s->store, &tx) != 0)
		return svc__store_err(JD_EUNAVAIL, e);
	rc = list(tx, job_id, status, after_thing, after_number, limit + 1, exec_page, &p);
	store_rollback(tx);
	if (rc != 0 || p.seen > 0)
		return rc < 0 ? svc__store_err(rc, e) : 0;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_job_get(tx, job_id, &j);
	jd_job_release(&j);
	if (rc == 0)
		rc = list(tx, job_id, status, after_thing, after_number, limit + 1, exec_page, &p);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND)
		return jd_error_set(e, rc, "Job %s does not exist", job_id);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

int
svc_exec_list_thing(struct svc *s, const char *thing, const struct jd_exec_filter *f,
    int64_t before_seq, int limit, jd_exec_cb cb, void *arg, bool *more, struct jd_error *e)
{
	struct page p = {limit, 0, more, cb, arg};
	struct store_tx *tx = NULL;
	int rc;

	*more = false;
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_exec_list_thing(tx, thing, f, before_seq, limit + 1, exec_page, &p);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

/*
 * Optimistic device writes (issue 10, round 13). On a backend that prefers
 * them (store_prefers_update_if: both since round 14), StartNextPendingJobExecution,
 * UpdateJobExecution, and on the control plane CancelJobExecution and
 * DeleteJobExecution, read the execution (and its job) on a reader,
 * outside the writer, decide there, and then only write, on the writer, on
 * condition that the row is still as read: its version and status
 * (store_exec_update_if, store_exec_delete_if), in a write transaction of
 * its own that the writer's owner runs for it when it is busy (store_ride;
 * store/sqlite/conn.c, "Riders"), so the request sleeps once. On
 * PostgreSQL the writer then waits for no round trip of theirs
 * (store/postgres/group.c, "Conditional writes"). On SQLite, whose reads
 * on the writer cost no round trip, StartNext and UpdateJobExecution read
 * inside the ride instead (store_read_in_ride; "fast_op" below). If the
 * row changed in between, the write changes nothing and the use case runs
 * again as below, reading on the writer. What is answered
 * from the read alone (no such execution, a version mismatch, a refused
 * move, nothing pending, a head already IN_PROGRESS) is what the store held
 * at that snapshot: an order the requests could have had.
 *
 * Taken only where the write needs nothing else read under the writer lock
 * (the test rig's virtual clock is raised to the store's by the read,
 * fast_read_begin: an advance ordered after the read is ordered after the
 * write too):
 * - with notifications on (the MQTT plane), only where neither the thing's
 *   pending list nor its head can move: the status stays as it was, or
 *   StartNext moves the head from QUEUED to IN_PROGRESS (the head had no
 *   IN_PROGRESS execution before it, so it stays the head); otherwise the
 *   usual path reads the head before and after the change;
 * - an end (a terminal status) only for a job without abort or retry
 *   criteria (as the job was read: a change of them is ordered after this
 *   write), with execution events off, and never one that may complete the
 *   job (the end of the last active execution of an IN_PROGRESS snapshot
 *   job): the conditional write then changes nothing (store_read.h), and
 *   the usual path ends it and completes the job. Any other end leaves the
 *   job as it is, so svc__exec_finished_job would do nothing. A deletion
 *   likewise.
 */
static bool
fast_ok(const struct svc *s)
{
	return store_prefers_update_if(s->store);
}

/* The read of the optimistic path: one operation, on the test rig's
 * virtual clock in a read transaction that first raises the clock to the
 * store's (svc__clock_sync), so the write runs no earlier than any advance
 * its read saw. */
static int
fast_read_begin(struct svc *s, struct store_tx **tx)
{
	if (!s->clock->is_virtual)
		return store_begin_one(s->store, tx);
	if (store_begin(s->store, false, tx) != 0)
		return JD_EUNAVAIL;
	svc__clock_sync(s, *tx, false);
	return 0;
}

/* A conditional write, as store_ride runs it (perhaps on another thread). */
struct fast_ride {
	struct svc *s;
	const struct jd_exec *x;
	int64_t old_version;
	int from;
	bool del;
	struct store_cond res;
};

static int
fast_ride(struct store_tx *tx, void *arg)
{
	struct fast_ride *r = arg;
	const struct jd_exec *x = r->x;

	svc__clock_sync(r->s, tx, true); /* as svc__begin */
	return r->del ? store_exec_delete_if(tx, x->job_id, x->thing_name, x->number,
	                    r->old_version, r->from, &r->res) :
	                store_exec_update_if(tx, x, r->old_version, r->from, &r->res);
}

/* The conditional write of x (its deletion if del), read as
 * (old_version, from), in a transaction of its own that the store may run
 * inside another writer's (store_ride): 1 if it was applied and committed,
 * 0 if the row had changed (nothing was written), or an error (e set). */
static int
fast_write(struct svc *s, const struct jd_exec *x, int64_t old_version, int from, bool del,
    struct jd_error *e)
{
	struct fast_ride r = {.s = s, .x = x, .old_version = old_version, .from = from, .del = del};
	int rc;

	if ((rc = store_ride(s->store, fast_ride, &r)) != 0)
		return svc__store_err(rc, e);
	if (!r.res.done)
		return svc__store_err(JD_EUNAVAIL, e); /* committed, outcome unknown */
	metrics_inc(r.res.applied ? &jd_metrics.cond_applied : &jd_metrics.cond_retried);
	return r.res.applied ? 1 : 0;
}

/* CancelJobExecution's optimistic path (above: an end, so only with
 * notifications and execution events off): 1 answered (rc in *rcp), 0 take
 * the usual path. */
static int
cancel_fast(struct svc *s, const char *job_id, const char *thing, bool force,
    int64_t expected_version, const char *details, struct jd_error *e, int *rcp)
{
	struct store_tx *tx = NULL;
	struct jd_exec x;
	int64_t old_version;
	int from, rc;

	if (!fast_ok(s) || s->notify.changed != NULL || !svc__events_off(s, SVC_EV_JOB_EXECUTION) ||
	    fast_read_begin(s, &tx) != 0)
		return 0;
	rc = store_exec_get(tx, job_id, thing, 0, &x);
	store_rollback(tx);
	if (rc != 0)
		return 0; /* the usual path answers, as it finds the store */
	if (expected_version >= 0 && expected_version != x.version) {
		*rcp = jd_error_set(e, JD_EVERSION,
		    "The version for job execution %s/%s does not match the expected version.",
		    job_id, thing);
		goto answered;
	}
	if ((*rcp = core_exec_check(CORE_OP_CANCEL, x.status, JD_EXEC_CANCELED, force, e)) != 0)
		goto answered;
	if (details != NULL) {
		free(x.details);
		x.details = jd_strdup(details);
	}
	from = x.status;
	old_version = x.version;
	if (core_exec_apply(&x, CORE_OP_CANCEL, JD_EXEC_CANCELED, force, NULL, svc_now(s), NULL) !=
	        0 ||
	    (rc = fast_write(s, &x, old_version, from, false, e)) == 0) {
		jd_exec_release(&x);
		return 0; /* the row changed, or it was the job's last active one */
	}
	*rcp = rc < 0 ? rc : 0;
answered:
	jd_exec_release(&x);
	return 1;
}

int
svc_exec_cancel(struct svc *s, const char *job_id, const char *thing, bool force,
    int64_t expected_version, const char *details, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_exec x;
	int rc;

	if (cancel_fast(s, job_id, thing, force, expected_version, details, e, &rc))
		return rc;
	memset(&x, 0, sizeof(x));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	rc = store_exec_get(t.tx, job_id, thing, 0, &x);
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
		return exec_not_found(job_id, thing, e);
	}
	if (rc != 0)
		goto store_fail;
	if (expected_version >= 0 && expected_version != x.version) {
		rc = jd_error_set(e, JD_EVERSION,
		    "The version for job execution %s/%s does not match the expected version.",
		    job_id, thing);
		goto fail;
	}
	if ((rc = core_exec_check(CORE_OP_CANCEL, x.status, JD_EXEC_CANCELED, force, e)) != 0)
		goto fail;
	if (details != NULL) {
		free(x.details);
		x.details = jd_strdup(details);
	}
	if ((rc = svc__exec_move(&t, &x, CORE_OP_CANCEL, JD_EXEC_CANCELED, force)) != 0)
		goto store_fail;
	if ((rc = svc__job_maybe_complete(&t, job_id)) != 0)
		goto store_fail;
	jd_exec_release(&x);
	return svc__commit(&t, e);
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_exec_release(&x);
	svc__rollback(&t);
	return rc;
}

/* DeleteJobExecution's optimistic path (above: with execution events off,
 * and, for a pending execution, notifications off; a terminal one moves
 * neither the pending list nor its head): 1 answered (rc in *rcp), 0 take
 * the usual path. */
static int
delete_fast(struct svc *s, const char *job_id, const char *thing, int64_t number, bool force,
    struct jd_error *e, int *rcp)
{
	struct store_tx *tx = NULL;
	struct jd_exec x;
	int rc;

	if (!fast_ok(s) || number <= 0 || !svc__events_off(s, SVC_EV_JOB_EXECUTION) ||
	    fast_read_begin(s, &tx) != 0)
		return 0;
	rc = store_exec_get(tx, job_id, thing, number, &x);
	store_rollback(tx);
	if (rc != 0)
		return 0; /* the usual path answers, as it finds the store */
	/* D1: terminal states without force; QUEUED and IN_PROGRESS need force. */
	if ((*rcp = core_exec_check(CORE_OP_DELETE, x.status, x.status, force, e)) != 0) {
		jd_exec_release(&x);
		return 1;
	}
	if ((core_exec_status_pending(x.status) && s->notify.changed != NULL) ||
	    (rc = fast_write(s, &x, x.version, x.status, true, e)) == 0) {
		jd_exec_release(&x);
		return 0; /* the row changed, or it was the job's last active one */
	}
	*rcp = rc < 0 ? rc : 0;
	jd_exec_release(&x);
	return 1;
}

int
svc_exec_delete(struct svc *s, const char *job_id, const char *thing, int64_t number, bool force,
    struct jd_error *e)
{
	struct svc_tx t;
	struct jd_exec x;
	int rc;

	if (delete_fast(s, job_id, thing, number, force, e, &rc))
		return rc;
	memset(&x, 0, sizeof(x));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	/* number 0 is never allocated (D4 starts at 1): do not mean "latest". */
	rc = number > 0 ? store_exec_get(t.tx, job_id, thing, number, &x) : JD_ENOTFOUND;
	if (rc == JD_ENOTFOUND) {
		svc__rollback(&t);
		return jd_error_set(e, rc,
		    "Job execution %s/%s with execution number %lld does not exist", job_id, thing,
		    (long long)number);
	}
	if (rc != 0)
		goto store_fail;
	/* D1: terminal states without force; QUEUED and IN_PROGRESS need force. */
	if ((rc = core_exec_check(CORE_OP_DELETE, x.status, x.status, force, e)) != 0)
		goto fail;
	if ((rc = svc__touch(&t, thing, x.namespace_id, job_id,
	         core_exec_status_pending(x.status))) != 0 ||
	    (rc = store_exec_delete(t.tx, job_id, thing, number)) != 0 ||
	    (rc = svc__event_exec_deleted(&t, &x)) != 0)
		goto store_fail;
	if ((rc = svc__job_maybe_complete(&t, job_id)) != 0)
		goto store_fail;
	jd_exec_release(&x);
	return svc__commit(&t, e);
store_fail:
	rc = svc__store_err(rc, e);
fail:
	jd_exec_release(&x);
	svc__rollback(&t);
	return rc;
}

/* ---- device plane ------------------------------------------------------ */

int
svc_dev_pending(struct svc *s, const char *thing, const char *namespace_id, jd_exec_cb cb,
    void *arg, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	int rc;

	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	rc = store_exec_pending(tx, thing, namespace_id ? namespace_id : "", JD_PENDING_LIST_MAX,
	    cb, arg);
	store_rollback(tx);
	return rc < 0 ? svc__store_err(rc, e) : 0;
}

/* A job as a device may see it: one being deleted is gone. */
static bool
device_sees(const struct jd_job *j)
{
	return j->status != JD_JOB_DELETION_IN_PROGRESS;
}

/* The job of an execution, as the device may see it (device_sees). */
static int
device_job(struct store_tx *tx, const char *job_id, struct jd_job *j)
{
	int rc;

	memset(j, 0, sizeof(*j));
	rc = store_job_get(tx, job_id, j);
	if (rc == 0 && !device_sees(j)) {
		jd_job_release(j);
		return JD_ENOTFOUND;
	}
	return rc;
}

/* The optimistic path's answer: x and j's document; 1 */
static int
fast_answer(struct svc *s, struct jd_exec *x, struct jd_job *j, struct jd_exec *out, char **doc)
{
	*out = *x;
	*doc = svc__device_doc(s, j);
	jd_job_release(j);
	return 1;
}

/* x and j released; ret */
static int
fast_drop(struct jd_exec *x, struct jd_job *j, int ret)
{
	jd_exec_release(x);
	jd_job_release(j);
	return ret;
}

/*
 * StartNext's and UpdateJobExecution's optimistic paths share one shape
 * (struct fast_op): a read into x and j, a decision (step), then a write of
 * x on condition. On PostgreSQL the read runs on a reader and the write
 * rides (fast_read_run). On a store whose reads on the writer cost no
 * round trip (store_read_in_ride: SQLite, round 14) the read, the decision
 * and the write run in one rider (fast_ride_run), which the writer's owner
 * runs for it, so the request sleeps once and reads in no transaction of
 * its own; read and write are then one transaction, and the write is made
 * on condition only so that an end that may complete the job goes the
 * usual way (store_exec_update_if refuses it). What such a ride answers
 * from its read waits for the group that read it, as a rolled-back writer
 * does.
 */
enum fast_step {
	FAST_USUAL,    /* the usual path decides */
	FAST_ANSWERED, /* answered from the read: rc (and e) */
	FAST_WRITE,    /* x changed, from (old_version, from): write it */
};

/* fn's answer when the usual path decides (nothing written); JD_E* are
 * negative */
#define FAST_RIDE_USUAL 1

struct fast_op {
	struct svc *s;
	struct jd_error *e;
	int (*read)(struct store_tx *tx, struct fast_op *f); /* into x and j */
	enum fast_step (*step)(struct fast_op *f);
	struct jd_exec x;
	struct jd_job j;
	int64_t old_version;
	int from;
	bool have;           /* x and j hold rows */
	enum fast_step took; /* what step decided */
	int rc;              /* FAST_ANSWERED's answer */
};

static int
fast_op_ride(struct store_tx *tx, void *arg)
{
	struct fast_op *f = arg;
	struct store_cond res;
	int rc;

	svc__clock_sync(f->s, tx, true); /* as svc__begin */
	if (f->read(tx, f) != 0)
		return FAST_RIDE_USUAL; /* the usual path answers, as it finds the store */
	f->have = true;
	f->took = f->step(f);
	if (f->took != FAST_WRITE)
		return f->took == FAST_USUAL ? FAST_RIDE_USUAL : 0;
	if ((rc = store_exec_update_if(tx, &f->x, f->old_version, f->from, &res)) != 0)
		return rc;
	return res.applied ? 0 : FAST_RIDE_USUAL; /* it may complete the job */
}

/* Run f as one rider: 1 answered (*rcp; *found, if given, when it
 * answers an execution, into *out and *doc), 0 take the usual path */
static int
fast_ride_run(struct fast_op *f, struct jd_exec *out, char **doc, bool *found, int *rcp)
{
	int rc = store_ride(f->s->store, fast_op_ride, f);

	if (rc == FAST_RIDE_USUAL) {
		if (f->took == FAST_WRITE)
			metrics_inc(&jd_metrics.cond_retried);
		return f->have ? fast_drop(&f->x, &f->j, 0) : 0;
	}
	if (rc != 0) {
		*rcp = svc__store_err(rc, f->e);
		return f->have ? fast_drop(&f->x, &f->j, 1) : 1;
	}
	*rcp = f->rc;
	if (f->took == FAST_ANSWERED && (f->rc != 0 || f->x.job_id[0] == '\0'))
		return fast_drop(&f->x, &f->j, 1);
	if (f->took == FAST_WRITE)
		metrics_inc(&jd_metrics.cond_applied);
	if (found != NULL)
		*found = true;
	return fast_answer(f->s, &f->x, &f->j, out, doc);
}

/* Run f with its read on a reader and its write on condition, waiting for
 * no round trip on the writer (PostgreSQL): answers as fast_ride_run */
static int
fast_read_run(struct fast_op *f, struct jd_exec *out, char **doc, bool *found, int *rcp)
{
	struct store_tx *tx = NULL;
	int rc;

	if (fast_read_begin(f->s, &tx) != 0)
		return 0;
	rc = f->read(tx, f);
	store_rollback(tx);
	if (rc != 0)
		return 0; /* the usual path answers, as it finds the store */
	switch ((f->took = f->step(f))) {
	case FAST_USUAL:
		return fast_drop(&f->x, &f->j, 0);
	case FAST_ANSWERED:
		*rcp = f->rc;
		if (f->x.job_id[0] == '\0')
			return 1; /* nothing pending: x and j hold nothing */
		if (f->rc != 0)
			return fast_drop(&f->x, &f->j, 1);
		break;
	case FAST_WRITE:
		if ((rc = fast_write(f->s, &f->x, f->old_version, f->from, false, f->e)) == 0)
			return fast_drop(&f->x, &f->j, 0); /* the row changed */
		if (rc < 0) {
			*rcp = rc;
			return fast_drop(&f->x, &f->j, 1);
		}
		*rcp = 0;
		break;
	}
	/* written, or answered as it is (StartNext's head already IN_PROGRESS) */
	if (found != NULL)
		*found = true;
	return fast_answer(f->s, &f->x, &f->j, out, doc);
}

/* f's optimistic path, as the store prefers it: 1 answered (*rcp), 0 take
 * the usual path */
static int
fast_run(struct fast_op *f, struct jd_exec *out, char **doc, bool *found, int *rcp)
{
	if (store_read_in_ride(f->s->store))
		return fast_ride_run(f, out, doc, found, rcp);
	return fast_read_run(f, out, doc, found, rcp);
}

struct start_ride {
	struct fast_op f; /* first */
	const char *thing, *namespace_id, *details;
	int64_t step_minutes;
};

static int
start_read(struct store_tx *tx, struct fast_op *f)
{
	struct start_ride *u = (struct start_ride *)(void *)f;

	return store_exec_next_job(tx, u->thing, u->namespace_id ? u->namespace_id : "", &f->x,
	    &f->j);
}

/* StartNext's decision from the head x and its job j as read: FAST_WRITE
 * (x started), FAST_ANSWERED (nothing pending, or the head already
 * IN_PROGRESS: answered as it is, rc 0), FAST_USUAL */
static enum fast_step
start_step(struct fast_op *f)
{
	struct start_ride *u = (struct start_ride *)(void *)f;
	struct jd_exec *x = &f->x;
	struct core_exec_change c = {u->details, u->step_minutes > 0 ? u->step_minutes : 0,
	    f->j.inprogress_timeout_min};

	f->rc = 0;
	if (x->job_id[0] == '\0')
		return FAST_ANSWERED; /* nothing pending: 200 without execution */
	if (!device_sees(&f->j) ||
	    (x->status != JD_EXEC_QUEUED && x->status != JD_EXEC_IN_PROGRESS))
		return FAST_USUAL;
	if (x->status == JD_EXEC_IN_PROGRESS)
		return FAST_ANSWERED; /* returned as it is */
	f->old_version = x->version;
	f->from = JD_EXEC_QUEUED;
	if (core_exec_apply(x, CORE_OP_START_NEXT, JD_EXEC_IN_PROGRESS, false, &c, svc_now(f->s),
	        NULL) != 0)
		return FAST_USUAL;
	return FAST_WRITE;
}

/* StartNextPendingJobExecution's optimistic path (above): 1 answered (rc
 * in *rcp; *found when it answers an execution), 0 take the usual path. */
static int
start_next_fast(struct svc *s, const char *thing, const char *namespace_id, const char *details,
    int64_t step_minutes, struct jd_exec *out, char **doc, bool *found, struct jd_error *e,
    int *rcp)
{
	struct start_ride u = {.f = {.s = s, .e = e, .read = start_read, .step = start_step},
	    .thing = thing,
	    .namespace_id = namespace_id,
	    .details = details,
	    .step_minutes = step_minutes};

	return fast_ok(s) ? fast_run(&u.f, out, doc, found, rcp) : 0;
}

int
svc_dev_start_next(struct svc *s, const char *thing, const char *namespace_id, const char *details,
    int64_t step_minutes, struct jd_exec *out, char **doc, bool *found, struct jd_error *e)
{
	struct svc_tx t;
	struct jd_exec x;
	struct jd_job j;
	int rc;

	*found = false;
	*doc = NULL;
	if (start_next_fast(s, thing, namespace_id, details, step_minutes, out, doc, found, e, &rc))
		return rc;
	memset(&x, 0, sizeof(x));
	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	/* the head and its job: one round trip on PostgreSQL (store_read.h) */
	if ((rc = store_exec_next_job(t.tx, thing, namespace_id ? namespace_id : "", &x, &j)) != 0)
		goto store_fail;
	if (x.job_id[0] == '\0') {
		svc__rollback(&t);
		return 0; /* nothing pending: 200 without execution */
	}
	if (!device_sees(&j)) {
		rc = JD_ENOTFOUND;
		goto store_fail;
	}
	if (x.status == JD_EXEC_QUEUED) {
		struct core_exec_change c = {details, step_minutes > 0 ? step_minutes : 0,
		    j.inprogress_timeout_min};
		if ((rc = core_exec_apply(&x, CORE_OP_START_NEXT, JD_EXEC_IN_PROGRESS, false, &c,
		         t.now, e)) != 0)
			goto fail;
		if ((rc = svc__touch(&t, thing, x.namespace_id, x.job_id, false)) != 0)
			goto store_fail;
		if ((rc = store_exec_update(t.tx, &x)) != 0)
			goto store_fail;
		if ((rc = svc__commit(&t, e)) != 0)
			goto out;
	} else {
		svc__rollback(&t); /* already IN_PROGRESS: returned unchanged */
	}
	*found = true;
	*out = x;
	*doc = svc__device_doc(s, &j);
	jd_job_release(&j);
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	svc__rollback(&t);
out:
	jd_exec_release(&x);
	jd_job_release(&j);
	return rc;
}

int
svc_dev_describe(struct svc *s, const char *thing, const char *job_id, const char *namespace_id,
    int64_t number, struct jd_exec *out, char **doc, bool *found, struct jd_error *e)
{
	struct store_tx *tx = NULL;
	struct jd_exec x;
	struct jd_job j;
	int rc;

	*found = false;
	*doc = NULL;
	memset(&x, 0, sizeof(x));
	memset(&j, 0, sizeof(j));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	if (strcmp(job_id, "$next") == 0) {
		/* the head and its job, as StartNext reads them */
		rc = store_exec_next_job(tx, thing, namespace_id ? namespace_id : "", &x, &j);
		if (rc == 0 && x.job_id[0] == '\0') {
			store_rollback(tx);
			return 0; /* D15 */
		}
		if (rc == 0 && !device_sees(&j))
			rc = JD_ENOTFOUND;
	} else {
		rc = store_exec_get(tx, job_id, thing, number, &x);
		if (rc == JD_ENOTFOUND) {
			rc = exec_not_found(job_id, thing, e);
			goto fail;
		}
		if (rc != 0)
			goto store_fail;
		rc = device_job(tx, x.job_id, &j);
	}
	if (rc == JD_ENOTFOUND) {
		rc = exec_not_found(x.job_id, thing, e);
		goto fail;
	}
	if (rc != 0)
		goto store_fail;
	store_rollback(tx);
	*found = true;
	*out = x;
	*doc = svc__device_doc(s, &j);
	jd_job_release(&j);
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	store_rollback(tx);
	jd_exec_release(&x);
	jd_job_release(&j);
	return rc;
}

struct update_ride {
	struct fast_op f; /* first */
	const char *thing, *job_id;
	const struct svc_update_input *in;
};

static int
update_read(struct store_tx *tx, struct fast_op *f)
{
	struct update_ride *u = (struct update_ride *)(void *)f;

	return store_exec_get_job(tx, u->job_id, u->thing, u->in->number, &f->j, &f->x);
}

/* UpdateJobExecution's decision from x and j as read: FAST_WRITE (x
 * changed in place), FAST_ANSWERED (an error: rc, e), FAST_USUAL */
static enum fast_step
update_step(struct fast_op *f)
{
	struct update_ride *u = (struct update_ride *)(void *)f;
	const struct svc_update_input *in = u->in;
	struct jd_exec *x = &f->x;
	struct core_exec_change c = {in->details, in->step_minutes, f->j.inprogress_timeout_min};
	int rc;

	if (!device_sees(&f->j))
		return FAST_USUAL;
	if (in->expected_version >= 0 && in->expected_version != x->version) {
		f->rc = jd_error_set(f->e, JD_EVERSION,
		    "Expected version %lld does not match current version %lld",
		    (long long)in->expected_version, (long long)x->version);
		attach_state(f->e, x);
		return FAST_ANSWERED;
	}
	f->from = x->status;
	f->old_version = x->version;
	if ((rc = core_exec_apply(x, CORE_OP_DEVICE_UPDATE, in->status, false, &c, svc_now(f->s),
	         f->e)) != 0) {
		if (rc == JD_ESTATE)
			attach_state(f->e, x); /* a refused move leaves x as it was */
		f->rc = rc;
		return FAST_ANSWERED;
	}
	if (x->status != f->from && f->s->notify.changed != NULL)
		return FAST_USUAL; /* the head or the list may move (above) */
	if (!core_exec_status_pending(x->status) &&
	    ((f->j.policy.present & (JD_POLICY_ABORT | JD_POLICY_RETRY)) != 0 ||
	        !svc__events_off(f->s, SVC_EV_JOB_EXECUTION)))
		return FAST_USUAL; /* its end reads more (above) */
	return FAST_WRITE;
}

/* UpdateJobExecution's optimistic path (above): 1 answered (rc in *rcp),
 * 0 take the usual path. */
static int
update_fast(struct svc *s, const char *thing, const char *job_id, const struct svc_update_input *in,
    struct jd_exec *out, char **doc, struct jd_error *e, int *rcp)
{
	struct update_ride u = {.f = {.s = s, .e = e, .read = update_read, .step = update_step},
	    .thing = thing,
	    .job_id = job_id,
	    .in = in};

	return fast_ok(s) ? fast_run(&u.f, out, doc, NULL, rcp) : 0;
}

int
svc_dev_update(struct svc *s, const char *thing, const char *job_id,
    const struct svc_update_input *in, struct jd_exec *out, char **doc, struct jd_error *e)
{
	struct core_exec_change c = {in->details, in->step_minutes, 0};
	struct svc_tx t;
	struct jd_exec x;
	struct jd_job j;
	int from, rc;

	*doc = NULL;
	if (update_fast(s, thing, job_id, in, out, doc, e, &rc))
		return rc;
	memset(&x, 0, sizeof(x));
	memset(&j, 0, sizeof(j));
	if ((rc = svc__begin(s, &t, e)) != 0)
		return rc;
	/* the job and the execution in one operation (one statement on
	 * PostgreSQL, whose writer then defers the execution's change: group.c
	 * "Deferred writes"); either missing, or the job being deleted, is the
	 * same answer */
	rc = store_exec_get_job(t.tx, job_id, thing, in->number, &j, &x);
	if (rc == 0 && !device_sees(&j))
		rc = JD_ENOTFOUND; /* j and x are released at `fail` */
	if (rc == JD_ENOTFOUND) {
		rc = exec_not_found(job_id, thing, e);
		goto fail;
	}
	if (rc != 0)
		goto store_fail;
	if (in->expected_version >= 0 && in->expected_version != x.version) {
		rc = jd_error_set(e, JD_EVERSION,
		    "Expected version %lld does not match current version %lld",
		    (long long)in->expected_version, (long long)x.version);
		attach_state(e, &x);
		goto fail;
	}
	from = x.status;
	c.timeout_min = j.inprogress_timeout_min;
	if ((rc = core_exec_apply(&x, CORE_OP_DEVICE_UPDATE, in->status, false, &c, t.now, e)) !=
	    0) {
		if (rc == JD_ESTATE)
			attach_state(e, &x); /* a refused move leaves x as it was */
		goto fail;
	}
	if ((rc = svc__touch(&t, thing, x.namespace_id, job_id,
	         core_exec_status_pending(from) != core_exec_status_pending(x.status))) != 0)
		goto store_fail;
	if ((rc = store_exec_update(t.tx, &x)) != 0 || (rc = svc__event_exec(&t, &x)) != 0)
		goto store_fail;
	if (core_exec_status_terminal(x.status) && (rc = svc__exec_finished_job(&t, &x, &j)) != 0)
		goto store_fail;
	if ((rc = svc__commit(&t, e)) != 0)
		goto out;
	*out = x;
	*doc = svc__device_doc(s, &j);
	jd_job_release(&j);
	return 0;
store_fail:
	rc = svc__store_err(rc, e);
fail:
	svc__rollback(&t);
out:
	jd_exec_release(&x);
	jd_job_release(&j);
	return rc;
}
