/*
 * plan.h: the rollout plan of a job (issue 14, "what-if"): when its things
 * get their executions, wave by wave, computed from its typed policy with
 * the engine's own decisions, so that the plan is what the engine then does.
 *
 * The engine is event-driven (svc/timers.c, progress.c, schedule.c); the
 * plan replays the same events in a loop over simulated time: the start
 * (core_schedule_phase, or core_schedule_window with maintenance windows),
 * the first batch (core_rollout_first), each minute's batch
 * (core_rollout_batch, core_rollout_next_ms), the windows closing and
 * opening (core_window_act, which the window duty calls too) and endTime.
 * Pure: the time is an argument, no I/O. Assumptions the engine cannot know
 * in advance are stated as notes: an exponential rate that grows with
 * SUCCEEDED things is planned as if each execution succeeds when notified.
 */
#ifndef JD_CORE_PLAN_H
#define JD_CORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/policy.h"

#define CORE_PLAN_WAVES_MAX 1000    /* waves listed; the rest are counted */
#define CORE_PLAN_WINDOWS_MAX 100   /* maintenance windows listed */
#define CORE_PLAN_STEPS_MAX 1000000 /* simulated batches before giving up */

/*
 * What the window duty does to a job with maintenance windows at now
 * (svc/schedule.c), from its status (enum jd_job_status), whether a rollout
 * batch waits (rollout_next_ms != 0) and whether it is CONTINUOUS:
 *   OPEN: a SCHEDULED job inside a window starts or resumes;
 *   PAUSE: an IN_PROGRESS job outside every window that still has something
 *     to roll out becomes SCHEDULED, its batches held;
 *   END: a SCHEDULED job past endTime becomes IN_PROGRESS for the end duty;
 *   NONE otherwise (also for a job without windows).
 */
enum core_window_act { CORE_WACT_NONE = 0, CORE_WACT_OPEN, CORE_WACT_PAUSE, CORE_WACT_END };

int core_window_act(const struct jd_policy *p, int status, bool waiting, bool continuous,
    int64_t now);

/*
 * When a timer pass may next act on a job (issue 15, cost flat in store
 * size): the earliest time >= now at which the start duty (a SCHEDULED job
 * without windows whose core_schedule_phase is not BEFORE), the window duty
 * (core_window_act not NONE) or the end duty (an IN_PROGRESS job past
 * endTime) acts, given the job's status, whether a batch waits and whether
 * it is CONTINUOUS, which stay as they are until the job is written again.
 * now when one acts at now; 0 when none ever does. Windows make it the next
 * boundary that changes the decision (a window opening, the end of the open
 * span); a boundary it cannot see past (a long chain of overlapping
 * windows) comes early, never late: the pass then finds nothing to do and
 * asks again. svc stores it with every job write (jobs.sched_due_ms), so a
 * pass reads only the jobs that are due.
 */
int64_t core_schedule_due(const struct jd_policy *p, int status, bool waiting, bool continuous,
    int64_t now);

/* Notes of a plan (bits of core_plan.notes); core_plan_note_text words them. */
enum core_plan_note {
	CORE_PLAN_NOTE_NOT_PACED = 1u << 0,      /* no rollout config: all at once */
	CORE_PLAN_NOTE_ASSUME_SUCCESS = 1u << 1, /* rate grows with SUCCEEDED things */
	CORE_PLAN_NOTE_END_CUTS = 1u << 2,       /* endTime stops the rollout first */
	CORE_PLAN_NOTE_NO_WINDOW = 1u << 3,      /* no window opens (again): never released */
	CORE_PLAN_NOTE_WAVES_CUT = 1u << 4,      /* more waves than listed */
	CORE_PLAN_NOTE_TOO_LONG = 1u << 5,       /* over CORE_PLAN_STEPS_MAX batches */
	CORE_PLAN_NOTE_HELD = 1u << 6,           /* held now: planned from its resume */
	CORE_PLAN_NOTE_CONTINUOUS = 1u << 7,     /* later group joiners are not planned */
	CORE_PLAN_NOTE_NOTHING = 1u << 8,        /* nothing (left) to roll out */
	CORE_PLAN_NOTE_WINDOWS_CUT = 1u << 9,    /* more windows than listed */
	CORE_PLAN_NOTE_PAUSED = 1u << 10,        /* paused by an operator: planned from now */
};
#define CORE_PLAN_NOTE_COUNT 11

/* Where the rollout is, and what it has left. */
struct core_plan_in {
	const struct jd_policy *p; /* borrowed */
	int64_t now;
	/* false: the job has not started; its `pending` things get their
	 * first batch when the schedule starts it. true: it runs; `pending`
	 * things wait in its rollout queue */
	bool started;
	int64_t pending;
	int64_t notified;  /* jd_job.rollout_notified */
	int64_t succeeded; /* the job's SUCCEEDED executions so far */
	int64_t next_ms;   /* started: jd_job.rollout_next_ms (0: nothing waits) */
	bool held;         /* started: its batches are held (a closed window, or paused) */
	bool paused;       /* held by an operator: planned as if resumed now */
	bool continuous;   /* targetSelection CONTINUOUS (a note only) */
};

struct core_plan_wave {
	int64_t at_ms;
	int64_t count;
	int64_t cumulative; /* released + the waves so far, this one included */
};

struct core_plan_window {
	int64_t start_ms;
	int64_t end_ms;
};

struct core_plan {
	int64_t released;             /* executions the rollout released before the plan */
	int64_t executions;           /* things that get an execution in the plan (the waves) */
	int64_t never;                /* things that never do (endTime, no window) */
	int64_t start_ms;             /* the first wave's time, -1: none */
	int64_t completion_ms;        /* the last wave's time, -1: none or unknown */
	struct core_plan_wave *waves; /* owned, n_waves <= CORE_PLAN_WAVES_MAX */
	size_t n_waves;
	int64_t waves_total;                                    /* all waves, listed or not */
	struct core_plan_window windows[CORE_PLAN_WINDOWS_MAX]; /* the windows acted in */
	size_t n_windows;
	unsigned notes; /* enum core_plan_note bits */
};

/* Plan in's rollout into *out (zeroed first; release with
 * core_plan_release). Always succeeds. */
void core_plan_rollout(const struct core_plan_in *in, struct core_plan *out);
void core_plan_release(struct core_plan *pl);
/* The note's sentence (static), NULL for an unknown bit. */
const char *core_plan_note_text(unsigned note);

#endif
