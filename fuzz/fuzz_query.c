/*
 * fuzz_query.c: the fleet-indexing query parser and evaluator (core/query.h)
 * on arbitrary text.
 *
 * Invariants:
 *   - compile either succeeds, or fails with JD_EQUERY and a non-empty,
 *     printable-ASCII message (it goes into an InvalidQueryException);
 *   - a compiled query evaluates against a fixed thing without crashing,
 *     the same answer twice (the tree is immutable), and NOT(q) answers the
 *     opposite of q (checked by compiling "NOT (q)" when q fits the bounds);
 *   - text over CORE_QUERY_LEN_MAX is always refused.
 */
#include "core/query.h"
#include "fuzz.h"

static const char *keys[] = {"ring", "fw", "a.b"};
static const char *vals[] = {"canary", "2.5", "x:y"};
static const char *groups[] = {"g1", "G2"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_query_thing t = {"dev-1", "id-1", "sensor", keys, vals, 3, groups, 2};
	struct core_query *q = NULL, *nq = NULL;
	struct jd_error e = {0};
	char *s;
	int rc;

	if (size > CORE_QUERY_LEN_MAX + 16)
		return 0;
	s = fuzz_cstr(data, size);
	rc = core_query_compile(s, &q, &e);
	if (strlen(s) > CORE_QUERY_LEN_MAX)
		FUZZ_CHECK(rc == JD_EQUERY);
	if (rc != 0) {
		FUZZ_CHECK(rc == JD_EQUERY && e.code == JD_EQUERY && q == NULL);
		FUZZ_CHECK(e.msg[0] != '\0' && fuzz_printable(e.msg));
	} else {
		bool m = core_query_match(q, &t);
		FUZZ_CHECK(core_query_match(q, &t) == m);
		if (strlen(s) + 7 <= CORE_QUERY_LEN_MAX) {
			char *neg = malloc(strlen(s) + 8);
			sprintf(neg, "NOT (%s)", s);
			if (core_query_compile(neg, &nq, NULL) == 0)
				FUZZ_CHECK(core_query_match(nq, &t) == !m);
			core_query_free(nq);
			free(neg);
		}
	}
	core_query_free(q);
	free(s);
	return 0;
}
