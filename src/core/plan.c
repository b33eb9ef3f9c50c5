/*
 * plan.c: the rollout plan (plan.h): the engine's rollout events replayed
 * over simulated time with the engine's own decisions, and the window
 * duty's decision (core_window_act), which svc/schedule.c calls.
 *
 * The loop follows one batch at a time, as the timer pass does: a batch
 * due at t goes out at t when t is inside a window (or there are none) and
 * before endTime; outside every window it is held, and goes out when the
 * next window opens (the window duty sets the due time to the opening),
 * the minute cadence counting from there. A due time before now (an
 * overdue batch the timer is catching up on) is shown at now.
 */
#include "core/plan.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/buf.h"

int
core_window_act(const struct jd_policy *p, int status, bool waiting, bool continuous, int64_t now)
{
	int st = core_schedule_window(p, now, NULL);

	if (status == JD_JOB_SCHEDULED && st == CORE_WINDOW_OPEN)
		return CORE_WACT_OPEN;
	if (status == JD_JOB_SCHEDULED && st == CORE_WINDOW_ENDED)
		return CORE_WACT_END;
	if (status == JD_JOB_IN_PROGRESS && st == CORE_WINDOW_CLOSED && (waiting || continuous))
		return CORE_WACT_PAUSE;
	return CORE_WACT_NONE;
}

static const char *const note_text[CORE_PLAN_NOTE_COUNT] = {
    "The job has no jobExecutionsRolloutConfig: every execution is queued at once.",
    "The rate grows with SUCCEEDED executions (rateIncreaseCriteria.numberOfSucceededThings): "
    "the plan assumes every execution succeeds as soon as it is notified, so it is the "
    "earliest; failures or slow devices make the later waves smaller.",
    "schedulingConfig.endTime comes before the rollout ends: the things not reached by then "
    "never get an execution (see never).",
    "No maintenance window opens before the end: the things left never get an execution.",
    "The plan has more waves than listed: waves shows the first ones, wavesTotal counts all.",
    "The rollout is too long to plan to its end: earliestCompletion is unknown.",
    "The rollout is held outside its maintenance windows: it is planned from the next "
    "window's opening.",
    "The job is CONTINUOUS: things that join its target groups later are queued when they "
    "join, and are not planned here.",
    "Nothing is left to roll out.",
    "The rollout spans more maintenance windows than listed.",
    "The job is paused: the plan assumes it is resumed now (the next batch goes out at "
    "once).",
};

const char *
core_plan_note_text(unsigned note)
{
	for (int i = 0; i < CORE_PLAN_NOTE_COUNT; i++)
		if (note == (1u << i))
			return note_text[i];
	return NULL;
}

/* The span [*s, *e) of the open window(s) around t (t inside one). */
static void
window_span(const struct jd_policy *p, int64_t t, int64_t *s, int64_t *e)
{
	int64_t lo = t, hi = t;

	for (size_t i = 0; i < p->n_windows; i++) {
		int64_t dur = p->windows[i].minutes * CORE_MIN_MS;
		int64_t occ = core_cron_next(&p->windows[i].start, t - dur + 1);
		if (occ >= 0 && occ <= t) {
			lo = occ < lo ? occ : lo;
			hi = occ + dur > hi ? occ + dur : hi;
		}
	}
	/* windows that overlap or touch make one span (bounded) */
	for (int k = 0; k < 64 && core_window_active(p->windows, p->n_windows, hi, NULL); k++) {
		int64_t nhi = hi;
		for (size_t i = 0; i < p->n_windows; i++) {
			int64_t dur = p->windows[i].minutes * CORE_MIN_MS;
			int64_t occ = core_cron_next(&p->windows[i].start, hi - dur + 1);
			if (occ >= 0 && occ <= hi && occ + dur > nhi)
				nhi = occ + dur;
		}
		if (nhi == hi)
			break;
		hi = nhi;
	}
	*s = lo;
	*e = hi;
}

int64_t
core_schedule_due(const struct jd_policy *p, int status, bool waiting, bool continuous, int64_t now)
{
	int64_t due = 0, next = -1, s, e;
	int st;

	if (now < 1)
		now = 1; /* 0 means never */
	if (status == JD_JOB_SCHEDULED && p->n_windows == 0)
		return core_schedule_phase(p, now) != CORE_SCHEDULE_BEFORE ? now : p->start_ms;
	if (status == JD_JOB_SCHEDULED) {
		/* it opens in a window, or ends (core_window_act: OPEN, END) */
		st = core_schedule_window(p, now, &next);
		if (st == CORE_WINDOW_OPEN || st == CORE_WINDOW_ENDED)
			return now;
		due = next > 0 ? next : 0;
		if (p->end_ms != 0 && (due == 0 || p->end_ms < due))
			due = p->end_ms;
		return due;
	}
	if (status != JD_JOB_IN_PROGRESS)
		return 0;
	/* the end duty at endTime */
	if (p->end_ms != 0) {
		if (now >= p->end_ms)
			return now;
		due = p->end_ms;
	}
	/* the window duty pauses it when its windows close (core_window_act:
	 * PAUSE, only with something to roll out) */
	if (p->n_windows > 0 && (waiting || continuous)) {
		st = core_schedule_window(p, now, NULL);
		if (st == CORE_WINDOW_CLOSED)
			return now;
		if (st == CORE_WINDOW_OPEN) {
			window_span(p, now, &s, &e);
			if (e <= now)
				return now;
			if (due == 0 || e < due)
				due = e;
		}
	}
	return due;
}

static void
note_window(const struct jd_policy *p, struct core_plan *pl, int64_t t)
{
	int64_t s, e;

	if (p->n_windows == 0)
		return;
	if (pl->n_windows > 0 && t < pl->windows[pl->n_windows - 1].end_ms &&
	    t >= pl->windows[pl->n_windows - 1].start_ms)
		return;
	if (pl->n_windows == CORE_PLAN_WINDOWS_MAX) {
		pl->notes |= CORE_PLAN_NOTE_WINDOWS_CUT;
		return;
	}
	window_span(p, t, &s, &e);
	pl->windows[pl->n_windows].start_ms = s;
	pl->windows[pl->n_windows].end_ms = e;
	pl->n_windows++;
}

static void
add_wave(const struct jd_policy *p, struct core_plan *pl, int64_t at, int64_t due, int64_t n)
{
	if (n <= 0)
		return;
	note_window(p, pl, due);
	pl->executions += n;
	if (pl->start_ms < 0)
		pl->start_ms = at;
	pl->completion_ms = at;
	if (pl->n_waves > 0 && pl->waves[pl->n_waves - 1].at_ms == at) {
		/* overdue batches the timer releases in its next passes: one wave */
		pl->waves[pl->n_waves - 1].count += n;
		pl->waves[pl->n_waves - 1].cumulative = pl->released + pl->executions;
		return;
	}
	pl->waves_total++;
	if (pl->n_waves == CORE_PLAN_WAVES_MAX) {
		pl->notes |= CORE_PLAN_NOTE_WAVES_CUT;
		return;
	}
	if (pl->waves == NULL)
		pl->waves = jd_calloc(CORE_PLAN_WAVES_MAX, sizeof(*pl->waves));
	pl->waves[pl->n_waves++] = (struct core_plan_wave){at, n, pl->released + pl->executions};
}

/*
 * When a batch due at t (or a start at t) actually goes out: t itself, or
 * the next window's opening when t is outside every window. -1: never (no
 * window opens again, or endTime comes first).
 */
static int64_t
release_at(const struct jd_policy *p, int64_t t, struct core_plan *pl)
{
	if (p->n_windows > 0) {
		int64_t next = -1;
		int st = core_schedule_window(p, t, &next);
		if (st == CORE_WINDOW_ENDED) {
			pl->notes |= CORE_PLAN_NOTE_END_CUTS;
			return -1;
		}
		if (st == CORE_WINDOW_CLOSED) {
			if (next < 0) {
				pl->notes |= CORE_PLAN_NOTE_NO_WINDOW;
				return -1;
			}
			t = next;
			if (p->end_ms != 0 && t >= p->end_ms) {
				pl->notes |= CORE_PLAN_NOTE_END_CUTS;
				return -1;
			}
		}
		return t;
	}
	if (p->end_ms != 0 && t >= p->end_ms) {
		pl->notes |= CORE_PLAN_NOTE_END_CUTS;
		return -1;
	}
	return t;
}

void
core_plan_rollout(const struct core_plan_in *in, struct core_plan *pl)
{
	const struct jd_policy *p = in->p;
	int64_t waiting = in->pending > 0 ? in->pending : 0;
	int64_t notified = in->notified, next = 0, t;
	int64_t steps = 0;

	memset(pl, 0, sizeof(*pl));
	pl->start_ms = pl->completion_ms = -1;
	if (core_rollout_rate(p, 0, 0) == 0)
		pl->notes |= CORE_PLAN_NOTE_NOT_PACED;
	if (p->exponential && p->by_notified <= 0 && p->by_succeeded > 0)
		pl->notes |= CORE_PLAN_NOTE_ASSUME_SUCCESS;
	if (in->continuous)
		pl->notes |= CORE_PLAN_NOTE_CONTINUOUS;
	if (!in->started) {
		size_t first;
		/* the start: the start duty at startTime (core_schedule_phase),
		 * or the window duty at the first window from startTime */
		if (p->n_windows > 0) {
			int64_t nx = -1;
			int st = core_schedule_window(p, in->now, &nx);
			if (st == CORE_WINDOW_ENDED) {
				pl->notes |= CORE_PLAN_NOTE_END_CUTS;
				goto never;
			}
			t = st == CORE_WINDOW_OPEN ? in->now : nx;
			if (t < 0) {
				pl->notes |= CORE_PLAN_NOTE_NO_WINDOW;
				goto never;
			}
			if (p->end_ms != 0 && t >= p->end_ms) {
				pl->notes |= CORE_PLAN_NOTE_END_CUTS;
				goto never;
			}
		} else {
			t = core_schedule_phase(p, in->now) == CORE_SCHEDULE_BEFORE ? p->start_ms :
			                                                              in->now;
		}
		if (waiting == 0)
			goto nothing;
		first = core_rollout_first(p, (size_t)waiting, t, &next);
		add_wave(p, pl, t, t, (int64_t)first);
		notified = (int64_t)first;
		waiting -= (int64_t)first;
	} else {
		pl->released = in->notified;
		if (in->paused)
			pl->notes |= CORE_PLAN_NOTE_PAUSED;
		else if (in->held)
			pl->notes |= CORE_PLAN_NOTE_HELD;
		next = in->held ? in->now : in->next_ms;
		if (waiting == 0 || in->next_ms == 0)
			goto nothing;
	}
	/* the timer's batches, one a minute from the schedule's due times */
	while (waiting > 0 && next != 0) {
		int64_t limit, n;
		if (++steps > CORE_PLAN_STEPS_MAX) {
			pl->notes |= CORE_PLAN_NOTE_TOO_LONG;
			pl->completion_ms = -1;
			return;
		}
		if ((t = release_at(p, next, pl)) < 0)
			break;
		/* as the engine: the rate from what it notified; successes
		 * assumed as soon as notified (see the note) */
		limit = core_rollout_batch(p, notified, notified);
		n = waiting < limit ? waiting : limit;
		add_wave(p, pl, t > in->now ? t : in->now, t, n);
		waiting -= n;
		notified += n;
		next = core_rollout_next_ms(t, n, limit);
	}
	pl->never = waiting;
	return;
nothing:
	if (pl->executions == 0)
		pl->notes |= CORE_PLAN_NOTE_NOTHING;
	return;
never:
	pl->never = waiting;
}

void
core_plan_release(struct core_plan *pl)
{
	if (pl == NULL)
		return;
	free(pl->waves);
	pl->waves = NULL;
	pl->n_waves = 0;
}
