/*
 * fuzz_token.c: pagination tokens (api_token_make / api_token_parse in api/token.c, D9).
 *
 * Input: byte 0 picks the mode and the list kind, the rest is either a
 * token (mode 0) or the material of a cursor (modes 1 and 2).
 *   0  parse the rest as a token for the kind: never crashes, fails with
 *      JD_EINVAL and the documented message, and a token that does parse
 *      (only possible by knowing the key) re-makes to the same cursor;
 *   1  make a token from a cursor (kind, num from 8 bytes, key from the
 *      rest, truncated to fit): it is lowercase hex, fits the 512-byte
 *      buffer the API uses, parses back to the same cursor, and is refused
 *      for every other kind and under another key;
 *   2  as 1, then change one character of the token (position and value
 *      from the input): the changed token is refused.
 * The key is fixed; api_token_* need only token_key from struct svc.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "api/api_int.h"

#define TOKEN_BUF API_TOKEN_SIZE /* the API's token buffer */

static const char kinds[] = "tgmjexp";

static struct svc svc_a, svc_b;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(svc_a.token_key); i++) {
		svc_a.token_key[i] = (unsigned char)(i * 7 + 1);
		svc_b.token_key[i] = (unsigned char)(i * 7 + 2);
	}
	return 0;
}

static bool
same_cursor(const struct api_cursor *a, const struct api_cursor *b)
{
	return a->kind == b->kind && a->num == b->num && strcmp(a->key, b->key) == 0;
}

static void
expect_refused(const struct svc *s, char kind, const char *tok)
{
	struct api_cursor c;
	struct jd_error e;

	jd_error_init(&e);
	FUZZ_CHECK(api_token_parse(s, kind, tok, &c, &e) == JD_EINVAL);
	FUZZ_CHECK(e.code == JD_EINVAL);
	FUZZ_CHECK(strcmp(e.msg, "The specified nextToken is invalid or expired.") == 0);
	FUZZ_CHECK(api_token_parse(s, kind, tok, &c, NULL) == JD_EINVAL);
	jd_error_clear(&e);
}

static void
mode_parse(char kind, const uint8_t *data, size_t size)
{
	char *tok = fuzz_cstr(data, size), again[TOKEN_BUF];
	struct api_cursor c, c2;
	struct jd_error e;
	int rc;

	jd_error_init(&e);
	memset(&c, 0, sizeof(c));
	rc = api_token_parse(&svc_a, kind, tok, &c, &e);
	if (rc != 0) {
		FUZZ_CHECK(rc == JD_EINVAL && e.code == JD_EINVAL);
	} else {
		FUZZ_CHECK(c.kind == (enum api_cursor_kind)kind);
		FUZZ_CHECK(memchr(c.key, '\0', sizeof(c.key)) != NULL);
		api_token_make(&svc_a, &c, again, sizeof(again));
		FUZZ_CHECK(api_token_parse(&svc_a, kind, again, &c2, NULL) == 0);
		FUZZ_CHECK(same_cursor(&c, &c2));
	}
	jd_error_clear(&e);
	free(tok);
}

/* A cursor from the input; returns false when there is too little. */
static bool
cursor_from(char kind, const uint8_t *data, size_t size, struct api_cursor *c)
{
	uint64_t num = 0;
	size_t n;

	if (size < 8)
		return false;
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	for (int i = 0; i < 8; i++)
		num = num << 8 | data[i];
	c->num = (int64_t)num;
	n = size - 8;
	if (n > sizeof(c->key) - 1)
		n = sizeof(c->key) - 1;
	memcpy(c->key, data + 8, n);
	c->key[n] = '\0'; /* a NUL in the input shortens the key */
	return true;
}

static void
mode_make(char kind, int mode, const uint8_t *data, size_t size)
{
	char tok[TOKEN_BUF];
	struct api_cursor c, back;
	size_t tl;

	if (!cursor_from(kind, data, size, &c))
		return;
	api_token_make(&svc_a, &c, tok, sizeof(tok));
	tl = strlen(tok);
	FUZZ_CHECK(tl > 0 && tl < sizeof(tok));
	FUZZ_CHECK(strspn(tok, "0123456789abcdef") == tl);
	memset(&back, 0, sizeof(back));
	FUZZ_CHECK(api_token_parse(&svc_a, kind, tok, &back, NULL) == 0);
	FUZZ_CHECK(same_cursor(&c, &back));
	for (const char *k = kinds; *k != '\0'; k++)
		if (*k != kind)
			expect_refused(&svc_a, *k, tok);
	expect_refused(&svc_b, kind, tok);

	/* Too small a buffer: an empty token, never a truncated one. */
	{
		char small[TOKEN_BUF];

		memset(small, 'x', sizeof(small));
		api_token_make(&svc_a, &c, small, tl);
		FUZZ_CHECK(small[0] == '\0');
		api_token_make(&svc_a, &c, small, tl + 1);
		FUZZ_CHECK(strcmp(small, tok) == 0);
	}

	if (mode == 2) {
		size_t at = (size_t)data[size - 1] % tl;
		char to = (char)data[size / 2];

		if (to == tok[at])
			return;
		tok[at] = to; /* a NUL truncates the token there */
		expect_refused(&svc_a, kind, tok);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode;
	char kind;

	if (size < 1)
		return 0;
	mode = data[0] % 3;
	kind = kinds[(data[0] / 3) % 7];
	if (mode == 0)
		/* any byte as the kind the caller expects, real kinds mostly */
		mode_parse(data[0] >= 0xF0 ? (char)(data[0] & 0x7F) : kind, data + 1, size - 1);
	else
		mode_make(kind, mode, data + 1, size - 1);
	return 0;
}
