/*
 * bench_addr.h: target address parsing for jdbench.
 *
 * jdbench only ever talks to a server on this machine: a load generator
 * pointed at someone else's host is a denial-of-service tool. Addresses are
 * numeric (or the literal "localhost"), never resolved through DNS, and
 * anything outside 127.0.0.0/8 and ::1 is refused.
 */
#ifndef JD_BENCH_ADDR_H
#define JD_BENCH_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "[ffff:...:ffff]:65535" plus NUL, with room to spare. */
#define BENCH_HOSTPORT_MAX 64

struct bench_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	/* Value for the Host header: "127.0.0.1:8080" or "[::1]:8080". */
	char hostport[BENCH_HOSTPORT_MAX];
};

/*
 * Parse "HOST:PORT" into out. Accepted forms: an optional "http://" prefix,
 * HOST as a dotted IPv4 literal, "localhost" (taken as 127.0.0.1) or a
 * bracketed IPv6 literal, PORT as a decimal 1..65535, an optional trailing
 * "/". Returns 0 on success; -1 on a malformed or non-loopback address, with
 * a message in err (err_size bytes, may be 0).
 */
int bench_addr_parse(const char *s, struct bench_addr *out, char *err, size_t err_size);

/* 1 if sa is in 127.0.0.0/8 or is ::1, else 0. Other families are 0. */
int bench_addr_is_loopback(const struct sockaddr *sa);

#endif
