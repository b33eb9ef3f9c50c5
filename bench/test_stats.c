/* test_stats.c: nearest-rank percentiles and the result line formats. */
#include "bench_stats.h"

#include "bench_test.h"

static void
fill(struct bench_lat *l, uint64_t from, uint64_t to)
{
	for (uint64_t v = from; v <= to; v++)
		bench_lat_add(l, v);
}

static void
test_empty_and_single(void)
{
	struct bench_lat l;

	bench_lat_init(&l);
	bench_lat_sort(&l);
	CHECK_INT(bench_lat_pct(&l, 50), 0);
	CHECK_INT(bench_lat_pct(&l, 100), 0);
	bench_lat_add(&l, 7);
	CHECK_INT(bench_lat_pct(&l, 0), 7);
	CHECK_INT(bench_lat_pct(&l, 50), 7);
	CHECK_INT(bench_lat_pct(&l, 99), 7);
	CHECK_INT(bench_lat_pct(&l, 100), 7);
	bench_lat_free(&l);
	bench_lat_free(&l);
	bench_lat_free(NULL);
}

static void
test_nearest_rank(void)
{
	struct bench_lat l;

	bench_lat_init(&l);
	fill(&l, 1, 100);
	CHECK_INT(bench_lat_pct(&l, 50), 50);
	CHECK_INT(bench_lat_pct(&l, 99), 99);
	CHECK_INT(bench_lat_pct(&l, 99.5), 100);
	CHECK_INT(bench_lat_pct(&l, 100), 100);
	CHECK_INT(bench_lat_pct(&l, 1), 1);
	CHECK_INT(bench_lat_pct(&l, 0.5), 1);
	bench_lat_free(&l);

	fill(&l, 1, 10);
	CHECK_INT(bench_lat_pct(&l, 50), 5);
	CHECK_INT(bench_lat_pct(&l, 99), 10);
	CHECK_INT(bench_lat_pct(&l, 90), 9);
	bench_lat_free(&l);

	fill(&l, 1, 1000);
	CHECK_INT(bench_lat_pct(&l, 99), 990);
	CHECK_INT(bench_lat_pct(&l, 50), 500);
	bench_lat_free(&l);

	/* Two samples: the median is the lower one. */
	fill(&l, 3, 4);
	CHECK_INT(bench_lat_pct(&l, 50), 3);
	CHECK_INT(bench_lat_pct(&l, 51), 4);
	bench_lat_free(&l);
}

static void
test_sort_and_merge(void)
{
	struct bench_lat a, b;
	uint64_t vals[] = {900, 5, 300, 5, 1, 70000, 2};

	bench_lat_init(&a);
	bench_lat_init(&b);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		bench_lat_add(i % 2 ? &a : &b, vals[i]);
	/* Grow past the first allocation. */
	for (int i = 0; i < 5000; i++)
		bench_lat_add(&b, 100);
	bench_lat_merge(&a, &b);
	CHECK_INT(a.n, 5007);
	bench_lat_sort(&a);
	CHECK_INT(a.ns[0], 1);
	CHECK_INT(a.ns[1], 2);
	CHECK_INT(bench_lat_pct(&a, 100), 70000);
	CHECK_INT(bench_lat_pct(&a, 50), 100);
	for (size_t i = 1; i < a.n; i++)
		if (a.ns[i - 1] > a.ns[i]) {
			CHECK(!"not sorted");
			break;
		}
	bench_lat_free(&a);
	bench_lat_free(&b);
}

static void
test_format(void)
{
	struct bench_lat l;
	struct bench_result r;
	char buf[512];

	bench_lat_init(&l);
	fill(&l, 1, 100);
	for (size_t i = 0; i < l.n; i++)
		l.ns[i] *= 1000000; /* 1..100 ms */
	memset(&r, 0, sizeof(r));
	r.op = "DescribeJobExecution";
	r.requests = 100;
	r.errors = 2;
	r.seconds = 0.5;
	bench_result_fill(&r, &l);
	CHECK_INT(bench_result_format(&r, 0, buf, sizeof(buf)), (long long)strlen(buf));
	CHECK_STR(buf,
	    "op=DescribeJobExecution requests=100 seconds=0.500 rps=200.0 "
	    "p50_ms=50.000 p99_ms=99.000 max_ms=100.000 errors=2\n");
	bench_result_format(&r, 1, buf, sizeof(buf));
	CHECK_STR(buf,
	    "{\"op\":\"DescribeJobExecution\",\"requests\":100,\"seconds\":0.500,"
	    "\"rps\":200.0,\"p50_ms\":50.000,\"p99_ms\":99.000,\"max_ms\":100.000,"
	    "\"errors\":2}\n");
	r.op = "a\"b\\c";
	r.seconds = 0;
	bench_result_format(&r, 1, buf, sizeof(buf));
	CHECK(strstr(buf, "\"op\":\"a\\\"b\\\\c\"") != NULL);
	CHECK(strstr(buf, "\"rps\":0.0") != NULL);
	CHECK_INT(bench_result_format(&r, 0, buf, 10), -1);
	bench_lat_free(&l);
}

int
main(void)
{
	test_empty_and_single();
	test_nearest_rank();
	test_sort_and_merge();
	test_format();
	return test_summary();
}
