/* clock.c: real and virtual clocks. */
#include "util/clock.h"

#include <stdatomic.h>
#include <time.h>

int64_t
clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
clock_init(struct jd_clock *c, bool is_virtual)
{
	c->is_virtual = is_virtual;
	atomic_store(&c->offset_ms, 0);
}

int64_t
clock_now_ms(struct jd_clock *c)
{
	return clock_real_ms() + (c->is_virtual ? atomic_load(&c->offset_ms) : 0);
}

int64_t
clock_advance_ms(struct jd_clock *c, int64_t delta_ms)
{
	if (c->is_virtual && delta_ms > 0)
		atomic_fetch_add(&c->offset_ms, delta_ms);
	return clock_now_ms(c);
}
