/*
 * notary/anchoring/restore.h — after a store was restored from a backup:
 * which of the issuer's batches the ledger holds that the store does not
 * (anchored after the backup was taken), so that they are named to the
 * issuer and never anchored again, and the store's sequence numbers go on
 * from the registry's (README "Backup, restore, check, upgrade").
 */
#ifndef NOTARY_ANCHORING_RESTORE_H
#define NOTARY_ANCHORING_RESTORE_H

#include "anchor/evm.h"
#include "notary/store/store.h"

/* What anchoring_find_lost found and recorded for one kind. */
struct anchoring_lost {
    struct store_lost *lost; /* malloc'd (caller frees), in seq order; NULL when n == 0 */
    size_t n;
    uint64_t next_seq;  /* the registry's next seq for the issuer and kind */
    uint64_t moved_to;  /* the open batch's new seq (UINT64_MAX: not moved) */
};

/*
 * Ask the NotaryRegistry `contract` on `ledger` (connected, chain id
 * checked) for `issuer`'s next seq of `kind`; every seq from one past the
 * store's last batch with a root up to it was anchored after the backup:
 * each is read from the issuer's Anchored events (root, size, transaction,
 * block; the block's time from the registry's record) and recorded with
 * store_batches_lost, so the store's next batch gets the registry's next
 * seq and none of them is ever anchored again. Nothing to do: out->n == 0.
 * Errors: E_NETWORK (ledger unreachable), E_STATE (the registry counts an
 * anchor whose event is not on the ledger, or the store holds a batch at a
 * seq the ledger gave another root), the store's errors. On any error the
 * store is unchanged.
 */
err_code anchoring_find_lost(struct store *s, struct evm_ledger *ledger,
                             const struct addr20 *contract, const struct addr20 *issuer,
                             enum batch_kind kind, struct anchoring_lost *out,
                             struct err *e) MUST_CHECK;

#endif
