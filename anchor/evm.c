/* anchor/evm.c — see evm.h. */
#include "anchor/evm.h"

#include <string.h>

#define GWEI 1000000000ull

err_code evm_connect(const struct rpc_options *opt, uint64_t expect_chain_id,
                     struct evm_ledger *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    err_code rc = rpc_client_new(opt, &out->rpc, e);
    if (rc)
        return rc;
    uint64_t id;
    if ((rc = rpc_chain_id(out->rpc, &id, e))) {
        evm_close(out);
        return rc;
    }
    if (expect_chain_id && id != expect_chain_id) {
        err_set(e, E_STATE,
                "ledger at %s is chain %llu, but this is configured for chain %llu; refusing to "
                "sign for another chain",
                rpc_client_origin(out->rpc), (unsigned long long)id,
                (unsigned long long)expect_chain_id);
        evm_close(out);
        return E_STATE;
    }
    out->chain_id = id;
    return E_OK;
}

void evm_close(struct evm_ledger *l)
{
    if (l) {
        rpc_client_free(l->rpc);
        l->rpc = NULL;
    }
}

/* The policy's cap on the fee per gas (default 500 gwei). */
static uint64_t fee_cap(const struct evm_fee_policy *policy)
{
    return policy && policy->max_fee_cap_wei ? policy->max_fee_cap_wei : 500 * GWEI;
}

/* The tip the ledger suggests (eth_maxPriorityFeePerGas); the policy's tip
 * (default 1 gwei) when the node does not offer it or answers it badly. */
static err_code suggested_tip(struct evm_ledger *l, const struct evm_fee_policy *policy,
                              uint64_t *tip, struct err *e)
{
    err_code rc = rpc_max_priority_fee(l->rpc, tip, e);
    if (rc == E_UNSUPPORTED || rc == E_PROTOCOL) {
        err_clear(e);
        *tip = policy && policy->priority_fee_wei ? policy->priority_fee_wei : GWEI;
        return E_OK;
    }
    return rc;
}

err_code evm_price_tx(struct evm_ledger *l, const struct evm_fee_policy *policy, struct tx *t,
                      struct err *e)
{
    uint64_t cap = fee_cap(policy);
    struct rpc_block latest;
    err_code rc = rpc_get_block_by_number(l->rpc, "latest", &latest, e);
    if (rc)
        return rc;
    t->chain_id = l->chain_id;
    if (latest.has_base_fee) {
        uint64_t tip;
        if ((rc = suggested_tip(l, policy, &tip, e)))
            return rc;
        if (latest.base_fee_per_gas > (UINT64_MAX - tip) / 2)
            return err_set(e, E_LIMIT, "base fee %llu wei is out of range",
                           (unsigned long long)latest.base_fee_per_gas);
        uint64_t max_fee = 2 * latest.base_fee_per_gas + tip;
        if (max_fee > cap)
            return err_set(e, E_LIMIT,
                           "ledger fee %llu wei per gas exceeds the cap of %llu; waiting is "
                           "cheaper than paying it",
                           (unsigned long long)max_fee, (unsigned long long)cap);
        t->type = TX_EIP1559;
        u256_from_u64(tip, &t->max_priority_fee);
        u256_from_u64(max_fee, &t->max_fee);
    } else {
        uint64_t price;
        if ((rc = rpc_gas_price(l->rpc, &price, e)))
            return rc;
        if (price > cap)
            return err_set(e, E_LIMIT, "ledger gas price %llu wei exceeds the cap of %llu",
                           (unsigned long long)price, (unsigned long long)cap);
        t->type = TX_LEGACY;
        u256_from_u64(price, &t->gas_price);
    }
    return E_OK;
}

/* ⌈1.1·x⌉: the smallest fee a node accepts as a 10% bump of x (*was = x). */
static err_code bump10(const struct u256 *v, const char *what, uint64_t *was, uint64_t *out,
                       struct err *e)
{
    if (u256_to_u64(v, was, NULL) != E_OK || *was > UINT64_MAX / 2)
        return err_set(e, E_LIMIT, "the stuck transaction's %s is out of range", what);
    *out = *was + (*was + 9) / 10;
    return E_OK;
}

err_code evm_bump_fees(struct evm_ledger *l, const struct evm_fee_policy *policy,
                       const struct tx *old, struct tx *t, struct err *e)
{
    tx_init(t);
    uint64_t cap = fee_cap(policy);
    err_code rc;
    uint64_t fee, old_fee = 0, need_fee = 0, tip = 0, old_tip = 0, need_tip = 0;
    if (old->type == TX_LEGACY) {
        if (u256_is_zero(&old->gas_price))
            return err_set(e, E_UNSUPPORTED, "the transaction pays gas price 0 (a gas-free "
                                             "network): a higher fee cannot replace it");
        if ((rc = bump10(&old->gas_price, "gas price", &old_fee, &need_fee, e)))
            return rc;
        uint64_t market;
        if ((rc = rpc_gas_price(l->rpc, &market, e)))
            return rc;
        fee = market > need_fee ? market : need_fee;
    } else if (old->type == TX_EIP1559) {
        if ((rc = bump10(&old->max_fee, "maxFeePerGas", &old_fee, &need_fee, e)) ||
            (rc = bump10(&old->max_priority_fee, "maxPriorityFeePerGas", &old_tip, &need_tip, e)))
            return rc;
        struct rpc_block latest;
        if ((rc = rpc_get_block_by_number(l->rpc, "latest", &latest, e)))
            return rc;
        uint64_t suggested;
        if ((rc = suggested_tip(l, policy, &suggested, e)))
            return rc;
        tip = suggested > need_tip ? suggested : need_tip;
        uint64_t base = latest.has_base_fee ? latest.base_fee_per_gas : 0;
        if (base > (UINT64_MAX - tip) / 2)
            return err_set(e, E_LIMIT, "base fee %llu wei is out of range",
                           (unsigned long long)base);
        uint64_t market = 2 * base + tip;
        fee = market > need_fee ? market : need_fee;
    } else {
        return err_set(e, E_UNSUPPORTED, "cannot replace a transaction of type %d", old->type);
    }
    if (fee > cap)
        fee = cap; /* a smaller bump still helps once the base fee falls below it */
    if (tip > fee)
        tip = need_tip; /* the suggested tip does not fit under the cap; the 10% bump may */
    if (fee < need_fee || tip > fee)
        return err_set(e, E_LIMIT,
                       "the fee cap of %llu wei per gas is reached: replacing the stuck "
                       "transaction (%llu) needs at least %llu, 10%% more; raise the cap "
                       "(--max-fee-gwei) or wait for the network fee to fall",
                       (unsigned long long)cap, (unsigned long long)old_fee,
                       (unsigned long long)(need_fee > need_tip ? need_fee : need_tip));
    t->type = old->type;
    t->chain_id = old->chain_id;
    t->nonce = old->nonce;
    t->gas_limit = old->gas_limit;
    t->has_to = old->has_to;
    t->to = old->to;
    t->value = old->value;
    if (t->type == TX_LEGACY) {
        u256_from_u64(fee, &t->gas_price);
    } else {
        u256_from_u64(tip, &t->max_priority_fee);
        u256_from_u64(fee, &t->max_fee);
    }
    return tx_set_data(t, old->data, old->data_len, e);
}

err_code evm_build_tx(struct evm_ledger *l, const struct evm_fee_policy *policy,
                      const struct addr20 *from, const struct addr20 *to, const uint8_t *data,
                      size_t len, uint64_t nonce, struct tx *t, struct err *e)
{
    tx_init(t);
    err_code rc = evm_price_tx(l, policy, t, e);
    if (rc)
        return rc;
    struct rpc_callmsg msg = {.from = from, .to = to, .data = data, .data_len = len};
    uint64_t gas;
    if ((rc = rpc_estimate_gas(l->rpc, &msg, &gas, e)))
        return err_wrap(e, rc, "the ledger says this transaction would fail");
    t->nonce = nonce;
    t->gas_limit = gas + gas / 4;
    t->has_to = to != NULL;
    if (to)
        t->to = *to;
    return tx_set_data(t, data, len, e);
}

err_code evm_block_canonical(struct evm_ledger *l, uint64_t number, const struct hash32 *hash,
                             bool *canonical, uint64_t *depth, uint64_t *block_time,
                             struct err *e)
{
    char q[RPC_QTY_BUF];
    struct rpc_block b;
    *canonical = false;
    *depth = 0;
    err_code rc = rpc_get_block_by_number(l->rpc, rpc_format_quantity(number, q), &b, e);
    if (rc == E_NOT_FOUND) {
        err_clear(e);
        return E_OK;
    }
    if (rc)
        return rc;
    if (!hash32_eq(&b.hash, hash))
        return E_OK;
    if (block_time)
        *block_time = b.timestamp;
    uint64_t latest;
    if ((rc = rpc_block_number(l->rpc, &latest, e)))
        return rc;
    *canonical = true;
    *depth = latest >= number ? latest - number + 1 : 0;
    return E_OK;
}

err_code evm_tx_state(struct evm_ledger *l, const struct hash32 *txhash, struct evm_tx_state *out,
                      struct err *e)
{
    memset(out, 0, sizeof *out);
    err_code rc = rpc_get_receipt(l->rpc, txhash, &out->receipt, e);
    if (rc == E_NOT_FOUND) {
        err_clear(e);
        struct rpc_tx tx;
        rc = rpc_get_transaction(l->rpc, txhash, &tx, e);
        if (rc == E_NOT_FOUND) {
            err_clear(e);
            out->status = EVM_TX_UNKNOWN;
            return E_OK;
        }
        if (rc)
            return rc;
        rpc_tx_free(&tx);
        out->status = EVM_TX_PENDING;
        return E_OK;
    }
    if (rc)
        return rc;
    bool canonical;
    rc = evm_block_canonical(l, out->receipt.block_number, &out->receipt.block_hash, &canonical,
                             &out->confirmations, &out->block_time, e);
    if (rc) {
        evm_tx_state_free(out);
        return rc;
    }
    if (!canonical) { /* the receipt points at a block that was reorged away */
        evm_tx_state_free(out);
        out->status = EVM_TX_UNKNOWN;
        return E_OK;
    }
    out->block_number = out->receipt.block_number;
    out->block_hash = out->receipt.block_hash;
    out->gas_used = out->receipt.gas_used;
    out->status = out->receipt.has_status && !out->receipt.status_ok ? EVM_TX_REVERTED
                                                                      : EVM_TX_MINED;
    return E_OK;
}

void evm_tx_state_free(struct evm_tx_state *s)
{
    rpc_receipt_free(&s->receipt);
    memset(&s->receipt, 0, sizeof s->receipt);
}
