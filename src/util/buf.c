/* buf.c: growable buffer, allocation helpers, streaming JSON writer. */
#include "util/buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(void)
{
	fputs("jobsd: out of memory\n", stderr);
	abort();
}

void *
jd_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
jd_calloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
jd_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
jd_strdup(const char *s)
{
	return s ? jd_strndup(s, strlen(s)) : NULL;
}

char *
jd_strndup(const char *s, size_t n)
{
	char *p = jd_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

size_t
jd_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

void
buf_grow(struct buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;

	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	b->p = jd_realloc(b->p, cap);
	b->cap = cap;
}

void
buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow(b, b->len + extra + 1);
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *
buf_cstr(struct buf *b)
{
	if (b->p == NULL)
		buf_reserve(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

char *
buf_steal(struct buf *b)
{
	char *p = b->p;

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- JSON writer ------------------------------------------------------- */

void
jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = true;
}

static inline void
sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		buf_putc(w->b, ',');
	w->first[w->depth] = false;
}

static void
open_(struct jw *w, char c)
{
	sep(w);
	buf_putc(w->b, c);
	if (w->depth + 1 < JW_DEPTH_MAX)
		w->depth++;
	w->first[w->depth] = true;
}

static void
close_(struct jw *w, char c)
{
	buf_putc(w->b, c);
	if (w->depth > 0)
		w->depth--;
}

void
jw_obj_begin(struct jw *w)
{
	open_(w, '{');
}

void
jw_obj_end(struct jw *w)
{
	close_(w, '}');
}

void
jw_arr_begin(struct jw *w)
{
	open_(w, '[');
}

void
jw_arr_end(struct jw *w)
{
	close_(w, ']');
}

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 if invalid:
 * overlongs, surrogates, code points above U+10FFFF and truncation are invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Printable ASCII other than '"' and '\\': copied as it is. */
static inline bool
jw_plain(unsigned char c)
{
	return (unsigned char)(c - 0x20) < 0x60 && c != '"' && c != '\\';
}

/*
 * Whether any of the 8 bytes at p would not pass jw_plain: below 0x20, '"',
 * '\\', or 0x80 and above. Each term sets a byte's top bit when that byte
 * is zero (x ^ c: equal to c) or below 0x20; the borrows can only mark bytes
 * above one that is marked already, so the answer is exact.
 */
static inline uint64_t
nonplain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	uint64_t x, q, s;

	memcpy(&x, p, sizeof(x));
	q = x ^ (ones * '"');
	s = x ^ (ones * '\\');
	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((s - ones) & ~s) | x) & high;
}

/* The end of the run of plain bytes of u[i..n) (eight at a time: names,
 * ARNs and documents are mostly long plain runs) */
static inline size_t
plain_run(const unsigned char *u, size_t i, size_t n)
{
	while (n - i >= 8 && nonplain8(u + i) == 0)
		i += 8;
	while (i < n && jw_plain(u[i]))
		i++;
	return i;
}

/* The output is always valid UTF-8 JSON: an invalid byte (from a query
 * value, or a message cut inside a character) becomes U+FFFD. */
void
jw_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;

	buf_reserve(b, n + 2);
	buf_putc(b, '"');
	while (i < n) {
		unsigned char c;
		size_t len;

		/* the common case: a run of printable ASCII that needs no escape */
		i = plain_run(u, i, n);
		if (i == n)
			break;
		c = u[i];
		if (c >= 0x80 && (len = utf8_seq(u + i, n - i)) != 0) {
			i += len;
			continue;
		}
		buf_append(b, s + run, i - run);
		switch (c) {
		case '"':
			buf_append(b, "\\\"", 2);
			break;
		case '\\':
			buf_append(b, "\\\\", 2);
			break;
		case '\n':
			buf_append(b, "\\n", 2);
			break;
		case '\r':
			buf_append(b, "\\r", 2);
			break;
		case '\t':
			buf_append(b, "\\t", 2);
			break;
		case '\b':
			buf_append(b, "\\b", 2);
			break;
		case '\f':
			buf_append(b, "\\f", 2);
			break;
		default:
			if (c >= 0x80) {
				buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			} else {
				char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				buf_append(b, esc, 6);
			}
		}
		i++;
		run = i;
	}
	buf_append(b, s + run, n - run);
	buf_putc(b, '"');
}

void
jw_keyn(struct jw *w, const char *k, size_t n)
{
	struct buf *b = w->b;

	sep(w);
	if (plain_run((const unsigned char *)k, 0, n) == n) {
		/* the common case, a name such as "status": copied as it is */
		if (b->len + n + 4 > b->cap)
			buf_grow(b, b->len + n + 4);
		b->p[b->len] = '"';
		memcpy(b->p + b->len + 1, k, n);
		b->p[b->len + 1 + n] = '"';
		b->p[b->len + 2 + n] = ':';
		b->len += n + 3;
		b->p[b->len] = '\0';
	} else {
		jw_escape(b, k, n);
		buf_putc(b, ':');
	}
	w->after_key = true;
}

void
jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s ? s : "", s ? strlen(s) : 0);
}

void
jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	jw_escape(w->b, s, n);
}

/* The decimal digits of v, written backwards ending at end; returns the first. */
static char *
u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/* (snprintf was ~15% of a list response's CPU: these are on every response) */
void
jw_int(struct jw *w, int64_t v)
{
	char tmp[24], *end = tmp + sizeof(tmp);
	char *p = u64_digits(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	sep(w);
	buf_append(w->b, p, (size_t)(end - p));
}

void
jw_bool(struct jw *w, bool v)
{
	sep(w);
	buf_puts(w->b, v ? "true" : "false");
}

void
jw_null(struct jw *w)
{
	sep(w);
	buf_puts(w->b, "null");
}

void
jw_raw(struct jw *w, const char *json)
{
	sep(w);
	buf_puts(w->b, json);
}

void
jw_time_ms(struct jw *w, int64_t ms)
{
	char tmp[32], *end = tmp + sizeof(tmp), *p;
	uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;

	/* sign, whole seconds, milliseconds: -1 ms is -0.001 (fuzzing finding) */
	end[-1] = (char)('0' + a % 10);
	end[-2] = (char)('0' + a / 10 % 10);
	end[-3] = (char)('0' + a / 100 % 10);
	end[-4] = '.';
	p = u64_digits(end - 4, a / 1000);
	if (ms < 0)
		*--p = '-';
	sep(w);
	buf_append(w->b, p, (size_t)(end - p));
}

void
jw_kstr_opt(struct jw *w, const char *k, const char *s)
{
	if (s != NULL && *s != '\0')
		jw_kstr(w, k, s);
}

void
jw_kraw_opt(struct jw *w, const char *k, const char *json)
{
	if (json == NULL || *json == '\0')
		return;
	jw_key(w, k);
	jw_raw(w, json);
}

void
jw_ktime_opt(struct jw *w, const char *k, int64_t ms)
{
	if (ms == 0)
		return;
	jw_key(w, k);
	jw_time_ms(w, ms);
}

void
jd_hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
jd_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}
