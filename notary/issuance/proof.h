/*
 * notary/issuance/proof.h — proof bundles from the store.
 *
 * A bundle is derived on demand: the batch's leaves are read back, the tree
 * rebuilt and the audit path taken from it (notary/issuance/batch.h). The anchor
 * section comes from the store's ledger settings and the batch's anchoring
 * record; a bundle of a closed but not yet anchored batch is *pending*
 * (no "anchor"), which every verifier rejects as not yet valid.
 */
#ifndef NOTARY_PROOF_H
#define NOTARY_PROOF_H

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

#endif
