/*
 * notary/issuance/levels.h — one audit path without rebuilding the tree.
 *
 * At close the batch's tree is built once; the roots of its subtrees of
 * 2^LEVELS_SHIFT leaves (struct store_subroots) are stored with its root, in
 * the same write (store_batch_set_root). Every such subtree is a node of the
 * RFC 9162 tree (the tree splits at powers of two), so the audit path of leaf
 * i is the path of i inside its subtree — built from that subtree's leaves
 * alone (store_batch_leaves_range) — followed by the path of the subtree
 * among the stored roots (at most ceil(n / 2^LEVELS_SHIFT) hashes, combined
 * as RFC 9162 combines leaf hashes). For 1M leaves: 1,024 leaves read and
 * about 2,000 hashes instead of 2M. A batch closed before the subroots were
 * stored gets them computed once from its leaves and stored (levels_load).
 */
#ifndef NOTARY_LEVELS_H
#define NOTARY_LEVELS_H

#include "core/merkle.h"
#include "notary/store/store.h"

/* Leaves per stored subtree: 2^10. */
#define LEVELS_SHIFT 10

/* The subroots of a built tree (out->roots malloc'd, caller frees).
 * E_NOMEM. */
err_code levels_from_tree(const struct merkle_tree *t, struct store_subroots *out,
                          struct err *e) MUST_CHECK;

/* The subroots of closed batch `b` (with its root): read from the store, or,
 * for a batch closed before migration 6, computed from its leaves (checked
 * against its root: E_STATE if they do not give it) and stored for the next
 * time. out->roots malloc'd, caller frees. */
err_code levels_load(struct store *s, const struct store_batch *b, struct store_subroots *out,
                     struct err *e) MUST_CHECK;

/* The audit path of leaf `index` (< b->size) of closed batch `b` from its
 * subroots `sub`: path[0..*path_len-1], leaf to root; `path` holds
 * MERKLE_MAX_PATH hashes. The path is checked to lead from the stored leaf
 * to b->root (E_STATE "store is inconsistent" otherwise). If `leaf` is not
 * NULL it gets the credential hash stored at `index`, and *how (unless
 * NULL) its hashing byte. */
err_code levels_inclusion_proof(struct store *s, const struct store_batch *b,
                                const struct store_subroots *sub, uint64_t index,
                                struct hash32 *path, size_t *path_len, struct hash32 *leaf,
                                uint8_t *how, struct err *e) MUST_CHECK;

#endif
