/*
 * test_load.c: the load engine against an in-process loopback server.
 *
 * The server thread answers each connection on its own thread, writes every
 * response in two pieces, closes the connection every few requests (so the
 * engine must reconnect) and answers paths ending in 7 with a 500.
 */
#include "bench_load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_test.h"

#define CLOSE_EVERY 5

static int lfd = -1;

/* End of the header block in buf (NUL-terminated), or NULL. */
static char *
headers_end(char *buf)
{
	return strstr(buf, "\r\n\r\n");
}

static void *
serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg, one = 1;
	char buf[8192];
	size_t have = 0;
	unsigned served = 0;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		char *end = NULL;
		buf[have] = '\0';
		while ((end = headers_end(buf)) == NULL) {
			ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (n <= 0)
				goto out;
			have += (size_t)n;
			buf[have] = '\0';
		}
		size_t hlen = (size_t)(end - buf) + 4, blen = 0;
		const char *cl = strstr(buf, "Content-Length: ");
		if (cl != NULL && cl < end)
			blen = (size_t)atoi(cl + 16);
		while (have < hlen + blen) {
			ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		char *sp = strchr(buf, ' ');
		char *sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
		int fail = sp2 != NULL && sp2[-1] == '7';
		int close_now = ++served % CLOSE_EVERY == 0;
		char resp[256];
		int n = snprintf(resp, sizeof(resp),
		    "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: 13\r\n\r\n"
		    "{\"ok\":\"yes\"}\n",
		    fail ? "500 Internal Server Error" : "200 OK",
		    close_now ? "Connection: close\r\n" : "");
		if (send(fd, resp, (size_t)n - 20, MSG_NOSIGNAL) < 0 ||
		    send(fd, resp + n - 20, 20, MSG_NOSIGNAL) < 0)
			goto out;
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
		if (close_now)
			goto out;
	}
out:
	close(fd);
	return NULL;
}

static void *
serve(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_t th;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_create(&th, NULL, serve_conn, (void *)(intptr_t)fd);
		pthread_detach(th);
	}
}

static int
next_get(void *ctx, uint64_t seq, struct bench_req *req)
{
	uint64_t *limit = ctx;

	if (*limit != 0 && seq >= *limit)
		return 1;
	req->method = seq % 2 ? "GET" : "POST";
	snprintf(req->path, sizeof(req->path), "/things/t%llu", (unsigned long long)seq);
	if (seq % 2 == 0) {
		req->has_body = 1;
		req->body_len =
		    (size_t)snprintf(req->body, sizeof(req->body), "{\"status\":\"X\"}");
	}
	return 0;
}

static void
run(unsigned port, unsigned conns, unsigned threads, uint64_t max, uint64_t src_limit,
    struct bench_run *out)
{
	struct bench_opts o;
	struct bench_source src = {.next = next_get, .ctx = &src_limit};
	char hp[32];

	memset(&o, 0, sizeof(o));
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
	CHECK_INT(bench_addr_parse(hp, &o.addr, NULL, 0), 0);
	o.connections = conns;
	o.threads = threads;
	o.max_requests = max;
	o.duration_s = 30;
	o.hard_cap_s = 60;
	CHECK_INT(bench_load_run(&o, &src, out), 0);
}

int
main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct bench_run r;
	struct bench_opts o;
	struct bench_source src = {.next = next_get, .ctx = NULL};
	pthread_t th;
	unsigned port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 256) != 0 || getsockname(lfd, (struct sockaddr *)&sin, &len) != 0) {
		perror("listen");
		return 1;
	}
	port = ntohs(sin.sin_port);
	pthread_create(&th, NULL, serve, NULL);

	/* Count-bounded: every request answered, one 500 in each ten. */
	run(port, 8, 2, 1000, 0, &r);
	CHECK_INT(r.requests, 1000);
	CHECK_INT(r.lat.n, 1000);
	CHECK_INT(r.errors, 100);
	CHECK_INT(r.by_class[5], 100);
	CHECK_INT(r.by_class[2], 900);
	CHECK_INT(r.by_class[0], 0);
	CHECK(strstr(r.first_error, "HTTP 500") != NULL);
	CHECK(r.seconds > 0);
	CHECK(bench_lat_pct(&r.lat, 50) <= bench_lat_pct(&r.lat, 99));
	bench_run_free(&r);

	/* The source runs dry before the budget. */
	run(port, 3, 1, 0, 42, &r);
	CHECK_INT(r.requests, 42);
	CHECK_INT(r.errors, 4);
	bench_run_free(&r);

	/* More connections than requests. */
	run(port, 50, 4, 10, 0, &r);
	CHECK_INT(r.requests, 10);
	bench_run_free(&r);

	/* Duration-bounded. */
	memset(&o, 0, sizeof(o));
	{
		char hp[32];
		uint64_t none = 0;
		snprintf(hp, sizeof(hp), "127.0.0.1:%u", port);
		bench_addr_parse(hp, &o.addr, NULL, 0);
		src.ctx = &none;
		o.connections = 4;
		o.threads = 1;
		o.duration_s = 0.2;
		o.hard_cap_s = 5;
		CHECK_INT(bench_load_run(&o, &src, &r), 0);
		CHECK(r.requests > 0);
		CHECK(r.seconds >= 0.2 && r.seconds < 5);
		bench_run_free(&r);
	}

	/*
	 * Nothing listening (a port bound but not listened on refuses):
	 * connections fail and retire; the run still ends.
	 */
	shutdown(lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(lfd);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = 0;
	len = sizeof(sin);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) != 0) {
		perror("bind");
		return 1;
	}
	run(ntohs(sin.sin_port), 4, 1, 1000, 0, &r);
	CHECK_INT(r.requests, 4 * BENCH_CONN_FAILS_MAX);
	CHECK_INT(r.by_class[0], 4 * BENCH_CONN_FAILS_MAX);
	CHECK(strstr(r.first_error, "transport") != NULL);
	bench_run_free(&r);

	/* Bad options are refused. */
	o.connections = 0;
	CHECK_INT(bench_load_run(&o, &src, &r), -1);
	bench_run_free(&r);
	close(lfd);
	return test_summary();
}
