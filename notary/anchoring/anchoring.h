/*
 * notary/anchoring/anchoring.h — the anchoring state machine (docs/design.md "Anchoring
 * faults"): the public entry points of the driver
 * (anchoring.c: the batch loop, pending reasons, FAILED, settling a mined
 * transaction; finality.c: re-checks after reorgs). What differs per ledger
 * is a flow table (flow.h): anchoring_evm.c (the NotaryRegistry, signed and
 * sent here) and anchoring_ebsi.c (EBSI's Timestamp API).
 *
 * Per batch, in sequence order (the contract rejects gaps, so batch k+1 can
 * only be anchored after batch k):
 *
 *   CLOSED ──(sign; record raw tx + hash + nonce in the store)──▶ SENT
 *   SENT   ──(broadcast the stored bytes; receipt status 1 with our Anchored
 *             event in a block that is canonical at the configured depth)──▶
 *   ANCHORED
 *
 * Recovery is by looking, never by guessing: before signing, the contract is
 * asked whether this issuer already anchored the root (a transaction whose
 * record was lost is adopted, not repeated); a SENT batch whose transaction
 * the node does not know is rebroadcast with the same bytes ("already known"
 * is success); a timeout is "outcome unknown", so the transaction is looked
 * up by hash and never re-signed with a new nonce; "nonce too low" means some
 * transaction used the nonce — if it was ours the batch is anchored, else
 * the batch goes back to CLOSED and is signed again at the next free nonce;
 * a reverted transaction or missing funds stop with FAILED and a reason,
 * without burning a nonce; a receipt that disappears (reorg) sends the same
 * bytes again.
 *
 * Stuck or underpriced (fee networks): a transaction still pending K blocks
 * after it was (re)sent, or refused as "underpriced", is replaced at the
 * same nonce with the same call data and every fee raised ≥ 10% (geth's and
 * Besu's price bump) and to at least the network's current price, up to the
 * fee cap — at the cap the batch stays SENT with the reason noted. The
 * replacement is recorded before it is broadcast; all of the batch's
 * transactions at that nonce are watched, and whichever is mined is
 * adopted. Gas-free networks (legacy gasPrice 0) never replace.
 */

#ifndef NOTARY_ANCHORING_H
#define NOTARY_ANCHORING_H

#include <time.h>

#include "notary/anchoring/flow.h" /* struct anchoring_cfg, the defaults */
#include "notary/store/store.h"

struct anchoring_report {
    unsigned anchored;    /* batches that reached ANCHORED in this run */
    unsigned pending;     /* batches still waiting after it (CLOSED or SENT in the store) */
    unsigned failed;      /* batches in FAILED after it */
    unsigned moved;       /* anchored batches whose transaction a reorg moved to another
                           * block: adopted with the new block */
    unsigned reopened;    /* anchored batches a reorg took back to SENT (re-sent or
                           * re-signed by the run; counted again as anchored or pending) */
};

/*
 * Anchor every closed batch of `kind`, oldest first, through the store's
 * ledger flow ("ebsi" if its meta `ledger` says so, else "evm"), waiting
 * for each to be confirmed (up to the timeout). Returns E_OK when nothing is left to do;
 * E_NETWORK when the ledger is unreachable or its answers unusable (garbled,
 * failing our checks): batches keep their state and the reason is noted;
 * run again later; E_STATE when a batch FAILED (see `status`);
 * E_LIMIT / E_PROTOCOL as the ledger answered. The report counts outcomes.
 */
err_code anchoring_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                       struct anchoring_report *rep, struct err *e) MUST_CHECK;

/*
 * anchoring_run() with the "ebsi" flow whatever the store says
 * (anchoring_ebsi.h): cfg->ledger is the connected ledger (read) API,
 * cfg->contract the Timestamp contract. In addition E_STATE with a message
 * about the token when the Timestamp API refuses it, and E_VERIFY when it
 * offers a transaction we will not sign — in both cases the batch is
 * counted as pending.
 */
err_code anchoring_ebsi_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                            struct anchoring_report *rep, struct err *e) MUST_CHECK;

/*
 * Re-check the ANCHORED batches of `kind` that are less than
 * cfg->final_depth blocks deep (notary/anchoring/finality.c; anchoring_run and
 * anchoring_ebsi_run call it first, a failure there only warned about, `notary status --check` alone; the
 * caller holds the writer lock). cfg->signer may be NULL: nothing is
 * signed or sent here. `issuer` is the issuer's address. Adds to
 * rep->moved and rep->reopened. E_NETWORK / E_PROTOCOL when the ledger
 * could not be asked (nothing changed for the batch being looked at).
 */
err_code anchoring_recheck(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                           const struct addr20 *issuer, struct anchoring_report *rep,
                           struct err *e) MUST_CHECK;

/* Is any ANCHORED batch (either kind) less than `final_depth` (0 = 64)
 * blocks deep on `l`? For `serve`'s scheduler, to keep re-checking. */
err_code anchoring_unsettled(struct store *s, struct evm_ledger *l, uint64_t final_depth,
                             bool *any, struct err *e) MUST_CHECK;

/* Move every FAILED batch of `kind` back to CLOSED (`notary anchor
 * --retry-failed`), keeping the old reason in the note; *n counts them.
 * The next run looks on the ledger first (an anchor that exists is
 * adopted), so a retry never anchors a batch twice. */
err_code anchoring_retry_failed(struct store *s, enum batch_kind kind, unsigned *n,
                                struct err *e) MUST_CHECK;

/* Does receipt `rc` carry the flow's event (evm: Anchored; ebsi:
 * TimestampedHashes, whose sender is the receipt's transaction's) by `issuer` for
 * exactly batch `b` at cfg->contract?
 * false with the reason in *e (E_STATE) if not. */
bool anchoring_receipt_ok(const struct anchoring_cfg *cfg, bool ebsi, const struct addr20 *issuer,
                          const struct store_batch *b, const struct rpc_receipt *rc,
                          struct err *e);

/* Is this notary's ledger flow "ebsi" (store meta `ledger`)? */
bool anchoring_is_ebsi(struct store *s);

/* Add the batches of `kind` that wait (CLOSED, SENT) to rep->pending and
 * the FAILED ones to rep->failed: a run's summary is the store's states
 * after it, whatever stopped it. */
void anchoring_count_waiting(struct store *s, enum batch_kind kind, struct anchoring_report *rep);

#endif
