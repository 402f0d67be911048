/*
 * notary/store/hashidx.h — an in-memory index from a credential hash to the id of
 * the store row that holds it: the SQLite store's duplicate check and its
 * lookup of hashes that are not yet in the on-disk index (notary/store/sqlite_index.c).
 *
 * Each slot keeps a 64-bit keyed digest of the whole 32-byte hash and a
 * 32-bit id (12 bytes per slot, at most 70% full: 17-34 bytes per hash;
 * from 50% full the next, twice larger table is allocated and its pages
 * touched a few per add, and while a resize moves entries into it a few
 * per add both tables are held: up to three times that in between). No
 * add or reserve stalls for a whole rehash or for faulting in a whole
 * new table.
 * Slot and digest come from a keyed mix of all 32 bytes with a per-process
 * random key, so hashes an issuer chooses freely cannot be made to share a
 * probe chain. A lookup yields *candidate* ids (equal digests); the caller
 * confirms each against the stored hash, which also makes the index a hint
 * that can never report a hash the store does not hold.
 *
 * Not thread-safe: the owner locks (notary/store/sqlite_index.c shares one index
 * between the handles of a process under a rwlock).
 */
#ifndef NOTARY_HASHIDX_H
#define NOTARY_HASHIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

struct hashidx;

/* Largest id an index can hold. */
#define HASHIDX_MAX_ID UINT32_MAX

/* A new, empty index (*out freed with hashidx_free). */
err_code hashidx_new(struct hashidx **out, struct err *e) MUST_CHECK;
void hashidx_free(struct hashidx *x);
/* Forget every entry (keeps the allocation). */
void hashidx_clear(struct hashidx *x);

/* Make room for `more` additional entries without allocating on the way
 * (E_NOMEM, index unchanged, if that much memory is not available). The
 * entries are not rehashed here: a larger table is allocated and the old
 * one's entries move into it a few per hashidx_add, so neither this call
 * nor any add costs more than O(1) amortised-free work (plus the
 * allocation). */
err_code hashidx_reserve(struct hashidx *x, uint64_t more, struct err *e) MUST_CHECK;

/* Add (h → id). Adding the same hash twice keeps both entries: callers look
 * a hash up before adding it. E_LIMIT if id > HASHIDX_MAX_ID, E_NOMEM. */
err_code hashidx_add(struct hashidx *x, const struct hash32 *h, int64_t id,
                     struct err *e) MUST_CHECK;

/* A hint: start loading the slots a lookup or add of `h` will read, so a
 * caller that knows its next hashes can overlap their cache misses (the
 * table is far larger than the caches: each lookup is otherwise a wait on
 * memory, two while a move is under way). No effect on any result. */
void hashidx_prefetch(const struct hashidx *x, const struct hash32 *h);

/* Walk the candidate ids of `h`: hashidx_find sets up `it`, then each
 * hashidx_next call yields one candidate in *id until it returns false.
 * The index must not change during a walk. */
struct hashidx_iter {
    uint64_t digest, slot;
    bool in_old; /* walking the table being moved out of */
};
void hashidx_find(const struct hashidx *x, const struct hash32 *h, struct hashidx_iter *it);
bool hashidx_next(const struct hashidx *x, struct hashidx_iter *it, int64_t *id);

/* Entries held, and bytes allocated. */
uint64_t hashidx_count(const struct hashidx *x);
/* True while a resize is still moving entries into the larger table. */
bool hashidx_moving(const struct hashidx *x);
size_t hashidx_bytes(const struct hashidx *x);

#endif
