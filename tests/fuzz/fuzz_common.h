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

/* The DID targets' input (fuzz_did, fuzz_did_ebsi): an optional first line
 * "did:..." then the document. When `data` starts with "did:", that line
 * (without its '\n') is copied NUL-terminated into `did` (`did_size` bytes)
 * and *doc, *len are what follows it; otherwise `did` keeps the target's
 * default and the document is the whole input. Returns 1 when a DID line
 * was read, 0 when there is none, -1 when it does not fit or holds a NUL
 * (the target skips the input). */
static inline int fuzz_did_line(const uint8_t *data, size_t size, char *did, size_t did_size,
                                const char **doc, size_t *len)
{
    *doc = (const char *)data;
    *len = size;
    if (size < 4 || memcmp(data, "did:", 4) != 0)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t dl = nl ? (size_t)(nl - data) : size;
    if (dl >= did_size || memchr(data, '\0', dl))
        return -1;
    memcpy(did, data, dl);
    did[dl] = '\0';
    *doc = nl ? (const char *)nl + 1 : "";
    *len = nl ? size - dl - 1 : 0;
    return 1;
}

#endif
