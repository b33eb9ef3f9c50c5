/*
 * templates_int.h: what templates.c offers the files above it (jobs.c).
 */
#ifndef JD_SVC_TEMPLATES_INT_H
#define JD_SVC_TEMPLATES_INT_H

#include "svc/svc_int.h"

/*
 * Fill j from the job template named by template_arn (read in tx): its
 * document if j has none, its configuration with j's members overriding
 * them (the template's maintenanceWindows become schedulingConfig's), the
 * policy decoded from the merged configuration (replacing j->policy), and
 * inprogress_timeout_min from it.
 * JD_EINVAL for a malformed ARN, JD_ENOTFOUND for a missing template.
 */
int svc__template_apply(struct store_tx *tx, const char *template_arn, struct jd_job *j,
    struct jd_error *e);

#endif
