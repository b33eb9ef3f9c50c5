/*
 * managed.c: the managed job templates AWS publishes (developer guide,
 * "Managed template remote actions and job documents"), as data, and the
 * substitution of documentParameters. Every template runs on LINUX, is at
 * version 1.0, and has the optional parameters runAsUser and pathToHandler
 * (AWS-Run-Command: runAsUser only). The regexes of the parameters AWS did
 * not publish one for are jobsd's choice (docs/decisions.md).
 */
#include "core/managed.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define RUN_AS                                                                                     \
	{                                                                                          \
		"runAsUser",                                                                       \
		    "Execute handler as another user. If not specified, then handler is executed " \
		    "as the same user as device client.",                                          \
		    "(.){0,256}", "(.){0,256}", "user1", true                                      \
	}
#define PATH_TO                                                                                     \
	{                                                                                           \
		"pathToHandler",                                                                    \
		    "Path to handler on the device. If not specified, then device client will use " \
		    "the current working directory.",                                               \
		    "(.){0,4096}", "(.){0,4096}", "/path/to/handler/script", true                   \
	}

/* A runHandler document: name, handler script, and args ("" = none). */
#define HANDLER_DOC(name, handler, args)                                              \
	"{\"version\":\"1.0\",\"steps\":[{\"action\":{\"name\":\"" name               \
	"\",\"type\":\"runHandler\",\"input\":{\"handler\":\"" handler "\"," args     \
	"\"path\":\"${aws:iot:parameter:pathToHandler}\"},\"runAsUser\":\"${aws:iot:" \
	"parameter:runAsUser}\"}}]}"
#define ARGS1(p) "\"args\":[\"${aws:iot:parameter:" p "}\"],"

#define LIST_PARAM(key, what)                                                       \
	{                                                                           \
		key, "Space separated list of " what ".", "[^\\s]+(\\s+[^\\s]+)*",  \
		    "[^[:space:]]+([[:space:]]+[^[:space:]]+)*", "app1 app2", false \
	}

const struct core_managed_template core_managed_templates[] = {
    {"AWS-Download-File", "1.0", "A managed job template for downloading a file.", {"LINUX"},
        {{"downloadUrl", "URL of file to download.", "(.*?)", "(.*)",
             "http://www.example.com/index.html", false},
            {"filePath", "Path on the device where downloaded file is written.", "(.*?)", "(.*)",
                "/path/to/file", false},
            RUN_AS, PATH_TO},
        4,
        HANDLER_DOC("Download-File", "download-file.sh",
            "\"args\":[\"${aws:iot:parameter:downloadUrl}\",\"${aws:iot:parameter:filePath}\"],")},
    {"AWS-Install-Application", "1.0",
        "A managed job template for installing one or more applications.", {"LINUX"},
        {LIST_PARAM("packages", "packages to install"), RUN_AS, PATH_TO}, 3,
        HANDLER_DOC("Install-Application", "install-packages.sh", ARGS1("packages"))},
    {"AWS-Reboot", "1.0", "A managed job template for rebooting the device.", {"LINUX"},
        {RUN_AS, PATH_TO}, 2, HANDLER_DOC("Reboot", "reboot.sh", "")},
    {"AWS-Remove-Application", "1.0",
        "A managed job template for uninstalling one or more applications.", {"LINUX"},
        {LIST_PARAM("packages", "packages to uninstall"), RUN_AS, PATH_TO}, 3,
        HANDLER_DOC("Remove-Application", "remove-packages.sh", ARGS1("packages"))},
    {"AWS-Restart-Application", "1.0",
        "A managed job template for restarting one or more system services.", {"LINUX"},
        {LIST_PARAM("services", "services to restart"), RUN_AS, PATH_TO}, 3,
        HANDLER_DOC("Restart-Application", "restart-services.sh", ARGS1("services"))},
    {"AWS-Run-Command", "1.0", "A managed job template for running a command.", {"LINUX"},
        {{"command", "Comma separated command to run; a comma inside the command must be escaped.",
             "(.)+", "(.)+", "ls,-l", false},
            RUN_AS},
        2,
        "{\"version\":\"1.0\",\"steps\":[{\"action\":{\"name\":\"Run-Command\",\"type\":"
        "\"runCommand\",\"input\":{\"command\":\"${aws:iot:parameter:command}\"},"
        "\"runAsUser\":\"${aws:iot:parameter:runAsUser}\"}}]}"},
    {"AWS-Start-Application", "1.0",
        "A managed job template for starting one or more system services.", {"LINUX"},
        {LIST_PARAM("services", "services to start"), RUN_AS, PATH_TO}, 3,
        HANDLER_DOC("Start-Application", "start-services.sh", ARGS1("services"))},
    {"AWS-Stop-Application", "1.0",
        "A managed job template for stopping one or more system services.", {"LINUX"},
        {LIST_PARAM("services", "services to stop"), RUN_AS, PATH_TO}, 3,
        HANDLER_DOC("Stop-Application", "stop-services.sh", ARGS1("services"))},
};

const int core_managed_count =
    (int)(sizeof(core_managed_templates) / sizeof(core_managed_templates[0]));

const struct core_managed_template *
core_managed_find(const char *name, const char *version)
{
	for (int i = 0; i < core_managed_count; i++) {
		const struct core_managed_template *t = &core_managed_templates[i];
		if (strcmp(t->name, name) == 0 &&
		    (version == NULL || strcmp(t->version, version) == 0))
			return t;
	}
	return NULL;
}

int
core_managed_from_arn(const char *arn, const struct core_managed_template **out, struct jd_error *e)
{
	const char *p, *colon;
	char name[65], version[17];
	size_t n;

	*out = NULL;
	if (strncmp(arn, "arn:aws:iot:", 12) != 0)
		return 1;
	p = strchr(arn + 12, ':'); /* end of the region */
	if (p == NULL || strncmp(p, "::jobtemplate/", 14) != 0)
		return 1;
	p += 14;
	colon = strchr(p, ':');
	n = colon != NULL ? (size_t)(colon - p) : strlen(p);
	if (n == 0 || n >= sizeof(name) || (colon != NULL && strlen(colon + 1) >= sizeof(version)))
		return jd_error_set(e, JD_ENOTFOUND, "Managed job template %.200s does not exist",
		    p);
	memcpy(name, p, n);
	name[n] = '\0';
	if (colon != NULL)
		jd_strlcpy(version, colon + 1, sizeof(version));
	*out = core_managed_find(name, colon != NULL ? version : NULL);
	if (*out == NULL)
		return jd_error_set(e, JD_ENOTFOUND, "Managed job template %s%s%s does not exist",
		    name, colon ? " version " : "", colon ? version : "");
	return 0;
}

static bool
matches(const char *re, const char *s)
{
	char full[256];
	regex_t rx;
	bool ok;

	snprintf(full, sizeof(full), "^(%s)$", re);
	if (regcomp(&rx, full, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

static const char *
value_of(const char *key, const char *const *keys, const char *const *vals, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return vals[i];
	return NULL;
}

int
core_managed_render(const struct core_managed_template *t, const char *const *keys,
    const char *const *vals, int n, char **out, struct jd_error *e)
{
	static const char ph[] = "${aws:iot:parameter:";
	struct buf b = BUF_INIT;
	const char *p;

	*out = NULL;
	for (int i = 0; i < n; i++) {
		int k;
		for (k = 0; k < t->n_params; k++)
			if (strcmp(t->params[k].key, keys[i]) == 0)
				break;
		if (k == t->n_params)
			return jd_error_set(e, JD_EINVAL,
			    "Parameter %.128s is not a parameter of managed job template %s",
			    keys[i], t->name);
		if (!matches(t->params[k].match, vals[i]))
			return jd_error_set(e, JD_EINVAL,
			    "Value of parameter %s does not match the pattern %s", keys[i],
			    t->params[k].regex);
	}
	for (int k = 0; k < t->n_params; k++)
		if (!t->params[k].optional && value_of(t->params[k].key, keys, vals, n) == NULL)
			return jd_error_set(e, JD_EINVAL,
			    "Parameter %s is required by managed job template %s", t->params[k].key,
			    t->name);
	for (p = t->document; *p;) {
		const char *q = strstr(p, ph), *end, *v;
		char key[129];
		if (q == NULL) {
			buf_puts(&b, p);
			break;
		}
		buf_append(&b, p, (size_t)(q - p));
		end = strchr(q, '}');
		if (end == NULL || (size_t)(end - q - (sizeof(ph) - 1)) >= sizeof(key)) {
			buf_puts(&b, q);
			break;
		}
		memcpy(key, q + sizeof(ph) - 1, (size_t)(end - q) - (sizeof(ph) - 1));
		key[(size_t)(end - q) - (sizeof(ph) - 1)] = '\0';
		v = value_of(key, keys, vals, n);
		if (v != NULL) {
			struct buf esc = BUF_INIT;
			jw_escape(&esc, v, strlen(v));
			/* without the quotes: the placeholder sits inside a string */
			buf_append(&b, esc.p + 1, esc.len - 2);
			buf_free(&esc);
		}
		p = end + 1;
	}
	*out = buf_steal(&b);
	if (*out == NULL)
		*out = jd_strdup("");
	return 0;
}
