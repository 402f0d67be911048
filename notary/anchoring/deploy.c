/* notary/anchoring/deploy.c — see deploy.h. */
#include "notary/anchoring/deploy.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor/eth.h"
#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "anchor/rpc.h"

/* The registry's creation bytecode, embedded at build time (*code: caller frees). */
/* Gas of the last deployment mined by this process (deploy_registry2 reports it). */
static __thread uint64_t g_last_deploy_gas;

static err_code creation_code(const char *hex, uint8_t **code, size_t *len, struct err *e)
{
    err_code rc = hex_decode_alloc(hex, strlen(hex), true, TX_MAX_RAW, code, len, e);
    return rc ? err_wrap(e, rc, "embedded contract bytecode") : E_OK;
}

static err_code deploy_code(struct evm_ledger *l, const struct signer *signer, const char *hex,
                            uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                            struct err *e);

err_code deploy_registry(struct evm_ledger *l, const struct signer *signer,
                         uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                         struct err *e)
{
    return deploy_code(l, signer, registry_creation_hex, confirmations, timeout_s, out, e);
}

err_code deploy_registry2(struct evm_ledger *l, const struct signer *signer,
                          uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                          uint64_t *gas_used, struct err *e)
{
    err_code rc =
        deploy_code(l, signer, registry2_creation_hex, confirmations, timeout_s, out, e);
    bool match = false;
    if (!rc && !(rc = registry2_code_matches(l->rpc, out, &match, e)) && !match)
        rc = err_set(e, E_STATE, "the deployed contract's code is not NotaryRegistry2's");
    if (gas_used)
        *gas_used = rc ? 0 : g_last_deploy_gas;
    return rc;
}

static err_code deploy_code(struct evm_ledger *l, const struct signer *signer, const char *hex,
                            uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                            struct err *e)
{
    uint8_t *code;
    size_t len;
    err_code rc = creation_code(hex, &code, &len, e);
    if (rc)
        return rc;
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
            g_last_deploy_gas = st.gas_used;
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

static int hex_digit_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static unsigned __int128 u256_to_u128_sat(const struct u256 *v)
{
    unsigned __int128 r = 0;
    for (int i = 0; i < 16; i++)
        if (v->b[i])
            return ~(unsigned __int128)0;
    for (int i = 16; i < 32; i++)
        r = r << 8 | v->b[i];
    return r;
}

err_code deploy_registry_cost(struct evm_ledger *l, const struct addr20 *from,
                              struct deploy_cost *out, struct err *e)
{
    return deploy_registry_version_cost(l, from, 1, out, e);
}

err_code deploy_registry_version_cost(struct evm_ledger *l, const struct addr20 *from,
                                      int version, struct deploy_cost *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    uint8_t *code;
    size_t len;
    err_code rc = creation_code(version == 2 ? registry2_creation_hex : registry_creation_hex,
                                &code, &len, e);
    if (rc)
        return rc;
    struct tx t;
    rc = evm_build_tx(l, NULL, from, NULL, code, len, 0, &t, e);
    free(code);
    if (!rc) {
        out->gas = t.gas_limit;
        out->fee_per_gas = u256_to_u128_sat(t.type == TX_EIP1559 ? &t.max_fee : &t.gas_price);
        unsigned __int128 max = ~(unsigned __int128)0;
        out->need = out->fee_per_gas && out->gas > max / out->fee_per_gas
                        ? max
                        : out->fee_per_gas * out->gas;
    }
    tx_clear(&t);
    if (rc)
        return rc;
    char hex[43];
    addr20_to_hex(from, hex);
    json_t *result = NULL;
    if ((rc = rpc_call(l->rpc, "eth_getBalance", json_pack("[s, s]", hex, "pending"), &result,
                       e)))
        return err_wrap(e, rc, "eth_getBalance");
    const char *q = json_string_value(result);
    size_t n = q ? strlen(q) : 0;
    if (n < 3 || q[0] != '0' || q[1] != 'x' || (q[2] == '0' && n > 3)) {
        json_decref(result);
        return err_set(e, E_PROTOCOL, "eth_getBalance: the answer is not a hex quantity");
    }
    for (size_t i = 2; i < n; i++) {
        int d = hex_digit_value(q[i]);
        if (d < 0) {
            json_decref(result);
            return err_set(e, E_PROTOCOL, "eth_getBalance: the answer is not a hex quantity");
        }
        out->balance = n - 2 > 32 ? ~(unsigned __int128)0 : out->balance << 4 | (unsigned)d;
    }
    json_decref(result);
    out->enough = out->balance >= out->need;
    return E_OK;
}

void deploy_format_ether(unsigned __int128 wei, char out[64])
{
    static const unsigned __int128 ETHER = 1000000000000000000ull;
    unsigned __int128 whole = wei / ETHER;
    uint64_t frac = (uint64_t)(wei % ETHER);
    char w[48], *p = w + sizeof w;
    *--p = '\0';
    do
        *--p = (char)('0' + (int)(whole % 10));
    while ((whole /= 10) != 0);
    if (!frac) {
        snprintf(out, 64, "%s", p);
        return;
    }
    char f[19];
    snprintf(f, sizeof f, "%018llu", (unsigned long long)frac);
    for (int i = 17; i > 0 && f[i] == '0'; i--)
        f[i] = '\0';
    snprintf(out, 64, "%s.%s", p, f);
}

err_code deploy_check_registry(struct evm_ledger *l, const struct addr20 *contract,
                               struct err *e)
{
    char hex[43];
    addr20_to_hex(contract, hex);
    err_code rc = rpc_require_code(l->rpc, contract, NULL, e);
    if (rc)
        return rc;
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
