/*
 * notary/issuance/scrub.c — `notary check`; see scrub.h for the findings and
 * the evidence each rests on.
 *
 * Speed (issue 17: >= 5M leaves/s; bench/notary_check.c measures it):
 *  - a reader thread reads the batches from the store one ahead
 *    (store_batch_scan) while this thread re-hashes the one before, so the
 *    store's read time hides behind the hashing; the two never use the
 *    store at the same time (store_mu);
 *  - a batch is re-hashed in power-of-two chunks of its leaves, each by
 *    merkle_tree_build (every CPU, two messages per SHA-NI call), and the
 *    chunk roots are folded by a stack of subtree roots (RFC 9162 §2.1.1
 *    by its compact range: chunk boundaries are multiples of the chunk
 *    size, so the chunk roots are the nodes one level up of the same tree);
 *    memory stays one chunk's tree however large the batch;
 *  - uniqueness is checked on 16 bytes per leaf (a 64-bit prefix and where
 *    it was): a bucket pass on the top bits of the prefix and a small hash
 *    set per bucket find the prefixes seen twice, without sorting them all
 *    (repeated_prefixes); equal prefixes are confirmed on the full hashes
 *    by reading those batches again, each once (full_hashes).
 * Only the leaves of the batches in flight are in memory.
 */
#include "notary/issuance/scrub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/merkle.h"
#include "core/revlog.h"

static const char *const NAMES[SCRUB__COUNT] = {
    [SCRUB_LEAF_CHANGED] = "leaf-changed",   [SCRUB_LEAF_MISSING] = "leaf-missing",
    [SCRUB_LEAF_ADDED] = "leaf-added",       [SCRUB_ORDER_CHANGED] = "order-changed",
    [SCRUB_ROOT_MISMATCH] = "root-mismatch", [SCRUB_NOT_ANCHORED] = "not-anchored",
    [SCRUB_REVLOG_MISMATCH] = "revlog-mismatch", [SCRUB_DUPLICATE_HASH] = "duplicate-hash",
};

const char *scrub_kind_name(enum scrub_kind k)
{
    return (unsigned)k < SCRUB__COUNT ? NAMES[k] : "?";
}

void scrub_result_free(struct scrub_result *r)
{
    free(r->f);
    r->f = NULL;
    r->n = r->cap = 0;
}

int scrub_exit_status(const struct scrub_result *r)
{
    return r->n ? 1 : r->incomplete ? 3 : 0;
}

/* ---- the decision ---------------------------------------------------------- */

size_t scrub_classify(const struct scrub_evidence *ev, bool index_filled, bool *needs_index,
                      enum scrub_kind kinds[3])
{
    size_t n = 0;
    if (needs_index)
        *needs_index = false;
    bool have_ledger = ev->ledger_asked && ev->ledger_found;
    if (ev->ledger_asked && !ev->ledger_found)
        kinds[n++] = SCRUB_NOT_ANCHORED;
    if (have_ledger && ev->has_stored && !hash32_eq(&ev->stored, &ev->ledger))
        kinds[n++] = SCRUB_ROOT_MISMATCH;
    if (!have_ledger && !ev->has_stored)
        return n; /* nothing to compare with */
    const struct hash32 *ref = have_ledger ? &ev->ledger : &ev->stored;
    if (ev->count == ev->size && hash32_eq(&ev->rebuilt, ref))
        return n;
    if (ev->kind == BATCH_REVOCATION) {
        kinds[n++] = SCRUB_REVLOG_MISMATCH;
        return n;
    }
    if (ev->count < ev->size) {
        kinds[n++] = SCRUB_LEAF_MISSING;
        return n;
    }
    if (ev->count > ev->size) {
        kinds[n++] = SCRUB_LEAF_ADDED;
        return n;
    }
    if (!index_filled) {
        if (needs_index)
            *needs_index = true;
        return 0;
    }
    if (ev->unknown)
        kinds[n++] = SCRUB_LEAF_CHANGED;
    else if (ev->moved)
        kinds[n++] = SCRUB_ORDER_CHANGED;
    else if (!have_ledger)
        kinds[n++] = SCRUB_ROOT_MISMATCH; /* leaves and index agree, the stored root does not */
    else
        kinds[n++] = SCRUB_LEAF_CHANGED; /* the ledger proves the leaves wrong */
    return n;
}

/* ---- the run ---------------------------------------------------------------- */

struct dup_entry {
    uint64_t prefix;
    uint32_t batch; /* index into the batch list */
    uint32_t leaf;
};

/* Whether the store holds the leaves of b to check: not an open batch, and
 * not one a restore marked lost (anchored after the backup: its leaves were
 * never in this store, and `notary restore` listed it). */
static bool scrubbed(const struct store_batch *b)
{
    return b->state != BATCH_OPEN && b->state != BATCH_LOST;
}

struct run {
    struct store *s;
    const struct scrub_ledger *ledger;
    scrub_progress_fn progress;
    void *arg;
    struct scrub_result *r;
    uint64_t total, done, next_tick;
    struct dup_entry *dups;
    size_t ndups, capdups;
    struct merkle_tree *tree;  /* one chunk's tree, its memory reused chunk after chunk */
    pthread_mutex_t *store_mu; /* held while this thread uses the store (the reader may run) */
};

/* This thread uses the store: the reader thread waits meanwhile. */
static void store_enter(struct run *u)
{
    if (u->store_mu)
        pthread_mutex_lock(u->store_mu);
}

static void store_leave(struct run *u)
{
    if (u->store_mu)
        pthread_mutex_unlock(u->store_mu);
}

static err_code add(struct run *u, enum scrub_kind k, const struct store_batch *b, int64_t leaf,
                    struct err *e, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static err_code add(struct run *u, enum scrub_kind k, const struct store_batch *b, int64_t leaf,
                    struct err *e, const char *fmt, ...)
{
    struct scrub_result *r = u->r;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        struct scrub_finding *f = realloc(r->f, cap * sizeof *f);
        if (!f)
            return err_set(e, E_NOMEM, "out of memory for findings");
        r->f = f;
        r->cap = cap;
    }
    struct scrub_finding *f = &r->f[r->n++];
    f->kind = k;
    f->batch_kind = b->kind;
    f->seq = b->seq;
    f->leaf = leaf;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    return E_OK;
}

static err_code tick(struct run *u, uint64_t more, struct err *e)
{
    u->done += more;
    if (u->progress && u->done >= u->next_tick) {
        u->next_tick = u->done + (1u << 18);
        if (!u->progress(u->done, u->total, u->arg))
            return err_set(e, E_STATE, "the check was stopped");
    }
    return E_OK;
}

#define CHUNK SCRUB_CHUNK /* scrub.h */

/* The roots of the chunks, folded as a compact range (scrub.h). */
err_code scrub_root(const struct hash32 *h, uint64_t n, struct merkle_tree **scratch,
                    struct hash32 *out, struct err *e)
{
    if (!n) {
        merkle_empty_root(out);
        return E_OK;
    }
    struct hash32 stack[65];
    unsigned top = 0;
    for (uint64_t off = 0, c = 0; off < n; off += CHUNK, c++) {
        uint64_t m = n - off < CHUNK ? n - off : CHUNK;
        struct merkle_tree *reuse = *scratch;
        *scratch = NULL;
        err_code rc = merkle_tree_build(h + off, m, reuse, scratch, e);
        if (rc)
            return rc;
        merkle_tree_root(*scratch, &stack[top++]);
        /* after chunk c, the subtrees on the stack are the set bits of c + 1 */
        for (uint64_t k = c + 1; !(k & 1); k >>= 1, top--)
            merkle_node_hash(&stack[top - 2], &stack[top - 1], &stack[top - 2]);
    }
    struct hash32 acc = stack[--top];
    while (top) {
        top--;
        merkle_node_hash(&stack[top], &acc, &acc);
    }
    *out = acc;
    return E_OK;
}

/* Ask the ledger about an anchored batch, unless it already failed. */
static void ask_ledger(struct run *u, const struct store_batch *b, struct scrub_evidence *ev)
{
    if (!u->ledger || b->state != BATCH_ANCHORED || u->r->incomplete)
        return;
    struct err le = {0};
    err_code rc = u->ledger->root_of(u->ledger->arg, b, &ev->ledger_found, &ev->ledger, &le);
    if (rc) {
        u->r->incomplete = true;
        snprintf(u->r->incomplete_why, sizeof u->r->incomplete_why, "%s %llu: %.200s",
                 b->kind == BATCH_ISSUANCE ? "batch" : "checkpoint", (unsigned long long)b->seq,
                 le.msg);
        ev->ledger_found = false;
        return;
    }
    ev->ledger_asked = true;
    u->r->anchored_checked++;
}

/* Where the hash index places each leaf read back (scrub.h: moved, unknown). */
static err_code fill_index(struct run *u, const struct store_batch *b, const struct hash32 *h,
                           struct scrub_evidence *ev, struct err *e)
{
    ev->first_moved = ev->first_unknown = -1;
    for (uint64_t i = 0; i < ev->count; i++) {
        struct store_credential c;
        err_code rc = store_credential_get(u->s, &h[i], &c, e);
        if (rc && rc != E_NOT_FOUND)
            return rc;
        err_clear(e);
        if (rc || c.batch_seq != b->seq) {
            if (!ev->unknown++)
                ev->first_unknown = (int64_t)i;
        } else if (c.leaf_index != i) {
            if (!ev->moved++)
                ev->first_moved = (int64_t)i;
        }
    }
    return E_OK;
}

static void hex8(const struct hash32 *h, char out[17])
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = d[h->b[i] >> 4];
        out[2 * i + 1] = d[h->b[i] & 15];
    }
    out[16] = 0;
}

/* Turn one batch's evidence into findings. */
static err_code report(struct run *u, const struct store_batch *b, const struct hash32 *leaves,
                       struct scrub_evidence *ev, struct err *e)
{
    enum scrub_kind kinds[3];
    bool need = false;
    size_t nk = scrub_classify(ev, false, &need, kinds);
    err_code rc = E_OK;
    if (need) {
        store_enter(u);
        rc = fill_index(u, b, leaves, ev, e);
        store_leave(u);
        if (rc)
            return rc;
        nk = scrub_classify(ev, true, NULL, kinds);
    }
    char rb[17], st[17], lg[17];
    hex8(&ev->rebuilt, rb);
    hex8(&ev->stored, st);
    hex8(&ev->ledger, lg);
    const char *what = b->kind == BATCH_ISSUANCE ? "leaves" : "log entries";
    for (size_t i = 0; i < nk && !rc; i++) {
        switch (kinds[i]) {
        case SCRUB_NOT_ANCHORED:
            rc = add(u, kinds[i], b, -1, e, "the store says anchored; the ledger has no anchor of "
                                            "this %s by the issuer",
                     b->kind == BATCH_ISSUANCE ? "batch" : "checkpoint");
            break;
        case SCRUB_ROOT_MISMATCH:
            if (ev->ledger_asked && ev->ledger_found)
                rc = add(u, kinds[i], b, -1, e, "stored root %s… differs from the root anchored on "
                                                "the ledger %s…", st, lg);
            else
                rc = add(u, kinds[i], b, -1, e, "stored root %s… differs from the root of the "
                                                "stored leaves %s… (offline: the leaves agree "
                                                "with the hash index)", st, rb);
            break;
        case SCRUB_LEAF_MISSING:
        case SCRUB_LEAF_ADDED:
            rc = add(u, kinds[i], b, -1, e, "%llu %s stored where the batch has %llu",
                     (unsigned long long)ev->count, what, (unsigned long long)ev->size);
            break;
        case SCRUB_ORDER_CHANGED:
            rc = add(u, kinds[i], b, ev->first_moved, e, "%llu leaves are not at the position the "
                                                         "hash index gives them (first: leaf %lld)",
                     (unsigned long long)ev->moved, (long long)ev->first_moved);
            break;
        case SCRUB_LEAF_CHANGED:
            if (ev->unknown)
                rc = add(u, kinds[i], b, ev->first_unknown, e,
                         "%llu leaves are hashes this batch never had (first: leaf %lld); root "
                         "%s… instead of %s…", (unsigned long long)ev->unknown,
                         (long long)ev->first_unknown, rb, ev->ledger_found ? lg : st);
            else
                rc = add(u, kinds[i], b, -1, e, "the stored leaves give root %s…, the ledger has "
                                                "%s…", rb, lg);
            break;
        case SCRUB_REVLOG_MISMATCH:
            if (ev->count < ev->size)
                rc = add(u, kinds[i], b, -1, e, "the revocation log has %llu entries, the "
                                                "checkpoint covers %llu",
                         (unsigned long long)ev->count, (unsigned long long)ev->size);
            else
                rc = add(u, kinds[i], b, -1, e, "the first %llu entries of the revocation log "
                                                "give root %s…, not %s…",
                         (unsigned long long)ev->size, rb, ev->ledger_found ? lg : st);
            break;
        default:
            break;
        }
    }
    return rc;
}

static err_code note_dups(struct run *u, uint32_t batch, const struct hash32 *h, uint64_t n,
                          struct err *e)
{
    if (u->ndups + n > u->capdups) {
        size_t cap = u->capdups ? u->capdups : 1024;
        while (cap < u->ndups + n)
            cap *= 2;
        struct dup_entry *d = realloc(u->dups, cap * sizeof *d);
        if (!d)
            return err_set(e, E_NOMEM, "out of memory for %zu hashes", cap);
        u->dups = d;
        u->capdups = cap;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p;
        memcpy(&p, h[i].b, 8);
        u->dups[u->ndups++] = (struct dup_entry){p, batch, (uint32_t)i};
    }
    return E_OK;
}

/* One batch, its leaves read back in h[0..count-1] (owned by the caller). */
static err_code check_batch(struct run *u, const struct store_batch *b, uint32_t index,
                            const struct hash32 *h, uint64_t count, struct err *e)
{
    struct scrub_evidence ev = {.kind = BATCH_ISSUANCE, .size = b->size, .has_stored = b->has_root,
                                .stored = b->root, .count = count, .first_moved = -1,
                                .first_unknown = -1};
    err_code rc = scrub_root(h, ev.count, &u->tree, &ev.rebuilt, e);
    if (rc)
        return err_wrap(e, rc, "batch %llu", (unsigned long long)b->seq);
    u->r->leaves += ev.count;
    u->r->batches++;
    if (!(rc = tick(u, ev.count < b->size ? b->size : ev.count, e)) &&
        !(rc = note_dups(u, index, h, ev.count, e))) {
        ask_ledger(u, b, &ev);
        rc = report(u, b, h, &ev, e);
    }
    return rc;
}

/* ---- reading one batch ahead ------------------------------------------------- */

struct scan { /* one batch read back */
    size_t index; /* into the batch list */
    struct hash32 *h;
    uint64_t n;
    err_code rc;
    struct err e;
};

/* The reader thread reads the batches to check, in list order, into `slot`
 * (one batch ahead of the one being hashed); the checking thread takes
 * them with next_scan. Without a thread (none could be started),
 * next_scan reads itself. */
struct reader {
    struct store *s;
    const struct store_batch *list;
    size_t n;
    size_t next;              /* the next list index to look at (reader side) */
    pthread_mutex_t store_mu; /* held by whichever thread uses the store */
    pthread_mutex_t mu;       /* guards slot, full, done, stop */
    pthread_cond_t cv;
    struct scan slot;
    bool full, done, stop;
    bool started;
    pthread_t tid;
};

/* Whether the scrub reads batch b's leaves (and can number them). */
static bool to_read(const struct store_batch *b)
{
    return scrubbed(b) && b->size <= UINT32_MAX;
}

/* Read the next batch to check into *sc; false when none is left. */
static bool read_one(struct reader *r, struct scan *sc)
{
    while (r->next < r->n && !to_read(&r->list[r->next]))
        r->next++;
    if (r->next == r->n)
        return false;
    *sc = (struct scan){.index = r->next++};
    pthread_mutex_lock(&r->store_mu);
    sc->rc = store_batch_scan(r->s, &r->list[sc->index], &sc->h, &sc->n, &sc->e);
    pthread_mutex_unlock(&r->store_mu);
    return true;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct scan sc;
    bool more = true;
    while (more) {
        pthread_mutex_lock(&r->mu);
        bool stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop || !read_one(r, &sc))
            break;
        more = !sc.rc;
        pthread_mutex_lock(&r->mu);
        while (r->full && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop) {
            free(sc.h);
            more = false;
        } else {
            r->slot = sc;
            r->full = true;
            pthread_cond_broadcast(&r->cv);
        }
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_lock(&r->mu);
    r->done = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The next batch read back, in list order; false when none is left. */
static bool next_scan(struct reader *r, struct scan *out)
{
    if (!r->started)
        return read_one(r, out);
    pthread_mutex_lock(&r->mu);
    while (!r->full && !r->done)
        pthread_cond_wait(&r->cv, &r->mu);
    bool got = r->full;
    if (got) {
        *out = r->slot;
        r->full = false;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return got;
}

static void reader_start(struct reader *r, struct store *s, const struct store_batch *list,
                         size_t n)
{
    *r = (struct reader){.s = s, .list = list, .n = n};
    pthread_mutex_init(&r->store_mu, NULL);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->started = pthread_create(&r->tid, NULL, reader_main, r) == 0;
}

/* Stop the reader (whatever it still had to read) and free what it read. */
static void reader_end(struct reader *r)
{
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->tid, NULL);
        if (r->full)
            free(r->slot.h);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->store_mu);
}

static err_code check_checkpoints(struct run *u, struct err *e)
{
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(u->s, BATCH_REVOCATION, &list, &n, e);
    if (rc || !n) {
        if (!rc)
            free(list);
        return rc;
    }
    struct revlog log = {0};
    struct merkle_tree *t = NULL;
    struct err le = {0};
    err_code lrc = store_revocation_load(u->s, &log, &le);
    if (lrc && lrc != E_STATE) {
        rc = err_wrap(e, lrc, "%s", le.msg);
        goto out;
    }
    if (lrc == E_STATE) { /* positions are not 0..n-1 */
        rc = add(u, SCRUB_REVLOG_MISMATCH, &list[n - 1], -1, e, "%s", le.msg);
        goto out;
    }
    if (log.n_entries && (rc = revlog_tree(&log, log.n_entries, &t, e)))
        goto out;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct store_batch *b = &list[i];
        if (!scrubbed(b) || !b->has_root)
            continue;
        struct scrub_evidence ev = {.kind = BATCH_REVOCATION, .size = b->size,
                                    .count = b->size <= log.n_entries ? b->size : log.n_entries,
                                    .has_stored = true, .stored = b->root};
        if (ev.count == b->size && b->size && (rc = merkle_tree_root_at(t, b->size, &ev.rebuilt, e)))
            break;
        if (!b->size)
            merkle_empty_root(&ev.rebuilt);
        u->r->checkpoints++;
        ask_ledger(u, b, &ev);
        rc = report(u, b, NULL, &ev, e);
    }
out:
    merkle_tree_free(t);
    revlog_free(&log);
    free(list);
    return rc;
}

static int dup_cmp(const void *a, const void *b)
{
    const struct dup_entry *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

/* The full hash of leaf `leaf` of batch `b` (read again; rare). */
/* Keep, in d[0..return), only the entries whose 64-bit prefix occurs more
 * than once, sorted by dup_cmp — the entries a sort of all of them by
 * dup_cmp would show next to an equal prefix, in the same order; check_dups
 * then looks at those alone. How: one pass scatters the entries into 2^12
 * buckets by the top 12 bits of the prefix (stable, so a bucket stays in
 * (batch, leaf) order), a small hash set per bucket (it fits the cache)
 * marks the prefixes seen twice, and only those are sorted. The set's
 * slots come from a multiplier drawn per run, so hashes chosen to collide in
 * it cannot be prepared in advance. Falls back to sorting everything when
 * the scratch memory is not there. */
#define BUCKET_BITS 12
static size_t repeated_prefixes(struct dup_entry *d, size_t n)
{
    size_t nb = (size_t)1 << BUCKET_BITS, kept = 0;
    struct dup_entry *tmp = n >= nb ? malloc(n * sizeof *tmp) : NULL;
    size_t *at = tmp ? calloc(nb + 1, sizeof *at) : NULL;
    uint32_t *slot = NULL;
    bool *twice = NULL;
    size_t big = 0, cap = 0;
    if (at) {
        for (size_t i = 0; i < n; i++)
            at[(d[i].prefix >> (64 - BUCKET_BITS)) + 1]++;
        for (size_t k = 0; k < nb; k++) {
            if (at[k + 1] > big)
                big = at[k + 1];
            at[k + 1] += at[k];
        }
        for (cap = 1; cap < 2 * big; cap *= 2)
            ;
        slot = big <= UINT32_MAX / 2 ? malloc(cap * sizeof *slot) : NULL;
        twice = calloc(big ? big : 1, sizeof *twice);
    }
    if (!slot || !twice) {
        free(tmp);
        free(at);
        free(slot);
        free(twice);
        qsort(d, n, sizeof *d, dup_cmp);
        return n;
    }
    for (size_t i = 0; i < n; i++)
        tmp[at[d[i].prefix >> (64 - BUCKET_BITS)]++] = d[i];
    /* at[k] is now the end of bucket k (the start of bucket k + 1) */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t mult = (0x9e3779b97f4a7c15ull ^ ((uint64_t)ts.tv_nsec << 17) ^ (uint64_t)ts.tv_sec) | 1;
    for (size_t k = 0, from = 0; k < nb; from = at[k++]) {
        size_t m = at[k] - from;
        if (m < 2)
            continue;
        size_t c = 1;
        while (c < 2 * m)
            c *= 2;
        unsigned sh = 64 - (unsigned)__builtin_ctzll(c); /* slot = the top log2(c) bits */
        memset(slot, 0, c * sizeof *slot);
        memset(twice, 0, m * sizeof *twice);
        const struct dup_entry *bk = tmp + from;
        for (size_t i = 0; i < m; i++) {
            size_t j = (size_t)((bk[i].prefix * mult) >> sh);
            while (slot[j] && bk[slot[j] - 1].prefix != bk[i].prefix)
                j = (j + 1) & (c - 1);
            if (slot[j])
                twice[slot[j] - 1] = twice[i] = true;
            else
                slot[j] = (uint32_t)(i + 1);
        }
        for (size_t i = 0; i < m; i++)
            if (twice[i])
                d[kept++] = bk[i];
    }
    free(tmp);
    free(at);
    free(slot);
    free(twice);
    qsort(d, kept, sizeof *d, dup_cmp);
    return kept;
}

/* Where one repeated-prefix entry is, and its position among them. */
struct place {
    uint32_t batch, leaf;
    size_t at;
};

static int place_cmp(const void *a, const void *b)
{
    const struct place *x = a, *y = b;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

/* The full hashes of the entries d[0..n) (their prefixes repeat): each
 * batch they are in is read once, whatever the number of entries in it
 * (hashes sharing a prefix are cheap to make: a read per pair would let a
 * submitter make the check as slow as they like). ok[i] false: the leaf is
 * no longer there. */
static err_code full_hashes(struct run *u, const struct store_batch *list,
                            const struct dup_entry *d, size_t n, struct hash32 *full, bool *ok,
                            struct err *e)
{
    struct place *order = malloc(n * sizeof *order);
    if (!order)
        return err_set(e, E_NOMEM, "out of memory for %zu hashes", n);
    for (size_t i = 0; i < n; i++)
        order[i] = (struct place){d[i].batch, d[i].leaf, i};
    qsort(order, n, sizeof *order, place_cmp);
    err_code rc = E_OK;
    for (size_t i = 0; i < n && !rc;) {
        uint32_t batch = order[i].batch;
        struct hash32 *h;
        uint64_t count;
        u->r->dup_reads++;
        rc = store_batch_scan(u->s, &list[batch], &h, &count, e);
        for (; i < n && order[i].batch == batch; i++) {
            size_t k = order[i].at;
            ok[k] = !rc && d[k].leaf < count;
            if (ok[k])
                full[k] = h[d[k].leaf];
        }
        free(h);
    }
    free(order);
    return rc;
}

static err_code check_dups(struct run *u, const struct store_batch *list, struct err *e)
{
    size_t n = repeated_prefixes(u->dups, u->ndups);
    if (n == 0)
        return E_OK;
    struct hash32 *full = malloc(n * sizeof *full);
    bool *ok = calloc(n, sizeof *ok);
    err_code rc = full && ok ? full_hashes(u, list, u->dups, n, full, ok, e)
                             : err_set(e, E_NOMEM, "out of memory for %zu hashes", n);
    for (size_t i = 1; i < n && !rc; i++) {
        const struct dup_entry *a = &u->dups[i - 1], *b = &u->dups[i];
        if (a->prefix != b->prefix || !ok[i - 1] || !ok[i] || !hash32_eq(&full[i - 1], &full[i]))
            continue;
        char hex[65];
        hash32_to_hex(&full[i], hex);
        rc = add(u, SCRUB_DUPLICATE_HASH, &list[b->batch], b->leaf, e,
                 "hash %s is also batch %llu leaf %u", hex,
                 (unsigned long long)list[a->batch].seq, a->leaf);
    }
    free(full);
    free(ok);
    return rc;
}

/* Every issuance batch, read by the reader thread, re-hashed here. */
static err_code check_batches(struct run *u, const struct store_batch *list, size_t n,
                              struct err *e)
{
    struct reader rd;
    reader_start(&rd, u->s, list, n);
    u->store_mu = rd.started ? &rd.store_mu : NULL;
    err_code rc = E_OK;
    struct scan sc;
    while (!rc && next_scan(&rd, &sc)) {
        const struct store_batch *b = &list[sc.index];
        if (sc.rc) {
            *e = sc.e;
            rc = err_wrap(e, sc.rc, "batch %llu", (unsigned long long)b->seq);
        } else {
            rc = check_batch(u, b, (uint32_t)sc.index, sc.h, sc.n, e);
        }
        free(sc.h);
    }
    reader_end(&rd);
    u->store_mu = NULL;
    return rc;
}

err_code scrub_run(struct store *s, const struct scrub_ledger *ledger, scrub_progress_fn progress,
                   void *arg, struct scrub_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->ledger = ledger != NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct run u = {.s = s, .ledger = ledger, .progress = progress, .arg = arg, .r = out};
    struct store_batch *list;
    size_t n;
    err_code rc = store_batch_list(s, BATCH_ISSUANCE, &list, &n, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (scrubbed(&list[i]))
            u.total += list[i].size;
    if (n > UINT32_MAX)
        rc = err_set(e, E_LIMIT, "more than 2^32 batches");
    if (!rc)
        rc = check_batches(&u, list, n, e);
    if (!rc)
        rc = check_dups(&u, list, e);
    if (!rc)
        rc = check_checkpoints(&u, e);
    if (!rc && progress)
        progress(u.done, u.total, arg);
    free(u.dups);
    merkle_tree_free(u.tree);
    free(list);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    out->finished_at = (int64_t)time(NULL);
    if (rc)
        scrub_result_free(out);
    return rc;
}

json_t *scrub_result_json(const struct scrub_result *r)
{
    json_t *fs = json_array();
    for (size_t i = 0; fs && i < r->n; i++) {
        const struct scrub_finding *f = &r->f[i];
        json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "finding", scrub_kind_name(f->kind), "kind",
                              f->batch_kind == BATCH_ISSUANCE ? "batch" : "checkpoint", "seq",
                              (json_int_t)f->seq, "detail", f->detail);
        if (o && f->leaf >= 0)
            json_object_set_new(o, "leaf", json_integer(f->leaf));
        if (!o || json_array_append_new(fs, o)) {
            json_decref(fs);
            return NULL;
        }
    }
    if (!fs)
        return NULL;
    int code = scrub_exit_status(r);
    json_t *o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:b, s:b, s:f}", "status",
                          code == 1 ? "findings" : code == 3 ? "incomplete" : "clean", "findings",
                          fs, "batches", (json_int_t)r->batches, "checkpoints",
                          (json_int_t)r->checkpoints, "leaves", (json_int_t)r->leaves,
                          "anchored_checked", (json_int_t)r->anchored_checked, "ledger", r->ledger,
                          "incomplete", r->incomplete, "seconds", r->seconds);
    if (o && r->incomplete)
        json_object_set_new(o, "incomplete_reason", json_string(r->incomplete_why));
    return o;
}
