/*
 * notary/issuance/batch_json.h — a batch as JSON: the one place that says
 * which fields of a stored batch are shown, and how, for both the HTTP API
 * (GET /v1/batches, /v1/batches/{seq}, /v1/checkpoints: docs/openapi.yaml
 * "Batch") and the CLI's --json output (notary close, status, revoke
 * --checkpoint).
 *
 * The two views share every field they both show, in one order:
 *
 *   kind*, seq, state, size, root, openedAt*, closedAt, anchored*, txHash,
 *   nonce+, blockNumber, blockHash, blockTime, anchoredAt*, reason
 *
 * (* BATCH_JSON_API only, + BATCH_JSON_CLI only). root only when the batch
 * has one; txHash (and nonce) only once a transaction was sent; the block
 * fields (and anchoredAt) only once anchored; times as RFC 3339 UTC
 * (bundle_time_format), left out when unset; reason only when the batch
 * records an error.
 */
#ifndef NOTARY_BATCH_JSON_H
#define NOTARY_BATCH_JSON_H

#include <jansson.h>

#include "notary/store/store.h"

enum batch_json_view {
    BATCH_JSON_API, /* the HTTP service's answer */
    BATCH_JSON_CLI, /* `notary ... --json` */
};

/* Add the fields of `b` (see above) to the object `o`, after what it
 * already holds. o NULL (an allocation that failed): nothing happens. */
void batch_info_json_fill(json_t *o, const struct store_batch *b, enum batch_json_view view);

/* A new object with the fields of `b`; the caller owns the reference.
 * NULL only when out of memory. */
json_t *batch_info_json(const struct store_batch *b, enum batch_json_view view);

#endif
