/*
 * notary/service/submit_body.h — the body of POST /v1/hashes, parsed into hashes.
 *
 * Two media types are accepted (docs/openapi.yaml):
 *   application/json  {"hashes": ["<64 hex>", ...]} or {"hash": "<64 hex>"}
 *                     and nothing else (an optional 0x prefix and either
 *                     case of hex digits, as hash32_from_hex accepts);
 *   text/plain        one hex hash per line; blank lines, surrounding
 *                     blanks and '#' comment lines are skipped.
 *
 * JSON is decided by jansson through jstrict_parse() (size limit, duplicate
 * keys, depth, UTF-8) and the shape checks here. Bulk submission at
 * hundreds of thousands of hashes a second cannot afford a json_t per
 * string, so a strict scanner runs first: it recognises only the common,
 * plain shape (JSON whitespace, the one key spelled without escapes,
 * strings of exactly 64 hex digits, at least one of them, nothing after
 * the closing brace but whitespace) and decodes the hex straight into the
 * output. Everything it does not recognise — escapes, 0x prefixes, other or
 * duplicate keys, wrong lengths, truncation, an oversized body — goes to
 * the jansson path, which alone rejects and words the error. The scanner
 * therefore only ever says "accepted, these hashes" or "not mine", and
 * every body it accepts is one the jansson path accepts with the same
 * hashes (tests/unit/test_submit_body.c checks this differentially,
 * tests/fuzz/fuzz_submit_body.c fuzzes it).
 */
#ifndef NOTARY_SUBMIT_BODY_H
#define NOTARY_SUBMIT_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/bytes.h"
#include "core/error.h"

enum submit_body_type {
    SUBMIT_BODY_JSON, /* application/json */
    SUBMIT_BODY_TEXT, /* text/plain */
};

/* The outcome of a parse. On success `h` holds `n` >= 1 hashes in body
 * order (duplicates kept), malloc'd, owned by the caller: release with
 * submit_body_free(). On failure h is NULL, n is 0, and `status` and
 * `error` say how the HTTP service answers: the status (400, 413 or 503)
 * and the stable error code ("invalid_json", "invalid_request",
 * "invalid_hash", "body_too_large", "unavailable"; a static string); the
 * message is in the struct err. */
struct submit_body {
    struct hash32 *h;
    size_t n;
    int status;
    const char *error;
};

/* Flags for submit_body_parse_ex. */
#define SUBMIT_BODY_NO_FAST 0x1 /* skip the scanner: jansson only (tests, benchmarks) */

/* Parse a POST /v1/hashes body of `len` bytes (need not be NUL-terminated;
 * `body` may be NULL when len is 0) of media `type` into *out.
 * JSON: more than `max_body` bytes → E_LIMIT, 413 body_too_large; nesting
 * beyond JSTRICT_MAX_DEPTH → E_LIMIT, 400 json_too_deep (both through
 * submit_body_json_refusal); malformed JSON → 400 invalid_json with
 * jstrict_parse's message; another shape or an empty "hashes" → 400
 * invalid_request; an element that is not a string of 64 hex digits (0x
 * allowed) → 400 invalid_hash "hashes[i]: ...".
 * Text: `max_body` is not consulted (the HTTP layer bounds the body); a
 * line that is not a hash → 400 invalid_hash "line L: ..."; no hash at all
 * → 400 invalid_request "no hashes in the body".
 * Out of memory → E_NOMEM, 503 unavailable. Returns E_OK or the failure's
 * code (E_INVALID, E_LIMIT, E_NOMEM); *out is always filled. */
err_code submit_body_parse(const char *body, size_t len, enum submit_body_type type,
                           size_t max_body, struct submit_body *out, struct err *e) MUST_CHECK;

/* The answer to a JSON request body (`len` bytes, may be NULL) that a
 * parser refused with `rc`; every route of `notary serve` that takes JSON
 * answers through this, so they agree: nesting beyond JSTRICT_MAX_DEPTH →
 * 400 "json_too_deep" (and *e gets the depth message with line and column;
 * e may be NULL); another E_LIMIT → 413 "body_too_large"; anything else →
 * 400 `invalid_code` ("invalid_json", "invalid_credential"). *code is a
 * string literal or `invalid_code`. */
void submit_body_json_refusal(const char *body, size_t len, err_code rc, const char *invalid_code,
                              unsigned *status, const char **code, struct err *e);

/* submit_body_parse with `flags` (SUBMIT_BODY_NO_FAST: the jansson path
 * alone, for the differential tests and the benchmark; the answer must be
 * the same with or without it). Unknown flags → E_INVALID. */
err_code submit_body_parse_ex(const char *body, size_t len, enum submit_body_type type,
                              size_t max_body, unsigned flags, struct submit_body *out,
                              struct err *e) MUST_CHECK;

/* The scanner alone, for tests and benchmarks: true if the JSON body is
 * the plain common shape (see the top of this file) and at most `max_body`
 * bytes, with *out filled as submit_body_parse would fill it (caller
 * frees with submit_body_free); false ("not mine", also when memory runs
 * out) leaves *out empty and decides nothing. */
bool submit_body_fast_json(const char *body, size_t len, size_t max_body,
                           struct submit_body *out);

/* Free out->h and empty *out. NULL is allowed. */
void submit_body_free(struct submit_body *out);

#endif
