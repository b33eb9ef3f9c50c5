/*
 * admin_stream.c: the dashboard's live updates (issue 14): GET /api/stream
 * ?jobs=ID,ID,... answers server-sent events (text/event-stream) for as long
 * as the page keeps it open.
 *
 * What changed is read from the store, not from hooks in this process, so
 * the stream sees the writes of every node sharing one database (D24): once
 * per ADMIN_STREAM_TICK_MS, svc_dash_watch reads, in one read transaction,
 * each watched job (status, lastUpdatedAt, rollout progress) with its counts
 * (job_exec_counts rows, not executions) and the newest job's seq. A job
 * whose fingerprint moved is sent as `event: job` (the summary of GET
 * /api/jobs, or {"jobId", "deleted": true}); a new job as `event: jobs`
 * ({"newest": seq}), on which the list page refetches its first page. The
 * first tick sends every watched job. Nothing else is sent but a comment
 * every ADMIN_STREAM_PING_MS, which also finds a client that went away.
 *
 * ?execution=JOB/THING/NUMBER also watches one execution (the execution
 * page): each tick reads it (one lookup by its key) and sends `event:
 * execution` ({"jobId", "thingName", "executionNumber", "status",
 * "versionNumber"}, or "deleted": true) when its status, version or last
 * update moved. A device's update that changes only statusDetails moves no
 * count of the job, so the job's events alone never showed it.
 *
 * Each stream holds one connection thread of the admin listener (thread
 * per connection) and sleeps between ticks in slices, so jobsd's stop ends
 * it within one slice; at most ADMIN_STREAMS_MAX are open at once (503
 * beyond), leaving the other connections to the API.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/admin_int.h"
#include "core/core.h"
#include "svc/svc.h"

#define ADMIN_STREAM_JOBS_MAX 100  /* jobs one stream watches */
#define ADMIN_STREAM_TICK_MS 1000  /* store reads per stream: one a tick */
#define ADMIN_STREAM_PING_MS 15000 /* a comment when nothing else was sent */
#define ADMIN_STREAM_SLICE_MS 100  /* sleep slice: how soon a stop is seen */

struct stream {
	struct api_admin *a;
	char (*ids)[JD_JOB_ID_MAX + 1];
	uint64_t *print; /* fingerprint last sent per job; 0 = never */
	size_t n;
	int64_t newest; /* -1 until the first tick */
	int64_t last_send_ms;
	/* the watched execution, if any (?execution=) */
	char xjob[JD_JOB_ID_MAX + 1], xthing[JD_THING_NAME_MAX + 1];
	int64_t xnum;
	uint64_t xprint;    /* fingerprint last sent; 0 = never */
	struct buf pending; /* bytes to send, from `off` */
	size_t off;
	bool opened;
};

static uint64_t
mix(uint64_t h, int64_t v)
{
	h ^= (uint64_t)v;
	return h * 1099511628211ull;
}

static uint64_t
fingerprint(const struct jd_job *j, const struct jd_counts *c)
{
	uint64_t h = 14695981039346656037ull;

	h = mix(h, j->status);
	h = mix(h, j->updated_ms);
	h = mix(h, j->completed_ms);
	h = mix(h, j->rollout_notified);
	h = mix(h, j->rollout_next_ms);
	for (int s = 0; s < JD_EXEC__COUNT; s++)
		h = mix(h, c->n[s]);
	return h | 1; /* never 0 */
}

static int
watch_row(void *arg, const char *job_id, const struct jd_job *j, const struct jd_counts *c)
{
	struct stream *st = arg;
	size_t i;
	uint64_t fp;
	struct jw w;

	for (i = 0; i < st->n && strcmp(st->ids[i], job_id) != 0; i++)
		;
	if (i == st->n)
		return 0;
	fp = j != NULL ? fingerprint(j, c) : 2; /* 2: gone (fingerprints are odd) */
	if (fp == st->print[i])
		return 0;
	st->print[i] = fp;
	buf_puts(&st->pending, "event: job\ndata: ");
	jw_init(&w, &st->pending);
	if (j != NULL) {
		admin_dash_job_json(&w, j, c);
	} else {
		jw_obj_begin(&w);
		jw_kstr(&w, "jobId", job_id);
		jw_kbool(&w, "deleted", true);
		jw_obj_end(&w);
	}
	buf_puts(&st->pending, "\n\n");
	return 0;
}

static void
tick_exec(struct stream *st)
{
	struct jd_error e;
	struct jd_exec x;
	uint64_t fp = 14695981039346656037ull;
	int rc;
	struct jw w;

	jd_error_init(&e);
	rc = svc_exec_describe(st->a->svc, st->xjob, st->xthing, st->xnum, &x, &e);
	if (rc == 0) {
		fp = mix(fp, x.status);
		fp = mix(fp, x.version);
		fp = mix(fp, x.updated_ms);
		fp = mix(fp, x.force_canceled);
		fp |= 1; /* never 0 */
	} else if (e.code == JD_ENOTFOUND) {
		fp = 2; /* gone (fingerprints are odd) */
	} else {
		jd_error_clear(&e); /* the store away: the next tick tries again */
		return;
	}
	jd_error_clear(&e);
	if (fp != st->xprint) {
		st->xprint = fp;
		buf_puts(&st->pending, "event: execution\ndata: ");
		jw_init(&w, &st->pending);
		jw_obj_begin(&w);
		jw_kstr(&w, "jobId", st->xjob);
		jw_kstr(&w, "thingName", st->xthing);
		jw_kint(&w, "executionNumber", st->xnum);
		if (rc == 0) {
			jw_kstr(&w, "status", core_exec_status_name(x.status));
			jw_kint(&w, "versionNumber", x.version);
		} else {
			jw_kbool(&w, "deleted", true);
		}
		jw_obj_end(&w);
		buf_puts(&st->pending, "\n\n");
	}
	if (rc == 0)
		jd_exec_release(&x);
}

static void
tick(struct stream *st)
{
	const char **ids = jd_calloc(st->n + 1, sizeof(*ids));
	int64_t newest = 0;
	struct jd_error e;

	for (size_t i = 0; i < st->n; i++)
		ids[i] = st->ids[i];
	jd_error_init(&e);
	if (svc_dash_watch(st->a->svc, ids, st->n, watch_row, st, &newest, &e) == 0) {
		if (st->newest >= 0 && newest != st->newest) {
			char ev[64];
			snprintf(ev, sizeof(ev), "event: jobs\ndata: {\"newest\":%lld}\n\n",
			    (long long)newest);
			buf_puts(&st->pending, ev);
		}
		st->newest = newest;
	}
	/* a failed read (the store away): nothing sent, the next tick tries again */
	jd_error_clear(&e);
	free(ids);
	if (st->xnum > 0)
		tick_exec(st);
}

/* ?execution=JOB/THING/NUMBER into st (0), or an answer of 400 (-1). */
static int
parse_execution(struct admin_req *q, struct stream *st, const char *v)
{
	const char *slash1 = strchr(v, '/'), *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
	size_t lj, lt;
	struct jd_error e;
	char *end;
	long long n;
	int rc;

	if (slash1 == NULL || slash2 == NULL || (lj = (size_t)(slash1 - v)) > JD_JOB_ID_MAX ||
	    (lt = (size_t)(slash2 - slash1 - 1)) > JD_THING_NAME_MAX) {
		admin_fail(q, 400, "execution must be JOBID/THINGNAME/NUMBER");
		return -1;
	}
	memcpy(st->xjob, v, lj);
	st->xjob[lj] = '\0';
	memcpy(st->xthing, slash1 + 1, lt);
	st->xthing[lt] = '\0';
	errno = 0;
	n = strtoll(slash2 + 1, &end, 10);
	if (errno != 0 || end == slash2 + 1 || *end != '\0' || n < 1) {
		admin_fail(q, 400, "execution must be JOBID/THINGNAME/NUMBER");
		return -1;
	}
	st->xnum = n;
	jd_error_init(&e);
	rc = core_check_job_id("execution", st->xjob, &e) != 0 ||
	    core_check_thing_name("execution", st->xthing, &e) != 0;
	if (rc)
		admin_fail(q, 400, "%s", e.msg);
	jd_error_clear(&e);
	return rc ? -1 : 0;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static long
stream_next(void *arg, char *out, size_t max)
{
	struct stream *st = arg;
	int64_t start;

	if (!st->opened) {
		st->opened = true;
		buf_puts(&st->pending, "retry: 2000\n\n");
		tick(st);
	}
	start = admin_mono_ms();
	while (st->off >= st->pending.len) {
		int64_t now;
		buf_reset(&st->pending);
		st->off = 0;
		if (atomic_load(&st->a->stopping))
			return -1;
		sleep_ms(ADMIN_STREAM_SLICE_MS);
		now = admin_mono_ms();
		if (now - start >= ADMIN_STREAM_TICK_MS) {
			tick(st);
			start = now;
		}
		if (st->pending.len == 0 && now - st->last_send_ms >= ADMIN_STREAM_PING_MS)
			buf_puts(&st->pending, ": ping\n\n");
	}
	if (atomic_load(&st->a->stopping))
		return -1;
	{
		size_t n = st->pending.len - st->off;
		if (n > max)
			n = max;
		memcpy(out, st->pending.p + st->off, n);
		st->off += n;
		st->last_send_ms = admin_mono_ms();
		return (long)n;
	}
}

static void
stream_free(void *arg)
{
	struct stream *st = arg;

	atomic_fetch_sub(&st->a->streams, 1);
	buf_free(&st->pending);
	free(st->ids);
	free(st->print);
	free(st);
}

void
admin_h_stream(struct admin_req *q)
{
	const char *jobs = admin_query(q, "jobs"), *exec = admin_query(q, "execution");
	struct stream *st;
	size_t n = 0;

	if (q->method == API_HEAD)
		return; /* the headers of a 200, no stream */
	if (jobs == NULL)
		jobs = "";
	for (const char *p = jobs; *p != '\0'; p += strcspn(p, ","), p += *p == ',')
		n++;
	if (n > ADMIN_STREAM_JOBS_MAX) {
		admin_fail(q, 400, "A stream watches at most %d jobs", ADMIN_STREAM_JOBS_MAX);
		return;
	}
	st = jd_calloc(1, sizeof(*st));
	st->a = q->a;
	st->newest = -1;
	st->ids = jd_calloc(n + 1, sizeof(*st->ids));
	st->print = jd_calloc(n + 1, sizeof(*st->print));
	for (const char *p = jobs; *p != '\0';) {
		size_t len = strcspn(p, ",");
		struct jd_error e;
		if (len == 0 || len > JD_JOB_ID_MAX) {
			admin_fail(q, 400, "jobs must be job ids separated by commas");
			goto fail;
		}
		memcpy(st->ids[st->n], p, len);
		st->ids[st->n][len] = '\0';
		jd_error_init(&e);
		if (core_check_job_id("jobs", st->ids[st->n], &e) != 0) {
			admin_fail(q, 400, "%s", e.msg);
			jd_error_clear(&e);
			goto fail;
		}
		jd_error_clear(&e);
		st->n++;
		p += len;
		p += *p == ',';
	}
	if (exec != NULL && parse_execution(q, st, exec) != 0)
		goto fail;
	if (atomic_fetch_add(&q->a->streams, 1) >= ADMIN_STREAMS_MAX) {
		atomic_fetch_sub(&q->a->streams, 1);
		admin_fail(q, 503, "Too many live streams are open (%d)", ADMIN_STREAMS_MAX);
		goto fail;
	}
	q->content_type = "text/event-stream; charset=utf-8";
	q->stream = stream_next;
	q->stream_arg = st;
	q->stream_free = stream_free;
	return;
fail:
	free(st->ids);
	free(st->print);
	free(st);
}
