/*
 * verifier/online_ebsi.h — the ledger checks of an "ebsi" bundle: the root
 * was written by EBSI's Timestamp contract (anchor/ebsi.h), and everything
 * is confirmed from the verifier's own ledger endpoint alone, with the same
 * check names and outcomes as the "evm" path (verifier/online.h):
 *
 *   issuer                anchor.issuer is a trusted issuer (SKIPPED with a
 *                         warning when none was given)
 *   ledger.chainId        eth_chainId equals anchor.chainId
 *   ledger.contract       anchor.contract is a contract the verifier pinned
 *                         (--contract), and/or runs exactly the committed
 *                         Timestamp code (--timestamp-code); SKIPPED with a
 *                         warning when neither was asked for — on EBSI the
 *                         contract is EBSI's own, whose address is published,
 *                         so pinning the address is the check that matters
 *   ledger.transaction    anchor.txHash is mined with status 1, sent by the
 *                         issuer to anchor.contract, and its input is exactly
 *                         timestampHashes([id], [batch.root], [record]) with
 *                         record = {"kind":"issuance","seq":…,"size":…,"v":1}
 *   ledger.event          its receipt has HashTimestamped from the contract
 *                         with from = issuer, hashValue = root, the same
 *                         record and the receipt's block number
 *   ledger.record         getTimestamp(root) names the issuer, the same block
 *                         and record (first write wins: the root is the
 *                         issuer's, with this size and seq)
 *   ledger.block          the block is canonical and matches anchor
 *                         blockNumber, blockHash and blockTime (and the
 *                         contract's recorded timestamp)
 *   ledger.confirmations  at least the required depth (else UNKNOWN)
 * An unreachable ledger is UNKNOWN ("ledger"), never VALID or INVALID.
 */
#ifndef VERIFIER_ONLINE_EBSI_H
#define VERIFIER_ONLINE_EBSI_H

#include "core/bundle.h"
#include "verifier/online.h"
#include "verifier/verify.h"

/* Run the checks above for an anchored bundle whose anchor.ledger is ebsi.
 * Called by verify_online(); never fails: every problem becomes a check. */
void verify_online_ebsi(const struct bundle *b, const struct verify_online_opts *opt,
                        struct verify_result *r);

#endif
