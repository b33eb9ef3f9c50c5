/* sys.h: facts about the machine jobsd runs on, and thin waits on it. */
#ifndef JD_UTIL_SYS_H
#define JD_UTIL_SYS_H

#include <semaphore.h>
#include <stdint.h>

/* The CPUs online, clamped to lo..hi (lo when unknown). */
int sys_cpus(int lo, int hi);

/* Wait for a post on sem, EINTR retried; deadline: CLOCK_MONOTONIC ns, or 0
 * for none. 0, or -1 when the deadline passed. */
int sys_sem_wait(sem_t *sem, int64_t deadline);

#endif
