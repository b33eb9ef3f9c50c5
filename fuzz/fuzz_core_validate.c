/*
 * fuzz_core_validate.c: every core_check_* and core_parse_* on the input as
 * a C string, each checked against a small reference written here from the
 * contract in core.h (not from the code).
 *
 * Invariants:
 *   - the ASCII-only patterns ([a-zA-Z0-9_-]{1,64} for job, namespace and
 *     template ids, thing names, reason codes, attribute names and values,
 *     ARNs) accept exactly what the reference accepts;
 *   - the Unicode patterns (text, tag key and value, group description,
 *     statusDetails value) accept only valid UTF-8 within the length bounds
 *     and without C0/C1 controls, agree exactly with the reference on ASCII
 *     input, and accept well-known printable code points;
 *   - a failure sets JD_EINVAL with a non-empty, printable-ASCII message in
 *     AWS's "N validation error(s) detected" form, and e == NULL gives the
 *     same answer;
 *   - core_utf8_valid/core_utf8_len agree with an independent decoder on the
 *     raw bytes (embedded NULs included);
 *   - core_parse_u63/i64/bool, the enum parsers and core_parse_schedule_time
 *     agree with the reference (the schedule via gmtime_r), core_check_range
 *     and core_check_schedule keep their bounds, core_exec_check answers the
 *     same with and without e and is monotonic in force.
 */
#include <stdbool.h>
#include <time.h>

#include "core/core.h"
#include "core/core_int.h"
#include "fuzz.h"

/* ---- references ------------------------------------------------------- */

static bool
ascii_in(unsigned char c, const char *set)
{
	return c != 0 && strchr(set, c) != NULL;
}

static bool
alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Every byte of s is alnum or in extra; length within [min, max]. */
static bool
ref_class(const char *s, bool with_alnum, const char *extra, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((with_alnum && alnum(c)) || ascii_in(c, extra)))
			return false;
	}
	return true;
}

/* Valid UTF-8? *count = code points, *ctrl = has C0/C1 control or DEL,
 * *plain = every code point is in a range that is surely not \p{C}. */
static bool
ref_utf8(const char *s, size_t n, size_t *count, bool *ctrl, bool *plain)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	*count = 0;
	*ctrl = false;
	*plain = true;
	while (i < n) {
		uint32_t cp;
		size_t k = fuzz_utf8_seq(p + i, n - i, &cp);

		if (k == 0)
			return false;
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			*ctrl = true;
		if (!((cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xAC) ||
		        (cp >= 0xAE && cp <= 0x5FF) || (cp >= 0x4E00 && cp <= 0x9FFF)))
			*plain = false;
		(*count)++;
		i += k;
	}
	return true;
}

static bool
all_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Decimal digits only, value <= max. */
static bool
ref_digits(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool
ref_num(const char *s, size_t at, size_t n, int *out)
{
	int v = 0;

	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + s[i] - '0';
	}
	*out = v;
	return true;
}

/* "YYYY-MM-DDTHH:MM[:SS][Z]", a real date and time. */
static bool
ref_schedule(const char *s, int f[6])
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n = strlen(s), i = 16;
	int leap;

	f[5] = 0;
	if (n < 16 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    !ref_num(s, 0, 4, &f[0]) || !ref_num(s, 5, 2, &f[1]) || !ref_num(s, 8, 2, &f[2]) ||
	    !ref_num(s, 11, 2, &f[3]) || !ref_num(s, 14, 2, &f[4]))
		return false;
	if (i < n && s[i] == ':') {
		if (n < 19 || !ref_num(s, 17, 2, &f[5]))
			return false;
		i = 19;
	}
	if (i < n && s[i] == 'Z')
		i++;
	if (i != n)
		return false;
	leap = (f[0] % 4 == 0 && f[0] % 100 != 0) || f[0] % 400 == 0;
	if (f[1] < 1 || f[1] > 12 || f[2] < 1)
		return false;
	if (f[2] > mdays[f[1] - 1] + (f[1] == 2 && leap))
		return false;
	return f[3] <= 23 && f[4] <= 59 && f[5] <= 59;
}

/* ---- checks ----------------------------------------------------------- */

/* rc of a validator called with e; same call without e gave rc_null. */
static void
check_report(int rc, int rc_null, const struct jd_error *e, const char *member)
{
	FUZZ_CHECK(rc == rc_null);
	if (rc == 0) {
		FUZZ_CHECK(e->code == 0 && e->msg[0] == '\0');
		return;
	}
	FUZZ_CHECK(rc == JD_EINVAL && e->code == JD_EINVAL);
	FUZZ_CHECK(e->msg[0] != '\0');
	FUZZ_CHECK(fuzz_printable(e->msg));
	FUZZ_CHECK(strncmp(e->msg, "1 validation error detected: ", 29) == 0 ||
	    strncmp(e->msg, "2 validation errors detected: ", 30) == 0 ||
	    strncmp(e->msg, "3 validation errors detected: ", 30) == 0);
	if (member != NULL) {
		char at[64];

		snprintf(at, sizeof(at), "' at '%s' failed", member);
		FUZZ_CHECK(strstr(e->msg, at) != NULL);
	}
}

typedef int (*checker)(const char *, const char *, struct jd_error *);

/* Run check on s; return whether it passed. */
static bool
run(checker check, const char *member, const char *s)
{
	struct jd_error e;
	int rc, rc_null;

	jd_error_init(&e);
	rc = check(member, s, &e);
	rc_null = check(member, s, NULL);
	check_report(rc, rc_null, &e, member);
	jd_error_clear(&e);
	return rc == 0;
}

static bool
run_text(const char *s, size_t min, size_t max)
{
	struct jd_error e;
	int rc, rc_null;

	jd_error_init(&e);
	rc = core_check_text("description", s, min, max, &e);
	rc_null = core_check_text("description", s, min, max, NULL);
	check_report(rc, rc_null, &e, "description");
	jd_error_clear(&e);
	return rc == 0;
}

static bool
run_arn(const char *s, size_t min, size_t max)
{
	struct jd_error e;
	int rc, rc_null;

	jd_error_init(&e);
	rc = core_check_arn("targets", s, min, max, &e);
	rc_null = core_check_arn("targets", s, min, max, NULL);
	check_report(rc, rc_null, &e, "targets");
	jd_error_clear(&e);
	return rc == 0;
}

/* A Unicode-class validator: accepts only valid UTF-8 within [min, max]
 * code points without controls; on ASCII input equals `ascii_ok`; accepts
 * plain text whose ASCII part passes. */
static void
unicode_rule(bool ok, const char *s, size_t min, size_t max, bool ascii_ok, bool plain_ascii_ok)
{
	size_t count;
	bool ctrl, plain, valid = ref_utf8(s, strlen(s), &count, &ctrl, &plain);

	if (ok)
		FUZZ_CHECK(valid && !ctrl && count >= min && count <= max);
	if (all_ascii(s))
		FUZZ_CHECK(ok == ascii_ok);
	if (valid && plain && count >= min && count <= max && plain_ascii_ok)
		FUZZ_CHECK(ok);
}

/* Printable ASCII only, or non-ASCII (for the tag key's ASCII subset). */
static bool
ascii_part(const char *s, bool with_alnum, const char *extra)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x80 && !((with_alnum && alnum(c)) || ascii_in(c, extra)))
			return false;
	}
	return true;
}

static void
check_validators(const char *s)
{
	const char *printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                        "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
	size_t n = strlen(s), count;
	bool ctrl, plain, ok;

	FUZZ_CHECK(run(core_check_job_id, "jobId", s) == ref_class(s, true, "_-", 1, 64));
	FUZZ_CHECK(
	    run(core_check_namespace_id, "namespaceId", s) == ref_class(s, true, "_-", 1, 64));
	FUZZ_CHECK(
	    run(core_check_template_id, "jobTemplateId", s) == ref_class(s, true, "_-", 1, 64));
	FUZZ_CHECK(run(core_check_thing_name, "thingName", s) == ref_class(s, true, ":_-", 1, 128));
	FUZZ_CHECK(
	    run(core_check_details_key, "statusDetails", s) == ref_class(s, true, ":_-", 1, 128));
	FUZZ_CHECK(run(core_check_reason_code, "reasonCode", s) ==
	    ref_class(s, false, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", 1, 128));
	FUZZ_CHECK(run(core_check_attr_name, "attributeName", s) ==
	    ref_class(s, true, "_.,@/:#-", 1, 128));
	FUZZ_CHECK(run(core_check_attr_value, "attributeValue", s) ==
	    ref_class(s, true, "_.,@/:#=[]-", 0, 800));
	FUZZ_CHECK(run_arn(s, 1, 2048) ==
	    (n >= 5 && strncmp(s, "arn:", 4) == 0 && ref_class(s, false, printable + 1, 1, 2048)));
	FUZZ_CHECK(run_arn(s, 20, 60) ==
	    (n >= 5 && strncmp(s, "arn:", 4) == 0 && ref_class(s, false, printable + 1, 20, 60)));

	bool valid = ref_utf8(s, n, &count, &ctrl, &plain);
	(void)valid;
	unicode_rule(run_text(s, 1, 2028), s, 1, 2028, ref_class(s, false, printable, 1, 2028),
	    true);
	unicode_rule(run_text(s, 0, 16), s, 0, 16, ref_class(s, false, printable, 0, 16), true);
	unicode_rule(run(core_check_details_value, "statusDetails", s), s, 1, 1024,
	    ref_class(s, false, printable, 1, 1024), true);
	unicode_rule(run(core_check_tag_value, "Value", s), s, 0, 256,
	    ref_class(s, false, printable, 0, 256), true);
	unicode_rule(run(core_check_group_description, "thingGroupDescription", s), s, 0, 2028,
	    ref_class(s, false, printable, 0, 2028), true);
	ok = run(core_check_tag_key, "Key", s);
	unicode_rule(ok, s, 1, 128, ref_class(s, true, " _.:/=+-@", 1, 128),
	    ascii_part(s, true, " _.:/=+-@"));
}

static void
check_parsers(const char *s)
{
	uint64_t u;
	int64_t v = 12345, ms = 0;
	bool b = false;
	int st = 0, f[6];

	/* core_parse_u63: [0-9]+ <= INT64_MAX; NULL out allowed. */
	if (ref_digits(s, (uint64_t)INT64_MAX, &u)) {
		FUZZ_CHECK(core_parse_u63(s, &v) == 0 && (uint64_t)v == u);
		FUZZ_CHECK(core_parse_u63(s, NULL) == 0);
	} else {
		FUZZ_CHECK(core_parse_u63(s, &v) == -1 && v == 12345);
	}
	/* core_parse_i64: -?[0-9]+ within int64. */
	v = 12345;
	if (s[0] == '-' && ref_digits(s + 1, (uint64_t)INT64_MAX + 1, &u))
		FUZZ_CHECK(core_parse_i64(s, &v) == 0 && (uint64_t)0 - (uint64_t)v == u);
	else if (s[0] != '-' && ref_digits(s, (uint64_t)INT64_MAX, &u))
		FUZZ_CHECK(core_parse_i64(s, &v) == 0 && (uint64_t)v == u);
	else
		FUZZ_CHECK(core_parse_i64(s, &v) == -1 && v == 12345);
	/* core_parse_bool: exactly true or false. */
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		FUZZ_CHECK(core_parse_bool(s, &b) == 0 && b == (s[0] == 't'));
	else
		FUZZ_CHECK(core_parse_bool(s, &b) == -1);

	/* enum names: a parse is exactly a name, and round-trips. */
	if (core_exec_status_parse(s, &st) == 0)
		FUZZ_CHECK(
		    st >= 0 && st < JD_EXEC__COUNT && strcmp(core_exec_status_name(st), s) == 0);
	if (core_job_status_parse(s, &st) == 0)
		FUZZ_CHECK(
		    st >= 0 && st < JD_JOB__COUNT && strcmp(core_job_status_name(st), s) == 0);
	if (core_target_selection_parse(s, &st) == 0)
		FUZZ_CHECK(st >= 0 && st < JD_SEL__COUNT &&
		    strcmp(core_target_selection_name(st), s) == 0);

	/* core_parse_schedule_time: equals the reference; the instant it yields
	 * has the same calendar fields per gmtime_r. */
	if (ref_schedule(s, f)) {
		struct tm tm;
		time_t t;

		FUZZ_CHECK(core_parse_schedule_time(s, &ms) == 0);
		FUZZ_CHECK(ms % 1000 == 0);
		t = (time_t)(ms / 1000);
		FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
		FUZZ_CHECK(tm.tm_year + 1900 == f[0] && tm.tm_mon + 1 == f[1] &&
		    tm.tm_mday == f[2] && tm.tm_hour == f[3] && tm.tm_min == f[4] &&
		    tm.tm_sec == f[5]);
	} else {
		FUZZ_CHECK(core_parse_schedule_time(s, &ms) == -1);
	}
}

/* core_check_schedule on the input split at the first '\n' (start, end);
 * now from two input bytes, within 1970..2100. */
static void
check_schedule(const char *s, const uint8_t *data, size_t size)
{
	const int64_t min30 = 30 * CORE_MIN_MS, day = 1440 * CORE_MIN_MS;
	int64_t now = INT64_C(1700000000000), start_ms = 1, end_ms = 1;
	char *copy = strdup(s), *nl, *start = copy, *end = NULL;
	struct jd_error e;
	int rc;

	if (copy == NULL)
		abort();
	if (size >= 2)
		now =
		    (int64_t)(data[0] << 8 | data[1]) * 60000 * 1000 % (INT64_C(4102444800) * 1000);
	if ((nl = strchr(copy, '\n')) != NULL) {
		*nl = '\0';
		end = nl + 1;
		if (*start == '\0')
			start = NULL;
	}
	jd_error_init(&e);
	rc = core_check_schedule(start, end, now, &start_ms, &end_ms, &e);
	FUZZ_CHECK(rc == core_check_schedule(start, end, now, &start_ms, &end_ms, NULL));
	if (rc == 0) {
		if (start == NULL)
			FUZZ_CHECK(start_ms == 0);
		else
			FUZZ_CHECK(start_ms >= now + min30 && start_ms <= now + 365 * day);
		if (end == NULL) {
			FUZZ_CHECK(end_ms == 0);
		} else {
			int64_t from = start_ms ? start_ms : now;

			FUZZ_CHECK(end_ms >= now + min30 && end_ms <= now + 2 * 365 * day);
			FUZZ_CHECK(end_ms - from >= min30 && end_ms - from <= 2 * 365 * day);
		}
	} else {
		FUZZ_CHECK(rc == JD_EINVAL && e.code == JD_EINVAL && e.msg[0] != '\0');
	}
	jd_error_clear(&e);
	free(copy);
}

static int64_t
load64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static void
check_numbers(const uint8_t *data, size_t size)
{
	struct jd_error e;
	int64_t v, lo, hi;
	int rc;

	if (size < 24)
		return;
	v = load64(data);
	lo = load64(data + 8);
	hi = load64(data + 16);
	jd_error_init(&e);
	rc = core_check_range("stepTimeoutInMinutes", v, lo, hi, &e);
	check_report(rc, core_check_range("stepTimeoutInMinutes", v, lo, hi, NULL), &e,
	    "stepTimeoutInMinutes");
	FUZZ_CHECK((rc == 0) == (v >= lo && v <= hi));
	jd_error_clear(&e);
}

/* core_exec_check with op/from/to one outside the enums on both sides. */
static void
check_exec(const uint8_t *data, size_t size)
{
	struct jd_error e;
	int op, from, to, rc, rc_force;

	if (size < 3)
		return;
	op = data[0] % (CORE_OP__COUNT + 2) - 1;
	from = data[1] % (JD_EXEC__COUNT + 2) - 1;
	to = data[2] % (JD_EXEC__COUNT + 2) - 1;
	for (int force = 0; force < 2; force++) {
		jd_error_init(&e);
		rc = core_exec_check(op, from, to, force, &e);
		FUZZ_CHECK(rc == core_exec_check(op, from, to, force, NULL));
		if (rc == 0) {
			FUZZ_CHECK(e.code == 0);
		} else {
			FUZZ_CHECK(
			    rc < 0 && e.code == rc && e.msg[0] != '\0' && fuzz_printable(e.msg));
			FUZZ_CHECK(strstr(e.msg, "{") == NULL); /* every placeholder replaced */
		}
		jd_error_clear(&e);
	}
	rc = core_exec_check(op, from, to, false, NULL);
	rc_force = core_exec_check(op, from, to, true, NULL);
	if (rc == 0)
		FUZZ_CHECK(rc_force == 0);
	if (op < 0 || op >= CORE_OP__COUNT || from < 0 || from >= JD_EXEC__COUNT)
		FUZZ_CHECK(rc == JD_EINVAL);
	else
		FUZZ_CHECK(core__exec_rows_matching(op, from, to) == 1);
	FUZZ_CHECK(core_exec_op_name(op) != NULL || op < 0 || op >= CORE_OP__COUNT);
	/* every in-range state is exactly one of pending and terminal */
	FUZZ_CHECK(!(core_exec_status_pending(from) && core_exec_status_terminal(from)));
	FUZZ_CHECK(core_exec_status_pending(from) ==
	    (from == JD_EXEC_QUEUED || from == JD_EXEC_IN_PROGRESS));
	if (from >= 0 && from < JD_EXEC__COUNT)
		FUZZ_CHECK(core_exec_status_pending(from) || core_exec_status_terminal(from));
	else
		FUZZ_CHECK(!core_exec_status_terminal(from) && core_exec_status_name(from) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	char *raw = malloc(size ? size : 1);
	size_t count;
	bool ctrl, plain, valid;

	if (raw == NULL)
		abort();
	if (size > 0)
		memcpy(raw, data, size);
	/* Raw bytes, NULs included, exact-size buffer. */
	valid = ref_utf8(raw, size, &count, &ctrl, &plain);
	FUZZ_CHECK(core_utf8_valid(raw, size) == valid);
	if (valid)
		FUZZ_CHECK(core_utf8_len(raw, size) == count);
	else
		FUZZ_CHECK(core_utf8_len(raw, size) <= size);

	check_validators(s);
	check_parsers(s);
	check_schedule(s, data, size);
	check_numbers(data, size);
	check_exec(data, size);
	free(raw);
	free(s);
	return 0;
}
