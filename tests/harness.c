/* tests/harness.c — see harness.h. */
#define _GNU_SOURCE
#include "tests/harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define T_MAX 1024

static struct { const char *name; t_fn fn; } g_tests[T_MAX];
static int g_ntests;
static int g_passed, g_failed;
static bool g_cur_failed;
static const char *g_cur_name;
static char g_tmpdir[256];

void t_register(const char *name, t_fn fn)
{
    if (g_ntests < T_MAX)
        g_tests[g_ntests++] = (typeof(g_tests[0])){name, fn};
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "FAIL %s (%s:%d): ", g_cur_name, file, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    g_cur_failed = true;
}

void t_case(bool ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        g_passed++;
        if (getenv("T_VERBOSE"))
            printf("ok   %s: %s\n", g_cur_name, name);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: %s: ", g_cur_name, name);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    g_failed++;
}

const char *t_vector_path(const char *rel)
{
    static char path[4096];
    const char *base = getenv("VECTORS");
    snprintf(path, sizeof path, "%s/%s", base ? base : "tests/vectors", rel);
    return path;
}

static void rm_tmpdir(void)
{
    if (g_tmpdir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", g_tmpdir);
    }
}

const char *t_tmpdir(void)
{
    if (!g_tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(g_tmpdir, sizeof g_tmpdir, "%s/cntest.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(g_tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(rm_tmpdir);
    }
    return g_tmpdir;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < g_ntests; i++) {
        if (argc > 1 && !strstr(g_tests[i].name, argv[1]))
            continue;
        g_cur_name = g_tests[i].name;
        g_cur_failed = false;
        g_tests[i].fn();
        if (g_cur_failed)
            g_failed++;
        else {
            g_passed++;
            if (getenv("T_VERBOSE"))
                printf("ok   %s\n", g_cur_name);
        }
    }
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
