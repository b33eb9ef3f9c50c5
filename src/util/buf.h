/*
 * buf.h: growable byte buffer and a streaming JSON writer over it.
 *
 * Responses are encoded straight into a buf (no intermediate JSON tree).
 * Allocation failure aborts (the only abort in jobsd: STYLE habit 8).
 */
#ifndef JD_UTIL_BUF_H
#define JD_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p; /* owned; NUL-terminated when len > 0 or after buf_cstr */
	size_t len;
	size_t cap;
};

#define BUF_INIT           \
	{                  \
		NULL, 0, 0 \
	}

void buf_reserve(struct buf *b, size_t extra);
/* buf_reserve's growing half: room for `need` bytes in all */
void buf_grow(struct buf *b, size_t need);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Always-valid C string view of the contents (borrowed). */
const char *buf_cstr(struct buf *b);
/* Hand the allocation to the caller (may be NULL when empty); b is emptied. */
char *buf_steal(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/* Append n bytes (buf_putc: one), keeping the contents NUL-terminated. Inline:
 * a response is encoded in thousands of these (bench/README.md "Round 10"). */
static inline void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, b->len + n + 1);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void
buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, b->len + 2);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/* Allocation helpers that abort on out-of-memory. */
void *jd_malloc(size_t n);
void *jd_calloc(size_t n, size_t m);
void *jd_realloc(void *p, size_t n);
char *jd_strdup(const char *s); /* NULL in, NULL out */
/* Lowercase hex of p[n] into out[2n + 1], NUL-terminated. */
void jd_hex_encode(const unsigned char *p, size_t n, char *out);
/* The value of one lowercase hex digit, or -1. */
int jd_hex_value(char c);
char *jd_strndup(const char *s, size_t n);
/* Bounded copy that always NUL-terminates; returns strlen(src). */
size_t jd_strlcpy(char *dst, const char *src, size_t size);

/* ---- JSON writer ------------------------------------------------------- */

#define JW_DEPTH_MAX 32

struct jw {
	struct buf *b; /* borrowed */
	int depth;
	bool after_key;
	bool first[JW_DEPTH_MAX];
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
/* A key of n bytes (jw_key: a C string; inline, so a literal's length is known) */
void jw_keyn(struct jw *w, const char *k, size_t n);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Pre-encoded JSON text, inserted as is (trusted: produced by jobsd). */
void jw_raw(struct jw *w, const char *json);
/* Epoch milliseconds as JSON number of seconds with millisecond fraction (D7). */
void jw_time_ms(struct jw *w, int64_t ms);

/* Keyed shortcuts (jw_kstr, jw_kint and jw_kbool are inline, below); the
 * *_opt forms write nothing for NULL / 0 / -1. */
void jw_kstr_opt(struct jw *w, const char *k, const char *s);    /* skip NULL or "" */
void jw_kraw_opt(struct jw *w, const char *k, const char *json); /* skip NULL or "" */
void jw_ktime_opt(struct jw *w, const char *k, int64_t ms);      /* skip 0 */
/* Escape s as a JSON string into b (with quotes). */
void jw_escape(struct buf *b, const char *s, size_t n);

static inline void
jw_key(struct jw *w, const char *k)
{
	jw_keyn(w, k, strlen(k));
}

static inline void
jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

static inline void
jw_kint(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_int(w, v);
}

static inline void
jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

#endif
