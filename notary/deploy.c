/* notary/deploy.c — see deploy.h. */
#include "notary/deploy.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor/registry.h"

err_code deploy_registry(struct evm_ledger *l, const struct signer *signer,
                         uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                         struct err *e)
{
    uint8_t *code;
    size_t len;
    err_code rc = hex_decode_alloc(registry_creation_hex, strlen(registry_creation_hex), true,
                                   TX_MAX_RAW, &code, &len, e);
    if (rc)
        return err_wrap(e, rc, "embedded contract bytecode");
    struct addr20 from;
    signer_address(signer, &from);
    uint64_t nonce;
    struct tx t;
    tx_init(&t);
    if ((rc = rpc_get_transaction_count(l->rpc, &from, "pending", &nonce, e)) ||
        (rc = evm_build_tx(l, NULL, &from, NULL, code, len, nonce, &t, e))) {
        free(code);
        tx_clear(&t);
        if (rc == E_PROTOCOL &&
            rpc_last_error(l->rpc)->reason == RPC_REASON_INSUFFICIENT_FUNDS)
            return err_set(e, E_STATE, "the issuer's account cannot pay for deploying the "
                                       "registry contract: fund it first");
        return rc;
    }
    free(code);
    struct buf raw = {0};
    struct hash32 txh;
    rc = tx_sign(&t, signer, &raw, &txh, NULL, e);
    tx_clear(&t);
    if (!rc)
        rc = rpc_send_raw_transaction(l->rpc, raw.p, raw.len, true, &txh, e);
    buf_free(&raw);
    if (rc)
        return rc;
    time_t deadline = time(NULL) + (timeout_s ? timeout_s : 120);
    for (;;) {
        struct evm_tx_state st;
        if ((rc = evm_tx_state(l, &txh, &st, e)))
            return rc;
        if (st.status == EVM_TX_REVERTED) {
            evm_tx_state_free(&st);
            return err_set(e, E_STATE, "the registry deployment reverted");
        }
        if (st.status == EVM_TX_MINED && st.confirmations >= confirmations) {
            bool has = st.receipt.has_contract_address;
            if (has)
                *out = st.receipt.contract_address;
            evm_tx_state_free(&st);
            if (!has)
                return err_set(e, E_PROTOCOL, "the deployment receipt has no contract address");
            return deploy_check_registry(l, out, e);
        }
        evm_tx_state_free(&st);
        if (time(NULL) >= deadline)
            return err_set(e, E_NETWORK, "the registry deployment was not confirmed within %u s",
                           timeout_s);
        usleep(500 * 1000);
    }
}

err_code deploy_check_registry(struct evm_ledger *l, const struct addr20 *contract,
                               struct err *e)
{
    uint8_t *code;
    size_t len;
    char hex[43];
    addr20_to_hex(contract, hex);
    err_code rc = rpc_get_code(l->rpc, contract, "latest", &code, &len, e);
    if (rc)
        return rc;
    free(code);
    if (len == 0)
        return err_set(e, E_STATE, "there is no contract at %s on this ledger", hex);
    struct addr20 zero = {{0}};
    uint64_t next;
    if ((rc = registry_next_seq(l->rpc, contract, &zero, REGISTRY_KIND_BATCH, NULL, &next, e))) {
        if (e)
            e->code = E_STATE;
        err_prefix(e, "the contract at %s does not answer like a NotaryRegistry", hex);
        return E_STATE;
    }
    return E_OK;
}
