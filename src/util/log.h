/*
 * log.h: leveled logging to stderr, thread-safe, one line per message, as
 * text (`TS LEVEL msg key=value ...`) or JSON (one object per line: ts,
 * level, msg and the fields); and the optional HTTP access log, a file (or
 * stdout) of one line per request, reopened on SIGHUP for logrotate.
 */
#ifndef JD_UTIL_LOG_H
#define JD_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum jd_log_level { JD_LOG_ERROR = 0, JD_LOG_WARN, JD_LOG_INFO, JD_LOG_DEBUG };
enum jd_log_format { JD_LOG_TEXT = 0, JD_LOG_JSON };

/* Parse "error|warn|info|debug"; 0 or -1. */
int log_level_parse(const char *s, int *out);
/* Parse "text|json"; 0 or -1. */
int log_format_parse(const char *s, int *out);
void log_set_level(int level);
int log_get_level(void);
void log_set_format(int format);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A message with fields: key, value pairs of strings after msg, ended by
 * NULL (a NULL value is left out). Text: `msg key=value ...` (a value with
 * a space, '"', '=' or a control character is quoted and escaped); JSON:
 * string members after "msg".
 */
void log_kv(int level, const char *msg, ...) __attribute__((sentinel));

#define log_error(...) log_msg(JD_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(JD_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(JD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(JD_LOG_DEBUG, __VA_ARGS__)

/* ---- the access log -------------------------------------------------------- */

/* Open the access log: a path (appended to, created mode 0640) or "-" for
 * stdout. 0, or -1 with errno. Replaces one already open. */
int log_access_open(const char *path);
/* Whether an access log is open (one relaxed load: test it before
 * formatting a line). */
bool log_access_enabled(void);
/* Append one line (line[n] holds its newline) with one write(2). */
void log_access_write(const char *line, size_t n);
/* Reopen the same path (SIGHUP, after logrotate moved the file); 0 or -1
 * with errno (the old file stays in use). */
int log_access_reopen(void);
/* Close it (at exit). */
void log_access_close(void);

#endif
