/*
 * admin_assets.h: the dashboard's files compiled into jobsd (issue 14).
 * The table is generated at build time by cmake/embed.cmake from
 * src/api/dashboard/ (build/generated/admin_assets.c); admin_static.c
 * serves it.
 */
#ifndef JD_API_ADMIN_ASSETS_H
#define JD_API_ADMIN_ASSETS_H

#include <stddef.h>

struct admin_asset {
	const char *name;         /* "app.js" */
	const char *content_type; /* "text/javascript; charset=utf-8" */
	const unsigned char *data;
	size_t len;
	const char *etag; /* "\"<16 hex digits of its SHA-256>\"" */
};

extern const struct admin_asset admin_assets[];
extern const int admin_nassets;

#endif
