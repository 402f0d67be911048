/*
 * anchor/jwt.h — compact JWS (RFC 7515) / JWT (RFC 7519) with ES256 (ECDSA on
 * P-256 with SHA-256, RFC 7518 §3.4), through OpenSSL.
 *
 * What it is for: the notary proves control of its did:ebsi to EBSI's
 * Authorisation API with a JWT Verifiable Presentation signed by the DID's
 * P-256 key (anchor/ebsi_auth.h), and reads JWTs an outside party sends back.
 *
 * Rules kept here once:
 *   - base64url without padding (RFC 7515 §2), decoded strictly (one
 *     spelling per byte string): core/b64url.h;
 *   - a compact JWS is exactly three such parts; header and payload are
 *     strict JSON objects (core/json.h: duplicate keys, depth, size);
 *     "alg" is a string; a header with "crit" is refused (RFC 7515 §4.1.11:
 *     we understand no extension); "none" is never accepted;
 *   - the ES256 signature is the 64-byte R || S (RFC 7518 §3.4), not DER;
 *     a verifier refuses any other length and S in the upper half is
 *     accepted (JOSE does not require low S) but R, S must be in 1..n-1.
 *
 * Keys: a struct jwt_key is a P-256 key (private, or public only). Private
 * keys are read from PEM (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY",
 * unencrypted) in a file that must not be readable by group or others,
 * like the issuer key. Public keys also come from a JWK {"kty":"EC",
 * "crv":"P-256","x","y"} (RFC 7518 §6.2.1).
 *
 * Ownership: char * and struct buf outputs are the caller's (free /
 * buf_free); jwt_key_free, jwt_parsed_free release the rest. The private
 * key never leaves the struct.
 */
#ifndef ANCHOR_JWT_H
#define ANCHOR_JWT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

/* Longest compact JWS we parse (EBSI's tokens are ~1 KB). */
#define JWT_MAX_BYTES (16u * 1024u)
/* Longest PEM key file we read. */
#define JWT_MAX_KEY_FILE (8u * 1024u)

/* ---- keys --------------------------------------------------------------- */

struct jwt_key;

/* A P-256 private key from PEM text. E_INVALID: not PEM, encrypted, not EC,
 * not P-256 (says which curve to use). */
err_code jwt_key_from_pem(const char *pem, size_t len, struct jwt_key **out,
                          struct err *e) MUST_CHECK;
/* jwt_key_from_pem() of file `path`: E_NOT_FOUND missing; E_STATE when its
 * mode lets group or others read it ("chmod 600 FILE"); E_LIMIT over
 * JWT_MAX_KEY_FILE. The read buffer is wiped. */
err_code jwt_key_read_file(const char *path, struct jwt_key **out, struct err *e) MUST_CHECK;
/* A P-256 public key from a JWK object: exactly kty "EC", crv "P-256", x and
 * y (32 bytes each, base64url), optionally kid/alg/use ("alg" must then be
 * ES256); any "d" is refused (a private key in a public place). The point
 * must be on the curve. E_INVALID naming the member. */
err_code jwt_key_from_jwk(const json_t *jwk, struct jwt_key **out, struct err *e) MUST_CHECK;
void jwt_key_free(struct jwt_key *k);
/* Does `k` hold the private half? */
bool jwt_key_has_private(const struct jwt_key *k);

/* The public JWK {"crv","kty","x","y"} (members in RFC 7638 order). New
 * reference, NULL when out of memory. */
json_t *jwt_key_public_jwk(const struct jwt_key *k);
/* The RFC 7638 JWK thumbprint (SHA-256, base64url: 43 characters + NUL). */
err_code jwt_key_thumbprint(const struct jwt_key *k, char out[44], struct err *e) MUST_CHECK;

/* ---- signing and parsing ------------------------------------------------ */

/*
 * Sign: header and payload are serialised compactly in their member order,
 * `header` must say "alg":"ES256" (E_INVALID otherwise), `k` must hold the
 * private key (E_STATE). *out: malloc'd "h.p.s", NUL-terminated.
 */
err_code jwt_sign_es256(const struct jwt_key *k, const json_t *header, const json_t *payload,
                        char **out, struct err *e) MUST_CHECK;

/* A parsed compact JWS. */
struct jwt_parsed {
    json_t *header;   /* owned */
    json_t *payload;  /* owned */
    const char *alg;  /* borrowed from header */
    uint8_t *sig;     /* owned, sig_len bytes */
    size_t sig_len;
    size_t signed_len; /* the signing input is text[0..signed_len) */
    char *text;        /* owned copy of the whole JWS */
};

/*
 * Parse `len` bytes of a compact JWS (not NUL-terminated) as above; the
 * signature is not checked. E_LIMIT over JWT_MAX_BYTES; E_INVALID saying
 * which part is wrong. `out` is zeroed first; free with jwt_parsed_free.
 */
err_code jwt_parse(const char *text, size_t len, struct jwt_parsed *out, struct err *e) MUST_CHECK;
void jwt_parsed_free(struct jwt_parsed *p);

/* Check the signature of `p` with `k` (public is enough): alg must be
 * "ES256" and the signature 64 bytes. E_VERIFY "the JWT signature does not
 * verify" or E_INVALID for the alg/length. */
err_code jwt_verify_es256(const struct jwt_parsed *p, const struct jwt_key *k,
                          struct err *e) MUST_CHECK;

#endif
