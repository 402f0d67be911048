/*
 * verifier/online_ebsi.c — the "ebsi" flow's answers to the ledger checks
 * (verifier/online_flow.h): the root was written by EBSI's Timestamp
 * contract (anchor/ebsi.h). The contract is the one the verifier pinned
 * and/or runs the committed code; the transaction's input is exactly
 * timestampHashes([id], [batch.root], [record]) with record =
 * {"kind":"issuance","seq":…,"size":…,"v":1}; the receipt carries
 * TimestampedHashes([sha256(root)], [id], [root], [record]) (the event names
 * no sender: the transaction's `from`, checked by the driver, is the
 * issuer); getTimestamp(root) names the first writer (timestampedBy), the
 * block and the record (first write wins) — or reverts "timestamp
 * unknown", at the head and again at the receipt's block, and then the
 * root is certainly not timestamped: INVALID (a node that cannot answer
 * for that block, or knows the root there, is the ledger's error). The
 * record has no time; the block's is checked by the driver. The sequence of
 * checks is the driver's (verifier/online.c); the check names and
 * outcomes: verifier/online.h.
 */
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/evm.h"
#include "verifier/online_flow.h"

/* The record our notary writes for this batch. */
static bool record_is_batch(const struct ebsi_data *d, const struct bundle *b)
{
    return d->kind == EBSI_KIND_ISSUANCE && d->seq == b->batch.seq && d->size == b->batch.size;
}

static err_code ebsi_contract(struct rpc_client *rpc, const struct bundle *b,
                              const struct online_pins *pins,
                              struct online_tx_facts *facts __attribute__((unused)),
                              struct online_verdict *v,
                              struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    char ad[43];
    addr20_to_hex(&a->contract, ad);
    bool pinned = false, code_ok = false;
    for (size_t i = 0; i < pins->n_contracts && !pinned; i++)
        pinned = addr20_eq(&pins->contracts[i], &a->contract);
    err_code rc;
    if (pins->require_timestamp_code && (rc = ebsi_code_matches(rpc, &a->contract, &code_ok, e)))
        return rc;
    if (pins->n_contracts == 0 && !pins->require_timestamp_code)
        online_verdict_set(v, VCHECK_SKIPPED,
                           "the Timestamp contract was not pinned (--contract ADDR): VALID only "
                           "means the issuer timestamped the root at %s",
                           ad);
    else if (pins->n_contracts && !pinned)
        online_verdict_set(v, VCHECK_FAIL, "%s is not a Timestamp contract you pinned", ad);
    else if (pins->require_timestamp_code && !code_ok)
        online_verdict_set(v, VCHECK_FAIL,
                           "%s does not run the committed Timestamp code: its events prove "
                           "nothing",
                           ad);
    else
        online_verdict_set(v, VCHECK_PASS, "%s is %s", ad,
                           pinned && pins->require_timestamp_code
                               ? "a pinned Timestamp contract running the committed code"
                           : pinned ? "a pinned Timestamp contract"
                                    : "running the committed Timestamp code");
    return E_OK;
}

static bool ebsi_tx_input(const struct bundle *b, const struct rpc_tx *tx,
                          struct online_tx_facts *facts, const char **why_tail)
{
    struct hash32 tx_root;
    struct ebsi_data tx_rec;
    struct err pe = {0};
    facts->alg = 0;
    bool ok = ebsi_parse_calldata(tx->input, tx->input_len, &facts->alg, &tx_root, &tx_rec, &pe) ==
                  E_OK &&
              hash32_eq(&tx_root, &b->batch.root) && record_is_batch(&tx_rec, b);
    *why_tail = " is not exactly timestampHashes of this root, seq and size";
    return ok;
}

static bool ebsi_event_matches(const struct bundle *b, const struct rpc_log *log,
                               uint64_t rcpt_block, const struct online_tx_facts *facts)
{
    struct ebsi_event ev;
    if (ebsi_parse_event(log, &ev, NULL) != E_OK)
        return false;
    (void)rcpt_block; /* the log is the receipt's: same block */
    return hash32_eq(&ev.root, &b->batch.root) && record_is_batch(&ev.data, b) &&
           ev.alg == facts->alg;
}

static void ebsi_event_detail(const struct bundle *b, bool ok, struct online_verdict *v)
{
    char want[65];
    hash32_to_hex(&b->batch.root, want);
    online_verdict_set(v, ok ? VCHECK_PASS : VCHECK_FAIL,
                       ok ? "TimestampedHashes(root %.16s…, issuance seq %llu size %llu) emitted "
                            "by the Timestamp contract in the issuer's transaction"
                          : "no TimestampedHashes event for root %.16s… (seq %llu, size %llu) in "
                            "that transaction",
                       want, (unsigned long long)b->batch.seq, (unsigned long long)b->batch.size);
}

/* online_record_reader: getTimestamp(root) at `block`. */
static err_code ebsi_read_record(struct rpc_client *rpc, const struct bundle *b, const char *block,
                                 void *rec, bool *found, struct err *e)
{
    struct ebsi_record *r = rec;
    err_code rc = ebsi_get_timestamp(rpc, &b->anchor.contract, &b->batch.root, block, r, e);
    *found = !rc && ebsi_record_exists(r);
    return rc;
}

static err_code ebsi_record(struct rpc_client *rpc, const struct bundle *b, uint64_t rcpt_block,
                            const struct online_tx_facts *facts __attribute__((unused)),
                            struct online_verdict *v, bool *has_time, uint64_t *time,
                            struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    struct ebsi_record rec;
    bool found;
    /* "timestamp unknown" at the head is asked again at the receipt's
     * block (online_record_read): only the same revert there is INVALID */
    err_code rc = online_record_read(rpc, b, rcpt_block, ebsi_read_record, &rec,
                                     "getTimestamp(root) says \"timestamp unknown\"", &found, e);
    if (rc)
        return rc;
    *has_time = false; /* no time in EBSI's record: the block's is checked */
    *time = 0;
    if (!found) {
        online_verdict_set(v, VCHECK_FAIL, "getTimestamp(root) reverts \"timestamp unknown\", "
                                           "even at the block of the transaction's event: the "
                                           "Timestamp contract has no record of this root");
        return E_OK;
    }
    bool ok = addr20_eq(&rec.from, &a->issuer) && rec.block_number == rcpt_block &&
              rec.has_data && record_is_batch(&rec.data, b);
    char ad[43];
    addr20_to_hex(&rec.from, ad);
    online_verdict_set(v, ok ? VCHECK_PASS : VCHECK_FAIL,
                       ok ? "getTimestamp(root): first timestamped by the issuer in block %llu "
                            "with this seq and size%s"
                          : "getTimestamp(root) names block %llu by %s, not this issuer's record "
                            "of this batch",
                       (unsigned long long)rec.block_number, ok ? "" : ad);
    return E_OK;
}

const struct online_flow online_flow_ebsi = {
    .verb = "timestamped by",
    .tx_to = "the Timestamp contract, timestamping exactly this root, kind, seq and size",
    .contract = ebsi_contract,
    .tx_input = ebsi_tx_input,
    .event_matches = ebsi_event_matches,
    .event_detail = ebsi_event_detail,
    .record = ebsi_record,
};
