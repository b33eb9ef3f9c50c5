/*
 * log.c: stderr logger; the level and format are atomics so SIGHUP can
 * change them. A line is built in a stack buffer and written with one
 * fprintf, so concurrent lines never interleave. JSON lines escape the
 * message and fields with util's JSON string escaper.
 *
 * The access log is a descriptor opened O_APPEND: each line is one write(2)
 * (no buffering, so nothing is lost on a crash and lines never interleave).
 * A read-write lock lets SIGHUP swap the descriptor while requests write.
 */
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

static atomic_int cur_level = JD_LOG_INFO;
static atomic_int cur_format = JD_LOG_TEXT;
static const char *const names[] = {"error", "warn", "info", "debug"};

int
log_level_parse(const char *s, int *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

int
log_format_parse(const char *s, int *out)
{
	if (strcmp(s, "text") == 0)
		*out = JD_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = JD_LOG_JSON;
	else
		return -1;
	return 0;
}

void
log_set_level(int level)
{
	atomic_store(&cur_level, level);
}

int
log_get_level(void)
{
	return atomic_load(&cur_level);
}

void
log_set_format(int format)
{
	atomic_store(&cur_format, format);
}

static const char *
level_name(int level)
{
	return names[level < 0 ? 0 : level > 3 ? 3 : level];
}

/* "2026-01-02T03:04:05.678Z" into ts[64]. */
static void
timestamp(char ts[64])
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
}

/* Whether a text-format field value must be quoted. */
static bool
needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == 0x7f)
			return true;
	return false;
}

/* Emit a line: msg and fields (k[i], v[i]) in the current format. */
static void
emit(int level, const char *msg, const char *const *k, const char *const *v, int n)
{
	char ts[64];
	struct buf b = BUF_INIT;

	timestamp(ts);
	if (atomic_load_explicit(&cur_format, memory_order_relaxed) == JD_LOG_JSON) {
		buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_name(level));
		jw_escape(&b, msg, strlen(msg));
		for (int i = 0; i < n; i++) {
			buf_putc(&b, ',');
			jw_escape(&b, k[i], strlen(k[i]));
			buf_putc(&b, ':');
			jw_escape(&b, v[i], strlen(v[i]));
		}
		buf_putc(&b, '}');
	} else {
		buf_printf(&b, "%s %s %s", ts, level_name(level), msg);
		for (int i = 0; i < n; i++) {
			buf_printf(&b, " %s=", k[i]);
			if (needs_quotes(v[i]))
				jw_escape(&b, v[i], strlen(v[i]));
			else
				buf_puts(&b, v[i]);
		}
	}
	buf_putc(&b, '\n');
	fwrite(b.p, 1, b.len, stderr);
	buf_free(&b);
}

void
log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > atomic_load(&cur_level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(level, line, NULL, NULL, 0);
}

#define LOG_FIELDS_MAX 16

void
log_kv(int level, const char *msg, ...)
{
	const char *k[LOG_FIELDS_MAX], *v[LOG_FIELDS_MAX];
	const char *key;
	int n = 0;
	va_list ap;

	if (level > atomic_load(&cur_level))
		return;
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);
		if (val != NULL && n < LOG_FIELDS_MAX) {
			k[n] = key;
			v[n++] = val;
		}
	}
	va_end(ap);
	emit(level, msg, k, v, n);
}

/* ---- the access log -------------------------------------------------------- */

static pthread_rwlock_t access_lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_bool access_on;
static int access_fd = -1;
static char *access_path; /* NULL: stdout */

static int
access_fd_open(const char *path)
{
	if (path == NULL)
		return dup(STDOUT_FILENO);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

static int
access_swap(int fd)
{
	int old;

	pthread_rwlock_wrlock(&access_lock);
	old = access_fd;
	access_fd = fd;
	atomic_store(&access_on, fd >= 0);
	pthread_rwlock_unlock(&access_lock);
	if (old >= 0)
		close(old);
	return 0;
}

int
log_access_open(const char *path)
{
	char *p = strcmp(path, "-") == 0 ? NULL : jd_strdup(path);
	int fd = access_fd_open(p);

	if (fd < 0) {
		int err = errno;
		free(p);
		errno = err;
		return -1;
	}
	free(access_path);
	access_path = p;
	return access_swap(fd);
}

bool
log_access_enabled(void)
{
	return atomic_load_explicit(&access_on, memory_order_relaxed);
}

void
log_access_write(const char *line, size_t n)
{
	pthread_rwlock_rdlock(&access_lock);
	if (access_fd >= 0) {
		ssize_t w = write(access_fd, line, n);
		(void)w; /* nowhere to report a failed access-log write */
	}
	pthread_rwlock_unlock(&access_lock);
}

int
log_access_reopen(void)
{
	int fd;

	if (!log_access_enabled())
		return 0;
	if ((fd = access_fd_open(access_path)) < 0)
		return -1;
	return access_swap(fd);
}

void
log_access_close(void)
{
	access_swap(-1);
	free(access_path);
	access_path = NULL;
}
