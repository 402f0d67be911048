/*
 * verifier/online.c — the driver of a bundle's ledger checks (online.h):
 * the sequence of checks and what both ledger flows ask alike (issuer
 * trust, the endpoint, the transaction and its receipt, reorgs, the block
 * and its confirmations). Each flow's own questions come from its table
 * (online_flow.h: online_evm.c, online_ebsi.c), which never calls back here.
 */
#include "verifier/online.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/eth.h"
#include "anchor/evm.h"
#include "verifier/online_flow.h"

static void drop_check(struct verify_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_checks; i++)
        if (strcmp(r->checks[i].name, name) == 0 && r->checks[i].outcome == VCHECK_SKIPPED) {
            memmove(&r->checks[i], &r->checks[i + 1], (r->n_checks - i - 1) * sizeof r->checks[0]);
            r->n_checks--;
            return;
        }
}

/* The ledger did not answer: UNKNOWN, with the reason. */
static void unreachable(struct verify_result *r, const struct err *e)
{
    verify_add_check(r, "ledger", VCHECK_UNKNOWN,
                     "could not consult the ledger (%s): the credential's status is unknown, not "
                     "invalid; try again or use another endpoint",
                     e->msg);
}

/* The checks both flows start with: issuer trust ("anchored by" /
 * "timestamped by" as `verb`), connecting to the verifier's endpoint, and
 * its chain id. True with *l connected (the caller evm_close()s it) when
 * the ledger checks go on; false when the result already says why not. */
static bool begin(const struct bundle *b, const struct verify_online_opts *opt,
                  const char *verb, struct verify_result *r, struct evm_ledger *l)
{
    const struct bundle_anchor *a = &b->anchor;
    struct err e = {0};
    /* issuer trust does not need the ledger (a DID's chain is checked
     * against the bundle's, which ledger.chainId then checks) */
    const struct did_web_opts dw0 = {.timeout_ms = opt->timeout_ms,
                                     .deadline_ms = opt->deadline_ms};
    verify_issuer_check(a, verb, opt->trusted, opt->claim, opt->did ? opt->did : &dw0, r);
    struct rpc_options ro = {.url = opt->rpc_url, .bearer_token = opt->bearer_token,
                             .timeout_ms = opt->timeout_ms, .max_attempts = opt->max_attempts,
                             .deadline_ms = opt->deadline_ms, .memo = opt->memo};
    err_code rc = evm_connect(&ro, 0, l, &e);
    if (rc) {
        if (rc == E_INVALID)
            verify_add_check(r, "ledger", VCHECK_UNKNOWN, "bad ledger URL: %s", e.msg);
        else
            unreachable(r, &e);
        return false;
    }
    if (l->chain_id != a->chain_id) {
        verify_add_check(r, "ledger.chainId", VCHECK_FAIL,
                         "the ledger is chain %llu but the bundle was anchored on chain %llu",
                         (unsigned long long)l->chain_id, (unsigned long long)a->chain_id);
        evm_close(l);
        return false;
    }
    verify_add_check(r, "ledger.chainId", VCHECK_PASS, "ledger is chain %llu, as the bundle says",
                     (unsigned long long)l->chain_id);
    return true;
}

/* A bundle whose block a reorg took away is stale, not forged (docs/
 * proof-format.md §5 items 4 and 7): is the bundle's own block
 * (anchor.blockNumber, anchor.blockHash) no longer the canonical block at
 * that height, and not a block the node knows at another height (an
 * altered number)? Returns the ledger's error when it could not be asked. */
static err_code block_is_stale(struct evm_ledger *l, const struct bundle *b, bool *stale,
                               struct err *e)
{
    *stale = false;
    bool canonical;
    uint64_t depth;
    err_code rc = evm_block_canonical(l, b->anchor.block_number, &b->anchor.block_hash,
                                      &canonical, &depth, NULL, e);
    if (rc || canonical)
        return rc;
    /* Not canonical at that height. A block the node still knows under that
     * hash at another height means the bundle's number was altered, not
     * reorganised away: not stale (the caller fails it). */
    struct rpc_block blk;
    rc = rpc_get_block_by_hash(l->rpc, &b->anchor.block_hash, &blk, e);
    /* ganache answers a hash it dropped in a reorg with another block (the
     * one now at that height), which the client refuses as a wrong result:
     * as "not known", that can only give UNKNOWN, never VALID. */
    if (rc == E_NOT_FOUND ||
        (rc == E_PROTOCOL && rpc_last_error(l->rpc)->failure == RPC_FAIL_RESULT)) {
        err_clear(e);
        *stale = true;
        return E_OK;
    }
    if (rc)
        return rc;
    *stale = blk.number == b->anchor.block_number;
    return E_OK;
}

/* The UNKNOWN "ledger.block" check saying the bundle is stale, naming its
 * block and `now` (where the transaction is now). */
static void stale_check(struct verify_result *r, const struct bundle *b, const char *now)
{
    char bh[67];
    hash32_to_hex0x(&b->anchor.block_hash, bh);
    verify_add_check(r, "ledger.block", VCHECK_UNKNOWN,
                     "the bundle's block %llu (%s) is no longer canonical: a reorg took it away "
                     "and %s. The bundle is stale, not forged: the issuer re-anchors such "
                     "batches; ask for a fresh bundle",
                     (unsigned long long)b->anchor.block_number, bh, now);
}

/* The last two checks: "ledger.block" (the receipt's block is canonical at
 * its height and matches the bundle's number, hash and time — and
 * `record_time`, the contract's own record, when not NULL) and
 * "ledger.confirmations" (depth ≥ opt->confirmations, else UNKNOWN). Sets
 * r->ledger_checked = all_ok when both pass. Returns the ledger's error
 * when it could not be asked. */
static err_code check_block(const struct bundle *b, const struct verify_online_opts *opt,
                            struct evm_ledger *l, uint64_t block, const struct hash32 *hash,
                            const uint64_t *record_time, bool all_ok, struct verify_result *r,
                            struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    bool canonical;
    uint64_t depth, btime = 0;
    err_code rc = evm_block_canonical(l, block, hash, &canonical, &depth, &btime, e);
    if (rc)
        return rc;
    char hx[67], bh[67];
    hash32_to_hex0x(hash, hx);
    hash32_to_hex0x(&a->block_hash, bh);
    if (!canonical) {
        verify_add_check(r, "ledger.block", VCHECK_UNKNOWN,
                         "block %s is no longer canonical at height %llu (reorg): wait and retry",
                         hx, (unsigned long long)block);
        return E_OK;
    }
    if (block != a->block_number || !hash32_eq(hash, &a->block_hash)) {
        /* The transaction is mined, but not where the bundle says. If the
         * bundle's block was reorganised away, the bundle is stale (docs/
         * proof-format.md §5 item 7): UNKNOWN. If it is still canonical,
         * the bundle names a block the transaction is not in: INVALID. */
        bool stale;
        if ((rc = block_is_stale(l, b, &stale, e)))
            return rc;
        if (stale) {
            char now[160];
            snprintf(now, sizeof now, "the transaction was mined again in block %llu (%.20s…)",
                     (unsigned long long)block, hx);
            stale_check(r, b, now);
        } else {
            verify_add_check(r, "ledger.block", VCHECK_FAIL,
                             "the bundle says block %llu (%s), but the transaction is in block "
                             "%llu (%s)",
                             (unsigned long long)a->block_number, bh, (unsigned long long)block,
                             hx);
        }
        return E_OK;
    }
    bool blk_ok = btime == a->block_time && (!record_time || *record_time == btime);
    verify_add_check(r, "ledger.block", blk_ok ? VCHECK_PASS : VCHECK_FAIL,
                     blk_ok ? "block %llu %s is canonical; block time %llu matches"
                            : "block %llu %s is canonical, but its time %llu is not the bundle's "
                              "(or the contract's record)",
                     (unsigned long long)block, hx, (unsigned long long)btime);
    if (!blk_ok)
        return E_OK;
    if (depth >= opt->confirmations) {
        verify_add_check(r, "ledger.confirmations", VCHECK_PASS, "%llu confirmations (%llu required)",
                         (unsigned long long)depth, (unsigned long long)opt->confirmations);
        r->ledger_checked = all_ok;
    } else {
        verify_add_check(r, "ledger.confirmations", VCHECK_UNKNOWN,
                         "only %llu of %llu required confirmations: pending, not yet valid",
                         (unsigned long long)depth, (unsigned long long)opt->confirmations);
    }
    return E_OK;
}

/* anchor.txHash is not mined: unknown to the ledger (pending false) or known
 * but not mined (pending true). Either is UNKNOWN (stale) if the bundle's
 * block is gone; with the block still there, a missing transaction is an
 * INVALID "ledger.transaction" (the block is there without it) and a pending
 * one UNKNOWN. */
static err_code tx_not_mined(struct evm_ledger *l, const struct bundle *b, bool pending,
                             struct verify_result *r, struct err *e)
{
    char hx[67];
    hash32_to_hex0x(&b->anchor.tx_hash, hx);
    bool stale;
    err_code rc = block_is_stale(l, b, &stale, e);
    if (rc)
        return rc;
    if (stale) {
        char now[160];
        snprintf(now, sizeof now, pending ? "transaction %s is pending again"
                                          : "transaction %s is not on this ledger now",
                 hx);
        stale_check(r, b, now);
    } else if (pending) {
        verify_add_check(r, "ledger.transaction", VCHECK_UNKNOWN,
                         "transaction %s is not mined yet", hx);
    } else {
        verify_add_check(r, "ledger.transaction", VCHECK_FAIL,
                         "transaction %s is not on this ledger (the bundle's block %llu is, "
                         "without it)",
                         hx, (unsigned long long)b->anchor.block_number);
    }
    return E_OK;
}

/* ---- the sequence of checks ------------------------------------------------- */

/* One run of the checks: the bundle, the ledger, and whether every check
 * so far passed (SKIPPED ones do not count against it). */
struct run {
    const struct bundle *b;
    const struct verify_online_opts *opt;
    const struct online_flow *flow;
    struct evm_ledger l;
    struct verify_result *r;
    bool all_ok;
};

/* Record a flow's verdict under `name`; true when the checks go on. */
static bool record_verdict(struct run *x, const char *name, const struct online_verdict *v)
{
    verify_add_check(x->r, name, v->outcome, "%s", v->detail);
    if (v->outcome == VCHECK_FAIL)
        x->all_ok = false;
    return v->outcome != VCHECK_FAIL;
}

/* ledger.transaction: mined with status 1, sent by the issuer to the
 * contract, and (when the flow binds it) with this batch as its input.
 * *go false: the checks stop here (the result says why). On success
 * *rcpt is the receipt (the caller frees it). */
static err_code check_transaction(struct run *x, struct rpc_receipt *rcpt,
                                  struct online_tx_facts *facts, bool *go, struct err *e)
{
    const struct bundle_anchor *a = &x->b->anchor;
    char hx[67];
    *go = false;
    memset(rcpt, 0, sizeof *rcpt);
    hash32_to_hex0x(&a->tx_hash, hx);
    struct rpc_tx tx;
    err_code rc = rpc_get_transaction(x->l.rpc, &a->tx_hash, &tx, e);
    if (rc == E_NOT_FOUND)
        return tx_not_mined(&x->l, x->b, false, x->r, e);
    if (rc)
        return rc;
    if (!tx.mined) {
        rpc_tx_free(&tx);
        return tx_not_mined(&x->l, x->b, true, x->r, e);
    }
    /* NotaryRegistry2: any sender here; the event, record and key checks
     * bind it to the issuer's key history */
    if (facts->sent_by_key)
        facts->key = tx.from;
    bool sent_ok = (facts->sent_by_key || addr20_eq(&tx.from, &a->issuer)) && tx.has_to &&
                   addr20_eq(&tx.to, &a->contract);
    const char *input_why = "";
    bool input_ok = !x->flow->tx_input || x->flow->tx_input(x->b, &tx, facts, &input_why);
    rpc_tx_free(&tx);
    rc = rpc_get_receipt(x->l.rpc, &a->tx_hash, rcpt, e);
    if (rc && rc != E_NOT_FOUND)
        return rc;
    bool mined_ok = rc == E_OK && rcpt->has_status && rcpt->status_ok;
    bool ok = sent_ok && input_ok && mined_ok;
    char kx[43];
    addr20_to_hex(&facts->key, kx);
    if (ok && facts->sent_by_key)
        verify_add_check(x->r, "ledger.transaction", VCHECK_PASS,
                         "%s succeeded, sent by key %s to %s", hx, kx, x->flow->tx_to);
    else if (ok)
        verify_add_check(x->r, "ledger.transaction", VCHECK_PASS,
                         "%s succeeded, sent by the issuer to %s", hx, x->flow->tx_to);
    else if (!sent_ok && facts->sent_by_key)
        verify_add_check(x->r, "ledger.transaction", VCHECK_FAIL,
                         "%s was not sent to the bundle's contract", hx);
    else if (!sent_ok)
        verify_add_check(x->r, "ledger.transaction", VCHECK_FAIL,
                         "%s was not sent by the bundle's issuer to its contract", hx);
    else if (!input_ok)
        verify_add_check(x->r, "ledger.transaction", VCHECK_FAIL, "%s%s", hx, input_why);
    else
        verify_add_check(x->r, "ledger.transaction", VCHECK_FAIL,
                         "%s did not succeed (reverted or no receipt)", hx);
    x->all_ok = x->all_ok && ok;
    if (!ok) {
        rpc_receipt_free(rcpt);
        memset(rcpt, 0, sizeof *rcpt);
    }
    *go = ok;
    return E_OK;
}

/* ledger.event: one log of the receipt, from the contract, is the flow's
 * event for this batch. True when the checks go on. */
static bool check_event(struct run *x, const struct rpc_receipt *rcpt,
                        const struct online_tx_facts *facts)
{
    bool ok = false;
    for (size_t i = 0; i < rcpt->nlogs && !ok; i++)
        ok = addr20_eq(&rcpt->logs[i].address, &x->b->anchor.contract) &&
             x->flow->event_matches(x->b, &rcpt->logs[i], rcpt->block_number, facts);
    struct online_verdict v;
    x->flow->event_detail(x->b, ok, &v);
    return record_verdict(x, "ledger.event", &v);
}

/* The checks after the endpoint's chain id, in order; each stops the run
 * when it fails. Returns the ledger's error when it could not be asked. */
static err_code run_checks(struct run *x, struct err *e)
{
    const struct online_pins pins = {.contracts = x->opt->contracts,
                                     .n_contracts = x->opt->n_contracts,
                                     .require_timestamp_code = x->opt->require_timestamp_code};
    struct online_verdict v;
    struct online_tx_facts facts = {0};
    err_code rc = x->flow->contract(x->l.rpc, x->b, &pins, &facts, &v, e);
    if (rc || !record_verdict(x, "ledger.contract", &v))
        return rc;

    struct rpc_receipt rcpt;
    bool go;
    if ((rc = check_transaction(x, &rcpt, &facts, &go, e)) || !go)
        return rc;
    go = check_event(x, &rcpt, &facts);
    uint64_t block = rcpt.block_number;
    struct hash32 hash = rcpt.block_hash;
    rpc_receipt_free(&rcpt);
    if (!go)
        return E_OK;

    bool has_time = false;
    uint64_t rtime = 0;
    if ((rc = x->flow->record(x->l.rpc, x->b, block, &facts, &v, &has_time, &rtime, e)) ||
        !record_verdict(x, "ledger.record", &v))
        return rc;
    bool applies = false;
    if (x->flow->key &&
        ((rc = x->flow->key(x->l.rpc, x->b, block, &facts, &applies, &v, e)) ||
         (applies && !record_verdict(x, "issuer.key", &v))))
        return rc;
    return check_block(x->b, x->opt, &x->l, block, &hash, has_time ? &rtime : NULL, x->all_ok,
                       x->r, e);
}

void verify_online(const struct bundle *b, const struct verify_online_opts *opt,
                   struct verify_result *r)
{
    r->online = true;
    if (!b->anchored)
        return; /* verify_offline marked it UNKNOWN: a pending bundle is not yet valid */
    drop_check(r, "anchor");
    const struct bundle_anchor *a = &b->anchor;
    const struct online_flow *flow = a->ledger == BUNDLE_LEDGER_EVM    ? &online_flow_evm
                                     : a->ledger == BUNDLE_LEDGER_EBSI ? &online_flow_ebsi
                                                                       : NULL;
    if (!flow) {
        verify_add_check(r, "ledger", VCHECK_UNKNOWN,
                         "bundles anchored with the '%s' flow are not supported by this verifier",
                         bundle_ledger_name(a->ledger));
        return;
    }
    struct run x = {.b = b, .opt = opt, .flow = flow, .r = r, .all_ok = true};
    if (!begin(b, opt, flow->verb, r, &x.l))
        return;
    struct err e = {0};
    if (run_checks(&x, &e))
        unreachable(r, &e);
    evm_close(&x.l);
}
