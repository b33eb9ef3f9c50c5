/*
 * admin_static.c: serves the dashboard's files (issue 14) from the table
 * cmake/embed.cmake compiles into the binary: "/" is index.html, and
 * "/static/NAME" the others. Each answer has its content type, an ETag and
 * "Cache-Control: no-cache" (the browser keeps the file and revalidates it:
 * 304 while it is unchanged, so an upgraded jobsd is never served stale),
 * and the strict Content-Security-Policy of every admin answer (admin.c).
 * The files hold no secret: they are served without authentication, and
 * the page then logs in (admin_session.c).
 */
#include <string.h>

#include "api/admin_assets.h"
#include "api/admin_int.h"

void
admin_h_static(struct admin_req *q)
{
	const char *name = q->nseg == 0 ? "index.html" : q->label[0];
	const char *inm;

	for (int i = 0; i < admin_nassets; i++) {
		const struct admin_asset *f = &admin_assets[i];
		if (strcmp(f->name, name) != 0 || (q->nseg > 0 && strcmp(name, "index.html") == 0))
			continue;
		q->content_type = f->content_type;
		q->cache_control = "no-cache";
		jd_strlcpy(q->etag, f->etag, sizeof(q->etag));
		inm = admin_header(q, "If-None-Match");
		if (inm != NULL && strstr(inm, f->etag) != NULL) {
			q->status = 304;
			return;
		}
		buf_append(&q->out, f->data, f->len); /* HEAD: libmicrohttpd sends no body */
		return;
	}
	admin_fail(q, 404, "No such file");
}
