/* test_addr.c: HOST:PORT parsing and the loopback-only rule. */
#include "bench_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "bench_test.h"

static void
ok(const char *in, const char *hostport, int family)
{
	struct bench_addr a;
	char err[128] = "";
	int rc = bench_addr_parse(in, &a, err, sizeof(err));

	CHECK_INT(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "  input '%s': %s\n", in, err);
		return;
	}
	CHECK_STR(a.hostport, hostport);
	CHECK_INT(a.ss.ss_family, family);
	CHECK(bench_addr_is_loopback((const struct sockaddr *)&a.ss));
}

static void
bad(const char *in)
{
	struct bench_addr a;
	char err[128] = "";
	int rc = bench_addr_parse(in, &a, err, sizeof(err));

	CHECK_INT(rc, -1);
	if (rc != -1)
		fprintf(stderr, "  input '%s' was accepted\n", in);
	CHECK(err[0] != '\0');
}

static void
test_accepts(void)
{
	struct bench_addr a;

	ok("127.0.0.1:8080", "127.0.0.1:8080", AF_INET);
	ok("127.255.255.254:1", "127.255.255.254:1", AF_INET);
	ok("127.0.0.2:65535", "127.0.0.2:65535", AF_INET);
	ok("localhost:80", "127.0.0.1:80", AF_INET);
	ok("http://127.0.0.1:9000/", "127.0.0.1:9000", AF_INET);
	ok("[::1]:443", "[::1]:443", AF_INET6);
	ok("http://[0:0:0:0:0:0:0:1]:8/", "[0:0:0:0:0:0:0:1]:8", AF_INET6);

	CHECK_INT(bench_addr_parse("127.0.0.1:8080", &a, NULL, 0), 0);
	CHECK_INT(ntohs(((struct sockaddr_in *)(void *)&a.ss)->sin_port), 8080);
	CHECK_INT(a.len, sizeof(struct sockaddr_in));
}

static void
test_refuses(void)
{
	struct bench_addr a;

	bad("10.0.0.1:80");
	bad("0.0.0.0:80");
	bad("128.0.0.1:80");
	bad("126.255.255.255:80");
	bad("192.168.1.1:8080");
	bad("[::]:80");
	bad("[::2]:80");
	bad("[::ffff:10.0.0.1]:80");
	bad("[fe80::1]:80");
	bad("example.com:80");
	bad("localhost.example.com:80");
	bad("127.1:80");
	bad("0x7f.0.0.1:80");
	bad("127.0.0.1");
	bad("127.0.0.1:");
	bad("127.0.0.1:0");
	bad("127.0.0.1:65536");
	bad("127.0.0.1:123456");
	bad("127.0.0.1:80x");
	bad("127.0.0.1:-1");
	bad(":80");
	bad("::1:80");
	bad("[::1]80");
	bad("[::1]");
	bad("[::1:80");
	bad("");
	bad("https://127.0.0.1:443");
	/* No err buffer: still refused, nothing written. */
	CHECK_INT(bench_addr_parse("10.0.0.1:80", &a, NULL, 0), -1);
}

static void
test_is_loopback(void)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr un = {.sa_family = AF_UNIX};

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	inet_pton(AF_INET, "127.9.8.7", &in.sin_addr);
	CHECK(bench_addr_is_loopback((struct sockaddr *)&in));
	inet_pton(AF_INET, "172.16.0.1", &in.sin_addr);
	CHECK(!bench_addr_is_loopback((struct sockaddr *)&in));
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	CHECK(bench_addr_is_loopback((struct sockaddr *)&in6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	CHECK(!bench_addr_is_loopback((struct sockaddr *)&in6));
	CHECK(!bench_addr_is_loopback(&un));
}

int
main(void)
{
	test_accepts();
	test_refuses();
	test_is_loopback();
	return test_summary();
}
