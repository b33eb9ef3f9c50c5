/*
 * mqtt_epoll.c: the light MQTT client of the load generator (mqtt_epoll.h):
 * the packet codec, then the buffered non-blocking connection.
 */
#include "mqtt_epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- codec ---------------------------------------------------------------- */

/* Remaining length as MQTT's variable byte integer; returns its size. */
static size_t
varint_put(uint8_t *out, size_t v)
{
	size_t n = 0;

	do {
		uint8_t b = (uint8_t)(v % 128);
		v /= 128;
		out[n++] = (uint8_t)(b | (v > 0 ? 0x80 : 0));
	} while (v > 0);
	return n;
}

static size_t
varint_len(size_t v)
{
	return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

/* Fixed header + body of body_len bytes; returns the header size, or 0 if the
 * whole packet does not fit in cap. */
static size_t
header(uint8_t *out, size_t cap, uint8_t first, size_t body_len)
{
	size_t h = 1 + varint_len(body_len);

	if (body_len > 268435455u || h + body_len > cap)
		return 0;
	out[0] = first;
	varint_put(out + 1, body_len);
	return h;
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
putstr(uint8_t *p, const char *s, size_t n)
{
	p = put16(p, (uint16_t)n);
	memcpy(p, s, n);
	return p + n;
}

size_t
mq_enc_connect(uint8_t *out, size_t cap, int version, const char *client_id, uint16_t keepalive_s)
{
	return mq_enc_connect_auth(out, cap, version, client_id, keepalive_s, NULL, NULL);
}

size_t
mq_enc_connect_auth(uint8_t *out, size_t cap, int version, const char *client_id,
    uint16_t keepalive_s, const char *username, const char *password)
{
	size_t id = strlen(client_id), user = username ? strlen(username) : 0,
	       pass = password ? strlen(password) : 0, body, h;
	uint8_t *p, flags = 0x02; /* clean session / clean start */

	if (id > 65535 || user > 65535 || pass > 65535 || (password != NULL && username == NULL) ||
	    (version != MQ_V311 && version != MQ_V5))
		return 0;
	body = 10 + (version == MQ_V5 ? 1 : 0) + 2 + id;
	if (username != NULL) {
		flags |= 0x80;
		body += 2 + user;
	}
	if (password != NULL) {
		flags |= 0x40;
		body += 2 + pass;
	}
	if ((h = header(out, cap, MQ_CONNECT << 4, body)) == 0)
		return 0;
	p = putstr(out + h, "MQTT", 4);
	*p++ = (uint8_t)version;
	*p++ = flags;
	p = put16(p, keepalive_s);
	if (version == MQ_V5)
		*p++ = 0; /* no properties */
	p = putstr(p, client_id, id);
	if (username != NULL)
		p = putstr(p, username, user);
	if (password != NULL)
		putstr(p, password, pass);
	return h + body;
}

size_t
mq_enc_subscribe(uint8_t *out, size_t cap, int version, uint16_t pid, const char *filter, int qos,
    int opts)
{
	size_t f = strlen(filter), body, h;
	uint8_t *p;

	if (f == 0 || f > 65535 || qos < 0 || qos > 2 || pid == 0)
		return 0;
	body = 2 + (version == MQ_V5 ? 1 : 0) + 2 + f + 1;
	if ((h = header(out, cap, (MQ_SUBSCRIBE << 4) | 0x02, body)) == 0)
		return 0;
	p = put16(out + h, pid);
	if (version == MQ_V5)
		*p++ = 0;
	p = putstr(p, filter, f);
	*p = (uint8_t)(qos | (version == MQ_V5 ? (opts & ~3) : 0));
	return h + body;
}

size_t
mq_enc_publish(uint8_t *out, size_t cap, int version, const char *topic, const void *payload,
    size_t len, int qos, uint16_t pid)
{
	size_t t = strlen(topic), body, h;
	uint8_t *p;

	if (t == 0 || t > 65535 || qos < 0 || qos > 1 || (qos == 1 && pid == 0))
		return 0;
	body = 2 + t + (qos ? 2 : 0) + (version == MQ_V5 ? 1 : 0) + len;
	if ((h = header(out, cap, (uint8_t)((MQ_PUBLISH << 4) | (qos << 1)), body)) == 0)
		return 0;
	p = putstr(out + h, topic, t);
	if (qos)
		p = put16(p, pid);
	if (version == MQ_V5)
		*p++ = 0;
	if (len > 0)
		memcpy(p, payload, len);
	return h + body;
}

size_t
mq_enc_puback(uint8_t *out, size_t cap, uint16_t pid)
{
	if (cap < 4)
		return 0;
	out[0] = MQ_PUBACK << 4;
	out[1] = 2;
	put16(out + 2, pid);
	return 4;
}

size_t
mq_enc_pingreq(uint8_t *out, size_t cap)
{
	if (cap < 2)
		return 0;
	out[0] = MQ_PINGREQ << 4;
	out[1] = 0;
	return 2;
}

size_t
mq_enc_disconnect(uint8_t *out, size_t cap)
{
	if (cap < 2)
		return 0;
	out[0] = MQ_DISCONNECT << 4;
	out[1] = 0;
	return 2;
}

/* Variable byte integer at in (n bytes): *v and its size; 0 = incomplete,
 * -1 = malformed (more than 4 bytes). */
static int
varint_get(const uint8_t *in, size_t n, size_t *v)
{
	size_t mult = 1, val = 0;

	for (size_t i = 0; i < 4; i++) {
		if (i >= n)
			return 0;
		val += (size_t)(in[i] & 0x7f) * mult;
		if ((in[i] & 0x80) == 0) {
			*v = val;
			return (int)i + 1;
		}
		mult *= 128;
	}
	return -1;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Skip MQTT 5 properties at *p within end; -1 if they overrun. */
static int
skip_props(const uint8_t **p, const uint8_t *end)
{
	size_t len;
	int k = varint_get(*p, (size_t)(end - *p), &len);

	if (k <= 0 || len > (size_t)(end - *p - k))
		return -1;
	*p += (size_t)k + len;
	return 0;
}

/* A CONNACK's properties (at p, within end): the receive maximum (0x21) is
 * kept, the others skipped by their type. */
static int
connack_props(const uint8_t *p, const uint8_t *end, struct mq_pkt *pk)
{
	size_t len;
	int k = varint_get(p, (size_t)(end - p), &len);
	const uint8_t *q, *stop;

	if (k <= 0 || len > (size_t)(end - p - k))
		return -1;
	q = p + k;
	stop = q + len;
	while (q < stop) {
		uint8_t id = *q++;
		size_t skip;
		switch (id) {
		case 0x24:
		case 0x25:
		case 0x28:
		case 0x29:
		case 0x2a: /* byte */
			skip = 1;
			break;
		case 0x13:
		case 0x21:
		case 0x22: /* two-byte integer */
			if (stop - q < 2)
				return -1;
			if (id == 0x21)
				pk->recv_max = get16(q);
			skip = 2;
			break;
		case 0x11:
		case 0x27: /* four-byte integer */
			skip = 4;
			break;
		case 0x12:
		case 0x15:
		case 0x16:
		case 0x1a:
		case 0x1c:
		case 0x1f: /* string, binary */
			if (stop - q < 2)
				return -1;
			skip = 2 + (size_t)get16(q);
			break;
		case 0x26: /* user property: two strings */
			if (stop - q < 2 || (size_t)(stop - q) < 4 + (size_t)get16(q))
				return -1;
			skip = 2 + (size_t)get16(q);
			skip += 2 + (size_t)get16(q + skip);
			break;
		default:
			return -1;
		}
		if ((size_t)(stop - q) < skip)
			return -1;
		q += skip;
	}
	return 0;
}

long
mq_parse(const uint8_t *in, size_t n, int version, struct mq_pkt *pk)
{
	size_t rl;
	int k;
	const uint8_t *p, *end;

	if (n < 2)
		return 0;
	if ((k = varint_get(in + 1, n - 1, &rl)) < 0)
		return -1;
	if (k == 0)
		return 0;
	if (rl > MQ_PACKET_MAX)
		return -1;
	if (n < 1 + (size_t)k + rl)
		return 0;
	memset(pk, 0, sizeof(*pk));
	pk->type = in[0] >> 4;
	p = in + 1 + k;
	end = p + rl;
	switch (pk->type) {
	case MQ_CONNACK:
		if (rl < 2)
			return -1;
		pk->code = p[1];
		if (version == MQ_V5 && rl > 2 && connack_props(p + 2, end, pk) != 0)
			return -1;
		break;
	case MQ_PUBLISH: {
		size_t tl;
		pk->qos = (in[0] >> 1) & 3;
		pk->retain = in[0] & 1;
		pk->dup = (in[0] >> 3) & 1;
		if (pk->qos > 2 || end - p < 2)
			return -1;
		tl = get16(p);
		p += 2;
		if ((size_t)(end - p) < tl)
			return -1;
		pk->topic = (const char *)p;
		pk->topic_len = tl;
		p += tl;
		if (pk->qos > 0) {
			if (end - p < 2)
				return -1;
			pk->pid = get16(p);
			p += 2;
		}
		if (version == MQ_V5 && skip_props(&p, end) != 0)
			return -1;
		pk->payload = p;
		pk->payload_len = (size_t)(end - p);
		break;
	}
	case MQ_PUBACK:
		if (rl < 2)
			return -1;
		pk->pid = get16(p);
		pk->code = rl > 2 ? p[2] : 0;
		break;
	case MQ_SUBACK:
		if (rl < 3)
			return -1;
		pk->pid = get16(p);
		p += 2;
		if (version == MQ_V5 && skip_props(&p, end) != 0)
			return -1;
		if (p >= end)
			return -1;
		pk->code = *p;
		break;
	case MQ_PINGRESP:
		break;
	case MQ_DISCONNECT:
		pk->code = rl > 0 ? p[0] : 0;
		break;
	default:
		return -1;
	}
	return (long)(1 + (size_t)k + rl);
}

/* ---- connection ---------------------------------------------------------- */

static void
reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	*buf = realloc(*buf, c);
	if (*buf == NULL)
		abort();
	*cap = c;
}

int
mq_conn_open(struct mq_conn *c, const struct sockaddr *src, socklen_t srclen,
    const struct sockaddr *dst, socklen_t dstlen, int version, const char *client_id,
    uint16_t keepalive_s)
{
	return mq_conn_open_auth(c, src, srclen, dst, dstlen, version, client_id, keepalive_s, NULL,
	    NULL);
}

int
mq_conn_open_auth(struct mq_conn *c, const struct sockaddr *src, socklen_t srclen,
    const struct sockaddr *dst, socklen_t dstlen, int version, const char *client_id,
    uint16_t keepalive_s, const char *username, const char *password)
{
	int one = 1;
	uint8_t pkt[1024];
	size_t n;

	memset(c, 0, sizeof(*c));
	c->version = version;
	c->next_pid = 1;
	c->fd = socket(dst->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src != NULL && bind(c->fd, src, srclen) != 0)
		goto fail;
	if (connect(c->fd, dst, dstlen) != 0 && errno != EINPROGRESS)
		goto fail;
	if ((n = mq_enc_connect_auth(pkt, sizeof(pkt), version, client_id, keepalive_s, username,
	         password)) == 0) {
		errno = EINVAL;
		goto fail;
	}
	mq_conn_queue(c, pkt, n);
	memset(pkt, 0, sizeof(pkt)); /* the password */
	return 0;
fail : {
	int e = errno;
	close(c->fd);
	c->fd = -1;
	errno = e;
	return -1;
}
}

void
mq_conn_queue(struct mq_conn *c, const void *p, size_t n)
{
	reserve(&c->wbuf, &c->wcap, c->wlen + n);
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
}

void
mq_conn_publish(struct mq_conn *c, const char *topic, const char *payload, int qos)
{
	size_t len = strlen(payload), need = strlen(topic) + len + 16, n;
	uint16_t pid = 0;

	if (qos > 0) {
		pid = c->next_pid++;
		if (c->next_pid == 0)
			c->next_pid = 1;
	}
	reserve(&c->wbuf, &c->wcap, c->wlen + need);
	n = mq_enc_publish(c->wbuf + c->wlen, c->wcap - c->wlen, c->version, topic, payload, len,
	    qos, pid);
	c->wlen += n;
}

int
mq_conn_flush(struct mq_conn *c, int *pending)
{
	while (c->woff < c->wlen) {
		ssize_t w = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)
				break;
			return -1;
		}
		c->woff += (size_t)w;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (pending != NULL)
		*pending = c->wlen > 0;
	return 0;
}

/* Parse every complete packet of buf[0..n); returns the bytes consumed or -1. */
static long
parse_all(struct mq_conn *c, const uint8_t *buf, size_t n,
    int (*fn)(void *arg, const struct mq_pkt *p), void *arg)
{
	size_t off = 0;

	for (;;) {
		struct mq_pkt pk;
		long k = mq_parse(buf + off, n - off, c->version, &pk);
		if (k < 0)
			return -1;
		if (k == 0)
			return (long)off;
		if (fn(arg, &pk) != 0)
			return -1;
		off += (size_t)k;
	}
}

/*
 * Reads go to one scratch buffer per thread; a connection keeps only the
 * bytes of an incomplete packet (rbuf), so idle connections hold no buffer.
 */
#define SCRATCH 65536

int
mq_conn_read(struct mq_conn *c, int (*fn)(void *arg, const struct mq_pkt *p), void *arg)
{
	static _Thread_local uint8_t scratch[SCRATCH];

	for (;;) {
		ssize_t r = read(c->fd, scratch, sizeof(scratch));
		const uint8_t *buf = scratch;
		size_t n = (size_t)r;
		long used;

		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (c->rlen > 0) { /* the rest of a packet begun earlier */
			reserve(&c->rbuf, &c->rcap, c->rlen + n);
			memcpy(c->rbuf + c->rlen, scratch, n);
			c->rlen += n;
			buf = c->rbuf;
			n = c->rlen;
		}
		if ((used = parse_all(c, buf, n, fn, arg)) < 0)
			return -1;
		if (buf == c->rbuf) {
			memmove(c->rbuf, c->rbuf + used, n - (size_t)used);
			c->rlen = n - (size_t)used;
		} else if ((size_t)used < n) {
			reserve(&c->rbuf, &c->rcap, n - (size_t)used);
			memcpy(c->rbuf, buf + used, n - (size_t)used);
			c->rlen = n - (size_t)used;
		}
		if (c->rlen == 0 && c->rcap > SCRATCH) {
			free(c->rbuf);
			c->rbuf = NULL;
			c->rcap = 0;
		}
		if ((size_t)r < sizeof(scratch))
			return 0; /* drained: level-triggered epoll calls again */
	}
}

void
mq_conn_close(struct mq_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->rlen = c->rcap = c->wlen = c->wcap = c->woff = 0;
}
