/*
 * notary/anchoring/restore.h — after a store was restored from a backup:
 * which of the issuer's batches the ledger holds that were anchored after
 * the backup was taken. Those whose leaves the backup holds (a batch it had
 * closed and not yet anchored, or its open batch, closed since with no
 * other submission) are recovered: they take the ledger's transaction and
 * block. The others are recorded as lost and named to the issuer. None is
 * ever anchored again, and the store's sequence numbers go on from the
 * registry's (README "Backup, restore, check, upgrade").
 */
#ifndef NOTARY_ANCHORING_RESTORE_H
#define NOTARY_ANCHORING_RESTORE_H

#include "anchor/evm.h"
#include "notary/store/store.h"

/* What anchoring_find_lost found and recorded for one kind. Every array is
 * malloc'd (the caller frees it; NULL when its count is 0), in seq order;
 * an entry is what the ledger says of the batch (root, size, tx, block). */
struct anchoring_lost {
    struct store_lost *lost; /* leaves not in the store: BATCH_LOST now */
    size_t n;
    struct store_lost *recovered; /* leaves in the store: BATCH_ANCHORED now, as on the ledger */
    size_t nrec;
    uint64_t next_seq;  /* the registry's next seq for the issuer and kind */
    uint64_t moved_to;  /* the open batch's new seq (UINT64_MAX: not moved) */
    /* The open batch held all the leaves of lost batch `superset_of`, in
     * its order, and more (a history the ledger does not share): they all
     * move to moved_to and are anchored again there. UINT64_MAX: no. */
    uint64_t superset_of;
};

/* Free the arrays of `l` (not `l`). */
void anchoring_lost_free(struct anchoring_lost *l);

/*
 * Ask the NotaryRegistry `contract` on `ledger` (connected, chain id
 * checked) for `issuer`'s next seq of `kind`; every seq below it that the
 * store has no anchored batch for was anchored after the backup: each is
 * read from the issuer's Anchored events (root, size, transaction, block;
 * the block's time from the registry's record). Then, one by one:
 *  - a batch of the store CLOSED or SENT (with its root) at that seq: if
 *    the ledger's root and size are its own, it is recovered (the ledger's
 *    transaction recorded, ANCHORED in its block); else E_STATE;
 *  - the store's open issuance batch at that seq: recovered (closed: tree
 *    and root, then as above) if its leaves are exactly those of the
 *    ledger's batch — the RFC 9162 root of its leaves, as many as the
 *    ledger's batch size, is the ledger's root, and it holds no more;
 *    otherwise the ledger's batch is lost and the open batch moves past
 *    the lost ones (store_batches_lost), its leaves to be anchored again
 *    (when it held the ledger's batch and more, out->superset_of says so);
 *  - every other seq is lost (store_batches_lost).
 * So the store's next batch gets the registry's next seq, and no root is
 * anchored twice. Nothing to do: out->n == out->nrec == 0.
 * Errors: E_NETWORK (ledger unreachable: the store is unchanged), E_STATE
 * (the registry counts an anchor whose event is not on the ledger, or the
 * store holds at a seq a batch with another root than the ledger's), the
 * store's errors. After an error other than E_NETWORK the store may be
 * changed in part: `notary restore` works on a copy it then discards.
 */
err_code anchoring_find_lost(struct store *s, struct evm_ledger *ledger,
                             const struct addr20 *contract, const struct addr20 *issuer,
                             enum batch_kind kind, struct anchoring_lost *out,
                             struct err *e) MUST_CHECK;

#endif
