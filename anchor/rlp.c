/*
 * anchor/rlp.c — see rlp.h.
 *
 * Item prefixes (Yellow Paper, Appendix B):
 *   0x00..0x7f  the byte itself
 *   0x80..0xb7  string of 0..55 bytes follows
 *   0xb8..0xbf  1..8 length bytes, then a string of ≥ 56 bytes
 *   0xc0..0xf7  list whose payload has 0..55 bytes
 *   0xf8..0xff  1..8 length bytes, then a list payload of ≥ 56 bytes
 * The decoder accepts only the shortest form, as geth's rlp package does
 * (ErrCanonSize, ErrCanonInt), so one value has exactly one encoding and a
 * hash over the encoding identifies the value.
 */
#include "anchor/rlp.h"

#include <string.h>

/* ---- u256 -------------------------------------------------------------- */

void u256_from_u64(uint64_t v, struct u256 *out)
{
    memset(out->b, 0, 32);
    for (int i = 31; i >= 24; i--) {
        out->b[i] = (uint8_t)v;
        v >>= 8;
    }
}

err_code u256_from_dec(const char *s, struct u256 *out, struct err *e)
{
    if (!s || !*s)
        return err_set(e, E_INVALID, "empty decimal number");
    size_t n = strlen(s);
    if (n > 1 && s[0] == '0')
        return err_set(e, E_INVALID, "decimal number \"%.40s\" has a leading zero", s);
    struct u256 v = {{0}};
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return err_set(e, E_INVALID, "non-digit at position %zu of decimal number", i);
        unsigned carry = (unsigned)(s[i] - '0');
        for (int j = 31; j >= 0; j--) {
            unsigned x = v.b[j] * 10u + carry;
            v.b[j] = (uint8_t)x;
            carry = x >> 8;
        }
        if (carry)
            return err_set(e, E_LIMIT, "decimal number \"%.40s...\" does not fit 256 bits", s);
    }
    *out = v;
    return E_OK;
}

void u256_to_dec(const struct u256 *v, char out[79])
{
    struct u256 t = *v;
    char tmp[79];
    size_t nd = 0;
    do {
        /* t /= 10, remainder is the next digit (least significant first). */
        unsigned rem = 0;
        bool nonzero = false;
        for (int j = 0; j < 32; j++) {
            unsigned x = (rem << 8) | t.b[j];
            t.b[j] = (uint8_t)(x / 10);
            rem = x % 10;
            nonzero |= t.b[j] != 0;
        }
        tmp[nd++] = (char)('0' + rem);
        if (!nonzero)
            break;
    } while (nd < 78);
    for (size_t i = 0; i < nd; i++)
        out[i] = tmp[nd - 1 - i];
    out[nd] = '\0';
}

err_code u256_to_u64(const struct u256 *v, uint64_t *out, struct err *e)
{
    for (int i = 0; i < 24; i++)
        if (v->b[i])
            return err_set(e, E_LIMIT, "value does not fit 64 bits");
    uint64_t x = 0;
    for (int i = 24; i < 32; i++)
        x = (x << 8) | v->b[i];
    *out = x;
    return E_OK;
}

bool u256_is_zero(const struct u256 *v)
{
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= v->b[i];
    return acc == 0;
}

bool u256_eq(const struct u256 *a, const struct u256 *b) { return memcmp(a->b, b->b, 32) == 0; }

/* ---- encoding ---------------------------------------------------------- */

/* Big-endian bytes of `len` without leading zeros into `out` (8 bytes);
 * returns how many. */
static size_t be_len_bytes(uint64_t len, uint8_t out[8])
{
    size_t n = 0;
    for (int shift = 56; shift >= 0; shift -= 8) {
        uint8_t byte = (uint8_t)(len >> shift);
        if (n || byte)
            out[n++] = byte;
    }
    return n;
}

/* Header for a payload of `len` bytes with short-form base `base` (0x80 for
 * strings, 0xc0 for lists) into hdr (9 bytes); returns its length. */
static size_t make_header(uint8_t base, size_t len, uint8_t hdr[9])
{
    if (len < 56) {
        hdr[0] = (uint8_t)(base + len);
        return 1;
    }
    size_t ll = be_len_bytes(len, hdr + 1);
    hdr[0] = (uint8_t)(base + 55 + ll);
    return 1 + ll;
}

err_code rlp_put_bytes(struct buf *b, const uint8_t *p, size_t n)
{
    if (n == 1 && p[0] < 0x80)
        return buf_append_byte(b, p[0]);
    uint8_t hdr[9];
    size_t hl = make_header(0x80, n, hdr);
    err_code rc = buf_reserve(b, hl + n);
    if (rc)
        return rc;
    memcpy(b->p + b->len, hdr, hl);
    if (n)
        memcpy(b->p + b->len + hl, p, n);
    b->len += hl + n;
    b->p[b->len] = 0;
    return E_OK;
}

err_code rlp_put_uint_be(struct buf *b, const uint8_t *be, size_t n)
{
    while (n && be[0] == 0) {
        be++;
        n--;
    }
    return rlp_put_bytes(b, be, n);
}

err_code rlp_put_uint(struct buf *b, uint64_t v)
{
    uint8_t be[8];
    size_t n = be_len_bytes(v, be);
    return rlp_put_bytes(b, be, n);
}

err_code rlp_put_u256(struct buf *b, const struct u256 *v) { return rlp_put_uint_be(b, v->b, 32); }

err_code rlp_put_raw(struct buf *b, const uint8_t *p, size_t n) { return buf_append(b, p, n); }

void rlp_list_begin(const struct buf *b, size_t *mark) { *mark = b->len; }

err_code rlp_list_end(struct buf *b, size_t mark)
{
    if (mark > b->len)
        return E_INVALID;
    size_t len = b->len - mark;
    uint8_t hdr[9];
    size_t hl = make_header(0xc0, len, hdr);
    err_code rc = buf_reserve(b, hl);
    if (rc)
        return rc;
    /* Shift the payload right and put the header in front of it. */
    memmove(b->p + mark + hl, b->p + mark, len);
    memcpy(b->p + mark, hdr, hl);
    b->len += hl;
    b->p[b->len] = 0;
    return E_OK;
}

/* ---- decoding ---------------------------------------------------------- */

/* Parse the header of the item at p (n bytes available, `off` its offset in
 * the whole input for messages) strictly; fill `out` (raw_len tells where
 * the next item starts). */
static err_code parse_item(const uint8_t *p, size_t n, size_t off, struct rlp_item *out,
                           struct err *e)
{
    if (n == 0)
        return err_set(e, E_INVALID, "RLP truncated: item expected at offset %zu", off);
    uint8_t b0 = p[0];
    out->raw = p;
    if (b0 < 0x80) {
        out->is_list = false;
        out->p = p;
        out->len = 1;
        out->raw_len = 1;
        return E_OK;
    }
    bool is_list = b0 >= 0xc0;
    uint8_t base = is_list ? 0xc0 : 0x80;
    size_t hl, len;
    if (b0 - base < 56) {
        hl = 1;
        len = (size_t)(b0 - base);
    } else {
        size_t ll = (size_t)(b0 - base - 55); /* 1..8 */
        if (n - 1 < ll)
            return err_set(e, E_INVALID, "RLP truncated: length of item at offset %zu", off);
        if (p[1] == 0)
            return err_set(e, E_INVALID,
                           "RLP not canonical: length with leading zero at offset %zu", off);
        uint64_t L = 0;
        for (size_t i = 0; i < ll; i++)
            L = (L << 8) | p[1 + i];
        if (L < 56)
            return err_set(e, E_INVALID,
                           "RLP not canonical: long form for %llu-byte payload at offset %zu",
                           (unsigned long long)L, off);
        if (L > (uint64_t)(n - 1 - ll))
            return err_set(e, E_INVALID,
                           "RLP item at offset %zu declares %llu bytes but only %zu follow", off,
                           (unsigned long long)L, n - 1 - ll);
        hl = 1 + ll;
        len = (size_t)L;
    }
    if (len > n - hl)
        return err_set(e, E_INVALID, "RLP item at offset %zu declares %zu bytes but only %zu follow",
                       off, len, n - hl);
    if (!is_list && len == 1 && p[1] < 0x80)
        return err_set(e, E_INVALID,
                       "RLP not canonical: single byte 0x%02x below 0x80 has a prefix at offset %zu",
                       p[1], off);
    out->is_list = is_list;
    out->p = p + hl;
    out->len = len;
    out->raw_len = hl + len;
    return E_OK;
}

static err_code validate(const struct rlp_item *it, const uint8_t *base, int depth, struct err *e)
{
    if (!it->is_list)
        return E_OK;
    if (depth >= RLP_MAX_DEPTH)
        return err_set(e, E_LIMIT, "RLP nested deeper than %d lists at offset %zu", RLP_MAX_DEPTH,
                       (size_t)(it->raw - base));
    const uint8_t *p = it->p;
    size_t left = it->len;
    while (left) {
        struct rlp_item child;
        err_code rc = parse_item(p, left, (size_t)(p - base), &child, e);
        if (rc)
            return rc;
        rc = validate(&child, base, depth + 1, e);
        if (rc)
            return rc;
        p += child.raw_len;
        left -= child.raw_len;
    }
    return E_OK;
}

err_code rlp_decode(const uint8_t *in, size_t n, struct rlp_item *out, struct err *e)
{
    struct rlp_item it;
    err_code rc = parse_item(in, n, 0, &it, e);
    if (rc)
        return rc;
    if (it.raw_len != n)
        return err_set(e, E_INVALID, "RLP has %zu trailing bytes after the item", n - it.raw_len);
    rc = validate(&it, in, 0, e);
    if (rc)
        return rc;
    *out = it;
    return E_OK;
}

err_code rlp_list_items(const struct rlp_item *list, struct rlp_item *items, size_t max,
                        size_t *count, struct err *e)
{
    *count = 0;
    if (!list->is_list)
        return err_set(e, E_INVALID, "RLP list expected, found a string");
    const uint8_t *p = list->p;
    size_t left = list->len, k = 0;
    while (left) {
        struct rlp_item child;
        err_code rc = parse_item(p, left, (size_t)(p - list->p), &child, e);
        if (rc)
            return rc;
        if (k == max)
            return err_set(e, E_LIMIT, "RLP list has more than %zu items", max);
        items[k++] = child;
        p += child.raw_len;
        left -= child.raw_len;
    }
    *count = k;
    return E_OK;
}

void rlp_iter_init(struct rlp_iter *it, const struct rlp_item *list)
{
    it->p = list->is_list ? list->p : NULL;
    it->left = list->is_list ? list->len : 0;
}

bool rlp_iter_next(struct rlp_iter *it, struct rlp_item *out)
{
    if (!it->left)
        return false;
    if (parse_item(it->p, it->left, 0, out, NULL) != E_OK) {
        it->left = 0;
        return false;
    }
    it->p += out->raw_len;
    it->left -= out->raw_len;
    return true;
}

/* Common checks for an integer item of at most `maxlen` bytes. */
static err_code int_item(const struct rlp_item *it, const char *what, size_t maxlen, struct err *e)
{
    if (it->is_list)
        return err_set(e, E_INVALID, "%s: integer expected, found a list", what);
    if (it->len > maxlen)
        return err_set(e, E_INVALID, "%s: integer of %zu bytes exceeds %zu", what, it->len, maxlen);
    if (it->len && it->p[0] == 0)
        return err_set(e, E_INVALID, "%s: integer not canonical (leading zero byte)", what);
    return E_OK;
}

err_code rlp_item_uint(const struct rlp_item *it, const char *what, uint64_t *out, struct err *e)
{
    err_code rc = int_item(it, what, 8, e);
    if (rc)
        return rc;
    uint64_t v = 0;
    for (size_t i = 0; i < it->len; i++)
        v = (v << 8) | it->p[i];
    *out = v;
    return E_OK;
}

err_code rlp_item_u256(const struct rlp_item *it, const char *what, struct u256 *out,
                       struct err *e)
{
    err_code rc = int_item(it, what, 32, e);
    if (rc)
        return rc;
    memset(out->b, 0, 32);
    if (it->len)
        memcpy(out->b + 32 - it->len, it->p, it->len);
    return E_OK;
}
