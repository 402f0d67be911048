/*
 * core/revlog.h — the issuer's revocation log (docs/design.md "Revocation and
 * audit"; the file format is specified in docs/revocation-format.md).
 *
 * The log is an append-only list of entries (credential hash, reason code,
 * time, optional note) kept as an RFC 9162 Merkle tree. Each entry is bound
 * into its leaf by a canonical byte encoding:
 *
 *   entry bytes = 0x01 (encoding version)
 *               ‖ credential hash (32 bytes)
 *               ‖ reason code (1 byte)
 *               ‖ revocation time, Unix seconds (8 bytes, big-endian)
 *               ‖ note length in bytes (2 bytes, big-endian) ‖ note (UTF-8)
 *   entry digest = SHA-256(entry bytes)
 *   leaf hash    = SHA-256(0x00 ‖ entry digest)          (RFC 9162 §2.1.1)
 *
 * so the tree over the entry digests is built by core/merkle.h exactly like
 * an issuance batch over credential hashes. Removing, reordering or
 * re-dating an entry, or editing its reason or note, changes the root of
 * every prefix that contains it — which is what an anchored checkpoint pins.
 *
 * The notary writes the log with its anchored checkpoints (and the RFC 9162
 * §2.1.4 consistency proofs between consecutive ones) as one JSON file; the
 * verifier and the auditor read such a copy from anywhere and parse it here,
 * strictly (size, counts, closed objects, duplicate keys, exact hex), so both
 * sides share one definition of the entry encoding and of the file.
 *
 * Ownership: a struct revlog owns its arrays and every entry's note; zero-
 * initialise it, fill it with revlog_add_entry()/revlog_add_checkpoint() or
 * revlog_parse(), release it with revlog_free().
 */
#ifndef CORE_REVLOG_H
#define CORE_REVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bundle.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/merkle.h"

#define REVLOG_TYPE "CredentialNotaryRevocationLog"
#define REVLOG_VERSION 1
/* Largest log file accepted: 64 MiB (about 300,000 entries with notes). */
#define REVLOG_MAX_BYTES (64u * 1024 * 1024)
#define REVLOG_MAX_ENTRIES 1000000u
#define REVLOG_MAX_CHECKPOINTS 100000u
/* Longest note, in bytes of UTF-8. */
#define REVLOG_MAX_NOTE 200u
/* The encoding version byte that starts every entry encoding. */
#define REVLOG_ENTRY_ENCODING 0x01

/* Documented reason codes (docs/revocation-format.md §3). */
enum revlog_reason {
    REVLOG_UNSPECIFIED = 0,     /* "unspecified" */
    REVLOG_SUPERSEDED = 1,      /* "superseded": replaced by a corrected credential */
    REVLOG_ISSUED_IN_ERROR = 2, /* "issued-in-error" */
    REVLOG_FRAUD = 3,           /* "fraud": obtained by fraud or misconduct */
    REVLOG_HOLDER_REQUEST = 4,  /* "holder-request" */
    REVLOG_WITHDRAWN = 5,       /* "withdrawn": withdrawn by the institution */
};
#define REVLOG_REASON_MAX REVLOG_WITHDRAWN

/* "fraud" etc.; "invalid" for an unknown code. Never NULL. */
const char *revlog_reason_name(unsigned code);
/* A reason given by a person: a code ("3") or a name ("fraud"). E_INVALID
 * listing the valid codes and names otherwise. */
err_code revlog_reason_parse(const char *s, enum revlog_reason *out, struct err *e) MUST_CHECK;

struct revlog_entry {
    struct hash32 credential; /* the revoked credential's hash */
    uint8_t reason;           /* enum revlog_reason */
    int64_t time;             /* when the issuer revoked it (Unix seconds, its own clock) */
    char *note;               /* NULL = none; else NUL-terminated UTF-8, owned by the log */
};

/* One anchored checkpoint as the log file lists it. */
struct revlog_checkpoint {
    uint64_t seq;          /* the issuer's checkpoint sequence number (kind 1 on the registry) */
    uint64_t size;         /* log entries covered, ≥ 1 */
    struct hash32 root;    /* RFC 9162 root of the first `size` entries */
    struct hash32 tx_hash; /* where it was anchored */
    uint64_t block_number;
    struct hash32 block_hash;
    uint64_t block_time;
    /* RFC 9162 §2.1.4 consistency proof from the previous listed checkpoint
     * to this one: proofs[proof_off .. proof_off+proof_len-1] of the log.
     * Empty for the first listed checkpoint. */
    size_t proof_off, proof_len;
};

struct revlog {
    struct addr20 issuer;
    enum bundle_ledger ledger; /* "evm" | "ebsi" */
    uint64_t chain_id;
    struct addr20 contract;
    int64_t exported_at;
    struct revlog_entry *entries;
    uint64_t n_entries;
    struct revlog_checkpoint *checkpoints;
    size_t n_checkpoints;
    struct hash32 *proofs; /* pool of every checkpoint's consistency proof */
    size_t n_proofs;
    size_t cap_entries_, cap_checkpoints_, cap_proofs_; /* internal */
};

void revlog_free(struct revlog *l);

/* The canonical encoding of an entry (the layout at the top) into `out`,
 * which must hold REVLOG_ENTRY_MAX_BYTES; *len its length. E_INVALID for a
 * reason above REVLOG_REASON_MAX, a negative time or a note over
 * REVLOG_MAX_NOTE bytes. */
#define REVLOG_ENTRY_MAX_BYTES (1 + 32 + 1 + 8 + 2 + REVLOG_MAX_NOTE)
err_code revlog_entry_encode(const struct revlog_entry *en, uint8_t *out, size_t *len,
                             struct err *e) MUST_CHECK;
/* SHA-256 of the encoding: the 32-byte "entry" the RFC 9162 leaf is made of. */
err_code revlog_entry_digest(const struct revlog_entry *en, struct hash32 *out,
                             struct err *e) MUST_CHECK;

/* Append a copy of `en` (its note is copied). E_INVALID as for
 * revlog_entry_encode or a note that is not printable UTF-8 (no control
 * characters); E_LIMIT beyond REVLOG_MAX_ENTRIES. */
err_code revlog_add_entry(struct revlog *l, const struct revlog_entry *en,
                          struct err *e) MUST_CHECK;
/* Append checkpoint `cp` (its proof_off/proof_len are ignored) with its
 * consistency proof from the previously added checkpoint. E_LIMIT beyond
 * REVLOG_MAX_CHECKPOINTS or MERKLE_MAX_PATH proof hashes. */
err_code revlog_add_checkpoint(struct revlog *l, const struct revlog_checkpoint *cp,
                               const struct hash32 *proof, size_t proof_len,
                               struct err *e) MUST_CHECK;

/* The RFC 9162 tree over the digests of entries[0..n-1] (n ≥ 1, n ≤
 * l->n_entries); the caller frees it with merkle_tree_free(). */
err_code revlog_tree(const struct revlog *l, uint64_t n, struct merkle_tree **out,
                     struct err *e) MUST_CHECK;
/* Root of the first `n` entries (n == 0: the empty-tree root). */
err_code revlog_root(const struct revlog *l, uint64_t n, struct hash32 *out,
                     struct err *e) MUST_CHECK;

/* The first entry for `credential`, or -1 if none (linear scan). */
int64_t revlog_find(const struct revlog *l, const struct hash32 *credential);

/*
 * Parse a log file (`len` bytes, need not be NUL-terminated) into *out
 * (zero-initialised here; revlog_free() it on success). `name` starts every
 * error message. Strict: at most REVLOG_MAX_BYTES, strict JSON (duplicate
 * keys, depth 64), type/version first (E_UNSUPPORTED for another version),
 * closed objects, integers 0..2^53, exact lowercase hex of the right length,
 * reasons 0..5, notes ≤ 200 bytes without control characters, at most
 * REVLOG_MAX_ENTRIES entries and REVLOG_MAX_CHECKPOINTS checkpoints whose seq
 * strictly increases, consistency proofs ≤ 64 hashes and empty for the first
 * checkpoint. Whether the entries match the checkpoints is NOT decided here —
 * that is what verifiers and auditors check, and report by name.
 */
err_code revlog_parse(const char *text, size_t len, const char *name, struct revlog *out,
                      struct err *e) MUST_CHECK;

/* Append the log as JSON (the documented member order, 2-space indent,
 * final newline). Refuses (E_INVALID) what revlog_parse would reject. */
err_code revlog_write(const struct revlog *l, struct buf *out, struct err *e) MUST_CHECK;

#endif
