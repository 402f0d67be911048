/*
 * notary/anchoring/anchoring_evm.c — the "evm" ledger flow (flow.h): one
 * NotaryRegistry.anchor transaction per batch, signed here, sent over
 * JSON-RPC; on fee networks a stuck or underpriced transaction is replaced
 * at the same nonce with higher fees (anchoring.h). The driver
 * (anchoring.c) calls this table; nothing here calls the driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "anchor/tx.h"
#include "notary/anchoring/flow.h"

#define kind_name anchoring_kind_name
#define say(c, ...) anchoring_say((c)->cfg, __VA_ARGS__)

/* The flow's state: which registry, and who sends. On NotaryRegistry (v1)
 * the signer is the issuer. On NotaryRegistry2 (store meta "registry" = 2,
 * docs/registry-v2.md) the issuer c->issuer is the identity (store meta
 * "issuer") and the signer is its anchoring key, which sends and pays. */
struct evm_state {
    bool v2;
    struct addr20 sender;
};

static err_code evm_flow_open(struct anchoring_ctx *c, struct err *e)
{
    struct evm_state *st = calloc(1, sizeof *st);
    if (!st)
        return err_set(e, E_NOMEM, "out of memory");
    signer_address(c->cfg->signer, &st->sender);
    c->flow = st;
    if (!anchoring_is_registry2(c->s))
        return E_OK;
    st->v2 = true;
    char *id = NULL;
    err_code rc = store_meta_get(c->s, "issuer", &id, e);
    if (!rc)
        rc = addr20_from_hex(id, &c->issuer, e);
    free(id);
    if (rc) {
        free(st);
        c->flow = NULL;
    }
    return rc;
}

static void evm_flow_close(struct anchoring_ctx *c)
{
    free(c->flow);
    c->flow = NULL;
}

static bool is_v2(const struct anchoring_ctx *c)
{
    return c->flow && ((const struct evm_state *)c->flow)->v2;
}

static const struct addr20 *sender(const struct anchoring_ctx *c)
{
    return c->flow ? &((const struct evm_state *)c->flow)->sender : &c->issuer;
}

/* Is the log our Anchored event for exactly this batch? Either registry's
 * event: the contract at cfg->contract is one or the other, and their
 * topics differ. On NotaryRegistry2 `issuer` is the identity and any of its
 * keys may have sent it (a batch anchored before a rotation). */
static bool evm_log_ours(const struct anchoring_cfg *cfg, const struct addr20 *issuer,
                         const struct store_batch *b, const struct rpc_log *log)
{
    if (log->removed || !addr20_eq(&log->address, &cfg->contract))
        return false;
    struct registry_event ev;
    struct registry2_anchored ev2;
    if (registry_parse_event(log, &ev, NULL) == E_OK)
        return addr20_eq(&ev.issuer, issuer) && hash32_eq(&ev.root, &b->root) &&
               ev.size == b->size && ev.seq == b->seq && (int)ev.kind == (int)b->kind;
    return registry2_parse_anchored(log, &ev2, NULL) == E_OK &&
           addr20_eq(&ev2.identity, issuer) && hash32_eq(&ev2.root, &b->root) &&
           ev2.size == b->size && ev2.seq == b->seq && (int)ev2.kind == (int)b->kind;
}

/* The block in which the contract recorded (issuer, root); 0 if none. */
static err_code anchored_block(struct anchoring_ctx *c, const struct hash32 *root, uint64_t *block,
                               struct err *e)
{
    err_code rc;
    if (is_v2(c)) {
        struct registry2_record r2;
        rc = registry2_anchored_at(c->cfg->ledger->rpc, &c->cfg->contract, &c->issuer, root,
                                   NULL, &r2, e);
        *block = r2.block_number;
    } else {
        struct registry_record r1;
        rc = registry_anchored_at(c->cfg->ledger->rpc, &c->cfg->contract, &c->issuer, root, NULL,
                                  &r1, e);
        *block = r1.block_number;
    }
    if (rc)
        *block = 0;
    return rc;
}

/*
 * Has the contract (issuer, root)? Then find the event and name its
 * transaction (our record of sending it was lost, or an earlier run crashed
 * after the broadcast): the driver adopts it.
 */
static err_code evm_look(struct anchoring_ctx *c, const struct store_batch *b, bool *found,
                         struct hash32 *txh, struct anchoring_out *out, struct err *e)
{
    (void)out;
    *found = false;
    struct { uint64_t block_number; } rec;
    err_code rc = anchored_block(c, &b->root, &rec.block_number, e);
    if (rc || rec.block_number == 0)
        return rc;
    struct hash32 topic, issuer_topic = {{0}};
    if (is_v2(c))
        registry2_anchored_topic(&topic);
    else
        registry_anchored_topic(&topic);
    memcpy(issuer_topic.b + 12, c->issuer.b, 20);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(rec.block_number, q);
    struct rpc_log_filter f = {.address = &c->cfg->contract,
                               .topics = {&topic, &issuer_topic, &b->root},
                               .ntopics = 3,
                               .from_block = q,
                               .to_block = q};
    if ((rc = anchoring_find_log(c, &anchoring_evm_flow, &f, b, found, txh, e)))
        return rc;
    if (!*found)
        return err_set(e, E_STATE,
                       "the contract says %s %llu's root was anchored in block %llu, but no "
                       "matching event is there",
                       kind_name(b->kind), (unsigned long long)b->seq,
                       (unsigned long long)rec.block_number);
    return E_OK;
}

/* The registry expects `next` < b->seq: it lost batches this store holds as
 * anchored (a reorg deeper than the final depth). They go back to SENT (the
 * next run re-sends or re-signs them, in order); this one waits for them. */
static err_code wait_for_lost(struct anchoring_ctx *c, const struct store_batch *b, uint64_t next,
                              struct anchoring_out *out, struct err *e)
{
    for (uint64_t q = next; q < b->seq; q++) {
        struct store_batch p;
        err_code rc = store_batch_get(c->s, b->kind, q, &p, e);
        if (rc)
            return rc;
        if (p.state == BATCH_ANCHORED &&
            (rc = store_batch_set_state(c->s, b->kind, q, BATCH_SENT,
                                        "the registry no longer has this anchor (reorg); "
                                        "looking it up to send it again", e)))
            return rc;
    }
    anchoring_out_note(out, "waiting: the registry expects %s %llu next (a reorg took it away); "
                            "it is re-anchored first",
                       kind_name(b->kind), (unsigned long long)next);
    say(c, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq, out->note);
    return E_OK; /* still CLOSED: pending */
}

/* CLOSED, not on the ledger: check the sequence, build, sign, record. */
static err_code evm_sign(struct anchoring_ctx *c, const struct store_batch *b, bool *recorded,
                         struct anchoring_out *out, struct err *e)
{
    *recorded = false;
    struct evm_ledger *l = c->cfg->ledger;
    uint64_t next;
    err_code rc = registry_next_seq(l->rpc, &c->cfg->contract, &c->issuer,
                                    (enum registry_kind)b->kind, NULL, &next, e);
    if (rc)
        return rc;
    if (next < b->seq)
        return wait_for_lost(c, b, next, out, e);
    if (next != b->seq) {
        anchoring_out_note(out, "the contract expects %s %llu next, not %llu: the ledger "
                                "history and this store disagree",
                           kind_name(b->kind), (unsigned long long)next,
                           (unsigned long long)b->seq);
        out->fail = true;
        return err_set(e, E_STATE, "%s", out->note);
    }
    uint64_t nonce;
    if ((rc = rpc_get_transaction_count(l->rpc, sender(c), "pending", &nonce, e)))
        return rc;
    struct buf data = {0};
    struct tx t;
    tx_init(&t);
    if ((rc = is_v2(c) ? registry2_anchor_calldata(&c->issuer, &b->root, b->size, b->seq,
                                                   (enum registry_kind)b->kind, &data, e)
                       : registry_anchor_calldata(&b->root, b->size, b->seq,
                                                  (enum registry_kind)b->kind, &data, e)) ||
        (rc = evm_build_tx(l, &c->cfg->fees, sender(c), &c->cfg->contract, data.p, data.len,
                           nonce, &t, e))) {
        buf_free(&data);
        tx_clear(&t);
        if (rc == E_PROTOCOL && rpc_last_error(l->rpc)->reason == RPC_REASON_INSUFFICIENT_FUNDS) {
            anchoring_out_note(out, "the issuer's account cannot pay for the transaction");
            return err_set(e, E_STATE, "the issuer's account cannot pay for the anchoring "
                                       "transaction: fund it and run `notary anchor` again");
        }
        return rc;
    }
    buf_free(&data);
    struct buf raw = {0};
    struct hash32 txh;
    rc = tx_sign(&t, c->cfg->signer, &raw, &txh, NULL, e);
    tx_clear(&t);
    /* Stored before it leaves this process: a crash from here on is
     * recovered by rebroadcasting exactly these bytes. */
    if (!rc)
        rc = store_tx_record(c->s, b->kind, b->seq, nonce, &txh, raw.p, raw.len, e);
    buf_free(&raw);
    *recorded = rc == E_OK;
    return rc;
}

/* Broadcast signed bytes of batch b (again). */
static err_code evm_broadcast(struct anchoring_ctx *c, const struct store_batch *b,
                              const uint8_t *raw, size_t len, enum anchoring_sent *sent,
                              struct anchoring_out *out, struct err *e)
{
    (void)b;
    *sent = ANCHORING_SENT_OK;
    struct hash32 got;
    err_code rc = rpc_send_raw_transaction(c->cfg->ledger->rpc, raw, len, true, &got, e);
    if (rc == E_OK)
        anchoring_fault_point("after-send");
    if (rc == E_PROTOCOL) {
        const struct rpc_error *re = rpc_last_error(c->cfg->ledger->rpc);
        if (re->reason == RPC_REASON_ALREADY_KNOWN) {
            err_clear(e);
            return E_OK;
        }
        if (re->reason == RPC_REASON_NONCE_TOO_LOW) {
            err_clear(e);
            *sent = ANCHORING_SENT_NONCE_USED;
            return E_OK;
        }
        if (re->reason == RPC_REASON_UNDERPRICED) {
            err_clear(e);
            *sent = ANCHORING_SENT_UNDERPRICED;
            return E_OK;
        }
        if (re->reason == RPC_REASON_INSUFFICIENT_FUNDS) {
            anchoring_out_note(out, "the issuer's account cannot pay for the transaction");
            return err_set(e, E_STATE, "the issuer's account cannot pay for the anchoring "
                                       "transaction: fund it and run `notary anchor` again");
        }
    }
    if (rc == E_NETWORK)
        anchoring_out_note(out, "ledger unreachable while sending; the signed transaction is "
                                "stored and will be looked up and resent");
    return rc;
}

/* Best effort: remember the block the ledger was at when `txh` was (re)sent;
 * the K-block count for a replacement starts there. */
static void mark_sent(const struct anchoring_ctx *c, const struct hash32 *txh, uint64_t *block)
{
    struct err ignore;
    uint64_t latest;
    if (rpc_block_number(c->cfg->ledger->rpc, &latest, &ignore) != E_OK)
        return; /* the PENDING branch marks it later */
    if (store_tx_set_sent_block(c->s, txh, &latest, &ignore) != E_OK)
        say(c, "warning: could not record the send block: %s", ignore.msg);
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

/* One replacement of `old` (the stored transaction): decoded, fees bumped,
 * signed and recorded. *nraw empty and E_OK: not replaced (the reason is
 * in out->note). */
static err_code sign_replacement(struct anchoring_ctx *c, const struct store_batch *b,
                                 const char *why, const uint8_t *raw, size_t len,
                                 struct buf *nraw, struct hash32 *txh, uint64_t *nonce,
                                 char before[96], char after[96], struct anchoring_out *out,
                                 struct err *e)
{
    struct evm_ledger *l = c->cfg->ledger;
    struct tx old, t;
    struct eth_sig sig;
    err_code rc = tx_decode_signed(raw, len, l->chain_id, &old, &sig, e);
    if (rc)
        return err_wrap(e, rc, "the stored transaction of %s %llu", kind_name(b->kind),
                        (unsigned long long)b->seq);
    describe_fees(&old, before, 96);
    rc = evm_bump_fees(l, &c->cfg->fees, &old, &t, e);
    bool legacy = old.type == TX_LEGACY;
    tx_clear(&old);
    if ((rc == E_UNSUPPORTED && legacy) || rc == E_LIMIT) {
        /* E_UNSUPPORTED: a legacy transaction at gas price 0 is on a
         * gas-free network (Besu with min-gas-price 0, EBSI, our berlin
         * profile): every transaction there pays 0, so no fee can move it
         * ahead, and a bump would only make it the one transaction that
         * pays. What keeps it out of a block is the node (pool,
         * permissioning), not the price: wait and rebroadcast, never
         * replace. E_LIMIT: at the fee cap. */
        tx_clear(&t);
        if (rc == E_LIMIT)
            anchoring_out_note(out, "sent; %.80s, not replaced: %.300s", why, e->msg);
        else
            anchoring_out_note(out, "sent; waiting to be mined (%.80s; not replaced: %.300s)",
                               why, e->msg);
        err_clear(e);
        return E_OK;
    }
    if (rc) {
        tx_clear(&t);
        return rc;
    }
    describe_fees(&t, after, 96);
    rc = tx_sign(&t, c->cfg->signer, nraw, txh, NULL, e);
    *nonce = t.nonce;
    tx_clear(&t);
    /* Recorded before it leaves this process, as every transaction. */
    if (!rc)
        rc = store_tx_record(c->s, b->kind, b->seq, *nonce, txh, nraw->p, nraw->len, e);
    return rc;
}

/*
 * Replace the batch's current transaction (stuck in the pool, or refused as
 * underpriced) by one at the same nonce with the same call data and higher
 * fees (evm_bump_fees: ≥ 10% on every fee, at least the network's current
 * price, at most the cap). The replacement is recorded before it is
 * broadcast and becomes the batch's current transaction; the earlier ones
 * stay recorded and watched (evm_watch), since any of them may still be
 * the one mined. At the cap the batch stays SENT with the reason noted.
 */
static err_code replace(struct anchoring_ctx *c, const struct store_batch *batch, const char *why,
                        struct anchoring_out *out, struct err *e)
{
    struct store_batch b = *batch;
    for (unsigned attempt = 0; attempt < REPLACE_ATTEMPTS; attempt++) {
        uint8_t *raw;
        size_t len;
        err_code rc = store_tx_raw(c->s, &b.tx_hash, &raw, &len, e);
        if (rc)
            return rc;
        if (len == 0) { /* adopted from the ledger: not ours to re-sign */
            free(raw);
            return E_OK;
        }
        struct buf nraw = {0};
        struct hash32 txh;
        uint64_t nonce = 0;
        char before[96], after[96], oldhex[67], newhex[67];
        rc = sign_replacement(c, &b, why, raw, len, &nraw, &txh, &nonce, before, after, out, e);
        free(raw);
        if (rc || nraw.len == 0) {
            buf_free(&nraw);
            return rc;
        }
        hash32_to_hex0x(&b.tx_hash, oldhex);
        hash32_to_hex0x(&txh, newhex);
        anchoring_fault_point("after-replace-record");
        enum anchoring_sent sent;
        if (!(rc = store_batch_get(c->s, b.kind, b.seq, &b, e)))
            rc = evm_broadcast(c, &b, nraw.p, nraw.len, &sent, out, e);
        buf_free(&nraw);
        if (rc)
            return rc;
        if (sent == ANCHORING_SENT_UNDERPRICED) {
            say(c, "%s %llu: replacement %s (%s) refused as underpriced; offering more",
                kind_name(b.kind), (unsigned long long)b.seq, newhex, after);
            why = "the node wants a higher fee";
            continue;
        }
        if (sent == ANCHORING_SENT_NONCE_USED) {
            /* One of our transactions (or another) was mined meanwhile:
             * the next look (evm_watch, the driver's follow) finds out which. */
            anchoring_out_note(out, "nonce used while replacing; looking for the mined "
                                    "transaction");
            return E_OK;
        }
        uint64_t at = 0;
        mark_sent(c, &b.tx_hash, &at);
        say(c, "%s %llu: %s; transaction %s (%s) replaced by %s (%s, nonce %llu, block %llu)",
            kind_name(b.kind), (unsigned long long)b.seq, why, oldhex, before, newhex, after,
            (unsigned long long)nonce, (unsigned long long)at);
        anchoring_out_note(out, "sent; replaced with a higher fee (%s); waiting to be mined",
                           after);
        return E_OK;
    }
    anchoring_out_note(out, "sent; the node still refuses our higher fees as underpriced; "
                            "trying again");
    return E_OK;
}

/* Not in the pool and refused for its price: the network's minimum rose,
 * or an earlier transaction of ours holds the nonce in the node's pool at
 * a fee this one does not beat. */
static err_code evm_underpriced(struct anchoring_ctx *c, const struct store_batch *b,
                                struct anchoring_out *out, struct err *e)
{
    return replace(c, b, "refused as underpriced", out, e);
}

/* A SENT batch's transaction is in the pool: replace it once it has been
 * pending for K blocks since it was (re)sent. */
static err_code evm_pending(struct anchoring_ctx *c, const struct store_batch *b,
                            struct anchoring_out *out, struct err *e)
{
    uint64_t k = c->cfg->replace_after_blocks ? c->cfg->replace_after_blocks
                                              : ANCHORING_REPLACE_AFTER_BLOCKS;
    struct store_tx *txs;
    size_t n;
    err_code rc = store_tx_list(c->s, b->kind, b->seq, &txs, &n, e);
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
        anchoring_out_note(out, "sent; waiting to be mined");
        return E_OK;
    }
    uint64_t latest;
    if ((rc = rpc_block_number(c->cfg->ledger->rpc, &latest, e)))
        return rc;
    if (!cur.has_sent_block) { /* first seen pending since it was (re)sent */
        if ((rc = store_tx_set_sent_block(c->s, &cur.hash, &latest, e)))
            return rc;
        cur.sent_block = latest;
    }
    uint64_t waited = latest > cur.sent_block ? latest - cur.sent_block : 0;
    if (waited < k) {
        anchoring_out_note(out, "sent in block %llu; waiting to be mined (a higher fee "
                                "replaces it from block %llu)",
                           (unsigned long long)cur.sent_block,
                           (unsigned long long)(cur.sent_block + k));
        return E_OK;
    }
    char why[96];
    snprintf(why, sizeof why, "pending for %llu blocks since block %llu",
             (unsigned long long)waited, (unsigned long long)cur.sent_block);
    return replace(c, b, why, out, e);
}

/*
 * A batch with replacements has several signed transactions at one nonce,
 * and the ledger may include any of them (a node that never saw the
 * replacement mines the original). Has one other than the current one been
 * mined in a canonical block? Then it becomes the batch's transaction and
 * the driver checks its receipt and Anchored event as for any other.
 * Transactions at another nonce (signed before "nonce taken by another
 * transaction") can never be mined and are not asked about.
 */
static err_code evm_watch(struct anchoring_ctx *c, const struct store_batch *b, bool *found,
                          struct hash32 *tx, uint64_t *nonce, struct err *e)
{
    *found = false;
    struct store_tx *txs;
    size_t n;
    err_code rc = store_tx_list(c->s, b->kind, b->seq, &txs, &n, e);
    if (rc || n < 2) {
        free(txs);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (hash32_eq(&txs[i].hash, &b->tx_hash) || txs[i].nonce != b->nonce)
            continue;
        struct rpc_receipt rcpt;
        rc = rpc_get_receipt(c->cfg->ledger->rpc, &txs[i].hash, &rcpt, e);
        if (rc == E_NOT_FOUND) {
            err_clear(e);
            rc = E_OK;
            continue;
        }
        if (rc)
            break;
        bool canonical;
        uint64_t depth;
        rc = evm_block_canonical(c->cfg->ledger, rcpt.block_number, &rcpt.block_hash,
                                 &canonical, &depth, NULL, e);
        rpc_receipt_free(&rcpt);
        if (rc)
            break;
        if (!canonical)
            continue;
        char hex[67];
        hash32_to_hex0x(&txs[i].hash, hex);
        say(c, "%s %llu: the ledger mined %s, an earlier fee level at nonce %llu; following it",
            kind_name(b->kind), (unsigned long long)b->seq, hex, (unsigned long long)txs[i].nonce);
        *found = true;
        *tx = txs[i].hash;
        *nonce = txs[i].nonce;
        break;
    }
    free(txs);
    return rc;
}

const struct anchoring_flow anchoring_evm_flow = {
    .name = "evm",
    .open = evm_flow_open,
    .close = evm_flow_close,
    .signed_as = "recorded",
    .mined_as = "anchored",
    .found_as = "anchoring transaction",
    .refused_by = "the contract refused the anchor",
    .look = evm_look,
    .sign = evm_sign,
    .broadcast = evm_broadcast,
    .watch = evm_watch,
    .pending = evm_pending,
    .underpriced = evm_underpriced,
    .log_ours = evm_log_ours,
    .event = "Anchored",
};
