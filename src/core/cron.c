/*
 * cron.c: AWS cron expressions (cron.h). The parser compiles each field into
 * a bit set (years offset from 1970); the day rule is one of the kinds of
 * enum jd_cron_day, since L, W and # forms stand alone in their field.
 * core_cron_next walks the calendar field by field from the first candidate
 * minute, skipping whole years and months that do not match, so the worst
 * case (an expression that never fires) is bounded by the 230 years of the
 * Year field. Dates are proleptic Gregorian, UTC, computed with
 * days-from-civil arithmetic: no libc time zone, no DST.
 */
#include "core/cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MIN_MS INT64_C(60000)
#define DAY_MS (INT64_C(86400000))

/* ---- calendar ------------------------------------------------------------ */

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of y-m-d (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 1 = Sunday .. 7 = Saturday; 1970-01-01 was a Thursday. */
static int
weekday(int y, int m, int d)
{
	int64_t z = days_from_civil(y, m, d);
	int64_t w = (z + 4) % 7;

	return (int)(w < 0 ? w + 7 : w) + 1;
}

/* ---- parser -------------------------------------------------------------- */

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* names[i] is value lo + i; NULL when none */
	bool wrap;
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
    "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const struct field F_MIN = {"Minutes", 0, 59, NULL, true};
static const struct field F_HOUR = {"Hours", 0, 23, NULL, true};
static const struct field F_DOM = {"Day-of-month", 1, 31, NULL, true};
static const struct field F_MONTH = {"Month", 1, 12, month_names, true};
static const struct field F_DOW = {"Day-of-week", 1, 7, dow_names, true};
static const struct field F_YEAR = {"Year", JD_CRON_YEAR_MIN, JD_CRON_YEAR_MAX, NULL, false};

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && n > 0) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* A number (at most 4 digits) or a name of f at *p; advances *p. */
static int
value(const struct field *f, const char **p, int *out)
{
	const char *s = *p;
	int v = 0, nd = 0;

	if (f->names != NULL && upper(s[0]) >= 'A' && upper(s[0]) <= 'Z') {
		for (int i = 0; f->names[i] != NULL; i++) {
			const char *nm = f->names[i];
			if (upper(s[0]) == nm[0] && upper(s[1]) == nm[1] && upper(s[2]) == nm[2]) {
				*out = f->lo + i;
				*p = s + 3;
				return 0;
			}
		}
		return -1;
	}
	while (*s >= '0' && *s <= '9' && nd < 5) {
		v = v * 10 + (*s++ - '0');
		nd++;
	}
	if (nd == 0 || nd > 4 || v < f->lo || v > f->hi)
		return -1;
	*out = v;
	*p = s;
	return 0;
}

static void
bit_set(uint64_t *b, int i)
{
	b[i / 64] |= UINT64_C(1) << (i % 64);
}

static bool
bit_get(const uint64_t *b, int i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

/* One field of the list kind (no L, W, #, ?) from [s, e) into bits b
 * (bit v - f->lo). */
static int
field_list(const struct field *f, const char *s, const char *e, uint64_t *b, char *why, size_t n)
{
	while (s < e) {
		int a = f->lo, z = f->hi, step = 1;
		bool range = false;
		if (*s == '*') {
			s++;
			range = true;
		} else {
			if (value(f, &s, &a) != 0)
				goto bad;
			z = a;
			if (s < e && *s == '-') {
				s++;
				if (value(f, &s, &z) != 0 || (!f->wrap && z < a))
					goto bad;
				range = true;
			}
		}
		if (s < e && *s == '/') {
			const struct field num = {f->name, 1, f->hi - f->lo + 1, NULL, false};
			s++;
			if (value(&num, &s, &step) != 0)
				goto bad;
			if (!range)
				z = f->hi;
		}
		/* a wrapping range a-z with z < a runs a..hi then lo..z */
		for (int i = 0, v = a, span = (z >= a ? z - a : f->hi - a + 1 + z - f->lo);
		     i <= span; i++) {
			if (i % step == 0)
				bit_set(b, v - f->lo);
			v = v == f->hi ? f->lo : v + 1;
		}
		if (s < e && *s == ',') {
			s++;
			if (s == e)
				goto bad;
		} else if (s != e) {
			goto bad;
		}
	}
	return 0;
bad:
	return fail(why, n, "invalid %s field", f->name);
}

/* The Day-of-month field's special forms: L, L-n, LW, nW. 1 when s is one. */
static int
dom_special(const char *s, size_t len, struct jd_cron *c, char *why, size_t n)
{
	const char *p = s;
	int v = 0;

	if (len == 1 && s[0] == 'L') {
		c->day_kind = JD_CRON_LAST;
		return 1;
	}
	if (len == 2 && s[0] == 'L' && s[1] == 'W') {
		c->day_kind = JD_CRON_LAST_WEEKDAY;
		return 1;
	}
	if (len >= 3 && s[0] == 'L' && s[1] == '-') {
		const struct field off = {"Day-of-month", 1, 30, NULL, false};
		p = s + 2;
		if (value(&off, &p, &v) != 0 || p != s + len)
			return fail(why, n, "invalid Day-of-month field");
		c->day_kind = JD_CRON_LAST;
		c->day_arg = (uint8_t)v;
		return 1;
	}
	if (len >= 2 && s[len - 1] == 'W') {
		if (value(&F_DOM, &p, &v) != 0 || p != s + len - 1)
			return fail(why, n, "invalid Day-of-month field");
		c->day_kind = JD_CRON_WEEKDAY;
		c->day_arg = (uint8_t)v;
		return 1;
	}
	return memchr(s, 'L', len) || memchr(s, 'W', len) ?
	    fail(why, n, "invalid Day-of-month field") :
	    0;
}

/* The Day-of-week field's special forms: L, nL, n#k. 1 when s is one. */
static int
dow_special(const char *s, size_t len, struct jd_cron *c, char *why, size_t n)
{
	const char *p = s;
	int v = 0, k = 0;

	if (len == 1 && s[0] == 'L') { /* the last day of the week: Saturday */
		c->day_kind = JD_CRON_DOW;
		c->dow = 1u << 7;
		return 1;
	}
	if (len >= 2 && s[len - 1] == 'L') {
		if (value(&F_DOW, &p, &v) != 0 || p != s + len - 1)
			return fail(why, n, "invalid Day-of-week field");
		c->day_kind = JD_CRON_LAST_DOW;
		c->day_arg = (uint8_t)v;
		return 1;
	}
	if (memchr(s, '#', len) != NULL) {
		const struct field nth = {"Day-of-week", 1, 5, NULL, false};
		if (value(&F_DOW, &p, &v) != 0 || *p++ != '#' || value(&nth, &p, &k) != 0 ||
		    p != s + len)
			return fail(why, n, "invalid Day-of-week field");
		c->day_kind = JD_CRON_NTH_DOW;
		c->day_arg = (uint8_t)v;
		c->day_nth = (uint8_t)k;
		return 1;
	}
	return memchr(s, 'L', len) ? fail(why, n, "invalid Day-of-week field") : 0;
}

int
core_cron_parse(const char *s, struct jd_cron *out, char *why, size_t n)
{
	const char *f[6], *fe[6], *p, *end;
	uint64_t b[4];
	size_t len;
	int nf = 0, rc;

	memset(out, 0, sizeof(*out));
	if (why != NULL && n > 0)
		why[0] = '\0';
	if (s == NULL || (len = strlen(s)) > JD_CRON_TEXT_MAX)
		return fail(why, n,
		    "expected cron(Minutes Hours Day-of-month Month Day-of-week Year)");
	if (len < 6 || strncmp(s, "cron(", 5) != 0 || s[len - 1] != ')')
		return fail(why, n,
		    "expected cron(Minutes Hours Day-of-month Month Day-of-week Year)");
	p = s + 5;
	end = s + len - 1;
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if (nf == 6)
			return fail(why, n, "a cron expression has six fields");
		f[nf] = p;
		while (p < end && *p != ' ')
			p++;
		fe[nf++] = p;
	}
	if (nf != 6)
		return fail(why, n, "a cron expression has six fields");

	memset(b, 0, sizeof(b));
	if (field_list(&F_MIN, f[0], fe[0], b, why, n) != 0)
		goto bad;
	out->minutes = b[0];
	memset(b, 0, sizeof(b));
	if (field_list(&F_HOUR, f[1], fe[1], b, why, n) != 0)
		goto bad;
	out->hours = (uint32_t)b[0];
	memset(b, 0, sizeof(b));
	if (field_list(&F_MONTH, f[3], fe[3], b, why, n) != 0)
		goto bad;
	out->months = (uint16_t)(b[0] << 1);
	if (field_list(&F_YEAR, f[5], fe[5], out->years, why, n) != 0)
		goto bad;

	{
		bool dom_any = fe[2] - f[2] == 1 && f[2][0] == '?';
		bool dow_any = fe[4] - f[4] == 1 && f[4][0] == '?';
		if (dom_any == dow_any) {
			fail(why, n, "exactly one of Day-of-month and Day-of-week must be ?");
			goto bad;
		}
		if (!dom_any) {
			if ((rc = dom_special(f[2], (size_t)(fe[2] - f[2]), out, why, n)) < 0)
				goto bad;
			if (rc == 0) {
				memset(b, 0, sizeof(b));
				if (field_list(&F_DOM, f[2], fe[2], b, why, n) != 0)
					goto bad;
				out->day_kind = JD_CRON_DOM;
				out->dom = (uint32_t)(b[0] << 1);
			}
		} else {
			if ((rc = dow_special(f[4], (size_t)(fe[4] - f[4]), out, why, n)) < 0)
				goto bad;
			if (rc == 0) {
				memset(b, 0, sizeof(b));
				if (field_list(&F_DOW, f[4], fe[4], b, why, n) != 0)
					goto bad;
				out->day_kind = JD_CRON_DOW;
				out->dow = (uint8_t)(b[0] << 1);
			}
		}
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* ---- evaluation ---------------------------------------------------------- */

static bool
day_match(const struct jd_cron *c, int y, int m, int d)
{
	int dim = month_days(y, m), t, wd;

	switch (c->day_kind) {
	case JD_CRON_DOM:
		return (c->dom >> d) & 1;
	case JD_CRON_DOW:
		return (c->dow >> weekday(y, m, d)) & 1;
	case JD_CRON_LAST:
		return d == dim - c->day_arg;
	case JD_CRON_LAST_WEEKDAY:
		wd = weekday(y, m, dim);
		t = wd == 7 ? dim - 1 : wd == 1 ? dim - 2 : dim;
		return d == t;
	case JD_CRON_WEEKDAY:
		t = c->day_arg;
		if (t > dim)
			return false;
		wd = weekday(y, m, t);
		if (wd == 7) /* Saturday: the Friday before, or Monday the 3rd */
			t = t == 1 ? 3 : t - 1;
		else if (wd == 1) /* Sunday: the Monday after, or the Friday before */
			t = t == dim ? t - 2 : t + 1;
		return d == t;
	case JD_CRON_LAST_DOW:
		return d + 7 > dim && weekday(y, m, d) == c->day_arg;
	case JD_CRON_NTH_DOW:
		return weekday(y, m, d) == c->day_arg && (d - 1) / 7 + 1 == c->day_nth;
	default:
		return false;
	}
}

int64_t
core_cron_next(const struct jd_cron *c, int64_t from_ms)
{
	int64_t days, rem;
	int y, mo, d, h, mi;

	if (from_ms < 0)
		from_ms = 0;
	if (from_ms > INT64_MAX - MIN_MS)
		return -1;
	from_ms = (from_ms + MIN_MS - 1) / MIN_MS * MIN_MS;
	days = from_ms / DAY_MS;
	rem = from_ms % DAY_MS;
	if (days > days_from_civil(JD_CRON_YEAR_MAX + 1, 1, 1))
		return -1;
	civil_from_days(days, &y, &mo, &d);
	h = (int)(rem / (60 * MIN_MS));
	mi = (int)(rem / MIN_MS % 60);
	if (c->minutes == 0 || c->hours == 0 || c->months == 0)
		return -1;
	while (y <= JD_CRON_YEAR_MAX) {
		if (!bit_get(c->years, y - JD_CRON_YEAR_MIN)) {
			y++, mo = 1, d = 1, h = 0, mi = 0;
			continue;
		}
		if (mo > 12) {
			y++, mo = 1, d = 1, h = 0, mi = 0;
			continue;
		}
		if (!((c->months >> mo) & 1) || d > month_days(y, mo)) {
			mo++, d = 1, h = 0, mi = 0;
			continue;
		}
		if (h > 23 || !day_match(c, y, mo, d)) {
			d++, h = 0, mi = 0;
			continue;
		}
		if (!((c->hours >> h) & 1) || mi > 59) {
			h++, mi = 0;
			continue;
		}
		if (!((c->minutes >> mi) & 1)) {
			mi++;
			continue;
		}
		return days_from_civil(y, mo, d) * DAY_MS + (int64_t)h * 60 * MIN_MS +
		    (int64_t)mi * MIN_MS;
	}
	return -1;
}

bool
core_window_active(const struct jd_window *w, size_t n, int64_t t, int64_t *next)
{
	int64_t best = -1;

	for (size_t i = 0; i < n; i++) {
		int64_t s = core_cron_next(&w[i].start, t - w[i].minutes * MIN_MS + 1);
		if (s >= 0 && s <= t)
			return true;
		if (s >= 0 && (best < 0 || s < best))
			best = s;
	}
	if (next != NULL)
		*next = best;
	return false;
}

int64_t
core_window_next_start(const struct jd_window *w, size_t n, int64_t from_ms)
{
	int64_t best = -1;

	for (size_t i = 0; i < n; i++) {
		int64_t s = core_cron_next(&w[i].start, from_ms);
		if (s >= 0 && (best < 0 || s < best))
			best = s;
	}
	return best;
}
