/*
 * verifier/online_evm.c — the "evm" flow's answers to the ledger checks
 * (verifier/online_flow.h): the contract must run the NotaryRegistry
 * runtime code (contracts/NotaryRegistry.sol) or NotaryRegistry2's
 * (contracts/NotaryRegistry2.sol, docs/registry-v2.md §6), the receipt must
 * carry that version's Anchored event for this batch, and anchoredAt(issuer,
 * root) must record the same block, size and seq (empty at the head is asked
 * again at the receipt's block: online_record_read). On NotaryRegistry2 the
 * bundle's issuer is the identity, the transaction is sent by an anchoring
 * key K (the event's and the record's `key`), and "issuer.key" applies the
 * key-history rule (registry2_key_counts) to keyStatus(identity, K) read at
 * the latest block with the anchor's block. The sequence of checks is the
 * driver's (verifier/online.c); the check names and outcomes:
 * verifier/online.h.
 */
#include <string.h>

#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "verifier/online_flow.h"

static err_code evm_contract(struct rpc_client *rpc, const struct bundle *b,
                             const struct online_pins *pins, struct online_tx_facts *facts,
                             struct online_verdict *v, struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    char ad[43];
    bool v1 = false, v2 = false;
    addr20_to_hex(&a->contract, ad);
    err_code rc = registry_code_matches(rpc, &a->contract, &v1, e);
    if (!rc && !v1)
        rc = registry2_code_matches(rpc, &a->contract, &v2, e);
    if (rc)
        return rc;
    facts->registry = v1 ? 1 : v2 ? 2 : 0;
    facts->sent_by_key = v2;
    bool pin_ok = pins->n_contracts == 0;
    for (size_t i = 0; i < pins->n_contracts && !pin_ok; i++)
        pin_ok = addr20_eq(&pins->contracts[i], &a->contract);
    online_verdict_set(v, (v1 || v2) && pin_ok ? VCHECK_PASS : VCHECK_FAIL,
                       !pin_ok ? "%s is not a registry you pinned (--contract)"
                       : v1    ? "%s runs the NotaryRegistry code"
                       : v2    ? "%s runs the NotaryRegistry2 code (issuer identity and key history)"
                               : "%s runs neither the NotaryRegistry nor the NotaryRegistry2 code: "
                                 "its events prove nothing",
                       ad);
    return E_OK;
}

static bool evm_event_matches(const struct bundle *b, const struct rpc_log *log,
                              uint64_t rcpt_block, const struct online_tx_facts *facts)
{
    (void)rcpt_block;
    if (facts->registry == 2) {
        struct registry2_anchored ev;
        if (registry2_parse_anchored(log, &ev, NULL) != E_OK)
            return false;
        return addr20_eq(&ev.identity, &b->anchor.issuer) && hash32_eq(&ev.root, &b->batch.root) &&
               ev.size == b->batch.size && ev.seq == b->batch.seq &&
               ev.kind == REGISTRY_KIND_BATCH && addr20_eq(&ev.key, &facts->key);
    }
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

/* The registry's record of a root: anchoredAt of NotaryRegistry or
 * NotaryRegistry2 (which also names the key). */
struct evm_record {
    bool v2;
    struct registry_record r1;
    struct registry2_record r2;
};

/* online_record_reader: anchoredAt(issuer, root) at `block`; an empty
 * record (blockNumber 0) is "none". */
static err_code evm_read_record(struct rpc_client *rpc, const struct bundle *b, const char *block,
                                void *rec, bool *found, struct err *e)
{
    struct evm_record *r = rec;
    const struct bundle_anchor *a = &b->anchor;
    err_code rc = r->v2 ? registry2_anchored_at(rpc, &a->contract, &a->issuer, &b->batch.root,
                                                block, &r->r2, e)
                        : registry_anchored_at(rpc, &a->contract, &a->issuer, &b->batch.root,
                                               block, &r->r1, e);
    *found = !rc && (r->v2 ? r->r2.block_number : r->r1.block_number) != 0;
    return rc;
}

static err_code evm_record(struct rpc_client *rpc, const struct bundle *b, uint64_t rcpt_block,
                           const struct online_tx_facts *facts, struct online_verdict *v,
                           bool *has_time, uint64_t *time, struct err *e)
{
    struct evm_record r = {.v2 = facts->registry == 2};
    bool found;
    /* empty at the head is asked again at the receipt's block
     * (online_record_read): only empty there too is INVALID */
    err_code rc = online_record_read(rpc, b, rcpt_block, evm_read_record, &r,
                                     r.v2 ? "anchoredAt(identity, root) is empty"
                                          : "anchoredAt(issuer, root) is empty",
                                     &found, e);
    if (rc)
        return rc;
    if (!found) {
        online_verdict_set(v, VCHECK_FAIL,
                           "%s, even at the block of the transaction's event: the registry has "
                           "no record of this root for the %s",
                           r.v2 ? "anchoredAt(identity, root) is empty"
                                : "anchoredAt(issuer, root) is empty",
                           r.v2 ? "identity" : "issuer");
        return E_OK;
    }
    if (r.v2) {
        const struct registry2_record *rec = &r.r2;
        bool ok = rec->block_number == rcpt_block && rec->size == b->batch.size &&
                  rec->seq == b->batch.seq && rec->kind == REGISTRY_KIND_BATCH &&
                  addr20_eq(&rec->key, &facts->key);
        char kx[43];
        addr20_to_hex(&rec->key, kx);
        if (ok) {
            *has_time = true; /* the record's time is the block's: checked by the driver */
            *time = rec->timestamp;
        }
        online_verdict_set(v, ok ? VCHECK_PASS : VCHECK_FAIL,
                           ok ? "the registry records this root for the identity: key %s, "
                                "block %llu, size %llu, seq %llu"
                              : "the registry's record (key %s, block %llu, size %llu, seq "
                                "%llu) does not match the bundle and its transaction",
                           kx, (unsigned long long)rec->block_number,
                           (unsigned long long)rec->size, (unsigned long long)rec->seq);
        return E_OK;
    }
    const struct registry_record *rec = &r.r1;
    bool ok = rec->block_number == rcpt_block && rec->size == b->batch.size &&
              rec->seq == b->batch.seq && rec->kind == REGISTRY_KIND_BATCH;
    online_verdict_set(v, ok ? VCHECK_PASS : VCHECK_FAIL,
                       ok ? "the registry records this root for the issuer: block %llu, size "
                            "%llu, seq %llu"
                          : "the registry's record (block %llu, size %llu, seq %llu) does not "
                            "match the bundle",
                       (unsigned long long)rec->block_number, (unsigned long long)rec->size,
                       (unsigned long long)rec->seq);
    return E_OK;
}

/* issuer.key (NotaryRegistry2 only): keyStatus(identity, key) at the latest
 * block and the rule of docs/registry-v2.md §2 with B = the anchor's block. */
static err_code evm_key(struct rpc_client *rpc, const struct bundle *b, uint64_t rcpt_block,
                        const struct online_tx_facts *facts, bool *applies,
                        struct online_verdict *v, struct err *e)
{
    *applies = facts->registry == 2;
    if (!*applies)
        return E_OK;
    const struct bundle_anchor *a = &b->anchor;
    struct registry2_key_status st;
    err_code rc = registry2_key_status(rpc, &a->contract, &a->issuer, &facts->key, NULL, &st, e);
    if (rc)
        return rc;
    enum registry2_reason why;
    char kx[43], ix[43];
    addr20_to_hex(&facts->key, kx);
    addr20_to_hex(&a->issuer, ix);
    if (registry2_key_counts(&st, rcpt_block, &why)) {
        if (addr20_eq(&facts->key, &a->issuer))
            online_verdict_set(v, VCHECK_PASS,
                               "anchored by the identity %s itself (its own key, neither retired "
                               "nor declared compromised at block %llu)",
                               ix, (unsigned long long)rcpt_block);
        else
            online_verdict_set(v, VCHECK_PASS,
                               "anchored by key %s, authorized by identity %s from block %llu; "
                               "it counts at the anchor's block %llu",
                               kx, ix, (unsigned long long)st.authorized_from,
                               (unsigned long long)rcpt_block);
        return E_OK;
    }
    char words[sizeof v->detail - 64];
    registry2_reason_format(why, &st, &a->issuer, &facts->key, rcpt_block, words, sizeof words);
    online_verdict_set(v, VCHECK_FAIL, "%s: this anchor does not count for the issuer", words);
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
    .key = evm_key,
};
