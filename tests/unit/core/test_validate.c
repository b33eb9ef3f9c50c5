/*
 * test_validate.c: member validators at their limits, the \p{C}
 * approximation, UTF-8 edge cases, AWS's message text, and the strict
 * parses.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "test.h"

/* unit repeated count times, in a static buffer (one live result at a time) */
static const char *
rep(const char *unit, size_t count)
{
	static char buf[8192];
	size_t ul = strlen(unit);

	if (ul * count + 1 > sizeof(buf))
		abort();
	for (size_t i = 0; i < count; i++)
		memcpy(buf + i * ul, unit, ul);
	buf[ul * count] = '\0';
	return buf;
}

/* The message a validator gives, "" when it accepts (then returns 0). */
static struct jd_error err;

#define MSG(call) (jd_error_init(&err), (void)(call), err.msg)

typedef int (*checker)(const char *member, const char *s, struct jd_error *e);

/* Lengths min-1, min, max, max+1 of a repeated ASCII character. */
static void
check_lengths(checker fn, const char *ch, size_t min, size_t max)
{
	if (min > 0)
		CHECK_EQ_INT(fn("m", rep(ch, min - 1), NULL), JD_EINVAL);
	CHECK_EQ_INT(fn("m", rep(ch, min), NULL), 0);
	CHECK_EQ_INT(fn("m", rep(ch, max), NULL), 0);
	CHECK_EQ_INT(fn("m", rep(ch, max + 1), NULL), JD_EINVAL);
}

TEST(job_id)
{
	check_lengths(core_check_job_id, "a", 1, 64);
	CHECK_EQ_INT(core_check_job_id("jobId", "azAZ09_-", NULL), 0);
	CHECK_EQ_INT(core_check_job_id("jobId", "job-1_B", NULL), 0);
	CHECK_EQ_INT(core_check_job_id("jobId", "a:b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_job_id("jobId", "a.b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_job_id("jobId", "a/b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_job_id("jobId", "$next", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_job_id("jobId", "\xc3\xa9", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_job_id("jobId", NULL, NULL), JD_EINVAL);

	CHECK_EQ_STR(MSG(core_check_job_id("jobId", "bad id", &err)),
	    "1 validation error detected: Value 'bad id' at 'jobId' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+");
	CHECK_EQ_INT(err.code, JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_job_id("jobId", "", &err)),
	    "1 validation error detected: Value '' at 'jobId' failed to satisfy constraint: "
	    "Member must have length greater than or equal to 1");
	CHECK_EQ_STR(MSG(core_check_job_id("jobId", rep("a", 65), &err)),
	    "1 validation error detected: Value "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' at 'jobId' failed to "
	    "satisfy constraint: Member must have length less than or equal to 64");
	/* both constraints broken: both reported, pattern first; 66 bytes quoted as 64 */
	CHECK_EQ_STR(MSG(core_check_job_id("jobId", rep("a b", 22), &err)),
	    "2 validation errors detected: Value "
	    "'a ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba' at 'jobId' failed to "
	    "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+; "
	    "Value 'a ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba ba' at 'jobId' "
	    "failed to satisfy constraint: Member must have length less than or equal to 64");
	/* accepting leaves e alone */
	CHECK_EQ_STR(MSG(core_check_job_id("jobId", "ok", &err)), "");
	CHECK_EQ_INT(err.code, 0);
}

TEST(ids_and_names)
{
	check_lengths(core_check_thing_name, "T", 1, 128);
	check_lengths(core_check_namespace_id, "n", 1, 64);
	check_lengths(core_check_template_id, "9", 1, 64);
	check_lengths(core_check_details_key, "k", 1, 128);

	CHECK_EQ_INT(core_check_thing_name("thingName", "azAZ09:_-", NULL), 0);
	CHECK_EQ_INT(core_check_thing_name("thingName", "a.b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_thing_name("thingName", "a b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_thing_name("thingName", "a/b", NULL), JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_thing_name("thingName", "my.thing", &err)),
	    "1 validation error detected: Value 'my.thing' at 'thingName' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+");

	CHECK_EQ_INT(core_check_namespace_id("namespaceId", "aws-gg-deployment", NULL), 0);
	CHECK_EQ_INT(core_check_namespace_id("namespaceId", "a:b", NULL), JD_EINVAL); /* D2 */
	CHECK_EQ_INT(core_check_template_id("jobTemplateId", "tmpl_1-A", NULL), 0);
	CHECK_EQ_INT(core_check_template_id("jobTemplateId", "tmpl:1", NULL), JD_EINVAL);

	CHECK_EQ_INT(core_check_details_key("statusDetails", "progress:pct_1-a", NULL), 0);
	CHECK_EQ_INT(core_check_details_key("statusDetails", "pct done", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_details_key("statusDetails", "", NULL), JD_EINVAL);
}

TEST(text_limits)
{
	CHECK_EQ_INT(core_check_text("description", "", 1, 2028, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_text("description", "", 0, 2028, NULL), 0);
	CHECK_EQ_INT(core_check_text("description", "x", 1, 2028, NULL), 0);
	CHECK_EQ_INT(core_check_text("description", rep("x", 2028), 1, 2028, NULL), 0);
	CHECK_EQ_INT(core_check_text("description", rep("x", 2029), 1, 2028, NULL), JD_EINVAL);
	/* code points, not bytes */
	CHECK_EQ_INT(core_check_text("description", rep("\xc3\xa9", 2028), 1, 2028, NULL), 0);
	CHECK_EQ_INT(core_check_text("description", rep("\xc3\xa9", 2029), 1, 2028, NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_text("comment", rep("\xe2\x82\xac", 5), 5, 5, NULL), 0);
	CHECK_EQ_INT(core_check_text("comment", rep("\xe2\x82\xac", 4), 5, 5, NULL), JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_text("comment", "abc", 0, 2, &err)),
	    "1 validation error detected: Value 'abc' at 'comment' failed to satisfy constraint: "
	    "Member must have length less than or equal to 2");
	CHECK_EQ_STR(MSG(core_check_text("comment", "a\tb", 1, 2028, &err)),
	    "1 validation error detected: Value 'a?b' at 'comment' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: [^\\p{C}]+");
}

/* A text validator accepts exactly the code points outside \p{C}. */
TEST(text_other_chars)
{
	static const char *const good[] = {
	    " ",
	    "~",
	    "plain ascii",
	    "\xc2\xa0" /* U+00A0 NBSP (Zs) */,
	    "\xc2\xa1" /* U+00A1 */,
	    "\xc3\xa9t\xc3\xa9",
	    "\xe6\x97\xa5\xe6\x9c\xac" /* CJK */,
	    "\xe2\x80\xa8" /* U+2028 (Zl, not C) */,
	    "\xef\xbf\xbd" /* U+FFFD */,
	    "\xef\xbf\xbc" /* U+FFFC */,
	    "\xf0\x9f\x98\x80" /* U+1F600 */,
	    "\xe2\x81\xa5" /* U+2065 unassigned: accepted, see validate.c */,
	    "\xed\x9f\xbf" /* U+D7FF */,
	    "\xef\xa4\x80" /* U+F900 just past private use */,
	    "\xef\xb7\x8f" /* U+FDCF */,
	    "\xef\xb7\xb0" /* U+FDF0 */,
	    "\xf3\xa0\x80\x80" /* U+E0000 (unassigned) */,
	    "\xf3\xa0\x82\x80" /* U+E0080 */,
	    "\xf3\xaf\xbf\xbd" /* U+EFFFD */,
	};
	static const char *const bad[] = {
	    "\x01",
	    "a\nb",
	    "\t",
	    "\x1f",
	    "\x7f",
	    "\xc2\x80" /* U+0080 */,
	    "\xc2\x85" /* NEL */,
	    "\xc2\x9f" /* U+009F */,
	    "\xc2\xad" /* U+00AD soft hyphen */,
	    "\xd8\x80" /* U+0600 */,
	    "\xd8\x85" /* U+0605 */,
	    "\xd8\x9c" /* U+061C */,
	    "\xdb\x9d" /* U+06DD */,
	    "\xdc\x8f" /* U+070F */,
	    "\xe1\xa0\x8e" /* U+180E */,
	    "\xe2\x80\x8b" /* U+200B */,
	    "\xe2\x80\x8f" /* U+200F */,
	    "\xe2\x80\xaa" /* U+202A */,
	    "\xe2\x80\xae" /* U+202E */,
	    "\xe2\x81\xa0" /* U+2060 */,
	    "\xe2\x81\xa4" /* U+2064 */,
	    "\xe2\x81\xa6" /* U+2066 */,
	    "\xe2\x81\xaf" /* U+206F */,
	    "\xef\xbb\xbf" /* U+FEFF */,
	    "\xef\xbf\xb9" /* U+FFF9 */,
	    "\xef\xbf\xbb" /* U+FFFB */,
	    "\xf0\x91\x82\xbd" /* U+110BD */,
	    "\xf0\x9d\x85\xb3" /* U+1D173 */,
	    "\xf0\x9d\x85\xba" /* U+1D17A */,
	    "\xf3\xa0\x80\x81" /* U+E0001 */,
	    "\xf3\xa0\x80\xa0" /* U+E0020 */,
	    "\xf3\xa0\x81\xbf" /* U+E007F */,
	    "\xee\x80\x80" /* U+E000 */,
	    "\xef\xa3\xbf" /* U+F8FF */,
	    "\xf3\xb0\x80\x80" /* U+F0000 */,
	    "\xf4\x8f\xbf\xbd" /* U+10FFFD */,
	    "\xef\xb7\x90" /* U+FDD0 */,
	    "\xef\xb7\xaf" /* U+FDEF */,
	    "\xef\xbf\xbe" /* U+FFFE */,
	    "\xef\xbf\xbf" /* U+FFFF */,
	    "\xf0\x9f\xbf\xbe" /* U+1FFFE */,
	    "\xf0\xaf\xbf\xbf" /* U+2FFFF */,
	    "ok\xe2\x80\x8bok" /* embedded */,
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = core_check_text("comment", good[i], 1, 2028, &err);

		if (rc != 0)
			fprintf(stderr, "good[%zu] rejected\n", i);
		CHECK_EQ_INT(rc, 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = core_check_text("comment", bad[i], 1, 2028, NULL);

		if (rc != JD_EINVAL)
			fprintf(stderr, "bad[%zu] accepted\n", i);
		CHECK_EQ_INT(rc, JD_EINVAL);
	}
}

TEST(utf8_edges)
{
	static const char *const invalid[] = {
	    "\xc0\xaf",                 /* overlong '/' */
	    "\xc1\xbf",                 /* overlong */
	    "\xe0\x80\xaf",             /* overlong 3-byte */
	    "\xe0\x9f\xbf",             /* overlong: U+07FF in 3 bytes */
	    "\xf0\x80\x80\xaf",         /* overlong 4-byte */
	    "\xf0\x8f\xbf\xbf",         /* overlong: U+FFFF in 4 bytes */
	    "\xed\xa0\x80",             /* U+D800 high surrogate */
	    "\xed\xbf\xbf",             /* U+DFFF low surrogate */
	    "\xed\xa0\xbd\xed\xb8\x80", /* CESU-8 pair */
	    "\xf4\x90\x80\x80",         /* U+110000 */
	    "\xf5\x80\x80\x80",         /* lead F5 */
	    "\xf8\x88\x80\x80\x80",     /* 5-byte form */
	    "\xff", "\xfe", "\x80",     /* lone continuation */
	    "a\xbf",                    /* stray continuation */
	    "\xc3",                     /* truncated 2-byte */
	    "\xe2\x82",                 /* truncated 3-byte */
	    "a\xf0\x9f\x98",            /* truncated 4-byte at end */
	    "\xe2\x82\x61",             /* truncated, then ASCII "a" */
	    "\xc3\xc3\xa9",             /* lead where continuation expected */
	};

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		size_t n = strlen(invalid[i]);

		if (core_utf8_valid(invalid[i], n))
			fprintf(stderr, "invalid[%zu] passed as valid\n", i);
		CHECK(!core_utf8_valid(invalid[i], n));
		CHECK_EQ_INT(core_check_text("comment", invalid[i], 1, 2028, NULL), JD_EINVAL);
		CHECK_EQ_INT(core_check_details_value("statusDetails", invalid[i], NULL),
		    JD_EINVAL);
		CHECK_EQ_INT(core_check_tag_key("tagKey", invalid[i], NULL), JD_EINVAL);
		CHECK_EQ_INT(core_check_group_description("description", invalid[i], NULL),
		    JD_EINVAL);
	}

	CHECK(core_utf8_valid("", 0));
	CHECK(core_utf8_valid("\x7f", 1));
	CHECK(core_utf8_valid("\xc2\x80", 2));         /* U+0080, smallest 2-byte */
	CHECK(core_utf8_valid("\xdf\xbf", 2));         /* U+07FF */
	CHECK(core_utf8_valid("\xe0\xa0\x80", 3));     /* U+0800 */
	CHECK(core_utf8_valid("\xed\x9f\xbf", 3));     /* U+D7FF */
	CHECK(core_utf8_valid("\xee\x80\x80", 3));     /* U+E000 */
	CHECK(core_utf8_valid("\xef\xbf\xbf", 3));     /* U+FFFF */
	CHECK(core_utf8_valid("\xf0\x90\x80\x80", 4)); /* U+10000 */
	CHECK(core_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	/* n bounds the read: a valid prefix of a longer buffer */
	CHECK(core_utf8_valid("\xc3\xa9\xff", 2));
	CHECK(!core_utf8_valid("\xc3\xa9", 1));
	/* embedded NUL is valid UTF-8 (U+0000) but \p{C} */
	CHECK(core_utf8_valid("a\0b", 3));

	CHECK_EQ_INT(core_utf8_len("", 0), 0);
	CHECK_EQ_INT(core_utf8_len("abc", 3), 3);
	CHECK_EQ_INT(core_utf8_len("\xc3\xa9t\xc3\xa9", 5), 3);
	CHECK_EQ_INT(core_utf8_len("\xe2\x82\xac\xf0\x9f\x98\x80", 7), 2);
}

TEST(details_value)
{
	check_lengths(core_check_details_value, "v", 1, 1024);
	/* D12: 1024 characters, not bytes */
	CHECK_EQ_INT(core_check_details_value("statusDetails", rep("\xc3\xa9", 1024), NULL), 0);
	CHECK_EQ_INT(core_check_details_value("statusDetails", rep("\xf0\x9f\x98\x80", 1024), NULL),
	    0);
	CHECK_EQ_INT(core_check_details_value("statusDetails", rep("\xc3\xa9", 1025), NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_details_value("statusDetails", "50%", NULL), 0);
	CHECK_EQ_INT(core_check_details_value("statusDetails", "line1\nline2", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_details_value("statusDetails", "\x1b[0m", NULL), JD_EINVAL);
	/* the quoted value: bytes outside printable ASCII as '?', at most 64 bytes
	 * (literals split so no "??'" trigraph forms) */
	CHECK_EQ_STR(MSG(core_check_details_value("statusDetails", rep("\xc3\xa9", 1025), &err)),
	    "1 validation error detected: Value "
	    "'"
	    "????????????????????????????????????????????????????????????????"
	    "' at 'statusDetails' "
	    "failed to satisfy constraint: Member must have length less than or equal to 1024");
	CHECK_EQ_STR(MSG(core_check_details_value("statusDetails", "", &err)),
	    "1 validation error detected: Value '' at 'statusDetails' failed to satisfy constraint: "
	    "Member must have length greater than or equal to 1");
}

TEST(reason_code)
{
	CHECK_EQ_INT(core_check_reason_code("reasonCode", "ABC_123", NULL), 0);
	CHECK_EQ_INT(core_check_reason_code("reasonCode", rep("Z", 128), NULL), 0);
	CHECK_EQ_INT(core_check_reason_code("reasonCode", rep("Z", 129), NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_reason_code("reasonCode", "abc", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_reason_code("reasonCode", "A-B", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_reason_code("reasonCode", "A B", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_reason_code("reasonCode", "\xc3\x89", NULL), JD_EINVAL); /* É */
	/* no declared minimum: "" breaks the pattern's "+" */
	CHECK_EQ_STR(MSG(core_check_reason_code("reasonCode", "", &err)),
	    "1 validation error detected: Value '' at 'reasonCode' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: [\\p{Upper}\\p{Digit}_]+");
}

TEST(thing_attributes)
{
	check_lengths(core_check_attr_name, "a", 1, 128);
	check_lengths(core_check_attr_value, "v", 0, 800);
	CHECK_EQ_INT(core_check_attr_name("attributes", "aZ9_.,@/:#-", NULL), 0);
	CHECK_EQ_INT(core_check_attr_name("attributes", "a=b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_attr_name("attributes", "a[0]", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_attr_name("attributes", "a b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_attr_value("attributes", "", NULL), 0);
	CHECK_EQ_INT(core_check_attr_value("attributes", "aZ9_.,@/:#=[]-", NULL), 0);
	CHECK_EQ_INT(core_check_attr_value("attributes", "a b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_attr_value("attributes", "a{b}", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_attr_value("attributes", "\xc3\xa9", NULL), JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_attr_value("attributes", "x y", &err)),
	    "1 validation error detected: Value 'x y' at 'attributes' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#=\\[\\]-]*");
}

TEST(group_description)
{
	check_lengths(core_check_group_description, "d", 0, 2028);
	CHECK_EQ_INT(core_check_group_description("thingGroupDescription", "", NULL), 0);
	CHECK_EQ_INT(
	    core_check_group_description("thingGroupDescription", " !~ Hello, world ", NULL), 0);
	/* widened past Java's ASCII \p{Graph}: see validate.c */
	CHECK_EQ_INT(core_check_group_description("thingGroupDescription", "caf\xc3\xa9", NULL), 0);
	CHECK_EQ_INT(
	    core_check_group_description("thingGroupDescription", rep("\xc3\xa9", 2028), NULL), 0);
	CHECK_EQ_INT(
	    core_check_group_description("thingGroupDescription", rep("\xc3\xa9", 2029), NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_group_description("thingGroupDescription", "a\tb", NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_group_description("thingGroupDescription", "a\nb", NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_group_description("thingGroupDescription", "\x7f", NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_group_description("thingGroupDescription", "\xe2\x80\x8b", NULL),
	    JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_group_description("thingGroupDescription", "a\tb", &err)),
	    "1 validation error detected: Value 'a?b' at 'thingGroupDescription' failed to satisfy "
	    "constraint: Member must satisfy regular expression pattern: [\\p{Graph}\\x20]*");
}

TEST(tags)
{
	check_lengths(core_check_tag_key, "k", 1, 128);
	check_lengths(core_check_tag_value, "v", 0, 256);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "aZ9 _.:/=+-@", NULL), 0);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "\xc3\xa9t\xc3\xa9", NULL), 0);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "\xe6\x97\xa5\xe6\x9c\xac", NULL), 0);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "\xe2\x80\x83", NULL),
	    0); /* U+2003 (Zs) */
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", rep("\xc3\xa9", 128), NULL), 0);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", rep("\xc3\xa9", 129), NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "a#b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "a*b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "a,b", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "a\tb", NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_tag_key("tags.member.key", "a\xef\xbb\xbf", NULL), JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_tag_key("tags.member.key", "a$", &err)),
	    "1 validation error detected: Value 'a$' at 'tags.member.key' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
	CHECK_EQ_INT(core_check_tag_value("tags.member.value", "", NULL), 0);
	CHECK_EQ_INT(core_check_tag_value("tags.member.value", "any thing, #1!", NULL), 0);
	CHECK_EQ_INT(core_check_tag_value("tags.member.value", rep("\xc3\xa9", 256), NULL), 0);
	CHECK_EQ_INT(core_check_tag_value("tags.member.value", rep("\xc3\xa9", 257), NULL),
	    JD_EINVAL);
	CHECK_EQ_INT(core_check_tag_value("tags.member.value", "a\tb", NULL), JD_EINVAL);
}

TEST(arn)
{
	const char *thing = "arn:aws:iot:us-east-1:123456789012:thing/t1";

	CHECK_EQ_INT(core_check_arn("targets", thing, 1, 2048, NULL), 0);
	CHECK_EQ_INT(core_check_arn("targets", "arn:x", 1, 2048, NULL), 0);
	CHECK_EQ_INT(core_check_arn("targets", "arn:", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "arn", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "ARN:aws", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "xarn:aws", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "arn:aws iot", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "arn:aws\x7f", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "arn:\xc3\xa9", 1, 2048, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("targets", "", 1, 2048, NULL), JD_EINVAL);
	/* caller's bounds */
	CHECK_EQ_INT(core_check_arn("arn", "arn:abcdef", 10, 10, NULL), 0);
	CHECK_EQ_INT(core_check_arn("arn", "arn:abcde", 10, 10, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_arn("arn", "arn:abcdefg", 10, 10, NULL), JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_arn("targets", "thing/t1", 1, 2048, &err)),
	    "1 validation error detected: Value 'thing/t1' at 'targets' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: ^arn:[!-~]+$");
}

TEST(range)
{
	CHECK_EQ_INT(core_check_range("maxResults", 1, 1, 250, NULL), 0);
	CHECK_EQ_INT(core_check_range("maxResults", 250, 1, 250, NULL), 0);
	CHECK_EQ_INT(core_check_range("maxResults", 0, 1, 250, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_range("maxResults", 251, 1, 250, NULL), JD_EINVAL);
	CHECK_EQ_INT(core_check_range("x", INT64_MIN, INT64_MIN, INT64_MAX, NULL), 0);
	CHECK_EQ_STR(MSG(core_check_range("maxResults", 251, 1, 250, &err)),
	    "1 validation error detected: Value '251' at 'maxResults' failed to satisfy constraint: "
	    "Member must have value less than or equal to 250");
	CHECK_EQ_INT(err.code, JD_EINVAL);
	CHECK_EQ_STR(MSG(core_check_range("stepTimeoutInMinutes", -5, 1, 10080, &err)),
	    "1 validation error detected: Value '-5' at 'stepTimeoutInMinutes' failed to satisfy "
	    "constraint: Member must have value greater than or equal to 1");
}

TEST(value_quoting)
{
	/* 70 printable bytes: quoted value cut to 64 */
	CHECK_EQ_STR(MSG(core_check_job_id("jobId",
	                 "0123456789012345678901234567890123456789"
	                 "012345678901234567890123.56789",
	                 &err)),
	    "2 validation errors detected: Value "
	    "'0123456789012345678901234567890123456789012345678901234567890123' at 'jobId' failed to "
	    "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+; "
	    "Value '0123456789012345678901234567890123456789012345678901234567890123' at 'jobId' "
	    "failed to satisfy constraint: Member must have length less than or equal to 64");
	/* controls, DEL and high bytes become '?' byte by byte */
	CHECK_EQ_STR(MSG(core_check_thing_name("thingName", "a\x01\x7f\xc3\xa9z", &err)),
	    "1 validation error detected: Value 'a????z' at 'thingName' failed to satisfy constraint: "
	    "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+");
	/* the message always fits JD_ERROR_MSG_MAX and stays terminated */
	jd_error_init(&err);
	CHECK_EQ_INT(core_check_job_id(rep("m", 600), rep("\x01", 100), &err), JD_EINVAL);
	CHECK(strlen(err.msg) < JD_ERROR_MSG_MAX);
}

TEST(parse_u63)
{
	static const char *const bad[] = {"9223372036854775808", "-1", "", "abc", "1e3", " 1", "+1",
	    "1 ", "0x10", "18446744073709551616", "99999999999999999999", "1.0", "-0", "١"};
	int64_t v;

	v = -1;
	CHECK_EQ_INT(core_parse_u63("0", &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(core_parse_u63("1", &v), 0);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(core_parse_u63("42", &v), 0);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(core_parse_u63("007", &v), 0);
	CHECK_EQ_INT(v, 7);
	CHECK_EQ_INT(core_parse_u63("9223372036854775807", &v), 0);
	CHECK_EQ_INT(v, INT64_MAX);
	CHECK_EQ_INT(core_parse_u63("9223372036854775806", &v), 0);
	CHECK_EQ_INT(v, INT64_MAX - 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (core_parse_u63(bad[i], &v) != -1)
			fprintf(stderr, "core_parse_u63 accepted \"%s\"\n", bad[i]);
		CHECK_EQ_INT(core_parse_u63(bad[i], &v), -1);
		CHECK_EQ_INT(v, 12345); /* untouched on failure */
	}
	CHECK_EQ_INT(core_parse_u63(NULL, &v), -1);
}

TEST(parse_i64)
{
	static const char *const bad[] = {"9223372036854775808", "-9223372036854775809", "", "-",
	    "--1", "+1", " 1", "1 ", "1e3", "abc", "- 1", "0x1"};
	int64_t v;

	CHECK_EQ_INT(core_parse_i64("0", &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(core_parse_i64("-0", &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(core_parse_i64("-1", &v), 0);
	CHECK_EQ_INT(v, -1);
	CHECK_EQ_INT(core_parse_i64("10080", &v), 0);
	CHECK_EQ_INT(v, 10080);
	CHECK_EQ_INT(core_parse_i64("9223372036854775807", &v), 0);
	CHECK_EQ_INT(v, INT64_MAX);
	CHECK_EQ_INT(core_parse_i64("-9223372036854775808", &v), 0);
	CHECK_EQ_INT(v, INT64_MIN);
	CHECK_EQ_INT(core_parse_i64("-9223372036854775807", &v), 0);
	CHECK_EQ_INT(v, -INT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (core_parse_i64(bad[i], &v) != -1)
			fprintf(stderr, "core_parse_i64 accepted \"%s\"\n", bad[i]);
		CHECK_EQ_INT(core_parse_i64(bad[i], &v), -1);
	}
	CHECK_EQ_INT(core_parse_i64(NULL, &v), -1);
}

TEST(parse_bool)
{
	bool b = false;

	CHECK_EQ_INT(core_parse_bool("true", &b), 0);
	CHECK(b);
	CHECK_EQ_INT(core_parse_bool("false", &b), 0);
	CHECK(!b);
	CHECK_EQ_INT(core_parse_bool("TRUE", &b), -1);
	CHECK_EQ_INT(core_parse_bool("True", &b), -1);
	CHECK_EQ_INT(core_parse_bool("1", &b), -1);
	CHECK_EQ_INT(core_parse_bool("0", &b), -1);
	CHECK_EQ_INT(core_parse_bool("", &b), -1);
	CHECK_EQ_INT(core_parse_bool("true ", &b), -1);
	CHECK_EQ_INT(core_parse_bool("yes", &b), -1);
	CHECK_EQ_INT(core_parse_bool(NULL, &b), -1);
	CHECK(!b);
}

int
main(void)
{
	RUN(job_id);
	RUN(ids_and_names);
	RUN(text_limits);
	RUN(text_other_chars);
	RUN(utf8_edges);
	RUN(details_value);
	RUN(reason_code);
	RUN(thing_attributes);
	RUN(group_description);
	RUN(tags);
	RUN(arn);
	RUN(range);
	RUN(value_quoting);
	RUN(parse_u63);
	RUN(parse_i64);
	RUN(parse_bool);
	return test_report();
}
