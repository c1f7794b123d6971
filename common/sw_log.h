/* sw_log: one line per event on stderr, key=value, with a level.
 * Every service logs through here: "ts=... level=info svc=intake event=accepted report_id=R1". */
#ifndef SW_LOG_H
#define SW_LOG_H

enum { SW_LOG_DEBUG = 0, SW_LOG_INFO = 1, SW_LOG_WARN = 2, SW_LOG_ERROR = 3 };

/* Sets the process-wide threshold (messages below it are dropped). */
void sw_log_set_level (int level);
/* "debug" | "info" | "warn" | "error" -> level, or -1 when unknown. */
int sw_log_level_parse (const char *name);
/* Writes one line: ts, level, svc, event, then the formatted key=value rest
 * (fmt may be NULL). Thread-safe: one write(2) per line. */
void sw_log (int level, const char *svc, const char *event, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

#define sw_debug(svc, ev, ...) sw_log (SW_LOG_DEBUG, svc, ev, __VA_ARGS__)
#define sw_info(svc, ev, ...) sw_log (SW_LOG_INFO, svc, ev, __VA_ARGS__)
#define sw_warn(svc, ev, ...) sw_log (SW_LOG_WARN, svc, ev, __VA_ARGS__)
#define sw_error(svc, ev, ...) sw_log (SW_LOG_ERROR, svc, ev, __VA_ARGS__)

#endif
