/*
 * query.c: the fleet-indexing query language (query.h): a recursive-descent
 * parser straight over the text (no separate token list: what a character
 * means depends on where it is, e.g. ':' ends a field name but not a value),
 * into a flat array of nodes, and an evaluator over one thing.
 *
 * Values are kept as patterns in which an unescaped * is the byte 0x01 and an
 * unescaped ? the byte 0x02; control bytes are refused in the text, so the
 * two cannot come from the input. Matching is a glob with backtracking on the
 * last star (linear in practice), ASCII case-insensitive.
 */
#include "core/query.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define WILD_STAR '\x01'
#define WILD_ONE '\x02'

enum qkind { Q_AND, Q_OR, Q_NOT, Q_TERM };
enum qfield { F_NAME, F_ID, F_TYPE, F_GROUPS, F_ATTR, F_ANY };
enum qpred { P_MATCH, P_RANGE };

struct bound {
	bool open; /* '*' or absent: no limit on this side */
	bool incl;
	bool num;
	double n;
	char *s; /* owned, lower-cased */
};

struct node {
	int kind;
	int a, b; /* children (AND, OR: a and b; NOT: a) */
	int field;
	char *attr; /* owned: the NAME of attributes.NAME */
	int pred;
	char *pat; /* owned: P_MATCH pattern */
	struct bound lo, hi;
};

struct core_query {
	struct node *v;
	int n;
	int root;
	bool uses_groups;
};

/* The field a term applies to (a field group passes it down). */
struct fref {
	int field;
	const char *attr; /* borrowed */
};

struct parser {
	const char *s, *p;
	struct core_query *q;
	struct jd_error *e;
	int leading; /* terms with a leading wildcard */
	bool failed;
};

/* ---- errors and nodes ----------------------------------------------------- */

static int
fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		jd_error_set(ps->e, JD_EQUERY, "Syntax error in query string at position %d: %s",
		    (int)(ps->p - ps->s) + 1, what);
	ps->failed = true;
	return -1;
}

static int
node_new(struct parser *ps, int kind)
{
	struct node *n;

	if (ps->q->n >= CORE_QUERY_NODES_MAX)
		return fail(ps, "the query has too many terms");
	n = &ps->q->v[ps->q->n];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->a = n->b = -1;
	return ps->q->n++;
}

static int
node_pair(struct parser *ps, int kind, int a, int b)
{
	int i = node_new(ps, kind);

	if (i < 0)
		return -1;
	ps->q->v[i].a = a;
	ps->q->v[i].b = b;
	return i;
}

/* ---- characters ----------------------------------------------------------- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_ws(struct parser *ps)
{
	while (is_space(*ps->p))
		ps->p++;
}

/* Characters that end a word at the start of a term (where ':' ends a
 * field name) or in a value (extra = false: ':' is part of the value). */
static bool
is_stop(char c, bool at_term)
{
	if (c == '\0' || is_space(c) || strchr("()[]{}\"", c) != NULL)
		return true;
	return at_term && strchr(":<>=", c) != NULL;
}

/* The word at p is exactly kw (a keyword), followed by a delimiter. */
static bool
at_keyword(const struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);

	return strncmp(ps->p, kw, n) == 0 &&
	    (is_space(ps->p[n]) || ps->p[n] == '\0' || ps->p[n] == '(' || ps->p[n] == ')');
}

/*
 * Read a word into a pattern (owned, lower-cased, wildcards encoded). Sets
 * *plain when it had no escape and no wildcard (a candidate field name) and
 * *lead when it starts with a wildcard. Empty word: NULL without an error.
 */
static char *
read_word(struct parser *ps, bool at_term, bool *plain, bool *lead)
{
	struct buf b = BUF_INIT;
	const char *start = ps->p;

	*plain = true;
	*lead = false;
	while (!is_stop(*ps->p, at_term)) {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20 || c == 0x7f) {
			buf_free(&b);
			fail(ps, "control characters are not allowed");
			return NULL;
		}
		if (c == '\\') {
			if (ps->p[1] == '\0' || (unsigned char)ps->p[1] < 0x20) {
				buf_free(&b);
				fail(ps, "a backslash must escape a character");
				return NULL;
			}
			*plain = false;
			buf_putc(&b, (char)tolower((unsigned char)ps->p[1]));
			ps->p += 2;
			continue;
		}
		if (c == '*' || c == '?') {
			if (ps->p == start)
				*lead = true;
			*plain = false;
			buf_putc(&b, c == '*' ? WILD_STAR : WILD_ONE);
		} else {
			buf_putc(&b, (char)tolower(c));
		}
		ps->p++;
	}
	if (ps->p == start) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* A "quoted" literal: escapes allowed, no wildcards. */
static char *
read_quoted(struct parser *ps)
{
	struct buf b = BUF_INIT;

	ps->p++; /* the opening quote */
	for (;;) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == '\0') {
			buf_free(&b);
			fail(ps, "an unterminated quoted string");
			return NULL;
		}
		if (c < 0x20 || c == 0x7f) {
			buf_free(&b);
			fail(ps, "control characters are not allowed");
			return NULL;
		}
		if (c == '"')
			break;
		if (c == '\\' && ps->p[1] != '\0' && (unsigned char)ps->p[1] >= 0x20) {
			c = (unsigned char)ps->p[1];
			ps->p++;
		}
		buf_putc(&b, (char)tolower(c));
		ps->p++;
	}
	ps->p++;
	if (b.p == NULL)
		return jd_strdup(""); /* "" */
	return buf_steal(&b);
}

/* ---- numbers -------------------------------------------------------------- */

/* A decimal number: [+-]digits[.digits][e[+-]digits] or [+-].digits[...]. */
static bool
num_parse(const char *s, double *out)
{
	const char *p = s;
	int digits = 0;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++, digits++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++, digits++;
	}
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return false;
	*out = strtod(s, &end);
	return end == p;
}

/* ---- grammar -------------------------------------------------------------- */

static int parse_or(struct parser *ps, const struct fref *ctx, int depth);

/* Field name -> fref; false if not a field jobsd indexes. */
static bool
field_lookup(const char *name, struct fref *f)
{
	static const struct {
		const char *name;
		int field;
	} fields[] = {{"thingName", F_NAME}, {"thingId", F_ID}, {"thingTypeName", F_TYPE},
	    {"thingGroupNames", F_GROUPS}};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(name, fields[i].name) == 0) {
			f->field = fields[i].field;
			f->attr = NULL;
			return true;
		}
	if (strncmp(name, "attributes.", 11) == 0 && name[11] != '\0') {
		f->field = F_ATTR;
		f->attr = name + 11;
		return true;
	}
	return false;
}

static int
term_node(struct parser *ps, const struct fref *f)
{
	int i = node_new(ps, Q_TERM);

	if (i < 0)
		return -1;
	ps->q->v[i].field = f->field;
	if (f->attr != NULL)
		ps->q->v[i].attr = jd_strdup(f->attr);
	if (f->field == F_GROUPS || f->field == F_ANY)
		ps->q->uses_groups = true;
	return i;
}

/* A bound of a range or comparison: word, quoted, or '*' (open). */
static int
read_bound(struct parser *ps, struct bound *b, bool in_range)
{
	bool plain, lead;
	char *w;

	skip_ws(ps);
	if (*ps->p == '"') {
		if ((w = read_quoted(ps)) == NULL)
			return -1;
	} else {
		const char *save = ps->p;
		/* in a range, ']' and '}' end the word (is_stop), TO is not a bound */
		if (in_range && at_keyword(ps, "TO"))
			return fail(ps, "a range needs a lower bound before TO");
		w = read_word(ps, false, &plain, &lead);
		if (w == NULL)
			return ps->failed ? -1 : fail(ps, "expected a value");
		if (strcmp(w, "\x01") == 0) {
			free(w);
			b->open = true;
			return 0;
		}
		if (!plain) {
			free(w);
			ps->p = save;
			return fail(ps, "wildcards are not allowed in a range or comparison");
		}
	}
	b->s = w;
	b->num = num_parse(w, &b->n);
	return 0;
}

static int
finish_range(struct parser *ps, int i)
{
	struct node *n = &ps->q->v[i];

	/* numbers compare as numbers only when every bound given is one */
	if ((!n->lo.open && !n->lo.num) || (!n->hi.open && !n->hi.num))
		n->lo.num = n->hi.num = false;
	n->pred = P_RANGE;
	return i;
}

/* FIELD:[A TO B] after the field's ':' (at '[' or '{'). */
static int
parse_range(struct parser *ps, const struct fref *f)
{
	int i = term_node(ps, f);
	struct node *n;

	if (i < 0)
		return -1;
	n = &ps->q->v[i];
	n->lo.incl = *ps->p == '[';
	ps->p++;
	if (read_bound(ps, &n->lo, true) < 0)
		return -1;
	skip_ws(ps);
	if (!at_keyword(ps, "TO"))
		return fail(ps, "expected TO in a range");
	ps->p += 2;
	if (read_bound(ps, &n->hi, true) < 0)
		return -1;
	skip_ws(ps);
	if (*ps->p != ']' && *ps->p != '}')
		return fail(ps, "expected ] or } to close a range");
	n->hi.incl = *ps->p == ']';
	ps->p++;
	return finish_range(ps, i);
}

/* FIELD < N and the others (at the operator). */
static int
parse_compare(struct parser *ps, const struct fref *f)
{
	bool less = *ps->p == '<', eq;
	int i = term_node(ps, f);
	struct node *n;
	struct bound *b;

	if (i < 0)
		return -1;
	n = &ps->q->v[i];
	ps->p++;
	eq = *ps->p == '=';
	if (eq)
		ps->p++;
	n->lo.open = n->hi.open = true;
	b = less ? &n->hi : &n->lo;
	b->open = false;
	if (read_bound(ps, b, false) < 0)
		return -1;
	if (b->open)
		return fail(ps, "a comparison needs a value");
	b->incl = eq;
	return finish_range(ps, i);
}

/* A value for field f at p: (group), [range], "literal" or a word. */
static int
parse_value(struct parser *ps, const struct fref *f, int depth)
{
	bool plain, lead;
	char *w;
	int i;

	if (*ps->p == '(') {
		ps->p++;
		if ((i = parse_or(ps, f, depth + 1)) < 0)
			return -1;
		skip_ws(ps);
		if (*ps->p != ')')
			return fail(ps, "expected )");
		ps->p++;
		return i;
	}
	if (*ps->p == '[' || *ps->p == '{')
		return parse_range(ps, f);
	if (*ps->p == '"') {
		if ((w = read_quoted(ps)) == NULL)
			return -1;
		lead = false;
	} else {
		w = read_word(ps, f->field == F_ANY, &plain, &lead);
		if (w == NULL)
			return ps->failed ? -1 : fail(ps, "expected a value");
	}
	if (lead && strcmp(w, "\x01") != 0)
		ps->leading++;
	if ((i = term_node(ps, f)) < 0) {
		free(w);
		return -1;
	}
	ps->q->v[i].pred = P_MATCH;
	ps->q->v[i].pat = w;
	return i;
}

/* A term at the top level (ctx NULL) or inside a field group (ctx). */
static int
parse_term(struct parser *ps, const struct fref *ctx, int depth)
{
	static const struct fref any = {F_ANY, NULL};
	const char *start = ps->p;
	struct fref f;
	bool plain, lead;
	char *w, name[160];
	size_t len;

	if (ctx != NULL)
		return parse_value(ps, ctx, depth);
	if (*ps->p == '"' || *ps->p == '[' || *ps->p == '{')
		return parse_value(ps, &any, depth);
	w = read_word(ps, true, &plain, &lead);
	free(w);
	if (w == NULL)
		return ps->failed ? -1 : fail(ps, "expected a term");
	len = (size_t)(ps->p - start);
	skip_ws(ps);
	if (*ps->p != ':' && *ps->p != '<' && *ps->p != '>') {
		ps->p = start; /* a bare value: any field */
		return parse_value(ps, &any, depth);
	}
	if (!plain || len >= sizeof(name)) {
		ps->p = start;
		return fail(ps, "expected a field name");
	}
	memcpy(name, start, len);
	name[len] = '\0';
	if (!field_lookup(name, &f)) {
		ps->p = start;
		for (char *c = name; *c != '\0'; c++) /* the message is printable ASCII */
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?';
		if (!ps->failed)
			jd_error_set(ps->e, JD_EQUERY,
			    "Syntax error in query string at position %d: field %s is not "
			    "indexed (the registry index has thingName, thingId, thingTypeName, "
			    "thingGroupNames and attributes.*)",
			    (int)(start - ps->s) + 1, name);
		ps->failed = true;
		return -1;
	}
	/* f.attr points into name, which outlives the term's parse */
	if (*ps->p == '<' || *ps->p == '>')
		return parse_compare(ps, &f);
	ps->p++; /* ':' */
	skip_ws(ps);
	return parse_value(ps, &f, depth);
}

static int
parse_unary(struct parser *ps, const struct fref *ctx, int depth)
{
	int a;

	if (depth > CORE_QUERY_DEPTH_MAX)
		return fail(ps, "the query is nested too deeply");
	skip_ws(ps);
	if (at_keyword(ps, "NOT") ||
	    (*ps->p == '-' && ps->p[1] != '\0' && !is_space(ps->p[1]) && ps->p[1] != '-')) {
		ps->p += *ps->p == '-' ? 1 : 3;
		if ((a = parse_unary(ps, ctx, depth + 1)) < 0)
			return -1;
		return node_pair(ps, Q_NOT, a, -1);
	}
	if (*ps->p == '(') {
		ps->p++;
		if ((a = parse_or(ps, ctx, depth + 1)) < 0)
			return -1;
		skip_ws(ps);
		if (*ps->p != ')')
			return fail(ps, "expected )");
		ps->p++;
		return a;
	}
	if (*ps->p == '\0')
		return fail(ps, "expected a term");
	if (*ps->p == ')')
		return fail(ps, "unexpected )");
	if (at_keyword(ps, "AND") || at_keyword(ps, "OR"))
		return fail(ps, "expected a term before the operator");
	return parse_term(ps, ctx, depth);
}

static int
parse_and(struct parser *ps, const struct fref *ctx, int depth)
{
	int a = parse_unary(ps, ctx, depth), b;

	while (a >= 0) {
		skip_ws(ps);
		if (*ps->p == '\0' || *ps->p == ')' || at_keyword(ps, "OR"))
			break;
		if (at_keyword(ps, "AND"))
			ps->p += 3; /* else adjacent terms: AND is the default */
		if ((b = parse_unary(ps, ctx, depth)) < 0)
			return -1;
		a = node_pair(ps, Q_AND, a, b);
	}
	return a;
}

static int
parse_or(struct parser *ps, const struct fref *ctx, int depth)
{
	int a = parse_and(ps, ctx, depth), b;

	while (a >= 0) {
		skip_ws(ps);
		if (!at_keyword(ps, "OR"))
			break;
		ps->p += 2;
		if ((b = parse_and(ps, ctx, depth)) < 0)
			return -1;
		a = node_pair(ps, Q_OR, a, b);
	}
	return a;
}

int
core_query_compile(const char *text, struct core_query **out, struct jd_error *e)
{
	struct parser ps = {.s = text, .p = text, .e = e};
	size_t len = strlen(text);
	struct core_query *q;

	*out = NULL;
	if (len == 0)
		return jd_error_set(e, JD_EQUERY, "The query string is empty");
	if (len > CORE_QUERY_LEN_MAX)
		return jd_error_set(e, JD_EQUERY, "The query string is longer than %d characters",
		    CORE_QUERY_LEN_MAX);
	q = jd_calloc(1, sizeof(*q));
	q->v = jd_calloc(CORE_QUERY_NODES_MAX, sizeof(*q->v));
	ps.q = q;
	q->root = parse_or(&ps, NULL, 0);
	if (q->root >= 0) {
		skip_ws(&ps);
		if (*ps.p == ')')
			fail(&ps, "unexpected )");
		else if (*ps.p != '\0')
			fail(&ps, "unexpected text");
	}
	if (!ps.failed && ps.leading > 1)
		jd_error_set(e, JD_EQUERY,
		    "Leading wildcards are limited to 1 query term per query"),
		    ps.failed = true;
	if (!ps.failed && ps.leading == 1 && len > CORE_QUERY_LEADING_LEN_MAX)
		jd_error_set(e, JD_EQUERY,
		    "A query with a leading wildcard can be at most %d characters long",
		    CORE_QUERY_LEADING_LEN_MAX),
		    ps.failed = true;
	if (ps.failed || q->root < 0) {
		core_query_free(q);
		return JD_EQUERY;
	}
	*out = q;
	return 0;
}

void
core_query_free(struct core_query *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < q->n; i++) {
		free(q->v[i].attr);
		free(q->v[i].pat);
		free(q->v[i].lo.s);
		free(q->v[i].hi.s);
	}
	free(q->v);
	free(q);
}

bool
core_query_uses_groups(const struct core_query *q)
{
	return q->uses_groups;
}

/* ---- evaluation ----------------------------------------------------------- */

/* Glob match of pattern p (lower-cased, wildcards encoded) against s. */
static bool
glob(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	while (*s != '\0') {
		if (*p == WILD_STAR) {
			star_p = ++p;
			star_s = s;
		} else if (*p == WILD_ONE ||
		    (*p != '\0' && *p == (char)tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star_p != NULL) {
			p = star_p;
			s = ++star_s;
		} else {
			return false;
		}
	}
	while (*p == WILD_STAR)
		p++;
	return *p == '\0';
}

static int
strcmp_ci(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

static bool
in_range(const struct node *n, const char *v)
{
	if (n->lo.num || n->hi.num) {
		double x;
		if (!num_parse(v, &x))
			return false;
		if (!n->lo.open && (n->lo.incl ? x < n->lo.n : x <= n->lo.n))
			return false;
		if (!n->hi.open && (n->hi.incl ? x > n->hi.n : x >= n->hi.n))
			return false;
		return true;
	}
	if (!n->lo.open) {
		int c = strcmp_ci(v, n->lo.s);
		if (n->lo.incl ? c < 0 : c <= 0)
			return false;
	}
	if (!n->hi.open) {
		int c = strcmp_ci(v, n->hi.s);
		if (n->hi.incl ? c > 0 : c >= 0)
			return false;
	}
	return true;
}

static bool
value_match(const struct node *n, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return false;
	return n->pred == P_MATCH ? glob(n->pat, v) : in_range(n, v);
}

static bool
term_match(const struct node *n, const struct core_query_thing *t)
{
	bool any = n->field == F_ANY;

	if ((n->field == F_NAME || any) && value_match(n, t->name))
		return true;
	if ((n->field == F_ID || any) && value_match(n, t->id))
		return true;
	if ((n->field == F_TYPE || any) && value_match(n, t->type_name))
		return true;
	if (n->field == F_GROUPS || any)
		for (size_t i = 0; i < t->n_groups; i++)
			if (value_match(n, t->groups[i]))
				return true;
	if (n->field == F_ATTR || any)
		for (size_t i = 0; i < t->n_attrs; i++)
			if ((any || strcmp(t->attr_keys[i], n->attr) == 0) &&
			    value_match(n, t->attr_vals[i]))
				return true;
	return false;
}

static bool
eval(const struct core_query *q, int i, const struct core_query_thing *t)
{
	const struct node *n = &q->v[i];

	switch (n->kind) {
	case Q_AND:
		return eval(q, n->a, t) && eval(q, n->b, t);
	case Q_OR:
		return eval(q, n->a, t) || eval(q, n->b, t);
	case Q_NOT:
		return !eval(q, n->a, t);
	default:
		return term_match(n, t);
	}
}

bool
core_query_match(const struct core_query *q, const struct core_query_thing *t)
{
	return eval(q, q->root, t);
}
