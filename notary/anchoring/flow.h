/*
 * notary/anchoring/flow.h — the seam between the anchoring driver
 * (notary/anchoring/anchoring.c) and a ledger flow (anchoring_evm.c: the
 * NotaryRegistry contract; anchoring_ebsi.c: EBSI's Timestamp API).
 *
 * The driver owns the batch loop, the state changes every flow shares
 * (adopt a transaction found on the ledger, CLOSED → SENT → ANCHORED,
 * FAILED, back to CLOSED when the nonce went elsewhere), the pending
 * reasons and the progress lines about them. A flow answers ledger
 * questions and does the ledger-specific work (look the root up, build and
 * sign the transaction and record it, send stored bytes, replace a stuck
 * one), and says what came of it through `struct anchoring_out`; the driver
 * acts on that. A flow calls nothing of the driver: only the store, the
 * ledger (anchor/), and the leaf helpers at the end of this header.
 *
 * Calls go one way: anchoring.c → a flow's table → anchor/, store.
 */
#ifndef NOTARY_ANCHORING_FLOW_H
#define NOTARY_ANCHORING_FLOW_H

#include <stdarg.h>
#include <stdbool.h>

#include "anchor/evm.h"
#include "anchor/signer.h"
#include "notary/store/store.h"

/* Blocks a transaction may stay pending before it is replaced (default). */
#define ANCHORING_REPLACE_AFTER_BLOCKS 3
/* Blocks deep at which an anchored batch is final and no longer re-checked
 * for reorgs (default). */
#define ANCHORING_FINAL_DEPTH 64

struct anchoring_cfg {
    struct evm_ledger *ledger;     /* connected, chain id checked */
    const struct signer *signer;   /* the issuer's key */
    struct addr20 contract;        /* the NotaryRegistry (evm) / Timestamp contract (ebsi) */
    uint64_t confirmations;        /* ≥ 1: blocks including the anchoring one */
    unsigned poll_ms;              /* between ledger polls (0 = 1000) */
    unsigned timeout_s;            /* give up waiting after this (0 = 300); the batch stays SENT */
    struct evm_fee_policy fees;     /* the cap also bounds fee replacements */
    uint64_t replace_after_blocks; /* replace a transaction pending this many blocks (0 = 3) */
    uint64_t final_depth;          /* re-check anchored batches until this deep (0 = 64) */
    /* Progress lines for a person ("batch 3: sent 0x…, waiting for 2 confirmations"). */
    void (*log)(void *arg, const char *fmt, va_list ap);
    void *log_arg;
};

/* What the driver hands every hook of a run. */
struct anchoring_ctx {
    struct store *s;
    const struct anchoring_cfg *cfg;
    struct addr20 issuer; /* the signer's address: the issuer */
    void *flow;           /* the flow's own state, from open() (may be NULL) */
};

/* What a hook says besides its err_code. The driver acts on it whatever
 * the code: `note` (if not empty) becomes the batch's pending reason, or
 * with `fail` its FAILED reason. */
struct anchoring_out {
    char note[512];
    bool fail;
};

/* What the node said to a broadcast that was not an error for the batch. */
enum anchoring_sent {
    ANCHORING_SENT_OK,          /* accepted, or "already known" */
    ANCHORING_SENT_NONCE_USED,  /* "nonce too low": some transaction used the nonce */
    ANCHORING_SENT_UNDERPRICED, /* "(replacement) transaction underpriced": offer more */
};

/*
 * One ledger flow. `b` is the batch as stored; hooks that change it in the
 * store say so below (the driver re-reads it). Errors are the run's
 * (anchoring_run): E_NETWORK unreachable, E_PROTOCOL the ledger or API
 * refused, E_STATE the batch cannot go on (with out->fail: it FAILED).
 */
struct anchoring_flow {
    const char *name;       /* "evm", "ebsi" */
    const char *signed_as;  /* log word for a new transaction: "recorded", "signed" */
    const char *mined_as;   /* "anchored", "timestamped" */
    const char *found_as;   /* what a look finds: "anchoring transaction", "timestamp" */
    const char *refused_by; /* why a revert: "the contract refused the anchor" */

    /* Set up the flow's state in ctx->flow (after the writer lock, before
     * anything is asked); close frees it. Either may be NULL. */
    err_code (*open)(struct anchoring_ctx *c, struct err *e);
    void (*close)(struct anchoring_ctx *c);

    /* Is this batch's root anchored on the ledger by the issuer? *found
     * with the transaction that did it in *tx (the driver adopts it);
     * otherwise not there. A record that can never become ours sets
     * out->fail (E_STATE). */
    err_code (*look)(struct anchoring_ctx *c, const struct store_batch *b, bool *found,
                     struct hash32 *tx, struct anchoring_out *out, struct err *e);

    /* CLOSED, and the look found nothing: build, sign and record the
     * transaction (store_tx_record: SENT) before it leaves the process;
     * *recorded then. E_OK without *recorded: the batch waits (out->note
     * says why), or the ledger's history and the store disagree (fail). */
    err_code (*sign)(struct anchoring_ctx *c, const struct store_batch *b, bool *recorded,
                     struct anchoring_out *out, struct err *e);

    /* Send the stored signed bytes `raw` of batch b's current transaction. */
    err_code (*broadcast)(struct anchoring_ctx *c, const struct store_batch *b,
                          const uint8_t *raw, size_t len, enum anchoring_sent *sent,
                          struct anchoring_out *out, struct err *e);

    /* Optional, SENT, before the transaction is looked up: has another of
     * the batch's transactions (a replaced fee level) been mined? *found
     * with it in *tx and its nonce (the driver makes it current). */
    err_code (*watch)(struct anchoring_ctx *c, const struct store_batch *b, bool *found,
                      struct hash32 *tx, uint64_t *nonce, struct err *e);

    /* Optional: the transaction is pending (pending), or the node refused
     * it as underpriced (underpriced): replace it or wait, noting why; may
     * record a replacement (the driver re-reads the batch). NULL = wait. */
    err_code (*pending)(struct anchoring_ctx *c, const struct store_batch *b,
                        struct anchoring_out *out, struct err *e);
    err_code (*underpriced)(struct anchoring_ctx *c, const struct store_batch *b,
                            struct anchoring_out *out, struct err *e);

    /* Is `log` the flow's event (evm: Anchored; ebsi: TimestampedHashes) from
     * cfg->contract by `issuer` for exactly batch b, and not removed? */
    bool (*log_ours)(const struct anchoring_cfg *cfg, const struct addr20 *issuer,
                     const struct store_batch *b, const struct rpc_log *log);
    const char *event; /* its name, for messages: "Anchored" */
};

extern const struct anchoring_flow anchoring_evm_flow;  /* anchoring_evm.c */
extern const struct anchoring_flow anchoring_ebsi_flow; /* anchoring_ebsi.c */

/* ---- leaf helpers (notary/anchoring/flow.c), for the driver and flows ---- */

/* A progress line through cfg->log (nothing if it is NULL). */
void anchoring_say(const struct anchoring_cfg *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Crash-consistency test hook: NOTARY_FAULT=after-record (signed and stored,
 * not broadcast), after-send (broadcast, result not yet recorded) or
 * after-replace-record kills the process at that point, as a power cut would. */
void anchoring_fault_point(const char *name);

/* "batch" or "checkpoint", for messages. */
const char *anchoring_kind_name(enum batch_kind k);

/* The logs that `filter` selects on c's ledger: the first that f->log_ours
 * accepts for batch b gives its transaction in *tx (*found). */
err_code anchoring_find_log(const struct anchoring_ctx *c, const struct anchoring_flow *f,
                            const struct rpc_log_filter *filter, const struct store_batch *b,
                            bool *found, struct hash32 *tx, struct err *e) MUST_CHECK;

/* Does receipt `rc` carry flow f's event by `issuer` for exactly batch b
 * (f->log_ours on each log)? false with the reason in *e (E_STATE) if not. */
bool anchoring_flow_receipt_ok(const struct anchoring_flow *f, const struct anchoring_cfg *cfg,
                               const struct addr20 *issuer, const struct store_batch *b,
                               const struct rpc_receipt *rc, struct err *e);

/* printf into out->note. */
void anchoring_out_note(struct anchoring_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Does this notary anchor on NotaryRegistry2 (store meta "registry" = "2",
 * written by `notary init --identity-key`; docs/registry-v2.md)? Then the
 * store's "issuer" is the identity and DIR/key.json its anchoring key.
 * false when absent (NotaryRegistry, the signer is the issuer) or unreadable. */
bool anchoring_is_registry2(struct store *s);

#endif
