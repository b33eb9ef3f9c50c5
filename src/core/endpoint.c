/*
 * endpoint.c: the endpoint types of DescribeEndpoint and the grammar of the
 * --public-endpoint option that says which public address answers for each
 * (config.c validates it at start; api/ looks a type up per request).
 * Pure: no I/O.
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

static const char *const types[] = {"iot:Data", "iot:Data-ATS", "iot:Jobs",
    "iot:CredentialProvider"};

const char *
core_endpoint_type(const char *s)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i]) == 0)
			return types[i];
	return NULL;
}

/* Whether s[0..n) is HOST[:PORT] as the option allows. */
static bool
valid_addr(const char *s, size_t n)
{
	size_t host = 0;

	while (host < n && s[host] != ':') {
		char c = s[host];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '.' || c == '-'))
			return false;
		host++;
	}
	if (host == 0 || host > 253)
		return false;
	if (host < n) {
		long port = 0;
		size_t i = host + 1;
		if (i == n || n - i > 5)
			return false;
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			port = port * 10 + (s[i] - '0');
		}
		if (port < 1 || port > 65535)
			return false;
	}
	return true;
}

int
core_endpoint_lookup(const char *spec, const char *type, char *out, size_t n)
{
	const char *p = spec;
	int found = 1;

	if (spec == NULL || spec[0] == '\0')
		return 1;
	if (strchr(spec, '=') == NULL) { /* one address for every type */
		if (!valid_addr(spec, strlen(spec)))
			return JD_EINVAL;
		if (type != NULL && out != NULL)
			jd_strlcpy(out, spec, n);
		return type != NULL ? 0 : 1;
	}
	while (*p != '\0') {
		const char *end = strchr(p, ','), *eq;
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char name[32];
		const char *canon;

		eq = memchr(p, '=', len);
		if (eq == NULL || (size_t)(eq - p) >= sizeof(name))
			return JD_EINVAL;
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		canon = core_endpoint_type(name);
		if (canon == NULL || !valid_addr(eq + 1, len - (size_t)(eq + 1 - p)))
			return JD_EINVAL;
		if (type != NULL && strcmp(canon, type) == 0 && found == 1) {
			size_t alen = len - (size_t)(eq + 1 - p);
			if (out != NULL && n > 0) {
				size_t c = alen < n - 1 ? alen : n - 1;
				memcpy(out, eq + 1, c);
				out[c] = '\0';
			}
			found = 0;
		}
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0')
			return JD_EINVAL;
	}
	return found;
}
