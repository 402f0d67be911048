/*
 * notary/anchoring/keychange.h — NotaryRegistry2 key changes sent from the
 * notary (docs/registry-v2.md §3, §7): an issuer identity (its key kept
 * offline, loaded only for the command) signs an EIP-712 change, and the
 * anchoring key submits the …BySig call and pays for it, so the identity
 * needs no funds. Used by `notary init --identity-key` and `notary key`.
 *
 * Nothing here stores or logs a key or a password: the identity signer is
 * borrowed for one signature and the caller frees it.
 */
#ifndef NOTARY_KEYCHANGE_H
#define NOTARY_KEYCHANGE_H

#include "anchor/evm.h"
#include "anchor/registry2.h"
#include "anchor/signer.h"

/* What a mined key change cost and where it is. */
struct keychange_result {
    struct hash32 tx_hash;
    uint64_t block_number;
    uint64_t gas_used;
};

/*
 * Make the change `ch` (its kind, identity, key and, for COMPROMISED, since;
 * ch->nonce is filled here from nonces(identity)) on `contract`:
 *  1. the EIP-712 digest is computed here and compared with the contract's
 *     digest view (eth_call): a mismatch is E_STATE (wrong contract or chain),
 *     nothing is signed;
 *  2. `identity` signs it (its address must be ch->identity: E_INVALID);
 *  3. `sender` (the anchoring key, which pays) sends the …BySig call, and the
 *     call waits up to timeout_s for `confirmations` blocks.
 * A revert — at estimation or mined — is E_STATE with the contract's custom
 * error in words (registry2_revert_text), e.g. "SinceBeforeAuthorization:
 * block 3 is before the key's authorization at block 9"; an account that
 * cannot pay is E_STATE saying which to fund; E_NETWORK when the ledger goes
 * away (the change may or may not be mined: `notary key list` tells).
 */
err_code keychange_submit(struct evm_ledger *l, const struct signer *sender,
                          const struct signer *identity, const struct addr20 *contract,
                          struct registry2_change *ch, uint64_t confirmations, unsigned timeout_s,
                          struct keychange_result *out, struct err *e) MUST_CHECK;

/* The first block whose timestamp is ≥ `t` (Unix seconds), by bisection
 * over block headers from 0 to the latest; E_NOT_FOUND if the latest block
 * is older than t (a compromise cannot be declared in the future). */
err_code keychange_block_at_time(struct evm_ledger *l, uint64_t t, uint64_t *block,
                                 struct err *e) MUST_CHECK;

#endif
