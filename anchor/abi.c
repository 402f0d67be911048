/*
 * anchor/abi.c — see abi.h.
 *
 * The encoder works in two passes over the arguments: first the size of
 * every dynamic tail (so each head offset is known), then heads followed by
 * tails, written straight into the caller's buffer. Offsets are relative to
 * the start of the argument block (after the selector); inside a bytes[] the
 * item offsets are relative to the start of the item offsets (the word after
 * the count), as the specification's "enc(X) for T[] = enc(k) enc((X[0],
 * ..., X[k-1]))" tuple rule gives.
 */
#include "anchor/abi.h"

#include <string.h>

#include "core/hash.h"

void abi_selector(const char *signature, uint8_t out[4])
{
    struct hash32 h;
    keccak256(signature, strlen(signature), &h);
    memcpy(out, h.b, 4);
}

void abi_event_topic(const char *signature, struct hash32 *out)
{
    keccak256(signature, strlen(signature), out);
}

/* ---- argument constructors --------------------------------------------- */

struct abi_arg abi_arg_uint(uint64_t v)
{
    struct abi_arg a = {.kind = ABI_UINT};
    u256_from_u64(v, &a.v.uint);
    return a;
}

struct abi_arg abi_arg_u256(const struct u256 *v) { return (struct abi_arg){ABI_UINT, {.uint = *v}}; }

struct abi_arg abi_arg_bool(bool v) { return (struct abi_arg){ABI_BOOL, {.boolean = v}}; }

struct abi_arg abi_arg_address(const struct addr20 *a)
{
    return (struct abi_arg){ABI_ADDRESS, {.address = *a}};
}

struct abi_arg abi_arg_bytes32(const struct hash32 *h)
{
    return (struct abi_arg){ABI_BYTES32, {.bytes32 = *h}};
}

struct abi_arg abi_arg_bytes(const uint8_t *p, size_t len)
{
    return (struct abi_arg){ABI_BYTES, {.bytes = {p, len}}};
}

struct abi_arg abi_arg_uint_array(const struct u256 *items, size_t count)
{
    struct abi_arg a = {.kind = ABI_UINT_ARRAY};
    a.v.uints.items = items;
    a.v.uints.count = count;
    return a;
}

struct abi_arg abi_arg_bytes_array(const struct abi_bytes *items, size_t count)
{
    struct abi_arg a = {.kind = ABI_BYTES_ARRAY};
    a.v.byteses.items = items;
    a.v.byteses.count = count;
    return a;
}

/* ---- signature parsing ------------------------------------------------- */

struct abi_type {
    enum abi_kind kind;
    unsigned bits; /* for uintN and uintN[] */
};

static err_code parse_type(const char *s, size_t n, struct abi_type *t, struct err *e)
{
    bool array = n >= 2 && s[n - 2] == '[' && s[n - 1] == ']';
    size_t base = array ? n - 2 : n;
    if (base > 4 && memcmp(s, "uint", 4) == 0) {
        unsigned bits = 0;
        for (size_t i = 4; i < base; i++) {
            if (s[i] < '0' || s[i] > '9' || bits > 256)
                return err_set(e, E_INVALID, "ABI type \"%.*s\" is not uintN", (int)n, s);
            bits = bits * 10 + (unsigned)(s[i] - '0');
        }
        if (bits < 8 || bits > 256 || bits % 8 || s[4] == '0')
            return err_set(e, E_INVALID, "ABI type \"%.*s\": N must be 8..256 in steps of 8",
                           (int)n, s);
        t->kind = array ? ABI_UINT_ARRAY : ABI_UINT;
        t->bits = bits;
        return E_OK;
    }
    t->bits = 0;
    if (n == 4 && memcmp(s, "bool", 4) == 0)
        t->kind = ABI_BOOL;
    else if (n == 7 && memcmp(s, "address", 7) == 0)
        t->kind = ABI_ADDRESS;
    else if (n == 7 && memcmp(s, "bytes32", 7) == 0)
        t->kind = ABI_BYTES32;
    else if (n == 5 && memcmp(s, "bytes", 5) == 0)
        t->kind = ABI_BYTES;
    else if (n == 7 && memcmp(s, "bytes[]", 7) == 0)
        t->kind = ABI_BYTES_ARRAY;
    else if (n == 4 && memcmp(s, "uint", 4) == 0)
        return err_set(e, E_INVALID, "ABI type \"uint\" must be written uint256 in a signature");
    else
        return err_set(e, E_UNSUPPORTED, "ABI type \"%.*s\" is not supported", (int)n, s);
    return E_OK;
}

/* "name(t1,t2,...)" → types. */
static err_code parse_signature(const char *sig, struct abi_type *types, size_t *ntypes,
                                struct err *e)
{
    const char *open = strchr(sig, '(');
    size_t len = strlen(sig);
    if (!open || open == sig || len < 2 || sig[len - 1] != ')')
        return err_set(e, E_INVALID, "function signature \"%.80s\" is not name(types)", sig);
    for (const char *p = sig; p < open; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '$'))
            return err_set(e, E_INVALID, "function signature \"%.80s\": bad character in name", sig);
    const char *p = open + 1, *end = sig + len - 1;
    size_t k = 0;
    if (p == end) {
        *ntypes = 0;
        return E_OK;
    }
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (memchr(p, '(', (size_t)(stop - p)) || memchr(p, ')', (size_t)(stop - p)))
            return err_set(e, E_UNSUPPORTED, "function signature \"%.80s\": tuples are not supported",
                           sig);
        if (stop == p)
            return err_set(e, E_INVALID, "function signature \"%.80s\": empty type", sig);
        if (k == ABI_MAX_ARGS)
            return err_set(e, E_LIMIT, "function signature has more than %d arguments",
                           ABI_MAX_ARGS);
        err_code rc = parse_type(p, (size_t)(stop - p), &types[k++], e);
        if (rc)
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }
    *ntypes = k;
    return E_OK;
}

static bool fits_bits(const struct u256 *v, unsigned bits)
{
    for (unsigned i = 0; i < 32 - bits / 8; i++)
        if (v->b[i])
            return false;
    return true;
}

/* ---- encoding ------------------------------------------------------------ */

static size_t pad32(size_t n) { return (n + 31) / 32 * 32; }

/* Size of an argument's tail (0 for static ones), within the limits. */
static err_code tail_size(const struct abi_arg *a, size_t *out, struct err *e)
{
    size_t size = 0;
    switch (a->kind) {
    case ABI_BYTES:
        if (a->v.bytes.len > ABI_MAX_BYTES)
            return err_set(e, E_LIMIT, "ABI bytes argument of %zu bytes exceeds %d",
                           a->v.bytes.len, ABI_MAX_BYTES);
        size = 32 + pad32(a->v.bytes.len);
        break;
    case ABI_UINT_ARRAY:
    case ABI_BYTES_ARRAY: {
        /* the length word and one head word per item; bytes items add their tails */
        size_t count = a->kind == ABI_UINT_ARRAY ? a->v.uints.count : a->v.byteses.count;
        if (count > ABI_MAX_ITEMS)
            return err_set(e, E_LIMIT, "ABI array of %zu items exceeds %d", count, ABI_MAX_ITEMS);
        size = 32 + 32 * count;
        for (size_t i = 0; a->kind == ABI_BYTES_ARRAY && i < count; i++) {
            if (a->v.byteses.items[i].len > ABI_MAX_BYTES)
                return err_set(e, E_LIMIT, "ABI bytes item %zu of %zu bytes exceeds %d", i,
                               a->v.byteses.items[i].len, ABI_MAX_BYTES);
            size += 32 + pad32(a->v.byteses.items[i].len);
            if (size > ABI_MAX_BYTES)
                break; /* caught below */
        }
        break;
    }
    case ABI_UINT:
    case ABI_BOOL:
    case ABI_ADDRESS:
    case ABI_BYTES32:
        break;
    default:
        return err_set(e, E_INVALID, "unknown ABI argument kind %d", (int)a->kind);
    }
    if (size > ABI_MAX_BYTES)
        return err_set(e, E_LIMIT, "ABI encoding exceeds %d bytes", ABI_MAX_BYTES);
    *out = size;
    return E_OK;
}

/* Writers into reserved space. */
static uint8_t *word_u64(uint8_t *w, uint64_t v)
{
    memset(w, 0, 24);
    for (int i = 31; i >= 24; i--, v >>= 8)
        w[i] = (uint8_t)v;
    return w + 32;
}

static uint8_t *word_bytes_padded(uint8_t *w, const uint8_t *p, size_t n)
{
    if (n)
        memcpy(w, p, n);
    memset(w + n, 0, pad32(n) - n);
    return w + pad32(n);
}

static uint8_t *put_head(uint8_t *w, const struct abi_arg *a, size_t offset)
{
    switch (a->kind) {
    case ABI_UINT:
        memcpy(w, a->v.uint.b, 32);
        return w + 32;
    case ABI_BOOL:
        return word_u64(w, a->v.boolean ? 1 : 0);
    case ABI_ADDRESS:
        memset(w, 0, 12);
        memcpy(w + 12, a->v.address.b, 20);
        return w + 32;
    case ABI_BYTES32:
        memcpy(w, a->v.bytes32.b, 32);
        return w + 32;
    default:
        return word_u64(w, offset);
    }
}

static uint8_t *put_tail(uint8_t *w, const struct abi_arg *a)
{
    switch (a->kind) {
    case ABI_BYTES:
        w = word_u64(w, a->v.bytes.len);
        return word_bytes_padded(w, a->v.bytes.p, a->v.bytes.len);
    case ABI_UINT_ARRAY:
        w = word_u64(w, a->v.uints.count);
        for (size_t i = 0; i < a->v.uints.count; i++, w += 32)
            memcpy(w, a->v.uints.items[i].b, 32);
        return w;
    case ABI_BYTES_ARRAY: {
        size_t k = a->v.byteses.count, off = 32 * k;
        w = word_u64(w, k);
        for (size_t i = 0; i < k; i++) {
            w = word_u64(w, off);
            off += 32 + pad32(a->v.byteses.items[i].len);
        }
        for (size_t i = 0; i < k; i++) {
            w = word_u64(w, a->v.byteses.items[i].len);
            w = word_bytes_padded(w, a->v.byteses.items[i].p, a->v.byteses.items[i].len);
        }
        return w;
    }
    default:
        return w;
    }
}

/* Encode args after `prefix_len` bytes of prefix (the selector or nothing). */
static err_code encode(const uint8_t *prefix, size_t prefix_len, const struct abi_arg *args,
                       size_t nargs, struct buf *out, struct err *e)
{
    if (nargs > ABI_MAX_ARGS)
        return err_set(e, E_LIMIT, "more than %d ABI arguments", ABI_MAX_ARGS);
    size_t total = 32 * nargs;
    for (size_t i = 0; i < nargs; i++) {
        size_t t;
        err_code rc = tail_size(&args[i], &t, e);
        if (rc)
            return rc;
        total += t;
        if (total > ABI_MAX_BYTES)
            return err_set(e, E_LIMIT, "ABI encoding exceeds %d bytes", ABI_MAX_BYTES);
    }
    if (buf_reserve(out, prefix_len + total) != E_OK)
        return err_set(e, E_NOMEM, "out of memory for %zu bytes of call data", total);
    uint8_t *w = out->p + out->len;
    if (prefix_len)
        memcpy(w, prefix, prefix_len);
    w += prefix_len;
    size_t offset = 32 * nargs;
    for (size_t i = 0; i < nargs; i++) {
        size_t t = 0;
        (void)tail_size(&args[i], &t, NULL);
        w = put_head(w, &args[i], offset);
        offset += t;
    }
    for (size_t i = 0; i < nargs; i++)
        w = put_tail(w, &args[i]);
    out->len += prefix_len + total;
    out->p[out->len] = 0;
    return E_OK;
}

err_code abi_encode_args(const struct abi_arg *args, size_t nargs, struct buf *out, struct err *e)
{
    return encode(NULL, 0, args, nargs, out, e);
}

static const char *kind_name(enum abi_kind k)
{
    static const char *const names[] = {"uint", "bool", "address", "bytes32", "bytes", "uint[]",
                                        "bytes[]"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

err_code abi_encode_call(const char *signature, const struct abi_arg *args, size_t nargs,
                         struct buf *out, struct err *e)
{
    struct abi_type types[ABI_MAX_ARGS];
    size_t ntypes = 0;
    err_code rc = parse_signature(signature, types, &ntypes, e);
    if (rc)
        return rc;
    if (ntypes != nargs)
        return err_set(e, E_INVALID, "%s takes %zu arguments, %zu given", signature, ntypes, nargs);
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind != types[i].kind)
            return err_set(e, E_INVALID, "%s: argument %zu is %s, the signature says %s", signature,
                           i + 1, kind_name(args[i].kind), kind_name(types[i].kind));
        if (types[i].kind == ABI_UINT && !fits_bits(&args[i].v.uint, types[i].bits))
            return err_set(e, E_INVALID, "%s: argument %zu does not fit uint%u", signature, i + 1,
                           types[i].bits);
        if (types[i].kind == ABI_UINT_ARRAY)
            for (size_t j = 0; j < args[i].v.uints.count && j <= ABI_MAX_ITEMS; j++)
                if (!fits_bits(&args[i].v.uints.items[j], types[i].bits))
                    return err_set(e, E_INVALID, "%s: argument %zu item %zu does not fit uint%u",
                                   signature, i + 1, j, types[i].bits);
    }
    uint8_t sel[4];
    abi_selector(signature, sel);
    return encode(sel, 4, args, nargs, out, e);
}

/* ---- decoding ------------------------------------------------------------ */

err_code abi_word(const uint8_t *data, size_t n, size_t index, const uint8_t **word, struct err *e)
{
    if (index >= n / 32)
        return err_set(e, E_INVALID, "ABI data of %zu bytes has no word %zu", n, index);
    *word = data + 32 * index;
    return E_OK;
}

static bool zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

err_code abi_get_uint(const uint8_t *data, size_t n, size_t index, unsigned bits, uint64_t *out,
                      struct err *e)
{
    if (bits < 8 || bits > 64 || bits % 8)
        return err_set(e, E_INVALID, "abi_get_uint: bits must be 8..64 in steps of 8");
    const uint8_t *w = NULL;
    err_code rc = abi_word(data, n, index, &w, e);
    if (rc)
        return rc;
    size_t nb = bits / 8;
    if (!zero(w, 32 - nb))
        return err_set(e, E_INVALID, "ABI word %zu does not fit uint%u", index, bits);
    uint64_t v = 0;
    for (size_t i = 32 - nb; i < 32; i++)
        v = (v << 8) | w[i];
    *out = v;
    return E_OK;
}

err_code abi_get_u256(const uint8_t *data, size_t n, size_t index, struct u256 *out, struct err *e)
{
    const uint8_t *w = NULL;
    err_code rc = abi_word(data, n, index, &w, e);
    if (rc == E_OK)
        memcpy(out->b, w, 32);
    return rc;
}

err_code abi_get_bool(const uint8_t *data, size_t n, size_t index, bool *out, struct err *e)
{
    const uint8_t *w = NULL;
    err_code rc = abi_word(data, n, index, &w, e);
    if (rc)
        return rc;
    if (!zero(w, 31) || w[31] > 1)
        return err_set(e, E_INVALID, "ABI word %zu is not a bool (0 or 1)", index);
    *out = w[31] == 1;
    return E_OK;
}

err_code abi_get_address(const uint8_t *data, size_t n, size_t index, struct addr20 *out,
                         struct err *e)
{
    const uint8_t *w = NULL;
    err_code rc = abi_word(data, n, index, &w, e);
    if (rc)
        return rc;
    if (!zero(w, 12))
        return err_set(e, E_INVALID, "ABI word %zu is not an address (high 12 bytes not zero)",
                       index);
    memcpy(out->b, w + 12, 20);
    return E_OK;
}

err_code abi_get_bytes32(const uint8_t *data, size_t n, size_t index, struct hash32 *out,
                         struct err *e)
{
    const uint8_t *w = NULL;
    err_code rc = abi_word(data, n, index, &w, e);
    if (rc == E_OK)
        memcpy(out->b, w, 32);
    return rc;
}

err_code abi_get_bytes(const uint8_t *data, size_t n, size_t index, const uint8_t **p, size_t *len,
                       struct err *e)
{
    uint64_t off, l;
    err_code rc = abi_get_uint(data, n, index, 64, &off, e);
    if (rc)
        return rc;
    if (off > n || n - off < 32)
        return err_set(e, E_INVALID, "ABI bytes at word %zu: offset %llu is past the %zu-byte data",
                       index, (unsigned long long)off, n);
    if ((rc = abi_get_uint(data + off, n - off, 0, 64, &l, e)))
        return rc;
    if (l > n - off - 32)
        return err_set(e, E_INVALID,
                       "ABI bytes at word %zu: length %llu runs past the %zu-byte data", index,
                       (unsigned long long)l, n);
    *p = data + off + 32;
    *len = (size_t)l;
    return E_OK;
}
