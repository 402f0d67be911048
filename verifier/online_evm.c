/*
 * verifier/online_evm.c — the "evm" flow's answers to the ledger checks
 * (verifier/online_flow.h): the contract must run the NotaryRegistry
 * runtime code (contracts/NotaryRegistry.sol), the receipt must carry its
 * Anchored event for this batch, and anchoredAt(issuer, root) must record
 * the same block, size and seq. The sequence of checks is the driver's
 * (verifier/online.c); the check names and outcomes: verifier/online.h.
 */
#include <string.h>

#include "anchor/registry.h"
#include "verifier/online_flow.h"

static err_code evm_contract(struct rpc_client *rpc, const struct bundle *b,
                             const struct online_pins *pins, struct online_verdict *v,
                             struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    char ad[43];
    bool code_ok;
    addr20_to_hex(&a->contract, ad);
    err_code rc = registry_code_matches(rpc, &a->contract, &code_ok, e);
    if (rc)
        return rc;
    bool pin_ok = pins->n_contracts == 0;
    for (size_t i = 0; i < pins->n_contracts && !pin_ok; i++)
        pin_ok = addr20_eq(&pins->contracts[i], &a->contract);
    online_verdict_set(v, code_ok && pin_ok ? VCHECK_PASS : VCHECK_FAIL,
                       !pin_ok   ? "%s is not a registry you pinned (--contract)"
                       : code_ok ? "%s runs the NotaryRegistry code"
                                 : "%s does not run the NotaryRegistry code: its events prove "
                                   "nothing",
                       ad);
    return E_OK;
}

static bool evm_event_matches(const struct bundle *b, const struct rpc_log *log,
                              uint64_t rcpt_block, const struct online_tx_facts *facts)
{
    (void)rcpt_block;
    (void)facts;
    struct registry_event ev;
    if (registry_parse_event(log, &ev, NULL) != E_OK)
        return false;
    return addr20_eq(&ev.issuer, &b->anchor.issuer) && hash32_eq(&ev.root, &b->batch.root) &&
           ev.size == b->batch.size && ev.seq == b->batch.seq && ev.kind == REGISTRY_KIND_BATCH;
}

static void evm_event_detail(const struct bundle *b, bool ok, struct online_verdict *v)
{
    char want[65];
    hash32_to_hex(&b->batch.root, want);
    online_verdict_set(v, ok ? VCHECK_PASS : VCHECK_FAIL,
                       ok ? "Anchored(issuer, root %.16s…, size %llu, seq %llu, issuance) emitted "
                            "by the registry"
                          : "no Anchored event for root %.16s…, size %llu, seq %llu in that "
                            "transaction",
                       want, (unsigned long long)b->batch.size, (unsigned long long)b->batch.seq);
}

static err_code evm_record(struct rpc_client *rpc, const struct bundle *b, uint64_t rcpt_block,
                           struct online_verdict *v, bool *has_time, uint64_t *time,
                           struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    struct registry_record rec;
    err_code rc =
        registry_anchored_at(rpc, &a->contract, &a->issuer, &b->batch.root, NULL, &rec, e);
    if (rc)
        return rc;
    bool ok = rec.block_number == rcpt_block && rec.size == b->batch.size &&
              rec.seq == b->batch.seq && rec.kind == REGISTRY_KIND_BATCH;
    online_verdict_set(v, ok ? VCHECK_PASS : VCHECK_FAIL,
                       ok ? "the registry records this root for the issuer: block %llu, size "
                            "%llu, seq %llu"
                          : "the registry's record (block %llu, size %llu, seq %llu) does not "
                            "match the bundle",
                       (unsigned long long)rec.block_number, (unsigned long long)rec.size,
                       (unsigned long long)rec.seq);
    return E_OK;
}

const struct online_flow online_flow_evm = {
    .verb = "anchored by",
    .tx_to = "the registry",
    .contract = evm_contract,
    .tx_input = NULL,
    .event_matches = evm_event_matches,
    .event_detail = evm_event_detail,
    .record = evm_record,
};
