/*
 * cron.h: AWS cron expressions (the EventBridge syntax that
 * schedulingConfig.maintenanceWindows[].startTime uses), parsed once into a
 * compiled form, and the pure questions the schedule asks of them: the next
 * occurrence at or after a time, and whether a time falls inside one of a
 * job's maintenance windows. Every time is UTC epoch milliseconds; there is
 * no time zone and so no daylight-saving time.
 *
 * Syntax: "cron(Minutes Hours Day-of-month Month Day-of-week Year)", fields
 * separated by spaces:
 *   Minutes      0-59                  , - * /
 *   Hours        0-23                  , - * /
 *   Day-of-month 1-31                  , - * ? / L W   (L, L-n, LW, nW)
 *   Month        1-12 or JAN-DEC       , - * /
 *   Day-of-week  1-7 or SUN-SAT (1=SUN), - * ? L #    (L, nL, n#k)
 *   Year         1970-2199             , - * /
 * Exactly one of Day-of-month and Day-of-week is "?". Names are
 * case-insensitive. A range may wrap (FRI-MON, 22-2) except in Year; a step
 * "a/n" runs from a to the field's maximum. L, W and # forms stand alone in
 * their field (EventBridge: "3#1,6#3" is invalid).
 */
#ifndef JD_CORE_CRON_H
#define JD_CORE_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JD_CRON_TEXT_MAX 256 /* MaintenanceWindow.startTime length */
#define JD_CRON_YEAR_MIN 1970
#define JD_CRON_YEAR_MAX 2199
#define JD_WINDOW_MINUTES_MIN 1
#define JD_WINDOW_MINUTES_MAX 1430

/* How the day is chosen (struct jd_cron.day_kind). */
enum jd_cron_day {
	JD_CRON_DOM = 0,      /* Day-of-month bits, Day-of-week "?" */
	JD_CRON_DOW,          /* Day-of-week bits, Day-of-month "?" */
	JD_CRON_LAST,         /* L or L-n: day_arg days before the month's last day */
	JD_CRON_LAST_WEEKDAY, /* LW: the month's last Monday..Friday */
	JD_CRON_WEEKDAY,      /* nW: the Monday..Friday nearest day day_arg, same month */
	JD_CRON_LAST_DOW,     /* nL: the month's last weekday day_arg (1=SUN) */
	JD_CRON_NTH_DOW,      /* n#k: the day_nth-th weekday day_arg of the month */
};

/* A compiled expression: a few words, stored in the packed policy. */
struct jd_cron {
	uint64_t minutes;  /* bit m: minute m */
	uint32_t hours;    /* bit h: hour h */
	uint32_t dom;      /* bit d: day of month d (1..31), JD_CRON_DOM */
	uint16_t months;   /* bit m: month m (1..12) */
	uint8_t dow;       /* bit d: day of week d (1..7, 1 = Sunday), JD_CRON_DOW */
	uint8_t day_kind;  /* enum jd_cron_day */
	uint8_t day_arg;   /* see enum jd_cron_day */
	uint8_t day_nth;   /* k of n#k (1..5) */
	uint64_t years[4]; /* bit y - 1970 of years[(y - 1970) / 64] */
};

/* A maintenance window: a cron start and a duration. */
struct jd_window {
	struct jd_cron start;
	int64_t minutes; /* durationInMinutes, 1..1430 */
};

/*
 * Parse s (NUL-terminated) into *out. 0, or -1 with a short reason
 * ("Day-of-month and Day-of-week cannot both be specified", ...) written to
 * why (n bytes, NUL-terminated, may be NULL). *out is zeroed on failure.
 */
int core_cron_parse(const char *s, struct jd_cron *out, char *why, size_t n);

/* The first occurrence at or after from_ms (rounded up to the minute), or
 * -1 when there is none before the end of year 2199. */
int64_t core_cron_next(const struct jd_cron *c, int64_t from_ms);

/*
 * Is t inside one of the n windows, i.e. is there an occurrence s of a
 * window's cron with s <= t < s + minutes (a window that starts 23:50 and
 * lasts 20 minutes covers the next day's first 10)? When it is not and
 * next != NULL, *next is the next window start after t (-1 if none).
 */
bool core_window_active(const struct jd_window *w, size_t n, int64_t t, int64_t *next);

/* The next window start at or after from_ms over the n windows, -1 if none. */
int64_t core_window_next_start(const struct jd_window *w, size_t n, int64_t from_ms);

#endif
