/*
 * test_token.c: page tokens (api/token.c). The tokens below were made by
 * the first implementation (in svc/) under the same key: clients hold such
 * tokens between pages, so the format must not change.
 */
#include <string.h>

#include "api/api_int.h"
#include "test.h"

static struct svc svc_a, svc_b;

#define TOKEN_E "0a0c621ab8d25b30fc81fbe46534327c7468696e672d31" /* e, 42, "thing-1" */
#define TOKEN_J "bb336f4d35831d81fe8db3606a377c"                 /* j, 7, "" */
#define INVALID "The specified nextToken is invalid or expired."

static void
keys(void)
{
	for (size_t i = 0; i < sizeof(svc_a.token_key); i++) {
		svc_a.token_key[i] = (unsigned char)(i * 7 + 1);
		svc_b.token_key[i] = (unsigned char)(i * 7 + 2);
	}
}

TEST(make_is_stable)
{
	struct api_cursor c = {.kind = API_CURSOR_JOB_EXECS, .key = "thing-1", .num = 42};
	struct api_cursor d = {.kind = API_CURSOR_JOBS, .num = 7};
	char token[API_TOKEN_SIZE];

	api_token_make(&svc_a, &c, token, sizeof(token));
	CHECK_EQ_STR(token, TOKEN_E);
	api_token_make(&svc_a, &d, token, sizeof(token));
	CHECK_EQ_STR(token, TOKEN_J);
	/* too small a buffer: empty, never cut */
	api_token_make(&svc_a, &c, token, strlen(TOKEN_E));
	CHECK_EQ_STR(token, "");
}

TEST(parse_round_trip)
{
	struct api_cursor c;
	struct jd_error e;

	jd_error_init(&e);
	CHECK_EQ_INT(api_token_parse(&svc_a, API_CURSOR_JOB_EXECS, TOKEN_E, &c, &e), 0);
	CHECK_EQ_INT(c.kind, API_CURSOR_JOB_EXECS);
	CHECK_EQ_STR(c.key, "thing-1");
	CHECK_EQ_INT(c.num, 42);
	CHECK_EQ_INT(api_token_parse(&svc_a, API_CURSOR_JOBS, TOKEN_J, &c, &e), 0);
	CHECK_EQ_STR(c.key, "");
	CHECK_EQ_INT(c.num, 7);
	jd_error_clear(&e);
}

TEST(parse_refuses)
{
	static const char *const bad[] = {
	    "", "zz", "0a0c621ab8d25b30fc81fbe46534327c7468696e672d3", /* odd length */
	    "1a0c621ab8d25b30fc81fbe46534327c7468696e672d31",          /* mac changed */
	    "0a0c621ab8d25b30fc81fbe46534327c7468696e672d32",          /* payload changed */
	    "0A0C621AB8D25B30FC81FBE46534327C7468696E672D31",          /* not lowercase */
	};
	struct api_cursor c;
	struct jd_error e;

	jd_error_init(&e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(api_token_parse(&svc_a, API_CURSOR_JOB_EXECS, bad[i], &c, &e),
		    JD_EINVAL);
		CHECK_EQ_STR(e.msg, INVALID);
	}
	/* of another list, or under another key */
	CHECK_EQ_INT(api_token_parse(&svc_a, API_CURSOR_THING_EXECS, TOKEN_E, &c, &e), JD_EINVAL);
	CHECK_EQ_INT(api_token_parse(&svc_b, API_CURSOR_JOB_EXECS, TOKEN_E, &c, NULL), JD_EINVAL);
	jd_error_clear(&e);
}

int
main(void)
{
	keys();
	RUN(make_is_stable);
	RUN(parse_round_trip);
	RUN(parse_refuses);
	return test_report();
}
