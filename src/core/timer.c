/*
 * timer.c: timer arithmetic (spec §9.3, decisions D17) and the order of the
 * pending list (spec §7.1). Time is epoch milliseconds handed in by the
 * caller; nothing here reads a clock. Sums saturate at INT64_MAX rather than
 * overflow, so an absurd input gives a far-future deadline, not UB.
 */
#include "core/core.h"

#include <string.h>

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

/* ---- scheduling --------------------------------------------------------- */

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	/* Howard Hinnant's algorithm, proleptic Gregorian, days since 1970-01-01. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
core_parse_schedule_time(const char *s, int64_t *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec = 0;
	size_t n = strlen(s), i = 16;

	if (n < 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi))
		return -1;
	if (i < n && s[i] == ':') {
		if (n < 19 || digits(s + 17, 2, &sec))
			return -1;
		i = 19;
	}
	if (i < n && s[i] == 'Z')
		i++;
	if (i != n)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * CORE_MIN_MS + sec * INT64_C(1000);
	return 0;
}

int
core_check_schedule(const char *start, const char *end, int64_t now_ms, int64_t *start_ms,
    int64_t *end_ms, struct jd_error *e)
{
	const int64_t min30 = 30 * CORE_MIN_MS, day = 1440 * CORE_MIN_MS;

	*start_ms = *end_ms = 0;
	if (start != NULL) {
		if (core_parse_schedule_time(start, start_ms) != 0)
			return jd_error_set(e, JD_EINVAL,
			    "schedulingConfig.startTime '%.64s' is not a date and "
			    "time of the form YYYY-MM-DDTHH:MM (UTC)",
			    start);
		if (*start_ms < now_ms + min30 || *start_ms > now_ms + 365 * day)
			return jd_error_set(e, JD_EINVAL,
			    "schedulingConfig.startTime must be at least 30 "
			    "minutes and at most one year in the future");
	}
	if (end != NULL) {
		if (core_parse_schedule_time(end, end_ms) != 0)
			return jd_error_set(e, JD_EINVAL,
			    "schedulingConfig.endTime '%.64s' is not a date and "
			    "time of the form YYYY-MM-DDTHH:MM (UTC)",
			    end);
		if (*end_ms < now_ms + min30 || *end_ms > now_ms + 2 * 365 * day)
			return jd_error_set(e, JD_EINVAL,
			    "schedulingConfig.endTime must be at least 30 "
			    "minutes and at most two years in the future");
		int64_t from = *start_ms ? *start_ms : now_ms;
		if (*end_ms - from < min30 || *end_ms - from > 2 * 365 * day)
			return jd_error_set(e, JD_EINVAL,
			    "schedulingConfig.endTime must be between 30 minutes "
			    "and two years after startTime");
	}
	return 0;
}
