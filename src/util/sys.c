/* sys.c: see sys.h. */
#include "util/sys.h"

#include <unistd.h>

int
sys_cpus(int lo, int hi)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < lo ? lo : n > hi ? hi : (int)n;
}
