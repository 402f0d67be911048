/*
 * tests/harness.h — a minimal test harness: register tests with TEST(name),
 * check with CHECK*(); main() (in harness.c) runs every registered test, or
 * those whose name contains argv[1], and ends with the line
 * "N passed, N failed" that tests/run.sh adds up.
 *
 * Table-driven tests over vector files report one case per vector with
 * t_case(), so a failing vector is named and counted on its own.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *name, t_fn fn);
/* Mark the running test failed with a message (the test goes on). */
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Count one extra named case, passed or failed, with a reason if failed. */
void t_case(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Path of a shared vector file: $VECTORS (default tests/vectors, relative to the repository root) + rel. */
const char *t_vector_path(const char *rel);
/* A fresh temporary directory for this test process (removed at exit). */
const char *t_tmpdir(void);

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void name##_register(void) { t_register(#name, name); }    \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECKF(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);                                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* An err_code-returning call must succeed; prints the err message if not. */
#define CHECK_OK(call, errp)                                                                       \
    do {                                                                                           \
        err_code rc_ = (call);                                                                     \
        if (rc_ != E_OK) {                                                                       \
            t_fail(__FILE__, __LINE__, "%s failed: %s: %s", #call, err_name(rc_),                 \
                   (errp)->msg);                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* A call must fail with `code`, and its message must contain `substr`. */
#define CHECK_ERR(call, errp, code, substr)                                                        \
    do {                                                                                           \
        err_code rc_ = (call);                                                                     \
        if (rc_ != (code)) {                                                                       \
            t_fail(__FILE__, __LINE__, "%s returned %s, want %s (%s)", #call, err_name(rc_),       \
                   err_name(code), (errp)->msg);                                                   \
            return;                                                                                \
        }                                                                                          \
        if (!strstr((errp)->msg, (substr))) {                                                      \
            t_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", #call, (errp)->msg,      \
                   (substr));                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STREQ(a, b)                                                                          \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            t_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",   \
                   b_ ? b_ : "(null)");                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
