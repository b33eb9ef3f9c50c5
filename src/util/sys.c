/* sys.c: see sys.h. */
#define _GNU_SOURCE /* sem_clockwait */
#include "util/sys.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

int
sys_cpus(int lo, int hi)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < lo ? lo : n > hi ? hi : (int)n;
}

int
sys_sem_wait(sem_t *sem, int64_t deadline)
{
	struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};

	for (;;) {
		int rc = deadline > 0 ? sem_clockwait(sem, CLOCK_MONOTONIC, &ts) : sem_wait(sem);
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}
