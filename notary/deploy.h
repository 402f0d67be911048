/*
 * notary/deploy.h — deploy the NotaryRegistry contract from its committed
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

/* Check that `contract` holds code and answers nextSeq() like a
 * NotaryRegistry (E_STATE naming what is wrong otherwise). */
err_code deploy_check_registry(struct evm_ledger *l, const struct addr20 *contract,
                               struct err *e) MUST_CHECK;

#endif
