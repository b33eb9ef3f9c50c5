/*
 * throttle.c: per-operation rate limits (D19).
 *
 * One bucket per control-plane operation and two shared data-plane buckets
 * (reads: GetPendingJobExecutions + DescribeJobExecution; writes:
 * StartNextPendingJobExecution + UpdateJobExecution; HTTP and MQTT alike),
 * as AWS publishes its limits per account (spec §11). Each bucket is a GCRA
 * ("generic cell rate algorithm", a token bucket in one word): it keeps the
 * theoretical arrival time of the next request, in monotonic nanoseconds,
 * and admits a request when that time is at most `burst - 1` intervals in
 * the future. One compare-and-swap per request, no lock.
 */
#include "auth/auth_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

struct bucket_def {
	const char *name;
	double aws_tps; /* the "aws" preset, spec §11 [L2019] */
};

/* Every control-plane operation of the route table, and the data buckets.
 * tests/unit/auth/test_throttle.c checks this against api_routes[]. */
static const struct bucket_def defs[] = {
    {"CreateThing", 15},
    {"DescribeThing", 350},
    {"ListThings", 10},
    {"UpdateThing", 10},
    {"DeleteThing", 15},
    {"CreateThingGroup", 25},
    {"DescribeThingGroup", 100},
    {"ListThingGroups", 10},
    {"DeleteThingGroup", 15},
    {"AddThingToThingGroup", 60},
    {"RemoveThingFromThingGroup", 15},
    /* thing-group management, dynamic groups, fleet index (issue 12) */
    {"UpdateThingGroup", 15},
    {"ListThingGroupsForThing", 10},
    {"UpdateThingGroupsForThing", 10},
    {"CreateDynamicThingGroup", 5},
    {"UpdateDynamicThingGroup", 5},
    {"DeleteDynamicThingGroup", 5},
    {"SearchIndex", 15},
    {"GetIndexingConfiguration", 10},
    {"UpdateIndexingConfiguration", 1},
    {"ListThingsInThingGroup", 25},
    {"CreateJob", 10},
    {"DescribeJob", 10},
    {"ListJobs", 10},
    {"UpdateJob", 10},
    {"CancelJob", 10},
    {"DeleteJob", 10},
    {"GetJobDocument", 10},
    {"AssociateTargetsWithJob", 10},
    {"CreateJobTemplate", 10}, /* not in the 2019 table: 10 (inferred) */
    {"DescribeJobTemplate", 10},
    {"ListJobTemplates", 10},
    {"DeleteJobTemplate", 10},
    {"DescribeJobExecution", 10},
    {"ListJobExecutionsForJob", 10},
    {"ListJobExecutionsForThing", 10},
    {"CancelJobExecution", 10},
    {"DeleteJobExecution", 10},
    {"UpdateEventConfigurations", 10},   /* not in the 2019 table: 10 (inferred) */
    {"DescribeEventConfigurations", 10}, /* not in the 2019 table: 10 (inferred) */
    {"ListManagedJobTemplates", 10},     /* not in the 2019 table: 10 (inferred) */
    {"DescribeManagedJobTemplate", 10},  /* not in the 2019 table: 10 (inferred) */
    {"CreateThingType", 15},             /* issue 12: AWS's registry defaults (inferred) */
    {"DescribeThingType", 100},
    {"ListThingTypes", 10},
    {"DeprecateThingType", 15},
    {"DeleteThingType", 15},
    {"TagResource", 10},
    {"UntagResource", 10},
    {"ListTagsForResource", 10},
    {"DescribeEndpoint", 10},
    {"DataPlaneRead", 200},
    {"DataPlaneWrite", 200},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const struct {
	const char *op;
	const char *bucket;
} data_ops[] = {
    {"GetPendingJobExecutions", "DataPlaneRead"},
    {"DescribeJobExecution", "DataPlaneRead"},
    {"StartNextPendingJobExecution", "DataPlaneWrite"},
    {"UpdateJobExecution", "DataPlaneWrite"},
};

struct bucket {
	double tps;           /* 0 = unlimited */
	int64_t interval_ns;  /* 1e9 / tps */
	int64_t tolerance_ns; /* (burst - 1) * interval */
	_Atomic int64_t tat;  /* theoretical arrival time, monotonic ns */
};

struct auth_throttle {
	struct bucket b[NDEFS];
};

static int
def_index(const char *name, size_t n)
{
	for (size_t i = 0; i < NDEFS; i++)
		if (strlen(defs[i].name) == n && strncmp(defs[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

const char *
auth__throttle_bucket(enum jd_plane plane, const char *op)
{
	if (op == NULL)
		return NULL;
	if (plane == JD_PLANE_DATA) {
		for (size_t i = 0; i < sizeof(data_ops) / sizeof(data_ops[0]); i++)
			if (strcmp(data_ops[i].op, op) == 0)
				return data_ops[i].bucket;
		return NULL;
	}
	if (strncmp(op, "DataPlane", 9) == 0)
		return NULL;
	int i = def_index(op, strlen(op));
	return i < 0 ? NULL : defs[i].name;
}

static void
set_rate(struct bucket *b, double tps)
{
	int64_t burst = tps < 1 ? 1 : (int64_t)tps;

	b->tps = tps;
	b->interval_ns = tps > 0 ? (int64_t)(1e9 / tps) : 0;
	if (tps > 0 && b->interval_ns < 1)
		b->interval_ns = 1;
	b->tolerance_ns = (burst - 1) * b->interval_ns;
	atomic_store(&b->tat, 0);
}

static bool
blank(char c)
{
	return isspace((unsigned char)c) != 0;
}

int
auth_throttle_create(const char *preset, const char *rates, struct auth_throttle **out,
    struct jd_error *e)
{
	struct auth_throttle *t;
	bool aws, any = false;
	const char *p = rates ? rates : "";

	*out = NULL;
	if (preset == NULL || preset[0] == '\0' || strcmp(preset, "off") == 0)
		aws = false;
	else if (strcmp(preset, "aws") == 0)
		aws = true;
	else
		return jd_error_set(e, JD_EINVAL, "throttle must be off or aws, not '%s'", preset);
	t = jd_calloc(1, sizeof(*t));
	for (size_t i = 0; i < NDEFS; i++)
		set_rate(&t->b[i], aws ? defs[i].aws_tps : 0);
	while (*p) {
		const char *comma = strchr(p, ','), *pe = comma ? comma : p + strlen(p), *eq, *ne;
		char num[32], *numend;
		double tps;
		int idx;
		while (p < pe && blank(*p))
			p++;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (p == pe) {
			if (comma == NULL)
				break;
			p = comma + 1;
			continue;
		}
		if (eq == NULL) {
			jd_error_set(e, JD_EINVAL, "throttle-rates: expected Op=TPS, not '%.*s'",
			    (int)(pe - p), p);
			goto fail;
		}
		ne = eq;
		while (ne > p && blank(ne[-1]))
			ne--;
		if ((idx = def_index(p, (size_t)(ne - p))) < 0) {
			jd_error_set(e, JD_EINVAL,
			    "throttle-rates: unknown operation '%.*s' (control-plane operation names, "
			    "DataPlaneRead, DataPlaneWrite)",
			    (int)(ne - p), p);
			goto fail;
		}
		if ((size_t)(pe - eq - 1) >= sizeof(num)) {
			jd_error_set(e, JD_EINVAL, "throttle-rates: bad rate for %s",
			    defs[idx].name);
			goto fail;
		}
		memcpy(num, eq + 1, (size_t)(pe - eq - 1));
		num[pe - eq - 1] = '\0';
		tps = strtod(num, &numend);
		while (blank(*numend))
			numend++;
		if (numend == num || *numend != '\0' || !(tps >= 0) || tps > 1e6) {
			jd_error_set(e, JD_EINVAL,
			    "throttle-rates: rate of %s must be a number 0..1000000, not '%s'",
			    defs[idx].name, num);
			goto fail;
		}
		set_rate(&t->b[idx], tps);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	for (size_t i = 0; i < NDEFS; i++)
		any = any || t->b[i].tps > 0;
	if (!any) {
		free(t);
		return 0;
	}
	*out = t;
	return 0;
fail:
	free(t);
	return JD_EINVAL;
}

static struct bucket *
find_bucket(const struct auth_throttle *t, enum jd_plane plane, const char *op)
{
	const char *name = auth__throttle_bucket(plane, op);
	int i = name ? def_index(name, strlen(name)) : -1;

	return i < 0 ? NULL : (struct bucket *)&t->b[i];
}

double
auth__throttle_rate(const struct auth_throttle *t, enum jd_plane plane, const char *op)
{
	struct bucket *b;

	if (auth__throttle_bucket(plane, op) == NULL)
		return -1;
	if (t == NULL || (b = find_bucket(t, plane, op)) == NULL)
		return 0;
	return b->tps;
}

int
auth__throttle_take_at(struct auth_throttle *t, enum jd_plane plane, const char *op, int64_t now)
{
	struct bucket *b;
	int64_t tat, base;

	if (t == NULL || (b = find_bucket(t, plane, op)) == NULL || b->interval_ns == 0)
		return 0;
	tat = atomic_load(&b->tat);
	do {
		base = tat > now ? tat : now;
		if (base - now > b->tolerance_ns)
			return JD_ETHROTTLED;
	} while (!atomic_compare_exchange_weak(&b->tat, &tat, base + b->interval_ns));
	return 0;
}

int
auth_throttle_take(struct auth_throttle *t, enum jd_plane plane, const char *op)
{
	struct timespec ts;

	if (t == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return auth__throttle_take_at(t, plane, op, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

void
auth_throttle_destroy(struct auth_throttle *t)
{
	free(t);
}
