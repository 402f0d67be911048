/*
 * core/b64url.h — base64url without padding (RFC 4648 §5, as RFC 7515 §2
 * uses it), the one implementation the JWS code (anchor/jwt), EBSI's DID
 * documents and JWTs (anchor/did_ebsi) and the verifier link (core/embed)
 * share.
 *
 * Decoding is strict, so a byte string has one spelling: only the URL-safe
 * alphabet, no '=', no length ≡ 1 (mod 4), the unused low bits of the last
 * character zero.
 */
#ifndef CORE_B64URL_H
#define CORE_B64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

/* Append the base64url of p[0..n) to `out`, then a NUL (not counted:
 * struct buf's promise). E_NOMEM. */
err_code b64url_encode(const uint8_t *p, size_t n, struct buf *out, struct err *e) MUST_CHECK;

/* Is `c` a character of the base64url alphabet? */
bool b64url_char(char c);

/* Decode `n` characters of `s` strictly into `out` (room for n / 4 * 3 + 2
 * bytes; nothing allocated), *outlen the bytes written. E_INVALID: a length
 * ≡ 1 (mod 4), a character outside the alphabet (its offset named; '='
 * said to be padding), or a last character whose unused bits are not zero. */
err_code b64url_decode_to(const char *s, size_t n, uint8_t *out, size_t *outlen,
                          struct err *e) MUST_CHECK;

/* b64url_decode_to() into a fresh `out` (NUL after the bytes, not counted;
 * the caller buf_free()s it, also emptied on error). E_NOMEM. */
err_code b64url_decode(const char *s, size_t n, struct buf *out, struct err *e) MUST_CHECK;

#endif
