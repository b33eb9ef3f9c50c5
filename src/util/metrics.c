/* metrics.c: the global metrics (metrics.h) and their bucket bounds. */
#include "util/metrics.h"

#include <time.h>

/* Latencies in microseconds: 0.5 ms .. 10 s (Prometheus's default buckets,
 * with 0.5 ms and 1 ms added below: most requests take well under 5 ms). */
static const uint64_t le_latency_us[METRICS_BUCKETS] = {500, 1000, 2500, 5000, 10000, 25000, 50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
/* Group sizes (write transactions per COMMIT). */
static const uint64_t le_size[METRICS_BUCKETS] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048,
    4096, 8192};
/* Timer lateness in microseconds: 10 ms .. 1 h. */
static const uint64_t le_lag_us[METRICS_BUCKETS] = {10000, 50000, 100000, 250000, 500000, 1000000,
    2500000, 5000000, 10000000, 30000000, 60000000, 300000000, 900000000, 3600000000};

#define LAT                         \
	{                           \
		.le = le_latency_us \
	}
#define LAT4 LAT, LAT, LAT, LAT
#define LAT16 LAT4, LAT4, LAT4, LAT4

struct jd_metrics jd_metrics = {
    .http_seconds = {LAT16, LAT16, LAT16, LAT16},
    .mqtt_seconds = {LAT16},
    .store_commit_seconds = LAT,
    .store_group_size = {.le = le_size},
    .timer_lag_seconds = {.le = le_lag_us},
};

uint64_t
metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
metrics_timer_ran(int64_t now_ms, int64_t due_ms)
{
	if (due_ms > 0)
		metrics_observe(&jd_metrics.timer_lag_seconds,
		    now_ms > due_ms ? (uint64_t)(now_ms - due_ms) * 1000u : 0);
}

_Static_assert(METRICS_HTTP_OPS == 64 && METRICS_MQTT_OPS == 16,
    "the initialisers above give every latency histogram its bounds");
