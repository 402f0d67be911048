/*
 * core/jcs.c — RFC 8785 JSON Canonicalization Scheme; see jcs.h.
 *
 * The canonical form is what we hash for a JSON credential, so every byte
 * here is part of the notarized meaning: any difference from another RFC 8785
 * implementation makes a valid credential fail to verify elsewhere. Three
 * rules carry the risk, each tested against shared vectors:
 *   - member order (§3.2.3): by UTF-16 code units of the names, compared as
 *     unsigned 16-bit integers. A character above U+FFFF is a surrogate pair
 *     (0xD800..0xDBFF first), so it sorts *before* U+E000..U+FFFF, unlike in
 *     UTF-8 byte order or code point order;
 *   - strings (§3.2.2.2): only '"', '\\' and the C0 controls are escaped,
 *     with the two-character forms where JSON has them and \u00xx (lowercase
 *     hex) otherwise; everything else, including U+007F and '/', is literal;
 *   - numbers (§3.2.2.3): ECMAScript Number::toString (ECMA-262
 *     §6.1.6.1.20): the shortest digit string that reads back as the same
 *     double, laid out in plain or exponent notation by the size of the
 *     decimal exponent.
 * The shortest digits come from libc: glibc's printf is correctly rounded
 * and strtod reads back exactly, so trying the nearest k-digit decimal and
 * its two neighbours for the fewest k gives ECMAScript's digits (the
 * neighbours matter at powers of two, where the rounding interval is
 * lopsided: shortest_digits). Every number of eth/es6-numbers.txt, every
 * normal power of two among them, is checked.
 */
#include "core/jcs.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

/* ---- UTF-8 -------------------------------------------------------------- */

/* Decode one code point from s[*i..n) strictly (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF) and advance *i. Returns false
 * on invalid input. jansson checks strings it parses, but jcs_serialize also
 * takes values built in code (json_stringn_nocheck), so we check again. */
static bool utf8_next(const uint8_t *s, size_t n, size_t *i, uint32_t *cp)
{
    uint8_t c = s[*i];
    size_t need;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return true;
    } else if (c >= 0xc2 && c <= 0xdf) {
        need = 1, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3, v = c & 0x07, min = 0x10000;
    } else {
        return false;
    }
    if (n - *i <= need)
        return false;
    for (size_t k = 1; k <= need; k++) {
        uint8_t t = s[*i + k];
        if ((t & 0xc0) != 0x80)
            return false;
        v = (v << 6) | (t & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return false;
    *cp = v;
    *i += need + 1;
    return true;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;)
        if (!utf8_next(s, n, &i, &cp))
            return false;
    return true;
}

/* Walks a valid UTF-8 string as a sequence of UTF-16 code units. */
struct u16_iter {
    const uint8_t *s;
    size_t n, i;
    uint16_t pending; /* low surrogate still to yield, or 0 */
};

/* Next UTF-16 code unit, or -1 at the end. */
static int u16_next(struct u16_iter *it)
{
    if (it->pending) {
        int u = it->pending;
        it->pending = 0;
        return u;
    }
    if (it->i >= it->n)
        return -1;
    uint32_t cp;
    if (!utf8_next(it->s, it->n, &it->i, &cp))
        return -1; /* unreachable: names are validated before sorting */
    if (cp < 0x10000)
        return (int)cp;
    /* Unicode §3.9 D91: a supplementary character as a surrogate pair. */
    cp -= 0x10000;
    it->pending = (uint16_t)(0xdc00 | (cp & 0x3ff));
    return (int)(0xd800 | (cp >> 10));
}

struct member {
    const char *name;
    size_t len;
    json_t *value;
};

/* RFC 8785 §3.2.3: compare names as arrays of UTF-16 code units. */
static int member_cmp(const void *pa, const void *pb)
{
    const struct member *a = pa, *b = pb;
    struct u16_iter ia = {(const uint8_t *)a->name, a->len, 0, 0};
    struct u16_iter ib = {(const uint8_t *)b->name, b->len, 0, 0};
    for (;;) {
        int ua = u16_next(&ia), ub = u16_next(&ib);
        if (ua != ub)
            return ua < ub ? -1 : 1; /* -1 (end) sorts first: a prefix comes first */
        if (ua < 0)
            return 0;
    }
}

/* ---- numbers ------------------------------------------------------------ */

/* A candidate of `len` significant digits: the integer N (as text, exactly
 * len digits, no sign) times 10^q. */
struct cand {
    char N[24];
    int len, q;
};

static bool cand_reads_back(const struct cand *c, double a)
{
    char t[48];
    snprintf(t, sizeof t, "%se%d", c->N, c->q);
    return strtod(t, NULL) == a;
}

/* The next len-digit decimal above (dir +1) or below (dir -1) c. Past
 * 99…9 the grid coarsens (10…0 × 10^(q+1)); below 10…0 it gets finer
 * (99…9 × 10^(q-1)). */
static struct cand cand_step(struct cand c, int dir)
{
    int i = c.len - 1;
    if (dir > 0) {
        while (i >= 0 && c.N[i] == '9')
            c.N[i--] = '0';
        if (i < 0) { /* 99…9 + 1 */
            c.N[0] = '1';
            c.q++;
        } else {
            c.N[i]++;
        }
    } else {
        while (i >= 0 && c.N[i] == '0')
            c.N[i--] = '9';
        c.N[i]--; /* N >= 10^(len-1): some digit is non-zero */
        if (c.N[0] == '0') { /* 10…0 - 1 */
            memset(c.N, '9', (size_t)c.len);
            c.q--;
        }
    }
    return c;
}

/* Whether some len-digit decimal reads back as a (> 0, finite); if so *best
 * is the one closest to a (ECMA-262 §6.1.6.1.20 step 5). glibc's printf is
 * correctly rounded, so "%.*e" gives the len-digit decimal nearest to a. If
 * that one does not read back, the nearest on a's other side still may: at a
 * power of two the doubles below are twice as dense as those above, so the
 * rounding interval is lopsided (2^-24 is 5.960464477539063e-8, not the
 * nearest 16-digit decimal …062). The nearest decimal on each side of a is
 * one of the nearest and its two neighbours, and a decimal that reads back
 * makes the nearer one on its side read back too: trying those three is
 * enough. */
static bool digits_at(double a, int len, struct cand *best)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*e", len - 1, a);
    struct cand c = {.len = len};
    /* tmp is "d[<radix>ddd]e±xx"; skipping any non-digit before 'e' copes
     * with a locale's radix character. */
    const char *p = tmp;
    int k = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && k < len)
            c.N[k++] = *p;
    c.N[k] = '\0';
    c.q = atoi(p + 1) - (len - 1);
    if (cand_reads_back(&c, a)) {
        *best = c;
        return true;
    }
    struct cand up = cand_step(c, +1), down = cand_step(c, -1);
    bool up_ok = cand_reads_back(&up, a), down_ok = cand_reads_back(&down, a);
    if (up_ok && down_ok) {
        long double du = strtold(up.N, NULL) * powl(10, up.q) - a;
        long double dd = a - strtold(down.N, NULL) * powl(10, down.q);
        *best = du < dd ? up : down;
    } else if (up_ok || down_ok) {
        *best = up_ok ? up : down;
    }
    return up_ok || down_ok;
}

/* ECMAScript's digits of a (> 0, finite): the fewest significant digits k of
 * a decimal that reads back as a, trailing zeros trimmed, and n with a =
 * 0.d1…dk × 10^n. 17 digits always read back, and a k-digit decimal is also a
 * (k+1)-digit one, so "some k-digit decimal reads back" is monotone in k: a
 * binary search, at most 5 tries instead of up to 17. */
static void shortest_digits(double a, char digits[24], int *k, int *n)
{
    int lo = 1, hi = 17;
    struct cand best;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (digits_at(a, mid, &best))
            hi = mid;
        else
            lo = mid + 1;
    }
    digits_at(a, lo, &best); /* true: lo is the fewest digits that read back */
    int len = best.len;
    while (len > 1 && best.N[len - 1] == '0')
        len--;
    memcpy(digits, best.N, (size_t)len);
    digits[len] = '\0';
    *k = len;
    *n = best.q + best.len; /* N × 10^q = 0.N × 10^(q + len) */
}

err_code jcs_number(double d, char out[32], struct err *e)
{
    out[0] = '\0';
    if (!isfinite(d))
        return err_set(e, E_INVALID, "number %g has no JSON form (RFC 8785 §3.2.2.3)", d);
    if (d == 0) { /* both +0 and -0 serialize as "0" */
        strcpy(out, "0");
        return E_OK;
    }
    /* Safe integers, the common case in credentials: every digit of %.0f is
     * exact below 2^53 < 1e21, which is the plain-digits form below. */
    if (fabs(d) < 9007199254740992.0 && d == trunc(d)) {
        snprintf(out, 32, "%.0f", d);
        return E_OK;
    }
    /* Shortest round-tripping digits (shortest_digits above). */
    bool neg = d < 0;
    char digits[24];
    int k, n;
    shortest_digits(fabs(d), digits, &k, &n);
    char *o = out;
    if (neg)
        *o++ = '-';
    if (k <= n && n <= 21) {
        /* Integer: the digits followed by n−k zeros. */
        memcpy(o, digits, (size_t)k);
        o += k;
        for (int z = 0; z < n - k; z++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        /* Decimal point inside the digits. */
        memcpy(o, digits, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, digits + n, (size_t)(k - n));
        o += k - n;
    } else if (-6 < n && n <= 0) {
        /* "0." then −n zeros then the digits. */
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -n; z++)
            *o++ = '0';
        memcpy(o, digits, (size_t)k);
        o += k;
    } else {
        /* Exponent form: d[.ddd]e±(n−1). */
        *o++ = digits[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(k - 1));
            o += k - 1;
        }
        o += snprintf(o, 8, "e%c%d", n - 1 > 0 ? '+' : '-', abs(n - 1));
    }
    *o = '\0';
    return E_OK;
}

/* ---- serialization ------------------------------------------------------ */

static err_code nomem(struct err *e) { return err_set(e, E_NOMEM, "out of memory"); }

/* RFC 8785 §3.2.2.2 string form, quotes included. `s` must be valid UTF-8
 * (checked here). */
static err_code put_string(const char *s, size_t n, const char *what, struct buf *out,
                           struct err *e)
{
    if (!utf8_valid((const uint8_t *)s, n))
        return err_set(e, E_INVALID, "%s is not valid UTF-8 (RFC 8785 §3.2.2.2)", what);
    if (buf_append_byte(out, '"'))
        return nomem(e);
    size_t run = 0; /* start of the pending run of literal bytes */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_append(out, s + run, i - run))
            return nomem(e);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': strcpy(esc, "\\\""); break;
        case '\\': strcpy(esc, "\\\\"); break;
        case '\b': strcpy(esc, "\\b"); break;
        case '\f': strcpy(esc, "\\f"); break;
        case '\n': strcpy(esc, "\\n"); break;
        case '\r': strcpy(esc, "\\r"); break;
        case '\t': strcpy(esc, "\\t"); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c); break;
        }
        if (buf_append_str(out, esc))
            return nomem(e);
    }
    if (buf_append(out, s + run, n - run) || buf_append_byte(out, '"'))
        return nomem(e);
    return E_OK;
}

/* Largest magnitude at which every integer is exactly a double (RFC 7493
 * §2.2, I-JSON). Beyond it 2^53 and 2^53+1 read back as the same number, so
 * a jansson integer there has no single JSON meaning: refuse it. */
#define JCS_MAX_SAFE 9007199254740992LL

static err_code serialize(const json_t *v, int depth, struct buf *out, struct err *e)
{
    /* A container at `depth` is nesting level depth + 1 (jstrict_depth). */
    if ((json_is_array(v) || json_is_object(v)) && depth >= JSTRICT_MAX_DEPTH)
        return err_set(e, E_LIMIT, "JSON nested deeper than the limit of %d levels",
                       JSTRICT_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_NULL:
        return buf_append_str(out, "null") ? nomem(e) : E_OK;
    case JSON_TRUE:
        return buf_append_str(out, "true") ? nomem(e) : E_OK;
    case JSON_FALSE:
        return buf_append_str(out, "false") ? nomem(e) : E_OK;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        if (i > JCS_MAX_SAFE || i < -JCS_MAX_SAFE)
            return err_set(e, E_INVALID,
                           "integer %" JSON_INTEGER_FORMAT " is beyond ±2^53 and has no exact "
                           "IEEE-754 double form (RFC 8785 §3.2.2.3); parse with "
                           "JSTRICT_INTS_AS_REALS",
                           i);
        return buf_printf(out, "%" JSON_INTEGER_FORMAT, i) ? nomem(e) : E_OK;
    }
    case JSON_REAL: {
        char num[32];
        err_code rc = jcs_number(json_real_value(v), num, e);
        if (rc)
            return rc;
        return buf_append_str(out, num) ? nomem(e) : E_OK;
    }
    case JSON_STRING:
        return put_string(json_string_value(v), json_string_length(v), "a string value", out, e);
    case JSON_ARRAY: {
        if (buf_append_byte(out, '['))
            return nomem(e);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i && buf_append_byte(out, ','))
                return nomem(e);
            err_code rc = serialize(json_array_get(v, i), depth + 1, out, e);
            if (rc)
                return rc;
        }
        return buf_append_byte(out, ']') ? nomem(e) : E_OK;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        struct member *m = n ? malloc(n * sizeof *m) : NULL;
        if (n && !m)
            return nomem(e);
        size_t cnt = 0;
        for (void *it = json_object_iter((json_t *)v); it && cnt < n;
             it = json_object_iter_next((json_t *)v, it)) {
            m[cnt].name = json_object_iter_key(it);
            m[cnt].len = json_object_iter_key_len(it);
            m[cnt].value = json_object_iter_value(it);
            /* The comparator walks names as UTF-8: validate before sorting. */
            if (!utf8_valid((const uint8_t *)m[cnt].name, m[cnt].len)) {
                free(m);
                return err_set(e, E_INVALID, "an object member name is not valid UTF-8 "
                                             "(RFC 8785 §3.2.2.2)");
            }
            cnt++;
        }
        if (cnt > 1)
            qsort(m, cnt, sizeof *m, member_cmp);
        err_code rc = buf_append_byte(out, '{') ? nomem(e) : E_OK;
        for (size_t i = 0; i < cnt && !rc; i++) {
            if (i && buf_append_byte(out, ','))
                rc = nomem(e);
            if (!rc)
                rc = put_string(m[i].name, m[i].len, "an object member name", out, e);
            if (!rc && buf_append_byte(out, ':'))
                rc = nomem(e);
            if (!rc)
                rc = serialize(m[i].value, depth + 1, out, e);
        }
        free(m);
        if (!rc && buf_append_byte(out, '}'))
            rc = nomem(e);
        return rc;
    }
    }
    return err_set(e, E_INVALID, "unknown JSON value type %d", (int)json_typeof(v));
}

err_code jcs_serialize(const json_t *v, struct buf *out, struct err *e)
{
    size_t start = out->len;
    if (!v)
        return err_set(e, E_INVALID, "jcs_serialize: no value");
    err_code rc = serialize(v, 0, out, e);
    if (rc && out->p) { /* leave `out` as it was before the call */
        out->len = start;
        out->p[start] = '\0';
    }
    return rc;
}

err_code jcs_canonicalize(const char *text, size_t len, size_t max_bytes, struct buf *out,
                          struct err *e)
{
    json_t *v;
    /* Every number is a double (RFC 8785 §3.2.2.3), and a bare scalar is a
     * valid JSON text (RFC 8259 §2). */
    err_code rc = jstrict_parse(text, len, max_bytes, JSTRICT_INTS_AS_REALS | JSTRICT_ANY_TOP, &v, e);
    if (rc)
        return rc;
    rc = jcs_serialize(v, out, e);
    json_decref(v);
    return rc;
}

/* ---- numbers that RFC 8785 would round (issue 19) ------------------------ */

/* A finite decimal as D × 10^P with D's digits [d, d+nd) free of leading and
 * trailing zeros (nd == 0: the value zero, whatever its sign). */
struct dec {
    bool neg;
    const char *d;
    size_t nd;
    long long p;
};

/* Normalize a JSON number literal (RFC 8259 §6 grammar, already checked by
 * the parser) or a jcs_number() output. The exponent saturates at ±10^12,
 * far beyond any double, so a huge written exponent cannot overflow. */
static void dec_parse(const char *s, size_t n, struct dec *v)
{
    size_t i = 0;
    *v = (struct dec){0};
    if (i < n && (s[i] == '-' || s[i] == '+'))
        v->neg = s[i++] == '-';
    size_t ib = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t ie = i, fb = i, fe = i;
    if (i < n && s[i] == '.') {
        fb = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        fe = i;
    }
    long long x = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (x < 1000000000000LL)
                x = x * 10 + (s[i] - '0');
        if (eneg)
            x = -x;
    }
    /* value = (integer digits)(fraction digits) × 10^(x − fraction length).
     * The digits run over two spans, [ib, ie) and [fb, fe), with the '.'
     * between them; dec_digit() steps over it. */
    long long p = x - (long long)(fe - fb);
    size_t nint = ie - ib, nfrac = fe - fb;
    const char *ip = s + ib, *fp = s + fb;
    while (nint && *ip == '0')
        ip++, nint--;
    if (nint == 0) { /* only the fraction has significant digits */
        while (nfrac && *fp == '0')
            fp++, nfrac--;
        ip = fp, nint = nfrac, nfrac = 0;
    }
    while (nfrac && fp[nfrac - 1] == '0')
        nfrac--, p++;
    if (nfrac == 0)
        while (nint && ip[nint - 1] == '0')
            nint--, p++;
    v->d = ip;
    v->nd = nint + nfrac;
    v->p = v->nd ? p : 0;
    v->neg = v->nd ? v->neg : false;
}

/* The k-th significant digit of v: skips the '.' a split span contains. */
static char dec_digit(const struct dec *v, size_t k)
{
    const char *c = v->d + k;
    const char *dot = memchr(v->d, '.', k + 1);
    return dot ? c[1] : *c;
}

static bool dec_equal(const struct dec *a, const struct dec *b)
{
    if (a->nd != b->nd || a->p != b->p || (a->nd && a->neg != b->neg))
        return false;
    for (size_t k = 0; k < a->nd; k++)
        if (dec_digit(a, k) != dec_digit(b, k))
            return false;
    return true;
}

/* Is the number literal s[0..n) exactly the value of its RFC 8785 form? On
 * false, `canon` holds that form ("" when there is none). */
static bool number_exact(const char *s, size_t n, char canon[32])
{
    struct dec lit;
    dec_parse(s, n, &lit);
    canon[0] = '\0';
    /* Fast path: at most 15 significant digits (DBL_DIG) well inside the
     * normal range always survive decimal → double → shortest digits. */
    long long mag = lit.p + (long long)lit.nd;
    if (lit.nd == 0 || (lit.nd <= 15 && mag > -290 && mag < 290))
        return true;
    char small[64], *tok = n < sizeof small ? small : malloc(n + 1);
    if (!tok)
        return false; /* refused (out of memory) rather than unchecked */
    memcpy(tok, s, n);
    tok[n] = '\0';
    double dv = strtod(tok, NULL);
    if (tok != small)
        free(tok);
    struct err ignored;
    if (jcs_number(dv, canon, &ignored))
        return false;
    struct dec can;
    dec_parse(canon, strlen(canon), &can);
    return dec_equal(&lit, &can);
}

/* jstrict_each_number() callback: refuse a literal RFC 8785 would round. */
static err_code check_one(const struct jstrict_number *num, void *ctx, struct err *e)
{
    (void)ctx;
    char canon[32];
    if (number_exact(num->lit, num->len, canon))
        return E_OK;
    char path[192], where[300];
    jstrict_number_path(num, true, path, sizeof path);
    if (num->depth == 0) {
        snprintf(where, sizeof where, "the number");
    } else if (num->frames[num->depth - 1].object) {
        struct jstrict_number last = {num->lit, num->len, num->frames + num->depth - 1, 1};
        char name[96];
        jstrict_number_path(&last, false, name, sizeof name); /* just the innermost name */
        snprintf(where, sizeof where, num->depth > 1 ? "member \"%s\" (at %s)" : "member \"%s\"",
                 name, path);
    } else {
        snprintf(where, sizeof where, "array element %s", path);
    }
    /* a literal is only [-+.eE0-9]: printable; long ones are cut */
    int show = num->len > 40 ? 40 : (int)num->len;
    const char *more = num->len > 40 ? "..." : "";
    if (!*canon)
        return err_set(e, E_INVALID,
                       "%s: %.*s%s has no IEEE-754 double value (RFC 8785): put such values in "
                       "strings",
                       where, show, num->lit, more);
    return err_set(e, E_INVALID,
                   "%s: %.*s%s cannot be represented exactly as an IEEE-754 double (RFC 8785 "
                   "hashes it as %s): put such identifiers in strings",
                   where, show, num->lit, more, canon);
}

err_code jcs_check_numbers(const char *text, size_t len, struct err *e)
{
    return jstrict_each_number(text, len, check_one, NULL, e);
}
