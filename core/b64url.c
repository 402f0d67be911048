/* core/b64url.c — see b64url.h. */
#include "core/b64url.h"

#include <string.h>

static const char B64U[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

err_code b64url_encode(const uint8_t *p, size_t n, struct buf *out, struct err *e)
{
    if (buf_reserve(out, (n + 2) / 3 * 4 + 1))
        return err_set(e, E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        size_t chars = n - i >= 3 ? 4 : n - i + 1;
        for (size_t k = 0; k < chars; k++)
            out->p[out->len++] = (uint8_t)B64U[(v >> (18 - 6 * k)) & 63];
    }
    out->p[out->len] = 0;
    return E_OK;
}

static int value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

bool b64url_char(char c) { return value(c) >= 0; }

err_code b64url_decode_to(const char *s, size_t n, uint8_t *out, size_t *outlen, struct err *e)
{
    *outlen = 0;
    if (n % 4 == 1)
        return err_set(e, E_INVALID, "base64url of %zu characters is impossible", n);
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = value(s[i]);
        if (v < 0)
            return err_set(e, E_INVALID, "not base64url at character %zu%s", i,
                           s[i] == '=' ? " (padding is not allowed)" : "");
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* unused low bits of the last character */
        return err_set(e, E_INVALID, "base64url: the last character is not canonical");
    *outlen = o;
    return E_OK;
}

err_code b64url_decode(const char *s, size_t n, struct buf *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (buf_reserve(out, n / 4 * 3 + 3))
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = b64url_decode_to(s, n, out->p, &out->len, e);
    if (rc) {
        buf_free(out);
        return rc;
    }
    out->p[out->len] = 0;
    return E_OK;
}
