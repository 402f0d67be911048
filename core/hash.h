/*
 * core/hash.h — SHA-256 (OpenSSL) and Ethereum Keccak-256 (nettle's
 * Keccak-f[1600] permutation).
 *
 * sha256() is the general entry point: OpenSSL EVP with the algorithm fetched
 * once per process (OpenSSL 3 re-fetches on every SHA256()/EVP_Digest() call,
 * which costs more than hashing a 65-byte message; see docs/design.md "Hashing speed").
 * keccak256() is Ethereum's Keccak-256: the original Keccak padding
 * (0x01 … 0x80), not FIPS 202 SHA3-256 (0x06 … 0x80).
 */
#ifndef CORE_HASH_H
#define CORE_HASH_H

#include <stddef.h>

#include "core/bytes.h"
#include "core/error.h"

/* SHA-256 of `n` bytes at `data` into `out`. Fails (E_CRYPTO) only if the
 * OpenSSL default provider is unusable. Thread-safe. */
err_code sha256(const void *data, size_t n, struct hash32 *out) MUST_CHECK;

/* Keccak-256 of `n` bytes at `data` into `out`. Cannot fail. */
void keccak256(const void *data, size_t n, struct hash32 *out);

#endif
