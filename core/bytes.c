/* core/bytes.c — see bytes.h. */
#include "core/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char HEXDIGITS[] = "0123456789abcdef";

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEXDIGITS[in[i] >> 4];
        out[2 * i + 1] = HEXDIGITS[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* "0x" and the lowercase hex of `n` bytes: out holds 2n+3 chars. */
static void hex_encode_0x(const uint8_t *in, size_t n, char *out)
{
    out[0] = '0';
    out[1] = 'x';
    hex_encode(in, n, out + 2);
}

/* The value of each byte as a hex digit, -1 for a byte that is not one: one
 * load per digit (a batch verification decodes a contract's code per
 * bundle). */
#define HD(c) ((c) >= '0' && (c) <= '9'   ? (c) - '0' \
               : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 \
               : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 \
                                          : -1)
#define HD4(c) HD(c), HD((c) + 1), HD((c) + 2), HD((c) + 3)
#define HD16(c) HD4(c), HD4((c) + 4), HD4((c) + 8), HD4((c) + 12)
#define HD64(c) HD16(c), HD16((c) + 16), HD16((c) + 32), HD16((c) + 48)
static const signed char HEXVAL[256] = {HD64(0), HD64(64), HD64(128), HD64(192)};
#undef HD64
#undef HD16
#undef HD4
#undef HD

static int hexval(char c) { return HEXVAL[(unsigned char)c]; }

/* Validate and strip the prefix; on success digits/ndigits describe the hex digits. */
static err_code hex_prepare(const char *s, size_t slen, bool allow_0x, const char **digits,
                            size_t *ndigits, struct err *e)
{
    if (!s)
        return err_set(e, E_INVALID, "missing hex string");
    if (allow_0x && slen >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        slen -= 2;
    }
    if (slen % 2)
        return err_set(e, E_INVALID, "hex string has odd length %zu", slen);
    for (size_t i = 0; i < slen; i++)
        if (hexval(s[i]) < 0)
            return err_set(e, E_INVALID, "non-hex character at position %zu of hex string", i);
    *digits = s;
    *ndigits = slen;
    return E_OK;
}

static void hex_unpack(const char *d, size_t nbytes, uint8_t *out)
{
    for (size_t i = 0; i < nbytes; i++)
        out[i] = (uint8_t)(hexval(d[2 * i]) << 4 | hexval(d[2 * i + 1]));
}

err_code hex_decode_exact(const char *s, size_t slen, bool allow_0x, uint8_t *out, size_t want,
                          struct err *e)
{
    const char *d;
    size_t nd;
    err_code rc = hex_prepare(s, slen, allow_0x, &d, &nd, e);
    if (rc)
        return rc;
    if (nd / 2 != want)
        return err_set(e, E_INVALID, "expected %zu bytes (%zu hex digits), got %zu bytes", want,
                       want * 2, nd / 2);
    hex_unpack(d, want, out);
    return E_OK;
}

err_code hex_decode_alloc(const char *s, size_t slen, bool allow_0x, size_t max, uint8_t **out,
                          size_t *outlen, struct err *e)
{
    const char *d;
    size_t nd;
    *out = NULL;
    *outlen = 0;
    err_code rc = hex_prepare(s, slen, allow_0x, &d, &nd, e);
    if (rc)
        return rc;
    if (nd / 2 > max)
        return err_set(e, E_LIMIT, "hex data of %zu bytes exceeds the limit of %zu", nd / 2, max);
    if (nd == 0)
        return E_OK;
    uint8_t *p = malloc(nd / 2);
    if (!p)
        return err_set(e, E_NOMEM, "out of memory");
    hex_unpack(d, nd / 2, p);
    *out = p;
    *outlen = nd / 2;
    return E_OK;
}

err_code hash32_from_hex(const char *s, struct hash32 *out, struct err *e)
{
    if (!s)
        return err_set(e, E_INVALID, "missing hash");
    return hex_decode_exact(s, strlen(s), true, out->b, 32, e);
}

void hash32_to_hex(const struct hash32 *h, char out[65]) { hex_encode(h->b, 32, out); }

void hash32_to_hex0x(const struct hash32 *h, char out[67]) { hex_encode_0x(h->b, 32, out); }

bool hash32_eq(const struct hash32 *a, const struct hash32 *b)
{
    return memcmp(a->b, b->b, 32) == 0;
}

err_code addr20_from_hex(const char *s, struct addr20 *out, struct err *e)
{
    if (!s || strncmp(s, "0x", 2) != 0)
        return err_set(e, E_INVALID, "address must be 0x followed by 40 hex digits");
    return hex_decode_exact(s, strlen(s), true, out->b, 20, e);
}

void addr20_to_hex(const struct addr20 *a, char out[43]) { hex_encode_0x(a->b, 20, out); }

bool addr20_eq(const struct addr20 *a, const struct addr20 *b)
{
    return memcmp(a->b, b->b, 20) == 0;
}

err_code buf_reserve(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return E_NOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return E_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return E_NOMEM;
    b->p = p;
    b->cap = cap;
    return E_OK;
}

err_code buf_append(struct buf *b, const void *data, size_t n)
{
    err_code rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return E_OK;
}

err_code buf_append_byte(struct buf *b, uint8_t c) { return buf_append(b, &c, 1); }

err_code buf_append_str(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

static err_code buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    err_code rc = n < 0 ? E_INVALID : buf_reserve(b, (size_t)n);
    if (!rc) {
        vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

err_code buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_code rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_printf_rc(err_code *rc, struct buf *b, const char *fmt, ...)
{
    if (*rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    *rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void buf_free_wipe(struct buf *b)
{
    if (b->p)
        OPENSSL_cleanse(b->p, b->cap);
    buf_free(b);
}
