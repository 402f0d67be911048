/*
 * anchor/evm.h — the "evm" ledger driver: plain Ethereum JSON-RPC to any EVM
 * chain (Besu, geth, the local ganache).
 *
 * It knows how to connect safely (the chain id is checked on every
 * connection: we refuse to sign for a chain we were not configured for),
 * how to price and build a transaction for the chain's fee model (EIP-1559
 * when the latest block has a base fee, legacy EIP-155 otherwise — e.g. a
 * Besu network with gasPrice 0), and how to tell where a transaction we sent
 * stands: unknown to the node, pending, mined and how deep, or reverted;
 * "mined" only counts when the receipt's block is still the canonical block
 * at that height (a reorg otherwise).
 */
#ifndef ANCHOR_EVM_H
#define ANCHOR_EVM_H

#include <stdbool.h>
#include <stdint.h>

#include "anchor/eth.h"
#include "anchor/tx.h"
#include "core/bytes.h"
#include "core/error.h"

struct evm_ledger {
    struct rpc_client *rpc; /* owned */
    uint64_t chain_id;      /* as the node reported it, == the expected one */
};

/*
 * Connect and check eth_chainId. `expect_chain_id` 0 accepts whatever the
 * node says (only for `init`, which then records it). A mismatch is
 * E_STATE: "ledger at URL is chain 5, this notary is configured for 1337;
 * refusing to sign". E_NETWORK if unreachable.
 */
err_code evm_connect(const struct rpc_options *opt, uint64_t expect_chain_id,
                     struct evm_ledger *out, struct err *e) MUST_CHECK;
void evm_close(struct evm_ledger *l);

/* Fee policy: caps for what we are willing to pay. */
struct evm_fee_policy {
    uint64_t max_fee_cap_wei;     /* never offer more per gas than this (0 = 500 gwei) */
    uint64_t priority_fee_wei;    /* tip when the node has no suggestion (0 = 1 gwei) */
};

/*
 * Fill a transaction's type and fees for the chain: EIP-1559 with
 * maxFee = 2·baseFee + tip when the latest block has a base fee (the tip
 * from eth_maxPriorityFeePerGas if the node has it), else legacy with
 * eth_gasPrice (0 on a gas-free Besu network). E_LIMIT if the fee would
 * exceed the policy cap.
 */
err_code evm_price_tx(struct evm_ledger *l, const struct evm_fee_policy *policy, struct tx *t,
                      struct err *e) MUST_CHECK;

/*
 * Price a replacement for `old` (a signed transaction of ours that is stuck
 * in the pool): `t` is filled as a copy of `old` (same type, chain, nonce,
 * gas, to, value, data) with higher fees, as nodes require to replace a
 * pooled transaction at the same nonce — geth's and Besu's default price
 * bump is 10%, and for EIP-1559 both maxPriorityFeePerGas and maxFeePerGas
 * must rise by it:
 *   EIP-1559: tip = max(⌈1.1·old tip⌉, the node's suggested tip),
 *             maxFee = max(⌈1.1·old maxFee⌉, 2·baseFee(latest) + tip);
 *   legacy:   gasPrice = max(⌈1.1·old gasPrice⌉, eth_gasPrice).
 * The offer is limited to the policy cap: a fee above the cap is lowered to
 * it as long as that is still a 10% bump, else E_LIMIT with a message
 * saying so (the transaction stays as it is). A legacy transaction with
 * gasPrice 0 (a gas-free network) is E_UNSUPPORTED: no price can improve
 * it. `t` is initialised here; the caller tx_clear()s it.
 */
err_code evm_bump_fees(struct evm_ledger *l, const struct evm_fee_policy *policy,
                       const struct tx *old, struct tx *t, struct err *e) MUST_CHECK;

/*
 * Build a complete unsigned transaction from `from` to `to` (NULL =
 * contract creation) with `data` at `nonce`: chain id, fees (evm_price_tx),
 * gas = eth_estimateGas + 25%. A revert during estimation is E_PROTOCOL
 * with the node's message (the call would fail: do not send it).
 * `t` is initialised here; the caller tx_clear()s it.
 */
err_code evm_build_tx(struct evm_ledger *l, const struct evm_fee_policy *policy,
                      const struct addr20 *from, const struct addr20 *to, const uint8_t *data,
                      size_t len, uint64_t nonce, struct tx *t, struct err *e) MUST_CHECK;

enum evm_tx_status {
    EVM_TX_UNKNOWN,  /* the node knows nothing of it: never arrived, dropped, or reorged out */
    EVM_TX_PENDING,  /* in the node's pool, not mined */
    EVM_TX_MINED,    /* mined with status 1, in a canonical block */
    EVM_TX_REVERTED, /* mined with status 0 */
};

struct evm_tx_state {
    enum evm_tx_status status;
    uint64_t block_number;  /* MINED / REVERTED */
    struct hash32 block_hash;
    uint64_t block_time;
    uint64_t confirmations; /* latest − block + 1 */
    uint64_t gas_used;
    struct rpc_receipt receipt; /* MINED / REVERTED: owned, freed by evm_tx_state_free */
};

/* Where does transaction `txhash` stand? A receipt whose block is no longer
 * canonical at its height counts as UNKNOWN (reorged out). */
err_code evm_tx_state(struct evm_ledger *l, const struct hash32 *txhash, struct evm_tx_state *out,
                      struct err *e) MUST_CHECK;
void evm_tx_state_free(struct evm_tx_state *s);

/* Is `hash` still the canonical block at `number`, and how many blocks deep
 * (latest − number + 1)? *canonical false with depth 0 if not. */
err_code evm_block_canonical(struct evm_ledger *l, uint64_t number, const struct hash32 *hash,
                             bool *canonical, uint64_t *depth, uint64_t *block_time,
                             struct err *e) MUST_CHECK;

#endif
