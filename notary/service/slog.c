/* notary/service/slog.c — see slog.h. */
#include "notary/service/slog.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

static bool url_end(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || strchr("\"'<>()[]{},;", c);
}

/* Length of a URL ("scheme://...") starting at s, 0 if none starts here;
 * trailing ':' and '.' belong to the sentence, not the URL. */
static size_t url_len(const char *s)
{
    size_t i = 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
           (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '.' || s[i] == '-')
        i++;
    if (strncmp(s + i, "://", 3) != 0)
        return 0;
    i += 3;
    while (!url_end(s[i]))
        i++;
    while (i > 0 && (s[i - 1] == ':' || s[i - 1] == '.'))
        i--;
    return i;
}

void slog_scrub_endpoint(const char *in, const char *host, char *out, size_t cap)
{
    static const char MARK[] = "[endpoint]";
    size_t hl = host ? strlen(host) : 0, o = 0;
    if (!cap)
        return;
    for (size_t i = 0; in[i] && o + 1 < cap;) {
        bool word_start = i == 0 || !((in[i - 1] >= 'a' && in[i - 1] <= 'z') ||
                                      (in[i - 1] >= 'A' && in[i - 1] <= 'Z'));
        size_t skip = word_start ? url_len(in + i) : 0;
        if (!skip && hl && strncasecmp(in + i, host, hl) == 0) {
            skip = hl;
            const char *p = in + i + hl;
            size_t extra = 0;
            if (p[0] == ':' && p[1] >= '0' && p[1] <= '9')
                extra = 1; /* host:port */
            else if (strncmp(p, " port ", 6) == 0 && p[6] >= '0' && p[6] <= '9')
                extra = 6; /* libcurl's "host port N" */
            if (extra)
                while (p[extra] >= '0' && p[extra] <= '9')
                    extra++;
            skip += extra;
        }
        if (skip) {
            for (const char *m = MARK; *m && o + 1 < cap; m++)
                out[o++] = *m;
            i += skip;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
}

void slog_url_host(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p || !cap)
        return;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    if (at) { /* user:password@ */
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (p[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(p, ']', n);
        n = close ? (size_t)(close - p) - 1 : 0;
        p++;
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon)
            n = (size_t)(colon - p);
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}
