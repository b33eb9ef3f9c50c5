/* test_sys.c: sys_cpus clamps the CPUs online into its bounds. */
#include <unistd.h>

#include "test.h"
#include "util/sys.h"

TEST(cpus_within_bounds)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int n = sys_cpus(1, 1024);

	CHECK_EQ_INT(n, online < 1 ? 1 : online > 1024 ? 1024 : online);
	CHECK_EQ_INT(sys_cpus(1, 1), 1);
	CHECK_EQ_INT(sys_cpus(2048, 4096), 2048);
	n = sys_cpus(2, 4);
	CHECK(n >= 2 && n <= 4);
}

int
main(void)
{
	RUN(cpus_within_bounds);
	return test_report();
}
