/*
 * h_endpoint.c: DescribeEndpoint, the addresses devices and scripts should
 * connect to, by endpoint type.
 *
 * What --public-endpoint names for a type wins. Otherwise: iot:Jobs and
 * iot:CredentialProvider answer the data listener (the control listener
 * when there is none); iot:Data and iot:Data-ATS answer the MQTT broker
 * when there is one (--mqtt: devices speak MQTT there), else as iot:Jobs.
 * A listener bound to every address (0.0.0.0) is answered with this
 * host's name. No endpointType is iot:Data, as AWS. The address is
 * HOST:PORT (AWS's has no port: its ports are the well-known ones).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* HOST:PORT of listener idx into out[n]. */
static void
listener_addr(const struct api *a, int idx, char *out, size_t n)
{
	char host[256];

	jd_strlcpy(host, a->listen_host[idx], sizeof(host));
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0) {
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			jd_strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
	}
	snprintf(out, n, "%s:%d", host, a->port[idx]);
}

void
api_h_describe_endpoint(struct api_req *r)
{
	const struct api_config *cfg = &r->api->cfg;
	const char *given = api_query(r, "endpointType"), *type = "iot:Data";
	char addr[320];
	struct jw w;

	if (given != NULL && given[0] != '\0') {
		if (strlen(given) > 128 || (type = core_endpoint_type(given)) == NULL) {
			api_fail(r, JD_EINVAL,
			    "Endpoint type %.128s is not supported; use one of " CORE_ENDPOINT_TYPES,
			    given);
			return;
		}
	}
	if (core_endpoint_lookup(cfg->public_endpoint, type, addr, sizeof(addr)) != 0) {
		bool data = r->api->port[1] != 0;
		if ((strcmp(type, "iot:Data") == 0 || strcmp(type, "iot:Data-ATS") == 0) &&
		    cfg->mqtt_endpoint != NULL && cfg->mqtt_endpoint[0] != '\0')
			jd_strlcpy(addr, cfg->mqtt_endpoint, sizeof(addr));
		else
			listener_addr(r->api, data ? 1 : 0, addr, sizeof(addr));
	}
	api_json_begin(r, &w);
	jw_obj_begin(&w);
	jw_kstr(&w, "endpointAddress", addr);
	jw_obj_end(&w);
}
