/*
 * verifier/revocation.h — revocation status from the ledger and a copy of
 * the issuer's revocation log (DESIGN.md "Revocation and audit";
 * docs/revocation-format.md).
 *
 * Trust comes from the ledger only. The issuer anchors checkpoints (size,
 * root) of its append-only revocation log as kind 1 records of the
 * NotaryRegistry; a copy of the log may come from anywhere (the notary, a
 * mirror, a file) because it is checked against those anchored roots: the
 * first `size` entries of the copy must give the anchored root. Then:
 *   - the credential is among those entries → REVOKED, no later than the
 *     block time of the first anchored checkpoint that covers its entry;
 *   - it is not → VALID "not revoked as of checkpoint N at time T";
 *   - the copy does not reproduce the root → the copy is INVALID and the
 *     credential's status UNKNOWN (never REVOKED or VALID because of a bad
 *     mirror or a failed network call);
 *   - no copy → UNKNOWN, unless the issuer never anchored a checkpoint.
 * A revocation of the credential that the copy lists after the newest
 * anchored checkpoint cannot be proven yet: the status is UNKNOWN ("pending
 * revocation") until a checkpoint covers it.
 *
 * Ledger reading sits behind the small rev_ledger_* functions, so both
 * ledger flows supply the same answers:
 *   - evm: the registry's Anchored events via eth_getLogs in bounded block
 *     windows, and its nextSeq/anchoredAt views (the registry refuses a gap
 *     or a repeat in an issuer's sequence numbers);
 *   - ebsi: EBSI's Timestamp contract (anchor/ebsi.h): the issuer's
 *     HashTimestamped events (topic1 = from = the issuer) whose timestampData
 *     is our record {"kind":…,"seq":…,"size":…,"v":1}, and getTimestamp(root)
 *     for the contract's own record. The contract keeps no counter and does
 *     not enforce sequence numbers, so the count and the contiguity of an
 *     issuer's history come from its events alone (rev_ledger_history): a
 *     repeated or missing seq is a finding, and `verifier verify` then
 *     reports the status UNKNOWN (docs/revocation-format.md §5.1).
 * The auditor (verifier/audit.h) uses them and revocation_analyse() too.
 * This file never includes notary/.
 */
#ifndef VERIFIER_REVOCATION_H
#define VERIFIER_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/registry.h"
#include "anchor/rpc.h"
#include "core/bundle.h"
#include "core/revlog.h"
#include "verifier/verify.h"

/* Blocks per eth_getLogs request (nodes commonly cap ranges near 5,000–10,000). */
#define REV_DEFAULT_WINDOW 5000u
/* A revocation time more than this after the block time of the checkpoint
 * that anchored it cannot be honest (clock skew allowance, seconds). */
#define REV_CLOCK_SKEW 300

/* ---- ledger reading --------------------------------------------------------- */

/* One Anchored event of the issuer, with its block's time. */
struct rev_anchor {
    struct registry_event ev; /* kind, seq, size, root, block, tx, log index */
    uint64_t block_time;
};

struct rev_ledger {
    enum bundle_ledger ledger; /* evm: NotaryRegistry; ebsi: Timestamp contract */
    struct rpc_client *rpc;  /* owned */
    uint64_t chain_id;
    struct addr20 contract;
    struct addr20 issuer;
    uint64_t head;           /* newest block considered: latest − confirmations + 1 */
    uint64_t window;         /* blocks per eth_getLogs */
};

/* Connect to the ledger of flow `ledger` (evm: `contract` is the
 * NotaryRegistry; ebsi: EBSI's Timestamp contract) — no chain id is
 * imposed; l->chain_id is what the node says — and fix the head block at
 * `confirmations` (≥ 1) below the latest. */
err_code rev_ledger_open(struct rev_ledger *l, enum bundle_ledger ledger,
                         const struct rpc_options *ro, const struct addr20 *contract,
                         const struct addr20 *issuer, uint64_t confirmations, uint64_t window,
                         struct err *e) MUST_CHECK;
void rev_ledger_close(struct rev_ledger *l);

/* How many records of `kind` the issuer has anchored as of the head block.
 * evm: the registry's nextSeq. ebsi: 1 + the highest seq among the issuer's
 * records of `kind` (rev_ledger_history; 0 if none) — a count the events
 * claim, not one the contract enforces. */
err_code rev_ledger_count(struct rev_ledger *l, enum registry_kind kind, uint64_t *n,
                          struct err *e) MUST_CHECK;

/* Every record of the issuer on the contract in blocks [from, min(to,
 * head)], both kinds, in chain order, with block times; eth_getLogs is
 * asked l->window blocks at a time. evm: the Anchored events. ebsi: the
 * HashTimestamped events with from = the issuer whose hash is 32 bytes and
 * whose data is exactly our record (anything else the issuer's key
 * timestamped is not ours and is left out), mapped onto struct
 * registry_event (kind issuance → batch, revocation → checkpoint). *out
 * malloc'd. */
err_code rev_ledger_anchors(struct rev_ledger *l, uint64_t from, uint64_t to,
                            struct rev_anchor **out, size_t *n, struct err *e) MUST_CHECK;

/* The issuer's record `seq` of `kind`: looked for first in block `hint`
 * (when nonzero, e.g. from a log copy — the ledger confirms it), then by
 * walking back from the head one window at a time. E_NOT_FOUND if absent.
 * (ebsi, where a seq may repeat: the first in chain order within the
 * newest window that holds one.) */
err_code rev_ledger_find(struct rev_ledger *l, enum registry_kind kind, uint64_t seq,
                         uint64_t hint, struct rev_anchor *out, struct err *e) MUST_CHECK;

/* The issuer's records of `kind`, read backwards from the head one window
 * at a time until a window holds its record with seq 0 (or block 0 is
 * reached), returned in chain order. This is the whole history the
 * sequence numbers claim (records before the first seq 0 are not read: the
 * auditor scans everything). *out malloc'd (NULL when *n is 0). */
err_code rev_ledger_history(struct rev_ledger *l, enum registry_kind kind,
                            struct rev_anchor **out, size_t *n, struct err *e) MUST_CHECK;

/* The contract's own record of `root` as of the head block. evm:
 * anchoredAt(issuer, root). ebsi: getTimestamp(root) — the first write of
 * those bytes, by whomever. */
struct rev_record {
    bool ours;               /* anchored by the issuer, as one of our records */
    bool other;              /* ebsi: first timestamped by another address */
    struct addr20 by;        /* who wrote it (when ours or other) */
    enum registry_kind kind; /* when ours: */
    uint64_t seq, size, block_number, block_time;
};
err_code rev_ledger_record(struct rev_ledger *l, const struct hash32 *root, struct rev_record *out,
                           struct err *e) MUST_CHECK;

/* ---- log copies --------------------------------------------------------------- */

/* Load and strictly parse a log copy from a file or an http(s):// URL
 * (libcurl; at most REVLOG_MAX_BYTES, no other scheme, `timeout_ms` per
 * transfer). E_NETWORK when the URL cannot be fetched. */
err_code revocation_load(const char *source, unsigned timeout_ms, struct revlog *out,
                         struct err *e) MUST_CHECK;

/* A named result of comparing a copy with the ledger (docs/revocation-
 * format.md §6 lists the names). */
struct rev_finding {
    char name[32];
    bool anomaly; /* false: informational */
    char detail[480];
};
struct rev_findings {
    struct rev_finding *v;
    size_t n, cap;
};
void rev_findings_free(struct rev_findings *f);
/* Append a finding (E_NOMEM only). */
err_code rev_finding_add(struct rev_findings *f, const char *name, bool anomaly,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The first finding named `name`, or NULL. */
const struct rev_finding *rev_finding_get(const struct rev_findings *f, const char *name);

/* A checkpoint as the ledger shows it. */
struct rev_checkpoint {
    uint64_t seq, size;
    struct hash32 root;
    uint64_t block_number, block_time;
    struct hash32 tx_hash;
};

/*
 * Compare `copy` with the ledger's checkpoints cps[0..n-1] (sorted by seq;
 * need not be all of them) and append findings: "checkpoint-inconsistent"
 * (two consecutive checkpoints not proven consistent — by the copy's
 * RFC 9162 proof or by both being prefixes of the copy), "log-mismatch"
 * (the copy's first `size` entries do not give a consistent checkpoint's
 * root), with one diagnosis: "entry-removed", "entries-reordered",
 * "entry-time-changed" or "entry-altered"; "log-truncated" (the copy is
 * shorter than the newest checkpoint but matches every one it covers),
 * "duplicate-entry", "entry-time-changed" (an entry dated after the
 * checkpoint that anchored it), and the note "unanchored-entries".
 * *newest_ok: the copy reproduces the root of cps[n-1].
 */
err_code revocation_analyse(const struct revlog *copy, const struct rev_checkpoint *cps, size_t n,
                            struct rev_findings *f, bool *newest_ok, struct err *e) MUST_CHECK;

/* ---- the "revocation" check of `verifier verify` ---------------------------- */

struct revocation_opts {
    const char *rpc_url;
    const char *bearer_token;  /* NULL: none */
    const char *source;        /* log copy: FILE or http(s) URL; NULL = none */
    uint64_t confirmations;    /* ≥ 1 */
    uint64_t window;           /* 0 = REV_DEFAULT_WINDOW */
    unsigned timeout_ms;       /* per request (0 = default) */
    unsigned max_attempts;     /* per request (0 = default) */
    uint64_t deadline_ms;      /* rpc_options.deadline_ms for every call and the log fetch (0 = none) */
};

/*
 * Append the "revocation" check for bundle `b` (already checked offline and
 * online into *r): PASS (not revoked as of checkpoint N at time T, or the
 * issuer never anchored a checkpoint), REVOKED (reason, note, time bounds),
 * UNKNOWN (no copy, copy unusable or not matching the anchored root, a
 * pending revocation, ledger unreachable), or SKIPPED (offline, or the
 * credential did not verify). Never fails: every problem becomes the check.
 */
void verify_revocation(const struct bundle *b, const struct revocation_opts *o,
                       struct verify_result *r);

#endif
