/*
 * core/jfield.c — reading the fields of a strict JSON document; see
 * jfield.h.
 *
 * Paths: a member is "where.key", or "key" at the top level (where ""); the
 * message is formatted with "%s%s%s" (where, dot, key) rather than through a
 * path buffer, so a long path is never cut before the message is.
 */
#include "core/jfield.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "core/json.h"

err_code jfield_fail(const struct jfield *c, err_code code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(c->e, code, "%s: %s", c->name, msg);
}

const char *jfield_printable(const char *s, char *out, size_t outsz)
{
    size_t o = 0;
    for (; *s && o + 4 < outsz; s++)
        out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (*s) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

const char *jfield_type_words(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a non-integer number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

/* What a field of type `want` must be, for a message. */
static const char *want_words(json_type want)
{
    return want == JSON_OBJECT   ? "an object"
           : want == JSON_ARRAY  ? "an array"
           : want == JSON_STRING ? "a string"
                                 : "a JSON integer";
}

err_code jfield_only_known(const struct jfield *c, const json_t *obj, const char *where,
                           const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool found = false;
        for (size_t i = 0; known[i] && !found; i++)
            found = strcmp(key, known[i]) == 0;
        if (found)
            continue;
        char p[64], list[200] = "";
        for (size_t i = 0; !c->terse && known[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     known[i]);
        return jfield_fail(c, E_INVALID, "unknown field \"%s\" %s%s (%s%s%s)",
                           jfield_printable(key, p, sizeof p), *where ? "in " : "at the top level",
                           where, c->closed, c->terse ? "" : "; it allows only ", list);
    }
    return E_OK;
}

/* jfield_is() for the member `key` of the object at `where`. */
static err_code member_is(const struct jfield *c, const json_t *v, const char *where,
                          const char *key, json_type want)
{
    if (json_typeof(v) == want)
        return E_OK;
    const char *dot = *where ? "." : "";
    if (c->terse)
        return jfield_fail(c, E_INVALID, "%s%s%s must be %s", where, dot, key, want_words(want));
    return jfield_fail(c, E_INVALID, "%s%s%s must be %s, got %s", where, dot, key,
                       want_words(want), jfield_type_words(v));
}

bool jfield_lists(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

err_code jfield_is(const struct jfield *c, const json_t *v, const char *path, json_type want)
{
    return member_is(c, v, "", path, want);
}

err_code jfield_get(const struct jfield *c, const json_t *obj, const char *where, const char *key,
                    json_type want, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return jfield_fail(c, E_INVALID, "%s%s%s is missing", where, *where ? "." : "", key);
    err_code rc = member_is(c, v, where, key, want);
    if (!rc)
        *out = v;
    return rc;
}

err_code jfield_string(const struct jfield *c, const json_t *obj, const char *where,
                       const char *key, const char **out)
{
    json_t *v = NULL;
    err_code rc = jfield_get(c, obj, where, key, JSON_STRING, &v);
    if (!rc)
        *out = json_string_value(v);
    return rc;
}

err_code jfield_opt_string(const struct jfield *c, const json_t *obj, const char *where,
                           const char *key, size_t min, size_t max, const char **out,
                           size_t *len)
{
    *out = NULL;
    *len = 0;
    json_t *v = json_object_get(obj, key);
    if (!v)
        return E_OK;
    err_code rc = member_is(c, v, where, key, JSON_STRING);
    if (rc)
        return rc;
    size_t n = json_string_length(v);
    if (n < min || n > max)
        return jfield_fail(c, E_INVALID,
                           "%s%s%s must be %zu..%zu bytes (omit it for none), got %zu", where,
                           *where ? "." : "", key, min, max, n);
    *out = json_string_value(v);
    *len = n;
    return E_OK;
}

err_code jfield_uint(const struct jfield *c, const json_t *obj, const char *where,
                     const char *key, uint64_t min, uint64_t *out)
{
    const char *dot = *where ? "." : "";
    json_t *v = json_object_get(obj, key);
    if (!c->terse && v && json_is_real(v))
        return jfield_fail(c, E_INVALID,
                           "%s%s%s must be a JSON integer (no fraction or exponent), got %.17g",
                           where, dot, key, json_real_value(v));
    err_code rc = jfield_get(c, obj, where, key, JSON_INTEGER, &v);
    if (rc)
        return rc;
    json_int_t i = json_integer_value(v);
    if (!c->terse && i < 0)
        return jfield_fail(c, E_INVALID, "%s%s%s must not be negative, got %" JSON_INTEGER_FORMAT,
                           where, dot, key, i);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > JFIELD_MAX_UINT)
        return jfield_fail(c, E_INVALID,
                           "%s%s%s must be in %" PRIu64 "..2^53, got %" JSON_INTEGER_FORMAT, where,
                           dot, key, min, i);
    *out = (uint64_t)i;
    return E_OK;
}

/* Uppercase hex digits are refused by their position (full wording) or in a
 * word (terse): lowercase is the one spelling both formats write. */
static err_code hex_lowercase(const struct jfield *c, const char *s, size_t slen, size_t skipped,
                              const char *path)
{
    for (size_t i = 0; i < slen; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            return c->terse ? jfield_fail(c, E_INVALID, "%s must be lowercase hex", path)
                            : jfield_fail(c, E_INVALID,
                                          "%s must be lowercase hex (uppercase digit at position "
                                          "%zu)",
                                          path, i + skipped);
    return E_OK;
}

err_code jfield_hex_value(const struct jfield *c, const json_t *v, const char *path,
                          bool prefixed, uint8_t *out, size_t n)
{
    err_code rc = jfield_is(c, v, path, JSON_STRING);
    if (rc)
        return rc;
    const char *s = json_string_value(v);
    size_t slen = json_string_length(v);
    bool lower0x = slen >= 2 && s[0] == '0' && s[1] == 'x';
    if (c->terse && prefixed != lower0x)
        return jfield_fail(c, E_INVALID, "%s must be %s%zu lowercase hex digits", path,
                           prefixed ? "\"0x\" and " : "", 2 * n);
    if (!c->terse && prefixed && !lower0x)
        return jfield_fail(c, E_INVALID, "%s must be \"0x\" followed by %zu hex digits", path,
                           2 * n);
    if (!c->terse && !prefixed && slen >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return jfield_fail(c, E_INVALID, "%s must be %zu hex digits without a \"0x\" prefix", path,
                           2 * n);
    size_t skip = prefixed ? 2 : 0;
    s += skip;
    slen -= skip;
    /* The terse wording names uppercase before a length or digit error, the
     * full one after: both refuse the same strings. */
    if (c->terse && (rc = hex_lowercase(c, s, slen, skip, path)))
        return rc;
    struct err he = {0};
    if (hex_decode_exact(s, slen, false, out, n, &he))
        return jfield_fail(c, E_INVALID, "%s: %s", path, he.msg);
    return c->terse ? E_OK : hex_lowercase(c, s, slen, skip, path);
}

err_code jfield_hex(const struct jfield *c, const json_t *obj, const char *where, const char *key,
                    bool prefixed, uint8_t *out, size_t n)
{
    json_t *v = NULL;
    err_code rc = jfield_get(c, obj, where, key, JSON_STRING, &v);
    if (rc)
        return rc;
    char path[80];
    snprintf(path, sizeof path, "%s%s%s", where, *where ? "." : "", key);
    return jfield_hex_value(c, v, path, prefixed, out, n);
}

/* jstrict_each_number() callback of jfield_no_signed_zero(); ctx is the
 * struct jfield. */
static err_code no_signed_zero(const struct jstrict_number *n, void *ctx, struct err *e)
{
    (void)e; /* reported through the struct jfield, which carries the same e */
    if (n->len < 2 || n->lit[0] != '-')
        return E_OK;
    for (size_t i = 1; i < n->len; i++)
        if (n->lit[i] >= '1' && n->lit[i] <= '9')
            return E_OK; /* a real negative: jfield_uint() says so */
    char path[96];
    return jfield_fail(ctx, E_INVALID,
                       "%s must be an unsigned integer written without a sign, got %.*s",
                       jstrict_number_path(n, false, path, sizeof path),
                       n->len > 24 ? 24 : (int)n->len, n->lit);
}

err_code jfield_no_signed_zero(const struct jfield *c, const char *text, size_t len)
{
    struct jfield copy = *c; /* the callback's context is not const */
    return jstrict_each_number(text, len, no_signed_zero, &copy, c->e);
}

err_code jfield_load(const struct jfield *c, const char *text, size_t len, size_t max,
                     json_t **top)
{
    err_code rc = jstrict_parse(text ? text : "", text ? len : 0, max, 0, top, c->e);
    if (rc)
        return err_wrap(c->e, rc, "%s", c->name);
    if ((rc = jfield_no_signed_zero(c, text, len))) {
        json_decref(*top);
        *top = NULL;
    }
    return rc;
}
