/* verifier/online.c — see online.h. */
#include "verifier/online.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/eth.h"
#include "anchor/evm.h"
#include "anchor/registry.h"
#include "core/fileio.h"
#include "verifier/online_ebsi.h"

static void drop_check(struct verify_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_checks; i++)
        if (strcmp(r->checks[i].name, name) == 0 && r->checks[i].outcome == VCHECK_SKIPPED) {
            memmove(&r->checks[i], &r->checks[i + 1], (r->n_checks - i - 1) * sizeof r->checks[0]);
            r->n_checks--;
            return;
        }
}

/* The ledger did not answer: UNKNOWN, with the reason. */
void verify_online_unreachable(struct verify_result *r, const struct err *e)
{
    verify_add_check(r, "ledger", VCHECK_UNKNOWN,
                     "could not consult the ledger (%s): the credential's status is unknown, not "
                     "invalid; try again or use another endpoint",
                     e->msg);
}

bool verify_online_begin(const struct bundle *b, const struct verify_online_opts *opt,
                         const char *verb, struct verify_result *r, struct evm_ledger *l)
{
    const struct bundle_anchor *a = &b->anchor;
    char ad[43];
    struct err e = {0};
    /* issuer trust does not need the ledger */
    addr20_to_hex(&a->issuer, ad);
    if (opt->n_trusted == 0) {
        verify_add_check(r, "issuer", VCHECK_SKIPPED,
                         "no trusted issuer given (--issuer/--trusted-issuers): VALID only means "
                         "the root was %s %s",
                         verb, ad);
    } else {
        bool ok = false;
        for (size_t i = 0; i < opt->n_trusted && !ok; i++)
            ok = addr20_eq(&opt->trusted[i], &a->issuer);
        verify_add_check(r, "issuer", ok ? VCHECK_PASS : VCHECK_FAIL,
                         ok ? "%s %s, a trusted issuer"
                            : "%s %s, which is not among the trusted issuers",
                         verb, ad);
    }
    struct rpc_options ro = {.url = opt->rpc_url, .bearer_token = opt->bearer_token,
                             .timeout_ms = opt->timeout_ms, .max_attempts = opt->max_attempts,
                             .deadline_ms = opt->deadline_ms};
    err_code rc = evm_connect(&ro, 0, l, &e);
    if (rc) {
        if (rc == E_INVALID)
            verify_add_check(r, "ledger", VCHECK_UNKNOWN, "bad ledger URL: %s", e.msg);
        else
            verify_online_unreachable(r, &e);
        return false;
    }
    if (l->chain_id != a->chain_id) {
        verify_add_check(r, "ledger.chainId", VCHECK_FAIL,
                         "the ledger is chain %llu but the bundle was anchored on chain %llu",
                         (unsigned long long)l->chain_id, (unsigned long long)a->chain_id);
        evm_close(l);
        return false;
    }
    verify_add_check(r, "ledger.chainId", VCHECK_PASS, "ledger is chain %llu, as the bundle says",
                     (unsigned long long)l->chain_id);
    return true;
}

err_code verify_online_stale(struct evm_ledger *l, const struct bundle *b, bool *stale,
                             struct err *e)
{
    *stale = false;
    bool canonical;
    uint64_t depth;
    err_code rc = evm_block_canonical(l, b->anchor.block_number, &b->anchor.block_hash,
                                      &canonical, &depth, NULL, e);
    if (rc || canonical)
        return rc;
    /* Not canonical at that height. A block the node still knows under that
     * hash at another height means the bundle's number was altered, not
     * reorganised away: not stale (the caller fails it). */
    struct rpc_block blk;
    rc = rpc_get_block_by_hash(l->rpc, &b->anchor.block_hash, &blk, e);
    /* ganache answers a hash it dropped in a reorg with another block (the
     * one now at that height), which the client refuses as a wrong result:
     * as "not known", that can only give UNKNOWN, never VALID. */
    if (rc == E_NOT_FOUND ||
        (rc == E_PROTOCOL && rpc_last_error(l->rpc)->failure == RPC_FAIL_RESULT)) {
        err_clear(e);
        *stale = true;
        return E_OK;
    }
    if (rc)
        return rc;
    *stale = blk.number == b->anchor.block_number;
    return E_OK;
}

void verify_online_stale_check(struct verify_result *r, const struct bundle *b, const char *now)
{
    char bh[67];
    hash32_to_hex0x(&b->anchor.block_hash, bh);
    verify_add_check(r, "ledger.block", VCHECK_UNKNOWN,
                     "the bundle's block %llu (%s) is no longer canonical: a reorg took it away "
                     "and %s. The bundle is stale, not forged: the issuer re-anchors such "
                     "batches; ask for a fresh bundle",
                     (unsigned long long)b->anchor.block_number, bh, now);
}

err_code verify_online_block(const struct bundle *b, const struct verify_online_opts *opt,
                             struct evm_ledger *l, uint64_t block, const struct hash32 *hash,
                             const uint64_t *record_time, bool all_ok, struct verify_result *r,
                             struct err *e)
{
    const struct bundle_anchor *a = &b->anchor;
    bool canonical;
    uint64_t depth, btime = 0;
    err_code rc = evm_block_canonical(l, block, hash, &canonical, &depth, &btime, e);
    if (rc)
        return rc;
    char hx[67], bh[67];
    hash32_to_hex0x(hash, hx);
    hash32_to_hex0x(&a->block_hash, bh);
    if (!canonical) {
        verify_add_check(r, "ledger.block", VCHECK_UNKNOWN,
                         "block %s is no longer canonical at height %llu (reorg): wait and retry",
                         hx, (unsigned long long)block);
        return E_OK;
    }
    if (block != a->block_number || !hash32_eq(hash, &a->block_hash)) {
        /* The transaction is mined, but not where the bundle says. If the
         * bundle's block was reorganised away, the bundle is stale (docs/
         * proof-format.md §5 item 7): UNKNOWN. If it is still canonical,
         * the bundle names a block the transaction is not in: INVALID. */
        bool stale;
        if ((rc = verify_online_stale(l, b, &stale, e)))
            return rc;
        if (stale) {
            char now[160];
            snprintf(now, sizeof now, "the transaction was mined again in block %llu (%.20s…)",
                     (unsigned long long)block, hx);
            verify_online_stale_check(r, b, now);
        } else {
            verify_add_check(r, "ledger.block", VCHECK_FAIL,
                             "the bundle says block %llu (%s), but the transaction is in block "
                             "%llu (%s)",
                             (unsigned long long)a->block_number, bh, (unsigned long long)block,
                             hx);
        }
        return E_OK;
    }
    bool blk_ok = btime == a->block_time && (!record_time || *record_time == btime);
    verify_add_check(r, "ledger.block", blk_ok ? VCHECK_PASS : VCHECK_FAIL,
                     blk_ok ? "block %llu %s is canonical; block time %llu matches"
                            : "block %llu %s is canonical, but its time %llu is not the bundle's "
                              "(or the contract's record)",
                     (unsigned long long)block, hx, (unsigned long long)btime);
    if (!blk_ok)
        return E_OK;
    if (depth >= opt->confirmations) {
        verify_add_check(r, "ledger.confirmations", VCHECK_PASS, "%llu confirmations (%llu required)",
                         (unsigned long long)depth, (unsigned long long)opt->confirmations);
        r->ledger_checked = all_ok;
    } else {
        verify_add_check(r, "ledger.confirmations", VCHECK_UNKNOWN,
                         "only %llu of %llu required confirmations: pending, not yet valid",
                         (unsigned long long)depth, (unsigned long long)opt->confirmations);
    }
    return E_OK;
}

static void hex0x(const struct hash32 *h, char out[67]) { hash32_to_hex0x(h, out); }

err_code verify_online_missing_tx(struct evm_ledger *l, const struct bundle *b,
                                  struct verify_result *r, struct err *e)
{
    char hx[67];
    hash32_to_hex0x(&b->anchor.tx_hash, hx);
    bool stale;
    err_code rc = verify_online_stale(l, b, &stale, e);
    if (rc)
        return rc;
    if (stale) {
        char now[160];
        snprintf(now, sizeof now, "transaction %s is not on this ledger now", hx);
        verify_online_stale_check(r, b, now);
    } else {
        /* the bundle's block is there, and the transaction is not in it */
        verify_add_check(r, "ledger.transaction", VCHECK_FAIL,
                         "transaction %s is not on this ledger (the bundle's block %llu is, "
                         "without it)",
                         hx, (unsigned long long)b->anchor.block_number);
    }
    return E_OK;
}

err_code verify_online_pending_tx(struct evm_ledger *l, const struct bundle *b,
                                  struct verify_result *r, struct err *e)
{
    char hx[67];
    hash32_to_hex0x(&b->anchor.tx_hash, hx);
    bool stale;
    err_code rc = verify_online_stale(l, b, &stale, e);
    if (rc)
        return rc;
    if (stale) {
        char now[160];
        snprintf(now, sizeof now, "transaction %s is pending again", hx);
        verify_online_stale_check(r, b, now);
    } else {
        verify_add_check(r, "ledger.transaction", VCHECK_UNKNOWN,
                         "transaction %s is not mined yet", hx);
    }
    return E_OK;
}

void verify_online(const struct bundle *b, const struct verify_online_opts *opt,
                   struct verify_result *r)
{
    r->online = true;
    if (!b->anchored)
        return; /* verify_offline marked it UNKNOWN: a pending bundle is not yet valid */
    drop_check(r, "anchor");
    const struct bundle_anchor *a = &b->anchor;
    char hx[67], want[67], ad[43];
    struct err e = {0};
    if (a->ledger == BUNDLE_LEDGER_EBSI) {
        verify_online_ebsi(b, opt, r);
        return;
    }
    if (a->ledger != BUNDLE_LEDGER_EVM) {
        verify_add_check(r, "ledger", VCHECK_UNKNOWN,
                         "bundles anchored with the '%s' flow are not supported by this verifier",
                         bundle_ledger_name(a->ledger));
        return;
    }

    struct evm_ledger l;
    if (!verify_online_begin(b, opt, "anchored by", r, &l))
        return;
    err_code rc;
    bool all_ok = true;
#define CHECK_OR(name, cond, ...)                                                                  \
    do {                                                                                           \
        bool ok_ = (cond);                                                                         \
        all_ok = all_ok && ok_;                                                                    \
        verify_add_check(r, name, ok_ ? VCHECK_PASS : VCHECK_FAIL, __VA_ARGS__);                   \
    } while (0)

    /* ledger.contract */
    bool code_ok;
    addr20_to_hex(&a->contract, ad);
    if ((rc = registry_code_matches(l.rpc, &a->contract, &code_ok, &e)))
        goto net;
    bool pin_ok = opt->n_contracts == 0;
    for (size_t i = 0; i < opt->n_contracts && !pin_ok; i++)
        pin_ok = addr20_eq(&opt->contracts[i], &a->contract);
    CHECK_OR("ledger.contract", code_ok && pin_ok,
             !pin_ok   ? "%s is not a registry you pinned (--contract)"
             : code_ok ? "%s runs the NotaryRegistry code"
                       : "%s does not run the NotaryRegistry code: its events prove nothing",
             ad);
    if (!code_ok || !pin_ok)
        goto out;

    /* ledger.transaction */
    struct rpc_tx tx;
    hex0x(&a->tx_hash, hx);
    rc = rpc_get_transaction(l.rpc, &a->tx_hash, &tx, &e);
    if (rc == E_NOT_FOUND) {
        if ((rc = verify_online_missing_tx(&l, b, r, &e)))
            goto net;
        goto out;
    }
    if (rc)
        goto net;
    if (!tx.mined) {
        rpc_tx_free(&tx);
        if ((rc = verify_online_pending_tx(&l, b, r, &e)))
            goto net;
        goto out;
    }
    bool tx_ok = tx.mined && addr20_eq(&tx.from, &a->issuer) && tx.has_to &&
                 addr20_eq(&tx.to, &a->contract);
    struct rpc_receipt rcpt;
    memset(&rcpt, 0, sizeof rcpt);
    if (tx.mined && (rc = rpc_get_receipt(l.rpc, &a->tx_hash, &rcpt, &e)) && rc != E_NOT_FOUND) {
        rpc_tx_free(&tx);
        goto net;
    }
    bool mined_ok = tx.mined && rc == E_OK && rcpt.has_status && rcpt.status_ok;
    if (!tx.mined)
        verify_add_check(r, "ledger.transaction", VCHECK_UNKNOWN,
                         "transaction %s is not mined yet", hx);
    else
        CHECK_OR("ledger.transaction", tx_ok && mined_ok,
                 tx_ok && mined_ok ? "%s succeeded, sent by the issuer to the registry"
                 : !tx_ok          ? "%s was not sent by the bundle's issuer to its contract"
                                   : "%s did not succeed (reverted or no receipt)",
                 hx);
    rpc_tx_free(&tx);
    if (!(tx_ok && mined_ok)) {
        rpc_receipt_free(&rcpt);
        goto out;
    }

    /* ledger.event */
    bool ev_ok = false;
    for (size_t i = 0; i < rcpt.nlogs && !ev_ok; i++) {
        struct registry_event ev;
        if (!addr20_eq(&rcpt.logs[i].address, &a->contract) ||
            registry_parse_event(&rcpt.logs[i], &ev, NULL) != E_OK)
            continue;
        ev_ok = addr20_eq(&ev.issuer, &a->issuer) && hash32_eq(&ev.root, &b->batch.root) &&
                ev.size == b->batch.size && ev.seq == b->batch.seq &&
                ev.kind == REGISTRY_KIND_BATCH;
    }
    hash32_to_hex(&b->batch.root, want);
    CHECK_OR("ledger.event", ev_ok,
             ev_ok ? "Anchored(issuer, root %.16s…, size %llu, seq %llu, issuance) emitted by "
                     "the registry"
                   : "no Anchored event for root %.16s…, size %llu, seq %llu in that "
                     "transaction",
             want, (unsigned long long)b->batch.size, (unsigned long long)b->batch.seq);
    uint64_t rcpt_block = rcpt.block_number;
    struct hash32 rcpt_hash = rcpt.block_hash;
    rpc_receipt_free(&rcpt);
    if (!ev_ok)
        goto out;

    /* ledger.record */
    struct registry_record rec;
    if ((rc = registry_anchored_at(l.rpc, &a->contract, &a->issuer, &b->batch.root, NULL, &rec,
                                   &e)))
        goto net;
    bool rec_ok = rec.block_number == rcpt_block && rec.size == b->batch.size &&
                  rec.seq == b->batch.seq && rec.kind == REGISTRY_KIND_BATCH;
    CHECK_OR("ledger.record", rec_ok,
             rec_ok ? "the registry records this root for the issuer: block %llu, size %llu, "
                      "seq %llu"
                    : "the registry's record (block %llu, size %llu, seq %llu) does not match "
                      "the bundle",
             (unsigned long long)rec.block_number, (unsigned long long)rec.size,
             (unsigned long long)rec.seq);
    if (!rec_ok)
        goto out;

    if ((rc = verify_online_block(b, opt, &l, rcpt_block, &rcpt_hash, NULL, all_ok, r, &e)))
        goto net;
    goto out;
net:
    verify_online_unreachable(r, &e);
out:
    evm_close(&l);
#undef CHECK_OR
}

err_code verify_trusted_read(const char *path, struct addr20 *out, size_t *n, struct err *e)
{
    struct buf b;
    *n = 0;
    err_code rc = file_read_all(path, 64 * 1024, &b, e);
    if (rc)
        return rc;
    /* Split by hand, not with strtok: every line counts, blank and comment
     * lines too, so an error names the line an editor shows. */
    unsigned line = 0;
    char *l = (char *)b.p, *end = (char *)b.p + b.len;
    while (!rc && l < end) {
        char *nl = memchr(l, '\n', (size_t)(end - l));
        char *next = nl ? nl + 1 : end;
        if (nl)
            *nl = '\0';
        line++;
        if (memchr(l, '\0', (size_t)((nl ? nl : end) - l))) {
            rc = err_set(e, E_INVALID, "%s: line %u: contains a NUL byte", path, line);
            break;
        }
        char *hash = strchr(l, '#');
        if (hash)
            *hash = '\0';
        char *p = l, *q = l + strlen(l);
        while (*p == ' ' || *p == '\t')
            p++;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
            q--;
        *q = '\0';
        l = next;
        if (!*p)
            continue;
        if (*n >= VERIFY_MAX_TRUSTED)
            rc = err_set(e, E_LIMIT, "%s: more than %d trusted issuers", path, VERIFY_MAX_TRUSTED);
        else if (addr20_from_hex(p, &out[*n], e))
            rc = err_wrap(e, E_INVALID, "%s: line %u", path, line);
        else
            (*n)++;
    }
    buf_free(&b);
    /* An empty list must never widen trust to "anyone": a list that failed
     * to download or was truncated to nothing is an error, not "no trusted
     * issuer given". */
    if (!rc && *n == 0)
        rc = err_set(e, E_INVALID,
                     "no issuers in %s: the trusted-issuers file lists no address (only blank or "
                     "comment lines), so nothing could be trusted; give a list with at least one "
                     "issuer address, or omit --trusted-issuers",
                     path);
    return rc;
}
