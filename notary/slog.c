/* notary/slog.c — see slog.h. */
#include "notary/slog.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool g_debug;

void slog_set_debug(bool on) { g_debug = on; }

void slog(const char *level, const char *event, const char *fields, ...)
{
    if (!g_debug && strcmp(level, "debug") == 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char t[80];
    snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    json_t *o = json_pack("{s:s, s:s, s:s}", "time", t, "level", level, "event", event);
    if (!o)
        return;
    if (fields) {
        va_list ap;
        va_start(ap, fields);
        json_error_t je;
        json_t *f = json_vpack_ex(&je, 0, fields, ap);
        va_end(ap);
        if (f) {
            json_object_update(o, f);
            json_decref(f);
        } else {
            json_object_set_new(o, "log_error", json_string(je.text));
        }
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return;
    size_t n = strlen(line);
    line[n] = '\n'; /* replaces the NUL: written by length */
    ssize_t w = write(2, line, n + 1);
    (void)w;
    free(line);
}
