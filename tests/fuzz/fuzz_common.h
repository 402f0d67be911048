/*
 * tests/fuzz/fuzz_common.h — what every libFuzzer target in tests/fuzz/
 * shares: the entry point's prototype and REQUIRE, the property check.
 * Header only (nothing to link): include it after the target's own
 * `#define _GNU_SOURCE`, if any, and before its project headers.
 *
 * REQUIRE(cond): when cond is false, print
 *   "<target>: property violated: <cond> (line <n>)"
 * on stderr (<target> is the source file's name without ".c", e.g.
 * fuzz_bundle) and abort(), which libFuzzer reports as a crash and keeps
 * the input. Never returns on a violation; evaluates cond once.
 */
#ifndef TESTS_FUZZ_FUZZ_COMMON_H
#define TESTS_FUZZ_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point, defined once by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a violated property of FILE (its __FILE__) at LINE, then abort. */
__attribute__((noreturn)) static inline void fuzz_violated(const char *file, const char *cond,
                                                           int line)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    fprintf(stderr, "%.*s: property violated: %s (line %d)\n", (int)strcspn(base, "."), base, cond,
            line);
    abort();
}

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_violated(__FILE__, #cond, __LINE__);                                              \
    } while (0)

#endif
