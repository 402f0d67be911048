/*
 * anchor/signer.h — the one module that holds a private key.
 *
 * A `struct signer` owns a secp256k1 secret key in memory that is wiped on
 * signer_free() (and locked against core dumps while loaded where the OS
 * allows). It signs 32-byte digests with libsecp256k1's recoverable ECDSA:
 * RFC 6979 deterministic nonces, low-s normalised, recovery id 0/1 — so r and
 * s match ethers byte for byte. Nothing outside this file sees the key:
 * keystores decrypt into a caller buffer that is immediately handed to
 * signer_from_privkey() and wiped.
 */
#ifndef ANCHOR_SIGNER_H
#define ANCHOR_SIGNER_H

#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

struct signer;

/* A recoverable ECDSA signature: r, s (big-endian) and y-parity (0/1). */
struct eth_sig {
    uint8_t r[32];
    uint8_t s[32];
    uint8_t y_parity;
};

/* Create a signer from a 32-byte secret key. The caller still owns and must
 * wipe `privkey`. E_INVALID if the key is zero or ≥ the curve order. */
err_code signer_from_privkey(const uint8_t privkey[32], struct signer **out,
                             struct err *e) MUST_CHECK;

/* Create a signer with a fresh random key (OpenSSL RAND_priv_bytes). */
err_code signer_generate(struct signer **out, struct err *e) MUST_CHECK;

/* Wipe and free. NULL is fine. */
void signer_free(struct signer *s);

/* The Ethereum address of the signer's key. */
void signer_address(const struct signer *s, struct addr20 *out);

/* Copy the secret key into `out` (for writing a keystore); the caller must
 * wipe `out` after use. */
void signer_export_privkey(const struct signer *s, uint8_t out[32]);

/* Sign a 32-byte digest (a transaction's signing hash). */
err_code signer_sign_digest(const struct signer *s, const struct hash32 *digest,
                            struct eth_sig *out, struct err *e) MUST_CHECK;

/* Recover the address that produced `sig` over `digest` (used to check what
 * a gateway or a ledger says we signed). E_VERIFY if recovery fails or the
 * signature is not canonical (see eth_sig_check). */
err_code eth_recover_address(const struct hash32 *digest, const struct eth_sig *sig,
                             struct addr20 *out, struct err *e) MUST_CHECK;

/* The checks Ethereum applies to a transaction signature before recovery:
 * y-parity 0 or 1, r and s non-zero, s ≤ n/2 (EIP-2 "low s"). E_VERIFY with
 * the reason otherwise. (r, s < n is checked when recovering.) */
err_code eth_sig_check(const struct eth_sig *sig, struct err *e) MUST_CHECK;

/* The signer's uncompressed public key, 64 bytes X||Y. */
void signer_pubkey64(const struct signer *s, uint8_t out[64]);

/* Address of an uncompressed public key (64 bytes X||Y): last 20 bytes of
 * keccak256(X||Y). */
void eth_address_from_pubkey64(const uint8_t pub[64], struct addr20 *out);

/* EIP-55 mixed-case checksum form: "0x" + 40 hex digits, 43 bytes with NUL. */
void eth_address_checksum(const struct addr20 *a, char out[43]);

/* Parse an address; if it is mixed-case, the EIP-55 checksum must match
 * (E_INVALID "bad EIP-55 checksum"); all-lower or all-upper is accepted. */
err_code eth_address_parse(const char *s, struct addr20 *out, struct err *e) MUST_CHECK;

#endif
