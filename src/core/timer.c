/*
 * timer.c: timer arithmetic (spec §9.3, decisions D17) and the order of the
 * pending list (spec §7.1). Time is epoch milliseconds handed in by the
 * caller; nothing here reads a clock. Sums saturate at INT64_MAX rather than
 * overflow, so an absurd input gives a far-future deadline, not UB.
 */
#include "core/core.h"

/* t + minutes, saturating; minutes > 0. */
static int64_t
add_minutes(int64_t t, int64_t minutes)
{
	if (minutes > INT64_MAX / CORE_MIN_MS)
		return INT64_MAX;
	if (t > 0 && minutes * CORE_MIN_MS > INT64_MAX - t)
		return INT64_MAX;
	return t + minutes * CORE_MIN_MS;
}

int64_t
core_inprogress_deadline(int64_t started_ms, int64_t minutes)
{
	if (minutes <= 0)
		return 0;
	return add_minutes(started_ms, minutes);
}

int64_t
core_step_deadline(int64_t now_ms, int64_t minutes, int64_t inprogress_deadline)
{
	int64_t d;

	if (minutes <= 0)
		return 0;
	d = add_minutes(now_ms, minutes);
	/* "The step timer never extends beyond the in-progress deadline." */
	if (inprogress_deadline != 0 && d > inprogress_deadline)
		d = inprogress_deadline;
	return d;
}

int64_t
core_effective_deadline(int64_t inprogress_deadline, int64_t step_deadline)
{
	if (inprogress_deadline == 0)
		return step_deadline;
	if (step_deadline == 0)
		return inprogress_deadline;
	return step_deadline < inprogress_deadline ? step_deadline : inprogress_deadline;
}

int64_t
core_seconds_before_timeout(int64_t now_ms, int64_t deadline)
{
	int64_t left;

	if (deadline == 0)
		return -1;
	if (deadline <= now_ms)
		return 0;
	if (now_ms < 0 && deadline > INT64_MAX + now_ms)
		return INT64_MAX / 1000 + 1;
	left = deadline - now_ms;
	return left / 1000 + (left % 1000 != 0);
}

static int
pending_rank(int status)
{
	if (status == JD_EXEC_IN_PROGRESS)
		return 0;
	if (status == JD_EXEC_QUEUED)
		return 1;
	return 2; /* not pending: after both, for callers that mix them */
}

int
core_pending_cmp(const struct core_pending_key *a, const struct core_pending_key *b)
{
	int ra = pending_rank(a->status), rb = pending_rank(b->status);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->queued_at != b->queued_at)
		return a->queued_at < b->queued_at ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}
