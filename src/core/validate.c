/*
 * validate.c: member validation with AWS's wording (spec §3.1; decisions
 * D2, D12).
 *
 * Each member is described by a rule: the pattern as AWS prints it, a
 * per-code-point predicate implementing it, an optional literal prefix, and
 * whether the pattern needs at least one code point ("+"). Length bounds
 * come from the caller. Input must be valid UTF-8 (else the pattern fails);
 * lengths count code points, as Java's String length does for the BMP.
 *
 * Failing constraints are reported in AWS's (Coral's) form,
 *   N validation error(s) detected: Value 'v' at 'm' failed to satisfy
 *   constraint: C[; Value 'v' at 'm' failed to satisfy constraint: C]
 * pattern first, then length. An empty value under a minimum length reports
 * only the length, since the pattern's "+" says the same thing.
 *
 * \p{C} approximation (core__is_other). Java evaluates AWS's patterns with
 * its own Unicode tables; we have no tables, so jobsd treats as \p{C}:
 *   Cc  U+0000-001F, U+007F-009F;
 *   Cf  the format characters of Unicode 15 listed in `format_ranges`
 *       (soft hyphen, Arabic number signs, zero-width and bidi controls,
 *       word joiner and invisible operators, BOM, interlinear annotation,
 *       Kaithi/Egyptian/duployan/musical format controls, language tags);
 *   Cs  U+D800-DFFF (unreachable: such UTF-8 is already invalid);
 *   Co  U+E000-F8FF and planes 15-16 (U+F0000-10FFFF);
 *   Cn  only the noncharacters U+FDD0-FDEF and U+xFFFE/U+xFFFF. Other
 *       unassigned code points are accepted, a known leniency.
 * Character classes that need Unicode letters (\p{L}, \p{Z}, \p{N} of tag
 * keys) accept any non-ASCII code point that is not \p{C}, and the exact
 * ASCII subset. [\p{Graph}\x20] (thing group description) is printable
 * ASCII plus space in Java's default (ASCII) classes; jobsd also accepts
 * any non-ASCII code point that is not \p{C}, so descriptions in other
 * scripts round-trip.
 */
#include "core/core.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

#define VALUE_SHOWN_MAX 64 /* bytes of the offending value quoted */

struct range {
	uint32_t lo, hi;
};

/* Cf (format) characters, ascending. */
static const struct range format_ranges[] = {
    {0x00AD, 0x00AD},
    {0x0600, 0x0605},
    {0x061C, 0x061C},
    {0x06DD, 0x06DD},
    {0x070F, 0x070F},
    {0x0890, 0x0891},
    {0x08E2, 0x08E2},
    {0x180E, 0x180E},
    {0x200B, 0x200F},
    {0x202A, 0x202E},
    {0x2060, 0x2064},
    {0x2066, 0x206F},
    {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFB},
    {0x110BD, 0x110BD},
    {0x110CD, 0x110CD},
    {0x13430, 0x1343F},
    {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A},
    {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

bool
core__is_other(uint32_t cp)
{
	if (cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F))
		return true;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return true;
	if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000)
		return true;
	if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFEu) == 0xFFFEu)
		return true;
	for (size_t i = 0; i < sizeof(format_ranges) / sizeof(format_ranges[0]); i++) {
		if (cp < format_ranges[i].lo)
			break;
		if (cp <= format_ranges[i].hi)
			return true;
	}
	return false;
}

/* ---- per-code-point classes ------------------------------------------ */

static bool
is_alnum(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
in_set(uint32_t c, const char *set)
{
	return c != 0 && c < 0x80 && strchr(set, (int)c) != NULL;
}

static bool
cls_id(uint32_t c) /* [a-zA-Z0-9_-] */
{
	return is_alnum(c) || in_set(c, "_-");
}

static bool
cls_thing(uint32_t c) /* [a-zA-Z0-9:_-] */
{
	return is_alnum(c) || in_set(c, ":_-");
}

static bool
cls_reason(uint32_t c) /* [\p{Upper}\p{Digit}_], ASCII in Java */
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool
cls_attr_name(uint32_t c) /* [a-zA-Z0-9_.,@/:#-] */
{
	return is_alnum(c) || in_set(c, "_.,@/:#-");
}

static bool
cls_attr_value(uint32_t c) /* [a-zA-Z0-9_.,@/:#=\[\]-] */
{
	return is_alnum(c) || in_set(c, "_.,@/:#=[]-");
}

static bool
cls_text(uint32_t c) /* [^\p{C}] */
{
	return !core__is_other(c);
}

static bool
cls_graph_space(uint32_t c) /* [\p{Graph}\x20], widened: see the top of the file */
{
	if (c < 0x80)
		return c >= 0x20 && c <= 0x7E;
	return !core__is_other(c);
}

static bool
cls_tag_key(uint32_t c) /* [\p{L}\p{Z}\p{N}_.:/=+\-@], approximated */
{
	if (c < 0x80)
		return is_alnum(c) || in_set(c, " _.:/=+-@");
	return !core__is_other(c);
}

static bool
cls_arn(uint32_t c) /* [!-~] */
{
	return c >= '!' && c <= '~';
}

/* ---- the checker ------------------------------------------------------ */

struct rule {
	const char *pattern;     /* as AWS prints it */
	bool (*ok)(uint32_t cp); /* every code point (after prefix) must pass */
	const char *prefix;      /* literal the value must start with, or NULL */
	bool plus;               /* pattern needs >= 1 code point after prefix */
};

static const struct rule rule_id = {"[a-zA-Z0-9_-]+", cls_id, NULL, true};
static const struct rule rule_thing = {"[a-zA-Z0-9:_-]+", cls_thing, NULL, true};
static const struct rule rule_text = {"[^\\p{C}]+", cls_text, NULL, true};
static const struct rule rule_text0 = {"[^\\p{C}]*", cls_text, NULL, false};
static const struct rule rule_reason = {"[\\p{Upper}\\p{Digit}_]+", cls_reason, NULL, true};
static const struct rule rule_attr_name = {"[a-zA-Z0-9_.,@/:#-]+", cls_attr_name, NULL, true};
static const struct rule rule_attr_value = {"[a-zA-Z0-9_.,@/:#=\\[\\]-]*", cls_attr_value, NULL,
    false};
static const struct rule rule_group_desc = {"[\\p{Graph}\\x20]*", cls_graph_space, NULL, false};
static const struct rule rule_tag_key = {"^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$", cls_tag_key, NULL,
    false};
static const struct rule rule_arn = {"^arn:[!-~]+$", cls_arn, "arn:", true};

static bool
pattern_matches(const struct rule *r, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (r->prefix != NULL) {
		size_t pl = strlen(r->prefix);

		if (n < pl || memcmp(s, r->prefix, pl) != 0)
			return false;
		i = pl;
	}
	if (r->plus && i == n)
		return false;
	while (i < n) {
		uint32_t cp;
		int k = core__utf8_decode(p + i, n - i, &cp);

		if (k < 0 || !r->ok(cp))
			return false;
		i += (size_t)k;
	}
	return true;
}

/* Append printf output to buf (of size cap) at *len, truncating safely. */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*len + 1 >= cap)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	*len += (size_t)w < cap - *len ? (size_t)w : cap - *len - 1;
}

/*
 * Set e to JD_EINVAL listing the nc failed constraints of member, quoting
 * `shown` (already made printable and short).
 */
static int
report(struct jd_error *e, const char *member, const char *shown, const char *const *cons, int nc)
{
	char buf[JD_ERROR_MSG_MAX];
	size_t len = 0;

	if (e == NULL)
		return JD_EINVAL;
	append(buf, sizeof(buf), &len, "%d validation error%s detected: ", nc, nc == 1 ? "" : "s");
	for (int i = 0; i < nc; i++)
		append(buf, sizeof(buf), &len,
		    "%sValue '%s' at '%s' failed to satisfy constraint: %s", i == 0 ? "" : "; ",
		    shown, member != NULL ? member : "", cons[i]);
	return jd_error_set(e, JD_EINVAL, "%s", buf);
}

/* The first VALUE_SHOWN_MAX bytes of s, bytes outside 0x20..0x7E as '?'. */
static void
show_value(const char *s, size_t n, char out[VALUE_SHOWN_MAX + 1])
{
	size_t i;

	for (i = 0; i < n && i < VALUE_SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 0x20 && c <= 0x7E ? (char)c : '?';
	}
	out[i] = '\0';
}

static int
check(const struct rule *r, const char *member, const char *s, size_t min, size_t max,
    struct jd_error *e)
{
	char pat[160], lo[80], hi[80], shown[VALUE_SHOWN_MAX + 1];
	const char *cons[3];
	int nc = 0;
	size_t n, len;

	if (s == NULL)
		s = "";
	n = strlen(s);
	len = core_utf8_len(s, n);
	if (!pattern_matches(r, s, n) && !(n == 0 && min > 0)) {
		snprintf(pat, sizeof(pat), "Member must satisfy regular expression pattern: %s",
		    r->pattern);
		cons[nc++] = pat;
	}
	if (len < min) {
		snprintf(lo, sizeof(lo), "Member must have length greater than or equal to %zu",
		    min);
		cons[nc++] = lo;
	}
	if (len > max) {
		snprintf(hi, sizeof(hi), "Member must have length less than or equal to %zu", max);
		cons[nc++] = hi;
	}
	if (nc == 0)
		return 0;
	show_value(s, n, shown);
	return report(e, member, shown, cons, nc);
}

/* ---- the members ------------------------------------------------------ */

int
core_check_job_id(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_id, member, s, 1, 64, e);
}

int
core_check_thing_name(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_thing, member, s, 1, 128, e);
}

int
core_check_namespace_id(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_id, member, s, 1, 64, e); /* decisions D2 */
}

int
core_check_template_id(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_id, member, s, 1, 64, e);
}

int
core_check_text(const char *member, const char *s, size_t min_len, size_t max_len,
    struct jd_error *e)
{
	return check(min_len > 0 ? &rule_text : &rule_text0, member, s, min_len, max_len, e);
}

int
core_check_reason_code(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_reason, member, s, 0, 128, e);
}

int
core_check_attr_name(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_attr_name, member, s, 1, 128, e);
}

int
core_check_attr_value(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_attr_value, member, s, 0, 800, e);
}

int
core_check_group_description(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_group_desc, member, s, 0, 2028, e);
}

int
core_check_tag_key(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_tag_key, member, s, 1, 128, e);
}

/* IoT declares no pattern for tag values; jobsd still requires valid UTF-8
 * without \p{C} so a stored tag always renders. */
int
core_check_tag_value(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_text0, member, s, 0, 256, e);
}

int
core_check_arn(const char *member, const char *s, size_t min_len, size_t max_len,
    struct jd_error *e)
{
	return check(&rule_arn, member, s, min_len, max_len, e);
}

int
core_check_details_key(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_thing, member, s, 1, 128, e); /* decisions D12 */
}

int
core_check_details_value(const char *member, const char *s, struct jd_error *e)
{
	return check(&rule_text, member, s, 1, 1024, e); /* decisions D12 */
}

int
core_check_range(const char *member, int64_t v, int64_t min, int64_t max, struct jd_error *e)
{
	char shown[24], con[96];
	const char *cons[1] = {con};

	if (v >= min && v <= max)
		return 0;
	snprintf(shown, sizeof(shown), "%" PRId64, v);
	if (v < min)
		snprintf(con, sizeof(con),
		    "Member must have value greater than or equal to %" PRId64, min);
	else
		snprintf(con, sizeof(con), "Member must have value less than or equal to %" PRId64,
		    max);
	return report(e, member, shown, cons, 1);
}
