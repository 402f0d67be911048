/* verifier/online_ebsi.c — see online_ebsi.h. */
#include "verifier/online_ebsi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/evm.h"

void verify_online_ebsi(const struct bundle *b, const struct verify_online_opts *opt,
                        struct verify_result *r)
{
    const struct bundle_anchor *a = &b->anchor;
    char hx[67], ad[43], want[65];
    struct err e = {0};
    const struct ebsi_data record = {.kind = EBSI_KIND_ISSUANCE, .seq = b->batch.seq,
                                     .size = b->batch.size};
    hash32_to_hex(&b->batch.root, want);

    struct evm_ledger l;
    if (!verify_online_begin(b, opt, "timestamped by", r, &l))
        return;
    err_code rc;
    bool all_ok = true;
#define CHECK_OR(name, cond, ...)                                                                  \
    do {                                                                                           \
        bool ok_ = (cond);                                                                         \
        all_ok = all_ok && ok_;                                                                    \
        verify_add_check(r, name, ok_ ? VCHECK_PASS : VCHECK_FAIL, __VA_ARGS__);                   \
    } while (0)

    /* ledger.contract: pinned address and/or committed code */
    addr20_to_hex(&a->contract, ad);
    bool pinned = false, code_ok = false;
    for (size_t i = 0; i < opt->n_contracts && !pinned; i++)
        pinned = addr20_eq(&opt->contracts[i], &a->contract);
    if (opt->require_timestamp_code && (rc = ebsi_code_matches(l.rpc, &a->contract, &code_ok, &e)))
        goto net;
    if (opt->n_contracts == 0 && !opt->require_timestamp_code) {
        verify_add_check(r, "ledger.contract", VCHECK_SKIPPED,
                         "the Timestamp contract was not pinned (--contract ADDR): VALID only "
                         "means the issuer timestamped the root at %s",
                         ad);
    } else if (opt->n_contracts && !pinned) {
        CHECK_OR("ledger.contract", false, "%s is not a Timestamp contract you pinned", ad);
        goto out;
    } else if (opt->require_timestamp_code && !code_ok) {
        CHECK_OR("ledger.contract", false,
                 "%s does not run the committed Timestamp code: its events prove nothing", ad);
        goto out;
    } else {
        CHECK_OR("ledger.contract", true, "%s is %s", ad,
                 pinned && opt->require_timestamp_code ? "a pinned Timestamp contract running "
                                                         "the committed code"
                 : pinned                              ? "a pinned Timestamp contract"
                                                       : "running the committed Timestamp code");
    }

    /* ledger.transaction */
    struct rpc_tx tx;
    hash32_to_hex0x(&a->tx_hash, hx);
    rc = rpc_get_transaction(l.rpc, &a->tx_hash, &tx, &e);
    if (rc == E_NOT_FOUND) {
        if ((rc = verify_online_missing_tx(&l, b, r, &e)))
            goto net;
        goto out;
    }
    if (rc)
        goto net;
    if (!tx.mined) {
        rpc_tx_free(&tx);
        if ((rc = verify_online_pending_tx(&l, b, r, &e)))
            goto net;
        goto out;
    }
    uint64_t alg = 0;
    struct hash32 tx_root;
    struct ebsi_data tx_rec;
    struct err pe = {0};
    bool sent_ok = tx.mined && addr20_eq(&tx.from, &a->issuer) && tx.has_to &&
                   addr20_eq(&tx.to, &a->contract);
    bool input_ok = ebsi_parse_calldata(tx.input, tx.input_len, &alg, &tx_root, &tx_rec, &pe) ==
                        E_OK &&
                    hash32_eq(&tx_root, &b->batch.root) && tx_rec.kind == record.kind &&
                    tx_rec.seq == record.seq && tx_rec.size == record.size;
    struct rpc_receipt rcpt;
    memset(&rcpt, 0, sizeof rcpt);
    if (tx.mined && (rc = rpc_get_receipt(l.rpc, &a->tx_hash, &rcpt, &e)) && rc != E_NOT_FOUND) {
        rpc_tx_free(&tx);
        goto net;
    }
    bool mined_ok = tx.mined && rc == E_OK && rcpt.has_status && rcpt.status_ok;
    if (!tx.mined)
        verify_add_check(r, "ledger.transaction", VCHECK_UNKNOWN,
                         "transaction %s is not mined yet", hx);
    else
        CHECK_OR("ledger.transaction", sent_ok && input_ok && mined_ok,
                 sent_ok && input_ok && mined_ok
                     ? "%s succeeded, sent by the issuer to the Timestamp contract, timestamping "
                       "exactly this root, kind, seq and size"
                 : !sent_ok  ? "%s was not sent by the bundle's issuer to its contract"
                 : !input_ok ? "%s is not exactly timestampHashes of this root, seq and size"
                             : "%s did not succeed (reverted or no receipt)",
                 hx);
    rpc_tx_free(&tx);
    if (!(sent_ok && input_ok && mined_ok)) {
        rpc_receipt_free(&rcpt);
        goto out;
    }

    /* ledger.event */
    bool ev_ok = false;
    for (size_t i = 0; i < rcpt.nlogs && !ev_ok; i++) {
        struct ebsi_event ev;
        if (!addr20_eq(&rcpt.logs[i].address, &a->contract) ||
            ebsi_parse_event(&rcpt.logs[i], &ev, NULL) != E_OK)
            continue;
        ev_ok = addr20_eq(&ev.from, &a->issuer) && hash32_eq(&ev.root, &b->batch.root) &&
                ev.data.kind == record.kind && ev.data.seq == record.seq &&
                ev.data.size == record.size && ev.alg == alg &&
                ev.block_number == rcpt.block_number;
    }
    CHECK_OR("ledger.event", ev_ok,
             ev_ok ? "HashTimestamped(root %.16s…, from the issuer, issuance seq %llu size %llu) "
                     "emitted by the Timestamp contract"
                   : "no HashTimestamped event for root %.16s… (seq %llu, size %llu) from the "
                     "issuer in that transaction",
             want, (unsigned long long)b->batch.seq, (unsigned long long)b->batch.size);
    uint64_t rcpt_block = rcpt.block_number;
    struct hash32 rcpt_hash = rcpt.block_hash;
    rpc_receipt_free(&rcpt);
    if (!ev_ok)
        goto out;

    /* ledger.record */
    struct ebsi_record rec;
    if ((rc = ebsi_get_timestamp(l.rpc, &a->contract, &b->batch.root, NULL, &rec, &e)))
        goto net;
    bool rec_ok = addr20_eq(&rec.from, &a->issuer) && rec.block_number == rcpt_block &&
                  rec.has_data && rec.data.kind == record.kind && rec.data.seq == record.seq &&
                  rec.data.size == record.size;
    addr20_to_hex(&rec.from, ad);
    CHECK_OR("ledger.record", rec_ok,
             rec_ok ? "getTimestamp(root): first timestamped by the issuer in block %llu with "
                      "this seq and size%s"
                    : "getTimestamp(root) names block %llu by %s, not this issuer's record of "
                      "this batch",
             (unsigned long long)rec.block_number, rec_ok ? "" : ad);
    if (!rec_ok)
        goto out;

    /* ledger.block */
    if ((rc = verify_online_block(b, opt, &l, rcpt_block, &rcpt_hash, &rec.timestamp, all_ok, r,
                                  &e)))
        goto net;
    goto out;
net:
    verify_online_unreachable(r, &e);
out:
    evm_close(&l);
#undef CHECK_OR
}
