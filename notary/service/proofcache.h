/*
 * notary/service/proofcache.h — the proof cache of `notary serve` (moved out of
 * serve.c): a closed batch never changes, so its tree is built once and
 * kept (up to max_leaves leaves in all, least recently used dropped first)
 * with an open-addressing index from a leaf hash to its position; a proof
 * fetch is then a lookup and an audit path copy.
 *
 * Threads: lookups take a read lock and run in parallel; one batch is built
 * at a time (load_lock), outside the read lock, and added under the write
 * lock. Ownership: pcache_init() on caller-owned memory, pcache_free()
 * frees what it holds. A miss on a large batch is answered from its stored
 * subtree roots until loading it is worth it (pcache_should_load).
 */
#ifndef NOTARY_PROOFCACHE_H
#define NOTARY_PROOFCACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/merkle.h"
#include "notary/store/store.h"

/* One closed batch: its tree, each leaf's hashing mode, and an open-
 * addressing index from a leaf hash (first 8 bytes) to its position. */
struct cached {
    uint64_t seq, n;
    struct store_batch rec; /* refreshed while not anchored */
    struct merkle_tree *tree;
    uint8_t *how;
    uint32_t *slots; /* leaf index + 1; 0 = empty */
    uint64_t mask;
    atomic_uint_fast64_t last_use;
};

/* Proofs answered without the cache, per batch (pcache_should_load). */
#define PCACHE_MISS_SLOTS 32
struct pcache_misses {
    uint64_t seq, count;
};

struct pcache {
    pthread_rwlock_t lock;
    pthread_mutex_t load_lock; /* one batch is built at a time */
    pthread_mutex_t miss_lock;
    struct pcache_misses misses[PCACHE_MISS_SLOTS];
    struct cached **v;
    size_t n;
    uint64_t leaves, max_leaves;
    atomic_uint_fast64_t clock;
};

/* What a proof needs, copied out of the cache under its lock. */
struct pcache_found {
    struct store_batch rec;
    uint64_t index;
    uint8_t how;
    size_t path_len;
    struct hash32 path[MERKLE_MAX_PATH];
};

/* An empty cache of at most `max_leaves` leaves over all batches. */
void pcache_init(struct pcache *c, uint64_t max_leaves);
/* Copy the proof of leaf hash `leaf` into *f; false if no cached batch has it. */
bool pcache_lookup(struct pcache *c, const struct hash32 *leaf, struct pcache_found *f);
/* Replace the record of a cached batch (its state changed: anchored). */
void pcache_update_rec(struct pcache *c, const struct store_batch *rec);
/* A proof of batch `rec` (closed, with its root) missed the cache: true if
 * the batch should now be loaded whole (pcache_load), false if this proof
 * is better answered from the stored subtree roots (notary/issuance/levels.h)
 * and counted. Loading costs about `size` leaves, a proof from the subroots
 * about 2^LEVELS_SHIFT, so a batch is loaded once its misses would have cost
 * as much as loading it (at the first miss for a batch of ≤ 2^LEVELS_SHIFT
 * leaves), and never when it alone is larger than the cache's budget. */
bool pcache_should_load(struct pcache *c, const struct store_batch *rec);
/* Build batch `rec` (closed, with its root) from store `s` and cache it,
 * dropping least recently used batches beyond the budget (never the new
 * one). E_STATE if the stored leaves do not give the recorded root, E_NOMEM,
 * or the store's error. Nothing to do if it is cached already. */
err_code pcache_load(struct pcache *c, struct store *s, const struct store_batch *rec,
                     struct err *e) MUST_CHECK;
/* Free every cached batch and the locks. */
void pcache_free(struct pcache *c);

#endif
