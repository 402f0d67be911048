/*
 * core/merkle.h — RFC 9162 (Certificate Transparency v2) Merkle trees.
 *
 * Hashing (RFC 9162 §2.1.1): leaf = SHA-256(0x00 || entry), node =
 * SHA-256(0x01 || left || right). An entry here is always a 32-byte
 * credential hash. Unbalanced trees split at the largest power of two
 * smaller than n; an odd node is never duplicated.
 *
 * A built tree keeps every level in one flat array of hashes (about 2n
 * hashes, 64 MB for a million leaves): level 0 holds the leaf hashes, level
 * h+1 holds the parents of level h, and an odd last node is carried up to the
 * next level unchanged. That layout gives the RFC 9162 root (it is the same
 * tree) and serves audit paths and consistency proofs for the full size or
 * any smaller size from lookups.
 *
 * Ownership: a `struct merkle_tree` is created by merkle_tree_build() and
 * freed by merkle_tree_free(); proofs are written into caller buffers of
 * MERKLE_MAX_PATH hashes.
 */
#ifndef CORE_MERKLE_H
#define CORE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

/* No audit path or consistency proof in a tree of < 2^63 leaves is longer. */
#define MERKLE_MAX_PATH 64
/* Largest tree we build (2^32 leaves: the flat array would be 256 GiB). */
#define MERKLE_MAX_LEAVES ((uint64_t)1 << 32)

/* RFC 9162 leaf hash of a 32-byte entry: SHA-256(0x00 || entry). */
void merkle_leaf_hash(const struct hash32 *entry, struct hash32 *out);
/* RFC 9162 interior node: SHA-256(0x01 || left || right). */
void merkle_node_hash(const struct hash32 *left, const struct hash32 *right, struct hash32 *out);

/* The root of the empty tree: SHA-256 of the empty string. */
void merkle_empty_root(struct hash32 *out);

struct merkle_tree;

/*
 * Build the tree over `n` entries (credential hashes, in order; n ≥ 1).
 * In:  entries[0..n-1]. Out: *out, a new tree the caller frees.
 * `reuse` may be a tree from an earlier build whose memory is recycled (it is
 * consumed: do not use or free it afterwards; NULL for none) — closing batch
 * after batch then costs no fresh page faults.
 * A tree of MERKLE_PARALLEL_MIN leaves or more is built on
 * merkle_default_threads() threads (see merkle_tree_build_threads).
 * Errors: E_INVALID (n == 0), E_LIMIT (n > MERKLE_MAX_LEAVES), E_NOMEM.
 */
err_code merkle_tree_build(const struct hash32 *entries, uint64_t n, struct merkle_tree *reuse,
                           struct merkle_tree **out, struct err *e) MUST_CHECK;

/* Below this many leaves a build stays on the calling thread (starting a
 * thread costs more than hashing the other half). */
#define MERKLE_PARALLEL_MIN ((uint64_t)1 << 16)
/* Most threads one build uses. */
#define MERKLE_MAX_THREADS 8u

/*
 * merkle_tree_build on exactly `threads` threads (0 or 1: the calling thread
 * only; capped at MERKLE_MAX_THREADS and at the number of subtrees). The
 * leaves are cut into whole power-of-two subtrees (2^k leaves, ~8 per thread,
 * the last one possibly partial); each thread hashes a contiguous run of them
 * into the shared level arrays, then the caller builds the levels above.
 * Same tree, same root and proofs for every thread count (RFC 9162 splits at
 * powers of two too). A thread that cannot be started is replaced by the
 * calling thread. In/out/errors/ownership as merkle_tree_build.
 */
err_code merkle_tree_build_threads(const struct hash32 *entries, uint64_t n, unsigned threads,
                                   struct merkle_tree *reuse, struct merkle_tree **out,
                                   struct err *e) MUST_CHECK;

/* Threads a large build uses: the online CPUs, at most MERKLE_MAX_THREADS
 * (2 if the count is unknown). */
unsigned merkle_default_threads(void);

/* Frees the tree. Its node memory, if 2 MiB or more, is kept for the next
 * build in this process (one buffer at most, the largest), so a later build
 * does not pay first-touch page faults again. */
void merkle_tree_free(struct merkle_tree *t);

/* Whether builds use the SHA-NI path (core/sha256_x2.c: two messages per
 * compression call) — on by default where the CPU has SHA-NI. `on` false
 * forces OpenSSL's SHA256_Transform, one message at a time (tests compare
 * the two; a benchmark shows the difference). Returns the path now in use.
 * Call it only while no build runs. */
bool merkle_use_sha_ni(bool on);

/* Frees the node buffer merkle_tree_free kept, if any (a long-lived process
 * that is done building trees gives the memory back; a benchmark measures a
 * cold build). Thread-safe. */
void merkle_drop_spare(void);

uint64_t merkle_tree_size(const struct merkle_tree *t);
/* Root of the whole tree. */
void merkle_tree_root(const struct merkle_tree *t, struct hash32 *out);
/* Leaf hash at `index` (< size). */
void merkle_tree_leaf(const struct merkle_tree *t, uint64_t index, struct hash32 *out);

/* The nodes of level `level` (0 = leaf hashes; a level above the root is
 * the root's): node j is MTH of leaves [j·2^level, min((j+1)·2^level, size)),
 * a node of the RFC 9162 tree, for j < the count returned, which is
 * ceil(size / 2^level). *nodes points into the tree (valid until it is freed). */
uint64_t merkle_tree_level(const struct merkle_tree *t, unsigned level,
                           const struct hash32 **nodes);

/* Root of the tree formed by the first `size` leaves (1 ≤ size ≤ tree size);
 * this is how the root of an earlier checkpoint of a log is recomputed. */
err_code merkle_tree_root_at(const struct merkle_tree *t, uint64_t size, struct hash32 *out,
                             struct err *e) MUST_CHECK;

/*
 * Audit path (RFC 9162 §2.1.3.1) for leaf `index` in the tree of the first
 * `size` leaves (index < size ≤ tree size), leaf-to-root order.
 * Out: path[0..*path_len-1]; `path` must hold MERKLE_MAX_PATH hashes.
 */
err_code merkle_tree_inclusion_proof(const struct merkle_tree *t, uint64_t index, uint64_t size,
                                     struct hash32 *path, size_t *path_len,
                                     struct err *e) MUST_CHECK;

/*
 * Consistency proof (RFC 9162 §2.1.4.1) between the tree of the first `size1`
 * leaves and that of the first `size2` (0 < size1 ≤ size2 ≤ tree size).
 * Empty when size1 == size2. `proof` must hold MERKLE_MAX_PATH hashes.
 */
err_code merkle_tree_consistency_proof(const struct merkle_tree *t, uint64_t size1, uint64_t size2,
                                       struct hash32 *proof, size_t *proof_len,
                                       struct err *e) MUST_CHECK;

/* The number of hashes an audit path for `index` in a tree of `size` must
 * have, or -1 if index ≥ size. Lets a parser reject a wrong-length path
 * with a precise message before verifying. */
int merkle_path_length(uint64_t index, uint64_t size);

/*
 * Recompute the root from a leaf hash and its audit path (RFC 9162
 * §2.1.3.2 steps 1–4). Fails (E_VERIFY) when index ≥ size or the path is
 * too short or too long for (index, size); otherwise *root is the root the
 * path commits to, which the caller must compare with a trusted root.
 */
err_code merkle_root_from_path(const struct hash32 *leaf_hash, uint64_t index, uint64_t size,
                               const struct hash32 *path, size_t path_len, struct hash32 *root,
                               struct err *e) MUST_CHECK;

/* Full RFC 9162 §2.1.3.2 inclusion verification against `root`.
 * E_OK if `leaf_hash` is the leaf at `index` of the tree of `size` with
 * that root; E_VERIFY with the failed check otherwise. */
err_code merkle_verify_inclusion(const struct hash32 *leaf_hash, uint64_t index, uint64_t size,
                                 const struct hash32 *path, size_t path_len,
                                 const struct hash32 *root, struct err *e) MUST_CHECK;

/* Full RFC 9162 §2.1.4.2 consistency verification: the tree of `size1` with
 * `root1` is a prefix of the tree of `size2` with `root2`. size1 == 0 is
 * rejected (nothing to prove); size1 == size2 requires an empty proof and
 * equal roots. E_VERIFY with the failed check otherwise. */
err_code merkle_verify_consistency(uint64_t size1, uint64_t size2, const struct hash32 *root1,
                                   const struct hash32 *root2, const struct hash32 *proof,
                                   size_t proof_len, struct err *e) MUST_CHECK;

/*
 * The same two verifiers over untrusted byte strings (hashes as decoded from
 * a file, of any length): every hash that enters a hash computation must be
 * exactly 32 bytes (E_VERIFY otherwise, naming it); when size1 == size2
 * the roots are compared as opaque strings, as RFC 9162 does.
 */
struct merkle_bytes { const uint8_t *p; size_t len; };
err_code merkle_verify_inclusion_bytes(struct merkle_bytes leaf_hash, uint64_t index,
                                       uint64_t size, const struct merkle_bytes *path,
                                       size_t path_len, struct merkle_bytes root,
                                       struct err *e) MUST_CHECK;
err_code merkle_verify_consistency_bytes(uint64_t size1, uint64_t size2, struct merkle_bytes root1,
                                         struct merkle_bytes root2,
                                         const struct merkle_bytes *proof, size_t proof_len,
                                         struct err *e) MUST_CHECK;

#endif
