/*
 * core/bytes.h — fixed-size byte types, hex conversion and a growable buffer.
 *
 * Fixed-size data gets fixed-size types (a 20-byte address cannot be passed
 * where a 32-byte hash is expected). Hex parsing is strict because most hex
 * we read is untrusted: odd length, non-hex characters and wrong lengths are
 * errors with a message, never silently truncated or padded.
 */
#ifndef CORE_BYTES_H
#define CORE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct hash32 { uint8_t b[32]; };
struct addr20 { uint8_t b[20]; };

/* Lowercase hex of `n` bytes into `out`, which must hold 2n+1 chars; NUL-terminated. */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Decode hex `s` of length `slen` (an optional "0x"/"0X" prefix is accepted
 * only when `allow_0x`) into exactly `want` bytes at `out`. Upper and lower
 * case digits are accepted. Errors (E_INVALID) name what is wrong: odd
 * length, non-hex character and its position, or wrong byte length. */
err_code hex_decode_exact(const char *s, size_t slen, bool allow_0x, uint8_t *out, size_t want,
                          struct err *e) MUST_CHECK;

/* Decode hex of any even length into a newly malloc'd buffer (*out, *outlen);
 * caller frees. At most `max` bytes (E_LIMIT beyond). Empty input gives
 * *out = NULL, *outlen = 0. */
err_code hex_decode_alloc(const char *s, size_t slen, bool allow_0x, size_t max, uint8_t **out,
                          size_t *outlen, struct err *e) MUST_CHECK;

/* 64 hex digits (optional 0x) → hash. */
err_code hash32_from_hex(const char *s, struct hash32 *out, struct err *e) MUST_CHECK;
/* 65-char buffer: 64 lowercase hex digits, no prefix. */
void hash32_to_hex(const struct hash32 *h, char out[65]);
/* 67-char buffer: "0x" + 64 lowercase hex digits. */
void hash32_to_hex0x(const struct hash32 *h, char out[67]);
bool hash32_eq(const struct hash32 *a, const struct hash32 *b);

/* 40 hex digits with "0x" prefix → address (case is not checked; see
 * anchor's EIP-55 helpers for checksummed output). */
err_code addr20_from_hex(const char *s, struct addr20 *out, struct err *e) MUST_CHECK;
/* 43-char buffer: "0x" + 40 lowercase hex digits. */
void addr20_to_hex(const struct addr20 *a, char out[43]);
bool addr20_eq(const struct addr20 *a, const struct addr20 *b);

/*
 * A growable byte buffer. Zero-initialise (`struct buf b = {0};`), append,
 * then `buf_free`. On allocation failure the append returns E_NOMEM and the
 * buffer keeps its previous contents. `p` is always NUL-terminated after a
 * successful append (handy for text), the NUL not counted in `len`.
 */
struct buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

err_code buf_reserve(struct buf *b, size_t extra) MUST_CHECK;
err_code buf_append(struct buf *b, const void *data, size_t n) MUST_CHECK;
err_code buf_append_byte(struct buf *b, uint8_t c) MUST_CHECK;
err_code buf_append_str(struct buf *b, const char *s) MUST_CHECK;
err_code buf_printf(struct buf *b, const char *fmt, ...) MUST_CHECK
    __attribute__((format(printf, 2, 3)));
/* buf_printf() for writers that print many pieces and check once: does
 * nothing if *rc already holds a failure, else appends and stores the
 * result in *rc (E_NOMEM, or E_INVALID for a format error). */
void buf_printf_rc(err_code *rc, struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Free the memory (wiping it first if `wipe`); the buffer becomes empty. */
void buf_free(struct buf *b);
void buf_free_wipe(struct buf *b);

#endif
