/*
 * notary/issuance/batch.h — closing batches and deriving proofs.
 *
 * Closing freezes the open batch (later submissions go to the next one),
 * builds the RFC 9162 tree over its credential hashes in submission order
 * and stores the root together with the roots of its subtrees of 1,024
 * leaves (one durable write; notary/issuance/levels.h). Proofs are not
 * stored: one is derived from its subtree's leaves and those subtree roots
 * when a bundle is asked for, so the store holds 32 bytes per credential
 * plus 32 per 1,024.
 * A crash between freezing and storing the root is repaired by
 * batch_finish_pending(), which every command calls first; it also finishes
 * adding frozen batches to the store's hash index (store_index_frozen).
 */
#ifndef NOTARY_BATCH_H
#define NOTARY_BATCH_H

#include "core/merkle.h"
#include "notary/store/store.h"

typedef void (*batch_progress_fn)(const char *stage, uint64_t done, uint64_t total, void *arg);

/* Close the open issuance batch; *out is the closed batch with its root.
 * E_NOT_FOUND if there is nothing to close. */
err_code batch_close(struct store *s, struct store_batch *out, batch_progress_fn progress,
                     void *arg, struct err *e) MUST_CHECK;

/* Compute and store the root of every closed batch that lacks one, then
 * store_index_frozen. */
err_code batch_finish_pending(struct store *s, struct err *e) MUST_CHECK;

/* Build the tree of issuance batch `seq` from the store (caller frees with
 * merkle_tree_free); `reuse` as in merkle_tree_build. */
err_code batch_tree(struct store *s, uint64_t seq, struct merkle_tree *reuse,
                    struct merkle_tree **out, struct err *e) MUST_CHECK;

#endif
