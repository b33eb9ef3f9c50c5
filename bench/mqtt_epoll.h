/*
 * mqtt_epoll.h: a light MQTT 3.1.1 / 5 client for the load generator.
 *
 * Two halves. The codec (mq_enc_*, mq_parse) is pure: it writes packets into
 * a caller's buffer and parses one packet from received bytes, so it is unit
 * tested without a broker (test_mqtt_epoll.c). The connection (struct
 * mq_conn) is a non-blocking socket with a read and a write buffer: packets
 * are appended to the write buffer and sent in one write() per readiness
 * event, and every packet in a read() is parsed before the next read. There
 * are no threads and no timers here: a scenario runs many connections from
 * one epoll loop (scen_fleet.c), thousands per process, where libmosquitto
 * costs a client object, a socket pair and several syscalls per packet.
 *
 * Only what a simulated device (or bench/mqtt_echo.c's responder) needs:
 * CONNECT (clean session, no will, an optional user name and password), SUBSCRIBE of one filter, PUBLISH at QoS 0 or 1 both ways,
 * PUBACK, PINGREQ, DISCONNECT. MQTT 5 properties are written empty and
 * skipped when read.
 */
#ifndef JD_BENCH_MQTT_EPOLL_H
#define JD_BENCH_MQTT_EPOLL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
	MQ_CONNECT = 1,
	MQ_CONNACK = 2,
	MQ_PUBLISH = 3,
	MQ_PUBACK = 4,
	MQ_SUBSCRIBE = 8,
	MQ_SUBACK = 9,
	MQ_PINGREQ = 12,
	MQ_PINGRESP = 13,
	MQ_DISCONNECT = 14,
};

#define MQ_V311 4
#define MQ_V5 5
/* The largest packet the parser accepts (a device's replies are small). */
#define MQ_PACKET_MAX (256 * 1024)

/* One parsed packet; pointers borrow the input bytes. */
struct mq_pkt {
	int type;
	int qos, retain, dup;
	uint16_t pid;      /* PUBLISH (qos > 0), PUBACK, SUBACK */
	int code;          /* CONNACK return/reason code, SUBACK first granted
	                         QoS or reason code, PUBACK/DISCONNECT reason (v5) */
	const char *topic; /* PUBLISH: not NUL-terminated */
	size_t topic_len;
	const uint8_t *payload; /* PUBLISH */
	size_t payload_len;
	uint16_t recv_max; /* CONNACK (v5): the broker's Receive Maximum, 0 = none sent */
};

/*
 * Encoders: each writes one packet into out (cap bytes) and returns its
 * length, or 0 when it does not fit or an argument is out of range. version
 * is MQ_V311 or MQ_V5.
 */
size_t mq_enc_connect(uint8_t *out, size_t cap, int version, const char *client_id,
    uint16_t keepalive_s);
/* The same with a user name and a password (either may be NULL; a password
 * needs a user name). */
size_t mq_enc_connect_auth(uint8_t *out, size_t cap, int version, const char *client_id,
    uint16_t keepalive_s, const char *username, const char *password);
/* One filter; opts are MQTT 5 subscription options (no-local 0x04, ...)
 * beyond the QoS, ignored with 3.1.1. */
size_t mq_enc_subscribe(uint8_t *out, size_t cap, int version, uint16_t pid, const char *filter,
    int qos, int opts);
size_t mq_enc_publish(uint8_t *out, size_t cap, int version, const char *topic, const void *payload,
    size_t len, int qos, uint16_t pid);
size_t mq_enc_puback(uint8_t *out, size_t cap, uint16_t pid);
size_t mq_enc_pingreq(uint8_t *out, size_t cap);
size_t mq_enc_disconnect(uint8_t *out, size_t cap);

/*
 * Parse one packet from in (n bytes) as received by a client of protocol
 * version. Returns its total length (> 0) and fills *p; 0 when more bytes
 * are needed; -1 when the bytes are not a packet a broker may send.
 */
long mq_parse(const uint8_t *in, size_t n, int version, struct mq_pkt *p);

/* A non-blocking connection with its buffers. */
struct mq_conn {
	int fd;
	int version;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *wbuf;
	size_t wlen, wcap, woff;
	uint16_t next_pid;
};

/*
 * Open a non-blocking TCP connection from src (may be NULL: any) to dst and
 * queue CONNECT. Returns 0 (connection in progress) or -1 with errno.
 */
int mq_conn_open(struct mq_conn *c, const struct sockaddr *src, socklen_t srclen,
    const struct sockaddr *dst, socklen_t dstlen, int version, const char *client_id,
    uint16_t keepalive_s);
/* The same with a user name and a password (mq_enc_connect_auth). */
int mq_conn_open_auth(struct mq_conn *c, const struct sockaddr *src, socklen_t srclen,
    const struct sockaddr *dst, socklen_t dstlen, int version, const char *client_id,
    uint16_t keepalive_s, const char *username, const char *password);
/* Queue bytes (a packet from an encoder) for sending. */
void mq_conn_queue(struct mq_conn *c, const void *p, size_t n);
/* Queue a PUBLISH; a QoS 1 publish gets the next packet id. */
void mq_conn_publish(struct mq_conn *c, const char *topic, const char *payload, int qos);
/* Send what is queued, as far as the socket takes it. 0, or -1 on a socket
 * error. *pending (may be NULL) gets 1 while bytes remain queued. */
int mq_conn_flush(struct mq_conn *c, int *pending);
/*
 * Read what the socket has and call fn for every complete packet. Returns 0,
 * or -1 on end of stream, a socket error or a malformed packet (fn may also
 * return -1 to stop).
 */
int mq_conn_read(struct mq_conn *c, int (*fn)(void *arg, const struct mq_pkt *p), void *arg);
/* Close the socket and free the buffers. */
void mq_conn_close(struct mq_conn *c);

#endif
