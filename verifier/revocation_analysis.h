/*
 * verifier/revocation_analysis.h — what a copy of an issuer's revocation
 * log proves, judged against the checkpoints (size, root) the ledger shows
 * (docs/revocation-format.md §6 names every finding). Pure computation: the
 * caller reads the checkpoints (verifier/revocation_ledger.h) and the copy
 * (vrev_load, verifier/revocation.h). `verifier verify` and `verifier
 * audit` both judge a copy here, so they cannot disagree on what it proves.
 */
#ifndef VERIFIER_REVOCATION_ANALYSIS_H
#define VERIFIER_REVOCATION_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"
#include "core/revlog.h"

/* A revocation time more than this after the block time of the checkpoint
 * that anchored it cannot be honest (clock skew allowance, seconds). */
#define VREV_CLOCK_SKEW 300

/* A named result of comparing a copy with the ledger (docs/revocation-
 * format.md §6 lists the names). */
struct vrev_finding {
    char name[32];
    bool anomaly; /* false: informational */
    char detail[480];
};
struct vrev_findings {
    struct vrev_finding *v;
    size_t n, cap;
};
void vrev_findings_free(struct vrev_findings *f);
/* Append a finding (E_NOMEM only). */
err_code vrev_finding_add(struct vrev_findings *f, const char *name, bool anomaly,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The first finding named `name`, or NULL. */
const struct vrev_finding *vrev_finding_get(const struct vrev_findings *f, const char *name);

/* A checkpoint as the ledger shows it. */
struct vrev_checkpoint {
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
err_code vrev_analyse(const struct revlog *copy, const struct vrev_checkpoint *cps, size_t n,
                            struct vrev_findings *f, bool *newest_ok, struct err *e) MUST_CHECK;

#endif
