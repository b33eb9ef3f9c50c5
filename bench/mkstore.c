/*
 * mkstore.c: write a large deployment straight into a store, for the
 * copy-store benchmark (bench/copy-store.sh): THINGS things in one group,
 * JOBS snapshot jobs over all of them (THINGS x JOBS executions), with a
 * mix of statuses as devices would leave them (a tenth SUCCEEDED with
 * status details, a twentieth IN_PROGRESS, the rest QUEUED). It uses the
 * store interface only, in one write transaction, the way jobsd's own
 * fan-out writes (exec_insert_first), so it takes seconds where the API
 * would take minutes.
 *
 *   mkstore SPEC THINGS JOBS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "util/buf.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fill(struct store_tx *tx, long things, long jobs)
{
	static const char arn_prefix[] = "arn:aws:iot:us-east-1:123456789012:thinggroup/";
	struct jd_group g = {.version = 1};
	struct jd_exec *xs[3];
	size_t nx[3];
	int64_t t = now_ms();
	int rc;

	jd_strlcpy(g.name, "fleet", sizeof(g.name));
	jd_strlcpy(g.id, "00000000-0000-4000-8000-000000000001", sizeof(g.id));
	g.created_ms = t;
	if ((rc = store_group_insert(tx, &g)) != 0)
		return rc;
	for (long i = 0; i < things; i++) {
		struct jd_thing th = {.version = 1, .created_ms = t};

		snprintf(th.name, sizeof(th.name), "dev-%07ld", i);
		snprintf(th.id, sizeof(th.id), "00000000-0000-4000-8000-%012ld",
		    i % 1000000000000L);
		th.attributes = (char *)"{\"site\":\"plant-1\"}";
		if ((rc = store_thing_insert(tx, &th)) != 0 ||
		    (rc = store_member_add(tx, "fleet", th.name)) != 0)
			return rc;
	}
	for (int s = 0; s < 3; s++)
		xs[s] = calloc((size_t)things, sizeof(struct jd_exec));
	for (long j = 0; j < jobs; j++) {
		char targets[128];
		struct jd_job job = {.status = JD_JOB_IN_PROGRESS, .selection = JD_SEL_SNAPSHOT};

		snprintf(job.job_id, sizeof(job.job_id), "job-%03ld", j);
		snprintf(targets, sizeof(targets), "[\"%sfleet\"]", arn_prefix);
		job.document = (char *)"{\"op\":\"update\",\"url\":\"https://example.com/fw.bin\"}";
		job.targets = targets;
		job.config = (char *)"{}";
		job.created_ms = job.updated_ms = t + j;
		if ((rc = store_job_insert(tx, &job)) != 0)
			return rc;
		memset(nx, 0, sizeof(nx));
		for (long i = 0; i < things; i++) {
			int s = i % 10 == 0 ? 2 : i % 20 == 1 ? 1 : 0;
			struct jd_exec *x = &xs[s][nx[s]++];

			memset(x, 0, sizeof(*x));
			jd_strlcpy(x->job_id, job.job_id, sizeof(x->job_id));
			snprintf(x->thing_name, sizeof(x->thing_name), "dev-%07ld", i);
			x->number = 1;
			x->status = s == 2 ? JD_EXEC_SUCCEEDED :
			    s == 1         ? JD_EXEC_IN_PROGRESS :
			                     JD_EXEC_QUEUED;
			x->queued_ms = t + j;
			x->started_ms = s > 0 ? t + j + 1 : 0;
			x->updated_ms = t + j + (s > 0 ? 2 : 0);
			x->version = s == 2 ? 3 : s == 1 ? 2 : 1;
			x->details = s == 2 ? (char *)"{\"result\":\"ok\"}" : NULL;
		}
		for (int s = 0; s < 3; s++)
			if (nx[s] > 0 && (rc = store_exec_insert_first(tx, xs[s], nx[s])) != 0)
				return rc;
	}
	for (int s = 0; s < 3; s++)
		free(xs[s]);
	return 0;
}

int
main(int argc, char **argv)
{
	struct store *s = NULL;
	struct store_tx *tx = NULL;
	struct jd_error e;
	int rc;

	if (argc != 4 || atol(argv[2]) <= 0 || atol(argv[3]) <= 0) {
		fprintf(stderr, "usage: mkstore SPEC THINGS JOBS\n");
		return 2;
	}
	jd_error_init(&e);
	if (store_open(argv[1], &s, &e) != 0) {
		fprintf(stderr, "mkstore: %s\n", e.msg);
		return 1;
	}
	if ((rc = store_begin(s, true, &tx)) == 0 &&
	    (rc = fill(tx, atol(argv[2]), atol(argv[3]))) == 0)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	store_close(s);
	jd_error_clear(&e);
	if (rc != 0) {
		fprintf(stderr, "mkstore: failed: %s\n", jd_errno_name(rc));
		return 1;
	}
	return 0;
}
