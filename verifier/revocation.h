/*
 * verifier/revocation.h — revocation status from the ledger and a copy of
 * the issuer's revocation log (docs/design.md "Revocation and audit";
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
 * Where the code is: reading the ledger, verifier/revocation_ledger.h;
 * judging a copy against anchored checkpoints,
 * verifier/revocation_analysis.h; loading a copy and the "revocation"
 * check of `verifier verify`, here (verifier/revocation.c). On ebsi, whose contract does not
 * enforce sequence numbers, a repeated or missing seq in the issuer's
 * checkpoints makes the status UNKNOWN (docs/revocation-format.md §5.1).
 * The auditor (verifier/audit.h) uses the ledger reading, vrev_load() and
 * vrev_analyse() too.
 * This file never includes notary/.
 */
#ifndef VERIFIER_REVOCATION_H
#define VERIFIER_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bundle.h"
#include "core/revlog.h"
#include "verifier/revocation_analysis.h"
#include "verifier/revocation_ledger.h"
#include "verifier/verify.h"

/* ---- log copies --------------------------------------------------------------- */

/* Load and strictly parse a log copy (revlog_parse) from a file or an
 * http(s):// URL (anchor/fetch.h: at most REVLOG_MAX_BYTES; `timeout_ms`
 * for the transfer, 0 = 60 s, cut to `deadline_ms` on rpc_now_ms()'s clock
 * when nonzero). Out: *out, released with revlog_free() (zeroed on error).
 * Errors: E_INVALID another scheme or a malformed copy; E_LIMIT too large;
 * E_NETWORK the URL cannot be fetched; file errors as file_read_all. */
err_code vrev_load(const char *source, unsigned timeout_ms, uint64_t deadline_ms,
                   struct revlog *out, struct err *e) MUST_CHECK;

/* ---- the "revocation" check of `verifier verify` ---------------------------- */

struct vrev_opts {
    const char *rpc_url;
    const char *bearer_token;  /* NULL: none */
    const char *source;        /* log copy: FILE or http(s) URL; NULL = none */
    uint64_t confirmations;    /* ≥ 1 */
    uint64_t window;           /* 0 = VREV_DEFAULT_WINDOW */
    unsigned timeout_ms;       /* per request (0 = default) */
    unsigned max_attempts;     /* per request (0 = default) */
    uint64_t deadline_ms;      /* rpc_options.deadline_ms for every call and the log fetch (0 = none) */
    struct rpc_memo *memo;     /* rpc_options.memo: ledger answers shared for a run (NULL = none) */
};

/*
 * Append the "revocation" check for bundle `b` (already checked offline and
 * online into *r): PASS (not revoked as of checkpoint N at time T, or the
 * issuer never anchored a checkpoint), REVOKED (reason, note, time bounds),
 * UNKNOWN (no copy, copy unusable or not matching the anchored root, a
 * pending revocation, ledger unreachable), or SKIPPED (offline, or the
 * credential did not verify). Never fails: every problem becomes the check.
 */
void verify_revocation(const struct bundle *b, const struct vrev_opts *o,
                       struct verify_result *r);

#endif
