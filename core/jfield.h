/*
 * core/jfield.h — reading the fields of a strict JSON document, with
 * messages that name the field.
 *
 * After core/json.h has parsed a document (size, duplicate keys, depth),
 * a reader walks a fixed schema: closed objects (no unknown members),
 * required members of one JSON type, unsigned integers in min..2^53 written
 * without a sign, hex strings of an exact byte length with or without "0x",
 * strings of bounded length. Proof bundles (core/bundle.c) and revocation
 * logs (core/revlog.c) read through these functions, so each rule exists
 * once.
 *
 * Messages: every failure is "NAME: PATH ..." where NAME is the document's
 * name (a file name) and PATH names the field: a member `key` of the object
 * at path `where` is "where.key", or just "key" when `where` is "" (the top
 * level); array elements are named by the caller ("entries[3]"). Untrusted
 * text quoted in a message is printable ASCII only (jfield_printable).
 *
 * Two wordings, chosen once per document by `terse` (the rules are the same;
 * the texts are what each format's tests and users already see):
 *   - full (terse = false, proof bundles): a wrong type says what was found
 *     ("batch.size must be a JSON integer, got a string"), an unknown member
 *     lists the allowed ones, a fraction and a negative number each get their
 *     own message, a misplaced "0x" and an uppercase digit are named;
 *   - terse (terse = true, revocation logs): "entries[0].reason must be a
 *     JSON integer", "unknown field "x" in checkpoints[0] (version 1 is
 *     closed)", "... must be \"0x\" and 64 lowercase hex digits".
 *
 * Every function returns E_OK or the failure it reported into c->e (E_INVALID
 * unless noted). Nothing is allocated; returned strings and json_t pointers
 * are borrowed from the parsed document and live as long as it does.
 */
#ifndef CORE_JFIELD_H
#define CORE_JFIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Largest integer a field may hold: 2^53, the largest every JSON
 * implementation (IEEE-754 doubles) represents exactly. */
#define JFIELD_MAX_UINT ((uint64_t)1 << 53)

/* One document being read. Set all members; `e` may be NULL. */
struct jfield {
    const char *name;   /* the document's name, the first word of every message */
    const char *closed; /* why unknown members are refused, e.g. "version 1 is closed" */
    bool terse;         /* the terse wording (see above) */
    struct err *e;      /* receives the failure */
};

/* Fail with "NAME: <message>": sets c->e to `code` and returns `code`. The
 * message is cut at 400 bytes. */
err_code jfield_fail(const struct jfield *c, err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Printable-ASCII copy of the untrusted NUL-terminated `s` into `out`
 * (`outsz` ≥ 5): other bytes show as '?', a string too long is cut with
 * "...". Returns out. */
const char *jfield_printable(const char *s, char *out, size_t outsz);

/* What `v` is, for a message: "an object", "an array", "a string", "an
 * integer", "a non-integer number", "a boolean", "null". Never NULL. */
const char *jfield_type_words(const json_t *v);

/* Refuse any member of object `obj` (at path `where`) whose name is not in
 * `known` (NULL-terminated): "unknown field "K" in WHERE (CLOSED...)", or
 * "... at the top level ..." when `where` is "" (full wording only lists the
 * allowed names). */
err_code jfield_only_known(const struct jfield *c, const json_t *obj, const char *where,
                           const char *const *known) MUST_CHECK;

/* Is one member of array `arr` the string `s`? false when `arr` is not an
 * array. */
bool jfield_lists(const json_t *arr, const char *s);

/* Check that `v` (named `path` in full) is of JSON type `want` (JSON_OBJECT,
 * JSON_ARRAY, JSON_STRING or JSON_INTEGER): "PATH must be an object" (full
 * wording adds ", got a string"). */
err_code jfield_is(const struct jfield *c, const json_t *v, const char *path, json_type want)
    MUST_CHECK;

/* The required member `key` of `obj` (at path `where`), of JSON type `want`
 * as in jfield_is(): "PATH is missing", or the type failure. *out is borrowed. */
err_code jfield_get(const struct jfield *c, const json_t *obj, const char *where, const char *key,
                    json_type want, json_t **out) MUST_CHECK;

/* The required member `key`: a string. *out is borrowed (NUL-terminated;
 * jstrict_parse refuses strings holding NUL). */
err_code jfield_string(const struct jfield *c, const json_t *obj, const char *where,
                       const char *key, const char **out) MUST_CHECK;

/* The optional member `key`: absent → E_OK with *out NULL and *len 0;
 * present → a string of min..max bytes ("PATH must be MIN..MAX bytes (omit
 * it for none), got N"), *out borrowed and *len its length. */
err_code jfield_opt_string(const struct jfield *c, const json_t *obj, const char *where,
                           const char *key, size_t min, size_t max, const char **out,
                           size_t *len) MUST_CHECK;

/* The required member `key`: a JSON integer in min..JFIELD_MAX_UINT ("PATH
 * must be in MIN..2^53, got N"). A fraction or exponent (17.0, 1e2) is not
 * an integer. A "-0" reads as 0 here: jfield_no_signed_zero() refuses it. */
err_code jfield_uint(const struct jfield *c, const json_t *obj, const char *where,
                     const char *key, uint64_t min, uint64_t *out) MUST_CHECK;

/* String `v` named `path`: exactly `n` bytes (2n digits) of lowercase hex
 * into `out`, with a "0x" prefix if and only if `prefixed`. */
err_code jfield_hex_value(const struct jfield *c, const json_t *v, const char *path,
                          bool prefixed, uint8_t *out, size_t n) MUST_CHECK;

/* The required member `key`, read as jfield_hex_value() reads a value. */
err_code jfield_hex(const struct jfield *c, const json_t *obj, const char *where, const char *key,
                    bool prefixed, uint8_t *out, size_t n) MUST_CHECK;

/* For formats whose every number is unsigned with one spelling: refuse a
 * number literal of `text` (`len` bytes that jstrict_parse accepted) written
 * as a negative zero (no digit 1-9: "-0", "-0.0", "-0e0"), which jansson reads as 0 and
 * jfield_uint() cannot tell apart: "PATH must be an unsigned integer written
 * without a sign, got -0". Other negative numbers pass here and are named by
 * jfield_uint(). E_LIMIT past JSTRICT_MAX_DEPTH. */
err_code jfield_no_signed_zero(const struct jfield *c, const char *text, size_t len) MUST_CHECK;

/* Read the document: jstrict_parse(text, len, max, flags 0) with its
 * failure prefixed "NAME: " (its code kept: E_LIMIT past `max` bytes or
 * JSTRICT_MAX_DEPTH, E_INVALID, E_NOMEM), then jfield_no_signed_zero().
 * A NULL `text` reads as empty. On success *top is a new reference the
 * caller json_decref()s; on failure it is NULL. */
err_code jfield_load(const struct jfield *c, const char *text, size_t len, size_t max,
                     json_t **top) MUST_CHECK;

#endif
