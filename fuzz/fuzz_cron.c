/*
 * fuzz_cron.c: core_cron_parse, core_cron_next and core_window_active on the
 * input as a C string (and, from its first bytes, a start time).
 *
 * Invariants:
 *   - a refusal zeroes the output and says why in printable ASCII;
 *   - an accepted expression is six fields inside "cron(...)" of at most 256
 *     bytes, with exactly one "?" day field, and its compiled sets stay in
 *     their ranges (minutes 0-59, hours 0-23, days 1-31, months 1-12,
 *     weekdays 1-7);
 *   - core_cron_next returns -1 or a whole minute at or after the start,
 *     before 2200, and is a fixed point (next(next(t)) == next(t));
 *     the minute before it is not an occurrence unless the start was later;
 *   - a window of d minutes is active at its start and at start + d - 1 min,
 *     and the next start reported when inactive is after t.
 */
#include "core/cron.h"
#include "fuzz.h"

#define MIN_MS INT64_C(60000)
#define Y2200_MS INT64_C(7258118400000) /* 2200-01-01T00:00:00Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jd_cron c;
	struct jd_window w;
	char why[128];
	char *s;
	int64_t t = 0, n;
	size_t k = size < 6 ? size : 6;

	for (size_t i = 0; i < k; i++)
		t = t << 8 | data[i];
	/* times from 1970 to about 2248: both sides of the Year field's end */
	t = t % (INT64_C(8800000) * 1000 * 1000);
	s = fuzz_cstr(data + k, size - k);
	if (core_cron_parse(s, &c, why, sizeof(why)) != 0) {
		static const struct jd_cron zero;
		FUZZ_CHECK(memcmp(&c, &zero, sizeof(c)) == 0);
		FUZZ_CHECK(why[0] != '\0' && fuzz_printable(why));
		free(s);
		return 0;
	}
	FUZZ_CHECK(strlen(s) <= JD_CRON_TEXT_MAX && strncmp(s, "cron(", 5) == 0);
	FUZZ_CHECK((c.minutes >> 60) == 0 && (c.hours >> 24) == 0);
	FUZZ_CHECK((c.dom & 1) == 0 && (c.months & 0xe001) == 0 && (c.dow & 1) == 0);
	FUZZ_CHECK(c.day_kind <= JD_CRON_NTH_DOW);
	n = core_cron_next(&c, t);
	FUZZ_CHECK(n == -1 || (n >= t && n % MIN_MS == 0 && n < Y2200_MS));
	if (n >= 0) {
		FUZZ_CHECK(core_cron_next(&c, n) == n);
		if (n - MIN_MS >= t)
			FUZZ_CHECK(core_cron_next(&c, n - MIN_MS) == n);
		w.start = c;
		w.minutes = 1 + (int64_t)(size % JD_WINDOW_MINUTES_MAX);
		FUZZ_CHECK(core_window_active(&w, 1, n, NULL));
		FUZZ_CHECK(core_window_active(&w, 1, n + (w.minutes - 1) * MIN_MS, NULL));
	} else {
		int64_t nx = 0;
		w.start = c;
		w.minutes = 1;
		if (!core_window_active(&w, 1, t, &nx))
			FUZZ_CHECK(nx == -1 || nx > t);
	}
	free(s);
	return 0;
}
