/*
 * core/bundle.h — the proof bundle (docs/design.md "Proof bundle"; the format is
 * specified field by field in docs/proof-format.md).
 *
 * A bundle is the one file a verifier receives with a credential: the
 * credential hash, the batch it was notarized in (kind, sequence number,
 * size, Merkle root, closing time), the RFC 9162 audit path for its leaf, and
 * — once the batch is anchored — where the root was written on the ledger.
 * A bundle without "anchor" is *pending*: the batch is closed but its root is
 * not on the ledger yet.
 *
 * Bundles come from outside, so parsing is strict and bounded: at most
 * BUNDLE_MAX_BYTES, strict JSON (core/json.h: duplicate keys and nesting
 * deeper than 64 rejected), version 1 only and closed (an unknown field is
 * an error, not ignored), every number a JSON integer in 0..2^53, every hash
 * exactly 32 bytes of lowercase hex, leafIndex < size and exactly as many
 * path hashes as RFC 9162 needs for (leafIndex, size). A parsed struct has
 * passed all of that; bundle_validate() applies the same rules to a struct
 * built in code, and the writer refuses what the parser would reject, so a
 * written bundle always parses back to the same struct.
 *
 * Ownership: a struct bundle is a plain value (no pointers; about 2.5 KB):
 * copy it, keep it on the stack, nothing to free.
 */
#ifndef CORE_BUNDLE_H
#define CORE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/credential.h"
#include "core/error.h"
#include "core/merkle.h"

/* The "type" member every bundle carries. */
#define BUNDLE_TYPE "CredentialNotaryProof"
/* The only version this code reads and writes. */
#define BUNDLE_VERSION 1
/* Largest bundle file accepted (a real one is under 4 KB). */
#define BUNDLE_MAX_BYTES (1024u * 1024)
/* Largest number a bundle may hold: 2^53, the largest integer every JSON
 * implementation (IEEE-754 doubles) represents exactly. */
#define BUNDLE_MAX_UINT ((uint64_t)1 << 53)

/* What the batch is: only issuance batches carry credential proofs
 * (revocation checkpoints are anchored too, but are not in bundles). */
enum bundle_kind {
    BUNDLE_KIND_ISSUANCE, /* "issuance" */
};

/* How the root was written to the ledger (docs/design.md "Two ways to write to the ledger"). */
enum bundle_ledger {
    BUNDLE_LEDGER_EVM,  /* "evm": the project's registry contract over Ethereum JSON-RPC */
    BUNDLE_LEDGER_EBSI, /* "ebsi": EBSI Timestamp API flow */
};

struct bundle_credential {
    struct hash32 hash;              /* "hash": the 32-byte credential hash */
    enum credential_hashing hashing; /* "hashing": how the hash was made */
};

struct bundle_batch {
    enum bundle_kind kind; /* "kind" */
    uint64_t seq;          /* "seq": the issuer's batch sequence number for this kind */
    uint64_t size;         /* "size": leaves in the batch tree, 1..2^53 */
    struct hash32 root;    /* "root": RFC 9162 Merkle tree head of the batch */
    int64_t closed_at;     /* "closedAt": Unix seconds (RFC 3339 UTC in the file) */
};

struct bundle_inclusion {
    uint64_t leaf_index;                  /* "leafIndex": 0-based, < batch.size */
    size_t path_len;                      /* == merkle_path_length(leaf_index, size) */
    struct hash32 path[MERKLE_MAX_PATH];  /* "path": audit path, leaf-to-root order */
};

struct bundle_anchor {
    enum bundle_ledger ledger; /* "ledger" */
    uint64_t chain_id;         /* "chainId": EIP-155 chain id, ≥ 1 */
    struct addr20 contract;    /* "contract": the contract that emitted the anchor event */
    struct addr20 issuer;      /* "issuer": the address that anchored (the issuer's key) */
    struct hash32 tx_hash;     /* "txHash" */
    uint64_t block_number;     /* "blockNumber" */
    struct hash32 block_hash;  /* "blockHash" */
    uint64_t block_time;       /* "blockTime": the block's timestamp, Unix seconds */
};

struct bundle {
    struct bundle_credential credential;
    struct bundle_batch batch;
    struct bundle_inclusion inclusion;
    bool anchored;               /* false: pending bundle, "anchor" absent, `anchor` zeroed */
    struct bundle_anchor anchor; /* meaningful only when `anchored` */
};

/*
 * Parse `len` bytes of bundle JSON `text` (need not be NUL-terminated) into
 * *out. `name` (e.g. the file name; NULL → "bundle") starts every error
 * message: "bundle.json: inclusion.path has 9 hashes but index 12 in a tree
 * of 1000 needs 10".
 * Errors: E_LIMIT (more than BUNDLE_MAX_BYTES, nesting deeper than 64),
 * E_UNSUPPORTED (a version other than 1), E_INVALID (anything else that is
 * not a well-formed version 1 bundle; the message names the field).
 * *out is fully written on success and zeroed on failure.
 */
err_code bundle_parse(const char *text, size_t len, const char *name, struct bundle *out,
                      struct err *e) MUST_CHECK;

/* Read the file at `path` ("-" = stdin; at most BUNDLE_MAX_BYTES, E_LIMIT
 * beyond, E_IO if unreadable) and bundle_parse() it, naming it `path`. */
err_code bundle_read_file(const char *path, struct bundle *out, struct err *e) MUST_CHECK;

/* Check a struct built in code against every rule bundle_parse() enforces
 * (size 1..2^53, leafIndex < size, path length, chainId ≥ 1, numbers ≤ 2^53,
 * closedAt in years 1970..9999, known enum values). E_INVALID naming the
 * field, E_OK if a written copy would parse back. */
err_code bundle_validate(const struct bundle *b, struct err *e) MUST_CHECK;

/*
 * Append the bundle as JSON to `out`: 2-space indentation, members in the
 * fixed order of docs/proof-format.md, lowercase hex, a final newline.
 * bundle_validate() runs first (E_INVALID, nothing appended on failure);
 * E_NOMEM if the buffer cannot grow.
 */
err_code bundle_write(const struct bundle *b, struct buf *out, struct err *e) MUST_CHECK;

/* The same bundle as one compact line (no whitespace, members in the same
 * order, a final newline): one record of a JSON Lines export. Same errors. */
err_code bundle_write_line(const struct bundle *b, struct buf *out, struct err *e) MUST_CHECK;

/* bundle_write() to `path`, atomically and durably (core/fileio.h), mode 0644. */
err_code bundle_write_file(const struct bundle *b, const char *path, struct err *e) MUST_CHECK;

/* File names of the enums ("issuance"; "evm", "ebsi"); never NULL. */
const char *bundle_kind_name(enum bundle_kind k);
const char *bundle_ledger_name(enum bundle_ledger l);
/* The inverse of bundle_ledger_name(): true and *out set if `s` (not NULL)
 * is exactly one of its names; false, *out untouched, otherwise. */
bool bundle_ledger_parse(const char *s, enum bundle_ledger *out);

/*
 * RFC 3339 UTC timestamps in the one form bundles use, "YYYY-MM-DDTHH:MM:SSZ"
 * (no fraction, no offset other than Z, no leap second, years 1970..9999).
 * bundle_time_parse: `s` (NUL-terminated) → Unix seconds; E_INVALID saying
 * what is wrong. bundle_time_format: Unix seconds → `out` (21 bytes incl.
 * NUL); E_INVALID if `t` is outside 1970..9999, and `out` is then
 * "(time out of range)", so a caller that only displays may ignore the code.
 */
err_code bundle_time_parse(const char *s, int64_t *out, struct err *e) MUST_CHECK;
err_code bundle_time_format(int64_t t, char out[21], struct err *e);

#endif
