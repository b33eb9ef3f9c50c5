/*
 * fuzz_json_writer.c: the streaming JSON writer (util/buf.h) against
 * jansson.
 *
 * Input: pieces separated by 0xFF (a byte never found in UTF-8). The first
 * byte of each piece is an opcode, the rest its text:
 *   op % 8: 0 string (jw_str), 1 open object, 2 open array, 3 close,
 *           4 integer (jw_int, 8 bytes of text), 5 bool, 6 null,
 *           7 string with NULs (jw_strn over all the bytes);
 *   inside an object every value's key is the piece's text (jw_key).
 * Text need not be valid UTF-8: the writer always emits valid UTF-8, each
 * byte that does not start a well-formed sequence becoming U+FFFD. The same
 * tree is built with jansson from the text so repaired (by a reference
 * written here from the Unicode tables); the writer's output must parse
 * (JSON_ALLOW_NUL) to a value json_equal to it.
 *
 * Also, on the raw input (any bytes): jw_escape's output is a quoted string
 * with no raw control byte that unescapes to exactly the repaired input and
 * that jansson decodes to the same bytes; jw_time_ms of a non-negative ms
 * is the number ms / 1000.
 */
#include <math.h>
#include <stdbool.h>

#include <jansson.h>

#include "core/core.h"
#include "fuzz.h"
#include "util/buf.h"

#define NEST_MAX 24 /* below JW_DEPTH_MAX: the writer's documented depth */

/* Unescape the JSON string jw_escape wrote (quotes included) into out
 * (size >= len); returns the byte count, or -1 if it is not of the forms
 * jw_escape writes. */
static long
unescape(const char *s, size_t len, char *out)
{
	size_t i = 1, n = 0;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -1;
	while (i < len - 1) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"')
			return -1;
		if (c != '\\') {
			out[n++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= len - 1)
			return -1;
		switch (s[i + 1]) {
		case '"':
			out[n++] = '"';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'u': {
			unsigned v;

			if (i + 6 > len - 1 || sscanf(s + i + 2, "%4x", &v) != 1 || v >= 0x20)
				return -1;
			out[n++] = (char)v;
			i += 4;
			break;
		}
		default:
			return -1;
		}
		i += 2;
	}
	return (long)n;
}

/* s (n bytes) with every byte that does not start a well-formed UTF-8
 * sequence replaced by U+FFFD (EF BF BD); malloc'd, NUL-terminated, its
 * length in *outn. */
static char *
repair(const char *s, size_t n, size_t *outn)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(3 * n + 1);
	size_t i = 0, o = 0;

	if (out == NULL)
		abort();
	while (i < n) {
		uint32_t cp;
		size_t k = fuzz_utf8_seq(p + i, n - i, &cp);

		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	*outn = o;
	return out;
}

static void
check_escape(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	size_t wn;
	char *want = repair((const char *)data, size, &wn);
	char *back = malloc(wn + 1);
	json_error_t jerr;
	json_t *j;
	long n;

	if (back == NULL)
		abort();
	jw_escape(&b, (const char *)data, size);
	FUZZ_CHECK(core_utf8_valid(b.p, b.len));
	n = unescape(b.p, b.len, back);
	FUZZ_CHECK(n == (long)wn && memcmp(back, want, wn) == 0);
	if (wn == size)
		FUZZ_CHECK(memcmp(want, data, size) == 0); /* valid UTF-8 passes through */
	j = json_loadb(b.p, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (j == NULL)
		fprintf(stderr, "jansson: %s\n", jerr.text);
	FUZZ_CHECK(j != NULL && json_is_string(j));
	FUZZ_CHECK(json_string_length(j) == wn);
	FUZZ_CHECK(memcmp(json_string_value(j), want, wn) == 0);
	json_decref(j);
	buf_free(&b);
	free(back);
	free(want);
}

static void
check_time(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	struct jw w;
	json_error_t jerr;
	json_t *a;
	uint64_t u = 0;
	int64_t ms;
	double want, got;

	if (size < 8)
		return;
	for (int i = 0; i < 8; i++)
		u = u << 8 | data[i];
	ms = (int64_t)(u & INT64_MAX); /* negative times never reach the writer */
	if (data[0] & 1)
		ms %= INT64_C(1) << 45; /* mostly plausible epoch ms */
	jw_init(&w, &b);
	jw_arr_begin(&w);
	jw_time_ms(&w, ms);
	jw_time_ms(&w, ms);
	jw_arr_end(&w);
	a = json_loadb(b.p, b.len, 0, &jerr);
	FUZZ_CHECK(a != NULL && json_array_size(a) == 2);
	FUZZ_CHECK(json_is_real(json_array_get(a, 0)));
	got = json_real_value(json_array_get(a, 0));
	want = (double)ms / 1000.0;
	FUZZ_CHECK(fabs(got - want) <= fabs(want) * 1e-15 + 1e-9);
	/* the text is exactly <seconds>.<3 digits> */
	{
		char text[40];

		snprintf(text, sizeof(text), "[%lld.%03lld,", (long long)(ms / 1000),
		    (long long)(ms % 1000));
		FUZZ_CHECK(strncmp(b.p, text, strlen(text)) == 0);
	}
	json_decref(a);
	buf_free(&b);
}

struct frame {
	json_t *v; /* the expected container (borrowed from its parent) */
	bool is_obj;
};

/* Add v (owned) to the container on top under key (objects). */
static void
add(struct frame *top, const char *key, json_t *v)
{
	if (top->is_obj)
		json_object_set_new_nocheck(top->v, key, v);
	else
		json_array_append_new(top->v, v);
}

static void
check_tree(const uint8_t *data, size_t size)
{
	struct frame stack[NEST_MAX];
	struct buf b = BUF_INIT;
	struct jw w;
	json_error_t jerr;
	json_t *root = json_object(), *got;
	int depth = 0;
	size_t at = 0;

	jw_init(&w, &b);
	jw_obj_begin(&w);
	stack[0].v = root;
	stack[0].is_obj = true;
	while (at < size) {
		const uint8_t *end = memchr(data + at, 0xFF, size - at);
		size_t plen = end ? (size_t)(end - (data + at)) : size - at;
		const char *p = (const char *)data + at + 1;
		size_t tlen = plen > 0 ? plen - 1 : 0;
		char *raw, *text;
		size_t n;
		int op;
		struct frame *top = &stack[depth];
		int64_t iv = 0;

		if (plen == 0) {
			at += 1;
			continue;
		}
		op = data[at] % 8;
		at += plen + 1;
		raw = fuzz_cstr((const uint8_t *)p, tlen); /* C string: stops at a NUL */
		text = repair(raw, strlen(raw), &n);
		if (op == 3) {
			if (depth > 0) {
				depth--;
				if (top->is_obj)
					jw_obj_end(&w);
				else
					jw_arr_end(&w);
			}
			free(raw);
			free(text);
			continue;
		}
		if ((op == 1 || op == 2) && depth + 1 >= NEST_MAX) {
			free(raw);
			free(text);
			continue;
		}
		if (top->is_obj)
			jw_key(&w, raw);
		switch (op) {
		case 0:
			jw_str(&w, raw);
			add(top, text, json_string(text));
			break;
		case 1:
		case 2: {
			json_t *c = op == 1 ? json_object() : json_array();

			add(top, text, c);
			if (op == 1)
				jw_obj_begin(&w);
			else
				jw_arr_begin(&w);
			depth++;
			stack[depth].v = c;
			stack[depth].is_obj = op == 1;
			break;
		}
		case 4:
			for (size_t i = 0; i < 8 && i < tlen; i++)
				iv = (int64_t)((uint64_t)iv << 8 | (uint8_t)p[i]);
			jw_int(&w, iv);
			add(top, text, json_integer(iv));
			break;
		case 5:
			jw_bool(&w, tlen % 2 == 1);
			add(top, text, json_boolean(tlen % 2 == 1));
			break;
		case 6:
			jw_null(&w);
			add(top, text, json_null());
			break;
		default: { /* 7 */
			char *all = repair(p, tlen, &n);

			jw_strn(&w, p, tlen);
			add(top, text, json_stringn_nocheck(all, n));
			free(all);
			break;
		}
		}
		free(raw);
		free(text);
	}
	while (depth > 0) {
		if (stack[depth--].is_obj)
			jw_obj_end(&w);
		else
			jw_arr_end(&w);
	}
	jw_obj_end(&w);

	got = json_loadb(b.p, b.len, JSON_ALLOW_NUL, &jerr);
	if (got == NULL)
		fprintf(stderr, "jansson: %s at %d in: %s\n", jerr.text, jerr.position, b.p);
	FUZZ_CHECK(got != NULL);
	FUZZ_CHECK(json_equal(got, root));
	json_decref(got);
	json_decref(root);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_escape(data, size);
	check_time(data, size);
	check_tree(data, size);
	return 0;
}
