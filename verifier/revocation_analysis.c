/*
 * verifier/revocation_analysis.c — judging a copy of an issuer's revocation
 * log against the checkpoints the ledger shows; see revocation_analysis.h
 * and docs/revocation-format.md §6. Pure computation: no ledger, no
 * network, shared by `verifier verify` and `verifier audit`.
 */
#define _GNU_SOURCE
#include "verifier/revocation_analysis.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"

void vrev_findings_free(struct vrev_findings *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

err_code vrev_finding_add(struct vrev_findings *f, const char *name, bool anomaly, const char *fmt,
                          ...)
{
    if (f->n == f->cap) {
        size_t c = f->cap ? f->cap * 2 : 8;
        struct vrev_finding *p = realloc(f->v, c * sizeof *p);
        if (!p)
            return E_NOMEM;
        f->v = p;
        f->cap = c;
    }
    struct vrev_finding *x = &f->v[f->n++];
    snprintf(x->name, sizeof x->name, "%s", name);
    x->anomaly = anomaly;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof x->detail, fmt, ap);
    va_end(ap);
    return E_OK;
}

const struct vrev_finding *vrev_finding_get(const struct vrev_findings *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0)
            return &f->v[i];
    return NULL;
}

/* The copy's consistency proof between ledger checkpoints a and b (when it
 * lists both, consecutively, with the ledger's sizes and roots) verifies. */
static bool copy_proof_ok(const struct revlog *copy, const struct vrev_checkpoint *a,
                          const struct vrev_checkpoint *b)
{
    for (size_t j = 1; j < copy->n_checkpoints; j++) {
        const struct revlog_checkpoint *p = &copy->checkpoints[j - 1], *q = &copy->checkpoints[j];
        if (p->seq != a->seq || q->seq != b->seq)
            continue;
        if (p->size != a->size || q->size != b->size || !hash32_eq(&p->root, &a->root) ||
            !hash32_eq(&q->root, &b->root))
            return false;
        if (a->size == b->size)
            return q->proof_len == 0 && hash32_eq(&a->root, &b->root);
        return merkle_verify_consistency(a->size, b->size, &a->root, &b->root,
                                         &copy->proofs[q->proof_off], q->proof_len,
                                         NULL) == E_OK;
    }
    return false;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Root of digests d[order[0..n-1]]. */
static err_code root_of(const struct hash32 *d, const uint64_t *order, uint64_t n,
                        struct hash32 *root, struct err *e)
{
    struct hash32 *v = malloc(n * sizeof *v);
    if (!v)
        return err_set(e, E_NOMEM, "out of memory");
    for (uint64_t i = 0; i < n; i++)
        v[i] = d[order[i]];
    struct merkle_tree *t;
    err_code rc = merkle_tree_build(v, n, NULL, &t, e);
    free(v);
    if (rc)
        return rc;
    merkle_tree_root(t, root);
    merkle_tree_free(t);
    return E_OK;
}

/* Time order of entries lo..hi-1 by (time, position): insertion sort is
 * fine for a checkpoint's range; a larger range falls back to qsort of
 * (time << 20 | offset) keys when times fit. */
static int cmp_entry_time(const void *x, const void *y, void *arg)
{
    const struct revlog *l = arg;
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    int64_t ta = l->entries[a].time, tb = l->entries[b].time;
    return ta < tb ? -1 : ta > tb ? 1 : a < b ? -1 : a > b;
}

/* Why does the copy not reproduce checkpoint `cp` (entries lo..cp->size-1
 * are where it differs)? One named diagnosis. */
static err_code diagnose(const struct revlog *copy, const struct vrev_checkpoint *cp, uint64_t lo,
                         struct vrev_findings *f, struct err *e)
{
    uint64_t hi = cp->size;
    uint64_t first_descent = UINT64_MAX, ndesc = 0;
    for (uint64_t i = lo ? lo : 1; i < hi; i++)
        if (copy->entries[i].time < copy->entries[i - 1].time) {
            ndesc++;
            if (first_descent == UINT64_MAX)
                first_descent = i;
        }
    if (ndesc) {
        /* Does putting lo..hi-1 back in time order give the anchored root?
         * Then entries were moved, not changed. */
        struct hash32 *d = malloc(hi * sizeof *d);
        uint64_t *order = malloc(hi * sizeof *order);
        err_code rc = (!d || !order) ? err_set(e, E_NOMEM, "out of memory") : E_OK;
        for (uint64_t i = 0; !rc && i < hi; i++) {
            order[i] = i;
            rc = revlog_entry_digest(&copy->entries[i], &d[i], e);
        }
        struct hash32 root;
        if (!rc) {
            qsort_r(order + lo, hi - lo, sizeof *order, cmp_entry_time, (void *)copy);
            rc = root_of(d, order, hi, &root, e);
        }
        uint64_t moved[2], nmoved = 0;
        for (uint64_t i = lo; !rc && i < hi; i++)
            if (order[i] != i && nmoved++ < 2)
                moved[nmoved - 1] = i;
        free(d);
        free(order);
        if (rc)
            return rc;
        if (hash32_eq(&root, &cp->root)) {
            if (nmoved == 2)
                return vrev_finding_add(f, "entries-reordered", true,
                                        "entries %" PRIu64 " and %" PRIu64 " of the copy are "
                                        "swapped: in time order the first %" PRIu64 " entries "
                                        "give checkpoint %" PRIu64 "'s anchored root",
                                        moved[0], moved[1], hi, cp->seq);
            return vrev_finding_add(f, "entries-reordered", true,
                                    "%" PRIu64 " entries of the copy are out of order: in time "
                                    "order the first %" PRIu64 " entries give checkpoint %" PRIu64
                                    "'s anchored root",
                                    nmoved, hi, cp->seq);
        }
        char t0[21], t1[21];
        bundle_time_format(copy->entries[first_descent].time, t0, NULL);
        bundle_time_format(copy->entries[first_descent - 1].time, t1, NULL);
        return vrev_finding_add(f, "entry-time-changed", true,
                                "entry %" PRIu64 " is dated %s, before entry %" PRIu64 " (%s): "
                                "the log is written in time order, so a time was changed "
                                "(backdated)",
                                first_descent, t0, first_descent - 1, t1);
    }
    for (uint64_t i = lo; i < hi; i++)
        if (copy->entries[i].time > (int64_t)cp->block_time + VREV_CLOCK_SKEW) {
            char t0[21], t1[21];
            bundle_time_format(copy->entries[i].time, t0, NULL);
            bundle_time_format((int64_t)cp->block_time, t1, NULL);
            return vrev_finding_add(f, "entry-time-changed", true,
                                    "entry %" PRIu64 " is dated %s, after checkpoint %" PRIu64
                                    " anchored it at %s: its time was changed",
                                    i, t0, cp->seq, t1);
        }
    return vrev_finding_add(f, "entry-altered", true,
                            "an entry among %" PRIu64 "..%" PRIu64 " of the copy differs from "
                            "what checkpoint %" PRIu64 " anchored (credential, reason, note or "
                            "time), or an entry was inserted or removed there",
                            lo, hi - 1, cp->seq);
}

err_code vrev_analyse(const struct revlog *copy, const struct vrev_checkpoint *cps, size_t n,
                            struct vrev_findings *f, bool *newest_ok, struct err *e)
{
    *newest_ok = false;
    if (n == 0)
        return E_OK;
    struct merkle_tree *t = NULL;
    bool *pok = calloc(n, sizeof *pok);
    err_code rc = pok ? E_OK : err_set(e, E_NOMEM, "out of memory");
    if (!rc && copy->n_entries)
        rc = revlog_tree(copy, copy->n_entries, &t, e);
    /* Which checkpoints does the copy reproduce? */
    for (size_t k = 0; !rc && k < n; k++) {
        struct hash32 root;
        if (cps[k].size > copy->n_entries || cps[k].size == 0)
            continue;
        if ((rc = merkle_tree_root_at(t, cps[k].size, &root, e)))
            break;
        pok[k] = hash32_eq(&root, &cps[k].root);
    }
    size_t first_bad = SIZE_MAX;
    uint64_t lo = 0; /* size of the last checkpoint the copy reproduces before first_bad */
    char r0[65], r1[65];
    for (size_t k = 0; !rc && k < n; k++) {
        bool consistent = true;
        if (k > 0 && cps[k - 1].seq + 1 == cps[k].seq) {
            const struct vrev_checkpoint *a = &cps[k - 1], *b = &cps[k];
            consistent = b->size >= a->size &&
                         ((pok[k - 1] && pok[k]) || copy_proof_ok(copy, a, b));
            if (!consistent) {
                hash32_to_hex(&a->root, r0);
                hash32_to_hex(&b->root, r1);
                rc = vrev_finding_add(
                    f, "checkpoint-inconsistent", true,
                    "checkpoints %" PRIu64 " (size %" PRIu64 ", root %.16s…) and %" PRIu64
                    " (size %" PRIu64 ", root %.16s…) are not consistent: %s",
                    a->seq, a->size, r0, b->seq, b->size, r1,
                    b->size < a->size ? "the log shrank"
                                      : "no valid RFC 9162 consistency proof, and the log copy "
                                        "does not contain both — the later one is not an "
                                        "extension of the earlier log");
            }
        }
        if (!rc && pok[k] && first_bad == SIZE_MAX)
            lo = cps[k].size;
        if (!rc && !pok[k] && cps[k].size <= copy->n_entries && consistent &&
            first_bad == SIZE_MAX) {
            first_bad = k;
            struct hash32 got;
            if ((rc = merkle_tree_root_at(t, cps[k].size, &got, e)))
                break;
            hash32_to_hex(&got, r0);
            hash32_to_hex(&cps[k].root, r1);
            rc = vrev_finding_add(f, "log-mismatch", true,
                                  "the first %" PRIu64 " entries of the copy give root %.16s…, "
                                  "but checkpoint %" PRIu64 " anchored %.16s…: the copy is not "
                                  "the issuer's log",
                                  cps[k].size, r0, cps[k].seq, r1);
        }
    }
    const struct vrev_checkpoint *newest = &cps[n - 1];
    if (!rc)
        *newest_ok = pok[n - 1];
    if (!rc && copy->n_entries < newest->size) {
        if (first_bad == SIZE_MAX)
            rc = vrev_finding_add(f, "log-truncated", true,
                                  "the copy has %" PRIu64 " entries but checkpoint %" PRIu64
                                  " anchored %" PRIu64 ": the last %" PRIu64 " are missing (it "
                                  "matches every checkpoint it covers)",
                                  copy->n_entries, newest->seq, newest->size,
                                  newest->size - copy->n_entries);
        else
            rc = vrev_finding_add(f, "entry-removed", true,
                                  "the copy has %" PRIu64 " entries but checkpoint %" PRIu64
                                  " anchored %" PRIu64 ", and it stops matching at checkpoint %"
                                  PRIu64 " (entries %" PRIu64 "..%" PRIu64 "): entries were "
                                  "removed",
                                  copy->n_entries, newest->seq, newest->size, cps[first_bad].seq,
                                  lo, cps[first_bad].size - 1);
    } else if (!rc && first_bad != SIZE_MAX) {
        rc = diagnose(copy, &cps[first_bad], lo, f, e);
    }
    /* Entries dated after the checkpoint that first anchored them. */
    for (size_t k = 0, prev = 0; !rc && k < n && first_bad == SIZE_MAX; k++) {
        if (!pok[k])
            continue;
        for (uint64_t i = prev; i < cps[k].size; i++)
            if (copy->entries[i].time > (int64_t)cps[k].block_time + VREV_CLOCK_SKEW) {
                rc = vrev_finding_add(f, "entry-time-changed", true,
                                      "entry %" PRIu64 " is dated after the block time of "
                                      "checkpoint %" PRIu64 " that anchored it",
                                      i, cps[k].seq);
                break;
            }
        prev = cps[k].size;
    }
    /* The notary never appends a credential twice. */
    if (!rc && copy->n_entries > 1) {
        uint64_t *keys = malloc(copy->n_entries * sizeof *keys);
        if (!keys) {
            rc = err_set(e, E_NOMEM, "out of memory");
        } else {
            for (uint64_t i = 0; i < copy->n_entries; i++)
                memcpy(&keys[i], copy->entries[i].credential.b, 8);
            qsort(keys, copy->n_entries, sizeof *keys, cmp_u64);
            bool maybe = false;
            for (uint64_t i = 1; i < copy->n_entries && !maybe; i++)
                maybe = keys[i] == keys[i - 1];
            free(keys);
            for (uint64_t i = 0; maybe && !rc && i < copy->n_entries; i++) {
                int64_t j = revlog_find(copy, &copy->entries[i].credential);
                if (j >= 0 && (uint64_t)j < i) {
                    char h[65];
                    hash32_to_hex(&copy->entries[i].credential, h);
                    rc = vrev_finding_add(f, "duplicate-entry", true,
                                          "credential %s is revoked twice (entries %" PRId64
                                          " and %" PRIu64 ")",
                                          h, j, i);
                    break;
                }
            }
        }
    }
    if (!rc && *newest_ok && copy->n_entries > newest->size)
        rc = vrev_finding_add(f, "unanchored-entries", false,
                              "%" PRIu64 " entries after checkpoint %" PRIu64 " are not anchored "
                              "yet: they prove nothing until a checkpoint covers them",
                              copy->n_entries - newest->size, newest->seq);
    free(pok);
    merkle_tree_free(t);
    if (rc == E_NOMEM && e && e->code != E_NOMEM)
        err_set(e, E_NOMEM, "out of memory");
    return rc;
}

