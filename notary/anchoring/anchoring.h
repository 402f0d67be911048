/*
 * notary/anchoring/anchoring.h — the anchoring state machine (DESIGN.md "Anchoring must
 * survive the real world").
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

/* Blocks a transaction may stay pending before it is replaced (default). */
#define ANCHORING_REPLACE_AFTER_BLOCKS 3
/* Blocks deep at which an anchored batch is final and no longer re-checked
 * for reorgs (default). */
#define ANCHORING_FINAL_DEPTH 64
#ifndef NOTARY_ANCHORING_H
#define NOTARY_ANCHORING_H

#include <stdarg.h>
#include <time.h>

#include "anchor/evm.h"
#include "anchor/signer.h"
#include "notary/store/store.h"

struct anchoring_cfg {
    struct evm_ledger *ledger;     /* connected, chain id checked */
    const struct signer *signer;   /* the issuer's key */
    struct addr20 contract;        /* the NotaryRegistry */
    uint64_t confirmations;        /* ≥ 1: blocks including the anchoring one */
    unsigned poll_ms;              /* between ledger polls (0 = 1000) */
    unsigned timeout_s;            /* give up waiting after this (0 = 300); the batch stays SENT */
    struct evm_fee_policy fees;     /* the cap also bounds fee replacements */
    uint64_t replace_after_blocks; /* replace a transaction pending this many blocks (0 = 3) */
    uint64_t final_depth;          /* re-check anchored batches until this deep (0 = 64) */
    /* Progress lines for a person ("batch 3: sent 0x…, waiting for 2 confirmations"). */
    void (*log)(void *arg, const char *fmt, va_list ap);
    void *log_arg;
};

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
 * Anchor every closed batch of `kind`, oldest first, waiting for each to be
 * confirmed (up to the timeout). Returns E_OK when nothing is left to do;
 * E_NETWORK when the ledger is unreachable or its answers unusable (garbled,
 * failing our checks): batches keep their state and the reason is noted;
 * run again later; E_STATE when a batch FAILED (see `status`);
 * E_LIMIT / E_PROTOCOL as the ledger answered. The report counts outcomes.
 */
err_code anchoring_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                       struct anchoring_report *rep, struct err *e) MUST_CHECK;

/*
 * Re-check the ANCHORED batches of `kind` that are less than
 * cfg->final_depth blocks deep (notary/anchoring/finality.c; anchoring_run and
 * anchoring_ebsi_run call it first, `notary status --check` alone; the
 * caller holds the writer lock). cfg->signer may be NULL: nothing is
 * signed or sent here. `issuer` is the issuer's address. Adds to
 * rep->moved and rep->reopened. E_NETWORK / E_PROTOCOL when the ledger
 * could not be asked (nothing changed for the batch being looked at).
 */
err_code anchoring_recheck(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                           const struct addr20 *issuer, struct anchoring_report *rep,
                           struct err *e) MUST_CHECK;

/* anchoring_recheck for the anchoring runs: a failure is logged as a
 * warning and returned (an unusable ledger answer as E_NETWORK) for the
 * run to report after it has looked at its waiting batches — the re-check
 * never keeps a closed batch from being anchored. */
err_code anchoring_recheck_soft(struct store *s, const struct anchoring_cfg *cfg,
                                enum batch_kind kind, const struct addr20 *issuer,
                                struct anchoring_report *rep, struct err *e) MUST_CHECK;

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
 * HashTimestamped) by `issuer` for exactly batch `b` at cfg->contract?
 * false with the reason in *e (E_STATE) if not. */
bool anchoring_receipt_ok(const struct anchoring_cfg *cfg, bool ebsi, const struct addr20 *issuer,
                          const struct store_batch *b, const struct rpc_receipt *rc,
                          struct err *e);

/* Is this notary's ledger flow "ebsi" (store meta `ledger`)? */
bool anchoring_is_ebsi(struct store *s);

/* ---- shared by the ledger flows (anchoring.c: evm, anchoring_ebsi.c) ---- */

/* Add the batches of `kind` that wait (CLOSED, SENT) to rep->pending and
 * the FAILED ones to rep->failed: a run's summary is the store's states
 * after it, whatever stopped it. */
void anchoring_count_waiting(struct store *s, enum batch_kind kind, struct anchoring_report *rep);

/* A progress line through cfg->log (nothing if it is NULL). */
void anchoring_say(const struct anchoring_cfg *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Crash-consistency test hook: NOTARY_FAULT=after-record (signed and stored,
 * not broadcast) or after-send (broadcast, result not yet recorded) kills the
 * process at that point, as a power cut would. */
void anchoring_fault_point(const char *name);

/* "batch" or "checkpoint", for messages. */
const char *anchoring_kind_name(enum batch_kind k);

/* Record why a batch is waiting (best effort: a store error is only logged). */
void anchoring_note(struct store *s, const struct anchoring_cfg *cfg, const struct store_batch *b,
                    const char *why);

/* Move a batch to FAILED with `why` (best effort, as anchoring_note). */
void anchoring_set_failed(struct store *s, const struct anchoring_cfg *cfg,
                          const struct store_batch *b, const char *why);

/* A transaction of batch `b` is mined with our event in a canonical block:
 * with the configured confirmations the batch becomes ANCHORED (*done =
 * true, logged as "<verb> in block N"); with fewer the reason is recorded
 * and *done stays false. */
err_code anchoring_settle_mined(struct store *s, const struct anchoring_cfg *cfg,
                                const struct store_batch *b, const struct evm_tx_state *st,
                                const char *verb, bool *done, struct err *e) MUST_CHECK;

/* One batch through a ledger flow: CLOSED → sign (record, send) → SENT →
 * follow, until follow says done (E_OK, *done) or `deadline` passes (E_OK,
 * still pending), pausing cfg->poll_ms between looks. A sign that returns
 * E_OK but leaves the batch CLOSED has chosen to wait (the reason noted):
 * E_OK, still pending, at once. A batch that follow
 * sends back to CLOSED is signed again at once, at most three times in a
 * row, so no ledger behaviour can make the loop spin past its deadline.
 * `signed_as` names the step in the log ("recorded", "signed"). */
struct anchoring_flow {
    err_code (*sign)(void *ctx, struct store_batch *b, struct err *e);
    err_code (*follow)(void *ctx, struct store_batch *b, bool *done, struct err *e);
    const char *signed_as;
};
err_code anchoring_drive(const struct anchoring_cfg *cfg, const struct anchoring_flow *flow,
                         void *ctx, time_t deadline, struct store_batch *b, bool *done,
                         struct err *e) MUST_CHECK;

#endif
