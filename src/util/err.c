/* err.c: the error table's lookups and struct jd_error helpers. */
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct errno_row {
	int code;
	const char *name;
	int status[2];
	const char *type[2];
	const char *mqtt;
};

static const struct errno_row rows[] = {
#define JD__ERRNO_ROW(n, cs, ct, ds, dt, mq) {JD_E##n, "E" #n, {cs, ds}, {ct, dt}, mq},
    JD_ERRNO_MAP(JD__ERRNO_ROW)
#undef JD__ERRNO_ROW
};

static const struct errno_row *
lookup(int code)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].code == code)
			return &rows[i];
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].code == JD_EINTERNAL)
			return &rows[i];
	return &rows[0];
}

void
jd_error_init(struct jd_error *e)
{
	memset(e, 0, sizeof(*e));
}

void
jd_error_clear(struct jd_error *e)
{
	if (e == NULL)
		return;
	free(e->state_details_json);
	memset(e, 0, sizeof(*e));
}

int
jd_error_vset(struct jd_error *e, int code, const char *fmt, va_list ap)
{
	if (e == NULL)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int
jd_error_set(struct jd_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jd_error_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int
jd_errno_status(int code, enum jd_plane plane)
{
	return lookup(code)->status[plane == JD_PLANE_DATA];
}

const char *
jd_errno_type(int code, enum jd_plane plane)
{
	return lookup(code)->type[plane == JD_PLANE_DATA];
}

const char *
jd_errno_mqtt(int code)
{
	return lookup(code)->mqtt;
}

const char *
jd_errno_name(int code)
{
	if (code == 0)
		return "OK";
	return lookup(code)->name;
}
