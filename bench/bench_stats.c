/* bench_stats.c: latency samples, nearest-rank percentiles, result lines. */
#include "bench_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
bench_lat_init(struct bench_lat *l)
{
	memset(l, 0, sizeof(*l));
}

void
bench_lat_free(struct bench_lat *l)
{
	if (l == NULL)
		return;
	free(l->ns);
	memset(l, 0, sizeof(*l));
}

static void
reserve(struct bench_lat *l, size_t want)
{
	size_t cap = l->cap == 0 ? 1024 : l->cap;
	uint64_t *ns;

	if (want <= l->cap)
		return;
	while (cap < want)
		cap *= 2;
	ns = realloc(l->ns, cap * sizeof(*ns));
	if (ns == NULL) {
		fprintf(stderr, "jdbench: out of memory\n");
		abort();
	}
	l->ns = ns;
	l->cap = cap;
}

void
bench_lat_add(struct bench_lat *l, uint64_t ns)
{
	reserve(l, l->n + 1);
	l->ns[l->n++] = ns;
}

void
bench_lat_merge(struct bench_lat *dst, const struct bench_lat *src)
{
	if (src->n == 0)
		return;
	reserve(dst, dst->n + src->n);
	memcpy(dst->ns + dst->n, src->ns, src->n * sizeof(*src->ns));
	dst->n += src->n;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void
bench_lat_sort(struct bench_lat *l)
{
	if (l->n > 1)
		qsort(l->ns, l->n, sizeof(*l->ns), cmp_u64);
}

uint64_t
bench_lat_pct(const struct bench_lat *l, double p)
{
	double rank;
	size_t idx;

	if (l->n == 0)
		return 0;
	if (!(p > 0))
		return l->ns[0];
	if (p >= 100)
		return l->ns[l->n - 1];
	/* The small epsilon keeps 99/100*100 == 99 from rounding up to 100. */
	rank = ceil(p / 100.0 * (double)l->n - 1e-9);
	idx = rank < 1 ? 0 : (size_t)rank - 1;
	if (idx >= l->n)
		idx = l->n - 1;
	return l->ns[idx];
}

void
bench_result_fill(struct bench_result *res, const struct bench_lat *l)
{
	res->p50_ns = bench_lat_pct(l, 50);
	res->p99_ns = bench_lat_pct(l, 99);
	res->max_ns = bench_lat_pct(l, 100);
}

/* Copy op into out with JSON string escapes; op names are plain ASCII. */
static void
json_escape(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

int
bench_result_format(const struct bench_result *res, int json, char *buf, size_t size)
{
	double rps = res->seconds > 0 ? (double)res->requests / res->seconds : 0;
	double p50 = (double)res->p50_ns / 1e6, p99 = (double)res->p99_ns / 1e6;
	double max = (double)res->max_ns / 1e6;
	char op[256];
	int n;

	if (json) {
		json_escape(res->op, op, sizeof(op));
		n = snprintf(buf, size,
		    "{\"op\":\"%s\",\"requests\":%llu,\"seconds\":%.3f,\"rps\":%.1f,"
		    "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"errors\":%llu}\n",
		    op, (unsigned long long)res->requests, res->seconds, rps, p50, p99, max,
		    (unsigned long long)res->errors);
	} else {
		n = snprintf(buf, size,
		    "op=%s requests=%llu seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f "
		    "max_ms=%.3f errors=%llu\n",
		    res->op, (unsigned long long)res->requests, res->seconds, rps, p50, p99, max,
		    (unsigned long long)res->errors);
	}
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}
