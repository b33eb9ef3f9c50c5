/*
 * policy_kit.h: what the tests of core/plan.c build their policies with
 * (test_plan.c, test_sched_due.c): times around a fixed noon, and a
 * maintenance window from its cron text.
 */
#ifndef JD_TESTS_UNIT_CORE_POLICY_KIT_H
#define JD_TESTS_UNIT_CORE_POLICY_KIT_H

#include <stdlib.h>

#include "core/core.h"
#include "core/policy.h"
#include "test.h"

#define MIN CORE_MIN_MS
#define HOUR (60 * MIN)
#define NOON INT64_C(1704110400000) /* 2024-01-01T12:00:00Z, a Monday */

/* One window of `minutes` from the cron text; the policy owns it. */
static inline void
window(struct jd_policy *p, const char *cron, int64_t minutes)
{
	p->windows = realloc(p->windows, (p->n_windows + 1) * sizeof(*p->windows));
	CHECK_EQ_INT(core_cron_parse(cron, &p->windows[p->n_windows].start, NULL, 0), 0);
	p->windows[p->n_windows].minutes = minutes;
	p->n_windows++;
	p->present |= JD_POLICY_SCHEDULE;
}

#endif
