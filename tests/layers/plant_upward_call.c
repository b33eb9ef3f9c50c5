/*
 * plant_upward_call.c: a deliberate layering violation, compiled into jd_core
 * only when CMake is configured with -DJOBSD_PLANT_UPWARD_CALL=ON
 * (tests/layers/test_upward_call.sh). It calls up from core into svc, so the
 * jd_core layer check must fail to link with an undefined svc_now.
 * The declaration is written out here, not included, so that the call, not an
 * include, is what is caught.
 */
#include <stdint.h>

struct svc;
int64_t svc_now(struct svc *s);

int64_t core__planted_upward_call(struct svc *s);

int64_t
core__planted_upward_call(struct svc *s)
{
	return svc_now(s);
}
