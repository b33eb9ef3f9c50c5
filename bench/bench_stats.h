/*
 * bench_stats.h: latency samples, percentiles and the result line.
 *
 * Every latency is kept (8 bytes a request; runs are bounded) and sorted
 * once at the end, so percentiles are exact rather than bucketed.
 * Percentiles use the nearest-rank definition: the p-th percentile of n
 * sorted samples is the one at 1-based rank ceil(p/100 * n).
 */
#ifndef JD_BENCH_STATS_H
#define JD_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct bench_lat {
	uint64_t *ns; /* owned; samples in nanoseconds */
	size_t n;
	size_t cap;
};

/* One printed figure. op is borrowed. */
struct bench_result {
	const char *op;
	uint64_t requests; /* completed or failed requests */
	uint64_t errors;   /* non-2xx answers plus transport failures */
	double seconds;    /* wall time of the measured phase */
	uint64_t p50_ns;
	uint64_t p99_ns;
	uint64_t max_ns;
};

void bench_lat_init(struct bench_lat *l);

/* Release the samples; l is left empty and reusable. NULL is a no-op. */
void bench_lat_free(struct bench_lat *l);

/* Record one sample. Aborts on out-of-memory. */
void bench_lat_add(struct bench_lat *l, uint64_t ns);

/* Append src's samples to dst. Aborts on out-of-memory. */
void bench_lat_merge(struct bench_lat *dst, const struct bench_lat *src);

/* Sort ascending; needed before bench_lat_pct(). */
void bench_lat_sort(struct bench_lat *l);

/*
 * Nearest-rank percentile of sorted samples, p in [0, 100]. p = 0 gives the
 * minimum, p = 100 the maximum, no samples gives 0.
 */
uint64_t bench_lat_pct(const struct bench_lat *l, double p);

/*
 * Fill the latency fields of res from sorted samples in l, leaving op,
 * requests, errors and seconds alone.
 */
void bench_result_fill(struct bench_result *res, const struct bench_lat *l);

/*
 * Format res as one line (with '\n') into buf: the key=value form, or a JSON
 * object when json is nonzero. Returns the length, or -1 if it did not fit.
 */
int bench_result_format(const struct bench_result *res, int json, char *buf, size_t size);

#endif
