/*
 * anchor/ebsi_alg.h — EBSI's hash-algorithm table, as the Timestamp API
 * publishes it: is the hashAlgorithmId the notary sends with its roots
 * SHA-256, and still active?
 *
 *   GET {timestamp api}/hash-algorithms/{id}
 *     200 {"outputLengthBits": 256, "ianaName": "sha-256",
 *          "oid": "2.16.840.1.101.3.4.2.1", "status": "active",
 *          "multihash": "sha2-256"}
 *     404 application/problem+json (no such id)
 *
 * The member naming the multihash is spelled "multiHash" on the published
 * v4 API page (hub.ebsi.eu, pilot, get-hash-algorithm) and "multihash" in
 * the API's source (apis/timestamp-v4 hash-algorithms.service.ts); either
 * spelling is accepted, exactly one of them. "status" is "active" or
 * "revoked" (the contract's 1 / 2). The id of SHA-256 is 0 on EBSI's
 * deployments; the notary's roots are RFC 9162 SHA-256 tree heads, so any
 * other algorithm, a revoked one or an unknown id is refused.
 *
 * Ownership: no heap in the structs; *out strings are malloc'd (free()).
 */
#ifndef ANCHOR_EBSI_ALG_H
#define ANCHOR_EBSI_ALG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Largest answer read (EBSI's is about 130 bytes). */
#define EBSI_ALG_MAX_ANSWER 4096u
/* Longest ianaName / oid / multihash / status kept. */
#define EBSI_ALG_MAX_TEXT 64u
/* The multihash name of SHA-256 (multiformats table). */
#define EBSI_ALG_SHA256 "sha2-256"

/* One entry of the table, as the API answered it. */
struct ebsi_alg {
    uint64_t output_bits;                /* outputLengthBits (0 = variable) */
    char iana_name[EBSI_ALG_MAX_TEXT + 1];
    char oid[EBSI_ALG_MAX_TEXT + 1];
    char status[EBSI_ALG_MAX_TEXT + 1];  /* "active" / "revoked" / what was sent */
    char multihash[EBSI_ALG_MAX_TEXT + 1];
};

/*
 * Parse the 200 answer (`len` bytes, need not be NUL-terminated): a strict
 * JSON object (core/json.h: size limit EBSI_ALG_MAX_ANSWER, no duplicate
 * keys) with outputLengthBits (integer 0..65536), ianaName and oid
 * (strings of 0..EBSI_ALG_MAX_TEXT printable ASCII), status (1..
 * EBSI_ALG_MAX_TEXT lower-case letters) and exactly one of multihash /
 * multiHash (1..EBSI_ALG_MAX_TEXT of [a-z0-9-]). Other members are ignored
 * (the API may add some). E_PROTOCOL naming the member; E_NOMEM.
 */
err_code ebsi_alg_parse(const char *body, size_t len, struct ebsi_alg *out,
                        struct err *e) MUST_CHECK;

/*
 * The decision: may roots be timestamped with algorithm `id` = `a`? Yes
 * when its multihash is EBSI_ALG_SHA256 with 256 output bits and its
 * status "active". Otherwise: E_INVALID when it is another algorithm (the
 * message names it and asks for the id of sha2-256 with
 * --hash-algorithm-id), E_STATE when it is not active (revoked: EBSI
 * refuses timestamps with it), E_PROTOCOL for sha2-256 with another length.
 */
err_code ebsi_alg_check(const struct ebsi_alg *a, uint64_t id, struct err *e) MUST_CHECK;

/*
 * The URL of algorithm `id` for the Timestamp API JSON-RPC endpoint
 * `ts_api` (…/timestamp/v4/jsonrpc → …/timestamp/v4/hash-algorithms/ID).
 * E_INVALID when ts_api is not an http(s) URL ending in "/jsonrpc" without
 * query or fragment. *out malloc'd.
 */
err_code ebsi_alg_url(const char *ts_api, uint64_t id, char **out, struct err *e) MUST_CHECK;

/*
 * GET algorithm `id` from the Timestamp API at `ts_api`, parse it and
 * ebsi_alg_check() it; *out holds the answer whenever one was parsed
 * (also when the check refuses it). `timeout_ms` 0: 30 s.
 * Errors: E_INVALID the URL (ebsi_alg_url) or another algorithm;
 * E_NOT_FOUND the API knows no algorithm `id` (HTTP 404); E_NETWORK the
 * API unreachable or an HTTP status other than 200/404 (the message says
 * which and to try again); E_PROTOCOL a malformed answer; E_STATE not
 * active.
 */
err_code ebsi_alg_confirm(const char *ts_api, uint64_t id, unsigned timeout_ms,
                          struct ebsi_alg *out, struct err *e) MUST_CHECK;

#endif
