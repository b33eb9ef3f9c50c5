/*
 * transition.c: execution and job moves applied in one place.
 *
 * The execution state machine (which moves are allowed) is the table in
 * state.c; this file holds what a move *does* to the record, which the
 * engine used to write out at each call site (a device update, StartNext,
 * a cancel, a timeout, a removal). Keeping the two apart lets the table
 * stay declarative while every versionNumber bump and deadline rule is
 * written once.
 */
#include "core/transition.h"

#include <stdlib.h>

#include "util/buf.h"

int
core_exec_apply(struct jd_exec *x, int op, int to, bool force, const struct core_exec_change *c,
    int64_t now, struct jd_error *e)
{
	static const struct core_exec_change none = {NULL, 0, 0};
	int rc = core_exec_check(op, x->status, to, force, e);

	if (rc != 0 || op == CORE_OP_DELETE)
		return rc;
	if (c == NULL)
		c = &none;
	if (x->status == JD_EXEC_QUEUED && to == JD_EXEC_IN_PROGRESS) {
		x->started_ms = now;
		x->inprogress_deadline = core_inprogress_deadline(now, c->timeout_min);
	}
	if (x->status == JD_EXEC_IN_PROGRESS && to == JD_EXEC_CANCELED)
		x->force_canceled = true;
	x->status = to;
	x->version++;
	x->updated_ms = now;
	if (c->details != NULL) {
		free(x->details);
		x->details = jd_strdup(c->details);
	}
	if (c->step_minutes == -1)
		x->step_deadline = 0;
	else if (c->step_minutes > 0)
		x->step_deadline = core_step_deadline(now, c->step_minutes, x->inprogress_deadline);
	if (core_exec_status_terminal(to))
		x->inprogress_deadline = x->step_deadline = 0;
	return 0;
}

#define J(x) (1u << JD_JOB_##x)

/* The statuses each job status may move to (see transition.h). */
static const unsigned job_moves[JD_JOB__COUNT] = {
    [JD_JOB_IN_PROGRESS] = J(CANCELED) | J(COMPLETED) | J(DELETION_IN_PROGRESS) | J(SCHEDULED),
    [JD_JOB_SCHEDULED] = J(IN_PROGRESS) | J(CANCELED) | J(DELETION_IN_PROGRESS),
    [JD_JOB_CANCELED] = J(CANCELED) | J(DELETION_IN_PROGRESS),
    [JD_JOB_COMPLETED] = J(DELETION_IN_PROGRESS),
    [JD_JOB_DELETION_IN_PROGRESS] = 0,
};

int
core_job_apply(struct jd_job *j, int to, int64_t now)
{
	if (j->status < 0 || j->status >= JD_JOB__COUNT || to < 0 || to >= JD_JOB__COUNT ||
	    (job_moves[j->status] & (1u << to)) == 0)
		return JD_ESTATE;
	j->status = to;
	j->updated_ms = now;
	if ((to == JD_JOB_COMPLETED || to == JD_JOB_CANCELED) && j->completed_ms == 0)
		j->completed_ms = now;
	return 0;
}

bool
core_job_done(const struct jd_job *j, int64_t active)
{
	return active == 0 && j->selection == JD_SEL_SNAPSHOT && j->status == JD_JOB_IN_PROGRESS &&
	    j->rollout_next_ms == 0;
}
