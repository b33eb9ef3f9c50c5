/* log.h: leveled logging to stderr, thread-safe, one line per message. */
#ifndef JD_UTIL_LOG_H
#define JD_UTIL_LOG_H

enum jd_log_level { JD_LOG_ERROR = 0, JD_LOG_WARN, JD_LOG_INFO, JD_LOG_DEBUG };

/* Parse "error|warn|info|debug"; 0 or -1. */
int log_level_parse(const char *s, int *out);
void log_set_level(int level);
int log_get_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(JD_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(JD_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(JD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(JD_LOG_DEBUG, __VA_ARGS__)

#endif
