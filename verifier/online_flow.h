/*
 * verifier/online_flow.h — the seam between the driver of a bundle's ledger
 * checks (verifier/online.c) and each ledger flow's own questions
 * (verifier/online_evm.c: the NotaryRegistry; verifier/online_ebsi.c:
 * EBSI's Timestamp contract).
 *
 * The driver owns the sequence of checks and everything both flows ask the
 * same way: issuer trust, the endpoint and its chain id, fetching the
 * transaction and its receipt (missing, pending, reorganised away), the
 * loop over the receipt's logs, the canonical block and its
 * confirmations. A flow answers only what differs: is the contract the
 * right one, is the transaction's input this batch, is one log the batch's
 * event, does the contract's own record confirm it — and words the detail.
 *
 * A flow never adds checks itself and never calls into the driver: each
 * function returns a verdict (outcome + one-line detail) the driver
 * records under the check's stable name. Ledger errors (unreachable,
 * malformed answers) are returned as err_code; the driver reports them as
 * an UNKNOWN "ledger" check, never as VALID or INVALID.
 */
#ifndef VERIFIER_ONLINE_FLOW_H
#define VERIFIER_ONLINE_FLOW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "anchor/rpc.h"
#include "core/bundle.h"
#include "core/error.h"
#include "verifier/verify.h"

/* The outcome and detail of one named check, as a flow decides it. */
struct online_verdict {
    enum verify_outcome outcome;            /* PASS, FAIL or SKIPPED */
    char detail[sizeof((struct verify_check *)0)->detail];
};

/* What the verifier pinned about the contract (--contract, --timestamp-code). */
struct online_pins {
    const struct addr20 *contracts; /* n_contracts 0 = none pinned */
    size_t n_contracts;
    bool require_timestamp_code;    /* ebsi: must run the committed Timestamp code */
};

/* What the flow learned along the checks, handed from one hook to the
 * next (zeroed by the driver before ledger.contract). */
struct online_tx_facts {
    uint64_t alg;      /* ebsi: the hash algorithm id the input named */
    unsigned registry; /* evm: set by contract(): 1 NotaryRegistry, 2 NotaryRegistry2 */
    /* Set by contract(): the transaction may be sent by an anchoring key of
     * the issuer rather than the issuer itself (NotaryRegistry2); the driver
     * then puts the sender in `key`, and the event, record and key checks
     * bind it. false: the sender must be anchor.issuer. */
    bool sent_by_key;
    struct addr20 key; /* the transaction's sender, when sent_by_key */
};

struct online_flow {
    /* "anchored by" / "timestamped by": the issuer check's verb. */
    const char *verb;
    /* Ends the PASS detail of "ledger.transaction" after "TXHASH succeeded,
     * sent by the issuer to ". */
    const char *tx_to;

    /* ledger.contract for b->anchor.contract under `pins`. v->outcome FAIL
     * stops the checks; SKIPPED (nothing pinned where the flow allows it)
     * goes on without counting as a pass. Errors: the ledger's. */
    err_code (*contract)(struct rpc_client *rpc, const struct bundle *b,
                         const struct online_pins *pins, struct online_tx_facts *facts,
                         struct online_verdict *v, struct err *e);

    /* The flow's part of "ledger.transaction": is the input of `tx` exactly
     * this batch? NULL: the flow does not bind the input (the event and
     * record checks do). On false, *why_tail ends the FAIL detail after
     * "TXHASH". Fills *facts for event_matches. */
    bool (*tx_input)(const struct bundle *b, const struct rpc_tx *tx,
                     struct online_tx_facts *facts, const char **why_tail);

    /* "ledger.event": is `log` (already known to come from
     * b->anchor.contract, in the receipt of block `rcpt_block`) this
     * batch's event from the issuer? Malformed logs are simply not it. */
    bool (*event_matches)(const struct bundle *b, const struct rpc_log *log, uint64_t rcpt_block,
                          const struct online_tx_facts *facts);
    /* The "ledger.event" detail for the outcome `ok`. */
    void (*event_detail)(const struct bundle *b, bool ok, struct online_verdict *v);

    /* "ledger.record": the contract's own record of b->batch.root names
     * the issuer, block `rcpt_block`, this size and seq. v->outcome FAIL
     * stops the checks. When the record carries a time the block's time
     * must equal, the flow sets *has_time and *time (on entry false and 0).
     * Errors: the ledger's. */
    err_code (*record)(struct rpc_client *rpc, const struct bundle *b, uint64_t rcpt_block,
                       const struct online_tx_facts *facts, struct online_verdict *v,
                       bool *has_time, uint64_t *time, struct err *e);

    /* Optional (NULL: no such check). "issuer.key": does the key that sent
     * the anchor (facts->key) count for the issuer at block `rcpt_block`
     * by the ledger's key history? *applies false: no check for this
     * contract (NotaryRegistry). v->outcome FAIL stops the checks. Errors:
     * the ledger's. */
    err_code (*key)(struct rpc_client *rpc, const struct bundle *b, uint64_t rcpt_block,
                    const struct online_tx_facts *facts, bool *applies, struct online_verdict *v,
                    struct err *e);
};

/* The flows, one per file (verifier/online_evm.c, verifier/online_ebsi.c). */
extern const struct online_flow online_flow_evm;
extern const struct online_flow online_flow_ebsi;

/* Fill v with `outcome` and a printf-style detail (truncated to fit). */
__attribute__((format(printf, 3, 4))) static inline void
online_verdict_set(struct online_verdict *v, enum verify_outcome outcome, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    v->outcome = outcome;
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
}

/* Read the contract's own record of b->batch.root at `block` (an RPC block
 * parameter; NULL = "latest") into the flow's `rec`; *found false: the
 * contract has none there (anchoredAt is empty, getTimestamp reverts
 * "timestamp unknown"). Errors: the ledger's. */
typedef err_code (*online_record_reader)(struct rpc_client *rpc, const struct bundle *b,
                                         const char *block, void *rec, bool *found,
                                         struct err *e);

/*
 * The record check's one rule for "no record" (both flows; docs/
 * proof-format.md §5 item 6): it runs after the issuer's receipt, with its
 * event, was found in block `rcpt_block`, so a head that has no record is
 * not an answer yet — a load-balanced endpoint whose node is behind the
 * one that gave the receipt, or a reorg, says the same. The record is read
 * at the head; when there is none, it is read again at `rcpt_block`.
 *   *found true: the head's record is in `rec` (the flow judges it).
 *   *found false, E_OK: none at the head and none at the receipt's block:
 *     the contract has no record of the root (the flow's INVALID).
 *   Errors (UNKNOWN, never INVALID): the ledger's at the head; at
 *     `rcpt_block` the node's own error (no state for that block), wrapped
 *     with "`none` at the head, and at the transaction's block N"; a record
 *     at `rcpt_block` but none at the head: E_NETWORK ("the node is behind
 *     or reorganising").
 * `none` words the empty answer ("anchoredAt(issuer, root) is empty").
 */
static inline err_code online_record_read(struct rpc_client *rpc, const struct bundle *b,
                                          uint64_t rcpt_block, online_record_reader read,
                                          void *rec, const char *none, bool *found,
                                          struct err *e)
{
    err_code rc = read(rpc, b, NULL, rec, found, e);
    if (rc || *found)
        return rc;
    char q[RPC_QTY_BUF];
    bool there = false;
    if ((rc = read(rpc, b, rpc_format_quantity(rcpt_block, q), rec, &there, e)))
        return err_wrap(e, rc, "%s at the head, and at the transaction's block %llu", none,
                        (unsigned long long)rcpt_block);
    if (there)
        return err_set(e, E_NETWORK,
                       "%s at the head but has the root at the transaction's block %llu: the "
                       "node is behind or reorganising",
                       none, (unsigned long long)rcpt_block);
    return E_OK;
}

#endif
