/* notary/anchoring/anchoring.c — see anchoring.h. */
#include "notary/anchoring/anchoring.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor/eth.h"
#include "anchor/registry.h"
#include "anchor/tx.h"
#include "notary/anchoring/anchoring_ebsi.h"

struct run {
    struct store *s;
    const struct anchoring_cfg *cfg;
    struct addr20 issuer;
    time_t deadline;
};

void anchoring_say(const struct anchoring_cfg *cfg, const char *fmt, ...)
{
    if (!cfg->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    cfg->log(cfg->log_arg, fmt, ap);
    va_end(ap);
}

void anchoring_fault_point(const char *name)
{
    const char *f = getenv("NOTARY_FAULT");
    if (f && strcmp(f, name) == 0)
        raise(SIGKILL);
}

const char *anchoring_kind_name(enum batch_kind k)
{
    return k == BATCH_ISSUANCE ? "batch" : "checkpoint";
}

void anchoring_note(struct store *s, const struct anchoring_cfg *cfg, const struct store_batch *b,
                    const char *why)
{
    struct err ignore;
    if (store_batch_note(s, b->kind, b->seq, why, &ignore) != E_OK)
        anchoring_say(cfg, "warning: could not record the pending reason: %s", ignore.msg);
}

err_code anchoring_settle_mined(struct store *s, const struct anchoring_cfg *cfg,
                                const struct store_batch *b, const struct evm_tx_state *st,
                                const char *verb, bool *done, struct err *e)
{
    *done = false;
    if (st->confirmations < cfg->confirmations) {
        char why[160];
        snprintf(why, sizeof why, "mined in block %llu; %llu of %llu confirmations",
                 (unsigned long long)st->block_number, (unsigned long long)st->confirmations,
                 (unsigned long long)cfg->confirmations);
        anchoring_note(s, cfg, b, why);
        return E_OK;
    }
    err_code rc = store_batch_anchored(s, b->kind, b->seq, &b->tx_hash, st->block_number,
                                       &st->block_hash, (int64_t)st->block_time, e);
    if (rc)
        return rc;
    *done = true;
    char hex[67];
    hash32_to_hex0x(&b->tx_hash, hex);
    anchoring_say(cfg, "%s %llu: %s in block %llu (tx %s, %llu confirmations, gas %llu)",
                  anchoring_kind_name(b->kind), (unsigned long long)b->seq, verb,
                  (unsigned long long)st->block_number, hex,
                  (unsigned long long)st->confirmations, (unsigned long long)st->gas_used);
    return E_OK;
}

void anchoring_set_failed(struct store *s, const struct anchoring_cfg *cfg,
                          const struct store_batch *b, const char *why)
{
    struct err ignore;
    if (store_batch_set_state(s, b->kind, b->seq, BATCH_FAILED, why, &ignore))
        anchoring_say(cfg, "warning: %s", ignore.msg);
}

#define say(r, ...) anchoring_say((r)->cfg, __VA_ARGS__)
#define fault_point anchoring_fault_point
#define kind_name anchoring_kind_name
#define note(r, b, why) anchoring_note((r)->s, (r)->cfg, (b), (why))

/* Does the receipt carry our Anchored event for exactly this batch? */
static bool evm_receipt_ok(const struct anchoring_cfg *cfg, const struct addr20 *issuer,
                           const struct store_batch *b, const struct rpc_receipt *rc,
                           struct err *e)
{
    for (size_t i = 0; i < rc->nlogs; i++) {
        struct registry_event ev;
        if (!addr20_eq(&rc->logs[i].address, &cfg->contract) ||
            registry_parse_event(&rc->logs[i], &ev, NULL) != E_OK)
            continue;
        if (addr20_eq(&ev.issuer, issuer) && hash32_eq(&ev.root, &b->root) &&
            ev.size == b->size && ev.seq == b->seq && (int)ev.kind == (int)b->kind)
            return true;
    }
    err_set(e, E_STATE, "the mined transaction carries no Anchored event for %s %llu",
            kind_name(b->kind), (unsigned long long)b->seq);
    return false;
}

bool anchoring_receipt_ok(const struct anchoring_cfg *cfg, bool ebsi, const struct addr20 *issuer,
                          const struct store_batch *b, const struct rpc_receipt *rc,
                          struct err *e)
{
    return ebsi ? anchoring_ebsi_receipt_ok(cfg, issuer, b, rc, e)
                : evm_receipt_ok(cfg, issuer, b, rc, e);
}

bool anchoring_is_ebsi(struct store *s)
{
    char *ledger = NULL;
    bool ebsi = store_meta_get(s, "ledger", &ledger, NULL) == E_OK && strcmp(ledger, "ebsi") == 0;
    free(ledger);
    return ebsi;
}

static bool receipt_has_event(const struct run *r, const struct store_batch *b,
                              const struct rpc_receipt *rc, struct err *e)
{
    return evm_receipt_ok(r->cfg, &r->issuer, b, rc, e);
}

/*
 * The contract already has (issuer, root): find the event and adopt its
 * transaction (our record of sending it was lost, or an earlier run crashed
 * after the broadcast). Moves the batch to SENT with that transaction.
 */
static err_code adopt(const struct run *r, struct store_batch *b,
                      const struct registry_record *rec, struct err *e)
{
    struct hash32 topic, issuer_topic = {{0}};
    registry_anchored_topic(&topic);
    memcpy(issuer_topic.b + 12, r->issuer.b, 20);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(rec->block_number, q);
    struct rpc_log_filter f = {.address = &r->cfg->contract,
                               .topics = {&topic, &issuer_topic, &b->root},
                               .ntopics = 3,
                               .from_block = q,
                               .to_block = q};
    struct rpc_log *logs;
    size_t n;
    err_code rc = rpc_get_logs(r->cfg->ledger->rpc, &f, &logs, &n, e);
    if (rc)
        return rc;
    struct hash32 txh;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        struct registry_event ev;
        if (registry_parse_event(&logs[i], &ev, NULL) == E_OK && ev.seq == b->seq &&
            ev.size == b->size && !logs[i].removed) {
            txh = logs[i].tx_hash;
            found = true;
        }
    }
    rpc_logs_free(logs, n);
    if (!found)
        return err_set(e, E_STATE,
                       "the contract says %s %llu's root was anchored in block %llu, but no "
                       "matching event is there",
                       kind_name(b->kind), (unsigned long long)b->seq,
                       (unsigned long long)rec->block_number);
    char hex[67];
    hash32_to_hex0x(&txh, hex);
    say(r, "%s %llu: already anchored on the ledger by %s; adopting it", kind_name(b->kind),
        (unsigned long long)b->seq, hex);
    if ((rc = store_tx_record(r->s, b->kind, b->seq, 0, &txh, NULL, 0, e)))
        return rc;
    return store_batch_get(r->s, b->kind, b->seq, b, e);
}

/* CLOSED → SENT: check the chain, sign, record, then broadcast. */
static err_code sign_and_send(const struct run *r, struct store_batch *b, struct err *e)
{
    struct evm_ledger *l = r->cfg->ledger;
    struct registry_record rec;
    err_code rc = registry_anchored_at(l->rpc, &r->cfg->contract, &r->issuer, &b->root, NULL,
                                       &rec, e);
    if (rc)
        return rc;
    if (rec.block_number != 0)
        return adopt(r, b, &rec, e);
    uint64_t next;
    if ((rc = registry_next_seq(l->rpc, &r->cfg->contract, &r->issuer,
                                (enum registry_kind)b->kind, NULL, &next, e)))
        return rc;
    if (next < b->seq) {
        /* The registry lost batches this store holds as anchored: a reorg
         * deeper than the final depth. They go back to SENT (the next run
         * re-sends or re-signs them, in order); this one waits for them. */
        for (uint64_t q = next; q < b->seq; q++) {
            struct store_batch p;
            if ((rc = store_batch_get(r->s, b->kind, q, &p, e)))
                return rc;
            if (p.state == BATCH_ANCHORED &&
                (rc = store_batch_set_state(r->s, b->kind, q, BATCH_SENT,
                                            "the registry no longer has this anchor (reorg); "
                                            "looking it up to send it again", e)))
                return rc;
        }
        char why[200];
        snprintf(why, sizeof why, "waiting: the registry expects %s %llu next (a reorg took it "
                                  "away); it is re-anchored first",
                 kind_name(b->kind), (unsigned long long)next);
        say(r, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq, why);
        note(r, b, why);
        return E_OK; /* still CLOSED: pending */
    }
    if (next != b->seq) {
        char why[200];
        snprintf(why, sizeof why,
                 "the contract expects %s %llu next, not %llu: the ledger history and this "
                 "store disagree",
                 kind_name(b->kind), (unsigned long long)next, (unsigned long long)b->seq);
        anchoring_set_failed(r->s, r->cfg, b, why);
        return err_set(e, E_STATE, "%s", why);
    }
    uint64_t nonce;
    if ((rc = rpc_get_transaction_count(l->rpc, &r->issuer, "pending", &nonce, e)))
        return rc;
    struct buf data = {0};
    struct tx t;
    tx_init(&t);
    if ((rc = registry_anchor_calldata(&b->root, b->size, b->seq, (enum registry_kind)b->kind,
                                       &data, e)) ||
        (rc = evm_build_tx(l, &r->cfg->fees, &r->issuer, &r->cfg->contract, data.p, data.len,
                           nonce, &t, e))) {
        buf_free(&data);
        tx_clear(&t);
        if (rc == E_PROTOCOL && rpc_last_error(l->rpc)->reason == RPC_REASON_INSUFFICIENT_FUNDS) {
            note(r, b, "the issuer's account cannot pay for the transaction");
            return err_set(e, E_STATE, "the issuer's account cannot pay for the anchoring "
                                       "transaction: fund it and run `notary anchor` again");
        }
        return rc;
    }
    buf_free(&data);
    struct buf raw = {0};
    struct hash32 txh;
    rc = tx_sign(&t, r->cfg->signer, &raw, &txh, NULL, e);
    tx_clear(&t);
    /* Stored before it leaves this process: a crash from here on is
     * recovered by rebroadcasting exactly these bytes. */
    if (!rc)
        rc = store_tx_record(r->s, b->kind, b->seq, nonce, &txh, raw.p, raw.len, e);
    buf_free(&raw);
    if (rc)
        return rc;
    fault_point("after-record");
    return store_batch_get(r->s, b->kind, b->seq, b, e);
}

/* What the node said to a broadcast that was not an error for the batch. */
enum sent {
    SENT_OK,          /* accepted, or "already known" */
    SENT_NONCE_USED,  /* "nonce too low": some transaction used the nonce */
    SENT_UNDERPRICED, /* "(replacement) transaction underpriced": offer more */
    SENT_NOTHING,     /* adopted from the ledger: no bytes of ours to send */
};

/* Broadcast the stored transaction of a SENT batch (again). */
static err_code broadcast(const struct run *r, struct store_batch *b, enum sent *out,
                          struct err *e)
{
    *out = SENT_OK;
    uint8_t *raw;
    size_t len;
    err_code rc = store_tx_raw(r->s, &b->tx_hash, &raw, &len, e);
    if (rc)
        return rc;
    if (len == 0) { /* adopted from the chain: nothing of ours to send */
        free(raw);
        *out = SENT_NOTHING;
        return E_OK;
    }
    struct hash32 got;
    rc = rpc_send_raw_transaction(r->cfg->ledger->rpc, raw, len, true, &got, e);
    free(raw);
    if (rc == E_OK)
        fault_point("after-send");
    if (rc == E_PROTOCOL) {
        const struct rpc_error *re = rpc_last_error(r->cfg->ledger->rpc);
        if (re->reason == RPC_REASON_ALREADY_KNOWN) {
            err_clear(e);
            return E_OK;
        }
        if (re->reason == RPC_REASON_NONCE_TOO_LOW) {
            err_clear(e);
            *out = SENT_NONCE_USED;
            return E_OK;
        }
        if (re->reason == RPC_REASON_UNDERPRICED) {
            err_clear(e);
            *out = SENT_UNDERPRICED;
            return E_OK;
        }
        if (re->reason == RPC_REASON_INSUFFICIENT_FUNDS) {
            note(r, b, "the issuer's account cannot pay for the transaction");
            return err_set(e, E_STATE, "the issuer's account cannot pay for the anchoring "
                                       "transaction: fund it and run `notary anchor` again");
        }
    }
    if (rc == E_NETWORK)
        note(r, b, "ledger unreachable while sending; the signed transaction is stored and "
                   "will be looked up and resent");
    return rc;
}

/* Best effort: remember the block the ledger was at when `txh` was (re)sent;
 * the K-block count for a replacement starts there. */
static void mark_sent(const struct run *r, const struct hash32 *txh, uint64_t *block)
{
    struct err ignore;
    uint64_t latest;
    if (rpc_block_number(r->cfg->ledger->rpc, &latest, &ignore) != E_OK)
        return; /* the PENDING branch of follow() marks it later */
    if (store_tx_set_sent_block(r->s, txh, &latest, &ignore) != E_OK)
        say(r, "warning: could not record the send block: %s", ignore.msg);
    if (block)
        *block = latest;
}

/* "3.300 gwei" — fees in the log and the pending reason. */
static const char *gwei(const struct u256 *v, char out[32])
{
    uint64_t w;
    if (u256_to_u64(v, &w, NULL) != E_OK)
        snprintf(out, 32, "(huge)");
    else
        snprintf(out, 32, "%llu.%03llu gwei", (unsigned long long)(w / 1000000000u),
                 (unsigned long long)(w % 1000000000u / 1000000u));
    return out;
}

static void describe_fees(const struct tx *t, char *out, size_t n)
{
    char a[32], c[32];
    if (t->type == TX_LEGACY)
        snprintf(out, n, "gas price %s", gwei(&t->gas_price, a));
    else
        snprintf(out, n, "maxFee %s, tip %s", gwei(&t->max_fee, a), gwei(&t->max_priority_fee, c));
}

/* Fee replacements tried in one go while the node keeps answering
 * "underpriced"; each offers ≥ 10% more, and the fee cap ends it sooner. */
#define REPLACE_ATTEMPTS 16

/*
 * Replace the batch's current transaction (stuck in the pool, or refused as
 * underpriced) by one at the same nonce with the same call data and higher
 * fees (evm_bump_fees: ≥ 10% on every fee, at least the network's current
 * price, at most the cap). The replacement is recorded before it is
 * broadcast and becomes the batch's current transaction; the earlier ones
 * stay recorded and watched (watch_others), since any of them may still be
 * the one mined. At the cap the batch stays SENT with the reason noted.
 */
static err_code replace(const struct run *r, struct store_batch *b, const char *why,
                        struct err *e)
{
    struct evm_ledger *l = r->cfg->ledger;
    for (unsigned attempt = 0; attempt < REPLACE_ATTEMPTS; attempt++) {
        uint8_t *raw;
        size_t len;
        err_code rc = store_tx_raw(r->s, &b->tx_hash, &raw, &len, e);
        if (rc)
            return rc;
        if (len == 0) { /* adopted from the ledger: not ours to re-sign */
            free(raw);
            return E_OK;
        }
        struct tx old, t;
        struct eth_sig sig;
        rc = tx_decode_signed(raw, len, l->chain_id, &old, &sig, e);
        free(raw);
        if (rc)
            return err_wrap(e, rc, "the stored transaction of %s %llu", kind_name(b->kind),
                              (unsigned long long)b->seq);
        char before[96], after[96], oldhex[67], newhex[67];
        describe_fees(&old, before, sizeof before);
        rc = evm_bump_fees(l, &r->cfg->fees, &old, &t, e);
        bool legacy = old.type == TX_LEGACY;
        tx_clear(&old);
        if (rc == E_UNSUPPORTED && legacy) {
            /* A legacy transaction at gas price 0 is on a gas-free network
             * (Besu with min-gas-price 0, EBSI, our berlin profile): every
             * transaction there pays 0, so no fee can move it ahead, and a
             * bump would only make it the one transaction that pays. What
             * keeps it out of a block is the node (pool, permissioning),
             * not the price: wait and rebroadcast, never replace. */
            tx_clear(&t);
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "sent; waiting to be mined (%.80s; not replaced: %.300s)",
                     why, e->msg);
            note(r, b, msg);
            err_clear(e);
            return E_OK;
        }
        if (rc == E_LIMIT) {
            tx_clear(&t);
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "sent; %.80s, not replaced: %.300s", why, e->msg);
            note(r, b, msg);
            err_clear(e);
            return E_OK;
        }
        if (rc) {
            tx_clear(&t);
            return rc;
        }
        describe_fees(&t, after, sizeof after);
        struct buf nraw = {0};
        struct hash32 txh;
        rc = tx_sign(&t, r->cfg->signer, &nraw, &txh, NULL, e);
        uint64_t nonce = t.nonce;
        tx_clear(&t);
        /* Recorded before it leaves this process, as every transaction. */
        if (!rc)
            rc = store_tx_record(r->s, b->kind, b->seq, nonce, &txh, nraw.p, nraw.len, e);
        buf_free(&nraw);
        if (rc)
            return rc;
        hash32_to_hex0x(&b->tx_hash, oldhex);
        hash32_to_hex0x(&txh, newhex);
        fault_point("after-replace-record");
        if ((rc = store_batch_get(r->s, b->kind, b->seq, b, e)))
            return rc;
        enum sent out;
        if ((rc = broadcast(r, b, &out, e)))
            return rc;
        if (out == SENT_UNDERPRICED) {
            say(r, "%s %llu: replacement %s (%s) refused as underpriced; offering more",
                kind_name(b->kind), (unsigned long long)b->seq, newhex, after);
            why = "the node wants a higher fee";
            continue;
        }
        if (out == SENT_NONCE_USED) {
            /* One of our transactions (or another) was mined meanwhile:
             * the next look (watch_others, follow) finds out which. */
            note(r, b, "nonce used while replacing; looking for the mined transaction");
            return E_OK;
        }
        uint64_t at = 0;
        mark_sent(r, &b->tx_hash, &at);
        say(r, "%s %llu: %s; transaction %s (%s) replaced by %s (%s, nonce %llu, block %llu)",
            kind_name(b->kind), (unsigned long long)b->seq, why, oldhex, before, newhex, after,
            (unsigned long long)nonce, (unsigned long long)at);
        char msg[256];
        snprintf(msg, sizeof msg, "sent; replaced with a higher fee (%s); waiting to be mined",
                 after);
        note(r, b, msg);
        return E_OK;
    }
    note(r, b, "sent; the node still refuses our higher fees as underpriced; trying again");
    return E_OK;
}

/* A SENT batch's transaction is in the pool: replace it once it has been
 * pending for K blocks since it was (re)sent. */
static err_code maybe_replace(const struct run *r, struct store_batch *b, struct err *e)
{
    uint64_t k = r->cfg->replace_after_blocks ? r->cfg->replace_after_blocks
                                              : ANCHORING_REPLACE_AFTER_BLOCKS;
    struct store_tx *txs;
    size_t n;
    err_code rc = store_tx_list(r->s, b->kind, b->seq, &txs, &n, e);
    if (rc)
        return rc;
    struct store_tx cur = {0};
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        if (hash32_eq(&txs[i].hash, &b->tx_hash)) {
            cur = txs[i];
            found = true;
        }
    free(txs);
    if (!found || !cur.has_raw) {
        note(r, b, "sent; waiting to be mined");
        return E_OK;
    }
    uint64_t latest;
    if ((rc = rpc_block_number(r->cfg->ledger->rpc, &latest, e)))
        return rc;
    if (!cur.has_sent_block) { /* first seen pending since it was (re)sent */
        if ((rc = store_tx_set_sent_block(r->s, &cur.hash, &latest, e)))
            return rc;
        cur.sent_block = latest;
    }
    uint64_t waited = latest > cur.sent_block ? latest - cur.sent_block : 0;
    if (waited < k) {
        char msg[160];
        snprintf(msg, sizeof msg, "sent in block %llu; waiting to be mined (a higher fee "
                                  "replaces it from block %llu)",
                 (unsigned long long)cur.sent_block,
                 (unsigned long long)(cur.sent_block + k));
        note(r, b, msg);
        return E_OK;
    }
    char why[96];
    snprintf(why, sizeof why, "pending for %llu blocks since block %llu",
             (unsigned long long)waited, (unsigned long long)cur.sent_block);
    return replace(r, b, why, e);
}

/*
 * A batch with replacements has several signed transactions at one nonce,
 * and the ledger may include any of them (a node that never saw the
 * replacement mines the original). Has one other than the current one been
 * mined in a canonical block? Then it becomes the batch's transaction and
 * follow() checks its receipt and Anchored event as for any other.
 * Transactions at another nonce (signed before "nonce taken by another
 * transaction") can never be mined and are not asked about.
 */
static err_code watch_others(const struct run *r, struct store_batch *b, struct err *e)
{
    struct store_tx *txs;
    size_t n;
    err_code rc = store_tx_list(r->s, b->kind, b->seq, &txs, &n, e);
    if (rc || n < 2) {
        free(txs);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (hash32_eq(&txs[i].hash, &b->tx_hash) || txs[i].nonce != b->nonce)
            continue;
        struct rpc_receipt rcpt;
        rc = rpc_get_receipt(r->cfg->ledger->rpc, &txs[i].hash, &rcpt, e);
        if (rc == E_NOT_FOUND) {
            err_clear(e);
            rc = E_OK;
            continue;
        }
        if (rc)
            break;
        bool canonical;
        uint64_t depth;
        rc = evm_block_canonical(r->cfg->ledger, rcpt.block_number, &rcpt.block_hash,
                                 &canonical, &depth, NULL, e);
        rpc_receipt_free(&rcpt);
        if (rc)
            break;
        if (!canonical)
            continue;
        char hex[67];
        hash32_to_hex0x(&txs[i].hash, hex);
        say(r, "%s %llu: the ledger mined %s, an earlier fee level at nonce %llu; following it",
            kind_name(b->kind), (unsigned long long)b->seq, hex, (unsigned long long)txs[i].nonce);
        if (!(rc = store_tx_record(r->s, b->kind, b->seq, txs[i].nonce, &txs[i].hash, NULL, 0,
                                   e)))
            rc = store_batch_get(r->s, b->kind, b->seq, b, e);
        break;
    }
    free(txs);
    return rc;
}

/* SENT: drive to ANCHORED, or back to CLOSED when our nonce went elsewhere. */
static err_code follow(const struct run *r, struct store_batch *b, bool *done, struct err *e)
{
    *done = false;
    err_code rc = watch_others(r, b, e);
    if (rc)
        return rc;
    struct evm_tx_state st;
    if ((rc = evm_tx_state(r->cfg->ledger, &b->tx_hash, &st, e)))
        return rc;
    char hex[67];
    hash32_to_hex0x(&b->tx_hash, hex);
    switch (st.status) {
    case EVM_TX_UNKNOWN: {
        enum sent out;
        if ((rc = broadcast(r, b, &out, e)))
            break;
        if (out == SENT_UNDERPRICED) {
            /* Not in the pool and refused for its price: the network's
             * minimum rose, or an earlier transaction of ours holds the
             * nonce in the node's pool at a fee this one does not beat. */
            rc = replace(r, b, "refused as underpriced", e);
            break;
        }
        if (out == SENT_NOTHING || out == SENT_NONCE_USED) {
            /* SENT_NOTHING: the node no longer knows the transaction we
             * adopted from the ledger (a reorg took it away) and we have no
             * bytes to send again. SENT_NONCE_USED: someone used the nonce.
             * Either way: is the root anchored by some transaction? */
            struct registry_record rec;
            if ((rc = registry_anchored_at(r->cfg->ledger->rpc, &r->cfg->contract, &r->issuer,
                                           &b->root, NULL, &rec, e)))
                break;
            if (rec.block_number != 0) {
                if (!(rc = adopt(r, b, &rec, e)) && out == SENT_NONCE_USED)
                    say(r, "%s %llu: the nonce was used by the anchoring transaction found on "
                           "the ledger", kind_name(b->kind), (unsigned long long)b->seq);
                break;
            }
            const char *why = out == SENT_NOTHING
                                  ? "the transaction adopted from the ledger is no longer there "
                                    "(reorg); re-signing"
                                  : "nonce taken by another transaction; re-signing";
            say(r, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq, why);
            rc = store_batch_set_state(r->s, b->kind, b->seq, BATCH_CLOSED, why, e);
            b->state = BATCH_CLOSED;
            break;
        }
        /* (Re)sent: the K-block count starts again when it is next seen
         * pending (no extra request here: most ledgers mine it at once). */
        struct err ignore;
        err_code mrc = store_tx_set_sent_block(r->s, &b->tx_hash, NULL, &ignore);
        if (mrc != E_OK && mrc != E_NOT_FOUND) /* not found: adopted, none of ours */
            say(r, "warning: %s", ignore.msg);
        note(r, b, "sent; waiting to be mined");
        break;
    }
    case EVM_TX_PENDING:
        rc = maybe_replace(r, b, e);
        break;
    case EVM_TX_REVERTED: {
        char why[256];
        snprintf(why, sizeof why, "transaction %s reverted in block %llu: the contract refused "
                                  "the anchor", hex, (unsigned long long)st.block_number);
        anchoring_set_failed(r->s, r->cfg, b, why);
        rc = err_set(e, E_STATE, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq,
                     why);
        break;
    }
    case EVM_TX_MINED:
        if (!receipt_has_event(r, b, &st.receipt, e)) {
            anchoring_set_failed(r->s, r->cfg, b, e->msg);
            rc = E_STATE;
            break;
        }
        rc = anchoring_settle_mined(r->s, r->cfg, b, &st, "anchored", done, e);
        break;
    }
    evm_tx_state_free(&st);
    return rc;
}

err_code anchoring_drive(const struct anchoring_cfg *cfg, const struct anchoring_flow *flow,
                         void *ctx, time_t deadline, struct store_batch *b, bool *done,
                         struct err *e)
{
    *done = false;
    unsigned resigned = 0; /* in a row, without a pause */
    for (;;) {
        err_code rc;
        if (b->state == BATCH_CLOSED) {
            if ((rc = flow->sign(ctx, b, e)))
                return rc;
            if (b->state == BATCH_CLOSED)
                return E_OK; /* the flow waits (e.g. for a predecessor): pending */
            char hex[67];
            hash32_to_hex0x(&b->tx_hash, hex);
            anchoring_say(cfg, "%s %llu: root %s in transaction %s (nonce %llu)",
                          kind_name(b->kind), (unsigned long long)b->seq, flow->signed_as, hex,
                          (unsigned long long)b->nonce);
        }
        if (b->state == BATCH_SENT) {
            if ((rc = flow->follow(ctx, b, done, e)))
                return rc;
            if (*done)
                return E_OK;
            /* Re-sign at once, but not endlessly: should the ledger keep
             * undoing what we send, the deadline and the poll pause apply. */
            if (b->state == BATCH_CLOSED && ++resigned < 3)
                continue;
        }
        resigned = 0;
        if (time(NULL) >= deadline)
            return E_OK; /* still pending: the caller reports it */
        usleep((cfg->poll_ms ? cfg->poll_ms : 1000) * 1000u);
    }
}

static err_code evm_sign(void *ctx, struct store_batch *b, struct err *e)
{
    return sign_and_send(ctx, b, e);
}

static err_code evm_follow(void *ctx, struct store_batch *b, bool *done, struct err *e)
{
    return follow(ctx, b, done, e);
}

static const struct anchoring_flow EVM_FLOW = {evm_sign, evm_follow, "recorded"};

/* Did the last ledger call fail on an answer we could not use (as opposed
 * to a well-formed JSON-RPC error, which is an answer)? */
static bool unusable_answer(const struct run *r)
{
    enum rpc_failure f = rpc_last_error(r->cfg->ledger->rpc)->failure;
    return f == RPC_FAIL_MALFORMED || f == RPC_FAIL_RESULT;
}

err_code anchoring_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                       struct anchoring_report *rep, struct err *e)
{
    /* An "ebsi" notary writes through EBSI's Timestamp API instead. */
    if (anchoring_is_ebsi(s))
        return anchoring_ebsi_run(s, cfg, kind, rep, e);
    memset(rep, 0, sizeof *rep);
    struct run r = {.s = s, .cfg = cfg};
    signer_address(cfg->signer, &r.issuer);
    r.deadline = time(NULL) + (cfg->timeout_s ? cfg->timeout_s : 300);
    err_code rc = store_lock_writer(s, e);
    if (rc)
        return rc;
    struct store_batch *list;
    size_t n;
    struct err re = {0};
    err_code rrc = anchoring_recheck_soft(s, cfg, kind, &r.issuer, rep, &re);
    if ((rc = store_batch_list(s, kind, &list, &n, e))) {
        anchoring_count_waiting(s, kind, rep);
        return rc;
    }
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
        rc = anchoring_drive(cfg, &EVM_FLOW, &r, r.deadline, b, &done, e);
        if (rc == E_PROTOCOL && unusable_answer(&r)) {
            /* A garbled body or a result that fails our checks (e.g. a send
             * answered with another hash) says nothing about the batch and
             * may be the node having taken the transaction: like an
             * unreachable ledger, keep the state, note why, run again. */
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            rc = err_set(e, E_NETWORK, "%s", msg);
        }
        if (rc && rc != E_STATE)
            note(&r, b, e->msg);
        if (rc || !done)
            break; /* the next batch needs this one's sequence number first */
        rep->anchored++;
    }
    free(list);
    anchoring_count_waiting(s, kind, rep);
    if (!rc && rrc)
        rc = err_set(e, rrc, "%s", re.msg);
    return rc;
}

err_code anchoring_recheck_soft(struct store *s, const struct anchoring_cfg *cfg,
                                enum batch_kind kind, const struct addr20 *issuer,
                                struct anchoring_report *rep, struct err *e)
{
    err_code rc = anchoring_recheck(s, cfg, kind, issuer, rep, e);
    if (!rc)
        return E_OK;
    enum rpc_failure f = rpc_last_error(cfg->ledger->rpc)->failure;
    if (rc == E_PROTOCOL && (f == RPC_FAIL_MALFORMED || f == RPC_FAIL_RESULT))
        rc = E_NETWORK; /* an unusable answer says nothing about the batches */
    anchoring_say(cfg, "warning: anchored %ss not re-checked for reorgs (run again): %s",
                  kind_name(kind), e->msg);
    return rc;
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
