/*
 * core/json.c — strict parsing of untrusted JSON; see json.h.
 *
 * jansson does the parsing and already rejects most of what we must reject:
 * duplicate keys (JSON_REJECT_DUPLICATES), invalid UTF-8 including overlong
 * forms and UTF-8-encoded surrogates, lone \uD800-\uDFFF escapes, "\u0000"
 * (JSON_ALLOW_NUL is never set), raw control characters in strings, numbers
 * that overflow a double ("1e400") and integers that overflow json_int_t.
 * tests/unit/test_json.c pins each of these so a jansson upgrade that
 * relaxes one is caught.
 *
 * What jansson does not bound for us is nesting: its own limit is 2048
 * levels, and it builds every value on the way down. So before handing the
 * text to jansson we make one byte-wise pass that tracks bracket depth
 * outside strings and stops at JSTRICT_MAX_DEPTH + 1: a megabyte of '['
 * costs 65 byte comparisons, not a parse. For valid JSON this pass computes
 * exactly the depth jstrict_depth() reports; for invalid JSON it may report
 * a depth error where jansson would report a syntax error — either way the
 * input is rejected.
 */
#include "core/json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Copy jansson's error text with every byte outside printable ASCII shown as
 * \xNN: the text quotes the input ("near '...'"), which is untrusted and may
 * hold terminal escapes or invalid UTF-8. */
static void sanitize(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < outsz; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", *p);
    }
    out[o] = '\0';
}

/* What kind of failure jansson reported, in words a person can act on. */
static const char *jansson_kind(const json_error_t *je)
{
    switch (json_error_code(je)) {
    case json_error_duplicate_key:
        return "duplicate object key";
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_numeric_overflow:
        return "number out of range";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "NUL character not allowed";
    case json_error_stack_overflow:
        return "nesting too deep";
    case json_error_premature_end_of_input:
        return "truncated JSON";
    case json_error_end_of_input_expected:
        return "trailing data after the JSON value";
    default:
        return "invalid JSON";
    }
}

/* Bound nesting before parsing: scan brackets outside strings. Returns E_OK
 * or E_LIMIT with the line and column of the first bracket too many. */
static err_code depth_prescan(const char *text, size_t len, struct err *e)
{
    int depth = 0;
    bool in_str = false;
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++; /* the escaped byte cannot end the string */
            else if (c == '"')
                in_str = false;
            continue; /* raw newlines in strings are a jansson error anyway */
        }
        switch (c) {
        case '"':
            in_str = true;
            break;
        case '[':
        case '{':
            if (++depth > JSTRICT_MAX_DEPTH)
                return err_set(e, E_LIMIT,
                               "JSON nested deeper than the limit of %d levels at line %zu, "
                               "column %zu",
                               JSTRICT_MAX_DEPTH, line, i - line_start + 1);
            break;
        case ']':
        case '}':
            depth--;
            break;
        case '\n':
            line++;
            line_start = i + 1;
            break;
        default:
            break;
        }
    }
    return E_OK;
}

err_code jstrict_check_depth(const char *text, size_t len, struct err *e)
{
    return depth_prescan(text, len, e);
}

err_code jstrict_parse(const char *text, size_t len, size_t max_bytes, unsigned flags, json_t **out,
                       struct err *e)
{
    *out = NULL;
    if (flags & ~(unsigned)(JSTRICT_INTS_AS_REALS | JSTRICT_ANY_TOP))
        return err_set(e, E_INVALID, "jstrict_parse: unknown flags 0x%x", flags);
    /* Bound first: nothing below touches more than max_bytes. */
    if (len > max_bytes)
        return err_set(e, E_LIMIT, "JSON document of %zu bytes exceeds the limit of %zu bytes", len,
                       max_bytes);
    if (len == 0 || !text)
        return err_set(e, E_INVALID, "invalid JSON: empty document");
    err_code rc = depth_prescan(text, len, e);
    if (rc)
        return rc;

    size_t jflags = JSON_REJECT_DUPLICATES;
    if (flags & JSTRICT_INTS_AS_REALS)
        jflags |= JSON_DECODE_INT_AS_REAL;
    if (flags & JSTRICT_ANY_TOP)
        jflags |= JSON_DECODE_ANY;
    json_error_t je;
    json_t *v = json_loadb(text, len, jflags, &je);
    if (!v) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return err_set(e, E_NOMEM, "out of memory parsing JSON");
        char text_clean[JSON_ERROR_TEXT_LENGTH * 4 + 1];
        sanitize(je.text, text_clean, sizeof text_clean);
        return err_set(e, json_error_code(&je) == json_error_stack_overflow ? E_LIMIT : E_INVALID,
                       "%s at line %d, column %d (byte %d): %s", jansson_kind(&je), je.line,
                       je.column, je.position, text_clean);
    }
    /* Defence in depth: the prescan is exact for valid JSON, so this never
     * fires unless the two disagree — and then we refuse rather than trust. */
    int d = jstrict_depth(v);
    if (d > JSTRICT_MAX_DEPTH) {
        json_decref(v);
        return err_set(e, E_LIMIT, "JSON nested %d levels deep, more than the limit of %d", d,
                       JSTRICT_MAX_DEPTH);
    }
    *out = v;
    return E_OK;
}

/* The larger of `max` and the depth of `x`. */
static int deeper(int max, const json_t *x)
{
    int d = jstrict_depth(x);
    return d > max ? d : max;
}

int jstrict_depth(const json_t *v)
{
    int max = 0;
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, x)
            max = deeper(max, x);
        return max + 1;
    }
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
            max = deeper(max, x);
        return max + 1;
    }
    return 0;
}

/* ---- number literals, raw (issue 19) ----------------------------------------- */

err_code jstrict_each_number(const char *text, size_t len, jstrict_number_fn fn, void *ctx,
                             struct err *e)
{
    struct jstrict_frame st[JSTRICT_MAX_DEPTH];
    int depth = 0;
    bool want_key = false; /* the next string in this object is a member name */
    for (size_t i = 0; i < len;) {
        char c = text[i];
        if (c == '"') {
            size_t b = ++i;
            while (i < len && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
            if (i > len)
                i = len;
            if (want_key && depth > 0 && st[depth - 1].object) {
                st[depth - 1].key = text + b;
                st[depth - 1].key_len = i - b;
                want_key = false;
            }
            i++;
        } else if (c == '{' || c == '[') {
            if (depth >= JSTRICT_MAX_DEPTH)
                return err_set(e, E_LIMIT, "JSON nested deeper than the limit of %d levels",
                               JSTRICT_MAX_DEPTH);
            st[depth++] = (struct jstrict_frame){.object = c == '{', .key = "", .key_len = 0};
            want_key = c == '{';
            i++;
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
            i++;
        } else if (c == ',') {
            if (depth > 0 && st[depth - 1].object)
                want_key = true;
            else if (depth > 0)
                st[depth - 1].index++;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t b = i;
            while (i < len && (text[i] == '-' || text[i] == '+' || text[i] == '.' ||
                               text[i] == 'e' || text[i] == 'E' ||
                               (text[i] >= '0' && text[i] <= '9')))
                i++;
            struct jstrict_number num = {text + b, i - b, st, depth};
            err_code rc = fn(&num, ctx, e);
            if (rc)
                return rc;
        } else {
            i++; /* whitespace, ':', the letters of true/false/null */
        }
    }
    return E_OK;
}

const char *jstrict_number_path(const struct jstrict_number *n, bool pointer, char *out,
                                size_t outsz)
{
    size_t at = 0;
    out[0] = '\0';
    for (int k = 0; k < n->depth; k++) {
        const struct jstrict_frame *f = &n->frames[k];
        char step[32];
        if (!f->object)
            snprintf(step, sizeof step, pointer ? "/%zu" : "[%zu]", f->index);
        else
            snprintf(step, sizeof step, pointer || k == 0 ? "%s" : ".", pointer ? "/" : "");
        for (const char *p = step; *p && at + 4 < outsz; p++)
            out[at++] = *p;
        for (size_t i = 0; f->object && i < f->key_len && at + 4 < outsz; i++) {
            unsigned char c = (unsigned char)f->key[i];
            if (c >= 0x20 && c < 0x7f) {
                out[at++] = (char)c;
            } else if (at + 8 < outsz) {
                at += (size_t)snprintf(out + at, outsz - at, "\\x%02x", c);
            } else {
                break;
            }
        }
        if (at + 4 >= outsz) {
            memcpy(out + at, "...", 3);
            at += 3;
            break;
        }
    }
    out[at] = '\0';
    return out;
}
