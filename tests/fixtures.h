/*
 * tests/fixtures.h — test data that several unit tests build the same way.
 * Linked into every test binary (tests/fixtures.c, like harness.c).
 */
#ifndef TESTS_FIXTURES_H
#define TESTS_FIXTURES_H

#include <stdint.h>

#include "core/hash.h"

/* Fill out[0..n) with deterministic, distinct hashes: out[i] is the SHA-256
 * of the 4 bytes of `seed` then the 8 bytes of i (host byte order). The
 * same (n, seed) gives the same hashes in every test; a different seed
 * gives other ones. Aborts if SHA-256 fails (a broken build, not a test
 * outcome). */
void t_det_entries(struct hash32 *out, uint64_t n, uint32_t seed);

#endif
