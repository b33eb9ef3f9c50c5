/*
 * managed.h: AWS's managed job templates (AWS-Reboot, AWS-Download-File,
 * ...), compiled into jobsd as data (managed.c), and the substitution of a
 * CreateJob's documentParameters into a template's document.
 *
 * Pure: no I/O. The table is constant; everything returned is borrowed from
 * it, except the rendered document (owned by the caller).
 */
#ifndef JD_CORE_MANAGED_H
#define JD_CORE_MANAGED_H

#include <stdbool.h>

#include "util/err.h"

struct core_managed_param {
	const char *key;
	const char *description;
	const char *regex; /* as AWS shows it (DescribeManagedJobTemplate) */
	const char *match; /* the same as a POSIX extended regex, matched whole */
	const char *example;
	bool optional;
};

#define CORE_MANAGED_PARAMS_MAX 4

struct core_managed_template {
	const char *name;
	const char *version;
	const char *description;
	const char *environments[2]; /* NULL-terminated */
	struct core_managed_param params[CORE_MANAGED_PARAMS_MAX];
	int n_params;
	const char *document; /* with ${aws:iot:parameter:KEY} placeholders */
};

extern const struct core_managed_template core_managed_templates[];
extern const int core_managed_count;

/* The template name (and version; NULL = its default), or NULL. */
const struct core_managed_template *core_managed_find(const char *name, const char *version);

/*
 * Whether arn names a managed template: "arn:aws:iot:REGION::jobtemplate/
 * NAME:VERSION" (no account). Returns 1 when it is not of that form (a
 * custom template's ARN), 0 with *out set when found, JD_ENOTFOUND when the
 * form is managed but no such template or version exists.
 */
int core_managed_from_arn(const char *arn, const struct core_managed_template **out,
    struct jd_error *e);

/*
 * The job document of t with n parameters (keys[i] = vals[i]) substituted,
 * each value JSON-escaped inside its string; an optional parameter not given
 * becomes "". JD_EINVAL with AWS-style wording for an unknown key, a missing
 * required one, or a value that does not match its regex. *out owned.
 */
int core_managed_render(const struct core_managed_template *t, const char *const *keys,
    const char *const *vals, int n, char **out, struct jd_error *e);

#endif
