/*
 * core/json.h — strict parsing of untrusted JSON (jansson underneath).
 *
 * Every JSON document that reaches us from outside — proof bundles,
 * credentials, revocation logs, JSON-RPC responses, HTTP bodies — goes
 * through jstrict_parse(): a size limit checked before parsing, duplicate
 * keys rejected (JSON_REJECT_DUPLICATES), nesting deeper than
 * JSTRICT_MAX_DEPTH rejected, invalid UTF-8 and lone surrogates rejected,
 * numbers that overflow a double rejected. Errors say where (line, column).
 *
 * Ownership: on success *out is a new reference the caller json_decref()s.
 */
#ifndef CORE_JSON_H
#define CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define JSTRICT_MAX_DEPTH 64

/* Flags for jstrict_parse. */
#define JSTRICT_INTS_AS_REALS 0x1 /* every number becomes a double (what JCS hashing needs) */
#define JSTRICT_ANY_TOP       0x2 /* allow a scalar at top level (default: object or array) */

/* The nesting check of jstrict_parse on its own, a byte scan of brackets
 * outside strings: E_LIMIT (with line and column) if `text` nests deeper
 * than JSTRICT_MAX_DEPTH, else E_OK (whether or not it is valid JSON). Lets
 * a caller tell "too deep" from "too large" after jstrict_parse's E_LIMIT. */
err_code jstrict_check_depth(const char *text, size_t len, struct err *e) MUST_CHECK;

/* Parse `len` bytes of `text` (need not be NUL-terminated) into *out.
 * More than `max_bytes` → E_LIMIT (checked before anything is read); nesting
 * deeper than JSTRICT_MAX_DEPTH → E_LIMIT (bounded by a byte scan before
 * jansson builds anything); malformed → E_INVALID, message
 * "<kind> at line L, column C (byte B): <jansson's text>", where kind is e.g.
 * "duplicate object key", "invalid UTF-8", "number out of range", "NUL
 * character not allowed" and input bytes quoted in the text are shown as
 * \xNN unless printable ASCII. Unknown flags → E_INVALID. *out is NULL on
 * any error. */
err_code jstrict_parse(const char *text, size_t len, size_t max_bytes, unsigned flags, json_t **out,
                       struct err *e) MUST_CHECK;

/* Where jstrict_each_number() met a number: the container frames from the
 * top level down to the number's own container (depth 0: the number is the
 * whole document). */
struct jstrict_frame {
    bool object;     /* object: `key` names the member; array: `index` */
    const char *key; /* the member name as raw JSON text (escapes kept), not NUL-terminated */
    size_t key_len;
    size_t index;
};
struct jstrict_number {
    const char *lit; /* the number literal, raw (not NUL-terminated) */
    size_t len;
    const struct jstrict_frame *frames;
    int depth;
};

/* Call fn(number, ctx, e) for every number literal of a JSON text that
 * jstrict_parse() accepted (strings and their escapes are skipped, member
 * names tracked), in document order; stop at the first non-E_OK return and
 * return it. One linear pass; E_LIMIT past JSTRICT_MAX_DEPTH. */
typedef err_code (*jstrict_number_fn)(const struct jstrict_number *n, void *ctx, struct err *e);
err_code jstrict_each_number(const char *text, size_t len, jstrict_number_fn fn, void *ctx,
                             struct err *e) MUST_CHECK;

/* The number's place for a message, printable ASCII only (other bytes as
 * \xNN), cut with "..." to fit `outsz`: pointer → a JSON Pointer
 * ("/credentialSubject/ids/2"); otherwise dotted ("batch.seq", "entries[3].reason").
 * Returns out. */
const char *jstrict_number_path(const struct jstrict_number *n, bool pointer, char *out,
                                size_t outsz);

/* Depth of a value (a scalar is 0, [] is 1, [[1]] is 2). Recursive: call
 * it on parsed (already bounded) or trusted values only. */
int jstrict_depth(const json_t *v);

#endif
