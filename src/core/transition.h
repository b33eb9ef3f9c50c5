/*
 * transition.h: a state change of an execution or a job, applied in one
 * place.
 *
 * svc decides *whether* to move (its own preconditions, with its own
 * messages), then calls these to *make* the move: the state machine is
 * checked again (core_exec_check) and every field that a move changes
 * (status, versionNumber, timestamps, timer deadlines, the forced-cancel
 * flag) is set here and nowhere else. A refused move leaves the record
 * untouched. Pure: the time is an argument; the only allocation is the copy
 * of new statusDetails.
 */
#ifndef JD_CORE_TRANSITION_H
#define JD_CORE_TRANSITION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "core/model.h"
#include "util/err.h"

/*
 * What a move carries besides its target state. A zeroed struct (or NULL)
 * means: details unchanged, step timer unchanged, no in-progress timeout.
 */
struct core_exec_change {
	const char *details;  /* borrowed; non-NULL: x->details becomes a copy of it */
	int64_t step_minutes; /* stepTimeoutInMinutes: > 0 sets the step timer to now +
	                           * minutes (capped by the in-progress deadline); -1 clears
	                           * it; 0 leaves it */
	int64_t timeout_min;  /* the job's inProgressTimeoutInMinutes (0 = none): sets the
	                           * in-progress deadline when the execution starts */
};

/*
 * Move execution x by `op` to `to` at `now` (epoch ms).
 *
 * First core_exec_check(op, x->status, to, force, e): on refusal returns its
 * JD_EINVAL / JD_ESTATE (e set when non-NULL) and x is unchanged. Then, for
 * every op but CORE_OP_DELETE:
 *   - QUEUED -> IN_PROGRESS (START_NEXT, or a device update): started_ms =
 *     now and inprogress_deadline = now + c->timeout_min (0 when none);
 *   - IN_PROGRESS -> CANCELED (a forced cancel): force_canceled = true;
 *   - status = to, version + 1, updated_ms = now;
 *   - c->details non-NULL: details replaced by a copy (the old one freed);
 *   - c->step_minutes: > 0 sets step_deadline (core_step_deadline, capped by
 *     the in-progress deadline just set or kept), -1 clears it;
 *   - a terminal `to`: inprogress_deadline and step_deadline become 0.
 * CORE_OP_DELETE only checks (the caller deletes the row; `to` is ignored).
 * Returns 0 on success.
 *
 * The pending list changes (a device view must be refreshed) when
 * core_exec_status_pending(from) != core_exec_status_pending(to): compare
 * before the call.
 */
int core_exec_apply(struct jd_exec *x, int op, int to, bool force, const struct core_exec_change *c,
    int64_t now, struct jd_error *e);

/*
 * Move job j to status `to` at `now`: status = to, updated_ms = now, and
 * completed_ms = now when `to` is COMPLETED or CANCELED and the job has no
 * completion time yet (a re-cancel keeps the first). Allowed moves:
 *   IN_PROGRESS -> CANCELED, COMPLETED, DELETION_IN_PROGRESS, SCHEDULED (a
 *                  maintenance window closed)
 *   SCHEDULED   -> IN_PROGRESS, CANCELED, DELETION_IN_PROGRESS
 *   CANCELED    -> CANCELED (forced re-cancel), DELETION_IN_PROGRESS
 *   COMPLETED   -> DELETION_IN_PROGRESS
 * Any other returns JD_ESTATE with j unchanged (svc checks its own
 * preconditions first, with AWS's messages). The other fields of a cancel
 * (reason, comment, force flag, rollout) are the caller's.
 */
int core_job_apply(struct jd_job *j, int to, int64_t now);

/*
 * Is job j complete once `active` of its executions are pending (QUEUED or
 * IN_PROGRESS)? True for an IN_PROGRESS SNAPSHOT job with no pending
 * execution and no rollout batch waiting (rollout_next_ms == 0). A
 * CONTINUOUS job never completes by itself.
 */
bool core_job_done(const struct jd_job *j, int64_t active);

#endif
