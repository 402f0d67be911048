/*
 * verifier/audit.h — an auditor's check of an issuer's whole anchored
 * history (docs/design.md "Revocation and audit"), from the ledger and,
 * optionally, a copy of the issuer's revocation log from anywhere.
 *
 * What it does:
 *   - lists every Anchored event of the issuer on the registry (issuance
 *     batches and revocation checkpoints) with block numbers and times,
 *     reading eth_getLogs in bounded block windows;
 *   - checks that the registry at the address runs the NotaryRegistry code,
 *     and that each kind's sequence numbers are exactly 0..n-1 where n is the
 *     registry's own count (nextSeq);
 *   - with a log copy: every consecutive pair of checkpoints is consistent
 *     (RFC 9162 §2.1.4 proofs from the copy, or both roots reproduced from
 *     its entries), every checkpoint's root is the root of the copy's prefix
 *     of that size, the copy matches the newest checkpoint, and every
 *     checkpoint the copy lists is the issuer's own on the ledger;
 *   - reports each anomaly by a stable name (docs/revocation-format.md §6):
 *     contract-not-registry, seq-gap, seq-repeat, checkpoint-inconsistent,
 *     log-mismatch, entry-removed, entries-reordered, entry-time-changed,
 *     entry-altered, log-truncated, duplicate-entry, foreign-checkpoint,
 *     checkpoint-not-on-ledger, log-other-issuer, log-unusable; and notes
 *     (not anomalies): unanchored-entries, no-checkpoints, no-log-copy,
 *     partial-range.
 * On the ebsi flow (EBSI's Timestamp contract, pinned by the auditor with
 * --contract) the history is the issuer's TimestampedHashes events (sent by the issuer: each transaction's from) carrying
 * our record; the contract keeps no counter, so the counts are 1 + the
 * highest seq per kind in the events and "seq-gap"/"seq-repeat" come from
 * the events alone; "contract-not-timestamp" replaces contract-not-registry
 * (no code at the address, or not the committed code with timestamp_code).
 * On NotaryRegistry2 (docs/registry-v2.md, told apart by the code) the
 * issuer is the identity: the history is its v2 Anchored events, each with
 * its anchoring key; the key history (authorizations, retirements,
 * compromises, from the key events, with blocks and times) is listed in
 * every report, and every anchor whose key does not count at its block by
 * the rule of §2 (registry2_key_counts) is the anomaly "key-not-counting"
 * with the reason in words (verifier/audit_keys.c).
 * Reports: a readable table, JSON, and one self-contained HTML page
 * (inline CSS and an inline SVG timeline of issuance and revocations per
 * day) for an auditor's file.
 *
 * Ownership: audit_run() fills a struct audit_report the caller releases
 * with audit_report_free().
 */
#ifndef VERIFIER_AUDIT_H
#define VERIFIER_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "anchor/registry2.h"
#include "core/bytes.h"
#include "core/revlog.h"
#include "verifier/revocation.h"

struct audit_opts {
    const char *rpc_url;
    const char *bearer_token;  /* NULL: none */
    struct addr20 issuer;
    bool have_ledger;          /* else the log copy's ledger, else evm */
    enum bundle_ledger ledger; /* evm: NotaryRegistry; ebsi: Timestamp contract */
    bool have_contract;        /* else the contract named by the log copy (evm only) */
    struct addr20 contract;
    bool timestamp_code;       /* ebsi: the contract must run the committed Timestamp code */
    const char *source;        /* log copy: FILE or http(s) URL; NULL = none */
    uint64_t confirmations;    /* ≥ 1: events newer than that are not listed */
    uint64_t window;           /* blocks per eth_getLogs (0 = VREV_DEFAULT_WINDOW) */
    uint64_t from_block;       /* first block to scan (0 = genesis) */
    unsigned timeout_ms;
    unsigned max_attempts;
};

/* One key event of the identity (NotaryRegistry2), in chain order. */
struct audit_key_event {
    enum registry2_change_kind kind; /* authorized, retired, compromised */
    struct addr20 key;               /* == the identity: the identity's own event */
    uint32_t index;                  /* the key's index (0: the identity) */
    uint64_t block;                  /* the block of the event's transaction */
    uint64_t time;                   /* that block's time */
    uint64_t value;                  /* authorizedFrom / retiredAt (next block) / since */
};

struct audit_report {
    enum bundle_ledger ledger;
    struct addr20 issuer, contract;
    uint64_t chain_id;
    uint64_t head;             /* newest block considered */
    uint64_t from_block;
    bool registry_ok;          /* evm: the contract runs the NotaryRegistry code; ebsi: the
                                  pinned Timestamp contract has code (the committed code
                                  with timestamp_code) */
    uint64_t count[2];         /* per kind: evm the registry's nextSeq; ebsi 1 + the
                                  highest seq in the events */
    struct vrev_anchor *anchors;/* every Anchored event of the issuer, chain order */
    size_t n_anchors;
    const char *source;        /* the log copy's name (not owned) */
    bool have_copy;
    struct revlog copy;        /* when have_copy */
    bool copy_matches;         /* the copy reproduces the newest checkpoint */
    struct vrev_findings findings;
    size_t anomalies;          /* findings that are anomalies */
    bool incomplete;           /* a log copy was given but could not be fetched */
    bool v2;                   /* evm: the contract runs NotaryRegistry2 */
    struct registry2_key_entry *keys; /* v2: the identity's keys (entry 0 itself) */
    size_t n_keys;
    struct audit_key_event *key_events; /* v2: the key history, chain order */
    size_t n_key_events;
};

/* ---- NotaryRegistry2's key history (verifier/audit_keys.c) ---------------- */

/* v2: take the key history l read at open into r (keys copied), list its
 * events with their blocks' times, and add the finding "key-not-counting"
 * for every anchor in r->anchors whose key does not count at its block.
 * Errors: the ledger's (block times), E_NOMEM. */
struct vrev_ledger;
err_code audit_keys_load(struct audit_report *r, struct vrev_ledger *l,
                         struct err *e) MUST_CHECK;
/* The words of one key event, e.g. "authorized", and of an anchor's key
 * status for the reports: "counts" or the reason (registry2_reason_format). */
const char *audit_key_event_word(enum registry2_change_kind k);
/* Append the key-history part of the text report (nothing unless r->v2). */
err_code audit_keys_text(const struct audit_report *r, struct buf *out) MUST_CHECK;
/* The JSON "keys" member: {identity, keys[{address, index, authorizedFrom,
 * retiredAt, compromisedSince, identityCompromisedSince}] (block numbers,
 * null = never), events[{change, key, index, blockNumber, time, value}]};
 * NULL (→ JSON null) unless r->v2. */
json_t *audit_keys_json(const struct audit_report *r);
/* Append the HTML "Key history" section (a timeline of the key events). */
err_code audit_keys_html(const struct audit_report *r, struct buf *out) MUST_CHECK;

/*
 * Run the audit. Ledger problems (unreachable, malformed answers) are
 * errors (E_NETWORK, E_PROTOCOL, ...: the audit did not happen); what the
 * history or the copy shows is in r->findings. E_INVALID if there is no
 * contract (neither opts->have_contract nor a usable copy), or the ledger
 * is ebsi and opts->have_contract is false (a Timestamp contract is any
 * contract's look-alike unless the auditor pins it).
 */
err_code audit_run(const struct audit_opts *o, struct audit_report *r,
                   struct err *e) MUST_CHECK;
void audit_report_free(struct audit_report *r);

/* Append a readable report (header, table of anchors, findings, result). */
err_code audit_report_text(const struct audit_report *r, struct buf *out,
                           struct err *e) MUST_CHECK;
/* Append the JSON report: {ledger, issuer, contract, chainId, headBlock, fromBlock,
 * registry, counts{batches, checkpoints}, anchors[{kind, seq, size, root,
 * blockNumber, blockHash, blockTime, time, txHash, and on v2 key, counts,
 * reason (null when it counts)}], registryVersion (1 or 2; evm), keys (v2:
 * audit_keys_json, else null), log{source, entries,
 * checkpoints, matchesNewest} | null, findings[{name, anomaly, detail}],
 * anomalies, result: "clean" | "anomalies" | "incomplete"} and a newline. */
err_code audit_report_json(const struct audit_report *r, struct buf *out,
                           struct err *e) MUST_CHECK;
/* Append one self-contained HTML page (no external resources; every text
 * from the ledger or the copy escaped). In verifier/audit_html.c. */
err_code audit_report_html(const struct audit_report *r, struct buf *out,
                           struct err *e) MUST_CHECK;

/* Words the three reports share. audit_kind_word: "issuance" or
 * "checkpoint". audit_result_word: "clean", "anomalies" or "incomplete"
 * (the JSON "result"). audit_time_str: a block time as UTC
 * "YYYY-MM-DDTHH:MM:SSZ" in out (bundle_time_format; "(time out of
 * range)" beyond year 9999). */
const char *audit_kind_word(enum registry_kind k);
const char *audit_result_word(const struct audit_report *r);
void audit_time_str(uint64_t t, char out[21]);

/* The strings every report shows for one anchored record. */
struct audit_anchor_text {
    char root[65];       /* hex, no 0x */
    char tx[67];         /* 0x hex */
    char block_hash[67]; /* 0x hex */
    char time[21];       /* block time, UTC (audit_time_str) */
};
void audit_anchor_text(const struct vrev_anchor *a, struct audit_anchor_text *out);

#endif
