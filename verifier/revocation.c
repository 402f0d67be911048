/*
 * verifier/revocation.c — loading a copy of an issuer's revocation log and
 * the "revocation" check of `verifier verify`; see revocation.h and
 * docs/revocation-format.md. The ledger is read through
 * revocation_ledger.h and the copy judged by revocation_analysis.h; this
 * file only puts the steps in order and words the outcome.
 */
#define _GNU_SOURCE /* asprintf */
#include "verifier/revocation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/fetch.h"
#include "anchor/rpc_memo.h"
#include "core/fileio.h"

/* ---- log copies ----------------------------------------------------------------- */

err_code vrev_load(const char *source, unsigned timeout_ms, uint64_t deadline_ms,
                   struct revlog *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct buf text = {0};
    err_code rc;
    char shown[256];
    if (strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0) {
        const struct fetch_opts fo = {.url = source, .max_bytes = REVLOG_MAX_BYTES,
                                      .what = "revocation log", .timeout_ms = timeout_ms,
                                      .deadline_ms = deadline_ms};
        rc = fetch_get(&fo, &text, e);
        fetch_url_for_msg(source, shown, sizeof shown);
    } else if (strstr(source, "://")) {
        return err_set(e, E_INVALID, "%.80s: only files and http(s):// URLs are read", source);
    } else {
        rc = file_read_all(source, REVLOG_MAX_BYTES, &text, e);
        snprintf(shown, sizeof shown, "%s", source);
    }
    if (rc)
        return rc;
    rc = revlog_parse(text.p ? (const char *)text.p : "", text.len, shown, out, e);
    buf_free(&text);
    return rc;
}

/* ---- the "revocation" check ---------------------------------------------------- */

#define CHECK_NAME "revocation"

/* The earlier checkpoints a copy lists that the evm flow confirms (to say
 * where a bad copy goes wrong), besides the newest. */
enum { REV_VERIFY_EARLIER = 64 };

/* One run of the check. Each step below either moves it on (true) or has
 * appended the check's outcome (false). */
struct revcheck {
    const struct bundle *b;
    const struct vrev_opts *o;
    struct verify_result *r;
    bool ebsi;
    char ad[43];               /* the issuer, for messages */
    struct revlog copy;        /* when have_copy */
    bool have_copy;
    bool copy_shared;          /* copy's arrays are the run's memo's (read-only, not freed) */
    struct vrev_ledger l;
    struct vrev_anchor *hist;  /* ebsi: the issuer's checkpoints, by seq */
    size_t nh;
    uint64_t count;            /* checkpoints the issuer anchored */
    uint64_t seq;              /* the newest: count - 1 */
    struct vrev_anchor newest;
    char newest_time[21];
    struct vrev_checkpoint *cps; /* what the copy is judged by, sorted by seq; newest last */
    size_t ncp;
};

static void fmt_time(uint64_t t, char out[21])
{
    bundle_time_format(t <= BUNDLE_MAX_UINT ? (int64_t)t : -1, out, NULL);
}

static struct vrev_checkpoint checkpoint_of(const struct vrev_anchor *a)
{
    return (struct vrev_checkpoint){.seq = a->ev.seq, .size = a->ev.size, .root = a->ev.root,
                                    .block_number = a->ev.block_number,
                                    .block_time = a->block_time, .tx_hash = a->ev.tx_hash};
}

/* The evm registry's own record (anchoredAt) confirms the copy's
 * checkpoint c: the issuer's checkpoint with that seq and size. */
static bool registry_confirms(const struct vrev_record *rec, const struct revlog_checkpoint *c)
{
    return rec->ours && rec->kind == REGISTRY_KIND_CHECKPOINT && rec->seq == c->seq &&
           rec->size == c->size;
}


static void free_revlog(void *p)
{
    revlog_free(p);
    free(p);
}

/* vrev_load() of o->source, once per run with o->memo (key: the source as
 * given; only a copy that loaded is remembered): *out is then a shallow copy
 * of the run's log, *shared true, and nothing of it may be written or freed.
 * Without a memo, *out is the caller's (revlog_free). */
static err_code load_shared(const struct vrev_opts *o, struct revlog *out, bool *shared,
                            struct err *e)
{
    *shared = false;
    char *key = NULL;
    if (!o->memo || asprintf(&key, "revlog\n%s", o->source) < 0)
        return vrev_load(o->source, o->timeout_ms, o->deadline_ms, out, e);
    const struct revlog *got = rpc_memo_value_begin(o->memo, key);
    if (got) {
        *out = *got;
        *shared = true;
        free(key);
        return E_OK;
    }
    struct revlog *l = calloc(1, sizeof *l);
    err_code rc = l ? vrev_load(o->source, o->timeout_ms, o->deadline_ms, l, e)
                    : err_set(e, E_NOMEM, "out of memory");
    if (rc) {
        free(l);
        l = NULL;
    }
    if (l && rpc_memo_value_end(o->memo, key, l, free_revlog)) {
        *out = *l;
        *shared = true;
    } else {
        if (!l)
            (void)rpc_memo_value_end(o->memo, key, NULL, free_revlog);
        else {
            *out = *l; /* not kept: the caller's own, as without a memo */
            free(l);
        }
    }
    free(key);
    return rc;
}

/* Step 1: the copy (when given) is loaded, and is of this issuer, contract,
 * chain and ledger. */
static bool load_copy(struct revcheck *x)
{
    const struct bundle_anchor *a = &x->b->anchor;
    struct err e = {0};
    if (!x->o->source)
        return true;
    if (load_shared(x->o, &x->copy, &x->copy_shared, &e)) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                         "the revocation log copy is unusable (%s): status UNKNOWN", e.msg);
        return false;
    }
    x->have_copy = true;
    if (addr20_eq(&x->copy.issuer, &a->issuer) && addr20_eq(&x->copy.contract, &a->contract) &&
        x->copy.chain_id == a->chain_id && x->copy.ledger == a->ledger)
        return true;
    char ci[43];
    addr20_to_hex(&x->copy.issuer, ci);
    verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                     "the log copy is of issuer %s on chain %" PRIu64 " (%s; contract differs "
                     "or not), not of %s as anchored for this credential: status UNKNOWN",
                     ci, x->copy.chain_id, bundle_ledger_name(x->copy.ledger), x->ad);
    return false;
}

/* Step 2: how many checkpoints the issuer anchored. evm: the registry's
 * count. ebsi: the issuer's history, which must number itself 0..n-1, once
 * each, or "the newest" is not decidable. */
static bool count_checkpoints(struct revcheck *x)
{
    const struct bundle_anchor *a = &x->b->anchor;
    const struct vrev_opts *o = x->o;
    struct err e = {0};
    struct rpc_options ro = {.url = o->rpc_url, .bearer_token = o->bearer_token,
                             .timeout_ms = o->timeout_ms, .max_attempts = o->max_attempts,
                             .deadline_ms = o->deadline_ms, .memo = o->memo};
    err_code rc = vrev_ledger_open(&x->l, a->ledger, &ro, &a->contract, &a->issuer,
                                   o->confirmations, o->window, &e);
    if (!rc)
        rc = x->ebsi ? vrev_ledger_history(&x->l, REGISTRY_KIND_CHECKPOINT, &x->hist, &x->nh, &e)
                     : vrev_ledger_count(&x->l, REGISTRY_KIND_CHECKPOINT, &x->count, &e);
    if (rc) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                         "could not read the issuer's revocation checkpoints from the ledger "
                         "(%s): status UNKNOWN, not revoked and not valid",
                         e.msg);
        return false;
    }
    if (!x->ebsi || x->nh == 0)
        return true;
    char why[400];
    const char *bad = vrev_history_numbered(x->hist, x->nh, why, sizeof why);
    if (bad) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                         "%s: %s — which checkpoint is the issuer's newest cannot be "
                         "decided: status UNKNOWN",
                         bad, why);
        return false;
    }
    x->count = x->nh;
    return true;
}

/* Step 3: an issuer that never anchored a checkpoint has revoked nothing
 * on the ledger (PASS), unless the copy lists this credential (UNKNOWN:
 * pending). True when there is a checkpoint to go on with. */
static bool any_checkpoint(struct revcheck *x)
{
    if (x->count > 0)
        return true;
    int64_t idx = x->have_copy ? revlog_find(&x->copy, &x->b->credential.hash) : -1;
    if (idx >= 0)
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                         "PENDING REVOCATION: the log copy lists this credential as revoked "
                         "(entry %" PRId64 ", %s) but %s has never anchored a revocation "
                         "checkpoint, so it cannot be proven: status UNKNOWN",
                         idx, revlog_reason_name(x->copy.entries[idx].reason), x->ad);
    else
        verify_add_check(x->r, CHECK_NAME, VCHECK_PASS,
                         "%s has never anchored a revocation checkpoint (as of block %" PRIu64
                         "): it has revoked nothing on the ledger",
                         x->ad, x->l.head);
    return false;
}

/* Step 4: the newest checkpoint, as the ledger shows it. ebsi: the last of
 * the history, confirmed by the contract's own record. evm: found by its
 * seq (in the block the copy names, when it does; the ledger decides). */
static bool find_newest(struct revcheck *x)
{
    struct err e = {0};
    x->seq = x->count - 1;
    if (x->ebsi) {
        struct vrev_record rec;
        x->newest = x->hist[x->nh - 1];
        if (vrev_ledger_record(&x->l, &x->newest.ev.root, &rec, &e)) {
            verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                             "could not read getTimestamp of checkpoint %" PRIu64 " (%s): status "
                             "UNKNOWN",
                             x->seq, e.msg);
            return false;
        }
        if (!rec.ours || rec.kind != REGISTRY_KIND_CHECKPOINT || rec.seq != x->seq ||
            rec.size != x->newest.ev.size || rec.block_number != x->newest.ev.block_number ||
            rec.block_time != x->newest.block_time) {
            verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                             "the Timestamp contract's record of checkpoint %" PRIu64 " (block %"
                             PRIu64 ") does not confirm its event (getTimestamp names block %"
                             PRIu64 "): status UNKNOWN",
                             x->seq, x->newest.ev.block_number, rec.block_number);
            return false;
        }
    } else {
        uint64_t hint = 0;
        for (size_t i = 0; x->have_copy && i < x->copy.n_checkpoints; i++)
            if (x->copy.checkpoints[i].seq == x->seq)
                hint = x->copy.checkpoints[i].block_number;
        if (vrev_ledger_find(&x->l, REGISTRY_KIND_CHECKPOINT, x->seq, hint, &x->newest, &e)) {
            verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                             "the registry counts %" PRIu64 " checkpoints of %s but checkpoint %"
                             PRIu64 " could not be read (%s): status UNKNOWN",
                             x->count, x->ad, x->seq, e.msg);
            return false;
        }
    }
    fmt_time(x->newest.block_time, x->newest_time);
    return true;
}

/* Step 5: without a copy there is nothing to judge: UNKNOWN. */
static bool have_copy(struct revcheck *x)
{
    if (x->have_copy)
        return true;
    verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                     "%s anchored revocation checkpoint %" PRIu64 " (%" PRIu64
                     " revocations, block %" PRIu64 " at %s); without a copy of its log "
                     "(--revocations FILE|URL, from anywhere: it is checked against that "
                     "root) the status is UNKNOWN",
                     x->ad, x->seq, x->newest.ev.size, x->newest.ev.block_number,
                     x->newest_time);
    return false;
}

/* Step 6: the checkpoints to judge the copy by, newest last. evm: up to
 * REV_VERIFY_EARLIER earlier ones the copy lists, each confirmed by the
 * registry's own record (anchoredAt). ebsi: the issuer's whole numbered
 * history, already read. */
static bool gather_checkpoints(struct revcheck *x)
{
    struct err e = {0};
    x->cps = malloc((x->ebsi ? x->nh : REV_VERIFY_EARLIER + 1) * sizeof *x->cps);
    if (!x->cps) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN, "out of memory: status UNKNOWN");
        return false;
    }
    for (size_t i = 0; x->ebsi && i + 1 < x->nh; i++)
        x->cps[x->ncp++] = checkpoint_of(&x->hist[i]);
    size_t first = 0;
    while (!x->ebsi && x->copy.n_checkpoints - first > REV_VERIFY_EARLIER + 1)
        first++;
    for (size_t i = first; !x->ebsi && i < x->copy.n_checkpoints; i++) {
        const struct revlog_checkpoint *c = &x->copy.checkpoints[i];
        struct vrev_record rec;
        if (c->seq >= x->seq || x->ncp == REV_VERIFY_EARLIER)
            continue;
        if (vrev_ledger_record(&x->l, &c->root, &rec, &e)) {
            verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                             "could not read the registry's record of checkpoint %" PRIu64
                             " (%s): status UNKNOWN",
                             c->seq, e.msg);
            return false;
        }
        if (registry_confirms(&rec, c))
            x->cps[x->ncp++] = (struct vrev_checkpoint){.seq = c->seq, .size = c->size,
                                                        .root = c->root,
                                                        .block_number = rec.block_number,
                                                        .block_time = rec.block_time};
    }
    x->cps[x->ncp++] = checkpoint_of(&x->newest);
    x->cps[x->ncp - 1].seq = x->seq;
    return true;
}

/* Step 7: the copy must reproduce the newest anchored root (and be
 * consistent with the earlier ones); else it is INVALID and the status
 * UNKNOWN, naming the most specific anomaly. */
static bool judge_copy(struct revcheck *x)
{
    struct err e = {0};
    struct vrev_findings f = {0};
    bool ok;
    if (vrev_analyse(&x->copy, x->cps, x->ncp, &f, &ok, &e)) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN, "cannot check the log copy: %s",
                         e.msg);
        vrev_findings_free(&f);
        return false;
    }
    if (!ok) {
        /* The last anomaly is the most specific (the diagnosis follows the
         * generic log-mismatch). */
        const struct vrev_finding *why = NULL;
        for (size_t i = 0; i < f.n; i++)
            if (f.v[i].anomaly)
                why = &f.v[i];
        char root[65];
        hash32_to_hex(&x->newest.ev.root, root);
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                         "the revocation log copy is INVALID against checkpoint %" PRIu64
                         " (root %.16s…, block %" PRIu64 "): %s: %s — status UNKNOWN",
                         x->seq, root, x->newest.ev.block_number,
                         why ? why->name : "log-mismatch",
                         why ? why->detail : "the copy does not give the anchored root");
    }
    vrev_findings_free(&f);
    return ok;
}

/* The tightest bound on when entry `idx` was revoked, as (seq, block,
 * time), starting from the newest checkpoint. evm: the first checkpoint the
 * copy lists that covers the entry, confirmed by the registry's own record
 * of it. ebsi: the first of the issuer's checkpoints that covers it and
 * whose root the copy reproduces. */
static void tightest_bound(struct revcheck *x, int64_t idx, uint64_t *bseq, uint64_t *bblock,
                           uint64_t *btime)
{
    *bseq = x->seq;
    *bblock = x->newest.ev.block_number;
    *btime = x->newest.block_time;
    for (size_t i = 0; x->ebsi && i + 1 < x->ncp; i++) {
        const struct vrev_checkpoint *c = &x->cps[i];
        struct hash32 pr;
        if (c->size <= (uint64_t)idx)
            continue;
        if (revlog_root(&x->copy, c->size, &pr, NULL) == E_OK && hash32_eq(&pr, &c->root)) {
            *bseq = c->seq;
            *bblock = c->block_number;
            *btime = c->block_time;
        }
        return;
    }
    for (size_t i = 0; !x->ebsi && i < x->copy.n_checkpoints; i++) {
        const struct revlog_checkpoint *c = &x->copy.checkpoints[i];
        if (c->size <= (uint64_t)idx || c->seq >= x->seq)
            continue;
        struct vrev_record rec;
        struct hash32 pr;
        if (revlog_root(&x->copy, c->size, &pr, NULL) == E_OK && hash32_eq(&pr, &c->root) &&
            vrev_ledger_record(&x->l, &c->root, &rec, NULL) == E_OK &&
            registry_confirms(&rec, c)) {
            *bseq = c->seq;
            *bblock = rec.block_number;
            *btime = rec.block_time;
        }
        return;
    }
}

/* Step 8: the copy is the issuer's log up to the newest checkpoint; where
 * is this credential in it? Not there: PASS. After the newest checkpoint:
 * UNKNOWN (pending). Covered by a checkpoint: REVOKED, with the bound. */
static void decide(struct revcheck *x)
{
    const struct revlog *copy = &x->copy;
    const struct vrev_anchor *nw = &x->newest;
    int64_t idx = revlog_find(copy, &x->b->credential.hash);
    uint64_t later = copy->n_entries - nw->ev.size;
    if (idx < 0) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_PASS,
                         "not revoked as of checkpoint %" PRIu64 " (%" PRIu64 " revocations, "
                         "block %" PRIu64 ") at %s%s",
                         x->seq, nw->ev.size, nw->ev.block_number, x->newest_time,
                         later ? "; the copy has later entries, not yet anchored, that do not "
                                 "name it"
                               : "");
        return;
    }
    const struct revlog_entry *en = &copy->entries[idx];
    char et[21], t[21];
    fmt_time((uint64_t)en->time, et);
    if ((uint64_t)idx >= nw->ev.size) {
        verify_add_check(x->r, CHECK_NAME, VCHECK_UNKNOWN,
                         "PENDING REVOCATION: the log copy lists this credential as revoked "
                         "(entry %" PRId64 ", reason %s, dated %s) after the newest anchored "
                         "checkpoint %" PRIu64 " (%s); it cannot be proven until a checkpoint "
                         "covers it: status UNKNOWN (it was not revoked as of checkpoint %"
                         PRIu64 ")",
                         idx, revlog_reason_name(en->reason), et, x->seq, x->newest_time,
                         x->seq);
        return;
    }
    uint64_t bseq, bblock, btime;
    tightest_bound(x, idx, &bseq, &bblock, &btime);
    fmt_time(btime, t);
    verify_add_check(x->r, CHECK_NAME, VCHECK_REVOKED,
                     "REVOKED by %s: entry %" PRId64 " of its revocation log, reason %s "
                     "(%u)%s%s%s, dated %s by the issuer; revoked no later than checkpoint %" PRIu64
                     " at block time %s (block %" PRIu64 ")",
                     x->ad, idx, revlog_reason_name(en->reason), en->reason,
                     en->note ? ", note \"" : "", en->note ? en->note : "", en->note ? "\"" : "",
                     et, bseq, t, bblock);
}

void verify_revocation(const struct bundle *b, const struct vrev_opts *o,
                       struct verify_result *r)
{
    if (!b->anchored || r->status == VERIFY_INVALID || r->status == VERIFY_ERROR) {
        verify_add_check(r, CHECK_NAME, VCHECK_SKIPPED,
                         "not checked: the credential's issuance did not verify");
        return;
    }
    struct revcheck x = {.b = b, .o = o, .r = r, .ebsi = b->anchor.ledger == BUNDLE_LEDGER_EBSI};
    addr20_to_hex(&b->anchor.issuer, x.ad);
    if (load_copy(&x) && count_checkpoints(&x) && any_checkpoint(&x) && find_newest(&x) &&
        have_copy(&x) && gather_checkpoints(&x) && judge_copy(&x))
        decide(&x);
    free(x.cps);
    free(x.hist);
    vrev_ledger_close(&x.l);
    if (!x.copy_shared)
        revlog_free(&x.copy);
}
