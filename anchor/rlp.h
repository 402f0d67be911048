/*
 * anchor/rlp.h — Ethereum Recursive Length Prefix encoding (Yellow Paper,
 * Appendix B) and 256-bit big-endian unsigned integers.
 *
 * Encoding appends to a `struct buf`: byte strings, unsigned integers (big
 * endian, no leading zeros, zero is the empty string) and lists. A list is
 * opened with rlp_list_begin(), its items appended, and closed with
 * rlp_list_end(), which back-patches the header in front of the payload.
 *
 * Decoding is strict because the bytes usually come from someone else (a
 * gateway, a ledger): only the canonical encoding of a value is accepted —
 * a single byte < 0x80 must stand for itself, the long forms are only for
 * payloads of 56 bytes or more, lengths have no leading zero bytes, nothing
 * may point past the end, and nothing may follow the top item. Nesting is
 * limited to RLP_MAX_DEPTH. Decoded items are views into the caller's input
 * (no allocation): the input must outlive them.
 *
 * `struct u256` lives here because RLP and the ABI both carry 256-bit
 * quantities (wei values, fees) that do not fit a uint64_t.
 */
#ifndef ANCHOR_RLP_H
#define ANCHOR_RLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

/* Deepest list nesting rlp_decode() accepts (transactions need 3). */
#define RLP_MAX_DEPTH 32

/* A 256-bit unsigned integer, 32 bytes big-endian. */
struct u256 { uint8_t b[32]; };

/* ---- u256 helpers ------------------------------------------------------ */

/* `v` as a u256. */
void u256_from_u64(uint64_t v, struct u256 *out);

/* Parse a decimal string of digits only (no sign, no spaces, no leading
 * zeros except "0" itself). E_INVALID if malformed, E_LIMIT if ≥ 2^256. */
err_code u256_from_dec(const char *s, struct u256 *out, struct err *e) MUST_CHECK;

/* Decimal form into `out` (78 digits + NUL fit any u256). */
void u256_to_dec(const struct u256 *v, char out[79]);

/* The value as a uint64_t; E_LIMIT if it does not fit. */
err_code u256_to_u64(const struct u256 *v, uint64_t *out, struct err *e) MUST_CHECK;

bool u256_is_zero(const struct u256 *v);
bool u256_eq(const struct u256 *a, const struct u256 *b);

/* ---- encoding ---------------------------------------------------------- */

/* Append the RLP string encoding of `n` bytes at `p` (p may be NULL if n is 0).
 * E_NOMEM if the buffer cannot grow (it keeps its previous contents). */
err_code rlp_put_bytes(struct buf *b, const uint8_t *p, size_t n) MUST_CHECK;

/* Append an unsigned integer: its big-endian bytes without leading zeros as a
 * string (0 encodes as the empty string 0x80). */
err_code rlp_put_uint(struct buf *b, uint64_t v) MUST_CHECK;

/* Append a big-endian unsigned integer of `n` bytes (leading zeros are
 * stripped, so any width is fine). */
err_code rlp_put_uint_be(struct buf *b, const uint8_t *be, size_t n) MUST_CHECK;

/* Append a u256 as an unsigned integer. */
err_code rlp_put_u256(struct buf *b, const struct u256 *v) MUST_CHECK;

/* Append `n` bytes that are already an RLP encoding (e.g. a nested item). */
err_code rlp_put_raw(struct buf *b, const uint8_t *p, size_t n) MUST_CHECK;

/* Open a list: `*mark` (Out) remembers where its payload starts. Items
 * appended until the matching rlp_list_end() form the list's payload. */
void rlp_list_begin(const struct buf *b, size_t *mark);

/* Close the list opened at `mark`: inserts the list header in front of the
 * payload. Lists nest naturally (close the inner one first). E_NOMEM on
 * allocation failure, E_INVALID if `mark` is past the end of the buffer. */
err_code rlp_list_end(struct buf *b, size_t mark) MUST_CHECK;

/* ---- decoding ---------------------------------------------------------- */

/* One decoded item: a view into the input. */
struct rlp_item {
    bool is_list;
    const uint8_t *p;   /* payload: the string's bytes, or the list's encoded items */
    size_t len;         /* payload length */
    const uint8_t *raw; /* the whole encoding, header included */
    size_t raw_len;
};

/* Decode exactly one item that spans all of in[0, n), validating it and
 * everything nested in it (canonical form, bounds, depth ≤ RLP_MAX_DEPTH).
 * Errors: E_INVALID (non-canonical, truncated, trailing bytes, a length past
 * the end) or E_LIMIT (too deep), with the byte offset in the message. */
err_code rlp_decode(const uint8_t *in, size_t n, struct rlp_item *out, struct err *e) MUST_CHECK;

/* Split a decoded list into its items: at most `max` are stored in `items`,
 * their number in `*count`. E_INVALID if `list` is not a list, E_LIMIT if it
 * has more than `max` items. Items of a list from rlp_decode() are already
 * validated. */
err_code rlp_list_items(const struct rlp_item *list, struct rlp_item *items, size_t max,
                        size_t *count, struct err *e) MUST_CHECK;

/* Iterate a list's items one by one without an array. */
struct rlp_iter {
    const uint8_t *p;
    size_t left;
};
void rlp_iter_init(struct rlp_iter *it, const struct rlp_item *list);
/* Next item into `out`; returns false at the end of the list (or on a
 * malformed item, which cannot happen for lists from rlp_decode()). */
bool rlp_iter_next(struct rlp_iter *it, struct rlp_item *out);

/* A string item read as a canonical unsigned integer: at most 8 bytes, no
 * leading zero byte (zero is the empty string). `what` names the field in
 * the error message. E_INVALID otherwise. */
err_code rlp_item_uint(const struct rlp_item *it, const char *what, uint64_t *out,
                       struct err *e) MUST_CHECK;

/* The same for up to 256 bits. */
err_code rlp_item_u256(const struct rlp_item *it, const char *what, struct u256 *out,
                       struct err *e) MUST_CHECK;

#endif
