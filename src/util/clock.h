/*
 * clock.h: the injectable clock (decisions D17). Every timer and timestamp in
 * jobsd reads a struct jd_clock; production uses the real clock, tests and
 * test-rig mode a virtual one that is advanced explicitly.
 */
#ifndef JD_UTIL_CLOCK_H
#define JD_UTIL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct jd_clock {
	bool is_virtual;
	/* virtual: offset in ms added to the real clock (atomic). */
	_Atomic int64_t offset_ms;
};

void clock_init(struct jd_clock *c, bool is_virtual);
/* Epoch milliseconds. */
int64_t clock_now_ms(struct jd_clock *c);
/* Virtual only: move time forward by delta_ms (>= 0). Returns new now. */
int64_t clock_advance_ms(struct jd_clock *c, int64_t delta_ms);
/* Real wall clock, epoch ms (for logs and request ids only). */
int64_t clock_real_ms(void);
/* Monotonic ms (deadlines and timeouts; never jumps). */
int64_t clock_mono_ms(void);
/* The same in ns (group-commit windows, waits against sem_clockwait). */
int64_t clock_mono_ns(void);

#endif
