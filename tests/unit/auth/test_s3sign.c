/*
 * test_s3sign.c: the S3 signer (s3sign.c) and the outgoing credentials
 * (outgoing.c). Presigned URLs and the signed GET are compared with what
 * botocore 1.43.11 produced for the same inputs (tests/integration/s3kit.py:
 * botocore_presign, botocore_sign_get; key AKIDEXAMPLE, time
 * 2025-12-31T23:59:59Z); then the URL forms and the file's refusals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth_out_int.h"
#include "test.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define WHEN 1767225599 /* 2025-12-31T23:59:59Z */

static struct auth_out *
table(const char *text)
{
	struct auth_out *o = NULL;
	struct jd_error e;

	jd_error_init(&e);
	CHECK_EQ_INT(auth_out_parse(text, strlen(text), "test", &o, &e), 0);
	return o;
}

static void
presign_is(struct auth_out *o, const char *role, const char *url, int64_t expires, const char *want)
{
	struct buf out = BUF_INIT;
	struct jd_error e;

	jd_error_init(&e);
	CHECK_EQ_INT(auth_out_presign(o, role, url, strlen(url), WHEN, expires, &out, &e), 0);
	CHECK_EQ_STR(buf_cstr(&out), want);
	buf_free(&out);
}

TEST(presign_equals_botocore)
{
	struct auth_out *o =
	    table("default AKIDEXAMPLE " SECRET "\n"
	          "arn:aws:iam::123456789012:role/Eu AKIDEXAMPLE " SECRET " eu-west-1\n");

	presign_is(o, NULL, "https://s3.amazonaws.com/bucket/fw/v1.bin", 3600,
	    "https://s3.amazonaws.com/bucket/fw/v1.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIDEXAMPLE%2F20251231%2Fus-east-1%2Fs3%2Faws4_request&"
	    "X-Amz-Date=20251231T235959Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&"
	    "X-Amz-Signature=a4f453983bcfa8b4e925694884d7611dcc61cf0ae8ff410209c8a130884200ef");
	/* an S3-compatible store: the region is the entry's; the key is encoded as botocore
	 * quotes it ('+' escaped, '~' kept), however the URL encoded it */
	presign_is(o, "arn:aws:iam::123456789012:role/Eu",
	    "http://127.0.0.1:9000/b/dir/a%20b+c~d.bin", 60,
	    "http://127.0.0.1:9000/b/dir/a%20b%2Bc~d.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIDEXAMPLE%2F20251231%2Feu-west-1%2Fs3%2Faws4_request&"
	    "X-Amz-Date=20251231T235959Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&"
	    "X-Amz-Signature=497df982d95ed0d18892908caeed1d649dc443986a49c5555b6e99b5152d3f3c");
	presign_is(o, "arn:aws:iam::123456789012:role/Eu",
	    "http://127.0.0.1:9000/b/dir/a%20b%2bc%7Ed.bin", 60,
	    "http://127.0.0.1:9000/b/dir/a%20b%2Bc~d.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIDEXAMPLE%2F20251231%2Feu-west-1%2Fs3%2Faws4_request&"
	    "X-Amz-Date=20251231T235959Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&"
	    "X-Amz-Signature=497df982d95ed0d18892908caeed1d649dc443986a49c5555b6e99b5152d3f3c");
	/* the host's region wins over the entry's */
	presign_is(o, "arn:aws:iam::123456789012:role/Eu",
	    "https://s3.eu-central-1.amazonaws.com/bk/k", 604800,
	    "https://s3.eu-central-1.amazonaws.com/bk/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
	    "X-Amz-Credential=AKIDEXAMPLE%2F20251231%2Feu-central-1%2Fs3%2Faws4_request&"
	    "X-Amz-Date=20251231T235959Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&"
	    "X-Amz-Signature=e37f73b7ed201de2fc78b6007ee16e62c47c96189e0506000e47cc760236eb80");
	auth_out_destroy(o);
}

TEST(signed_get_equals_botocore)
{
	struct auth_out *o = table("default AKIDEXAMPLE " SECRET "\n");
	const char *url = "https://bucket.s3.eu-west-1.amazonaws.com/doc/job.json?versionId=3";
	struct auth_s3_url u;
	struct auth_s3_signed s;
	struct jd_error e;

	jd_error_init(&e);
	CHECK_EQ_INT(auth_s3_url_parse(url, strlen(url), &u), 0);
	CHECK_EQ_INT(auth_out_sign_get(o, NULL, &u, WHEN, &s, &e), 0);
	CHECK_EQ_STR(s.amz_date, "20251231T235959Z");
	CHECK_EQ_STR(s.content_sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_EQ_STR(s.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251231/eu-west-1/s3/aws4_request, "
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	    "Signature=ad6d50e0ea3360c9a546114a6a96aaaa7599fe7711c101bce7a026efb741b715");
	auth_out_destroy(o);
}

static void
url_ok(const char *url, const char *authority, int port, const char *path, const char *region)
{
	struct auth_s3_url u;

	CHECK_EQ_INT(auth_s3_url_parse(url, strlen(url), &u), 0);
	CHECK_EQ_STR(u.authority, authority);
	CHECK_EQ_INT(u.port, port);
	CHECK_EQ_STR(u.path, path);
	CHECK_EQ_STR(u.region, region);
}

TEST(url_forms)
{
	url_ok("https://s3.amazonaws.com/b/k", "s3.amazonaws.com", 443, "/b/k", "us-east-1");
	url_ok("https://b.s3.amazonaws.com/k", "b.s3.amazonaws.com", 443, "/k", "us-east-1");
	url_ok("https://s3.eu-west-3.amazonaws.com/b/k", "s3.eu-west-3.amazonaws.com", 443, "/b/k",
	    "eu-west-3");
	url_ok("https://b.s3.dualstack.ap-south-1.amazonaws.com/a/b",
	    "b.s3.dualstack.ap-south-1.amazonaws.com", 443, "/a/b", "ap-south-1");
	url_ok("https://s3-us-west-2.amazonaws.com/b/k", "s3-us-west-2.amazonaws.com", 443, "/b/k",
	    "us-west-2");
	url_ok("https://b.s3-external-1.amazonaws.com/k", "b.s3-external-1.amazonaws.com", 443,
	    "/k", "us-east-1");
	url_ok("https://s3.cn-north-1.amazonaws.com.cn/b/k", "s3.cn-north-1.amazonaws.com.cn", 443,
	    "/b/k", "cn-north-1");
	url_ok("HTTP://MinIO.Local:9000/b/k", "minio.local:9000", 9000, "/b/k", "");
	url_ok("https://store:443/b/k", "store", 443, "/b/k", "");
	url_ok("http://[::1]:8080/b/k", "[::1]:8080", 8080, "/b/k", "");
}

TEST(url_refusals)
{
	static const char *bad[] = {"s3://b/k", "https://", "https://host", "https://host/",
	    "https://host/bucket", "https://host/bucket/", "https://s3.amazonaws.com/b",
	    "https://b.s3.amazonaws.com/", "https://u:p@host/b/k", "https://host:0/b/k",
	    "https://host:65536/b/k", "https://host:x/b/k", "https://ho st/b/k",
	    "https://host/b/k#f", "https://host/b/k\"x", "https://host/b/k\\x",
	    "https://host/b/k\ny", "http://[zz]/b/k", "https://host/b/%00k", "ftp://host/b/k"};
	struct auth_s3_url u;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (auth_s3_url_parse(bad[i], strlen(bad[i]), &u) == 0)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(auth_s3_url_parse(bad[i], strlen(bad[i]), &u) != 0);
	}
}

TEST(outgoing_file_refusals)
{
	static const char *bad[] = {"AKID only\n", "role AKIDX secret\n", "default AK secret\n",
	    "default AKID\n", "default AKID s r extra\n", "default AKID s bad_region!\n",
	    "default AKID s\ndefault AKID2 s\n",
	    "arn:aws:iam::1:role/aaaa AKID s\narn:aws:iam::1:role/aaaa AKID2 s\n",
	    "default AKID s\xc3\xa9\n"};
	struct auth_out *o;
	struct jd_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jd_error_init(&e);
		CHECK_EQ_INT(auth_out_parse(bad[i], strlen(bad[i]), "f", &o, &e), JD_EINVAL);
		CHECK(strncmp(e.msg, "f", 1) == 0);
		CHECK(strstr(e.msg, "secret") == NULL || strstr(e.msg, "s\xc3") == NULL);
		CHECK(o == NULL);
	}
}

TEST(roles_and_default)
{
	struct auth_out *o = table("# comment\n\n  arn:aws:iam::123456789012:role/A AKIDA sa\n"
	                           "arn:aws:iam::123456789012:role/B AKIDB sb us-west-1\r\n");
	struct buf out = BUF_INIT;
	struct jd_error e;

	jd_error_init(&e);
	CHECK_EQ_INT((int)auth_out_count(o), 2);
	CHECK(auth_out_has(o, "arn:aws:iam::123456789012:role/A"));
	CHECK(!auth_out_has(o, "arn:aws:iam::123456789012:role/C"));
	CHECK(!auth_out_has(o, NULL));
	CHECK(!auth_out_has(NULL, "arn:aws:iam::123456789012:role/A"));
	CHECK_EQ_INT(auth_out_presign(o, "arn:aws:iam::123456789012:role/C",
	                 "https://s3.amazonaws.com/b/k", 28, WHEN, 60, &out, &e),
	    JD_EINVAL);
	CHECK(out.len == 0);
	CHECK(strstr(e.msg, "role/C") != NULL);
	auth_out_destroy(o);
	o = table("default AKIDD sd\n");
	CHECK(auth_out_has(o, "arn:aws:iam::123456789012:role/C"));
	CHECK(auth_out_has(o, NULL));
	auth_out_destroy(o);
	buf_free(&out);
}

TEST(outgoing_file_reload)
{
	char path[] = "/tmp/jobsd-outgoing-XXXXXX";
	int fd = mkstemp(path);
	struct auth_out *o = NULL;
	struct jd_error e;
	FILE *f;

	jd_error_init(&e);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("arn:aws:iam::123456789012:role/A AKIDA sa\n", f);
	fclose(f);
	CHECK_EQ_INT(auth_out_create(path, &o, &e), 0);
	CHECK(!auth_out_has(o, "arn:aws:iam::123456789012:role/B"));
	f = fopen(path, "w");
	fputs("arn:aws:iam::123456789012:role/B AKIDB sb\n", f);
	fclose(f);
	CHECK_EQ_INT(auth_out_reload(o, &e), 0);
	CHECK(auth_out_has(o, "arn:aws:iam::123456789012:role/B"));
	CHECK(!auth_out_has(o, "arn:aws:iam::123456789012:role/A"));
	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	CHECK_EQ_INT(auth_out_reload(o, &e), JD_EINVAL); /* the entries in force stay */
	CHECK(auth_out_has(o, "arn:aws:iam::123456789012:role/B"));
	auth_out_destroy(o);
	unlink(path);
	CHECK_EQ_INT(auth_out_create(path, &o, &e), JD_EINVAL);
}

int
main(void)
{
	RUN(presign_equals_botocore);
	RUN(signed_get_equals_botocore);
	RUN(url_forms);
	RUN(url_refusals);
	RUN(outgoing_file_refusals);
	RUN(roles_and_default);
	RUN(outgoing_file_reload);
	return test_report();
}
