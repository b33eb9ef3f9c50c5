/* Unit tests of util/buf: the growable buffer and the streaming JSON writer. */
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/buf.h"

static char *
escaped(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	jw_escape(&b, s, n);
	return buf_steal(&b);
}

/* jansson must read the escaped text back as a string equal to want. */
static void
check_round_trip(const char *s, size_t n, const char *want)
{
	char *e = escaped(s, n);
	json_error_t je;
	json_t *v = json_loadb(e, strlen(e), JSON_DECODE_ANY, &je);

	CHECK(v != NULL);
	CHECK(json_is_string(v));
	CHECK_EQ_STR(json_string_value(v), want);
	json_decref(v);
	free(e);
}

TEST(escape_ascii_and_controls)
{
	char *e = escaped("a\"b\\c\n\x01", 7);
	CHECK_EQ_STR(e, "\"a\\\"b\\\\c\\n\\u0001\"");
	free(e);
	check_round_trip("tab\there", 8, "tab\there");
}

TEST(escape_keeps_valid_utf8)
{
	check_round_trip("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(escape_replaces_invalid_utf8)
{
	/* a lone byte, a truncated sequence, an overlong, a surrogate: each U+FFFD */
	check_round_trip("\xff", 1, "\xef\xbf\xbd");
	check_round_trip("a\xc3", 2, "a\xef\xbf\xbd");
	check_round_trip("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	check_round_trip("\xed\xa0\x80x", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
	check_round_trip("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

/* How jw_escape must write the one byte c amid plain ASCII (written
 * independently of it: the short escapes from a table) */
static void
escape_one(struct buf *b, unsigned char c)
{
	static const char from[] = "\"\\\n\r\t\b\f", to[] = "\"\\nrtbf";
	const char *k = c != 0 ? strchr(from, c) : NULL;

	if (k != NULL)
		buf_printf(b, "\\%c", to[k - from]);
	else if (c < 0x20)
		buf_printf(b, "\\u%04x", c);
	else if (c >= 0x80)
		buf_puts(b, "\xef\xbf\xbd"); /* a lone byte is never UTF-8 */
	else
		buf_putc(b, (char)c);
}

/* Every byte value at every position of plain strings of 1 to 24 bytes, as
 * a value and as a key: the plain runs are scanned eight bytes at a time,
 * so a byte that needs escaping must be found in a word and in the tail */
TEST(escape_every_byte_at_every_position)
{
	char s[24];
	int bad = 0;

	for (size_t n = 1; n <= sizeof(s); n++) {
		for (size_t at = 0; at < n; at++) {
			for (int c = 0; c < 256; c++) {
				struct buf want = BUF_INIT, got = BUF_INIT, key = BUF_INIT;
				struct jw w;

				memset(s, 'a' + (int)(n % 26), n);
				s[at] = (char)c;
				buf_putc(&want, '"');
				buf_append(&want, s, at);
				escape_one(&want, (unsigned char)c);
				buf_append(&want, s + at + 1, n - at - 1);
				buf_putc(&want, '"');
				jw_escape(&got, s, n);
				bad += strcmp(buf_cstr(&got), buf_cstr(&want)) != 0;
				jw_init(&w, &key);
				jw_keyn(&w, s, n);
				buf_putc(&want, ':');
				bad += strcmp(buf_cstr(&key), buf_cstr(&want)) != 0;
				buf_free(&want);
				buf_free(&got);
				buf_free(&key);
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
}

TEST(writer_objects_and_times)
{
	struct buf b = BUF_INIT;
	struct jw w;

	jw_init(&w, &b);
	jw_obj_begin(&w);
	jw_kstr(&w, "a", "x");
	jw_key(&w, "l");
	jw_arr_begin(&w);
	jw_int(&w, -5);
	jw_bool(&w, true);
	jw_null(&w);
	jw_arr_end(&w);
	jw_ktime_opt(&w, "t", 1717243200123);
	jw_ktime_opt(&w, "absent", 0);
	jw_kstr_opt(&w, "empty", "");
	jw_obj_end(&w);
	CHECK_EQ_STR(buf_cstr(&b), "{\"a\":\"x\",\"l\":[-5,true,null],\"t\":1717243200.123}");
	buf_free(&b);
}

TEST(negative_times)
{
	struct buf b = BUF_INIT;
	struct jw w;

	jw_init(&w, &b);
	jw_arr_begin(&w);
	jw_time_ms(&w, -1);
	jw_time_ms(&w, -1500);
	jw_time_ms(&w, 0);
	jw_arr_end(&w);
	CHECK_EQ_STR(buf_cstr(&b), "[-0.001,-1.500,0.000]");
	buf_free(&b);
}

/* jw_int and jw_time_ms format integers by hand: the extremes, against snprintf */
TEST(integer_extremes)
{
	static const int64_t v[] = {0, 1, -1, 9, 10, 999, 1000, -1000, 123456789012345, INT64_MAX,
	    INT64_MIN, INT64_MIN + 1};
	char want[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b = BUF_INIT;
		struct jw w;
		uint64_t a = v[i] < 0 ? (uint64_t)0 - (uint64_t)v[i] : (uint64_t)v[i];

		jw_init(&w, &b);
		jw_int(&w, v[i]);
		snprintf(want, sizeof(want), "%" PRId64, v[i]);
		CHECK_EQ_STR(buf_cstr(&b), want);
		buf_free(&b);
		jw_init(&w, &b);
		jw_time_ms(&w, v[i]);
		snprintf(want, sizeof(want), "%s%" PRIu64 ".%03" PRIu64, v[i] < 0 ? "-" : "",
		    a / 1000, a % 1000);
		CHECK_EQ_STR(buf_cstr(&b), want);
		buf_free(&b);
	}
}

/* Keys: a plain name is copied as it is (jw_keyn's fast path); one that
 * needs escaping (a user's attribute name) is escaped; a key of n bytes may
 * hold a NUL. Written into a buffer that grows many times meanwhile, the
 * text stays NUL-terminated and whole (buf_append and buf_putc are inline). */
TEST(keys_plain_escaped_and_growing)
{
	struct buf b = BUF_INIT;
	struct jw w;
	char *want;
	struct buf exp = BUF_INIT;

	jw_init(&w, &b);
	jw_obj_begin(&w);
	jw_kint(&w, "status", 1);
	jw_kstr(&w, "a\"b\\c\n", "v");
	jw_kbool(&w, "", false);
	jw_keyn(&w, "x\0y", 3);
	jw_null(&w);
	jw_kstr(&w, "\xc3\xa9t\xc3\xa9", "\xff");
	jw_obj_end(&w);
	CHECK_EQ_STR(buf_cstr(&b),
	    "{\"status\":1,\"a\\\"b\\\\c\\n\":\"v\",\"\":false,\"x\\u0000y\":null,"
	    "\"\xc3\xa9t\xc3\xa9\":\"\xef\xbf\xbd\"}");
	buf_free(&b);

	jw_init(&w, &b);
	jw_arr_begin(&w);
	buf_putc(&exp, '[');
	for (int i = 0; i < 5000; i++) {
		jw_obj_begin(&w);
		jw_kint(&w, "executionNumber", i);
		jw_obj_end(&w);
		buf_printf(&exp, "%s{\"executionNumber\":%d}", i ? "," : "", i);
		CHECK_EQ_INT((int)strlen(b.p), (int)b.len);
	}
	jw_arr_end(&w);
	buf_putc(&exp, ']');
	want = buf_steal(&exp);
	CHECK_EQ_STR(buf_cstr(&b), want);
	CHECK(b.cap > b.len);
	free(want);
	buf_free(&b);
}

TEST(hex_round_trip)
{
	const unsigned char in[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[2 * sizeof(in) + 1];

	jd_hex_encode(in, sizeof(in), out);
	CHECK_EQ_STR(out, "000fa5ff");
	for (size_t i = 0; i < sizeof(in); i++)
		CHECK_EQ_INT(jd_hex_value(out[2 * i]) << 4 | jd_hex_value(out[2 * i + 1]), in[i]);
	CHECK_EQ_INT(jd_hex_value('A'), -1);
	CHECK_EQ_INT(jd_hex_value('g'), -1);
}

int
main(void)
{
	RUN(escape_ascii_and_controls);
	RUN(escape_keeps_valid_utf8);
	RUN(escape_replaces_invalid_utf8);
	RUN(escape_every_byte_at_every_position);
	RUN(writer_objects_and_times);
	RUN(keys_plain_escaped_and_growing);
	RUN(negative_times);
	RUN(integer_extremes);
	RUN(hex_round_trip);
	return test_report();
}
