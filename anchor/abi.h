/*
 * anchor/abi.h — the part of the Solidity contract ABI this project needs:
 * function selectors and event topics, encoding call data, and reading
 * static words (and `bytes`) back out of return data and log data.
 *
 * Encoding follows the Solidity ABI specification ("Formal Specification of
 * the Encoding"): each argument takes one 32-byte head word; static values
 * (uintN, bool, address, bytes32) are the head word itself, dynamic ones
 * (bytes, uint256[], bytes[]) put an offset in the head and their contents in
 * the tail. abi_encode_call() checks the argument kinds against the types in
 * the signature text, and uintN values against N, so a call that does not
 * match the contract's function is refused here rather than reverted there.
 *
 * Decoding reads words by index with bounds checks: return data and logs
 * come from a ledger endpoint the verifier does not trust.
 */
#ifndef ANCHOR_ABI_H
#define ANCHOR_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/rlp.h"
#include "core/bytes.h"
#include "core/error.h"

/* Most arguments, array items and bytes an encoding may have (a bound for
 * the signature parser and the encoder, far above what our contracts use). */
#define ABI_MAX_ARGS 16
#define ABI_MAX_ITEMS 65536
#define ABI_MAX_BYTES (1 << 20)

/* First 4 bytes of keccak256(signature), e.g. "anchor(bytes32,uint64,uint64)".
 * The signature must be canonical (no spaces, no argument names, uint256
 * rather than uint). */
void abi_selector(const char *signature, uint8_t out[4]);

/* An event's topic 0: keccak256(signature). */
void abi_event_topic(const char *signature, struct hash32 *out);

enum abi_kind {
    ABI_UINT,        /* uintN for any N (8..256) */
    ABI_BOOL,
    ABI_ADDRESS,
    ABI_BYTES32,
    ABI_BYTES,       /* dynamic bytes */
    ABI_UINT_ARRAY,  /* uintN[] */
    ABI_BYTES_ARRAY, /* bytes[] */
};

/* A byte string by reference (the caller keeps it alive during encoding). */
struct abi_bytes {
    const uint8_t *p;
    size_t len;
};

/* One argument. Build with the abi_arg_* helpers below. Arrays and byte
 * strings are borrowed, not copied. */
struct abi_arg {
    enum abi_kind kind;
    union {
        struct u256 uint;
        bool boolean;
        struct addr20 address;
        struct hash32 bytes32;
        struct abi_bytes bytes;
        struct { const struct u256 *items; size_t count; } uints;
        struct { const struct abi_bytes *items; size_t count; } byteses;
    } v;
};

struct abi_arg abi_arg_uint(uint64_t v);
struct abi_arg abi_arg_u256(const struct u256 *v);
struct abi_arg abi_arg_bool(bool v);
struct abi_arg abi_arg_address(const struct addr20 *a);
struct abi_arg abi_arg_bytes32(const struct hash32 *h);
struct abi_arg abi_arg_bytes(const uint8_t *p, size_t len);
struct abi_arg abi_arg_uint_array(const struct u256 *items, size_t count);
struct abi_arg abi_arg_bytes_array(const struct abi_bytes *items, size_t count);

/* Append call data for `signature` with `nargs` arguments to `out`: the
 * 4-byte selector, then the encoded arguments. E_INVALID if the signature is
 * malformed, the number or kinds of arguments do not match its types, or a
 * uintN value does not fit N bits; E_UNSUPPORTED for types not listed in
 * enum abi_kind (tuples, int, string, fixed arrays, bytesN other than 32);
 * E_LIMIT beyond ABI_MAX_*; E_NOMEM. `out` is unchanged on failure. */
err_code abi_encode_call(const char *signature, const struct abi_arg *args, size_t nargs,
                         struct buf *out, struct err *e) MUST_CHECK;

/* Append just the encoded arguments (no selector, no type check against a
 * signature), e.g. for constructor arguments. Errors as above. */
err_code abi_encode_args(const struct abi_arg *args, size_t nargs, struct buf *out,
                         struct err *e) MUST_CHECK;

/* ---- decoding ---------------------------------------------------------- */

/* The 32-byte word number `index` of `data` (n bytes) into *word (a view).
 * E_INVALID if the data is too short (the message names the index). */
err_code abi_word(const uint8_t *data, size_t n, size_t index, const uint8_t **word,
                  struct err *e) MUST_CHECK;

/* Word `index` read as uintN with N = `bits` (8..64, a multiple of 8): the
 * high bits must be zero (E_INVALID otherwise, as Solidity's decoder). */
err_code abi_get_uint(const uint8_t *data, size_t n, size_t index, unsigned bits, uint64_t *out,
                      struct err *e) MUST_CHECK;

/* Word `index` as a uint256. */
err_code abi_get_u256(const uint8_t *data, size_t n, size_t index, struct u256 *out,
                      struct err *e) MUST_CHECK;

/* Word `index` as a bool: exactly 0 or 1. */
err_code abi_get_bool(const uint8_t *data, size_t n, size_t index, bool *out,
                      struct err *e) MUST_CHECK;

/* Word `index` as an address: 12 zero bytes, then 20 address bytes. */
err_code abi_get_address(const uint8_t *data, size_t n, size_t index, struct addr20 *out,
                         struct err *e) MUST_CHECK;

/* Word `index` as bytes32. */
err_code abi_get_bytes32(const uint8_t *data, size_t n, size_t index, struct hash32 *out,
                         struct err *e) MUST_CHECK;

/* A dynamic `bytes` whose head is word `index`: follows the offset, checks
 * that offset, length and contents lie within `data`, and returns a view
 * (*p, *len) into `data`. */
err_code abi_get_bytes(const uint8_t *data, size_t n, size_t index, const uint8_t **p,
                       size_t *len, struct err *e) MUST_CHECK;

#endif
