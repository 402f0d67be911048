/*
 * verifier/online.h — the ledger checks of a bundle, from the verifier's own
 * choice of JSON-RPC endpoint and nothing of the issuer's.
 *
 * For an "evm" bundle (contracts/NotaryRegistry.sol), appended as named
 * checks to a verify_result after the offline ones:
 *   ledger.chainId        eth_chainId equals anchor.chainId
 *   issuer                anchor.issuer is one the verifier trusts (skipped,
 *                         with a warning, when no trusted issuer was given)
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
 *   ledger.block          the receipt's block is the canonical block at that
 *                         height and matches anchor.blockNumber, blockHash and
 *                         blockTime; a bundle whose own block a reorg took
 *                         away (transaction re-mined elsewhere, pending again
 *                         or gone) is UNKNOWN: stale, ask for a fresh one
 *   ledger.confirmations  at least the required depth (else UNKNOWN: pending)
 * An unreachable ledger is UNKNOWN ("ledger"), never VALID or INVALID.
 * With pinned contracts (opts.contracts), ledger.contract also requires
 * anchor.contract to be one of them. "ebsi" bundles: verifier/online_ebsi.h.
 */
#ifndef VERIFIER_ONLINE_H
#define VERIFIER_ONLINE_H

#include "anchor/evm.h"
#include "anchor/rpc.h"
#include "core/bundle.h"
#include "verifier/verify.h"

#define VERIFY_MAX_TRUSTED 256

struct verify_online_opts {
    const char *rpc_url;
    const char *bearer_token;           /* NULL: none */
    const struct addr20 *trusted;       /* issuers the verifier trusts; n_trusted 0 = none given */
    size_t n_trusted;
    const struct addr20 *contracts;     /* contracts the verifier pins (--contract); 0 = none */
    size_t n_contracts;
    bool require_timestamp_code;        /* ebsi: the contract must run the committed Timestamp code */
    uint64_t confirmations;             /* required depth, ≥ 1 */
    unsigned timeout_ms;                /* per request (0 = default) */
    unsigned max_attempts;              /* per request (0 = default) */
    uint64_t deadline_ms;               /* rpc_options.deadline_ms for every call (0 = none) */
};

/* Run the ledger checks of `b` (already checked offline into *r). Replaces
 * the offline "anchor" SKIPPED note; sets r->online, and r->ledger_checked
 * when every ledger check passed. Never fails: every problem becomes a check. */
void verify_online(const struct bundle *b, const struct verify_online_opts *opt,
                   struct verify_result *r);

/*
 * For the ledger flows (evm here, ebsi in online_ebsi.c): the checks both
 * start with — issuer trust ("anchored by" / "timestamped by" as `verb`),
 * connecting to the verifier's endpoint, and its chain id. Returns true with
 * *l connected (the caller evm_close()s it) when the ledger checks go on;
 * false when the result already says why they cannot.
 */
bool verify_online_begin(const struct bundle *b, const struct verify_online_opts *opt,
                         const char *verb, struct verify_result *r, struct evm_ledger *l);

/* The last two ledger checks of both flows: "ledger.block" (the receipt's
 * block is canonical at its height and matches the bundle's number, hash and
 * time — and `record_time`, the contract's own record, when not NULL) and
 * "ledger.confirmations" (depth ≥ opt->confirmations, else UNKNOWN). Sets
 * r->ledger_checked = all_ok when both pass. Returns E_OK, or the ledger's
 * error when it could not be asked (the caller reports it as unreachable). */
err_code verify_online_block(const struct bundle *b, const struct verify_online_opts *opt,
                             struct evm_ledger *l, uint64_t block, const struct hash32 *hash,
                             const uint64_t *record_time, bool all_ok, struct verify_result *r,
                             struct err *e) MUST_CHECK;

/*
 * A bundle whose block a reorg took away is stale, not forged (docs/
 * proof-format.md §5 items 4 and 7): both flows ask the same questions.
 *   verify_online_stale: is the bundle's own block (anchor.blockNumber,
 *     anchor.blockHash) no longer the canonical block at that height, and
 *     not a block the node knows at another height (an altered number)?
 *   verify_online_stale_check: the UNKNOWN "ledger.block" check saying so,
 *     naming the bundle's block and `now` (where the transaction is now).
 *   verify_online_missing_tx: anchor.txHash is unknown to the ledger:
 *     UNKNOWN (stale) if the bundle's block is gone, else an INVALID
 *     "ledger.transaction" (the block is there without the transaction).
 *   verify_online_pending_tx: anchor.txHash is known but not mined:
 *     UNKNOWN either way, saying whether the bundle's block is gone.
 * They return the ledger's error when it could not be asked.
 */
err_code verify_online_stale(struct evm_ledger *l, const struct bundle *b, bool *stale,
                             struct err *e) MUST_CHECK;
void verify_online_stale_check(struct verify_result *r, const struct bundle *b, const char *now);
err_code verify_online_missing_tx(struct evm_ledger *l, const struct bundle *b,
                                  struct verify_result *r, struct err *e) MUST_CHECK;
err_code verify_online_pending_tx(struct evm_ledger *l, const struct bundle *b,
                                  struct verify_result *r, struct err *e) MUST_CHECK;

/* The ledger could not be consulted: an UNKNOWN "ledger" check with why. */
void verify_online_unreachable(struct verify_result *r, const struct err *e);

/* Read a trusted-issuers file: one 0x address per line, '#' comments and
 * blank lines ignored, at most VERIFY_MAX_TRUSTED (else E_LIMIT). Out:
 * out[0..*n). Errors: a malformed line → E_INVALID naming the file and its
 * line number (blank and comment lines counted); a file with no address at
 * all (empty, only comments, /dev/null) → E_INVALID "no issuers in FILE":
 * an empty list never means "trust everyone"; read errors as file_read_all. */
err_code verify_trusted_read(const char *path, struct addr20 *out, size_t *n,
                             struct err *e) MUST_CHECK;

#endif
