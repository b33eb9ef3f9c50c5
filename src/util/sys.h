/* sys.h: facts about the machine jobsd runs on. */
#ifndef JD_UTIL_SYS_H
#define JD_UTIL_SYS_H

/* The CPUs online, clamped to lo..hi (lo when unknown). */
int sys_cpus(int lo, int hi);

#endif
