/*
 * anchor/registry2.h — the NotaryRegistry2 contract (contracts/NotaryRegistry2.sol,
 * specified in docs/registry-v2.md) as seen from C: an issuer *identity* and its
 * *anchoring keys*, the key history on the ledger, EIP-712 signed key changes.
 * Shared by the notary (which anchors and changes keys) and the verifier (which
 * reads the ledger alone and applies the rule of docs/registry-v2.md §2 with
 * registry2_key_counts()), so both agree on one encoding and one rule.
 *
 * Conventions as anchor/registry.h: call data is appended to a `struct buf`
 * the caller frees; every decoder is strict (each ABI word must hold a value
 * of its declared type, upper bytes zero; exact lengths) because logs and
 * return data come from a ledger endpoint that is not trusted. Views take a
 * block parameter (NULL = "latest"). Errors: E_INVALID for malformed input,
 * E_PROTOCOL for an answer that is not what NotaryRegistry2 returns, the
 * transport's errors (E_NETWORK, …) as rpc_eth_call / rpc_get_logs give them.
 */
#ifndef ANCHOR_REGISTRY2_H
#define ANCHOR_REGISTRY2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/eth.h"
#include "anchor/registry.h"
#include "anchor/signer.h"
#include "core/bytes.h"
#include "core/error.h"

/* "Did not happen" in a key status (docs/registry-v2.md §1): 2^64 − 1. */
#define REGISTRY2_NEVER UINT64_MAX

/* The committed artifacts (contracts/build/NotaryRegistry2.{bin,json}),
 * embedded at build time like registry_creation_hex. */
extern const char registry2_creation_hex[];
extern const char registry2_runtime_hex[];

/* Is the code at `contract` exactly NotaryRegistry2's runtime code? */
err_code registry2_code_matches(struct rpc_client *c, const struct addr20 *contract, bool *match,
                                struct err *e) MUST_CHECK;

/* ---- anchoring ----------------------------------------------------------- */

/* anchor(address identity, bytes32 root, uint64 size, uint64 seq, uint8 kind):
 * 4 + 5·32 bytes appended to `out`. E_INVALID for a kind other than 0/1. */
#define REGISTRY2_ANCHOR_CALLDATA_LEN 164
err_code registry2_anchor_calldata(const struct addr20 *identity, const struct hash32 *root,
                                   uint64_t size, uint64_t seq, enum registry_kind kind,
                                   struct buf *out, struct err *e) MUST_CHECK;

/* Parse call data of anchor(...) (e.g. of a mined transaction). E_INVALID if
 * it is not exactly such a call with in-range arguments. */
err_code registry2_parse_anchor_calldata(const uint8_t *data, size_t len, struct addr20 *identity,
                                         struct hash32 *root, uint64_t *size, uint64_t *seq,
                                         enum registry_kind *kind, struct err *e) MUST_CHECK;

/* ---- key changes ----------------------------------------------------------- */

enum registry2_change_kind {
    REGISTRY2_AUTHORIZE = 0, /* authorizeKey / KeyAuthorized */
    REGISTRY2_RETIRE = 1,    /* retireKey / KeyRetired */
    REGISTRY2_COMPROMISED = 2 /* declareCompromised / KeyCompromised */
};

/* One key change of `identity` about `key`. `since` only for COMPROMISED;
 * `nonce` = nonces(identity) when it is signed (docs/registry-v2.md §4). */
struct registry2_change {
    enum registry2_change_kind kind;
    struct addr20 identity;
    struct addr20 key;
    uint64_t since;
    uint64_t nonce;
};

/* The direct call (sent by the identity itself): authorizeKey(key),
 * retireKey(key) or declareCompromised(key, since). */
err_code registry2_change_calldata(const struct registry2_change *ch, struct buf *out,
                                   struct err *e) MUST_CHECK;

/* An EIP-712 signature as the …BySig functions take it: v ∈ {27, 28}. */
struct registry2_sig {
    uint8_t v;
    struct hash32 r, s;
};

/* The signed call, submitted by anyone: authorizeKeyBySig(identity, key,
 * nonce, v, r, s), retireKeyBySig(…) or declareCompromisedBySig(identity, key,
 * since, nonce, v, r, s). */
err_code registry2_change_bysig_calldata(const struct registry2_change *ch,
                                         const struct registry2_sig *sig, struct buf *out,
                                         struct err *e) MUST_CHECK;

/* EIP-712 (docs/registry-v2.md §4), computed here: the domain separator of
 * the contract `contract` on chain `chain_id`, the hashStruct of a change and
 * the digest the identity signs. Pure functions. */
void registry2_domain_separator(uint64_t chain_id, const struct addr20 *contract,
                                struct hash32 *out);
void registry2_change_hash_struct(const struct registry2_change *ch, struct hash32 *out);
void registry2_change_digest(uint64_t chain_id, const struct addr20 *contract,
                             const struct registry2_change *ch, struct hash32 *out);

/* The same digest as the contract computes it (authorizeKeyDigest,
 * retireKeyDigest or declareCompromisedDigest by eth_call at "latest"): a
 * client compares it with registry2_change_digest() before asking the
 * identity to sign, so a wrong chain, contract or encoding is found before
 * any signature exists. */
err_code registry2_change_digest_view(struct rpc_client *c, const struct addr20 *contract,
                                      const struct registry2_change *ch, struct hash32 *out,
                                      struct err *e) MUST_CHECK;

/* Sign the change's digest with `identity` (whose address must be
 * ch->identity: E_INVALID otherwise): low-s, v = 27 + recovery id. The
 * signature is checked by recovering the address before it is returned. */
err_code registry2_sign_change(const struct signer *identity, uint64_t chain_id,
                               const struct addr20 *contract, const struct registry2_change *ch,
                               struct registry2_sig *out, struct err *e) MUST_CHECK;

/* ---- events -------------------------------------------------------------- */

/* topic0 of Anchored(address,bytes32,uint64,uint64,uint8,address). */
void registry2_anchored_topic(struct hash32 *out);
/* topic0 of KeyAuthorized / KeyRetired / KeyCompromised. */
void registry2_key_topic(enum registry2_change_kind kind, struct hash32 *out);

/* A decoded v2 Anchored event. */
struct registry2_anchored {
    struct addr20 contract; /* the log's emitter */
    struct addr20 identity;
    struct hash32 root;
    uint64_t size;
    uint64_t seq;
    enum registry_kind kind;
    struct addr20 key; /* the anchoring key that sent it */
    uint64_t block_number;
    struct hash32 block_hash;
    struct hash32 tx_hash;
    uint64_t log_index;
};
/* Decode `log` as a v2 Anchored event: exactly 3 topics [topic0, identity,
 * root] and 128 bytes of data (size, seq, kind, key). E_INVALID with why
 * otherwise (a v1 Anchored event is refused: its topic0 differs). The caller
 * still checks log->address. */
err_code registry2_parse_anchored(const struct rpc_log *log, struct registry2_anchored *out,
                                  struct err *e) MUST_CHECK;

/* A decoded KeyAuthorized / KeyRetired / KeyCompromised event. */
struct registry2_key_event {
    enum registry2_change_kind kind;
    struct addr20 contract;
    struct addr20 identity;
    struct addr20 key;
    uint64_t value;  /* authorizedFrom / retiredAt (already the next block) / since */
    uint32_t index;  /* KeyAuthorized only (1, 2, …; < 2^24): the key's index */
    uint64_t block_number;
    struct hash32 tx_hash;
    uint64_t log_index;
};
/* Decode `log` as one of the three key events: exactly 3 topics [topic0,
 * identity, key], data 64 bytes (KeyAuthorized: uint64, uint32) or 32 bytes
 * (the others: uint64). E_INVALID with why otherwise. */
err_code registry2_parse_key_event(const struct rpc_log *log, struct registry2_key_event *out,
                                   struct err *e) MUST_CHECK;

/* ---- views --------------------------------------------------------------- */

/* anchoredAt(identity, root): block_number == 0 means not anchored for it. */
struct registry2_record {
    uint64_t block_number;
    uint64_t timestamp;
    uint64_t size;
    uint64_t seq;
    enum registry_kind kind;
    struct addr20 key;
};
err_code registry2_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                               const struct addr20 *identity, const struct hash32 *root,
                               const char *block, struct registry2_record *out,
                               struct err *e) MUST_CHECK;

/* nextSeq(identity, kind). */
err_code registry2_next_seq(struct rpc_client *c, const struct addr20 *contract,
                            const struct addr20 *identity, enum registry_kind kind,
                            const char *block, uint64_t *out, struct err *e) MUST_CHECK;

/* keyStatus(identity, key): the four block numbers of docs/registry-v2.md §1
 * (REGISTRY2_NEVER = did not happen). */
struct registry2_key_status {
    uint64_t authorized_from;
    uint64_t retired_at;
    uint64_t compromised_since;
    uint64_t identity_compromised_since;
};
err_code registry2_key_status(struct rpc_client *c, const struct addr20 *contract,
                              const struct addr20 *identity, const struct addr20 *key,
                              const char *block, struct registry2_key_status *out,
                              struct err *e) MUST_CHECK;

/* keyCount(identity): keys ever authorized (the identity not counted). */
err_code registry2_key_count(struct rpc_client *c, const struct addr20 *contract,
                             const struct addr20 *identity, const char *block, uint32_t *out,
                             struct err *e) MUST_CHECK;

/* keyAt(identity, index): 0 the identity, 1..keyCount its keys, zero above. */
err_code registry2_key_at(struct rpc_client *c, const struct addr20 *contract,
                          const struct addr20 *identity, uint32_t index, const char *block,
                          struct addr20 *out, struct err *e) MUST_CHECK;

/* nonces(identity): the nonce the next signed change must carry. A nonce
 * beyond 2^64 − 1 is E_PROTOCOL (it counts changes: unreachable). */
err_code registry2_nonce(struct rpc_client *c, const struct addr20 *contract,
                         const struct addr20 *identity, const char *block, uint64_t *out,
                         struct err *e) MUST_CHECK;

/* ---- the rule (docs/registry-v2.md §2) ----------------------------------- */

enum registry2_reason {
    REGISTRY2_COUNTS = 0,              /* the anchor counts for the identity */
    REGISTRY2_NOT_AUTHORIZED,          /* block < authorized_from (incl. never authorized) */
    REGISTRY2_RETIRED,                 /* block ≥ retired_at */
    REGISTRY2_KEY_COMPROMISED,         /* block ≥ compromised_since */
    REGISTRY2_IDENTITY_COMPROMISED,    /* block ≥ identity_compromised_since */
};

/*
 * THE rule, pure: does an anchor mined at `block` by a key whose status (read
 * at the LATEST block, keyStatus or registry2_key_history) is `st` count for
 * the identity?
 *
 *   authorized_from <= block && block < retired_at && block < compromised_since
 *     && block < identity_compromised_since
 *
 * Returns true iff it counts; *reason (may be NULL) gets REGISTRY2_COUNTS or
 * the first failing term in the order NOT_AUTHORIZED, IDENTITY_COMPROMISED,
 * KEY_COMPROMISED, RETIRED (the identity's compromise named before the key's;
 * a compromise before a retirement, as the stronger statement). The block
 * number the reason refers to is the corresponding field of `st`.
 * A verifier gives INVALID when this is false, and names the reason with
 * registry2_reason_format().
 */
bool registry2_key_counts(const struct registry2_key_status *st, uint64_t block,
                          enum registry2_reason *reason);

/* The reason in words, as docs/registry-v2.md §2 phrases it, e.g. "key 0x…
 * was declared compromised since block 41" (into `out`, `max` bytes, always
 * NUL-terminated). `key`/`identity` are named in the text. */
void registry2_reason_format(enum registry2_reason reason, const struct registry2_key_status *st,
                             const struct addr20 *identity, const struct addr20 *key,
                             uint64_t block, char *out, size_t max);

/* ---- the key history from the events ------------------------------------- */

/* One key of an identity, rebuilt from its events. Entry 0 is the identity
 * itself (authorized_from 0, index 0); then the keys in order of index. */
struct registry2_key_entry {
    struct addr20 key;
    uint32_t index;
    struct registry2_key_status status; /* as keyStatus would answer at the range's end */
    uint64_t authorized_block;  /* block of the KeyAuthorized event (REGISTRY2_NEVER for entry 0) */
    uint64_t retired_block;     /* block of the KeyRetired event, or REGISTRY2_NEVER */
    uint64_t compromised_block; /* block of the last KeyCompromised event, or REGISTRY2_NEVER */
};

/* Most keys registry2_key_history() returns (E_LIMIT beyond). */
#define REGISTRY2_MAX_KEYS 4096
/* Default eth_getLogs window (blocks); halved down to 1 when the node says
 * the answer is too large (E_LIMIT). */
#define REGISTRY2_LOG_WINDOW 50000

/*
 * Rebuild `identity`'s key history on `contract` from eth_getLogs (topic1 =
 * identity) over blocks [from_block, to_block] (to_block REGISTRY2_NEVER =
 * the latest block at the time of the call), in windows of at most `window`
 * blocks (0 = REGISTRY2_LOG_WINDOW). Every key event must decode strictly and
 * be consistent (a key authorized once, retired/compromised only after its
 * authorization, a later compromise naming an earlier block): a log that
 * breaks this is E_PROTOCOL. Anchored events are skipped.
 * Out: *keys (caller frees with free()), *n ≥ 1 (entry 0 is the identity).
 */
err_code registry2_key_history(struct rpc_client *c, const struct addr20 *contract,
                               const struct addr20 *identity, uint64_t from_block,
                               uint64_t to_block, uint64_t window,
                               struct registry2_key_entry **keys, size_t *n,
                               struct err *e) MUST_CHECK;

/* ---- reverts ----------------------------------------------------------- */

/*
 * Words for revert data of NotaryRegistry2 (its custom errors, §3 "Errors"),
 * e.g. "NotAuthorized: 0xab… is not an anchoring key of identity 0xcd…".
 * Returns false (and writes nothing useful) if `data` is not one of them with
 * exactly its arguments. `out` always NUL-terminated.
 */
bool registry2_revert_text(const uint8_t *data, size_t len, char *out, size_t max);

#endif
