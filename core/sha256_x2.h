/*
 * core/sha256_x2.h — the SHA-256 compression function (FIPS 180-4 §6.2.2) on
 * two independent messages at once, with the x86 SHA extensions (SHA-NI).
 *
 * Why: core/merkle.c hashes millions of one- and two-block messages. One
 * SHA-NI stream waits on the latency of each round instruction; two
 * independent streams interleaved fill those gaps, so a pair costs little
 * more than one. OpenSSL offers no such call (SHA256_Transform is one block
 * of one message), hence this file; core/merkle.c falls back to
 * SHA256_Transform where the CPU lacks SHA-NI, and tests/unit/test_merkle.c
 * checks both paths against EVP's SHA-256.
 */
#ifndef CORE_SHA256_X2_H
#define CORE_SHA256_X2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if this CPU has SHA-NI, SSSE3 and SSE4.1 (checked once, by CPUID);
 * sha256_x2_blocks may be called only then. Always false off x86-64. */
bool sha256_x2_available(void);

/*
 * Compress `nblocks` 64-byte blocks into each of two states:
 * state_a ← compress(state_a, a[0..nblocks·64-1]), the same for b.
 * In: states as FIPS 180-4 words H0..H7 (host order); blocks as message
 * bytes (already padded by the caller). a and b may be the same message,
 * state_a and state_b must not alias each other.
 */
void sha256_x2_blocks(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8],
                      const uint8_t *b, size_t nblocks);

#endif
