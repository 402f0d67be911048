/*
 * notary/anchoring/ledger_root.h — which root the ledger holds for one of our
 * anchored batches or checkpoints, for `notary check` (notary/issuance/scrub.h
 * takes anchoring_root_of as its struct scrub_ledger callback). Read-only:
 * no key, nothing is signed or sent.
 *
 * Evidence, in this order:
 *   1. the receipt of the batch's stored transaction (eth_getTransactionReceipt):
 *      the flow's event from the contract by the issuer for this (kind, seq)
 *      — evm: Anchored(issuer, root, size, seq, kind); ebsi:
 *      TimestampedHashes([sha256(root)], [alg], [root], [data {kind, seq, size}])
 *      — names the root (the event names no sender: the transaction is ours);
 *      without a receipt (no transaction stored, or the node does not know
 *      it) the stored root is the candidate;
 *   2. the contract's record of that root (evm: anchoredAt(issuer, root);
 *      ebsi: getTimestamp(root)) must exist, be the issuer's and say the same
 *      kind and seq. Both agree: found, with that root. Else: not found.
 */
#ifndef NOTARY_LEDGER_ROOT_H
#define NOTARY_LEDGER_ROOT_H

#include <stdbool.h>

#include "anchor/evm.h"
#include "notary/store/store.h"

struct anchoring_root_ctx {
    struct evm_ledger *ledger; /* connected, chain id checked (borrowed) */
    struct addr20 contract;    /* NotaryRegistry (evm) / Timestamp contract (ebsi) */
    struct addr20 issuer;
    bool ebsi;
    bool registry2; /* evm on NotaryRegistry2: `issuer` is the identity */
};

/* The root the ledger holds for batch `b` (evidence above): *found and
 * *root, or not found. E_NETWORK when the ledger is unreachable, E_PROTOCOL
 * when its answers are not what the contract gives; nothing is changed.
 * `arg` is a struct anchoring_root_ctx (the shape of struct scrub_ledger). */
err_code anchoring_root_of(void *arg, const struct store_batch *b, bool *found,
                           struct hash32 *root, struct err *e) MUST_CHECK;

#endif
