/*
 * notary/issuance/proof.h — proof bundles from the store.
 *
 * A bundle is derived on demand: one credential's audit path from its
 * subtree's leaves and the batch's stored subtree roots
 * (notary/issuance/levels.h); a whole batch's from one tree pass. The anchor
 * section comes from the store's ledger settings and the batch's anchoring
 * record; a bundle of a closed but not yet anchored batch is *pending*
 * (no "anchor"), which every verifier rejects as not yet valid.
 */
#ifndef NOTARY_PROOF_H
#define NOTARY_PROOF_H

#include <stdio.h>

#include "core/bundle.h"
#include "notary/store/store.h"

/* The ledger settings a bundle's anchor section needs (from the store's meta). */
struct proof_ledger {
    enum bundle_ledger ledger;
    uint64_t chain_id;
    struct addr20 contract;
    struct addr20 issuer;
};

/* Read the ledger settings from the store (E_NOT_FOUND naming the missing one). */
err_code proof_ledger_load(struct store *s, struct proof_ledger *out, struct err *e) MUST_CHECK;

/* The bundle for one credential hash. E_NOT_FOUND if never submitted;
 * E_STATE if its batch is still open ("submitted, waiting for batch N to
 * close"). A closed, unanchored batch gives a pending bundle (anchored =
 * false). */
err_code proof_for_credential(struct store *s, const struct hash32 *hash, struct bundle *out,
                              struct err *e) MUST_CHECK;

/* Write the bundles of every credential of issuance batch `seq` into `dir`
 * (created if missing) as <credential-hash>.json; *written counts them.
 * The tree is built once. `progress` may be NULL. */
err_code proof_export_batch(struct store *s, uint64_t seq, const char *dir, uint64_t *written,
                            void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                            struct err *e) MUST_CHECK;

/* The same bundles as proof_export_batch, one per line (JSON Lines: each
 * line one bundle, compact, in leaf order) on the open stream `f`, which
 * is flushed (not closed, not fsynced: the caller owns it). E_IO if a write
 * fails. */
err_code proof_export_jsonl(struct store *s, uint64_t seq, FILE *f, uint64_t *written,
                            void (*progress)(uint64_t done, uint64_t total, void *arg), void *arg,
                            struct err *e) MUST_CHECK;

#endif
