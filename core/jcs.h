/*
 * core/jcs.h — RFC 8785 JSON Canonicalization Scheme on jansson values.
 *
 * Canonical form: no whitespace; object members sorted by the UTF-16 code
 * units of their names (RFC 8785 §3.2.3), not by UTF-8 bytes; strings with
 * the minimal escaping of §3.2.2.2; numbers serialized as ECMAScript's
 * Number.prototype.toString does (§3.2.2.3), which is why values must be
 * parsed with JSTRICT_INTS_AS_REALS: JSON has one number type, a double.
 */
#ifndef CORE_JCS_H
#define CORE_JCS_H

#include <jansson.h>

#include "core/bytes.h"
#include "core/error.h"

/* Append the canonical form of `v` to `out` (In: v, borrowed; Out: out, a
 * caller-owned buffer, left exactly as it was on error). Errors: E_INVALID
 * for a non-finite number, a jansson integer beyond ±2^53 (not every such
 * integer is a double, RFC 7493 §2.2; parse with JSTRICT_INTS_AS_REALS so
 * this cannot happen), or a string or member name that is not valid UTF-8;
 * E_LIMIT for nesting deeper than JSTRICT_MAX_DEPTH; E_NOMEM. */
err_code jcs_serialize(const json_t *v, struct buf *out, struct err *e) MUST_CHECK;

/* Parse untrusted JSON text strictly (core/json.h rules, limit `max_bytes`,
 * every number a double, any value at top level) and append its canonical
 * form to `out`. Errors as jstrict_parse() and jcs_serialize(). */
err_code jcs_canonicalize(const char *text, size_t len, size_t max_bytes, struct buf *out,
                          struct err *e) MUST_CHECK;

/* ECMAScript Number::toString(d) of a finite double into `out`
 * (NUL-terminated; 32 bytes suffice): -0 is "0", shortest round-trip digits,
 * exponent form below 1e-6 and from 1e21 ("1e-7", "1e+21"). E_INVALID for
 * NaN or ±Infinity (out is then ""). */
err_code jcs_number(double d, char out[32], struct err *e) MUST_CHECK;

/* RFC 8785 hashes every number as the IEEE-754 double nearest to it, so two
 * different literals (12345678901234567 and 12345678901234568, 1.7 and
 * 1.70000000000000001, 1e-400 and 0) would hash alike. Check that every
 * number literal in the JSON text `text` (len bytes, already accepted by
 * jstrict_parse) has exactly the decimal value of its canonical form
 * jcs_number(strtod(literal)): lossless spellings (30.0, 3e1, 1E2, -0) pass.
 * Errors: E_INVALID naming the member (its name and JSON-Pointer path), the
 * literal and the value RFC 8785 would hash, and telling the issuer to put
 * such values in strings; E_LIMIT for nesting deeper than JSTRICT_MAX_DEPTH.
 * Linear in len; numbers of at most 15 significant digits cost no strtod. */
err_code jcs_check_numbers(const char *text, size_t len, struct err *e) MUST_CHECK;

#endif
