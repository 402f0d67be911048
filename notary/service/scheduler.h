/*
 * notary/service/scheduler.h — the batch scheduler inside `notary serve`: a thread
 * of its own, with its own store connection (SQLite WAL lets the API read
 * and submit meanwhile; writes take turns under the busy timeout), that
 *
 *   - closes the open issuance batch at a configured UTC time of day
 *     (default 00:00) and/or every N seconds (tests); a batch that reaches
 *     `size_cap` credentials is frozen by the API's writer (writer.c) in the
 *     commit that fills it, and the scheduler computes its root when told
 *     (scheduler_frozen) or within 10 s (another instance's); it closes a
 *     batch that someone else (`notary submit`) filled past the cap;
 *   - cuts a checkpoint of the revocation log at the daily time (when it
 *     grew), so revocations are anchored at least daily;
 *   - anchors closed batches and checkpoints with the anchoring state
 *     machine (notary/anchoring/anchoring.h, or anchoring_ebsi.h for an "ebsi"
 *     notary), in short slices so that a stop request is seen within
 *     seconds; on a ledger failure it retries with exponential backoff and
 *     full jitter, up to backoff_max_s, and never blocks the API;
 *   - at start, finishes what a crash left behind: roots of frozen batches,
 *     and closed or sent batches still to be anchored;
 *   - every check_every_s (`--check-every DAYS`, weekly by default) runs
 *     `notary check` over the whole store against the ledger (read-only)
 *     and exports its result (metrics_check);
 *   - while an anchored batch is less than final_depth blocks deep, runs
 *     the anchoring state machine every PENDING_CHECK_S seconds, whose
 *     first step re-checks it for reorgs (anchoring_recheck).
 *
 * Ownership: scheduler_start() returns a running scheduler that
 * scheduler_stop() stops (joining its thread) and frees. The signer and
 * metrics given in the config must outlive it.
 */
#ifndef NOTARY_SCHEDULER_H
#define NOTARY_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "anchor/signer.h"
#include "core/error.h"
#include "notary/service/metrics.h"

struct scheduler_config {
    const char *db_path;
    int close_at_minute;         /* daily close, minutes after 00:00 UTC (0..1439); -1 = none */
    unsigned close_every_s;      /* also close (and cut a checkpoint) every N seconds; 0 = off */
    uint64_t size_cap;           /* close when the open batch reaches this size; 0 = off */
    const struct signer *signer; /* NULL: close batches but do not anchor */
    unsigned poll_ms;            /* ledger polling while waiting for confirmations (0 = 1000) */
    unsigned backoff_min_s;      /* first retry after a ledger failure (0 = 2) */
    unsigned backoff_max_s;      /* longest wait between retries (0 = 300) */
    unsigned rpc_timeout_ms;     /* per ledger request (0 = 10000) */
    uint64_t final_depth;        /* re-check anchored batches until this deep (0 = 64) */
    uint64_t check_every_s;      /* run `notary check` (notary/issuance/scrub.h) every N
                                  * seconds, first N after the start; 0 = never. The
                                  * result goes to the log ("check") and the metrics. */
    struct metrics *metrics;     /* may be NULL */
};

struct scheduler;

/* What /v1/health shows. */
struct scheduler_status {
    bool anchoring;             /* a key is loaded: batches are anchored */
    int64_t next_close;         /* unix seconds of the next timed close (0 = none) */
    uint64_t open_size;         /* credentials in the open batch at the last look */
    unsigned failures;          /* consecutive failed anchoring runs */
    int64_t next_retry;         /* when the next anchoring attempt is due (0 = none waiting) */
    char last_error[512];       /* the last anchoring or closing error ("" = none), with
                                 * the ledger's URL, host and port scrubbed (public) */
    bool leader;                /* shared (PostgreSQL) store: this instance closes and
                                 * anchors (always false on SQLite, where it always does) */
};

/* Start the scheduler thread. E_NOT_FOUND / E_IO if the store cannot be
 * opened; E_INVALID for a bad configuration. */
err_code scheduler_start(const struct scheduler_config *cfg, struct scheduler **out,
                         struct err *e) MUST_CHECK;
/* New submissions were stored: look at the size cap now (cheap; any thread). */
void scheduler_poke(struct scheduler *s);
/* A batch was frozen at the size cap: compute its root and anchor it now
 * (cheap; any thread; NULL is fine). */
void scheduler_frozen(struct scheduler *s);
/* A snapshot of the scheduler's state (any thread). */
void scheduler_status(struct scheduler *s, struct scheduler_status *out);
/* Ask the thread to stop, wait for it (an anchoring slice in progress ends
 * within a few seconds; its state is in the store) and free. NULL is fine. */
void scheduler_stop(struct scheduler *s);

/* The next daily close strictly after `now`: `minute` minutes after 00:00
 * UTC (exposed for tests). */
int64_t scheduler_next_daily(int64_t now, int minute);

#endif
