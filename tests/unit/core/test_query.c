/*
 * test_query.c: the fleet-indexing query language (core/query.h): what
 * parses, what is refused with InvalidQueryException, and what matches a
 * thing (fields, wildcards, ranges, comparisons, boolean operators).
 */
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "test.h"

static const char *keys[] = {"ring", "fw", "model", "serial"};
static const char *vals[] = {"canary", "2", "X2", "abc-001"};
static const char *groups[] = {"fleet-a", "Canaries"};

static struct core_query_thing
thing(void)
{
	struct core_query_thing t = {
	    .name = "dev-42",
	    .id = "0b7c",
	    .type_name = "sensor",
	    .attr_keys = keys,
	    .attr_vals = vals,
	    .n_attrs = 4,
	    .groups = groups,
	    .n_groups = 2,
	};
	return t;
}

/* 1 match, 0 no match, -1 refused. */
static int
eval(const char *text)
{
	struct core_query_thing t = thing();
	struct core_query *q = NULL;
	struct jd_error e = {0};
	int rc = core_query_compile(text, &q, &e);

	if (rc != 0) {
		if (rc != JD_EQUERY || e.code != JD_EQUERY || e.msg[0] == '\0')
			return -2;
		return -1;
	}
	rc = core_query_match(q, &t) ? 1 : 0;
	core_query_free(q);
	return rc;
}

#define MATCH(text) CHECK_EQ_INT(eval(text), 1)
#define NO_MATCH(text) CHECK_EQ_INT(eval(text), 0)
#define REFUSED(text) CHECK_EQ_INT(eval(text), -1)

TEST(fields)
{
	MATCH("thingName:dev-42");
	NO_MATCH("thingName:dev-43");
	MATCH("thingId:0b7c");
	MATCH("thingTypeName:sensor");
	MATCH("thingGroupNames:fleet-a");
	MATCH("thingGroupNames:canaries"); /* values are case-insensitive */
	MATCH("attributes.ring:canary");
	MATCH("attributes.ring:CANARY");
	NO_MATCH("attributes.ring:prod");
	NO_MATCH("attributes.nope:canary");
	MATCH("attributes.ring:*"); /* has the field */
	NO_MATCH("attributes.nope:*");
	MATCH("canary"); /* no field: any registry field */
	MATCH("fleet-a");
	NO_MATCH("prod");
	MATCH("thingName:\"dev-42\"");
	NO_MATCH("thingName:\"dev-*\""); /* quoted: literal */
}

TEST(wildcards)
{
	MATCH("thingName:dev-*");
	MATCH("thingName:dev-4?");
	NO_MATCH("thingName:dev-?");
	MATCH("thingName:d*4*");
	MATCH("thingName:*42"); /* one leading wildcard is allowed */
	MATCH("attributes.serial:abc*");
	MATCH("thingName:dev\\-42");
	NO_MATCH("thingName:dev-4\\*");
	REFUSED("thingName:*42 AND attributes.ring:*nary"); /* two leading wildcards */
}

TEST(ranges_and_comparisons)
{
	MATCH("attributes.fw < 3");
	MATCH("attributes.fw<3");
	MATCH("attributes.fw <= 2");
	NO_MATCH("attributes.fw < 2");
	MATCH("attributes.fw > 1.5");
	MATCH("attributes.fw >= 2");
	NO_MATCH("attributes.fw > 2");
	MATCH("attributes.fw:[1 TO 3]");
	MATCH("attributes.fw:[2 TO 2]");
	NO_MATCH("attributes.fw:{2 TO 3]");
	MATCH("attributes.fw:[* TO 2]");
	MATCH("attributes.fw:[-1e3 TO *}");
	NO_MATCH("attributes.ring < 3");      /* a number bound matches numbers only */
	MATCH("attributes.model:[x1 TO x3]"); /* strings, case-insensitive */
	MATCH("attributes.serial:[\"abc\" TO \"abd\"]");
	NO_MATCH("attributes.fw:[10 TO 20]"); /* numeric, not "2" > "10" */
	NO_MATCH("attributes.nope < 3");
}

TEST(booleans)
{
	MATCH("attributes.ring:canary AND attributes.fw < 3");
	NO_MATCH("attributes.ring:canary AND attributes.fw < 2");
	MATCH("attributes.ring:prod OR attributes.fw < 3");
	MATCH("attributes.ring:canary attributes.fw:2"); /* AND is the default */
	NO_MATCH("attributes.ring:canary attributes.fw:3");
	MATCH("NOT attributes.ring:prod");
	NO_MATCH("NOT attributes.ring:canary");
	MATCH("-attributes.ring:prod");
	MATCH("(attributes.ring:prod OR thingName:dev-42) AND thingTypeName:sensor");
	NO_MATCH("attributes.ring:prod OR thingName:x AND thingTypeName:sensor");
	MATCH("thingName:(dev-1 OR dev-4*)"); /* field grouping */
	MATCH("thingName:(dev* AND -plasma)");
	NO_MATCH("thingName:(dev-1 OR dev-2)");
	MATCH("thingName:AND"
	      " OR thingName:dev-42"); /* a keyword as a value */
}

TEST(refused)
{
	REFUSED("");
	REFUSED("   ");
	REFUSED("attributes.fw <");
	REFUSED("attributes.fw:");
	REFUSED("attributes.fw:[1 TO");
	REFUSED("attributes.fw:[1 3]");
	REFUSED("attributes.fw:[a* TO b]");
	REFUSED("(thingName:a");
	REFUSED("thingName:a)");
	REFUSED("AND thingName:a");
	REFUSED("thingName:a AND");
	REFUSED("thingName:a OR OR thingName:b");
	REFUSED("NOT");
	REFUSED("shadow.reported.x:1"); /* not in the registry index */
	REFUSED("connectivity.connected:true");
	REFUSED("attributes.:x");
	REFUSED("thingName:\"abc");
	REFUSED("thingName:a\\");
	REFUSED("thingName:a\x01");
}

TEST(limits)
{
	char *big = malloc(CORE_QUERY_LEN_MAX + 2), *deep = malloc(200);
	size_t n = 0;

	memset(big, 'a', CORE_QUERY_LEN_MAX + 1);
	big[CORE_QUERY_LEN_MAX + 1] = '\0';
	REFUSED(big);
	memcpy(big, "thingName:", 10);
	big[CORE_QUERY_LEN_MAX] = '\0';
	NO_MATCH(big); /* the longest query allowed */
	/* nesting */
	for (int i = 0; i < 40; i++)
		deep[n++] = '(';
	memcpy(deep + n, "thingName:x", 11);
	n += 11;
	for (int i = 0; i < 40; i++)
		deep[n++] = ')';
	deep[n] = '\0';
	REFUSED(deep);
	/* too many terms */
	{
		char *many = malloc(20 * 300);
		size_t m = 0;
		for (int i = 0; i < 300; i++)
			m += (size_t)sprintf(many + m, "%sx%d", i ? " " : "", i);
		REFUSED(many);
		free(many);
	}
	/* a leading wildcard keeps the query under 100 characters */
	memset(big, 'b', 150);
	memcpy(big, "thingName:*", 11);
	big[150] = '\0';
	REFUSED(big);
	free(big);
	free(deep);
}

/* fuzz_query found it: an unknown field name with bytes over 0x7e went into
 * the message as they were (the message must be printable ASCII). */
TEST(unknown_field_non_ascii_message)
{
	struct core_query *q = NULL;
	struct jd_error e = {0};

	CHECK_EQ_INT(core_query_compile("at\xff\xfftributes.fw:[1 TO", &q, &e), JD_EQUERY);
	CHECK(q == NULL);
	for (const char *c = e.msg; *c != '\0'; c++)
		CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c <= 0x7e);
	CHECK(strstr(e.msg, "at??tributes.fw") != NULL);
}

int
main(void)
{
	RUN(fields);
	RUN(wildcards);
	RUN(ranges_and_comparisons);
	RUN(booleans);
	RUN(refused);
	RUN(limits);
	RUN(unknown_field_non_ascii_message);
	return test_report();
}
