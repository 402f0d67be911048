/*
 * notary/issuance/revocation.h — the issuer's side of revocation (docs/design.md
 * "Revocation and audit"): revoke a credential by appending to the
 * append-only RFC 9162 revocation log, cut checkpoints (size, root) of the
 * log for anchoring as kind 1 batches, and export the log with its anchored
 * checkpoints and the consistency proofs between them (core/revlog.h,
 * docs/revocation-format.md).
 *
 * Checkpoints are anchored by notary/anchoring/anchoring.h like issuance batches
 * (anchoring_run(..., BATCH_REVOCATION, ...)); the registry keeps a separate
 * contiguous sequence per kind, so the ledger alone shows every checkpoint.
 */
#ifndef NOTARY_REVOCATION_H
#define NOTARY_REVOCATION_H

#include <stdbool.h>

#include "core/bytes.h"
#include "core/revlog.h"
#include "notary/store/store.h"

/*
 * Revoke credential `hash` with `reason` and an optional `note` (NULL or ""
 * for none; UTF-8 text without control characters, at most REVLOG_MAX_NOTE
 * bytes) at time `now`. E_NOT_FOUND if this notary never notarized the hash;
 * E_INVALID for a bad reason or note. Revoking twice is idempotent: the
 * existing entry is returned with *existed = true and nothing is appended.
 */
err_code revocation_revoke(struct store *s, const struct hash32 *hash, unsigned reason,
                           const char *note, int64_t now, struct store_revocation *out,
                           bool *existed, struct err *e) MUST_CHECK;

/*
 * Cut a checkpoint of the log if it grew since the newest checkpoint: a
 * CLOSED kind 1 batch with (size, root) of the whole log, ready for
 * anchoring. *created false (E_OK) when the log is empty or has not grown.
 * Before cutting, the log is checked against the newest checkpoint (its root
 * must be the root of that prefix: E_STATE otherwise — the store was
 * altered). *out is the new checkpoint, or the newest one when none was
 * created (out->size 0 if there is none).
 */
err_code revocation_checkpoint(struct store *s, int64_t now, bool *created,
                               struct store_batch *out, struct err *e) MUST_CHECK;

/*
 * The export file (docs/revocation-format.md): every entry, every ANCHORED
 * checkpoint and the RFC 9162 §2.1.4 consistency proof between each
 * consecutive pair, plus issuer, ledger, chain and contract from the
 * store's configuration, appended to `out`. *n_entries and
 * *n_checkpoints (may be NULL) say what was written.
 */
err_code revocation_export(struct store *s, int64_t now, struct buf *out, uint64_t *n_entries,
                           size_t *n_checkpoints, struct err *e) MUST_CHECK;

#endif
