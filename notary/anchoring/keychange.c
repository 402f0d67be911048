/* notary/anchoring/keychange.c — see keychange.h. */
#include "notary/anchoring/keychange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor/eth.h"
#include "anchor/rpc.h"

/* A revert from the node (estimation or eth_call) in the contract's words. */
static err_code reverted(struct evm_ledger *l, err_code rc, struct err *e)
{
    const struct rpc_error *re = rpc_last_error(l->rpc);
    char text[400];
    if (rc == E_PROTOCOL && re->reason == RPC_REASON_REVERT && re->has_data &&
        registry2_revert_text(re->data, re->data_len, text, sizeof text))
        return err_set(e, E_STATE, "the registry refuses the key change: %s", text);
    if (rc == E_PROTOCOL && re->reason == RPC_REASON_INSUFFICIENT_FUNDS)
        return err_set(e, E_STATE, "the anchoring key's account cannot pay for the key change: "
                                   "fund it and run the command again");
    return rc;
}

err_code keychange_submit(struct evm_ledger *l, const struct signer *sender,
                          const struct signer *identity, const struct addr20 *contract,
                          struct registry2_change *ch, uint64_t confirmations, unsigned timeout_s,
                          struct keychange_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    err_code rc = registry2_nonce(l->rpc, contract, &ch->identity, NULL, &ch->nonce, e);
    if (rc)
        return rc;
    struct hash32 ours, theirs;
    registry2_change_digest(l->chain_id, contract, ch, &ours);
    if ((rc = registry2_change_digest_view(l->rpc, contract, ch, &theirs, e)))
        return rc;
    if (!hash32_eq(&ours, &theirs))
        return err_set(e, E_STATE, "the contract computes another EIP-712 digest for this key "
                                   "change than this notary (chain %llu): is it NotaryRegistry2? "
                                   "Nothing was signed",
                       (unsigned long long)l->chain_id);
    struct registry2_sig sig;
    if ((rc = registry2_sign_change(identity, l->chain_id, contract, ch, &sig, e)))
        return rc;
    struct buf data = {0};
    struct addr20 from;
    signer_address(sender, &from);
    uint64_t nonce;
    struct tx t;
    tx_init(&t);
    if ((rc = registry2_change_bysig_calldata(ch, &sig, &data, e)) ||
        (rc = rpc_get_transaction_count(l->rpc, &from, "pending", &nonce, e)) ||
        (rc = evm_build_tx(l, NULL, &from, contract, data.p, data.len, nonce, &t, e))) {
        buf_free(&data);
        tx_clear(&t);
        return reverted(l, rc, e);
    }
    buf_free(&data);
    struct buf raw = {0};
    rc = tx_sign(&t, sender, &raw, &out->tx_hash, NULL, e);
    tx_clear(&t);
    if (!rc)
        rc = rpc_send_raw_transaction(l->rpc, raw.p, raw.len, true, &out->tx_hash, e);
    buf_free(&raw);
    if (rc)
        return reverted(l, rc, e);
    time_t deadline = time(NULL) + (timeout_s ? timeout_s : 120);
    for (;;) {
        struct evm_tx_state st;
        if ((rc = evm_tx_state(l, &out->tx_hash, &st, e)))
            return rc;
        out->block_number = st.block_number;
        out->gas_used = st.gas_used;
        bool mined = st.status == EVM_TX_MINED && st.confirmations >= confirmations;
        bool bad = st.status == EVM_TX_REVERTED;
        evm_tx_state_free(&st);
        if (bad)
            return err_set(e, E_STATE, "the key change reverted in block %llu (another change "
                                       "came first? see `notary key list`)",
                           (unsigned long long)out->block_number);
        if (mined)
            return E_OK;
        if (time(NULL) >= deadline)
            return err_set(e, E_NETWORK, "the key change was sent but not confirmed within %u s; "
                                         "`notary key list` shows whether it was mined",
                           timeout_s ? timeout_s : 120);
        usleep(200 * 1000);
    }
}

err_code keychange_block_at_time(struct evm_ledger *l, uint64_t t, uint64_t *block, struct err *e)
{
    struct rpc_block b;
    err_code rc = rpc_get_block_by_number(l->rpc, "latest", &b, e);
    if (rc)
        return rc;
    if (b.timestamp < t)
        return err_set(e, E_NOT_FOUND, "no block at or after that time yet (the latest, %llu, "
                                       "is older)", (unsigned long long)b.number);
    uint64_t lo = 0, hi = b.number; /* hi's timestamp ≥ t */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        char q[RPC_QTY_BUF];
        if ((rc = rpc_get_block_by_number(l->rpc, rpc_format_quantity(mid, q), &b, e)))
            return rc;
        if (b.timestamp >= t)
            hi = mid;
        else
            lo = mid + 1;
    }
    *block = lo;
    return E_OK;
}
