/*
 * verifier/revocation_ledger.c — reading an issuer's anchored records
 * (issuance batches, revocation checkpoints) from the ledger; see
 * revocation_ledger.h. evm: the NotaryRegistry's Anchored events and views;
 * ebsi: EBSI's Timestamp contract's TimestampedHashes events carrying our
 * record, and getTimestamp. EBSI's event indexes nothing and names no
 * sender, so the issuer's are found by reading the contract's events in
 * bounded block windows (topic0 only) and, for each event that carries our
 * record format, the sender (`from`) of its transaction
 * (docs/revocation-format.md "Finding the checkpoints"). NotaryRegistry2:
 * the v2 Anchored events for the identity, each judged by the key-history
 * rule (registry2_key_counts) with the statuses read at open.
 */
#include "verifier/revocation_ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"

err_code vrev_ledger_open(struct vrev_ledger *l, enum bundle_ledger ledger,
                          const struct rpc_options *ro, const struct addr20 *contract,
                          const struct addr20 *issuer, uint64_t confirmations, uint64_t window,
                          struct err *e)
{
    memset(l, 0, sizeof *l);
    l->ledger = ledger;
    l->contract = *contract;
    l->issuer = *issuer;
    l->window = window ? window : VREV_DEFAULT_WINDOW;
    uint64_t latest;
    err_code rc = rpc_client_new(ro, &l->rpc, e);
    if (!rc && !(rc = rpc_chain_id(l->rpc, &l->chain_id, e)))
        rc = rpc_block_number(l->rpc, &latest, e);
    if (rc) {
        vrev_ledger_close(l);
        return rc;
    }
    if (confirmations < 1)
        confirmations = 1;
    l->head = latest + 1 >= confirmations ? latest + 1 - confirmations : 0;
    if (ledger == BUNDLE_LEDGER_EVM &&
        ((rc = registry2_code_matches(l->rpc, &l->contract, &l->v2, e)) ||
         (l->v2 && (rc = registry2_key_history(l->rpc, &l->contract, &l->issuer, 0,
                                               REGISTRY2_NEVER, l->window, &l->keys,
                                               &l->n_keys, e))))) {
        vrev_ledger_close(l);
        return rc;
    }
    return E_OK;
}

void vrev_ledger_close(struct vrev_ledger *l)
{
    rpc_client_free(l->rpc);
    l->rpc = NULL;
    free(l->keys);
    l->keys = NULL;
    l->n_keys = 0;
}

void vrev_ledger_key_status(const struct vrev_ledger *l, const struct addr20 *key,
                            struct registry2_key_status *out)
{
    *out = (struct registry2_key_status){.authorized_from = l->v2 ? REGISTRY2_NEVER : 0,
                                         .retired_at = REGISTRY2_NEVER,
                                         .compromised_since = REGISTRY2_NEVER,
                                         .identity_compromised_since = REGISTRY2_NEVER};
    if (!l->v2)
        return;
    if (l->n_keys > 0)
        out->identity_compromised_since = l->keys[0].status.identity_compromised_since;
    for (size_t i = 0; i < l->n_keys; i++)
        if (addr20_eq(&l->keys[i].key, key)) {
            *out = l->keys[i].status;
            return;
        }
}

/* v2: does a record by `key` at `block` count for the issuer? */
static bool key_counts(const struct vrev_ledger *l, const struct addr20 *key, uint64_t block,
                       enum registry2_reason *why)
{
    struct registry2_key_status st;
    vrev_ledger_key_status(l, key, &st);
    return registry2_key_counts(&st, block, why);
}

err_code vrev_ledger_count(struct vrev_ledger *l, enum registry_kind kind, uint64_t *n,
                           struct err *e)
{
    char q[RPC_QTY_BUF];
    *n = 0;
    if (l->ledger == BUNDLE_LEDGER_EVM && !l->v2)
        return registry_next_seq(l->rpc, &l->contract, &l->issuer, kind,
                                 rpc_format_quantity(l->head, q), n, e);
    /* ebsi: no counter on the contract; the events are the history. v2:
     * nextSeq also counts records whose key does not count. */
    struct vrev_anchor *v;
    size_t nv;
    err_code rc = vrev_ledger_history(l, kind, &v, &nv, e);
    for (size_t i = 0; !rc && i < nv; i++)
        if (v[i].ev.seq + 1 > *n)
            *n = v[i].ev.seq + 1;
    free(v);
    return rc;
}

/* The sender of transaction `h`, cached for the window's logs of one
 * transaction. */
struct sender_cache {
    bool valid;
    struct hash32 tx;
    struct addr20 from;
};

static err_code tx_sender(const struct vrev_ledger *l, const struct rpc_log *log,
                          struct sender_cache *sc, struct addr20 *from, struct err *e)
{
    if (!sc->valid || !hash32_eq(&sc->tx, &log->tx_hash)) {
        struct rpc_tx tx;
        err_code rc = rpc_get_transaction(l->rpc, &log->tx_hash, &tx, e);
        if (rc == E_NOT_FOUND)
            return err_set(e, E_NETWORK, "block %" PRIu64 ": the node has a log of transaction "
                                         "it does not know (a reorg?): try again",
                           log->block_number);
        if (rc)
            return rc;
        bool same_block = tx.mined && tx.block_number == log->block_number &&
                          hash32_eq(&tx.block_hash, &log->block_hash);
        sc->valid = true;
        sc->tx = log->tx_hash;
        sc->from = tx.from;
        rpc_tx_free(&tx);
        if (!same_block)
            return err_set(e, E_NETWORK, "block %" PRIu64 ": a transaction moved while it was "
                                         "read (a reorg): try again",
                           log->block_number);
    }
    *from = sc->from;
    return E_OK;
}

/* Decode one log of the contract as a record of the issuer. *mine false:
 * not one of ours (ebsi: another sender's event, or not our record). */
static err_code parse_record(const struct vrev_ledger *l, const struct rpc_log *log,
                             struct sender_cache *sc, struct vrev_anchor *a, bool *mine,
                             struct err *e)
{
    struct registry_event *ev = &a->ev;
    *mine = false;
    a->counts = true;
    a->key = l->issuer;
    if (l->v2) {
        struct registry2_anchored x;
        if (registry2_parse_anchored(log, &x, e))
            return err_set(e, E_PROTOCOL, "block %" PRIu64 ": a log of the registry is not a "
                                          "well-formed NotaryRegistry2 Anchored event",
                           log->block_number);
        *ev = (struct registry_event){.contract = x.contract, .issuer = x.identity,
                                      .root = x.root, .size = x.size, .seq = x.seq,
                                      .kind = x.kind, .block_number = x.block_number,
                                      .block_hash = x.block_hash, .tx_hash = x.tx_hash,
                                      .log_index = x.log_index};
        a->key = x.key;
        a->counts = key_counts(l, &x.key, x.block_number, &a->why);
        *mine = addr20_eq(&x.identity, &l->issuer);
        return E_OK;
    }
    if (l->ledger == BUNDLE_LEDGER_EVM) {
        if (registry_parse_event(log, ev, e))
            return err_set(e, E_PROTOCOL, "block %" PRIu64 ": a log of the registry is not a "
                                          "well-formed Anchored event",
                           log->block_number);
        *mine = addr20_eq(&ev->issuer, &l->issuer); /* the filter should ensure it */
        return E_OK;
    }
    struct ebsi_event x;
    struct addr20 from;
    err_code rc;
    if (ebsi_parse_event(log, &x, NULL) != E_OK)
        return E_OK; /* somebody else's timestamp, in another format */
    if ((rc = tx_sender(l, log, sc, &from, e)))
        return rc;
    if (!addr20_eq(&from, &l->issuer))
        return E_OK;
    memset(ev, 0, sizeof *ev);
    ev->contract = log->address;
    ev->issuer = from;
    ev->root = x.root;
    ev->size = x.data.size;
    ev->seq = x.data.seq;
    ev->kind = x.data.kind == EBSI_KIND_REVOCATION ? REGISTRY_KIND_CHECKPOINT : REGISTRY_KIND_BATCH;
    ev->block_number = log->block_number;
    ev->block_hash = log->block_hash;
    ev->tx_hash = log->tx_hash;
    ev->log_index = log->log_index;
    *mine = true;
    return E_OK;
}

/* Records of the issuer in [from, to] (one eth_getLogs), appended. */
static err_code anchors_window(struct vrev_ledger *l, uint64_t from, uint64_t to,
                               struct vrev_anchor **out, size_t *n, size_t *cap, struct err *e)
{
    struct hash32 topic, who = {{0}};
    const bool evm = l->ledger == BUNDLE_LEDGER_EVM;
    if (l->v2)
        registry2_anchored_topic(&topic);
    else if (evm)
        registry_anchored_topic(&topic);
    else
        ebsi_event_topic(&topic); /* nothing indexed: every event of the contract */
    memcpy(who.b + 12, l->issuer.b, 20); /* an indexed address is a left-padded word */
    char qf[RPC_QTY_BUF], qt[RPC_QTY_BUF];
    struct rpc_log_filter flt = {.address = &l->contract,
                                 .topics = {&topic, &who},
                                 .ntopics = evm ? 2 : 1,
                                 .from_block = rpc_format_quantity(from, qf),
                                 .to_block = rpc_format_quantity(to, qt)};
    struct rpc_log *logs;
    size_t nl;
    err_code rc = rpc_get_logs(l->rpc, &flt, &logs, &nl, e);
    if (rc == E_LIMIT)
        return err_set(e, E_LIMIT,
                       "more than %u %s events in blocks %" PRIu64 "..%" PRIu64
                       ": use a smaller window",
                       RPC_MAX_LOGS,
                       evm ? "Anchored" : "TimestampedHashes", from, to);
    if (rc)
        return rc;
    uint64_t cached_block = UINT64_MAX, cached_time = 0;
    struct hash32 cached_hash;
    struct sender_cache sc = {0};
    for (size_t i = 0; i < nl && !rc; i++) {
        struct vrev_anchor a = {0};
        bool mine;
        if (logs[i].removed)
            continue; /* reorged away */
        if (!addr20_eq(&logs[i].address, &l->contract))
            continue; /* the filter should have excluded it */
        if ((rc = parse_record(l, &logs[i], &sc, &a, &mine, e)))
            break;
        if (!mine)
            continue;
        if (a.ev.block_number != cached_block) {
            struct rpc_block blk;
            char q[RPC_QTY_BUF];
            if ((rc = rpc_get_block_by_number(l->rpc, rpc_format_quantity(a.ev.block_number, q),
                                              &blk, e)))
                break;
            cached_block = a.ev.block_number;
            cached_time = blk.timestamp;
            cached_hash = blk.hash;
        }
        if (!hash32_eq(&cached_hash, &a.ev.block_hash)) {
            rc = err_set(e, E_NETWORK, "block %" PRIu64 " changed while it was read (a reorg): "
                                       "try again",
                         a.ev.block_number);
            break;
        }
        a.block_time = cached_time;
        if (*n == *cap) {
            size_t c2 = *cap ? *cap * 2 : 16;
            struct vrev_anchor *p = realloc(*out, c2 * sizeof *p);
            if (!p) {
                rc = err_set(e, E_NOMEM, "out of memory for Anchored events");
                break;
            }
            *out = p;
            *cap = c2;
        }
        (*out)[(*n)++] = a;
    }
    rpc_logs_free(logs, nl);
    return rc;
}

err_code vrev_ledger_anchors(struct vrev_ledger *l, uint64_t from, uint64_t to,
                             struct vrev_anchor **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    if (to > l->head)
        to = l->head;
    err_code rc = E_OK;
    for (uint64_t lo = from; lo <= to && !rc;) {
        uint64_t hi = to - lo >= l->window - 1 ? lo + l->window - 1 : to;
        rc = anchors_window(l, lo, hi, out, n, &cap, e);
        if (hi == UINT64_MAX)
            break;
        lo = hi + 1;
    }
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* Look for (kind, seq) among the anchors of [from, to]. */
static err_code find_in(struct vrev_ledger *l, enum registry_kind kind, uint64_t seq,
                        uint64_t from, uint64_t to, struct vrev_anchor *out, bool *found,
                        struct err *e)
{
    struct vrev_anchor *v = NULL;
    size_t n = 0, cap = 0;
    *found = false;
    err_code rc = anchors_window(l, from, to, &v, &n, &cap, e);
    for (size_t i = 0; !rc && i < n && !*found; i++)
        if (v[i].ev.kind == kind && v[i].ev.seq == seq && v[i].counts) {
            *out = v[i];
            *found = true;
        }
    free(v);
    return rc;
}

err_code vrev_ledger_find(struct vrev_ledger *l, enum registry_kind kind, uint64_t seq,
                          uint64_t hint, struct vrev_anchor *out, struct err *e)
{
    bool found = false;
    err_code rc;
    if (hint && hint <= l->head && (rc = find_in(l, kind, seq, hint, hint, out, &found, e)))
        return rc;
    for (uint64_t hi = l->head; !found;) {
        uint64_t lo = hi >= l->window - 1 ? hi - (l->window - 1) : 0;
        if ((rc = find_in(l, kind, seq, lo, hi, out, &found, e)))
            return rc;
        if (found || lo == 0)
            break;
        hi = lo - 1;
    }
    if (!found)
        return err_set(e, E_NOT_FOUND, "no %s %" PRIu64 " of this issuer up to block %" PRIu64,
                       kind == REGISTRY_KIND_CHECKPOINT ? "checkpoint" : "batch", seq, l->head);
    return E_OK;
}

static int cmp_chain_order(const void *x, const void *y)
{
    const struct vrev_anchor *a = x, *b = y;
    if (a->ev.block_number != b->ev.block_number)
        return a->ev.block_number < b->ev.block_number ? -1 : 1;
    return a->ev.log_index < b->ev.log_index ? -1 : a->ev.log_index > b->ev.log_index;
}

err_code vrev_ledger_history(struct vrev_ledger *l, enum registry_kind kind,
                             struct vrev_anchor **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    err_code rc = E_OK;
    for (uint64_t hi = l->head; !rc;) {
        uint64_t lo = hi >= l->window - 1 ? hi - (l->window - 1) : 0;
        size_t before = *n;
        if ((rc = anchors_window(l, lo, hi, out, n, &cap, e)))
            break;
        /* keep only `kind`, and stop once its seq 0 is in this window */
        bool first_seen = false;
        size_t k = before;
        for (size_t i = before; i < *n; i++) {
            if ((*out)[i].ev.kind != kind || !(*out)[i].counts)
                continue;
            first_seen = first_seen || (*out)[i].ev.seq == 0;
            (*out)[k++] = (*out)[i];
        }
        *n = k;
        if (first_seen || lo == 0)
            break;
        hi = lo - 1;
    }
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_chain_order);
    return E_OK;
}

err_code vrev_ledger_record(struct vrev_ledger *l, const struct hash32 *root,
                            struct vrev_record *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(l->head, q);
    err_code rc;
    if (l->v2) {
        struct registry2_record rec;
        if ((rc = registry2_anchored_at(l->rpc, &l->contract, &l->issuer, root, q, &rec, e)))
            return rc;
        if (rec.block_number != 0 && key_counts(l, &rec.key, rec.block_number, NULL))
            *out = (struct vrev_record){.ours = true, .by = rec.key, .kind = rec.kind,
                                       .seq = rec.seq, .size = rec.size,
                                       .block_number = rec.block_number,
                                       .block_time = rec.timestamp};
        return E_OK;
    }
    if (l->ledger == BUNDLE_LEDGER_EVM) {
        struct registry_record rec;
        if ((rc = registry_anchored_at(l->rpc, &l->contract, &l->issuer, root, q, &rec, e)))
            return rc;
        if (rec.block_number != 0)
            *out = (struct vrev_record){.ours = true, .by = l->issuer, .kind = rec.kind,
                                       .seq = rec.seq, .size = rec.size,
                                       .block_number = rec.block_number,
                                       .block_time = rec.timestamp};
        return E_OK;
    }
    struct ebsi_record rec;
    if ((rc = ebsi_get_timestamp(l->rpc, &l->contract, root, q, &rec, e)))
        return rc;
    if (!ebsi_record_exists(&rec))
        return E_OK;
    out->by = rec.from;
    out->ours = addr20_eq(&rec.from, &l->issuer) && rec.has_data;
    out->other = !addr20_eq(&rec.from, &l->issuer);
    if (out->ours) {
        out->kind = rec.data.kind == EBSI_KIND_REVOCATION ? REGISTRY_KIND_CHECKPOINT
                                                          : REGISTRY_KIND_BATCH;
        out->seq = rec.data.seq;
        out->size = rec.data.size;
        out->block_number = rec.block_number;
        /* EBSI's record has no time: the block's */
        struct rpc_block blk;
        char qb[RPC_QTY_BUF];
        if ((rc = rpc_get_block_by_number(l->rpc, rpc_format_quantity(rec.block_number, qb),
                                          &blk, e)))
            return rc;
        out->block_time = blk.timestamp;
    }
    return E_OK;
}

/* Order an ebsi history by (seq, chain order). */
static int cmp_seq_order(const void *x, const void *y)
{
    const struct vrev_anchor *a = x, *b = y;
    if (a->ev.seq != b->ev.seq)
        return a->ev.seq < b->ev.seq ? -1 : 1;
    return cmp_chain_order(x, y);
}

const char *vrev_history_numbered(struct vrev_anchor *v, size_t n, char *why, size_t wn)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_seq_order);
    for (size_t i = 1; i < n; i++)
        if (v[i].ev.seq == v[i - 1].ev.seq) {
            snprintf(why, wn,
                     "checkpoint %" PRIu64 " was timestamped twice by the issuer (blocks %" PRIu64
                     " and %" PRIu64 ", roots %02x%02x%02x%02x… and %02x%02x%02x%02x…): two "
                     "histories claim the same number",
                     v[i].ev.seq, v[i - 1].ev.block_number, v[i].ev.block_number,
                     v[i - 1].ev.root.b[0], v[i - 1].ev.root.b[1], v[i - 1].ev.root.b[2],
                     v[i - 1].ev.root.b[3], v[i].ev.root.b[0], v[i].ev.root.b[1],
                     v[i].ev.root.b[2], v[i].ev.root.b[3]);
            return "seq-repeat";
        }
    for (size_t i = 0; i < n; i++)
        if (v[i].ev.seq != i) {
            snprintf(why, wn,
                     "the issuer's checkpoints up to %" PRIu64 " lack checkpoint %zu: the issuer "
                     "skipped a number or the node withholds events",
                     v[n - 1].ev.seq, i);
            return "seq-gap";
        }
    return NULL;
}
