/*
 * token.c: the nextToken of list responses.
 *
 * A token is an opaque, authenticated page cursor:
 *   hex(mac) hex(payload), payload = KIND NUM "|" KEY
 * where KIND is the list's cursor byte (enum api_cursor_kind), NUM the
 * cursor's integer in decimal, KEY its string, and mac the first 12 bytes
 * of HMAC-SHA256(svc token key, payload). The key lives in the store, so
 * tokens survive a restart; a token of another list, another key or with
 * any byte changed is refused. The format is what clients hold between
 * pages: it must not change.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/buf.h"

#define TOKEN_MAC 12 /* bytes of the HMAC kept in the token */

static void
token_mac(const struct svc *s, const char *payload, size_t n, unsigned char mac[TOKEN_MAC])
{
	unsigned char full[AUTH_HMAC_SHA256_SIZE];

	auth_hmac_sha256(s->token_key, sizeof(s->token_key), payload, n, full);
	memcpy(mac, full, TOKEN_MAC);
}

void
api_token_make(const struct svc *s, const struct api_cursor *c, char *out, size_t outsz)
{
	char payload[sizeof(c->key) + 40];
	unsigned char mac[TOKEN_MAC];
	int n = snprintf(payload, sizeof(payload), "%c%lld|%s", (char)c->kind, (long long)c->num,
	    c->key);

	token_mac(s, payload, (size_t)n, mac);
	if (outsz < (size_t)n * 2 + TOKEN_MAC * 2 + 1) {
		out[0] = '\0';
		return;
	}
	jd_hex_encode(mac, TOKEN_MAC, out);
	jd_hex_encode((const unsigned char *)payload, (size_t)n, out + TOKEN_MAC * 2);
}

int
api_token_parse(const struct svc *s, enum api_cursor_kind kind, const char *token,
    struct api_cursor *c, struct jd_error *e)
{
	size_t token_len = strlen(token), payload_len;
	unsigned char mac[TOKEN_MAC], want[TOKEN_MAC];
	char payload[sizeof(c->key) + 40];
	char *bar, *end;

	if (token_len < TOKEN_MAC * 2 + 4 || token_len % 2 != 0 ||
	    (token_len - TOKEN_MAC * 2) / 2 >= sizeof(payload))
		goto bad;
	for (size_t i = 0; i < token_len; i += 2) {
		int hi = jd_hex_value(token[i]), lo = jd_hex_value(token[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		unsigned char v = (unsigned char)(hi << 4 | lo);
		if (i < TOKEN_MAC * 2)
			mac[i / 2] = v;
		else
			payload[(i - TOKEN_MAC * 2) / 2] = (char)v;
	}
	payload_len = (token_len - TOKEN_MAC * 2) / 2;
	payload[payload_len] = '\0';
	token_mac(s, payload, payload_len, want);
	if (!auth_equal(mac, want, TOKEN_MAC) || payload[0] != (char)kind ||
	    strlen(payload) != payload_len)
		goto bad;
	bar = strchr(payload + 1, '|');
	if (bar == NULL)
		goto bad;
	*bar = '\0';
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->num = strtoll(payload + 1, &end, 10);
	if (*end != '\0')
		goto bad;
	jd_strlcpy(c->key, bar + 1, sizeof(c->key));
	return 0;
bad:
	return jd_error_set(e, JD_EINVAL, "The specified nextToken is invalid or expired.");
}
