/* test_mqtt_epoll.c: the light MQTT client's codec (encode, then parse what a
 * broker would send, byte for byte), and a connection over a socket pair. */
#include "mqtt_epoll.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_test.h"

static void
test_encode(void)
{
	uint8_t b[512];
	size_t n;

	/* CONNECT, MQTT 5, clean start, keep-alive 60, id "d1", no properties */
	static const uint8_t c5[] = {0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 60, 0, 0, 2,
	    'd', '1'};
	n = mq_enc_connect(b, sizeof(b), MQ_V5, "d1", 60);
	CHECK_INT(n, sizeof(c5));
	CHECK(memcmp(b, c5, sizeof(c5)) == 0);
	/* 3.1.1: no properties byte */
	n = mq_enc_connect(b, sizeof(b), MQ_V311, "d1", 60);
	CHECK_INT(n, sizeof(c5) - 1);
	CHECK_INT(b[1], 14);
	CHECK_INT(b[8], 4);
	CHECK_INT(mq_enc_connect(b, sizeof(b), 3, "d1", 60), 0);
	CHECK_INT(mq_enc_connect(b, 10, MQ_V5, "d1", 60), 0); /* does not fit */
	/* with a user name and password: flags 0xc2, both strings after the id */
	n = mq_enc_connect_auth(b, sizeof(b), MQ_V311, "d1", 0, "u", "pw");
	{
		static const uint8_t want[] = {0x10, 21, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xc2, 0, 0, 0,
		    2, 'd', '1', 0, 1, 'u', 0, 2, 'p', 'w'};
		CHECK_INT(n, sizeof(want));
		CHECK(memcmp(b, want, sizeof(want)) == 0);
	}
	CHECK_INT(mq_enc_connect_auth(b, sizeof(b), MQ_V5, "d1", 0, NULL, "pw"), 0);

	/* SUBSCRIBE pid 1, "a/#", QoS 1 + no-local (MQTT 5) */
	static const uint8_t s5[] = {0x82, 9, 0, 1, 0, 0, 3, 'a', '/', '#', 0x05};
	n = mq_enc_subscribe(b, sizeof(b), MQ_V5, 1, "a/#", 1, 0x04);
	CHECK_INT(n, sizeof(s5));
	CHECK(memcmp(b, s5, sizeof(s5)) == 0);
	n = mq_enc_subscribe(b, sizeof(b), MQ_V311, 1, "a/#", 1, 0x04);
	CHECK_INT(n, sizeof(s5) - 1);
	CHECK_INT(b[n - 1], 1); /* the options are MQTT 5 only */
	CHECK_INT(mq_enc_subscribe(b, sizeof(b), MQ_V5, 0, "a", 1, 0), 0); /* pid 0 */

	/* PUBLISH QoS 1 pid 7 topic "t" payload "xy" (MQTT 5) */
	static const uint8_t p5[] = {0x32, 8, 0, 1, 't', 0, 7, 0, 'x', 'y'};
	n = mq_enc_publish(b, sizeof(b), MQ_V5, "t", "xy", 2, 1, 7);
	CHECK_INT(n, sizeof(p5));
	CHECK(memcmp(b, p5, sizeof(p5)) == 0);
	n = mq_enc_publish(b, sizeof(b), MQ_V311, "t", "xy", 2, 0, 0);
	CHECK_INT(n, 7);
	CHECK_INT(b[0], 0x30);
	CHECK_INT(mq_enc_publish(b, sizeof(b), MQ_V5, "t", "", 0, 1, 0), 0); /* QoS 1 needs a pid */

	/* a payload of 200 bytes needs a two-byte remaining length */
	char big[200];
	memset(big, 'z', sizeof(big));
	n = mq_enc_publish(b, sizeof(b), MQ_V311, "t", big, sizeof(big), 0, 0);
	CHECK_INT(n, 1 + 2 + 3 + 200);
	CHECK_INT(b[1], (203 % 128) | 0x80);
	CHECK_INT(b[2], 203 / 128);

	static const uint8_t ack[] = {0x40, 2, 0x12, 0x34};
	CHECK_INT(mq_enc_puback(b, sizeof(b), 0x1234), 4);
	CHECK(memcmp(b, ack, 4) == 0);
	CHECK_INT(mq_enc_pingreq(b, sizeof(b)), 2);
	CHECK_INT(b[0], 0xc0);
	CHECK_INT(mq_enc_disconnect(b, sizeof(b)), 2);
	CHECK_INT(b[0], 0xe0);
}

static void
test_parse(void)
{
	struct mq_pkt p;

	/* CONNACK v5 with properties (receive maximum 100) */
	static const uint8_t ca[] = {0x20, 6, 0, 0, 3, 0x21, 0, 100};
	CHECK_INT(mq_parse(ca, sizeof(ca), MQ_V5, &p), sizeof(ca));
	CHECK_INT(p.type, MQ_CONNACK);
	CHECK_INT(p.code, 0);
	CHECK_INT(p.recv_max, 100);
	/* a topic alias maximum (2 bytes) and an assigned client id (string) first */
	static const uint8_t cb[] = {0x20, 13, 0, 0, 10, 0x22, 0, 10, 0x12, 0, 1, 'x', 0x21, 0, 7};
	CHECK_INT(mq_parse(cb, sizeof(cb), MQ_V5, &p), sizeof(cb));
	CHECK_INT(p.recv_max, 7);
	static const uint8_t cx[] = {0x20, 5, 0, 0, 2, 0x21, 0}; /* property cut short */
	CHECK_INT(mq_parse(cx, sizeof(cx), MQ_V5, &p), -1);
	static const uint8_t cr[] = {0x20, 2, 0, 5}; /* 3.1.1 not authorised */
	CHECK_INT(mq_parse(cr, sizeof(cr), MQ_V311, &p), 4);
	CHECK_INT(p.code, 5);

	/* SUBACK v5: pid 1, no properties, granted QoS 1 */
	static const uint8_t sa[] = {0x90, 4, 0, 1, 0, 1};
	CHECK_INT(mq_parse(sa, sizeof(sa), MQ_V5, &p), sizeof(sa));
	CHECK_INT(p.type, MQ_SUBACK);
	CHECK_INT(p.pid, 1);
	CHECK_INT(p.code, 1);
	static const uint8_t sr[] = {0x90, 3, 0, 1, 0x80}; /* 3.1.1 failure */
	CHECK_INT(mq_parse(sr, sizeof(sr), MQ_V311, &p), sizeof(sr));
	CHECK_INT(p.code, 0x80);

	/* PUBLISH QoS 1, retained, v5 with a property, then the payload */
	static const uint8_t pu[] = {0x33, 12, 0, 3, 'a', '/', 'b', 0, 9, 2, 0x01, 1, '{', '}'};
	CHECK_INT(mq_parse(pu, sizeof(pu), MQ_V5, &p), sizeof(pu));
	CHECK_INT(p.type, MQ_PUBLISH);
	CHECK_INT(p.qos, 1);
	CHECK_INT(p.retain, 1);
	CHECK_INT(p.pid, 9);
	CHECK_INT(p.topic_len, 3);
	CHECK(memcmp(p.topic, "a/b", 3) == 0);
	CHECK_INT(p.payload_len, 2);
	CHECK(memcmp(p.payload, "{}", 2) == 0);
	/* the same bytes read as 3.1.1: the property bytes are payload */
	CHECK_INT(mq_parse(pu, sizeof(pu), MQ_V311, &p), sizeof(pu));
	CHECK_INT(p.payload_len, 5);

	/* incomplete: every proper prefix needs more bytes */
	for (size_t k = 0; k < sizeof(pu); k++)
		CHECK_INT(mq_parse(pu, k, MQ_V5, &p), 0);
	/* malformed: a topic longer than the packet, properties past the end, an
	 * unknown type, a five-byte remaining length */
	static const uint8_t bad1[] = {0x30, 3, 0, 9, 'a'};
	CHECK_INT(mq_parse(bad1, sizeof(bad1), MQ_V311, &p), -1);
	static const uint8_t bad2[] = {0x30, 4, 0, 1, 'a', 7};
	CHECK_INT(mq_parse(bad2, sizeof(bad2), MQ_V5, &p), -1);
	static const uint8_t bad3[] = {0x10, 0};
	CHECK_INT(mq_parse(bad3, sizeof(bad3), MQ_V5, &p), -1);
	static const uint8_t bad4[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
	CHECK_INT(mq_parse(bad4, sizeof(bad4), MQ_V5, &p), -1);
	static const uint8_t bad5[] = {0x30, 0xff, 0xff, 0xff, 0x7f}; /* over MQ_PACKET_MAX */
	CHECK_INT(mq_parse(bad5, sizeof(bad5), MQ_V5, &p), -1);

	/* DISCONNECT v5 with reason "session taken over" */
	static const uint8_t dc[] = {0xe0, 1, 0x8e};
	CHECK_INT(mq_parse(dc, sizeof(dc), MQ_V5, &p), 3);
	CHECK_INT(p.type, MQ_DISCONNECT);
	CHECK_INT(p.code, 0x8e);

	/* round trip: what the encoder writes, the parser reads (as a broker's
	 * PUBLISH to a client has the same layout) */
	uint8_t b[300];
	size_t n = mq_enc_publish(b, sizeof(b), MQ_V5, "$aws/things/t/jobs/notify-next",
	    "{\"x\":1}", 7, 1, 42);
	CHECK_INT(mq_parse(b, n, MQ_V5, &p), n);
	CHECK_INT(p.pid, 42);
	CHECK_INT(p.topic_len, strlen("$aws/things/t/jobs/notify-next"));
	CHECK_INT(p.payload_len, 7);
}

struct seen {
	int n;
	int types[8];
	size_t lens[8];
};

static int
record(void *arg, const struct mq_pkt *p)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->types[s->n] = p->type;
		s->lens[s->n] = p->payload_len;
	}
	s->n++;
	return 0;
}

/* Packets split across reads, and several in one read, over a socket pair. */
static void
test_conn(void)
{
	int sv[2];
	struct mq_conn c;
	struct seen s;
	uint8_t b[8192];
	char big[5000];
	size_t n1, n2;

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	memset(&c, 0, sizeof(c));
	c.fd = sv[0];
	c.version = MQ_V5;
	c.next_pid = 1;
	memset(&s, 0, sizeof(s));
	memset(big, 'q', sizeof(big));
	n1 = mq_enc_publish(b, sizeof(b), MQ_V5, "a", big, sizeof(big), 0, 0);
	n2 = mq_enc_puback(b + n1, sizeof(b) - n1, 3);
	/* the first 100 bytes, then the rest with the PUBACK */
	CHECK_INT(write(sv[1], b, 100), 100);
	CHECK_INT(mq_conn_read(&c, record, &s), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(write(sv[1], b + 100, n1 + n2 - 100), (long)(n1 + n2 - 100));
	CHECK_INT(mq_conn_read(&c, record, &s), 0);
	CHECK_INT(s.n, 2);
	CHECK_INT(s.types[0], MQ_PUBLISH);
	CHECK_INT(s.lens[0], sizeof(big));
	CHECK_INT(s.types[1], MQ_PUBACK);
	CHECK_INT(c.rlen, 0);
	/* writes are coalesced: two publishes leave in one flush */
	int pending = 1;
	mq_conn_publish(&c, "t/1", "a", 1);
	mq_conn_publish(&c, "t/2", "b", 1);
	CHECK_INT(mq_conn_flush(&c, &pending), 0);
	CHECK_INT(pending, 0);
	struct mq_conn peer;
	memset(&peer, 0, sizeof(peer));
	peer.fd = sv[1];
	peer.version = MQ_V5;
	memset(&s, 0, sizeof(s));
	CHECK_INT(mq_conn_read(&peer, record, &s), 0);
	CHECK_INT(s.n, 2);
	/* end of stream */
	mq_conn_close(&peer);
	CHECK_INT(mq_conn_read(&c, record, &s), -1);
	mq_conn_close(&c);
}

int
main(void)
{
	test_encode();
	test_parse();
	test_conn();
	return test_summary();
}
