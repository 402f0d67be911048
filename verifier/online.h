/*
 * verifier/online.h — the ledger checks of a bundle, from the verifier's own
 * choice of JSON-RPC endpoint and nothing of the issuer's.
 *
 * For an "evm" bundle (contracts/NotaryRegistry.sol), appended as named
 * checks to a verify_result after the offline ones:
 *   ledger.chainId        eth_chainId equals anchor.chainId
 *   issuer                anchor.issuer is one the verifier pins, by address
 *                         or by a did:web name, or, with nothing pinned, the
 *                         DID the credential names as its issuer lists it
 *                         (verifier/issuer.h); UNKNOWN when neither names it
 *   ledger.contract       the code at anchor.contract is exactly the
 *                         NotaryRegistry runtime code (a contract that merely
 *                         emits look-alike events is refused)
 *   ledger.transaction    anchor.txHash is mined with status 1, sent by the
 *                         issuer to the contract
 *   ledger.event          its receipt has the Anchored event from the
 *                         contract with this issuer, root, size, seq and kind
 *                         (a transaction that merely contains the root fails)
 *   ledger.record         the contract's anchoredAt(issuer, root) names the
 *                         same block, size and seq: the size is bound by the
 *                         anchored record, not by the bundle alone
 *   issuer.key            NotaryRegistry2 only (docs/proof-format.md §5.2):
 *                         the issuer is an identity, the transaction's sender
 *                         K one of its keys (the event and the record name K,
 *                         not the sender check); keyStatus(issuer, K) at the
 *                         latest block and registry2_key_counts with the
 *                         anchor's block: INVALID with the reason when the
 *                         key does not count
 *   ledger.block          the receipt's block is the canonical block at that
 *                         height and matches anchor.blockNumber, blockHash and
 *                         blockTime; a bundle whose own block a reorg took
 *                         away (transaction re-mined elsewhere, pending again
 *                         or gone) is UNKNOWN: stale, ask for a fresh one
 *   ledger.confirmations  at least the required depth (else UNKNOWN: pending)
 * An unreachable ledger is UNKNOWN ("ledger"), never VALID or INVALID.
 * With pinned contracts (opts.contracts), ledger.contract also requires
 * anchor.contract to be one of them.
 *
 * For an "ebsi" bundle (the root was written by EBSI's Timestamp contract,
 * anchor/ebsi.h), the same names and outcomes:
 *   issuer, ledger.chainId  as above ("timestamped by")
 *   ledger.contract       anchor.contract is a contract the verifier pinned
 *                         (--contract), and/or runs exactly the committed
 *                         Timestamp code (--timestamp-code); SKIPPED with a
 *                         warning when neither was asked for — on EBSI the
 *                         contract is EBSI's own, whose address is published,
 *                         so pinning the address is the check that matters
 *   ledger.transaction    as above, and its input is exactly
 *                         timestampHashes([id], [batch.root], [record]) with
 *                         record = {"kind":"issuance","seq":…,"size":…,"v":1}
 *   ledger.event          its receipt has TimestampedHashes from the contract
 *                         with from = issuer, hashValue = root, the same
 *                         record and the receipt's block number
 *   ledger.record         getTimestamp(root) names the issuer, the same block
 *                         and record (first write wins: the root is the
 *                         issuer's, with this size and seq)
 *   ledger.block          as above, and the block time is the contract's
 *                         recorded timestamp
 *   ledger.confirmations  as above
 *
 * Where the code is: verifier/online.c drives the sequence and asks
 * everything both flows ask alike; verifier/online_evm.c and
 * verifier/online_ebsi.c answer each ledger's own questions through the
 * table in verifier/online_flow.h.
 */
#ifndef VERIFIER_ONLINE_H
#define VERIFIER_ONLINE_H

#include "anchor/evm.h"
#include "anchor/rpc.h"
#include "core/bundle.h"
#include "verifier/issuer.h"
#include "verifier/verify.h"

struct verify_online_opts {
    const char *rpc_url;
    const char *bearer_token;           /* NULL: none */
    const struct verify_trusted *trusted; /* issuers the verifier trusts (issuer.h); NULL or
                                             empty = none given */
    const struct did_web_opts *did;     /* how trusted DIDs are resolved (NULL = defaults) */
    const struct credential_issuer *claim; /* the issuer the credential names (core/
                                              credential.h); NULL = none (a hash given) */
    const struct addr20 *contracts;     /* contracts the verifier pins (--contract); 0 = none */
    size_t n_contracts;
    bool require_timestamp_code;        /* ebsi: the contract must run the committed Timestamp code */
    uint64_t confirmations;             /* required depth, ≥ 1 */
    unsigned timeout_ms;                /* per request (0 = default) */
    unsigned max_attempts;              /* per request (0 = default) */
    uint64_t deadline_ms;               /* rpc_options.deadline_ms for every call (0 = none) */
    struct rpc_memo *memo;              /* rpc_options.memo: ledger answers shared for a run
                                           (verify --batch; NULL = none) */
};

/* Run the ledger checks of `b` (already checked offline into *r), for its
 * anchor.ledger (evm or ebsi; another flow is an UNKNOWN "ledger" check).
 * Replaces the offline "anchor" SKIPPED note; sets r->online, and
 * r->ledger_checked when every ledger check passed. Never fails: every
 * problem becomes a check. */
void verify_online(const struct bundle *b, const struct verify_online_opts *opt,
                   struct verify_result *r);

#endif
