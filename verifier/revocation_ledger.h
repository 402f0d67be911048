/*
 * verifier/revocation_ledger.h — an issuer's anchored records, read from the
 * ledger alone, the same way for both ledger flows:
 *   - evm: the NotaryRegistry's Anchored events via eth_getLogs in bounded
 *     block windows, and its nextSeq/anchoredAt views (the registry refuses
 *     a gap or a repeat in an issuer's sequence numbers);
 *   - ebsi: EBSI's Timestamp contract (anchor/ebsi.h): the issuer's
 *     TimestampedHashes events (nothing indexed: every event of the
 *     contract in the window, kept when its transaction's from is the
 *     issuer) whose
 *     timestampData is our record {"kind":…,"seq":…,"size":…,"v":1}, and
 *     getTimestamp(root) for the contract's own record. The contract keeps
 *     no counter and does not enforce sequence numbers, so the count and
 *     the contiguity of an issuer's history come from its events alone
 *     (vrev_ledger_history, vrev_history_numbered).
 *   - evm on NotaryRegistry2 (docs/registry-v2.md; found by the contract's
 *     code at open): the issuer is the identity; its v2 Anchored events
 *     (topic1 = identity) carry the anchoring key, and each record is judged
 *     by the key-history rule (registry2_key_counts with the key's status
 *     rebuilt from the events at open, B = the record's block). A record
 *     whose key does not count is returned by vrev_ledger_anchors flagged
 *     (counts false, for the auditor) and is never used by count, find,
 *     history or record: a checkpoint by a non-counting key does not count.
 * Used by the "revocation" check (verifier/revocation.h) and the auditor
 * (verifier/audit.h). Every function that asks the ledger returns its
 * error (E_NETWORK, E_PROTOCOL, E_LIMIT, ...) with a message; nothing here
 * decides a credential's status.
 */
#ifndef VERIFIER_REVOCATION_LEDGER_H
#define VERIFIER_REVOCATION_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "anchor/rpc.h"
#include "core/bundle.h"

/* Blocks per eth_getLogs request (nodes commonly cap ranges near 5,000–10,000). */
#define VREV_DEFAULT_WINDOW 5000u

/* One Anchored event of the issuer, with its block's time. */
struct vrev_anchor {
    struct registry_event ev; /* kind, seq, size, root, block, tx, log index */
    uint64_t block_time;
    struct addr20 key;        /* the anchoring key (NotaryRegistry2), else the issuer */
    bool counts;              /* the key counted at ev.block_number (always true but on v2) */
    enum registry2_reason why; /* when !counts */
};

struct vrev_ledger {
    enum bundle_ledger ledger; /* evm: NotaryRegistry; ebsi: Timestamp contract */
    struct rpc_client *rpc;  /* owned */
    uint64_t chain_id;
    struct addr20 contract;
    struct addr20 issuer;
    uint64_t head;           /* newest block considered: latest − confirmations + 1 */
    uint64_t window;         /* blocks per eth_getLogs */
    bool v2;                 /* evm: the contract runs NotaryRegistry2 */
    struct registry2_key_entry *keys; /* v2: the identity's key history (entry 0 itself) */
    size_t n_keys;
};

/* Connect to the ledger of flow `ledger` (evm: `contract` is the
 * NotaryRegistry or NotaryRegistry2 — told apart by its code, and on v2 the
 * issuer's key history is read from the events up to the latest block;
 * ebsi: EBSI's Timestamp contract) — no chain id is imposed; l->chain_id is
 * what the node says — and fix the head block at `confirmations` (≥ 1)
 * below the latest. */
err_code vrev_ledger_open(struct vrev_ledger *l, enum bundle_ledger ledger,
                          const struct rpc_options *ro, const struct addr20 *contract,
                          const struct addr20 *issuer, uint64_t confirmations, uint64_t window,
                          struct err *e) MUST_CHECK;
void vrev_ledger_close(struct vrev_ledger *l);

/* v2: the status of `key` for the issuer by the history read at open (a key
 * the identity never authorized: authorized_from REGISTRY2_NEVER, with the
 * identity's own compromise). Not v2: every field REGISTRY2_NEVER but
 * authorized_from 0 (counts at every block). */
void vrev_ledger_key_status(const struct vrev_ledger *l, const struct addr20 *key,
                            struct registry2_key_status *out);

/* How many records of `kind` the issuer has anchored as of the head block.
 * evm: the registry's nextSeq (v2: 1 + the highest seq among the records
 * that count, from vrev_ledger_history). ebsi: 1 + the highest seq among the issuer's
 * records of `kind` (vrev_ledger_history; 0 if none) — a count the events
 * claim, not one the contract enforces. */
err_code vrev_ledger_count(struct vrev_ledger *l, enum registry_kind kind, uint64_t *n,
                           struct err *e) MUST_CHECK;

/* Every record of the issuer on the contract in blocks [from, min(to,
 * head)], both kinds, in chain order, with block times; eth_getLogs is
 * asked l->window blocks at a time. evm: the Anchored events. ebsi: the
 * TimestampedHashes events whose transaction's sender (one
 * eth_getTransactionByHash per candidate transaction) is the issuer, whose hash is 32 bytes and
 * whose data is exactly our record (anything else the issuer's key
 * timestamped is not ours and is left out), mapped onto struct
 * registry_event (kind issuance → batch, revocation → checkpoint). *out
 * malloc'd. */
err_code vrev_ledger_anchors(struct vrev_ledger *l, uint64_t from, uint64_t to,
                             struct vrev_anchor **out, size_t *n, struct err *e) MUST_CHECK;

/* The issuer's record `seq` of `kind`: looked for first in block `hint`
 * (when nonzero, e.g. from a log copy — the ledger confirms it), then by
 * walking back from the head one window at a time. E_NOT_FOUND if absent.
 * (ebsi, where a seq may repeat: the first in chain order within the
 * newest window that holds one.) */
err_code vrev_ledger_find(struct vrev_ledger *l, enum registry_kind kind, uint64_t seq,
                          uint64_t hint, struct vrev_anchor *out, struct err *e) MUST_CHECK;

/* The issuer's records of `kind`, read backwards from the head one window
 * at a time until a window holds its record with seq 0 (or block 0 is
 * reached), returned in chain order. This is the whole history the
 * sequence numbers claim (records before the first seq 0 are not read: the
 * auditor scans everything). *out malloc'd (NULL when *n is 0). */
err_code vrev_ledger_history(struct vrev_ledger *l, enum registry_kind kind,
                             struct vrev_anchor **out, size_t *n, struct err *e) MUST_CHECK;

/* The contract's own record of `root` as of the head block. evm:
 * anchoredAt(issuer, root) (v2: ours only when its key counts at its block). ebsi: getTimestamp(root) — the first write of
 * those bytes, by whomever. */
struct vrev_record {
    bool ours;               /* anchored by the issuer, as one of our records */
    bool other;              /* ebsi: first timestamped by another address */
    struct addr20 by;        /* who wrote it (when ours or other; v2: the anchoring key) */
    enum registry_kind kind; /* when ours: */
    uint64_t seq, size, block_number, block_time;
};
err_code vrev_ledger_record(struct vrev_ledger *l, const struct hash32 *root,
                            struct vrev_record *out, struct err *e) MUST_CHECK;

/* Order the issuer's revocation checkpoints v[0..n-1] (as
 * vrev_ledger_history gives them) by seq, chain order among equal seqs, in
 * place, and check they are numbered exactly 0..n-1, once each (the
 * Timestamp contract does not enforce it). NULL if so, else the finding's
 * name ("seq-repeat" or "seq-gap") with a detail naming checkpoints in
 * why[0..wn). */
const char *vrev_history_numbered(struct vrev_anchor *v, size_t n, char *why, size_t wn);

#endif
