/*
 * targets.c: a job's targets: parsing thing and thing-group ARNs of the
 * account, sets of thing names (sorted, without repeats), and the targets
 * list kept as JSON on the job (CreateJob, AssociateTargetsWithJob). Split
 * from jobs.c (issue 15); calls nothing else in svc/.
 */
#include "svc/targets_int.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "util/buf.h"

/* Is s[0..n) a thing or group name made of [a-zA-Z0-9:_-] only, of 1 to
 * JD_THING_NAME_MAX bytes? Then core_check_thing_name accepts it (that
 * pattern, all ASCII); otherwise it decides. One pass, no UTF-8 decoding:
 * a CreateJob checks up to 100 of them. */
static bool
plain_name(const char *s, size_t n)
{
	if (n < 1 || n > JD_THING_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == ':' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Parse a thing ('t') or thing-group ('g') ARN of our account. */
int
svc__target_parse(const struct svc *s, const char *arn, char *kind,
    char name[JD_THING_NAME_MAX + 1], struct jd_error *e)
{
	/* arn:{partition}:iot:{region}:{account}:{thing|thinggroup}/{name} */
	const char *p = arn, *field[6];
	size_t alen = strlen(s->account), n;
	int k = 0;

	field[k++] = p;
	while (*p && k < 6) {
		if (*p == ':')
			field[k++] = p + 1;
		p++;
	}
	if (k < 6 || strncmp(arn, "arn:", 4) != 0)
		goto bad;
	if (strncmp(field[2], "iot:", 4) != 0)
		goto bad;
	if ((size_t)(field[5] - field[4] - 1) != alen || memcmp(field[4], s->account, alen) != 0)
		return jd_error_set(e, JD_EINVAL, "Target %s is not in account %s", arn,
		    s->account);
	if (strncmp(field[5], "thing/", 6) == 0) {
		*kind = 't';
		p = field[5] + 6;
	} else if (strncmp(field[5], "thinggroup/", 11) == 0) {
		*kind = 'g';
		p = field[5] + 11;
	} else {
		goto bad;
	}
	n = strlen(p);
	if (!plain_name(p, n) && core_check_thing_name("targets", p, NULL) != 0)
		goto bad;
	if (n > JD_THING_NAME_MAX)
		goto bad; /* cannot be: the check bounds it */
	memcpy(name, p, n + 1);
	return 0;
bad:
	return jd_error_set(e, JD_EINVAL, "Target %s is not a valid thing or thing group ARN", arn);
}

int
svc__tset_add(void *arg, const char *name)
{
	struct tset *t = arg;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = jd_realloc(t->v, t->cap * sizeof(*t->v));
	}
	jd_strlcpy(t->v[t->n++], name, JD_THING_NAME_MAX + 1);
	return 0;
}

static int
tcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

void
svc__tset_unique(struct tset *t)
{
	size_t w = 0;

	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof(*t->v), tcmp);
	for (size_t i = 1; i < t->n; i++)
		if (strcmp(t->v[i], t->v[w]) != 0)
			memcpy(t->v[++w], t->v[i], sizeof(*t->v));
	t->n = w + 1;
}

bool
svc__tset_has(const struct tset *t, const char *name)
{
	return t->n > 0 && bsearch(name, t->v, t->n, sizeof(*t->v), tcmp) != NULL;
}

/* qsort over slots of one array of names: by name, then by slot (position) */
static int
slot_cmp(const void *a, const void *b)
{
	const char *const *x = *(const char *const *const *)a;
	const char *const *y = *(const char *const *const *)b;
	int c = strcmp(*x, *y);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/*
 * The targets as a JSON array: those of `existing` (a JSON array, or NULL)
 * first, then the new ones, each once, in order; *count is their number.
 * Repeats are found by sorting (n <= 200), not by comparing each new target
 * with the whole array through jansson, which cost ~10,000 instructions per
 * target (issue 15).
 */
char *
svc__targets_json(const char *const *targets, int n, const char *existing, size_t *count)
{
	json_t *arr = existing ? json_loads(existing, 0, NULL) : NULL;
	size_t total = json_array_size(arr) + (size_t)(n > 0 ? n : 0), k = 0, i;
	const char **v = jd_calloc(total + 1, sizeof(*v));
	const char ***slot = jd_calloc(total + 1, sizeof(*slot));
	bool *dup = jd_calloc(total + 1, sizeof(*dup));
	struct buf b = BUF_INIT;
	struct jw w;
	json_t *x;

	json_array_foreach(arr, i, x) v[k++] = json_string_value(x) ? json_string_value(x) : "";
	for (int t = 0; t < n; t++)
		v[k++] = targets[t];
	for (i = 0; i < k; i++)
		slot[i] = &v[i];
	qsort(slot, k, sizeof(*slot), slot_cmp);
	for (i = 1; i < k; i++)
		if (strcmp(*slot[i], *slot[i - 1]) == 0)
			dup[slot[i] - v] = true; /* a later repeat of an earlier name */
	jw_init(&w, &b);
	jw_arr_begin(&w);
	*count = 0;
	for (i = 0; i < k; i++) {
		if (dup[i])
			continue;
		jw_str(&w, v[i]);
		(*count)++;
	}
	jw_arr_end(&w);
	json_decref(arr);
	free(v);
	free(slot);
	free(dup);
	return buf_steal(&b);
}
