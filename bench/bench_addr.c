/*
 * bench_addr.c: "host:port" parsing and the loopback check.
 *
 * No getaddrinfo(): name resolution could quietly turn "localhost" or a
 * typo into a remote address, so only literals are accepted.
 */
#include "bench_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail(char *err, size_t err_size, const char *msg, const char *s)
{
	if (err_size > 0)
		snprintf(err, err_size, "%s: '%s'", msg, s);
	return -1;
}

static int
parse_port(const char *p, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int
bench_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return memcmp(&in6->sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
	}
	return 0;
}

int
bench_addr_parse(const char *s, struct bench_addr *out, char *err, size_t err_size)
{
	char host[INET6_ADDRSTRLEN];
	const char *p = s, *end, *host_start, *host_end, *port_start;
	unsigned port = 0;
	int v6 = 0;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	end = p + strlen(p);
	if (end > p && end[-1] == '/')
		end--;
	if (*p == '[') {
		v6 = 1;
		host_start = p + 1;
		host_end = memchr(host_start, ']', (size_t)(end - host_start));
		if (host_end == NULL || host_end + 1 >= end || host_end[1] != ':')
			return fail(err, err_size, "expected [IPV6]:PORT", s);
		port_start = host_end + 2;
	} else {
		host_start = p;
		host_end = NULL;
		for (const char *q = p; q < end; q++)
			if (*q == ':')
				host_end = q;
		if (host_end == NULL)
			return fail(err, err_size, "expected HOST:PORT", s);
		if (memchr(host_start, ':', (size_t)(host_end - host_start)) != NULL)
			return fail(err, err_size, "IPv6 addresses need brackets", s);
		port_start = host_end + 1;
	}
	if (host_end == host_start || (size_t)(host_end - host_start) >= sizeof(host))
		return fail(err, err_size, "bad host", s);
	memcpy(host, host_start, (size_t)(host_end - host_start));
	host[host_end - host_start] = '\0';
	if (parse_port(port_start, (size_t)(end - port_start), &port) != 0)
		return fail(err, err_size, "bad port (want 1..65535)", s);

	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&out->ss;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return fail(err, err_size, "bad IPv6 address", s);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		out->len = sizeof(*in6);
		snprintf(out->hostport, sizeof(out->hostport), "[%s]:%u", host, port);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)&out->ss;
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		/* inet_pton, unlike inet_aton, refuses "127.1" and octal forms. */
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return fail(err, err_size, "bad IPv4 address (no host names)", s);
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)port);
		out->len = sizeof(*in);
		snprintf(out->hostport, sizeof(out->hostport), "%s:%u", host, port);
	}
	if (!bench_addr_is_loopback((const struct sockaddr *)&out->ss)) {
		memset(out, 0, sizeof(*out));
		return fail(err, err_size, "refusing non-loopback address", s);
	}
	return 0;
}
