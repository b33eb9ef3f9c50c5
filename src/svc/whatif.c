/*
 * whatif.c: the planned rollout of a job before it is created (what-if) and
 * of what an existing job has left (issue 14, D28). Nothing is written: one
 * read transaction resolves the targets against the things and groups as
 * they are now (as CreateJob would, with its errors), decodes the
 * configuration into the typed policy as CreateJob does
 * (svc_policy_from_json, or a job template's merged one), and hands both to
 * core_plan_rollout, which replays the engine's decisions.
 *
 * Calls templates.c, timeline.c and svc.c.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/managed.h"
#include "core/plan.h"
#include "svc/policy_json.h"
#include "svc/targets_int.h"
#include "svc/templates_int.h"
#include "svc/timeline_int.h"
#include "util/buf.h"

/* The things in->targets name now (CreateJob's resolution: every target
 * must exist; groups at any depth). */
static int
resolve(struct svc *s, struct store_tx *tx, const struct svc_job_input *in, struct tset *out,
    struct jd_error *e)
{
	char name[JD_THING_NAME_MAX + 1], kind = 0;
	int rc;

	for (int i = 0; i < in->n_targets; i++) {
		if ((rc = svc__target_parse(s, in->targets[i], &kind, name, e)) != 0)
			return rc;
		if (kind == 't') {
			struct jd_thing th;
			memset(&th, 0, sizeof(th));
			rc = store_thing_get(tx, name, &th);
			jd_thing_release(&th);
			if (rc == JD_ENOTFOUND)
				return jd_error_set(e, rc, "Thing %s cannot be found.", name);
			if (rc != 0)
				return svc__store_err(rc, e);
			svc__tset_add(out, name);
		} else {
			struct jd_group g;
			memset(&g, 0, sizeof(g));
			rc = store_group_get(tx, name, &g);
			jd_group_release(&g);
			if (rc == JD_ENOTFOUND)
				return jd_error_set(e, rc, "Thing Group %s does not exist", name);
			if (rc != 0 ||
			    (rc = store_member_list(tx, name, true, "", 100000000, svc__tset_add,
			         out)) != 0)
				return svc__store_err(rc, e);
		}
	}
	svc__tset_unique(out);
	return 0;
}

int
svc_whatif(struct svc *s, const struct svc_job_input *in, struct svc_plan *out, struct jd_error *e)
{
	const struct core_managed_template *managed = NULL;
	struct core_plan_in pin = {0};
	struct store_tx *tx = NULL;
	struct tset things = {0};
	struct jd_job j;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	out->now = svc_now(s);
	j.config = jd_strdup(in->config ? in->config : "{}");
	j.selection = in->selection;
	if (in->template_arn != NULL &&
	    core_managed_from_arn(in->template_arn, &managed, NULL) != 1) {
		if ((rc = svc__template_apply(tx, in->template_arn, &j, e)) != 0)
			goto out;
	} else {
		svc_policy_from_json(j.config, &j.policy);
	}
	if ((rc = resolve(s, tx, in, &things, e)) != 0)
		goto out;
	out->things = (int64_t)things.n;
	pin.p = &j.policy;
	pin.now = out->now;
	pin.pending = (int64_t)things.n;
	pin.continuous = in->selection == JD_SEL_CONTINUOUS;
	core_plan_rollout(&pin, &out->plan);
out:
	store_rollback(tx);
	free(things.v);
	jd_job_release(&j);
	return rc;
}

/* The stored targets (a JSON array text) as an array of borrowed strings of
 * *arr (owned by the caller: json_decref). */
static const char **
targets_split(const char *text, json_t **arr, int *n)
{
	const char **v;
	size_t i;
	json_t *x;

	*arr = json_loads(text != NULL ? text : "[]", 0, NULL);
	v = jd_calloc(json_array_size(*arr) + 1, sizeof(*v));
	*n = 0;
	json_array_foreach(*arr, i, x) if (json_is_string(x)) v[(*n)++] = json_string_value(x);
	return v;
}

int
svc_job_plan(struct svc *s, const char *job_id, struct svc_plan *out, struct jd_error *e)
{
	struct core_plan_in pin = {0};
	struct store_tx *tx = NULL;
	struct jd_counts c;
	struct jd_job j;
	int64_t queued = 0;
	bool paused = false, started;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	memset(&c, 0, sizeof(c));
	if ((rc = svc__read(s, &tx, e)) != 0)
		return rc;
	out->now = svc_now(s);
	rc = store_job_get(tx, job_id, &j);
	if (rc == 0)
		rc = store_exec_counts(tx, job_id, &c);
	if (rc == 0)
		rc = store_rollout_count(tx, job_id, &queued);
	if (rc == 0)
		rc = svc__job_paused(tx, job_id, &paused, NULL);
	store_rollback(tx);
	if (rc == JD_ENOTFOUND) {
		rc = jd_error_set(e, JD_ENOTFOUND, "Job %s does not exist", job_id);
		goto out;
	}
	if (rc != 0) {
		rc = svc__store_err(rc, e);
		goto out;
	}
	/* a SCHEDULED job with neither executions nor a waiting batch has not
	 * started: its targets are planned as its start will resolve them */
	started = j.status != JD_JOB_SCHEDULED || j.rollout_next_ms != 0;
	for (int i = 0; i < JD_EXEC__COUNT && !started; i++)
		started = c.n[i] > 0;
	pin.p = &j.policy;
	pin.now = out->now;
	pin.continuous = j.selection == JD_SEL_CONTINUOUS;
	pin.paused = paused;
	if (!started) {
		struct svc_job_input in = {0};
		struct tset things = {0};
		struct jd_error re;
		const char **targets = NULL;
		json_t *arr = NULL;
		int n = 0;
		/* the stored targets, as the start resolves them (vanished
		 * ones are skipped there; here they fail the plan) */
		rc = svc__read(s, &tx, e);
		if (rc != 0)
			goto out;
		targets = targets_split(j.targets, &arr, &n);
		in.targets = targets;
		in.n_targets = n;
		jd_error_init(&re);
		rc = resolve(s, tx, &in, &things, &re);
		store_rollback(tx);
		free(targets);
		json_decref(arr);
		jd_error_clear(&re);
		pin.pending = rc == 0 ? (int64_t)things.n : 0;
		out->things = pin.pending;
		free(things.v);
		rc = 0;
	} else if (j.status == JD_JOB_COMPLETED || j.status == JD_JOB_CANCELED ||
	    j.status == JD_JOB_DELETION_IN_PROGRESS) {
		pin.started = true;
		pin.pending = 0;
		out->things = j.rollout_notified;
	} else {
		pin.started = true;
		pin.pending = queued;
		pin.notified = j.rollout_notified;
		pin.succeeded = c.n[JD_EXEC_SUCCEEDED];
		pin.next_ms = j.rollout_next_ms;
		pin.held = j.rollout_next_ms == SVC_ROLLOUT_HELD;
		out->things = j.rollout_notified + queued;
	}
	core_plan_rollout(&pin, &out->plan);
	if (paused) /* planned as if resumed now */
		out->plan.notes |= CORE_PLAN_NOTE_PAUSED;
out:
	jd_job_release(&j);
	return rc;
}
