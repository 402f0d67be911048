/* notary/service/proofcache.c — see proofcache.h. */
#include "notary/service/proofcache.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "notary/issuance/levels.h"
#include "notary/service/slog.h"

static void cached_free(struct cached *c)
{
    if (!c)
        return;
    merkle_tree_free(c->tree);
    free(c->how);
    free(c->slots);
    free(c);
}

static uint64_t key64(const struct hash32 *h)
{
    uint64_t k;
    memcpy(&k, h->b, sizeof k);
    return k;
}

/* Under the read lock: position of leaf hash `leaf` in `c`, or -1. */
static int64_t cached_find(const struct cached *c, const struct hash32 *leaf)
{
    uint64_t i = key64(leaf) & c->mask;
    while (c->slots[i]) {
        uint64_t idx = c->slots[i] - 1;
        struct hash32 l;
        merkle_tree_leaf(c->tree, idx, &l);
        if (memcmp(l.b, leaf->b, 32) == 0)
            return (int64_t)idx;
        i = (i + 1) & c->mask;
    }
    return -1;
}


bool pcache_lookup(struct pcache *c, const struct hash32 *leaf, struct pcache_found *f)
{
    bool ok = false;
    pthread_rwlock_rdlock(&c->lock);
    for (size_t i = 0; i < c->n && !ok; i++) {
        struct cached *b = c->v[i];
        int64_t idx = cached_find(b, leaf);
        if (idx < 0)
            continue;
        f->rec = b->rec;
        f->index = (uint64_t)idx;
        f->how = b->how[idx];
        ok = merkle_tree_inclusion_proof(b->tree, f->index, b->n, f->path, &f->path_len, NULL) ==
             E_OK;
        atomic_store_explicit(&b->last_use, atomic_fetch_add(&c->clock, 1) + 1,
                              memory_order_relaxed);
    }
    pthread_rwlock_unlock(&c->lock);
    return ok;
}

void pcache_update_rec(struct pcache *c, const struct store_batch *rec)
{
    pthread_rwlock_wrlock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->seq == rec->seq)
            c->v[i]->rec = *rec;
    pthread_rwlock_unlock(&c->lock);
}

static bool pcache_has(struct pcache *c, uint64_t seq)
{
    bool has = false;
    pthread_rwlock_rdlock(&c->lock);
    for (size_t i = 0; i < c->n && !has; i++)
        has = c->v[i]->seq == seq;
    pthread_rwlock_unlock(&c->lock);
    return has;
}

/* Build batch `rec` from the store and add it, dropping the least recently
 * used batches beyond the leaf budget (never the new one). */
err_code pcache_load(struct pcache *c, struct store *s, const struct store_batch *rec,
                           struct err *e)
{
    pthread_mutex_lock(&c->load_lock);
    err_code rc = E_OK;
    struct hash32 *leaves = NULL;
    struct cached *b = NULL;
    if (pcache_has(c, rec->seq))
        goto out;
    b = calloc(1, sizeof *b);
    if (!b) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    b->seq = rec->seq;
    b->rec = *rec;
    if ((rc = store_batch_leaves_hashing(s, rec->seq, &leaves, &b->how, &b->n, e)))
        goto out;
    if (b->n == 0 || b->n > UINT32_MAX - 1) {
        rc = err_set(e, E_STATE, "batch %llu has %llu leaves", (unsigned long long)rec->seq,
                     (unsigned long long)b->n);
        goto out;
    }
    if ((rc = merkle_tree_build(leaves, b->n, NULL, &b->tree, e)))
        goto out;
    struct hash32 root;
    merkle_tree_root(b->tree, &root);
    if (!rec->has_root || !hash32_eq(&root, &rec->root)) {
        rc = err_set(e, E_STATE, "store is inconsistent: batch %llu no longer yields its root",
                     (unsigned long long)rec->seq);
        goto out;
    }
    uint64_t cap = 16;
    while (cap < 2 * b->n)
        cap *= 2;
    b->mask = cap - 1;
    if (!(b->slots = calloc(cap, sizeof *b->slots))) {
        rc = err_set(e, E_NOMEM, "out of memory for the index of batch %llu",
                     (unsigned long long)rec->seq);
        goto out;
    }
    for (uint64_t i = 0; i < b->n; i++) {
        struct hash32 l;
        merkle_tree_leaf(b->tree, i, &l);
        uint64_t j = key64(&l) & b->mask;
        while (b->slots[j])
            j = (j + 1) & b->mask;
        b->slots[j] = (uint32_t)(i + 1);
    }
    struct cached **v = realloc(c->v, (c->n + 1) * sizeof *v);
    if (!v) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    pthread_rwlock_wrlock(&c->lock);
    c->v = v;
    atomic_store(&b->last_use, atomic_fetch_add(&c->clock, 1) + 1);
    c->v[c->n++] = b;
    c->leaves += b->n;
    while (c->leaves > c->max_leaves && c->n > 1) {
        size_t lru = 0;
        uint64_t oldest = UINT64_MAX;
        for (size_t i = 0; i < c->n; i++) {
            uint64_t u = atomic_load(&c->v[i]->last_use);
            if (c->v[i] != b && u < oldest) {
                oldest = u;
                lru = i;
            }
        }
        struct cached *gone = c->v[lru];
        c->v[lru] = c->v[--c->n];
        c->leaves -= gone->n;
        cached_free(gone);
    }
    pthread_rwlock_unlock(&c->lock);
    slog("debug", "proof_cache_loaded", "{s:I, s:I}", "seq", (json_int_t)rec->seq, "size",
         (json_int_t)b->n);
    b = NULL;
out:
    pthread_mutex_unlock(&c->load_lock);
    free(leaves);
    cached_free(b);
    return rc;
}

bool pcache_should_load(struct pcache *c, const struct store_batch *rec)
{
    if (rec->size > c->max_leaves)
        return false;
    pthread_mutex_lock(&c->miss_lock);
    struct pcache_misses *m = &c->misses[0];
    for (size_t i = 0; i < PCACHE_MISS_SLOTS; i++) {
        if (c->misses[i].seq == rec->seq && c->misses[i].count) {
            m = &c->misses[i];
            break;
        }
        if (c->misses[i].count < m->count)
            m = &c->misses[i]; /* the least missed slot is taken over */
    }
    if (m->seq != rec->seq)
        *m = (struct pcache_misses){.seq = rec->seq, .count = 0};
    m->count++;
    bool load = m->count << LEVELS_SHIFT >= rec->size;
    if (load)
        m->count = 0;
    pthread_mutex_unlock(&c->miss_lock);
    return load;
}

void pcache_free(struct pcache *c)
{
    for (size_t i = 0; i < c->n; i++)
        cached_free(c->v[i]);
    free(c->v);
    pthread_rwlock_destroy(&c->lock);
    pthread_mutex_destroy(&c->load_lock);
    pthread_mutex_destroy(&c->miss_lock);
}

void pcache_init(struct pcache *c, uint64_t max_leaves)
{
    memset(c, 0, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->load_lock, NULL);
    pthread_mutex_init(&c->miss_lock, NULL);
    c->max_leaves = max_leaves;
}
