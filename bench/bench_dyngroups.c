/*
 * bench_dyngroups.c: what dynamic thing groups cost (issue 12), measured in
 * process on a real SQLite store (no HTTP: the figures are svc's and the
 * store's, durable commits included).
 *
 *   bench_dyngroups DIR [THINGS [GROUPS [UPDATES]]]   (100000 100 200)
 *
 * 1. THINGS things are loaded in one store transaction (attributes ring and
 *    fw; one in ten is ring=canary);
 * 2. UPDATES UpdateThing calls with no dynamic group: the baseline;
 * 3. CreateDynamicThingGroup "attributes.ring:canary AND attributes.fw < 3"
 *    over the fleet: the time to first evaluation;
 * 4. GROUPS-1 more dynamic groups (each also evaluates the fleet);
 * 5. UPDATES UpdateThing calls (fw changes, so some things join or leave
 *    the first group) with GROUPS dynamic groups defined.
 * Prints one line per step; medians and p99 of the per-call times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "svc/svc.h"
#include "util/clock.h"
#include "util/log.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
updates(struct svc *s, int things, int n, const char *what)
{
	double *t = calloc((size_t)n, sizeof(*t));
	struct jd_error e = {0};

	for (int i = 0; i < n; i++) {
		char name[32], attrs[64];
		double t0 = now_s();
		snprintf(name, sizeof(name), "t-%06d", (i * 7919) % things);
		snprintf(attrs, sizeof(attrs), "{\"fw\":\"%d\"}", i % 6);
		if (svc_thing_update(s, name, NULL, false, attrs, true, -1, &e) != 0) {
			fprintf(stderr, "update %s: %s\n", name, e.msg);
			free(t);
			return 1;
		}
		t[i] = now_s() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	printf("UpdateThing, %s: median %.3f ms, p99 %.3f ms (%d calls)\n", what, t[n / 2] * 1e3,
	    t[n * 99 / 100] * 1e3, n);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	int things = argc > 2 ? atoi(argv[2]) : 100000;
	int groups = argc > 3 ? atoi(argv[3]) : 100;
	int n_upd = argc > 4 ? atoi(argv[4]) : 200;
	struct store *store = NULL;
	struct store_tx *tx = NULL;
	struct jd_clock clk;
	struct jd_error e = {0};
	struct svc svc;
	struct jd_group g;
	char spec[512];
	double t0, *ct;

	if (argc < 2 || things < 1 || groups < 1 || n_upd < 1) {
		fprintf(stderr, "usage: %s DIR [THINGS [GROUPS [UPDATES]]]\n", argv[0]);
		return 2;
	}
	log_set_level(JD_LOG_ERROR);
	snprintf(spec, sizeof(spec), "sqlite:%s/dyngroups.db", argv[1]);
	clock_init(&clk, false);
	if (store_open(spec, &store, &e) != 0 || svc_init(&svc, store, &clk, "123456789012", &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return 1;
	}
	t0 = now_s();
	if (store_begin(store, true, &tx) != 0)
		return 1;
	for (int i = 0; i < things; i++) {
		struct jd_thing t = {0};
		char attrs[64];
		snprintf(t.name, sizeof(t.name), "t-%06d", i);
		snprintf(t.id, sizeof(t.id), "id-%d", i);
		snprintf(attrs, sizeof(attrs), "{\"ring\":\"%s\",\"fw\":\"%d\"}",
		    i % 10 == 0 ? "canary" : "prod", i % 5);
		t.attributes = attrs;
		t.version = 1;
		if (store_thing_insert(tx, &t) != 0)
			return 1;
	}
	if (store_commit(tx) != 0)
		return 1;
	printf("loaded %d things in %.2f s (one transaction)\n", things, now_s() - t0);
	if (updates(&svc, things, n_upd, "no dynamic group"))
		return 1;
	memset(&g, 0, sizeof(g));
	t0 = now_s();
	if (svc_dyn_create(&svc, "canary", NULL, NULL, NULL,
	        "attributes.ring:canary AND attributes.fw < 3", NULL, NULL, 0, &g, &e) != 0) {
		fprintf(stderr, "create: %s\n", e.msg);
		return 1;
	}
	printf("CreateDynamicThingGroup over %d things (first evaluation, committed): %.3f s\n",
	    things, now_s() - t0);
	jd_group_release(&g);
	ct = calloc((size_t)groups, sizeof(*ct));
	for (int i = 1; i < groups; i++) {
		char name[32], q[96];
		snprintf(name, sizeof(name), "dyn-%03d", i);
		snprintf(q, sizeof(q), "attributes.fw:[%d TO %d] AND thingName:t-%d*", i % 5,
		    i % 5 + 1, i % 10);
		memset(&g, 0, sizeof(g));
		t0 = now_s();
		if (svc_dyn_create(&svc, name, NULL, NULL, NULL, q, NULL, NULL, 0, &g, &e) != 0) {
			fprintf(stderr, "create %s: %s\n", name, e.msg);
			return 1;
		}
		ct[i - 1] = now_s() - t0;
		jd_group_release(&g);
	}
	if (groups > 1) {
		qsort(ct, (size_t)groups - 1, sizeof(*ct), cmp_d);
		printf("%d more dynamic groups: median %.3f s each\n", groups - 1,
		    ct[(groups - 1) / 2]);
	}
	free(ct);
	{
		char what[64];
		snprintf(what, sizeof(what), "%d dynamic groups", groups);
		if (updates(&svc, things, n_upd, what))
			return 1;
	}
	svc_fini(&svc);
	store_close(store);
	return 0;
}
