/* sw_log: structured single-line logging to stderr. */
#include "sw_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = SW_LOG_INFO;
static const char *s_names[] = { "debug", "info", "warn", "error" };

void
sw_log_set_level (int level)
{
    if (level >= SW_LOG_DEBUG && level <= SW_LOG_ERROR)
        atomic_store (&s_level, level);
}

int
sw_log_level_parse (const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp (name, s_names[i]) == 0)
            return i;
    return -1;
}

void
sw_log (int level, const char *svc, const char *event, const char *fmt, ...)
{
    if (level < atomic_load (&s_level) || level < 0 || level > SW_LOG_ERROR)
        return;
    char line[2048];
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    int n = snprintf (line, sizeof line,
                      "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s svc=%s event=%s",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, s_names[level], svc ? svc : "-",
                      event ? event : "-");
    if (n < 0)
        return;
    if ((size_t) n < sizeof line - 2 && fmt && *fmt) {
        line[n++] = ' ';
        va_list ap;
        va_start (ap, fmt);
        int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, ap);
        va_end (ap);
        if (m > 0)
            n += m;
    }
    if ((size_t) n > sizeof line - 2)
        n = (int) sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write (STDERR_FILENO, line, (size_t) n);
    (void) w;
}
