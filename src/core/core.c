/*
 * core.c: wire names of the Jobs enums, strict parses of query and path
 * text, and UTF-8 helpers. The state machine is in state.c, member
 * validation in validate.c, timer arithmetic in timer.c.
 *
 * Every name list below is indexed by the enum value it names, so a name
 * cannot drift from its value; parse is a linear search of the same list.
 */
#include "core/core.h"

#include <string.h>

#include "core/core_int.h"

static const char *const exec_status_names[JD_EXEC__COUNT] = {
    [JD_EXEC_QUEUED] = "QUEUED",
    [JD_EXEC_IN_PROGRESS] = "IN_PROGRESS",
    [JD_EXEC_SUCCEEDED] = "SUCCEEDED",
    [JD_EXEC_FAILED] = "FAILED",
    [JD_EXEC_TIMED_OUT] = "TIMED_OUT",
    [JD_EXEC_REJECTED] = "REJECTED",
    [JD_EXEC_REMOVED] = "REMOVED",
    [JD_EXEC_CANCELED] = "CANCELED",
};

static const char *const job_status_names[JD_JOB__COUNT] = {
    [JD_JOB_IN_PROGRESS] = "IN_PROGRESS",
    [JD_JOB_CANCELED] = "CANCELED",
    [JD_JOB_COMPLETED] = "COMPLETED",
    [JD_JOB_DELETION_IN_PROGRESS] = "DELETION_IN_PROGRESS",
    [JD_JOB_SCHEDULED] = "SCHEDULED",
};

static const char *const target_selection_names[JD_SEL__COUNT] = {
    [JD_SEL_SNAPSHOT] = "SNAPSHOT",
    [JD_SEL_CONTINUOUS] = "CONTINUOUS",
};

static const char *
name_of(const char *const *names, int count, int v)
{
	if (v < 0 || v >= count)
		return NULL;
	return names[v];
}

static int
parse_name(const char *const *names, int count, const char *s, int *out)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < count; i++) {
		if (strcmp(names[i], s) == 0) {
			if (out != NULL)
				*out = i;
			return 0;
		}
	}
	return -1;
}

const char *
core_exec_status_name(int s)
{
	return name_of(exec_status_names, JD_EXEC__COUNT, s);
}

const char *
core_job_status_name(int s)
{
	return name_of(job_status_names, JD_JOB__COUNT, s);
}

const char *
core_target_selection_name(int s)
{
	return name_of(target_selection_names, JD_SEL__COUNT, s);
}

int
core_exec_status_parse(const char *s, int *out)
{
	return parse_name(exec_status_names, JD_EXEC__COUNT, s, out);
}

int
core_job_status_parse(const char *s, int *out)
{
	return parse_name(job_status_names, JD_JOB__COUNT, s, out);
}

int
core_target_selection_parse(const char *s, int *out)
{
	return parse_name(target_selection_names, JD_SEL__COUNT, s, out);
}

bool
core_exec_status_terminal(int s)
{
	switch (s) {
	case JD_EXEC_SUCCEEDED:
	case JD_EXEC_FAILED:
	case JD_EXEC_TIMED_OUT:
	case JD_EXEC_REJECTED:
	case JD_EXEC_REMOVED:
	case JD_EXEC_CANCELED:
		return true;
	default:
		return false;
	}
}

bool
core_exec_status_pending(int s)
{
	return s == JD_EXEC_QUEUED || s == JD_EXEC_IN_PROGRESS;
}

/* ---- strict integer and boolean parses -------------------------------- */

/*
 * Accumulate the decimal digits of s (at least one, nothing else) into a
 * magnitude no greater than limit. Shared by the signed and unsigned parses
 * so both reject the same malformed text.
 */
static int
parse_digits(const char *s, uint64_t limit, uint64_t *out)
{
	/* v * 10 + d <= limit, without a division per digit: PostgreSQL's
	 * integer columns are read with this (store/postgres/pg_int.h) */
	const uint64_t cut = limit / 10;
	const unsigned last = (unsigned)(limit % 10);
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v >= cut && (v > cut || d > last))
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
core_parse_u63(const char *s, int64_t *out)
{
	uint64_t v;

	if (parse_digits(s, (uint64_t)INT64_MAX, &v) != 0)
		return -1;
	if (out != NULL)
		*out = (int64_t)v;
	return 0;
}

int
core_parse_i64(const char *s, int64_t *out)
{
	uint64_t v;
	int64_t r;

	if (s != NULL && *s == '-') {
		/* |INT64_MIN| = INT64_MAX + 1 */
		if (parse_digits(s + 1, (uint64_t)INT64_MAX + 1, &v) != 0)
			return -1;
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (parse_digits(s, (uint64_t)INT64_MAX, &v) != 0)
			return -1;
		r = (int64_t)v;
	}
	if (out != NULL)
		*out = r;
	return 0;
}

int
core_parse_bool(const char *s, bool *out)
{
	bool v;

	if (s == NULL)
		return -1;
	if (strcmp(s, "true") == 0)
		v = true;
	else if (strcmp(s, "false") == 0)
		v = false;
	else
		return -1;
	if (out != NULL)
		*out = v;
	return 0;
}

/* ---- UTF-8 ------------------------------------------------------------ */

int
core__utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;
	uint32_t min;

	if (n == 0)
		return -1;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	} else if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		len = 2;
		c = p[0] & 0x1Fu;
		min = 0x80;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		len = 3;
		c = p[0] & 0x0Fu;
		min = 0x800;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		len = 4;
		c = p[0] & 0x07u;
		min = 0x10000;
	} else {
		/* continuation byte, overlong lead C0/C1, or F5..FF */
		return -1;
	}
	if (n < len)
		return -1;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0u) != 0x80u)
			return -1;
		c = (c << 6) | (p[i] & 0x3Fu);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	return (int)len;
}

bool
core_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		int k = core__utf8_decode(p + i, n - i, &cp);

		if (k < 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

size_t
core_utf8_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t count = 0;

	/* Count every byte that is not a continuation byte: exact for valid
	 * UTF-8, and a sane upper bound for anything else. */
	for (size_t i = 0; i < n; i++)
		if ((p[i] & 0xC0u) != 0x80u)
			count++;
	return count;
}
