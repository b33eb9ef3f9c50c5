/*
 * test_throttle.c: the per-operation token buckets (D19): presets, overrides,
 * the GCRA arithmetic with time as an input, shared data-plane buckets, the
 * bucket table against the route table, and concurrent takers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "auth/auth_int.h"
#include "test.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1000) * SEC)

static struct auth_throttle *
make(const char *preset, const char *rates)
{
	struct auth_throttle *t = NULL;
	struct jd_error e;

	jd_error_init(&e);
	if (auth_throttle_create(preset, rates, &t, &e) != 0) {
		fprintf(stderr, "throttle: %s\n", e.msg);
		abort();
	}
	return t;
}

TEST(presets)
{
	struct auth_throttle *t = make("off", NULL);

	CHECK(t == NULL); /* nothing limited */
	CHECK_EQ_INT(auth_throttle_take(NULL, JD_PLANE_CONTROL, "CreateJob"), 0);
	t = make("aws", "");
	CHECK(t != NULL);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "CreateJob") == 10);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "DescribeThing") == 350);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "AddThingToThingGroup") == 60);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "DescribeJobExecution") == 10);
	CHECK(auth__throttle_rate(t, JD_PLANE_DATA, "DescribeJobExecution") == 200);
	CHECK(auth__throttle_rate(t, JD_PLANE_DATA, "UpdateJobExecution") == 200);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "UpdateJobExecution") == -1);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "DataPlaneRead") == -1);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "Reset") == -1);
	/* unknown operations are never throttled */
	CHECK_EQ_INT(auth_throttle_take(t, JD_PLANE_CONTROL, "Reset"), 0);
	auth_throttle_destroy(t);
	auth_throttle_destroy(NULL);
}

TEST(overrides)
{
	struct auth_throttle *t =
	    make("aws", " CreateJob = 2.5 ,DataPlaneWrite=1,DescribeThing=0,");
	struct jd_error e;
	static const char *const bad[] = {"Nope=1", "CreateJob", "CreateJob=x", "CreateJob=-1",
	    "CreateJob=1e9", "UpdateJobExecution=1"};

	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "CreateJob") == 2.5);
	CHECK(auth__throttle_rate(t, JD_PLANE_DATA, "StartNextPendingJobExecution") == 1);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "DescribeThing") == 0);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "ListJobs") == 10);
	auth_throttle_destroy(t);

	t = make("off", "ListThings=3");
	CHECK(t != NULL);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "ListThings") == 3);
	CHECK(auth__throttle_rate(t, JD_PLANE_CONTROL, "CreateJob") == 0);
	auth_throttle_destroy(t);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jd_error_init(&e);
		t = (struct auth_throttle *)&e; /* must be reset to NULL */
		CHECK_EQ_INT(auth_throttle_create("aws", bad[i], &t, &e), JD_EINVAL);
		CHECK(t == NULL);
	}
	jd_error_init(&e);
	CHECK_EQ_INT(auth_throttle_create("fast", NULL, &t, &e), JD_EINVAL);
}

TEST(bucket_arithmetic)
{
	struct auth_throttle *t = make("off", "CreateJob=2,DescribeJob=0.5");

	/* burst 2, then one every 0.5 s */
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0), JD_ETHROTTLED);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0 + SEC / 2 - 1),
	    JD_ETHROTTLED);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0 + SEC / 2), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0 + SEC / 2),
	    JD_ETHROTTLED);
	/* a long pause refills only up to the burst */
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0 + 60 * SEC), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0 + 60 * SEC), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "CreateJob", T0 + 60 * SEC),
	    JD_ETHROTTLED);
	/* buckets are independent */
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "ListJobs", T0), 0);
	/* below 1 TPS: burst 1, one every 2 s */
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "DescribeJob", T0), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "DescribeJob", T0 + SEC),
	    JD_ETHROTTLED);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "DescribeJob", T0 + 2 * SEC), 0);
	auth_throttle_destroy(t);
}

TEST(shared_data_buckets)
{
	struct auth_throttle *t = make("off", "DataPlaneRead=2,DataPlaneWrite=1");

	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_DATA, "GetPendingJobExecutions", T0), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_DATA, "DescribeJobExecution", T0), 0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_DATA, "GetPendingJobExecutions", T0),
	    JD_ETHROTTLED);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_DATA, "StartNextPendingJobExecution", T0),
	    0);
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_DATA, "UpdateJobExecution", T0),
	    JD_ETHROTTLED);
	/* the control-plane DescribeJobExecution has its own (unlimited) bucket */
	CHECK_EQ_INT(auth__throttle_take_at(t, JD_PLANE_CONTROL, "DescribeJobExecution", T0), 0);
	auth_throttle_destroy(t);
}

/* Every operation of the route table has a bucket: the names cannot drift. */
TEST(every_route_has_a_bucket)
{
	for (int i = 0; i < api_nroutes; i++) {
		const struct api_route *rt = &api_routes[i];
		if (rt->rig)
			continue;
		if (auth__throttle_bucket((enum jd_plane)rt->plane, rt->name) == NULL) {
			fprintf(stderr, "  no bucket for %s (plane %d)\n", rt->name, rt->plane);
			CHECK(!"route without a throttle bucket");
		}
	}
}

struct racer {
	struct auth_throttle *t;
	int granted;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 10000; i++)
		if (auth__throttle_take_at(r->t, JD_PLANE_CONTROL, "CreateJob", T0) == 0)
			r->granted++;
	return NULL;
}

TEST(concurrent_takers)
{
	struct auth_throttle *t = make("off", "CreateJob=100");
	struct racer r[4];
	pthread_t th[4];
	int total = 0;

	for (int i = 0; i < 4; i++) {
		r[i].t = t;
		r[i].granted = 0;
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += r[i].granted;
	}
	CHECK_EQ_INT(total, 100); /* exactly the burst at one instant */
	auth_throttle_destroy(t);
}

int
main(void)
{
	RUN(presets);
	RUN(overrides);
	RUN(bucket_arithmetic);
	RUN(shared_data_buckets);
	RUN(every_route_has_a_bucket);
	RUN(concurrent_takers);
	return test_report();
}
