/*
 * notary/issuance/scrub.h — `notary check`: re-read every closed batch and
 * the revocation log from the store, rebuild their roots, and compare them
 * with the roots stored and the roots anchored on the ledger (issue 17).
 *
 * The ledger is asked through a callback (struct scrub_ledger), so this
 * file uses only the store; notary/anchoring/ledger_root.h provides the
 * callback for the evm and ebsi flows, and the caller (notary/cli/check.c,
 * the scheduler of `notary serve`) connects it. Without one (--offline)
 * only the store is checked.
 *
 * Findings, by name, and the evidence each rests on (man/notary.1 `check`
 * and README "Operating" say the same for operators). For an issuance batch:
 * the rebuilt root R is the RFC 9162 root of the leaves read back
 * (store_batch_scan), S the root stored, L the root anchored on the ledger
 * for this batch (when asked and found); the reference root is L when
 * known, else S.
 *   not-anchored   the store says ANCHORED, the ledger has no anchor of this
 *                  (kind, seq) by the issuer (receipt event and contract record).
 *   root-mismatch  S != L: the stored root is not the one anchored. Offline
 *                  (no L) also when R != S while the leaves read back are
 *                  as many as the batch's size and the store's hash index
 *                  places every one of them where it was read: the leaves
 *                  and their index agree, the root does not (on PostgreSQL,
 *                  whose index is the rows themselves, a changed leaf looks
 *                  the same: run online to tell them apart).
 *   leaf-missing   R != reference and fewer leaves read back than the size.
 *   leaf-added     R != reference and more leaves read back than the size.
 *   order-changed  R != reference, as many leaves as the size, and the hash
 *                  index knows every leaf read back in this batch, at least
 *                  one at another position: the same leaves, another order.
 *   leaf-changed   R != reference, as many leaves as the size, and some leaf
 *                  read back is not in the hash index for this batch (a
 *                  hash the batch never had); also when nothing tells the
 *                  changed leaf apart (the index agrees with the rows)
 *                  but L proves the leaves wrong.
 *   duplicate-hash the same hash stored at two places (batch, leaf): a hash
 *                  is notarized once.
 * For a revocation checkpoint (kind 1): R is the root of the first `size`
 * entries of the revocation log as stored.
 *   revlog-mismatch R != reference (or the log is shorter than the
 *                  checkpoint); not-anchored and root-mismatch as above.
 * Batches that are open, or closed/sent/failed without an anchor, are
 * checked against S only (there is nothing on the ledger yet).
 *
 * Ownership: scrub_run fills a struct scrub_result the caller releases
 * with scrub_result_free.
 */
#ifndef NOTARY_SCRUB_H
#define NOTARY_SCRUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "notary/store/store.h"

enum scrub_kind {
    SCRUB_LEAF_CHANGED = 0,
    SCRUB_LEAF_MISSING,
    SCRUB_LEAF_ADDED,
    SCRUB_ORDER_CHANGED,
    SCRUB_ROOT_MISMATCH,
    SCRUB_NOT_ANCHORED,
    SCRUB_REVLOG_MISMATCH,
    SCRUB_DUPLICATE_HASH,
    SCRUB__COUNT
};

/* "leaf-changed", "leaf-missing", …; "?" for anything else. */
const char *scrub_kind_name(enum scrub_kind k);

struct scrub_finding {
    enum scrub_kind kind;
    enum batch_kind batch_kind;
    uint64_t seq;
    int64_t leaf;      /* the first leaf concerned, -1 when none is known */
    char detail[256];  /* for a person: what was compared and found */
};

struct scrub_result {
    struct scrub_finding *f; /* malloc'd */
    size_t n, cap;
    uint64_t batches;        /* issuance batches checked */
    uint64_t checkpoints;    /* revocation checkpoints checked */
    uint64_t leaves;         /* leaves re-hashed */
    uint64_t anchored_checked; /* batches and checkpoints compared with the ledger */
    uint64_t dup_reads;      /* batches read again to compare in full the hashes that share
                              * their first 8 bytes: at most one read per batch */
    bool ledger;             /* a ledger callback was given */
    bool incomplete;         /* the ledger could not be asked about every anchored batch */
    char incomplete_why[256];
    double seconds;          /* wall time of the run */
    int64_t finished_at;     /* unix seconds */
};

void scrub_result_free(struct scrub_result *r);

/* What the ledger holds for one anchored batch or checkpoint `b` (state
 * ANCHORED): *found with the root anchored for (b->kind, b->seq) by the
 * issuer in *root; not found when the ledger has no such anchor. Any error
 * (E_NETWORK: unreachable) makes the run incomplete: the ledger is not
 * asked again and the rest is checked against the store only. */
struct scrub_ledger {
    err_code (*root_of)(void *arg, const struct store_batch *b, bool *found, struct hash32 *root,
                        struct err *e);
    void *arg;
};

/* Progress: `done` of `total` leaves re-hashed so far. Return false to stop
 * early (the run then ends with E_STATE "stopped"). May be NULL. */
typedef bool (*scrub_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Check the whole store; findings in *out (every batch is checked however
 * many findings there are). `ledger` NULL: offline. Returns E_OK when the
 * check ran (findings or not, complete or not: see out->incomplete);
 * E_IO / E_NOMEM / E_STATE (stopped) when the store could not be read.
 */
err_code scrub_run(struct store *s, const struct scrub_ledger *ledger, scrub_progress_fn progress,
                   void *arg, struct scrub_result *out, struct err *e) MUST_CHECK;

/* Leaves per chunk of the re-hash (scrub_root): large enough that
 * merkle_tree_build shares a chunk among the CPUs (>= MERKLE_PARALLEL_MIN)
 * and the threads' start is lost in the hashing, small enough that its
 * tree (2 hashes per leaf, 16 MiB) stays near the caches. A power of two. */
#define SCRUB_CHUNK ((uint64_t)1 << 18)

struct merkle_tree;

/*
 * The RFC 9162 root of the n entries h[0..n-1] (credential hashes; the
 * empty root for n == 0), as `notary check` rebuilds it: chunks of
 * SCRUB_CHUNK leaves each by merkle_tree_build (every CPU, SHA-NI two at a
 * time), their roots folded as a compact range — the same root as
 * merkle_tree_build over all n, in one chunk's memory.
 * *scratch: a tree whose memory is reused (NULL the first time); on return
 * it holds the last chunk's tree, which the caller frees with
 * merkle_tree_free (or passes again). Errors: E_NOMEM, E_LIMIT.
 */
err_code scrub_root(const struct hash32 *h, uint64_t n, struct merkle_tree **scratch,
                    struct hash32 *out, struct err *e) MUST_CHECK;

/* The exit status of `notary check` for a result: 1 findings, 3
 * incomplete (without findings), 0 clean. */
int scrub_exit_status(const struct scrub_result *r);

/* The result as JSON (a new object): {"status", "findings": [{"finding",
 * "kind", "seq", "leaf"?, "detail"}], "batches", "checkpoints", "leaves",
 * "ledger", "incomplete", "incomplete_reason"?, "seconds"}. NULL when out
 * of memory. */
json_t *scrub_result_json(const struct scrub_result *r);

/* ---- the decision, exposed for tests/unit/test_scrub.c -------------------- */

/* What is known about one batch or checkpoint. */
struct scrub_evidence {
    enum batch_kind kind;
    uint64_t size;        /* the batch's recorded size */
    uint64_t count;       /* leaves (entries) read back */
    struct hash32 rebuilt;
    bool has_stored;
    struct hash32 stored;
    bool ledger_asked;    /* the batch is ANCHORED and the ledger answered */
    bool ledger_found;
    struct hash32 ledger;
    /* Issuance, only looked at when the rebuilt root differs from the
     * reference with count == size: leaves the hash index places at
     * another position of this batch, and leaves it does not place in this
     * batch at all; the first position of each (-1 none). */
    uint64_t moved, unknown;
    int64_t first_moved, first_unknown;
};

/* The findings one batch's evidence gives, appended to *kinds (at most 3);
 * returns how many. *needs_index (if not NULL) is set when the decision
 * needs `moved` / `unknown` and they were not filled yet (the caller fills
 * them and asks again). */
size_t scrub_classify(const struct scrub_evidence *ev, bool index_filled, bool *needs_index,
                      enum scrub_kind kinds[3]);

#endif
