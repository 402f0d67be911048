/*
 * notary/anchoring/anchoring.c — the anchoring driver (anchoring.h), written
 * once for every ledger flow: the batch loop, the state changes all flows
 * share (adopt what the ledger has, CLOSED → SENT → ANCHORED, FAILED, back
 * to CLOSED), pending reasons, progress lines. What is ledger-specific it
 * asks of a flow table (flow.h: anchoring_evm.c, anchoring_ebsi.c) and acts
 * on the answer; the flows never call back here.
 */
#include "notary/anchoring/anchoring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notary/anchoring/flow.h"

/* One run of one flow over the batches of one kind. */
struct run {
    struct anchoring_ctx c; /* what the flow's hooks get */
    const struct anchoring_flow *f;
    time_t deadline;
};

#define say(r, ...) anchoring_say((r)->c.cfg, __VA_ARGS__)
#define kind_name anchoring_kind_name

/* Record why a batch is waiting (best effort: a store error is only logged). */
static void note(const struct run *r, const struct store_batch *b, const char *why)
{
    struct err ignore;
    if (store_batch_note(r->c.s, b->kind, b->seq, why, &ignore) != E_OK)
        say(r, "warning: could not record the pending reason: %s", ignore.msg);
}

/* Move a batch to FAILED with `why` (best effort, as note). */
static void set_failed(const struct run *r, const struct store_batch *b, const char *why)
{
    struct err ignore;
    if (store_batch_set_state(r->c.s, b->kind, b->seq, BATCH_FAILED, why, &ignore))
        say(r, "warning: %s", ignore.msg);
}

/* Do what a hook said: FAILED with its reason, or note why the batch waits. */
static void act(const struct run *r, const struct store_batch *b, const struct anchoring_out *o)
{
    if (o->fail)
        set_failed(r, b, o->note);
    else if (o->note[0])
        note(r, b, o->note);
}

/* The ledger has the batch's anchor in transaction `tx`, which we did not
 * record sending (lost record, crash after the broadcast): SENT with it. */
static err_code adopt(const struct run *r, struct store_batch *b, const struct hash32 *tx,
                      uint64_t nonce, struct err *e)
{
    err_code rc = store_tx_record(r->c.s, b->kind, b->seq, nonce, tx, NULL, 0, e);
    return rc ? rc : store_batch_get(r->c.s, b->kind, b->seq, b, e);
}

/* Is the root anchored on the ledger by us? Then adopt it (*ours). */
static err_code look(struct run *r, struct store_batch *b, bool *ours, struct err *e)
{
    struct anchoring_out o = {0};
    struct hash32 tx;
    err_code rc = r->f->look(&r->c, b, ours, &tx, &o, e);
    act(r, b, &o);
    /* A refusal the flow did not note (the contract has the root but no
     * event of ours is there): record it, or the batch waits saying nothing
     * (run_batches notes only the other errors). */
    if (rc == E_STATE && !o.fail && !o.note[0])
        note(r, b, e->msg);
    if (rc || !*ours)
        return rc;
    char hex[67];
    hash32_to_hex0x(&tx, hex);
    say(r, "%s %llu: already %s on the ledger by %s; adopting it", kind_name(b->kind),
        (unsigned long long)b->seq, r->f->mined_as, hex);
    return adopt(r, b, &tx, 0, e);
}

/* CLOSED → SENT: look on the ledger, else sign and record (the flow). */
static err_code sign_step(struct run *r, struct store_batch *b, struct err *e)
{
    bool ours, recorded = false;
    err_code rc = look(r, b, &ours, e);
    if (rc || ours)
        return rc;
    struct anchoring_out o = {0};
    rc = r->f->sign(&r->c, b, &recorded, &o, e);
    act(r, b, &o);
    if (rc || !recorded)
        return rc; /* not recorded: still CLOSED, waiting */
    anchoring_fault_point("after-record");
    return store_batch_get(r->c.s, b->kind, b->seq, b, e);
}

/* Broadcast the stored transaction of a SENT batch (again). *nothing: it
 * was adopted from the ledger, there are no bytes of ours to send. */
static err_code resend(struct run *r, struct store_batch *b, enum anchoring_sent *sent,
                       bool *nothing, struct err *e)
{
    *sent = ANCHORING_SENT_OK;
    *nothing = false;
    uint8_t *raw;
    size_t len;
    err_code rc = store_tx_raw(r->c.s, &b->tx_hash, &raw, &len, e);
    if (rc)
        return rc;
    if (len == 0) {
        free(raw);
        *nothing = true;
        return E_OK;
    }
    struct anchoring_out o = {0};
    rc = r->f->broadcast(&r->c, b, raw, len, sent, &o, e);
    free(raw);
    act(r, b, &o);
    return rc;
}

/* A hook that may replace the batch's transaction (pending, underpriced);
 * NULL waits. The batch is read again after it. */
static err_code replace_step(struct run *r, struct store_batch *b,
                             err_code (*hook)(struct anchoring_ctx *, const struct store_batch *,
                                              struct anchoring_out *, struct err *),
                             struct err *e)
{
    struct anchoring_out o = {0};
    err_code rc = E_OK;
    if (hook)
        rc = hook(&r->c, b, &o, e);
    else
        anchoring_out_note(&o, "sent; waiting to be mined");
    act(r, b, &o);
    return rc || !hook ? rc : store_batch_get(r->c.s, b->kind, b->seq, b, e);
}

/* The node does not know the transaction. Send the stored bytes again; if
 * the nonce went elsewhere (or there are no bytes), look on the ledger: our
 * anchor there is adopted, else the batch goes back to CLOSED. */
static err_code unknown_step(struct run *r, struct store_batch *b, struct err *e)
{
    enum anchoring_sent sent;
    bool nothing;
    err_code rc = resend(r, b, &sent, &nothing, e);
    if (rc)
        return rc;
    if (sent == ANCHORING_SENT_UNDERPRICED)
        return replace_step(r, b, r->f->underpriced, e);
    if (nothing || sent == ANCHORING_SENT_NONCE_USED) {
        /* nothing: the ledger no longer knows the transaction we adopted (a
         * reorg took it away) and we have no bytes of it. nonce used:
         * someone used the nonce. Either way: is our anchor there (by some
         * transaction)? Otherwise sign anew. */
        bool ours;
        if ((rc = look(r, b, &ours, e)))
            return rc;
        if (ours) {
            if (!nothing)
                say(r, "%s %llu: the nonce was used by the %s found on the ledger",
                    kind_name(b->kind), (unsigned long long)b->seq, r->f->found_as);
            return E_OK;
        }
        const char *why = nothing ? "the transaction adopted from the ledger is no longer there "
                                    "(reorg); re-signing"
                                  : "nonce taken by another transaction; re-signing";
        if (nothing)
            say(r, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq, why);
        else
            say(r, "%s %llu: nonce %llu was used by another transaction; re-signing",
                kind_name(b->kind), (unsigned long long)b->seq, (unsigned long long)b->nonce);
        rc = store_batch_set_state(r->c.s, b->kind, b->seq, BATCH_CLOSED, why, e);
        b->state = BATCH_CLOSED;
        return rc;
    }
    /* (Re)sent: the K-block count before a fee replacement starts again when
     * it is next seen pending (no extra request here: most ledgers mine it
     * at once). */
    struct err ignore;
    err_code mrc = store_tx_set_sent_block(r->c.s, &b->tx_hash, NULL, &ignore);
    if (mrc != E_OK && mrc != E_NOT_FOUND) /* not found: adopted, none of ours */
        say(r, "warning: %s", ignore.msg);
    note(r, b, "sent; waiting to be mined");
    return E_OK;
}

/* Mined with our event in a canonical block: with the configured
 * confirmations the batch becomes ANCHORED (*done), with fewer the reason
 * is noted. */
static err_code settle_mined(const struct run *r, const struct store_batch *b,
                             const struct evm_tx_state *st, bool *done, struct err *e)
{
    const struct anchoring_cfg *cfg = r->c.cfg;
    if (st->confirmations < cfg->confirmations) {
        char why[160];
        snprintf(why, sizeof why, "mined in block %llu; %llu of %llu confirmations",
                 (unsigned long long)st->block_number, (unsigned long long)st->confirmations,
                 (unsigned long long)cfg->confirmations);
        note(r, b, why);
        return E_OK;
    }
    err_code rc = store_batch_anchored(r->c.s, b->kind, b->seq, &b->tx_hash, st->block_number,
                                       &st->block_hash, (int64_t)st->block_time, e);
    if (rc)
        return rc;
    *done = true;
    char hex[67];
    hash32_to_hex0x(&b->tx_hash, hex);
    say(r, "%s %llu: %s in block %llu (tx %s, %llu confirmations, gas %llu)",
        kind_name(b->kind), (unsigned long long)b->seq, r->f->mined_as,
        (unsigned long long)st->block_number, hex, (unsigned long long)st->confirmations,
        (unsigned long long)st->gas_used);
    return E_OK;
}

/* Does the receipt carry the flow's event for exactly this batch? */

/* SENT: drive to ANCHORED, or back to CLOSED when our nonce went elsewhere. */
static err_code follow(struct run *r, struct store_batch *b, bool *done, struct err *e)
{
    *done = false;
    err_code rc;
    if (r->f->watch) {
        bool found;
        struct hash32 tx;
        uint64_t nonce;
        if ((rc = r->f->watch(&r->c, b, &found, &tx, &nonce, e)) ||
            (found && (rc = adopt(r, b, &tx, nonce, e))))
            return rc;
    }
    struct evm_tx_state st;
    if ((rc = evm_tx_state(r->c.cfg->ledger, &b->tx_hash, &st, e)))
        return rc;
    char hex[67], why[256];
    hash32_to_hex0x(&b->tx_hash, hex);
    switch (st.status) {
    case EVM_TX_UNKNOWN:
        rc = unknown_step(r, b, e);
        break;
    case EVM_TX_PENDING:
        rc = replace_step(r, b, r->f->pending, e);
        break;
    case EVM_TX_REVERTED:
        snprintf(why, sizeof why, "transaction %s reverted in block %llu: %s", hex,
                 (unsigned long long)st.block_number, r->f->refused_by);
        set_failed(r, b, why);
        rc = err_set(e, E_STATE, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq,
                     why);
        break;
    case EVM_TX_MINED:
        if (!anchoring_flow_receipt_ok(r->f, r->c.cfg, &r->c.issuer, b, &st.receipt, e)) {
            set_failed(r, b, e->msg);
            rc = E_STATE;
            break;
        }
        rc = settle_mined(r, b, &st, done, e);
        break;
    }
    evm_tx_state_free(&st);
    return rc;
}

/*
 * One batch: CLOSED → sign → SENT → follow, until follow says done (E_OK,
 * *done) or the deadline passes (E_OK, still pending), pausing
 * cfg->poll_ms between looks. A sign that leaves the batch CLOSED has
 * chosen to wait (the reason noted): E_OK, pending, at once. A batch that
 * follow sends back to CLOSED is signed again at once, at most three times
 * in a row, so no ledger behaviour can make the loop spin past its deadline.
 */
static err_code drive(struct run *r, struct store_batch *b, bool *done, struct err *e)
{
    *done = false;
    unsigned resigned = 0; /* in a row, without a pause */
    for (;;) {
        err_code rc;
        if (b->state == BATCH_CLOSED) {
            if ((rc = sign_step(r, b, e)))
                return rc;
            if (b->state == BATCH_CLOSED)
                return E_OK; /* the flow waits (e.g. for a predecessor): pending */
            char hex[67];
            hash32_to_hex0x(&b->tx_hash, hex);
            say(r, "%s %llu: root %s in transaction %s (nonce %llu)", kind_name(b->kind),
                (unsigned long long)b->seq, r->f->signed_as, hex, (unsigned long long)b->nonce);
        }
        if (b->state == BATCH_SENT) {
            if ((rc = follow(r, b, done, e)))
                return rc;
            if (*done)
                return E_OK;
            /* Re-sign at once, but not endlessly: should the ledger keep
             * undoing what we send, the deadline and the poll pause apply. */
            if (b->state == BATCH_CLOSED && ++resigned < 3)
                continue;
        }
        resigned = 0;
        if (time(NULL) >= r->deadline)
            return E_OK; /* still pending: the caller reports it */
        usleep((r->c.cfg->poll_ms ? r->c.cfg->poll_ms : 1000) * 1000u);
    }
}

/* An E_PROTOCOL from the ledger on an answer we could not use (garbled, or
 * failing our checks) rather than a well-formed JSON-RPC error says nothing
 * about the batches: E_NETWORK, as an unreachable ledger. */
static err_code unusable_is_network(const struct anchoring_cfg *cfg, err_code rc, struct err *e)
{
    enum rpc_failure f = rpc_last_error(cfg->ledger->rpc)->failure;
    if (rc != E_PROTOCOL || (f != RPC_FAIL_MALFORMED && f != RPC_FAIL_RESULT))
        return rc;
    char msg[sizeof e->msg];
    snprintf(msg, sizeof msg, "%s", e->msg);
    return err_set(e, E_NETWORK, "%s", msg);
}

/* anchoring_recheck for the runs: a failure is logged as a warning and
 * returned for the run to report after it has looked at its waiting
 * batches — the re-check never keeps a closed batch from being anchored. */
static err_code recheck_soft(const struct run *r, enum batch_kind kind,
                             struct anchoring_report *rep, struct err *e)
{
    err_code rc = anchoring_recheck(r->c.s, r->c.cfg, kind, &r->c.issuer, rep, e);
    if (!rc)
        return E_OK;
    rc = unusable_is_network(r->c.cfg, rc, e);
    say(r, "warning: anchored %ss not re-checked for reorgs (run again): %s", kind_name(kind),
        e->msg);
    return rc;
}

/* The batches of `kind` in order, each driven until anchored; the first
 * that cannot be stops the run (the next needs its sequence number). */
static err_code run_batches(struct run *r, enum batch_kind kind, struct anchoring_report *rep,
                            struct err *e)
{
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(r->c.s, kind, &list, &n, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct store_batch *b = &list[i];
        if (b->state == BATCH_FAILED) {
            rc = err_set(e, E_STATE, "%s %llu failed earlier: %s (once the cause is fixed, "
                                     "`notary anchor --retry-failed` tries it again)",
                         kind_name(kind), (unsigned long long)b->seq, b->last_error);
            break; /* later batches cannot be anchored before it (contiguous sequence) */
        }
        if (b->state != BATCH_CLOSED && b->state != BATCH_SENT)
            continue;
        if (!b->has_root) {
            rc = err_set(e, E_STATE, "%s %llu has no root yet", kind_name(kind),
                         (unsigned long long)b->seq);
            break;
        }
        bool done;
        rc = unusable_is_network(r->c.cfg, drive(r, b, &done, e), e);
        /* E_STATE: FAILED, or a refusal whose reason the flow noted. */
        if (rc && rc != E_STATE)
            note(r, b, e->msg);
        if (rc || !done)
            break;
        rep->anchored++;
    }
    free(list);
    return rc;
}

static err_code run_flow(const struct anchoring_flow *f, struct store *s,
                         const struct anchoring_cfg *cfg, enum batch_kind kind,
                         struct anchoring_report *rep, struct err *e)
{
    memset(rep, 0, sizeof *rep);
    struct run r = {.c = {.s = s, .cfg = cfg}, .f = f};
    signer_address(cfg->signer, &r.c.issuer);
    r.deadline = time(NULL) + (cfg->timeout_s ? cfg->timeout_s : 300);
    err_code rc = store_lock_writer(s, e);
    if (rc || (f->open && (rc = f->open(&r.c, e))))
        return rc;
    struct err re = {0};
    err_code rrc = recheck_soft(&r, kind, rep, &re);
    rc = run_batches(&r, kind, rep, e);
    anchoring_count_waiting(s, kind, rep);
    if (!rc && rrc)
        rc = err_set(e, rrc, "%s", re.msg);
    if (f->close)
        f->close(&r.c);
    return rc;
}

err_code anchoring_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                       struct anchoring_report *rep, struct err *e)
{
    return run_flow(anchoring_is_ebsi(s) ? &anchoring_ebsi_flow : &anchoring_evm_flow, s, cfg,
                    kind, rep, e);
}

err_code anchoring_ebsi_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                            struct anchoring_report *rep, struct err *e)
{
    return run_flow(&anchoring_ebsi_flow, s, cfg, kind, rep, e);
}


void anchoring_count_waiting(struct store *s, enum batch_kind kind, struct anchoring_report *rep)
{
    struct store_batch *list;
    size_t n;
    struct err ignore;
    if (store_batch_list(s, kind, &list, &n, &ignore) != E_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        if (list[i].state == BATCH_FAILED)
            rep->failed++;
        else if (list[i].state == BATCH_CLOSED || list[i].state == BATCH_SENT)
            rep->pending++;
    }
    free(list);
}
