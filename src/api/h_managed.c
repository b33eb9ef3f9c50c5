/*
 * h_managed.c: REST handlers of AWS's managed job templates,
 * ListManagedJobTemplates and DescribeManagedJobTemplate (the templates are
 * core/managed.c's data). Their ARNs have no account:
 * arn:aws:iot:REGION::jobtemplate/NAME:VERSION.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "core/managed.h"

static void
managed_head(struct api_req *r, struct jw *w, const struct core_managed_template *t)
{
	char arn[256];

	snprintf(arn, sizeof(arn), "arn:aws:iot:%s::jobtemplate/%s:%s", r->region, t->name,
	    t->version);
	jw_kstr(w, "templateArn", arn);
	jw_kstr(w, "templateName", t->name);
	jw_kstr(w, "description", t->description);
	jw_key(w, "environments");
	jw_arr_begin(w);
	for (int i = 0; i < 2 && t->environments[i] != NULL; i++)
		jw_str(w, t->environments[i]);
	jw_arr_end(w);
	jw_kstr(w, "templateVersion", t->version);
}

static int
check_name(struct api_req *r, const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 64)
		return api_fail(r, JD_EINVAL,
		    "1 validation error detected: Value '%.64s' at 'templateName' failed to satisfy "
		    "constraint: Member must have length between 1 and 64",
		    name);
	return 0;
}

void
api_h_list_managed(struct api_req *r)
{
	const char *name = api_query(r, "templateName");
	struct api_cursor cur = {0};
	int limit, i, shown = 0;
	struct jw w;

	if ((name != NULL && check_name(r, name)) || api_page(r, &limit))
		return;
	if (name != NULL && core_managed_find(name, NULL) == NULL) {
		api_fail(r, JD_ENOTFOUND, "Managed job template %.64s does not exist", name);
		return;
	}
	if (api_list_begin(r, API_CURSOR_MANAGED, &cur, &w, "managedJobTemplates"))
		return;
	for (i = (int)cur.num; i < core_managed_count && shown < limit; i++) {
		const struct core_managed_template *t = &core_managed_templates[i];
		if (name != NULL && strcmp(t->name, name) != 0)
			continue;
		jw_obj_begin(&w);
		managed_head(r, &w, t);
		jw_obj_end(&w);
		shown++;
	}
	/* another page when a template after the last shown one matches */
	{
		bool more = false;
		for (int k = i; k < core_managed_count && !more; k++)
			more = name == NULL || strcmp(core_managed_templates[k].name, name) == 0;
		api_list_end(r, &w, more, API_CURSOR_MANAGED, NULL, i);
	}
}

void
api_h_describe_managed(struct api_req *r)
{
	const char *version = api_query(r, "templateVersion");
	const struct core_managed_template *t;
	struct jw w;

	if (check_name(r, r->label[0]))
		return;
	t = core_managed_find(r->label[0], version);
	if (t == NULL) {
		api_fail(r, JD_ENOTFOUND, "Managed job template %.64s%s%.16s does not exist",
		    r->label[0], version ? " version " : "", version ? version : "");
		return;
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	managed_head(r, &w, t);
	jw_key(&w, "documentParameters");
	jw_arr_begin(&w);
	for (int k = 0; k < t->n_params; k++) {
		const struct core_managed_param *p = &t->params[k];
		jw_obj_begin(&w);
		jw_kstr(&w, "key", p->key);
		jw_kstr(&w, "description", p->description);
		jw_kstr(&w, "regex", p->regex);
		jw_kstr(&w, "example", p->example);
		jw_kbool(&w, "optional", p->optional);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_kstr(&w, "document", t->document);
	jw_obj_end(&w);
}
