/*
 * fuzz_s3.c: the parsers of the S3 pieces (issue 11): S3 URLs
 * (auth_s3_url_parse and the presigner over them), the outgoing credentials
 * file (auth_out_parse), and HTTP responses read from an S3 server
 * (s3__parse_response).
 *
 * Input: byte 0 picks the parser, the rest is its text.
 *   0  a URL: parsing never crashes; a URL that parses presigns, and the
 *      presigned URL parses again to the same host and path, its query
 *      ending in a 64-hex-digit X-Amz-Signature;
 *   1  an outgoing credentials file: parses or fails with a message that
 *      names the file; never a crash or a leak;
 *   2  an HTTP response: parses or fails; a parsed body never exceeds the
 *      bound, and a truncated one is exactly the bound.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "auth/auth_out_int.h"
#include "s3/s3_int.h"

#define BODY_MAX 64

static struct auth_out *creds;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] = "default AKIDFUZZ fuzzsecret eu-west-1\n";
	struct jd_error e;

	(void)argc;
	(void)argv;
	jd_error_init(&e);
	if (auth_out_parse(text, sizeof(text) - 1, "fuzz", &creds, &e) != 0)
		abort();
	return 0;
}

static void
url(const char *s, size_t n)
{
	struct auth_s3_url u, again;
	struct buf out = BUF_INIT;
	struct jd_error e;
	const char *sig = NULL;

	jd_error_init(&e);
	if (auth_s3_url_parse(s, n, &u) != 0)
		return;
	FUZZ_CHECK(u.path[0] == '/');
	if (auth_out_presign(creds, NULL, s, n, 1767225599, 3600, &out, &e) != 0) {
		FUZZ_CHECK(out.len == 0);
		return;
	}
	/* the last one: the URL's own query may hold that name too */
	for (const char *f = buf_cstr(&out); (f = strstr(f, "&X-Amz-Signature=")) != NULL; f++)
		sig = f;
	FUZZ_CHECK(sig != NULL && strlen(sig) == 17 + 64);
	if (auth_s3_url_parse(out.p, out.len, &again) == 0) {
		FUZZ_CHECK(strcmp(u.authority, again.authority) == 0);
		FUZZ_CHECK(strcmp(u.path, again.path) == 0);
	}
	buf_free(&out);
}

static void
file(const char *s, size_t n)
{
	struct auth_out *o = NULL;
	struct jd_error e;

	jd_error_init(&e);
	if (auth_out_parse(s, n, "fuzzfile", &o, &e) == 0) {
		FUZZ_CHECK(o != NULL);
		(void)auth_out_has(o, "arn:aws:iam::123456789012:role/x");
		auth_out_destroy(o);
	} else {
		FUZZ_CHECK(o == NULL && strncmp(e.msg, "fuzzfile", 8) == 0);
	}
}

static void
response(const char *s, size_t n)
{
	struct s3__resp r;

	memset(&r, 0, sizeof(r));
	if (s3__parse_response(s, n, BODY_MAX, &r) == 0) {
		FUZZ_CHECK(r.status >= 100 && r.status <= 599);
		FUZZ_CHECK(r.body.len <= BODY_MAX);
	}
	FUZZ_CHECK(!r.truncated || r.body.len <= BODY_MAX);
	buf_free(&r.body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_cstr(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		url(s, size - 1);
		break;
	case 1:
		file(s, size - 1);
		break;
	default:
		response(s, size - 1);
	}
	free(s);
	return 0;
}
