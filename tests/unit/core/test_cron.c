/*
 * test_cron.c: AWS cron expressions (core/cron.h): the parser's accepted
 * and refused forms, the next occurrence across hour, day, month, year and
 * leap-year boundaries (UTC, so no DST), the L / W / # day rules, and
 * maintenance windows (core_window_active) that cross midnight and the end
 * of a month. Expected times come from timegm(), not from the code.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cron.h"
#include "core/policy.h"
#include "test.h"

#define MIN_MS INT64_C(60000)

static int64_t
at(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm) * 1000;
}

static int64_t
next(const char *expr, int64_t from)
{
	struct jd_cron c;
	char why[128];

	if (core_cron_parse(expr, &c, why, sizeof(why)) != 0) {
		CHECK(!"parse failed");
		return -2;
	}
	return core_cron_next(&c, from);
}

static bool
parses(const char *expr)
{
	struct jd_cron c;
	char why[128];
	int rc = core_cron_parse(expr, &c, why, sizeof(why));

	CHECK(rc == 0 || why[0] != '\0'); /* a refusal says why */
	return rc == 0;
}

TEST(parse_accepts)
{
	CHECK(parses("cron(0 10 * * ? *)"));
	CHECK(parses("cron(15 12 * * ? *)"));
	CHECK(parses("cron(0 18 ? * MON-FRI *)"));
	CHECK(parses("cron(0 8 1 * ? *)"));
	CHECK(parses("cron(0/15 * * * ? *)"));
	CHECK(parses("cron(0/10 * ? * MON-FRI *)"));
	CHECK(parses("cron(0/5 8-17 ? * MON-FRI *)"));
	CHECK(parses("cron(0 9 ? * 2#1 *)"));
	CHECK(parses("cron(0 0 L * ? *)"));
	CHECK(parses("cron(0 0 L-2 * ? *)"));
	CHECK(parses("cron(0 0 LW * ? *)"));
	CHECK(parses("cron(0 0 15W * ? *)"));
	CHECK(parses("cron(0 0 ? * 6L *)"));
	CHECK(parses("cron(0 0 ? * L *)"));
	CHECK(parses("cron(0 22-2 ? * FRI-MON 2024-2030)"));
	CHECK(parses("cron(0 0 1 jan,Jul ? 2199)"));
	CHECK(parses("cron( 0 0 1 * ? * )"));
	CHECK(parses("cron(*/7 1,2,3 1-31/2 */3 ? 1970/5)"));
}

TEST(parse_refuses)
{
	CHECK(!parses(""));
	CHECK(!parses("0 10 * * ? *"));         /* the cron( ) wrapper is required */
	CHECK(!parses("cron(0 10 * * ?)"));     /* five fields */
	CHECK(!parses("cron(0 10 * * ? * *)")); /* seven */
	CHECK(!parses("cron(0 10 * * * *)"));   /* both day fields */
	CHECK(!parses("cron(0 10 ? * ? *)"));   /* neither */
	CHECK(!parses("cron(60 10 * * ? *)"));
	CHECK(!parses("cron(0 24 * * ? *)"));
	CHECK(!parses("cron(0 0 0 * ? *)"));
	CHECK(!parses("cron(0 0 32 * ? *)"));
	CHECK(!parses("cron(0 0 1 13 ? *)"));
	CHECK(!parses("cron(0 0 ? * 8 *)"));
	CHECK(!parses("cron(0 0 1 * ? 1969)"));
	CHECK(!parses("cron(0 0 1 * ? 2200)"));
	CHECK(!parses("cron(0 0 1 * ? 2030-2020)")); /* years do not wrap */
	CHECK(!parses("cron(0/0 0 1 * ? *)"));
	CHECK(!parses("cron(0 0 1, * ? *)"));
	CHECK(!parses("cron(0 0 1 FOO ? *)"));
	CHECK(!parses("cron(0 0 ? * 3#1,6#3 *)")); /* # stands alone */
	CHECK(!parses("cron(0 0 ? * 3#6 *)"));
	CHECK(!parses("cron(0 0 L,1 * ? *)"));
	CHECK(!parses("cron(0 0 32W * ? *)"));
	CHECK(!parses("cron(0 0 1 * L *)"));        /* L with a day of month */
	CHECK(!parses("cron(0 0 ? * MON-FRI# *)")); /* junk */
	CHECK(!parses("cron(0 0 1 * ? *"));
	CHECK(!parses("rate(5 minutes)"));
}

TEST(next_boundaries)
{
	/* the same minute counts; seconds round up */
	CHECK_EQ_INT(next("cron(30 10 * * ? *)", at(2024, 5, 5, 10, 30)), at(2024, 5, 5, 10, 30));
	CHECK_EQ_INT(next("cron(30 10 * * ? *)", at(2024, 5, 5, 10, 30) + 1),
	    at(2024, 5, 6, 10, 30));
	/* day, month and year boundaries */
	CHECK_EQ_INT(next("cron(5 0 * * ? *)", at(2023, 12, 31, 23, 50)), at(2024, 1, 1, 0, 5));
	CHECK_EQ_INT(next("cron(0 0 1 * ? *)", at(2024, 1, 31, 23, 50)), at(2024, 2, 1, 0, 0));
	/* the 31st skips the months without one */
	CHECK_EQ_INT(next("cron(0 12 31 * ? *)", at(2024, 4, 1, 0, 0)), at(2024, 5, 31, 12, 0));
	/* Feb 29: leap years only; 2100 is not one */
	CHECK_EQ_INT(next("cron(0 0 29 2 ? *)", at(2024, 3, 1, 0, 0)), at(2028, 2, 29, 0, 0));
	CHECK_EQ_INT(next("cron(0 0 29 FEB ? *)", at(2096, 3, 1, 0, 0)), at(2104, 2, 29, 0, 0));
	CHECK_EQ_INT(next("cron(0 0 L 2 ? *)", at(2100, 1, 1, 0, 0)), at(2100, 2, 28, 0, 0));
	CHECK_EQ_INT(next("cron(0 0 L 2 ? *)", at(2024, 1, 1, 0, 0)), at(2024, 2, 29, 0, 0));
	/* never again */
	CHECK_EQ_INT(next("cron(0 0 30 2 ? *)", at(2024, 1, 1, 0, 0)), -1);
	CHECK_EQ_INT(next("cron(0 0 1 1 ? 2020)", at(2024, 1, 1, 0, 0)), -1);
	CHECK_EQ_INT(next("cron(0 0 1 1 ? *)", at(2199, 1, 1, 0, 1)), -1);
	/* steps and wrapping ranges */
	CHECK_EQ_INT(next("cron(1/10 * * * ? *)", at(2024, 5, 5, 10, 52)), at(2024, 5, 5, 11, 1));
	CHECK_EQ_INT(next("cron(0 22-2 * * ? *)", at(2024, 5, 5, 3, 0)), at(2024, 5, 5, 22, 0));
	CHECK_EQ_INT(next("cron(0 22-2 * * ? *)", at(2024, 5, 5, 23, 30)), at(2024, 5, 6, 0, 0));
	/* years: step from 2024 every 4 */
	CHECK_EQ_INT(next("cron(0 0 1 1 ? 2024/4)", at(2024, 6, 1, 0, 0)), at(2028, 1, 1, 0, 0));
}

TEST(next_day_rules)
{
	/* 2024-06-01 is a Saturday */
	CHECK_EQ_INT(next("cron(0 9 ? * MON-FRI *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 3, 9, 0));
	CHECK_EQ_INT(next("cron(0 9 ? * 1 *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 2, 9, 0));
	CHECK_EQ_INT(next("cron(0 9 ? * L *)", at(2024, 6, 2, 0, 0)), at(2024, 6, 8, 9, 0));
	/* second Tuesday of June 2024: the 11th */
	CHECK_EQ_INT(next("cron(0 9 ? * 3#2 *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 11, 9, 0));
	/* a fifth Monday: July 2024 has none after the 29th... June has none; July 29 */
	CHECK_EQ_INT(next("cron(0 9 ? * 2#5 *)", at(2024, 6, 1, 0, 0)), at(2024, 7, 29, 9, 0));
	/* last Friday of June 2024: the 28th */
	CHECK_EQ_INT(next("cron(0 9 ? * 6L *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 28, 9, 0));
	/* L-2 of February 2024 (29 days): the 27th */
	CHECK_EQ_INT(next("cron(0 9 L-2 * ? *)", at(2024, 2, 1, 0, 0)), at(2024, 2, 27, 9, 0));
	/* LW: June 30 2024 is a Sunday -> Friday 28th; August 31 2024 a Saturday -> 30th */
	CHECK_EQ_INT(next("cron(0 9 LW * ? *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 28, 9, 0));
	CHECK_EQ_INT(next("cron(0 9 LW * ? *)", at(2024, 8, 1, 0, 0)), at(2024, 8, 30, 9, 0));
	/* 1W: June 1 2024 is a Saturday -> Monday the 3rd, not May 31 */
	CHECK_EQ_INT(next("cron(0 9 1W * ? *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 3, 9, 0));
	/* 15W: September 15 2024 is a Sunday -> Monday the 16th */
	CHECK_EQ_INT(next("cron(0 9 15W * ? *)", at(2024, 9, 1, 0, 0)), at(2024, 9, 16, 9, 0));
	/* 30W: June 30 2024 is a Sunday, the last day -> Friday the 28th */
	CHECK_EQ_INT(next("cron(0 9 30W * ? *)", at(2024, 6, 1, 0, 0)), at(2024, 6, 28, 9, 0));
}

/* Against a minute-by-minute scan with gmtime_r for list-only expressions. */
TEST(next_matches_scan)
{
	static const char *const exprs[] = {
	    "cron(*/17 */5 * * ? *)",
	    "cron(3,59 23 ? * SUN,WED *)",
	    "cron(0 0 1-3,28-31 * ? *)",
	    "cron(45 1 ? 2,3 TUE-THU *)",
	    "cron(10 0 * DEC-FEB ? *)",
	};
	int64_t from = at(2023, 12, 30, 22, 0);

	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		struct jd_cron c;
		CHECK_EQ_INT(core_cron_parse(exprs[e], &c, NULL, 0), 0);
		for (int64_t t = from; t < from + 3 * 24 * 60 * MIN_MS; t += 37 * MIN_MS) {
			int64_t got = core_cron_next(&c, t), want = -1;
			for (int64_t u = t; u < t + 100 * 24 * 60 * MIN_MS; u += MIN_MS) {
				time_t secs = (time_t)(u / 1000);
				struct tm tm;
				gmtime_r(&secs, &tm);
				bool day = c.day_kind == JD_CRON_DOM ?
				    (c.dom >> tm.tm_mday) & 1 :
				    (c.dow >> (tm.tm_wday + 1)) & 1;
				if (((c.minutes >> tm.tm_min) & 1) &&
				    ((c.hours >> tm.tm_hour) & 1) &&
				    ((c.months >> (tm.tm_mon + 1)) & 1) && day) {
					want = u;
					break;
				}
			}
			CHECK_EQ_INT(got, want);
		}
	}
}

TEST(windows)
{
	struct jd_window w[2];
	int64_t nx = 0;

	/* 23:50 for 20 minutes: covers the next day's first ten minutes */
	CHECK_EQ_INT(core_cron_parse("cron(50 23 * * ? *)", &w[0].start, NULL, 0), 0);
	w[0].minutes = 20;
	CHECK(!core_window_active(w, 1, at(2024, 1, 31, 23, 49), &nx));
	CHECK_EQ_INT(nx, at(2024, 1, 31, 23, 50));
	CHECK(core_window_active(w, 1, at(2024, 1, 31, 23, 50), NULL));
	CHECK(core_window_active(w, 1, at(2024, 2, 1, 0, 9) + 59999, NULL));
	CHECK(!core_window_active(w, 1, at(2024, 2, 1, 0, 10), &nx));
	CHECK_EQ_INT(nx, at(2024, 2, 1, 23, 50));
	/* the last day of the month at 23:30 for an hour: into the next month,
	 * and across the year, and Feb 29 of a leap year */
	CHECK_EQ_INT(core_cron_parse("cron(30 23 L * ? *)", &w[1].start, NULL, 0), 0);
	w[1].minutes = 60;
	CHECK(core_window_active(&w[1], 1, at(2025, 1, 1, 0, 15), NULL));
	CHECK(!core_window_active(&w[1], 1, at(2025, 1, 1, 0, 30), &nx));
	CHECK_EQ_INT(nx, at(2025, 1, 31, 23, 30));
	CHECK(core_window_active(&w[1], 1, at(2024, 3, 1, 0, 29), NULL));
	CHECK(!core_window_active(&w[1], 1, at(2024, 2, 28, 23, 45), &nx));
	CHECK_EQ_INT(nx, at(2024, 2, 29, 23, 30));
	/* two windows: the earliest next start wins */
	CHECK(!core_window_active(w, 2, at(2024, 2, 29, 12, 0), &nx));
	CHECK_EQ_INT(nx, at(2024, 2, 29, 23, 30));
	CHECK_EQ_INT(core_window_next_start(w, 2, at(2024, 2, 29, 23, 31)),
	    at(2024, 2, 29, 23, 50));
}

TEST(schedule_window)
{
	struct jd_policy p;
	struct jd_window w;
	int64_t nx;

	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(core_schedule_window(&p, at(2024, 1, 1, 0, 0), NULL), CORE_WINDOW_NONE);
	CHECK_EQ_INT(core_cron_parse("cron(0 2 * * ? *)", &w.start, NULL, 0), 0);
	w.minutes = 60;
	p.windows = &w;
	p.n_windows = 1;
	p.start_ms = at(2024, 1, 2, 2, 30);
	p.end_ms = at(2024, 1, 5, 0, 0);
	/* before startTime, even inside a window: closed; a window running at
	 * startTime opens the job at startTime */
	CHECK_EQ_INT(core_schedule_window(&p, at(2024, 1, 1, 2, 30), &nx), CORE_WINDOW_CLOSED);
	CHECK_EQ_INT(nx, at(2024, 1, 2, 2, 30));
	CHECK_EQ_INT(core_schedule_window(&p, at(2024, 1, 2, 2, 30), NULL), CORE_WINDOW_OPEN);
	CHECK_EQ_INT(core_schedule_window(&p, at(2024, 1, 2, 3, 0), &nx), CORE_WINDOW_CLOSED);
	CHECK_EQ_INT(nx, at(2024, 1, 3, 2, 0));
	CHECK_EQ_INT(core_schedule_window(&p, at(2024, 1, 4, 2, 59), NULL), CORE_WINDOW_OPEN);
	/* endTime wins */
	CHECK_EQ_INT(core_schedule_window(&p, at(2024, 1, 5, 2, 0), NULL), CORE_WINDOW_ENDED);
	/* windowed jobs are never started by the plain phase */
	CHECK_EQ_INT(core_schedule_phase(&p, at(2024, 1, 3, 2, 0)), CORE_SCHEDULE_BEFORE);
}

TEST(pack_roundtrip)
{
	struct jd_policy p, q;
	struct jd_window w[2];
	unsigned char *buf;
	size_t len = 0;

	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(core_cron_parse("cron(0 22-2 ? * 2#3 2024-2030)", &w[0].start, NULL, 0), 0);
	w[0].minutes = 1430;
	CHECK_EQ_INT(core_cron_parse("cron(*/5 1 L-3 JAN,JUL ? *)", &w[1].start, NULL, 0), 0);
	w[1].minutes = 1;
	p.windows = w;
	p.n_windows = 2;
	p.end_ms = 123;
	buf = core_policy_pack(&p, &len);
	CHECK_EQ_INT(core_policy_unpack(buf, len, &q), 0);
	CHECK_EQ_INT(q.n_windows, 2);
	CHECK(memcmp(q.windows, w, sizeof(w)) == 0);
	CHECK_EQ_INT(q.end_ms, 123);
	core_policy_release(&q);
	/* a truncated blob is refused */
	CHECK_EQ_INT(core_policy_unpack(buf, len - 8, &q), -1);
	free(buf);
}

int
main(void)
{
	RUN(parse_accepts);
	RUN(parse_refuses);
	RUN(next_boundaries);
	RUN(next_day_rules);
	RUN(next_matches_scan);
	RUN(windows);
	RUN(schedule_window);
	RUN(pack_roundtrip);
	return test_report();
}
