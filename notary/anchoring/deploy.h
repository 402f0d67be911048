/*
 * notary/anchoring/deploy.h — deploy the NotaryRegistry contract from its committed
 * artifact (embedded at build time) and check an existing deployment.
 */
#ifndef NOTARY_DEPLOY_H
#define NOTARY_DEPLOY_H

#include "anchor/evm.h"
#include "anchor/signer.h"

/* Send the creation transaction from `signer`, wait (up to timeout_s) for it
 * to be mined with `confirmations`, and return the new contract's address.
 * E_STATE if it reverted or the account cannot pay; E_NETWORK if the ledger
 * went away (nothing is recorded: run init again). */
err_code deploy_registry(struct evm_ledger *l, const struct signer *signer,
                         uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                         struct err *e) MUST_CHECK;

/* The same for NotaryRegistry2 (docs/registry-v2.md); its runtime code must
 * then be exactly the embedded one. *gas_used (may be NULL): the creation
 * transaction's gas. */
err_code deploy_registry2(struct evm_ledger *l, const struct signer *signer,
                          uint64_t confirmations, unsigned timeout_s, struct addr20 *out,
                          uint64_t *gas_used, struct err *e) MUST_CHECK;

/* What deploying the registry would cost `from`, asked of the ledger
 * without sending anything: the gas limit deploy_registry would give the
 * creation transaction (eth_estimateGas + 25%), the fee per gas it would
 * offer (maxFeePerGas, or gasPrice on a legacy chain), their product — what
 * the account must hold, as nodes refuse a transaction whose gas × fee the
 * balance cannot cover — and the balance (eth_getBalance, "pending").
 * Amounts are wei; `need` and `balance` saturate at 2^128 − 1. */
struct deploy_cost {
    uint64_t gas;
    unsigned __int128 fee_per_gas, need, balance;
    bool enough; /* balance ≥ need */
};
err_code deploy_registry_cost(struct evm_ledger *l, const struct addr20 *from,
                              struct deploy_cost *out, struct err *e) MUST_CHECK;

/* The same for NotaryRegistry `version` 1 or 2. */
err_code deploy_registry_version_cost(struct evm_ledger *l, const struct addr20 *from,
                                      int version, struct deploy_cost *out,
                                      struct err *e) MUST_CHECK;

/* Write `wei` as ether with up to 18 decimals ("0.0035", "100") into out. */
void deploy_format_ether(unsigned __int128 wei, char out[64]);

/* Check that `contract` holds code and answers nextSeq() like a
 * NotaryRegistry (E_STATE naming what is wrong otherwise). */
err_code deploy_check_registry(struct evm_ledger *l, const struct addr20 *contract,
                               struct err *e) MUST_CHECK;

#endif
